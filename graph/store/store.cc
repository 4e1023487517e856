#include "graph/store/store.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/field_mask.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/model/validation.h"
#include "graph/rules/algorithms.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "graph/store/store_internal.h"

namespace quorum::graph {

using google::protobuf::FieldMask;
using quorum::v1::Account;
using quorum::v1::CommitteeMap;
using quorum::v1::Relationship;
using quorum::v1::Site;
using quorum::v1::Stakeholder;

namespace internal {

absl::StatusOr<uint64_t> NextSequence(Txn& txn) {
  ASSIGN_OR_RETURN(std::optional<std::string> last,
                   txn.Get(kMeta, kSequenceKey));
  uint64_t seq = 0;
  if (last && !last->empty() && !absl::SimpleAtoi(*last, &seq)) {
    return absl::DataLossError(absl::StrCat("the stored sequence number \"",
                                            absl::CHexEscape(*last),
                                            "\" is not a number"));
  }
  ++seq;
  RETURN_IF_ERROR(txn.Put(kMeta, kSequenceKey, std::to_string(seq)));
  return seq;
}

std::string AccountIdOf(absl::string_view name) {
  absl::string_view rest = absl::StripPrefix(name, "accounts/");
  return std::string(rest.substr(0, rest.find('/')));
}

// The parent chain of `account_id`, starting with itself, ending at the root.
absl::StatusOr<std::vector<std::string>> Ancestry(Txn& txn,
                                                  std::string account_id) {
  std::vector<std::string> chain;
  while (!account_id.empty()) {
    chain.push_back(account_id);
    if (chain.size() > 10000) return absl::InternalError("hierarchy too deep");
    ASSIGN_OR_RETURN(Account account, LoadExisting<Account>(
                                          txn, kAccounts,
                                          names::Account(account_id)));
    account_id = account.parent().empty() ? "" : AccountIdOf(account.parent());
  }
  return chain;
}

absl::StatusOr<std::string> RootOf(Txn& txn, const std::string& account_id) {
  ASSIGN_OR_RETURN(std::vector<std::string> chain, Ancestry(txn, account_id));
  return chain.back();
}

absl::StatusOr<std::vector<std::string>> ChildIds(Txn& txn,
                                                  absl::string_view id) {
  std::vector<std::string> out;
  std::string prefix = ChildPrefix(id);
  RETURN_IF_ERROR(txn.Scan(kChildren, prefix, "",
                           [&](absl::string_view key, absl::string_view) {
                             out.emplace_back(key.substr(prefix.size()));
                             return true;
                           }));
  return out;
}

// `account_id` and its descendants, breadth first.
absl::StatusOr<std::vector<std::string>> Subtree(Txn& txn,
                                                 const std::string& account_id) {
  std::vector<std::string> out = {account_id};
  for (size_t i = 0; i < out.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<std::string> children, ChildIds(txn, out[i]));
    out.insert(out.end(), children.begin(), children.end());
  }
  return out;
}

absl::Status CheckLimit(int limit) {
  if (limit <= 0) return absl::InternalError("page limit must be positive");
  return absl::OkStatus();
}

absl::Status RequireAccount(Txn& txn, const std::string& account_name) {
  ASSIGN_OR_RETURN(std::optional<std::string> found,
                   txn.Get(kAccounts, account_name));
  if (!found) {
    return absl::NotFoundError(absl::StrCat(account_name, " not found"));
  }
  return absl::OkStatus();
}


}  // namespace internal

using namespace internal;  // NOLINT: this file implements the store.

namespace {


// Fields of each resource that clients never set.
const std::set<std::string, std::less<>> kAccountOutputOnly = {
    "name", "etag", "create_time", "update_time", "lifecycle_status"};
const std::set<std::string, std::less<>> kChildOutputOnly = {
    "name", "etag", "create_time", "update_time"};

// A fresh etag from the store-wide sequence (AIP-154: opaque, changes on
// every write of the resource).
absl::StatusOr<std::string> NextEtag(Txn& txn) {
  ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
  return absl::StrCat("\"", absl::Hex(seq), "\"");
}

absl::Status CheckEtag(absl::string_view name, absl::string_view given,
                       absl::string_view current) {
  if (given.empty() || given == current) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(
      name, " was changed since etag ", given, " (now ", current,
      "): read it again and retry"));
}

// An ID that is free in `db`: `wanted` when given, else one derived from
// `text`, with a numeric suffix when the derived one is taken.
absl::StatusOr<std::string> ChooseId(
    Txn& txn, absl::string_view db, absl::string_view wanted,
    absl::string_view text, absl::string_view fallback,
    const std::function<std::string(absl::string_view)>& name_of,
    absl::string_view field) {
  if (!wanted.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> taken,
                     txn.Get(db, name_of(wanted)));
    if (taken) {
      return absl::AlreadyExistsError(
          absl::StrCat(field, ": ", name_of(wanted), " already exists"));
    }
    return std::string(wanted);
  }
  std::string base = names::SlugId(text, fallback);
  for (int n = 1;; ++n) {
    std::string id = n == 1 ? base : absl::StrCat(base, "-", n);
    ASSIGN_OR_RETURN(std::optional<std::string> taken,
                     txn.Get(db, name_of(id)));
    if (!taken) return id;
  }
}

// ---- Account tree helpers (all inside one transaction) ----

