// PolicyService: the qualification policy's revisions over gRPC.
#ifndef QUORUM_SERVER_POLICY_SERVICE_H_
#define QUORUM_SERVER_POLICY_SERVICE_H_

#include <atomic>

#include "graph/usecases/policies.h"
#include "quorum/v1/policy_service.grpc.pb.h"

namespace quorum::server {

// The most SuggestPolicy calls that run at once (RESOURCE_EXHAUSTED beyond).
inline constexpr int kMaxConcurrentSuggestions = 2;

// Publishes `policy` unless it equals the active revision; returns the
// active revision either way. Used by `quorumd --policy` and at first start.
absl::StatusOr<v1::PolicyRevision> PublishIfChanged(
    graph::Policies* policies, const v1::Policy& policy,
    const std::string& description);

// Thread-safe; does not own the use case.
class PolicyServiceImpl final : public v1::PolicyService::Service {
 public:
  explicit PolicyServiceImpl(graph::Policies* policies) : policies_(policies) {}

  grpc::Status GetPolicy(grpc::ServerContext*, const v1::GetPolicyRequest* request,
                         v1::PolicyRevision* response) override;
  grpc::Status ValidatePolicy(grpc::ServerContext*,
                              const v1::ValidatePolicyRequest* request,
                              v1::ValidatePolicyResponse* response) override;
  grpc::Status PublishPolicy(grpc::ServerContext*,
                             const v1::PublishPolicyRequest* request,
                             v1::PolicyRevision* response) override;
  grpc::Status SimulatePolicy(grpc::ServerContext*,
                              const v1::SimulatePolicyRequest* request,
                              v1::SimulatePolicyResponse* response) override;
  grpc::Status SuggestPolicy(grpc::ServerContext*,
                             const v1::SuggestPolicyRequest* request,
                             v1::SuggestPolicyResponse* response) override;
  grpc::Status ListPolicyRevisions(
      grpc::ServerContext*, const v1::ListPolicyRevisionsRequest* request,
      v1::ListPolicyRevisionsResponse* response) override;

 private:
  graph::Policies* policies_;
  // SuggestPolicy calls running now: each is a CPU-bound search, so at most
  // kMaxConcurrentSuggestions run at once and the rest are turned away.
  std::atomic<int> suggesting_{0};
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_POLICY_SERVICE_H_
