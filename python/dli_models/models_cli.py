#!/usr/bin/python3
"""`dli models import|list|show`: imports a user's model and fans it out to
every framework's format through the steps of prepare.py, and shows what
each model has (docs/MODELS.md).

    models_cli.py [--models-dir DIR] import NAME --from PATH [options]
    models_cli.py [--models-dir DIR] list [--json]
    models_cli.py [--models-dir DIR] show NAME [--json]

Exit status: 0 done (a failed conversion is a result, not an error), 1 the
imported file cannot be run at all, 2 bad input (one line on stderr, nothing
left in the models folder).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

if __package__ in (None, ""):  # run as a script: make dli_models importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dli_models import common, description, prepare  # noqa: E402

INSPECT_VENV = "onnxruntime"  # onnx; TorchScript is read by Debian's torch
# The sources converted to the ONNX hub at import (convert_source.py), and
# the venv that runs each converter; an IR is read in OpenVINO's.
CONVERTER_VENVS = {"tensorflow": "tensorflow", "tflite": "tensorflow",
                   "mxnet": "mxnet", "openvino_ir": "openvino"}
IR_STEP = "source_ir"
NO_ROUTE_FROM_IR = ("no converter from OpenVINO IR to ONNX exists (OpenVINO "
                    "reads IR, nothing here writes another format from it)")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (UsageError) instead of usage + exit."""

    def error(self, message):
        raise common.UsageError(f"{self.prog}: {message}")


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="dli models", description=__doc__.split("\n\n")[0])
    top.add_argument("--models-dir", type=Path,
                     default=Path(os.environ.get("DLI_MODELS_DIR",
                                                 common.DEFAULT_MODELS_DIR)))
    commands = top.add_subparsers(dest="command", required=True,
                                  parser_class=Parser)
    imp = commands.add_parser("import", prog="dli models import")
    imp.add_argument("name")
    imp.add_argument("--from", dest="source", required=True, type=Path)
    imp.add_argument("--task", choices=description.TASKS)
    imp.add_argument("--preprocessing")
    imp.add_argument("--labels", type=Path)
    imp.add_argument("--label-offset", type=int)
    imp.add_argument("--input", action="append", default=[])
    imp.add_argument("--spec", type=Path)
    imp.add_argument("--force", action="store_true")
    listing = commands.add_parser("list", prog="dli models list")
    listing.add_argument("--json", action="store_true")
    show = commands.add_parser("show", prog="dli models show")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    return top


# ----------------------------------------------------------------- import

def source_format(path: Path) -> Tuple[str, Dict[str, Path]]:
    """The format of --from PATH and its files: `file` (what PATH names, or
    the symbol of an MXNet pair) and the companion `params` / `weights`."""
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return "tensorflow", {"file": path}
        raise common.UsageError(f"{path} is a folder but no TensorFlow "
                                "SavedModel (no saved_model.pb in it)")
    if not path.is_file():
        raise common.UsageError(f"--from {path}: no such file")
    for suffix, fmt in description.SOURCE_FORMATS.items():
        if path.name.endswith(suffix):
            if fmt == "mxnet":
                return fmt, mxnet_pair(path)
            if fmt == "openvino_ir":
                weights = path.with_suffix(".bin")
                if not weights.is_file():
                    raise common.UsageError(
                        f"{path}: an OpenVINO IR needs its weights "
                        f"{weights.name} beside it")
                return fmt, {"file": path, "weights": weights}
            return fmt, {"file": path}
    for suffix, what in description.NOT_YET.items():
        if path.name.endswith(suffix):
            raise common.UsageError(f"{path}: importing {what} is not "
                                    "supported yet; export it to ONNX and "
                                    "import that")
    raise common.UsageError(
        f"{path}: unknown model file extension; known: "
        f"{', '.join(description.SOURCE_FORMATS)}")


def mxnet_pair(path: Path) -> Dict[str, Path]:
    """PREFIX-symbol.json and PREFIX-EPOCH.params (what HybridBlock.export
    writes) or PREFIX.params, from either file."""
    if path.name.endswith("-symbol.json"):
        prefix = path.name[:-len("-symbol.json")]
        params = sorted(path.parent.glob(f"{prefix}-[0-9]*.params")) or [
            candidate for candidate in [path.parent / f"{prefix}.params"]
            if candidate.is_file()]
        if not params:
            raise common.UsageError(
                f"{path}: an MXNet symbol needs its parameters "
                f"{prefix}-NNNN.params beside it")
        return {"file": path, "params": params[-1]}
    stem = path.name[:-len(".params")]
    head, _, epoch = stem.rpartition("-")
    prefix = head if head and epoch.isdigit() else stem
    symbol = path.parent / f"{prefix}-symbol.json"
    if not symbol.is_file():
        raise common.UsageError(f"{path}: MXNet parameters need their graph "
                                f"{symbol.name} beside them")
    return {"file": symbol, "params": path}


