// The quorum binary's command-line conventions, against quorumd with the
// demo data: --version, shell completion, -o table|json|yaml|csv, "did you
// mean" for a mistyped subcommand, the global flags in subcommand help,
// `ready --all` with its total and CSV export, the pager and the terminal's
// width on a TTY (and fixed output when piped), and the small traps of a
// first hour: unreadable files say why, malformed names are reported as
// given, --min-coverage is a percentage, metrics dates include their day, a
// rejected CSV row creates nothing.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <sstream>

#include "quorum/v1/account_graph_service.pb.h"
#include "quorum/v1/qualification_service.pb.h"
#include "quorum/v1/workflow_service.pb.h"
#include "tests/cli/cli_runner.h"

namespace quorum::testing {
namespace {

namespace v1 = ::quorum::v1;

constexpr char kAsOf[] = "2026-12-01T00:00:00Z";
const std::string kData = QUORUM_CLI_DATA_DIR;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The widest line of `text` in columns, ANSI escapes and "\r" left out.
size_t WidestLine(const std::string& text) {
  size_t widest = 0;
  for (std::string line : Lines(text)) {
    std::string plain;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\033') {
        while (i < line.size() && line[i] != 'm') ++i;
        continue;
      }
      if (line[i] == '\r') continue;
      plain += line[i];
    }
    size_t columns = 0;
    for (unsigned char c : plain) columns += (c & 0xC0) != 0x80;
    widest = std::max(widest, columns);
  }
  return widest;
}

class CliConventionsTest : public ::testing::Test {
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

  static std::vector<std::string> With(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", server_->address()});
    return args;
  }
  static CliResult Quorum(std::vector<std::string> args,
                          const std::map<std::string, std::string>& env = {}) {
    return RunQuorum(With(std::move(args)), "", env);
  }

  TempDir tmp_;
  static DemoServer* server_;
};
DemoServer* CliConventionsTest::server_ = nullptr;

// ----------------------------------------------------------------- version

TEST_F(CliConventionsTest, VersionPrintsTheBuildVersionAndExitsZero) {
  CliResult r = RunQuorum({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("quorum ", 0), 0u) << r.out;
  // "quorum 0.1.0-g1234abc" or a tag's "quorum 0.2.0": a version, one line.
  ASSERT_GT(r.out.size(), 8u);
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(r.out[7]))) << r.out;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
}

// -------------------------------------------------------------- completion

TEST_F(CliConventionsTest, BashCompletionCompletesSubcommandsFlagsAndValues) {
  CliResult script = RunQuorum({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0) << script;
  const std::string path = tmp_.path() + "/quorum.bash";
  WriteFile(path, script.out);
  // Completion as bash runs it: COMP_WORDS and COMP_CWORD, then _quorum.
  auto complete = [&](const std::string& words) {
    const std::string command =
        "bash -c 'source " + path + " && COMP_WORDS=(" + words +
        ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _quorum && "
        "printf \"%s\\n\" \"${COMPREPLY[@]}\"' 2>&1";
    std::string out;
    if (FILE* pipe = popen(command.c_str(), "r")) {
      char buffer[4096];
      size_t n;
      while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        out.append(buffer, n);
      }
      pclose(pipe);
    }
    return Lines(out);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(complete("quorum rev"), V{"review"});
  EXPECT_EQ(complete("quorum handoff cr"), V{"create"});
  // Subcommands first; flags once a "-" is typed.
  EXPECT_EQ(complete("quorum lead \"\""),
            (V{"submit", "unplaced", "place", "delete"}))
      << script.out;
  EXPECT_EQ(complete("quorum lead submit --req"), V{"--request-id"});
  EXPECT_EQ(complete("quorum -o y"), V{"yaml"});
  EXPECT_EQ(complete("quorum ready --al"), V{"--all"});
  // Global flags after a subcommand, too.
  EXPECT_EQ(complete("quorum review --no-p"), V{"--no-pager"});

  CliResult zsh = RunQuorum({"completion", "zsh"});
  EXPECT_EQ(zsh.exit_code, 0) << zsh;
  EXPECT_TRUE(Contains(zsh.out, "bashcompinit")) << zsh.out;
  EXPECT_EQ(RunQuorum({"completion", "fish"}).exit_code, 2);
}

// ------------------------------------------------------- typos and --help

TEST_F(CliConventionsTest, AMistypedSubcommandSuggestsTheNearest) {
  CliResult r = RunQuorum({"revew", "cascade-valley-health"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Contains(r.err, "unknown command \"revew\" for \"quorum\""))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "Did you mean this?\n\treview\n")) << r.err;
  EXPECT_FALSE(Contains(r.err, "A subcommand is required")) << r.err;

  // Nested, and after global flags that take a value.
  CliResult nested =
      RunQuorum({"--server", "127.0.0.1:1", "handoff", "creat", "x"});
  EXPECT_EQ(nested.exit_code, 2) << nested;
  EXPECT_TRUE(Contains(nested.err,
                       "unknown command \"creat\" for \"quorum "
                       "handoff\""))
      << nested.err;
  EXPECT_TRUE(Contains(nested.err, "\tcreate\n")) << nested.err;

  // After a flag that takes no value.
  CliResult after_flag = RunQuorum({"--json", "redy"});
  EXPECT_EQ(after_flag.exit_code, 2) << after_flag;
  EXPECT_TRUE(Contains(after_flag.err, "\tready\n")) << after_flag.err;

  // Nothing near: the list of commands.
  CliResult far = RunQuorum({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2) << far;
  EXPECT_TRUE(Contains(far.err, "Available commands: ")) << far.err;
  EXPECT_TRUE(Contains(far.err, " review")) << far.err;
}

TEST_F(CliConventionsTest, SubcommandHelpShowsTheGlobalFlags) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"review", "--help"}, {"handoff", "create", "--help"}}) {
    CliResult r = RunQuorum(args);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_TRUE(Contains(r.out, "Global flags")) << r.out;
    for (const char* flag :
         {"--server", "--output", "--as-of", "--timeout", "--width"}) {
      EXPECT_TRUE(Contains(r.out, flag)) << flag << "\n" << r.out;
    }
  }
}

