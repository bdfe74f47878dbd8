// The parity check's verdicts, its runs and its document, on made-up results.
#include "accuracy/parity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "check_fakes.h"
#include "core/error.h"

using nlohmann::json;

namespace dli {
namespace {

using testing::Backend;
using testing::Predicted;
using testing::Ran;
using testing::SpecOf;
using testing::UsageErrorOf;

const PointResult kReference =
    Ran(SpecOf("onnxruntime", "onnx", "FP32"),
        {Predicted("a.jpg", 1, {0.5f, 2.0f}), Predicted("b.jpg", 0, {1.0f, -1.0f})});

TEST(CompareWithReference, Fp32PassesWithTheSameTop1AndOutputsWithinTolerance) {
  const ParityComparison c = CompareWithReference(
      Ran(SpecOf("openvino", "openvino-ir-fp32", "FP32"),
          {Predicted("b.jpg", 0, {1.0f, -1.25f}), Predicted("a.jpg", 1, {0.5f, 2.0f})}),
      kReference, {0.25, 0.875});
  EXPECT_EQ(c.images, 2u);
  EXPECT_EQ(c.top1_agree, 2u);
  EXPECT_EQ(c.max_abs_diff, 0.25);
  EXPECT_TRUE(c.pass);
  EXPECT_EQ(c.verdict, "");
}

TEST(CompareWithReference, Fp32FailsOutsideToleranceOrWithAnotherTop1) {
  const PointResult far = Ran(SpecOf("opencv", "onnx", "FP32"),
                              {Predicted("a.jpg", 1, {0.5f, 2.5f}), Predicted("b.jpg", 0)});
  ParityComparison c = CompareWithReference(far, kReference, {0.25, 0.875});
  EXPECT_TRUE(std::isinf(c.max_abs_diff));  // b.jpg has no output to compare
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.verdict, "outputs differ by more than 0.250000");

  const PointResult other_top1 =
      Ran(SpecOf("opencv", "onnx", "FP32"), {Predicted("a.jpg", 7, {0.5f, 2.0f})});
  c = CompareWithReference(other_top1, kReference, {0.25, 0.875});
  EXPECT_EQ(c.images, 1u);
  EXPECT_EQ(c.top1_agree, 0u);
  EXPECT_EQ(c.max_abs_diff, 0.0);
  EXPECT_EQ(c.verdict, "top-1 differs from the reference");
}

TEST(CompareWithReference, BelowFp32OnlyTop1AgreementCounts) {
  const PointResult half = Ran(SpecOf("tflite", "tflite-int8", "INT8"),
                               {Predicted("a.jpg", 1, {9.0f, 9.0f}), Predicted("b.jpg", 5)});
  ParityComparison c = CompareWithReference(half, kReference, {1e-3, 0.5});
  EXPECT_EQ(c.top1_agree, 1u);
  EXPECT_TRUE(c.pass);  // 1 of 2 is the 0.5 asked for
  c = CompareWithReference(half, kReference, {1e-3, 0.875});
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.verdict, "top-1 agreement below 87.5%");
}

TEST(CompareWithReference, AFailedRunOrNoCommonImageFails) {
  PointResult crashed = Ran(SpecOf("mxnet", "mxnet", "FP32"), {});
  crashed.status = "crashed";
  crashed.error = "worker killed by signal 11 (Segmentation fault)";
  ParityComparison c = CompareWithReference(crashed, kReference, {});
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.verdict, "crashed: worker killed by signal 11 (Segmentation fault)");
  c = CompareWithReference(Ran(SpecOf("mxnet", "mxnet", "FP32"), {Predicted("z.jpg", 1)}),
                           kReference, {});
  EXPECT_EQ(c.images, 0u);
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.verdict, "no image in common with the reference");
}

