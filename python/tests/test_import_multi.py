"""`dli models import` of a model with two int64 inputs and two outputs:
input kinds from the spec, synthetic check inputs by kind, and every
format made with parity on every output or recorded as failed with one
line; and the spec's input errors."""

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy

import test_import
from dli_models import common

# A toy text encoder as a recent PyTorch exports it: token ids and segment
# ids in, the per-token states and a pooled vector out.
TWO_INPUTS = """
import sys, torch
torch.manual_seed(0)
class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.words = torch.nn.Embedding(50, 16)
        self.segments = torch.nn.Embedding(2, 16)
        self.dense = torch.nn.Linear(16, 16)
    def forward(self, ids, segments):
        states = torch.nn.functional.gelu(
            self.dense(self.words(ids) + self.segments(segments)))
        return states, torch.tanh(states.mean(1))
torch.onnx.export(Encoder().eval(),
                  (torch.zeros(1, 8, dtype=torch.long),
                   torch.zeros(1, 8, dtype=torch.long)), sys.argv[1],
                  opset_version=13, input_names=["ids", "segments"],
                  output_names=["states", "pooled"],
                  dynamic_axes={name: {0: "b"} for name in
                                ("ids", "segments", "states", "pooled")})
"""
SPEC = """task: generic
inputs:
  - {name: ids, kind: token_ids, vocab_size: 50}
  - name: segments
    kind: segment_ids
"""


class ImportMultiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.root = Path(cls.scratch.name)
        cls.models_dir = test_import.scratch_models_dir(cls.root)
        cls.onnx = test_import.make_model(TWO_INPUTS, cls.root / "enc.onnx")
        spec = cls.root / "enc.yaml"
        spec.write_text(SPEC)
        cls.result = test_import.models_cli(
            cls.models_dir, "import", "enc", "--from", str(cls.onnx),
            "--spec", str(spec))
        cls.model_dir = cls.models_dir / "enc"

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def metadata(self):
        return json.loads((self.model_dir / common.MODEL_JSON).read_text())

    def test_inputs_and_outputs_are_lists_with_kinds(self):
        self.assertEqual(self.result.returncode, 0,
                         self.result.stdout + self.result.stderr)
        metadata = self.metadata()
        self.assertNotIn("input", metadata)
        self.assertEqual(metadata["inputs"], [
            {"name": "ids", "shape": [-1, 8], "dtype": "int64", "layout": "NC",
             "kind": "token_ids", "vocab_size": 50},
            {"name": "segments", "shape": [-1, 8], "dtype": "int64",
             "layout": "NC", "kind": "segment_ids"}])
        self.assertEqual(metadata["outputs"], [
            {"name": "states", "shape": [-1, 8, 16], "dtype": "float32"},
            {"name": "pooled", "shape": [-1, 16], "dtype": "float32"}])
        import jsonschema
        jsonschema.validate(metadata, test_import.SCHEMA)

    def test_check_set_follows_the_kinds(self):
        folder = self.model_dir / common.CHECK_DIR
        ids = numpy.load(folder / "check_input.npy")
        segments = numpy.load(folder / "check_input_1.npy")
        self.assertEqual((ids.dtype, ids.shape), (numpy.int64, (2, 8)))
        self.assertTrue(((ids >= 0) & (ids < 50)).all())
        self.assertGreater(len(numpy.unique(ids)), 1)
        numpy.testing.assert_array_equal(segments, numpy.zeros((2, 8)))
        self.assertEqual(numpy.load(folder / "check_logits.npy").shape,
                         (2, 8, 16))
        self.assertEqual(numpy.load(folder / "check_output_1.npy").shape,
                         (2, 16))

    def test_every_format_has_parity_on_every_output_or_a_reason(self):
        metadata = self.metadata()
        for entry in metadata["formats"]:
            with self.subTest(format=entry["id"]):
                parity = entry["parity"]
                if entry["id"] == "onnx-fp32":  # the imported file itself
                    continue
                self.assertEqual([output["name"] for output in
                                  parity["outputs"]], ["states", "pooled"])
                self.assertLessEqual(parity["max_abs_diff"], 1e-3)
                self.assertEqual(parity["top1_equal"], 2)
        conversions = {c["step"]: c for c in metadata["conversions"]}
        for step in ("openvino_ir", "tensorflow", "mxnet", "opencv_onnx"):
            with self.subTest(step=step):
                conversion = conversions[step]
                self.assertIn(conversion["status"], ("ok", "failed"))
                if conversion["status"] == "failed":
                    self.assertEqual(len(conversion["reason"].splitlines()), 1)
                    self.assertTrue(conversion["reason"])
        self.assertEqual(conversions["openvino_ir"]["status"], "ok")
        self.assertEqual(conversions["torchscript"]["status"], "unsupported")
        ids = {entry["id"] for entry in metadata["formats"]}
        self.assertLessEqual({"onnx-fp32", "openvino-ir-fp32"}, ids)
        # OpenCV 4.6 itself runs the opset-10 file (python3-opencv): it has
        # no Gather over a model input (the embedding lookup), which is
        # recorded, and no file or format entry is left for it.
        opencv = conversions["opencv_onnx"]
        if subprocess.run([sys.executable, "-c", "import cv2"]).returncode == 0:
            self.assertEqual(opencv["status"], "failed")
            self.assertIn("OpenCV cannot run the opset-10 ONNX file", opencv["reason"])
            self.assertIn("Gather", opencv["reason"])
            self.assertNotIn("onnx-opset10-fp32", ids)
            self.assertFalse((self.model_dir / "onnx" / "enc-opset10.onnx").exists())
        else:
            self.assertEqual(opencv["status"], "ok")
            self.assertIn("onnx-opset10-fp32", ids)

    def test_converted_files_say_how_they_name_each_tensor(self):
        metadata = self.metadata()
        for entry in metadata["formats"]:
            if entry["format"] in ("tensorflow_savedmodel", "tflite"):
                with self.subTest(format=entry["id"]):
                    self.assertEqual([t["name"] for t in entry["io"]["inputs"]],
                                     ["ids", "segments"])
                    self.assertEqual([t["name"] for t in entry["io"]["outputs"]],
                                     ["states", "pooled"])

    def test_show_lists_the_worst_output(self):
        shown = test_import.models_cli(self.models_dir, "show", "enc")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertRegex(shown.stdout, r"openvino-ir-fp32 +openvino +ok .*"
                                       r"top-1 2/2, max diff \S+ \(worst of 2 "
                                       r"outputs\)")


class SpecInputErrorsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.root = Path(cls.scratch.name)
        cls.onnx = test_import.make_model(TWO_INPUTS, cls.root / "enc.onnx")

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def assert_refused(self, expected: str, spec_text: str = None,
                       *arguments: str) -> None:
        work = Path(tempfile.mkdtemp(dir=self.root))
        models_dir = work / "models"
        models_dir.mkdir()
        if spec_text is not None:
            spec = work / "spec.yaml"
            spec.write_text(spec_text)
            arguments = ("--spec", str(spec)) + arguments
            expected = expected.replace("SPEC", str(spec))
        result = test_import.models_cli(models_dir, "import", "m", "--from",
                                        str(self.onnx), *arguments)
        message = result.stderr.strip()
        self.assertEqual(result.returncode, 2, result.stdout + message)
        self.assertEqual(len(message.splitlines()), 1, message)
        self.assertIn(expected, message)
        self.assertEqual(list(models_dir.iterdir()), [])

    def test_unknown_input_key_names_file_line_column(self):
        self.assert_refused(
            "SPEC:4:5: unknown input key 'vocab'; known: name, shape, dtype, "
            "layout, kind, vocab_size, range",
            "inputs:\n  - name: ids\n    kind: token_ids\n    vocab: 50\n")

    def test_token_ids_need_a_vocabulary_size(self):
        self.assert_refused("SPEC:2:5: kind token_ids needs vocab_size",
                            "inputs:\n  - {name: ids, kind: token_ids}\n")

    def test_unknown_kind(self):
        self.assert_refused("kind 'text'; known: image, token_ids, mask, "
                            "segment_ids, random",
                            "inputs:\n  - {name: ids, kind: text}\n")

    def test_input_the_model_does_not_have(self):
        self.assert_refused("--input mask: the model has no input of that "
                            "name (its inputs: ids, segments)", None,
                            "--input", "mask:1x8:int64")

    def test_range_must_be_ordered(self):
        self.assert_refused("SPEC:2:5: range must be [lo, hi]",
                            "inputs:\n  - {name: ids, range: [5, 1]}\n")


if __name__ == "__main__":
    unittest.main()
