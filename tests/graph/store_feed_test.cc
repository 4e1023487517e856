// The change feed on a real LMDB: time-driven readiness events with an
// injected clock (graph::NextTimeChange, Store::EmitDueEvents, the
// Readiness scheduler), their cause, replay with start_sequence, the
// retained range and compaction.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

class FeedTest : public StoreTest {
 protected:
  void SetUp() override {
    now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 9, 0, 0),
                           absl::UTCTimeZone());
    StoreTest::SetUp();
    auto published =
        store_->policies().PublishPolicy(graph::DefaultPolicy(), "default");
    ASSERT_TRUE(published.ok()) << published.status();
    revision_ = published->revision();
  }

  // A US hospital lab (fit passes) with a demo request now:
  // SALES_DISCOVERY.
  void AddSalesReadyLab(absl::string_view id) {
    v1::Account a = NewAccount(absl::StrCat("Lab ", id));
    a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    ASSERT_OK(store_->accounts().CreateAccount(a, id));
    AddSignal(id, v1::SIGNAL_TYPE_DEMO_REQUEST, now_);
  }

  void AddSignal(absl::string_view id, v1::SignalType type, absl::Time when,
                 absl::string_view stakeholder = "") {
    v1::RecordSignalsRequest batch;
    v1::CreateSignalRequest* r = batch.add_requests();
    r->set_parent(AccountName(id));
    r->mutable_signal()->set_type(type);
    *r->mutable_signal()->mutable_occur_time() = Ts(when);
    r->mutable_signal()->set_stakeholder(std::string(stakeholder));
    ASSERT_OK(store_->signals().RecordSignals(batch));
  }

  // The verdict on accounts/{id} as of `as_of`, computed directly.
  v1::Verdict VerdictAt(absl::string_view id, absl::Time as_of) {
    auto tree = store_->store().LoadAccountTree(AccountName(id));
    EXPECT_TRUE(tree.ok()) << tree.status();
    if (!tree.ok()) return v1::Verdict();
    return graph::Qualify(*tree, graph::DefaultPolicy(), revision_, as_of);
  }

  // The first time in (from, to] at which accounts/{id} no longer routes
  // to `route`, to the nanosecond (the route leaves it once here).
  absl::Time RouteLeaves(absl::string_view id, v1::Route route, absl::Time from,
                         absl::Time to) {
    EXPECT_EQ(VerdictAt(id, from).route(), route);
    EXPECT_NE(VerdictAt(id, to).route(), route);
    int64_t lo = absl::ToUnixNanos(from), hi = absl::ToUnixNanos(to);
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (VerdictAt(id, absl::FromUnixNanos(mid)).route() == route) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return absl::FromUnixNanos(hi);
  }

  std::vector<v1::ReadinessEvent> EventsAfter(int64_t after) {
    return OrFail(store_->readiness().ReadinessEvents(after, 100000),
                  "ReadinessEvents");
  }

  int64_t Head() { return store_->readiness().LastEventSequence(); }

  // What the scheduler does on each wake-up (and at start).
  void RunDue(graph::Readiness::FeedOptions options = {}) {
    ASSERT_OK(store_->readiness().RunDue(options).status());
  }

  v1::WatchReadinessRequest Watch(int64_t after, int64_t start) {
    v1::WatchReadinessRequest r;
    r.set_after_sequence(after);
    r.set_start_sequence(start);
    return r;
  }

  int64_t revision_ = 0;
};

// ===================================================== time-driven events

