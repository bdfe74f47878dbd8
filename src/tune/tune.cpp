#include "tune/tune.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/error.h"

namespace dli::tune {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kKept:
      return "kept";
    case Verdict::kWorstHalf:
      return "worst_half";
    case Verdict::kOutrun:
      return "outrun";
    case Verdict::kFailed:
      return "failed";
    case Verdict::kFinal:
      return "final";
    case Verdict::kBaseline:
      return "baseline";
  }
  return "";
}

std::vector<Config> Candidates(const Space& space) {
  std::vector<Config> all{Config{}};
  for (const Axis& axis : space.axes) {
    std::vector<Config> longer;
    for (const Config& prefix : all) {
      for (const std::string& value : axis.values) {
        Config config = prefix;
        config.emplace_back(axis.name, value);
        longer.push_back(std::move(config));
      }
    }
    all = std::move(longer);
  }
  if (space.admissible) {
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const Config& c) { return !space.admissible(c); }),
              all.end());
  }
  return all;
}

double MinimumBudget(const Space& space, const Options& options) {
  return static_cast<double>(Candidates(space).size()) * options.min_measure_s;
}

std::string ConfigText(const Config& config) {
  std::string text;
  for (const auto& [name, value] : config) text += (text.empty() ? "" : " ") + name + "=" + value;
  return text;
}

namespace {

std::string Seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g s", s);
  return text;
}

// Budgets are sums of products of decimal fractions: 96 x 0.1 s must fit in
// 9.6 s.
bool FallsShort(double available, double needed) { return available < needed * (1 - 1e-9); }

// Rounds successive halving still needs for `contenders` configurations:
// one per halving, and the final measurement of the last one.
size_t RoundsNeeded(size_t contenders) {
  size_t rounds = 1;
  for (; contenders > 1; contenders = (contenders + 1) / 2) ++rounds;
  return rounds;
}

struct Candidate {
  Config config;
  size_t group = 0;
  bool contender = true;
  Figure last;  // its latest measurement
};

struct Group {
  std::string name;
  size_t default_candidate = 0;
  bool done = false;
};

std::vector<size_t> Contenders(const std::vector<Candidate>& candidates, size_t group) {
  std::vector<size_t> out;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].group == group && candidates[i].contender) out.push_back(i);
  return out;
}

void CheckSpace(const Space& space, const Options& options) {
  if (!(options.min_measure_s > 0)) throw UsageError("the minimum measurement time must be > 0");
  for (const Axis& axis : space.axes) {
    if (axis.values.empty()) throw UsageError("tuning axis '" + axis.name + "' has no values");
    if (axis.default_index >= axis.values.size())
      throw UsageError("tuning axis '" + axis.name + "' has no value at its default index");
  }
}

// Groups in the order of the group axis's values, each with its default
// configuration (every axis at its default, the group axis at the group).
std::vector<Group> MakeGroups(const Space& space, std::vector<Candidate>& candidates) {
  size_t group_axis = 0;
  while (group_axis < space.axes.size() && space.axes[group_axis].name != space.group_axis)
    ++group_axis;
  const bool grouped = group_axis < space.axes.size();
  const std::vector<std::string> names =
      grouped ? space.axes[group_axis].values : std::vector<std::string>{""};
  std::vector<Group> groups;
  for (const std::string& name : names) {
    Config default_config;
    for (size_t a = 0; a < space.axes.size(); ++a) {
      const Axis& axis = space.axes[a];
      default_config.emplace_back(axis.name,
                                  a == group_axis ? name : axis.values[axis.default_index]);
    }
    size_t found = candidates.size();
    bool any = false;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (grouped && candidates[i].config[group_axis].second != name) continue;
      candidates[i].group = groups.size();
      any = true;
      if (candidates[i].config == default_config) found = i;
    }
    if (!any) continue;
    if (found == candidates.size())
      throw UsageError("the default configuration (" + ConfigText(default_config) +
                       ") is not among the configurations to tune");
    groups.push_back({name, found, false});
  }
  return groups;
}

