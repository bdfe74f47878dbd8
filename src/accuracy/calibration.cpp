#include "accuracy/calibration.h"

#include <filesystem>
#include <stdexcept>

#include "core/error.h"
#include "core/text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dli {
namespace {

// NumPy .npy (format 1.0) of a float32 array.
std::string NpyFloat32(const std::vector<size_t>& shape, const std::vector<float>& data) {
  std::vector<std::string> dims;
  for (size_t d : shape) dims.push_back(std::to_string(d));
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + Join(dims, ", ") +
                       (shape.size() == 1 ? ",), }" : "), }");
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::vector<std::string> parts;
  for (int64_t d : shape) parts.push_back(std::to_string(d));
  return Join(parts, "x");
}

}  // namespace

std::string ImagesNpy(const ImageSet& set, const std::string& layout) {
  if (layout != "NCHW" && layout != "NHWC")
    throw std::invalid_argument("ImagesNpy: layout " + layout + " is not NCHW or NHWC");
  const HwcImage& first = set.images.front();
  const size_t n = set.images.size(), h = first.height, w = first.width, c = first.channels;
  std::vector<float> data;
  data.reserve(n * h * w * c);
  for (const HwcImage& im : set.images) {
    if (layout == "NHWC") {
      data.insert(data.end(), im.pixels.begin(), im.pixels.end());
      continue;
    }
    for (size_t ch = 0; ch < c; ++ch)
      for (size_t p = 0; p < h * w; ++p) data.push_back(im.pixels[p * c + ch]);
  }
  return NpyFloat32(
      layout == "NHWC" ? std::vector<size_t>{n, h, w, c} : std::vector<size_t>{n, c, h, w}, data);
}

CalibrationSet MakeCalibrationSet(const ModelMeta& meta, const std::string& dir, size_t samples,
                                  std::ostream& log) {
  const ImageSet set = LoadImageFolder(dir, RequirePreprocessing(meta, "a calibration set"),
                                       samples > 0 ? samples : kDefaultMaxCalibrationImages);
  if (set.images.size() < samples)
    throw UsageError("calibration folder " + dir + " has " + std::to_string(set.images.size()) +
                     " decodable image(s), --samples asks for " + std::to_string(samples) +
                     (set.skipped.empty() ? "" : " (" + set.skipped.front() + ")"));
  if (!set.skipped.empty())
    log << "note: " << set.skipped.size() << " file(s) of " << dir
        << " could not be decoded and are not used, e.g. " << set.skipped.front() << "\n";

  const fs::path model_json = fs::path(meta.dir) / "model.json";
  const HwcImage& first = set.images.front();
  const std::vector<int64_t> made = {first.channels, first.height, first.width};
  std::vector<int64_t> expected;
  for (const ModelInput& input : meta.inputs)
    if (input.kind == "image" && input.layout == "NCHW") expected = input.shape;
  if (expected.size() != 4)
    throw UsageError(model_json.string() +
                     ": dli optimize needs an NCHW image input "
                     "[batch, C, H, W]");
  expected.erase(expected.begin());
  if (made != expected)
    throw UsageError("calibration images of " + dir + " preprocess to " + ShapeText(made) +
                     " but " + meta.name + " takes " + ShapeText(expected) +
                     " (CxHxW): the model's preprocessing and input disagree");

  CalibrationSet out;
  const fs::path folder = fs::path(meta.dir) / "calibration";
  out.array_path = (folder / "calibration.npy").string();
  out.array = ImagesNpy(set, "NCHW");
  out.record_path = (folder / "calibration.json").string();
  json files = json::array();
  for (const std::string& f : set.files) files.push_back(fs::path(f).filename().string());
  const Preprocessing& p = meta.preprocessing;
  out.record = {{"schema", "dli.calibration/1"},
                {"dataset", fs::absolute(dir).lexically_normal().string()},
                {"samples", set.images.size()},
                {"layout", "NCHW"},
                {"preprocessing", "dli " DLI_VERSION " accuracy checker: " + p.color_order +
                                      ", shorter side " + std::to_string(p.resize_shorter) +
                                      ", centre crop " + std::to_string(p.crop) +
                                      ", (pixel*scale - mean)/std"},
                {"files", files},
                {"skipped", set.skipped}};
  return out;
}

}  // namespace dli
