// `dli run FILE`: runs an experiment (accuracy and performance points, each
// in its own process) into the results database, resumably.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "exec/child_process.h"
#include "core/text.h"
#include "exec/executor.h"
#include "exec/targets.h"
#include "machine/doctor.h"
#include "report/report.h"
#include "store/store.h"
#include "study/dispatch.h"
#include "study/runner.h"
#include "study/tuning.h"

namespace fs = std::filesystem;

namespace dli::cli {
namespace {

// Long enough to see other processes and steal, short next to any study.
constexpr double kRunDoctorSeconds = 1.0;

// Accuracy points have no batch: they classify every image once.
std::string Describe(const PlannedPoint& p) {
  const PointSpec& s = p.spec;
  if (p.kind == "accuracy") return "accuracy " + s.framework + " " + s.device + " " + s.precision;
  return PointLabel(s);
}

std::string StateText(const StudyPoint& p) {
  switch (p.state) {
    case PointState::kRun:
      return "run";
    case PointState::kDone:
      return "done";
    case PointState::kSkip:
      break;
  }
  return "skip: " + p.planned.skip_reason;
}

void PrintPlan(const Study& study, std::ostream& out) {
  TextTable table(
      {"#", "kind", "framework", "device", "precision", "batch", "params", "model", "plan"});
  size_t index = 0;
  for (const StudyPoint& p : study.points) {
    const PointSpec& s = p.planned.spec;
    table.AddRow({std::to_string(++index), p.planned.kind, s.framework, s.device, s.precision,
                  p.planned.kind == "accuracy" ? "-" : std::to_string(s.batch),
                  ParamsText(s.params), s.model_format.empty() ? s.model_name : s.model_format,
                  StateText(p)});
  }
  table.Print(out);
}

std::string RepetitionText(size_t repetition, size_t k) {
  return k > 1 ? " (repetition " + std::to_string(repetition + 1) + "/" + std::to_string(k) + ")"
               : std::string();
}

// A target's executor with its frameworks as described before the study, so
// planning does not probe the node again.
class DescribedExecutor final : public Executor {
 public:
  DescribedExecutor(Executor& inner, std::vector<BackendInfo> backends)
      : inner_(inner), backends_(std::move(backends)) {}
  std::vector<BackendInfo> DescribeBackends() override { return backends_; }
  BackendInfo DescribeBackend(const std::string& framework) override {
    for (const BackendInfo& b : backends_)
      if (b.name == framework) return b;
    return inner_.DescribeBackend(framework);
  }
  PointResult Run(const PointSpec& spec, const ProgressCallback& on_progress) override {
    return inner_.Run(spec, on_progress);
  }

