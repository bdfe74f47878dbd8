// Describing framework backends where points run. Loading a framework can
// crash or hang, so executors describe each one in a worker process
// (`dli __probe`, worker_protocol.h); this is what that process does.
#ifndef DLI_BACKEND_PROBE_H
#define DLI_BACKEND_PROBE_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.h"

namespace dli {

// As `dli info --json` shows a framework.
nlohmann::json BackendInfoToJson(const BackendInfo& p);
BackendInfo BackendInfoFromJson(const nlohmann::json& j);

// Every framework found in BackendSearchDirs(), built or not, in name order.
std::vector<std::string> FrameworksFound();

// Loads the framework's library into this process and describes it; a
// framework that was not built, or whose library cannot be loaded, is
// described as unavailable with the reason. Throws UsageError naming the
// known frameworks when `framework` is not one.
BackendInfo DescribeBackendInProcess(const std::string& framework);

}  // namespace dli

#endif  // DLI_BACKEND_PROBE_H
