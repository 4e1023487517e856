#include "server/qualification_service.h"

#include "google/protobuf/util/time_util.h"
#include "graph/rules/qualification.h"
#include "graph/model/status.h"
#include "server/grpc_status.h"

namespace quorum::server {

grpc::Status QualificationServiceImpl::QualifyAccount(
    grpc::ServerContext*, const v1::QualifyAccountRequest* request,
    v1::Verdict* response) {
  absl::StatusOr<v1::Verdict> verdict =
      qualification_->QualifyAccount(*request);
  if (!verdict.ok()) return ToGrpcStatus(verdict.status());
  *response = *std::move(verdict);
  return grpc::Status::OK;
}

}  // namespace quorum::server
