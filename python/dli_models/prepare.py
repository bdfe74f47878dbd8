#!/usr/bin/python3
"""Prepares a model in every framework's format by running the steps in
dli_models/steps/, each as a subprocess under the interpreter it declares.

    /usr/bin/python3 python/dli_models/prepare.py [--models-dir DIR]
        [--model mobilenet_v2] [--steps a,b] [--force] [--list]

Optional steps (the optimisations that `dli optimize` runs) run only when
--steps names them. In a plain prepare of a zoo model (no --steps) a
converter that fails is a result, not an abort: its one-line reason goes to
model.json's `conversions` and the other steps still run; only a failure of
the steps that make the model's hub stops it (exit status 1).

A step is skipped when its outputs exist unchanged, its inputs hash as they
did when it last ran, its code is the same and its model.json entries are
still there; --force reruns the selected steps. Only the standard library
is used here: the steps bring their own frameworks.
"""

import argparse
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

if __package__ in (None, ""):  # run as a script: make dli_models importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dli_models import common  # noqa: E402  (needs the path set above)
from dli_models import steps as steps_package  # noqa: E402

STATE_DIR = ".prepare"
# The steps that make a model's hub and check set, by origin: when one fails
# there is nothing to convert.
HUB_CHAIN = {common.ZOO: ("sample_photos", "reference"),
             common.IMPORTED: ("source_inputs", "source_export", "source",
                               "source_ir")}
# Framework log lines (absl's "I0000 00:00:... file.cc:12] text" at INFO or
# WARNING severity, and absl's note that precedes them): TensorFlow and
# LiteRT print them on every import, before any setting can silence them.
# They go to the step's log file, not to the terminal.
FRAMEWORK_LOG_LINE = re.compile(
    r"^([IW]\d{4} \d+:\d+:\d+\.\d+ +\d+ [\w.-]+:\d+\] |"
    r"WARNING: All log messages before absl::InitializeLog\(\) is called)")


def discover_steps() -> Dict[str, common.Step]:
    """Every module in dli_models/steps/ with its STEP declaration."""
    found = {}
    for module_info in pkgutil.iter_modules(steps_package.__path__):
        module = importlib.import_module(
            f"{steps_package.__name__}.{module_info.name}")
        step = getattr(module, "STEP", None)
        if not isinstance(step, common.Step) or step.name != module_info.name:
            raise common.StepError(
                f"{module.__file__} must define STEP = common.Step("
                f"name={module_info.name!r}, ...)")
        found[step.name] = step
    for step in found.values():
        for dependency in step.depends:
            if dependency not in found and dependency != common.HUB:
                raise common.StepError(f"step {step.name!r} depends on "
                                       f"unknown step {dependency!r}")
    return found


def run_order(steps: Dict[str, common.Step], selected: List[str],
              origin: str = common.ZOO) -> List[common.Step]:
    """The selected steps and everything they depend on, dependencies first,
    otherwise in name order. A dependency on common.HUB is the step that
    makes the ONNX file of a model of this origin."""
    order, done, visiting = [], set(), set()

    def visit(name: str) -> None:
        name = common.HUB_STEPS[origin] if name == common.HUB else name
        if name in done:
            return
        if name in visiting:
            raise common.StepError(f"steps depend on each other in a cycle "
                                   f"through {name!r}")
        visiting.add(name)
        for dependency in sorted(steps[name].depends):
            visit(dependency)
        visiting.discard(name)
        done.add(name)
        order.append(steps[name])

    for name in sorted(selected):
        visit(name)
    return order


# ------------------------------------------------------------------ state

def _state_path(context: common.Context, step: common.Step) -> Path:
    return context.model_dir / STATE_DIR / f"{step.name}.json"


def _log_path(context: common.Context, step: common.Step) -> Path:
    return context.model_dir / STATE_DIR / f"{step.name}.log"


def _code_sha256(step: common.Step) -> str:
    module = sys.modules[f"{steps_package.__name__}.{step.name}"]
    return common.sha256_file(Path(module.__file__))


def _hashes(context: common.Context,
            paths: List[Path]) -> Dict[str, Optional[str]]:
    """sha256 by path (None when missing). Paths inside the models folder are
    kept relative, so a moved or copied folder stays up to date."""
    def key(path: Path) -> str:
        try:
            return str(path.relative_to(context.models_dir))
        except ValueError:
            return str(path)
    return {key(path): common.sha256_file(path) if path.is_file() else None
            for path in paths}


