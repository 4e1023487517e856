// Store: create/read/update/delete and listing of every resource, the e-mail
// and domain indexes, etags and times. Constraints between records are in
// store_constraints_test.cc, the account hierarchy in
// store_hierarchy_test.cc, durability and growth in store_persistence_test.cc.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(item.name());
  return out;
}

// --------------------------------------------------------------- Accounts

TEST_F(StoreTest, CreateAccountSetsNameEtagTimesAndNewStatus) {
  v1::Account account = NewAccount("Northfield Health System");
  account.set_facility_type(v1::FACILITY_TYPE_HEALTH_SYSTEM);
  ASSERT_OK_AND_ASSIGN(v1::Account created,
                       store_->accounts().CreateAccount(account, "northfield"));
  EXPECT_EQ(created.name(), "accounts/northfield");
  EXPECT_EQ(created.display_name(), "Northfield Health System");
  EXPECT_EQ(created.facility_type(), v1::FACILITY_TYPE_HEALTH_SYSTEM);
  EXPECT_EQ(created.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_EQ(TimeOf(created.create_time()), now_);
  EXPECT_EQ(TimeOf(created.update_time()), now_);
}

TEST_F(StoreTest, CreateAccountIgnoresOutputOnlyFieldsFromTheClient) {
  v1::Account account = NewAccount("Acme Labs");
  account.set_name("accounts/elsewhere");
  account.set_etag("\"client\"");
  account.set_lifecycle_status(v1::LIFECYCLE_STATUS_QUALIFIED);
  account.mutable_create_time()->set_seconds(1);
  account.mutable_update_time()->set_seconds(2);
  ASSERT_OK_AND_ASSIGN(v1::Account created,
                       store_->accounts().CreateAccount(account, "acme"));
  EXPECT_EQ(created.name(), "accounts/acme");
  EXPECT_NE(created.etag(), "\"client\"");
  EXPECT_EQ(created.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(TimeOf(created.create_time()), now_);
  EXPECT_EQ(TimeOf(created.update_time()), now_);
  EXPECT_THAT(store_->accounts().GetAccount("accounts/elsewhere"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, CreateAccountStoresNormalizedValues) {
  v1::Account account = NewAccount("  Acme Labs ", "us");
  account.set_subdivision_code("us-nj");
  account.add_domains("ACME.org");
  account.add_domains("acme.org");
  ASSERT_OK_AND_ASSIGN(v1::Account created,
                       store_->accounts().CreateAccount(account, "acme"));
  ASSERT_OK_AND_ASSIGN(v1::Account read,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_THAT(read, EqualsProto(created));
  EXPECT_EQ(read.display_name(), "Acme Labs");
  EXPECT_EQ(read.country_code(), "US");
  EXPECT_EQ(read.subdivision_code(), "US-NJ");
  EXPECT_THAT(read.domains(), ElementsAre("acme.org"));
}

TEST_F(StoreTest, CreateAccountWithoutIdDerivesOneFromTheDisplayName) {
  ASSERT_OK_AND_ASSIGN(
      v1::Account first,
      store_->accounts().CreateAccount(NewAccount("St. Mary's Lab"), ""));
  ASSERT_OK_AND_ASSIGN(
      v1::Account second,
      store_->accounts().CreateAccount(NewAccount("St Mary's Lab"), ""));
  ASSERT_OK_AND_ASSIGN(v1::Account third, store_->accounts().CreateAccount(
                                              NewAccount("360 Labs"), ""));
  EXPECT_EQ(first.name(), "accounts/st-mary-s-lab");
  EXPECT_EQ(second.name(), "accounts/st-mary-s-lab-2");
  EXPECT_EQ(third.name(), "accounts/account-360-labs");
}

TEST_F(StoreTest, CreateAccountWithATakenIdIsAlreadyExists) {
  AddAccount("acme");
  EXPECT_THAT(store_->accounts().CreateAccount(NewAccount("Other"), "acme"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("acme")));
  ASSERT_OK_AND_ASSIGN(v1::Account read,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_EQ(read.display_name(), "Account acme");
}

TEST_F(StoreTest, GetAccountOfAMissingAccountIsNotFound) {
  EXPECT_THAT(store_->accounts().GetAccount("accounts/missing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, GetAccountWithAMalformedNameNamesTheField) {
  EXPECT_THAT(store_->accounts().GetAccount("acme"), HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().GetAccount("accounts/Acme"),
              HasViolationOn("name"));
}

TEST_F(StoreTest, UpdateAccountChangesMaskedFieldsAndKeepsCreateTime) {
  v1::Account created = AddAccount("acme");
  const absl::Time created_at = now_;
  now_ += absl::Hours(3);

  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.set_owner("team-east");
  patch.set_display_name("ignored: not in the mask");
  ASSERT_OK_AND_ASSIGN(v1::Account updated, store_->accounts().UpdateAccount(
                                                patch, Mask({"owner"})));
  EXPECT_EQ(updated.owner(), "team-east");
  EXPECT_EQ(updated.display_name(), created.display_name());
  EXPECT_EQ(TimeOf(updated.create_time()), created_at);
  EXPECT_EQ(TimeOf(updated.update_time()), now_);
  EXPECT_NE(updated.etag(), created.etag());
  ASSERT_OK_AND_ASSIGN(v1::Account read,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_THAT(read, EqualsProto(updated));
}

TEST_F(StoreTest, UpdateAccountWithAnEmptyMaskCopiesPopulatedFields) {
  AddAccount("acme");
  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.set_evaluation_stage(v1::EVALUATION_STAGE_PILOT);
  patch.set_annual_test_volume(250000);
  ASSERT_OK_AND_ASSIGN(v1::Account updated,
                       store_->accounts().UpdateAccount(patch, Mask({})));
  EXPECT_EQ(updated.evaluation_stage(), v1::EVALUATION_STAGE_PILOT);
  EXPECT_EQ(updated.annual_test_volume(), 250000);
  EXPECT_EQ(updated.display_name(), "Account acme");
  EXPECT_EQ(updated.country_code(), "US");
}

TEST_F(StoreTest, UpdateAccountWithAStarMaskReplacesEveryClientField) {
  v1::Account before = AddAccount("acme", "", {"acme.org"});
  v1::Account patch = NewAccount("Acme Renamed", "DE");
  patch.set_name("accounts/acme");
  ASSERT_OK_AND_ASSIGN(v1::Account updated,
                       store_->accounts().UpdateAccount(patch, Mask({"*"})));
  EXPECT_EQ(updated.display_name(), "Acme Renamed");
  EXPECT_EQ(updated.country_code(), "DE");
  EXPECT_THAT(updated.domains(), IsEmpty());
  // Output-only fields are kept.
  EXPECT_EQ(updated.name(), before.name());
  EXPECT_EQ(updated.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_THAT(updated.create_time(), EqualsProto(before.create_time()));
  // The cleared domain left the index.
  EXPECT_THAT(store_->accounts().FindAccountByDomain("acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, UpdateAccountCannotChangeLifecycleStatus) {
  AddAccount("acme");
  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.set_lifecycle_status(v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_THAT(
      store_->accounts().UpdateAccount(patch, Mask({"lifecycle_status"})),
      HasViolationOn("update_mask.paths[0]"));
  // Not named: silently kept.
  ASSERT_OK_AND_ASSIGN(v1::Account updated,
                       store_->accounts().UpdateAccount(patch, Mask({})));
  EXPECT_EQ(updated.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
}

TEST_F(StoreTest, UpdateAccountWithUnknownMaskPathIsInvalid) {
  v1::Account before = AddAccount("acme");
  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.set_owner("x");
  EXPECT_THAT(
      store_->accounts().UpdateAccount(patch, Mask({"owner", "colour"})),
      HasViolationOn("update_mask.paths[1]"));
  ASSERT_OK_AND_ASSIGN(v1::Account after,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_THAT(after, EqualsProto(before));
}

TEST_F(StoreTest, UpdateAccountRejectsInvalidValuesAndChangesNothing) {
  v1::Account before = AddAccount("acme");
  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.set_country_code("XX");
  patch.set_annual_test_volume(-10);
  absl::Status status =
      store_->accounts()
          .UpdateAccount(patch, Mask({"country_code", "annual_test_volume"}))
          .status();
  EXPECT_THAT(status, HasViolationOn("account.country_code"));
  EXPECT_THAT(status, HasViolationOn("account.annual_test_volume"));
  ASSERT_OK_AND_ASSIGN(v1::Account after,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_THAT(after, EqualsProto(before));
}

TEST_F(StoreTest, UpdateAccountThatCannotBeFoundIsNotFound) {
  v1::Account patch;
  patch.set_name("accounts/missing");
  EXPECT_THAT(store_->accounts().UpdateAccount(patch, Mask({"owner"})),
              StatusIs(absl::StatusCode::kNotFound));
  patch.set_name("missing");
  EXPECT_THAT(store_->accounts().UpdateAccount(patch, Mask({"owner"})),
              HasViolationOn("account.name"));
}

TEST_F(StoreTest, UpdateAccountWithTheCurrentEtagSucceeds) {
  v1::Account current = AddAccount("acme");
  current.set_owner("team-west");
  ASSERT_OK_AND_ASSIGN(v1::Account updated, store_->accounts().UpdateAccount(
                                                current, Mask({"owner"})));
  EXPECT_EQ(updated.owner(), "team-west");
}

TEST_F(StoreTest, UpdateAccountWithAStaleEtagIsAbortedAndChangesNothing) {
  v1::Account stale = AddAccount("acme");
  v1::Account patch = stale;
  patch.set_owner("first");
  ASSERT_OK_AND_ASSIGN(v1::Account fresh, store_->accounts().UpdateAccount(
                                              patch, Mask({"owner"})));
  stale.set_owner("second");
  EXPECT_THAT(store_->accounts().UpdateAccount(stale, Mask({"owner"})),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(v1::Account read,
                       store_->accounts().GetAccount("accounts/acme"));
  EXPECT_THAT(read, EqualsProto(fresh));
}

TEST_F(StoreTest, DeleteAccountRemovesALeafAccount) {
  v1::Account account = AddAccount("acme");
  EXPECT_OK(
      store_->accounts().DeleteAccount("accounts/acme", account.etag(), false));
  EXPECT_THAT(store_->accounts().GetAccount("accounts/acme"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().DeleteAccount("accounts/acme", "", false),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, DeleteAccountWithAStaleEtagIsAbortedAndKeepsTheAccount) {
  v1::Account stale = AddAccount("acme");
  v1::Account patch = stale;
  patch.set_owner("someone");
  ASSERT_OK(store_->accounts().UpdateAccount(patch, Mask({"owner"})).status());
  EXPECT_THAT(
      store_->accounts().DeleteAccount("accounts/acme", stale.etag(), false),
      StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(store_->accounts().GetAccount("accounts/acme"));
}

TEST_F(StoreTest, DeleteAccountWithAMalformedNameNamesTheField) {
  EXPECT_THAT(store_->accounts().DeleteAccount("acme", "", false),
              HasViolationOn("name"));
}

TEST_F(StoreTest, EtagsDifferAcrossResourcesAndWrites) {
  std::set<std::string> etags;
  etags.insert(AddAccount("a").etag());
  etags.insert(AddAccount("b").etag());
  etags.insert(AddSite("a", "core").etag());
  etags.insert(AddStakeholder("a", "jo").etag());
  v1::Account patch;
  patch.set_name("accounts/a");
  patch.set_owner("x");
  etags.insert(
      OrFail(store_->accounts().UpdateAccount(patch, Mask({"owner"})), "update")
          .etag());
  EXPECT_THAT(etags, SizeIs(5));
}

// ------------------------------------------------------------- Listing

class ListAccountsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* id : {"e", "b", "d", "a", "c"}) AddAccount(id);
  }
};

TEST_F(ListAccountsTest, ReturnsAccountsInNameOrder) {
  ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListAccounts(100, ""));
  EXPECT_THAT(NamesOf(page.items),
              ElementsAre("accounts/a", "accounts/b", "accounts/c",
                          "accounts/d", "accounts/e"));
  EXPECT_FALSE(page.more);
}

TEST_F(ListAccountsTest, PagesWithLimitAndStartAfter) {
  ASSERT_OK_AND_ASSIGN(auto first, store_->accounts().ListAccounts(2, ""));
  EXPECT_THAT(NamesOf(first.items), ElementsAre("accounts/a", "accounts/b"));
  EXPECT_TRUE(first.more);

  ASSERT_OK_AND_ASSIGN(auto second, store_->accounts().ListAccounts(
                                        2, first.items.back().name()));
  EXPECT_THAT(NamesOf(second.items), ElementsAre("accounts/c", "accounts/d"));
  EXPECT_TRUE(second.more);

  ASSERT_OK_AND_ASSIGN(auto last, store_->accounts().ListAccounts(
                                      2, second.items.back().name()));
  EXPECT_THAT(NamesOf(last.items), ElementsAre("accounts/e"));
  EXPECT_FALSE(last.more);
}

TEST_F(ListAccountsTest, AFullLastPageHasNoMore) {
  ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListAccounts(5, ""));
  EXPECT_THAT(page.items, SizeIs(5));
  EXPECT_FALSE(page.more);
  ASSERT_OK_AND_ASSIGN(auto after_last,
                       store_->accounts().ListAccounts(5, "accounts/e"));
  EXPECT_THAT(after_last.items, IsEmpty());
  EXPECT_FALSE(after_last.more);
}

TEST_F(ListAccountsTest, StartAfterADeletedNameContinuesFromTheNextOne) {
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/b", "", false));
  ASSERT_OK_AND_ASSIGN(auto page,
                       store_->accounts().ListAccounts(2, "accounts/b"));
  EXPECT_THAT(NamesOf(page.items), ElementsAre("accounts/c", "accounts/d"));
}

TEST_F(ListAccountsTest, NonPositiveLimitIsRefused) {
  EXPECT_THAT(store_->accounts().ListAccounts(0, ""), Not(IsOk()));
  EXPECT_THAT(store_->accounts().ListAccounts(-1, ""), Not(IsOk()));
}

TEST_F(StoreTest, ListOfAnAccountWithNothingIsEmpty) {
  AddAccount("acme");
  ASSERT_OK_AND_ASSIGN(auto sites,
                       store_->accounts().ListSites("accounts/acme", 10, ""));
  EXPECT_THAT(sites.items, IsEmpty());
  EXPECT_FALSE(sites.more);
  ASSERT_OK_AND_ASSIGN(auto people, store_->accounts().ListStakeholders(
                                        "accounts/acme", 10, ""));
  EXPECT_THAT(people.items, IsEmpty());
  ASSERT_OK_AND_ASSIGN(
      auto rels, store_->accounts().ListRelationships("accounts/acme", 10, ""));
  EXPECT_THAT(rels.items, IsEmpty());
}

TEST_F(StoreTest, ListChildrenOfAMissingAccountIsNotFound) {
  EXPECT_THAT(store_->accounts().ListSites("accounts/missing", 10, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().ListStakeholders("accounts/missing", 10, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().ListRelationships("accounts/missing", 10, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().ListSites("missing", 10, ""),
              HasViolationOn("parent"));
}

TEST_F(StoreTest, ListSitesPagesWithinOneAccountOnly) {
  AddAccount("a");
  AddAccount("ab");  // "accounts/ab/..." must not leak into "accounts/a/...".
  for (const char* id : {"s1", "s2", "s3"}) AddSite("a", id);
  AddSite("ab", "s0");
  ASSERT_OK_AND_ASSIGN(auto first,
                       store_->accounts().ListSites("accounts/a", 2, ""));
  EXPECT_THAT(NamesOf(first.items),
              ElementsAre(SiteName("a", "s1"), SiteName("a", "s2")));
  EXPECT_TRUE(first.more);
  ASSERT_OK_AND_ASSIGN(auto rest, store_->accounts().ListSites(
                                      "accounts/a", 2, SiteName("a", "s2")));
  EXPECT_THAT(NamesOf(rest.items), ElementsAre(SiteName("a", "s3")));
  EXPECT_FALSE(rest.more);
}

TEST_F(StoreTest, ListStakeholdersPagesInNameOrder) {
  AddAccount("a");
  AddAccount("ab");
  for (const char* id : {"zoe", "amy", "max"}) AddStakeholder("a", id);
  AddStakeholder("ab", "bob");
  ASSERT_OK_AND_ASSIGN(
      auto first, store_->accounts().ListStakeholders("accounts/a", 1, ""));
  EXPECT_THAT(NamesOf(first.items), ElementsAre(StakeholderName("a", "amy")));
  EXPECT_TRUE(first.more);
  ASSERT_OK_AND_ASSIGN(auto rest,
                       store_->accounts().ListStakeholders(
                           "accounts/a", 5, StakeholderName("a", "amy")));
  EXPECT_THAT(NamesOf(rest.items), ElementsAre(StakeholderName("a", "max"),
                                               StakeholderName("a", "zoe")));
  EXPECT_FALSE(rest.more);
}

TEST_F(StoreTest, ListRelationshipsPagesInNameOrder) {
  AddAccount("a");
  for (const char* id : {"p", "q", "r"}) AddStakeholder("a", id);
  Relate("a", "p", "a", "q", v1::RELATIONSHIP_TYPE_WORKS_WITH, "r1");
  Relate("a", "q", "a", "r", v1::RELATIONSHIP_TYPE_WORKS_WITH, "r2");
  Relate("a", "r", "a", "p", v1::RELATIONSHIP_TYPE_WORKS_WITH, "r3");
  ASSERT_OK_AND_ASSIGN(
      auto first, store_->accounts().ListRelationships("accounts/a", 2, ""));
  EXPECT_THAT(NamesOf(first.items), ElementsAre(RelationshipName("a", "r1"),
                                                RelationshipName("a", "r2")));
  EXPECT_TRUE(first.more);
  ASSERT_OK_AND_ASSIGN(auto rest,
                       store_->accounts().ListRelationships(
                           "accounts/a", 2, RelationshipName("a", "r2")));
  EXPECT_THAT(NamesOf(rest.items), ElementsAre(RelationshipName("a", "r3")));
  EXPECT_FALSE(rest.more);
}

// ------------------------------------------------------------------ Sites

TEST_F(StoreTest, SiteCreateGetUpdateDelete) {
  AddAccount("acme");
  v1::Site site = NewSite("Core Laboratory");
  site.set_clia_number("31d0123456");
  site.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  ASSERT_OK_AND_ASSIGN(v1::Site created, store_->accounts().CreateSite(
                                             "accounts/acme", site, "core"));
  EXPECT_EQ(created.name(), "accounts/acme/sites/core");
  EXPECT_EQ(created.clia_number(), "31D0123456");
  EXPECT_FALSE(created.etag().empty());
  EXPECT_EQ(TimeOf(created.create_time()), now_);
  ASSERT_OK_AND_ASSIGN(v1::Site read,
                       store_->accounts().GetSite(created.name()));
  EXPECT_THAT(read, EqualsProto(created));

  now_ += absl::Minutes(5);
  v1::Site patch = read;
  patch.set_display_name("Core Lab, Main Campus");
  patch.set_annual_test_volume(1200000);
  ASSERT_OK_AND_ASSIGN(
      v1::Site updated,
      store_->accounts().UpdateSite(
          patch, Mask({"display_name", "annual_test_volume"})));
  EXPECT_EQ(updated.display_name(), "Core Lab, Main Campus");
  EXPECT_EQ(updated.annual_test_volume(), 1200000);
  EXPECT_EQ(updated.clia_number(), "31D0123456");
  EXPECT_EQ(TimeOf(updated.create_time()), now_ - absl::Minutes(5));
  EXPECT_EQ(TimeOf(updated.update_time()), now_);
  EXPECT_NE(updated.etag(), created.etag());

  EXPECT_THAT(store_->accounts().DeleteSite(created.name(), created.etag()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(store_->accounts().DeleteSite(created.name(), updated.etag()));
  EXPECT_THAT(store_->accounts().GetSite(created.name()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, CreateSiteWithoutIdDerivesOneFromTheDisplayName) {
  AddAccount("acme");
  ASSERT_OK_AND_ASSIGN(
      v1::Site site, store_->accounts().CreateSite(
                         "accounts/acme", NewSite("Microbiology Lab #2"), ""));
  EXPECT_EQ(site.name(), "accounts/acme/sites/microbiology-lab-2");
}

TEST_F(StoreTest, SameSiteIdMayBeUsedUnderDifferentAccounts) {
  AddAccount("a");
  AddAccount("b");
  EXPECT_EQ(AddSite("a", "core").name(), "accounts/a/sites/core");
  EXPECT_EQ(AddSite("b", "core").name(), "accounts/b/sites/core");
}

TEST_F(StoreTest, UpdateSiteWithAStaleEtagIsAborted) {
  AddAccount("acme");
  v1::Site stale = AddSite("acme", "core");
  v1::Site patch = stale;
  patch.set_display_name("First");
  ASSERT_OK(
      store_->accounts().UpdateSite(patch, Mask({"display_name"})).status());
  stale.set_display_name("Second");
  EXPECT_THAT(store_->accounts().UpdateSite(stale, Mask({"display_name"})),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(
      OrFail(store_->accounts().GetSite(stale.name()), "get").display_name(),
      "First");
}

TEST_F(StoreTest, UpdateSiteOfAMissingSiteIsNotFound) {
  AddAccount("acme");
  v1::Site patch = NewSite("x");
  patch.set_name("accounts/acme/sites/missing");
  EXPECT_THAT(store_->accounts().UpdateSite(patch, Mask({"display_name"})),
              StatusIs(absl::StatusCode::kNotFound));
  patch.set_name("accounts/acme/stakeholders/x");
  EXPECT_THAT(store_->accounts().UpdateSite(patch, Mask({"display_name"})),
              HasViolationOn("site.name"));
}

// ----------------------------------------------------------- Stakeholders

TEST_F(StoreTest, StakeholderCreateGetUpdateDelete) {
  AddAccount("acme");
  AddSite("acme", "core");
  v1::Stakeholder s = NewStakeholder("Dr. Jo Smith", "Jo.Smith@Acme.ORG");
  s.set_title("Laboratory Director");
  s.add_sites(SiteName("acme", "core"));
  auto* role = s.add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  role->set_source(v1::ROLE_SOURCE_INFERRED);
  ASSERT_OK_AND_ASSIGN(
      v1::Stakeholder created,
      store_->accounts().CreateStakeholder("accounts/acme", s, ""));
  EXPECT_EQ(created.name(), "accounts/acme/stakeholders/jo-smith");
  EXPECT_EQ(created.email(), "jo.smith@acme.org");
  EXPECT_EQ(created.engagement(), v1::ENGAGEMENT_IDENTIFIED);
  EXPECT_EQ(TimeOf(created.create_time()), now_);
  ASSERT_OK_AND_ASSIGN(v1::Stakeholder read,
                       store_->accounts().GetStakeholder(created.name()));
  EXPECT_THAT(read, EqualsProto(created));

  v1::Stakeholder patch = read;
  patch.set_engagement(v1::ENGAGEMENT_CHAMPION);
  patch.set_do_not_contact(true);
  ASSERT_OK_AND_ASSIGN(v1::Stakeholder updated,
                       store_->accounts().UpdateStakeholder(
                           patch, Mask({"engagement", "do_not_contact"})));
  EXPECT_EQ(updated.engagement(), v1::ENGAGEMENT_CHAMPION);
  EXPECT_TRUE(updated.do_not_contact());
  EXPECT_EQ(updated.title(), "Laboratory Director");

  EXPECT_THAT(
      store_->accounts().DeleteStakeholder(created.name(), created.etag()),
      StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(
      store_->accounts().DeleteStakeholder(created.name(), updated.etag()));
  EXPECT_THAT(store_->accounts().GetStakeholder(created.name()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, StakeholdersWithoutEmailDoNotCollide) {
  AddAccount("acme");
  AddStakeholder("acme", "one");
  AddStakeholder("acme", "two");
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListStakeholders("accounts/acme", 10, ""));
  EXPECT_THAT(page.items, SizeIs(2));
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail(""),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, UpdateStakeholderWithAStaleEtagIsAborted) {
  AddAccount("acme");
  v1::Stakeholder stale = AddStakeholder("acme", "jo");
  v1::Stakeholder patch = stale;
  patch.set_title("First");
  ASSERT_OK(
      store_->accounts().UpdateStakeholder(patch, Mask({"title"})).status());
  stale.set_title("Second");
  EXPECT_THAT(store_->accounts().UpdateStakeholder(stale, Mask({"title"})),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(
      OrFail(store_->accounts().GetStakeholder(stale.name()), "get").title(),
      "First");
}

// --------------------------------------------------------- Relationships

TEST_F(StoreTest, RelationshipCreateGetListDelete) {
  AddAccount("acme");
  AddStakeholder("acme", "alice");
  AddStakeholder("acme", "bob");
  v1::Relationship r = NewRelationship(StakeholderName("acme", "alice"),
                                       StakeholderName("acme", "bob"),
                                       v1::RELATIONSHIP_TYPE_REPORTS_TO);
  r.set_strength(0.8);
  ASSERT_OK_AND_ASSIGN(
      v1::Relationship created,
      store_->accounts().CreateRelationship("accounts/acme", r, ""));
  EXPECT_EQ(created.name(), "accounts/acme/relationships/alice-reports-to-bob");
  EXPECT_DOUBLE_EQ(created.strength(), 0.8);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_EQ(TimeOf(created.create_time()), now_);
  ASSERT_OK_AND_ASSIGN(v1::Relationship read,
                       store_->accounts().GetRelationship(created.name()));
  EXPECT_THAT(read, EqualsProto(created));

  EXPECT_THAT(
      store_->accounts().DeleteRelationship(created.name(), "\"stale\""),
      StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(
      store_->accounts().DeleteRelationship(created.name(), created.etag()));
  EXPECT_THAT(store_->accounts().GetRelationship(created.name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().DeleteRelationship(created.name(), ""),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, RelationshipIdsAreDerivedUniquely) {
  AddAccount("acme");
  AddStakeholder("acme", "alice");
  AddStakeholder("acme", "bob");
  v1::Relationship first =
      Relate("acme", "alice", "acme", "bob", v1::RELATIONSHIP_TYPE_WORKS_WITH);
  ASSERT_OK(store_->accounts().DeleteRelationship(first.name(), ""));
  // A relationship with a client-chosen ID equal to the derived one.
  Relate("acme", "bob", "acme", "alice", v1::RELATIONSHIP_TYPE_INFLUENCES,
         "alice-works-with-bob");
  v1::Relationship again =
      Relate("acme", "alice", "acme", "bob", v1::RELATIONSHIP_TYPE_WORKS_WITH);
  EXPECT_EQ(again.name(), "accounts/acme/relationships/alice-works-with-bob-2");
}

TEST_F(StoreTest, GetWithANameOfTheWrongCollectionIsInvalid) {
  EXPECT_THAT(store_->accounts().GetSite("accounts/a/stakeholders/x"),
              HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().GetStakeholder("accounts/a/sites/x"),
              HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().GetRelationship("accounts/a"),
              HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().DeleteSite("accounts/a", ""),
              HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().DeleteStakeholder("x", ""),
              HasViolationOn("name"));
  EXPECT_THAT(store_->accounts().DeleteRelationship("", ""),
              HasViolationOn("name"));
}

// ---------------------------------------------------------------- Indexes

TEST_F(StoreTest, FindStakeholderByEmailIgnoresCaseAndSpaces) {
  AddAccount("acme");
  v1::Stakeholder jo = AddStakeholder("acme", "jo", {}, "Jo.Smith@Acme.org");
  for (const char* query :
       {"jo.smith@acme.org", "JO.SMITH@ACME.ORG", " Jo.Smith@acme.org "}) {
    SCOPED_TRACE(query);
    ASSERT_OK_AND_ASSIGN(v1::Stakeholder found,
                         store_->accounts().FindStakeholderByEmail(query));
    EXPECT_EQ(found.name(), jo.name());
  }
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("nobody@acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, FindAccountByDomainIgnoresCase) {
  v1::Account acme = AddAccount("acme", "", {"acme.org", "acme-labs.com"});
  for (const char* query : {"acme.org", "ACME.ORG", "acme-labs.com"}) {
    SCOPED_TRACE(query);
    ASSERT_OK_AND_ASSIGN(v1::Account found,
                         store_->accounts().FindAccountByDomain(query));
    EXPECT_EQ(found.name(), acme.name());
  }
  EXPECT_THAT(store_->accounts().FindAccountByDomain("other.org"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, FindWithAnEmptyOrOverlongKeyIsNotFound) {
  AddAccount("acme", "", {"acme.org"});
  AddStakeholder("acme", "jo", {}, "jo@acme.org");
  const std::string overlong = std::string(600, 'x') + "@acme.org";
  for (const std::string& email :
       {std::string(), std::string("  "), overlong}) {
    EXPECT_THAT(store_->accounts().FindStakeholderByEmail(email),
                StatusIs(absl::StatusCode::kNotFound));
  }
  for (const std::string& domain : {std::string(), std::string(600, 'd')}) {
    EXPECT_THAT(store_->accounts().FindAccountByDomain(domain),
                StatusIs(absl::StatusCode::kNotFound));
  }
}

TEST_F(StoreTest, UpdatingDomainsMovesTheIndexEntries) {
  AddAccount("acme", "", {"old.org", "kept.org"});
  v1::Account patch;
  patch.set_name("accounts/acme");
  patch.add_domains("kept.org");
  patch.add_domains("NEW.org");
  ASSERT_OK(
      store_->accounts().UpdateAccount(patch, Mask({"domains"})).status());
  EXPECT_THAT(store_->accounts().FindAccountByDomain("old.org"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(store_->accounts().FindAccountByDomain("kept.org"));
  ASSERT_OK_AND_ASSIGN(v1::Account found,
                       store_->accounts().FindAccountByDomain("new.org"));
  EXPECT_EQ(found.name(), "accounts/acme");
  // The released domain is free for another account.
  AddAccount("other", "", {"old.org"});
  EXPECT_EQ(
      OrFail(store_->accounts().FindAccountByDomain("old.org"), "find").name(),
      "accounts/other");
}

TEST_F(StoreTest, DeletingAnAccountReleasesItsDomains) {
  AddAccount("acme", "", {"acme.org"});
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/acme", "", false));
  EXPECT_THAT(store_->accounts().FindAccountByDomain("acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
  AddAccount("successor", "", {"acme.org"});
  EXPECT_EQ(
      OrFail(store_->accounts().FindAccountByDomain("acme.org"), "find").name(),
      "accounts/successor");
}

TEST_F(StoreTest, UpdatingAnEmailMovesTheIndexEntry) {
  AddAccount("acme");
  v1::Stakeholder jo = AddStakeholder("acme", "jo", {}, "jo@acme.org");
  jo.set_email("Joanna@Acme.org");
  ASSERT_OK(store_->accounts().UpdateStakeholder(jo, Mask({"email"})).status());
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("jo@acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(OrFail(store_->accounts().FindStakeholderByEmail("joanna@acme.org"),
                   "find")
                .name(),
            jo.name());
  // The old address can be taken by someone else.
  AddStakeholder("acme", "other-jo", {}, "jo@acme.org");
}

TEST_F(StoreTest, ClearingAnEmailRemovesTheIndexEntry) {
  AddAccount("acme");
  v1::Stakeholder jo = AddStakeholder("acme", "jo", {}, "jo@acme.org");
  jo.clear_email();
  ASSERT_OK(store_->accounts().UpdateStakeholder(jo, Mask({"email"})).status());
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("jo@acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreTest, DeletingAStakeholderReleasesTheEmail) {
  AddAccount("acme");
  v1::Stakeholder jo = AddStakeholder("acme", "jo", {}, "jo@acme.org");
  ASSERT_OK(store_->accounts().DeleteStakeholder(jo.name(), jo.etag()));
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("jo@acme.org"),
              StatusIs(absl::StatusCode::kNotFound));
  v1::Stakeholder again = AddStakeholder("acme", "jo-again", {}, "JO@acme.org");
  EXPECT_EQ(
      OrFail(store_->accounts().FindStakeholderByEmail("jo@acme.org"), "find")
          .name(),
      again.name());
}

// ----------------------------------------------------------------- Clock

TEST_F(StoreTest, TimesComeFromTheInjectedClock) {
  now_ = absl::FromCivil(absl::CivilSecond(2024, 3, 1, 9, 30, 0),
                         absl::UTCTimeZone()) +
         absl::Nanoseconds(123456789);
  v1::Account account = AddAccount("acme");
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(account.create_time()),
            "2024-03-01T09:30:00.123456789Z");
  now_ += absl::Hours(24);
  AddStakeholder("acme", "jo");
  v1::Stakeholder jo = OrFail(
      store_->accounts().GetStakeholder(StakeholderName("acme", "jo")), "get");
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(jo.update_time()),
            "2024-03-02T09:30:00.123456789Z");
}

TEST_F(StoreTest, UpdateTimeAdvancesWithEveryWrite) {
  AddAccount("acme");
  v1::Account patch;
  patch.set_name("accounts/acme");
  for (int i = 1; i <= 3; ++i) {
    now_ += absl::Seconds(10);
    patch.set_owner(absl::StrCat("owner-", i));
    ASSERT_OK_AND_ASSIGN(v1::Account updated, store_->accounts().UpdateAccount(
                                                  patch, Mask({"owner"})));
    EXPECT_EQ(TimeOf(updated.update_time()), now_);
    EXPECT_EQ(TimeOf(updated.create_time()), now_ - absl::Seconds(10 * i));
  }
}

}  // namespace
}  // namespace quorum::testing
