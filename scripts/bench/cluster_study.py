#!/usr/bin/env python3
"""The many-machines acceptance study (docs/BENCHMARKS.md, "A study across
targets"): every built framework at batch 1, FP32, run with `dli run
--targets` on this machine's own `local`, two SSH hosts (two sshd on
127.0.0.1 with their own ports and host keys) and a two-node Slurm partition
(munge, slurmctld, two slurmd), into one database, then `dli report`.
The daemons come from tests/cluster/harness.py and are stopped by PID at the
end, also on failure. Every target measures on the same two cores at the same
time, so the figures show that the study works, not how fast the frameworks
are: compare frameworks with a study on one target.

With IMAGE set (e.g. IMAGE=localhost/dli, the image of Containerfile, built
as docs/CLUSTER.md says), a fifth target `boxed` runs every point on this
machine inside that image (podman, with the configuration tests/cluster
uses; the image must be in podman's default storage).

Needs root, a full build and prepared models (scripts/quickstart.sh or
`dli models prepare`), and the packages of scripts/setup.d/70-cluster.sh.
Usage: [IMAGE=localhost/dli] scripts/bench/cluster_study.sh [BUILD_DIR] [OUT_DIR]
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
import harness  # noqa: E402

IMAGE = os.environ.get("IMAGE")
TARGETS = ["here", "lab1", "lab2", "cluster"] + (["boxed"] if IMAGE else [])


def available_frameworks(dli):
    proc = subprocess.run([str(dli), "info", "--json"], capture_output=True, text=True,
                          check=True)
    return [b["name"] for b in json.loads(proc.stdout)["frameworks"] if b.get("available")]


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    out = Path(sys.argv[2] if len(sys.argv) > 2 else Path.cwd() / "cluster-study").resolve()
    dli = build / "bin" / "dli"
    if os.geteuid() != 0:
        sys.exit("cluster_study.py needs root: it starts sshd and Slurm")
    frameworks = available_frameworks(dli)
    if not frameworks:
        sys.exit("no framework is available in this build (dli info)")
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="dli-cluster-study-"))
    root.chmod(0o711)
    daemons = harness.Daemons(root)
    slurm = None
    try:
        started = time.monotonic()
        slurm = harness.Slurm(daemons)
        env_models = {"DLI_MODELS_DIR": os.environ["DLI_MODELS_DIR"]} \
            if "DLI_MODELS_DIR" in os.environ else {}
        sshd = {name: harness.Sshd(daemons, name, env=env_models) for name in ("lab1", "lab2")}
        keys = root / "keys"
        keys.mkdir()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(keys / "id")], check=True)
        for host in sshd.values():
            host.authorize(keys / "id.pub")
        (keys / "known_hosts").write_text("".join(h.known_hosts_line() for h in sshd.values()))
        targets = root / "targets.yaml"
        targets.write_text(json.dumps({"targets": [
            {"name": "here", "type": "local"},
            *({"name": name, "type": "ssh", "host": "127.0.0.1", "port": host.port,
               "user": "root", "identity": "keys/id", "known_hosts": "keys/known_hosts",
               "dli": str(dli)} for name, host in sshd.items()),
            {"name": "cluster", "type": "slurm", "partition": "debug", "nodes": 2,
             "time": "60", "dli": str(dli)},
            *([{"name": "boxed", "type": "local",
                "container": {"engine": "podman", "image": IMAGE}}] if IMAGE else [])]},
            indent=1))
        conf = root / "containers.conf"
        conf.write_text(harness.PODMAN_CONF)
        experiment = root / "study.yaml"
        experiment.write_text(json.dumps({
            "name": "across-targets", "models": ["mobilenet_v2"], "frameworks": frameworks,
            "devices": ["CPU"], "precisions": ["FP32"], "batches": [1], "images": "synthetic",
            "measure": {"warmup": 3, "iterations": 200, "time_limit": 3, "timeout": 300}}))
        db = out / "results.sqlite"
        print(f"daemons ready in {time.monotonic() - started:.0f} s; {len(frameworks)} "
              f"frameworks x {len(TARGETS)} targets", flush=True)
        env = dict(slurm.env, CONTAINERS_CONF=str(conf), **env_models)
        began = time.monotonic()
        study = subprocess.run([str(dli), "run", str(experiment), "--targets", str(targets),
                                "--only", ",".join(TARGETS), "--db", str(db)], env=env,
                               start_new_session=True)
        print(f"dli run exited {study.returncode} after {time.monotonic() - began:.0f} s",
              flush=True)
        subprocess.run([str(dli), "report", "--db", str(db), "--out", str(out / "report.html")],
                       env=env, check=True)
        summarise(db, frameworks)
        return study.returncode
    finally:
        left = harness.stop_everything(daemons, slurm)
        if left:
            print(f"still running: {', '.join(left)}", file=sys.stderr)
        subprocess.run(["rm", "-rf", str(root)])


def summarise(db, frameworks):
    """Points per target and framework with their status, from the database."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT json_extract(result_json, '$.target'), framework, status "
                            "FROM points WHERE kind = 'performance'").fetchall()
    table = {}
    for target, framework, status in rows:
        table.setdefault(target, {})[framework] = status
    print(f"{'target':<10} " + " ".join(f"{f:>11}" for f in frameworks))
    for target in TARGETS:
        print(f"{target:<10} " + " ".join(f"{table.get(target, {}).get(f, '-'):>11}"
                                           for f in frameworks))


if __name__ == "__main__":
    sys.exit(main())
