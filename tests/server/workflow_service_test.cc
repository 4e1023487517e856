// WorkflowService over a real gRPC channel: a whole account journey, the
// change feed, and the error paths of statuses and handoffs.
#include "server/workflow_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/intake_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "quorum/v1/policy_service.grpc.pb.h"
#include "quorum/v1/qualification_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::PreconditionTypes;
using ::quorum::testing::ViolatedFields;

class WorkflowTest : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    workflow_ = v1::WorkflowService::NewStub(channel_);
    intake_ = v1::IntakeService::NewStub(channel_);
    notes_ = v1::NoteService::NewStub(channel_);
    policy_ = v1::PolicyService::NewStub(channel_);
    qualification_ = v1::QualificationService::NewStub(channel_);
    graph_ = v1::AccountGraphService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return context;
  }

  // A lead like the seed article's worked example; returns its account.
  std::string Lead(const std::string& request_id, const std::string& email,
                   const std::string& company,
                   v1::SignalType type = v1::SIGNAL_TYPE_DEMO_REQUEST) {
    v1::SubmitLeadRequest request;
    request.set_request_id(request_id);
    auto* lead = request.mutable_lead();
    lead->set_email(email);
    lead->set_first_name("Megan");
    lead->set_last_name("Ortiz");
    lead->set_title("Laboratory Operations Manager");
    lead->set_company(company);
    lead->set_country("US");
    lead->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    lead->set_source(v1::SOURCE_CHANNEL_DEMO_FORM);
    lead->set_campaign("q4");
    lead->mutable_signal()->set_type(type);
    lead->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
    v1::SubmitLeadResponse response;
    grpc::Status status = intake_->SubmitLead(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.account();
  }

  grpc::Status Transition(const std::string& account, v1::LifecycleStatus to,
                          const std::string& reason,
                          v1::TransitionStatusResponse* out = nullptr) {
    v1::TransitionStatusRequest request;
    request.set_name(account);
    request.set_status(to);
    request.set_reason(reason);
    request.set_actor("marketing-ops@us");
    v1::TransitionStatusResponse response;
    return workflow_->TransitionStatus(Context().get(), request,
                                       out ? out : &response);
  }

  v1::Verdict Qualify(const std::string& account) {
    v1::QualifyAccountRequest request;
    request.set_name(account);
    v1::Verdict verdict;
    EXPECT_TRUE(
        qualification_->QualifyAccount(Context().get(), request, &verdict).ok());
    return verdict;
  }

  std::vector<v1::StatusChange> History(const std::string& account) {
    v1::ListStatusChangesRequest request;
    request.set_parent(account);
    v1::ListStatusChangesResponse response;
    EXPECT_TRUE(
        workflow_->ListStatusChanges(Context().get(), request, &response).ok());
    return {response.status_changes().begin(), response.status_changes().end()};
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkflowService::Stub> workflow_;
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::NoteService::Stub> notes_;
  std::unique_ptr<v1::PolicyService::Stub> policy_;
  std::unique_ptr<v1::QualificationService::Stub> qualification_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
};

TEST_P(WorkflowTest, WholeAccountJourneyFromIntakeToRequalification) {
  // Intake, and the verdict it gives.
  const std::string account =
      Lead("journey-1", "megan.ortiz@riverside-lab.org", "Riverside Lab");
  ASSERT_EQ(account, "accounts/riverside-lab");
  v1::Verdict verdict = Qualify(account);
  EXPECT_EQ(verdict.route(), v1::ROUTE_SALES_DISCOVERY);

  // Status changes with reasons.
  v1::TransitionStatusResponse researched;
  ASSERT_TRUE(Transition(account, v1::LIFECYCLE_STATUS_RESEARCHING,
                         "Checking the lab's test menu", &researched)
                  .ok());
  EXPECT_EQ(researched.change().from_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(researched.change().route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(researched.change().policy_revision(), 1);
  ASSERT_TRUE(Transition(account, v1::LIFECYCLE_STATUS_QUALIFIED,
                         "Menu fits; demo requested")
                  .ok());

  // The handoff is refused while incomplete, then made complete.
  v1::CreateHandoffRequest handoff_request;
  handoff_request.set_parent(account);
  handoff_request.set_actor("marketing-ops@us");
  v1::Handoff handoff;
  grpc::Status refused =
      workflow_->CreateHandoff(Context().get(), handoff_request, &handoff);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(refused),
            std::set<std::string>{"HANDOFF_INCOMPLETE"});
  EXPECT_NE(refused.error_message().find("notes"), std::string::npos);
  EXPECT_NE(refused.error_message().find("decision_owner_plan"),
            std::string::npos);

  v1::CreateNoteRequest note;
  note.set_parent(account);
  note.mutable_note()->set_kind(v1::NOTE_KIND_CALL);
  note.mutable_note()->set_learned("Turnaround is the pain; pilot in Q1");
  note.mutable_note()->set_next_step("Discovery call with the lab director");
  note.mutable_note()->set_author("sdr@us");
  v1::Note created_note;
  ASSERT_TRUE(notes_->CreateNote(Context().get(), note, &created_note).ok());
  handoff_request.set_decision_owner_plan(
      "Megan introduces the lab director at the discovery call");
  grpc::Status created =
      workflow_->CreateHandoff(Context().get(), handoff_request, &handoff);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_TRUE(handoff.complete());
  EXPECT_FALSE(handoff.forced());
  EXPECT_EQ(handoff.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_FALSE(handoff.reason().empty());
  EXPECT_FALSE(handoff.next_step().empty());
  EXPECT_EQ(handoff.notes_size(), 1);
  EXPECT_EQ(handoff.committee_map().account().name(), account);
  std::set<std::string> questions;
  for (const auto& q : handoff.questions()) questions.insert(q.id());
  EXPECT_TRUE(questions.count("pilot-goals") && questions.count("validation-steps") &&
              questions.count("integration-needs"));

  v1::GetAccountRequest get;
  get.set_name(account);
  v1::Account after_handoff;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &after_handoff).ok());
  EXPECT_EQ(after_handoff.lifecycle_status(), v1::LIFECYCLE_STATUS_HANDED_OFF);

  // Sales rejects it as too early: back to nurture, with that reason.
  v1::RecordHandoffFeedbackRequest feedback;
  feedback.set_name(handoff.name());
  feedback.set_outcome(v1::HANDOFF_OUTCOME_REJECTED);
  feedback.set_rejection_reason(v1::REJECTION_REASON_TOO_EARLY);
  feedback.set_comment("No budget cycle until next fiscal year");
  feedback.set_actor("ae@us");
  v1::Handoff with_feedback;
  ASSERT_TRUE(workflow_->RecordHandoffFeedback(Context().get(), feedback,
                                               &with_feedback)
                  .ok());
  EXPECT_EQ(with_feedback.feedback().moved_to(), v1::LIFECYCLE_STATUS_NURTURE);
  std::vector<v1::StatusChange> history = History(account);
  ASSERT_EQ(history.size(), 4u);  // Newest first.
  EXPECT_EQ(history[0].to_status(), v1::LIFECYCLE_STATUS_NURTURE);
  EXPECT_NE(history[0].reason().find("TOO_EARLY"), std::string::npos);
  EXPECT_EQ(history[0].handoff(), handoff.name());
  EXPECT_EQ(history[1].to_status(), v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_EQ(history[3].reason(), "Checking the lab's test menu");

  // The criteria are revised from the feedback: simulate, then publish.
  v1::GetPolicyRequest get_policy;
  v1::PolicyRevision active;
  ASSERT_TRUE(policy_->GetPolicy(Context().get(), get_policy, &active).ok());
  v1::Policy revised = active.policy();
  revised.mutable_intent()->set_high_intent_threshold(60);
  v1::SimulatePolicyRequest simulate;
  *simulate.mutable_source()->mutable_policy() = revised;
  v1::SimulatePolicyResponse simulated;
  ASSERT_TRUE(policy_->SimulatePolicy(Context().get(), simulate, &simulated).ok());
  EXPECT_EQ(simulated.active_revision(), 1);
  ASSERT_EQ(simulated.handoffs_size(), 1);
  EXPECT_FALSE(simulated.handoffs(0).accepted());
  EXPECT_FALSE(simulated.handoffs(0).candidate_hands_off());
  EXPECT_EQ(simulated.rejected_avoided(), 1);
  bool moved = false;
  for (const auto& change : simulated.changes()) {
    for (const auto& a : change.accounts()) {
      moved |= a == account && change.old_route() == v1::ROUTE_SALES_DISCOVERY;
    }
  }
  EXPECT_TRUE(moved);

  v1::PublishPolicyRequest publish;
  *publish.mutable_source()->mutable_policy() = revised;
  publish.set_description("Demo requests alone were too early for sales");
  v1::PolicyRevision published;
  ASSERT_TRUE(policy_->PublishPolicy(Context().get(), publish, &published).ok());
  v1::Verdict requalified = Qualify(account);
  EXPECT_EQ(requalified.policy_revision(), 2);
  EXPECT_NE(requalified.route(), v1::ROUTE_SALES_DISCOVERY);
  // The readiness listing agrees, under the new revision.
  v1::ListAccountReadinessRequest list;
  v1::ListAccountReadinessResponse listed;
  ASSERT_TRUE(workflow_->ListAccountReadiness(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.accounts_size(), 1);
  EXPECT_EQ(listed.policy_revision(), 2);
  EXPECT_EQ(listed.accounts(0).route(), requalified.route());
  EXPECT_EQ(listed.accounts(0).status(), v1::LIFECYCLE_STATUS_NURTURE);
}

TEST_P(WorkflowTest, TransitionsNeedAReasonAnActorAndAnAllowedTarget) {
  const std::string account = Lead("t", "a@lab-one.org", "Lab One");
  v1::TransitionStatusRequest request;
  request.set_name(account);
  request.set_status(v1::LIFECYCLE_STATUS_NURTURE);
  v1::TransitionStatusResponse response;
  grpc::Status status =
      workflow_->TransitionStatus(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"reason", "actor"}));

  status = Transition(account, v1::LIFECYCLE_STATUS_HANDED_OFF, "skip ahead");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(
      Transition(account, v1::LIFECYCLE_STATUS_DISQUALIFIED, "Wrong region").ok());
  status = Transition(account, v1::LIFECYCLE_STATUS_QUALIFIED, "changed mind");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("RESEARCHING, NURTURE"),
            std::string::npos)
      << status.error_message();

  request.set_reason("stale");
  request.set_actor("x");
  request.set_status(v1::LIFECYCLE_STATUS_RESEARCHING);
  request.set_etag("\"0\"");
  EXPECT_EQ(workflow_->TransitionStatus(Context().get(), request, &response)
                .error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(History(account).size(), 1u);
}

TEST_P(WorkflowTest, OnlySalesRoutesAreHandedOffAndForcingNeedsAReason) {
  const std::string account = Lead("h", "a@lab-two.org", "Lab Two",
                                   v1::SIGNAL_TYPE_PAGE_VIEW);  // Nurture.
  v1::CreateHandoffRequest request;
  request.set_parent(account);
  request.set_actor("ops");
  v1::Handoff handoff;
  grpc::Status status = workflow_->CreateHandoff(Context().get(), request, &handoff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(status),
            std::set<std::string>{"ROUTE_NOT_FOR_SALES"});

  const std::string ready = Lead("h2", "b@lab-three.org", "Lab Three");
  request.set_parent(ready);
  request.set_force(true);
  status = workflow_->CreateHandoff(Context().get(), request, &handoff);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"force_reason"});
  request.set_force_reason("The lab director asked for a call this week");
  ASSERT_TRUE(workflow_->CreateHandoff(Context().get(), request, &handoff).ok());
  EXPECT_TRUE(handoff.forced());
  EXPECT_FALSE(handoff.complete());
  EXPECT_GE(handoff.missing_size(), 1);

  v1::GetHandoffRequest get;
  get.set_name(handoff.name());
  v1::Handoff got;
  ASSERT_TRUE(workflow_->GetHandoff(Context().get(), get, &got).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, handoff));
  v1::ListHandoffsRequest list;
  list.set_parent(ready);
  v1::ListHandoffsResponse listed;
  ASSERT_TRUE(workflow_->ListHandoffs(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.handoffs_size(), 1);

  v1::RecordHandoffFeedbackRequest feedback;
  feedback.set_name(handoff.name());
  feedback.set_outcome(v1::HANDOFF_OUTCOME_REJECTED);
  feedback.set_actor("ae");
  status = workflow_->RecordHandoffFeedback(Context().get(), feedback, &got);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"rejection_reason", "comment"}));
  feedback.set_outcome(v1::HANDOFF_OUTCOME_ACCEPTED);
  ASSERT_TRUE(workflow_->RecordHandoffFeedback(Context().get(), feedback, &got).ok());
  EXPECT_EQ(workflow_->RecordHandoffFeedback(Context().get(), feedback, &got)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  get.set_name(ready + "/handoffs/nope");
  EXPECT_EQ(workflow_->GetHandoff(Context().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Over gRPC: a handoff with feedback, a forced delete of its account, then
// ListHandoffs (with and without show_deleted, its tokens bound to the
// choice), metrics and simulation still see the handoff.
TEST_P(WorkflowTest, ForceDeletedAccountsHandoffsAreListedWithShowDeleted) {
  const std::string account = Lead("d1", "c@lab-four.org", "Lab Four");
  v1::CreateHandoffRequest create;
  create.set_parent(account);
  create.set_actor("ops");
  create.set_force(true);
  create.set_force_reason("The lab director asked for a call");
  v1::Handoff first, second;
  ASSERT_TRUE(workflow_->CreateHandoff(Context().get(), create, &first).ok());
  v1::RecordHandoffFeedbackRequest feedback;
  feedback.set_name(first.name());
  feedback.set_outcome(v1::HANDOFF_OUTCOME_REJECTED);
  feedback.set_rejection_reason(v1::REJECTION_REASON_WRONG_CONTACT);
  feedback.set_comment("not the buyer");
  feedback.set_actor("ae");
  v1::Handoff got;
  ASSERT_TRUE(
      workflow_->RecordHandoffFeedback(Context().get(), feedback, &got).ok());
  ASSERT_TRUE(workflow_->CreateHandoff(Context().get(), create, &second).ok());

  v1::DeleteAccountRequest remove;
  remove.set_name(account);
  remove.set_force(true);
  google::protobuf::Empty empty;
  ASSERT_TRUE(graph_->DeleteAccount(Context().get(), remove, &empty).ok());

  v1::ListHandoffsRequest list;
  list.set_parent(account);
  v1::ListHandoffsResponse listed;
  EXPECT_EQ(
      workflow_->ListHandoffs(Context().get(), list, &listed).error_code(),
      grpc::StatusCode::NOT_FOUND);
  list.set_show_deleted(true);
  list.set_page_size(1);
  ASSERT_TRUE(workflow_->ListHandoffs(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.handoffs_size(), 1);
  EXPECT_EQ(listed.handoffs(0).name(), second.name());
  EXPECT_TRUE(listed.handoffs(0).has_delete_time());
  ASSERT_FALSE(listed.next_page_token().empty());
  // The token serves only a listing with show_deleted.
  v1::ListHandoffsRequest without = list;
  without.set_show_deleted(false);
  without.set_page_token(listed.next_page_token());
  v1::ListHandoffsResponse refused;
  EXPECT_EQ(
      workflow_->ListHandoffs(Context().get(), without, &refused).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  list.set_page_token(listed.next_page_token());
  v1::ListHandoffsResponse rest;
  ASSERT_TRUE(workflow_->ListHandoffs(Context().get(), list, &rest).ok());
  ASSERT_EQ(rest.handoffs_size(), 1);
  EXPECT_EQ(rest.handoffs(0).name(), first.name());
  EXPECT_EQ(rest.handoffs(0).feedback().rejection_reason(),
            v1::REJECTION_REASON_WRONG_CONTACT);
  EXPECT_TRUE(rest.next_page_token().empty());

  v1::GetProcessMetricsRequest metrics;
  *metrics.mutable_start_time() = first.create_time();
  metrics.mutable_end_time()->set_seconds(first.create_time().seconds() + 3600);
  v1::ProcessMetrics m;
  ASSERT_TRUE(workflow_->GetProcessMetrics(Context().get(), metrics, &m).ok());
  EXPECT_EQ(m.handoffs(), 2);
  ASSERT_EQ(m.rejection_reasons_size(), 1);
  EXPECT_EQ(m.rejection_reasons(0).reason(), "WRONG_CONTACT");

  v1::GetPolicyRequest get_policy;
  v1::PolicyRevision active;
  ASSERT_TRUE(policy_->GetPolicy(Context().get(), get_policy, &active).ok());
  v1::SimulatePolicyRequest simulate;
  *simulate.mutable_source()->mutable_policy() = active.policy();
  v1::SimulatePolicyResponse simulated;
  ASSERT_TRUE(
      policy_->SimulatePolicy(Context().get(), simulate, &simulated).ok());
  ASSERT_EQ(simulated.handoffs_size(), 1);
  EXPECT_EQ(simulated.handoffs(0).handoff(), first.name());
  EXPECT_EQ(simulated.handoffs(0).rejection_reason(),
            v1::REJECTION_REASON_WRONG_CONTACT);
  EXPECT_TRUE(simulated.handoffs(0).has_account_delete_time());
  EXPECT_EQ(simulated.handoffs(0).candidate_route(),
            simulated.handoffs(0).handed_off_route());
}

TEST_P(WorkflowTest, WatcherSeesExactlyTheChangesASeriesOfWritesCauses) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::WatchReadinessRequest request;
  auto reader = workflow_->WatchReadiness(&context, request);
  // A second watcher only wants events touching SALES_DISCOVERY.
  grpc::ClientContext filtered_context;
  filtered_context.set_deadline(std::chrono::system_clock::now() +
                                std::chrono::seconds(30));
  v1::WatchReadinessRequest filtered_request;
  filtered_request.add_routes(v1::ROUTE_SALES_DISCOVERY);
  auto filtered = workflow_->WatchReadiness(&filtered_context, filtered_request);
  // Give the streams time to start before writing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // 1. A new account from a page view: one event (new route).
  const std::string account =
      Lead("w1", "a@watch-lab.org", "Watch Lab", v1::SIGNAL_TYPE_PAGE_VIEW);
  // 2. A note changes no verdict: no event.
  v1::CreateNoteRequest note;
  note.set_parent(account);
  note.mutable_note()->set_learned("nothing new");
  note.mutable_note()->set_author("x");
  v1::Note created;
  ASSERT_TRUE(notes_->CreateNote(Context().get(), note, &created).ok());
  // 3. A status change changes no verdict: no event.
  ASSERT_TRUE(Transition(account, v1::LIFECYCLE_STATUS_NURTURE, "webinar only").ok());
  // 4. A demo request: the route goes to SALES_DISCOVERY: one event.
  Lead("w2", "a@watch-lab.org", "Watch Lab", v1::SIGNAL_TYPE_DEMO_REQUEST);

  std::vector<v1::ReadinessEvent> events;
  v1::ReadinessEvent event;
  while (events.size() < 2 && reader->Read(&event)) events.push_back(event);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].account(), account);
  EXPECT_EQ(events[0].old_route(), v1::ROUTE_UNSPECIFIED);
  EXPECT_EQ(events[0].new_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(events[1].old_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(events[1].new_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_GT(events[1].new_readiness(), events[1].old_readiness());
  EXPECT_EQ(events[1].status(), v1::LIFECYCLE_STATUS_NURTURE);
  EXPECT_EQ(events[1].sequence(), events[0].sequence() + 1);
  context.TryCancel();
  reader->Finish();

  // Resuming after the first event replays exactly the second.
  grpc::ClientContext resume_context;
  resume_context.set_deadline(std::chrono::system_clock::now() +
                              std::chrono::seconds(10));
  request.set_after_sequence(events[0].sequence());
  auto resumed = workflow_->WatchReadiness(&resume_context, request);
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.sequence(), events[1].sequence());
  EXPECT_EQ(event.new_route(), v1::ROUTE_SALES_DISCOVERY);
  resume_context.TryCancel();
  resumed->Finish();

  // The filtered watcher saw only the change to SALES_DISCOVERY.
  ASSERT_TRUE(filtered->Read(&event));
  EXPECT_EQ(event.sequence(), events[1].sequence());
  filtered_context.TryCancel();
  filtered->Finish();
}

TEST_P(WorkflowTest, TransitionRetriedWithTheSameRequestIdChangesOnce) {
  const std::string account = Lead("t", "a@retry-lab.org", "Retry Lab");
  v1::GetAccountRequest get;
  get.set_name(account);
  v1::Account before;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &before).ok());
  v1::TransitionStatusRequest request;
  request.set_name(account);
  request.set_status(v1::LIFECYCLE_STATUS_RESEARCHING);
  request.set_reason("menu check");
  request.set_actor("ops@us");
  request.set_etag(before.etag());
  request.set_request_id("6f1c3c1e-transition");
  v1::TransitionStatusResponse first, retry;
  ASSERT_TRUE(
      workflow_->TransitionStatus(Context().get(), request, &first).ok());
  // The retry carries the old etag: without the request ID it would be a
  // stale-etag ABORTED (or, without an etag, a second change).
  grpc::Status status =
      workflow_->TransitionStatus(Context().get(), request, &retry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first, retry));
  EXPECT_EQ(History(account).size(), 1u);

  // The same ID for another request is refused, naming request_id.
  request.set_status(v1::LIFECYCLE_STATUS_NURTURE);
  request.clear_etag();
  status = workflow_->TransitionStatus(Context().get(), request, &retry);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"request_id"});
  EXPECT_EQ(History(account).size(), 1u);

  // Without an ID, the retry of a change that went through is refused for
  // its stale etag: the client cannot tell it was applied.
  request.set_request_id("");
  request.set_etag(first.account().etag());
  ASSERT_TRUE(
      workflow_->TransitionStatus(Context().get(), request, &retry).ok());
  status = workflow_->TransitionStatus(Context().get(), request, &retry);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(History(account).size(), 2u);
}

