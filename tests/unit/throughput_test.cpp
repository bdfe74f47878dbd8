#include "core/throughput.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/stats.h"

namespace dli {
namespace {

// A discrete-event model of a device with `cores` servers on a simulated
// clock: a started request waits for the first free server (first come,
// first served) and holds it for its service time, given per start.
class SimulatedDevice : public AsyncInferenceTarget {
 public:
  SimulatedDevice(size_t slots, size_t cores, std::function<double(size_t start)> service)
      : slots_(slots), free_at_(cores, 0), service_(std::move(service)) {}

  size_t Slots() const override { return slots_; }
  void Bind(size_t slot, size_t batch_index) override {
    bound.push_back(batch_index);
    EXPECT_TRUE(std::none_of(running_.begin(), running_.end(), [&](const Running& r) {
      return r.slot == slot;
    })) << "bound a busy slot";
  }
  void Start(size_t slot) override {
    started_slots.push_back(slot);
    auto server = std::min_element(free_at_.begin(), free_at_.end());
    const double end = std::max(now, *server) + service_(started_slots.size() - 1);
    *server = end;
    running_.push_back({slot, end, started_slots.size() - 1 == fail_start});
  }
  Completion WaitAny() override {
    auto first = std::min_element(running_.begin(), running_.end(),
                                  [](const Running& a, const Running& b) { return a.end < b.end; });
    const Running r = *first;
    running_.erase(first);
    now = std::max(now, r.end);
    ++completions;
    return {r.slot, r.end, r.fails ? "device lost" : ""};
  }

  size_t InFlight() const { return running_.size(); }
  Clock MakeClock() {
    return [this] { return now; };
  }

  double now = 0;
  size_t completions = 0;
  size_t fail_start = SIZE_MAX;  // the start (0-based) whose request fails
  std::vector<size_t> bound;
  std::vector<size_t> started_slots;

 private:
  struct Running {
    size_t slot;
    double end;
    bool fails;
  };
  size_t slots_;
  std::vector<double> free_at_;
  std::function<double(size_t)> service_;
  std::vector<Running> running_;
};

MeasureOptions Iterations(size_t n, size_t warmup = 0) {
  MeasureOptions o;
  o.warmup = warmup;
  o.stop.iterations = n;
  return o;
}

TEST(Throughput, WindowCountAndFpsAreExact) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 5, Iterations(40), device.MakeClock());
  EXPECT_EQ(m.requests, 4u);
  EXPECT_DOUBLE_EQ(m.first_inference_ms, 10.0);
  EXPECT_EQ(m.warmup_ms, std::vector<double>(4, 10.0));
  ASSERT_EQ(m.Completed(), 40u);
  EXPECT_EQ(m.samples_ms, std::vector<double>(40, 10.0));
  // first inference 0..10, warm-up 10..20, then 10 rounds of 4 requests.
  EXPECT_DOUBLE_EQ(m.window_start_ms, 20.0);
  EXPECT_DOUBLE_EQ(m.window_end_ms, 120.0);
  EXPECT_DOUBLE_EQ(m.WindowMs(), 100.0);
  EXPECT_DOUBLE_EQ(m.Fps(2), 800.0);  // 40 requests x 2 images / 0.1 s
  EXPECT_EQ(m.stop_reason, "iterations");
  // Every start was waited for and no request was counted twice.
  EXPECT_EQ(device.started_slots.size(), 1u + 4u + 40u);
  EXPECT_EQ(device.completions, device.started_slots.size());
}

