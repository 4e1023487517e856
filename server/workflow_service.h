// WorkflowService: statuses, handoffs, metrics, readiness listing and its
// change feed over gRPC.
#ifndef QUORUM_SERVER_WORKFLOW_SERVICE_H_
#define QUORUM_SERVER_WORKFLOW_SERVICE_H_

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "graph/usecases/readiness.h"
#include "graph/usecases/workflow.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::server {

class ReadinessWatcher;

// Response headers of WatchReadiness: the last event's sequence number at
// stream start (0: none yet) and the first retained one's (the head plus
// one when none is retained), as decimal text.
inline constexpr char kHeadSequenceHeader[] = "quorum-head-sequence";
inline constexpr char kFirstSequenceHeader[] = "quorum-first-sequence";

// Thread-safe; does not own the use cases. WatchReadiness is a callback-API
// write reactor: watchers hold no thread while they wait. One feed thread
// waits for new change-feed events and wakes the watchers, which read the
// events after their own position and write the matching ones one at a
// time, so 1,000 watchers cost one thread plus gRPC's callback pool.
class WorkflowServiceImpl final
    : public v1::WorkflowService::WithCallbackMethod_WatchReadiness<
          v1::WorkflowService::Service> {
 public:
  WorkflowServiceImpl(graph::Workflow* workflow, graph::Readiness* readiness);
  ~WorkflowServiceImpl() override;

  // Ends every WatchReadiness stream with UNAVAILABLE (at shutdown), so that
  // clients reconnect (with after_sequence) to a running server. Idempotent.
  void Stop();

  grpc::Status TransitionStatus(grpc::ServerContext*,
                                const v1::TransitionStatusRequest* request,
                                v1::TransitionStatusResponse* response) override;
  grpc::Status ListStatusChanges(grpc::ServerContext*,
                                 const v1::ListStatusChangesRequest* request,
                                 v1::ListStatusChangesResponse* response) override;
  grpc::Status CreateHandoff(grpc::ServerContext*,
                             const v1::CreateHandoffRequest* request,
                             v1::Handoff* response) override;
  grpc::Status GetHandoff(grpc::ServerContext*,
                          const v1::GetHandoffRequest* request,
                          v1::Handoff* response) override;
  grpc::Status ListHandoffs(grpc::ServerContext*,
                            const v1::ListHandoffsRequest* request,
                            v1::ListHandoffsResponse* response) override;
  grpc::Status RecordHandoffFeedback(
      grpc::ServerContext*, const v1::RecordHandoffFeedbackRequest* request,
      v1::Handoff* response) override;
  grpc::Status GetProcessMetrics(grpc::ServerContext*,
                                 const v1::GetProcessMetricsRequest* request,
                                 v1::ProcessMetrics* response) override;
  grpc::Status ListAccountReadiness(
      grpc::ServerContext*, const v1::ListAccountReadinessRequest* request,
      v1::ListAccountReadinessResponse* response) override;
  grpc::ServerWriteReactor<v1::ReadinessEvent>* WatchReadiness(
      grpc::CallbackServerContext* context,
      const v1::WatchReadinessRequest* request) override;

  // Open watch streams.
  size_t watchers();

 private:
  friend class ReadinessWatcher;
  void Feed();
  void Unregister(ReadinessWatcher* watcher);

  graph::Workflow* workflow_;
  graph::Readiness* readiness_;
  // Recursive: ending a watcher may run its OnDone (and so Unregister) on
  // the same thread. A watcher in `watchers_` is alive while mu_ is held.
  std::recursive_mutex mu_;
  std::set<ReadinessWatcher*> watchers_;  // Guarded by mu_.
  bool stopped_ = false;                  // Guarded by mu_.
  std::thread feed_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_WORKFLOW_SERVICE_H_
