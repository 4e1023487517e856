// Store: what survives closing and reopening, map growth from a tiny map,
// bundle loading, and concurrent writers.
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "graph/model/status.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// Every account, read page by page.
std::vector<v1::Account> AllAccounts(graph::UseCases& store) {
  std::vector<v1::Account> out;
  std::string after;
  while (true) {
    auto page = store.accounts().ListAccounts(500, after);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (auto& a : page->items) out.push_back(std::move(a));
    if (!page->more) break;
    after = out.back().name();
  }
  return out;
}

// ----------------------------------------------------------------- Reopen

class StoreReopenTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    AddAccount("system", "", {"system.org"});
    AddAccount("hospital", "system", {"hospital.org"});
    AddSite("hospital", "core");
    AddStakeholder("system", "ceo", {}, "ceo@system.org");
    AddStakeholder("hospital", "jo", {SiteName("hospital", "core")},
                   "jo@hospital.org");
    Relate("hospital", "jo", "system", "ceo", v1::RELATIONSHIP_TYPE_REPORTS_TO,
           "jo-up");
  }
};

TEST_F(StoreReopenTest, EverythingIsThereAfterReopening) {
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap before,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  std::vector<v1::Account> accounts_before = AllAccounts(*store_);
  Reopen();
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap after,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  EXPECT_THAT(after, EqualsProto(before));
  std::vector<v1::Account> accounts_after = AllAccounts(*store_);
  ASSERT_EQ(accounts_after.size(), accounts_before.size());
  for (size_t i = 0; i < accounts_after.size(); ++i) {
    EXPECT_THAT(accounts_after[i], EqualsProto(accounts_before[i]));
  }
}

TEST_F(StoreReopenTest, IndexesWorkAfterReopening) {
  Reopen();
  EXPECT_EQ(
      OrFail(store_->accounts().FindAccountByDomain("hospital.org"), "find")
          .name(),
      "accounts/hospital");
  EXPECT_EQ(OrFail(store_->accounts().FindStakeholderByEmail("JO@hospital.org"),
                   "find")
                .name(),
            StakeholderName("hospital", "jo"));
}

TEST_F(StoreReopenTest, ConstraintsHoldAfterReopening) {
  Reopen();
  EXPECT_THAT(
      store_->accounts().CreateStakeholder(
          "accounts/system", NewStakeholder("Copy", "ceo@system.org"), "copy"),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/system",
                  NewRelationship(StakeholderName("system", "ceo"),
                                  StakeholderName("hospital", "jo"),
                                  v1::RELATIONSHIP_TYPE_REPORTS_TO),
                  ""),
              HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(store_->accounts().DeleteAccount("accounts/system", "", false),
              HasPreconditionFailure("HAS_CHILDREN"));
  EXPECT_THAT(store_->accounts().DeleteSite(SiteName("hospital", "core"), ""),
              HasPreconditionFailure("SITE_IN_USE"));
  v1::Account patch;
  patch.set_name("accounts/hospital");
  EXPECT_THAT(store_->accounts().UpdateAccount(patch, Mask({"parent"})),
              HasPreconditionFailure("SPLITS_ACCOUNT_TREE"));
}

TEST_F(StoreReopenTest, EtagsStayUniqueAcrossReopening) {
  std::set<std::string> etags;
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  etags.insert(map.account().etag());
  for (const auto& a : map.descendants()) etags.insert(a.etag());
  for (const auto& s : map.sites()) etags.insert(s.etag());
  for (const auto& s : map.stakeholders()) etags.insert(s.etag());
  for (const auto& r : map.relationships()) etags.insert(r.etag());
  ASSERT_THAT(etags, SizeIs(6));
  Reopen();
  v1::Account fresh = AddAccount("fresh");
  EXPECT_EQ(etags.count(fresh.etag()), 0u) << fresh.etag();
}

