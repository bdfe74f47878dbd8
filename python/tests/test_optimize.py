"""`dli optimize` end to end: every optimisation path on the prepared
reference model, written into a temporary models folder and checked through
the real backends; bad calibration folders and arguments; optional steps.

Each path test runs the real command, as a user would:
  dli optimize --model mobilenet_v2 --to P --framework F
      --calibration EIGHT --samples 8 --dataset EIGHT --json FILE
where EIGHT holds the 8 sample photos whose object has an ImageNet class
(the sample set without rocket.jpg: a Falcon 9, no class of its own, whose
FP32 top-1 leads the second class by 0.1 logit, so that any quantization
flips it; docs/OPTIMIZE.md). The optimisation step, the parity check and the
accuracy checker all run; the test then checks the model.json entry, the
calibration record and that the new model agrees with the FP32 model of its
framework on top-1 for at least 7 of the 8 photos without a top-1 loss.

Environment (python/CMakeLists.txt): DLI_BIN, the dli binary (its backends
beside it); DLI_SOURCE_MODELS_DIR, a folder prepared by `dli models
prepare` (default: the source tree's models/).
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import support
from dli_models import common
from dli_models.optimization import CALIBRATION_DIR

REPO_MODELS_DIR = support.PYTHON_ROOT.parent / "models"
# Photos of Debian's opencv-doc that are not in the sample set and whose
# objects MobileNetV2 recognises less confidently than the sample photos.
OPENCV_DOC_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
UNRELATED_PHOTOS = ("apple.jpg", "butterfly.jpg", "building.jpg", "home.jpg",
                    "aero1.jpg", "basketball1.png", "smarties.png", "stuff.jpg")
EXCLUDED_PHOTO = "rocket.jpg"
PHOTOS = 8
MIN_TOP1_EQUAL = 7
# The files a path reads, which the source folder must hold.
SOURCE_FILES = {
    "openvino": ["openvino/fp32/mobilenet_v2.xml"],
    "onnxruntime": ["onnx/mobilenet_v2.onnx"],
    "tflite": ["tensorflow/fp32/saved_model/saved_model.pb",
               "tflite/fp32/mobilenet_v2.tflite"],
    "mxnet": ["mxnet/mobilenet_v2-symbol.json"],
    "pytorch": ["torchscript/mobilenet_v2.pt"],
}


def dli_binary() -> str:
    binary = os.environ.get("DLI_BIN")
    if not binary or not Path(binary).is_file():
        raise RuntimeError("DLI_BIN must name the built dli binary")
    return binary


def source_models_dir() -> Path:
    return Path(os.environ.get("DLI_SOURCE_MODELS_DIR", REPO_MODELS_DIR))


def link_copy(source: Path, target: Path) -> None:
    """A copy of a models folder whose folders are new and whose files are
    symbolic links, except model.json and the .prepare records, which are
    copied. The steps replace a file by renaming a new one over it, so
    nothing they write reaches the source folder. The calibration set of the
    source's last `dli optimize` is left out: the tests make their own."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if CALIBRATION_DIR in relative.parts:
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.name == common.MODEL_JSON or ".prepare" in relative.parts:
            shutil.copy2(path, destination)
        else:
            destination.symlink_to(path.resolve())


