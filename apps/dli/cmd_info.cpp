// `dli info`: the host and every framework backend.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "exec/backend_probe.h"
#include "core/error.h"
#include "core/host.h"
#include "exec/executor.h"
#include "report/report.h"

namespace dli::cli {

int RunInfo(int argc, char** argv) {
  Args args("dli info [--json]",
            "Shows the host (CPU, cores, memory, OS) and every framework backend: whether it\n"
            "is available (and if not, why), its version, devices, precisions, model formats\n"
            "and tunable parameters. Each backend is probed in its own process.",
            {{"json", "", "print machine-readable JSON instead of tables"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  const HostInfo host = ReadHostInfo();
  const std::vector<BackendInfo> backends = MakeLocalExecutor()->DescribeBackends();

  if (args.Has("json")) {
    nlohmann::json doc = {{"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                          {"host", HostToJson(host)},
                          {"backend_dirs", BackendSearchDirs()},
                          {"frameworks", nlohmann::json::array()}};
    for (const BackendInfo& p : backends) doc["frameworks"].push_back(BackendInfoToJson(p));
    std::cout << doc.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "dli " << DLI_VERSION << "\n\n";
  PrintHostInfo(host, std::cout);
  std::cout << "\n";
  if (backends.empty())
    std::cout << "no framework backends found in " << BackendSearchDirs().front() << "\n";
  else
    PrintBackendInfo(backends, std::cout);
  return kExitOk;
}

}  // namespace dli::cli
