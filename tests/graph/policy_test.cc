// Qualification policies: the shipped default, validation with field paths,
// and the text-format and JSON parsers.
#include "graph/rules/policy.h"

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::graph {

// The compiled-in text of graph/rules/default_policy.textproto.
extern const char kDefaultPolicyText[];

namespace {

using ::quorum::testing::EqualsProto;
using ::quorum::testing::HasViolationOn;
using ::quorum::testing::ViolatedFields;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;
using v1::Policy;

// The field paths of every problem ValidatePolicy finds.
std::vector<std::string> ProblemFields(const Policy& policy,
                                       absl::string_view prefix = "") {
  Violations violations;
  ValidatePolicy(policy, prefix, &violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.list()) fields.push_back(v.field());
  return fields;
}

std::vector<std::string> IdsOf(const auto& repeated) {
  std::vector<std::string> ids;
  for (const auto& item : repeated) ids.push_back(item.id());
  return ids;
}

// A small valid policy whose parts the table below breaks one at a time;
// every reference it makes (regions, fit checks, requirements, gaps) is
// to something it defines, so each breakage shows on its own.
constexpr char kSmallPolicy[] = R"pb(
  description: "Small policy for tests."
  regions { id: "dach" codes: [ "DE", "AT", "CH" ] }
  fit_checks {
    id: "geography"
    must_have: true
    geography { regions: "dach" codes: "US-NJ" }
  }
  fit_checks {
    id: "volume"
    annual_volume { min: 1000 max: 100000 }
  }
  intent {
    weights { type: SIGNAL_TYPE_DEMO_REQUEST points: 40 cap: 60 evaluation: true }
    weights {
      type: SIGNAL_TYPE_CONTENT_DOWNLOAD
      topic: SIGNAL_TOPIC_VALIDATION
      points: 10
    }
    half_life { seconds: 2592000 }
    high_intent_threshold: 40
    evaluation_window_days: 90
  }
  committee {
    requirements {
      id: "quality"
      roles: COMMITTEE_ROLE_QUALITY
      min_engagement: ENGAGEMENT_ENGAGED
    }
    engagement_window_days: 90
    role_hints {
      role: COMMITTEE_ROLE_QUALITY
      ask_roles: COMMITTEE_ROLE_LAB_DIRECTOR
    }
  }
  disqualify_rules {
    id: "wrong-geography"
    reason: "No site is in a market we serve."
    when { fit_check { check_id: "geography" result: FIT_RESULT_FAIL } }
  }
  routing_rules {
    id: "quality-missing"
    reason: "Fit, but nobody from quality is engaged."
    next_step: "Find the quality lead."
    route: ROUTE_TECHNICAL_PRESALES
    when {
      all_of {
        conditions { fit: FIT_RESULT_PASS }
        conditions { negate { requirement_met: "quality" } }
      }
    }
  }
  readiness_weights { fit: 1 intent: 1 coverage: 1 }
  questions { id: "who-reviews" text: "Who reviews new assays?" gaps: "quality" }
  nurture_tracks {
    id: "validation"
    gaps: "quality"
    topics: SIGNAL_TOPIC_VALIDATION
  }
)pb";

Policy SmallPolicy() {
  Policy policy;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kSmallPolicy,
                                                            &policy));
  return policy;
}

v1::Condition* FirstRuleCondition(Policy* p) {
  return p->mutable_routing_rules(0)->mutable_when();
}

// ----------------------------------------------------------- Default policy

TEST(DefaultPolicyTest, CompiledInTextParsesToTheDefaultPolicy) {
  auto parsed = ParsePolicyText(kDefaultPolicyText);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(DefaultPolicy()));
}

TEST(DefaultPolicyTest, IsValidWithZeroViolations) {
  Violations violations;
  ValidatePolicy(DefaultPolicy(), "", &violations);
  EXPECT_TRUE(violations.empty()) << violations.ToStatus();
  // And under a prefix, the way the store checks it.
  EXPECT_THAT(ProblemFields(DefaultPolicy(), "policy"), IsEmpty());
}

TEST(DefaultPolicyTest, IsNonEmptyAndNamesItsRules) {
  const Policy& p = DefaultPolicy();
  EXPECT_FALSE(p.description().empty());
  EXPECT_THAT(IdsOf(p.regions()), ElementsAre("served-markets"));
  EXPECT_THAT(IdsOf(p.fit_checks()),
              ElementsAre("geography", "facility-type", "testing-scope",
                          "testing-volume", "accreditation", "current-systems"));
  EXPECT_THAT(IdsOf(p.committee().requirements()),
              ElementsAre("lab-leadership", "lab-operations", "quality",
                          "informatics", "procurement"));
  EXPECT_THAT(IdsOf(p.disqualify_rules()),
              ElementsAre("wrong-geography", "missing-facility-type",
                          "only-general-questions", "no-fitting-site"));
  // Order matters: first match wins, and an unclear fit is looked at first.
  EXPECT_THAT(IdsOf(p.routing_rules()),
              ElementsAre("fit-unclear", "validation-unclear",
                          "integration-unclear", "fit-and-intent",
                          "fit-low-intent"));
  EXPECT_THAT(IdsOf(p.nurture_tracks()),
              ElementsAre("validation", "integration", "workflow",
                          "technical-education"));
  EXPECT_THAT(IdsOf(p.questions()),
              IsSupersetOf({"what-prompted", "who-reviews-assays",
                            "how-evaluations", "pilot-goals",
                            "validation-steps", "integration-needs"}));
  EXPECT_TRUE(p.has_intent());
  // Numbers are tuned over time; only their presence is pinned here.
  EXPECT_GT(p.intent().weights_size(), 0);
  EXPECT_GT(p.intent().high_intent_threshold(), 0);
  EXPECT_GT(p.intent().half_life().seconds(), 0);
  EXPECT_GT(p.intent().evaluation_window_days(), 0);
  EXPECT_GT(p.review_sla().seconds(), 0);
}

