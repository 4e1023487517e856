// The accounts use case: accounts, sites, stakeholders, relationships and
// committee maps (AccountGraphService).
#include "graph/usecases/accounts.h"

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
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using google::protobuf::FieldMask;
using quorum::v1::Account;
using quorum::v1::CommitteeMap;
using quorum::v1::Relationship;
using quorum::v1::Site;
using quorum::v1::Stakeholder;

// ---------------------------------------------------------------- Accounts

absl::StatusOr<Account> Accounts::CreateAccount(Account account,
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
  const absl::Time now = store_.Now();
  Account created;
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "CreateAccount", request_id, RequestFingerprint(account, account_id),
      &created, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(created,
                         CreateAccountIn(txn, account, account_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Account> Accounts::GetAccount(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseAccount(name, "name").status());
  Account out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadExisting<Account>(txn, kAccounts, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Account>> Accounts::ListAccounts(
    int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  return ScanPage<Account>(store_.engine(), kAccounts, "accounts/", limit,
                           start_after);
}

absl::StatusOr<Account> Accounts::UpdateAccount(Account patch,
                                                const FieldMask& mask) {
  RETURN_IF_ERROR(names::ParseAccount(patch.name(), "account.name").status());
  const absl::Time now = store_.Now();
  Account updated;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateAccountIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Accounts::DeleteAccount(absl::string_view name,
                                     absl::string_view etag, bool force) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  const absl::Time now = store_.Now();
  return store_.Write([&](Txn& txn) {
    return DeleteAccountIn(txn, name, id, etag, force, now);
  });
}

absl::StatusOr<Account> Accounts::FindAccountByDomain(
    absl::string_view domain) {
  std::string key = absl::AsciiStrToLower(domain);
  Account out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
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

absl::StatusOr<Site> Accounts::CreateSite(absl::string_view parent, Site site,
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
  const absl::Time now = store_.Now();
  Site created;
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "CreateSite", request_id,
      RequestFingerprint(site, absl::StrCat(parent, "\n", site_id)), &created,
      [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(created,
                         CreateSiteIn(txn, parent, site, site_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Site> Accounts::GetSite(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseChild(name, names::kSites, "name").status());
  Site out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadExisting<Site>(txn, kSitesDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Site>> Accounts::ListSites(absl::string_view parent,
                                               int limit,
                                               absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Site>(store_.engine(), kSitesDb,
                        absl::StrCat(parent, "/", names::kSites, "/"), limit,
                        start_after);
}

absl::StatusOr<Site> Accounts::UpdateSite(Site patch, const FieldMask& mask) {
  RETURN_IF_ERROR(
      names::ParseChild(patch.name(), names::kSites, "site.name").status());
  const absl::Time now = store_.Now();
  Site updated;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateSiteIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Accounts::DeleteSite(absl::string_view name,
                                  absl::string_view etag) {
  ASSIGN_OR_RETURN(names::ChildName parsed,
                   names::ParseChild(name, names::kSites, "name"));
  return store_.Write([&](Txn& txn) {
    return DeleteSiteIn(txn, name, parsed.account_id, etag);
  });
}

// ------------------------------------------------------------ Stakeholders

absl::StatusOr<Stakeholder> Accounts::CreateStakeholder(
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
  const absl::Time now = store_.Now();
  Stakeholder created;
  RETURN_IF_ERROR(store_.WriteIdempotent(
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

absl::StatusOr<Stakeholder> Accounts::GetStakeholder(absl::string_view name) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kStakeholders, "name").status());
  Stakeholder out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out,
                     LoadExisting<Stakeholder>(txn, kStakeholdersDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Stakeholder>> Accounts::ListStakeholders(
    absl::string_view parent, int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Stakeholder>(
      store_.engine(), kStakeholdersDb,
      absl::StrCat(parent, "/", names::kStakeholders, "/"), limit, start_after);
}

absl::StatusOr<Stakeholder> Accounts::UpdateStakeholder(Stakeholder patch,
                                                        const FieldMask& mask) {
  RETURN_IF_ERROR(
      names::ParseChild(patch.name(), names::kStakeholders, "stakeholder.name")
          .status());
  const absl::Time now = store_.Now();
  Stakeholder updated;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(updated, UpdateStakeholderIn(txn, patch, mask, now));
    return absl::OkStatus();
  }));
  return updated;
}

absl::Status Accounts::DeleteStakeholder(absl::string_view name,
                                         absl::string_view etag) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kStakeholders, "name").status());
  return store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Stakeholder s,
                     LoadExisting<Stakeholder>(txn, kStakeholdersDb, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, s.etag()));
    return RemoveStakeholder(txn, s);
  });
}

absl::StatusOr<v1::MoveStakeholderResponse> Accounts::MoveStakeholder(
    const v1::MoveStakeholderRequest& request) {
  Violations violations;
  CheckRequestId(request.request_id(), &violations);
  violations.AddFrom(
      names::ParseChild(request.name(), names::kStakeholders, "name").status());
  auto destination = names::ParseAccount(request.destination(), "destination");
  violations.AddFrom(destination.status());
  for (int i = 0; i < request.sites_size(); ++i) {
    violations.AddFrom(names::ParseChild(request.sites(i), names::kSites,
                                         absl::StrCat("sites[", i, "]"))
                           .status());
  }
  if (!request.stakeholder_id().empty() &&
      !names::IsValidId(request.stakeholder_id())) {
    violations.Add(
        "stakeholder_id",
        absl::StrCat("\"", request.stakeholder_id(), "\" is not a valid ID"));
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = store_.Now();
  v1::MoveStakeholderResponse out;
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "MoveStakeholder", request.request_id(), RequestFingerprint(request),
      &out, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(
            Stakeholder person,
            LoadExisting<Stakeholder>(txn, kStakeholdersDb, request.name()));
        RETURN_IF_ERROR(
            CheckEtag(request.name(), request.etag(), person.etag()));
        ASSIGN_OR_RETURN(
            StakeholderMove move,
            MoveStakeholderIn(txn, person, *destination,
                              {request.sites().begin(), request.sites().end()},
                              request.stakeholder_id(), now));
        *out.mutable_stakeholder() = move.stakeholder;
        for (Relationship& r : move.relationships) {
          *out.add_relationships() = std::move(r);
        }
        for (Relationship& r : move.removed_relationships) {
          *out.add_removed_relationships() = std::move(r);
        }
        for (std::string& n : move.signals) out.add_signals(std::move(n));
        for (std::string& n : move.notes) out.add_notes(std::move(n));
        // The move in the history of the account left and the one joined.
        const std::string from = names::Account(AccountIdOf(person.name()));
        const std::string to = names::Account(*destination);
        std::string text = absl::StrCat(
            person.display_name().empty() ? person.name()
                                          : person.display_name(),
            " moved from ", person.name(), " to ", move.stakeholder.name());
        if (!std::equal(person.sites().begin(), person.sites().end(),
                        move.stakeholder.sites().begin(),
                        move.stakeholder.sites().end())) {
          absl::StrAppend(&text, "; sites now: ",
                          move.stakeholder.sites().empty()
                              ? "none"
                              : absl::StrJoin(move.stakeholder.sites(), ", "));
        }
        absl::StrAppend(&text, "; ", move.signals.size(), " signal(s) and ",
                        move.notes.size(), " note(s) follow");
        for (const Relationship& r : out.removed_relationships()) {
          absl::StrAppend(&text, "; relationship ", r.name(),
                          " removed (it would cross account trees)");
        }
        std::vector<std::string> accounts = {from};
        if (to != from) accounts.push_back(to);
        ASSIGN_OR_RETURN(std::string from_root, RootOf(txn, AccountIdOf(from)));
        ASSIGN_OR_RETURN(std::string to_root, RootOf(txn, *destination));
        for (const std::string& account : accounts) {
          v1::Note note;
          note.set_kind(v1::NOTE_KIND_STAKEHOLDER_MOVE);
          note.set_author("quorum");
          note.set_learned(text);
          // A note names only a stakeholder of its own tree.
          if (account == to || from_root == to_root) {
            note.set_stakeholder(move.stakeholder.name());
          }
          ASSIGN_OR_RETURN(
              *out.add_history_notes(),
              CreateNoteIn(txn, account, std::move(note), "", ToProto(now)));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<Stakeholder> Accounts::FindStakeholderByEmail(
    absl::string_view email) {
  std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  Stakeholder out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> name, txn.Get(kEmails, key));
    if (!name) {
      return absl::NotFoundError(
          absl::StrCat("no stakeholder has e-mail ", key));
    }
    ASSIGN_OR_RETURN(out,
                     LoadExisting<Stakeholder>(txn, kStakeholdersDb, *name));
    return absl::OkStatus();
  }));
  return out;
}

// ----------------------------------------------------------- Relationships

absl::StatusOr<Relationship> Accounts::CreateRelationship(
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
  if (violations.empty() && AccountIdOf(relationship.source()) != *account_id) {
    violations.Add("relationship.source",
                   absl::StrCat("must be a stakeholder of ", parent,
                                " (a relationship is stored under its "
                                "source's account)"));
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = store_.Now();
  Relationship created;
  RETURN_IF_ERROR(store_.WriteIdempotent(
      "CreateRelationship", request_id,
      RequestFingerprint(relationship,
                         absl::StrCat(parent, "\n", relationship_id)),
      &created, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(
            created, CreateRelationshipIn(txn, parent, *account_id,
                                          relationship, relationship_id, now));
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<Relationship> Accounts::GetRelationship(absl::string_view name) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kRelationships, "name").status());
  Relationship out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out,
                     LoadExisting<Relationship>(txn, kRelationshipsDb, name));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<Relationship>> Accounts::ListRelationships(
    absl::string_view parent, int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(names::ParseAccount(parent, "parent").status());
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Relationship>(
      store_.engine(), kRelationshipsDb,
      absl::StrCat(parent, "/", names::kRelationships, "/"), limit,
      start_after);
}

absl::Status Accounts::DeleteRelationship(absl::string_view name,
                                          absl::string_view etag) {
  RETURN_IF_ERROR(
      names::ParseChild(name, names::kRelationships, "name").status());
  return store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(Relationship r,
                     LoadExisting<Relationship>(txn, kRelationshipsDb, name));
    RETURN_IF_ERROR(CheckEtag(name, etag, r.etag()));
    return RemoveRelationship(txn, r);
  });
}

// ------------------------------------------------------------ Committee map

absl::StatusOr<CommitteeMap> Accounts::GetCommitteeMap(absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  CommitteeMap map;
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return ReadCommitteeMap(txn, id, &map, nullptr); }));
  return map;
}

}  // namespace quorum::graph
