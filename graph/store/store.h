// The account graph store: accounts, sites, stakeholders and relationships
// over one storage engine (graph/storage/kv_engine.h; the databases and
// their keys are in graph/storage/layout.h), with the graph's constraints
// enforced on every write. Each mutation is one write transaction that
// updates the record and its index entries together, committed durably
// before it returns.
//
// Errors: INVALID_ARGUMENT (with field violations named as in the service's
// requests, e.g. "account.country_code"), NOT_FOUND, ALREADY_EXISTS (a taken
// ID, e-mail or domain), FAILED_PRECONDITION (a broken graph constraint, with
// a PreconditionFailure), ABORTED (stale etag, AIP-154).
//
// Thread safety: all methods may be called concurrently.
#ifndef QUORUM_GRAPH_STORE_H_
#define QUORUM_GRAPH_STORE_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "graph/rules/qualification.h"
#include "graph/storage/fault_injecting_engine.h"
#include "graph/storage/kv_engine.h"
#include "graph/storage/table.h"
#include "graph/store/tree_changes.h"
#include "graph/store/tree_snapshot.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/note_service.pb.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/policy_service.pb.h"
#include "quorum/v1/resources.pb.h"
#include "quorum/v1/signal_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"

namespace quorum::graph {

class Store {
 public:
  struct Options {
    // Where the data lives: an LMDB directory, or kInMemory for an engine
    // that keeps everything in memory (tests; nothing survives the store).
    std::string path;
    static constexpr absl::string_view kInMemory = ":memory:";
    size_t initial_map_size = 64 << 20;  // Grows on demand.
    // Source of create and update times.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // The most memory the account-tree snapshots may hold together.
    size_t snapshot_cache_bytes = 512 << 20;
    // Tests only: failures injected into write attempts (FaultPlan in
    // graph/storage/fault_injecting_engine.h, docs/storage.md); Open's own
    // writes are asked too.
    FaultPlan fault_plan;
  };

  // Opens the engine `options` names, then the store on it.
  static absl::StatusOr<std::unique_ptr<Store>> Open(Options options);
  // The store on `engine`, which holds the databases of
  // graph/storage/layout.h (AllDatabases); `options.path`,
  // `initial_map_size` and `fault_plan` are not used.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      std::unique_ptr<KvEngine> engine, Options options);

  // Accounts. Create sets `lifecycle_status` to NEW.
  // A non-empty `request_id` makes the create idempotent (AIP-155): see
  // internal::WriteIdempotent; the same holds for the other creates.
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
  absl::Status DeleteStakeholder(absl::string_view name, absl::string_view etag);
  // The stakeholder with this e-mail (any case), NOT_FOUND when none.
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
  absl::Status DeleteRelationship(absl::string_view name, absl::string_view etag);

  // The account `name` and its whole subtree, read in one transaction.
  absl::StatusOr<v1::CommitteeMap> GetCommitteeMap(absl::string_view name);

  // Signals, stored by account and time (newest first). Records the batch
  // in one transaction, all or nothing; a request whose signal ID exists
  // already is a duplicate: nothing is written for it and the stored signal
  // is returned. Errors name "requests[i]...".
  absl::StatusOr<std::vector<v1::RecordedSignal>> RecordSignals(
      const v1::RecordSignalsRequest& request);
  // An account's signals, newest first, after storage key `start_after`.
  absl::StatusOr<Page<v1::Signal>> ListSignals(absl::string_view parent,
                                               int limit,
                                               absl::string_view start_after);

  // The account `name`, its subtree and the subtree's signals, read in one
  // transaction: the input of qualification.
  absl::StatusOr<AccountTree> LoadAccountTree(absl::string_view name);
  // The same as an immutable snapshot, from the snapshot cache when it
  // holds the tree (see graph/store/tree_snapshot.h), else read and cached.
  absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Snapshot(
      absl::string_view name);
  // The active policy revision (NOT_FOUND when none), kept in memory.
  absl::StatusOr<std::shared_ptr<const v1::PolicyRevision>> CurrentPolicy();
  // What the snapshot cache holds now.
  size_t snapshot_cache_bytes() const { return snapshots_.bytes(); }
  size_t snapshot_cache_entries() const { return snapshots_.entries(); }

