// @ts-check
// The Node client against a real quorumd with the demo data, whose address
// is $QUORUM_SERVER (tests/node/node_client_test.sh starts it): a verdict,
// the readiness listing, the change feed, decoded error details, and the
// example's output.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const {execFileSync} = require("node:child_process");
const quorum = require("..");

const server = process.env.QUORUM_SERVER;
const asOf = {seconds: String(Date.parse("2026-12-01T00:00:00Z") / 1000), nanos: 0};

function call(stub, method, request) {
  return new Promise((resolve, reject) => {
    stub[method](request, {deadline: new Date(Date.now() + 10000)},
                 (error, response) => (error ? reject(error) : resolve(response)));
  });
}

test("QUORUM_SERVER is set", () => assert.ok(server, "set QUORUM_SERVER"));

test("QualifyAccount gives the worked example's verdict", async () => {
  const client = quorum.connect(server);
  try {
    const verdict = await call(client.qualification, "QualifyAccount",
                               {name: "accounts/cascade-valley-health", asOf});
    assert.equal(verdict.route, "ROUTE_SALES_DISCOVERY");
    assert.equal(verdict.readiness, 78);
    assert.equal(verdict.policyRevision, "1");  // int64 as a string
    assert.ok(verdict.reasons.length > 0);
  } finally {
    client.close();
  }
});

test("ListAccountReadiness filters and orders by readiness", async () => {
  const client = quorum.connect(server);
  try {
    const all = await call(client.workflow, "ListAccountReadiness", {asOf});
    assert.equal(all.accounts.length, 8);
    const readiness = all.accounts.map((a) => a.readiness);
    assert.deepEqual(readiness, [...readiness].sort((a, b) => b - a));
    const us = await call(client.workflow, "ListAccountReadiness",
                          {asOf, countryCode: "US", routes: ["ROUTE_SALES_DISCOVERY"]});
    assert.deepEqual(us.accounts.map((a) => a.account),
                     ["accounts/northfield-health", "accounts/cascade-valley-health"]);
  } finally {
    client.close();
  }
});

test("WatchReadiness replays after a sequence number and sees new changes", async () => {
  const client = quorum.connect(server);
  try {
    const events = [];
    const done = new Promise((resolve, reject) => {
      const stream = client.workflow.WatchReadiness(
        {afterSequence: "1"}, {deadline: new Date(Date.now() + 3000)});
      stream.on("data", (e) => events.push(e));
      stream.on("error", (e) =>
        e.code === quorum.grpc.status.DEADLINE_EXCEEDED ? resolve(undefined) : reject(e));
      stream.on("end", () => resolve(undefined));
    });
    await done;
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => Number(e.sequence) > 1));
    assert.ok(events.every((e) => e.account.startsWith("accounts/")));
  } finally {
    client.close();
  }
});

test("errors carry a decoded google.rpc.BadRequest", async () => {
  const client = quorum.connect(server);
  try {
    await assert.rejects(
      call(client.intake, "SubmitLead", {requestId: "node-test-bad", lead: {email: "nope"}}),
      (error) => {
        assert.equal(error.code, quorum.grpc.status.INVALID_ARGUMENT);
        const details = quorum.errorDetails(error);
        assert.deepEqual(details.map((d) => d.type), ["google.rpc.BadRequest"]);
        assert.deepEqual(quorum.fieldViolations(error).map((v) => v.field),
                         ["lead.email", "lead.company"]);
        return true;
      });
    // A missing account: NOT_FOUND, no details.
    await assert.rejects(call(client.qualification, "QualifyAccount", {name: "accounts/nobody"}),
                         (error) => error.code === quorum.grpc.status.NOT_FOUND &&
                                    quorum.errorDetails(error).length === 0);
  } finally {
    client.close();
  }
});

test("the example prints a verdict, the listing, events and the violations", () => {
  const out = execFileSync(process.execPath, [
    path.join(__dirname, "..", "examples", "readiness.js"),
    "--server", server, "--as-of", "2026-12-01T00:00:00Z", "--watch-seconds", "1",
  ], {encoding: "utf8"});
  const lines = out.split("\n");
  assert.equal(lines[0], "verdict accounts/cascade-valley-health: ROUTE_SALES_DISCOVERY " +
                         "readiness 78 (rule fit-and-intent, policy revision 1)");
  assert.equal(lines[1], "ready in US: 2 account(s)");
  assert.match(out, /\nwatch: [1-9]\d* event\(s\), first #2 /);
  assert.match(out, /\nrefused: INVALID_ARGUMENT\n  lead\.email: is not a usable e-mail address/);
});
