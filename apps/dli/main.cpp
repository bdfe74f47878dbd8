// dli: the Deep Learning Inference Benchmark command line.
#include <cstring>
#include <iostream>
#include <string>

#include "commands.h"
#include "core/error.h"

namespace {

constexpr const char* kUsage = R"(usage: dli <command> [options]

Deep Learning Inference Benchmark: measure how fast (and how well) a trained
model runs on each inference framework, device and launch parameter set.

commands:
  info      host and framework backends: versions, devices, parameters
  bench     measure inference latency and FPS of a model
  models    prepare the reference models (dli models prepare)
  optimize  FP16 / INT8 models with each framework's own tools, re-checked
  accuracy  top-1 / top-5 of a model on a labelled image set, per framework
  check     parity of every converted model with the reference ONNX model
  run       run an experiment file (sweeps) into the results database
  results   list or export stored results
  compare   per-point FPS ratios between two runs
  report    HTML report with the paper's figures from the results database

Run `dli <command> --help` for a command's options.
Exit codes: 0 success, 1 a test point failed, 2 bad usage or input.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return dli::kExitUsage;
  }
  const std::string command = argv[1];
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return dli::kExitOk;
    }
    if (command == "--version") {
      std::cout << "dli " << DLI_VERSION << "\n";
      return dli::kExitOk;
    }
    if (command == "info") return dli::cli::RunInfo(argc, argv);
    if (command == "bench") return dli::cli::RunBench(argc, argv);
    if (command == "models") return dli::cli::RunModels(argc, argv);
    if (command == "accuracy") return dli::cli::RunAccuracy(argc, argv);
    if (command == "check") return dli::cli::RunCheck(argc, argv);
    if (command == "run") return dli::cli::RunExperiment(argc, argv);
    if (command == "results") return dli::cli::RunResults(argc, argv);
    if (command == "compare") return dli::cli::RunCompare(argc, argv);
    if (command == "report") return dli::cli::RunReport(argc, argv);
    if (command == "__worker") return dli::cli::RunWorker(argc, argv);
    if (command == "__probe") return dli::cli::RunProbe(argc, argv);
    if (command == "__preprocess") return dli::cli::RunPreprocess(argc, argv);
    if (command == "optimize") return dli::cli::RunOptimize(argc, argv);
    std::cerr << "dli: unknown command '" << command << "'\n\n" << kUsage;
    return dli::kExitUsage;
  } catch (const dli::UsageError& e) {
    std::cerr << "dli " << command << ": error: " << e.what() << "\n";
    return dli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "dli " << command << ": failed: " << e.what() << "\n";
    return dli::kExitFailed;
  }
}
