// Checks every backend runs before handing its inputs to a framework: model
// files, devices and precisions, parameter values, and the shaping of
// framework messages into the one-line errors of backend_abi.h.
// Header-only, compiled inside each backend like backend_sdk.h.
#ifndef DLI_BACKEND_CHECKS_H
#define DLI_BACKEND_CHECKS_H

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dli/backend_abi.h"
#include "dli/backend_sdk.h"
#include "dli/param_check.h"

namespace dli::sdk {

inline std::string ToLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Joins the non-empty lines of a multi-line framework message into one line
// (dropping the "> " quote marks OpenCV puts in front of details), cut at
// max_chars.
inline std::string OneLine(const std::string& text, size_t max_chars = 400) {
  std::stringstream stream(text);
  std::string joined;
  for (std::string line; std::getline(stream, line);) {
    const size_t first = line.find_first_not_of(" \t\r>");
    if (first == std::string::npos) continue;
    const size_t last = line.find_last_not_of(" \t\r");
    if (!joined.empty()) joined += ' ';
    joined += line.substr(first, last - first + 1);
  }
  if (joined.size() > max_chars) joined = joined.substr(0, max_chars) + "...";
  return joined;
}

enum class PathKind { kFile, kDirectory };

// Throws unless `path` names an existing file (or directory). `expected`
// says what the backend reads there, e.g. "TorchScript model (.pt)".
inline void RequirePath(const std::string& path, PathKind kind, const std::string& expected) {
  if (path.empty()) throw std::runtime_error("no model path given; expected " + expected);
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored))
    throw std::runtime_error("model file not found: " + path);
  const bool is_dir = std::filesystem::is_directory(path, ignored);
  if (kind == PathKind::kFile && is_dir)
    throw std::runtime_error("'" + path + "' is a directory; expected " + expected);
  if (kind == PathKind::kDirectory && !is_dir)
    throw std::runtime_error("'" + path + "' is not a directory; expected " + expected);
}

inline bool IsRegularFile(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::is_regular_file(path, ignored);
}

// ".onnx" for "dir/Model.ONNX"; "" when the file name has no extension.
inline std::string LowerExtension(const std::string& path) {
  return ToLower(std::filesystem::path(path).extension().string());
}

// The weights file of a two-file model format: spec.weights_path when given,
// else the model's path with `extension`. `pairing` explains the pair, e.g.
// "an OpenVINO IR .xml needs its .bin".
inline std::string RequireWeightsFile(const Spec& spec, const std::string& extension,
                                      const std::string& pairing) {
  const std::string weights =
      spec.weights_path.empty()
          ? std::filesystem::path(spec.model_path).replace_extension(extension).string()
          : spec.weights_path;
  if (!IsRegularFile(weights))
    throw std::runtime_error("weights file not found: " + weights + " (" + pairing + ")");
  return weights;
}

// Throws unless `value` is one of the comma-separated `supported` values,
// e.g. RequireSupported("device", spec.device, "CPU").
inline void RequireSupported(const std::string& what, const std::string& value,
                             const std::string& supported) {
  std::stringstream stream(supported);
  for (std::string item; std::getline(stream, item, ',');)
    if (item == value) return;
  throw std::runtime_error(what + " '" + value + "' is not supported (supported: " + supported +
                           ")");
}

// "3x224x224" -> {3, 224, 224}; every dimension must be >= 1.
inline std::vector<int64_t> ParseDims(const std::string& key, const std::string& text) {
  std::vector<int64_t> dims;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, 'x');) {
    char* end = nullptr;
    const long long dim = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || dim < 1)
      throw std::runtime_error("parameter " + key + "=" + text +
                               ": expected dimensions like 3x224x224");
    dims.push_back(dim);
  }
  if (dims.empty())
    throw std::runtime_error("parameter " + key + " is empty: expected dimensions like 3x224x224");
  return dims;
}

// Rejects unknown keys and values that dli/param_check.h does not allow for
// the backend's parameter table.
inline void CheckParams(const Spec& spec, const dli_param_info* params, size_t n_params) {
  for (const auto& [key, value] : spec.params) {
    const dli_param_info* info = nullptr;
    std::string known;
    for (size_t i = 0; i < n_params; ++i) {
      if (key == params[i].name) info = &params[i];
      known += (i ? ", " : "") + std::string(params[i].name);
    }
    if (info == nullptr)
      throw std::runtime_error("unknown parameter '" + key + "' (known: " + known + ")");
    if (const std::string problem = param_check::Check(*info, value); !problem.empty())
      throw std::runtime_error(problem);
  }
}

template <typename Backend>
void CheckSpec(const Spec& spec) {
  size_t n_params = 0;
  const dli_param_info* params = Backend::Params(&n_params);
  CheckParams(spec, params, n_params);
  RequireSupported("device", spec.device, Backend::Devices());
  RequireSupported("precision", spec.precision, Backend::Precisions());
  if (spec.batch < 1)
    throw std::runtime_error("batch " + std::to_string(spec.batch) + " is not >= 1");
}

}  // namespace dli::sdk

#endif  // DLI_BACKEND_CHECKS_H
