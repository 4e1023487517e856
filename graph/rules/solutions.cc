#include "graph/rules/solutions.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/model/names.h"
#include "graph/model/status.h"

namespace quorum::graph {

namespace {

// Why `policy` has no solution `solution`, naming those it has.
std::string NotASolution(const v1::Policy& policy, absl::string_view solution) {
  std::vector<std::string> ids;
  for (const v1::Solution& s : policy.solutions()) ids.push_back(s.id());
  return ids.empty() ? absl::StrCat("\"", solution,
                                    "\" is not a solution: the policy has none")
                     : absl::StrCat("\"", solution,
                                    "\" is not a solution of the policy (",
                                    absl::StrJoin(ids, ", "), ")");
}

}  // namespace

absl::StatusOr<v1::Policy> PolicyForSolution(const v1::Policy& policy,
                                             absl::string_view solution) {
  if (solution.empty()) return policy;
  Violations violations;
  CheckSolutionId(solution, &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  for (const v1::Solution& s : policy.solutions()) {
    if (s.id() != solution) continue;
    v1::Policy judged = policy;
    judged.clear_solutions();
    if (s.requirements_size() > 0) {
      *judged.mutable_committee()->mutable_requirements() = s.requirements();
    }
    if (s.fit_checks_size() > 0) *judged.mutable_fit_checks() = s.fit_checks();
    if (s.intent_topics_size() > 0) {
      *judged.mutable_intent()->mutable_topics() = s.intent_topics();
    }
    return judged;
  }
  violations.Add("solution", NotASolution(policy, solution));
  return violations.ToStatus();
}

void CheckHasSolution(const v1::Policy& policy, absl::string_view solution,
                      const std::string& field, Violations* violations) {
  if (solution.empty()) return;
  for (const v1::Solution& s : policy.solutions()) {
    if (s.id() == solution) return;
  }
  violations->Add(field, NotASolution(policy, solution));
}

const v1::Policy* SolutionViews::For(const std::string& solution) {
  if (solution.empty()) return &policy_;
  auto view = views_.find(solution);
  if (view == views_.end()) {
    absl::StatusOr<v1::Policy> judged = PolicyForSolution(policy_, solution);
    view =
        views_
            .emplace(solution,
                     judged.ok() ? std::optional<v1::Policy>(*std::move(judged))
                                 : std::nullopt)
            .first;
  }
  return view->second ? &*view->second : nullptr;
}

void CheckSolutionId(absl::string_view solution, Violations* violations) {
  if (!solution.empty() && !names::IsValidId(solution)) {
    violations->Add("solution",
                    "is not a solution ID (lower-case letters, digits and "
                    "dashes, at most 63)");
  }
}

}  // namespace quorum::graph
