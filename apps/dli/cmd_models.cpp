#include <iostream>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "core/model.h"

namespace dli::cli {

int RunModels(int argc, char** argv) {
  Args args(
      "dli models prepare [--model NAME] [--steps a,b] [--force] [--list]",
      "Builds the reference model files under the models folder (" + ModelsDir() +
          "):\nthe pretrained MobileNetV2 exported to ONNX and converted to each framework's\n"
          "format with that framework's own tools, plus models/<name>/model.json.\n"
          "Idempotent: finished steps are skipped unless --force.",
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
    throw UsageError("expected `dli models prepare` (see dli models --help)");
  std::vector<std::string> cmd = PrepareCommand();
  if (args.Has("model")) cmd.insert(cmd.end(), {"--model", args.Get("model")});
  if (args.Has("steps")) cmd.insert(cmd.end(), {"--steps", args.Get("steps")});
  if (args.Has("force")) cmd.push_back("--force");
  if (args.Has("list")) cmd.push_back("--list");
  const int code = RunForeground(cmd);
  if (code == 2) return kExitUsage;
  return code == 0 ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
