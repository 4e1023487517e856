// The store: the unit of work of the domain core. It holds the storage
// engine, runs every write through one path (Write: the trees a write
// changes get new snapshots and readiness entries before it commits), and
// serves immutable per-tree snapshots from a bounded cache. The records
// themselves are written by the repositories (records.h) and the business
// of each service by its use case (graph/usecases/), all over one storage
// engine (graph/storage/kv_engine.h; the databases and their keys are in
// graph/storage/layout.h), with the graph's constraints enforced on every
// write. Each mutation is one write transaction that updates the record and its
// index entries together, committed durably before it returns.
//
// Errors: INVALID_ARGUMENT (with field violations named as in the service's
// requests, e.g. "account.country_code"), NOT_FOUND, ALREADY_EXISTS (a taken
// ID, e-mail or domain), FAILED_PRECONDITION (a broken graph constraint, with
// a PreconditionFailure), ABORTED (stale etag, AIP-154).
//
// Thread safety: all methods may be called concurrently.
#ifndef QUORUM_GRAPH_STORE_H_
#define QUORUM_GRAPH_STORE_H_

#include <atomic>
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
#include "graph/rules/qualification.h"
#include "graph/storage/fault_injecting_engine.h"
#include "graph/storage/kv_engine.h"
#include "graph/storage/table.h"
#include "graph/store/tree_changes.h"
#include "graph/store/tree_snapshot.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

class Store {
 public:
  struct Options {
    // Where the data lives: an LMDB directory (optionally "lmdb:DIR"), a
    // PostgreSQL connection URL ("postgresql://...", PostgresEngine, which
    // several stores in several processes may share), or kInMemory for an
    // engine that keeps everything in memory (tests; nothing survives the
    // store).
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

  // ---- For the use cases (graph/usecases/), which run their work here.

  // Runs `fn` in a read-only transaction of the engine (after CatchUp).
  absl::Status Read(const std::function<absl::Status(Txn&)>& fn);
  // The engine itself, for listings (ScanPage) and copies.
  const KvEngine& engine() const { return *engine_; }
  // The time now, by the clock the store was opened with.
  absl::Time Now() const { return clock_(); }
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
  // Inside a Write of a new active policy: once the write commits, the
  // snapshot cache is emptied and `policy` becomes CurrentPolicy().
  void ClearSnapshotsOnCommit() { pending_clear_ = true; }
  void PublishPolicyOnCommit(std::shared_ptr<const v1::PolicyRevision> policy) {
    pending_policy_ = std::move(policy);
  }
  // Time-driven readiness events (docs/workflow.md): re-indexes, in one
  // write, at most `limit` accounts whose route or readiness fell due to
  // change with time alone by the clock's now (readiness_due), appending
  // a CAUSE_TIME event for each that did change, in sequence with the
  // write events.
  struct DueStep {
    int evaluated = 0;  // Accounts re-indexed.
    int emitted = 0;    // Events appended.
    // When the next account falls due (now: more are due already).
    std::optional<absl::Time> next_due;
  };
  absl::StatusOr<DueStep> EmitDueEvents(size_t limit);
  // Compacts the change feed in one write: removes at most `limit` of the
  // oldest events beyond the newest `max_events` (0: no count limit) or
  // older than `max_age` (0: no age limit). Returns how many it removed.
  absl::StatusOr<int> CompactEvents(int64_t max_events, absl::Duration max_age,
                                    size_t limit);

  // How many writes have committed, and a wait (at most `timeout`) until
  // more than `seen` have.
  int64_t commits();
  void WaitForCommitAfter(int64_t seen, absl::Duration timeout);

 private:
  Store(std::unique_ptr<KvEngine> engine, std::function<absl::Time()> clock,
        size_t snapshot_cache_bytes)
      : engine_(std::move(engine)),
        clock_(std::move(clock)),
        snapshots_(snapshot_cache_bytes) {}

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

  // On a shared engine (several nodes): records in the commit log what the
  // write `txn` changed that nodes hold in memory, and trims the log.
  absl::Status LogCommit(Txn& txn);
  // On a shared engine: forgets the snapshots and policy that commits of
  // other nodes changed, up to the version `txn` sees (from the commit
  // log), before anything is served from them. Cheap when no commit came
  // between (one comparison).
  // `upto` is the last version `txn` sees (a write's own version less one).
  absl::Status CatchUp(Txn& txn, uint64_t upto);
  // A commit of another node: wakes watchers (CatchUp does the rest).
  void ExternalCommitted();

  std::mutex policy_mu_;
  std::shared_ptr<const v1::PolicyRevision> policy_;  // Null: not read yet.
  uint64_t policy_changed_ = 0;  // The version that last published one.
  // The version up to which this node knows what every commit changed
  // (shared engines; guarded by catch_up_mu_ for writes).
  std::mutex catch_up_mu_;
  std::atomic<uint64_t> known_version_{0};
  // Wakes watchers after a commit (see WaitForCommitAfter).
  std::mutex events_mu_;
  std::condition_variable events_cv_;
  int64_t commits_ = 0;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORE_H_