absl::StatusOr<std::vector<Stakeholder>> StakeholdersOf(
    Txn& txn, const std::vector<std::string>& account_ids) {
  std::vector<Stakeholder> out;
  for (const std::string& id : account_ids) {
    ASSIGN_OR_RETURN(
        std::vector<Stakeholder> some,
        ScanAll<Stakeholder>(txn, kStakeholdersDb,
                             absl::StrCat(names::Account(id), "/",
                                          names::kStakeholders, "/")));
    for (auto& s : some) out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<Relationship>> RelationshipsOf(
    Txn& txn, const std::vector<std::string>& account_ids) {
  std::vector<Relationship> out;
  for (const std::string& id : account_ids) {
    ASSIGN_OR_RETURN(
        std::vector<Relationship> some,
        ScanAll<Relationship>(txn, kRelationshipsDb,
                              absl::StrCat(names::Account(id), "/",
                                           names::kRelationships, "/")));
    for (auto& r : some) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> EdgesOf(Txn& txn,
                                                 absl::string_view stakeholder) {
  std::vector<std::string> out;
  std::string prefix = EdgePrefix(stakeholder);
  RETURN_IF_ERROR(txn.Scan(kEdges, prefix, "",
                           [&](absl::string_view key, absl::string_view) {
                             out.emplace_back(key.substr(prefix.size()));
                             return true;
                           }));
  return out;
}

absl::Status RemoveRelationship(Txn& txn, const Relationship& r) {
  RETURN_IF_ERROR(txn.Delete(kRelationshipsDb, r.name()));
  RETURN_IF_ERROR(txn.Delete(kEdges, EdgeKey(r.source(), r.name())));
  return txn.Delete(kEdges, EdgeKey(r.target(), r.name()));
}

absl::Status RemoveStakeholder(Txn& txn, const Stakeholder& s) {
  ASSIGN_OR_RETURN(std::vector<std::string> edges, EdgesOf(txn, s.name()));
  for (const std::string& rel_name : edges) {
    ASSIGN_OR_RETURN(std::optional<Relationship> r,
                     Load<Relationship>(txn, kRelationshipsDb, rel_name));
    if (r) RETURN_IF_ERROR(RemoveRelationship(txn, *r));
  }
  if (!s.email().empty()) RETURN_IF_ERROR(txn.Delete(kEmails, s.email()));
  return txn.Delete(kStakeholdersDb, s.name());
}

// Checks that the stakeholder's sites exist and belong to the tree of the
// stakeholder's account.
absl::Status CheckStakeholderSites(Txn& txn, const Stakeholder& s,
                                   const std::string& account_id,
                                   absl::string_view prefix) {
  if (s.sites_size() == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
  for (int i = 0; i < s.sites_size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<Site> site,
                     Load<Site>(txn, kSitesDb, s.sites(i)));
    if (!site) {
      return PreconditionFailed(
          "SITE_NOT_FOUND", s.sites(i),
          absl::StrCat(prefix, ".sites[", i, "]: site ", s.sites(i),
                       " does not exist"));
    }
    ASSIGN_OR_RETURN(std::string site_root,
                     RootOf(txn, AccountIdOf(s.sites(i))));
    if (site_root != root) {
      return PreconditionFailed(
          "SITE_OUTSIDE_ACCOUNT_TREE", s.sites(i),
          absl::StrCat(prefix, ".sites[", i, "]: site ", s.sites(i),
                       " is not in the account tree of ",
                       names::Account(account_id), " (root ",
                       names::Account(root), ")"));
    }
  }
  return absl::OkStatus();
}

// Checks that moving the subtree of `account_id` out of its current tree
// keeps every relationship and every stakeholder's sites inside one tree.
absl::Status CheckSubtreeCanMove(Txn& txn, const std::string& account_id,
                                 const std::string& old_root) {
  ASSIGN_OR_RETURN(std::vector<std::string> moved_ids,
                   Subtree(txn, account_id));
  std::set<std::string> moved(moved_ids.begin(), moved_ids.end());
  ASSIGN_OR_RETURN(std::vector<std::string> tree_ids, Subtree(txn, old_root));
  ASSIGN_OR_RETURN(std::vector<Stakeholder> people,
                   StakeholdersOf(txn, tree_ids));
  for (const Stakeholder& s : people) {
    bool inside = moved.count(AccountIdOf(s.name())) > 0;
    for (const std::string& site : s.sites()) {
      if ((moved.count(AccountIdOf(site)) > 0) != inside) {
        return PreconditionFailed(
            "SPLITS_ACCOUNT_TREE", s.name(),
            absl::StrCat("moving ", names::Account(account_id),
                         " would separate stakeholder ", s.name(),
                         " from their site ", site));
      }
    }
    if (!inside) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> edges, EdgesOf(txn, s.name()));
    for (const std::string& rel_name : edges) {
      ASSIGN_OR_RETURN(Relationship r, LoadExisting<Relationship>(
                                           txn, kRelationshipsDb, rel_name));
      if (moved.count(AccountIdOf(r.source())) == 0 ||
          moved.count(AccountIdOf(r.target())) == 0) {
        return PreconditionFailed(
            "SPLITS_ACCOUNT_TREE", r.name(),
            absl::StrCat("moving ", names::Account(account_id),
                         " would split relationship ", r.name(), " (",
                         r.source(), " -> ", r.target(),
                         ") across account trees"));
      }
    }
  }
  return absl::OkStatus();
}

// Checks a new parent for `account_id` (empty: becomes a root).
absl::Status CheckParent(Txn& txn, const std::string& account_id,
                         const std::string& parent_name, bool existing) {
  if (parent_name.empty()) return absl::OkStatus();
  std::string parent_id = AccountIdOf(parent_name);
  ASSIGN_OR_RETURN(std::optional<Account> parent,
                   Load<Account>(txn, kAccounts, parent_name));
  if (!parent) {
    return PreconditionFailed(
        "PARENT_NOT_FOUND", parent_name,
        absl::StrCat("account.parent: parent account ", parent_name,
                     " does not exist"));
  }
  if (!existing) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> chain, Ancestry(txn, parent_id));
  auto self = std::find(chain.begin(), chain.end(), account_id);
  if (self != chain.end()) {
    std::vector<std::string> cycle = {names::Account(account_id)};
    for (auto it = chain.begin(); it != self + 1; ++it) {
      cycle.push_back(names::Account(*it));
    }
    return PreconditionFailed(
        "CYCLE", names::Account(account_id),
        absl::StrCat("account.parent: making ", parent_name, " the parent of ",
                     names::Account(account_id),
                     " would create a cycle: ", absl::StrJoin(cycle, " -> ")));
  }
  return absl::OkStatus();
}

absl::Status IndexDomains(Txn& txn, const Account& account,
                          const std::set<std::string>& previous) {
  for (int i = 0; i < account.domains_size(); ++i) {
    const std::string& domain = account.domains(i);
    if (previous.count(domain) > 0) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> owner,
                     txn.Get(kDomains, domain));
    if (owner && *owner != account.name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("account.domains[", i, "]: domain ", domain,
                       " already belongs to ", *owner));
    }
    RETURN_IF_ERROR(txn.Put(kDomains, domain, account.name()));
  }
  for (const std::string& domain : previous) {
    if (std::find(account.domains().begin(), account.domains().end(),
                  domain) == account.domains().end()) {
      RETURN_IF_ERROR(txn.Delete(kDomains, domain));
    }
  }
  return absl::OkStatus();
}

