#!/usr/bin/env bash
# The Node client (clients/node) against a real quorumd with the demo data:
# installs its pinned packages from the npm registry into clients/node/
# node_modules (git-ignored; `npm ci`, from package-lock.json, only when
# missing or out of date), starts quorumd on a free loopback port and runs
# clients/node/test with node's test runner (addresses.test.js starts two more
# quorumd nodes of its own, $QUORUMD), then the reflection "describe"
# test (tests/reflection/describe.test.js) with the same packages.
#
#   tests/node/node_client_test.sh SOURCE_DIR QUORUMD
set -euo pipefail
source_dir="$1"
quorumd="$2"
node_dir="$source_dir/clients/node"
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "FAIL: node and npm are needed (scripts/deps.sh installs them)" >&2; exit 1; }
stamp="$node_dir/node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "$node_dir/package-lock.json" -nt "$stamp" ]]; then
  npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error >&2
fi

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
"$quorumd" --listen 127.0.0.1:0 --port-file "$tmp/port" --data-dir "$tmp/data" \
  --demo-data "$source_dir/scripts/demo-data.textproto" 2>"$tmp/log" &
pid=$!
for _ in $(seq 300); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
[[ -s "$tmp/port" ]] || { echo "FAIL: quorumd did not start" >&2; cat "$tmp/log" >&2; exit 1; }
export QUORUM_SERVER="127.0.0.1:$(cat "$tmp/port")"
# For the tests that start quorumd nodes of their own (test/addresses.test.js).
export QUORUMD="$quorumd" QUORUM_DEMO_DATA="$source_dir/scripts/demo-data.textproto"
node --test "$node_dir/test/"
# "describe" over server reflection, with the client's packages.
NODE_PATH="$node_dir/node_modules" node --test "$source_dir/tests/reflection/describe.test.js"
