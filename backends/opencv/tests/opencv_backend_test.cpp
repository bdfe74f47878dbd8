// Tests of the OpenCV DNN backend through its C ABI: the tiny network in ONNX
// and Caffe form against torch's outputs, the real MobileNetV2 against the
// PyTorch reference logits, the parameters, and the errors for bad input.
#include <gtest/gtest.h>

#include <string>

#include "dli/backend_testing.h"

namespace dli::testing {
namespace {

TinyModel Tiny(const std::string& file, const std::string& input_name) {
  return {file, DLI_LAYOUT_NCHW, "input.npy", 32, 10, input_name};
}

TEST(OpenCvBackend, ProbeReportsVersionDevicesAndParams) {
  const dli_backend& api = TestBackend();
  ASSERT_TRUE(ProbeSucceeds(api));
  EXPECT_STREQ(api.framework_version(), "4.6.0");
  // Debian's build has no usable OpenCL device here, hence no FP16 target.
  EXPECT_STREQ(api.devices(), "CPU");
  EXPECT_STREQ(api.precisions(), "FP32");
  EXPECT_NE(std::string(api.notes()).find("backends in this build: OPENCV"), std::string::npos)
      << api.notes();
  ASSERT_EQ(ParamNames(api), "threads backend ");
  EXPECT_STREQ(api.params[1].choices, "OPENCV");
}

TEST(OpenCvBackend, TinyOnnxMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny.onnx", "input")), 1e-4f);
}

TEST(OpenCvBackend, TinyCaffeMatchesTorchAtBatch1And2) {
  // OpenCV does not say what a Caffe input is called.
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny.prototxt", "")), 1e-4f);
}

TEST(OpenCvBackend, ParametersAreAccepted) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny.onnx", "input"),
                        {{"threads", "1"}, {"backend", "OPENCV"}}),
            1e-4f);
}

TEST(OpenCvBackend, RingBufferBatchesAreBoundInTurn) {
  ExpectRingBufferBatchesBoundInTurn(TestBackend(), Tiny("tiny.onnx", "input"));
}

TEST(OpenCvBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  ExpectAgreesWithCheckSetAtBatch1And2(TestBackend(), "opencv", 1e-4f);
}

// multi_io.onnx of make_tiny_models.py: int64 ids and a float32 mask of open
// length in, float32 "masked" and "scaled" out, at length 5.
MultiIoModel MultiIo() {
  return {"multi_io.onnx",
          {{"ids", DLI_DTYPE_I64, {5}, "multi_onnx_ids.npy", true},
           {"mask", DLI_DTYPE_F32, {5}, "multi_onnx_mask.npy", true}},
          {{"masked", DLI_DTYPE_F32, {5}, "multi_onnx_masked.npy"},
           {"scaled", DLI_DTYPE_F32, {5}, "multi_onnx_scaled.npy"}}};
}

TEST(OpenCvBackend, MultiInputOnnxMatchesNumpyAtBatch1And2) {
  ExpectMultiIoMatches(TestBackend(), MultiIo(), 1e-4f);
}

TEST(OpenCvBackend, OpenInputDimensionsComeFromTheSpec) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("multi_io.onnx")),
            "input 'ids' (?x?) leaves dimension 1 open; give its shape (dli bench --shape "
            "ids=..., or the model description)");
  OpenRequest unknown = MultiIo().Request(1);
  unknown.shapes.push_back({"tokens", {1, 5}});
  EXPECT_EQ(OpenError(api, unknown), "the model has no input 'tokens'; its inputs: ids, mask");
  ExpectCallOrderAndSizesChecked(api, MultiIo().Request(2));
}

TEST(OpenCvBackend, IntegersFloat32CannotHoldAreRefused) {
  BackendSession session(TestBackend(), MultiIo().Request(1));
  ASSERT_TRUE(session.ok()) << session.error();
  const int64_t ids[5] = {1, 2, 16777217, 4, 5};
  const float mask[5] = {};
  EXPECT_FALSE(session.SetInputs({ids, mask}));
  EXPECT_EQ(session.error(),
            "opencv: input 'ids' holds 16777217, which float32 cannot hold exactly; OpenCV DNN "
            "computes in float32 (integers up to 2^24)");
}

TEST(OpenCvBackend, CommonBadInputsAreRejected) {
  ExpectCommonInputErrors(TestBackend(), TinyRequest("tiny.onnx"));
}

TEST(OpenCvBackend, ForeignFilesAndBadParametersGiveClearErrors) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("absent.onnx")),
            "model file not found: " + TinyFile("absent.onnx"));
  EXPECT_EQ(OpenError(api, TinyRequest("input.npy")),
            "opencv: cannot read '" + TinyFile("input.npy") +
                "': expected ONNX (.onnx) or Caffe (.prototxt + .caffemodel)");
  EXPECT_EQ(OpenError(api, TinyRequest("not_a_model.onnx")),
            "opencv: cannot read '" + TinyFile("not_a_model.onnx") +
                "': not an ONNX model (protobuf parse failed)");
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.caffemodel")),
            "opencv: '" + TinyFile("tiny.caffemodel") +
                "' holds Caffe weights; pass the network's .prototxt as the "
                "model (its .caffemodel is found next to it)");
  OpenRequest no_weights = TinyRequest("tiny.prototxt");
  no_weights.weights_path = TinyFile("absent.caffemodel");
  EXPECT_EQ(OpenError(api, no_weights), "weights file not found: " + TinyFile("absent.caffemodel") +
                                            " (a Caffe .prototxt needs its .caffemodel)");
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.onnx", 1, {{"backend", "CUDA"}})),
            "parameter backend=CUDA: expected one of OPENCV");
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.onnx", 1, {{"threads", "0"}})),
            "parameter threads=0: expected an integer >= 1");
}

}  // namespace
}  // namespace dli::testing
