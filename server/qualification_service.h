// QualificationService: verdicts over gRPC.
#ifndef QUORUM_SERVER_QUALIFICATION_SERVICE_H_
#define QUORUM_SERVER_QUALIFICATION_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "graph/store/store.h"
#include "quorum/v1/qualification_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the store. Each call reads one consistent
// snapshot of the account's tree (an LMDB read transaction, which takes no
// lock shared with other accounts' queries) and computes the verdict from it.
class QualificationServiceImpl final
    : public v1::QualificationService::Service {
 public:
  // `clock` gives `as_of` when a request leaves it unset.
  QualificationServiceImpl(graph::Store* store,
                           std::function<absl::Time()> clock)
      : store_(store), clock_(std::move(clock)) {}

  grpc::Status QualifyAccount(grpc::ServerContext*,
                              const v1::QualifyAccountRequest* request,
                              v1::Verdict* response) override;

 private:
  graph::Store* store_;
  std::function<absl::Time()> clock_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_QUALIFICATION_SERVICE_H_
