// A store whose stored counters or index keys are damaged answers DATA_LOSS
// instead of throwing from a number parser (std::stoi and friends used to).
#include "graph/rules/policy.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

class StoreCorruptionTest : public StoreTest {
 protected:
  // Writes `value` under `key` of database `db` with the store closed.
  void Damage(const std::string& db, const std::string& key,
              const std::string& value) {
    RawWrite({db}, [&](graph::Txn& txn) { return txn.Put(db, key, value); });
  }
};

TEST_F(StoreCorruptionTest, ADamagedSequenceNumberIsDataLossNotACrash) {
  AddAccount("first");
  Damage("meta", "seq", "not-a-number");
  auto created =
      store_->accounts().CreateAccount(NewAccount("Second"), "second");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kDataLoss)
      << created.status();
  EXPECT_NE(created.status().message().find("sequence"), std::string::npos);
}

TEST_F(StoreCorruptionTest, ADamagedReadinessKeyIsDataLossNotACrash) {
  ASSERT_TRUE(
      store_->policies().PublishPolicy(graph::DefaultPolicy(), "default").ok());
  AddAccount("first");
  // Among the accounts' own keys, which begin with three digits.
  Damage("readiness", "9x|accounts/first", "");
  v1::ListAccountReadinessRequest request;
  auto listed = store_->readiness().ListAccountReadiness(request);
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kDataLoss)
      << listed.status();
}

}  // namespace
}  // namespace quorum::testing
