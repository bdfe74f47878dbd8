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

namespace {

// NumPy .npy (format 1.0) of a float32 array.
void WriteNpyFloat32(const std::string& path, const std::vector<size_t>& shape,
                     const std::vector<float>& data) {
  std::vector<std::string> dims;
  for (size_t d : shape) dims.push_back(std::to_string(d));
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + Join(dims, ", ") +
                       (shape.size() == 1 ? ",), }" : "), }");
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  WriteFileAtomically(path, out);
}

}  // namespace

void WriteImagesNpy(const ImageSet& set, const std::string& layout, const std::string& path) {
  if (layout != "NCHW" && layout != "NHWC")
    throw std::invalid_argument("WriteImagesNpy: layout " + layout + " is not NCHW or NHWC");
  const HwcImage& first = set.images.front();
  const size_t n = set.images.size(), h = first.height, w = first.width, c = first.channels;
  std::vector<float> data;
  data.reserve(n * h * w * c);
  for (const HwcImage& im : set.images) {
    if (layout == "NHWC") {
      data.insert(data.end(), im.pixels.begin(), im.pixels.end());
      continue;
    }
    for (size_t ch = 0; ch < c; ++ch)
      for (size_t p = 0; p < h * w; ++p) data.push_back(im.pixels[p * c + ch]);
  }
  WriteNpyFloat32(
      path, layout == "NHWC" ? std::vector<size_t>{n, h, w, c} : std::vector<size_t>{n, c, h, w},
      data);
}

}  // namespace dli::cli
