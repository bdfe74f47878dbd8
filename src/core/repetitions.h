// Repeated measurements of a point (METHODOLOGY.md section 7, docs/METHODOLOGY.md
// "Repetitions, interference and drift"): the aggregate of K repetitions, the
// significance rule, and the interleaved order in which a study runs them.
// Pure functions, unit-tested with exact values.
#ifndef DLI_REPETITIONS_H
#define DLI_REPETITIONS_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/stats.h"

namespace dli {

// How the between-repetition interval was computed.
enum class RepetitionInterval {
  kWithinRepetition,  // K = 1: that repetition's own 95% CI of the median
  kStudentT,          // 2 <= K < kMinOrderStatisticRepetitions: mean +- t * s / sqrt(K)
  kOrderStatistic,    // K >= kMinOrderStatisticRepetitions: exact binomial ranks
};
const char* RepetitionIntervalName(RepetitionInterval method);  // "within", "t", "order_statistic"

// The smallest K for which [min, max] of K values covers their median with at
// least 95% probability (1 - 2 / 2^K >= 0.95), so an order-statistic interval exists.
constexpr size_t kMinOrderStatisticRepetitions = 6;

// 1-based rank r of the distribution-free 95% interval [x(r), x(K+1-r)] of the
// median of K sorted values: the largest r with 1 - 2 * P(Binomial(K, 1/2) <= r - 1)
// >= 0.95. 0 when K < kMinOrderStatisticRepetitions (no such interval).
size_t OrderStatisticRank(size_t k);
// Two-sided 95% Student t quantile t(0.975, df) for df = 1..4, the only ones
// kStudentT needs; UsageError otherwise.
double StudentT975(size_t df);

struct RepetitionAggregate {
  size_t repetitions = 0;
  double median = 0;  // median of the repetitions' medians: the point's figure
  Interval interval;  // between-repetition 95% interval (see RepetitionInterval)
  RepetitionInterval method = RepetitionInterval::kWithinRepetition;
  // Median over repetitions of (ci95.high - ci95.low) / median: the noise
  // inside one process.
  double within_spread = 0;
  // Sample std / mean of the repetition medians (0 when K < 2), and
  // max / min of them: the noise between processes.
  double between_spread = 0;
  double max_min_ratio = 0;
};
// Aggregates the summaries of K >= 1 repetitions of one point (latency in ms,
// or any positive figure); UsageError when `repetitions` is empty.
RepetitionAggregate AggregateRepetitions(const std::vector<LatencySummary>& repetitions);

// A difference is significant only when the two intervals do not overlap;
// intervals that touch overlap.
bool SignificantlyDifferent(const Interval& a, const Interval& b);

// One run of one point in a study.
struct Visit {
  size_t point = 0;
  size_t repetition = 0;
  bool operator==(const Visit& o) const { return point == o.point && repetition == o.repetition; }
};
// The order a study runs `repetitions` rounds over `points` points: round r
// visits every point once (repetition r), in an order shuffled per round.
// The shuffle is Fisher-Yates (i from n-1 down to 1, j uniform in [0, i]) over
// std::mt19937 seeded with `seed` once for the whole study; j comes from
// ShuffleIndex, not from std::uniform_int_distribution, whose algorithm each
// standard library chooses. The same seed gives the same order everywhere.
std::vector<Visit> InterleavedOrder(size_t points, size_t repetitions, uint32_t seed);
// A uniform integer in [0, bound), bound >= 1, from 32-bit draws of `engine`
// by rejection: draws x until x < 2^32 - (2^32 mod bound), returns x mod bound.
uint32_t ShuffleIndex(std::mt19937& engine, uint32_t bound);
// A fresh seed for a study (from std::random_device), to be recorded with it.
uint32_t NewStudySeed();

}  // namespace dli

#endif  // DLI_REPETITIONS_H
