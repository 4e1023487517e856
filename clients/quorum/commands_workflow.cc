// quorum status | status history | handoff create|show|feedback.
#include <iostream>

#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "graph/model/page_size.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using quorum::v1::WorkflowService;

struct StatusOptions {
  std::string account;
  std::string to;
  std::string reason;
  std::string etag;
  std::string actor;
  std::string request_id;  // Generated when not given.
  int page_size = 20;
};

int RunTransition(Cli& cli, const StatusOptions& o) {
  if (o.account.empty()) throw UsageError("status: ACCOUNT is required");
  if (o.to.empty()) throw UsageError("status: --to STATUS is required");
  if (o.reason.empty()) throw UsageError("status: --reason TEXT is required");
  quorum::v1::TransitionStatusRequest request;
  request.set_name(AccountName(o.account));
  request.set_status(static_cast<quorum::v1::LifecycleStatus>(
      ParseEnum("--to", o.to, quorum::v1::LifecycleStatus_descriptor())));
  request.set_reason(o.reason);
  request.set_etag(o.etag);
  request.set_actor(DefaultActor(o.actor));
  // Always one, so that a retried call (UNAVAILABLE) is applied once.
  request.set_request_id(o.request_id.empty() ? NewRequestId() : o.request_id);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::TransitionStatusResponse response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->TransitionStatus(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderTransition);
}

