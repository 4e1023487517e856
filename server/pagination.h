// AIP-158 pagination: page sizes and opaque page tokens.
#ifndef QUORUM_SERVER_PAGINATION_H_
#define QUORUM_SERVER_PAGINATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/model/page_size.h"
#include "graph/store/store.h"
#include "server/grpc_status.h"

namespace quorum::server {

// A request's page position: how many items, after which name. The sizes
// are the model's (graph/model/page_size.h).
struct PageRequest {
  int size = graph::kDefaultPageSize;
  std::string start_after;
};

// Checks `page_size` (negative is INVALID_ARGUMENT; 0 is the default; above
// the maximum is clamped) and decodes `page_token`, which must have been
// issued for the same `scope` (the collection listed, e.g. the parent).
absl::StatusOr<PageRequest> ParsePage(int page_size, absl::string_view page_token,
                                      absl::string_view scope);

// The token that continues a listing of `scope` after `last_name`.
std::string NextPageToken(absl::string_view scope, absl::string_view last_name);

// Runs one page of a listing of `scope`: checks the page request, calls
// `list(size, start_after)` (returning absl::StatusOr<graph::Page<T>>), and
// fills `items` and `next_page_token`.
template <typename T, typename ListFn>
grpc::Status ListPage(int page_size, const std::string& page_token,
                      const std::string& scope, ListFn list,
                      google::protobuf::RepeatedPtrField<T>* items,
                      std::string* next_page_token) {
  absl::StatusOr<PageRequest> page = ParsePage(page_size, page_token, scope);
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<graph::Page<T>> result = list(page->size, page->start_after);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (T& item : result->items) *items->Add() = std::move(item);
  if (result->more) *next_page_token = NextPageToken(scope, result->last_key);
  return grpc::Status::OK;
}

}  // namespace quorum::server

#endif  // QUORUM_SERVER_PAGINATION_H_
