#include "tune/tune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "core/error.h"

namespace dli::tune {
namespace {

std::string Value(const Config& config, const std::string& name) {
  for (const auto& [key, value] : config)
    if (key == name) return value;
  return "";
}
double Number(const Config& config, const std::string& name) {
  return std::stod(Value(config, name));
}

// A synthetic objective with known optimum and a measurement whose noise
// shrinks with the time spent on it: relative sd 1% over sqrt(seconds).
class NoisyObjective {
 public:
  explicit NoisyObjective(std::function<double(const Config&)> true_fps, double overhead_s = 0)
      : true_fps_(std::move(true_fps)), overhead_s_(overhead_s) {}

  Figure operator()(const Config& config, double budget_s) {
    const double fps = true_fps_(config);
    const double sd = 0.01 / std::sqrt(budget_s) * fps;
    std::normal_distribution<double> noise(0, sd);
    Figure f;
    f.fps = fps + noise(rng_);
    f.ci_low = f.fps - 1.96 * sd;
    f.ci_high = f.fps + 1.96 * sd;
    f.seconds_spent = budget_s + overhead_s_;
    return f;
  }

 private:
  std::function<double(const Config&)> true_fps_;
  double overhead_s_;
  std::mt19937 rng_{2024};
};

Space ThroughputSpace() {
  Space space;
  space.axes = {{"batch", {"1", "2", "4", "8", "16", "32"}, 0},
                {"requests", {"1", "2", "4", "8"}, 0},
                {"threads", {"1", "2", "3", "4"}, 0}};
  return space;
}

// Peaks at batch 8, 4 requests, 2 threads; the runners-up are 3-5% slower.
double PeakedFps(const Config& c) {
  const double b = std::log2(Number(c, "batch")) - 3;
  const double r = std::log2(Number(c, "requests")) - 2;
  const double t = Number(c, "threads") - 2;
  return 1000 - 30 * b * b - 40 * r * r - 50 * t * t;
}

double FinalBudget(const Result& r) {
  for (const Trial& t : r.log)
    if (t.verdict == Verdict::kFinal) return t.budget_s;
  return 0;
}

TEST(Tune, FindsTheKnownBestWithFewerSecondsThanAFullGrid) {
  const Space space = ThroughputSpace();
  ASSERT_EQ(Candidates(space).size(), 96u);
  Options options;
  options.budget_s = 60;
  options.min_measure_s = 0.1;
  const Result r = Tune(space, NoisyObjective(PeakedFps), options);
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(ConfigText(r.groups[0].best), "batch=8 requests=4 threads=2");
  EXPECT_EQ(r.stop_reason, "converged");
  // Halving alone needs 8 rounds (96 48 24 12 6 3 2 1); racing drops the
  // outrun sooner.
  EXPECT_LE(r.rounds, 8u);
  EXPECT_GE(r.rounds, 3u);
  EXPECT_LE(r.seconds_spent, options.budget_s + 1e-9);
  // A full grid measured as long as the winner's final measurement:
  EXPECT_LT(r.seconds_spent, 96 * FinalBudget(r));
  EXPECT_GT(FinalBudget(r), 10 * options.min_measure_s);
}

TEST(Tune, ReportsTheDefaultAndTheGain) {
  const Result r = Tune(ThroughputSpace(), NoisyObjective(PeakedFps), {60, 0.1});
  const GroupResult& g = r.groups[0];
  EXPECT_EQ(ConfigText(g.default_config), "batch=1 requests=1 threads=1");
  // True default: 1000 - 270 - 160 - 50 = 520.
  EXPECT_NEAR(g.default_figure.fps, 520, 520 * 0.05);
  EXPECT_NEAR(g.gain, 1000.0 / 520, 0.1);
  EXPECT_TRUE(g.significant);
  // The default dropped out early and was measured again beside the winner.
  EXPECT_EQ(r.log.back().verdict, Verdict::kBaseline);
  EXPECT_EQ(r.log.back().config, g.default_config);
  EXPECT_DOUBLE_EQ(r.log.back().budget_s, FinalBudget(r));
}

TEST(Tune, EachModeGetsItsOwnBest) {
  Space space;
  space.axes = {{"mode", {"latency", "throughput"}, 0},
                {"batch", {"1", "2", "4", "8"}, 0},
                {"requests", {"1", "2", "4", "8"}, 0}};
  space.admissible = [](const Config& c) {
    return Value(c, "mode") == "throughput" || Value(c, "requests") == "1";
  };
  ASSERT_EQ(Candidates(space).size(), 4u + 16u);
  auto fps = [](const Config& c) {
    const double b = std::log2(Number(c, "batch"));
    const double r = std::log2(Number(c, "requests"));
    if (Value(c, "mode") == "latency") return 500 - 40 * (b - 2) * (b - 2);
    return 900 - 40 * (b - 1) * (b - 1) - 30 * (r - 3) * (r - 3);
  };
  const Result r = Tune(space, NoisyObjective(fps), {40, 0.1});
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].group, "latency");
  EXPECT_EQ(ConfigText(r.groups[0].best), "mode=latency batch=4 requests=1");
  EXPECT_EQ(ConfigText(r.groups[0].default_config), "mode=latency batch=1 requests=1");
  EXPECT_EQ(r.groups[1].group, "throughput");
  EXPECT_EQ(ConfigText(r.groups[1].best), "mode=throughput batch=2 requests=8");
  EXPECT_EQ(ConfigText(r.groups[1].default_config), "mode=throughput batch=1 requests=1");
  for (const Trial& t : r.log) EXPECT_TRUE(space.admissible(t.config));
}

