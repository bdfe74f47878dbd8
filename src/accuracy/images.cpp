#include "accuracy/images.h"

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/error.h"
#include "core/text.h"

#ifdef DLI_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace fs = std::filesystem;

namespace dli {

namespace {

// Images without a declared preprocessing would silently become another
// model's inputs: callers check with RequirePreprocessing first.
void RequireDeclared(const Preprocessing& pre) {
  if (!pre.declared())
    throw UsageError(std::string("images need the model's preprocessing, which it does not "
                                 "declare (presets: ") +
                     kPreprocessingPresets + ")");
}

}  // namespace

std::vector<std::string> ListImageFiles(const std::string& dir) {
  static const std::vector<std::string> kExtensions = {".jpg",  ".jpeg", ".png",  ".bmp",
                                                       ".webp", ".tif",  ".tiff", ".ppm"};
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = ToLower(entry.path().extension().string());
    if (std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end())
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

#ifdef DLI_HAVE_OPENCV

bool ImageDecodingAvailable() { return true; }

HwcImage PreprocessImage(const std::string& path, const Preprocessing& pre) {
  RequireDeclared(pre);
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error("cannot decode image " + path);
  cv::Mat img;
  if (ToUpper(pre.color_order) == "RGB")
    cv::cvtColor(bgr, img, cv::COLOR_BGR2RGB);
  else
    img = bgr;
  const int shorter = std::min(img.rows, img.cols);
  const double factor = static_cast<double>(pre.resize_shorter) / shorter;
  cv::Mat resized;
  cv::resize(img, resized,
             cv::Size(std::max(pre.crop, static_cast<int>(std::lround(img.cols * factor))),
                      std::max(pre.crop, static_cast<int>(std::lround(img.rows * factor)))),
             0, 0, factor < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const cv::Rect centre((resized.cols - pre.crop) / 2, (resized.rows - pre.crop) / 2, pre.crop,
                        pre.crop);
  cv::Mat crop = resized(centre);
  HwcImage out;
  out.height = out.width = pre.crop;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(pre.crop) * pre.crop * 3);
  size_t i = 0;
  for (int y = 0; y < crop.rows; ++y) {
    const auto* row = crop.ptr<cv::Vec3b>(y);
    for (int x = 0; x < crop.cols; ++x)
      for (int c = 0; c < 3; ++c)
        out.pixels[i++] = static_cast<float>((row[x][c] * pre.scale - pre.mean[c]) / pre.std[c]);
  }
  return out;
}

#else

bool ImageDecodingAvailable() { return false; }

HwcImage PreprocessImage(const std::string&, const Preprocessing&) {
  throw UsageError(
      "this build of dli has no image decoding (OpenCV was not found at build time); "
      "use --synthetic or install libopencv-dev and rebuild");
}

#endif

void CheckImageFolder(const std::string& dir) {
  // Only whether a file decodes matters here, not a model's recipe.
  static const Preprocessing kDecodeProbe{"RGB", 8, 8, 1.0};
  if (!fs::is_directory(dir)) throw UsageError("image folder not found: " + dir);
  const std::vector<std::string> files = ListImageFiles(dir);
  for (const std::string& file : files) {
    try {
      PreprocessImage(file, kDecodeProbe);
      return;
    } catch (const std::runtime_error&) {
      if (!ImageDecodingAvailable()) throw;
    }
  }
  throw UsageError("no decodable image in " + dir +
                   (files.empty()
                        ? std::string(" (no .jpg/.png/... files)")
                        : " (" + std::to_string(files.size()) + " files failed to decode)"));
}

DecodedImages PreprocessFiles(const std::vector<std::string>& files, const Preprocessing& pre) {
  RequireDeclared(pre);  // here, not per file: it is not a decoding error
  std::vector<std::optional<HwcImage>> slots(files.size());
  std::vector<std::string> errors(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < files.size();) {
      try {
        slots[i] = PreprocessImage(files[i], pre);
      } catch (const std::exception& e) {
        errors[i] = fs::path(files[i]).filename().string() + ": " + e.what();
      }
    }
  };
  const size_t n_threads =
      std::min<size_t>(files.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < n_threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  DecodedImages out;
  for (size_t i = 0; i < files.size(); ++i) {
    if (slots[i]) {
      out.images.push_back(std::move(*slots[i]));
      out.source_index.push_back(i);
    } else {
      out.errors.push_back(errors[i]);
    }
  }
  return out;
}

ImageSet LoadImageFolder(const std::string& dir, const Preprocessing& pre, size_t max_images) {
  if (!fs::is_directory(dir)) throw UsageError("image folder not found: " + dir);
  RequireDeclared(pre);
  if (!ImageDecodingAvailable()) PreprocessImage("", pre);  // throws the explanation
  const std::vector<std::string> files = ListImageFiles(dir);
  ImageSet set;
  // Decode only as many files as needed: chunks of the missing count.
  for (size_t begin = 0; begin < files.size() && set.images.size() < max_images;) {
    const size_t end = std::min(files.size(), begin + (max_images - set.images.size()));
    const std::vector<std::string> chunk(files.begin() + begin, files.begin() + end);
    DecodedImages decoded = PreprocessFiles(chunk, pre);
    for (size_t i = 0; i < decoded.images.size(); ++i) {
      set.images.push_back(std::move(decoded.images[i]));
      set.files.push_back(chunk[decoded.source_index[i]]);
    }
    set.skipped.insert(set.skipped.end(), decoded.errors.begin(), decoded.errors.end());
    begin = end;
  }
  if (set.images.empty())
    throw UsageError("no decodable image in " + dir +
                     (set.skipped.empty() ? std::string(" (no .jpg/.png/... files)")
                                          : " (" + std::to_string(set.skipped.size()) +
                                                " files failed to decode)"));
  return set;
}

}  // namespace dli
