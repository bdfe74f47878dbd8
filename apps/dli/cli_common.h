// Pieces shared by several dli commands.
#ifndef DLI_APPS_CLI_COMMON_H
#define DLI_APPS_CLI_COMMON_H

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "accuracy/check.h"
#include "accuracy/images.h"
#include "core/backend.h"
#include "core/point.h"
#include "machine/host_lock.h"
#include "store/store.h"
#include "study/frameworks.h"

namespace dli::cli {

// `key=value` items of repeated --param options.
ParamList ParseParams(const std::vector<std::string>& items);

// frameworks.Select(list), with a note on stderr for each framework that
// "all" leaves out because it is unavailable.
std::vector<BackendInfo> SelectBackends(FrameworkCatalog& frameworks, const std::string& list);

// The host-wide measurement lock for this command, held until destroyed:
// waits with a notice on stderr, or with --no-wait (`no_wait`) throws
// MeasurementLockBusy naming the holder (exit 1, one line).
MeasurementLock TakeMeasurementLock(bool no_wait);

// --seed: the interleaved order's seed to reproduce; nullopt = a fresh one.
std::optional<uint32_t> SeedOption(const std::string& text);

// "flags: steal, drift" for a flagged repetition, else "".
std::string FlagsText(const PointResult& result);

// The results database at `path`; UsageError when there is none.
ResultStore OpenResults(const std::string& path);

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
