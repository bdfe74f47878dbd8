#include "core/measure.h"

#include <gtest/gtest.h>

#include <random>

#include "core/stats.h"

namespace dli {
namespace {

// A synthetic latency source: Infer() advances a fake clock by the next
// latency from `next_latency`; Bind() records which batch was bound.
class FakeTarget : public InferenceTarget {
 public:
  explicit FakeTarget(std::function<double()> next_latency) : next_(std::move(next_latency)) {}
  void Bind(size_t i) override { bound.push_back(i); }
  void Infer() override { now_ms += next_(); }
  double Now() const { return now_ms; }

  std::vector<size_t> bound;
  double now_ms = 0;

 private:
  std::function<double()> next_;
};

TEST(RingBuffer, IterationUsesBatchIModN) {
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(RingIndex(i, 7), i % 7);
}

TEST(Measure, FirstWarmupAndTimedRequestsWalkTheRing) {
  FakeTarget t([] { return 1.0; });
  MeasureOptions o;
  o.warmup = 2;
  o.stop.iterations = 7;
  const Measurement m = RunMeasurement(t, 3, o, [&] { return t.Now(); });
  // first inference on batch 0, warm-up on 1 and 2, then timed i mod 3.
  EXPECT_EQ(t.bound, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(m.samples_ms.size(), 7u);
  EXPECT_EQ(m.warmup_ms.size(), 2u);
  EXPECT_EQ(m.stop_reason, "iterations");
}

TEST(Measure, OnlyInferIsTimed) {
  double latency = 0;
  FakeTarget t([&] { return latency += 1.5; });
  MeasureOptions o;
  o.warmup = 1;
  o.stop.iterations = 3;
  const Measurement m = RunMeasurement(t, 2, o, [&] { return t.Now(); });
  EXPECT_DOUBLE_EQ(m.first_inference_ms, 1.5);
  EXPECT_EQ(m.warmup_ms, (std::vector<double>{3.0}));
  EXPECT_EQ(m.samples_ms, (std::vector<double>{4.5, 6.0, 7.5}));
}

TEST(Measure, TimeLimitStopsTheLoop) {
  FakeTarget t([] { return 10.0; });
  MeasureOptions o;
  o.warmup = 0;
  o.stop.iterations = 0;
  o.stop.time_limit_s = 0.1;
  const Measurement m = RunMeasurement(t, 4, o, [&] { return t.Now(); });
  EXPECT_EQ(m.samples_ms.size(), 10u);
  EXPECT_EQ(m.stop_reason, "time_limit");
}

TEST(Measure, IterationsBeforeTimeLimit) {
  FakeTarget t([] { return 10.0; });
  MeasureOptions o;
  o.stop.iterations = 5;
  o.stop.time_limit_s = 100;
  EXPECT_EQ(RunMeasurement(t, 1, o, [&] { return t.Now(); }).stop_reason, "iterations");
}

TEST(Measure, RejectsRulesThatNeverStop) {
  FakeTarget t([] { return 1.0; });
  MeasureOptions o;
  o.stop.iterations = 0;
  EXPECT_THROW(RunMeasurement(t, 1, o), std::invalid_argument);
  o.stop.iterations = 10;
  EXPECT_THROW(RunMeasurement(t, 0, o), std::invalid_argument);
}

// A latency source with known spread: 10 ms plus uniform noise in [0, 2) ms.
TEST(AdaptiveStop, StopsWhenTheCiReachesTheTargetAndNotBefore) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> noise(0.0, 2.0);
  FakeTarget t([&] { return 10.0 + noise(rng); });
  MeasureOptions o;
  o.warmup = 0;
  o.stop.iterations = 100000;
  o.stop.ci_target_rel = 0.02;
  o.stop.min_iterations = 30;
  const Measurement m = RunMeasurement(t, 1, o, [&] { return t.Now(); });
  ASSERT_EQ(m.stop_reason, "ci_target");
  const size_t n = m.samples_ms.size();
  EXPECT_TRUE(CiTargetReached(m.samples_ms, 0.02));
  for (size_t k = 1; k < n; ++k) {
    if (!DueForCiCheck(k, 30)) continue;
    const std::vector<double> prefix(m.samples_ms.begin(), m.samples_ms.begin() + k);
    EXPECT_FALSE(CiTargetReached(prefix, 0.02)) << "should have stopped at " << k;
  }
  EXPECT_LT(n, 1000u);  // the spread is small: far fewer than a fixed 1000
}

TEST(AdaptiveStop, WideSpreadRunsToTheIterationBound) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> noise(0.0, 100.0);
  FakeTarget t([&] { return 1.0 + noise(rng); });
  MeasureOptions o;
  o.stop.iterations = 200;
  o.stop.ci_target_rel = 0.001;
  const Measurement m = RunMeasurement(t, 1, o, [&] { return t.Now(); });
  EXPECT_EQ(m.stop_reason, "iterations");
  EXPECT_EQ(m.samples_ms.size(), 200u);
}

TEST(AdaptiveStop, NeverBeforeMinIterations) {
  FakeTarget t([] { return 5.0; });  // zero spread: CI is reached at once
  MeasureOptions o;
  o.stop.iterations = 1000;
  o.stop.ci_target_rel = 0.5;
  o.stop.min_iterations = 50;
  const Measurement m = RunMeasurement(t, 1, o, [&] { return t.Now(); });
  EXPECT_EQ(m.stop_reason, "ci_target");
  EXPECT_EQ(m.samples_ms.size(), 50u);
}

TEST(AdaptiveStop, NeverBeforeMinTime) {
  FakeTarget t([] { return 10.0; });  // zero spread
  MeasureOptions o;
  o.stop.iterations = 1000;
  o.stop.ci_target_rel = 0.5;
  o.stop.min_iterations = 10;
  o.stop.min_time_s = 1.0;  // 100 requests of 10 ms
  const Measurement m = RunMeasurement(t, 1, o, [&] { return t.Now(); });
  EXPECT_EQ(m.stop_reason, "ci_target");
  EXPECT_EQ(m.samples_ms.size(), 100u);
}

}  // namespace
}  // namespace dli
