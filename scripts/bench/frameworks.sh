#!/usr/bin/env bash
# FPS of MobileNetV2 FP32 on all seven frameworks, batch 1-8, defaults, in
# one run (docs/BENCHMARKS.md). Prints a markdown table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="$root/build/bin/dli"
db="${DB:-$root/results/bench/frameworks.sqlite}"
mkdir -p "$(dirname "$db")"
"$dli" run "$root/experiments/bench/frameworks_fp32.yaml" --db "$db" --rerun
run=$(/usr/bin/python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select max(id) from runs').fetchone()[0])" "$db")
"$dli" results export --db "$db" --run "$run" --json "$db.json" >/dev/null
/usr/bin/python3 "$root/scripts/bench/table.py" "$db.json"
