#include "graph/usecases/qualification.h"

#include <memory>
#include <utility>

#include "graph/model/status.h"
#include "graph/model/time.h"
#include "graph/rules/qualification.h"

namespace quorum::graph {

absl::StatusOr<v1::Verdict> Qualification::QualifyAccount(
    const v1::QualifyAccountRequest& request) {
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
  auto tree = store_.Snapshot(request.name());
  if (!tree.ok()) {
    violations.AddFrom(tree.status());
    if (violations.empty()) return tree.status();
  }
  RETURN_IF_ERROR(violations.ToStatus());
  // The active revision from memory; an older one from the store.
  std::shared_ptr<const v1::PolicyRevision> revision;
  if (request.policy_revision() == 0) {
    ASSIGN_OR_RETURN(revision, store_.CurrentPolicy());
  } else {
    ASSIGN_OR_RETURN(v1::PolicyRevision stored,
                     policies_.GetPolicyRevision(request.policy_revision()));
    revision = std::make_shared<const v1::PolicyRevision>(std::move(stored));
  }
  return Qualify(*(*tree)->map, *(*tree)->signals, revision->policy(),
                 revision->revision(), as_of, request.view());
}

}  // namespace quorum::graph
