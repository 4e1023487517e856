// A small RAII layer over one LMDB environment.
//
// Thread safety: an LmdbEnv is safe to use from many threads. Read() runs
// concurrently with other reads and with one writer; Write() calls are
// serialized by LMDB's writer lock. Every transaction lives inside one call:
// values handed to callbacks are copied out before the transaction ends.
//
// Map growth: when a write fills the map (MDB_MAP_FULL), the transaction is
// aborted, the map is doubled while no transaction is open, and the write
// function runs again from the start. Write functions must therefore only
// touch state through the transaction they are given, and rebuild anything
// they fill outside it (results, responses) from scratch on every run.
//
// Fault injection (tests only): Options::fault_plan makes chosen write
// attempts meet a full map, an I/O error or a full disk (see FaultPlan).
#ifndef QUORUM_GRAPH_LMDB_ENV_H_
#define QUORUM_GRAPH_LMDB_ENV_H_


#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// LMDB's handles, declared here so that <lmdb.h> stays inside
// graph/storage/ (lmdb_env.cc includes it).
struct MDB_env;
struct MDB_txn;
extern "C" {
typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;
typedef unsigned int MDB_dbi;
}

namespace quorum::graph {

// A failure that a fault plan makes a write attempt meet, reported exactly as
// LMDB's own error would be.
enum class WriteFault {
  kNone,
  kMapFull,   // MDB_MAP_FULL: the map grows and the write function reruns.
  kIoError,   // EIO: the write fails (RESOURCE_EXHAUSTED), writable() false.
  kDiskFull,  // ENOSPC: the write fails (RESOURCE_EXHAUSTED), writable() false.
};

// Where a write attempt stands when its fault plan is asked: before each Put
// and Delete (savepoints included), and once before the commit, after the
// write function and the before-commit hook have returned OK.
struct WriteStep {
  int64_t write = 0;    // Write() calls on this env since it opened, from 1.
  int attempt = 0;      // Runs of this write's function, from 1.
  int changes = 0;      // Puts and deletes of this attempt before this step.
  bool commit = false;  // The step before the commit, not a Put or Delete.
};

// Tests only: asked at every step of every write attempt; anything but kNone
// fails that step (a failed Put or Delete does not happen; a failed commit
// aborts the transaction). Without a plan (the default) a write attempt pays
// one branch and each Put or Delete one null check. A plan runs on the
// writing thread, under LMDB's writer lock.
using FaultPlan = std::function<WriteFault(const WriteStep&)>;

// One open transaction, read-only or read-write. Not thread-safe.
class Txn {
 public:
  // What a write transaction remembers of the keys it changed (see
  // LmdbEnv::Hooks): groups named by the hooks' classifier.
  using Touched = std::set<std::string, std::less<>>;
  using Classifier = std::function<std::optional<std::string>(
      absl::string_view db, absl::string_view key)>;

  // A write attempt's fault plan and step (graph/storage/lmdb_env.cc).
  struct Faults;

  Txn(MDB_txn* txn, const std::map<std::string, MDB_dbi, std::less<>>* dbis,
      MDB_env* env = nullptr, const Classifier* classify = nullptr,
      Touched* touched = nullptr, Faults* faults = nullptr)
      : txn_(txn),
        dbis_(dbis),
        env_(env),
        classify_(classify),
        touched_(touched),
        faults_(faults) {}

  // The value at `key`, or nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view db,
                                                 absl::string_view key);
  // Stores `value` at `key`, replacing what was there.
  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value);
  // Removes `key`; absent keys are fine.
  absl::Status Delete(absl::string_view db, absl::string_view key);
  // Visits keys starting with `prefix` in order, beginning after
  // `start_after` when it is not empty. `visit` returns false to stop.
  absl::Status Scan(
      absl::string_view db, absl::string_view prefix,
      absl::string_view start_after,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit);

  // Runs `fn` in a nested transaction of this write transaction: its writes
  // are kept when it returns OK and undone when it fails, while the outer
  // transaction goes on either way (a savepoint). A full map is passed up so
  // that the whole write is retried.
  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn);

  // The version of the data this transaction sees: the ID of the last
  // committed write for a read, this write's own ID for a write (it is the
  // version once committed).
  uint64_t version() const;

 private:
  absl::StatusOr<MDB_dbi> Dbi(absl::string_view db) const;

  void Touch(absl::string_view db, absl::string_view key);

  MDB_txn* txn_;
  const std::map<std::string, MDB_dbi, std::less<>>* dbis_;
  MDB_env* env_;  // Set for write transactions only.
  const Classifier* classify_;
  Touched* touched_;
  Faults* faults_;  // Set only for write transactions under a fault plan.
};

