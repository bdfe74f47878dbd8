"""prepare.py skips what is up to date and reruns exactly what is not."""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import support
from dli_models import common


class IdempotenceTest(unittest.TestCase):

    def setUp(self):
        # A copy, so that these runs cannot disturb the other tests.
        self.scratch = tempfile.TemporaryDirectory()
        self.models_dir = Path(self.scratch.name) / "models"
        shutil.copytree(support.fixture_models_dir(), self.models_dir)

    def tearDown(self):
        self.scratch.cleanup()

    def run_fixture_steps(self):
        return support.run_prepare(self.models_dir, "--steps",
                                   ",".join(support.FIXTURE_STEPS))

    def modification_times(self):
        return {path: path.stat().st_mtime_ns
                for path in self.models_dir.rglob("*") if path.is_file()}

    def test_second_run_skips_every_step_and_writes_nothing(self):
        before = self.modification_times()
        result = self.run_fixture_steps()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(support.step_outcomes(result.stdout),
                         {step: "skipped" for step in support.FIXTURE_STEPS},
                         result.stdout)
        self.assertEqual(self.modification_times(), before)

    def test_missing_output_reruns_only_its_step(self):
        model_dir = self.models_dir / support.MODEL
        removed = model_dir / "openvino" / "fp16" / f"{support.MODEL}.bin"
        removed.unlink()
        result = self.run_fixture_steps()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        expected = {step: "skipped" for step in support.FIXTURE_STEPS}
        expected["openvino_ir"] = "done"
        self.assertEqual(support.step_outcomes(result.stdout), expected,
                         result.stdout)
        entry = next(entry for entry in json.loads(
            (model_dir / common.MODEL_JSON).read_text())["formats"]
            if entry["id"] == "openvino-ir-fp16")
        self.assertEqual(entry["weights_sha256"], common.sha256_file(removed))

    def test_force_reruns_the_selected_step_only(self):
        result = support.run_prepare(self.models_dir, "--steps",
                                     "sample_photos", "--force")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(support.step_outcomes(result.stdout),
                         {"sample_photos": "done"}, result.stdout)


if __name__ == "__main__":
    unittest.main()
