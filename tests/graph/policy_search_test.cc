// The policy search on generated feedback histories whose better parameter
// is known: what it finds, how cross-validation reports its spread, the
// accuracy it counts, and the options it refuses.
#include "graph/rules/policy_search.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::HasPreconditionFailure;
using ::quorum::testing::HasViolationOn;
using ::quorum::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kStart = absl::FromUnixSeconds(1780272000);  // 2026-06-01.

// Fit is the geography; a fitting account with high intent goes to sales
// discovery, one with coverage of at least `coverage` (when given) to
// technical presales, everything else to nurture. One demo request is worth
// 40 points, halving every 10 days.
v1::Policy TestPolicy(double threshold, const std::string& extra_rule = "") {
  const std::string text = absl::StrCat(R"pb(
                                          regions {
                                            id: "home"
                                            codes: [ "US" ]
                                          }
                                          fit_checks {
                                            id: "geo"
                                            must_have: true
                                            geography { regions: "home" }
                                          }
                                          intent { weights {
                                            type: SIGNAL_TYPE_DEMO_REQUEST
                                            points: 40
                                            cap: 60
                                            evaluation: true
                                          }
                                                   half_life { seconds: 864000 }
                                                   high_intent_threshold:)pb",
                                        threshold, R"pb(
      evaluation_window_days: 60
    }
                                                committee {
      requirements { id: "director" roles: COMMITTEE_ROLE_LAB_DIRECTOR min_engagement: ENGAGEMENT_IDENTIFIED }
      requirements { id: "quality" roles: COMMITTEE_ROLE_QUALITY min_engagement: ENGAGEMENT_IDENTIFIED }
      decision_owner_roles: COMMITTEE_ROLE_LAB_DIRECTOR
      engagement_window_days: 30
    }
    routing_rules {
      id: "hot" reason: "Fit and high intent." route: ROUTE_SALES_DISCOVERY next_step: "Call."
      when { all_of { conditions { fit: FIT_RESULT_PASS } conditions { high_intent: true } } }
    }
  )pb",
                                        extra_rule, R"pb(
    readiness_weights { fit: 1 intent: 1 coverage: 1 }
    nurture_tracks { id: "general" }
  )pb");
  v1::Policy policy;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &policy));
  Violations violations;
  ValidatePolicy(policy, "", &violations);
  EXPECT_TRUE(violations.empty()) << violations.ToStatus();
  return policy;
}

// A US account handed off on `route` at `when`, with one demo request
// `days_before` days earlier.
LabelledHandoff Example(int i, double days_before, bool accepted,
                        v1::Route route = v1::ROUTE_SALES_DISCOVERY,
                        absl::Time when = kStart) {
  LabelledHandoff e;
  const std::string account = absl::StrCat("accounts/a", i);
  e.handoff = absl::StrCat(account, "/handoffs/h-", i);
  e.map.mutable_account()->set_name(account);
  e.map.mutable_account()->set_country_code("US");
  auto* site = e.map.add_sites();
  site->set_name(account + "/sites/lab");
  site->set_country_code("US");
  v1::Signal& s = e.signals.emplace_back();
  s.set_name(account + "/signals/demo");
  s.set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  s.mutable_occur_time()->set_seconds(
      absl::ToUnixSeconds(when - absl::Seconds(days_before * 86400)));
  e.as_of = when;
  e.route = route;
  e.accepted = accepted;
  return e;
}

// 40 handoffs, one demo request 0, 0.75, ... 29.25 days before each; sales
// accepted exactly those whose score was at least 24 (fresher than 7.37
// days) but for the `flipped` ones, whose feedback went the other way.
std::vector<LabelledHandoff> History(const std::set<int>& flipped) {
  std::vector<LabelledHandoff> out;
  for (int i = 0; i < 40; ++i) {
    const double days = 0.75 * i;
    const bool truth = 40 * std::exp2(-days / 10) >= 24;
    out.push_back(Example(i, days, flipped.count(i) ? !truth : truth));
  }
  return out;
}

SearchOptions Options(int folds, std::vector<double> multipliers) {
  auto options = SearchOptionsFrom(folds, multipliers);
  EXPECT_TRUE(options.ok()) << options.status();
  return *options;
}

