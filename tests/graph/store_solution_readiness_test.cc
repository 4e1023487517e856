// The readiness index and change feed per solution, on a real LMDB with the
// default policy and an injected clock: the listing judges each account for
// the solution asked for, every write and every time change appends the
// events of the verdicts it changed (each naming its solution), and a
// policy revision that drops a solution ends its verdicts.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/rules/solutions.h"
#include "graph/storage/layout.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

const std::vector<std::string> kSubjects = {"", "molecular-analyzer",
                                            "lis-middleware"};

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

class SolutionReadinessTest : public StoreTest {
 protected:
  void SetUp() override {
    now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 9, 0, 0),
                           absl::UTCTimeZone());
    StoreTest::SetUp();
    Publish(graph::DefaultPolicy());
  }

  void Publish(const v1::Policy& policy) {
    auto published = store_->policies().PublishPolicy(policy, "test");
    ASSERT_TRUE(published.ok()) << published.status();
    policy_ = policy;
    revision_ = published->revision();
  }

  // A US hospital lab on Epic whose LIS analyst (confirmed, not yet
  // engaged) is known and which asked for a demo on integration a day ago:
  // the account goes to sales discovery, the middleware to technical
  // pre-sales, the analyzer to nurture.
  void AddMiddlewareLab(absl::string_view id) {
    v1::Account a = NewAccount(absl::StrCat("Lab ", id));
    a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    a.add_current_systems("Epic Beaker");
    ASSERT_OK(store_->accounts().CreateAccount(a, id));
    v1::Stakeholder it = NewStakeholder("Ana Ruiz");
    it.set_title("LIS Analyst");
    v1::RoleAssignment* role = it.add_roles();
    role->set_role(v1::COMMITTEE_ROLE_INFORMATICS);
    role->set_source(v1::ROLE_SOURCE_CONFIRMED);
    ASSERT_OK(store_->accounts().CreateStakeholder(AccountName(id), it, "it"));
    v1::RecordSignalsRequest batch;
    for (v1::SignalType type :
         {v1::SIGNAL_TYPE_DEMO_REQUEST, v1::SIGNAL_TYPE_INTEGRATION_INQUIRY}) {
      v1::CreateSignalRequest* r = batch.add_requests();
      r->set_parent(AccountName(id));
      r->mutable_signal()->set_type(type);
      r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_INTEGRATION);
      *r->mutable_signal()->mutable_occur_time() = Ts(now_ - absl::Hours(24));
    }
    ASSERT_OK(store_->signals().RecordSignals(batch));
  }

  // A US hospital lab without anyone known or any signal.
  void AddQuietLab(absl::string_view id) {
    v1::Account a = NewAccount(absl::StrCat("Lab ", id));
    a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    ASSERT_OK(store_->accounts().CreateAccount(a, id));
  }

  // The verdict on accounts/{id} for `solution` (empty: its own), computed
  // directly from its tree.
  v1::Verdict VerdictFor(absl::string_view id, const std::string& solution,
                         absl::Time as_of) {
    auto tree = store_->store().LoadAccountTree(AccountName(id));
    EXPECT_TRUE(tree.ok()) << tree.status();
    auto judged = graph::PolicyForSolution(policy_, solution);
    EXPECT_TRUE(judged.ok()) << judged.status();
    if (!tree.ok() || !judged.ok()) return v1::Verdict();
    return graph::Qualify(*tree, *judged, revision_, as_of);
  }

  // Every entry of the listing for `solution`, page by page.
  std::vector<v1::AccountReadiness> ListAll(
      v1::ListAccountReadinessRequest request, const std::string& solution) {
    request.set_solution(solution);
    request.set_page_size(1);
    std::vector<v1::AccountReadiness> all;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = store_->readiness().ListAccountReadiness(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      all.insert(all.end(), page->accounts().begin(), page->accounts().end());
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    return all;
  }

  // The head of each feed: the accounts' own and each solution's.
  using Heads = std::map<std::string, int64_t>;
  Heads HeadsNow() {
    Heads heads;
    for (const std::string& s : kSubjects) {
      heads[s] = store_->readiness().LastEventSequence(s);
    }
    return heads;
  }

  // The events of every feed after `heads`, feed after feed.
  std::vector<v1::ReadinessEvent> EventsAfter(const Heads& heads) {
    std::vector<v1::ReadinessEvent> all;
    for (const auto& [solution, after] : heads) {
      for (v1::ReadinessEvent& e :
           OrFail(store_->readiness().ReadinessEvents(after, 100000, solution),
                  "ReadinessEvents")) {
        EXPECT_EQ(e.solution(), solution) << "in the feed of " << solution;
        all.push_back(std::move(e));
      }
    }
    return all;
  }

  // The last event of each (account, solution) in `events`.
  static std::map<std::pair<std::string, std::string>, v1::ReadinessEvent>
  LastBySubject(const std::vector<v1::ReadinessEvent>& events) {
    std::map<std::pair<std::string, std::string>, v1::ReadinessEvent> last;
    for (const v1::ReadinessEvent& e : events) {
      last[{e.account(), e.solution()}] = e;
    }
    return last;
  }

  // The solutions that have an entry in `readiness_of` (read raw).
  std::set<std::string> IndexedSolutions() {
    std::set<std::string> solutions;
    for (const std::string& key : RawKeys("readiness_of")) {
      const size_t bar = key.find('|');
      solutions.insert(
          bar == std::string::npos
              ? ""
              : key.substr(graph::layout::kSolutionScopes.size(),
                           bar - graph::layout::kSolutionScopes.size()));
    }
    return solutions;
  }

  v1::Policy policy_;
  int64_t revision_ = 0;
};

