// A point measured in several repetitions (docs/METHODOLOGY.md, "Repetitions,
// interference and drift"): its repetitions grouped, and the figure the
// point is reported with.
#ifndef DLI_REPEATED_POINT_H
#define DLI_REPEATED_POINT_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/point.h"
#include "core/repetitions.h"

namespace dli {

// What makes results repetitions of one point: everything of the spec that
// the resume identity holds (model, framework, device, precision, batch,
// parameters, input and measurement settings), not the repetition index.
std::string RepetitionGroupKey(const PointResult& result);

struct RepeatedPoint {
  std::vector<PointResult> repetitions;  // in repetition order
  size_t ok = 0, flagged = 0;            // repetitions that succeeded / carry a flag
  // Over the successful repetitions (repetitions = 0 when none succeeded).
  RepetitionAggregate latency;
  // FPS = batch / the median of the medians, and the FPS interval implied by
  // the between-repetition latency interval. A single repetition keeps its
  // own figures, so single-repetition results read exactly as before.
  double fps = 0;
  Interval fps_interval;

  const PointResult& first() const { return repetitions.front(); }
};
RepeatedPoint AggregatePoint(std::vector<PointResult> repetitions);

// The results grouped by RepetitionGroupKey, groups in the order of their
// first result.
std::vector<RepeatedPoint> GroupRepetitions(const std::vector<PointResult>& results);

// {"repetitions", "ok", "flagged", "median_ms", "interval_ms": [low, high],
//  "method", "within_spread", "between_spread", "max_min_ratio", "fps",
//  "fps_interval": [low, high]}
nlohmann::json AggregateToJson(const RepeatedPoint& point);

// A drift ratio (reading / the study's first reading) outside
// [1 - kMaxDrift, 1 + kMaxDrift] flags the repetition.
constexpr double kMaxDrift = 0.10;
// Sets the repetition's drift ratio from the mean of its two reference
// readings over `first_reference_ms`, and adds the "drift" flag beyond
// kMaxDrift. Nothing when either is unknown.
void ApplyDrift(PointResult& result, double first_reference_ms);

}  // namespace dli

#endif  // DLI_REPEATED_POINT_H
