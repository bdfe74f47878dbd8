"""MXNet symbol + params for the MXNet backend, imported from the reference
ONNX file with MXNet 1.9.1's own importer (mxnet.contrib.onnx.import_model;
the newer mxnet.onnx package of 1.9.1 only exports).

Two adjustments make the importer and the C predict API work with today's
ONNX export:
- MXNet's importer reads constant operands (Clip's min and max since opset
  11) only from initializers: Constant nodes become initializers.
- MXNet's importer looks every initializer up among the graph inputs, as
  ONNX IR version 3 required; torch exports IR >= 4, where initializers are
  not inputs. The step lists them as inputs (valid ONNX in every IR version)
  in a temporary copy before importing.
- A symbol keeps no input shape. The step records each input's as its data
  variable's `__shape__` attribute (what mx.sym.var(name, shape=...)
  writes), with 0, MXNet 1.x's unknown size, for the batch; backends/mxnet
  reads it.

The saved checkpoint is loaded back and checked against the reference
outputs of the check set (every output: max |diff| <= 1e-3, same top-1).
"""

import json
import os
import re
import tempfile
from pathlib import Path

from dli_models import common, onnx_rewrite

FORMAT_ID = "mxnet-fp32"
FRAMEWORKS = ["mxnet"]
MAX_ABS_DIFF = 1e-3
EPOCH = 0  # MXNet checkpoints are named <prefix>-<epoch:04d>.params


def checkpoint_prefix(model: str) -> str:
    return f"mxnet/{model}"


def symbol_file(model: str) -> str:
    return f"{checkpoint_prefix(model)}-symbol.json"


def params_file(model: str) -> str:
    return f"{checkpoint_prefix(model)}-{EPOCH:04d}.params"


STEP = common.Step(
    name="mxnet",
    interpreter="mxnet",
    description="import the ONNX file into MXNet (symbol + params)",
    depends=(common.HUB,),
    formats=("mxnet_symbol",), frameworks=("mxnet",),
    converter="mxnet.contrib.onnx.import_model",
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx"),
    outputs=(f"{{model_dir}}/{symbol_file('{model}')}",
             f"{{model_dir}}/{params_file('{model}')}"),
)


def import_onnx(onnx_path: Path):
    """(symbol, arg_params, aux_params) of the ONNX file, imported by MXNet."""
    import onnx
    from mxnet.contrib import onnx as onnx_mxnet
    from mxnet.contrib.onnx.onnx2mx import _import_helper
    # MXNet has erf (GELU's, in BERT and ViT), its ONNX importer's table
    # lacks the entry ("Operator Erf not implemented").
    _import_helper._convert_map.setdefault(
        "Erf", lambda attrs, inputs, proto: ("erf", attrs, inputs))
    # MXNet's importer reads sizes (Slice's ends, Reshape's target) only
    # from initializers, and Unsqueeze's and Squeeze's axes only as the
    # attribute of opsets up to 12.
    model = onnx_rewrite.fixed_sizes(onnx.load(str(onnx_path)))
    constants = onnx_rewrite.graph_constants(model.graph)
    for node in model.graph.node:
        onnx_rewrite.axes_as_attribute(node, constants)
        # ONNX's Reduce* keep the reduced axes unless told not to, MXNet's
        # drop them: the default is made explicit (LayerNorm's ReduceMean).
        if node.op_type.startswith("Reduce") and not any(
                attribute.name == "keepdims" for attribute in node.attribute):
            node.attribute.append(onnx.helper.make_attribute("keepdims", 1))
    # MXNet's importer reads Clip's min/max (opset >= 11) and other constant
    # operands only from initializers: Constant nodes become initializers.
    for node in [node for node in model.graph.node
                 if node.op_type == "Constant" and len(node.attribute) == 1
                 and node.attribute[0].name == "value"]:
        tensor = onnx.TensorProto()
        tensor.CopyFrom(node.attribute[0].t)
        tensor.name = node.output[0]
        model.graph.initializer.append(tensor)
        model.graph.node.remove(node)
    listed = {value.name for value in model.graph.input}
    for initializer in model.graph.initializer:
        if initializer.name not in listed:
            model.graph.input.append(onnx.helper.make_tensor_value_info(
                initializer.name, initializer.data_type, initializer.dims))
    with tempfile.TemporaryDirectory() as scratch:
        patched = Path(scratch) / onnx_path.name
        onnx.save(model, str(patched))
        return onnx_mxnet.import_model(str(patched))


