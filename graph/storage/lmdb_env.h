// The server's storage engine: one LMDB environment with named databases
// (see kv_engine.h for the contract every engine keeps).
//
// Thread safety: an LmdbEnv is safe to use from many threads. Read() runs
// concurrently with other reads and with one writer; Write() calls are
// serialized.
//
// Map growth: when a write fills the map (MDB_MAP_FULL), the transaction is
// aborted, the map is doubled while no transaction is open, and the write
// function runs again from the start.
#ifndef QUORUM_GRAPH_STORAGE_LMDB_ENV_H_
#define QUORUM_GRAPH_STORAGE_LMDB_ENV_H_

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/storage/kv_engine.h"

// LMDB's handles, declared here so that <lmdb.h> stays inside
// graph/storage/ (lmdb_env.cc includes it).
struct MDB_env;
extern "C" {
typedef struct MDB_env MDB_env;
typedef unsigned int MDB_dbi;
}

namespace quorum::graph {

class LmdbEnv : public KvEngine {
 public:
  struct Options {
    std::string path;                    // A directory; created when missing.
    size_t initial_map_size = 64 << 20;  // Bytes; grows on demand.
    std::vector<std::string> databases;  // Named databases to open.
  };

  static absl::StatusOr<std::unique_ptr<LmdbEnv>> Open(const Options& options);

  ~LmdbEnv() override;
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  absl::Status Read(const TxnFn& fn) const override;
  // Commits durably (fdatasync) before it returns.
  absl::Status Write(const TxnFn& fn,
                     const CommitFn& committed = nullptr) override;
  // mdb_env_copy2 with MDB_CP_COMPACT: reads and writes go on meanwhile;
  // the map cannot grow until the copy is done (a write that needs more
  // room waits).
  absl::Status CopyCompacted(const std::string& dir) const override;
  // The current map size in bytes.
  size_t map_size() const override;

 private:
  LmdbEnv() = default;
  absl::Status Grow(size_t seen_size);
  absl::Status WriteOnce(const TxnFn& fn, const CommitFn& committed);

  MDB_env* env_ = nullptr;
  std::map<std::string, MDB_dbi, std::less<>> dbis_;
  // Shared by every transaction; held exclusively to resize the map.
  mutable std::shared_mutex resize_mu_;
  std::mutex writer_mu_;  // Held by the one write transaction (WriteOnce).
};

// An LMDB error code as a Status: MapFullError for MDB_MAP_FULL,
// StorageUnwritableError for a full or failing disk, INTERNAL otherwise.
absl::Status LmdbError(int rc, absl::string_view what);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_LMDB_ENV_H_