TEST(DefaultPolicyTest, MarksOnlyBuyingSignalsAsEvaluation) {
  std::set<v1::SignalType> evaluation;
  for (const auto& w : DefaultPolicy().intent().weights()) {
    if (w.evaluation()) evaluation.insert(w.type());
  }
  EXPECT_EQ(evaluation,
            (std::set<v1::SignalType>{
                v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TYPE_PRICING_INQUIRY,
                v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
                v1::SIGNAL_TYPE_INTEGRATION_INQUIRY,
                v1::SIGNAL_TYPE_TECHNICAL_SESSION,
                v1::SIGNAL_TYPE_IMPLEMENTATION_QUESTION,
                v1::SIGNAL_TYPE_TIMELINE_SHARED}));
}

TEST(DefaultPolicyTest, NoRoutingRuleDisqualifies) {
  for (const auto& rule : DefaultPolicy().routing_rules()) {
    EXPECT_NE(rule.route(), v1::ROUTE_DISQUALIFY) << rule.id();
  }
}

TEST(DefaultPolicyTest, ReturnsTheSameInstanceEveryTime) {
  EXPECT_EQ(&DefaultPolicy(), &DefaultPolicy());
}

// ------------------------------------------------------- Validation: valid

TEST(ValidatePolicyTest, SmallPolicyIsValid) {
  EXPECT_THAT(ProblemFields(SmallPolicy()), IsEmpty());
}

TEST(ValidatePolicyTest, SameSignalTypeWithDifferentTopicsIsAllowed) {
  Policy p = SmallPolicy();
  auto* w = p.mutable_intent()->add_weights();
  w->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  w->set_topic(v1::SIGNAL_TOPIC_VALIDATION);
  w->set_points(50);
  EXPECT_THAT(ProblemFields(p), IsEmpty());
}

TEST(ValidatePolicyTest, BuiltInGapsAndFitCheckIdsAreKnownGaps) {
  Policy p = SmallPolicy();
  auto* q = p.add_questions();
  q->set_id("gaps");
  q->set_text("Anything?");
  for (const char* gap :
       {"intent", "decision-owner", "timeline", "geography", "volume",
        "quality"}) {
    q->add_gaps(gap);
  }
  EXPECT_THAT(ProblemFields(p), IsEmpty());
}

TEST(ValidatePolicyTest, EveryConditionKindCanBeValid) {
  Policy p = SmallPolicy();
  auto* list = FirstRuleCondition(&p)->mutable_any_of();
  list->add_conditions()->set_fit(v1::FIT_RESULT_UNKNOWN);
  auto* fc = list->add_conditions()->mutable_fit_check();
  fc->set_check_id("volume");
  fc->set_result(v1::FIT_RESULT_PASS);
  list->add_conditions()->set_intent_at_least(0);
  list->add_conditions()->set_high_intent(true);
  auto* es = list->add_conditions()->mutable_evaluation_signal();
  es->set_within_days(30);
  list->add_conditions()->set_coverage_at_least(1.0);
  list->add_conditions()->set_requirement_met("quality");
  list->add_conditions()->set_stage_at_least(v1::EVALUATION_STAGE_PILOT);
  list->add_conditions()->set_timeline_known(true);
  list->add_conditions()->set_decision_owner_known(true);
  auto* only = list->add_conditions()->mutable_only_signal_types();
  only->add_types(v1::SIGNAL_TYPE_GENERAL_QUESTION);
  only->set_within_days(90);
  list->add_conditions()->mutable_negate()->set_high_intent(true);
  EXPECT_THAT(ProblemFields(p), IsEmpty());
}

TEST(ValidatePolicyTest, SubSecondHalfLifeIsPositive) {
  Policy p = SmallPolicy();
  p.mutable_intent()->mutable_half_life()->set_seconds(0);
  p.mutable_intent()->mutable_half_life()->set_nanos(500000000);
  EXPECT_THAT(ProblemFields(p), IsEmpty());
}

// ------------------------------------------- Validation: one broken part each

struct BrokenPolicyCase {
  std::string name;
  std::function<void(Policy*)> breaks;
  // Exactly the fields that must be reported, in any order.
  std::vector<std::string> fields;
};

void PrintTo(const BrokenPolicyCase& c, std::ostream* os) { *os << c.name; }

class BrokenPolicyTest : public ::testing::TestWithParam<BrokenPolicyCase> {};

TEST_P(BrokenPolicyTest, ReportsTheExactFieldPaths) {
  Policy p = SmallPolicy();
  GetParam().breaks(&p);
  Violations violations;
  ValidatePolicy(p, "", &violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.list()) {
    fields.push_back(v.field());
    EXPECT_FALSE(v.description().empty()) << v.field();
  }
  EXPECT_THAT(fields, UnorderedElementsAreArray(GetParam().fields))
      << violations.ToStatus();
}

TEST_P(BrokenPolicyTest, PrefixIsPrependedToEveryPath) {
  Policy p = SmallPolicy();
  GetParam().breaks(&p);
  std::vector<std::string> expected;
  for (const auto& f : GetParam().fields) expected.push_back("policy." + f);
  EXPECT_THAT(ProblemFields(p, "policy"), UnorderedElementsAreArray(expected));
}