 private:
  Executor& inner_;
  const std::vector<BackendInfo> backends_;
};

// The targets of --targets FILE, only those of --only when given.
std::vector<Target> SelectTargets(const Targets& all, const std::string& only) {
  if (only.empty()) return all.targets;
  std::vector<Target> out;
  std::set<std::string> seen;
  for (const std::string& name : Split(only, ','))
    if (seen.insert(Trim(name)).second) out.push_back(all.Find(Trim(name)));
  return out;
}

// `dli run FILE --targets TARGETS`: the study on every target at once.
int RunOnTargets(const Args& args, const Experiment& experiment) {
  const Targets all = LoadTargets(args.Get("targets"));
  const std::vector<Target> selected = SelectTargets(all, args.Get("only"));
  CheckSlurmTargetsApart(all, selected);
  std::vector<std::unique_ptr<Executor>> executors;
  std::vector<Executor*> raw;
  std::vector<std::string> names;
  for (const Target& t : selected) {
    executors.push_back(MakeTargetExecutor(all, t));
    raw.push_back(executors.back().get());
    names.push_back(t.name);
  }
  const bool has_local = std::any_of(selected.begin(), selected.end(),
                                     [](const Target& t) { return t.type == TargetType::kLocal; });
  // Measurements on this machine (tuning included) must not overlap another dli's.
  std::optional<MeasurementLock> lock;
  if (has_local && !args.Has("dry-run")) lock.emplace(TakeMeasurementLock(args.Has("no-wait")));
  // Describing a slurm target waits for its allocation: Ctrl-C then cancels the request.
  InstallInterruptHandler();
  std::cout << "describing " << names.size() << " target(s): " << Join(names, ", ") << std::endl;
  const std::vector<TargetDescription> described = DescribeTargets(names, raw);
  if (Interrupted()) {
    std::cout << "interrupted while describing the targets; nothing ran\n";
    return 130;
  }
  for (const TargetDescription& d : described)
    if (!d.node)
      throw UsageError("target " + d.name + " is not usable: " + d.error +
                       " (leave it out with --only)");
  for (const std::string& line : VersionWarnings(described))
    std::cerr << "warning: " << line << "\n";

  const std::string db_path = args.Get("db", "results/dli.sqlite");
  if (fs::path(db_path).has_parent_path()) fs::create_directories(fs::path(db_path).parent_path());
  ResultStore store(db_path);
  std::vector<StudyTarget> targets;
  size_t repetitions_to_run = 0;
  std::cout << "experiment " << experiment.name << " on " << selected.size() << " targets\n";
  for (size_t i = 0; i < selected.size(); ++i) {
    DescribedExecutor planner(*raw[i], described[i].node->backends);
    FrameworkCatalog frameworks(planner);
    StudyTarget t{selected[i].name, selected[i].Slots(), raw[i], PlanStudy(experiment, frameworks),
                  all.failover ? selected[i].hardware_class : ""};
    // With `tune:`, each target tunes on its own hardware, one after another,
    // before any target measures (a dry run only shows the plan).
    if (!args.Has("dry-run"))
      t.study =
          TuneStudy(t.study, *raw[i], TuningFile(db_path, t.name),
                    [&](const std::string& line) { std::cerr << t.name << ": " << line << "\n"; });
    KeyStudyForTarget(t.study, t.name, TargetNode(selected[i]));
    if (!args.Has("rerun")) MarkFinished(t.study, store);
    std::cout << "  " << t.name << " (" << described[i].node->host.hostname << ", "
              << described[i].node->host.cpu_model << "): " << t.study.points.size() << " points, "
              << t.study.Count(PointState::kRun) << " to run, " << t.study.Count(PointState::kDone)
              << " already done, " << t.study.Count(PointState::kSkip) << " skipped; "
              << t.study.RepetitionsToRun() << " repetitions to run\n";
    repetitions_to_run += t.study.RepetitionsToRun();
    if (args.Has("dry-run")) PrintPlan(t.study, std::cout);
    targets.push_back(std::move(t));
  }
  if (args.Has("dry-run")) return kExitOk;

  StudyOptions options{
      db_path, args.Has("save-samples"), SeedOption(args.Get("seed")),
      has_local ? DoctorToJson(DiagnoseMachine(kRunDoctorSeconds)) : nlohmann::json()};
  const size_t k = experiment.repetitions;
  TargetCallbacks callbacks;
  callbacks.on_start = [&](const std::string& target, const StudyPoint& p, size_t repetition,
                           size_t number, size_t count) {
    std::cerr << "[" << number << "/" << count << "] " << target << ": " << Describe(p.planned)
              << RepetitionText(repetition, k) << " ...\n";
  };
  callbacks.on_finish = [&](const std::string& target, const StudyPoint& p, const PointResult& r) {
    if (!r.ok())
      std::cerr << "failed: " << target << ": " << Describe(p.planned)
                << RepetitionText(r.repetition, k) << ": " << r.status << ": " << r.error << "\n";
    else if (!r.flags.empty())
      std::cerr << "flagged: " << target << ": " << Describe(p.planned)
                << RepetitionText(r.repetition, k) << ": " << FlagsText(r) << "\n";
  };
  callbacks.stop_requested = Interrupted;
  const StudyOutcome outcome = RunStudyOnTargets(targets, store, options, callbacks);
  if (k > 1)
    std::cout << "order seed " << outcome.seed << " (reproduce the order with --seed "
              << outcome.seed << ")\n";
  if (outcome.interrupted) {
    std::cout << "interrupted after " << outcome.finished << " of " << repetitions_to_run
              << " repetitions; they are saved in " << db_path << ". Run again to resume.\n";
    return 130;
  }
  std::cout << "finished " << outcome.finished << " repetitions on " << targets.size()
            << " targets in " << FormatDuration(outcome.wall_s) << " (" << outcome.failed
            << " failed, " << outcome.flagged << " flagged) -> " << db_path << " run "
            << outcome.run_id << "\n"
            << "next: dli report --db " << db_path << " --out results/report.html\n";
  return outcome.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

int RunExperiment(int argc, char** argv) {
  Args args(
      "dli run FILE [--dry-run] [--db FILE] [--rerun] [--save-samples] [--seed N]\n"
      "       [--targets TARGETS.yaml [--only NAME,...]]",
      "Runs an experiment file (docs/EXPERIMENTS.md): the cartesian product of its models,\n"
      "frameworks, devices, precisions, batch sizes and parameter axes, each point in its\n"
      "own process, into the results database; with `repetitions: K` each performance\n"
      "point runs K times, interleaved over the points in a shuffled order. Points a\n"
      "backend does not support are skipped and listed. Holds the host's measurement\n"
      "lock while it measures. Ctrl-C stops cleanly; running again resumes, skipping\n"
      "repetitions already finished with the same model hash and parameters.\n"
      "With --targets, every point runs on every target of the targets file\n"
      "(docs/CLUSTER.md) at once, one point at a time per node unless the target has\n"
      "slots; a point's identity includes its target, so resume works per target.",
      {{"dry-run", "", "show the plan and exit"},
       {"db", "FILE", "results database (default results/dli.sqlite)"},
       {"rerun", "", "run every point again, even finished ones"},
       {"save-samples", "", "store every request's duration in the database"},
       {"seed", "N", "shuffle seed of the interleaved order (default: a fresh one, printed)"},
       {"no-wait", "", "fail at once when another dli holds the measurement lock"},
       {"targets", "FILE", "run on the targets of this file (docs/CLUSTER.md)"},
       {"only", "NAME,...", "with --targets: these targets alone"}},
      /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected one experiment file (see --help)");
  if (args.Has("only") && !args.Has("targets")) throw UsageError("--only needs --targets");
  if (args.Has("targets")) return RunOnTargets(args, LoadExperiment(args.positional()[0]));
  const std::optional<uint32_t> seed = SeedOption(args.Get("seed"));
  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  FrameworkCatalog frameworks(*executor);
  Study study = PlanStudy(LoadExperiment(args.positional()[0]), frameworks);

  const std::string db_path = args.Get("db", "results/dli.sqlite");
  if (fs::path(db_path).has_parent_path()) fs::create_directories(fs::path(db_path).parent_path());
  ResultStore store(db_path);
  if (!args.Has("rerun")) MarkFinished(study, store);
  const size_t to_run = study.Count(PointState::kRun), done = study.Count(PointState::kDone),
               skipped = study.Count(PointState::kSkip);
  const size_t k = study.experiment.repetitions;
  std::cout << "experiment " << study.experiment.name << ": " << study.points.size() << " points, "
            << to_run << " to run, " << done << " already done, " << skipped << " skipped";
  if (k > 1)
    std::cout << "; " << k << " repetitions each, " << study.RepetitionsToRun()
              << " repetitions to run";
  std::cout << "\n";
  if (args.Has("dry-run")) {
    PrintPlan(study, std::cout);
    return kExitOk;
  }

  // The machine as the study finds it, before this process holds the lock
  // (the doctor reports another holder of it).
  StudyOptions options{db_path, args.Has("save-samples"), seed,
                       DoctorToJson(DiagnoseMachine(kRunDoctorSeconds)), !args.Has("rerun")};
  const MeasurementLock lock = TakeMeasurementLock(args.Has("no-wait"));

  InstallInterruptHandler();
  const char* clear_line = isatty(STDERR_FILENO) ? "\r\033[K" : "";
  StudyCallbacks callbacks;
  auto repetition_text = [k](size_t repetition) { return RepetitionText(repetition, k); };
  callbacks.on_start = [&](const StudyPoint& p, size_t repetition, size_t number, size_t count,
                           double eta_s) {
    std::cerr << clear_line << "[" << number << "/" << count << "] ETA "
              << (eta_s < 0 ? "?" : FormatDuration(eta_s)) << "  " << Describe(p.planned)
              << repetition_text(repetition) << " ..." << (*clear_line ? "" : "\n") << std::flush;
  };
  callbacks.on_finish = [&](const StudyPoint& p, const PointResult& r) {
    if (!r.ok())
      std::cerr << clear_line << "failed: " << Describe(p.planned) << ": " << r.status << ": "
                << r.error << "\n";
    else if (!r.flags.empty())
      std::cerr << clear_line << "flagged: " << Describe(p.planned) << repetition_text(r.repetition)
                << ": " << FlagsText(r) << "\n";
  };
  callbacks.stop_requested = Interrupted;
  const StudyOutcome outcome = RunStudy(study, *executor, store, options, callbacks);
  if (k > 1)
    std::cout << "order seed " << outcome.seed << " (reproduce the order with --seed "
              << outcome.seed << ")\n";
  std::cerr << clear_line;
  if (outcome.interrupted) {
    std::cout << "interrupted after " << outcome.finished << " of " << study.RepetitionsToRun()
              << " repetitions; they are saved in " << db_path << ". Run again to resume.\n";
    return 130;
  }
  std::cout << "finished " << outcome.finished << (k > 1 ? " repetitions" : " points") << " in "
            << FormatDuration(outcome.wall_s) << " (" << outcome.failed << " failed, "
            << outcome.flagged << " flagged, " << skipped << " skipped, " << done
            << " already done) -> " << db_path << " run " << outcome.run_id << "\n"
            << "next: dli report --db " << db_path << " --out results/report.html\n";
  return outcome.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace dli::cli