absl::Status IndexEmail(Txn& txn, const Stakeholder& s,
                        absl::string_view previous) {
  if (s.email() == previous) return absl::OkStatus();
  if (!s.email().empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> owner,
                     txn.Get(kEmails, s.email()));
    if (owner && *owner != s.name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("stakeholder.email: ", s.email(),
                       " already belongs to ", *owner));
    }
    RETURN_IF_ERROR(txn.Put(kEmails, s.email(), s.name()));
  }
  if (!previous.empty()) RETURN_IF_ERROR(txn.Delete(kEmails, previous));
  return absl::OkStatus();
}

// Keeps the normalized-company-name index in step with the display name.
absl::Status IndexCompanyName(Txn& txn, const Account& account,
                              const std::string& previous_display_name) {
  const std::string key = CompanyKey(account.display_name());
  if (!previous_display_name.empty()) {
    const std::string old_key = CompanyKey(previous_display_name);
    if (old_key == key) return absl::OkStatus();
    if (!old_key.empty()) {
      RETURN_IF_ERROR(
          txn.Delete(kCompanyNames, CompanyNameKey(old_key, account.name())));
    }
  }
  if (key.empty()) return absl::OkStatus();
  return txn.Put(kCompanyNames, CompanyNameKey(key, account.name()), "");
}

// Deletes an account's records in a time-ordered database and, when `ids`
// is set, their ID index entries (every such record has its name as
// field 1).
absl::Status DeleteTimeRecords(Txn& txn, absl::string_view db,
                               absl::string_view ids,
                               const std::string& account_id) {
  std::vector<std::pair<std::string, std::string>> records;
  RETURN_IF_ERROR(txn.Scan(
      db, TimePrefix(account_id), "",
      [&](absl::string_view key, absl::string_view value) {
        v1::Note named;  // Only field 1 (name) is read.
        named.ParseFromArray(value.data(), static_cast<int>(value.size()));
        records.emplace_back(std::string(key), named.name());
        return true;
      }));
  for (const auto& [key, name] : records) {
    RETURN_IF_ERROR(txn.Delete(db, key));
    if (!ids.empty()) RETURN_IF_ERROR(txn.Delete(ids, name));
  }
  return absl::OkStatus();
}

// Fills output-only fields of a created resource.
template <typename T>
absl::Status Stamp(Txn& txn, T* resource, absl::Time now, bool created) {
  ASSIGN_OR_RETURN(std::string etag, NextEtag(txn));
  resource->set_etag(etag);
  if (created) *resource->mutable_create_time() = ToProto(now);
  if constexpr (!std::is_same_v<T, Relationship>) {
    *resource->mutable_update_time() = ToProto(now);
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

void CheckRequestId(absl::string_view request_id, Violations* violations) {
  if (request_id.size() > 128) {
    violations->Add("request_id", "is longer than 128 bytes");
    return;
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      violations->Add("request_id",
                      "must be printable ASCII without spaces (e.g. a UUID)");
      return;
    }
  }
}

std::string RequestFingerprint(const google::protobuf::Message& request,
                               absl::string_view extra) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field =
          copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  bytes.append(extra.data(), extra.size());
  return absl::StrCat(absl::Hex(StableHash64(bytes), absl::kZeroPad16));
}

absl::StatusOr<std::string> FreeAccountId(Txn& txn, absl::string_view text) {
  return ChooseId(txn, kAccounts, "", text, "account",
                  [](absl::string_view id) { return names::Account(id); },
                  "account_id");
}

absl::StatusOr<Account> CreateAccountIn(Txn& txn, Account account,
                                        absl::string_view account_id,
                                        absl::Time now) {
  account.clear_name();
  account.clear_etag();
  account.clear_create_time();
  account.clear_update_time();
  account.set_lifecycle_status(v1::LIFECYCLE_STATUS_NEW);
  ASSIGN_OR_RETURN(
      std::string id,
      ChooseId(txn, kAccounts, account_id, account.display_name(), "account",
               [](absl::string_view id) { return names::Account(id); },
               "account_id"));
  account.set_name(names::Account(id));
  RETURN_IF_ERROR(CheckParent(txn, id, account.parent(), false));
  RETURN_IF_ERROR(IndexDomains(txn, account, {}));
  RETURN_IF_ERROR(IndexCompanyName(txn, account, ""));
  if (!account.parent().empty()) {
    RETURN_IF_ERROR(
        txn.Put(kChildren, ChildKey(AccountIdOf(account.parent()), id), ""));
  }
  RETURN_IF_ERROR(Stamp(txn, &account, now, true));
  RETURN_IF_ERROR(Save(txn, kAccounts, account.name(), account));
  return account;
}