const BrokenPolicyCase kBrokenPolicies[] = {
    {"NegativeMaxListedSignals",
     [](Policy* p) { p->mutable_intent()->set_max_listed_signals(-1); },
     {"intent.max_listed_signals"}},
    // Regions.
    {"DuplicateRegionId",
     [](Policy* p) {
       auto* r = p->add_regions();
       r->set_id("dach");
       r->add_codes("FR");
     },
     {"regions[1].id"}},
    {"RegionWithoutCodes",
     [](Policy* p) { p->mutable_regions(0)->clear_codes(); },
     {"regions[0].codes"}},
    {"RegionWithUnknownCountryCode",
     [](Policy* p) { p->mutable_regions(0)->set_codes(0, "ZZ"); },
     {"regions[0].codes[0]"}},
    {"RegionWithLowerCaseCountryCode",
     [](Policy* p) { p->mutable_regions(0)->set_codes(1, "at"); },
     {"regions[0].codes[1]"}},
    {"RegionWithCountryName",
     [](Policy* p) { p->mutable_regions(0)->set_codes(2, "Switzerland"); },
     {"regions[0].codes[2]"}},
    {"RegionWithInvalidId",
     [](Policy* p) { p->mutable_regions(0)->set_id("DACH Region"); },
     // The geography check no longer finds "dach" either.
     {"regions[0].id", "fit_checks[0].geography.regions[0]"}},

    // Fit checks.
    {"NoFitChecks",
     [](Policy* p) { p->clear_fit_checks(); },
     // The disqualify rule's reference dangles too.
     {"fit_checks", "disqualify_rules[0].when.fit_check.check_id"}},
    {"DuplicateFitCheckId",
     [](Policy* p) { p->mutable_fit_checks(1)->set_id("geography"); },
     {"fit_checks[1].id"}},
    {"FitCheckWithoutId",
     [](Policy* p) { p->mutable_fit_checks(1)->clear_id(); },
     {"fit_checks[1].id"}},
    {"FitCheckWithInvalidId",
     [](Policy* p) { p->mutable_fit_checks(1)->set_id("Annual_Volume"); },
     {"fit_checks[1].id"}},
    {"FitCheckWithoutKind",
     [](Policy* p) { p->mutable_fit_checks(0)->clear_geography(); },
     {"fit_checks[0]"}},
    {"GeographyWithUnknownRegion",
     [](Policy* p) {
       p->mutable_fit_checks(0)->mutable_geography()->set_regions(0, "nordics");
     },
     {"fit_checks[0].geography.regions[0]"}},
    {"GeographyWithoutRegionsOrCodes",
     [](Policy* p) { p->mutable_fit_checks(0)->mutable_geography()->Clear(); },
     {"fit_checks[0].geography"}},
    {"GeographyWithBadCode",
     [](Policy* p) {
       p->mutable_fit_checks(0)->mutable_geography()->set_codes(0, "US-");
     },
     {"fit_checks[0].geography.codes[0]"}},
    {"VolumeMinAboveMax",
     [](Policy* p) {
       p->mutable_fit_checks(1)->mutable_annual_volume()->set_min(200000);
     },
     {"fit_checks[1].annual_volume.min"}},
    {"VolumeWithoutBounds",
     [](Policy* p) {
       p->mutable_fit_checks(1)->mutable_annual_volume()->Clear();
     },
     {"fit_checks[1].annual_volume"}},
    {"VolumeWithNegativeBound",
     [](Policy* p) {
       p->mutable_fit_checks(1)->mutable_annual_volume()->set_min(-1);
     },
     {"fit_checks[1].annual_volume"}},
    {"FacilityTypeWithoutTypes",
     [](Policy* p) { p->mutable_fit_checks(1)->mutable_facility_type(); },
     {"fit_checks[1].facility_type.allowed"}},
    {"FacilityTypeUnspecified",
     [](Policy* p) {
       auto* f = p->mutable_fit_checks(1)->mutable_facility_type();
       f->add_allowed(v1::FACILITY_TYPE_HOSPITAL_LAB);
       f->add_allowed(v1::FACILITY_TYPE_UNSPECIFIED);
     },
     {"fit_checks[1].facility_type.allowed[1]"}},
    {"FacilityTypeUnknownEnumValue",
     [](Policy* p) {
       p->mutable_fit_checks(1)->mutable_facility_type()->add_allowed(
           static_cast<v1::FacilityType>(99));
     },
     {"fit_checks[1].facility_type.allowed[0]"}},
    {"TestingScopeWithoutValues",
     [](Policy* p) { p->mutable_fit_checks(1)->mutable_testing_scope(); },
     {"fit_checks[1].testing_scope.any_of"}},
    {"TestingScopeWithEmptyValue",
     [](Policy* p) {
       auto* s = p->mutable_fit_checks(1)->mutable_testing_scope();
       s->add_any_of("molecular");
       s->add_any_of("");
     },
     {"fit_checks[1].testing_scope.any_of[1]"}},
    {"AccreditationWithoutValues",
     [](Policy* p) { p->mutable_fit_checks(1)->mutable_accreditation(); },
     {"fit_checks[1].accreditation.any_of"}},
    {"CurrentSystemsWithEmptyValue",
     [](Policy* p) {
       p->mutable_fit_checks(1)->mutable_current_systems()->add_any_of("");
     },
     {"fit_checks[1].current_systems.any_of[0]"}},

    // Intent.
    {"IntentMissing", [](Policy* p) { p->clear_intent(); }, {"intent"}},
    {"IntentWithoutWeights",
     [](Policy* p) { p->mutable_intent()->clear_weights(); },
     {"intent.weights"}},
    {"ZeroHalfLife",
     [](Policy* p) { p->mutable_intent()->clear_half_life(); },
     {"intent.half_life"}},
    {"NegativeHalfLife",
     [](Policy* p) {
       p->mutable_intent()->mutable_half_life()->set_seconds(-60);
     },
     {"intent.half_life"}},
    {"DuplicateWeightTypeAndTopic",
     [](Policy* p) {
       auto* w = p->mutable_intent()->add_weights();
       w->set_type(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD);
       w->set_topic(v1::SIGNAL_TOPIC_VALIDATION);
       w->set_points(1);
     },
     {"intent.weights[2]"}},
    {"WeightWithoutType",
     [](Policy* p) {
       p->mutable_intent()->mutable_weights(1)->set_type(
           v1::SIGNAL_TYPE_UNSPECIFIED);
     },
     {"intent.weights[1].type"}},
    {"WeightWithUnknownTopic",
     [](Policy* p) {
       p->mutable_intent()->mutable_weights(0)->set_topic(
           static_cast<v1::SignalTopic>(42));
     },
     {"intent.weights[0].topic"}},
    {"NegativePoints",
     [](Policy* p) { p->mutable_intent()->mutable_weights(0)->set_points(-1); },
     {"intent.weights[0].points"}},
    {"NotANumberCap",
     [](Policy* p) {
       p->mutable_intent()->mutable_weights(0)->set_cap(
           std::numeric_limits<double>::quiet_NaN());
     },
     {"intent.weights[0].cap"}},
    {"ZeroThreshold",
     [](Policy* p) { p->mutable_intent()->set_high_intent_threshold(0); },
     {"intent.high_intent_threshold"}},
    {"NegativeThreshold",
     [](Policy* p) { p->mutable_intent()->set_high_intent_threshold(-5); },
     {"intent.high_intent_threshold"}},
    {"InfiniteThreshold",
     [](Policy* p) {
       p->mutable_intent()->set_high_intent_threshold(
           std::numeric_limits<double>::infinity());
     },
     {"intent.high_intent_threshold"}},
    {"ZeroEvaluationWindow",
     [](Policy* p) { p->mutable_intent()->set_evaluation_window_days(0); },
     {"intent.evaluation_window_days"}},

    // Committee.
    {"CommitteeMissing",
     [](Policy* p) { p->clear_committee(); },
     // Everything naming the "quality" requirement dangles too.
     {"committee",
      "routing_rules[0].when.all_of.conditions[1].negate.requirement_met",
      "questions[0].gaps[0]", "nurture_tracks[0].gaps[0]"}},
    {"CommitteeWithoutRequirements",
     [](Policy* p) {
       p->mutable_committee()->clear_requirements();
       p->mutable_routing_rules(0)->mutable_when()->mutable_all_of()
           ->mutable_conditions()->RemoveLast();
       p->mutable_questions(0)->set_gaps(0, "intent");
       p->mutable_nurture_tracks(0)->clear_gaps();
     },
     {"committee.requirements"}},
    {"RequirementWithoutRoles",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->clear_roles();
     },
     {"committee.requirements[0].roles"}},
    {"RequirementWithUnspecifiedRole",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->add_roles(
           v1::COMMITTEE_ROLE_UNSPECIFIED);
     },
     {"committee.requirements[0].roles[1]"}},
    {"RequirementWithBlockerEngagement",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->set_min_engagement(
           v1::ENGAGEMENT_BLOCKER);
     },
     {"committee.requirements[0].min_engagement"}},
    {"DuplicateRequirementId",
     [](Policy* p) {
       auto* r = p->mutable_committee()->add_requirements();
       r->set_id("quality");
       r->add_roles(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
     },
     {"committee.requirements[1].id"}},
    {"RequirementWithUnknownStage",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->set_from_stage(
           static_cast<v1::EvaluationStage>(17));
     },
     {"committee.requirements[0].from_stage"}},
    {"DecisionOwnerRoleUnspecified",
     [](Policy* p) {
       p->mutable_committee()->add_decision_owner_roles(
           v1::COMMITTEE_ROLE_LAB_DIRECTOR);
       p->mutable_committee()->add_decision_owner_roles(
           v1::COMMITTEE_ROLE_UNSPECIFIED);
     },
     {"committee.decision_owner_roles[1]"}},
    {"ZeroEngagementWindow",
     [](Policy* p) { p->mutable_committee()->set_engagement_window_days(0); },
     {"committee.engagement_window_days"}},
    {"RoleHintWithoutAskRoles",
     [](Policy* p) {
       p->mutable_committee()->mutable_role_hints(0)->clear_ask_roles();
     },
     {"committee.role_hints[0].ask_roles"}},
    {"RoleHintWithoutRole",
     [](Policy* p) {
       p->mutable_committee()->mutable_role_hints(0)->clear_role();
     },
     {"committee.role_hints[0].role"}},

    // Disqualify rules.
    {"DisqualifyRuleWithUnknownFitCheck",
     [](Policy* p) {
       p->mutable_disqualify_rules(0)->mutable_when()->mutable_fit_check()
           ->set_check_id("facility-type");
     },
     {"disqualify_rules[0].when.fit_check.check_id"}},
    {"DisqualifyRuleFitCheckWithoutResult",
     [](Policy* p) {
       p->mutable_disqualify_rules(0)->mutable_when()->mutable_fit_check()
           ->clear_result();
     },
     {"disqualify_rules[0].when.fit_check.result"}},
    {"DisqualifyRuleWithoutReason",
     [](Policy* p) { p->mutable_disqualify_rules(0)->clear_reason(); },
     {"disqualify_rules[0].reason"}},
    {"DisqualifyRuleWithoutWhen",
     [](Policy* p) { p->mutable_disqualify_rules(0)->clear_when(); },
     {"disqualify_rules[0].when"}},
    {"RuleIdSharedByDisqualifyAndRoutingRule",
     [](Policy* p) { p->mutable_routing_rules(0)->set_id("wrong-geography"); },
     {"routing_rules[0].id"}},

    // Routing rules.
    {"RoutingRuleToDisqualify",
     [](Policy* p) {
       p->mutable_routing_rules(0)->set_route(v1::ROUTE_DISQUALIFY);
     },
     {"routing_rules[0].route"}},
    {"RoutingRuleWithoutRoute",
     [](Policy* p) { p->mutable_routing_rules(0)->clear_route(); },
     {"routing_rules[0].route"}},
    {"RoutingRuleWithUnknownRoute",
     [](Policy* p) {
       p->mutable_routing_rules(0)->set_route(static_cast<v1::Route>(77));
     },
     {"routing_rules[0].route"}},
    {"RoutingRuleWithoutNextStep",
     [](Policy* p) { p->mutable_routing_rules(0)->clear_next_step(); },
     {"routing_rules[0].next_step"}},
    {"RoutingRuleWithoutReason",
     [](Policy* p) { p->mutable_routing_rules(0)->clear_reason(); },
     {"routing_rules[0].reason"}},
    {"RoutingRuleWithoutWhen",
     [](Policy* p) { p->mutable_routing_rules(0)->clear_when(); },
     {"routing_rules[0].when"}},
    {"SecondRoutingRuleWithUnknownFitCheck",
     [](Policy* p) {
       auto* rule = p->add_routing_rules();
       rule->set_id("research");
       rule->set_reason("Fit unclear.");
       rule->set_next_step("Research.");
       rule->set_route(v1::ROUTE_RESEARCH);
       auto* fc = rule->mutable_when()->mutable_fit_check();
       fc->set_check_id("accreditation");
       fc->set_result(v1::FIT_RESULT_UNKNOWN);
     },
     {"routing_rules[1].when.fit_check.check_id"}},
    {"NestedConditionWithUnknownRequirement",
     [](Policy* p) {
       FirstRuleCondition(p)
           ->mutable_all_of()
           ->mutable_conditions(1)
           ->mutable_negate()
           ->set_requirement_met("procurement");
     },
     {"routing_rules[0].when.all_of.conditions[1].negate.requirement_met"}},
    {"EmptyNestedCondition",
     [](Policy* p) {
       FirstRuleCondition(p)->mutable_all_of()->mutable_conditions(0)->Clear();
     },
     {"routing_rules[0].when.all_of.conditions[0]"}},
    {"EmptyNegatedCondition",
     [](Policy* p) {
       FirstRuleCondition(p)
           ->mutable_all_of()
           ->mutable_conditions(1)
           ->mutable_negate()
           ->Clear();
     },
     {"routing_rules[0].when.all_of.conditions[1].negate"}},
    {"EmptyTopLevelCondition",
     [](Policy* p) { FirstRuleCondition(p)->Clear(); },
     {"routing_rules[0].when"}},
    {"AllOfWithoutConditions",
     [](Policy* p) { FirstRuleCondition(p)->mutable_all_of()->Clear(); },
     {"routing_rules[0].when.all_of.conditions"}},
    {"AnyOfWithoutConditions",
     [](Policy* p) { FirstRuleCondition(p)->mutable_any_of(); },
     {"routing_rules[0].when.any_of.conditions"}},
    {"FitConditionUnspecified",
     [](Policy* p) {
       FirstRuleCondition(p)->mutable_all_of()->mutable_conditions(0)->set_fit(
           v1::FIT_RESULT_UNSPECIFIED);
     },
     {"routing_rules[0].when.all_of.conditions[0].fit"}},
    {"CoverageAboveOne",
     [](Policy* p) { FirstRuleCondition(p)->set_coverage_at_least(1.5); },
     {"routing_rules[0].when.coverage_at_least"}},
    {"NegativeCoverage",
     [](Policy* p) { FirstRuleCondition(p)->set_coverage_at_least(-0.1); },
     {"routing_rules[0].when.coverage_at_least"}},
    {"NegativeIntentAtLeast",
     [](Policy* p) { FirstRuleCondition(p)->set_intent_at_least(-1); },
     {"routing_rules[0].when.intent_at_least"}},
    {"EvaluationSignalWithoutWindow",
     [](Policy* p) {
       FirstRuleCondition(p)->mutable_evaluation_signal()->set_topic(
           v1::SIGNAL_TOPIC_VALIDATION);
     },
     {"routing_rules[0].when.evaluation_signal.within_days"}},
    {"StageUnspecified",
     [](Policy* p) {
       FirstRuleCondition(p)->set_stage_at_least(v1::EVALUATION_STAGE_UNSPECIFIED);
     },
     {"routing_rules[0].when.stage_at_least"}},
    {"OnlySignalTypesWithoutTypesOrWindow",
     [](Policy* p) { FirstRuleCondition(p)->mutable_only_signal_types(); },
     {"routing_rules[0].when.only_signal_types.types",
      "routing_rules[0].when.only_signal_types.within_days"}},
    {"OnlySignalTypesWithUnspecifiedType",
     [](Policy* p) {
       auto* only = FirstRuleCondition(p)->mutable_only_signal_types();
       only->add_types(v1::SIGNAL_TYPE_PAGE_VIEW);
       only->add_types(v1::SIGNAL_TYPE_UNSPECIFIED);
       only->set_within_days(30);
     },
     {"routing_rules[0].when.only_signal_types.types[1]"}},

    // Readiness.
    {"ReadinessWeightsAllZero",
     [](Policy* p) { p->clear_readiness_weights(); },
     {"readiness_weights"}},
    {"ReadinessWeightNegative",
     [](Policy* p) { p->mutable_readiness_weights()->set_intent(-1); },
     {"readiness_weights"}},

    // Questions.
    {"QuestionWithUnknownGap",
     [](Policy* p) { p->mutable_questions(0)->add_gaps("budget"); },
     {"questions[0].gaps[1]"}},
    {"QuestionWithoutText",
     [](Policy* p) { p->mutable_questions(0)->clear_text(); },
     {"questions[0].text"}},
    {"QuestionSuggestedForNothing",
     [](Policy* p) { p->mutable_questions(0)->clear_gaps(); },
     {"questions[0]"}},
    {"QuestionWithUnspecifiedRoute",
     [](Policy* p) {
       p->mutable_questions(0)->add_routes(v1::ROUTE_UNSPECIFIED);
     },
     {"questions[0].routes[0]"}},
    {"DuplicateQuestionId",
     [](Policy* p) { *p->add_questions() = p->questions(0); },
     {"questions[1].id"}},

    // Nurture tracks.
    {"NoNurtureTracks",
     [](Policy* p) { p->clear_nurture_tracks(); },
     {"nurture_tracks"}},
    {"NurtureTrackWithUnknownGap",
     [](Policy* p) { p->mutable_nurture_tracks(0)->set_gaps(0, "budget"); },
     {"nurture_tracks[0].gaps[0]"}},
    {"NurtureTrackWithoutId",
     [](Policy* p) { p->mutable_nurture_tracks(0)->clear_id(); },
     {"nurture_tracks[0].id"}},
    {"NurtureTrackWithUnspecifiedTopic",
     [](Policy* p) {
       p->mutable_nurture_tracks(0)->add_topics(v1::SIGNAL_TOPIC_UNSPECIFIED);
     },
     {"nurture_tracks[0].topics[1]"}},

    // Solutions.
    {"SolutionWithoutId",
     [](Policy* p) { p->add_solutions()->set_description("no id"); },
     {"solutions[0].id"}},
    {"SolutionIdUsedTwice",
     [](Policy* p) {
       p->add_solutions()->set_id("analyzer");
       p->add_solutions()->set_id("analyzer");
     },
     {"solutions[1].id"}},
    {"SolutionRequirementWithoutRoles",
     [](Policy* p) {
       auto* s = p->add_solutions();
       s->set_id("analyzer");
       s->add_requirements()->set_id("director");
     },
     {"solutions[0].requirements[0].roles"}},
    {"SolutionRequirementIdUsedTwiceInIt",
     [](Policy* p) {
       auto* s = p->add_solutions();
       s->set_id("analyzer");
       for (int i = 0; i < 2; ++i) {
         auto* r = s->add_requirements();
         r->set_id("director");
         r->add_roles(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
       }
     },
     {"solutions[0].requirements[1].id"}},
    {"SolutionFitCheckOnAnUnknownRegion",
     [](Policy* p) {
       auto* s = p->add_solutions();
       s->set_id("analyzer");
       auto* c = s->add_fit_checks();
       c->set_id("geography");
       c->mutable_geography()->add_regions("nordics");
     },
     {"solutions[0].fit_checks[0].geography.regions[0]"}},
    {"SolutionWithUnspecifiedIntentTopic",
     [](Policy* p) {
       auto* s = p->add_solutions();
       s->set_id("analyzer");
       s->add_intent_topics(v1::SIGNAL_TOPIC_VALIDATION);
       s->add_intent_topics(v1::SIGNAL_TOPIC_UNSPECIFIED);
     },
     {"solutions[0].intent_topics[1]"}},
    {"IntentTopicOutOfRange",
     [](Policy* p) {
       p->mutable_intent()->add_topics(static_cast<v1::SignalTopic>(99));
     },
     {"intent.topics[0]"}},
    {"RuleOnARequirementNoSolutionHas",
     [](Policy* p) {
       p->add_solutions()->set_id("analyzer");
       FirstRuleCondition(p)
           ->mutable_all_of()
           ->mutable_conditions(1)
           ->mutable_negate()
           ->set_requirement_met("informatics");
     },
     {"routing_rules[0].when.all_of.conditions[1].negate.requirement_met"}},

    // Role confidence.
    {"MinConfidenceAboveOne",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->set_min_confidence(1.5);
     },
     {"committee.requirements[0].min_confidence"}},
    {"MinConfidenceNotANumber",
     [](Policy* p) {
       p->mutable_committee()->mutable_requirements(0)->set_min_confidence(
           std::nan(""));
     },
     {"committee.requirements[0].min_confidence"}},
    {"SolutionRequirementNegativeMinConfidence",
     [](Policy* p) {
       auto* s = p->add_solutions();
       s->set_id("analyzer");
       auto* r = s->add_requirements();
       r->set_id("director");
       r->add_roles(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
       r->set_min_confidence(-0.1);
     },
     {"solutions[0].requirements[0].min_confidence"}},
    {"RoleWeightsOutOfRange",
     [](Policy* p) {
       auto* m = p->mutable_committee()->mutable_role_confidence();
       m->set_title_weight(1);
       m->set_crm_weight(-0.2);
       m->set_likely_at(std::numeric_limits<double>::infinity());
     },
     {"committee.role_confidence.title_weight",
      "committee.role_confidence.crm_weight",
      "committee.role_confidence.likely_at"}},
    {"BrokenBehaviourPatterns",
     [](Policy* p) {
       auto* m = p->mutable_committee()->mutable_role_confidence();
       m->add_behaviours();  // No id, description, role, signals or weight.
       auto* b = m->add_behaviours();
       b->set_id("webinar");
       b->set_description("validation webinar");
       b->set_role(v1::COMMITTEE_ROLE_QUALITY);
       b->add_topics(v1::SIGNAL_TOPIC_VALIDATION);
       b->add_signal_types(static_cast<v1::SignalType>(99));
       b->set_min_signals(-1);
       b->set_weight(0.4);
       *m->add_behaviours() = *b;  // The same id again.
       m->mutable_behaviours(2)->clear_signal_types();
       m->mutable_behaviours(2)->set_min_signals(0);
     },
     {"committee.role_confidence.behaviours[0].id",
      "committee.role_confidence.behaviours[0].description",
      "committee.role_confidence.behaviours[0].role",
      "committee.role_confidence.behaviours[0].signal_types",
      "committee.role_confidence.behaviours[0].weight",
      "committee.role_confidence.behaviours[1].signal_types[0]",
      "committee.role_confidence.behaviours[1].min_signals",
      "committee.role_confidence.behaviours[2].id"}},
    {"TooManyBehaviourPatterns",
     [](Policy* p) {
       auto* m = p->mutable_committee()->mutable_role_confidence();
       for (int i = 0; i <= kMaxRoleBehaviours; ++i) m->add_behaviours();
     },
     {"committee.role_confidence.behaviours"}},

    // Handoff and review.
    {"NegativeMinNotes",
     [](Policy* p) { p->mutable_handoff()->set_min_notes(-1); },
     {"handoff.min_notes"}},
    {"NegativeReviewSla",
     [](Policy* p) { p->mutable_review_sla()->set_seconds(-1); },
     {"review_sla"}},
};

