# TensorFlow family in one virtual environment (.venv/tensorflow):
#  - tensorflow-cpu: the TensorFlow runtime and tf.lite.TFLiteConverter;
#  - ai-edge-litert (LiteRT): the TFLite interpreter used by backends/tflite
#    through the embedded-Python bridge (its wheel ships no C headers);
#  - onnx2tf 1.x with the packages it really imports: the ONNX -> SavedModel
#    / .tflite converter of python/dli_models/steps/tensorflow.py;
#  - onnxruntime: runs the reference ONNX inside the conversion step to
#    verify the converted models on the same input.
# onnx2tf 1.29.24 pins tensorflow==2.19.0 (the GPU-capable wheel), numpy,
# protobuf and onnxruntime exactly, and simple-onnx-processing-tools pulls
# onnx2tf back in with those pins; so onnx2tf goes in without dependencies
# and its real imports (onnx, onnx_graphsurgeon, sng4onnx, sne4onnx, psutil,
# tf_keras; h5py, flatbuffers and requests come with TensorFlow) are pinned
# here. tf-keras also goes in without dependencies: it requires the
# `tensorflow` distribution, and pip would add the 1.1 GB GPU-capable wheel
# over tensorflow-cpu's files (same package folder, different
# libtensorflow_cc.so.2). numpy stays 1.26 (onnx2tf 1.x is tested with it; TensorFlow 2.21
# accepts >= 1.26) and protobuf is pinned because TensorFlow (>= 6.31) and
# onnx both depend on it.
# onnx2tf 2.x needs Python >= 3.12; Debian 12 has 3.11, hence 1.x.
# AI Edge Quantizer (LiteRT's post-training quantizer, the successor of the
# converter's) makes the TFLite INT8/UINT8 models of dli optimize
# (python/dli_models/tflite_quantization.py); it requires exactly the
# ai-edge-litert above. Its other requirements are pinned beside it.
# tf2onnx converts an imported SavedModel or .tflite to the ONNX hub
# (python/dli_models/convert_source.py); 1.17.0 requires only numpy, onnx,
# protobuf >= 3.20, flatbuffers and requests, all satisfied by the pins
# here (checked: it converts and matches TensorFlow 2.21 and LiteRT on the
# tests' models).
dli_venv tensorflow -- \
  tensorflow-cpu==2.21.0 numpy==1.26.4 protobuf==7.36.2 \
  ai-edge-litert==2.3.0 onnxruntime==1.23.0 \
  onnx==1.19.1 onnx-graphsurgeon==0.5.8 sng4onnx==2.0.1 sne4onnx==2.0.1 \
  psutil==5.9.5 \
  ai-edge-quantizer==0.10.0 immutabledict==4.3.1 litert-lm-builder==0.18.1 \
  scipy==1.13.1 tf2onnx==1.17.0
dli_pip_nodeps tensorflow tf-keras==2.21.0 onnx2tf==1.29.24
