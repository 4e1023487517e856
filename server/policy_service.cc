#include "server/policy_service.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/time.h"
#include "graph/rules/policy.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

absl::StatusOr<v1::PolicyRevision> PublishIfChanged(
    graph::Policies* policies, const v1::Policy& policy,
    const std::string& description) {
  auto active = policies->GetPolicyRevision(0);
  if (active.ok() && google::protobuf::util::MessageDifferencer::Equals(
                         active->policy(), policy)) {
    return active;
  }
  if (!active.ok() && !absl::IsNotFound(active.status())) {
    return active.status();
  }
  return policies->PublishPolicy(policy, description);
}

grpc::Status PolicyServiceImpl::GetPolicy(grpc::ServerContext*,
                                          const v1::GetPolicyRequest* request,
                                          v1::PolicyRevision* response) {
  return Reply(policies_->GetPolicyRevision(request->revision()), response);
}

grpc::Status PolicyServiceImpl::ValidatePolicy(
    grpc::ServerContext*, const v1::ValidatePolicyRequest* request,
    v1::ValidatePolicyResponse* response) {
  auto checked = graph::CheckPolicySource(request->source(), "source");
  if (!checked.ok()) return ToGrpcStatus(checked.status());
  *response = *std::move(checked);
  return grpc::Status::OK;
}

grpc::Status PolicyServiceImpl::PublishPolicy(
    grpc::ServerContext*, const v1::PublishPolicyRequest* request,
    v1::PolicyRevision* response) {
  auto policy = graph::PolicyFromSource(request->source(), "source");
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  return Reply(policies_->PublishPolicy(*policy, request->description()),
               response);
}

grpc::Status PolicyServiceImpl::SimulatePolicy(
    grpc::ServerContext*, const v1::SimulatePolicyRequest* request,
    v1::SimulatePolicyResponse* response) {
  auto policy = graph::PolicyFromSource(request->source(), "source");
  if (!policy.ok()) return ToGrpcStatus(policy.status());
  if (request->has_as_of() && !graph::IsValidTimestamp(request->as_of())) {
    return ToGrpcStatus(InvalidField("as_of", "is not a valid timestamp"));
  }
  std::optional<absl::Time> as_of;
  if (request->has_as_of()) as_of = graph::ToTime(request->as_of());
  return Reply(policies_->SimulatePolicy(*policy, as_of), response);
}

grpc::Status PolicyServiceImpl::SuggestPolicy(
    grpc::ServerContext* context, const v1::SuggestPolicyRequest* request,
    v1::SuggestPolicyResponse* response) {
  if (suggesting_.fetch_add(1) >= kMaxConcurrentSuggestions) {
    suggesting_.fetch_sub(1);
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(kMaxConcurrentSuggestions,
                     " policy suggestions are running; try again when one "
                     "has finished"));
  }
  struct Done {
    std::atomic<int>& running;
    ~Done() { running.fetch_sub(1); }
  } done{suggesting_};
  auto options = graph::SearchOptionsFrom(
      request->folds(), {request->multipliers().data(),
                         static_cast<size_t>(request->multipliers_size())});
  if (!options.ok()) return ToGrpcStatus(options.status());
  // A client past its deadline (or gone) stops the search.
  options->cancelled = [context] { return context->IsCancelled(); };
  if (request->has_as_of() && !graph::IsValidTimestamp(request->as_of())) {
    return ToGrpcStatus(InvalidField("as_of", "is not a valid timestamp"));
  }
  std::optional<absl::Time> as_of;
  if (request->has_as_of()) as_of = graph::ToTime(request->as_of());
  return Reply(policies_->SuggestPolicy(*options, as_of), response);
}

grpc::Status PolicyServiceImpl::ListPolicyRevisions(
    grpc::ServerContext*, const v1::ListPolicyRevisionsRequest* request,
    v1::ListPolicyRevisionsResponse* response) {
  return ListPage<v1::PolicyRevision>(
      request->page_size(), request->page_token(), "policy-revisions",
      [&](int n, const std::string& after) {
        return policies_->ListPolicyRevisions(n, after);
      },
      response->mutable_revisions(), response->mutable_next_page_token());
}

}  // namespace quorum::server
