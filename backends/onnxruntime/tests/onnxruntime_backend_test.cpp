// Tests of the ONNX Runtime plugin through its C ABI: the tiny network
// against torch's outputs under every parameter, the real MobileNetV2 against
// the PyTorch reference logits, the bridge's overhead, and the errors for
// bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/bridge_testing.h"
#include "dli/plugin_testing.h"

namespace {

using dli::testing::LoadedPlugin;
using dli::testing::OpenRequest;
using dli::testing::PluginSession;
using dli::testing::RequiredEnv;
using dli::testing::TinyModel;

const dli_plugin& Api() {
  static LoadedPlugin plugin(RequiredEnv("DLI_TEST_PLUGIN"));
  return plugin.api();
}

TinyModel Tiny() {
  return {RequiredEnv("DLI_TEST_TINY_DIR"), "tiny.onnx", "input.npy", DLI_LAYOUT_NCHW};
}

std::string OpenError(const OpenRequest& request) {
  PluginSession session(Api(), request);
  EXPECT_FALSE(session.ok()) << request.model_path << " opened";
  return session.error();
}

TEST(OnnxRuntimeBackend, ProbeReportsVersionParamsAndBridgeCost) {
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(std::string(Api().framework_version()).rfind("1.", 0), 0u) << Api().framework_version();
  EXPECT_STREQ(Api().devices(), "CPU");
  EXPECT_STREQ(Api().precisions(), "FP32,FP16,INT8");
  std::string names;
  for (size_t i = 0; i < Api().n_params; ++i) names += std::string(Api().params[i].name) + " ";
  EXPECT_EQ(names, "threads inter_threads opt_level execution_mode ");
  EXPECT_STREQ(Api().params[2].choices, "disable|basic|extended|all");
  EXPECT_GT(dli::testing::BridgeOverheadMicroseconds(Api()), 0.0) << Api().notes();
}

TEST(OnnxRuntimeBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(dli::testing::TinyMaxDiff(Api(), Tiny()), 1e-4f);
}

TEST(OnnxRuntimeBackend, ParametersReachTheSession) {
  EXPECT_LE(dli::testing::TinyMaxDiff(Api(), Tiny(), {{"threads", "1"}, {"opt_level", "disable"}}),
            1e-4f);
  EXPECT_LE(dli::testing::TinyMaxDiff(
                Api(), Tiny(),
                {{"execution_mode", "parallel"}, {"inter_threads", "2"}, {"opt_level", "basic"}}),
            1e-4f);
}

TEST(OnnxRuntimeBackend, RingBufferBatchesAreBoundInTurn) {
  dli::testing::ExpectRingBufferBatchesBoundInTurn(Api(), Tiny());
}

TEST(OnnxRuntimeBackend, CallsFromAnotherThreadAreRefused) {
  dli::testing::ExpectCallsFromAnotherThreadAreRefused(Api(), Tiny());
}

TEST(OnnxRuntimeBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  for (int batch : {1, 2}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    dli::testing::ExpectAgreesWithCheckSet(Api(), "onnxruntime", batch, 1e-3f);
  }
}

TEST(OnnxRuntimeBackend, BridgeOverheadIsBelowOnePercentOfMobileNetV2Latency) {
  dli::testing::ExpectBridgeOverheadBelowOnePercent(Api(), "onnxruntime");
}

TEST(OnnxRuntimeBackend, CommonInputErrors) {
  dli::testing::ExpectCommonInputErrors(Api(), Tiny().Request(1));
}

TEST(OnnxRuntimeBackend, BadInputGivesOneLineErrorsNamingTheExpectation) {
  const TinyModel tiny = Tiny();
  OpenRequest caffe = tiny.Request(1);
  caffe.model_path = tiny.dir + "/tiny.prototxt";
  EXPECT_EQ(OpenError(caffe), "ValueError: '" + caffe.model_path +
                                  "' is not in the expected format: ONNX model "
                                  "(.onnx)");

  OpenRequest garbage = tiny.Request(1);
  garbage.model_path = tiny.dir + "/not_a_model.onnx";
  const std::string unreadable = OpenError(garbage);
  dli::testing::ExpectOneLinePythonError(unreadable, "InvalidProtobuf");
  EXPECT_NE(unreadable.find("not_a_model.onnx"), std::string::npos) << unreadable;

  // Choices are checked by the plugin SDK against the declared table.
  EXPECT_EQ(OpenError(tiny.Request(1, {{"opt_level", "fast"}})),
            "parameter opt_level=fast: expected one of disable|basic|extended|all");
  EXPECT_EQ(OpenError(tiny.Request(1, {{"execution_mode", "async"}})),
            "parameter execution_mode=async: expected one of sequential|parallel");
  EXPECT_EQ(OpenError(tiny.Request(1, {{"threads", "-1"}})),
            "ValueError: parameter threads='-1' is invalid; expected a whole "
            "number >= 1");
  OpenRequest batch3 = tiny.Request(3);
  EXPECT_TRUE(PluginSession(Api(), batch3).ok()) << "dynamic batch dimension";
}

}  // namespace
