"""docs/schema/targets.schema.json against the bundled example and dli's own
loader: the example validates and loads, and the schema and the loader accept
and refuse the same targets. Needs no root and no daemon."""
import copy
import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

import jsonschema
import yaml

SOURCE = Path(os.environ["DLI_SOURCE_DIR"])
TOOL = os.environ["DLI_TARGETS_TOOL"]
SCHEMA = json.loads((SOURCE / "docs" / "schema" / "targets.schema.json").read_text())
EXAMPLE = SOURCE / "experiments" / "targets.example.yaml"

SSH = {"name": "lab1", "type": "ssh", "host": "127.0.0.1", "port": 2222, "user": "root",
       "identity": "keys/id", "known_hosts": "keys/known_hosts", "dli": "/opt/dli/bin/dli"}
SLURM = {"name": "cluster", "type": "slurm", "partition": "debug", "nodes": 2,
         "time": "00:30:00"}


def changed(target, **changes):
    out = copy.deepcopy(target)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


VALID = {
    "local": [{"name": "here", "type": "local"}],
    "local in a container": [{"name": "here", "type": "local",
                              "container": {"engine": "docker", "image": "dli:1"}}],
    "ssh": [SSH],
    "ssh through a jump host": [SSH, changed(SSH, name="lab2", jump="lab1", slots=2)],
    "ssh in a container": [changed(SSH, dli=None, container={"engine": "podman",
                                                             "image": "localhost/dli",
                                                             "network": "host"})],
    "slurm": [SLURM],
    "hardware classes": [{"name": "here", "type": "local", "hardware_class": "epyc-7763"},
                         changed(SSH, hardware_class="epyc-7763"),
                         changed(SLURM, hardware_class="a100")],
    "slurm by node names via a login node": [
        SSH, changed(SLURM, nodes=["n1", "n2"], time=90, via="lab1", exclusive=False,
                     account="ml", constraint="avx512&bf16", dli="/shared/dli")],
}

INVALID = {
    "a password": [changed(SSH, password="hunter2")],
    "no known_hosts": [changed(SSH, known_hosts=None)],
    "no identity": [changed(SSH, identity=None)],
    "an unknown key": [changed(SSH, hots="x")],
    "a key of another type": [changed(SSH, partition="debug")],
    "an unknown type": [{"name": "x", "type": "cloud"}],
    "no name": [{"type": "local"}],
    "a name that is an option": [{"name": "-x", "type": "local"}],
    "a host that is an option": [changed(SSH, host="-oProxyCommand=x")],
    "a key path with a space": [changed(SSH, identity="my keys/id")],
    "a relative dli": [changed(SSH, dli="bin/dli")],
    "dli and container": [changed(SSH, container={"engine": "docker", "image": "i"})],
    "neither dli nor container": [changed(SSH, dli=None)],
    "port 0": [changed(SSH, port=0)],
    "slots 0": [changed(SSH, slots=0)],
    "a container engine": [{"name": "x", "type": "local",
                            "container": {"engine": "lxc", "image": "i"}}],
    "a container network": [{"name": "x", "type": "local",
                             "container": {"engine": "docker", "image": "i",
                                           "network": "bridge"}}],
    "slurm without time": [changed(SLURM, time=None)],
    "a time that is not Slurm's": [changed(SLURM, time="soon")],
    "no nodes": [changed(SLURM, nodes=0)],
    "an empty node list": [changed(SLURM, nodes=[])],
    "exclusive not a boolean": [changed(SLURM, exclusive="maybe")],
    "no targets": [],
    "a hardware class that is an option": [{"name": "x", "type": "local",
                                            "hardware_class": "-x"}],
}


class Schema(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def load(self, path):
        return subprocess.run([TOOL, "load", str(path)], capture_output=True, text=True)

    def loads(self, targets):
        path = self.dir / "targets.yaml"
        path.write_text(json.dumps({"targets": targets}))
        return self.load(path)

    def test_schema_is_valid(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_bundled_example_validates_and_loads(self):
        doc = yaml.safe_load(EXAMPLE.read_text())
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
        proc = self.load(EXAMPLE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        loaded = json.loads(proc.stdout)
        self.assertEqual([(t["name"], t["type"]) for t in loaded],
                         [(t["name"], t["type"]) for t in doc["targets"]])
        lab1 = loaded[1]["ssh"]
        self.assertEqual(lab1["identity"], str(EXAMPLE.parent / "keys" / "id_ed25519"))
        self.assertEqual(loaded[3]["slurm"]["time_s"], 1800)

    def test_schema_and_loader_accept_the_same(self):
        for what, targets in VALID.items():
            with self.subTest(what):
                jsonschema.validate({"targets": targets}, SCHEMA,
                                    cls=jsonschema.Draft202012Validator)
                proc = self.loads(targets)
                self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_schema_and_loader_refuse_the_same(self):
        for what, targets in INVALID.items():
            with self.subTest(what):
                with self.assertRaises(jsonschema.ValidationError):
                    jsonschema.validate({"targets": targets}, SCHEMA,
                                        cls=jsonschema.Draft202012Validator)
                proc = self.loads(targets)
                self.assertEqual(proc.returncode, 2, proc.stdout)
                self.assertRegex(proc.stderr, r"targets\.yaml(:\d+:\d+)?: ")
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_failover_is_a_boolean_of_the_file(self):
        targets = [{"name": "a", "type": "local", "hardware_class": "c1"},
                   {"name": "b", "type": "local", "hardware_class": "c1"}]
        path = self.dir / "failover.yaml"
        for failover, ok in ((True, True), (False, True), ("often", False)):
            with self.subTest(failover=failover):
                doc = {"failover": failover, "targets": targets}
                valid = jsonschema.Draft202012Validator(SCHEMA).is_valid(doc)
                self.assertEqual(valid, ok)
                path.write_text(json.dumps(doc))
                proc = self.load(path)
                self.assertEqual(proc.returncode, 0 if ok else 2, proc.stderr)
                if ok:
                    self.assertEqual([t["hardware_class"] for t in json.loads(proc.stdout)],
                                     ["c1", "c1"])
                else:
                    self.assertRegex(proc.stderr, r"failover\.yaml:\d+:\d+: ")