def convert_source(fmt: str, files: Dict[str, Path], given: List[dict],
                   hub: Path) -> dict:
    """Runs convert_source.py in the converter's venv: the ONNX hub of a
    SavedModel, .tflite or MXNet source (its converter, version and check),
    or what an IR declares."""
    python = common.interpreter_path(CONVERTER_VENVS[fmt])
    if not python.exists():
        raise common.StepError(f"{python} is missing: run scripts/setup.sh")
    arguments = [str(files["file"])]
    if fmt == "mxnet":
        arguments += [str(files["params"]), json.dumps(given), str(hub)]
    elif fmt != "openvino_ir":
        arguments += [json.dumps(given), str(hub)]
    result = subprocess.run(
        [str(python), "-m", "dli_models.convert_source", fmt, *arguments],
        capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(common.PYTHON_ROOT),
                 TF_CPP_MIN_LOG_LEVEL="3"))
    last = (result.stderr.strip().splitlines() or ["?"])[-1]
    if result.returncode == 2:
        raise common.UsageError(last)
    if result.returncode != 0:
        raise common.StepError(f"cannot convert {files['file']}: {last}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def inspect_source(path: Path, fmt: str, given: List[dict]) -> dict:
    """What the file declares (inspect_onnx / inspect_torchscript)."""
    if fmt == "onnx":
        python = common.interpreter_path(INSPECT_VENV)
        command = ["-m", "dli_models.inspect_onnx", str(path)]
    else:
        python = common.system_python()
        command = ["-m", "dli_models.inspect_torchscript", str(path),
                   json.dumps(given)]
    if not python.exists():
        raise common.StepError(f"{python} is missing: run scripts/setup.sh")
    result = subprocess.run(
        [str(python), *command], capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(common.PYTHON_ROOT)))
    if result.returncode == 2:
        raise common.UsageError(result.stderr.strip().splitlines()[-1])
    if result.returncode != 0:
        raise common.StepError(f"cannot inspect {path}: " + (
            result.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(result.stdout)


def resolve_inputs(declared: List[dict], given: List[dict],
                   task: str) -> List[dict]:
    """The model's inputs as the file declares them, checked against and
    completed by --input and the spec's `inputs` (later ones win)."""
    names = [entry["name"] for entry in declared]
    unknown = [entry["name"] for entry in given if entry["name"] not in names]
    if unknown:
        raise common.UsageError(f"--input {unknown[0]}: the model has no "
                                f"input of that name (its inputs: "
                                f"{', '.join(names)})")
    return [resolve_input(entry, [wanted for wanted in given
                                  if wanted["name"] == entry["name"]], task)
            for entry in declared]


def resolve_input(declared: dict, given: List[dict], task: str) -> dict:
    name = declared["name"]
    wanted = {}
    for entry in given:
        wanted.update({key: value for key, value in entry.items()
                       if value is not None})
    shape = list(declared["shape"])
    if "shape" in wanted:
        if len(wanted["shape"]) != len(shape) or any(
                have > 0 and want > 0 and have != want
                for have, want in zip(shape, wanted["shape"])):
            raise common.UsageError(
                f"--input {name}: shape {wanted['shape']} contradicts the "
                f"file's {shape}")
        shape = [want if have <= 0 else have
                 for have, want in zip(shape, wanted["shape"])]
    if wanted.get("dtype", declared["dtype"]) != declared["dtype"]:
        raise common.UsageError(
            f"--input {name}: dtype {wanted['dtype']} contradicts the "
            f"file's {declared['dtype']}")
    if shape:
        shape[0] = -1  # the batch stays free
    layout = wanted.get("layout") or (
        "NCHW" if len(shape) == 4 and shape[1] in (1, 3)
        else "NHWC" if len(shape) == 4 and shape[3] in (1, 3)
        else "NC" if len(shape) == 2 else "ANY")
    is_image = (task == "image_classification" and len(shape) == 4
                and declared["dtype"].startswith("float"))
    result = {"name": name, "shape": shape, "dtype": declared["dtype"],
              "layout": layout,
              "kind": wanted.get("kind") or ("image" if is_image else "random")}
    for key in ("vocab_size", "range"):
        if key in wanted:
            result[key] = wanted[key]
    if result["kind"] == "token_ids" and \
            not declared["dtype"].startswith(("int", "uint")):
        raise common.UsageError(f"--input {name}: kind token_ids needs an "
                                f"integer input, not {declared['dtype']}")
    return result


def sized_preprocessing(preprocessing: dict, input_meta: dict) -> dict:
    """A preset's crop follows the model's input size (resize keeps the
    preset's 256/224 ratio)."""
    shape, layout = input_meta["shape"], input_meta["layout"]
    side = (shape[2] if layout == "NCHW" else shape[1]
            if layout == "NHWC" else -1)
    if side > 0 and side != preprocessing["crop"]:
        ratio = preprocessing["resize_shorter"] / preprocessing["crop"]
        preprocessing = dict(preprocessing, crop=side,
                             resize_shorter=round(side * ratio))
    return preprocessing


def given_inputs(args, spec: dict) -> List[dict]:
    """The spec's inputs (read_spec checked them), then --input's."""
    return list(spec.get("inputs") or []) + [
        description.parse_input(str(value)) for value in args.input]


def build_model_json(args, spec: dict, source: Path, fmt: str,
                     inspected: dict) -> dict:
    """Everything `dli models import` declares before any conversion."""
    def option(key, value):
        return value if value is not None else spec.get(key)

    task = option("task", args.task) or "generic"
    if task not in description.TASKS:
        raise common.UsageError(f"task {task!r}; known: "
                                f"{', '.join(description.TASKS)}")
    if not inspected["inputs"] or not inspected["outputs"]:
        raise common.UsageError(f"{source} declares no inputs or no outputs")
    inputs = resolve_inputs(inspected["inputs"], given_inputs(args, spec),
                            task)
    input_meta = next((entry for entry in inputs if entry["kind"] == "image"),
                      inputs[0])
    output = inspected["outputs"][0]
    label_offset = option("label_offset", args.label_offset) or 0
    outputs = [{"name": entry["name"], "shape": [-1] + entry["shape"][1:],
                "dtype": entry["dtype"]} for entry in inspected["outputs"]]
    if task == "image_classification":
        # Classification reads output 0.
        outputs[0]["label_offset"] = label_offset
    metadata = {
        "schema": common.MODEL_SCHEMA, "name": args.name, "task": task,
        "origin": common.IMPORTED,
        "source": {"format": fmt, "file": f"source/{source.name}",
                   "sha256": source_sha256(source),
                   "imported_from": str(source.resolve())},
        "weights": option("weights", None) or "as imported (origin not "
                                               "declared)",
        "inputs": inputs,
        "outputs": outputs,
        "formats": [],
    }
    if inspected["opset"] and fmt == "onnx":
        metadata["source"]["opset"] = inspected["opset"]
    preprocessing = option("preprocessing", args.preprocessing)
    if isinstance(preprocessing, dict):
        metadata["preprocessing"] = dict(description.check_preprocessing(
            preprocessing, str(args.spec)), preset="explicit")
    elif preprocessing is not None:
        preset, explicit = description.preprocessing_for(str(preprocessing))
        metadata["preprocessing"] = (
            {"preset": preset} if explicit is None else
            dict(sized_preprocessing(explicit, input_meta), preset=preset))
    labels = option("labels", args.labels)
    if labels is not None:
        lines = read_labels(Path(labels))
        classes = output["shape"][-1] if output["shape"] else -1
        if classes > 0 and len(lines) != classes - label_offset:
            raise common.UsageError(
                f"{labels} has {len(lines)} labels, the model's output "
                f"{output['name']} has {classes} classes with label offset "
                f"{label_offset}: expected {classes - label_offset}")
        metadata["labels"] = common.LABELS_FILE
    return metadata


def source_sha256(path: Path) -> str:
    """A file's sha256, or a SavedModel folder's: over its files' relative
    paths and sha256s, in order."""
    if not path.is_dir():
        return common.sha256_file(path)
    digest = hashlib.sha256()
    for file in sorted(item for item in path.rglob("*") if item.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        digest.update(bytes.fromhex(common.sha256_file(file)))
    return digest.hexdigest()


def read_labels(path: Path) -> List[str]:
    try:
        return [line.strip() for line in path.read_text().splitlines()
                if line.strip()]
    except OSError as error:
        raise common.UsageError(f"--labels {path}: {error.strerror}") from None


def import_model(args) -> int:
    models_dir = args.models_dir.resolve()
    if not description.NAME_PATTERN.match(args.name):
        raise common.UsageError(
            f"model name {args.name!r}: use lower-case letters, digits, "
            "'_', '-' and '.' (at most 64)")
    target = models_dir / args.name
    if target.exists() and not args.force:
        raise common.UsageError(f"model {args.name!r} already exists in "
                                f"{models_dir}; --force replaces it")
    spec = description.read_spec(args.spec) if args.spec else {}
    fmt, files = source_format(args.source)
    with tempfile.TemporaryDirectory() as converted:
        hub = Path(converted) / "hub.onnx"
        conversion = None
        given = given_inputs(args, spec)
        if fmt == "openvino_ir":
            inspected = convert_source(fmt, files, given, hub)
        elif fmt in CONVERTER_VENVS:
            conversion = convert_source(fmt, files, given, hub)
            inspected = inspect_source(hub, "onnx", given)
        else:
            inspected = inspect_source(files["file"], fmt, given)
        metadata = build_model_json(args, spec, files["file"], fmt, inspected)
        if conversion:
            metadata["source"].update(conversion)
        for key in ("params", "weights"):
            if key in files:
                metadata["source"][key] = f"source/{files[key].name}"
        return write_import(args, spec, metadata, files,
                            hub if conversion else None)


def write_import(args, spec: dict, metadata: dict, files: Dict[str, Path],
                 hub: Optional[Path]) -> int:
    """Builds the model in a scratch folder of models/ and renames it to
    models/NAME when every step that must work did."""
    models_dir = args.models_dir.resolve()
    target = models_dir / args.name
    if (metadata["task"] == "image_classification"
            and "crop" in metadata.get("preprocessing", {})
            and not (models_dir / "_datasets" / "sample" / "manifest.txt"
                     ).exists()):
        raise common.UsageError(
            f"the sample photos are missing in {models_dir}/_datasets: run "
            "`dli models prepare --steps sample_photos` first")

    models_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".import-{args.name}-",
                                    dir=models_dir))
    try:
        if (models_dir / "_datasets").exists():
            (scratch / "_datasets").symlink_to(models_dir / "_datasets")
        context = common.Context(scratch, args.name)
        (context.model_dir / "source").mkdir(parents=True)
        for path in files.values():
            copy = context.model_dir / "source" / path.name
            if path.is_dir():
                shutil.copytree(path, copy)
            else:
                shutil.copyfile(path, copy)
        if hub is not None:
            common.hub_onnx(context).parent.mkdir(parents=True)
            shutil.copyfile(hub, common.hub_onnx(context))
        if "labels" in metadata:
            labels = read_labels(Path(spec.get("labels") or args.labels))
            (context.model_dir / common.LABELS_FILE).write_text(
                "\n".join(labels) + "\n")
        common.write_json_atomic(context.model_json, metadata)
        code = fan_out(context)
        if code != 0:
            return code
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".replaced-{args.name}-",
                                        dir=models_dir))
            os.replace(target, old / args.name)
            os.replace(context.model_dir, target)
            shutil.rmtree(old)
        else:
            os.replace(context.model_dir, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_matrix(json.loads((target / common.MODEL_JSON).read_text()))
    return 0


def fan_out(context: common.Context) -> int:
    """Runs every step that serves an imported model, recording each
    outcome in model.json's `conversions`; 1 when the source itself fails."""
    all_steps = prepare.discover_steps()
    steps = {name: step for name, step in all_steps.items()
             if step.serves(common.IMPORTED) and not step.optional}
    order = prepare.run_order(steps, list(steps), common.IMPORTED)
    source = common.read_model_json(context)["source"]
    from_ir = source["format"] == "openvino_ir"
    if from_ir:  # the IR is the only format: nothing converts from it
        skipped = [step for step in order if step.formats
                   and step.name not in (IR_STEP, "source_export")]
        order = [step for step in order
                 if step.name in ("source_inputs", IR_STEP)]
    failures = prepare.prepare_recorded(context, order, set())
    for name in prepare.HUB_CHAIN[common.IMPORTED]:
        if name in failures:
            print(f"import: the imported file cannot be run: {failures[name]}",
                  file=sys.stderr)
            return 1
    metadata = common.read_model_json(context)
    made = {entry["format"] for entry in metadata["formats"]}
    conversions = prepare.conversion_records(context, order, failures)
    for step in all_steps.values():
        if (step.formats and not step.optional and common.HUB in step.depends
                and not step.serves(common.IMPORTED)
                and not set(step.formats) & made):
            prepare.record(conversions, step, "unsupported",
                           f"no route from ONNX to {', '.join(step.formats)} "
                           "here (it needs the model's PyTorch code)")
    if from_ir:
        for step in skipped:
            prepare.record(conversions, step, "unsupported", NO_ROUTE_FROM_IR)
    metadata["conversions"] = conversions
    common.write_json_atomic(context.model_json, metadata)
    return 0


# ------------------------------------------------------------ list / show

def model_jsons(models_dir: Path):
    for path in sorted(models_dir.glob("*/" + common.MODEL_JSON)):
        if not path.parent.name.startswith(("_", ".")):
            try:
                yield json.loads(path.read_text())
            except json.JSONDecodeError:
                continue


def summary(metadata: dict) -> dict:
    rows = description.matrix(metadata)
    preprocessing = metadata.get("preprocessing")
    return {"name": metadata["name"], "task": metadata.get("task", ""),
            "origin": metadata.get("origin", common.ZOO),
            "weights": metadata.get("weights", ""),
            "preprocessing": (preprocessing or {}).get("preset", "undeclared")
            if preprocessing else "undeclared",
            "frameworks": sorted({framework for row in rows
                                  if row["status"] == "ok"
                                  for framework in row["frameworks"]}),
            "missing": sorted({framework for row in rows
                              if row["status"] != "ok"
                              for framework in row["frameworks"]})}


def list_models(args) -> int:
    models = [summary(metadata) for metadata in model_jsons(args.models_dir)]
    if args.json:
        print(json.dumps({"models_dir": str(args.models_dir),
                          "models": models}, indent=2))
        return 0
    if not models:
        print(f"no models in {args.models_dir} (`dli models prepare` or "
              "`dli models import`)")
        return 0
    print(f"{'model':20} {'task':21} {'preprocessing':13} frameworks")
    for model in models:
        print(f"{model['name']:20} {model['task']:21} "
              f"{model['preprocessing']:13} {','.join(model['frameworks'])}"
              + (f" (missing: {','.join(model['missing'])})"
                 if model["missing"] else ""))
    return 0


def parity_text(parity, sanity=None) -> str:
    if sanity:
        return (f"sanity: finite outputs {sanity['output_shape']} on "
                f"{sanity['inputs']} inputs (nothing to compare with)")
    if not parity:
        return "-"
    return (f"top-1 {parity['top1_equal']}/{parity['inputs']}, max diff "
            f"{parity['max_abs_diff']:g}"
            + (f" (worst of {len(parity['outputs'])} outputs)"
               if "outputs" in parity else ""))


def print_matrix(metadata: dict) -> None:
    info = summary(metadata)
    print(f"{metadata['name']}: {info['task']}, {info['origin']}, "
          f"preprocessing {info['preprocessing']}, weights: {info['weights']}")
    print(f"  {'format':26} {'framework':12} {'status':11} "
          f"{'converter':32} parity / reason")
    for row in description.matrix(metadata):
        for framework in row["frameworks"] or ["-"]:
            converter = " ".join(filter(None, [row["converter"],
                                               row["converter_version"]]))
            detail = (parity_text(row["parity"], row.get("sanity"))
                      if row["status"] == "ok"
                      else row["reason"])
            print(f"  {row['id']:26} {framework:12} {row['status']:11} "
                  f"{converter:32} {detail}")


def show_model(args) -> int:
    path = args.models_dir / args.name / common.MODEL_JSON
    if not path.is_file():
        raise common.UsageError(f"no model {args.name!r} in "
                                f"{args.models_dir} (see `dli models list`)")
    metadata = json.loads(path.read_text())
    if args.json:
        print(json.dumps(dict(summary(metadata),
                              matrix=description.matrix(metadata)), indent=2))
    else:
        print_matrix(metadata)
    return 0


def main(argv: List[str] = None) -> int:
    try:
        args = parser().parse_args(argv)
        return {"import": import_model, "list": list_models,
                "show": show_model}[args.command](args)
    except common.UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except common.StepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