class ParityRun : public ::testing::Test {
 protected:
  ParityRun() {
    meta.name = "tiny";
    meta.dir = "/models/tiny";
    meta.formats = {
        {"onnx", "onnx", "FP32", "onnx/tiny.onnx", "", "", {"onnxruntime", "openvino", "opencv"}},
        {"openvino-ir-fp32",
         "openvino",
         "FP32",
         "openvino/fp32/tiny.xml",
         "openvino/fp32/tiny.bin",
         "",
         {"openvino"}},
        {"openvino-ir-fp16", "openvino", "FP16", "openvino/fp16/tiny.xml", "", "", {"openvino"}},
        {"tflite-int8", "tflite", "INT8", "tflite/tiny_int8.tflite", "", "", {"tflite"}}};
    request.model = "tiny";
    request.images_dir = "/photos";
    request.files = {"/photos/a.jpg", "/photos/b.jpg"};
  }

  // Every run agrees with the reference but opencv's outputs (off by 0.25)
  // and openvino FP16's top-1 of b.jpg.
  PointResult Run(const PointSpec& spec) {
    specs.push_back(spec);
    const bool off = spec.framework == "opencv";
    const bool fp16 = spec.precision == "FP16";
    return Ran(spec, {Predicted("/photos/a.jpg", 1, {0.5f, off ? 2.25f : 2.0f}),
                      Predicted("/photos/b.jpg", fp16 ? 3 : 0, {1.0f, -1.0f})});
  }

  ParityReport Check(const std::vector<BackendInfo>& available,
                     const std::vector<BackendInfo>& checked) {
    return RunParityCheck(
        meta, request, available, checked, [&](const PointSpec& s) { return Run(s); }, log);
  }

  ModelMeta meta;
  ParityRequest request;
  std::vector<PointSpec> specs;
  std::ostringstream log;
};

TEST_F(ParityRun, ReferenceOnTheFirstAvailableFrameworkThenEveryFormatChecked) {
  const std::vector<BackendInfo> available = {Backend("opencv", {"FP32"}),
                                              Backend("openvino", {"FP32", "FP16"})};
  const ParityReport report = Check(available, available);

  EXPECT_EQ(log.str(),
            "reference: onnx/tiny.onnx on openvino\n"
            "checking opencv onnx ... FAIL outputs differ by more than 0.001000\n"
            "checking openvino onnx ... PASS\n"
            "checking openvino openvino-ir-fp32 ... PASS\n"
            "checking openvino openvino-ir-fp16 ... FAIL top-1 agreement below 87.5%\n");
  ASSERT_EQ(specs.size(), 5u);
  const PointSpec& ref = specs[0];
  EXPECT_EQ(ref.mode, "predict");
  EXPECT_EQ(ref.framework, "openvino");
  EXPECT_EQ(ref.model_path, "/models/tiny/onnx/tiny.onnx");
  EXPECT_EQ(ref.model_format, "onnx");
  EXPECT_EQ(ref.precision, "FP32");
  EXPECT_EQ(ref.batch, 1);
  EXPECT_EQ(ref.input.files, request.files);
  EXPECT_TRUE(ref.input.keep_outputs);
  EXPECT_EQ(ref.timeout_s, 604);
  EXPECT_EQ(specs[3].weights_path, "/models/tiny/openvino/fp32/tiny.bin");

  EXPECT_EQ(report.reference_framework, "openvino");
  EXPECT_EQ(report.reference_format, "onnx");
  ASSERT_EQ(report.results.size(), 4u);
  EXPECT_EQ(report.results[0].max_abs_diff, 0.25);
  EXPECT_FALSE(report.passed());

  const ConsoleReport console = ParityConsole(report);
  EXPECT_EQ(console.before, "\nparity with onnx/tiny.onnx on openvino, 2 photos from /photos\n\n");
  EXPECT_EQ(console.header, (std::vector<std::string>{"framework", "format", "precision",
                                                      "top-1 agree", "max |diff|", "result"}));
  const std::vector<std::vector<std::string>> rows = {
      {"opencv", "onnx", "FP32", "2/2", "0.250000", "FAIL: outputs differ by more than 0.001000"},
      {"openvino", "onnx", "FP32", "2/2", "0.000000", "PASS"},
      {"openvino", "openvino-ir-fp32", "FP32", "2/2", "0.000000", "PASS"},
      {"openvino", "openvino-ir-fp16", "FP16", "1/2", "0.000000",
       "FAIL: top-1 agreement below 87.5%"}};
  EXPECT_EQ(console.rows, rows);
  EXPECT_EQ(console.after, "\nPARITY CHECK FAILED\n");
}

