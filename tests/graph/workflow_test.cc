// Workflow rules as pure functions: the status transition table, where a
// rejected handoff goes, handoff completeness, and process metrics computed
// from a hand-built history.
#include "graph/rules/workflow.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::graph {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using v1::LifecycleStatus;

constexpr LifecycleStatus kUnspecified = v1::LIFECYCLE_STATUS_UNSPECIFIED;
constexpr LifecycleStatus kNew = v1::LIFECYCLE_STATUS_NEW;
constexpr LifecycleStatus kResearching = v1::LIFECYCLE_STATUS_RESEARCHING;
constexpr LifecycleStatus kNurture = v1::LIFECYCLE_STATUS_NURTURE;
constexpr LifecycleStatus kQualified = v1::LIFECYCLE_STATUS_QUALIFIED;
constexpr LifecycleStatus kHandedOff = v1::LIFECYCLE_STATUS_HANDED_OFF;
constexpr LifecycleStatus kDisqualified = v1::LIFECYCLE_STATUS_DISQUALIFIED;

// Every status value, in enum order (UNSPECIFIED included: it is never a
// valid source or target).
const std::vector<LifecycleStatus>& AllStatuses() {
  static const auto* all = new std::vector<LifecycleStatus>{
      kUnspecified, kNew,      kResearching,  kNurture,
      kQualified,   kHandedOff, kDisqualified};
  return *all;
}

// The documented table, written out independently of graph/rules/workflow.cc.
// Rows are `from`, columns are `to`, in the order of AllStatuses():
//                  UNSP NEW  RES  NUR  QUA  HND  DIS
const bool kExpectedTable[7][7] = {
    /* UNSPECIFIED */ {0, 0, 0, 0, 0, 0, 0},
    /* NEW         */ {0, 0, 1, 1, 1, 0, 1},
    /* RESEARCHING */ {0, 0, 0, 1, 1, 0, 1},
    /* NURTURE     */ {0, 0, 1, 0, 1, 0, 1},
    /* QUALIFIED   */ {0, 0, 1, 1, 0, 0, 1},
    /* HANDED_OFF  */ {0, 0, 1, 1, 1, 0, 1},
    /* DISQUALIFIED*/ {0, 0, 1, 1, 0, 0, 0},
};

// ------------------------------------------------------------ transitions

struct Pair {
  int from;
  int to;
};

class TransitionTableTest : public ::testing::TestWithParam<Pair> {};

TEST_P(TransitionTableTest, AllowsExactlyTheDocumentedPairs) {
  const LifecycleStatus from = AllStatuses()[GetParam().from];
  const LifecycleStatus to = AllStatuses()[GetParam().to];
  EXPECT_EQ(TransitionAllowed(from, to),
            kExpectedTable[GetParam().from][GetParam().to])
      << StatusName(from) << " -> " << StatusName(to);
}

std::vector<Pair> EveryPair() {
  std::vector<Pair> pairs;
  for (int from = 0; from < 7; ++from) {
    for (int to = 0; to < 7; ++to) pairs.push_back({from, to});
  }
  return pairs;
}

INSTANTIATE_TEST_SUITE_P(
    EveryFromTo, TransitionTableTest, ::testing::ValuesIn(EveryPair()),
    [](const ::testing::TestParamInfo<Pair>& info) {
      return absl::StrCat(StatusName(AllStatuses()[info.param.from]), "_to_",
                          StatusName(AllStatuses()[info.param.to]));
    });

TEST(TransitionTest, AllowedTransitionsListsTheRowOfTheTableInOrder) {
  for (int from = 0; from < 7; ++from) {
    std::vector<LifecycleStatus> expected;
    for (int to = 0; to < 7; ++to) {
      if (kExpectedTable[from][to]) expected.push_back(AllStatuses()[to]);
    }
    EXPECT_THAT(AllowedTransitions(AllStatuses()[from]),
                ElementsAreArray(expected))
        << StatusName(AllStatuses()[from]);
  }
}

TEST(TransitionTest, HandedOffIsNeverATargetOfTransitionStatus) {
  for (LifecycleStatus from : AllStatuses()) {
    EXPECT_FALSE(TransitionAllowed(from, kHandedOff)) << StatusName(from);
  }
}

TEST(TransitionTest, NoStatusGoesBackToNewOrStaysWhereItIs) {
  for (LifecycleStatus s : AllStatuses()) {
    EXPECT_FALSE(TransitionAllowed(s, kNew)) << StatusName(s);
    EXPECT_FALSE(TransitionAllowed(s, s)) << StatusName(s);
  }
}

