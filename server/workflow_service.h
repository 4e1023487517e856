// WorkflowService: statuses, handoffs, metrics, readiness listing and its
// change feed over gRPC.
#ifndef QUORUM_SERVER_WORKFLOW_SERVICE_H_
#define QUORUM_SERVER_WORKFLOW_SERVICE_H_

#include <atomic>

#include "graph/store.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the store. WatchReadiness holds one handler
// thread per watcher and checks for cancellation (and Stop()) every second.
class WorkflowServiceImpl final : public v1::WorkflowService::Service {
 public:
  explicit WorkflowServiceImpl(graph::Store* store) : store_(store) {}

  // Ends every WatchReadiness stream (at shutdown).
  void Stop() { stopped_ = true; }

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
  grpc::Status WatchReadiness(
      grpc::ServerContext* context, const v1::WatchReadinessRequest* request,
      grpc::ServerWriter<v1::ReadinessEvent>* writer) override;

 private:
  graph::Store* store_;
  std::atomic<bool> stopped_{false};
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_WORKFLOW_SERVICE_H_
