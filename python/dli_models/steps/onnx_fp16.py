"""ONNX FP16: the reference ONNX file with every float tensor in half
precision (onnxconverter-common's convert_float_to_float16), input and
output kept float32 (keep_io_types) so the file takes the same batches as
the FP32 one. ONNX Runtime's CPU execution provider runs the nodes it has
FP16 kernels for and casts around the others (docs/OPTIMIZE.md).
Optional step: `dli optimize --to fp16 --framework onnxruntime` runs it.
"""

import warnings

from dli_models import common, optimization
from dli_models.steps import onnx_int8
from dli_models.steps.source import run_onnx

PRECISION = "FP16"

STEP = common.Step(
    name="onnx_fp16",
    interpreter="onnxruntime",
    description="convert the reference ONNX file to FP16 with "
                "onnxconverter-common",
    depends=("reference",),
    origin=common.ZOO,
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx",
                                 *optimization.CODE_INPUTS),
    outputs=(f"{{model_dir}}/{onnx_int8.onnx_file('{model}', PRECISION)}",),
    optional=True,
)


def run(context: common.Context) -> None:
    from importlib import metadata

    import onnx
    import onnxruntime
    from onnxconverter_common import float16

    source = context.model_dir / "onnx" / f"{context.model}.onnx"
    path = onnx_int8.onnx_file(context.model, PRECISION)
    version = metadata.version("onnxconverter-common")
    with warnings.catch_warnings(record=True) as clamped:
        # It warns once per weight outside FP16's range; a count says enough.
        warnings.simplefilter("always")
        model = float16.convert_float_to_float16(onnx.load(str(source)),
                                                 keep_io_types=True)
    print(f"onnxconverter-common {version}: FP16 model; {len(clamped)} "
          "weight values outside FP16's range were moved into it")
    common.write_file_atomic(context.model_dir / path,
                             lambda temporary: onnx.save(model, str(temporary)))

    names, inputs, reference = common.load_check_set(context)
    metadata_json = common.read_model_json(context)
    optimization.check_optimized(
        f"ONNX FP16 in ONNX Runtime {onnxruntime.__version__}",
        run_onnx(context.model_dir / path, metadata_json, [inputs])[0],
        reference, names)
    opset = max(entry.version for entry in model.opset_import
                if entry.domain in ("", "ai.onnx"))
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="onnx-fp16", format=common.ONNX_FORMAT,
        precision=PRECISION, path=path, frameworks=onnx_int8.FRAMEWORKS,
        converter="onnxconverter_common.float16.convert_float_to_float16",
        converter_version=version, opset=opset, source_format="onnx-fp32",
        keep_io_types=True)])


if __name__ == "__main__":
    common.step_main(STEP, run)
