"""End-to-end tests of the `dli` command line.

They drive the real binary: bad input must give one clear error line and
exit code 2; a crashing or hanging backend must become a failed result while
the next point still runs; results must validate against the published JSON
schema, and latency_ms.median must equal the median recomputed from the raw
samples after the 3-sigma filter, on the test backend and on every real
framework backend that is available.
"""
import json
import os
import statistics
import subprocess
import sqlite3
import tempfile
import time
import unittest
from pathlib import Path

import jsonschema

DLI = os.environ["DLI_BIN"]
TEST_BACKENDS = os.environ["DLI_TEST_BACKEND_DIR"]
PRODUCT_BACKENDS = os.environ["DLI_BACKEND_DIR"]
SOURCE = Path(os.environ["DLI_SOURCE_DIR"])
SCHEMA = json.loads((SOURCE / "docs" / "schema" / "result.schema.json").read_text())
# The measurement lock of these tests' dli processes: their own, so that they
# neither wait for nor block a dli measuring elsewhere on this host.
LOCK_DIR = tempfile.mkdtemp(prefix="dli-test-lock-")
os.environ["DLI_LOCK_DIR"] = LOCK_DIR
SAMPLE_PHOTOS = [SOURCE / "models" / "_datasets" / "sample",
                 Path("/usr/lib/python3/dist-packages/skimage/data")]


