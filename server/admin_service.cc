#include "server/admin_service.h"

#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/status.h"
#include "server/grpc_status.h"

namespace quorum::server {

grpc::Status AdminServiceImpl::BackupData(grpc::ServerContext*,
                                          const v1::BackupDataRequest* request,
                                          v1::BackupDataResponse* response) {
  absl::Time start = absl::Now();
  auto size = admin_->Backup(request->path());
  if (!size.ok()) return ToGrpcStatus(size.status());
  response->set_path(request->path());
  response->set_size_bytes(*size);
  *response->mutable_duration() =
      google::protobuf::util::TimeUtil::NanosecondsToDuration(
          absl::ToInt64Nanoseconds(absl::Now() - start));
  return grpc::Status::OK;
}

}  // namespace quorum::server
