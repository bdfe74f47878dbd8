#include "core/repetitions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "core/repeated_point.h"

namespace dli {
namespace {

LatencySummary Rep(double median, double low, double high) {
  LatencySummary s;
  s.median = median;
  s.ci95 = {low, high};
  return s;
}

TEST(Repetitions, OrderStatisticRankFollowsTheBinomialTable) {
  EXPECT_EQ(OrderStatisticRank(1), 0u);
  EXPECT_EQ(OrderStatisticRank(5), 0u);  // [min, max] covers only 93.75%
  EXPECT_EQ(OrderStatisticRank(6), 1u);  // 96.9%
  EXPECT_EQ(OrderStatisticRank(8), 1u);
  EXPECT_EQ(OrderStatisticRank(9), 2u);
  EXPECT_EQ(OrderStatisticRank(11), 2u);
  EXPECT_EQ(OrderStatisticRank(12), 3u);
  EXPECT_EQ(OrderStatisticRank(20), 6u);
  EXPECT_EQ(OrderStatisticRank(50), 18u);
  EXPECT_EQ(OrderStatisticRank(100), 40u);
}

TEST(Repetitions, StudentQuantiles) {
  EXPECT_DOUBLE_EQ(StudentT975(1), 12.706204736174705);
  EXPECT_DOUBLE_EQ(StudentT975(4), 2.7764451051977943);
  EXPECT_THROW(StudentT975(0), UsageError);
  EXPECT_THROW(StudentT975(5), UsageError);
}

TEST(Repetitions, OneRepetitionKeepsItsOwnInterval) {
  const RepetitionAggregate a = AggregateRepetitions({Rep(10, 9, 12)});
  EXPECT_EQ(a.repetitions, 1u);
  EXPECT_EQ(a.method, RepetitionInterval::kWithinRepetition);
  EXPECT_DOUBLE_EQ(a.median, 10.0);
  EXPECT_DOUBLE_EQ(a.interval.low, 9.0);
  EXPECT_DOUBLE_EQ(a.interval.high, 12.0);
  EXPECT_DOUBLE_EQ(a.within_spread, 0.3);
  EXPECT_DOUBLE_EQ(a.between_spread, 0.0);
  EXPECT_DOUBLE_EQ(a.max_min_ratio, 1.0);
}

TEST(Repetitions, TwoRepetitionsUseTheTInterval) {
  const RepetitionAggregate a = AggregateRepetitions({Rep(10, 9, 11), Rep(12, 11, 13.2)});
  EXPECT_EQ(a.method, RepetitionInterval::kStudentT);
  EXPECT_STREQ(RepetitionIntervalName(a.method), "t");
  EXPECT_DOUBLE_EQ(a.median, 11.0);
  // mean 11, s = sqrt(2): half width t(0.975, 1) * sqrt(2) / sqrt(2).
  EXPECT_DOUBLE_EQ(a.interval.low, -1.7062047361747048);
  EXPECT_DOUBLE_EQ(a.interval.high, 23.706204736174705);
  EXPECT_DOUBLE_EQ(a.within_spread, 0.19166666666666665);  // median of 0.2 and 2.2 / 12
  EXPECT_DOUBLE_EQ(a.between_spread, 0.128564869306645);   // sqrt(2) / 11
  EXPECT_DOUBLE_EQ(a.max_min_ratio, 1.2);
}

TEST(Repetitions, TIntervalIsCentredOnTheMeanOfMedians) {
  const RepetitionAggregate a =
      AggregateRepetitions({Rep(15, 14, 16), Rep(10, 9, 11), Rep(11, 10, 12)});
  EXPECT_DOUBLE_EQ(a.median, 11.0);
  // mean 12, s = sqrt(7): 12 -+ t(0.975, 2) * sqrt(7) / sqrt(3).
  EXPECT_DOUBLE_EQ(a.interval.low, 5.427589392271568);
  EXPECT_DOUBLE_EQ(a.interval.high, 18.572410607728433);
  EXPECT_DOUBLE_EQ(a.between_spread, 0.22047927592204922);  // sqrt(7) / 12
  EXPECT_DOUBLE_EQ(a.max_min_ratio, 1.5);
}

TEST(Repetitions, SixOrMoreUseOrderStatistics) {
  std::vector<LatencySummary> reps;
  for (double m : {6, 2, 9, 4, 1, 8, 3, 7, 5}) reps.push_back(Rep(m, m - 0.5, m + 0.5));
  const RepetitionAggregate a = AggregateRepetitions(reps);
  EXPECT_EQ(a.method, RepetitionInterval::kOrderStatistic);
  EXPECT_STREQ(RepetitionIntervalName(a.method), "order_statistic");
  EXPECT_DOUBLE_EQ(a.median, 5.0);
  EXPECT_DOUBLE_EQ(a.interval.low, 2.0);  // rank 2 of 9
  EXPECT_DOUBLE_EQ(a.interval.high, 8.0);
  EXPECT_DOUBLE_EQ(a.within_spread, 0.2);  // 1 / median 5
  EXPECT_DOUBLE_EQ(a.max_min_ratio, 9.0);

  reps.resize(6);  // 6 2 9 4 1 8: [min, max]
  const RepetitionAggregate six = AggregateRepetitions(reps);
  EXPECT_DOUBLE_EQ(six.interval.low, 1.0);
  EXPECT_DOUBLE_EQ(six.interval.high, 9.0);
  EXPECT_DOUBLE_EQ(six.median, 5.0);
}

TEST(Repetitions, NothingToAggregateIsAnError) {
  EXPECT_THROW(AggregateRepetitions({}), UsageError);
}

TEST(Repetitions, SignificantOnlyWithoutOverlap) {
  EXPECT_TRUE(SignificantlyDifferent({1, 2}, {3, 4}));
  EXPECT_TRUE(SignificantlyDifferent({3, 4}, {1, 2}));
  EXPECT_FALSE(SignificantlyDifferent({1, 3}, {3, 4}));  // touching overlaps
  EXPECT_FALSE(SignificantlyDifferent({1, 5}, {2, 3}));
  EXPECT_FALSE(SignificantlyDifferent({2, 3}, {1, 5}));
}

TEST(Repetitions, ShuffleIndexRejectsTheBiasedTail) {
  // std::mt19937's first outputs for its default seed are fixed by the
  // standard: 3499211612, 581869302, ...
  std::mt19937 engine;
  EXPECT_EQ(ShuffleIndex(engine, 10), 2u);
  engine.seed();
  // 2^32 mod 3e9 = 1294967296, so draws >= 3e9 are rejected: the first one is.
  EXPECT_EQ(ShuffleIndex(engine, 3000000000u), 581869302u);
  engine.seed();
  EXPECT_EQ(ShuffleIndex(engine, 1), 0u);
}

TEST(Repetitions, InterleavedOrderIsPinnedBySeed) {
  // Computed independently (a Python MT19937 with the same shuffle).
  const std::vector<Visit> expected = {{1, 0}, {0, 0}, {3, 0}, {2, 0}, {3, 1}, {1, 1},
                                       {0, 1}, {2, 1}, {1, 2}, {3, 2}, {2, 2}, {0, 2}};
  EXPECT_EQ(InterleavedOrder(4, 3, 42), expected);
  const std::vector<Visit> other = {{3, 0}, {0, 0}, {1, 0}, {4, 0}, {2, 0},
                                    {4, 1}, {2, 1}, {1, 1}, {0, 1}, {3, 1}};
  EXPECT_EQ(InterleavedOrder(5, 2, 2024), other);
}

TEST(Repetitions, EveryRoundVisitsEveryPointOnce) {
  const std::vector<Visit> order = InterleavedOrder(7, 4, 9);
  ASSERT_EQ(order.size(), 28u);
  for (size_t r = 0; r < 4; ++r) {
    std::vector<size_t> points;
    for (size_t i = 0; i < 7; ++i) {
      EXPECT_EQ(order[r * 7 + i].repetition, r);
      points.push_back(order[r * 7 + i].point);
    }
    std::sort(points.begin(), points.end());
    EXPECT_EQ(points, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6}));
  }
  EXPECT_EQ(InterleavedOrder(7, 4, 9), order);
  EXPECT_NE(InterleavedOrder(7, 4, 10), order);
  EXPECT_TRUE(InterleavedOrder(0, 3, 1).empty());
  EXPECT_EQ(InterleavedOrder(1, 2, 1), (std::vector<Visit>{{0, 0}, {0, 1}}));
}

}  // namespace
}  // namespace dli

