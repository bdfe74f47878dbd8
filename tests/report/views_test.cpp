// Unit tests of the report's derived views (report/views.h) with exact values.
#include "report/views.h"

#include <gtest/gtest.h>

#include <cmath>

#include "views_fixture.h"

namespace dli {
namespace {

using testing::LatencyResult;
using testing::PointOptions;
using testing::ViewResult;
using testing::WithMachine;

TEST(ParetoFront, KeepsPointsNoOtherBeatsOnBothAxes) {
  const std::vector<std::pair<double, double>> points = {{10, 100}, {5, 80},   {20, 150}, {15, 90},
                                                         {5, 80},   {20, 140}, {0, 500},  {30, -1}};
  // (15, 90) loses to (10, 100); (20, 140) to (20, 150); the twins at
  // (5, 80) are both on the front; a non-positive coordinate is left out.
  EXPECT_EQ(ParetoFront(points), (std::vector<size_t>{1, 4, 0, 2}));
  EXPECT_EQ(ParetoFront({}), std::vector<size_t>{});
  EXPECT_EQ(ParetoFront({{3, 7}}), std::vector<size_t>{0});
  // Slower and faster at once: only the dominating point remains.
  EXPECT_EQ(ParetoFront({{4, 10}, {2, 20}}), std::vector<size_t>{1});
}

TEST(NormalizedFps, ScalesByTheDriftRatio) {
  EXPECT_DOUBLE_EQ(*NormalizedFps(100, 1.1), 110);
  EXPECT_DOUBLE_EQ(*NormalizedFps(250, 0.8), 200);
  EXPECT_FALSE(NormalizedFps(100, 0));  // ratio unknown
  EXPECT_FALSE(NormalizedFps(0, 1.1));
  EXPECT_FALSE(NormalizedFps(100, std::nan("")));
}

TEST(BuildViewPoints, AggregatesRepetitionsWithFlagsAndDrift) {
  PointOptions rep;
  std::vector<PointResult> results;
  rep.repetition = 0;
  results.push_back(WithMachine(LatencyResult("openvino", "FP32", 1, 200, rep), 0, 0, 0, 1, 1.0));
  rep.repetition = 1;
  results.push_back(
      WithMachine(LatencyResult("openvino", "FP32", 1, 160, rep), 1, 0.05, 0, 1, 1.25, {"steal"}));
  rep.repetition = 2;
  results.push_back(LatencyResult("openvino", "FP32", 1, 100, rep));  // replaced below
  results.push_back(WithMachine(LatencyResult("openvino", "FP32", 1, 180, rep), 2, 0, 0, 1, 0));
  const std::vector<ViewPoint> views = BuildViewPoints(results);
  ASSERT_EQ(views.size(), 1u);
  const ViewPoint& v = views[0];
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.repetitions, 3u);
  EXPECT_EQ(v.flagged, 1u);
  EXPECT_EQ(v.flags, std::vector<std::string>{"steal"});
  // The median of the medians 5, 6.25 and 5.556 ms.
  EXPECT_DOUBLE_EQ(v.latency_ms, 1000.0 / 180);
  EXPECT_NEAR(v.fps, 180, 1e-9);
  // Two repetitions have a ratio: 200 x 1.0 and 160 x 1.25.
  EXPECT_DOUBLE_EQ(*v.normalized_fps, 200);
  EXPECT_DOUBLE_EQ(*v.drift_ratio, 1.125);
}

TEST(BuildViewPoints, SeparatesTargetsModesAndParams) {
  const std::vector<ViewPoint> views = BuildViewPoints({
      LatencyResult("openvino", "FP32", 1, 200, {{}, 0, "box-b"}),
      LatencyResult("openvino", "FP32", 1, 210),
      ViewResult("openvino", "FP32", 1, 400, 10, {{}, 4}),
      LatencyResult("openvino", "INT8", 1, 300),
      LatencyResult("openvino", "FP32", 1, 220, {{{"nthreads", "2"}}}),
  });
  ASSERT_EQ(views.size(), 5u);
  // Sorted by target ("box-b" < "local"), precision, mode, batch, params.
  EXPECT_EQ(views[0].target, "box-b");
  EXPECT_EQ(views[1].fps, 210);
  EXPECT_EQ(views[2].fps, 220);
  EXPECT_TRUE(views[3].throughput);
  EXPECT_EQ(views[3].requests, 4u);
  EXPECT_EQ(views[3].latency_ms, 10);
  EXPECT_EQ(views[4].precision, "INT8");
}

TEST(BuildViewPoints, ThroughputRepetitionsAggregateTheirThroughput) {
  std::vector<PointResult> results;
  for (size_t i = 0; i < 3; ++i) {
    PointOptions o{{}, 4};
    o.repetition = i;
    results.push_back(ViewResult("openvino", "FP32", 1, 400 + 10 * i, 10, o));
  }
  const ViewPoint v = BuildViewPoints(results).at(0);
  // The core's between-repetition estimator over the throughputs (K = 3:
  // Student t): 410 +- t(0.975, 2) * 10 / sqrt(3).
  EXPECT_DOUBLE_EQ(v.fps, 410);
  EXPECT_NEAR(*v.fps_low, 410 - 4.302653 * 10 / std::sqrt(3.0), 1e-4);
  EXPECT_NEAR(*v.fps_high, 410 + 4.302653 * 10 / std::sqrt(3.0), 1e-4);
}

TEST(FindBestPerMode, BestPointAgainstTheBestDefaultPerMode) {
  const std::vector<ViewPoint> views = BuildViewPoints(testing::ModesResults());
  const std::vector<ModeBest> best = FindBestPerMode(views);
  // onnxruntime FP32 x2 modes, openvino FP32 x2, openvino INT8, tflite FP32;
  // tflite INT8 failed.
  ASSERT_EQ(best.size(), 6u);
  const ModeBest& latency = best[2];
  EXPECT_EQ(latency.framework, "openvino");
  EXPECT_FALSE(latency.throughput);
  EXPECT_EQ(ParamsText(latency.best->params), "nthreads=2");
  EXPECT_EQ(latency.best->batch, 4);
  ASSERT_NE(latency.best_default, nullptr);
  EXPECT_EQ(latency.best_default->fps, 260);
  EXPECT_DOUBLE_EQ(*latency.Gain(), 300.0 / 260 - 1);
  EXPECT_FALSE(latency.GainWithinNoise());
  const ModeBest& throughput = best[3];
  EXPECT_TRUE(throughput.throughput);
  EXPECT_EQ(throughput.best->fps, 450);
  EXPECT_EQ(throughput.best_default->fps, 440);
  EXPECT_TRUE(throughput.GainWithinNoise());  // [441, 459] against [431.2, 448.8]
  EXPECT_TRUE(AnyNonDefaultParams(views));
  EXPECT_FALSE(AnyNonDefaultParams(BuildViewPoints({LatencyResult("tflite", "FP32", 1, 90)})));
}

TEST(FindBestPerMode, NoDefaultPointMeansNoGain) {
  const std::vector<ViewPoint> views =
      BuildViewPoints({LatencyResult("openvino", "FP32", 1, 200, {{{"nthreads", "2"}}})});
  const std::vector<ModeBest> best = FindBestPerMode(views);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].best_default, nullptr);
  EXPECT_FALSE(best[0].Gain());
}

