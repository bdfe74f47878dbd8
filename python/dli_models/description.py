"""The model description: what `dli models import` and the zoo declare about
a model before any conversion (docs/MODELS.md, docs/schema/model.schema.json).

Standard library only (PyYAML, from Debian's python3-yaml, only to read a
--spec file): the orchestrator and every step read it.
"""

import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from dli_models import common

TASKS = ("image_classification", "generic")
# value = (pixel * scale - mean) / std, per channel in `color_order`.
PRESETS: Dict[str, Optional[dict]] = {
    # torchvision's ImageNet recipe.
    "imagenet": {"color_order": "RGB", "resize_shorter": 256, "crop": 224,
                 "scale": 1 / 255, "mean": [0.485, 0.456, 0.406],
                 "std": [0.229, 0.224, 0.225]},
    # Inception / TF-slim: RGB scaled to [-1, 1].
    "inception": {"color_order": "RGB", "resize_shorter": 256, "crop": 224,
                  "scale": 1 / 127.5, "mean": [1.0, 1.0, 1.0],
                  "std": [1.0, 1.0, 1.0]},
    # Caffe: BGR 0-255 minus the ImageNet per-channel mean (BGR order).
    "caffe": {"color_order": "BGR", "resize_shorter": 256, "crop": 224,
              "scale": 1.0, "mean": [103.939, 116.779, 123.68],
              "std": [1.0, 1.0, 1.0]},
    # Declared on purpose: the model takes no images (synthetic data only).
    "none": None,
}
PREPROCESSING_KEYS = ("color_order", "resize_shorter", "crop", "scale",
                      "mean", "std")
DTYPES = ("float32", "float16", "int64", "int32", "int8", "uint8", "bool")
LAYOUTS = ("NCHW", "NHWC", "NC", "ANY")
# What synthetic data an input gets (docs/MODELS.md): `image` pixels (the
# sample photos when preprocessing is declared), `token_ids` uniform in
# [0, vocab_size), `mask` all ones, `segment_ids` all zeros, `random` (floats
# uniform in [-2, 2], integers in `range` [lo, hi) or [0, 100), bools random).
KINDS = ("image", "token_ids", "mask", "segment_ids", "random")
RANDOM_FLOAT_RANGE = (-2.0, 2.0)
# The check set of a model without images: this many seeded items.
SYNTHETIC_CHECK_BATCH = 2
SYNTHETIC_SEED = 20261201
RANDOM_INTEGER_RANGE = (0, 100)
# The keys of one input in a --spec file's `inputs` (besides the
# NAME:SHAPE:DTYPE[:LAYOUT] string form).
INPUT_KEYS = ("name", "shape", "dtype", "layout", "kind", "vocab_size",
              "range")
# The keys a --spec file may hold: the command line's options.
SPEC_KEYS = ("task", "preprocessing", "labels", "label_offset", "inputs",
             "weights")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
# The formats `dli models import --from` reads, by how the path ends.
# A TensorFlow SavedModel is a folder (with saved_model.pb); an MXNet model
# is a -symbol.json and a .params file, an OpenVINO IR an .xml and a .bin,
# named by either file.
SOURCE_FORMATS = {".onnx": "onnx", ".pt": "torchscript", ".tflite": "tflite",
                  "-symbol.json": "mxnet", ".params": "mxnet",
                  ".xml": "openvino_ir"}
NOT_YET = {".pth": "a PyTorch checkpoint (script or trace the model and "
                   "torch.jit.save it as .pt, or export ONNX)"}


def preprocessing_for(value: str, base: Path = Path.cwd()) -> Tuple[str, Optional[dict]]:
    """(preset name or file, explicit preprocessing) of a --preprocessing
    value: a preset name or a JSON file with the six keys."""
    if value in PRESETS:
        return value, PRESETS[value]
    path = (base / value) if not Path(value).is_absolute() else Path(value)
    if not path.is_file():
        raise common.UsageError(
            f"--preprocessing {value}: neither a preset ("
            f"{', '.join(PRESETS)}) nor a file")
    try:
        explicit = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise common.UsageError(f"{path}:{error.lineno}:{error.colno}: "
                                f"{error.msg}") from None
    return "file", check_preprocessing(explicit, str(path))


