// quorum ready | watch | metrics: the ABM views over every account.
#include <signal.h>

#include <iostream>
#include <thread>

#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using quorum::v1::WorkflowService;

// Filters shared by `ready` and `watch`.
struct Filters {
  std::vector<std::string> routes;
  std::vector<std::string> statuses;
  std::string country;
  std::string owner;
  std::string stage;
  int min_readiness = 0;
};

void AddFilterOptions(CLI::App* sub, Filters& f) {
  sub->add_option("--route", f.routes,
                  "Only these routes (repeat or comma-separate), e.g. "
                  "sales_discovery")
      ->delimiter(',');
  sub->add_option("--status", f.statuses,
                  "Only these lifecycle statuses, e.g. new,researching")
      ->delimiter(',');
  sub->add_option("--country", f.country, "Only this country (ISO alpha-2)");
  sub->add_option("--owner", f.owner, "Only this owner");
  sub->add_option("--stage", f.stage, "Only this evaluation stage, e.g. pilot");
  sub->add_option("--min-readiness", f.min_readiness, "Readiness at least this")
      ->check(CLI::Range(0, 100));
}

template <typename Request>
void ApplyFilters(const Filters& f, Request& request) {
  for (const auto& r : f.routes) {
    request.add_routes(static_cast<quorum::v1::Route>(
        ParseEnum("--route", r, quorum::v1::Route_descriptor())));
  }
  for (const auto& s : f.statuses) {
    request.add_statuses(static_cast<quorum::v1::LifecycleStatus>(
        ParseEnum("--status", s, quorum::v1::LifecycleStatus_descriptor())));
  }
  std::string country = f.country;
  for (char& c : country) c = static_cast<char>(std::toupper(c));
  request.set_country_code(country);
  request.set_owner(f.owner);
  if (!f.stage.empty()) {
    request.set_stage(static_cast<quorum::v1::EvaluationStage>(ParseEnum(
        "--stage", f.stage, quorum::v1::EvaluationStage_descriptor())));
  }
  request.set_min_readiness(f.min_readiness);
}

struct ReadyOptions {
  Filters filters;
  std::string min_coverage;
  std::string missing;
  int page_size = 0;
  std::string page_token;
  int64_t policy_revision = 0;
};

double ParseCoverage(const std::string& text) {
  if (text.empty()) return 0;
  std::string number = text;
  bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  try {
    size_t used = 0;
    double value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(text);
    if (percent || value > 1) value /= 100;
    if (value < 0 || value > 1) throw std::out_of_range(text);
    return value;
  } catch (const std::exception&) {
    throw UsageError("--min-coverage: \"" + text +
                     "\" is not a fraction (0.5) or a percentage (50%)");
  }
}

int RunReady(Cli& cli, const ReadyOptions& o) {
  quorum::v1::ListAccountReadinessRequest request;
  ApplyFilters(o.filters, request);
  request.set_min_coverage(ParseCoverage(o.min_coverage));
  request.set_missing_requirement(o.missing);
  request.set_page_size(o.page_size);
  request.set_page_token(o.page_token);
  request.set_policy_revision(o.policy_revision);
  cli.SetAsOf(request);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ListAccountReadinessResponse response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->ListAccountReadiness(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.json(), response, RenderReadiness);
}

struct WatchOptions {
  Filters filters;
  int64_t after_sequence = 0;
};

int RunWatch(Cli& cli, const WatchOptions& o) {
  quorum::v1::WatchReadinessRequest request;
  ApplyFilters(o.filters, request);
  request.set_after_sequence(o.after_sequence);

  // Ctrl-C (or SIGTERM) cancels the stream: block both signals before gRPC
  // starts its threads, and wait for them on a thread of our own.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Shared with the signal thread, which may outlive this function.
  auto context = std::make_shared<grpc::ClientContext>();
  if (cli.globals().timeout_set) {
    cli.Prepare(*context);  // Watch for --timeout seconds.
  } else {
    cli.PrepareWithoutDeadline(*context);  // Until Ctrl-C.
  }
  std::thread([context, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    context->TryCancel();
  }).detach();

  auto reader = WorkflowService::NewStub(cli.Channel())
                    ->WatchReadiness(context.get(), request);
  quorum::v1::ReadinessEvent event;
  while (reader->Read(&event)) {
    std::cout << (cli.json() ? ToJsonLine(event) : RenderReadinessEvent(event))
              << std::flush;
  }
  auto status = reader->Finish();
  if (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED ||
      (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
       cli.globals().timeout_set)) {
    return kExitOk;
  }
  return ReportRpcError(status);
}

struct MetricsOptions {
  std::string from;
  std::string to;
};

int RunMetrics(Cli& cli, const MetricsOptions& o) {
  quorum::v1::GetProcessMetricsRequest request;
  *request.mutable_start_time() = ParseTime("--from", o.from);
  *request.mutable_end_time() = ParseTime("--to", o.to);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ProcessMetrics response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->GetProcessMetrics(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.json(), response, RenderMetrics);
}

}  // namespace

void AddReadinessCommands(CLI::App& app, Action& action) {
  auto ready = std::make_shared<ReadyOptions>();
  auto* r = app.add_subcommand(
      "ready", "Accounts by readiness, filtered (ListAccountReadiness)");
  AddFilterOptions(r, ready->filters);
  r->add_option("--min-coverage", ready->min_coverage,
                "Committee coverage at least this (0.5 or 50%)");
  r->add_option("--missing", ready->missing,
                "Only accounts where this requirement applies and is not met");
  r->add_option("--page-size", ready->page_size, "Accounts per page (max 1000)")
      ->check(CLI::Range(0, 1000));
  r->add_option("--page-token", ready->page_token, "Token of the next page");
  r->add_option("--policy-revision", ready->policy_revision,
                "Policy revision; the active one by default");
  r->callback([&action, ready] {
    action = [ready](Cli& cli) { return RunReady(cli, *ready); };
  });

  auto watch = std::make_shared<WatchOptions>();
  auto* w = app.add_subcommand(
      "watch",
      "Print one line per readiness change until Ctrl-C (WatchReadiness); "
      "with --timeout, for that many seconds");
  AddFilterOptions(w, watch->filters);
  w->add_option("--after-sequence", watch->after_sequence,
                "Resume after this event sequence number");
  w->callback([&action, watch] {
    action = [watch](Cli& cli) { return RunWatch(cli, *watch); };
  });

  auto metrics = std::make_shared<MetricsOptions>();
  auto* m = app.add_subcommand(
      "metrics", "Process metrics over a window (GetProcessMetrics)");
  m->add_option("--from", metrics->from, "Start (RFC 3339 or YYYY-MM-DD)")
      ->required();
  m->add_option("--to", metrics->to, "End, exclusive")->required();
  m->callback([&action, metrics] {
    action = [metrics](Cli& cli) { return RunMetrics(cli, *metrics); };
  });
}

}  // namespace quorum::cli
