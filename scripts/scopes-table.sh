#!/usr/bin/env bash
# Prints the scope of every RPC, read from the `(quorum.v1.scope)` options in
# proto/, as a Markdown table; with --check FILE (or --write FILE), compares
# (or replaces) the table between the markers
#   <!-- scopes-table:begin --> and <!-- scopes-table:end -->
# in FILE, so docs/security.md cannot drift from the protos.
#
#   scripts/scopes-table.sh [--check FILE | --write FILE]
#
# Uses Debian's protoc and python3-protobuf. Exit status 1 when --check finds
# a difference (or an RPC without a scope).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

args=("$@")
if ((${#args[@]} == 2)); then
  args[1]="$(realpath "${args[1]}")"
fi
cd "$root/proto"
mapfile -t files < <(find quorum -name '*.proto' | sort)
protoc -I. --include_imports --descriptor_set_out="$tmp/api.pb" \
  --python_out="$tmp" "${files[@]}"

/usr/bin/python3 - "$tmp" "${args[@]}" <<'PY'
import sys
tmp, args = sys.argv[1], sys.argv[2:]
sys.path.insert(0, tmp)
from google.protobuf import descriptor_pb2
from quorum.v1 import access_pb2  # Registers the extension for parsing.

data = open(f"{tmp}/api.pb", "rb").read()
fds = descriptor_pb2.FileDescriptorSet.FromString(data)
names = {v.number: v.name for v in access_pb2.Scope.DESCRIPTOR.values}
rows, missing = [], []
for f in fds.file:
    if not f.package.startswith("quorum."):
        continue
    for service in f.service:
        for m in service.method:
            scope = m.options.Extensions[access_pb2.scope]
            if scope == access_pb2.SCOPE_UNSPECIFIED:
                missing.append(f"{f.package}.{service.name}.{m.name}")
            kind = ("bidi stream" if m.client_streaming and m.server_streaming
                    else "client stream" if m.client_streaming
                    else "server stream" if m.server_streaming else "unary")
            rows.append((service.name, m.name, kind,
                         names[scope].removeprefix("SCOPE_").lower()))
order = {"public": 0, "read": 1, "write": 2, "admin": 3, "unspecified": 4}
rows.sort(key=lambda r: (r[0], r[1]))
lines = ["| Service | RPC | Kind | Scope |", "|---|---|---|---|"]
lines += [f"| {s} | `{m}` | {k} | **{c}** |" for s, m, k, c in rows]
lines += ["| grpc.health.v1.Health | `Check`, `Watch` | unary, server stream | public (no token) |",
          "| grpc.reflection.v1alpha.ServerReflection | `ServerReflectionInfo` | bidi stream | **read** |"]
counts = {}
for r in rows:
    counts[r[3]] = counts.get(r[3], 0) + 1
summary = ", ".join(f"{counts[c]} {c}" for c in sorted(counts, key=order.get))
table = "\n".join(lines) + f"\n\n{len(rows)} quorum RPCs: {summary}.\n"
if missing:
    print("RPCs without a (quorum.v1.scope) option: " + ", ".join(missing),
          file=sys.stderr)
    sys.exit(1)
if not args:
    sys.stdout.write(table)
    sys.exit(0)
mode, path = args[0], args[1]
begin, end = "<!-- scopes-table:begin -->\n", "<!-- scopes-table:end -->"
text = open(path).read()
if begin not in text or end not in text:
    print(f"{path}: no {begin.strip()} ... {end} markers", file=sys.stderr)
    sys.exit(1)
head, rest = text.split(begin, 1)
current, tail = rest.split(end, 1)
if mode == "--write":
    open(path, "w").write(head + begin + table + end + tail)
elif current != table:
    print(f"{path}: the scope table differs from the protos; run "
          f"scripts/scopes-table.sh --write {path}", file=sys.stderr)
    sys.exit(1)
else:
    print(f"{path}: the scope table matches the protos", file=sys.stderr)
PY
