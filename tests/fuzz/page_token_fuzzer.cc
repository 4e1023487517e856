// libFuzzer target: the page-token decoder (any bytes as a token, and the
// page size from the first bytes).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/pagination.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int32_t page_size = 0;
  if (size >= sizeof(page_size)) {
    std::memcpy(&page_size, data, sizeof(page_size));
    data += sizeof(page_size);
    size -= sizeof(page_size);
  }
  const std::string token(reinterpret_cast<const char*>(data), size);
  for (const char* scope : {"", "accounts/a", "accounts"}) {
    auto page = quorum::graph::ParsePage(page_size, token, scope);
    if (page.ok()) {
      // A token that decodes continues the listing it names.
      const std::string again =
          quorum::graph::NextPageToken(scope, page->start_after);
      if (!page->start_after.empty()) {
        auto reparsed = quorum::graph::ParsePage(page_size, again, scope);
        if (!reparsed.ok() || reparsed->start_after != page->start_after) {
          __builtin_trap();
        }
      }
    }
  }
  return 0;
}
