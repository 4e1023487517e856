// quorum move STAKEHOLDER --to ACCOUNT [--site SITE]...: MoveStakeholder,
// with what followed the person and what was removed.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"

namespace quorum::cli {
namespace {

struct MoveOptions {
  std::string stakeholder;
  std::string to;
  std::vector<std::string> sites;
  std::string id;
  std::string etag;
  std::string request_id;
};

// "accounts/a/stakeholders/p" as given; "a/p" for short.
std::string StakeholderName(const std::string& text) {
  if (text.rfind("accounts/", 0) == 0) return text;
  const size_t slash = text.find('/');
  if (slash == std::string::npos || text.find('/', slash + 1) != text.npos) {
    return text;  // For the server to judge.
  }
  return "accounts/" + text.substr(0, slash) + "/stakeholders/" +
         text.substr(slash + 1);
}

void PrintRelationship(const quorum::v1::Relationship& r) {
  std::cout << "    " << r.name() << ": " << r.source() << " "
            << Short(r.type()) << " " << r.target() << "\n";
}

int RunMove(Cli& cli, const MoveOptions& o) {
  quorum::v1::MoveStakeholderRequest request;
  request.set_name(StakeholderName(o.stakeholder));
  request.set_destination(AccountName(o.to));
  for (const std::string& site : o.sites) {
    // A bare site ID is a site of the destination account.
    request.add_sites(site.find('/') == std::string::npos
                          ? request.destination() + "/sites/" + site
                          : site);
  }
  request.set_stakeholder_id(o.id);
  request.set_etag(o.etag);
  // Always one, so that a retried call (UNAVAILABLE) is applied once.
  request.set_request_id(o.request_id.empty() ? NewRequestId() : o.request_id);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::MoveStakeholderResponse response;
  auto status = quorum::v1::AccountGraphService::NewStub(cli.Channel())
                    ->MoveStakeholder(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
    return kExitOk;
  }
  const auto& s = response.stakeholder();
  std::cout << "Moved " << request.name() << " to " << s.name() << "\n";
  std::cout << "  sites: "
            << (s.sites().empty() ? std::string("none")
                                  : absl::StrJoin(s.sites(), ", "))
            << "\n";
  std::cout << "  signals that followed: " << response.signals_size()
            << "\n  notes that followed: " << response.notes_size() << "\n";
  if (!response.relationships().empty()) {
    std::cout << "  relationships kept:\n";
    for (const auto& r : response.relationships()) PrintRelationship(r);
  }
  if (!response.removed_relationships().empty()) {
    std::cout << "  relationships removed (the other person is outside the "
                 "new account tree):\n";
    for (const auto& r : response.removed_relationships()) {
      PrintRelationship(r);
    }
  }
  for (const auto& n : response.history_notes()) {
    std::cout << "  recorded in " << n.name() << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddMoveCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<MoveOptions>();
  auto* move = app.add_subcommand(
      "move",
      "Move a stakeholder to another account or sites, with their signals, "
      "notes and relationships");
  move->add_option("stakeholder", o->stakeholder,
                   "accounts/A/stakeholders/P, or A/P")
      ->required();
  move->add_option("--to", o->to,
                   "The account they move to (ID or accounts/ID)")
      ->required();
  move->add_option("--site", o->sites,
                   "A site they work at after the move (ID in the "
                   "destination, or accounts/A/sites/S); repeatable");
  move->add_option("--id", o->id,
                   "Their ID at the destination (default: kept)");
  move->add_option("--etag", o->etag, "Only if the stakeholder has this etag");
  move->add_option("--request-id", o->request_id,
                   "Client request ID (default: a new one); a retry with "
                   "the same ID moves "
                   "nothing again and returns the first answer");
  move->callback(
      [&action, o] { action = [o](Cli& cli) { return RunMove(cli, *o); }; });
}

}  // namespace quorum::cli
