// Qualify() as a pure function: each rule type, table-driven, on account
// trees built in memory and small policies written in text format.
#include "graph/rules/qualification.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/text_format.h"
#include "graph/rules/policy.h"
#include "graph/rules/solutions.h"

namespace quorum::graph {
namespace {

namespace v1 = ::quorum::v1;

const absl::Time kAsOf = absl::FromUnixSeconds(1780272000);  // 2026-06-01.

// A policy with the given text appended to a minimal valid base.
v1::Policy MakePolicy(const std::string& extra = "") {
  const std::string base = R"pb(
    regions { id: "home" codes: ["US", "DE-BY"] }
    fit_checks { id: "geo" must_have: true geography { regions: "home" } }
    fit_checks {
      id: "type" must_have: true
      facility_type { allowed: [FACILITY_TYPE_HOSPITAL_LAB, FACILITY_TYPE_REFERENCE_LAB] }
    }
    fit_checks { id: "scope" testing_scope { any_of: ["molecular"] } }
    fit_checks { id: "volume" annual_volume { min: 1000 max: 5000 } }
    fit_checks { id: "accreditation" accreditation { any_of: ["CAP"] } }
    fit_checks { id: "systems" current_systems { any_of: ["Epic"] } }
    intent {
      weights { type: SIGNAL_TYPE_DEMO_REQUEST points: 40 cap: 60 evaluation: true }
      weights { type: SIGNAL_TYPE_PAGE_VIEW points: 2 cap: 5 }
      weights { type: SIGNAL_TYPE_CONTENT_DOWNLOAD points: 10 }
      weights { type: SIGNAL_TYPE_CONTENT_DOWNLOAD topic: SIGNAL_TOPIC_VALIDATION points: 25 evaluation: true }
      half_life { seconds: 864000 }  # 10 days
      high_intent_threshold: 30
      evaluation_window_days: 30
    }
    committee {
      requirements { id: "director" roles: COMMITTEE_ROLE_LAB_DIRECTOR min_engagement: ENGAGEMENT_IDENTIFIED }
      requirements { id: "quality" roles: COMMITTEE_ROLE_QUALITY min_engagement: ENGAGEMENT_ENGAGED }
      requirements {
        id: "procurement" roles: COMMITTEE_ROLE_PROCUREMENT
        min_engagement: ENGAGEMENT_ENGAGED from_stage: EVALUATION_STAGE_PROCUREMENT
      }
      decision_owner_roles: COMMITTEE_ROLE_LAB_DIRECTOR
      engagement_window_days: 30
    }
    readiness_weights { fit: 1 intent: 1 coverage: 2 }
    nurture_tracks { id: "general" }
    nurture_tracks { id: "validation" gaps: "quality" }
    nurture_tracks { id: "workflow" topics: SIGNAL_TOPIC_WORKFLOW }
  )pb";
  v1::Policy policy;
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(base + extra, &policy));
  Violations violations;
  ValidatePolicy(policy, "", &violations);
  EXPECT_TRUE(violations.empty()) << violations.ToStatus();
  return policy;
}

// Builds an account tree in memory.
class TreeBuilder {
 public:
  explicit TreeBuilder(const std::string& root_id = "root") {
    auto* a = tree_.map.mutable_account();
    a->set_name("accounts/" + root_id);
    a->set_country_code("US");
    a->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  }
  v1::Account* root() { return tree_.map.mutable_account(); }
  v1::Account* Child(const std::string& id, const std::string& parent) {
    auto* a = tree_.map.add_descendants();
    a->set_name("accounts/" + id);
    a->set_parent(parent);
    a->set_country_code("US");
    a->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    return a;
  }
  v1::Site* Site(const std::string& account, const std::string& id) {
    auto* s = tree_.map.add_sites();
    s->set_name(account + "/sites/" + id);
    return s;
  }
  v1::Stakeholder* Person(const std::string& account, const std::string& id,
                          v1::CommitteeRole role,
                          v1::RoleSource source = v1::ROLE_SOURCE_CONFIRMED,
                          v1::Engagement e = v1::ENGAGEMENT_IDENTIFIED) {
    auto* s = tree_.map.add_stakeholders();
    s->set_name(account + "/stakeholders/" + id);
    s->set_engagement(e);
    if (role != v1::COMMITTEE_ROLE_UNSPECIFIED) {
      auto* r = s->add_roles();
      r->set_role(role);
      r->set_source(source);
    }
    return s;
  }
  void Relate(const std::string& from, const std::string& to) {
    auto* r = tree_.map.add_relationships();
    r->set_name(from + "-" + to);
    r->set_source(from);
    r->set_target(to);
    r->set_type(v1::RELATIONSHIP_TYPE_WORKS_WITH);
  }
  v1::Signal* Signal(v1::SignalType type, double days_ago,
                     v1::SignalTopic topic = v1::SIGNAL_TOPIC_GENERAL,
                     const std::string& stakeholder = "") {
    auto* s = &tree_.signals.emplace_back();
    s->set_name(absl::StrCat(root()->name(), "/signals/s",
                             tree_.signals.size()));
    s->set_type(type);
    s->set_topic(topic);
    s->set_stakeholder(stakeholder);
    const absl::Time t = kAsOf - absl::Seconds(days_ago * 86400);
    s->mutable_occur_time()->set_seconds(absl::ToUnixSeconds(t));
    return s;
  }
  const AccountTree& tree() const { return tree_; }

 private:
  AccountTree tree_;
};

const v1::CheckResult& Check(const v1::Verdict& v, const std::string& id) {
  for (const auto& c : v.fit().checks()) {
    if (c.check_id() == id) return c;
  }
  static const v1::CheckResult* none = new v1::CheckResult();
  ADD_FAILURE() << "no check " << id;
  return *none;
}

const v1::RequirementStatus& Requirement(const v1::Verdict& v,
                                         const std::string& id) {
  for (const auto& r : v.committee().requirements()) {
    if (r.requirement_id() == id) return r;
  }
  static const v1::RequirementStatus* none = new v1::RequirementStatus();
  ADD_FAILURE() << "no requirement " << id;
  return *none;
}

// ------------------------------------------------------------------- fit

struct FitCase {
  std::string name;
  std::function<void(v1::Site*)> set;
  std::string check;
  v1::FitResult result;
  std::string value;
};

class FitCheckTest : public ::testing::TestWithParam<FitCase> {};

