// Defines a bridged backend (see dli/python_bridge.h) from a traits
// struct. Include it from the backend's one source file:
//
//   struct TfliteTraits {
//     static constexpr const char* kName = "tflite";  // dli_backends.tflite
//     static constexpr const char* kDisplayName = "TensorFlow Lite (LiteRT)";
//     static constexpr const char* kModelFormats = "TFLite model (.tflite)";
//     static constexpr const char* kDevices = "CPU";
//     static constexpr const char* kPrecisions = "FP32";
//     static const dli_param_info* Params(size_t* n);
//   };
//   DLI_DEFINE_PYTHON_BACKEND(TfliteTraits)
//
// DLI_PYTHON_VENV_NAME comes from dli_add_python_backend (PythonBridge.cmake),
// the one place that names a backend's virtual environment.
#ifndef DLI_PYTHON_BACKEND_H
#define DLI_PYTHON_BACKEND_H

#include "dli/python_bridge.h"

#ifndef DLI_PYTHON_VENV_NAME
#error "DLI_PYTHON_VENV_NAME is defined by dli_add_python_backend"
#endif

namespace dli::python_bridge {

template <typename Traits>
struct Backend {
  static constexpr const char* kName = Traits::kName;
  static constexpr const char* kDisplayName = Traits::kDisplayName;
  static constexpr const char* kModelFormats = Traits::kModelFormats;
  // Throughput mode: one callable per slot from the module's open_requests,
  // run from a thread per slot (python_bridge.h).
  static constexpr unsigned kRequestCalls = sdk::kConcurrentRequests;
  // The Python modules check spec.shapes' names with their aliases
  // (_bridge.check_shape_names).
  static constexpr bool kChecksShapeNames = true;
  static constexpr size_t kMaxRequests = 0;
  static constexpr BackendConfig kConfig{Traits::kName, DLI_PYTHON_VENV_NAME, Traits::kDevices,
                                         Traits::kPrecisions};

  static void Probe() { python_bridge::Probe(kConfig); }
  static const char* Version() { return FrameworkVersion(kConfig); }
  static const char* Devices() { return Traits::kDevices; }
  static const char* Precisions() { return Traits::kPrecisions; }
  static const char* Notes() { return python_bridge::Notes(kConfig); }
  static const dli_param_info* Params(size_t* n) { return Traits::Params(n); }
  static std::unique_ptr<sdk::Session> Open(const sdk::Spec& spec) {
    return python_bridge::Open(kConfig, spec);
  }
};

}  // namespace dli::python_bridge

#define DLI_DEFINE_PYTHON_BACKEND(Traits) DLI_DEFINE_BACKEND(::dli::python_bridge::Backend<Traits>)

#endif  // DLI_PYTHON_BACKEND_H
