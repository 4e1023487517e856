// quorum ready | watch | metrics: the ABM views over every account.
#include <google/protobuf/util/time_util.h>
#include <signal.h>

#include <cmath>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/filters.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "graph/model/page_size.h"
#include "quorum/v1/workflow_service.grpc.pb.h"

namespace quorum::cli {
namespace {

using quorum::v1::WorkflowService;

struct ReadyOptions {
  Filters filters;
  std::string min_coverage;
  std::string missing;
  int page_size = 0;
  std::string page_token;
  int64_t policy_revision = 0;
  bool all = false;
};

// --min-coverage is a percentage: "80" and "80%" both mean 80%. A value
// between 0 and 1 without "%" ("0.5") is refused as ambiguous rather than
// read as 0.5% (or as 50%): 1 and 2 must not mean 100% and 2%.
double ParseCoverage(const std::string& text) {
  if (text.empty()) return 0;
  std::string number = text;
  const bool percent_sign = number.back() == '%';
  if (percent_sign) number.pop_back();
  double value = -1;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) value = -1;
  } catch (const std::exception&) {
    value = -1;
  }
  if (!(value >= 0 && value <= 100)) {
    throw UsageError("--min-coverage: \"" + text +
                     "\" is not a percentage from 0 to 100 (80 or 80%)");
  }
  if (!percent_sign && value > 0 && value < 1) {
    throw UsageError("--min-coverage: \"" + text +
                     "\" is ambiguous; it is a percentage: write " +
                     Number(value * 100) + " for " + Number(value * 100) +
                     "%, or " + text + "% for " + text + "%");
  }
  return value / 100;
}

// `ready -o csv`: one row per account, with a header; list fields
// separated by ';'.
std::string ReadinessCsv(
    const quorum::v1::ListAccountReadinessResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"account", "display_name", "readiness", "route", "coverage_percent",
       "status", "country_code", "owner", "stage", "missing_requirements",
       "as_of", "policy_revision", "solution"}};
  for (const auto& a : response.accounts()) {
    std::string missing;
    for (const auto& m : a.missing_requirements()) {
      missing += (missing.empty() ? "" : ";") + m;
    }
    rows.push_back(
        {a.account(), a.display_name(), std::to_string(a.readiness()),
         Short(a.route()),
         std::to_string(static_cast<int>(std::lround(a.coverage() * 100))),
         Short(a.status()), a.country_code(), a.owner(), Short(a.stage()),
         missing, FormatTime(response.as_of()),
         std::to_string(response.policy_revision()), a.solution()});
  }
  return ToCsv(rows);
}

