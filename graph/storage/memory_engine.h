// An engine that keeps its databases in memory: for tests that want the
// store without a disk, and as a second implementation that keeps the
// KvEngine contract honest (tests/graph/kv_engine_test.cc runs the same
// cases on it and on LMDB). Nothing survives the object.
//
// Reads see an immutable version of the data (a shared_ptr per database,
// swapped atomically at commit); the one writer keeps its changes in an
// overlay and copies only the databases it changed when it commits.
#ifndef QUORUM_GRAPH_STORAGE_MEMORY_ENGINE_H_
#define QUORUM_GRAPH_STORAGE_MEMORY_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph/storage/kv_engine.h"

namespace quorum::graph {

class MemoryEngine : public KvEngine {
 public:
  // One ordered database.
  using Table = std::map<std::string, std::string, std::less<>>;
  // Every database at one version.
  struct Data {
    std::map<std::string, std::shared_ptr<const Table>, std::less<>> tables;
    uint64_t version = 0;
  };

  explicit MemoryEngine(const std::vector<std::string>& databases);

  absl::Status Read(const TxnFn& fn) const override;
  absl::Status Write(const TxnFn& fn,
                     const CommitFn& committed = nullptr) override;
  // UNIMPLEMENTED: there is no disk to copy to.
  absl::Status CopyCompacted(const std::string& dir) const override;
  // The bytes of the keys and values held.
  size_t map_size() const override;

 private:
  std::shared_ptr<const Data> Current() const;

  mutable std::mutex data_mu_;  // Guards data_ (the pointer, not the data).
  std::shared_ptr<const Data> data_;
  std::mutex writer_mu_;  // Held by the one write.
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_MEMORY_ENGINE_H_
