#include "graph/model/normalize.h"

#include <unicode/locid.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "graph/model/validation.h"
#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

// ------------------------------------------------------------ NormalizeText

TEST(NormalizeTextTest, TrimsAndCollapsesWhitespace) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"   ", ""},
      {"Acme", "Acme"},
      {"  Acme  Labs  ", "Acme Labs"},
      {"\tAcme\n\r\nLabs\v", "Acme Labs"},
      {"Acme\u00A0Labs", "Acme Labs"},        // No-break space.
      {"Acme\u3000\u2003Labs", "Acme Labs"},  // Ideographic and em spaces.
      {std::string("Acme\0Labs", 9), "Acme Labs"},  // NUL is a control.
      {"\u200BAcme\uFEFF", "Acme"},  // Zero-width space and BOM removed.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(NormalizeText(c.in), c.want);
  }
}

TEST(NormalizeTextTest, ComposesToNfc) {
  EXPECT_EQ(NormalizeText("e\u0301cole"), "\u00E9cole");  // é
  EXPECT_EQ(NormalizeText("Su\u0308d"), "S\u00FCd");      // ü
  EXPECT_EQ(NormalizeText("\u00E9cole"), "\u00E9cole");   // Already NFC.
  EXPECT_EQ(NormalizeText("\u212B"), "\u00C5");  // Angstrom sign -> Å.
}

TEST(NormalizeTextTest, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::vector<std::string> invalid = {"\xff",
                                            "abc\xfe",
                                            "\xc3",
                                            "\xc3\x28",
                                            "\xe2\x82",
                                            "\xed\xa0\x80",
                                            "\xf8\x88\x80\x80\x80",
                                            std::string("\x80\x80\x80", 3)};
  for (const std::string& in : invalid) {
    const std::string out = NormalizeText(in);
    EXPECT_THAT(out, HasSubstr("\uFFFD")) << absl::CEscape(in);
  }
  EXPECT_EQ(NormalizeText("ok \xff ok"), "ok \uFFFD ok");
}

// ------------------------------------------------------------ FoldWords

TEST(FoldWordsTest, LowerCasesRemovesAccentsAndSplitsOnPunctuation) {
  EXPECT_THAT(FoldWords("Laborzentrum Süd-West, GmbH", Apostrophes::kJoin),
              ElementsAre("laborzentrum", "sud", "west", "gmbh"));
  EXPECT_THAT(FoldWords("Straße", Apostrophes::kJoin), ElementsAre("strasse"));
  EXPECT_THAT(FoldWords("Łódź", Apostrophes::kJoin), ElementsAre("lodz"));
  EXPECT_THAT(FoldWords("ＡＢＣ Labs", Apostrophes::kJoin),
              ElementsAre("abc", "labs"));  // Full-width letters.
  EXPECT_THAT(FoldWords("", Apostrophes::kJoin), IsEmpty());
  EXPECT_THAT(FoldWords(" ,;-/ ", Apostrophes::kJoin), IsEmpty());
}

TEST(FoldWordsTest, AmpersandIsTheWordAnd) {
  EXPECT_THAT(FoldWords("R&D", Apostrophes::kJoin),
              ElementsAre("r", "and", "d"));
  EXPECT_THAT(FoldWords("Smith & Co", Apostrophes::kJoin),
              ElementsAre("smith", "and", "co"));
}

TEST(FoldWordsTest, JoinsSingleLetterDottedAbbreviationsOnly) {
  EXPECT_THAT(FoldWords("L.L.C.", Apostrophes::kJoin), ElementsAre("llc"));
  EXPECT_THAT(FoldWords("U.S.A.", Apostrophes::kJoin), ElementsAre("usa"));
  EXPECT_THAT(FoldWords("S.p.A.", Apostrophes::kJoin), ElementsAre("spa"));
  EXPECT_THAT(FoldWords("Ltd.", Apostrophes::kJoin), ElementsAre("ltd"));
  EXPECT_THAT(FoldWords("Co.KG", Apostrophes::kJoin), ElementsAre("co", "kg"));
  EXPECT_THAT(FoldWords("St.Mary", Apostrophes::kJoin),
              ElementsAre("st", "mary"));
}

TEST(FoldWordsTest, ApostrophesJoinOrSplit) {
  EXPECT_THAT(FoldWords("St. Mary's", Apostrophes::kJoin),
              ElementsAre("st", "marys"));
  EXPECT_THAT(FoldWords("St. Mary\u2019s", Apostrophes::kJoin),
              ElementsAre("st", "marys"));
  EXPECT_THAT(FoldWords("systèmes d'information", Apostrophes::kSplit),
              ElementsAre("systemes", "d", "information"));
}

