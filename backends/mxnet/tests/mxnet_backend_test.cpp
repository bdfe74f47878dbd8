// Tests of the MXNet backend through its C ABI: a tiny checkpoint against the
// outputs MXNet's Python API computed for it, the real MobileNetV2 against
// the PyTorch reference logits, bad input, and the once-per-process thread
// settings (MxnetFreshProcess runs alone in its own process, see
// CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "dli/backend_testing.h"

namespace dli::testing {
namespace {

// The checkpoint of make_tiny_model.py: `symbol_file` with tiny-0000.params.
TinyModel Tiny(const std::string& symbol_file = "tiny-symbol.json") {
  return {symbol_file, DLI_LAYOUT_NCHW, "input.npy", 8, 5, "image"};
}

TEST(MxnetBackend, ProbeReportsVersion) {
  ASSERT_TRUE(ProbeSucceeds(TestBackend()));
  EXPECT_STREQ(TestBackend().framework_version(), "1.9.1");
}

TEST(MxnetBackend, TinyModelMatchesMxnetAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny()), 1e-5f);
}

TEST(MxnetBackend, SymbolWithoutShapeNeedsInputShape) {
  ExpectInputShapeNeeded(TestBackend(), Tiny("plain-symbol.json"), {{"input_shape", "3x8x8"}},
                         1e-5f);
}

TEST(MxnetBackend, RejectsBadInput) {
  const dli_backend& api = TestBackend();
  ExpectCommonInputErrors(api, Tiny().Request(1));

  const auto open_error = [&](const std::string& symbol, const std::string& params) {
    OpenRequest request = TinyRequest(symbol);
    if (!params.empty()) request.weights_path = TinyFile(params);
    return OpenError(api, request);
  };
  EXPECT_NE(open_error("not_json-symbol.json", "tiny-0000.params")
                .find("not JSON; expected an MXNet symbol file"),
            std::string::npos);
  EXPECT_NE(open_error("not_json-symbol.json", "").find("not found"), std::string::npos);
  EXPECT_NE(open_error("input.npy", "").find("-symbol.json"), std::string::npos);
  const std::string bad_params = open_error("tiny-symbol.json", "not_params.params");
  EXPECT_NE(bad_params.find("is not an MXNet params file"), std::string::npos) << bad_params;
  EXPECT_EQ(bad_params.find('\n'), std::string::npos) << bad_params;

  const std::string bad_engine = OpenError(api, Tiny().Request(1, {{"engine", "TurboEngine"}}));
  EXPECT_NE(bad_engine.find("NaiveEngine"), std::string::npos) << bad_engine;
}

// mixed-symbol.json of make_tiny_model.py: float32 features and int64 token
// ids in (the symbol's argument order), float32 scores and the int64 sum of
// the ids out. The symbol leaves the sequence length of token_ids open, so
// the request gives it.
MultiIoModel Mixed() {
  return {"mixed-symbol.json",
          {{"features", DLI_DTYPE_F32, {3}, "mixed_input1.npy"},
           {"token_ids", DLI_DTYPE_I64, {4}, "mixed_input0.npy", true}},
          {{"scores_output", DLI_DTYPE_F32, {2}, "mixed_expected0.npy"},
           {"id_sums_output", DLI_DTYPE_I64, {1}, "mixed_expected1.npy"}}};
}

TEST(MxnetBackend, Int64AndFloatInputsAndTwoOutputsMatchNumpy) {
  ExpectMultiIoMatches(TestBackend(), Mixed(), 1e-5f);
}

TEST(MxnetBackend, MultiInputModelPassesCallOrderChecks) {
  ExpectCallOrderAndSizesChecked(TestBackend(), Mixed().Request(1));
}

TEST(MxnetBackend, OpenInputDimensionNeedsItsShape) {
  const dli_backend& api = TestBackend();
  OpenRequest request = Mixed().Request(1);
  request.shapes.clear();
  const std::string open = OpenError(api, request);
  EXPECT_NE(open.find("input 'token_ids' (?x?) leaves dimension 1 open"), std::string::npos)
      << open;

  request.shapes = {{"token_ids", {1, 4}}, {"mask", {1, 4}}};
  const std::string unknown = OpenError(api, request);
  EXPECT_NE(unknown.find("'mask', which is not an input"), std::string::npos) << unknown;

  request.shapes = {{"features", {1, 5}}, {"token_ids", {1, 4}}};
  const std::string contradiction = OpenError(api, request);
  EXPECT_NE(contradiction.find("contradicts the model's ?x3"), std::string::npos) << contradiction;

  request = TinyRequest("mixed-symbol.json", 1, {{"input_shape", "4"}});
  const std::string one_shape = OpenError(api, request);
  EXPECT_NE(one_shape.find("input_shape is for a model with one input"), std::string::npos)
      << one_shape;

  const std::string float64 = OpenError(api, TinyRequest("float64-symbol.json"));
  EXPECT_NE(float64.find("input 'x' has MXNet dtype 1"), std::string::npos) << float64;
}

TEST(MxnetBackend, ThreadSettingsCannotChangeAfterLoad) {
  ASSERT_TRUE(BackendSession(TestBackend(), Tiny().Request(1)).ok());
  const std::string error = OpenError(TestBackend(), Tiny().Request(1, {{"threads", "2"}}));
  EXPECT_NE(error.find("needs a fresh process"), std::string::npos) << error;
}

TEST(MxnetFreshProcess, ThreadSettingsReachMxnet) {
  BackendSession session(
      TestBackend(),
      Tiny().Request(2, {{"threads", "2"}, {"worker_threads", "1"}, {"engine", "NaiveEngine"}}));
  ASSERT_TRUE(session.ok()) << session.error();
  EXPECT_STREQ(std::getenv("OMP_NUM_THREADS"), "2");
  EXPECT_STREQ(std::getenv("MXNET_OMP_MAX_THREADS"), "2");
  EXPECT_STREQ(std::getenv("MXNET_ENGINE_TYPE"), "NaiveEngine");
  ExpectTinyOutputs(session, Tiny(), 1e-5f);
}

TEST(MxnetBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  ExpectAgreesWithCheckSet(TestBackend(), "mxnet", 1, 1e-3f);
}

TEST(MxnetBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  ExpectAgreesWithCheckSet(TestBackend(), "mxnet", 2, 1e-3f);
}

}  // namespace
}  // namespace dli::testing
