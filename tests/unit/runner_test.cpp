// A whole `dli run` (plan, resume, run, store) through the in-process
// executor with the test backend (tests/test_backends).
#include "study/runner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "core/repeated_point.h"
#include "core/sha256.h"
#include "study/resume.h"

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace dli {
namespace {

class StudyRun : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("DLI_BACKEND_PATH", DLI_TEST_BACKEND_DIR, 1);
    std::ofstream(model) << "2\n";
  }

  // Batches 1 and 2 at two thread counts on FP32; INT8 is planned and skipped.
  Study Plan(const std::string& testing_params = "threads: [1, 2]",
             const std::string& more_yaml = "") {
    const std::string path = (dir.path() / "exp.yaml").string();
    std::ofstream(path) << "name: smoke\nmodels: [" << model << "]\nframeworks: [testing]\n"
                        << "precisions: [FP32, INT8]\nbatches: [1, 2]\n"
                        << "params:\n  testing: {" << testing_params << "}\n"
                        << "measure: {iterations: 20, warmup: 1}\n"
                        << more_yaml;
    FrameworkCatalog frameworks(*executor);
    Study study = PlanStudy(LoadExperiment(path), frameworks);
    MarkFinished(study, store);
    return study;
  }

  StudyOutcome Run(const Study& study, const StudyCallbacks& callbacks = {}) {
    return RunStudy(study, *executor, store, {db, /*save_samples=*/true}, callbacks);
  }

  TempDir dir;
  const std::string model = (dir.path() / "model.txt").string();
  const std::string db = (dir.path() / "r.sqlite").string();
  ResultStore store{db};
  std::unique_ptr<Executor> executor = MakeInProcessExecutor();
};

TEST_F(StudyRun, StoresEveryPointAndResumesWithoutRunningThemAgain) {
  const Study study = Plan();
  ASSERT_EQ(study.points.size(), 8u);
  EXPECT_EQ(study.Count(PointState::kRun), 4u);
  EXPECT_EQ(study.Count(PointState::kSkip), 4u);
  std::vector<size_t> numbers;
  std::vector<double> etas;
  StudyCallbacks callbacks;
  callbacks.on_start = [&](const StudyPoint&, size_t, size_t number, size_t count, double eta_s) {
    numbers.push_back(number);
    etas.push_back(eta_s);
    EXPECT_EQ(count, 4u);
  };
  const StudyOutcome outcome = Run(study, callbacks);
  EXPECT_EQ(outcome.finished, 4u);
  EXPECT_EQ(outcome.failed, 0u);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(numbers, (std::vector<size_t>{1, 2, 3, 4}));
  EXPECT_LT(etas[0], 0);  // unknown before the first point finished
  EXPECT_GE(etas[1], 0);

  const std::vector<StoredPoint> stored = store.Points({});
  ASSERT_EQ(stored.size(), 4u);
  std::set<std::string> keys;
  for (const StoredPoint& sp : stored) {
    EXPECT_EQ(sp.run_id, outcome.run_id);
    EXPECT_EQ(sp.kind, "performance");
    keys.insert(sp.key);
    const PointResult r = ResultFromJson(sp.result);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.framework_version, "1.0");
    EXPECT_EQ(r.model_sha256, Sha256File(model));
    ASSERT_EQ(r.samples_ms.size(), 20u);
    EXPECT_EQ(r.warmup_ms.size(), 1u);
    EXPECT_DOUBLE_EQ(r.fps, FramesPerSecond(sp.result.at("batch"), r.latency.median));
  }
  std::set<std::string> planned_keys;
  for (const StudyPoint& p : study.points)
    if (p.state == PointState::kRun) planned_keys.insert(p.key);
  EXPECT_EQ(keys, planned_keys);
  EXPECT_EQ(store.Run(outcome.run_id).status, "finished");
  EXPECT_EQ(store.Run(outcome.run_id).config["points"], 8);

  const Study again = Plan();
  EXPECT_EQ(again.Count(PointState::kDone), 4u);
  EXPECT_EQ(again.Count(PointState::kRun), 0u);
  EXPECT_EQ(Run(again).finished, 0u);
  EXPECT_EQ(store.Points({}).size(), 4u);
}

TEST_F(StudyRun, AFailedPointIsStoredTheNextRunsAndResumingRetriesIt) {
  const Study study = Plan("mode: [fail], fault_batch: [1]");
  std::vector<std::string> statuses;
  StudyCallbacks callbacks;
  callbacks.on_finish = [&](const StudyPoint&, const PointResult& r) {
    statuses.push_back(r.status);
  };
  const StudyOutcome outcome = Run(study, callbacks);
  EXPECT_EQ(outcome.finished, 2u);
  EXPECT_EQ(outcome.failed, 1u);
  EXPECT_EQ(statuses, (std::vector<std::string>{"failed", "ok"}));
  const std::vector<StoredPoint> stored = store.Points({});
  ASSERT_EQ(stored.size(), 2u);
  const PointResult failed = ResultFromJson(stored[0].result);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_NE(failed.error.find("failure requested"), std::string::npos);
  EXPECT_EQ(Plan("mode: [fail], fault_batch: [1]").Count(PointState::kRun), 1u);
}

