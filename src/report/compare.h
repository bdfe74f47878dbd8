// Comparing the performance points two runs have in common (`dli compare`):
// the FPS ratio B/A with the interval implied by both points' 95% intervals:
// a point's own CI of the median, or for a point with several repetitions
// the between-repetition interval of their aggregate (AggregatePoint). A
// change is flagged only when that ratio interval excludes 1, i.e. when the
// two intervals do not overlap (SignificantlyDifferent).
#ifndef DLI_REPORT_COMPARE_H
#define DLI_REPORT_COMPARE_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/point.h"

namespace dli {

// A point's FPS and the FPS interval its latency's 95% CI implies (0 where
// unknown).
struct FpsInterval {
  double fps = 0, low = 0, high = 0;
};
FpsInterval FpsIntervalOf(const PointResult& point);

// The same measurement in two runs: same model, format, framework, device,
// precision, batch and parameters.
std::string MatchKey(const PointResult& point);

enum class Change { kFaster, kSlower, kWithinNoise };
const char* ChangeName(Change change);  // "faster", "slower", "within noise"

struct PointComparison {
  std::string key;  // MatchKey
  std::string framework, device, precision, params;
  int batch = 0;
  FpsInterval a, b;
  size_t repetitions_a = 1, repetitions_b = 1;
  double ratio = 0, ratio_low = 0, ratio_high = 0;  // B/A
  Change change = Change::kWithinNoise;
};

// The points of `a` and `b` (performance points) with the same MatchKey, in
// key order; the repetitions of a key are aggregated, and of several points
// with one key and repetition index in a run, the last counts.
std::vector<PointComparison> ComparePoints(const std::vector<PointResult>& a,
                                           const std::vector<PointResult>& b);

// The comparison as written by `dli compare --json`.
nlohmann::json ComparisonToJson(int64_t run_a, int64_t run_b,
                                const std::vector<PointComparison>& points);

}  // namespace dli

#endif  // DLI_REPORT_COMPARE_H
