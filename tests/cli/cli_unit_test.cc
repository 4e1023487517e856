// Unit tests of the quorum CLI's pure parts: text layout, the CSV mapping,
// error formatting, enum and time parsing, DOT output.
#include <gtest/gtest.h>

#include "clients/quorum/cli.h"
#include "clients/quorum/dot.h"
#include "clients/quorum/errors.h"
#include "clients/quorum/mapping.h"
#include "clients/quorum/output.h"
#include "clients/quorum/render.h"
#include "clients/quorum/text.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace quorum::cli {
namespace {

TEST(LeadResponse, EachRoleSaysItsSourceAndWhatItRestsOn) {
  quorum::v1::SubmitLeadResponse response;
  response.set_account("accounts/nordlicht-labor");
  auto* inferred = response.add_inferred_roles();
  inferred->set_role(quorum::v1::COMMITTEE_ROLE_QUALITY);
  inferred->set_source(quorum::v1::ROLE_SOURCE_INFERRED);
  inferred->set_basis("quality");
  auto* crm = response.add_inferred_roles();
  crm->set_role(quorum::v1::COMMITTEE_ROLE_PROCUREMENT);
  crm->set_source(quorum::v1::ROLE_SOURCE_CRM);
  crm->set_basis("Purchasing Lead");
  auto* bare = response.add_inferred_roles();
  bare->set_role(quorum::v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  bare->set_source(quorum::v1::ROLE_SOURCE_INFERRED);
  const std::string out = RenderLeadResponse(response, Style(false));
  EXPECT_NE(out.find("Roles        QUALITY (inferred: title rule quality), "
                     "PROCUREMENT (CRM: Purchasing Lead), LAB_DIRECTOR "
                     "(inferred)\n"),
            std::string::npos)
      << out;
}

TEST(Text, DisplayWidthCountsCodePointsAndSkipsEscapes) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("Ärztlicher"), 10u);
  EXPECT_EQ(DisplayWidth("→"), 1u);
  EXPECT_EQ(DisplayWidth("\033[32mPASS\033[0m"), 4u);
}

TEST(Text, TruncateCutsOnCodePoints) {
  EXPECT_EQ(Truncate("Qualitätsmanagement", 8), "Qualitä…");
  EXPECT_EQ(Truncate("short", 8), "short");
}