absl::StatusOr<Account> UpdateAccountIn(Txn& txn, const Account& patch,
                                        const FieldMask& mask, absl::Time now) {
  ASSIGN_OR_RETURN(std::string id,
                   names::ParseAccount(patch.name(), "account.name"));
  ASSIGN_OR_RETURN(Account current,
                   LoadExisting<Account>(txn, kAccounts, patch.name()));
  RETURN_IF_ERROR(CheckEtag(patch.name(), patch.etag(), current.etag()));
  Account updated = current;
  RETURN_IF_ERROR(ApplyFieldMask(patch, mask, kAccountOutputOnly, &updated));
  Violations violations;
  CheckAccount(&updated, "account", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  if (updated.parent() != current.parent()) {
    if (updated.parent() == updated.name()) {
      return PreconditionFailed(
          "CYCLE", updated.name(),
          absl::StrCat("account.parent: ", updated.name(),
                       " cannot be its own parent (cycle: ", updated.name(),
                       " -> ", updated.name(), ")"));
    }
    RETURN_IF_ERROR(CheckParent(txn, id, updated.parent(), true));
    ASSIGN_OR_RETURN(std::string old_root, RootOf(txn, id));
    std::string new_root = id;
    if (!updated.parent().empty()) {
      ASSIGN_OR_RETURN(new_root, RootOf(txn, AccountIdOf(updated.parent())));
    }
    if (new_root != old_root) {
      RETURN_IF_ERROR(CheckSubtreeCanMove(txn, id, old_root));
    }
    if (!current.parent().empty()) {
      RETURN_IF_ERROR(
          txn.Delete(kChildren, ChildKey(AccountIdOf(current.parent()), id)));
    }
    if (!updated.parent().empty()) {
      RETURN_IF_ERROR(
          txn.Put(kChildren, ChildKey(AccountIdOf(updated.parent()), id), ""));
    }
  }
  RETURN_IF_ERROR(IndexDomains(
      txn, updated,
      std::set<std::string>(current.domains().begin(), current.domains().end())));
  RETURN_IF_ERROR(IndexCompanyName(txn, updated, current.display_name()));
  RETURN_IF_ERROR(Stamp(txn, &updated, now, false));
  RETURN_IF_ERROR(Save(txn, kAccounts, updated.name(), updated));
  return updated;
}

absl::StatusOr<Site> CreateSiteIn(Txn& txn, absl::string_view parent,
                                  Site site, absl::string_view site_id,
                                  absl::Time now) {
  const std::string account_id = AccountIdOf(parent);
  ASSIGN_OR_RETURN(Account account,
                   LoadExisting<Account>(txn, kAccounts, parent));
  Violations violations;
  CheckSite(&site, account.country_code(), "site", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  ASSIGN_OR_RETURN(
      std::string id,
      ChooseId(
          txn, kSitesDb, site_id, site.display_name(), "site",
          [&](absl::string_view id) {
            return names::Child(account_id, names::kSites, id);
          },
          "site_id"));
  site.set_name(names::Child(account_id, names::kSites, id));
  site.clear_create_time();
  RETURN_IF_ERROR(Stamp(txn, &site, now, true));
  RETURN_IF_ERROR(Save(txn, kSitesDb, site.name(), site));
  return site;
}

absl::StatusOr<Site> UpdateSiteIn(Txn& txn, const Site& patch,
                                  const FieldMask& mask, absl::Time now) {
  ASSIGN_OR_RETURN(names::ChildName name,
                   names::ParseChild(patch.name(), names::kSites, "site.name"));
  ASSIGN_OR_RETURN(Site current,
                   LoadExisting<Site>(txn, kSitesDb, patch.name()));
  RETURN_IF_ERROR(CheckEtag(patch.name(), patch.etag(), current.etag()));
  ASSIGN_OR_RETURN(Account account, LoadExisting<Account>(
                                        txn, kAccounts, name.account_name()));
  Site updated = current;
  RETURN_IF_ERROR(ApplyFieldMask(patch, mask, kChildOutputOnly, &updated));
  Violations violations;
  CheckSite(&updated, account.country_code(), "site", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  RETURN_IF_ERROR(Stamp(txn, &updated, now, false));
  RETURN_IF_ERROR(Save(txn, kSitesDb, updated.name(), updated));
  return updated;
}

absl::StatusOr<Stakeholder> CreateStakeholderIn(Txn& txn,
                                                absl::string_view parent,
                                                Stakeholder stakeholder,
                                                absl::string_view stakeholder_id,
                                                absl::Time now) {
  const std::string account_id = AccountIdOf(parent);
  RETURN_IF_ERROR(RequireAccount(txn, std::string(parent)));
  ASSIGN_OR_RETURN(
      std::string id,
      ChooseId(
          txn, kStakeholdersDb, stakeholder_id, stakeholder.display_name(),
          "person",
          [&](absl::string_view id) {
            return names::Child(account_id, names::kStakeholders, id);
          },
          "stakeholder_id"));
  stakeholder.set_name(names::Child(account_id, names::kStakeholders, id));
  stakeholder.clear_create_time();
  RETURN_IF_ERROR(
      CheckStakeholderSites(txn, stakeholder, account_id, "stakeholder"));
  RETURN_IF_ERROR(IndexEmail(txn, stakeholder, ""));
  RETURN_IF_ERROR(Stamp(txn, &stakeholder, now, true));
  RETURN_IF_ERROR(Save(txn, kStakeholdersDb, stakeholder.name(), stakeholder));
  return stakeholder;
}

absl::StatusOr<Stakeholder> UpdateStakeholderIn(Txn& txn,
                                                const Stakeholder& patch,
                                                const FieldMask& mask,
                                                absl::Time now) {
  ASSIGN_OR_RETURN(names::ChildName name,
                   names::ParseChild(patch.name(), names::kStakeholders,
                                     "stakeholder.name"));
  ASSIGN_OR_RETURN(Stakeholder current, LoadExisting<Stakeholder>(
                                            txn, kStakeholdersDb, patch.name()));
  RETURN_IF_ERROR(CheckEtag(patch.name(), patch.etag(), current.etag()));
  Stakeholder updated = current;
  RETURN_IF_ERROR(ApplyFieldMask(patch, mask, kChildOutputOnly, &updated));
  Violations violations;
  CheckStakeholder(&updated, "stakeholder", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  RETURN_IF_ERROR(
      CheckStakeholderSites(txn, updated, name.account_id, "stakeholder"));
  RETURN_IF_ERROR(IndexEmail(txn, updated, current.email()));
  RETURN_IF_ERROR(Stamp(txn, &updated, now, false));
  RETURN_IF_ERROR(Save(txn, kStakeholdersDb, updated.name(), updated));
  return updated;
}

absl::Status ReadCommitteeMap(Txn& txn, const std::string& account_id,
                              CommitteeMap* map,
                              std::vector<std::string>* subtree_out) {
  ASSIGN_OR_RETURN(*map->mutable_account(),
                   LoadExisting<Account>(txn, kAccounts,
                                         names::Account(account_id)));
  ASSIGN_OR_RETURN(std::vector<std::string> subtree,
                   Subtree(txn, account_id));
  std::set<std::string> inside(subtree.begin(), subtree.end());
  for (size_t i = 1; i < subtree.size(); ++i) {
    ASSIGN_OR_RETURN(*map->add_descendants(),
                     LoadExisting<Account>(txn, kAccounts,
                                           names::Account(subtree[i])));
  }
  for (const std::string& id : subtree) {
    ASSIGN_OR_RETURN(std::vector<Site> sites,
                     ScanAll<Site>(txn, kSitesDb,
                                   absl::StrCat(names::Account(id), "/",
                                                names::kSites, "/")));
    for (Site& s : sites) *map->add_sites() = std::move(s);
  }
  ASSIGN_OR_RETURN(std::vector<Stakeholder> people,
                   StakeholdersOf(txn, subtree));
  for (Stakeholder& s : people) *map->add_stakeholders() = std::move(s);
  ASSIGN_OR_RETURN(std::vector<Relationship> rels,
                   RelationshipsOf(txn, subtree));
  for (Relationship& r : rels) {
    if (inside.count(AccountIdOf(r.target())) > 0) {
      *map->add_relationships() = std::move(r);
    }
  }
  // Who holds each role, confirmed holders first.
  std::map<int, v1::RoleHolders> roles;
  for (int pass = 0; pass < 2; ++pass) {
    const auto wanted =
        pass == 0 ? v1::ROLE_SOURCE_CONFIRMED : v1::ROLE_SOURCE_INFERRED;
    for (const Stakeholder& s : map->stakeholders()) {
      for (const auto& role : s.roles()) {
        if (role.source() != wanted) continue;
        v1::RoleHolders& holders = roles[role.role()];
        holders.set_role(role.role());
        holders.add_stakeholders(s.name());
        if (pass == 0) holders.add_confirmed_stakeholders(s.name());
      }
    }
  }
  for (auto& [role, holders] : roles) *map->add_roles() = std::move(holders);
  if (subtree_out != nullptr) *subtree_out = std::move(subtree);
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Options options) {
  std::unique_ptr<KvEngine> engine;
  if (options.path == Options::kInMemory) {
    engine = std::make_unique<MemoryEngine>(AllDatabases());
  } else {
    LmdbEnv::Options env_options;
    env_options.path = options.path;
    env_options.initial_map_size = options.initial_map_size;
    env_options.databases = AllDatabases();
    ASSIGN_OR_RETURN(engine, LmdbEnv::Open(env_options));
  }
  if (options.fault_plan) {
    engine = std::make_unique<FaultInjectingEngine>(
        std::move(engine), std::move(options.fault_plan));
  }
  return Open(std::move(engine), std::move(options));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    std::unique_ptr<KvEngine> engine, Options options) {
  std::unique_ptr<Store> store(new Store(std::move(engine),
                                         std::move(options.clock),
                                         options.snapshot_cache_bytes));
  // Stores written before the company-name index existed get it built once.
  RETURN_IF_ERROR(store->Write([](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> done,
                     txn.Get(kMeta, kCompanyNamesBuiltKey));
    if (done) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<Account> accounts,
                     ScanAll<Account>(txn, kAccounts, "accounts/"));
    for (const Account& account : accounts) {
      RETURN_IF_ERROR(IndexCompanyName(txn, account, ""));
    }
    return txn.Put(kMeta, kCompanyNamesBuiltKey, "1");
  }));
  RETURN_IF_ERROR(store->Write([&](Txn& txn) -> absl::Status {
    return UpgradeReadinessIndex(txn, store->clock_());
  }));
  return store;
}

void Store::BeginAttempt() {
  changes_.clear();
  pending_.clear();
  pending_policy_ = nullptr;
  pending_clear_ = false;
}

absl::Status Store::Write(const std::function<absl::Status(Txn&)>& fn) {
  return engine_->Write(
      [&](Txn& engine_txn) -> absl::Status {
        BeginAttempt();  // A write whose map filled up runs again from here.
        ChangeRecordingTxn txn(engine_txn, changes_);
        RETURN_IF_ERROR(fn(txn));
        if (changes_.empty()) return absl::OkStatus();
        return Reindex(txn);
      },
      [this](uint64_t version) { Committed(version); });
}

void Store::Committed(uint64_t version) {
  if (pending_clear_) snapshots_.Clear(version);
  for (auto& [id, snapshot] : pending_) {
    snapshots_.Publish(id, std::move(snapshot), version);
  }
  pending_.clear();
  if (pending_policy_) {
    std::lock_guard lock(policy_mu_);
    policy_ = std::move(pending_policy_);
    policy_changed_ = version;
  }
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    ++commits_;
  }
  events_cv_.notify_all();
}

// ---------------------------------------------------------------- Accounts

absl::StatusOr<Account> Store::CreateAccount(Account account,
                                             absl::string_view account_id,
                                             absl::string_view request_id) {
  Violations violations;
  CheckAccount(&account, "account", &violations);
  CheckRequestId(request_id, &violations);
  if (!account_id.empty() && !names::IsValidId(account_id)) {
    violations.Add("account_id",
                   absl::StrCat("\"", account_id,
                                "\" is not a valid ID (^[a-z]([a-z0-9-]{0,61}"
                                "[a-z0-9])?$)"));
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  Account created;
  RETURN_IF_ERROR(WriteIdempotent(
      "CreateAccount", request_id, RequestFingerprint(account, account_id),
      &created, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(created,
                         CreateAccountIn(txn, account, account_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Account> Store::GetAccount(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseAccount(name, "name").status());
  Account out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadExisting<Account>(txn, kAccounts, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Account>> Store::ListAccounts(int limit,
                                                  absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  return ScanPage<Account>(*engine_, kAccounts, "accounts/", limit,
                           start_after);
}

absl::StatusOr<Account> Store::UpdateAccount(Account patch,
                                             const FieldMask& mask) {
  RETURN_IF_ERROR(names::ParseAccount(patch.name(), "account.name").status());
  const absl::Time now = clock_();
  Account updated;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateAccountIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Store::DeleteAccount(absl::string_view name, absl::string_view etag,
                                  bool force) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  const absl::Time now = clock_();
  return Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Account account,
                     LoadExisting<Account>(txn, kAccounts, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, account.etag()));
    ASSIGN_OR_RETURN(std::vector<std::string> subtree, Subtree(txn, id));
    if (!force) {
      std::vector<std::string> held;
      if (subtree.size() > 1) {
        held.push_back(absl::StrCat(subtree.size() - 1, " child account(s)"));
      }
      for (auto [db, collection] :
           {std::pair{kSitesDb, names::kSites},
            std::pair{kStakeholdersDb, names::kStakeholders},
            std::pair{kRelationshipsDb, names::kRelationships}}) {
        int count = 0;
        RETURN_IF_ERROR(txn.Scan(db, absl::StrCat(name, "/", collection, "/"),
                                 "", [&](absl::string_view, absl::string_view) {
                                   ++count;
                                   return true;
                                 }));
        if (count > 0) held.push_back(absl::StrCat(count, " ", collection));
      }
      for (auto [db, what] : {std::pair{kSignals, "signals"},
                              std::pair{kNotes, "notes"},
                              std::pair{kHandoffs, "handoffs"}}) {
        int count = 0;
        RETURN_IF_ERROR(txn.Scan(db, TimePrefix(id), "",
                                 [&](absl::string_view, absl::string_view) {
                                   ++count;
                                   return true;
                                 }));
        if (count > 0) held.push_back(absl::StrCat(count, " ", what));
      }
      if (!held.empty()) {
        return PreconditionFailed(
            "HAS_CHILDREN", std::string(name),
            absl::StrCat(name, " has ", absl::StrJoin(held, ", "),
                         "; set force to delete it with everything under it"));
      }
    }
    std::set<std::string> doomed(subtree.begin(), subtree.end());
    // Stakeholders elsewhere in the tree lose their references to sites
    // that go away.
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, id));
    ASSIGN_OR_RETURN(std::vector<std::string> tree, Subtree(txn, root));
    std::vector<std::string> others;
    for (const std::string& t : tree) {
      if (doomed.count(t) == 0) others.push_back(t);
    }
    ASSIGN_OR_RETURN(std::vector<Stakeholder> outside,
                     StakeholdersOf(txn, others));
    for (Stakeholder& s : outside) {
      auto* sites = s.mutable_sites();
      auto end = std::remove_if(sites->begin(), sites->end(),
                                [&](const std::string& site) {
                                  return doomed.count(AccountIdOf(site)) > 0;
                                });
      if (end == sites->end()) continue;
      sites->erase(end, sites->end());
      RETURN_IF_ERROR(Stamp(txn, &s, now, false));
      RETURN_IF_ERROR(Save(txn, kStakeholdersDb, s.name(), s));
    }
    for (auto it = subtree.rbegin(); it != subtree.rend(); ++it) {
      const std::string account_name = names::Account(*it);
      ASSIGN_OR_RETURN(std::vector<Relationship> rels,
                       RelationshipsOf(txn, {*it}));
      for (const Relationship& r : rels) {
        RETURN_IF_ERROR(RemoveRelationship(txn, r));
      }
      ASSIGN_OR_RETURN(std::vector<Stakeholder> people,
                       StakeholdersOf(txn, {*it}));
      for (const Stakeholder& s : people) {
        RETURN_IF_ERROR(RemoveStakeholder(txn, s));
      }
      ASSIGN_OR_RETURN(
          std::vector<Site> sites,
          ScanAll<Site>(txn, kSitesDb,
                        absl::StrCat(account_name, "/", names::kSites, "/")));
      for (const Site& site : sites) {
        RETURN_IF_ERROR(txn.Delete(kSitesDb, site.name()));
      }
      // Time-ordered records and their ID index entries: signals, notes,
      // handoffs, and the status history (which has no ID index).
      for (auto [db, ids] : {std::pair{kSignals, kSignalIds},
                             std::pair{kNotes, kNoteIds},
                             std::pair{kHandoffs, kHandoffIds},
                             std::pair{kStatusChanges, absl::string_view()}}) {
        RETURN_IF_ERROR(DeleteTimeRecords(txn, db, ids, *it));
      }
      ASSIGN_OR_RETURN(Account doomed_account,
                       LoadExisting<Account>(txn, kAccounts, account_name));
      for (const std::string& domain : doomed_account.domains()) {
        RETURN_IF_ERROR(txn.Delete(kDomains, domain));
      }
      RETURN_IF_ERROR(txn.Delete(
          kCompanyNames,
          CompanyNameKey(CompanyKey(doomed_account.display_name()),
                         account_name)));
      if (!doomed_account.parent().empty()) {
        RETURN_IF_ERROR(txn.Delete(
            kChildren, ChildKey(AccountIdOf(doomed_account.parent()), *it)));
      }
      RETURN_IF_ERROR(txn.Delete(kAccounts, account_name));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Account> Store::FindAccountByDomain(absl::string_view domain) {
  std::string key = absl::AsciiStrToLower(domain);
  Account out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> name, txn.Get(kDomains, key));
    if (!name) {
      return absl::NotFoundError(absl::StrCat("no account has domain ", key));
    }
    ASSIGN_OR_RETURN(out, LoadExisting<Account>(txn, kAccounts, *name));
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------- Sites

absl::StatusOr<Site> Store::CreateSite(absl::string_view parent, Site site,
                                       absl::string_view site_id,
                                       absl::string_view request_id) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  if (!site_id.empty() && !names::IsValidId(site_id)) {
    return InvalidField("site_id",
                        absl::StrCat("\"", site_id, "\" is not a valid ID"));
  }
  Violations violations;
  CheckRequestId(request_id, &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  Site created;
  RETURN_IF_ERROR(WriteIdempotent(
      "CreateSite", request_id,
      RequestFingerprint(site, absl::StrCat(parent, "\n", site_id)), &created,
      [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(created,
                         CreateSiteIn(txn, parent, site, site_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Site> Store::GetSite(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseChild(name, names::kSites, "name").status());
  Site out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadExisting<Site>(txn, kSitesDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Site>> Store::ListSites(absl::string_view parent, int limit,
                                            absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Site>(*engine_, kSitesDb,
                        absl::StrCat(parent, "/", names::kSites, "/"), limit,
                        start_after);
}

absl::StatusOr<Site> Store::UpdateSite(Site patch, const FieldMask& mask) {
  RETURN_IF_ERROR(
      names::ParseChild(patch.name(), names::kSites, "site.name").status());
  const absl::Time now = clock_();
  Site updated;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateSiteIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Store::DeleteSite(absl::string_view name, absl::string_view etag) {
  ASSIGN_OR_RETURN(names::ChildName parsed,
                   names::ParseChild(name, names::kSites, "name"));
  return Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Site site, LoadExisting<Site>(txn, kSitesDb, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, site.etag()));
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, parsed.account_id));
    ASSIGN_OR_RETURN(std::vector<std::string> tree, Subtree(txn, root));
    ASSIGN_OR_RETURN(std::vector<Stakeholder> people,
                     StakeholdersOf(txn, tree));
    std::vector<std::string> users;
    for (const Stakeholder& s : people) {
      if (std::find(s.sites().begin(), s.sites().end(), name) !=
          s.sites().end()) {
        users.push_back(s.name());
      }
    }
    if (!users.empty()) {
      return PreconditionFailed(
          "SITE_IN_USE", std::string(name),
          absl::StrCat(name, " is a work site of ", absl::StrJoin(users, ", "),
                       "; remove it from their sites first"));
    }
    return txn.Delete(kSitesDb, name);
  });
}

// ------------------------------------------------------------ Stakeholders

absl::StatusOr<Stakeholder> Store::CreateStakeholder(
    absl::string_view parent, Stakeholder stakeholder,
    absl::string_view stakeholder_id, absl::string_view request_id) {
  Violations violations;
  CheckRequestId(request_id, &violations);
  violations.AddFrom(names::ParseAccount(parent, "parent").status());
  CheckStakeholder(&stakeholder, "stakeholder", &violations);
  if (!stakeholder_id.empty() && !names::IsValidId(stakeholder_id)) {
    violations.Add("stakeholder_id",
                   absl::StrCat("\"", stakeholder_id, "\" is not a valid ID"));
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  Stakeholder created;
  RETURN_IF_ERROR(WriteIdempotent(
      "CreateStakeholder", request_id,
      RequestFingerprint(stakeholder,
                         absl::StrCat(parent, "\n", stakeholder_id)),
      &created, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(created, CreateStakeholderIn(txn, parent, stakeholder,
                                                      stakeholder_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Stakeholder> Store::GetStakeholder(absl::string_view name) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kStakeholders, "name").status());
  Stakeholder out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadExisting<Stakeholder>(txn, kStakeholdersDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Stakeholder>> Store::ListStakeholders(
    absl::string_view parent, int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Stakeholder>(
      *engine_, kStakeholdersDb,
      absl::StrCat(parent, "/", names::kStakeholders, "/"), limit, start_after);
}

absl::StatusOr<Stakeholder> Store::UpdateStakeholder(Stakeholder patch,
                                                     const FieldMask& mask) {
  RETURN_IF_ERROR(names::ParseChild(patch.name(), names::kStakeholders,
                                    "stakeholder.name")
                      .status());
  const absl::Time now = clock_();
  Stakeholder updated;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateStakeholderIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Store::DeleteStakeholder(absl::string_view name,
                                      absl::string_view etag) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kStakeholders, "name").status());
  return Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Stakeholder s,
                     LoadExisting<Stakeholder>(txn, kStakeholdersDb, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, s.etag()));
    return RemoveStakeholder(txn, s);
  });
}

absl::StatusOr<Stakeholder> Store::FindStakeholderByEmail(
    absl::string_view email) {
  std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  Stakeholder out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> name, txn.Get(kEmails, key));
    if (!name) {
      return absl::NotFoundError(absl::StrCat("no stakeholder has e-mail ", key));
    }
    ASSIGN_OR_RETURN(out,
                     LoadExisting<Stakeholder>(txn, kStakeholdersDb, *name));
    return absl::OkStatus();
  }));
  return out;
}

// ----------------------------------------------------------- Relationships

absl::StatusOr<Relationship> Store::CreateRelationship(
    absl::string_view parent, Relationship relationship,
    absl::string_view relationship_id, absl::string_view request_id) {
  Violations violations;
  CheckRequestId(request_id, &violations);
  auto account_id = names::ParseAccount(parent, "parent");
  violations.AddFrom(account_id.status());
  CheckRelationship(&relationship, "relationship", &violations);
  if (!relationship_id.empty() && !names::IsValidId(relationship_id)) {
    violations.Add("relationship_id",
                   absl::StrCat("\"", relationship_id, "\" is not a valid ID"));
  }
  if (violations.empty() &&
      AccountIdOf(relationship.source()) != *account_id) {
    violations.Add("relationship.source",
                   absl::StrCat("must be a stakeholder of ", parent,
                                " (a relationship is stored under its "
                                "source's account)"));
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  Relationship created;
  RETURN_IF_ERROR(WriteIdempotent(
      "CreateRelationship", request_id,
      RequestFingerprint(relationship,
                         absl::StrCat(parent, "\n", relationship_id)),
      &created, [&](Txn& txn) -> absl::Status {
        RETURN_IF_ERROR(RequireAccount(txn, std::string(parent)));
        for (auto [field, end] : {std::pair{"source", relationship.source()},
                                  std::pair{"target", relationship.target()}}) {
          ASSIGN_OR_RETURN(std::optional<std::string> found,
                           txn.Get(kStakeholdersDb, end));
          if (!found) {
            return PreconditionFailed(
                "STAKEHOLDER_NOT_FOUND", end,
                absl::StrCat("relationship.", field, ": stakeholder ", end,
                             " does not exist"));
          }
        }
        ASSIGN_OR_RETURN(std::string root, RootOf(txn, *account_id));
        ASSIGN_OR_RETURN(std::string target_root,
                         RootOf(txn, AccountIdOf(relationship.target())));
        if (root != target_root) {
          return PreconditionFailed(
              "CROSS_ACCOUNT_TREE", relationship.target(),
              absl::StrCat("relationship.target: ", relationship.target(),
                           " is in the account tree of ",
                           names::Account(target_root), ", not of ",
                           names::Account(root),
                           "; relationships stay inside one account tree"));
        }
        ASSIGN_OR_RETURN(std::vector<std::string> tree, Subtree(txn, root));
        ASSIGN_OR_RETURN(std::vector<Relationship> existing,
                         RelationshipsOf(txn, tree));
        std::vector<Edge> reports_to;
        for (const Relationship& r : existing) {
          if (r.source() == relationship.source() &&
              r.target() == relationship.target() &&
              r.type() == relationship.type()) {
            return absl::AlreadyExistsError(absl::StrCat(
                "relationship: ", r.name(), " already links ", r.source(),
                " to ", r.target(), " with this type"));
          }
          if (r.type() == v1::RELATIONSHIP_TYPE_REPORTS_TO) {
            reports_to.push_back(Edge{r.source(), r.target()});
          }
        }
        if (relationship.type() == v1::RELATIONSHIP_TYPE_REPORTS_TO) {
          // source -> target closes a cycle iff target already reaches source.
          auto path = ShortestPath(reports_to, relationship.target(),
                                   relationship.source());
          if (path) {
            std::vector<std::string> cycle = {relationship.source()};
            cycle.insert(cycle.end(), path->begin(), path->end());
            return PreconditionFailed(
                "CYCLE", relationship.source(),
                absl::StrCat(
                    "relationship: REPORTS_TO ", relationship.source(), " -> ",
                    relationship.target(),
                    " would create a cycle: ", absl::StrJoin(cycle, " -> ")));
          }
        }
        created = relationship;
        ASSIGN_OR_RETURN(
            std::string id,
            ChooseId(
                txn, kRelationshipsDb, relationship_id,
                absl::StrCat(
                    names::ParseChild(relationship.source(),
                                      names::kStakeholders, "")
                        ->id,
                    "-",
                    v1::RelationshipType_Name(relationship.type()).substr(18),
                    "-",
                    names::ParseChild(relationship.target(),
                                      names::kStakeholders, "")
                        ->id),
                "rel",
                [&](absl::string_view id) {
                  return names::Child(*account_id, names::kRelationships, id);
                },
                "relationship_id"));
        created.set_name(names::Child(*account_id, names::kRelationships, id));
        RETURN_IF_ERROR(Stamp(txn, &created, now, true));
        RETURN_IF_ERROR(
            txn.Put(kEdges, EdgeKey(created.source(), created.name()), ""));
        RETURN_IF_ERROR(
            txn.Put(kEdges, EdgeKey(created.target(), created.name()), ""));
        return Save(txn, kRelationshipsDb, created.name(), created);
      }));
  return created;
}

absl::StatusOr<Relationship> Store::GetRelationship(absl::string_view name) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kRelationships, "name").status());
  Relationship out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out,
                     LoadExisting<Relationship>(txn, kRelationshipsDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Relationship>> Store::ListRelationships(
    absl::string_view parent, int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Relationship>(
      *engine_, kRelationshipsDb,
      absl::StrCat(parent, "/", names::kRelationships, "/"), limit,
      start_after);
}

absl::Status Store::DeleteRelationship(absl::string_view name,
                                       absl::string_view etag) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kRelationships, "name").status());
  return Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Relationship r,
                     LoadExisting<Relationship>(txn, kRelationshipsDb, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, r.etag()));
    return RemoveRelationship(txn, r);
  });
}