INSTANTIATE_TEST_SUITE_P(
    Cases, BrokenPolicyTest, ::testing::ValuesIn(kBrokenPolicies),
    [](const ::testing::TestParamInfo<BrokenPolicyCase>& info) {
      return info.param.name;
    });

TEST(ValidatePolicyTest, RulesAndGapsMayNameWhatOnlyASolutionDefines) {
  Policy p = SmallPolicy();
  auto* s = p.add_solutions();
  s->set_id("middleware");
  auto* r = s->add_requirements();
  r->set_id("informatics");
  r->add_roles(v1::COMMITTEE_ROLE_INFORMATICS);
  auto* c = s->add_fit_checks();
  c->set_id("systems");
  c->mutable_current_systems()->add_any_of("Epic");
  // A solution may redefine the policy's own IDs.
  auto* q = s->add_requirements();
  q->set_id("quality");
  q->add_roles(v1::COMMITTEE_ROLE_QUALITY);
  FirstRuleCondition(&p)
      ->mutable_all_of()
      ->mutable_conditions(1)
      ->mutable_negate()
      ->set_requirement_met("informatics");
  auto* fit = FirstRuleCondition(&p)->mutable_all_of()->add_conditions();
  fit->mutable_fit_check()->set_check_id("systems");
  fit->mutable_fit_check()->set_result(v1::FIT_RESULT_PASS);
  p.mutable_questions(0)->add_gaps("informatics");
  EXPECT_THAT(ProblemFields(p), IsEmpty());
}

