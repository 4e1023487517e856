#include "server/workflow_service.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/status.h"
#include "server/access.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status WorkflowServiceImpl::TransitionStatus(
    grpc::ServerContext* context, const v1::TransitionStatusRequest* request,
    v1::TransitionStatusResponse* response) {
  if (request->actor().empty()) {
    v1::TransitionStatusRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(workflow_->TransitionStatus(named), response);
  }
  return Reply(workflow_->TransitionStatus(*request), response);
}

grpc::Status WorkflowServiceImpl::ListStatusChanges(
    grpc::ServerContext*, const v1::ListStatusChangesRequest* request,
    v1::ListStatusChangesResponse* response) {
  return ListPage<v1::StatusChange>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return workflow_->ListStatusChanges(request->parent(), n, after);
      },
      response->mutable_status_changes(), response->mutable_next_page_token());
}

grpc::Status WorkflowServiceImpl::CreateHandoff(
    grpc::ServerContext* context, const v1::CreateHandoffRequest* request,
    v1::Handoff* response) {
  if (request->actor().empty()) {
    v1::CreateHandoffRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(workflow_->CreateHandoff(named), response);
  }
  return Reply(workflow_->CreateHandoff(*request), response);
}

grpc::Status WorkflowServiceImpl::GetHandoff(
    grpc::ServerContext*, const v1::GetHandoffRequest* request,
    v1::Handoff* response) {
  return Reply(workflow_->GetHandoff(request->name()), response);
}

grpc::Status WorkflowServiceImpl::ListHandoffs(
    grpc::ServerContext*, const v1::ListHandoffsRequest* request,
    v1::ListHandoffsResponse* response) {
  // A token of a listing with deleted handoffs is not one without them.
  return ListPage<v1::Handoff>(
      request->page_size(), request->page_token(),
      request->show_deleted() ? request->parent() + "?show_deleted"
                              : request->parent(),
      [&](int n, const std::string& after) {
        return workflow_->ListHandoffs(request->parent(), n, after,
                                       request->show_deleted());
      },
      response->mutable_handoffs(), response->mutable_next_page_token());
}

grpc::Status WorkflowServiceImpl::RecordHandoffFeedback(
    grpc::ServerContext* context,
    const v1::RecordHandoffFeedbackRequest* request, v1::Handoff* response) {
  if (request->actor().empty()) {
    v1::RecordHandoffFeedbackRequest named = *request;
    named.set_actor(CallerOf(*context));
    return Reply(workflow_->RecordHandoffFeedback(named), response);
  }
  return Reply(workflow_->RecordHandoffFeedback(*request), response);
}

grpc::Status WorkflowServiceImpl::GetProcessMetrics(
    grpc::ServerContext*, const v1::GetProcessMetricsRequest* request,
    v1::ProcessMetrics* response) {
  return Reply(workflow_->GetProcessMetrics(*request), response);
}

grpc::Status WorkflowServiceImpl::ListAccountReadiness(
    grpc::ServerContext*, const v1::ListAccountReadinessRequest* request,
    v1::ListAccountReadinessResponse* response) {
  return Reply(readiness_->ListAccountReadiness(*request), response);
}

