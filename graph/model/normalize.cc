#include "graph/model/normalize.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/bytestream.h>
#include <unicode/idna.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "graph/model/validation.h"

namespace quorum::graph {
namespace {

// ------------------------------------------------------------------ Tables

// Honorifics PersonNameForId drops from the start of a person's name, as
// ASCII words (split on everything that is not a letter or digit: "Dr.
// med." is "dr med", "Dr.-Ing." is "dr ing"). Several may stack ("Prof.
// Dr.", "Herr Dr."). Longest first when matching.
constexpr std::string_view kHonorifics[] = {
    "dr",      "dr med", "dr med dent", "dr med vet", "dr rer nat",
    "dr phil", "dr ing", "dr h c",      "prof",       "mr",
    "mrs",     "ms",     "mx",          "miss",       "herr",
    "frau",    "mme",    "mlle",        "sir",        "dame",
};

// Post-nominals PersonNameForId drops from the end of a person's name, in
// the same form ("Ph.D." is "ph d", "MT(ASCP)" is "mt ascp"). Several may
// stack ("MD, PhD").
constexpr std::string_view kPostNominals[] = {
    "phd",     "ph d",    "md",       "m d",   "dphil", "mba",
    "msc",     "m sc",    "bsc",      "mph",   "rn",    "facp",
    "frcpath", "mt ascp", "mls ascp", "dabcc", "faacc", "dipl ing",
};

// Legal-form suffixes CompanyKey drops from the end of a name, as folded
// words (FoldWords: "L.L.C." is "llc", "& Co." is "and co", "A/S" is "a s").
// Several may stack ("Co., Ltd.", "GmbH & Co. KG", "Pty Ltd").
constexpr std::string_view kLegalForms[] = {
    // English-speaking countries.
    "inc", "incorporated", "corp", "corporation", "co", "company", "cos",
    "and co", "and company", "ltd", "limited", "private limited", "llc",
    "limited liability company", "llp", "limited liability partnership", "lllp",
    "lp", "limited partnership", "plc", "public limited company", "pc",
    "professional corporation", "pllc", "pa", "professional association", "psc",
    "pty", "pte", "pvt",
    // German-speaking countries.
    "gmbh", "mbh", "ggmbh", "gesellschaft mit beschrankter haftung", "ag",
    "aktiengesellschaft", "kg", "kgaa", "ohg", "gbr", "ug",
    "haftungsbeschrankt", "ev", "eg", "ek",
    // French, Spanish, Italian, Portuguese.
    "sa", "s a", "societe anonyme", "sas", "sasu", "sarl", "eurl", "sca", "snc",
    "cie", "and cie", "sl", "slu", "srl", "spa", "societa per azioni", "ltda",
    "lda", "sa de cv",
    // Benelux.
    "bv", "b v", "besloten vennootschap", "nv", "n v", "naamloze vennootschap",
    "vof", "bvba", "sprl",
    // Nordic and other European.
    "se", "ab", "as", "a s", "asa", "aps", "oy", "oyj", "kft", "zrt", "sro",
    "doo", "sp z oo",
    // Asia.
    "kk", "kabushiki kaisha", "bhd", "sdn bhd"};

// Country names ICU's English display names do not cover, folded like the
// input (case, accents, punctuation, "the" ignored) -> ISO alpha-2.
// "Korea" alone is South Korea, the one diagnostics leads mean.
constexpr std::pair<std::string_view, std::string_view> kCountryVariants[] = {
    {"United States of America", "US"},
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
    {"United Kingdom of Great Britain and Northern Ireland", "GB"},
    {"Großbritannien", "GB"},
    {"Federal Republic of Germany", "DE"},
    {"Bundesrepublik Deutschland", "DE"},
    {"BRD", "DE"},
    {"Holland", "NL"},
    {"Kingdom of the Netherlands", "NL"},
    {"Suisse", "CH"},
    {"Svizzera", "CH"},
    {"Swiss Confederation", "CH"},
    {"Belgique", "BE"},
    {"Belgien", "BE"},
    {"Republic of Ireland", "IE"},
    {"Eire", "IE"},
    {"Korea", "KR"},
    {"Korea, Republic of", "KR"},
    {"Republic of Korea", "KR"},
    {"Korea (South)", "KR"},
    {"Korea, Democratic People's Republic of", "KP"},
    {"Democratic People's Republic of Korea", "KP"},
    {"DPRK", "KP"},
    {"Czech Republic", "CZ"},
    {"Slovak Republic", "SK"},
    {"Russian Federation", "RU"},
    {"UAE", "AE"},
    {"U.A.E.", "AE"},
    {"Emirates", "AE"},
    {"Viet Nam", "VN"},
    {"Myanmar", "MM"},
    {"Burma", "MM"},
    {"Hong Kong", "HK"},
    {"Macau", "MO"},
    {"Macao", "MO"},
    {"People's Republic of China", "CN"},
    {"PRC", "CN"},
    {"Mainland China", "CN"},
    {"Taiwan, Province of China", "TW"},
    {"Ivory Coast", "CI"},
    {"Cabo Verde", "CV"},
    {"East Timor", "TL"},
    {"Swaziland", "SZ"},
    {"Macedonia", "MK"},
    {"Türkiye", "TR"},
    {"Turkiye", "TR"},
    {"Lao People's Democratic Republic", "LA"},
    {"Iran, Islamic Republic of", "IR"},
    {"Syrian Arab Republic", "SY"},
    {"Moldova, Republic of", "MD"},
    {"Tanzania, United Republic of", "TZ"},
    {"Bolivia, Plurinational State of", "BO"},
    {"Venezuela, Bolivarian Republic of", "VE"},
    {"Brunei Darussalam", "BN"},
    {"Micronesia, Federated States of", "FM"},
    {"Palestine", "PS"},
    {"State of Palestine", "PS"},
    {"Holy See", "VA"},
    {"Vatican", "VA"},
    {"Democratic Republic of the Congo", "CD"},
    {"DR Congo", "CD"},
    {"DRC", "CD"},
    {"Republic of the Congo", "CG"},
    {"Bosnia", "BA"},
    {"Saint Vincent and the Grenadines", "VC"},
    {"Kyrgyz Republic", "KG"},
};

// Country-code top-level domains that are not the country's ISO alpha-2
// code (upper-case) -> that code. Every other two-letter label that is a
// code (IsCountryCode) stands for its country.
constexpr std::pair<std::string_view, std::string_view>
    kTopLevelDomainCountries[] = {
        {"UK", "GB"},
};

// Free, consumer e-mail providers: addresses there say nothing about the
// employer. Exact domains, sorted (checked at compile time).
constexpr std::string_view kFreeMailDomains[] = {
    // Sorted.
    "126.com",         "163.com",        "aim.com",         "alice.it",
    "aliyun.com",      "aol.co.uk",      "aol.com",         "aol.de",
    "aol.fr",          "arcor.de",       "att.net",         "bellsouth.net",
    "bigpond.com",     "bk.ru",          "bluewin.ch",      "blueyonder.co.uk",
    "bol.com.br",      "btinternet.com", "charter.net",     "comcast.net",
    "cox.net",         "daum.net",       "earthlink.net",   "email.com",
    "email.de",        "fastmail.com",   "fastmail.fm",     "foxmail.com",
    "free.fr",         "freenet.de",     "gmail.com",       "gmx.at",
    "gmx.ch",          "gmx.com",        "gmx.de",          "gmx.fr",
    "gmx.net",         "googlemail.com", "hanmail.net",     "hetnet.nl",
    "home.nl",         "hotmail.be",     "hotmail.ca",      "hotmail.co.uk",
    "hotmail.com",     "hotmail.de",     "hotmail.es",      "hotmail.fr",
    "hotmail.it",      "hotmail.nl",     "hushmail.com",    "icloud.com",
    "inbox.ru",        "interia.pl",     "juno.com",        "kpnmail.nl",
    "laposte.net",     "libero.it",      "list.ru",         "live.be",
    "live.ca",         "live.co.uk",     "live.com",        "live.de",
    "live.fr",         "live.it",        "live.nl",         "mac.com",
    "mail.com",        "mail.ru",        "mailbox.org",     "me.com",
    "msn.com",         "naver.com",      "neuf.fr",         "ntlworld.com",
    "o2.pl",           "onet.pl",        "online.de",       "optonline.net",
    "optusnet.com.au", "orange.fr",      "outlook.co.uk",   "outlook.com",
    "outlook.de",      "outlook.es",     "outlook.fr",      "outlook.it",
    "outlook.nl",      "passport.com",   "planet.nl",       "pm.me",
    "posteo.de",       "proton.me",      "protonmail.ch",   "protonmail.com",
    "qq.com",          "rambler.ru",     "rediffmail.com",  "rocketmail.com",
    "rogers.com",      "sbcglobal.net",  "seznam.cz",       "sfr.fr",
    "shaw.ca",         "sina.com",       "sky.com",         "skynet.be",
    "sohu.com",        "sympatico.ca",   "t-online.de",     "talktalk.net",
    "telenet.be",      "terra.com.br",   "tin.it",          "tiscali.it",
    "tuta.io",         "tutanota.com",   "tutanota.de",     "uol.com.br",
    "usa.com",         "verizon.net",    "virgilio.it",     "virginmedia.com",
    "wanadoo.fr",      "web.de",         "windowslive.com", "wp.pl",
    "ya.ru",           "yahoo.ca",       "yahoo.co.in",     "yahoo.co.jp",
    "yahoo.co.uk",     "yahoo.com",      "yahoo.com.au",    "yahoo.com.br",
    "yahoo.com.mx",    "yahoo.de",       "yahoo.es",        "yahoo.fr",
    "yahoo.ie",        "yahoo.it",       "yahoo.nl",        "yahoo.se",
    "yandex.by",       "yandex.com",     "yandex.kz",       "yandex.ru",
    "yandex.ua",       "yeah.net",       "ymail.com",       "ziggo.nl",
    "zoho.com",        "zohomail.com"};
static_assert(std::ranges::is_sorted(kFreeMailDomains));

// Disposable, throw-away mailbox services. Exact domains, sorted; their
// subdomains count too.
constexpr std::string_view kDisposableDomains[] = {
    // Sorted.
    "10minutemail.com",
    "10minutemail.net",
    "anonbox.net",
    "burnermail.io",
    "crazymailing.com",
    "discard.email",
    "dispostable.com",
    "emailfake.com",
    "emailondeck.com",
    "fakeinbox.com",
    "getairmail.com",
    "getnada.com",
    "grr.la",
    "guerrillamail.biz",
    "guerrillamail.com",
    "guerrillamail.de",
    "guerrillamail.info",
    "guerrillamail.net",
    "guerrillamail.org",
    "guerrillamailblock.com",
    "harakirimail.com",
    "inboxkitten.com",
    "jetable.org",
    "mailcatch.com",
    "maildrop.cc",
    "mailinator.com",
    "mailinator.net",
    "mailinator2.com",
    "mailnesia.com",
    "mailpoof.com",
    "mintemail.com",
    "moakt.com",
    "mohmal.com",
    "mytrashmail.com",
    "nada.email",
    "pokemail.net",
    "sharklasers.com",
    "spam4.me",
    "spambox.us",
    "spamgourmet.com",
    "temp-mail.io",
    "temp-mail.org",
    "tempail.com",
    "tempinbox.com",
    "tempmailo.com",
    "tempr.email",
    "throwawaymail.com",
    "trashmail.com",
    "trashmail.de",
    "trashmail.net",
    "yopmail.com",
    "yopmail.fr",
    "yopmail.net"};
static_assert(std::ranges::is_sorted(kDisposableDomains));

// ------------------------------------------------------------------ ICU

// The tables are std::string_view (constexpr, sortable); Debian's abseil has
// its own absl::string_view.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }

bool IsAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

// Whitespace for NormalizeText: Unicode White_Space and the controls.
bool IsSpaceLike(UChar32 c) {
  return u_isUWhiteSpace(c) || u_charType(c) == U_CONTROL_CHAR;
}

// The prototype every thread clones its transliterator from. Created once;
// only ever cloned (under CloneMutex), never used to transliterate.
const icu::Transliterator* TransliteratorPrototype() {
  static const icu::Transliterator* prototype = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::Transliterator* t = icu::Transliterator::createInstance(
        "Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status);
    return U_SUCCESS(status) ? t : nullptr;
  }();
  return prototype;
}

std::mutex& CloneMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}

// This thread's own transliterator (nullptr only when ICU lacks the data).
icu::Transliterator* ThreadTransliterator() {
  thread_local std::unique_ptr<icu::Transliterator> mine = [] {
    const icu::Transliterator* prototype = TransliteratorPrototype();
    if (prototype == nullptr) return std::unique_ptr<icu::Transliterator>();
    std::lock_guard<std::mutex> lock(CloneMutex());
    return std::unique_ptr<icu::Transliterator>(prototype->clone());
  }();
  return mine.get();
}

// ASCII, lower-case. Characters ICU cannot express in ASCII stay as they are
// (FoldWords treats them as word breaks).
std::string ToAsciiLower(const std::string& text) {
  if (IsAscii(text)) return absl::AsciiStrToLower(text);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  if (icu::Transliterator* t = ThreadTransliterator(); t != nullptr) {
    t->transliterate(u);
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

// Adds `token` (letters, digits, dots, apostrophes) to `words`.
void AddToken(absl::string_view token, Apostrophes apostrophes,
              std::vector<std::string>* words) {
  std::vector<std::string> parts;
  if (apostrophes == Apostrophes::kJoin) {
    std::string joined;
    for (char c : token) {
      if (c != '\'' && c != '`') joined += c;
    }
    parts.push_back(std::move(joined));
  } else {
    for (absl::string_view p :
         absl::StrSplit(token, absl::ByAnyChar("'`"), absl::SkipEmpty())) {
      parts.emplace_back(p);
    }
  }
  for (const std::string& part : parts) {
    std::vector<absl::string_view> pieces =
        absl::StrSplit(part, '.', absl::SkipEmpty());
    const bool abbreviation =
        pieces.size() >= 2 &&
        std::all_of(pieces.begin(), pieces.end(),
                    [](absl::string_view p) { return p.size() == 1; });
    if (abbreviation) {
      words->push_back(absl::StrJoin(pieces, ""));
    } else {
      for (absl::string_view p : pieces) words->emplace_back(p);
    }
  }
}

// FoldWords, then "saint" -> "st", "sainte" -> "ste", a leading "the"
// dropped when more words follow.
std::vector<std::string> NameWords(absl::string_view text) {
  std::vector<std::string> words = FoldWords(text, Apostrophes::kJoin);
  for (std::string& w : words) {
    if (w == "saint") w = "st";
    if (w == "sainte") w = "ste";
  }
  if (words.size() > 1 && words.front() == "the") words.erase(words.begin());
  return words;
}

// ------------------------------------------------------------------ Countries

std::string CountryKey(absl::string_view text) {
  std::vector<std::string> words = NameWords(text);
  if (words.size() > 1 && words.back() == "the") words.pop_back();
  return absl::StrJoin(words, " ");
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

// Whether every letter of `u` is in the Latin script.
bool IsLatinScript(const icu::UnicodeString& u) {
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(u.char32At(i), &status);
    if (U_FAILURE(status)) return false;
    if (script != USCRIPT_LATIN && script != USCRIPT_COMMON &&
        script != USCRIPT_INHERITED) {
      return false;
    }
  }
  return true;
}

// The country table: ISO 3166-1 alpha-2 codes as ICU knows them, in ICU's
// order. Everything about countries (IsCountryCode, CountryCode,
// CountryOfDomain) is derived from it.
const std::vector<std::string>& IsoCountryCodes() {
  static const auto* codes = [] {
    auto* list = new std::vector<std::string>;
    for (const char* const* c = icu::Locale::getISOCountries(); *c != nullptr;
         ++c) {
      list->emplace_back(*c);
    }
    return list;
  }();
  return *codes;
}

// The same codes, for lookups.
const std::set<std::string, std::less<>>& IsoCountryCodeSet() {
  static const auto* set = new std::set<std::string, std::less<>>(
      IsoCountryCodes().begin(), IsoCountryCodes().end());
  return *set;
}

using CountryMap = std::map<std::string, std::string, std::less<>>;

// Folded key -> alpha-2. Earlier sources win over later ones: alpha-2
// codes, alpha-3 codes, kCountryVariants, English names, then other
// languages' names (dropped when two countries share one).
const CountryMap& Countries() {
  static const CountryMap* countries = [] {
    auto* map = new CountryMap;
    const std::vector<std::string>& codes = IsoCountryCodes();
    for (const std::string& code : codes) {
      map->emplace(absl::AsciiStrToLower(code), code);
    }
    for (const std::string& code : codes) {
      const std::string alpha3 = icu::Locale("", code.c_str()).getISO3Country();
      if (!alpha3.empty()) map->emplace(absl::AsciiStrToLower(alpha3), code);
    }
    for (const auto& [name, code] : kCountryVariants) {
      map->emplace(CountryKey(Sv(name)), std::string(code));
    }
    for (const std::string& code : codes) {
      icu::UnicodeString name;
      icu::Locale("", code.c_str())
          .getDisplayCountry(icu::Locale::getEnglish(), name);
      std::string key = CountryKey(ToUtf8(name));
      if (!key.empty()) map->emplace(std::move(key), code);
    }
    // Other languages: ambiguous names map to "" and are left out.
    CountryMap others;
    for (const std::string& code : codes) {
      std::vector<icu::Locale> languages = {
          icu::Locale("de"), icu::Locale("fr"), icu::Locale("nl"),
          icu::Locale("es"), icu::Locale("it"), icu::Locale("pt")};
      icu::Locale likely("und", code.c_str());
      UErrorCode status = U_ZERO_ERROR;
      likely.addLikelySubtags(status);
      if (U_SUCCESS(status)) languages.push_back(likely);
      for (const icu::Locale& language : languages) {
        icu::UnicodeString name;
        icu::Locale("", code.c_str()).getDisplayCountry(language, name);
        if (!IsLatinScript(name)) continue;
        std::string key = CountryKey(ToUtf8(name));
        if (key.empty()) continue;
        auto [it, inserted] = others.emplace(key, code);
        if (!inserted && it->second != code) it->second.clear();
      }
    }
    for (auto& [key, code] : others) {
      if (!code.empty()) map->emplace(key, code);
    }
    return map;
  }();
  return *countries;
}

// ------------------------------------------------------------------ Domains

std::string DomainForLookup(absl::string_view domain) {
  std::string d = absl::AsciiStrToLower(absl::StripAsciiWhitespace(domain));
  if (absl::EndsWith(d, ".")) d.pop_back();
  return d;
}

template <size_t N>
bool Contains(const std::string_view (&sorted)[N], std::string_view value) {
  return std::binary_search(std::begin(sorted), std::end(sorted), value);
}

// UTS #46 ToASCII; the instance is immutable and thread-safe.
const icu::IDNA* Idna() {
  static const icu::IDNA* idna = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::IDNA* i = icu::IDNA::createUTS46Instance(
        UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI |
            UIDNA_CHECK_CONTEXTJ,
        status);
    return U_SUCCESS(status) ? i : nullptr;
  }();
  return idna;
}

// ------------------------------------------------------------------ Phones

// `text` in quotes for an error message, cut to a readable length.
std::string Quoted(absl::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return absl::StrCat("\"", text, "\"");
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return absl::StrCat("\"", text.substr(0, cut), "...\"");
}

}  // namespace

// ------------------------------------------------------------------ Text

std::string NormalizeText(absl::string_view text) {
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString collapsed;
  bool pending_space = false;
  for (int32_t i = 0; i < in.length(); i = in.moveIndex32(i, 1)) {
    const UChar32 c = in.char32At(i);
    if (c == 0x200B || c == 0xFEFF) continue;
    if (IsSpaceLike(c)) {
      pending_space = !collapsed.isEmpty();
      continue;
    }
    if (pending_space) collapsed.append(static_cast<UChar>(u' '));
    pending_space = false;
    collapsed.append(c);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString normalized = nfc->normalize(collapsed, status);
    if (U_SUCCESS(status)) return ToUtf8(normalized);
  }
  return ToUtf8(collapsed);
}

std::vector<std::string> FoldWords(absl::string_view text,
                                   Apostrophes apostrophes) {
  const std::string ascii = ToAsciiLower(NormalizeText(text));
  std::vector<std::string> words;
  std::string token;
  auto flush = [&] {
    if (!token.empty()) AddToken(token, apostrophes, &words);
    token.clear();
  };
  for (char c : ascii) {
    if (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
        c == '\'' || c == '`') {
      token += c;
    } else if (c == '&') {
      flush();
      words.emplace_back("and");
    } else {
      flush();
    }
  }
  flush();
  return words;
}

std::string AsciiFold(absl::string_view text) {
  return ToAsciiLower(NormalizeText(text));
}

std::string PersonNameForId(absl::string_view name) {
  using Words = std::vector<std::string>;
  auto split = [](absl::string_view text) {
    Words words;
    std::string word;
    for (char c : text) {
      if (absl::ascii_isalnum(c)) {
        word += c;
      } else if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
  };
  // Each table as word sequences, longest first.
  auto table = [&split](absl::Span<const std::string_view> entries) {
    auto* list = new std::vector<Words>;
    for (std::string_view entry : entries) list->push_back(split(Sv(entry)));
    std::stable_sort(
        list->begin(), list->end(),
        [](const Words& a, const Words& b) { return a.size() > b.size(); });
    return list;
  };
  static const std::vector<Words>* const honorifics = table(kHonorifics);
  static const std::vector<Words>* const post_nominals = table(kPostNominals);
  const Words words = split(AsciiFold(name));
  size_t begin = 0;
  size_t end = words.size();
  // Drops one entry of `list` at the start (or the end) when a word of the
  // name would still remain.
  auto drop = [&](const std::vector<Words>& list, bool at_start) {
    for (const Words& entry : list) {
      if (entry.size() >= end - begin) continue;
      const size_t from = at_start ? begin : end - entry.size();
      if (std::equal(entry.begin(), entry.end(),
                     words.begin() + static_cast<std::ptrdiff_t>(from))) {
        (at_start ? begin : end) = at_start ? begin + entry.size() : from;
        return true;
      }
    }
    return false;
  };
  while (drop(*honorifics, true)) {
  }
  while (drop(*post_nominals, false)) {
  }
  return absl::StrJoin(words.begin() + static_cast<std::ptrdiff_t>(begin),
                       words.begin() + static_cast<std::ptrdiff_t>(end), " ");
}

std::string CompanyKey(absl::string_view name) {
  static const auto* forms = [] {
    auto* list = new std::vector<std::vector<std::string>>;
    for (std::string_view form : kLegalForms) {
      list->push_back(absl::StrSplit(Sv(form), ' '));
    }
    // Longest first: "and co" must go whole, not leave a dangling "and".
    std::stable_sort(
        list->begin(), list->end(),
        [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return list;
  }();
  std::vector<std::string> words = NameWords(name);
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const std::vector<std::string>& form : *forms) {
      if (words.size() <= form.size()) continue;
      if (std::equal(form.begin(), form.end(), words.end() - form.size())) {
        words.resize(words.size() - form.size());
        stripped = true;
        break;
      }
    }
  }
  return absl::StrJoin(words, " ");
}

bool IsCountryCode(absl::string_view code) {
  return code.size() == 2 && IsoCountryCodeSet().count(code) > 0;
}

std::optional<std::string> CountryCode(absl::string_view text) {
  const std::string key = CountryKey(text);
  if (key.empty()) return std::nullopt;
  const CountryMap& countries = Countries();
  auto it = countries.find(key);
  if (it == countries.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> CountryOfDomain(absl::string_view domain) {
  size_t dot = domain.rfind('.');
  if (dot == absl::string_view::npos) return std::nullopt;
  std::string tld = absl::AsciiStrToUpper(domain.substr(dot + 1));
  for (const auto& [label, code] : kTopLevelDomainCountries) {
    if (tld == label) {
      tld = std::string(code);
      break;
    }
  }
  if (tld.size() == 2 && IsCountryCode(tld)) return tld;
  return std::nullopt;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view phone,
                                           absl::string_view default_region) {
  using ::i18n::phonenumbers::PhoneNumber;
  using ::i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();

  const std::string text = NormalizeText(phone);
  if (text.empty()) {
    return absl::InvalidArgumentError("the phone number is empty");
  }
  std::string region =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(default_region));
  std::string unknown_region;
  if (!region.empty() && util.GetCountryCodeForRegion(region) == 0) {
    unknown_region = region;
  }
  if (region.empty() || !unknown_region.empty()) region = "ZZ";

  PhoneNumber number;
  switch (util.Parse(text, region, &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      if (absl::StartsWith(text, "+")) {
        return absl::InvalidArgumentError(absl::StrCat(
            Quoted(text), " starts with an unknown country calling code"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          Quoted(text),
          " has no country calling code: write it as +<country code> "
          "<number>, or give the country",
          unknown_region.empty() ? ""
                                 : absl::StrCat(" (\"", unknown_region,
                                                "\" is not a known region)")));
    case PhoneNumberUtil::NOT_A_NUMBER:
      return absl::InvalidArgumentError(
          absl::StrCat(Quoted(text), " is not a phone number"));
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return absl::InvalidArgumentError(
          absl::StrCat(Quoted(text), " is too short to be a phone number"));
    case PhoneNumberUtil::TOO_LONG_NSN:
      return absl::InvalidArgumentError(
          absl::StrCat(Quoted(text), " is too long to be a phone number"));
  }
  if (!util.IsValidNumber(number)) {
    std::string number_region;
    util.GetRegionCodeForCountryCode(number.country_code(), &number_region);
    return absl::InvalidArgumentError(absl::StrCat(
        Quoted(text), " is not a valid phone number for country calling code +",
        number.country_code(),
        number_region == "ZZ" || number_region == "001"
            ? ""
            : absl::StrCat(" (", number_region, ")"),
        ": wrong length or a range not in use"));
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool IsFreeMailDomain(absl::string_view domain) {
  const std::string d = DomainForLookup(domain);
  return Contains(kFreeMailDomains, d);
}

bool IsDisposableDomain(absl::string_view domain) {
  const std::string d = DomainForLookup(domain);
  // The domain itself, then each parent: a.b.mailinator.com, b.mailinator.com,
  // mailinator.com, com.
  for (std::string_view rest = d; !rest.empty();) {
    if (Contains(kDisposableDomains, rest)) return true;
    const size_t dot = rest.find('.');
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return false;
}

std::optional<std::string> DomainOfWebsite(absl::string_view url) {
  const std::string text = NormalizeText(url);
  absl::string_view rest = text;
  // Scheme: [a-z][a-z0-9+.-]* before "://", or a bare "//".
  if (size_t sep = rest.find("://"); sep != absl::string_view::npos) {
    absl::string_view scheme = rest.substr(0, sep);
    const bool is_scheme =
        !scheme.empty() && absl::ascii_isalpha(scheme.front()) &&
        std::all_of(scheme.begin(), scheme.end(), [](char c) {
          return absl::ascii_isalnum(c) || c == '+' || c == '.' || c == '-';
        });
    if (is_scheme) rest.remove_prefix(sep + 3);
  } else if (absl::StartsWith(rest, "//")) {
    rest.remove_prefix(2);
  }
  // Authority: up to the path, query or fragment.
  rest = rest.substr(0, rest.find_first_of("/?#\\"));
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  if (absl::StartsWith(rest, "[")) return std::nullopt;  // IPv6 literal.
  if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    absl::string_view port = rest.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return std::nullopt;
    }
    rest = rest.substr(0, colon);
  }
  absl::ConsumeSuffix(&rest, ".");

  std::string host;
  if (IsAscii(rest)) {
    host = absl::AsciiStrToLower(rest);
  } else {
    const icu::IDNA* idna = Idna();
    if (idna == nullptr) return std::nullopt;
    icu::StringByteSink<std::string> sink(&host);
    icu::IDNAInfo info;
    UErrorCode status = U_ZERO_ERROR;
    idna->nameToASCII_UTF8(
        icu::StringPiece(rest.data(), static_cast<int32_t>(rest.size())), sink,
        info, status);
    if (U_FAILURE(status) || info.hasErrors()) return std::nullopt;
    absl::AsciiStrToLower(&host);
  }
  if (absl::StartsWith(host, "www.") && IsDomain(host.substr(4))) {
    host.erase(0, 4);
  }
  if (!IsDomain(host)) return std::nullopt;
  return host;
}

std::string EmailDomain(absl::string_view email) {
  email = absl::StripAsciiWhitespace(email);
  const size_t at = email.rfind('@');
  if (at == absl::string_view::npos) return "";
  return absl::AsciiStrToLower(email.substr(at + 1));
}

}  // namespace quorum::graph
