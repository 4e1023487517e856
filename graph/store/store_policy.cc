// graph::Store: policy revisions.
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "graph/rules/policy.h"
#include "graph/store/store.h"
#include "graph/store/store_internal.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: this file implements the store.
using v1::PolicyRevision;

namespace {

// The newest revision, or nullopt when none was published.
absl::StatusOr<std::optional<PolicyRevision>> Latest(Txn& txn) {
  std::optional<PolicyRevision> latest;
  absl::Status parse = absl::OkStatus();
  RETURN_IF_ERROR(txn.Scan(kPolicies, "", "",
                           [&](absl::string_view, absl::string_view value) {
                             PolicyRevision r;
                             if (!r.ParseFromArray(value.data(),
                                                   static_cast<int>(value.size()))) {
                               parse = absl::DataLossError("corrupt policy");
                             } else {
                               latest = std::move(r);
                             }
                             return false;
                           }));
  RETURN_IF_ERROR(parse);
  return latest;
}

}  // namespace

namespace internal {

absl::StatusOr<PolicyRevision> ActivePolicy(Txn& txn) {
  ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
  if (!latest) return absl::NotFoundError("no policy has been published");
  latest->set_active(true);
  return *std::move(latest);
}

}  // namespace internal

absl::StatusOr<PolicyRevision> Store::PublishPolicy(
    const v1::Policy& policy, const std::string& description) {
  Violations violations;
  ValidatePolicy(policy, "policy", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(clock_());
  PolicyRevision published;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
    published.Clear();
    published.set_revision(latest ? latest->revision() + 1 : 1);
    *published.mutable_policy() = policy;
    published.set_description(description);
    *published.mutable_create_time() = now;
    RETURN_IF_ERROR(
        Save(txn, kPolicies, PolicyKey(published.revision()), published));
    // Every account's readiness entry now belongs to the new revision.
    RETURN_IF_ERROR(ReindexAll(txn, clock_()));
    // Served from memory once committed; snapshots are rebuilt lazily with
    // the new half-life.
    ASSIGN_OR_RETURN(PolicyRevision active, ActivePolicy(txn));
    pending_policy_ = std::make_shared<const PolicyRevision>(std::move(active));
    pending_clear_ = true;
    return absl::OkStatus();
  }));
  published.set_active(true);
  return published;
}

absl::StatusOr<PolicyRevision> Store::GetPolicyRevision(int64_t revision) {
  // PolicyKey(revision) would overflow for a negative revision.
  if (revision < 0) return InvalidField("revision", "must not be negative");
  PolicyRevision out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
    if (!latest) return absl::NotFoundError("no policy has been published");
    if (revision == 0 || revision == latest->revision()) {
      out = *std::move(latest);
      out.set_active(true);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> found,
                     Load<PolicyRevision>(txn, kPolicies, PolicyKey(revision)));
    if (!found) {
      return absl::NotFoundError(absl::StrCat("policy revision ", revision,
                                              " not found (latest is ",
                                              latest->revision(), ")"));
    }
    out = *std::move(found);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<PolicyRevision>> Store::ListPolicyRevisions(
    int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  // The newest revision and the page are read in one transaction, so a
  // concurrent publish cannot leave the page without its active revision.
  Page<PolicyRevision> page;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> r, Latest(txn));
    const int64_t latest = r ? r->revision() : 0;
    absl::Status parse_error;
    RETURN_IF_ERROR(txn.Scan(
        kPolicies, "", start_after,
        [&](absl::string_view key, absl::string_view value) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            return false;
          }
          page.last_key = std::string(key);
          PolicyRevision revision;
          if (!revision.ParseFromArray(value.data(),
                                       static_cast<int>(value.size()))) {
            parse_error = absl::DataLossError(
                absl::StrCat("corrupt record at ", key));
            return false;
          }
          revision.set_active(revision.revision() == latest);
          page.items.push_back(std::move(revision));
          return true;
        }));
    return parse_error;
  }));
  return page;
}

}  // namespace quorum::graph