def check_preprocessing(explicit, where: str) -> dict:
    if not isinstance(explicit, dict):
        raise common.UsageError(f"{where}: preprocessing must be an object "
                                f"with {', '.join(PREPROCESSING_KEYS)}")
    unknown = sorted(set(explicit) - set(PREPROCESSING_KEYS))
    missing = [key for key in PREPROCESSING_KEYS if key not in explicit]
    if unknown or missing:
        raise common.UsageError(
            f"{where}: preprocessing " + "; ".join(filter(None, [
                unknown and f"unknown keys {', '.join(unknown)}",
                missing and f"missing keys {', '.join(missing)}"])))
    if explicit["color_order"] not in ("RGB", "BGR"):
        raise common.UsageError(f"{where}: color_order must be RGB or BGR")
    for key in ("mean", "std"):
        if (not isinstance(explicit[key], list) or len(explicit[key]) != 3
                or not all(isinstance(v, (int, float)) for v in explicit[key])):
            raise common.UsageError(f"{where}: {key} must be 3 numbers")
    return explicit


def parse_input(value: str) -> dict:
    """NAME:SHAPE:DTYPE[:LAYOUT], SHAPE as 1x3x224x224 (-1 or ? = any)."""
    parts = value.split(":")
    if len(parts) not in (3, 4) or not parts[0]:
        raise common.UsageError(f"--input {value}: expected "
                                "NAME:SHAPE:DTYPE[:LAYOUT], e.g. "
                                "input:-1x3x224x224:float32:NCHW")
    layout = parts[3] if len(parts) == 4 else None
    return checked_input({"name": parts[0], "shape": parts[1],
                          "dtype": parts[2], "layout": layout},
                         f"--input {value}")


def checked_input(entry: dict, where: str) -> dict:
    """One given input ({name, shape, dtype, layout, kind, vocab_size,
    range}, all but the name optional), its values checked; `shape` may be
    a list or dimensions joined by x."""
    result = {key: entry.get(key) for key in INPUT_KEYS}
    if not isinstance(result["name"], str) or not result["name"]:
        raise common.UsageError(f"{where}: an input needs a name")
    shape = result["shape"]
    if isinstance(shape, str):
        try:
            shape = [-1 if dim in ("?", "-1") else int(dim)
                     for dim in shape.split("x")]
        except ValueError:
            raise common.UsageError(f"{where}: shape {shape!r} is not "
                                    "dimensions joined by x") from None
    if shape is not None and (not isinstance(shape, list) or not all(
            isinstance(dim, int) and dim >= -1 for dim in shape)):
        raise common.UsageError(f"{where}: shape must be a list of "
                                "dimensions (-1 = any)")
    result["shape"] = shape
    for key, known in (("dtype", DTYPES), ("layout", LAYOUTS),
                       ("kind", KINDS)):
        if result[key] is not None and result[key] not in known:
            raise common.UsageError(f"{where}: {key} {result[key]!r}; known: "
                                    f"{', '.join(known)}")
    vocab_size, value_range = result["vocab_size"], result["range"]
    if (result["kind"] == "token_ids") != (vocab_size is not None):
        raise common.UsageError(f"{where}: kind token_ids needs vocab_size "
                                "(and vocab_size belongs to token_ids only)")
    if vocab_size is not None and (not isinstance(vocab_size, int)
                                   or vocab_size < 1):
        raise common.UsageError(f"{where}: vocab_size must be a positive "
                                "integer")
    if value_range is not None and (
            result["kind"] not in (None, "random")
            or not isinstance(value_range, list) or len(value_range) != 2
            or not all(isinstance(value, int) for value in value_range)
            or value_range[0] >= value_range[1]):
        raise common.UsageError(f"{where}: range must be [lo, hi] integers "
                                "with lo < hi, for kind random")
    return result