// One WatchReadiness stream. Its position `after_` moves through the change
// feed; matching events are written one at a time. The reactor never holds
// its lock while calling into gRPC (StartWrite, Finish).
class ReadinessWatcher final
    : public grpc::ServerWriteReactor<v1::ReadinessEvent> {
 public:
  // Events a watcher reads from the feed at once.
  static constexpr int kChunk = 500;

  ReadinessWatcher(WorkflowServiceImpl* service,
                   const v1::WatchReadinessRequest& request, int64_t after)
      : service_(service), request_(request), after_(after) {
    // Headers go out at once: a client that has them knows the watch is
    // registered and sees every event after its position.
    StartSendInitialMetadata();
  }

  // Called when the feed may have new events (and once at the start).
  void Poke() {
    std::unique_lock lock(mu_);
    if (writing_ || finishing_) return;
    absl::Status status = FillLocked();
    if (!status.ok())
      return FinishLocked(std::move(lock), ToGrpcStatus(status));
    StartNextLocked(std::move(lock));
  }

  // Ends the stream with `status` (after the write in flight, if any).
  void End(grpc::Status status) {
    std::unique_lock lock(mu_);
    FinishLocked(std::move(lock), std::move(status));
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mu_);
    writing_ = false;
    if (!ok) {  // The client is gone.
      return FinishLocked(std::move(lock), grpc::Status::OK);
    }
    if (pending_finish_) {
      grpc::Status status = *std::move(pending_finish_);
      pending_finish_.reset();
      finishing_ = false;
      return FinishLocked(std::move(lock), std::move(status));
    }
    if (finishing_) return;
    absl::Status status = FillLocked();
    if (!status.ok())
      return FinishLocked(std::move(lock), ToGrpcStatus(status));
    StartNextLocked(std::move(lock));
  }

  void OnCancel() override {
    End(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    service_->Unregister(this);
    delete this;
  }

 private:
  // Reads the events after `after_` into `queue_` until one matches or the
  // feed has no more.
  absl::Status FillLocked() {
    while (queue_.empty()) {
      auto events = service_->readiness_->ReadinessEvents(after_, kChunk,
                                                          request_.solution());
      if (!events.ok()) return events.status();
      for (auto& e : *events) {
        after_ = e.sequence();
        if (graph::MatchesWatch(request_, e)) queue_.push_back(std::move(e));
      }
      if (static_cast<int>(events->size()) < kChunk) break;
    }
    return absl::OkStatus();
  }

  void StartNextLocked(std::unique_lock<std::mutex> lock) {
    if (queue_.empty()) return;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    StartWrite(&current_);
  }

  void FinishLocked(std::unique_lock<std::mutex> lock, grpc::Status status) {
    if (finishing_) return;
    finishing_ = true;
    if (writing_) {  // Finish once the write in flight is done.
      pending_finish_ = std::move(status);
      return;
    }
    lock.unlock();
    Finish(std::move(status));
  }

  WorkflowServiceImpl* service_;
  const v1::WatchReadinessRequest request_;
  std::mutex mu_;
  int64_t after_;                               // Guarded by mu_.
  std::deque<v1::ReadinessEvent> queue_;        // Guarded by mu_.
  v1::ReadinessEvent current_;                  // Being written.
  bool writing_ = false;                        // Guarded by mu_.
  bool finishing_ = false;                      // Guarded by mu_.
  std::optional<grpc::Status> pending_finish_;  // Guarded by mu_.
};

namespace {

// Refuses a watch at once (bad request, or the server is stopping).
class RefusedWatch final : public grpc::ServerWriteReactor<v1::ReadinessEvent> {
 public:
  explicit RefusedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

grpc::Status Unavailable() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "quorumd is shutting down; reconnect and resume with "
                      "after_sequence set to the last event received");
}

}  // namespace

WorkflowServiceImpl::WorkflowServiceImpl(graph::Workflow* workflow,
                                         graph::Readiness* readiness)
    : workflow_(workflow), readiness_(readiness), feed_([this] { Feed(); }) {}

WorkflowServiceImpl::~WorkflowServiceImpl() {
  Stop();
  if (feed_.joinable()) feed_.join();
}

void WorkflowServiceImpl::Feed() {
  int64_t seen = readiness_->FeedsVersion();
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
    }
    if (!readiness_->WaitForFeedsAfter(seen, absl::Milliseconds(500))) {
      continue;
    }
    seen = readiness_->FeedsVersion();
    std::lock_guard lock(mu_);
    const std::set<ReadinessWatcher*> all = watchers_;
    for (ReadinessWatcher* watcher : all) {
      if (watchers_.count(watcher) > 0) watcher->Poke();
    }
  }
}

void WorkflowServiceImpl::Stop() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  const std::set<ReadinessWatcher*> all = watchers_;
  for (ReadinessWatcher* watcher : all) {
    if (watchers_.count(watcher) > 0) watcher->End(Unavailable());
  }
}

void WorkflowServiceImpl::Unregister(ReadinessWatcher* watcher) {
  std::lock_guard lock(mu_);
  watchers_.erase(watcher);
}

size_t WorkflowServiceImpl::watchers() {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

grpc::ServerWriteReactor<v1::ReadinessEvent>*
WorkflowServiceImpl::WatchReadiness(grpc::CallbackServerContext* context,
                                    const v1::WatchReadinessRequest* request) {
  auto start = readiness_->StartWatch(*request);
  if (!start.ok()) return new RefusedWatch(ToGrpcStatus(start.status()));
  // The feed's range at stream start, in the response headers (sent at
  // once by the watcher): a client knows where the feed stands before any
  // event arrives.
  context->AddInitialMetadata(kHeadSequenceHeader, absl::StrCat(start->head));
  context->AddInitialMetadata(kFirstSequenceHeader, absl::StrCat(start->first));
  auto* watcher = new ReadinessWatcher(this, *request, start->after);
  {
    std::lock_guard lock(mu_);
    if (stopped_) {
      delete watcher;
      return new RefusedWatch(Unavailable());
    }
    watchers_.insert(watcher);
  }
  watcher->Poke();  // Replays what follows after_sequence.
  return watcher;
}

}  // namespace quorum::server
