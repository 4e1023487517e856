// Store: the workflow on a real LMDB. Status transitions and their history,
// handoffs and sales feedback, process metrics against hand-computed values,
// the readiness listing on a generated dataset of thousands of accounts
// (checked account by account against graph::Qualify), the readiness change
// feed, and policy simulation.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/rules/workflow.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}
absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return absl::Nanoseconds(TimeUtil::DurationToNanoseconds(d));
}

v1::CreateSignalRequest SignalRequest(
    absl::string_view account_id, v1::SignalType type, absl::Time when,
    v1::SignalTopic topic = v1::SIGNAL_TOPIC_GENERAL,
    absl::string_view stakeholder = "") {
  v1::CreateSignalRequest r;
  r.set_parent(AccountName(account_id));
  r.mutable_signal()->set_type(type);
  r.mutable_signal()->set_topic(topic);
  *r.mutable_signal()->mutable_occur_time() = Ts(when);
  r.mutable_signal()->set_stakeholder(std::string(stakeholder));
  return r;
}

std::vector<std::string> MissingOf(const v1::Verdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.committee().requirements()) {
    if (r.applicable() && !r.met()) out.push_back(r.requirement_id());
  }
  return out;
}

// ----------------------------------------------------------------- fixture

// A store with the default policy published (as the server does at start).
class WorkflowStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto published =
        store_->policies().PublishPolicy(graph::DefaultPolicy(), "default");
    ASSERT_TRUE(published.ok()) << published.status();
    revision_ = published->revision();
  }

  // A US hospital lab: every must-have fit check passes, so without an
  // evaluation signal it routes to NURTURE.
  v1::Account AddLab(absl::string_view id,
                     std::map<std::string, std::string> labels = {},
                     std::string country = "US") {
    v1::Account a = NewAccount(absl::StrCat("Lab ", id), std::move(country));
    a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    for (auto& [k, v] : labels) (*a.mutable_labels())[k] = v;
    return OrFail(store_->accounts().CreateAccount(a, id),
                  absl::StrCat("CreateAccount ", id));
  }

  void AddSignal(absl::string_view id, v1::SignalType type,
                 v1::SignalTopic topic = v1::SIGNAL_TOPIC_GENERAL) {
    v1::RecordSignalsRequest batch;
    *batch.add_requests() = SignalRequest(id, type, now_, topic);
    EXPECT_OK(store_->signals().RecordSignals(batch));
  }

  // Fit, and a demo request now: SALES_DISCOVERY (rule fit-and-intent).
  v1::Account AddSalesReadyLab(absl::string_view id,
                               std::map<std::string, std::string> labels = {}) {
    AddLab(id, std::move(labels));
    AddSignal(id, v1::SIGNAL_TYPE_DEMO_REQUEST);
    return OrFail(store_->accounts().GetAccount(AccountName(id)), "GetAccount");
  }

  // Fit, and a demo request about validation with nobody from quality
  // engaged: TECHNICAL_PRESALES (rule validation-unclear).
  v1::Account AddPresalesLab(absl::string_view id,
                             std::map<std::string, std::string> labels = {}) {
    AddLab(id, std::move(labels));
    AddSignal(id, v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TOPIC_VALIDATION);
    return OrFail(store_->accounts().GetAccount(AccountName(id)), "GetAccount");
  }

  v1::Note AddNote(absl::string_view id, std::string learned,
                   absl::Time occur) {
    v1::Note note;
    note.set_learned(std::move(learned));
    note.set_author("ana");
    *note.mutable_occur_time() = Ts(occur);
    return OrFail(store_->notes().CreateNote(AccountName(id), note, ""),
                  "CreateNote");
  }

  absl::StatusOr<v1::TransitionStatusResponse> Transition(
      absl::string_view id, v1::LifecycleStatus status,
      std::string reason = "reviewed the account", std::string etag = "") {
    v1::TransitionStatusRequest r;
    r.set_name(AccountName(id));
    r.set_status(status);
    r.set_reason(std::move(reason));
    r.set_actor("ana");
    r.set_etag(std::move(etag));
    return store_->workflow().TransitionStatus(r);
  }

  v1::CreateHandoffRequest HandoffRequest(absl::string_view id) {
    v1::CreateHandoffRequest r;
    r.set_parent(AccountName(id));
    r.set_actor("ana");
    r.set_decision_owner_plan("ask the lab manager who signs off");
    return r;
  }

  absl::StatusOr<v1::Handoff> Feedback(const std::string& handoff,
                                       v1::HandoffOutcome outcome,
                                       v1::RejectionReason reason =
                                           v1::REJECTION_REASON_UNSPECIFIED,
                                       std::string comment = "") {
    v1::RecordHandoffFeedbackRequest r;
    r.set_name(handoff);
    r.set_outcome(outcome);
    r.set_rejection_reason(reason);
    r.set_comment(std::move(comment));
    r.set_actor("sam");
    return store_->workflow().RecordHandoffFeedback(r);
  }

  // The verdict on accounts/{id} now, computed directly.
  v1::Verdict VerdictOf(absl::string_view id) {
    auto tree = store_->store().LoadAccountTree(AccountName(id));
    EXPECT_TRUE(tree.ok()) << tree.status();
    if (!tree.ok()) return v1::Verdict();
    return graph::Qualify(*tree, graph::DefaultPolicy(), revision_, now_);
  }

  // The whole history of accounts/{id}, newest first.
  std::vector<v1::StatusChange> History(absl::string_view id) {
    auto page = store_->workflow().ListStatusChanges(AccountName(id), 1000, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<v1::StatusChange>();
  }

  v1::LifecycleStatus StatusOfAccount(absl::string_view id) {
    return OrFail(store_->accounts().GetAccount(AccountName(id)), "GetAccount")
        .lifecycle_status();
  }

  int64_t revision_ = 0;
};

// ============================================================ transitions

TEST_F(WorkflowStoreTest, TransitionNeedsReasonActorAndStatusNamingEachField) {
  AddLab("lab");
  v1::TransitionStatusRequest r;
  r.set_name(AccountName("lab"));
  auto status = store_->workflow().TransitionStatus(r);
  EXPECT_THAT(status, HasViolationOn("reason"));
  EXPECT_THAT(status, HasViolationOn("actor"));
  EXPECT_THAT(status, HasViolationOn("status"));

  r.set_status(v1::LIFECYCLE_STATUS_RESEARCHING);
  r.set_reason("  \t ");
  r.set_actor(" ");
  status = store_->workflow().TransitionStatus(r);
  EXPECT_THAT(status, HasViolationOn("reason"));
  EXPECT_THAT(status, HasViolationOn("actor"));
  EXPECT_THAT(ViolatedFields(status.status()), Not(::testing::Contains("status")));

  r.set_reason("ok");
  r.set_actor("ana");
  r.set_status(static_cast<v1::LifecycleStatus>(77));
  EXPECT_THAT(store_->workflow().TransitionStatus(r), HasViolationOn("status"));
  r.set_status(v1::LIFECYCLE_STATUS_RESEARCHING);
  r.set_name("lab");
  EXPECT_THAT(store_->workflow().TransitionStatus(r), HasViolationOn("name"));

  // Nothing was written by any of them.
  EXPECT_THAT(History("lab"), IsEmpty());
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_NEW);
}