def synthetic_inputs(inputs: List[dict], batch: int, seed: int,
                     given: Dict[int, object] = None) -> list:
    """Seeded arrays of `batch` items for each input, by its kind (same seed,
    same bytes), but the arrays `given` by input index. Open dimensions
    other than the batch are an error."""
    import numpy
    arrays = []
    for index, entry in enumerate(inputs):
        if given and index in given:
            arrays.append(given[index])
            continue
        shape = [batch] + list(entry["shape"][1:])
        if any(dim < 0 for dim in shape):
            raise common.StepError(
                f"input {entry['name']} has shape {entry['shape']}: give "
                "every dimension but the batch (--input or the spec)")
        dtype = numpy.dtype(entry.get("dtype") or "float32")
        kind = entry.get("kind") or "random"
        generator = numpy.random.default_rng([seed, index])
        if kind == "token_ids":
            values = generator.integers(0, entry["vocab_size"], shape)
        elif kind == "mask":
            values = numpy.ones(shape)
        elif kind == "segment_ids":
            values = numpy.zeros(shape)
        elif dtype.kind == "b":
            values = generator.integers(0, 2, shape)
        elif dtype.kind == "f":
            values = generator.uniform(*RANDOM_FLOAT_RANGE, shape)
        else:
            values = generator.integers(
                *(entry.get("range") or RANDOM_INTEGER_RANGE), shape)
        arrays.append(values.astype(dtype))
    return arrays


def read_spec(path: Path) -> dict:
    """A YAML (or JSON) model description; unknown keys are errors that name
    FILE:LINE:COL, as experiment files do."""
    import yaml
    try:
        text = path.read_text()
        root = yaml.compose(text)
    except OSError as error:
        raise common.UsageError(f"cannot read --spec {path}: "
                                f"{error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise common.UsageError(f"{where}: {getattr(error, 'problem', error)}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise common.UsageError(f"{path}:1:1: a spec is a mapping of "
                                f"{', '.join(SPEC_KEYS)}")
    for key, value in root.value:
        _refuse_unknown_key(path, key, SPEC_KEYS, "key")
        if key.value == "inputs":
            _check_spec_inputs(path, value)
    spec = yaml.safe_load(text)
    inputs = spec.get("inputs")
    if inputs is not None:
        nodes = root.value[[key.value for key, _ in root.value].index(
            "inputs")][1].value
        spec["inputs"] = [
            parse_input(entry) if isinstance(entry, str)
            else checked_input(entry, _mark(path, node))
            for entry, node in zip(inputs, nodes)]
    return spec


def _mark(path: Path, node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _refuse_unknown_key(path: Path, key, known, what: str) -> None:
    """UsageError, at the key's FILE:LINE:COL, when the YAML key node is not
    in `known`."""
    if key.value not in known:
        raise common.UsageError(f"{_mark(path, key)}: unknown {what} '{key.value}'; "
                                f"known: {', '.join(known)}")


def _check_spec_inputs(path: Path, node) -> None:
    """A spec's `inputs`: a list whose items are NAME:SHAPE:DTYPE[:LAYOUT]
    strings or mappings of INPUT_KEYS."""
    import yaml
    if not isinstance(node, yaml.SequenceNode):
        raise common.UsageError(f"{_mark(path, node)}: inputs is a list")
    for item in node.value:
        if isinstance(item, yaml.ScalarNode):
            continue
        if not isinstance(item, yaml.MappingNode):
            raise common.UsageError(
                f"{_mark(path, item)}: an input is NAME:SHAPE:DTYPE[:LAYOUT] "
                f"or a mapping of {', '.join(INPUT_KEYS)}")
        for key, _ in item.value:
            _refuse_unknown_key(path, key, INPUT_KEYS, "input key")


def matrix(model_json: dict) -> List[dict]:
    """One row per format the model can have: the `formats` entries that
    were made and the `conversions` that failed or do not apply."""
    rows = []
    for entry in model_json.get("formats", []):
        rows.append({"id": entry["id"], "format": entry["format"],
                     "precision": entry.get("precision", "FP32"),
                     "frameworks": entry.get("frameworks", []),
                     "status": entry.get("status", "ok"),
                     "reason": entry.get("reason", ""),
                     "converter": entry.get("converter", ""),
                     "converter_version": entry.get("converter_version", ""),
                     "parity": entry.get("parity"),
                     "sanity": entry.get("sanity")})
    for conversion in model_json.get("conversions", []):
        if conversion["status"] != "ok":
            rows.append({"id": conversion["step"], "format":
                         ",".join(conversion.get("formats", [])),
                         "precision": "FP32",
                         "frameworks": conversion.get("frameworks", []),
                         "status": conversion["status"],
                         "reason": conversion.get("reason", ""),
                         "converter": conversion.get("converter", ""),
                         "converter_version": "", "parity": None,
                         "sanity": None})
    return rows
