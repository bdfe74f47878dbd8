// Tests of the SDK without a framework: the parameter checker that the core
// and every backend share (dli/param_check.h), and the adapter's checks of
// the spec and of the ring-buffer calls, through the test-only backend
// (tests/test_backends/testing_backend.cpp) loaded as the core loads it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "dli/backend_sdk.h"
#include "dli/backend_testing.h"
#include "dli/param_check.h"

namespace dli::testing {
namespace {

dli_param_info Param(const char* type, const char* choices = nullptr, const char* min = nullptr,
                     const char* max = nullptr) {
  return {"p", type, "", choices, "help", min, max};
}

TEST(ParamCheck, EmptyMeansNotSetForEveryType) {
  for (const char* type : {"int", "bool", "string", "choice"})
    EXPECT_EQ(param_check::Check(Param(type, "a|b", "1", "4"), ""), "") << type;
}

TEST(ParamCheck, IntIsAWholeNumberThatFitsAnInt) {
  const dli_param_info p = Param("int");
  for (const char* ok : {"0", "42", "-3", "+7", "2147483647", "-2147483648"})
    EXPECT_EQ(param_check::Check(p, ok), "") << ok;
  for (const char* bad :
       {"4x", "1.5", " 4", "4 ", "-", "two", "2147483648", "99999999999999999999"})
    EXPECT_EQ(param_check::Check(p, bad),
              std::string("parameter p=") + bad + ": expected an integer")
        << bad;
}

TEST(ParamCheck, IntRangeIsInclusiveAndNamedInTheMessage) {
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "1"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "0"),
            "parameter p=0: expected an integer >= 1");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1"), "x"),
            "parameter p=x: expected an integer >= 1");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, nullptr, "8"), "9"),
            "parameter p=9: expected an integer <= 8");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "", "8"), "-5"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1", "8"), "8"), "");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "1", "8"), "0"),
            "parameter p=0: expected an integer from 1 to 8");
  EXPECT_EQ(param_check::Check(Param("int", nullptr, "one"), "1"),
            "parameter p: the backend declares the range [one, ], which is not made of integers");
}

TEST(ParamCheck, BoolChoiceAndString) {
  for (const char* ok : {"true", "False", "1", "0", "YES", "no", "on", "Off"})
    EXPECT_EQ(param_check::Check(Param("bool"), ok), "") << ok;
  EXPECT_EQ(param_check::Check(Param("bool"), "maybe"),
            "parameter p=maybe: expected true or false");
  EXPECT_EQ(param_check::Check(Param("choice", "A|B"), "B"), "");
  EXPECT_EQ(param_check::Check(Param("choice", "A|B"), "a"), "parameter p=a: expected one of A, B");
  EXPECT_EQ(param_check::Check(Param("string"), " anything at all "), "");
}

sdk::Spec SpecWithShape(int batch, const std::string& name, std::vector<int64_t> dims) {
  sdk::Spec spec;
  spec.batch = batch;
  if (!dims.empty()) spec.shapes[name] = std::move(dims);
  return spec;
}

