#include "graph/model/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "graph/model/status.h"
#include "graph/model/tokens.pb.h"

namespace quorum::graph {
namespace {

// Keys are at most this long in every engine (graph/storage/kv_engine.h):
// a longer position is forged.
constexpr size_t kMaxPositionBytes = 511;

}  // namespace

std::string EncodeToken(const google::protobuf::MessageLite& message) {
  return absl::WebSafeBase64Escape(message.SerializeAsString());
}

bool DecodeToken(absl::string_view token,
                 google::protobuf::MessageLite* message) {
  std::string bytes;
  return absl::WebSafeBase64Unescape(token, &bytes) &&
         message->ParseFromString(bytes);
}

absl::StatusOr<PageRequest> ParsePage(int page_size,
                                      absl::string_view page_token,
                                      absl::string_view scope) {
  PageRequest page;
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  page.size = EffectivePageSize(page_size);
  if (page_token.empty()) return page;
  tokens::PageToken token;
  if (!DecodeToken(page_token, &token) || token.start_after().empty() ||
      token.start_after().size() > kMaxPositionBytes) {
    return InvalidField("page_token",
                        "is not a token returned by a previous list call");
  }
  if (token.scope() != scope) {
    return InvalidField(
        "page_token",
        absl::StrCat("was issued for a listing of \"", token.scope(),
                     "\", not of \"", scope, "\""));
  }
  page.start_after = token.start_after();
  return page;
}

std::string NextPageToken(absl::string_view scope, absl::string_view last_key) {
  tokens::PageToken token;
  token.set_scope(std::string(scope));
  token.set_start_after(std::string(last_key));
  return EncodeToken(token);
}

}  // namespace quorum::graph