TEST(Throughput, IterationsRoundUpToAMultipleOfTheRequests) {
  EXPECT_EQ(RoundedIterations(10, 4), 12u);
  EXPECT_EQ(RoundedIterations(8, 4), 8u);
  EXPECT_EQ(RoundedIterations(1, 3), 3u);
  EXPECT_EQ(RoundedIterations(0, 4), 0u);
  EXPECT_EQ(RoundedIterations(7, 1), 7u);
  SimulatedDevice device(4, 4, [](size_t) { return 1.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 1, Iterations(10), device.MakeClock());
  EXPECT_EQ(m.Completed(), 12u);
}

TEST(Throughput, WarmupRunsEverySlotAndIsExcluded) {
  // The first inference and the warm-up are slow (a cold device); the
  // measured window must see none of it.
  const size_t cold_starts = 1 + 4 + 3;
  SimulatedDevice device(4, 4, [&](size_t start) { return start < cold_starts ? 100.0 : 10.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 3, Iterations(8, 3), device.MakeClock());
  EXPECT_EQ(m.warmup_ms.size(), 4u + 3u);
  const std::set<size_t> warmed(device.started_slots.begin() + 1,
                                device.started_slots.begin() + cold_starts);
  EXPECT_EQ(warmed, (std::set<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(m.samples_ms, std::vector<double>(8, 10.0));
  EXPECT_DOUBLE_EQ(m.WindowMs(), 20.0);
}

TEST(Throughput, BatchesWalkTheRingInSubmissionOrder) {
  SimulatedDevice device(2, 2, [](size_t) { return 1.0; });
  RunThroughputMeasurement(device, 3, Iterations(6, 1), device.MakeClock());
  // first inference: 0; warm-up (2 slots + 1): 1, 2, 0; timed i mod 3.
  EXPECT_EQ(device.bound, (std::vector<size_t>{0, 1, 2, 0, 0, 1, 2, 0, 1, 2}));
}

TEST(Throughput, LatencyRunsFromSubmissionAndIncludesQueueing) {
  // Four requests in flight on two servers: the device completes two
  // requests per 10 ms, and each request waits for one other.
  SimulatedDevice device(4, 2, [](size_t) { return 10.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 1, Iterations(400), device.MakeClock());
  EXPECT_DOUBLE_EQ(m.Fps(1), 200.0);
  EXPECT_DOUBLE_EQ(Summarize(m.samples_ms).median, 20.0);
  EXPECT_DOUBLE_EQ(*std::min_element(m.samples_ms.begin(), m.samples_ms.end()), 10.0);
}

TEST(Throughput, TimeLimitStopsSubmittingAndWaitsForTheRest) {
  SimulatedDevice device(2, 2, [](size_t) { return 10.0; });
  MeasureOptions o = Iterations(0);
  o.stop.time_limit_s = 0.1;
  const ThroughputMeasurement m = RunThroughputMeasurement(device, 1, o, device.MakeClock());
  EXPECT_EQ(m.stop_reason, "time_limit");
  EXPECT_EQ(m.Completed(), 20u);
  EXPECT_DOUBLE_EQ(m.WindowMs(), 100.0);
  EXPECT_EQ(device.InFlight(), 0u);
}

TEST(Throughput, TheTimedRequestCountIsAMultipleOfTheSlots) {
  // Three slots with unequal service times: the time limit is reached with
  // 13 requests submitted, two more follow.
  SimulatedDevice device(3, 3, [](size_t start) { return start % 3 == 0 ? 10.0 : 7.0; });
  MeasureOptions o = Iterations(0);
  o.stop.time_limit_s = 0.03;
  const ThroughputMeasurement m = RunThroughputMeasurement(device, 1, o, device.MakeClock());
  EXPECT_EQ(m.stop_reason, "time_limit");
  EXPECT_EQ(m.Completed() % 3, 0u);
  EXPECT_EQ(m.Completed(), 15u);
}

TEST(Throughput, AdaptiveStopOnTheMedianLatency) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });  // zero spread
  MeasureOptions o = Iterations(1000);
  o.stop.ci_target_rel = 0.5;
  o.stop.min_iterations = 30;
  const ThroughputMeasurement m = RunThroughputMeasurement(device, 1, o, device.MakeClock());
  EXPECT_EQ(m.stop_reason, "ci_target");
  // Reached at the 30th completion, with 33 requests submitted; three more
  // make it a multiple of the 4 slots.
  EXPECT_EQ(m.Completed(), 36u);
  EXPECT_EQ(device.completions, device.started_slots.size());
}

TEST(Throughput, AdaptiveStopWaitsForTheMinimumTime) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });
  MeasureOptions o = Iterations(100000);
  o.stop.ci_target_rel = 0.5;
  o.stop.min_iterations = 30;
  o.stop.min_time_s = 0.5;
  const ThroughputMeasurement m = RunThroughputMeasurement(device, 1, o, device.MakeClock());
  EXPECT_EQ(m.stop_reason, "ci_target");
  EXPECT_GE(m.WindowMs(), 500.0);
  EXPECT_LE(m.WindowMs(), 510.0);
}

