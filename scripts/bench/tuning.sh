#!/usr/bin/env bash
# Tuned vs default launch parameters (docs/BENCHMARKS.md, "Tuning"): `dli tune`
# of each framework named (default: tflite mxnet pytorch, the three whose
# defaults the issue doubted) over batch sizes and thread counts in MODE
# (latency, throughput or all) within BUDGET seconds each, then one table of
# each mode's best beside the default, from the JSON outcomes.
#   scripts/bench/tuning.sh [BUILD_DIR] [FRAMEWORK...]
#   (BUDGET=90 MODE=latency BATCHES=1,2,4,8 MODEL=mobilenet_v2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build}"
shift || true
frameworks=("${@:-tflite mxnet pytorch}")
read -r -a frameworks <<< "${frameworks[*]}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for fw in "${frameworks[@]}"; do
  start=$(date +%s)
  "$build/bin/dli" tune --model "${MODEL:-mobilenet_v2}" --framework "$fw" --mode "${MODE:-latency}" \
    --batch "${BATCHES:-1,2,4,8}" --budget "${BUDGET:-90}" --min-measure 3.5 --quiet --json "$out/$fw.json" >/dev/null
  echo "$(( $(date +%s) - start ))" > "$out/$fw.wall"
done
python3 - "$out" "${frameworks[@]}" <<'PY'
import json, sys
out, frameworks = sys.argv[1], sys.argv[2:]
def config(c):
    return " ".join(f"{k}={v}" for k, v in c.items() if k != "mode") or "-"
def figure(f):
    return f"{f['fps']:.1f} [{f['ci_low']:.1f}, {f['ci_high']:.1f}]"
print("| framework | mode | tuned | FPS [95% CI] | default | default FPS [95% CI] | gain | tuning s (budget) |")
print("|---|---|---|---|---|---|---|---|")
for fw in frameworks:
    d = json.load(open(f"{out}/{fw}.json"))
    wall = open(f"{out}/{fw}.wall").read().strip()
    for g in d["groups"]:
        gain = f"x{g['gain']:.2f}" + ("" if g["significant"] else " (n.s.)")
        print(f"| {fw} | {g['mode']} | {config(g['best'])} | {figure(g['best_figure'])} | "
              f"{config(g['default'])} | {figure(g['default_figure'])} | {gain} | "
              f"{d['seconds_spent']:.0f} of {d['budget_s']:.0f} (wall {wall}) |")
PY
