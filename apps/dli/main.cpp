// dli: the Deep Learning Inference Benchmark command line.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>

#include "commands.h"
#include "core/error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* help;
  bool hidden;
};

#define DLI_COMMAND_ENTRY(name, handler, help, hidden) {name, dli::cli::handler, help, hidden},
constexpr Command kCommands[] = {DLI_COMMANDS(DLI_COMMAND_ENTRY)};
#undef DLI_COMMAND_ENTRY

std::string Usage() {
  std::string text = R"(usage: dli <command> [options]

Deep Learning Inference Benchmark: measure how fast (and how well) a trained
model runs on each inference framework, device and launch parameter set.

commands:
)";
  size_t width = 0;
  for (const Command& c : kCommands)
    if (!c.hidden) width = std::max(width, std::strlen(c.name));
  for (const Command& c : kCommands)
    if (!c.hidden)
      text += "  " + std::string(c.name) + std::string(width + 2 - std::strlen(c.name), ' ') +
              c.help + "\n";
  return text + R"(
Run `dli <command> --help` for a command's options.
Exit codes: 0 success, 1 a test point failed, 2 bad usage or input.
)";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << Usage();
    return dli::kExitUsage;
  }
  const std::string command = argv[1];
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << Usage();
      return dli::kExitOk;
    }
    if (command == "--version") {
      std::cout << "dli " << DLI_VERSION << "\n";
      return dli::kExitOk;
    }
    for (const Command& c : kCommands)
      if (command == c.name) return c.run(argc, argv);
    std::cerr << "dli: unknown command '" << command << "'\n\n" << Usage();
    return dli::kExitUsage;
  } catch (const dli::UsageError& e) {
    std::cerr << "dli " << command << ": error: " << e.what() << "\n";
    return dli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "dli " << command << ": failed: " << e.what() << "\n";
    return dli::kExitFailed;
  }
}