TEST(FoldWordsTest, TransliteratesOtherScripts) {
  EXPECT_THAT(FoldWords("Москва Лаб", Apostrophes::kJoin),
              ElementsAre("moskva", "lab"));
  EXPECT_THAT(FoldWords("Ελλάδα", Apostrophes::kJoin), ElementsAre("ellada"));
}

TEST(FoldWordsTest, InvalidUtf8IsAWordBreak) {
  EXPECT_THAT(FoldWords("bad\xff\xfe"
                        "bytes",
                        Apostrophes::kJoin),
              ElementsAre("bad", "bytes"));
}

// ------------------------------------------------------------ CompanyKey

TEST(AsciiFoldTest, IsTheTransliterationOfCompanyKeys) {
  EXPECT_EQ(AsciiFold("Müller"), "muller");
  EXPECT_EQ(AsciiFold("  Øresund   Łódź "), "oresund lodz");
  EXPECT_EQ(AsciiFold("Weiß"), "weiss");
  EXPECT_EQ(CompanyKey("Müller"), AsciiFold("Müller"));
}

TEST(PersonNameForIdTest, DropsHonorificsAndPostNominals) {
  EXPECT_EQ(PersonNameForId("Dr. Anna Müller"), "anna muller");
  EXPECT_EQ(PersonNameForId("Prof. Dr. med. Jürgen Weiß, PhD"), "jurgen weiss");
  EXPECT_EQ(PersonNameForId("Herr Dr.-Ing. Karl Berg"), "karl berg");
  EXPECT_EQ(PersonNameForId("Mrs Jane Doe, M.D., Ph.D."), "jane doe");
  EXPECT_EQ(PersonNameForId("Mx. Sam Lee MT(ASCP)"), "sam lee");
  EXPECT_EQ(PersonNameForId("Megan Ortiz"), "megan ortiz");
}

TEST(PersonNameForIdTest, DropsThemOnlyAtTheEdgesAndKeepsOneWord) {
  // Inside the name they are part of it.
  EXPECT_EQ(PersonNameForId("Anna Dr Müller"), "anna dr muller");
  EXPECT_EQ(PersonNameForId("Md Rahman"), "md rahman");
  // Never everything.
  EXPECT_EQ(PersonNameForId("Dr."), "dr");
  EXPECT_EQ(PersonNameForId("Dr. PhD"), "phd");
  EXPECT_EQ(PersonNameForId(""), "");
}

TEST(CompanyKeyTest, VariantsOfOneCompanyShareTheKey) {
  struct Case {
    std::string want;
    std::vector<std::string> names;
  };
  const std::vector<Case> cases = {
      {"acme labs",
       {"Acme Labs, Inc.", "ACME LABS", "Acme Labs LLC", "Acme  Labs",
        "acme-labs", "Acme Labs Inc", "Acme Labs, L.L.C.", "Acme Labs Ltd.",
        "Acme Labs Co., Ltd.", "Acme Labs Corp.", "Acme Labs Corporation",
        "The Acme Labs Company", "  acme labs  ", "Acme Labs Pty Ltd",
        "Acme Labs PLC", "Acme Labs, LLP", "Acme Labs P.C."}},
      {"laborzentrum sud",
       {"Laborzentrum Süd", "laborzentrum sud", "Laborzentrum Süd GmbH",
        "LABORZENTRUM SÜD GMBH & CO. KG", "Laborzentrum Sud AG",
        "Laborzentrum Süd e.V.", "Laborzentrum Süd gGmbH"}},
      {"hopital st louis",
       {"Hôpital Saint-Louis", "Hopital St. Louis", "HÔPITAL ST-LOUIS S.A.S."}},
      {"st marys hospital",
       {"St. Mary's Hospital", "Saint Mary's Hospital", "St Marys Hospital",
        "St. Mary\u2019s Hospital"}},
      {"johns hopkins hospital",
       {"The Johns Hopkins Hospital", "Johns Hopkins Hospital"}},
      {"procter and gamble", {"Procter & Gamble Co.", "Procter and Gamble"}},
      {"biomerieux", {"bioMérieux S.A.", "BIOMERIEUX SA", "bioMérieux"}},
      {"sonic healthcare", {"Sonic Healthcare Pty Ltd", "Sonic Healthcare"}},
      {"eurofins scientific",
       {"Eurofins Scientific SE", "Eurofins Scientific"}},
      {"amsterdam umc", {"Amsterdam UMC B.V.", "Amsterdam UMC N.V."}},
      {"quest diagnostics", {"Quest Diagnostics Incorporated"}},
  };
  for (const Case& c : cases) {
    for (const std::string& name : c.names) {
      SCOPED_TRACE(name);
      EXPECT_EQ(CompanyKey(name), c.want);
    }
  }
}

