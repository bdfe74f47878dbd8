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
#include "core/sha256.h"

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
