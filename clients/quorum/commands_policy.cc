// quorum policy show | revisions | validate | publish | simulate | suggest.
#include <google/protobuf/text_format.h>

#include <fstream>
#include <iostream>

#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "graph/model/page_size.h"
#include "quorum/v1/policy_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using quorum::v1::PolicyService;

struct PolicyOptions {
  int64_t revision = 0;
  std::string file;
  std::string format;  // "text", "json" or empty: from the file name.
  std::string description;
  int page_size = 20;
  // suggest
  int folds = 0;
  std::vector<double> multipliers;
  std::string out;
};

// The file's text as the PolicySource the server parses: JSON when the name
// ends in .json (or --format json), text format otherwise.
quorum::v1::PolicySource Source(const PolicyOptions& o) {
  quorum::v1::PolicySource source;
  std::string text = ReadInput(o.file);
  bool json = o.format == "json" ||
              (o.format.empty() && o.file.size() > 5 &&
               o.file.compare(o.file.size() - 5, 5, ".json") == 0);
  if (json) {
    source.set_json(std::move(text));
  } else {
    source.set_text(std::move(text));
  }
  return source;
}

int RunShow(Cli& cli, const PolicyOptions& o) {
  quorum::v1::GetPolicyRequest request;
  request.set_revision(o.revision);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::PolicyRevision response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->GetPolicy(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
    return kExitOk;
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(response.policy(), &text);
  std::cout << RenderPolicyHeader(response) << text;
  return kExitOk;
}

int RunRevisions(Cli& cli, const PolicyOptions& o) {
  quorum::v1::ListPolicyRevisionsRequest request;
  request.set_page_size(o.page_size);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ListPolicyRevisionsResponse response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->ListPolicyRevisions(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    // Without the policies themselves: `policy show --revision N` has them.
    for (auto& r : *response.mutable_revisions()) r.clear_policy();
    cli.PrintStructured(response);
    return kExitOk;
  }
  Table table({{"REVISION", 8, true},
               {"ACTIVE", 6},
               {"PUBLISHED", 20},
               {"DESCRIPTION", 40}});
  for (const auto& r : response.revisions()) {
    table.AddRow({std::to_string(r.revision()), r.active() ? "yes" : "",
                  FormatTime(r.create_time()), r.description()});
  }
  std::cout << table.Render(Style(StdoutWantsColor()), "");
  return kExitOk;
}

int RunValidate(Cli& cli, const PolicyOptions& o) {
  quorum::v1::ValidatePolicyRequest request;
  *request.mutable_source() = Source(o);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ValidatePolicyResponse response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->ValidatePolicy(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    response.clear_policy();  // The file itself; not worth echoing.
    cli.PrintStructured(response);
  } else {
    std::cout << RenderValidation(response, Style(StdoutWantsColor()));
  }
  return response.valid() ? kExitOk : kExitServerError;
}

int RunPublish(Cli& cli, const PolicyOptions& o) {
  quorum::v1::PublishPolicyRequest request;
  *request.mutable_source() = Source(o);
  request.set_description(o.description);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::PolicyRevision response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->PublishPolicy(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (cli.json()) {
    cli.PrintStructured(response);
  } else {
    std::cout << "published revision " << response.revision()
              << (response.active() ? " (active)" : "") << " at "
              << FormatTime(response.create_time()) << "\n";
  }
  return kExitOk;
}

int RunSimulate(Cli& cli, const PolicyOptions& o) {
  quorum::v1::SimulatePolicyRequest request;
  *request.mutable_source() = Source(o);
  cli.SetAsOf(request);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::SimulatePolicyResponse response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->SimulatePolicy(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderSimulation);
}

int RunSuggest(Cli& cli, const PolicyOptions& o) {
  quorum::v1::SuggestPolicyRequest request;
  request.set_folds(o.folds);
  for (double m : o.multipliers) request.add_multipliers(m);
  cli.SetAsOf(request);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::SuggestPolicyResponse response;
  auto status = PolicyService::NewStub(cli.Channel())
                    ->SuggestPolicy(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  if (!o.out.empty()) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(response.candidate(), &text);
    std::ofstream file(o.out, std::ios::binary);
    file << RenderSuggestionHeader(response) << text;
    if (!file.flush()) throw UsageError("cannot write " + o.out);
  }
  PrintResponse(cli.format(), response, RenderSuggestion);
  if (!o.out.empty() && cli.format() != OutputFormat::kJson &&
      cli.format() != OutputFormat::kYaml) {
    std::cout << "\nCandidate written to " << o.out
              << " (quorum policy validate|publish " << o.out << ")\n";
  }
  return kExitOk;
}

CLI::App* AddFileCommand(CLI::App* parent, const std::string& name,
                         const std::string& help, PolicyOptions& o) {
  auto* sub = parent->add_subcommand(name, help);
  sub->add_option("file", o.file,
                  "Policy as text format (.textproto) or JSON (.json); - for "
                  "stdin")
      ->required();
  sub->add_option("--format", o.format,
                  "text or json (default: from the file name)")
      ->check(CLI::IsMember({"text", "json"}));
  return sub;
}

}  // namespace

void AddPolicyCommands(CLI::App& app, Action& action) {
  auto o = std::make_shared<PolicyOptions>();
  auto* policy = app.add_subcommand("policy", "The qualification policy");
  policy->require_subcommand(1);

  auto* show = policy->add_subcommand(
      "show",
      "Print a policy revision as text format (the active one by "
      "default)");
  show->add_option("--revision", o->revision, "Revision; 0 for the active one");
  show->callback(
      [&action, o] { action = [o](Cli& cli) { return RunShow(cli, *o); }; });

  auto* revisions =
      policy->add_subcommand("revisions", "List revisions, newest first");
  revisions->add_option("--page-size", o->page_size, "How many")
      ->check(CLI::Range(1, quorum::graph::kMaxPageSize));
  revisions->callback([&action, o] {
    action = [o](Cli& cli) { return RunRevisions(cli, *o); };
  });

  AddFileCommand(policy, "validate",
                 "Check a policy file; every problem with its field path "
                 "(exit 1 when invalid)",
                 *o)
      ->callback([&action, o] {
        action = [o](Cli& cli) { return RunValidate(cli, *o); };
      });

  auto* publish =
      AddFileCommand(policy, "publish",
                     "Publish a policy file as the new active revision", *o);
  publish->add_option("--description", o->description, "What changed");
  publish->callback(
      [&action, o] { action = [o](Cli& cli) { return RunPublish(cli, *o); }; });

  AddFileCommand(policy, "simulate",
                 "Run a candidate policy over the graph (as of --as-of): "
                 "route changes and how past handoffs would have gone",
                 *o)
      ->callback([&action, o] {
        action = [o](Cli& cli) { return RunSimulate(cli, *o); };
      });

  auto* suggest = policy->add_subcommand(
      "suggest",
      "Learn a candidate from the handoffs sales accepted or rejected: "
      "changed parameters, cross-validated accuracy, route changes "
      "(publishes nothing)");
  suggest->add_option("--folds", o->folds,
                      "Cross-validation folds, 2 to 20 (default 5)");
  suggest
      ->add_option("--multipliers", o->multipliers,
                   "Factors tried on each parameter (default 0.5 0.75 1 "
                   "1.25 1.5)")
      ->expected(1, 20);
  suggest->add_option("--out", o->out,
                      "Write the candidate policy as text format to FILE");
  suggest->callback(
      [&action, o] { action = [o](Cli& cli) { return RunSuggest(cli, *o); }; });
}

}  // namespace quorum::cli