TEST(PolicySearch, FindsTheThresholdSalesAcceptedAndReportsTheSpread) {
  const v1::Policy policy = TestPolicy(12);
  const std::vector<LabelledHandoff> history = History({5, 20, 33});
  auto found = SearchPolicy(policy, history, Options(5, {0.5, 1, 1.5, 2, 3}));
  ASSERT_TRUE(found.ok()) << found.status();

  EXPECT_DOUBLE_EQ(found->candidate().intent().high_intent_threshold(), 24);
  ASSERT_EQ(found->changes_size(), 1) << found->DebugString();
  EXPECT_EQ(found->changes(0).path(), "intent.high_intent_threshold");
  EXPECT_DOUBLE_EQ(found->changes(0).old_value(), 12);
  EXPECT_DOUBLE_EQ(found->changes(0).new_value(), 24);
  // Nothing else moved.
  v1::Policy expected = policy;
  expected.mutable_intent()->set_high_intent_threshold(24);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      found->candidate(), expected));

  EXPECT_EQ(found->labelled_handoffs(), 40);
  EXPECT_EQ(found->folds(), 5);
  EXPECT_THAT(found->multipliers(), ElementsAre(0.5, 1, 1.5, 2, 3));
  // Only the three flipped handoffs are routed wrong.
  EXPECT_DOUBLE_EQ(found->candidate_accuracy(), 37.0 / 40);
  EXPECT_LT(found->baseline_accuracy(), 0.7);
  // Each fold's candidate is scored on the fold it did not see: the folds
  // holding a flipped handoff score lower, hence the spread.
  EXPECT_GT(found->accuracy(), found->baseline_accuracy());
  EXPECT_GT(found->accuracy(), 0.85);
  EXPECT_GT(found->accuracy_stddev(), 0);
  ASSERT_EQ(found->routes_size(), 1);
  EXPECT_EQ(found->routes(0).route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(found->routes(0).handoffs(), 40);
  EXPECT_DOUBLE_EQ(found->routes(0).mean(), found->accuracy());
  EXPECT_GT(found->routes(0).stddev(), 0);
  EXPECT_DOUBLE_EQ(found->routes(0).baseline(), found->baseline_accuracy());
}

TEST(PolicySearch, WithoutNoiseEveryFoldIsRightAndTheSpreadIsZero) {
  auto found = SearchPolicy(TestPolicy(12), History({}), Options(4, {1, 2, 3}));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_DOUBLE_EQ(found->candidate().intent().high_intent_threshold(), 24);
  EXPECT_DOUBLE_EQ(found->accuracy(), 1);
  EXPECT_DOUBLE_EQ(found->accuracy_stddev(), 0);
  EXPECT_EQ(found->folds(), 4);
}

TEST(PolicySearch, OfEquallyGoodValuesTheSmallestChangeWins) {
  // Thresholds 24 and 27 (x2, x2.25) both separate the history; x2 is
  // nearer 1. Given in any order.
  auto found =
      SearchPolicy(TestPolicy(12), History({}), Options(5, {2.25, 3, 2, 1}));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_DOUBLE_EQ(found->candidate().intent().high_intent_threshold(), 24);
}

TEST(PolicySearch, AHalfLifeCanBeWhatIsLearnt) {
  // With the threshold fixed at 24, halving slower (20 days) lets demo
  // requests up to 14.7 days old through, which is what sales accepted.
  std::vector<LabelledHandoff> history;
  for (int i = 0; i < 30; ++i) {
    const double days = 0.75 * i;
    history.push_back(Example(i, days, 40 * std::exp2(-days / 20) >= 24));
  }
  auto found = SearchPolicy(TestPolicy(24), history, Options(5, {1, 2}));
  ASSERT_TRUE(found.ok()) << found.status();
  // The threshold at 48 loses everything; the half-life at 20 days wins.
  ASSERT_EQ(found->changes_size(), 1) << found->DebugString();
  EXPECT_EQ(found->changes(0).path(), "intent.half_life");
  EXPECT_DOUBLE_EQ(found->changes(0).old_value(), 864000);
  EXPECT_DOUBLE_EQ(found->changes(0).new_value(), 1728000);
  EXPECT_EQ(found->candidate().intent().half_life().seconds(), 1728000);
  EXPECT_DOUBLE_EQ(found->candidate_accuracy(), 1);
}

