// Tests of the PyTorch plugin through its C ABI: a tiny TorchScript model
// against the outputs torch computed for it, the real MobileNetV2 against the
// PyTorch reference logits, and the errors for bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/plugin_testing.h"

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

OpenRequest TinyRequest(int batch) {
  OpenRequest request;
  request.model_path = TinyFile("tiny.pt");
  request.batch = batch;
  return request;
}

TEST(PyTorchBackend, ProbeReportsVersionAndDefaultThreads) {
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_EQ(std::string(Api().framework_version()).rfind("1.", 0), 0u);
  EXPECT_NE(std::string(Api().notes()).find("intra-op thread"), std::string::npos);
}

TEST(PyTorchBackend, TinyModelMatchesTorchAtBatch1And2) {
  const FloatArray input = ReadNpy(TinyFile("input.npy"));
  const FloatArray expected = ReadNpy(TinyFile("expected.npy"));
  for (int batch : {1, 2}) {
    PluginSession session(Api(), TinyRequest(batch));
    ASSERT_TRUE(session.ok()) << session.error();
    const dli_tensor_info in = session.Input();
    EXPECT_STREQ(in.name, "image");
    EXPECT_EQ(in.layout, DLI_LAYOUT_NCHW);
    ASSERT_EQ(in.rank, 4);
    EXPECT_EQ(in.shape[0], batch);
    EXPECT_EQ(in.shape[1], 3);
    const dli_tensor_info out = session.Output();
    ASSERT_EQ(out.rank, 2);
    EXPECT_EQ(out.shape[0], batch);
    EXPECT_EQ(out.shape[1], 5);
    const auto outputs = session.Run(dli::testing::SplitBatches(input, batch));
    ASSERT_TRUE(outputs.has_value()) << session.error();
    EXPECT_LE(dli::testing::MaxAbsDiff(*outputs, expected.values), 1e-5f);
  }
}

TEST(PyTorchBackend, PlainTorchScriptNeedsInputShape) {
  OpenRequest request = TinyRequest(2);
  request.model_path = TinyFile("tiny_plain.pt");
  {
    PluginSession session(Api(), request);
    EXPECT_FALSE(session.ok());
    EXPECT_NE(session.error().find("input_shape"), std::string::npos) << session.error();
  }
  request.params = {{"input_shape", "3x8x8"}, {"threads", "2"}};
  PluginSession session(Api(), request);
  ASSERT_TRUE(session.ok()) << session.error();
  EXPECT_EQ(session.Output().shape[1], 5);
  const auto outputs = session.Run({ReadNpy(TinyFile("input.npy")).values});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  EXPECT_LE(dli::testing::MaxAbsDiff(*outputs, ReadNpy(TinyFile("expected.npy")).values), 1e-5f);
}

TEST(PyTorchBackend, RejectsBadInput) {
  dli::testing::ExpectCommonInputErrors(Api(), TinyRequest(1));

  OpenRequest not_torchscript = TinyRequest(1);
  not_torchscript.model_path = TinyFile("not_torchscript.pt");
  PluginSession wrong_format(Api(), not_torchscript);
  EXPECT_FALSE(wrong_format.ok());
  EXPECT_NE(wrong_format.error().find("TorchScript"), std::string::npos) << wrong_format.error();

  for (const char* bad : {"0", "two", "-3"}) {
    OpenRequest request = TinyRequest(1);
    request.params = {{"threads", bad}};
    PluginSession session(Api(), request);
    EXPECT_FALSE(session.ok()) << "threads=" << bad;
    EXPECT_NE(session.error().find("threads"), std::string::npos) << session.error();
  }
  OpenRequest bad_shape = TinyRequest(1);
  bad_shape.model_path = TinyFile("tiny_plain.pt");
  bad_shape.params = {{"input_shape", "3x8"}};
  PluginSession shape_session(Api(), bad_shape);
  EXPECT_FALSE(shape_session.ok());
  EXPECT_NE(shape_session.error().find("input_shape"), std::string::npos) << shape_session.error();
}

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "pytorch", 1, 1e-3f);
}

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "pytorch", 2, 1e-3f);
}

}  // namespace
