"""The many-machines command lines against real daemons on this machine.

Every command here comes from dli's own builders (exec/remote_commands.h,
through dli_targets_tool) and runs against three sshd on 127.0.0.1 (a host, a
jump host, one that offers passwords only), a Slurm cluster of three
nodes (munge, slurmctld, three slurmd) and podman with an image built here
from busybox. setUpModule starts them all; the module cleanup stops each by
its PID, also when a test or the start failed, and fails the run when any
process it started is still alive. A Slurm job left to reach its time limit
(a minute at least) starts with the daemons, and its test runs last.

Needs root: without it every test is skipped. Where podman cannot build or
run an image, the container tests alone are skipped, with the reason.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import harness

TOOL = os.environ.get("DLI_TARGETS_TOOL", "")
DLI = os.environ.get("DLI_BIN", "")
BACKENDS = os.environ.get("DLI_TEST_BACKEND_DIR", "")
HERE = Path(__file__).resolve().parent
PROGRAMS = ["/usr/sbin/sshd", "ssh", "ssh-keygen", "rsync", "munged", "slurmctld", "slurmd",
            "srun", "salloc", "unshare"]
CONTAINER_PROGRAMS = ["podman", "runc", "conmon", "/bin/busybox", "ldd"]


class Cluster:
    """What setUpModule started; one per run."""
    root = None
    daemons = None
    slurm = None
    podman = None
    targets = None
    env = None
    sshd = {}
    image = None  # its dli is fake_worker.sh: what the transport tests look at
    real_image = None  # the real dli and the test backend
    no_containers = ""  # why podman cannot run here; "" = it can
    background = []  # Popen of commands left running by a test
    time_limit_job = None
    time_limit_step = None


C = Cluster


def tool(*args, check=True):
    proc = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"dli_targets_tool {' '.join(map(str, args))}: {proc.stderr}")
    return json.loads(proc.stdout) if proc.returncode == 0 else proc


def run(argv, input=None, timeout=60):
    """Runs a built command line in its own session: ssh can never prompt on
    a terminal, and what it leaves behind carries the run's marker."""
    return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                          env=C.env, start_new_session=True)


def start(argv):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=C.env,
                            start_new_session=True)
    C.background.append(proc)
    return proc


def write_targets():
    """targets.yaml for the daemons, with key paths relative to its folder."""
    def ssh(name, port, **kw):
        target = dict(name=name, type="ssh", host="127.0.0.1", port=port, user="root",
                      identity="keys/id_ed25519", known_hosts="keys/known_hosts",
                      dli=str(HERE / "fake_worker.sh"))
        target.update(kw)
        if "container" in kw:
            del target["dli"]  # the image's
        return target

    lab1, lab2, pw = C.sshd["lab1"].port, C.sshd["lab2"].port, C.sshd["pwonly"].port
    image = {"engine": "podman", "image": C.image}
    targets = [
        {"name": "here", "type": "local", "container": image},
        ssh("lab1", lab1),
        ssh("lab1-boxed", lab1, container=image),
        ssh("lab2", lab2),
        ssh("lab1-via-lab2", lab1, jump="lab2"),
        ssh("lab1-via-bad-jump", lab1, jump="lab2-wrong-host-key"),
        ssh("lab1-wrong-host-key", lab1, known_hosts="keys/known_hosts_wrong"),
        ssh("lab2-wrong-host-key", lab2, known_hosts="keys/known_hosts_wrong"),
        ssh("lab1-unknown-host", lab1, known_hosts="keys/known_hosts_empty"),
        ssh("lab1-wrong-key", lab1, identity="keys/other_ed25519"),
        ssh("lab1-open-key", lab1, identity="keys/open_ed25519"),
        ssh("password-only", pw),
        ssh("closed", harness.free_port()),
        {"name": "cluster", "type": "slurm", "partition": "debug", "nodes": 2, "time": "5"},
        {"name": "cluster-boxed", "type": "slurm", "partition": "debug", "nodes": 1,
         "time": "5", "exclusive": False, "container": image},
        {"name": "cluster-login", "type": "slurm", "partition": "debug", "time": "5",
         "via": "lab1"},
        {"name": "slow", "type": "slurm", "partition": "slow", "time": "1"},
        # dli's own executors (class Executors), after the entries tests index.
        {"name": "here-plain", "type": "local"},
        ssh("lab1-dli", lab1, dli=DLI),
        ssh("lab2-dli", lab2, dli=DLI),
        ssh("closed-dli", harness.free_port(), dli=DLI),
        {"name": "cluster-dli", "type": "slurm", "partition": "debug", "nodes": 2, "time": "5",
         "dli": DLI},
    ]
    path = C.root / "targets.yaml"
    path.write_text(json.dumps({"targets": targets}, indent=1))  # JSON is YAML
    return path


def make_keys():
    keys = C.root / "keys"
    keys.mkdir()
    for name in ("id_ed25519", "other_ed25519", "open_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)],
                       check=True)
    (keys / "open_ed25519").chmod(0o644)
    for sshd in C.sshd.values():
        sshd.authorize(keys / "id_ed25519.pub")
        sshd.authorize(keys / "open_ed25519.pub")
    (keys / "known_hosts").write_text("".join(s.known_hosts_line() for s in C.sshd.values()))
    # Each host's port with the other's key: a changed or impostor host.
    lab1, lab2 = C.sshd["lab1"], C.sshd["lab2"]
    (keys / "known_hosts_wrong").write_text(
        lab2.known_hosts_line().replace(f":{lab2.port} ", f":{lab1.port} ") +
        lab1.known_hosts_line().replace(f":{lab1.port} ", f":{lab2.port} "))
    (keys / "known_hosts_empty").write_text("")


FAKE_DLI_CONTAINERFILE = """FROM {base}
COPY fake_worker.sh /usr/local/bin/dli
"""


def build_image(base, image):
    context = C.root / "image"
    context.mkdir()
    shutil.copy(HERE / "fake_worker.sh", context / "fake_worker.sh")
    (context / "Containerfile").write_text(FAKE_DLI_CONTAINERFILE.format(base=base))
    proc = C.podman.run("build", "--pull=never", "--network=none", "--quiet", "-t", image,
                        str(context))
    if proc.returncode:
        raise RuntimeError(f"podman build failed: {proc.stderr}")
    return image


