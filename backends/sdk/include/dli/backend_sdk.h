// Header-only C++ helper for writing a DLI backend.
//
// It is compiled inside each backend (with that backend's own libstdc++ ABI
// flag), so std:: types never cross the C boundary of backend_abi.h. A backend
// implements a Session class and a Backend traits struct; DLI_DEFINE_BACKEND
// turns them into the exported C function table and translates every C++
// exception into the caller's error buffer.
//
// The adapter checks every call before it reaches the backend: open() gets a
// spec whose parameters fit the backend's table (dli/param_check.h), device
// and precision are declared ones and batch >= 1; the ring buffer's
// bookkeeping (how many batches were set, which call may follow which, the
// byte size of the batches) is the adapter's, so a Session only ever sees the
// calls its contract below describes.
//
//   struct MyBackend {
//     static constexpr const char* kName = "myfw";
//     static constexpr const char* kDisplayName = "My Framework";
//     static constexpr const char* kModelFormats = "My format (.my)";
//     static void Probe();                       // throws when unusable
//     static const char* Version();
//     static const char* Devices();
//     static const char* Precisions();
//     static const char* Notes();
//     static const dli_param_info* Params(size_t* n);
//     static std::unique_ptr<dli::sdk::Session> Open(const dli::sdk::Spec&);
//     // Optional, for throughput mode on one session (see Session below):
//     static constexpr unsigned kRequestCalls = dli::sdk::kAsyncRequests;
//     static constexpr size_t kMaxRequests = 0;  // 0 = no limit
//   };
//   DLI_DEFINE_BACKEND(MyBackend)
#ifndef DLI_BACKEND_SDK_H
#define DLI_BACKEND_SDK_H

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "dli/backend_abi.h"
#include "dli/dtypes.h"
#include "dli/param_check.h"

namespace dli::sdk {

// A test point's load parameters, copied out of the C struct.
struct Spec {
  std::string model_path;
  std::string weights_path;
  std::string device;
  std::string precision;
  int batch = 1;
  int requests = 0;  // 0 in latency mode, else the requests kept in flight
  std::map<std::string, std::string> params;
  // Full shapes (batch first) of inputs whose file leaves dimensions open,
  // by input name; see ResolveShape.
  std::map<std::string, std::vector<int64_t>> shapes;

  // The value the user set, or `fallback` when the key is absent or empty
  // (an empty value means "not set", see dli/param_check.h).
  std::string Param(const std::string& key, const std::string& fallback = "") const {
    auto it = params.find(key);
    return it == params.end() || it->second.empty() ? fallback : it->second;
  }
  // An "int" parameter, or `fallback` when not set. Its text has passed the
  // table's type and range check before Backend::Open.
  int IntParam(const std::string& key, int fallback) const {
    const std::string text = Param(key);
    if (text.empty()) return fallback;
    const std::optional<int> value = param_check::ParseInt(text);
    if (!value) throw std::runtime_error("parameter " + key + "=" + text + ": expected an integer");
    return *value;
  }
  // A "bool" parameter, or `fallback` when not set; checked like IntParam.
  bool BoolParam(const std::string& key, bool fallback) const {
    const std::string text = Param(key);
    if (text.empty()) return fallback;
    const std::optional<bool> value = param_check::ParseBool(text);
    if (!value)
      throw std::runtime_error("parameter " + key + "=" + text + ": expected true or false");
    return *value;
  }
};

// One open model. The adapter calls it in this order only, with arguments
// it has checked; an exception becomes the call's one-line error.
class Session {
 public:
  virtual ~Session() = default;
  // Every input and output in the model's order (at least one of each),
  // shapes resolved (ResolveShape); asked once, right after Open.
  virtual std::vector<dli_tensor_info> Inputs() = 0;
  virtual std::vector<dli_tensor_info> Outputs() = 0;
  // n_batches >= 1 batches; batches[b * n_inputs + i] is input i of batch b,
  // exactly that input's size in bytes, valid until the session closes.
  // Replaces the batches of an earlier call.
  virtual void SetInputs(const void* const* batches, size_t n_batches) = 0;
  // index < n_batches of the last successful SetInputs.
  virtual void Bind(size_t index) = 0;
  // Only after a successful Bind.
  virtual void Infer() = 0;
  // Only after a successful Infer since the last Bind; output < the number
  // of outputs and n_values its element count.
  virtual void ReadOutput(size_t output, float* dst, size_t n_values) = 0;

