#include "server/signal_service.h"

#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status SignalServiceImpl::RecordSignals(
    grpc::ServerContext*, const v1::RecordSignalsRequest* request,
    v1::RecordSignalsResponse* response) {
  auto results = signals_->RecordSignals(*request);
  if (!results.ok()) return ToGrpcStatus(results.status());
  for (auto& r : *results) *response->add_results() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status SignalServiceImpl::ListSignals(
    grpc::ServerContext*, const v1::ListSignalsRequest* request,
    v1::ListSignalsResponse* response) {
  return ListPage<v1::Signal>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return signals_->ListSignals(request->parent(), n, after);
      },
      response->mutable_signals(), response->mutable_next_page_token());
}

}  // namespace quorum::server
