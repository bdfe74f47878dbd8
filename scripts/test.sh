#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) or a
# developer's checkout: install what is missing, build, prepare the reference
# models (the backend tests run on them), then ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DLI_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
prepare_status=0
"$build/bin/dli" models prepare || prepare_status=$?
cd "$build"
test_status=0
ctest --output-on-failure --timeout 1800 "$@" || test_status=$?
if [ "$prepare_status" -ne 0 ]; then
  echo "test.sh: model preparation failed (exit $prepare_status): backend tests lacked models" >&2
  exit "$prepare_status"
fi
exit "$test_status"
