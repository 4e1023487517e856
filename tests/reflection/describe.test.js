// "describe" as grpcurl does it, over quorumd's server reflection: for each
// symbol, the file that defines it (FileDescriptorProto, with its
// dependencies resolvable the same way) — the health service included, and
// the google.rpc detail types, so that a tool can decode error details.
// $QUORUM_SERVER is a quorumd; run by tests/node/node_client_test.sh with
// NODE_PATH pointing at clients/node/node_modules.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const descriptor = require("protobufjs/ext/descriptor");

const definition = protoLoader.loadSync("grpc/reflection/v1alpha/reflection.proto", {
  includeDirs: [path.join(__dirname, "proto")], oneofs: true});
const {ServerReflection} = grpc.loadPackageDefinition(definition).grpc.reflection.v1alpha;

/** Sends `requests` on one reflection stream; resolves with the responses. */
function reflect(requests) {
  return new Promise((resolve, reject) => {
    const client = new ServerReflection(process.env.QUORUM_SERVER,
                                        grpc.credentials.createInsecure());
    const call = client.ServerReflectionInfo({deadline: new Date(Date.now() + 10000)});
    const responses = [];
    call.on("data", (r) => {
      responses.push(r);
      if (responses.length === requests.length) call.end();
    });
    call.on("error", (e) => { client.close(); reject(e); });
    call.on("end", () => { client.close(); resolve(responses); });
    for (const r of requests) call.write(r);
  });
}

/** The FileDescriptorProtos of the file defining `symbol`. */
async function describe(symbol) {
  const [response] = await reflect([{fileContainingSymbol: symbol}]);
  assert.equal(response.messageResponse, "fileDescriptorResponse",
               `${symbol}: ${JSON.stringify(response.errorResponse)}`);
  return response.fileDescriptorResponse.fileDescriptorProto.map(
    (bytes) => descriptor.FileDescriptorProto.decode(bytes));
}

test("every service is listed, health and reflection included", async () => {
  const [response] = await reflect([{listServices: "*"}]);
  const names = response.listServicesResponse.service.map((s) => s.name);
  for (const name of ["grpc.health.v1.Health", "quorum.v1.QualificationService",
                      "quorum.v1.WorkflowService", "quorum.v1.IntakeService"]) {
    assert.ok(names.includes(name), `${name} not in ${names}`);
  }
});

test("the health service is described", async () => {
  const [file] = await describe("grpc.health.v1.Health");
  assert.equal(file.name, "grpc/health/v1/health.proto");
  const service = file.service.find((s) => s.name === "Health");
  assert.ok(service.method.some((m) => m.name === "Check"));
  assert.ok(file.messageType.some((m) => m.name === "HealthCheckResponse"));
});

test("quorum's services, their methods and messages are described", async () => {
  const [file] = await describe("quorum.v1.QualificationService");
  assert.equal(file.name, "quorum/v1/qualification_service.proto");
  const method = file.service[0].method.find((m) => m.name === "QualifyAccount");
  assert.equal(method.inputType, ".quorum.v1.QualifyAccountRequest");
  // A dependency, by file name, as a tool resolves imports.
  const [byName] = await reflect([{fileByFilename: "quorum/v1/resources.proto"}]);
  assert.equal(byName.messageResponse, "fileDescriptorResponse");
  const [messageFile] = await describe("quorum.v1.Verdict");
  assert.ok(messageFile.messageType.some((m) => m.name === "Verdict"));
});

test("the error detail types are described, so details can be decoded", async () => {
  const [file] = await describe("google.rpc.BadRequest");
  assert.equal(file.name, "google/rpc/error_details.proto");
  assert.ok(file.messageType.some((m) => m.name === "BadRequest"));
  const [status] = await describe("google.rpc.Status");
  assert.equal(status.name, "google/rpc/status.proto");
});

test("an unknown symbol is NOT_FOUND", async () => {
  const [response] = await reflect([{fileContainingSymbol: "quorum.v1.NoSuchThing"}]);
  assert.equal(response.messageResponse, "errorResponse");
  assert.equal(response.errorResponse.errorCode, grpc.status.NOT_FOUND);
});
