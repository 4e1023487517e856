// The snapshot cache: bounded by its budget, and never handed a snapshot
// older than the last change of its tree.
#include "graph/store/tree_snapshot.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
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

// ---------------------------------------------------- qualification plans

const absl::Time kAsOf = absl::FromUnixSeconds(1780272000);  // 2026-06-01.

// A snapshot of a tree with a site, a director and a recent demo request.
std::shared_ptr<TreeSnapshot> Tree(const std::string& country) {
  auto map = std::make_shared<v1::CommitteeMap>();
  map->mutable_account()->set_name("accounts/a");
  map->mutable_account()->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  auto* site = map->add_sites();
  site->set_name("accounts/a/sites/main");
  site->set_country_code(country);
  auto* person = map->add_stakeholders();
  person->set_name("accounts/a/stakeholders/dir");
  auto* role = person->add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  v1::Signal signal;
  signal.set_name("accounts/a/signals/s1");
  signal.set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  signal.set_stakeholder(person->name());
  signal.mutable_occur_time()->set_seconds(absl::ToUnixSeconds(kAsOf) - 86400);
  auto s = std::make_shared<TreeSnapshot>();
  s->map = std::move(map);
  s->signals = SignalHistory::Build({signal}, absl::Hours(24 * 30));
  s->subtree = {"a"};
  return s;
}

std::shared_ptr<const v1::PolicyRevision> Revision(int64_t revision) {
  auto r = std::make_shared<v1::PolicyRevision>();
  r->set_revision(revision);
  *r->mutable_policy() = DefaultPolicy();
  return r;
}

std::string FromPlan(const TreeSnapshot& s,
                     std::shared_ptr<const v1::PolicyRevision> revision) {
  const int64_t number = revision->revision();
  return Qualify(*s.Plan(std::move(revision)), *s.signals, number, kAsOf)
      .SerializeAsString();
}

std::string FromMap(const TreeSnapshot& s, const v1::PolicyRevision& revision) {
  return Qualify(*s.map, *s.signals, revision.policy(), revision.revision(),
                 kAsOf)
      .SerializeAsString();
}

TEST(TreeSnapshotPlanTest, IsMadeOnceForTheSameRevisionAndGivesItsVerdict) {
  auto snapshot = Tree("US");
  auto revision = Revision(1);
  auto plan = snapshot->Plan(revision);
  EXPECT_EQ(snapshot->Plan(revision), plan);
  EXPECT_EQ(FromPlan(*snapshot, revision), FromMap(*snapshot, *revision));
}

TEST(TreeSnapshotPlanTest, AnotherRevisionGetsItsOwnPlan) {
  auto snapshot = Tree("US");
  auto first = Revision(1);
  auto second = std::make_shared<v1::PolicyRevision>(*Revision(2));
  // The US is no longer served, so the fit differs.
  for (auto& region : *second->mutable_policy()->mutable_regions()) {
    auto* codes = region.mutable_codes();
    codes->erase(std::remove(codes->begin(), codes->end(), "US"), codes->end());
  }
  auto plan = snapshot->Plan(first);
  EXPECT_NE(snapshot->Plan(second), plan);
  EXPECT_EQ(FromPlan(*snapshot, second), FromMap(*snapshot, *second));
  EXPECT_NE(FromPlan(*snapshot, second), FromPlan(*snapshot, first));
  EXPECT_EQ(FromPlan(*snapshot, first), FromMap(*snapshot, *first));
}

TEST(TreeSnapshotPlanTest, ACopyWithAnotherMapDoesNotKeepTheOldPlan) {
  auto snapshot = Tree("US");
  auto revision = Revision(1);
  auto plan = snapshot->Plan(revision);
  // What a write does to a cached snapshot: copy it, replace the map.
  auto next = std::make_shared<TreeSnapshot>(*snapshot);
  next->map = Tree("ZZ")->map;
  EXPECT_NE(next->Plan(revision), plan);
  EXPECT_EQ(FromPlan(*next, revision), FromMap(*next, *revision));
  EXPECT_NE(FromPlan(*next, revision), FromPlan(*snapshot, revision));
}

TEST(TreeSnapshotPlanTest, KeepsItsMapAndPolicyAliveAfterTheSnapshotGoes) {
  auto snapshot = Tree("US");
  auto revision = Revision(1);
  const std::string expected = FromMap(*snapshot, *revision);
  auto signals = snapshot->signals;
  auto plan = snapshot->Plan(revision);
  snapshot.reset();
  revision.reset();
  EXPECT_EQ(Qualify(*plan, *signals, 1, kAsOf).SerializeAsString(), expected);
}

TEST(TreeSnapshotPlanTest, ReadersOnManyThreadsGetTheSameVerdict) {
  auto snapshot = Tree("US");
  auto revisions = std::vector{Revision(1), Revision(2)};
  std::vector<std::string> expected;
  for (const auto& r : revisions) expected.push_back(FromMap(*snapshot, *r));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const auto& r = revisions[(i + t) % 2];
        if (FromPlan(*snapshot, r) != expected[(i + t) % 2]) ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(TreeSnapshotPlanTest, TheBudgetAllowsForThePlan) {
  for (int people : {0, 1, 40}) {
    auto snapshot = Tree("US");
    auto map = std::make_shared<v1::CommitteeMap>(*snapshot->map);
    for (int i = 0; i < people; ++i) {
      auto* p = map->add_stakeholders();
      p->set_name(absl::StrCat("accounts/a/stakeholders/person-", i));
      p->add_roles()->set_role(v1::COMMITTEE_ROLE_QUALITY);
    }
    snapshot->map = map;
    const size_t bytes = snapshot->ApproximateBytes();
    auto plan = snapshot->Plan(Revision(1));
    EXPECT_GE(bytes, ApproximateBytes(*plan) + map->SpaceUsedLong() +
                         snapshot->signals->ApproximateBytes())
        << people << " people: plan " << ApproximateBytes(*plan) << ", map "
        << map->SpaceUsedLong();
  }
}

}  // namespace
}  // namespace quorum::graph
