// Immutable in-memory snapshots of account trees, and the cache that holds
// them between calls.
//
// A snapshot is what qualification reads about one account and its
// subtree: the committee map and the subtree's signals, indexed (see
// graph/rules/signal_history.h). Readers hold it as shared_ptr<const ...>, so a
// write that replaces it never disturbs a verdict being computed.
//
// The cache is bounded by a memory budget (least recently used snapshots
// go first) and versioned by the LMDB version the snapshot was read at:
// after a commit changes a tree, its snapshot is replaced (Publish) before
// the next write begins, and a reader that read an older version than the
// last change cannot put its snapshot back (Offer). So a snapshot in the
// cache always shows the last committed state of its tree.
#ifndef QUORUM_GRAPH_TREE_SNAPSHOT_H_
#define QUORUM_GRAPH_TREE_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/rules/qualification.h"
#include "graph/rules/signal_history.h"
#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/policy.pb.h"

namespace quorum::graph {

struct TreeSnapshot {
  std::shared_ptr<const v1::CommitteeMap> map;
  std::shared_ptr<const SignalHistory> signals;
  // The IDs of the accounts in the subtree, the account first.
  std::vector<std::string> subtree;

  // Approximate bytes held, for the cache's budget (with an allowance for
  // the qualification plan it may come to hold).
  size_t ApproximateBytes() const;

  // The qualification plan of `map` under `policy` (see
  // graph/rules/qualification.h): made on first use and kept with the
  // snapshot for the last policy revision asked for (by identity: the
  // store's active revision stays the same object until a publish). The
  // returned plan keeps the map and the policy it points into alive.
  // Thread-safe; a copy of a snapshot starts without a plan.
  std::shared_ptr<const QualificationPlan> Plan(
      std::shared_ptr<const v1::PolicyRevision> policy) const;

 private:
  class PlanSlot {
   public:
    PlanSlot() = default;
    PlanSlot(const PlanSlot&) {}
    PlanSlot& operator=(const PlanSlot&) { return *this; }

    std::mutex mu;
    const v1::CommitteeMap* map = nullptr;       // What `plan` was made
    const v1::PolicyRevision* policy = nullptr;  // from (kept alive by it).
    std::shared_ptr<const QualificationPlan> plan;
  };
  mutable PlanSlot plan_;
};

class SnapshotCache {
 public:
  // `budget_bytes`: the most the cached snapshots may hold together (one
  // snapshot larger than the budget is served but not kept).
  explicit SnapshotCache(size_t budget_bytes) : budget_(budget_bytes) {}

  // The cached snapshot of `account_id`'s tree, or null.
  std::shared_ptr<const TreeSnapshot> Get(const std::string& account_id);
  // Keeps a snapshot read at `version` unless a commit after that version
  // changed the tree.
  void Offer(const std::string& account_id,
             std::shared_ptr<const TreeSnapshot> snapshot, uint64_t version);
  // After the commit `version` changed the tree: its snapshot now (null
  // when the account is gone or the snapshot was not built).
  void Publish(const std::string& account_id,
               std::shared_ptr<const TreeSnapshot> snapshot, uint64_t version);
  // After the commit `version` changed every tree (a restore, say).
  void Clear(uint64_t version);

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::shared_ptr<const TreeSnapshot> snapshot;  // Null: known changed.
    size_t bytes = 0;
    uint64_t changed = 0;  // The last commit that changed the tree.
    std::list<std::string>::iterator lru;
  };
  void Touch(Entry& entry);
  void Store(const std::string& account_id, Entry& entry,
             std::shared_ptr<const TreeSnapshot> snapshot);
  void Evict();

  mutable std::mutex mu_;
  const size_t budget_;
  size_t bytes_ = 0;
  // Changes of trees no longer in `entries_` (evicted): a reader older
  // than this may not offer a snapshot of any tree missing here.
  uint64_t floor_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // Most recently used first; entries with
                                // a snapshot only.
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_TREE_SNAPSHOT_H_
