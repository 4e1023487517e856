#!/usr/bin/env bash
# Installs the Python client as its users do — pip into a virtual environment
# that sees Debian's python3-grpcio and python3-protobuf — and runs
# test_roundtrip.py with that environment's python against real quorumd
# processes.
#
#   tests/python/run_client_tests.sh SOURCE_DIR QUORUMD WORK_DIR
#
# The package is built from a copy of clients/python (so the source folder
# stays as it is) with the protos of SOURCE_DIR/proto; pip gets --no-index
# (no package index is reachable or wanted), --no-deps and
# --no-build-isolation (setuptools and wheel are Debian's).
set -euo pipefail
source_dir="$1"
quorumd="$2"
work="$3"

rm -rf "$work"
mkdir -p "$work"
cp -r "$source_dir/clients/python" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
QUORUM_PROTO_DIR="$source_dir/proto" "$work/venv/bin/pip" install --quiet \
  --no-index --no-deps --no-build-isolation "$work/src"
# The installed package holds its generated modules; the sources none.
installed="$("$work/venv/bin/python" -c 'import quorum_client, os; print(os.path.dirname(quorum_client.__file__))')"
[[ -f "$installed/_proto/quorum/v1/qualification_service_pb2_grpc.py" ]] || {
  echo "run_client_tests: no generated modules under $installed" >&2
  exit 1
}
if [[ -e "$source_dir/clients/python/quorum_client/_proto" ]]; then
  echo "run_client_tests: generated code in the source folder" >&2
  exit 1
fi
cd "$work"  # Not the source folder: `import quorum_client` must be the installed one.
exec "$work/venv/bin/python" "$source_dir/tests/python/test_roundtrip.py" \
  --quorumd "$quorumd" --client-dir "$source_dir/clients/python" \
  --demo-data "$source_dir/scripts/demo-data.textproto"
