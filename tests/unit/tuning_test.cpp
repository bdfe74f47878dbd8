// Launch-parameter tuning through an executor: the search space derived from
// a backend's declared parameters, the measurement of each configuration as
// a point, and the tuning phase of a study (study/tuning.h).
#include "study/tuning.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.h"
#include "core/files.h"
#include "tune/space.h"

namespace dli {
namespace {

using tune::Config;
using tune::ConfigValue;

BackendInfo Declared() {
  BackendInfo info;
  info.name = "fake";
  info.available = true;
  info.devices = {"CPU"};
  info.precisions = {"FP32"};
  info.params = {{"threads", "int", "", "", "", "", ""},
                 {"inter_threads", "int", "", "", "", "1", "2"},
                 {"hint", "choice", "LATENCY", "LATENCY|THROUGHPUT|NONE", "", "", ""},
                 {"pinning", "bool", "", "", "", "", ""},
                 {"level", "int", "4", "", "", "0", "8"},
                 {"shape", "string", "", "", "", "", ""},
                 {"open", "int", "", "", "", "0", ""}};
  return info;
}

const ParamDesc& Param(const BackendInfo& info, const std::string& name) {
  for (const ParamDesc& p : info.params)
    if (p.name == name) return p;
  throw std::runtime_error("no parameter " + name);
}

TEST(TuneSpace, CandidatesFromTheDeclarations) {
  const BackendInfo info = Declared();
  using V = std::vector<std::string>;
  EXPECT_EQ(tune::ParamCandidates(Param(info, "threads"), 4), (V{"default", "1", "2", "4"}));
  EXPECT_EQ(tune::ParamCandidates(Param(info, "threads"), 6), (V{"default", "1", "2", "4", "6"}));
  EXPECT_EQ(tune::ParamCandidates(Param(info, "threads"), 1), (V{"default", "1"}));
  // Declared bounds cut the thread counts.
  EXPECT_EQ(tune::ParamCandidates(Param(info, "inter_threads"), 8), (V{"default", "1", "2"}));
  EXPECT_EQ(tune::ParamCandidates(Param(info, "hint"), 4), (V{"LATENCY", "THROUGHPUT", "NONE"}));
  EXPECT_EQ(tune::ParamCandidates(Param(info, "pinning"), 4), (V{"default", "true", "false"}));
  EXPECT_EQ(tune::ParamCandidates(Param(info, "level"), 4), (V{"4", "0", "8"}));
  EXPECT_TRUE(tune::ParamCandidates(Param(info, "shape"), 4).empty());
  EXPECT_TRUE(tune::ParamCandidates(Param(info, "open"), 4).empty());
}

TEST(TuneSpace, ThreadCountsByDefaultOthersOnRequest) {
  tune::SpaceRequest request;
  request.modes = {kLatencyMode, kThroughputMode};
  request.batches = {4, 1, 8};
  request.requests = {1, 2};
  request.cores = 2;
  tune::Space space = tune::LaunchSpace(Declared(), request);
  std::vector<std::string> names;
  for (const tune::Axis& a : space.axes) names.push_back(a.name);
  // The first thread count only: the inter-op one on request.
  EXPECT_EQ(names, (std::vector<std::string>{"mode", "batch", "requests", "threads"}));
  EXPECT_EQ(space.axes[1].default_index, 1u);  // batch 1
  EXPECT_EQ(space.group_axis, "mode");
  // Latency keeps one request: 3 batches x 3 thread values, and twice that
  // in throughput mode.
  EXPECT_EQ(tune::Candidates(space).size(), 9u + 18u);

  request.params = {"hint"};
  request.fixed = {"threads"};
  space = tune::LaunchSpace(Declared(), request);
  names.clear();
  for (const tune::Axis& a : space.axes) names.push_back(a.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"mode", "batch", "requests", "inter_threads", "hint"}));

  request.params = {"shape"};
  EXPECT_THROW(tune::LaunchSpace(Declared(), request), UsageError);
  request.params = {"nope"};
  EXPECT_THROW(tune::LaunchSpace(Declared(), request), UsageError);
  request.params = {"threads"};
  EXPECT_THROW(tune::LaunchSpace(Declared(), request), UsageError);  // set with --param
}