TEST(CompanyKeyTest, StripsStackedLegalSuffixesOnlyAtTheEnd) {
  EXPECT_EQ(CompanyKey("Acme Labs Co., Ltd."), "acme labs");
  EXPECT_EQ(CompanyKey("Müller GmbH & Co. KG"), "muller");
  EXPECT_EQ(CompanyKey("Müller Verwaltungs GmbH & Co.KG"),
            "muller verwaltungs");
  EXPECT_EQ(CompanyKey("Acme Holdings Pvt. Ltd."), "acme holdings");
  EXPECT_EQ(CompanyKey("Acme Sp. z o.o."), "acme");
  EXPECT_EQ(CompanyKey("Acme S.A. de C.V."), "acme");
  EXPECT_EQ(CompanyKey("Acme A/S"), "acme");
  // Inside the name, a legal word is part of the name.
  EXPECT_EQ(CompanyKey("Laboratory Corporation of America Holdings"),
            "laboratory corporation of america holdings");
  EXPECT_EQ(CompanyKey("Inc Research Labs"), "inc research labs");
}

TEST(CompanyKeyTest, NeverStripsTheWholeName) {
  EXPECT_EQ(CompanyKey("Limited"), "limited");
  EXPECT_EQ(CompanyKey("LLC"), "llc");
  EXPECT_EQ(CompanyKey("Inc. Ltd."), "inc");
  EXPECT_EQ(CompanyKey("GmbH & Co. KG"), "gmbh");
  EXPECT_EQ(CompanyKey("The"), "the");
  EXPECT_EQ(CompanyKey("The Company"), "company");
}

TEST(CompanyKeyTest, DistinctCompaniesKeepDistinctKeys) {
  EXPECT_NE(CompanyKey("Acme Labs"), CompanyKey("Acme Lab Services"));
  EXPECT_NE(CompanyKey("Acme Labs"), CompanyKey("Acme"));
  EXPECT_NE(CompanyKey("Northfield Hospital"), CompanyKey("Northfield Clinic"));
}

TEST(CompanyKeyTest, EmptyAndPunctuationOnlyGiveEmpty) {
  EXPECT_EQ(CompanyKey(""), "");
  EXPECT_EQ(CompanyKey("   "), "");
  EXPECT_EQ(CompanyKey("--, .;"), "");
}

TEST(CompanyKeyTest, HandlesOtherScriptsAndInvalidBytes) {
  EXPECT_EQ(CompanyKey("Москва Лаб"), "moskva lab");
  EXPECT_EQ(CompanyKey("北京协和医院"), "bei jing xie he yi yuan");
  EXPECT_EQ(CompanyKey("Acme\xff Labs\xc3 Inc"), "acme labs");
}

