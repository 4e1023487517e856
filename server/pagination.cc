#include "server/pagination.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "graph/model/status.h"

namespace quorum::server {
namespace {
constexpr absl::string_view kVersion = "v1";
}  // namespace

absl::StatusOr<PageRequest> ParsePage(int page_size,
                                      absl::string_view page_token,
                                      absl::string_view scope) {
  PageRequest page;
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  page.size = graph::EffectivePageSize(page_size);
  if (page_token.empty()) return page;
  std::string decoded;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(page_token, &decoded)) {
    parts = absl::StrSplit(decoded, '\n');
  }
  // Keys are at most 511 bytes in LMDB: a longer position is forged.
  if (parts.size() != 3 || parts[0] != kVersion || parts[2].empty() ||
      parts[2].size() > 511) {
    return InvalidField("page_token",
                        "is not a token returned by a previous list call");
  }
  if (parts[1] != scope) {
    return InvalidField("page_token",
                        absl::StrCat("was issued for a listing of \"", parts[1],
                                     "\", not of \"", scope, "\""));
  }
  page.start_after = parts[2];
  return page;
}

std::string NextPageToken(absl::string_view scope, absl::string_view last_name) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kVersion, "\n", scope, "\n", last_name));
}

}  // namespace quorum::server