TEST_P(FitCheckTest, JudgesOneAttributeOfTheSite) {
  const FitCase& c = GetParam();
  TreeBuilder b;
  b.root()->clear_facility_type();
  v1::Site* site = b.Site("accounts/root", "lab");
  c.set(site);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  const v1::CheckResult& r = Check(v, c.check);
  EXPECT_EQ(r.result(), c.result) << c.name;
  EXPECT_EQ(r.value(), c.value) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    EveryCheckType, FitCheckTest,
    ::testing::Values(
        FitCase{"country in region", [](v1::Site*) {}, "geo",
                v1::FIT_RESULT_PASS, "US"},
        FitCase{"country outside",
                [](v1::Site* s) { s->set_country_code("FR"); }, "geo",
                v1::FIT_RESULT_FAIL, "FR"},
        FitCase{"subdivision in region",
                [](v1::Site* s) {
                  s->set_country_code("DE");
                  s->set_subdivision_code("DE-BY");
                },
                "geo", v1::FIT_RESULT_PASS, "DE-BY"},
        FitCase{"other subdivision",
                [](v1::Site* s) {
                  s->set_country_code("DE");
                  s->set_subdivision_code("DE-BE");
                },
                "geo", v1::FIT_RESULT_FAIL, "DE-BE"},
        FitCase{"type allowed",
                [](v1::Site* s) {
                  s->set_facility_type(v1::FACILITY_TYPE_REFERENCE_LAB);
                },
                "type", v1::FIT_RESULT_PASS, "REFERENCE_LAB"},
        FitCase{"type refused",
                [](v1::Site* s) {
                  s->set_facility_type(v1::FACILITY_TYPE_BLOOD_BANK);
                },
                "type", v1::FIT_RESULT_FAIL, "BLOOD_BANK"},
        FitCase{"type unknown", [](v1::Site*) {}, "type",
                v1::FIT_RESULT_UNKNOWN, ""},
        FitCase{"scope matches",
                [](v1::Site* s) { s->add_testing_scopes("molecular"); },
                "scope", v1::FIT_RESULT_PASS, "molecular"},
        FitCase{"scope differs",
                [](v1::Site* s) { s->add_testing_scopes("hematology"); },
                "scope", v1::FIT_RESULT_FAIL, "hematology"},
        FitCase{"scope unknown", [](v1::Site*) {}, "scope",
                v1::FIT_RESULT_UNKNOWN, ""},
        FitCase{"volume inside",
                [](v1::Site* s) { s->set_annual_test_volume(2000); }, "volume",
                v1::FIT_RESULT_PASS, "2000"},
        FitCase{"volume above max",
                [](v1::Site* s) { s->set_annual_test_volume(9000); }, "volume",
                v1::FIT_RESULT_FAIL, "9000"},
        FitCase{"volume zero is known",
                [](v1::Site* s) { s->set_annual_test_volume(0); }, "volume",
                v1::FIT_RESULT_FAIL, "0"},
        FitCase{"volume unknown", [](v1::Site*) {}, "volume",
                v1::FIT_RESULT_UNKNOWN, ""},
        FitCase{"accreditation ignores case",
                [](v1::Site* s) { s->add_accreditations("cap"); },
                "accreditation", v1::FIT_RESULT_PASS, "cap"},
        FitCase{"accreditation missing",
                [](v1::Site* s) { s->add_accreditations("ISO 15189"); },
                "accreditation", v1::FIT_RESULT_FAIL, "ISO 15189"},
        FitCase{"system by vendor substring",
                [](v1::Site* s) { s->add_current_systems("Epic Beaker"); },
                "systems", v1::FIT_RESULT_PASS, "Epic Beaker"},
        FitCase{"system differs",
                [](v1::Site* s) { s->add_current_systems("Sunquest"); },
                "systems", v1::FIT_RESULT_FAIL, "Sunquest"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(FitTest, SiteInheritsWhatItDoesNotSetFromItsAccount) {
  TreeBuilder b;
  b.root()->set_annual_test_volume(3000);
  v1::Site* site = b.Site("accounts/root", "lab");
  site->set_facility_type(v1::FACILITY_TYPE_REFERENCE_LAB);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(Check(v, "volume").source(), "accounts/root");
  EXPECT_EQ(Check(v, "type").source(), "accounts/root/sites/lab");
  EXPECT_EQ(Check(v, "geo").source(), "accounts/root");
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_PASS);
  EXPECT_EQ(v.fit().fitting_sites(0), "accounts/root/sites/lab");
}

TEST(FitTest, TwoHalfFittingSitesNeverAddUpToAFittingAccount) {
  TreeBuilder b;
  v1::Site* wrong_country = b.Site("accounts/root", "a");
  wrong_country->set_country_code("FR");  // Type passes (inherited).
  v1::Site* wrong_type = b.Site("accounts/root", "b");
  wrong_type->set_facility_type(v1::FACILITY_TYPE_BLOOD_BANK);  // Geo passes.
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_FAIL);
  EXPECT_EQ(v.fit().fitting_sites_size(), 0);
  // Each check passes somewhere, so the account-level checks pass.
  EXPECT_EQ(Check(v, "geo").result(), v1::FIT_RESULT_PASS);
  EXPECT_EQ(Check(v, "type").result(), v1::FIT_RESULT_PASS);
}

TEST(FitTest, UnknownWhenNoSiteFailsButOneLacksAFactAndNamesIt) {
  TreeBuilder b;
  b.root()->clear_facility_type();
  b.Site("accounts/root", "a")->set_country_code("FR");  // Fails geo.
  b.Site("accounts/root", "b");                          // Type unknown.
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_UNKNOWN);
  ASSERT_EQ(v.fit().facts_to_gather_size(), 1);
  EXPECT_EQ(v.fit().facts_to_gather(0), "facility_type of accounts/root");
}

// An UNKNOWN check says which record the missing value was expected on:
// the account a site inherits it from, the same for every attribute (the
// annual volume once named the site, the others the account).
TEST(FitTest, AnUnknownCheckNamesTheAccountTheSiteWouldInheritFrom) {
  TreeBuilder b;
  b.root()->clear_country_code();
  b.root()->clear_subdivision_code();
  b.root()->clear_facility_type();
  b.root()->clear_annual_test_volume();
  b.root()->clear_testing_scopes();
  b.root()->clear_accreditations();
  b.root()->clear_current_systems();
  // The site gives a subdivision but no country: the country is missing.
  b.Site("accounts/root", "lab")->set_subdivision_code("DE-BY");
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  ASSERT_EQ(v.fit().sites_size(), 1);
  for (const std::string id :
       {"geo", "type", "scope", "volume", "accreditation", "systems"}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(Check(v, id).result(), v1::FIT_RESULT_UNKNOWN);
    EXPECT_EQ(Check(v, id).source(), "accounts/root");
    bool found = false;
    for (const auto& c : v.fit().sites(0).checks()) {
      if (c.check_id() != id) continue;
      found = true;
      EXPECT_EQ(c.result(), v1::FIT_RESULT_UNKNOWN);
      EXPECT_EQ(c.source(), "accounts/root");
    }
    EXPECT_TRUE(found);
  }
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_UNKNOWN);
  EXPECT_EQ(std::vector<std::string>(v.fit().facts_to_gather().begin(),
                                     v.fit().facts_to_gather().end()),
            (std::vector<std::string>{"country_code of accounts/root",
                                      "facility_type of accounts/root"}));
}

TEST(FitTest, AccountsWithoutSitesAreJudgedAsOneSiteButParentsAreNot) {
  TreeBuilder b;
  b.root()->set_facility_type(v1::FACILITY_TYPE_HEALTH_SYSTEM);  // Not allowed.
  b.Child("hospital", "accounts/root");
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  ASSERT_EQ(v.fit().sites_size(), 1);
  EXPECT_EQ(v.fit().sites(0).site(), "accounts/hospital");
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_PASS);
}

