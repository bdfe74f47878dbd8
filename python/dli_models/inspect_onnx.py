"""Prints what an ONNX file declares, as one JSON line, or one error line
and exit status 2 when it is not a readable ONNX model. Runs in
.venv/onnxruntime (the onnx package): `python -m dli_models.inspect_onnx F`.
"""

import json
import sys


def describe(path: str) -> dict:
    import onnx
    from onnx import helper
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model)
    except Exception as error:  # onnx raises several unrelated types
        message = str(error).strip().splitlines()
        raise ValueError(f"{path} is not a valid ONNX model ("
                         f"{message[0] if message else type(error).__name__})"
                         ) from None
    initializers = {tensor.name for tensor in model.graph.initializer}

    def value(info) -> dict:
        tensor = info.type.tensor_type
        shape = [dim.dim_value if dim.HasField("dim_value") else -1
                 for dim in tensor.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
        return {"name": info.name, "shape": shape, "dtype": dtype}

    opsets = {entry.domain or "ai.onnx": entry.version
              for entry in model.opset_import}
    return {"inputs": [value(info) for info in model.graph.input
                       if info.name not in initializers],
            "outputs": [value(info) for info in model.graph.output],
            "opset": opsets.get("ai.onnx", 0),
            "operators": sorted({node.op_type for node in model.graph.node})}


if __name__ == "__main__":
    try:
        print(json.dumps(describe(sys.argv[1])))
    except ValueError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
