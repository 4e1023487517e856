// The quorum binary's subcommands against quorumd with the demo data: exit
// codes (0, 1 with the gRPC code and violations, 2 for usage), --json output
// that parses back into the right message, CSV imports with rejected rows,
// graph output, signals, policy, the workflow from lead to handoff feedback,
// watch, webhooks and colour on a terminal. The suite's server takes writes;
// the golden tests have their own.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/note_service.pb.h"
#include "quorum/v1/policy_service.pb.h"
#include "quorum/v1/qualification_service.pb.h"
#include "quorum/v1/webhook_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"
#include "tests/cli/cli_runner.h"
#include "tests/support/webhook_receiver.h"

namespace quorum::testing {
namespace {

namespace v1 = ::quorum::v1;

constexpr char kAsOf[] = "2026-12-01T00:00:00Z";
const std::string kData = QUORUM_CLI_DATA_DIR;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Parses --json output into M; fails the test when it does not parse
// (unknown fields included).
template <typename M>
M FromJson(const std::string& json) {
  M message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << M::descriptor()->full_name() << ": "
                           << status.message() << "\n"
                           << json;
  return message;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new DemoServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_GT(server_->port(), 0)
        << "quorumd did not start: " << server_->Log();
  }

  // quorum --server ... ARGS...
  static CliResult Quorum(std::vector<std::string> args,
                          const std::string& input = "") {
    args.insert(args.begin(), {"--server", server_->address()});
    return RunQuorum(args, input);
  }