TEST(Text, WrapKeepsWordsAndCutsLongOnes) {
  EXPECT_EQ(Wrap("one two three four", 9),
            (std::vector<std::string>{"one two", "three", "four"}));
  EXPECT_EQ(Wrap("abcdefghij", 4),
            (std::vector<std::string>{"abcd", "efgh", "ij"}));
  EXPECT_EQ(Wrap("", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(Wrap("a\nb", 10), (std::vector<std::string>{"a", "b"}));
}

TEST(Text, EveryLineOfAParagraphFits80Columns) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
  for (const auto& line : Wrap(Paragraph(text, "  - ", "    "), 1000)) {
    EXPECT_LE(DisplayWidth(line), kDefaultScreenWidth) << line;
  }
}

TEST(Text, TableAlignsTruncatesAndWrapsTheLastColumn) {
  Table table({{"NAME", 6}, {"N", 3, true}, {"TEXT", 40}});
  table.AddRow({"abcdefghij", "7", std::string(100, 'x')}, "a note");
  std::string out = table.Render(Style(false), "");
  EXPECT_EQ(out.substr(0, out.find('\n')), "NAME    N  TEXT");
  EXPECT_NE(out.find("abcde…  7  xxx"), std::string::npos) << out;
  EXPECT_NE(out.find("\n        a note\n"), std::string::npos) << out;
  for (const auto& line : Wrap(out, 1000)) {
    EXPECT_LE(DisplayWidth(line), kDefaultScreenWidth) << line;
  }
}

TEST(Text, StyleIsPlainWithoutColor) {
  EXPECT_EQ(Style(false).Red("x"), "x");
  EXPECT_EQ(Style(true).Red("x"), "\033[31mx\033[0m");
}

TEST(Output, EnumShortNames) {
  EXPECT_EQ(Short(quorum::v1::ROUTE_SALES_DISCOVERY), "SALES_DISCOVERY");
  EXPECT_EQ(Short(quorum::v1::ROUTE_UNSPECIFIED), "-");
  EXPECT_EQ(Number(40), "40");
  EXPECT_EQ(Number(2.5), "2.5");
  EXPECT_EQ(Percent(0.25), "25%");
}

TEST(Cli, ParseEnumTakesShortOrFullNamesInAnyCase) {
  EXPECT_EQ(
      ParseEnum("--route", "sales-discovery", quorum::v1::Route_descriptor()),
      quorum::v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(
      ParseEnum("--route", "ROUTE_NURTURE", quorum::v1::Route_descriptor()),
      quorum::v1::ROUTE_NURTURE);
  try {
    ParseEnum("--route", "bogus", quorum::v1::Route_descriptor());
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("SALES_DISCOVERY"), std::string::npos);
  }
  EXPECT_THROW(
      ParseEnum("--route", "unspecified", quorum::v1::Route_descriptor()),
      UsageError);
}

TEST(Cli, ParseTimeTakesRfc3339OrADate) {
  EXPECT_EQ(ParseTime("--as-of", "2026-12-01T00:00:00Z").seconds(), 1796083200);
  EXPECT_EQ(ParseTime("--as-of", "2026-12-01").seconds(), 1796083200);
  EXPECT_THROW(ParseTime("--as-of", "yesterday"), UsageError);
  EXPECT_EQ(AccountName("x"), "accounts/x");
  EXPECT_EQ(AccountName("accounts/x"), "accounts/x");
}

TEST(Errors, PrintsCodeMessageAndEveryViolation) {
  google::rpc::Status details;
  details.set_code(3);
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("lead.email");
  v->set_description("is not a usable e-mail address");
  details.add_details()->PackFrom(bad);
  google::rpc::PreconditionFailure failure;
  auto* p = failure.add_violations();
  p->set_type("CYCLE");
  p->set_subject("accounts/a");
  p->set_description("accounts/a -> accounts/b -> accounts/a");
  details.add_details()->PackFrom(failure);
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "invalid request",
                      details.SerializeAsString());
  EXPECT_EQ(FormatRpcError(status),
            "INVALID_ARGUMENT: invalid request\n"
            "  lead.email: is not a usable e-mail address\n"
            "  CYCLE accounts/a: accounts/a -> accounts/b -> accounts/a\n");
  EXPECT_EQ(FormatRpcError(grpc::Status(grpc::StatusCode::NOT_FOUND, "gone")),
            "NOT_FOUND: gone\n");
}

// ------------------------------------------------------------------ mapping

const char* kMapping = R"(
# A small mapping.
[filter]
ACTIVE = yes, y

[account]
name = accounts/{ID|slug}
display_name = {NAME}
country_code = {COUNTRY|upper}
facility_type = {TYPE|map:types}
annual_test_volume = {VOLUME}
testing_scopes = {SCOPES|lower}
labels = source=test

[stakeholder]
name = accounts/{ID|slug}/stakeholders/{PERSON|slug}
display_name = {PERSON}
roles = {ROLES}
do_not_contact = {DNC}

[map types]
H = HOSPITAL_LAB
R = reference-lab
)";

const std::vector<std::string> kHeader = {
    "ID",     "Name",   "COUNTRY", "TYPE", "VOLUME",
    "SCOPES", "PERSON", "ROLES",   "DNC",  "ACTIVE"};

