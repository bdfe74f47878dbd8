#include "study/runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>

#include "accuracy/accuracy_json.h"
#include "accuracy/images.h"
#include "core/host.h"
#include "core/repeated_point.h"
#include "core/repetitions.h"
#include "study/resume.h"
#include "study/tuning.h"

using nlohmann::json;

namespace dli {
namespace {

// Time left from the mean time of each kind of point so far: accuracy points
// take a fraction of a performance point's time.
class TimeLeft {
 public:
  explicit TimeLeft(const std::vector<StudyVisit>& visits) {
    for (const auto& [p, repetition] : visits) ++left_of_[p->planned.kind];
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

}  // namespace

PointSpec SpecToRun(const StudyPoint& p, const std::vector<std::string>& dataset_files) {
  PointSpec spec = p.planned.spec;
  if (p.planned.kind == "accuracy") {
    spec.input.files = dataset_files;
    spec.timeout_s =
        std::max(spec.timeout_s, 600 + 2.0 * static_cast<double>(dataset_files.size()));
  }
  return spec;
}

std::vector<StudyVisit> StudyVisits(const Study& study, uint32_t seed) {
  std::vector<StudyVisit> visits;
  std::vector<const StudyPoint*> performance;
  for (const StudyPoint& p : study.points) {
    if (p.state == PointState::kSkip) continue;
    if (p.planned.kind == "accuracy") {
      if (!p.repetition_done.at(0)) visits.emplace_back(&p, 0);
    } else {
      performance.push_back(&p);
    }
  }
  // One repetition keeps the plan order: there is nothing to interleave.
  const size_t k = study.experiment.repetitions;
  std::vector<Visit> order;
  if (k == 1)
    for (size_t i = 0; i < performance.size(); ++i) order.push_back({i, 0});
  else
    order = InterleavedOrder(performance.size(), k, seed);
  for (const Visit& v : order) {
    const StudyPoint* p = performance[v.point];
    if (!p->repetition_done.at(v.repetition)) visits.emplace_back(p, v.repetition);
  }
  return visits;
}

json StudyRunConfig(const Study& study, const StudyOptions& options, uint32_t seed) {
  const Experiment& e = study.experiment;
  json config = {{"file", std::filesystem::absolute(e.file).string()},
                 {"name", e.name},
                 {"db", options.db_path},
                 {"points", study.points.size()},
                 {"repetitions", e.repetitions}};
  if (e.repetitions > 1) config["seed"] = seed;
  if (!options.doctor.is_null()) config["doctor"] = options.doctor;
  return config;
}

json StudyPointJson(const Study& study, const StudyPoint& p, const PointSpec& spec,
                    const PointResult& r, bool save_samples) {
  if (p.planned.kind != "accuracy") return ResultToJson(r, save_samples);
  const int offset = spec.label_offset;
  return AccuracyToJson(r, *study.dataset, offset, ScorePredictions(r, *study.dataset, offset));
}

size_t Study::RepetitionsToRun() const {
  size_t n = 0;
  for (const StudyPoint& p : points)
    if (p.state == PointState::kRun)
      n += static_cast<size_t>(
          std::count(p.repetition_done.begin(), p.repetition_done.end(), false));
  return n;
}

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
  for (size_t i = 0; i < plan.size(); ++i) {
    StudyPoint p{plan[i],
                 keys[i],
                 plan[i].skip_reason.empty() ? PointState::kRun : PointState::kSkip,
                 {},
                 {}};
    if (p.state == PointState::kRun) {
      const size_t n = p.planned.kind == "accuracy" ? 1 : experiment.repetitions;
      for (size_t r = 0; r < n; ++r) p.repetition_keys.push_back(RepetitionKey(p.key, r));
      p.repetition_done.assign(n, false);
    }
    study.points.push_back(std::move(p));
  }
  return study;
}

void MarkFinished(Study& study, ResultStore& store) {
  for (StudyPoint& p : study.points) {
    if (p.state != PointState::kRun) continue;
    for (size_t r = 0; r < p.repetition_keys.size(); ++r)
      p.repetition_done[r] = store.HasFinished(p.repetition_keys[r]);
    if (std::count(p.repetition_done.begin(), p.repetition_done.end(), false) == 0)
      p.state = PointState::kDone;
  }
}

StudyOutcome RunStudy(const Study& planned, Executor& executor, ResultStore& store,
                      const StudyOptions& options, const StudyCallbacks& callbacks) {
  // With `tune:`, the tuned points join the plan first (study/tuning.h).
  Study study = TuneStudy(planned, executor, TuningFile(options.db_path),
                          [](const std::string& line) { std::cerr << line << "\n"; });
  if (options.resume) MarkFinished(study, store);
  const Experiment& e = study.experiment;
  std::vector<std::string> dataset_files;
  if (study.dataset)
    for (const LabelledImage& li : study.dataset->items) dataset_files.push_back(li.path);
  StudyOutcome outcome;
  outcome.seed = options.seed ? *options.seed : NewStudySeed();
  const json config = StudyRunConfig(study, options, outcome.seed);
  auto stop_requested = [&] { return callbacks.stop_requested && callbacks.stop_requested(); };

  outcome.run_id = store.BeginRun(e.name, config, HostToJson(ReadHostInfo()));
  const auto started = std::chrono::steady_clock::now();
  const std::vector<StudyVisit> visits = StudyVisits(study, outcome.seed);
  TimeLeft time_left(visits);
  double first_reference_ms = 0;
  for (const auto& [point, repetition] : visits) {
    const StudyPoint& p = *point;
    if (stop_requested()) break;
    if (callbacks.on_start)
      callbacks.on_start(p, repetition, outcome.finished + 1, visits.size(), time_left.Seconds());
    const PointSpec spec = SpecToRun(p, dataset_files);
    PointResult r = executor.Run(spec);
    if (r.status == "interrupted") {
      outcome.interrupted = true;
      break;
    }
    r.repetition = repetition;
    if (first_reference_ms <= 0) first_reference_ms = r.machine.reference_before_ms;
    ApplyDrift(r, first_reference_ms);
    time_left.Finished(p.planned.kind, r.wall_s);
    ++outcome.finished;
    if (!r.ok()) ++outcome.failed;
    if (!r.flags.empty()) ++outcome.flagged;
    store.SavePoint(outcome.run_id, p.planned.kind, p.repetition_keys.at(repetition),
                    StudyPointJson(study, p, spec, r, options.save_samples));
    if (callbacks.on_finish) callbacks.on_finish(p, r);
  }
  outcome.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.interrupted = outcome.interrupted || stop_requested();
  store.FinishRun(outcome.run_id, outcome.interrupted ? "interrupted" : "finished");
  return outcome;
}

std::vector<PointResult> RunRepeated(Executor& executor, const std::vector<PointSpec>& points,
                                     size_t repetitions, uint32_t seed,
                                     const RepeatedRunCallbacks& callbacks) {
  std::vector<Visit> order;
  if (repetitions == 1)
    for (size_t i = 0; i < points.size(); ++i) order.push_back({i, 0});
  else
    order = InterleavedOrder(points.size(), repetitions, seed);
  std::vector<PointResult> results;
  double first_reference_ms = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const PointSpec& spec = points[order[i].point];
    const ProgressCallback progress =
        callbacks.on_start ? callbacks.on_start(i, order.size(), spec, order[i].repetition)
                           : ProgressCallback();
    results.push_back(executor.Run(spec, progress));
    PointResult& r = results.back();
    r.repetition = order[i].repetition;
    if (first_reference_ms <= 0) first_reference_ms = r.machine.reference_before_ms;
    ApplyDrift(r, first_reference_ms);
    if (callbacks.on_finish) callbacks.on_finish(results);
  }
  return results;
}

}  // namespace dli
