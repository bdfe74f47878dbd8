// The dli commands: one table drives the declarations below, main's dispatch
// and the usage text.
#ifndef DLI_APPS_COMMANDS_H
#define DLI_APPS_COMMANDS_H

// X(name, handler, one-line help, hidden). Hidden commands are for dli's own
// child processes and tools, not users: usage leaves them out. The others
// appear in usage in this order.
#define DLI_COMMANDS(X)                                                                           \
  X("info", RunInfo, "host and framework backends: versions, devices, parameters", false)         \
  X("bench", RunBench, "measure inference latency and FPS of a model", false)                     \
  X("models", RunModels, "prepare the reference models (dli models prepare)", false)              \
  X("optimize", RunOptimize, "FP16 / INT8 models with each framework's own tools, re-checked",    \
    false)                                                                                        \
  X("accuracy", RunAccuracy, "top-1 / top-5 of a model on a labelled image set, per framework",   \
    false)                                                                                        \
  X("check", RunCheck, "parity of every converted model with the reference ONNX model", false)    \
  X("tune", RunTune, "best launch parameters (batch, requests, threads) within a time budget",    \
    false)                                                                                        \
  X("run", RunExperiment, "run an experiment file (sweeps) into the results database", false)     \
  X("results", RunResults, "list or export stored results", false)                                \
  X("compare", RunCompare, "per-point FPS ratios between two runs", false)                        \
  X("report", RunReport, "HTML report with the paper's figures from the results database", false) \
  X("doctor", RunDoctor, "check the machine for what makes measurements unstable", false)         \
  X("__worker", RunWorker, "run one test point (SPEC_JSON RESULT_JSON)", true)                    \
  X("__probe", RunProbe, "describe one backend library (BACKEND_LIBRARY OUT_JSON)", true)         \
  X("__preprocess", RunPreprocess, "preprocessed images as .npy calibration data", true)

namespace dli::cli {

// Each returns the process exit code (core/error.h); a UsageError escapes to
// main, which prints it and returns 2.
#define DLI_DECLARE_COMMAND(name, handler, help, hidden) int handler(int argc, char** argv);
DLI_COMMANDS(DLI_DECLARE_COMMAND)
#undef DLI_DECLARE_COMMAND

}  // namespace dli::cli

#endif  // DLI_APPS_COMMANDS_H
