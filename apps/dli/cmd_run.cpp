// `dli run FILE`: runs an experiment (accuracy and performance points, each
// in its own process) into the results database, resumably.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/dataset.h"
#include "core/error.h"
#include "core/experiment.h"
#include "core/host.h"
#include "accuracy/images.h"
#include "core/isolation.h"
#include "core/backend_probe.h"
#include "report/report.h"
#include "core/sha256.h"
#include "store/store.h"
#include "core/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli::cli {
namespace {

std::string Duration(double s) {
  const long total = static_cast<long>(s + 0.5);
  if (total >= 3600)
    return std::to_string(total / 3600) + "h" + std::to_string(total % 3600 / 60) + "m";
  if (total >= 60) return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
  return std::to_string(total) + "s";
}

std::string Describe(const PlannedPoint& p) {
  const PointSpec& s = p.spec;
  if (p.kind == "accuracy") return "accuracy " + s.framework + " " + s.device + " " + s.precision;
  return s.framework + " " + s.device + " " + s.precision + " batch " + std::to_string(s.batch) +
         (s.params.empty() ? "" : " " + ParamsText(s.params));
}

// What makes two measurements the same, for resuming: the model's content,
// the point's coordinates, its input and its measurement settings.
json Identity(const PlannedPoint& p, const std::string& model_sha256, const std::string& dataset) {
  const PointSpec& s = p.spec;
  json params = json::object();
  for (const auto& [k, v] : s.params) params[k] = v;
  json id = {{"kind", p.kind},           {"model_sha256", model_sha256},
             {"format", s.model_format}, {"framework", s.framework},
             {"device", s.device},       {"precision", s.precision},
             {"batch", s.batch},         {"params", params}};
  if (p.kind == "accuracy") {
    id["dataset"] = dataset;
  } else {
    id["images"] = s.input.images_dir;
    id["max_images"] = s.input.max_images;
    id["measure"] = {{"iterations", s.measure.stop.iterations},
                     {"time_limit_s", s.measure.stop.time_limit_s},
                     {"ci_target_rel", s.measure.stop.ci_target_rel},
                     {"min_iterations", s.measure.stop.min_iterations},
                     {"min_time_s", s.measure.stop.min_time_s},
                     {"warmup", s.measure.warmup}};
  }
  return id;
}

void PrintPlan(const std::vector<PlannedPoint>& plan, const std::vector<std::string>& state,
               std::ostream& out) {
  TextTable table(
      {"#", "kind", "framework", "device", "precision", "batch", "params", "model", "plan"});
  size_t index = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PointSpec& s = plan[i].spec;
    table.AddRow({std::to_string(++index), plan[i].kind, s.framework, s.device, s.precision,
                  plan[i].kind == "accuracy" ? "-" : std::to_string(s.batch), ParamsText(s.params),
                  s.model_format.empty() ? s.model_name : s.model_format, state[i]});
  }
  table.Print(out);
}

}  // namespace

