"""The ONNX file OpenCV 4.6 runs, checked in OpenCV itself: the hub file as
it is when OpenCV reads it, or else its opset-10 rewrite. OpenCV 4.6's
importer reads Clip only with min/max attributes (ONNX's form up to opset 10)
and cannot parse an Identity node over a constant (torch's exporter writes
them for shared weights), so the rewrite drops those Identity nodes and, for
files above opset 10, takes the graph down to opset 10.

onnx.version_converter cannot do it (1.20 has no down-adapters for ops whose
newer versions only added types, e.g. "No Adapter To Version $12 for Relu"),
so this step rewrites the graph itself: operators whose float semantics did
not change since opset 10 are kept as they are, Clip, Unsqueeze and Squeeze
get their constant operands back as attributes, and anything else fails the
step with the operator's name. ONNX Runtime then checks the result against
the source's outputs, and OpenCV (Debian's python3-opencv, the library the
backend links) runs it: the figures recorded are OpenCV's. OpenCV's entry is
always this step's; the hub's entry never lists OpenCV.
"""

from dli_models import common, onnx_rewrite
from dli_models.steps import source

MAX_ABS_DIFF = 1e-4
# Same meaning for float tensors in opset 10 as in opsets 11-17 (newer
# versions widened types or added attributes checked below).
UNCHANGED = {
    "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
    "HardSigmoid", "Conv", "Gemm", "MatMul", "Flatten", "GlobalAveragePool",
    "GlobalMaxPool", "BatchNormalization", "MaxPool", "AveragePool",
    "Concat", "Reshape", "Transpose", "Identity", "Constant", "Softmax",
    "Shape", "Gather", "Sqrt", "Pow", "Exp", "Erf", "ReduceMean", "Dropout",
    "Cast", "Slice", "Expand", "Where", "Equal", "ConstantOfShape", "Neg",
    "Abs", "Min", "Max",
}
# Attributes newer opsets added, harmless at these values.
DROPPABLE = {("Reshape", "allowzero"): 0,
             ("BatchNormalization", "training_mode"): 0}


def _file(model: str) -> str:
    return f"onnx/{model}-opset10.onnx"


def hub_opset(context: common.Context) -> int:
    """The hub ONNX file's opset as model.json records it (0 if unknown)."""
    try:
        formats = common.read_model_json(context).get("formats", [])
    except common.StepError:
        return 0
    return next((entry.get("opset", 0) for entry in formats
                 if entry["id"] == "onnx-fp32"), 0)


def _outputs(context: common.Context):
    path = context.model_dir / _file(context.model)
    if hub_opset(context) <= source.OPENCV_MAX_OPSET and not path.exists():
        return []  # OpenCV reads the hub file itself
    return [path]


STEP = common.Step(
    name="opencv_onnx",
    interpreter="onnxruntime",
    description="check the ONNX file in OpenCV 4.6; rewrite it to the "
                "opset-10 form OpenCV reads where needed",
    depends=(common.HUB,),
    formats=("onnx",), frameworks=("opencv",),
    converter="dli opset-10 rewrite",
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx"),
    outputs=_outputs,
)


def drop_constant_identities(model):
    """The model without Identity nodes whose operand is a constant: their
    consumers read the constant itself (OpenCV 4.6 cannot parse them). One
    whose output is a graph output stays."""
    graph = model.graph
    constants = onnx_rewrite.graph_constants(graph)
    graph_outputs = {output.name for output in graph.output}
    renamed = {}
    for node in [node for node in graph.node if node.op_type == "Identity"
                 and node.input[0] in constants
                 and node.output[0] not in graph_outputs]:
        renamed[node.output[0]] = node.input[0]
        graph.node.remove(node)
    for node in graph.node:
        for index, name in enumerate(node.input):
            if name in renamed:
                node.input[index] = renamed[name]
    return model


def to_opset10(model):
    """The model rewritten to opset 10, or StepError naming what has no
    opset-10 form."""
    from onnx import helper
    graph = model.graph
    constants = onnx_rewrite.graph_constants(graph)

    def constant(name: str, node):
        if name not in constants:
            raise common.StepError(f"{node.op_type} node {node.name!r} has a "
                                   "computed operand; opset 10 needs it "
                                   "constant")
        return constants[name]

    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise common.StepError(f"operator {node.domain}.{node.op_type} "
                                   "has no opset-10 form")
        if node.op_type == "Clip":
            bounds = [(attribute, float(constant(name, node)))
                      for attribute, name in zip(("min", "max"), node.input[1:])
                      if name]
            del node.input[1:]
            node.attribute.extend(helper.make_attribute(attribute, value)
                                  for attribute, value in bounds)
        elif node.op_type in ("Unsqueeze", "Squeeze"):
            onnx_rewrite.axes_as_attribute(node, constants)
        elif node.op_type == "Softmax" and next(
                (a.i for a in node.attribute if a.name == "axis"), -1) != -1:
            # Before opset 13 Softmax flattens to 2-D at `axis`: the same
            # only when that is the last axis.
            raise common.StepError("Softmax over an axis other than the last "
                                   "has no opset-10 form")
        elif node.op_type not in UNCHANGED | {"Unsqueeze", "Squeeze"}:
            raise common.StepError(f"operator {node.op_type} has no opset-10 "
                                   "form here")
        for attribute in list(node.attribute):
            if DROPPABLE.get((node.op_type, attribute.name)) == attribute.i:
                node.attribute.remove(attribute)
    used = {name for node in graph.node for name in node.input}
    for node in [node for node in graph.node if node.op_type == "Constant"
                 and node.output[0] not in used]:
        graph.node.remove(node)
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("", 10))
    return model


