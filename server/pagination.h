// AIP-158 pagination: page sizes and opaque page tokens.
#ifndef QUORUM_SERVER_PAGINATION_H_
#define QUORUM_SERVER_PAGINATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quorum::server {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// A request's page position: how many items, after which name.
struct PageRequest {
  int size = kDefaultPageSize;
  std::string start_after;
};

// Checks `page_size` (negative is INVALID_ARGUMENT; 0 is the default; above
// the maximum is clamped) and decodes `page_token`, which must have been
// issued for the same `scope` (the collection listed, e.g. the parent).
absl::StatusOr<PageRequest> ParsePage(int page_size, absl::string_view page_token,
                                      absl::string_view scope);

// The token that continues a listing of `scope` after `last_name`.
std::string NextPageToken(absl::string_view scope, absl::string_view last_name);

}  // namespace quorum::server

#endif  // QUORUM_SERVER_PAGINATION_H_