  TempDir tmp_;
  static DemoServer* server_;
};
DemoServer* CliCommandsTest::server_ = nullptr;

// ----------------------------------------------------------------- exit codes

TEST_F(CliCommandsTest, NotFoundExitsOneWithTheCode) {
  CliResult r = Quorum({"review", "nobody"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("NOT_FOUND: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, "accounts/nobody")) << r.err;
}

TEST_F(CliCommandsTest, InvalidArgumentPrintsEveryFieldViolation) {
  CliResult r =
      Quorum({"lead", "submit", "--request-id", "bad-1", "--email", "nope"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.rfind("INVALID_ARGUMENT: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, "\n  lead.email: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "\n  lead.company: ")) << r.err;
}

TEST_F(CliCommandsTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"review"},
      {"--timeout", "0", "review", "x"},
      {"--timeout", "soon", "review", "x"},
      {"--as-of", "yesterday", "review", "x"},
      {"ready", "--route", "bogus"},
      {"ready", "--min-coverage", "lots"},
      {"policy", "validate", "/nonexistent/policy.textproto"},
      {"import", kData + "/clia_sample.csv"},  // No --mapping.
      {"import", "/nonexistent.csv", "--mapping", QUORUM_CLIA_MAPPING},
      {"import", kData + "/clia_sample.csv", "--mapping",
       kData + "/contacts.mapping"},
      {"graph", "x", "--format", "gif"},
      {"status", "cascade-valley-health", "--to",
       "researching"},  // No --reason.
      {"status", "cascade-valley-health", "--to", "sideways", "--reason", "x"},
      {"handoff", "feedback", "accounts/x/handoffs/y"},  // Neither verdict.
      {"policy", "suggest", "--folds", "many"},
      {"lead", "submit", "--request-id", "r", "--file", "/nonexistent.json"},
  };
  for (const auto& args : cases) {
    CliResult r = Quorum(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r;
    EXPECT_FALSE(r.err.empty()) << joined;
    EXPECT_EQ(r.out, "") << joined;
  }
}

TEST_F(CliCommandsTest, UnreachableServerExitsOne) {
  CliResult r =
      RunQuorum({"--server", "127.0.0.1:1", "--timeout", "2", "review", "x"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.rfind("UNAVAILABLE: ", 0), 0u) << r.err;
}

TEST_F(CliCommandsTest, ServerAndTokenFromTheEnvironment) {
  CliResult r =
      RunQuorum({"--as-of", kAsOf, "review", "cascade-valley-health"}, "",
                {{"QUORUM_SERVER", server_->address()},
                 {"QUORUM_TOKEN", "not-checked-yet"}});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(Contains(r.out, "SALES_DISCOVERY")) << r.out;
  // The last --server wins over the first (and over the environment).
  CliResult last =
      RunQuorum({"--server", "127.0.0.1:1", "--server", server_->address(),
                 "--token", "t", "review", "cascade-valley-health"});
  EXPECT_EQ(last.exit_code, 0) << last;
}

// --------------------------------------------------------------------- JSON

TEST_F(CliCommandsTest, JsonOutputParsesIntoTheRightMessages) {
  CliResult review =
      Quorum({"--json", "--as-of", kAsOf, "review", "cascade-valley-health"});
  ASSERT_EQ(review.exit_code, 0) << review;
  auto verdict = FromJson<v1::Verdict>(review.out);
  EXPECT_EQ(verdict.account(), "accounts/cascade-valley-health");
  EXPECT_EQ(verdict.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(verdict.as_of().seconds(), 1796083200);

  // Without --as-of the server judges as of its clock (as_of is not sent).
  CliResult now = Quorum({"--json", "review", "cascade-valley-health"});
  ASSERT_EQ(now.exit_code, 0) << now;
  EXPECT_GT(FromJson<v1::Verdict>(now.out).as_of().seconds(), 1700000000);
  CliResult ready_now = Quorum({"--json", "ready"});
  ASSERT_EQ(ready_now.exit_code, 0) << ready_now;
  EXPECT_GT(FromJson<v1::ListAccountReadinessResponse>(ready_now.out)
                .as_of()
                .seconds(),
            1700000000);

  CliResult ready =
      Quorum({"--json", "--as-of", kAsOf, "ready", "--country", "DE"});
  ASSERT_EQ(ready.exit_code, 0) << ready;
  auto listing = FromJson<v1::ListAccountReadinessResponse>(ready.out);
  ASSERT_GE(listing.accounts_size(), 1);
  EXPECT_EQ(listing.accounts(0).account(), "accounts/laborzentrum-isartal");

  CliResult graph = Quorum({"--json", "graph", "northfield-health"});
  ASSERT_EQ(graph.exit_code, 0) << graph;
  EXPECT_EQ(FromJson<v1::CommitteeMap>(graph.out).descendants_size(), 2);

  CliResult policy = Quorum({"--json", "policy", "show"});
  ASSERT_EQ(policy.exit_code, 0) << policy;
  EXPECT_EQ(FromJson<v1::PolicyRevision>(policy.out).revision(), 1);

  CliResult notes = Quorum({"--json", "notes", "list", "lakeshore-phl"});
  ASSERT_EQ(notes.exit_code, 0) << notes;
  FromJson<v1::ListNotesResponse>(notes.out);

  CliResult history = Quorum({"--json", "status", "history", "lakeshore-phl"});
  ASSERT_EQ(history.exit_code, 0) << history;
  FromJson<v1::ListStatusChangesResponse>(history.out);

  CliResult metrics = Quorum(
      {"--json", "metrics", "--from", "2026-01-01", "--to", "2027-01-01"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics;
  FromJson<v1::ProcessMetrics>(metrics.out);
}

// ------------------------------------------------------------------- graph

TEST_F(CliCommandsTest, GraphDotHasEveryStakeholderAndEdge) {
  CliResult json = Quorum({"--json", "graph", "northfield-health"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto map = FromJson<v1::CommitteeMap>(json.out);
  ASSERT_EQ(map.stakeholders_size(), 9);
  ASSERT_GE(map.relationships_size(), 9);

  CliResult dot = Quorum({"graph", "northfield-health"});
  ASSERT_EQ(dot.exit_code, 0) << dot;
  EXPECT_EQ(dot.out.rfind("digraph committee {", 0), 0u) << dot.out;
  for (const auto& s : map.stakeholders()) {
    EXPECT_TRUE(
        Contains(dot.out, "\"" + s.name() + "\" [label=\"" + s.display_name()))
        << s.name();
  }
  for (const auto& r : map.relationships()) {
    EXPECT_TRUE(
        Contains(dot.out, "\"" + r.source() + "\" -> \"" + r.target() + "\""))
        << r.name();
  }
  EXPECT_TRUE(
      Contains(dot.out, "subgraph \"cluster_accounts/northfield-riverside\""));

  const std::string file = tmp_.path() + "/northfield.dot";
  CliResult to_file = Quorum({"graph", "northfield-health", "--file", file});
  ASSERT_EQ(to_file.exit_code, 0) << to_file;
  EXPECT_EQ(ReadFile(file), dot.out);
}

TEST_F(CliCommandsTest, GraphRendersSvgAndPngThroughGraphviz) {
  if (system("command -v dot >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "Graphviz's dot is not installed";
  }
  CliResult svg = Quorum({"graph", "cascade-valley-health", "--format", "svg"});
  ASSERT_EQ(svg.exit_code, 0) << svg;
  EXPECT_TRUE(Contains(svg.out, "<svg")) << svg.out.substr(0, 200);
  EXPECT_TRUE(Contains(svg.out, "Megan Ortiz"));
  const std::string png = tmp_.path() + "/g.png";
  CliResult to_png = Quorum(
      {"graph", "cascade-valley-health", "--format", "png", "--file", png});
  ASSERT_EQ(to_png.exit_code, 0) << to_png;
  EXPECT_EQ(ReadFile(png).substr(0, 4), "\x89PNG");
}

// ------------------------------------------------------------------ import

// The import summary with the temporary rejects path replaced, for goldens.
std::string Portable(std::string text, const std::string& path) {
  for (size_t at = text.find(path); at != std::string::npos;
       at = text.find(path)) {
    text.replace(at, path.size(), "REJECTS.csv");
  }
  return text;
}

TEST_F(CliCommandsTest, CliaImportWritesRejectedRowsWithReasons) {
  const std::string rejects = tmp_.path() + "/clia.rejects.csv";
  CliResult r = Quorum({"import", kData + "/clia_sample.csv", "--mapping",
                        QUORUM_CLIA_MAPPING, "--rejects", rejects});
  EXPECT_EQ(r.exit_code, 1) << r;  // Rows were rejected.
  EXPECT_EQ(r.err, "");            // No progress bar without a TTY.
  ExpectGolden("import_clia.txt", Portable(r.out, rejects));
  ExpectGolden("import_clia.rejects.csv", ReadFile(rejects));

  // What landed, field by field.
  CliResult lab = Quorum({"--json", "graph", "clia-31d0123456"});
  ASSERT_EQ(lab.exit_code, 0) << lab;
  auto map = FromJson<v1::CommitteeMap>(lab.out);
  EXPECT_EQ(map.account().display_name(),
            "GARDEN STATE REFERENCE LABORATORY, LLC");
  EXPECT_EQ(map.account().country_code(), "US");
  EXPECT_EQ(map.account().subdivision_code(), "US-NJ");
  EXPECT_EQ(map.account().facility_type(), v1::FACILITY_TYPE_REFERENCE_LAB);
  EXPECT_EQ(map.account().annual_test_volume(), 1250000);
  EXPECT_EQ(map.account().accreditations_size(), 2);
  EXPECT_EQ(map.account().labels().at("source"), "cms-clia-pos");
  ASSERT_EQ(map.sites_size(), 1);
  EXPECT_EQ(map.sites(0).clia_number(), "31D0123456");
  CliResult quoted = Quorum({"--json", "graph", "clia-34d6666666"});
  ASSERT_EQ(quoted.exit_code, 0) << quoted;
  auto quoted_map = FromJson<v1::CommitteeMap>(quoted.out);
  EXPECT_EQ(quoted_map.account().display_name(), "THE \"QUOTED\" LAB, INC");
  EXPECT_EQ(quoted_map.account().annual_test_volume(), 1234567);
  // A terminated laboratory is skipped, not imported.
  EXPECT_EQ(Quorum({"review", "clia-33d4444444"}).exit_code, 1);

  // Again: nothing new; the same rows are rejected.
  CliResult again =
      Quorum({"--json", "import", kData + "/clia_sample.csv", "--mapping",
              QUORUM_CLIA_MAPPING, "--rejects", rejects});
  EXPECT_EQ(again.exit_code, 1) << again;
  auto counts = FromJson<v1::ImportRecordsResponse>(again.out);
  EXPECT_EQ(counts.created(), 0);
  // A row's records land together: row 8's account is rejected with its
  // site (ABORTED), not created the first time and "unchanged" now.
  EXPECT_EQ(counts.unchanged(), 8);
  EXPECT_EQ(counts.rejected(), 2);
  ExpectGolden("import_clia.rejects.csv", ReadFile(rejects));
}

TEST_F(CliCommandsTest, ImportWithAMappingOfStakeholders) {
  const std::string rejects = tmp_.path() + "/contacts.rejects.csv";
  CliResult r = Quorum({"import", kData + "/contacts.csv", "--mapping",
                        kData + "/contacts.mapping", "--rejects", rejects});
  EXPECT_EQ(r.exit_code, 1) << r;
  ExpectGolden("import_contacts.txt", Portable(r.out, rejects));
  ExpectGolden("import_contacts.rejects.csv", ReadFile(rejects));
  CliResult harbor = Quorum({"--json", "graph", "harbor-dx"});
  ASSERT_EQ(harbor.exit_code, 0) << harbor;
  auto map = FromJson<v1::CommitteeMap>(harbor.out);
  ASSERT_EQ(map.stakeholders_size(), 2);
  EXPECT_EQ(map.stakeholders(0).name(),
            "accounts/harbor-dx/stakeholders/nina-park");
  EXPECT_EQ(map.stakeholders(0).roles(0).source(), v1::ROLE_SOURCE_CONFIRMED);
  EXPECT_EQ(map.stakeholders(0).engagement(), v1::ENGAGEMENT_ENGAGED);

  // Nothing rejected: exit 0, and no stale rejects file is left behind.
  const std::string good = tmp_.path() + "/good.csv";
  WriteFile(
      good,
      "account_id,company,country,domain,contact,email,title,roles,engagement\n"
      "harbor-dx,Harbor Diagnostics,us,harbor-dx.example,Nina Park,"
      "nina.park@harbor-dx.example,Laboratory Director,"
      "LAB_DIRECTOR:confirmed,engaged\n");
  CliResult clean = Quorum({"import", good, "--mapping",
                            kData + "/contacts.mapping", "--rejects", rejects});
  EXPECT_EQ(clean.exit_code, 0) << clean;
  EXPECT_EQ(clean.out,
            "rows: 1 read, 1 imported, 0 rejected, 0 skipped\n"
            "records: 0 created, 0 updated, 2 unchanged, 0 rejected\n");
  EXPECT_FALSE(std::filesystem::exists(rejects));
}

TEST_F(CliCommandsTest, ImportDryRunPrintsRecordsAndSendsNothing) {
  const std::string csv = tmp_.path() + "/dry.csv";
  WriteFile(csv,
            "PRVDR_NUM,FAC_NAME,STATE_CD,GNRL_FAC_TYPE_CD,CRTFCT_TYPE_CD,"
            "FORM_116_TEST_VOL_CNT,PGM_TRMNTN_CD\n"
            "12D0000001,ALOHA LAB,HI,14,1,90000,00\n"
            "12D0000002,BAD CODE LAB,HI,77,1,90000,00\n");
  CliResult r = Quorum({"import", csv, "--mapping", QUORUM_CLIA_MAPPING,
                        "--dry-run", "--rejects", tmp_.path() + "/r.csv"});
  EXPECT_EQ(r.exit_code, 1) << r;  // The second row is rejected locally.
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  auto account = FromJson<v1::ImportRecordsRequest>(line);
  EXPECT_EQ(account.account().name(), "accounts/clia-12d0000001");
  EXPECT_EQ(account.account().subdivision_code(), "US-HI");
  std::getline(lines, line);
  EXPECT_EQ(FromJson<v1::ImportRecordsRequest>(line).site().clia_number(),
            "12D0000001");
  EXPECT_TRUE(Contains(
      r.out, "row 2: account.facility_type: GNRL_FAC_TYPE_CD code \"77\""))
      << r.out;
  EXPECT_EQ(Quorum({"review", "clia-12d0000001"}).exit_code, 1);  // Not sent.
}

// ----------------------------------------------------------------- signals

TEST_F(CliCommandsTest, SignalsSendCountsAndRetriesCountOnce) {
  const std::string file = tmp_.path() + "/signals.jsonl";
  WriteFile(
      file,
      R"({"parent": "accounts/lakeshore-phl", "signalId": "web-1", "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW", "occurTime": "2026-11-20T10:00:00Z"}})"
      "\n\n"
      R"({"parent": "accounts/lakeshore-phl", "signalId": "web-2", "signal": {"type": "SIGNAL_TYPE_WEBINAR_ATTENDED", "topic": "SIGNAL_TOPIC_VALIDATION", "occurTime": "2026-11-21T10:00:00Z"}})"
      "\n"
      R"({"parent": "accounts/nobody", "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW", "occurTime": "2026-11-20T10:00:00Z"}})"
      "\nnot json\n");
  CliResult first = Quorum({"signals", "send", file});
  EXPECT_EQ(first.exit_code, 1) << first;
  EXPECT_EQ(first.out.substr(0, first.out.find('\n')),
            "received 4, accepted 2, duplicates 0, rejected 2");
  EXPECT_TRUE(Contains(first.out, "  line 4: ")) << first.out;
  EXPECT_TRUE(
      Contains(first.out, "  line 5: not a quorum.v1.CreateSignalRequest"))
      << first.out;

  CliResult again = Quorum({"--json", "signals", "send", "-"}, ReadFile(file));
  EXPECT_EQ(again.exit_code, 1) << again;
  auto counts = FromJson<v1::StreamSignalsResponse>(again.out);
  EXPECT_EQ(counts.accepted(), 0);
  EXPECT_EQ(counts.duplicates(), 2);
  EXPECT_EQ(counts.rejected(), 2);

  WriteFile(
      file,
      R"({"parent": "accounts/lakeshore-phl", "signalId": "web-3", "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW", "occurTime": "2026-11-22T10:00:00Z"}})"
      "\n");
  EXPECT_EQ(Quorum({"signals", "send", file}).exit_code, 0);
}

// ------------------------------------------------------------------ policy

TEST_F(CliCommandsTest, PolicyShowValidateSimulatePublish) {
  CliResult show = Quorum({"policy", "show"});
  ASSERT_EQ(show.exit_code, 0) << show;
  EXPECT_EQ(show.out.rfind("# Policy revision 1 (active)", 0), 0u) << show.out;
  // The printed policy is text format (the header is comments): it validates.
  const std::string good = tmp_.path() + "/policy.textproto";
  WriteFile(good, show.out);
  CliResult valid = Quorum({"policy", "validate", good});
  EXPECT_EQ(valid.exit_code, 0) << valid;
  EXPECT_EQ(valid.out, "valid\n");

  std::string broken = show.out;
  broken.replace(broken.find("check_id: \"geography\""), 22,
                 "check_id: \"geografy\"");
  const std::string bad = tmp_.path() + "/bad.textproto";
  WriteFile(bad, broken);
  CliResult invalid = Quorum({"policy", "validate", bad});
  EXPECT_EQ(invalid.exit_code, 1) << invalid;
  EXPECT_TRUE(Contains(invalid.out, "invalid: 1 problem\n")) << invalid.out;
  EXPECT_TRUE(
      Contains(invalid.out, "check_id: \"geografy\" is not a fit check"))
      << invalid.out;

  CliResult refused =
      Quorum({"policy", "publish", bad, "--description", "typo"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_EQ(refused.err.rfind("INVALID_ARGUMENT: ", 0), 0u) << refused.err;
  EXPECT_TRUE(Contains(refused.err,
                       "\n  disqualify_rules[0].when.fit_check.check_id: "))
      << refused.err;

  CliResult simulate = Quorum({"--as-of", kAsOf, "policy", "simulate", good});
  EXPECT_EQ(simulate.exit_code, 0) << simulate;
  EXPECT_TRUE(
      Contains(simulate.out, "Candidate against active revision 1: 0 of "))
      << simulate.out;
  CliResult simulate_json =
      Quorum({"--json", "--as-of", kAsOf, "policy", "simulate", good});
  ASSERT_EQ(simulate_json.exit_code, 0) << simulate_json;
  EXPECT_EQ(FromJson<v1::SimulatePolicyResponse>(simulate_json.out).changed(),
            0);

  CliResult revisions = Quorum({"policy", "revisions"});
  EXPECT_EQ(revisions.exit_code, 0) << revisions;
  EXPECT_TRUE(Contains(revisions.out, "default diagnostics policy"))
      << revisions.out;
}

TEST_F(CliCommandsTest, PolicySuggestPrintsTheLearntCandidateAndWritesIt) {
  // Its own feedback history (the suite's other tests may add handoffs):
  // two leads handed off at once, one rejected, one accepted.
  for (const std::string id : {"suggest-a", "suggest-b"}) {
    CliResult lead = Quorum({"--json",
                             "lead",
                             "submit",
                             "--request-id",
                             id,
                             "--email",
                             "ops@" + id + ".example",
                             "--first-name",
                             "Sam",
                             "--last-name",
                             "Lee",
                             "--title",
                             "Laboratory Operations Manager",
                             "--source",
                             "demo_form",
                             "--company",
                             id,
                             "--country",
                             "US",
                             "--facility-type",
                             "hospital_lab",
                             "--signal",
                             "demo_request"});
    ASSERT_EQ(lead.exit_code, 0) << lead;
    const std::string account =
        FromJson<v1::SubmitLeadResponse>(lead.out).account();
    CliResult handoff =
        Quorum({"--json", "handoff", "create", account, "--actor", "alice",
                "--force", "--force-reason", "test history"});
    ASSERT_EQ(handoff.exit_code, 0) << handoff;
    const std::string name = FromJson<v1::Handoff>(handoff.out).name();
    CliResult feedback =
        id == "suggest-a"
            ? Quorum({"handoff", "feedback", name, "--reject", "too_early",
                      "--comment", "later", "--actor", "bob"})
            : Quorum(
                  {"handoff", "feedback", name, "--accept", "--actor", "bob"});
    ASSERT_EQ(feedback.exit_code, 0) << feedback;
  }

  const std::string out = tmp_.path() + "/candidate.textproto";
  CliResult suggest = Quorum({"policy", "suggest", "--folds", "2",
                              "--multipliers", "1", "2", "--out", out});
  ASSERT_EQ(suggest.exit_code, 0) << suggest;
  EXPECT_TRUE(Contains(suggest.out,
                       "handoffs with sales feedback, from "
                       "active revision 1\n(2-fold "
                       "cross-validation; multipliers 1, 2)\n"))
      << suggest.out;
  EXPECT_TRUE(Contains(suggest.out, "\nAccuracy (candidate: mean ± "))
      << suggest.out;
  EXPECT_TRUE(Contains(suggest.out, "\n  all  ")) << suggest.out;
  EXPECT_TRUE(Contains(suggest.out, "Candidate against active revision 1: "))
      << suggest.out;
  EXPECT_TRUE(Contains(suggest.out, "Candidate written to " + out))
      << suggest.out;
  // The file is a policy the other commands take.
  CliResult valid = Quorum({"policy", "validate", out});
  EXPECT_EQ(valid.exit_code, 0) << valid;
  EXPECT_EQ(valid.out, "valid\n");

  CliResult json = Quorum({"--json", "policy", "suggest", "--folds", "2"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto response = FromJson<v1::SuggestPolicyResponse>(json.out);
  EXPECT_GE(response.labelled_handoffs(), 2);
  EXPECT_EQ(response.folds(), 2);

  CliResult too_few = Quorum({"policy", "suggest", "--folds", "20"});
  EXPECT_EQ(too_few.exit_code, 1) << too_few;
  EXPECT_EQ(too_few.err.rfind("FAILED_PRECONDITION: ", 0), 0u) << too_few.err;
  CliResult bad = Quorum({"policy", "suggest", "--multipliers", "1", "0"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_EQ(bad.err.rfind("INVALID_ARGUMENT: ", 0), 0u) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "\n  multipliers[1]: ")) << bad.err;
}

// ---------------------------------------------------------------- workflow

// A lead that arrives now (the handoff judges as of now): a lab operations
// manager at a US hospital lab requests a demo — the worked example.
std::string SubmitWorkedExampleLead(
    const std::function<CliResult(std::vector<std::string>)>& quorum) {
  CliResult r = quorum({"--json",
                        "lead",
                        "submit",
                        "--request-id",
                        "journey-1",
                        "--email",
                        "Dana.Fox@Bayview-Hospital.example",
                        "--first-name",
                        "Dana",
                        "--last-name",
                        "Fox",
                        "--title",
                        "Laboratory Operations Manager",
                        "--company",
                        "Bayview Hospital",
                        "--country",
                        "US",
                        "--facility-type",
                        "hospital_lab",
                        "--source",
                        "demo_form",
                        "--signal",
                        "demo_request",
                        "--signal-topic",
                        "workflow"});
  EXPECT_EQ(r.exit_code, 0) << r;
  auto response = FromJson<v1::SubmitLeadResponse>(r.out);
  EXPECT_EQ(response.route(), v1::ROUTE_SALES_DISCOVERY) << r.out;
  return response.account();
}

TEST_F(CliCommandsTest, FromLeadToHandoffFeedback) {
  auto quorum = [](std::vector<std::string> args) { return Quorum(args); };
  const std::string account = SubmitWorkedExampleLead(quorum);
  ASSERT_EQ(account, "accounts/bayview-hospital");

  // Without a note or a decision owner the handoff is refused, item by item.
  CliResult refused =
      Quorum({"handoff", "create", account, "--actor", "alice"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_EQ(refused.err.rfind("FAILED_PRECONDITION: ", 0), 0u) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "\n  HANDOFF_INCOMPLETE ")) << refused.err;
  // Each item names its field once.
  EXPECT_TRUE(
      Contains(refused.err, "\n  HANDOFF_INCOMPLETE notes: at least 1 note(s)"))
      << refused.err;
  EXPECT_TRUE(Contains(refused.err,
                       "\n  HANDOFF_INCOMPLETE decision_owner_plan: no "
                       "confirmed decision owner"))
      << refused.err;

  CliResult note = Quorum({"notes", "add", account, "--learned",
                           "Dana wants fewer manual steps in microbiology",
                           "--next-step", "Discovery call", "--kind", "call",
                           "--stakeholder", "dana-fox", "--author", "alice"});
  ASSERT_EQ(note.exit_code, 0) << note;
  CliResult moved =
      Quorum({"status", account, "--to", "researching", "--reason",
              "Reviewed: fits, demo requested", "--actor", "alice"});
  ASSERT_EQ(moved.exit_code, 0) << moved;
  EXPECT_TRUE(Contains(moved.out, "NEW → RESEARCHING")) << moved.out;

  CliResult handoff =
      Quorum({"--json", "handoff", "create", account, "--actor", "alice",
              "--owner-plan", "Dana introduces the lab director"});
  ASSERT_EQ(handoff.exit_code, 0) << handoff;
  auto created = FromJson<v1::Handoff>(handoff.out);
  EXPECT_TRUE(created.complete());
  EXPECT_EQ(created.route(), v1::ROUTE_SALES_DISCOVERY);

  CliResult shown = Quorum({"handoff", "show", account});
  EXPECT_EQ(shown.exit_code, 0) << shown;
  EXPECT_TRUE(Contains(shown.out, created.name())) << shown.out;
  EXPECT_TRUE(Contains(shown.out, "Feedback   none yet")) << shown.out;

  CliResult feedback =
      Quorum({"handoff", "feedback", created.name(), "--reject", "too_early",
              "--comment", "No budget until Q3", "--actor", "bob"});
  ASSERT_EQ(feedback.exit_code, 0) << feedback;
  EXPECT_TRUE(
      Contains(feedback.out, "REJECTED (TOO_EARLY), account moved to NURTURE"))
      << feedback.out;

  CliResult history = Quorum({"--json", "status", "history", account});
  ASSERT_EQ(history.exit_code, 0) << history;
  auto changes = FromJson<v1::ListStatusChangesResponse>(history.out);
  ASSERT_EQ(changes.status_changes_size(), 3);
  EXPECT_EQ(changes.status_changes(0).to_status(),
            v1::LIFECYCLE_STATUS_NURTURE);

  CliResult review = Quorum({"review", account});
  ASSERT_EQ(review.exit_code, 0) << review;
  EXPECT_TRUE(Contains(review.out, "History  (latest 5)\n")) << review.out;
  EXPECT_TRUE(Contains(review.out, "HANDED_OFF → NURTURE  by bob"))
      << review.out;
  EXPECT_TRUE(Contains(review.out, "Dana wants fewer manual steps"))
      << review.out;
  EXPECT_TRUE(Contains(review.out, "  Status     NURTURE")) << review.out;

  // Not in the transition table, and a stale etag.
  CliResult back_to_new =
      Quorum({"status", account, "--to", "new", "--reason", "x"});
  EXPECT_EQ(back_to_new.exit_code, 1) << back_to_new;
  EXPECT_EQ(back_to_new.err.rfind("FAILED_PRECONDITION: ", 0), 0u)
      << back_to_new.err;
  CliResult stale = Quorum({"status", account, "--to", "qualified", "--reason",
                            "x", "--etag", "\"stale\""});
  EXPECT_EQ(stale.exit_code, 1) << stale;
  EXPECT_EQ(stale.err.rfind("ABORTED: ", 0), 0u) << stale.err;

  CliResult metrics = Quorum(
      {"--json", "metrics", "--from", "2000-01-01", "--to", "2100-01-01"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics;
  auto m = FromJson<v1::ProcessMetrics>(metrics.out);
  EXPECT_GE(m.handoffs(), 1);
  CliResult metrics_text =
      Quorum({"metrics", "--from", "2000-01-01", "--to", "2100-01-01"});
  EXPECT_EQ(metrics_text.exit_code, 0) << metrics_text;
  EXPECT_TRUE(Contains(metrics_text.out, "TOO_EARLY")) << metrics_text.out;
  // That handoff was for the account as a whole, not for a solution.
  CliResult middleware_metrics =
      Quorum({"--json", "metrics", "--from", "2000-01-01", "--to", "2100-01-01",
              "--solution", "lis-middleware"});
  ASSERT_EQ(middleware_metrics.exit_code, 0) << middleware_metrics;
  EXPECT_EQ(FromJson<v1::ProcessMetrics>(middleware_metrics.out).handoffs(), 0);
}

TEST_F(CliCommandsTest, AHandoffForASolutionNeedsThatSolutionsVerdict) {
  // The demo's Laborzentrum Isartal runs a LIS the middleware cannot
  // connect to.
  CliResult refused =
      Quorum({"handoff", "create", "laborzentrum-isartal", "--solution",
              "lis-middleware", "--actor", "alice"});
  EXPECT_EQ(refused.exit_code, 1) << refused;
  EXPECT_TRUE(
      Contains(refused.err, "(for lis-middleware) routes to ROUTE_DISQUALIFY"))
      << refused.err;
  CliResult unknown = Quorum({"handoff", "create", "laborzentrum-isartal",
                              "--solution", "reagents", "--actor", "alice"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown;
  EXPECT_TRUE(Contains(unknown.err, "solution: \"reagents\" is not a solution"))
      << unknown.err;
}

TEST_F(CliCommandsTest, WatchPrintsALinePerChangeUntilItsDeadline) {
  auto lead = [](const std::string& company) {
    std::string id;
    for (char c : company)
      id += c == ' ' ? '-' : static_cast<char>(std::tolower(c));
    return Quorum({"lead", "submit", "--request-id", "watch-" + id, "--email",
                   "jan.roth@" + id + ".example", "--title", "Laborleiter",
                   "--company", company + " GmbH", "--country", "DE",
                   "--signal", "pricing_inquiry"});
  };
  // Live: events of writes made while it watches. Three writes, spaced, so
  // that a slow start of the watch cannot miss them all.
  auto watch = std::async(std::launch::async, [] {
    return Quorum({"--timeout", "7", "watch", "--country", "DE"});
  });
  for (const char* company :
       {"Sonnenhang Labor", "Talblick Labor", "Seeufer Labor"}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(lead(company).exit_code, 0);
  }
  CliResult r = watch.get();
  EXPECT_EQ(r.exit_code, 0) << r;  // The deadline of --timeout ends it.
  EXPECT_TRUE(Contains(r.out, " seeufer-labor: (new) -> ")) << r;
  EXPECT_FALSE(Contains(r.out, "cascade-valley-health")) << r;  // Not DE.

  // Resumed: every event after a sequence number, written before the watch.
  CliResult resumed = Quorum(
      {"--timeout", "2", "watch", "--country", "DE", "--after-sequence", "1"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed;
  for (const char* id :
       {"sonnenhang-labor", "talblick-labor", "seeufer-labor"}) {
    EXPECT_TRUE(Contains(resumed.out, std::string(" ") + id + ": (new) -> "))
        << resumed;
  }
  CliResult json =
      Quorum({"--json", "--timeout", "2", "watch", "--after-sequence", "1"});
  std::istringstream lines(json.out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line)) << json;
  EXPECT_GT(FromJson<v1::ReadinessEvent>(line).sequence(), 1);
}

TEST_F(CliCommandsTest, ReadyAndWatchAnswerForASolution) {
  // The listing for the middleware: each account's verdict for it.
  CliResult ready = Quorum(
      {"--as-of", kAsOf, "ready", "--solution", "lis-middleware", "--all"});
  ASSERT_EQ(ready.exit_code, 0) << ready;
  EXPECT_TRUE(Contains(ready.out, "by readiness for lis-middleware")) << ready;
  CliResult json = Quorum(
      {"--json", "--as-of", kAsOf, "ready", "--solution", "lis-middleware"});
  ASSERT_EQ(json.exit_code, 0) << json;
  auto listing = FromJson<v1::ListAccountReadinessResponse>(json.out);
  ASSERT_GE(listing.accounts_size(), 1);
  for (const auto& a : listing.accounts()) {
    EXPECT_EQ(a.solution(), "lis-middleware");
  }
  CliResult csv = Quorum({"-o", "csv", "--as-of", kAsOf, "ready", "--solution",
                          "molecular-analyzer"});
  ASSERT_EQ(csv.exit_code, 0) << csv;
  EXPECT_TRUE(Contains(csv.out, ",\"solution\"")) << csv;
  EXPECT_TRUE(Contains(csv.out, ",\"molecular-analyzer\"")) << csv;

  // The feed: only the solution's events, each saying so.
  CliResult watch = Quorum({"--timeout", "2", "watch", "--from-start",
                            "--solution", "lis-middleware"});
  EXPECT_EQ(watch.exit_code, 0) << watch;
  std::istringstream lines(watch.out);
  std::string line;
  int events = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(Contains(line, " for lis-middleware: ")) << line;
    ++events;
  }
  EXPECT_GT(events, 0) << watch;

  // A solution the policy lacks is refused, naming the flag's field and
  // the solutions there are.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"ready", "--solution", "reagents"},
           {"--timeout", "2", "watch", "--solution", "reagents"}}) {
    CliResult bad = Quorum(args);
    EXPECT_NE(bad.exit_code, 0) << bad;
    EXPECT_TRUE(Contains(bad.err, "solution")) << bad;
    EXPECT_TRUE(Contains(bad.err, "lis-middleware")) << bad;
  }
}

// ------------------------------------------------------------------ colour

TEST_F(CliCommandsTest, WebhookCreateGetListResumeDelete) {
  WebhookReceiver receiver;
  CliResult created = Quorum({"--json", "webhook", "create", "--id", "cli-hook",
                              "--url", receiver.url(), "--secret", "cli-secret",
                              "--country", "de", "--start-sequence", "1"});
  ASSERT_EQ(created.exit_code, 0) << created;
  const auto webhook = FromJson<v1::Webhook>(created.out);
  EXPECT_EQ(webhook.name(), "webhooks/cli-hook");
  EXPECT_EQ(webhook.filter().country_code(), "DE");
  EXPECT_TRUE(webhook.secret().empty());
  EXPECT_FALSE(Contains(created.out, "cli-secret")) << created.out;
  // The demo data's German accounts are delivered from the feed's start.
  ASSERT_TRUE(
      receiver.WaitFor([](const auto& requests) { return !requests.empty(); }));
  EXPECT_TRUE(Contains(receiver.requests()[0].body, "\"countryCode\":\"DE\""));

  CliResult got = Quorum({"webhook", "get", "cli-hook"});
  EXPECT_EQ(got.exit_code, 0) << got;
  EXPECT_TRUE(Contains(got.out, "webhooks/cli-hook  ACTIVE")) << got.out;
  EXPECT_TRUE(Contains(got.out, "country=DE")) << got.out;
  CliResult listed = Quorum({"webhook", "list"});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_TRUE(Contains(listed.out, "webhooks/cli-hook")) << listed.out;
  CliResult resumed = Quorum({"webhook", "resume", "webhooks/cli-hook"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed;

  CliResult bad = Quorum(
      {"webhook", "create", "--url", "ftp://example.com/", "--secret", "s"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_TRUE(Contains(bad.err, "INVALID_ARGUMENT")) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "webhook.url")) << bad.err;
  CliResult no_secret =
      Quorum({"webhook", "create", "--url", "http://127.0.0.1:1/"});
  EXPECT_EQ(no_secret.exit_code, 2) << no_secret;

  CliResult deleted = Quorum({"webhook", "delete", "cli-hook"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_TRUE(Contains(deleted.out, "deleted webhooks/cli-hook"))
      << deleted.out;
  CliResult gone = Quorum({"webhook", "get", "cli-hook"});
  EXPECT_EQ(gone.exit_code, 1) << gone;
  EXPECT_TRUE(Contains(gone.err, "webhook get: NOT_FOUND: webhooks/cli-hook"))
      << gone.err;
}

TEST_F(CliCommandsTest, MoveTakesAPersonWithTheirSignalsToAnotherAccount) {
  auto lead = [&](const std::string& id, const std::string& email,
                  const std::string& company) {
    CliResult r =
        Quorum({"--json", "lead", "submit", "--request-id", id, "--email",
                email, "--first-name", "Ana", "--last-name", "Lindqvist",
                "--title", "Quality Manager", "--company", company, "--country",
                "SE", "--signal", "demo_request"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return FromJson<v1::SubmitLeadResponse>(r.out);
  };
  v1::SubmitLeadResponse from =
      lead("move-1", "ana@movefrom-lab.example", "Movefrom Lab");
  v1::SubmitLeadResponse to =
      lead("move-2", "sven@moveto-lab.example", "Moveto Lab");
  ASSERT_FALSE(from.stakeholder().empty());

  CliResult missing = Quorum({"move", from.stakeholder(), "--to", "nowhere"});
  EXPECT_EQ(missing.exit_code, 1) << missing;
  EXPECT_EQ(missing.err.rfind("NOT_FOUND: ", 0), 0u) << missing.err;
  EXPECT_EQ(Quorum({"move", from.stakeholder()}).exit_code, 2);

  CliResult moved = Quorum({"move", from.stakeholder(), "--to", to.account()});
  ASSERT_EQ(moved.exit_code, 0) << moved;
  const std::string id =
      from.stakeholder().substr(from.stakeholder().rfind('/') + 1);
  const std::string now_at = to.account() + "/stakeholders/" + id;
  EXPECT_TRUE(
      Contains(moved.out, "Moved " + from.stakeholder() + " to " + now_at))
      << moved.out;
  EXPECT_TRUE(Contains(moved.out, "signals that followed: 1")) << moved.out;

  // And back, as JSON.
  CliResult back = Quorum({"--json", "move", now_at, "--to", from.account()});
  ASSERT_EQ(back.exit_code, 0) << back;
  auto response = FromJson<v1::MoveStakeholderResponse>(back.out);
  EXPECT_EQ(response.stakeholder().name(), from.stakeholder());
  ASSERT_EQ(response.signals_size(), 1);
  EXPECT_EQ(response.signals(0).rfind(from.account() + "/signals/", 0), 0u);
}

TEST_F(CliCommandsTest, AFreeMailLeadWithoutACompanyIsQueuedThenPlaced) {
  CliResult queued =
      Quorum({"--json", "lead", "submit", "--request-id", "triage-cli-1",
              "--email", "kim.triage@gmail.com", "--first-name", "Kim",
              "--signal", "demo_request"});
  ASSERT_EQ(queued.exit_code, 0) << queued;
  auto submitted = FromJson<v1::SubmitLeadResponse>(queued.out);
  ASSERT_FALSE(submitted.unplaced_lead().empty()) << queued.out;

  CliResult listed = Quorum({"lead", "unplaced"});
  ASSERT_EQ(listed.exit_code, 0) << listed;
  const std::string id =
      submitted.unplaced_lead().substr(submitted.unplaced_lead().find('/') + 1);
  EXPECT_TRUE(Contains(listed.out, id)) << listed.out;

  CliResult target = Quorum(
      {"--json", "lead", "submit", "--request-id", "triage-cli-2", "--email",
       "ops@triage-lab.example", "--company", "Triage Lab", "--country", "US"});
  ASSERT_EQ(target.exit_code, 0) << target;
  auto account = FromJson<v1::SubmitLeadResponse>(target.out).account();

  CliResult bad = Quorum(
      {"lead", "place", submitted.unplaced_lead(), "--account", "nowhere"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  CliResult placed = Quorum({"--json", "lead", "place",
                             submitted.unplaced_lead(), "--account", account});
  ASSERT_EQ(placed.exit_code, 0) << placed;
  auto response = FromJson<v1::PlaceLeadResponse>(placed.out);
  EXPECT_EQ(response.intake().account(), account);
  EXPECT_FALSE(response.intake().stakeholder().empty());
  CliResult after = Quorum({"lead", "unplaced"});
  EXPECT_FALSE(Contains(after.out, id)) << after.out;
}

TEST_F(CliCommandsTest, ColourOnlyOnATerminalWithoutNoColor) {
  std::vector<std::string> args = {"--server", server_->address(),
                                   "--as-of",  kAsOf,
                                   "review",   "cascade-valley-health"};
  CliResult tty = RunQuorumOnTty(args);
  EXPECT_EQ(tty.exit_code, 0) << tty;
  EXPECT_TRUE(Contains(tty.out, "\033[1mCascade Valley Health\033[0m"))
      << tty.out;
  CliResult no_color = RunQuorumOnTty(args, {{"NO_COLOR", "1"}});
  EXPECT_EQ(no_color.exit_code, 0) << no_color;
  EXPECT_FALSE(Contains(no_color.out, "\033[")) << no_color.out;
  CliResult piped = RunQuorum(args);
  EXPECT_FALSE(Contains(piped.out, "\033["));
}

}  // namespace
}  // namespace quorum::testing
