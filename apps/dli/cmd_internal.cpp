// The hidden commands the parent dli runs in child processes.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "dli/images.h"
#include "dli/text.h"
#include "dli/error.h"
#include "dli/plugin_probe.h"
#include "dli/point.h"
#include "dli/report.h"

namespace dli::cli {

int RunWorker(int argc, char** argv) {
  if (argc != 4) throw UsageError("usage: dli __worker SPEC_JSON RESULT_JSON");
  std::ifstream in(argv[2]);
  const PointSpec spec = SpecFromJson(nlohmann::json::parse(in));
  const PointResult r = RunPointInProcess(spec);
  WriteFileAtomically(argv[3], ResultToJson(r, /*with_samples=*/true).dump());
  if (!r.ok()) std::cerr << "dli: point failed: " << r.error << "\n";
  return r.ok() ? kExitOk : kExitFailed;
}

int RunProbe(int argc, char** argv) {
  if (argc != 4) throw UsageError("usage: dli __probe PLUGIN_LIBRARY OUT_JSON");
  WritePluginDescription(argv[2], argv[3]);
  return kExitOk;
}

namespace {

// NumPy .npy (format 1.0) of a float32 array: what the Python quantization
// tools read calibration data from.
void WriteNpyFloat32(const std::string& path, const std::vector<size_t>& shape,
                     const std::vector<float>& data) {
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
  WriteFileAtomically(path, out);
}

}  // namespace

int RunPreprocess(int argc, char** argv) {
  Args args("dli __preprocess --model NAME --images DIR --out FILE.npy [--limit N] [--layout NCHW|NHWC]",
            "Writes images preprocessed exactly as for inference (the model's metadata) as one\n"
            "float32 .npy array: calibration data for the quantization tools.",
            {{"model", "NAME", "prepared model whose preprocessing to apply"},
             {"images", "DIR", "image folder"},
             {"out", "FILE", ".npy file to write"},
             {"limit", "N", "at most N images (default 300)"},
             {"layout", "L", "NCHW (default) or NHWC"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const std::string layout = ToUpper(args.Get("layout", "NCHW"));
  if (layout != "NCHW" && layout != "NHWC") throw UsageError("--layout is NCHW or NHWC");
  const std::string model_json =
      (std::filesystem::path(ModelsDir()) / args.Require("model") / "model.json").string();
  const ModelMeta meta = LoadModelMeta(model_json);
  const ImageSet set = LoadImageFolder(args.Require("images"), meta.preprocessing,
                                       static_cast<size_t>(args.GetInt("limit", 300, 1)));
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
  WriteNpyFloat32(args.Require("out"), layout == "NHWC" ? std::vector<size_t>{n, h, w, c}
                                                        : std::vector<size_t>{n, c, h, w},
                  data);
  std::cerr << "wrote " << n << " preprocessed image(s)";
  if (!set.skipped.empty()) std::cerr << "; skipped " << set.skipped.size() << ": " << set.skipped.front();
  std::cerr << "\n";
  return kExitOk;
}

}  // namespace dli::cli
