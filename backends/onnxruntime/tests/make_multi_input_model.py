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
and TINY_DIR/dtypes.onnx: one input x_<dtype> [batch, 2] per dtype DLI
exchanges (float32, float16, int64, int32, int8, uint8, bool), each passed
through to the output y_<dtype>.
"""
import pathlib
import sys

import numpy
import onnx
from onnx import TensorProto, helper, numpy_helper


DTYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16,
          "int64": TensorProto.INT64, "int32": TensorProto.INT32,
          "int8": TensorProto.INT8, "uint8": TensorProto.UINT8, "bool": TensorProto.BOOL}


def write_dtypes_model(path: pathlib.Path) -> None:
    inputs = [helper.make_tensor_value_info(f"x_{name}", dtype, ["batch", 2])
              for name, dtype in DTYPES.items()]
    outputs = [helper.make_tensor_value_info(f"y_{name}", dtype, ["batch", 2])
               for name, dtype in DTYPES.items()]
    nodes = [helper.make_node("Identity", [f"x_{name}"], [f"y_{name}"]) for name in DTYPES]
    graph = helper.make_graph(nodes, "dtypes", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(tiny_dir: pathlib.Path) -> None:
    tiny_dir.mkdir(parents=True, exist_ok=True)
    write_dtypes_model(tiny_dir / "dtypes.onnx")
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
