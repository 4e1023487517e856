// Repositories: the records of the account graph, their indexes and the
// graph's constraints, inside one transaction (graph/store/records.h).
#include "graph/store/records.h"

#include <algorithm>
#include <cstdint>
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
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/field_mask.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/model/validation.h"
#include "graph/rules/algorithms.h"
#include "graph/rules/policy.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "graph/storage/records.pb.h"

namespace quorum::graph {

using google::protobuf::FieldMask;
using quorum::v1::Account;
using quorum::v1::CommitteeMap;
using quorum::v1::Note;
using quorum::v1::Relationship;
using quorum::v1::Signal;
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
    ASSIGN_OR_RETURN(
        Account account,
        LoadExisting<Account>(txn, kAccounts, names::Account(account_id)));
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
absl::StatusOr<std::vector<std::string>> Subtree(
    Txn& txn, const std::string& account_id) {
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

namespace internal {

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
  return absl::AbortedError(absl::StrCat(name, " was changed since etag ",
                                         given, " (now ", current,
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
        ScanAll<Stakeholder>(
            txn, kStakeholdersDb,
            absl::StrCat(names::Account(id), "/", names::kStakeholders, "/")));
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
        ScanAll<Relationship>(
            txn, kRelationshipsDb,
            absl::StrCat(names::Account(id), "/", names::kRelationships, "/")));
    for (auto& r : some) out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> EdgesOf(
    Txn& txn, absl::string_view stakeholder) {
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
  // Their signals and notes stay with the account, naming nobody: a later
  // person under the same name inherits none of them.
  ASSIGN_OR_RETURN(std::vector<StakeholderRef> refs,
                   StakeholderRefsOf(txn, s.name()));
  for (const StakeholderRef& ref : refs) {
    RETURN_IF_ERROR(RenameInRecord(txn, ref, s.name(), ""));
  }
  if (!s.email().empty()) RETURN_IF_ERROR(txn.Delete(kEmails, s.email()));
  return txn.Delete(kStakeholdersDb, s.name());
}

absl::Status IndexStakeholderRef(Txn& txn, absl::string_view db,
                                 absl::string_view key,
                                 absl::string_view stakeholder) {
  if (stakeholder.empty()) return absl::OkStatus();
  return txn.Put(kStakeholderRefs, StakeholderRefKey(stakeholder, db, key), "");
}

absl::StatusOr<std::vector<StakeholderRef>> StakeholderRefsOf(
    Txn& txn, absl::string_view stakeholder) {
  std::vector<StakeholderRef> out;
  const std::string prefix = StakeholderRefPrefix(stakeholder);
  RETURN_IF_ERROR(txn.Scan(kStakeholderRefs, prefix, "",
                           [&](absl::string_view key, absl::string_view) {
                             absl::string_view rest = key.substr(prefix.size());
                             const size_t split = rest.find('|');
                             if (split == absl::string_view::npos)
                               return true;  // Not ours.
                             out.push_back(
                                 {std::string(rest.substr(0, split)),
                                  std::string(rest.substr(split + 1))});
                             return true;
                           }));
  return out;
}

namespace {

// Sets a signal's or note's stakeholder from `from` to `to` (empty: nobody)
// at the same key. A signal is deleted and written again: the delete tells
// the tree's snapshot that its history changed (graph/store/tree_changes.h).
template <typename Record>
absl::Status Restakeholder(Txn& txn, absl::string_view db,
                           absl::string_view key, absl::string_view from,
                           absl::string_view to) {
  ASSIGN_OR_RETURN(std::optional<Record> record, Load<Record>(txn, db, key));
  RETURN_IF_ERROR(
      txn.Delete(kStakeholderRefs, StakeholderRefKey(from, db, key)));
  if (!record || record->stakeholder() != from) return absl::OkStatus();
  record->set_stakeholder(std::string(to));
  RETURN_IF_ERROR(txn.Delete(db, key));
  RETURN_IF_ERROR(Save(txn, db, key, *record));
  return IndexStakeholderRef(txn, db, key, to);
}

}  // namespace

absl::Status RenameInRecord(Txn& txn, const StakeholderRef& ref,
                            absl::string_view from, absl::string_view to) {
  if (ref.db == kSignals) {
    return Restakeholder<Signal>(txn, kSignals, ref.key, from, to);
  }
  if (ref.db == kNotes) {
    return Restakeholder<Note>(txn, kNotes, ref.key, from, to);
  }
  return absl::DataLossError(absl::StrCat("stakeholder reference of ", from,
                                          " into unknown database ", ref.db));
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
          absl::StrCat(prefix, prefix.empty() ? "" : ".", "sites[", i,
                       "]: site ", s.sites(i), " does not exist"));
    }
    ASSIGN_OR_RETURN(std::string site_root,
                     RootOf(txn, AccountIdOf(s.sites(i))));
    if (site_root != root) {
      return PreconditionFailed(
          "SITE_OUTSIDE_ACCOUNT_TREE", s.sites(i),
          absl::StrCat(prefix, prefix.empty() ? "" : ".", "sites[", i,
                       "]: site ", s.sites(i),
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
    return PreconditionFailed("PARENT_NOT_FOUND", parent_name,
                              absl::StrCat("account.parent: parent account ",
                                           parent_name, " does not exist"));
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
    if (std::find(account.domains().begin(), account.domains().end(), domain) ==
        account.domains().end()) {
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
      return absl::AlreadyExistsError(absl::StrCat(
          "stakeholder.email: ", s.email(), " already belongs to ", *owner));
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
  struct Doomed {
    std::string key, name, stakeholder;
  };
  std::vector<Doomed> records;
  RETURN_IF_ERROR(txn.Scan(
      db, TimePrefix(account_id), "",
      [&](absl::string_view key, absl::string_view value) {
        Doomed d{std::string(key), "", ""};
        if (db == kSignals) {
          Signal signal;
          signal.ParseFromArray(value.data(), static_cast<int>(value.size()));
          d.name = signal.name();
          d.stakeholder = signal.stakeholder();
        } else if (db == kNotes) {
          Note note;
          note.ParseFromArray(value.data(), static_cast<int>(value.size()));
          d.name = note.name();
          d.stakeholder = note.stakeholder();
        } else {
          // Only field 1, the name, from the wire alone: handoffs and status
          // changes read as another type would log invalid UTF-8.
          google::protobuf::UnknownFieldSet fields;
          fields.ParseFromArray(value.data(), static_cast<int>(value.size()));
          for (int i = 0; i < fields.field_count(); ++i) {
            const google::protobuf::UnknownField& f = fields.field(i);
            if (f.number() == 1 &&
                f.type() ==
                    google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
              d.name = f.length_delimited();
            }
          }
        }
        records.push_back(std::move(d));
        return true;
      }));
  for (const Doomed& d : records) {
    RETURN_IF_ERROR(txn.Delete(db, d.key));
    if (!ids.empty()) RETURN_IF_ERROR(txn.Delete(ids, d.name));
    if (!d.stakeholder.empty()) {
      RETURN_IF_ERROR(txn.Delete(kStakeholderRefs,
                                 StakeholderRefKey(d.stakeholder, db, d.key)));
    }
  }
  return absl::OkStatus();
}

// Fills output-only fields of a created resource.

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
  return ChooseId(
      txn, kAccounts, "", text, "account",
      [](absl::string_view id) { return names::Account(id); }, "account_id");
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
      ChooseId(
          txn, kAccounts, account_id, account.display_name(), "account",
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
  RETURN_IF_ERROR(IndexDomains(txn, updated,
                               std::set<std::string>(current.domains().begin(),
                                                     current.domains().end())));
  RETURN_IF_ERROR(IndexCompanyName(txn, updated, current.display_name()));
  RETURN_IF_ERROR(Stamp(txn, &updated, now, false));
  RETURN_IF_ERROR(Save(txn, kAccounts, updated.name(), updated));
  return updated;
}

absl::StatusOr<Site> CreateSiteIn(Txn& txn, absl::string_view parent, Site site,
                                  absl::string_view site_id, absl::Time now) {
  const std::string account_id = AccountIdOf(parent);
  ASSIGN_OR_RETURN(Account account,
                   LoadExisting<Account>(txn, kAccounts, parent));
  Violations violations;
  CheckSite(&site, account.country_code(), "site", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  ASSIGN_OR_RETURN(std::string id,
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
  ASSIGN_OR_RETURN(Account account,
                   LoadExisting<Account>(txn, kAccounts, name.account_name()));
  Site updated = current;
  RETURN_IF_ERROR(ApplyFieldMask(patch, mask, kChildOutputOnly, &updated));
  Violations violations;
  CheckSite(&updated, account.country_code(), "site", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  RETURN_IF_ERROR(Stamp(txn, &updated, now, false));
  RETURN_IF_ERROR(Save(txn, kSitesDb, updated.name(), updated));
  return updated;
}

absl::StatusOr<Stakeholder> CreateStakeholderIn(
    Txn& txn, absl::string_view parent, Stakeholder stakeholder,
    absl::string_view stakeholder_id, absl::Time now) {
  const std::string account_id = AccountIdOf(parent);
  RETURN_IF_ERROR(RequireAccount(txn, std::string(parent)));
  ASSIGN_OR_RETURN(std::string id,
                   ChooseId(
                       txn, kStakeholdersDb, stakeholder_id,
                       PersonNameForId(stakeholder.display_name()), "person",
                       [&](absl::string_view id) {
                         return names::Child(account_id, names::kStakeholders,
                                             id);
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
  ASSIGN_OR_RETURN(
      Stakeholder current,
      LoadExisting<Stakeholder>(txn, kStakeholdersDb, patch.name()));
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
  ASSIGN_OR_RETURN(
      *map->mutable_account(),
      LoadExisting<Account>(txn, kAccounts, names::Account(account_id)));
  ASSIGN_OR_RETURN(std::vector<std::string> subtree, Subtree(txn, account_id));
  std::set<std::string> inside(subtree.begin(), subtree.end());
  for (size_t i = 1; i < subtree.size(); ++i) {
    ASSIGN_OR_RETURN(
        *map->add_descendants(),
        LoadExisting<Account>(txn, kAccounts, names::Account(subtree[i])));
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
  // Each holder once, from whichever sources (INFERRED, CRM) they hold it.
  auto confirmed = [](const Stakeholder& s, int role) {
    for (const auto& r : s.roles()) {
      if (r.role() == role && r.source() == v1::ROLE_SOURCE_CONFIRMED) {
        return true;
      }
    }
    return false;
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const Stakeholder& s : map->stakeholders()) {
      std::set<int> seen;
      for (const auto& role : s.roles()) {
        if (!seen.insert(role.role()).second) continue;
        const bool is_confirmed = confirmed(s, role.role());
        if (is_confirmed != (pass == 0)) continue;
        v1::RoleHolders& holders = roles[role.role()];
        holders.set_role(role.role());
        holders.add_stakeholders(s.name());
        if (is_confirmed) holders.add_confirmed_stakeholders(s.name());
      }
    }
  }
  for (auto& [role, holders] : roles) *map->add_roles() = std::move(holders);
  if (subtree_out != nullptr) *subtree_out = std::move(subtree);
  return absl::OkStatus();
}

}  // namespace internal

using google::protobuf::util::TimeUtil;
using v1::PolicyRevision;

namespace internal {

constexpr size_t kMaxText = 500;

// Field checks of one request; `at` is "requests[i]".
void CheckSignalRequest(const v1::CreateSignalRequest& r, const std::string& at,
                        Violations* v) {
  v->AddFrom(names::ParseAccount(r.parent(), at + ".parent").status());
  if (!r.signal_id().empty() && !names::IsValidId(r.signal_id())) {
    v->Add(at + ".signal_id",
           absl::StrCat("\"", r.signal_id(), "\" is not a valid ID"));
  }
  const Signal& s = r.signal();
  if (!v1::SignalType_IsValid(s.type())) {
    v->Add(at + ".signal.type", absl::StrCat("unknown enum value ", s.type()));
  } else if (s.type() == v1::SIGNAL_TYPE_UNSPECIFIED) {
    v->Add(at + ".signal.type", "is required");
  }
  if (!v1::SignalTopic_IsValid(s.topic())) {
    v->Add(at + ".signal.topic",
           absl::StrCat("unknown enum value ", s.topic()));
  }
  if (!v1::SourceChannel_IsValid(s.source())) {
    v->Add(at + ".signal.source",
           absl::StrCat("unknown enum value ", s.source()));
  }
  if (!s.has_occur_time()) {
    v->Add(at + ".signal.occur_time", "is required");
  } else if (!IsStorableTime(s.occur_time())) {
    v->Add(at + ".signal.occur_time",
           "must be a valid time between 1970 and 2262");
  }
  if (!s.stakeholder().empty()) {
    v->AddFrom(names::ParseChild(s.stakeholder(), names::kStakeholders,
                                 at + ".signal.stakeholder")
                   .status());
  }
  if (s.campaign().size() > kMaxText) {
    v->Add(at + ".signal.campaign", "is too long");
  }
  if (s.description().size() > kMaxText) {
    v->Add(at + ".signal.description", "is too long");
  }
}

absl::StatusOr<v1::RecordedSignal> RecordSignalIn(
    Txn& txn, const v1::CreateSignalRequest& r, const std::string& at,
    const google::protobuf::Timestamp& now) {
  const std::string account_id = AccountIdOf(r.parent());
  v1::RecordedSignal result;
  if (!r.signal_id().empty()) {
    const std::string name = names::Child(account_id, "signals", r.signal_id());
    ASSIGN_OR_RETURN(std::optional<std::string> key, txn.Get(kSignalIds, name));
    if (key) {
      ASSIGN_OR_RETURN(*result.mutable_signal(),
                       LoadExisting<Signal>(txn, kSignals, *key));
      result.set_duplicate(true);
      return result;
    }
  }
  absl::Status exists = RequireAccount(txn, r.parent());
  if (!exists.ok()) return Annotate(exists, at + ".parent");
  Signal signal = r.signal();
  if (!signal.stakeholder().empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> person,
                     txn.Get(kStakeholdersDb, signal.stakeholder()));
    if (!person) {
      return PreconditionFailed(
          "STAKEHOLDER_NOT_FOUND", signal.stakeholder(),
          absl::StrCat(at, ".signal.stakeholder: ", signal.stakeholder(),
                       " does not exist"));
    }
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
    ASSIGN_OR_RETURN(std::string person_root,
                     RootOf(txn, AccountIdOf(signal.stakeholder())));
    if (root != person_root) {
      return PreconditionFailed(
          "CROSS_ACCOUNT_TREE", signal.stakeholder(),
          absl::StrCat(at, ".signal.stakeholder: ", signal.stakeholder(),
                       " is not in the account tree of ", r.parent()));
    }
  }
  std::string id = r.signal_id();
  while (id.empty()) {
    // A client may have chosen an ID of this form: skip taken ones.
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
    const std::string candidate = absl::StrCat("s-", absl::Hex(seq));
    ASSIGN_OR_RETURN(
        std::optional<std::string> taken,
        txn.Get(kSignalIds, names::Child(account_id, "signals", candidate)));
    if (!taken) id = candidate;
  }
  if (signal.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED) {
    signal.set_topic(v1::SIGNAL_TOPIC_GENERAL);
  }
  signal.set_name(names::Child(account_id, "signals", id));
  *signal.mutable_create_time() = now;
  const std::string key = TimeKey(account_id, signal.occur_time(), id);
  RETURN_IF_ERROR(Save(txn, kSignals, key, signal));
  RETURN_IF_ERROR(txn.Put(kSignalIds, signal.name(), key));
  RETURN_IF_ERROR(
      IndexStakeholderRef(txn, kSignals, key, signal.stakeholder()));
  *result.mutable_signal() = std::move(signal);
  return result;
}

absl::Status ReadAccountTree(Txn& txn, const std::string& account_id,
                             AccountTree* tree) {
  std::vector<std::string> subtree;
  RETURN_IF_ERROR(ReadCommitteeMap(txn, account_id, &tree->map, &subtree));
  for (const std::string& id : subtree) {
    ASSIGN_OR_RETURN(std::vector<Signal> signals,
                     ScanAll<Signal>(txn, kSignals, TimePrefix(id)));
    for (Signal& s : signals) tree->signals.push_back(std::move(s));
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace internal {

constexpr size_t kMaxNoteText = 4000;

void CheckNote(Note* note, const std::string& at, Violations* v) {
  absl::StripAsciiWhitespace(note->mutable_learned());
  absl::StripAsciiWhitespace(note->mutable_next_step());
  absl::StripAsciiWhitespace(note->mutable_author());
  if (note->learned().empty()) {
    v->Add(at + ".learned", "is required: what was learned");
  } else if (note->learned().size() > kMaxNoteText) {
    v->Add(at + ".learned", "is too long");
  }
  if (note->next_step().size() > kMaxNoteText) {
    v->Add(at + ".next_step", "is too long");
  }
  if (note->author().empty()) v->Add(at + ".author", "is required");
  CheckLength(note->author(), kMaxTextLength, at + ".author", v);
  if (!v1::NoteKind_IsValid(note->kind())) {
    v->Add(at + ".kind", absl::StrCat("unknown enum value ", note->kind()));
  }
  if (!note->stakeholder().empty()) {
    v->AddFrom(names::ParseChild(note->stakeholder(), names::kStakeholders,
                                 at + ".stakeholder")
                   .status());
  }
  if (note->has_occur_time() && !IsStorableTime(note->occur_time())) {
    v->Add(at + ".occur_time", "must be a valid time between 1970 and 2262");
  }
}

absl::StatusOr<Note> CreateNoteIn(Txn& txn, absl::string_view parent, Note note,
                                  absl::string_view note_id,
                                  const google::protobuf::Timestamp& now) {
  const std::string account_id = AccountIdOf(parent);
  if (!note_id.empty()) {
    ASSIGN_OR_RETURN(
        std::optional<std::string> key,
        txn.Get(kNoteIds, names::Child(account_id, "notes", note_id)));
    if (key) return LoadExisting<Note>(txn, kNotes, *key);
  }
  RETURN_IF_ERROR(RequireAccount(txn, std::string(parent)));
  if (!note.stakeholder().empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> person,
                     txn.Get(kStakeholdersDb, note.stakeholder()));
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
    std::string person_root;
    if (person) {
      ASSIGN_OR_RETURN(person_root,
                       RootOf(txn, AccountIdOf(note.stakeholder())));
    }
    if (!person || person_root != root) {
      return PreconditionFailed(
          "STAKEHOLDER_NOT_IN_ACCOUNT_TREE", note.stakeholder(),
          absl::StrCat("note.stakeholder: ", note.stakeholder(),
                       " is not a stakeholder in the tree of ", parent));
    }
  }
  std::string id(note_id);
  while (id.empty()) {
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
    std::string candidate = absl::StrCat("n-", absl::Hex(seq));
    ASSIGN_OR_RETURN(
        std::optional<std::string> taken,
        txn.Get(kNoteIds, names::Child(account_id, "notes", candidate)));
    if (!taken) id = candidate;
  }
  if (note.kind() == v1::NOTE_KIND_UNSPECIFIED)
    note.set_kind(v1::NOTE_KIND_OTHER);
  note.set_name(names::Child(account_id, "notes", id));
  *note.mutable_create_time() = now;
  if (!note.has_occur_time()) *note.mutable_occur_time() = now;
  const std::string key = TimeKey(account_id, note.occur_time(), id);
  RETURN_IF_ERROR(Save(txn, kNotes, key, note));
  RETURN_IF_ERROR(txn.Put(kNoteIds, note.name(), key));
  RETURN_IF_ERROR(IndexStakeholderRef(txn, kNotes, key, note.stakeholder()));
  return note;
}

}  // namespace internal

namespace internal {

// The newest revision, or nullopt when none was published.
absl::StatusOr<std::optional<PolicyRevision>> Latest(Txn& txn) {
  std::optional<PolicyRevision> latest;
  absl::Status parse = absl::OkStatus();
  RETURN_IF_ERROR(txn.Scan(
      kPolicies, "", "", [&](absl::string_view, absl::string_view value) {
        PolicyRevision r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("corrupt policy");
        } else {
          latest = std::move(r);
        }
        return false;
      }));
  RETURN_IF_ERROR(parse);
  return latest;
}

absl::StatusOr<PolicyRevision> ActivePolicy(Txn& txn) {
  ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
  if (!latest) return absl::NotFoundError("no policy has been published");
  latest->set_active(true);
  return *std::move(latest);
}

}  // namespace internal

namespace internal {

absl::Status DeleteAccountIn(Txn& txn, absl::string_view name,
                             const std::string& id, absl::string_view etag,
                             bool force, absl::Time now) {
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
      RETURN_IF_ERROR(txn.Scan(db, absl::StrCat(name, "/", collection, "/"), "",
                               [&](absl::string_view, absl::string_view) {
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
  // What metrics and simulation learn from stays, as it is before anything
  // of the subtree goes.
  for (const std::string& doomed_id : subtree) {
    RETURN_IF_ERROR(ArchiveAccountIn(txn, doomed_id, now));
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
    RETURN_IF_ERROR(txn.Delete(
        kCompanyNames, CompanyNameKey(CompanyKey(doomed_account.display_name()),
                                      account_name)));
    if (!doomed_account.parent().empty()) {
      RETURN_IF_ERROR(txn.Delete(
          kChildren, ChildKey(AccountIdOf(doomed_account.parent()), *it)));
    }
    RETURN_IF_ERROR(txn.Delete(kAccounts, account_name));
  }
  return absl::OkStatus();
}

absl::Status ArchiveAccountIn(Txn& txn, const std::string& account_id,
                              absl::Time now) {
  const std::string name = names::Account(account_id);
  graph::storage::ArchivedAccount archived;
  ASSIGN_OR_RETURN(
      std::vector<v1::StatusChange> changes,
      ScanAll<v1::StatusChange>(txn, kStatusChanges, TimePrefix(account_id)));
  ASSIGN_OR_RETURN(
      std::vector<v1::Handoff> handoffs,
      ScanAll<v1::Handoff>(txn, kHandoffs, TimePrefix(account_id)));
  if (changes.empty() && handoffs.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(*archived.mutable_account(),
                   LoadExisting<Account>(txn, kAccounts, name));
  *archived.mutable_delete_time() = ToProto(now);
  for (v1::StatusChange& c : changes) {
    *archived.add_status_changes() = std::move(c);
  }
  for (v1::Handoff& h : handoffs) {
    *h.mutable_delete_time() = archived.delete_time();
    *archived.add_handoffs() = std::move(h);
  }
  if (archived.handoffs_size() > 0) {
    AccountTree tree;
    RETURN_IF_ERROR(ReadAccountTree(txn, account_id, &tree));
    *archived.mutable_committee_map() = std::move(tree.map);
    for (v1::Signal& signal : tree.signals) {
      *archived.add_signals() = std::move(signal);
    }
  }
  ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
  archived.set_archive_id(absl::StrCat("d-", absl::Hex(seq)));
  return Save(
      txn, kArchivedAccounts,
      TimeKey(account_id, archived.delete_time(), archived.archive_id()),
      archived);
}

absl::StatusOr<std::vector<graph::storage::ArchivedAccount>> ArchivedAccountsOf(
    Txn& txn, absl::string_view account_id) {
  return ScanAll<graph::storage::ArchivedAccount>(
      txn, kArchivedAccounts,
      account_id.empty() ? std::string() : TimePrefix(account_id));
}

absl::Status DeleteSiteIn(Txn& txn, absl::string_view name,
                          const std::string& account_id,
                          absl::string_view etag) {
  ASSIGN_OR_RETURN(Site site, LoadExisting<Site>(txn, kSitesDb, name));
  RETURN_IF_ERROR(CheckEtag(name, etag, site.etag()));
  ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
  ASSIGN_OR_RETURN(std::vector<std::string> tree, Subtree(txn, root));
  ASSIGN_OR_RETURN(std::vector<Stakeholder> people, StakeholdersOf(txn, tree));
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
}

absl::StatusOr<v1::Relationship> CreateRelationshipIn(
    Txn& txn, absl::string_view parent, const std::string& account_id,
    const v1::Relationship& relationship, absl::string_view relationship_id,
    absl::Time now) {
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
  ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
  ASSIGN_OR_RETURN(std::string target_root,
                   RootOf(txn, AccountIdOf(relationship.target())));
  if (root != target_root) {
    return PreconditionFailed(
        "CROSS_ACCOUNT_TREE", relationship.target(),
        absl::StrCat("relationship.target: ", relationship.target(),
                     " is in the account tree of ", names::Account(target_root),
                     ", not of ", names::Account(root),
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
      return absl::AlreadyExistsError(
          absl::StrCat("relationship: ", r.name(), " already links ",
                       r.source(), " to ", r.target(), " with this type"));
    }
    if (r.type() == v1::RELATIONSHIP_TYPE_REPORTS_TO) {
      reports_to.push_back(Edge{r.source(), r.target()});
    }
  }
  if (relationship.type() == v1::RELATIONSHIP_TYPE_REPORTS_TO) {
    // source -> target closes a cycle iff target already reaches source.
    auto path =
        ShortestPath(reports_to, relationship.target(), relationship.source());
    if (path) {
      std::vector<std::string> cycle = {relationship.source()};
      cycle.insert(cycle.end(), path->begin(), path->end());
      return PreconditionFailed(
          "CYCLE", relationship.source(),
          absl::StrCat("relationship: REPORTS_TO ", relationship.source(),
                       " -> ", relationship.target(), " would create a cycle: ",
                       absl::StrJoin(cycle, " -> ")));
    }
  }
  Relationship created = relationship;
  ASSIGN_OR_RETURN(
      std::string id,
      ChooseId(
          txn, kRelationshipsDb, relationship_id,
          absl::StrCat(
              names::ParseChild(relationship.source(), names::kStakeholders, "")
                  ->id,
              "-", v1::RelationshipType_Name(relationship.type()).substr(18),
              "-",
              names::ParseChild(relationship.target(), names::kStakeholders, "")
                  ->id),
          "rel",
          [&](absl::string_view id) {
            return names::Child(account_id, names::kRelationships, id);
          },
          "relationship_id"));
  created.set_name(names::Child(account_id, names::kRelationships, id));
  RETURN_IF_ERROR(Stamp(txn, &created, now, true));
  RETURN_IF_ERROR(
      txn.Put(kEdges, EdgeKey(created.source(), created.name()), ""));
  RETURN_IF_ERROR(
      txn.Put(kEdges, EdgeKey(created.target(), created.name()), ""));
  RETURN_IF_ERROR(Save(txn, kRelationshipsDb, created.name(), created));
  return created;
}

namespace {

// An ID for a record of `collection` under `account_id` that is free in
// `ids`: `id` when free, else "{prefix}{hex sequence}".
absl::StatusOr<std::string> FreeRecordId(Txn& txn, absl::string_view ids,
                                         const std::string& account_id,
                                         absl::string_view collection,
                                         std::string id,
                                         absl::string_view prefix) {
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<std::string> taken,
                     txn.Get(ids, names::Child(account_id, collection, id)));
    if (!taken) return id;
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
    id = absl::StrCat(prefix, absl::Hex(seq));
  }
}

// Moves the signal or note at `key` of `db` (with its ID index `ids`) into
// `account_id`, keeping its ID where free, naming `stakeholder`; returns
// its new name.
template <typename Record>
absl::StatusOr<std::string> MoveRecordInto(
    Txn& txn, absl::string_view db, absl::string_view ids,
    absl::string_view collection, absl::string_view id_prefix,
    const std::string& key, const std::string& account_id,
    absl::string_view from, const std::string& stakeholder) {
  ASSIGN_OR_RETURN(Record record, LoadExisting<Record>(txn, db, key));
  RETURN_IF_ERROR(
      txn.Delete(kStakeholderRefs, StakeholderRefKey(from, db, key)));
  RETURN_IF_ERROR(txn.Delete(db, key));
  RETURN_IF_ERROR(txn.Delete(ids, record.name()));
  ASSIGN_OR_RETURN(names::ChildName old_name,
                   names::ParseChild(record.name(), collection, "name"));
  ASSIGN_OR_RETURN(
      std::string id,
      FreeRecordId(txn, ids, account_id, collection, old_name.id, id_prefix));
  record.set_name(names::Child(account_id, collection, id));
  record.set_stakeholder(stakeholder);
  const std::string new_key = TimeKey(account_id, record.occur_time(), id);
  RETURN_IF_ERROR(Save(txn, db, new_key, record));
  RETURN_IF_ERROR(txn.Put(ids, record.name(), new_key));
  RETURN_IF_ERROR(IndexStakeholderRef(txn, db, new_key, stakeholder));
  return record.name();
}

absl::StatusOr<std::string> RecordName(Txn& txn, const StakeholderRef& ref) {
  if (ref.db == kSignals) {
    ASSIGN_OR_RETURN(Signal s, LoadExisting<Signal>(txn, kSignals, ref.key));
    return s.name();
  }
  ASSIGN_OR_RETURN(Note n, LoadExisting<Note>(txn, kNotes, ref.key));
  return n.name();
}

}  // namespace

absl::StatusOr<StakeholderMove> MoveStakeholderIn(
    Txn& txn, const Stakeholder& person, const std::string& destination_id,
    const std::vector<std::string>& sites, absl::string_view wanted_id,
    absl::Time now) {
  RETURN_IF_ERROR(RequireAccount(txn, names::Account(destination_id)));
  const std::string& old_name = person.name();
  ASSIGN_OR_RETURN(names::ChildName current,
                   names::ParseChild(old_name, names::kStakeholders, "name"));
  ASSIGN_OR_RETURN(std::string old_root, RootOf(txn, current.account_id));
  ASSIGN_OR_RETURN(std::string new_root, RootOf(txn, destination_id));
  const auto name_of = [&](absl::string_view id) {
    return names::Child(destination_id, names::kStakeholders, id);
  };
  std::string id;
  if (name_of(wanted_id.empty() ? current.id : wanted_id) == old_name) {
    id = current.id;
  } else if (!wanted_id.empty()) {
    ASSIGN_OR_RETURN(id, ChooseId(txn, kStakeholdersDb, wanted_id, "", "",
                                  name_of, "stakeholder_id"));
  } else {
    // Their ID, else "{id}-2", "{id}-3"...
    for (int n = 1; id.empty(); ++n) {
      std::string candidate =
          n == 1 ? current.id : absl::StrCat(current.id, "-", n);
      ASSIGN_OR_RETURN(std::optional<std::string> taken,
                       txn.Get(kStakeholdersDb, name_of(candidate)));
      if (!taken) id = std::move(candidate);
    }
  }
  StakeholderMove move;
  move.stakeholder = person;
  move.stakeholder.set_name(name_of(id));
  move.stakeholder.clear_sites();
  for (const std::string& site : sites) move.stakeholder.add_sites(site);
  RETURN_IF_ERROR(
      CheckStakeholderSites(txn, move.stakeholder, destination_id, ""));
  const std::string& new_name = move.stakeholder.name();
  const bool renamed = new_name != old_name;
  if (renamed) {
    RETURN_IF_ERROR(txn.Delete(kStakeholdersDb, old_name));
    if (!person.email().empty()) {
      RETURN_IF_ERROR(txn.Put(kEmails, person.email(), new_name));
    }
  }
  RETURN_IF_ERROR(Stamp(txn, &move.stakeholder, now, false));
  RETURN_IF_ERROR(Save(txn, kStakeholdersDb, new_name, move.stakeholder));
  // Relationships: kept with the new name where the other person is in the
  // destination's tree, else removed.
  ASSIGN_OR_RETURN(std::vector<std::string> edges, EdgesOf(txn, old_name));
  for (const std::string& rel_name : edges) {
    ASSIGN_OR_RETURN(Relationship r, LoadExisting<Relationship>(
                                         txn, kRelationshipsDb, rel_name));
    const bool is_source = r.source() == old_name;
    const std::string& other = is_source ? r.target() : r.source();
    ASSIGN_OR_RETURN(std::string other_root, RootOf(txn, AccountIdOf(other)));
    if (other_root != new_root) {
      RETURN_IF_ERROR(RemoveRelationship(txn, r));
      move.removed_relationships.push_back(std::move(r));
      continue;
    }
    if (!renamed) {
      move.relationships.push_back(std::move(r));
      continue;
    }
    RETURN_IF_ERROR(RemoveRelationship(txn, r));
    Relationship kept = r;
    if (is_source) {
      kept.set_source(new_name);
      // Stored under its source's account.
      ASSIGN_OR_RETURN(
          names::ChildName rel,
          names::ParseChild(r.name(), names::kRelationships, "name"));
      ASSIGN_OR_RETURN(std::string rel_id,
                       FreeRecordId(txn, kRelationshipsDb, destination_id,
                                    names::kRelationships, rel.id, "rel-"));
      kept.set_name(
          names::Child(destination_id, names::kRelationships, rel_id));
    } else {
      kept.set_target(new_name);
    }
    RETURN_IF_ERROR(Stamp(txn, &kept, now, false));
    RETURN_IF_ERROR(txn.Put(kEdges, EdgeKey(kept.source(), kept.name()), ""));
    RETURN_IF_ERROR(txn.Put(kEdges, EdgeKey(kept.target(), kept.name()), ""));
    RETURN_IF_ERROR(Save(txn, kRelationshipsDb, kept.name(), kept));
    move.relationships.push_back(std::move(kept));
  }
  // Signals and notes: in the same tree they stay with the account they
  // were recorded for, naming the new name; into another tree they move
  // with the person to the destination account.
  ASSIGN_OR_RETURN(std::vector<StakeholderRef> refs,
                   StakeholderRefsOf(txn, old_name));
  for (const StakeholderRef& ref : refs) {
    std::vector<std::string>& out =
        ref.db == kSignals ? move.signals : move.notes;
    if (!renamed) {
      ASSIGN_OR_RETURN(std::string name, RecordName(txn, ref));
      out.push_back(std::move(name));
    } else if (new_root == old_root) {
      RETURN_IF_ERROR(RenameInRecord(txn, ref, old_name, new_name));
      ASSIGN_OR_RETURN(std::string name, RecordName(txn, ref));
      out.push_back(std::move(name));
    } else if (ref.db == kSignals) {
      ASSIGN_OR_RETURN(
          std::string name,
          MoveRecordInto<Signal>(txn, kSignals, kSignalIds, "signals", "s-",
                                 ref.key, destination_id, old_name, new_name));
      out.push_back(std::move(name));
    } else {
      ASSIGN_OR_RETURN(
          std::string name,
          MoveRecordInto<Note>(txn, kNotes, kNoteIds, "notes", "n-", ref.key,
                               destination_id, old_name, new_name));
      out.push_back(std::move(name));
    }
  }
  return move;
}

absl::Status BuildStakeholderRefs(Txn& txn) {
  ASSIGN_OR_RETURN(std::optional<std::string> done,
                   txn.Get(kMeta, kStakeholderRefsBuiltKey));
  if (done) return absl::OkStatus();
  std::vector<std::pair<std::string, std::string>> refs;  // (key, person)
  for (absl::string_view db : {kSignals, kNotes}) {
    refs.clear();
    RETURN_IF_ERROR(txn.Scan(
        db, "", "", [&](absl::string_view key, absl::string_view value) {
          std::string person;
          if (db == kSignals) {
            Signal signal;
            signal.ParseFromArray(value.data(), static_cast<int>(value.size()));
            person = signal.stakeholder();
          } else {
            Note note;
            note.ParseFromArray(value.data(), static_cast<int>(value.size()));
            person = note.stakeholder();
          }
          if (!person.empty()) refs.emplace_back(key, std::move(person));
          return true;
        }));
    for (const auto& [key, person] : refs) {
      RETURN_IF_ERROR(IndexStakeholderRef(txn, db, key, person));
    }
  }
  return txn.Put(kMeta, kStakeholderRefsBuiltKey, "1");
}

}  // namespace internal

}  // namespace quorum::graph
