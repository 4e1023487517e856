#include "graph/model/validation.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "graph/model/status.h"
#include "gtest/gtest.h"
#include "quorum/v1/resources.pb.h"
#include "test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::NewAccount;
using ::quorum::testing::NewRelationship;
using ::quorum::testing::NewSite;
using ::quorum::testing::NewStakeholder;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using v1::Account;
using v1::Relationship;
using v1::Site;
using v1::Stakeholder;

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const auto& fv : v.list()) out.push_back(fv.field());
  return out;
}

// ------------------------------------------------------------ Predicates

TEST(IsCountryCodeTest, KnowsIsoAlpha2Codes) {
  EXPECT_TRUE(IsCountryCode("US"));
  EXPECT_TRUE(IsCountryCode("DE"));
  EXPECT_TRUE(IsCountryCode("JP"));
}

TEST(IsCountryCodeTest, RejectsUnknownOrMalformedCodes) {
  EXPECT_FALSE(IsCountryCode("XX"));
  EXPECT_FALSE(IsCountryCode("us"));
  EXPECT_FALSE(IsCountryCode("USA"));
  EXPECT_FALSE(IsCountryCode("U"));
  EXPECT_FALSE(IsCountryCode(""));
}

TEST(IsSubdivisionCodeTest, AcceptsCodesOfTheGivenCountry) {
  EXPECT_TRUE(IsSubdivisionCode("US-NJ", "US"));
  EXPECT_TRUE(IsSubdivisionCode("GB-ENG", "GB"));
  EXPECT_TRUE(IsSubdivisionCode("FR-75", "FR"));
  EXPECT_TRUE(IsSubdivisionCode("DE-B", "DE"));
}

TEST(IsSubdivisionCodeTest, RejectsAnotherCountryOrBadShape) {
  EXPECT_FALSE(IsSubdivisionCode("US-NJ", "CA"));
  EXPECT_FALSE(IsSubdivisionCode("US-NJ", ""));
  EXPECT_FALSE(IsSubdivisionCode("US-", "US"));
  EXPECT_FALSE(IsSubdivisionCode("USNJ", "US"));
  EXPECT_FALSE(IsSubdivisionCode("US-NJXX", "US"));
  EXPECT_FALSE(IsSubdivisionCode("US-nj", "US"));
  EXPECT_FALSE(IsSubdivisionCode("US_NJ", "US"));
}

TEST(IsDomainTest, AcceptsLowerCaseHostNames) {
  EXPECT_TRUE(IsDomain("example.org"));
  EXPECT_TRUE(IsDomain("lab.northfield-health.org"));
  EXPECT_TRUE(IsDomain("a1.io"));
}

TEST(IsDomainTest, RejectsMalformedDomains) {
  EXPECT_FALSE(IsDomain(""));
  EXPECT_FALSE(IsDomain("localhost"));
  EXPECT_FALSE(IsDomain("Example.org"));
  EXPECT_FALSE(IsDomain("-example.org"));
  EXPECT_FALSE(IsDomain("example-.org"));
  EXPECT_FALSE(IsDomain("example..org"));
  EXPECT_FALSE(IsDomain(".example.org"));
  EXPECT_FALSE(IsDomain("example.org."));
  EXPECT_FALSE(IsDomain("10.0.0.1"));
  EXPECT_FALSE(IsDomain("exa_mple.org"));
  EXPECT_FALSE(IsDomain(std::string(64, 'a') + ".org"));
}

TEST(IsEmailTest, AcceptsPracticalAddresses) {
  EXPECT_TRUE(IsEmail("jo@example.org"));
  EXPECT_TRUE(IsEmail("jo.smith+lab@mail.example.org"));
  EXPECT_TRUE(IsEmail("JO@Example.ORG"));  // The domain is compared lower.
}

