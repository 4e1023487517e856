// Golden output of `quorum review` and `quorum ready` against quorumd with
// the demo data, judged as of a fixed time, without a TTY (so no colour).
// These tests only read: the server is shared by the whole suite.
// QUORUM_UPDATE_GOLDEN=1 rewrites tests/cli/golden/ after a deliberate change.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>

#include "tests/cli/cli_runner.h"

namespace quorum::testing {
namespace {

constexpr char kAsOf[] = "2026-12-01T00:00:00Z";

class CliGoldenTest : public ::testing::Test {
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

  // quorum --server ... --as-of kAsOf ARGS...
  static CliResult Quorum(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--server", server_->address(), "--as-of", kAsOf});
    return RunQuorum(args);
  }

  static DemoServer* server_;
};
DemoServer* CliGoldenTest::server_ = nullptr;

class CliReviewGoldenTest : public CliGoldenTest,
                            public ::testing::WithParamInterface<std::string> {
};

// Every demo account, each showing another side of the review: the worked
// example (sales discovery), technical pre-sales first, nurture with a
// blocker, a health system's tree, no committee, no sites.
TEST_P(CliReviewGoldenTest, MatchesGolden) {
  CliResult r = Quorum({"review", GetParam()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << "colour without a TTY";
  ExpectGolden("review_" + GetParam() + ".txt", r.out);
}

TEST_P(CliReviewGoldenTest, FitsEightyColumns) {
  CliResult r = Quorum({"review", GetParam()});
  ASSERT_EQ(r.exit_code, 0) << r;
  size_t start = 0;
  int line_number = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    std::string line = r.out.substr(start, end - start);
    ++line_number;
    size_t width = 0;  // Code points.
    for (char c : line) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    EXPECT_LE(width, 80u) << "line " << line_number << ": " << line;
    start = end + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(DemoAccounts, CliReviewGoldenTest,
                         ::testing::Values("cascade-valley-health",
                                           "laborzentrum-isartal",
                                           "pennine-valley-pathology",
                                           "northfield-health", "lakeshore-phl",
                                           "amstelland-ziekenhuis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param) name += c == '-' ? '_' : c;
                           return name;
                         });

TEST_F(CliGoldenTest, ReviewAcceptsTheFullResourceName) {
  CliResult short_name = Quorum({"review", "cascade-valley-health"});
  CliResult full_name = Quorum({"review", "accounts/cascade-valley-health"});
  ASSERT_EQ(full_name.exit_code, 0) << full_name;
  EXPECT_EQ(short_name.out, full_name.out);
}

// Laborzentrum Isartal for each of the default policy's solutions: the
// analyzer's committee and topics, and the middleware, which its LIS rules
// out.
TEST_F(CliGoldenTest, ReviewForASolutionShowsItsOwnVerdict) {
  for (const std::string solution : {"molecular-analyzer", "lis-middleware"}) {
    CliResult r =
        Quorum({"review", "laborzentrum-isartal", "--solution", solution});
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("Solution   " + solution), std::string::npos) << r.out;
    ExpectGolden("review_laborzentrum-isartal_" + solution + ".txt", r.out);
  }
  CliResult unknown =
      Quorum({"review", "laborzentrum-isartal", "--solution", "reagents"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown;
  EXPECT_NE(unknown.err.find("solution: \"reagents\" is not a solution of the "
                             "policy (molecular-analyzer, lis-middleware)"),
            std::string::npos)
      << unknown;
}

TEST_F(CliGoldenTest, ReadyListsEveryAccountByReadiness) {
  CliResult r = Quorum({"ready"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "");
  ExpectGolden("ready.txt", r.out);
}

TEST_F(CliGoldenTest, ReadyWithFilters) {
  CliResult us = Quorum({"ready", "--country", "us", "--missing", "quality"});
  ASSERT_EQ(us.exit_code, 0) << us;
  ExpectGolden("ready_us_missing_quality.txt", us.out);
  CliResult sales =
      Quorum({"ready", "--route", "sales_discovery,technical_presales",
              "--min-readiness", "80"});
  ASSERT_EQ(sales.exit_code, 0) << sales;
  ExpectGolden("ready_sales_routes_80.txt", sales.out);
}

TEST_F(CliGoldenTest, ReadyPagesCoverTheWholeListingOnce) {
  CliResult all = Quorum({"ready"});
  ASSERT_EQ(all.exit_code, 0) << all;
  CliResult first = Quorum({"ready", "--page-size", "3"});
  ASSERT_EQ(first.exit_code, 0) << first;
  const std::string marker = "More: --page-token ";
  size_t at = first.out.find(marker);
  ASSERT_NE(at, std::string::npos) << first.out;
  std::string token = first.out.substr(at + marker.size());
  token = token.substr(0, token.find('\n'));
  CliResult rest =
      Quorum({"ready", "--page-token", token, "--page-size", "100"});
  ASSERT_EQ(rest.exit_code, 0) << rest;
  EXPECT_EQ(rest.out.find(marker), std::string::npos);
  // The accounts of both pages are those of the whole listing, in order.
  auto accounts = [](const std::string& out) {
    std::vector<std::string> names;
    std::istringstream lines(out);
    std::string line;
    std::getline(lines, line);  // The header.
    while (std::getline(lines, line) && !line.empty()) {
      if (line.find("missing:") != std::string::npos) continue;
      names.push_back(line.substr(line.rfind(' ') + 1));
    }
    return names;
  };
  std::vector<std::string> paged = accounts(first.out);
  EXPECT_EQ(paged.size(), 3u) << first.out;
  for (const auto& name : accounts(rest.out)) paged.push_back(name);
  EXPECT_EQ(paged, accounts(all.out));
  EXPECT_EQ(paged.size(), 8u) << all.out;
}

}  // namespace
}  // namespace quorum::testing
