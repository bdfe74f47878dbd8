// Describing backends from a child process: loading a framework can crash or
// hang, and `dli info` must survive that.
#ifndef DLI_BACKEND_PROBE_H
#define DLI_BACKEND_PROBE_H

#include <string>

#include <nlohmann/json.hpp>

#include "core/backend.h"

namespace dli {

nlohmann::json BackendInfoToJson(const BackendInfo& p);
BackendInfo BackendInfoFromJson(const nlohmann::json& j);

// Runs `<worker_exe> __probe LIB OUT`; an entry that was not built, or a
// probe that crashes or hangs, gives available=false with the reason.
BackendInfo DescribeBackendIsolated(const BackendEntry& entry, const std::string& worker_exe,
                                  double timeout_s = 120);

// The body of `dli __probe`: describes the library at `library_path` into
// `out_file` as JSON.
void WriteBackendDescription(const std::string& library_path, const std::string& out_file);

}  // namespace dli

#endif  // DLI_BACKEND_PROBE_H
