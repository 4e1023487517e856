// Store policy revisions on a real LMDB: numbering, the active revision,
// old revisions, listing newest first with paging, refusal of invalid
// policies and persistence across reopening.
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "graph/rules/policy.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using v1::Policy;
using v1::PolicyRevision;

// The default policy with another high-intent threshold, so revisions can
// be told apart by their content.
Policy PolicyWithThreshold(double threshold) {
  Policy policy = graph::DefaultPolicy();
  policy.mutable_intent()->set_high_intent_threshold(threshold);
  return policy;
}

std::vector<int64_t> RevisionNumbers(const std::vector<PolicyRevision>& list) {
  std::vector<int64_t> numbers;
  for (const auto& r : list) numbers.push_back(r.revision());
  return numbers;
}

std::vector<bool> ActiveFlags(const std::vector<PolicyRevision>& list) {
  std::vector<bool> flags;
  for (const auto& r : list) flags.push_back(r.active());
  return flags;
}

class StorePolicyTest : public StoreTest {
 protected:
  // Publishes thresholds 10, 20, ... as revisions 1, 2, ...
  void PublishRevisions(int count) {
    for (int i = 1; i <= count; ++i) {
      auto published = store_->policies().PublishPolicy(
          PolicyWithThreshold(10.0 * i), absl::StrCat("revision ", i));
      ASSERT_TRUE(published.ok()) << published.status();
      ASSERT_EQ(published->revision(), i);
    }
  }

  // Every revision, listed `page_size` at a time; the sizes of the pages
  // go to `page_sizes` when not null.
  std::vector<PolicyRevision> ListAll(int page_size,
                                      std::vector<int>* page_sizes = nullptr) {
    std::vector<PolicyRevision> all;
    std::string start_after;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page =
          store_->policies().ListPolicyRevisions(page_size, start_after);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      if (page_sizes != nullptr) {
        page_sizes->push_back(static_cast<int>(page->items.size()));
      }
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (!page->more) break;
      start_after = page->last_key;
    }
    return all;
  }
};