class OptimizeTest(unittest.TestCase):

    def setUp(self):
        source = source_models_dir()
        if not (source / support.MODEL / common.MODEL_JSON).exists():
            self.fail(f"{source} holds no prepared {support.MODEL}: run "
                      "`dli models prepare` (or set DLI_SOURCE_MODELS_DIR)")
        self.scratch = Path(tempfile.mkdtemp(prefix="dli-optimize-test-"))
        self.models_dir = self.scratch / "models"
        link_copy(source, self.models_dir)
        self.model_dir = self.models_dir / support.MODEL
        self.photos = self.scratch / "photos"
        self.photos.mkdir()
        sample = self.models_dir / "_datasets" / "sample"
        manifest = []
        for name, classes in common.read_sample_manifest(sample):
            if name != EXCLUDED_PHOTO:
                (self.photos / name).symlink_to((sample / name).resolve())
                manifest.append(f"{name}\t{','.join(map(str, classes))}")
        (self.photos / "manifest.txt").write_text("\n".join(manifest) + "\n")
        self.assertEqual(len(manifest), PHOTOS)

    def tearDown(self):
        shutil.rmtree(self.scratch)

    def dli(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [dli_binary(), *arguments], capture_output=True, text=True,
            timeout=300, env=dict(os.environ,
                                  DLI_MODELS_DIR=str(self.models_dir)))

    def optimize(self, precision: str, framework: str, *extra: str):
        return self.dli("optimize", "--model", support.MODEL, "--to",
                        precision, "--framework", framework, *extra)

    def entries(self):
        return {entry["id"]: entry for entry in json.loads(
            (self.model_dir / common.MODEL_JSON).read_text())["formats"]}

    def run_path(self, precision: str, framework: str, format_id: str,
                 calibrated: bool) -> None:
        for relative in SOURCE_FILES[framework]:
            if not (self.model_dir / relative).exists():
                self.fail(f"{source_models_dir()} has no {relative}: run "
                          "`dli models prepare`")
        verdict_file = self.scratch / "verdict.json"
        calibration = (["--calibration", str(self.photos), "--samples",
                        str(PHOTOS)] if calibrated else [])
        result = self.optimize(precision, framework, *calibration,
                               "--dataset", str(self.photos),
                               "--json", str(verdict_file))
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("verdict: OK", result.stdout)
        verdict = json.loads(verdict_file.read_text())

        # Registered in model.json, with its tool and its files' hashes.
        entry = self.entries()[format_id]
        self.assertEqual(entry["precision"], precision.upper())
        self.assertIn(framework, entry["frameworks"])
        self.assertTrue(entry["converter"] and entry["converter_version"])
        self.assertEqual(entry["sha256"],
                         common.sha256_file(self.model_dir / entry["path"]))
        self.assertEqual(verdict["format"]["id"], format_id)
        if calibrated:
            array = self.model_dir / CALIBRATION_DIR / "calibration.npy"
            self.assertEqual(entry["calibration"]["samples"], PHOTOS)
            self.assertEqual(entry["calibration"]["dataset"],
                             str(self.photos))
            self.assertEqual(entry["calibration"]["sha256"],
                             common.sha256_file(array))

        # Ran through the real backend in the parity check and the accuracy
        # checker, and agrees with the FP32 model of its framework.
        self.assertEqual(verdict["parity"]["images"], PHOTOS)
        self.assertGreaterEqual(verdict["parity"]["top1_agree"],
                                MIN_TOP1_EQUAL, output)
        agreement = verdict["agreement_with_fp32"]
        self.assertEqual(agreement["images"], PHOTOS)
        self.assertGreaterEqual(agreement["top1_equal"], MIN_TOP1_EQUAL,
                                output)
        self.assertLessEqual(verdict["top1_loss"], verdict["max_loss"])
        self.assertFalse(verdict["flagged"])
        self.assertEqual(verdict["accuracy"]["optimized"]["images"], PHOTOS)

    def test_openvino_fp16(self):
        self.run_path("fp16", "openvino", "openvino-ir-fp16", False)

    def test_openvino_int8(self):
        self.run_path("int8", "openvino", "openvino-ir-int8", True)

    def test_onnxruntime_fp16(self):
        self.run_path("fp16", "onnxruntime", "onnx-fp16", False)

    def test_onnxruntime_int8(self):
        self.run_path("int8", "onnxruntime", "onnx-int8", True)

    def test_tflite_fp16(self):
        self.run_path("fp16", "tflite", "tflite-fp16", False)
        # Its steps ran onnx2tf (the tensorflow step), which once rewrote the
        # reference ONNX file: a plain prepare then converted every format
        # again, on every run. Twice after optimize, the second converts
        # nothing.
        for _ in range(2):
            result = self.dli("models", "prepare")
            self.assertEqual(result.returncode, 0,
                             result.stdout + result.stderr)
        outcomes = support.step_outcomes(result.stdout)
        self.assertTrue(outcomes, result.stdout)
        self.assertEqual(outcomes, {step: "skipped" for step in outcomes},
                         result.stdout)

    def test_tflite_int8(self):
        self.run_path("int8", "tflite", "tflite-int8", True)

    def test_tflite_uint8(self):
        self.run_path("uint8", "tflite", "tflite-uint8", True)

    def test_mxnet_int8(self):
        self.run_path("int8", "mxnet", "mxnet-int8", True)

    def test_pytorch_int8(self):
        self.run_path("int8", "pytorch", "torchscript-int8", True)

    def test_tflite_unrelated_calibration_is_flagged(self):
        # A full-integer TFLite model quantizes the logits to the range seen
        # in calibration: calibrated on photos it recognises less confidently
        # than the test photos, the largest logits saturate and tie, and the
        # model loses top-1 accuracy (docs/OPTIMIZE.md). The loss is real, so
        # dli optimize must flag it, with the model still registered.
        calibration = self.scratch / "unrelated"
        calibration.mkdir()
        for name in UNRELATED_PHOTOS:
            source = OPENCV_DOC_DATA / name
            if not source.exists():
                self.fail(f"{source} is missing: install the Debian package "
                          "opencv-doc (scripts/setup.sh)")
            (calibration / name).symlink_to(source)
        verdict_file = self.scratch / "verdict.json"
        result = self.optimize("int8", "tflite", "--calibration",
                               str(calibration), "--dataset", str(self.photos),
                               "--json", str(verdict_file))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        verdict = json.loads(verdict_file.read_text())
        self.assertTrue(verdict["flagged"])
        self.assertGreater(verdict["top1_loss"], verdict["max_loss"])
        self.assertRegex(result.stdout, r"verdict: FLAGGED: top-1 loss "
                         r"[0-9.]+ percentage points exceeds --max-loss 1\.00")
        self.assertEqual(self.entries()["tflite-int8"]["calibration"]["dataset"],
                         str(calibration))

    # ------------------------------------------------------- bad input

    def model_folder_state(self):
        return {path: (path.is_symlink(), path.stat().st_mtime_ns)
                for path in self.model_dir.rglob("*")}

    def assert_usage_error(self, result, *expected: str) -> None:
        """Exit 2 with one `dli optimize: error:` line naming the problem,
        and nothing written into the model's folder."""
        errors = [line for line in result.stderr.splitlines()
                  if line.startswith("dli optimize: error:")]
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertEqual(len(errors), 1, result.stderr)
        for text in expected:
            self.assertIn(text, errors[0])
        self.assertEqual(self.model_folder_state(), self.state_before)

    def test_errors(self):
        self.state_before = self.model_folder_state()
        corrupt = self.scratch / "corrupt"
        corrupt.mkdir()
        for name in ("a.jpg", "b.png", "c.jpeg"):
            (corrupt / name).write_text("this is not an image\n")
        self.assert_usage_error(
            self.optimize("int8", "openvino", "--calibration", str(corrupt)),
            "no decodable image in", str(corrupt), "3 files failed to decode")

        too_few = self.scratch / "two_photos"
        too_few.mkdir()
        for name in sorted(os.listdir(self.photos))[:2]:
            (too_few / name).symlink_to((self.photos / name).resolve())
        self.assert_usage_error(
            self.optimize("int8", "openvino", "--calibration", str(too_few),
                          "--samples", "8"),
            str(too_few), "has 2 decodable image(s), --samples asks for 8")

        self.assert_usage_error(
            self.optimize("int8", "openvino", "--calibration",
                          str(self.scratch / "missing")),
            "image folder not found")
        self.assert_usage_error(self.optimize("int4", "openvino"),
                                "--to is fp16, int8 or uint8")
        self.assert_usage_error(self.optimize("uint8", "openvino"),
                                "openvino has no uint8 path",
                                "--to fp16, int8")
        self.assert_usage_error(self.optimize("int8", "opencv"),
                                "no optimisation path for opencv")
        self.assert_usage_error(
            self.optimize("fp16", "onnxruntime", "--samples", "4"),
            "fp16 needs no calibration")

    def test_calibration_for_another_model_shape(self):
        # Calibration images that do not fit the model's input: a model whose
        # input is 299x299 while its preprocessing crops 224x224.
        metadata_file = self.model_dir / common.MODEL_JSON
        metadata = json.loads(metadata_file.read_text())
        metadata["inputs"][0]["shape"] = [-1, 3, 299, 299]
        metadata_file.write_text(json.dumps(metadata))
        self.state_before = self.model_folder_state()
        self.assert_usage_error(
            self.optimize("int8", "openvino", "--calibration",
                          str(self.photos)),
            "preprocess to 3x224x224 but mobilenet_v2 takes 3x299x299")

    def test_optional_steps_stay_out_of_a_plain_prepare(self):
        optional = {"openvino_int8", "onnx_int8", "onnx_fp16", "tflite_fp16",
                    "tflite_int8", "tflite_uint8", "mxnet_int8",
                    "torchscript_int8"}
        result = support.run_prepare(self.models_dir, "--list")
        self.assertEqual(result.returncode, 0, result.stderr)
        for step in optional:
            self.assertRegex(result.stdout,
                             rf"(?m)^{step} .*\n.*\(optional: runs only when "
                             "named\\)$")
        result = support.run_prepare(self.models_dir)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        outcomes = support.step_outcomes(result.stdout)
        self.assertTrue(outcomes)
        self.assertFalse(optional.intersection(outcomes), result.stdout)
        self.assertFalse((self.model_dir / CALIBRATION_DIR).exists())


if __name__ == "__main__":
    unittest.main()
