// The accuracy checker's datasets and scoring.
#include "accuracy/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/point.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

class DatasetDir : public ::testing::Test {
 protected:
  void Touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
  }
  void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  TempDir dir;
  fs::path root() const { return dir.path(); }
};

TEST_F(DatasetDir, ManifestWithSetsOfLabels) {
  Touch(root() / "cat.png");
  Touch(root() / "cup.jpg");
  Write(root() / "manifest.txt", "# comment\ncat.png\t281,282,285\ncup.jpg\t967\n");
  const Dataset d = LoadDataset(root().string(), {});
  EXPECT_EQ(d.format, "manifest");
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(d.items[0].labels, (std::vector<int>{281, 282, 285}));
  EXPECT_EQ(d.items[1].path, (root() / "cup.jpg").string());
  EXPECT_TRUE(d.warnings.empty());
}

TEST_F(DatasetDir, ImagenetValLayout) {
  Touch(root() / "ILSVRC2012_val_00000001.JPEG");
  Touch(root() / "ILSVRC2012_val_00000002.JPEG");
  Write(root() / "val.txt", "ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\n");
  DatasetOptions o;
  o.labels_file = (root() / "val.txt").string();
  const Dataset d = LoadDataset(root().string(), o);
  EXPECT_EQ(d.format, "imagenet-val");
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(d.items[1].labels, (std::vector<int>{970}));
  o.limit = 1;
  EXPECT_EQ(LoadDataset(root().string(), o).items.size(), 1u);
}

TEST_F(DatasetDir, ClassFoldersWithMappingFile) {
  Touch(root() / "n01440764" / "a.jpg");
  Touch(root() / "n01443537" / "b.png");
  Touch(root() / "n01443537" / "c.png");
  Touch(root() / "unlisted" / "d.png");
  DatasetOptions o;
  o.classes_file = (root() / "synsets.txt").string();
  Write(o.classes_file, "n01440764\nn01443537\n");  // class order: index = line
  const Dataset d = LoadDataset(root().string(), o);
  EXPECT_EQ(d.format, "class-folders");
  ASSERT_EQ(d.items.size(), 3u);
  EXPECT_EQ(d.items[0].labels, (std::vector<int>{0}));
  EXPECT_EQ(d.items[2].labels, (std::vector<int>{1}));
  ASSERT_EQ(d.warnings.size(), 1u);                     // the unlisted folder
  Write(o.classes_file, "n01440764 7\nn01443537 9\n");  // explicit indices
  EXPECT_EQ(LoadDataset(root().string(), o).items[1].labels, (std::vector<int>{9}));
}

TEST_F(DatasetDir, BadEntriesAreCountedWarnings) {
  Touch(root() / "ok.png");
  Touch(root() / "big.png");
  Write(root() / "manifest.txt",
        "ok.png\t5\nmissing.png\t5\nbig.png\t1000\nok.png\tcat\njust-a-name\n");
  const Dataset d = LoadDataset(root().string(), {});
  EXPECT_EQ(d.items.size(), 1u);
  ASSERT_EQ(d.warnings.size(), 4u);
  EXPECT_NE(d.warnings[0].find("image not found"), std::string::npos) << d.warnings[0];
  EXPECT_NE(d.warnings[1].find("out of range [0, 1000)"), std::string::npos) << d.warnings[1];
  EXPECT_NE(d.warnings[2].find("not a whole number"), std::string::npos) << d.warnings[2];
  EXPECT_NE(d.warnings[3].find("manifest.txt:5"), std::string::npos) << d.warnings[3];
}

TEST_F(DatasetDir, EmptyOrUnrecognisedDatasetsAreUsageErrors) {
  EXPECT_THROW(LoadDataset((root() / "nope").string(), {}), UsageError);
  EXPECT_THROW(LoadDataset(root().string(), {}), UsageError);  // no layout
  Write(root() / "manifest.txt", "# nothing\n");
  EXPECT_THROW(LoadDataset(root().string(), {}), UsageError);
  DatasetOptions o;
  o.labels_file = (root() / "missing.txt").string();
  EXPECT_THROW(LoadDataset(root().string(), o), UsageError);
}

TEST(TopK, LargestFirstTiesByIndex) {
  const float v[] = {0.1f, 0.9f, 0.5f, 0.9f, -1.0f, 0.3f};
  EXPECT_EQ(TopK(v, 6, 3), (std::vector<int>{1, 3, 2}));
  EXPECT_EQ(TopK(v, 2, 5), (std::vector<int>{1, 0}));
}

TEST(ScoreTopK, CountsTop1AndTop5AgainstSetsOfLabels) {
  const std::vector<std::vector<int>> labels = {{281, 285}, {967}, {1}};
  const std::vector<std::vector<int>> top5 = {
      {285, 1, 2, 3, 4},     // top-1 hit (second acceptable label)
      {5, 6, 967, 7, 8},     // top-5 hit only
      {9, 10, 11, 12, 13}};  // miss
  const TopKScore s = ScoreTopK(labels, top5, 0);
  EXPECT_EQ(s.images, 3u);
  EXPECT_EQ(s.top1, 1u);
  EXPECT_EQ(s.top5, 2u);
  EXPECT_DOUBLE_EQ(s.top1_pct(), 100.0 / 3);
}

// A 1001-output model has the background at index 0: output k is class k-1.
TEST(ScoreTopK, LabelOffsetForBackgroundClass) {
  const std::vector<std::vector<int>> labels = {{281}, {0}};
  const std::vector<std::vector<int>> top5 = {{282, 0, 1, 2, 3}, {0, 1, 2, 3, 4}};
  const TopKScore with_offset = ScoreTopK(labels, top5, 1);
  EXPECT_EQ(with_offset.top1, 1u);                 // 282 - 1 = 281; background 0 never matches
  EXPECT_EQ(with_offset.top5, 2u);                 // output 1 = class 0
  EXPECT_EQ(ScoreTopK(labels, top5, 0).top1, 1u);  // without: only the second (0)
}

TEST(ScorePredictions, MatchesPredictionsToLabelsByFile) {
  Dataset d;
  d.items = {{"/a.png", {3}}, {"/b.png", {4}}};
  PointResult r;
  r.predictions = {{"/b.png", {4, 0, 0, 0, 0}, {}, {}}, {"/a.png", {0, 3, 0, 0, 0}, {}, {}}};
  const TopKScore s = ScorePredictions(r, d, 0);
  EXPECT_EQ(s.images, 2u);
  EXPECT_EQ(s.top1, 1u);
  EXPECT_EQ(s.top5, 2u);
}

}  // namespace
}  // namespace dli
