// libFuzzer target: a policy text through the parser and the validator.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "graph/rules/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = quorum::graph::ParsePolicyText(text, "source.text");
  if (policy.ok()) {
    quorum::Violations violations;
    quorum::graph::ValidatePolicy(*policy, "", &violations);
    (void)violations.ToStatus();
  }
  return 0;
}
