// Command-line parsing for the dli commands (on CLI11): declared options,
// generated --help, and UsageError (exit code 2) with one line for anything
// malformed.
#ifndef DLI_APPS_ARGS_H
#define DLI_APPS_ARGS_H

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dli::cli {

struct Option {
  std::string name;        // without the leading "--"
  std::string value_name;  // empty for a flag
  std::string help;
  bool repeatable = false;
};

class Args {
 public:
  Args(std::string usage, std::string summary, std::vector<Option> options,
       bool takes_positional = false);

  // Parses argv[first..]; throws UsageError. `--help`/`-h` sets help().
  void Parse(int argc, char** argv, int first);
  bool help() const { return help_; }
  std::string HelpText() const;

  bool Has(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  // Throws UsageError("--name is required") when absent.
  std::string Require(const std::string& name) const;
  // Whole-number / real values with a lower bound; UsageError otherwise.
  long long GetInt(const std::string& name, long long fallback, long long min) const;
  double GetDouble(const std::string& name, double fallback, double min) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  const Option* Find(const std::string& name) const;
  // Keeps one value of `option` as CLI11 reads it; UsageError when it is
  // one too many or a flag was given a value.
  void Store(const Option& option, const std::string& value);
  std::string usage_, summary_;
  std::vector<Option> options_;
  bool takes_positional_;
  bool help_ = false;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Comma-separated positive integers ("1,2,4,8"); UsageError otherwise.
std::vector<int> ParseBatchList(const std::string& text);

}  // namespace dli::cli

#endif  // DLI_APPS_ARGS_H