// ---------------------------------------------------------------- intent

TEST(IntentTest, PointsHalveEveryHalfLife) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 10);  // One half-life.
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  ASSERT_EQ(v.intent().signals_size(), 1);
  EXPECT_DOUBLE_EQ(v.intent().signals(0).decayed_points(), 20);
  EXPECT_DOUBLE_EQ(v.intent().score(), 20);
  EXPECT_FALSE(v.intent().high());  // Evaluation, but under 30.
}

TEST(IntentTest, CapLimitsWhatOneSignalTypeAddsUp) {
  TreeBuilder b;
  for (int i = 0; i < 10; ++i) b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 0);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_DOUBLE_EQ(v.intent().score(), 5);
  EXPECT_EQ(v.intent().signals_size(), 10);
}

TEST(IntentTest, TopicSpecificWeightWinsOverTheGenericOne) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0, v1::SIGNAL_TOPIC_VALIDATION);
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0, v1::SIGNAL_TOPIC_WORKFLOW);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_DOUBLE_EQ(v.intent().score(), 35);
  EXPECT_TRUE(v.intent().high());  // The validation download is an evaluation.
}

TEST(IntentTest, HighIntentNeedsAnEvaluationSignalInTheWindow) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 31);  // Outside the 30-day window.
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0);
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0);
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_GE(v.intent().score(), 30);
  EXPECT_FALSE(v.intent().evaluation_signal_in_window());
  EXPECT_FALSE(v.intent().high());
}

TEST(IntentTest, SignalsAreListedNewestFirst) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 5);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  ASSERT_EQ(v.intent().signals_size(), 2);
  EXPECT_EQ(v.intent().signals(0).type(), v1::SIGNAL_TYPE_DEMO_REQUEST);
}

// Verdict views: BASIC bounds the listed signals, FULL lists them all.

TEST(VerdictViewTest, BasicViewListsTheStrongestSignalsNewestFirst) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 1);          // 1.87 pts
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 20);      // 10 pts
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 2);   // 8.71 pts
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 40);      // 2.5 pts
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 30);  // 1.25 pts
  v1::Policy policy = MakePolicy();
  policy.mutable_intent()->set_max_listed_signals(2);
  const v1::Verdict v = Qualify(b.tree(), policy, 1, kAsOf);
  ASSERT_EQ(v.intent().signals_size(), 2);
  // The two with the most decayed points, in the list's newest-first order.
  EXPECT_EQ(v.intent().signals(0).signal(), "accounts/root/signals/s3");
  EXPECT_EQ(v.intent().signals(1).signal(), "accounts/root/signals/s2");
  EXPECT_EQ(v.intent().signals_considered(), 5);
}

TEST(VerdictViewTest, FullViewListsEveryContributingSignal) {
  TreeBuilder b;
  for (int i = 0; i < 30; ++i) b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, i);
  const v1::Verdict full =
      Qualify(b.tree(), MakePolicy(), 1, kAsOf, v1::VERDICT_VIEW_FULL);
  EXPECT_EQ(full.intent().signals_size(), 30);
  EXPECT_EQ(full.intent().signals_considered(), 30);
}

TEST(VerdictViewTest, DefaultLimitIsTwentySignals) {
  TreeBuilder b;
  for (int i = 0; i < 30; ++i) b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, i);
  const v1::Verdict basic = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(basic.intent().signals_size(), 20);
  EXPECT_EQ(basic.intent().signals_considered(), 30);
  // Newest (strongest) first: day 0 to day 19.
  EXPECT_EQ(basic.intent().signals(0).signal(), "accounts/root/signals/s1");
  EXPECT_EQ(basic.intent().signals(19).signal(), "accounts/root/signals/s20");
}

TEST(VerdictViewTest, ViewsDifferOnlyInTheListedSignals) {
  TreeBuilder b;
  auto* director =
      b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  for (int i = 0; i < 40; ++i) {
    b.Signal(i % 3 ? v1::SIGNAL_TYPE_PAGE_VIEW : v1::SIGNAL_TYPE_DEMO_REQUEST,
             i * 0.7, v1::SIGNAL_TOPIC_GENERAL, i % 2 ? director->name() : "");
  }
  v1::Verdict basic = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  v1::Verdict full =
      Qualify(b.tree(), MakePolicy(), 1, kAsOf, v1::VERDICT_VIEW_FULL);
  EXPECT_LT(basic.intent().signals_size(), full.intent().signals_size());
  basic.mutable_intent()->clear_signals();
  full.mutable_intent()->clear_signals();
  EXPECT_EQ(basic.SerializeAsString(), full.SerializeAsString());
}

TEST(VerdictViewTest, TypeTotalsAddUpToTheScore) {
  TreeBuilder b;
  for (int i = 0; i < 10; ++i) b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 0);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 10);
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0);
  const v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  ASSERT_EQ(v.intent().type_totals_size(), 3);
  double sum = 0;
  for (const auto& t : v.intent().type_totals()) sum += t.points();
  EXPECT_NEAR(sum, v.intent().score(), 0.02);
  // In type order; page views capped at 5 points over 10 signals.
  EXPECT_EQ(v.intent().type_totals(0).type(), v1::SIGNAL_TYPE_DEMO_REQUEST);
  EXPECT_EQ(v.intent().type_totals(2).type(), v1::SIGNAL_TYPE_PAGE_VIEW);
  EXPECT_EQ(v.intent().type_totals(2).count(), 10);
  EXPECT_DOUBLE_EQ(v.intent().type_totals(2).points(), 5);
}

// ------------------------------------------------------------- committee

TEST(CommitteeTest, EngagementBelowTheMinimumOnlyNearlyMeets) {
  TreeBuilder b;
  std::string qa = b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY)
                       ->name();
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_FALSE(Requirement(v, "quality").met());
  EXPECT_EQ(Requirement(v, "quality").nearly_met_by(0), qa);
  EXPECT_NE(Requirement(v, "quality").missing().find("ENGAGED"),
            std::string::npos);
}

TEST(CommitteeTest, AnEvaluationSignalMakesItsStakeholderEngaged) {
  TreeBuilder b;
  std::string qa = b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY)
                       ->name();
  const v1::Signal* demo =
      b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 3, v1::SIGNAL_TOPIC_GENERAL, qa);
  const std::string demo_name = demo->name();
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_TRUE(Requirement(v, "quality").met());
  ASSERT_EQ(v.committee().engagements_size(), 1);
  const auto& e = v.committee().engagements(0);
  EXPECT_EQ(e.stakeholder(), qa);
  EXPECT_EQ(e.stored(), v1::ENGAGEMENT_IDENTIFIED);
  EXPECT_EQ(e.effective(), v1::ENGAGEMENT_ENGAGED);
  EXPECT_EQ(e.raised_by(), demo_name);
}

