#include "graph/model/field_mask.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "graph/model/status.h"

namespace quorum::graph {

using google::protobuf::FieldDescriptor;

absl::Status ApplyFieldMask(const google::protobuf::Message& patch,
                            const google::protobuf::FieldMask& mask,
                            const std::set<std::string, std::less<>>& output_only,
                            google::protobuf::Message* target) {
  const auto* descriptor = patch.GetDescriptor();
  const auto* reflection = patch.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  Violations violations;
  if (mask.paths_size() == 0) {
    reflection->ListFields(patch, &fields);
  }
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    std::string at = absl::StrCat("update_mask.paths[", i, "]");
    if (path == "*") {
      for (int f = 0; f < descriptor->field_count(); ++f) {
        fields.push_back(descriptor->field(f));
      }
      continue;
    }
    const FieldDescriptor* fd = descriptor->FindFieldByName(path);
    if (fd == nullptr) {
      violations.Add(at, absl::StrCat("\"", path, "\" is not a field of ",
                                      descriptor->name(),
                                      " (only top-level fields can be masked)"));
    } else if (output_only.count(path) > 0) {
      violations.Add(at, absl::StrCat("\"", path, "\" is output only"));
    } else {
      fields.push_back(fd);
    }
  }
  if (!violations.empty()) return violations.ToStatus();

  std::unique_ptr<google::protobuf::Message> partial(patch.New());
  for (const FieldDescriptor* fd : fields) {
    if (output_only.count(fd->name()) > 0) continue;
    target->GetReflection()->ClearField(target, fd);
    // Copy only this field: a message holding just it, merged into target.
    partial->CopyFrom(patch);
    for (int f = 0; f < descriptor->field_count(); ++f) {
      if (descriptor->field(f) != fd) {
        partial->GetReflection()->ClearField(partial.get(), descriptor->field(f));
      }
    }
    target->MergeFrom(*partial);
  }
  return absl::OkStatus();
}

}  // namespace quorum::graph
