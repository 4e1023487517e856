// quorum webhook create | list | get | delete | resume: subscriptions that
// receive readiness events over HTTP POST (WebhookService; docs/webhooks.md).
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/filters.h"
#include "clients/quorum/output.h"
#include "clients/quorum/text.h"
#include "quorum/v1/webhook_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using quorum::v1::Webhook;
using quorum::v1::WebhookService;

// "webhooks/x" for "x"; a text with a slash unchanged, for the server to
// judge.
std::string WebhookName(const std::string& name) {
  return name.find('/') == std::string::npos ? "webhooks/" + name : name;
}

struct CreateOptions {
  std::string url;
  std::string secret;
  std::string secret_file;
  std::string id;
  std::string request_id;
  int64_t start_sequence = 0;
  Filters filters;
};

std::string FilterText(const quorum::v1::ReadinessFilter& f) {
  std::vector<std::string> parts;
  if (!f.solution().empty()) parts.push_back("solution=" + f.solution());
  for (int r : f.routes()) {
    parts.push_back("route=" +
                    EnumShortName(quorum::v1::Route_descriptor(), r));
  }
  for (int s : f.statuses()) {
    parts.push_back("status=" +
                    EnumShortName(quorum::v1::LifecycleStatus_descriptor(), s));
  }
  if (!f.country_code().empty()) parts.push_back("country=" + f.country_code());
  if (!f.owner().empty()) parts.push_back("owner=" + f.owner());
  if (f.stage() != 0) parts.push_back("stage=" + Short(f.stage()));
  if (f.min_readiness() > 0) {
    parts.push_back(absl::StrCat("readiness>=", f.min_readiness()));
  }
  if (parts.empty()) return "every event";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string RenderWebhook(const Webhook& w, Style style) {
  const bool paused = w.state() == Webhook::STATE_PAUSED;
  std::string out = absl::StrCat(
      w.name(), "  ", style.Apply(paused ? "red" : "green", Short(w.state())),
      "\n", "  url           ", w.url(), "\n", "  filter        ",
      FilterText(w.filter()), "\n",
      "  secret        sha256:", w.secret_fingerprint(), "...\n",
      "  cursor        ", w.cursor_sequence(), " (", w.delivered_count(),
      " delivered",
      w.has_last_delivery_time()
          ? absl::StrCat(", last ", FormatTime(w.last_delivery_time()))
          : "",
      ")\n");
  if (w.consecutive_failures() > 0 || !w.last_error().empty()) {
    absl::StrAppend(&out, "  failures      ", w.consecutive_failures(),
                    " in a row; last: ", w.last_error(), "\n");
  }
  if (paused) {
    absl::StrAppend(&out, "  paused        ", w.paused_reason(), "\n",
                    "  resume with   quorum webhook resume ", w.name(), "\n");
  }
  return out;
}

int RunCreate(Cli& cli, const CreateOptions& o) {
  quorum::v1::CreateWebhookRequest request;
  request.set_webhook_id(o.id);
  // Always one, so that a retried call (UNAVAILABLE) creates one webhook.
  request.set_request_id(o.request_id.empty() ? NewRequestId() : o.request_id);
  request.set_start_sequence(o.start_sequence);
  Webhook& w = *request.mutable_webhook();
  w.set_url(o.url);
  std::string secret = o.secret;
  if (!o.secret_file.empty()) {
    secret = ReadInput(o.secret_file);
    while (!secret.empty() &&
           (secret.back() == '\n' || secret.back() == '\r')) {
      secret.pop_back();
    }
  }
  w.set_secret(secret);
  ApplyFilters(o.filters, *w.mutable_filter());
  grpc::ClientContext context;
  cli.Prepare(context);
  Webhook response;
  auto status = WebhookService::NewStub(cli.Channel())
                    ->CreateWebhook(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, "webhook create");
  return PrintResponse(cli.format(), response, RenderWebhook);
}

int RunGet(Cli& cli, const std::string& name) {
  quorum::v1::GetWebhookRequest request;
  request.set_name(WebhookName(name));
  grpc::ClientContext context;
  cli.Prepare(context);
  Webhook response;
  auto status = WebhookService::NewStub(cli.Channel())
                    ->GetWebhook(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, "webhook get");
  return PrintResponse(cli.format(), response, RenderWebhook);
}

int RunList(Cli& cli) {
  auto stub = WebhookService::NewStub(cli.Channel());
  quorum::v1::ListWebhooksResponse all;
  quorum::v1::ListWebhooksRequest request;
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::ListWebhooksResponse page;
    auto status = stub->ListWebhooks(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status, "webhook list");
    for (const auto& w : page.webhooks()) *all.add_webhooks() = w;
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return PrintResponse(
      cli.format(), all,
      [](const quorum::v1::ListWebhooksResponse& r, Style style) {
        if (r.webhooks().empty()) return std::string("no webhooks\n");
        Table table({{"NAME", 24},
                     {"STATE", 7},
                     {"CURSOR", 8, true},
                     {"FAILS", 5, true},
                     {"URL", 40},
                     {"FILTER", 40}});
        for (const auto& w : r.webhooks()) {
          table.AddRow(
              {w.name(),
               Table::Cell(Short(w.state()), w.state() == Webhook::STATE_PAUSED
                                                 ? "red"
                                                 : "green"),
               std::to_string(w.cursor_sequence()),
               std::to_string(w.consecutive_failures()), w.url(),
               FilterText(w.filter())},
              w.paused_reason());
        }
        return table.Render(style, "");
      });
}

int RunDelete(Cli& cli, const std::string& name) {
  quorum::v1::DeleteWebhookRequest request;
  request.set_name(WebhookName(name));
  grpc::ClientContext context;
  cli.Prepare(context);
  google::protobuf::Empty response;
  auto status = WebhookService::NewStub(cli.Channel())
                    ->DeleteWebhook(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, "webhook delete");
  if (cli.json()) {
    cli.PrintStructured(response);
  } else {
    std::cout << "deleted " << request.name() << "\n";
  }
  return kExitOk;
}

int RunResume(Cli& cli, const std::string& name, bool skip_compacted) {
  quorum::v1::ResumeWebhookRequest request;
  request.set_name(WebhookName(name));
  request.set_skip_compacted(skip_compacted);
  grpc::ClientContext context;
  cli.Prepare(context);
  Webhook response;
  auto status = WebhookService::NewStub(cli.Channel())
                    ->ResumeWebhook(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, "webhook resume");
  return PrintResponse(cli.format(), response, RenderWebhook);
}

}  // namespace

