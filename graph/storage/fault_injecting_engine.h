// An engine that wraps another and makes chosen write attempts meet a full
// map, an I/O error or a full disk, reported exactly as a real failure of
// that kind is (MapFullError, StorageUnwritableError): for tests of every
// write path under failure (tests/graph/store_fault_test.cc). Reads and
// everything else go to the wrapped engine unchanged.
#ifndef QUORUM_GRAPH_STORAGE_FAULT_INJECTING_ENGINE_H_
#define QUORUM_GRAPH_STORAGE_FAULT_INJECTING_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "graph/storage/kv_engine.h"

namespace quorum::graph {

// A failure a fault plan makes a write attempt meet.
enum class WriteFault {
  kNone,
  kMapFull,   // The write is run again from the start (the engine grows).
  kIoError,   // EIO: the write fails (RESOURCE_EXHAUSTED), writable() false.
  kDiskFull,  // ENOSPC: the write fails (RESOURCE_EXHAUSTED), writable() false.
};

// Where a write attempt stands when its fault plan is asked: before each Put
// and Delete (in savepoints too), and once before the commit, after the
// write function has returned OK.
struct WriteStep {
  int64_t write = 0;    // Write() calls on this engine since it opened, from 1.
  int attempt = 0;      // Runs of this write's function, from 1.
  int changes = 0;      // Puts and deletes of this attempt before this step.
  bool commit = false;  // The step before the commit, not a Put or Delete.
};

// Asked at every step of every write attempt; anything but kNone fails that
// step (a failed Put or Delete does not happen; a failed commit aborts the
// transaction). Runs on the writing thread, one write at a time.
using FaultPlan = std::function<WriteFault(const WriteStep&)>;

class FaultInjectingEngine : public KvEngine {
 public:
  FaultInjectingEngine(std::unique_ptr<KvEngine> inner, FaultPlan plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  absl::Status Read(const TxnFn& fn) const override { return inner_->Read(fn); }
  absl::Status Write(const TxnFn& fn,
                     const CommitFn& committed = nullptr) override;
  absl::Status CopyCompacted(const std::string& dir) const override {
    return inner_->CopyCompacted(dir);
  }
  size_t map_size() const override { return inner_->map_size(); }
  bool shared() const override { return inner_->shared(); }
  void OnExternalCommit(std::function<void(uint64_t)> fn) override {
    inner_->OnExternalCommit(std::move(fn));
  }
  // The wrapped engine sees every injected failure as its own, so it keeps
  // the account.
  bool writable() const override { return inner_->writable(); }
  void OnWritableChange(std::function<void(bool)> fn) override {
    inner_->OnWritableChange(std::move(fn));
  }

 private:
  std::unique_ptr<KvEngine> inner_;
  FaultPlan plan_;
  int64_t writes_ = 0;  // Counted by the writing thread (WriteStep::write).
};

// The status a real engine reports for `fault` in operation `what`.
absl::Status FaultError(WriteFault fault, absl::string_view what);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORAGE_FAULT_INJECTING_ENGINE_H_
