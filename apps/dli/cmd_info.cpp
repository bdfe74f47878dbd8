// `dli info`: the host and every framework backend; with --targets, those
// of every target's node.
#include <iostream>
#include <memory>

#include "args.h"
#include "commands.h"
#include "exec/backend_probe.h"
#include "core/error.h"
#include "core/host.h"
#include "exec/executor.h"
#include "exec/targets.h"
#include "report/report.h"
#include "study/dispatch.h"

namespace dli::cli {
namespace {

// Every target of FILE described by its node: reachable or why not, host,
// frameworks; differing framework versions flagged.
int InfoOnTargets(const std::string& file, bool as_json) {
  const Targets all = LoadTargets(file);
  CheckSlurmTargetsApart(all, all.targets);
  std::vector<std::unique_ptr<Executor>> executors;
  std::vector<Executor*> raw;
  std::vector<std::string> names;
  std::vector<TargetDescription> described;
  std::vector<std::string> refused(all.targets.size());  // key files: before connecting
  for (size_t i = 0; i < all.targets.size(); ++i) {
    const Target& t = all.targets[i];
    try {
      executors.push_back(MakeTargetExecutor(all, t));
    } catch (const std::exception& e) {
      refused[i] = e.what();
      continue;
    }
    raw.push_back(executors.back().get());
    names.push_back(t.name);
  }
  const std::vector<TargetDescription> reached = DescribeTargets(names, raw);
  for (size_t i = 0, j = 0; i < all.targets.size(); ++i)
    described.push_back(
        refused[i].empty() ? reached[j++] : TargetDescription{all.targets[i].name, {}, refused[i]});
  const std::vector<std::string> warnings = VersionWarnings(described);

  if (as_json) {
    nlohmann::json doc = {{"tool", {{"name", "dli"}, {"version", DLI_VERSION}}},
                          {"targets", nlohmann::json::array()},
                          {"warnings", warnings}};
    for (size_t i = 0; i < described.size(); ++i) {
      const TargetDescription& d = described[i];
      nlohmann::json t = {{"name", d.name},
                          {"type", TargetTypeName(all.targets[i].type)},
                          {"reachable", d.node.has_value()}};
      if (!d.node) {
        t["error"] = d.error;
      } else {
        t["dli_version"] = DLI_VERSION;  // the worker protocol refuses any other
        t["host"] = HostToJson(d.node->host);
        t["frameworks"] = nlohmann::json::array();
        for (const BackendInfo& b : d.node->backends)
          t["frameworks"].push_back(BackendInfoToJson(b));
      }
      doc["targets"].push_back(std::move(t));
    }
    std::cout << doc.dump(2) << "\n";
    return kExitOk;
  }
  for (size_t i = 0; i < described.size(); ++i) {
    const TargetDescription& d = described[i];
    std::cout << "target " << d.name << " (" << TargetTypeName(all.targets[i].type) << "): ";
    if (!d.node) {
      std::cout << "unreachable: " << d.error << "\n\n";
      continue;
    }
    std::cout << "reachable, dli " << DLI_VERSION << "\n";
    PrintHostInfo(d.node->host, std::cout);
    if (!d.node->backends.empty()) PrintBackendInfo(d.node->backends, std::cout);
    std::cout << "\n";
  }
  for (const std::string& line : warnings) std::cout << "warning: " << line << "\n";
  return kExitOk;
}

}  // namespace

int RunInfo(int argc, char** argv) {
  Args args("dli info [--json] [--targets FILE]",
            "Shows the host (CPU, cores, memory, OS) and every framework backend: whether it\n"
            "is available (and if not, why), its version, devices, precisions, model formats\n"
            "and tunable parameters. Each backend is probed in its own process. With\n"
            "--targets, the same for the node of every target in FILE (docs/CLUSTER.md), or\n"
            "why it cannot be reached, and a warning for each framework whose version differs.",
            {{"json", "", "print machine-readable JSON instead of tables"},
             {"targets", "FILE", "describe the targets of this targets file"}});
  args.Parse(argc, argv, 2);
  if (args.help()) {
    std::cout << args.HelpText();
    return kExitOk;
  }
  if (args.Has("targets")) return InfoOnTargets(args.Get("targets"), args.Has("json"));
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