int RunReady(Cli& cli, const ReadyOptions& o) {
  quorum::v1::ListAccountReadinessRequest request;
  ApplyFilters(o.filters, request);
  request.set_min_coverage(ParseCoverage(o.min_coverage));
  request.set_missing_requirement(o.missing);
  request.set_page_size(o.all && o.page_size == 0 ? quorum::graph::kMaxPageSize
                                                  : o.page_size);
  request.set_page_token(o.page_token);
  request.set_policy_revision(o.policy_revision);
  cli.SetAsOf(request);
  auto stub = WorkflowService::NewStub(cli.Channel());
  quorum::v1::ListAccountReadinessResponse all;
  while (true) {
    grpc::ClientContext context;
    cli.Prepare(context);
    quorum::v1::ListAccountReadinessResponse page;
    auto status = stub->ListAccountReadiness(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status);
    // Every page of one listing is judged at the same time and revision:
    // pin them from the first page on.
    if (!request.has_as_of()) *request.mutable_as_of() = page.as_of();
    if (request.policy_revision() == 0) {
      request.set_policy_revision(page.policy_revision());
    }
    for (auto& a : *page.mutable_accounts()) *all.add_accounts() = std::move(a);
    *all.mutable_as_of() = page.as_of();
    all.set_policy_revision(page.policy_revision());
    all.set_next_page_token(page.next_page_token());
    if (!o.all || page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (cli.format() == OutputFormat::kCsv) {
    std::cout << ReadinessCsv(all) << std::flush;
    return kExitOk;
  }
  return PrintResponse(
      cli.format(), all,
      [&o](const quorum::v1::ListAccountReadinessResponse& r,
           const Style& style) { return RenderReadiness(r, style, o.all); });
}

struct WatchOptions {
  Filters filters;
  int64_t after_sequence = 0;
  int64_t start_sequence = 0;
  bool from_start = false;
};

int RunWatch(Cli& cli, const WatchOptions& o) {
  quorum::v1::WatchReadinessRequest request;
  ApplyFilters(o.filters, request);
  request.set_after_sequence(o.after_sequence);
  request.set_start_sequence(o.from_start ? 1 : o.start_sequence);

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
  // Where the feed stands (response headers), on stderr: stdout keeps one
  // event per line.
  reader->WaitForInitialMetadata();
  if (const auto& headers = context->GetServerInitialMetadata();
      headers.count("quorum-head-sequence") > 0) {
    auto header = [&](const char* key) {
      auto it = headers.find(key);
      return it == headers.end()
                 ? std::string("?")
                 : std::string(it->second.data(), it->second.size());
    };
    std::cerr << "watching: head sequence " << header("quorum-head-sequence")
              << ", first retained " << header("quorum-first-sequence")
              << std::endl;
  }
  quorum::v1::ReadinessEvent event;
  while (reader->Read(&event)) {
    // One JSON object per line, or one YAML document per event.
    std::cout << (cli.format() == OutputFormat::kYaml ? "---\n" + ToYaml(event)
                  : cli.json()                        ? ToJsonLine(event)
                               : RenderReadinessEvent(event))
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
  std::string solution;
};

// The window of `metrics`: [--from, --to). A date given to --to counts as
// a whole day (--to 2026-12-01 ends at 2026-12-02T00:00:00Z), so that
// "--from 2026-11-01 --to 2026-11-30" is November; a time stays exclusive.
// Without --to the window ends now; without --from it starts 30 days before
// its end.
int RunMetrics(Cli& cli, const MetricsOptions& o) {
  using google::protobuf::util::TimeUtil;
  quorum::v1::GetProcessMetricsRequest request;
  google::protobuf::Timestamp end;
  if (o.to.empty()) {
    // Now, rounded up to the second: what happened a moment ago is in.
    end = TimeUtil::GetCurrentTime();
    end.set_seconds(end.seconds() + 1);
    end.set_nanos(0);
  } else {
    end = ParseTime("--to", o.to);
    if (IsDate(o.to)) end = end + TimeUtil::HoursToDuration(24);
  }
  google::protobuf::Timestamp start =
      o.from.empty() ? end - TimeUtil::HoursToDuration(24 * 30)
                     : ParseTime("--from", o.from);
  if (start >= end) {
    throw UsageError("--from " + FormatTime(start) + " is not before --to " +
                     FormatTime(end));
  }
  *request.mutable_start_time() = start;
  *request.mutable_end_time() = end;
  request.set_solution(o.solution);
  grpc::ClientContext context;
  cli.Prepare(context);
  quorum::v1::ProcessMetrics response;
  auto status = WorkflowService::NewStub(cli.Channel())
                    ->GetProcessMetrics(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status);
  return PrintResponse(cli.format(), response, RenderMetrics);
}

}  // namespace

void AddReadinessCommands(CLI::App& app, Action& action) {
  auto ready = std::make_shared<ReadyOptions>();
  auto* r = app.add_subcommand(
      "ready", "Accounts by readiness, filtered (ListAccountReadiness)");
  AddFilterOptions(r, ready->filters);
  r->add_option("--min-coverage", ready->min_coverage,
                "Committee coverage at least this percentage (50 or 50%)");
  r->add_option("--missing", ready->missing,
                "Only accounts where this requirement applies and is not met");
  r->add_option("--page-size", ready->page_size,
                absl::StrCat("Accounts per page (max ",
                             quorum::graph::kMaxPageSize, ")"))
      ->check(CLI::Range(0, quorum::graph::kMaxPageSize));
  r->add_option("--page-token", ready->page_token, "Token of the next page");
  r->add_flag("--all", ready->all,
              "Every page, not only the first (one listing: the same as-of "
              "time and policy revision throughout)");
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
  w->add_option("--start-sequence", watch->start_sequence,
                "Start at this event sequence number (inclusive)")
      ->excludes("--after-sequence");
  w->add_flag("--from-start", watch->from_start,
              "Replay every retained event first (--start-sequence 1)")
      ->excludes("--after-sequence")
      ->excludes("--start-sequence");
  w->callback([&action, watch] {
    action = [watch](Cli& cli) { return RunWatch(cli, *watch); };
  });

  auto metrics = std::make_shared<MetricsOptions>();
  auto* m = app.add_subcommand(
      "metrics", "Process metrics over a window (GetProcessMetrics)");
  m->add_option("--from", metrics->from,
                "Start (RFC 3339 or YYYY-MM-DD); default 30 days before --to");
  m->add_option("--to", metrics->to,
                "End: a time (exclusive) or a date (that day included); "
                "default now");
  m->add_option("--solution", metrics->solution,
                "Only the handoffs for this solution in the handoff figures");
  m->callback([&action, metrics] {
    action = [metrics](Cli& cli) { return RunMetrics(cli, *metrics); };
  });
}

}  // namespace quorum::cli
