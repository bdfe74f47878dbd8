// The one check of a backend parameter's value against its dli_param_info.
// The core runs it on every test point before a backend is loaded (so a bad
// value is a usage error), and the SDK runs it again inside the backend
// before open() (so a backend never sees a value its table does not allow):
// both sides compile this header, accept the same values and give the same
// message. Header-only, with std:: types inside only: the core and each
// backend compile it with their own libstdc++ ABI flag, and nothing defined
// here crosses the C boundary of backend_abi.h.
//
// The rules, by the parameter's declared type:
//   every type  ""  means "not set": the parameter's declared default applies
//                   (a default of "" is the framework's own default).
//   "int"       a whole decimal number that fits a C int, within
//               [min_value, max_value] where the table declares them.
//   "bool"      true/false, 1/0, yes/no or on/off, in any case.
//   "choice"    exactly one of the '|'-separated choices.
//   "string"    anything; the backend parses it.
#ifndef DLI_PARAM_CHECK_H
#define DLI_PARAM_CHECK_H

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "dli/backend_abi.h"

namespace dli::param_check {

// "42", "-3", "+7" -> the number; nullopt for anything else (spaces, a
// fraction, a value outside a C int).
inline std::optional<int> ParseInt(const std::string& text) {
  if (text.empty() ||
      !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '+'))
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size() || value < INT_MIN || value > INT_MAX)
    return std::nullopt;
  return static_cast<int>(value);
}

inline std::optional<bool> ParseBool(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

// The '|'-separated choices of a "choice" parameter.
inline std::vector<std::string> Choices(const dli_param_info& param) {
  std::vector<std::string> choices;
  const std::string text = param.choices ? param.choices : "";
  for (size_t begin = 0; begin <= text.size();) {
    const size_t end = std::min(text.find('|', begin), text.size());
    if (end > begin) choices.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return choices;
}

// "" when `value` is allowed for `param`; otherwise one line for the user,
// "parameter <name>=<value>: expected ...".
inline std::string Check(const dli_param_info& param, const std::string& value) {
  if (value.empty()) return "";
  const std::string type = param.type ? param.type : "";
  const std::string problem = "parameter " + std::string(param.name) + "=" + value + ": expected ";
  if (type == "int") {
    const std::string min_text = param.min_value ? param.min_value : "";
    const std::string max_text = param.max_value ? param.max_value : "";
    const std::optional<int> min = ParseInt(min_text), max = ParseInt(max_text);
    if ((!min_text.empty() && !min) || (!max_text.empty() && !max))
      return "parameter " + std::string(param.name) + ": the backend declares the range [" +
             min_text + ", " + max_text + "], which is not made of integers";
    std::string expected = "an integer";
    if (min && max)
      expected += " from " + min_text + " to " + max_text;
    else if (min)
      expected += " >= " + min_text;
    else if (max)
      expected += " <= " + max_text;
    const std::optional<int> number = ParseInt(value);
    if (!number || (min && *number < *min) || (max && *number > *max)) return problem + expected;
  } else if (type == "bool") {
    if (!ParseBool(value)) return problem + "true or false";
  } else if (type == "choice") {
    const std::vector<std::string> choices = Choices(param);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::string listed;
      for (const std::string& choice : choices) listed += (listed.empty() ? "" : ", ") + choice;
      return problem + "one of " + listed;
    }
  }
  return "";
}

}  // namespace dli::param_check

#endif  // DLI_PARAM_CHECK_H
