"""MXNet INT8: MXNet 1.9.1's own post-training quantization
(mxnet.contrib.quantization.quantize_model_mkldnn) of the FP32 checkpoint
of the mxnet step, for the oneDNN (MKLDNN) CPU backend of the PyPI wheel.

quantize_model_mkldnn fuses the graph for oneDNN (convolution + clip ...),
quantizes the convolutions (quantize_mode "smart"; "auto" picks uint8 after
non-negative activations, int8 elsewhere) and calibrates the activation
ranges with the "naive" mode (min/max over the calibration set that
`dli optimize` wrote, dli_models/optimization.py); the "entropy" mode would
need scipy in the MXNet venv. The result is an ordinary symbol + params
checkpoint whose fused operators (_sg_mkldnn_conv) the C predict API of
backends/mxnet runs as they are.
Optional step: `dli optimize --to int8 --framework mxnet` runs it.
"""

from dli_models import common, optimization
from dli_models.steps import mxnet as mxnet_step

PRECISION = "INT8"


def _prefix(model: str) -> str:
    return f"mxnet/int8/{model}"


STEP = common.Step(
    name="mxnet_int8",
    interpreter="mxnet",
    description="quantize the MXNet FP32 checkpoint to INT8 with MXNet's "
                "quantize_model_mkldnn (calibration set of dli optimize)",
    depends=("mxnet",),
    inputs=(f"{{model_dir}}/{mxnet_step.symbol_file('{model}')}",
            f"{{model_dir}}/{mxnet_step.params_file('{model}')}")
    + optimization.CALIBRATION_INPUTS + common.CHECK_OUTPUTS
    + optimization.CODE_INPUTS,
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
    input_name = metadata["input"]["name"]
    symbol, arg_params, aux_params = mxnet.model.load_checkpoint(
        str(context.model_dir / mxnet_step.checkpoint_prefix(context.model)),
        mxnet_step.EPOCH)
    print(f"MXNet {mxnet.__version__} quantize_model_mkldnn (naive "
          "calibration, quantized_dtype auto)")
    # MXNet logs every calibrated layer at INFO level.
    logging.getLogger().setLevel(logging.WARNING)
    quantized, quantized_args, quantized_aux = (
        quantization.quantize_model_mkldnn(
            symbol, arg_params, aux_params, data_names=(input_name,),
            label_names=None, ctx=mxnet.cpu(), calib_mode="naive",
            calib_data=mxnet.io.NDArrayIter(calibration, batch_size=1,
                                            data_name=input_name),
            num_calib_examples=len(calibration), quantized_dtype="auto"))
    # The quantizer rebuilds the graph; the data variable's shape, which
    # backends/mxnet reads, is recorded again.
    quantized = mxnet_step.with_input_shape(quantized, input_name,
                                            metadata["input"]["shape"])
    prefix = _prefix(context.model)
    symbol_path = f"{prefix}-symbol.json"
    params_path = f"{prefix}-{mxnet_step.EPOCH:04d}.params"
    mxnet_step.save_checkpoint(quantized, quantized_args, quantized_aux,
                               context.model_dir / symbol_path,
                               context.model_dir / params_path)

    names, inputs, reference = common.load_check_set(context)
    optimization.check_optimized(
        f"MXNet {mxnet.__version__} INT8",
        mxnet_step.infer(context.model_dir / prefix, input_name, inputs),
        reference, names)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="mxnet-int8", format="mxnet_symbol", precision=PRECISION,
        path=symbol_path, weights=params_path,
        frameworks=mxnet_step.FRAMEWORKS,
        converter="mxnet.contrib.quantization.quantize_model_mkldnn",
        converter_version=mxnet.__version__, source_format=mxnet_step.FORMAT_ID,
        quantization={"method": "post-training", "calib_mode": "naive",
                      "quantized_dtype": "auto", "quantize_mode": "smart"},
        calibration=calibration_record)])


if __name__ == "__main__":
    common.step_main(STEP, run)
