"""What the optimisation steps (FP16 / INT8 / UINT8 models, run by
`dli optimize`, docs/OPTIMIZE.md) share: the calibration set and the check
of an optimised file.

The calibration set is written by the C++ `dli optimize` (the accuracy
checker's own decoding and preprocessing, so the quantizers see exactly the
tensors that inference gets) into <model_dir>/calibration/:
calibration.npy, float32 [N, C, H, W], and calibration.json, which says
where the images came from. The steps only read it; preprocessing is never
re-implemented in Python. Both files are inputs of the steps, so a changed
calibration set reruns them.
"""

import json
from typing import Tuple

from dli_models import common

CALIBRATION_DIR = "calibration"
CALIBRATION_INPUTS = ("{model_dir}/calibration/calibration.npy",
                      "{model_dir}/calibration/calibration.json")
CALIBRATION_SCHEMA = "dli.calibration/1"
# prepare.py reruns a step when its own module changes; the optimisation
# steps also list the shared code they run as inputs, so that editing it
# reruns them too.
CODE_INPUTS = ("{repo}/python/dli_models/optimization.py",)



def load_calibration(context: common.Context) -> Tuple["numpy.ndarray", dict]:
    """Returns (the calibration batch, NCHW float32; the `calibration`
    record of model.json: dataset, samples, sha256 of the .npy)."""
    import numpy
    folder = context.model_dir / CALIBRATION_DIR
    array_path, info_path = folder / "calibration.npy", folder / "calibration.json"
    if not array_path.exists() or not info_path.exists():
        raise common.StepError(
            f"no calibration set in {folder}: `dli optimize --model "
            f"{context.model} --to int8 --framework NAME [--calibration DIR]` "
            "writes it before it runs this step")
    try:
        info = json.loads(info_path.read_text())
        batch = numpy.load(array_path)
    except (ValueError, OSError) as error:
        raise common.StepError(f"unreadable calibration set in {folder} "
                               f"({error}): rerun dli optimize") from None
    if info.get("schema") != CALIBRATION_SCHEMA or info.get("layout") != "NCHW":
        raise common.StepError(f"{info_path} is not a {CALIBRATION_SCHEMA} "
                               "NCHW description: rerun dli optimize")
    expected = list(common.model_inputs(common.read_model_json(context))[0][
        "shape"][1:])
    if (batch.dtype != numpy.float32 or batch.ndim != 4
            or list(batch.shape[1:]) != expected):
        raise common.StepError(
            f"calibration set {array_path} holds {batch.dtype} "
            f"{list(batch.shape)}, but {context.model} takes float32 "
            f"[N, {', '.join(map(str, expected))}]: it was made for another "
            "model; rerun dli optimize")
    if len(batch) != info.get("samples") or len(batch) == 0:
        raise common.StepError(
            f"{array_path} holds {len(batch)} images but {info_path} says "
            f"{info.get('samples')}: rerun dli optimize")
    if not numpy.isfinite(batch).all():
        raise common.StepError(f"{array_path} holds NaN or infinite values")
    record = {"dataset": info.get("dataset"), "samples": len(batch),
              "sha256": common.sha256_file(array_path),
              "preprocessing": info.get("preprocessing")}
    print(f"calibration: {len(batch)} images from {record['dataset']}")
    return batch, record


def check_optimized(what: str, logits, reference, names) -> None:
    """Prints how an optimised model agrees with PyTorch on the check set and
    which photos changed their top-1. It fails only when the file does not
    work (wrong output shape, non-finite values): how much a model may lose
    is `dli optimize`'s verdict, made on the accuracy set against the FP32
    model of the same framework, and a lossy model must stay registered for
    that verdict (and for a rerun with better calibration) to see it."""
    import numpy
    if not numpy.isfinite(numpy.asarray(logits, dtype=numpy.float64)).all():
        raise common.StepError(f"{what} outputs NaN or infinite values")
    common.compare_with_reference(what, logits, reference, names,
                                  min_top1_agreement=0.0)
