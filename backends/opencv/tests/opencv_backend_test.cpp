// Tests of the OpenCV DNN plugin through its C ABI: the tiny network in ONNX
// and Caffe form against torch's outputs, the real MobileNetV2 against the
// PyTorch reference logits, the parameters, and the errors for bad input.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "dli/plugin_testing.h"

namespace {

using dli::testing::FloatArray;
using dli::testing::LoadedPlugin;
using dli::testing::MaxAbsDiff;
using dli::testing::OpenRequest;
using dli::testing::PluginSession;
using dli::testing::ReadNpy;
using dli::testing::RequiredEnv;
using dli::testing::SplitBatches;
using Params = std::vector<std::pair<std::string, std::string>>;

const dli_plugin& Api() {
  static LoadedPlugin plugin(RequiredEnv("DLI_TEST_PLUGIN"));
  return plugin.api();
}

std::string TinyFile(const std::string& name) {
  return RequiredEnv("DLI_TEST_TINY_DIR") + "/" + name;
}

OpenRequest TinyRequest(const std::string& file, int batch, const Params& params = {}) {
  OpenRequest request;
  request.model_path = TinyFile(file);
  request.batch = batch;
  request.params = params;
  return request;
}

std::string OpenError(const OpenRequest& request) {
  PluginSession session(Api(), request);
  EXPECT_FALSE(session.ok()) << request.model_path << " opened";
  return session.error();
}

// Runs the two tiny inputs through `file` at batch 1 and at batch 2, checks
// the tensor descriptions, and returns the largest difference from torch's
// outputs over both runs.
float TinyMaxDiff(const std::string& file, const std::string& input_name,
                  const Params& params = {}) {
  const FloatArray input = ReadNpy(TinyFile("input.npy"));
  const FloatArray expected = ReadNpy(TinyFile("expected.npy"));
  float largest = 0;
  for (int batch : {1, 2}) {
    PluginSession session(Api(), TinyRequest(file, batch, params));
    EXPECT_TRUE(session.ok()) << session.error();
    if (!session.ok()) return INFINITY;
    const dli_tensor_info in = session.Input();
    EXPECT_EQ(std::string(in.name), input_name);
    EXPECT_EQ(in.dtype, DLI_DTYPE_F32);
    EXPECT_EQ(in.layout, DLI_LAYOUT_NCHW);
    EXPECT_EQ(std::vector<int64_t>(in.shape, in.shape + in.rank),
              (std::vector<int64_t>{batch, 3, 32, 32}));
    const dli_tensor_info out = session.Output();
    EXPECT_EQ(std::vector<int64_t>(out.shape, out.shape + out.rank),
              (std::vector<int64_t>{batch, 10}));
    const auto outputs = session.Run(SplitBatches(input, batch));
    EXPECT_TRUE(outputs.has_value()) << session.error();
    if (!outputs) return INFINITY;
    largest = std::max(largest, MaxAbsDiff(*outputs, expected.values));
  }
  return largest;
}

TEST(OpenCvBackend, ProbeReportsVersionDevicesAndParams) {
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_STREQ(Api().framework_version(), "4.6.0");
  // Debian's build has no usable OpenCL device here, hence no FP16 target.
  EXPECT_STREQ(Api().devices(), "CPU");
  EXPECT_STREQ(Api().precisions(), "FP32");
  EXPECT_NE(std::string(Api().notes()).find("backends in this build: OPENCV"), std::string::npos)
      << Api().notes();
  ASSERT_EQ(Api().n_params, 2u);
  EXPECT_STREQ(Api().params[0].name, "threads");
  EXPECT_STREQ(Api().params[1].name, "backend");
  EXPECT_STREQ(Api().params[1].choices, "OPENCV");
}

TEST(OpenCvBackend, TinyOnnxMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff("tiny.onnx", "input"), 1e-4f);
}

TEST(OpenCvBackend, TinyCaffeMatchesTorchAtBatch1And2) {
  // OpenCV does not say what a Caffe input is called.
  EXPECT_LE(TinyMaxDiff("tiny.prototxt", ""), 1e-4f);
}

TEST(OpenCvBackend, ParametersAreAccepted) {
  EXPECT_LE(TinyMaxDiff("tiny.onnx", "input", {{"threads", "1"}, {"backend", "OPENCV"}}), 1e-4f);
}

TEST(OpenCvBackend, RingBufferBatchesAreBoundInTurn) {
  const FloatArray input = ReadNpy(TinyFile("input.npy"));
  const FloatArray expected = ReadNpy(TinyFile("expected.npy"));
  PluginSession session(Api(), TinyRequest("tiny.onnx", 1));
  ASSERT_TRUE(session.ok()) << session.error();
  const auto outputs = session.Run({input.Slice(1, 1), input.Slice(0, 1), input.Slice(1, 1)});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  std::vector<float> reference = expected.Slice(1, 1);
  for (float v : expected.Slice(0, 1)) reference.push_back(v);
  for (float v : expected.Slice(1, 1)) reference.push_back(v);
  EXPECT_LE(MaxAbsDiff(*outputs, reference), 1e-4f);
}

TEST(OpenCvBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  for (int batch : {1, 2}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    dli::testing::ExpectAgreesWithCheckSet(Api(), "opencv", batch, 1e-4f);
  }
}

TEST(OpenCvBackend, CommonBadInputsAreRejected) {
  dli::testing::ExpectCommonInputErrors(Api(), TinyRequest("tiny.onnx", 1));
}

TEST(OpenCvBackend, ForeignFilesAndBadParametersGiveClearErrors) {
  EXPECT_EQ(OpenError(TinyRequest("absent.onnx", 1)),
            "model file not found: " + TinyFile("absent.onnx"));
  EXPECT_EQ(OpenError(TinyRequest("input.npy", 1)),
            "opencv: cannot read '" + TinyFile("input.npy") +
                "': expected ONNX (.onnx) or Caffe (.prototxt + .caffemodel)");
  EXPECT_EQ(OpenError(TinyRequest("not_a_model.onnx", 1)),
            "opencv: cannot read '" + TinyFile("not_a_model.onnx") +
                "': not an ONNX model (protobuf parse failed)");
  EXPECT_EQ(OpenError(TinyRequest("tiny.caffemodel", 1)),
            "opencv: '" + TinyFile("tiny.caffemodel") +
                "' holds Caffe weights; pass the network's .prototxt as the "
                "model (its .caffemodel is found next to it)");
  OpenRequest no_weights = TinyRequest("tiny.prototxt", 1);
  no_weights.weights_path = TinyFile("absent.caffemodel");
  EXPECT_EQ(OpenError(no_weights), "weights file not found: " + TinyFile("absent.caffemodel") +
                                       " (a Caffe .prototxt needs its .caffemodel)");
  EXPECT_EQ(OpenError(TinyRequest("tiny.onnx", 1, {{"backend", "CUDA"}})),
            "parameter backend=CUDA: expected one of OPENCV");
  EXPECT_EQ(OpenError(TinyRequest("tiny.onnx", 1, {{"threads", "0"}})),
            "parameter threads=0: expected an integer >= 1");
}

}  // namespace
