#include "core/throughput.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dli {

double ThroughputMeasurement::Fps(size_t batch) const {
  const double window_ms = WindowMs();
  if (window_ms <= 0) return 0;
  return static_cast<double>(Completed() * batch) * 1000 / window_ms;
}

Interval ThroughputCi95(const ThroughputMeasurement& m, size_t batch) {
  constexpr size_t kSlices = 10;
  constexpr double kT975With9Df = 2.2621571627409915;
  constexpr size_t kPerSlotAndSlice = 5;
  const double window_ms = m.WindowMs();
  if (window_ms <= 0 ||
      m.Completed() < kSlices * kPerSlotAndSlice * std::max<size_t>(m.requests, 1))
    return {0, std::numeric_limits<double>::infinity()};
  const double slice_ms = window_ms / kSlices;
  std::vector<double> rates(kSlices, 0);
  for (double end : m.completed_at_ms) {
    const auto slice = static_cast<size_t>((end - m.window_start_ms) / slice_ms);
    rates[std::min(slice, kSlices - 1)] += static_cast<double>(batch) * 1000 / slice_ms;
  }
  const double half_width = kT975With9Df * StdDev(rates) / std::sqrt(double{kSlices});
  const double mean = Mean(rates);
  return {mean - half_width, mean + half_width};
}

size_t RoundedIterations(size_t iterations, size_t requests) {
  if (requests == 0) return iterations;
  return (iterations + requests - 1) / requests * requests;
}

std::string ValidateRequestCount(size_t requests, size_t max_requests) {
  if (requests == 0) return "requests must be at least 1";
  if (max_requests > 0 && requests > max_requests)
    return "this backend keeps at most " + std::to_string(max_requests) +
           " requests in flight; asked for " + std::to_string(requests);
  return "";
}

namespace {

struct Finished {
  size_t slot;
  double latency_ms;
  double end_ms;
};

// Submission bookkeeping over a target. Every way out by exception first
// waits for the requests still in flight, so the target is never destroyed
// with work running on it.
class Pipeline {
 public:
  Pipeline(AsyncInferenceTarget& target, const Clock& clock)
      : target_(target), clock_(clock), submitted_ms_(target.Slots(), 0) {}

  size_t InFlight() const { return in_flight_; }
  double SubmittedMs(size_t slot) const { return submitted_ms_[slot]; }

  void Submit(size_t slot, size_t batch_index) {
    try {
      target_.Bind(slot, batch_index);
      submitted_ms_[slot] = clock_();
      target_.Start(slot);
    } catch (...) {
      DrainQuietly();
      throw;
    }
    ++in_flight_;
  }

  Finished Wait() {
    if (in_flight_ == 0) throw std::logic_error("waiting with no request in flight");
    Completion c;
    try {
      c = target_.WaitAny();
    } catch (...) {
      --in_flight_;
      DrainQuietly();
      throw;
    }
    --in_flight_;
    if (c.slot >= submitted_ms_.size()) {
      DrainQuietly();
      throw std::logic_error("the target reported slot " + std::to_string(c.slot) + " of " +
                             std::to_string(submitted_ms_.size()));
    }
    if (!c.error.empty()) {
      DrainQuietly();
      throw std::runtime_error(c.error);
    }
    return {c.slot, c.end_ms - submitted_ms_[c.slot], c.end_ms};
  }

 private:
  // A second failure while cleaning up after the first adds nothing the
  // user can act on: the first one is the one reported.
  void DrainQuietly() noexcept {
    while (in_flight_ > 0) {
      --in_flight_;
      try {
        target_.WaitAny();
      } catch (...) {
        return;
      }
    }
  }

  AsyncInferenceTarget& target_;
  const Clock& clock_;
  std::vector<double> submitted_ms_;
  size_t in_flight_ = 0;
};

}  // namespace

ThroughputMeasurement RunThroughputMeasurement(AsyncInferenceTarget& target, size_t n_batches,
                                               const MeasureOptions& options, const Clock& clock,
                                               const std::function<void(size_t)>& on_progress) {
  if (n_batches == 0) throw std::invalid_argument("no input batches prepared");
  if (const std::string err = ValidateStopRule(options.stop); !err.empty())
    throw std::invalid_argument(err);
  const size_t slots = target.Slots();
  if (slots == 0) throw std::invalid_argument("the target has no request slots");

  ThroughputMeasurement m;
  m.requests = slots;
  Pipeline pipeline(target, clock);
  size_t request = 0;  // ring position across the first and warm-up requests

  pipeline.Submit(0, RingIndex(request++, n_batches));
  m.first_inference_ms = pipeline.Wait().latency_ms;

  // Filling every slot before resubmitting any makes each slot complete at
  // least once, whatever order the completions come back in.
  const size_t warmup_total = slots + options.warmup;
  size_t warmup_started = 0;
  for (size_t slot = 0; slot < slots; ++slot, ++warmup_started)
    pipeline.Submit(slot, RingIndex(request++, n_batches));
  while (pipeline.InFlight() > 0) {
    const Finished f = pipeline.Wait();
    m.warmup_ms.push_back(f.latency_ms);
    if (warmup_started < warmup_total) {
      pipeline.Submit(f.slot, RingIndex(request++, n_batches));
      ++warmup_started;
    }
  }

  // The measured window starts with every slot idle, as benchmark_app's
  // does after its first inference.
  const StopRule& stop = options.stop;
  const size_t iteration_bound = RoundedIterations(stop.iterations, slots);
  const double time_budget_ms = stop.time_limit_s * 1000;
  size_t submitted = 0;
  // Once a rule holds, submission goes on to a multiple of the slot count
  // (benchmark_app's alignment), so every slot runs the same number of
  // timed requests and the last ones run as loaded as the rest.
  auto keep_going = [&] {
    if (m.stop_reason.empty()) {
      if (iteration_bound > 0 && submitted >= iteration_bound)
        m.stop_reason = "iterations";
      else if (time_budget_ms > 0 && submitted > 0 && clock() - m.window_start_ms >= time_budget_ms)
        m.stop_reason = "time_limit";
      else if (stop.ci_target_rel > 0 && DueForCiCheck(m.Completed(), stop.min_iterations) &&
               clock() - m.window_start_ms >= stop.min_time_s * 1000 &&
               CiTargetReached(m.samples_ms, stop.ci_target_rel))
        m.stop_reason = "ci_target";
    }
    return m.stop_reason.empty() || submitted % slots != 0;
  };
  auto submit_timed = [&](size_t slot) {
    pipeline.Submit(slot, RingIndex(submitted, n_batches));
    if (submitted == 0) m.window_start_ms = m.window_end_ms = pipeline.SubmittedMs(slot);
    ++submitted;
  };

  if (stop.iterations > 0) {
    m.samples_ms.reserve(iteration_bound);
    m.completed_at_ms.reserve(iteration_bound);
  }
  for (size_t slot = 0; slot < slots && keep_going(); ++slot) submit_timed(slot);
  while (pipeline.InFlight() > 0) {
    const Finished f = pipeline.Wait();
    m.samples_ms.push_back(f.latency_ms);
    m.completed_at_ms.push_back(f.end_ms);
    m.window_end_ms = std::max(m.window_end_ms, f.end_ms);
    if (on_progress) on_progress(m.Completed());
    if (keep_going()) submit_timed(f.slot);
  }
  return m;
}

}  // namespace dli
