"""The hub of an imported model: its ONNX file, run by ONNX Runtime on the
check set to give the outputs every converted file is compared with.

`dli models import` copies the user's file to source/; this step copies it
to onnx/<model>.onnx unchanged (the file every converter reads), runs it and
registers it. A SavedModel, .tflite or MXNet source was converted to
onnx/<model>.onnx by the import itself (convert_source.py): this step runs
and registers that file. The opencv_onnx step checks it in OpenCV 4.6 (or
its opset-10 rewrite, when OpenCV cannot read it as it is).
"""

import shutil

from dli_models import common

# OpenCV 4.6's ONNX importer reads Clip only in its opset <= 10 form.
OPENCV_MAX_OPSET = 10


def _inputs(context: common.Context):
    return (sorted((context.model_dir / "source").glob("*"))
            + common.check_input_paths(context))


STEP = common.Step(
    name="source",
    interpreter="onnxruntime",
    description="run the imported ONNX file in ONNX Runtime: the reference "
                "outputs of every parity check",
    depends=("source_inputs", "source_export"),
    origin=common.IMPORTED,
    formats=("onnx",), frameworks=("onnxruntime", "openvino"),
    converter="(the imported file)",
    inputs=_inputs,
    outputs=lambda context: [common.hub_onnx(context),
                             context.model_dir / common.CHECK_DIR /
                             common.CHECK_SOURCE]
    + common.check_output_paths(context),
)


def opset(path) -> int:
    import onnx
    model = onnx.load(str(path), load_external_data=False)
    return next((entry.version for entry in model.opset_import
                 if entry.domain in ("", "ai.onnx")), 0)


def run_onnx(path, metadata: dict, inputs) -> list:
    """An ONNX file's outputs in model.json's order, for the inputs in
    model.json's order, in ONNX Runtime."""
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"])
    return session.run(
        [entry["name"] for entry in common.model_outputs(metadata)],
        {entry["name"]: batch for entry, batch in
         zip(common.model_inputs(metadata), inputs)})


def run(context: common.Context) -> None:
    import onnxruntime
    metadata = common.read_model_json(context)
    output_names = [entry["name"] for entry in common.model_outputs(metadata)]
    hub = common.hub_onnx(context)
    if metadata["source"]["format"] == "torchscript":
        # source_export made the hub and the reference outputs: this checks
        # the export.
        names, inputs, reference = common.load_check_tensors(context)
        parity = common.compare_outputs(
            f"exported ONNX in ONNX Runtime {onnxruntime.__version__}",
            run_onnx(hub, metadata, inputs), reference, names, output_names,
            max_abs_diff=1e-3)
        register(context, metadata, hub, parity, "torch.onnx.export",
                 metadata["source"]["exporter_version"])
        return
    converter = metadata["source"].get("converter")
    if converter is None:  # an ONNX source: the hub is the file itself
        source = context.model_dir / metadata["source"]["file"]
        common.write_file_atomic(hub, lambda temporary: shutil.copyfile(
            source, temporary))
    names, inputs = load_inputs(context)
    try:
        outputs = run_onnx(hub, metadata, inputs)
    except Exception as error:  # ONNX Runtime's errors have no common type
        raise common.StepError("ONNX Runtime cannot run the imported file: "
                               + str(error).strip().splitlines()[0]) from None
    common.write_check_arrays(context, common.check_output_paths(context),
                              outputs)
    what = f"the source ONNX in ONNX Runtime {onnxruntime.__version__}"
    folder = context.model_dir / common.CHECK_DIR
    common.write_file_atomic(folder / common.CHECK_SOURCE,
                             lambda temporary: temporary.write_text(what + "\n"))
    print(f"{what}: outputs " + ", ".join(
        f"{name} {list(output.shape)}"
        for name, output in zip(output_names, outputs))
        + f" on {len(names)} inputs")
    if converter is not None:
        # `dli models import` converted the source (convert_source.py) and
        # checked the ONNX file against the source framework then.
        register(context, metadata, hub, metadata["source"]["check"],
                 converter, metadata["source"]["converter_version"])
        return
    register(context, metadata, hub, {"inputs": len(names),
                                      "top1_equal": len(names),
                                      "max_abs_diff": 0.0, "limit": None},
             "(the imported file)", "-")


def register(context: common.Context, metadata: dict, hub, parity: dict,
             converter: str, converter_version: str) -> None:
    version = opset(hub)
    # OpenCV's entry is the opencv_onnx step's, checked in OpenCV itself.
    frameworks = ["onnxruntime", "openvino"]
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="onnx-fp32", format=common.ONNX_FORMAT, precision="FP32",
        path=str(hub.relative_to(context.model_dir)), frameworks=frameworks,
        converter=converter, converter_version=converter_version,
        layout=common.model_inputs(metadata)[0].get("layout") or "NCHW",
        opset=version,
        parity=parity)])


def load_inputs(context: common.Context):
    """The check set's names and inputs (the outputs are this step's)."""
    import numpy
    names = (context.model_dir / common.CHECK_DIR /
             common.CHECK_NAMES).read_text().split()
    return names, [numpy.load(path)
                   for path in common.check_input_paths(context)]


if __name__ == "__main__":
    common.step_main(STEP, run)