TEST_F(FeedTest, AStaleDemoRequestTakesTheAccountOutOfSalesDiscoveryByTime) {
  AddSalesReadyLab("lab");
  const absl::Time demo = now_;
  ASSERT_EQ(VerdictAt("lab", now_).route(), v1::ROUTE_SALES_DISCOVERY);
  const absl::Time leaves = RouteLeaves("lab", v1::ROUTE_SALES_DISCOVERY, now_,
                                        now_ + absl::Hours(24 * 365));

  // Up to a second before it is due: whatever decays on the way, the route
  // stays, and no event says otherwise.
  const int64_t before = Head();
  for (absl::Time t = demo + absl::Hours(6); t < leaves - absl::Seconds(1);
       t += absl::Hours(6)) {
    now_ = t;
    RunDue();
  }
  now_ = leaves - absl::Seconds(1);
  RunDue();
  for (const v1::ReadinessEvent& e : EventsAfter(before)) {
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_TIME) << e.DebugString();
    EXPECT_EQ(e.new_route(), v1::ROUTE_SALES_DISCOVERY) << e.DebugString();
    // Each emitted the moment it was due, the verdict then its new values.
    EXPECT_LE(TimeOf(e.due_time()), TimeOf(e.event_time()));
    const v1::Verdict then = VerdictAt("lab", TimeOf(e.event_time()));
    EXPECT_EQ(then.readiness(), e.new_readiness());
    // Never early: a moment before its due time, the old readiness held.
    const v1::Verdict just_before =
        VerdictAt("lab", TimeOf(e.due_time()) - absl::Milliseconds(3));
    EXPECT_EQ(just_before.readiness(), e.old_readiness()) << e.DebugString();
  }
  const int64_t at_due = Head();

  // Once due: one TIME event out of SALES_DISCOVERY, due when it changed.
  now_ = leaves + absl::Seconds(1);
  RunDue();
  std::vector<v1::ReadinessEvent> events = EventsAfter(at_due);
  ASSERT_THAT(events, SizeIs(1));
  const v1::ReadinessEvent& e = events[0];
  EXPECT_EQ(e.account(), AccountName("lab"));
  EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_TIME);
  EXPECT_EQ(e.old_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(e.new_route(), VerdictAt("lab", now_).route());
  EXPECT_NE(e.new_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_GE(TimeOf(e.due_time()), leaves);
  EXPECT_LE(TimeOf(e.due_time()), leaves + absl::Milliseconds(3));
  EXPECT_EQ(TimeOf(e.event_time()), now_);
  EXPECT_EQ(e.sequence(), at_due + 1);
  EXPECT_THAT(e.written_accounts(), IsEmpty());

  // The listing agrees.
  v1::ListAccountReadinessRequest list;
  list.add_routes(v1::ROUTE_SALES_DISCOVERY);
  ASSERT_OK_AND_ASSIGN(v1::ListAccountReadinessResponse page,
                       store_->readiness().ListAccountReadiness(list));
  EXPECT_THAT(page.accounts(), IsEmpty());

  // Nothing more is due at once.
  RunDue();
  EXPECT_EQ(Head(), at_due + 1);
}

TEST_F(FeedTest, WhatFellDueWhileTheServerWasDownIsEmittedAtStart) {
  AddSalesReadyLab("lab");
  const absl::Time leaves = RouteLeaves("lab", v1::ROUTE_SALES_DISCOVERY, now_,
                                        now_ + absl::Hours(24 * 365));
  const int64_t before = Head();
  // Down from now until a day after it fell due.
  now_ = leaves + absl::Hours(24);
  Reopen();
  EXPECT_EQ(Head(), before);  // Opening emits nothing by itself...
  RunDue();                   // ...the scheduler's first step does.
  std::vector<v1::ReadinessEvent> events = EventsAfter(before);
  ASSERT_THAT(events, SizeIs(1));  // One event: the state now.
  EXPECT_EQ(events[0].cause(), v1::ReadinessEvent::CAUSE_TIME);
  EXPECT_EQ(events[0].old_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(events[0].new_route(), VerdictAt("lab", now_).route());
  EXPECT_EQ(events[0].new_readiness(), VerdictAt("lab", now_).readiness());
  // The first that fell due.
  EXPECT_LE(TimeOf(events[0].due_time()), leaves + absl::Milliseconds(3));
  EXPECT_EQ(TimeOf(events[0].event_time()), now_);
}

TEST_F(FeedTest, TheSchedulerThreadEmitsByItselfAndStopsCleanly) {
  AddSalesReadyLab("lab");
  const absl::Time leaves = RouteLeaves("lab", v1::ROUTE_SALES_DISCOVERY, now_,
                                        now_ + absl::Hours(24 * 365));
  const int64_t before = Head();
  graph::Readiness::FeedOptions options;
  options.poll = absl::Milliseconds(20);
  store_->readiness().StartScheduler(options);
  now_ = leaves + absl::Seconds(1);  // The clock jumps (read by the thread).
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    store_->readiness().WaitForEvents(before, absl::Milliseconds(20));
    for (const v1::ReadinessEvent& e : EventsAfter(before)) {
      seen |= e.old_route() == v1::ROUTE_SALES_DISCOVERY;
    }
  }
  EXPECT_TRUE(seen);
  store_->readiness().StopScheduler();
  store_->readiness().StopScheduler();  // Idempotent.
}

TEST_F(FeedTest, ASchedulerStepWithNothingDueWritesNothing) {
  AddSalesReadyLab("lab");
  const int64_t commits = store_->store().commits();
  graph::Readiness::FeedOptions retention;
  retention.retention_events = 1000;
  retention.retention_age = absl::Hours(24);
  RunDue(retention);
  ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> next,
                       store_->readiness().RunDue(retention));
  EXPECT_EQ(store_->store().commits(), commits);
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, now_);
}

