// Typed results for the report's derived views: latency- and throughput-mode
// points with and without tuned parameters, repetitions with machine records
// and flags, two targets and two models.
#ifndef DLI_TESTS_REPORT_VIEWS_FIXTURE_H
#define DLI_TESTS_REPORT_VIEWS_FIXTURE_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/point.h"

namespace dli::testing {

struct PointOptions {
  ParamList params;
  size_t requests = 0;  // > 0: throughput mode with this many requests
  std::string target = "local";
  std::string model = "mobilenet_v2";
  size_t repetition = 0;
  std::string status = "ok";
};

// A successful point at `fps` images per second; in latency mode its median
// latency is batch / fps, in throughput mode `latency_ms` per request.
inline PointResult ViewResult(const std::string& framework, const std::string& precision, int batch,
                              double fps, double latency_ms, const PointOptions& o = {}) {
  PointResult r;
  PointSpec& s = r.spec;
  s.framework = framework;
  s.model_name = o.model;
  s.model_format = "onnx";
  s.precision = precision;
  s.batch = batch;
  s.params = o.params;
  if (o.requests > 0) {
    s.measure.mode = kThroughputMode;
    s.measure.requests = o.requests;
  }
  r.target = o.target;
  r.repetition = o.repetition;
  r.status = o.status;
  if (!r.ok()) {
    r.error = "backend failed";
    return r;
  }
  r.latency.median = latency_ms;
  r.latency.mean = latency_ms;
  r.latency.min = latency_ms * 0.9;
  r.latency.max = latency_ms * 1.2;
  r.latency.p90 = r.latency.p95 = r.latency.p99 = latency_ms * 1.1;
  r.latency.ci95 = {latency_ms * 0.99, latency_ms * 1.01};
  r.latency.samples_total = r.latency.samples_kept = 100;
  r.fps = fps;
  if (o.requests > 0) {
    r.throughput_fps = fps;
    r.throughput_ci95 = {fps * 0.98, fps * 1.02};
    r.completed = 100;
    r.window_ms = 1000;
  }
  return r;
}

// A latency-mode point whose FPS follows from its median latency.
inline PointResult LatencyResult(const std::string& framework, const std::string& precision,
                                 int batch, double fps, const PointOptions& o = {}) {
  return ViewResult(framework, precision, batch, fps, batch * 1000.0 / fps, o);
}

// Adds a measured window `minute` minutes after 2026-01-01 00:00 UTC, an
// interference record and a drift ratio.
inline PointResult WithMachine(PointResult r, double minute, double steal_fraction,
                               double other_cpus, double load, double drift_ratio,
                               std::vector<std::string> flags = {}) {
  const int64_t start = 1767225600000LL + static_cast<int64_t>(minute * 60000);
  r.machine.window_start_utc_ms = start;
  r.machine.window_end_utc_ms = start + 20000;
  r.machine.interference = {{"seconds", 20.0},
                            {"steal_fraction", steal_fraction},
                            {"other_cpus", other_cpus},
                            {"load_before", {load, load, load}},
                            {"load_after", {load, load, load}},
                            {"warnings", nlohmann::json::array()}};
  r.machine.reference_before_ms = r.machine.reference_after_ms = 3 * drift_ratio;
  r.machine.drift_ratio = drift_ratio;
  r.flags = std::move(flags);
  return r;
}

inline std::vector<nlohmann::json> ToJson(const std::vector<PointResult>& results) {
  std::vector<nlohmann::json> out;
  for (const PointResult& r : results) out.push_back(ResultToJson(r, false));
  return out;
}

// One model on one machine, both modes: openvino tuned in both, onnxruntime
// with defaults only, tflite latency only with a failed INT8 point.
inline std::vector<PointResult> ModesResults() {
  const ParamList threads = {{"nthreads", "2"}};
  const ParamList streams = {{"nstreams", "2"}};
  return {
      LatencyResult("openvino", "FP32", 1, 200),
      LatencyResult("openvino", "FP32", 4, 260),
      LatencyResult("openvino", "FP32", 4, 300, {threads}),
      ViewResult("openvino", "FP32", 1, 400, 10, {{}, 4}),
      ViewResult("openvino", "FP32", 1, 450, 9, {streams, 4}),
      ViewResult("openvino", "FP32", 4, 440, 40, {{}, 2}),
      LatencyResult("openvino", "INT8", 1, 350),
      LatencyResult("onnxruntime", "FP32", 1, 180),
      LatencyResult("onnxruntime", "FP32", 8, 230),
      ViewResult("onnxruntime", "FP32", 1, 330, 12, {{}, 4}),
      LatencyResult("tflite", "FP32", 1, 90),
      LatencyResult("tflite", "INT8", 1, 0, {{}, 0, "local", "mobilenet_v2", 0, "failed"}),
  };
}

}  // namespace dli::testing

#endif  // DLI_TESTS_REPORT_VIEWS_FIXTURE_H
