# Apache MXNet 1.9.1 from PyPI in its own virtual environment (.venv/mxnet):
# its wheel carries libmxnet.so and the C headers (mxnet/include/mxnet/
# c_api.h, c_predict_api.h) that backends/mxnet compiles against, and the
# ONNX importer (mxnet.contrib.onnx) of python/dli_models/steps/mxnet.py.
# MXNet 1.9's Python code uses numpy aliases removed in numpy 1.24 and its
# ONNX importer predates onnx 1.19, so numpy and onnx are pinned below those
# here, apart from the other tool families. scipy is what MXNet's
# quantizer needs for its default entropy (KL) calibration (dli optimize
# --framework mxnet, python/dli_models/steps/mxnet_int8.py), a version whose
# wheel works with the numpy pinned here.
dli_venv mxnet -- mxnet==1.9.1 numpy==1.23.5 onnx==1.16.2 protobuf==7.36.2 \
  scipy==1.10.1