int RunExperiment(int argc, char** argv) {
  Args args("dli run FILE [--dry-run] [--db FILE] [--rerun] [--save-samples]",
            "Runs an experiment file (docs/EXPERIMENTS.md): the cartesian product of its models,\n"
            "frameworks, devices, precisions, batch sizes and parameter axes, each point in its\n"
            "own process, into the results database. Points a backend does not support are\n"
            "skipped and listed. Ctrl-C stops cleanly; running again resumes, skipping points\n"
            "already finished with the same model hash and parameters.",
            {{"dry-run", "", "show the plan and exit"},
             {"db", "FILE", "results database (default results/dli.sqlite)"},
             {"rerun", "", "run every point again, even finished ones"},
             {"save-samples", "", "store every request's duration in the database"}},
            /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected one experiment file (see --help)");
  const Experiment e = LoadExperiment(args.positional()[0]);

  const std::string self = SelfExecutable();
  std::map<std::string, BackendInfo> backends;
  for (const BackendEntry& entry : DiscoverBackends(BackendSearchDirs()))
    backends[entry.name] = DescribeBackendIsolated(entry, self);
  const std::vector<PlannedPoint> plan = PlanExperiment(e, backends);

  std::optional<Dataset> dataset;
  if (e.accuracy) {
    DatasetOptions o;
    o.labels_file = e.dataset_labels;
    o.classes_file = e.dataset_classes;
    o.limit = e.dataset_limit;
    dataset = LoadDataset(e.dataset, o);
  }
  std::vector<std::string> files;
  if (dataset)
    for (const LabelledImage& li : dataset->items) files.push_back(li.path);
  if (!e.images.empty()) CheckImageFolder(e.images);

  const std::string db_path = args.Get("db", "results/dli.sqlite");
  if (fs::path(db_path).has_parent_path()) fs::create_directories(fs::path(db_path).parent_path());
  ResultStore store(db_path);

  // Model hashes, once per file, for the resume keys.
  std::map<std::string, std::string> sha_of;
  std::vector<std::string> keys(plan.size()), state(plan.size());
  size_t to_run = 0, skipped = 0, done = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedPoint& p = plan[i];
    if (!p.skip_reason.empty()) {
      state[i] = "skip: " + p.skip_reason;
      ++skipped;
      continue;
    }
    if (!sha_of.count(p.spec.model_path)) sha_of[p.spec.model_path] = Sha256Path(p.spec.model_path);
    keys[i] = PointKey(Identity(p, sha_of[p.spec.model_path], e.dataset));
    if (!args.Has("rerun") && store.HasFinished(keys[i])) {
      state[i] = "done";
      ++done;
    } else {
      state[i] = "run";
      ++to_run;
    }
  }
  std::cout << "experiment " << e.name << ": " << plan.size() << " points, " << to_run
            << " to run, " << done << " already done, " << skipped << " skipped\n";
  if (args.Has("dry-run")) {
    PrintPlan(plan, state, std::cout);
    return kExitOk;
  }

  json config = {{"file", fs::absolute(e.file).string()},
                 {"name", e.name},
                 {"db", db_path},
                 {"points", plan.size()}};
  const int64_t run_id = store.BeginRun(e.name, config, HostToJson(ReadHostInfo()));
  InstallInterruptHandler();
  const bool tty = isatty(STDERR_FILENO);
  const auto started = std::chrono::steady_clock::now();
  size_t finished = 0, failed = 0;
  // ETA from the mean time of each kind so far (accuracy points are quick).
  std::map<std::string, double> spent_s;
  std::map<std::string, size_t> finished_of, left_of;
  for (size_t i = 0; i < plan.size(); ++i)
    if (state[i] == "run") ++left_of[plan[i].kind];
  auto eta = [&]() -> std::string {
    if (finished == 0) return "?";
    double spent_total = 0;
    for (const auto& [kind, s] : spent_s) spent_total += s;
    double left = 0;
    for (const auto& [kind, n] : left_of) {
      const size_t done_kind = finished_of[kind];
      const double mean = done_kind > 0 ? spent_s[kind] / static_cast<double>(done_kind)
                                        : spent_total / static_cast<double>(finished);
      left += mean * static_cast<double>(n);
    }
    return Duration(left);
  };

  for (size_t i = 0; i < plan.size() && !Interrupted(); ++i) {
    if (state[i] != "run") continue;
    const PlannedPoint& p = plan[i];
    PointSpec spec = p.spec;
    if (p.kind == "accuracy") {
      spec.input.files = files;
      spec.timeout_s = std::max(spec.timeout_s, 600 + 2.0 * static_cast<double>(files.size()));
    }
    std::cerr << (tty ? "\r\033[K" : "") << "[" << finished + 1 << "/" << to_run << "] ETA "
              << eta() << "  " << Describe(p) << " ..." << (tty ? "" : "\n") << std::flush;
    PointResult r = RunPointIsolated(spec, self);
    if (r.status == "interrupted") break;
    spent_s[p.kind] += r.wall_s;
    ++finished_of[p.kind];
    --left_of[p.kind];
    ++finished;
    json result;
    if (p.kind == "accuracy") {
      const int offset = spec.label_offset;
      result = AccuracyToJson(r, *dataset, offset, ScorePredictions(r, *dataset, offset));
    } else {
      result = ResultToJson(r, args.Has("save-samples"));
    }
    store.SavePoint(run_id, p.kind, keys[i], result);
    if (!r.ok()) {
      ++failed;
      std::cerr << (tty ? "\r\033[K" : "") << "failed: " << Describe(p) << ": " << r.status << ": "
                << r.error << "\n";
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << (tty ? "\r\033[K" : "");
  if (Interrupted()) {
    store.FinishRun(run_id, "interrupted");
    std::cout << "interrupted after " << finished << " of " << to_run
              << " points; they are saved in " << db_path << ". Run again to resume.\n";
    return 130;
  }
  store.FinishRun(run_id, "finished");
  std::cout << "finished " << finished << " points in " << Duration(wall) << " (" << failed
            << " failed, " << skipped << " skipped, " << done << " already done) -> " << db_path
            << " run " << run_id << "\n"
            << "next: dli report --db " << db_path << " --out results/report.html\n";
  return failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace dli::cli
