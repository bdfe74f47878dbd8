#!/usr/bin/env python3
"""Dispatch overhead per point (docs/BENCHMARKS.md, "Dispatch per point"):
the same point of the test backend through a local child process, an SSH
host, a Slurm job step and a podman container, interleaved in short blocks
whose order rotates, on daemons started here on 127.0.0.1 (tests/cluster/
harness.py) and stopped by PID at the end. Prints, per target, the median
wall time per point, the median overhead (wall time minus the time the worker
spent loading and measuring) and the median FPS ratio to the local point of
the same block.

Needs root and the packages of scripts/setup.d/70-cluster.sh.
Usage: scripts/bench/dispatch.sh [BUILD_DIR]  (BLOCKS, PER_BLOCK, ITERATIONS in the environment)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
import harness  # noqa: E402

TARGETS = ["local", "ssh", "slurm", "container"]


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    blocks = int(os.environ.get("BLOCKS", "5"))
    per_block = int(os.environ.get("PER_BLOCK", "2"))
    iterations = int(os.environ.get("ITERATIONS", "200"))
    dli, tool = build / "bin" / "dli", build / "bin" / "dli_targets_tool"
    backends = build / "lib" / "dli-test"
    if os.geteuid() != 0:
        sys.exit("dispatch.py needs root: it starts sshd, Slurm and podman")
    root = Path(tempfile.mkdtemp(prefix="dli-dispatch-"))
    root.chmod(0o711)
    daemons = harness.Daemons(root)
    podman = slurm = None
    try:
        started = time.monotonic()
        slurm = harness.Slurm(daemons)
        podman = harness.Podman(daemons)
        sshd = harness.Sshd(daemons, "lab", env={"DLI_BACKEND_PATH": str(backends)})
        keys = root / "keys"
        keys.mkdir()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(keys / "id")], check=True)
        sshd.authorize(keys / "id.pub")
        (keys / "known_hosts").write_text(sshd.known_hosts_line())
        base = podman.busybox_image("localhost/dli-bench-busybox")
        image = podman.dli_image("localhost/dli-bench", base, dli,
                                 backends / "libdli_backend_testing.so")
        targets = root / "targets.yaml"
        targets.write_text(json.dumps({"targets": [
            {"name": "local", "type": "local"},
            {"name": "ssh", "type": "ssh", "host": "127.0.0.1", "port": sshd.port,
             "user": "root", "identity": "keys/id", "known_hosts": "keys/known_hosts",
             "dli": str(dli)},
            {"name": "slurm", "type": "slurm", "partition": "debug", "nodes": 1, "time": "30",
             "dli": str(dli)},
            {"name": "container", "type": "local",
             "container": {"engine": "podman", "image": image}}]}))
        model = root / "model.txt"
        model.write_text("1\n")
        print(f"daemons and image ready in {time.monotonic() - started:.0f} s; "
              f"{blocks} blocks x {per_block} points x {len(TARGETS)} targets, "
              f"{iterations} requests a point", flush=True)
        env = dict(slurm.env, DLI_BIN=str(dli), DLI_BACKEND_PATH=str(backends),
                   **{k: v for k, v in podman.env.items() if k.startswith("CONTAINERS_")})
        proc = subprocess.run([str(tool), "interleave", str(targets), str(model),
                               str(iterations), str(blocks), str(per_block), *TARGETS],
                              capture_output=True, text=True, env=env, start_new_session=True)
        if proc.returncode:
            sys.exit(f"dli_targets_tool interleave failed: {proc.stderr}")
        report(json.loads(proc.stdout))
    finally:
        left = harness.stop_everything(daemons, slurm, podman)
        if left:
            print(f"still running: {', '.join(left)}", file=sys.stderr)
        subprocess.run(["rm", "-rf", str(root)])


def report(rows):
    wall, overhead, fps, blocks = {}, {}, {}, {}
    local_fps, local_wall = {}, {}  # block -> those of the local points
    for row in rows:
        r = row["result"]
        if r["status"] != "ok":
            sys.exit(f"{row['target']}: {r['status']}: {r.get('error')}")
        # The worker's own time: loading, then the window from the first
        # inference to the last timed request (interference and reference
        # readings around it are the worker's too, but part of every point).
        window = r["machine"]["window_end_utc_ms"] - r["machine"]["window_start_utc_ms"]
        inside_ms = (r.get("load_ms") or 0) + window
        wall.setdefault(row["target"], []).append(r["wall_s"])
        overhead.setdefault(row["target"], []).append(r["wall_s"] - inside_ms / 1000)
        fps.setdefault(row["target"], []).append((row["block"], r["fps"]))
        blocks.setdefault(row["target"], []).append(row["block"])
        if row["target"] == "local":
            local_fps.setdefault(row["block"], []).append(r["fps"])
            local_wall.setdefault(row["block"], []).append(r["wall_s"])
    print(f"{'target':<10} {'points':>6} {'wall s':>8} {'overhead s':>11} {'vs local s':>11} "
          f"{'FPS':>9} {'FPS / local':>12}")
    for target in TARGETS:
        ratios = [f / statistics.median(local_fps[b]) for b, f in fps[target]]
        extra = [w - statistics.median(local_wall[b]) for b, w in zip(blocks[target], wall[target])]
        print(f"{target:<10} {len(wall[target]):>6} {statistics.median(wall[target]):>8.3f} "
              f"{statistics.median(overhead[target]):>11.3f} {statistics.median(extra):>11.3f} "
              f"{statistics.median(f for _, f in fps[target]):>9.1f} "
              f"{statistics.median(ratios):>12.3f}")
    print("medians over the points; overhead: wall time minus the worker's load and measured\n"
          "window (process start, reference readings, transport); vs local: wall time minus the\n"
          "median local wall time of the same block; FPS / local: against the same block's local")


if __name__ == "__main__":
    main()
