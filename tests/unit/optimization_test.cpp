// dli optimize's paths and its verdict on made-up check results.
#include "accuracy/optimization.h"

#include <gtest/gtest.h>

#include "check_fakes.h"

using nlohmann::json;

namespace dli {
namespace {

using testing::Predicted;
using testing::Ran;
using testing::SpecOf;
using testing::UsageErrorOf;

TEST(FindOptimizationPath, EachFrameworksToolOrWhyNot) {
  const OptimizationPath& int8 = FindOptimizationPath("openvino", "INT8");
  EXPECT_STREQ(int8.step, "openvino_int8");
  EXPECT_TRUE(int8.calibrated);
  EXPECT_FALSE(FindOptimizationPath("onnxruntime", "FP16").calibrated);
  EXPECT_STREQ(FindOptimizationPath("tflite", "UINT8").step, "tflite_uint8");
  EXPECT_EQ(UsageErrorOf([] { FindOptimizationPath("openvino", "UINT8"); }),
            "openvino has no uint8 path; it offers --to fp16, int8");
  EXPECT_EQ(UsageErrorOf([] { FindOptimizationPath("tensorflow", "INT8"); }),
            "no optimisation path for tensorflow: TensorFlow quantizes through its TFLite "
            "converter (use --framework tflite); there is no post-training quantization of a "
            "SavedModel");
  EXPECT_EQ(UsageErrorOf([] { FindOptimizationPath("caffe", "INT8"); }),
            "unknown --framework 'caffe'; dli optimize knows openvino, onnxruntime, tflite, "
            "mxnet, pytorch");
}

TEST(AgreementOf, Top1OverTheImagesBothPredicted) {
  const PointResult fp32 =
      Ran(SpecOf("openvino", "onnx", "FP32"),
          {Predicted("/d/a.jpg", 1), Predicted("/d/b.jpg", 2), Predicted("/d/c.jpg", 3)});
  const PointResult int8 =
      Ran(SpecOf("openvino", "openvino-ir-int8", "INT8"),
          {Predicted("/d/c.jpg", 4), Predicted("/d/a.jpg", 1), Predicted("/d/z.jpg", 1)});
  const Agreement a = AgreementOf(int8, fp32);
  EXPECT_EQ(a.images, 2u);
  EXPECT_EQ(a.top1_equal, 1u);
  EXPECT_EQ(a.differs, std::vector<std::string>{"c.jpg"});
}

// openvino INT8 loses b.jpg of four photos: 25 points of top-1.
class Verdict : public ::testing::Test {
 protected:
  Verdict() {
    made = {"tiny",
            "openvino",
            "INT8",
            "openvino_int8",
            "openvino-ir-int8",
            json({{"id", "openvino-ir-int8"},
                  {"path", "openvino/int8/tiny.xml"},
                  {"converter", "nncf"},
                  {"converter_version", "2.0"}}),
            json({{"samples", 8}, {"dataset", "/cal"}})};
    const std::vector<std::string> files = {"/d/a.jpg", "/d/b.jpg", "/d/c.jpg", "/d/d.jpg"};
    accuracy.dataset.root = "/d";
    for (const std::string& f : files) accuracy.dataset.items.push_back({f, {0}});
    for (const char* precision : {"FP32", "INT8"}) {
      AccuracyPoint p;
      const bool int8 = precision == std::string("INT8");
      p.run = Ran(SpecOf("openvino", int8 ? "openvino-ir-int8" : "onnx", precision),
                  {Predicted(files[0], 0), Predicted(files[1], int8 ? 5 : 0),
                   Predicted(files[2], 0), Predicted(files[3], 0)});
      p.score = ScorePredictions(p.run, accuracy.dataset, 0);
      accuracy.points.push_back(p);
    }
    parity.request.rule.min_agreement = 0.875;
    parity.reference_framework = "onnxruntime";
    parity.reference_format = "onnx";
    parity.reference.framework_version = "1.17";
    ParityComparison c;
    c.run = accuracy.points[1].run;
    c.images = 4;
    c.top1_agree = 3;
    c.max_abs_diff = 0.5;
    c.verdict = "top-1 agreement below 87.5%";
    parity.results = {c};
  }

