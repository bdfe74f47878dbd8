// Tests of the TensorFlow plugin: the hand-written protocol-buffer code
// against bytes that TensorFlow's Python API serialized, a tiny SavedModel
// against the outputs TensorFlow computed for it, the real MobileNetV2
// SavedModel against the PyTorch reference logits, and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "dli/plugin_testing.h"
#include "saved_model_proto.h"

namespace {

using dli::testing::FloatArray;
using dli::testing::LoadedPlugin;
using dli::testing::OpenRequest;
using dli::testing::PluginSession;
using dli::testing::ReadNpy;
using dli::testing::RequiredEnv;

const dli_plugin& Api() {
  static LoadedPlugin plugin(RequiredEnv("DLI_TEST_PLUGIN"));
  return plugin.api();
}

std::string TinyFile(const std::string& name) {
  return RequiredEnv("DLI_TEST_TINY_DIR") + "/" + name;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

OpenRequest TinyRequest(int batch) {
  OpenRequest request;
  request.model_path = TinyFile("tiny_savedmodel");
  request.batch = batch;
  return request;
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
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(std::string(Api().framework_version()).rfind("2.", 0), 0u);
}

TEST(TensorFlowBackend, TinyModelMatchesTensorFlowAtBatch1And2) {
  const FloatArray input = ReadNpy(TinyFile("input.npy"));
  const FloatArray expected = ReadNpy(TinyFile("expected.npy"));
  for (int batch : {1, 2}) {
    OpenRequest request = TinyRequest(batch);
    request.params = {{"intra_threads", "1"}, {"inter_threads", "1"}};
    PluginSession session(Api(), request);
    ASSERT_TRUE(session.ok()) << session.error();
    const dli_tensor_info in = session.Input();
    EXPECT_STREQ(in.name, "image");
    EXPECT_EQ(in.layout, DLI_LAYOUT_NHWC);
    ASSERT_EQ(in.rank, 4);
    EXPECT_EQ(in.shape[0], batch);
    EXPECT_EQ(in.shape[3], 3);
    const dli_tensor_info out = session.Output();
    EXPECT_STREQ(out.name, "scores");
    ASSERT_EQ(out.rank, 2);
    EXPECT_EQ(out.shape[0], batch);
    EXPECT_EQ(out.shape[1], 5);
    const auto outputs = session.Run(dli::testing::SplitBatches(input, batch));
    ASSERT_TRUE(outputs.has_value()) << session.error();
    EXPECT_LE(dli::testing::MaxAbsDiff(*outputs, expected.values), 1e-5f);
  }
}

TEST(TensorFlowBackend, RejectsBadInput) {
  dli::testing::ExpectCommonInputErrors(Api(), TinyRequest(1));

  const auto open_error = [](const std::string& path,
                             std::vector<std::pair<std::string, std::string>> params = {}) {
    OpenRequest request = TinyRequest(1);
    request.model_path = path;
    request.params = std::move(params);
    PluginSession session(Api(), request);
    EXPECT_FALSE(session.ok()) << path;
    return session.error();
  };
  EXPECT_NE(open_error(TinyFile("a_file.txt")).find("SavedModel folder"), std::string::npos);
  EXPECT_NE(open_error(TinyFile("empty_folder")).find("no saved_model.pb"), std::string::npos);
  const std::string broken = open_error(TinyFile("broken_savedmodel"));
  EXPECT_NE(broken.find("cannot load SavedModel"), std::string::npos) << broken;
  EXPECT_EQ(broken.find('\n'), std::string::npos) << broken;
  EXPECT_NE(open_error(TinyFile("tiny_savedmodel"), {{"signature", "predict"}})
                .find("no signature 'predict'"),
            std::string::npos);
  EXPECT_NE(open_error(TinyFile("tiny_savedmodel"), {{"intra_threads", "0"}}).find("intra_threads"),
            std::string::npos);
}

TEST(TensorFlowBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "tensorflow", 1, 1e-3f);
}

TEST(TensorFlowBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "tensorflow", 2, 1e-3f);
}

}  // namespace