// ================================================================ listing

TEST_F(SolutionReadinessTest, TheListingJudgesEachAccountForTheSolutionAsked) {
  AddMiddlewareLab("metro");
  AddQuietLab("quiet");
  ASSERT_EQ(VerdictFor("metro", "", now_).route(), v1::ROUTE_SALES_DISCOVERY);
  ASSERT_EQ(VerdictFor("metro", "lis-middleware", now_).route(),
            v1::ROUTE_TECHNICAL_PRESALES);
  ASSERT_EQ(VerdictFor("metro", "molecular-analyzer", now_).route(),
            v1::ROUTE_NURTURE);
  now_ += absl::Minutes(5);
  for (const std::string& solution : kSubjects) {
    SCOPED_TRACE(solution);
    std::vector<v1::AccountReadiness> listed = ListAll({}, solution);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_GE(listed[0].readiness(), listed[1].readiness());
    for (const v1::AccountReadiness& a : listed) {
      const v1::Verdict v = VerdictFor(
          a.account().substr(sizeof("accounts/") - 1), solution, now_);
      EXPECT_EQ(a.solution(), solution);
      EXPECT_EQ(a.route(), v.route()) << a.account();
      EXPECT_EQ(a.readiness(), v.readiness()) << a.account();
      EXPECT_EQ(a.decided_by(), v.decided_by()) << a.account();
      std::vector<std::string> missing;
      for (const auto& r : v.committee().requirements()) {
        if (r.applicable() && !r.met()) missing.push_back(r.requirement_id());
      }
      EXPECT_THAT(a.missing_requirements(),
                  ::testing::ElementsAreArray(missing));
    }
  }

  // The filters apply to the solution's verdict.
  v1::ListAccountReadinessRequest presales;
  presales.add_routes(v1::ROUTE_TECHNICAL_PRESALES);
  std::vector<v1::AccountReadiness> middleware =
      ListAll(presales, "lis-middleware");
  ASSERT_EQ(middleware.size(), 1u);
  EXPECT_EQ(middleware[0].account(), AccountName("metro"));
  EXPECT_THAT(ListAll(presales, ""), IsEmpty());
  EXPECT_THAT(ListAll(presales, "molecular-analyzer"), IsEmpty());
}

TEST_F(SolutionReadinessTest, AnOlderRevisionIsJudgedForItsSolutionToo) {
  AddMiddlewareLab("metro");
  const v1::Policy first = policy_;
  const int64_t first_revision = revision_;
  v1::Policy strict = graph::DefaultPolicy();
  strict.mutable_intent()->set_high_intent_threshold(1000);
  Publish(strict);
  v1::ListAccountReadinessRequest request;
  request.set_policy_revision(first_revision);
  std::vector<v1::AccountReadiness> listed = ListAll(request, "lis-middleware");
  ASSERT_EQ(listed.size(), 1u);
  policy_ = first;
  revision_ = first_revision;
  EXPECT_EQ(listed[0].route(), v1::ROUTE_TECHNICAL_PRESALES);
  EXPECT_EQ(listed[0].readiness(),
            VerdictFor("metro", "lis-middleware", now_).readiness());
}