// Verdicts of one group's round: the failed drop out, then the worse half,
// then whoever's interval lies wholly below the best one's.
void Eliminate(std::vector<Candidate>& candidates, const std::vector<size_t>& contenders,
               std::vector<Trial>& log, const std::vector<size_t>& trial_of) {
  std::vector<size_t> ranked;
  for (size_t i : contenders) {
    if (candidates[i].last.error.empty()) {
      ranked.push_back(i);
    } else {
      candidates[i].contender = false;
      log[trial_of[i]].verdict = Verdict::kFailed;
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) {
    return candidates[a].last.fps > candidates[b].last.fps;
  });
  const size_t keep = (ranked.size() + 1) / 2;
  for (size_t rank = 0; rank < ranked.size(); ++rank) {
    Candidate& c = candidates[ranked[rank]];
    Verdict verdict = Verdict::kKept;
    if (rank >= keep)
      verdict = Verdict::kWorstHalf;
    else if (c.last.ci_high < candidates[ranked[0]].last.ci_low)
      verdict = Verdict::kOutrun;
    c.contender = verdict == Verdict::kKept;
    log[trial_of[ranked[rank]]].verdict = verdict;
  }
}

GroupResult Summarize(const Group& group, const std::vector<Candidate>& candidates, size_t index) {
  GroupResult r;
  r.group = group.name;
  const Candidate& baseline = candidates[group.default_candidate];
  r.default_config = baseline.config;
  r.default_figure = baseline.last;
  const Candidate* best = nullptr;
  for (size_t i : Contenders(candidates, index))
    if (candidates[i].last.error.empty() &&
        (best == nullptr || candidates[i].last.fps > best->last.fps))
      best = &candidates[i];
  if (best == nullptr) return r;
  r.best = best->config;
  r.best_figure = best->last;
  if (r.default_figure.error.empty() && r.default_figure.fps > 0) {
    r.gain = r.best_figure.fps / r.default_figure.fps;
    r.significant = r.best_figure.ci_low > r.default_figure.ci_high;
  }
  return r;
}

}  // namespace

Result Tune(const Space& space, const MeasureFn& measure, const Options& options) {
  CheckSpace(space, options);
  std::vector<Candidate> candidates;
  for (Config& config : Candidates(space)) {
    candidates.emplace_back();
    candidates.back().config = std::move(config);
  }
  if (candidates.empty()) throw UsageError("no configuration to tune: the space is empty");
  const double minimum = static_cast<double>(candidates.size()) * options.min_measure_s;
  if (FallsShort(options.budget_s, minimum))
    throw UsageError("a tuning budget of " + Seconds(options.budget_s) +
                     " is below the minimum of " + Seconds(minimum) + " (" +
                     std::to_string(candidates.size()) + " configurations measured once for " +
                     Seconds(options.min_measure_s) + ")");
  std::vector<Group> groups = MakeGroups(space, candidates);

  Result result;
  double remaining = options.budget_s;
  std::vector<size_t> trial_of(candidates.size());
  for (size_t round = 0;; ++round) {
    std::vector<size_t> measured;
    size_t rounds_left = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].done) continue;
      const std::vector<size_t> contenders = Contenders(candidates, g);
      measured.insert(measured.end(), contenders.begin(), contenders.end());
      const Candidate& baseline = candidates[groups[g].default_candidate];
      if (contenders.size() == 1 && !baseline.contender && baseline.last.error.empty())
        measured.push_back(groups[g].default_candidate);
      rounds_left = std::max(rounds_left, RoundsNeeded(contenders.size()));
    }
    if (measured.empty()) {
      result.stop_reason = "converged";
      break;
    }
    const double count = static_cast<double>(measured.size());
    if (FallsShort(remaining, count * options.min_measure_s)) {
      result.stop_reason = "budget";
      break;
    }
    const double each =
        std::max(options.min_measure_s, remaining / static_cast<double>(rounds_left) / count);
    for (size_t i : measured) {
      Candidate& c = candidates[i];
      c.last = measure(c.config, each);
      remaining -= c.last.seconds_spent;
      result.seconds_spent += c.last.seconds_spent;
      trial_of[i] = result.log.size();
      result.log.push_back(
          {round, c.config, each, c.last, c.contender ? Verdict::kKept : Verdict::kBaseline});
    }
    result.rounds = round + 1;

    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].done) continue;
      const std::vector<size_t> contenders = Contenders(candidates, g);
      if (contenders.size() == 1) {
        Candidate& last = candidates[contenders[0]];
        const bool failed = !last.last.error.empty();
        last.contender = !failed;
        result.log[trial_of[contenders[0]]].verdict = failed ? Verdict::kFailed : Verdict::kFinal;
        groups[g].done = true;
        continue;
      }
      Eliminate(candidates, contenders, result.log, trial_of);
      if (Contenders(candidates, g).empty()) groups[g].done = true;
    }
  }
  for (size_t g = 0; g < groups.size(); ++g)
    result.groups.push_back(Summarize(groups[g], candidates, g));
  return result;
}

}  // namespace dli::tune
