"""Helpers shared by the bridged backend modules: model file checks with
clear messages, parameter reading, zero-copy input wrapping and output
copying.

Parameter values arrive checked: the backend's C table (its dli_param_info:
type, choices, integer range) is enforced by the core and again by the C++
SDK before open() is called, so these helpers only convert them. An empty
value means "not set", as everywhere in DLI."""

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy


class NoOpSession:
    """A session whose infer does nothing: the bridge calls it through the
    same C++ path as a real infer() to measure its own per-call cost."""

    def infer(self):
        pass


def require_model_file(path: str, suffix: str, what: str) -> None:
    """Raises unless `path` is an existing file whose name ends in `suffix`."""
    if not path:
        raise ValueError(f"no model path given; expected: {what}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: '{path}'")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a folder; expected: {what}")
    if not path.lower().endswith(suffix):
        raise ValueError(f"'{path}' is not in the expected format: {what}")


def int_param(params: Dict[str, str], key: str) -> Optional[int]:
    """The integer parameter `key`, or None when unset (framework default)."""
    text = params.get(key, "")
    return int(text) if text else None


def choice_param(params: Dict[str, str], key: str, choices: Dict[str, object],
                 default: str):
    """The framework value of the choice parameter `key`; `default` is the
    choice the C table declares as its default."""
    return choices[params.get(key, "") or default]


def tensor_info(name: str, dtype, shape: Sequence[int]) -> Tuple[str, str, List[int]]:
    return name, numpy.dtype(dtype).name, [int(dim) for dim in shape]


def input_arrays(batches: Sequence[memoryview], dtype,
                 shape: Sequence[int]) -> List[numpy.ndarray]:
    """numpy views over the caller's batches (no copy)."""
    return [numpy.frombuffer(batch, dtype=dtype).reshape(shape)
            for batch in batches]


def copy_output(out: memoryview, values: numpy.ndarray) -> None:
    """Copies `values` into the caller's float32 buffer."""
    destination = numpy.frombuffer(out, dtype=numpy.float32)
    if destination.size != values.size:
        raise ValueError(f"output buffer holds {destination.size} values; the "
                         f"output has {values.size}")
    numpy.copyto(destination, values.reshape(-1), casting="unsafe")


def single_tensor(tensors: Sequence, what: str, model_path: str):
    if len(tensors) != 1:
        raise ValueError(f"'{model_path}' has {len(tensors)} {what}s; DLI "
                         f"benchmarks models with one input and one output")
    return tensors[0]