def run(args, backend_dirs=(TEST_BACKENDS,), timeout=600):
    env = dict(os.environ, DLI_BACKEND_PATH=":".join(backend_dirs))
    return subprocess.run([DLI, *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def median_after_three_sigma(samples):
    mean = statistics.fmean(samples)
    std = statistics.stdev(samples) if len(samples) > 1 else 0.0
    kept = [x for x in samples if abs(x - mean) <= 3 * std]
    return statistics.median(kept), len(kept)


class Fixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.model = self.dir / "model.txt"
        self.model.write_text("2\n")

    def tearDown(self):
        self.tmp.cleanup()

    def bench(self, *extra, backend_dirs=(TEST_BACKENDS,), model=None, framework="testing"):
        out = self.dir / "r.json"
        if out.exists():
            out.unlink()
        proc = run(["bench", "--model", str(model or self.model), "--framework", framework,
                    "--json", str(out), "--quiet", *extra], backend_dirs=backend_dirs)
        doc = json.loads(out.read_text()) if out.exists() else None
        return proc, doc

    def assert_valid_and_consistent(self, doc):
        jsonschema.validate(doc, SCHEMA)
        for point in doc["results"]:
            if point["status"] != "ok":
                continue
            samples = point["samples_ms"]
            self.assertEqual(len(samples), point["iterations"])
            median, kept = median_after_three_sigma(samples)
            self.assertEqual(kept, point["samples_kept"])
            self.assertEqual(len(samples) - kept, point["samples_dropped"])
            self.assertAlmostEqual(point["latency_ms"]["median"], median, delta=1e-9 * median)
            self.assertAlmostEqual(point["fps"], point["batch"] * 1000.0 / median,
                                   delta=1e-6 * point["fps"])


class BadInput(Fixture):
    """Each bad input: exit code 2 and one clear line on stderr."""

    def assert_usage_error(self, args, expected, **kw):
        proc = run(args, **kw)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn(expected, lines[0])
        for crash_sign in ("Traceback", "terminate called", "Segmentation", "Aborted"):
            self.assertNotIn(crash_sign, proc.stderr)

    def bench_args(self, *extra):
        return ["bench", "--model", str(self.model), "--framework", "testing", *extra]

    def test_missing_model(self):
        self.assert_usage_error(["bench", "--model", str(self.dir / "nope.onnx"),
                                 "--framework", "testing"], "model file not found")

    def test_unknown_framework(self):
        self.assert_usage_error(["bench", "--model", str(self.model), "--framework", "caffe2"],
                                "unknown framework 'caffe2'")

    def test_unsupported_precision(self):
        self.assert_usage_error(self.bench_args("--precision", "INT8"),
                                "does not support precision 'INT8'")

    def test_unknown_device(self):
        self.assert_usage_error(self.bench_args("--device", "GPU"), "has no device 'GPU'")

    def test_batch_zero_and_negative(self):
        self.assert_usage_error(self.bench_args("--batch", "0"), "positive whole numbers")
        self.assert_usage_error(self.bench_args("--batch", "1,-2"), "positive whole numbers")

    def test_non_numeric_values(self):
        self.assert_usage_error(self.bench_args("--batch", "two"), "positive whole numbers")
        self.assert_usage_error(self.bench_args("--iterations", "many"), "whole number")
        self.assert_usage_error(self.bench_args("--time-limit", "soon"), "expects a number")
        self.assert_usage_error(self.bench_args("--param", "threads=lots"), "expected an integer")

    def test_bad_request_counts(self):
        self.assert_usage_error(self.bench_args("--mode", "throughput", "--requests", "0"),
                                "requests must be at least 1")
        self.assert_usage_error(self.bench_args("--requests", "2"),
                                "latency mode runs one request at a time")
        self.assert_usage_error(self.bench_args("--mode", "burst"),
                                "unknown measurement mode 'burst'")
        self.assert_usage_error(self.bench_args("--mode", "throughput", "--requests", "17"),
                                "this backend keeps at most 16 requests in flight; asked for 17")

    def test_unknown_parameter_and_bad_choice(self):
        self.assert_usage_error(self.bench_args("--param", "turbo=1"), "no parameter 'turbo'")
        self.assert_usage_error(self.bench_args("--param", "mode=weird"), "expected one of")
        self.assert_usage_error(self.bench_args("--param", "novalue"), "key=value")

    def test_image_folder_without_decodable_images(self):
        (self.dir / "imgs").mkdir()
        (self.dir / "imgs" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
        self.assert_usage_error(self.bench_args("--images", str(self.dir / "imgs")),
                                "no decodable image")
        self.assert_usage_error(self.bench_args("--images", str(self.dir / "missing")),
                                "image folder not found")

    def test_unknown_option_and_missing_required(self):
        self.assert_usage_error(self.bench_args("--fast"), "unknown option --fast")
        self.assert_usage_error(["bench", "--framework", "testing"], "--model is required")

    def test_no_stop_condition(self):
        self.assert_usage_error(self.bench_args("--iterations", "0"), "no stop condition")

    def test_unknown_command(self):
        proc = run(["frobnicate"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("unknown command", proc.stderr)


class Help(unittest.TestCase):
    def test_every_command_has_help(self):
        for command in (["--help"], ["info", "--help"], ["bench", "--help"],
                        ["models", "--help"]):
            proc = run(command)
            self.assertEqual(proc.returncode, 0, command)
            self.assertIn("usage: dli", proc.stdout)


class Info(unittest.TestCase):
    def test_json_lists_every_backend_with_availability(self):
        proc = run(["info", "--json"], backend_dirs=(PRODUCT_BACKENDS, TEST_BACKENDS))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        self.assertGreaterEqual(doc["host"]["logical_cores"], 1)
        names = {fw["name"]: fw for fw in doc["frameworks"]}
        self.assertTrue(names["testing"]["available"])
        self.assertEqual(names["testing"]["version"], "1.0")
        for fw in doc["frameworks"]:
            if fw["available"]:
                self.assertTrue(fw["version"], fw["name"])
                self.assertIn("CPU", fw["devices"], fw["name"])
            else:
                self.assertTrue(fw["reason"], fw["name"])  # says why not


class Bench(Fixture):
    def test_result_validates_and_median_matches_samples(self):
        proc, doc = self.bench("--batch", "1,2", "--iterations", "200", "--save-samples")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([p["batch"] for p in doc["results"]], [1, 2])
        self.assert_valid_and_consistent(doc)
        point = doc["results"][0]
        self.assertEqual(point["iterations"], 200)
        self.assertEqual(point["warmup"], 5)
        self.assertEqual(len(point["model"]["sha256"]), 64)
        self.assertIn("median ms", proc.stdout)  # the table

    def test_time_limit_without_iterations(self):
        proc, doc = self.bench("--time-limit", "0.5", "--save-samples")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(doc["results"][0]["stop_reason"], "time_limit")
        self.assert_valid_and_consistent(doc)

    def test_csv_has_the_familiar_columns(self):
        csv = self.dir / "r.csv"
        proc = run(["bench", "--model", str(self.model), "--framework", "testing",
                    "--iterations", "20", "--csv", str(csv), "--quiet"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, row = csv.read_text().splitlines()[:2]
        for column in ("task", "topology", "framework", "precision", "batch", "device",
                       "parameters", "average_time_ms", "latency_ms", "fps"):
            self.assertIn(column, header.split(","))
        self.assertTrue(row.startswith("ok,"))

    def test_throughput_with_two_requests_doubles_the_rate(self):
        # A sleeping service time overlaps across sessions even on a busy machine.
        fps = {}
        for requests in (1, 2):
            proc, doc = self.bench("--mode", "throughput", "--requests", str(requests),
                                   "--param", "sleep_ms=20", "--iterations", "40",
                                   "--warmup", "2", "--save-samples")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            jsonschema.validate(doc, SCHEMA)
            point = doc["results"][0]
            t = point["throughput"]
            self.assertEqual(t["requests"], requests)
            self.assertEqual(t["completed"], 40)
            self.assertEqual(len(point["samples_ms"]), 40)
            self.assertGreater(t["window_ms"], 40 * 20 / requests * 0.9)
            self.assertEqual(point["fps"], t["fps"])
            self.assertAlmostEqual(t["fps"], 40 * 1000.0 / t["window_ms"], delta=1e-6 * t["fps"])
            self.assertGreaterEqual(point["latency_ms"]["median"], 20)
            self.assertIn(f"throughput x{requests}", proc.stdout)
            fps[requests] = t["fps"]
        self.assertGreater(fps[2] / fps[1], 1.5)
        self.assertLess(fps[2] / fps[1], 2.3)

    def test_four_native_requests_give_about_four_times_the_rate(self):
        # The testing backend's own request calls, on one session: each
        # request sleeps 20 ms, so 4 in flight finish about 4 times as fast.
        fps = {}
        for requests in (1, 4):
            proc, doc = self.bench("--mode", "throughput", "--requests", str(requests),
                                   "--param", "sleep_ms=20", "--iterations", "40",
                                   "--warmup", "1", "--save-samples")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            point = doc["results"][0]
            t = point["throughput"]
            self.assertEqual(t["completed"], 40)
            self.assertEqual(len(point["samples_ms"]), 40)
            self.assertGreater(t["window_ms"], 40 * 20 / requests * 0.99)
            self.assertGreaterEqual(min(point["samples_ms"]), 20)
            fps[requests] = t["fps"]
        self.assertGreater(fps[4] / fps[1], 0.7 * 4)

    def test_real_images_fill_the_ring(self):
        photos = next(p for p in SAMPLE_PHOTOS if p.is_dir())
        # Images need the model's declared preprocessing (there is no default).
        (self.dir / "model.json").write_text(
            '{"name": "model", "preprocessing": {"preset": "imagenet"}}')
        proc, doc = self.bench("--images", str(photos), "--batch", "2", "--iterations", "10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        point = doc["results"][0]
        self.assertGreaterEqual(point["input"]["images"], 2)
        self.assertEqual(point["input"]["batches"], point["input"]["images"] // 2)


class Isolation(Fixture):
    """A backend that crashes, aborts, hangs or fails gives a failed result,
    and the next point of the same run still runs."""

    def check(self, mode, status, error_part, *extra):
        proc, doc = self.bench("--batch", "1,2", "--iterations", "20", "--param",
                               f"mode={mode}", "--param", "fault_batch=1", *extra)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        jsonschema.validate(doc, SCHEMA)
        first, second = doc["results"]
        self.assertEqual(first["status"], status)
        self.assertIn(error_part, first["error"])
        self.assertIsNone(first["fps"])
        self.assertEqual(second["status"], "ok")
        self.assertGreater(second["fps"], 0)

    def test_crash(self):
        self.check("crash", "crashed", "signal 11")

    def test_abort(self):
        self.check("abort", "crashed", "signal 6")

    def test_hang_times_out(self):
        self.check("hang", "timeout", "timed out after 3 s", "--timeout", "3")

    def test_clean_failure(self):
        self.check("fail", "failed", "failure requested")


class Experiments(Fixture):
    """dli run / results / compare / report on the test backend."""

    def write_experiment(self, text):
        path = self.dir / "exp.yaml"
        path.write_text(text)
        return path

    def experiment(self, iterations=40, batches="[1, 2, 4]"):
        return self.write_experiment(
            f"name: smoke\nmodels: [{self.model}]\nframeworks: [testing]\n"
            f"precisions: [FP32, INT8]\nbatches: {batches}\n"
            f"params:\n  testing:\n    threads: [1, 2]\n"
            f"measure: {{iterations: {iterations}, warmup: 1}}\n")

    def test_dry_run_shows_the_plan_and_skips(self):
        proc = run(["run", str(self.experiment()), "--dry-run", "--db", str(self.dir / "r.db")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("12 points, 6 to run, 0 already done, 6 skipped", proc.stdout)
        self.assertIn("skip: testing does not support INT8", proc.stdout)

    def test_modes_and_requests_axes(self):
        exp = self.write_experiment(
            f"models: [{self.model}]\nframeworks: [testing]\nbatches: [1]\n"
            f"modes: [latency, throughput]\nrequests: [1, 2]\n"
            f"params:\n  testing:\n    sleep_ms: [2]\n"
            f"measure: {{iterations: 20, warmup: 1}}\n")
        csv = self.dir / "r.csv"
        db = str(self.dir / "r.db")
        proc = run(["run", str(exp), "--db", db])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(run(["results", "export", "--db", db, "--csv", str(csv)]).returncode, 0)
        rows = [line.split(",") for line in csv.read_text().splitlines()]
        header = rows[0]
        modes = sorted((r[header.index("mode")], r[header.index("requests")]) for r in rows[1:])
        self.assertEqual(modes, [("latency", "1"), ("throughput", "1"), ("throughput", "2")])

    def test_yaml_errors_name_line_and_column(self):
        bad = self.write_experiment("models: [m]\nframeworks: [testing]\nbatches: [1, x]\n")
        proc = run(["run", str(bad), "--dry-run"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("exp.yaml:3:14: each batch size must be a whole number", proc.stderr)
        broken = self.write_experiment("models: [m\nframeworks: [testing]\n")
        proc = run(["run", str(broken), "--dry-run"])
        self.assertEqual(proc.returncode, 2)
        self.assertRegex(proc.stderr, r"exp\.yaml:\d+:\d+: ")

    def test_resume_after_the_runner_is_killed(self):
        self.model.write_text("400\n")  # slow enough to kill mid-sweep
        exp = self.experiment(iterations=60)
        db = self.dir / "r.db"
        env = dict(os.environ, DLI_BACKEND_PATH=TEST_BACKENDS)
        runner = subprocess.Popen([DLI, "run", str(exp), "--db", str(db)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        finished = 0
        while time.time() < deadline and finished < 2:
            time.sleep(0.3)
            if db.exists():
                with sqlite3.connect(db) as con:
                    finished = con.execute("select count(*) from points").fetchone()[0]
        runner.kill()  # SIGKILL: no chance to clean up
        runner.wait()
        self.assertGreaterEqual(finished, 2)
        self.assertLess(finished, 6, "the runner finished before it could be killed")
        with sqlite3.connect(db) as con:
            before = con.execute("select key from points where status='ok'").fetchall()
        proc = run(["run", str(exp), "--db", str(db)])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(f"{6 - len(before)} to run, {len(before)} already done", proc.stdout)
        with sqlite3.connect(db) as con:
            keys = [k for (k,) in con.execute("select key from points where status='ok'")]
        self.assertEqual(len(keys), 6)
        self.assertEqual(len(set(keys)), 6, "a finished point was run again")

    def test_results_compare_and_report(self):
        exp = self.experiment(iterations=30, batches="[1, 2]")
        db = str(self.dir / "r.db")
        self.assertEqual(run(["run", str(exp), "--db", db]).returncode, 0)
        self.assertEqual(run(["run", str(exp), "--db", db, "--rerun"]).returncode, 0)
        listing = run(["results", "list", "--db", db])
        self.assertIn("4 point(s)", listing.stdout)
        csv = self.dir / "all.csv"
        self.assertEqual(run(["results", "export", "--db", db, "--csv", str(csv),
                              "--all-versions"]).returncode, 0)
        self.assertEqual(len(csv.read_text().splitlines()), 1 + 8)
        compare = run(["compare", "1", "2", "--db", db])
        self.assertEqual(compare.returncode, 0, compare.stderr)
        self.assertIn("4 point(s) compared", compare.stdout)
        out = self.dir / "rep" / "report.html"
        proc = run(["report", "--db", db, "--out", str(out)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        html = out.read_text()
        self.assertEqual(html.count("<svg"), 5)  # Fig. 1-4 and the machine-state timeline
        self.assertIn("testing CPU FP32", html)
        for fig in ("fig1_accuracy.svg", "fig2_fps_fp32.svg", "fig3_fps_all_precisions.svg",
                    "fig4_best_fps.svg", "machine_state.svg"):
            self.assertTrue((out.parent / fig).read_text().startswith("<svg"), fig)
        self.assertEqual(run(["report", "--db", str(self.dir / "none.db")]).returncode, 2)
        self.assertEqual(run(["compare", "1", "9", "--db", db]).returncode, 2)


class Repetitions(Fixture):
    def test_bench_repetitions_are_interleaved_and_aggregated(self):
        proc, doc = self.bench("--batch", "1,2", "--iterations", "20", "--repetitions", "3",
                               "--seed", "5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        jsonschema.validate(doc, SCHEMA)
        self.assertEqual(doc["seed"], 5)
        self.assertIn("--seed 5", proc.stdout)
        reps = [(r["batch"], r["repetition"]) for r in doc["results"]]
        self.assertEqual(sorted(reps), [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)])
        for i in range(0, 6, 2):  # round r visits both batches before round r + 1
            self.assertEqual({rep for _, rep in reps[i:i + 2]}, {i // 2})
        for r in doc["results"]:
            m = r["machine"]
            self.assertLessEqual(m["window_start_utc_ms"], m["window_end_utc_ms"])
            self.assertGreater(m["drift_ratio"], 0)
            self.assertIn("other_cpus", m["interference"])
        self.assertEqual([a["batch"] for a in doc["aggregates"]], [1, 2])
        for a in doc["aggregates"]:
            self.assertEqual((a["repetitions"], a["method"]), (3, "t"))
            self.assertLessEqual(a["fps_interval"][0], a["fps"])
            self.assertLessEqual(a["fps"], a["fps_interval"][1])
        _, again = self.bench("--batch", "1,2", "--iterations", "20", "--repetitions", "3",
                              "--seed", "5")
        self.assertEqual([(r["batch"], r["repetition"]) for r in again["results"]], reps)

    def test_experiment_repetitions_resume_and_report(self):
        exp = self.dir / "exp.yaml"
        exp.write_text(
            f"name: reps\nmodels: [{self.model}]\nframeworks: [testing]\nbatches: [1, 2]\n"
            "repetitions: 2\nmeasure: {iterations: 20, warmup: 1}\n")
        db = str(self.dir / "r.db")
        proc = run(["run", str(exp), "--db", db, "--seed", "9"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("2 repetitions each, 4 repetitions to run", proc.stdout)
        self.assertIn("--seed 9", proc.stdout)
        with sqlite3.connect(db) as con:
            config = json.loads(con.execute("select config_json from runs").fetchone()[0])
            keys = [k for (k,) in con.execute("select key from points")]
        self.assertEqual((config["seed"], config["repetitions"]), (9, 2))
        self.assertIn("findings", config["doctor"])
        self.assertEqual(len(set(keys)), 4)
        proc = run(["run", str(exp), "--db", db])
        self.assertIn("0 to run, 2 already done", proc.stdout)
        export = self.dir / "export.json"
        self.assertEqual(run(["results", "export", "--db", db, "--json", str(export)]).returncode, 0)
        aggregates = json.loads(export.read_text())["aggregates"]
        self.assertEqual(sorted(a["batch"] for a in aggregates), [1, 2])
        for a in aggregates:
            self.assertEqual((a["framework"], a["repetitions"], a["ok"]), ("testing", 2, 2))
            self.assertLessEqual(a["fps_interval"][0], a["fps"])
            self.assertLessEqual(a["fps"], a["fps_interval"][1])
        report = self.dir / "report.html"
        proc = run(["report", "--db", db, "--out", str(report)])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        html = report.read_text()
        self.assertIn("Run-to-run variability measured", html)
        self.assertIn("dli doctor before it", html)


class Tune(Fixture):
    """dli tune and `tune:` in experiments, on the test backend: each request
    sleeps 20 ms, so the biggest batch with the most requests in flight is
    the best configuration whatever else the machine does."""

    # threads fixed: the search space does not depend on this machine's cores.
    def tune(self, *extra):
        out = self.dir / "tune.json"
        proc = run(["tune", "--model", str(self.model), "--framework", "testing",
                    "--param", "sleep_ms=20", "--param", "threads=1", "--batch", "1,4",
                    "--requests", "1,3", "--min-measure", "2", "--json", str(out), *extra])
        return proc, (json.loads(out.read_text()) if out.exists() else None)

    def test_finds_the_best_configuration_per_mode(self):
        db = self.dir / "t.db"
        start = time.monotonic()
        proc, doc = self.tune("--budget", "14", "--db", str(db))
        elapsed = time.monotonic() - start
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("[1] mode=latency batch=1 requests=1", proc.stderr)
        self.assertIn("gain", proc.stdout)
        self.assertEqual(doc["schema"], "dli.tune/1")
        self.assertEqual(doc["framework"], "testing")
        self.assertEqual([a["name"] for a in doc["axes"]], ["mode", "batch", "requests"])
        self.assertEqual([g["mode"] for g in doc["groups"]], ["latency", "throughput"])
        latency, throughput = doc["groups"]
        self.assertEqual(latency["best"]["batch"], "4")
        self.assertEqual(throughput["best"], {"mode": "throughput", "batch": "4", "requests": "3"})
        self.assertEqual(throughput["default"],
                         {"mode": "throughput", "batch": "1", "requests": "1"})
        self.assertGreater(throughput["gain"], 6)  # 12 in theory
        # Short throughput windows may leave the interval unbounded (null);
        # latency intervals are always bounded.
        self.assertTrue(latency["significant"])
        for key in ("fps", "ci_low", "ci_high", "seconds"):
            self.assertIn(key, throughput["best_figure"])
        self.assertIn(doc["stop_reason"], ("converged", "budget"))
        self.assertEqual(len(doc["trials"]), doc["measurements"])
        self.assertEqual({t["verdict"] for t in doc["trials"]} - {
            "kept", "worst_half", "outrun", "failed", "final", "baseline"}, set())
        # A measurement may overrun its share by what loading and the
        # machine readings take beyond it.
        self.assertLessEqual(doc["seconds_spent"], 14 * 1.4)
        self.assertLess(elapsed, 14 * 1.4 + 20)  # probing and start-up besides
        with sqlite3.connect(db) as con:
            stored = con.execute("select count(*) from points where status='ok'").fetchone()[0]
        self.assertEqual(stored, len(doc["trials"]))

    def test_bad_input(self):
        proc, _ = self.tune("--budget", "1")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("below the minimum of 12.0 s (6 configurations", proc.stderr)
        for args, expected in (
                (["--framework", "caffe2"], "unknown framework 'caffe2'"),
                (["--framework", "testing", "--param", "turbo=1"], "no parameter 'turbo'"),
                (["--framework", "testing", "--tune", "nope"], "has no such parameter"),
                (["--framework", "testing", "--mode", "burst"], "expects latency, throughput"),
                (["--framework", "testing", "--requests", "0"], "--requests expects positive")):
            proc = run(["tune", "--model", str(self.model), *args])
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            self.assertIn(expected, proc.stderr)
        proc = run(["tune", "--help"])
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--budget", proc.stdout)

    def test_experiment_tunes_once_and_records_both_figures(self):
        exp = self.dir / "exp.yaml"
        exp.write_text(
            f"models: [{self.model}]\nframeworks: [testing]\nbatches: [1]\n"
            f"modes: [latency, throughput]\nrequests: [1]\n"
            f"params:\n  testing:\n    sleep_ms: [20]\n    threads: [1]\n"
            f"measure: {{iterations: 10, warmup: 1}}\n"
            f"tune: {{budget: 6, batches: [1, 4], requests: [1, 3], min_measure: 1}}\n")
        db = self.dir / "r.db"
        proc = run(["run", str(exp), "--db", str(db)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("tuning testing CPU FP32:", proc.stderr)
        self.assertTrue(Path(str(db) + ".tuning.json").exists())
        with sqlite3.connect(db) as con:
            rows = con.execute("select result_json from points").fetchall()
        points = [json.loads(r[0]) for r in rows]
        shapes = {(p["spec"]["batch"], p["spec"]["measure"]["mode"],
                   p["spec"]["measure"]["requests"]) for p in points}
        # The study's two points, and the tuned throughput configuration.
        self.assertIn((1, "latency", 1), shapes)
        self.assertIn((1, "throughput", 1), shapes)
        self.assertIn((4, "throughput", 3), shapes)
        proc = run(["run", str(exp), "--db", str(db)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("tuned before", proc.stderr)
        self.assertIn("finished 0 points", proc.stdout)
        # Through a targets file, each target tunes on its own hardware.
        targets = self.dir / "targets.yaml"
        targets.write_text("targets:\n  - {name: here, type: local}\n")
        proc = run(["run", str(exp), "--db", str(db), "--targets", str(targets)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("here: tuning testing CPU FP32:", proc.stderr)
        self.assertTrue(Path(str(db) + ".target-here.tuning.json").exists())
        with sqlite3.connect(db) as con:
            here = [json.loads(r[0]) for r in con.execute("select result_json from points")]
        here = [p for p in here if p.get("target") == "here"]
        self.assertIn((4, "throughput", 3), {(p["spec"]["batch"], p["spec"]["measure"]["mode"],
                                             p["spec"]["measure"]["requests"]) for p in here})


class MeasurementLock(Fixture):
    def setUp(self):
        super().setUp()
        self.lock_dir = self.dir / "lock"
        self.env = dict(os.environ, DLI_BACKEND_PATH=TEST_BACKENDS, DLI_LOCK_DIR=str(self.lock_dir))

    def start_bench(self, out, *extra):
        return subprocess.Popen([DLI, "bench", "--model", str(self.model), "--framework", "testing",
                                 "--json", str(out), *extra], env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_for_holder(self):
        lock = self.lock_dir / "measure.lock"
        deadline = time.time() + 60
        while time.time() < deadline:
            if lock.exists() and lock.read_text().strip():
                return
            time.sleep(0.05)
        self.fail("nobody took the measurement lock")

    def test_a_second_bench_does_not_measure_at_the_same_time(self):
        self.model.write_text("400\n")  # about 0.1 s a request
        a, b = self.dir / "a.json", self.dir / "b.json"
        first = self.start_bench(a, "--iterations", "10", "--batch", "1,2")
        self.wait_for_holder()
        second = self.start_bench(b, "--iterations", "10")
        _, first_err = first.communicate(timeout=300)
        _, second_err = second.communicate(timeout=300)
        self.assertEqual((first.returncode, second.returncode), (0, 0), first_err + second_err)
        self.assertIn("waiting for the measurement lock held by pid " + str(first.pid), second_err)
        windows = [(r["machine"]["window_start_utc_ms"], r["machine"]["window_end_utc_ms"])
                   for path in (a, b) for r in json.loads(path.read_text())["results"]]
        windows.sort()
        for (_, end), (start, _) in zip(windows, windows[1:]):
            self.assertLessEqual(end, start, f"measured windows overlap: {windows}")

    def test_no_wait_fails_at_once_and_a_crash_releases_the_lock(self):
        self.model.write_text("400\n")
        holder = self.start_bench(self.dir / "a.json", "--iterations", "20")
        self.wait_for_holder()
        proc = subprocess.run([DLI, "bench", "--model", str(self.model), "--framework", "testing",
                               "--no-wait", "--quiet"], env=self.env, text=True,
                              capture_output=True, timeout=60)
        holder.communicate(timeout=300)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("another dli is measuring on this host: pid " + str(holder.pid), proc.stderr)
        # A worker that crashes while its parent holds the lock: the next command gets it.
        self.model.write_text("2\n")
        crash = subprocess.run([DLI, "bench", "--model", str(self.model), "--framework", "testing",
                                "--param", "mode=crash", "--quiet"], env=self.env, text=True,
                               capture_output=True, timeout=120)
        self.assertEqual(crash.returncode, 1, crash.stderr)
        after = subprocess.run([DLI, "bench", "--model", str(self.model), "--framework",
                                "testing", "--iterations", "5", "--no-wait", "--quiet"],
                               env=self.env, text=True, capture_output=True, timeout=120)
        self.assertEqual(after.returncode, 0, after.stderr)


class Models(Fixture):
    """dli models list/show on a models folder written here, and the refusal
    of image commands for a model that declares no preprocessing."""

    def setUp(self):
        super().setUp()
        self.models = self.dir / "models"
        model = self.models / "plain"
        model.mkdir(parents=True)
        (model / "m.onnx").write_text("onnx")
        (model / "model.json").write_text(json.dumps({
            "schema": "dli.model/1", "name": "plain", "task": "generic",
            "origin": "imported",
            "formats": [{"id": "onnx-fp32", "format": "onnx", "precision": "FP32",
                         "path": "m.onnx", "frameworks": ["onnxruntime"],
                         "converter": "(the imported file)", "converter_version": "-",
                         "parity": {"inputs": 2, "top1_equal": 2, "max_abs_diff": 0.0}}],
            "conversions": [{"step": "mxnet", "formats": ["mxnet_symbol"],
                             "frameworks": ["mxnet"], "converter": "mxnet.contrib.onnx",
                             "status": "failed", "reason": "No conversion function for Einsum"}]}))
        os.environ["DLI_MODELS_DIR"] = str(self.models)

    def tearDown(self):
        del os.environ["DLI_MODELS_DIR"]
        super().tearDown()

    assert_usage_error = BadInput.assert_usage_error

    def test_list_and_show(self):
        proc = run(["models", "list", "--json"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        (model,) = json.loads(proc.stdout)["models"]
        self.assertEqual((model["name"], model["preprocessing"]), ("plain", "undeclared"))
        self.assertEqual((model["frameworks"], model["missing"]), (["onnxruntime"], ["mxnet"]))
        proc = run(["models", "show", "plain"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"onnx-fp32 +onnxruntime +ok .* top-1 2/2")
        self.assertRegex(proc.stdout, r"mxnet +mxnet +failed .* No conversion function for Einsum")
        self.assert_usage_error(["models", "show", "nothing"], "no model 'nothing'")

    def test_accuracy_and_check_refuse_a_model_without_preprocessing(self):
        for command in (["accuracy", "--framework", "testing", "--dataset", str(self.dir)],
                        ["check"]):
            with self.subTest(command=command[0]):
                self.assert_usage_error([*command, "--model", "plain"],
                                        "model 'plain' declares no preprocessing")
                proc = run([*command, "--model", "plain"])
                self.assertIn("presets: imagenet, inception, caffe, none", proc.stderr)
        self.assert_usage_error(["accuracy", "--model", str(self.model), "--framework", "testing",
                                 "--dataset", str(self.dir)],
                                "has no model.json declaring its preprocessing")
        self.assert_usage_error(["accuracy", "--model", "plain", "--framework", "testing",
                                 "--dataset", str(self.dir), "--preprocessing", "vgg"],
                                "unknown preprocessing preset 'vgg'")

    def test_import_bad_input_is_one_line(self):
        self.assert_usage_error(["models", "import", "x", "--from", str(self.dir / "m.h5")],
                                "no such file")
        self.assert_usage_error(["models", "import", "plain", "--from", str(self.model)],
                                "already exists")


class MultiInput(Fixture):
    """The testing backend's text-encoder-like model ("N multi": input_ids
    and attention_mask of an open sequence length, features; outputs pooled
    and counts): --shape on bench, check and experiments, and the model
    description's inputs."""

    SHAPES = ("--shape", "input_ids=1x8", "--shape", "attention_mask=1x8")
    OPEN = ("input 'input_ids' (?x?) leaves dimension 1 open; give its shape "
            "(dli bench --shape input_ids=..., or the model description)")

    def setUp(self):
        super().setUp()
        self.model.write_text("1 multi\n")

    assert_usage_error = BadInput.assert_usage_error

    def test_bench_runs_every_input_and_records_the_shapes(self):
        proc, doc = self.bench(*self.SHAPES, "--batch", "1,2", "--iterations", "10",
                               "--save-samples")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_valid_and_consistent(doc)
        for point, batch in zip(doc["results"], (1, 2)):
            self.assertEqual(point["shapes"], {"input_ids": "1x8", "attention_mask": "1x8"})
            self.assertEqual(point["spec"]["shapes"], point["shapes"])
            self.assertEqual(point["input"]["shape"],
                             f"input_ids [{batch},8]; attention_mask [{batch},8]; "
                             f"features [{batch},4]")
            self.assertEqual(point["output_shape"], f"pooled [{batch},4]; counts [{batch},2]")
        # Image models record no shapes.
        self.model.write_text("1\n")
        proc, doc = self.bench("--iterations", "10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("shapes", doc["results"][0])

    def test_a_missing_shape_fails_the_point_with_one_line(self):
        proc, doc = self.bench("--iterations", "10")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        (point,) = doc["results"]
        self.assertEqual(point["status"], "failed")
        self.assertEqual(point["error"], "testing: " + self.OPEN)
        proc, doc = self.bench(*self.SHAPES, "--shape", "token_type_ids=1x8",
                               "--iterations", "10")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(doc["results"][0]["error"],
                         "testing: the model has no input 'token_type_ids'")

    def test_malformed_shapes_are_usage_errors(self):
        args = ["bench", "--model", str(self.model), "--framework", "testing"]
        self.assert_usage_error([*args, "--shape", "input_ids=1x"],
                                "--shape input_ids: '1x' is not a shape")
        self.assert_usage_error([*args, "--shape", "input_ids"], "expected NAME=AxB")
        self.assert_usage_error([*args, "--shape", "a=1x2", "--shape", "a=1x3"], "given twice")
        self.assert_usage_error(["tune", "--model", str(self.model), "--framework", "testing",
                                 "--shape", "ids=0x1"], "'0x1' is not a shape")
        exp = self.dir / "exp.yaml"
        exp.write_text(f"models: [{self.model}]\nframeworks: [testing]\nbatches: [1]\n"
                       f"shapes:\n  input_ids: 1xQ\n")
        self.assert_usage_error(["run", str(exp), "--dry-run"],
                                "exp.yaml:5:14: shapes.input_ids '1xQ' is not a shape")

    def test_images_need_a_declared_preprocessing_up_front(self):
        photos = next(p for p in SAMPLE_PHOTOS if p.is_dir())
        self.model.write_text("1\n")
        (self.dir / "model.json").write_text('{"name": "model"}')
        self.assert_usage_error(
            ["bench", "--model", str(self.model), "--framework", "testing",
             "--images", str(photos)],
            "dli bench --images needs images, but model 'model' declares no preprocessing")

    def test_experiment_shapes_reach_every_point(self):
        exp = self.dir / "exp.yaml"
        exp.write_text(f"models: [{self.model}]\nframeworks: [testing]\nbatches: [1, 2]\n"
                       f"shapes:\n  input_ids: 1x5\n  attention_mask: [1, 5]\n"
                       f"measure: {{iterations: 10, warmup: 1}}\n")
        db = self.dir / "r.db"
        proc = run(["run", str(exp), "--db", str(db)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = self.dir / "points.json"
        proc = run(["results", "export", "--db", str(db), "--json", str(out)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        points = [p["result"] for p in json.loads(out.read_text())["points"]]
        self.assertEqual(len(points), 2)
        for point in points:
            self.assertEqual(point["status"], "ok", point["error"])
            self.assertEqual(point["shapes"], {"input_ids": "1x5", "attention_mask": "1x5"})
            self.assertIn("input_ids [", point["input"]["shape"])

    def write_prepared_model(self, inputs):
        models = self.dir / "models"
        (models / "enc").mkdir(parents=True)
        (models / "enc" / "enc.txt").write_text("1 multi\n")
        (models / "enc" / "copy.txt").write_text("3 multi\n")
        (models / "enc" / "model.json").write_text(json.dumps({
            "schema": "dli.model/1", "name": "enc", "task": "generic", "inputs": inputs,
            "outputs": [{"name": "pooled", "shape": [-1, 4]},
                        {"name": "counts", "shape": [-1, 2]}],
            "formats": [{"id": "onnx-fp32", "format": "onnx", "precision": "FP32",
                         "path": "enc.txt", "frameworks": ["testing"]},
                        {"id": "copy-fp32", "format": "text", "precision": "FP32",
                         "path": "copy.txt", "frameworks": ["testing"]}]}))
        return models

    def test_check_compares_every_output_on_synthetic_inputs(self):
        models = self.write_prepared_model([
            {"name": "input_ids", "shape": [-1, 16], "dtype": "int64", "kind": "token_ids",
             "vocab_size": 100},
            {"name": "attention_mask", "shape": [-1, 16], "dtype": "int64", "kind": "mask"},
            {"name": "features", "shape": [-1, 4], "dtype": "float32"}])
        env = dict(os.environ, DLI_MODELS_DIR=str(models))
        out = self.dir / "parity.json"
        proc = subprocess.run([DLI, "check", "--model", "enc", "--json", str(out)],
                              capture_output=True, text=True,
                              env=dict(env, DLI_BACKEND_PATH=TEST_BACKENDS))
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        self.assertIn("8 synthetic inputs", proc.stdout)
        doc = json.loads(out.read_text())
        self.assertEqual(doc["reference"]["framework"], "testing")
        self.assertEqual([(r["format"], r["pass"], r["images"]) for r in doc["results"]],
                         [("onnx-fp32", True, 8), ("copy-fp32", True, 8)])
        # Open sequence lengths: --shape fills them; without it the check fails.
        (self.dir / "models" / "enc" / "model.json").write_text(
            (self.dir / "models" / "enc" / "model.json").read_text().replace("16", "-1"))
        proc = subprocess.run([DLI, "check", "--model", "enc"], capture_output=True, text=True,
                              env=dict(env, DLI_BACKEND_PATH=TEST_BACKENDS))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(self.OPEN, proc.stderr)
        proc = subprocess.run([DLI, "check", "--model", "enc", "--shape", "input_ids=1x4",
                               "--shape", "attention_mask=1x4"],
                              capture_output=True, text=True,
                              env=dict(env, DLI_BACKEND_PATH=TEST_BACKENDS))
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        # Accuracy needs images, which this model cannot take.
        proc = subprocess.run([DLI, "accuracy", "--model", "enc", "--framework", "testing",
                               "--dataset", str(self.dir)], capture_output=True, text=True,
                              env=dict(env, DLI_BACKEND_PATH=TEST_BACKENDS))
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("model 'enc' has no image input (inputs: input_ids (token_ids), "
                      "attention_mask (mask), features (random))", proc.stderr)


class RealBackends(Fixture):
    """`dli bench` of the prepared reference model on every available framework."""

    def test_every_available_backend(self):
        proc = run(["info", "--json"], backend_dirs=(PRODUCT_BACKENDS,))
        frameworks = [fw["name"] for fw in json.loads(proc.stdout)["frameworks"]
                      if fw["available"]]
        model_json = SOURCE / "models" / "mobilenet_v2" / "model.json"
        if not frameworks or not model_json.exists():
            self.skipTest("no framework backend built or reference model not prepared "
                          "(scripts/test.sh prepares both)")
        formats = json.loads(model_json.read_text())["formats"]
        photos = next(p for p in SAMPLE_PHOTOS if p.is_dir())
        tested = []
        for fw in frameworks:
            if not any(fw in f.get("frameworks", []) and f["precision"] == "FP32"
                       for f in formats):
                continue
            with self.subTest(framework=fw):
                proc, doc = self.bench("--batch", "1,2", "--iterations", "30", "--warmup", "2",
                                       "--images", str(photos), "--save-samples",
                                       model="mobilenet_v2", framework=fw,
                                       backend_dirs=(PRODUCT_BACKENDS,))
                self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
                self.assert_valid_and_consistent(doc)
                for point in doc["results"]:
                    self.assertEqual(point["output_shape"], f"[{point['batch']},1000]")
                tested.append(fw)
        self.assertTrue(tested, "no available framework has an FP32 reference model")

    def test_throughput_mode_on_every_available_backend(self):
        # Each backend's own mechanism (docs/METHODOLOGY.md, "Throughput
        # mode"); one refused up front says why in one line.
        proc = run(["info", "--json"], backend_dirs=(PRODUCT_BACKENDS,))
        frameworks = [fw["name"] for fw in json.loads(proc.stdout)["frameworks"]
                      if fw["available"]]
        if not frameworks or not (SOURCE / "models" / "mobilenet_v2" / "model.json").exists():
            self.skipTest("no framework backend built or reference model not prepared")
        for fw in frameworks:
            with self.subTest(framework=fw):
                proc, doc = self.bench("--mode", "throughput", "--requests", "2",
                                       "--iterations", "20", "--warmup", "1", "--save-samples",
                                       model="mobilenet_v2", framework=fw,
                                       backend_dirs=(PRODUCT_BACKENDS,))
                if proc.returncode == 2:
                    self.assertIn("throughput mode:", proc.stderr)
                    self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
                    continue
                self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
                jsonschema.validate(doc, SCHEMA)
                t = doc["results"][0]["throughput"]
                self.assertEqual(t["completed"], 20)
                self.assertGreater(t["window_ms"], 0)
                self.assertGreater(t["fps"], 0)


class Quality(Fixture):
    """Accuracy and parity on the real sample photos (methodology steps 2 and 5)."""

    def setUp(self):
        super().setUp()
        self.sample = SOURCE / "models" / "_datasets" / "sample"
        if not (SOURCE / "models" / "mobilenet_v2" / "model.json").exists():
            self.skipTest("reference model not prepared (scripts/test.sh prepares it)")

    def accuracy(self, *args):
        out = self.dir / "acc.json"
        proc = run(["accuracy", "--dataset", str(self.sample), "--json", str(out), *args],
                   backend_dirs=(PRODUCT_BACKENDS,))
        return proc, json.loads(out.read_text()) if out.exists() else None

    def test_pretrained_model_is_right_on_every_fp32_framework(self):
        proc, doc = self.accuracy("--model", "mobilenet_v2", "--framework", "all")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(doc["dataset"]["sanity_only"])
        self.assertIn("not an ImageNet accuracy figure", proc.stdout)
        top1_of = {}
        for r in doc["results"]:
            with self.subTest(framework=r["framework"]):
                self.assertEqual(r["status"], "ok")
                # the bar: 7 of 8 in top-5, 6 of 8 in top-1
                self.assertGreaterEqual(r["top5"] / r["images"], 7 / 8)
                self.assertGreaterEqual(r["top1"] / r["images"], 6 / 8)
                top1_of[r["framework"]] = [p["top5"][0] for p in r["predictions"]]
        self.assertGreaterEqual(len(top1_of), 2)
        first = next(iter(top1_of.values()))
        for fw, top1 in top1_of.items():
            self.assertEqual(top1, first, f"{fw} disagrees on a top-1 class")
        self.assertEqual(doc["max_difference_pct"]["top1"], 0)

    def test_random_weights_fail_the_check(self):
        onnx = self.dir / "random_mobilenet_v2.onnx"
        subprocess.run(["/usr/bin/python3", "-c", f"""
import torch, torchvision
torch.manual_seed(0)
model = torchvision.models.mobilenet_v2().eval()
torch.onnx.export(model, torch.zeros(1, 3, 224, 224), "{onnx}", opset_version=10,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={{"input": {{0: "batch"}}, "logits": {{0: "batch"}}}})
"""], check=True, capture_output=True)
        proc, doc = self.accuracy("--model", str(onnx), "--framework", "onnxruntime",
                                  "--preprocessing", "imagenet")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertLessEqual(doc["results"][0]["top1"], 1)

    def test_parity_of_every_converted_model(self):
        out = self.dir / "parity.json"
        # FP32 and FP16 here; quantized models are checked by the optimize tests.
        proc = run(["check", "--precision", "FP32,FP16", "--json", str(out)],
                   backend_dirs=(PRODUCT_BACKENDS,))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        doc = json.loads(out.read_text())
        fp32 = [r for r in doc["results"] if r["precision"] == "FP32"]
        self.assertGreaterEqual(len(fp32), 2)
        for r in doc["results"]:
            with self.subTest(framework=r["framework"], format=r["format"]):
                self.assertTrue(r["pass"], r["reason"])
                self.assertGreaterEqual(r["images"], 8)
        for r in fp32:
            self.assertEqual(r["top1_agree"], r["images"])
            self.assertLessEqual(r["max_abs_diff"], 1e-3)


if __name__ == "__main__":
    unittest.main()