def _format_ids(context: common.Context, step: common.Step) -> List[str]:
    if not context.model_json.exists():
        return []
    formats = json.loads(context.model_json.read_text()).get("formats", [])
    return sorted(entry["id"] for entry in formats
                  if entry.get("step") == step.name)


def stale_reason(context: common.Context,
                 step: common.Step) -> Optional[str]:
    """Why the step must run, or None when it is up to date."""
    try:
        state = json.loads(_state_path(context, step).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return "never ran"
    if state.get("code_sha256") != _code_sha256(step):
        return "its code changed"
    try:
        inputs = _hashes(context, step.input_paths(context))
        outputs = _hashes(context, step.output_paths(context))
        format_ids = _format_ids(context, step)
    except (common.StepError, OSError, ValueError, KeyError) as error:
        return f"cannot check its files ({error})"
    if inputs != state.get("inputs"):
        return "its inputs changed"
    if None in outputs.values() or outputs != state.get("outputs"):
        return "its outputs are missing or changed"
    if format_ids != state.get("format_ids"):
        return "its model.json entries are missing"
    return None


def record_state(context: common.Context, step: common.Step) -> None:
    common.write_json_atomic(_state_path(context, step), {
        "code_sha256": _code_sha256(step),
        "inputs": _hashes(context, step.input_paths(context)),
        "outputs": _hashes(context, step.output_paths(context)),
        "format_ids": _format_ids(context, step),
    })


# -------------------------------------------------------------- running

def run_step(context: common.Context,
             step: common.Step) -> Tuple[bool, str, bool]:
    """Runs one step, streaming its output indented below the progress line;
    returns (ok, the last line it printed, whether it printed anything)."""
    python = common.interpreter_path(step.interpreter)
    if not python.exists():
        where = ("the system Python" if step.interpreter ==
                 common.SYSTEM_INTERPRETER else "the virtual environment "
                 f"{common.venv_root() / step.interpreter}")
        return False, (f"it needs {where}, but {python} is missing: run "
                       "scripts/setup.sh"), False
    environment = dict(os.environ, PYTHONUNBUFFERED="1",
                       DLI_VENV_ROOT=str(common.venv_root()))
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(common.PYTHON_ROOT), os.environ.get("PYTHONPATH")]))
    command = [str(python), "-m", f"{steps_package.__name__}.{step.name}",
               "--models-dir", str(context.models_dir),
               "--model", context.model]
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env=environment, cwd=common.REPO_ROOT)
    last_line, printed, hidden = "", False, 0
    log_path = _log_path(context, step)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        for line in process.stdout:
            log.write(line)
            if FRAMEWORK_LOG_LINE.match(line):
                hidden += 1
                continue
            if not printed:
                print()  # the step's output goes below the progress line
                printed = True
            print("    " + line.rstrip(), flush=True)
            last_line = line.strip() or last_line
    ok = process.wait() == 0
    if hidden:
        print(f"    ({hidden} framework log line(s) in {log_path})", flush=True)
        printed = True
    # step_main prefixes a StepError's message with "error: ".
    message = last_line.removeprefix("error: ")
    return ok, message or f"exit status {process.returncode}", printed


def prepare(context: common.Context, steps: List[common.Step],
            force_names: set,
            on_failure: Optional[Callable[[common.Step, str], None]] = None
            ) -> int:
    """Runs the steps in order. Without on_failure the first failure stops
    it (exit status 1); with it, a failure is reported to on_failure and the
    steps that do not depend on the failed one still run."""
    failed = set()
    for number, step in enumerate(steps, 1):
        progress = f"[{number}/{len(steps)}] {step.name} ..."
        hub = common.HUB_STEPS[common.model_origin(context)]
        blocked = [name for name in step.depends
                   if (hub if name == common.HUB else name) in failed]
        if blocked:
            failed.add(step.name)
            print(f"{progress} not run (a step it needs failed)", flush=True)
            on_failure(step, "not run: the step making its input failed")
            continue
        reason = "forced" if step.name in force_names else stale_reason(
            context, step)
        if reason is None:
            print(f"{progress} skipped (up to date)", flush=True)
            continue
        print(progress, end="", flush=True)
        started = time.monotonic()
        ok, last_line, printed = run_step(context, step)
        elapsed = time.monotonic() - started
        if printed:  # repeat the progress line after the step's output
            print(progress, end="")
        if not ok:
            print(f" failed after {elapsed:.1f} s", flush=True)
            if on_failure is not None:
                failed.add(step.name)
                on_failure(step, last_line)
                continue
            print(f"prepare: step {step.name} failed: {last_line}",
                  file=sys.stderr)
            return 1
        record_state(context, step)
        print(f" done in {elapsed:.1f} s ({reason})", flush=True)
    return 0


