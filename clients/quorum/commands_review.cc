// quorum review ACCOUNT: the verdict, committee map, notes and history of an
// account in one screen.
#include <iostream>

#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "clients/quorum/terminal.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "quorum/v1/qualification_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::cli {
namespace {

constexpr int kRecent = 5;

int RunReview(Cli& cli, const std::string& account,
              const std::string& solution) {
  const std::string name = AccountName(account);
  auto channel = cli.Channel();
  ReviewInput input;

  quorum::v1::QualifyAccountRequest qualify;
  qualify.set_name(name);
  qualify.set_solution(solution);
  cli.SetAsOf(qualify);
  // --json is the whole verdict; the screen shows the strongest signals.
  qualify.set_view(cli.json() ? quorum::v1::VERDICT_VIEW_FULL
                              : quorum::v1::VERDICT_VIEW_BASIC);
  {
    grpc::ClientContext context;
    cli.Prepare(context);
    auto status =
        quorum::v1::QualificationService::NewStub(channel)->QualifyAccount(
            &context, qualify, &input.verdict);
    if (!status.ok()) return ReportRpcError(status);
  }
  if (cli.json()) {
    cli.PrintStructured(input.verdict);
    return kExitOk;
  }

  // The rest enriches the review; a failure of one of them is shown in its
  // section instead of failing the review, except for a lost server.
  grpc::Status failed;
  {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::GetCommitteeMapRequest request;
    request.set_name(name);
    quorum::v1::CommitteeMap map;
    auto status =
        quorum::v1::AccountGraphService::NewStub(channel)->GetCommitteeMap(
            &context, request, &map);
    if (status.ok())
      input.committee_map = std::move(map);
    else
      failed = status;
  }
  {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::ListNotesRequest request;
    request.set_parent(name);
    request.set_page_size(kRecent);
    quorum::v1::ListNotesResponse response;
    auto status = quorum::v1::NoteService::NewStub(channel)->ListNotes(
        &context, request, &response);
    input.notes.available = status.ok();
    if (status.ok()) {
      input.notes.items.assign(response.notes().begin(),
                               response.notes().end());
    } else {
      input.notes.unavailable_reason = StatusCodeName(status.error_code());
    }
  }
  {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::ListStatusChangesRequest request;
    request.set_parent(name);
    request.set_page_size(kRecent);
    quorum::v1::ListStatusChangesResponse response;
    auto status =
        quorum::v1::WorkflowService::NewStub(channel)->ListStatusChanges(
            &context, request, &response);
    input.history.available = status.ok();
    if (status.ok()) {
      input.history.items.assign(response.status_changes().begin(),
                                 response.status_changes().end());
    } else {
      input.history.unavailable_reason = StatusCodeName(status.error_code());
    }
  }
  // A review is long: on a terminal it goes through the pager.
  WriteMaybePaged(RenderReview(input, Style(StdoutWantsColor())),
                  cli.globals().no_pager);
  if (!failed.ok()) {
    std::cerr << "quorum: the committee map is missing from the review: "
              << FormatRpcError(failed);
  }
  return kExitOk;
}

}  // namespace

void AddReviewCommand(CLI::App& app, Action& action) {
  auto account = std::make_shared<std::string>();
  auto solution = std::make_shared<std::string>();
  auto* review = app.add_subcommand(
      "review",
      "The account review: verdict, fit checklist, intent, committee, gaps, "
      "notes, history and the next step");
  review->add_option("account", *account, "accounts/ID or ID")->required();
  review->add_option("--solution", *solution,
                     "Judge the account for this solution of the policy "
                     "(its committee, fit checks and intent topics)");
  review->callback([&action, account, solution] {
    action = [account, solution](Cli& cli) {
      return RunReview(cli, *account, *solution);
    };
  });
}

}  // namespace quorum::cli
