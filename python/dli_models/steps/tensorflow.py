"""TensorFlow SavedModel and TFLite FP32, converted from the reference ONNX
file with onnx2tf (in .venv/tensorflow, scripts/setup.d/40-tensorflow.sh).

onnx2tf rewrites the graph to TensorFlow's NHWC layout, so an image
model's formats take NHWC input; it may also rename tensors. The step finds
each model input and output in each file by name (as onnx2tf rewrites
names) or by being the only tensor of a fitting shape, with the permutation
of its axes (unchanged or channels last), and records that as the entry's
`io`. Each file is checked on the check set, every input permuted as the
file takes it and every output permuted back, against ONNX Runtime running
the source ONNX file and against the reference outputs: same top-1 and max
|diff| <= 1e-3 for every output, else the step fails. The TFLite file runs
in LiteRT (ai-edge-litert), the interpreter that backends/tflite uses.
"""

import contextlib
import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from dli_models import common, onnx_rewrite

MAX_ABS_DIFF = 1e-3
SAVED_MODEL_ID = "tensorflow-savedmodel-fp32"
TFLITE_ID = "tflite-fp32"
SAVED_MODEL_DIR = "tensorflow/fp32/saved_model"
# TFLite has no builtin Erf (GELU's, in BERT and ViT; LiteRT without the
# Flex delegate cannot run it): onnx2tf writes its polynomial form instead
# (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7).
PSEUDO_OPERATORS = ["erf"]


def tflite_file(model: str) -> str:
    return f"tflite/fp32/{model}.tflite"


STEP = common.Step(
    name="tensorflow",
    interpreter="tensorflow",
    description="convert the ONNX file to a TensorFlow SavedModel and TFLite "
                "FP32 (NHWC) with onnx2tf",
    depends=(common.HUB,),
    formats=("tensorflow_savedmodel", "tflite"),
    frameworks=("tensorflow", "tflite"), converter="onnx2tf",
    inputs=common.with_check_set("{model_dir}/onnx/{model}.onnx"),
    outputs=(f"{{model_dir}}/{SAVED_MODEL_DIR}/saved_model.pb",
             f"{{model_dir}}/{SAVED_MODEL_DIR}/variables/variables.index",
             f"{{model_dir}}/{tflite_file('{model}')}"),
)


def convert_onnx(onnx_path: Path, saved_model_dir: Path,
                 tflite_path: Path) -> None:
    """Converts `onnx_path` with onnx2tf into a SavedModel folder and an FP32
    .tflite file. Both are built in a scratch folder beside their
    destination and moved in place at the end, so an interrupted run leaves
    nothing that looks complete."""
    import onnx
    saved_model_dir.parent.mkdir(parents=True, exist_ok=True)
    tflite_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=saved_model_dir.parent) as scratch:
        output = Path(scratch) / "saved_model"
        # onnx2tf rewrites the ONNX file it is given (seen with 1.29: the
        # reference file changed on disk, so every later prepare found the
        # reference step's output changed and converted everything again):
        # it gets a copy.
        source = Path(scratch) / onnx_path.name
        onnx.save(onnx_rewrite.fixed_sizes(onnx.load(str(onnx_path))),
                  str(source))
        run_onnx2tf(source, output)
        float32 = output / f"{onnx_path.stem}_float32.tflite"
        if not float32.exists():
            raise common.StepError(f"onnx2tf wrote no {float32.name}")
        os.replace(float32, tflite_path)
        # onnx2tf also writes an FP16-weights .tflite; FP16 and INT8 models
        # belong to the quantization step, so it is not kept.
        for extra in output.glob("*.tflite"):
            extra.unlink()
        if saved_model_dir.exists():
            shutil.rmtree(saved_model_dir)
        os.replace(output, saved_model_dir)


def run_onnx2tf(source: Path, output: Path) -> None:
    import onnx2tf
    # onnxsim, onnx2tf's optional simplifier (another compiled dependency),
    # is skipped: the exporter folded the constants, fixed_sizes the sizes.
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            onnx2tf.convert(input_onnx_file_path=str(source),
                            output_folder_path=str(output),
                            copy_onnx_input_output_names_to_tflite=True,
                            not_use_onnxsim=True, non_verbose=True,
                            replace_to_pseudo_operators=PSEUDO_OPERATORS)
    except (Exception, SystemExit) as error:
        # onnx2tf logs the failing node and raises whatever the TensorFlow
        # op raised: one line of both is the step's failure reason.
        sys.stdout.write(log.getvalue())
        node = re.search(r"onnx_op_name: (\S+)", log.getvalue())
        message = (str(error).strip().splitlines() or [""])[0]
        raise common.StepError(
            f"onnx2tf {versions()[0]} cannot convert"
            + (f" node {node.group(1)}" if node else "")
            + f": {type(error).__name__}: {message}") from None
    sys.stdout.write(log.getvalue())