TEST_F(StoreReopenTest, DeletesAreDurableToo) {
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/hospital", "", true));
  Reopen();
  EXPECT_THAT(store_->accounts().GetAccount("accounts/hospital"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("jo@hospital.org"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  EXPECT_THAT(map.descendants(), IsEmpty());
  EXPECT_THAT(map.relationships(), IsEmpty());
}

TEST(StoreOpenTest, FailsWhenTheFolderCannotBeCreated) {
  TempDir dir;
  const std::string file = dir.path() + "/file";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  graph::Store::Options options;
  options.path = file + "/db";
  EXPECT_THAT(graph::UseCases::Open(options), Not(IsOk()));
}

// ------------------------------------------------------------- Map growth

class StoreGrowthTest : public StoreTest {
 protected:
  static constexpr size_t kTinyMap = 256 << 10;
  void SetUp() override { OpenStore(kTinyMap); }

  // An account of about 3 KiB.
  static v1::Account BigAccount(int i) {
    v1::Account a =
        NewAccount(absl::StrCat("Account ", i, " ", std::string(440, 'n')));
    for (int s = 0; s < 5; ++s) {
      a.add_current_systems(absl::StrCat("System ", s, std::string(440, 's')));
    }
    return a;
  }
};

TEST_F(StoreGrowthTest, ThousandsOfWritesGrowATinyMap) {
  const size_t initial = store_->store().map_size();
  EXPECT_LE(initial, kTinyMap);
  constexpr int kAccounts = 2000;
  for (int i = 0; i < kAccounts; ++i) {
    ASSERT_OK(store_->accounts()
                  .CreateAccount(BigAccount(i), absl::StrCat("acct-", i))
                  .status())
        << "account " << i;
  }
  EXPECT_GE(store_->store().map_size(), 4 * initial);
  EXPECT_THAT(AllAccounts(*store_), SizeIs(kAccounts));

  Reopen(kTinyMap);
  std::vector<v1::Account> all = AllAccounts(*store_);
  ASSERT_THAT(all, SizeIs(kAccounts));
  ASSERT_OK_AND_ASSIGN(v1::Account last,
                       store_->accounts().GetAccount("accounts/acct-1999"));
  EXPECT_THAT(last.display_name(), HasSubstr("Account 1999 "));
  EXPECT_THAT(last.current_systems(), SizeIs(5));
  // Writing after reopening on a map smaller than the data also works.
  ASSERT_OK(store_->accounts()
                .CreateAccount(BigAccount(kAccounts), "after-reopen")
                .status());
}

TEST_F(StoreGrowthTest, OneAccountWithManySitesAndPeople) {
  AddAccount("big");
  for (int i = 0; i < 600; ++i) {
    v1::Site site = NewSite(absl::StrCat("Site ", i, std::string(400, 'x')));
    site.add_accreditations(std::string(400, 'c'));
    ASSERT_OK(store_->accounts()
                  .CreateSite("accounts/big", site, absl::StrCat("s", i))
                  .status())
        << i;
  }
  for (int i = 0; i < 600; ++i) {
    v1::Stakeholder s = NewStakeholder(absl::StrCat("Person ", i),
                                       absl::StrCat("p", i, "@big.org"));
    s.add_sites(SiteName("big", absl::StrCat("s", i)));
    s.set_title(std::string(400, 't'));
    ASSERT_OK(store_->accounts()
                  .CreateStakeholder("accounts/big", s, absl::StrCat("p", i))
                  .status())
        << i;
  }
  EXPECT_GT(store_->store().map_size(), kTinyMap);
  Reopen(kTinyMap);
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/big"));
  EXPECT_THAT(map.sites(), SizeIs(600));
  EXPECT_THAT(map.stakeholders(), SizeIs(600));
  EXPECT_EQ(
      OrFail(store_->accounts().FindStakeholderByEmail("p599@big.org"), "find")
          .name(),
      StakeholderName("big", "p599"));
}

TEST_F(StoreGrowthTest, ForcedDeleteOfALargeTreeSucceedsOnATinyMap) {
  AddAccount("root");
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(store_->accounts()
                  .CreateAccount(
                      [&] {
                        v1::Account a = BigAccount(i);
                        a.set_parent("accounts/root");
                        return a;
                      }(),
                      absl::StrCat("child-", i))
                  .status());
    AddStakeholder(absl::StrCat("child-", i), "person");
  }
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/root", "", true));
  EXPECT_THAT(AllAccounts(*store_), IsEmpty());
}

TEST_F(StoreGrowthTest, ConcurrentWritersWhileTheMapGrows) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto created = store_->accounts().CreateAccount(
            BigAccount(t * kPerThread + i), absl::StrCat("t", t, "-", i));
        if (!created.ok()) {
          ++failures;
          continue;
        }
        if (!store_->accounts().GetAccount(created->name()).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(AllAccounts(*store_), SizeIs(kThreads * kPerThread));
  EXPECT_GT(store_->store().map_size(), kTinyMap);
}

// ----------------------------------------------------------- Concurrency

class StoreConcurrencyTest : public StoreTest {};

TEST_F(StoreConcurrencyTest, OneEmailClaimedConcurrentlyHasOneWinner) {
  AddAccount("acme");
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  std::atomic<int> already_exists{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto result = store_->accounts().CreateStakeholder(
          "accounts/acme", NewStakeholder("Jo", "jo@acme.org"),
          absl::StrCat("jo-", t));
      if (result.ok()) {
        ++ok;
      } else if (result.status().code() == absl::StatusCode::kAlreadyExists) {
        ++already_exists;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(already_exists.load(), kThreads - 1);
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListStakeholders("accounts/acme", 100, ""));
  EXPECT_THAT(page.items, SizeIs(1));
}

TEST_F(StoreConcurrencyTest, EtagGuardedUpdatesLoseNoIncrement) {
  AddAccount("acme");
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::atomic<int> errors{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        auto current = store_->accounts().GetAccount("accounts/acme");
        if (!current.ok()) {
          ++errors;
          return;
        }
        int count = 0;
        auto it = current->labels().find("count");
        if (it != current->labels().end() &&
            !absl::SimpleAtoi(it->second, &count)) {
          ++errors;
          return;
        }
        v1::Account patch;
        patch.set_name(current->name());
        patch.set_etag(current->etag());
        (*patch.mutable_labels())["count"] = absl::StrCat(count + 1);
        auto updated =
            store_->accounts().UpdateAccount(patch, Mask({"labels"}));
        if (updated.ok()) {
          ++i;
        } else if (updated.status().code() == absl::StatusCode::kAborted) {
          ++conflicts;  // Someone else won: read again and retry.
        } else {
          ++errors;
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_OK_AND_ASSIGN(v1::Account final_account,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_EQ(final_account.labels().at("count"),
            absl::StrCat(kThreads * kIncrements));
}

// ---------------------------------------------------------------- Bundles

constexpr char kBundle[] = R"pb(
  accounts {
    name: "accounts/system"
    display_name: "Northfield Health"
    country_code: "US"
    domains: "northfield.org"
  }
  accounts {
    name: "accounts/general"
    display_name: "Northfield General"
    country_code: "US"
    subdivision_code: "US-NJ"
    parent: "accounts/system"
  }
  sites {
    name: "accounts/general/sites/core"
    display_name: "Core Lab"
    clia_number: "31D0123456"
  }
  stakeholders {
    name: "accounts/system/stakeholders/ceo"
    display_name: "Pat Chen"
    roles { role: COMMITTEE_ROLE_EXECUTIVE source: ROLE_SOURCE_CONFIRMED }
  }
  stakeholders {
    name: "accounts/general/stakeholders/jo"
    display_name: "Jo Smith"
    email: "Jo@Northfield.org"
    sites: "accounts/general/sites/core"
  }
  relationships {
    name: "accounts/general/relationships/jo-up"
    source: "accounts/general/stakeholders/jo"
    target: "accounts/system/stakeholders/ceo"
    type: RELATIONSHIP_TYPE_REPORTS_TO
  }
)pb";

v1::ResourceBundle ParseBundle(const std::string& text) {
  v1::ResourceBundle bundle;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &bundle));
  return bundle;
}

class StoreBundleTest : public StoreTest {};

TEST_F(StoreBundleTest, LoadBundleCreatesEveryRecordUnderItsName) {
  ASSERT_OK_AND_ASSIGN(int created,
                       store_->intake().LoadBundle(ParseBundle(kBundle)));
  EXPECT_EQ(created, 6);
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  ASSERT_THAT(map.descendants(), SizeIs(1));
  EXPECT_EQ(map.descendants(0).name(), "accounts/general");
  EXPECT_THAT(map.sites(), SizeIs(1));
  EXPECT_THAT(map.stakeholders(), SizeIs(2));
  ASSERT_THAT(map.relationships(), SizeIs(1));
  EXPECT_EQ(map.relationships(0).name(),
            "accounts/general/relationships/jo-up");
  EXPECT_EQ(
      OrFail(store_->accounts().FindStakeholderByEmail("jo@northfield.org"),
             "find")
          .name(),
      "accounts/general/stakeholders/jo");
}

TEST_F(StoreBundleTest, LoadBundleIsIdempotent) {
  v1::ResourceBundle bundle = ParseBundle(kBundle);
  ASSERT_OK_AND_ASSIGN(int first, store_->intake().LoadBundle(bundle));
  EXPECT_EQ(first, 6);
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap before,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  now_ += absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(int second, store_->intake().LoadBundle(bundle));
  EXPECT_EQ(second, 0);
  // Nothing was rewritten: etags and times are unchanged.
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap after,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  EXPECT_THAT(after, EqualsProto(before));
  Reopen();
  ASSERT_OK_AND_ASSIGN(int third, store_->intake().LoadBundle(bundle));
  EXPECT_EQ(third, 0);
}

TEST_F(StoreBundleTest, LoadBundleCreatesOnlyWhatIsMissing) {
  AddAccount("system");  // Already there, with other attributes.
  ASSERT_OK_AND_ASSIGN(int created,
                       store_->intake().LoadBundle(ParseBundle(kBundle)));
  EXPECT_EQ(created, 5);
  EXPECT_EQ(OrFail(store_->accounts().GetAccount("accounts/system"), "get")
                .display_name(),
            "Account system");
}

TEST_F(StoreBundleTest, LoadBundleErrorNamesTheRecordAndCanBeResumed) {
  v1::ResourceBundle bundle = ParseBundle(kBundle);
  bundle.mutable_stakeholders(1)->set_email("not-an-email");
  absl::StatusOr<int> result = store_->intake().LoadBundle(bundle);
  EXPECT_THAT(result, HasViolationOn("stakeholder.email"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("bundle stakeholders[1]"));
  // Records before the bad one were created (loading is not atomic).
  EXPECT_OK(
      store_->accounts().GetStakeholder("accounts/system/stakeholders/ceo"));
  EXPECT_THAT(store_->accounts().GetRelationship(
                  "accounts/general/relationships/jo-up"),
              StatusIs(absl::StatusCode::kNotFound));
  // Fixed, the same bundle completes the rest.
  ASSERT_OK_AND_ASSIGN(int created,
                       store_->intake().LoadBundle(ParseBundle(kBundle)));
  EXPECT_EQ(created, 2);
}

TEST_F(StoreBundleTest, LoadBundleRefusesAMalformedName) {
  v1::ResourceBundle bundle = ParseBundle(kBundle);
  bundle.mutable_sites(0)->set_name("accounts/general/core");
  EXPECT_THAT(store_->intake().LoadBundle(bundle), HasViolationOn("name"));
}

TEST_F(StoreBundleTest, LoadBundleEnforcesConstraints) {
  v1::ResourceBundle bundle = ParseBundle(kBundle);
  // A second relationship closing a REPORTS_TO cycle.
  v1::Relationship* back = bundle.add_relationships();
  back->set_name("accounts/system/relationships/ceo-down");
  back->set_source("accounts/system/stakeholders/ceo");
  back->set_target("accounts/general/stakeholders/jo");
  back->set_type(v1::RELATIONSHIP_TYPE_REPORTS_TO);
  absl::StatusOr<int> result = store_->intake().LoadBundle(bundle);
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("bundle relationships[1]"));
}

}  // namespace
}  // namespace quorum::testing