TEST(Mapping, ConvertsARowIntoRecords) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  mapping.Bind(kHeader);
  auto row = mapping.Convert({"Lab 1", "Lab One", "de", "R", "1,200",
                              "Molecular; PCR", "Anna Weber",
                              "QUALITY:confirmed; LAB_DIRECTOR", "no", "yes"});
  ASSERT_EQ(row.error, "");
  ASSERT_EQ(row.records.size(), 2u);
  const auto& a = row.records[0].account();
  EXPECT_EQ(a.name(), "accounts/lab-1");
  EXPECT_EQ(a.display_name(), "Lab One");
  EXPECT_EQ(a.country_code(), "DE");
  EXPECT_EQ(a.facility_type(), quorum::v1::FACILITY_TYPE_REFERENCE_LAB);
  EXPECT_EQ(a.annual_test_volume(), 1200);
  EXPECT_EQ(std::vector<std::string>(a.testing_scopes().begin(),
                                     a.testing_scopes().end()),
            (std::vector<std::string>{"molecular", "pcr"}));
  EXPECT_EQ(a.labels().at("source"), "test");
  const auto& s = row.records[1].stakeholder();
  EXPECT_EQ(s.name(), "accounts/lab-1/stakeholders/anna-weber");
  ASSERT_EQ(s.roles_size(), 2);
  EXPECT_EQ(s.roles(0).role(), quorum::v1::COMMITTEE_ROLE_QUALITY);
  EXPECT_EQ(s.roles(0).source(), quorum::v1::ROLE_SOURCE_CONFIRMED);
  EXPECT_EQ(s.roles(1).source(), quorum::v1::ROLE_SOURCE_INFERRED);
  EXPECT_FALSE(s.do_not_contact());
}

TEST(Mapping, ACrmContactRoleKeepsTheCrmsWords) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  mapping.Bind(kHeader);
  auto row = mapping.Convert(
      {"lab-1", "Lab One", "de", "R", "", "", "Anna Weber",
       "QUALITY:crm:Quality Manager; PROCUREMENT:crm", "no", "yes"});
  ASSERT_EQ(row.error, "");
  const auto& s = row.records[1].stakeholder();
  ASSERT_EQ(s.roles_size(), 2);
  EXPECT_EQ(s.roles(0).role(), quorum::v1::COMMITTEE_ROLE_QUALITY);
  EXPECT_EQ(s.roles(0).source(), quorum::v1::ROLE_SOURCE_CRM);
  EXPECT_EQ(s.roles(0).basis(), "Quality Manager");
  EXPECT_EQ(s.roles(1).source(), quorum::v1::ROLE_SOURCE_CRM);
  EXPECT_EQ(s.roles(1).basis(), "");
}

TEST(Mapping, EmptyCellsLeaveFieldsUnset) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  mapping.Bind(kHeader);
  auto row = mapping.Convert(
      {"lab-2", "Lab Two", "DE", "", "", "", "Bo", "", "", "y"});
  ASSERT_EQ(row.error, "");
  EXPECT_FALSE(row.records[0].account().has_annual_test_volume());
  EXPECT_EQ(row.records[0].account().facility_type(),
            quorum::v1::FACILITY_TYPE_UNSPECIFIED);
}

TEST(Mapping, RejectsBadValuesWithEveryReason) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  mapping.Bind(kHeader);
  auto row = mapping.Convert(
      {"", "Lab", "DE", "X", "lots", "", "Bo", "CHEF", "maybe", "yes"});
  EXPECT_TRUE(row.records.empty());
  EXPECT_EQ(row.error,
            "account.name: ID is empty; "
            "account.facility_type: TYPE code \"X\" is not in [map types]; "
            "account.annual_test_volume: \"lots\" is not a whole number; "
            "stakeholder.name: ID is empty; "
            "stakeholder.roles: \"CHEF\" is not ROLE, ROLE:confirmed, ROLE:crm "
            "or ROLE:crm:CONTACT ROLE; "
            "stakeholder.do_not_contact: \"maybe\" is not true or false");
}

TEST(Mapping, FilterSkipsRows) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  mapping.Bind(kHeader);
  auto row =
      mapping.Convert({"lab-3", "Lab", "DE", "H", "", "", "Bo", "", "", "no"});
  EXPECT_TRUE(row.skipped);
  EXPECT_TRUE(row.records.empty());
}

