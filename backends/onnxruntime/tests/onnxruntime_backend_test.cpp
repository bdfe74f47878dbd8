// Tests of the ONNX Runtime plugin through its C ABI: the tiny network
// against torch's outputs under every parameter, the real MobileNetV2 against
// the PyTorch reference logits, the bridge's overhead, and the errors for
// bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/bridge_testing.h"
#include "dli/plugin_testing.h"

namespace dli::testing {
namespace {

TinyModel Tiny() { return {"tiny.onnx"}; }

TEST(OnnxRuntimeBackend, ProbeReportsVersionParamsAndBridgeCost) {
  const dli_plugin& api = TestPlugin();
  ASSERT_TRUE(ProbeSucceeds(api));
  EXPECT_EQ(std::string(api.framework_version()).rfind("1.", 0), 0u) << api.framework_version();
  EXPECT_STREQ(api.devices(), "CPU");
  EXPECT_STREQ(api.precisions(), "FP32,FP16,INT8");
  EXPECT_EQ(ParamNames(api), "threads inter_threads opt_level execution_mode ");
  EXPECT_STREQ(api.params[2].choices, "disable|basic|extended|all");
  EXPECT_GT(BridgeOverheadMicroseconds(api), 0.0) << api.notes();
}

TEST(OnnxRuntimeBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestPlugin(), Tiny()), 1e-4f);
}

TEST(OnnxRuntimeBackend, ParametersReachTheSession) {
  EXPECT_LE(TinyMaxDiff(TestPlugin(), Tiny(), {{"threads", "1"}, {"opt_level", "disable"}}), 1e-4f);
  EXPECT_LE(
      TinyMaxDiff(TestPlugin(), Tiny(),
                  {{"execution_mode", "parallel"}, {"inter_threads", "2"}, {"opt_level", "basic"}}),
      1e-4f);
}

TEST(OnnxRuntimeBackend, RingBufferBatchesAreBoundInTurn) {
  ExpectRingBufferBatchesBoundInTurn(TestPlugin(), Tiny());
}

TEST(OnnxRuntimeBackend, CallsFromAnotherThreadAreRefused) {
  ExpectCallsFromAnotherThreadAreRefused(TestPlugin(), Tiny());
}

TEST(OnnxRuntimeBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  ExpectAgreesWithCheckSetAtBatch1And2(TestPlugin(), "onnxruntime", 1e-3f);
}

TEST(OnnxRuntimeBackend, BridgeOverheadIsBelowOnePercentOfMobileNetV2Latency) {
  ExpectBridgeOverheadBelowOnePercent(TestPlugin(), "onnxruntime");
}

TEST(OnnxRuntimeBackend, CommonInputErrors) {
  ExpectCommonInputErrors(TestPlugin(), Tiny().Request(1));
}

TEST(OnnxRuntimeBackend, BadInputGivesOneLineErrorsNamingTheExpectation) {
  const dli_plugin& api = TestPlugin();
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.prototxt")),
            "ValueError: '" + TinyFile("tiny.prototxt") +
                "' is not in the expected format: ONNX model (.onnx)");

  const std::string unreadable = OpenError(api, TinyRequest("not_a_model.onnx"));
  ExpectOneLinePythonError(unreadable, "InvalidProtobuf");
  EXPECT_NE(unreadable.find("not_a_model.onnx"), std::string::npos) << unreadable;

  // Choices are checked by the plugin SDK against the declared table.
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"opt_level", "fast"}})),
            "parameter opt_level=fast: expected one of disable|basic|extended|all");
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"execution_mode", "async"}})),
            "parameter execution_mode=async: expected one of sequential|parallel");
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"threads", "-1"}})),
            "ValueError: parameter threads='-1' is invalid; expected a whole number >= 1");
  EXPECT_TRUE(PluginSession(api, Tiny().Request(3)).ok()) << "dynamic batch dimension";
}

}  // namespace
}  // namespace dli::testing
