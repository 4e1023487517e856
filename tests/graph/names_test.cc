#include "graph/model/names.h"

#include <string>

#include "gmock/gmock.h"
#include "graph/model/status.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::names {
namespace {

using ::quorum::testing::HasViolationOn;
using ::testing::HasSubstr;

TEST(IsValidIdTest, AcceptsLowerCaseLettersDigitsAndInnerDashes) {
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("northfield"));
  EXPECT_TRUE(IsValidId("st-mary-s-lab"));
  EXPECT_TRUE(IsValidId("lab2"));
  EXPECT_TRUE(IsValidId("a--b"));
}

TEST(IsValidIdTest, RejectsWhatThePatternExcludes) {
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("1lab"));  // Must start with a letter.
  EXPECT_FALSE(IsValidId("-lab"));
  EXPECT_FALSE(IsValidId("lab-"));     // Must not end with a dash.
  EXPECT_FALSE(IsValidId("Lab"));      // Lower case only.
  EXPECT_FALSE(IsValidId("lab_one"));  // No underscore.
  EXPECT_FALSE(IsValidId("lab one"));
  EXPECT_FALSE(IsValidId("lab/one"));
  EXPECT_FALSE(IsValidId("labé"));
}

TEST(IsValidIdTest, AllowsAtMostSixtyThreeCharacters) {
  EXPECT_TRUE(IsValidId(std::string(63, 'a')));
  EXPECT_FALSE(IsValidId(std::string(64, 'a')));
}

TEST(NamesTest, BuildsAccountAndChildNames) {
  EXPECT_EQ(Account("acme"), "accounts/acme");
  EXPECT_EQ(Child("acme", kSites, "core"), "accounts/acme/sites/core");
  EXPECT_EQ(Child("acme", kStakeholders, "jo"),
            "accounts/acme/stakeholders/jo");
  EXPECT_EQ(Child("acme", kRelationships, "r1"),
            "accounts/acme/relationships/r1");
}

TEST(ParseAccountTest, ReturnsTheAccountId) {
  auto id = ParseAccount("accounts/acme", "name");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "acme");
}

TEST(ParseAccountTest, RejectsMalformedNamesNamingTheField) {
  for (const char* bad :
       {"acme", "accounts/", "accounts/Acme", "account/acme", "accounts/acme/",
        "accounts/acme/sites/x", "/accounts/acme", "accounts//acme"}) {
    SCOPED_TRACE(bad);
    auto id = ParseAccount(bad, "account.parent");
    EXPECT_THAT(id, HasViolationOn("account.parent"));
    EXPECT_THAT(std::string(id.status().message()), HasSubstr(bad));
  }
}

TEST(ParseAccountTest, EmptyNameIsRequired) {
  auto id = ParseAccount("", "parent");
  EXPECT_THAT(id, HasViolationOn("parent"));
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("is required"));
}

TEST(ParseChildTest, ReturnsAccountAndId) {
  auto child = ParseChild("accounts/acme/sites/core-lab", kSites, "name");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->account_id, "acme");
  EXPECT_EQ(child->id, "core-lab");
  EXPECT_EQ(child->account_name(), "accounts/acme");
}

TEST(ParseChildTest, RejectsAnotherCollection) {
  EXPECT_THAT(ParseChild("accounts/acme/stakeholders/jo", kSites,
                         "stakeholder.sites[0]"),
              HasViolationOn("stakeholder.sites[0]"));
}

TEST(ParseChildTest, RejectsMalformedNames) {
  for (const char* bad :
       {"", "accounts/acme", "accounts/acme/sites", "accounts/acme/sites/",
        "accounts/ACME/sites/x", "accounts/acme/sites/X",
        "accounts/acme/sites/x/y", "things/acme/sites/x"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseChild(bad, kSites, "site.name"),
                HasViolationOn("site.name"));
  }
}

TEST(SlugIdTest, DerivesAValidIdFromFreeText) {
  EXPECT_EQ(SlugId("St. Mary's Lab", "site"), "st-mary-s-lab");
  EXPECT_EQ(SlugId("  Northfield   Health  ", "account"), "northfield-health");
}

TEST(SlugIdTest, TransliteratesLettersAsCompanyKeysDo) {
  // The one transliteration of graph::AsciiFold: no letter is dropped.
  EXPECT_EQ(SlugId("Zürich Labor", "account"), "zurich-labor");
  EXPECT_EQ(SlugId("ÄÖÜ", "site"), "aou");
  EXPECT_EQ(SlugId("Łódź Laboratorium", "account"), "lodz-laboratorium");
  EXPECT_EQ(SlugId("Hôpital Saint-Éloi", "account"), "hopital-saint-eloi");
}

TEST(SlugIdTest, UsesTheFallbackWhenTextHasNoUsableCharacters) {
  EXPECT_EQ(SlugId("", "person"), "person");
  EXPECT_EQ(SlugId("!!! ???", "person"), "person");
  EXPECT_EQ(SlugId("☃ ☃", "site"), "site");
}

TEST(SlugIdTest, PrefixesTheFallbackWhenTextStartsWithADigit) {
  EXPECT_EQ(SlugId("360 Diagnostics", "account"), "account-360-diagnostics");
}

TEST(SlugIdTest, ResultIsAlwaysAValidId) {
  for (const std::string& text :
       {std::string(200, 'x'), std::string("a") + std::string(100, '-') + "b",
        std::string(49, 'a') + "-----" + std::string(20, 'b'), std::string("9"),
        std::string("-a-"), std::string(80, '7')}) {
    SCOPED_TRACE(text);
    std::string id = SlugId(text, "account");
    EXPECT_TRUE(IsValidId(id)) << id;
    EXPECT_LE(id.size(), 63u);
  }
}

}  // namespace
}  // namespace quorum::names
