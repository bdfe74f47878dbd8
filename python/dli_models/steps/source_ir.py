"""An imported OpenVINO IR, kept as the openvino framework's format: no
converter writes ONNX (or anything else) from IR, so it is the model's only
format. Its outputs on the check set are the reference, and with nothing to
compare them with, the step records a sanity run instead of a parity check:
the IR compiles, runs on every input and gives finite outputs of the
declared shape. A model imported from any other format has nothing to do
here.
"""

import shutil

from dli_models import common
from dli_models.steps import openvino_ir


def is_ir(context: common.Context) -> bool:
    try:
        metadata = common.read_model_json(context)
    except common.StepError:
        return False
    return metadata.get("source", {}).get("format") == "openvino_ir"


def _outputs(context: common.Context):
    if not is_ir(context):
        return []
    xml = openvino_ir.ir_file(context.model, "FP32", ".xml")
    return [context.model_dir / xml,
            context.model_dir / "reference" / "check_logits.npy"]


STEP = common.Step(
    name="source_ir",
    interpreter="openvino",
    description="keep an imported OpenVINO IR as the openvino format and run "
                "it on the check set",
    depends=("source_inputs",),
    origin=common.IMPORTED,
    formats=("openvino_ir",), frameworks=("openvino",),
    converter="(the imported file)",
    inputs=lambda context: sorted((context.model_dir / "source").glob("*")) + [
        context.model_dir / "reference" / "check_input.npy"],
    outputs=_outputs,
)


def run(context: common.Context) -> None:
    if not is_ir(context):
        print("the source is no OpenVINO IR: nothing to do")
        common.register_formats(context, STEP.name, [])
        return
    from importlib import metadata as package_metadata

    import numpy
    import openvino
    metadata = common.read_model_json(context)
    xml = openvino_ir.ir_file(context.model, "FP32", ".xml")
    weights = openvino_ir.ir_file(context.model, "FP32", ".bin")
    (context.model_dir / xml).parent.mkdir(parents=True, exist_ok=True)
    for copy, original in ((xml, metadata["source"]["file"]),
                           (weights, metadata["source"]["weights"])):
        common.write_file_atomic(
            context.model_dir / copy, lambda temporary, original=original:
            shutil.copyfile(context.model_dir / original, temporary))
    folder = context.model_dir / common.CHECK_DIR
    names = (folder / "check_images.txt").read_text().split()
    inputs = numpy.load(folder / "check_input.npy")
    try:
        outputs = numpy.asarray(openvino_ir.infer(
            openvino.Core(), context.model_dir / xml, metadata, inputs))
    except Exception as error:  # OpenVINO raises RuntimeError and others
        raise common.StepError("OpenVINO cannot run the imported IR: " + (
            str(error).strip().splitlines() or [type(error).__name__])[0]
        ) from None
    declared = metadata["output"]["shape"]
    if (len(outputs) != len(names) or len(outputs.shape) != len(declared)
            or any(want > 0 and have != want for have, want in
                   zip(outputs.shape[1:], declared[1:]))):
        raise common.StepError(f"the imported IR gives outputs of shape "
                               f"{list(outputs.shape)} on {len(names)} inputs;"
                               f" it declares {declared}")
    if not numpy.all(numpy.isfinite(outputs)):
        raise common.StepError("the imported IR gives non-finite outputs on "
                               "the check set")
    common.write_file_atomic(folder / "check_logits.npy",
                             lambda temporary: numpy.save(temporary, outputs))
    version = package_metadata.version("openvino")
    what = f"the source OpenVINO IR in OpenVINO {version}"
    common.write_file_atomic(folder / common.CHECK_SOURCE,
                             lambda temporary: temporary.write_text(what + "\n"))
    print(f"{what}: finite outputs {list(outputs.shape)} on {len(names)} "
          "inputs")
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="openvino-ir-fp32", format="openvino_ir", precision="FP32",
        path=xml, weights=weights, frameworks=["openvino"],
        converter="(the imported file)", converter_version="-",
        layout=metadata["input"].get("layout") or "NCHW",
        sanity={"inputs": len(names), "output_shape": list(outputs.shape),
                "finite": True})])


if __name__ == "__main__":
    common.step_main(STEP, run)