TEST(Throughput, ProgressCountsTimedCompletions) {
  SimulatedDevice device(3, 3, [](size_t) { return 1.0; });
  std::vector<size_t> seen;
  RunThroughputMeasurement(device, 1, Iterations(6, 2), device.MakeClock(),
                           [&](size_t n) { seen.push_back(n); });
  EXPECT_EQ(seen, (std::vector<size_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Throughput, AFailedRequestEndsTheRunAfterTheOthersFinish) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });
  device.fail_start = 20;
  try {
    RunThroughputMeasurement(device, 1, Iterations(100), device.MakeClock());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "device lost");
  }
  EXPECT_EQ(device.InFlight(), 0u);
}

TEST(Throughput, RejectsWhatCanNeverRun) {
  SimulatedDevice none(0, 1, [](size_t) { return 1.0; });
  EXPECT_THROW(RunThroughputMeasurement(none, 1, Iterations(10)), std::invalid_argument);
  SimulatedDevice device(2, 2, [](size_t) { return 1.0; });
  EXPECT_THROW(RunThroughputMeasurement(device, 0, Iterations(10)), std::invalid_argument);
  EXPECT_THROW(RunThroughputMeasurement(device, 1, Iterations(0)), std::invalid_argument);
  EXPECT_EQ(device.started_slots.size(), 0u);
}

TEST(Throughput, RequestCountIsChecked) {
  EXPECT_EQ(ValidateRequestCount(0, 0), "requests must be at least 1");
  EXPECT_EQ(ValidateRequestCount(4, 0), "");
  EXPECT_EQ(ValidateRequestCount(4, 4), "");
  EXPECT_EQ(ValidateRequestCount(5, 4),
            "this backend keeps at most 4 requests in flight; asked for 5");
}

TEST(Throughput, TheFpsIntervalIsCentredOnTheFps) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 1, Iterations(400), device.MakeClock());
  ASSERT_EQ(m.completed_at_ms.size(), m.Completed());
  EXPECT_DOUBLE_EQ(m.Fps(2), 800.0);
  const Interval ci = ThroughputCi95(m, 2);
  EXPECT_NEAR((ci.low + ci.high) / 2, 800.0, 1e-9);
  // Slices of 100 ms take 36 to 44 completions: a narrow, nonzero interval.
  EXPECT_GT(ci.high - ci.low, 0.0);
  EXPECT_LT(ci.high - ci.low, 0.1 * 800);
}

TEST(Throughput, TooFewCompletionsGiveNoFpsInterval) {
  SimulatedDevice device(4, 4, [](size_t) { return 10.0; });
  const ThroughputMeasurement m =
      RunThroughputMeasurement(device, 1, Iterations(196), device.MakeClock());
  const Interval ci = ThroughputCi95(m, 1);
  EXPECT_EQ(ci.low, 0.0);
  EXPECT_TRUE(std::isinf(ci.high));
}

TEST(Throughput, AnEmptyWindowHasNoFps) {
  ThroughputMeasurement m;
  EXPECT_EQ(m.Fps(8), 0.0);
}

}  // namespace
}  // namespace dli