TEST(TuneSpace, ConfigurationsBecomePoints) {
  PointSpec base;
  base.params = {{"threads", "3"}, {"other", "x"}};
  const Config config = {{"mode", "throughput"},
                         {"batch", "8"},
                         {"requests", "4"},
                         {"threads", "default"},
                         {"hint", "NONE"}};
  const PointSpec spec = ConfigSpec(base, config);
  EXPECT_EQ(spec.batch, 8);
  EXPECT_EQ(spec.measure.mode, kThroughputMode);
  EXPECT_EQ(spec.measure.requests, 4u);
  EXPECT_EQ(spec.params, (ParamList{{"other", "x"}, {"hint", "NONE"}}));
  EXPECT_EQ(TunedParams(config), (ParamList{{"hint", "NONE"}}));
  const Config latency = {{"mode", "latency"}, {"batch", "2"}, {"requests", "4"}};
  EXPECT_EQ(ConfigSpec(base, latency).measure.requests, 1u);
}

TEST(TuneFigure, FromAPointResult) {
  PointResult r;
  r.spec.batch = 2;
  r.fps = 200;
  r.latency.median = 10;
  r.latency.ci95 = {8, 12.5};
  r.wall_s = 1.5;
  tune::Figure f = FigureOf(r, "fps");
  EXPECT_DOUBLE_EQ(f.fps, 200);
  EXPECT_DOUBLE_EQ(f.ci_low, 160);
  EXPECT_DOUBLE_EQ(f.ci_high, 250);
  EXPECT_DOUBLE_EQ(f.seconds_spent, 1.5);
  f = FigureOf(r, "latency");
  EXPECT_DOUBLE_EQ(f.fps, 100);
  EXPECT_DOUBLE_EQ(f.ci_low, 80);
  EXPECT_DOUBLE_EQ(f.ci_high, 125);
  r.status = "crashed";
  r.error = "signal 11";
  EXPECT_EQ(FigureOf(r, "fps").error, "crashed: signal 11");
}

// Points whose FPS is a known function of their configuration, measured
// instantly: the tuning loop itself, without timing noise.
class KnownExecutor : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override { return {Declared()}; }
  BackendInfo DescribeBackend(const std::string&) override { return Declared(); }
  PointResult Run(const PointSpec& spec, const ProgressCallback& = {}) override {
    ++runs;
    PointResult r;
    r.spec = spec;
    double fps = 100 * spec.batch;
    for (const auto& [name, value] : spec.params)
      if (name == "threads" && value == "2") fps *= 1.5;
    if (spec.measure.mode == kThroughputMode) fps *= static_cast<double>(spec.measure.requests);
    r.fps = fps;
    r.latency.median = 1000.0 * spec.batch / fps;
    r.latency.ci95 = {r.latency.median * 0.99, r.latency.median * 1.01};
    r.wall_s = spec.measure.stop.time_limit_s + 0.05;
    last_limit = spec.measure.stop.time_limit_s;
    return r;
  }
  size_t runs = 0;
  double last_limit = 0;
};

TEST(TuneThroughExecutor, FindsTheKnownBestAndTheGain) {
  KnownExecutor executor;
  tune::SpaceRequest request;
  request.modes = {kLatencyMode, kThroughputMode};
  request.batches = {1, 2};
  request.requests = {1, 2};
  request.cores = 2;
  const tune::Space space = tune::LaunchSpace(Declared(), request);
  PointSpec base;
  base.framework = "fake";
  const tune::Result r = tune::Tune(space, ExecutorMeasure(executor, base, "fps"), {20, 0.5});
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(tune::ConfigText(r.groups[0].best), "mode=latency batch=2 requests=1 threads=2");
  EXPECT_NEAR(r.groups[0].gain, 3, 1e-9);
  EXPECT_DOUBLE_EQ(r.groups[0].default_figure.fps, 100);
  EXPECT_EQ(tune::ConfigText(r.groups[1].best), "mode=throughput batch=2 requests=2 threads=2");
  EXPECT_NEAR(r.groups[1].gain, 6, 1e-9);
  EXPECT_TRUE(r.groups[1].significant);
  // The overhead seen (0.05 s) is taken off the later windows.
  EXPECT_LT(executor.last_limit, r.log.back().budget_s);
  EXPECT_LE(r.seconds_spent, 20 + 1e-9);

  const nlohmann::json j = TuneToJson(space, r, base, "fps", 20);
  EXPECT_EQ(j["schema"], kTuneSchema);
  EXPECT_EQ(j["groups"][1]["best"]["requests"], "2");
  EXPECT_EQ(j["groups"][1]["default"]["threads"], "default");
  EXPECT_EQ(j["trials"].size(), r.log.size());
  EXPECT_EQ(j["axes"][0]["name"], "mode");
}

