#include "graph/store/tree_snapshot.h"

#include <algorithm>
#include <utility>

namespace quorum::graph {
namespace {

// Entries that only remember a change are folded into the floor beyond
// this many.
constexpr size_t kMaxChangeMarks = 4096;

}  // namespace

size_t TreeSnapshot::ApproximateBytes() const {
  // The snapshot and its map as make_shared objects, the map's messages,
  // the signal index, the subtree's IDs.
  size_t bytes =
      sizeof(*this) + 2 * 32 + (signals ? signals->ApproximateBytes() : 0);
  if (map) bytes += map->SpaceUsedLong();
  bytes += subtree.capacity() * sizeof(std::string);
  for (const std::string& id : subtree) {
    if (id.capacity() > 15) bytes += id.capacity() + 1;
  }
  // An allowance for the qualification plan, made after the snapshot is
  // cached: per judged site and fit check a result and a value, per person
  // and requirement a few indices, about 1 KiB whatever the tree (the
  // default policy's checks and requirements); the map's own bytes bound
  // the rest.
  if (map) bytes += 1024 + map->SpaceUsedLong();
  return bytes;
}

std::shared_ptr<const QualificationPlan> TreeSnapshot::Plan(
    std::shared_ptr<const v1::PolicyRevision> policy) const {
  {
    std::lock_guard lock(plan_.mu);
    if (plan_.plan != nullptr && plan_.map == map.get() &&
        plan_.policy == policy.get()) {
      return plan_.plan;
    }
  }
  // Made outside the lock: readers of another policy are not held up, and
  // two readers racing make the same plan.
  struct Held {
    std::shared_ptr<const v1::CommitteeMap> map;
    std::shared_ptr<const v1::PolicyRevision> policy;
    std::shared_ptr<const QualificationPlan> plan;
  };
  auto held = std::make_shared<Held>();
  held->map = map;
  held->policy = std::move(policy);
  held->plan = PlanQualification(*held->map, held->policy->policy());
  std::shared_ptr<const QualificationPlan> plan(held, held->plan.get());
  std::lock_guard lock(plan_.mu);
  plan_.map = held->map.get();
  plan_.policy = held->policy.get();
  plan_.plan = plan;
  return plan;
}

std::shared_ptr<const TreeSnapshot> SnapshotCache::Get(
    const std::string& account_id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(account_id);
  if (it == entries_.end() || !it->second.snapshot) return nullptr;
  Touch(it->second);
  return it->second.snapshot;
}

void SnapshotCache::Offer(const std::string& account_id,
                          std::shared_ptr<const TreeSnapshot> snapshot,
                          uint64_t version) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(account_id);
  const uint64_t changed = it == entries_.end() ? floor_ : it->second.changed;
  if (version < changed) return;  // Read before the tree last changed.
  if (it != entries_.end() && it->second.snapshot) return;  // As current.
  Entry& entry = it == entries_.end() ? entries_[account_id] : it->second;
  entry.changed = changed;
  Store(account_id, entry, std::move(snapshot));
  Evict();
}

void SnapshotCache::Publish(const std::string& account_id,
                            std::shared_ptr<const TreeSnapshot> snapshot,
                            uint64_t version) {
  std::lock_guard lock(mu_);
  Entry& entry = entries_[account_id];
  entry.changed = std::max(entry.changed, version);
  Store(account_id, entry, std::move(snapshot));
  Evict();
}

void SnapshotCache::Clear(uint64_t version) {
  std::lock_guard lock(mu_);
  entries_.clear();
  lru_.clear();
  bytes_ = 0;
  floor_ = std::max(floor_, version);
}

size_t SnapshotCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t SnapshotCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

void SnapshotCache::Touch(Entry& entry) {
  lru_.splice(lru_.begin(), lru_, entry.lru);
}

void SnapshotCache::Store(const std::string& account_id, Entry& entry,
                          std::shared_ptr<const TreeSnapshot> snapshot) {
  if (entry.snapshot) {
    bytes_ -= entry.bytes;
    lru_.erase(entry.lru);
  }
  entry.snapshot = nullptr;
  entry.bytes = 0;
  if (snapshot) {
    const size_t bytes = snapshot->ApproximateBytes();
    if (bytes <= budget_) {
      entry.snapshot = std::move(snapshot);
      entry.bytes = bytes;
      bytes_ += bytes;
      lru_.push_front(account_id);
      entry.lru = lru_.begin();
    }
  }
}

void SnapshotCache::Evict() {
  while (bytes_ > budget_ && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    floor_ = std::max(floor_, it->second.changed);
    bytes_ -= it->second.bytes;
    lru_.pop_back();
    entries_.erase(it);
  }
  if (entries_.size() - lru_.size() > kMaxChangeMarks) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.snapshot) {
        ++it;
        continue;
      }
      floor_ = std::max(floor_, it->second.changed);
      it = entries_.erase(it);
    }
  }
}

}  // namespace quorum::graph
