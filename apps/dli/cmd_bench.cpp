// `dli bench`: one model on one framework, one point per batch size.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>

#include "accuracy/images.h"
#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/host.h"
#include "core/point.h"
#include "core/repeated_point.h"
#include "core/repetitions.h"
#include "core/text.h"
#include "exec/executor.h"
#include "report/report.h"
#include "study/frameworks.h"

namespace dli::cli {
namespace {

// The document, every repetition in "results", with the seed of the order
// and each batch's aggregate over its repetitions.
nlohmann::json BenchDocument(const std::vector<PointResult>& results, const HostInfo& host,
                             bool with_samples, size_t repetitions, uint32_t seed) {
  nlohmann::json doc = ResultsDocument(results, host, with_samples);
  doc["repetitions"] = repetitions;
  if (repetitions > 1) doc["seed"] = seed;
  doc["aggregates"] = nlohmann::json::array();
  for (const RepeatedPoint& p : GroupRepetitions(results)) {
    nlohmann::json a = AggregateToJson(p);
    a["batch"] = p.first().spec.batch;
    doc["aggregates"].push_back(std::move(a));
  }
  return doc;
}

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

// One line per batch: the aggregate FPS with its between-repetition
// interval and the two spreads (docs/METHODOLOGY.md).
void PrintAggregates(const std::vector<PointResult>& results, std::ostream& out) {
  TextTable table({"batch", "reps", "FPS", "FPS 95% interval", "method", "within", "between",
                   "max/min", "flagged"});
  for (const RepeatedPoint& p : GroupRepetitions(results)) {
    const RepetitionAggregate& a = p.latency;
    const bool ok = p.ok > 0;
    table.AddRow(
        {std::to_string(p.first().spec.batch),
         std::to_string(p.ok) + "/" + std::to_string(p.repetitions.size()),
         ok ? FormatFixed(p.fps, 1) : "-",
         ok ? FormatFixed(p.fps_interval.low, 1) + " .. " + FormatFixed(p.fps_interval.high, 1)
            : "-",
         ok ? RepetitionIntervalName(a.method) : "-",
         ok ? FormatFixed(100 * a.within_spread, 1) + "%" : "-",
         ok ? FormatFixed(100 * a.between_spread, 1) + "%" : "-",
         ok ? FormatFixed(a.max_min_ratio, 3) : "-", std::to_string(p.flagged)});
  }
  table.Print(out);
}

std::string PointLabel(const PointSpec& s) {
  return s.framework + " " + s.device + " " + s.precision + " batch " + std::to_string(s.batch) +
         (s.params.empty() ? "" : " " + ParamsText(s.params)) +
         (IsThroughput(s) ? " " + MeasureModeText(s) : "");
}

}  // namespace

int RunBench(int argc, char** argv) {
  Args args(
      "dli bench --model PATH|NAME --framework NAME [options]",
      "Measures inference latency and throughput of one model on one framework, for each\n"
      "batch size, with the DLI methodology: inputs prepared before timing into a ring\n"
      "buffer of batches, sequential requests, 3-sigma outlier filter, latency = median,\n"
      "FPS = batch / latency. Each batch size runs in its own process; with\n"
      "--repetitions K each runs K times, in a shuffled round-robin order, and is\n"
      "reported as the median of the K medians with a between-repetition interval.\n"
      "--mode throughput keeps --requests N requests in flight (one session each) and\n"
      "reports images per second of the measured window.",
      {{"model", "PATH|NAME", "model file, or a prepared model name (e.g. mobilenet_v2)"},
       {"framework", "NAME", "backend, see `dli info` (e.g. openvino, opencv)"},
       {"device", "DEV", "device (default CPU)"},
       {"precision", "P", "FP32, FP16, INT8... (default FP32)"},
       {"batch", "LIST", "comma-separated batch sizes (default 1)"},
       {"iterations", "N", "timed requests per point (default 1000; 0 with --time-limit)"},
       {"time-limit", "SEC", "stop a point after SEC seconds of timed requests"},
       {"ci-target", "REL",
        "adaptive stop once the median's 95% CI is narrower than REL (e.g. 0.02)"},
       {"min-iterations", "N", "adaptive stopping never stops before N requests (default 30)"},
       {"min-time", "SEC", "...nor before SEC seconds of timed requests (default 0)"},
       {"warmup", "N", "warm-up requests, excluded from statistics (default 5)"},
       {"mode", "latency|throughput",
        "one request at a time (default), or --requests N in flight at once"},
       {"requests", "N", "throughput mode: requests in flight, one session each (default 1)"},
       {"param", "KEY=VALUE", "framework parameter (repeatable; see `dli info`)", true},
       {"images", "DIR", "real input images (decoded and preprocessed before timing)"},
       {"synthetic", "", "random input data (the default when --images is not given)"},
       {"max-images", "N", "images or synthetic samples in the ring buffer (default 320)"},
       {"timeout", "SEC", "kill a point that runs longer (default 600)"},
       {"repetitions", "K",
        "measure each batch K times, each in a fresh process, interleaved (default 1)"},
       {"seed", "N", "shuffle seed of the interleaved order (default: a fresh one, printed)"},
       {"no-wait", "", "fail at once when another dli holds the measurement lock"},
       {"json", "FILE", "write results as JSON (schema dli.result/1)"},
       {"csv", "FILE", "write results as CSV"},
       {"save-samples", "", "include every request's duration in the JSON"},
       {"quiet", "", "no progress lines"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }

  // Everything the user typed is validated before any point runs.
  PointSpec base;
  base.framework = args.Require("framework");
  const std::string model_arg = args.Require("model");
  base.device = args.Get("device", "CPU");
  base.precision = ToUpper(args.Get("precision", "FP32"));
  const std::vector<int> batches = ParseBatchList(args.Get("batch", "1"));
  base.params = ParseParams(args.GetAll("param"));
  base.measure.warmup = static_cast<size_t>(args.GetInt("warmup", 5, 0));
  base.measure.stop.time_limit_s = args.GetDouble("time-limit", 0, 0);
  base.measure.stop.iterations = static_cast<size_t>(
      args.GetInt("iterations", base.measure.stop.time_limit_s > 0 ? 0 : 1000, 0));
  base.measure.stop.ci_target_rel = args.GetDouble("ci-target", 0, 0);
  base.measure.stop.min_iterations = static_cast<size_t>(args.GetInt("min-iterations", 30, 1));
  base.measure.stop.min_time_s = args.GetDouble("min-time", 0, 0);
  if (const std::string err = ValidateStopRule(base.measure.stop); !err.empty())
    throw UsageError(err);
  base.measure.mode = args.Get("mode", kLatencyMode);
  base.measure.requests = static_cast<size_t>(args.GetInt("requests", 1, 0));
  if (const std::string err = ValidateMeasureMode(base.measure); !err.empty())
    throw UsageError(err);
  base.input.max_images = static_cast<size_t>(args.GetInt("max-images", 320, 1));
  base.timeout_s = args.GetDouble("timeout", 600, 1);
  base.save_samples = args.Has("save-samples");
  const size_t repetitions = static_cast<size_t>(args.GetInt("repetitions", 1, 1));
  const uint32_t seed = SeedOption(args.Get("seed")).value_or(NewStudySeed());
  if (args.Has("images") && args.Has("synthetic"))
    throw UsageError("--images and --synthetic exclude each other");
  if (args.Has("images")) {
    base.input.images_dir = args.Get("images");
    CheckImageFolder(base.input.images_dir);
  }

  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  const BackendInfo backend = FrameworkCatalog(*executor).Require(base.framework);
  ValidateAgainstBackend(backend, base);
  if (IsThroughput(base))
    if (const std::string err = ThroughputRefusal(backend); !err.empty()) throw UsageError(err);

  ApplyModel(base, ResolveModel(model_arg, base.framework, base.precision));

  const bool quiet = args.Has("quiet");
  if (!quiet)
    std::cerr << "model: " << base.model_path << "\ninput: "
              << (base.input.images_dir.empty() ? "synthetic" : base.input.images_dir) << "\n";
  const HostInfo host = ReadHostInfo();
  // One repetition keeps the batches in the order given: nothing to interleave.
  std::vector<Visit> order;
  if (repetitions == 1)
    for (size_t i = 0; i < batches.size(); ++i) order.push_back({i, 0});
  else
    order = InterleavedOrder(batches.size(), repetitions, seed);
  if (!quiet && repetitions > 1)
    std::cerr << repetitions << " repetitions per batch, order seed " << seed << "\n";
  const MeasurementLock lock = TakeMeasurementLock(args.Has("no-wait"));
  std::vector<PointResult> results;
  double first_reference_ms = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    PointSpec spec = base;
    spec.batch = batches[order[i].point];
    const std::string label =
        "[" + std::to_string(i + 1) + "/" + std::to_string(order.size()) + "] " + PointLabel(spec) +
        (repetitions > 1 ? " rep " + std::to_string(order[i].repetition + 1) : "") + " ...";
    if (!quiet) std::cerr << label << std::flush;
    // On a terminal the worker's progress updates the point's line in place.
    ProgressCallback progress;
    if (!quiet && isatty(STDERR_FILENO))
      progress = [&](const std::string& line) {
        std::cerr << "\r\033[K" << label << " " << line << std::flush;
      };
    results.push_back(executor->Run(spec, progress));
    if (progress) std::cerr << "\r\033[K" << label;
    PointResult& r = results.back();
    r.repetition = order[i].repetition;
    if (first_reference_ms <= 0) first_reference_ms = r.machine.reference_before_ms;
    ApplyDrift(r, first_reference_ms);
    if (!quiet)
      std::cerr << (r.ok() ? " " + FormatFixed(r.fps, 1) + " FPS, median " +
                                 FormatFixed(r.latency.median, 3) + " ms"
                           : " " + r.status + ": " + r.error)
                << " (" << FormatFixed(r.wall_s, 1) << " s)"
                << (r.flags.empty() ? "" : " " + FlagsText(r)) << "\n";
    SaveResults(args, results, host, repetitions, seed);
  }
  std::cout << "\n";
  if (repetitions > 1) {
    PrintAggregates(results, std::cout);
    std::cout << "order seed " << seed << " (reproduce with --seed " << seed << ")\n";
  } else {
    PrintResultsTable(results, std::cout);
  }
  for (const PointResult& r : results)
    if (!r.ok()) return kExitFailed;
  return kExitOk;
}

}  // namespace dli::cli
