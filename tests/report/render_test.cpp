// Renders the fixture report in headless Chromium and checks the screenshot:
// the figures must really draw (ink, colours of the palette), not only be
// well-formed text. The files stay in the build tree for people to look at:
// <build>/tests/report/report_render/report/.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

#include "report/html_report.h"
#include "report_fixture.h"

namespace fs = std::filesystem;

namespace dli {
namespace {

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  return "";
}

// A fresh folder per test: ctest may run the tests in parallel.
fs::path RenderDir(const std::string& test) {
  const fs::path dir = fs::path(DLI_REPORT_RENDER_DIR) / test;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

#ifdef DLI_HAVE_OPENCV
// Screenshot of `file` at the given window size; fails the test when
// Chromium does not produce one.
cv::Mat Screenshot(const std::string& chromium, const fs::path& file, int width, int height) {
  const fs::path png = file.string() + ".png", log = file.string() + ".chromium.log";
  const std::string command =
      "timeout 120 '" + chromium + "' --headless --no-sandbox --disable-gpu --hide-scrollbars" +
      " --user-data-dir='" + (file.parent_path() / "chromium-profile").string() + "'" +
      " --screenshot='" + png.string() + "' --window-size=" + std::to_string(width) + "," +
      std::to_string(height) + " 'file://" + file.string() + "' > '" + log.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  fs::remove_all(file.parent_path() / "chromium-profile");  // megabytes nobody needs
  EXPECT_EQ(rc, 0) << command << "\nsee " << log;
  const cv::Mat image = cv::imread(png.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(image.empty()) << "no screenshot: " << png;
  return image;
}

struct Ink {
  double non_white_fraction = 0;
  size_t distinct_colors = 0;  // at 4 bits per channel
};

Ink Measure(const cv::Mat& bgr) {
  Ink ink;
  size_t non_white = 0;
  std::set<int> colors;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      if (p[0] < 240 || p[1] < 240 || p[2] < 240) ++non_white;
      colors.insert((p[2] >> 4) << 8 | (p[1] >> 4) << 4 | (p[0] >> 4));
    }
  ink.non_white_fraction = static_cast<double>(non_white) / (bgr.rows * bgr.cols);
  ink.distinct_colors = colors.size();
  return ink;
}

// Pixels within a small distance of the colour "#RRGGBB".
size_t PixelsOf(const cv::Mat& bgr, const std::string& hex) {
  const int r = std::stoi(hex.substr(1, 2), nullptr, 16),
            g = std::stoi(hex.substr(3, 2), nullptr, 16),
            b = std::stoi(hex.substr(5, 2), nullptr, 16);
  size_t n = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
      n += std::abs(p[2] - r) + std::abs(p[1] - g) + std::abs(p[0] - b) <= 12;
    }
  return n;
}
#endif

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef DLI_HAVE_OPENCV
    GTEST_SKIP() << "built without OpenCV: cannot decode the screenshot";
#endif
    chromium_ = FindProgram("chromium");
    if (chromium_.empty())
      GTEST_SKIP() << "chromium is not installed (scripts/setup.sh report installs it)";
  }
  std::string chromium_;
};

TEST_F(RenderTest, ReportScreenshotShowsTheFigures) {
#ifdef DLI_HAVE_OPENCV
  const fs::path dir = RenderDir("report");
  ReportOptions options;
  options.generated_by = "dli render test";
  const RenderedReport report = RenderReport(testing::Fixture(), options);
  WriteText(dir / "report.html", report.html);
  for (const auto& [name, svg] : report.figures) WriteText(dir / name, svg);

  const cv::Mat page = Screenshot(chromium_, dir / "report.html", 1200, 2400);
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.cols, 1200);
  EXPECT_EQ(page.rows, 2400);
  const Ink ink = Measure(page);
  EXPECT_GT(ink.non_white_fraction, 0.04) << "the page is nearly blank";
  EXPECT_GT(ink.distinct_colors, 40u);
  // Fig. 1's top-1 / top-5 bars and Fig. 2's openvino and tflite lines.
  for (const char* color : {"#0072B2", "#56B4E9", "#D55E00", "#009E73"})
    EXPECT_GT(PixelsOf(page, color), 200u) << color;
#endif
}

TEST_F(RenderTest, StandaloneSvgRendersOnItsOwn) {
#ifdef DLI_HAVE_OPENCV
  const fs::path dir = RenderDir("standalone");
  const RenderedReport report = RenderReport(testing::Fixture(), {});
  const auto& [name, svg] = report.figures.at(3);
  WriteText(dir / name, svg);
  const cv::Mat image = Screenshot(chromium_, dir / name, 840, 360);
  ASSERT_FALSE(image.empty());
  // The openvino bar (the longest) in its (openvino, CPU) colour; an XML
  // error page would show no such colour.
  EXPECT_GT(PixelsOf(image, "#D55E00"), 3000u);
  EXPECT_GT(Measure(image).non_white_fraction, 0.05);
#endif
}

}  // namespace
}  // namespace dli
