#!/usr/bin/env bash
# Dispatch overhead per point: local vs SSH vs Slurm vs container, interleaved
# (docs/BENCHMARKS.md, "Dispatch per point"). Starts its own sshd, Slurm and
# podman on 127.0.0.1 and stops them by PID. Needs root, a build with the test
# backend (any build) and the packages of scripts/setup.d/70-cluster.sh.
#   scripts/bench/dispatch.sh [BUILD_DIR]   # BLOCKS=5 PER_BLOCK=2 ITERATIONS=200
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec /usr/bin/python3 "$root/scripts/bench/dispatch.py" "${1:-$root/build}"