TEST_F(StudyRun, AStopRequestEndsTheStudyBetweenPoints) {
  const Study study = Plan();
  size_t finished = 0;
  StudyCallbacks callbacks;
  callbacks.on_finish = [&](const StudyPoint&, const PointResult&) { ++finished; };
  callbacks.stop_requested = [&] { return finished == 1; };
  const StudyOutcome outcome = Run(study, callbacks);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(outcome.finished, 1u);
  EXPECT_EQ(store.Points({}).size(), 1u);
  EXPECT_EQ(store.Run(outcome.run_id).status, "interrupted");
  EXPECT_EQ(Plan().Count(PointState::kRun), 3u);
}

#ifdef DLI_HAVE_OPENCV
// The test backend's one output per image is class 0: both photos are right.
TEST_F(StudyRun, AccuracyPointsScoreTheDataSetFirst) {
  const std::filesystem::path photos = dir.path() / "photos";
  std::filesystem::create_directories(photos);
  for (const char* name : {"a.png", "b.png"})
    ASSERT_TRUE(cv::imwrite((photos / name).string(), cv::Mat(32, 48, CV_8UC3, cv::Scalar(9))));
  std::ofstream(photos / "manifest.txt") << "a.png\t0\nb.png\t0\n";
  // Images need the model's declared preprocessing (there is no default).
  std::ofstream(dir.path() / "model.json")
      << R"({"name": "model", "preprocessing": {"preset": "imagenet"}})";
  const Study study = Plan("threads: [1]", "accuracy: {dataset: " + photos.string() + "}\n");
  ASSERT_EQ(study.points.size(), 6u);
  EXPECT_EQ(study.points[0].planned.kind, "accuracy");
  EXPECT_EQ(study.Count(PointState::kRun), 3u);
  const StudyOutcome outcome = Run(study);
  EXPECT_EQ(outcome.failed, 0u);
  PointFilter accuracy;
  accuracy.kind = "accuracy";
  const std::vector<StoredPoint> stored = store.Points(accuracy);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, "ok");
  EXPECT_EQ(stored[0].result["images"], 2);
  EXPECT_EQ(stored[0].result["top1"], 2);
  EXPECT_EQ(stored[0].key, study.points[0].key);
}
#endif

TEST_F(StudyRun, RepetitionsAreStoredOneByOneAndResumeRedoesOnlyTheMissingOnes) {
  const Study study = Plan("threads: [1]", "repetitions: 3\n");
  ASSERT_EQ(study.Count(PointState::kRun), 2u);
  EXPECT_EQ(study.RepetitionsToRun(), 6u);
  // Repetition 0 keeps the key a study without repetitions stores.
  EXPECT_EQ(study.points[0].repetition_keys[0], study.points[0].key);
  EXPECT_EQ(study.points[0].repetition_keys[1], RepetitionKey(study.points[0].key, 1));
  size_t finished = 0;
  std::vector<std::pair<int, size_t>> order;
  StudyCallbacks callbacks;
  callbacks.on_start = [&](const StudyPoint& p, size_t repetition, size_t, size_t, double) {
    order.emplace_back(p.planned.spec.batch, repetition);
  };
  callbacks.on_finish = [&](const StudyPoint&, const PointResult&) { ++finished; };
  callbacks.stop_requested = [&] { return finished == 4; };
  StudyOptions options{db, false, 12345u, {}};
  const StudyOutcome first = RunStudy(study, *executor, store, options, callbacks);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.seed, 12345u);
  EXPECT_EQ(store.Run(first.run_id).config["seed"], 12345);
  EXPECT_EQ(store.Run(first.run_id).config["repetitions"], 3);
  // Round-robin: every point's repetition r runs before any repetition r + 1.
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0].second, 0u);
  EXPECT_EQ(order[1].second, 0u);
  EXPECT_EQ(order[2].second, 1u);
  EXPECT_EQ(order[3].second, 1u);

  const Study again = Plan("threads: [1]", "repetitions: 3\n");
  EXPECT_EQ(again.RepetitionsToRun(), 2u);
  EXPECT_EQ(RunStudy(again, *executor, store, {db, false, 12345u, {}}, {}).finished, 2u);
  const std::vector<StoredResult> stored = store.Results({});
  ASSERT_EQ(stored.size(), 6u);
  std::set<std::string> keys;
  for (const StoredResult& r : stored) {
    keys.insert(r.key);
    EXPECT_TRUE(r.result.machine.recorded());
    EXPECT_LE(r.result.machine.window_start_utc_ms, r.result.machine.window_end_utc_ms);
    EXPECT_GT(r.result.machine.reference_before_ms, 0);
    EXPECT_GT(r.result.machine.drift_ratio, 0);
    EXPECT_TRUE(r.result.machine.interference.is_object());
  }
  EXPECT_EQ(keys.size(), 6u) << "a finished repetition was run again";
  std::vector<PointResult> results;
  for (const StoredResult& r : stored) results.push_back(r.result);
  const std::vector<RepeatedPoint> points = GroupRepetitions(results);
  ASSERT_EQ(points.size(), 2u);
  for (const RepeatedPoint& p : points) {
    EXPECT_EQ(p.ok, 3u);
    EXPECT_EQ(p.latency.method, RepetitionInterval::kStudentT);
  }
}

