#!/usr/bin/env python3
"""Streams signals to quorum from a JSON-lines file, as a marketing system
would, and prints the counts.

    .venv/bin/python clients/python/examples/stream_signals.py \
        [--server 127.0.0.1:50051] [--batch 500] signals.jsonl

Each line is a quorum.v1.CreateSignalRequest in protobuf JSON, e.g.
    {"parent": "accounts/cascade-valley-health", "signalId": "web-1",
     "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW", "topic": "SIGNAL_TOPIC_WORKFLOW",
                "occurTime": "2026-11-20T10:00:00Z"}}
Use "-" for standard input. Give every signal an ID: sending the file again
then counts each signal once. Exits 0 when every signal was accepted or was
a duplicate, 1 when the server rejected some (or the call failed).
"""

import argparse
import sys

import quorum_client
from google.protobuf import json_format


def messages(q, lines, batch):
    """StreamSignalsRequest messages of up to `batch` signals each."""
    message = q.intake.StreamSignalsRequest()
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            json_format.Parse(line, message.signals.add())
        except json_format.ParseError as error:
            raise SystemExit(f"line {number}: {error}")
        if len(message.signals) == batch:
            yield message
            message = q.intake.StreamSignalsRequest()
    if message.signals:
        yield message


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="JSON lines of CreateSignalRequest, or -")
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()

    q = quorum_client.load()
    stub = q.intake_grpc.IntakeServiceStub(quorum_client.channel(args.server))
    lines = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    try:
        response = stub.StreamSignals(messages(q, lines, args.batch), timeout=600)
    except Exception as error:  # grpc.RpcError
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    print(json_format.MessageToJson(response, including_default_value_fields=True))
    # Like the quorum CLI: rejected signals make the run fail (exit 1), so a
    # script or a pipeline notices; the counts above say which and why.
    if response.rejected:
        print(f"{response.rejected} signal(s) rejected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
