// AIP-158 page tokens: the request checks of every listing's page_size and
// page_token, and the opaque tokens themselves (a message of tokens.proto,
// serialized and base64url-encoded), so that a token is checked the same
// way wherever it comes back.
#ifndef QUORUM_GRAPH_MODEL_PAGE_TOKEN_H_
#define QUORUM_GRAPH_MODEL_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "graph/model/page_size.h"

namespace quorum::graph {

// A request's page position: how many items, after which key.
struct PageRequest {
  int size = kDefaultPageSize;
  std::string start_after;
};

// Checks `page_size` (negative is INVALID_ARGUMENT; 0 is the default; above
// the maximum is clamped) and decodes `page_token`, which must have been
// issued for the same `scope` (the collection listed, e.g. the parent).
// Errors name the field ("page_size", "page_token").
absl::StatusOr<PageRequest> ParsePage(int page_size,
                                      absl::string_view page_token,
                                      absl::string_view scope);

// The token that continues a listing of `scope` after key `last_key`.
std::string NextPageToken(absl::string_view scope, absl::string_view last_key);

// `message` as an opaque token, and back: false when `token` is not one.
std::string EncodeToken(const google::protobuf::MessageLite& message);
bool DecodeToken(absl::string_view token,
                 google::protobuf::MessageLite* message);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_MODEL_PAGE_TOKEN_H_
