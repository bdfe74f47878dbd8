// Tests of the ONNX Runtime backend through its C ABI: the tiny network
// against torch's outputs under every parameter, the real MobileNetV2 against
// the PyTorch reference logits, the bridge's overhead, and the errors for
// bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/bridge_testing.h"
#include "dli/backend_testing.h"

namespace dli::testing {
namespace {

TinyModel Tiny() { return {"tiny.onnx"}; }

TEST(OnnxRuntimeBackend, ProbeReportsVersionParamsAndBridgeCost) {
  const dli_backend& api = TestBackend();
  ASSERT_TRUE(ProbeSucceeds(api));
  EXPECT_EQ(std::string(api.framework_version()).rfind("1.", 0), 0u) << api.framework_version();
  EXPECT_STREQ(api.devices(), "CPU");
  EXPECT_STREQ(api.precisions(), "FP32,FP16,INT8");
  EXPECT_EQ(ParamNames(api), "threads inter_threads opt_level execution_mode ");
  EXPECT_STREQ(api.params[2].choices, "disable|basic|extended|all");
  EXPECT_GT(BridgeOverheadMicroseconds(api), 0.0) << api.notes();
}

TEST(OnnxRuntimeBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny()), 1e-4f);
}

TEST(OnnxRuntimeBackend, ParametersReachTheSession) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny(), {{"threads", "1"}, {"opt_level", "disable"}}),
            1e-4f);
  EXPECT_LE(
      TinyMaxDiff(TestBackend(), Tiny(),
                  {{"execution_mode", "parallel"}, {"inter_threads", "2"}, {"opt_level", "basic"}}),
      1e-4f);
}

TEST(OnnxRuntimeBackend, RingBufferBatchesAreBoundInTurn) {
  ExpectRingBufferBatchesBoundInTurn(TestBackend(), Tiny());
}

TEST(OnnxRuntimeBackend, CallsFromAnotherThreadWork) {
  ExpectCallsFromAnotherThreadWork(TestBackend(), Tiny());
}

TEST(OnnxRuntimeBackend, ThroughputModeRunsConcurrentRequestsOnOneSession) {
  const dli_backend& api = TestBackend();
  EXPECT_NE(api.infer_request, nullptr);
  EXPECT_EQ(api.start_request, nullptr);
  ExpectRequestsComplete(api, Tiny().Request(1), 4, 40);
  ExpectRequestsComplete(api, Tiny().Request(2), 2, 10);
}

TEST(OnnxRuntimeBackend, ThroughputModeOnMobileNetV2) {
  ExpectRequestsCompleteOnMobileNetV2(TestBackend(), "onnxruntime", 2, 20);
}

TEST(OnnxRuntimeBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  ExpectAgreesWithCheckSetAtBatch1And2(TestBackend(), "onnxruntime", 1e-3f);
}

TEST(OnnxRuntimeBackend, BridgeOverheadIsBelowOnePercentOfMobileNetV2Latency) {
  ExpectBridgeOverheadBelowOnePercent(TestBackend(), "onnxruntime");
}

TEST(OnnxRuntimeBackend, CommonInputErrors) {
  ExpectCommonInputErrors(TestBackend(), Tiny().Request(1));
}

TEST(OnnxRuntimeBackend, BadInputGivesOneLineErrorsNamingTheExpectation) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.prototxt")),
            "ValueError: '" + TinyFile("tiny.prototxt") +
                "' is not in the expected format: ONNX model (.onnx)");

  const std::string unreadable = OpenError(api, TinyRequest("not_a_model.onnx"));
  ExpectOneLinePythonError(unreadable, "InvalidProtobuf");
  EXPECT_NE(unreadable.find("not_a_model.onnx"), std::string::npos) << unreadable;

  // Choices and ranges are checked by the backend SDK against the declared
  // table, before Python sees them.
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"opt_level", "fast"}})),
            "parameter opt_level=fast: expected one of disable, basic, extended, all");
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"execution_mode", "async"}})),
            "parameter execution_mode=async: expected one of sequential, parallel");
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"threads", "-1"}})),
            "parameter threads=-1: expected an integer >= 1");
  EXPECT_TRUE(BackendSession(api, Tiny().Request(3)).ok()) << "dynamic batch dimension";
}

}  // namespace
}  // namespace dli::testing