TEST(DefaultPolicyTest, ShipsTheAnalyzerAndMiddlewareSolutions) {
  EXPECT_THAT(IdsOf(DefaultPolicy().solutions()),
              ElementsAre("molecular-analyzer", "lis-middleware"));
  for (const auto& solution : DefaultPolicy().solutions()) {
    EXPECT_FALSE(solution.description().empty()) << solution.id();
    EXPECT_FALSE(solution.requirements().empty()) << solution.id();
    EXPECT_FALSE(solution.intent_topics().empty()) << solution.id();
  }
}

TEST(ValidatePolicyTest, EmptyPolicyNamesEveryRequiredPart) {
  EXPECT_THAT(ProblemFields(Policy()),
              UnorderedElementsAreArray(
                  {"fit_checks", "intent", "committee", "readiness_weights",
                   "nurture_tracks"}));
}

TEST(ValidatePolicyTest, PrefixIsPrependedToTopLevelAndNestedPaths) {
  Policy p = SmallPolicy();
  p.clear_fit_checks();
  FirstRuleCondition(&p)
      ->mutable_all_of()
      ->mutable_conditions(1)
      ->mutable_negate()
      ->set_requirement_met("nobody");
  EXPECT_THAT(
      ProblemFields(p, "policy"),
      UnorderedElementsAreArray(
          {"policy.fit_checks",
           "policy.disqualify_rules[0].when.fit_check.check_id",
           "policy.routing_rules[0].when.all_of.conditions[1].negate."
           "requirement_met"}));
  EXPECT_THAT(ProblemFields(p, "source.policy"),
              Contains("source.policy.fit_checks"));
}

