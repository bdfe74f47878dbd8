#include "cli_common.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/error.h"
#include "core/isolation.h"
#include "core/backend_probe.h"
#include "report/report.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace dli::cli {

ParamList ParseParams(const std::vector<std::string>& items) {
  ParamList params;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--param expects key=value, got '" + item + "'");
    params.emplace_back(Trim(item.substr(0, eq)), Trim(item.substr(eq + 1)));
  }
  return params;
}

ProbedBackend ProbeBackend(const std::string& name) {
  ProbedBackend b;
  b.entry = FindBackend(name);
  b.info = DescribeBackendIsolated(b.entry, SelfExecutable());
  if (!b.info.available)
    throw UsageError("framework '" + name + "' is unavailable: " + b.info.reason);
  return b;
}

std::vector<BackendInfo> AvailableBackends(Executor& executor) {
  std::vector<BackendInfo> out;
  for (BackendInfo& info : executor.DescribeBackends()) {
    if (info.available)
      out.push_back(std::move(info));
    else if (!info.path.empty())  // built, but the framework cannot run here
      std::cerr << "note: skipping " << info.name << ": " << info.reason << "\n";
  }
  return out;
}

std::vector<BackendInfo> SelectBackends(Executor& executor, const std::string& list,
                                        const std::vector<BackendInfo>* available) {
  if (list == "all") return available ? *available : AvailableBackends(executor);
  // From `available` when it is there; the executor names the known
  // frameworks when `name` is none of them.
  auto describe = [&](const std::string& name) {
    if (available)
      for (const BackendInfo& b : *available)
        if (b.name == name) return b;
    return executor.DescribeBackend(name);
  };
  std::vector<BackendInfo> out;
  for (const std::string& name : Split(list, ',')) {
    out.push_back(describe(name));
    if (!out.back().available)
      throw UsageError("framework '" + name + "' is unavailable: " + out.back().reason);
  }
  if (out.empty()) throw UsageError("no framework given");
  return out;
}

void PrintConsoleReport(const ConsoleReport& report, std::ostream& out) {
  out << report.before;
  TextTable table(report.header);
  for (const std::vector<std::string>& row : report.rows) table.AddRow(row);
  table.Print(out);
  out << report.after << std::flush;
}

int RunForeground(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    execv(c_argv[0], c_argv.data());
    std::perror(c_argv[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw std::runtime_error(std::string("waitpid() failed: ") + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> PrepareCommand() {
  const fs::path script = fs::path(DliHome()) / "python" / "dli_models" / "prepare.py";
  if (!fs::exists(script))
    throw UsageError("model preparation script not found: " + script.string() +
                     " (set DLI_HOME to the DLI source folder)");
  return {"/usr/bin/python3", script.string(), "--models-dir", ModelsDir()};
}

}  // namespace dli::cli