  // Request slots (backend_abi.h, "Request slots"), used only when the
  // Backend declares kRequestCalls: kConcurrentRequests needs OpenRequests,
  // BindRequest and InferRequest, kAsyncRequests OpenRequests, BindRequest,
  // StartRequest and WaitRequest. The adapter checks slot numbers, batch
  // indices and the order of calls per slot before they arrive here.
  //
  // After SetInputs; n >= 1 slots, replacing earlier ones.
  virtual void OpenRequests(size_t /*n*/) { Unsupported("open_requests"); }
  virtual void BindRequest(size_t /*slot*/, size_t /*index*/) { Unsupported("bind_request"); }
  // Called for distinct slots from several threads at once.
  virtual void InferRequest(size_t /*slot*/) { Unsupported("infer_request"); }
  virtual void StartRequest(size_t /*slot*/) { Unsupported("start_request"); }
  // Blocks until one started request finishes and returns its slot; throws
  // RequestFailed for a request that failed.
  virtual size_t WaitRequest() {
    Unsupported("wait_request");
    return 0;
  }

 private:
  [[noreturn]] static void Unsupported(const char* call) {
    throw std::logic_error(std::string(call) + "() is not implemented by this backend");
  }
};

// Which request calls a Backend's kRequestCalls declares (bit flags).
constexpr unsigned kConcurrentRequests = 1;
constexpr unsigned kAsyncRequests = 2;

// Thrown by WaitRequest for a request that finished with an error.
struct RequestFailed : std::runtime_error {
  RequestFailed(size_t failed_slot, const std::string& message)
      : std::runtime_error(message), slot(failed_slot) {}
  size_t slot;
};

// Builds a dli_tensor_info from a name, dtype, layout and shape.
inline dli_tensor_info MakeTensorInfo(const std::string& name, dli_dtype dtype, dli_layout layout,
                                      const std::vector<int64_t>& shape) {
  if (shape.size() > DLI_MAX_RANK)
    throw std::runtime_error("tensor '" + name + "' has rank " + std::to_string(shape.size()) +
                             ", more than " + std::to_string(DLI_MAX_RANK));
  dli_tensor_info info{};
  std::snprintf(info.name, sizeof(info.name), "%s", name.c_str());
  info.dtype = dtype;
  info.layout = layout;
  info.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) info.shape[i] = shape[i];
  return info;
}

// NCHW when the channel axis (3) is second, NHWC when it is last.
inline dli_layout GuessImageLayout(const std::vector<int64_t>& shape) {
  if (shape.size() != 4) return DLI_LAYOUT_OTHER;
  if (shape[1] == 3 || shape[1] == 1) return DLI_LAYOUT_NCHW;
  if (shape[3] == 3 || shape[3] == 1) return DLI_LAYOUT_NHWC;
  return DLI_LAYOUT_OTHER;
}

inline size_t ElementCount(const dli_tensor_info& t) {
  size_t n = 1;
  for (int i = 0; i < t.rank; ++i) n *= static_cast<size_t>(t.shape[i]);
  return n;
}

using ::dli::DtypeSize;  // dli/dtypes.h, shared with the core

inline const char* DtypeName(dli_dtype dtype) {
  switch (dtype) {
    case DLI_DTYPE_F32: return "f32";
    case DLI_DTYPE_U8: return "u8";
    case DLI_DTYPE_I8: return "i8";
    case DLI_DTYPE_F16: return "f16";
    case DLI_DTYPE_I32: return "i32";
    case DLI_DTYPE_I64: return "i64";
    case DLI_DTYPE_BOOL: return "bool";
  }
  return "?";
}

