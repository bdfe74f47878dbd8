#!/usr/bin/env bash
# OpenVINO INT8 versus FP32 MobileNetV2 on this CPU (docs/BENCHMARKS.md):
# the two precisions alternate ROUNDS times at each batch; prints FPS with
# 95% CIs and the INT8/FP32 ratio with its interval.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="$root/build/bin/dli"
out="${OUT:-$root/results/bench}"
rounds="${ROUNDS:-2}"
batches="${BATCHES:-1,2,4,8,16,32,64}"
mkdir -p "$out"
for round in $(seq "$rounds"); do
  for precision in FP32 INT8; do
    "$dli" bench --model mobilenet_v2 --framework openvino --precision "$precision" \
      --batch "$batches" --images "$root/models/_datasets/sample" --iterations 300 --quiet \
      --json "$out/int8_${precision}_$round.json" >/dev/null
  done
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def fps(p):
    b, l = p["batch"], p["latency_ms"]
    return p["fps"], b * 1000 / l["ci95_high"], b * 1000 / l["ci95_low"]
print("| batch | round | FP32 FPS [95% CI] | INT8 FPS [95% CI] | INT8/FP32 [interval] |")
print("|---|---|---|---|---|")
best = {"FP32": (0, 0), "INT8": (0, 0)}
for r in range(1, rounds + 1):
    f = {p["batch"]: p for p in json.load(open(f"{out}/int8_FP32_{r}.json"))["results"]}
    i = {p["batch"]: p for p in json.load(open(f"{out}/int8_INT8_{r}.json"))["results"]}
    for b in sorted(f):
        (f0, fl, fh), (i0, il, ih) = fps(f[b]), fps(i[b])
        best["FP32"] = max(best["FP32"], (f0, b)); best["INT8"] = max(best["INT8"], (i0, b))
        print(f"| {b} | {r} | {f0:.1f} [{fl:.1f}, {fh:.1f}] | {i0:.1f} [{il:.1f}, {ih:.1f}] | "
              f"{i0 / f0:.2f} [{il / fh:.2f}, {ih / fl:.2f}] |")
print(f"\nbest FP32: {best['FP32'][0]:.1f} FPS at batch {best['FP32'][1]}; best INT8: "
      f"{best['INT8'][0]:.1f} FPS at batch {best['INT8'][1]}; ratio {best['INT8'][0] / best['FP32'][0]:.2f}")
PY
