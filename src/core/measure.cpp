#include "core/measure.h"

#include <chrono>
#include <stdexcept>

#include "core/stats.h"

namespace dli {

double SteadyClockMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::string ValidateStopRule(const StopRule& rule) {
  if (rule.iterations == 0 && rule.time_limit_s <= 0)
    return "no stop condition: give an iteration count or a time limit";
  if (rule.time_limit_s < 0) return "time limit must not be negative";
  if (rule.ci_target_rel < 0) return "CI target must not be negative";
  if (rule.min_time_s < 0) return "minimum time must not be negative";
  return "";
}

bool CiTargetReached(const std::vector<double>& samples, double ci_target_rel) {
  const LatencySummary s = Summarize(samples);
  if (s.median <= 0) return false;
  return (s.ci95.high - s.ci95.low) / s.median <= ci_target_rel;
}

namespace {

double TimeOne(InferenceTarget& target, size_t batch_index, const Clock& clock) {
  target.Bind(batch_index);
  const double start = clock();
  target.Infer();
  return clock() - start;
}

}  // namespace

bool DueForCiCheck(size_t n, size_t min_iterations) {
  if (n < min_iterations || n == 0) return false;
  const size_t step = n / 20 > 10 ? n / 20 : 10;
  return n % step == 0;
}

Measurement RunMeasurement(InferenceTarget& target, size_t n_batches, const MeasureOptions& options,
                           const Clock& clock, const std::function<void(size_t)>& on_progress) {
  if (n_batches == 0) throw std::invalid_argument("no input batches prepared");
  if (const std::string err = ValidateStopRule(options.stop); !err.empty())
    throw std::invalid_argument(err);

  Measurement m;
  size_t request = 0;  // ring position across first, warm-up and timed runs
  m.first_inference_ms = TimeOne(target, RingIndex(request++, n_batches), clock);
  for (size_t i = 0; i < options.warmup; ++i)
    m.warmup_ms.push_back(TimeOne(target, RingIndex(request++, n_batches), clock));

  const StopRule& stop = options.stop;
  if (stop.iterations > 0) m.samples_ms.reserve(stop.iterations);
  const double time_budget_ms = stop.time_limit_s * 1000;
  const double loop_start = clock();
  // Timed iterations start at batch 0 so that iteration i uses batch i mod n.
  for (size_t i = 0;; ++i) {
    if (stop.iterations > 0 && i >= stop.iterations) {
      m.stop_reason = "iterations";
      break;
    }
    if (time_budget_ms > 0 && clock() - loop_start >= time_budget_ms) {
      m.stop_reason = "time_limit";
      break;
    }
    if (stop.ci_target_rel > 0 && DueForCiCheck(i, stop.min_iterations) &&
        clock() - loop_start >= stop.min_time_s * 1000 &&
        CiTargetReached(m.samples_ms, stop.ci_target_rel)) {
      m.stop_reason = "ci_target";
      break;
    }
    m.samples_ms.push_back(TimeOne(target, RingIndex(i, n_batches), clock));
    if (on_progress) on_progress(m.samples_ms.size());
  }
  return m;
}

}  // namespace dli