inline std::string ShapeText(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? "x" : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return text;
}

// The shape input `name` runs with, from the model file's `file_dims` (a
// negative value is an open dimension): the batch dimension (first) becomes
// spec.batch; a shape the spec gives for this input fills the others and
// must agree with every dimension the file fixes. Throws, naming the input
// and dimension, when one stays open.
inline std::vector<int64_t> ResolveShape(const Spec& spec, const std::string& name,
                                         const std::vector<int64_t>& file_dims) {
  std::vector<int64_t> dims = file_dims;
  auto given = spec.shapes.find(name);
  if (given != spec.shapes.end()) {
    if (given->second.size() != file_dims.size())
      throw std::runtime_error("shape " + ShapeText(given->second) + " for input '" + name +
                               "' has rank " + std::to_string(given->second.size()) +
                               "; the model's input is " + ShapeText(file_dims));
    for (size_t i = 1; i < dims.size(); ++i) {
      if (file_dims[i] >= 0 && file_dims[i] != given->second[i])
        throw std::runtime_error("shape " + ShapeText(given->second) + " for input '" + name +
                                 "' contradicts the model's " + ShapeText(file_dims));
      dims[i] = given->second[i];
    }
  }
  if (!dims.empty()) dims[0] = spec.batch;
  for (size_t i = 1; i < dims.size(); ++i)
    if (dims[i] < 0)
      throw std::runtime_error("input '" + name + "' (" + ShapeText(file_dims) +
                               ") leaves dimension " + std::to_string(i) +
                               " open; give its shape (dli bench --shape " + name +
                               "=..., or the model description)");
  return dims;
}

namespace detail {
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}
}  // namespace detail

