// What the gtests of the bridged backends (backends/tflite,
// backends/onnxruntime) share: the tiny network runs, the bridge's measured
// per-call cost against MobileNetV2's latency, and the one-line form of
// Python exceptions. Builds on backends/sdk/testing/dli/plugin_testing.h.
#ifndef DLI_BRIDGE_TESTING_H
#define DLI_BRIDGE_TESTING_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dli/plugin_testing.h"

namespace dli::testing {

// The bridge's no-op call median from the plugin's notes(), in
// microseconds; negative when notes() does not report it.
inline double BridgeOverheadMicroseconds(const dli_plugin& api) {
  const std::string notes = api.notes();
  const std::string label = "python bridge no-op call: ";
  const size_t at = notes.find(label);
  if (at == std::string::npos) return -1;
  return std::strtod(notes.c_str() + at + label.size(), nullptr);
}

// Median duration of infer() on a bound batch, in microseconds, timed the
// way the core times it.
inline double MedianInferMicroseconds(const dli_plugin& api, const OpenRequest& request,
                                      const std::vector<float>& batch, int iterations) {
  PluginSession session(api, request);
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
inline void ExpectBridgeOverheadBelowOnePercent(const dli_plugin& api,
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

// The tiny test network of backends/sdk/testing/make_tiny_models.py in one
// backend's format: 2 samples of 3x32x32, 10 outputs.
struct TinyModel {
  std::string dir;         // DLI_TEST_TINY_DIR
  std::string model_file;  // e.g. "tiny.onnx"
  std::string input_file;  // input.npy (NCHW) or its NHWC transpose
  dli_layout layout;

  OpenRequest Request(int batch,
                      const std::vector<std::pair<std::string, std::string>>& params = {}) const {
    OpenRequest request;
    request.model_path = dir + "/" + model_file;
    request.batch = batch;
    request.params = params;
    return request;
  }
  std::vector<int64_t> InputShape(int64_t batch) const {
    return layout == DLI_LAYOUT_NHWC ? std::vector<int64_t>{batch, 32, 32, 3}
                                     : std::vector<int64_t>{batch, 3, 32, 32};
  }
};

// Runs both samples at batch 1 and at batch 2, checks the tensor
// descriptions, and returns the largest difference from torch's outputs.
inline float TinyMaxDiff(const dli_plugin& api, const TinyModel& tiny,
                         const std::vector<std::pair<std::string, std::string>>& params = {}) {
  const FloatArray input = ReadNpy(tiny.dir + "/" + tiny.input_file);
  const FloatArray expected = ReadNpy(tiny.dir + "/expected.npy");
  float largest = 0;
  for (int batch : {1, 2}) {
    PluginSession session(api, tiny.Request(batch, params));
    EXPECT_TRUE(session.ok()) << session.error();
    if (!session.ok()) return INFINITY;
    const dli_tensor_info in = session.Input();
    EXPECT_EQ(in.dtype, DLI_DTYPE_F32);
    EXPECT_EQ(in.layout, tiny.layout);
    EXPECT_EQ(std::vector<int64_t>(in.shape, in.shape + in.rank), tiny.InputShape(batch));
    const dli_tensor_info out = session.Output();
    EXPECT_EQ(out.dtype, DLI_DTYPE_F32);
    EXPECT_EQ(std::vector<int64_t>(out.shape, out.shape + out.rank),
              (std::vector<int64_t>{batch, 10}));
    const auto outputs = session.Run(SplitBatches(input, batch));
    EXPECT_TRUE(outputs.has_value()) << session.error();
    if (!outputs) return INFINITY;
    largest = std::max(largest, MaxAbsDiff(*outputs, expected.values));
  }
  return largest;
}

// Three ring-buffer batches (sample 1, sample 0, sample 1) bound in turn:
// each infer() must see the batch bound just before it.
inline void ExpectRingBufferBatchesBoundInTurn(const dli_plugin& api, const TinyModel& tiny) {
  const FloatArray input = ReadNpy(tiny.dir + "/" + tiny.input_file);
  const FloatArray expected = ReadNpy(tiny.dir + "/expected.npy");
  PluginSession session(api, tiny.Request(1));
  ASSERT_TRUE(session.ok()) << session.error();
  const auto outputs = session.Run({input.Slice(1, 1), input.Slice(0, 1), input.Slice(1, 1)});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  std::vector<float> reference;
  for (size_t sample : {1, 0, 1})
    for (float value : expected.Slice(sample, 1)) reference.push_back(value);
  EXPECT_LE(MaxAbsDiff(*outputs, reference), 1e-4f);
}

// The thread that started Python keeps the GIL: a call from another thread
// is refused with a message instead of deadlocking.
inline void ExpectCallsFromAnotherThreadAreRefused(const dli_plugin& api, const TinyModel& tiny) {
  const FloatArray input = ReadNpy(tiny.dir + "/" + tiny.input_file);
  PluginSession session(api, tiny.Request(1));
  ASSERT_TRUE(session.ok()) << session.error();
  ASSERT_TRUE(session.Run({input.Slice(0, 1)}).has_value()) << session.error();
  char err[512] = {};
  int status = DLI_OK;
  std::thread other([&] { status = api.infer(session.handle(), err, sizeof(err)); });
  other.join();
  EXPECT_EQ(status, DLI_ERROR);
  EXPECT_NE(std::string(err).find("thread other than the one that started Python"),
            std::string::npos)
      << err;
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
