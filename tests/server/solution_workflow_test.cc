// The workflow per solution, over a real gRPC channel with the default
// policy: an account handed off for LIS middleware is judged, counted and
// simulated as the middleware verdict, not the account's; the readiness
// listing and the change feed answer for the solution asked for.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "google/protobuf/util/time_util.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/policy_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using google::protobuf::util::TimeUtil;
using ::quorum::testing::PreconditionTypes;
using ::quorum::testing::ViolatedFields;

class SolutionWorkflowTest
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
    workflow_ = v1::WorkflowService::NewStub(channel);
    policy_ = v1::PolicyService::NewStub(channel);
    Middleware();
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return context;
  }

  // A fitting US hospital lab on Epic whose IT analyst (identified, not yet
  // engaged) is known and which asked for a demo on integration yesterday:
  // the account as a whole goes to sales discovery (fit and intent, IT is
  // known), the middleware to technical pre-sales (its informatics
  // requirement asks for an engaged person), the analyzer to nurture (no
  // interest in it).
  void Middleware() {
    v1::CreateAccountRequest account;
    account.set_account_id("metro");
    account.mutable_account()->set_display_name("Metro Hospital Lab");
    account.mutable_account()->set_country_code("US");
    account.mutable_account()->set_facility_type(
        v1::FACILITY_TYPE_HOSPITAL_LAB);
    account.mutable_account()->add_current_systems("Epic Beaker");
    v1::Account created;
    ASSERT_TRUE(graph_->CreateAccount(Context().get(), account, &created).ok());
    v1::CreateStakeholderRequest person;
    person.set_parent("accounts/metro");
    person.set_stakeholder_id("it");
    person.mutable_stakeholder()->set_display_name("Ana Ruiz");
    person.mutable_stakeholder()->set_title("LIS Analyst");
    auto* role = person.mutable_stakeholder()->add_roles();
    role->set_role(v1::COMMITTEE_ROLE_INFORMATICS);
    role->set_source(v1::ROLE_SOURCE_CONFIRMED);
    v1::Stakeholder stakeholder;
    ASSERT_TRUE(
        graph_->CreateStakeholder(Context().get(), person, &stakeholder).ok());
    v1::RecordSignalsRequest signals;
    for (v1::SignalType type :
         {v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TYPE_INTEGRATION_INQUIRY}) {
      auto* r = signals.add_requests();
      r->set_parent("accounts/metro");
      r->mutable_signal()->set_type(type);
      r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_INTEGRATION);
      *r->mutable_signal()->mutable_occur_time() =
          TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(24);
    }
    v1::RecordSignalsResponse recorded;
    ASSERT_TRUE(
        signals_->RecordSignals(Context().get(), signals, &recorded).ok());
  }

  grpc::Status HandOff(const std::string& solution, v1::Handoff* out) {
    v1::CreateHandoffRequest request;
    request.set_parent("accounts/metro");
    request.set_solution(solution);
    request.set_actor("ops@us");
    request.set_force(true);
    request.set_force_reason("the IT analyst asked for a call this week");
    return workflow_->CreateHandoff(Context().get(), request, out);
  }

  v1::ProcessMetrics Metrics(const std::string& solution) {
    v1::GetProcessMetricsRequest request;
    *request.mutable_start_time() =
        TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(1);
    *request.mutable_end_time() =
        TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(1);
    request.set_solution(solution);
    v1::ProcessMetrics metrics;
    grpc::Status status =
        workflow_->GetProcessMetrics(Context().get(), request, &metrics);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return metrics;
  }

  std::vector<v1::Handoff> Handoffs() {
    v1::ListHandoffsRequest request;
    request.set_parent("accounts/metro");
    v1::ListHandoffsResponse response;
    EXPECT_TRUE(
        workflow_->ListHandoffs(Context().get(), request, &response).ok());
    return {response.handoffs().begin(), response.handoffs().end()};
  }

  quorum::testing::TempDir dir_;
  std::string store_;
  std::unique_ptr<QuorumServer> server_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
  std::unique_ptr<v1::WorkflowService::Stub> workflow_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
};

