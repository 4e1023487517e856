// @ts-check
// connect() over several addresses: round robin over two quorumd processes
// (own data folders, the same demo data; $QUORUMD and $QUORUM_DEMO_DATA,
// set by tests/node/node_client_test.sh), reads through the other when one
// is killed, and the retry policy against a node that answers UNAVAILABLE:
// reads and writes with a request_id retried (an empty requestId filled, the
// same on every attempt), other writes sent once.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const {spawn} = require("node:child_process");
const quorum = require("..");

const grpc = quorum.grpc;
const quorumd = process.env.QUORUMD || "";
const demoData = process.env.QUORUM_DEMO_DATA || "";

function call(stub, method, request) {
  return new Promise((resolve, reject) => {
    stub[method](request, {deadline: new Date(Date.now() + 10000)},
                 (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** A quorumd with the demo data in a temporary folder of its own. */
async function startNode(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quorum-node-test-"));
  const portFile = path.join(dir, "port");
  const child = spawn(quorumd, ["--listen=127.0.0.1:0", `--port-file=${portFile}`,
                                `--data-dir=${path.join(dir, "data")}`,
                                `--demo-data=${demoData}`],
                      {stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "log"), "w")]});
  t.after(() => {
    child.kill("SIGKILL");
    fs.rmSync(dir, {recursive: true, force: true});
  });
  for (let i = 0; i < 300; i++) {
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, "utf8").trim() : "";
    if (text) return {address: `127.0.0.1:${text}`, child};
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("quorumd did not start: " + fs.readFileSync(path.join(dir, "log"), "utf8"));
}

/**
 * A gRPC server that answers every call of every quorum.v1 service
 * UNAVAILABLE before sending anything, and keeps the requests by path.
 */
async function startUnavailableNode(t) {
  const v1 = /** @type {any} */ (quorum.load()).quorum.v1;
  /** @type {Record<string, any[]>} */
  const requests = {};
  const server = new grpc.Server();
  for (const name of ["AccountGraphService", "IntakeService", "NoteService", "PolicyService",
                      "QualificationService", "SignalService", "WorkflowService"]) {
    const definition = v1[name].service;
    /** @type {Record<string, Function>} */
    const implementation = {};
    for (const [method, d] of Object.entries(definition)) {
      const fail = {code: grpc.status.UNAVAILABLE, details: "node going away"};
      implementation[method] = d.requestStream
        ? (c, callback) => { (requests[d.path] ||= []).push(null); callback(fail); }
        : d.responseStream
          ? (c) => { (requests[d.path] ||= []).push(c.request); c.emit("error", fail); }
          : (c, callback) => { (requests[d.path] ||= []).push(c.request); callback(fail); };
    }
    server.addService(definition, /** @type {any} */ (implementation));
  }
  const port = await new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(),
                     (error, p) => (error ? reject(error) : resolve(p)));
  });
  t.after(() => server.forceShutdown());
  return {address: `127.0.0.1:${port}`, requests,
          calls: (/** @type {string} */ p) => (requests[p] || []).length};
}

async function countSignals(address, prefix) {
  const client = quorum.connect(address);
  try {
    const page = await call(client.signals, "ListSignals",
                            {parent: "accounts/lakeshore-phl", pageSize: 1000});
    return page.signals.filter((s) => s.name.includes(`/signals/${prefix}`)).length;
  } finally {
    client.close();
  }
}

const skip = !quorumd || !demoData ? "QUORUMD and QUORUM_DEMO_DATA are not set" : false;

test("calls go round robin over the addresses", {skip}, async (t) => {
  const [a, b] = [await startNode(t), await startNode(t)];
  const client = quorum.connect(`${a.address},${b.address}`);
  try {
    for (let i = 0; i < 10; i++) {
      await call(client.signals, "RecordSignals", {requests: [{
        parent: "accounts/lakeshore-phl", signalId: `rr-${i}`,
        signal: {type: "SIGNAL_TYPE_PAGE_VIEW", occurTime: {seconds: "1795341600", nanos: 0}},
      }]});
    }
  } finally {
    client.close();
  }
  const [onA, onB] = [await countSignals(a.address, "rr-"), await countSignals(b.address, "rr-")];
  assert.equal(onA + onB, 10);
  assert.ok(onA > 0, "node a got none: no round robin");
  assert.ok(onB > 0, "node b got none: no round robin");
});

