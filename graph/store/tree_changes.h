// What a write transaction changed, per account tree, recorded as it
// writes: the store's write path (Store::Write) wraps the engine's
// transaction in a ChangeRecordingTxn, so that before the commit it knows
// which trees to qualify again and which signals a snapshot can take in
// without reading the rest of the history.
#ifndef QUORUM_GRAPH_STORE_TREE_CHANGES_H_
#define QUORUM_GRAPH_STORE_TREE_CHANGES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph/storage/kv_engine.h"

namespace quorum::graph {

// The changes of one write to the records of one account.
struct TreeChanges {
  bool structure = false;            // Any record but a new signal.
  bool history = false;              // A signal deleted (or rewritten).
  std::vector<std::string> signals;  // Keys of signals written.
};
// By account ID (the account whose record changed; its ancestors'
// verdicts follow from it).
using ChangesByTree = std::map<std::string, TreeChanges, std::less<>>;

// The account whose tree a change of `key` in database `db` touches, and
// whether it is a signal; nullopt for databases no verdict reads (indexes,
// notes, the readiness index itself...).
struct TouchedTree {
  std::string account_id;
  bool signal = false;
};
std::optional<TouchedTree> TreeTouchedBy(absl::string_view db,
                                         absl::string_view key);

// A transaction that passes everything to `inner` and records in `changes`
// the trees its puts and deletes touch (in savepoints too; a savepoint that
// fails leaves its record, which costs a needless requalification at most).
class ChangeRecordingTxn : public Txn {
 public:
  ChangeRecordingTxn(Txn& inner, ChangesByTree& changes)
      : inner_(inner), changes_(changes) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) override {
    return inner_.Get(db, key);
  }
  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) override;
  absl::Status Delete(absl::string_view db, absl::string_view key) override;
  absl::Status Scan(absl::string_view db, absl::string_view prefix,
                    absl::string_view start_after,
                    const Visitor& visit) override {
    return inner_.Scan(db, prefix, start_after, visit);
  }
  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn) override;
  uint64_t version() const override { return inner_.version(); }

 private:
  void Record(absl::string_view db, absl::string_view key, bool deleted);

  Txn& inner_;
  ChangesByTree& changes_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORE_TREE_CHANGES_H_