// ------------------------------------------------------------ Committee map

absl::StatusOr<CommitteeMap> Store::GetCommitteeMap(absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  CommitteeMap map;
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return ReadCommitteeMap(txn, id, &map, nullptr); }));
  return map;
}

// ------------------------------------------------------------------ Bundles

absl::StatusOr<int> Store::LoadBundle(const v1::ResourceBundle& bundle) {
  int created = 0;
  auto exists = [&](absl::string_view db, const std::string& name)
      -> absl::StatusOr<bool> {
    bool found = false;
    RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<std::string> v, txn.Get(db, name));
      found = v.has_value();
      return absl::OkStatus();
    }));
    return found;
  };
  auto context = [](const absl::Status& s, absl::string_view what, int i) {
    return Annotate(s, absl::StrCat("bundle ", what, "[", i, "]"));
  };
  for (int i = 0; i < bundle.accounts_size(); ++i) {
    const Account& a = bundle.accounts(i);
    ASSIGN_OR_RETURN(std::string id, names::ParseAccount(a.name(), "name"));
    ASSIGN_OR_RETURN(bool found, exists(kAccounts, a.name()));
    if (found) continue;
    auto r = CreateAccount(a, id);
    if (!r.ok()) return context(r.status(), "accounts", i);
    ++created;
  }
  for (int i = 0; i < bundle.sites_size(); ++i) {
    const Site& s = bundle.sites(i);
    ASSIGN_OR_RETURN(names::ChildName n,
                     names::ParseChild(s.name(), names::kSites, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kSitesDb, s.name()));
    if (found) continue;
    auto r = CreateSite(n.account_name(), s, n.id);
    if (!r.ok()) return context(r.status(), "sites", i);
    ++created;
  }
  for (int i = 0; i < bundle.stakeholders_size(); ++i) {
    const Stakeholder& s = bundle.stakeholders(i);
    ASSIGN_OR_RETURN(names::ChildName n,
                     names::ParseChild(s.name(), names::kStakeholders, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kStakeholdersDb, s.name()));
    if (found) continue;
    auto r = CreateStakeholder(n.account_name(), s, n.id);
    if (!r.ok()) return context(r.status(), "stakeholders", i);
    ++created;
  }
  for (int i = 0; i < bundle.relationships_size(); ++i) {
    const Relationship& rel = bundle.relationships(i);
    ASSIGN_OR_RETURN(names::ChildName n,
                     names::ParseChild(rel.name(), names::kRelationships, "name"));
    ASSIGN_OR_RETURN(bool found, exists(kRelationshipsDb, rel.name()));
    if (found) continue;
    auto r = CreateRelationship(n.account_name(), rel, n.id);
    if (!r.ok()) return context(r.status(), "relationships", i);
    ++created;
  }
  if (bundle.signals_size() > 0) {
    v1::RecordSignalsRequest batch;
    for (int i = 0; i < bundle.signals_size(); ++i) {
      const v1::Signal& sig = bundle.signals(i);
      auto parsed = names::ParseChild(sig.name(), "signals",
                                      absl::StrCat("signals[", i, "].name"));
      if (!parsed.ok()) return Annotate(parsed.status(), "bundle");
      auto* r = batch.add_requests();
      r->set_parent(parsed->account_name());
      r->set_signal_id(parsed->id);
      *r->mutable_signal() = sig;
    }
    ASSIGN_OR_RETURN(std::vector<v1::RecordedSignal> recorded,
                     RecordSignals(batch));
    for (const auto& r : recorded) created += r.duplicate() ? 0 : 1;
  }
  return created;
}

}  // namespace quorum::graph
