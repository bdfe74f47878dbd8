"""Writes the tiny TorchScript models of the PyTorch backend's tests into the
folder given as argv[1]: tiny.pt with the DLI input/output description (as
the torchscript step saves it), tiny_plain.pt without it, a batch of 2
random inputs and the outputs torch computes for them."""

import sys
from pathlib import Path

import numpy
import torch

from dli_models.steps.torchscript import save_torchscript

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
network = torch.nn.Sequential(
    torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 5),
).eval()
inputs = torch.randn(2, 3, 8, 8)
with torch.no_grad():
    traced = torch.jit.trace(network, inputs[:1])
    expected = traced(inputs)
save_torchscript(traced, out / "tiny.pt",
                 {"name": "image", "shape": [-1, 3, 8, 8], "layout": "NCHW"},
                 {"name": "scores", "shape": [-1, 5]})
torch.jit.save(traced, str(out / "tiny_plain.pt"))
numpy.save(out / "input.npy", inputs.numpy())
numpy.save(out / "expected.npy", expected.numpy())
(out / "not_torchscript.pt").write_text("this is not a TorchScript archive\n")