  // Policies: numbered revisions, the newest active. `policy` must be valid.
  absl::StatusOr<v1::PolicyRevision> PublishPolicy(
      const v1::Policy& policy, const std::string& description);
  // A revision, or the active one for 0; NOT_FOUND when there is none.
  absl::StatusOr<v1::PolicyRevision> GetPolicyRevision(int64_t revision);
  // Revisions newest first, after storage key `start_after`.
  absl::StatusOr<Page<v1::PolicyRevision>> ListPolicyRevisions(
      int limit, absl::string_view start_after);

  // Notes, newest first. A client-chosen `note_id` that exists already
  // returns the stored note and writes nothing.
  absl::StatusOr<v1::Note> CreateNote(absl::string_view parent, v1::Note note,
                                      absl::string_view note_id);
  absl::StatusOr<Page<v1::Note>> ListNotes(absl::string_view parent, int limit,
                                           absl::string_view start_after);

  // Intake of one lead, all in one write transaction (see
  // docs/intake.md): normalization, checks, duplicate matching, creation,
  // role inference, signal, note, the route after intake, and the answer
  // stored under the request ID so that a retry returns it unchanged.
  absl::StatusOr<v1::SubmitLeadResponse> SubmitLead(
      const v1::SubmitLeadRequest& request);

  // One batch of a signal stream, in one transaction with a savepoint per
  // signal: each is recorded, found to be a duplicate, or rejected on its
  // own. Returns one outcome per request: OK (new), ALREADY_EXISTS
  // (duplicate), or the error that rejected it.
  absl::StatusOr<std::vector<absl::Status>> RecordSignalStream(
      const std::vector<v1::CreateSignalRequest>& requests);

  // What an imported record did.
  enum class ImportOutcome { kCreated, kUpdated, kUnchanged };
  // One batch of an import, in one transaction with a savepoint per record:
  // each record is upserted by name or rejected on its own, except that
  // consecutive records with the same non-empty `group` share a savepoint
  // and are written all or nothing (the others of a failed group are
  // ABORTED). A group must not be split across batches.
  absl::StatusOr<std::vector<absl::StatusOr<ImportOutcome>>> ImportBatch(
      const std::vector<v1::ImportRecordsRequest>& records);

  // ---- Workflow (graph/store/store_workflow.cc, docs/workflow.md).
  absl::StatusOr<v1::TransitionStatusResponse> TransitionStatus(
      const v1::TransitionStatusRequest& request);
  absl::StatusOr<Page<v1::StatusChange>> ListStatusChanges(
      absl::string_view parent, int limit, absl::string_view start_after);
  absl::StatusOr<v1::Handoff> CreateHandoff(
      const v1::CreateHandoffRequest& request);
  absl::StatusOr<v1::Handoff> GetHandoff(absl::string_view name);
  absl::StatusOr<Page<v1::Handoff>> ListHandoffs(absl::string_view parent,
                                                 int limit,
                                                 absl::string_view start_after);
  absl::StatusOr<v1::Handoff> RecordHandoffFeedback(
      const v1::RecordHandoffFeedbackRequest& request);
  absl::StatusOr<v1::ProcessMetrics> GetProcessMetrics(absl::Time start,
                                                       absl::Time end);
  // The readiness listing; `as_of` defaults to the clock. Page cost does not
  // grow with the number of accounts (see docs/workflow.md).
  absl::StatusOr<v1::ListAccountReadinessResponse> ListAccountReadiness(
      const v1::ListAccountReadinessRequest& request);
  // Readiness change events after `after_sequence`, at most `limit`.
  absl::StatusOr<std::vector<v1::ReadinessEvent>> ReadinessEvents(
      int64_t after_sequence, int limit);
  // The sequence number of the last event (0 when none).
  int64_t LastEventSequence();
  // Waits until an event after `after_sequence` exists or `timeout` passes;
  // true when one exists.
  bool WaitForEvents(int64_t after_sequence, absl::Duration timeout);
  // A candidate policy over the current graph as of a time (the store's
  // clock when not given).
  absl::StatusOr<v1::SimulatePolicyResponse> SimulatePolicy(
      const v1::Policy& candidate, std::optional<absl::Time> as_of);

  // Creates every record of `bundle` whose name does not exist yet, in
  // order; returns how many were created. Safe to run again.
  absl::StatusOr<int> LoadBundle(const v1::ResourceBundle& bundle);

