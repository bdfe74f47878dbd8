// Tests of the PyTorch backend through its C ABI: tiny TorchScript models (one
// input; two inputs and two outputs) against the outputs torch computed for
// them, the real MobileNetV2 against the PyTorch reference logits, and the
// errors for bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/backend_testing.h"

namespace dli::testing {
namespace {

// A TorchScript file of make_tiny_model.py.
TinyModel Tiny(const std::string& file = "tiny.pt") {
  return {file, DLI_LAYOUT_NCHW, "input.npy", 8, 5, "image"};
}

TEST(PyTorchBackend, ProbeReportsVersionAndDefaultThreads) {
  ASSERT_TRUE(ProbeSucceeds(TestBackend()));
  EXPECT_EQ(std::string(TestBackend().framework_version()).rfind("1.", 0), 0u);
  EXPECT_NE(std::string(TestBackend().notes()).find("intra-op thread"), std::string::npos);
}

TEST(PyTorchBackend, TinyModelMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny()), 1e-5f);
}

TEST(PyTorchBackend, PlainTorchScriptNeedsInputShape) {
  ExpectInputShapeNeeded(TestBackend(), Tiny("tiny_plain.pt"),
                         {{"input_shape", "3x8x8"}, {"threads", "2"}}, 1e-5f);
}

TEST(PyTorchBackend, RejectsBadInput) {
  const dli_backend& api = TestBackend();
  ExpectCommonInputErrors(api, Tiny().Request(1));

  const std::string wrong_format = OpenError(api, TinyRequest("not_torchscript.pt"));
  EXPECT_NE(wrong_format.find("TorchScript"), std::string::npos) << wrong_format;

  for (const char* bad : {"0", "two", "-3"}) {
    SCOPED_TRACE(std::string("threads=") + bad);
    const std::string error = OpenError(api, Tiny().Request(1, {{"threads", bad}}));
    EXPECT_NE(error.find("threads"), std::string::npos) << error;
  }
  const std::string bad_shape =
      OpenError(api, Tiny("tiny_plain.pt").Request(1, {{"input_shape", "3x8"}}));
  EXPECT_NE(bad_shape.find("input_shape"), std::string::npos) << bad_shape;
}

// mixed.pt of make_tiny_model.py: int64 token ids and float32 features in,
// float32 scores and the int64 sum of the ids out (a tuple). Its description
// leaves the sequence length of token_ids open, so the request gives it.
MultiIoModel Mixed() {
  return {"mixed.pt",
          {{"token_ids", DLI_DTYPE_I64, {4}, "mixed_input0.npy", true},
           {"features", DLI_DTYPE_F32, {3}, "mixed_input1.npy"}},
          {{"scores", DLI_DTYPE_F32, {2}, "mixed_expected0.npy"},
           {"id_sums", DLI_DTYPE_I64, {1}, "mixed_expected1.npy"}}};
}

TEST(PyTorchBackend, MixedDtypeInputsAndTupleOutputsMatchTorch) {
  ExpectMultiIoMatches(TestBackend(), Mixed(), 1e-5f);
}

TEST(PyTorchBackend, OpenInputDimensionNeedsItsShape) {
  const dli_backend& api = TestBackend();
  OpenRequest request = Mixed().Request(1);
  request.shapes.clear();
  const std::string open = OpenError(api, request);
  EXPECT_NE(open.find("input 'token_ids' (?x?) leaves dimension 1 open"), std::string::npos)
      << open;
  EXPECT_NE(open.find("--shape token_ids="), std::string::npos) << open;

  request.shapes = {{"token_ids", {1, 4}}, {"mask", {1, 4}}};
  const std::string unknown = OpenError(api, request);
  EXPECT_NE(unknown.find("'mask', which is not an input"), std::string::npos) << unknown;

  request.shapes = {{"features", {1, 5}}, {"token_ids", {1, 4}}};
  const std::string contradiction = OpenError(api, request);
  EXPECT_NE(contradiction.find("contradicts the model's ?x3"), std::string::npos) << contradiction;
}

// text_plain.pt carries no description: the inputs are forward()'s arguments
// (int64, as float32 zeros fail), the outputs the keys of its dict.
TEST(PyTorchBackend, PlainModuleInputsFromForwardAndDictOutputs) {
  const MultiIoModel model{"text_plain.pt",
                           {{"input_ids", DLI_DTYPE_I64, {4}, "text_input0.npy", true},
                            {"attention_mask", DLI_DTYPE_I64, {4}, "text_input1.npy", true}},
                           {{"pooled", DLI_DTYPE_F32, {3}, "text_expected0.npy"},
                            {"tokens", DLI_DTYPE_I64, {1}, "text_expected1.npy"}}};
  ExpectMultiIoMatches(TestBackend(), model, 1e-5f);

  OpenRequest request = model.Request(1);
  request.shapes.pop_back();
  const std::string error = OpenError(TestBackend(), request);
  EXPECT_NE(error.find("no shape for input 'attention_mask'"), std::string::npos) << error;
  EXPECT_NE(error.find("--shape attention_mask="), std::string::npos) << error;
  EXPECT_EQ(error.find("input_shape"), std::string::npos) << error;

  const std::string one_shape =
      OpenError(TestBackend(), TinyRequest("text_plain.pt", 1, {{"input_shape", "4"}}));
  EXPECT_NE(one_shape.find("input_shape is for a model with one input"), std::string::npos)
      << one_shape;
}

TEST(PyTorchBackend, MultiInputModelPassesCallOrderChecks) {
  ExpectCallOrderAndSizesChecked(TestBackend(), Mixed().Request(1));
}

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  ExpectAgreesWithCheckSet(TestBackend(), "pytorch", 1, 1e-3f);
}

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  ExpectAgreesWithCheckSet(TestBackend(), "pytorch", 2, 1e-3f);
}

}  // namespace
}  // namespace dli::testing
