#include "server/account_graph_service.h"

#include <utility>

#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {
grpc::Status AccountGraphServiceImpl::CreateAccount(
    grpc::ServerContext*, const v1::CreateAccountRequest* request,
    v1::Account* response) {
  return Reply(
      accounts_->CreateAccount(request->account(), request->account_id(),
                               request->request_id()),
      response);
}

grpc::Status AccountGraphServiceImpl::GetAccount(
    grpc::ServerContext*, const v1::GetAccountRequest* request,
    v1::Account* response) {
  return Reply(accounts_->GetAccount(request->name()), response);
}

grpc::Status AccountGraphServiceImpl::ListAccounts(
    grpc::ServerContext*, const v1::ListAccountsRequest* request,
    v1::ListAccountsResponse* response) {
  return ListPage<v1::Account>(
      request->page_size(), request->page_token(), "accounts",
      [&](int n, const std::string& after) {
        return accounts_->ListAccounts(n, after);
      },
      response->mutable_accounts(), response->mutable_next_page_token());
}

grpc::Status AccountGraphServiceImpl::UpdateAccount(
    grpc::ServerContext*, const v1::UpdateAccountRequest* request,
    v1::Account* response) {
  return Reply(
      accounts_->UpdateAccount(request->account(), request->update_mask()),
      response);
}

grpc::Status AccountGraphServiceImpl::DeleteAccount(
    grpc::ServerContext*, const v1::DeleteAccountRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(accounts_->DeleteAccount(request->name(), request->etag(),
                                               request->force()));
}

grpc::Status AccountGraphServiceImpl::CreateSite(
    grpc::ServerContext*, const v1::CreateSiteRequest* request,
    v1::Site* response) {
  return Reply(accounts_->CreateSite(request->parent(), request->site(),
                                     request->site_id(), request->request_id()),
               response);
}

grpc::Status AccountGraphServiceImpl::GetSite(grpc::ServerContext*,
                                              const v1::GetSiteRequest* request,
                                              v1::Site* response) {
  return Reply(accounts_->GetSite(request->name()), response);
}

grpc::Status AccountGraphServiceImpl::ListSites(
    grpc::ServerContext*, const v1::ListSitesRequest* request,
    v1::ListSitesResponse* response) {
  return ListPage<v1::Site>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return accounts_->ListSites(request->parent(), n, after);
      },
      response->mutable_sites(), response->mutable_next_page_token());
}

grpc::Status AccountGraphServiceImpl::UpdateSite(
    grpc::ServerContext*, const v1::UpdateSiteRequest* request,
    v1::Site* response) {
  return Reply(accounts_->UpdateSite(request->site(), request->update_mask()),
               response);
}

grpc::Status AccountGraphServiceImpl::DeleteSite(
    grpc::ServerContext*, const v1::DeleteSiteRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(accounts_->DeleteSite(request->name(), request->etag()));
}

grpc::Status AccountGraphServiceImpl::CreateStakeholder(
    grpc::ServerContext*, const v1::CreateStakeholderRequest* request,
    v1::Stakeholder* response) {
  return Reply(accounts_->CreateStakeholder(
                   request->parent(), request->stakeholder(),
                   request->stakeholder_id(), request->request_id()),
               response);
}

grpc::Status AccountGraphServiceImpl::GetStakeholder(
    grpc::ServerContext*, const v1::GetStakeholderRequest* request,
    v1::Stakeholder* response) {
  return Reply(accounts_->GetStakeholder(request->name()), response);
}

grpc::Status AccountGraphServiceImpl::ListStakeholders(
    grpc::ServerContext*, const v1::ListStakeholdersRequest* request,
    v1::ListStakeholdersResponse* response) {
  return ListPage<v1::Stakeholder>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return accounts_->ListStakeholders(request->parent(), n, after);
      },
      response->mutable_stakeholders(), response->mutable_next_page_token());
}

grpc::Status AccountGraphServiceImpl::UpdateStakeholder(
    grpc::ServerContext*, const v1::UpdateStakeholderRequest* request,
    v1::Stakeholder* response) {
  return Reply(accounts_->UpdateStakeholder(request->stakeholder(),
                                            request->update_mask()),
               response);
}

grpc::Status AccountGraphServiceImpl::DeleteStakeholder(
    grpc::ServerContext*, const v1::DeleteStakeholderRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(
      accounts_->DeleteStakeholder(request->name(), request->etag()));
}

grpc::Status AccountGraphServiceImpl::MoveStakeholder(
    grpc::ServerContext*, const v1::MoveStakeholderRequest* request,
    v1::MoveStakeholderResponse* response) {
  return Reply(accounts_->MoveStakeholder(*request), response);
}

grpc::Status AccountGraphServiceImpl::CreateRelationship(
    grpc::ServerContext*, const v1::CreateRelationshipRequest* request,
    v1::Relationship* response) {
  return Reply(accounts_->CreateRelationship(
                   request->parent(), request->relationship(),
                   request->relationship_id(), request->request_id()),
               response);
}

grpc::Status AccountGraphServiceImpl::GetRelationship(
    grpc::ServerContext*, const v1::GetRelationshipRequest* request,
    v1::Relationship* response) {
  return Reply(accounts_->GetRelationship(request->name()), response);
}

grpc::Status AccountGraphServiceImpl::ListRelationships(
    grpc::ServerContext*, const v1::ListRelationshipsRequest* request,
    v1::ListRelationshipsResponse* response) {
  return ListPage<v1::Relationship>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return accounts_->ListRelationships(request->parent(), n, after);
      },
      response->mutable_relationships(), response->mutable_next_page_token());
}

grpc::Status AccountGraphServiceImpl::DeleteRelationship(
    grpc::ServerContext*, const v1::DeleteRelationshipRequest* request,
    google::protobuf::Empty*) {
  return ToGrpcStatus(
      accounts_->DeleteRelationship(request->name(), request->etag()));
}

grpc::Status AccountGraphServiceImpl::GetCommitteeMap(
    grpc::ServerContext*, const v1::GetCommitteeMapRequest* request,
    v1::CommitteeMap* response) {
  return Reply(accounts_->GetCommitteeMap(request->name()), response);
}

}  // namespace quorum::server
