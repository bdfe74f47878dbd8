// Tests of the OpenVINO backend through its C ABI: the tiny network in IR and
// ONNX form against torch's outputs, the real MobileNetV2 against the PyTorch
// reference logits, the parameters, and the errors for bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "dli/backend_testing.h"
#include "openvino_messages.h"

namespace dli::testing {
namespace {

// The tiny network in `file`, compared with `expected_file` (torch's outputs
// for its weights as stored there).
TinyModel Tiny(const std::string& file, const std::string& expected_file = "expected.npy",
               const std::string& precision = "FP32") {
  TinyModel tiny{file, DLI_LAYOUT_NCHW, "input.npy", 32, 10, "input"};
  tiny.expected_file = expected_file;
  tiny.precision = precision;
  return tiny;
}

TEST(OpenVinoBackend, ProbeReportsVersionDevicesAndParams) {
  const dli_backend& api = TestBackend();
  ASSERT_TRUE(ProbeSucceeds(api));
  EXPECT_EQ(std::string(api.framework_version()).rfind("2026.", 0), 0u) << api.framework_version();
  EXPECT_NE(std::string(api.devices()).find("CPU"), std::string::npos);
  EXPECT_STREQ(api.precisions(), "FP32,FP16,INT8");
  EXPECT_NE(std::string(api.notes()).find("TBB 2021."), std::string::npos) << api.notes();
  EXPECT_NE(std::string(api.notes()).find("OPTIMAL_NUMBER_OF_INFER_REQUESTS"), std::string::npos)
      << api.notes();
  // Where the test runner preloads a TBB (as Debian's OpenCV does inside
  // `dli`), OpenVINO must report running on that one.
  if (const char* preloaded = std::getenv("LD_PRELOAD"))
    EXPECT_NE(std::string(api.notes()).find(preloaded), std::string::npos) << api.notes();

  EXPECT_EQ(ParamNames(api), "threads streams hint pinning infer_precision ");
  // LATENCY in latency mode, THROUGHPUT in throughput mode.
  EXPECT_STREQ(api.params[2].default_value, "");
  EXPECT_STREQ(api.params[2].choices, "LATENCY|THROUGHPUT|NONE");
}

TEST(OpenVinoBackend, TinyIrMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny_fp32.xml")), 1e-4f);
}

TEST(OpenVinoBackend, TinyOnnxMatchesTorchAtBatch1And2) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny.onnx")), 1e-4f);
}

TEST(OpenVinoBackend, Fp16WeightsInF32ArithmeticMatchRoundedTorchWeights) {
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny_fp16.xml", "expected_fp16_weights.npy", "FP16"),
                        {{"infer_precision", "f32"}}),
            1e-4f);
}

TEST(OpenVinoBackend, Fp16ModelAtDeviceDefaultPrecisionStaysClose) {
  // bf16 arithmetic on this CPU (measured: 1.8e-3), where f32 gives 3e-8.
  EXPECT_LE(TinyMaxDiff(TestBackend(), Tiny("tiny_fp16.xml", "expected_fp16_weights.npy", "FP16")),
            5e-3f);
}

TEST(OpenVinoBackend, Float16OutputIsWidenedToFloat32) {
  TinyModel tiny = Tiny("tiny_f16_output.xml");
  tiny.output_dtype = DLI_DTYPE_F16;
  // Outputs of magnitude < 1 rounded to float16: error < 2^-12.
  EXPECT_LE(TinyMaxDiff(TestBackend(), tiny), 2.5e-4f);
}

// The model of make_test_irs.py with two inputs (int64 ids of open length,
// float32 features) and two outputs (float32, int64), at length 5.
MultiIoModel MultiIo(const std::string& file = "multi_io.xml") {
  return {file,
          {{"ids", DLI_DTYPE_I64, {5}, "multi_ids.npy", true},
           {"x", DLI_DTYPE_F32, {3}, "multi_x.npy"}},
          {{"pooled", DLI_DTYPE_F32, {3}, "multi_pooled.npy"},
           {"scaled_ids", DLI_DTYPE_I64, {5}, "multi_scaled_ids.npy"}}};
}

TEST(OpenVinoBackend, MultiInputModelMatchesNumpyAtBatch1And2) {
  ExpectMultiIoMatches(TestBackend(), MultiIo(), 1e-5f);
}

TEST(OpenVinoBackend, MultiInputOnnxMatchesNumpyAtBatch1And2) {
  // multi_io.onnx of make_tiny_models.py.
  ExpectMultiIoMatches(TestBackend(),
                       {"multi_io.onnx",
                        {{"ids", DLI_DTYPE_I64, {5}, "multi_onnx_ids.npy", true},
                         {"mask", DLI_DTYPE_F32, {5}, "multi_onnx_mask.npy", true}},
                        {{"masked", DLI_DTYPE_F32, {5}, "multi_onnx_masked.npy"},
                         {"scaled", DLI_DTYPE_F32, {5}, "multi_onnx_scaled.npy"}}},
                       1e-4f);
}

