// The one measurement loop every framework is timed with (METHODOLOGY.md
// section 2): sequential requests over a ring buffer of prepared batches,
// one steady clock around the inference call only.
#ifndef DLI_MEASURE_H
#define DLI_MEASURE_H

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace dli {

// What the loop drives. Bind() selects the next input batch and is not timed;
// Infer() is the framework's forward pass and the only timed call.
class InferenceTarget {
 public:
  virtual ~InferenceTarget() = default;
  virtual void Bind(size_t batch_index) = 0;
  virtual void Infer() = 0;
};

// Ring buffer indexing: iteration i uses batch i mod n_batches.
inline size_t RingIndex(size_t iteration, size_t n_batches) { return iteration % n_batches; }

struct StopRule {
  // Timed iterations to run; 0 = no iteration bound (time or CI decides).
  size_t iterations = 1000;
  // Seconds of timed requests; 0 = no time bound.
  double time_limit_s = 0;
  // Adaptive stopping (our addition): stop once the 95% CI of the median is
  // narrower than this fraction of the median; 0 = off.
  double ci_target_rel = 0;
  // Never stop adaptively before this many samples...
  size_t min_iterations = 30;
  // ...nor before this many seconds of timed requests: a short measurement
  // can fall entirely inside a transient slow phase of a shared machine.
  double min_time_s = 0;
};

inline constexpr const char* kLatencyMode = "latency";
inline constexpr const char* kThroughputMode = "throughput";

struct MeasureOptions {
  size_t warmup = 5;
  StopRule stop;
  // kLatencyMode: one request at a time (RunMeasurement); kThroughputMode:
  // `requests` in flight at once (RunThroughputMeasurement,
  // METHODOLOGY.md "Throughput mode"). Latency mode has one request.
  std::string mode = kLatencyMode;
  size_t requests = 1;
};

struct Measurement {
  double first_inference_ms = 0;
  std::vector<double> warmup_ms;   // excluded from the statistics
  std::vector<double> samples_ms;  // one per timed request
  std::string stop_reason;         // "iterations", "time_limit" or "ci_target"
};

// Returns an error text when the rule can never stop, else "".
std::string ValidateStopRule(const StopRule& rule);

// The clock is injectable so tests can run the loop on a synthetic latency
// source; production code uses the steady clock.
using Clock = std::function<double()>;  // milliseconds, monotonic
double SteadyClockMs();

// Runs: one first inference (batch 0), `warmup` warm-up requests, then timed
// requests until the stop rule holds. `on_progress` (may be empty) is called
// after each timed request with the number of samples so far.
Measurement RunMeasurement(InferenceTarget& target, size_t n_batches, const MeasureOptions& options,
                           const Clock& clock = SteadyClockMs,
                           const std::function<void(size_t)>& on_progress = {});

// Whether the adaptive rule looks at the CI after `n` samples: from
// min_iterations on, at growing intervals (every 10 samples, later every
// ~5% more), so the loop's own cost stays negligible.
bool DueForCiCheck(size_t n, size_t min_iterations);

// True when the CI of the median of `samples` (after the 3-sigma filter) is
// narrower than ci_target_rel of the median.
bool CiTargetReached(const std::vector<double>& samples, double ci_target_rel);

}  // namespace dli

#endif  // DLI_MEASURE_H
