// Applying AIP-134 update masks with protobuf reflection.
#ifndef QUORUM_GRAPH_FIELD_MASK_H_
#define QUORUM_GRAPH_FIELD_MASK_H_

#include <set>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace quorum::graph {

// Copies the top-level fields named by `mask` from `patch` onto `target`
// (both of one message type); repeated and map fields are replaced whole.
// An empty mask means every field that is populated in `patch`; "*" means
// every field. Fields in `output_only` are never copied: named explicitly
// they are an error, under "*" or an empty mask they are skipped. Unknown or
// nested paths answer INVALID_ARGUMENT naming "update_mask.paths[i]".
absl::Status ApplyFieldMask(const google::protobuf::Message& patch,
                            const google::protobuf::FieldMask& mask,
                            const std::set<std::string, std::less<>>& output_only,
                            google::protobuf::Message* target);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_FIELD_MASK_H_
