#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dli {

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double StdDev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(v.size() - 1));
}

double Median(std::vector<double> v) { return Percentile(std::move(v), 50); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (rank - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

ThreeSigmaSplit FilterThreeSigma(const std::vector<double>& v) {
  ThreeSigmaSplit out;
  const double m = Mean(v);
  const double bound = 3 * StdDev(v);
  for (double x : v) (std::fabs(x - m) <= bound ? out.kept : out.dropped).push_back(x);
  return out;
}

Interval MedianCI95(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size());
  const double half_width = 1.96 * std::sqrt(n) / 2;
  // 1-based ranks of the order statistics bounding the median.
  const double lower_rank = std::floor(n / 2 - half_width);
  const double upper_rank = std::ceil(n / 2 + half_width) + 1;
  const size_t lo = lower_rank < 1 ? 0 : static_cast<size_t>(lower_rank) - 1;
  const size_t hi = upper_rank > n ? v.size() - 1 : static_cast<size_t>(upper_rank) - 1;
  return {v[lo], v[hi]};
}

LatencySummary Summarize(const std::vector<double>& samples) {
  LatencySummary s;
  s.samples_total = samples.size();
  const ThreeSigmaSplit split = FilterThreeSigma(samples);
  const std::vector<double>& kept = split.kept;
  s.samples_kept = kept.size();
  s.samples_dropped = split.dropped.size();
  if (kept.empty()) return s;
  s.median = Median(kept);
  s.mean = Mean(kept);
  s.std = StdDev(kept);
  const auto [min_it, max_it] = std::minmax_element(kept.begin(), kept.end());
  s.min = *min_it;
  s.max = *max_it;
  s.p90 = Percentile(kept, 90);
  s.p95 = Percentile(kept, 95);
  s.p99 = Percentile(kept, 99);
  s.ci95 = MedianCI95(kept);
  return s;
}

}  // namespace dli
