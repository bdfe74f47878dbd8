#include "report/compare.h"

#include <gtest/gtest.h>

#include "core/point.h"

namespace dli {
namespace {

// A stored performance point, read back: `fps` with the latency CI
// [ci_low, ci_high] ms.
PointResult Point(int batch, double fps, double ci_low, double ci_high,
                     const ParamList& params = {}) {
  PointResult r;
  r.spec.model_name = "m";
  r.spec.model_format = "onnx";
  r.spec.framework = "fast";
  r.spec.batch = batch;
  r.spec.params = params;
  r.fps = fps;
  r.latency.ci95 = {ci_low, ci_high};
  return ResultFromJson(ResultToJson(r, /*with_samples=*/false));
}

TEST(FpsIntervalOf, TheSlowEndOfTheLatencyIntervalIsTheLowEndOfTheFpsInterval) {
  const FpsInterval f = FpsIntervalOf(Point(2, 450, 4, 5));
  EXPECT_DOUBLE_EQ(f.fps, 450);
  EXPECT_DOUBLE_EQ(f.low, 400);
  EXPECT_DOUBLE_EQ(f.high, 500);
}

TEST(FpsIntervalOf, UnknownIsZero) {
  const FpsInterval f = FpsIntervalOf(Point(1, 0, 0, 0));
  EXPECT_EQ(f.fps, 0);
  EXPECT_EQ(f.low, 0);
  EXPECT_EQ(f.high, 0);
}

TEST(MatchKey, ParametersInKeyOrderOrDefault) {
  EXPECT_EQ(MatchKey(Point(1, 1, 1, 1, {{"threads", "2"}, {"hint", "A"}})),
            "m|onnx|fast|CPU|FP32|1|hint=A,threads=2");
  EXPECT_EQ(MatchKey(Point(1, 1, 1, 1)), "m|onnx|fast|CPU|FP32|1|default");
}

TEST(ComparePoints, MatchesTheSameMeasurementAndFlagsOnlyChangesBeyondTheNoise) {
  // Batch 1: 1000 FPS (900-1100) -> 2000 FPS (1900-2100): faster.
  // Batch 2: 1000 FPS (900-1100) -> 1050 FPS (950-1150): within noise.
  // Batch 4: 1000 FPS (900-1100) -> 500 FPS (450-550): slower.
  auto at = [](int batch, double fps, double spread, const ParamList& params = {}) {
    return Point(batch, fps, batch * 1000 / (fps + spread), batch * 1000 / (fps - spread), params);
  };
  const std::vector<PointResult> a = {at(1, 1000, 100), at(2, 1000, 100), at(4, 1000, 100),
                                         at(8, 1000, 100)};
  const std::vector<PointResult> b = {at(4, 500, 50), at(2, 1050, 100), at(1, 2000, 100),
                                         at(1, 2000, 100, {{"threads", "2"}})};
  const std::vector<PointComparison> c = ComparePoints(a, b);
  ASSERT_EQ(c.size(), 3u);  // batch 8 is only in A, the threads=2 point only in B
  EXPECT_EQ(c[0].key, "m|onnx|fast|CPU|FP32|1|default");
  EXPECT_EQ(c[0].batch, 1);
  EXPECT_EQ(c[0].params, "default");
  EXPECT_DOUBLE_EQ(c[0].ratio, 2);
  EXPECT_DOUBLE_EQ(c[0].ratio_low, 1900.0 / 1100);
  EXPECT_DOUBLE_EQ(c[0].ratio_high, 2100.0 / 900);
  EXPECT_EQ(c[0].change, Change::kFaster);
  EXPECT_EQ(c[1].batch, 2);
  EXPECT_EQ(c[1].change, Change::kWithinNoise);
  EXPECT_EQ(c[2].batch, 4);
  EXPECT_EQ(c[2].change, Change::kSlower);
  EXPECT_STREQ(ChangeName(c[2].change), "slower");
}

TEST(ComparePoints, OfTwoPointsWithOneKeyTheLastCounts) {
  const std::vector<PointComparison> c =
      ComparePoints({Point(1, 100, 9, 11), Point(1, 200, 4.5, 5.5)}, {Point(1, 400, 2.4, 2.6)});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_DOUBLE_EQ(c[0].ratio, 2);
}

TEST(ComparisonToJson, OneEntryPerPoint) {
  const nlohmann::json doc =
      ComparisonToJson(3, 4, ComparePoints({Point(1, 100, 9, 11)}, {Point(1, 100, 9, 11)}));
  EXPECT_EQ(doc["run_a"], 3);
  EXPECT_EQ(doc["run_b"], 4);
  ASSERT_EQ(doc["points"].size(), 1u);
  EXPECT_EQ(doc["points"][0]["change"], "within noise");
  EXPECT_DOUBLE_EQ(doc["points"][0]["ratio"].get<double>(), 1);
}

}  // namespace
}  // namespace dli