// A machine with slow phases: every fourth process it starts measures 30%
// slower than the true latency (10 ms), with a tight CI, as a real slow phase
// of a shared host does. Nothing runs: results come from a simulated clock.
class PhasedExecutor : public Executor {
 public:
  explicit PhasedExecutor(Executor& planner) : planner_(planner) {}
  std::vector<BackendInfo> DescribeBackends() override { return planner_.DescribeBackends(); }
  BackendInfo DescribeBackend(const std::string& f) override { return planner_.DescribeBackend(f); }
  PointResult Run(const PointSpec& spec, const ProgressCallback&) override {
    const double median = runs_++ % 4 == 3 ? kTrue * 1.3 : kTrue;
    PointResult r;
    r.spec = spec;
    r.latency.samples_total = r.latency.samples_kept = 100;
    r.latency.median = r.latency.mean = median;
    r.latency.ci95 = {median - 0.05, median + 0.05};
    r.fps = FramesPerSecond(spec.batch, median);
    return r;
  }
  static constexpr double kTrue = 10;

 private:
  Executor& planner_;
  size_t runs_ = 0;
};

TEST_F(StudyRun, InterleavedRepetitionsCoverTheTrueCentreWhereOneRunDoesNot) {
  PhasedExecutor phased(*executor);
  auto groups = [&](int64_t run_id) {
    PointFilter filter;
    filter.run_id = run_id;
    std::vector<PointResult> results;
    for (const StoredResult& r : store.Results(filter)) results.push_back(r.result);
    return GroupRepetitions(results);
  };
  // One repetition: the point that ran in the slow phase is reported with an
  // interval that excludes the truth.
  const StudyOutcome single =
      RunStudy(Plan("threads: [1, 2]"), phased, store, {db, false, 7u, {}}, {});
  size_t excluded = 0;
  for (const RepeatedPoint& p : groups(single.run_id))
    if (p.latency.interval.low > PhasedExecutor::kTrue) ++excluded;
  EXPECT_EQ(excluded, 1u);

  // Six interleaved repetitions (the first is the run above, resumed):
  // every point's interval covers the truth.
  const Study repeated = Plan("threads: [1, 2]", "repetitions: 6\n");
  EXPECT_EQ(repeated.RepetitionsToRun(), 20u);
  RunStudy(repeated, phased, store, {db, false, 7u, {}}, {});
  const std::vector<RepeatedPoint> points = groups(/*every run*/ 0);
  ASSERT_EQ(points.size(), 4u);
  for (const RepeatedPoint& p : points) {
    EXPECT_EQ(p.latency.repetitions, 6u);
    EXPECT_EQ(p.latency.method, RepetitionInterval::kOrderStatistic);
    EXPECT_LE(p.latency.interval.low, PhasedExecutor::kTrue);
    EXPECT_GE(p.latency.interval.high, PhasedExecutor::kTrue);
    EXPECT_EQ(p.latency.median, PhasedExecutor::kTrue);
  }
}

TEST_F(StudyRun, BadInputIsAUsageErrorBeforeAnythingRuns) {
  const std::string path = (dir.path() / "exp.yaml").string();
  std::ofstream(path) << "models: [" << model << "]\nframeworks: [caffe2]\n";
  FrameworkCatalog frameworks(*executor);
  EXPECT_THROW(PlanStudy(LoadExperiment(path), frameworks), UsageError);
  std::ofstream(path) << "models: [" << model
                      << "]\nframeworks: [testing]\nimages: " << (dir.path() / "none").string()
                      << "\n";
  EXPECT_THROW(PlanStudy(LoadExperiment(path), frameworks), UsageError);
  EXPECT_TRUE(store.Runs().empty());
}

}  // namespace
}  // namespace dli
