#!/usr/bin/env bash
# Installs dependencies, builds everything and runs every test with CTest:
# graph (LMDB in temporary folders), server (real gRPC channel), end-to-end
# (the quorumd binary, SIGKILL and restart), the Python client and buf lint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUORUM_BUILD_TESTS=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --timeout 600 -j2