TEST(ValidatePolicyTest, ReportsEveryProblemNotJustTheFirst) {
  Policy p = SmallPolicy();
  p.mutable_intent()->set_high_intent_threshold(0);
  p.mutable_routing_rules(0)->set_route(v1::ROUTE_DISQUALIFY);
  p.clear_nurture_tracks();
  EXPECT_THAT(ProblemFields(p),
              UnorderedElementsAreArray({"intent.high_intent_threshold",
                                         "routing_rules[0].route",
                                         "nurture_tracks"}));
}

TEST(ValidatePolicyTest, ViolationsDescribeTheOffendingValue) {
  Policy p = SmallPolicy();
  p.mutable_disqualify_rules(0)->mutable_when()->mutable_fit_check()
      ->set_check_id("nowhere");
  Violations violations;
  ValidatePolicy(p, "", &violations);
  ASSERT_EQ(violations.list().size(), 1u);
  EXPECT_THAT(violations.list()[0].description(), HasSubstr("\"nowhere\""));
}

TEST(ValidatePolicyTest, DeeplyNestedConditionIsRefusedAtTheDepthLimit) {
  Policy p = SmallPolicy();
  v1::Condition* c = FirstRuleCondition(&p);
  c->Clear();
  std::string path = "routing_rules[0].when";
  for (int depth = 0; depth < 40; ++depth) {
    c = c->mutable_negate();
    if (depth < 33) path += ".negate";
  }
  c->set_high_intent(true);
  EXPECT_THAT(ProblemFields(p), ElementsAre(path));
}

