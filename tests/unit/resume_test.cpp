#include "study/resume.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/files.h"
#include "store/store.h"

namespace dli {
namespace {

PlannedPoint Performance() {
  PlannedPoint p;
  p.kind = "performance";
  p.spec.framework = "fast";
  p.spec.model_format = "onnx";
  p.spec.batch = 4;
  p.spec.params = {{"threads", "2"}};
  p.spec.input.images_dir = "/photos";
  p.spec.measure.stop.iterations = 100;
  return p;
}

TEST(ResumeIdentity, PerformancePointsAreTheirCoordinatesInputAndStopRule) {
  const nlohmann::json id = ResumeIdentity(Performance(), "abc", "/dataset");
  EXPECT_EQ(id["model_sha256"], "abc");
  EXPECT_EQ(id["batch"], 4);
  EXPECT_EQ(id["params"]["threads"], "2");
  EXPECT_EQ(id["images"], "/photos");
  EXPECT_EQ(id["measure"]["iterations"], 100);
  EXPECT_FALSE(id.contains("dataset"));
}

TEST(ResumeIdentity, AccuracyPointsAreTheirCoordinatesAndDataset) {
  PlannedPoint p = Performance();
  p.kind = "accuracy";
  const nlohmann::json id = ResumeIdentity(p, "abc", "/dataset");
  EXPECT_EQ(id["dataset"], "/dataset");
  EXPECT_FALSE(id.contains("measure"));
  EXPECT_FALSE(id.contains("images"));
}

// Stored databases hold these keys: a change here makes every finished point
// of every existing study run again.
TEST(ResumeIdentity, KeysOfExistingDatabasesStayTheSame) {
  EXPECT_EQ(PointKey(ResumeIdentity(Performance(), "abc", "")),
            "ed98f3db9a42555ea3cd6bf25c855bf2acebe7f8b274b914e552d9b6dfe6c7d6");
}

TEST(ResumeKeys, DependOnTheModelsContentNotItsPath) {
  TempDir dir;
  const std::string a = (dir.path() / "a.txt").string(), b = (dir.path() / "b.txt").string();
  std::ofstream(a) << "2\n";
  std::ofstream(b) << "2\n";
  std::vector<PlannedPoint> plan(4, Performance());
  plan[0].spec.model_path = a;
  plan[1].spec.model_path = b;
  plan[2].spec.model_path = a;
  plan[2].spec.batch = 8;
  plan[3].skip_reason = "fast does not support INT8";
  const std::vector<std::string> keys = ResumeKeys(plan, "");
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0], keys[1]);
  EXPECT_NE(keys[0], keys[2]);
  EXPECT_EQ(keys[3], "");
  std::ofstream(b) << "3\n";
  EXPECT_NE(ResumeKeys(plan, "")[1], keys[1]);
}

}  // namespace
}  // namespace dli
