// Field-level normalization and checks of graph resources.
//
// Each Check* function normalizes what it safely can (trims text, lower-cases
// e-mails and domains, upper-cases country codes, drops duplicate list
// entries) and records every remaining problem as a field violation whose
// path starts with `prefix` (e.g. "account"). Checks that need the store
// (existence, uniqueness, cycles) live in the store.
#ifndef QUORUM_GRAPH_VALIDATION_H_
#define QUORUM_GRAPH_VALIDATION_H_

#include <string>
#include <string_view>

#include "graph/model/normalize.h"  // IsCountryCode, used to check country fields.
#include "graph/model/status.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph {

// Limits on what one record may hold, so that no client can make a record
// (or a page of a listing) too large to serve (docs/security.md, Limits).
// Names, titles, owners, reasons and every list entry: bytes of text.
inline constexpr size_t kMaxTextLength = 500;
// Entries of each list field: domains, testing_scopes, accreditations,
// current_systems, a stakeholder's sites.
inline constexpr int kMaxListEntries = 50;
// A stakeholder's role assignments (one per committee role and stored source
// at most: 9 roles from INFERRED, CONFIRMED and CRM), and the bytes of each
// assignment's basis.
inline constexpr int kMaxRoles = 27;
inline constexpr size_t kMaxRoleBasisLength = 200;
// Labels of an account, and the bytes of each key and value.
inline constexpr int kMaxLabels = 64;
inline constexpr size_t kMaxLabelKeyLength = 63;
inline constexpr size_t kMaxLabelValueLength = 255;

// Records a violation on `field` when `text` is longer than `max` bytes.
void CheckLength(absl::string_view text, size_t max, const std::string& field,
                 Violations* violations);

// ISO 3166-2 form "CC-XXX" (1 to 3 letters or digits after the dash) whose
// country part is `country`.
bool IsSubdivisionCode(absl::string_view code, absl::string_view country);
// A practical e-mail syntax check: local@domain, domain as in IsDomain.
bool IsEmail(absl::string_view email);
// A lower-case DNS host name with at least two labels ("example.org").
bool IsDomain(absl::string_view domain);
// A CMS CLIA number: two digits, 'D', seven digits ("31D0123456").
bool IsCliaNumber(absl::string_view clia);
// An E.164 phone number: '+' then 8 to 15 digits, no leading zero.
bool IsE164(absl::string_view phone);

void CheckAccount(quorum::v1::Account* account, absl::string_view prefix,
                  Violations* violations);
// `inherited_country` is the account's country, used when the site sets
// none, to check the site's subdivision.
void CheckSite(quorum::v1::Site* site, absl::string_view inherited_country,
               absl::string_view prefix, Violations* violations);
void CheckStakeholder(quorum::v1::Stakeholder* stakeholder,
                      absl::string_view prefix, Violations* violations);
void CheckRelationship(quorum::v1::Relationship* relationship,
                       absl::string_view prefix, Violations* violations);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_VALIDATION_H_
