// Policies: numbered revisions of the qualification policy, the newest
// active, and the simulation of a candidate over the current graph. The
// use case of PolicyService.
#ifndef QUORUM_GRAPH_USECASES_POLICIES_H_
#define QUORUM_GRAPH_USECASES_POLICIES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/rules/policy_search.h"
#include "graph/store/store.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/policy_service.pb.h"

namespace quorum::graph {

class Policies {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Policies(Store& store) : store_(store) {}

  // Policies: numbered revisions, the newest active. `policy` must be valid.
  absl::StatusOr<v1::PolicyRevision> PublishPolicy(
      const v1::Policy& policy, const std::string& description);
  // A revision, or the active one for 0; NOT_FOUND when there is none.
  absl::StatusOr<v1::PolicyRevision> GetPolicyRevision(int64_t revision);
  // Revisions newest first, after storage key `start_after`.
  absl::StatusOr<Page<v1::PolicyRevision>> ListPolicyRevisions(
      int limit, absl::string_view start_after);

  // A candidate policy over the current graph as of a time (the store's
  // clock when not given).
  absl::StatusOr<v1::SimulatePolicyResponse> SimulatePolicy(
      const v1::Policy& candidate, std::optional<absl::Time> as_of);

  // A candidate learnt from the handoffs with sales feedback (archived ones
  // included) by SearchPolicy from the active revision, each judged on the
  // committee map the handoff stored and the account's signals up to the
  // handoff; with the candidate's simulation as of `as_of`. Publishes
  // nothing.
  absl::StatusOr<v1::SuggestPolicyResponse> SuggestPolicy(
      const SearchOptions& options, std::optional<absl::Time> as_of);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_POLICIES_H_