  // Writes a compacted, consistent copy of the store into `dir` (absolute;
  // created when missing, must be empty) while writes go on; opening the
  // copy with Open() restores it. Returns the copy's size in bytes.
  absl::StatusOr<int64_t> Backup(const std::string& dir);

  // Checks that every index entry points at a record (e-mails, domains,
  // company names, hierarchy, edges, signal/note/handoff IDs, readiness).
  // OK, or DATA_LOSS listing the first dangling entries.
  absl::Status CheckIndexes();

  // The bytes the engine has reserved (LMDB's map; it grows as data is
  // added).
  size_t map_size() const { return engine_->map_size(); }

  // False after a write failed because the disk is full or failing (such
  // writes answer RESOURCE_EXHAUSTED), true again once a write succeeds.
  bool writable() const { return engine_->writable(); }
  // Called whenever writable() changes; install before serving.
  void OnWritableChange(std::function<void(bool)> fn) {
    engine_->OnWritableChange(std::move(fn));
  }

 private:
  Store(std::unique_ptr<KvEngine> engine, std::function<absl::Time()> clock,
        size_t snapshot_cache_bytes)
      : engine_(std::move(engine)),
        clock_(std::move(clock)),
        snapshots_(snapshot_cache_bytes) {}

  // Runs `fn` in one write transaction of the engine and, before it
  // commits, brings the readiness index and change feed in step with the
  // trees `fn` changed (Reindex); once committed, publishes their new
  // snapshots. Every write of the store goes through here.
  absl::Status Write(const std::function<absl::Status(Txn&)>& fn);
  // Write() of `fn` at most once per request ID (internal::RunIdempotent).
  template <typename Response>
  absl::Status WriteIdempotent(absl::string_view method,
                               absl::string_view request_id,
                               absl::string_view fingerprint,
                               Response* response,
                               const std::function<absl::Status(Txn&)>& fn);
  // What a write changed, from the first change of its current attempt.
  void BeginAttempt();
  // Keeps the readiness index and change feed in step with the trees the
  // write `txn` changed (changes_).
  absl::Status Reindex(Txn& txn);
  // Publishes what the write committed as `version` changed.
  void Committed(uint64_t version);
  // The snapshot of `account_id`'s tree after the write `txn` made
  // `changes` to it: the cached one updated, or read through `txn`.
  absl::StatusOr<std::shared_ptr<const TreeSnapshot>> NextSnapshot(
      Txn& txn, const std::string& account_id, TreeChanges& changes,
      absl::Duration half_life);
  // The snapshot of `account_id`'s tree as `txn` sees it: the cached one
  // when `txn` cannot differ from it, else read through `txn`.
  absl::StatusOr<std::shared_ptr<const TreeSnapshot>> SnapshotIn(
      Txn& txn, const std::string& account_id);
  // The snapshot of `account_id`'s tree as the write `txn` sees it: the
  // cached one while the write has changed no tree yet, else read.
  absl::StatusOr<std::shared_ptr<const TreeSnapshot>> TreeInWrite(
      Txn& txn, const std::string& account_id, absl::Duration half_life);
  // The verdict on `account_id` now, under the active policy, as the write
  // `txn` sees it (from the cached snapshot while the write has changed no
  // tree yet).
  absl::StatusOr<v1::Verdict> VerdictNow(Txn& txn,
                                         const std::string& account_id,
                                         absl::Time now);
  // The active policy as `txn` sees it.
  absl::StatusOr<std::shared_ptr<const v1::PolicyRevision>> ActivePolicyIn(
      Txn& txn);

  std::unique_ptr<KvEngine> engine_;
  std::function<absl::Time()> clock_;
  SnapshotCache snapshots_;

  // What the write transaction being run changed, per account ID (filled
  // by its ChangeRecordingTxn; only the writer touches it).
  ChangesByTree changes_;
  // What the write publishes once committed (before the next write).
  std::map<std::string, std::shared_ptr<const TreeSnapshot>> pending_;
  std::shared_ptr<const v1::PolicyRevision> pending_policy_;
  bool pending_clear_ = false;

  std::mutex policy_mu_;
  std::shared_ptr<const v1::PolicyRevision> policy_;  // Null: not read yet.
  uint64_t policy_changed_ = 0;  // The version that last published one.
  // Wakes watchers after a commit (see WaitForEvents).
  std::mutex events_mu_;
  std::condition_variable events_cv_;
  int64_t commits_ = 0;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORE_H_
