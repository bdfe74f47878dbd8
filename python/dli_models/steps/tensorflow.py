"""TensorFlow SavedModel and TFLite FP32, converted from the reference ONNX
file with onnx2tf (in .venv/tensorflow, scripts/setup.d/40-tensorflow.sh).

onnx2tf rewrites the graph to TensorFlow's NHWC layout, so both formats take
NHWC input. Each file is checked on the check set, with the NCHW batch
transposed to NHWC, against ONNX Runtime running the source ONNX file and
against the PyTorch logits: same top-1 and max |logit diff| <= 1e-3, else
the step fails. The TFLite file runs in LiteRT (ai-edge-litert), the
interpreter that backends/tflite uses.
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
from typing import List, Tuple

from dli_models import common

MAX_ABS_DIFF = 1e-3
SAVED_MODEL_ID = "tensorflow-savedmodel-fp32"
TFLITE_ID = "tflite-fp32"
SAVED_MODEL_DIR = "tensorflow/fp32/saved_model"


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
    inputs=("{model_dir}/onnx/{model}.onnx",) + common.CHECK_OUTPUTS,
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
    import onnx2tf
    saved_model_dir.parent.mkdir(parents=True, exist_ok=True)
    tflite_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=saved_model_dir.parent) as scratch:
        output = Path(scratch) / "saved_model"
        # onnx2tf rewrites the ONNX file it is given (seen with 1.29: the
        # reference file changed on disk, so every later prepare found the
        # reference step's output changed and converted everything again):
        # it gets a copy.
        source = Path(scratch) / onnx_path.name
        shutil.copyfile(onnx_path, source)
        # The reference ONNX is already constant-folded by torch's exporter,
        # so onnx2tf's optional onnxsim pass (another compiled dependency)
        # is skipped.
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):
                onnx2tf.convert(input_onnx_file_path=str(source),
                                output_folder_path=str(output),
                                copy_onnx_input_output_names_to_tflite=True,
                                not_use_onnxsim=True, non_verbose=True)
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


def folder_sha256(folder: Path) -> str:
    """sha256 over the sorted lines "<relative path> <file sha256>"."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        line = f"{path.relative_to(folder).as_posix()} {common.sha256_file(path)}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def run_saved_model(saved_model_dir: Path, nhwc_batch):
    import tensorflow
    model = tensorflow.saved_model.load(str(saved_model_dir))
    signature = model.signatures["serving_default"]
    (input_name,) = signature.structured_input_signature[1].keys()
    (output,) = signature(**{input_name: tensorflow.constant(nhwc_batch)}).values()
    return output.numpy()


def run_tflite(tflite_path: Path, nhwc_batch):
    """Logits of a .tflite file on a float batch; a full-integer file's
    input is quantized and its output dequantized as the DLI plugin does."""
    from ai_edge_litert.interpreter import Interpreter

    from dli_backends import tflite as tflite_backend
    interpreter = Interpreter(model_path=str(tflite_path))
    (details,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(details["index"], nhwc_batch.shape)
    interpreter.allocate_tensors()
    values = (tflite_backend.quantize(nhwc_batch, details)
              if tflite_backend.is_quantized(details) else nhwc_batch)
    interpreter.set_tensor(details["index"], values)
    interpreter.invoke()
    (output,) = interpreter.get_output_details()
    return tflite_backend.dequantize(interpreter.get_tensor(output["index"]),
                                     output)


def run_onnx(onnx_path: Path, input_name: str, nchw_batch):
    import onnxruntime
    session = onnxruntime.InferenceSession(
        str(onnx_path), providers=["CPUExecutionProvider"])
    return session.run(None, {input_name: nchw_batch})[0]


def check(what: str, logits, onnx_logits, reference, names: List[str]) -> dict:
    """Fails the step unless `logits` match ONNX Runtime on the source ONNX
    and the PyTorch logits (same top-1, max |diff| <= MAX_ABS_DIFF)."""
    import numpy
    diff = float(numpy.abs(logits - onnx_logits).max())
    same_top1 = bool((logits.argmax(1) == onnx_logits.argmax(1)).all())
    print(f"{what} vs ONNX Runtime on the source ONNX: max |logit diff| = "
          f"{diff:.3g} (limit {MAX_ABS_DIFF:g}), top-1 "
          f"{'equal' if same_top1 else 'DIFFERENT'}")
    if not same_top1 or diff > MAX_ABS_DIFF:
        raise common.StepError(f"{what} disagrees with the source ONNX "
                               f"(max |logit diff| {diff:.3g}, top-1 "
                               f"{'equal' if same_top1 else 'different'})")
    return common.compare_with_reference(what, logits, reference, names,
                                         max_abs_diff=MAX_ABS_DIFF)


def versions() -> Tuple[str, str]:
    from importlib import metadata
    return metadata.version("onnx2tf"), metadata.version("tensorflow-cpu")


def run(context: common.Context) -> None:
    import numpy
    names, inputs, reference = common.load_check_set(context)
    metadata = common.read_model_json(context)
    onnx_path = common.hub_onnx(context)
    saved_model_dir = context.model_dir / SAVED_MODEL_DIR
    tflite_path = context.model_dir / tflite_file(context.model)

    onnx2tf_version, tensorflow_version = versions()
    print(f"onnx2tf {onnx2tf_version} with TensorFlow {tensorflow_version}: "
          f"{onnx_path.name} -> SavedModel and TFLite FP32")
    convert_onnx(onnx_path, saved_model_dir, tflite_path)

    nhwc = numpy.ascontiguousarray(inputs.transpose(0, 2, 3, 1))
    onnx_logits = run_onnx(onnx_path, metadata["input"]["name"], inputs)
    saved_model_parity = check(f"TensorFlow {tensorflow_version} SavedModel",
          run_saved_model(saved_model_dir, nhwc), onnx_logits, reference, names)
    tflite_parity = check("TFLite FP32 in LiteRT", run_tflite(tflite_path, nhwc),
                          onnx_logits, reference, names)

    converter = dict(converter="onnx2tf", converter_version=onnx2tf_version,
                     tensorflow_version=tensorflow_version, layout="NHWC",
                     precision="FP32")
    saved_model = {"id": SAVED_MODEL_ID, "format": "tensorflow_savedmodel",
                   "path": SAVED_MODEL_DIR,
                   "frameworks": ["tensorflow"], **converter,
                   "sha256": folder_sha256(saved_model_dir),
                   "sha256_of": "folder: sorted '<relative path> <sha256>' lines",
                   "parity": saved_model_parity}
    tflite = common.format_entry(
        context, id=TFLITE_ID, format="tflite", path=tflite_file(context.model),
        frameworks=["tflite"], parity=tflite_parity, **converter)
    common.register_formats(context, STEP.name, [saved_model, tflite])


if __name__ == "__main__":
    common.step_main(STEP, run)
