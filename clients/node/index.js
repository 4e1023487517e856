// @ts-check
// quorum's Node.js client: the quorum.v1 services loaded from the API's
// .proto files with @grpc/proto-loader, channels with @grpc/grpc-js, and the
// google.rpc error details (BadRequest, PreconditionFailure) decoded with
// protobufjs.
//
//   const quorum = require("@quorum/client");   // or require("./clients/node")
//   const client = quorum.connect("127.0.0.1:50051");
//   client.qualification.QualifyAccount({name: "accounts/x"}, (err, verdict) => ...);
//
// The protos: $QUORUM_PROTO_DIR, else the package's own proto/ (a packed
// copy), else the quorum repository's proto/ when the package is used from a
// checkout (clients/node).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const protobuf = require("protobufjs");

const SERVICES = {
  accountGraph: ["quorum/v1/account_graph_service.proto", "AccountGraphService"],
  intake: ["quorum/v1/intake_service.proto", "IntakeService"],
  notes: ["quorum/v1/note_service.proto", "NoteService"],
  policy: ["quorum/v1/policy_service.proto", "PolicyService"],
  qualification: ["quorum/v1/qualification_service.proto", "QualificationService"],
  signals: ["quorum/v1/signal_service.proto", "SignalService"],
  workflow: ["quorum/v1/workflow_service.proto", "WorkflowService"],
};

/** The folder holding quorum/v1/*.proto and google/rpc/*.proto. */
function protoDir() {
  const candidates = [
    process.env.QUORUM_PROTO_DIR || "",
    path.join(__dirname, "proto"),
    path.join(__dirname, "..", "..", "proto"),
  ];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, "quorum", "v1", "resources.proto"))) {
      return dir;
    }
  }
  throw new Error("quorum client: no proto/ folder found; set QUORUM_PROTO_DIR " +
                  "to the quorum repository's proto/");
}

/** @type {grpc.GrpcObject | undefined} */
let loaded;
/** @type {protobuf.Root | undefined} */
let errorTypes;

/** The loaded gRPC package (`quorum.v1` services and messages). */
function load() {
  if (loaded === undefined) {
    const dir = protoDir();
    const definition = protoLoader.loadSync(
      Object.values(SERVICES).map(([file]) => file), {
        includeDirs: [dir],
        keepCase: false,     // lowerCamelCase fields, as in protobuf JSON
        longs: String,       // int64 as decimal strings, as in protobuf JSON
        enums: String,       // enum values by name
        defaults: true,
        oneofs: true,
      });
    loaded = grpc.loadPackageDefinition(definition);
  }
  return loaded;
}

/**
 * @typedef {Object} QuorumClient
 * @property {grpc.Client & Record<string, Function>} accountGraph
 * @property {grpc.Client & Record<string, Function>} intake
 * @property {grpc.Client & Record<string, Function>} notes
 * @property {grpc.Client & Record<string, Function>} policy
 * @property {grpc.Client & Record<string, Function>} qualification
 * @property {grpc.Client & Record<string, Function>} signals
 * @property {grpc.Client & Record<string, Function>} workflow
 * @property {() => void} close  Closes every stub's channel.
 */

/**
 * Stubs of every quorum.v1 service on one channel to `target`.
 * @param {string} target  "host:port"
 * @param {grpc.ChannelCredentials} [credentials]  insecure when omitted
 * @returns {QuorumClient}
 */
function connect(target, credentials = grpc.credentials.createInsecure()) {
  const v1 = /** @type {any} */ (load()).quorum.v1;
  /** @type {any} */
  const client = {};
  let channelOverride;
  for (const [key, [, service]] of Object.entries(SERVICES)) {
    const options = channelOverride ? {channelOverride} : {};
    client[key] = new v1[service](target, credentials, options);
    channelOverride = channelOverride || client[key].getChannel();
  }
  client.close = () => {
    for (const key of Object.keys(SERVICES)) client[key].close();
  };
  return client;
}

/**
 * @typedef {Object} ErrorDetail
 * @property {string} type  e.g. "google.rpc.BadRequest"
 * @property {Object} value  the decoded message, as a plain object
 */

/**
 * The google.rpc.Status details of a failed call (the
 * `grpc-status-details-bin` trailer), decoded; [] when there are none.
 * @param {grpc.ServiceError} error
 * @returns {ErrorDetail[]}
 */
function errorDetails(error) {
  const values = error && error.metadata ? error.metadata.get("grpc-status-details-bin") : [];
  if (!values || values.length === 0) return [];
  if (errorTypes === undefined) {
    const dir = protoDir();
    errorTypes = new protobuf.Root();
    errorTypes.resolvePath = (_origin, target) => path.join(dir, target);
    errorTypes.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"]);
  }
  const Status = errorTypes.lookupType("google.rpc.Status");
  const status = /** @type {any} */ (Status.decode(/** @type {Buffer} */ (values[0])));
  return (status.details || []).map((/** @type {any} */ any) => {
    const type = String(any.type_url || any.typeUrl).replace(/^.*\//, "");
    const message = errorTypes.lookupType(type);
    return {type, value: message.toObject(message.decode(any.value), {longs: String, enums: String})};
  });
}

/**
 * The field violations of a google.rpc.BadRequest detail (INVALID_ARGUMENT),
 * in order; [] when there is none.
 * @param {grpc.ServiceError} error
 * @returns {{field: string, description: string}[]}
 */
function fieldViolations(error) {
  return errorDetails(error)
    .filter((d) => d.type === "google.rpc.BadRequest")
    .flatMap((d) => (/** @type {any} */ (d.value).fieldViolations || []));
}

module.exports = {connect, load, errorDetails, fieldViolations, grpc};
