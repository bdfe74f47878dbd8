// Tests of the TFLite backend through its C ABI: the tiny network converted by
// onnx2tf against torch's outputs, the real MobileNetV2 against the PyTorch
// reference logits, the parameters, the bridge's overhead, and the errors
// for bad input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// multi.tflite (make_test_tflite.py): int64 input_ids and attention_mask of
// an open sequence length, float32 features; outputs mask_sum (f16), pooled
// (f32) and weighted (i64, [batch, seq]).
TEST(TfliteBackend, MultiInputInt64ModelRunsEveryInputAndReadsEveryOutput) {
  const dli_backend& api = TestBackend();
  OpenRequest request = TinyRequest("multi.tflite", 2);
  EXPECT_EQ(OpenError(api, request),
            "ValueError: input 'input_ids' (?x?) leaves dimension 1 open; give its shape (dli "
            "bench --shape input_ids=..., or the model description)");
  request.shapes = {{"input_ids", {2, 3}}, {"attention_mask", {2, 3}}};
  BackendSession session(api, request);
  ASSERT_TRUE(session.ok()) << session.error();
  const std::vector<dli_tensor_info> inputs = session.Inputs();
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[0].dtype, DLI_DTYPE_I64);
  EXPECT_EQ(std::vector<int64_t>(inputs[1].shape, inputs[1].shape + inputs[1].rank),
            (std::vector<int64_t>{2, 3}));
  const std::vector<dli_tensor_info> outputs = session.Outputs();
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[0].dtype, DLI_DTYPE_F16);
  EXPECT_EQ(outputs[2].dtype, DLI_DTYPE_I64);
  EXPECT_EQ(std::vector<int64_t>(outputs[2].shape, outputs[2].shape + outputs[2].rank),
            (std::vector<int64_t>{2, 3}));

  // In the order of Inputs(), whatever the file's.
  std::vector<const void*> batch(3);
  const int64_t ids[] = {1, 2, 3, 4, 5, 6}, mask[] = {1, 1, 0, 0, 1, 1};
  const float features[] = {0.5f, 1, 2, 3, -1, -2, -3, -4};
  for (size_t i = 0; i < 3; ++i) {
    const std::string name = inputs[i].name;
    batch[i] = name == "input_ids"        ? static_cast<const void*>(ids)
               : name == "attention_mask" ? static_cast<const void*>(mask)
                                          : static_cast<const void*>(features);
  }
  const auto read = session.RunOnce(batch);
  ASSERT_TRUE(read.has_value()) << session.error();
  EXPECT_EQ((*read)[0], (std::vector<float>{2, 2}));
  EXPECT_EQ((*read)[1], (std::vector<float>{3.5f, 4, 5, 6, 10, 9, 8, 7}));
  EXPECT_EQ((*read)[2], (std::vector<float>{1, 2, 0, 0, 5, 6}));

  request.shapes.push_back({"token_type_ids", {2, 3}});
  EXPECT_NE(OpenError(api, request).find("the model has no input 'token_type_ids'"),
            std::string::npos);
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