// The real measurement loop on the test backend: each request sleeps 20 ms,
// so bigger batches and more requests in flight give proportionally more
// FPS, whatever else the machine does.
TEST(TuneThroughExecutor, TheTestBackendsBestIsTheBiggestBatchWithTheMostRequests) {
  setenv("DLI_BACKEND_PATH", DLI_TEST_BACKEND_DIR, 1);
  TempDir dir;
  const std::string model = (dir.path() / "model.txt").string();
  std::ofstream(model) << "1\n";
  const std::unique_ptr<Executor> executor = MakeInProcessExecutor();
  tune::SpaceRequest request;
  request.modes = {kLatencyMode, kThroughputMode};
  request.batches = {1, 4};
  request.requests = {1, 4};
  request.fixed = {"sleep_ms", "threads"};
  request.cores = 2;
  const tune::Space space = tune::LaunchSpace(executor->DescribeBackend("testing"), request);
  ASSERT_EQ(tune::Candidates(space).size(), 6u);
  PointSpec base;
  base.framework = "testing";
  base.model_path = model;
  base.params = {{"sleep_ms", "20"}};
  base.measure.warmup = 1;
  size_t measured = 0;
  const tune::Result r =
      tune::Tune(space,
                 ExecutorMeasure(*executor, base, "fps",
                                 [&](const PointResult& p, const Config&, double) {
                                   EXPECT_TRUE(p.ok()) << p.error;
                                   ++measured;
                                 }),
                 {4, 0.3});
  EXPECT_EQ(measured, r.log.size());
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(ConfigValue(r.groups[0].best, "batch"), "4");
  EXPECT_EQ(tune::ConfigText(r.groups[1].best), "mode=throughput batch=4 requests=4");
  EXPECT_GT(r.groups[1].gain, 6);  // 16 in theory
  EXPECT_GT(r.groups[1].default_figure.fps, 0);
  EXPECT_LT(r.groups[1].default_figure.fps, 50);  // one 20 ms request at a time
}

// A whole study with `tune:` on the test backend, in-process.
class TunedStudy : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("DLI_BACKEND_PATH", DLI_TEST_BACKEND_DIR, 1);
    std::ofstream(model) << "1\n";
  }
  Study Plan(const std::string& tune) {
    const std::string path = (dir.path() / "exp.yaml").string();
    std::ofstream(path) << "name: tuned\nmodels: [" << model << "]\nframeworks: [testing]\n"
                        << "batches: [1, 2]\nmodes: [latency, throughput]\nrequests: [1]\n"
                        << "params: {testing: {sleep_ms: [20], threads: [1]}}\n"
                        << "measure: {iterations: 10, warmup: 1}\n"
                        << "tune: " << tune << "\n";
    FrameworkCatalog frameworks(*executor);
    Study study = PlanStudy(LoadExperiment(path), frameworks);
    MarkFinished(study, store);
    return study;
  }
  TempDir dir;
  const std::string model = (dir.path() / "model.txt").string();
  const std::string db = (dir.path() / "r.sqlite").string();
  ResultStore store{db};
  std::unique_ptr<Executor> executor = MakeInProcessExecutor();
  std::vector<std::string> lines;
  std::function<void(const std::string&)> log = [this](const std::string& l) {
    lines.push_back(l);
  };
};

