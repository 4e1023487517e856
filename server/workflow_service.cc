#include "server/workflow_service.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"
#include "graph/status.h"
#include "server/access.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

bool Matches(const v1::WatchReadinessRequest& r, const v1::ReadinessEvent& e) {
  if (!r.routes().empty() &&
      std::find(r.routes().begin(), r.routes().end(), e.old_route()) ==
          r.routes().end() &&
      std::find(r.routes().begin(), r.routes().end(), e.new_route()) ==
          r.routes().end()) {
    return false;
  }
  if (!r.statuses().empty() &&
      std::find(r.statuses().begin(), r.statuses().end(), e.status()) ==
          r.statuses().end()) {
    return false;
  }
  if (!r.country_code().empty() && e.country_code() != r.country_code()) {
    return false;
  }
  if (!r.owner().empty() && e.owner() != r.owner()) return false;
  if (r.stage() != v1::EVALUATION_STAGE_UNSPECIFIED && e.stage() != r.stage()) {
    return false;
  }
  return e.new_readiness() >= r.min_readiness();
}

}  // namespace

grpc::Status WorkflowServiceImpl::TransitionStatus(
    grpc::ServerContext* context, const v1::TransitionStatusRequest* request,
    v1::TransitionStatusResponse* response) {
  if (request->actor().empty()) {
    v1::TransitionStatusRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(store_->TransitionStatus(named), response);
  }
  return Reply(store_->TransitionStatus(*request), response);
}

grpc::Status WorkflowServiceImpl::ListStatusChanges(
    grpc::ServerContext*, const v1::ListStatusChangesRequest* request,
    v1::ListStatusChangesResponse* response) {
  return ListPage<v1::StatusChange>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return store_->ListStatusChanges(request->parent(), n, after);
      },
      response->mutable_status_changes(), response->mutable_next_page_token());
}

grpc::Status WorkflowServiceImpl::CreateHandoff(
    grpc::ServerContext* context, const v1::CreateHandoffRequest* request,
    v1::Handoff* response) {
  if (request->actor().empty()) {
    v1::CreateHandoffRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(store_->CreateHandoff(named), response);
  }
  return Reply(store_->CreateHandoff(*request), response);
}

grpc::Status WorkflowServiceImpl::GetHandoff(
    grpc::ServerContext*, const v1::GetHandoffRequest* request,
    v1::Handoff* response) {
  return Reply(store_->GetHandoff(request->name()), response);
}

grpc::Status WorkflowServiceImpl::ListHandoffs(
    grpc::ServerContext*, const v1::ListHandoffsRequest* request,
    v1::ListHandoffsResponse* response) {
  return ListPage<v1::Handoff>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return store_->ListHandoffs(request->parent(), n, after);
      },
      response->mutable_handoffs(), response->mutable_next_page_token());
}

grpc::Status WorkflowServiceImpl::RecordHandoffFeedback(
    grpc::ServerContext* context,
    const v1::RecordHandoffFeedbackRequest* request, v1::Handoff* response) {
  if (request->actor().empty()) {
    v1::RecordHandoffFeedbackRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(store_->RecordHandoffFeedback(named), response);
  }
  return Reply(store_->RecordHandoffFeedback(*request), response);
}

grpc::Status WorkflowServiceImpl::GetProcessMetrics(
    grpc::ServerContext*, const v1::GetProcessMetricsRequest* request,
    v1::ProcessMetrics* response) {
  Violations violations;
  if (!request->has_start_time()) violations.Add("start_time", "is required");
  if (!request->has_end_time()) violations.Add("end_time", "is required");
  if (!violations.empty()) return ToGrpcStatus(violations.ToStatus());
  return Reply(store_->GetProcessMetrics(ToTime(request->start_time()),
                                         ToTime(request->end_time())),
               response);
}

grpc::Status WorkflowServiceImpl::ListAccountReadiness(
    grpc::ServerContext*, const v1::ListAccountReadinessRequest* request,
    v1::ListAccountReadinessResponse* response) {
  return Reply(store_->ListAccountReadiness(*request), response);
}

grpc::Status WorkflowServiceImpl::WatchReadiness(
    grpc::ServerContext* context, const v1::WatchReadinessRequest* request,
    grpc::ServerWriter<v1::ReadinessEvent>* writer) {
  if (request->after_sequence() < 0) {
    return ToGrpcStatus(InvalidField("after_sequence", "must not be negative"));
  }
  int64_t after = request->after_sequence() > 0 ? request->after_sequence()
                                                : store_->LastEventSequence();
  while (!context->IsCancelled() && !stopped_) {
    auto events = store_->ReadinessEvents(after, 500);
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (const auto& e : *events) {
      after = e.sequence();
      if (Matches(*request, e) && !writer->Write(e)) return grpc::Status::OK;
    }
    if (events->empty()) store_->WaitForEvents(after, absl::Seconds(1));
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch ended");
}

}  // namespace quorum::server
