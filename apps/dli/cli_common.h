// Pieces shared by several dli commands.
#ifndef DLI_APPS_CLI_COMMON_H
#define DLI_APPS_CLI_COMMON_H

#include <ostream>
#include <string>
#include <vector>

#include "accuracy/check.h"
#include "accuracy/images.h"
#include "core/backend.h"
#include "core/point.h"
#include "exec/executor.h"

namespace dli::cli {

// `key=value` items of repeated --param options.
ParamList ParseParams(const std::vector<std::string>& items);

struct ProbedBackend {
  BackendEntry entry;
  BackendInfo info;
};
// Finds and probes (in a child process) one framework; UsageError when it is
// unknown or unavailable.
ProbedBackend ProbeBackend(const std::string& name);
// Every framework of `executor` that is available, each probed once; a note
// on stderr for each built one that is not.
std::vector<BackendInfo> AvailableBackends(Executor& executor);
// "a,b" -> those frameworks; "all" -> AvailableBackends(). UsageError for an
// unknown or unavailable one. `available`, when given, is this executor's
// AvailableBackends(), chosen from instead of probing again.
std::vector<BackendInfo> SelectBackends(Executor& executor, const std::string& list,
                                        const std::vector<BackendInfo>* available = nullptr);

// Prints a check's console output with its table aligned, and flushes it:
// progress on stderr that follows stays in order when both go to one file.
void PrintConsoleReport(const ConsoleReport& report, std::ostream& out);

// Runs a program with this process's stdin/stdout/stderr; returns its exit
// code (128 + signal when it was killed).
int RunForeground(const std::vector<std::string>& argv);

// The model preparation command line, `/usr/bin/python3 <DLI_HOME>/python/
// dli_models/prepare.py --models-dir <ModelsDir()>`, to which the caller adds
// its options; UsageError when the script is missing.
std::vector<std::string> PrepareCommand();

}  // namespace dli::cli

#endif  // DLI_APPS_CLI_COMMON_H
