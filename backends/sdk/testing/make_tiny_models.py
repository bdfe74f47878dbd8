"""Writes a tiny MobileNet-like test network and its reference outputs.

Run with Debian's /usr/bin/python3 (python3-torch). Writes into OUT_DIR:
  tiny.onnx                     ONNX opset 10, dynamic batch (ReLU6 is an
                                attribute-form Clip, as OpenCV 4.6 needs)
  tiny.prototxt, tiny.caffemodel  the same network and weights in Caffe format
  input.npy                     float32 [2,3,32,32], two samples
  expected.npy                  float32 [2,10], torch's output for input.npy
  expected_fp16_weights.npy     the same with every weight rounded to float16
  not_a_model.onnx              text, for the tests of unreadable files
  multi_io.onnx                 two inputs [batch, seq], "ids" int64 and
                                "mask" float32, two float32 outputs [batch,
                                seq], "masked" and "scaled" (seq = 5 when run;
                                the ids become float32 first: OpenCV 4.6
                                gets int64 arithmetic with constants wrong)
  multi_onnx_*.npy              two samples of each input and numpy's
                                outputs for them (float32)

Weights and inputs come from a fixed seed, so the files are reproducible.
"""
import pathlib
import struct
import sys

import numpy
import torch

BATCH, CHANNELS, SIZE, CLASSES, WIDTH = 2, 3, 32, 10, 8


class Tiny(torch.nn.Module):
    """conv 3x3/2 -> ReLU6 -> depthwise 3x3 -> ReLU -> global avg -> linear."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(CHANNELS, WIDTH, 3, stride=2, padding=1)
        self.c2 = torch.nn.Conv2d(WIDTH, WIDTH, 3, padding=1, groups=WIDTH)
        self.fc = torch.nn.Linear(WIDTH, CLASSES)

    def forward(self, x):
        x = torch.nn.functional.relu6(self.c1(x))
        x = torch.nn.functional.relu(self.c2(x))
        x = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


# Protocol-buffer wire format, enough to write a Caffe NetParameter
# (field numbers from Caffe's caffe.proto).
def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number, payload):
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _blob(tensor):
    dims = b"".join(_varint(d) for d in tensor.shape)
    data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
    return _field(7, _field(1, dims)) + _field(5, data)  # shape, data


def _caffe_layer(name, *tensors):
    return _field(1, name.encode()) + b"".join(_field(7, _blob(t)) for t in tensors)


CAFFE_PROTOTXT = f"""name: "tiny"
input: "input"
input_shape {{ dim: 1 dim: {CHANNELS} dim: {SIZE} dim: {SIZE} }}
layer {{ name: "c1" type: "Convolution" bottom: "input" top: "c1"
  convolution_param {{ num_output: {WIDTH} kernel_size: 3 stride: 2 pad: 1 }} }}
# ReLU6 is not in BVLC Caffe; OpenCV's Caffe reader accepts it by type name.
layer {{ name: "r1" type: "ReLU6" bottom: "c1" top: "c1" }}
layer {{ name: "c2" type: "Convolution" bottom: "c1" top: "c2"
  convolution_param {{ num_output: {WIDTH} kernel_size: 3 pad: 1 group: {WIDTH} }} }}
layer {{ name: "r2" type: "ReLU" bottom: "c2" top: "c2" }}
layer {{ name: "pool" type: "Pooling" bottom: "c2" top: "pool"
  pooling_param {{ pool: AVE global_pooling: true }} }}
layer {{ name: "logits" type: "InnerProduct" bottom: "pool" top: "logits"
  inner_product_param {{ num_output: {CLASSES} }} }}
"""


def write_caffe(model, out_dir):
    (out_dir / "tiny.prototxt").write_text(CAFFE_PROTOTXT)
    layers = [
        _caffe_layer("c1", model.c1.weight, model.c1.bias),
        _caffe_layer("c2", model.c2.weight, model.c2.bias),
        _caffe_layer("logits", model.fc.weight, model.fc.bias),
    ]
    net = _field(1, b"tiny") + b"".join(_field(100, layer) for layer in layers)
    (out_dir / "tiny.caffemodel").write_bytes(net)


class MultiIo(torch.nn.Module):
    """masked = float(ids) * mask; scaled = 2 * float(ids) + 1."""

    def forward(self, ids, mask):
        ids = ids.float()
        return ids * mask, ids * 2 + 1


def write_multi_io(out_dir):
    rng = numpy.random.default_rng(11)
    seq = 5
    ids = rng.integers(0, 1000, (BATCH, seq), dtype=numpy.int64)
    mask = rng.standard_normal((BATCH, seq)).astype(numpy.float32)
    open_dims = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(MultiIo().eval(), (torch.from_numpy(ids), torch.from_numpy(mask)),
                          str(out_dir / "multi_io.onnx"), opset_version=11,
                          input_names=["ids", "mask"], output_names=["masked", "scaled"],
                          dynamic_axes={name: open_dims
                                        for name in ("ids", "mask", "masked", "scaled")})
    numpy.save(out_dir / "multi_onnx_ids.npy", ids)
    numpy.save(out_dir / "multi_onnx_mask.npy", mask)
    # numpy's own computation, not torch's.
    numpy.save(out_dir / "multi_onnx_masked.npy", (ids * mask).astype(numpy.float32))
    numpy.save(out_dir / "multi_onnx_scaled.npy", (2 * ids + 1).astype(numpy.float32))


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(20240601)
    model = Tiny().eval()
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE)
    with torch.no_grad():
        numpy.save(out_dir / "input.npy", x.numpy())
        numpy.save(out_dir / "expected.npy", model(x).numpy())
        torch.onnx.export(model, x, str(out_dir / "tiny.onnx"), opset_version=10,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        write_caffe(model, out_dir)
        for p in model.parameters():
            p.copy_(p.half().float())
        numpy.save(out_dir / "expected_fp16_weights.npy", model(x).numpy())
    (out_dir / "not_a_model.onnx").write_text("this is not an ONNX model\n")
    write_multi_io(out_dir)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_tiny_models.py OUT_DIR")
    main(sys.argv[1])
