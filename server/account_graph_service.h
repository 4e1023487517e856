// AccountGraphService: the account graph's standard methods over gRPC.
//
// A thin layer: it checks request-level fields (page size and token), calls
// the store, and maps errors once with ToGrpcStatus. The synchronous API is
// used on purpose: every handler blocks on an LMDB transaction (a durable
// commit for writes), which belongs on gRPC's sync thread pool rather than on
// the callback API's event threads.
#ifndef QUORUM_SERVER_ACCOUNT_GRAPH_SERVICE_H_
#define QUORUM_SERVER_ACCOUNT_GRAPH_SERVICE_H_

#include "graph/usecases/accounts.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case, which must outlive it.
class AccountGraphServiceImpl final
    : public quorum::v1::AccountGraphService::Service {
 public:
  explicit AccountGraphServiceImpl(graph::Accounts* accounts)
      : accounts_(accounts) {}

  grpc::Status CreateAccount(grpc::ServerContext*,
                             const v1::CreateAccountRequest* request,
                             v1::Account* response) override;
  grpc::Status GetAccount(grpc::ServerContext*,
                          const v1::GetAccountRequest* request,
                          v1::Account* response) override;
  grpc::Status ListAccounts(grpc::ServerContext*,
                            const v1::ListAccountsRequest* request,
                            v1::ListAccountsResponse* response) override;
  grpc::Status UpdateAccount(grpc::ServerContext*,
                             const v1::UpdateAccountRequest* request,
                             v1::Account* response) override;
  grpc::Status DeleteAccount(grpc::ServerContext*,
                             const v1::DeleteAccountRequest* request,
                             google::protobuf::Empty* response) override;

  grpc::Status CreateSite(grpc::ServerContext*,
                          const v1::CreateSiteRequest* request,
                          v1::Site* response) override;
  grpc::Status GetSite(grpc::ServerContext*, const v1::GetSiteRequest* request,
                       v1::Site* response) override;
  grpc::Status ListSites(grpc::ServerContext*,
                         const v1::ListSitesRequest* request,
                         v1::ListSitesResponse* response) override;
  grpc::Status UpdateSite(grpc::ServerContext*,
                          const v1::UpdateSiteRequest* request,
                          v1::Site* response) override;
  grpc::Status DeleteSite(grpc::ServerContext*,
                          const v1::DeleteSiteRequest* request,
                          google::protobuf::Empty* response) override;

  grpc::Status CreateStakeholder(grpc::ServerContext*,
                                 const v1::CreateStakeholderRequest* request,
                                 v1::Stakeholder* response) override;
  grpc::Status GetStakeholder(grpc::ServerContext*,
                              const v1::GetStakeholderRequest* request,
                              v1::Stakeholder* response) override;
  grpc::Status ListStakeholders(grpc::ServerContext*,
                                const v1::ListStakeholdersRequest* request,
                                v1::ListStakeholdersResponse* response) override;
  grpc::Status UpdateStakeholder(grpc::ServerContext*,
                                 const v1::UpdateStakeholderRequest* request,
                                 v1::Stakeholder* response) override;
  grpc::Status DeleteStakeholder(grpc::ServerContext*,
                                 const v1::DeleteStakeholderRequest* request,
                                 google::protobuf::Empty* response) override;
  grpc::Status MoveStakeholder(grpc::ServerContext*,
                               const v1::MoveStakeholderRequest* request,
                               v1::MoveStakeholderResponse* response) override;

  grpc::Status CreateRelationship(grpc::ServerContext*,
                                  const v1::CreateRelationshipRequest* request,
                                  v1::Relationship* response) override;
  grpc::Status GetRelationship(grpc::ServerContext*,
                               const v1::GetRelationshipRequest* request,
                               v1::Relationship* response) override;
  grpc::Status ListRelationships(
      grpc::ServerContext*, const v1::ListRelationshipsRequest* request,
      v1::ListRelationshipsResponse* response) override;
  grpc::Status DeleteRelationship(grpc::ServerContext*,
                                  const v1::DeleteRelationshipRequest* request,
                                  google::protobuf::Empty* response) override;

  grpc::Status GetCommitteeMap(grpc::ServerContext*,
                               const v1::GetCommitteeMapRequest* request,
                               v1::CommitteeMap* response) override;

 private:
  graph::Accounts* accounts_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_ACCOUNT_GRAPH_SERVICE_H_
