// The accuracy checker's runs, table and document, on made-up results.
#include "accuracy/accuracy_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "check_fakes.h"
#include "core/files.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {
namespace {

using testing::Backend;
using testing::Predicted;
using testing::Ran;
using testing::UsageErrorOf;

// A prepared model with a background class (label offset 1): FP32 ONNX for
// onnxruntime and openvino, FP16 IR for openvino; three labelled photos.
class AccuracyRun : public ::testing::Test {
 protected:
  AccuracyRun() {
    std::ofstream(dir.path() / "model.json") << R"({
      "name": "tiny", "labels": "labels.txt", "output": {"label_offset": 1},
      "preprocessing": {"preset": "imagenet"},
      "formats": [
        {"id": "onnx", "format": "onnx", "precision": "FP32", "path": "tiny.onnx",
         "frameworks": ["onnxruntime", "openvino"]},
        {"id": "openvino-ir-fp16", "format": "openvino", "precision": "FP16",
         "path": "tiny.xml", "frameworks": ["openvino"]}]})";
    std::ofstream(dir.path() / "labels.txt") << "cat\ndog\nfox\n";
    std::ofstream(dir.path() / "tiny.onnx") << "x";
    std::ofstream(dir.path() / "tiny.xml") << "x";
    request.model = dir.path().string();
    request.precisions = {"FP32", "FP16"};
    dataset.root = "/data";
    dataset.format = "manifest";
    dataset.items = {{"/data/a.jpg", {0}}, {"/data/b.jpg", {1, 2}}, {"/data/c.jpg", {5}}};
    dataset.warnings = {"manifest.txt:4: bad line"};
  }

  // FP32 is right on a.jpg and b.jpg, FP16 only on a.jpg (class + 1 is
  // the right output index).
  PointResult Run(const PointSpec& spec) {
    specs.push_back(spec);
    const bool fp16 = spec.precision == "FP16";
    PointResult r = Ran(spec, {Predicted("/data/a.jpg", 1), Predicted("/data/b.jpg", fp16 ? 7 : 3),
                               Predicted("/data/c.jpg", 9)});
    r.wall_s = 0.5;
    if (spec.framework == "onnxruntime") r.skipped_images = {"/data/x.jpg: cannot decode"};
    return r;
  }

  AccuracyReport Check(const std::vector<BackendInfo>& backends) {
    return RunAccuracyCheck(
        request, dataset, backends, [&](const PointSpec& s) { return Run(s); }, log);
  }

  TempDir dir;
  AccuracyRequest request;
  Dataset dataset;
  std::vector<PointSpec> specs;
  std::ostringstream log;
  const std::vector<BackendInfo> backends = {Backend("onnxruntime", {"FP32"}),
                                             Backend("openvino", {"FP32", "FP16"})};
};

TEST_F(AccuracyRun, EveryFrameworkAndPrecisionThatHasAModel) {
  const AccuracyReport report = Check(backends);
  EXPECT_EQ(log.str(),
            "dataset: /data (manifest, 3 images, 1 entries skipped, e.g. manifest.txt:4: bad "
            "line)\n"
            "[1/4] onnxruntime FP32 (onnx) ... top-1 2/3, top-5 2/3\n"
            "[2/4] skipped: prepared model 'tiny' has no FP16 variant for framework "
            "'onnxruntime'; available: FP32\n"
            "[3/4] openvino FP32 (onnx) ... top-1 2/3, top-5 2/3\n"
            "[4/4] openvino FP16 (openvino-ir-fp16) ... top-1 1/3, top-5 1/3\n");
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[2].mode, "predict");
  EXPECT_EQ(specs[2].model_path, (dir.path() / "tiny.xml").string());
  EXPECT_EQ(specs[2].input.files,
            (std::vector<std::string>{"/data/a.jpg", "/data/b.jpg", "/data/c.jpg"}));
  EXPECT_FALSE(specs[2].input.keep_outputs);
  EXPECT_EQ(report.class_names, (std::vector<std::string>{"cat", "dog", "fox"}));
  ASSERT_EQ(report.points.size(), 3u);
  EXPECT_EQ(report.points[2].label_offset, 1);
  EXPECT_EQ(report.points[2].score.top1, 1u);
  EXPECT_TRUE(report.all_ok());
  const auto spread = LargestDifference(report.points);
  ASSERT_TRUE(spread.has_value());
  EXPECT_DOUBLE_EQ(spread->top1, 100.0 * 2 / 3 - 100.0 * 1 / 3);
  EXPECT_DOUBLE_EQ(spread->top5, 100.0 * 2 / 3 - 100.0 * 1 / 3);

  const ConsoleReport console = AccuracyConsole(report, false);
  EXPECT_EQ(console.before, "\n");
  EXPECT_EQ(console.header,
            (std::vector<std::string>{"framework", "precision", "format", "images", "top-1",
                                      "top-1 %", "top-5", "top-5 %", "images/s", "status"}));
  const std::vector<std::vector<std::string>> rows = {
      {"onnxruntime", "FP32", "onnx", "3", "2", "66.67", "2", "66.67", "6.0", "ok"},
      {"openvino", "FP32", "onnx", "3", "2", "66.67", "2", "66.67", "6.0", "ok"},
      {"openvino", "FP16", "openvino-ir-fp16", "3", "1", "33.33", "1", "33.33", "6.0", "ok"}};
  EXPECT_EQ(console.rows, rows);
  EXPECT_EQ(console.after,
            "largest difference between frameworks/precisions: top-1 33.33 points, top-5 33.33 "
            "points\n"
            "note: 3 images is a sanity check of the conversion, not an ImageNet accuracy figure\n"
            "warning: onnxruntime: 1 image(s) could not be decoded, e.g. /data/x.jpg: cannot "
            "decode\n");
}

