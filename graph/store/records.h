// Repositories: the records of the account graph, their indexes and the
// graph's constraints, as functions over one transaction (records.cc).
// They check, read and write records and index entries, and know no
// business rule: the use cases (graph/usecases/) call them inside the
// transactions they run through graph::Store::Write.
#ifndef QUORUM_GRAPH_STORE_RECORDS_H_
#define QUORUM_GRAPH_STORE_RECORDS_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "graph/model/status.h"
#include "graph/model/time.h"
#include "graph/storage/kv_engine.h"
#include "graph/storage/layout.h"
#include "graph/storage/records.pb.h"
#include "graph/storage/table.h"
#include "graph/store/store.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/resources.pb.h"
#include "quorum/v1/signal_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph::internal {

// The databases and key layouts (graph/storage/layout.h).
using namespace ::quorum::graph::layout;  // NOLINT: the store's own layout.

// The next value of the store-wide sequence (etags, generated IDs).
absl::StatusOr<uint64_t> NextSequence(Txn& txn);

// ---- Records of the account graph (accounts, sites, people, relationships)

// The child account IDs of `id`.
absl::StatusOr<std::vector<std::string>> ChildIds(Txn& txn,
                                                  absl::string_view id);
// A fresh etag from the store-wide sequence (AIP-154: opaque, changes on
// every write of the resource).
absl::StatusOr<std::string> NextEtag(Txn& txn);
// ABORTED when `given` is set and is not `current` (AIP-154).
absl::Status CheckEtag(absl::string_view name, absl::string_view given,
                       absl::string_view current);
// An ID that is free in `db`: `wanted` when given, else one derived from
// `text`, with a numeric suffix when the derived one is taken.
absl::StatusOr<std::string> ChooseId(
    Txn& txn, absl::string_view db, absl::string_view wanted,
    absl::string_view text, absl::string_view fallback,
    const std::function<std::string(absl::string_view)>& name_of,
    absl::string_view field);
// The stakeholders and relationships stored under the accounts.
absl::StatusOr<std::vector<v1::Stakeholder>> StakeholdersOf(
    Txn& txn, const std::vector<std::string>& account_ids);
absl::StatusOr<std::vector<v1::Relationship>> RelationshipsOf(
    Txn& txn, const std::vector<std::string>& account_ids);
// The names of the relationships that touch a stakeholder.
absl::StatusOr<std::vector<std::string>> EdgesOf(Txn& txn,
                                                 absl::string_view stakeholder);
// Deletes a record with its index entries. A removed stakeholder's signals
// and notes stay, naming nobody.
absl::Status RemoveRelationship(Txn& txn, const v1::Relationship& r);
absl::Status RemoveStakeholder(Txn& txn, const v1::Stakeholder& s);

// A signal or note that names a stakeholder: its database (`signals` or
// `notes`) and key there, from the `stakeholder_refs` index.
struct StakeholderRef {
  std::string db;
  std::string key;
};
// Records that the record at `key` of `db` names `stakeholder` (nothing when
// it is empty).
absl::Status IndexStakeholderRef(Txn& txn, absl::string_view db,
                                 absl::string_view key,
                                 absl::string_view stakeholder);
absl::StatusOr<std::vector<StakeholderRef>> StakeholderRefsOf(
    Txn& txn, absl::string_view stakeholder);
// Makes the record of `ref` name `to` (empty: nobody) instead of `from`, in
// place, with its index entry.
absl::Status RenameInRecord(Txn& txn, const StakeholderRef& ref,
                            absl::string_view from, absl::string_view to);
// Checks that the stakeholder's sites exist and belong to the tree of the
// stakeholder's account.
absl::Status CheckStakeholderSites(Txn& txn, const v1::Stakeholder& s,
                                   const std::string& account_id,
                                   absl::string_view prefix);
// Checks that moving the subtree of `account_id` out of its current tree
// keeps every relationship and every stakeholder's sites inside one tree.
absl::Status CheckSubtreeCanMove(Txn& txn, const std::string& account_id,
                                 const std::string& old_root);
