#include "core/host.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/text.h"

namespace dli {
namespace {

// The value after "key" and a separator in the first matching line of a
// "key: value" / "key=value" file, or "".
std::string FieldOf(const std::string& file, const std::string& key, char sep) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!StartsWith(line, key)) continue;
    const auto pos = line.find(sep);
    if (pos == std::string::npos) continue;
    if (Trim(line.substr(0, pos)) != key) continue;
    std::string value = Trim(line.substr(pos + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return "";
}

}  // namespace

HostInfo ReadHostInfo() {
  HostInfo h;
  char name[256] = "";
  if (gethostname(name, sizeof(name)) == 0) h.hostname = name;
  h.cpu_model = FieldOf("/proc/cpuinfo", "model name", ':');
  h.logical_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const std::string mem_kb = FieldOf("/proc/meminfo", "MemTotal", ':');
  if (auto kb = ParseInt(Split(mem_kb, ' ').empty() ? "" : Split(mem_kb, ' ')[0]))
    h.memory_mb = *kb / 1024;
  h.os = FieldOf("/etc/os-release", "PRETTY_NAME", '=');
  struct utsname u {};
  if (uname(&u) == 0) h.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  return h;
}

}  // namespace dli
