// Tests of the TensorFlow backend: the hand-written protocol-buffer code
// against bytes that TensorFlow's Python API serialized, a tiny SavedModel
// against the outputs TensorFlow computed for it, the real MobileNetV2
// SavedModel against the PyTorch reference logits, and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "dli/backend_testing.h"
#include "saved_model_proto.h"

namespace dli::testing {
namespace {

// The SavedModel of make_tiny_model.py.
TinyModel Tiny() {
  return {"tiny_savedmodel", DLI_LAYOUT_NHWC, "input.npy", 8, 5, "image", "scores"};
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(TensorFlowProto, ConfigProtoMatchesTensorFlowSerialization) {
  EXPECT_EQ(dli::tensorflow::SessionConfigProto(3, 2), ReadBytes(TinyFile("config_3_2.pb")));
  EXPECT_EQ(dli::tensorflow::SessionConfigProto(0, 0), "");
}

TEST(TensorFlowProto, FindsServingSignatureTensors) {
  const std::string meta_graph = ReadBytes(TinyFile("meta_graph.pb"));
  const auto tensors =
      dli::tensorflow::FindSignature(meta_graph.data(), meta_graph.size(), "serving_default");
  std::ostringstream found;
  for (const auto& [key, name] : tensors.inputs) found << "input " << key << " " << name << "\n";
  for (const auto& [key, name] : tensors.outputs) found << "output " << key << " " << name << "\n";
  EXPECT_EQ(found.str(), ReadBytes(TinyFile("signature.txt")));

  try {
    dli::tensorflow::FindSignature(meta_graph.data(), meta_graph.size(), "predict");
    FAIL() << "a missing signature must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "has no signature 'predict' (it has: __saved_model_init_op, serving_default)"),
              std::string::npos)
        << e.what();
  }
  const std::string garbage = "\x2a\xff\xff\xff";
  EXPECT_THROW(dli::tensorflow::FindSignature(garbage.data(), garbage.size(), "serving_default"),
               std::runtime_error);
  EXPECT_EQ(dli::tensorflow::SplitTensorName("StatefulPartitionedCall:1"),
            std::make_pair(std::string("StatefulPartitionedCall"), 1));
  EXPECT_EQ(dli::tensorflow::SplitTensorName("x"), std::make_pair(std::string("x"), 0));
}

TEST(TensorFlowBackend, ProbeReportsVersion) {
  ASSERT_TRUE(ProbeSucceeds(TestBackend()));
  EXPECT_EQ(std::string(TestBackend().framework_version()).rfind("2.", 0), 0u);
}

TEST(TensorFlowBackend, TinyModelMatchesTensorFlowAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny(), {{"intra_threads", "1"}, {"inter_threads", "1"}}),
            1e-5f);
}

TEST(TensorFlowBackend, RejectsBadInput) {
  const dli_backend& api = TestBackend();
  ExpectCommonInputErrors(api, Tiny().Request(1));

  const auto open_error = [&](const std::string& file, const Params& params = {}) {
    return OpenError(api, TinyRequest(file, 1, params));
  };
  EXPECT_NE(open_error("a_file.txt").find("SavedModel folder"), std::string::npos);
  EXPECT_NE(open_error("empty_folder").find("no saved_model.pb"), std::string::npos);
  const std::string broken = open_error("broken_savedmodel");
  EXPECT_NE(broken.find("cannot load SavedModel"), std::string::npos) << broken;
  EXPECT_EQ(broken.find('\n'), std::string::npos) << broken;
  EXPECT_NE(
      open_error("tiny_savedmodel", {{"signature", "predict"}}).find("no signature 'predict'"),
      std::string::npos);
  EXPECT_NE(open_error("tiny_savedmodel", {{"intra_threads", "0"}}).find("intra_threads"),
            std::string::npos);
}

// The SavedModel of make_tiny_model.py with three inputs (int64 ids of open
// length, bool, float32) and two outputs (float32, int64), at length 5.
MultiIoModel MultiIo() {
  return {"multi_savedmodel",
          {{"ids", DLI_DTYPE_I64, {5}, "multi_ids.npy", true},
           {"keep", DLI_DTYPE_BOOL, {}, "multi_keep.npy"},
           {"x", DLI_DTYPE_F32, {3}, "multi_x.npy"}},
          {{"pooled", DLI_DTYPE_F32, {3}, "multi_pooled.npy"},
           {"scaled_ids", DLI_DTYPE_I64, {5}, "multi_scaled_ids.npy"}}};
}

TEST(TensorFlowBackend, MultiInputModelMatchesNumpyAtBatch1And2) {
  ExpectMultiIoMatches(TestBackend(), MultiIo(), 1e-5f);
}

TEST(TensorFlowBackend, OpenInputDimensionsComeFromTheSpec) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("multi_savedmodel")),
            "input 'ids' (?x?) leaves dimension 1 open; give its shape (dli bench --shape "
            "ids=..., or the model description)");
  OpenRequest contradicting = MultiIo().Request(1);
  contradicting.shapes.push_back({"x", {1, 4}});
  EXPECT_EQ(OpenError(api, contradicting), "shape 1x4 for input 'x' contradicts the model's ?x3");
  OpenRequest unknown = MultiIo().Request(1);
  unknown.shapes.push_back({"mask", {1, 5}});
  EXPECT_EQ(OpenError(api, unknown), "the model has no input 'mask'; its inputs: ids, keep, x");
  ExpectCallOrderAndSizesChecked(api, MultiIo().Request(2));
}

TEST(TensorFlowBackend, ThroughputModeRunsAllInputsPerRequest) {
  ExpectRequestsComplete(TestBackend(), MultiIo().Request(2), 2, 10);
}

TEST(TensorFlowBackend, ThroughputModeRunsConcurrentSessionRuns) {
  const dli_backend& api = TestBackend();
  EXPECT_NE(api.infer_request, nullptr);
  EXPECT_EQ(api.start_request, nullptr);
  ExpectRequestsComplete(api, Tiny().Request(1), 4, 40);
  ExpectRequestsComplete(api, Tiny().Request(2), 2, 10);
}

TEST(TensorFlowBackend, ThroughputModeOnMobileNetV2) {
  ExpectRequestsCompleteOnMobileNetV2(TestBackend(), "tensorflow", 2, 20);
}

TEST(TensorFlowBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  ExpectAgreesWithCheckSet(TestBackend(), "tensorflow", 1, 1e-3f);
}

TEST(TensorFlowBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  ExpectAgreesWithCheckSet(TestBackend(), "tensorflow", 2, 1e-3f);
}

}  // namespace
}  // namespace dli::testing
