"""Converts the tiny test network to the OpenVINO IR variants the tests read.

Run with the OpenVINO venv's python: make_test_irs.py TINY_DIR. Reads
TINY_DIR/tiny.onnx (backends/sdk/testing/make_tiny_models.py) and writes:
  tiny_fp32.xml/.bin        the network as converted
  tiny_fp16.xml/.bin        weights compressed to float16
  tiny_f16_output.xml/.bin  float32 weights, output tensor in float16
  multi_io.xml/.bin         two inputs (int64 token ids with an open length,
                            float32 features) and two outputs (float32,
                            int64); multi_*.npy hold two samples of each
                            input and numpy's outputs for them
"""
import pathlib
import sys

import numpy
import openvino as ov
import openvino.opset13 as ops

SEQ, FEATURES, VOCAB = 5, 3, 11


def write_multi_io(tiny_dir):
    """pooled = mean(table[ids], axis 1) + x @ w; scaled_ids = 2 * ids + 1."""
    rng = numpy.random.default_rng(7)
    table = rng.standard_normal((VOCAB, FEATURES)).astype(numpy.float32)
    w = rng.standard_normal((FEATURES, FEATURES)).astype(numpy.float32)
    ids = ops.parameter([-1, -1], ov.Type.i64, name="ids")
    x = ops.parameter([-1, FEATURES], ov.Type.f32, name="x")
    embedded = ops.gather(ops.constant(table), ids, ops.constant(numpy.int64(0)))
    pooled = ops.add(ops.reduce_mean(embedded, ops.constant(numpy.int64(1)), False),
                     ops.matmul(x, ops.constant(w), False, False))
    scaled = ops.add(ops.multiply(ids, ops.constant(numpy.int64(2))),
                     ops.constant(numpy.int64(1)))
    pooled.output(0).set_names({"pooled"})
    scaled.output(0).set_names({"scaled_ids"})
    model = ov.Model([pooled, scaled], [ids, x], "multi_io")
    ov.save_model(model, str(tiny_dir / "multi_io.xml"), compress_to_fp16=False)

    ids_value = rng.integers(0, VOCAB, (2, SEQ), dtype=numpy.int64)
    x_value = rng.standard_normal((2, FEATURES)).astype(numpy.float32)
    numpy.save(tiny_dir / "multi_ids.npy", ids_value)
    numpy.save(tiny_dir / "multi_x.npy", x_value)
    numpy.save(tiny_dir / "multi_pooled.npy",
               (table[ids_value].mean(axis=1) + x_value @ w).astype(numpy.float32))
    numpy.save(tiny_dir / "multi_scaled_ids.npy", (2 * ids_value + 1).astype(numpy.float32))


def main(tiny_dir):
    tiny_dir = pathlib.Path(tiny_dir)
    model = ov.convert_model(str(tiny_dir / "tiny.onnx"))
    ov.save_model(model, str(tiny_dir / "tiny_fp32.xml"), compress_to_fp16=False)
    ov.save_model(model, str(tiny_dir / "tiny_fp16.xml"), compress_to_fp16=True)

    ppp = ov.preprocess.PrePostProcessor(ov.convert_model(str(tiny_dir / "tiny.onnx")))
    ppp.output().tensor().set_element_type(ov.Type.f16)
    ov.save_model(ppp.build(), str(tiny_dir / "tiny_f16_output.xml"),
                  compress_to_fp16=False)
    write_multi_io(tiny_dir)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_irs.py TINY_DIR")
    main(sys.argv[1])