def setUpModule():
    if os.geteuid() != 0:
        raise unittest.SkipTest("cluster tests need root: they start sshd, Slurm and podman")
    missing = [p for p in PROGRAMS if not shutil.which(p)]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: run scripts/setup.sh cluster")
    if not TOOL:
        raise RuntimeError("DLI_TARGETS_TOOL is not set (run the test through ctest)")
    C.root = Path(tempfile.mkdtemp(prefix="dli-cluster-"))
    C.root.chmod(0o711)
    C.daemons = harness.Daemons(C.root)
    unittest.addModuleCleanup(stop_everything)
    started = time.monotonic()

    C.slurm = harness.Slurm(C.daemons)
    C.podman = harness.Podman(C.daemons)
    C.env = dict(C.slurm.env, DLI_BACKEND_PATH=BACKENDS,
                 **{k: v for k, v in C.podman.env.items() if k.startswith("CONTAINERS_")})
    session_env = {"SLURM_CONF": str(C.slurm.conf), "DLI_BACKEND_PATH": BACKENDS,
                   "CONTAINERS_CONF": C.podman.env["CONTAINERS_CONF"],
                   "CONTAINERS_STORAGE_CONF": C.podman.env["CONTAINERS_STORAGE_CONF"]}
    # lab2 is the jump host: its debug log shows the forwarded connections.
    C.sshd = {"lab1": harness.Sshd(C.daemons, "lab1", env=session_env),
              "lab2": harness.Sshd(C.daemons, "lab2", log_level="DEBUG1",
                                         env={"DLI_BACKEND_PATH": BACKENDS}),
              "pwonly": harness.Sshd(C.daemons, "pwonly", password_only=True)}
    make_keys()
    C.image, C.real_image = "localhost/dli-test-worker", "localhost/dli-test-real"
    missing = [p for p in CONTAINER_PROGRAMS if not shutil.which(p)]
    if missing:
        C.no_containers = f"missing {', '.join(missing)} (scripts/setup.sh cluster)"
    else:
        try:
            base = C.podman.busybox_image("localhost/dli-test-busybox")
            build_image(base, C.image)
            C.podman.dli_image(C.real_image, base, DLI,
                               Path(BACKENDS) / "libdli_backend_testing.so")
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            C.no_containers = f"podman cannot build or run images here: {e}"
    if C.no_containers:
        print(f"\ncontainer tests skipped: {C.no_containers}", flush=True)
    C.targets = write_targets()

    # The time-limit job: an allocation of `slow` (one minute) whose step would
    # run five; Slurm ends both when the minute is over, while the other tests run.
    proc = run(tool("salloc", C.targets, "slow", "dli-time-limit", 20))
    C.time_limit_job = _job_id(proc)
    C.time_limit_step = start(tool("step", C.time_limit_job, "dli-hung-point",
                                   "sleep", "300"))
    harness.wait_for(lambda: run(["squeue", "--steps", "--noheader", f"--jobs={C.time_limit_job}",
                                  "--format=%i"]).stdout.strip(), 20, "the hung step")
    C.slurm.restart_controller()
    print(f"\ncluster started in {time.monotonic() - started:.1f} s", flush=True)


def _job_id(salloc_proc):
    proc = subprocess.run([TOOL, "salloc-job-id"], input=salloc_proc.stderr, capture_output=True,
                          text=True, check=True)
    job = json.loads(proc.stdout)
    if not job:
        raise RuntimeError(f"salloc gave no job: {salloc_proc.stderr}")
    return job


def stop_everything():
    for proc in C.background:
        harness.stop_pid(proc.pid, grace=3.0)
    left = harness.stop_everything(C.daemons, C.slurm, C.podman)
    if left:
        raise AssertionError(f"still running after the cluster tests: {', '.join(left)}")
    shutil.rmtree(C.root, ignore_errors=True)


def need_containers(test):
    if C.no_containers:
        test.skipTest(C.no_containers)


def worker_spec(model=""):
    return json.dumps({"point": "p1", "model": model})


