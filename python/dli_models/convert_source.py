"""Converts an imported model that is not ONNX into the ONNX hub, or reads
what an OpenVINO IR declares, in the venv of the framework that reads it:

    python -m dli_models.convert_source tensorflow|tflite SOURCE INPUTS OUT.onnx
    python -m dli_models.convert_source mxnet SYMBOL PARAMS INPUTS OUT.onnx
    python -m dli_models.convert_source openvino XML

INPUTS is the JSON list of --input entries (name, shape, dtype): sizes the
file leaves open and, for MXNet, every input's shape and type. Prints one
JSON line: for a conversion the converter, its version and the
check of the ONNX file against the source framework on seeded synthetic
inputs; for an IR its inputs and outputs (as inspect_onnx prints them).
Exit status 2 with one line when the source cannot be read, 1 when the
converter fails on it.
"""

import json
import subprocess
import sys
from pathlib import Path

# tf2onnx's opset: 12, the last where Squeeze takes its axes as an
# attribute, which MXNet 1.9's ONNX importer needs (it fails on opset 13's
# axes input); onnx2tf, OpenVINO and the opset-10 rewrite read either.
ONNX_OPSET = 12
CHECK_INPUTS = 2
# float32 results of two runtimes on the same graph.
MAX_ABS_DIFF = 1e-3


class SourceError(Exception):
    """The source file cannot be read (exit 2)."""


class ConverterError(Exception):
    """The converter fails on a readable source (exit 1)."""


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "?"


def check_inputs(onnx_path: Path, given: list):
    """CHECK_INPUTS seeded check items for the ONNX file, each a dict of
    every data input's batch-1 values: floats from a normal distribution,
    integers 0 or 1 (valid token ids, mask values and segment ids alike),
    and the file's output names in order. Sizes the file leaves open come
    from --input (`given`)."""
    import numpy
    import onnx
    from onnx import helper
    model = onnx.load(str(onnx_path))
    initializers = {tensor.name for tensor in model.graph.initializer}
    shapes = {entry["name"]: entry["shape"] for entry in given
              if entry.get("shape")}
    specs = []
    for info in model.graph.input:
        if info.name in initializers:
            continue
        dims = shapes.get(info.name) or [
            dim.dim_value if dim.HasField("dim_value") else -1
            for dim in info.type.tensor_type.shape.dim]
        if any(dim <= 0 for dim in dims[1:]):
            raise ConverterError(
                f"input {info.name} has shape {dims}: give its sizes for "
                f"the check with --input {info.name}:1x...:DTYPE")
        specs.append((info.name, [1] + list(dims[1:]), numpy.dtype(
            helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type))))
    generator = numpy.random.default_rng(0)

    def values(shape, dtype):
        if dtype.kind == "f":
            return generator.standard_normal(shape).astype(dtype)
        return generator.integers(0, 2, shape).astype(dtype)

    items = [{name: values(shape, dtype) for name, shape, dtype in specs}
             for _ in range(CHECK_INPUTS)]
    return items, [output.name for output in model.graph.output]


def compare(source_outputs, onnx_outputs) -> dict:
    """Per check item, every output of the source against the ONNX file's
    (lists in the ONNX file's output order); top-1 on the first output."""
    import numpy
    if any(len(a) != len(b) for a, b in zip(source_outputs, onnx_outputs)):
        raise ConverterError("the ONNX file has not as many outputs as the "
                             "source")
    diff = max(float(numpy.max(numpy.abs(numpy.asarray(a, numpy.float64)
                                         - numpy.asarray(b, numpy.float64))))
               for item, onnx_item in zip(source_outputs, onnx_outputs)
               for a, b in zip(item, onnx_item))
    top1 = sum(int(numpy.argmax(item[0]) == numpy.argmax(onnx_item[0]))
               for item, onnx_item in zip(source_outputs, onnx_outputs))
    if not diff <= MAX_ABS_DIFF:
        raise ConverterError(f"the ONNX file differs from the source by "
                             f"{diff:g} (limit {MAX_ABS_DIFF:g})")
    return {"inputs": len(source_outputs), "top1_equal": top1,
            "max_abs_diff": diff, "limit": MAX_ABS_DIFF,
            "against": "the source, seeded synthetic inputs"}


def run_onnxruntime(path: Path, items):
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"])
    return [session.run(None, item) for item in items]


def by_name(values: dict, names: list, what: str) -> list:
    """`values` in the order of `names` (tf2onnx keeps the source's names
    of inputs and outputs)."""
    missing = [name for name in names if name not in values]
    if missing:
        raise ConverterError(f"{what} {missing[0]!r} is not both the "
                             f"source's and the ONNX file's (the other has "
                             f"{', '.join(values)})")
    return [values[name] for name in names]


