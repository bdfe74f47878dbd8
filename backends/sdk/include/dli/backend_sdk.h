// Header-only C++ helper for writing a DLI backend.
//
// It is compiled inside each backend (with that backend's own libstdc++ ABI
// flag), so std:: types never cross the C boundary of backend_abi.h. A backend
// implements a Session class and a Backend traits struct; DLI_DEFINE_BACKEND
// turns them into the exported C function table and translates every C++
// exception into the caller's error buffer.
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
//   };
//   DLI_DEFINE_BACKEND(MyBackend)
#ifndef DLI_BACKEND_SDK_H
#define DLI_BACKEND_SDK_H

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dli/backend_abi.h"

namespace dli::sdk {

// A test point's load parameters, copied out of the C struct.
struct Spec {
  std::string model_path;
  std::string weights_path;
  std::string device;
  std::string precision;
  int batch = 1;
  std::map<std::string, std::string> params;

  // The value the user set, or `fallback` when the key is absent or empty.
  std::string Param(const std::string& key, const std::string& fallback = "") const {
    auto it = params.find(key);
    return it == params.end() || it->second.empty() ? fallback : it->second;
  }
  // Integer parameter; the core has already validated the text.
  int IntParam(const std::string& key, int fallback) const {
    const std::string v = Param(key);
    return v.empty() ? fallback : std::stoi(v);
  }
};

class Session {
 public:
  virtual ~Session() = default;
  virtual dli_tensor_info InputInfo() = 0;
  virtual dli_tensor_info OutputInfo() = 0;
  virtual void SetInputs(const void* const* batches, size_t n_batches, size_t batch_bytes) = 0;
  virtual void Bind(size_t index) = 0;
  virtual void Infer() = 0;
  virtual void ReadOutput(float* dst, size_t n_values) = 0;
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

template <typename Backend>
struct BackendTable {
  static Session* Cast(dli_session* s) { return reinterpret_cast<Session*>(s); }

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
      for (size_t i = 0; i < c->n_params; ++i) spec.params[c->params[i].key] = c->params[i].value;
      CheckSpec<Backend>(spec);
      std::unique_ptr<Session> session = Backend::Open(spec);
      *out = reinterpret_cast<dli_session*>(session.release());
    });
  }
  static int InputInfo(dli_session* s, dli_tensor_info* out, char* err, size_t n) {
    return Guard(err, n, [&] { *out = Cast(s)->InputInfo(); });
  }
  static int OutputInfo(dli_session* s, dli_tensor_info* out, char* err, size_t n) {
    return Guard(err, n, [&] { *out = Cast(s)->OutputInfo(); });
  }
  static int SetInputs(dli_session* s, const void* const* b, size_t nb, size_t bytes, char* err,
                       size_t n) {
    return Guard(err, n, [&] { Cast(s)->SetInputs(b, nb, bytes); });
  }
  static int Bind(dli_session* s, size_t index, char* err, size_t n) {
    return Guard(err, n, [&] { Cast(s)->Bind(index); });
  }
  static int Infer(dli_session* s, char* err, size_t n) {
    return Guard(err, n, [&] { Cast(s)->Infer(); });
  }
  static int ReadOutput(dli_session* s, float* dst, size_t values, char* err, size_t n) {
    return Guard(err, n, [&] { Cast(s)->ReadOutput(dst, values); });
  }
  static void Close(dli_session* s) noexcept {
    try {
      delete Cast(s);
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
      p.input_info = &InputInfo;
      p.output_info = &OutputInfo;
      p.set_inputs = &SetInputs;
      p.bind = &Bind;
      p.infer = &Infer;
      p.read_output = &ReadOutput;
      p.close = &Close;
      return p;
    }();
    return &table;
  }
};

}  // namespace dli::sdk

#define DLI_DEFINE_BACKEND(BackendType)                                                       \
  extern "C" __attribute__((visibility("default"))) const dli_backend* dli_backend_get(void) { \
    return ::dli::sdk::BackendTable<BackendType>::Get();                                      \
  }

#include "dli/backend_checks.h"  // defines CheckSpec

#endif  // DLI_BACKEND_SDK_H