def folder_sha256(folder: Path) -> str:
    """sha256 over the sorted lines "<relative path> <file sha256>"."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        line = f"{path.relative_to(folder).as_posix()} {common.sha256_file(path)}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def saved_model_signature(saved_model_dir: Path):
    """(the serving signature, its inputs, its outputs): {name: (shape,
    dtype name)} with None for a dimension of any size."""
    import tensorflow
    signature = tensorflow.saved_model.load(str(saved_model_dir)).signatures[
        "serving_default"]
    inputs = {name: (spec.shape.as_list(), spec.dtype.name) for name, spec
              in signature.structured_input_signature[1].items()}
    outputs = {name: (spec.shape.as_list(), spec.dtype.name)
               for name, spec in signature.structured_outputs.items()}
    return signature, inputs, outputs


def run_saved_model(signature, feeds: Dict[str, "numpy.ndarray"]) -> dict:
    """The serving signature's outputs by name for inputs by name."""
    import tensorflow
    results = signature(**{name: tensorflow.constant(batch)
                           for name, batch in feeds.items()})
    return {name: value.numpy() for name, value in results.items()}


def tflite_io(tflite_path: Path):
    """The .tflite file's inputs and outputs in its order: {name: (shape,
    dtype name)}, -1 for a dimension of any size."""
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=str(tflite_path))

    def described(details):
        return {entry["name"]: ([int(dim) for dim in entry["shape_signature"]],
                                entry["dtype"].__name__) for entry in details}
    return (described(interpreter.get_input_details()),
            described(interpreter.get_output_details()))


def run_tflite(tflite_path: Path, batches: list) -> list:
    """The outputs of a .tflite file (in its output order) for batches in
    its input order; a full-integer file's inputs are quantized and its
    outputs dequantized as the DLI plugin does."""
    from ai_edge_litert.interpreter import Interpreter

    from dli_backends import tflite as tflite_backend
    interpreter = Interpreter(model_path=str(tflite_path))
    inputs = interpreter.get_input_details()
    for details, batch in zip(inputs, batches):
        interpreter.resize_tensor_input(details["index"], batch.shape)
    interpreter.allocate_tensors()
    for details, batch in zip(inputs, batches):
        interpreter.set_tensor(details["index"], (
            tflite_backend.quantize(batch, details)
            if tflite_backend.is_quantized(details)
            else batch.astype(details["dtype"])))
    interpreter.invoke()
    return [tflite_backend.dequantize(interpreter.get_tensor(output["index"]),
                                      output)
            for output in interpreter.get_output_details()]


def _normalized(name: str) -> str:
    """A tensor name as onnx2tf and TensorFlow may rewrite it: no signature
    prefix or port suffix (`:0`, which onnx2tf writes `__0`), lower case,
    runs of other characters as '_'."""
    previous = None
    while name != previous:  # onnx2tf's TFLite names carry both twice
        previous = name
        name = re.sub(r"(:|__)\d+$", "", name).removeprefix("serving_default_")
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _permutation(shape: List[int], produced: List[int]) -> Optional[List[int]]:
    """How a tensor of the model's `shape` appears in the converted file:
    unchanged, or channels last (onnx2tf's NCHW -> NHWC for rank >= 3);
    None when neither fits. Sizes of -1 or None fit any size."""
    def fits(order):
        return len(produced) == len(shape) and all(
            size in (None, -1) or want in (None, -1) or size == want
            for size, want in zip(produced, [shape[axis] for axis in order]))
    identity = list(range(len(shape)))
    channels_last = [0] + list(range(2, len(shape))) + [1]
    for order in (identity, channels_last) if len(shape) >= 3 else (identity,):
        if fits(order):
            return order
    return None


def match_tensors(what: str, wanted: List[Tuple[str, List[int]]],
                  produced: Dict[str, tuple]) -> List[dict]:
    """For each of the model's tensors (name, shape), the converted file's
    tensor: matched by name (as it is, with onnx2tf's `__` for `:`, or as
    onnx2tf may rewrite it otherwise), else by being the
    only one of a fitting shape; and the permutation of its axes."""
    matches, taken = [], set()
    for name, shape in wanted:
        candidates = [found for found in produced
                      if found in (name, name.replace(":", "__"))] or [
            found for found in produced
            if _normalized(found) == _normalized(name)]
        if not candidates:
            candidates = [found for found in produced if found not in taken
                          and _permutation(shape, produced[found][0])
                          is not None]
        if len(candidates) != 1 or candidates[0] in taken:
            raise common.StepError(
                f"{what}: cannot tell which of its tensors "
                f"{', '.join(produced)} is the model's {name}")
        found = candidates[0]
        order = _permutation(shape, produced[found][0])
        if order is None:
            raise common.StepError(
                f"{what}: its {found} has shape {produced[found][0]}, the "
                f"model's {name} {shape}")
        taken.add(found)
        matches.append({"name": name, "name_in_file": found,
                        "shape": [-1 if dim is None else dim
                                  for dim in produced[found][0]],
                        "dtype": produced[found][1], "axes": order})
    return matches