std::string ResolveError(const sdk::Spec& spec, const std::string& name,
                         const std::vector<int64_t>& file_dims) {
  try {
    sdk::ResolveShape(spec, name, file_dims);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(resolved)";
}

TEST(ResolveShape, BatchFromTheSpecOpenDimensionsFromItsShapes) {
  EXPECT_EQ(sdk::ResolveShape(SpecWithShape(4, "x", {}), "x", {-1, 3, 8, 8}),
            (std::vector<int64_t>{4, 3, 8, 8}));
  EXPECT_EQ(sdk::ResolveShape(SpecWithShape(2, "x", {1, 128}), "x", {-1, -1}),
            (std::vector<int64_t>{2, 128}));
  // A fixed batch in the file is replaced too: the core opens one per batch.
  EXPECT_EQ(sdk::ResolveShape(SpecWithShape(3, "x", {3, 16}), "x", {1, 16}),
            (std::vector<int64_t>{3, 16}));
  // Another input's shape does not apply.
  EXPECT_EQ(sdk::ResolveShape(SpecWithShape(1, "y", {1, 9}), "x", {-1, 5}),
            (std::vector<int64_t>{1, 5}));
}

TEST(ResolveShape, ErrorsNameTheInputAndTheDimension) {
  EXPECT_EQ(ResolveError(SpecWithShape(1, "x", {}), "input_ids", {-1, -1}),
            "input 'input_ids' (?x?) leaves dimension 1 open; give its shape (dli bench --shape "
            "input_ids=..., or the model description)");
  EXPECT_EQ(ResolveError(SpecWithShape(1, "ids", {1, 8, 2}), "ids", {-1, -1}),
            "shape 1x8x2 for input 'ids' has rank 3; the model's input is ?x?");
  EXPECT_EQ(ResolveError(SpecWithShape(1, "ids", {1, 64}), "ids", {-1, 128}),
            "shape 1x64 for input 'ids' contradicts the model's ?x128");
}

TEST(Dtypes, SizesAndNamesOfAllSeven) {
  const std::pair<dli_dtype, size_t> sizes[] = {
      {DLI_DTYPE_F32, 4}, {DLI_DTYPE_U8, 1},  {DLI_DTYPE_I8, 1},  {DLI_DTYPE_F16, 2},
      {DLI_DTYPE_I32, 4}, {DLI_DTYPE_I64, 8}, {DLI_DTYPE_BOOL, 1}};
  std::string names;
  for (const auto& [dtype, size] : sizes) {
    EXPECT_EQ(sdk::DtypeSize(dtype), size) << sdk::DtypeName(dtype);
    names += std::string(sdk::DtypeName(dtype)) + " ";
  }
  EXPECT_EQ(names, "f32 u8 i8 f16 i32 i64 bool ");
  EXPECT_EQ(sdk::ShapeText({-1, 3, 224, 224}), "?x3x224x224");
}

TEST(CopyAsFloat, ConvertsEveryDtype) {
  float out[4];
  const int64_t i64[] = {-5, 0, 7, 1LL << 40};
  sdk::CopyAsFloat(i64, DLI_DTYPE_I64, 4, out);
  EXPECT_EQ(std::vector<float>(out, out + 4), (std::vector<float>{-5, 0, 7, 1099511627776.0f}));
  const int32_t i32[] = {-2, 3};
  sdk::CopyAsFloat(i32, DLI_DTYPE_I32, 2, out);
  EXPECT_EQ(std::vector<float>(out, out + 2), (std::vector<float>{-2, 3}));
  const int8_t i8[] = {-128, 127};
  sdk::CopyAsFloat(i8, DLI_DTYPE_I8, 2, out);
  EXPECT_EQ(std::vector<float>(out, out + 2), (std::vector<float>{-128, 127}));
  const uint8_t u8[] = {0, 255, 1};
  sdk::CopyAsFloat(u8, DLI_DTYPE_U8, 3, out);
  EXPECT_EQ(std::vector<float>(out, out + 3), (std::vector<float>{0, 255, 1}));
  sdk::CopyAsFloat(u8, DLI_DTYPE_BOOL, 3, out);
  EXPECT_EQ(std::vector<float>(out, out + 3), (std::vector<float>{0, 255, 1}));
  const float f32[] = {1.5f, -0.25f};
  sdk::CopyAsFloat(f32, DLI_DTYPE_F32, 2, out);
  EXPECT_EQ(std::vector<float>(out, out + 2), (std::vector<float>{1.5f, -0.25f}));
}

TEST(CopyAsFloat, HalfNormalSubnormalZeroInfinityAndNan) {
  // 1.0, -2.5, 65504 (largest), 2^-24 (smallest subnormal), 2^-14 (smallest
  // normal), -0, +inf, NaN.
  const uint16_t half[] = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0x7e00};
  float out[8];
  sdk::CopyAsFloat(half, DLI_DTYPE_F16, 8, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.5f);
  EXPECT_EQ(out[2], 65504.0f);
  EXPECT_EQ(out[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(out[4], std::ldexp(1.0f, -14));
  EXPECT_EQ(out[5], 0.0f);
  EXPECT_TRUE(std::signbit(out[5]));
  EXPECT_TRUE(std::isinf(out[6]) && out[6] > 0);
  EXPECT_TRUE(std::isnan(out[7]));
}

// The testing backend with a model file, for the adapter's checks.
class Adapter : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::filesystem::temp_directory_path() /
             ("dli_backend_sdk_test_" + std::to_string(::getpid()) + ".txt");
    std::ofstream(model_) << "1\n";
  }
  void TearDown() override { std::filesystem::remove(model_); }
  OpenRequest Request(const Params& params = {}) const {
    OpenRequest request;
    request.model_path = model_.string();
    request.params = params;
    return request;
  }
  std::filesystem::path model_;
};

