"""The converted files agree with the live PyTorch model on the sample photos,
and the PyTorch model recognises those photos."""

import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy
import torch

import support
from dli_models import common
from dli_models.steps import reference

FP32_MAX_ABS_DIFF = 1e-3
OPENVINO_LOGITS = Path(__file__).with_name("openvino_logits.py")


class AgreementTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.context = common.Context(support.fixture_models_dir(),
                                     support.MODEL)
        cls.photos = common.read_sample_manifest(cls.context.sample_dir)
        network, _ = reference.load_network(cls.context)
        cls.inputs = torch.stack([
            reference.preprocess(cls.context.sample_dir / name,
                                 reference.model_io(cls.context)[2])
            for name, _ in cls.photos])
        with torch.no_grad():
            cls.logits = network(cls.inputs).numpy()
        cls.scratch = tempfile.TemporaryDirectory()
        cls.input_file = Path(cls.scratch.name) / "input.npy"
        numpy.save(cls.input_file, cls.inputs.numpy())

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def openvino_logits(self, model_path: Path):
        output = Path(self.scratch.name) / "logits.npy"
        subprocess.run([str(common.interpreter_path("openvino")),
                        str(OPENVINO_LOGITS), str(model_path),
                        str(self.input_file), str(output)],
                       check=True, timeout=60)
        return numpy.load(output)

    def test_reference_recognises_the_sample_photos(self):
        # The bar of the photo set: at most one photo without an accepted
        # class in the top 5, at most two without one at the top.
        top5 = numpy.argsort(-self.logits, axis=1)[:, :5]
        top1_misses = top5_misses = 0
        for (name, accepted), classes in zip(self.photos, top5):
            print(f"{name}: top-5 {classes.tolist()}, accepted {accepted}")
            top1_misses += classes[0] not in accepted
            top5_misses += not set(classes) & set(accepted)
        self.assertLessEqual(top5_misses, 1)
        self.assertLessEqual(top1_misses, 2)

    def test_check_set_is_the_pytorch_output(self):
        _, inputs, logits = common.load_check_set(self.context)
        numpy.testing.assert_array_equal(inputs, self.inputs.numpy())
        numpy.testing.assert_allclose(logits, self.logits, atol=1e-5)

    def test_onnx_and_openvino_ir_agree_with_pytorch(self):
        metadata = json.loads(self.context.model_json.read_text())
        checked = []
        for entry in metadata["formats"]:
            if "openvino" not in entry["frameworks"]:
                continue
            logits = self.openvino_logits(self.context.model_dir
                                          / entry["path"])
            difference = float(numpy.abs(logits - self.logits).max())
            print(f"{entry['id']}: max |logit diff| vs PyTorch "
                  f"{difference:.3g}")
            numpy.testing.assert_array_equal(
                logits.argmax(axis=1), self.logits.argmax(axis=1),
                err_msg=entry["id"])
            if entry["precision"] == "FP32":
                self.assertLessEqual(difference, FP32_MAX_ABS_DIFF, entry["id"])
            checked.append(entry["id"])
        self.assertLessEqual({"onnx-fp32", "openvino-ir-fp16",
                              "openvino-ir-fp32"}, set(checked))


if __name__ == "__main__":
    unittest.main()
