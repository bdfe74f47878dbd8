// Tests of the PyTorch backend through its C ABI: a tiny TorchScript model
// against the outputs torch computed for it, the real MobileNetV2 against the
// PyTorch reference logits, and the errors for bad input.
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

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch1) {
  ExpectAgreesWithCheckSet(TestBackend(), "pytorch", 1, 1e-3f);
}

TEST(PyTorchBackend, MobileNetV2AgreesWithReferenceAtBatch2) {
  ExpectAgreesWithCheckSet(TestBackend(), "pytorch", 2, 1e-3f);
}

}  // namespace
}  // namespace dli::testing
