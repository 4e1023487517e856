// Store: every constraint between records, and bad input through the store.
// A refused write must change nothing, which each test checks by reading
// back.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/model/status.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class StoreConstraintsTest : public StoreTest {};

// ------------------------------------------------------------ Uniqueness

TEST_F(StoreConstraintsTest, DomainTakenByAnotherAccountIsAlreadyExists) {
  AddAccount("acme", "", {"acme.org"});
  v1::Account rival = NewAccount("Rival");
  rival.add_domains("ACME.org");
  EXPECT_THAT(
      store_->accounts().CreateAccount(rival, "rival"),
      StatusIs(absl::StatusCode::kAlreadyExists,
               AllOf(HasSubstr("acme.org"), HasSubstr("accounts/acme"))));
  EXPECT_THAT(store_->accounts().GetAccount("accounts/rival"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(
      OrFail(store_->accounts().FindAccountByDomain("acme.org"), "find").name(),
      "accounts/acme");
}

TEST_F(StoreConstraintsTest, FailedCreateLeavesNoIndexEntriesBehind) {
  AddAccount("acme", "", {"taken.org"});
  v1::Account account = NewAccount("Newcomer");
  account.add_domains("fresh.org");
  account.add_domains("taken.org");
  EXPECT_THAT(store_->accounts().CreateAccount(account, ""),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->accounts().FindAccountByDomain("fresh.org"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListAccounts(10, ""));
  EXPECT_THAT(page.items, SizeIs(1));
}

TEST_F(StoreConstraintsTest, UpdateToATakenDomainChangesNothing) {
  AddAccount("acme", "", {"acme.org"});
  v1::Account other = AddAccount("other", "", {"other.org"});
  v1::Account patch;
  patch.set_name("accounts/other");
  patch.add_domains("brand-new.org");
  patch.add_domains("acme.org");
  EXPECT_THAT(store_->accounts().UpdateAccount(patch, Mask({"domains"})),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("account.domains[1]")));
  EXPECT_THAT(OrFail(store_->accounts().GetAccount("accounts/other"), "get"),
              EqualsProto(other));
  EXPECT_THAT(store_->accounts().FindAccountByDomain("brand-new.org"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(OrFail(store_->accounts().FindAccountByDomain("other.org"), "find")
                .name(),
            "accounts/other");
  EXPECT_EQ(
      OrFail(store_->accounts().FindAccountByDomain("acme.org"), "find").name(),
      "accounts/acme");
}

TEST_F(StoreConstraintsTest, EmailIsUniqueAcrossTheGraphIgnoringCase) {
  AddAccount("a");
  AddAccount("b");
  AddStakeholder("a", "jo", {}, "jo@example.org");
  for (const char* account : {"a", "b"}) {
    SCOPED_TRACE(account);
    EXPECT_THAT(store_->accounts().CreateStakeholder(
                    AccountName(account),
                    NewStakeholder("Jo Again", "JO@Example.org"), "jo-again"),
                StatusIs(absl::StatusCode::kAlreadyExists,
                         HasSubstr("stakeholders/jo")));
    ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListStakeholders(
                                        AccountName(account), 10, ""));
    EXPECT_THAT(page.items, SizeIs(account == std::string("a") ? 1 : 0));
  }
}

TEST_F(StoreConstraintsTest, UpdateToATakenEmailChangesNothing) {
  AddAccount("a");
  AddStakeholder("a", "jo", {}, "jo@example.org");
  v1::Stakeholder max = AddStakeholder("a", "max", {}, "max@example.org");
  v1::Stakeholder patch = max;
  patch.set_email("Jo@example.org");
  EXPECT_THAT(store_->accounts().UpdateStakeholder(patch, Mask({"email"})),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(OrFail(store_->accounts().GetStakeholder(max.name()), "get"),
              EqualsProto(max));
  EXPECT_EQ(OrFail(store_->accounts().FindStakeholderByEmail("max@example.org"),
                   "find")
                .name(),
            max.name());
  EXPECT_EQ(OrFail(store_->accounts().FindStakeholderByEmail("jo@example.org"),
                   "find")
                .name(),
            StakeholderName("a", "jo"));
}

TEST_F(StoreConstraintsTest, DuplicateIdsAreAlreadyExists) {
  AddAccount("a");
  AddSite("a", "core");
  AddStakeholder("a", "jo");
  AddStakeholder("a", "max");
  Relate("a", "jo", "a", "max", v1::RELATIONSHIP_TYPE_WORKS_WITH, "r1");
  EXPECT_THAT(
      store_->accounts().CreateSite("accounts/a", NewSite("Other"), "core"),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("site_id")));
  EXPECT_THAT(
      store_->accounts().CreateStakeholder("accounts/a",
                                           NewStakeholder("Other"), "jo"),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("stakeholder_id")));
  EXPECT_THAT(
      store_->accounts().CreateRelationship(
          "accounts/a",
          NewRelationship(StakeholderName("a", "max"),
                          StakeholderName("a", "jo"),
                          v1::RELATIONSHIP_TYPE_INFLUENCES),
          "r1"),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("relationship_id")));
  EXPECT_EQ(OrFail(store_->accounts().GetSite(SiteName("a", "core")), "get")
                .display_name(),
            "Site core");
  EXPECT_EQ(
      OrFail(store_->accounts().GetStakeholder(StakeholderName("a", "jo")),
             "get")
          .display_name(),
      "Person jo");
  EXPECT_EQ(
      OrFail(store_->accounts().GetRelationship(RelationshipName("a", "r1")),
             "get")
          .type(),
      v1::RELATIONSHIP_TYPE_WORKS_WITH);
}

TEST_F(StoreConstraintsTest, SameEdgeTwiceIsAlreadyExistsButOtherTypesAreFine) {
  AddAccount("a");
  AddStakeholder("a", "jo");
  AddStakeholder("a", "max");
  Relate("a", "jo", "a", "max", v1::RELATIONSHIP_TYPE_INFLUENCES);
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/a",
                  NewRelationship(StakeholderName("a", "jo"),
                                  StakeholderName("a", "max"),
                                  v1::RELATIONSHIP_TYPE_INFLUENCES),
                  ""),
              StatusIs(absl::StatusCode::kAlreadyExists));
  Relate("a", "jo", "a", "max", v1::RELATIONSHIP_TYPE_WORKS_WITH);
  Relate("a", "max", "a", "jo", v1::RELATIONSHIP_TYPE_INFLUENCES);
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListRelationships("accounts/a", 10, ""));
  EXPECT_THAT(page.items, SizeIs(3));
}

