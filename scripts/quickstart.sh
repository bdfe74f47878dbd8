#!/usr/bin/env bash
# The main job on the bundled default: install, build, prepare the pretrained
# MobileNetV2 in every format, then benchmark it on the real sample photos.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DLI_BUILD_DIR:-$root/build}"
dli="$build/bin/dli"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
"$dli" models prepare
"$dli" info
mkdir -p "$root/results"
photos="$root/models/_datasets/sample"
status=0
for framework in openvino opencv; do
  "$dli" bench --model mobilenet_v2 --framework "$framework" --batch 1,2,4,8 \
    --images "$photos" --iterations 300 \
    --json "$root/results/quickstart-$framework.json" \
    --csv "$root/results/quickstart-$framework.csv" || status=$?
done
echo "results: $root/results/quickstart-*.json / .csv"
exit $status