TEST_F(AccuracyRun, VerboseNamesEachImagesClass) {
  const AccuracyReport report = Check({backends[0]});
  EXPECT_EQ(AccuracyConsole(report, true).after,
            "largest difference between frameworks/precisions: top-1 0.00 points, top-5 0.00 "
            "points\n"
            "note: 3 images is a sanity check of the conversion, not an ImageNet accuracy figure\n"
            "warning: onnxruntime: 1 image(s) could not be decoded, e.g. /data/x.jpg: cannot "
            "decode\n"
            "  onnxruntime FP32 /data/a.jpg: cat\n"
            "  onnxruntime FP32 /data/b.jpg: fox\n"
            "  onnxruntime FP32 /data/c.jpg: 8\n");
}

TEST_F(AccuracyRun, TheRequestsLabelOffsetWins) {
  request.label_offset = 2;
  const AccuracyReport report = Check({backends[0]});
  EXPECT_EQ(report.points[0].label_offset, 2);
  EXPECT_EQ(report.points[0].score.top1, 1u);  // only b.jpg's output 3 is its class 1
}

TEST_F(AccuracyRun, AFailedPointIsAResultOutsideTheSpread) {
  const AccuracyReport report = RunAccuracyCheck(
      request, dataset, backends,
      [&](const PointSpec& s) {
        PointResult r = Run(s);
        if (s.precision == "FP16") {
          r.status = "crashed";
          r.error = "worker killed by signal 6 (Aborted)";
          r.predictions.clear();
        }
        return r;
      },
      log);
  EXPECT_FALSE(report.all_ok());
  EXPECT_EQ(LargestDifference(report.points)->top1, 0.0);
  EXPECT_EQ(AccuracyConsole(report, false).rows[2],
            (std::vector<std::string>{"openvino", "FP16", "openvino-ir-fp16", "0", "0", "0.00", "0",
                                      "0.00", "0.0", "crashed"}));
  EXPECT_FALSE(LargestDifference({report.points[2]}).has_value());
}

TEST_F(AccuracyRun, NoModelForTheOnlyPointOrForAnyIsAUsageError) {
  request.precisions = {"INT8"};
  EXPECT_EQ(UsageErrorOf([&] { Check({backends[0]}); }),
            "prepared model 'tiny' has no INT8 variant for framework 'onnxruntime'; available: "
            "FP32");
  request.precisions = {"INT8", "UINT8"};
  EXPECT_EQ(UsageErrorOf([&] { Check({backends[0]}); }),
            "no framework has a model for the requested precision");
}

TEST_F(AccuracyRun, TheDocument) {
  HostInfo host;
  host.cpu_model = "cpu";
  const json doc = AccuracyDocument(Check(backends), host);
  EXPECT_EQ(doc["schema"], "dli.accuracy/1");
  EXPECT_EQ(doc["tool"], json({{"name", "dli"}, {"version", DLI_VERSION}}));
  EXPECT_EQ(doc["host"], HostToJson(host));
  EXPECT_EQ(doc["dataset"], json({{"root", "/data"},
                                  {"format", "manifest"},
                                  {"images", 3},
                                  {"warnings", {"manifest.txt:4: bad line"}},
                                  {"sanity_only", true}}));
  const double spread = 100.0 * 2 / 3 - 100.0 * 1 / 3;
  EXPECT_EQ(doc["max_difference_pct"], json({{"top1", spread}, {"top5", spread}}));
  ASSERT_EQ(doc["results"].size(), 3u);
  const json& fp16 = doc["results"][2];
  EXPECT_EQ(fp16["framework"], "openvino");
  EXPECT_EQ(fp16["precision"], "FP16");
  EXPECT_EQ(fp16["label_offset"], 1);
  EXPECT_EQ(fp16["images"], 3);
  EXPECT_EQ(fp16["top1"], 1);
  EXPECT_EQ(fp16["images_per_s"], 6.0);
  EXPECT_EQ(fp16["predictions"][1], json({{"file", "/data/b.jpg"},
                                          {"labels", {1, 2}},
                                          {"top5", {7, 0, 0, 0, 0}},
                                          {"top5_scores", {1, 0, 0, 0, 0}}}));
}

TEST(AccuracyDocument, NoPointRanMeansNoDifference) {
  AccuracyReport report;
  EXPECT_EQ(AccuracyDocument(report, {})["max_difference_pct"],
            json({{"top1", 0.0}, {"top5", 0.0}}));
}

}  // namespace
}  // namespace dli
