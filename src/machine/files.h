// Reading the small text files of /proc and /sys under a root directory, so
// that tests can point every reader at a fixture tree.
#ifndef DLI_MACHINE_FILES_H
#define DLI_MACHINE_FILES_H

#include <optional>
#include <string>
#include <vector>

namespace dli {

// `root` + `path` ("/" + "/proc/stat" -> "/proc/stat").
std::string UnderRoot(const std::string& root, const std::string& path);
// The whole file, or nullopt when it cannot be read.
std::optional<std::string> ReadText(const std::string& path);
// The first line without surrounding white space, or nullopt.
std::optional<std::string> ReadLine(const std::string& path);
// The file's first line as a whole number, or nullopt.
std::optional<long long> ReadNumber(const std::string& path);
// Directories cpu0, cpu1, ... under `root`/sys/devices/system/cpu, by number.
std::vector<std::string> CpuDirs(const std::string& root);

}  // namespace dli

#endif  // DLI_MACHINE_FILES_H