TEST_F(TunedStudy, AddsTheTunedPointsAndDoesNotTuneTwice) {
  const Study planned = Plan("{budget: 3, batches: [1, 4], requests: [1, 3], min_measure: 0.2}");
  ASSERT_EQ(planned.points.size(), 4u);
  const std::string file = TuningFile(db);
  const Study tuned = TuneStudy(planned, *executor, file, log);
  ASSERT_TRUE(std::filesystem::exists(file));
  // Each request sleeps 20 ms: batch 4 with 3 requests in flight is the
  // best throughput configuration, added with the study's own parameters
  // (its thread count is fixed: nothing else is tuned).
  ASSERT_GT(tuned.points.size(), planned.points.size());
  bool batch4_throughput = false;
  for (size_t i = planned.points.size(); i < tuned.points.size(); ++i) {
    const StudyPoint& p = tuned.points[i];
    EXPECT_EQ(p.state, PointState::kRun);
    EXPECT_FALSE(p.key.empty());
    if (p.planned.spec.batch == 4 && p.planned.spec.measure.mode == kThroughputMode &&
        p.planned.spec.measure.requests == 3 &&
        p.planned.spec.params == ParamList{{"sleep_ms", "20"}, {"threads", "1"}})
      batch4_throughput = true;
  }
  EXPECT_TRUE(batch4_throughput);
  const size_t logged = lines.size();

  // Again: the outcome is read back, nothing is measured.
  lines.clear();
  class Refusing : public Executor {
   public:
    explicit Refusing(Executor& inner) : inner_(inner) {}
    std::vector<BackendInfo> DescribeBackends() override { return inner_.DescribeBackends(); }
    BackendInfo DescribeBackend(const std::string& f) override { return inner_.DescribeBackend(f); }
    PointResult Run(const PointSpec&, const ProgressCallback&) override {
      ADD_FAILURE() << "measured again";
      return {};
    }

   private:
    Executor& inner_;
  } refusing(*executor);
  const Study again = TuneStudy(planned, refusing, file, log);
  EXPECT_EQ(again.points.size(), tuned.points.size());
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("tuned before"), std::string::npos) << lines[0];
  EXPECT_LT(lines.size(), logged);

  // A whole run measures the planned and the added points.
  StudyOptions options;
  options.db_path = db;
  const StudyOutcome outcome = RunStudy(planned, *executor, store, options, {});
  EXPECT_EQ(outcome.finished, tuned.points.size());
  EXPECT_EQ(outcome.failed, 0u);
  // Resumed, nothing is left; without resuming (--rerun) the added points
  // are measured again too.
  EXPECT_EQ(RunStudy(planned, *executor, store, options, {}).finished, 0u);
  options.resume = false;
  EXPECT_EQ(RunStudy(planned, *executor, store, options, {}).finished, tuned.points.size());
}

TEST_F(TunedStudy, ABudgetBelowOneRoundNamesTheMinimum) {
  const Study planned = Plan("{budget: 1, batches: [1, 4], requests: [1, 3], min_measure: 0.2}");
  try {
    TuneStudy(planned, *executor, TuningFile(db), log);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    // 2 latency + 4 throughput configurations x 0.2 s.
    EXPECT_NE(std::string(e.what()).find("exp.yaml:9:7: a tuning budget of 1.0 s is below the "
                                         "minimum of 1.2 s for testing CPU FP32"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TunedStudy, WithoutTuneThePlanIsUnchanged) {
  const std::string path = (dir.path() / "plain.yaml").string();
  std::ofstream(path) << "models: [" << model << "]\nframeworks: [testing]\nbatches: [1]\n";
  FrameworkCatalog frameworks(*executor);
  const Study planned = PlanStudy(LoadExperiment(path), frameworks);
  const Study same = TuneStudy(planned, *executor, TuningFile(db), log);
  EXPECT_EQ(same.points.size(), planned.points.size());
  EXPECT_TRUE(lines.empty());
  EXPECT_FALSE(std::filesystem::exists(TuningFile(db)));
}

}  // namespace
}  // namespace dli