TEST(PolicySearch, ACoverageThresholdInARoutingRuleIsTunedAndKeptAtMostOne) {
  // Presales takes fitting accounts with coverage of at least 0.4; sales
  // accepted only those with the whole committee (coverage 1).
  const v1::Policy policy = TestPolicy(1000, R"pb(
    routing_rules {
      id: "covered"
      reason: "Committee covered."
      route: ROUTE_TECHNICAL_PRESALES
      next_step: "Demo."
      when {
        all_of {
          conditions { fit: FIT_RESULT_PASS }
          conditions { coverage_at_least: 0.4 }
        }
      }
    }
  )pb");
  std::vector<LabelledHandoff> history;
  for (int i = 0; i < 12; ++i) {
    LabelledHandoff e = Example(i, 0, i % 2 == 0, v1::ROUTE_TECHNICAL_PRESALES);
    auto add = [&](const std::string& id, v1::CommitteeRole role) {
      auto* s = e.map.add_stakeholders();
      s->set_name(e.map.account().name() + "/stakeholders/" + id);
      s->set_engagement(v1::ENGAGEMENT_IDENTIFIED);
      auto* r = s->add_roles();
      r->set_role(role);
      r->set_source(v1::ROLE_SOURCE_CONFIRMED);
    };
    add("director", v1::COMMITTEE_ROLE_LAB_DIRECTOR);  // Coverage 0.5...
    if (i % 2 == 0) add("quality", v1::COMMITTEE_ROLE_QUALITY);  // ...or 1.
    history.push_back(std::move(e));
  }
  EXPECT_THAT(TunableParameters(policy),
              ElementsAre("intent.high_intent_threshold", "intent.half_life",
                          "routing_rules[1].when.all_of.conditions[1]."
                          "coverage_at_least"));
  auto found = SearchPolicy(policy, history, Options(3, {1, 1.5, 2, 3}));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_DOUBLE_EQ(found->baseline_accuracy(), 0.5);
  ASSERT_EQ(found->changes_size(), 1) << found->DebugString();
  EXPECT_EQ(found->changes(0).path(),
            "routing_rules[1].when.all_of.conditions[1].coverage_at_least");
  // 0.6 (x1.5) already separates them; x2 and x3 would be capped at 1.
  EXPECT_DOUBLE_EQ(found->changes(0).new_value(), 0.6);
  EXPECT_DOUBLE_EQ(found->candidate_accuracy(), 1);
  ASSERT_EQ(found->routes_size(), 1);
  EXPECT_EQ(found->routes(0).route(), v1::ROUTE_TECHNICAL_PRESALES);
}

TEST(PolicySearch, NothingBetterLeavesThePolicyAsItIs) {
  // The active threshold already matches sales.
  const v1::Policy policy = TestPolicy(24);
  auto found = SearchPolicy(policy, History({}), SearchOptions());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->changes_size(), 0);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      found->candidate(), policy));
  EXPECT_DOUBLE_EQ(found->baseline_accuracy(), 1);
}

TEST(PolicySearch, FoldsDependOnlyOnTheHandoffs) {
  std::vector<LabelledHandoff> history = History({5, 20, 33});
  auto first = SearchPolicy(TestPolicy(12), history, SearchOptions());
  std::reverse(history.begin(), history.end());
  auto again = SearchPolicy(TestPolicy(12), history, SearchOptions());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*first, *again));
}

