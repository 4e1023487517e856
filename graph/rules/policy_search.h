// Learning a policy from sales feedback: a search over a policy's numeric
// parameters for the candidate that routes the handoffs sales accepted or
// rejected best, scored with k-fold cross-validation. Pure: no storage, no
// clock (the use case reads the handoffs; see graph/usecases/policies.h).
#ifndef QUORUM_GRAPH_RULES_POLICY_SEARCH_H_
#define QUORUM_GRAPH_RULES_POLICY_SEARCH_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/policy_service.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

// One labelled example: a handoff with sales feedback, and the account as
// it is judged as of the handoff.
struct LabelledHandoff {
  // The handoff's name (folds are assigned by its hash).
  std::string handoff;
  // The account's subtree (the committee map the handoff stored).
  v1::CommitteeMap map;
  // The subtree's signals; those after `as_of` do not count.
  std::vector<v1::Signal> signals;
  // When it was handed off.
  absl::Time as_of;
  // The route it was handed off on.
  v1::Route route = v1::ROUTE_UNSPECIFIED;
  // Whether sales accepted it (false: rejected).
  bool accepted = false;
  // The solution it was handed off for, which a candidate judges it for;
  // empty for the account as a whole.
  std::string solution;
};

inline constexpr int kDefaultFolds = 5;
inline constexpr int kMaxFolds = 20;
inline constexpr int kMaxMultipliers = 20;
inline constexpr double kMaxMultiplier = 10;

struct SearchOptions {
  int folds = kDefaultFolds;
  // Tried on each parameter's value in the policy searched from (1 is
  // where the search starts, listed or not).
  std::vector<double> multipliers = {0.5, 0.75, 1, 1.25, 1.5};
  // Asked before each candidate is judged; once true the search stops with
  // CANCELLED (the caller gave up: a deadline passed, say). Null: never.
  std::function<bool()> cancelled;
};

// The request's folds and multipliers, defaults filled in (0 folds: 5; no
// multipliers: 0.5, 0.75, 1, 1.25, 1.5); INVALID_ARGUMENT naming `folds`
// or `multipliers[i]` otherwise.
absl::StatusOr<SearchOptions> SearchOptionsFrom(
    int folds, absl::Span<const double> multipliers);

// The numeric parameters the search tunes in `policy`, by field path:
// intent.high_intent_threshold, intent.half_life (in seconds) and every
// intent_at_least and coverage_at_least in disqualify and routing rule
// conditions. Readiness weights change readiness, never a route, so they
// are not among them.
std::vector<std::string> TunableParameters(const v1::Policy& policy);

// Whether `policy` routes `example` right: accepted and routed to the
// route it was handed off on, or rejected and routed anywhere else. An
// example for a solution is judged by `policy` for that solution, and is
// never right under a policy without it.
bool RoutesRight(const v1::Policy& policy, const LabelledHandoff& example);

// The search. Each fold of `examples` (sorted by the hash of the handoff
// name, then dealt round robin) is held out once: a candidate is chosen on
// the other folds and scored on it. The candidate returned is chosen on
// every example. Choosing is a coordinate descent from `policy`: each
// parameter in turn takes the value (its value in `policy` times a
// multiplier, the ones nearest 1 first) that most improves the accuracy,
// for at most three rounds; only a strict improvement changes a value.
// FAILED_PRECONDITION when there are fewer examples than folds. Fills
// every field of the response but active_revision and simulation.
absl::StatusOr<v1::SuggestPolicyResponse> SearchPolicy(
    const v1::Policy& policy, const std::vector<LabelledHandoff>& examples,
    const SearchOptions& options);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_RULES_POLICY_SEARCH_H_
