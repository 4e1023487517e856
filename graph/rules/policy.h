// Qualification policies: parsing (text format, JSON) and validation with
// field paths, and the default diagnostics policy that ships with quorum.
#ifndef QUORUM_GRAPH_POLICY_H_
#define QUORUM_GRAPH_POLICY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/model/status.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/policy_service.pb.h"

namespace quorum::graph {

// The deepest message nesting a policy text or JSON may have (the protobuf
// JSON parser's own limit; the text parser is given the same).
inline constexpr int kMaxPolicyNesting = 100;

// The most behaviour patterns a policy's role confidence model may have.
inline constexpr int kMaxRoleBehaviours = 32;

// Parses a text-format policy. A syntax error is INVALID_ARGUMENT with a
// field violation on `field` giving line and column; nesting deeper than
// kMaxPolicyNesting is such an error, naming the limit.
absl::StatusOr<v1::Policy> ParsePolicyText(absl::string_view text,
                                           absl::string_view field = "text");
// Parses a JSON policy (proto3 JSON mapping).
absl::StatusOr<v1::Policy> ParsePolicyJson(absl::string_view json,
                                           absl::string_view field = "json");

// Records every problem of `policy` with its field path (e.g.
// "routing_rules[2].when.fit_check.check_id"), prefixed by `prefix` when it
// is not empty.
void ValidatePolicy(const v1::Policy& policy, absl::string_view prefix,
                    Violations* violations);

// A request's PolicySource (a message, text or JSON), parsed and validated;
// INVALID_ARGUMENT otherwise: a parse error on `field`.text or `field`.json
// ("source.text", with line and column), "needs a policy, text or json" on
// `field` when the source is empty, and each problem of a policy that parsed
// by its path in the policy ("routing_rules[0].id"), the same for all three
// forms.
absl::StatusOr<v1::Policy> PolicyFromSource(const v1::PolicySource& source,
                                            absl::string_view field);

// What ValidatePolicy answers for `source` under `field`: every problem
// with its path, and the policy whenever it parses (even when it is not
// valid). Errors other than bad input are returned as they are.
absl::StatusOr<v1::ValidatePolicyResponse> CheckPolicySource(
    const v1::PolicySource& source, absl::string_view field);

// The default diagnostics policy (graph/rules/default_policy.textproto, compiled
// in). Valid by construction: a test checks it.
const v1::Policy& DefaultPolicy();

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_POLICY_H_
