"""ONNX INT8: ONNX Runtime post-training static quantization (QDQ format)
of the reference ONNX file, for the onnxruntime backend.

The recipe ONNX Runtime documents for x86 CPUs: QuantizeLinear /
DequantizeLinear pairs (QDQ), unsigned 8-bit activations and signed 8-bit
weights (U8S8), per-channel weights (depthwise convolutions, as in
MobileNetV2, lose too much with one scale per tensor), MinMax calibration.
The activation ranges are the mean over the calibration images of each
image's minimum and maximum (quantize_static's CalibMovingAverage option)
rather than the extremes of the whole set: one image's outliers then do not
widen a tensor's range for all. Measured against the global extremes on 85
images that are not in the sample set (docs/OPTIMIZE.md): RMS logit error
0.70 -> 0.44 and top-1 equal to FP32 on 64 -> 70 of 85 (calibrated on the
sample set; calibrated on other sets the gain is alike).
The node that computes the model's output (the classifier) stays in FP32:
quantized, its output would be clipped to the range of logits seen in
calibration, and with a calibration set whose photos are recognised less
confidently than the test photos the largest logits saturate and tie
(measured: top-1 agreement 5/8 instead of 7/8, docs/OPTIMIZE.md).
Per-channel QDQ needs DequantizeLinear's `axis` (opset 13), so the opset-10
reference is first upgraded with onnx.version_converter, then prepared with
quant_pre_process (shape inference and graph optimisation). Calibration:
the set that `dli optimize` wrote (dli_models/optimization.py).
Optional step: `dli optimize --to int8 --framework onnxruntime` runs it.
"""

import tempfile
from pathlib import Path

from dli_models import common, optimization
from dli_models.steps.source import run_onnx

PRECISION = "INT8"
OPSET = 13
FRAMEWORKS = ["onnxruntime"]


def onnx_file(model: str, precision: str) -> str:
    """Where an optimised ONNX file goes (the FP32 reference is onnx/<model>.onnx)."""
    return f"onnx/{precision.lower()}/{model}.onnx"


STEP = common.Step(
    name="onnx_int8",
    interpreter="onnxruntime",
    description="quantize the reference ONNX file to INT8 (QDQ) with ONNX "
                "Runtime's quantize_static (calibration set of dli optimize)",
    depends=("reference",),
    origin=common.ZOO,
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx",
                                 *optimization.CALIBRATION_INPUTS,
                                 *optimization.CODE_INPUTS),
    outputs=(f"{{model_dir}}/{onnx_file('{model}', PRECISION)}",),
    optional=True,
)


class _CalibrationReader:
    """onnxruntime.quantization's CalibrationDataReader protocol: one image
    per call, None at the end."""

    def __init__(self, input_name: str, batch):
        self._items = iter([{input_name: batch[i:i + 1]}
                            for i in range(len(batch))])

    def get_next(self):
        return next(self._items, None)


def run(context: common.Context) -> None:
    import onnx
    import onnx.version_converter
    import onnxruntime
    from onnxruntime import quantization
    from onnxruntime.quantization.shape_inference import quant_pre_process

    calibration, calibration_record = optimization.load_calibration(context)
    metadata = common.read_model_json(context)
    input_name = common.model_inputs(metadata)[0]["name"]
    source = context.model_dir / "onnx" / f"{context.model}.onnx"
    target = context.model_dir / onnx_file(context.model, PRECISION)
    version = onnxruntime.__version__
    print(f"onnxruntime {version} quantize_static (QDQ, U8S8, per-channel, "
          f"MinMax with mean per-image ranges) after onnx {onnx.__version__} "
          f"opset {OPSET} upgrade")
    with tempfile.TemporaryDirectory() as scratch:
        upgraded = Path(scratch) / "opset.onnx"
        prepared = Path(scratch) / "prepared.onnx"
        onnx.save(onnx.version_converter.convert_version(
            onnx.load(str(source)), OPSET), str(upgraded))
        # The model's shapes are static apart from the batch, so ONNX's own
        # shape inference suffices (the symbolic one needs sympy).
        quant_pre_process(str(upgraded), str(prepared),
                          skip_symbolic_shape=True)
        graph = onnx.load(str(prepared)).graph
        outputs = {output.name for output in graph.output}
        classifier = [node.name for node in graph.node
                      if outputs.intersection(node.output)]
        common.write_file_atomic(target, lambda temporary: (
            quantization.quantize_static(
                str(prepared), str(temporary),
                _CalibrationReader(input_name, calibration),
                quant_format=quantization.QuantFormat.QDQ,
                activation_type=quantization.QuantType.QUInt8,
                weight_type=quantization.QuantType.QInt8,
                per_channel=True,
                calibrate_method=quantization.CalibrationMethod.MinMax,
                extra_options={"CalibMovingAverage": True},
                nodes_to_exclude=classifier)))

    names, inputs, reference = common.load_check_set(context)
    optimization.check_optimized(
        f"ONNX INT8 in ONNX Runtime {version}",
        run_onnx(target, metadata, [inputs])[0], reference, names)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="onnx-int8", format=common.ONNX_FORMAT,
        precision=PRECISION, path=onnx_file(context.model, PRECISION),
        frameworks=FRAMEWORKS,
        converter="onnxruntime.quantization.quantize_static",
        converter_version=version, opset=OPSET,
        source_format="onnx-fp32",
        quantization={"method": "post-training static", "format": "QDQ",
                      "activations": "uint8 per-tensor asymmetric",
                      "weights": "int8 per-channel symmetric",
                      "calibrate_method": "MinMax",
                      "activation_ranges": "mean of the per-image minimum "
                                           "and maximum (CalibMovingAverage)",
                      "kept_fp32": "the node computing the output"},
        calibration=calibration_record)])


if __name__ == "__main__":
    common.step_main(STEP, run)
