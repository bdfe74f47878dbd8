"""OpenVINO IR in FP32 and FP16, converted from the reference ONNX file.

Checks with OpenVINO's CPU plugin, against the PyTorch logits of the check
set: the ONNX file itself (read by OpenVINO's ONNX frontend, which is why
the ONNX entry may list openvino) and both IRs. FP16 here means weights
stored in half precision (compress_to_fp16); the CPU plugin computes in
FP32 unless told otherwise.
"""

import os
import tempfile
from pathlib import Path

from dli_models import common

# (precision, compress_to_fp16, max |logit diff| allowed against PyTorch).
# FP16 weights move logits by ~0.1 (measured: 0.114), so FP16 is held to
# top-1 agreement only.
PRECISIONS = (("FP32", False, 1e-3), ("FP16", True, None))
FRAMEWORKS = ["openvino"]


def ir_file(model: str, precision: str, suffix: str) -> str:
    return f"openvino/{precision.lower()}/{model}{suffix}"


STEP = common.Step(
    name="openvino_ir",
    interpreter="openvino",
    description="convert the ONNX file to OpenVINO IR FP32 and FP16",
    depends=(common.HUB,),
    formats=("openvino_ir",), frameworks=("openvino",),
    converter="openvino.convert_model",
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx"),
    outputs=tuple(f"{{model_dir}}/{ir_file('{model}', precision, suffix)}"
                  for precision, _, _ in PRECISIONS
                  for suffix in (".xml", ".bin")),
)


def save_ir(model, xml_path: Path, compress_to_fp16: bool) -> None:
    """Saves the .xml/.bin pair into a temporary folder first and then moves
    both in place, so an interrupted run leaves no half-written pair."""
    import openvino
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=xml_path.parent) as scratch:
        scratch_xml = Path(scratch) / xml_path.name
        openvino.save_model(model, str(scratch_xml),
                            compress_to_fp16=compress_to_fp16)
        os.replace(scratch_xml.with_suffix(".bin"),
                   xml_path.with_suffix(".bin"))
        os.replace(scratch_xml, xml_path)


def infer(core, model_path: Path, model_json: dict, inputs) -> list:
    """The model's outputs (model.json's order) for `inputs` (the same) on
    the CPU plugin in f32 arithmetic: the plugin may default to bf16 on CPUs
    that have it, and the checks test the files, not that choice."""
    compiled = core.compile_model(str(model_path), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled({entry["name"]: batch for entry, batch in
                        zip(common.model_inputs(model_json), inputs)})
    return [results[compiled.output(entry["name"])]
            for entry in common.model_outputs(model_json)]


def run(context: common.Context) -> None:
    from importlib import metadata

    import openvino

    version = metadata.version("openvino")
    core = openvino.Core()
    names, inputs, reference = common.load_check_tensors(context)
    onnx_path = common.hub_onnx(context)
    model_json = common.read_model_json(context)
    output_names = [entry["name"]
                    for entry in common.model_outputs(model_json)]

    default_precision = core.get_property("CPU", "INFERENCE_PRECISION_HINT")
    print(f"CPU plugin default inference precision here: "
          f"{default_precision.to_string()}; the checks below run with f32")

    common.compare_outputs(
        f"ONNX read by OpenVINO {version}",
        infer(core, onnx_path, model_json, inputs), reference, names,
        output_names, max_abs_diff=PRECISIONS[0][2])

    entries = []
    for precision, compress_to_fp16, max_abs_diff in PRECISIONS:
        xml = ir_file(context.model, precision, ".xml")
        weights = ir_file(context.model, precision, ".bin")
        save_ir(openvino.convert_model(str(onnx_path)),
                context.model_dir / xml, compress_to_fp16)
        parity = common.compare_outputs(
            f"OpenVINO IR {precision}",
            infer(core, context.model_dir / xml, model_json, inputs),
            reference, names, output_names, max_abs_diff=max_abs_diff)
        entries.append(common.format_entry(
            context, id=f"openvino-ir-{precision.lower()}",
            format="openvino_ir", precision=precision, path=xml,
            weights=weights, frameworks=FRAMEWORKS,
            converter="openvino.convert_model", converter_version=version,
            layout=common.model_inputs(model_json)[0].get("layout") or "NCHW",
            parity=parity))
    common.register_formats(context, STEP.name, entries)


if __name__ == "__main__":
    common.step_main(STEP, run)
