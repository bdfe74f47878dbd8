// What the gtests of the bridged backends (backends/tflite,
// backends/onnxruntime) share on top of
// backends/sdk/testing/dli/backend_testing.h: the bridge's measured per-call
// cost against MobileNetV2's latency, the calls from a thread other than
// Python's, and the one-line form of Python exceptions.
#ifndef DLI_BRIDGE_TESTING_H
#define DLI_BRIDGE_TESTING_H

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "dli/backend_testing.h"

namespace dli::testing {

// The bridge's no-op call median from the backend's notes(), in
// microseconds; negative when notes() does not report it.
inline double BridgeOverheadMicroseconds(const dli_backend& api) {
  const std::string notes = api.notes();
  const std::string label = "python bridge no-op call: ";
  const size_t at = notes.find(label);
  if (at == std::string::npos) return -1;
  return std::strtod(notes.c_str() + at + label.size(), nullptr);
}

// Median duration of infer() on a bound batch, in microseconds, timed the
// way the core times it.
inline double MedianInferMicroseconds(const dli_backend& api, const OpenRequest& request,
                                      const std::vector<float>& batch, int iterations) {
  BackendSession session(api, request);
  EXPECT_TRUE(session.ok()) << session.error();
  if (!session.ok() || !session.Run({batch})) return -1;  // also warms up
  dli_session* handle = session.handle();
  char err[512];
  std::vector<double> durations;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (api.infer(handle, err, sizeof(err)) != DLI_OK) {
      ADD_FAILURE() << err;
      return -1;
    }
    durations.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::nth_element(durations.begin(), durations.begin() + iterations / 2, durations.end());
  return durations[iterations / 2];
}

// The bridge's per-call overhead (notes()) must stay below 1% of the
// backend's MobileNetV2 batch-1 latency, measured here when the model is
// prepared; otherwise below 1% of 1 ms, a floor MobileNetV2 (0.3 GFLOP per
// image) does not reach on a CPU.
inline void ExpectBridgeOverheadBelowOnePercent(const dli_backend& api,
                                                const std::string& framework) {
  char err[512] = {};
  ASSERT_EQ(api.probe(err, sizeof(err)), DLI_OK) << err;
  const double overhead = BridgeOverheadMicroseconds(api);
  ASSERT_GT(overhead, 0.0) << "notes() lacks the overhead: " << api.notes();
  const std::filesystem::path models_dir = RequiredEnv("DLI_MODELS_DIR");
  const auto format = FindPreparedFormat(models_dir, "mobilenet_v2", framework, "FP32");
  const auto check_set = LoadCheckSet(models_dir / "mobilenet_v2");
  double latency = 1000.0;
  if (format && check_set) {
    std::vector<float> image = check_set->input.Slice(0, 1);
    const auto& shape = check_set->input.shape;
    if (format->layout == "NHWC") image = NchwToNhwc(image, 1, shape[1], shape[2], shape[3]);
    OpenRequest request;
    request.model_path = format->path;
    latency = MedianInferMicroseconds(api, request, image, 30);
    ASSERT_GT(latency, 0.0);
  }
  std::printf("bridge no-op call %.3f us; %s %.1f us (1%% = %.2f us)\n", overhead,
              format ? "MobileNetV2 batch-1 latency" : "stated bound (model not prepared)", latency,
              latency / 100);
  EXPECT_LT(overhead, latency / 100) << api.notes();
}

// No thread keeps the GIL between calls: a session opened on one thread
// runs on another (as the request threads of throughput mode do) and back.
inline void ExpectCallsFromAnotherThreadWork(const dli_backend& api, const TinyModel& tiny) {
  const FloatArray input = tiny.Input();
  BackendSession session(api, tiny.Request(1));
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.Run({input.Slice(0, 1)}).has_value()) << session.error();
  char err[512] = {};
  int status = DLI_ERROR;
  std::thread other([&] { status = api.infer(session.handle(), err, sizeof(err)); });
  other.join();
  EXPECT_EQ(status, DLI_OK) << err;
  EXPECT_TRUE(session.Run({input.Slice(0, 1)}).has_value()) << session.error();
}

// A Python exception reaches the user as one line "ExcType: message".
inline void ExpectOneLinePythonError(const std::string& message, const std::string& type) {
  EXPECT_EQ(message.rfind(type + ": ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.find("Traceback"), std::string::npos) << message;
}

}  // namespace dli::testing

#endif  // DLI_BRIDGE_TESTING_H
