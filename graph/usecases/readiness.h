// Readiness: which accounts are ready, listed from the readiness index,
// and the change feed of readiness events (docs/workflow.md). The use case
// of WorkflowService's ListAccountReadiness and WatchReadiness.
#ifndef QUORUM_GRAPH_USECASES_READINESS_H_
#define QUORUM_GRAPH_USECASES_READINESS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/store/store.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph {

// Whether `event` passes the filters of `request`: its solution (the
// accounts' own events when empty), one of its routes (old or new),
// statuses, its country, owner and stage, and a new readiness of at least
// min_readiness (an empty filter passes every other). What
// WatchReadiness streams and webhooks deliver (graph/usecases/webhooks.h).
bool MatchesWatch(const v1::WatchReadinessRequest& request,
                  const v1::ReadinessEvent& event);

class Readiness {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Readiness(Store& store) : store_(store) {}
  // Stops the scheduler (StopScheduler).
  ~Readiness();

  // The readiness listing; `as_of` defaults to the clock. Page cost does not
  // grow with the number of accounts (see docs/workflow.md).
  absl::StatusOr<v1::ListAccountReadinessResponse> ListAccountReadiness(
      const v1::ListAccountReadinessRequest& request);
  // Checks a request to watch the change feed: after_sequence and
  // start_sequence not negative, not both set, a solution of the active
  // policy if any.
  absl::Status CheckWatch(const v1::WatchReadinessRequest& request);
  // INVALID_ARGUMENT on `field` when `solution` is neither empty nor a
  // solution of the active policy.
  absl::Status CheckSolution(absl::string_view solution,
                             const std::string& field);
  // Where a watch starts in the feed of its solution, read in one
  // transaction with the feed's range.
  struct WatchStart {
    int64_t after = 0;  // The watch streams the events after this one.
    int64_t head = 0;   // The last event's sequence (0: none yet).
    int64_t first = 1;  // The first retained event's (head + 1: none).
  };
  // CheckWatch, then the start of the watch `request` asks for:
  // OUT_OF_RANGE (with the retained range in the message and an ErrorInfo
  // SEQUENCE_OUT_OF_RANGE) for a position beyond the head or before the
  // first retained event (docs/workflow.md, "Change feed").
  absl::StatusOr<WatchStart> StartWatch(
      const v1::WatchReadinessRequest& request);
  // The change feeds: the accounts' own (`solution` empty) and one per
  // solution, each with a sequence of its own (docs/workflow.md).
  // The feed's readiness change events after `after_sequence`, at most
  // `limit`; OUT_OF_RANGE when events after it were compacted away.
  absl::StatusOr<std::vector<v1::ReadinessEvent>> ReadinessEvents(
      int64_t after_sequence, int limit, absl::string_view solution = "");
  // The sequence number of the feed's last event (0 when none).
  int64_t LastEventSequence(absl::string_view solution = "");
  // Waits until the feed has an event after `after_sequence` or `timeout`
  // passes; true when it has.
  bool WaitForEvents(int64_t after_sequence, absl::Duration timeout,
                     absl::string_view solution = "");
  // A number that grows whenever an event is appended to any feed (0 on
  // a read error), and a wait until it grows past `version` or `timeout`
  // passes (true when it did): for those who serve several feeds at once.
  int64_t FeedsVersion();
  bool WaitForFeedsAfter(int64_t version, absl::Duration timeout);

  // ---- Time-driven events and retention (docs/workflow.md).

  struct FeedOptions {
    // Keep at most this many events (0: no count limit)...
    int64_t retention_events = 0;
    // ...and none older than this (0: no age limit).
    absl::Duration retention_age = absl::ZeroDuration();
    // The longest the scheduler sleeps between looks at the clock (the
    // store's clock may be a test's, which moves by itself).
    absl::Duration poll = absl::Seconds(1);
  };
  // Emits every time-driven event due by the store's clock (in batches of
  // one write each) and compacts the feed by `options`. Returns when the
  // next event falls due (nullopt: none is known).
  absl::StatusOr<std::optional<absl::Time>> RunDue(const FeedOptions& options);
  // Runs RunDue on a thread of its own: at once (what fell due while the
  // server was down), then whenever the next event falls due, at least
  // every `options.poll`. Once only.
  void StartScheduler(FeedOptions options);
  // Stops and joins the scheduler thread (idempotent; none started: no-op).
  void StopScheduler();

 private:
  void Schedule(FeedOptions options);

  Store& store_;
  std::mutex scheduler_mu_;
  std::condition_variable scheduler_cv_;
  bool scheduler_stop_ = false;  // Guarded by scheduler_mu_.
  std::thread scheduler_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_READINESS_H_
