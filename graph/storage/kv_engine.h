// The storage engine's interface: ordered key/value databases with read and
// write transactions, scans and savepoints. The store is written against it
// alone; four engines implement it:
//   LmdbEnv               (lmdb_env.h)       the server's default, on disk;
//   PostgresEngine        (postgres_engine.h) over a PostgreSQL server that
//                         several quorumd nodes may share;
//   MemoryEngine          (memory_engine.h)  in memory, for tests;
//   FaultInjectingEngine  (fault_injecting_engine.h)  wraps either and
//                         fails chosen write attempts, for tests.
//
// Contract shared by every engine (tests/graph/kv_engine_test.cc runs the
// same cases on each):
// - A database is named when the engine opens; using another name is an
//   INTERNAL error. Keys are 1 to kMaxKeyBytes bytes; Get of any other key
//   finds nothing, Put of one fails. Values are any bytes.
// - Read() sees the last committed write, unchanged while it runs, and runs
//   beside other reads and the one writer. Write() calls are serialized
//   (across every process of a shared() engine).
// - A write commits when its function returns OK and is durable when Write
//   returns (for engines that have a disk); otherwise nothing of it stays.
// - A write whose function (or commit) meets a full engine (IsMapFull) is
//   run again from the start once the engine has made room, so a write
//   function must only touch state through its transaction and rebuild
//   whatever it fills outside it (results, responses) on every run.
// - Values handed to callbacks are valid only inside the callback.
#ifndef QUORUM_GRAPH_STORAGE_KV_ENGINE_H_
#define QUORUM_GRAPH_STORAGE_KV_ENGINE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quorum::graph {

// The longest key every engine holds (LMDB's default limit).
inline constexpr size_t kMaxKeyBytes = 511;

// One open transaction, read-only or read-write. Not thread-safe; lives
// inside the Read or Write call that made it.
class Txn {
 public:
  using Visitor =
      std::function<bool(absl::string_view key, absl::string_view value)>;

  virtual ~Txn() = default;

  // The value at `key`, or nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) = 0;
  // Stores `value` at `key`, replacing what was there.
  virtual absl::Status Put(absl::string_view db, absl::string_view key,
                           absl::string_view value) = 0;
  // Removes `key`; absent keys are fine.
  virtual absl::Status Delete(absl::string_view db, absl::string_view key) = 0;
  // Visits keys starting with `prefix` in byte order, beginning after
  // `start_after` when it is not empty. `visit` returns false to stop.
  virtual absl::Status Scan(absl::string_view db, absl::string_view prefix,
                            absl::string_view start_after,
                            const Visitor& visit) = 0;
  // Runs `fn` in a nested transaction of this write transaction: its writes
  // are kept when it returns OK and undone when it fails, while the outer
  // transaction goes on either way (a savepoint). Errors that fail the
  // whole write (FailsWholeWrite) must be passed up by the caller.
  virtual absl::Status Savepoint(
      const std::function<absl::Status(Txn&)>& fn) = 0;
  // The version of the data this transaction sees: that of the last
  // committed write for a read, this write's own (its version once
  // committed) for a write. Versions grow with every commit.
  virtual uint64_t version() const = 0;
};

class KvEngine {
 public:
  using TxnFn = std::function<absl::Status(Txn&)>;
  // Runs after a write committed, with its version, before the next write
  // begins (still under the writer's turn).
  using CommitFn = std::function<void(uint64_t version)>;

  virtual ~KvEngine() = default;

  // Runs `fn` in a read-only transaction and returns its status.
  virtual absl::Status Read(const TxnFn& fn) const = 0;
  // Runs `fn` in a write transaction and commits when it returns OK (then
  // calls `committed`, when given); aborts otherwise. See the contract
  // above on retries.
  virtual absl::Status Write(const TxnFn& fn,
                             const CommitFn& committed = nullptr) = 0;

  // Writes a compacted copy of every database, as one read transaction
  // sees them, into the existing empty directory `dir`, such that the
  // engine of the same kind opened there holds the same data.
  // UNIMPLEMENTED for engines without a disk.
  virtual absl::Status CopyCompacted(const std::string& dir) const = 0;
  // The bytes the engine has reserved for its data (LMDB's map size).
  virtual size_t map_size() const = 0;

  // Whether other processes write the same data (a database server that
  // several quorumd nodes share). Then versions are global, in one order
  // across every process, and a write of this engine may follow writes it
  // did not make: whoever caches what it read (the store's snapshots) must
  // learn what those changed (the store's commit log, docs/scale-out.md).
  virtual bool shared() const { return false; }
  // Called, on a thread of the engine's, with the version of a commit
  // another process made, soon after it committed. A hint to wake waiters
  // (it may come late, or once for several commits), not a record of what
  // changed. Engines that are not shared never call it. Install before any
  // concurrent use.
  virtual void OnExternalCommit(std::function<void(uint64_t version)> /*fn*/) {}

  // Whether the last write that reached the storage succeeded: false after
  // a write failed because the disk is full or failing
  // (IsStorageUnwritable), true again after the next successful write.
  virtual bool writable() const { return writable_.load(); }
  // Called with the new state whenever writable() changes (on the writing
  // thread, outside any transaction). Install before any concurrent use.
  virtual void OnWritableChange(std::function<void(bool)> fn) {
    on_writable_ = std::move(fn);
  }

 protected:
  // Engines call this with the outcome of every Write.
  void NoteWriteOutcome(const absl::Status& status);

 private:
  std::atomic<bool> writable_{true};
  std::function<void(bool)> on_writable_;
};

// The status of a write that filled the engine: the write is retried.
absl::Status MapFullError(absl::string_view what);
// Whether a status is that signal; code that catches errors inside a write
// must pass it on.
bool IsMapFull(const absl::Status& status);

// The status of a write the disk refused (`errno_code` one of ENOSPC,
// EDQUOT, EFBIG, EIO, in operation `what`): RESOURCE_EXHAUSTED with a
// message that says what happened and what to do.
absl::Status StorageUnwritableError(int errno_code, absl::string_view what);
// Whether a status says the disk under the data folder is full or failing.
bool IsStorageUnwritable(const absl::Status& status);
// Whether `errno_code` is one StorageUnwritableError describes.
bool IsUnwritableErrno(int errno_code);

// Whether an error inside a write fails the whole write rather than one
// record: a full engine (the write is retried) or a disk that cannot be
// written. Code that catches the errors of a savepoint must return these
// instead of reporting them per record.
bool FailsWholeWrite(const absl::Status& status);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_KV_ENGINE_H_