TEST_F(WorkflowStoreTest, TransitionOfAMissingAccountIsNotFound) {
  EXPECT_THAT(Transition("ghost", v1::LIFECYCLE_STATUS_RESEARCHING),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(WorkflowStoreTest, TransitionWithAStaleEtagIsAbortedAndWritesNothing) {
  const v1::Account before = AddLab("lab");
  ASSERT_OK(store_->accounts().UpdateAccount(
      [] {
        v1::Account patch;
        patch.set_name(AccountName("lab"));
        patch.set_owner("team-east");
        return patch;
      }(),
      Mask({"owner"})));
  EXPECT_THAT(Transition("lab", v1::LIFECYCLE_STATUS_RESEARCHING, "why",
                         before.etag()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(History("lab"), IsEmpty());

  const v1::Account current =
      OrFail(store_->accounts().GetAccount(AccountName("lab")), "");
  EXPECT_OK(Transition("lab", v1::LIFECYCLE_STATUS_RESEARCHING, "why",
                       current.etag()));
}

TEST_F(WorkflowStoreTest, DisallowedTransitionListsWhereTheAccountCanGo) {
  AddLab("lab");
  ASSERT_OK(Transition("lab", v1::LIFECYCLE_STATUS_DISQUALIFIED));
  auto status = Transition("lab", v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_THAT(status, HasPreconditionFailure("TRANSITION_NOT_ALLOWED"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("DISQUALIFIED -> QUALIFIED"),
                                     HasSubstr("RESEARCHING, NURTURE"))));
  EXPECT_THAT(History("lab"), SizeIs(1));
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_DISQUALIFIED);
}

TEST_F(WorkflowStoreTest, HandedOffIsNeverReachedByTransitionStatus) {
  AddSalesReadyLab("lab");
  for (v1::LifecycleStatus from :
       {v1::LIFECYCLE_STATUS_NEW, v1::LIFECYCLE_STATUS_QUALIFIED}) {
    if (from != v1::LIFECYCLE_STATUS_NEW) {
      ASSERT_OK(Transition("lab", from));
    }
    auto status = Transition("lab", v1::LIFECYCLE_STATUS_HANDED_OFF);
    EXPECT_THAT(status, HasPreconditionFailure("TRANSITION_NOT_ALLOWED"));
    EXPECT_THAT(status.status().message(), HasSubstr("CreateHandoff"));
    EXPECT_EQ(StatusOfAccount("lab"), from);
  }
}

TEST_F(WorkflowStoreTest, TransitionRecordsWhoWhyWhenAndTheVerdictOfTheMoment) {
  const v1::Account before = AddSalesReadyLab("lab");
  now_ += absl::Hours(5);
  const v1::Verdict verdict = VerdictOf("lab");
  ASSERT_EQ(verdict.route(), v1::ROUTE_SALES_DISCOVERY);

  ASSERT_OK_AND_ASSIGN(
      v1::TransitionStatusResponse response,
      Transition("lab", v1::LIFECYCLE_STATUS_QUALIFIED, "  fit and intent  "));
  const v1::StatusChange& c = response.change();
  EXPECT_THAT(c.name(), StartsWith("accounts/lab/statusChanges/"));
  EXPECT_EQ(c.from_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(c.to_status(), v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_EQ(c.reason(), "fit and intent");
  EXPECT_EQ(c.actor(), "ana");
  EXPECT_EQ(TimeOf(c.change_time()), now_);
  EXPECT_EQ(c.policy_revision(), revision_);
  EXPECT_EQ(c.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(c.readiness(), verdict.readiness());
  EXPECT_TRUE(c.handoff().empty());

  EXPECT_EQ(response.account().lifecycle_status(),
            v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_NE(response.account().etag(), before.etag());
  EXPECT_EQ(TimeOf(response.account().update_time()), now_);
  EXPECT_THAT(
      OrFail(store_->accounts().GetAccount(AccountName("lab")), "GetAccount"),
      EqualsProto(response.account()));
  ASSERT_THAT(History("lab"), SizeIs(1));
  EXPECT_THAT(History("lab")[0], EqualsProto(c));
}

TEST_F(WorkflowStoreTest, StatusChangesListNewestFirstInPages) {
  AddLab("lab");
  AddLab("other");
  const std::vector<v1::LifecycleStatus> path = {
      v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_NURTURE,
      v1::LIFECYCLE_STATUS_QUALIFIED, v1::LIFECYCLE_STATUS_DISQUALIFIED,
      v1::LIFECYCLE_STATUS_RESEARCHING};
  for (size_t i = 0; i < path.size(); ++i) {
    now_ += absl::Minutes(10);
    ASSERT_OK(Transition("lab", path[i], absl::StrCat("step ", i)));
    ASSERT_OK(Transition("other", path[i], absl::StrCat("other step ", i)));
  }
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::StatusChange> first,
      store_->workflow().ListStatusChanges(AccountName("lab"), 2, ""));
  EXPECT_TRUE(first.more);
  ASSERT_OK_AND_ASSIGN(graph::Page<v1::StatusChange> second,
                       store_->workflow().ListStatusChanges(AccountName("lab"),
                                                            2, first.last_key));
  EXPECT_TRUE(second.more);
  ASSERT_OK_AND_ASSIGN(graph::Page<v1::StatusChange> third,
                       store_->workflow().ListStatusChanges(
                           AccountName("lab"), 2, second.last_key));
  EXPECT_FALSE(third.more);
  std::vector<std::string> reasons;
  for (const auto* page : {&first, &second, &third}) {
    for (const auto& c : page->items) {
      EXPECT_THAT(c.name(), StartsWith("accounts/lab/"));
      reasons.push_back(c.reason());
    }
  }
  EXPECT_THAT(reasons, ElementsAre("step 4", "step 3", "step 2", "step 1",
                                   "step 0"));
  // Each change starts where the previous one ended.
  const std::vector<v1::StatusChange> all = History("lab");
  ASSERT_THAT(all, SizeIs(5));
  EXPECT_EQ(all.back().from_status(), v1::LIFECYCLE_STATUS_NEW);
  for (size_t i = 0; i + 1 < all.size(); ++i) {
    EXPECT_EQ(all[i].from_status(), all[i + 1].to_status());
  }
}

TEST_F(WorkflowStoreTest, StatusChangesOfAMissingAccountAreNotFound) {
  EXPECT_THAT(
      store_->workflow().ListStatusChanges(AccountName("ghost"), 10, ""),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->workflow().ListStatusChanges("ghost", 10, ""),
              HasViolationOn("parent"));
}

// =============================================================== handoffs

TEST_F(WorkflowStoreTest, HandoffOfAnAccountNotRoutedToSalesIsRefused) {
  AddLab("nurture");  // No evaluation signal: NURTURE.
  AddNote("nurture", "spoke to the lab", now_);
  auto status = store_->workflow().CreateHandoff(HandoffRequest("nurture"));
  EXPECT_THAT(status, HasPreconditionFailure("ROUTE_NOT_FOR_SALES"));
  EXPECT_THAT(status.status().message(), HasSubstr("ROUTE_NURTURE"));
  EXPECT_EQ(StatusOfAccount("nurture"), v1::LIFECYCLE_STATUS_NEW);

  AddLab("far", {}, "BR");  // Wrong geography: DISQUALIFY.
  AddSignal("far", v1::SIGNAL_TYPE_DEMO_REQUEST);
  EXPECT_THAT(store_->workflow().CreateHandoff(HandoffRequest("far")),
              HasPreconditionFailure("ROUTE_NOT_FOR_SALES"));
}

TEST_F(WorkflowStoreTest, IncompleteHandoffListsEachMissingItemAndWritesNothing) {
  AddSalesReadyLab("lab");
  const int64_t events = store_->readiness().LastEventSequence();
  v1::CreateHandoffRequest r = HandoffRequest("lab");
  r.clear_decision_owner_plan();
  auto status = store_->workflow().CreateHandoff(r);
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  const google::rpc::PreconditionFailure failure =
      PreconditionFailureOf(status.status());
  std::vector<std::string> subjects;
  for (const auto& v : failure.violations()) {
    EXPECT_EQ(v.type(), "HANDOFF_INCOMPLETE");
    subjects.push_back(v.subject());
  }
  EXPECT_THAT(subjects, ElementsAre("notes", "decision_owner_plan"));
  EXPECT_THAT(status.status().message(),
              AllOf(HasSubstr("at least 1 note"), HasSubstr("decision owner")));

  // Nothing was written.
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_THAT(History("lab"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> handoffs,
      store_->workflow().ListHandoffs(AccountName("lab"), 10, ""));
  EXPECT_THAT(handoffs.items, IsEmpty());
  EXPECT_EQ(store_->readiness().LastEventSequence(), events);
}

TEST_F(WorkflowStoreTest, HandoffRequestIsChecked) {
  AddSalesReadyLab("lab");
  v1::CreateHandoffRequest r = HandoffRequest("lab");
  r.set_force(true);
  EXPECT_THAT(store_->workflow().CreateHandoff(r),
              HasViolationOn("force_reason"));
  r.set_force_reason("   ");
  EXPECT_THAT(store_->workflow().CreateHandoff(r),
              HasViolationOn("force_reason"));
  r = HandoffRequest("lab");
  r.clear_actor();
  EXPECT_THAT(store_->workflow().CreateHandoff(r), HasViolationOn("actor"));
  r = HandoffRequest("lab");
  r.set_parent("accounts/Bad Name");
  EXPECT_THAT(store_->workflow().CreateHandoff(r), HasViolationOn("parent"));
  EXPECT_THAT(store_->workflow().CreateHandoff(HandoffRequest("ghost")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_NEW);
}

TEST_F(WorkflowStoreTest, ForcedHandoffPackagesEverythingAndRecordsWhatWasMissing) {
  AddSalesReadyLab("lab");
  now_ += absl::Hours(1);
  const v1::Verdict verdict = VerdictOf("lab");
  const v1::CommitteeMap map =
      OrFail(store_->accounts().GetCommitteeMap(AccountName("lab")),
             "GetCommitteeMap");
  v1::CreateHandoffRequest r = HandoffRequest("lab");
  r.clear_decision_owner_plan();
  r.set_force(true);
  r.set_force_reason("the rep met them at a congress");
  ASSERT_OK_AND_ASSIGN(v1::Handoff h, store_->workflow().CreateHandoff(r));

  EXPECT_THAT(h.name(), StartsWith("accounts/lab/handoffs/"));
  EXPECT_TRUE(h.forced());
  EXPECT_FALSE(h.complete());
  EXPECT_EQ(h.force_reason(), "the rep met them at a congress");
  ASSERT_THAT(h.missing(), SizeIs(2));
  EXPECT_THAT(h.missing(0), StartsWith("notes:"));
  EXPECT_THAT(h.missing(1), StartsWith("decision_owner_plan:"));
  EXPECT_THAT(h.verdict(), EqualsProto(verdict));
  EXPECT_EQ(h.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(h.policy_revision(), revision_);
  // The reason and next step default to the verdict's.
  ASSERT_GT(verdict.reasons_size(), 0);
  EXPECT_EQ(h.reason(), verdict.reasons(0).text());
  EXPECT_EQ(h.next_step(), verdict.next_step());
  EXPECT_THAT(h.committee_map(), EqualsProto(map));
  ASSERT_GT(verdict.questions_size(), 0);
  ASSERT_EQ(h.questions_size(), verdict.questions_size());
  for (int i = 0; i < h.questions_size(); ++i) {
    EXPECT_THAT(h.questions(i), EqualsProto(verdict.questions(i)));
  }
  EXPECT_THAT(h.notes(), IsEmpty());
  EXPECT_EQ(h.actor(), "ana");
  EXPECT_EQ(TimeOf(h.create_time()), now_);
  EXPECT_FALSE(h.has_feedback());

  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_HANDED_OFF);
  const std::vector<v1::StatusChange> history = History("lab");
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].from_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(history[0].to_status(), v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_EQ(history[0].handoff(), h.name());
  EXPECT_EQ(history[0].route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(history[0].readiness(), verdict.readiness());
  EXPECT_THAT(history[0].reason(), HasSubstr(h.reason()));

  EXPECT_THAT(OrFail(store_->workflow().GetHandoff(h.name()), "GetHandoff"),
              EqualsProto(h));
}

TEST_F(WorkflowStoreTest, CompleteHandoffCarriesTheFiveMostRecentNotes) {
  AddPresalesLab("lab");
  ASSERT_OK(Transition("lab", v1::LIFECYCLE_STATUS_QUALIFIED));
  // Seven notes, logged out of order; the newest five by when they
  // happened travel with the handoff, newest first.
  const std::vector<int> hours_ago = {30, 2, 50, 1, 40, 5, 3};
  for (int h : hours_ago) {
    AddNote("lab", absl::StrCat("learned ", h, "h ago"), now_ - absl::Hours(h));
  }
  now_ += absl::Minutes(1);
  const v1::CommitteeMap map =
      OrFail(store_->accounts().GetCommitteeMap(AccountName("lab")),
             "GetCommitteeMap");
  v1::CreateHandoffRequest r = HandoffRequest("lab");
  r.set_reason("validation questions open");
  r.set_next_step("technical session on validation");
  ASSERT_OK_AND_ASSIGN(v1::Handoff h, store_->workflow().CreateHandoff(r));
  EXPECT_TRUE(h.complete());
  EXPECT_FALSE(h.forced());
  EXPECT_THAT(h.missing(), IsEmpty());
  EXPECT_EQ(h.route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(h.reason(), "validation questions open");
  EXPECT_EQ(h.next_step(), "technical session on validation");
  EXPECT_EQ(h.decision_owner_plan(), "ask the lab manager who signs off");
  std::vector<std::string> notes;
  for (const auto& n : h.notes()) notes.push_back(n.learned());
  EXPECT_THAT(notes, ElementsAre("learned 1h ago", "learned 2h ago",
                                 "learned 3h ago", "learned 5h ago",
                                 "learned 30h ago"));
  EXPECT_THAT(h.committee_map(), EqualsProto(map));

  const std::vector<v1::StatusChange> history = History("lab");
  ASSERT_THAT(history, SizeIs(2));
  EXPECT_EQ(history[0].from_status(), v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_EQ(history[0].to_status(), v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_EQ(history[0].handoff(), h.name());

  // Handed off already: a second handoff is refused.
  EXPECT_THAT(store_->workflow().CreateHandoff(r),
              HasPreconditionFailure("TRANSITION_NOT_ALLOWED"));
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> listed,
      store_->workflow().ListHandoffs(AccountName("lab"), 10, ""));
  ASSERT_THAT(listed.items, SizeIs(1));
  EXPECT_THAT(listed.items[0], EqualsProto(h));
}

TEST_F(WorkflowStoreTest, AConfirmedDecisionOwnerMakesAPlanUnnecessary) {
  AddSalesReadyLab("lab");
  v1::Stakeholder director = NewStakeholder("Dana Director");
  auto* role = director.add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  ASSERT_OK(store_->accounts().CreateStakeholder(AccountName("lab"), director,
                                                 "dana"));
  AddNote("lab", "the director owns the evaluation", now_);
  v1::CreateHandoffRequest r = HandoffRequest("lab");
  r.clear_decision_owner_plan();
  ASSERT_OK_AND_ASSIGN(v1::Handoff h, store_->workflow().CreateHandoff(r));
  EXPECT_TRUE(h.complete());
  EXPECT_EQ(h.verdict().committee().decision_owner(),
            StakeholderName("lab", "dana"));
}

TEST_F(WorkflowStoreTest, FeedbackRequestIsChecked) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff h,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  EXPECT_THAT(Feedback(h.name(), v1::HANDOFF_OUTCOME_UNSPECIFIED),
              HasViolationOn("outcome"));
  EXPECT_THAT(Feedback(h.name(), static_cast<v1::HandoffOutcome>(9)),
              HasViolationOn("outcome"));
  auto no_reason = Feedback(h.name(), v1::HANDOFF_OUTCOME_REJECTED,
                            v1::REJECTION_REASON_UNSPECIFIED, "");
  EXPECT_THAT(no_reason, HasViolationOn("rejection_reason"));
  EXPECT_THAT(no_reason, HasViolationOn("comment"));
  EXPECT_THAT(Feedback(h.name(), v1::HANDOFF_OUTCOME_REJECTED,
                       static_cast<v1::RejectionReason>(42), "x"),
              HasViolationOn("rejection_reason"));
  v1::RecordHandoffFeedbackRequest no_actor;
  no_actor.set_name(h.name());
  no_actor.set_outcome(v1::HANDOFF_OUTCOME_ACCEPTED);
  EXPECT_THAT(store_->workflow().RecordHandoffFeedback(no_actor),
              HasViolationOn("actor"));
  EXPECT_THAT(Feedback("accounts/lab/notes/x", v1::HANDOFF_OUTCOME_ACCEPTED),
              HasViolationOn("name"));
  EXPECT_THAT(Feedback("accounts/lab/handoffs/h-nope",
                       v1::HANDOFF_OUTCOME_ACCEPTED),
              StatusIs(absl::StatusCode::kNotFound));
  // None of it was recorded.
  EXPECT_FALSE(
      OrFail(store_->workflow().GetHandoff(h.name()), "").has_feedback());
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_HANDED_OFF);
}

TEST_F(WorkflowStoreTest, AcceptedFeedbackKeepsTheAccountHandedOff) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff h,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  now_ += absl::Hours(3);
  ASSERT_OK_AND_ASSIGN(
      v1::Handoff after,
      Feedback(h.name(), v1::HANDOFF_OUTCOME_ACCEPTED,
               v1::REJECTION_REASON_NO_BUDGET, "great lead"));
  EXPECT_EQ(after.feedback().outcome(), v1::HANDOFF_OUTCOME_ACCEPTED);
  // A reason code on an acceptance means nothing and is not kept.
  EXPECT_EQ(after.feedback().rejection_reason(),
            v1::REJECTION_REASON_UNSPECIFIED);
  EXPECT_EQ(after.feedback().comment(), "great lead");
  EXPECT_EQ(after.feedback().actor(), "sam");
  EXPECT_EQ(TimeOf(after.feedback().record_time()), now_);
  EXPECT_EQ(after.feedback().moved_to(), v1::LIFECYCLE_STATUS_UNSPECIFIED);
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_THAT(History("lab"), SizeIs(1));
  EXPECT_THAT(OrFail(store_->workflow().GetHandoff(h.name()), ""),
              EqualsProto(after));
}

TEST_F(WorkflowStoreTest, FeedbackIsRecordedOnlyOnce) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff h,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  ASSERT_OK(Feedback(h.name(), v1::HANDOFF_OUTCOME_ACCEPTED));
  EXPECT_THAT(Feedback(h.name(), v1::HANDOFF_OUTCOME_REJECTED,
                       v1::REJECTION_REASON_POOR_FIT, "changed our mind"),
              HasPreconditionFailure("FEEDBACK_RECORDED"));
  const v1::Handoff stored =
      OrFail(store_->workflow().GetHandoff(h.name()), "");
  EXPECT_EQ(stored.feedback().outcome(), v1::HANDOFF_OUTCOME_ACCEPTED);
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_HANDED_OFF);
}

struct RejectionCase {
  v1::RejectionReason reason;
  v1::LifecycleStatus moves_to;
};

class RejectionMovesBackTest
    : public WorkflowStoreTest,
      public ::testing::WithParamInterface<RejectionCase> {};

TEST_P(RejectionMovesBackTest, RejectionMovesTheAccountBackWithAHistoryEntry) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff h,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  now_ += absl::Hours(2);
  const v1::Verdict verdict = VerdictOf("lab");
  ASSERT_OK_AND_ASSIGN(v1::Handoff after,
                       Feedback(h.name(), v1::HANDOFF_OUTCOME_REJECTED,
                                GetParam().reason, "not this quarter"));
  EXPECT_EQ(after.feedback().rejection_reason(), GetParam().reason);
  EXPECT_EQ(after.feedback().moved_to(), GetParam().moves_to);
  EXPECT_EQ(StatusOfAccount("lab"), GetParam().moves_to);

  const std::vector<v1::StatusChange> history = History("lab");
  ASSERT_THAT(history, SizeIs(2));
  const v1::StatusChange& back = history[0];
  EXPECT_EQ(back.from_status(), v1::LIFECYCLE_STATUS_HANDED_OFF);
  EXPECT_EQ(back.to_status(), GetParam().moves_to);
  EXPECT_EQ(back.handoff(), h.name());
  EXPECT_EQ(back.actor(), "sam");
  EXPECT_EQ(TimeOf(back.change_time()), now_);
  EXPECT_EQ(back.route(), verdict.route());
  EXPECT_EQ(back.readiness(), verdict.readiness());
  const std::string code(absl::StripPrefix(
      v1::RejectionReason_Name(GetParam().reason), "REJECTION_REASON_"));
  EXPECT_THAT(back.reason(),
              AllOf(HasSubstr(code), HasSubstr("not this quarter")));
}

INSTANTIATE_TEST_SUITE_P(
    EveryReasonCode, RejectionMovesBackTest,
    ::testing::Values(
        RejectionCase{v1::REJECTION_REASON_TOO_EARLY,
                      v1::LIFECYCLE_STATUS_NURTURE},
        RejectionCase{v1::REJECTION_REASON_POOR_FIT,
                      v1::LIFECYCLE_STATUS_DISQUALIFIED},
        RejectionCase{v1::REJECTION_REASON_WRONG_CONTACT,
                      v1::LIFECYCLE_STATUS_RESEARCHING},
        RejectionCase{v1::REJECTION_REASON_NO_BUDGET,
                      v1::LIFECYCLE_STATUS_NURTURE},
        RejectionCase{v1::REJECTION_REASON_OTHER,
                      v1::LIFECYCLE_STATUS_RESEARCHING}),
    [](const ::testing::TestParamInfo<RejectionCase>& info) {
      return v1::RejectionReason_Name(info.param.reason);
    });

TEST_F(WorkflowStoreTest, ARejectionAfterTheAccountMovedOnLeavesItWhereItIs) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff h,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  now_ += absl::Hours(1);
  ASSERT_OK(Transition("lab", v1::LIFECYCLE_STATUS_QUALIFIED,
                       "taken back before sales answered"));
  now_ += absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(v1::Handoff after,
                       Feedback(h.name(), v1::HANDOFF_OUTCOME_REJECTED,
                                v1::REJECTION_REASON_POOR_FIT, "wrong lab"));
  EXPECT_EQ(after.feedback().rejection_reason(), v1::REJECTION_REASON_POOR_FIT);
  // The account was not moved, and the feedback does not say it was.
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_EQ(after.feedback().moved_to(), v1::LIFECYCLE_STATUS_UNSPECIFIED);
  EXPECT_THAT(History("lab"), SizeIs(2));
}

TEST_F(WorkflowStoreTest, ARejectedAccountCanBeHandedOffAgain) {
  AddSalesReadyLab("lab");
  AddNote("lab", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff first,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  now_ += absl::Hours(1);
  ASSERT_OK(Feedback(first.name(), v1::HANDOFF_OUTCOME_REJECTED,
                     v1::REJECTION_REASON_TOO_EARLY, "next quarter"));
  now_ += absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(v1::Handoff second,
                       store_->workflow().CreateHandoff(HandoffRequest("lab")));
  EXPECT_NE(second.name(), first.name());
  EXPECT_EQ(StatusOfAccount("lab"), v1::LIFECYCLE_STATUS_HANDED_OFF);
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> listed,
      store_->workflow().ListHandoffs(AccountName("lab"), 10, ""));
  ASSERT_THAT(listed.items, SizeIs(2));
  EXPECT_EQ(listed.items[0].name(), second.name());  // Newest first.
  EXPECT_EQ(listed.items[1].name(), first.name());
}

// ================================================================ metrics

TEST_F(WorkflowStoreTest, ProcessMetricsMatchHandComputedValues) {
  const absl::Time t0 = now_;
  auto at = [&](double hours) { now_ = t0 + absl::Hours(hours); };
  const std::map<std::string, std::string> spring = {
      {"lead_source", "DEMO_FORM"}, {"lead_campaign", "spring"}};
  const std::map<std::string, std::string> webinar = {
      {"lead_source", "WEBINAR"}};
  const std::map<std::string, std::string> fall = {
      {"lead_source", "WEBINAR"}, {"lead_campaign", "fall"}};
  const std::map<std::string, std::string> partner = {
      {"lead_source", "PARTNER_REFERRAL"}, {"lead_campaign", "p1"}};
  auto move = [&](absl::string_view id, v1::LifecycleStatus to,
                  std::string reason = "reviewed") {
    ASSERT_OK(Transition(id, to, std::move(reason)));
  };

  // Before the window: h is created and reviewed.
  at(-48); AddLab("h", spring);
  at(-24); move("h", v1::LIFECYCLE_STATUS_RESEARCHING);
  // The window is [t0, t0 + 200h).
  at(0);   AddLab("a", spring);
  at(2);   AddLab("b", spring);
  at(4);   AddLab("c", webinar);
  at(6);   AddLab("d", webinar);
  at(8);   AddLab("e", fall);
  at(10);  AddLab("f");
           move("c", v1::LIFECYCLE_STATUS_NURTURE);
  at(12);  AddLab("g", partner);
  at(16);  AddLab("j", spring);
  at(20);  move("h", v1::LIFECYCLE_STATUS_NURTURE);
  at(24);  move("a", v1::LIFECYCLE_STATUS_RESEARCHING);
  at(30);  move("d", v1::LIFECYCLE_STATUS_DISQUALIFIED, "wrong geography");
  at(35);  AddSignal("g", v1::SIGNAL_TYPE_DEMO_REQUEST,
                     v1::SIGNAL_TOPIC_VALIDATION);
           AddNote("g", "validation worries", now_);
  at(36);
  ASSERT_OK_AND_ASSIGN(v1::Handoff hg,
                       store_->workflow().CreateHandoff(HandoffRequest("g")));
  at(40);  ASSERT_OK(Feedback(hg.name(), v1::HANDOFF_OUTCOME_REJECTED,
                              v1::REJECTION_REASON_POOR_FIT,
                              "lab closes next year"));
  at(58);  move("f", v1::LIFECYCLE_STATUS_RESEARCHING);
  at(62);  move("b", v1::LIFECYCLE_STATUS_QUALIFIED);
  at(70);  AddSignal("a", v1::SIGNAL_TYPE_DEMO_REQUEST);
           AddSignal("b", v1::SIGNAL_TYPE_DEMO_REQUEST);
  at(72);  move("a", v1::LIFECYCLE_STATUS_QUALIFIED);
  at(82);  move("f", v1::LIFECYCLE_STATUS_DISQUALIFIED, "no budget at all");
  at(90);  AddNote("a", "pilot in spring", now_);
  at(96);
  ASSERT_OK_AND_ASSIGN(v1::Handoff ha,
                       store_->workflow().CreateHandoff(HandoffRequest("a")));
  at(100); v1::CreateHandoffRequest forced = HandoffRequest("b");
           forced.clear_decision_owner_plan();
           forced.set_force(true);
           forced.set_force_reason("rep insists");
           ASSERT_OK_AND_ASSIGN(v1::Handoff hb,
                                store_->workflow().CreateHandoff(forced));
           at(120); ASSERT_OK(Feedback(ha.name(), v1::HANDOFF_OUTCOME_ACCEPTED));
  at(130); ASSERT_OK(Feedback(hb.name(), v1::HANDOFF_OUTCOME_REJECTED,
                              v1::REJECTION_REASON_TOO_EARLY,
                              "no project before next year"));
  // After the window.
  at(210); move("e", v1::LIFECYCLE_STATUS_RESEARCHING);
  at(220);
  ASSERT_EQ(hg.route(), v1::ROUTE_TECHNICAL_PRESALES);
  ASSERT_EQ(ha.route(), v1::ROUTE_SALES_DISCOVERY);
  ASSERT_EQ(hb.route(), v1::ROUTE_SALES_DISCOVERY);
  ASSERT_TRUE(ha.complete());
  ASSERT_TRUE(hg.complete());
  ASSERT_FALSE(hb.complete());

  ASSERT_OK_AND_ASSIGN(
      v1::ProcessMetrics m,
      store_->workflow().GetProcessMetrics(t0, t0 + absl::Hours(200)));
  EXPECT_EQ(TimeOf(m.start_time()), t0);
  EXPECT_EQ(TimeOf(m.end_time()), t0 + absl::Hours(200));
  EXPECT_EQ(DurationOf(m.review_sla()), absl::Hours(48));  // The policy's.

  // Created in the window: a b c d e f g j = 8 (h was created before).
  // Left NEW within 48h: a (24h), c (6h), d (24h), f (48h, on the limit),
  // g (24h, by its handoff); not b (60h), e (after 202h), j (never).
  EXPECT_EQ(m.accounts_created(), 8);
  EXPECT_EQ(m.reviewed_within_sla(), 5);
  EXPECT_DOUBLE_EQ(m.review_rate(), 0.625);  // 5 / 8

  // Stays that ended in the window, by the status left:
  //   NEW:         a 0->24 = 24h, b 2->62 = 60h, c 4->10 = 6h,
  //                d 6->30 = 24h, f 10->58 = 48h, g 12->36 = 24h
  //                sorted 6, 24, 24, 24, 48, 60 (n = 6):
  //                median rank ceil(0.5*6) = 3 -> 24h,
  //                p90 rank ceil(0.9*6) = ceil(5.4) = 6 -> 60h
  //   RESEARCHING: a 24->72 = 48h, f 58->82 = 24h, h -24->20 = 44h
  //                sorted 24, 44, 48: median rank 2 -> 44h,
  //                p90 rank ceil(2.7) = 3 -> 48h
  //   QUALIFIED:   a 72->96 = 24h, b 62->100 = 38h
  //                median rank 1 -> 24h, p90 rank ceil(1.8) = 2 -> 38h
  //   HANDED_OFF:  g 36->40 = 4h, b 100->130 = 30h
  //                median rank 1 -> 4h, p90 rank 2 -> 30h
  // (e's stay in NEW ends at 210h, after the window.)
  ASSERT_THAT(m.time_in_status(), SizeIs(4));
  struct Expected {
    v1::LifecycleStatus status;
    int64_t stays;
    int median_h;
    int p90_h;
  };
  const std::vector<Expected> expected_stays = {
      {v1::LIFECYCLE_STATUS_NEW, 6, 24, 60},
      {v1::LIFECYCLE_STATUS_RESEARCHING, 3, 44, 48},
      {v1::LIFECYCLE_STATUS_QUALIFIED, 2, 24, 38},
      {v1::LIFECYCLE_STATUS_HANDED_OFF, 2, 4, 30}};
  for (size_t i = 0; i < expected_stays.size(); ++i) {
    const v1::StatusDuration& d = m.time_in_status(static_cast<int>(i));
    SCOPED_TRACE(graph::StatusName(expected_stays[i].status));
    EXPECT_EQ(d.status(), expected_stays[i].status);
    EXPECT_EQ(d.stays(), expected_stays[i].stays);
    EXPECT_EQ(DurationOf(d.median()), absl::Hours(expected_stays[i].median_h));
    EXPECT_EQ(DurationOf(d.p90()), absl::Hours(expected_stays[i].p90_h));
  }

  // Handoffs created in the window: g (complete), a (complete), b (forced).
  EXPECT_EQ(m.handoffs(), 3);
  EXPECT_EQ(m.complete_handoffs(), 2);
  EXPECT_DOUBLE_EQ(m.completeness_rate(), 2.0 / 3.0);

  // Feedback in the window: SALES_DISCOVERY a accepted, b rejected
  // -> 1 / (1 + 1) = 0.5; TECHNICAL_PRESALES g rejected -> 0 / 1 = 0.
  ASSERT_THAT(m.routing_accuracy(), SizeIs(2));
  EXPECT_EQ(m.routing_accuracy(0).route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(m.routing_accuracy(0).accepted(), 1);
  EXPECT_EQ(m.routing_accuracy(0).rejected(), 1);
  EXPECT_DOUBLE_EQ(m.routing_accuracy(0).accuracy(), 0.5);
  EXPECT_EQ(m.routing_accuracy(1).route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(m.routing_accuracy(1).accepted(), 0);
  EXPECT_EQ(m.routing_accuracy(1).rejected(), 1);
  EXPECT_DOUBLE_EQ(m.routing_accuracy(1).accuracy(), 0.0);

  // Rejection codes: g POOR_FIT, b TOO_EARLY (in name order).
  ASSERT_THAT(m.rejection_reasons(), SizeIs(2));
  EXPECT_EQ(m.rejection_reasons(0).reason(), "POOR_FIT");
  EXPECT_EQ(m.rejection_reasons(0).count(), 1);
  EXPECT_EQ(m.rejection_reasons(1).reason(), "TOO_EARLY");
  EXPECT_EQ(m.rejection_reasons(1).count(), 1);

  // Changes to DISQUALIFIED in the window: d, f by hand, g by the POOR_FIT
  // rejection (in reason order).
  ASSERT_THAT(m.disqualification_reasons(), SizeIs(3));
  EXPECT_EQ(m.disqualification_reasons(0).reason(),
            "handoff rejected by sales (POOR_FIT): lab closes next year");
  EXPECT_EQ(m.disqualification_reasons(1).reason(), "no budget at all");
  EXPECT_EQ(m.disqualification_reasons(2).reason(), "wrong geography");
  for (const auto& r : m.disqualification_reasons()) EXPECT_EQ(r.count(), 1);

  // Qualified (QUALIFIED or HANDED_OFF before the end) by source, campaign:
  //   (unset, "")              f          -> 0 / 1 = 0
  //   (WEBINAR, "")            c d        -> 0 / 2 = 0
  //   (WEBINAR, "fall")        e          -> 0 / 1 = 0
  //   (DEMO_FORM, "spring")    a b j      -> a, b = 2 / 3
  //   (PARTNER_REFERRAL, "p1") g          -> 1 / 1 = 1
  struct Source {
    v1::SourceChannel source;
    std::string campaign;
    int64_t accounts;
    int64_t qualified;
    double rate;
  };
  const std::vector<Source> expected_sources = {
      {v1::SOURCE_CHANNEL_UNSPECIFIED, "", 1, 0, 0.0},
      {v1::SOURCE_CHANNEL_WEBINAR, "", 2, 0, 0.0},
      {v1::SOURCE_CHANNEL_WEBINAR, "fall", 1, 0, 0.0},
      {v1::SOURCE_CHANNEL_DEMO_FORM, "spring", 3, 2, 2.0 / 3.0},
      {v1::SOURCE_CHANNEL_PARTNER_REFERRAL, "p1", 1, 1, 1.0}};
  ASSERT_THAT(m.qualified_by_source(), SizeIs(expected_sources.size()));
  for (size_t i = 0; i < expected_sources.size(); ++i) {
    const v1::SourceRate& s = m.qualified_by_source(static_cast<int>(i));
    SCOPED_TRACE(absl::StrCat(v1::SourceChannel_Name(expected_sources[i].source),
                              "/", expected_sources[i].campaign));
    EXPECT_EQ(s.source(), expected_sources[i].source);
    EXPECT_EQ(s.campaign(), expected_sources[i].campaign);
    EXPECT_EQ(s.accounts(), expected_sources[i].accounts);
    EXPECT_EQ(s.qualified(), expected_sources[i].qualified);
    EXPECT_DOUBLE_EQ(s.rate(), expected_sources[i].rate);
  }

  // A narrower window [100h, 130h): start inclusive, end exclusive.
  ASSERT_OK_AND_ASSIGN(v1::ProcessMetrics narrow,
                       store_->workflow().GetProcessMetrics(
                           t0 + absl::Hours(100), t0 + absl::Hours(130)));
  EXPECT_EQ(narrow.accounts_created(), 0);
  EXPECT_EQ(narrow.review_rate(), 0.0);
  EXPECT_EQ(narrow.handoffs(), 1);  // b at 100h.
  EXPECT_EQ(narrow.complete_handoffs(), 0);
  ASSERT_THAT(narrow.routing_accuracy(), SizeIs(1));  // a accepted at 120h.
  EXPECT_EQ(narrow.routing_accuracy(0).accepted(), 1);
  EXPECT_EQ(narrow.routing_accuracy(0).rejected(), 0);
  // One stay ends in it: b's QUALIFIED 62h -> 100h.
  ASSERT_THAT(narrow.time_in_status(), SizeIs(1));
  EXPECT_EQ(narrow.time_in_status(0).status(), v1::LIFECYCLE_STATUS_QUALIFIED);
  EXPECT_EQ(DurationOf(narrow.time_in_status(0).median()), absl::Hours(38));
}

TEST_F(WorkflowStoreTest, ProcessMetricsWindowMustBeNonEmpty) {
  EXPECT_THAT(store_->workflow().GetProcessMetrics(now_, now_),
              HasViolationOn("end_time"));
  EXPECT_THAT(
      store_->workflow().GetProcessMetrics(now_, now_ - absl::Seconds(1)),
      HasViolationOn("end_time"));
}

// ============================================================ change feed

TEST_F(WorkflowStoreTest, WritesThatChangeRouteOrReadinessAppendEvents) {
  const int64_t start = store_->readiness().LastEventSequence();
  EXPECT_EQ(start, 0);
  AddLab("lab");
  const v1::Verdict created = VerdictOf("lab");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> events,
                       store_->readiness().ReadinessEvents(start, 100));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].sequence(), start + 1);
  EXPECT_EQ(events[0].account(), AccountName("lab"));
  EXPECT_EQ(events[0].old_route(), v1::ROUTE_UNSPECIFIED);
  EXPECT_EQ(events[0].new_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(events[0].new_route(), created.route());
  EXPECT_EQ(events[0].old_readiness(), 0);
  EXPECT_EQ(events[0].new_readiness(), created.readiness());
  EXPECT_EQ(events[0].status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(events[0].country_code(), "US");
  EXPECT_EQ(events[0].policy_revision(), revision_);
  EXPECT_EQ(TimeOf(events[0].event_time()), now_);

  now_ += absl::Minutes(5);
  AddSignal("lab", v1::SIGNAL_TYPE_DEMO_REQUEST);
  const v1::Verdict after_demo = VerdictOf("lab");
  ASSERT_EQ(after_demo.route(), v1::ROUTE_SALES_DISCOVERY);
  ASSERT_OK_AND_ASSIGN(events,
                       store_->readiness().ReadinessEvents(start + 1, 100));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].sequence(), start + 2);
  EXPECT_EQ(events[0].old_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(events[0].new_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(events[0].old_readiness(), created.readiness());
  EXPECT_EQ(events[0].new_readiness(), after_demo.readiness());
  EXPECT_GT(after_demo.readiness(), created.readiness());
  EXPECT_EQ(store_->readiness().LastEventSequence(), start + 2);

  // Writes that leave route and readiness alone append nothing.
  AddNote("lab", "spoke to the lab manager", now_);
  ASSERT_OK(Transition("lab", v1::LIFECYCLE_STATUS_QUALIFIED));
  ASSERT_OK(store_->accounts().UpdateAccount(
      [] {
        v1::Account patch;
        patch.set_name(AccountName("lab"));
        patch.set_owner("team-east");
        return patch;
      }(),
      Mask({"owner"})));
  EXPECT_EQ(store_->readiness().LastEventSequence(), start + 2);
  ASSERT_OK_AND_ASSIGN(events,
                       store_->readiness().ReadinessEvents(start + 2, 100));
  EXPECT_THAT(events, IsEmpty());
}

TEST_F(WorkflowStoreTest, AChildsSignalChangesItsParentsReadinessToo) {
  AddLab("system");
  v1::Account child = NewAccount("Child lab", "US");
  child.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  child.set_parent(AccountName("system"));
  ASSERT_OK(store_->accounts().CreateAccount(child, "child"));
  const int64_t before = store_->readiness().LastEventSequence();
  const v1::Verdict parent_before = VerdictOf("system");
  AddSignal("child", v1::SIGNAL_TYPE_DEMO_REQUEST);
  const v1::Verdict parent_after = VerdictOf("system");
  ASSERT_NE(parent_after.readiness(), parent_before.readiness());
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> events,
                       store_->readiness().ReadinessEvents(before, 100));
  std::map<std::string, v1::ReadinessEvent> by_account;
  int64_t last = before;
  for (const auto& e : events) {
    EXPECT_GT(e.sequence(), last);
    last = e.sequence();
    by_account[e.account()] = e;
  }
  ASSERT_EQ(by_account.count(AccountName("system")), 1u);
  ASSERT_EQ(by_account.count(AccountName("child")), 1u);
  EXPECT_EQ(by_account[AccountName("system")].old_readiness(),
            parent_before.readiness());
  EXPECT_EQ(by_account[AccountName("system")].new_readiness(),
            parent_after.readiness());
  EXPECT_EQ(by_account[AccountName("system")].new_route(),
            parent_after.route());
}

TEST_F(WorkflowStoreTest, DeletingAnAccountAppendsAnEventWithoutANewRoute) {
  AddLab("lab");
  const int64_t before = store_->readiness().LastEventSequence();
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("lab"), "", false));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> events,
                       store_->readiness().ReadinessEvents(before, 100));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].account(), AccountName("lab"));
  EXPECT_EQ(events[0].old_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(events[0].new_route(), v1::ROUTE_UNSPECIFIED);
}