def tf2onnx(fmt: str, source: Path, given: list, out: Path) -> dict:
    """tf2onnx 1.17 on a SavedModel folder or a .tflite file; checked
    against TensorFlow's serving signature or the LiteRT interpreter, every
    input and output matched by name (tf2onnx names them as the signature
    or the .tflite tensors are named)."""
    import tf2onnx as converter
    option = "--saved-model" if fmt == "tensorflow" else "--tflite"
    result = subprocess.run(
        [sys.executable, "-m", "tf2onnx.convert", option, str(source),
         "--output", str(out), "--opset", str(ONNX_OPSET)],
        capture_output=True, text=True)
    if result.returncode != 0 or not out.is_file():
        errors = [line for line in result.stderr.splitlines()
                  if "Error" in line or "error" in line]
        raise ConverterError(f"tf2onnx {converter.__version__} cannot "
                             "convert it: " + first_line(
                                 "\n".join(errors) or result.stderr))
    items, outputs = check_inputs(out, given)
    source_outputs = []
    if fmt == "tensorflow":
        import tensorflow
        function = tensorflow.saved_model.load(str(source)).signatures[
            "serving_default"]
        for item in items:
            results = function(**{name: tensorflow.constant(value)
                                  for name, value in item.items()})
            source_outputs.append([value.numpy() for value in by_name(
                results, outputs, "output")])
    else:
        from ai_edge_litert.interpreter import Interpreter
        interpreter = Interpreter(model_path=str(source))
        interpreter.allocate_tensors()
        for item in items:
            for detail in interpreter.get_input_details():
                (value,) = by_name(item, [detail["name"]], "input")
                interpreter.set_tensor(detail["index"], value)
            interpreter.invoke()
            indices = {detail["name"]: detail["index"]
                       for detail in interpreter.get_output_details()}
            source_outputs.append([interpreter.get_tensor(index).copy()
                                   for index in by_name(indices, outputs,
                                                        "output")])
    return {"converter": "tf2onnx", "converter_version": converter.__version__,
            "check": compare(source_outputs, run_onnxruntime(out, items))}


def mxnet_export(symbol: Path, params: Path, given: list, out: Path) -> dict:
    """mxnet.onnx.export_model (MXNet 1.9.1); checked against MXNet with
    onnx's reference evaluator (no ONNX Runtime in the MXNet venv). A symbol
    keeps no input shapes or types: each data input needs its --input."""
    import mxnet
    import numpy
    from onnx.reference import ReferenceEvaluator
    try:
        graph = mxnet.sym.load(str(symbol))
        loaded = mxnet.nd.load(str(params))
    except Exception as error:  # MXNetError and JSON errors
        raise SourceError(f"{symbol}: not an MXNet symbol and params pair ("
                          f"{first_line(str(error))})") from None
    parameters = {key.split(":", 1)[-1] for key in loaded}
    data = [name for name in graph.list_inputs() if name not in parameters]
    wanted = {entry["name"]: entry for entry in given if entry.get("shape")}
    missing = [name for name in data if name not in wanted]
    if missing:
        raise SourceError(f"an MXNet symbol keeps no input shape: give "
                          f"--input {missing[0]}:1x3x224x224:float32 (its "
                          f"inputs: {', '.join(data)})")
    shapes = [[1] + list(wanted[name]["shape"][1:]) for name in data]
    types = [numpy.dtype(wanted[name].get("dtype") or "float32")
             for name in data]
    try:
        mxnet.onnx.export_model(
            str(symbol), str(params), shapes, types, str(out),
            dynamic=True,
            dynamic_input_shapes=[[None] + shape[1:] for shape in shapes])
    except Exception as error:  # the exporter raises several types
        raise ConverterError(f"mxnet.onnx.export_model {mxnet.__version__} "
                             "cannot export it: "
                             + first_line(str(error) or type(error).__name__)
                             ) from None
    items, outputs = check_inputs(out, given)
    # The exporter may order the outputs otherwise; it names each as the
    # symbol does, less "_output".
    names = [name.removesuffix("_output") for name in graph.list_outputs()]
    block = mxnet.gluon.SymbolBlock.imports(str(symbol), data, str(params))
    source_outputs = []
    for item in items:
        result = block(*[mxnet.nd.array(item[name], dtype=item[name].dtype)
                         for name in data])
        values = result if isinstance(result, (list, tuple)) else [result]
        source_outputs.append(by_name(dict(zip(names, (
            value.asnumpy() for value in values))), outputs, "output"))
    evaluator = ReferenceEvaluator(str(out))
    onnx_outputs = [evaluator.run(None, item) for item in items]
    return {"converter": "mxnet.onnx.export_model",
            "converter_version": mxnet.__version__,
            "check": compare(source_outputs, onnx_outputs)}


def inspect_ir(xml: Path) -> dict:
    import openvino
    try:
        model = openvino.Core().read_model(str(xml))
    except Exception as error:  # OpenVINO raises RuntimeError and others
        raise SourceError(f"{xml} is not a readable OpenVINO IR ("
                          f"{first_line(str(error))})") from None

    def value(port) -> dict:
        shape = [dim.get_length() if dim.is_static else -1
                 for dim in port.get_partial_shape()]
        return {"name": port.get_any_name(), "shape": shape,
                "dtype": port.get_element_type().to_dtype().name}

    return {"inputs": [value(port) for port in model.inputs],
            "outputs": [value(port) for port in model.outputs], "opset": 0,
            "converter_version": openvino.__version__}


def main(argv) -> dict:
    fmt = argv[0]
    if fmt in ("tensorflow", "tflite"):
        return tf2onnx(fmt, Path(argv[1]), json.loads(argv[2]), Path(argv[3]))
    if fmt == "mxnet":
        return mxnet_export(Path(argv[1]), Path(argv[2]), json.loads(argv[3]),
                            Path(argv[4]))
    return inspect_ir(Path(argv[1]))


if __name__ == "__main__":
    try:
        print(json.dumps(main(sys.argv[1:])))
    except SourceError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    except ConverterError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