// Checks a new parent for `account_id` (empty: becomes a root).
absl::Status CheckParent(Txn& txn, const std::string& account_id,
                         const std::string& parent_name, bool existing);
// Keep the domain, e-mail and company-name indexes in step with a record.
absl::Status IndexDomains(Txn& txn, const v1::Account& account,
                          const std::set<std::string>& previous);
absl::Status IndexEmail(Txn& txn, const v1::Stakeholder& s,
                        absl::string_view previous);
absl::Status IndexCompanyName(Txn& txn, const v1::Account& account,
                              const std::string& previous_display_name);
// Deletes an account's records in a time-ordered database and, when `ids`
// is set, their ID index entries (every such record has its name as
// field 1).
absl::Status DeleteTimeRecords(Txn& txn, absl::string_view db,
                               absl::string_view ids,
                               const std::string& account_id);
// Sets a fresh etag and the create (when `created`) and update times.
template <typename T>
absl::Status Stamp(Txn& txn, T* resource, absl::Time now, bool created) {
  ASSIGN_OR_RETURN(std::string etag, NextEtag(txn));
  resource->set_etag(etag);
  if (created) *resource->mutable_create_time() = ToProto(now);
  if constexpr (!std::is_same_v<T, v1::Relationship>) {
    *resource->mutable_update_time() = ToProto(now);
  }
  return absl::OkStatus();
}

// The most signals one RecordSignals batch holds.
inline constexpr int kMaxBatch = 1000;

// Deletes an account (its etag must match when given) and, with `force`,
// its whole subtree with every record and index entry under it; without
// `force`, FAILED_PRECONDITION HAS_CHILDREN when anything is under it.
// Stakeholders elsewhere in the tree lose their references to the sites
// that go.
// Before anything goes, each account of the subtree that has status
// changes or handoffs is archived (ArchiveAccountIn).
absl::Status DeleteAccountIn(Txn& txn, absl::string_view name,
                             const std::string& id, absl::string_view etag,
                             bool force, absl::Time now);
// Keeps what a deletion at `now` would lose of what metrics and simulation
// learn from: when the account has status changes or handoffs, an
// ArchivedAccount in `archived_accounts` with the account, its history, its
// handoffs (their `delete_time` set) and, when it has handoffs, its tree as
// a verdict reads it. Nothing when it has neither.
absl::Status ArchiveAccountIn(Txn& txn, const std::string& account_id,
                              absl::Time now);
// The archives of the deleted accounts of ID `account_id` (every archive
// when empty), in key order: by account, the latest deletion first.
absl::StatusOr<std::vector<graph::storage::ArchivedAccount>> ArchivedAccountsOf(
    Txn& txn, absl::string_view account_id);
// Deletes a site no stakeholder works at (else FAILED_PRECONDITION
// SITE_IN_USE).
absl::Status DeleteSiteIn(Txn& txn, absl::string_view name,
                          const std::string& account_id,
                          absl::string_view etag);
// Creates a checked relationship under `account_id` (its source's
// account): both ends exist and are in one account tree, it is no
// duplicate, and a REPORTS_TO closes no cycle.
absl::StatusOr<v1::Relationship> CreateRelationshipIn(
    Txn& txn, absl::string_view parent, const std::string& account_id,
    const v1::Relationship& relationship, absl::string_view relationship_id,
    absl::Time now);

// What MoveStakeholderIn did.
struct StakeholderMove {
  v1::Stakeholder stakeholder;                          // As moved.
  std::vector<v1::Relationship> relationships;          // Kept, as now.
  std::vector<v1::Relationship> removed_relationships;  // Crossed trees.
  std::vector<std::string> signals;  // Names, after the move.
  std::vector<std::string> notes;
};
// Moves `person` to the account `destination_id` with `sites`, as
// `wanted_id` (empty: their ID, or the first free one derived from it):
// relationships whose other end is in the destination's tree are kept
// (re-keyed under the new account when the person is their source), the
// others removed; signals and notes naming the person name the new name,
// and move into the destination account when it is in another tree.
absl::StatusOr<StakeholderMove> MoveStakeholderIn(
    Txn& txn, const v1::Stakeholder& person, const std::string& destination_id,
    const std::vector<std::string>& sites, absl::string_view wanted_id,
    absl::Time now);
