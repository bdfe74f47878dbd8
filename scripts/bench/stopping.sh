#!/usr/bin/env bash
# Adaptive stopping versus the paper's fixed 1000 iterations on the same
# points (docs/BENCHMARKS.md): wall time of each sweep and the largest
# difference in median FPS between the two.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="$root/build/bin/dli"
out="${OUT:-$root/results/bench}"
mkdir -p "$out"
for mode in fixed adaptive; do
  rm -f "$out/stopping_$mode.sqlite"*
  start=$(date +%s)
  "$dli" run "$root/experiments/bench/stopping_$mode.yaml" --db "$out/stopping_$mode.sqlite" >/dev/null
  echo "$mode $(( $(date +%s) - start ))" >> "$out/stopping_times.txt.new"
  "$dli" results export --db "$out/stopping_$mode.sqlite" --json "$out/stopping_$mode.json" >/dev/null
done
mv "$out/stopping_times.txt.new" "$out/stopping_times.txt"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
times = dict(line.split() for line in open(f"{out}/stopping_times.txt"))
def load(mode):
    pts = [p["result"] for p in json.load(open(f"{out}/stopping_{mode}.json"))["points"]]
    return {(p["framework"], p["batch"]): p for p in pts if p["status"] == "ok"}
fixed, adaptive = load("fixed"), load("adaptive")
print("| point | fixed: iterations, FPS | adaptive: iterations, FPS | FPS difference |")
print("|---|---|---|---|")
worst = 0
for key in sorted(fixed):
    f, a = fixed[key], adaptive[key]
    diff = (a["fps"] - f["fps"]) / f["fps"]
    worst = max(worst, abs(diff))
    print(f"| {key[0]} batch {key[1]} | {f['iterations']}, {f['fps']:.1f} | "
          f"{a['iterations']}, {a['fps']:.1f} | {100 * diff:+.1f}% |")
tf, ta = float(times["fixed"]), float(times["adaptive"])
print(f"\nwall time: fixed {tf:.0f} s, adaptive {ta:.0f} s, ratio adaptive/fixed {ta / tf:.3f}; "
      f"largest FPS difference {100 * worst:.1f}%")
PY
