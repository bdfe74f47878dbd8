// Preprocessing against known pixel values (needs OpenCV's imgcodecs).
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "accuracy/images.h"
#include "core/files.h"

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>

namespace dli {
namespace {

// A uniform image survives any resize exactly, so each output value is
// known: (pixel * scale - mean) / std per channel, in RGB order.
TEST(Preprocess, NormalisesUniformImageExactly) {
  TempDir dir;
  const std::string path = (dir.path() / "u.png").string();
  cv::Mat bgr(30, 40, CV_8UC3, cv::Scalar(0, 128, 255));  // B=0 G=128 R=255
  ASSERT_TRUE(cv::imwrite(path, bgr));
  Preprocessing pre = PreprocessingFrom("imagenet");
  pre.resize_shorter = 16;
  pre.crop = 8;
  const HwcImage im = PreprocessImage(path, pre);
  ASSERT_EQ(im.height, 8);
  ASSERT_EQ(im.width, 8);
  ASSERT_EQ(im.pixels.size(), 8u * 8 * 3);
  EXPECT_NEAR(im.pixels[0], (255 / 255.0 - 0.485) / 0.229, 1e-5);  // R first
  EXPECT_NEAR(im.pixels[1], (128 / 255.0 - 0.456) / 0.224, 1e-5);
  EXPECT_NEAR(im.pixels[2], (0 / 255.0 - 0.406) / 0.225, 1e-5);
  pre.color_order = "BGR";
  EXPECT_NEAR(PreprocessImage(path, pre).pixels[0], (0 / 255.0 - 0.485) / 0.229, 1e-5);
}

// A left half black / right half white image: the centre crop of a wide
// image keeps both halves, in order.
TEST(Preprocess, CentreCropOfWideImage) {
  TempDir dir;
  const std::string path = (dir.path() / "w.png").string();
  cv::Mat img(10, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  img(cv::Rect(20, 0, 20, 10)).setTo(cv::Scalar(255, 255, 255));
  ASSERT_TRUE(cv::imwrite(path, img));
  Preprocessing pre = PreprocessingFrom("imagenet");
  pre.resize_shorter = 10;
  pre.crop = 10;
  pre.mean = {0, 0, 0};
  pre.std = {1, 1, 1};
  const HwcImage im = PreprocessImage(path, pre);
  EXPECT_FLOAT_EQ(im.pixels[0], 0.0f);                 // (0,0) black
  EXPECT_FLOAT_EQ(im.pixels[(10 * 9 + 9) * 3], 1.0f);  // (9,9) white
}

TEST(ImageFolder, UndecodableFilesAreSkippedAndCounted) {
  TempDir dir;
  cv::imwrite((dir.path() / "a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)));
  std::ofstream(dir.path() / "b.jpg") << "not a jpeg";
  const ImageSet set = LoadImageFolder(dir.path().string(), PreprocessingFrom("imagenet"), 10);
  EXPECT_EQ(set.images.size(), 1u);
  ASSERT_EQ(set.skipped.size(), 1u);
  EXPECT_NE(set.skipped[0].find("b.jpg"), std::string::npos);
}

TEST(ImageFolder, NoDecodableImageIsAUsageError) {
  TempDir dir;
  std::ofstream(dir.path() / "b.jpg") << "not a jpeg";
  EXPECT_THROW(LoadImageFolder(dir.path().string(), PreprocessingFrom("imagenet"), 10), UsageError);
  EXPECT_THROW(CheckImageFolder(dir.path().string()), UsageError);
  EXPECT_THROW(CheckImageFolder((dir.path() / "missing").string()), UsageError);
}

// No preprocessing declared: images are refused, not run through a default.
TEST(ImageFolder, UndeclaredPreprocessingIsRefused) {
  TempDir dir;
  cv::imwrite((dir.path() / "a.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)));
  EXPECT_THROW(LoadImageFolder(dir.path().string(), Preprocessing{}, 10), UsageError);
  EXPECT_THROW(PreprocessImage((dir.path() / "a.png").string(), Preprocessing{}), UsageError);
}

}  // namespace
}  // namespace dli

#endif  // DLI_HAVE_OPENCV
