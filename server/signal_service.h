// SignalService: recording and listing signals over gRPC.
#ifndef QUORUM_SERVER_SIGNAL_SERVICE_H_
#define QUORUM_SERVER_SIGNAL_SERVICE_H_

#include "graph/store/store.h"
#include "quorum/v1/signal_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the store.
class SignalServiceImpl final : public v1::SignalService::Service {
 public:
  explicit SignalServiceImpl(graph::Store* store) : store_(store) {}

  grpc::Status RecordSignals(grpc::ServerContext*,
                             const v1::RecordSignalsRequest* request,
                             v1::RecordSignalsResponse* response) override;
  grpc::Status ListSignals(grpc::ServerContext*,
                           const v1::ListSignalsRequest* request,
                           v1::ListSignalsResponse* response) override;

 private:
  graph::Store* store_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_SIGNAL_SERVICE_H_
