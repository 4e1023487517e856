// The seed article's cases, end to end: a real LMDB store, a real gRPC
// channel, the default diagnostics policy, a fixed as_of.
#include "server/qualification_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/policy_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using google::protobuf::util::TimeUtil;
using ::quorum::testing::ViolatedFields;

constexpr int64_t kAsOfSeconds = 1780272000;  // 2026-06-01T00:00:00Z.

google::protobuf::Timestamp DaysAgo(int days) {
  google::protobuf::Timestamp t;
  t.set_seconds(kAsOfSeconds - int64_t{days} * 86400);
  return t;
}

struct Role {
  v1::CommitteeRole role;
  v1::RoleSource source = v1::ROLE_SOURCE_CONFIRMED;
};

class QualificationTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    auto channel = quorum::testing::ChannelTo(*server_);
    graph_ = v1::AccountGraphService::NewStub(channel);
    signals_ = v1::SignalService::NewStub(channel);
    qualification_ = v1::QualificationService::NewStub(channel);
    policy_ = v1::PolicyService::NewStub(channel);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return context;
  }

  void Account(const std::string& id, const std::string& country,
               v1::FacilityType type, const std::string& parent = "",
               v1::EvaluationStage stage = v1::EVALUATION_STAGE_UNSPECIFIED) {
    v1::CreateAccountRequest request;
    request.set_account_id(id);
    auto* a = request.mutable_account();
    a->set_display_name("Account " + id);
    a->set_country_code(country);
    a->set_facility_type(type);
    a->set_parent(parent);
    a->set_evaluation_stage(stage);
    v1::Account out;
    grpc::Status status = graph_->CreateAccount(Context().get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Person(const std::string& account, const std::string& id,
                     const std::string& title, std::vector<Role> roles,
                     v1::Engagement engagement = v1::ENGAGEMENT_IDENTIFIED) {
    v1::CreateStakeholderRequest request;
    request.set_parent("accounts/" + account);
    request.set_stakeholder_id(id);
    auto* s = request.mutable_stakeholder();
    s->set_display_name("Person " + id);
    s->set_title(title);
    s->set_engagement(engagement);
    for (const Role& r : roles) {
      auto* assignment = s->add_roles();
      assignment->set_role(r.role);
      assignment->set_source(r.source);
    }
    v1::Stakeholder out;
    grpc::Status status =
        graph_->CreateStakeholder(Context().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.name();
  }

  void Relate(const std::string& source, const std::string& target,
              v1::RelationshipType type) {
    v1::CreateRelationshipRequest request;
    request.set_parent(source.substr(0, source.find("/stakeholders/")));
    request.mutable_relationship()->set_source(source);
    request.mutable_relationship()->set_target(target);
    request.mutable_relationship()->set_type(type);
    v1::Relationship out;
    grpc::Status status =
        graph_->CreateRelationship(Context().get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Signal(const std::string& account, v1::SignalType type,
              v1::SignalTopic topic, int days_ago,
              const std::string& stakeholder = "") {
    v1::RecordSignalsRequest request;
    auto* r = request.add_requests();
    r->set_parent("accounts/" + account);
    r->mutable_signal()->set_type(type);
    r->mutable_signal()->set_topic(topic);
    *r->mutable_signal()->mutable_occur_time() = DaysAgo(days_ago);
    r->mutable_signal()->set_stakeholder(stakeholder);
    v1::RecordSignalsResponse out;
    grpc::Status status = signals_->RecordSignals(Context().get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::Verdict Qualify(const std::string& account, int64_t revision = 0) {
    v1::QualifyAccountRequest request;
    request.set_name("accounts/" + account);
    request.set_policy_revision(revision);
    request.mutable_as_of()->set_seconds(kAsOfSeconds);
    v1::Verdict verdict;
    grpc::Status status =
        qualification_->QualifyAccount(Context().get(), request, &verdict);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return verdict;
  }

  // The article's worked example: a lab operations manager at a fitting
  // account requests a demo and downloads a workflow guide.
  std::string WorkedExample() {
    Account("riverside", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
    std::string ops = Person("riverside", "ops-manager",
                             "Laboratory Operations Manager",
                             {{v1::COMMITTEE_ROLE_LAB_OPERATIONS,
                               v1::ROLE_SOURCE_INFERRED}});
    Signal("riverside", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_WORKFLOW,
           2, ops);
    Signal("riverside", v1::SIGNAL_TYPE_CONTENT_DOWNLOAD,
           v1::SIGNAL_TOPIC_WORKFLOW, 3, ops);
    return ops;
  }

  static std::vector<std::string> QuestionIds(const v1::Verdict& v) {
    std::vector<std::string> ids;
    for (const auto& q : v.questions()) ids.push_back(q.id());
    return ids;
  }

  static const v1::RequirementStatus& Requirement(const v1::Verdict& v,
                                                  const std::string& id) {
    for (const auto& r : v.committee().requirements()) {
      if (r.requirement_id() == id) return r;
    }
    static const v1::RequirementStatus* none = new v1::RequirementStatus();
    ADD_FAILURE() << "no requirement " << id;
    return *none;
  }

  static bool HasGap(const v1::Verdict& v, const std::string& id) {
    return std::any_of(v.gaps().begin(), v.gaps().end(),
                       [&](const v1::Gap& g) { return g.id() == id; });
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
  std::unique_ptr<v1::QualificationService::Stub> qualification_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
};

TEST_P(QualificationTest, EachRequirementCarriesItsRolesEngagementAndStage) {
  WorkedExample();
  v1::Verdict v = Qualify("riverside");
  const v1::RequirementStatus& quality = Requirement(v, "quality");
  EXPECT_EQ(std::vector<int>(quality.roles().begin(), quality.roles().end()),
            std::vector<int>{v1::COMMITTEE_ROLE_QUALITY});
  EXPECT_EQ(quality.min_engagement(), v1::ENGAGEMENT_ENGAGED);
  const v1::RequirementStatus& leadership = Requirement(v, "lab-leadership");
  EXPECT_EQ(std::vector<int>(leadership.roles().begin(),
                             leadership.roles().end()),
            (std::vector<int>{v1::COMMITTEE_ROLE_LAB_DIRECTOR,
                              v1::COMMITTEE_ROLE_MEDICAL_DIRECTOR}));
  for (const auto& r : v.committee().requirements()) {
    EXPECT_GT(r.roles_size(), 0) << r.requirement_id();
    EXPECT_NE(r.min_engagement(), v1::ENGAGEMENT_UNSPECIFIED)
        << r.requirement_id();
  }
}

TEST_P(
    QualificationTest,
    WorkedExampleRoutesToSalesDiscoveryWithPilotValidationIntegrationQuestions) {
  std::string ops = WorkedExample();
  v1::Verdict v = Qualify("riverside");
  EXPECT_EQ(v.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(v.decided_by(), "fit-and-intent");
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_PASS);
  EXPECT_TRUE(v.intent().high());
  EXPECT_EQ(v.intent().signals_size(), 2);
  std::vector<std::string> questions = QuestionIds(v);
  for (const char* wanted : {"pilot-goals", "validation-steps",
                             "integration-needs"}) {
    EXPECT_NE(std::find(questions.begin(), questions.end(), wanted),
              questions.end())
        << wanted;
  }
  // The reason names the rule and its evidence.
  ASSERT_GT(v.reasons_size(), 0);
  EXPECT_EQ(v.reasons(0).rule_id(), "fit-and-intent");
  EXPECT_FALSE(v.reasons(0).evidence().empty());
  EXPECT_FALSE(v.next_step().empty());
  // The demo request makes the manager engaged, so lab operations is met.
  EXPECT_TRUE(Requirement(v, "lab-operations").met());
  EXPECT_EQ(Requirement(v, "lab-operations").met_by(0), ops);
  EXPECT_EQ(v.policy_revision(), 1);
  EXPECT_EQ(v.as_of().seconds(), kAsOfSeconds);
}

TEST_P(QualificationTest,
       OpenValidationQuestionsWithoutQualityRouteToTechnicalPresalesFirst) {
  std::string ops = WorkedExample();
  Signal("riverside", v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
         v1::SIGNAL_TOPIC_VALIDATION, 1, ops);
  v1::Verdict v = Qualify("riverside");
  EXPECT_EQ(v.route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(v.decided_by(), "validation-unclear");
  EXPECT_FALSE(Requirement(v, "quality").met());

  // Once a quality stakeholder is engaged, it goes to sales discovery.
  Person("riverside", "qa-lead", "Quality Manager",
         {{v1::COMMITTEE_ROLE_QUALITY}}, v1::ENGAGEMENT_ENGAGED);
  EXPECT_EQ(Qualify("riverside").route(), v1::ROUTE_SALES_DISCOVERY);
}

TEST_P(QualificationTest, WrongGeographyIsDisqualifiedWithTheRuleReason) {
  Account("far-away", "BR", v1::FACILITY_TYPE_HOSPITAL_LAB);
  Signal("far-away", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_GENERAL, 1);
  v1::Verdict v = Qualify("far-away");
  EXPECT_EQ(v.route(), v1::ROUTE_DISQUALIFY);
  EXPECT_EQ(v.decided_by(), "wrong-geography");
  ASSERT_GT(v.reasons_size(), 0);
  EXPECT_EQ(v.reasons(0).rule_id(), "wrong-geography");
  EXPECT_EQ(v.reasons(0).text(), "No site is in a market we serve.");
  ASSERT_GT(v.reasons(0).evidence_size(), 0);
  EXPECT_NE(v.reasons(0).evidence(0).find("BR"), std::string::npos)
      << v.reasons(0).evidence(0);
}

TEST_P(QualificationTest, MissingEssentialFacilityTypeIsDisqualified) {
  Account("research", "DE", v1::FACILITY_TYPE_RESEARCH_LAB);
  Signal("research", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_GENERAL, 1);
  v1::Verdict v = Qualify("research");
  EXPECT_EQ(v.route(), v1::ROUTE_DISQUALIFY);
  EXPECT_EQ(v.decided_by(), "missing-facility-type");
  EXPECT_EQ(v.reasons(0).text(), "No site is a facility type we sell to.");
}

TEST_P(QualificationTest, OnlyGeneralQuestionsAreDisqualified) {
  Account("curious", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
  Signal("curious", v1::SIGNAL_TYPE_GENERAL_QUESTION, v1::SIGNAL_TOPIC_GENERAL,
         4);
  Signal("curious", v1::SIGNAL_TYPE_GENERAL_QUESTION, v1::SIGNAL_TOPIC_GENERAL,
         9);
  v1::Verdict v = Qualify("curious");
  EXPECT_EQ(v.route(), v1::ROUTE_DISQUALIFY);
  EXPECT_EQ(v.decided_by(), "only-general-questions");
}

TEST_P(QualificationTest,
       StrongFitWithOnlyWebinarsAndPageViewsRoutesToNurture) {
  Account("engaged", "GB", v1::FACILITY_TYPE_REFERENCE_LAB);
  for (int i = 0; i < 3; ++i) {
    Signal("engaged", v1::SIGNAL_TYPE_WEBINAR_ATTENDED,
           v1::SIGNAL_TOPIC_VALIDATION, 5 + i);
  }
  for (int i = 0; i < 8; ++i) {
    Signal("engaged", v1::SIGNAL_TYPE_PAGE_VIEW, v1::SIGNAL_TOPIC_WORKFLOW,
           1 + i);
  }
  v1::Verdict v = Qualify("engaged");
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_PASS);
  EXPECT_FALSE(v.intent().high());
  EXPECT_FALSE(v.intent().evaluation_signal_in_window());
  EXPECT_EQ(v.route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(v.decided_by(), "fit-low-intent");
  EXPECT_FALSE(v.nurture_track().empty());
  EXPECT_TRUE(HasGap(v, "intent"));
}

TEST_P(QualificationTest, HighIntentWithUnknownFacilityTypeRoutesToResearch) {
  Account("unclear", "NL", v1::FACILITY_TYPE_UNSPECIFIED);
  Signal("unclear", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_GENERAL, 1);
  Signal("unclear", v1::SIGNAL_TYPE_PRICING_INQUIRY, v1::SIGNAL_TOPIC_PRICING,
         2);
  v1::Verdict v = Qualify("unclear");
  EXPECT_TRUE(v.intent().high());
  EXPECT_EQ(v.fit().result(), v1::FIT_RESULT_UNKNOWN);
  EXPECT_EQ(v.route(), v1::ROUTE_RESEARCH);
  ASSERT_EQ(v.fit().facts_to_gather_size(), 1);
  EXPECT_EQ(v.fit().facts_to_gather(0), "facility_type of accounts/unclear");
  EXPECT_TRUE(HasGap(v, "facility-type"));
}

TEST_P(QualificationTest, DemoRequest180DaysOldIsNoLongerHighIntent) {
  Account("stale", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
  Signal("stale", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_WORKFLOW, 180);
  v1::Verdict v = Qualify("stale");
  ASSERT_EQ(v.intent().signals_size(), 1);
  // 40 points halved six times (30-day half-life).
  EXPECT_NEAR(v.intent().signals(0).decayed_points(), 0.63, 0.01);
  EXPECT_FALSE(v.intent().high());
  EXPECT_NE(v.route(), v1::ROUTE_SALES_DISCOVERY);

  // The same request two days old is high intent.
  Signal("stale", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_WORKFLOW, 2);
  EXPECT_TRUE(Qualify("stale").intent().high());
}

TEST_P(QualificationTest, HealthSystemMeetsRequirementsAcrossItsHospitals) {
  Account("system", "US", v1::FACILITY_TYPE_HEALTH_SYSTEM);
  Account("north", "US", v1::FACILITY_TYPE_HOSPITAL_LAB, "accounts/system");
  Account("south", "US", v1::FACILITY_TYPE_HOSPITAL_LAB, "accounts/system");
  std::string quality = Person("north", "quality-lead", "Quality Lead",
                               {{v1::COMMITTEE_ROLE_QUALITY}},
                               v1::ENGAGEMENT_ENGAGED);
  std::string director = Person("south", "lab-director", "Laboratory Director",
                                {{v1::COMMITTEE_ROLE_LAB_DIRECTOR}});
  v1::Verdict system = Qualify("system");
  EXPECT_TRUE(Requirement(system, "quality").met());
  EXPECT_EQ(Requirement(system, "quality").met_by(0), quality);
  EXPECT_TRUE(Requirement(system, "lab-leadership").met());
  EXPECT_EQ(Requirement(system, "lab-leadership").met_by(0), director);
  // Each hospital alone misses the other's role.
  EXPECT_FALSE(Requirement(Qualify("north"), "lab-leadership").met());
  EXPECT_FALSE(Requirement(Qualify("south"), "quality").met());
}

TEST_P(QualificationTest, InferredTitleIsNotADecisionOwnerButAConfirmedRoleIs) {
  Account("lab", "CA", v1::FACILITY_TYPE_PUBLIC_HEALTH_LAB);
  std::string director = Person(
      "lab", "director", "Director of Laboratory Services",
      {{v1::COMMITTEE_ROLE_LAB_DIRECTOR, v1::ROLE_SOURCE_INFERRED}},
      v1::ENGAGEMENT_CHAMPION);
  v1::Verdict inferred = Qualify("lab");
  EXPECT_EQ(inferred.committee().decision_owner(), "");
  EXPECT_TRUE(HasGap(inferred, "decision-owner"));
  // The inferred role still counts for coverage.
  EXPECT_TRUE(Requirement(inferred, "lab-leadership").met());

  v1::UpdateStakeholderRequest confirm;
  confirm.mutable_stakeholder()->set_name(director);
  auto* role = confirm.mutable_stakeholder()->add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  confirm.mutable_update_mask()->add_paths("roles");
  v1::Stakeholder out;
  ASSERT_TRUE(graph_->UpdateStakeholder(Context().get(), confirm, &out).ok());
  v1::Verdict confirmed = Qualify("lab");
  EXPECT_EQ(confirmed.committee().decision_owner(), director);
  EXPECT_FALSE(HasGap(confirmed, "decision-owner"));
}

TEST_P(QualificationTest,
       IntroductionPathToProcurementThroughReportsToAndWorksWith) {
  Account("buyer", "DE", v1::FACILITY_TYPE_REFERENCE_LAB, "",
          v1::EVALUATION_STAGE_PROCUREMENT);
  std::string ops = Person("buyer", "ops", "Head of Lab Operations",
                           {{v1::COMMITTEE_ROLE_LAB_OPERATIONS}},
                           v1::ENGAGEMENT_CHAMPION);
  std::string director = Person("buyer", "director", "Laborleiter",
                                {{v1::COMMITTEE_ROLE_LAB_DIRECTOR}});
  std::string purchasing = Person("buyer", "purchasing", "Einkauf",
                                  {{v1::COMMITTEE_ROLE_PROCUREMENT}});
  Relate(ops, director, v1::RELATIONSHIP_TYPE_REPORTS_TO);
  Relate(director, purchasing, v1::RELATIONSHIP_TYPE_WORKS_WITH);
  v1::Verdict v = Qualify("buyer");
  const v1::RequirementStatus& procurement = Requirement(v, "procurement");
  EXPECT_TRUE(procurement.applicable());
  EXPECT_FALSE(procurement.met());
  EXPECT_EQ(procurement.nearly_met_by(0), purchasing);
  ASSERT_TRUE(procurement.has_introduction());
  EXPECT_EQ(std::vector<std::string>(procurement.introduction().path().begin(),
                                     procurement.introduction().path().end()),
            (std::vector<std::string>{ops, director, purchasing}));
  EXPECT_TRUE(procurement.introduction().holds_role());
  bool suggested = false;
  for (const auto& gap : v.gaps()) {
    if (gap.id() == "procurement") {
      suggested = gap.suggestion().find(ops) != std::string::npos &&
                  gap.has_introduction();
    }
  }
  EXPECT_TRUE(suggested);
}

TEST_P(QualificationTest, NobodyHoldsTheRoleSoTheVerdictSaysWhomToAsk) {
  Account("buyer", "DE", v1::FACILITY_TYPE_REFERENCE_LAB, "",
          v1::EVALUATION_STAGE_PROCUREMENT);
  std::string ops = Person("buyer", "ops", "Head of Lab Operations",
                           {{v1::COMMITTEE_ROLE_LAB_OPERATIONS}},
                           v1::ENGAGEMENT_CHAMPION);
  std::string finance = Person("buyer", "cfo", "CFO",
                               {{v1::COMMITTEE_ROLE_FINANCE}});
  Relate(ops, finance, v1::RELATIONSHIP_TYPE_WORKS_WITH);
  v1::Verdict v = Qualify("buyer");
  const v1::RequirementStatus& procurement = Requirement(v, "procurement");
  EXPECT_EQ(procurement.nearly_met_by_size(), 0);
  ASSERT_TRUE(procurement.has_introduction());
  EXPECT_FALSE(procurement.introduction().holds_role());
  EXPECT_EQ(*procurement.introduction().path().rbegin(), finance);
}

TEST_P(QualificationTest,
       ProcurementRequirementAppliesOnlyFromProcurementStage) {
  Account("early", "US", v1::FACILITY_TYPE_HOSPITAL_LAB, "",
          v1::EVALUATION_STAGE_ACTIVE_COMPARISON);
  EXPECT_FALSE(Requirement(Qualify("early"), "procurement").applicable());
}

TEST_P(QualificationTest,
       VerdictIsByteIdenticalForTheSameGraphRevisionAndTime) {
  WorkedExample();
  Person("riverside", "it", "LIS Analyst", {{v1::COMMITTEE_ROLE_INFORMATICS}});
  std::string first = Qualify("riverside").SerializeAsString();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Qualify("riverside").SerializeAsString(), first);
  }
}

TEST_P(QualificationTest, AnOlderPolicyRevisionCanBeUsed) {
  WorkedExample();
  v1::GetPolicyRequest get;
  v1::PolicyRevision active;
  ASSERT_TRUE(policy_->GetPolicy(Context().get(), get, &active).ok());
  v1::PublishPolicyRequest publish;
  *publish.mutable_source()->mutable_policy() = active.policy();
  publish.mutable_source()->mutable_policy()->mutable_intent()
      ->set_high_intent_threshold(1000);
  publish.set_description("raise the bar");
  v1::PolicyRevision published;
  ASSERT_TRUE(policy_->PublishPolicy(Context().get(), publish, &published).ok());
  EXPECT_EQ(published.revision(), 2);

  v1::Verdict now = Qualify("riverside");
  EXPECT_EQ(now.policy_revision(), 2);
  EXPECT_NE(now.route(), v1::ROUTE_SALES_DISCOVERY);
  v1::Verdict before = Qualify("riverside", 1);
  EXPECT_EQ(before.policy_revision(), 1);
  EXPECT_EQ(before.route(), v1::ROUTE_SALES_DISCOVERY);
}

TEST_P(QualificationTest, BadRequestsAreNamedAndMissingThingsAreNotFound) {
  WorkedExample();
  v1::QualifyAccountRequest request;
  request.set_name("accounts/Bad Name");
  request.set_policy_revision(-1);
  v1::Verdict v;
  grpc::Status status =
      qualification_->QualifyAccount(Context().get(), request, &v);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"name", "policy_revision"}));

  request.set_name("accounts/nobody");
  request.set_policy_revision(0);
  EXPECT_EQ(qualification_->QualifyAccount(Context().get(), request, &v)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  request.set_name("accounts/riverside");
  request.set_policy_revision(42);
  EXPECT_EQ(qualification_->QualifyAccount(Context().get(), request, &v)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  request.set_policy_revision(0);
  request.mutable_as_of()->set_nanos(-5);
  status = qualification_->QualifyAccount(Context().get(), request, &v);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"as_of"});
}

TEST_P(QualificationTest, ViewChoosesHowManySignalsAreListed) {
  Account("busy", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
  for (int i = 0; i < 25; ++i) {
    Signal("busy", v1::SIGNAL_TYPE_PAGE_VIEW, v1::SIGNAL_TOPIC_GENERAL, 1 + i);
  }
  v1::QualifyAccountRequest request;
  request.set_name("accounts/busy");
  v1::Verdict basic, full;
  ASSERT_TRUE(
      qualification_->QualifyAccount(Context().get(), request, &basic).ok());
  EXPECT_EQ(basic.intent().signals_size(), 20);
  EXPECT_EQ(basic.intent().signals_considered(), 25);
  request.set_view(v1::VERDICT_VIEW_FULL);
  ASSERT_TRUE(
      qualification_->QualifyAccount(Context().get(), request, &full).ok());
  EXPECT_EQ(full.intent().signals_size(), 25);

  request.set_view(static_cast<v1::VerdictView>(7));
  grpc::Status status =
      qualification_->QualifyAccount(Context().get(), request, &full);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"view"});
}

TEST_P(QualificationTest, SignalsAfterAsOfAreIgnored) {
  Account("future", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
  Signal("future", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_GENERAL, -3);
  v1::Verdict v = Qualify("future");
  EXPECT_EQ(v.intent().signals_size(), 0);
  EXPECT_EQ(v.intent().score(), 0);
}

// The default policy sells a molecular analyzer (lab leadership, quality,
// procurement; validation, clinical, workflow and pricing interest) and LIS
// middleware (informatics, lab operations; a LIS we connect to is a
// must-have; integration, workflow and pricing interest).
TEST_P(QualificationTest, EachSolutionIsJudgedForItsOwnBuyingGroup) {
  Account("metro", "US", v1::FACILITY_TYPE_HOSPITAL_LAB);
  std::string director = Person("metro", "director", "Laboratory Director",
                                {{v1::COMMITTEE_ROLE_LAB_DIRECTOR}});
  Person("metro", "it", "LIS Analyst", {{v1::COMMITTEE_ROLE_INFORMATICS}});
  Signal("metro", v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_VALIDATION, 2,
         director);
  Signal("metro", v1::SIGNAL_TYPE_INTEGRATION_INQUIRY,
         v1::SIGNAL_TOPIC_INTEGRATION, 40);

  auto qualify_for = [&](const std::string& solution, int64_t revision = 0) {
    v1::QualifyAccountRequest request;
    request.set_name("accounts/metro");
    request.set_solution(solution);
    request.set_policy_revision(revision);
    request.mutable_as_of()->set_seconds(kAsOfSeconds);
    v1::Verdict verdict;
    grpc::Status status =
        qualification_->QualifyAccount(Context().get(), request, &verdict);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return verdict;
  };
  auto ids = [](const v1::Verdict& v) {
    std::vector<std::string> out;
    for (const auto& r : v.committee().requirements()) {
      out.push_back(r.requirement_id());
    }
    return out;
  };

  v1::Verdict account = Qualify("metro");
  EXPECT_EQ(account.solution(), "");
  EXPECT_EQ(ids(account), (std::vector<std::string>{
                              "lab-leadership", "lab-operations", "quality",
                              "informatics", "procurement"}));

  // The analyzer: fitting, a fresh demo request on validation, nobody from
  // quality: technical pre-sales on validation first.
  v1::Verdict analyzer = qualify_for("molecular-analyzer");
  EXPECT_EQ(analyzer.solution(), "molecular-analyzer");
  EXPECT_EQ(ids(analyzer), (std::vector<std::string>{
                               "lab-leadership", "quality", "procurement"}));
  EXPECT_TRUE(analyzer.intent().high());
  EXPECT_EQ(analyzer.route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(analyzer.decided_by(), "validation-unclear");
  // The integration inquiry shows interest in middleware, not in it.
  EXPECT_LT(analyzer.intent().score(), account.intent().score());
  for (const auto& total : analyzer.intent().type_totals()) {
    EXPECT_NE(total.type(), v1::SIGNAL_TYPE_INTEGRATION_INQUIRY);
  }

  // The middleware: its LIS is not known, a must-have here, and the demo
  // request was about validation, not integration.
  v1::Verdict middleware = qualify_for("lis-middleware");
  EXPECT_EQ(middleware.solution(), "lis-middleware");
  EXPECT_EQ(ids(middleware),
            (std::vector<std::string>{"informatics", "lab-operations",
                                      "procurement"}));
  EXPECT_FALSE(middleware.intent().high());
  EXPECT_EQ(middleware.fit().result(), v1::FIT_RESULT_UNKNOWN);
  EXPECT_EQ(middleware.route(), v1::ROUTE_RESEARCH);
  EXPECT_EQ(middleware.decided_by(), "fit-unclear");

  // An explicit revision judges the solution as that revision defines it.
  EXPECT_EQ(qualify_for("lis-middleware", 1).SerializeAsString(),
            middleware.SerializeAsString());
}

TEST_P(QualificationTest, AnUnknownSolutionIsABadRequestNamingTheSolutions) {
  WorkedExample();
  v1::QualifyAccountRequest request;
  request.set_name("accounts/riverside");
  request.set_solution("reagents");
  v1::Verdict v;
  grpc::Status status =
      qualification_->QualifyAccount(Context().get(), request, &v);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
  EXPECT_NE(status.error_message().find("molecular-analyzer, lis-middleware"),
            std::string::npos)
      << status.error_message();
  request.set_solution("Not An Id");
  EXPECT_EQ(ViolatedFields(
                qualification_->QualifyAccount(Context().get(), request, &v)),
            std::set<std::string>{"solution"});
  // Named as bad input even for an account that does not exist.
  request.set_name("accounts/nobody");
  status = qualification_->QualifyAccount(Context().get(), request, &v);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
}

INSTANTIATE_TEST_SUITE_P(Engines, QualificationTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