# Runs in Debian's system Python, whose cv2 is the OpenCV the backend links:
# reads the ONNX file, sets each input by name from its .npy, writes every
# output (in the order given) to out<i>.npy, prints the version.
_OPENCV_SCRIPT = """
import sys, cv2, numpy
path, folder, n_inputs = sys.argv[1], sys.argv[2], int(sys.argv[3])
names, outputs = sys.argv[4:4 + n_inputs], sys.argv[4 + n_inputs:]
net = cv2.dnn.readNetFromONNX(path)
for i, name in enumerate(names):
    net.setInput(numpy.load(f"{folder}/in{i}.npy").astype(numpy.float32), name)
for i, value in enumerate(net.forward(outputs)):
    numpy.save(f"{folder}/out{i}.npy", value)
print(cv2.__version__)
"""
OPENCV_VERSION = [""]


def opencv_outputs(path, metadata, inputs, what: str = "opset-10 ONNX"):
    """Every output of the ONNX file at `path` in OpenCV on the check inputs,
    one batch item at a time (as a point at batch 1 runs), or None when this
    machine has no python3-opencv. Raises StepError when OpenCV cannot read
    or run the file, with its one-line reason."""
    import subprocess
    import tempfile
    import numpy
    probe = subprocess.run([str(common.system_python()), "-c", "import cv2"], capture_output=True)
    if probe.returncode != 0:
        print(f"python3-opencv is not installed: the {what} file is checked in "
              "ONNX Runtime only")
        return None
    input_names = [entry["name"] for entry in common.model_inputs(metadata)]
    output_names = [entry["name"] for entry in common.model_outputs(metadata)]
    per_item = []
    with tempfile.TemporaryDirectory() as folder:
        for item in range(len(inputs[0])):
            for i, values in enumerate(inputs):
                numpy.save(f"{folder}/in{i}.npy", values[item:item + 1])
            proc = subprocess.run([str(common.system_python()), "-c", _OPENCV_SCRIPT, str(path), folder,
                                   str(len(input_names)), *input_names, *output_names],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
                reason = next((line for line in reversed(lines) if "error:" in line),
                              lines[-1] if lines else "no message").lstrip("> ").strip()
                raise common.StepError(f"OpenCV cannot run the {what} file: {reason}")
            OPENCV_VERSION[0] = proc.stdout.strip()
            per_item.append([numpy.load(f"{folder}/out{j}.npy")
                             for j in range(len(output_names))])
    return [numpy.concatenate([item[j] for item in per_item])
            for j in range(len(output_names))]


def check(context: common.Context, path, what: str) -> dict:
    """The file's parity with the reference: in ONNX Runtime (the rewrite
    itself), then in OpenCV where this machine has Debian's python3-opencv
    (the same 4.6 library as the backend), whose figures are the ones
    recorded. `what` names the file in messages."""
    metadata = common.read_model_json(context)
    names, inputs, reference = common.load_check_tensors(context)
    try:
        outputs = source.run_onnx(path, metadata, inputs)
    except Exception as error:  # ONNX Runtime's errors have no common type
        raise common.StepError(f"ONNX Runtime cannot run the {what} file: "
                               + str(error).strip().splitlines()[0]) from None
    output_names = [entry["name"] for entry in common.model_outputs(metadata)]
    parity = common.compare_outputs(f"{what} in ONNX Runtime", outputs, reference, names,
                                    output_names, max_abs_diff=MAX_ABS_DIFF)
    in_opencv = opencv_outputs(path, metadata, inputs, what)
    if in_opencv is None:
        return parity
    return common.compare_outputs(f"{what} in OpenCV " + OPENCV_VERSION[0], in_opencv,
                                  reference, names, output_names, max_abs_diff=MAX_ABS_DIFF)


def _rewrite(hub, path, version: int) -> None:
    """Writes the hub's rewrite for OpenCV to `path`."""
    import onnx
    converted = drop_constant_identities(onnx.load(str(hub)))
    if version > source.OPENCV_MAX_OPSET:
        converted = to_opset10(converted)
    try:
        onnx.checker.check_model(converted)
    except onnx.checker.ValidationError as error:
        raise common.StepError("the opset-10 rewrite is not valid ONNX: "
                               + str(error).strip().splitlines()[0]) from None
    common.write_file_atomic(path, lambda temporary: onnx.save(
        converted, str(temporary)))


def run(context: common.Context) -> None:
    import onnx
    hub = common.hub_onnx(context)
    path = context.model_dir / _file(context.model)
    version = source.opset(hub)
    chosen, converter, converter_version, parity = None, "", "", None
    if version <= source.OPENCV_MAX_OPSET:
        try:
            parity = check(context, hub, "ONNX")
            chosen, converter, converter_version = hub, "(the hub file)", "-"
            print(f"the ONNX file is opset {version}: OpenCV reads it as it is")
            path.unlink(missing_ok=True)
        except common.StepError as error:
            print(f"{error}; rewriting it")
    if chosen is None:
        _rewrite(hub, path, version)
        try:
            parity = check(context, path, "opset-10 ONNX")
        except common.StepError:
            # No file or entry of an earlier run stays to say OpenCV can read it.
            path.unlink(missing_ok=True)
            common.register_formats(context, STEP.name, [])
            raise
        chosen, converter = path, STEP.converter
        converter_version = f"onnx {onnx.__version__}"
    metadata = common.read_model_json(context)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="onnx-opset10-fp32", format=common.ONNX_FORMAT,
        precision="FP32", path=str(chosen.relative_to(context.model_dir)),
        frameworks=["opencv"], converter=converter,
        converter_version=converter_version,
        layout=common.model_inputs(metadata)[0].get("layout") or "NCHW",
        opset=source.opset(chosen), parity=parity)])


if __name__ == "__main__":
    common.step_main(STEP, run)
