"""TorchScript for the PyTorch (LibTorch) backend, traced from the verified
torchvision network with Debian's torch in the system Python.

TorchScript keeps no input shape, so the .pt archive carries the model's
input and output description as the extra file `dli_io.json`, which
backends/pytorch reads with torch::jit::load(..., extra_files). The saved
file is loaded back and checked against the PyTorch logits of the check set.
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
    return reference.weight_files(context) + [
        context.expand(pattern) for pattern in common.CHECK_OUTPUTS]


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


def save_torchscript(module, path: Path, input_meta: dict,
                     output_meta: dict) -> None:
    """Saves a scripted or traced module with the input/output description
    the PyTorch backend reads (name, shape with -1 for the batch, layout)."""
    import torch
    io = {"input": {key: input_meta[key] for key in ("name", "shape", "layout")},
          "output": {key: output_meta[key] for key in ("name", "shape")}}
    common.write_file_atomic(path, lambda temporary: torch.jit.save(
        module, str(temporary), _extra_files={IO_EXTRA_FILE: json.dumps(io)}))


def infer(path: Path, inputs):
    """The TorchScript file's output for an NCHW float32 batch."""
    import torch
    with torch.no_grad():
        return torch.jit.load(str(path))(torch.from_numpy(inputs)).numpy()


def run(context: common.Context) -> None:
    import torch
    network, _ = reference.load_network(context)
    metadata = common.read_model_json(context)
    names, inputs, logits = common.load_check_set(context)
    # One image traces the graph; the check below runs the whole check set,
    # which shows that the traced graph accepts other batch sizes.
    example = torch.from_numpy(inputs[:1])
    with torch.no_grad():
        traced = torch.jit.trace(network, example)
    path = context.model_dir / _file(context.model)
    save_torchscript(traced, path, metadata["input"], metadata["output"])
    parity = common.compare_with_reference(
        f"TorchScript (torch {torch.__version__})", infer(path, inputs),
        logits, names, max_abs_diff=MAX_ABS_DIFF)
    common.register_formats(context, STEP.name, [common.format_entry(
        context, id=FORMAT_ID, format="torchscript", precision="FP32",
        path=_file(context.model), frameworks=FRAMEWORKS,
        converter="torch.jit.trace", converter_version=torch.__version__,
        parity=parity)])


if __name__ == "__main__":
    common.step_main(STEP, run)
