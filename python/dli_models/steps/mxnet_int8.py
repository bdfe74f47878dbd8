"""MXNet INT8: MXNet 1.9.1's own post-training quantization
(mxnet.contrib.quantization.quantize_model_mkldnn) of the FP32 checkpoint
of the mxnet step, for the oneDNN (MKLDNN) CPU backend of the PyPI wheel.

quantize_model_mkldnn fuses the graph for oneDNN (convolution + clip ...),
quantizes the convolutions (quantize_mode "smart"; "auto" picks uint8 after
non-negative activations, int8 elsewhere) and calibrates the activation
ranges with its default "entropy" mode: per layer, the threshold whose
8-bit histogram is closest (KL divergence) to the FP32 histogram over the
calibration set that `dli optimize` wrote (dli_models/optimization.py). It
needs scipy, which the MXNet venv installs. Against the "naive" mode
(min/max) it lowers the RMS logit error from 0.55 to 0.44 on the sample set
and from 0.59 to 0.51 on 85 other images (docs/OPTIMIZE.md).
The images go to the calibration in batches of up to CALIBRATION_BATCH: MXNet
widens a layer's histogram whenever a batch exceeds its range so far, and
with one image per batch its KL search then runs on histograms of tens of
thousands of bins (over 7 minutes for 9 images, against 20 s in one batch).
The result is an ordinary symbol + params checkpoint whose fused operators
(_sg_mkldnn_conv) the C predict API of backends/mxnet runs as they are.
Optional step: `dli optimize --to int8 --framework mxnet` runs it.
"""

from dli_models import common, optimization
from dli_models.steps import mxnet as mxnet_step

PRECISION = "INT8"
CALIBRATION_MODE = "entropy"
CALIBRATION_BATCH = 16


def _prefix(model: str) -> str:
    return f"mxnet/int8/{model}"


STEP = common.Step(
    name="mxnet_int8",
    interpreter="mxnet",
    description="quantize the MXNet FP32 checkpoint to INT8 with MXNet's "
                "quantize_model_mkldnn (calibration set of dli optimize)",
    depends=("mxnet",),
    inputs=common.with_check_set(
        f"{{model_dir}}/{mxnet_step.symbol_file('{model}')}",
        f"{{model_dir}}/{mxnet_step.params_file('{model}')}",
        *optimization.CALIBRATION_INPUTS, *optimization.CODE_INPUTS),
    outputs=(f"{{model_dir}}/{_prefix('{model}')}-symbol.json",
             f"{{model_dir}}/{_prefix('{model}')}"
             f"-{mxnet_step.EPOCH:04d}.params"),
    optional=True,
)


def run(context: common.Context) -> None:
    import logging

    import mxnet
    from mxnet.contrib import quantization

    calibration, calibration_record = optimization.load_calibration(context)
    metadata = common.read_model_json(context)
    input_meta = common.model_inputs(metadata)[0]
    input_name = input_meta["name"]
    symbol, arg_params, aux_params = mxnet.model.load_checkpoint(
        str(context.model_dir / mxnet_step.checkpoint_prefix(context.model)),
        mxnet_step.EPOCH)
    batch = min(CALIBRATION_BATCH, len(calibration))
    # A last partial batch is filled up with the first images again
    # (NDArrayIter's "pad"); the count says how many were seen in all.
    seen = -(-len(calibration) // batch) * batch
    print(f"MXNet {mxnet.__version__} quantize_model_mkldnn ({CALIBRATION_MODE} "
          f"calibration on {len(calibration)} images in batches of {batch}, "
          "quantized_dtype auto)")
    # MXNet logs every calibrated layer at INFO level.
    logging.getLogger().setLevel(logging.WARNING)
    quantized, quantized_args, quantized_aux = (
        quantization.quantize_model_mkldnn(
            symbol, arg_params, aux_params, data_names=(input_name,),
            label_names=None, ctx=mxnet.cpu(), calib_mode=CALIBRATION_MODE,
            calib_data=mxnet.io.NDArrayIter(calibration, batch_size=batch,
                                            data_name=input_name,
                                            last_batch_handle="pad"),
            num_calib_examples=seen, quantized_dtype="auto"))
    # The quantizer rebuilds the graph; the data variable's shape, which
    # backends/mxnet reads, is recorded again.
    quantized = mxnet_step.with_input_shapes(quantized, [input_meta])
    prefix = _prefix(context.model)
    symbol_path = f"{prefix}-symbol.json"
    params_path = f"{prefix}-{mxnet_step.EPOCH:04d}.params"
    mxnet_step.save_checkpoint(quantized, quantized_args, quantized_aux,
                               context.model_dir / symbol_path,
                               context.model_dir / params_path)

    names, inputs, reference = common.load_check_set(context)
    optimization.check_optimized(
        f"MXNet {mxnet.__version__} INT8",
        mxnet_step.infer(context.model_dir / prefix, [input_meta],
                         [inputs])[0],
        reference, names)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="mxnet-int8", format="mxnet_symbol", precision=PRECISION,
        path=symbol_path, weights=params_path,
        frameworks=mxnet_step.FRAMEWORKS,
        converter="mxnet.contrib.quantization.quantize_model_mkldnn",
        converter_version=mxnet.__version__, source_format=mxnet_step.FORMAT_ID,
        quantization={"method": "post-training",
                      "calib_mode": CALIBRATION_MODE, "calib_batch": batch,
                      "calib_images_seen": seen,
                      "quantized_dtype": "auto", "quantize_mode": "smart"},
        calibration=calibration_record)])


if __name__ == "__main__":
    common.step_main(STEP, run)
