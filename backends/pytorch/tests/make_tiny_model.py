"""Writes the tiny TorchScript models of the PyTorch backend's tests into the
folder given as argv[1]: tiny.pt with the DLI input/output description (as
the torchscript step saves it), tiny_plain.pt without it, a batch of 2
random inputs and the outputs torch computes for them; two models with two
inputs and two outputs: mixed.pt (int64 and float32 in, a tuple out, with a
description whose sequence length is open) and text_plain.pt (two int64
inputs, a dict out, no description), with 2 samples of each input and the
outputs computed from the modules' weights without the traced graph."""

import json
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
                 {"inputs": [{"name": "image", "shape": [-1, 3, 8, 8], "layout": "NCHW"}],
                  "outputs": [{"name": "scores", "shape": [-1, 5]}]})
torch.jit.save(traced, str(out / "tiny_plain.pt"))
numpy.save(out / "input.npy", inputs.numpy())
numpy.save(out / "expected.npy", expected.numpy())
(out / "not_torchscript.pt").write_text("this is not a TorchScript archive\n")


class MixedInputs(torch.nn.Module):
    """Token ids (int64) and features (float32) in; scores (float32) and the
    sum of the ids (int64) out, as a tuple."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 3)
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, token_ids, features):
        pooled = self.embedding(token_ids).mean(dim=1)
        return self.linear(features + pooled), token_ids.sum(dim=1, keepdim=True)


class TextInputs(torch.nn.Module):
    """Two int64 inputs, the way a text encoder takes them; a dict out."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(10, 3)

    def forward(self, input_ids, attention_mask):
        hidden = self.embedding(input_ids) * attention_mask.unsqueeze(-1)
        return {"pooled": hidden.sum(dim=1), "tokens": attention_mask.sum(dim=1, keepdim=True)}


def save_samples(prefix, tensors, dtype=None):
    """Each tensor as .npy, in its own dtype (inputs: the test feeds their
    bytes as they are) or in `dtype` (expected outputs: float32, as
    read_output gives every output)."""
    for i, tensor in enumerate(tensors):
        values = tensor.numpy()
        numpy.save(out / f"{prefix}{i}.npy", values if dtype is None else values.astype(dtype))


# Written as the model description's "inputs"/"outputs" lists; the sequence
# length is left open, so the test passes it as the input's shape.
mixed = MixedInputs().eval()
token_ids = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 9]])
features = torch.randn(2, 3)
with torch.no_grad():
    traced = torch.jit.trace(mixed, (token_ids[:1], features[:1]))
    scores = mixed.linear(features + mixed.embedding.weight[token_ids].mean(dim=1))
io = {"inputs": [{"name": "token_ids", "shape": [-1, -1], "dtype": "int64"},
                 {"name": "features", "shape": [-1, 3], "dtype": "float32"}],
      "outputs": [{"name": "scores", "shape": [-1, 2]},
                  {"name": "id_sums", "shape": [-1, 1], "dtype": "int64"}]}
torch.jit.save(traced, str(out / "mixed.pt"), _extra_files={"dli_io.json": json.dumps(io)})
save_samples("mixed_input", (token_ids, features))
save_samples("mixed_expected", (scores, token_ids.sum(dim=1, keepdim=True)), numpy.float32)

# No description at all: the inputs come from forward()'s arguments.
text = TextInputs().eval()
input_ids = torch.tensor([[3, 1, 4, 1], [5, 9, 2, 6]])
attention_mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
with torch.no_grad():
    traced = torch.jit.trace(text, (input_ids[:1], attention_mask[:1]), strict=False)
    pooled = (text.embedding.weight[input_ids] * attention_mask[..., None]).sum(dim=1)
torch.jit.save(traced, str(out / "text_plain.pt"))
save_samples("text_input", (input_ids, attention_mask))
save_samples("text_expected", (pooled, attention_mask.sum(dim=1, keepdim=True)),
             numpy.float32)
