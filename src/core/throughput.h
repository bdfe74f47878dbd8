// Throughput mode (docs/METHODOLOGY.md, "Throughput mode"): N requests in
// flight over the same ring buffer of prepared batches as latency mode, the
// definitions of OpenVINO benchmark_app's async mode. The loop knows nothing
// about frameworks: it drives an AsyncInferenceTarget.
#ifndef DLI_THROUGHPUT_H
#define DLI_THROUGHPUT_H

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/measure.h"
#include "core/stats.h"

namespace dli {

// One finished request: which slot it ran on, when it finished (on the
// loop's clock, read where the framework reports completion, so that queueing
// in the loop is not counted), and what went wrong ("" when nothing did).
struct Completion {
  size_t slot = 0;
  double end_ms = 0;
  std::string error;
};

// What the throughput loop drives: Slots() request slots that can be in
// flight at once (OpenVINO infer requests, worker threads around a
// thread-safe Run, framework instances). The loop calls Bind and Start only
// on an idle slot, from one thread.
class AsyncInferenceTarget {
 public:
  virtual ~AsyncInferenceTarget() = default;
  virtual size_t Slots() const = 0;
  // Makes batch `batch_index` the input of the idle slot. Not timed.
  virtual void Bind(size_t slot, size_t batch_index) = 0;
  // Starts the slot's request and returns without waiting for it.
  virtual void Start(size_t slot) = 0;
  // Blocks until a started request finishes; each started request is
  // returned exactly once, then its slot is idle again.
  virtual Completion WaitAny() = 0;
};

struct ThroughputMeasurement {
  size_t requests = 0;                  // slots kept in flight
  double first_inference_ms = 0;        // slot 0 alone, before anything else
  std::vector<double> warmup_ms;        // excluded from everything below
  std::vector<double> samples_ms;       // per timed request, submission to completion,
                                        // in completion order
  std::vector<double> completed_at_ms;  // when each of them finished, same order
  double window_start_ms = 0;           // the first timed submission
  double window_end_ms = 0;             // the last timed completion
  std::string stop_reason;              // "iterations", "time_limit" or "ci_target"

  size_t Completed() const { return samples_ms.size(); }
  double WindowMs() const { return window_end_ms - window_start_ms; }
  // Images completed per second of the window; 0 for an empty window.
  double Fps(size_t batch) const;
};

// 95% interval of Fps(batch): the window is cut into 10 equal slices, each
// completion counts in the slice it finished in, and Student's t interval of
// the mean slice rate is taken, whose mean is exactly Fps(batch). Slices
// overlap in requests (one in flight across a boundary counts in the later
// slice), so the interval is a racing aid, not an exact coverage. With fewer
// than 5 completions per slot and slice it is [0, infinity): too few to say.
Interval ThroughputCi95(const ThroughputMeasurement& m, size_t batch);

// Timed iterations in throughput mode: rounded up to a multiple of the
// request count, as benchmark_app does.
size_t RoundedIterations(size_t iterations, size_t requests);

// "" when `requests` requests can be kept in flight on a backend holding at
// most `max_requests` (0 = no limit of its own), else a one-line reason.
std::string ValidateRequestCount(size_t requests, size_t max_requests);

// Runs one first inference on slot 0 alone; then a warm-up with every slot
// in flight: one request per slot plus `options.warmup` more, so every slot
// has completed at least once; waits for all of them. Then the measured
// window: every slot is filled, each completion resubmits its slot until the
// stop rule holds and the number of timed requests is a multiple of the slot
// count, and the requests still in flight are waited for and counted. The
// stop rule is latency mode's: the iteration bound and the time limit are
// checked at each submission, the adaptive rule on the median per-request
// latency after each completion. Timed request i (in submission order) uses
// batch i mod n_batches. A failed request ends the run with
// std::runtime_error once the others have finished. `on_progress` (may be
// empty) gets the number of timed completions so far.
ThroughputMeasurement RunThroughputMeasurement(AsyncInferenceTarget& target, size_t n_batches,
                                               const MeasureOptions& options,
                                               const Clock& clock = SteadyClockMs,
                                               const std::function<void(size_t)>& on_progress = {});

}  // namespace dli

#endif  // DLI_THROUGHPUT_H
