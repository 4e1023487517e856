// Resource names (AIP-122) of the account graph.
//
//   accounts/{account}
//   accounts/{account}/{collection}/{id}   collection: sites, stakeholders,
//                                          relationships, ...
// IDs match ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$.
#ifndef QUORUM_GRAPH_NAMES_H_
#define QUORUM_GRAPH_NAMES_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace quorum::names {

inline constexpr absl::string_view kSites = "sites";
inline constexpr absl::string_view kStakeholders = "stakeholders";
inline constexpr absl::string_view kRelationships = "relationships";

// Whether `id` is a valid resource ID.
bool IsValidId(absl::string_view id);

// `accounts/{account_id}`.
std::string Account(absl::string_view account_id);
// `accounts/{account_id}/{collection}/{id}`.
std::string Child(absl::string_view account_id, absl::string_view collection,
                  absl::string_view id);

// A parsed child resource name.
struct ChildName {
  std::string account_id;
  std::string id;
  std::string account_name() const { return Account(account_id); }
};

// Parses `accounts/{account}`; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> ParseAccount(absl::string_view name,
                                         absl::string_view field);
// Parses `accounts/{account}/{collection}/{id}`; INVALID_ARGUMENT naming
// `field` otherwise.
absl::StatusOr<ChildName> ParseChild(absl::string_view name,
                                     absl::string_view collection,
                                     absl::string_view field);

// A valid ID derived from free text ("St. Mary's Lab" -> "st-mary-s-lab"),
// or `fallback` when the text has no usable characters. Letters outside
// ASCII are transliterated as in company keys (graph::AsciiFold:
// "Zürich Labor" -> "zurich-labor").
std::string SlugId(absl::string_view text, absl::string_view fallback);

}  // namespace quorum::names

#endif  // QUORUM_GRAPH_NAMES_H_