TEST_F(SolutionReadinessTest, AnUnknownSolutionIsABadRequestNamingSolution) {
  AddMiddlewareLab("metro");
  for (const char* bad : {"reagents", "Not An Id"}) {
    v1::ListAccountReadinessRequest request;
    request.set_solution(bad);
    EXPECT_THAT(store_->readiness().ListAccountReadiness(request).status(),
                HasViolationOn("solution"))
        << bad;
    v1::WatchReadinessRequest watch;
    watch.set_solution(bad);
    EXPECT_THAT(store_->readiness().StartWatch(watch).status(),
                HasViolationOn("solution"))
        << bad;
  }
  v1::WatchReadinessRequest known;
  known.set_solution("lis-middleware");
  EXPECT_OK(store_->readiness().StartWatch(known).status());
}

// ============================================================ change feed

TEST_F(SolutionReadinessTest, AWriteAppendsAnEventForEachVerdictItChanged) {
  const Heads before = HeadsNow();
  AddMiddlewareLab("metro");
  std::vector<v1::ReadinessEvent> events = EventsAfter(before);
  auto last = LastBySubject(events);
  for (const std::string& solution : kSubjects) {
    SCOPED_TRACE(solution);
    ASSERT_EQ(last.count({AccountName("metro"), solution}), 1u);
    const v1::ReadinessEvent& e = last[{AccountName("metro"), solution}];
    const v1::Verdict v = VerdictFor("metro", solution, now_);
    EXPECT_EQ(e.new_route(), v.route());
    EXPECT_EQ(e.new_readiness(), v.readiness());
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_WRITE);
    EXPECT_EQ(e.policy_revision(), revision_);
  }
  // Each watch sees its own: the accounts' own by default.
  for (const std::string& solution : kSubjects) {
    v1::WatchReadinessRequest watch;
    watch.set_solution(solution);
    int matched = 0;
    for (const v1::ReadinessEvent& e : events) {
      EXPECT_EQ(graph::MatchesWatch(watch, e), e.solution() == solution);
      matched += graph::MatchesWatch(watch, e);
    }
    EXPECT_GT(matched, 0) << solution;
  }

  // The LIS analyst engages (a technical session on integration): the
  // middleware's informatics requirement is met, and its verdict moves on
  // from technical pre-sales; every event says the verdict it moved to.
  const Heads engaged = HeadsNow();
  v1::RecordSignalsRequest batch;
  v1::CreateSignalRequest* r = batch.add_requests();
  r->set_parent(AccountName("metro"));
  r->mutable_signal()->set_type(v1::SIGNAL_TYPE_TECHNICAL_SESSION);
  r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_INTEGRATION);
  r->mutable_signal()->set_stakeholder(StakeholderName("metro", "it"));
  *r->mutable_signal()->mutable_occur_time() = Ts(now_);
  ASSERT_OK(store_->signals().RecordSignals(batch));
  std::vector<v1::ReadinessEvent> after = EventsAfter(engaged);
  for (const v1::ReadinessEvent& e : after) {
    const v1::Verdict v = VerdictFor("metro", e.solution(), now_);
    EXPECT_EQ(e.new_route(), v.route()) << e.DebugString();
    EXPECT_EQ(e.new_readiness(), v.readiness()) << e.DebugString();
  }
  last = LastBySubject(after);
  const std::pair<std::string, std::string> middleware = {AccountName("metro"),
                                                          "lis-middleware"};
  ASSERT_EQ(last.count(middleware), 1u);
  EXPECT_EQ(last[middleware].old_route(), v1::ROUTE_TECHNICAL_PRESALES);
}

