// `dli tune`: the best launch parameters of one model on one framework, per
// measurement mode, within a time budget (docs/METHODOLOGY.md, "Tuning").
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "accuracy/images.h"
#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/host.h"
#include "core/point.h"
#include "core/text.h"
#include "exec/executor.h"
#include "report/report.h"
#include "study/frameworks.h"
#include "study/tuning.h"
#include "tune/space.h"

namespace dli::cli {
namespace {

Args TuneArgs() {
  return Args(
      "dli tune --model PATH|NAME --framework NAME [options]",
      "Searches one framework's launch parameters for the highest FPS of a model, per\n"
      "measurement mode: batch size, requests in flight (throughput mode) and the backend's\n"
      "intra-op thread count (plus any --tune NAME), each candidate value derived from what\n"
      "the backend declares (`dli info`; docs/METHODOLOGY.md, \"Tuning\").\n"
      "Successive halving within --budget: every configuration is measured briefly, each\n"
      "in a fresh process as `dli bench` measures, the worse half and those whose interval\n"
      "lies wholly below the best one's drop out, and the survivors are measured again for\n"
      "longer. Prints the best configuration of each mode beside the default's figure and\n"
      "the gain. --min-measure must exceed a measurement's loading overhead, or tuning\n"
      "overruns its budget.",
      {{"model", "PATH|NAME", "model file, or a prepared model name (e.g. mobilenet_v2)"},
       {"framework", "NAME", "backend, see `dli info` (e.g. openvino, opencv)"},
       {"device", "DEV", "device (default CPU)"},
       {"precision", "P", "FP32, FP16, INT8... (default FP32)"},
       {"mode", "latency|throughput|all",
        "modes to tune, each with its own best (default all: throughput where the backend "
        "can)"},
       {"budget", "SEC", "seconds of measurements in all (default 60)"},
       {"batch", "LIST", "batch sizes to try (default 1,2,4,8)"},
       {"requests", "LIST",
        "throughput mode: requests in flight to try (default 1,2,4... up to twice the cores)"},
       {"tune", "NAME",
        "also tune this backend parameter (repeatable; choices, bools, ints "
        "with a range)",
        true},
       {"param", "KEY=VALUE", "fixed framework parameter, not tuned (repeatable)", true},
       {"shape", "NAME=AxB",
        "shape of an input the model leaves open, batch first (replaced by each batch size); "
        "repeatable",
        true},
       {"metric", "fps|latency", "maximise FPS (default) or minimise the median latency"},
       {"min-measure", "SEC",
        "shortest measurement of one configuration, loading included (default 2)"},
       {"warmup", "N", "warm-up requests of each measurement (default 3)"},
       {"images", "DIR", "real input images (default: synthetic data)"},
       {"timeout", "SEC", "kill a measurement that runs longer (default 600)"},
       {"no-wait", "", "fail at once when another dli holds the measurement lock"},
       {"json", "FILE", "write the outcome and every measurement as JSON (dli.tune/1)"},
       {"db", "FILE", "also store every measurement as a result in this database"},
       {"quiet", "", "no progress lines"}});
}

std::vector<size_t> DefaultRequests(int cores) {
  std::vector<size_t> out;
  for (size_t n = 1; n <= static_cast<size_t>(2 * cores); n *= 2) out.push_back(n);
  return out;
}

std::vector<size_t> ParseRequestList(const std::string& text) {
  std::vector<size_t> out;
  for (const std::string& part : Split(text, ',')) {
    const auto v = ParseInt(part);
    if (!v || *v < 1)
      throw UsageError("--requests expects positive whole numbers, got '" + part + "'");
    out.push_back(static_cast<size_t>(*v));
  }
  if (out.empty()) throw UsageError("--requests needs at least one request count");
  return out;
}

std::string WithoutMode(const tune::Config& config) {
  tune::Config rest;
  for (const auto& item : config)
    if (item.first != "mode") rest.push_back(item);
  return tune::ConfigText(rest);
}

std::string FigureText(const tune::Figure& f) {
  if (!f.error.empty()) return "failed: " + f.error;
  // An unbounded interval: too few completed requests to bound it.
  auto bound = [](double v) { return std::isfinite(v) ? FormatFixed(v, 1) : std::string("?"); };
  return FormatFixed(f.fps, 1) + " [" + bound(f.ci_low) + ", " + bound(f.ci_high) + "]";
}

}  // namespace

int RunTune(int argc, char** argv) {
  Args args = TuneArgs();
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  PointSpec base;
  base.framework = args.Require("framework");
  const std::string model_arg = args.Require("model");
  base.device = args.Get("device", "CPU");
  base.precision = ToUpper(args.Get("precision", "FP32"));
  base.params = ParseParams(args.GetAll("param"));
  base.shapes = ParseShapeArgs(args.GetAll("shape"));
  base.measure.warmup = static_cast<size_t>(args.GetInt("warmup", 3, 0));
  base.timeout_s = args.GetDouble("timeout", 600, 1);
  const double budget_s = args.GetDouble("budget", 60, 0);
  const double min_measure_s = args.GetDouble("min-measure", 2, 0);
  if (!(min_measure_s > 0)) throw UsageError("--min-measure must be > 0 seconds");
  const std::string metric = args.Get("metric", "fps");
  if (metric != "fps" && metric != "latency")
    throw UsageError("--metric expects fps or latency, got '" + metric + "'");
  const std::string mode = args.Get("mode", "all");
  if (mode != "all" && mode != kLatencyMode && mode != kThroughputMode)
    throw UsageError("--mode expects latency, throughput or all, got '" + mode + "'");
  if (args.Has("images")) {
    base.input.images_dir = args.Get("images");
    CheckImageFolder(base.input.images_dir);
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tune::SpaceRequest request;
  request.batches = ParseBatchList(args.Get("batch", "1,2,4,8"));
  request.requests =
      args.Has("requests") ? ParseRequestList(args.Get("requests")) : DefaultRequests(cores);
  request.params = args.GetAll("tune");
  for (const auto& [name, value] : base.params) request.fixed.push_back(name);
  request.cores = cores;

  const std::unique_ptr<Executor> executor = MakeLocalExecutor();
  const BackendInfo backend = FrameworkCatalog(*executor).Require(base.framework);
  ValidateAgainstBackend(backend, base);
  const std::string refusal = ThroughputRefusal(backend);
  if (mode == kThroughputMode && !refusal.empty()) throw UsageError(refusal);
  if (mode != kThroughputMode) request.modes.push_back(kLatencyMode);
  if (mode != kLatencyMode && refusal.empty()) request.modes.push_back(kThroughputMode);
  if (!refusal.empty() && mode == "all")
    std::cerr << "note: latency mode only: " << refusal << "\n";
  for (size_t n : request.requests) {
    PointSpec check = base;
    check.measure.mode = kThroughputMode;
    check.measure.requests = n;
    if (const std::string err = ValidateMeasureMode(check.measure); !err.empty())
      throw UsageError(err);
  }
  const tune::Space space = tune::LaunchSpace(backend, request);
  // Every configuration is checked against the backend before any runs.
  for (const tune::Config& config : tune::Candidates(space))
    ValidateAgainstBackend(backend, ConfigSpec(base, config));
  const tune::Options options{budget_s, min_measure_s};
  const double minimum = tune::MinimumBudget(space, options);
  if (budget_s < minimum * (1 - 1e-9))
    throw UsageError("--budget " + FormatFixed(budget_s, 1) + " is below the minimum of " +
                     FormatFixed(minimum, 1) + " s (" +
                     std::to_string(tune::Candidates(space).size()) +
                     " configurations measured once for " + FormatFixed(min_measure_s, 1) +
                     " s); raise --budget or narrow --batch/--requests");
  const ResolvedModel model = ResolveModel(model_arg, base.framework, base.precision);
  if (!base.input.images_dir.empty()) RequirePreprocessing(model, "dli tune --images");
  ApplyModel(base, model);

  const bool quiet = args.Has("quiet");
  if (!quiet) {
    std::cerr << "model: " << base.model_path << "\nsearch space:";
    for (const tune::Axis& axis : space.axes)
      std::cerr << " " << axis.name << "=" << Join(axis.values, "|");
    std::cerr << " (" << tune::Candidates(space).size() << " configurations, budget "
              << FormatDuration(budget_s) << ")\n";
  }
  std::optional<ResultStore> store;
  int64_t run_id = 0;
  if (args.Has("db")) {
    store.emplace(args.Get("db"));
    run_id = store->BeginRun("tune " + base.framework,
                             {{"command", "tune"},
                              {"framework", base.framework},
                              {"budget_s", budget_s},
                              {"metric", metric}},
                             HostToJson(ReadHostInfo()));
  }
  const MeasurementLock lock = TakeMeasurementLock(args.Has("no-wait"));
  size_t measured = 0;
  const tune::MeasureFn measure = ExecutorMeasure(
      *executor, base, metric,
      [&](const PointResult& r, const tune::Config& config, double budget) {
        ++measured;
        if (store)
          store->SaveResult(
              run_id, "tune:" + std::to_string(run_id) + ":" + std::to_string(measured), r, false);
        if (!quiet)
          std::cerr << "[" << measured << "] " << tune::ConfigText(config) << " ("
                    << FormatFixed(budget, 1) << " s): "
                    << (r.ok() ? FormatFixed(r.fps, 1) + " FPS" : r.status + ": " + r.error) << " ("
                    << FormatFixed(r.wall_s, 1) << " s)\n";
      });
  const tune::Result result = tune::Tune(space, measure, options);
  if (store) store->FinishRun(run_id, "finished");

  TextTable table({"mode", "best configuration", metric == "fps" ? "FPS [95% CI]" : "1/latency",
                   "default", "default figure", "gain"});
  bool any = false;
  for (const tune::GroupResult& g : result.groups) {
    any = any || !g.best.empty();
    table.AddRow(
        {g.group, g.best.empty() ? "-" : WithoutMode(g.best),
         g.best.empty() ? "every configuration failed" : FigureText(g.best_figure),
         WithoutMode(g.default_config), FigureText(g.default_figure),
         g.gain > 0 ? "x" + FormatFixed(g.gain, 2) + (g.significant ? "" : " (n.s.)") : "-"});
  }
  std::cout << "\n";
  table.Print(std::cout);
  std::cout << "tuned in " << FormatDuration(result.seconds_spent) << " of a "
            << FormatDuration(budget_s) << " budget: " << result.log.size() << " measurements, "
            << result.rounds << " rounds, stopped: " << result.stop_reason << "\n";
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"),
                        TuneToJson(space, result, base, metric, budget_s).dump(2) + "\n");
  return any ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
