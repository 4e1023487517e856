// PolicyService.SuggestPolicy over a real gRPC channel, on both engines: a
// feedback history made through the API (leads, signals, forced handoffs,
// sales' verdicts) from which the better intent threshold is known, and
// the error paths.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/intake_service.grpc.pb.h"
#include "quorum/v1/policy_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::PreconditionTypes;
using ::quorum::testing::ViolatedFields;
using ::testing::HasSubstr;

class SuggestPolicyTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    policy_ = v1::PolicyService::NewStub(channel_);
    intake_ = v1::IntakeService::NewStub(channel_);
    signals_ = v1::SignalService::NewStub(channel_);
    workflow_ = v1::WorkflowService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    return context;
  }

  // A lab operations manager at a US hospital lab requests a demo (intent
  // 40 against the default threshold 35); with `pricing`, a pricing inquiry
  // as well (70). Handed off (forced: no notes), then sales' verdict.
  std::string HandedOff(int i, bool pricing, bool accepted) {
    const std::string company = "Lab " + std::to_string(i);
    v1::SubmitLeadRequest lead;
    lead.set_request_id("lead-" + std::to_string(i));
    lead.mutable_lead()->set_email("ops" + std::to_string(i) + "@lab" +
                                   std::to_string(i) + ".org");
    lead.mutable_lead()->set_first_name("Megan");
    lead.mutable_lead()->set_last_name("Ortiz");
    lead.mutable_lead()->set_title("Laboratory Operations Manager");
    lead.mutable_lead()->set_company(company);
    lead.mutable_lead()->set_country("US");
    lead.mutable_lead()->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    lead.mutable_lead()->set_source(v1::SOURCE_CHANNEL_DEMO_FORM);
    lead.mutable_lead()->mutable_signal()->set_type(
        v1::SIGNAL_TYPE_DEMO_REQUEST);
    lead.mutable_lead()->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
    v1::SubmitLeadResponse submitted;
    grpc::Status status =
        intake_->SubmitLead(Context().get(), lead, &submitted);
    EXPECT_TRUE(status.ok()) << status.error_message();
    const std::string account = submitted.account();
    if (pricing) {
      v1::RecordSignalsRequest record;
      auto* r = record.add_requests();
      r->set_parent(account);
      r->set_signal_id("pricing");
      r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PRICING_INQUIRY);
      *r->mutable_signal()->mutable_occur_time() =
          google::protobuf::util::TimeUtil::GetCurrentTime();
      v1::RecordSignalsResponse recorded;
      status = signals_->RecordSignals(Context().get(), record, &recorded);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    v1::CreateHandoffRequest create;
    create.set_parent(account);
    create.set_actor("sdr@us");
    create.set_force(true);
    create.set_force_reason("test history");
    v1::Handoff handoff;
    status = workflow_->CreateHandoff(Context().get(), create, &handoff);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::RecordHandoffFeedbackRequest feedback;
    feedback.set_name(handoff.name());
    feedback.set_actor("ae@us");
    feedback.set_outcome(accepted ? v1::HANDOFF_OUTCOME_ACCEPTED
                                  : v1::HANDOFF_OUTCOME_REJECTED);
    if (!accepted) {
      feedback.set_rejection_reason(v1::REJECTION_REASON_TOO_EARLY);
      feedback.set_comment("No budget before next year");
    }
    v1::Handoff with_feedback;
    status = workflow_->RecordHandoffFeedback(Context().get(), feedback,
                                              &with_feedback);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  grpc::Status Suggest(const v1::SuggestPolicyRequest& request,
                       v1::SuggestPolicyResponse* response) {
    return policy_->SuggestPolicy(Context().get(), request, response);
  }

  quorum::testing::TempDir dir_;
  std::string store_;
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
  std::unique_ptr<v1::WorkflowService::Stub> workflow_;
};

