#ifndef DLI_APPS_COMMANDS_H
#define DLI_APPS_COMMANDS_H

namespace dli::cli {

// Each returns the process exit code (see dli/error.h); UsageError escapes to
// main, which prints it and returns 2.
int RunInfo(int argc, char** argv);
int RunBench(int argc, char** argv);
int RunModels(int argc, char** argv);
int RunAccuracy(int argc, char** argv);
int RunCheck(int argc, char** argv);
int RunExperiment(int argc, char** argv);
int RunResults(int argc, char** argv);
int RunCompare(int argc, char** argv);
int RunReport(int argc, char** argv);
// Internal: the isolated child process of one test point / one probe.
int RunWorker(int argc, char** argv);
int RunProbe(int argc, char** argv);
int RunPreprocess(int argc, char** argv);
int RunOptimize(int argc, char** argv);

}  // namespace dli::cli

#endif  // DLI_APPS_COMMANDS_H