TEST(IsEmailTest, RejectsMalformedAddresses) {
  EXPECT_FALSE(IsEmail(""));
  EXPECT_FALSE(IsEmail("jo"));
  EXPECT_FALSE(IsEmail("@example.org"));
  EXPECT_FALSE(IsEmail("jo@"));
  EXPECT_FALSE(IsEmail("jo@localhost"));
  EXPECT_FALSE(IsEmail("jo@@example.org"));
  EXPECT_FALSE(IsEmail(".jo@example.org"));
  EXPECT_FALSE(IsEmail("jo.@example.org"));
  EXPECT_FALSE(IsEmail("j..o@example.org"));
  EXPECT_FALSE(IsEmail("j o@example.org"));
  EXPECT_FALSE(IsEmail(std::string(65, 'a') + "@example.org"));
}

TEST(IsCliaNumberTest, AcceptsTwoDigitsDAndSevenDigits) {
  EXPECT_TRUE(IsCliaNumber("31D0123456"));
}

TEST(IsCliaNumberTest, RejectsOtherShapes) {
  EXPECT_FALSE(IsCliaNumber(""));
  EXPECT_FALSE(IsCliaNumber("31d0123456"));
  EXPECT_FALSE(IsCliaNumber("31X0123456"));
  EXPECT_FALSE(IsCliaNumber("31D012345"));
  EXPECT_FALSE(IsCliaNumber("31D01234567"));
  EXPECT_FALSE(IsCliaNumber("3AD0123456"));
}

TEST(IsE164Test, AcceptsPlusAndEightToFifteenDigits) {
  EXPECT_TRUE(IsE164("+15551234567"));
  EXPECT_TRUE(IsE164("+12345678"));
  EXPECT_TRUE(IsE164("+123456789012345"));
}

TEST(IsE164Test, RejectsOtherShapes) {
  EXPECT_FALSE(IsE164("15551234567"));
  EXPECT_FALSE(IsE164("+05551234567"));
  EXPECT_FALSE(IsE164("+1234567"));
  EXPECT_FALSE(IsE164("+1234567890123456"));
  EXPECT_FALSE(IsE164("+1 555 123 4567"));
}

// -------------------------------------------------------------- Accounts

TEST(CheckAccountTest, AcceptsAMinimalAccount) {
  Account a = NewAccount("Northfield Health");
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), IsEmpty());
}

TEST(CheckAccountTest, NormalizesTextCodesAndLists) {
  Account a = NewAccount("  Northfield Health  ", " us ");
  a.set_subdivision_code("us-nj");
  a.add_domains(" Northfield.ORG ");
  a.add_domains("northfield.org");
  a.add_domains("nfh.org");
  a.add_testing_scopes("Molecular");
  a.add_testing_scopes("molecular ");
  a.add_accreditations(" CAP ");
  a.add_accreditations("CAP");
  a.set_parent(" accounts/parent ");
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), IsEmpty());
  EXPECT_EQ(a.display_name(), "Northfield Health");
  EXPECT_EQ(a.country_code(), "US");
  EXPECT_EQ(a.subdivision_code(), "US-NJ");
  EXPECT_THAT(a.domains(), ElementsAre("northfield.org", "nfh.org"));
  EXPECT_THAT(a.testing_scopes(), ElementsAre("molecular"));
  EXPECT_THAT(a.accreditations(), ElementsAre("CAP"));
  EXPECT_EQ(a.parent(), "accounts/parent");
}

TEST(CheckAccountTest, RequiresDisplayNameAndCountry) {
  Account a;
  a.set_display_name("   ");
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("account.display_name",
                                              "account.country_code"));
}

TEST(CheckAccountTest, RejectsUnknownCountryCode) {
  Account a = NewAccount("Lab", "XX");
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), ElementsAre("account.country_code"));
}

TEST(CheckAccountTest, RejectsSubdivisionOfAnotherCountry) {
  Account a = NewAccount("Lab", "US");
  a.set_subdivision_code("CA-ON");
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), ElementsAre("account.subdivision_code"));
}

