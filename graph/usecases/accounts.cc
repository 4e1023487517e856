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
  return store_.Write([&](Txn& txn) -> absl::Status {
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
      for (auto [db, what] :
           {std::pair{kSignals, "signals"}, std::pair{kNotes, "notes"},
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
      for (auto [db, ids] :
           {std::pair{kSignals, kSignalIds}, std::pair{kNotes, kNoteIds},
            std::pair{kHandoffs, kHandoffIds},
            std::pair{kStatusChanges, absl::string_view()}}) {
        RETURN_IF_ERROR(DeleteTimeRecords(txn, db, ids, *it));
      }
      ASSIGN_OR_RETURN(Account doomed_account,
                       LoadExisting<Account>(txn, kAccounts, account_name));
      for (const std::string& domain : doomed_account.domains()) {
        RETURN_IF_ERROR(txn.Delete(kDomains, domain));
      }
      RETURN_IF_ERROR(
          txn.Delete(kCompanyNames,
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
  return store_.Write([&](Txn& txn) -> absl::Status {
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