TEST(Tune, ABudgetBelowOneRoundNamesTheMinimum) {
  try {
    Tune(ThroughputSpace(), NoisyObjective(PeakedFps), {9, 0.1});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "a tuning budget of 9 s is below the minimum of 9.6 s (96 configurations "
                 "measured once for 0.1 s)");
  }
  EXPECT_DOUBLE_EQ(MinimumBudget(ThroughputSpace(), {9, 0.1}), 9.6);
  EXPECT_NO_THROW(Tune(ThroughputSpace(), NoisyObjective(PeakedFps), {9.6, 0.1}));
}

TEST(Tune, OutrunCandidatesDropEvenInTheBetterHalf) {
  Space space;
  space.axes = {{"threads", {"1", "2", "3", "4"}, 3}};
  const std::map<std::string, double> fps{{"1", 100}, {"2", 50}, {"3", 49}, {"4", 48}};
  auto exact = [&](const Config& c, double budget_s) {
    const double f = fps.at(Value(c, "threads"));
    return Figure{f, f - 1, f + 1, budget_s, ""};
  };
  const Result r = Tune(space, exact, {10, 1});
  ASSERT_EQ(r.rounds, 2u);
  std::vector<std::string> verdicts;
  for (const Trial& t : r.log)
    verdicts.push_back(std::to_string(t.round) + ":" + Value(t.config, "threads") + ":" +
                       VerdictName(t.verdict));
  EXPECT_EQ(verdicts, (std::vector<std::string>{"0:1:kept", "0:2:outrun", "0:3:worst_half",
                                                "0:4:worst_half", "1:1:final", "1:4:baseline"}));
  EXPECT_DOUBLE_EQ(r.groups[0].gain, 100.0 / 48);
  EXPECT_DOUBLE_EQ(r.seconds_spent, 10);  // the final round takes what is left
}

TEST(Tune, FailedConfigurationsDropOut) {
  Space space = ThroughputSpace();
  NoisyObjective objective(PeakedFps);
  auto measure = [&](const Config& c, double budget_s) {
    if (Value(c, "requests") == "4") return Figure{0, 0, 0, 0.01, "too many requests"};
    return objective(c, budget_s);
  };
  const Result r = Tune(space, measure, {60, 0.1});
  // Without 4 requests, 2 and 8 tie: the noise decides between them.
  const std::string requests = Value(r.groups[0].best, "requests");
  EXPECT_TRUE(requests == "2" || requests == "8") << requests;
  EXPECT_EQ(Value(r.groups[0].best, "batch"), "8");
  for (const Trial& t : r.log) {
    if (Value(t.config, "requests") != "4") continue;
    EXPECT_EQ(t.verdict, Verdict::kFailed);
    EXPECT_EQ(t.round, 0u);
  }
}

TEST(Tune, StopsWhenTheBudgetRunsOut) {
  // Every measurement costs 0.2 s more than it was given (loading, warm-up).
  Options options{20, 0.1};
  const Result r = Tune(ThroughputSpace(), NoisyObjective(PeakedFps, 0.2), options);
  EXPECT_EQ(r.stop_reason, "budget");
  EXPECT_FALSE(r.groups[0].best.empty());
  EXPECT_GT(r.groups[0].best_figure.fps, 900);
}

TEST(Tune, TheDefaultMustBeAdmissible) {
  Space space = ThroughputSpace();
  space.admissible = [](const Config& c) { return Value(c, "batch") != "1"; };
  EXPECT_THROW(Tune(space, NoisyObjective(PeakedFps), {100, 0.1}), UsageError);
}

TEST(Tune, CandidatesVaryTheLastAxisFastest) {
  Space space;
  space.axes = {{"batch", {"1", "2"}, 0}, {"threads", {"a", "b"}, 0}};
  std::vector<std::string> texts;
  for (const Config& c : Candidates(space)) texts.push_back(ConfigText(c));
  EXPECT_EQ(texts, (std::vector<std::string>{"batch=1 threads=a", "batch=1 threads=b",
                                             "batch=2 threads=a", "batch=2 threads=b"}));
}

}  // namespace
}  // namespace dli::tune
