#!/usr/bin/env bash
# Throughput mode (docs/BENCHMARKS.md): `dli bench --mode throughput` against
# OpenVINO's own benchmark_app -hint throughput on the same FP32 IR, batch 1,
# f32 arithmetic, the same request count (-nireq / --requests, which both pass
# to the hint as PERFORMANCE_HINT_NUM_REQUESTS) and the same streams (benchmark_app
# refuses -nstreams with a hint, so both let the hint choose), alternating
# with dli's latency mode in ROUNDS short rounds so that all three see the
# same machine state. Prints each round's FPS and the ratios.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-5}"
requests="${REQUESTS:-2}"
models="${DLI_MODELS_DIR:-$root/models}"
out="${OUT:-$root/results/throughput}"
ir="$models/mobilenet_v2/openvino/fp32/mobilenet_v2.xml"
venv="${DLI_VENV_ROOT:-$root/.venv}/openvino"
dli="${DLI_BIN:-$root/build/bin/dli}"
# benchmark_app runs on the wheel's TBB; run dli on it too (docs/backends/openvino.md).
wheel_tbb="$venv/lib/python3.11/site-packages/openvino/libs/libtbb.so.12"
mkdir -p "$out"
for round in $(seq "$rounds"); do
  mkdir -p "$out/ba_$round"
  "$venv/bin/benchmark_app" -m "$ir" -d CPU -api async -hint throughput -nireq "$requests" \
    -infer_precision f32 -shape "[1,3,224,224]" -t "$seconds" \
    -report_type no_counters -json_stats -report_folder "$out/ba_$round" >"$out/ba_$round.log" 2>&1
  LD_PRELOAD="$wheel_tbb" "$dli" bench --model "$ir" --framework openvino --precision FP32 \
    --batch 1 --mode throughput --requests "$requests" --time-limit "$seconds" \
    --param infer_precision=f32 --quiet --json "$out/dli_tput_$round.json" >/dev/null
  LD_PRELOAD="$wheel_tbb" "$dli" bench --model "$ir" --framework openvino --precision FP32 \
    --batch 1 --time-limit "$seconds" --param infer_precision=f32 --quiet \
    --json "$out/dli_lat_$round.json" >/dev/null
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
vs_ba, vs_lat = [], []
print(f"{'round':>5} {'benchmark_app FPS':>18} {'dli tput FPS':>13} {'dli lat FPS':>12}"
      f" {'tput/ba':>8} {'tput/lat':>9}")
for r in range(1, rounds + 1):
    ba = json.load(open(f"{out}/ba_{r}/benchmark_report.json"))
    ba_fps = float(ba["execution_results"]["throughput"])
    tput = json.load(open(f"{out}/dli_tput_{r}.json"))["results"][0]["throughput"]["fps"]
    lat = json.load(open(f"{out}/dli_lat_{r}.json"))["results"][0]["fps"]
    vs_ba.append(tput / ba_fps)
    vs_lat.append(tput / lat)
    print(f"{r:>5} {ba_fps:>18.1f} {tput:>13.1f} {lat:>12.1f} {vs_ba[-1]:>8.3f} {vs_lat[-1]:>9.3f}")
for name, ratios in (("dli throughput / benchmark_app", vs_ba),
                     ("dli throughput / dli latency", vs_lat)):
    ratios.sort()
    print(f"median {name} over {rounds} rounds: {ratios[len(ratios)//2]:.3f}")
PY