class Ssh(unittest.TestCase):
    def ssh(self, target, *command, control_dir="", **kw):
        return run(tool("ssh", C.targets, target, control_dir, *command), **kw)

    def test_key_accepted_and_command_quoted(self):
        proc = self.ssh("lab1", "printf", "%s|", "a b", "$HOME", "it's")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "a b|$HOME|it's|")

    def test_worker_reads_stdin_and_writes_stdout(self):
        argv = tool("worker", C.targets, "lab1", "/unused", "", "", "p1", "")
        proc = run(argv, input=worker_spec())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        event = json.loads(proc.stdout)
        self.assertEqual(event["spec"], json.loads(worker_spec()))
        self.assertIn("fake worker: read", proc.stderr)

    def test_wrong_host_key_refused(self):
        proc = self.ssh("lab1-wrong-host-key", "true")
        self.assertEqual(proc.returncode, 255)
        self.assertIn("REMOTE HOST IDENTIFICATION HAS CHANGED", proc.stderr)
        self.assertIn("Host key verification failed", proc.stderr)

    def test_unknown_host_refused_and_not_learned(self):
        proc = self.ssh("lab1-unknown-host", "true")
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Host key verification failed", proc.stderr)
        self.assertEqual((C.root / "keys" / "known_hosts_empty").read_text(), "")

    def test_missing_known_hosts_refused(self):
        text = C.targets.read_text()
        no_kh = C.root / "no_known_hosts.yaml"
        doc = json.loads(text)
        del doc["targets"][1]["known_hosts"]
        no_kh.write_text(json.dumps(doc, indent=1))
        proc = tool("load", no_kh, check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertRegex(proc.stderr, r"no_known_hosts.yaml:\d+:\d+: target lab1 \(type ssh\) "
                                      r"needs known_hosts:")
        doc["targets"][1]["known_hosts"] = "keys/absent"
        no_kh.write_text(json.dumps(doc))
        proc = tool("check-files", no_kh, "lab1", check=False)
        self.assertEqual(proc.stderr.strip(), "target lab1: known_hosts file not found: "
                         f"{C.root}/keys/absent")

    def test_wrong_client_key_refused(self):
        proc = self.ssh("lab1-wrong-key", "true")
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Permission denied (publickey)", proc.stderr)

    def test_key_readable_by_others_refused(self):
        proc = tool("check-files", C.targets, "lab1-open-key", check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("can be read by others (mode 0644) and ssh refuses such keys", proc.stderr)
        proc = self.ssh("lab1-open-key", "true")  # ssh agrees, although the key is authorized
        self.assertEqual(proc.returncode, 255)
        self.assertIn("UNPROTECTED PRIVATE KEY FILE", proc.stderr)

    def test_password_only_server_refused_without_prompt(self):
        started = time.monotonic()
        proc = self.ssh("password-only", "true", timeout=30)
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Permission denied (password)", proc.stderr)
        self.assertLess(time.monotonic() - started, 10)

    def test_password_key_refused_when_loading(self):
        doc = json.loads(C.targets.read_text())
        doc["targets"][1]["password"] = "hunter2"
        path = C.root / "password.yaml"
        path.write_text(json.dumps(doc, indent=1))
        proc = tool("load", path, check=False)
        self.assertEqual(proc.returncode, 2)
        self.assertRegex(proc.stderr.strip(), r"^.*password.yaml:\d+:\d+: target lab1: passwords "
                                              r"are not accepted; use identity: with a key file$")

    def test_closed_port_fails_fast(self):
        started = time.monotonic()
        proc = self.ssh("closed", "true", timeout=30)
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Connection refused", proc.stderr)
        self.assertLess(time.monotonic() - started, 10)

    def test_jump_host_with_its_own_strict_keys(self):
        jump_log = C.sshd["lab2"].log
        before = jump_log.read_text(errors="replace")
        proc = self.ssh("lab1-via-lab2", "echo", "through")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "through\n")
        forwarded = jump_log.read_text(errors="replace")[len(before):]
        self.assertRegex(forwarded, r"server_request_direct_tcpip: originator .*, target "
                                    rf"127\.0\.0\.1 port {C.sshd['lab1'].port}\n")
        # The jump connection checks the jump host's key against its own known_hosts.
        proc = self.ssh("lab1-via-bad-jump", "true")
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Host key verification failed", proc.stderr)

    def test_dash_J_would_drop_the_options(self):
        """Why ProxyCommand: `-J` starts the jump's ssh without our -i/-o
        options, so it cannot verify the jump host against our known_hosts."""
        argv = tool("ssh", C.targets, "lab1-via-lab2", "", "true")
        at = next(i for i, a in enumerate(argv) if a.startswith("ProxyCommand="))
        argv[at - 1:at + 1] = ["-J", f"root@127.0.0.1:{C.sshd['lab2'].port}"]
        proc = run(argv, timeout=30)  # no terminal: the jump's ssh cannot ask either
        self.assertEqual(proc.returncode, 255)
        self.assertIn("Host key verification failed", proc.stderr)

    def test_shared_connection_and_its_end(self):
        control = C.root / "cm"
        control.mkdir(mode=0o700)
        first = time.monotonic()
        self.assertEqual(self.ssh("lab1", "true", control_dir=control).returncode, 0)
        first = time.monotonic() - first
        second = time.monotonic()
        self.assertEqual(self.ssh("lab1", "true", control_dir=control).returncode, 0)
        second = time.monotonic() - second
        check_argv = tool("ssh-exit", C.targets, "lab1", control)
        check_argv[check_argv.index("exit")] = "check"
        check = run(check_argv)
        self.assertIn("Master running (pid=", check.stderr)
        master = int(check.stderr.split("pid=")[1].split(")")[0])
        self.assertTrue(harness.pid_alive(master))
        self.assertLess(second, first)
        proc = run(tool("ssh-exit", C.targets, "lab1", control))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        harness.wait_for(lambda: not harness.pid_alive(master), 5, "ssh master exit")
        print(f"\n  ssh: first connection {first * 1000:.0f} ms, shared {second * 1000:.0f} ms",
              flush=True)

    def test_model_upload_by_content(self):
        model = C.root / "model.onnx"
        model.write_bytes(os.urandom(3 << 20))
        sha = hashlib.sha256(model.read_bytes()).hexdigest()
        argv = tool("upload", C.targets, "lab1-via-lab2", "", model, sha)
        proc = run(argv)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        cached = C.sshd["lab1"].home / ".cache" / "dli" / "models" / sha / "model.onnx"
        self.assertEqual(hashlib.sha256(cached.read_bytes()).hexdigest(), sha)
        stamp = cached.stat()
        proc = run(argv)  # already there: not sent again
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(cached.stat().st_ino, stamp.st_ino)
        self.assertEqual(cached.stat().st_mtime_ns, stamp.st_mtime_ns)
        self.assertEqual(sorted(p.name for p in cached.parent.iterdir()), ["model.onnx"])
        # The worker finds it at the same relative path (its home is the cwd).
        argv = tool("worker", C.targets, "lab1-via-lab2", "", "", "", "p1", "")
        proc = run(argv, input=worker_spec(f".cache/dli/models/{sha}/model.onnx"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["model_sha256"], sha)


class Executors(unittest.TestCase):
    """Points of the test backend through dli's own executors (exec/executor.h)."""

    @classmethod
    def setUpClass(cls):
        cls.model = C.root / "model.txt"
        cls.model.write_text("1\n")

    def points(self, target, count=3):
        proc = subprocess.run([TOOL, "run-points", C.targets, target, self.model, str(count)],
                              capture_output=True, text=True, env=C.env, timeout=120,
                              start_new_session=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def assert_measured(self, results, target):
        for r in results:
            self.assertEqual(r["status"], "ok", r.get("error"))
            self.assertEqual(r.get("target", "local"), target)
            self.assertTrue(r["host"]["hostname"])
        walls = [round(r["wall_s"], 3) for r in results]
        print(f"\n{target}: wall_s per point {walls}", flush=True)

    def test_local(self):
        self.assert_measured(self.points("here-plain"), "local")

    def test_ssh_hosts(self):
        for target in ("lab1-dli", "lab2-dli"):
            results = self.points(target)
            self.assert_measured(results, target)
            self.assertNotIn("slurm_job", results[0])

    def test_slurm_steps_of_one_allocation(self):
        results = self.points("cluster-dli")
        self.assert_measured(results, "cluster-dli")
        jobs = {r["slurm_job"] for r in results}
        self.assertEqual(len(jobs), 1, jobs)
        job = jobs.pop()
        # The executor cancelled its allocation when it ended.
        state = run(tool("state", job)).stdout.strip()
        self.assertIn(state, ("CANCELLED", "COMPLETING", "COMPLETED", ""), state)

    def test_unreachable_host_fails_the_point_with_the_reason(self):
        results = self.points("closed-dli", count=1)
        self.assertEqual(results[0]["status"], "failed")
        self.assertIn("cannot reach target closed-dli", results[0]["error"])
        self.assertIn("Connection refused", results[0]["error"])

    def test_wrong_host_key_fails_the_point(self):
        results = self.points("lab1-wrong-host-key", count=1)
        self.assertEqual(results[0]["status"], "failed")
        self.assertIn("Host key verification failed", results[0]["error"])


class Containers(unittest.TestCase):
    def setUp(self):
        need_containers(self)

    def test_echo_from_the_built_image(self):
        argv = tool("container", C.targets, "here", "dli-echo", "", "echo", "hello from busybox")
        self.assertEqual(argv[:2], ["podman", "run"])
        self.assertEqual(argv[-3], C.image)
        proc = run(argv, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "hello from busybox\n")

    def test_worker_without_network_and_read_only_models(self):
        cache = C.root / "cache"
        (cache / "abc").mkdir(parents=True)
        model = cache / "abc" / "m.onnx"
        model.write_bytes(b"weights")
        argv = tool("worker", C.targets, "here", "/unused", "", "", "dli-p2", cache)
        proc = run(argv, input=worker_spec(str(model)), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        event = json.loads(proc.stdout)
        self.assertEqual(event["spec"]["point"], "p1")
        self.assertEqual(event["net"].split(), ["lo"])
        self.assertEqual(event["model_sha256"], hashlib.sha256(b"weights").hexdigest())
        self.assertEqual(event["model_dir"], "read-only")
        self.assertIn("fake worker: read", proc.stderr)

    def test_worker_in_a_container_over_ssh(self):
        argv = tool("worker", C.targets, "lab1-boxed", "", "", "", "dli-p3", "")
        self.assertEqual(argv[0], "ssh")
        proc = run(argv, input=worker_spec(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["net"].split(), ["lo"])

    def test_killed_client_leaves_a_container_that_is_removed_by_name(self):
        argv = tool("container", C.targets, "here", "dli-hung", "", "sleep", "300")
        client = start(argv)

        def running():
            out = C.podman.run("ps", "--filter", "name=^dli-hung$", "--format", "{{.Names}}")
            return out.stdout.strip() == "dli-hung"

        harness.wait_for(running, 30, "container dli-hung")
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=10)
        time.sleep(0.5)
        self.assertTrue(running(), "the container ended with its client")
        proc = run(tool("container-rm", C.targets, "here", "dli-hung"), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertFalse(running())


class Slurm(unittest.TestCase):
    def state(self, job):
        proc = run(tool("state", job))
        return proc.stdout.strip()

    def test_srun_on_two_nodes(self):
        proc = run(["srun", "--partition=debug", "-N2", "--label", "hostname"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(proc.stdout.splitlines()), 2)

    def test_allocation_steps_worker_and_cancel(self):
        proc = run(tool("salloc", C.targets, "cluster", "dli-study", 20), timeout=40)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job = _job_id(proc)
        self.assertEqual(self.state(job), "RUNNING")
        self.assertIsNone(tool("map", "RUNNING"))

        # Two steps at once go to different nodes, each with all its CPUs.
        script = ("echo $SLURMD_NODENAME $(scontrol show step $SLURM_JOB_ID.$SLURM_STEP_ID"
                  " | grep -o 'TRES=cpu=[0-9]*'); sleep 2")
        steps = [start(tool("step", job, f"dli-p{i}", "sh", "-c", script)) for i in (1, 2)]
        outputs = []
        for step in steps:
            out, err = step.communicate(timeout=30)
            self.assertEqual(step.returncode, 0, err)
            outputs.append(out.split())
        self.assertEqual(sorted(o[0] for o in outputs), ["n1", "n2"])
        self.assertEqual([o[1] for o in outputs], ["TRES=cpu=2", "TRES=cpu=2"])

        argv = tool("worker", C.targets, "cluster", HERE / "fake_worker.sh", "", job, "dli-w", "")
        proc = run(argv, input=worker_spec())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        event = json.loads(proc.stdout)
        self.assertEqual(event["spec"]["point"], "p1")
        self.assertIn(event["node"], ("n1", "n2"))

        self.assertEqual(run(tool("scancel", job)).returncode, 0)
        state = harness.wait_for(lambda: (s := self.state(job)) not in ("RUNNING", "COMPLETING")
                                 and s, 20, "cancelled job")
        self.assertEqual(state, "CANCELLED")
        self.assertEqual(tool("map", state), "interrupted")

    def test_worker_in_a_container_on_a_node(self):
        need_containers(self)
        proc = run(tool("salloc", C.targets, "cluster-boxed", "dli-boxed", 20), timeout=40)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job = _job_id(proc)
        argv = tool("worker", C.targets, "cluster-boxed", "", "", job, "dli-p4", "")
        self.assertEqual(argv[0], "srun")
        proc = run(argv, input=worker_spec(), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["net"].split(), ["lo"])
        run(tool("scancel", job))

    def test_immediate_gives_up_when_the_nodes_are_busy(self):
        started = time.monotonic()
        proc = run(tool("salloc", C.targets, "slow", "dli-impatient", 1), timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIsNone(json.loads(subprocess.run(
            [TOOL, "salloc-job-id"], input=proc.stderr, capture_output=True, text=True).stdout))
        self.assertIn("Unable to allocate resources", proc.stderr)
        self.assertLess(time.monotonic() - started, 15)

    def test_through_the_login_node(self):
        argv = tool("on-login", C.targets, "cluster-login", "", "sinfo", "--noheader",
                    "--format=%P %D")
        self.assertEqual(argv[0], "ssh")
        proc = run(argv)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split("\n")[:2], ["debug* 2", "slow 1"])


class SlurmTimeLimit(unittest.TestCase):
    """Runs last: its job has been reaching its limit since setUpModule."""

    def test_time_limit_ends_timeout(self):
        def ended():
            state = run(tool("state", C.time_limit_job)).stdout.strip()
            return state if tool("map", state) else None

        state = harness.wait_for(ended, 150, "the time-limited job", interval=1)
        self.assertEqual(state, "TIMEOUT")
        self.assertEqual(tool("map", state), "timeout")
        # The hung step was killed with its job. (srun's own message varies:
        # "... CANCELLED ... DUE TO TIME LIMIT" or only "task 0: Terminated".)
        _, err = C.time_limit_step.communicate(timeout=30)
        self.assertNotEqual(C.time_limit_step.returncode, 0, err)


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for case in (Ssh, Executors, Containers, Slurm, Study, SlurmTimeLimit):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


EXPERIMENT = """name: spread
models: [{model}]
frameworks: [testing]
precisions: [FP32]
batches: [1, 2]
params:
  testing: {{threads: [1, 2], sleep_ms: [{sleep_ms}]}}
measure: {{iterations: {iterations}, warmup: 1}}
"""


def stored(db):
    """(run id, target, status, error, result) of every stored point."""
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT run_id, status, result_json FROM points ORDER BY id").fetchall()
    out = []
    for run_id, status, text in rows:
        r = json.loads(text)
        out.append((run_id, r.get("target", "local"), status, r.get("error", ""), r))
    return out


class Study(unittest.TestCase):
    """Whole studies through `dli run --targets` and `dli info --targets`:
    the test backend on this machine, two ssh hosts, a two-node Slurm
    partition, into one database."""

    @classmethod
    def setUpClass(cls):
        cls.dir = C.root / "study"
        cls.dir.mkdir()
        cls.model = cls.dir / "model.txt"
        cls.model.write_text("1\n")
        cls.sha = hashlib.sha256(cls.model.read_bytes()).hexdigest()
        doc = json.loads(C.targets.read_text())
        keep = {"here-plain": "here", "lab1-dli": "lab1", "lab2-dli": "lab2",
                "cluster-dli": "cluster", "closed-dli": "closed",
                "lab1-unknown-host": "lab1-unknown-host"}
        targets = []
        for t in doc["targets"]:
            if t["name"] in keep:
                t = dict(t, name=keep[t["name"]])
                if t["name"] == "lab1-unknown-host":
                    t["dli"] = DLI
                targets.append(t)
        cls.targets = C.root / "study-targets.yaml"  # keys/ lies beside it
        cls.targets.write_text(json.dumps({"targets": targets}, indent=1))

    def experiment(self, name, sleep_ms=0, iterations=5):
        path = self.dir / f"{name}.yaml"
        path.write_text(EXPERIMENT.format(model=self.model, sleep_ms=sleep_ms,
                                          iterations=iterations))
        return path

    def dli(self, *args, timeout=180):
        return run([DLI, *map(str, args)], timeout=timeout)

    def cached_model(self, host):
        return C.sshd[host].home / ".cache" / "dli" / "models" / self.sha / "model.txt"

    def test_study_on_four_targets_into_one_database_and_models_sent_once(self):
        db = self.dir / "four.sqlite"
        only = "here,lab1,lab2,cluster"
        proc = self.dli("run", self.experiment("four"), "--targets", self.targets, "--only", only,
                        "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for target in only.split(","):
            self.assertRegex(proc.stderr, rf"\[\d+/16\] {target}: testing ")
        points = stored(db)
        self.assertEqual(len(points), 16)
        self.assertEqual(len({p[0] for p in points}), 1)  # one run
        per_target = {}
        for _, target, status, error, r in points:
            self.assertEqual(status, "ok", error)
            self.assertTrue(r["host"]["hostname"])
            per_target[target] = per_target.get(target, 0) + 1
        self.assertEqual(per_target, {"here": 4, "lab1": 4, "lab2": 4, "cluster": 4})
        jobs = {r.get("slurm_job") for _, t, _, _, r in points if t == "cluster"}
        self.assertEqual(len(jobs), 1)
        self.assertTrue(jobs.pop())

        # The model went to each ssh host by content, once.
        stamps = {}
        for host in ("lab1", "lab2"):
            cached = self.cached_model(host)
            self.assertEqual(hashlib.sha256(cached.read_bytes()).hexdigest(), self.sha)
            stamps[host] = (cached.stat().st_ino, cached.stat().st_mtime_ns)
        # Resuming runs nothing; --rerun measures again and sends nothing.
        proc = self.dli("run", self.experiment("four"), "--targets", self.targets, "--only",
                        only, "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("finished 0 repetitions on 4 targets", proc.stdout)
        proc = self.dli("run", self.experiment("four"), "--targets", self.targets, "--only",
                        "lab1,lab2", "--db", db, "--rerun")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(stored(db)), 24)
        for host in ("lab1", "lab2"):
            cached = self.cached_model(host)
            self.assertEqual((cached.stat().st_ino, cached.stat().st_mtime_ns), stamps[host])

    def test_slurm_through_the_login_node(self):
        doc = json.loads(self.targets.read_text())
        lab1 = next(t for t in doc["targets"] if t["name"] == "lab1")
        # Steps run on nodes outside lab1's mount namespace, which do not see
        # its home: the files are declared shared (they are, on this machine).
        login = {"name": "login", "type": "slurm", "partition": "debug", "time": "5",
                 "via": "lab1", "dli": DLI, "shared_files": True}
        targets = C.root / "login-targets.yaml"
        targets.write_text(json.dumps({"targets": [lab1, login]}, indent=1))
        db = self.dir / "login.sqlite"
        proc = self.dli("run", self.experiment("login"), "--targets", targets, "--only", "login",
                        "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        points = stored(db)
        self.assertEqual([(p[1], p[2]) for p in points], [("login", "ok")] * 4)
        self.assertTrue(all(p[4].get("slurm_job") for p in points))

    def test_info_on_targets(self):
        proc = self.dli("info", "--targets", self.targets)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for target in ("here", "lab1", "lab2", "cluster"):
            self.assertRegex(proc.stdout, rf"target {target} \(\w+\): reachable, dli ")
        self.assertRegex(proc.stdout, r"target closed \(ssh\): unreachable: cannot reach target "
                                      r"closed: .*Connection refused")
        self.assertIn("testing", proc.stdout)
        proc = self.dli("info", "--targets", self.targets, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        by_name = {t["name"]: t for t in doc["targets"]}
        self.assertTrue(by_name["lab2"]["reachable"])
        self.assertTrue(by_name["lab2"]["host"]["hostname"])
        self.assertIn("testing", [f["name"] for f in by_name["cluster"]["frameworks"]])
        self.assertFalse(by_name["lab1-unknown-host"]["reachable"])
        self.assertIn("Host key verification failed", by_name["lab1-unknown-host"]["error"])
        self.assertEqual(doc["warnings"], [])

    def refused(self, *args):
        proc = self.dli("run", self.experiment("refused"), *args, "--db",
                        self.dir / "refused.sqlite")
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        return lines[0]

    def test_refusals_before_anything_runs(self):
        line = self.refused("--targets", self.targets, "--only", "lab1-unknown-host")
        self.assertRegex(line, r"target lab1-unknown-host is not usable: cannot reach target "
                               r"lab1-unknown-host: Host key verification failed")
        doc = json.loads(self.targets.read_text())
        doc["targets"][1]["password"] = "hunter2"
        password = self.dir / "password.yaml"
        password.write_text(json.dumps(doc, indent=1))
        line = self.refused("--targets", password)
        self.assertIn("passwords are not accepted; use identity: with a key file", line)
        line = self.refused("--targets", self.targets, "--only", "nowhere")
        self.assertIn("unknown target 'nowhere'", line)
        self.assertFalse((self.dir / "refused.sqlite").exists() and stored(self.dir / "refused.sqlite"))

    def start_study(self, targets, experiment, db, *more):
        proc = subprocess.Popen([DLI, "run", str(experiment), "--targets", str(targets),
                                 "--db", str(db), *more], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=C.env, start_new_session=True)
        C.background.append(proc)
        return proc

    def wait_for_lines(self, proc, pattern, count, timeout=60):
        """Reads proc's stderr until `pattern` matched `count` lines."""
        seen, read = 0, []
        deadline = time.monotonic() + timeout
        while seen < count:
            self.assertLess(time.monotonic(), deadline, "".join(read))
            line = proc.stderr.readline()
            self.assertTrue(line, "".join(read))
            read.append(line)
            seen += bool(re.search(pattern, line))
        return read

    def new_hosts(self, known_hosts, *names):
        """sshd instances of their own, in keys/KNOWN_HOSTS and taking our key."""
        hosts = [harness.Sshd(C.daemons, name, env={"DLI_BACKEND_PATH": BACKENDS})
                 for name in names]
        keys = C.root / "keys"
        (keys / known_hosts).write_text("".join(host.known_hosts_line() for host in hosts))
        for host in hosts:
            host.authorize(keys / "id_ed25519.pub")
        return hosts

    def study_until_host_dies(self, name, targets, host):
        """A study of 8 points (about 1 s each) that `host` leaves once it
        finished its first point and started its second: it exits 1 and
        stores all 8. Returns (stderr, the points, experiment, database)."""
        experiment = self.experiment(name, sleep_ms=100, iterations=8)
        db = self.dir / f"{name}.sqlite"
        study = self.start_study(targets, experiment, db)
        self.wait_for_lines(study, rf"\] {host.name}: ", 2)
        host.kill()
        out, err = study.communicate(timeout=120)
        self.assertEqual(study.returncode, 1, out + err)
        points = stored(db)
        self.assertEqual(len(points), 8, points)
        return err, points, experiment, db

    def test_host_dies_mid_study_and_resume_reruns_exactly_its_points(self):
        (lab3,) = self.new_hosts("known_hosts_lab3", "lab3")
        targets = self.study_targets("lab3", [{"name": "here", "type": "local"},
                                              self.ssh_target("lab3", lab3,
                                                              "keys/known_hosts_lab3")])
        err, points, experiment, db = self.study_until_host_dies("dies", targets, lab3)
        self.assertIn("failed: lab3: ", err)
        here = [p for p in points if p[1] == "here"]
        self.assertEqual([p[2] for p in here], ["ok"] * 4)
        lab3_points = [p for p in points if p[1] == "lab3"]
        ok = [p for p in lab3_points if p[2] == "ok"]
        failed = [p for p in lab3_points if p[2] != "ok"]
        self.assertGreaterEqual(len(ok), 1)
        self.assertGreaterEqual(len(failed), 1)
        for _, _, status, error, _ in failed:
            self.assertEqual(status, "failed")
            self.assertIn("cannot reach target lab3", error)
            self.assertNotIn("\n", error)

        lab3.start()  # the same port and host key
        proc = self.dli("run", experiment, "--targets", targets, "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"here \(.*\): 4 points, 0 to run, 4 already done")
        self.assertRegex(proc.stdout, rf"lab3 \(.*\): 4 points, {len(failed)} to run, "
                                      rf"{len(ok)} already done")
        rerun = [p for p in stored(db) if p[0] != points[0][0]]
        self.assertEqual(len(rerun), len(failed))
        self.assertEqual({(p[1], p[2]) for p in rerun}, {("lab3", "ok")})

    def test_interrupt_cancels_the_allocation_and_ends_the_remote_worker(self):
        experiment = self.experiment("interrupted", sleep_ms=1000, iterations=30)
        study = self.start_study(self.targets, experiment, self.dir / "interrupted.sqlite",
                                 "--only", "lab1,cluster")
        self.wait_for_lines(study, r"\] (lab1|cluster): ", 2)

        def workers():
            found = []
            for pid in harness.descendants(C.sshd["lab1"].proc.pid):
                try:
                    if b"__worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        found.append(pid)
                except OSError:
                    pass
            return found

        # Once its session ends the worker is no longer below sshd: follow its PID.
        remote = harness.wait_for(workers, 20, "the worker on lab1")
        jobs = run(["squeue", "--noheader", "--name=dli-" + str(study.pid), "--format=%i"])
        job = jobs.stdout.strip()
        self.assertTrue(job, jobs.stderr)
        os.kill(study.pid, signal.SIGINT)
        out, err = study.communicate(timeout=60)
        self.assertEqual(study.returncode, 130, out + err)
        self.assertIn("Run again to resume", out)
        harness.wait_for(lambda: not any(map(harness.pid_alive, remote)), 10,
                         "the worker on lab1 to end")
        harness.wait_for(lambda: run(tool("state", job)).stdout.strip() in
                         ("CANCELLED", "COMPLETED", ""), 20, "the allocation to end")

    def study_targets(self, name, targets, failover=None):
        """A targets file in C.root, where keys/ lies."""
        path = C.root / f"{name}-targets.yaml"
        doc = {"targets": targets}
        if failover is not None:
            doc["failover"] = failover
        path.write_text(json.dumps(doc, indent=1))
        return path

    def ssh_target(self, name, sshd, known_hosts="keys/known_hosts", **kw):
        target = dict(name=name, type="ssh", host="127.0.0.1", port=sshd.port, user="root",
                      identity="keys/id_ed25519", known_hosts=known_hosts, dli=DLI)
        target.update(kw)
        if "container" in kw:
            del target["dli"]  # the image's
        return target

    def test_points_measured_in_a_built_image_here_over_ssh_and_on_a_node(self):
        need_containers(self)
        image = {"engine": "podman", "image": C.real_image}
        targets = self.study_targets("boxed", [
            {"name": "boxed", "type": "local", "container": image},
            self.ssh_target("lab1-boxed", C.sshd["lab1"], container=image),
            {"name": "cluster-boxed", "type": "slurm", "partition": "debug", "nodes": 1,
             "time": "5", "container": image}])
        db = self.dir / "boxed.sqlite"
        started = time.monotonic()
        proc = self.dli("run", self.experiment("boxed"), "--targets", targets, "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        print(f"\n  12 points in containers on 3 targets: {time.monotonic() - started:.1f} s",
              flush=True)
        image_id = C.podman.run("image", "inspect", "--format", "{{.Id}}",
                                C.real_image).stdout.strip()
        self.assertRegex(image_id, r"^[0-9a-f]{64}$")
        per_target = {}
        for _, target, status, error, r in stored(db):
            self.assertEqual(status, "ok", error)
            self.assertGreater(r["fps"], 0)
            self.assertEqual(r["container"], {"engine": "podman", "image": C.real_image,
                                              "image_id": image_id})
            per_target[target] = per_target.get(target, 0) + 1
        self.assertEqual(per_target, {"boxed": 4, "lab1-boxed": 4, "cluster-boxed": 4})

    def test_interrupt_while_the_allocation_is_queued_cancels_the_request(self):
        # Both nodes of `debug` are taken: dli's request waits in the queue.
        holder = _job_id(run(tool("salloc", C.targets, "cluster", "dli-holder", 20), timeout=40))
        try:
            study = self.start_study(self.targets, self.experiment("queued"),
                                     self.dir / "queued.sqlite", "--only", "cluster")
            name = f"--name=dli-{study.pid}"

            def queued():
                out = run(["squeue", "--noheader", name, "--format=%i %T"]).stdout.split()
                return out[0] if out[1:] == ["PENDING"] else None

            job = harness.wait_for(queued, 30, "dli's request in the queue")
            os.kill(study.pid, signal.SIGINT)
            out, err = study.communicate(timeout=60)
            self.assertEqual(study.returncode, 130, out + err)
            self.assertIn("interrupted while describing the targets; nothing ran", out)
            self.assertEqual(run(["squeue", "--noheader", name, "--format=%i"]).stdout, "")
            self.assertEqual(run(tool("state", job)).stdout.strip(), "CANCELLED")
        finally:
            run(tool("scancel", holder))
            harness.wait_for(lambda: run(tool("state", holder)).stdout.strip() != "RUNNING", 20,
                             "the holder to end")

    def test_slurm_targets_on_the_same_nodes_are_refused(self):
        targets = self.study_targets("overlap", [
            {"name": "cluster", "type": "slurm", "partition": "debug", "nodes": 2, "time": "5",
             "dli": DLI},
            {"name": "first-node", "type": "slurm", "nodes": ["n1"], "time": "5", "dli": DLI},
            {"name": "slow", "type": "slurm", "partition": "slow", "time": "5", "dli": DLI}])
        def jobs():
            return set(run(["squeue", "--noheader", "--states=all", "--format=%i"]).stdout.split())

        before = jobs()
        line = self.refused("--targets", targets, "--only", "cluster,slow,first-node")
        self.assertEqual(line, "dli run: error: slurm targets cluster and first-node may get the "
                               "same nodes (n1): "
                               "each holds its nodes for the whole study, so one would wait for "
                               "the other or their measurements would overlap; give them "
                               "disjoint nodes or partitions, or keep one (--only)")
        proc = self.dli("info", "--targets", targets)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("may get the same nodes (n1)", proc.stderr)
        self.assertEqual(jobs() - before, set())  # nothing was allocated

    def test_failover_moves_the_points_left_to_a_host_of_the_same_class(self):
        lab5, lab6 = self.new_hosts("known_hosts_twins", "lab5", "lab6")
        targets = self.study_targets("twins", [
            self.ssh_target(name, sshd, "keys/known_hosts_twins", hardware_class="twin")
            for name, sshd in (("lab5", lab5), ("lab6", lab6))], failover=True)
        _, points, experiment, db = self.study_until_host_dies("twins", targets, lab5)
        lab5_ok = [p for p in points if p[1] == "lab5" and p[2] == "ok"]
        failed = [p for p in points if p[2] != "ok"]
        moved = [p for p in points if p[4].get("moved_from") == "lab5"]
        self.assertEqual(len(failed), 1, failed)
        self.assertEqual(failed[0][1], "lab5")
        self.assertIn("cannot reach target lab5", failed[0][3])
        self.assertGreaterEqual(len(lab5_ok), 1)
        self.assertEqual(len(lab5_ok) + len(failed) + len(moved), 4)
        for _, target, status, error, r in moved:
            self.assertEqual((target, status), ("lab6", "ok"), error)
            self.assertGreater(r["fps"], 0)
        self.assertEqual(len([p for p in points if p[1] == "lab6"]), 4 + len(moved))

        # Resuming runs exactly lab5's failed point, on lab5.
        lab5.start()
        proc = self.dli("run", experiment, "--targets", targets, "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"lab5 \(.*\): 4 points, 1 to run, 3 already done")
        self.assertRegex(proc.stdout, r"lab6 \(.*\): 4 points, 0 to run, 4 already done")

    def image_model(self, name, files):
        """A model folder whose model.json declares its preprocessing (images
        need it), with photos/ holding `files` (name -> bytes)."""
        folder = self.dir / name
        (folder / "photos").mkdir(parents=True)
        (folder / "model.txt").write_text("1\n")
        (folder / "model.json").write_text(
            '{"name": "model", "preprocessing": {"preset": "imagenet"}}')
        for file_name, data in files.items():
            (folder / "photos" / file_name).write_bytes(data)
        return folder

    def suite_targets(self, *names):
        """The entries of the suite's targets file with these names."""
        return [t for t in json.loads(self.targets.read_text())["targets"]
                if t["name"] in names]

    def test_image_folder_reaches_the_hosts_by_content(self):
        # Tiny PPM images, and one file that is not an image at all.
        files = {f"img{i}.ppm": b"P6\n4 4\n255\n" + bytes([i * 40]) * 48 for i in range(5)}
        folder = self.image_model("imagemodel", dict(files, **{"notes.txt": b"not an image"}))
        experiment = self.dir / "images.yaml"
        experiment.write_text(f"""name: images
models: [{folder / 'model.txt'}]
frameworks: [testing]
precisions: [FP32]
batches: [2]
images: {folder / 'photos'}
max_images: 4
measure: {{iterations: 5, warmup: 1}}
""")
        targets = self.suite_targets("lab1")
        if not C.no_containers:
            # The same host in a container (the links resolve there too), and
            # this machine in one, which mounts the folders of the point's files.
            image = {"engine": "podman", "image": C.real_image}
            targets.append(self.ssh_target("lab1-boxed", C.sshd["lab1"], container=image))
            targets.append({"name": "boxed", "type": "local", "container": image})
        path = self.study_targets("images", targets)
        db = self.dir / "images.sqlite"
        proc = self.dli("run", experiment, "--targets", path, "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        points = stored(db)
        self.assertEqual(len(points), len(targets))
        for _, target, status, error, r in points:
            self.assertEqual(status, "ok", error)
            self.assertEqual(r["input"]["source"], f"images:{folder / 'photos'}")
            self.assertEqual(r["input"]["images"], 4)  # the first four, as here
        sent = {}
        for host in ("lab1",):
            cache = C.sshd[host].home / ".cache" / "dli"
            (copy,) = list((cache / "images").iterdir())
            self.assertEqual(sorted(p.name for p in copy.iterdir()),
                             [f"img{i}.ppm" for i in range(4)])
            for i in range(4):
                original = (folder / "photos" / f"img{i}.ppm").read_bytes()
                self.assertEqual((copy / f"img{i}.ppm").read_bytes(), original)
                sha = hashlib.sha256(original).hexdigest()
                self.assertEqual(os.readlink(copy / f"img{i}.ppm"),
                                 f"../../models/{sha}/img{i}.ppm")
            sent[host] = {p: p.stat().st_mtime_ns for p in (cache / "models").rglob("img*.ppm")}
            self.assertEqual(len(sent[host]), 4)
        # Measured again: nothing is sent again.
        proc = self.dli("run", experiment, "--targets", path, "--db", db, "--rerun")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for host in sent:
            cache = C.sshd[host].home / ".cache" / "dli"
            self.assertEqual({p: p.stat().st_mtime_ns
                              for p in (cache / "models").rglob("img*.ppm")}, sent[host])

    def test_data_set_images_reach_the_host_by_content(self):
        # The test backend answers class 0 for every image: both are right.
        folder = self.image_model("datasetmodel", {
            "a.ppm": b"P6\n4 4\n255\n" + bytes([7]) * 48,
            "b.ppm": b"P6\n4 4\n255\n" + bytes([8]) * 48,
            "manifest.txt": b"a.ppm\t0\nb.ppm\t0\n"})
        experiment = self.dir / "dataset.yaml"
        experiment.write_text(f"""name: dataset
models: [{folder / 'model.txt'}]
frameworks: [testing]
precisions: [FP32]
batches: [1]
accuracy: {{dataset: {folder / 'photos'}}}
measure: {{iterations: 5, warmup: 1}}
""")
        targets = self.suite_targets("lab1")
        db = self.dir / "dataset.sqlite"
        proc = self.dli("run", experiment, "--targets", self.study_targets("dataset", targets),
                        "--db", db)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        with sqlite3.connect(db) as c:
            rows = c.execute("SELECT status, result_json FROM points WHERE kind = 'accuracy'"
                             ).fetchall()
        self.assertEqual(len(rows), 1)
        status, text = rows[0]
        result = json.loads(text)
        self.assertEqual(status, "ok", result.get("error"))
        self.assertEqual((result["images"], result["top1"]), (2, 2))
        models = C.sshd["lab1"].home / ".cache" / "dli" / "models"
        for name in ("a.ppm", "b.ppm"):
            original = (folder / "photos" / name).read_bytes()
            sha = hashlib.sha256(original).hexdigest()
            self.assertEqual((models / sha / name).read_bytes(), original)
