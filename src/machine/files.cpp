#include "machine/files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/text.h"

namespace dli {

std::string UnderRoot(const std::string& root, const std::string& path) {
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + path;
}

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return Trim(line);
}

std::optional<long long> ReadNumber(const std::string& path) {
  const auto line = ReadLine(path);
  return line ? ParseInt(*line) : std::nullopt;
}

std::vector<std::string> CpuDirs(const std::string& root) {
  std::vector<std::pair<long long, std::string>> found;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(UnderRoot(root, "/sys/devices/system/cpu"), error)) {
    const std::string name = entry.path().filename().string();
    if (!StartsWith(name, "cpu")) continue;
    if (const auto number = ParseInt(name.substr(3)); number && std::isdigit(name[3]))
      found.emplace_back(*number, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> dirs;
  for (auto& [number, dir] : found) dirs.push_back(std::move(dir));
  return dirs;
}

}  // namespace dli
