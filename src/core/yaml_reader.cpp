#include "core/yaml_reader.h"

#include <filesystem>

#include "core/error.h"
#include "core/text.h"

namespace dli {

YAML::Node LoadYamlFile(const std::string& path, const std::string& what) {
  if (!std::filesystem::is_regular_file(path)) throw UsageError(what + " file not found: " + path);
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    throw UsageError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

void YamlReader::Fail(const YAML::Node& node, const std::string& msg) const {
  throw UsageError(Where(node.Mark()) + ": " + msg);
}

std::string YamlReader::Where(const YAML::Mark& m) const {
  return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void YamlReader::CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                           const std::string& what) const {
  if (!map.IsMap()) Fail(map, what + " must be a mapping");
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      Fail(kv.first,
           "unknown key '" + key + "' in " + what + "; expected one of " + Join(names, ", "));
    }
  }
}

std::string YamlReader::Scalar(const YAML::Node& n, const std::string& what) const {
  if (!n.IsScalar()) Fail(n, what + " must be a single value");
  return n.Scalar();
}

std::vector<std::string> YamlReader::List(const YAML::Node& n, const std::string& what) const {
  std::vector<std::string> out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) Fail(n, what + " must be a value or a list of values");
  for (const YAML::Node& item : n) out.push_back(Scalar(item, "each of " + what));
  if (out.empty()) Fail(n, what + " must not be empty");
  return out;
}

long long YamlReader::Int(const YAML::Node& n, const std::string& what, long long min) const {
  const auto v = ParseInt(Scalar(n, what));
  if (!v) Fail(n, what + " must be a whole number, got '" + n.Scalar() + "'");
  if (*v < min) Fail(n, what + " must be at least " + std::to_string(min));
  return *v;
}

double YamlReader::Real(const YAML::Node& n, const std::string& what, double min) const {
  const auto v = ParseDouble(Scalar(n, what));
  if (!v) Fail(n, what + " must be a number, got '" + n.Scalar() + "'");
  if (*v < min) Fail(n, what + " must be at least " + FormatFixed(min, 3));
  return *v;
}

bool YamlReader::Bool(const YAML::Node& n, const std::string& what) const {
  const auto v = ParseBool(Scalar(n, what));
  if (!v) Fail(n, what + " must be true or false");
  return *v;
}

}  // namespace dli