TEST(OpenVinoBackend, OpenInputDimensionsComeFromTheSpec) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("multi_io.xml")),
            "input 'ids' (?x?) leaves dimension 1 open; give its shape (dli bench --shape "
            "ids=..., or the model description)");
  OpenRequest contradicting = MultiIo().Request(1);
  contradicting.shapes.push_back({"x", {1, 4}});
  EXPECT_EQ(OpenError(api, contradicting), "shape 1x4 for input 'x' contradicts the model's ?x3");
  OpenRequest unknown = MultiIo().Request(1);
  unknown.shapes.push_back({"mask", {1, 5}});
  EXPECT_EQ(OpenError(api, unknown), "the model has no input 'mask'; its inputs: ids, x");
  ExpectCallOrderAndSizesChecked(api, MultiIo().Request(2));
}

TEST(OpenVinoBackend, ThroughputModeRunsAllInputsPerRequest) {
  ExpectRequestsComplete(TestBackend(), MultiIo().Request(2), 2, 10);
}

TEST(OpenVinoBackend, ParametersReachTheCompiledModel) {
  EXPECT_LE(TinyMaxDiff(
                TestBackend(), Tiny("tiny_fp32.xml"),
                {{"threads", "1"}, {"streams", "1"}, {"hint", "THROUGHPUT"}, {"pinning", "false"}}),
            1e-4f);
  EXPECT_LE(
      TinyMaxDiff(TestBackend(), Tiny("tiny_fp32.xml"), {{"streams", "AUTO"}, {"hint", "NONE"}}),
      1e-4f);
}

TEST(OpenVinoBackend, ThroughputModeRunsAsyncRequestsOnOneCompiledModel) {
  const dli_backend& api = TestBackend();
  EXPECT_NE(api.start_request, nullptr);
  EXPECT_NE(api.wait_request, nullptr);
  EXPECT_EQ(api.max_requests, 0u);
  ExpectRequestsComplete(api, Tiny("tiny_fp32.xml").Request(1), 4, 40);
  ExpectRequestsComplete(api, Tiny("tiny_fp32.xml").Request(2, {{"streams", "2"}}), 2, 10);
}

TEST(OpenVinoBackend, ThroughputModeOnMobileNetV2) {
  ExpectRequestsCompleteOnMobileNetV2(TestBackend(), "openvino", 2, 20);
}

TEST(OpenVinoBackend, RingBufferBatchesAreBoundInTurn) {
  ExpectRingBufferBatchesBoundInTurn(TestBackend(), Tiny("tiny_fp32.xml"));
}

TEST(OpenVinoBackend, MobileNetV2MatchesPyTorchOnRealPhotos) {
  ExpectAgreesWithCheckSetAtBatch1And2(TestBackend(), "openvino", 1e-4f);
}

// The prepared MobileNetV2 at a reduced `precision`, run at the device's
// default arithmetic: the tabby cat stays a cat and at most one photo's top-1
// differs from PyTorch's (bf16 arithmetic or quantization may flip a photo
// whose two best classes are close).
void ExpectMobileNetV2KeepsTop1(const std::string& precision) {
  const std::filesystem::path models_dir = RequiredEnv("DLI_MODELS_DIR");
  const auto format = FindPreparedFormat(models_dir, "mobilenet_v2", "openvino", precision);
  const auto check_set = LoadCheckSet(models_dir / "mobilenet_v2");
  if (!format || !check_set)
    GTEST_SKIP() << "mobilenet_v2 has no OpenVINO " << precision << " IR: run `dli models prepare`";
  OpenRequest request;
  request.model_path = format->path;
  request.weights_path = format->weights;
  request.precision = precision;
  BackendSession session(TestBackend(), request);
  ASSERT_TRUE(session.ok()) << session.error();
  const auto outputs = session.Run(SplitBatches(check_set->input, 1));
  ASSERT_TRUE(outputs.has_value()) << session.error();
  const size_t classes = check_set->logits.RowSize();
  size_t agree = 0;
  for (size_t i = 0; i < check_set->names.size(); ++i) {
    const size_t top1 = ArgMax(outputs->data() + i * classes, classes);
    agree += top1 == ArgMax(check_set->logits.values.data() + i * classes, classes);
    if (check_set->names[i] == "chelsea.png") {
      EXPECT_GE(top1, 281u) << "tabby cat photo";
      EXPECT_LE(top1, 285u) << "tabby cat photo";
    }
  }
  EXPECT_GE(agree + 1, check_set->names.size());
}

TEST(OpenVinoBackend, MobileNetV2Fp16IrKeepsTop1OnRealPhotos) {
  ExpectMobileNetV2KeepsTop1("FP16");
}

