"""`dli models import` end to end on tiny models made here (ONNX and
TorchScript): the fan-out to every converter with parity, a conversion
failure recorded as a result, and `list` / `show` of the outcome."""

import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import support
from dli_models import common

MODELS_CLI = support.PYTHON_ROOT / "dli_models" / "models_cli.py"
SCHEMA = json.loads((common.REPO_ROOT / "docs" / "schema" /
                     "model.schema.json").read_text())

# A classifier as a recent PyTorch exports it: opset 13, so ReLU6 is a Clip
# with min/max inputs, which OpenCV 4.6 cannot read and MXNet's importer
# reads only from initializers.
TINY_CLASSIFIER = """
import sys, torch
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU6(),
    torch.nn.Conv2d(8, 16, 3, stride=2), torch.nn.BatchNorm2d(16),
    torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(16, 10)).eval()
torch.onnx.export(net, torch.zeros(1, 3, 32, 32), sys.argv[1], opset_version=13,
                  input_names=["image"], output_names=["scores"],
                  dynamic_axes={"image": {0: "b"}, "scores": {0: "b"}})
"""
# The same network traced and saved as TorchScript (no dli_io.json: the
# import needs --input).
TINY_TORCHSCRIPT = TINY_CLASSIFIER.split("torch.onnx.export")[0] + """
torch.jit.save(torch.jit.trace(net, torch.zeros(1, 3, 32, 32)), sys.argv[1])
"""
# Einsum: ONNX Runtime, OpenVINO and onnx2tf have it, MXNet 1.9's importer
# and the opset-10 form do not.
EINSUM_MODEL = """
import sys, torch
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(8, 5))
    def forward(self, x):
        return torch.einsum("bij,jk->bik", x, self.weight).relu()
torch.onnx.export(Net().eval(), torch.zeros(1, 4, 8), sys.argv[1],
                  opset_version=13, input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
"""


def make_model(code: str, path: Path) -> Path:
    subprocess.run([str(common.system_python()), "-c", code, str(path)],
                   check=True, capture_output=True, timeout=120)
    return path


def scratch_models_dir(root: Path) -> Path:
    """An empty models folder that shares the fixture's sample photos."""
    models_dir = root / "models"
    models_dir.mkdir()
    (models_dir / "_datasets").symlink_to(
        support.fixture_models_dir() / "_datasets")
    return models_dir


def models_cli(models_dir: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(common.system_python()), str(MODELS_CLI), "--models-dir",
         str(models_dir), *arguments],
        capture_output=True, text=True, timeout=600)


class ImportTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        root = Path(cls.scratch.name)
        cls.models_dir = scratch_models_dir(root)
        cls.classifier = models_cli(
            cls.models_dir, "import", "tiny",
            "--from", str(make_model(TINY_CLASSIFIER, root / "tiny.onnx")),
            "--task", "image_classification", "--preprocessing", "imagenet")
        cls.torchscript = models_cli(
            cls.models_dir, "import", "tinypt",
            "--from", str(make_model(TINY_TORCHSCRIPT, root / "tiny.pt")),
            "--input", "image:1x3x32x32:float32",
            "--task", "image_classification", "--preprocessing", "imagenet")
        cls.generic = models_cli(
            cls.models_dir, "import", "einsum",
            "--from", str(make_model(EINSUM_MODEL, root / "einsum.onnx")))

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def metadata(self, name):
        return json.loads((self.models_dir / name / common.MODEL_JSON)
                          .read_text())

    def test_classifier_gets_every_format_with_parity(self):
        result = self.classifier
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        metadata = self.metadata("tiny")
        self.assertEqual(metadata["origin"], "imported")
        self.assertEqual(metadata["inputs"], [{
            "name": "image", "shape": [-1, 3, 32, 32], "dtype": "float32",
            "layout": "NCHW", "kind": "image"}])
        # The preset's crop follows the model's 32x32 input.
        self.assertEqual(metadata["preprocessing"]["crop"], 32)
        self.assertEqual(metadata["preprocessing"]["preset"], "imagenet")
        frameworks = {framework for entry in metadata["formats"]
                      for framework in entry["frameworks"]}
        self.assertEqual(frameworks, {"onnxruntime", "openvino", "opencv",
                                      "tensorflow", "tflite", "mxnet"})
        for entry in metadata["formats"]:
            with self.subTest(format=entry["id"]):
                parity = entry["parity"]
                self.assertEqual(parity["inputs"], 9)  # the sample photos
                self.assertEqual(parity["top1_equal"], 9)
                path = self.models_dir / "tiny" / entry["path"]
                if path.is_file():
                    self.assertEqual(common.sha256_file(path), entry["sha256"])
        opencv = next(entry for entry in metadata["formats"]
                      if "opencv" in entry["frameworks"])
        self.assertEqual((opencv["id"], opencv["opset"]),
                         ("onnx-opset10-fp32", 10))
        statuses = {c["step"]: c["status"] for c in metadata["conversions"]}
        self.assertEqual(statuses.pop("torchscript"), "unsupported")
        self.assertEqual(set(statuses.values()), {"ok"}, statuses)
        self.assertEqual(sorted(path.name for path in self.models_dir.iterdir()),
                         ["_datasets", "einsum", "tiny", "tinypt"])

    def test_torchscript_source_gets_all_seven_frameworks(self):
        result = self.torchscript
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        metadata = self.metadata("tinypt")
        self.assertEqual(metadata["source"]["format"], "torchscript")
        frameworks = {framework for entry in metadata["formats"]
                      for framework in entry["frameworks"]}
        self.assertEqual(frameworks, {"onnxruntime", "openvino", "opencv",
                                      "tensorflow", "tflite", "mxnet",
                                      "pytorch"})
        for entry in metadata["formats"]:
            with self.subTest(format=entry["id"]):
                self.assertEqual(entry["parity"]["top1_equal"], 9)
        self.assertEqual({c["status"] for c in metadata["conversions"]},
                         {"ok"}, metadata["conversions"])

    def test_missing_operator_fails_that_format_only(self):
        result = self.generic
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        metadata = self.metadata("einsum")
        self.assertNotIn("preprocessing", metadata)
        conversions = {c["step"]: c for c in metadata["conversions"]}
        for step in ("mxnet", "opencv_onnx"):
            with self.subTest(step=step):
                self.assertEqual(conversions[step]["status"], "failed")
                reason = conversions[step]["reason"]
                self.assertIn("Einsum", reason)
                self.assertEqual(len(reason.splitlines()), 1)
        self.assertEqual(conversions["openvino_ir"]["status"], "ok",
                         conversions)
        # onnx2tf 1.29 transposes the 3-D input and then fails on Einsum.
        tensorflow = conversions["tensorflow"]
        if tensorflow["status"] == "failed":
            self.assertRegex(tensorflow["reason"],
                             r"^onnx2tf [\d.]+ cannot convert node /Einsum: ")
        ids = {entry["id"] for entry in metadata["formats"]}
        self.assertTrue({"onnx-fp32", "openvino-ir-fp32"} <= ids, ids)
        self.assertNotIn("mxnet-fp32", ids)
        # Synthetic inputs: no photos for a model without preprocessing.
        names = (self.models_dir / "einsum" / "reference" /
                 "check_images.txt").read_text().split()
        self.assertEqual(names, ["synthetic-0", "synthetic-1"])

    def test_model_json_follows_the_schema(self):
        import jsonschema
        for name in ("tiny", "tinypt", "einsum"):
            with self.subTest(model=name):
                jsonschema.validate(self.metadata(name), SCHEMA)

    def test_list_and_show(self):
        listing = models_cli(self.models_dir, "list", "--json")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        models = {model["name"]: model
                  for model in json.loads(listing.stdout)["models"]}
        self.assertEqual(set(models), {"tiny", "tinypt", "einsum"})
        self.assertEqual(models["einsum"]["preprocessing"], "undeclared")
        self.assertIn("mxnet", models["einsum"]["missing"])
        text = models_cli(self.models_dir, "list").stdout
        self.assertRegex(text, r"(?m)^tiny +image_classification +imagenet ")
        shown = models_cli(self.models_dir, "show", "einsum", "--json")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        rows = json.loads(shown.stdout)["matrix"]
        mxnet = next(row for row in rows if "mxnet" in row["frameworks"])
        self.assertEqual(mxnet["status"], "failed")
        self.assertIn("Einsum", mxnet["reason"])
        table = models_cli(self.models_dir, "show", "tiny").stdout
        self.assertRegex(table, r"onnx-opset10-fp32 +opencv +ok +dli opset-10 "
                                r"rewrite .* top-1 9/9")
        self.assertRegex(table, r"torchscript +pytorch +unsupported ")


if __name__ == "__main__":
    unittest.main()
