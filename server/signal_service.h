// SignalService: recording and listing signals over gRPC.
#ifndef QUORUM_SERVER_SIGNAL_SERVICE_H_
#define QUORUM_SERVER_SIGNAL_SERVICE_H_

#include "graph/usecases/signals.h"
#include "quorum/v1/signal_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case.
class SignalServiceImpl final : public v1::SignalService::Service {
 public:
  explicit SignalServiceImpl(graph::Signals* signals) : signals_(signals) {}

  grpc::Status RecordSignals(grpc::ServerContext*,
                             const v1::RecordSignalsRequest* request,
                             v1::RecordSignalsResponse* response) override;
  grpc::Status ListSignals(grpc::ServerContext*,
                           const v1::ListSignalsRequest* request,
                           v1::ListSignalsResponse* response) override;

 private:
  graph::Signals* signals_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_SIGNAL_SERVICE_H_