TEST_F(FeedTest, NextTimeChangeNeverPassesOverAChange) {
  // A lab with a stakeholder raised by an evaluation signal, a pricing
  // inquiry and a demo request on different days: windows and decay
  // overlap.
  AddSalesReadyLab("lab");
  v1::Stakeholder s = NewStakeholder("Quality Lead", "q@lab.example");
  s.set_title("Quality Manager");
  ASSERT_OK(store_->accounts()
                .CreateStakeholder(AccountName("lab"), s, "q")
                .status());
  AddSignal("lab", v1::SIGNAL_TYPE_PRICING_INQUIRY, now_ - absl::Hours(50));
  AddSignal("lab", v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
            now_ - absl::Hours(20), StakeholderName("lab", "q"));
  ASSERT_OK_AND_ASSIGN(graph::AccountTree tree,
                       store_->store().LoadAccountTree(AccountName("lab")));
  const v1::Policy policy = graph::DefaultPolicy();
  auto history = graph::SignalHistory::Build(
      tree.signals, absl::Seconds(policy.intent().half_life().seconds()) +
                        absl::Nanoseconds(policy.intent().half_life().nanos()));
  absl::Time from = now_;
  int steps = 0;
  for (; steps < 300; ++steps) {
    const v1::Verdict at =
        graph::QualifyRoute(tree.map, *history, policy, revision_, from);
    std::optional<absl::Time> due =
        graph::NextTimeChange(tree.map, *history, policy, at, from);
    if (!due) break;
    ASSERT_GT(*due, from);
    // Nothing changes before it is due (to within its tolerance).
    for (int k = 1; k <= 16; ++k) {
      const absl::Time t =
          from + (*due - absl::Milliseconds(3) - from) * (k / 16.0);
      if (t <= from) continue;
      const v1::Verdict v =
          graph::QualifyRoute(tree.map, *history, policy, revision_, t);
      ASSERT_EQ(v.route(), at.route()) << "at " << t << ", due " << *due;
      ASSERT_EQ(v.readiness(), at.readiness())
          << "at " << t << ", due " << *due;
    }
    from = *due;
  }
  EXPECT_GT(steps, 3);
  EXPECT_LT(steps, 300);  // It settles: nothing changes with time any more.
}

// ================================================================== cause

TEST_F(FeedTest, WriteEventsSayWhichWriteAndSignalCausedThem) {
  v1::Account a = NewAccount("Lab lab");
  a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  ASSERT_OK(store_->accounts().CreateAccount(a, "lab"));
  v1::Account child = NewAccount("Child lab");
  child.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  child.set_parent(AccountName("lab"));
  ASSERT_OK(store_->accounts().CreateAccount(child, "child"));
  const int64_t before = Head();
  AddSignal("child", v1::SIGNAL_TYPE_DEMO_REQUEST, now_);
  std::map<std::string, v1::ReadinessEvent> by_account;
  for (const auto& e : EventsAfter(before)) by_account[e.account()] = e;
  ASSERT_EQ(by_account.count(AccountName("lab")), 1u);
  for (const std::string& name : {AccountName("lab"), AccountName("child")}) {
    const v1::ReadinessEvent& e = by_account[name];
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_WRITE);
    EXPECT_THAT(e.written_accounts(), ElementsAre(AccountName("child")));
    ASSERT_THAT(e.signals(), SizeIs(1));
    EXPECT_THAT(e.signals(0), ::testing::StartsWith("accounts/child/signals/"));
    EXPECT_FALSE(e.has_due_time());
  }
  // A publish re-indexes everything: CAUSE_POLICY.
  v1::Policy stricter = graph::DefaultPolicy();
  stricter.mutable_intent()->set_high_intent_threshold(1000);
  const int64_t published = Head();
  ASSERT_OK(store_->policies().PublishPolicy(stricter, "stricter").status());
  std::vector<v1::ReadinessEvent> events = EventsAfter(published);
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_POLICY);
  }
}

// ============================================== replay, range, retention

