// Readiness: which accounts are ready, listed from the readiness index,
// and the change feed of readiness events (docs/workflow.md). The use case
// of WorkflowService's ListAccountReadiness and WatchReadiness.
#ifndef QUORUM_GRAPH_USECASES_READINESS_H_
#define QUORUM_GRAPH_USECASES_READINESS_H_

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

class Readiness {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Readiness(Store& store) : store_(store) {}

  // The readiness listing; `as_of` defaults to the clock. Page cost does not
  // grow with the number of accounts (see docs/workflow.md).
  absl::StatusOr<v1::ListAccountReadinessResponse> ListAccountReadiness(
      const v1::ListAccountReadinessRequest& request);
  // Checks a request to watch the change feed (after_sequence >= 0).
  absl::Status CheckWatch(const v1::WatchReadinessRequest& request);
  // Readiness change events after `after_sequence`, at most `limit`.
  absl::StatusOr<std::vector<v1::ReadinessEvent>> ReadinessEvents(
      int64_t after_sequence, int limit);
  // The sequence number of the last event (0 when none).
  int64_t LastEventSequence();
  // Waits until an event after `after_sequence` exists or `timeout` passes;
  // true when one exists.
  bool WaitForEvents(int64_t after_sequence, absl::Duration timeout);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_READINESS_H_