TEST(Mapping, ProblemsInTheFileNameTheLine) {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      Mapping::Parse(text, "m");
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error_of("[account]\nname = a/{X}\ncolour = red\n"),
            "m:3: account has no field colour");
  EXPECT_EQ(error_of("[account]\nname = {X|shout}\n"),
            "m:2: unknown filter shout; use slug, upper, lower or map:NAME");
  EXPECT_EQ(error_of("[account]\nname = {X|map:nope}\n"), "m:2: no [map nope]");
  EXPECT_EQ(error_of("[account]\netag = x\n"),
            "m:2: account.etag cannot be mapped");
  EXPECT_EQ(error_of("[accounts]\n"),
            "m:1: unknown section [accounts]; use [account], [site], "
            "[stakeholder], [map NAME], [filter] or [csv]");
  EXPECT_EQ(error_of("[account]\ndisplay_name = {X}\n"),
            "m: [account] needs a name = ... template (where the record goes)");
}

TEST(Mapping, BindNamesTheMissingColumns) {
  Mapping mapping = Mapping::Parse(kMapping, "test.mapping");
  try {
    mapping.Bind({"\xEF\xBB\xBFid", "NAME"});
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "test.mapping: the CSV header has no column ACTIVE, COUNTRY, DNC, "
        "PERSON, ROLES, SCOPES, TYPE, VOLUME");
  }
}

TEST(Mapping, ShippedCliaMappingParses) {
  std::ifstream in(QUORUM_CLIA_MAPPING);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  Mapping mapping = Mapping::Parse(text, "clia.mapping");
  mapping.Bind({"PRVDR_NUM", "FAC_NAME", "STATE_CD", "GNRL_FAC_TYPE_CD",
                "FORM_116_TEST_VOL_CNT", "CRTFCT_TYPE_CD", "PGM_TRMNTN_CD"});
  auto row = mapping.Convert(
      {"31D0123456", "GARDEN STATE LAB", "nj", "15", "1250000", "1", "00"});
  ASSERT_EQ(row.error, "");
  ASSERT_EQ(row.records.size(), 2u);
  const auto& a = row.records[0].account();
  EXPECT_EQ(a.name(), "accounts/clia-31d0123456");
  EXPECT_EQ(a.country_code(), "US");
  EXPECT_EQ(a.subdivision_code(), "US-NJ");
  EXPECT_EQ(a.facility_type(), quorum::v1::FACILITY_TYPE_REFERENCE_LAB);
  EXPECT_EQ(a.annual_test_volume(), 1250000);
  EXPECT_EQ(
      std::vector<std::string>(a.accreditations().begin(),
                               a.accreditations().end()),
      (std::vector<std::string>{"CLIA", "CLIA Certificate of Compliance"}));
  EXPECT_EQ(row.records[1].site().name(), "accounts/clia-31d0123456/sites/lab");
  EXPECT_EQ(row.records[1].site().clia_number(), "31D0123456");
}

TEST(Mapping, SlugMakesIds) {
  EXPECT_EQ(Slug("31D0123456"), "31d0123456");
  EXPECT_EQ(Slug("  St. Mary's Lab!  "), "st-mary-s-lab");
  EXPECT_EQ(Slug("Ärzte"), "rzte");
}

// -------------------------------------------------------------------- dot

TEST(Dot, QuotesNamesAndDrawsEveryEdge) {
  quorum::v1::CommitteeMap map;
  map.mutable_account()->set_name("accounts/a");
  map.mutable_account()->set_display_name("The \"A\" Lab");
  auto* child = map.add_descendants();
  child->set_name("accounts/b");
  child->set_parent("accounts/a");
  auto* s1 = map.add_stakeholders();
  s1->set_name("accounts/a/stakeholders/x");
  s1->set_display_name("X");
  s1->set_engagement(quorum::v1::ENGAGEMENT_CHAMPION);
  auto* s2 = map.add_stakeholders();
  s2->set_name("accounts/b/stakeholders/y");
  s2->set_display_name("Y \\ Z");
  auto* r = map.add_relationships();
  r->set_source(s2->name());
  r->set_target(s1->name());
  r->set_type(quorum::v1::RELATIONSHIP_TYPE_REPORTS_TO);
  std::string dot = CommitteeMapToDot(map);
  EXPECT_NE(dot.find("label=\"The \\\"A\\\" Lab\\naccounts/a\""),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("subgraph \"cluster_accounts/b\""), std::string::npos)
      << dot;
  EXPECT_NE(dot.find("label=\"Y \\\\ Z\\nIDENTIFIED\""), std::string::npos)
      << dot;
  EXPECT_NE(
      dot.find("\"accounts/b/stakeholders/y\" -> \"accounts/a/stakeholders/x\" "
               "[label=\"reports to\""),
      std::string::npos)
      << dot;
  // The child cluster sits inside the parent's.
  EXPECT_LT(dot.find("cluster_accounts/a"), dot.find("cluster_accounts/b"));
}

}  // namespace
}  // namespace quorum::cli

