"""Prints what a TorchScript archive declares, as one JSON line in the form
of inspect_onnx, or one error line and exit status 2. Runs in Debian's
Python (torch): `python -m dli_models.inspect_torchscript FILE [INPUT_JSON]`.

TorchScript keeps no input shape: it comes from the archive's dli_io.json
(what DLI's torchscript step writes) or from --input (INPUT_JSON); the
output is found by running the model once on zeros.
"""

import json
import sys

IO_EXTRA_FILE = "dli_io.json"  # as steps/torchscript.py


def describe(path: str, given: list) -> dict:
    import torch
    extra = {IO_EXTRA_FILE: ""}
    try:
        module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    except Exception as error:  # torch raises several unrelated types
        message = (str(error).strip().splitlines() or [type(error).__name__])
        raise ValueError(f"{path} is not a valid TorchScript archive "
                         f"({message[0]})") from None
    if given:
        inputs = [dict(entry, shape=[-1] + entry["shape"][1:]) for entry in given]
    elif extra[IO_EXTRA_FILE]:
        declared = json.loads(extra[IO_EXTRA_FILE])["input"]
        inputs = [{"name": declared["name"], "shape": declared["shape"],
                   "dtype": "float32"}]
    else:
        raise ValueError(f"{path}: TorchScript keeps no input shape; give "
                         "--input NAME:SHAPE:DTYPE[:LAYOUT]")
    if len(inputs) != 1 or any(dim < 0 for dim in inputs[0]["shape"][1:]):
        raise ValueError(f"{path}: give one --input with every dimension but "
                         "the batch")
    example = torch.zeros([1] + inputs[0]["shape"][1:],
                          dtype=getattr(torch, inputs[0]["dtype"]))
    try:
        with torch.no_grad():
            output = module(example)
    except Exception as error:  # whatever the model's code raises
        message = (str(error).strip().splitlines() or [type(error).__name__])
        raise ValueError(f"{path} does not run on input "
                         f"{list(example.shape)}: {message[-1]}") from None
    if not isinstance(output, torch.Tensor):
        raise ValueError(f"{path} returns {type(output).__name__}, not one "
                         "tensor; DLI's backends take one output today")
    name = (json.loads(extra[IO_EXTRA_FILE])["output"]["name"]
            if extra[IO_EXTRA_FILE] else "output")
    return {"inputs": [{"name": inputs[0]["name"], "shape": inputs[0]["shape"],
                        "dtype": inputs[0]["dtype"]}],
            "outputs": [{"name": name, "shape": [-1] + list(output.shape)[1:],
                         "dtype": str(output.dtype).removeprefix("torch.")}],
            "opset": 0}


if __name__ == "__main__":
    try:
        print(json.dumps(describe(sys.argv[1], json.loads(sys.argv[2])
                                  if len(sys.argv) > 2 else [])))
    except ValueError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