TEST(CheckAccountTest, RejectsUnknownEnumValues) {
  Account a = NewAccount("Lab");
  a.set_facility_type(static_cast<v1::FacilityType>(99));
  a.set_evaluation_stage(static_cast<v1::EvaluationStage>(-3));
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("account.facility_type",
                                              "account.evaluation_stage"));
}

TEST(CheckAccountTest, RejectsNegativeVolumeButAcceptsZero) {
  Account a = NewAccount("Lab");
  a.set_annual_test_volume(-1);
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), ElementsAre("account.annual_test_volume"));

  a.set_annual_test_volume(0);
  Violations ok;
  CheckAccount(&a, "account", &ok);
  EXPECT_TRUE(ok.empty());
}

TEST(CheckAccountTest, NamesTheIndexOfABadDomain) {
  Account a = NewAccount("Lab");
  a.add_domains("good.org");
  a.add_domains("not a domain");
  a.add_domains("");
  Violations v;
  CheckAccount(&a, "account", &v);
  // The empty entry is reported at its input index; the remaining bad
  // domain at its index after normalization.
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("account.domains[2]", "account.domains[1]"));
}

TEST(CheckAccountTest, RejectsMalformedParentAndLongText) {
  Account a = NewAccount(std::string(501, 'x'));
  a.set_parent("hospital");
  a.set_owner(std::string(600, 'o'));
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("account.display_name", "account.parent",
                                   "account.owner"));
}

TEST(CheckAccountTest, RejectsEmptyLabelKeysAndBadTimestamps) {
  Account a = NewAccount("Lab");
  (*a.mutable_labels())[""] = "x";
  a.mutable_decision_time()->set_nanos(-1);
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("account.labels", "account.decision_time"));
}

TEST(CheckAccountTest, UsesThePrefixGiven) {
  Account a;
  Violations v;
  CheckAccount(&a, "", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("display_name", "country_code"));
}

// ------------------------------------------------------------------ Sites

// ------------------------------------------------------------------ Limits

TEST(CheckAccountTest, ListsAboveTheEntryLimitAreOneViolationEach) {
  Account a = NewAccount("Many Lists Lab");
  for (int i = 0; i <= kMaxListEntries; ++i) {
    a.add_domains("lab" + std::to_string(i) + ".example.org");
    a.add_testing_scopes("scope " + std::to_string(i));
    a.add_accreditations("acc " + std::to_string(i));
    a.add_current_systems("system " + std::to_string(i));
  }
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("account.domains", "account.testing_scopes",
                                   "account.accreditations",
                                   "account.current_systems"));
  EXPECT_NE(v.list()[0].description().find("at most 50"), std::string::npos);
}

TEST(CheckAccountTest, ListsAtTheEntryLimitAreAccepted) {
  Account a = NewAccount("Full Lists Lab");
  for (int i = 0; i < kMaxListEntries; ++i) {
    a.add_domains("lab" + std::to_string(i) + ".example.org");
    a.add_testing_scopes(std::string(kMaxTextLength - 3, 's') +
                         absl::StrFormat("%03d", i));
  }
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), IsEmpty());
  EXPECT_EQ(a.testing_scopes_size(), kMaxListEntries);
}

TEST(CheckAccountTest, ListEntryOverTheTextLimitNamesItsIndex) {
  Account a = NewAccount("Long Scope Lab");
  a.add_testing_scopes("chemistry");
  a.add_testing_scopes(std::string(kMaxTextLength + 1, 'x'));
  Violations v;
  CheckAccount(&a, "account", &v);
  EXPECT_THAT(Fields(v), ElementsAre("account.testing_scopes[1]"));
  EXPECT_NE(v.list()[0].description().find("500 bytes"), std::string::npos);
}

