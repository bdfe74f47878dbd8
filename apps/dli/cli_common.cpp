#include "cli_common.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "report/report.h"
#include "core/text.h"

namespace fs = std::filesystem;

namespace dli::cli {

MeasurementLock TakeMeasurementLock(bool no_wait) {
  return MeasurementLock(SelfCommandLine(), no_wait ? LockWait::kNoWait : LockWait::kWait,
                         std::cerr);
}

std::optional<uint32_t> SeedOption(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const auto v = ParseInt(text);
  if (!v || *v < 0 || *v > 0xFFFFFFFFLL)
    throw UsageError("--seed expects a whole number from 0 to 4294967295, got '" + text + "'");
  return static_cast<uint32_t>(*v);
}

std::string FlagsText(const PointResult& r) {
  return r.flags.empty() ? "" : "flags: " + Join(r.flags, ", ");
}

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

std::vector<BackendInfo> SelectBackends(FrameworkCatalog& frameworks, const std::string& list) {
  return frameworks.Select(list, [](const BackendInfo& info) {
    std::cerr << "note: skipping " << info.name << ": " << info.reason << "\n";
  });
}

ResultStore OpenResults(const std::string& path) {
  if (!fs::exists(path))
    throw UsageError("results database not found: " + path + " (dli run writes it)");
  return ResultStore(path);
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
