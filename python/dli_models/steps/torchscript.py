"""TorchScript for the PyTorch (LibTorch) backend, traced from the verified
torchvision network with Debian's torch in the system Python.

TorchScript keeps no input shape, so the .pt archive carries the model's
inputs and outputs as the extra file `dli_io.json` ({"inputs": [...],
"outputs": [...]}, the entries of model.json: name, shape, dtype, layout),
which backends/pytorch reads with torch::jit::load(..., extra_files). The
saved file is loaded back and checked against the PyTorch outputs of the
check set.
"""

import json
from pathlib import Path

from dli_models import common
from dli_models.steps import reference

FORMAT_ID = "torchscript-fp32"
FRAMEWORKS = ["pytorch"]
# Must match kIoExtraFile in backends/pytorch/pytorch_backend.cpp.
IO_EXTRA_FILE = "dli_io.json"
MAX_ABS_DIFF = 1e-3


def _file(model: str) -> str:
    return f"torchscript/{model}.pt"


def _inputs(context: common.Context):
    return reference.weight_files(context) + common.check_paths(context)


STEP = common.Step(
    name="torchscript",
    interpreter=common.SYSTEM_INTERPRETER,
    description="trace the PyTorch model to TorchScript",
    depends=(common.HUB,),
    origin=common.ZOO,
    formats=("torchscript",), frameworks=("pytorch",),
    converter="torch.jit.trace",
    inputs=_inputs,
    outputs=(f"{{model_dir}}/{_file('{model}')}",),
)


def save_torchscript(module, path: Path, metadata: dict) -> None:
    """Saves a scripted or traced module with the inputs and outputs of
    model.json the PyTorch backend reads."""
    import torch
    keys = ("name", "shape", "dtype", "layout")
    io = {"inputs": [{key: entry[key] for key in keys if key in entry}
                     for entry in common.model_inputs(metadata)],
          "outputs": [{key: entry[key] for key in keys if key in entry}
                      for entry in common.model_outputs(metadata)]}
    common.write_file_atomic(path, lambda temporary: torch.jit.save(
        module, str(temporary), _extra_files={IO_EXTRA_FILE: json.dumps(io)}))


def run_module(module, inputs) -> list:
    """A module's outputs (a tensor or a tuple of them) as arrays, for
    arrays in model.json's order."""
    import torch
    with torch.no_grad():
        outputs = module(*[torch.from_numpy(batch) for batch in inputs])
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    return [output.numpy() for output in outputs]


def infer(path: Path, inputs) -> list:
    """The TorchScript file's outputs for the inputs in model.json's order."""
    import torch
    return run_module(torch.jit.load(str(path)), inputs)


def run(context: common.Context) -> None:
    import torch
    network, _ = reference.load_network(context)
    metadata = common.read_model_json(context)
    names, inputs, reference_outputs = common.load_check_tensors(context)
    # One item traces the graph; the check below runs the whole check set,
    # which shows that the traced graph accepts other batch sizes.
    example = tuple(torch.from_numpy(batch[:1]) for batch in inputs)
    with torch.no_grad():
        traced = torch.jit.trace(network, example)
    path = context.model_dir / _file(context.model)
    save_torchscript(traced, path, metadata)
    parity = common.compare_outputs(
        f"TorchScript (torch {torch.__version__})", infer(path, inputs),
        reference_outputs, names,
        [entry["name"] for entry in common.model_outputs(metadata)],
        max_abs_diff=MAX_ABS_DIFF)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id=FORMAT_ID, format="torchscript", precision="FP32",
        path=_file(context.model), frameworks=FRAMEWORKS,
        converter="torch.jit.trace", converter_version=torch.__version__,
        layout=common.model_inputs(metadata)[0].get("layout") or "NCHW",
        parity=parity)])


if __name__ == "__main__":
    common.step_main(STEP, run)