void AddWebhookCommands(CLI::App& app, Action& action) {
  auto* webhook = app.add_subcommand(
      "webhook",
      "Subscriptions that receive readiness events as signed JSON over HTTP "
      "POST");
  webhook->require_subcommand(1);

  auto create = std::make_shared<CreateOptions>();
  auto* c = webhook->add_subcommand(
      "create", "Subscribe a URL to the readiness events (admin scope)");
  c->add_option("--url", create->url, "http:// or https:// URL to POST to")
      ->required();
  auto* secret = c->add_option(
      "--secret", create->secret,
      "The HMAC-SHA256 key the receiver checks X-Quorum-Signature with");
  c->add_option("--secret-file", create->secret_file,
                "Read the secret from FILE (- for standard input) instead")
      ->excludes(secret);
  c->add_option("--id", create->id, "The webhook's ID (derived when absent)");
  c->add_option("--request-id", create->request_id,
                "Client request ID (default: a new one); a retry with the "
                "same ID creates nothing again (AIP-155)");
  c->add_option("--start-sequence", create->start_sequence,
                "First event to deliver: 0 only new events (default), 1 "
                "every retained event")
      ->check(CLI::NonNegativeNumber);
  AddFilterOptions(c, create->filters);
  c->callback([&action, create] {
    action = [create](Cli& cli) {
      if (create->secret.empty() && create->secret_file.empty()) {
        throw UsageError(
            "webhook create: --secret or --secret-file is required");
      }
      return RunCreate(cli, *create);
    };
  });

  auto* l = webhook->add_subcommand("list", "Every webhook and its state");
  l->callback([&action] { action = [](Cli& cli) { return RunList(cli); }; });

  auto name = std::make_shared<std::string>();
  auto* g = webhook->add_subcommand(
      "get", "A webhook: URL, filter, cursor, failures, why it is paused");
  g->add_option("name", *name, "webhooks/ID or ID")->required();
  g->callback([&action, name] {
    action = [name](Cli& cli) { return RunGet(cli, *name); };
  });

  auto* d = webhook->add_subcommand("delete", "Remove a webhook (admin scope)");
  d->add_option("name", *name, "webhooks/ID or ID")->required();
  d->callback([&action, name] {
    action = [name](Cli& cli) { return RunDelete(cli, *name); };
  });

  auto skip = std::make_shared<bool>(false);
  auto* r = webhook->add_subcommand(
      "resume",
      "Deliver again to a paused webhook, from its cursor (admin scope)");
  r->add_option("name", *name, "webhooks/ID or ID")->required();
  r->add_flag("--skip-compacted", *skip,
              "When events after the cursor were compacted away, go on from "
              "the first retained one");
  r->callback([&action, name, skip] {
    action = [name, skip](Cli& cli) { return RunResume(cli, *name, *skip); };
  });
}

}  // namespace quorum::cli
