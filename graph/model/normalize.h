// Normalization of raw lead fields for intake (product spec, "Intake"):
// text, company-name match keys, countries, phone numbers, e-mail and web
// domains.
//
// Every function here is pure (no I/O, no clock), never throws, accepts any
// bytes including invalid UTF-8, and is safe to call from many threads at
// once. Lookup tables are built once, on first use, and never change.
#ifndef QUORUM_GRAPH_NORMALIZE_H_
#define QUORUM_GRAPH_NORMALIZE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quorum::graph {

// Unicode NFC of `text`, trimmed, with every run of whitespace collapsed to
// one ASCII space. Whitespace is Unicode White_Space plus the C0/C1 control
// characters (so tabs, newlines, NUL and NBSP all count); zero-width space
// (U+200B) and the byte-order mark (U+FEFF) are removed. Bytes that are not
// valid UTF-8 become U+FFFD (the replacement character).
std::string NormalizeText(absl::string_view text);

// How FoldWords treats apostrophes (' and the typographic ones).
enum class Apostrophes {
  // Removed, joining their neighbours: "Mary's" -> "marys", "L'Oréal" ->
  // "loreal". For names, where the apostrophe is often left out.
  kJoin,
  // A word break: "d'information" -> "d", "information". For job titles,
  // where French elisions hide the word that matters.
  kSplit,
};

// The words of `text` folded for matching: NormalizeText, transliterated to
// ASCII ("Any-Latin; Latin-ASCII"), lower-cased, split on everything that is
// not [a-z0-9]. "&" becomes the word "and". Dotted abbreviations whose parts
// are single letters are joined ("L.L.C." -> "llc", "U.S.A." -> "usa",
// "S.p.A." -> "spa"); other dots break words ("Co.KG" -> "co", "kg"). Words
// are never empty; no text gives no words.
//
// Thread safety: ICU transliterators are mutable and may not be shared
// between threads, so each thread clones its own from one prototype (the
// clone is taken under a mutex, once per thread, then used without locking).
// All-ASCII input skips the transliterator.
std::vector<std::string> FoldWords(absl::string_view text,
                                   Apostrophes apostrophes);

// `text` in lower-case ASCII: NormalizeText, then ICU's "Any-Latin;
// Latin-ASCII; Lower" — the one transliteration behind company keys
// (FoldWords, CompanyKey) and generated IDs (names::SlugId). "Müller" ->
// "muller", "Øresund" -> "oresund", "Łódź" -> "lodz", "Ελένη" -> "elene".
// Characters with no ASCII form stay as they are.
std::string AsciiFold(absl::string_view text);

// The part of a person's name a generated stakeholder ID is made of: the
// AsciiFold words (split on everything that is not a letter or digit,
// joined with single spaces) without the honorifics at the start and the
// post-nominals at the end (tables kHonorifics and kPostNominals in
// normalize.cc: Dr, Dr. med., Prof, Mr, Mrs, Ms, Mx, Miss, Herr, Frau, Mme,
// Sir, Dame...; PhD, MD, MBA, MSc, MPH, RN, MT(ASCP)...). One word always
// stays. "Dr. Anna Müller" -> "anna muller"; "Prof. Dr. med. Jürgen Weiß,
// PhD" -> "jurgen weiss"; "Dr." -> "dr".
std::string PersonNameForId(absl::string_view name);

// The key two company names must share to be the same company: the words of
// FoldWords (apostrophes joined) with
//   - "saint" -> "st" and "sainte" -> "ste" (St. Mary's == Saint Mary's),
//   - a leading "the" dropped,
//   - legal-form suffixes dropped from the end, repeatedly ("Acme Labs Co.,
//     Ltd." -> "acme labs"; "Müller GmbH & Co. KG" -> "muller"); the list is
//     kLegalForms in normalize.cc (inc, llc, ltd, gmbh, ag, sa, bv, plc, ...),
//   - joined with single spaces.
// The name itself is never dropped: at least one word always stays
// ("Limited" -> "limited", "Inc. Ltd." -> "inc"). Empty input gives "".
// Examples: "Acme Labs, Inc.", "ACME LABS", "Acme Labs LLC", "acme-labs" and
// "Acme  Labs" all give "acme labs"; "Laborzentrum Süd" gives
// "laborzentrum sud"; "Hôpital" gives "hopital". Umlauts fold to the bare
// vowel ("Müller" -> "muller", not "mueller").
std::string CompanyKey(absl::string_view name);

