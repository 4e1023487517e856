#include "server/qualification_service.h"

#include "server/grpc_status.h"

namespace quorum::server {

grpc::ServerUnaryReactor* QualificationServiceImpl::QualifyAccount(
    grpc::CallbackServerContext* context,
    const v1::QualifyAccountRequest* request, v1::Verdict* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(
      ToGrpcStatus(qualification_->QualifyAccount(*request, response)));
  return reactor;
}

}  // namespace quorum::server
