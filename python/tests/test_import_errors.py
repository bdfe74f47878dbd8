"""Bad input to `dli models import`: one line, exit status 2, and nothing
left in the models folder."""

import shutil
import tempfile
import unittest
from pathlib import Path

import test_import


class ImportErrorsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.root = Path(cls.scratch.name)
        cls.onnx = test_import.make_model(test_import.TINY_CLASSIFIER,
                                         cls.root / "tiny.onnx")

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def setUp(self):
        self.work = Path(tempfile.mkdtemp(dir=self.root))
        self.models_dir = test_import.scratch_models_dir(self.work)
        self.before = sorted(self.models_dir.iterdir())

    def tearDown(self):
        shutil.rmtree(self.work)

    def assert_refused(self, expected: str, *arguments: str) -> str:
        result = test_import.models_cli(self.models_dir, "import", *arguments)
        message = result.stderr.strip()
        self.assertEqual(result.returncode, 2, result.stdout + message)
        self.assertEqual(len(message.splitlines()), 1, message)
        self.assertIn(expected, message)
        self.assertEqual(sorted(self.models_dir.iterdir()), self.before)
        return message

    def file(self, name: str, data: bytes) -> Path:
        path = self.work / name
        path.write_bytes(data)
        return path

    def test_corrupt_file(self):
        self.assert_refused("is not a valid ONNX model", "m", "--from",
                            str(self.file("m.onnx", b"\x08\x07garbage" * 50)))

    def test_truncated_file(self):
        data = self.onnx.read_bytes()
        self.assert_refused("is not a valid ONNX model", "m", "--from",
                            str(self.file("cut.onnx", data[:len(data) // 2])))

    def test_unknown_extension(self):
        self.assert_refused("unknown model file extension", "m", "--from",
                            str(self.file("m.caffemodel", b"x")))

    def test_folder_that_is_no_saved_model(self):
        folder = self.work / "folder"
        folder.mkdir()
        self.assert_refused("no TensorFlow SavedModel", "m", "--from",
                            str(folder))

    def test_shape_contradicting_the_file(self):
        self.assert_refused("contradicts the file's [-1, 3, 32, 32]", "m",
                            "--from", str(self.onnx), "--input",
                            "image:1x3x224x224:float32")

    def test_dtype_contradicting_the_file(self):
        self.assert_refused("dtype uint8 contradicts", "m", "--from",
                            str(self.onnx), "--input", "image:1x3x32x32:uint8")

    def test_labels_with_wrong_line_count(self):
        labels = self.file("labels.txt", b"cat\ndog\n")
        self.assert_refused("has 2 labels", "m", "--from", str(self.onnx),
                            "--labels", str(labels))

    def test_existing_name_needs_force(self):
        (self.models_dir / "m").mkdir()
        self.before = sorted(self.models_dir.iterdir())
        self.assert_refused("already exists", "m", "--from", str(self.onnx))

    def test_spec_with_unknown_key_names_file_line_column(self):
        spec = self.file("m.yaml", b"task: image_classification\n"
                                   b"preprocessing: imagenet\n  \n"
                                   b"label_ofset: 1\n")
        self.assert_refused(f"{spec}:4:1: unknown key 'label_ofset'", "m",
                            "--from", str(self.onnx), "--spec", str(spec))

    def test_torchscript_without_input_shape(self):
        pt = test_import.make_model(test_import.TINY_TORCHSCRIPT,
                                   self.work / "m.pt")
        self.assert_refused("TorchScript keeps no input shape", "m", "--from",
                            str(pt))

    def test_unknown_preset(self):
        self.assert_refused("neither a preset (imagenet, inception, caffe, "
                            "none) nor a file", "m", "--from", str(self.onnx),
                            "--preprocessing", "vgg")


if __name__ == "__main__":
    unittest.main()