TEST_F(WorkflowStoreTest, PublishingARevisionAppendsEventsForTheAccountsItChanges) {
  AddSalesReadyLab("sales");
  AddLab("nurture");
  const int64_t before = store_->readiness().LastEventSequence();
  v1::Policy strict = graph::DefaultPolicy();
  strict.mutable_intent()->set_high_intent_threshold(1000);
  ASSERT_OK_AND_ASSIGN(v1::PolicyRevision published,
                       store_->policies().PublishPolicy(strict, "strict"));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> events,
                       store_->readiness().ReadinessEvents(before, 100));
  std::map<std::string, v1::ReadinessEvent> by_account;
  for (const auto& e : events) {
    EXPECT_EQ(e.policy_revision(), published.revision());
    by_account[e.account()] = e;
  }
  // Both lose readiness (intent now counts for little); only "sales"
  // changes route.
  ASSERT_EQ(by_account.count(AccountName("sales")), 1u);
  EXPECT_EQ(by_account[AccountName("sales")].old_route(),
            v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(by_account[AccountName("sales")].new_route(), v1::ROUTE_NURTURE);
  for (const auto& [name, e] : by_account) {
    auto tree = store_->store().LoadAccountTree(name);
    ASSERT_OK(tree);
    EXPECT_EQ(e.new_readiness(),
              graph::Qualify(*tree, strict, published.revision(), now_)
                  .readiness());
  }
}

