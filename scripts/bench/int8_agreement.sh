#!/usr/bin/env bash
# How closely each registered INT8/UINT8 model follows FP32 on images that are
# not in the sample set (docs/OPTIMIZE.md): every image of Debian's opencv-doc
# examples that is not a sample photo (85 today; no labels are needed, top-1
# agreement with the reference ONNX FP32 model is counted). Nine sample
# photos decide a 7-of-8 rule by one photo; this is the larger check.
# Run the `dli optimize ... --to int8|uint8` paths first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dli="$root/build/bin/dli"
out="${OUT:-$root/results/bench}"
data=/usr/share/doc/opencv-doc/examples/data
images="$(mktemp -d)"
trap 'rm -rf "$images"' EXIT
for file in "$data"/*.jpg "$data"/*.png; do
  name="$(basename "$file")"
  [[ -e "$root/models/_datasets/sample/$name" ]] || ln -s "$file" "$images/$name"
done
mkdir -p "$out"
# dli check exits 1 when a model is below its --min-agreement; here the
# figures are the result, so the table is printed either way.
"$dli" check --model mobilenet_v2 --images "$images" --precision INT8,UINT8 \
  --json "$out/int8_agreement.json" || true
