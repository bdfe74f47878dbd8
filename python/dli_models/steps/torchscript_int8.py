"""TorchScript INT8: PyTorch's own post-training static quantization (FX
graph mode, torch.ao.quantization) of the verified torchvision network,
with Debian's torch 1.13 in the system Python, for backends/pytorch.

Debian's torch is built without FBGEMM, the usual x86 quantized engine; its
engines are qnnpack and onednn (torch.backends.quantized.supported_engines),
and onednn, the x86 one, is the default. The step quantizes for onednn
(get_default_qconfig_mapping("onednn"): per-channel int8 weights, uint8
activations), calibrates on the set that `dli optimize` wrote
(dli_models/optimization.py), converts, traces and freezes the module and
saves it with the same input/output description as the FP32 TorchScript
(dli_io.json), so LibTorch loads it like the FP32 file.
Optional step: `dli optimize --to int8 --framework pytorch` runs it.
"""

from dli_models import common, optimization
from dli_models.steps import reference, torchscript

PRECISION = "INT8"
ENGINE = "onednn"


def _file(model: str) -> str:
    return f"torchscript/int8/{model}.pt"


def _inputs(context: common.Context):
    return torchscript.STEP.input_paths(context) + [
        context.expand(pattern) for pattern in
        optimization.CALIBRATION_INPUTS + optimization.CODE_INPUTS]


STEP = common.Step(
    name="torchscript_int8",
    interpreter=common.SYSTEM_INTERPRETER,
    description="quantize the PyTorch model to INT8 (FX graph mode, onednn) "
                "and trace it to TorchScript (calibration set of dli optimize)",
    depends=("reference",),
    origin=common.ZOO,
    inputs=_inputs,
    outputs=(f"{{model_dir}}/{_file('{model}')}",),
    optional=True,
)


def run(context: common.Context) -> None:
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    engines = torch.backends.quantized.supported_engines
    if ENGINE not in engines:
        raise common.StepError(f"torch {torch.__version__} has no {ENGINE} "
                               f"quantized engine (it has {engines})")
    torch.backends.quantized.engine = ENGINE
    calibration, calibration_record = optimization.load_calibration(context)
    network, _ = reference.load_network(context)
    print(f"torch {torch.__version__} FX graph mode post-training "
          f"quantization for the {ENGINE} engine")
    batch = torch.from_numpy(calibration)
    example = (batch[:1],)
    prepared = prepare_fx(network, get_default_qconfig_mapping(ENGINE),
                          example)
    with torch.no_grad():
        for index in range(len(batch)):
            prepared(batch[index:index + 1])
        quantized = convert_fx(prepared)
        traced = torch.jit.freeze(torch.jit.trace(quantized, example))
    metadata = common.read_model_json(context)
    path = context.model_dir / _file(context.model)
    torchscript.save_torchscript(traced, path, metadata)

    names, inputs, reference_logits = common.load_check_set(context)
    optimization.check_optimized(f"TorchScript INT8 (torch {torch.__version__})",
                                 torchscript.infer(path, [inputs])[0],
                                 reference_logits, names)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id="torchscript-int8", format="torchscript",
        precision=PRECISION, path=_file(context.model),
        frameworks=torchscript.FRAMEWORKS,
        converter="torch.ao.quantization.quantize_fx",
        converter_version=torch.__version__, source_format="torchvision",
        quantization={"method": "post-training static (FX graph mode)",
                      "engine": ENGINE,
                      "weights": "int8 per-channel symmetric",
                      "activations": "uint8 per-tensor affine"},
        calibration=calibration_record)])


if __name__ == "__main__":
    common.step_main(STEP, run)
