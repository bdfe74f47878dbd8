// Launch-parameter tuning (docs/METHODOLOGY.md, "Tuning"): successive halving
// with racing on confidence intervals over a parameter space, within a time
// budget. Pure: what one measurement does is the caller's callback.
#ifndef DLI_TUNE_H
#define DLI_TUNE_H

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dli::tune {

// One tunable parameter (batch, requests, a framework parameter such as
// threads or streams) and the values to try.
struct Axis {
  std::string name;
  std::vector<std::string> values;
  size_t default_index = 0;  // the untuned setting the gain is measured against
};

// One value per axis, in the space's axis order.
using Config = std::vector<std::pair<std::string, std::string>>;

struct Space {
  std::vector<Axis> axes;
  // Configurations are compared only with others of the same value of this
  // axis, and each value gets its own best: the best latency-mode and the
  // best throughput-mode configuration are both answers. No such axis: one
  // group.
  std::string group_axis = "mode";
  // Which combinations make sense (e.g. more than one request only in
  // throughput mode); empty: all of them.
  std::function<bool(const Config&)> admissible;
};

// What one measurement of a configuration found.
struct Figure {
  double fps = 0;
  double ci_low = 0;  // 95% interval of fps
  double ci_high = 0;
  double seconds_spent = 0;  // wall time of the measurement, overheads included
  std::string error;         // "" when it measured
};

// Measures `config` for about `budget_s` seconds.
using MeasureFn = std::function<Figure(const Config& config, double budget_s)>;

struct Options {
  double budget_s = 0;  // total seconds of measurements
  // The shortest measurement worth taking (loading, warm-up and enough
  // requests for an interval); no configuration is measured for less.
  double min_measure_s = 1;
};

// The outcome of one configuration in one round.
enum class Verdict {
  kKept,       // among the better half and not outrun
  kWorstHalf,  // in the worse half of its group
  kOutrun,     // its interval lies wholly below the best one's
  kFailed,     // the measurement reported an error
  kFinal,      // its group's last contender, measured at the longest time
  kBaseline,   // the default, measured again beside the final contender
};
const char* VerdictName(Verdict v);  // "kept", "worst_half", "outrun", ...

struct Trial {
  size_t round = 0;
  Config config;
  double budget_s = 0;
  Figure figure;
  Verdict verdict = Verdict::kKept;
};

struct GroupResult {
  std::string group;  // the group axis's value; "" without one
  Config best;        // empty when every configuration failed
  Figure best_figure;
  Config default_config;
  Figure default_figure;
  double gain = 0;           // best fps / default fps; 0 when the default failed
  bool significant = false;  // the best's interval lies wholly above the default's
};

struct Result {
  std::vector<GroupResult> groups;
  std::vector<Trial> log;  // in measurement order
  size_t rounds = 0;
  double seconds_spent = 0;
  std::string stop_reason;  // "converged" or "budget"
};

// Every admissible configuration, in axis order (the last axis varies
// fastest).
std::vector<Config> Candidates(const Space& space);
// The budget of one round that measures every candidate once.
double MinimumBudget(const Space& space, const Options& options);
std::string ConfigText(const Config& config);  // "batch=8 requests=4"

// Round r measures every contender of every unfinished group for the same
// time: the budget left, split evenly over the rounds still needed and then
// over the configurations measured in the round, never below min_measure_s.
// Then, per group, the failed, the worse half and those outrun (their
// interval wholly below the best's) drop out. A group with one contender left
// is measured once more, beside its default, and is done. Throws UsageError
// when the budget is below MinimumBudget, naming the minimum.
Result Tune(const Space& space, const MeasureFn& measure, const Options& options);

}  // namespace dli::tune

#endif  // DLI_TUNE_H
