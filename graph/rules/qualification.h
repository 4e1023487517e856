// Account qualification: a pure function of (account tree, policy revision,
// as_of) to a verdict. It reads no clock and no store; the same inputs give a
// byte-identical verdict. Its cost follows the size of the committee and
// the number of signal kinds, not the length of the signal history (see
// graph/rules/signal_history.h).
#ifndef QUORUM_GRAPH_QUALIFICATION_H_
#define QUORUM_GRAPH_QUALIFICATION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "graph/rules/signal_history.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/qualification_service.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

// Everything qualification reads about one account and its subtree, as one
// consistent snapshot.
struct AccountTree {
  // The account, its descendants, their sites, stakeholders and the
  // relationships with both ends in the subtree.
  v1::CommitteeMap map;
  // The signals of every account in the subtree.
  std::vector<v1::Signal> signals;
};

// The verdict on `tree.map.account()` under `policy` (revision `revision`)
// as of `as_of`. `policy` must be valid (see ValidatePolicy). The BASIC view
// (the default, also for UNSPECIFIED) lists at most the policy's
// `intent.max_listed_signals` contributing signals; everything else in the
// verdict, reasons included, is the same in both views.
v1::Verdict Qualify(const v1::CommitteeMap& map, const SignalHistory& signals,
                    const v1::Policy& policy, int64_t revision,
                    absl::Time as_of,
                    v1::VerdictView view = v1::VERDICT_VIEW_BASIC);
// The route, readiness, stage, fit, intent score and committee coverage of
// that verdict, equal to Qualify's, without the explanation (no listed
// signals, supporting reasons, gaps, nurture track or questions; the
// deciding rule's reason is kept): what the readiness
// index keeps, at a fraction of the cost.
v1::Verdict QualifyRoute(const v1::CommitteeMap& map,
                         const SignalHistory& signals, const v1::Policy& policy,
                         int64_t revision, absl::Time as_of);

// What a verdict on a tree under a policy needs that depends on neither the
// signals nor `as_of`: the judged sites and their fit, the stakeholders in
// name order with their roles and decision-owner standing, who holds each
// committee requirement's roles, the relationship edges, the stage and
// decision time rolled up over the subtree, the signal weights by kind.
// Immutable; it points into `map` and `policy`, which must outlive it.
// graph/store/tree_snapshot.h keeps one with each snapshot, so that a
// verdict from the snapshot does only the time-dependent work.
class QualificationPlan;
std::shared_ptr<const QualificationPlan> PlanQualification(
    const v1::CommitteeMap& map, const v1::Policy& policy);
// Approximate heap bytes a plan holds (for the snapshot cache's budget).
size_t ApproximateBytes(const QualificationPlan& plan);
// Qualify(map, signals, policy, revision, as_of, view) for the map and
// policy `plan` was made from: the same verdict.
v1::Verdict Qualify(const QualificationPlan& plan, const SignalHistory& signals,
                    int64_t revision, absl::Time as_of,
                    v1::VerdictView view = v1::VERDICT_VIEW_BASIC);
// The same into `out` (cleared first), which may live on an arena: the
// verdict is built there, not copied.
void Qualify(const QualificationPlan& plan, const SignalHistory& signals,
             int64_t revision, absl::Time as_of, v1::VerdictView view,
             v1::Verdict* out);

// The same from a tree whose signals are not indexed yet.
v1::Verdict Qualify(const AccountTree& tree, const v1::Policy& policy,
                    int64_t revision, absl::Time as_of,
                    v1::VerdictView view = v1::VERDICT_VIEW_BASIC);

// The first time after `from` at which the route or readiness of `at`, the
// verdict (QualifyRoute's or Qualify's) on `map` and `signals` under
// `policy` as of `from`, may change with time alone: a signal leaving (or,
// dated later, joining) a window, or the decaying intent score crossing a
// value the route or readiness turns on. Never before such a change; a
// crossing of the score is found to within a few milliseconds after it
// (see time_changes.cc). The moment may turn out to change nothing (then
// ask again from it). nullopt when nothing changes with time any more.
std::optional<absl::Time> NextTimeChange(const v1::CommitteeMap& map,
                                         const SignalHistory& signals,
                                         const v1::Policy& policy,
                                         const v1::Verdict& at,
                                         absl::Time from);

// The listing bound of the BASIC view under `policy`.
int MaxListedSignals(const v1::Policy& policy);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_QUALIFICATION_H_
