#!/usr/bin/env bash
# Debian packages the flow needs beyond PyPI: Icarus Verilog (the 4-state second simulator)
# liblz4-dev (FST waves for failure reruns) and chromium (the test that renders the sign-off
# report headless).  Installs only what is missing.
set -euo pipefail
missing=()
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
[ -e /usr/include/lz4.h ] || missing+=(liblz4-dev)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
  echo "ensure_system_deps: need root to apt-get install ${missing[*]}; Icarus tests will be skipped" >&2
  exit 0
fi
echo "ensure_system_deps: installing ${missing[*]}" >&2
$sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "${missing[@]}" >/dev/null
}
