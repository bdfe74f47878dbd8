// `dli check`: the parity check of every converted model with the reference
// ONNX model (src/accuracy/parity.h), through the local executor.
#include <filesystem>
#include <iostream>

#include "accuracy/images.h"
#include "accuracy/parity.h"
#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/host.h"
#include "core/text.h"
#include "report/report.h"

namespace dli::cli {

int RunCheck(int argc, char** argv) {
  Args args("dli check --model NAME [options]",
            "Parity check of converted models: feeds the same preprocessed photos to every\n"
            "available framework and every format of a prepared model and compares each output\n"
            "with the reference ONNX model's. FP32 must give the identical top-1 on every photo\n"
            "and logits within --tolerance; FP16/INT8 must agree on top-1 for at least\n"
            "--min-agreement of the photos. A model whose description declares no image input\n"
            "is checked on seeded synthetic inputs instead, every output compared.",
            {{"model", "NAME", "prepared model (default mobilenet_v2)"},
             {"images", "DIR", "photos (default: the bundled sample set)"},
             {"framework", "LIST", "frameworks to check (default all available)"},
             {"precision", "LIST", "precisions to check (default all prepared)"},
             {"tolerance", "X", "max |difference| of FP32 outputs (default 1e-3)"},
             {"min-agreement", "R", "top-1 agreement needed below FP32 (default 0.875)"},
             {"shape", "NAME=AxB", "shape of an input the model leaves open (repeatable)", true},
             {"json", "FILE", "write the comparison as JSON"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  ParityRequest request;
  request.model = args.Get("model", "mobilenet_v2");
  request.rule.tolerance = args.GetDouble("tolerance", 1e-3, 0);
  request.rule.min_agreement = args.GetDouble("min-agreement", 0.875, 0);
  const std::string meta_file =
      (std::filesystem::path(ModelsDir()) / request.model / "model.json").string();
  if (!std::filesystem::exists(meta_file))
    throw UsageError("no prepared model '" + request.model + "' in " + ModelsDir() +
                     " (run `dli models prepare`)");
  const ModelMeta meta = LoadModelMeta(meta_file);
  request.shapes = ParseShapeArgs(args.GetAll("shape"));
  if (!meta.ImagelessInputs() || args.Has("images")) {
    RequirePreprocessing(meta, "dli check");
    request.images_dir =
        args.Get("images", (std::filesystem::path(ModelsDir()) / "_datasets" / "sample").string());
    CheckImageFolder(request.images_dir);
    request.files = ListImageFiles(request.images_dir);
  }
  const auto executor = MakeLocalExecutor();
  // Probed once: the frameworks to check are chosen among them, and so is
  // the one that runs the reference.
  FrameworkCatalog frameworks(*executor);
  const std::vector<BackendInfo> available = SelectBackends(frameworks, "all");
  const std::string list = args.Get("framework", "all");
  const std::vector<BackendInfo> checked = list == "all" ? available : frameworks.Select(list);
  request.precisions = Split(ToUpper(args.Get("precision", "")), ',');

  const ParityReport report = RunParityCheck(
      meta, request, available, checked, [&](const PointSpec& spec) { return executor->Run(spec); },
      std::cerr);
  PrintConsoleReport(ParityConsole(report), std::cout);
  if (args.Has("json"))
    WriteFileAtomically(args.Get("json"), ParityDocument(report, ReadHostInfo()).dump(2) + "\n");
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
