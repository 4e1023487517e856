#include "server/qualification_service.h"

#include "google/protobuf/util/time_util.h"
#include "graph/model/status.h"
#include "graph/rules/qualification.h"
#include "server/grpc_status.h"

namespace quorum::server {

grpc::ServerUnaryReactor* QualificationServiceImpl::QualifyAccount(
    grpc::CallbackServerContext* context,
    const v1::QualifyAccountRequest* request, v1::Verdict* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(Qualify(request, response));
  return reactor;
}

grpc::Status QualificationServiceImpl::Qualify(
    const v1::QualifyAccountRequest* request, v1::Verdict* response) {
  Violations violations;
  if (request->policy_revision() < 0) {
    violations.Add("policy_revision", "must not be negative");
  }
  absl::Time as_of = clock_();
  if (request->has_as_of()) {
    const auto& t = request->as_of();
    if (t.nanos() < 0 || t.nanos() > 999999999 ||
        t.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
        t.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds) {
      violations.Add("as_of", "is not a valid timestamp");
    } else {
      as_of = absl::FromUnixSeconds(request->as_of().seconds()) +
              absl::Nanoseconds(request->as_of().nanos());
    }
  }
  if (!v1::VerdictView_IsValid(request->view())) {
    violations.Add("view", "is not a known VerdictView (BASIC or FULL)");
  }
  auto tree = store_->Snapshot(request->name());
  if (!tree.ok()) {
    violations.AddFrom(tree.status());
    if (violations.empty()) return ToGrpcStatus(tree.status());
  }
  if (!violations.empty()) return ToGrpcStatus(violations.ToStatus());
  // The active revision from memory, with the snapshot's plan for it (made
  // once per snapshot and revision); an older one from the store.
  if (request->policy_revision() == 0) {
    auto active = store_->CurrentPolicy();
    if (!active.ok()) return ToGrpcStatus(active.status());
    const int64_t revision = (*active)->revision();
    auto plan = (*tree)->Plan(*std::move(active));
    graph::Qualify(*plan, *(*tree)->signals, revision, as_of, request->view(),
                   response);
    return grpc::Status::OK;
  }
  auto stored = store_->GetPolicyRevision(request->policy_revision());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  *response = graph::Qualify(*(*tree)->map, *(*tree)->signals, stored->policy(),
                             stored->revision(), as_of, request->view());
  return grpc::Status::OK;
}

}  // namespace quorum::server
