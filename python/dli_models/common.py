"""What the orchestrator and every step share: the step declaration, paths,
hashing, model.json I/O and the PyTorch reference check set.

The orchestrator imports this module under /usr/bin/python3 and each step
imports it under its own interpreter (the system Python or a venv), so only
the standard library is imported at module level; numpy is imported inside
the few functions that need it.
"""

import argparse
import dataclasses
import gzip
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable, List, Sequence, Tuple, Union

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_ROOT = REPO_ROOT / "python"
DEFAULT_MODELS_DIR = REPO_ROOT / "models"
SYSTEM_INTERPRETER = "system"
MODEL_SCHEMA = "dli.model/1"
MODEL_JSON = "model.json"
LABELS_FILE = "labels.txt"
ONNX_FORMAT = "onnx"

# The 1000 ImageNet class names in the standard (torchvision / Caffe) order,
# shipped by Debian's opencv-doc; Debian may gzip files under /usr/share/doc.
IMAGENET_LABELS_DEBIAN = Path(
    "/usr/share/doc/opencv-doc/examples/data/dnn/"
    "classification_classes_ILSVRC2012.txt")
IMAGENET_CLASS_COUNT = 1000


class StepError(Exception):
    """A failure the user can act on: reported as one line, no traceback."""


class UsageError(Exception):
    """Bad input on the command line or in a file it names: one line, exit 2,
    nothing written."""


def system_python() -> Path:
    return Path(os.environ.get("DLI_SYSTEM_PYTHON", "/usr/bin/python3"))


def venv_root() -> Path:
    return Path(os.environ.get("DLI_VENV_ROOT", REPO_ROOT / ".venv"))


@dataclasses.dataclass(frozen=True)
class Context:
    """Where one model's preparation reads and writes."""
    models_dir: Path
    model: str

    @property
    def model_dir(self) -> Path:
        return self.models_dir / self.model

    @property
    def sample_dir(self) -> Path:
        """The bundled sample photos, shared by every model."""
        return self.models_dir / "_datasets" / "sample"

    @property
    def model_json(self) -> Path:
        return self.model_dir / MODEL_JSON

    def expand(self, pattern: str) -> Path:
        """Expands a path pattern of a step declaration, e.g.
        "{model_dir}/onnx/{model}.onnx"."""
        return Path(pattern.format(
            model=self.model, model_dir=self.model_dir,
            models_dir=self.models_dir, sample_dir=self.sample_dir,
            repo=REPO_ROOT))


ZOO, IMPORTED, ANY = "zoo", "imported", "any"
HUB = "hub"
HUB_STEPS = {ZOO: "reference", IMPORTED: "source"}


def model_origin(context: "Context") -> str:
    """IMPORTED when model.json says the model came from `dli models import`,
    else ZOO (the reference step writes the zoo's model.json)."""
    try:
        origin = json.loads(context.model_json.read_text()).get("origin")
    except (FileNotFoundError, json.JSONDecodeError):
        return ZOO
    return IMPORTED if origin == IMPORTED else ZOO


def hub_onnx(context: "Context") -> Path:
    """The ONNX file every converter starts from."""
    return context.model_dir / "onnx" / f"{context.model}.onnx"


# A step lists files either as patterns for Context.expand or, when the list
# depends on the machine (a file inside a venv, the photos of the sample
# set), as a function of the context.
PathList = Union[Sequence[str], Callable[[Context], Iterable[Path]]]


@dataclasses.dataclass(frozen=True)
class Step:
    """The declaration every module in dli_models/steps/ exposes as STEP.

    interpreter: "system" (/usr/bin/python3 with Debian's torch) or the name
      of a virtual environment under .venv/ made by scripts/setup.sh.
    depends: steps whose outputs this one reads; they run first.
    inputs: files whose content decides whether the step must run again
      (their sha256 is recorded after each run).
    outputs: the files the step writes; all must exist for a skip.
    optional: the step runs only when named with --steps, never in a plain
      prepare: the optimisation steps need a calibration set that
      `dli optimize` writes first (docs/OPTIMIZE.md).
    origin: which models the step serves: ZOO (built from pretrained
      weights in python), IMPORTED (`dli models import`) or ANY. A
      dependency on HUB is the step that makes the model's ONNX file and
      check set: `reference` for the zoo, `source` for an imported model.
    formats, frameworks, converter: what the step makes and with what, so a
      failed or inapplicable step is still a row of `dli models show`.
    """
    name: str
    interpreter: str
    description: str
    depends: Tuple[str, ...] = ()
    inputs: PathList = ()
    outputs: PathList = ()
    optional: bool = False
    origin: str = "any"
    formats: Tuple[str, ...] = ()
    frameworks: Tuple[str, ...] = ()
    converter: str = ""

    def serves(self, origin: str) -> bool:
        return self.origin in (ANY, origin)

    def input_paths(self, context: Context) -> List[Path]:
        return _resolve(self.inputs, context)

    def output_paths(self, context: Context) -> List[Path]:
        return _resolve(self.outputs, context)


