#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "dli/error.h"
#include "dli/model.h"

namespace fs = std::filesystem;

namespace dli::cli {
namespace {

// Runs a program with this process's stdin/stdout/stderr; returns its exit code.
int RunForeground(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    execv(c_argv[0], c_argv.data());
    std::perror(c_argv[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int RunModels(int argc, char** argv) {
  Args args("dli models prepare [--model NAME] [--steps a,b] [--force] [--list]",
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
  const fs::path script = fs::path(DliHome()) / "python" / "dli_models" / "prepare.py";
  if (!fs::exists(script))
    throw UsageError("model preparation script not found: " + script.string() +
                     " (set DLI_HOME to the DLI source folder)");
  std::vector<std::string> cmd = {"/usr/bin/python3", script.string(), "--models-dir", ModelsDir()};
  if (args.Has("model")) cmd.insert(cmd.end(), {"--model", args.Get("model")});
  if (args.Has("steps")) cmd.insert(cmd.end(), {"--steps", args.Get("steps")});
  if (args.Has("force")) cmd.push_back("--force");
  if (args.Has("list")) cmd.push_back("--list");
  const int code = RunForeground(cmd);
  if (code == 2) return kExitUsage;
  return code == 0 ? kExitOk : kExitFailed;
}

}  // namespace dli::cli
