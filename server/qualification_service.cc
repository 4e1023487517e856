#include "server/qualification_service.h"

#include "google/protobuf/util/time_util.h"
#include "graph/qualification.h"
#include "graph/status.h"
#include "server/grpc_status.h"

namespace quorum::server {

grpc::Status QualificationServiceImpl::QualifyAccount(
    grpc::ServerContext*, const v1::QualifyAccountRequest* request,
    v1::Verdict* response) {
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
  auto tree = store_->LoadAccountTree(request->name());
  if (!tree.ok()) {
    violations.AddFrom(tree.status());
    if (violations.empty()) return ToGrpcStatus(tree.status());
  }
  if (!violations.empty()) return ToGrpcStatus(violations.ToStatus());
  auto revision = store_->GetPolicyRevision(request->policy_revision());
  if (!revision.ok()) return ToGrpcStatus(revision.status());
  *response = graph::Qualify(*tree, revision->policy(), revision->revision(),
                             as_of, request->view());
  return grpc::Status::OK;
}

}  // namespace quorum::server