TEST(TransitionTest, OutOfRangeValuesAreNeverAllowed) {
  const auto bogus = static_cast<LifecycleStatus>(42);
  EXPECT_FALSE(TransitionAllowed(bogus, kResearching));
  EXPECT_FALSE(TransitionAllowed(kNew, bogus));
  EXPECT_THAT(AllowedTransitions(bogus), IsEmpty());
}

TEST(HandOffTest, OnlyActiveStatusesCanBeHandedOff) {
  EXPECT_TRUE(CanHandOffFrom(kNew));
  EXPECT_TRUE(CanHandOffFrom(kResearching));
  EXPECT_TRUE(CanHandOffFrom(kNurture));
  EXPECT_TRUE(CanHandOffFrom(kQualified));
  EXPECT_FALSE(CanHandOffFrom(kHandedOff));
  EXPECT_FALSE(CanHandOffFrom(kDisqualified));
  EXPECT_FALSE(CanHandOffFrom(kUnspecified));
}

// ---------------------------------------------------------------- rejection

struct Rejection {
  v1::RejectionReason reason;
  LifecycleStatus expected;
};

class RejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(RejectionTest, SendsTheAccountWhereTheReasonCodeSays) {
  EXPECT_EQ(StatusAfterRejection(GetParam().reason), GetParam().expected);
}

