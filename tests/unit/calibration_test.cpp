// The calibration set: the .npy bytes and the checks of the images against
// the model's input.
#include "accuracy/calibration.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "check_fakes.h"
#include "core/files.h"

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {
namespace {

using testing::UsageErrorOf;

// Two images of 1x2 pixels and 2 channels, HWC.
ImageSet TwoImages() {
  ImageSet set;
  set.images = {{1, 2, 2, {1, 2, 3, 4}}, {1, 2, 2, {5, 6, 7, 8}}};
  return set;
}

std::vector<float> FloatsAfterHeader(const std::string& npy) {
  const size_t header =
      10 + static_cast<unsigned char>(npy[8]) + 256 * static_cast<unsigned char>(npy[9]);
  std::vector<float> out((npy.size() - header) / sizeof(float));
  std::memcpy(out.data(), npy.data() + header, out.size() * sizeof(float));
  return out;
}

TEST(ImagesNpy, Nchw) {
  const std::string npy = ImagesNpy(TwoImages(), "NCHW");
  // The header pads the data's offset to a multiple of 64: 10 + 117 + 1.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 1, 2), }";
  header += std::string(117 - header.size(), ' ') + "\n";
  EXPECT_EQ(npy.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  EXPECT_EQ(npy.substr(10, header.size()), header);
  EXPECT_EQ(npy.size(), 128 + 8 * sizeof(float));
  EXPECT_EQ(FloatsAfterHeader(npy), (std::vector<float>{1, 3, 2, 4, 5, 7, 6, 8}));
}

TEST(ImagesNpy, Nhwc) {
  const std::string npy = ImagesNpy(TwoImages(), "NHWC");
  EXPECT_NE(npy.find("'shape': (2, 1, 2, 2), }"), std::string::npos);
  EXPECT_EQ(FloatsAfterHeader(npy), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_THROW(ImagesNpy(TwoImages(), "CHW"), std::invalid_argument);
}

#ifdef DLI_HAVE_OPENCV

// A prepared model taking 3x4x4 images and three uniform photos (plus one
// that does not decode); with mean 0, std 1 and scale 1 every value is the
// pixel's.
class CalibrationFolder : public ::testing::Test {
 protected:
  CalibrationFolder() {
    fs::create_directories(photos);
    for (int i = 0; i < 3; ++i)
      cv::imwrite((photos / ("p" + std::to_string(i) + ".png")).string(),
                  cv::Mat(6, 8, CV_8UC3, cv::Scalar(10 * i, 20, 30)));  // BGR
    std::ofstream(photos / "q.jpg") << "not a jpeg";
    meta.name = "tiny";
    meta.dir = dir.path().string();
    meta.preprocessing.color_order = "RGB";
    meta.preprocessing.resize_shorter = 4;
    meta.preprocessing.crop = 4;
    meta.preprocessing.scale = 1;
    meta.preprocessing.mean = {0, 0, 0};
    meta.preprocessing.std = {1, 1, 1};
    SetImageInput("NCHW", {-1, 3, 4, 4});
  }
  // The model description's image input (model.json "inputs").
  void SetImageInput(const std::string& layout, const std::vector<int64_t>& shape) {
    ModelInput input;
    input.name = "input";
    input.shape = shape;
    input.dtype = "float32";
    input.layout = layout;
    input.kind = "image";
    meta.inputs = {input};
  }

  TempDir dir;
  const fs::path photos = dir.path() / "photos";
  ModelMeta meta;
  std::ostringstream log;
  const std::string undecodable = "q.jpg: cannot decode image " + (photos / "q.jpg").string();
};

TEST_F(CalibrationFolder, TheArrayAndItsRecord) {
  const CalibrationSet set = MakeCalibrationSet(meta, photos.string(), 0, log);
  EXPECT_EQ(log.str(), "note: 1 file(s) of " + photos.string() +
                           " could not be decoded and are not used, e.g. " + undecodable + "\n");
  EXPECT_EQ(set.array_path, (dir.path() / "calibration" / "calibration.npy").string());
  EXPECT_EQ(set.record_path, (dir.path() / "calibration" / "calibration.json").string());
  EXPECT_NE(set.array.find("'shape': (3, 3, 4, 4), }"), std::string::npos);
  const std::vector<float> values = FloatsAfterHeader(set.array);
  ASSERT_EQ(values.size(), 3u * 3 * 4 * 4);
  EXPECT_EQ(values[0], 30);            // photo 0, R
  EXPECT_EQ(values[16], 20);           // photo 0, G
  EXPECT_EQ(values[32], 0);            // photo 0, B
  EXPECT_EQ(values[2 * 48 + 32], 20);  // photo 2, B
  const json expected = {
      {"schema", "dli.calibration/1"},
      {"dataset", photos.string()},
      {"samples", 3},
      {"layout", "NCHW"},
      {"preprocessing", "dli " DLI_VERSION " accuracy checker: RGB, shorter side 4, centre crop 4, "
                        "(pixel*scale - mean)/std"},
      {"files", {"p0.png", "p1.png", "p2.png"}},
      {"skipped", {undecodable}}};
  EXPECT_EQ(set.record, expected);
  EXPECT_EQ(MakeCalibrationSet(meta, photos.string(), 2, log).record["samples"], 2);
}

TEST_F(CalibrationFolder, TooFewImagesOrAnotherSizeIsAUsageError) {
  EXPECT_EQ(UsageErrorOf([&] { MakeCalibrationSet(meta, photos.string(), 5, log); }),
            "calibration folder " + photos.string() +
                " has 3 decodable image(s), --samples asks for 5 (" + undecodable + ")");
  SetImageInput("NCHW", {1, 3, 5, 5});
  EXPECT_EQ(UsageErrorOf([&] { MakeCalibrationSet(meta, photos.string(), 0, log); }),
            "calibration images of " + photos.string() +
                " preprocess to 3x4x4 but tiny takes 3x5x5 (CxHxW): the model's "
                "preprocessing and input disagree");
  SetImageInput("NHWC", {1, 4, 4, 3});
  EXPECT_EQ(UsageErrorOf([&] { MakeCalibrationSet(meta, photos.string(), 0, log); }),
            (dir.path() / "model.json").string() +
                ": dli optimize needs an NCHW image input [batch, C, H, W]");
}

#endif  // DLI_HAVE_OPENCV

}  // namespace
}  // namespace dli
