// A hand-written report input with realistic values: MobileNetV2 on a
// 2-core host, OpenVINO (FP32 with three parameter sets, INT8), ONNX Runtime
// and TFLite (FP32, INT8), a framework whose name needs escaping, a re-run,
// a timeout and a crash.
#ifndef DLI_TESTS_REPORT_FIXTURE_H
#define DLI_TESTS_REPORT_FIXTURE_H

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/html_report.h"

namespace dli::testing {

inline nlohmann::json ModelJson(const std::string& framework, const std::string& precision) {
  const std::string format = framework == "openvino" ? "openvino_ir"
                             : framework == "tflite" ? "tflite"
                                                     : "onnx";
  return {{"name", "mobilenet_v2"},
          {"path", "models/mobilenet_v2/" + framework + "/" + precision + ".bin"},
          {"sha256", "3f0c" + std::string(60, 'a')},
          {"format", format}};
}

// One dli.result/1 point as ResultToJson writes it. The latency statistics
// follow from the median with a plausible spread; the CI of the median is
// asymmetric like a real order-statistic interval.
inline nlohmann::json PerfPoint(const std::string& framework, const std::string& version,
                                const std::string& precision, int batch, double median_ms,
                                nlohmann::json params = nlohmann::json::object()) {
  return {
      {"task", "image_classification"},
      {"framework", framework},
      {"framework_version", version},
      {"device", "CPU"},
      {"precision", precision},
      {"batch", batch},
      {"params", params},
      {"model", ModelJson(framework, precision)},
      {"iterations", 400},
      {"stop_reason", "ci_target"},
      {"samples_kept", 396},
      {"samples_dropped", 4},
      {"latency_ms",
       {{"median", median_ms},
        {"mean", median_ms * 1.02},
        {"std", median_ms * 0.05},
        {"min", median_ms * 0.93},
        {"max", median_ms * 1.31},
        {"p90", median_ms * 1.06},
        {"p95", median_ms * 1.09},
        {"p99", median_ms * 1.18},
        {"ci95_low", median_ms * 0.985},
        {"ci95_high", median_ms * 1.02}}},
      {"fps", batch * 1000.0 / median_ms},
      {"first_inference_ms", median_ms * 4.2},
      {"load_ms", 180.5},
      {"wall_s", 3.2},
      {"status", "ok"},
      {"error", nullptr},
  };
}

inline nlohmann::json FailedPoint(const std::string& framework, const std::string& version,
                                  const std::string& status, int batch, const std::string& error,
                                  const std::string& stderr_tail) {
  nlohmann::json j = PerfPoint(framework, version, "FP32", batch, 1);
  j["status"] = status;
  j["error"] = error;
  j["stderr_tail"] = stderr_tail;
  j["fps"] = nullptr;
  j["first_inference_ms"] = nullptr;
  j["load_ms"] = nullptr;
  j["iterations"] = 0;
  for (auto& [key, value] : j["latency_ms"].items()) value = nullptr;
  return j;
}

inline nlohmann::json AccuracyResult(const std::string& framework, const std::string& version,
                                     const std::string& precision, int top1, int top5) {
  const int images = 9;
  return {{"framework", framework},
          {"framework_version", version},
          {"device", "CPU"},
          {"precision", precision},
          {"batch", 1},
          {"model", ModelJson(framework, precision)},
          {"status", "ok"},
          {"error", nullptr},
          {"images", images},
          {"top1", top1},
          {"top5", top5},
          {"top1_pct", 100.0 * top1 / images},
          {"top5_pct", 100.0 * top5 / images}};
}

// Median latency (ms) of each batch 1..64, from FPS figures typical of
// MobileNetV2 on 2 cores: throughput rises to batch 4-8, then eases off.
inline std::vector<std::pair<int, double>> Medians(const std::vector<double>& fps) {
  std::vector<std::pair<int, double>> out;
  int batch = 1;
  for (double f : fps) {
    out.emplace_back(batch, batch * 1000.0 / f);
    batch *= 2;
  }
  return out;
}

inline ReportInput Fixture() {
  ReportInput in;
  in.title = "MobileNetV2 on test-host";
  in.host = {{"hostname", "test-host"},
             {"cpu", "Intel(R) Xeon(R) CPU @ 2.20GHz"},
             {"logical_cores", 2},
             {"memory_mb", 7940},
             {"os", "Debian GNU/Linux 12 (bookworm)"},
             {"kernel", "6.1.0-18-amd64"}};
  const nlohmann::json tuned = {{"nthreads", "2"}, {"nstreams", "1"}};
  const nlohmann::json one_thread = {{"nthreads", "1"}};
  for (auto [batch, ms] : Medians({212, 251, 262, 266.7, 258, 247, 239}))
    in.performance.push_back(PerfPoint("openvino", "2024.6.0", "FP32", batch, ms));
  for (auto [batch, ms] : Medians({231, 280, 301, 320, 305, 290, 281}))
    in.performance.push_back(PerfPoint("openvino", "2024.6.0", "FP32", batch, ms, tuned));
  for (auto [batch, ms] : Medians({120, 141, 155, 166.7, 160, 152, 149}))
    in.performance.push_back(PerfPoint("openvino", "2024.6.0", "FP32", batch, ms, one_thread));
  for (auto [batch, ms] : Medians({355, 402, 431, 452, 447, 430, 418}))
    in.performance.push_back(PerfPoint("openvino", "2024.6.0", "INT8", batch, ms));
  for (auto [batch, ms] : Medians({190, 214, 226, 229, 221, 212, 205}))
    in.performance.push_back(PerfPoint("onnxruntime", "1.20.1", "FP32", batch, ms));
  for (auto [batch, ms] : Medians({98, 112, 118, 121, 119, 117, 116}))
    in.performance.push_back(PerfPoint("tflite", "2.15.1", "FP32", batch, ms));
  for (auto [batch, ms] : Medians({91, 104, 117, 125, 131, 133, 134}))
    in.performance.push_back(PerfPoint("tflite", "2.15.1", "INT8", batch, ms));
  // A re-run of onnxruntime batch 8 replaces the earlier 229 FPS.
  in.performance.push_back(PerfPoint("onnxruntime", "1.20.1", "FP32", 8, 8000.0 / 233));
  in.performance.push_back(PerfPoint("weird<&>fw", "0.1\"beta\"", "FP32", 4, 40.0));
  in.performance.push_back(FailedPoint("tensorflow", "2.15.1", "timeout", 64,
                                       "point timed out after 600 s",
                                       "2025-01-31 12:00:01 I tensorflow/core: <oneDNN> on\n"
                                       "still running batch 64"));
  in.performance.push_back(FailedPoint("mxnet", "1.9.1", "crashed", 1,
                                       "worker killed by signal 11 (SIGSEGV)",
                                       "Segmentation fault in libmxnet.so"));
  in.accuracy = {AccuracyResult("openvino", "2024.6.0", "FP32", 8, 9),
                 AccuracyResult("openvino", "2024.6.0", "INT8", 7, 9),
                 AccuracyResult("onnxruntime", "1.20.1", "FP32", 8, 9),
                 AccuracyResult("tflite", "2.15.1", "FP32", 8, 9),
                 AccuracyResult("tflite", "2.15.1", "INT8", 8, 9)};
  nlohmann::json failed_accuracy = AccuracyResult("mxnet", "1.9.1", "FP32", 0, 0);
  failed_accuracy["status"] = "failed";
  failed_accuracy["error"] = "cannot load model: MXNetError <symbol> missing";
  in.accuracy.push_back(failed_accuracy);
  in.dataset = {
      {"root", "data/sanity"}, {"format", "manifest"}, {"images", 9}, {"sanity_only", true}};
  in.notes = {"sanity set of 9 photos, not ImageNet accuracy"};
  return in;
}

}  // namespace dli::testing

#endif  // DLI_TESTS_REPORT_FIXTURE_H
