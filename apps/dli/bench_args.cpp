#include "bench_args.h"

#include "accuracy/images.h"
#include "cli_common.h"
#include "core/error.h"
#include "core/repetitions.h"
#include "core/text.h"

namespace dli::cli {

Args BenchArgs() {
  return Args(
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
       {"shape", "NAME=AxB",
        "shape of an input the model leaves open, batch first (replaced by each batch size); "
        "repeatable",
        true},
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
}

BenchRequest ParseBenchArgs(const Args& args) {
  BenchRequest request;
  PointSpec& base = request.base;
  base.framework = args.Require("framework");
  request.model = args.Require("model");
  base.device = args.Get("device", "CPU");
  base.precision = ToUpper(args.Get("precision", "FP32"));
  request.batches = ParseBatchList(args.Get("batch", "1"));
  base.params = ParseParams(args.GetAll("param"));
  base.shapes = ParseShapeArgs(args.GetAll("shape"));
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
  request.repetitions = static_cast<size_t>(args.GetInt("repetitions", 1, 1));
  request.seed = SeedOption(args.Get("seed")).value_or(NewStudySeed());
  if (args.Has("images") && args.Has("synthetic"))
    throw UsageError("--images and --synthetic exclude each other");
  if (args.Has("images")) {
    base.input.images_dir = args.Get("images");
    CheckImageFolder(base.input.images_dir);
  }

  return request;
}

}  // namespace dli::cli
