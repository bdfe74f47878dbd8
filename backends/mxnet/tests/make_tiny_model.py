"""Writes the MXNet backend's test data into the folder argv[1] with the mxnet
wheel of .venv/mxnet: a tiny checkpoint (conv + dense) saved the way the
mxnet conversion step saves MobileNetV2 (input shape recorded on the data
variable), the same network without the recorded shape, a batch of 2 random
inputs and the outputs MXNet computes for them, files that are not MXNet
checkpoints, a checkpoint with two inputs (int64 and float32) and two
outputs with 2 samples and the outputs numpy computes for them, and one with
a float64 input."""

import sys
from pathlib import Path

import mxnet
import numpy

from dli_models.steps import mxnet as mxnet_step

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = numpy.random.default_rng(0)

data = mxnet.sym.var("image")
features = mxnet.sym.Activation(
    mxnet.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv"),
    act_type="relu")
pooled = mxnet.sym.flatten(mxnet.sym.Pooling(features, global_pool=True, pool_type="avg",
                                             kernel=(1, 1)))
network = mxnet.sym.FullyConnected(pooled, num_hidden=5, name="dense")
arg_params = {name: mxnet.nd.array(rng.standard_normal(shape, numpy.float32))
              for name, shape in (("conv_weight", (4, 3, 3, 3)), ("conv_bias", (4,)),
                                  ("dense_weight", (5, 4)), ("dense_bias", (5,)))}

mxnet_step.save_checkpoint(
    mxnet_step.with_input_shapes(network, [{"name": "image", "shape": [-1, 3, 8, 8]}]), arg_params, {},
    out / "tiny-symbol.json", out / "tiny-0000.params")
mxnet_step.save_checkpoint(network, arg_params, {},
                           out / "plain-symbol.json", out / "plain-0000.params")
inputs = rng.standard_normal((2, 3, 8, 8), numpy.float32)
numpy.save(out / "input.npy", inputs)
numpy.save(out / "expected.npy", mxnet_step.infer(out / "tiny", [{"name": "image"}], [inputs])[0])
(out / "not_json-symbol.json").write_text("this is not JSON\n")
(out / "not_params.params").write_text("this is not an MXNet params file\n")

# Two inputs (int64 token ids with the sequence length left open, float32
# features) and two outputs (float32 scores, the int64 sum of the ids).
token_ids = mxnet.sym.var("token_ids", dtype="int64", shape=(0, 0))
features = mxnet.sym.var("features", shape=(0, 3))
pooled = mxnet.sym.mean(mxnet.sym.Embedding(token_ids, input_dim=10, output_dim=3,
                                             name="embedding"), axis=1)
mixed = mxnet.sym.Group([
    mxnet.sym.FullyConnected(features + pooled, num_hidden=2, name="scores"),
    mxnet.sym.sum(token_ids, axis=1, keepdims=True, name="id_sums")])
mixed_params = {name: rng.standard_normal(shape, numpy.float32)
                for name, shape in (("embedding_weight", (10, 3)), ("scores_weight", (2, 3)),
                                    ("scores_bias", (2,)))}
mxnet_step.save_checkpoint(
    mixed, {name: mxnet.nd.array(value) for name, value in mixed_params.items()}, {},
    out / "mixed-symbol.json", out / "mixed-0000.params")
ids = numpy.array([[1, 2, 3, 4], [5, 6, 7, 9]], numpy.int64)
feature_values = rng.standard_normal((2, 3), numpy.float32)
# Computed with numpy from the weights, not by MXNet. The inputs are saved in
# their own dtype (the test feeds their bytes as they are), the expected
# outputs as float32 (as read_output gives every output).
scores = ((feature_values + mixed_params["embedding_weight"][ids].mean(axis=1))
          @ mixed_params["scores_weight"].T + mixed_params["scores_bias"])
numpy.save(out / "mixed_input0.npy", ids)
numpy.save(out / "mixed_input1.npy", feature_values)
for name, value in (("mixed_expected0", scores), ("mixed_expected1", ids.sum(axis=1, keepdims=True))):
    numpy.save(out / f"{name}.npy", value.astype(numpy.float32))

# An input of a dtype DLI does not feed.
mxnet_step.save_checkpoint(mxnet.sym.var("x", dtype="float64", shape=(0, 3)) * 2, {}, {},
                           out / "float64-symbol.json", out / "float64-0000.params")
