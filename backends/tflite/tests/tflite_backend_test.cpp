// Tests of the TFLite backend through its C ABI: the tiny network converted by
// onnx2tf against torch's outputs, the real MobileNetV2 against the PyTorch
// reference logits, the parameters, the bridge's overhead, and the errors
// for bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/bridge_testing.h"
#include "dli/backend_testing.h"

namespace dli::testing {
namespace {

TinyModel Tiny() { return {"tiny.tflite", DLI_LAYOUT_NHWC, "input_nhwc.npy"}; }

TEST(TfliteBackend, ProbeReportsVersionParamsAndBridgeCost) {
  const dli_backend& api = TestBackend();
  ASSERT_TRUE(ProbeSucceeds(api));
  EXPECT_EQ(std::string(api.framework_version()).rfind("2.", 0), 0u) << api.framework_version();
  EXPECT_STREQ(api.devices(), "CPU");
  EXPECT_STREQ(api.precisions(), "FP32,FP16,INT8,UINT8");
  ASSERT_EQ(api.n_params, 1u);
  EXPECT_STREQ(api.params[0].name, "threads");
  EXPECT_GT(BridgeOverheadMicroseconds(api), 0.0) << api.notes();
}

TEST(TfliteBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny()), 1e-4f);
}

TEST(TfliteBackend, ThreadsParameterReachesTheInterpreter) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny(), {{"threads", "2"}}), 1e-4f);
}

TEST(TfliteBackend, RingBufferBatchesAreBoundInTurn) {
  ExpectRingBufferBatchesBoundInTurn(TestBackend(), Tiny());
}

TEST(TfliteBackend, CallsFromAnotherThreadWork) {
  ExpectCallsFromAnotherThreadWork(TestBackend(), Tiny());
}

TEST(TfliteBackend, ThroughputModeRunsConcurrentRequestsOnOneSession) {
  const dli_backend& api = TestBackend();
  EXPECT_NE(api.infer_request, nullptr);
  EXPECT_EQ(api.start_request, nullptr);
  ExpectRequestsComplete(api, Tiny().Request(1), 4, 40);
  ExpectRequestsComplete(api, Tiny().Request(2), 2, 10);
}

TEST(TfliteBackend, ThroughputModeOnMobileNetV2) {
  ExpectRequestsCompleteOnMobileNetV2(TestBackend(), "tflite", 2, 20);
}

TEST(TfliteBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  ExpectAgreesWithCheckSetAtBatch1And2(TestBackend(), "tflite", 1e-3f);
}

TEST(TfliteBackend, BridgeOverheadIsBelowOnePercentOfMobileNetV2Latency) {
  ExpectBridgeOverheadBelowOnePercent(TestBackend(), "tflite");
}

TEST(TfliteBackend, CommonInputErrors) {
  ExpectCommonInputErrors(TestBackend(), Tiny().Request(1));
}

TEST(TfliteBackend, BadInputGivesOneLineErrorsNamingTheExpectation) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.onnx")),
            "ValueError: '" + TinyFile("tiny.onnx") +
                "' is not in the expected format: TFLite model (.tflite)");
  EXPECT_EQ(
      OpenError(api, TinyRequest("absent.tflite")),
      "FileNotFoundError: TFLite model (.tflite) not found: '" + TinyFile("absent.tflite") + "'");

  const std::string unreadable = OpenError(api, TinyRequest("not_a_model.tflite"));
  ExpectOneLinePythonError(unreadable, "ValueError");
  EXPECT_NE(unreadable.find("not_a_model.tflite"), std::string::npos) << unreadable;

  // Refused by the backend SDK against the declared type and range, before
  // Python sees them.
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"threads", "two"}})),
            "parameter threads=two: expected an integer >= 1");
  EXPECT_EQ(OpenError(api, Tiny().Request(1, {{"threads", "0"}})),
            "parameter threads=0: expected an integer >= 1");
}

}  // namespace
}  // namespace dli::testing
