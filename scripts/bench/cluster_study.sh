#!/usr/bin/env bash
# The many-machines acceptance study: every framework at batch 1 on local, two
# SSH hosts and a two-node Slurm partition of this machine, into one database,
# then the report (docs/BENCHMARKS.md, "A study across targets"). Starts its own
# sshd and Slurm on 127.0.0.1 and stops them by PID. Needs root, a full build,
# prepared models and the packages of scripts/setup.d/70-cluster.sh.
#   scripts/bench/cluster_study.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec /usr/bin/python3 "$root/scripts/bench/cluster_study.py" "${1:-$root/build}" "${2:-$PWD/cluster-study}"
