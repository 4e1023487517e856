// @ts-check
// quorum's Node.js client: the quorum.v1 services loaded from the API's
// .proto files with @grpc/proto-loader, channels with @grpc/grpc-js, and the
// google.rpc error details (BadRequest, PreconditionFailure) decoded with
// protobufjs.
//
//   const quorum = require("@quorum/client");   // or require("./clients/node")
//   const client = quorum.connect("127.0.0.1:50051");  // or "IP:PORT,IP:PORT"
//   client.qualification.QualifyAccount({name: "accounts/x"}, (err, verdict) => ...);
//
// The protos: $QUORUM_PROTO_DIR, else the package's own proto/ (a packed
// copy), else the quorum repository's proto/ when the package is used from a
// checkout (clients/node).
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
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
  webhooks: ["quorum/v1/webhook_service.proto", "WebhookService"],
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

// The methods a client retries on UNAVAILABLE: the reads, and the writes
// whose request carries a request_id (AIP-155), which the client fills with
// a new UUID when the caller leaves it empty, so that a retried write is
// applied once. Other writes are sent once. The same list as the quorum CLI
// and the Python client (docs/cli.md, "Several addresses and retries").
const RETRIED_READS = [
  "quorum.v1.AccountGraphService/GetAccount",
  "quorum.v1.AccountGraphService/ListAccounts",
  "quorum.v1.AccountGraphService/GetSite",
  "quorum.v1.AccountGraphService/ListSites",
  "quorum.v1.AccountGraphService/GetStakeholder",
  "quorum.v1.AccountGraphService/ListStakeholders",
  "quorum.v1.AccountGraphService/GetRelationship",
  "quorum.v1.AccountGraphService/ListRelationships",
  "quorum.v1.AccountGraphService/GetCommitteeMap",
  "quorum.v1.IntakeService/ListUnplacedLeads",
  "quorum.v1.NoteService/ListNotes",
  "quorum.v1.PolicyService/GetPolicy",
  "quorum.v1.PolicyService/ValidatePolicy",
  "quorum.v1.PolicyService/ListPolicyRevisions",
  "quorum.v1.PolicyService/SimulatePolicy",
  "quorum.v1.QualificationService/QualifyAccount",
  "quorum.v1.SignalService/ListSignals",
  "quorum.v1.WorkflowService/ListStatusChanges",
  "quorum.v1.WorkflowService/GetHandoff",
  "quorum.v1.WorkflowService/ListHandoffs",
  "quorum.v1.WorkflowService/GetProcessMetrics",
  "quorum.v1.WorkflowService/ListAccountReadiness",
  "quorum.v1.WebhookService/GetWebhook",
  "quorum.v1.WebhookService/ListWebhooks",
  // A stream: retried only until the response headers arrive.
  "quorum.v1.WorkflowService/WatchReadiness",
  "grpc.health.v1.Health/Check",
];
const RETRIED_WRITES = [
  "quorum.v1.AccountGraphService/CreateAccount",
  "quorum.v1.AccountGraphService/CreateSite",
  "quorum.v1.AccountGraphService/CreateStakeholder",
  "quorum.v1.AccountGraphService/CreateRelationship",
  "quorum.v1.AccountGraphService/MoveStakeholder",
  "quorum.v1.IntakeService/SubmitLead",
  "quorum.v1.IntakeService/PlaceLead",
  "quorum.v1.WorkflowService/TransitionStatus",
  "quorum.v1.WorkflowService/CreateHandoff",
  "quorum.v1.WebhookService/CreateWebhook",
];
const MAX_ATTEMPTS = 4;

/**
 * The clients' service config: round_robin over the addresses, and at most
 * MAX_ATTEMPTS attempts (exponential backoff from 0.1 s to 1 s) of the
 * retried methods on UNAVAILABLE.
 * @returns {string} JSON
 */
