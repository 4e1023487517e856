#!/usr/bin/env python3
"""Prints an account's verdict as JSON.

    .venv/bin/python clients/python/examples/qualify.py \
        [--server 127.0.0.1:50051] [--as-of 2026-12-01T00:00:00Z] \
        [--policy-revision N] accounts/cascade-valley-health
"""

import argparse
import sys

import quorum_client
from google.protobuf import json_format


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("account", help="accounts/{account}")
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--as-of", help="RFC 3339 time; now when omitted")
    parser.add_argument("--policy-revision", type=int, default=0)
    args = parser.parse_args()

    q = quorum_client.load()
    stub = q.qualification_grpc.QualificationServiceStub(
        quorum_client.channel(args.server))
    request = q.qualification.QualifyAccountRequest(
        name=args.account, policy_revision=args.policy_revision)
    if args.as_of:
        request.as_of.FromJsonString(args.as_of)
    try:
        verdict = stub.QualifyAccount(request, timeout=10)
    except Exception as error:  # grpc.RpcError
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    print(json_format.MessageToJson(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