// ---------------------------------------------------------- output formats

TEST_F(CliConventionsTest, OutputFormatsTableJsonYamlCsv) {
  const std::vector<std::string> ready = {"--as-of", kAsOf, "ready"};
  auto with = [&](std::vector<std::string> front) {
    front.insert(front.end(), ready.begin(), ready.end());
    return Quorum(front);
  };
  CliResult table = with({"-o", "table"});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_EQ(table.out, with({}).out);

  CliResult json = with({"-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json;
  EXPECT_EQ(json.out, with({"--json"}).out);
  v1::ListAccountReadinessResponse listing;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json.out, &listing).ok());
  ASSERT_EQ(listing.accounts_size(), 8);

  CliResult yaml = with({"--output", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml;
  EXPECT_EQ(yaml.out.rfind("accounts:\n- account: \"accounts/", 0), 0u)
      << yaml.out;
  EXPECT_TRUE(Contains(yaml.out, "\npolicyRevision: \"1\"\n")) << yaml.out;
  EXPECT_TRUE(Contains(yaml.out, "\nasOf: \"2026-12-01T00:00:00Z\"\n"))
      << yaml.out;
  for (const auto& a : listing.accounts()) {
    EXPECT_TRUE(Contains(yaml.out, "- account: \"" + a.account() + "\"\n"))
        << a.account();
  }

  CliResult csv = with({"-o", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv;
  std::vector<std::string> rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), 9u) << csv.out;  // A header and 8 accounts.
  EXPECT_EQ(rows[0],
            "\"account\",\"display_name\",\"readiness\",\"route\","
            "\"coverage_percent\",\"status\",\"country_code\",\"owner\","
            "\"stage\",\"missing_requirements\",\"as_of\","
            "\"policy_revision\",\"solution\"\r");
  const auto& top = listing.accounts(0);
  EXPECT_EQ(rows[1].rfind("\"" + top.account() + "\",\"" + top.display_name() +
                              "\",\"" + std::to_string(top.readiness()) + "\",",
                          0),
            0u)
      << rows[1];

  // CSV is for listings; refused before anything is sent.
  CliResult not_a_listing = Quorum({"-o", "csv", "review", "x"});
  EXPECT_EQ(not_a_listing.exit_code, 2) << not_a_listing;
  EXPECT_TRUE(Contains(not_a_listing.err, "-o csv is for listings"))
      << not_a_listing.err;
  EXPECT_EQ(Quorum({"-o", "xml", "ready"}).exit_code, 2);
  EXPECT_EQ(Quorum({"--json", "-o", "yaml", "ready"}).exit_code, 2);

  // YAML of a single message, e.g. a verdict.
  CliResult verdict = Quorum(
      {"-o", "yaml", "--as-of", kAsOf, "review", "cascade-valley-health"});
  ASSERT_EQ(verdict.exit_code, 0) << verdict;
  EXPECT_TRUE(Contains(verdict.out, "\nroute: \"ROUTE_SALES_DISCOVERY\"\n"))
      << verdict.out;
  EXPECT_TRUE(Contains(verdict.out, "\nreadiness: 78\n")) << verdict.out;
}

// ------------------------------------------------------------ ready --all

TEST_F(CliConventionsTest, ReadyAllFetchesEveryPageAndTellsTheTotal) {
  CliResult page = Quorum({"--as-of", kAsOf, "ready", "--page-size", "3"});
  ASSERT_EQ(page.exit_code, 0) << page;
  EXPECT_TRUE(Contains(page.out, "\n3 accounts on this page, by readiness"))
      << page.out;
  EXPECT_TRUE(Contains(page.out, "(--all lists every page, and the total)"))
      << page.out;

  CliResult all =
      Quorum({"--as-of", kAsOf, "ready", "--page-size", "3", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all;
  EXPECT_TRUE(Contains(all.out, "\n8 accounts in total, by readiness"))
      << all.out;
  EXPECT_FALSE(Contains(all.out, "More: --page-token")) << all.out;
  // The same accounts in the same order as one big page.
  CliResult one = Quorum({"--as-of", kAsOf, "ready"});
  auto table_part = [](const std::string& out) {
    return out.substr(0, out.find("\n\n"));
  };
  EXPECT_EQ(table_part(all.out), table_part(one.out));

  CliResult csv = Quorum(
      {"-o", "csv", "--as-of", kAsOf, "ready", "--page-size", "2", "--all"});
  ASSERT_EQ(csv.exit_code, 0) << csv;
  EXPECT_EQ(Lines(csv.out).size(), 9u) << csv.out;
}

// ------------------------------------------------------- pager and width

TEST_F(CliConventionsTest, LongReviewsGoThroughThePagerOnATerminal) {
  const std::vector<std::string> args =
      With({"--as-of", kAsOf, "review", "northfield-health"});
  // A pager that marks every line it shows.
  const std::map<std::string, std::string> paged_env = {
      {"PAGER", "sed s/^/paged:/"}, {"LINES", "20"}, {"NO_COLOR", "1"}};
  CliResult paged = RunQuorumOnTty(args, paged_env);
  ASSERT_EQ(paged.exit_code, 0) << paged;
  EXPECT_TRUE(Contains(paged.out, "paged:Northfield Health System"))
      << paged.out.substr(0, 400);

  // QUORUM_PAGER wins over PAGER; "cat" or --no-pager mean none.
  auto env = paged_env;
  env["QUORUM_PAGER"] = "cat";
  CliResult cat = RunQuorumOnTty(args, env);
  EXPECT_FALSE(Contains(cat.out, "paged:")) << cat.out.substr(0, 400);
  std::vector<std::string> no_pager = args;
  no_pager.insert(no_pager.begin(), "--no-pager");
  EXPECT_FALSE(Contains(RunQuorumOnTty(no_pager, paged_env).out, "paged:"));
  // A review that fits the terminal is printed as it is.
  auto tall = paged_env;
  tall["LINES"] = "1000";
  EXPECT_FALSE(Contains(RunQuorumOnTty(args, tall).out, "paged:"));
  // Not a terminal: never paged.
  CliResult piped = RunQuorum(args, "", paged_env);
  ASSERT_EQ(piped.exit_code, 0) << piped;
  EXPECT_FALSE(Contains(piped.out, "paged:"));
}

TEST_F(CliConventionsTest, WidthFollowsTheTerminalAndIsFixedWhenPiped) {
  const std::vector<std::string> args =
      With({"--as-of", kAsOf, "review", "cascade-valley-health"});
  const std::string rule120(120, '-');
  const std::string rule80(80, '-');
  // On a terminal: $COLUMNS (the pseudo-terminal of the test has no size).
  CliResult wide =
      RunQuorumOnTty(args, {{"COLUMNS", "120"}, {"NO_COLOR", "1"}});
  ASSERT_EQ(wide.exit_code, 0) << wide;
  EXPECT_TRUE(Contains(wide.out, "\n" + rule120 + "\r\n")) << wide.out;
  EXPECT_LE(WidestLine(wide.out), 120u);
  EXPECT_GT(WidestLine(wide.out), 80u) << wide.out;
  // Piped: 80 columns whatever COLUMNS says, so output is deterministic.
  CliResult piped = RunQuorum(args, "", {{"COLUMNS", "120"}});
  ASSERT_EQ(piped.exit_code, 0) << piped;
  EXPECT_TRUE(Contains(piped.out, "\n" + rule80 + "\n")) << piped.out;
  EXPECT_LE(WidestLine(piped.out), 80u);
  // --width (or QUORUM_WIDTH) sets it anywhere.
  std::vector<std::string> hundred = args;
  hundred.insert(hundred.begin(), {"--width", "100"});
  CliResult flag = RunQuorum(hundred);
  ASSERT_EQ(flag.exit_code, 0) << flag;
  EXPECT_TRUE(Contains(flag.out, "\n" + std::string(100, '-') + "\n"));
  EXPECT_LE(WidestLine(flag.out), 100u) << flag.out;
  EXPECT_GT(WidestLine(flag.out), 80u) << flag.out;
  CliResult env = RunQuorum(args, "", {{"QUORUM_WIDTH", "100"}});
  EXPECT_EQ(env.out, flag.out);
  EXPECT_EQ(Quorum({"--width", "5", "review", "x"}).exit_code, 2);
}

// ------------------------------------------------------------------ graph

TEST_F(CliConventionsTest, GraphDrawsEachMissingRoleAndALegend) {
  CliResult r = Quorum({"--as-of", kAsOf, "graph", "cascade-valley-health"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "");
  // Three requirements are missing: three dashed boxes, each saying what.
  for (const char* id : {"lab-leadership", "quality", "informatics"}) {
    const std::string node = std::string("\"missing#") + id +
                             "\" [label=\"missing: " + id + "\\nneeds ";
    EXPECT_TRUE(Contains(r.out, node)) << id << "\n" << r.out;
  }
  size_t boxes = 0;
  for (size_t at = r.out.find("[label=\"missing: "); at != std::string::npos;
       at = r.out.find("[label=\"missing: ", at + 1)) {
    ++boxes;
  }
  EXPECT_EQ(boxes, 3u) << r.out;
  EXPECT_TRUE(Contains(r.out, "style=\"dashed,rounded\"")) << r.out;
  // Whom to ask, from the introduction path.
  EXPECT_TRUE(Contains(r.out,
                       "\"accounts/cascade-valley-health/stakeholders/"
                       "megan-ortiz\" -> \"missing#lab-leadership\" "
                       "[label=\"ask\""))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "subgraph cluster_legend {")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"legend#missing\" [label=\"missing role\""));

  // A committee with every requirement met has no missing box.
  CliResult full = Quorum({"--as-of", kAsOf, "graph", "northfield-health"});
  ASSERT_EQ(full.exit_code, 0) << full;
  EXPECT_FALSE(Contains(full.out, "\"missing#")) << full.out;
  EXPECT_TRUE(Contains(full.out, "subgraph cluster_legend {"));

  // Graphviz accepts it.
  if (system("command -v dot >/dev/null 2>&1") == 0) {
    CliResult svg = Quorum({"--as-of", kAsOf, "graph", "cascade-valley-health",
                            "--format", "svg"});
    ASSERT_EQ(svg.exit_code, 0) << svg;
    EXPECT_TRUE(Contains(svg.out, "missing: lab&#45;leadership")) << svg.out;
  }
}

// ------------------------------------------------------------- the traps

TEST_F(CliConventionsTest, AnUnreadableFileSaysWhy) {
  CliResult missing = Quorum({"signals", "send", "/nonexistent/signals.jsonl"});
  EXPECT_EQ(missing.exit_code, 2) << missing;
  EXPECT_EQ(missing.err,
            "quorum: cannot read /nonexistent/signals.jsonl: No such file or "
            "directory\n");
  CliResult directory = Quorum({"signals", "send", tmp_.path()});
  EXPECT_EQ(directory.exit_code, 2) << directory;
  EXPECT_TRUE(Contains(directory.err, ": Is a directory\n")) << directory.err;
}

TEST_F(CliConventionsTest, AMalformedAccountNameIsReportedAsGiven) {
  CliResult r = Quorum({"review", "Accounts/BAD"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.rfind("INVALID_ARGUMENT: ", 0), 0u) << r.err;
  EXPECT_TRUE(Contains(r.err, "Accounts/BAD")) << r.err;
  EXPECT_FALSE(Contains(r.err, "accounts/Accounts")) << r.err;
}

TEST_F(CliConventionsTest, MinCoverageIsAPercentage) {
  auto accounts = [&](const std::string& coverage) {
    CliResult r = Quorum(
        {"-o", "json", "--as-of", kAsOf, "ready", "--min-coverage", coverage});
    v1::ListAccountReadinessResponse listing;
    EXPECT_EQ(r.exit_code, 0) << coverage << "\n" << r;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.out, &listing).ok());
    std::vector<std::string> names;
    for (const auto& a : listing.accounts()) {
      EXPECT_GE(a.coverage() + 1e-9, std::stod(coverage) / 100) << coverage;
      names.push_back(a.account());
    }
    return names;
  };
  // 1 and 2 are 1% and 2%: close, not 100% and 2%.
  EXPECT_EQ(accounts("1"), accounts("2"));
  EXPECT_EQ(accounts("50"), accounts("50%"));
  EXPECT_LT(accounts("100").size(), accounts("50").size());
  EXPECT_LT(accounts("50").size(), accounts("0").size());
  // A fraction is refused as ambiguous, naming what to write.
  CliResult fraction = Quorum({"ready", "--min-coverage", "0.5"});
  EXPECT_EQ(fraction.exit_code, 2) << fraction;
  EXPECT_TRUE(Contains(fraction.err, "write 50 for 50%")) << fraction.err;
  EXPECT_EQ(Quorum({"ready", "--min-coverage", "150"}).exit_code, 2);
  EXPECT_EQ(Quorum({"ready", "--min-coverage", "-5%"}).exit_code, 2);
}

TEST_F(CliConventionsTest, MetricsDatesIncludeTheirDayAndTheWindowDefaults) {
  // A status change now, so that today's window has something in it.
  CliResult moved =
      Quorum({"status", "lakeshore-phl", "--to", "researching", "--reason",
              "metrics window test", "--actor", "alice"});
  ASSERT_EQ(moved.exit_code, 0) << moved;
  std::string today = moved.out;  // "... by alice at 2026-12-01T..."
  size_t at = today.find(" at ");
  ASSERT_NE(at, std::string::npos) << today;
  today = today.substr(at + 4, 10);

  auto metrics = [&](std::vector<std::string> window) {
    window.insert(window.begin(), {"-o", "json", "metrics"});
    CliResult r = Quorum(window);
    EXPECT_EQ(r.exit_code, 0) << r;
    v1::ProcessMetrics m;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &m).ok())
        << r.out;
    return m;
  };
  v1::ProcessMetrics through_today = metrics({"--from", today, "--to", today});
  EXPECT_EQ(
      through_today.end_time().seconds() - through_today.start_time().seconds(),
      86400);
  EXPECT_GT(through_today.accounts_created(), 0) << through_today.DebugString();
  v1::ProcessMetrics defaults = metrics({});
  EXPECT_EQ(defaults.end_time().seconds() - defaults.start_time().seconds(),
            30 * 86400);
  EXPECT_GT(defaults.accounts_created(), 0);
  // A time stays exclusive: a window up to today's midnight ends there.
  v1::ProcessMetrics until_midnight =
      metrics({"--from", "2026-01-01", "--to", today + "T00:00:00Z"});
  EXPECT_EQ(until_midnight.end_time().seconds(),
            through_today.start_time().seconds());
  // A window that ends before it starts is refused.
  CliResult backwards =
      Quorum({"metrics", "--from", today, "--to", "2026-01-01"});
  EXPECT_EQ(backwards.exit_code, 2) << backwards;
}

TEST_F(CliConventionsTest, HandoffFeedbackOnAnAccountNeedsAHandoff) {
  // The latest handoff of an account (the README's tour runs the good
  // path); an account without one is told so, and nothing is sent.
  CliResult r = Quorum({"handoff", "feedback", "lakeshore-phl", "--accept"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.err,
            "quorum: accounts/lakeshore-phl has no handoff to give "
            "feedback on\n");
}

TEST_F(CliConventionsTest, ARejectedCsvRowCreatesNothing) {
  // Row 8 of the CLIA sample has a bad CLIA number: its site is refused,
  // and its account must not stay behind.
  CliResult r =
      Quorum({"import", kData + "/clia_sample.csv", "--mapping",
              QUORUM_CLIA_MAPPING, "--rejects", tmp_.path() + "/rejects.csv"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(Contains(r.out, "row 8: ")) << r.out;
  CliResult account = Quorum({"-o", "json", "review", "clia-99x555"});
  EXPECT_EQ(account.exit_code, 1) << account;
  EXPECT_EQ(account.err.rfind("NOT_FOUND: ", 0), 0u) << account.err;
}

}  // namespace
}  // namespace quorum::testing