class LmdbEnv {
 public:
  struct Options {
    std::string path;                   // A directory; created when missing.
    size_t initial_map_size = 64 << 20;  // Bytes; grows on demand.
    std::vector<std::string> databases;  // Named databases to open.
    FaultPlan fault_plan;                // Tests only; empty in production.
  };

  // Hooks around every write transaction. `classify` names the group a
  // changed key belongs to (or nullopt); `before_commit` runs inside the
  // transaction with every group the write touched (its writes commit with
  // it); `after_commit` runs once the data is on disk, with the committed
  // version, before the next write begins.
  struct Hooks {
    // Runs as each write attempt begins (a write whose map filled up is
    // attempted again from the start).
    std::function<void()> on_begin;
    Txn::Classifier classify;
    std::function<absl::Status(Txn&, const Txn::Touched&)> before_commit;
    std::function<void(uint64_t version)> after_commit;
  };

  static absl::StatusOr<std::unique_ptr<LmdbEnv>> Open(const Options& options);

  // Installs the hooks; call before any concurrent use.
  void SetHooks(Hooks hooks) { hooks_ = std::move(hooks); }
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Runs `fn` in a read-only transaction.
  absl::Status Read(const std::function<absl::Status(Txn&)>& fn) const;
  // Runs `fn` in a write transaction and commits (durably) when it returns
  // OK; aborts otherwise. See the header comment on map growth.
  absl::Status Write(const std::function<absl::Status(Txn&)>& fn);

  // The current map size in bytes.
  size_t map_size() const;

  // Writes a compacted copy of the environment (mdb_env_copy2 with
  // MDB_CP_COMPACT) into the existing, empty directory `dir`. The copy is
  // the snapshot of one read transaction: reads and writes go on meanwhile,
  // and it holds every write committed before the call. The map cannot grow
  // until the copy is done (a write that needs more room waits).
  absl::Status CopyCompacted(const std::string& dir) const;
  // Whether the last write that reached the disk succeeded: false after a
  // write failed because the disk is full or failing (see
  // IsStorageUnwritable), true again after the next successful write.
  bool writable() const { return writable_.load(); }
  // Called with the new state whenever writable() changes (from the writing
  // thread, outside any transaction). Install before any concurrent use.
  void OnWritableChange(std::function<void(bool)> fn) {
    on_writable_ = std::move(fn);
  }

 private:
  LmdbEnv() = default;
  absl::Status Grow(size_t seen_size);
  absl::Status WriteOnce(const std::function<absl::Status(Txn&)>& fn);
  void NoteWriteOutcome(const absl::Status& status);

  MDB_env* env_ = nullptr;
  std::map<std::string, MDB_dbi, std::less<>> dbis_;
  Hooks hooks_;
  // Shared by every transaction; held exclusively to resize the map.
  mutable std::shared_mutex resize_mu_;
  std::mutex writer_mu_;  // Held by the one write transaction (WriteOnce).
  std::atomic<bool> writable_{true};
  std::function<void(bool)> on_writable_;
  FaultPlan fault_plan_;
  int64_t writes_ = 0;  // Counted under a fault plan only (WriteStep::write).
};

// Whether a status is the map-full signal that makes LmdbEnv::Write grow the
// map and retry; code that catches errors inside a write must pass it on.
bool IsMapFull(const absl::Status& status);

// Whether an error inside a write fails the whole write rather than one
// record: a full map (the write is retried) or a disk that cannot be written
// (see IsStorageUnwritable). Code that catches the errors of a savepoint must
// return these instead of reporting them per record.
bool FailsWholeWrite(const absl::Status& status);

// Whether a status says the disk under the data folder is full or failing
// (ENOSPC, EDQUOT, EFBIG, EIO): RESOURCE_EXHAUSTED with a clear message.
bool IsStorageUnwritable(const absl::Status& status);

// An LMDB error code as a Status: RESOURCE_EXHAUSTED for a full or failing
// disk, INTERNAL otherwise.
absl::Status LmdbError(int rc, absl::string_view what);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_LMDB_ENV_H_
