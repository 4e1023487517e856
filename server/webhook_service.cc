#include "server/webhook_service.h"

#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status WebhookServiceImpl::CreateWebhook(
    grpc::ServerContext*, const v1::CreateWebhookRequest* request,
    v1::Webhook* response) {
  grpc::Status status = Reply(webhooks_->CreateWebhook(*request), response);
  if (status.ok() && changed_) changed_();
  return status;
}

grpc::Status WebhookServiceImpl::GetWebhook(
    grpc::ServerContext*, const v1::GetWebhookRequest* request,
    v1::Webhook* response) {
  return Reply(webhooks_->GetWebhook(request->name()), response);
}

grpc::Status WebhookServiceImpl::ListWebhooks(
    grpc::ServerContext*, const v1::ListWebhooksRequest* request,
    v1::ListWebhooksResponse* response) {
  return ListPage<v1::Webhook>(
      request->page_size(), request->page_token(), "webhooks",
      [&](int n, const std::string& after) {
        return webhooks_->ListWebhooks(n, after);
      },
      response->mutable_webhooks(), response->mutable_next_page_token());
}

grpc::Status WebhookServiceImpl::DeleteWebhook(
    grpc::ServerContext*, const v1::DeleteWebhookRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(webhooks_->DeleteWebhook(request->name()));
}

grpc::Status WebhookServiceImpl::ResumeWebhook(
    grpc::ServerContext*, const v1::ResumeWebhookRequest* request,
    v1::Webhook* response) {
  grpc::Status status = Reply(webhooks_->ResumeWebhook(*request), response);
  if (status.ok() && changed_) changed_();
  return status;
}

}  // namespace quorum::server
