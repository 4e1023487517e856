// Data folders written by an older quorumd open as they are: what changed
// form since is brought to the current form once, on open.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "graph/model/time.h"
#include "graph/rules/policy.h"
#include "graph/storage/layout.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/records.pb.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

namespace layout = ::quorum::graph::layout;
using ::testing::HasSubstr;

class StoreUpgradeTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_THAT(store_->policies()
                    .PublishPolicy(graph::DefaultPolicy(), "default")
                    .status(),
                IsOk());
    AddAccount("sys");
    AddAccount("h1", "sys");
    AddAccount("solo");
    AddSite("h1", "main");
    AddStakeholder("h1", "director");
    v1::RecordSignalsRequest signals;
    for (const char* id : {"a", "b"}) {
      auto* r = signals.add_requests();
      r->set_parent(AccountName("h1"));
      r->set_signal_id(id);
      r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PRICING_INQUIRY);
      *r->mutable_signal()->mutable_occur_time() = graph::ToProto(now_);
    }
    ASSERT_THAT(store_->signals().RecordSignals(signals).status(), IsOk());
  }

  v1::ListAccountReadinessResponse Listing() {
    v1::ListAccountReadinessRequest request;
    *request.mutable_as_of() = graph::ToProto(now_);
    return OrFail(store_->readiness().ListAccountReadiness(request), "listing");
  }

  // Rewrites the readiness entries of the closed store as readiness_v1 kept
  // them (newline-joined text), with `edit` applied to each text.
  void WriteLegacyEntries(
      const std::function<std::string(std::string)>& edit = nullptr) {
    store_.reset();
    graph::LmdbEnv::Options options;
    options.path = dir_.path();
    options.databases = layout::AllDatabases();
    auto env = graph::LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok()) << env.status();
    ASSERT_THAT((*env)->Write([&](graph::Txn& txn) -> absl::Status {
      std::vector<std::pair<std::string, std::string>> entries;
      absl::Status status =
          txn.Scan(layout::kReadinessOf, "", "",
                   [&](absl::string_view k, absl::string_view v) {
                     entries.emplace_back(k, v);
                     return true;
                   });
      if (!status.ok()) return status;
      for (auto& [account, bytes] : entries) {
        graph::storage::ReadinessEntry entry;
        if (!entry.ParseFromString(bytes)) {
          return absl::DataLossError("not an entry");
        }
        std::string text =
            absl::StrCat(entry.index_key(), "\n", entry.valid_from_nanos(),
                         "\n", entry.route(), "\n", entry.readiness());
        if (edit) text = edit(text);
        status = txn.Put(layout::kReadinessOf, account, text);
        if (status.ok()) {
          status = txn.Put(layout::kReadiness, entry.index_key(),
                           absl::StrCat(entry.valid_from_nanos()));
        }
        if (!status.ok()) return status;
      }
      absl::Status s = txn.Delete(layout::kMeta, layout::kReadinessBuiltKey);
      if (!s.ok()) return s;
      return txn.Put(layout::kMeta, "readiness_v1", "1");
    }),
                IsOk());
  }
};

TEST_F(StoreUpgradeTest, ReadinessEntriesOfTheTextFormAreUpgradedOnOpen) {
  const v1::ListAccountReadinessResponse before = Listing();
  ASSERT_EQ(before.accounts_size(), 3);
  const std::vector<std::string> events_before =
      RawKeys(std::string(layout::kReadinessEvents));
  WriteLegacyEntries();
  OpenStore(kDefaultMapSize);
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(Listing(), before));
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
  // The upgrade adds no event: no account's readiness changed.
  EXPECT_EQ(RawKeys(std::string(layout::kReadinessEvents)), events_before);
  // A write after the upgrade moves the entry as usual.
  store_->accounts().DeleteAccount(AccountName("solo"), "", true).IgnoreError();
  EXPECT_EQ(Listing().accounts_size(), 2);
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

TEST_F(StoreUpgradeTest, ACorruptTextEntryFailsTheOpenNamingTheAccount) {
  WriteLegacyEntries([](std::string text) { return text + "\njunk"; });
  graph::Store::Options options;
  options.path = dir_.path();
  auto store = graph::UseCases::Open(std::move(options));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(store.status().message()),
              HasSubstr("corrupt readiness entry of accounts/"));
}

TEST_F(StoreUpgradeTest, WhoSignalsNameIsIndexedOnceOverAnOlderStore) {
  const std::string director = StakeholderName("h1", "director");
  v1::RecordSignalsRequest signal;
  auto* r = signal.add_requests();
  r->set_parent(AccountName("sys"));
  r->set_signal_id("theirs");
  r->mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  r->mutable_signal()->set_stakeholder(director);
  *r->mutable_signal()->mutable_occur_time() = graph::ToProto(now_);
  ASSERT_THAT(store_->signals().RecordSignals(signal).status(), IsOk());
  // As a store written before the index existed: no entries, no marker.
  store_.reset();
  {
    graph::LmdbEnv::Options options;
    options.path = dir_.path();
    options.databases = layout::AllDatabases();
    auto env = graph::LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok()) << env.status();
    ASSERT_THAT((*env)->Write([&](graph::Txn& txn) -> absl::Status {
      std::vector<std::string> keys;
      absl::Status status =
          txn.Scan(layout::kStakeholderRefs, "", "",
                   [&](absl::string_view k, absl::string_view) {
                     keys.emplace_back(k);
                     return true;
                   });
      if (!status.ok()) return status;
      if (keys.size() != 1) return absl::InternalError("expected one entry");
      for (const std::string& k : keys) {
        status = txn.Delete(layout::kStakeholderRefs, k);
        if (!status.ok()) return status;
      }
      return txn.Delete(layout::kMeta, layout::kStakeholderRefsBuiltKey);
    }),
                IsOk());
  }
  OpenStore(kDefaultMapSize);
  EXPECT_THAT(RawKeys(std::string(layout::kStakeholderRefs)),
              ::testing::SizeIs(1));
  ASSERT_THAT(store_->accounts().DeleteStakeholder(director, ""), IsOk());
  auto page = OrFail(store_->signals().ListSignals(AccountName("sys"), 10, ""),
                     "ListSignals");
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].stakeholder(), "");
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

}  // namespace
}  // namespace quorum::testing
