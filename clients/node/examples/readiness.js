#!/usr/bin/env node
// @ts-check
// What an ABM dashboard does with quorum, in four calls:
//   1. QualifyAccount: the verdict on one account;
//   2. ListAccountReadiness: the accounts of a country ready for sales;
//   3. WatchReadiness: readiness changes as they happen (resumed after a
//      sequence number, for a few seconds);
//   4. a refused request, its google.rpc.BadRequest decoded field by field.
//
//   node clients/node/examples/readiness.js [--server 127.0.0.1:50051]
//       [--account accounts/cascade-valley-health] [--country US]
//       [--as-of 2026-12-01T00:00:00Z] [--watch-seconds 2]
//       [--after-sequence 1]   (0: only new events)
"use strict";

const quorum = require("..");

/**
 * @typedef {Object} Options
 * @property {string} server
 * @property {string} account
 * @property {string} country
 * @property {string} asOf
 * @property {number} watchSeconds
 * @property {string} afterSequence
 */

/** @returns {Options} */
function parseArgs(argv) {
  /** @type {Options} */
  const options = {server: "127.0.0.1:50051", account: "accounts/cascade-valley-health",
                   country: "US", asOf: "", watchSeconds: 2, afterSequence: "1"};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--server") options.server = value;
    else if (flag === "--account") options.account = value;
    else if (flag === "--country") options.country = value;
    else if (flag === "--as-of") options.asOf = value;
    else if (flag === "--watch-seconds") options.watchSeconds = Number(value);
    else if (flag === "--after-sequence") options.afterSequence = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

/** A unary call as a promise. */
function call(stub, method, request, timeoutSeconds = 10) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + timeoutSeconds * 1000);
    stub[method](request, {deadline}, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

/** "2026-12-01T00:00:00Z" as a google.protobuf.Timestamp, or undefined. */
function timestamp(text) {
  if (!text) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--as-of: "${text}" is not a time`);
  return {seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6};
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const client = quorum.connect(options.server);
  const asOf = timestamp(options.asOf);
  try {
    // 1. One verdict.
    const verdict = await call(client.qualification, "QualifyAccount",
                               {name: options.account, asOf});
    console.log(`verdict ${verdict.account}: ${verdict.route} readiness ${verdict.readiness}` +
                ` (rule ${verdict.decidedBy}, policy revision ${verdict.policyRevision})`);

    // 2. The ready accounts of a country.
    const listing = await call(client.workflow, "ListAccountReadiness", {
      countryCode: options.country, asOf,
      routes: ["ROUTE_SALES_DISCOVERY", "ROUTE_TECHNICAL_PRESALES"],
    });
    console.log(`ready in ${options.country}: ${listing.accounts.length} account(s)`);
    for (const a of listing.accounts) {
      const missing = a.missingRequirements.length ? a.missingRequirements.join(", ") : "none";
      console.log(`  ${String(a.readiness).padStart(3)}  ${a.route}  ${a.account}  missing: ${missing}`);
    }

    // 3. Readiness changes after --after-sequence, for a few seconds.
    const events = await new Promise((resolve, reject) => {
      const seen = [];
      const deadline = new Date(Date.now() + options.watchSeconds * 1000);
      const stream = client.workflow.WatchReadiness({afterSequence: options.afterSequence},
                                                    {deadline});
      stream.on("data", (event) => seen.push(event));
      stream.on("error", (error) => {
        if (error.code === quorum.grpc.status.DEADLINE_EXCEEDED) resolve(seen);
        else reject(error);
      });
      stream.on("end", () => resolve(seen));
    });
    console.log(`watch: ${events.length} event(s)` +
                (events.length ? `, first #${events[0].sequence} ${events[0].account}` +
                                 ` ${events[0].newRoute} ${events[0].newReadiness}` : ""));

    // 4. A refused request and its details.
    try {
      await call(client.intake, "SubmitLead", {requestId: "node-example-bad", lead: {email: "nope"}});
      console.log("the bad lead was accepted?!");
      process.exitCode = 1;
    } catch (error) {
      console.log(`refused: ${quorum.grpc.status[error.code]}`);
      for (const v of quorum.fieldViolations(error)) {
        console.log(`  ${v.field}: ${v.description}`);
      }
    }
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(`readiness.js: ${error.code !== undefined ? quorum.grpc.status[error.code] + ": " : ""}` +
                `${error.details || error.message}`);
  process.exit(1);
});
