"""Converts the tiny test network to TFLite for backends/tflite's gtest.

Run with .venv/tensorflow's Python after backends/sdk/testing/
make_tiny_models.py has written TINY_DIR. Uses the conversion of the model
preparation step (python/dli_models/steps/tensorflow.py), so the test also
covers it. Writes into TINY_DIR:
  tiny.tflite          FP32, NHWC input [N,32,32,3]
  saved_model/         the SavedModel onnx2tf makes on the way
  input_nhwc.npy       input.npy transposed to NHWC
  not_a_model.tflite   text, for the test of unreadable files
  multi.tflite         inputs input_ids, attention_mask (int64 [N,?]) and
                       features (float32 [N,4]); outputs (in TFLite's
                       order) mask_sum = sum(attention_mask) (float16
                       [N,1]), pooled = features + sum(input_ids *
                       attention_mask) (float32 [N,4]) and weighted =
                       input_ids * attention_mask (int64 [N,?])
"""
import pathlib
import sys

import numpy

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "python"))
from dli_models.steps import tensorflow as tensorflow_step  # noqa: E402


def write_multi_input_model(path: pathlib.Path) -> None:
    import tensorflow as tf  # noqa: E402 (heavy; only this fixture needs it)

    @tf.function(input_signature=[
        tf.TensorSpec([None, None], tf.int64, name="input_ids"),
        tf.TensorSpec([None, None], tf.int64, name="attention_mask"),
        tf.TensorSpec([None, 4], tf.float32, name="features")])
    def encode(input_ids, attention_mask, features):
        weighted = input_ids * attention_mask
        total = tf.cast(tf.reduce_sum(weighted, axis=1, keepdims=True), tf.float32)
        ones = tf.reduce_sum(attention_mask, axis=1, keepdims=True)
        return {"pooled": features + total, "weighted": weighted,
                "mask_sum": tf.cast(ones, tf.float16)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [encode.get_concrete_function()], encode)
    path.write_bytes(converter.convert())


def main(tiny_dir: pathlib.Path) -> None:
    tensorflow_step.convert_onnx(tiny_dir / "tiny.onnx",
                                 tiny_dir / "saved_model",
                                 tiny_dir / "tiny.tflite")
    nchw = numpy.load(tiny_dir / "input.npy")
    numpy.save(tiny_dir / "input_nhwc.npy",
               numpy.ascontiguousarray(nchw.transpose(0, 2, 3, 1)))
    (tiny_dir / "not_a_model.tflite").write_text("this is not a TFLite model\n")
    write_multi_input_model(tiny_dir / "multi.tflite")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_tflite.py TINY_DIR")
    main(pathlib.Path(sys.argv[1]))
