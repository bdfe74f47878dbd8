// `dli run FILE`: runs an experiment (accuracy and performance points, each
// in its own process) into the results database, resumably.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "exec/child_process.h"
#include "core/text.h"
#include "exec/executor.h"
#include "machine/doctor.h"
#include "report/report.h"
#include "store/store.h"
#include "study/runner.h"

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

}  // namespace

int RunExperiment(int argc, char** argv) {
  Args args("dli run FILE [--dry-run] [--db FILE] [--rerun] [--save-samples] [--seed N]",
            "Runs an experiment file (docs/EXPERIMENTS.md): the cartesian product of its models,\n"
            "frameworks, devices, precisions, batch sizes and parameter axes, each point in its\n"
            "own process, into the results database; with `repetitions: K` each performance\n"
            "point runs K times, interleaved over the points in a shuffled order. Points a\n"
            "backend does not support are skipped and listed. Holds the host's measurement\n"
            "lock while it measures. Ctrl-C stops cleanly; running again resumes, skipping\n"
            "repetitions already finished with the same model hash and parameters.",
            {{"dry-run", "", "show the plan and exit"},
             {"db", "FILE", "results database (default results/dli.sqlite)"},
             {"rerun", "", "run every point again, even finished ones"},
             {"save-samples", "", "store every request's duration in the database"},
             {"seed", "N", "shuffle seed of the interleaved order (default: a fresh one, printed)"},
             {"no-wait", "", "fail at once when another dli holds the measurement lock"}},
            /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.positional().size() != 1) throw UsageError("expected one experiment file (see --help)");
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
                       DoctorToJson(DiagnoseMachine(kRunDoctorSeconds))};
  const MeasurementLock lock = TakeMeasurementLock(args.Has("no-wait"));

  InstallInterruptHandler();
  const char* clear_line = isatty(STDERR_FILENO) ? "\r\033[K" : "";
  StudyCallbacks callbacks;
  auto repetition_text = [k](size_t repetition) {
    return k > 1 ? " (repetition " + std::to_string(repetition + 1) + "/" + std::to_string(k) + ")"
                 : std::string();
  };
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
            << FormatDuration(outcome.wall_s) << " (" << outcome.failed << " failed, " << outcome.flagged
            << " flagged, " << skipped << " skipped, " << done << " already done) -> " << db_path
            << " run " << outcome.run_id << "\n"
            << "next: dli report --db " << db_path << " --out results/report.html\n";
  return outcome.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace dli::cli
