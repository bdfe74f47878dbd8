"""Converts the tiny test network to TFLite for backends/tflite's gtest.

Run with .venv/tensorflow's Python after backends/sdk/testing/
make_tiny_models.py has written TINY_DIR. Uses the conversion of the model
preparation step (python/dli_models/steps/tensorflow.py), so the test also
covers it. Writes into TINY_DIR:
  tiny.tflite          FP32, NHWC input [N,32,32,3]
  saved_model/         the SavedModel onnx2tf makes on the way
  input_nhwc.npy       input.npy transposed to NHWC
  not_a_model.tflite   text, for the test of unreadable files
"""
import pathlib
import sys

import numpy

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "python"))
from dli_models.steps import tensorflow as tensorflow_step  # noqa: E402


def main(tiny_dir: pathlib.Path) -> None:
    tensorflow_step.convert_onnx(tiny_dir / "tiny.onnx",
                                 tiny_dir / "saved_model",
                                 tiny_dir / "tiny.tflite")
    nchw = numpy.load(tiny_dir / "input.npy")
    numpy.save(tiny_dir / "input_nhwc.npy",
               numpy.ascontiguousarray(nchw.transpose(0, 2, 3, 1)))
    (tiny_dir / "not_a_model.tflite").write_text("this is not a TFLite model\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_tflite.py TINY_DIR")
    main(pathlib.Path(sys.argv[1]))
