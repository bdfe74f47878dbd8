#include "core/slot_threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace dli {
namespace {

// A request that sleeps for its service time: sleeping requests overlap on
// any number of cores, so the expected speed-up holds on a loaded machine.
class SleepingTarget : public ConcurrentInferenceTarget {
 public:
  SleepingTarget(double service_ms, size_t slots) : service_ms_(service_ms), calls_(slots) {}

  void Bind(size_t, size_t) override {}
  void Infer(size_t slot) override {
    const size_t now = ++running_;
    size_t seen = max_running.load();
    while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
    }
    const size_t call = ++total_calls;
    ++calls_[slot];
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(service_ms_));
    --running_;
    if (call == fail_call) throw std::runtime_error("out of memory");
  }
  size_t Calls(size_t slot) const { return calls_[slot]; }

  std::atomic<size_t> max_running{0};
  std::atomic<size_t> total_calls{0};
  size_t fail_call = 0;  // the call (1-based) that throws; 0 = none

 private:
  double service_ms_;
  std::atomic<size_t> running_{0};
  std::vector<std::atomic<size_t>> calls_;
};

MeasureOptions Iterations(size_t n, size_t warmup) {
  MeasureOptions o;
  o.warmup = warmup;
  o.stop.iterations = n;
  return o;
}

TEST(ThreadPerSlot, NSlotsGiveAboutNTimesTheThroughput) {
  constexpr double kServiceMs = 10;
  SleepingTarget one_target(kServiceMs, 1);
  ThreadPerSlot one(one_target, 1);
  const ThroughputMeasurement serial = RunThroughputMeasurement(one, 2, Iterations(20, 1));

  SleepingTarget four_target(kServiceMs, 4);
  ThreadPerSlot four(four_target, 4);
  const ThroughputMeasurement parallel = RunThroughputMeasurement(four, 2, Iterations(80, 1));

  EXPECT_EQ(four_target.max_running.load(), 4u);
  EXPECT_LT(serial.Fps(1), 1000 / kServiceMs);
  EXPECT_GT(parallel.Fps(1), 0.8 * 4 * serial.Fps(1))
      << "1 slot: " << serial.Fps(1) << " requests/s, 4 slots: " << parallel.Fps(1);
}

TEST(ThreadPerSlot, EveryRequestIsTimedOnceFromSubmissionToCompletion) {
  constexpr double kServiceMs = 2;
  SleepingTarget target(kServiceMs, 3);
  ThreadPerSlot slots(target, 3);
  const ThroughputMeasurement m = RunThroughputMeasurement(slots, 4, Iterations(30, 2));
  ASSERT_EQ(m.Completed(), 30u);
  // first inference + one warm-up per slot + 2 more + the timed requests.
  EXPECT_EQ(target.total_calls.load(), 1u + 3u + 2u + 30u);
  // Each slot: at least its warm-up request and one timed request.
  for (size_t slot = 0; slot < 3; ++slot) EXPECT_GE(target.Calls(slot), 2u);
  for (double latency : m.samples_ms) EXPECT_GE(latency, kServiceMs);
  // Three slots never finish 30 requests of 2 ms in less than 10 rounds.
  EXPECT_GE(m.WindowMs(), 10 * kServiceMs);
  EXPECT_LE(*std::max_element(m.samples_ms.begin(), m.samples_ms.end()), m.WindowMs());
}

TEST(ThreadPerSlot, AnExceptionInAWorkerFailsTheRun) {
  SleepingTarget target(1, 2);
  target.fail_call = 10;
  ThreadPerSlot slots(target, 2);
  try {
    RunThroughputMeasurement(slots, 1, Iterations(100, 0));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "out of memory");
  }
  EXPECT_LT(target.total_calls.load(), 20u);
}

TEST(ThreadPerSlot, MisuseIsALogicError) {
  SleepingTarget target(1, 2);
  ThreadPerSlot slots(target, 2);
  EXPECT_THROW(slots.WaitAny(), std::logic_error);
  EXPECT_THROW(slots.Start(2), std::logic_error);
  slots.Start(0);
  EXPECT_THROW(slots.Start(0), std::logic_error);
  EXPECT_THROW(slots.Bind(0, 0), std::logic_error);
  EXPECT_EQ(slots.WaitAny().slot, 0u);
}

// A framework instance of its own per slot.
class Instance : public InferenceTarget {
 public:
  void Bind(size_t batch_index) override { bound.push_back(batch_index); }
  void Infer() override { ++inferred; }
  std::vector<size_t> bound;
  std::atomic<size_t> inferred{0};
};

TEST(InstancePerSlot, EachSlotRunsOnItsOwnInstance) {
  Instance a, b, c;
  InstancePerSlot instances({&a, &b, &c});
  ASSERT_EQ(instances.Slots(), 3u);
  ThreadPerSlot slots(instances, instances.Slots());
  const ThroughputMeasurement m = RunThroughputMeasurement(slots, 100, Iterations(9, 0));
  EXPECT_EQ(m.Completed(), 9u);
  EXPECT_EQ(a.inferred + b.inferred + c.inferred, 1u + 3u + 9u);
  for (const Instance* i : {&a, &b, &c}) {
    EXPECT_EQ(i->bound.size(), i->inferred.load());
    EXPECT_GE(i->inferred.load(), 1u);
  }
}

}  // namespace
}  // namespace dli
