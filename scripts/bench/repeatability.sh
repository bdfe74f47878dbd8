#!/usr/bin/env bash
# Run-to-run repeatability (docs/BENCHMARKS.md): the 14-point study three
# times back to back with one repetition per point, and three times with
# three interleaved repetitions, alternating the two so that both see the
# same machine phases. Prints how often later runs land inside the first
# run's interval, the worst max/min ratio, batch-1 rank changes and wall time.
#   RUNS=3 REPS=3 scripts/bench/repeatability.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="${DLI:-$root/build/bin/dli}"
out="${OUT:-$root/results/bench/repeatability}"
runs="${RUNS:-3}" reps="${REPS:-3}"
mkdir -p "$out"
rm -f "$out"/single.sqlite* "$out"/repeated.sqlite* "$out/wall.tsv"
study="${STUDY:-$root/experiments/bench/repeatability.yaml}"
repeated="$out/repeatability_repeated.yaml"
sed "s/^name: .*/name: bench_repeatability_repeated/" "$study" > "$repeated"
echo "repetitions: $reps" >> "$repeated"
for i in $(seq "$runs"); do
  for kind in single repeated; do
    file="$study"; [ "$kind" = repeated ] && file="$repeated"
    start=$EPOCHREALTIME
    "$dli" run "$file" --db "$out/$kind.sqlite" --rerun
    printf '%s\t%s\t%s\n' "$kind" "$start" "$EPOCHREALTIME" >> "$out/wall.tsv"
  done
done
for kind in single repeated; do
  "$dli" results export --db "$out/$kind.sqlite" --all-versions --json "$out/$kind.json" >/dev/null
done
/usr/bin/python3 "$root/scripts/bench/repeatability.py" "$out"
