// AIP-158 page sizes: the one definition of the default and the maximum
// number of items a listing returns. The server's listings
// (server/pagination.h) and the store's own (ListAccountReadiness) both
// use it, so every List call answers the same way.
#ifndef QUORUM_GRAPH_PAGE_SIZE_H_
#define QUORUM_GRAPH_PAGE_SIZE_H_

#include <algorithm>

namespace quorum::graph {

// Items in a page when the request's page_size is 0 (unset).
inline constexpr int kDefaultPageSize = 50;
// The most items one page holds; a larger page_size is clamped to it.
inline constexpr int kMaxPageSize = 1000;

// The number of items a page holds for a request's `page_size`: the
// default for 0, at most kMaxPageSize. A negative page_size is
// INVALID_ARGUMENT, which the caller reports on its own field before
// calling this; should one get here, it gives the default too.
constexpr int EffectivePageSize(int page_size) {
  return page_size <= 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
}

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_PAGE_SIZE_H_
