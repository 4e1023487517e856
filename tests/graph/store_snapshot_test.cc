// Verdicts from the snapshot cache equal verdicts computed from a fresh read
// of the store, after random sequences of writes, at several as_of values;
// so does what the readiness index keeps (QualifyRoute).
#include <random>

#include "google/protobuf/util/message_differencer.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/model/time.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

const absl::Time kStart = absl::FromCivil(absl::CivilDay(2026, 3, 1),
                                          absl::UTCTimeZone());
const std::vector<std::string> kAccounts = {"sys", "h1", "h2", "solo"};

class StoreSnapshotTest : public StoreTest {
 protected:
  void SetUp() override {
    now_ = kStart;
    StoreTest::SetUp();
    ASSERT_TRUE(store_->policies()
                    .PublishPolicy(graph::DefaultPolicy(), "default")
                    .ok());
    AddAccount("sys");
    AddAccount("h1", "sys");
    AddAccount("h2", "sys");
    AddAccount("solo");
    AddSite("h1", "main");
    for (const std::string& a : kAccounts) people_[a] = {};
  }

  // The verdict the server gives (snapshot) and one from a fresh read.
  void ExpectSnapshotVerdictsMatchFreshReads(const std::string& step) {
    auto policy = store_->store().CurrentPolicy();
    ASSERT_TRUE(policy.ok()) << policy.status();
    for (const std::string& id : kAccounts) {
      auto snapshot = store_->store().Snapshot(AccountName(id));
      ASSERT_TRUE(snapshot.ok()) << snapshot.status();
      auto tree = store_->store().LoadAccountTree(AccountName(id));
      ASSERT_TRUE(tree.ok()) << tree.status();
      ASSERT_EQ((*snapshot)->signals->size(), tree->signals.size())
          << id << " after " << step;
      for (absl::Duration offset : {absl::ZeroDuration(), -absl::Hours(24 * 40),
                                    absl::Hours(24 * 75), -absl::Hours(24 * 400)}) {
        for (auto view : {v1::VERDICT_VIEW_BASIC, v1::VERDICT_VIEW_FULL}) {
          const absl::Time as_of = now_ + offset;
          const v1::Verdict cached = graph::Qualify(
              *(*snapshot)->map, *(*snapshot)->signals, (*policy)->policy(),
              (*policy)->revision(), as_of, view);
          const v1::Verdict fresh =
              graph::Qualify(*tree, (*policy)->policy(), (*policy)->revision(),
                             as_of, view);
          std::string diff;
          google::protobuf::util::MessageDifferencer differ;
          differ.ReportDifferencesToString(&diff);
          EXPECT_TRUE(differ.Compare(fresh, cached))
              << id << " after " << step << " at offset " << offset << ": "
              << diff;
          // What QualifyAccount serves: the snapshot's plan, kept with it
          // across the calls of every step.
          const v1::Verdict planned =
              graph::Qualify(*(*snapshot)->Plan(*policy), *(*snapshot)->signals,
                             (*policy)->revision(), as_of, view);
          EXPECT_EQ(planned.SerializeAsString(), fresh.SerializeAsString())
              << id << " after " << step << " at offset " << offset;
          // What the readiness index keeps is the full verdict's.
          const v1::Verdict route = graph::QualifyRoute(
              *(*snapshot)->map, *(*snapshot)->signals, (*policy)->policy(),
              (*policy)->revision(), as_of);
          EXPECT_EQ(route.route(), fresh.route()) << id << " after " << step;
          EXPECT_EQ(route.decided_by(), fresh.decided_by());
          EXPECT_EQ(route.readiness(), fresh.readiness());
          EXPECT_EQ(route.stage(), fresh.stage());
          EXPECT_EQ(route.intent().score(), fresh.intent().score());
          EXPECT_EQ(route.committee().coverage(), fresh.committee().coverage());
          EXPECT_EQ(route.fit().result(), fresh.fit().result());
          EXPECT_EQ(route.intent().signals_size(), 0);
          EXPECT_LE(route.reasons_size(), 1) << "the deciding rule's only";
        }
      }
    }
    EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
  }

