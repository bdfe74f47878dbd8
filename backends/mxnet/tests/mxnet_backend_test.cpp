// Tests of the MXNet plugin through its C ABI: a tiny checkpoint against the
// outputs MXNet's Python API computed for it, the real MobileNetV2 against
// the PyTorch reference logits, bad input, and the once-per-process thread
// settings (MxnetFreshProcess runs alone in its own process, see
// CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstdlib>
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
  request.model_path = TinyFile("tiny-symbol.json");
  request.batch = batch;
  return request;
}

void ExpectTinyOutputs(PluginSession& session) {
  const auto outputs = session.Run({ReadNpy(TinyFile("input.npy")).values});
  ASSERT_TRUE(outputs.has_value()) << session.error();
  EXPECT_LE(dli::testing::MaxAbsDiff(*outputs, ReadNpy(TinyFile("expected.npy")).values), 1e-5f);
}

TEST(MxnetBackend, ProbeReportsVersion) {
  char err[512] = {};
  ASSERT_EQ(Api().probe(err, sizeof(err)), DLI_OK) << err;
  EXPECT_STREQ(Api().framework_version(), "1.9.1");
}

TEST(MxnetBackend, TinyModelMatchesMxnetAtBatch1And2) {
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

TEST(MxnetBackend, SymbolWithoutShapeNeedsInputShape) {
  OpenRequest request = TinyRequest(2);
  request.model_path = TinyFile("plain-symbol.json");
  {
    PluginSession session(Api(), request);
    EXPECT_FALSE(session.ok());
    EXPECT_NE(session.error().find("input_shape"), std::string::npos) << session.error();
  }
  request.params = {{"input_shape", "3x8x8"}};
  PluginSession session(Api(), request);
  ASSERT_TRUE(session.ok()) << session.error();
  ExpectTinyOutputs(session);
}

TEST(MxnetBackend, RejectsBadInput) {
  dli::testing::ExpectCommonInputErrors(Api(), TinyRequest(1));

  const auto open_error = [](const std::string& symbol, const std::string& params) {
    OpenRequest request = TinyRequest(1);
    request.model_path = symbol;
    request.weights_path = params;
    PluginSession session(Api(), request);
    EXPECT_FALSE(session.ok()) << symbol;
    return session.error();
  };
  EXPECT_NE(open_error(TinyFile("not_json-symbol.json"), TinyFile("tiny-0000.params"))
                .find("not JSON; expected an MXNet symbol file"),
            std::string::npos);
  EXPECT_NE(open_error(TinyFile("not_json-symbol.json"), "").find("not found"), std::string::npos);
  EXPECT_NE(open_error(TinyFile("input.npy"), "").find("-symbol.json"), std::string::npos);
  const std::string bad_params =
      open_error(TinyFile("tiny-symbol.json"), TinyFile("not_params.params"));
  EXPECT_NE(bad_params.find("is not an MXNet params file"), std::string::npos) << bad_params;
  EXPECT_EQ(bad_params.find('\n'), std::string::npos) << bad_params;

  OpenRequest bad_engine = TinyRequest(1);
  bad_engine.params = {{"engine", "TurboEngine"}};
  PluginSession engine_session(Api(), bad_engine);
  EXPECT_FALSE(engine_session.ok());
  EXPECT_NE(engine_session.error().find("NaiveEngine"), std::string::npos)
      << engine_session.error();
}

TEST(MxnetBackend, ThreadSettingsCannotChangeAfterLoad) {
  ASSERT_TRUE(PluginSession(Api(), TinyRequest(1)).ok());
  OpenRequest request = TinyRequest(1);
  request.params = {{"threads", "2"}};
  PluginSession session(Api(), request);
  EXPECT_FALSE(session.ok());
  EXPECT_NE(session.error().find("needs a fresh process"), std::string::npos) << session.error();
}

TEST(MxnetFreshProcess, ThreadSettingsReachMxnet) {
  OpenRequest request = TinyRequest(2);
  request.params = {{"threads", "2"}, {"worker_threads", "1"}, {"engine", "NaiveEngine"}};
  PluginSession session(Api(), request);
  ASSERT_TRUE(session.ok()) << session.error();
  EXPECT_STREQ(std::getenv("OMP_NUM_THREADS"), "2");
  EXPECT_STREQ(std::getenv("MXNET_OMP_MAX_THREADS"), "2");
  EXPECT_STREQ(std::getenv("MXNET_ENGINE_TYPE"), "NaiveEngine");
  ExpectTinyOutputs(session);
}

TEST(MxnetBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "mxnet", 1, 1e-3f);
}

TEST(MxnetBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  dli::testing::ExpectAgreesWithCheckSet(Api(), "mxnet", 2, 1e-3f);
}

}  // namespace
