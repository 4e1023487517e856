// QualificationService: verdicts over gRPC.
#ifndef QUORUM_SERVER_QUALIFICATION_SERVICE_H_
#define QUORUM_SERVER_QUALIFICATION_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "graph/usecases/qualification.h"
#include "quorum/v1/qualification_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case. Each call reads one consistent
// snapshot of the account's tree (an LMDB read transaction, which takes no
// lock shared with other accounts' queries) and computes the verdict from it.
class QualificationServiceImpl final
    : public v1::QualificationService::Service {
 public:
  explicit QualificationServiceImpl(graph::Qualification* qualification)
      : qualification_(qualification) {}

  grpc::Status QualifyAccount(grpc::ServerContext*,
                              const v1::QualifyAccountRequest* request,
                              v1::Verdict* response) override;

 private:
  graph::Qualification* qualification_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_QUALIFICATION_SERVICE_H_