TEST_F(WorkflowStoreTest, ReadinessEventsPageBySequence) {
  for (int i = 0; i < 5; ++i) AddLab(absl::StrCat("lab", i));
  ASSERT_EQ(store_->readiness().LastEventSequence(), 5);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> first,
                       store_->readiness().ReadinessEvents(0, 2));
  ASSERT_THAT(first, SizeIs(2));
  EXPECT_EQ(first[0].sequence(), 1);
  EXPECT_EQ(first[1].sequence(), 2);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> rest,
                       store_->readiness().ReadinessEvents(2, 100));
  ASSERT_THAT(rest, SizeIs(3));
  EXPECT_EQ(rest[0].sequence(), 3);
  EXPECT_EQ(rest[2].sequence(), 5);
  EXPECT_EQ(rest[2].account(), AccountName("lab4"));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ReadinessEvent> none,
                       store_->readiness().ReadinessEvents(5, 100));
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(WorkflowStoreTest, WaitForEventsReturnsAtOnceWhenAnEventExists) {
  AddLab("lab");
  const absl::Time start = absl::Now();
  EXPECT_TRUE(store_->readiness().WaitForEvents(0, absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(WorkflowStoreTest, WaitForEventsTimesOutWhenNoneComes) {
  AddLab("lab");
  const int64_t last = store_->readiness().LastEventSequence();
  // A write without an event does not end the wait with true.
  AddNote("lab", "nothing new", now_);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(
      store_->readiness().WaitForEvents(last, absl::Milliseconds(200)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
}

TEST_F(WorkflowStoreTest, WaitForEventsWakesOnAWriteFromAnotherThread) {
  AddLab("lab");
  const int64_t last = store_->readiness().LastEventSequence();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v1::RecordSignalsRequest batch;
    *batch.add_requests() =
        SignalRequest("lab", v1::SIGNAL_TYPE_DEMO_REQUEST, now_);
    EXPECT_OK(store_->signals().RecordSignals(batch));
  });
  const absl::Time start = absl::Now();
  EXPECT_TRUE(store_->readiness().WaitForEvents(last, absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  writer.join();
  EXPECT_GT(store_->readiness().LastEventSequence(), last);
}

// ============================================================= simulation

TEST_F(WorkflowStoreTest, SimulationReportsRouteChangesGroupedAndFeedbackOutcomes) {
  AddSalesReadyLab("s1");
  AddSalesReadyLab("s2");
  AddSalesReadyLab("s3");
  AddPresalesLab("t1");
  AddLab("n1");                          // NURTURE.
  AddLab("far", {}, "BR");               // DISQUALIFY.
  for (const char* id : {"s1", "s2", "t1"}) AddNote(id, "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff accepted,
                       store_->workflow().CreateHandoff(HandoffRequest("s1")));
  ASSERT_OK_AND_ASSIGN(v1::Handoff rejected,
                       store_->workflow().CreateHandoff(HandoffRequest("t1")));
  ASSERT_OK(
      store_->workflow().CreateHandoff(HandoffRequest("s2")));  // No feedback.
  now_ += absl::Hours(1);
  ASSERT_OK(Feedback(accepted.name(), v1::HANDOFF_OUTCOME_ACCEPTED));
  ASSERT_OK(Feedback(rejected.name(), v1::HANDOFF_OUTCOME_REJECTED,
                     v1::REJECTION_REASON_TOO_EARLY, "too early"));
  now_ += absl::Hours(1);

  // A candidate that never sees high intent: nothing goes to sales.
  v1::Policy strict = graph::DefaultPolicy();
  strict.mutable_intent()->set_high_intent_threshold(1000);
  ASSERT_OK_AND_ASSIGN(v1::SimulatePolicyResponse r,
                       store_->policies().SimulatePolicy(strict, now_));
  EXPECT_EQ(r.active_revision(), revision_);
  EXPECT_EQ(r.accounts(), 6);
  EXPECT_EQ(r.changed(), 4);
  ASSERT_THAT(r.changes(), SizeIs(2));
  EXPECT_EQ(r.changes(0).old_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(r.changes(0).new_route(), v1::ROUTE_NURTURE);
  EXPECT_THAT(r.changes(0).accounts(),
              ElementsAre(AccountName("s1"), AccountName("s2"),
                          AccountName("s3")));
  EXPECT_EQ(r.changes(1).old_route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(r.changes(1).new_route(), v1::ROUTE_NURTURE);
  EXPECT_THAT(r.changes(1).accounts(), ElementsAre(AccountName("t1")));
  // Handoffs with feedback only: s1 (accepted) and t1 (rejected).
  ASSERT_THAT(r.handoffs(), SizeIs(2));
  std::map<std::string, v1::SimulatedHandoff> by_name;
  for (const auto& h : r.handoffs()) by_name[h.handoff()] = h;
  ASSERT_EQ(by_name.count(accepted.name()), 1u);
  ASSERT_EQ(by_name.count(rejected.name()), 1u);
  const v1::SimulatedHandoff& kept = by_name[accepted.name()];
  EXPECT_TRUE(kept.accepted());
  EXPECT_EQ(kept.account(), AccountName("s1"));
  EXPECT_EQ(kept.handed_off_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(kept.candidate_route(), v1::ROUTE_NURTURE);
  EXPECT_FALSE(kept.candidate_hands_off());
  const v1::SimulatedHandoff& avoided = by_name[rejected.name()];
  EXPECT_FALSE(avoided.accepted());
  EXPECT_EQ(avoided.rejection_reason(), v1::REJECTION_REASON_TOO_EARLY);
  EXPECT_EQ(kept.rejection_reason(), v1::REJECTION_REASON_UNSPECIFIED);
  EXPECT_EQ(avoided.handed_off_route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(avoided.candidate_route(), v1::ROUTE_NURTURE);
  EXPECT_FALSE(avoided.candidate_hands_off());
  EXPECT_EQ(r.accepted_kept(), 0);
  EXPECT_EQ(r.rejected_avoided(), 1);

  // The active policy as the candidate changes nothing and keeps both.
  ASSERT_OK_AND_ASSIGN(
      v1::SimulatePolicyResponse same,
      store_->policies().SimulatePolicy(graph::DefaultPolicy(), now_));
  EXPECT_EQ(same.changed(), 0);
  EXPECT_THAT(same.changes(), IsEmpty());
  EXPECT_EQ(same.accepted_kept(), 1);
  EXPECT_EQ(same.rejected_avoided(), 0);

  // Nothing was published.
  EXPECT_EQ(OrFail(store_->policies().GetPolicyRevision(0), "").revision(),
            revision_);
}

TEST_F(WorkflowStoreTest, SimulationOfAnInvalidCandidateNamesTheField) {
  v1::Policy bad = graph::DefaultPolicy();
  bad.mutable_intent()->set_high_intent_threshold(-1);
  EXPECT_THAT(store_->policies().SimulatePolicy(bad, now_),
              HasViolationOn("policy.intent.high_intent_threshold"));
}

// ================================================ deleted accounts' archive

// The sequence of issue 14, part 3: a handoff with sales feedback, a forced
// delete of its account, then metrics, simulation and the handoff listing.
// Before the archive, the delete took the handoff and the status history
// with it: the metrics lost the rejection, the simulation the handoff, and
// ListHandoffs answered NOT_FOUND.
TEST_F(WorkflowStoreTest,
       ForceDeletingAnAccountKeepsWhatMetricsAndSimulationLearnFrom) {
  const absl::Time start = now_ - absl::Hours(1);
  AddPresalesLab("t1", {{"lead_source", "WEBINAR"}});
  AddNote("t1", "talked to the lab manager", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff handoff,
                       store_->workflow().CreateHandoff(HandoffRequest("t1")));
  now_ += absl::Hours(1);
  ASSERT_OK(Feedback(handoff.name(), v1::HANDOFF_OUTCOME_REJECTED,
                     v1::REJECTION_REASON_TOO_EARLY, "no budget this year"));
  now_ += absl::Hours(1);
  const absl::Time end = now_ + absl::Hours(10);
  v1::Policy strict = graph::DefaultPolicy();
  strict.mutable_intent()->set_high_intent_threshold(1000);
  ASSERT_OK_AND_ASSIGN(v1::ProcessMetrics metrics_before,
                       store_->workflow().GetProcessMetrics(start, end));
  ASSERT_OK_AND_ASSIGN(v1::SimulatePolicyResponse strict_before,
                       store_->policies().SimulatePolicy(strict, now_));
  ASSERT_THAT(strict_before.handoffs(), SizeIs(1));
  ASSERT_EQ(metrics_before.handoffs(), 1);

  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("t1"), "", true));
  const absl::Time deleted = now_;
  now_ += absl::Hours(1);

  // Metrics: the same as before the delete.
  ASSERT_OK_AND_ASSIGN(v1::ProcessMetrics metrics_after,
                       store_->workflow().GetProcessMetrics(start, end));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      metrics_after, metrics_before))
      << metrics_after.DebugString() << "\nbefore:\n"
      << metrics_before.DebugString();
  ASSERT_THAT(metrics_after.rejection_reasons(), SizeIs(1));
  EXPECT_EQ(metrics_after.rejection_reasons(0).reason(), "TOO_EARLY");

  // Simulation: the handoff is judged on the account as it was at deletion
  // (the active policy still hands it off, the strict one avoids it), and
  // is marked as of a deleted account.
  ASSERT_OK_AND_ASSIGN(v1::SimulatePolicyResponse strict_after,
                       store_->policies().SimulatePolicy(strict, now_));
  EXPECT_EQ(strict_after.accounts(), 0);
  ASSERT_THAT(strict_after.handoffs(), SizeIs(1));
  const v1::SimulatedHandoff& simulated = strict_after.handoffs(0);
  EXPECT_EQ(simulated.handoff(), handoff.name());
  EXPECT_EQ(simulated.account(), AccountName("t1"));
  EXPECT_FALSE(simulated.accepted());
  EXPECT_EQ(simulated.rejection_reason(), v1::REJECTION_REASON_TOO_EARLY);
  EXPECT_EQ(simulated.handed_off_route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(simulated.candidate_route(), v1::ROUTE_NURTURE);
  EXPECT_EQ(TimeOf(simulated.account_delete_time()), deleted);
  EXPECT_EQ(strict_after.rejected_avoided(), 1);
  EXPECT_FALSE(strict_before.handoffs(0).has_account_delete_time());
  ASSERT_OK_AND_ASSIGN(
      v1::SimulatePolicyResponse same,
      store_->policies().SimulatePolicy(graph::DefaultPolicy(), now_));
  ASSERT_THAT(same.handoffs(), SizeIs(1));
  EXPECT_EQ(same.handoffs(0).candidate_route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_TRUE(same.handoffs(0).candidate_hands_off());

  // Listing: only with show_deleted, marked with the delete time, with the
  // feedback; Get finds it too; feedback cannot be recorded on it.
  EXPECT_THAT(store_->workflow().ListHandoffs(AccountName("t1"), 50, ""),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> listed,
      store_->workflow().ListHandoffs(AccountName("t1"), 50, "", true));
  ASSERT_THAT(listed.items, SizeIs(1));
  EXPECT_FALSE(listed.more);
  EXPECT_EQ(listed.items[0].name(), handoff.name());
  EXPECT_EQ(TimeOf(listed.items[0].delete_time()), deleted);
  EXPECT_EQ(listed.items[0].feedback().rejection_reason(),
            v1::REJECTION_REASON_TOO_EARLY);
  EXPECT_EQ(listed.items[0].feedback().comment(), "no budget this year");
  ASSERT_OK_AND_ASSIGN(v1::Handoff got,
                       store_->workflow().GetHandoff(handoff.name()));
  EXPECT_EQ(TimeOf(got.delete_time()), deleted);
  EXPECT_THAT(Feedback(handoff.name(), v1::HANDOFF_OUTCOME_ACCEPTED),
              StatusIs(absl::StatusCode::kNotFound));
  // The account itself and its status history are gone as before.
  EXPECT_THAT(store_->accounts().GetAccount(AccountName("t1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->workflow().ListStatusChanges(AccountName("t1"), 50, ""),
              StatusIs(absl::StatusCode::kNotFound));
  // A name that never had an account is still NOT_FOUND.
  EXPECT_THAT(
      store_->workflow().ListHandoffs(AccountName("never"), 50, "", true),
      StatusIs(absl::StatusCode::kNotFound));
}

// A new account under a deleted one's ID starts afresh: its listing without
// show_deleted has only its own handoffs, with show_deleted both, newest
// first, in pages; the metrics count both accounts and keep their
// histories apart.
TEST_F(WorkflowStoreTest,
       ANewAccountUnderADeletedOnesIdDoesNotInheritItsHandoffs) {
  const absl::Time start = now_ - absl::Hours(1);
  AddSalesReadyLab("s1");
  AddNote("s1", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff old_handoff,
                       store_->workflow().CreateHandoff(HandoffRequest("s1")));
  now_ += absl::Hours(1);
  ASSERT_OK(Feedback(old_handoff.name(), v1::HANDOFF_OUTCOME_ACCEPTED));
  now_ += absl::Hours(1);
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("s1"), "", true));
  now_ += absl::Hours(1);

  AddSalesReadyLab("s1");
  AddNote("s1", "talked again", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff new_handoff,
                       store_->workflow().CreateHandoff(HandoffRequest("s1")));
  EXPECT_NE(new_handoff.name(), old_handoff.name());
  now_ += absl::Hours(1);

  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> live,
      store_->workflow().ListHandoffs(AccountName("s1"), 50, ""));
  ASSERT_THAT(live.items, SizeIs(1));
  EXPECT_EQ(live.items[0].name(), new_handoff.name());
  EXPECT_FALSE(live.items[0].has_delete_time());

  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> first,
      store_->workflow().ListHandoffs(AccountName("s1"), 1, "", true));
  ASSERT_THAT(first.items, SizeIs(1));
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.items[0].name(), new_handoff.name());
  ASSERT_OK_AND_ASSIGN(graph::Page<v1::Handoff> second,
                       store_->workflow().ListHandoffs(AccountName("s1"), 1,
                                                       first.last_key, true));
  ASSERT_THAT(second.items, SizeIs(1));
  EXPECT_FALSE(second.more);
  EXPECT_EQ(second.items[0].name(), old_handoff.name());
  EXPECT_TRUE(second.items[0].has_delete_time());

  // The new account's history is its own: one change, to HANDED_OFF.
  EXPECT_THAT(History("s1"), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(v1::ProcessMetrics m,
                       store_->workflow().GetProcessMetrics(start, now_));
  EXPECT_EQ(m.accounts_created(), 2);
  EXPECT_EQ(m.reviewed_within_sla(), 2);
  EXPECT_EQ(m.handoffs(), 2);
  ASSERT_THAT(m.routing_accuracy(), SizeIs(1));
  EXPECT_EQ(m.routing_accuracy(0).accepted(), 1);
  // Stays that ended: NEW twice (one per account), HANDED_OFF none (the
  // deleted account was still handed off when it went).
  std::map<v1::LifecycleStatus, int64_t> stays;
  for (const auto& d : m.time_in_status()) stays[d.status()] = d.stays();
  EXPECT_EQ(stays[v1::LIFECYCLE_STATUS_NEW], 2);
  EXPECT_EQ(stays.count(v1::LIFECYCLE_STATUS_HANDED_OFF), 0u);
}

// Deleting a parent with force archives each account of the subtree that
// has a history, each with its own tree as it was.
TEST_F(WorkflowStoreTest,
       ForceDeletingAParentArchivesTheHandoffsOfItsChildren) {
  AddLab("system");
  v1::Account child = NewAccount("Lab child", "US");
  child.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  child.set_parent(AccountName("system"));
  ASSERT_OK(store_->accounts().CreateAccount(child, "child"));
  AddSignal("child", v1::SIGNAL_TYPE_DEMO_REQUEST);
  AddNote("child", "talked", now_);
  ASSERT_OK_AND_ASSIGN(v1::Handoff handoff, store_->workflow().CreateHandoff(
                                                HandoffRequest("child")));
  ASSERT_OK(Feedback(handoff.name(), v1::HANDOFF_OUTCOME_REJECTED,
                     v1::REJECTION_REASON_POOR_FIT, "not a lab we serve"));
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("system"), "", true));

  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> listed,
      store_->workflow().ListHandoffs(AccountName("child"), 50, "", true));
  ASSERT_THAT(listed.items, SizeIs(1));
  EXPECT_EQ(listed.items[0].name(), handoff.name());
  ASSERT_OK_AND_ASSIGN(
      v1::SimulatePolicyResponse same,
      store_->policies().SimulatePolicy(graph::DefaultPolicy(), now_));
  ASSERT_THAT(same.handoffs(), SizeIs(1));
  EXPECT_EQ(same.handoffs(0).candidate_route(), v1::ROUTE_SALES_DISCOVERY);
}

// Without force, an account with handoffs is refused as before, and an
// account whose only records are its status history goes as before (its
// history archived for the metrics).
TEST_F(WorkflowStoreTest,
       DeletingWithoutForceStillRefusesAnAccountWithHandoffs) {
  const absl::Time start = now_ - absl::Hours(1);
  AddSalesReadyLab("s1");
  AddNote("s1", "talked", now_);
  ASSERT_OK(store_->workflow().CreateHandoff(HandoffRequest("s1")));
  absl::Status refused =
      store_->accounts().DeleteAccount(AccountName("s1"), "", false);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("handoffs")));
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Handoff> listed,
      store_->workflow().ListHandoffs(AccountName("s1"), 50, "", true));
  ASSERT_THAT(listed.items, SizeIs(1));
  EXPECT_FALSE(listed.items[0].has_delete_time());

  AddLab("n1");
  ASSERT_OK(Transition("n1", v1::LIFECYCLE_STATUS_DISQUALIFIED, "a duplicate"));
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("n1"), "", false));
  EXPECT_THAT(store_->accounts().GetAccount(AccountName("n1")),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(
      v1::ProcessMetrics m,
      store_->workflow().GetProcessMetrics(start, now_ + absl::Hours(1)));
  ASSERT_THAT(m.disqualification_reasons(), SizeIs(1));
  EXPECT_EQ(m.disqualification_reasons(0).reason(), "a duplicate");
}