TEST(PivotTables, ModesTableHasBothModesPerPrecision) {
  const std::vector<ViewPoint> views = BuildViewPoints(testing::ModesResults());
  const PivotTable t = ModesTable(views);
  EXPECT_EQ(t.row_fields, std::vector<std::string>{"framework"});
  EXPECT_EQ(t.columns, (std::vector<std::vector<std::string>>{{"FP32", "Latency mode"},
                                                              {"FP32", "Throughput mode"},
                                                              {"INT8", "Latency mode"},
                                                              {"INT8", "Throughput mode"}}));
  EXPECT_EQ(t.rows,
            (std::vector<std::vector<std::string>>{{"onnxruntime"}, {"openvino"}, {"tflite"}}));
  EXPECT_EQ(t.cells[1][0].best->fps, 300);
  EXPECT_EQ(t.cells[1][1].best->fps, 450);
  EXPECT_EQ(t.cells[1][2].best->fps, 350);
  EXPECT_FALSE(t.cells[1][3].measured);
  // tflite INT8: measured, failed.
  EXPECT_TRUE(t.cells[2][2].measured);
  EXPECT_EQ(t.cells[2][2].best, nullptr);
}

TEST(PivotTables, TargetsTableHasOneColumnPerTarget) {
  const std::vector<ViewPoint> views = BuildViewPoints({
      LatencyResult("openvino", "FP32", 1, 200, {{}, 0, "gpu-box"}),
      LatencyResult("openvino", "FP32", 1, 210),
      LatencyResult("openvino", "FP32", 2, 250),
      LatencyResult("openvino", "FP32", 16, 260),
  });
  const PivotTable t = TargetsTable(views);
  EXPECT_EQ(t.row_fields, (std::vector<std::string>{"framework", "precision", "batch"}));
  EXPECT_EQ(t.columns, (std::vector<std::vector<std::string>>{{"gpu-box"}, {"local"}}));
  // Batch sizes sort as numbers.
  EXPECT_EQ(t.rows,
            (std::vector<std::vector<std::string>>{
                {"openvino", "FP32", "1"}, {"openvino", "FP32", "2"}, {"openvino", "FP32", "16"}}));
  EXPECT_EQ(t.cells[0][0].best->fps, 200);
  EXPECT_EQ(t.cells[0][1].best->fps, 210);
  EXPECT_FALSE(t.cells[1][0].measured);
}

TEST(PivotTables, ModelsTableMarksFailedAndMissingCells) {
  const std::vector<ViewPoint> views = BuildViewPoints({
      LatencyResult("openvino", "FP32", 1, 200),
      LatencyResult("openvino", "FP32", 1, 40, {{}, 0, "local", "resnet50"}),
      LatencyResult("tflite", "INT8", 1, 0, {{}, 0, "local", "resnet50", 0, "failed"}),
  });
  const PivotTable t = ModelsTable(views);
  EXPECT_EQ(t.row_fields, (std::vector<std::string>{"model", "batch"}));
  EXPECT_EQ(t.columns,
            (std::vector<std::vector<std::string>>{{"openvino", "FP32"}, {"tflite", "INT8"}}));
  EXPECT_EQ(t.rows,
            (std::vector<std::vector<std::string>>{{"mobilenet_v2", "1"}, {"resnet50", "1"}}));
  EXPECT_EQ(t.cells[0][0].best->fps, 200);
  EXPECT_FALSE(t.cells[0][1].measured);  // N/A
  EXPECT_TRUE(t.cells[1][1].measured);   // -
  EXPECT_EQ(t.cells[1][1].best, nullptr);
}

}  // namespace
}  // namespace dli