function serviceConfig() {
  return JSON.stringify({
    loadBalancingConfig: [{round_robin: {}}],
    methodConfig: [{
      name: [...RETRIED_READS, ...RETRIED_WRITES].map((m) => {
        const [service, method] = m.split("/");
        return {service, method};
      }),
      retryPolicy: {
        maxAttempts: MAX_ATTEMPTS,
        initialBackoff: "0.1s",
        maxBackoff: "1s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    }],
  });
}

/**
 * 4 or 6 for "IPv4:port" or "[IPv6]:port", 0 for anything else.
 * @param {string} address
 */
function ipFamily(address) {
  const match = /^\[([^\]]*)\]:(\d+)$/.exec(address) || /^([^:]*):(\d+)$/.exec(address);
  if (!match) return 0;
  const port = Number(match[2]);
  if (!(port > 0 && port < 65536)) return 0;
  const family = net.isIP(match[1]);
  return address.startsWith("[") === (family === 6) ? family : 0;
}

/**
 * The gRPC target for `addresses`: one address (or a gRPC target such as
 * "dns:///host:port") as given, or several IP:PORT addresses (an array, or
 * a string with commas) as an "ipv4:" or "ipv6:" target whose authority is
 * the first address. Throws an Error naming `addresses` for a bad list.
 * @param {string | string[]} addresses
 * @returns {{target: string, authority: (string | undefined)}}
 */
function grpcTarget(addresses) {
  let list;
  if (typeof addresses === "string") {
    const text = addresses.trim();
    if (!text) throw new Error("addresses: no address given");
    if (/^(dns|ipv4|ipv6|unix|unix-abstract|vsock):/.test(text)) {
      return {target: text, authority: undefined};
    }
    list = text.split(",");
  } else {
    list = [...addresses];
  }
  list = list.map((a) => String(a).trim());
  if (list.length === 1 && list[0]) return {target: list[0], authority: undefined};
  const families = new Set();
  for (const address of list) {
    if (!address) throw new Error("addresses: an empty address in the list");
    const family = ipFamily(address);
    if (!family) {
      throw new Error(`addresses: "${address}" in a list of addresses is not IP:PORT ` +
                      "(an IPv4 address, or an IPv6 address in brackets, and a port); " +
                      "for host names give one name whose DNS records list every node");
    }
    families.add(family);
  }
  if (families.size > 1) throw new Error("addresses: the list mixes IPv4 and IPv6 addresses");
  return {target: (families.has(4) ? "ipv4:" : "ipv6:") + list.join(","), authority: list[0]};
}

const WRITE_PATHS = new Set(RETRIED_WRITES.map((m) => "/" + m));

/**
 * Fills an empty requestId of the retried writes with a new UUID before the
 * call, so that every attempt carries the same one.
 * @type {grpc.Interceptor}
 */
function requestIdInterceptor(options, nextCall) {
  if (!WRITE_PATHS.has(options.method_definition.path)) {
    return new grpc.InterceptingCall(nextCall(options));
  }
  return new grpc.InterceptingCall(nextCall(options), {
    sendMessage(message, next) {
      if (message && typeof message === "object" && !message.requestId) {
        message = {...message, requestId: crypto.randomUUID()};
      }
      next(message);
    },
  });
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
 * Stubs of every quorum.v1 service on one channel to `target`: one
 * "host:port", or several IP:PORT addresses (an array, or separated by
 * commas) over which calls go round robin. Reads and writes with a
 * request_id are retried on UNAVAILABLE (an empty requestId is filled with a
 * new UUID); other writes are not.
 * @param {string | string[]} target  "host:port", or several "IP:PORT"
 * @param {grpc.ChannelCredentials} [credentials]  insecure when omitted
 * @param {grpc.ChannelOptions} [channelOptions]  more channel options
 * @returns {QuorumClient}
 */
function connect(target, credentials = grpc.credentials.createInsecure(), channelOptions = {}) {
  const v1 = /** @type {any} */ (load()).quorum.v1;
  const {target: address, authority} = grpcTarget(target);
  /** @type {Record<string, any>} */
  const first = {
    "grpc.service_config": serviceConfig(),
    "grpc.enable_retries": 1,
    ...(authority ? {"grpc.default_authority": authority} : {}),
    ...channelOptions,
    interceptors: [requestIdInterceptor],
  };
  /** @type {any} */
  const client = {};
  let channelOverride;
  for (const [key, [, service]] of Object.entries(SERVICES)) {
    const options = channelOverride ? {channelOverride, interceptors: [requestIdInterceptor]} : first;
    client[key] = new v1[service](address, credentials, options);
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

module.exports = {
  connect, load, errorDetails, fieldViolations, grpc,
  grpcTarget, serviceConfig, RETRIED_READS, RETRIED_WRITES, MAX_ATTEMPTS,
};
