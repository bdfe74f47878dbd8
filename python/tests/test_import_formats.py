"""`dli models import` from the formats converted to the ONNX hub at import
(a TensorFlow SavedModel, a .tflite file, an MXNet symbol + params) and from
an OpenVINO IR (kept as the openvino format only), on tiny models made here
in each framework's venv; and bad input for each of them."""

import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import test_import
from dli_models import common

# A tiny NHWC classifier saved as a SavedModel (argv[1]) and converted to
# .tflite by TensorFlow's own converter (argv[2]).
TINY_KERAS = """
import sys, tensorflow as tf
tf.keras.utils.set_random_seed(0)
image = tf.keras.Input((32, 32, 3), name="image")
x = tf.keras.layers.Conv2D(8, 3, strides=2, activation="relu")(image)
x = tf.keras.layers.GlobalAveragePooling2D()(x)
model = tf.keras.Model(image, tf.keras.layers.Dense(10)(x))
model.export(sys.argv[1])
converter = tf.lite.TFLiteConverter.from_saved_model(sys.argv[1])
open(sys.argv[2], "wb").write(converter.convert())
"""
# A tiny Gluon net exported as PREFIX-symbol.json + PREFIX-0000.params.
TINY_GLUON = """
import sys, mxnet as mx
from mxnet.gluon import nn
mx.random.seed(0)
net = nn.HybridSequential()
net.add(nn.Conv2D(8, 3, strides=2, activation="relu"), nn.GlobalAvgPool2D(),
        nn.Dense(10))
net.initialize(mx.init.Xavier())
net.hybridize()
net(mx.nd.zeros((1, 3, 32, 32)))
net.export(sys.argv[1], epoch=0)
"""
# The ONNX classifier of test_import saved as an OpenVINO IR.
TINY_IR = """
import sys, openvino
openvino.save_model(openvino.convert_model(sys.argv[1]), sys.argv[2])
"""


def run_in(venv: str, code: str, *arguments) -> None:
    subprocess.run([str(common.interpreter_path(venv)), "-c", code,
                    *map(str, arguments)], check=True, capture_output=True,
                   timeout=300)


def has_tf2onnx() -> bool:
    python = common.interpreter_path("tensorflow")
    return python.exists() and subprocess.run(
        [str(python), "-c", "import tf2onnx"],
        capture_output=True).returncode == 0


def frameworks(metadata: dict) -> set:
    return {framework for entry in metadata["formats"]
            for framework in entry["frameworks"]}


@unittest.skipUnless(has_tf2onnx(), "tf2onnx is missing in the tensorflow "
                     "venv: run scripts/setup.sh")
class ImportFormatsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        root = cls.root = Path(cls.scratch.name)
        cls.models_dir = test_import.scratch_models_dir(root)
        run_in("tensorflow", TINY_KERAS, root / "saved", root / "tiny.tflite")
        run_in("mxnet", TINY_GLUON, root / "gluon")
        onnx = test_import.make_model(test_import.TINY_CLASSIFIER,
                                      root / "tiny.onnx")
        run_in("openvino", TINY_IR, onnx, root / "ir" / "tiny.xml")
        cls.results = {
            "sm": test_import.models_cli(
                cls.models_dir, "import", "sm", "--from", str(root / "saved"),
                "--task", "image_classification", "--preprocessing",
                "imagenet"),
            "tfl": test_import.models_cli(
                cls.models_dir, "import", "tfl", "--from",
                str(root / "tiny.tflite")),
            "mx": test_import.models_cli(
                cls.models_dir, "import", "mx", "--from",
                str(root / "gluon-0000.params"), "--input",
                "data:1x3x32x32:float32"),
            "ir": test_import.models_cli(
                cls.models_dir, "import", "ir", "--from",
                str(root / "ir" / "tiny.xml")),
        }

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def metadata(self, name: str) -> dict:
        result = self.results[name]
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return json.loads((self.models_dir / name / common.MODEL_JSON)
                          .read_text())

    def assert_converted(self, name: str, fmt: str, converter: str,
                         inputs: int) -> dict:
        metadata = self.metadata(name)
        source = metadata["source"]
        self.assertEqual((source["format"], source["converter"]),
                         (fmt, converter))
        self.assertEqual(source["check"]["top1_equal"], 2)
        self.assertLessEqual(source["check"]["max_abs_diff"], 1e-3)
        # Every framework but PyTorch (no route from ONNX to TorchScript).
        self.assertEqual(frameworks(metadata), {
            "onnxruntime", "openvino", "opencv", "tensorflow", "tflite",
            "mxnet"})
        statuses = {c["step"]: c["status"] for c in metadata["conversions"]}
        self.assertEqual(statuses.pop("torchscript"), "unsupported")
        self.assertEqual(set(statuses.values()), {"ok"}, statuses)
        for entry in metadata["formats"]:
            with self.subTest(model=name, format=entry["id"]):
                self.assertEqual(entry["parity"]["top1_equal"],
                                 entry["parity"]["inputs"])
                if entry["id"] != "onnx-fp32":  # that one: vs the source
                    self.assertEqual(entry["parity"]["inputs"], inputs)
        return metadata

    def test_saved_model(self):
        metadata = self.assert_converted("sm", "tensorflow", "tf2onnx", 9)
        self.assertEqual(metadata["inputs"][0]["layout"], "NHWC")
        self.assertEqual(metadata["preprocessing"]["crop"], 32)
        self.assertTrue((self.models_dir / "sm" / "source" / "saved" /
                         "saved_model.pb").is_file())

    def test_tflite(self):
        self.assert_converted("tfl", "tflite", "tf2onnx", 2)

    def test_mxnet_symbol_and_params(self):
        metadata = self.assert_converted("mx", "mxnet",
                                         "mxnet.onnx.export_model", 2)
        self.assertEqual(metadata["source"]["file"],
                         "source/gluon-symbol.json")
        self.assertEqual(metadata["source"]["params"],
                         "source/gluon-0000.params")

    def test_openvino_ir_is_its_only_format(self):
        metadata = self.metadata("ir")
        self.assertEqual(metadata["source"]["weights"], "source/tiny.bin")
        (entry,) = metadata["formats"]
        self.assertEqual((entry["id"], entry["frameworks"]),
                         ("openvino-ir-fp32", ["openvino"]))
        self.assertEqual(entry["sanity"], {
            "inputs": 2, "output_shape": [2, 10], "finite": True})
        statuses = {c["status"] for c in metadata["conversions"]
                    if c["step"] != "source_ir"}
        self.assertEqual(statuses, {"unsupported"})
        reasons = {c["reason"] for c in metadata["conversions"]
                   if c["step"] not in ("source_ir", "torchscript")}
        self.assertEqual(len(reasons), 1)
        self.assertIn("no converter from OpenVINO IR to ONNX", reasons.pop())
        table = test_import.models_cli(self.models_dir, "show", "ir").stdout
        self.assertRegex(table, r"openvino-ir-fp32 +openvino +ok .* sanity: "
                                r"finite outputs \[2, 10\] on 2 inputs")

    def test_model_json_follows_the_schema(self):
        import jsonschema
        for name in self.results:
            with self.subTest(model=name):
                jsonschema.validate(self.metadata(name), test_import.SCHEMA)

    def test_bad_input_for_each_format(self):
        """One line, exit 2, nothing written."""
        work = self.root / "bad"
        work.mkdir()
        folder = work / "folder"
        folder.mkdir()
        params = work / "lonely-0000.params"
        shutil.copyfile(self.root / "gluon-0000.params", params)
        symbol = work / "alone-symbol.json"
        shutil.copyfile(self.root / "gluon-symbol.json", symbol)
        xml = work / "nobin.xml"
        shutil.copyfile(self.root / "ir" / "tiny.xml", xml)
        broken = work / "broken.tflite"
        broken.write_bytes(b"not a flatbuffer" * 10)
        cases = [
            (folder, [], "no TensorFlow SavedModel"),
            (params, [], "need their graph lonely-symbol.json"),
            (symbol, [], "needs its parameters alone-NNNN.params"),
            (xml, [], "needs its weights nobin.bin"),
            (self.root / "gluon-symbol.json", [],
             "an MXNet symbol keeps no input shape: give --input data:"),
        ]
        before = sorted(self.models_dir.iterdir())
        for path, extra, expected in cases:
            with self.subTest(source=path.name):
                result = test_import.models_cli(
                    self.models_dir, "import", "bad", "--from", str(path),
                    *extra)
                message = result.stderr.strip()
                self.assertEqual(result.returncode, 2, result.stdout + message)
                self.assertEqual(len(message.splitlines()), 1, message)
                self.assertIn(expected, message)
                self.assertEqual(sorted(self.models_dir.iterdir()), before)
        # A .tflite that is no model: the converter fails (exit 1), and
        # nothing is written either.
        result = test_import.models_cli(self.models_dir, "import", "bad",
                                        "--from", str(broken))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1,
                         result.stderr)
        self.assertEqual(sorted(self.models_dir.iterdir()), before)


if __name__ == "__main__":
    unittest.main()
