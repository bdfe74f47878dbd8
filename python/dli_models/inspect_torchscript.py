"""Prints what a TorchScript archive declares, as one JSON line in the form
of inspect_onnx, or one error line and exit status 2. Runs in Debian's
Python (torch): `python -m dli_models.inspect_torchscript FILE [INPUT_JSON]`.

TorchScript keeps no input shape: it comes from the archive's dli_io.json
(what DLI's torchscript step writes) or from --input (INPUT_JSON, one entry
per input, in the order forward() takes them); the outputs (a tensor or a
tuple) are found by running the model once on zeros.
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
    declared = json.loads(extra[IO_EXTRA_FILE]) if extra[IO_EXTRA_FILE] else {}
    if given:
        merged = {}  # by name, in the order first given; later values win
        for entry in given:
            merged.setdefault(entry["name"], {}).update(
                {key: value for key, value in entry.items() if value is not None})
        unshaped = [name for name, entry in merged.items()
                    if "shape" not in entry]
        if unshaped:
            raise ValueError(f"{path}: TorchScript keeps no input shape; give "
                             f"--input {unshaped[0]}:SHAPE:DTYPE")
        inputs = [{"name": name, "shape": [-1] + entry["shape"][1:],
                   "dtype": entry.get("dtype") or "float32"}
                  for name, entry in merged.items()]
    elif declared:
        # dli_io.json: the lists of model.json, or the single `input` and
        # `output` of archives written before multi-input models.
        inputs = [{"name": entry["name"], "shape": entry["shape"],
                   "dtype": entry.get("dtype", "float32")}
                  for entry in declared.get("inputs", [declared.get("input")])]
    else:
        raise ValueError(f"{path}: TorchScript keeps no input shape; give "
                         "--input NAME:SHAPE:DTYPE[:LAYOUT]")
    if not inputs or any(dim < 0 for entry in inputs
                         for dim in entry["shape"][1:]):
        raise ValueError(f"{path}: give each input with --input, every "
                         "dimension but the batch known")
    examples = [torch.zeros([1] + entry["shape"][1:],
                            dtype=getattr(torch, entry["dtype"]))
                for entry in inputs]
    try:
        with torch.no_grad():
            outputs = module(*examples)
    except Exception as error:  # whatever the model's code raises
        message = (str(error).strip().splitlines() or [type(error).__name__])
        raise ValueError(f"{path} does not run on inputs "
                         f"{[list(example.shape) for example in examples]}: "
                         f"{message[-1]}") from None
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    if not isinstance(outputs, (tuple, list)) or not all(
            isinstance(output, torch.Tensor) for output in outputs):
        raise ValueError(f"{path} returns {type(outputs).__name__}, not a "
                         "tensor or a tuple of tensors")
    names = [entry["name"] for entry in
             declared.get("outputs", [declared.get("output")])
             ] if declared else (["output"] if len(outputs) == 1 else
                                 [f"output_{index}"
                                  for index in range(len(outputs))])
    if len(names) != len(outputs):
        raise ValueError(f"{path} returns {len(outputs)} outputs, its "
                         f"{IO_EXTRA_FILE} names {len(names)}")
    return {"inputs": inputs,
            "outputs": [{"name": name,
                         "shape": [-1] + list(output.shape)[1:],
                         "dtype": str(output.dtype).removeprefix("torch.")}
                        for name, output in zip(names, outputs)],
            "opset": 0}


if __name__ == "__main__":
    try:
        print(json.dumps(describe(sys.argv[1], json.loads(sys.argv[2])
                                  if len(sys.argv) > 2 else [])))
    except ValueError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
