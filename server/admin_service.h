// quorum.v1.AdminService: online backup.
#ifndef QUORUM_SERVER_ADMIN_SERVICE_H_
#define QUORUM_SERVER_ADMIN_SERVICE_H_

#include "graph/usecases/admin.h"
#include "quorum/v1/admin_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case.
class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(graph::Admin* admin) : admin_(admin) {}

  grpc::Status BackupData(grpc::ServerContext* context,
                          const v1::BackupDataRequest* request,
                          v1::BackupDataResponse* response) override;

 private:
  graph::Admin* admin_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_ADMIN_SERVICE_H_
