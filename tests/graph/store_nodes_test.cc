// Several stores (quorumd nodes) over one shared engine: what one node
// commits, every other node's snapshots, policy and change feed show at
// once. The engine here is one MemoryEngine behind a wrapper per node that
// says it is shared and tells the other nodes of each commit, as the
// PostgreSQL engine does (tests/graph/postgres_engine_test.cc runs the
// engine itself; tests/e2e the nodes as processes).
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "graph/rules/policy.h"
#include "graph/storage/layout.h"
#include "graph/storage/memory_engine.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using graph::KvEngine;
using graph::MemoryEngine;
using graph::Txn;

// The commits of every node, announced to every other node.
class Announcer {
 public:
  void Join(const void* node, std::function<void(uint64_t)> fn) {
    std::lock_guard lock(mu_);
    listeners_.emplace_back(node, std::move(fn));
  }
  void Announce(const void* from, uint64_t version) {
    std::lock_guard lock(mu_);
    for (auto& [node, fn] : listeners_) {
      if (node != from && fn) fn(version);
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<const void*, std::function<void(uint64_t)>>> listeners_;
};

// One node's view of the shared engine.
class NodeEngine : public KvEngine {
 public:
  NodeEngine(std::shared_ptr<MemoryEngine> data,
             std::shared_ptr<Announcer> announcer)
      : data_(std::move(data)), announcer_(std::move(announcer)) {}

  absl::Status Read(const TxnFn& fn) const override { return data_->Read(fn); }
  absl::Status Write(const TxnFn& fn, const CommitFn& committed) override {
    return data_->Write(fn, [&](uint64_t version) {
      if (committed) committed(version);
      announcer_->Announce(this, version);
    });
  }
  absl::Status CopyCompacted(const std::string& dir) const override {
    return data_->CopyCompacted(dir);
  }
  size_t map_size() const override { return data_->map_size(); }
  bool shared() const override { return true; }
  void OnExternalCommit(std::function<void(uint64_t)> fn) override {
    announcer_->Join(this, std::move(fn));
  }

 private:
  std::shared_ptr<MemoryEngine> data_;
  std::shared_ptr<Announcer> announcer_;
};

const absl::Time kNow = absl::FromUnixSeconds(1780000000);

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class StoreNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = std::make_shared<MemoryEngine>(graph::layout::AllDatabases());
    a_ = OpenNode();
    b_ = OpenNode();
    ASSERT_OK(a_->policies().PublishPolicy(graph::DefaultPolicy(), "default"));
    ASSERT_OK(a_->accounts().CreateAccount(NewAccount("Lab"), "lab"));
  }

