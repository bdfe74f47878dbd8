// Reading the project's YAML files (experiments, targets) with errors that
// name FILE:LINE:COLUMN, so a user can jump to the offending value.
#ifndef DLI_YAML_READER_H
#define DLI_YAML_READER_H

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dli {

// Parses `path`; UsageError "WHAT file not found: PATH" when it is missing and
// FILE:LINE:COL for a syntax error.
YAML::Node LoadYamlFile(const std::string& path, const std::string& what);

// Typed access to the nodes of one file; every failure is a UsageError that
// starts with FILE:LINE:COL of the node at fault.
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& msg) const;
  std::string Where(const YAML::Mark& m) const;
  // `map` must be a mapping whose keys are all in `allowed`.
  void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                 const std::string& what) const;
  std::string Scalar(const YAML::Node& n, const std::string& what) const;
  // A scalar or a non-empty list of scalars.
  std::vector<std::string> List(const YAML::Node& n, const std::string& what) const;
  long long Int(const YAML::Node& n, const std::string& what, long long min) const;
  double Real(const YAML::Node& n, const std::string& what, double min) const;
  bool Bool(const YAML::Node& n, const std::string& what) const;

 private:
  std::string file_;
};

}  // namespace dli

#endif  // DLI_YAML_READER_H
