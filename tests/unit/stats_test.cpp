#include "core/stats.h"

#include <gtest/gtest.h>

namespace dli {
namespace {

TEST(Stats, MeanOfNothingIsZero) { EXPECT_DOUBLE_EQ(Mean({}), 0.0); }
TEST(Stats, Mean) { EXPECT_DOUBLE_EQ(Mean({1, 2, 3}), 2.0); }

TEST(Stats, SampleStdDev) {
  EXPECT_DOUBLE_EQ(StdDev({1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(StdDev({2, 4, 4, 4, 5, 5, 7, 9}), 2.1380899352993952);
  EXPECT_DOUBLE_EQ(StdDev({5}), 0.0);
  EXPECT_DOUBLE_EQ(StdDev({}), 0.0);
}

TEST(Stats, Median) {
  EXPECT_DOUBLE_EQ(Median({}), 0.0);
  EXPECT_DOUBLE_EQ(Median({7}), 7.0);
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
}

TEST(Stats, PercentileInterpolatesLinearly) {
  const std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 3.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 90), 4.6);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 5.0);
  EXPECT_DOUBLE_EQ(Percentile({10, 20}, 95), 19.5);
  EXPECT_DOUBLE_EQ(Percentile({}, 90), 0.0);
}

TEST(Stats, ThreeSigmaDropsPlantedOutliers) {
  std::vector<double> v;
  for (int i = 0; i < 50; ++i) v.push_back(10);
  for (int i = 0; i < 49; ++i) v.push_back(11);
  v.push_back(1000);  // planted
  const ThreeSigmaSplit split = FilterThreeSigma(v);
  ASSERT_EQ(split.dropped.size(), 1u);
  EXPECT_DOUBLE_EQ(split.dropped[0], 1000.0);
  EXPECT_EQ(split.kept.size(), 99u);
}

TEST(Stats, ThreeSigmaDropsTwoOutliersOnBothSides) {
  std::vector<double> v(200, 5.0);
  for (int i = 0; i < 200; i += 2) v[i] = 6.0;
  v.push_back(100.0);
  v.push_back(-90.0);
  const ThreeSigmaSplit split = FilterThreeSigma(v);
  EXPECT_EQ(split.dropped, (std::vector<double>{100.0, -90.0}));
  EXPECT_EQ(split.kept.size(), 200u);
}

// With n <= 10 a single value can never lie beyond 3 sample std from the
// mean ((n-1)/sqrt(n) < 3): the filter keeps everything, by definition.
TEST(Stats, ThreeSigmaCannotDropFromTinySamples) {
  EXPECT_TRUE(FilterThreeSigma({1, 1, 1, 1, 100}).dropped.empty());
}

TEST(Stats, ThreeSigmaKeepsAllEqualValues) {
  const ThreeSigmaSplit split = FilterThreeSigma({2, 2, 2, 2});
  EXPECT_EQ(split.kept.size(), 4u);
  EXPECT_TRUE(split.dropped.empty());
}

TEST(Stats, MedianCI95UsesOrderStatistics) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  const Interval ci = MedianCI95(v);
  EXPECT_DOUBLE_EQ(ci.low, 40.0);   // rank floor(50 - 9.8) = 40
  EXPECT_DOUBLE_EQ(ci.high, 61.0);  // rank ceil(50 + 9.8) + 1 = 61
}

TEST(Stats, MedianCI95OfSmallSampleIsItsRange) {
  const Interval ci = MedianCI95({3, 1, 2});
  EXPECT_DOUBLE_EQ(ci.low, 1.0);
  EXPECT_DOUBLE_EQ(ci.high, 3.0);
}

TEST(Stats, SummarizeEmpty) {
  const LatencySummary s = Summarize({});
  EXPECT_EQ(s.samples_total, 0u);
  EXPECT_EQ(s.samples_kept, 0u);
  EXPECT_DOUBLE_EQ(s.median, 0.0);
}

TEST(Stats, SummarizeOne) {
  const LatencySummary s = Summarize({4.5});
  EXPECT_EQ(s.samples_kept, 1u);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.min, 4.5);
  EXPECT_DOUBLE_EQ(s.max, 4.5);
  EXPECT_DOUBLE_EQ(s.std, 0.0);
  EXPECT_DOUBLE_EQ(s.ci95.low, 4.5);
  EXPECT_DOUBLE_EQ(s.ci95.high, 4.5);
}

TEST(Stats, SummarizeAllEqual) {
  const LatencySummary s = Summarize({3, 3, 3, 3, 3, 3});
  EXPECT_EQ(s.samples_dropped, 0u);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.p99, 3.0);
  EXPECT_DOUBLE_EQ(s.std, 0.0);
}

TEST(Stats, SummarizeReportsOnKeptSamplesOnly) {
  std::vector<double> v;
  for (int i = 0; i < 50; ++i) v.push_back(10);
  for (int i = 0; i < 49; ++i) v.push_back(11);
  v.push_back(1000);
  const LatencySummary s = Summarize(v);
  EXPECT_EQ(s.samples_total, 100u);
  EXPECT_EQ(s.samples_kept, 99u);
  EXPECT_EQ(s.samples_dropped, 1u);
  EXPECT_DOUBLE_EQ(s.max, 11.0);
  EXPECT_DOUBLE_EQ(s.median, 10.0);  // 50 tens and 49 elevens
  EXPECT_DOUBLE_EQ(s.mean, (50 * 10.0 + 49 * 11.0) / 99);
}

}  // namespace
}  // namespace dli