TEST(ValidatePolicyTest, ViolationsAreAddedToExistingOnes) {
  Violations violations;
  violations.Add("other", "was already wrong");
  Policy p = SmallPolicy();
  p.clear_intent();
  ValidatePolicy(p, "", &violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.list()) fields.push_back(v.field());
  EXPECT_THAT(fields, ElementsAre("other", "intent"));
}

// ------------------------------------------------------------------ Parsing

TEST(ParsePolicyTextTest, ParsesTheSmallPolicy) {
  auto parsed = ParsePolicyText(kSmallPolicy);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(SmallPolicy()));
}

TEST(ParsePolicyTextTest, ParsingDoesNotValidate) {
  auto parsed = ParsePolicyText("description: \"nothing else\"");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->description(), "nothing else");
  EXPECT_THAT(ProblemFields(*parsed), Not(IsEmpty()));
}

TEST(ParsePolicyTextTest, UnknownFieldIsAViolationOnTextWithLineAndColumn) {
  const std::string text =
      "description: \"x\"\n"
      "fit_checks {\n"
      "  id: \"a\"\n"
      "  colour: \"blue\"\n"
      "}\n";
  auto parsed = ParsePolicyText(text);
  ASSERT_THAT(parsed, HasViolationOn("text"));
  const google::rpc::BadRequest bad = BadRequestOf(parsed.status());
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_THAT(bad.field_violations(0).description(),
              AllOf(HasSubstr("line 4 column "), HasSubstr("colour")));
}

TEST(ParsePolicyTextTest, SyntaxErrorGivesLineAndColumn) {
  auto parsed = ParsePolicyText("description: \"x\"\nregions { id: \"a\" codes: [\"DE\" }\n");
  ASSERT_THAT(parsed, HasViolationOn("text"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line 2 column"));
}

TEST(ParsePolicyTextTest, UnterminatedMessageIsAViolation) {
  auto parsed = ParsePolicyText("intent {\n  high_intent_threshold: 40\n");
  EXPECT_THAT(parsed, HasViolationOn("text"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line "));
}

TEST(ParsePolicyTextTest, WrongValueTypeIsAViolation) {
  auto parsed = ParsePolicyText("intent { high_intent_threshold: \"high\" }");
  EXPECT_THAT(parsed, HasViolationOn("text"));
}

TEST(ParsePolicyTextTest, UnknownEnumNameIsAViolation) {
  auto parsed = ParsePolicyText(
      "routing_rules { id: \"r\" route: ROUTE_SOMEWHERE }");
  ASSERT_THAT(parsed, HasViolationOn("text"));
  EXPECT_THAT(std::string(parsed.status().message()),
              AllOf(HasSubstr("line 1 column"), HasSubstr("ROUTE_SOMEWHERE")));
}

TEST(ParsePolicyTextTest, FieldNameOfTheViolationIsConfigurable) {
  auto parsed = ParsePolicyText("fit_checks {", "source.text");
  EXPECT_THAT(parsed, HasViolationOn("source.text"));
  EXPECT_THAT(ViolatedFields(parsed.status()), ElementsAre("source.text"));
}

TEST(ParsePolicyTextTest, EmptyTextIsAnEmptyPolicy) {
  auto parsed = ParsePolicyText("");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(Policy()));
}

// A routing rule whose condition is `depth` nested negations.
std::string NestedNegations(int depth) {
  std::string text = "routing_rules { id: \"deep\" when { ";
  for (int i = 0; i < depth; ++i) text += "negate { ";
  text += "high_intent: true ";
  for (int i = 0; i < depth; ++i) text += "} ";
  return text + "} }";
}

TEST(ParsePolicyTextTest, NestingBeyondTheLimitIsAViolationNamingTheLimit) {
  // 10,000 levels (about 90 KB) used to overflow the parser's stack.
  auto parsed = ParsePolicyText(NestedNegations(10000));
  ASSERT_THAT(parsed, HasViolationOn("text"));
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              AllOf(HasSubstr("recursion limit of 100"), HasSubstr("line 1")));
}

TEST(ParsePolicyTextTest, NestingJustBeyondTheLimitIsRefusedAndWithinItParses) {
  // Policy > routing_rules > when > negate...: three levels before the first
  // negation, and the innermost condition's bool is no message.
  EXPECT_THAT(ParsePolicyText(NestedNegations(kMaxPolicyNesting)),
              HasViolationOn("text"));
  auto parsed = ParsePolicyText(NestedNegations(kMaxPolicyNesting - 3));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
}

TEST(ParsePolicyJsonTest, NestingBeyondTheLimitIsAViolation) {
  std::string json = "{\"routingRules\": [{\"when\": ";
  for (int i = 0; i < 10000; ++i) json += "{\"negate\": ";
  json += "{\"highIntent\": true}";
  for (int i = 0; i < 10000; ++i) json += "}";
  json += "}]}";
  auto parsed = ParsePolicyJson(json);
  EXPECT_THAT(parsed, HasViolationOn("json"));
}

TEST(ParsePolicyJsonTest, DefaultPolicyRoundTripsThroughJson) {
  std::string json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(DefaultPolicy(), &json).ok());
  auto parsed = ParsePolicyJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(DefaultPolicy()));
}

