#include "server/signal_service.h"

#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status SignalServiceImpl::RecordSignals(
    grpc::ServerContext*, const v1::RecordSignalsRequest* request,
    v1::RecordSignalsResponse* response) {
  auto results = store_->RecordSignals(*request);
  if (!results.ok()) return ToGrpcStatus(results.status());
  for (auto& r : *results) *response->add_results() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status SignalServiceImpl::ListSignals(
    grpc::ServerContext*, const v1::ListSignalsRequest* request,
    v1::ListSignalsResponse* response) {
  auto page = ParsePage(request->page_size(), request->page_token(),
                        request->parent());
  if (!page.ok()) return ToGrpcStatus(page.status());
  auto result =
      store_->ListSignals(request->parent(), page->size, page->start_after);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (auto& s : result->items) *response->add_signals() = std::move(s);
  if (result->more) {
    response->set_next_page_token(
        NextPageToken(request->parent(), result->last_key));
  }
  return grpc::Status::OK;
}

}  // namespace quorum::server
