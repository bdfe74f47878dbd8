"""Bad input stops prepare.py with one clear line naming what is wrong."""

import shutil
import tempfile
import unittest
from pathlib import Path

import support
from dli_models import common
from dli_models.steps import reference

CHECKPOINT = reference.MODELS[support.MODEL]


class ErrorsTest(unittest.TestCase):

    def setUp(self):
        self.scratch = Path(tempfile.mkdtemp())
        self.models_dir = self.scratch / "models"

    def tearDown(self):
        shutil.rmtree(self.scratch)

    def fake_venv_with_corrupted_checkpoint(self) -> Path:
        """A venv root whose checkpoint is a copy with one byte changed."""
        real_site = common.venv_site_packages(CHECKPOINT.venv)
        venv_root = self.scratch / "venv"
        site = venv_root / CHECKPOINT.venv / real_site.relative_to(
            real_site.parents[2])
        corrupted = site / CHECKPOINT.package_dir / CHECKPOINT.file
        corrupted.parent.mkdir(parents=True)
        data = bytearray((real_site / CHECKPOINT.package_dir
                          / CHECKPOINT.file).read_bytes())
        data[len(data) // 2] ^= 0xFF
        corrupted.write_bytes(bytes(data))
        return venv_root

    def test_corrupted_checkpoint_is_rejected_by_sha256(self):
        venv_root = self.fake_venv_with_corrupted_checkpoint()
        result = support.run_prepare(self.models_dir, "--steps", "reference",
                                     DLI_VENV_ROOT=str(venv_root))
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(support.step_outcomes(result.stdout)["reference"],
                         "failed")
        message = result.stderr.strip()
        self.assertEqual(len(message.splitlines()), 1, message)
        self.assertIn("prepare: step reference failed:", message)
        self.assertIn(f"expected it to start with {CHECKPOINT.sha256_prefix}",
                      message)
        self.assertFalse((self.models_dir / support.MODEL / "onnx").exists())

    def test_missing_venv_says_to_run_setup(self):
        result = support.run_prepare(self.models_dir, "--steps", "openvino_ir",
                                     DLI_VENV_ROOT=str(self.scratch / "none"))
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertRegex(result.stderr.strip(),
                         r"^prepare: step \w+ failed: .*run scripts/setup\.sh$")

    def test_missing_step_interpreter_says_to_run_setup(self):
        # The checkpoint is there but the venv has no interpreter.
        real_venv = common.venv_root() / CHECKPOINT.venv
        venv_root = self.scratch / "venv"
        (venv_root / CHECKPOINT.venv).mkdir(parents=True)
        (venv_root / CHECKPOINT.venv / "lib").symlink_to(real_venv / "lib")
        result = support.run_prepare(self.models_dir, "--steps", "openvino_ir",
                                     DLI_VENV_ROOT=str(venv_root))
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertEqual(
            result.stderr.strip(),
            f"prepare: step openvino_ir failed: it needs the virtual "
            f"environment {venv_root / CHECKPOINT.venv}, but "
            f"{venv_root / CHECKPOINT.venv / 'bin' / 'python'} is missing: "
            "run scripts/setup.sh")

    def test_unknown_step_lists_the_known_ones(self):
        result = support.run_prepare(self.models_dir, "--steps", "nonsense")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown step nonsense; known steps: ", result.stderr)
        self.assertIn("openvino_ir", result.stderr)

    def test_unknown_model_is_named(self):
        result = support.run_prepare(self.models_dir, "--model", "resnet9000")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("no reference model named 'resnet9000'; known: "
                      "bert_mini, mobilenet_v2", result.stderr)


if __name__ == "__main__":
    unittest.main()