TEST(OpenVinoBackend, MobileNetV2Int8IrKeepsTop1OnRealPhotos) {
  ExpectMobileNetV2KeepsTop1("INT8");
}

TEST(OpenVinoBackend, MissingAndForeignFilesGiveClearErrors) {
  const dli_backend& api = TestBackend();
  EXPECT_EQ(OpenError(api, TinyRequest("absent.xml")),
            "model file not found: " + TinyFile("absent.xml"));
  EXPECT_EQ(OpenError(api, TinyRequest("tiny.prototxt")),
            "openvino: cannot read '" + TinyFile("tiny.prototxt") +
                "': expected OpenVINO IR (.xml + .bin) or ONNX (.onnx)");

  OpenRequest no_weights = TinyRequest("tiny_fp32.xml");
  no_weights.weights_path = TinyFile("absent.bin");
  EXPECT_EQ(OpenError(api, no_weights), "weights file not found: " + TinyFile("absent.bin") +
                                            " (an OpenVINO IR .xml needs its .bin)");

  const std::string garbage = OpenError(api, TinyRequest("not_a_model.onnx"));
  EXPECT_EQ(garbage.rfind("openvino: cannot read '" + TinyFile("not_a_model.onnx") + "': ", 0), 0u)
      << garbage;
  EXPECT_EQ(garbage.find('\n'), std::string::npos) << garbage;
  EXPECT_EQ(garbage.find("Exception from"), std::string::npos) << garbage;
}

TEST(OpenVinoBackend, BadParametersDevicesAndPrecisionsAreRejected) {
  const dli_backend& api = TestBackend();
  const auto param_error = [&](const Params& params) {
    return OpenError(api, TinyRequest("tiny_fp32.xml", 1, params));
  };
  EXPECT_EQ(param_error({{"hint", "FAST"}}),
            "parameter hint=FAST: expected one of LATENCY, THROUGHPUT, NONE");
  EXPECT_EQ(param_error({{"streams", "0"}}),
            "parameter streams=0: expected an integer >= 1 or AUTO");
  EXPECT_EQ(param_error({{"streams", "auto"}}),
            "parameter streams=auto: expected an integer >= 1 or AUTO");
  EXPECT_EQ(param_error({{"pinning", "maybe"}}), "parameter pinning=maybe: expected true or false");
  EXPECT_NE(param_error({{"fast", "1"}}).find("unknown parameter 'fast'"), std::string::npos);
  OpenRequest int4 = TinyRequest("tiny_fp32.xml");
  int4.precision = "INT4";
  EXPECT_EQ(OpenError(api, int4), "precision 'INT4' is not supported (supported: FP32,FP16,INT8)");
  OpenRequest npu = TinyRequest("tiny_fp32.xml");
  npu.device = "NPU";
  EXPECT_EQ(OpenError(api, npu),
            "device 'NPU' is not supported (supported: " + std::string(api.devices()) + ")");

  // Not ExpectCommonInputErrors: a machine with a GPU plugin lists "GPU".
  ExpectParamTableEnforced(api, TinyRequest("tiny_fp32.xml"));
  ExpectCallOrderAndSizesChecked(api, TinyRequest("tiny_fp32.xml"));
}

TEST(OpenVinoMessages, SourceLocationsAreDroppedAndLinesJoined) {
  // Texts as OpenVINO 2026.4 throws them.
  EXPECT_EQ(dli::openvino_backend::CleanOpenVinoMessage(
                "Exception from src/inference/src/cpp/core.cpp:84:\n"
                "Check 'util::directory_exists(path) || util::file_exists(path)' "
                "failed at src/frontends/common/src/frontend.cpp:117:\n"
                "FrontEnd API failed with GeneralFailure:\n"
                "onnx: Could not open the file: \"/nonexistent.onnx\"\n\n"),
            "FrontEnd API failed with GeneralFailure: onnx: Could not open the "
            "file: \"/nonexistent.onnx\"");
  EXPECT_EQ(dli::openvino_backend::CleanOpenVinoMessage(
                "Exception from src/inference/src/cpp/core.cpp:117:\n"
                "Exception from src/inference/src/dev/plugin.cpp:54:\n"
                "Exception from "
                "src/inference/src/dev/threading/istreams_executor.cpp:43:\n"
                "Wrong value for property key NUM_STREAMS. Expected non negative "
                "numbers (#streams) or ov::streams::NUMA|ov::streams::AUTO, Got: "
                "-5\n\n\n"),
            "Wrong value for property key NUM_STREAMS. Expected non negative "
            "numbers (#streams) or ov::streams::NUMA|ov::streams::AUTO, Got: -5");
  // Nothing but locations: keep the text rather than return nothing.
  EXPECT_EQ(dli::openvino_backend::CleanOpenVinoMessage("Exception from src/a.cpp:1:\n"),
            "Exception from src/a.cpp:1:");
}

}  // namespace
}  // namespace dli::testing