int RunHistory(Cli& cli, const StatusOptions& o) {
  quorum::v1::ListStatusChangesRequest request;
  request.set_parent(AccountName(o.account));
  request.set_page_size(o.page_size);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ListStatusChangesResponse response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->ListStatusChanges(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else if (response.status_changes_size() == 0) {
    std::cout << "No status changes yet.\n";
  } else {
    std::cout << RenderStatusChanges(
        {response.status_changes().begin(), response.status_changes().end()},
        Style(StdoutWantsColor()));
  }
  return kExitOk;
}

struct HandoffOptions {
  std::string target;  // Account, or handoff name.
  std::string reason, next_step, owner_plan, force_reason, actor;
  std::string request_id;  // handoff create; generated when not given.
  std::string solution;    // handoff create.
  bool force = false;
  bool show_deleted = false;
  bool accept = false;
  std::string reject;
  std::string comment;
};

// "accounts/x/handoffs/h" from that or "x/handoffs/h".
std::string HandoffName(const std::string& text) {
  if (text.find("/handoffs/") == std::string::npos) {
    throw UsageError("\"" + text +
                     "\" is not a handoff name (accounts/ID/handoffs/ID)");
  }
  return AccountName(text);
}

int RunHandoffCreate(Cli& cli, const HandoffOptions& o) {
  if (o.force && o.force_reason.empty()) {
    throw UsageError("--force needs --force-reason");
  }
  quorum::v1::CreateHandoffRequest request;
  request.set_parent(AccountName(o.target));
  request.set_reason(o.reason);
  request.set_next_step(o.next_step);
  request.set_decision_owner_plan(o.owner_plan);
  request.set_force(o.force);
  request.set_force_reason(o.force_reason);
  request.set_actor(DefaultActor(o.actor));
  request.set_solution(o.solution);
  // Always one, so that a retried call (UNAVAILABLE) is applied once.
  request.set_request_id(o.request_id.empty() ? NewRequestId() : o.request_id);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::Handoff response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->CreateHandoff(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderHandoff);
}

int RunHandoffShow(Cli& cli, const HandoffOptions& o) {
  auto stub = WorkflowService::NewStub(cli.Channel());
  grpc::ClientContext context;
  cli.Prepare(context);
  Style style(StdoutWantsColor());
  if (o.target.find("/handoffs/") != std::string::npos) {
    quorum::v1::GetHandoffRequest request;
    request.set_name(HandoffName(o.target));
    quorum::v1::Handoff response;
    auto status = stub->GetHandoff(&context, request, &response);
    if (!status.ok()) return ReportRpcError(status);
    if (cli.json())
      cli.PrintStructured(response);
    else
      std::cout << RenderHandoff(response, style);
    return kExitOk;
  }
  quorum::v1::ListHandoffsRequest request;
  request.set_parent(AccountName(o.target));
  request.set_show_deleted(o.show_deleted);
  quorum::v1::ListHandoffsResponse response;
  auto status = stub->ListHandoffs(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else if (response.handoffs_size() == 0) {
    std::cout << "No handoffs.\n";
  } else {
    bool first = true;
    for (const auto& h : response.handoffs()) {
      if (!first) std::cout << "\n";
      first = false;
      std::cout << RenderHandoff(h, style);
    }
  }
  return kExitOk;
}

int RunHandoffFeedback(Cli& cli, const HandoffOptions& o) {
  if (o.accept == !o.reject.empty()) {
    throw UsageError("feedback: give either --accept or --reject REASON");
  }
  quorum::v1::RecordHandoffFeedbackRequest request;
  if (o.target.find("/handoffs/") != std::string::npos) {
    request.set_name(HandoffName(o.target));
  } else {
    // An account: its latest handoff, so that a person need not copy its ID.
    quorum::v1::ListHandoffsRequest list;
    list.set_parent(AccountName(o.target));
    list.set_page_size(quorum::graph::kMaxPageSize);
    quorum::v1::ListHandoffsResponse handoffs;
    grpc::ClientContext context;
    cli.Prepare(context);
    auto status = WorkflowService::NewStub(cli.Channel())
                      ->ListHandoffs(&context, list, &handoffs);
    if (!status.ok()) return ReportRpcError(status);
    const quorum::v1::Handoff* latest = nullptr;
    for (const auto& h : handoffs.handoffs()) {
      if (latest == nullptr ||
          h.create_time().seconds() > latest->create_time().seconds() ||
          (h.create_time().seconds() == latest->create_time().seconds() &&
           h.create_time().nanos() > latest->create_time().nanos())) {
        latest = &h;
      }
    }
    if (latest == nullptr) {
      throw UsageError(list.parent() + " has no handoff to give feedback on");
    }
    request.set_name(latest->name());
  }
  if (o.accept) {
    request.set_outcome(quorum::v1::HANDOFF_OUTCOME_ACCEPTED);
  } else {
    request.set_outcome(quorum::v1::HANDOFF_OUTCOME_REJECTED);
    request.set_rejection_reason(
        static_cast<quorum::v1::RejectionReason>(ParseEnum(
            "--reject", o.reject, quorum::v1::RejectionReason_descriptor())));
  }
  request.set_comment(o.comment);
  request.set_actor(DefaultActor(o.actor));
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::Handoff response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->RecordHandoffFeedback(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderHandoff);
}

}  // namespace

void AddWorkflowCommands(CLI::App& app, Action& action) {
  auto s = std::make_shared<StatusOptions>();
  auto* status = app.add_subcommand(
      "status",
      "Move an account to another lifecycle status with a reason "
      "(TransitionStatus); `status history ACCOUNT` lists the changes");
  status->require_subcommand(0, 1);
  status->add_option("account", s->account, "accounts/ID or ID");
  status->add_option("--to", s->to,
                     "New status: researching, nurture, qualified, "
                     "disqualified, new");
  status->add_option("--reason", s->reason, "Why (required)");
  status->add_option("--etag", s->etag,
                     "Fail with ABORTED if the account changed since");
  status->add_option("--actor", s->actor,
                     "Who ($QUORUM_ACTOR or $USER by default)");
  status->add_option("--request-id", s->request_id,
                     "Client request ID (default: a new one); a retry with "
                     "the same ID changes nothing and returns the first "
                     "answer");
  auto* history = status->add_subcommand(
      "history", "An account's status changes, newest first");
  history->add_option("account", s->account, "accounts/ID or ID")->required();
  history->add_option("--page-size", s->page_size, "How many")
      ->check(CLI::Range(1, quorum::graph::kMaxPageSize));
  history->callback(
      [&action, s] { action = [s](Cli& cli) { return RunHistory(cli, *s); }; });
  status->callback([&action, s, history] {
    if (history->parsed()) return;
    action = [s](Cli& cli) { return RunTransition(cli, *s); };
  });

  auto h = std::make_shared<HandoffOptions>();
  auto* handoff = app.add_subcommand("handoff", "Handoffs to sales");
  handoff->require_subcommand(1);
  auto* create = handoff->add_subcommand(
      "create", "Hand an account to sales (moves it to HANDED_OFF)");
  create->add_option("account", h->target, "accounts/ID or ID")->required();
  create->add_option("--reason", h->reason,
                     "Why; the verdict's first reason by default");
  create->add_option("--next-step", h->next_step,
                     "The next step; the verdict's by default");
  create->add_option(
      "--owner-plan", h->owner_plan,
      "How the decision owner will be found, when none is known");
  create->add_flag("--force", h->force, "Hand off despite missing items");
  create->add_option("--force-reason", h->force_reason, "Why forcing is right");
  create->add_option("--actor", h->actor, "Who ($QUORUM_ACTOR or $USER)");
  create->add_option("--solution", h->solution,
                     "Hand off for this solution of the policy (its verdict "
                     "must route to sales)");
  create->add_option("--request-id", h->request_id,
                     "Client request ID (default: a new one); a retry with "
                     "the same ID hands off nothing again and returns the "
                     "first answer");
  create->callback([&action, h] {
    action = [h](Cli& cli) { return RunHandoffCreate(cli, *h); };
  });
  auto* show = handoff->add_subcommand(
      "show", "A handoff (accounts/ID/handoffs/ID), or an account's handoffs");
  show->add_option("name", h->target, "Handoff or account")->required();
  show->add_flag("--show-deleted", h->show_deleted,
                 "Also the handoffs of deleted accounts of this name");
  show->callback([&action, h] {
    action = [h](Cli& cli) { return RunHandoffShow(cli, *h); };
  });
  auto* feedback = handoff->add_subcommand(
      "feedback",
      "Record sales feedback: --accept, or --reject REASON --comment");
  feedback
      ->add_option("handoff", h->target,
                   "accounts/ID/handoffs/ID, or an account for its latest "
                   "handoff")
      ->required();
  feedback->add_flag("--accept", h->accept, "Sales accepted it");
  feedback->add_option("--reject", h->reject,
                       "Rejected: too_early, poor_fit, wrong_contact, "
                       "no_budget, other");
  feedback->add_option("--comment", h->comment, "What sales said");
  feedback->add_option("--actor", h->actor, "Who ($QUORUM_ACTOR or $USER)");
  feedback->callback([&action, h] {
    action = [h](Cli& cli) { return RunHandoffFeedback(cli, *h); };
  });
}

}  // namespace quorum::cli