def record(conversions: list, step: common.Step, status: str,
           reason: str = "", formats=None, frameworks=None) -> None:
    """Adds a `conversions` entry of model.json (docs/MODELS.md)."""
    conversions.append({"step": step.name,
                        "formats": list(step.formats if formats is None
                                        else formats),
                        "frameworks": list(step.frameworks if frameworks is None
                                           else frameworks),
                        "converter": step.converter, "status": status,
                        "reason": reason})


def conversion_records(context: common.Context, order: List[common.Step],
                       failures: Dict[str, str]) -> List[dict]:
    """A `conversions` entry for each step that made formats (ok) or failed;
    a failed step that made some of its formats (the SavedModel but not the
    TFLite file) lists the others."""
    formats = common.read_model_json(context).get("formats", [])
    conversions = []
    for step in order:
        mine = [entry for entry in formats if entry.get("step") == step.name]
        if step.name in failures:
            record(conversions, step, "failed", failures[step.name],
                   formats=[fmt for fmt in step.formats
                            if fmt not in {entry["format"] for entry in mine}],
                   frameworks=[framework for framework in step.frameworks
                               if not any(framework in entry["frameworks"]
                                          for entry in mine)])
        elif set(step.formats) & {entry["format"] for entry in formats}:
            record(conversions, step, "ok")
    return conversions


def prepare_recorded(context: common.Context, steps: List[common.Step],
                     force_names: set) -> Dict[str, str]:
    """Runs the steps, a failure reported and the others still run; returns
    {step: its one-line reason} of the failed ones."""
    failures = {}
    prepare(context, steps, force_names,
            on_failure=lambda step, reason: failures.update(
                {step.name: reason}))
    return failures


def prepare_zoo(context: common.Context, steps: List[common.Step],
                force_names: set) -> int:
    """A plain prepare of a zoo model: failures recorded in model.json."""
    failures = prepare_recorded(context, steps, force_names)
    for name in HUB_CHAIN[common.ZOO]:
        if name in failures:
            print(f"prepare: step {name} failed: {failures[name]}",
                  file=sys.stderr)
            return 1
    metadata = common.read_model_json(context)
    conversions = conversion_records(context, steps, failures)
    if metadata.get("conversions") != conversions:
        metadata["conversions"] = conversions
        common.write_json_atomic(context.model_json, metadata)
    for name, reason in failures.items():
        print(f"prepare: step {name} failed (recorded in model.json): "
              f"{reason}", file=sys.stderr)
    return 0


def list_steps(context: common.Context, steps: List[common.Step]) -> None:
    for step in steps:
        python = common.interpreter_path(step.interpreter)
        status = ("interpreter missing: run scripts/setup.sh"
                  if not python.exists()
                  else stale_reason(context, step) or "up to date")
        depends = ",".join(step.depends) or "-"
        optional = " (optional: runs only when named)" if step.optional else ""
        print(f"{step.name:16} {step.interpreter:10} depends: {depends:16} "
              f"{status}\n{'':16} {step.description}{optional}")


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path,
                        default=common.DEFAULT_MODELS_DIR,
                        help="where models are written (default: %(default)s)")
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--steps", help="comma-separated steps to run (with "
                        "the steps they depend on); default: all but the "
                        "optional ones (the optimisations of dli optimize)")
    parser.add_argument("--force", action="store_true",
                        help="rerun the selected steps even when up to date")
    parser.add_argument("--list", action="store_true",
                        help="list the steps and whether each is up to date")
    args = parser.parse_args(argv)
    try:
        context = common.Context(args.models_dir.resolve(), args.model)
        origin = common.model_origin(context)
        steps = {name: step for name, step in discover_steps().items()
                 if step.serves(origin)}
        selected = (args.steps.split(",") if args.steps else
                    [name for name, step in steps.items()
                     if not step.optional or args.list])
        unknown = [name for name in selected if name not in steps]
        if unknown:
            print(f"prepare: unknown step {', '.join(unknown)}; known steps: "
                  f"{', '.join(sorted(steps))}", file=sys.stderr)
            return 2
        order = run_order(steps, selected, origin)
        if args.list:
            list_steps(context, order)
            return 0
        force_names = set(selected) if args.force else set()
        if not args.steps and origin == common.ZOO:
            return prepare_zoo(context, order, force_names)
        return prepare(context, order, force_names)
    except common.StepError as error:
        print(f"prepare: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nprepare: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
