#include "graph/storage/fault_injecting_engine.h"

#include <cerrno>

namespace quorum::graph {
namespace {

// The wrapped transaction with the plan asked before each change.
class FaultyTxn : public Txn {
 public:
  FaultyTxn(Txn& inner, const FaultPlan& plan, WriteStep& step)
      : inner_(inner), plan_(plan), step_(step) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) override {
    return inner_.Get(db, key);
  }
  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) override {
    absl::Status fault = Next("put");
    if (!fault.ok()) return fault;
    return inner_.Put(db, key, value);
  }
  absl::Status Delete(absl::string_view db, absl::string_view key) override {
    absl::Status fault = Next("del");
    if (!fault.ok()) return fault;
    return inner_.Delete(db, key);
  }
  absl::Status Scan(absl::string_view db, absl::string_view prefix,
                    absl::string_view start_after,
                    const Visitor& visit) override {
    return inner_.Scan(db, prefix, start_after, visit);
  }
  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn) override {
    return inner_.Savepoint([&](Txn& nested) {
      FaultyTxn faulty(nested, plan_, step_);
      return fn(faulty);
    });
  }
  uint64_t version() const override { return inner_.version(); }

 private:
  absl::Status Next(absl::string_view what) {
    step_.commit = false;
    const WriteFault fault = plan_(step_);
    ++step_.changes;
    return FaultError(fault, what);
  }

  Txn& inner_;
  const FaultPlan& plan_;
  WriteStep& step_;
};

}  // namespace

absl::Status FaultError(WriteFault fault, absl::string_view what) {
  switch (fault) {
    case WriteFault::kNone:
      return absl::OkStatus();
    case WriteFault::kMapFull:
      return MapFullError(what);
    case WriteFault::kIoError:
      return StorageUnwritableError(EIO, what);
    case WriteFault::kDiskFull:
      return StorageUnwritableError(ENOSPC, what);
  }
  return absl::InternalError("unknown injected write fault");
}

absl::Status FaultInjectingEngine::Write(const TxnFn& fn,
                                         const CommitFn& committed) {
  int64_t write = 0;
  int attempt = 0;
  return inner_->Write(
      [&](Txn& txn) -> absl::Status {
        if (write == 0) write = ++writes_;  // The inner writer's turn.
        WriteStep step{write, ++attempt};
        FaultyTxn faulty(txn, plan_, step);
        absl::Status status = fn(faulty);
        if (!status.ok()) return status;
        step.commit = true;
        return FaultError(plan_(step), "commit");
      },
      committed);
}

}  // namespace quorum::graph
