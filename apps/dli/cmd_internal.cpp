// The hidden commands the parent dli runs in child processes.
#include <filesystem>
#include <iostream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "accuracy/calibration.h"
#include "accuracy/images.h"
#include "core/text.h"
#include "core/error.h"
#include "core/files.h"
#include "exec/worker.h"

namespace dli::cli {

// The worker protocol (exec/worker_protocol.h): the request on stdin, events
// on stdout, the log on stderr.
int RunWorker(int argc, char**) {
  if (argc != 2) throw UsageError("usage: dli __worker < REQUEST_JSON (the worker protocol)");
  return ServeOnStdio(&ServeWorker);
}

int RunProbe(int argc, char**) {
  if (argc != 2) throw UsageError("usage: dli __probe < REQUEST_JSON (the worker protocol)");
  return ServeOnStdio(&ServeProbe);
}

int RunPreprocess(int argc, char** argv) {
  Args args(
      "dli __preprocess --model NAME --images DIR --out FILE.npy [--limit N] [--layout NCHW|NHWC]",
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
  const ImageSet set =
      LoadImageFolder(args.Require("images"), meta.preprocessing,
                      static_cast<size_t>(args.GetInt("limit", kDefaultMaxCalibrationImages, 1)));
  WriteFileAtomically(args.Require("out"), ImagesNpy(set, layout));
  std::cerr << "wrote " << set.images.size() << " preprocessed image(s)";
  if (!set.skipped.empty())
    std::cerr << "; skipped " << set.skipped.size() << ": " << set.skipped.front();
  std::cerr << "\n";
  return kExitOk;
}

}  // namespace dli::cli
