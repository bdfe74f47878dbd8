# ONNX Runtime (CPU) for backends/onnxruntime. The wheel carries
# capi/libonnxruntime.so.1.N but no C/C++ headers, and Debian 12 has no ONNX
# Runtime package, so the backend runs onnxruntime's Python API through the
# embedded-Python bridge (backends/python_bridge). Its own venv: the newest
# onnxruntime with numpy 2, apart from the TensorFlow family's numpy 1.26 pin.
# The same venv quantizes and converts ONNX models (dli optimize,
# python/dli_models/steps/onnx_int8.py and onnx_fp16.py):
# onnxruntime.quantization needs the onnx package, and onnxconverter-common
# makes the FP16 model.
dli_venv onnxruntime -- onnxruntime==1.32.0 numpy==2.4.6 \
  onnx==1.20.1 onnxconverter-common==1.16.0
