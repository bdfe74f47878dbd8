#include "study/runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "accuracy/accuracy_json.h"
#include "accuracy/images.h"
#include "core/host.h"
#include "study/resume.h"

using nlohmann::json;

namespace dli {
namespace {

// Time left from the mean time of each kind of point so far: accuracy points
// take a fraction of a performance point's time.
class TimeLeft {
 public:
  explicit TimeLeft(const Study& study) {
    for (const StudyPoint& p : study.points)
      if (p.state == PointState::kRun) ++left_of_[p.planned.kind];
  }
  void Finished(const std::string& kind, double wall_s) {
    spent_of_[kind] += wall_s;
    ++finished_of_[kind];
    --left_of_[kind];
    ++finished_;
  }
  double Seconds() const {
    if (finished_ == 0) return -1;
    double spent = 0;
    for (const auto& [kind, s] : spent_of_) spent += s;
    double left = 0;
    for (const auto& [kind, n] : left_of_) {
      const auto done = finished_of_.find(kind);
      const double mean = done != finished_of_.end()
                              ? spent_of_.at(kind) / static_cast<double>(done->second)
                              : spent / static_cast<double>(finished_);
      left += mean * static_cast<double>(n);
    }
    return left;
  }

 private:
  std::map<std::string, double> spent_of_;
  std::map<std::string, size_t> finished_of_, left_of_;
  size_t finished_ = 0;
};

// An accuracy point predicts every image of the data set.
PointSpec SpecToRun(const StudyPoint& p, const std::vector<std::string>& dataset_files) {
  PointSpec spec = p.planned.spec;
  if (p.planned.kind == "accuracy") {
    spec.input.files = dataset_files;
    spec.timeout_s =
        std::max(spec.timeout_s, 600 + 2.0 * static_cast<double>(dataset_files.size()));
  }
  return spec;
}

}  // namespace

size_t Study::Count(PointState state) const {
  return static_cast<size_t>(std::count_if(points.begin(), points.end(),
                                           [&](const StudyPoint& p) { return p.state == state; }));
}

Study PlanStudy(const Experiment& experiment, FrameworkCatalog& frameworks) {
  Study study;
  study.experiment = experiment;
  const std::vector<PlannedPoint> plan = PlanExperiment(experiment, frameworks.ByName());
  if (experiment.accuracy) {
    DatasetOptions o;
    o.labels_file = experiment.dataset_labels;
    o.classes_file = experiment.dataset_classes;
    o.limit = experiment.dataset_limit;
    study.dataset = LoadDataset(experiment.dataset, o);
  }
  if (!experiment.images.empty()) CheckImageFolder(experiment.images);
  const std::vector<std::string> keys = ResumeKeys(plan, experiment.dataset);
  for (size_t i = 0; i < plan.size(); ++i)
    study.points.push_back(
        {plan[i], keys[i], plan[i].skip_reason.empty() ? PointState::kRun : PointState::kSkip});
  return study;
}

void MarkFinished(Study& study, ResultStore& store) {
  for (StudyPoint& p : study.points)
    if (p.state == PointState::kRun && store.HasFinished(p.key)) p.state = PointState::kDone;
}

StudyOutcome RunStudy(const Study& study, Executor& executor, ResultStore& store,
                      const StudyOptions& options, const StudyCallbacks& callbacks) {
  const Experiment& e = study.experiment;
  std::vector<std::string> dataset_files;
  if (study.dataset)
    for (const LabelledImage& li : study.dataset->items) dataset_files.push_back(li.path);
  const json config = {{"file", std::filesystem::absolute(e.file).string()},
                       {"name", e.name},
                       {"db", options.db_path},
                       {"points", study.points.size()}};
  auto stop_requested = [&] { return callbacks.stop_requested && callbacks.stop_requested(); };

  StudyOutcome outcome;
  outcome.run_id = store.BeginRun(e.name, config, HostToJson(ReadHostInfo()));
  const auto started = std::chrono::steady_clock::now();
  const size_t to_run = study.Count(PointState::kRun);
  TimeLeft time_left(study);
  for (const StudyPoint& p : study.points) {
    if (p.state != PointState::kRun) continue;
    if (stop_requested()) break;
    if (callbacks.on_start)
      callbacks.on_start(p, outcome.finished + 1, to_run, time_left.Seconds());
    const PointSpec spec = SpecToRun(p, dataset_files);
    const PointResult r = executor.Run(spec);
    if (r.status == "interrupted") {
      outcome.interrupted = true;
      break;
    }
    time_left.Finished(p.planned.kind, r.wall_s);
    ++outcome.finished;
    if (!r.ok()) ++outcome.failed;
    json result;
    if (p.planned.kind == "accuracy") {
      const int offset = spec.label_offset;
      result =
          AccuracyToJson(r, *study.dataset, offset, ScorePredictions(r, *study.dataset, offset));
    } else {
      result = ResultToJson(r, options.save_samples);
    }
    store.SavePoint(outcome.run_id, p.planned.kind, p.key, result);
    if (callbacks.on_finish) callbacks.on_finish(p, r);
  }
  outcome.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.interrupted = outcome.interrupted || stop_requested();
  store.FinishRun(outcome.run_id, outcome.interrupted ? "interrupted" : "finished");
  return outcome;
}

}  // namespace dli
