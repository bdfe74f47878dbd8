// Small string helpers shared by the CLI, config and report code.
#ifndef DLI_TEXT_H
#define DLI_TEXT_H

#include <optional>
#include <string>
#include <vector>

namespace dli {

std::string Trim(const std::string& s);
std::vector<std::string> Split(const std::string& s, char sep);  // drops empty parts
std::string Join(const std::vector<std::string>& parts, const std::string& sep);
bool StartsWith(const std::string& s, const std::string& prefix);
bool EndsWith(const std::string& s, const std::string& suffix);
std::string ToLower(std::string s);
std::string ToUpper(std::string s);
// Whole-string parses: nullopt on any trailing garbage, overflow or empty text.
std::optional<long long> ParseInt(const std::string& s);
std::optional<double> ParseDouble(const std::string& s);
std::optional<bool> ParseBool(const std::string& s);
// "%.3f"-style formatting without iostream state.
std::string FormatFixed(double v, int decimals);
// Seconds as "42s", "3m7s" or "1h5m" (rounded to the second).
std::string FormatDuration(double seconds);

}  // namespace dli

#endif  // DLI_TEXT_H
