// `dli models prepare|import|list|show`: the model pipeline of python/dli_models
// (docs/MODELS.md), run by Debian's Python; its exit status 2 is a usage error.
#include <filesystem>
#include <iostream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/model.h"

namespace dli::cli {

namespace {

int ExitOf(int code) {
  if (code == 2) return kExitUsage;
  return code == 0 ? kExitOk : kExitFailed;
}

// import, list and show parse their own options (repeated --input, a spec
// file): everything after the subcommand goes to models_cli.py unchanged.
int RunModelsCli(int argc, char** argv) {
  const std::filesystem::path script =
      std::filesystem::path(DliHome()) / "python" / "dli_models" / "models_cli.py";
  if (!std::filesystem::exists(script))
    throw UsageError("model tool not found: " + script.string() +
                     " (set DLI_HOME to the DLI source folder)");
  std::vector<std::string> cmd = {"/usr/bin/python3", script.string(), "--models-dir", ModelsDir()};
  cmd.insert(cmd.end(), argv + 2, argv + argc);
  return ExitOf(RunForeground(cmd));
}

}  // namespace

int RunModels(int argc, char** argv) {
  if (argc > 2) {
    const std::string sub = argv[2];
    if (sub == "import" || sub == "list" || sub == "show") return RunModelsCli(argc, argv);
  }
  Args args(
      "dli models prepare [--model NAME] [--steps a,b] [--force] [--list]\n"
      "       dli models import NAME --from PATH [--task image_classification|generic]\n"
      "           [--preprocessing imagenet|inception|caffe|none|FILE] [--labels FILE]\n"
      "           [--label-offset N] [--input NAME:SHAPE:DTYPE[:LAYOUT]] [--spec FILE] [--force]\n"
      "       dli models list [--json]\n"
      "       dli models show NAME [--json]",
      "prepare builds a zoo model under the models folder (" + ModelsDir() +
          "): its\npretrained weights exported to ONNX and converted to each framework's format "
          "with\nthat framework's own tools, plus models/<name>/model.json. Idempotent: finished\n"
          "steps are skipped unless --force.\n"
          "import takes a user's model (ONNX, TorchScript .pt, SavedModel folder, .tflite,\n"
          "MXNet -symbol.json + .params, OpenVINO .xml + .bin), converts it to every\n"
          "framework's format the same way through ONNX (an OpenVINO IR stays OpenVINO's only)\n"
          "and checks each against the file; a failed conversion is recorded, not fatal.\n"
          "list and show print the models and each one's format x framework matrix.",
      {{"model", "NAME", "model to prepare (default mobilenet_v2)"},
       {"steps", "LIST", "only these steps (comma-separated; see --list)"},
       {"force", "", "redo steps even when their outputs are up to date"},
       {"list", "", "list the steps and exit"}},
      /*takes_positional=*/true);
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.positional().size() != 1 || args.positional()[0] != "prepare")
    throw UsageError("expected `dli models prepare|import|list|show` (see dli models --help)");
  std::vector<std::string> cmd = PrepareCommand();
  if (args.Has("model")) cmd.insert(cmd.end(), {"--model", args.Get("model")});
  if (args.Has("steps")) cmd.insert(cmd.end(), {"--steps", args.Get("steps")});
  if (args.Has("force")) cmd.push_back("--force");
  if (args.Has("list")) cmd.push_back("--list");
  return ExitOf(RunForeground(cmd));
}

}  // namespace dli::cli