TEST(CompanyKeyTest, IsSafeFromManyThreadsAtOnce) {
  const std::vector<std::string> names = {"Laborzentrum Süd GmbH",
                                          "Hôpital Saint-Louis", "Москва Лаб",
                                          "bioMérieux S.A.", "Acme Labs, Inc."};
  std::vector<std::string> want;
  for (const std::string& n : names) want.push_back(CompanyKey(n));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        for (size_t n = 0; n < names.size(); ++n) {
          if (CompanyKey(names[n]) != want[n]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

// ------------------------------------------------------------ CountryCode

TEST(CountryCodeTest, ReadsAlpha2CodesInAnyCaseAndSpacing) {
  EXPECT_THAT(CountryCode("us"), Optional(std::string("US")));
  EXPECT_THAT(CountryCode(" DE "), Optional(std::string("DE")));
  EXPECT_THAT(CountryCode("gb"), Optional(std::string("GB")));
  EXPECT_THAT(CountryCode("Nl"), Optional(std::string("NL")));
}

TEST(CountryCodeTest, ReadsAlpha3Codes) {
  EXPECT_THAT(CountryCode("USA"), Optional(std::string("US")));
  EXPECT_THAT(CountryCode("DEU"), Optional(std::string("DE")));
  EXPECT_THAT(CountryCode("GBR"), Optional(std::string("GB")));
  EXPECT_THAT(CountryCode("nld"), Optional(std::string("NL")));
  EXPECT_THAT(CountryCode("CAN"), Optional(std::string("CA")));
}

TEST(CountryCodeTest, EveryIcuCountryRoundTripsByCodesAndEnglishName) {
  int count = 0;
  for (const char* const* c = icu::Locale::getISOCountries(); *c != nullptr;
       ++c) {
    const std::string code = *c;
    SCOPED_TRACE(code);
    const icu::Locale locale("", code.c_str());
    EXPECT_THAT(CountryCode(code), Optional(code));
    EXPECT_THAT(CountryCode(absl::AsciiStrToLower(code)), Optional(code));
    const std::string alpha3 = locale.getISO3Country();
    if (!alpha3.empty()) {
      EXPECT_THAT(CountryCode(alpha3), Optional(code));
    }
    icu::UnicodeString name;
    locale.getDisplayCountry(icu::Locale::getEnglish(), name);
    std::string utf8;
    name.toUTF8String(utf8);
    EXPECT_THAT(CountryCode(utf8), Optional(code)) << utf8;
    ++count;
  }
  EXPECT_GT(count, 240);
}

TEST(CountryCodeTest, ReadsEnglishNamesIgnoringCaseAccentsAndPunctuation) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"Germany", "DE"},
      {"GERMANY", "DE"},
      {"  united states ", "US"},
      {"United Kingdom", "GB"},
      {"Côte d'Ivoire", "CI"},
      {"Cote d\u2019Ivoire", "CI"},
      {"Saint Lucia", "LC"},
      {"St. Lucia", "LC"},
      {"Bosnia and Herzegovina", "BA"},
      {"Trinidad & Tobago", "TT"},
      {"The Bahamas", "BS"},
      {"Bahamas, The", "BS"},
      {"canada.", "CA"},
      {"Curaçao", "CW"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_THAT(CountryCode(c.in), Optional(c.want));
  }
}

TEST(CountryCodeTest, ReadsCommonVariants) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"United States of America", "US"},
      {"USA", "US"},
      {"U.S.", "US"},
      {"U.S.A.", "US"},
      {"America", "US"},
      {"UK", "GB"},
      {"U.K.", "GB"},
      {"Great Britain", "GB"},
      {"Britain", "GB"},
      {"England", "GB"},
      {"Scotland", "GB"},
      {"Wales", "GB"},
      {"Northern Ireland", "GB"},
      {"Deutschland", "DE"},
      {"Federal Republic of Germany", "DE"},
      {"Holland", "NL"},
      {"The Netherlands", "NL"},
      {"Nederland", "NL"},
      {"Schweiz", "CH"},
      {"Suisse", "CH"},
      {"Österreich", "AT"},
      {"Osterreich", "AT"},
      {"Espana", "ES"},
      {"España", "ES"},
      {"Italia", "IT"},
      {"Republic of Ireland", "IE"},
      {"Eire", "IE"},
      {"Éire", "IE"},
      {"South Korea", "KR"},
      {"Korea, Republic of", "KR"},
      {"Czech Republic", "CZ"},
      {"Czechia", "CZ"},
      {"Russia", "RU"},
      {"Russian Federation", "RU"},
      {"UAE", "AE"},
      {"Viet Nam", "VN"},
      {"Vietnam", "VN"},
      {"Ivory Coast", "CI"},
      {"Hong Kong", "HK"},
      {"Türkiye", "TR"},
      {"Turkey", "TR"},
      {"Burma", "MM"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_THAT(CountryCode(c.in), Optional(c.want));
  }
}

TEST(CountryCodeTest, ReadsNamesInOtherEuropeanLanguages) {
  EXPECT_THAT(CountryCode("Allemagne"), Optional(std::string("DE")));
  EXPECT_THAT(CountryCode("Vereinigte Staaten"), Optional(std::string("US")));
  EXPECT_THAT(CountryCode("Frankreich"), Optional(std::string("FR")));
  EXPECT_THAT(CountryCode("Pays-Bas"), Optional(std::string("NL")));
  EXPECT_THAT(CountryCode("België"), Optional(std::string("BE")));
  EXPECT_THAT(CountryCode("Belgique"), Optional(std::string("BE")));
  EXPECT_THAT(CountryCode("Brasil"), Optional(std::string("BR")));
  EXPECT_THAT(CountryCode("Polska"), Optional(std::string("PL")));
}