TEST(PolicySearch, FewerLabelledHandoffsThanFoldsIsAFailedPrecondition) {
  std::vector<LabelledHandoff> history = History({});
  history.resize(4);
  auto found = SearchPolicy(TestPolicy(12), history, SearchOptions());
  EXPECT_THAT(found, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(found, HasPreconditionFailure("TOO_FEW_LABELLED_HANDOFFS"));
  EXPECT_THAT(found.status().message(), ::testing::HasSubstr("there are 4"));
  EXPECT_TRUE(SearchPolicy(TestPolicy(12), history, Options(4, {})).ok());
}

TEST(PolicySearch, AccuracyCountsTheHandedOffRouteNotJustAnySalesRoute) {
  const v1::Policy policy = TestPolicy(12);
  // A fresh demo request: the policy routes it to SALES_DISCOVERY.
  EXPECT_TRUE(RoutesRight(policy, Example(1, 0, true)));
  EXPECT_FALSE(RoutesRight(policy, Example(1, 0, false)));
  // Handed off to presales: accepted there is wrong under a policy that
  // sends it to discovery; rejected there, right.
  EXPECT_FALSE(
      RoutesRight(policy, Example(1, 0, true, v1::ROUTE_TECHNICAL_PRESALES)));
  EXPECT_TRUE(
      RoutesRight(policy, Example(1, 0, false, v1::ROUTE_TECHNICAL_PRESALES)));
  // Signals after the handoff do not count: 30 days old, nurture.
  LabelledHandoff stale = Example(1, 30, false);
  v1::Signal later = stale.signals[0];
  later.set_name("accounts/a1/signals/later");
  later.mutable_occur_time()->set_seconds(absl::ToUnixSeconds(kStart) + 3600);
  stale.signals.push_back(later);
  EXPECT_TRUE(RoutesRight(policy, stale));
}

TEST(PolicySearch, AHandoffForASolutionIsJudgedForIt) {
  // The solution hears only validation signals; the demo request below has
  // no topic (general), so it counts for the solution too, but a workflow
  // one does not.
  const v1::Policy policy = TestPolicy(12, R"pb(
    solutions { id: "analyzer" intent_topics: SIGNAL_TOPIC_VALIDATION }
  )pb");
  LabelledHandoff general = Example(1, 0, true);
  general.solution = "analyzer";
  EXPECT_TRUE(RoutesRight(policy, general));
  LabelledHandoff workflow = Example(1, 0, true);
  workflow.signals[0].set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  EXPECT_TRUE(RoutesRight(policy, workflow));
  workflow.solution = "analyzer";
  EXPECT_FALSE(RoutesRight(policy, workflow));  // Nurture for the analyzer.
  // A policy without the solution gets its handoffs wrong, accepted or not.
  LabelledHandoff rejected = Example(1, 0, false);
  rejected.solution = "middleware";
  EXPECT_FALSE(RoutesRight(policy, rejected));
  general.solution = "middleware";
  EXPECT_FALSE(RoutesRight(policy, general));
}

TEST(PolicySearch, ACallerThatGivesUpStopsTheSearch) {
  SearchOptions options = Options(5, {0.5, 1, 1.5});
  int asked = 0;
  options.cancelled = [&] { return ++asked > 3; };
  EXPECT_THAT(SearchPolicy(TestPolicy(12), History({}), options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(asked, 4);  // It stopped at the first "yes".
  options.cancelled = [] { return false; };
  EXPECT_TRUE(SearchPolicy(TestPolicy(12), History({}), options).ok());
}

TEST(PolicySearch, ReadinessWeightsAreNotSearched) {
  EXPECT_THAT(TunableParameters(DefaultPolicy()),
              ElementsAre("intent.high_intent_threshold", "intent.half_life"));
}

TEST(PolicySearchOptions, DefaultsAreFiveFoldsAndFiveMultipliers) {
  auto options = SearchOptionsFrom(0, {});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->folds, 5);
  EXPECT_THAT(options->multipliers, ElementsAre(0.5, 0.75, 1, 1.25, 1.5));
}

TEST(PolicySearchOptions, BadFoldsAndMultipliersNameTheField) {
  for (int folds : {1, -1, 21}) {
    EXPECT_THAT(SearchOptionsFrom(folds, {}), HasViolationOn("folds")) << folds;
  }
  const std::vector<double> bad = {1, 0, -2, 11, std::nan("")};
  auto refused = SearchOptionsFrom(5, bad);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(::quorum::testing::ViolatedFields(refused.status()),
              ElementsAre("multipliers[1]", "multipliers[2]", "multipliers[3]",
                          "multipliers[4]"));
  EXPECT_THAT(SearchOptionsFrom(5, std::vector<double>(21, 1.0)),
              HasViolationOn("multipliers"));
}

}  // namespace
}  // namespace quorum::graph
