#!/usr/bin/env bash
# Throughput mode vs latency mode per framework (docs/BENCHMARKS.md):
# MobileNetV2 FP32, batch 1, default parameters, `--requests N` (default 2)
# in throughput mode, each framework's own mechanism (docs/METHODOLOGY.md).
# Latency and throughput runs alternate, ROUNDS times, SECONDS_PER_RUN each.
# Prints per framework the median FPS of each mode and their ratio.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${ROUNDS:-2}"
seconds="${SECONDS_PER_RUN:-3}"
requests="${REQUESTS:-2}"
frameworks="${FRAMEWORKS:-openvino onnxruntime tflite tensorflow opencv mxnet pytorch}"
out="${OUT:-$root/results/throughput_vs_latency}"
dli="${DLI_BIN:-$root/build/bin/dli}"
mkdir -p "$out"
for round in $(seq "$rounds"); do
  for fw in $frameworks; do
    "$dli" bench --model mobilenet_v2 --framework "$fw" --precision FP32 --batch 1 \
      --time-limit "$seconds" --quiet --json "$out/${fw}_lat_$round.json" >/dev/null
    "$dli" bench --model mobilenet_v2 --framework "$fw" --precision FP32 --batch 1 \
      --mode throughput --requests "$requests" --time-limit "$seconds" --quiet \
      --json "$out/${fw}_tput_$round.json" >/dev/null
  done
done
/usr/bin/python3 - "$out" "$rounds" "$requests" $frameworks <<'PY'
import json, statistics, sys
out, rounds, requests, frameworks = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
print(f"{'framework':<12} {'latency FPS':>12} {'throughput x' + requests + ' FPS':>18} {'ratio':>6}")
for fw in frameworks:
    lat = statistics.median(json.load(open(f"{out}/{fw}_lat_{r}.json"))["results"][0]["fps"]
                            for r in range(1, rounds + 1))
    tput = statistics.median(json.load(open(f"{out}/{fw}_tput_{r}.json"))["results"][0]["fps"]
                             for r in range(1, rounds + 1))
    print(f"{fw:<12} {lat:>12.1f} {tput:>18.1f} {tput / lat:>6.2f}")
PY
