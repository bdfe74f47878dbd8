#include <iostream>

#include "args.h"
#include "commands.h"
#include "dli/error.h"
#include "dli/host.h"
#include "dli/isolation.h"
#include "dli/plugin_probe.h"
#include "dli/report.h"

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
  std::vector<PluginInfo> plugins;
  const std::string self = SelfExecutable();
  for (const PluginEntry& entry : DiscoverPlugins(PluginSearchDirs()))
    plugins.push_back(DescribePluginIsolated(entry, self));

  if (args.Has("json")) {
    nlohmann::json doc = {{"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                          {"host", HostToJson(host)},
                          {"plugin_dirs", PluginSearchDirs()},
                          {"frameworks", nlohmann::json::array()}};
    for (const PluginInfo& p : plugins) doc["frameworks"].push_back(PluginInfoToJson(p));
    std::cout << doc.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "dli " << DLI_VERSION << "\n\n";
  PrintHostInfo(host, std::cout);
  std::cout << "\n";
  if (plugins.empty())
    std::cout << "no framework backends found in " << PluginSearchDirs().front() << "\n";
  else
    PrintPluginInfo(plugins, std::cout);
  return kExitOk;
}

}  // namespace dli::cli
