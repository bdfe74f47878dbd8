#!/usr/bin/env bash
# Installs everything DLI needs on Debian 12, idempotently, then returns.
# Each component lives in scripts/setup.d/NN-name.sh and uses the helpers
# defined here; a component that is already installed costs a few checks.
#
#   scripts/setup.sh            all components
#   scripts/setup.sh core       only the ones whose file name contains "core"
set -euo pipefail

DLI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DLI_VENV_ROOT="${DLI_VENV_ROOT:-$DLI_ROOT/.venv}"
DLI_SYSTEM_PYTHON=/usr/bin/python3
export DLI_ROOT DLI_VENV_ROOT DLI_SYSTEM_PYTHON

log() { printf '[setup] %s\n' "$*" >&2; }

APT_UPDATED=0
# dli_apt PKG...: installs the Debian packages that are not installed yet.
dli_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root to install them)"
    return 1
  fi
  if [ $APT_UPDATED -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# dli_venv NAME [--system-site-packages] -- REQUIREMENT...
# Creates .venv/NAME from Debian's python3 and pip-installs the pinned
# requirements. A stamp file holding the requirement list makes a second run
# with the same list free.
dli_venv() {
  local name="$1"; shift
  local venv_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do venv_args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  local dir="$DLI_VENV_ROOT/$name" stamp="$DLI_VENV_ROOT/$name/.dli-requirements"
  local wanted="$*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$dir/bin/python" ]; then
    return 0
  fi
  log "virtual environment $name: $wanted"
  [ -x "$dir/bin/python" ] || "$DLI_SYSTEM_PYTHON" -m venv "${venv_args[@]}" "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
  printf '%s' "$wanted" > "$stamp"
}

# dli_pip_nodeps NAME REQUIREMENT...: adds packages to .venv/NAME without
# their declared dependencies (for packages whose pins are stale).
dli_pip_nodeps() {
  local name="$1"; shift
  "$DLI_VENV_ROOT/$name/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$@"
}

filter="${1:-}"
for component in "$DLI_ROOT"/scripts/setup.d/*.sh; do
  case "$(basename "$component")" in *"$filter"*) ;; *) continue ;; esac
  # shellcheck source=/dev/null
  source "$component"
done
log "done"
