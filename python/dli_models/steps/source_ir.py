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
from dli_models.steps import openvino_ir, source


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
    return [context.model_dir / xml] + common.check_output_paths(context)


STEP = common.Step(
    name="source_ir",
    interpreter="openvino",
    description="keep an imported OpenVINO IR as the openvino format and run "
                "it on the check set",
    depends=("source_inputs",),
    origin=common.IMPORTED,
    formats=("openvino_ir",), frameworks=("openvino",),
    converter="(the imported file)",
    inputs=lambda context: sorted((context.model_dir / "source").glob("*"))
    + common.check_input_paths(context),
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
    names, inputs = source.load_inputs(context)
    try:
        outputs = [numpy.asarray(output) for output in openvino_ir.infer(
            openvino.Core(), context.model_dir / xml, metadata, inputs)]
    except Exception as error:  # OpenVINO raises RuntimeError and others
        raise common.StepError("OpenVINO cannot run the imported IR: " + (
            str(error).strip().splitlines() or [type(error).__name__])[0]
        ) from None
    for entry, output in zip(common.model_outputs(metadata), outputs):
        declared = entry["shape"]
        if (len(output) != len(names) or len(output.shape) != len(declared)
                or any(want > 0 and have != want for have, want in
                       zip(output.shape[1:], declared[1:]))):
            raise common.StepError(
                f"the imported IR gives {entry['name']} of shape "
                f"{list(output.shape)} on {len(names)} inputs; it declares "
                f"{declared}")
        if not numpy.all(numpy.isfinite(output)):
            raise common.StepError(f"the imported IR gives non-finite "
                                   f"{entry['name']} on the check set")
    common.write_check_arrays(context, common.check_output_paths(context),
                              outputs)
    version = package_metadata.version("openvino")
    what = f"the source OpenVINO IR in OpenVINO {version}"
    folder = context.model_dir / common.CHECK_DIR
    common.write_file_atomic(folder / common.CHECK_SOURCE,
                             lambda temporary: temporary.write_text(what + "\n"))
    shapes = [list(output.shape) for output in outputs]
    print(f"{what}: finite outputs {shapes} on {len(names)} inputs")
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="openvino-ir-fp32", format="openvino_ir", precision="FP32",
        path=xml, weights=weights, frameworks=["openvino"],
        converter="(the imported file)", converter_version="-",
        layout=common.model_inputs(metadata)[0].get("layout") or "NCHW",
        sanity={"inputs": len(names),
                "output_shape": shapes[0] if len(shapes) == 1 else shapes,
                "finite": True})])


if __name__ == "__main__":
    common.step_main(STEP, run)
