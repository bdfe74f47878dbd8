// The core's side of the backend ABI: loading a backend library, discovering
// which backends exist, and a C++ session wrapper that turns the backend's
// error codes into exceptions.
#ifndef DLI_BACKEND_H
#define DLI_BACKEND_H

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/measure.h"
#include "core/slot_threads.h"
#include "core/throughput.h"
#include "dli/backend_abi.h"
#include "dli/dtypes.h"

namespace dli {

// A backend parameter as its dli_param_info declares it ("" for a NULL field).
struct ParamDesc {
  std::string name, type, default_value, choices, help;
  std::string min_value, max_value;  // bounds of an "int"; "" when open
};

// Everything `dli info` shows about one backend.
struct BackendInfo {
  std::string name;
  std::string display_name;
  std::string path;
  bool available = false;
  std::string reason;  // why not available
  std::string version;
  std::string model_formats;
  std::string notes;
  std::vector<std::string> devices;
  std::vector<std::string> precisions;
  std::vector<ParamDesc> params;
  // Throughput mode's mechanism (RequestCallsText): "async" or "concurrent"
  // request calls on one session, or "" for one session per request.
  std::string request_calls;
  size_t max_requests = 0;  // 0 = no limit of the backend's own
};

// What `dli info` and the docs say about a backend's throughput mechanism.
std::string RequestCallsText(const BackendInfo& info);

// A backend found on disk: a built library, or a marker that says why it was
// not built.
struct BackendEntry {
  std::string name;
  std::string library_path;  // empty when not built
  std::string not_built_reason;
};

// DLI_BACKEND_PATH (colon-separated) or <dir of the dli binary>/../lib/dli.
std::vector<std::string> BackendSearchDirs();
std::vector<BackendEntry> DiscoverBackends(const std::vector<std::string>& dirs);
// Throws UsageError naming the known frameworks when `name` is not one.
BackendEntry FindBackend(const std::string& name);

using ParamList = std::vector<std::pair<std::string, std::string>>;
// Full input shapes (batch first) by input name, in the order given.
using ShapeList = std::vector<std::pair<std::string, std::vector<int64_t>>>;

// Checks `value` against the parameter's declaration with the checker the
// backends run too (dli/param_check.h: "" means "not set"); "" when fine,
// otherwise a message for the user.
std::string ValidateParamValue(const ParamDesc& p, const std::string& value);
// The values a parameter takes, for `dli info`: its choices ("A|B"), or its
// type with an integer's range ("int >= 1", "int <= 8", "int 1..8").
std::string ParamValuesText(const ParamDesc& p);

class BackendLibrary;

class Session : public InferenceTarget {
 public:
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Every input and output in the model's order, asked once at open.
  const std::vector<dli_tensor_info>& Inputs() const { return inputs_; }
  const std::vector<dli_tensor_info>& Outputs() const { return outputs_; }
  // batches[b * Inputs().size() + i] is input i of batch b, exactly its
  // size; they must outlive the session.
  void SetInputs(const std::vector<const void*>& batches);
  void Bind(size_t batch_index) override;
  void Infer() override;
  // Output `index` of the last Infer(), as float32.
  std::vector<float> ReadOutput(size_t index);

  // The request calls of backend_abi.h; each throws when the backend has
  // none or the call fails.
  bool HasAsyncRequests() const;
  bool HasConcurrentRequests() const;
  void OpenRequests(size_t n);
  void BindRequest(size_t slot, size_t batch_index);
  void InferRequest(size_t slot);  // thread-safe across slots
  void StartRequest(size_t slot);
  // The slot of the next finished request and its error ("" when it ran).
  std::pair<size_t, std::string> WaitRequest();

 private:
  friend class BackendLibrary;
  Session(const dli_backend* api, dli_session* handle);
  dli_tensor_info Info(bool input, size_t index);
  const dli_backend* api_;
  dli_session* handle_;
  char err_[2048];
  std::vector<dli_tensor_info> inputs_, outputs_;
};

class BackendLibrary {
 public:
  // dlopens the library and checks its ABI version; throws on failure.
  static std::unique_ptr<BackendLibrary> Load(const std::string& library_path);
  ~BackendLibrary();
  BackendLibrary(const BackendLibrary&) = delete;
  BackendLibrary& operator=(const BackendLibrary&) = delete;

  // Probes the framework and fills every field; never throws for an
  // unavailable framework (available=false with the reason instead).
  BackendInfo Describe() const;
  // Throws when the framework cannot be used here.
  void Probe() const;

  struct OpenArgs {
    std::string model_path, weights_path, device, precision;
    int batch = 1;
    int requests = 0;  // 0 in latency mode, else the requests in flight
    ParamList params;
    ShapeList shapes;  // dli_model_spec.shapes
  };
  std::unique_ptr<Session> Open(const OpenArgs& args) const;

 private:
  BackendLibrary(void* handle, const dli_backend* api, std::string path);
  void* handle_;
  const dli_backend* api_;
  std::string path_;
};

// Throughput mode on the backend's asynchronous request calls: one session,
// `slots` requests. The slots are opened by the constructor.
class AsyncSessionRequests : public AsyncInferenceTarget {
 public:
  AsyncSessionRequests(Session& session, size_t slots, Clock clock = SteadyClockMs);
  size_t Slots() const override { return slots_; }
  void Bind(size_t slot, size_t batch_index) override { session_.BindRequest(slot, batch_index); }
  void Start(size_t slot) override { session_.StartRequest(slot); }
  // The completion time is read when wait_request returns.
  Completion WaitAny() override;

 private:
  Session& session_;
  size_t slots_;
  Clock clock_;
};

// Throughput mode on the backend's thread-safe infer_request: one session,
// request slots opened by the constructor, driven by ThreadPerSlot.
class ConcurrentSessionRequests : public ConcurrentInferenceTarget {
 public:
  ConcurrentSessionRequests(Session& session, size_t slots);
  void Bind(size_t slot, size_t batch_index) override { session_.BindRequest(slot, batch_index); }
  void Infer(size_t slot) override { session_.InferRequest(slot); }

 private:
  Session& session_;
};

size_t ElementCount(const dli_tensor_info& t);
std::string DtypeName(dli_dtype t);               // as model.json names it: float32, int64, ...
std::string ShapeText(const dli_tensor_info& t);  // "[1,3,224,224]"
// The shapes of several tensors: one as ShapeText, more each with its name
// ("input_ids [1,128]; attention_mask [1,128]").
std::string ShapesText(const std::vector<dli_tensor_info>& tensors);
// "1x128" (-1 as "?").
std::string DimsText(const std::vector<int64_t>& dims);

}  // namespace dli

#endif  // DLI_BACKEND_H
