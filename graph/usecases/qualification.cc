#include "graph/usecases/qualification.h"

#include <memory>
#include <utility>

#include "graph/model/status.h"
#include "graph/model/time.h"
#include "graph/rules/qualification.h"
#include "graph/rules/solutions.h"

namespace quorum::graph {

absl::Status Qualification::QualifyAccount(
    const v1::QualifyAccountRequest& request, v1::Verdict* verdict) {
  Violations violations;
  if (request.policy_revision() < 0) {
    violations.Add("policy_revision", "must not be negative");
  }
  absl::Time as_of = store_.Now();
  if (request.has_as_of()) {
    if (!IsValidTimestamp(request.as_of())) {
      violations.Add("as_of", "is not a valid timestamp");
    } else {
      as_of = ToTime(request.as_of());
    }
  }
  if (!v1::VerdictView_IsValid(request.view())) {
    violations.Add("view", "is not a known VerdictView (BASIC or FULL)");
  }
  CheckSolutionId(request.solution(), &violations);
  auto tree = store_.Snapshot(request.name());
  if (!tree.ok()) {
    violations.AddFrom(tree.status());
    if (violations.empty()) return tree.status();
  }
  RETURN_IF_ERROR(violations.ToStatus());
  if (!request.solution().empty()) {
    // A solution's verdict: the revision's policy as the solution sees it.
    std::shared_ptr<const v1::PolicyRevision> revision;
    if (request.policy_revision() == 0) {
      ASSIGN_OR_RETURN(revision, store_.CurrentPolicy());
    } else {
      ASSIGN_OR_RETURN(v1::PolicyRevision stored,
                       policies_.GetPolicyRevision(request.policy_revision()));
      revision = std::make_shared<const v1::PolicyRevision>(std::move(stored));
    }
    ASSIGN_OR_RETURN(v1::Policy judged,
                     PolicyForSolution(revision->policy(), request.solution()));
    *verdict = Qualify(*(*tree)->map, *(*tree)->signals, judged,
                       revision->revision(), as_of, request.view());
    verdict->set_solution(request.solution());
    return absl::OkStatus();
  }
  // The active revision from memory, with the snapshot's plan for it (made
  // once per snapshot and revision); an older one from the store.
  if (request.policy_revision() == 0) {
    ASSIGN_OR_RETURN(std::shared_ptr<const v1::PolicyRevision> active,
                     store_.CurrentPolicy());
    const int64_t revision = active->revision();
    std::shared_ptr<const QualificationPlan> plan =
        (*tree)->Plan(std::move(active));
    Qualify(*plan, *(*tree)->signals, revision, as_of, request.view(), verdict);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::PolicyRevision stored,
                   policies_.GetPolicyRevision(request.policy_revision()));
  *verdict = Qualify(*(*tree)->map, *(*tree)->signals, stored.policy(),
                     stored.revision(), as_of, request.view());
  return absl::OkStatus();
}

}  // namespace quorum::graph
