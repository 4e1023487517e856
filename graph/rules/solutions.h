// Solutions: the product lines a policy sells, each to its own buying group
// (v1::Solution). A verdict for a solution is the policy's verdict with that
// solution's committee requirements, fit checks and intent topics in place
// of the policy's own; everything else is shared.
#ifndef QUORUM_GRAPH_SOLUTIONS_H_
#define QUORUM_GRAPH_SOLUTIONS_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/model/status.h"
#include "quorum/v1/policy.pb.h"

namespace quorum::graph {

// The policy as solution `solution` of `policy` judges with it: its
// requirements, fit checks and intent topics where it has them, the
// policy's elsewhere (and no solutions). `policy` itself when `solution` is
// empty. INVALID_ARGUMENT on field "solution", naming the policy's
// solutions, when it has none by that ID.
absl::StatusOr<v1::Policy> PolicyForSolution(const v1::Policy& policy,
                                             absl::string_view solution);

// A violation on field "solution" when `solution` is neither empty nor a
// well-formed ID.
void CheckSolutionId(absl::string_view solution, Violations* violations);

// A violation on `field`, naming the policy's solutions, when `solution` is
// neither empty nor one of `policy`'s.
void CheckHasSolution(const v1::Policy& policy, absl::string_view solution,
                      const std::string& field, Violations* violations);

// One policy as each of its solutions sees it, each view made once (for
// judging many handoffs, each for its own solution). `policy` must outlive
// it.
class SolutionViews {
 public:
  explicit SolutionViews(const v1::Policy& policy) : policy_(policy) {}

  // The policy for `solution` (itself for none); nullptr when it has no
  // such solution.
  const v1::Policy* For(const std::string& solution);

 private:
  const v1::Policy& policy_;
  std::map<std::string, std::optional<v1::Policy>> views_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_SOLUTIONS_H_
