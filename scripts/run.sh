#!/usr/bin/env bash
# Installs dependencies, builds quorumd and the quorum CLI (build/server/
# quorumd, build/clients/quorum) and serves on 127.0.0.1:50051 with its LMDB
# data in ./quorum-data and the demo accounts loaded (loading again on a later
# start adds nothing). Stop it with Ctrl-C (SIGINT): it drains and closes
# LMDB. Extra arguments go to quorumd.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target quorumd quorum
echo "quorum: the CLI is $PWD/build/clients/quorum;" \
  "put it on your PATH with: export PATH=\"$PWD/build/clients:\$PATH\"" >&2
exec ./build/server/quorumd --listen 127.0.0.1:50051 --data-dir ./quorum-data \
  --demo-data scripts/demo-data.textproto "$@"