TEST(ParsePolicyJsonTest, AcceptsProtoFieldNamesToo) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(DefaultPolicy(),
                                                          &json, options)
                  .ok());
  ASSERT_THAT(json, HasSubstr("\"fit_checks\""));
  auto parsed = ParsePolicyJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(DefaultPolicy()));
}

TEST(ParsePolicyJsonTest, MalformedJsonIsAViolationOnJson) {
  auto parsed = ParsePolicyJson("{\"fitChecks\": [");
  EXPECT_THAT(parsed, HasViolationOn("json"));
  EXPECT_THAT(ViolatedFields(parsed.status()), ElementsAre("json"));
}

TEST(ParsePolicyJsonTest, UnknownFieldIsAViolationOnJson) {
  auto parsed = ParsePolicyJson("{\"colour\": \"blue\"}");
  ASSERT_THAT(parsed, HasViolationOn("json"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("colour"));
}

TEST(ParsePolicyJsonTest, WrongValueTypeIsAViolationOnJson) {
  EXPECT_THAT(ParsePolicyJson("{\"intent\": {\"highIntentThreshold\": \"lots\"}}"),
              HasViolationOn("json"));
  EXPECT_THAT(ParsePolicyJson("{\"routingRules\": [{\"route\": \"ROUTE_NOWHERE\"}]}"),
              HasViolationOn("json"));
}

TEST(ParsePolicyJsonTest, FieldNameOfTheViolationIsConfigurable) {
  EXPECT_THAT(ViolatedFields(ParsePolicyJson("[]", "source.json").status()),
              ElementsAre("source.json"));
}

TEST(ParsePolicyJsonTest, ParsingDoesNotValidate) {
  auto parsed = ParsePolicyJson("{\"description\": \"only this\"}");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->description(), "only this");
}

TEST(ParsePolicyJsonTest, DurationsUseTheJsonMapping) {
  auto parsed = ParsePolicyJson(
      "{\"intent\": {\"halfLife\": \"86400s\", \"highIntentThreshold\": 10}}");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->intent().half_life().seconds(), 86400);
  EXPECT_DOUBLE_EQ(parsed->intent().high_intent_threshold(), 10);
}

TEST(ParsePolicyTextTest, DefaultPolicyRoundTripsThroughTextFormat) {
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(DefaultPolicy(), &text));
  auto parsed = ParsePolicyText(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(DefaultPolicy()));
}

TEST(PolicyFromSourceTest, AnEmptySourceNamesTheField) {
  auto policy = PolicyFromSource(v1::PolicySource(), "source");
  EXPECT_THAT(ViolatedFields(policy.status()), ElementsAre("source"));
}

TEST(PolicyFromSourceTest, ProblemsAreNamedByTheirPathInThePolicyInEveryForm) {
  v1::Policy bad = DefaultPolicy();
  bad.mutable_routing_rules(0)->set_id("");
  v1::PolicySource message;
  *message.mutable_policy() = bad;
  v1::PolicySource as_text;
  ASSERT_TRUE(
      google::protobuf::TextFormat::PrintToString(bad, as_text.mutable_text()));
  v1::PolicySource as_json;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(bad, as_json.mutable_json())
          .ok());
  for (const v1::PolicySource& source : {message, as_text, as_json}) {
    SCOPED_TRACE(source.source_case());
    EXPECT_THAT(ViolatedFields(PolicyFromSource(source, "source").status()),
                ElementsAre("routing_rules[0].id"));
    auto checked = CheckPolicySource(source, "source");
    ASSERT_TRUE(checked.ok()) << checked.status();
    ASSERT_EQ(checked->problems_size(), 1);
    EXPECT_EQ(checked->problems(0).field(), "routing_rules[0].id");
  }
  v1::PolicySource text;
  text.set_text("not a policy {");
  EXPECT_THAT(ViolatedFields(PolicyFromSource(text, "source").status()),
              ElementsAre("source.text"));
  v1::PolicySource good;
  *good.mutable_policy() = DefaultPolicy();
  auto parsed = PolicyFromSource(good, "source");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(*parsed, EqualsProto(DefaultPolicy()));
}

TEST(CheckPolicySourceTest,
     AnInvalidPolicyThatParsesIsReturnedWithItsProblems) {
  v1::Policy bad = DefaultPolicy();
  bad.mutable_routing_rules(0)->set_id("");
  v1::PolicySource source;
  *source.mutable_policy() = bad;
  auto checked = CheckPolicySource(source, "source");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_FALSE(checked->valid());
  EXPECT_THAT(checked->policy(), EqualsProto(bad));
  ASSERT_GT(checked->problems_size(), 0);
  EXPECT_EQ(checked->problems(0).field(), "routing_rules[0].id");
  *source.mutable_policy() = DefaultPolicy();
  checked = CheckPolicySource(source, "source");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_TRUE(checked->valid());
  EXPECT_EQ(checked->problems_size(), 0);
}

}  // namespace
}  // namespace quorum::graph
