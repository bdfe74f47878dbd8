// Made-up predict-mode results for the tests of the quality checks: no
// backend runs, so every count and difference is known.
#ifndef DLI_TESTS_UNIT_CHECK_FAKES_H
#define DLI_TESTS_UNIT_CHECK_FAKES_H

#include <string>
#include <vector>

#include "core/error.h"
#include "core/point.h"

namespace dli::testing {

// A prediction whose top-1 is `top1` (the rest of the top-5 is 0).
inline Prediction Predicted(const std::string& file, int top1, std::vector<float> output = {}) {
  return {file, {top1, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, std::move(output)};
}

// A finished predict-mode run of `spec`.
inline PointResult Ran(const PointSpec& spec, std::vector<Prediction> predictions) {
  PointResult r;
  r.spec = spec;
  r.framework_version = spec.framework + "-1.0";
  r.predictions = std::move(predictions);
  return r;
}

inline PointSpec SpecOf(const std::string& framework, const std::string& format,
                        const std::string& precision) {
  PointSpec s;
  s.mode = "predict";
  s.framework = framework;
  s.model_format = format;
  s.precision = precision;
  return s;
}

inline BackendInfo Backend(const std::string& name, std::vector<std::string> precisions) {
  BackendInfo b;
  b.name = b.display_name = name;
  b.path = "/lib/dli/libdli_backend_" + name + ".so";
  b.available = true;
  b.devices = {"CPU"};
  b.precisions = std::move(precisions);
  return b;
}

// The message of the UsageError `f` throws, or "no UsageError".
template <typename F>
std::string UsageErrorOf(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

}  // namespace dli::testing

#endif  // DLI_TESTS_UNIT_CHECK_FAKES_H