test("reads answer through the other when one node is killed", {skip}, async (t) => {
  const [a, b] = [await startNode(t), await startNode(t)];
  const client = quorum.connect([a.address, b.address]);
  try {
    a.child.kill("SIGKILL");
    for (let i = 0; i < 4; i++) {
      const verdict = await call(client.qualification, "QualifyAccount",
                                 {name: "accounts/cascade-valley-health"});
      assert.equal(verdict.account, "accounts/cascade-valley-health");
    }
  } finally {
    client.close();
  }
});

test("retried writes are applied once", {skip}, async (t) => {
  const goingAway = await startUnavailableNode(t);
  const b = await startNode(t);
  const client = quorum.connect([goingAway.address, b.address]);
  const emails = [0, 1, 2, 3].map((i) => `lab.ops${i}@cascadevalleyhealth.org`);
  try {
    for (const [i, email] of emails.entries()) {  // No requestId: one is filled.
      await call(client.intake, "SubmitLead", {lead: {
        email, firstName: "Ana", lastName: `Ruiz${i}`, title: "Lab Operations Manager",
        company: "Cascade Valley Health", country: "US"}});
    }
  } finally {
    client.close();
  }
  const direct = quorum.connect(b.address);
  try {
    const people = await call(direct.accountGraph, "ListStakeholders",
                              {parent: "accounts/cascade-valley-health", pageSize: 1000});
    for (const email of emails) {
      assert.equal(people.stakeholders.filter((p) => p.email === email).length, 1, email);
    }
  } finally {
    direct.close();
  }
  assert.ok(goingAway.calls("/quorum.v1.IntakeService/SubmitLead") > 0,
            "round robin never picked the node going away");
});

test("idempotent calls are retried and other writes sent once", async (t) => {
  const node = await startUnavailableNode(t);
  const client = quorum.connect(node.address);
  const fails = async (stub, method, request) => {
    await assert.rejects(call(stub, method, request),
                         (/** @type {any} */ e) => e.code === grpc.status.UNAVAILABLE);
  };
  try {
    await fails(client.qualification, "QualifyAccount", {name: "accounts/x"});
    assert.equal(node.calls("/quorum.v1.QualificationService/QualifyAccount"), quorum.MAX_ATTEMPTS);
    await fails(client.intake, "SubmitLead", {lead: {email: "a@b.example"}});
    const leads = node.requests["/quorum.v1.IntakeService/SubmitLead"];
    assert.equal(leads.length, quorum.MAX_ATTEMPTS);
    const ids = new Set(leads.map((r) => r.requestId));
    assert.equal(ids.size, 1);
    assert.match([...ids][0], /^[0-9a-f-]{36}$/);  // A UUID, the same each time.
    await fails(client.intake, "SubmitLead", {requestId: "mine", lead: {email: "a@b.example"}});
    assert.equal(node.requests["/quorum.v1.IntakeService/SubmitLead"].at(-1).requestId, "mine");
    await fails(client.notes, "CreateNote", {parent: "accounts/x"});
    assert.equal(node.calls("/quorum.v1.NoteService/CreateNote"), 1);
    await fails(client.policy, "PublishPolicy", {});
    assert.equal(node.calls("/quorum.v1.PolicyService/PublishPolicy"), 1);
  } finally {
    client.close();
  }
});

test("a bad address list is refused", () => {
  for (const bad of ["127.0.0.1:1,,127.0.0.1:2", "127.0.0.1:1,quorum-b:50051",
                     "127.0.0.1:1,[::1]:2", ["127.0.0.1:1", "127.0.0.1"], " "]) {
    assert.throws(() => quorum.connect(bad), /^Error: addresses: /);
  }
});