def _resolve(paths: PathList, context: Context) -> List[Path]:
    if callable(paths):
        return sorted(Path(path) for path in paths(context))
    return [context.expand(pattern) for pattern in paths]


def interpreter_path(interpreter: str) -> Path:
    if interpreter == SYSTEM_INTERPRETER:
        return system_python()
    return venv_root() / interpreter / "bin" / "python"


def venv_site_packages(venv: str) -> Path:
    """The site-packages folder of .venv/<venv>, found without running it."""
    matches = sorted((venv_root() / venv).glob("lib/python3*/site-packages"))
    if not matches:
        raise StepError(f"virtual environment {venv_root() / venv} is missing:"
                        " run scripts/setup.sh")
    return matches[-1]


def step_main(step: Step, run: Callable[[Context], None]) -> None:
    """The command line of a step module (`python -m dli_models.steps.X`)."""
    parser = argparse.ArgumentParser(
        prog=f"dli_models.steps.{step.name}", description=step.description)
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    try:
        run(Context(args.models_dir.resolve(), args.model))
    except (StepError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


# ---------------------------------------------------------------- hashing

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256_prefix(path: Path, expected_prefix: str, what: str) -> str:
    """Returns the file's sha256, or raises when it does not start with
    expected_prefix (torchvision names checkpoints by that prefix)."""
    actual = sha256_file(path)
    if not actual.startswith(expected_prefix):
        raise StepError(
            f"{path}: sha256 is {actual}, expected it to start with "
            f"{expected_prefix}: this is not {what} (corrupted or replaced "
            "file); reinstall it with scripts/setup.sh")
    return actual


# ------------------------------------------------------- files and JSON

def write_file_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Calls write(temporary path) then renames it to path, so an interrupted
    step never leaves a half-written output that looks complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json_atomic(path: Path, data: dict) -> None:
    write_file_atomic(path, lambda temporary: temporary.write_text(
        json.dumps(data, indent=2) + "\n"))


def read_model_json(context: Context) -> dict:
    try:
        return json.loads(context.model_json.read_text())
    except FileNotFoundError:
        raise StepError(f"{context.model_json} does not exist: run the "
                        "reference step first") from None
    except json.JSONDecodeError as error:
        raise StepError(f"{context.model_json} is not valid JSON ({error}): "
                        "rerun prepare with --force") from None


def format_entry(context: Context, *, id: str, format: str, precision: str,
                 path: str, frameworks: Sequence[str], converter: str,
                 converter_version: str, weights: str = None,
                 layout: str = "NCHW", **extra) -> dict:
    """One `formats` entry of model.json, with the sha256 of its files."""
    entry = {"id": id, "format": format, "precision": precision, "path": path}
    if weights:
        entry["weights"] = weights
    entry.update(layout=layout, frameworks=list(frameworks),
                 converter=converter, converter_version=converter_version,
                 sha256=sha256_file(context.model_dir / path))
    if weights:
        entry["weights_sha256"] = sha256_file(context.model_dir / weights)
    entry.update(extra)
    return entry


def register_formats(context: Context, step_name: str,
                     entries: Sequence[dict]) -> None:
    """Adds or replaces this step's entries in model.json's `formats`.

    An entry keeps its place when replaced; entries this step made before
    but no longer makes are dropped. ONNX entries always come last: `dli`
    picks the first entry that lists a framework, and a framework with a
    native format (OpenVINO IR, TFLite...) must prefer it over the
    interchange ONNX file that it can also read.
    """
    metadata = read_model_json(context)
    new = {entry["id"]: dict(entry, step=step_name) for entry in entries}
    formats = []
    for entry in metadata.get("formats", []):
        if entry["id"] in new:
            formats.append(new.pop(entry["id"]))
        elif entry.get("step") != step_name:
            formats.append(entry)
    formats.extend(new.values())
    formats.sort(key=lambda entry: entry["format"] == ONNX_FORMAT)
    metadata["formats"] = formats
    write_json_atomic(context.model_json, metadata)


# ----------------------------------------------------------------- labels

def imagenet_labels_source() -> Path:
    for candidate in (IMAGENET_LABELS_DEBIAN,
                      IMAGENET_LABELS_DEBIAN.with_name(
                          IMAGENET_LABELS_DEBIAN.name + ".gz")):
        if candidate.exists():
            return candidate
    raise StepError(f"{IMAGENET_LABELS_DEBIAN} is missing: install the Debian "
                    "package opencv-doc (scripts/setup.sh)")


def read_imagenet_labels() -> List[str]:
    source = imagenet_labels_source()
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as stream:
        labels = [line.strip() for line in stream if line.strip()]
    if len(labels) != IMAGENET_CLASS_COUNT:
        raise StepError(f"{source} has {len(labels)} labels, expected "
                        f"{IMAGENET_CLASS_COUNT}")
    return labels


# ------------------------------------------------------ the sample photos

def read_sample_manifest(sample_dir: Path) -> List[Tuple[str, List[int]]]:
    """The materialised manifest: lines `file<TAB>class[,class...]`."""
    manifest = sample_dir / "manifest.txt"
    if not manifest.exists():
        raise StepError(f"{manifest} is missing: run the sample_photos step")
    photos = []
    for line in manifest.read_text().splitlines():
        name, classes = line.split("\t")
        photos.append((name, [int(index) for index in classes.split(",")]))
    return photos


# ---------------------------------------- the PyTorch reference check set
# The reference step runs the PyTorch model on the preprocessed sample
# photos (or, for a model without images, seeded synthetic inputs) and
# stores the inputs and outputs, so every converter step, whatever its
# interpreter, checks its outputs against PyTorch on exactly the same
# tensors with numpy alone. One .npy file per input and per output, in
# model.json's order; the first keep the names of the one-input check set
# (check_input.npy, check_logits.npy), which the backends' C++ tests read.

CHECK_DIR = "reference"
CHECK_NAMES = "check_images.txt"


def model_inputs(metadata: dict) -> List[dict]:
    """model.json's `inputs`; a file written before multi-input models holds
    one `input` object."""
    if "inputs" in metadata:
        return metadata["inputs"]
    return [metadata["input"]] if "input" in metadata else []


def model_outputs(metadata: dict) -> List[dict]:
    """model.json's `outputs` (or the older single `output`)."""
    if "outputs" in metadata:
        return metadata["outputs"]
    return [metadata["output"]] if "output" in metadata else []


def check_input_file(index: int) -> str:
    return "check_input.npy" if index == 0 else f"check_input_{index}.npy"


def check_output_file(index: int) -> str:
    return "check_logits.npy" if index == 0 else f"check_output_{index}.npy"


def _io_counts(context: Context) -> Tuple[int, int]:
    """How many inputs and outputs model.json declares (1 and 1 before the
    hub step wrote it: a step listing the check set then runs anyway)."""
    try:
        metadata = json.loads(context.model_json.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return 1, 1
    return (max(1, len(model_inputs(metadata))),
            max(1, len(model_outputs(metadata))))


def check_input_paths(context: Context) -> List[Path]:
    folder = context.model_dir / CHECK_DIR
    return [folder / check_input_file(index)
            for index in range(_io_counts(context)[0])]


def check_output_paths(context: Context) -> List[Path]:
    folder = context.model_dir / CHECK_DIR
    return [folder / check_output_file(index)
            for index in range(_io_counts(context)[1])]


def check_paths(context: Context) -> List[Path]:
    """Every file of the check set: what a converter step's parity reads."""
    return ([context.model_dir / CHECK_DIR / CHECK_NAMES]
            + check_input_paths(context) + check_output_paths(context))


def with_check_set(*patterns: str) -> Callable[[Context], List[Path]]:
    """A step's `inputs`: the expanded patterns and the check set."""
    return lambda context: ([context.expand(pattern) for pattern in patterns]
                            + check_paths(context))


def write_check_arrays(context: Context, paths: Sequence[Path],
                       arrays: Sequence) -> None:
    import numpy
    for path, array in zip(paths, arrays):
        write_file_atomic(path, lambda temporary, array=array: numpy.save(
            temporary, numpy.asarray(array)))


def load_check_tensors(context: Context):
    """Returns (check item names, the inputs, the reference outputs): lists
    of arrays in model.json's order."""
    import numpy
    global REFERENCE_NAME
    folder = context.model_dir / CHECK_DIR
    try:
        names = (folder / CHECK_NAMES).read_text().split()
        inputs = [numpy.load(path) for path in check_input_paths(context)]
        outputs = [numpy.load(path) for path in check_output_paths(context)]
    except FileNotFoundError as error:
        raise StepError(f"{error.filename} is missing: run the reference "
                        "step first") from None
    if (folder / CHECK_SOURCE).exists():
        REFERENCE_NAME = (folder / CHECK_SOURCE).read_text().strip()
    return names, inputs, outputs


def load_check_set(context: Context):
    """Returns (photo names, input batch NCHW float32, reference outputs) of
    a one-input, one-output model: what the optimisation steps quantize."""
    names, inputs, outputs = load_check_tensors(context)
    if len(inputs) != 1 or len(outputs) != 1:
        raise StepError(f"{context.model} has {len(inputs)} inputs and "
                        f"{len(outputs)} outputs: this step handles models "
                        "with one image input and one output")
    return names, inputs[0], outputs[0]


# What made the check set's outputs: PyTorch for the zoo, the imported source
# file run by its framework for an imported model (reference/source.txt).
REFERENCE_NAME = "PyTorch"
CHECK_SOURCE = "source.txt"


def compare_with_reference(what: str, logits, reference, names: Sequence[str],
                           max_abs_diff: float = None,
                           min_top1_agreement: float = 1.0,
                           against: str = None) -> dict:
    """Prints how `logits` agree with the reference logits (PyTorch's, or
    `against`) and raises when fewer than min_top1_agreement of the top-1
    classes are equal (default: any differs) or, if max_abs_diff is given, a
    logit differs more."""
    import numpy
    against = against or REFERENCE_NAME
    items = ("synthetic inputs" if all(name.startswith("synthetic-")
                                       for name in names) else "photos")
    logits = numpy.asarray(logits, dtype=numpy.float64)
    reference = numpy.asarray(reference, dtype=numpy.float64)
    if logits.shape != reference.shape:
        raise StepError(f"{what}: output shape {list(logits.shape)}, "
                        f"expected {list(reference.shape)}")
    top1 = logits.reshape(len(logits), -1).argmax(axis=1)
    reference_top1 = reference.reshape(len(reference), -1).argmax(axis=1)
    largest_diff = float(numpy.abs(logits - reference).max())
    agree = int((top1 == reference_top1).sum())
    print(f"{what} vs {against}: top-1 equal on {agree}/{len(names)} {items}, "
          f"max |logit diff| = {largest_diff:.3g}"
          + (f" (limit {max_abs_diff:g})" if max_abs_diff is not None else ""))
    mismatches = [f"{name}: {int(got)} instead of {int(want)}"
                  for name, got, want in zip(names, top1, reference_top1)
                  if got != want]
    if mismatches and agree >= min_top1_agreement * len(names):
        print("  top-1 differs on " + "; ".join(mismatches))
    elif mismatches:
        raise StepError(f"{what} disagrees with {against} on top-1: "
                        + "; ".join(mismatches))
    if max_abs_diff is not None and largest_diff > max_abs_diff:
        raise StepError(f"{what}: max |logit diff| {largest_diff:.3g} exceeds "
                        f"the limit {max_abs_diff:g}")
    return {"inputs": len(names), "top1_equal": agree,
            "max_abs_diff": float(f"{largest_diff:.3g}"),
            "limit": max_abs_diff}


def compare_outputs(what: str, outputs: Sequence, reference: Sequence,
                    names: Sequence[str], output_names: Sequence[str],
                    max_abs_diff: float = None, against: str = None) -> dict:
    """compare_with_reference for every output of a model, in order. The
    figures of a one-output model are that output's; with several, the
    parity holds the worst of them and each output's own under `outputs`."""
    if len(outputs) != len(reference):
        raise StepError(f"{what}: {len(outputs)} outputs, expected "
                        f"{len(reference)} ({', '.join(output_names)})")
    if len(reference) == 1:
        return compare_with_reference(what, outputs[0], reference[0], names,
                                      max_abs_diff=max_abs_diff,
                                      against=against)
    each = [dict(compare_with_reference(f"{what}, output {name}", got, want,
                                        names, max_abs_diff=max_abs_diff,
                                        against=against),
                 name=name)
            for name, got, want in zip(output_names, outputs, reference)]
    return {"inputs": len(names),
            "top1_equal": min(entry["top1_equal"] for entry in each),
            "max_abs_diff": max(entry["max_abs_diff"] for entry in each),
            "limit": max_abs_diff,
            "outputs": [{key: entry[key] for key in
                         ("name", "top1_equal", "max_abs_diff")}
                        for entry in each]}