// ====================================================== readiness listing

// Deterministic pseudo-random numbers (SplitMix64): the same dataset on
// every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Uniform(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(int percent) { return Uniform(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(static_cast<int>(N))];
  }

 private:
  uint64_t state_;
};

// What the listing must say about one account: built from graph::Qualify.
v1::AccountReadiness ExpectedItem(const graph::AccountTree& tree,
                                  const v1::PolicyRevision& policy,
                                  absl::Time as_of) {
  const v1::Verdict v =
      graph::Qualify(tree, policy.policy(), policy.revision(), as_of);
  const v1::Account& a = tree.map.account();
  v1::AccountReadiness out;
  out.set_account(a.name());
  out.set_display_name(a.display_name());
  out.set_route(v.route());
  out.set_readiness(v.readiness());
  out.set_coverage(v.committee().coverage());
  out.set_status(a.lifecycle_status());
  out.set_country_code(a.country_code());
  out.set_owner(a.owner());
  out.set_stage(v.stage());
  out.set_decided_by(v.decided_by());
  for (const std::string& m : MissingOf(v)) out.add_missing_requirements(m);
  return out;
}

// Listing order: readiness descending, then name.
bool ListedBefore(const v1::AccountReadiness& a, const v1::AccountReadiness& b) {
  if (a.readiness() != b.readiness()) return a.readiness() > b.readiness();
  return a.account() < b.account();
}