TEST_F(SolutionReadinessTest, EachFeedIsNumberedFromOneWithoutGaps) {
  AddMiddlewareLab("metro");
  AddQuietLab("quiet");
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("quiet"), "", true));
  for (const std::string& solution : kSubjects) {
    SCOPED_TRACE(solution);
    const std::vector<v1::ReadinessEvent> feed =
        OrFail(store_->readiness().ReadinessEvents(0, 100000, solution),
               "ReadinessEvents");
    // Created, moved on by the stakeholder, created, deleted: at least.
    ASSERT_GE(feed.size(), 3u);
    for (size_t i = 0; i < feed.size(); ++i) {
      EXPECT_EQ(feed[i].sequence(), static_cast<int64_t>(i) + 1);
      EXPECT_EQ(feed[i].solution(), solution);
    }
    EXPECT_EQ(store_->readiness().LastEventSequence(solution),
              static_cast<int64_t>(feed.size()));
    // Read in pages, from the middle on, it is the same.
    const std::vector<v1::ReadinessEvent> rest = OrFail(
        store_->readiness().ReadinessEvents(1, 2, solution), "ReadinessEvents");
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].sequence(), 2);
    EXPECT_EQ(rest[1].sequence(), 3);
  }
}

TEST_F(SolutionReadinessTest, RetentionKeepsTheNewestEventsOfEachFeed) {
  AddMiddlewareLab("metro");
  AddQuietLab("quiet");
  const Heads heads = HeadsNow();
  graph::Readiness::FeedOptions retention;
  retention.retention_events = 1;
  ASSERT_OK(store_->readiness().RunDue(retention).status());
  for (const std::string& solution : kSubjects) {
    SCOPED_TRACE(solution);
    const int64_t head = heads.at(solution);
    ASSERT_GT(head, 1);
    const auto kept = OrFail(
        store_->readiness().ReadinessEvents(head - 1, 100, solution), "kept");
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].sequence(), head);
    EXPECT_TRUE(absl::IsOutOfRange(
        store_->readiness().ReadinessEvents(0, 100, solution).status()));
    v1::WatchReadinessRequest watch;
    watch.set_solution(solution);
    watch.set_start_sequence(1);
    auto start = store_->readiness().StartWatch(watch);
    ASSERT_OK(start.status());
    EXPECT_EQ(start->first, head);
    EXPECT_EQ(start->head, head);
  }
}

TEST_F(SolutionReadinessTest, DeletingAnAccountEndsEveryOneOfItsVerdicts) {
  AddMiddlewareLab("metro");
  const Heads before = HeadsNow();
  ASSERT_OK(store_->accounts().DeleteAccount(AccountName("metro"), "", true));
  auto last = LastBySubject(EventsAfter(before));
  ASSERT_EQ(last.size(), kSubjects.size());
  for (const std::string& solution : kSubjects) {
    const v1::ReadinessEvent& e = last[{AccountName("metro"), solution}];
    EXPECT_EQ(e.new_route(), v1::ROUTE_UNSPECIFIED) << solution;
    EXPECT_NE(e.old_route(), v1::ROUTE_UNSPECIFIED) << solution;
  }
  for (const char* db :
       {"readiness", "readiness_of", "readiness_from", "readiness_due"}) {
    EXPECT_THAT(RawKeys(db), IsEmpty()) << db;
  }
}

TEST_F(SolutionReadinessTest, ARevisionWithoutASolutionEndsItsVerdicts) {
  AddMiddlewareLab("metro");
  AddQuietLab("quiet");
  ASSERT_EQ(IndexedSolutions(),
            std::set<std::string>(kSubjects.begin(), kSubjects.end()));
  const Heads before = HeadsNow();
  v1::Policy analyzer_only = graph::DefaultPolicy();
  analyzer_only.clear_solutions();
  for (const v1::Solution& s : graph::DefaultPolicy().solutions()) {
    if (s.id() != "lis-middleware") *analyzer_only.add_solutions() = s;
  }
  Publish(analyzer_only);
  int ended = 0;
  for (const v1::ReadinessEvent& e : EventsAfter(before)) {
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_POLICY);
    if (e.solution() != "lis-middleware") continue;
    EXPECT_EQ(e.new_route(), v1::ROUTE_UNSPECIFIED);
    EXPECT_NE(e.old_route(), v1::ROUTE_UNSPECIFIED);
    ++ended;
  }
  EXPECT_EQ(ended, 2);
  EXPECT_EQ(IndexedSolutions(),
            (std::set<std::string>{"", "molecular-analyzer"}));
  v1::ListAccountReadinessRequest request;
  request.set_solution("lis-middleware");
  EXPECT_THAT(store_->readiness().ListAccountReadiness(request).status(),
              HasViolationOn("solution"));
  EXPECT_EQ(ListAll({}, "molecular-analyzer").size(), 2u);

  // Back again: its verdicts begin anew.
  const Heads dropped = HeadsNow();
  Publish(graph::DefaultPolicy());
  auto last = LastBySubject(EventsAfter(dropped));
  for (const char* id : {"metro", "quiet"}) {
    const v1::ReadinessEvent& e = last[{AccountName(id), "lis-middleware"}];
    EXPECT_EQ(e.old_route(), v1::ROUTE_UNSPECIFIED) << id;
    EXPECT_EQ(e.new_route(), VerdictFor(id, "lis-middleware", now_).route());
  }
  EXPECT_EQ(ListAll({}, "lis-middleware").size(), 2u);
}

