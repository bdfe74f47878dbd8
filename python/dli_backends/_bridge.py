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


def shape_text(dims: Sequence[int]) -> str:
    """"1x128", an open dimension as "?" (the SDK's ShapeText)."""
    return "x".join("?" if dim < 0 else str(dim) for dim in dims)


def check_shape_names(spec: dict, names: Sequence[str],
                      aliases: Dict[str, str] = None) -> None:
    """Raises for a shape in the spec naming no input of the model;
    `aliases` maps other accepted names to input names."""
    aliases = aliases or {}
    for name in spec.get("shapes", {}):
        if name not in names and name not in aliases:
            raise ValueError(f"the model has no input '{name}'; its inputs: "
                             f"{', '.join(names)}")


def resolve_shape(spec: dict, name: str, file_dims: Sequence[int],
                  aliases: Sequence[str] = ()) -> List[int]:
    """The shape input `name` runs with (the SDK's ResolveShape, with its
    messages): the batch dimension becomes spec["batch"]; a shape the spec
    gives for this input (under its name or one of `aliases`) fills the
    others and must agree with every dimension the file fixes. `file_dims`
    holds -1 for an open dimension."""
    file_dims = [int(dim) for dim in file_dims]
    dims = list(file_dims)
    shapes = spec.get("shapes", {})
    given = next((shapes[key] for key in (name, *aliases) if key in shapes), None)
    if given is not None:
        if len(given) != len(file_dims):
            raise ValueError(f"shape {shape_text(given)} for input '{name}' has "
                             f"rank {len(given)}; the model's input is "
                             f"{shape_text(file_dims)}")
        for axis in range(1, len(dims)):
            if file_dims[axis] >= 0 and file_dims[axis] != given[axis]:
                raise ValueError(f"shape {shape_text(given)} for input "
                                 f"'{name}' contradicts the model's "
                                 f"{shape_text(file_dims)}")
            dims[axis] = int(given[axis])
    if dims:
        dims[0] = spec["batch"]
    for axis in range(1, len(dims)):
        if dims[axis] < 0:
            raise ValueError(f"input '{name}' ({shape_text(file_dims)}) leaves "
                             f"dimension {axis} open; give its shape (dli bench "
                             f"--shape {name}=..., or the model description)")
    return dims


def input_arrays(batches: Sequence[Sequence[memoryview]], dtypes: Sequence,
                 shapes: Sequence[Sequence[int]]) -> List[List[numpy.ndarray]]:
    """numpy views over the caller's batches (no copy): for each batch, one
    array per input."""
    return [[numpy.frombuffer(view, dtype=dtype).reshape(shape)
             for view, dtype, shape in zip(views, dtypes, shapes)]
            for views in batches]


def copy_output(out: memoryview, values: numpy.ndarray) -> None:
    """Copies `values` into the caller's float32 buffer."""
    destination = numpy.frombuffer(out, dtype=numpy.float32)
    if destination.size != values.size:
        raise ValueError(f"output buffer holds {destination.size} values; the "
                         f"output has {values.size}")
    numpy.copyto(destination, values.reshape(-1), casting="unsafe")