TEST(CommitteeTest, AnEngagementSignalOutsideTheWindowDoesNot) {
  TreeBuilder b;
  std::string qa = b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY)
                       ->name();
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 40, v1::SIGNAL_TOPIC_GENERAL, qa);
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 1, v1::SIGNAL_TOPIC_GENERAL, qa);
  EXPECT_FALSE(
      Requirement(Qualify(b.tree(), MakePolicy(), 1, kAsOf), "quality").met());
}

TEST(CommitteeTest, BlockersNeverMeetAndAreListed) {
  TreeBuilder b;
  std::string qa = b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
                            v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_BLOCKER)
                       ->name();
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1, v1::SIGNAL_TOPIC_GENERAL, qa);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_FALSE(Requirement(v, "quality").met());
  ASSERT_EQ(v.committee().blockers_size(), 1);
  EXPECT_EQ(v.committee().blockers(0), qa);
}

TEST(CommitteeTest, CoverageCountsOnlyApplicableRequirements) {
  TreeBuilder b;
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  v1::Verdict early = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_FALSE(Requirement(early, "procurement").applicable());
  EXPECT_DOUBLE_EQ(early.committee().coverage(), 0.5);  // director of 2.
  b.root()->set_evaluation_stage(v1::EVALUATION_STAGE_PROCUREMENT);
  v1::Verdict late = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_TRUE(Requirement(late, "procurement").applicable());
  EXPECT_NEAR(late.committee().coverage(), 1.0 / 3, 1e-4);
}

TEST(CommitteeTest, StageAndTimelineRollUpOverTheSubtree) {
  TreeBuilder b;
  b.root()->set_evaluation_stage(v1::EVALUATION_STAGE_RESEARCH);
  auto* child = b.Child("hospital", "accounts/root");
  child->set_evaluation_stage(v1::EVALUATION_STAGE_PILOT);
  child->mutable_decision_time()->set_seconds(1790000000);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(v.stage(), v1::EVALUATION_STAGE_PILOT);
  EXPECT_EQ(v.decision_time().seconds(), 1790000000);
}

TEST(CommitteeTest, DecisionOwnerNeedsAConfirmedRole) {
  TreeBuilder b;
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR,
           v1::ROLE_SOURCE_INFERRED, v1::ENGAGEMENT_CHAMPION);
  EXPECT_EQ(Qualify(b.tree(), MakePolicy(), 1, kAsOf).committee()
                .decision_owner(),
            "");
  std::string confirmed = b.Person("accounts/root", "dir2",
                                   v1::COMMITTEE_ROLE_LAB_DIRECTOR)
                              ->name();
  EXPECT_EQ(Qualify(b.tree(), MakePolicy(), 1, kAsOf).committee()
                .decision_owner(),
            confirmed);
}

TEST(CommitteeTest, IntroductionPathIsTheShortestFromAnEngagedPerson) {
  TreeBuilder b;
  const std::string r = "accounts/root/stakeholders/";
  b.Person("accounts/root", "champ", v1::COMMITTEE_ROLE_LAB_OPERATIONS,
           v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_CHAMPION);
  b.Person("accounts/root", "a", v1::COMMITTEE_ROLE_UNSPECIFIED);
  b.Person("accounts/root", "b", v1::COMMITTEE_ROLE_UNSPECIFIED);
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY);
  b.Relate(r + "champ", r + "a");
  b.Relate(r + "a", r + "b");
  b.Relate(r + "b", r + "qa");
  b.Relate(r + "qa", r + "a");  // Direction does not matter: a -- qa.
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  const auto& intro = Requirement(v, "quality").introduction();
  EXPECT_EQ(std::vector<std::string>(intro.path().begin(), intro.path().end()),
            (std::vector<std::string>{r + "champ", r + "a", r + "qa"}));
}

// ------------------------------------------------------------ conditions

struct ConditionCase {
  std::string name;
  std::string condition;  // Text format of a Condition.
  bool holds;
};

class ConditionTest : public ::testing::TestWithParam<ConditionCase> {};

// The facts: fit PASS, one fresh demo request (high intent, evaluation on
// GENERAL), director met, quality not, stage PILOT, no timeline, a confirmed
// decision owner.
TEST_P(ConditionTest, RoutesWhenTheConditionHolds) {
  const ConditionCase& c = GetParam();
  TreeBuilder b;
  b.root()->set_evaluation_stage(v1::EVALUATION_STAGE_PILOT);
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1);
  v1::Verdict v = Qualify(
      b.tree(),
      MakePolicy(absl::StrCat(
          "routing_rules { id: \"r\" reason: \"because\" route: "
          "ROUTE_SALES_DISCOVERY next_step: \"go\" when { ",
          c.condition, " } }")),
      1, kAsOf);
  EXPECT_EQ(v.decided_by() == "r", c.holds) << c.name;
  if (c.holds) {
    EXPECT_EQ(v.route(), v1::ROUTE_SALES_DISCOVERY);
    EXPECT_EQ(v.reasons(0).rule_id(), "r");
    EXPECT_FALSE(v.reasons(0).evidence().empty()) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryLeafAndCombinator, ConditionTest,
    ::testing::Values(
        ConditionCase{"fit", "fit: FIT_RESULT_PASS", true},
        ConditionCase{"fit_other", "fit: FIT_RESULT_UNKNOWN", false},
        ConditionCase{"fit_check",
                      "fit_check { check_id: \"geo\" result: FIT_RESULT_PASS }",
                      true},
        ConditionCase{"fit_check_unknown",
                      "fit_check { check_id: \"scope\" result: FIT_RESULT_PASS }",
                      false},
        ConditionCase{"intent_at_least", "intent_at_least: 30", true},
        ConditionCase{"intent_below", "intent_at_least: 50", false},
        ConditionCase{"high_intent", "high_intent: true", true},
        ConditionCase{"evaluation_any",
                      "evaluation_signal { within_days: 7 }", true},
        ConditionCase{"evaluation_topic",
                      "evaluation_signal { topic: SIGNAL_TOPIC_VALIDATION "
                      "within_days: 7 }",
                      false},
        ConditionCase{"coverage", "coverage_at_least: 0.5", true},
        ConditionCase{"coverage_high", "coverage_at_least: 0.9", false},
        ConditionCase{"requirement_met", "requirement_met: \"director\"", true},
        ConditionCase{"requirement_unmet", "requirement_met: \"quality\"",
                      false},
        ConditionCase{"stage", "stage_at_least: EVALUATION_STAGE_PILOT", true},
        ConditionCase{"stage_later",
                      "stage_at_least: EVALUATION_STAGE_PROCUREMENT", false},
        ConditionCase{"timeline", "timeline_known: true", false},
        ConditionCase{"timeline_unknown", "timeline_known: false", true},
        ConditionCase{"decision_owner", "decision_owner_known: true", true},
        ConditionCase{"only_types",
                      "only_signal_types { types: SIGNAL_TYPE_DEMO_REQUEST "
                      "within_days: 30 }",
                      true},
        ConditionCase{"only_other_types",
                      "only_signal_types { types: SIGNAL_TYPE_PAGE_VIEW "
                      "within_days: 30 }",
                      false},
        ConditionCase{"negate", "negate { requirement_met: \"quality\" }",
                      true},
        ConditionCase{"all_of",
                      "all_of { conditions { fit: FIT_RESULT_PASS } "
                      "conditions { high_intent: true } }",
                      true},
        ConditionCase{"all_of_one_false",
                      "all_of { conditions { fit: FIT_RESULT_PASS } "
                      "conditions { timeline_known: true } }",
                      false},
        ConditionCase{"any_of",
                      "any_of { conditions { timeline_known: true } "
                      "conditions { high_intent: true } }",
                      true},
        ConditionCase{"any_of_none",
                      "any_of { conditions { timeline_known: true } "
                      "conditions { fit: FIT_RESULT_FAIL } }",
                      false}),
    [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------- routing

TEST(RoutingTest, DisqualifyRulesComeBeforeRoutingRules) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1);
  v1::Verdict v = Qualify(
      b.tree(),
      MakePolicy(R"pb(
        disqualify_rules { id: "no" reason: "not now" when { high_intent: true } }
        routing_rules {
          id: "yes" reason: "go" route: ROUTE_SALES_DISCOVERY next_step: "call"
          when { high_intent: true }
        }
      )pb"),
      1, kAsOf);
  EXPECT_EQ(v.route(), v1::ROUTE_DISQUALIFY);
  EXPECT_EQ(v.decided_by(), "no");
  EXPECT_EQ(v.reasons(0).text(), "not now");
}