TEST_F(SolutionReadinessTest, ASolutionsVerdictChangesWithTimeByItself) {
  AddMiddlewareLab("metro");
  const Heads before = HeadsNow();
  // Long after: every signal has decayed or left its window.
  std::set<std::string> changed;
  for (int day = 1; day <= 400; day += 3) {
    now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 9, 0, 0),
                           absl::UTCTimeZone()) +
           absl::Hours(24 * day);
    ASSERT_OK(store_->readiness().RunDue({}).status());
  }
  std::vector<v1::ReadinessEvent> events = EventsAfter(before);
  for (const v1::ReadinessEvent& e : events) {
    EXPECT_EQ(e.cause(), v1::ReadinessEvent::CAUSE_TIME);
    changed.insert(e.solution());
  }
  // The middleware leaves technical pre-sales by time alone, with an event
  // of its own.
  EXPECT_THAT(changed, Contains("lis-middleware"));
  auto last = LastBySubject(events);
  for (const auto& [subject, e] : last) {
    const v1::Verdict v = VerdictFor("metro", subject.second, now_);
    EXPECT_EQ(e.new_route(), v.route()) << subject.second;
    EXPECT_EQ(e.new_readiness(), v.readiness()) << subject.second;
  }
  const std::pair<std::string, std::string> middleware = {AccountName("metro"),
                                                          "lis-middleware"};
  EXPECT_NE(last[middleware].new_route(), v1::ROUTE_TECHNICAL_PRESALES);
  // Nothing more falls due: the queue is empty.
  EXPECT_THAT(RawKeys("readiness_due"), IsEmpty());
}

TEST_F(SolutionReadinessTest, AStoreWithoutSolutionEntriesGetsThemOnOpen) {
  AddMiddlewareLab("metro");
  // As a server before solutions were indexed left it: no scoped keys, no
  // marker.
  int removed = 0;
  RawWrite(
      {"readiness", "readiness_of", "readiness_from", "readiness_due", "meta"},
      [&](graph::Txn& txn) -> absl::Status {
        for (const char* db :
             {"readiness", "readiness_of", "readiness_from", "readiness_due"}) {
          // Scoped keys, and due keys that end with a solution.
          std::vector<std::string> scoped;
          RETURN_IF_ERROR(txn.Scan(
              db, "", "", [&](absl::string_view key, absl::string_view) {
                if (absl::StartsWith(key, "solutions/") ||
                    absl::EndsWith(key, "|lis-middleware") ||
                    absl::EndsWith(key, "|molecular-analyzer")) {
                  scoped.emplace_back(key);
                }
                return true;
              }));
          for (const std::string& key : scoped) {
            RETURN_IF_ERROR(txn.Delete(db, key));
            ++removed;
          }
        }
        return txn.Delete("meta", graph::layout::kReadinessSolutionsBuiltKey);
      });
  // Each of the two solutions had an entry in each of three databases, and
  // a due time.
  ASSERT_GE(removed, 6);
  // Opened again (by RawWrite), the store has them back.
  EXPECT_EQ(IndexedSolutions(),
            std::set<std::string>(kSubjects.begin(), kSubjects.end()));
  std::vector<v1::AccountReadiness> listed = ListAll({}, "lis-middleware");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].route(), v1::ROUTE_TECHNICAL_PRESALES);
}

}  // namespace
}  // namespace quorum::testing
