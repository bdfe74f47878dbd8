// TensorFlow Lite (LiteRT) backend: the ai-edge-litert interpreter with its
// default XNNPACK delegate, driven through the embedded-Python bridge because
// the wheel ships no C headers (docs/backends/tflite.md). The framework
// logic is in python/dli_backends/tflite.py.
#include "dli/python_backend.h"

namespace {

struct TfliteTraits {
  static constexpr const char* kName = "tflite";
  static constexpr const char* kDisplayName = "TensorFlow Lite (LiteRT, ai-edge-litert)";
  static constexpr const char* kModelFormats = "TFLite model (.tflite)";
  static constexpr const char* kDevices = "CPU";
  static constexpr const char* kPrecisions = "FP32,FP16,INT8,UINT8";

  static const dli_param_info* Params(size_t* n) {
    static const dli_param_info kParams[] = {
        {"threads", "int", "", nullptr, "interpreter num_threads (LiteRT's Python API default: 1)",
         "1", nullptr},
    };
    *n = sizeof(kParams) / sizeof(kParams[0]);
    return kParams;
  }
};

}  // namespace

DLI_DEFINE_PYTHON_BACKEND(TfliteTraits)