TEST(CheckAccountTest, LabelsAreLimitedInNumberKeyAndValue) {
  // 6,000 labels of 500 bytes used to be stored and broke listings.
  Account many = NewAccount("Many Labels Lab");
  for (int i = 0; i < 6000; ++i) {
    (*many.mutable_labels())["k" + std::to_string(i)] = std::string(500, 'v');
  }
  Violations v;
  CheckAccount(&many, "account", &v);
  EXPECT_THAT(Fields(v), ElementsAre("account.labels"));
  EXPECT_NE(v.list()[0].description().find("at most 64"), std::string::npos);

  Account long_value = NewAccount("Long Label Lab");
  (*long_value.mutable_labels())["tier"] =
      std::string(kMaxLabelValueLength + 1, 'v');
  Violations value_violations;
  CheckAccount(&long_value, "account", &value_violations);
  EXPECT_THAT(Fields(value_violations),
              ElementsAre("account.labels[\"tier\"]"));

  Account full = NewAccount("Full Labels Lab");
  for (int i = 0; i < kMaxLabels; ++i) {
    (*full.mutable_labels())[std::string(kMaxLabelKeyLength - 2, 'k') +
                             absl::StrFormat("%02d", i)] =
        std::string(kMaxLabelValueLength, 'v');
  }
  Violations none;
  CheckAccount(&full, "account", &none);
  EXPECT_THAT(Fields(none), IsEmpty());
}

TEST(CheckSiteTest, ListsAboveTheEntryLimitAreViolations) {
  Site s = NewSite("Main Lab");
  for (int i = 0; i <= kMaxListEntries; ++i) {
    s.add_testing_scopes("scope " + std::to_string(i));
  }
  Violations v;
  CheckSite(&s, "US", "site", &v);
  EXPECT_THAT(Fields(v), ElementsAre("site.testing_scopes"));
}

TEST(CheckStakeholderTest, RolesSitesAndEmailAreLimited) {
  Stakeholder s = NewStakeholder("Jo Smith", "");
  for (int i = 0; i <= kMaxRoles; ++i) {
    auto* r = s.add_roles();
    r->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
    r->set_source(v1::ROLE_SOURCE_CONFIRMED);
  }
  for (int i = 0; i <= kMaxListEntries; ++i) {
    s.add_sites("accounts/a/sites/s" + std::to_string(i));
  }
  s.set_email(std::string(600, 'a') + "@example.org");
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("stakeholder.roles", "stakeholder.sites",
                                   "stakeholder.email"));
  for (const auto& violation : v.list()) {
    EXPECT_LE(violation.description().size(), 210u);  // Never echoes 600 bytes.
  }
}

TEST(ViolationsTest, LongDescriptionsAndManyViolationsAreCut) {
  Violations v;
  for (int i = 0; i < 1000; ++i) {
    v.Add("field" + std::to_string(i), std::string(10000, 'x'));
  }
  EXPECT_LE(v.list().size(), 41u);
  EXPECT_EQ(v.list().back().description(), "and more problems not listed");
  for (const auto& violation : v.list()) {
    EXPECT_LE(violation.description().size(), 203u);
  }
  EXPECT_LT(v.ToStatus().message().size(), 20000u);
}