// Countries. The one table is ICU's list of ISO 3166-1 alpha-2 codes
// (icu::Locale::getISOCountries); the functions below all read it.

// Whether `code` is an ISO 3166-1 alpha-2 code, upper-case ("US"), as
// known to ICU. Exact: "us", "USA" and " US" are not codes (CountryCode
// reads those).
bool IsCountryCode(absl::string_view code);

// The ISO 3166-1 alpha-2 code (upper-case, as known to ICU) of a country
// given as
//   - an alpha-2 code in any case and spacing ("us", " DE "),
//   - an alpha-3 code ("USA", "deu", "GBR"),
//   - its English name as ICU knows it ("Germany", "Côte d'Ivoire"),
//   - one of the common variants of kCountryVariants in normalize.cc ("U.S.",
//     "UK", "England", "Holland", "Deutschland", "South Korea", "UAE", ...),
//   - its name in German, French, Dutch, Spanish, Italian or Portuguese, or
//     in its own main language, when written in Latin script and not also
//     the name of another country ("Allemagne", "Österreich", "España").
// Names match ignoring case, accents, punctuation, "&" vs "and", "St." vs
// "Saint" and a leading or trailing "the". Unknown text gives nullopt.
std::optional<std::string> CountryCode(absl::string_view text);

// The country a domain's top-level label names: "labor-isar.de" -> "DE",
// "nhs.uk" -> "GB" (the few country-code domains that differ from the ISO
// code are kTopLevelDomainCountries in normalize.cc). nullopt for generic
// labels ("acme.com", "example.org", "lab.eu") and for a domain without a
// dot.
std::optional<std::string> CountryOfDomain(absl::string_view domain);

// `phone` in E.164 ("+12015550123"), parsed by libphonenumber with
// `default_region` (ISO alpha-2, any case) for numbers written without a
// country calling code. An empty or unknown region requires the number to
// start with "+" (or an international prefix). Letters of vanity numbers are
// read as their keypad digits ("1-800-FLOWERS"); extensions are dropped.
// INVALID_ARGUMENT, with a message saying why, when it is not a number or
// not a valid one (libphonenumber's metadata: the right length and a range
// that is in use).
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone,
                                           absl::string_view default_region);

// Whether `domain` (any case; surrounding whitespace and a trailing dot
// ignored) is a free, consumer e-mail provider's domain, e.g. gmail.com,
// outlook.com, gmx.de; the list is kFreeMailDomains in normalize.cc.
// Matches the exact domain only: "mail.gmail.com" is not in the list.
bool IsFreeMailDomain(absl::string_view domain);

// Whether `domain` (same forms as above) is a disposable, throw-away e-mail
// domain (kDisposableDomains in normalize.cc: mailinator.com, yopmail.com,
// ...) or any subdomain of one ("x.mailinator.com").
bool IsDisposableDomain(absl::string_view domain);

// The registrable-looking host of a website address, lower-case, without a
// leading "www.": "https://www.Acme-Labs.com/contact?x" -> "acme-labs.com",
// "acme.org" -> "acme.org". Strips the scheme, user info, port, path, query
// and fragment and a trailing dot; internationalized names become their
// ASCII (punycode) form. "www." is kept when dropping it would leave no
// valid domain ("www.com"). nullopt when no valid host remains (as checked
// by IsDomain in graph/model/validation.h): IP addresses, single labels, spaces.
std::optional<std::string> DomainOfWebsite(absl::string_view url);

// The lower-cased part of `email` after its last '@', with surrounding ASCII
// whitespace trimmed; empty when there is no '@'.
std::string EmailDomain(absl::string_view email);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_NORMALIZE_H_
