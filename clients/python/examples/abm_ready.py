#!/usr/bin/env python3
"""Lists the accounts of a country that are ready for sales, and the buying
committee roles each one still misses: what an ABM team asks quorum.

    .venv/bin/python clients/python/examples/abm_ready.py \
        [--server 127.0.0.1:50051] [--as-of 2026-12-01T00:00:00Z] \
        [--all-routes] [--min-readiness N] [--json] --country US

"Ready" means the verdict routes the account to SALES_DISCOVERY or
TECHNICAL_PRESALES (--all-routes lists every route). It pages through
WorkflowService.ListAccountReadiness (accounts by readiness, filtered by
country) and maps each missing committee requirement to the roles that would
meet it, from the policy revision the listing used (PolicyService.GetPolicy).
"""

import argparse
import json
import sys

import quorum_client

RPC_TIMEOUT_SECONDS = 10
READY_ROUTES = ("ROUTE_SALES_DISCOVERY", "ROUTE_TECHNICAL_PRESALES")


def short(enum_type, value, prefix):
    return enum_type.Name(value)[len(prefix):]


def ready_accounts(q, stub, args):
    """Every AccountReadiness that matches, by readiness, and the listing's
    policy revision."""
    request = q.workflow.ListAccountReadinessRequest(
        country_code=args.country.upper(), min_readiness=args.min_readiness,
        page_size=100)
    if not args.all_routes:
        request.routes.extend(q.policy.Route.Value(r) for r in READY_ROUTES)
    if args.as_of:
        request.as_of.FromJsonString(args.as_of)
    accounts, revision = [], 0
    while True:
        page = stub.ListAccountReadiness(request, timeout=RPC_TIMEOUT_SECONDS)
        accounts.extend(page.accounts)
        revision = page.policy_revision
        if not page.next_page_token:
            return accounts, revision
        request.page_token = page.next_page_token


def requirement_roles(q, channel, revision):
    """Requirement ID -> the committee roles that meet it."""
    stub = q.policy_grpc.PolicyServiceStub(channel)
    policy = stub.GetPolicy(q.policy_service.GetPolicyRequest(revision=revision),
                            timeout=RPC_TIMEOUT_SECONDS).policy
    return {r.id: [short(q.resources.CommitteeRole, role, "COMMITTEE_ROLE_")
                   for role in r.roles]
            for r in policy.committee.requirements}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2")
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--as-of", help="RFC 3339 time; now when omitted")
    parser.add_argument("--min-readiness", type=int, default=0)
    parser.add_argument("--all-routes", action="store_true",
                        help="every route, not only the sales routes")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    q = quorum_client.load()
    channel = quorum_client.channel(args.server)
    try:
        accounts, revision = ready_accounts(
            q, q.workflow_grpc.WorkflowServiceStub(channel), args)
        roles = requirement_roles(q, channel, revision)
    except Exception as error:  # grpc.RpcError
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1

    rows = [{
        "account": a.account,
        "displayName": a.display_name,
        "route": short(q.policy.Route, a.route, "ROUTE_"),
        "readiness": a.readiness,
        "coverage": round(a.coverage, 2),
        "missing": [{"requirement": m, "roles": roles.get(m, [])}
                    for m in a.missing_requirements],
    } for a in accounts]
    if args.json:
        print(json.dumps({"country": args.country.upper(),
                          "policyRevision": revision, "accounts": rows},
                         indent=2))
        return 0
    print(f"{len(rows)} account(s) ready in {args.country.upper()} "
          f"(policy revision {revision})")
    for row in rows:
        print(f"{row['readiness']:5d}  {row['route']:<18}  {row['account']}"
              f"  ({row['displayName']})")
        if not row["missing"]:
            print("       missing roles: none")
        for m in row["missing"]:
            print(f"       missing {m['requirement']}: "
                  f"{' or '.join(m['roles']) or '?'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
