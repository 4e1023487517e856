// graph/model/normalize.h: the one country table (ICU's ISO 3166-1 alpha-2
// codes) and the functions that read it: IsCountryCode, CountryCode and
// CountryOfDomain.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "graph/model/normalize.h"
#include "graph/model/validation.h"
#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

using ::testing::Eq;
using ::testing::Optional;

// Every two-letter upper-case string.
std::vector<std::string> AllTwoLetterStrings() {
  std::vector<std::string> out;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) out.push_back({a, b});
  }
  return out;
}

TEST(CountryTableTest, HoldsTheIsoAlpha2Codes) {
  int codes = 0;
  for (const std::string& code : AllTwoLetterStrings()) {
    if (IsCountryCode(code)) ++codes;
  }
  // ISO 3166-1 assigns 249 codes; ICU versions differ by a few.
  EXPECT_GE(codes, 240);
  EXPECT_LE(codes, 260);
  for (const char* code : {"US", "DE", "GB", "FR", "NL", "CH", "JP", "KR"}) {
    EXPECT_TRUE(IsCountryCode(code)) << code;
  }
  for (const char* code : {"UK", "EU", "ZZ", "XX", "us", "USA", "U", ""}) {
    EXPECT_FALSE(IsCountryCode(code)) << code;
  }
}

TEST(CountryTableTest, IsCountryCodeAndCountryCodeReadTheSameTable) {
  // A code is a country code exactly when CountryCode reads it as itself,
  // in upper and in lower case.
  for (const std::string& code : AllTwoLetterStrings()) {
    std::string lower = code;
    for (char& c : lower) c = static_cast<char>(c - 'A' + 'a');
    const std::optional<std::string> upper_read = CountryCode(code);
    const std::optional<std::string> lower_read = CountryCode(lower);
    EXPECT_EQ(IsCountryCode(code), upper_read == code) << code;
    EXPECT_EQ(IsCountryCode(code), lower_read == code) << lower;
  }
  // Whatever CountryCode answers is a code.
  for (const char* text : {"Germany", "UK", "U.S.A.", "Deutschland", "Holland",
                           "Côte d'Ivoire", "South Korea", "España", "GBR"}) {
    const std::optional<std::string> code = CountryCode(text);
    ASSERT_TRUE(code.has_value()) << text;
    EXPECT_TRUE(IsCountryCode(*code)) << text << " -> " << *code;
  }
}

TEST(CountryOfDomainTest, ReadsTheCountryCodeTopLevelLabel) {
  EXPECT_THAT(CountryOfDomain("labor-isar.de"), Optional(Eq("DE")));
  EXPECT_THAT(CountryOfDomain("chu-lyon.fr"), Optional(Eq("FR")));
  EXPECT_THAT(CountryOfDomain("umcg.nl"), Optional(Eq("NL")));
  EXPECT_THAT(CountryOfDomain("lab.example.ch"), Optional(Eq("CH")));
  EXPECT_THAT(CountryOfDomain("Labor-Isar.DE"), Optional(Eq("DE")));
}

TEST(CountryOfDomainTest, MapsTheDomainsThatDifferFromTheIsoCode) {
  // .uk is the United Kingdom, whose ISO code is GB.
  EXPECT_THAT(CountryOfDomain("nhs.uk"), Optional(Eq("GB")));
  EXPECT_THAT(CountryOfDomain("st-thomas.nhs.uk"), Optional(Eq("GB")));
  EXPECT_THAT(CountryOfDomain("example.gb"), Optional(Eq("GB")));
}

TEST(CountryOfDomainTest, GenericAndUnknownLabelsGiveNoCountry) {
  for (const char* domain :
       {"acme-labs.com", "example.org", "lab.eu", "lab.health", "lab.zz",
        "localhost", "", ".", "de", "lab.", "lab.d", "lab.deu"}) {
    EXPECT_EQ(CountryOfDomain(domain), std::nullopt) << domain;
  }
}

TEST(CountryOfDomainTest, AlwaysAnswersACountryCode) {
  for (const std::string& code : AllTwoLetterStrings()) {
    const std::optional<std::string> country =
        CountryOfDomain("lab.example." + code);
    if (country) {
      EXPECT_TRUE(IsCountryCode(*country)) << code;
    }
  }
}

}  // namespace
}  // namespace quorum::graph
