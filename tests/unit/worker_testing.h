// A models folder for the worker's tests (a prepared model for the test
// backend, a bundled dataset) and environment variables set for one test.
#ifndef DLI_TESTS_WORKER_TESTING_H
#define DLI_TESTS_WORKER_TESTING_H

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "core/files.h"
#include "core/model.h"
#include "core/point.h"

namespace dli::testing {

// Sets an environment variable until the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// <root>/m/model.json with one format for the test backend ("testing-fp32",
// m.txt: the backend's repeat count) and <root>/_datasets/set1/.
inline void MakeModelsDir(const std::filesystem::path& root, const std::string& repeats = "1") {
  std::filesystem::create_directories(root / "m");
  std::filesystem::create_directories(root / "_datasets" / "set1");
  std::ofstream(root / "m" / "m.txt") << repeats << "\n";
  std::ofstream(root / "m" / "model.json") << R"({"name": "m", "task": "image_classification",
      "formats": [{"id": "testing-fp32", "format": "text", "precision": "FP32",
                   "path": "m.txt", "frameworks": ["testing"]}]})";
}

// A performance point of the prepared model on the test backend: 200 timed
// requests on synthetic data.
inline PointSpec TestingPoint() {
  PointSpec s;
  s.framework = "testing";
  ApplyModel(s, ResolveModel("m", "testing", "FP32"));
  s.batch = 1;
  s.input.max_images = 4;
  s.measure.warmup = 2;
  s.measure.stop.iterations = 200;
  s.timeout_s = 60;
  return s;
}

}  // namespace dli::testing

#endif  // DLI_TESTS_WORKER_TESTING_H