TEST_F(ParityRun, OnlyTheRequestedPrecisionsAndThoseTheFrameworkDeclares) {
  request.precisions = {"FP16", "INT8"};
  const std::vector<BackendInfo> available = {Backend("onnxruntime", {"FP32"}),
                                              Backend("openvino", {"FP32"})};
  ParityReport report = Check(available, available);
  EXPECT_TRUE(report.results.empty());  // openvino declares no FP16
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(log.str(), "reference: onnx/tiny.onnx on onnxruntime\n");

  request.rule.min_agreement = 0.5;
  report = Check(available, {Backend("openvino", {"FP32", "FP16"})});
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].run.spec.model_format, "openvino-ir-fp16");
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(ParityConsole(report).after, "");
}

TEST_F(ParityRun, TheDocument) {
  const std::vector<BackendInfo> available = {Backend("openvino", {"FP32", "FP16"})};
  request.precisions = {"FP32"};
  const ParityReport report = Check(available, {Backend("opencv", {"FP32"})});
  HostInfo host;
  host.hostname = "h";
  json doc = ParityDocument(report, host);
  EXPECT_EQ(doc["host"], HostToJson(host));
  doc.erase("host");
  const json expected = {
      {"schema", "dli.parity/1"},
      {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
      {"model", "tiny"},
      {"reference",
       {{"framework", "openvino"}, {"format", "onnx"}, {"framework_version", "openvino-1.0"}}},
      {"images", {"/photos/a.jpg", "/photos/b.jpg"}},
      {"tolerance", 1e-3},
      {"min_agreement", 0.875},
      {"results",
       {{{"framework", "opencv"},
         {"framework_version", "opencv-1.0"},
         {"format", "onnx"},
         {"precision", "FP32"},
         {"images", 2},
         {"top1_agree", 2},
         {"max_abs_diff", 0.25},
         {"pass", false},
         {"reason", "outputs differ by more than 0.001000"}}}}};
  EXPECT_EQ(doc, expected);
}

TEST_F(ParityRun, NoReferenceIsAUsageError) {
  EXPECT_EQ(UsageErrorOf([&] { Check({Backend("tflite", {"FP32"})}, {}); }),
            "no available framework can run the reference ONNX model");
  meta.formats.erase(meta.formats.begin());
  EXPECT_EQ(UsageErrorOf([&] { Check({Backend("openvino", {"FP32"})}, {}); }),
            "/models/tiny/model.json has no FP32 ONNX format to compare with");
}

TEST(ParityCheck, AFailedReferenceRunStopsTheCheck) {
  ModelMeta meta;
  meta.formats = {{"onnx", "onnx", "FP32", "m.onnx", "", "", {"opencv"}}};
  std::ostringstream log;
  const auto fail = [](const PointSpec& spec) {
    PointResult r = Ran(spec, {});
    r.status = "timeout";
    r.error = "timed out after 604 s";
    return r;
  };
  const std::vector<BackendInfo> opencv = {Backend("opencv", {"FP32"})};
  try {
    RunParityCheck(meta, {}, opencv, opencv, fail, log);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(dynamic_cast<const UsageError*>(&e), nullptr) << "a failed run is no usage error";
    EXPECT_STREQ(e.what(), "reference run failed: timed out after 604 s");
  }
}

}  // namespace
}  // namespace dli