TEST_P(WorkflowTest, HandoffRetriedWithTheSameRequestIdIsCreatedOnce) {
  const std::string account =
      Lead("h", "a@handoff-retry.org", "Handoff Retry Lab");
  v1::CreateHandoffRequest request;
  request.set_parent(account);
  request.set_actor("ops@us");
  request.set_force(true);
  request.set_force_reason("trade show follow-up");
  request.set_request_id("handoff-retry-1");
  v1::Handoff first, retry;
  grpc::Status status =
      workflow_->CreateHandoff(Context().get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = workflow_->CreateHandoff(Context().get(), request, &retry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.name(), retry.name());
  v1::ListHandoffsRequest list;
  list.set_parent(account);
  v1::ListHandoffsResponse handoffs;
  ASSERT_TRUE(workflow_->ListHandoffs(Context().get(), list, &handoffs).ok());
  EXPECT_EQ(handoffs.handoffs_size(), 1);

  request.set_request_id(std::string(129, 'x'));
  status = workflow_->CreateHandoff(Context().get(), request, &retry);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"request_id"});
}

TEST_P(WorkflowTest, MetricsWindowIsRequiredAndOrdered) {
  v1::GetProcessMetricsRequest request;
  v1::ProcessMetrics metrics;
  grpc::Status status =
      workflow_->GetProcessMetrics(Context().get(), request, &metrics);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"start_time", "end_time"}));
  request.mutable_start_time()->set_seconds(2000);
  request.mutable_end_time()->set_seconds(1000);
  status = workflow_->GetProcessMetrics(Context().get(), request, &metrics);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"end_time"});

  const std::string account = Lead("m", "a@metrics-lab.org", "Metrics Lab");
  ASSERT_TRUE(Transition(account, v1::LIFECYCLE_STATUS_RESEARCHING, "review").ok());
  request.mutable_start_time()->set_seconds(0);
  request.mutable_end_time()->set_seconds(4102444800);  // 2100.
  ASSERT_TRUE(workflow_->GetProcessMetrics(Context().get(), request, &metrics).ok());
  EXPECT_EQ(metrics.accounts_created(), 1);
  EXPECT_EQ(metrics.reviewed_within_sla(), 1);
  EXPECT_DOUBLE_EQ(metrics.review_rate(), 1.0);
  ASSERT_EQ(metrics.qualified_by_source_size(), 1);
  EXPECT_EQ(metrics.qualified_by_source(0).source(), v1::SOURCE_CHANNEL_DEMO_FORM);
  EXPECT_EQ(metrics.qualified_by_source(0).campaign(), "q4");
}

INSTANTIATE_TEST_SUITE_P(Engines, WorkflowTest, quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
