#!/usr/bin/env bash
# Installs the Debian 12 packages kiln builds with, skipping any that are already there.
# `setup.sh --bench` also installs what bench/torch_bench.py needs (docs/performance.md);
# `setup.sh --fuzz` also installs clang and libFuzzer for the `fuzz` preset (tests/fuzz/run.sh).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libopenblas-dev libtbb-dev nlohmann-json3-dev doctest-dev zlib1g-dev libhdf5-dev libzip-dev libcli11-dev
  libxml2-utils
  dataset-fashion-mnist
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-torch python3-numpy)
elif [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libfuzzer-14-dev)
elif [ $# -gt 0 ]; then
  echo "usage: setup.sh [--bench | --fuzz]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
