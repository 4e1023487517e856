// Workflow rules as pure functions: the status transition table, where a
// rejected handoff goes, handoff completeness, and process metrics.
#ifndef QUORUM_GRAPH_WORKFLOW_H_
#define QUORUM_GRAPH_WORKFLOW_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/qualification_service.pb.h"
#include "quorum/v1/resources.pb.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph {

// Whether TransitionStatus may move an account from `from` to `to`.
// HANDED_OFF is reached only by CreateHandoff (see CanHandOffFrom).
bool TransitionAllowed(v1::LifecycleStatus from, v1::LifecycleStatus to);
// The statuses `from` may move to with TransitionStatus, for messages.
std::vector<v1::LifecycleStatus> AllowedTransitions(v1::LifecycleStatus from);
// Whether an account in `status` may be handed off.
bool CanHandOffFrom(v1::LifecycleStatus status);
// Where a rejected handoff sends the account.
v1::LifecycleStatus StatusAfterRejection(v1::RejectionReason reason);

// What a handoff lacks under the policy's completeness requirements.
std::vector<std::string> MissingForHandoff(
    const v1::HandoffRequirements& requirements, const std::string& reason,
    const std::string& next_step, int notes, const v1::Verdict& verdict,
    const std::string& decision_owner_plan);

// Everything the process metrics read.
struct WorkflowHistory {
  std::vector<v1::Account> accounts;
  std::vector<v1::StatusChange> changes;  // Any order.
  std::vector<v1::Handoff> handoffs;
};

// Process metrics over [start, end).
v1::ProcessMetrics ComputeMetrics(const WorkflowHistory& history,
                                  absl::Time start, absl::Time end,
                                  absl::Duration review_sla);

// The short name of a status, e.g. "HANDED_OFF".
std::string StatusName(v1::LifecycleStatus status);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_WORKFLOW_H_
