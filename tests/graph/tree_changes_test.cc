// graph/store/tree_changes.h: which account trees a write's keys touch, and
// a transaction that records them as it writes.
#include "graph/store/tree_changes.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/storage/layout.h"
#include "graph/storage/memory_engine.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
namespace layout = ::quorum::graph::layout;

TEST(TreeTouchedByTest, RecordsOfAnAccountTouchItsTree) {
  for (auto [db, key] : std::vector<std::pair<absl::string_view, std::string>>{
           {layout::kAccounts, "accounts/a"},
           {layout::kSitesDb, "accounts/a/sites/main"},
           {layout::kStakeholdersDb, "accounts/a/stakeholders/jo"},
           {layout::kRelationshipsDb, "accounts/a/relationships/r"},
           {layout::kChildren, "a/child"}}) {
    auto touched = TreeTouchedBy(db, key);
    ASSERT_TRUE(touched.has_value()) << db << " " << key;
    EXPECT_EQ(touched->account_id, "a") << db;
    EXPECT_FALSE(touched->signal) << db;
  }
}

TEST(TreeTouchedByTest, ASignalTouchesItsAccountAsASignal) {
  auto touched =
      TreeTouchedBy(layout::kSignals, "accounts/a|0000000000000000001|s");
  ASSERT_TRUE(touched.has_value());
  EXPECT_EQ(touched->account_id, "a");
  EXPECT_TRUE(touched->signal);
}

TEST(TreeTouchedByTest, IndexesAndRecordsNoVerdictReadsTouchNothing) {
  for (absl::string_view db :
       {layout::kEmails, layout::kDomains, layout::kNotes, layout::kMeta,
        layout::kReadiness, layout::kReadinessOf, layout::kSignalIds,
        layout::kRequestIds}) {
    EXPECT_FALSE(TreeTouchedBy(db, "accounts/a").has_value()) << db;
  }
}

TEST(ChangeRecordingTxnTest, RecordsWritesInSavepointsTooButNotFailedOnes) {
  MemoryEngine engine(layout::AllDatabases());
  ChangesByTree changes;
  ASSERT_THAT(engine.Write([&](Txn& raw) -> absl::Status {
    ChangeRecordingTxn txn(raw, changes);
    absl::Status s = txn.Put(layout::kSitesDb, "accounts/a/sites/x", "");
    if (s.ok()) s = txn.Put(layout::kSignals, "accounts/b|1|s", "");
    if (s.ok()) s = txn.Put(layout::kEmails, "jo@example.com", "");
    if (s.ok()) {
      s = txn.Savepoint([](Txn& nested) {
        return nested.Delete(layout::kStakeholdersDb,
                             "accounts/c/stakeholders/p");
      });
    }
    if (!s.ok()) return s;
    // A put the engine refuses (no such database) records nothing.
    EXPECT_FALSE(txn.Put("no-such-db", "accounts/d", "").ok());
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_TRUE(changes["a"].structure);
  EXPECT_THAT(changes["a"].signals, IsEmpty());
  EXPECT_FALSE(changes["b"].structure);
  EXPECT_THAT(changes["b"].signals, ElementsAre("accounts/b|1|s"));
  EXPECT_TRUE(changes["c"].structure);
}

}  // namespace
}  // namespace quorum::graph
