// Statistics of request durations, as defined in docs/METHODOLOGY.md ("Statistics"): small pure
// functions over plain vectors, each unit-tested with exact values.
#ifndef DLI_STATS_H
#define DLI_STATS_H

#include <cstddef>
#include <vector>

namespace dli {

double Mean(const std::vector<double>& v);
// Sample standard deviation (n - 1 in the denominator); 0 when n < 2.
double StdDev(const std::vector<double>& v);
// Middle value; the mean of the two middle values when n is even; 0 when empty.
double Median(std::vector<double> v);
// Percentile p in [0, 100] with linear interpolation between closest ranks
// (numpy's default, Hyndman-Fan type 7); 0 when empty.
double Percentile(std::vector<double> v, double p);

struct ThreeSigmaSplit {
  std::vector<double> kept;
  std::vector<double> dropped;
};
// The methodology's outlier filter: drops every value outside
// mean +- 3 * std (sample std) of all values. Order of kept values is kept.
ThreeSigmaSplit FilterThreeSigma(const std::vector<double>& v);

struct Interval {
  double low = 0;
  double high = 0;
};
// Distribution-free 95% confidence interval of the median from order
// statistics (normal approximation of the binomial ranks
// n/2 -+ 1.96 * sqrt(n) / 2); [min, max] for small samples.
Interval MedianCI95(std::vector<double> v);

// Everything reported about one test point's timed requests.
struct LatencySummary {
  size_t samples_total = 0;
  size_t samples_kept = 0;
  size_t samples_dropped = 0;
  double median = 0, mean = 0, std = 0, min = 0, max = 0;
  double p90 = 0, p95 = 0, p99 = 0;
  Interval ci95;
};
// Applies the 3-sigma filter, then summarises the kept values.
LatencySummary Summarize(const std::vector<double>& samples);

}  // namespace dli

#endif  // DLI_STATS_H