  OptimizedModel made;
  ParityReport parity;
  AccuracyReport accuracy;
};

TEST_F(Verdict, ALossAboveTheLimitIsFlagged) {
  const OptimizeVerdict v = JudgeOptimizedModel(made, parity, accuracy, 1.0);
  EXPECT_EQ(v.top1_loss, 25.0);
  EXPECT_TRUE(v.flagged);
  const ConsoleReport console = VerdictConsole(v);
  EXPECT_EQ(console.before,
            "\n== dli optimize: tiny INT8 on openvino\n"
            "model:       openvino-ir-int8 (openvino/int8/tiny.xml), nncf 2.0\n"
            "calibration: 8 image(s) of /cal\n"
            "accuracy on /d (4 images: a sanity check, not an ImageNet figure):\n");
  EXPECT_EQ(console.header, (std::vector<std::string>{"precision", "format", "top-1", "top-1 %",
                                                      "top-5", "top-5 %"}));
  const std::vector<std::vector<std::string>> rows = {
      {"FP32", "onnx", "4/4", "100.00", "4/4", "100.00"},
      {"INT8", "openvino-ir-int8", "3/4", "75.00", "4/4", "100.00"}};
  EXPECT_EQ(console.rows, rows);
  EXPECT_EQ(console.after,
            "top-1 agreement with openvino FP32: 3/4 (differs on b.jpg)\n"
            "top-1 agreement with the reference (onnx on onnxruntime): 3/4, max |logit diff| "
            "0.500: WARNING, below 87.5%\n"
            "verdict: FLAGGED: top-1 loss 25.00 percentage points exceeds --max-loss 1.00\n");
}

TEST_F(Verdict, WithinTheLimitIsOk) {
  made.calibration = nullptr;
  parity.results[0].pass = true;
  const OptimizeVerdict v = JudgeOptimizedModel(made, parity, accuracy, 30);
  EXPECT_FALSE(v.flagged);
  const ConsoleReport console = VerdictConsole(v);
  EXPECT_EQ(console.before.find("calibration:"), std::string::npos);
  EXPECT_EQ(console.after.substr(console.after.find("0.500")),
            "0.500\nverdict: OK: top-1 loss 25.00 points (limit 30.00)\n");
  std::swap(accuracy.points[0].score, accuracy.points[1].score);  // a gain
  const std::string gain = VerdictConsole(JudgeOptimizedModel(made, parity, accuracy, 1)).after;
  EXPECT_EQ(gain.substr(gain.find("verdict")),
            "verdict: OK: top-1 change +25.00 points (limit 1.00)\n");
}

TEST_F(Verdict, TheDocument) {
  const json doc = VerdictToJson(JudgeOptimizedModel(made, parity, accuracy, 1.0));
  const json expected = {
      {"schema", "dli.optimize/1"},
      {"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
      {"model", "tiny"},
      {"framework", "openvino"},
      {"precision", "INT8"},
      {"step", "openvino_int8"},
      {"format", made.format},
      {"calibration", made.calibration},
      {"accuracy",
       {{"dataset", "/d"},
        {"fp32",
         {{"precision", "FP32"},
          {"format", "onnx"},
          {"images", 4},
          {"top1", 4},
          {"top5", 4},
          {"top1_pct", 100.0},
          {"top5_pct", 100.0}}},
        {"optimized",
         {{"precision", "INT8"},
          {"format", "openvino-ir-int8"},
          {"images", 4},
          {"top1", 3},
          {"top5", 4},
          {"top1_pct", 75.0},
          {"top5_pct", 100.0}}}}},
      {"agreement_with_fp32", {{"images", 4}, {"top1_equal", 3}, {"differs", {"b.jpg"}}}},
      {"parity",
       {{"framework", "openvino"},
        {"framework_version", "openvino-1.0"},
        {"format", "openvino-ir-int8"},
        {"precision", "INT8"},
        {"images", 4},
        {"top1_agree", 3},
        {"max_abs_diff", 0.5},
        {"pass", false},
        {"reason", "top-1 agreement below 87.5%"},
        {"reference",
         {{"framework", "onnxruntime"}, {"format", "onnx"}, {"framework_version", "1.17"}}},
        {"min_agreement", 0.875}}},
      {"max_loss", 1.0},
      {"top1_loss", 25.0},
      {"flagged", true}};
  EXPECT_EQ(doc, expected);
}

TEST_F(Verdict, AnIncompleteCheckIsAFailure) {
  accuracy.points[0].run.status = "crashed";
  try {
    JudgeOptimizedModel(made, parity, accuracy, 1);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "the accuracy check of openvino FP32 and INT8 did not complete (its output is "
                 "above)");
  }
  accuracy.points[0].run.status = "ok";
  parity.results.clear();
  try {
    JudgeOptimizedModel(made, parity, accuracy, 1);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "the parity check has no result for openvino-ir-int8 (its output is above)");
  }
}

}  // namespace
}  // namespace dli
