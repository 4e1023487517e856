#!/usr/bin/env bash
# Server reflection as grpcurl-style tools use it, with `buf curl` against a
# real quorumd with the demo data: every service (health included) and every
# method listed, schemas resolved by reflection alone for calls to the
# health service and to quorum's, and errors with their google.rpc details.
#
#   tests/reflection/buf_curl_test.sh SOURCE_DIR QUORUMD
#
# buf is the one scripts/lint-proto.sh pins and installs (tools/node_modules).
set -euo pipefail
source_dir="$1"
quorumd="$2"
buf="$source_dir/tools/node_modules/.bin/buf"
if [[ ! -x "$buf" ]]; then
  bash "$source_dir/scripts/lint-proto.sh" >/dev/null 2>&1 || true
fi
[[ -x "$buf" ]] || { echo "FAIL: no buf at $buf (scripts/lint-proto.sh installs it)" >&2; exit 1; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && sed 's/^/  quorumd: /' "$tmp/log" >&2; exit 1; }

"$quorumd" --listen 127.0.0.1:0 --port-file "$tmp/port" --data-dir "$tmp/data" \
  --demo-data "$source_dir/scripts/demo-data.textproto" 2>"$tmp/log" &
pid=$!
for _ in $(seq 300); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
[[ -s "$tmp/port" ]] || fail "quorumd did not start"
url="http://127.0.0.1:$(cat "$tmp/port")"
curl_() { "$buf" curl --protocol grpc --http2-prior-knowledge "$@"; }

services="$(curl_ --list-services "$url")" || fail "--list-services: $services"
for s in grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection \
         quorum.v1.AccountGraphService quorum.v1.IntakeService quorum.v1.NoteService \
         quorum.v1.PolicyService quorum.v1.QualificationService \
         quorum.v1.SignalService quorum.v1.WorkflowService; do
  grep -qx "$s" <<<"$services" || fail "--list-services lacks $s: $services"
done

methods="$(curl_ --list-methods "$url")" || fail "--list-methods: $methods"
grep -qx "grpc.health.v1.Health/Check" <<<"$methods" || fail "no Health/Check in: $methods"
# Every rpc of proto/quorum/v1 is listed.
declared="$(grep -h '^  rpc ' "$source_dir"/proto/quorum/v1/*_service.proto | wc -l)"
listed="$(grep -c '^quorum\.v1\.' <<<"$methods")"
[[ "$declared" == "$listed" ]] || fail "$declared rpcs declared, $listed listed: $methods"

health="$(curl_ "$url/grpc.health.v1.Health/Check")" || fail "Health/Check: $health"
grep -q '"status": "SERVING"' <<<"$health" || fail "Health/Check said: $health"

verdict="$(curl_ -d '{"name": "accounts/cascade-valley-health", "asOf": "2026-12-01T00:00:00Z"}' \
  "$url/quorum.v1.QualificationService/QualifyAccount")" || fail "QualifyAccount: $verdict"
grep -q '"route": "ROUTE_SALES_DISCOVERY"' <<<"$verdict" || fail "QualifyAccount said: $verdict"
grep -q '"readiness": 78' <<<"$verdict" || fail "QualifyAccount said: $verdict"

# A server stream, resolved the same way.
events="$(curl_ -d '{"afterSequence": "1"}' --timeout 3s "$url/quorum.v1.WorkflowService/WatchReadiness" 2>&1 || true)"
grep -q '"sequence"' <<<"$events" || fail "WatchReadiness gave no event: $events"

# Bad input: INVALID_ARGUMENT, the message naming each field, and the
# google.rpc.BadRequest detail by type.
status=0
error="$(curl_ -d '{"requestId": "r-1", "lead": {"email": "nope"}}' \
  "$url/quorum.v1.IntakeService/SubmitLead" 2>&1)" || status=$?
[[ $status -ne 0 ]] || fail "a bad lead was accepted: $error"
grep -q '"code": "invalid_argument"' <<<"$error" || fail "bad lead: $error"
grep -q 'lead.email: is not a usable e-mail address' <<<"$error" || fail "bad lead: $error"
grep -q '"type": "google.rpc.BadRequest"' <<<"$error" || fail "bad lead: $error"
echo "buf curl: $(wc -l <<<"$services") services, $(wc -l <<<"$methods") methods, calls and errors OK"