def _to_file(batch, match: dict):
    import numpy
    return numpy.ascontiguousarray(batch.transpose(match["axes"]))


def _from_file(values, match: dict):
    import numpy
    return values.transpose(numpy.argsort(match["axes"]))


def check(what: str, outputs, onnx_outputs, reference, names: List[str],
          output_names: List[str]) -> dict:
    """Fails the step unless every output matches ONNX Runtime on the source
    ONNX and the reference (same top-1, max |diff| <= MAX_ABS_DIFF)."""
    common.compare_outputs(what, outputs, onnx_outputs, names, output_names,
                           max_abs_diff=MAX_ABS_DIFF,
                           against="ONNX Runtime on the source ONNX")
    return common.compare_outputs(what, outputs, reference, names,
                                  output_names, max_abs_diff=MAX_ABS_DIFF)


def versions() -> Tuple[str, str]:
    from importlib import metadata
    return metadata.version("onnx2tf"), metadata.version("tensorflow-cpu")


def run(context: common.Context) -> None:
    from dli_models.steps import source
    names, inputs, reference = common.load_check_tensors(context)
    metadata = common.read_model_json(context)
    onnx_path = common.hub_onnx(context)
    saved_model_dir = context.model_dir / SAVED_MODEL_DIR
    tflite_path = context.model_dir / tflite_file(context.model)
    input_shapes = [(entry["name"], list(batch.shape)) for entry, batch in
                    zip(common.model_inputs(metadata), inputs)]
    output_names = [entry["name"] for entry in common.model_outputs(metadata)]

    onnx2tf_version, tensorflow_version = versions()
    print(f"onnx2tf {onnx2tf_version} with TensorFlow {tensorflow_version}: "
          f"{onnx_path.name} -> SavedModel and TFLite FP32")
    convert_onnx(onnx_path, saved_model_dir, tflite_path)
    onnx_outputs = source.run_onnx(onnx_path, metadata, inputs)
    output_shapes = [(name, list(output.shape))
                     for name, output in zip(output_names, onnx_outputs)]

    what = f"TensorFlow {tensorflow_version} SavedModel"
    signature, file_inputs, file_outputs = saved_model_signature(
        saved_model_dir)
    saved_in = match_tensors(what, input_shapes, file_inputs)
    saved_out = match_tensors(what, output_shapes, file_outputs)
    results = run_saved_model(signature, {
        match["name_in_file"]: _to_file(batch, match).astype(match["dtype"])
        for match, batch in zip(saved_in, inputs)})
    saved_model_parity = check(what, [
        _from_file(results[match["name_in_file"]], match)
        for match in saved_out], onnx_outputs, reference, names, output_names)

    # onnx2tf moves channels last; an image model's file takes NHWC.
    layout = ("NHWC" if any(match["axes"] != sorted(match["axes"])
                            for match in saved_in)
              else common.model_inputs(metadata)[0].get("layout") or "ANY")
    converter = dict(converter="onnx2tf", converter_version=onnx2tf_version,
                     tensorflow_version=tensorflow_version, layout=layout,
                     precision="FP32",
                     onnx2tf_pseudo_operators=PSEUDO_OPERATORS)
    saved_model = {"id": SAVED_MODEL_ID, "format": "tensorflow_savedmodel",
                   "path": SAVED_MODEL_DIR,
                   "frameworks": ["tensorflow"], **converter,
                   "sha256": folder_sha256(saved_model_dir),
                   "sha256_of": "folder: sorted '<relative path> <sha256>' lines",
                   "io": {"inputs": saved_in, "outputs": saved_out},
                   "parity": saved_model_parity}
    # The SavedModel stands on its own when the TFLite file fails (the step
    # then fails with the TFLite reason, and `conversions` lists tflite).
    common.register_formats(context, STEP.name, [saved_model])

    what = "TFLite FP32 in LiteRT"
    file_inputs, file_outputs = tflite_io(tflite_path)
    tflite_in = match_tensors(what, input_shapes, file_inputs)
    tflite_out = match_tensors(what, output_shapes, file_outputs)
    batches = {match["name_in_file"]: _to_file(batch, match)
               for match, batch in zip(tflite_in, inputs)}
    try:
        results = dict(zip(file_outputs, run_tflite(
            tflite_path, [batches[name] for name in file_inputs])))
    except Exception as error:  # LiteRT raises RuntimeError and others
        raise common.StepError(f"{what} cannot run the file: " + (
            str(error).strip().splitlines() or [type(error).__name__])[0]
        ) from None
    tflite_parity = check(what, [
        _from_file(results[match["name_in_file"]], match)
        for match in tflite_out], onnx_outputs, reference, names, output_names)
    tflite = common.format_entry(
        context, id=TFLITE_ID, format="tflite", path=tflite_file(context.model),
        frameworks=["tflite"], io={"inputs": tflite_in, "outputs": tflite_out},
        parity=tflite_parity, **converter)
    common.register_formats(context, STEP.name, [saved_model, tflite])


if __name__ == "__main__":
    common.step_main(STEP, run)
