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
//
// It has both kinds of request calls of backend_abi.h (at most kMaxRequests
// slots): infer_request runs a slot's request on the caller's thread;
// start_request runs it on a thread of its own, and wait_request returns the
// slots in the order they finish.
#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
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
  ~TestingSession() override {
    for (Request& r : requests_)
      if (r.thread.joinable()) r.thread.join();
  }
  void Bind(size_t index) override { current_ = static_cast<const float*>(batches_[index]); }
  void Infer() override { Run(current_, sums_); }
  void ReadOutput(float* dst, size_t n) override {
    std::copy(sums_.begin(), sums_.begin() + n, dst);
  }

  void OpenRequests(size_t n) override { requests_ = std::vector<Request>(n); }
  void BindRequest(size_t slot, size_t index) override {
    requests_[slot].input = static_cast<const float*>(batches_[index]);
  }
  void InferRequest(size_t slot) override { Run(requests_[slot].input, requests_[slot].sums); }
  void StartRequest(size_t slot) override {
    Request& r = requests_[slot];
    if (r.thread.joinable()) r.thread.join();
    r.thread = std::thread([this, slot] {
      std::string error;
      try {
        InferRequest(slot);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back({slot, error});
      finished_.notify_one();
    });
  }
  size_t WaitRequest() override {
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return !done_.empty(); });
    const auto [slot, error] = done_.front();
    done_.pop_front();
    if (!error.empty()) throw dli::sdk::RequestFailed(slot, error);
    return slot;
  }

 private:
  struct Request {
    const float* input = nullptr;
    std::vector<float> sums;
    std::thread thread;
  };

  void Run(const float* input, std::vector<float>& sums) const {
    if (mode_ == "crash") std::raise(SIGSEGV);
    if (mode_ == "abort") std::abort();
    if (mode_ == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
    if (mode_ == "fail") throw std::runtime_error("testing backend: failure requested");
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    sums.assign(batch_, 0.0f);
    for (long r = 0; r < repeats_; ++r)
      for (int b = 0; b < batch_; ++b) {
        float s = 0;
        const float* item = input + b * ItemFloats();
        for (size_t i = 0; i < ItemFloats(); ++i) s += item[i];
        sums[b] = s;
      }
  }

  static constexpr int kSide = 224;
  static size_t ItemFloats() { return 3 * kSide * kSide; }
  int batch_;
  long repeats_;
  long sleep_ms_;
  std::string mode_;
  std::vector<const void*> batches_;
  const float* current_ = nullptr;
  std::vector<float> sums_;
  std::vector<Request> requests_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::deque<std::pair<size_t, std::string>> done_;
};

struct TestingBackend {
  static constexpr const char* kName = "testing";
  static constexpr const char* kDisplayName = "Testing backend";
  static constexpr const char* kModelFormats = "text file holding a repeat count (.txt)";
  static constexpr unsigned kRequestCalls =
      dli::sdk::kConcurrentRequests | dli::sdk::kAsyncRequests;
  static constexpr size_t kMaxRequests = 16;
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
