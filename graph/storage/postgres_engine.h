// A storage engine over a PostgreSQL server (15 or later) through libpq,
// which several quorumd processes may share (see kv_engine.h for the
// contract every engine keeps).
//
// Schema (version 1, created and migrated by Open under an advisory lock,
// so that nodes starting together do not race):
//   quorum_schema  (version)              one row: the schema's version
//   quorum_kv      (db, key, value)       every logical database in one
//                                         table; key and value are bytea,
//                                         primary key (db, key)
//   quorum_version (v)                    one row: the global commit version
// bytea compares bytewise, so ORDER BY key is the contract's byte order;
// scans page through the keys in batches.
//
// Reads run in REPEATABLE READ READ ONLY transactions on a small pool of
// connections (a read waits when every one is busy); version() is the
// version row as the read's snapshot sees it. Writes of this process take
// turns (a mutex); each is a SERIALIZABLE transaction whose first statement
// increments the version row, so the row lock puts the writers of every
// process in one order and a writer that waited fails at once with a
// serialization failure (40001): the write function runs again from the
// start after a short random pause, a bounded number of times, then the
// write is ABORTED. Savepoints are SQL savepoints. A commit sends
// NOTIFY quorum_commit '<node token>:<version>'; a listener connection on a
// thread of the engine's hands the versions of other processes' commits to
// the OnExternalCommit callback.
//
// Errors: a lost connection (the server stopped or restarted, a network
// error, a standby that became read-only after a failover) is UNAVAILABLE
// "storage unreachable: ..." and the connection is made again on its next
// use; a commit whose outcome is unknown (the connection was lost during
// it) is UNAVAILABLE too. A server out of disk space (53100) is
// StorageUnwritableError (RESOURCE_EXHAUSTED, writable() turns false).
//
// Failover: `conninfo` is a libpq connection string or URI and may name
// several hosts, e.g.
//   postgresql://node1:5432,node2:5432/quorum?target_session_attrs=read-write
// libpq then connects to whichever host accepts writes, so after a standby
// is promoted the next connection made finds the new primary.
//
// Thread safety: safe to use from many threads.
#ifndef QUORUM_GRAPH_STORAGE_POSTGRES_ENGINE_H_
#define QUORUM_GRAPH_STORAGE_POSTGRES_ENGINE_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "graph/storage/kv_engine.h"

namespace quorum::graph {

class PostgresEngine : public KvEngine {
 public:
  struct Options {
    std::string conninfo;                // A libpq URI or key=value string.
    std::vector<std::string> databases;  // Logical databases to use.
    int read_connections = 4;            // The read pool's size.
  };

  // The schema version this code creates and reads.
  static constexpr int kSchemaVersion = 1;

  // Connects, creates or migrates the schema, and opens the writer's
  // connection. UNAVAILABLE when the server cannot be reached,
  // FAILED_PRECONDITION when its schema is newer than this code knows.
  static absl::StatusOr<std::unique_ptr<PostgresEngine>> Open(Options options);

  ~PostgresEngine() override;
  PostgresEngine(const PostgresEngine&) = delete;
  PostgresEngine& operator=(const PostgresEngine&) = delete;

  absl::Status Read(const TxnFn& fn) const override;
  absl::Status Write(const TxnFn& fn,
                     const CommitFn& committed = nullptr) override;
  // UNIMPLEMENTED: back PostgreSQL up with pg_dump or its own tools.
  absl::Status CopyCompacted(const std::string& dir) const override;
  // pg_database_size of the database (0 when it cannot be asked).
  size_t map_size() const override;

  bool shared() const override { return true; }
  // Starts the listener and returns once it listens (or after 5 s when the
  // server cannot be reached), so that later commits of others are heard.
  void OnExternalCommit(std::function<void(uint64_t version)> fn) override;

  // How many write transactions were begun, retries included (for
  // tests).
  uint64_t write_attempts() const { return write_attempts_.load(); }
  // The token this engine's NOTIFY payloads carry.
  const std::string& node_token() const { return node_token_; }

  // One libpq connection, made again after it broke (public for the
  // transaction class in the .cc).
  class Connection;

 private:
  explicit PostgresEngine(Options options);

  absl::Status Migrate();
  absl::Status WriteAttempt(const TxnFn& fn, const CommitFn& committed,
                            bool* retry);
  std::unique_ptr<Connection> AcquireReader() const;
  void ReleaseReader(std::unique_ptr<Connection> conn) const;
  void Listen();

  const Options options_;
  const std::set<std::string, std::less<>> databases_;
  const std::string node_token_;

  std::mutex writer_mu_;  // Held by the one write of this process.
  std::unique_ptr<Connection> writer_;

  mutable std::mutex pool_mu_;
  mutable std::condition_variable pool_cv_;
  mutable std::vector<std::unique_ptr<Connection>> idle_readers_;
  mutable int readers_made_ = 0;

  std::function<void(uint64_t)> on_external_commit_;
  std::mutex listen_mu_;
  std::condition_variable listen_cv_;
  bool listening_ = false;  // The listener has run LISTEN (guarded).

  std::atomic<bool> stop_{false};
  std::thread listener_;

  std::atomic<uint64_t> write_attempts_{0};
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_POSTGRES_ENGINE_H_