TEST(RoutingTest, FirstMatchingRoutingRuleWins) {
  TreeBuilder b;
  v1::Verdict v = Qualify(
      b.tree(),
      MakePolicy(R"pb(
        routing_rules {
          id: "first" reason: "a" route: ROUTE_RESEARCH next_step: "x"
          when { fit: FIT_RESULT_PASS }
        }
        routing_rules {
          id: "second" reason: "b" route: ROUTE_SALES_DISCOVERY next_step: "y"
          when { fit: FIT_RESULT_PASS }
        }
      )pb"),
      1, kAsOf);
  EXPECT_EQ(v.decided_by(), "first");
  EXPECT_EQ(v.next_step(), "x");
}

TEST(RoutingTest, NoMatchNurturesOnTheTrackOfAnOpenGapFirst) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 1, v1::SIGNAL_TOPIC_WORKFLOW);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  EXPECT_EQ(v.route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(v.decided_by(), "default");
  EXPECT_EQ(v.nurture_track(), "validation");  // The quality gap is open.

  // With quality met, the recent workflow topic picks the track.
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
           v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_ENGAGED);
  EXPECT_EQ(Qualify(b.tree(), MakePolicy(), 1, kAsOf).nurture_track(),
            "workflow");
}

TEST(QuestionsTest, SuggestedByRouteGapAndTopicWithTheReason) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 1, v1::SIGNAL_TOPIC_INTEGRATION);
  v1::Verdict v = Qualify(
      b.tree(),
      MakePolicy(R"pb(
        questions { id: "q-route" text: "r?" routes: ROUTE_NURTURE }
        questions { id: "q-gap" text: "g?" gaps: "quality" }
        questions { id: "q-topic" text: "t?" topics: SIGNAL_TOPIC_INTEGRATION }
        questions { id: "q-never" text: "n?" routes: ROUTE_DISQUALIFY }
      )pb"),
      1, kAsOf);
  ASSERT_EQ(v.questions_size(), 3);
  EXPECT_EQ(v.questions(0).because(), "route NURTURE");
  EXPECT_EQ(v.questions(1).because(), "gap quality");
  EXPECT_EQ(v.questions(2).because(), "recent signals on INTEGRATION");
}

TEST(ReadinessTest, WeighsFitIntentAndCoverage) {
  TreeBuilder b;  // Fit PASS (1), no intent (0), coverage 0 of 2.
  EXPECT_EQ(Qualify(b.tree(), MakePolicy(), 1, kAsOf).readiness(), 25);
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 0);  // 40 >= 30: intent 1.
  // (1*1 + 1*1 + 2*0.5) / 4 = 0.75.
  EXPECT_EQ(Qualify(b.tree(), MakePolicy(), 1, kAsOf).readiness(), 75);
}

TEST(DeterminismTest, SameInputsGiveByteIdenticalVerdicts) {
  TreeBuilder b;
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY);
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 3);
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 3);
  const v1::Policy policy = DefaultPolicy();
  const std::string first = Qualify(b.tree(), policy, 7, kAsOf).SerializeAsString();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Qualify(b.tree(), policy, 7, kAsOf).SerializeAsString(), first);
  }
  v1::Verdict v = Qualify(b.tree(), policy, 7, kAsOf);
  EXPECT_EQ(v.policy_revision(), 7);
  EXPECT_EQ(absl::FromUnixSeconds(v.as_of().seconds()), kAsOf);
}

// ------------------------------------------------------------------ plan

// A tree where every part of the plan matters: two hospitals, sites with
// and without facts, holders of every requirement at every engagement, a
// blocker, inferred and confirmed decision roles, relationship paths, a
// decision time, and signals (some by stakeholders) over a year.
TreeBuilder RichTree() {
  TreeBuilder b;
  const std::string r = "accounts/root/stakeholders/";
  b.Child("h1", "accounts/root")
      ->set_evaluation_stage(v1::EVALUATION_STAGE_PROCUREMENT);
  b.Child("h2", "accounts/root")->clear_country_code();
  b.Site("accounts/h1", "main")->set_country_code("DE");
  b.Site("accounts/h1", "lab")->set_subdivision_code("DE-BY");
  b.Site("accounts/h2", "north");
  b.root()->mutable_decision_time()->set_seconds(absl::ToUnixSeconds(kAsOf) +
                                                 86400 * 90);
  b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR,
           v1::ROLE_SOURCE_INFERRED)
      ->set_title("Laboratory Director");
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY);
  b.Person("accounts/root", "qa2", v1::COMMITTEE_ROLE_QUALITY,
           v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_BLOCKER);
  b.Person("accounts/root", "buyer", v1::COMMITTEE_ROLE_PROCUREMENT,
           v1::ROLE_SOURCE_INFERRED, v1::ENGAGEMENT_UNSPECIFIED);
  b.Person("accounts/root", "champ", v1::COMMITTEE_ROLE_LAB_OPERATIONS,
           v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_CHAMPION);
  b.Person("accounts/root", "a", v1::COMMITTEE_ROLE_UNSPECIFIED);
  b.Relate(r + "champ", r + "a");
  b.Relate(r + "a", r + "qa");
  b.Relate(r + "buyer", r + "a");
  for (int i = 0; i < 60; ++i) {
    b.Signal(static_cast<v1::SignalType>(1 + i % 13), i * 6.5,
             static_cast<v1::SignalTopic>(1 + i % 6),
             i % 3 == 0 ? r + "qa" : (i % 3 == 1 ? r + "buyer" : ""));
  }
  return b;
}