TEST_F(FeedTest, StartSequenceOneReplaysEveryRetainedEvent) {
  AddSalesReadyLab("a");
  AddSalesReadyLab("b");
  const int64_t head = Head();
  ASSERT_GE(head, 3);
  ASSERT_OK_AND_ASSIGN(auto start, store_->readiness().StartWatch(Watch(0, 1)));
  EXPECT_EQ(start.after, 0);
  EXPECT_EQ(start.head, head);
  EXPECT_EQ(start.first, 1);
  EXPECT_EQ(EventsAfter(start.after).front().sequence(), 1);
  // start_sequence N is after_sequence N - 1; the head plus one: new only.
  ASSERT_OK_AND_ASSIGN(start, store_->readiness().StartWatch(Watch(0, 3)));
  EXPECT_EQ(start.after, 2);
  ASSERT_OK_AND_ASSIGN(start,
                       store_->readiness().StartWatch(Watch(0, head + 1)));
  EXPECT_EQ(start.after, head);
  // Neither: only new events (after_sequence 0 as before).
  ASSERT_OK_AND_ASSIGN(start, store_->readiness().StartWatch(Watch(0, 0)));
  EXPECT_EQ(start.after, head);
  ASSERT_OK_AND_ASSIGN(start, store_->readiness().StartWatch(Watch(2, 0)));
  EXPECT_EQ(start.after, 2);
}

TEST_F(FeedTest, BadWatchPositionsAreRefused) {
  AddSalesReadyLab("a");
  const int64_t head = Head();
  EXPECT_THAT(store_->readiness().StartWatch(Watch(1, 1)),
              HasViolationOn("start_sequence"));
  EXPECT_THAT(store_->readiness().StartWatch(Watch(0, -1)),
              HasViolationOn("start_sequence"));
  EXPECT_THAT(store_->readiness().StartWatch(Watch(-1, 0)),
              HasViolationOn("after_sequence"));
  EXPECT_THAT(store_->readiness().StartWatch(Watch(head + 1, 0)),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("after_sequence"),
                             HasSubstr(absl::StrCat("events 1 to ", head)))));
  absl::Status beyond =
      store_->readiness().StartWatch(Watch(0, head + 2)).status();
  EXPECT_THAT(beyond, StatusIs(absl::StatusCode::kOutOfRange,
                               HasSubstr("start_sequence")));
  // The retained range travels as an ErrorInfo too.
  auto payload = beyond.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  ASSERT_TRUE(payload.has_value());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.reason(), "SEQUENCE_OUT_OF_RANGE");
  EXPECT_EQ(info.metadata().at("first_sequence"), "1");
  EXPECT_EQ(info.metadata().at("head_sequence"), absl::StrCat(head));
}

TEST_F(FeedTest, RetentionCompactsTheOldestEventsAndTheRangeFollows) {
  for (const char* id : {"a", "b", "c", "d"}) AddSalesReadyLab(id);
  const int64_t head = Head();
  ASSERT_GE(head, 6);
  graph::Readiness::FeedOptions keep;
  keep.retention_events = 3;
  RunDue(keep);
  EXPECT_EQ(Head(), head);  // Compaction keeps the head.
  std::vector<v1::ReadinessEvent> events = EventsAfter(head - 3);
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[0].sequence(), head - 2);
  // Before the first retained less one: OUT_OF_RANGE, with the range.
  EXPECT_THAT(
      store_->readiness().ReadinessEvents(head - 4, 10),
      StatusIs(absl::StatusCode::kOutOfRange,
               HasSubstr(absl::StrCat("events ", head - 2, " to ", head))));
  EXPECT_THAT(store_->readiness().StartWatch(Watch(0, 2)),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(store_->readiness().StartWatch(Watch(1, 0)),
              StatusIs(absl::StatusCode::kOutOfRange));
  // 1 still means "every retained event".
  ASSERT_OK_AND_ASSIGN(auto start, store_->readiness().StartWatch(Watch(0, 1)));
  EXPECT_EQ(start.first, head - 2);
  EXPECT_EQ(start.after, head - 3);

  // By age: events older than a day go, newer ones stay; survives reopen.
  now_ += absl::Hours(48);
  RunDue();  // What decayed meanwhile.
  const int64_t before_e = Head();
  AddSalesReadyLab("e");
  const int64_t newest = Head();
  graph::Readiness::FeedOptions by_age;
  by_age.retention_age = absl::Hours(24);
  RunDue(by_age);
  Reopen();
  ASSERT_OK_AND_ASSIGN(start, store_->readiness().StartWatch(Watch(0, 1)));
  EXPECT_EQ(start.head, newest);
  EXPECT_EQ(start.first, head + 1);
  EXPECT_GE(before_e, head);
  for (const auto& e : EventsAfter(start.after)) {
    EXPECT_GE(TimeOf(e.event_time()), now_ - absl::Hours(24));
  }
}

}  // namespace
}  // namespace quorum::testing
