// WebhookService: subscriptions to the readiness change feed over gRPC
// (docs/webhooks.md); delivery is server/webhook_dispatcher.h.
#ifndef QUORUM_SERVER_WEBHOOK_SERVICE_H_
#define QUORUM_SERVER_WEBHOOK_SERVICE_H_

#include <functional>
#include <utility>

#include "graph/usecases/webhooks.h"
#include "quorum/v1/webhook_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case.
class WebhookServiceImpl final : public v1::WebhookService::Service {
 public:
  // `changed` is called after a webhook was created or resumed (it wakes
  // the dispatcher).
  WebhookServiceImpl(graph::Webhooks* webhooks, std::function<void()> changed)
      : webhooks_(webhooks), changed_(std::move(changed)) {}

  grpc::Status CreateWebhook(grpc::ServerContext*,
                             const v1::CreateWebhookRequest* request,
                             v1::Webhook* response) override;
  grpc::Status GetWebhook(grpc::ServerContext*,
                          const v1::GetWebhookRequest* request,
                          v1::Webhook* response) override;
  grpc::Status ListWebhooks(grpc::ServerContext*,
                            const v1::ListWebhooksRequest* request,
                            v1::ListWebhooksResponse* response) override;
  grpc::Status DeleteWebhook(grpc::ServerContext*,
                             const v1::DeleteWebhookRequest* request,
                             google::protobuf::Empty* response) override;
  grpc::Status ResumeWebhook(grpc::ServerContext*,
                             const v1::ResumeWebhookRequest* request,
                             v1::Webhook* response) override;

 private:
  graph::Webhooks* webhooks_;
  std::function<void()> changed_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_WEBHOOK_SERVICE_H_