// -------------------------------------------------------------- the review

namespace quorum::cli {
namespace {

TEST(Review, ShowsWhatIsMissingWhenCallsFail) {
  ReviewInput input;
  auto& v = input.verdict;
  v.set_account("accounts/a");
  v.set_route(quorum::v1::ROUTE_RESEARCH);
  v.set_readiness(55);
  v.set_decided_by("fit-unknown");
  v.mutable_fit()->set_result(quorum::v1::FIT_RESULT_UNKNOWN);
  v.mutable_fit()->add_facts_to_gather("facility_type of accounts/a");
  auto* check = v.mutable_fit()->add_checks();
  check->set_check_id("facility-type");
  check->set_must_have(true);
  check->set_result(quorum::v1::FIT_RESULT_UNKNOWN);
  check->set_source("accounts/a");
  v.set_next_step("Find out what kind of lab it is.");
  input.notes.available = true;
  input.history.available = false;
  input.history.unavailable_reason = "UNIMPLEMENTED";
  std::string out = RenderReview(input, Style(false));
  EXPECT_NE(out.find("History: not available  (UNIMPLEMENTED)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  Facts to gather:\n    - facility_type of accounts/a\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  facility-type  yes   UNKNOWN  -      account\n"),
            std::string::npos)
      << out;
  // Without the committee map: the account's ID, status unknown.
  EXPECT_EQ(out.substr(0, out.find('\n')), "a");
  EXPECT_NE(out.find("  Status     -"), std::string::npos) << out;
  // Without the policy the roles of a requirement are unknown.
  auto* req = v.mutable_committee()->add_requirements();
  req->set_requirement_id("quality");
  req->set_applicable(true);
  out = RenderReview(input, Style(false));
  EXPECT_NE(out.find("  quality      ?     -           MISSING  -\n"),
            std::string::npos)
      << out;
}

TEST(Suggestion, ShowsTheHalfLifeInDaysAndTheSpreadOfEachRoute) {
  quorum::v1::SuggestPolicyResponse r;
  r.set_active_revision(3);
  r.set_labelled_handoffs(10);
  r.set_folds(5);
  r.add_multipliers(1);
  r.add_multipliers(2);
  auto* change = r.add_changes();
  change->set_path("intent.half_life");
  change->set_old_value(2592000);
  change->set_new_value(5184000);
  auto* route = r.add_routes();
  route->set_route(quorum::v1::ROUTE_TECHNICAL_PRESALES);
  route->set_handoffs(10);
  route->set_mean(0.9);
  route->set_stddev(0.1);
  route->set_baseline(0.6);
  r.set_accuracy(0.9);
  r.set_accuracy_stddev(0.1);
  r.set_baseline_accuracy(0.6);
  r.set_candidate_accuracy(1);
  std::string out = RenderSuggestion(r, Style(false));
  EXPECT_EQ(out.rfind("Suggestion from 10 handoffs with sales feedback, from "
                      "active revision 3\n(5-fold cross-validation; "
                      "multipliers 1, 2)\n",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("  intent.half_life  30 days    60 days\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  TECHNICAL_PRESALES        10     60%  90% ± 10%\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  all                       10     60%  90% ± 10%\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(RenderSuggestionHeader(r),
            "# Suggested from 10 handoffs with sales feedback on revision 3 "
            "(5-fold cross-validated accuracy 90% ± 10%, active 60%)\n"
            "# intent.half_life: 30 days -> 60 days\n");

  r.clear_changes();
  out = RenderSuggestion(r, Style(false));
  EXPECT_NE(out.find("No change routes these handoffs better than the active "
                     "revision.\n"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace quorum::cli
