#!/usr/bin/env bash
# Configures and builds DLI into build/ (Release). Backends whose framework
# SDK is missing are skipped with a reason that `dli info` shows.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DLI_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDLI_BACKENDS=all >/dev/null
cmake --build "$build" -j"$(nproc)"
