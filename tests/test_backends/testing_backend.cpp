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
// A file holding "N multi" is a text-encoder-like model instead: inputs
// input_ids (i64), attention_mask (i64), both [batch, ?] with the sequence
// length open, and features (f32, [batch, 4]); outputs pooled (f32,
// [batch, 4]) = features + sum(input_ids * attention_mask) per item, and
// counts (f16, [batch, 2]) = {sum(attention_mask), sequence length}, so a
// test sees that every input arrived and every output was read.
//
// It has both kinds of request calls of backend_abi.h (at most kMaxRequests
// slots): infer_request runs a slot's request on the caller's thread;
// start_request runs it on a thread of its own, and wait_request returns the
// slots in the order they finish.
#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "dli/backend_sdk.h"

namespace {

using dli::sdk::Spec;

// IEEE half bits of a float in half's normal range (or 0), rounded toward
// zero: enough for the small integers the multi model writes.
uint16_t HalfBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const int exponent = static_cast<int>((bits >> 23) & 0xffu) - 127 + 15;
  if (exponent <= 0) return static_cast<uint16_t>(sign);
  if (exponent >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exponent) << 10) |
                               ((bits >> 13) & 0x3ffu));
}

class TestingSession : public dli::sdk::Session {
 public:
  TestingSession(const Spec& spec, long repeats, bool multi)
      : batch_(spec.batch),
        repeats_(repeats),
        sleep_ms_(spec.IntParam("sleep_ms", 0)),
        mode_(spec.IntParam("fault_batch", spec.batch) == spec.batch ? spec.Param("mode", "ok")
                                                                     : "ok") {
    for (const auto& [name, dims] : spec.shapes)
      if (multi ? name != "input_ids" && name != "attention_mask" && name != "features"
                : name != "input")
        throw std::runtime_error("the model has no input '" + name + "'");
    if (!multi) {
      inputs_ = {
          dli::sdk::MakeTensorInfo("input", DLI_DTYPE_F32, DLI_LAYOUT_NCHW,
                                   dli::sdk::ResolveShape(spec, "input", {-1, 3, kSide, kSide}))};
      outputs_ = {dli::sdk::MakeTensorInfo("sums", DLI_DTYPE_F32, DLI_LAYOUT_OTHER, {batch_, 1})};
      return;
    }
    const std::vector<int64_t> ids = dli::sdk::ResolveShape(spec, "input_ids", {-1, -1});
    const std::vector<int64_t> mask = dli::sdk::ResolveShape(spec, "attention_mask", {-1, -1});
    if (ids != mask)
      throw std::runtime_error("input_ids " + dli::sdk::ShapeText(ids) + " and attention_mask " +
                               dli::sdk::ShapeText(mask) + " differ");
    const std::vector<int64_t> features = dli::sdk::ResolveShape(spec, "features", {-1, 4});
    sequence_ = static_cast<size_t>(ids[1]);
    inputs_ = {dli::sdk::MakeTensorInfo("input_ids", DLI_DTYPE_I64, DLI_LAYOUT_OTHER, ids),
               dli::sdk::MakeTensorInfo("attention_mask", DLI_DTYPE_I64, DLI_LAYOUT_OTHER, mask),
               dli::sdk::MakeTensorInfo("features", DLI_DTYPE_F32, DLI_LAYOUT_OTHER, features)};
    outputs_ = {dli::sdk::MakeTensorInfo("pooled", DLI_DTYPE_F32, DLI_LAYOUT_OTHER, {batch_, 4}),
                dli::sdk::MakeTensorInfo("counts", DLI_DTYPE_F16, DLI_LAYOUT_OTHER, {batch_, 2})};
  }

  std::vector<dli_tensor_info> Inputs() override { return inputs_; }
  std::vector<dli_tensor_info> Outputs() override { return outputs_; }
  void SetInputs(const void* const* batches, size_t n) override {
    batches_.assign(batches, batches + n * inputs_.size());
  }
  ~TestingSession() override {
    for (Request& r : requests_)
      if (r.thread.joinable()) r.thread.join();
  }
  void Bind(size_t index) override { current_ = index; }
  void Infer() override { Run(current_, result_); }
  void ReadOutput(size_t output, float* dst, size_t n) override {
    if (output == 0) {
      std::copy(result_.first.begin(), result_.first.begin() + n, dst);
    } else {
      dli::sdk::CopyAsFloat(result_.second.data(), DLI_DTYPE_F16, n, dst);
    }
  }

  void OpenRequests(size_t n) override { requests_ = std::vector<Request>(n); }
  void BindRequest(size_t slot, size_t index) override { requests_[slot].batch = index; }
  void InferRequest(size_t slot) override { Run(requests_[slot].batch, requests_[slot].result); }
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
  // Output 0 as floats, output 1 (multi model) as half bits.
  using Result = std::pair<std::vector<float>, std::vector<uint16_t>>;
  struct Request {
    size_t batch = 0;
    Result result;
    std::thread thread;
  };

  const void* Input(size_t batch, size_t input) const {
    return batches_[batch * inputs_.size() + input];
  }

  void Run(size_t batch, Result& result) const {
    if (mode_ == "crash") std::raise(SIGSEGV);
    if (mode_ == "abort") std::abort();
    if (mode_ == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
    if (mode_ == "fail") throw std::runtime_error("testing backend: failure requested");
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    if (inputs_.size() == 1) {
      Sums(static_cast<const float*>(Input(batch, 0)), result.first);
    } else {
      Encode(static_cast<const int64_t*>(Input(batch, 0)),
             static_cast<const int64_t*>(Input(batch, 1)),
             static_cast<const float*>(Input(batch, 2)), result);
    }
  }

  void Sums(const float* input, std::vector<float>& sums) const {
    sums.assign(batch_, 0.0f);
    for (long r = 0; r < repeats_; ++r)
      for (int b = 0; b < batch_; ++b) {
        float s = 0;
        const float* item = input + b * ItemFloats();
        for (size_t i = 0; i < ItemFloats(); ++i) s += item[i];
        sums[b] = s;
      }
  }

  void Encode(const int64_t* ids, const int64_t* mask, const float* features,
              Result& result) const {
    result.first.assign(static_cast<size_t>(batch_) * 4, 0.0f);
    result.second.assign(static_cast<size_t>(batch_) * 2, 0);
    for (int b = 0; b < batch_; ++b) {
      int64_t weighted = 0, ones = 0;
      for (size_t s = 0; s < sequence_; ++s) {
        weighted += ids[b * sequence_ + s] * mask[b * sequence_ + s];
        ones += mask[b * sequence_ + s];
      }
      for (int k = 0; k < 4; ++k)
        result.first[b * 4 + k] = features[b * 4 + k] + static_cast<float>(weighted);
      result.second[b * 2] = HalfBits(static_cast<float>(ones));
      result.second[b * 2 + 1] = HalfBits(static_cast<float>(sequence_));
    }
  }

  static constexpr int kSide = 224;
  static size_t ItemFloats() { return 3 * kSide * kSide; }
  int batch_;
  long repeats_;
  long sleep_ms_;
  std::string mode_;
  size_t sequence_ = 0;
  std::vector<dli_tensor_info> inputs_, outputs_;
  std::vector<const void*> batches_;
  size_t current_ = 0;
  Result result_;
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
    std::string variant;
    in >> variant;
    return std::make_unique<TestingSession>(spec, repeats, variant == "multi");
  }
};

}  // namespace

DLI_DEFINE_BACKEND(TestingBackend)
