#include "store/store.h"

#include <gtest/gtest.h>

#include "core/files.h"
#include "result_testing.h"

namespace dli {
namespace {

TEST(ResultStore, PointsSurviveReopeningAndResumeByKey) {
  TempDir dir;
  const std::string db = (dir.path() / "r.sqlite").string();
  {
    ResultStore s(db);
    const int64_t run = s.BeginRun("exp", {{"a", 1}}, {{"cpu", "x"}});
    s.SavePoint(run, "performance", "k1", {{"framework", "f"}, {"status", "ok"}, {"fps", 10.0}});
    s.SavePoint(run, "performance", "k2", {{"framework", "f"}, {"status", "failed"}});
    // no FinishRun: as if the runner was killed here
  }
  ResultStore s(db);
  EXPECT_TRUE(s.HasFinished("k1"));
  EXPECT_FALSE(s.HasFinished("k2"));  // failed points are retried
  EXPECT_FALSE(s.HasFinished("k3"));
  const std::vector<StoredRun> runs = s.Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "running");
  EXPECT_EQ(runs[0].points, 2);
  const int64_t second = s.BeginRun("exp", {}, {});
  s.SavePoint(second, "performance", "k1", {{"framework", "f"}, {"status", "ok"}, {"fps", 12.0}});
  s.FinishRun(second, "finished");
  PointFilter latest;
  latest.latest_per_key = true;
  latest.status = "ok";
  const std::vector<StoredPoint> points = s.Points(latest);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_DOUBLE_EQ(points[0].result["fps"].get<double>(), 12.0);
  PointFilter by_run;
  by_run.run_id = 1;
  EXPECT_EQ(s.Points(by_run).size(), 2u);
  EXPECT_EQ(s.Run(second).status, "finished");
  EXPECT_THROW(s.Run(99), std::runtime_error);
}

TEST(ResultStore, PerformancePointsComeBackTyped) {
  TempDir dir;
  ResultStore s((dir.path() / "r.sqlite").string());
  const int64_t run = s.BeginRun("exp", {}, {});
  const PointResult full = testing::FullResult();
  s.SaveResult(run, "k1", full, /*with_samples=*/true);
  s.SavePoint(run, "accuracy", "k2", {{"framework", "openvino"}, {"status", "ok"}, {"top1", 8}});
  PointFilter every;
  every.kind = "accuracy";  // ignored: Results() is about performance points
  const std::vector<StoredResult> results = s.Results(every);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].run_id, run);
  EXPECT_EQ(results[0].key, "k1");
  EXPECT_FALSE(results[0].created.empty());
  testing::ExpectSameResult(results[0].result, full);
  PointFilter by_framework;
  by_framework.framework = "tflite";
  EXPECT_TRUE(s.Results(by_framework).empty());
  EXPECT_EQ(s.Points({}).size(), 2u) << "accuracy points stay JSON documents";
}

TEST(ResultStore, UnreadablePointIsNamed) {
  TempDir dir;
  ResultStore s((dir.path() / "r.sqlite").string());
  const int64_t run = s.BeginRun("exp", {}, {});
  s.SavePoint(run, "performance", "k", {{"framework", "f"}, {"batch", "x"}});
  try {
    s.Results({});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("point 1 in "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'batch' is string, expected a number"), std::string::npos)
        << e.what();
  }
}

TEST(ResultStore, KeyIsStableAndSensitive) {
  EXPECT_EQ(PointKey({{"a", 1}, {"b", "x"}}), PointKey({{"b", "x"}, {"a", 1}}));
  EXPECT_NE(PointKey({{"a", 1}}), PointKey({{"a", 2}}));
}

TEST(ResultStore, UnopenableFileIsAClearError) {
  EXPECT_THROW(ResultStore("/nonexistent-dir/x/r.sqlite"), std::runtime_error);
}

}  // namespace
}  // namespace dli
