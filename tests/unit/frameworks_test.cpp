#include "study/frameworks.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace dli {
namespace {

BackendInfo Info(const std::string& name, bool available, const std::string& path) {
  BackendInfo info;
  info.name = name;
  info.available = available;
  info.path = path;
  info.reason = available ? "" : name + " is missing";
  return info;
}

// Counts what it is asked: a probe is what the catalog saves.
class CountingExecutor final : public Executor {
 public:
  std::vector<BackendInfo> DescribeBackends() override {
    ++described_all;
    return backends;
  }
  BackendInfo DescribeBackend(const std::string& framework) override {
    ++described_one[framework];
    for (const BackendInfo& b : backends)
      if (b.name == framework && !b.path.empty()) return b;
    throw UsageError("unknown framework '" + framework + "'");
  }
  PointResult Run(const PointSpec&, const ProgressCallback&) override { return {}; }

  std::vector<BackendInfo> backends = {Info("fast", true, "/lib/fast.so"),
                                       Info("broken", false, "/lib/broken.so"),
                                       Info("unbuilt", false, "")};
  int described_all = 0;
  std::map<std::string, int> described_one;
};

TEST(FrameworkCatalog, DescribesEachFrameworkOnce) {
  CountingExecutor executor;
  FrameworkCatalog catalog(executor);
  EXPECT_EQ(catalog.Require("fast").path, "/lib/fast.so");
  EXPECT_EQ(catalog.Require("fast").path, "/lib/fast.so");
  EXPECT_NE(catalog.Find("broken"), nullptr);
  EXPECT_NE(catalog.Find("broken"), nullptr);
  EXPECT_EQ(executor.described_one["fast"], 1);
  EXPECT_EQ(executor.described_one["broken"], 1);
  EXPECT_EQ(executor.described_all, 0);
}

TEST(FrameworkCatalog, AfterAllNothingIsDescribedAgain) {
  CountingExecutor executor;
  FrameworkCatalog catalog(executor);
  EXPECT_EQ(catalog.All().size(), 3u);
  EXPECT_EQ(catalog.ByName().count("unbuilt"), 1u);
  catalog.Require("fast");
  catalog.Find("broken");
  catalog.Select("all");
  EXPECT_EQ(executor.described_all, 1);
  EXPECT_TRUE(executor.described_one.empty());
}

TEST(FrameworkCatalog, RequireSaysWhyAFrameworkCannotBeUsed) {
  CountingExecutor executor;
  FrameworkCatalog catalog(executor);
  try {
    catalog.Require("broken");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "framework 'broken' is unavailable: broken is missing");
  }
  EXPECT_THROW(catalog.Require("caffe2"), UsageError);
  EXPECT_EQ(catalog.Find("caffe2"), nullptr);
}

TEST(FrameworkCatalog, SelectAllKeepsTheAvailableAndNotesTheBrokenOnes) {
  CountingExecutor executor;
  FrameworkCatalog catalog(executor);
  std::vector<std::string> noted;
  const std::vector<BackendInfo> chosen =
      catalog.Select("all", [&](const BackendInfo& info) { noted.push_back(info.name); });
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].name, "fast");
  // A backend that was not built is left out silently.
  EXPECT_EQ(noted, std::vector<std::string>{"broken"});
}

TEST(FrameworkCatalog, SelectAListRequiresEachInOrder) {
  CountingExecutor executor;
  executor.backends.push_back(Info("slow", true, "/lib/slow.so"));
  FrameworkCatalog catalog(executor);
  const std::vector<BackendInfo> chosen = catalog.Select("slow, fast");
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].name, "slow");
  EXPECT_EQ(chosen[1].name, "fast");
  EXPECT_THROW(catalog.Select("fast,broken"), UsageError);
  EXPECT_THROW(catalog.Select(" , "), UsageError);
}

}  // namespace
}  // namespace dli
