#include "openvino_messages.h"

#include <sstream>

#include "dli/backend_checks.h"

namespace dli::openvino_backend {
namespace {

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool IsSourceLocationLine(const std::string& line) {
  return StartsWith(line, "Exception from ") ||
         (StartsWith(line, "Check '") && line.find("' failed at ") != std::string::npos);
}

}  // namespace

std::string CleanOpenVinoMessage(const std::string& what) {
  std::stringstream stream(what);
  std::string kept;
  for (std::string line; std::getline(stream, line);) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || IsSourceLocationLine(line.substr(first))) continue;
    kept += line + '\n';
  }
  return sdk::OneLine(kept.empty() ? what : kept);
}

}  // namespace dli::openvino_backend
