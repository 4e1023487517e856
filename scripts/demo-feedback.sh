#!/usr/bin/env bash
# Gives the demo server a feedback history to learn from (`quorum policy
# suggest`; docs/workflow.md, "Learning the policy from sales"): twelve labs
# send a lead with a demo request, six of them ask about pricing as well;
# each is handed off to sales at once, and sales answers. Sales rejected the
# demo requests that came alone as too early, with one exception, and
# accepted those that asked about pricing, but for one without budget.
#
#   bash scripts/demo-feedback.sh [--server 127.0.0.1:50051] [QUORUM]
#
# QUORUM is the CLI (default build/clients/quorum). Run against the server of
# scripts/run.sh; running it again adds nothing (a lab whose handoff has
# feedback already is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

server=127.0.0.1:50051
if [[ "${1:-}" == "--server" ]]; then
  server=$2
  shift 2
fi
cli=${1:-build/clients/quorum}
q() { "$cli" --server "$server" "$@"; }

signals=$(mktemp)
trap 'rm -f "$signals"' EXIT

# id|company|country|pricing (yes/no)|feedback (accept, or a rejection reason)
labs='
harbor-point-lab|Harbor Point Lab|US|no|too_early
cedar-ridge-clinical-lab|Cedar Ridge Clinical Lab|US|no|too_early
lakeview-regional-lab|Lakeview Regional Lab|US|no|too_early
summit-county-hospital-lab|Summit County Hospital Lab|US|no|too_early
bluewater-medical-lab|Bluewater Medical Lab|CA|no|too_early
prairie-health-lab|Prairie Health Lab|US|no|accept
riverbend-hospital-lab|Riverbend Hospital Lab|US|yes|accept
northgate-clinical-lab|Northgate Clinical Lab|US|yes|accept
silver-lake-hospital-lab|Silver Lake Hospital Lab|US|yes|accept
maple-grove-lab|Maple Grove Lab|CA|yes|accept
eastport-medical-lab|Eastport Medical Lab|US|yes|accept
oak-valley-hospital-lab|Oak Valley Hospital Lab|US|yes|no_budget
'

while IFS='|' read -r id company country pricing feedback; do
  [[ -z "$id" ]] && continue
  account="accounts/$id"
  if q --json handoff show "$account" 2>/dev/null | grep -q '"outcome"'; then
    echo "demo-feedback: $account has feedback already" >&2
    continue
  fi
  q lead submit --request-id "demo-feedback-$id" \
    --email "lab.ops@$id.example" --first-name Jordan --last-name Lee \
    --title "Laboratory Operations Manager" --company "$company" \
    --country "$country" --facility-type hospital_lab --source demo_form \
    --campaign demo-feedback --signal demo_request --signal-topic workflow \
    >/dev/null
  if [[ "$pricing" == yes ]]; then
    printf '{"parent": "%s", "signalId": "pricing", "signal": {"type": "SIGNAL_TYPE_PRICING_INQUIRY", "occurTime": "%s"}}\n' \
      "$account" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$signals"
    q signals send "$signals" >/dev/null
  fi
  handoff=$(q --json handoff create "$account" --actor sdr@demo \
    --request-id "demo-feedback-$id" --force \
    --force-reason "demo feedback history" |
    sed -n 's/^ "name": "\(.*\)",$/\1/p')
  if [[ "$feedback" == accept ]]; then
    q handoff feedback "$handoff" --accept --actor ae@demo >/dev/null
  else
    q handoff feedback "$handoff" --reject "$feedback" --actor ae@demo \
      --comment "demo feedback history: $feedback" >/dev/null
  fi
  echo "demo-feedback: $handoff $feedback" >&2
done <<<"$labs"
