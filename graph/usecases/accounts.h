// Accounts: the account graph's records — accounts, sites, stakeholders,
// relationships — created, read, listed, updated and deleted with the
// graph's constraints, and the committee map of a tree. The use case of
// AccountGraphService. Errors as described in graph/store/store.h.
#ifndef QUORUM_GRAPH_USECASES_ACCOUNTS_H_
#define QUORUM_GRAPH_USECASES_ACCOUNTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "graph/store/store.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

class Accounts {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Accounts(Store& store) : store_(store) {}

  // Accounts. Create sets `lifecycle_status` to NEW.
  // A non-empty `request_id` makes the create idempotent (AIP-155): see
  // internal::RunIdempotent; the same holds for the other creates.
  absl::StatusOr<v1::Account> CreateAccount(v1::Account account,
                                            absl::string_view account_id,
                                            absl::string_view request_id = "");
  absl::StatusOr<v1::Account> GetAccount(absl::string_view name);
  // Accounts in name order after `start_after` (a name, or empty).
  absl::StatusOr<Page<v1::Account>> ListAccounts(int limit,
                                                 absl::string_view start_after);
  absl::StatusOr<v1::Account> UpdateAccount(
      v1::Account patch, const google::protobuf::FieldMask& mask);
  // An account with sites, stakeholders, relationships, signals or child
  // accounts is deleted only with `force`, and then all of them go too.
  absl::Status DeleteAccount(absl::string_view name, absl::string_view etag,
                             bool force);

  // Sites.
  absl::StatusOr<v1::Site> CreateSite(absl::string_view parent, v1::Site site,
                                      absl::string_view site_id,
                                      absl::string_view request_id = "");
  absl::StatusOr<v1::Site> GetSite(absl::string_view name);
  absl::StatusOr<Page<v1::Site>> ListSites(absl::string_view parent, int limit,
                                           absl::string_view start_after);
  absl::StatusOr<v1::Site> UpdateSite(v1::Site patch,
                                      const google::protobuf::FieldMask& mask);
  absl::Status DeleteSite(absl::string_view name, absl::string_view etag);

  // Stakeholders. E-mails are unique across the graph.
  absl::StatusOr<v1::Stakeholder> CreateStakeholder(
      absl::string_view parent, v1::Stakeholder stakeholder,
      absl::string_view stakeholder_id, absl::string_view request_id = "");
  absl::StatusOr<v1::Stakeholder> GetStakeholder(absl::string_view name);
  absl::StatusOr<Page<v1::Stakeholder>> ListStakeholders(
      absl::string_view parent, int limit, absl::string_view start_after);
  absl::StatusOr<v1::Stakeholder> UpdateStakeholder(
      v1::Stakeholder patch, const google::protobuf::FieldMask& mask);
  // Also deletes the relationships that touch the stakeholder.
  absl::Status DeleteStakeholder(absl::string_view name,
                                 absl::string_view etag);
  // The stakeholder with this e-mail (any case), NOT_FOUND when none.
  // Moves a stakeholder to another account or other sites in one
  // transaction (see MoveStakeholderRequest and docs/storage.md).
  absl::StatusOr<v1::MoveStakeholderResponse> MoveStakeholder(
      const v1::MoveStakeholderRequest& request);
  absl::StatusOr<v1::Stakeholder> FindStakeholderByEmail(
      absl::string_view email);
  // The account owning this domain, NOT_FOUND when none.
  absl::StatusOr<v1::Account> FindAccountByDomain(absl::string_view domain);

  // Relationships. A relationship is stored under its source stakeholder's
  // account, and both ends belong to one account tree.
  absl::StatusOr<v1::Relationship> CreateRelationship(
      absl::string_view parent, v1::Relationship relationship,
      absl::string_view relationship_id, absl::string_view request_id = "");
  absl::StatusOr<v1::Relationship> GetRelationship(absl::string_view name);
  absl::StatusOr<Page<v1::Relationship>> ListRelationships(
      absl::string_view parent, int limit, absl::string_view start_after);
  absl::Status DeleteRelationship(absl::string_view name,
                                  absl::string_view etag);

  // The account `name` and its whole subtree, read in one transaction.
  absl::StatusOr<v1::CommitteeMap> GetCommitteeMap(absl::string_view name);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_ACCOUNTS_H_
