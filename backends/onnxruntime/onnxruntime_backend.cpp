// ONNX Runtime backend: onnxruntime.InferenceSession on the CPU execution
// provider with IOBinding, driven through the embedded-Python bridge because
// the PyPI wheel ships no C/C++ headers and Debian 12 has no ONNX Runtime
// (docs/backends/onnxruntime.md). The framework logic is in
// python/dli_backends/onnxruntime.py.
#include "dli/python_backend.h"

namespace {

struct OnnxRuntimeTraits {
  static constexpr const char* kName = "onnxruntime";
  static constexpr const char* kDisplayName = "ONNX Runtime";
  static constexpr const char* kModelFormats = "ONNX model (.onnx)";
  static constexpr const char* kDevices = "CPU";
  static constexpr const char* kPrecisions = "FP32,FP16,INT8";

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info kParams[] = {
        {"threads", "int", "", nullptr,
         "intra_op_num_threads (ONNX Runtime's default: one per physical core)", "1", nullptr},
        {"inter_threads", "int", "", nullptr,
         "inter_op_num_threads, used with execution_mode=parallel", "1", nullptr},
        {"opt_level", "choice", "all", "disable|basic|extended|all", "graph optimization level",
         nullptr, nullptr},
        {"execution_mode", "choice", "sequential", "sequential|parallel",
         "run independent graph nodes one after another or in parallel", nullptr, nullptr},
    };
    *n = sizeof(kParams) / sizeof(kParams[0]);
    return kParams;
  }
};

}  // namespace

DLI_DEFINE_PYTHON_BACKEND(OnnxRuntimeTraits)
