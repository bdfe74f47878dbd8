"""Writes a small text-encoder-like ONNX model for backends/onnxruntime's
gtest: several named inputs and outputs of other dtypes than float32, and a
sequence length the file leaves open.

Run with .venv/onnxruntime's Python (it has the onnx package). Writes into
TINY_DIR/multi.onnx (opset 13):
  inputs   input_ids int64 [batch, seq], attention_mask int64 [batch, seq],
           features float32 [batch, 4]
  outputs  pooled float32 [batch, 4] = features + sum(input_ids * attention_mask)
           weighted int64 [batch, seq] = input_ids * attention_mask
           mask_sum float16 [batch, 1] = sum(attention_mask)
"""
import pathlib
import sys

import numpy
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(tiny_dir: pathlib.Path) -> None:
    tiny_dir.mkdir(parents=True, exist_ok=True)
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4]),
    ]
    outputs = [
        helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", 4]),
        helper.make_tensor_value_info("weighted", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("mask_sum", TensorProto.FLOAT16, ["batch", 1]),
    ]
    axes = numpy_helper.from_array(numpy.array([1], dtype=numpy.int64), "axes")
    nodes = [
        helper.make_node("Mul", ["input_ids", "attention_mask"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axes"], ["total"], keepdims=1),
        helper.make_node("Cast", ["total"], ["total_float"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["features", "total_float"], ["pooled"]),
        helper.make_node("ReduceSum", ["attention_mask", "axes"], ["ones"], keepdims=1),
        helper.make_node("Cast", ["ones"], ["mask_sum"], to=TensorProto.FLOAT16),
    ]
    graph = helper.make_graph(nodes, "multi", inputs, outputs, [axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, tiny_dir / "multi.onnx")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_multi_input_model.py TINY_DIR")
    main(pathlib.Path(sys.argv[1]))
