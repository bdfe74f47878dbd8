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
#include "core/text.h"
#include "exec/executor.h"
#include "report/report.h"
#include "study/frameworks.h"

namespace dli::cli {
namespace {

// Results are rewritten after every point, so a later crash of dli itself
// (or Ctrl-C) never loses the points already finished.
void SaveResults(const Args& args, const std::vector<PointResult>& results, const HostInfo& host) {
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"),
                        ResultsDocument(results, host, args.Has("save-samples")).dump(2) + "\n");
  if (args.Has("csv")) {
    std::ostringstream csv;
    WriteResultsCsv(results, csv);
    WriteFileAtomically(args.Get("csv"), csv.str());
  }
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
      "FPS = batch / latency. Each batch size runs in its own process. --mode throughput\n"
      "keeps --requests N requests in flight (one session each) and reports images per\n"
      "second of the measured window.",
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
  std::vector<PointResult> results;
  for (size_t i = 0; i < batches.size(); ++i) {
    PointSpec spec = base;
    spec.batch = batches[i];
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(batches.size()) +
                              "] " + PointLabel(spec) + " ...";
    if (!quiet) std::cerr << label << std::flush;
    // On a terminal the worker's progress updates the point's line in place.
    ProgressCallback progress;
    if (!quiet && isatty(STDERR_FILENO))
      progress = [&](const std::string& line) {
        std::cerr << "\r\033[K" << label << " " << line << std::flush;
      };
    results.push_back(executor->Run(spec, progress));
    if (progress) std::cerr << "\r\033[K" << label;
    const PointResult& r = results.back();
    if (!quiet)
      std::cerr << (r.ok() ? " " + FormatFixed(r.fps, 1) + " FPS, median " +
                                 FormatFixed(r.latency.median, 3) + " ms"
                           : " " + r.status + ": " + r.error)
                << " (" << FormatFixed(r.wall_s, 1) << " s)\n";
    SaveResults(args, results, host);
  }
  std::cout << "\n";
  PrintResultsTable(results, std::cout);
  for (const PointResult& r : results)
    if (!r.ok()) return kExitFailed;
  return kExitOk;
}

}  // namespace dli::cli
