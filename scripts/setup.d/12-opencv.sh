# OpenCV 4.6 from Debian: the DNN backend, and imgcodecs/imgproc for decoding
# and preprocessing images in the core. opencv-doc and python3-skimage carry
# the real photos and the ImageNet label list of the bundled sample set.
# libonnx-dev: OpenCV 4.6 keeps no input shape for an ONNX model with a
# dynamic batch, so backends/opencv reads the graph's input with it.
# python3-opencv (the same 4.6 library): the opset-10 rewrite of an imported
# model is checked in OpenCV itself (python/dli_models/steps/opencv_onnx.py).
dli_apt libopencv-dev opencv-doc python3-skimage libonnx-dev python3-opencv