TEST(CheckSiteTest, InheritsTheAccountCountryForTheSubdivision) {
  Site s = NewSite("Core Lab");
  s.set_subdivision_code("us-nj");
  Violations v;
  CheckSite(&s, "US", "site", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(s.subdivision_code(), "US-NJ");
  EXPECT_TRUE(s.country_code().empty());

  Violations mismatch;
  CheckSite(&s, "CA", "site", &mismatch);
  EXPECT_THAT(Fields(mismatch), ElementsAre("site.subdivision_code"));
}

TEST(CheckSiteTest, ChecksItsOwnCountryWhenSet) {
  Site s = NewSite("Toronto Lab");
  s.set_country_code("ca");
  s.set_subdivision_code("CA-ON");
  Violations v;
  CheckSite(&s, "US", "site", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(s.country_code(), "CA");

  s.set_country_code("XX");
  Violations bad;
  CheckSite(&s, "US", "site", &bad);
  EXPECT_THAT(Fields(bad), ::testing::Contains("site.country_code"));
}

TEST(CheckSiteTest, NormalizesAndChecksCliaNumber) {
  Site s = NewSite("Core Lab");
  s.set_clia_number(" 31d0123456 ");
  Violations v;
  CheckSite(&s, "US", "site", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(s.clia_number(), "31D0123456");

  s.set_clia_number("CLIA-123");
  Violations bad;
  CheckSite(&s, "US", "site", &bad);
  EXPECT_THAT(Fields(bad), ElementsAre("site.clia_number"));
}

TEST(CheckSiteTest, ReportsEveryBadField) {
  Site s;
  s.set_facility_type(static_cast<v1::FacilityType>(99));
  s.set_annual_test_volume(-5);
  s.add_testing_scopes(" ");
  Violations v;
  CheckSite(&s, "US", "site", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("site.display_name", "site.facility_type",
                                   "site.annual_test_volume",
                                   "site.testing_scopes[0]"));
}

// ----------------------------------------------------------- Stakeholders

TEST(CheckStakeholderTest, LowerCasesEmailAndDefaultsEngagement) {
  Stakeholder s = NewStakeholder(" Jo Smith ", " Jo.Smith@Example.ORG ");
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(s.display_name(), "Jo Smith");
  EXPECT_EQ(s.email(), "jo.smith@example.org");
  EXPECT_EQ(s.engagement(), v1::ENGAGEMENT_IDENTIFIED);
}

TEST(CheckStakeholderTest, KeepsAnExplicitEngagement) {
  Stakeholder s = NewStakeholder("Jo");
  s.set_engagement(v1::ENGAGEMENT_BLOCKER);
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_EQ(s.engagement(), v1::ENGAGEMENT_BLOCKER);
}

TEST(CheckStakeholderTest, RejectsInvalidEmailAndPhone) {
  Stakeholder s = NewStakeholder("Jo", "jo-at-example.org");
  s.set_phone("555-1234");
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("stakeholder.email", "stakeholder.phone"));
}

TEST(CheckStakeholderTest, RequiresDisplayName) {
  Stakeholder s = NewStakeholder("");
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v), ElementsAre("stakeholder.display_name"));
}

TEST(CheckStakeholderTest, RoleNeedsAKnownRoleAndASource) {
  Stakeholder s = NewStakeholder("Jo");
  auto* no_source = s.add_roles();
  no_source->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  auto* no_role = s.add_roles();
  no_role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  auto* unknown = s.add_roles();
  unknown->set_role(static_cast<v1::CommitteeRole>(42));
  unknown->set_source(static_cast<v1::RoleSource>(7));
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("stakeholder.roles[0].source",
                                              "stakeholder.roles[1].role",
                                              "stakeholder.roles[2].role",
                                              "stakeholder.roles[2].source"));
}

TEST(CheckStakeholderTest, HoldsARoleFromEachSourceOnce) {
  Stakeholder s = NewStakeholder("Jo");
  for (auto source : {v1::ROLE_SOURCE_INFERRED, v1::ROLE_SOURCE_CONFIRMED,
                      v1::ROLE_SOURCE_CRM}) {
    auto* r = s.add_roles();
    r->set_role(v1::COMMITTEE_ROLE_QUALITY);
    r->set_source(source);
  }
  Violations ok;
  CheckStakeholder(&s, "stakeholder", &ok);
  EXPECT_THAT(Fields(ok), IsEmpty());
  *s.add_roles() = s.roles(2);
  Violations twice;
  CheckStakeholder(&s, "stakeholder", &twice);
  EXPECT_THAT(Fields(twice), ElementsAre("stakeholder.roles[3].role"));
}