// Copies n values of `dtype` at `src` into dst as float32 (ReadOutput's
// conversion for outputs that are not f32).
inline void CopyAsFloat(const void* src, dli_dtype dtype, size_t n, float* dst) {
  switch (dtype) {
    case DLI_DTYPE_F32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case DLI_DTYPE_F16: {
      const auto* p = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = detail::HalfToFloat(p[i]);
      return;
    }
    case DLI_DTYPE_I32: {
      const auto* p = static_cast<const int32_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]);
      return;
    }
    case DLI_DTYPE_I64: {
      const auto* p = static_cast<const int64_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]);
      return;
    }
    case DLI_DTYPE_U8:
    case DLI_DTYPE_BOOL: {
      const auto* p = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]);
      return;
    }
    case DLI_DTYPE_I8: {
      const auto* p = static_cast<const int8_t*>(src);
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]);
      return;
    }
  }
  throw std::runtime_error("unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

// An open session with the ring-buffer bookkeeping the adapter keeps for it.
struct SessionState {
  // Asks the session for its inputs and outputs once; a model without one
  // of each is refused.
  explicit SessionState(std::unique_ptr<Session> s)
      : session(std::move(s)), inputs(session->Inputs()), outputs(session->Outputs()) {
    if (inputs.empty()) throw std::runtime_error("the model has no inputs");
    if (outputs.empty()) throw std::runtime_error("the model has no outputs");
  }

  // Throws when `shapes` (the spec's) names an input the model does not
  // have: a misspelt name would otherwise leave its shape unused.
  void RequireInputsNamed(const std::map<std::string, std::vector<int64_t>>& shapes) const {
    for (const auto& given : shapes) {
      std::string names;
      bool found = false;
      for (const dli_tensor_info& input : inputs) {
        found = found || given.first == input.name;
        names += (names.empty() ? "" : ", ") + std::string(input.name);
      }
      if (!found)
        throw std::runtime_error("the model has no input '" + given.first +
                                 "'; its inputs: " + names);
    }
  }

  // Throws unless set_inputs() got at least one batch; then forgets the
  // earlier batches and what was bound.
  void BeginSetInputs(size_t batches) {
    n_batches = 0;
    bound = inferred = false;
    if (batches == 0) throw std::runtime_error("set_inputs() got no batches");
  }
  const dli_tensor_info& Output(size_t index) const {
    if (index >= outputs.size())
      throw std::runtime_error("output " + std::to_string(index) + " does not exist; the model has " +
                               std::to_string(outputs.size()));
    return outputs[index];
  }
  const dli_tensor_info& Input(size_t index) const {
    if (index >= inputs.size())
      throw std::runtime_error("input " + std::to_string(index) + " does not exist; the model has " +
                               std::to_string(inputs.size()));
    return inputs[index];
  }
  void BeginBind(size_t index) {
    if (index >= n_batches)
      throw std::runtime_error("batch index " + std::to_string(index) + " is out of range; " +
                               std::to_string(n_batches) + " batches were set");
    bound = inferred = false;
  }
  void BeginInfer() {
    if (!bound) throw std::runtime_error("infer() called before bind()");
    inferred = false;
  }
  void BeginReadOutput(size_t index, size_t n_values) {
    if (!inferred) throw std::runtime_error("read_output() called before infer()");
    const dli_tensor_info& output = Output(index);
    const size_t values = ElementCount(output);
    if (n_values != values)
      throw std::runtime_error("output '" + std::string(output.name) + "' has " +
                               std::to_string(values) + " values; caller expected " +
                               std::to_string(n_values));
  }

  // Request slots: each is idle, bound (a batch set, may start) or busy.
  enum class Slot { kIdle, kBound, kBusy };
  Slot& IdleSlot(size_t slot) {
    if (slot >= slots.size())
      throw std::runtime_error("request slot " + std::to_string(slot) + " does not exist; " +
                               std::to_string(slots.size()) + " were opened");
    if (slots[slot] == Slot::kBusy)
      throw std::runtime_error("request slot " + std::to_string(slot) + " is still running");
    return slots[slot];
  }
  Slot& BoundSlot(size_t slot) {
    Slot& state = IdleSlot(slot);
    if (state != Slot::kBound)
      throw std::runtime_error("request slot " + std::to_string(slot) + " started before bind");
    return state;
  }

  std::unique_ptr<Session> session;
  const std::vector<dli_tensor_info> inputs, outputs;
  // Set only by the thread that owns the slot at the time (the caller's
  // handoff between threads orders these writes).
  std::vector<Slot> slots;
  size_t n_batches = 0;      // of the last successful SetInputs
  bool bound = false;        // a successful Bind since then
  bool inferred = false;     // a successful Infer since the last Bind
};

inline void WriteError(char* err, size_t err_size, const char* message) {
  if (err != nullptr && err_size > 0) std::snprintf(err, err_size, "%s", message);
}

// Runs `body`, turning any exception into DLI_ERROR plus a message.
template <typename F>
int Guard(char* err, size_t err_size, F&& body) noexcept {
  try {
    body();
    return DLI_OK;
  } catch (const std::exception& e) {
    WriteError(err, err_size, e.what());
  } catch (...) {
    WriteError(err, err_size, "unknown exception in backend");
  }
  return DLI_ERROR;
}

// Defined in backend_checks.h: rejects a spec that does not fit the backend's
// own declarations (parameter table, devices, precisions) or has batch < 1.
// The adapter runs it before every Backend::Open, so no backend repeats it.
template <typename Backend>
void CheckSpec(const Spec& spec);

template <typename Backend, typename = void>
struct RequestTraits {
  static constexpr unsigned kCalls = 0;
  static constexpr size_t kMax = 0;
};
template <typename Backend>
struct RequestTraits<Backend, std::void_t<decltype(Backend::kRequestCalls)>> {
  static constexpr unsigned kCalls = Backend::kRequestCalls;
  static constexpr size_t kMax = Backend::kMaxRequests;
};

// A Backend that checks the names in spec.shapes itself (because it also
// accepts other names for its inputs, as the bridged TFLite does for a
// converted signature's 'serving_default_x:0') declares
//   static constexpr bool kChecksShapeNames = true;
// otherwise the adapter refuses a name that is not an input's.
template <typename Backend, typename = void>
struct ShapeNameTraits {
  static constexpr bool kOwnCheck = false;
};
template <typename Backend>
struct ShapeNameTraits<Backend, std::void_t<decltype(Backend::kChecksShapeNames)>> {
  static constexpr bool kOwnCheck = Backend::kChecksShapeNames;
};

template <typename Backend>
struct BackendTable {
  static SessionState& State(dli_session* s) { return *reinterpret_cast<SessionState*>(s); }

  static int Probe(char* err, size_t n) {
    return Guard(err, n, [] { Backend::Probe(); });
  }
  static int Open(const dli_model_spec* c, dli_session** out, char* err, size_t n) {
    return Guard(err, n, [&] {
      Spec spec;
      spec.model_path = c->model_path ? c->model_path : "";
      spec.weights_path = c->weights_path ? c->weights_path : "";
      spec.device = c->device ? c->device : "CPU";
      spec.precision = c->precision ? c->precision : "FP32";
      spec.batch = c->batch;
      spec.requests = c->requests;
      for (size_t i = 0; i < c->n_params; ++i) spec.params[c->params[i].key] = c->params[i].value;
      for (size_t i = 0; i < c->n_shapes; ++i) {
        const dli_input_shape& shape = c->shapes[i];
        if (shape.name == nullptr || shape.rank < 1 || shape.rank > DLI_MAX_RANK)
          throw std::runtime_error("a shape in the spec has no name or a rank outside 1.." +
                                   std::to_string(DLI_MAX_RANK));
        spec.shapes[shape.name].assign(shape.dims, shape.dims + shape.rank);
      }
      CheckSpec<Backend>(spec);
      auto state = std::make_unique<SessionState>(Backend::Open(spec));
      if (!ShapeNameTraits<Backend>::kOwnCheck) state->RequireInputsNamed(spec.shapes);
      *out = reinterpret_cast<dli_session*>(state.release());
    });
  }
  static int IoCounts(dli_session* s, size_t* n_inputs, size_t* n_outputs, char* err,
                      size_t n) {
    return Guard(err, n, [&] {
      *n_inputs = State(s).inputs.size();
      *n_outputs = State(s).outputs.size();
    });
  }
  static int InputInfo(dli_session* s, size_t index, dli_tensor_info* out, char* err, size_t n) {
    return Guard(err, n, [&] { *out = State(s).Input(index); });
  }
  static int OutputInfo(dli_session* s, size_t index, dli_tensor_info* out, char* err,
                        size_t n) {
    return Guard(err, n, [&] { *out = State(s).Output(index); });
  }
  static int SetInputs(dli_session* s, const void* const* b, size_t nb, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      state.BeginSetInputs(nb);
      state.session->SetInputs(b, nb);
      state.n_batches = nb;
    });
  }
  static int Bind(dli_session* s, size_t index, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      state.BeginBind(index);
      state.session->Bind(index);
      state.bound = true;
    });
  }
  static int Infer(dli_session* s, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      state.BeginInfer();
      state.session->Infer();
      state.inferred = true;
    });
  }
  static int ReadOutput(dli_session* s, size_t index, float* dst, size_t values, char* err,
                        size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      state.BeginReadOutput(index, values);
      state.session->ReadOutput(index, dst, values);
    });
  }
  static int OpenRequests(dli_session* s, size_t count, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      if (state.n_batches == 0)
        throw std::runtime_error("open_requests() called before set_inputs()");
      if (count == 0) throw std::runtime_error("open_requests() needs at least one slot");
      const size_t max = RequestTraits<Backend>::kMax;
      if (max > 0 && count > max)
        throw std::runtime_error(std::to_string(count) + " requests asked; " + Backend::kName +
                                 " holds at most " + std::to_string(max));
      for (SessionState::Slot slot : state.slots)
        if (slot == SessionState::Slot::kBusy)
          throw std::runtime_error("open_requests() called while requests run");
      state.slots.clear();
      state.session->OpenRequests(count);
      state.slots.assign(count, SessionState::Slot::kIdle);
    });
  }
  static int BindRequest(dli_session* s, size_t slot, size_t index, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      SessionState::Slot& slot_state = state.IdleSlot(slot);
      state.BeginBind(index);
      slot_state = SessionState::Slot::kIdle;
      state.session->BindRequest(slot, index);
      slot_state = SessionState::Slot::kBound;
    });
  }
  static int InferRequest(dli_session* s, size_t slot, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      state.BoundSlot(slot);
      state.session->InferRequest(slot);
    });
  }
  static int StartRequest(dli_session* s, size_t slot, char* err, size_t n) {
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      SessionState::Slot& slot_state = state.BoundSlot(slot);
      state.session->StartRequest(slot);
      slot_state = SessionState::Slot::kBusy;
    });
  }
  static int WaitRequest(dli_session* s, size_t* slot, char* err, size_t n) {
    *slot = static_cast<size_t>(-1);
    return Guard(err, n, [&] {
      SessionState& state = State(s);
      bool any_busy = false;
      for (SessionState::Slot one : state.slots)
        any_busy = any_busy || one == SessionState::Slot::kBusy;
      if (!any_busy) throw std::runtime_error("wait_request() called with no request started");
      size_t done = 0;
      try {
        done = state.session->WaitRequest();
      } catch (const RequestFailed& failed) {
        if (failed.slot < state.slots.size()) {
          state.slots[failed.slot] = SessionState::Slot::kIdle;
          *slot = failed.slot;
        }
        throw;
      }
      if (done >= state.slots.size() || state.slots[done] != SessionState::Slot::kBusy)
        throw std::runtime_error("the backend reported request slot " + std::to_string(done) +
                                 ", which was not running");
      // Still bound: the slot may run the same batch again.
      state.slots[done] = SessionState::Slot::kBound;
      *slot = done;
    });
  }
  static void Close(dli_session* s) noexcept {
    try {
      delete &State(s);
    } catch (...) {
    }
  }

  static const dli_backend* Get() {
    static const dli_backend table = [] {
      dli_backend p{};
      p.abi_version = DLI_BACKEND_ABI_VERSION;
      p.name = Backend::kName;
      p.display_name = Backend::kDisplayName;
      p.model_formats = Backend::kModelFormats;
      p.probe = &Probe;
      p.framework_version = &Backend::Version;
      p.devices = &Backend::Devices;
      p.precisions = &Backend::Precisions;
      p.notes = &Backend::Notes;
      p.params = Backend::Params(&p.n_params);
      p.open = &Open;
      p.io_counts = &IoCounts;
      p.input_info = &InputInfo;
      p.output_info = &OutputInfo;
      p.set_inputs = &SetInputs;
      p.bind = &Bind;
      p.infer = &Infer;
      p.read_output = &ReadOutput;
      p.close = &Close;
      constexpr unsigned calls = RequestTraits<Backend>::kCalls;
      p.max_requests = RequestTraits<Backend>::kMax;
      if (calls != 0) {
        p.open_requests = &OpenRequests;
        p.bind_request = &BindRequest;
      }
      if (calls & kConcurrentRequests) p.infer_request = &InferRequest;
      if (calls & kAsyncRequests) {
        p.start_request = &StartRequest;
        p.wait_request = &WaitRequest;
      }
      return p;
    }();
    return &table;
  }
};

}  // namespace dli::sdk

#define DLI_DEFINE_BACKEND(BackendType)                                                        \
  extern "C" __attribute__((visibility("default"))) const dli_backend* dli_backend_get(void) { \
    return ::dli::sdk::BackendTable<BackendType>::Get();                                       \
  }

#include "dli/backend_checks.h"  // defines CheckSpec

#endif  // DLI_BACKEND_SDK_H