TEST_P(SolutionWorkflowTest, AHandoffForASolutionCarriesThatSolutionsVerdict) {
  v1::Handoff handoff;
  grpc::Status status = HandOff("lis-middleware", &handoff);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(handoff.solution(), "lis-middleware");
  EXPECT_EQ(handoff.verdict().solution(), "lis-middleware");
  EXPECT_EQ(handoff.route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(handoff.verdict().decided_by(), "integration-unclear");
  ASSERT_EQ(Handoffs().size(), 1u);
  EXPECT_EQ(Handoffs()[0].solution(), "lis-middleware");
  // The account's history keeps the account's own route.
  v1::ListStatusChangesRequest history;
  history.set_parent("accounts/metro");
  v1::ListStatusChangesResponse changes;
  ASSERT_TRUE(
      workflow_->ListStatusChanges(Context().get(), history, &changes).ok());
  ASSERT_EQ(changes.status_changes_size(), 1);
  EXPECT_EQ(changes.status_changes(0).to_status(),
            v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_EQ(changes.status_changes(0).route(), v1::ROUTE_SALES_DISCOVERY);
}

TEST_P(SolutionWorkflowTest, ASolutionThatDoesNotRouteToSalesIsNotHandedOff) {
  v1::Handoff handoff;
  grpc::Status status = HandOff("molecular-analyzer", &handoff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(status),
            std::set<std::string>{"ROUTE_NOT_FOR_SALES"});
  EXPECT_NE(status.error_message().find("(for molecular-analyzer) routes to "
                                        "ROUTE_NURTURE"),
            std::string::npos)
      << status.error_message();
  EXPECT_TRUE(Handoffs().empty());
}

TEST_P(SolutionWorkflowTest, AnUnknownSolutionIsABadRequestAndChangesNothing) {
  v1::Handoff handoff;
  grpc::Status status = HandOff("reagents", &handoff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
  status = HandOff("Not An Id", &handoff);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
  // A malformed solution is named with the other fields, before anything
  // is looked up.
  v1::CreateHandoffRequest nobody;
  nobody.set_parent("accounts/nobody");
  nobody.set_actor("ops@us");
  nobody.set_solution("Not An Id");
  status = workflow_->CreateHandoff(Context().get(), nobody, &handoff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
  EXPECT_TRUE(Handoffs().empty());
  v1::GetAccountRequest get;
  get.set_name("accounts/metro");
  v1::Account account;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &account).ok());
  EXPECT_EQ(account.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
}

TEST_P(SolutionWorkflowTest, MetricsCountOnlyTheSolutionsHandoffsWhenAsked) {
  v1::Handoff handoff;
  ASSERT_TRUE(HandOff("lis-middleware", &handoff).ok());
  EXPECT_EQ(Metrics("").handoffs(), 1);
  EXPECT_EQ(Metrics("lis-middleware").handoffs(), 1);
  EXPECT_EQ(Metrics("molecular-analyzer").handoffs(), 0);

  v1::GetProcessMetricsRequest bad;
  *bad.mutable_start_time() = TimeUtil::GetCurrentTime();
  *bad.mutable_end_time() =
      TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(1);
  bad.set_solution("Not An Id");
  v1::ProcessMetrics metrics;
  grpc::Status status =
      workflow_->GetProcessMetrics(Context().get(), bad, &metrics);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
}

TEST_P(SolutionWorkflowTest, SimulationJudgesAHandoffForItsSolution) {
  v1::Handoff handoff;
  ASSERT_TRUE(HandOff("lis-middleware", &handoff).ok());
  v1::RecordHandoffFeedbackRequest feedback;
  feedback.set_name(handoff.name());
  feedback.set_outcome(v1::HANDOFF_OUTCOME_ACCEPTED);
  feedback.set_actor("sales@us");
  v1::Handoff with_feedback;
  ASSERT_TRUE(
      workflow_
          ->RecordHandoffFeedback(Context().get(), feedback, &with_feedback)
          .ok());
  v1::GetPolicyRequest get;
  v1::PolicyRevision active;
  ASSERT_TRUE(policy_->GetPolicy(Context().get(), get, &active).ok());

  // The active policy as the candidate: the account as a whole would go to
  // sales discovery, but the handoff is judged for the middleware.
  v1::SimulatePolicyRequest simulate;
  *simulate.mutable_source()->mutable_policy() = active.policy();
  v1::SimulatePolicyResponse same;
  ASSERT_TRUE(policy_->SimulatePolicy(Context().get(), simulate, &same).ok());
  ASSERT_EQ(same.handoffs_size(), 1);
  EXPECT_EQ(same.handoffs(0).solution(), "lis-middleware");
  EXPECT_EQ(same.handoffs(0).candidate_route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(same.accepted_kept(), 1);

  // A candidate without the solution hands it off to nobody.
  simulate.mutable_source()->mutable_policy()->clear_solutions();
  v1::SimulatePolicyResponse without;
  ASSERT_TRUE(
      policy_->SimulatePolicy(Context().get(), simulate, &without).ok());
  ASSERT_EQ(without.handoffs_size(), 1);
  EXPECT_EQ(without.handoffs(0).candidate_route(), v1::ROUTE_UNSPECIFIED);
  EXPECT_FALSE(without.handoffs(0).candidate_hands_off());
  EXPECT_EQ(without.accepted_kept(), 0);
}

TEST_P(SolutionWorkflowTest, TheListingRanksEachAccountForTheSolutionAsked) {
  auto list = [&](const std::string& solution, v1::Route route) {
    v1::ListAccountReadinessRequest request;
    request.set_solution(solution);
    request.add_routes(route);
    v1::ListAccountReadinessResponse response;
    grpc::Status status =
        workflow_->ListAccountReadiness(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  v1::ListAccountReadinessResponse middleware =
      list("lis-middleware", v1::ROUTE_TECHNICAL_PRESALES);
  ASSERT_EQ(middleware.accounts_size(), 1);
  EXPECT_EQ(middleware.accounts(0).account(), "accounts/metro");
  EXPECT_EQ(middleware.accounts(0).solution(), "lis-middleware");
  EXPECT_EQ(middleware.accounts(0).decided_by(), "integration-unclear");
  EXPECT_EQ(list("", v1::ROUTE_TECHNICAL_PRESALES).accounts_size(), 0);
  ASSERT_EQ(list("", v1::ROUTE_SALES_DISCOVERY).accounts_size(), 1);
  EXPECT_EQ(list("", v1::ROUTE_SALES_DISCOVERY).accounts(0).solution(), "");
  EXPECT_EQ(list("molecular-analyzer", v1::ROUTE_NURTURE).accounts_size(), 1);

  v1::ListAccountReadinessRequest unknown;
  unknown.set_solution("reagents");
  v1::ListAccountReadinessResponse response;
  grpc::Status status =
      workflow_->ListAccountReadiness(Context().get(), unknown, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
  EXPECT_NE(status.error_message().find("molecular-analyzer, lis-middleware"),
            std::string::npos)
      << status.error_message();
}

TEST_P(SolutionWorkflowTest, AWatchForASolutionStreamsOnlyItsEvents) {
  // Every retained event of the solution, replayed: what a watch sees
  // within two seconds.
  auto replay = [&](const std::string& solution) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    v1::WatchReadinessRequest request;
    request.set_start_sequence(1);
    request.set_solution(solution);
    auto reader = workflow_->WatchReadiness(&context, request);
    std::vector<v1::ReadinessEvent> events;
    v1::ReadinessEvent event;
    while (reader->Read(&event)) events.push_back(event);
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
    return events;
  };
  for (const std::string& solution :
       {"", "molecular-analyzer", "lis-middleware"}) {
    const std::vector<v1::ReadinessEvent> events = replay(solution);
    ASSERT_FALSE(events.empty()) << solution;
    // The solution's feed of its own: numbered from 1, without a gap.
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].solution(), solution);
      EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i) + 1) << solution;
    }
    const v1::ReadinessEvent& last = events.back();
    EXPECT_EQ(last.account(), "accounts/metro");
    EXPECT_EQ(last.new_route(), solution.empty() ? v1::ROUTE_SALES_DISCOVERY
                                : solution == "lis-middleware"
                                    ? v1::ROUTE_TECHNICAL_PRESALES
                                    : v1::ROUTE_NURTURE)
        << solution;
  }

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::WatchReadinessRequest unknown;
  unknown.set_solution("reagents");
  auto reader = workflow_->WatchReadiness(&context, unknown);
  v1::ReadinessEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"solution"});
}

INSTANTIATE_TEST_SUITE_P(Engines, SolutionWorkflowTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
