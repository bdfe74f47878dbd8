"""Writes the MXNet backend's test data into the folder argv[1] with the mxnet
wheel of .venv/mxnet: a tiny checkpoint (conv + dense) saved the way the
mxnet conversion step saves MobileNetV2 (input shape recorded on the data
variable), the same network without the recorded shape, a batch of 2 random
inputs and the outputs MXNet computes for them, and files that are not
MXNet checkpoints."""

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
    mxnet_step.with_input_shape(network, "image", [-1, 3, 8, 8]), arg_params, {},
    out / "tiny-symbol.json", out / "tiny-0000.params")
mxnet_step.save_checkpoint(network, arg_params, {},
                           out / "plain-symbol.json", out / "plain-0000.params")
inputs = rng.standard_normal((2, 3, 8, 8), numpy.float32)
numpy.save(out / "input.npy", inputs)
numpy.save(out / "expected.npy", mxnet_step.infer(out / "tiny", "image", inputs))
(out / "not_json-symbol.json").write_text("this is not JSON\n")
(out / "not_params.params").write_text("this is not an MXNet params file\n")