TEST(PlanTest, OnePlanGivesEveryAsOfAndViewTheVerdictOfTheMap) {
  const TreeBuilder b = RichTree();
  for (const v1::Policy& policy : {MakePolicy(), DefaultPolicy()}) {
    const auto history = SignalHistory::Build(
        b.tree().signals, absl::Seconds(policy.intent().half_life().seconds()));
    const auto plan = PlanQualification(b.tree().map, policy);
    for (int days : {-400, -90, -30, -1, 0, 1, 20, 45, 200, 400}) {
      const absl::Time as_of = kAsOf + absl::Hours(24) * days;
      for (auto view : {v1::VERDICT_VIEW_BASIC, v1::VERDICT_VIEW_FULL}) {
        EXPECT_EQ(Qualify(*plan, *history, 3, as_of, view).SerializeAsString(),
                  Qualify(b.tree().map, *history, policy, 3, as_of, view)
                      .SerializeAsString())
            << "days " << days << " view " << view;
      }
    }
  }
}

TEST(PlanTest, IntoAVerdictOnAnArenaItIsTheSameVerdict) {
  const TreeBuilder b = RichTree();
  const v1::Policy policy = MakePolicy();
  const auto history = SignalHistory::Build(
      b.tree().signals, absl::Seconds(policy.intent().half_life().seconds()));
  const auto plan = PlanQualification(b.tree().map, policy);
  google::protobuf::Arena arena;
  auto* out = google::protobuf::Arena::CreateMessage<v1::Verdict>(&arena);
  out->set_account("left over from before");
  out->add_gaps()->set_id("stale");
  for (auto view : {v1::VERDICT_VIEW_BASIC, v1::VERDICT_VIEW_FULL}) {
    Qualify(*plan, *history, 2, kAsOf, view, out);
    EXPECT_EQ(out->SerializeAsString(),
              Qualify(b.tree().map, *history, policy, 2, kAsOf, view)
                  .SerializeAsString());
  }
}

TEST(PlanTest, APlanDoesNotDependOnTheSignals) {
  TreeBuilder b = RichTree();
  const v1::Policy policy = MakePolicy();
  const absl::Duration half_life =
      absl::Seconds(policy.intent().half_life().seconds());
  const auto plan = PlanQualification(b.tree().map, policy);
  const auto before = SignalHistory::Build(b.tree().signals, half_life);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1, v1::SIGNAL_TOPIC_GENERAL,
           "accounts/root/stakeholders/dir");
  const auto after = SignalHistory::Build(b.tree().signals, half_life);
  const v1::Verdict from_plan = Qualify(*plan, *after, 1, kAsOf);
  EXPECT_EQ(
      from_plan.SerializeAsString(),
      Qualify(b.tree().map, *after, policy, 1, kAsOf).SerializeAsString());
  EXPECT_NE(from_plan.SerializeAsString(),
            Qualify(*plan, *before, 1, kAsOf).SerializeAsString())
      << "the new evaluation signal counts";
}

TEST(PlanTest, ItsBytesAreBoundedByTheMapsOwn) {
  const TreeBuilder b = RichTree();
  const auto plan = PlanQualification(b.tree().map, DefaultPolicy());
  EXPECT_GT(ApproximateBytes(*plan), 0u);
  EXPECT_LE(ApproximateBytes(*plan), b.tree().map.SpaceUsedLong());
}

// -------------------------------------------------------------- solutions

// The base policy with a middleware solution sold to informatics, needing
// Epic, interested in integration; and an analyzer that keeps the policy's
// committee and fit checks.
v1::Policy SolutionsPolicy(const std::string& extra = "") {
  return MakePolicy(R"pb(
                      solutions {
                        id: "middleware"
                        requirements {
                          id: "informatics"
                          roles: COMMITTEE_ROLE_INFORMATICS
                          min_engagement: ENGAGEMENT_IDENTIFIED
                        }
                        fit_checks {
                          id: "geo"
                          must_have: true
                          geography { regions: "home" }
                        }
                        fit_checks {
                          id: "systems"
                          must_have: true
                          current_systems { any_of: [ "Epic" ] }
                        }
                        intent_topics: SIGNAL_TOPIC_INTEGRATION
                      }
                      solutions { id: "analyzer" }
                    )pb" +
                    extra);
}

v1::Verdict QualifyFor(const TreeBuilder& b, const v1::Policy& policy,
                       const std::string& solution) {
  absl::StatusOr<v1::Policy> judged = PolicyForSolution(policy, solution);
  EXPECT_TRUE(judged.ok()) << judged.status();
  return Qualify(b.tree(), *judged, 1, kAsOf);
}

std::vector<std::string> RequirementIds(const v1::Verdict& v) {
  std::vector<std::string> ids;
  for (const auto& r : v.committee().requirements()) {
    ids.push_back(r.requirement_id());
  }
  return ids;
}

TEST(SolutionTest, ASolutionIsJudgedOnItsOwnCommittee) {
  TreeBuilder b;
  b.Person("accounts/root", "it", v1::COMMITTEE_ROLE_INFORMATICS);
  const v1::Policy policy = SolutionsPolicy();
  v1::Verdict account = Qualify(b.tree(), policy, 1, kAsOf);
  v1::Verdict middleware = QualifyFor(b, policy, "middleware");
  EXPECT_EQ(RequirementIds(account),
            (std::vector<std::string>{"director", "quality", "procurement"}));
  EXPECT_EQ(RequirementIds(middleware),
            (std::vector<std::string>{"informatics"}));
  EXPECT_TRUE(Requirement(middleware, "informatics").met());
  EXPECT_DOUBLE_EQ(middleware.committee().coverage(), 1);
  EXPECT_DOUBLE_EQ(account.committee().coverage(), 0);
}

TEST(SolutionTest, ASolutionsFitChecksReplaceThePolicys) {
  TreeBuilder b;
  b.root()->add_current_systems("Cerner");
  const v1::Policy policy = SolutionsPolicy();
  v1::Verdict account = Qualify(b.tree(), policy, 1, kAsOf);
  v1::Verdict middleware = QualifyFor(b, policy, "middleware");
  EXPECT_EQ(account.fit().result(), v1::FIT_RESULT_PASS);
  EXPECT_EQ(middleware.fit().result(), v1::FIT_RESULT_FAIL);
  EXPECT_EQ(middleware.fit().checks_size(), 2);
  EXPECT_EQ(Check(middleware, "systems").result(), v1::FIT_RESULT_FAIL);
}

TEST(SolutionTest, OnlyItsTopicsAndGeneralSignalsShowInterestInIt) {
  TreeBuilder b;
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0, v1::SIGNAL_TOPIC_VALIDATION);
  b.Signal(v1::SIGNAL_TYPE_CONTENT_DOWNLOAD, 0, v1::SIGNAL_TOPIC_INTEGRATION);
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 0, v1::SIGNAL_TOPIC_GENERAL);
  b.Signal(v1::SIGNAL_TYPE_PAGE_VIEW, 0, v1::SIGNAL_TOPIC_UNSPECIFIED);
  const v1::Policy policy = SolutionsPolicy();
  // 25 (validation download) + 10 (integration download) + 2 + 2.
  EXPECT_DOUBLE_EQ(Qualify(b.tree(), policy, 1, kAsOf).intent().score(), 39);
  v1::Verdict middleware = QualifyFor(b, policy, "middleware");
  EXPECT_DOUBLE_EQ(middleware.intent().score(), 14);
  EXPECT_EQ(middleware.intent().signals_size(), 3);
  EXPECT_FALSE(middleware.intent().high());
}

