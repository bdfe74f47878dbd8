// A test-only backend ("testing") that needs no framework: it lets the core's
// tests drive the whole pipeline (CLI, isolation, measurement, JSON) on any
// machine. Its "model" is any text file holding a positive number N; a
// request computes, for each item of the batch, the sum of its input values,
// N times over (a small deterministic CPU workload). The `mode` parameter
// makes it misbehave on purpose: crash (SIGSEGV), hang, abort, or fail
// (a clean error) on the first infer(); with `fault_batch` set, only the
// point of that batch size misbehaves, so a test can check that the next
// point still runs. `sleep_ms` adds a service time that takes no CPU, so
// sessions on several threads overlap even on a small machine.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "dli/backend_sdk.h"

namespace {

using dli::sdk::Spec;

class TestingSession : public dli::sdk::Session {
 public:
  TestingSession(const Spec& spec, long repeats)
      : batch_(spec.batch),
        repeats_(repeats),
        sleep_ms_(spec.IntParam("sleep_ms", 0)),
        mode_(spec.IntParam("fault_batch", spec.batch) == spec.batch ? spec.Param("mode", "ok")
                                                                     : "ok") {}

  dli_tensor_info InputInfo() override {
    return dli::sdk::MakeTensorInfo("input", DLI_DTYPE_F32, DLI_LAYOUT_NCHW,
                                    {batch_, 3, kSide, kSide});
  }
  dli_tensor_info OutputInfo() override {
    return dli::sdk::MakeTensorInfo("sums", DLI_DTYPE_F32, DLI_LAYOUT_OTHER, {batch_, 1});
  }
  void SetInputs(const void* const* batches, size_t n, size_t) override {
    batches_.assign(batches, batches + n);
  }
  void Bind(size_t index) override { current_ = static_cast<const float*>(batches_[index]); }
  void Infer() override {
    if (mode_ == "crash") std::raise(SIGSEGV);
    if (mode_ == "abort") std::abort();
    if (mode_ == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
    if (mode_ == "fail") throw std::runtime_error("testing backend: failure requested");
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    sums_.assign(batch_, 0.0f);
    for (long r = 0; r < repeats_; ++r)
      for (int b = 0; b < batch_; ++b) {
        float s = 0;
        const float* item = current_ + b * ItemFloats();
        for (size_t i = 0; i < ItemFloats(); ++i) s += item[i];
        sums_[b] = s;
      }
  }
  void ReadOutput(float* dst, size_t n) override {
    std::copy(sums_.begin(), sums_.begin() + n, dst);
  }

 private:
  static constexpr int kSide = 224;
  static size_t ItemFloats() { return 3 * kSide * kSide; }
  int batch_;
  long repeats_;
  long sleep_ms_;
  std::string mode_;
  std::vector<const void*> batches_;
  const float* current_ = nullptr;
  std::vector<float> sums_;
};

struct TestingBackend {
  static constexpr const char* kName = "testing";
  static constexpr const char* kDisplayName = "Testing backend";
  static constexpr const char* kModelFormats = "text file holding a repeat count (.txt)";
  static void Probe() {}
  static const char* Version() { return "1.0"; }
  static const char* Devices() { return "CPU"; }
  static const char* Precisions() { return "FP32"; }
  static const char* Notes() { return "test-only: no framework"; }
  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info params[] = {
        {"mode", "choice", "ok", "ok|fail|crash|abort|hang", "misbehave on purpose", nullptr,
         nullptr},
        {"fault_batch", "int", "", nullptr, "misbehave only at this batch size", "1", nullptr},
        {"threads", "int", "", nullptr, "accepted and ignored", nullptr, nullptr},
        {"sleep_ms", "int", "0", nullptr, "sleep this long in each infer()", "0", nullptr}};
    *n = sizeof(params) / sizeof(params[0]);
    return params;
  }
  static std::unique_ptr<dli::sdk::Session> Open(const Spec& spec) {
    std::ifstream in(spec.model_path);
    long repeats = 0;
    if (!(in >> repeats) || repeats < 1)
      throw std::runtime_error("testing: cannot read '" + spec.model_path +
                               "': expected a text file holding a positive repeat count");
    return std::make_unique<TestingSession>(spec, repeats);
  }
};

}  // namespace

DLI_DEFINE_BACKEND(TestingBackend)