// Builds the `stakeholder_refs` index once over a store written before it.
absl::Status BuildStakeholderRefs(Txn& txn);

// ---- Policies and the change feed

// The newest policy revision, or nullopt when none was published.
absl::StatusOr<std::optional<v1::PolicyRevision>> Latest(Txn& txn);
// The change feeds: the accounts' own (solution empty) and one per
// solution, each numbered from 1 (docs/workflow.md, "Change feed").
// The sequence number of the feed's last readiness event (0 when none).
absl::StatusOr<int64_t> LastSequence(Txn& txn, absl::string_view solution = "");
// The sequence number of the first event the feed retains: the one after
// the last compacted away (the head plus one when none is retained).
absl::StatusOr<int64_t> FirstRetainedSequence(Txn& txn,
                                              absl::string_view solution = "");
// The solutions that have a feed (an event was ever appended to it).
absl::StatusOr<std::vector<std::string>> FeedSolutions(Txn& txn);
// The sum of every feed's last sequence number: it grows with each event
// appended to any feed.
absl::StatusOr<int64_t> FeedsVersion(Txn& txn);

// "accounts/a/sites/s" -> "a".
std::string AccountIdOf(absl::string_view name);

// The parent chain of `account_id`, itself first, the root last.
absl::StatusOr<std::vector<std::string>> Ancestry(Txn& txn,
                                                  std::string account_id);
absl::StatusOr<std::string> RootOf(Txn& txn, const std::string& account_id);
// `account_id` and its descendants, breadth first.
absl::StatusOr<std::vector<std::string>> Subtree(Txn& txn,
                                                 const std::string& account_id);
// NOT_FOUND unless the account exists.
absl::Status RequireAccount(Txn& txn, const std::string& account_name);
absl::Status CheckLimit(int limit);
// Write operations inside a transaction, for callers that combine several
// in one (intake, imports). Inputs are checked as by the Store methods of the
// same name, except the field checks CreateAccount and CreateStakeholder do
// before their transaction (CheckAccount, CheckStakeholder, ID syntax).
// A free account ID derived from `text` ("Acme Labs" -> "acme-labs", then
// "acme-labs-2"...).
absl::StatusOr<std::string> FreeAccountId(Txn& txn, absl::string_view text);
absl::StatusOr<v1::Account> CreateAccountIn(Txn& txn, v1::Account account,
                                            absl::string_view account_id,
                                            absl::Time now);
absl::StatusOr<v1::Account> UpdateAccountIn(
    Txn& txn, const v1::Account& patch, const google::protobuf::FieldMask& mask,
    absl::Time now);
absl::StatusOr<v1::Site> CreateSiteIn(Txn& txn, absl::string_view parent,
                                      v1::Site site, absl::string_view site_id,
                                      absl::Time now);
absl::StatusOr<v1::Site> UpdateSiteIn(Txn& txn, const v1::Site& patch,
                                      const google::protobuf::FieldMask& mask,
                                      absl::Time now);
absl::StatusOr<v1::Stakeholder> CreateStakeholderIn(
    Txn& txn, absl::string_view parent, v1::Stakeholder stakeholder,
    absl::string_view stakeholder_id, absl::Time now);
absl::StatusOr<v1::Stakeholder> UpdateStakeholderIn(
    Txn& txn, const v1::Stakeholder& patch,
    const google::protobuf::FieldMask& mask, absl::Time now);

// Notes: field checks (paths under `at`, e.g. "note") and creation.
void CheckNote(v1::Note* note, const std::string& at, Violations* violations);
absl::StatusOr<v1::Note> CreateNoteIn(Txn& txn, absl::string_view parent,
                                      v1::Note note, absl::string_view note_id,
                                      const google::protobuf::Timestamp& now);

// Signals: records one checked request (see Store::RecordSignals); `at`
// prefixes error messages. Sets `duplicate` when the ID existed.
absl::StatusOr<v1::RecordedSignal> RecordSignalIn(
    Txn& txn, const v1::CreateSignalRequest& request, const std::string& at,
    const google::protobuf::Timestamp& now);
