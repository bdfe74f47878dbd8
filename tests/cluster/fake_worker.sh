#!/bin/sh
# Stands in for `dli __worker` in the transport tests: reads the point spec on
# stdin, logs on stderr, and writes one JSON line on stdout with what it saw
# where it ran (the spec, its network interfaces, the model file's checksum,
# whether the model folder is writable).
[ "$1" = __worker ] || { echo "usage: dli __worker" >&2; exit 2; }
spec=$(cat)
echo "fake worker: read ${#spec} bytes" >&2
model=$(printf '%s' "$spec" | sed -n 's/.*"model": *"\([^"]*\)".*/\1/p')
sum=none
mode=none
if [ -n "$model" ] && [ -f "$model" ]; then
  sum=$(sha256sum "$model" | cut -d' ' -f1)
  if touch "$model.probe" 2>/dev/null; then mode=writable; rm -f "$model.probe"; else mode=read-only; fi
fi
printf '{"event":"result","spec":%s,"node":"%s","net":"%s","model_sha256":"%s","model_dir":"%s"}\n' \
  "$spec" "${SLURMD_NODENAME:-}" "$(ls /sys/class/net | tr '\n' ' ')" "$sum" "$mode"
