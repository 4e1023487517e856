#!/usr/bin/env python3
"""Submits one lead to quorum and prints what came back, as JSON.

    .venv/bin/python clients/python/examples/submit_lead.py \
        [--server 127.0.0.1:50051] --request-id ID lead.json

lead.json is a quorum.v1.Lead in protobuf JSON ("-" for standard input), e.g.
    {"email": "Megan.Ortiz@Cascade-Valley.org", "firstName": "Megan",
     "lastName": "Ortiz", "title": "Laboratory Operations Manager",
     "company": "Cascade Valley Health, Inc.", "country": "United States",
     "source": "SOURCE_CHANNEL_DEMO_FORM",
     "signal": {"type": "SIGNAL_TYPE_DEMO_REQUEST", "topic": "SIGNAL_TOPIC_WORKFLOW"}}
Sending the same request ID again returns the first answer ("replayed").
"""

import argparse
import sys

import quorum_client
from google.protobuf import json_format


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lead", help="a quorum.v1.Lead as JSON, or -")
    parser.add_argument("--request-id", required=True)
    parser.add_argument("--server", default="127.0.0.1:50051")
    args = parser.parse_args()

    q = quorum_client.load()
    text = sys.stdin.read() if args.lead == "-" else open(args.lead).read()
    request = q.intake.SubmitLeadRequest(request_id=args.request_id)
    json_format.Parse(text, request.lead)
    stub = q.intake_grpc.IntakeServiceStub(quorum_client.channel(args.server))
    try:
        response = stub.SubmitLead(request, timeout=10)
    except Exception as error:  # grpc.RpcError
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        details = quorum_client.error_details(error)
        for any_detail in details.details if details else []:
            bad = q.error_details.BadRequest()
            if any_detail.Unpack(bad):
                for v in bad.field_violations:
                    print(f"  {v.field}: {v.description}", file=sys.stderr)
        return 1
    print(json_format.MessageToJson(response))
    return 0


if __name__ == "__main__":
    sys.exit(main())