// Field checks of one signal request, paths under `at`.
void CheckSignalRequest(const v1::CreateSignalRequest& request,
                        const std::string& at, Violations* violations);

// The account tree of `account_id` with its signals (NOT_FOUND when the
// account is missing), and the active policy revision (NOT_FOUND when none).
absl::Status ReadAccountTree(Txn& txn, const std::string& account_id,
                             AccountTree* tree);
absl::StatusOr<v1::PolicyRevision> ActivePolicy(Txn& txn);
// The tree of `account_id` read through `txn` as a snapshot whose signal
// sums are for `half_life` (NOT_FOUND when the account is missing).
absl::StatusOr<std::shared_ptr<const TreeSnapshot>> ReadSnapshot(
    Txn& txn, const std::string& account_id, absl::Duration half_life);
// A policy's intent half-life.
absl::Duration HalfLifeOf(const v1::Policy& policy);

// Rebuilds the readiness entry of every account (after a policy publish);
// the events it appends say `cause`.
absl::Status ReindexAll(
    Txn& txn, absl::Time now,
    v1::ReadinessEvent::Cause cause = v1::ReadinessEvent::CAUSE_POLICY);
// Builds the readiness index once over a store written before it existed,
// or brings one of an older form (readiness_v1) to the current one.
absl::Status UpgradeReadinessIndex(Txn& txn, absl::Time now);

// Reads the committee map of `account_id` (NOT_FOUND when missing) and, when
// `subtree` is not null, the IDs of the accounts in it.
absl::Status ReadCommitteeMap(Txn& txn, const std::string& account_id,
                              v1::CommitteeMap* map,
                              std::vector<std::string>* subtree);

// Checks an AIP-155 request ID (empty: none), named "request_id".
void CheckRequestId(absl::string_view request_id, Violations* violations);

// A short fingerprint of a request (its deterministic serialization with
// the request ID cleared, plus `extra`), to tell a retry from another
// request that reuses the ID.
std::string RequestFingerprint(const google::protobuf::Message& request,
                               absl::string_view extra = "");

// Runs `fn` (which fills `*response`) at most once per request ID
// (AIP-155), inside the write transaction `txn`: with a `request_id`
// already used by `method`, the stored response of the first run is
// returned and `fn` is not run; used with another fingerprint,
// INVALID_ARGUMENT. The response is stored with the writes of `fn`, in the
// same transaction. No ID: just runs `fn`.
template <typename Response>
absl::Status RunIdempotent(Txn& txn, absl::string_view method,
                           absl::string_view request_id,
                           absl::string_view fingerprint, Response* response,
                           const std::function<absl::Status(Txn&)>& fn) {
  if (request_id.empty()) return fn(txn);
  const std::string key = RequestIdKey(method, request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   txn.Get(kRequestIds, key));
  if (stored) {
    const size_t split = stored->find('\n');
    if (split == std::string::npos ||
        absl::string_view(*stored).substr(0, split) != fingerprint) {
      return InvalidField(
          "request_id",
          absl::StrCat("was already used for a different ", method,
                       " request; use a new ID for a new request"));
    }
    if (!response->ParseFromString(stored->substr(split + 1))) {
      return absl::DataLossError(absl::StrCat("corrupt replay at ", key));
    }
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(fn(txn));
  response->DiscardUnknownFields();
  return txn.Put(
      kRequestIds, key,
      absl::StrCat(fingerprint, "\n", response->SerializeAsString()));
}

}  // namespace quorum::graph::internal

namespace quorum::graph {

template <typename Response>
absl::Status Store::WriteIdempotent(
    absl::string_view method, absl::string_view request_id,
    absl::string_view fingerprint, Response* response,
    const std::function<absl::Status(Txn&)>& fn) {
  return Write([&](Txn& txn) {
    return internal::RunIdempotent(txn, method, request_id, fingerprint,
                                   response, fn);
  });
}

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORE_RECORDS_H_