TEST(SolutionTest, WhatASolutionLeavesOutComesFromThePolicy) {
  TreeBuilder b;
  b.Person("accounts/root", "director", v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  b.Signal(v1::SIGNAL_TYPE_DEMO_REQUEST, 1, v1::SIGNAL_TOPIC_VALIDATION);
  const v1::Policy policy = SolutionsPolicy();
  v1::Verdict account = Qualify(b.tree(), policy, 1, kAsOf);
  v1::Verdict analyzer = QualifyFor(b, policy, "analyzer");
  EXPECT_EQ(analyzer.SerializeAsString(), account.SerializeAsString());
}

TEST(SolutionTest, ARuleOnAnotherSolutionsRequirementDoesNotHold) {
  TreeBuilder b;
  b.Person("accounts/root", "it", v1::COMMITTEE_ROLE_INFORMATICS);
  const v1::Policy policy = SolutionsPolicy(R"pb(
    routing_rules {
      id: "informatics-known"
      reason: "IT is on board"
      route: ROUTE_SALES_DISCOVERY
      next_step: "call"
      when { requirement_met: "informatics" }
    }
  )pb");
  EXPECT_EQ(QualifyFor(b, policy, "middleware").decided_by(),
            "informatics-known");
  v1::Verdict account = Qualify(b.tree(), policy, 1, kAsOf);
  EXPECT_EQ(account.decided_by(), "default");
}

TEST(SolutionTest, ARuleOnAnIdTheVerdictLacksIsSkippedNegatedOrNot) {
  TreeBuilder b;
  const v1::Policy policy = SolutionsPolicy(R"pb(
    routing_rules {
      id: "no-quality"
      reason: "nobody from quality"
      route: ROUTE_TECHNICAL_PRESALES
      next_step: "find them"
      when { negate { requirement_met: "quality" } }
    }
    routing_rules {
      id: "no-informatics"
      reason: "nobody from IT"
      route: ROUTE_RESEARCH
      next_step: "find them"
      when { negate { requirement_met: "informatics" } }
    }
  )pb");
  // The account has a quality requirement and nobody meets it; it has no
  // informatics requirement (only the middleware has).
  v1::Verdict account = Qualify(b.tree(), policy, 1, kAsOf);
  EXPECT_EQ(account.decided_by(), "no-quality");
  // The middleware has no quality requirement: that rule says nothing
  // about it, and the next one decides.
  EXPECT_EQ(QualifyFor(b, policy, "middleware").decided_by(), "no-informatics");
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
           v1::ROLE_SOURCE_CONFIRMED, v1::ENGAGEMENT_ENGAGED);
  EXPECT_EQ(Qualify(b.tree(), policy, 1, kAsOf).decided_by(), "default");
}

TEST(SolutionTest, AnUnknownSolutionIsRefusedNamingThePolicysSolutions) {
  absl::StatusOr<v1::Policy> judged =
      PolicyForSolution(SolutionsPolicy(), "reagents");
  ASSERT_EQ(judged.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(judged.status().ToString().find("solution"), std::string::npos);
  EXPECT_NE(judged.status().ToString().find("middleware, analyzer"),
            std::string::npos)
      << judged.status();
  EXPECT_EQ(PolicyForSolution(MakePolicy(), "reagents").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<v1::Policy> malformed =
      PolicyForSolution(SolutionsPolicy(), std::string(5000, 'X'));
  ASSERT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(malformed.status().ToString().size(), 300u);
}

TEST(SolutionTest, NoSolutionIsThePolicyItself) {
  const v1::Policy policy = SolutionsPolicy();
  absl::StatusOr<v1::Policy> judged = PolicyForSolution(policy, "");
  ASSERT_TRUE(judged.ok());
  EXPECT_EQ(judged->SerializeAsString(), policy.SerializeAsString());
}

// ------------------------------------------------------- role confidence

// MakePolicy() with a role confidence model, and `min_confidence` on the
// quality requirement.
v1::Policy ConfidencePolicy(double quality_min_confidence = 0.7) {
  v1::Policy policy = MakePolicy();
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        title_weight: 0.5
        crm_weight: 0.6
        likely_at: 0.7
        behaviours {
          id: "validation-webinar"
          description: "validation webinar"
          role: COMMITTEE_ROLE_QUALITY
          signal_types: SIGNAL_TYPE_WEBINAR_ATTENDED
          topics: SIGNAL_TOPIC_VALIDATION
          weight: 0.44
        }
        behaviours {
          id: "pricing"
          description: "pricing inquiries"
          role: COMMITTEE_ROLE_PROCUREMENT
          signal_types: SIGNAL_TYPE_PRICING_INQUIRY
          min_signals: 2
          weight: 0.3
        }
      )pb",
      policy.mutable_committee()->mutable_role_confidence()));
  for (auto& req : *policy.mutable_committee()->mutable_requirements()) {
    if (req.id() == "quality") req.set_min_confidence(quality_min_confidence);
  }
  Violations violations;
  ValidatePolicy(policy, "", &violations);
  EXPECT_TRUE(violations.empty()) << violations.ToStatus();
  return policy;
}

const v1::RoleHolding* Holding(const v1::Verdict& v, const std::string& who,
                               v1::CommitteeRole role) {
  for (const auto& h : v.committee().roles()) {
    if (h.stakeholder() == who && h.role() == role) return &h;
  }
  return nullptr;
}

std::vector<std::string> EvidenceTexts(const v1::RoleHolding& h) {
  std::vector<std::string> out;
  for (const auto& e : h.evidence()) out.push_back(e.text());
  return out;
}

constexpr char kQa[] = "accounts/root/stakeholders/qa";

TEST(RoleConfidenceTest, ATitleAndAValidationWebinarFuseIntoALikelyRole) {
  TreeBuilder b;
  v1::Stakeholder* qa =
      b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
               v1::ROLE_SOURCE_INFERRED, v1::ENGAGEMENT_ENGAGED);
  qa->set_title("QA Specialist");
  b.Signal(v1::SIGNAL_TYPE_WEBINAR_ATTENDED, 200, v1::SIGNAL_TOPIC_VALIDATION,
           kQa);
  v1::Verdict v = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  const v1::RoleHolding* h = Holding(v, kQa, v1::COMMITTEE_ROLE_QUALITY);
  ASSERT_NE(h, nullptr);
  EXPECT_DOUBLE_EQ(h->confidence(), 0.72);  // 1 - 0.5 * 0.56
  EXPECT_EQ(h->certainty(), v1::ROLE_CERTAINTY_LIKELY);
  EXPECT_EQ(EvidenceTexts(*h),
            (std::vector<std::string>{"title 'QA Specialist'",
                                      "validation webinar"}));
  EXPECT_EQ(h->evidence(0).source(), v1::ROLE_SOURCE_INFERRED);
  EXPECT_EQ(h->evidence(0).basis(), "quality");  // The title rule that fired.
  EXPECT_EQ(h->evidence(1).source(), v1::ROLE_SOURCE_BEHAVIOUR);
  EXPECT_EQ(h->evidence(1).basis(), "validation-webinar");
  EXPECT_EQ(h->evidence(1).signals_size(), 1);  // However old.
  EXPECT_TRUE(Requirement(v, "quality").met());
}