TEST_P(SuggestPolicyTest,
       LearnsTheThresholdSalesFeedbackPointsToAndPublishesNothing) {
  // Sales rejected the demo requests alone as too early and accepted the
  // accounts that also asked about pricing.
  std::set<std::string> demo_only;
  for (int i = 0; i < 3; ++i) demo_only.insert(HandedOff(i, false, false));
  for (int i = 3; i < 6; ++i) HandedOff(i, true, true);

  v1::SuggestPolicyRequest request;
  request.set_folds(3);
  v1::SuggestPolicyResponse response;
  grpc::Status status = Suggest(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.active_revision(), 1);
  EXPECT_EQ(response.labelled_handoffs(), 6);
  EXPECT_EQ(response.folds(), 3);
  EXPECT_EQ(response.multipliers_size(), 5);  // The defaults.
  // 35 x 1.25: above a demo request alone, below demo and pricing.
  ASSERT_EQ(response.changes_size(), 1) << response.DebugString();
  EXPECT_EQ(response.changes(0).path(), "intent.high_intent_threshold");
  EXPECT_DOUBLE_EQ(response.changes(0).old_value(), 35);
  EXPECT_DOUBLE_EQ(response.changes(0).new_value(), 43.75);
  EXPECT_DOUBLE_EQ(response.candidate().intent().high_intent_threshold(),
                   43.75);
  EXPECT_DOUBLE_EQ(response.baseline_accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(response.candidate_accuracy(), 1);
  EXPECT_GE(response.accuracy(), response.baseline_accuracy());
  ASSERT_GE(response.routes_size(), 1);
  int64_t routed = 0;
  for (const auto& r : response.routes()) routed += r.handoffs();
  EXPECT_EQ(routed, 6);

  // The simulation: the demo-only accounts leave sales discovery now.
  EXPECT_EQ(response.simulation().active_revision(), 1);
  EXPECT_EQ(response.simulation().accounts(), 6);
  std::set<std::string> moved;
  for (const auto& c : response.simulation().changes()) {
    EXPECT_EQ(c.new_route(), v1::ROUTE_NURTURE);
    moved.insert(c.accounts().begin(), c.accounts().end());
  }
  EXPECT_EQ(moved, demo_only);
  EXPECT_EQ(response.simulation().rejected_avoided(), 3);
  EXPECT_EQ(response.simulation().accepted_kept(), 3);

  // Nothing was published; the candidate is a valid policy to publish.
  v1::PolicyRevision active;
  ASSERT_TRUE(
      policy_->GetPolicy(Context().get(), v1::GetPolicyRequest(), &active)
          .ok());
  EXPECT_EQ(active.revision(), 1);
  v1::ValidatePolicyRequest validate;
  *validate.mutable_source()->mutable_policy() = response.candidate();
  v1::ValidatePolicyResponse validated;
  ASSERT_TRUE(
      policy_->ValidatePolicy(Context().get(), validate, &validated).ok());
  EXPECT_TRUE(validated.valid());
}

TEST_P(SuggestPolicyTest,
       FewerHandoffsWithFeedbackThanFoldsIsAFailedPrecondition) {
  HandedOff(0, false, false);
  HandedOff(1, true, true);
  v1::SuggestPolicyResponse response;
  grpc::Status status = Suggest(v1::SuggestPolicyRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(
      status.error_message(),
      HasSubstr("5 folds needs at least 5 handoffs with sales feedback"));
  EXPECT_THAT(status.error_message(), HasSubstr("there are 2"));
  EXPECT_EQ(PreconditionTypes(status),
            std::set<std::string>{"TOO_FEW_LABELLED_HANDOFFS"});
  // Two folds are enough for two.
  v1::SuggestPolicyRequest two;
  two.set_folds(2);
  status = Suggest(two, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.labelled_handoffs(), 2);
}

TEST_P(SuggestPolicyTest,
       BadFoldsOrMultipliersAreInvalidArgumentNamingTheField) {
  v1::SuggestPolicyRequest request;
  request.set_folds(1);
  v1::SuggestPolicyResponse response;
  grpc::Status status = Suggest(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"folds"});

  request.set_folds(21);
  EXPECT_EQ(ViolatedFields(Suggest(request, &response)),
            std::set<std::string>{"folds"});

  request.set_folds(0);
  request.add_multipliers(1.5);
  request.add_multipliers(-1);
  request.add_multipliers(0);
  status = Suggest(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"multipliers[1]", "multipliers[2]"}));

  v1::SuggestPolicyRequest bad_time;
  bad_time.mutable_as_of()->set_seconds(1);
  bad_time.mutable_as_of()->set_nanos(-5);
  status = Suggest(bad_time, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"as_of"});
}

INSTANTIATE_TEST_SUITE_P(Engines, SuggestPolicyTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