TEST_P(RejectionTest, TheTargetIsReachableFromHandedOffByTheTable) {
  // A rejected account may later be moved on by hand like any other: the
  // status it lands in is one the table lets HANDED_OFF go to.
  EXPECT_TRUE(TransitionAllowed(kHandedOff, GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    EveryReasonCode, RejectionTest,
    ::testing::Values(
        Rejection{v1::REJECTION_REASON_TOO_EARLY, kNurture},
        Rejection{v1::REJECTION_REASON_POOR_FIT, kDisqualified},
        Rejection{v1::REJECTION_REASON_WRONG_CONTACT, kResearching},
        Rejection{v1::REJECTION_REASON_NO_BUDGET, kNurture},
        Rejection{v1::REJECTION_REASON_OTHER, kResearching}),
    [](const ::testing::TestParamInfo<Rejection>& info) {
      return v1::RejectionReason_Name(info.param.reason);
    });

TEST(StatusNameTest, DropsTheEnumPrefix) {
  EXPECT_EQ(StatusName(kHandedOff), "HANDED_OFF");
  EXPECT_EQ(StatusName(kNew), "NEW");
  EXPECT_EQ(StatusName(kUnspecified), "UNSPECIFIED");
}

// ------------------------------------------------------------- completeness

v1::HandoffRequirements AllRequirements(int min_notes = 1) {
  v1::HandoffRequirements r;
  r.set_require_reason(true);
  r.set_require_next_step(true);
  r.set_min_notes(min_notes);
  r.set_require_decision_owner_or_plan(true);
  return r;
}

v1::Verdict WithDecisionOwner(std::string owner) {
  v1::Verdict v;
  v.mutable_committee()->set_decision_owner(std::move(owner));
  return v;
}

// The part of each missing item before the colon: the field it is about.
std::vector<std::string> Subjects(const std::vector<std::string>& missing) {
  std::vector<std::string> out;
  for (const std::string& m : missing) out.push_back(m.substr(0, m.find(':')));
  return out;
}

TEST(MissingForHandoffTest, CompleteWhenEveryRequirementIsMet) {
  EXPECT_THAT(MissingForHandoff(AllRequirements(), "fit and intent",
                                "book discovery", 1,
                                WithDecisionOwner("accounts/a/stakeholders/d"),
                                ""),
              IsEmpty());
}

TEST(MissingForHandoffTest, APlanStandsInForAnUnknownDecisionOwner) {
  EXPECT_THAT(MissingForHandoff(AllRequirements(), "r", "n", 3, v1::Verdict(),
                                "ask the lab director who signs off"),
              IsEmpty());
}

TEST(MissingForHandoffTest, ListsEachMissingItemInOrderNamingItsField) {
  const std::vector<std::string> missing =
      MissingForHandoff(AllRequirements(2), "", "", 1, v1::Verdict(), "");
  EXPECT_THAT(Subjects(missing), ElementsAre("reason", "next_step", "notes",
                                             "decision_owner_plan"));
  EXPECT_THAT(missing[2], HasSubstr("at least 2"));
  EXPECT_THAT(missing[2], HasSubstr("found 1"));
}

TEST(MissingForHandoffTest, RequirementsTheRevisionDoesNotSetAreNotChecked) {
  EXPECT_THAT(MissingForHandoff(v1::HandoffRequirements(), "", "", 0,
                                v1::Verdict(), ""),
              IsEmpty());
}

// ------------------------------------------------------------------ metrics

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
absl::Time At(double hours) { return kT0 + absl::Hours(hours); }

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Duration Dur(const google::protobuf::Duration& d) {
  return absl::Nanoseconds(TimeUtil::DurationToNanoseconds(d));
}

v1::Account Created(std::string id, double hours) {
  v1::Account a;
  a.set_name(absl::StrCat("accounts/", id));
  *a.mutable_create_time() = Ts(At(hours));
  return a;
}

v1::StatusChange Change(const std::string& account, const std::string& id,
                        LifecycleStatus from, LifecycleStatus to,
                        double hours, std::string reason = "because") {
  v1::StatusChange c;
  c.set_name(absl::StrCat("accounts/", account, "/statusChanges/", id));
  c.set_from_status(from);
  c.set_to_status(to);
  c.set_reason(std::move(reason));
  *c.mutable_change_time() = Ts(At(hours));
  return c;
}

const v1::StatusDuration* StaysIn(const v1::ProcessMetrics& m,
                                  LifecycleStatus status) {
  for (const auto& d : m.time_in_status()) {
    if (d.status() == status) return &d;
  }
  return nullptr;
}

TEST(ComputeMetricsTest, PercentilesAreNearestRankOverStaysEndingInTheWindow) {
  // Ten accounts leave NEW after 1, 2, ..., 10 hours; an eleventh leaves
  // after the window ends and is not a stay of the window.
  WorkflowHistory h;
  for (int i = 1; i <= 11; ++i) {
    const std::string id = absl::StrCat("a", i);
    h.accounts.push_back(Created(id, 0));
    h.changes.push_back(
        Change(id, "c", kNew, kResearching, i == 11 ? 500 : i));
  }
  const v1::ProcessMetrics m =
      ComputeMetrics(h, At(0), At(100), absl::Hours(5));
  const v1::StatusDuration* d = StaysIn(m, kNew);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->stays(), 10);
  // Nearest rank over 1h..10h: median rank ceil(0.5 * 10) = 5 -> 5h,
  // p90 rank ceil(0.9 * 10) = 9 -> 9h.
  EXPECT_EQ(Dur(d->median()), absl::Hours(5));
  EXPECT_EQ(Dur(d->p90()), absl::Hours(9));
  // Reviewed within 5h: a1..a5 of 11 created in the window.
  EXPECT_EQ(m.accounts_created(), 11);
  EXPECT_EQ(m.reviewed_within_sla(), 5);
  EXPECT_DOUBLE_EQ(m.review_rate(), 5.0 / 11.0);
}

TEST(ComputeMetricsTest, ChangesAtTheSameInstantFollowTheirChain) {
  // NEW -> QUALIFIED and QUALIFIED -> HANDED_OFF recorded at the same
  // instant, given newest first (as a listing returns them): the 10 hours
  // are spent in NEW, none in QUALIFIED.
  WorkflowHistory h;
  h.accounts.push_back(Created("a", 0));
  h.changes.push_back(Change("a", "c-10", kQualified, kHandedOff, 10));
  h.changes.push_back(Change("a", "c-f", kNew, kQualified, 10));
  const v1::ProcessMetrics m =
      ComputeMetrics(h, At(0), At(100), absl::Hours(48));
  const v1::StatusDuration* in_new = StaysIn(m, kNew);
  const v1::StatusDuration* in_qualified = StaysIn(m, kQualified);
  ASSERT_NE(in_new, nullptr);
  ASSERT_NE(in_qualified, nullptr);
  EXPECT_EQ(Dur(in_new->median()), absl::Hours(10));
  EXPECT_EQ(Dur(in_qualified->median()), absl::ZeroDuration());
  EXPECT_EQ(m.reviewed_within_sla(), 1);
}

TEST(ComputeMetricsTest, EmptyHistoryGivesZeroRatesNotNaN) {
  const v1::ProcessMetrics m =
      ComputeMetrics(WorkflowHistory(), At(0), At(1), absl::Hours(48));
  EXPECT_EQ(m.accounts_created(), 0);
  EXPECT_EQ(m.review_rate(), 0.0);
  EXPECT_EQ(m.completeness_rate(), 0.0);
  EXPECT_THAT(m.time_in_status(), IsEmpty());
  EXPECT_THAT(m.routing_accuracy(), IsEmpty());
  EXPECT_EQ(Dur(m.review_sla()), absl::Hours(48));
  EXPECT_EQ(m.start_time().seconds(), 1700000000);
}

TEST(ComputeMetricsTest, HandoffsAndFeedbackCountByTheirOwnTimes) {
  WorkflowHistory h;
  auto handoff = [&](std::string name, double created, v1::Route route,
                     bool complete) -> v1::Handoff& {
    v1::Handoff x;
    x.set_name(std::move(name));
    x.set_route(route);
    x.set_complete(complete);
    *x.mutable_create_time() = Ts(At(created));
    h.handoffs.push_back(x);
    return h.handoffs.back();
  };
  auto feedback = [](v1::Handoff& x, double hours, v1::HandoffOutcome outcome,
                     v1::RejectionReason reason) {
    x.mutable_feedback()->set_outcome(outcome);
    x.mutable_feedback()->set_rejection_reason(reason);
    *x.mutable_feedback()->mutable_record_time() = Ts(At(hours));
  };
  // Created before the window, feedback inside: counts for accuracy only.
  feedback(handoff("accounts/a/handoffs/h1", -5, v1::ROUTE_SALES_DISCOVERY,
                   true),
           5, v1::HANDOFF_OUTCOME_ACCEPTED, v1::REJECTION_REASON_UNSPECIFIED);
  // Created inside, feedback after the window: counts as a handoff only.
  feedback(handoff("accounts/b/handoffs/h2", 5, v1::ROUTE_SALES_DISCOVERY,
                   false),
           50, v1::HANDOFF_OUTCOME_REJECTED, v1::REJECTION_REASON_NO_BUDGET);
  // Both inside.
  feedback(handoff("accounts/c/handoffs/h3", 6, v1::ROUTE_TECHNICAL_PRESALES,
                   true),
           7, v1::HANDOFF_OUTCOME_REJECTED, v1::REJECTION_REASON_WRONG_CONTACT);
  // No feedback.
  handoff("accounts/d/handoffs/h4", 8, v1::ROUTE_SALES_DISCOVERY, true);

  const v1::ProcessMetrics m =
      ComputeMetrics(h, At(0), At(10), absl::Hours(48));
  // Handoffs created in [0h, 10h): h2, h3, h4; complete: h3, h4 -> 2 / 3.
  EXPECT_EQ(m.handoffs(), 3);
  EXPECT_EQ(m.complete_handoffs(), 2);
  EXPECT_DOUBLE_EQ(m.completeness_rate(), 2.0 / 3.0);
  // Feedback in the window: h1 accepted (SALES_DISCOVERY), h3 rejected
  // (TECHNICAL_PRESALES).
  ASSERT_THAT(m.routing_accuracy(), SizeIs(2));
  EXPECT_EQ(m.routing_accuracy(0).route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(m.routing_accuracy(0).accepted(), 1);
  EXPECT_EQ(m.routing_accuracy(0).rejected(), 0);
  EXPECT_DOUBLE_EQ(m.routing_accuracy(0).accuracy(), 1.0);
  EXPECT_EQ(m.routing_accuracy(1).route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(m.routing_accuracy(1).accepted(), 0);
  EXPECT_EQ(m.routing_accuracy(1).rejected(), 1);
  EXPECT_DOUBLE_EQ(m.routing_accuracy(1).accuracy(), 0.0);
  ASSERT_THAT(m.rejection_reasons(), SizeIs(1));
  EXPECT_EQ(m.rejection_reasons(0).reason(), "WRONG_CONTACT");
  EXPECT_EQ(m.rejection_reasons(0).count(), 1);
}

TEST(ComputeMetricsTest, SourceLabelsGroupAccountsAndUnknownLabelsAreUnset) {
  WorkflowHistory h;
  v1::Account a = Created("a", 1);
  (*a.mutable_labels())["lead_source"] = "WEBINAR";
  (*a.mutable_labels())["lead_campaign"] = "q3";
  v1::Account b = Created("b", 2);
  (*b.mutable_labels())["lead_source"] = "NOT_A_CHANNEL";
  h.accounts = {a, b};
  h.changes.push_back(Change("a", "c1", kNew, kQualified, 3));
  const v1::ProcessMetrics m =
      ComputeMetrics(h, At(0), At(10), absl::Hours(48));
  ASSERT_THAT(m.qualified_by_source(), SizeIs(2));
  EXPECT_EQ(m.qualified_by_source(0).source(), v1::SOURCE_CHANNEL_UNSPECIFIED);
  EXPECT_EQ(m.qualified_by_source(0).accounts(), 1);
  EXPECT_EQ(m.qualified_by_source(0).qualified(), 0);
  EXPECT_EQ(m.qualified_by_source(1).source(), v1::SOURCE_CHANNEL_WEBINAR);
  EXPECT_EQ(m.qualified_by_source(1).campaign(), "q3");
  EXPECT_EQ(m.qualified_by_source(1).qualified(), 1);
  EXPECT_DOUBLE_EQ(m.qualified_by_source(1).rate(), 1.0);
}

}  // namespace
}  // namespace quorum::graph