def with_input_shapes(symbol, inputs: list):
    """The symbol with each input's shape (model.json's entries) recorded on
    its data variable; -1 (any size) becomes 0, MXNet 1.x's unknown
    dimension."""
    import mxnet
    graph = json.loads(symbol.tojson())
    for entry in inputs:
        nodes = [node for node in graph["nodes"]
                 if node["op"] == "null" and node["name"] == entry["name"]]
        if len(nodes) != 1:
            raise common.StepError(f"the imported symbol has no input "
                                   f"variable named {entry['name']!r}")
        mx_shape = tuple(0 if dim < 0 else dim for dim in entry["shape"])
        nodes[0].setdefault("attrs", {})["__shape__"] = str(mx_shape)
    return mxnet.sym.load_json(json.dumps(graph))


def save_checkpoint(symbol, arg_params, aux_params, symbol_path: Path,
                    params_path: Path) -> None:
    """Writes both files into a temporary folder first and then moves them in
    place, so an interrupted run leaves no half-written pair."""
    import mxnet
    symbol_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=symbol_path.parent) as scratch:
        prefix = Path(scratch) / "checkpoint"
        mxnet.model.save_checkpoint(str(prefix), EPOCH, symbol, arg_params,
                                    aux_params)
        os.replace(f"{prefix}-{EPOCH:04d}.params", params_path)
        os.replace(f"{prefix}-symbol.json", symbol_path)


def infer(symbol_prefix: Path, inputs_meta: list, inputs) -> list:
    """Runs a saved checkpoint on `inputs` (model.json's order and dtypes)
    with MXNet's CPU executor; its outputs in the symbol's order."""
    import mxnet
    symbol, arg_params, aux_params = mxnet.model.load_checkpoint(
        str(symbol_prefix), EPOCH)
    names = [entry["name"] for entry in inputs_meta]
    module = mxnet.mod.Module(symbol=symbol, data_names=names,
                              label_names=None, context=mxnet.cpu())
    module.bind(for_training=False, data_shapes=[
        mxnet.io.DataDesc(name, batch.shape, batch.dtype)
        for name, batch in zip(names, inputs)])
    module.set_params(arg_params, aux_params)
    module.forward(mxnet.io.DataBatch([mxnet.nd.array(batch, dtype=batch.dtype)
                                       for batch in inputs]))
    return [output.asnumpy() for output in module.get_outputs()]


def error_line(error: Exception) -> str:
    """The line that says what went wrong in an MXNet error, whose text is
    a C++ traceback (and, from simple_bind, a list of arguments after it):
    its first "SomethingError: ..." line, also in the error it wraps."""
    texts = [str(item) for item in (error, error.__context__) if item]
    found = [line.strip() for text in texts for line in text.splitlines()
             if re.match(r"\s*\w*Error: ", line)]
    return (found or (texts[0].strip().splitlines() or [type(error).__name__])
            )[0]


def run(context: common.Context) -> None:
    import mxnet
    metadata = common.read_model_json(context)
    inputs_meta = common.model_inputs(metadata)
    input_names = [entry["name"] for entry in inputs_meta]
    names, inputs, reference = common.load_check_tensors(context)
    onnx_path = common.hub_onnx(context)

    symbol, arg_params, aux_params = import_onnx(onnx_path)
    data_inputs = [name for name in symbol.list_inputs()
                   if name not in arg_params and name not in aux_params]
    if sorted(data_inputs) != sorted(input_names):
        raise common.StepError(f"the imported symbol's data inputs are "
                               f"{data_inputs}, expected {input_names}")
    symbol = with_input_shapes(symbol, inputs_meta)
    save_checkpoint(symbol, arg_params, aux_params,
                    context.model_dir / symbol_file(context.model),
                    context.model_dir / params_file(context.model))

    try:
        outputs = infer(context.model_dir / checkpoint_prefix(context.model),
                        inputs_meta, inputs)
    except Exception as error:  # MXNetError, RuntimeError from simple_bind
        raise common.StepError(f"MXNet {mxnet.__version__} cannot run the "
                               f"imported symbol: {error_line(error)}") from None
    parity = common.compare_outputs(
        f"MXNet {mxnet.__version__}", outputs, reference, names,
        [entry["name"] for entry in common.model_outputs(metadata)],
        max_abs_diff=MAX_ABS_DIFF)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id=FORMAT_ID, format="mxnet_symbol", precision="FP32",
        path=symbol_file(context.model),
        weights=params_file(context.model), frameworks=FRAMEWORKS,
        converter="mxnet.contrib.onnx.import_model",
        converter_version=mxnet.__version__,
        layout=inputs_meta[0].get("layout") or "NCHW", parity=parity)])


if __name__ == "__main__":
    common.step_main(STEP, run)
