#!/usr/bin/env bash
# Installs what quorum needs to build, run and test on Debian 12 (as root).
# Safe to run again: when every package is already there it changes nothing.
#   scripts/deps.sh [EXTRA-PACKAGE...]
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  liblmdb-dev libboost-graph-dev libabsl-dev libicu-dev libphonenumber-dev libcli11-dev
  libcsv-dev graphviz libssl-dev openssl libcurl4-openssl-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev
  libpq-dev postgresql-15
  clang-14 libclang-rt-14-dev
  python3 python3-grpcio python3-protobuf
  python3-venv python3-pip python3-setuptools python3-wheel
)
# Extra packages named on the command line (scripts/bench.sh adds its own).
packages+=("$@")
# buf (proto lint) comes from the npm registry; use the machine's npm when it
# has one, Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "quorum: missing packages: ${missing[*]}; run this as root to install them" >&2
    exit 1
  fi
  echo "quorum: installing ${missing[*]}" >&2
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