TEST(CheckStakeholderTest, BehaviourIsNeverStoredAndABasisIsBounded) {
  Stakeholder s = NewStakeholder("Jo");
  auto* behaviour = s.add_roles();
  behaviour->set_role(v1::COMMITTEE_ROLE_QUALITY);
  behaviour->set_source(v1::ROLE_SOURCE_BEHAVIOUR);
  auto* crm = s.add_roles();
  crm->set_role(v1::COMMITTEE_ROLE_PROCUREMENT);
  crm->set_source(v1::ROLE_SOURCE_CRM);
  crm->set_basis("  Buyer  ");
  auto* long_basis = s.add_roles();
  long_basis->set_role(v1::COMMITTEE_ROLE_QUALITY);
  long_basis->set_source(v1::ROLE_SOURCE_CRM);
  long_basis->set_basis(std::string(kMaxRoleBasisLength + 1, 'x'));
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("stakeholder.roles[0].source",
                                              "stakeholder.roles[2].basis"));
  EXPECT_EQ(s.roles(1).basis(), "Buyer");
}

TEST(CheckStakeholderTest, SitesMustBeSiteNames) {
  Stakeholder s = NewStakeholder("Jo");
  s.add_sites("accounts/a/sites/core");
  s.add_sites("accounts/a/sites/core");  // Duplicate: dropped.
  s.add_sites("accounts/a/stakeholders/core");
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v), ElementsAre("stakeholder.sites[1]"));
  EXPECT_EQ(s.sites_size(), 2);
}

TEST(CheckStakeholderTest, RejectsUnknownEngagement) {
  Stakeholder s = NewStakeholder("Jo");
  s.set_engagement(static_cast<v1::Engagement>(12));
  Violations v;
  CheckStakeholder(&s, "stakeholder", &v);
  EXPECT_THAT(Fields(v), ElementsAre("stakeholder.engagement"));
}

// ---------------------------------------------------------- Relationships

TEST(CheckRelationshipTest, AcceptsAWellFormedEdge) {
  Relationship r = NewRelationship(" accounts/a/stakeholders/x ",
                                   "accounts/a/stakeholders/y",
                                   v1::RELATIONSHIP_TYPE_REPORTS_TO);
  r.set_strength(0.5);
  Violations v;
  CheckRelationship(&r, "relationship", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(r.source(), "accounts/a/stakeholders/x");
}

TEST(CheckRelationshipTest, RequiresStakeholderEndsAndAType) {
  Relationship r;
  Violations v;
  CheckRelationship(&r, "relationship", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("relationship.source", "relationship.target",
                                   "relationship.type"));
}

TEST(CheckRelationshipTest, RejectsSelfLoopUnknownTypeAndBadStrength) {
  Relationship r =
      NewRelationship("accounts/a/stakeholders/x", "accounts/a/stakeholders/x",
                      static_cast<v1::RelationshipType>(9));
  r.set_strength(1.5);
  Violations v;
  CheckRelationship(&r, "relationship", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("relationship.target", "relationship.type",
                                   "relationship.strength"));
}

TEST(CheckRelationshipTest, RejectsNonFiniteOrNegativeStrength) {
  for (double strength : {-0.1, std::numeric_limits<double>::quiet_NaN(),
                          std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(strength);
    Relationship r = NewRelationship("accounts/a/stakeholders/x",
                                     "accounts/a/stakeholders/y",
                                     v1::RELATIONSHIP_TYPE_INFLUENCES);
    r.set_strength(strength);
    Violations v;
    CheckRelationship(&r, "relationship", &v);
    EXPECT_THAT(Fields(v), ElementsAre("relationship.strength"));
  }
}

TEST(CheckRelationshipTest, EndsMustBeStakeholderNames) {
  Relationship r = NewRelationship("accounts/a/sites/x", "accounts/a",
                                   v1::RELATIONSHIP_TYPE_WORKS_WITH);
  Violations v;
  CheckRelationship(&r, "relationship", &v);
  EXPECT_THAT(Fields(v), UnorderedElementsAre("relationship.source",
                                              "relationship.target"));
}

}  // namespace
}  // namespace quorum::graph
