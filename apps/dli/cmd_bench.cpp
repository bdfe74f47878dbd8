// `dli bench`: one model on one framework, one point per batch size.
#include <unistd.h>

#include <sstream>
#include <iostream>
#include <memory>

#include "accuracy/images.h"
#include "args.h"
#include "bench_args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/host.h"
#include "core/point.h"
#include "core/text.h"
#include "exec/executor.h"
#include "report/report.h"
#include "study/frameworks.h"
#include "study/runner.h"

namespace dli::cli {
namespace {

// Results are rewritten after every repetition, so a later crash of dli
// itself (or Ctrl-C) never loses the repetitions already finished.
void SaveResults(const Args& args, const std::vector<PointResult>& results, const HostInfo& host,
                 size_t repetitions, uint32_t seed) {
  if (args.Has("json"))
    WriteFileAtomically(
        args.Get("json"),
        BenchDocument(results, host, args.Has("save-samples"), repetitions, seed).dump(2) + "\n");
  if (args.Has("csv")) {
    std::ostringstream csv;
    WriteResultsCsv(results, csv);
    WriteFileAtomically(args.Get("csv"), csv.str());
  }
}

}  // namespace

int RunBench(int argc, char** argv) {
  Args args = BenchArgs();
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }

  // Everything the user typed is validated before any point runs.
  const BenchRequest request = ParseBenchArgs(args);
  PointSpec base = request.base;
  const std::string& model_arg = request.model;
  const std::vector<int>& batches = request.batches;
  const size_t repetitions = request.repetitions;
  const uint32_t seed = request.seed;

  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  const BackendInfo backend = FrameworkCatalog(*executor).Require(base.framework);
  ValidateAgainstBackend(backend, base);
  if (IsThroughput(base))
    for (const std::string& err :
         {ThroughputRefusal(backend),
          ValidateRequestCount(base.measure.requests, backend.max_requests)})
      if (!err.empty()) throw UsageError(err);

  const ResolvedModel model = ResolveModel(model_arg, base.framework, base.precision);
  // Refused before anything runs: the worker would fail every point.
  if (!base.input.images_dir.empty()) RequirePreprocessing(model, "dli bench --images");
  ApplyModel(base, model);

  const bool quiet = args.Has("quiet");
  if (!quiet)
    std::cerr << "model: " << base.model_path << "\ninput: "
              << (base.input.images_dir.empty() ? "synthetic" : base.input.images_dir) << "\n";
  const HostInfo host = ReadHostInfo();
  if (!quiet && repetitions > 1)
    std::cerr << repetitions << " repetitions per batch, order seed " << seed << "\n";
  std::vector<PointSpec> points;
  for (int batch : batches) {
    points.push_back(base);
    points.back().batch = batch;
  }
  const MeasurementLock lock = TakeMeasurementLock(args.Has("no-wait"));
  std::string label;
  RepeatedRunCallbacks callbacks;
  callbacks.on_start = [&](size_t i, size_t n, const PointSpec& spec, size_t repetition) {
    label = "[" + std::to_string(i + 1) + "/" + std::to_string(n) + "] " + PointLabel(spec) +
            (repetitions > 1 ? " rep " + std::to_string(repetition + 1) : "") + " ...";
    if (!quiet) std::cerr << label << std::flush;
    // On a terminal the worker's progress updates the point's line in place.
    ProgressCallback progress;
    if (!quiet && isatty(STDERR_FILENO))
      progress = [&](const std::string& line) {
        std::cerr << "\r\033[K" << label << " " << line << std::flush;
      };
    return progress;
  };
  callbacks.on_finish = [&](const std::vector<PointResult>& results) {
    const PointResult& r = results.back();
    if (!quiet)
      std::cerr << (isatty(STDERR_FILENO) ? "\r\033[K" + label : "")
                << (r.ok() ? " " + FormatFixed(r.fps, 1) + " FPS, median " +
                                 FormatFixed(r.latency.median, 3) + " ms"
                           : " " + r.status + ": " + r.error)
                << " (" << FormatFixed(r.wall_s, 1) << " s)"
                << (r.flags.empty() ? "" : " " + FlagsText(r)) << "\n";
    SaveResults(args, results, host, repetitions, seed);
  };
  const std::vector<PointResult> results =
      RunRepeated(*executor, points, repetitions, seed, callbacks);
  std::cout << "\n";
  if (repetitions > 1) {
    PrintAggregatesTable(results, std::cout);
    std::cout << "order seed " << seed << " (reproduce with --seed " << seed << ")\n";
  } else {
    PrintResultsTable(results, std::cout);
  }
  for (const PointResult& r : results)
    if (!r.ok()) return kExitFailed;
  return kExitOk;
}

}  // namespace dli::cli
