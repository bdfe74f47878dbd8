#!/usr/bin/env bash
# Adaptive stopping versus the paper's fixed 1000 iterations on the same
# points (docs/BENCHMARKS.md). The VM this was written on switches between a
# slow and a fast mode for tens of seconds at a time, so the two rules run
# back to back for each point (interleaved), not as two separate sweeps.
# Prints each pair and the totals: wall time ratio and the largest FPS
# difference.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="$root/build/bin/dli"
out="${OUT:-$root/results/bench/stopping}"
mkdir -p "$out"
rm -f "$out"/*.json "$out/times.txt"
common=(--model mobilenet_v2 --images "$root/models/_datasets/sample" --warmup 5 --quiet)
for framework in openvino onnxruntime; do
  for batch in 1 2 4 8; do
    for mode in fixed adaptive; do
      rule=(--iterations 1000)
      [ "$mode" = adaptive ] && rule=(--iterations 1000 --ci-target 0.02 --min-iterations 20 --min-time 1)
      start=$(date +%s.%N)
      "$dli" bench "${common[@]}" --framework "$framework" --batch "$batch" "${rule[@]}" \
        --json "$out/${mode}_${framework}_$batch.json" >/dev/null
      echo "$mode $framework $batch $(date +%s.%N) $start" >> "$out/times.txt"
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
wall = {"fixed": 0.0, "adaptive": 0.0}
for line in open(f"{out}/times.txt"):
    mode, fw, b, end, start = line.split()
    wall[mode] += float(end) - float(start)
print("| point | fixed: iterations, FPS | adaptive: iterations, stop, FPS | FPS difference |")
print("|---|---|---|---|")
worst = 0
for fw in ("openvino", "onnxruntime"):
    for b in (1, 2, 4, 8):
        f = json.load(open(f"{out}/fixed_{fw}_{b}.json"))["results"][0]
        a = json.load(open(f"{out}/adaptive_{fw}_{b}.json"))["results"][0]
        diff = (a["fps"] - f["fps"]) / f["fps"]
        worst = max(worst, abs(diff))
        print(f"| {fw} batch {b} | {f['iterations']}, {f['fps']:.1f} | "
              f"{a['iterations']}, {a['stop_reason']}, {a['fps']:.1f} | {100 * diff:+.1f}% |")
print(f"\nwall time (whole dli bench processes): fixed {wall['fixed']:.0f} s, adaptive "
      f"{wall['adaptive']:.0f} s, ratio adaptive/fixed {wall['adaptive'] / wall['fixed']:.3f}; "
      f"largest FPS difference {100 * worst:.1f}%")
PY