// The testing backend's "N multi" model: three inputs (two i64 of an open
// sequence length, one f32), two outputs (f32 and f16).
class MultiInput : public Adapter {
 protected:
  void SetUp() override {
    Adapter::SetUp();
    std::ofstream(model_) << "1 multi\n";
  }
  OpenRequest Request(int batch, int64_t sequence) const {
    OpenRequest request = Adapter::Request();
    request.batch = batch;
    request.shapes = {{"input_ids", {batch, sequence}}, {"attention_mask", {batch, sequence}}};
    return request;
  }
};

TEST_F(MultiInput, InputsAndOutputsAreListedInOrderWithResolvedShapes) {
  BackendSession session(TestBackend(), Request(2, 5));
  ASSERT_TRUE(session.ok()) << session.error();
  const auto inputs = session.Inputs();
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_STREQ(inputs[0].name, "input_ids");
  EXPECT_EQ(inputs[0].dtype, DLI_DTYPE_I64);
  EXPECT_EQ(std::vector<int64_t>(inputs[0].shape, inputs[0].shape + inputs[0].rank),
            (std::vector<int64_t>{2, 5}));
  EXPECT_STREQ(inputs[2].name, "features");
  EXPECT_EQ(inputs[2].dtype, DLI_DTYPE_F32);
  const auto outputs = session.Outputs();
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[1].dtype, DLI_DTYPE_F16);
  char err[256] = {};
  dli_tensor_info info{};
  EXPECT_EQ(TestBackend().input_info(session.handle(), 3, &info, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "input 3 does not exist; the model has 3");
  EXPECT_EQ(TestBackend().output_info(session.handle(), 2, &info, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "output 2 does not exist; the model has 2");
}

TEST_F(MultiInput, EveryInputOfEveryBatchReachesTheBackendAndEveryOutputIsRead) {
  BackendSession session(TestBackend(), Request(1, 3));
  ASSERT_TRUE(session.ok()) << session.error();
  // Two batches, each of three inputs: batches[b * 3 + i].
  const int64_t ids[2][3] = {{1, 2, 3}, {10, 20, 30}};
  const int64_t mask[2][3] = {{1, 1, 0}, {1, 0, 0}};
  const float features[2][4] = {{0.5f, 1, 2, 3}, {-1, -2, -3, -4}};
  ASSERT_TRUE(session.SetInputs({ids[0], mask[0], features[0], ids[1], mask[1], features[1]}))
      << session.error();
  std::vector<float> pooled(4), counts(2);
  ASSERT_TRUE(session.Bind(1) && session.Infer()) << session.error();
  ASSERT_TRUE(session.ReadOutput(pooled, 0) && session.ReadOutput(counts, 1)) << session.error();
  EXPECT_EQ(pooled, (std::vector<float>{9, 8, 7, 6}));  // features + 10
  EXPECT_EQ(counts, (std::vector<float>{1, 3}));
  ASSERT_TRUE(session.Bind(0) && session.Infer()) << session.error();
  ASSERT_TRUE(session.ReadOutput(pooled, 0) && session.ReadOutput(counts, 1)) << session.error();
  EXPECT_EQ(pooled, (std::vector<float>{3.5f, 4, 5, 6}));  // features + 1 + 2
  EXPECT_EQ(counts, (std::vector<float>{2, 3}));
  std::vector<float> wrong(4);
  EXPECT_FALSE(session.ReadOutput(wrong, 1));
  EXPECT_EQ(session.error(), "output 'counts' has 2 values; caller expected 4");
}

TEST_F(MultiInput, CallOrderAndSizesAreChecked) {
  ExpectCallOrderAndSizesChecked(TestBackend(), Request(2, 4));
}

TEST_F(MultiInput, AnOpenDimensionWithoutAShapeFailsOpenNamingIt) {
  OpenRequest request = Request(1, 4);
  request.shapes.clear();
  EXPECT_EQ(OpenError(TestBackend(), request),
            "input 'input_ids' (?x?) leaves dimension 1 open; give its shape (dli bench --shape "
            "input_ids=..., or the model description)");
  request = Request(1, 4);
  request.shapes.push_back({"token_type_ids", {1, 4}});
  EXPECT_EQ(OpenError(TestBackend(), request), "the model has no input 'token_type_ids'");
  request = Request(1, 4);
  request.shapes.push_back({"", {}});
  EXPECT_EQ(OpenError(TestBackend(), request),
            "a shape in the spec has no name or a rank outside 1..8");
}

TEST_F(Adapter, ParamTableIsEnforcedBeforeOpen) {
  const dli_backend& api = TestBackend();
  ExpectParamTableEnforced(api, Request());
  EXPECT_EQ(OpenError(api, Request({{"mode", "sideways"}})),
            "parameter mode=sideways: expected one of ok, fail, crash, abort, hang");
  EXPECT_EQ(OpenError(api, Request({{"knob", "1"}})),
            "unknown parameter 'knob' (known: mode, fault_batch, threads, sleep_ms)");
  OpenRequest batch0 = Request();
  batch0.batch = 0;
  EXPECT_EQ(OpenError(api, batch0), "batch 0 is not >= 1");
}

TEST_F(Adapter, RingBufferCallsAreCheckedForTheBackend) {
  ExpectCallOrderAndSizesChecked(TestBackend(), Request());
}

TEST_F(Adapter, AFailedInferLeavesNoOutputToRead) {
  BackendSession session(TestBackend(), Request({{"mode", "fail"}}));
  ASSERT_TRUE(session.ok()) << session.error();
  const std::vector<float> batch(3 * 224 * 224);
  ASSERT_TRUE(session.SetInputs({batch.data()}));
  ASSERT_TRUE(session.Bind(0));
  EXPECT_FALSE(session.Infer());
  EXPECT_EQ(session.error(), "testing backend: failure requested");
  std::vector<float> out(1);
  EXPECT_FALSE(session.ReadOutput(out));
  EXPECT_EQ(session.error(), "read_output() called before infer()");
}

TEST_F(Adapter, RequestSlotsAreCheckedForTheBackend) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(api.max_requests, 16u);
  ExpectRequestsComplete(api, Request({{"sleep_ms", "1"}}), 4, 20);

  BackendSession session(api, Request());
  ASSERT_TRUE(session.ok()) << session.error();
  char err[512] = {};
  size_t slot = 0;
  EXPECT_EQ(api.open_requests(session.handle(), 2, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "open_requests() called before set_inputs()");
  const std::vector<float> batch(3 * 224 * 224);
  ASSERT_TRUE(session.SetInputs({batch.data()}));
  EXPECT_EQ(api.open_requests(session.handle(), 17, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "17 requests asked; testing holds at most 16");
  ASSERT_EQ(api.open_requests(session.handle(), 2, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(api.start_request(session.handle(), 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 0 started before bind");
  EXPECT_EQ(api.bind_request(session.handle(), 2, 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 2 does not exist; 2 were opened");
  EXPECT_EQ(api.wait_request(session.handle(), &slot, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "wait_request() called with no request started");
  EXPECT_EQ(slot, static_cast<size_t>(-1));
  ASSERT_EQ(api.bind_request(session.handle(), 1, 0, err, sizeof(err)), DLI_OK) << err;
  ASSERT_EQ(api.start_request(session.handle(), 1, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(api.bind_request(session.handle(), 1, 0, err, sizeof(err)), DLI_ERROR);
  EXPECT_STREQ(err, "request slot 1 is still running");
  ASSERT_EQ(api.wait_request(session.handle(), &slot, err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(slot, 1u);
}

}  // namespace
}  // namespace dli::testing
