#!/usr/bin/env bash
# Harness overhead (docs/BENCHMARKS.md): OpenVINO's own benchmark_app versus
# `dli bench` on the same FP32 IR, batch 1, sync API, latency hint (which
# sets threads/streams the same way in both; benchmark_app refuses explicit
# -nthreads/-nstreams/-pin together with a hint), f32 arithmetic, alternating
# ROUNDS times. Prints each
# pair's FPS and the ratio dli / benchmark_app.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${ROUNDS:-3}"
iterations="${ITERATIONS:-1000}"
out="${OUT:-$root/results/overhead}"
ir="$root/models/mobilenet_v2/openvino/fp32/mobilenet_v2.xml"
venv="$root/.venv/openvino"
# benchmark_app runs on the wheel's TBB; run dli on it too (docs/backends/openvino.md).
wheel_tbb="$venv/lib/python3.11/site-packages/openvino/libs/libtbb.so.12"
mkdir -p "$out"
for round in $(seq "$rounds"); do
  mkdir -p "$out/ba_$round"
  "$venv/bin/benchmark_app" -m "$ir" -d CPU -api sync -hint latency \
    -infer_precision f32 -shape "[1,3,224,224]" -niter "$iterations" \
    -report_type no_counters -json_stats -report_folder "$out/ba_$round" >"$out/ba_$round.log" 2>&1
  LD_PRELOAD="$wheel_tbb" "$root/build/bin/dli" bench --model "$ir" --framework openvino \
    --precision FP32 --batch 1 --iterations "$iterations" --param hint=LATENCY \
    --param infer_precision=f32 --quiet \
    --json "$out/dli_$round.json" >/dev/null
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
print(f"{'round':>5} {'benchmark_app FPS':>18} {'dli FPS':>9} {'dli/ba':>7}")
for r in range(1, rounds + 1):
    ba = json.load(open(f"{out}/ba_{r}/benchmark_report.json"))
    # benchmark_app's "latency (ms)" is the median; FPS = batch / median in both.
    ba_fps = 1000.0 / float(ba["execution_results"]["latency (ms)"])
    d = json.load(open(f"{out}/dli_{r}.json"))["results"][0]
    ratios.append(d["fps"] / ba_fps)
    print(f"{r:>5} {ba_fps:>18.1f} {d['fps']:>9.1f} {ratios[-1]:>7.3f}")
ratios.sort()
print(f"median ratio dli/benchmark_app over {rounds} rounds: {ratios[len(ratios)//2]:.3f}")
PY