TEST_F(StorePolicyTest, BeforeAnyPublishNoRevisionIsFound) {
  EXPECT_THAT(store_->policies().GetPolicyRevision(0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->policies().GetPolicyRevision(1),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto page,
                       store_->policies().ListPolicyRevisions(10, ""));
  EXPECT_THAT(page.items, IsEmpty());
  EXPECT_FALSE(page.more);
}

TEST_F(StorePolicyTest, PublishingNumbersRevisionsFromOne) {
  std::vector<int64_t> numbers;
  for (int i = 1; i <= 3; ++i) {
    now_ += absl::Minutes(5);
    ASSERT_OK_AND_ASSIGN(
        PolicyRevision published,
        store_->policies().PublishPolicy(PolicyWithThreshold(10.0 * i),
                                         absl::StrCat("change ", i)));
    numbers.push_back(published.revision());
    EXPECT_TRUE(published.active());
    EXPECT_EQ(published.description(), absl::StrCat("change ", i));
    EXPECT_THAT(published.policy(), EqualsProto(PolicyWithThreshold(10.0 * i)));
    EXPECT_EQ(published.create_time().seconds(), absl::ToUnixSeconds(now_));
  }
  EXPECT_THAT(numbers, ElementsAre(1, 2, 3));
}

TEST_F(StorePolicyTest, RevisionZeroIsTheNewestAndActive) {
  PublishRevisions(3);
  ASSERT_OK_AND_ASSIGN(PolicyRevision active,
                       store_->policies().GetPolicyRevision(0));
  EXPECT_EQ(active.revision(), 3);
  EXPECT_TRUE(active.active());
  EXPECT_EQ(active.description(), "revision 3");
  EXPECT_THAT(active.policy(), EqualsProto(PolicyWithThreshold(30)));
  // Asking for it by number gives the same, active too.
  ASSERT_OK_AND_ASSIGN(PolicyRevision three,
                       store_->policies().GetPolicyRevision(3));
  EXPECT_THAT(three, EqualsProto(active));
}

TEST_F(StorePolicyTest, OldRevisionsStayReadableAndInactive) {
  PublishRevisions(3);
  for (int64_t r : {1, 2}) {
    ASSERT_OK_AND_ASSIGN(PolicyRevision old,
                         store_->policies().GetPolicyRevision(r));
    EXPECT_EQ(old.revision(), r);
    EXPECT_FALSE(old.active()) << r;
    EXPECT_EQ(old.description(), absl::StrCat("revision ", r));
    EXPECT_THAT(old.policy(), EqualsProto(PolicyWithThreshold(10.0 * r)));
  }
}

TEST_F(StorePolicyTest, UnknownRevisionIsNotFound) {
  PublishRevisions(2);
  EXPECT_THAT(store_->policies().GetPolicyRevision(3),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("latest is 2")));
  EXPECT_THAT(store_->policies().GetPolicyRevision(99),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      store_->policies().GetPolicyRevision(std::numeric_limits<int64_t>::max()),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StorePolicyTest, NegativeRevisionIsInvalid) {
  PublishRevisions(1);
  EXPECT_THAT(store_->policies().GetPolicyRevision(-1),
              HasViolationOn("revision"));
  EXPECT_THAT(
      store_->policies().GetPolicyRevision(std::numeric_limits<int64_t>::min()),
      HasViolationOn("revision"));
}

TEST_F(StorePolicyTest, InvalidPolicyIsRefusedAndNothingIsStored) {
  Policy broken = graph::DefaultPolicy();
  broken.clear_nurture_tracks();
  broken.mutable_routing_rules(0)->set_route(v1::ROUTE_DISQUALIFY);
  auto refused = store_->policies().PublishPolicy(broken, "broken");
  EXPECT_THAT(refused, HasViolationOn("policy.nurture_tracks"));
  EXPECT_THAT(refused, HasViolationOn("policy.routing_rules[0].route"));
  EXPECT_THAT(store_->policies().GetPolicyRevision(0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RawKeys("policies"), IsEmpty());
}

TEST_F(StorePolicyTest, RefusedPolicyLeavesTheActiveRevisionAndNumbering) {
  PublishRevisions(1);
  EXPECT_THAT(store_->policies().PublishPolicy(Policy(), "empty"),
              HasViolationOn("policy.fit_checks"));
  ASSERT_OK_AND_ASSIGN(PolicyRevision active,
                       store_->policies().GetPolicyRevision(0));
  EXPECT_EQ(active.revision(), 1);
  EXPECT_THAT(active.policy(), EqualsProto(PolicyWithThreshold(10)));
  // The refused publish used no revision number.
  ASSERT_OK_AND_ASSIGN(
      PolicyRevision next,
      store_->policies().PublishPolicy(PolicyWithThreshold(99), "next"));
  EXPECT_EQ(next.revision(), 2);
}

TEST_F(StorePolicyTest, PublishingAnEqualPolicyStillCreatesARevision) {
  ASSERT_OK(store_->policies().PublishPolicy(graph::DefaultPolicy(), "first"));
  ASSERT_OK_AND_ASSIGN(
      PolicyRevision again,
      store_->policies().PublishPolicy(graph::DefaultPolicy(), "again"));
  EXPECT_EQ(again.revision(), 2);
}

TEST_F(StorePolicyTest, ListIsNewestFirstWithOnlyTheNewestActive) {
  PublishRevisions(3);
  ASSERT_OK_AND_ASSIGN(auto page,
                       store_->policies().ListPolicyRevisions(50, ""));
  EXPECT_THAT(RevisionNumbers(page.items), ElementsAre(3, 2, 1));
  EXPECT_THAT(ActiveFlags(page.items), ElementsAre(true, false, false));
  EXPECT_FALSE(page.more);
  EXPECT_THAT(page.items[2].policy(), EqualsProto(PolicyWithThreshold(10)));
}

TEST_F(StorePolicyTest, ListPagesWithLimitAndLastKey) {
  PublishRevisions(5);
  ASSERT_OK_AND_ASSIGN(auto first,
                       store_->policies().ListPolicyRevisions(2, ""));
  EXPECT_THAT(RevisionNumbers(first.items), ElementsAre(5, 4));
  EXPECT_THAT(ActiveFlags(first.items), ElementsAre(true, false));
  EXPECT_TRUE(first.more);
  ASSERT_FALSE(first.last_key.empty());

  ASSERT_OK_AND_ASSIGN(
      auto second, store_->policies().ListPolicyRevisions(2, first.last_key));
  EXPECT_THAT(RevisionNumbers(second.items), ElementsAre(3, 2));
  EXPECT_THAT(ActiveFlags(second.items), ElementsAre(false, false));
  EXPECT_TRUE(second.more);

  ASSERT_OK_AND_ASSIGN(
      auto third, store_->policies().ListPolicyRevisions(2, second.last_key));
  EXPECT_THAT(RevisionNumbers(third.items), ElementsAre(1));
  EXPECT_FALSE(third.more);
}

TEST_F(StorePolicyTest, ListWithLimitEqualToTheCountHasNoMore) {
  PublishRevisions(3);
  ASSERT_OK_AND_ASSIGN(auto page,
                       store_->policies().ListPolicyRevisions(3, ""));
  EXPECT_THAT(RevisionNumbers(page.items), ElementsAre(3, 2, 1));
  EXPECT_FALSE(page.more);
}

TEST_F(StorePolicyTest, ListOrdersRevisionsNumericallyPastNine) {
  PublishRevisions(12);
  std::vector<int> page_sizes;
  std::vector<PolicyRevision> all = ListAll(5, &page_sizes);
  EXPECT_THAT(RevisionNumbers(all),
              ElementsAre(12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1));
  EXPECT_THAT(page_sizes, ElementsAre(5, 5, 2));
  ASSERT_OK_AND_ASSIGN(PolicyRevision active,
                       store_->policies().GetPolicyRevision(0));
  EXPECT_EQ(active.revision(), 12);
}

TEST_F(StorePolicyTest, ListRefusesANonPositiveLimit) {
  PublishRevisions(1);
  EXPECT_THAT(store_->policies().ListPolicyRevisions(0, ""), Not(IsOk()));
  EXPECT_THAT(store_->policies().ListPolicyRevisions(-5, ""), Not(IsOk()));
}

TEST_F(StorePolicyTest, RevisionsSurviveReopeningTheStore) {
  PublishRevisions(2);
  Reopen();
  ASSERT_OK_AND_ASSIGN(PolicyRevision active,
                       store_->policies().GetPolicyRevision(0));
  EXPECT_EQ(active.revision(), 2);
  EXPECT_TRUE(active.active());
  EXPECT_THAT(active.policy(), EqualsProto(PolicyWithThreshold(20)));
  ASSERT_OK_AND_ASSIGN(PolicyRevision first,
                       store_->policies().GetPolicyRevision(1));
  EXPECT_FALSE(first.active());
  EXPECT_EQ(first.description(), "revision 1");
  // Numbering continues where it was.
  ASSERT_OK_AND_ASSIGN(
      PolicyRevision third,
      store_->policies().PublishPolicy(PolicyWithThreshold(30), "third"));
  EXPECT_EQ(third.revision(), 3);
  EXPECT_THAT(RevisionNumbers(ListAll(10)), ElementsAre(3, 2, 1));
}

// A listing is one consistent view: while another thread publishes, the
// first revision of a first page is always the active one, and no page
// holds more than one active revision.
TEST_F(StorePolicyTest, ListIsConsistentWhilePublishing) {
  PublishRevisions(1);
  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      if (store_->policies()
              .PublishPolicy(PolicyWithThreshold(1000 + i), "concurrent")
              .ok()) {
        ++published;
      }
    }
  });
  int inconsistent = 0;
  for (int i = 0; i < 2000 && published < 200; ++i) {
    auto page = store_->policies().ListPolicyRevisions(3, "");
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_FALSE(page->items.empty());
    int active = 0;
    for (const auto& r : page->items) active += r.active() ? 1 : 0;
    if (!page->items[0].active() || active != 1) ++inconsistent;
  }
  stop = true;
  publisher.join();
  EXPECT_EQ(inconsistent, 0);
  EXPECT_GT(published, 0);
}

}  // namespace
}  // namespace quorum::testing