TEST(CountryCodeTest, UnknownTextIsNullopt) {
  for (const char* in :
       {"", "   ", "Narnia", "EU", "Europe", "XX", "ZZ", "U", "Germany123",
        "United", "Republic of", "\xff\xfe", "Deutschland GmbH"}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(CountryCode(in), std::nullopt);
  }
}

TEST(CountryCodeTest, ResultsAreValidCountryCodes) {
  for (const char* in : {"UK", "England", "Holland", "UAE", "Korea", "DRC",
                         "Macau", "Palestine", "Vatican", "Swaziland"}) {
    SCOPED_TRACE(in);
    std::optional<std::string> code = CountryCode(in);
    ASSERT_TRUE(code.has_value());
    EXPECT_TRUE(IsCountryCode(*code)) << *code;
  }
}

// ------------------------------------------------------------ NormalizePhone

TEST(NormalizePhoneTest, FormatsValidNumbersAsE164) {
  struct Case {
    std::string phone;
    std::string region;
    std::string want;
  };
  const std::vector<Case> cases = {
      // US national forms with the US as region.
      {"(201) 555-0123", "US", "+12015550123"},
      {"201-555-0123", "us", "+12015550123"},
      {"201.555.0123", " US ", "+12015550123"},
      {"1 201 555 0123", "US", "+12015550123"},
      {"(201) 555-0123 ext. 12", "US", "+12015550123"},  // Extension dropped.
      {"416 555 0199", "CA", "+14165550199"},
      // German national forms with DE.
      {"030 1234567", "DE", "+49301234567"},
      {"030 / 123 456 7", "de", "+49301234567"},
      {"0151 23456789", "DE", "+4915123456789"},
      {"0049 30 1234567", "DE", "+49301234567"},  // International prefix.
      // UK.
      {"020 7946 0958", "GB", "+442079460958"},
      // International form: any region, or none.
      {"+1 201 555 0123", "", "+12015550123"},
      {"+49 30 1234567", "", "+49301234567"},
      {"+49 30 1234567", "US", "+49301234567"},
      {"+44 20 7946 0958", "DE", "+442079460958"},
      {"+31 20 123 4567", "", "+31201234567"},
      {"+33 1 23 45 67 89", "", "+33123456789"},
      {"  +1 (201) 555-0123  ", "", "+12015550123"},
      // Full-width digits.
      {"０３０ １２３４５６７", "DE", "+49301234567"},
      // Vanity letters are keypad digits.
      {"1-800-FLOWERS", "US", "+18003569377"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.phone + " / " + c.region);
    absl::StatusOr<std::string> e164 = NormalizePhone(c.phone, c.region);
    ASSERT_TRUE(e164.ok()) << e164.status();
    EXPECT_EQ(*e164, c.want);
    EXPECT_TRUE(IsE164(*e164));
  }
}

TEST(NormalizePhoneTest, RejectsWhatIsNotAValidNumberWithAReason) {
  struct Case {
    std::string phone;
    std::string region;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "US", "empty"},
      {"   ", "US", "empty"},
      {"call me maybe", "US", "is not a phone number"},
      {"n/a", "US", "is not a phone number"},
      {"2015550123", "", "has no country calling code"},
      {"2015550123", "XX", "\"XX\" is not a known region"},
      {"+999 123 456", "", "unknown country calling code"},
      {"123", "US", "is not a valid phone number"},
      {"+1 555 555 5555", "", "is not a valid phone number"},  // Unused range.
      {"030 12", "DE", "is not a valid phone number"},
      {"+1 201 555 0123 0123 0123 0123", "", "too long"},
      {"1234567890123456789012", "US", "too long"},
      {"\xff\xfe", "US", "is not a phone number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.phone + " / " + c.region);
    absl::StatusOr<std::string> e164 = NormalizePhone(c.phone, c.region);
    ASSERT_FALSE(e164.ok()) << *e164;
    EXPECT_EQ(e164.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(e164.status().message()), HasSubstr(c.message));
  }
}

TEST(NormalizePhoneTest, QuotesTheNumberInTheMessage) {
  absl::StatusOr<std::string> e164 = NormalizePhone("123", "US");
  ASSERT_FALSE(e164.ok());
  EXPECT_THAT(std::string(e164.status().message()), HasSubstr("\"123\""));
  EXPECT_THAT(std::string(e164.status().message()), HasSubstr("+1 (US)"));
}

// ------------------------------------------------------------ Mail domains

