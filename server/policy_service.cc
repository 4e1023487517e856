#include "server/policy_service.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "graph/rules/policy.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

namespace {

// Parses `source` without validating it; errors name `at` ("source.text").
absl::StatusOr<v1::Policy> ParseSource(const v1::PolicySource& source,
                                       const std::string& at) {
  switch (source.source_case()) {
    case v1::PolicySource::kPolicy:
      return source.policy();
    case v1::PolicySource::kText:
      return graph::ParsePolicyText(source.text(), at + ".text");
    case v1::PolicySource::kJson:
      return graph::ParsePolicyJson(source.json(), at + ".json");
    case v1::PolicySource::SOURCE_NOT_SET:
      break;
  }
  return InvalidField(at, "needs a policy, text or json");
}

// Problems of a message are named under `at`.policy; those of text or JSON
// by their path in the policy.
std::string ValidationPrefix(const v1::PolicySource& source,
                             const std::string& at) {
  return source.source_case() == v1::PolicySource::kPolicy ? at + ".policy"
                                                           : "";
}

}  // namespace

absl::StatusOr<v1::Policy> PolicyFromSource(const v1::PolicySource& source,
                                            absl::string_view field) {
  const std::string at(field);
  ASSIGN_OR_RETURN(v1::Policy policy, ParseSource(source, at));
  Violations violations;
  graph::ValidatePolicy(policy, ValidationPrefix(source, at), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  return policy;
}

absl::StatusOr<v1::PolicyRevision> PublishIfChanged(
    graph::Store* store, const v1::Policy& policy,
    const std::string& description) {
  auto active = store->GetPolicyRevision(0);
  if (active.ok() && google::protobuf::util::MessageDifferencer::Equals(
                         active->policy(), policy)) {
    return active;
  }
  if (!active.ok() && !absl::IsNotFound(active.status())) {
    return active.status();
  }
  return store->PublishPolicy(policy, description);
}

grpc::Status PolicyServiceImpl::GetPolicy(grpc::ServerContext*,
                                          const v1::GetPolicyRequest* request,
                                          v1::PolicyRevision* response) {
  if (request->revision() < 0) {
    return ToGrpcStatus(InvalidField("revision", "must not be negative"));
  }
  return Reply(store_->GetPolicyRevision(request->revision()), response);
}

grpc::Status PolicyServiceImpl::ValidatePolicy(
    grpc::ServerContext*, const v1::ValidatePolicyRequest* request,
    v1::ValidatePolicyResponse* response) {
  // Parsed and validated in two steps so that a policy that parses is
  // returned even when it is not valid.
  auto policy = ParseSource(request->source(), "source");
  Violations problems;
  if (!policy.ok()) {
    if (!absl::IsInvalidArgument(policy.status())) {
      return ToGrpcStatus(policy.status());
    }
    problems.AddFrom(policy.status());
    if (problems.empty()) {
      problems.Add("source", std::string(policy.status().message()));
    }
  } else {
    graph::ValidatePolicy(*policy, ValidationPrefix(request->source(), "source"),
                          &problems);
    *response->mutable_policy() = *std::move(policy);
  }
  response->set_valid(problems.empty());
  for (const auto& v : problems.list()) {
    auto* problem = response->add_problems();
    problem->set_field(v.field());
    problem->set_description(v.description());
  }
  return grpc::Status::OK;
}

grpc::Status PolicyServiceImpl::PublishPolicy(
    grpc::ServerContext*, const v1::PublishPolicyRequest* request,
    v1::PolicyRevision* response) {
  auto policy = PolicyFromSource(request->source(), "source");
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  return Reply(store_->PublishPolicy(*policy, request->description()), response);
}

grpc::Status PolicyServiceImpl::SimulatePolicy(
    grpc::ServerContext*, const v1::SimulatePolicyRequest* request,
    v1::SimulatePolicyResponse* response) {
  auto policy = PolicyFromSource(request->source(), "source");
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  absl::Time as_of = absl::Now();
  if (request->has_as_of()) {
    as_of = absl::FromUnixSeconds(request->as_of().seconds()) +
            absl::Nanoseconds(request->as_of().nanos());
  }
  return Reply(store_->SimulatePolicy(*policy, as_of), response);
}

grpc::Status PolicyServiceImpl::ListPolicyRevisions(
    grpc::ServerContext*, const v1::ListPolicyRevisionsRequest* request,
    v1::ListPolicyRevisionsResponse* response) {
  return ListPage<v1::PolicyRevision>(
      request->page_size(), request->page_token(), "policy-revisions",
      [&](int n, const std::string& after) {
        return store_->ListPolicyRevisions(n, after);
      },
      response->mutable_revisions(), response->mutable_next_page_token());
}

}  // namespace quorum::server