  void RandomWrite(std::mt19937& rng, int step) {
    const std::string account = kAccounts[rng() % kAccounts.size()];
    auto& people = people_[account];
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {  // A batch of signals, some for people, some repeated.
        v1::RecordSignalsRequest request;
        const int n = 1 + rng() % 5;
        for (int i = 0; i < n; ++i) {
          auto* r = request.add_requests();
          r->set_parent(AccountName(account));
          r->set_signal_id(absl::StrCat("s", rng() % 60));
          auto* s = r->mutable_signal();
          s->set_type(static_cast<v1::SignalType>(1 + rng() % 13));
          s->set_topic(static_cast<v1::SignalTopic>(rng() % 6));
          *s->mutable_occur_time() = graph::ToProto(
              now_ - absl::Hours(rng() % (24 * 200)));
          if (!people.empty() && rng() % 2) {
            s->set_stakeholder(
                StakeholderName(account, people[rng() % people.size()]));
          }
        }
        auto recorded = store_->signals().RecordSignals(request);
        EXPECT_TRUE(recorded.ok()) << recorded.status();
        break;
      }
      case 3: {  // A new person with a role.
        const std::string id = absl::StrCat("p", step);
        v1::Stakeholder s = NewStakeholder(absl::StrCat("Person ", id));
        auto* role = s.add_roles();
        role->set_role(static_cast<v1::CommitteeRole>(1 + rng() % 6));
        role->set_source(rng() % 2 ? v1::ROLE_SOURCE_CONFIRMED
                                   : v1::ROLE_SOURCE_INFERRED);
        s.set_engagement(static_cast<v1::Engagement>(rng() % 5));
        if (store_->accounts()
                .CreateStakeholder(AccountName(account), s, id)
                .ok()) {
          people.push_back(id);
        }
        break;
      }
      case 4: {  // Someone's engagement changes.
        if (people.empty()) break;
        v1::Stakeholder patch;
        patch.set_name(StakeholderName(account, people[rng() % people.size()]));
        patch.set_engagement(static_cast<v1::Engagement>(1 + rng() % 4));
        EXPECT_TRUE(store_->accounts()
                        .UpdateStakeholder(patch, Mask({"engagement"}))
                        .ok());
        break;
      }
      case 5: {  // The account's stage moves.
        v1::Account patch;
        patch.set_name(AccountName(account));
        patch.set_evaluation_stage(static_cast<v1::EvaluationStage>(rng() % 5));
        EXPECT_TRUE(store_->accounts()
                        .UpdateAccount(patch, Mask({"evaluation_stage"}))
                        .ok());
        break;
      }
      case 6: {  // Two people relate.
        if (people.size() < 2) break;
        const std::string a = people[rng() % people.size()];
        const std::string b = people[rng() % people.size()];
        if (a == b) break;
        (void)store_->accounts().CreateRelationship(
            AccountName(account),
            NewRelationship(StakeholderName(account, a),
                            StakeholderName(account, b),
                            v1::RELATIONSHIP_TYPE_REPORTS_TO),
            absl::StrCat("r", step));
        break;
      }
      case 7: {  // Someone leaves (their relationships go too).
        if (people.empty()) break;
        const size_t at = rng() % people.size();
        EXPECT_TRUE(
            store_->accounts()
                .DeleteStakeholder(StakeholderName(account, people[at]), "")
                .ok());
        people.erase(people.begin() + at);
        break;
      }
    }
    now_ += absl::Hours(rng() % 48);
  }

  // Random writes over several seeds, with snapshot verdicts compared to
  // fresh reads every ten.
  void RandomWritesKeepSnapshotsTrue();

  std::map<std::string, std::vector<std::string>> people_;
};

void StoreSnapshotTest::RandomWritesKeepSnapshotsTrue() {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    for (int step = 0; step < 60; ++step) {
      RandomWrite(rng, step + 1000 * seed);
      // Warm some snapshots between writes, so that writes update them.
      if (rng() % 3 == 0) {
        (void)store_->store().Snapshot(
            AccountName(kAccounts[rng() % kAccounts.size()]));
      }
      if (step % 10 == 9) {
        ExpectSnapshotVerdictsMatchFreshReads(
            absl::StrCat("seed ", seed, " step ", step));
      }
    }
  }
}

TEST_F(StoreSnapshotTest,
       VerdictsFromSnapshotsEqualFreshReadsAfterRandomWrites) {
  RandomWritesKeepSnapshotsTrue();
}

// The same store on the in-memory engine: the store depends on the
// KvEngine contract only.
class StoreSnapshotInMemoryTest : public StoreSnapshotTest {
 protected:
  void SetUp() override {
    in_memory_ = true;
    StoreSnapshotTest::SetUp();
  }
};

TEST_F(StoreSnapshotInMemoryTest,
       VerdictsFromSnapshotsEqualFreshReadsAfterRandomWrites) {
  RandomWritesKeepSnapshotsTrue();
  EXPECT_THAT(store_->admin().CheckIndexes(), ::quorum::testing::IsOk());
}

TEST_F(StoreSnapshotTest, SnapshotsSurviveAPolicyWithAnotherHalfLife) {
  std::mt19937 rng(11);
  for (int step = 0; step < 20; ++step) RandomWrite(rng, step);
  ExpectSnapshotVerdictsMatchFreshReads("before the publish");
  v1::Policy policy = graph::DefaultPolicy();
  policy.mutable_intent()->mutable_half_life()->set_seconds(86400 * 3);
  ASSERT_TRUE(store_->policies().PublishPolicy(policy, "short half-life").ok());
  ExpectSnapshotVerdictsMatchFreshReads("after the publish");
  for (int step = 20; step < 40; ++step) RandomWrite(rng, step);
  ExpectSnapshotVerdictsMatchFreshReads("after more writes");
}

TEST_F(StoreSnapshotTest, AWriteIsSeenByTheNextVerdict) {
  ASSERT_TRUE(store_->store().Snapshot(AccountName("sys")).ok());  // Warm.
  v1::RecordSignalsRequest request;
  auto* r = request.add_requests();
  r->set_parent(AccountName("h2"));
  r->set_signal_id("fresh");
  r->mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  *r->mutable_signal()->mutable_occur_time() = graph::ToProto(now_);
  ASSERT_TRUE(store_->signals().RecordSignals(request).ok());
  auto snapshot = store_->store().Snapshot(AccountName("sys"));
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->signals->size(), 1u)
      << "the parent's snapshot took in the child's signal";
  ASSERT_TRUE(
      store_->accounts().DeleteAccount(AccountName("h2"), "", true).ok());
  snapshot = store_->store().Snapshot(AccountName("sys"));
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->signals->size(), 0u);
  EXPECT_EQ((*snapshot)->map->descendants_size(), 1);
  EXPECT_THAT(store_->store().Snapshot(AccountName("h2")),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace quorum::testing
