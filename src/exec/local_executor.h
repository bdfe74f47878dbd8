// The local executor's entry points for the commands that do not use the
// Executor interface yet. Transitional: nothing in src/ calls them.
#ifndef DLI_LOCAL_EXECUTOR_H
#define DLI_LOCAL_EXECUTOR_H

#include <string>

#include "core/backend.h"
#include "core/point.h"
#include "exec/executor.h"

namespace dli {

using LineCallback = ProgressCallback;

// MakeLocalExecutor(worker_exe)->Run(spec, on_progress).
PointResult RunPointIsolated(const PointSpec& spec, const std::string& worker_exe,
                             const LineCallback& on_progress = {});
// MakeLocalExecutor(worker_exe)->DescribeBackend(entry.name).
BackendInfo DescribeBackendIsolated(const BackendEntry& entry, const std::string& worker_exe);

}  // namespace dli

#endif  // DLI_LOCAL_EXECUTOR_H