using Filter = std::function<bool(const v1::AccountReadiness&)>;

template <typename List, typename T>
bool In(const List& list, T value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The filters of a request, written again for the test.
Filter FilterOf(const v1::ListAccountReadinessRequest& r) {
  return [r](const v1::AccountReadiness& a) {
    if (r.routes_size() > 0 && !In(r.routes(), static_cast<int>(a.route()))) {
      return false;
    }
    if (r.statuses_size() > 0 &&
        !In(r.statuses(), static_cast<int>(a.status()))) {
      return false;
    }
    if (!r.country_code().empty() && a.country_code() != r.country_code()) {
      return false;
    }
    if (!r.owner().empty() && a.owner() != r.owner()) return false;
    if (r.stage() != v1::EVALUATION_STAGE_UNSPECIFIED && a.stage() != r.stage()) {
      return false;
    }
    if (a.readiness() < r.min_readiness()) return false;
    if (a.coverage() < r.min_coverage()) return false;
    if (!r.missing_requirement().empty() &&
        !In(a.missing_requirements(), r.missing_requirement())) {
      return false;
    }
    return true;
  };
}

// A store holding a generated dataset of more than 5,000 accounts, built
// once for the suite; the tests only read it.
class ReadinessListingTest : public ::testing::Test {
 protected:
  static constexpr int kAccounts = 5200;

  static void SetUpTestSuite() {
    const absl::Time build_start = absl::Now();
    dir_ = new TempDir();
    graph::Store::Options options;
    options.path = dir_->path();
    options.initial_map_size = size_t{512} << 20;
    options.clock = [] { return clock_; };
    auto opened = graph::UseCases::Open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = opened->release();

    // Revision 1: a variant (lower threshold, fit weighs more); revision 2,
    // active: the default policy.
    v1::Policy variant = graph::DefaultPolicy();
    variant.mutable_intent()->set_high_intent_threshold(20);
    variant.mutable_readiness_weights()->set_fit(50);
    variant.mutable_readiness_weights()->set_intent(25);
    variant.mutable_readiness_weights()->set_coverage(25);
    auto r1 = store_->policies().PublishPolicy(variant, "variant");
    ASSERT_TRUE(r1.ok()) << r1.status();
    other_ = *r1;
    other_.set_active(false);
    auto r2 =
        store_->policies().PublishPolicy(graph::DefaultPolicy(), "default");
    ASSERT_TRUE(r2.ok()) << r2.status();
    active_ = *r2;

    Rng rng(20240601);
    static const char* const kServed[] = {"US", "CA", "GB", "DE",
                                          "FR", "NL", "SE"};
    static const char* const kElsewhere[] = {"BR", "JP", "IN", "AU", "MX", "ZA"};
    static const char* const kOwners[] = {"", "team-east", "team-west",
                                          "rep-kim"};
    static const char* const kScopes[] = {"molecular", "microbiology",
                                          "hematology", "toxicology",
                                          "pathology"};
    static const char* const kAccreditations[] = {"CAP", "CLIA", "ISO 15189",
                                                  "none-known"};
    static const char* const kSystems[] = {"Epic", "Cerner", "Sunquest",
                                           "HomeGrown LIS"};
    auto country = [&] {
      return std::string(rng.Chance(75) ? rng.Pick(kServed)
                                        : rng.Pick(kElsewhere));
    };

    first_write_ = clock_;
    std::vector<v1::ImportRecordsRequest> batch;
    std::map<std::string, std::vector<std::string>> people;  // id -> names.
    int batches = 0;
    auto flush_import = [&]() {
      if (batch.empty()) return;
      auto outcomes = store_->intake().ImportBatch(batch);
      ASSERT_TRUE(outcomes.ok()) << outcomes.status();
      for (size_t k = 0; k < outcomes->size(); ++k) {
        ASSERT_TRUE((*outcomes)[k].ok())
            << batch[k].ShortDebugString() << ": " << (*outcomes)[k].status();
      }
      batch.clear();
      clock_ += absl::Hours(1);
      if (++batches == 8) {
        mid_write_ = clock_ - absl::Minutes(30);
      }
    };
    for (int i = 0; i < kAccounts; ++i) {
      const std::string id = absl::StrFormat("acc-%05d", i);
      names_.push_back(AccountName(id));
      v1::ImportRecordsRequest record;
      v1::Account* a = record.mutable_account();
      a->set_name(AccountName(id));
      a->set_display_name(absl::StrCat("Account ", i));
      a->set_country_code(country());
      a->set_facility_type(static_cast<v1::FacilityType>(rng.Uniform(10)));
      if (i % 10 == 3) {
        a->set_parent(AccountName(absl::StrFormat("acc-%05d", i - 3)));
      } else if (i % 10 == 7) {  // A grandchild: under i - 4, itself a child.
        a->set_parent(AccountName(absl::StrFormat("acc-%05d", i - 4)));
      }
      a->set_evaluation_stage(static_cast<v1::EvaluationStage>(rng.Uniform(5)));
      a->set_owner(rng.Pick(kOwners));
      if (rng.Chance(60)) a->add_testing_scopes(rng.Pick(kScopes));
      if (rng.Chance(40)) a->set_annual_test_volume(rng.Uniform(200000));
      if (rng.Chance(40)) a->add_accreditations(rng.Pick(kAccreditations));
      if (rng.Chance(40)) a->add_current_systems(rng.Pick(kSystems));
      if (rng.Chance(20)) {
        *a->mutable_decision_time() =
            Ts(clock_ + absl::Hours(24 * (1 + rng.Uniform(300))));
      }
      batch.push_back(record);
      if (rng.Chance(30)) {
        const int sites = 1 + rng.Uniform(2);
        for (int s = 0; s < sites; ++s) {
          v1::ImportRecordsRequest site_record;
          v1::Site* site = site_record.mutable_site();
          site->set_name(SiteName(id, absl::StrCat("s", s)));
          site->set_display_name(absl::StrCat("Site ", s, " of ", i));
          if (rng.Chance(30)) site->set_country_code(country());
          site->set_facility_type(
              static_cast<v1::FacilityType>(rng.Uniform(10)));
          if (rng.Chance(50)) site->add_testing_scopes(rng.Pick(kScopes));
          batch.push_back(site_record);
        }
      }
      const int stakeholders = rng.Uniform(4);
      for (int p = 0; p < stakeholders; ++p) {
        v1::ImportRecordsRequest person_record;
        v1::Stakeholder* person = person_record.mutable_stakeholder();
        person->set_name(StakeholderName(id, absl::StrCat("p", p)));
        person->set_display_name(absl::StrCat("Person ", p, " of ", i));
        const int roles = rng.Uniform(3);
        std::set<int> taken;
        for (int k = 0; k < roles; ++k) {
          const int role = 1 + rng.Uniform(9);
          if (!taken.insert(role).second) continue;
          auto* assignment = person->add_roles();
          assignment->set_role(static_cast<v1::CommitteeRole>(role));
          assignment->set_source(rng.Chance(50) ? v1::ROLE_SOURCE_CONFIRMED
                                                : v1::ROLE_SOURCE_INFERRED);
        }
        person->set_engagement(static_cast<v1::Engagement>(rng.Uniform(5)));
        people[id].push_back(person->name());
        batch.push_back(person_record);
      }
      if (batch.size() >= 990) {
        flush_import();
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    flush_import();
    if (::testing::Test::HasFatalFailure()) return;

    // Signals of every type and topic, aged up to 200 days, a few dated in
    // the future, some tied to a stakeholder.
    std::vector<v1::CreateSignalRequest> signals;
    auto flush_signals = [&]() {
      if (signals.empty()) return;
      auto outcomes = store_->intake().RecordSignalStream(signals);
      ASSERT_TRUE(outcomes.ok()) << outcomes.status();
      for (size_t k = 0; k < outcomes->size(); ++k) {
        ASSERT_TRUE((*outcomes)[k].ok())
            << signals[k].ShortDebugString() << ": " << (*outcomes)[k];
      }
      signal_count_ += static_cast<int>(signals.size());
      signals.clear();
      clock_ += absl::Hours(1);
    };
    for (int i = 0; i < kAccounts; ++i) {
      const std::string id = absl::StrFormat("acc-%05d", i);
      const int count = rng.Uniform(5);
      for (int k = 0; k < count; ++k) {
        const absl::Time when =
            rng.Chance(5) ? clock_ + absl::Hours(24 + rng.Uniform(24 * 20))
                          : clock_ - absl::Minutes(rng.Uniform(200 * 24 * 60));
        const auto& persons = people[id];
        const std::string stakeholder =
            !persons.empty() && rng.Chance(40)
                ? persons[rng.Uniform(static_cast<int>(persons.size()))]
                : "";
        signals.push_back(SignalRequest(
            id, static_cast<v1::SignalType>(1 + rng.Uniform(13)), when,
            static_cast<v1::SignalTopic>(rng.Uniform(7)), stakeholder));
      }
      if (signals.size() >= 995) {
        flush_signals();
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    flush_signals();
    if (::testing::Test::HasFatalFailure()) return;

    // Some accounts move along the workflow.
    for (int i = 0; i < kAccounts; i += 17) {
      std::vector<v1::LifecycleStatus> path = {v1::LIFECYCLE_STATUS_RESEARCHING};
      if (i % 34 == 0) path.push_back(v1::LIFECYCLE_STATUS_QUALIFIED);
      if (i % 51 == 0) path.push_back(v1::LIFECYCLE_STATUS_DISQUALIFIED);
      for (v1::LifecycleStatus to : path) {
        v1::TransitionStatusRequest r;
        r.set_name(names_[i]);
        r.set_status(to);
        r.set_reason("generated");
        r.set_actor("generator");
        auto done = store_->workflow().TransitionStatus(r);
        ASSERT_TRUE(done.ok()) << done.status();
      }
      clock_ += absl::Seconds(30);
    }
    last_write_ = clock_;
    build_seconds_ = absl::ToDoubleSeconds(absl::Now() - build_start);

    // Every account's tree, read once: the input of the expected answers.
    for (const std::string& name : names_) {
      auto tree = store_->store().LoadAccountTree(name);
      ASSERT_TRUE(tree.ok()) << tree.status();
      trees_.emplace(name, *std::move(tree));
    }
    std::cout << "[ dataset  ] " << kAccounts << " accounts, " << signal_count_
              << " signals, built in " << build_seconds_ << " s\n";
  }

  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
    delete dir_;
    dir_ = nullptr;
    trees_.clear();
    names_.clear();
  }

  void SetUp() override {
    if (store_ == nullptr || trees_.size() != names_.size()) {
      GTEST_FAIL() << "the dataset was not built";
    }
  }

  // Every account, qualified directly, filtered, in listing order.
  static std::vector<v1::AccountReadiness> Expected(
      const v1::PolicyRevision& policy, absl::Time as_of,
      const Filter& keep = nullptr) {
    std::vector<v1::AccountReadiness> out;
    for (const auto& [name, tree] : trees_) {
      v1::AccountReadiness item = ExpectedItem(tree, policy, as_of);
      if (!keep || keep(item)) out.push_back(std::move(item));
    }
    std::sort(out.begin(), out.end(), ListedBefore);
    return out;
  }

  // Every page of a listing, following tokens; checks each page's size
  // and what the response echoes.
  static std::vector<v1::AccountReadiness> ListAll(
      v1::ListAccountReadinessRequest request, int* pages = nullptr,
      size_t* longest_token = nullptr) {
    std::vector<v1::AccountReadiness> out;
    const int page_size = request.page_size() == 0 ? 50 : request.page_size();
    int count = 0;
    std::string token;
    const int64_t wanted_revision = request.policy_revision() != 0
                                        ? request.policy_revision()
                                        : active_.revision();
    do {
      request.set_page_token(token);
      auto page = store_->readiness().ListAccountReadiness(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->accounts_size(), page_size);
      EXPECT_EQ(page->policy_revision(), wanted_revision);
      if (request.has_as_of()) {
        EXPECT_EQ(TimeOf(page->as_of()), TimeOf(request.as_of()));
      }
      for (const auto& a : page->accounts()) out.push_back(a);
      token = page->next_page_token();
      if (longest_token != nullptr) {
        *longest_token = std::max(*longest_token, token.size());
      }
      ++count;
      if (count > kAccounts / std::max(1, page_size) + 100) {
        ADD_FAILURE() << "the listing does not end";
        break;
      }
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return out;
  }

  static v1::ListAccountReadinessRequest At(absl::Time as_of, int page_size) {
    v1::ListAccountReadinessRequest r;
    *r.mutable_as_of() = Ts(as_of);
    r.set_page_size(page_size);
    return r;
  }

  // The listing of `request` against the expected answer: (a) each
  // account once, (b) in order, (c) each item as Qualify says. Returns the
  // size of the longest page token.
  static size_t CheckListing(const v1::ListAccountReadinessRequest& request,
                           const v1::PolicyRevision& policy,
                           absl::string_view what) {
    SCOPED_TRACE(what);
    const absl::Time as_of = TimeOf(request.as_of());
    const std::vector<v1::AccountReadiness> expected =
        Expected(policy, as_of, FilterOf(request));
    const absl::Time start = absl::Now();
    int pages = 0;
    size_t longest_token = 0;
    const std::vector<v1::AccountReadiness> listed =
        ListAll(request, &pages, &longest_token);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::cout << "[ listing  ] " << what << ": " << listed.size()
              << " accounts in " << pages << " pages of "
              << request.page_size() << ", " << seconds
              << " s, longest token " << longest_token << " bytes\n";

    std::set<std::string> seen;
    for (const auto& a : listed) {
      EXPECT_TRUE(seen.insert(a.account()).second)
          << a.account() << " is listed twice";
    }
    for (size_t i = 0; i + 1 < listed.size(); ++i) {
      EXPECT_TRUE(ListedBefore(listed[i], listed[i + 1]))
          << "out of order at " << i << ": " << listed[i].ShortDebugString()
          << " then " << listed[i + 1].ShortDebugString();
    }
    std::vector<std::string> listed_names, expected_names;
    for (const auto& a : listed) listed_names.push_back(a.account());
    for (const auto& a : expected) expected_names.push_back(a.account());
    EXPECT_EQ(listed_names.size(), expected_names.size());
    EXPECT_TRUE(listed_names == expected_names)
        << "the listing and Qualify disagree on which accounts, in which order";
    int differences = 0;
    for (size_t i = 0; i < std::min(listed.size(), expected.size()); ++i) {
      if (listed[i].account() != expected[i].account()) continue;
      if (!google::protobuf::util::MessageDifferencer::Equals(listed[i],
                                                              expected[i])) {
        if (++differences <= 10) {
          ADD_FAILURE() << "listed:   " << listed[i].ShortDebugString()
                        << "\nexpected: " << expected[i].ShortDebugString();
        }
      }
    }
    EXPECT_EQ(differences, 0);
    return longest_token;
  }

  static inline TempDir* dir_ = nullptr;
  static inline graph::UseCases* store_ = nullptr;
  static inline absl::Time clock_ = absl::FromUnixSeconds(1700000000);
  static inline absl::Time first_write_, mid_write_, last_write_;
  static inline double build_seconds_ = 0;
  static inline int signal_count_ = 0;
  static inline std::vector<std::string> names_;
  static inline std::map<std::string, graph::AccountTree> trees_;
  static inline v1::PolicyRevision active_, other_;
};

TEST_F(ReadinessListingTest, TheDatasetCoversEveryRouteAndThePathsOfTheIndex) {
  const absl::Time as_of = last_write_ + absl::Hours(1);
  std::map<v1::Route, int> routes;
  std::set<v1::LifecycleStatus> statuses;
  int future_signals = 0, children = 0;
  for (const auto& [name, tree] : trees_) {
    ++routes[graph::Qualify(tree, active_.policy(), active_.revision(), as_of)
                 .route()];
    statuses.insert(tree.map.account().lifecycle_status());
    if (!tree.map.account().parent().empty()) ++children;
    for (const auto& s : tree.signals) {
      if (s.name().rfind(name, 0) == 0 && TimeOf(s.occur_time()) > as_of) {
        ++future_signals;
      }
    }
  }
  EXPECT_EQ(trees_.size(), static_cast<size_t>(kAccounts));
  for (v1::Route r : {v1::ROUTE_SALES_DISCOVERY, v1::ROUTE_TECHNICAL_PRESALES,
                      v1::ROUTE_NURTURE, v1::ROUTE_RESEARCH,
                      v1::ROUTE_DISQUALIFY}) {
    EXPECT_GE(routes[r], 20) << v1::Route_Name(r);
  }
  EXPECT_EQ(statuses.size(), 4u);  // NEW, RESEARCHING, QUALIFIED, DISQUALIFIED.
  EXPECT_GT(future_signals, 50);
  EXPECT_GT(children, 900);
  std::cout << "[ dataset  ] routes:";
  for (const auto& [r, n] : routes) std::cout << " " << v1::Route_Name(r) << "=" << n;
  std::cout << "\n";
}

TEST_F(ReadinessListingTest, ListsEveryAccountOnceInOrderAsQualifySaysAfterTheWrites) {
  const absl::Time as_of = last_write_ + absl::Hours(1);
  CheckListing(At(as_of, 37), active_, "after the writes, pages of 37");
  CheckListing(At(as_of, 500), active_, "after the writes, pages of 500");
}

TEST_F(ReadinessListingTest, ListsAsQualifySaysAfterInterestHasDecayed) {
  CheckListing(At(last_write_ + absl::Hours(24 * 120), 37), active_,
               "120 days later, pages of 37");
  CheckListing(At(last_write_ + absl::Hours(24 * 400), 500), active_,
               "400 days later, pages of 500");
}

// Accounts written after as_of, or with signals dated after it, have no
// bound yet and are evaluated directly, on every page (so these listings
// use large pages, or filters that keep the page count low).
TEST_F(ReadinessListingTest, ListsAsQualifySaysAsOfATimeDuringTheWrites) {
  // Tokens do not carry the accounts every page evaluates anyway.
  EXPECT_LT(CheckListing(At(mid_write_, 500), active_,
                         "during the writes, pages of 500"),
            1024u);
  v1::ListAccountReadinessRequest r = At(mid_write_, 37);
  r.add_routes(v1::ROUTE_SALES_DISCOVERY);
  r.add_routes(v1::ROUTE_TECHNICAL_PRESALES);
  r.add_routes(v1::ROUTE_RESEARCH);
  CheckListing(r, active_, "during the writes, three routes, pages of 37");
}

TEST_F(ReadinessListingTest, ListsAsQualifySaysAsOfATimeBeforeEveryWrite) {
  EXPECT_LT(CheckListing(At(first_write_ - absl::Hours(24), 500), active_,
                         "before every write, pages of 500"),
            1024u);
  v1::ListAccountReadinessRequest r = At(first_write_ - absl::Hours(24), 37);
  r.add_routes(v1::ROUTE_RESEARCH);
  CheckListing(r, active_, "before every write, RESEARCH, pages of 37");
}

TEST_F(ReadinessListingTest, AsOfDefaultsToTheClock) {
  v1::ListAccountReadinessRequest r;
  r.set_page_size(500);
  const std::vector<v1::AccountReadiness> listed = ListAll(r);
  const std::vector<v1::AccountReadiness> expected = Expected(active_, clock_);
  ASSERT_EQ(listed.size(), expected.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    ASSERT_THAT(listed[i], EqualsProto(expected[i])) << i;
  }
}

TEST_F(ReadinessListingTest, FiltersAgreeWithFilteringQualifyResults) {
  const absl::Time now = last_write_ + absl::Hours(1);
  const absl::Time later = last_write_ + absl::Hours(24 * 120);
  std::vector<std::pair<std::string, v1::ListAccountReadinessRequest>> cases;
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.add_routes(v1::ROUTE_SALES_DISCOVERY);
    r.add_routes(v1::ROUTE_TECHNICAL_PRESALES);
    cases.push_back({"routes to sales", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.set_country_code("DE");
    cases.push_back({"country DE", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.set_min_readiness(60);
    cases.push_back({"readiness at least 60", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(later, 37);
    r.set_min_readiness(45);
    cases.push_back({"readiness at least 45, 120 days later", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.set_missing_requirement("quality");
    cases.push_back({"missing quality", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(later, 37);
    r.set_missing_requirement("lab-operations");
    cases.push_back({"missing lab-operations, 120 days later", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.add_statuses(v1::LIFECYCLE_STATUS_QUALIFIED);
    r.add_statuses(v1::LIFECYCLE_STATUS_DISQUALIFIED);
    cases.push_back({"statuses QUALIFIED, DISQUALIFIED", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.set_owner("team-west");
    r.set_stage(v1::EVALUATION_STAGE_ACTIVE_COMPARISON);
    cases.push_back({"owner and stage", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(now, 37);
    r.add_routes(v1::ROUTE_NURTURE);
    r.set_min_coverage(0.5);
    cases.push_back({"NURTURE with coverage at least 0.5", r});
  }
  {
    v1::ListAccountReadinessRequest r = At(mid_write_, 37);
    r.add_routes(v1::ROUTE_NURTURE);
    r.set_country_code("US");
    r.set_min_readiness(40);
    r.set_missing_requirement("informatics");
    cases.push_back({"combined, during the writes", r});
  }
  for (const auto& [what, request] : cases) {
    const size_t matching =
        Expected(active_, TimeOf(request.as_of()), FilterOf(request)).size();
    EXPECT_GT(matching, 0u) << what << " matches nothing: a weak case";
    CheckListing(request, active_, what);
  }
}

TEST_F(ReadinessListingTest, AnExplicitOlderRevisionAgreesWithQualifyUnderIt) {
  const absl::Time as_of = last_write_ + absl::Hours(1);
  v1::ListAccountReadinessRequest r = At(as_of, 500);
  r.set_policy_revision(other_.revision());
  CheckListing(r, other_, "revision 1, pages of 500");
  r = At(last_write_ + absl::Hours(24 * 20), 37);
  r.set_policy_revision(other_.revision());
  r.add_routes(v1::ROUTE_SALES_DISCOVERY);
  ASSERT_GT(Expected(other_, TimeOf(r.as_of()), FilterOf(r)).size(), 37u);
  CheckListing(r, other_, "revision 1, SALES_DISCOVERY, 20 days later");
  // The revisions do disagree on this dataset.
  EXPECT_NE(Expected(other_, as_of).front().readiness(),
            Expected(active_, as_of).front().readiness());

  // The active revision named explicitly is the indexed listing.
  r = At(as_of, 37);
  r.set_policy_revision(active_.revision());
  r.add_routes(v1::ROUTE_TECHNICAL_PRESALES);
  CheckListing(r, active_, "revision 2 named, TECHNICAL_PRESALES");

  r = At(as_of, 10);
  r.set_policy_revision(99);
  EXPECT_THAT(store_->readiness().ListAccountReadiness(r),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ReadinessListingTest, APageTokenOnlyServesTheFiltersItCameFrom) {
  v1::ListAccountReadinessRequest sales =
      At(last_write_ + absl::Hours(1), 37);
  sales.add_routes(v1::ROUTE_SALES_DISCOVERY);
  ASSERT_OK_AND_ASSIGN(v1::ListAccountReadinessResponse first,
                       store_->readiness().ListAccountReadiness(sales));
  ASSERT_FALSE(first.next_page_token().empty());

  v1::ListAccountReadinessRequest german = sales;
  german.clear_routes();
  german.set_country_code("DE");
  german.set_page_token(first.next_page_token());
  EXPECT_THAT(store_->readiness().ListAccountReadiness(german),
              HasViolationOn("page_token"));
  v1::ListAccountReadinessRequest garbage = sales;
  garbage.set_page_token("not-a-token");
  EXPECT_THAT(store_->readiness().ListAccountReadiness(garbage),
              HasViolationOn("page_token"));

  // The same token twice gives the same page; it keeps its as_of even when
  // the request names another one.
  v1::ListAccountReadinessRequest next = sales;
  next.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListAccountReadinessResponse second,
                       store_->readiness().ListAccountReadiness(next));
  *next.mutable_as_of() = Ts(last_write_ + absl::Hours(24 * 365));
  ASSERT_OK_AND_ASSIGN(v1::ListAccountReadinessResponse again,
                       store_->readiness().ListAccountReadiness(next));
  EXPECT_THAT(again, EqualsProto(second));
  EXPECT_EQ(TimeOf(again.as_of()), last_write_ + absl::Hours(1));
}

TEST_F(ReadinessListingTest, RequestIsChecked) {
  v1::ListAccountReadinessRequest r = At(last_write_, 10);
  r.set_page_size(-1);
  r.set_min_readiness(101);
  r.set_min_coverage(1.5);
  r.set_country_code("Germany");
  r.add_routes(static_cast<v1::Route>(42));
  r.set_policy_revision(-2);
  auto status = store_->readiness().ListAccountReadiness(r);
  for (const char* field : {"page_size", "min_readiness", "min_coverage",
                            "country_code", "routes[0]", "policy_revision"}) {
    EXPECT_THAT(status, HasViolationOn(field));
  }
}

TEST_F(ReadinessListingTest, PageSizeDefaultsTo50AndIsCappedAt1000) {
  v1::ListAccountReadinessRequest r = At(last_write_ + absl::Hours(1), 0);
  ASSERT_OK_AND_ASSIGN(v1::ListAccountReadinessResponse page,
                       store_->readiness().ListAccountReadiness(r));
  EXPECT_EQ(page.accounts_size(), 50);
  r.set_page_size(5000);
  ASSERT_OK_AND_ASSIGN(page, store_->readiness().ListAccountReadiness(r));
  EXPECT_EQ(page.accounts_size(), 1000);
}

}  // namespace
}  // namespace quorum::testing