TEST(IsFreeMailDomainTest, KnowsConsumerProvidersInAnyCase) {
  for (const char* d :
       {"gmail.com",   "googlemail.com", "yahoo.com",      "yahoo.co.uk",
        "yahoo.de",    "outlook.com",    "hotmail.com",    "hotmail.de",
        "live.com",    "msn.com",        "icloud.com",     "me.com",
        "mac.com",     "aol.com",        "gmx.de",         "gmx.net",
        "gmx.com",     "web.de",         "t-online.de",    "freenet.de",
        "mail.com",    "proton.me",      "protonmail.com", "yandex.ru",
        "mail.ru",     "qq.com",         "163.com",        "orange.fr",
        "free.fr",     "laposte.net",    "btinternet.com", "sky.com",
        "libero.it",   "zoho.com",       "fastmail.com",   "GMAIL.COM",
        " Gmail.Com ", "gmail.com."}) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(IsFreeMailDomain(d));
  }
}

TEST(IsFreeMailDomainTest, BusinessAndLookAlikeDomainsAreNotFreeMail) {
  for (const char* d :
       {"acme-labs.com", "northfield-health.org", "mail.gmail.com", "gmail.co",
        "notgmail.com", "charite.de", "", "com", "mailinator.com"}) {
    SCOPED_TRACE(d);
    EXPECT_FALSE(IsFreeMailDomain(d));
  }
}

TEST(IsDisposableDomainTest, KnowsThrowAwayServicesAndTheirSubdomains) {
  for (const char* d :
       {"mailinator.com", "guerrillamail.com", "10minutemail.com",
        "temp-mail.org", "yopmail.com", "trashmail.com", "sharklasers.com",
        "getnada.com", "dispostable.com", "maildrop.cc", "throwawaymail.com",
        "MAILINATOR.COM", "x.mailinator.com", "a.b.yopmail.com",
        "mailinator.com."}) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(IsDisposableDomain(d));
  }
}

TEST(IsDisposableDomainTest, OrdinaryDomainsAreNotDisposable) {
  for (const char* d : {"gmail.com", "acme-labs.com", "notmailinator.com",
                        "mailinator.com.evil.org", "com", "", "."}) {
    SCOPED_TRACE(d);
    EXPECT_FALSE(IsDisposableDomain(d));
  }
}

// ------------------------------------------------------------ Websites

TEST(DomainOfWebsiteTest, ExtractsTheLowerCaseHostWithoutWww) {
  struct Case {
    std::string url;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"https://www.Acme-Labs.com/contact?x", "acme-labs.com"},
      {"acme.org", "acme.org"},
      {"www.acme.org", "acme.org"},
      {"WWW.ACME.ORG.", "acme.org"},
      {"http://acme.org", "acme.org"},
      {"HTTPS://Acme.Org/", "acme.org"},
      {"http://user:secret@www.acme.org:8080/path", "acme.org"},
      {"acme.org:443", "acme.org"},
      {"acme.org#team", "acme.org"},
      {"acme.org/redirect?to=http://other.example", "acme.org"},
      {"//cdn.acme.co.uk/x", "cdn.acme.co.uk"},
      {"ftp://files.acme.org", "files.acme.org"},
      {"https://www2.acme.org", "www2.acme.org"},
      {"  https://lab.northfield-health.org/  ", "lab.northfield-health.org"},
      {"www.com", "www.com"},  // Dropping "www." would leave no domain.
      {"https://müller-labor.de", "xn--mller-labor-thb.de"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    EXPECT_THAT(DomainOfWebsite(c.url), Optional(c.want));
  }
}

TEST(DomainOfWebsiteTest, NoValidHostIsNullopt) {
  for (const char* url :
       {"", "   ", "https://", "localhost", "http://localhost:8080",
        "http://192.168.0.1", "http://[::1]:80/", "acme labs.com",
        "acme.org:http", "-acme.org", "acme..org", "n/a", "\xff\xfe.com"}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(DomainOfWebsite(url), std::nullopt);
  }
}

TEST(EmailDomainTest, IsTheLowerCasePartAfterTheLastAt) {
  EXPECT_EQ(EmailDomain("Jo.Smith@Acme-Labs.COM"), "acme-labs.com");
  EXPECT_EQ(EmailDomain("  jo@acme.org "), "acme.org");
  EXPECT_EQ(EmailDomain("\"a@b\"@acme.org"), "acme.org");
  EXPECT_EQ(EmailDomain("jo@"), "");
  EXPECT_EQ(EmailDomain("no-at-sign"), "");
  EXPECT_EQ(EmailDomain(""), "");
}

}  // namespace
}  // namespace quorum::graph