// ----------------------------------------------------- Parents must exist

TEST_F(StoreConstraintsTest, SiteOrStakeholderOfAMissingAccountIsNotFound) {
  EXPECT_THAT(
      store_->accounts().CreateSite("accounts/ghost", NewSite("Lab"), "lab"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().CreateStakeholder("accounts/ghost",
                                                   NewStakeholder("Jo"), "jo"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/ghost",
                  NewRelationship(StakeholderName("ghost", "a"),
                                  StakeholderName("ghost", "b"),
                                  v1::RELATIONSHIP_TYPE_WORKS_WITH),
                  ""),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreConstraintsTest, AccountWithAMissingParentIsRefused) {
  v1::Account account = NewAccount("Orphan");
  account.set_parent("accounts/ghost");
  absl::StatusOr<v1::Account> result =
      store_->accounts().CreateAccount(account, "orphan");
  EXPECT_THAT(result, HasPreconditionFailure("PARENT_NOT_FOUND"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("accounts/ghost"));
  EXPECT_THAT(store_->accounts().GetAccount("accounts/orphan"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreConstraintsTest, MalformedParentNamesTheField) {
  EXPECT_THAT(store_->accounts().CreateSite("acme", NewSite("Lab"), ""),
              HasViolationOn("parent"));
  EXPECT_THAT(store_->accounts().CreateStakeholder("accounts/",
                                                   NewStakeholder("Jo"), ""),
              HasViolationOn("parent"));
  EXPECT_THAT(
      store_->accounts().CreateRelationship(
          "accounts/a/x",
          NewRelationship(StakeholderName("a", "p"), StakeholderName("a", "q"),
                          v1::RELATIONSHIP_TYPE_WORKS_WITH),
          ""),
      HasViolationOn("parent"));
  v1::Account account = NewAccount("Child");
  account.set_parent("parent-account");
  EXPECT_THAT(store_->accounts().CreateAccount(account, ""),
              HasViolationOn("account.parent"));
}

// ---------------------------------------------------- Stakeholder sites

TEST_F(StoreConstraintsTest, StakeholderSiteMustExist) {
  AddAccount("a");
  v1::Stakeholder jo = NewStakeholder("Jo", "jo@a.org");
  jo.add_sites(SiteName("a", "missing"));
  absl::StatusOr<v1::Stakeholder> result =
      store_->accounts().CreateStakeholder("accounts/a", jo, "jo");
  EXPECT_THAT(result, HasPreconditionFailure("SITE_NOT_FOUND"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("stakeholder.sites[0]"));
  EXPECT_EQ(PreconditionFailureOf(result.status()).violations(0).subject(),
            SiteName("a", "missing"));
  // Nothing was created, and the e-mail is still free.
  EXPECT_THAT(store_->accounts().GetStakeholder(StakeholderName("a", "jo")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().FindStakeholderByEmail("jo@a.org"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreConstraintsTest, StakeholderSiteMustBeInsideTheAccountTree) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("stranger");
  AddSite("system", "hq");
  AddSite("stranger", "far");
  // A site of the parent (same tree) is fine.
  AddStakeholder("hospital", "jo", {SiteName("system", "hq")});

  v1::Stakeholder max = NewStakeholder("Max");
  max.add_sites(SiteName("system", "hq"));
  max.add_sites(SiteName("stranger", "far"));
  absl::StatusOr<v1::Stakeholder> result =
      store_->accounts().CreateStakeholder("accounts/hospital", max, "max");
  EXPECT_THAT(result, HasPreconditionFailure("SITE_OUTSIDE_ACCOUNT_TREE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("stakeholder.sites[1]"));
  EXPECT_THAT(
      store_->accounts().GetStakeholder(StakeholderName("hospital", "max")),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(StoreConstraintsTest, UpdateCannotMoveAStakeholderToAForeignSite) {
  AddAccount("a");
  AddAccount("b");
  AddSite("a", "home");
  AddSite("b", "away");
  v1::Stakeholder jo = AddStakeholder("a", "jo", {SiteName("a", "home")});
  v1::Stakeholder patch = jo;
  patch.clear_sites();
  patch.add_sites(SiteName("b", "away"));
  EXPECT_THAT(store_->accounts().UpdateStakeholder(patch, Mask({"sites"})),
              HasPreconditionFailure("SITE_OUTSIDE_ACCOUNT_TREE"));
  patch.clear_sites();
  patch.add_sites(SiteName("a", "gone"));
  EXPECT_THAT(store_->accounts().UpdateStakeholder(patch, Mask({"sites"})),
              HasPreconditionFailure("SITE_NOT_FOUND"));
  EXPECT_THAT(OrFail(store_->accounts().GetStakeholder(jo.name()), "get"),
              EqualsProto(jo));
}

// ---------------------------------------------------------- Relationships

TEST_F(StoreConstraintsTest, RelationshipSourceMustBelongToTheParentAccount) {
  AddAccount("a");
  AddAccount("b", "a");
  AddStakeholder("a", "jo");
  AddStakeholder("b", "max");
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/b",
                  NewRelationship(StakeholderName("a", "jo"),
                                  StakeholderName("b", "max"),
                                  v1::RELATIONSHIP_TYPE_REPORTS_TO),
                  ""),
              HasViolationOn("relationship.source"));
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListRelationships("accounts/b", 10, ""));
  EXPECT_THAT(page.items, IsEmpty());
}

TEST_F(StoreConstraintsTest, RelationshipEndsMustExist) {
  AddAccount("a");
  AddStakeholder("a", "jo");
  absl::StatusOr<v1::Relationship> missing_target =
      store_->accounts().CreateRelationship(
          "accounts/a",
          NewRelationship(StakeholderName("a", "jo"),
                          StakeholderName("a", "ghost"),
                          v1::RELATIONSHIP_TYPE_WORKS_WITH),
          "");
  EXPECT_THAT(missing_target, HasPreconditionFailure("STAKEHOLDER_NOT_FOUND"));
  EXPECT_THAT(std::string(missing_target.status().message()),
              HasSubstr("relationship.target"));
  absl::StatusOr<v1::Relationship> missing_source =
      store_->accounts().CreateRelationship(
          "accounts/a",
          NewRelationship(StakeholderName("a", "ghost"),
                          StakeholderName("a", "jo"),
                          v1::RELATIONSHIP_TYPE_WORKS_WITH),
          "");
  EXPECT_THAT(missing_source, HasPreconditionFailure("STAKEHOLDER_NOT_FOUND"));
  EXPECT_THAT(std::string(missing_source.status().message()),
              HasSubstr("relationship.source"));
}

TEST_F(StoreConstraintsTest, RelationshipsStayInsideOneAccountTree) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("stranger");
  AddStakeholder("hospital", "jo");
  AddStakeholder("system", "ceo");
  AddStakeholder("stranger", "max");
  // Across accounts of one tree: fine.
  Relate("hospital", "jo", "system", "ceo", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  absl::StatusOr<v1::Relationship> result =
      store_->accounts().CreateRelationship(
          "accounts/hospital",
          NewRelationship(StakeholderName("hospital", "jo"),
                          StakeholderName("stranger", "max"),
                          v1::RELATIONSHIP_TYPE_INFLUENCES),
          "");
  EXPECT_THAT(result, HasPreconditionFailure("CROSS_ACCOUNT_TREE"));
  EXPECT_THAT(
      std::string(result.status().message()),
      AllOf(HasSubstr("accounts/stranger"), HasSubstr("accounts/system")));
  ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListRelationships(
                                      "accounts/hospital", 10, ""));
  EXPECT_THAT(page.items, SizeIs(1));
}

TEST_F(StoreConstraintsTest, ReportsToCycleIsRefusedNamingThePath) {
  AddAccount("a");
  for (const char* id : {"ann", "ben", "cat"}) AddStakeholder("a", id);
  Relate("a", "ann", "a", "ben", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("a", "ben", "a", "cat", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  absl::StatusOr<v1::Relationship> result =
      store_->accounts().CreateRelationship(
          "accounts/a",
          NewRelationship(StakeholderName("a", "cat"),
                          StakeholderName("a", "ann"),
                          v1::RELATIONSHIP_TYPE_REPORTS_TO),
          "");
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("accounts/a/stakeholders/cat -> "
                        "accounts/a/stakeholders/ann -> "
                        "accounts/a/stakeholders/ben -> "
                        "accounts/a/stakeholders/cat"));
  EXPECT_EQ(PreconditionFailureOf(result.status()).violations(0).subject(),
            StakeholderName("a", "cat"));
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListRelationships("accounts/a", 10, ""));
  EXPECT_THAT(page.items, SizeIs(2));
}

TEST_F(StoreConstraintsTest, TwoPersonReportsToCycleIsRefused) {
  AddAccount("a");
  AddStakeholder("a", "ann");
  AddStakeholder("a", "ben");
  Relate("a", "ann", "a", "ben", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/a",
                  NewRelationship(StakeholderName("a", "ben"),
                                  StakeholderName("a", "ann"),
                                  v1::RELATIONSHIP_TYPE_REPORTS_TO),
                  ""),
              HasPreconditionFailure("CYCLE"));
}

TEST_F(StoreConstraintsTest, ReportsToCycleAcrossAccountsOfATreeIsRefused) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("lab", "hospital");
  AddStakeholder("lab", "tech");
  AddStakeholder("hospital", "manager");
  AddStakeholder("system", "ceo");
  Relate("lab", "tech", "hospital", "manager",
         v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("hospital", "manager", "system", "ceo",
         v1::RELATIONSHIP_TYPE_REPORTS_TO);
  absl::StatusOr<v1::Relationship> result =
      store_->accounts().CreateRelationship(
          "accounts/system",
          NewRelationship(StakeholderName("system", "ceo"),
                          StakeholderName("lab", "tech"),
                          v1::RELATIONSHIP_TYPE_REPORTS_TO),
          "");
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("accounts/system/stakeholders/ceo -> "
                        "accounts/lab/stakeholders/tech -> "
                        "accounts/hospital/stakeholders/manager -> "
                        "accounts/system/stakeholders/ceo"));
}

TEST_F(StoreConstraintsTest, OtherRelationshipTypesMayFormCycles) {
  AddAccount("a");
  AddStakeholder("a", "ann");
  AddStakeholder("a", "ben");
  Relate("a", "ann", "a", "ben", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("a", "ben", "a", "ann", v1::RELATIONSHIP_TYPE_INFLUENCES);
  Relate("a", "ben", "a", "ann", v1::RELATIONSHIP_TYPE_WORKS_WITH);
  Relate("a", "ann", "a", "ben", v1::RELATIONSHIP_TYPE_WORKS_WITH);
}

TEST_F(StoreConstraintsTest, ReportsToDiamondIsNotACycle) {
  AddAccount("a");
  for (const char* id : {"top", "left", "right", "bottom"}) {
    AddStakeholder("a", id);
  }
  Relate("a", "left", "a", "top", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("a", "right", "a", "top", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("a", "bottom", "a", "left", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate("a", "bottom", "a", "right", v1::RELATIONSHIP_TYPE_REPORTS_TO);
}

TEST_F(StoreConstraintsTest, ACycleEdgeCanBeAddedOnceTheBlockingEdgeIsGone) {
  AddAccount("a");
  AddStakeholder("a", "ann");
  AddStakeholder("a", "ben");
  v1::Relationship up =
      Relate("a", "ann", "a", "ben", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  ASSERT_OK(store_->accounts().DeleteRelationship(up.name(), up.etag()));
  Relate("a", "ben", "a", "ann", v1::RELATIONSHIP_TYPE_REPORTS_TO);
}

// ------------------------------------------------------- Bad input (store)

TEST_F(StoreConstraintsTest, InvalidAccountFieldsAreNamed) {
  v1::Account account = NewAccount("", "XX");
  account.set_facility_type(static_cast<v1::FacilityType>(99));
  account.set_annual_test_volume(-1);
  account.set_subdivision_code("NOPE");
  account.add_domains("not a domain");
  absl::Status status =
      store_->accounts().CreateAccount(account, "Bad_Id").status();
  for (const char* field :
       {"account.display_name", "account.country_code", "account.facility_type",
        "account.annual_test_volume", "account.subdivision_code",
        "account.domains[0]", "account_id"}) {
    EXPECT_THAT(status, HasViolationOn(field));
  }
  ASSERT_OK_AND_ASSIGN(auto page, store_->accounts().ListAccounts(10, ""));
  EXPECT_THAT(page.items, IsEmpty());
}

TEST_F(StoreConstraintsTest, InvalidSiteFieldsAreNamed) {
  AddAccount("acme");  // Country US.
  v1::Site site = NewSite("Lab");
  site.set_clia_number("12345");
  site.set_subdivision_code("CA-ON");
  site.set_annual_test_volume(-3);
  site.set_facility_type(static_cast<v1::FacilityType>(99));
  absl::Status status =
      store_->accounts().CreateSite("accounts/acme", site, "lab").status();
  EXPECT_THAT(status, HasViolationOn("site.clia_number"));
  EXPECT_THAT(status, HasViolationOn("site.subdivision_code"));
  EXPECT_THAT(status, HasViolationOn("site.annual_test_volume"));
  EXPECT_THAT(status, HasViolationOn("site.facility_type"));
  EXPECT_THAT(
      store_->accounts().CreateSite("accounts/acme", NewSite(""), "lab"),
      HasViolationOn("site.display_name"));
  EXPECT_THAT(
      store_->accounts().CreateSite("accounts/acme", NewSite("Lab"), "-lab"),
      HasViolationOn("site_id"));
  ASSERT_OK_AND_ASSIGN(auto page,
                       store_->accounts().ListSites("accounts/acme", 10, ""));
  EXPECT_THAT(page.items, IsEmpty());
}

TEST_F(StoreConstraintsTest, SiteSubdivisionIsCheckedAgainstItsOwnCountry) {
  AddAccount("acme");  // Country US.
  v1::Site site = NewSite("Toronto Lab");
  site.set_country_code("CA");
  site.set_subdivision_code("CA-ON");
  EXPECT_OK(store_->accounts().CreateSite("accounts/acme", site, "toronto"));
  v1::Site unknown = NewSite("Nowhere");
  unknown.set_country_code("XX");
  EXPECT_THAT(
      store_->accounts().CreateSite("accounts/acme", unknown, "nowhere"),
      HasViolationOn("site.country_code"));
}

TEST_F(StoreConstraintsTest, UpdateSiteWithInvalidValuesChangesNothing) {
  AddAccount("acme");
  v1::Site site = AddSite("acme", "core");
  v1::Site patch = site;
  patch.set_clia_number("bad");
  EXPECT_THAT(store_->accounts().UpdateSite(patch, Mask({"clia_number"})),
              HasViolationOn("site.clia_number"));
  EXPECT_THAT(store_->accounts().UpdateSite(patch, Mask({"etag"})),
              HasViolationOn("update_mask.paths[0]"));
  EXPECT_THAT(store_->accounts().UpdateSite(patch, Mask({"owner"})),
              HasViolationOn("update_mask.paths[0]"));
  EXPECT_THAT(OrFail(store_->accounts().GetSite(site.name()), "get"),
              EqualsProto(site));
}

TEST_F(StoreConstraintsTest, InvalidStakeholderFieldsAreNamed) {
  AddAccount("acme");
  v1::Stakeholder s = NewStakeholder("Jo", "jo@@acme");
  auto* role = s.add_roles();
  role->set_role(v1::COMMITTEE_ROLE_QUALITY);  // No source.
  s.set_engagement(static_cast<v1::Engagement>(99));
  s.add_sites("accounts/acme/core");
  s.set_phone("12");
  absl::Status status =
      store_->accounts().CreateStakeholder("accounts/acme", s, "Jo").status();
  for (const char* field : {"stakeholder.email", "stakeholder.roles[0].source",
                            "stakeholder.engagement", "stakeholder.sites[0]",
                            "stakeholder.phone", "stakeholder_id"}) {
    EXPECT_THAT(status, HasViolationOn(field));
  }
  EXPECT_THAT(store_->accounts().CreateStakeholder("accounts/acme",
                                                   NewStakeholder(" "), ""),
              HasViolationOn("stakeholder.display_name"));
  ASSERT_OK_AND_ASSIGN(
      auto page, store_->accounts().ListStakeholders("accounts/acme", 10, ""));
  EXPECT_THAT(page.items, IsEmpty());
}

TEST_F(StoreConstraintsTest, UpdateStakeholderWithInvalidValuesChangesNothing) {
  AddAccount("acme");
  v1::Stakeholder jo = AddStakeholder("acme", "jo", {}, "jo@acme.org");
  v1::Stakeholder patch = jo;
  patch.set_email("not-an-email");
  EXPECT_THAT(store_->accounts().UpdateStakeholder(patch, Mask({"email"})),
              HasViolationOn("stakeholder.email"));
  EXPECT_THAT(
      store_->accounts().UpdateStakeholder(patch, Mask({"create_time"})),
      HasViolationOn("update_mask.paths[0]"));
  EXPECT_THAT(OrFail(store_->accounts().GetStakeholder(jo.name()), "get"),
              EqualsProto(jo));
  EXPECT_OK(store_->accounts().FindStakeholderByEmail("jo@acme.org"));
}

TEST_F(StoreConstraintsTest, InvalidRelationshipFieldsAreNamed) {
  AddAccount("acme");
  AddStakeholder("acme", "jo");
  v1::Relationship r = NewRelationship(StakeholderName("acme", "jo"), "jo",
                                       static_cast<v1::RelationshipType>(99));
  r.set_strength(2);
  absl::Status status =
      store_->accounts().CreateRelationship("accounts/acme", r, "R1").status();
  for (const char* field : {"relationship.target", "relationship.type",
                            "relationship.strength", "relationship_id"}) {
    EXPECT_THAT(status, HasViolationOn(field));
  }
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/acme",
                  NewRelationship(StakeholderName("acme", "jo"),
                                  StakeholderName("acme", "jo"),
                                  v1::RELATIONSHIP_TYPE_WORKS_WITH),
                  ""),
              HasViolationOn("relationship.target"));
  EXPECT_THAT(store_->accounts().CreateRelationship(
                  "accounts/acme",
                  NewRelationship(StakeholderName("acme", "jo"),
                                  StakeholderName("acme", "max"),
                                  v1::RELATIONSHIP_TYPE_UNSPECIFIED),
                  ""),
              HasViolationOn("relationship.type"));
}

TEST_F(StoreConstraintsTest, InvalidAccountIdIsNamed) {
  for (const std::string& id :
       {std::string("Acme"), std::string("1acme"), std::string("acme-"),
        std::string("ac me"), std::string(64, 'a')}) {
    SCOPED_TRACE(id);
    EXPECT_THAT(store_->accounts().CreateAccount(NewAccount("Acme"), id),
                HasViolationOn("account_id"));
  }
}

}  // namespace
}  // namespace quorum::testing