TEST(RoleConfidenceTest, AHolderLessSureThanTheRequirementAsksDoesNotCount) {
  TreeBuilder b;
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
           v1::ROLE_SOURCE_INFERRED, v1::ENGAGEMENT_ENGAGED)
      ->set_title("QA Specialist");
  v1::Verdict v = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  const v1::RequirementStatus& quality = Requirement(v, "quality");
  EXPECT_FALSE(quality.met());
  EXPECT_TRUE(quality.met_by().empty());
  EXPECT_EQ(std::vector<std::string>(quality.below_confidence().begin(),
                                     quality.below_confidence().end()),
            std::vector<std::string>{kQa});
  EXPECT_DOUBLE_EQ(quality.min_confidence(), 0.7);
  EXPECT_NE(quality.missing().find("with confidence 0.70 or more"),
            std::string::npos)
      << quality.missing();
  EXPECT_NE(quality.missing().find("holds it less surely: " + std::string(kQa) +
                                   " (0.50)"),
            std::string::npos)
      << quality.missing();
  const v1::RoleHolding* h = Holding(v, kQa, v1::COMMITTEE_ROLE_QUALITY);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->certainty(), v1::ROLE_CERTAINTY_POSSIBLE);
  bool suggested = false;
  for (const auto& gap : v.gaps()) {
    if (gap.id() == "quality") {
      suggested = gap.suggestion().find("Confirm whether " + std::string(kQa) +
                                        " holds QUALITY") != std::string::npos;
    }
  }
  EXPECT_TRUE(suggested);
  // With no minimum, the same holder counts, as before role confidence.
  EXPECT_TRUE(
      Requirement(Qualify(b.tree(), ConfidencePolicy(0), 1, kAsOf), "quality")
          .met());
}

TEST(RoleConfidenceTest, BehaviourAloneGivesAPossibleRole) {
  TreeBuilder b;
  b.Person("accounts/root", "buyer", v1::COMMITTEE_ROLE_UNSPECIFIED);
  const std::string buyer = "accounts/root/stakeholders/buyer";
  b.Signal(v1::SIGNAL_TYPE_PRICING_INQUIRY, 3, v1::SIGNAL_TOPIC_PRICING, buyer);
  v1::Verdict one = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  EXPECT_EQ(Holding(one, buyer, v1::COMMITTEE_ROLE_PROCUREMENT), nullptr)
      << "min_signals is 2";
  b.Signal(v1::SIGNAL_TYPE_PRICING_INQUIRY, 1, v1::SIGNAL_TOPIC_GENERAL, buyer);
  v1::Verdict two = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  const v1::RoleHolding* h =
      Holding(two, buyer, v1::COMMITTEE_ROLE_PROCUREMENT);
  ASSERT_NE(h, nullptr);
  EXPECT_DOUBLE_EQ(h->confidence(), 0.3);
  EXPECT_EQ(h->certainty(), v1::ROLE_CERTAINTY_POSSIBLE);
  ASSERT_EQ(h->evidence_size(), 1);
  EXPECT_EQ(h->evidence(0).signals_size(), 2);
  EXPECT_EQ(h->evidence(0).signals(0), "accounts/root/signals/s2")
      << "newest first";
  // Judged before the second inquiry, the pattern does not match yet.
  v1::Verdict earlier =
      Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf - absl::Hours(48));
  EXPECT_EQ(Holding(earlier, buyer, v1::COMMITTEE_ROLE_PROCUREMENT), nullptr);
}

TEST(RoleConfidenceTest, OnlyAConfirmationMakesADecisionOwner) {
  TreeBuilder b;
  v1::Stakeholder* d =
      b.Person("accounts/root", "dir", v1::COMMITTEE_ROLE_LAB_DIRECTOR,
               v1::ROLE_SOURCE_INFERRED);
  d->set_title("Laboratory Director");
  auto* crm = d->add_roles();
  crm->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  crm->set_source(v1::ROLE_SOURCE_CRM);
  crm->set_basis("Head of Department");
  const std::string dir = "accounts/root/stakeholders/dir";
  v1::Verdict v = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  const v1::RoleHolding* h = Holding(v, dir, v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  ASSERT_NE(h, nullptr);
  EXPECT_DOUBLE_EQ(h->confidence(), 0.8);
  EXPECT_EQ(EvidenceTexts(*h),
            (std::vector<std::string>{"CRM contact role 'Head of Department'",
                                      "title 'Laboratory Director'"}));
  EXPECT_TRUE(v.committee().decision_owner().empty());
  bool named = false;
  for (const auto& gap : v.gaps()) {
    if (gap.id() == "decision-owner") {
      named = gap.suggestion().find(
                  "LAB_DIRECTOR from the CRM contact role 'Head of "
                  "Department'") != std::string::npos;
    }
  }
  EXPECT_TRUE(named);
  auto* confirmed = d->add_roles();
  confirmed->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  confirmed->set_source(v1::ROLE_SOURCE_CONFIRMED);
  v1::Verdict after = Qualify(b.tree(), ConfidencePolicy(), 1, kAsOf);
  EXPECT_EQ(after.committee().decision_owner(), dir);
  const v1::RoleHolding* c =
      Holding(after, dir, v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  ASSERT_NE(c, nullptr);
  EXPECT_DOUBLE_EQ(c->confidence(), 1);
  EXPECT_EQ(c->certainty(), v1::ROLE_CERTAINTY_CONFIRMED);
  EXPECT_EQ(c->evidence(0).source(), v1::ROLE_SOURCE_CONFIRMED);
}

TEST(RoleConfidenceTest, APolicyWithoutAModelUsesTheDefaultWeights) {
  TreeBuilder b;
  b.Person("accounts/root", "qa", v1::COMMITTEE_ROLE_QUALITY,
           v1::ROLE_SOURCE_INFERRED, v1::ENGAGEMENT_ENGAGED);
  b.Signal(v1::SIGNAL_TYPE_WEBINAR_ATTENDED, 1, v1::SIGNAL_TOPIC_VALIDATION,
           kQa);
  v1::Verdict v = Qualify(b.tree(), MakePolicy(), 1, kAsOf);
  const v1::RoleHolding* h = Holding(v, kQa, v1::COMMITTEE_ROLE_QUALITY);
  ASSERT_NE(h, nullptr);
  EXPECT_DOUBLE_EQ(h->confidence(), 0.5);        // No behaviour patterns.
  EXPECT_EQ(h->evidence(0).text(), "inferred");  // No title.
  EXPECT_TRUE(Requirement(v, "quality").met());
}

}  // namespace
}  // namespace quorum::graph
