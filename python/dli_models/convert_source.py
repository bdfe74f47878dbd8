"""Converts an imported model that is not ONNX into the ONNX hub, or reads
what an OpenVINO IR declares, in the venv of the framework that reads it:

    python -m dli_models.convert_source tensorflow|tflite SOURCE OUT.onnx
    python -m dli_models.convert_source mxnet SYMBOL PARAMS INPUTS OUT.onnx
    python -m dli_models.convert_source openvino XML

Prints one JSON line: for a conversion the converter, its version and the
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


def check_inputs(onnx_path: Path):
    """Seeded inputs of the ONNX file's input shape (batch 1 each)."""
    import numpy
    import onnx
    model = onnx.load(str(onnx_path))
    initializers = {tensor.name for tensor in model.graph.initializer}
    data = [info for info in model.graph.input
            if info.name not in initializers]
    if len(data) != 1:
        raise SourceError(f"{onnx_path.name} converted with "
                          f"{len(data)} inputs: importing a multi-input model "
                          "from this format is not supported yet; export it "
                          "to ONNX and import that")
    (info,) = data
    dims = [dim.dim_value if dim.HasField("dim_value") else -1
            for dim in info.type.tensor_type.shape.dim]
    if any(dim <= 0 for dim in dims[1:]):
        raise ConverterError(f"input {info.name} has shape {dims}: no "
                             "synthetic input can be made for the check")
    generator = numpy.random.default_rng(0)
    return info.name, [generator.standard_normal([1] + dims[1:])
                       .astype(numpy.float32) for _ in range(CHECK_INPUTS)]


def compare(source_outputs, onnx_outputs) -> dict:
    import numpy
    diff = max(float(numpy.max(numpy.abs(a - b)))
               for a, b in zip(source_outputs, onnx_outputs))
    top1 = sum(int(numpy.argmax(a) == numpy.argmax(b))
               for a, b in zip(source_outputs, onnx_outputs))
    if not diff <= MAX_ABS_DIFF:
        raise ConverterError(f"the ONNX file differs from the source by "
                             f"{diff:g} (limit {MAX_ABS_DIFF:g})")
    return {"inputs": len(source_outputs), "top1_equal": top1,
            "max_abs_diff": diff, "limit": MAX_ABS_DIFF,
            "against": "the source, seeded synthetic inputs"}


def run_onnxruntime(path: Path, name: str, inputs):
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"])
    return [session.run(None, {name: batch})[0] for batch in inputs]


def tf2onnx(fmt: str, source: Path, out: Path) -> dict:
    """tf2onnx 1.17 on a SavedModel folder or a .tflite file; checked
    against TensorFlow's serving signature or the LiteRT interpreter."""
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
    name, inputs = check_inputs(out)
    if fmt == "tensorflow":
        import tensorflow
        function = tensorflow.saved_model.load(str(source)).signatures[
            "serving_default"]
        (argument,) = function.structured_input_signature[1]
        source_outputs = [next(iter(function(**{
            argument: tensorflow.constant(batch)}).values())).numpy()
            for batch in inputs]
    else:
        from ai_edge_litert.interpreter import Interpreter
        interpreter = Interpreter(model_path=str(source))
        interpreter.allocate_tensors()
        source_outputs = []
        for batch in inputs:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                                   batch)
            interpreter.invoke()
            source_outputs.append(interpreter.get_tensor(
                interpreter.get_output_details()[0]["index"]).copy())
    return {"converter": "tf2onnx", "converter_version": converter.__version__,
            "check": compare(source_outputs,
                             run_onnxruntime(out, name, inputs))}


def mxnet_export(symbol: Path, params: Path, given: list, out: Path) -> dict:
    """mxnet.onnx.export_model (MXNet 1.9.1); checked against MXNet with
    onnx's reference evaluator (no ONNX Runtime in the MXNet venv)."""
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
    if len(data) != 1:
        raise SourceError(f"{symbol} has inputs {data}: DLI's backends take "
                          "one input")
    if not given or given[-1]["name"] != data[0]:
        raise SourceError(f"an MXNet symbol keeps no input shape: give "
                          f"--input {data[0]}:1x3x224x224:float32 (its "
                          f"input is {data[0]})")
    shape = [1] + given[-1]["shape"][1:]
    try:
        mxnet.onnx.export_model(
            str(symbol), str(params), [shape], [numpy.float32], str(out),
            dynamic=True,
            dynamic_input_shapes=[[None] + shape[1:]])
    except Exception as error:  # the exporter raises several types
        raise ConverterError(f"mxnet.onnx.export_model {mxnet.__version__} "
                             "cannot export it: "
                             + first_line(str(error) or type(error).__name__)
                             ) from None
    name, inputs = check_inputs(out)
    block = mxnet.gluon.SymbolBlock.imports(str(symbol), [data[0]],
                                            str(params))
    source_outputs = [block(mxnet.nd.array(batch)).asnumpy()
                      for batch in inputs]
    evaluator = ReferenceEvaluator(str(out))
    onnx_outputs = [evaluator.run(None, {name: batch})[0] for batch in inputs]
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
        return tf2onnx(fmt, Path(argv[1]), Path(argv[2]))
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