  std::unique_ptr<graph::UseCases> OpenNode() {
    graph::Store::Options options;
    options.clock = [] { return kNow; };
    auto store = graph::Store::Open(
        std::make_unique<NodeEngine>(data_, announcer_), std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    return std::make_unique<graph::UseCases>(*std::move(store));
  }

  // The people node `node` sees in the lab's committee map (its snapshot).
  size_t PeopleSeenBy(graph::UseCases& node) {
    auto snapshot = node.store().Snapshot(AccountName("lab"));
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? (*snapshot)->map->stakeholders_size() : 0;
  }

  void RecordDemoRequest(graph::UseCases& node, absl::string_view id) {
    v1::RecordSignalsRequest request;
    v1::CreateSignalRequest* r = request.add_requests();
    r->set_parent(AccountName("lab"));
    r->set_signal_id(std::string(id));
    r->mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
    r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
    *r->mutable_signal()->mutable_occur_time() = Ts(kNow - absl::Hours(2));
    ASSERT_OK(node.signals().RecordSignals(request));
  }

  std::shared_ptr<MemoryEngine> data_;
  std::shared_ptr<Announcer> announcer_ = std::make_shared<Announcer>();
  std::unique_ptr<graph::UseCases> a_;
  std::unique_ptr<graph::UseCases> b_;
};

TEST_F(StoreNodesTest, ASnapshotCachedOnOneNodeShowsAWriteMadeOnAnother) {
  EXPECT_EQ(PeopleSeenBy(*b_), 0u);  // Now cached on b.
  ASSERT_OK(a_->accounts().CreateStakeholder(
      AccountName("lab"), NewStakeholder("Ana Lab", "ana@lab.example"), "ana"));
  EXPECT_EQ(PeopleSeenBy(*b_), 1u);
  EXPECT_EQ(PeopleSeenBy(*a_), 1u);
}

TEST_F(StoreNodesTest, AWriteOnOneNodeBuildsOnWhatAnotherNodeCommitted) {
  EXPECT_EQ(PeopleSeenBy(*a_), 0u);
  EXPECT_EQ(PeopleSeenBy(*b_), 0u);
  ASSERT_OK(b_->accounts().CreateStakeholder(AccountName("lab"),
                                             NewStakeholder("Ana Lab"), "ana"));
  // a's own write starts from b's commit, not from a's cached tree.
  ASSERT_OK(a_->accounts().CreateStakeholder(AccountName("lab"),
                                             NewStakeholder("Bo Lab"), "bo"));
  EXPECT_EQ(PeopleSeenBy(*a_), 2u);
  EXPECT_EQ(PeopleSeenBy(*b_), 2u);
  auto tree = b_->store().LoadAccountTree(AccountName("lab"));
  ASSERT_OK(tree);
  EXPECT_EQ(tree->map.stakeholders_size(), 2);
}

TEST_F(StoreNodesTest, APolicyPublishedOnOneNodeIsTheOneEveryNodeQualifiesBy) {
  auto before = b_->store().CurrentPolicy();
  ASSERT_OK(before);
  v1::Policy stricter = graph::DefaultPolicy();
  stricter.mutable_intent()->set_high_intent_threshold(
      stricter.intent().high_intent_threshold() + 7);
  auto published = a_->policies().PublishPolicy(stricter, "stricter");
  ASSERT_OK(published);
  auto after = b_->store().CurrentPolicy();
  ASSERT_OK(after);
  EXPECT_EQ((*after)->revision(), published->revision());
  EXPECT_GT((*after)->revision(), (*before)->revision());
}

TEST_F(StoreNodesTest, TheChangeFeedHasOneOrderWhicheverNodeWrites) {
  RecordDemoRequest(*a_, "s1");
  ASSERT_OK(b_->accounts().CreateAccount(NewAccount("Clinic"), "clinic"));
  RecordDemoRequest(*b_, "s2");
  ASSERT_OK(a_->accounts().DeleteAccount(AccountName("clinic"), "", false));
  auto from_a = a_->readiness().ReadinessEvents(0, 1000);
  auto from_b = b_->readiness().ReadinessEvents(0, 1000);
  ASSERT_OK(from_a);
  ASSERT_OK(from_b);
  ASSERT_EQ(from_a->size(), from_b->size());
  ASSERT_FALSE(from_a->empty());
  for (size_t i = 0; i < from_a->size(); ++i) {
    EXPECT_EQ((*from_a)[i].sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ((*from_a)[i].SerializeAsString(),
              (*from_b)[i].SerializeAsString());
  }
}

TEST_F(StoreNodesTest, AWatcherOnOneNodeWakesForAnEventAnotherNodeCommits) {
  const int64_t head = b_->readiness().LastEventSequence();
  absl::Notification woke;
  bool seen = false;
  std::thread watcher([&] {
    seen = b_->readiness().WaitForEvents(head, absl::Seconds(30));
    woke.Notify();
  });
  RecordDemoRequest(*a_, "s1");
  // Woken by a's commit, well before the 30 s timeout.
  EXPECT_TRUE(woke.WaitForNotificationWithTimeout(absl::Seconds(10)));
  watcher.join();
  EXPECT_TRUE(seen);
}

TEST_F(StoreNodesTest, ANodeThatMissedTheCommitLogForgetsItsSnapshots) {
  EXPECT_EQ(PeopleSeenBy(*b_), 0u);
  ASSERT_OK(a_->accounts().CreateStakeholder(AccountName("lab"),
                                             NewStakeholder("Ana Lab"), "ana"));
  // As if the record had been trimmed before b read it.
  ASSERT_OK(data_->Write([](Txn& txn) -> absl::Status {
    std::vector<std::string> keys;
    RETURN_IF_ERROR(txn.Scan(graph::layout::kCommitLog, "", "",
                             [&](absl::string_view key, absl::string_view) {
                               keys.emplace_back(key);
                               return true;
                             }));
    for (const std::string& key : keys) {
      RETURN_IF_ERROR(txn.Delete(graph::layout::kCommitLog, key));
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(PeopleSeenBy(*b_), 1u);
}

}  // namespace
}  // namespace quorum::testing
