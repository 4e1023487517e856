// AIP-158 pagination at the service boundary: one page of a listing, with
// its request checked and its token made by the model
// (graph/model/page_token.h).
#ifndef QUORUM_SERVER_PAGINATION_H_
#define QUORUM_SERVER_PAGINATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "graph/model/page_token.h"
#include "graph/store/store.h"
#include "server/grpc_status.h"

namespace quorum::server {

// Runs one page of a listing of `scope`: checks the page request, calls
// `list(size, start_after)` (returning absl::StatusOr<graph::Page<T>>), and
// fills `items` and `next_page_token`.
template <typename T, typename ListFn>
grpc::Status ListPage(int page_size, const std::string& page_token,
                      const std::string& scope, ListFn list,
                      google::protobuf::RepeatedPtrField<T>* items,
                      std::string* next_page_token) {
  absl::StatusOr<graph::PageRequest> page =
      graph::ParsePage(page_size, page_token, scope);
  if (!page.ok()) return ToGrpcStatus(page.status());
  absl::StatusOr<graph::Page<T>> result = list(page->size, page->start_after);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (T& item : result->items) *items->Add() = std::move(item);
  if (result->more)
    *next_page_token = graph::NextPageToken(scope, result->last_key);
  return grpc::Status::OK;
}

}  // namespace quorum::server

#endif  // QUORUM_SERVER_PAGINATION_H_
