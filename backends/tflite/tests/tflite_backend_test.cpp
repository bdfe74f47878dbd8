// Tests of the TFLite plugin through its C ABI: the tiny network converted by
// onnx2tf against torch's outputs, the real MobileNetV2 against the PyTorch
// reference logits, the parameters, the bridge's overhead, and the errors
// for bad input.
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
  return {RequiredEnv("DLI_TEST_TINY_DIR"), "tiny.tflite", "input_nhwc.npy", DLI_LAYOUT_NHWC};
}

std::string OpenError(const OpenRequest& request) {
  PluginSession session(Api(), request);
  EXPECT_FALSE(session.ok()) << request.model_path << " opened";
  return session.error();
}

TEST(TfliteBackend, ProbeReportsVersionParamsAndBridgeCost) {
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(std::string(Api().framework_version()).rfind("2.", 0), 0u) << Api().framework_version();
  EXPECT_STREQ(Api().devices(), "CPU");
  EXPECT_STREQ(Api().precisions(), "FP32,FP16,INT8,UINT8");
  ASSERT_EQ(Api().n_params, 1u);
  EXPECT_STREQ(Api().params[0].name, "threads");
  EXPECT_GT(dli::testing::BridgeOverheadMicroseconds(Api()), 0.0) << Api().notes();
}

TEST(TfliteBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(dli::testing::TinyMaxDiff(Api(), Tiny()), 1e-4f);
}

TEST(TfliteBackend, ThreadsParameterReachesTheInterpreter) {
  EXPECT_LE(dli::testing::TinyMaxDiff(Api(), Tiny(), {{"threads", "2"}}), 1e-4f);
}

TEST(TfliteBackend, RingBufferBatchesAreBoundInTurn) {
  dli::testing::ExpectRingBufferBatchesBoundInTurn(Api(), Tiny());
}

TEST(TfliteBackend, CallsFromAnotherThreadAreRefused) {
  dli::testing::ExpectCallsFromAnotherThreadAreRefused(Api(), Tiny());
}

TEST(TfliteBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  for (int batch : {1, 2}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    dli::testing::ExpectAgreesWithCheckSet(Api(), "tflite", batch, 1e-3f);
  }
}

TEST(TfliteBackend, BridgeOverheadIsBelowOnePercentOfMobileNetV2Latency) {
  dli::testing::ExpectBridgeOverheadBelowOnePercent(Api(), "tflite");
}

TEST(TfliteBackend, CommonInputErrors) {
  dli::testing::ExpectCommonInputErrors(Api(), Tiny().Request(1));
}

TEST(TfliteBackend, BadInputGivesOneLineErrorsNamingTheExpectation) {
  const TinyModel tiny = Tiny();
  OpenRequest onnx = tiny.Request(1);
  onnx.model_path = tiny.dir + "/tiny.onnx";
  EXPECT_EQ(OpenError(onnx), "ValueError: '" + onnx.model_path +
                                 "' is not in the expected format: TFLite "
                                 "model (.tflite)");

  OpenRequest missing = tiny.Request(1);
  missing.model_path = tiny.dir + "/absent.tflite";
  EXPECT_EQ(OpenError(missing),
            "FileNotFoundError: TFLite model (.tflite) not found: '" + missing.model_path + "'");

  OpenRequest garbage = tiny.Request(1);
  garbage.model_path = tiny.dir + "/not_a_model.tflite";
  const std::string unreadable = OpenError(garbage);
  dli::testing::ExpectOneLinePythonError(unreadable, "ValueError");
  EXPECT_NE(unreadable.find("not_a_model.tflite"), std::string::npos) << unreadable;

  // Not a number: refused by the plugin SDK against the declared type;
  // below 1: refused by the Python side.
  EXPECT_EQ(OpenError(tiny.Request(1, {{"threads", "two"}})),
            "parameter threads=two: expected an integer");
  EXPECT_EQ(OpenError(tiny.Request(1, {{"threads", "0"}})),
            "ValueError: parameter threads='0' is invalid; expected a whole number >= 1");
}

}  // namespace
