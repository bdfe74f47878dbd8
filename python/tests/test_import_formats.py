"""`dli models import` from the formats converted to the ONNX hub at import
(a TensorFlow SavedModel, a .tflite file, an MXNet symbol + params) and from
an OpenVINO IR (kept as the openvino format only), on tiny models made here
in each framework's venv (one input; two inputs and two outputs); and bad
input for each of them."""

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
# A two-input, two-output encoder (token ids and a mask, int64) as a
# SavedModel (argv[1]) and a .tflite file (argv[2]).
TWO_INPUT_TF = """
import sys, tensorflow as tf
class Encoder(tf.Module):
    def __init__(self):
        self.table = tf.Variable(tf.random.stateless_normal([50, 8], [0, 1]))
        self.dense = tf.Variable(tf.random.stateless_normal([8, 4], [0, 2]))
    @tf.function(input_signature=[
        tf.TensorSpec([None, 16], tf.int64, name="input_ids"),
        tf.TensorSpec([None, 16], tf.int64, name="attention_mask")])
    def __call__(self, input_ids, attention_mask):
        mask = tf.cast(attention_mask, tf.float32)[..., None]
        pooled = tf.reduce_sum(tf.gather(self.table, input_ids) * mask, axis=1)
        return {"logits": tf.matmul(pooled, self.dense), "pooled": pooled}
module = Encoder()
tf.saved_model.save(module, sys.argv[1], signatures=module.__call__)
converter = tf.lite.TFLiteConverter.from_saved_model(sys.argv[1])
open(sys.argv[2], "wb").write(converter.convert())
"""
# A two-input, two-output Gluon net (an image and a vector), exported as
# PREFIX-symbol.json + PREFIX-0000.params.
TWO_INPUT_GLUON = """
import sys, mxnet as mx
from mxnet.gluon import nn
mx.random.seed(0)
class Two(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Dense(6), nn.Dense(6), nn.Dense(4)
    def hybrid_forward(self, F, image, extra):
        joined = F.relu(self.a(image) + self.b(extra))
        return self.out(joined), joined
net = Two()
net.initialize(mx.init.Xavier())
net.hybridize()
net(mx.nd.zeros((1, 3, 8, 8)), mx.nd.zeros((1, 5)))
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
        run_in("tensorflow", TWO_INPUT_TF, root / "two", root / "two.tflite")
        run_in("mxnet", TWO_INPUT_GLUON, root / "two")
        # The kinds of the integer inputs: ids below the vocabulary, a mask.
        for name, prefix in (("two_sm", ""), ("two_tfl", "serving_default_")):
            (root / f"{name}.yaml").write_text(
                "task: generic\ninputs:\n"
                f"  - {{name: '{prefix}input_ids{':0' if prefix else ''}', "
                "kind: token_ids, vocab_size: 50}\n"
                f"  - {{name: '{prefix}attention_mask{':0' if prefix else ''}', "
                "kind: mask}\n")
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
            "two_sm": test_import.models_cli(
                cls.models_dir, "import", "two_sm", "--from",
                str(root / "two"), "--spec", str(root / "two_sm.yaml")),
            "two_tfl": test_import.models_cli(
                cls.models_dir, "import", "two_tfl", "--from",
                str(root / "two.tflite"), "--spec",
                str(root / "two_tfl.yaml")),
            "two_mx": test_import.models_cli(
                cls.models_dir, "import", "two_mx", "--from",
                str(root / "two-0000.params"), "--input",
                "data0:1x3x8x8:float32", "--input", "data1:1x5:float32"),
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

    def test_sources_with_two_inputs_and_two_outputs(self):
        """Each input by name, each output checked, from every format that
        is converted to the hub; what a converter cannot do is recorded."""
        for name, expected in (
                ("two_sm", {"onnxruntime", "openvino", "tensorflow", "tflite"}),
                ("two_tfl", {"onnxruntime", "openvino", "tensorflow", "tflite"}),
                ("two_mx", {"onnxruntime", "openvino", "mxnet", "opencv"})):
            with self.subTest(model=name):
                metadata = self.metadata(name)
                self.assertEqual(len(metadata["inputs"]), 2)
                self.assertEqual(len(metadata["outputs"]), 2)
                check = metadata["source"]["check"]
                self.assertEqual(check["top1_equal"], 2)
                self.assertLessEqual(check["max_abs_diff"], 1e-3)
                self.assertLessEqual(expected, frameworks(metadata))
                for entry in metadata["formats"]:
                    parity = entry["parity"]
                    self.assertEqual(parity["top1_equal"], parity["inputs"])
                    if entry["id"] != "onnx-fp32":  # that one: vs the source
                        self.assertEqual(len(parity["outputs"]), 2, entry)
                for conversion in metadata["conversions"]:
                    if conversion["status"] != "ok":
                        self.assertTrue(conversion["reason"], conversion)
        kinds = {entry["name"]: entry["kind"]
                 for entry in self.metadata("two_sm")["inputs"]}
        self.assertEqual(kinds, {"input_ids": "token_ids",
                                 "attention_mask": "mask"})

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
