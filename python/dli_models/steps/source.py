"""The hub of an imported model: its ONNX file, run by ONNX Runtime on the
check set to give the outputs every converted file is compared with.

`dli models import` copies the user's file to source/; this step copies it
to onnx/<model>.onnx unchanged (the file every converter reads), runs it and
registers it. A SavedModel, .tflite or MXNet source was converted to
onnx/<model>.onnx by the import itself (convert_source.py): this step runs
and registers that file. OpenCV 4.6 reads it too when its opset is 10 or less; newer
files get an opset-10 form from the opencv_onnx step.
"""

import shutil

from dli_models import common

# OpenCV 4.6's ONNX importer reads Clip only in its opset <= 10 form.
OPENCV_MAX_OPSET = 10


def _inputs(context: common.Context):
    return sorted((context.model_dir / "source").glob("*")) + [
        context.model_dir / "reference" / "check_input.npy"]


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
    outputs=("{model_dir}/onnx/{model}.onnx",
             "{model_dir}/reference/check_logits.npy",
             "{model_dir}/reference/source.txt"),
)


def opset(path) -> int:
    import onnx
    model = onnx.load(str(path), load_external_data=False)
    return next((entry.version for entry in model.opset_import
                 if entry.domain in ("", "ai.onnx")), 0)


def run_onnx(path, input_name: str, batch):
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {input_name: batch})[0]


def run(context: common.Context) -> None:
    import numpy
    import onnxruntime
    metadata = common.read_model_json(context)
    hub = common.hub_onnx(context)
    names, inputs, _ = load_inputs(context)
    if metadata["source"]["format"] == "torchscript":
        # source_export made the hub and the reference outputs: this checks
        # the export.
        names, inputs, reference = common.load_check_set(context)
        parity = common.compare_with_reference(
            f"exported ONNX in ONNX Runtime {onnxruntime.__version__}",
            run_onnx(hub, metadata["input"]["name"], inputs), reference,
            names, max_abs_diff=1e-3)
        register(context, metadata, hub, parity, "torch.onnx.export",
                 metadata["source"]["exporter_version"])
        return
    converter = metadata["source"].get("converter")
    if converter is None:  # an ONNX source: the hub is the file itself
        source = context.model_dir / metadata["source"]["file"]
        common.write_file_atomic(hub, lambda temporary: shutil.copyfile(
            source, temporary))
    try:
        outputs = run_onnx(hub, metadata["input"]["name"], inputs)
    except Exception as error:  # ONNX Runtime's errors have no common type
        raise common.StepError("ONNX Runtime cannot run the imported file: "
                               + str(error).strip().splitlines()[0]) from None
    folder = context.model_dir / common.CHECK_DIR
    common.write_file_atomic(folder / "check_logits.npy",
                             lambda temporary: numpy.save(temporary, outputs))
    what = f"the source ONNX in ONNX Runtime {onnxruntime.__version__}"
    common.write_file_atomic(folder / common.CHECK_SOURCE,
                             lambda temporary: temporary.write_text(what + "\n"))
    print(f"{what}: output {list(outputs.shape)} on {len(names)} inputs")
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
    frameworks = ["onnxruntime", "openvino"]
    if version <= OPENCV_MAX_OPSET:
        frameworks.append("opencv")
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="onnx-fp32", format=common.ONNX_FORMAT, precision="FP32",
        path=str(hub.relative_to(context.model_dir)), frameworks=frameworks,
        converter=converter, converter_version=converter_version,
        layout=metadata["input"].get("layout") or "NCHW", opset=version,
        parity=parity)])


def load_inputs(context: common.Context):
    """The check set's names and inputs (the outputs are this step's)."""
    import numpy
    folder = context.model_dir / common.CHECK_DIR
    names = (folder / "check_images.txt").read_text().split()
    return names, numpy.load(folder / "check_input.npy"), None


if __name__ == "__main__":
    common.step_main(STEP, run)
