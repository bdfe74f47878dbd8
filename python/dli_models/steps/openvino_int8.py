"""OpenVINO IR INT8: NNCF post-training quantization of the FP32 IR.

nncf.quantize with its defaults for a CNN (performance preset: symmetric
8-bit activations, per-channel symmetric 8-bit weights; fast bias
correction) inserts FakeQuantize operations, which the CPU plugin executes
as INT8 kernels. Calibration: the set that `dli optimize` wrote (see
dli_models/optimization.py), fed one image per item, all of it used.
Optional step: `dli optimize --to int8 --framework openvino` runs it.
"""

from dli_models import common, optimization
from dli_models.steps import openvino_ir

PRECISION = "INT8"


def _ir_pair(model: str, precision: str):
    return tuple(f"{{model_dir}}/{openvino_ir.ir_file(model, precision, suffix)}"
                 for suffix in (".xml", ".bin"))


STEP = common.Step(
    name="openvino_int8",
    interpreter="openvino",
    description="quantize the OpenVINO IR FP32 to INT8 with NNCF "
                "(post-training, calibration set of dli optimize)",
    depends=("openvino_ir",),
    inputs=common.with_check_set(*_ir_pair("{model}", "FP32"),
                                 *optimization.CALIBRATION_INPUTS,
                                 *optimization.CODE_INPUTS),
    outputs=_ir_pair("{model}", PRECISION),
    optional=True,
)


def run(context: common.Context) -> None:
    from importlib import metadata

    import nncf
    import openvino

    calibration, calibration_record = optimization.load_calibration(context)
    core = openvino.Core()
    model = core.read_model(str(
        context.model_dir / openvino_ir.ir_file(context.model, "FP32", ".xml")))
    nncf_version = metadata.version("nncf")
    print(f"nncf.quantize (NNCF {nncf_version}) on OpenVINO "
          f"{metadata.version('openvino')}")
    # One image per item, as NNCF's examples do; subset_size = all of them
    # (NNCF's default would stop at 300).
    dataset = nncf.Dataset([calibration[i:i + 1]
                            for i in range(len(calibration))])
    quantized = nncf.quantize(model, dataset, subset_size=len(calibration))
    xml = openvino_ir.ir_file(context.model, PRECISION, ".xml")
    openvino_ir.save_ir(quantized, context.model_dir / xml,
                        compress_to_fp16=False)

    names, inputs, reference = common.load_check_set(context)
    (logits,) = openvino_ir.infer(core, context.model_dir / xml,
                                  common.read_model_json(context), [inputs])
    optimization.check_optimized("OpenVINO IR INT8 (CPU)", logits, reference,
                                 names)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="openvino-ir-int8", format="openvino_ir",
        precision=PRECISION, path=xml,
        weights=openvino_ir.ir_file(context.model, PRECISION, ".bin"),
        frameworks=openvino_ir.FRAMEWORKS, converter="nncf.quantize",
        converter_version=nncf_version,
        openvino_version=metadata.version("openvino"),
        source_format="openvino-ir-fp32",
        quantization={"method": "post-training", "preset": "performance",
                      "mode": "8-bit symmetric weights (per channel) and "
                              "activations (per tensor)",
                      "fast_bias_correction": True},
        calibration=calibration_record)])


if __name__ == "__main__":
    common.step_main(STEP, run)
