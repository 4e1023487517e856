// Workflow: lifecycle statuses, handoffs to sales with their feedback, and
// process metrics (docs/workflow.md). The use case of WorkflowService's
// status and handoff methods.
#ifndef QUORUM_GRAPH_USECASES_WORKFLOW_H_
#define QUORUM_GRAPH_USECASES_WORKFLOW_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/store/store.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph {

class Workflow {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Workflow(Store& store) : store_(store) {}

  absl::StatusOr<v1::TransitionStatusResponse> TransitionStatus(
      const v1::TransitionStatusRequest& request);
  absl::StatusOr<Page<v1::StatusChange>> ListStatusChanges(
      absl::string_view parent, int limit, absl::string_view start_after);
  absl::StatusOr<v1::Handoff> CreateHandoff(
      const v1::CreateHandoffRequest& request);
  // A handoff; one of a deleted account from the archive, with its
  // `delete_time`.
  absl::StatusOr<v1::Handoff> GetHandoff(absl::string_view name);
  // An account's handoffs, newest first, after storage key `start_after`;
  // with `show_deleted` also those archived when accounts of this name were
  // deleted (then the account need not exist).
  absl::StatusOr<Page<v1::Handoff>> ListHandoffs(absl::string_view parent,
                                                 int limit,
                                                 absl::string_view start_after,
                                                 bool show_deleted = false);
  absl::StatusOr<v1::Handoff> RecordHandoffFeedback(
      const v1::RecordHandoffFeedbackRequest& request);
  // The metrics over the request's window; start_time and end_time are
  // required. Deleted accounts count with their archived history. With a
  // solution, only its handoffs count in the handoff figures.
  absl::StatusOr<v1::ProcessMetrics> GetProcessMetrics(
      const v1::GetProcessMetricsRequest& request);
  absl::StatusOr<v1::ProcessMetrics> GetProcessMetrics(
      absl::Time start, absl::Time end, absl::string_view solution = "");

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_WORKFLOW_H_
