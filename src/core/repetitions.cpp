#include "core/repetitions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace dli {

const char* RepetitionIntervalName(RepetitionInterval method) {
  switch (method) {
    case RepetitionInterval::kWithinRepetition:
      return "within";
    case RepetitionInterval::kStudentT:
      return "t";
    case RepetitionInterval::kOrderStatistic:
      return "order_statistic";
  }
  return "?";
}

size_t OrderStatisticRank(size_t k) {
  if (k < kMinOrderStatisticRepetitions) return 0;
  // P(Binomial(k, 1/2) = i) in log space, so no 2^-k underflows.
  const auto pmf = [k](size_t i) {
    const double n = static_cast<double>(k);
    const double x = static_cast<double>(i);
    return std::exp(std::lgamma(n + 1) - std::lgamma(x + 1) - std::lgamma(n - x + 1) -
                    n * std::log(2.0));
  };
  size_t rank = 1;
  double below = pmf(0);  // P(B <= rank - 1)
  while (2 * (below + pmf(rank)) <= 0.05) below += pmf(rank++);
  return rank;
}

double StudentT975(size_t df) {
  // Student's t 0.975 quantiles, solved to 40 digits (mpmath) and rounded to double.
  static const double kQuantiles[] = {12.706204736174705, 4.302652729749464, 3.1824463052837095,
                                      2.7764451051977943};
  if (df < 1 || df > 4) throw UsageError("t quantile table covers df 1..4");
  return kQuantiles[df - 1];
}

RepetitionAggregate AggregateRepetitions(const std::vector<LatencySummary>& repetitions) {
  if (repetitions.empty()) throw UsageError("no repetitions to aggregate");
  RepetitionAggregate a;
  a.repetitions = repetitions.size();
  std::vector<double> medians, widths;
  for (const LatencySummary& r : repetitions) {
    medians.push_back(r.median);
    if (r.median > 0) widths.push_back((r.ci95.high - r.ci95.low) / r.median);
  }
  a.median = Median(medians);
  a.within_spread = Median(widths);
  std::sort(medians.begin(), medians.end());
  if (medians.front() > 0) a.max_min_ratio = medians.back() / medians.front();
  const double mean = Mean(medians);
  const double std = StdDev(medians);
  if (mean > 0) a.between_spread = std / mean;

  const size_t k = medians.size();
  if (k == 1) {
    a.method = RepetitionInterval::kWithinRepetition;
    a.interval = repetitions.front().ci95;
  } else if (k < kMinOrderStatisticRepetitions) {
    a.method = RepetitionInterval::kStudentT;
    const double half = StudentT975(k - 1) * std / std::sqrt(static_cast<double>(k));
    a.interval = {mean - half, mean + half};
  } else {
    a.method = RepetitionInterval::kOrderStatistic;
    const size_t r = OrderStatisticRank(k);
    a.interval = {medians[r - 1], medians[k - r]};
  }
  return a;
}

bool SignificantlyDifferent(const Interval& a, const Interval& b) {
  return a.high < b.low || b.high < a.low;
}

uint32_t ShuffleIndex(std::mt19937& engine, uint32_t bound) {
  const uint64_t range = uint64_t{1} << 32;
  const uint64_t limit = range - range % bound;
  uint64_t x = 0;
  do x = engine();
  while (x >= limit);
  return static_cast<uint32_t>(x % bound);
}

std::vector<Visit> InterleavedOrder(size_t points, size_t repetitions, uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<Visit> order;
  order.reserve(points * repetitions);
  std::vector<size_t> round(points);
  for (size_t r = 0; r < repetitions; ++r) {
    std::iota(round.begin(), round.end(), size_t{0});
    for (size_t i = points; i-- > 1;)
      std::swap(round[i], round[ShuffleIndex(engine, static_cast<uint32_t>(i + 1))]);
    for (size_t p : round) order.push_back({p, r});
  }
  return order;
}

uint32_t NewStudySeed() { return std::random_device{}(); }

}  // namespace dli
