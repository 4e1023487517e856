#include "graph/model/status.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace quorum {

namespace {

// Errors travel in gRPC trailers, which clients cap (8 KiB by default in
// some): descriptions that quote hostile input are cut, and only the first
// violations are kept.
constexpr size_t kMaxDescription = 200;
constexpr size_t kMaxFieldPath = 1000;
constexpr size_t kMaxViolations = 40;

void Cut(std::string* text, size_t max) {
  if (text->size() <= max) return;
  size_t cut = max;
  // Do not split a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>((*text)[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  text->resize(cut);
  text->append("...");
}

}  // namespace

void Violations::Add(std::string field, std::string description) {
  if (violations_.size() > kMaxViolations) return;
  if (violations_.size() == kMaxViolations) {
    field.clear();
    description = "and more problems not listed";
  }
  Cut(&field, kMaxFieldPath);
  Cut(&description, kMaxDescription);
  google::rpc::BadRequest::FieldViolation v;
  v.set_field(std::move(field));
  v.set_description(std::move(description));
  violations_.push_back(std::move(v));
}

void Violations::AddFrom(const absl::Status& status) {
  const google::rpc::BadRequest bad_request = BadRequestOf(status);
  for (const auto& v : bad_request.field_violations()) {
    Add(v.field(), v.description());
  }
}

absl::Status Violations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (const auto& v : violations_) {
    *bad_request.add_field_violations() = v;
    parts.push_back(absl::StrCat(v.field(), ": ", v.description()));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      "invalid request: ", absl::StrJoin(parts, "; ")));
  status.SetPayload(kBadRequestUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  Violations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

absl::Status PreconditionFailed(std::string type, std::string subject,
                                std::string description) {
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::move(type));
  v->set_subject(std::move(subject));
  v->set_description(description);
  absl::Status status = absl::FailedPreconditionError(description);
  status.SetPayload(kPreconditionFailureUrl,
                    absl::Cord(failure.SerializeAsString()));
  return status;
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

google::rpc::BadRequest BadRequestOf(const absl::Status& status) {
  google::rpc::BadRequest out;
  if (auto payload = status.GetPayload(kBadRequestUrl)) {
    out.ParseFromString(std::string(*payload));
  }
  return out;
}

google::rpc::PreconditionFailure PreconditionFailureOf(
    const absl::Status& status) {
  google::rpc::PreconditionFailure out;
  if (auto payload = status.GetPayload(kPreconditionFailureUrl)) {
    out.ParseFromString(std::string(*payload));
  }
  return out;
}

}  // namespace quorum
