// Tests of the ONNX Runtime backend through its C ABI: the tiny network
// against torch's outputs under every parameter, the real MobileNetV2 against
// the PyTorch reference logits, the bridge's overhead, and the errors for
// bad input.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

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

// multi.onnx (make_multi_input_model.py): int64 input_ids and
// attention_mask of an open sequence length, float32 features; outputs
// pooled (f32), weighted (i64, [batch, seq]) and mask_sum (f16).
TEST(OnnxRuntimeBackend, MultiInputInt64ModelRunsEveryInputAndReadsEveryOutput) {
  const dli_backend& api = TestBackend();
  OpenRequest request = TinyRequest("multi.onnx", 2);
  EXPECT_EQ(OpenError(api, request),
            "ValueError: input 'input_ids' (?x?) leaves dimension 1 open; give its shape (dli "
            "bench --shape input_ids=..., or the model description)");
  request.shapes = {{"input_ids", {2, 3}}, {"attention_mask", {2, 3}}};
  BackendSession session(api, request);
  ASSERT_TRUE(session.ok()) << session.error();
  const std::vector<dli_tensor_info> inputs = session.Inputs();
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_STREQ(inputs[0].name, "input_ids");
  EXPECT_EQ(inputs[0].dtype, DLI_DTYPE_I64);
  EXPECT_EQ(std::vector<int64_t>(inputs[1].shape, inputs[1].shape + inputs[1].rank),
            (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(inputs[2].dtype, DLI_DTYPE_F32);
  const std::vector<dli_tensor_info> outputs = session.Outputs();
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[1].dtype, DLI_DTYPE_I64);
  EXPECT_EQ(std::vector<int64_t>(outputs[1].shape, outputs[1].shape + outputs[1].rank),
            (std::vector<int64_t>{2, 3}))
      << "an output shape that follows the sequence length";
  EXPECT_EQ(outputs[2].dtype, DLI_DTYPE_F16);

  const int64_t ids[] = {1, 2, 3, 4, 5, 6}, mask[] = {1, 1, 0, 0, 1, 1};
  const float features[] = {0.5f, 1, 2, 3, -1, -2, -3, -4};
  const auto read = session.RunOnce({ids, mask, features});
  ASSERT_TRUE(read.has_value()) << session.error();
  EXPECT_EQ((*read)[0], (std::vector<float>{3.5f, 4, 5, 6, 10, 9, 8, 7}));
  EXPECT_EQ((*read)[1], (std::vector<float>{1, 2, 0, 0, 5, 6}));
  EXPECT_EQ((*read)[2], (std::vector<float>{2, 2}));

  request.shapes.push_back({"token_type_ids", {2, 3}});
  EXPECT_EQ(OpenError(api, request),
            "ValueError: the model has no input 'token_type_ids'; its inputs: input_ids, "
            "attention_mask, features");
  request.shapes = {{"input_ids", {2, 3}}, {"attention_mask", {2, 3}}, {"features", {2, 5}}};
  EXPECT_EQ(OpenError(api, request),
            "ValueError: shape 2x5 for input 'features' contradicts the model's ?x4");
}

// dtypes.onnx: x_<dtype> -> y_<dtype> for each of the seven dtypes, in the
// order of backend_abi.h's names below; every value reaches the backend and
// comes back as float32.
TEST(OnnxRuntimeBackend, EveryDtypeCrossesTheBridge) {
  BackendSession session(TestBackend(), TinyRequest("dtypes.onnx", 1));
  ASSERT_TRUE(session.ok()) << session.error();
  const std::vector<dli_dtype> dtypes = {DLI_DTYPE_F32, DLI_DTYPE_F16, DLI_DTYPE_I64, DLI_DTYPE_I32,
                                         DLI_DTYPE_I8,  DLI_DTYPE_U8,  DLI_DTYPE_BOOL};
  const std::vector<dli_tensor_info> inputs = session.Inputs();
  const std::vector<dli_tensor_info> outputs = session.Outputs();
  ASSERT_EQ(inputs.size(), dtypes.size());
  ASSERT_EQ(outputs.size(), dtypes.size());
  for (size_t i = 0; i < dtypes.size(); ++i) {
    EXPECT_EQ(inputs[i].dtype, dtypes[i]) << inputs[i].name;
    EXPECT_EQ(outputs[i].dtype, dtypes[i]) << outputs[i].name;
  }
  const float f32[] = {1.5f, -2};
  const uint16_t f16[] = {0x3e00, 0xc000};  // 1.5, -2
  const int64_t i64[] = {1LL << 40, -7};
  const int32_t i32[] = {123456, -1};
  const int8_t i8[] = {-128, 127};
  const uint8_t u8[] = {255, 0};
  const uint8_t flags[] = {1, 0};
  const auto read = session.RunOnce({f32, f16, i64, i32, i8, u8, flags});
  ASSERT_TRUE(read.has_value()) << session.error();
  const std::vector<std::vector<float>> expected = {
      {1.5f, -2}, {1.5f, -2}, {1099511627776.0f, -7}, {123456, -1}, {-128, 127}, {255, 0}, {1, 0}};
  EXPECT_EQ(*read, expected);
}

TEST(OnnxRuntimeBackend, MultiInputModelRingBufferAndRequests) {
  OpenRequest request = TinyRequest("multi.onnx", 1);
  request.shapes = {{"input_ids", {1, 8}}, {"attention_mask", {1, 8}}};
  ExpectCallOrderAndSizesChecked(TestBackend(), request);
  ExpectRequestsComplete(TestBackend(), request, 2, 10);
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
