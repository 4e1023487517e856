// The snapshot cache: bounded by its budget, and never handed a snapshot
// older than the last change of its tree.
#include "graph/store/tree_snapshot.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

std::shared_ptr<const TreeSnapshot> Snap(const std::string& account,
                                         int stakeholders = 0) {
  auto map = std::make_shared<v1::CommitteeMap>();
  map->mutable_account()->set_name(account);
  for (int i = 0; i < stakeholders; ++i) {
    map->add_stakeholders()->set_name(
        absl::StrCat(account, "/stakeholders/p", i, std::string(100, 'x')));
  }
  auto s = std::make_shared<TreeSnapshot>();
  s->map = std::move(map);
  s->signals = SignalHistory::Build({}, absl::Hours(24));
  s->subtree = {account};
  return s;
}

TEST(SnapshotCacheTest, AReaderOlderThanTheLastChangeCannotPutItsSnapshotBack) {
  SnapshotCache cache(1 << 20);
  cache.Publish("a", nullptr, 10);  // Commit 10 changed tree a.
  cache.Offer("a", Snap("stale"), 9);
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Offer("a", Snap("current"), 10);
  ASSERT_NE(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.Get("a")->map->account().name(), "current");
}

TEST(SnapshotCacheTest, PublishReplacesWhatReadersOffered) {
  SnapshotCache cache(1 << 20);
  cache.Offer("a", Snap("read"), 5);
  cache.Publish("a", Snap("written"), 6);
  EXPECT_EQ(cache.Get("a")->map->account().name(), "written");
  cache.Offer("a", Snap("late reader"), 5);
  EXPECT_EQ(cache.Get("a")->map->account().name(), "written");
  cache.Publish("a", nullptr, 7);  // Deleted, or not built.
  EXPECT_EQ(cache.Get("a"), nullptr);
}

TEST(SnapshotCacheTest, StaysWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  const size_t one = Snap("x", 20)->ApproximateBytes();
  SnapshotCache cache(one * 3 + one / 2);
  for (const char* id : {"a", "b", "c"}) cache.Offer(id, Snap(id, 20), 1);
  ASSERT_NE(cache.Get("a"), nullptr);  // a is now the most recent.
  cache.Offer("d", Snap("d", 20), 1);
  EXPECT_LE(cache.bytes(), one * 3 + one / 2);
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.Get("b"), nullptr) << "least recently used goes first";
  EXPECT_NE(cache.Get("a"), nullptr);
  EXPECT_NE(cache.Get("d"), nullptr);
}

TEST(SnapshotCacheTest, AnEvictedTreeRefusesReadersOlderThanItsLastChange) {
  const size_t one = Snap("x", 20)->ApproximateBytes();
  SnapshotCache cache(one + one / 2);
  cache.Publish("a", Snap("a", 20), 8);
  cache.Offer("b", Snap("b", 20), 8);  // Evicts a, which changed at 8.
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Offer("a", Snap("a before 8", 20), 7);
  EXPECT_EQ(cache.Get("a"), nullptr);
}

TEST(SnapshotCacheTest, ASnapshotLargerThanTheBudgetIsServedButNotKept) {
  SnapshotCache cache(64);
  cache.Offer("a", Snap("a", 20), 1);
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(SnapshotCacheTest, ClearForgetsEverythingAndRefusesOlderReaders) {
  SnapshotCache cache(1 << 20);
  cache.Offer("a", Snap("a"), 3);
  cache.Clear(4);
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Offer("a", Snap("a"), 3);
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Offer("a", Snap("a"), 4);
  EXPECT_NE(cache.Get("a"), nullptr);
}

}  // namespace
}  // namespace quorum::graph
