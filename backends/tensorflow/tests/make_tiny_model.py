"""Writes the TensorFlow backend's test data into the folder argv[1] with the
tensorflow-cpu wheel of .venv/tensorflow: a tiny SavedModel (NHWC conv +
dense) with its serving_default signature, a batch of 2 random inputs and the
outputs TensorFlow computes for them, the serialized MetaGraphDef and
ConfigProto the C++ wire-format code is checked against, two folders that
are not SavedModels, and a SavedModel with three inputs (int64 token ids of
open length, bool, float32) and two outputs (float32, int64) with two samples
of each input (multi_*.npy) and numpy's outputs for them."""

import sys
from pathlib import Path

import numpy
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, saved_model_pb2

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = numpy.random.default_rng(0)


class Tiny(tf.Module):
    def __init__(self):
        super().__init__()
        self.kernel = tf.Variable(rng.standard_normal((3, 3, 3, 4), numpy.float32))
        self.weights = tf.Variable(rng.standard_normal((4, 5), numpy.float32))
        self.bias = tf.Variable(rng.standard_normal((5,), numpy.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)])
    def serve(self, image):
        features = tf.nn.relu(tf.nn.conv2d(image, self.kernel, 1, "SAME"))
        pooled = tf.reduce_mean(features, axis=[1, 2])
        return {"scores": tf.matmul(pooled, self.weights) + self.bias}


model = Tiny()
saved_model = out / "tiny_savedmodel"
tf.saved_model.save(model, str(saved_model),
                    signatures={"serving_default": model.serve})
inputs = rng.standard_normal((2, 8, 8, 3), numpy.float32)
numpy.save(out / "input.npy", inputs)
numpy.save(out / "expected.npy", model.serve(tf.constant(inputs))["scores"].numpy())

# The MetaGraphDef the C API hands back, and the tensor names it holds.
proto = saved_model_pb2.SavedModel()
proto.ParseFromString((saved_model / "saved_model.pb").read_bytes())
meta_graph = proto.meta_graphs[0]
(out / "meta_graph.pb").write_bytes(meta_graph.SerializeToString())
signature = meta_graph.signature_def["serving_default"]
(out / "signature.txt").write_text("".join(
    f"{kind} {key} {info.name}\n"
    for kind, tensors in (("input", signature.inputs), ("output", signature.outputs))
    for key, info in sorted(tensors.items())))
(out / "config_3_2.pb").write_bytes(config_pb2.ConfigProto(
    intra_op_parallelism_threads=3, inter_op_parallelism_threads=2).SerializeToString())

SEQ, FEATURES, VOCAB = 5, 3, 11


class MultiIo(tf.Module):
    def __init__(self):
        super().__init__()
        self.table = tf.Variable(rng.standard_normal((VOCAB, FEATURES), numpy.float32))
        self.w = tf.Variable(rng.standard_normal((FEATURES, FEATURES), numpy.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64),
                                  tf.TensorSpec([None], tf.bool),
                                  tf.TensorSpec([None, FEATURES], tf.float32)])
    def serve(self, ids, keep, x):
        pooled = tf.reduce_mean(tf.gather(self.table, ids), axis=1) + tf.matmul(x, self.w)
        return {"pooled": tf.where(keep[:, None], pooled, tf.zeros_like(pooled)),
                "scaled_ids": ids * 2 + 1}


multi = MultiIo()
tf.saved_model.save(multi, str(out / "multi_savedmodel"),
                    signatures={"serving_default": multi.serve})
ids = rng.integers(0, VOCAB, (2, SEQ), dtype=numpy.int64)
keep = numpy.array([True, False])
x = rng.standard_normal((2, FEATURES), numpy.float32)
for name, value in (("ids", ids), ("keep", keep), ("x", x)):
    numpy.save(out / f"multi_{name}.npy", value)
# numpy's own computation, not TensorFlow's.
pooled = multi.table.numpy()[ids].mean(axis=1) + x @ multi.w.numpy()
numpy.save(out / "multi_pooled.npy", numpy.where(keep[:, None], pooled, 0).astype(numpy.float32))
numpy.save(out / "multi_scaled_ids.npy", (ids * 2 + 1).astype(numpy.float32))

(out / "empty_folder").mkdir(exist_ok=True)
broken = out / "broken_savedmodel"
broken.mkdir(exist_ok=True)
(broken / "saved_model.pb").write_text("not a protocol buffer\n")
(out / "a_file.txt").write_text("a file, not a SavedModel folder\n")