namespace dli {
namespace {

PointResult ThroughputRepetition(size_t repetition, double fps, double low, double high) {
  PointResult r;
  r.spec.batch = 4;
  r.spec.measure.mode = kThroughputMode;
  r.spec.measure.requests = 2;
  r.repetition = repetition;
  r.fps = r.throughput_fps = fps;
  r.throughput_ci95 = {low, high};
  r.latency.median = 50;  // per request, with two in flight: not 1000 * 4 / fps
  r.latency.ci95 = {49, 51};
  return r;
}

TEST(RepeatedPoint, ThroughputAggregatesTheThroughputsNotTheLatencies) {
  const RepeatedPoint one = AggregatePoint({ThroughputRepetition(0, 160, 150, 170)});
  EXPECT_DOUBLE_EQ(one.fps, 160);
  EXPECT_DOUBLE_EQ(one.fps_interval.low, 150);
  EXPECT_DOUBLE_EQ(one.fps_interval.high, 170);
  const RepeatedPoint two = AggregatePoint(
      {ThroughputRepetition(0, 150, 140, 160), ThroughputRepetition(1, 170, 160, 180)});
  // Student t with one degree of freedom over the two throughputs:
  // 160 +- 12.706 * 14.142 / sqrt(2).
  EXPECT_DOUBLE_EQ(two.fps, 160);
  EXPECT_NEAR(two.fps_interval.low, 160 - 12.706205 * 10, 1e-3);
  EXPECT_NEAR(two.fps_interval.high, 160 + 12.706205 * 10, 1e-3);
  EXPECT_DOUBLE_EQ(two.latency.median, 50);
}

}  // namespace
}  // namespace dli
