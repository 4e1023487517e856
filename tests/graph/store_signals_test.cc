// Store: signals. Recording batches (validation, idempotent retries, all or
// nothing), listing newest first with paging, the account-tree snapshot that
// feeds qualification, and durability across a reopen.
#include <cstdint>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "graph/model/names.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

// A point in time given as Unix seconds (and nanoseconds).
google::protobuf::Timestamp At(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// A valid request for a DEMO_REQUEST signal on accounts/{account}.
v1::CreateSignalRequest SignalOn(absl::string_view account, int64_t seconds,
                                 absl::string_view signal_id = "",
                                 absl::string_view stakeholder = "") {
  v1::CreateSignalRequest r;
  r.set_parent(AccountName(account));
  r.set_signal_id(std::string(signal_id));
  v1::Signal* s = r.mutable_signal();
  s->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  *s->mutable_occur_time() = At(seconds);
  s->set_stakeholder(std::string(stakeholder));
  return r;
}

v1::RecordSignalsRequest Batch(std::vector<v1::CreateSignalRequest> requests) {
  v1::RecordSignalsRequest batch;
  for (auto& r : requests) *batch.add_requests() = std::move(r);
  return batch;
}

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(item.name());
  return out;
}

std::string SignalName(absl::string_view account, absl::string_view id) {
  return absl::StrCat("accounts/", account, "/signals/", id);
}

class StoreSignalsTest : public StoreTest {
 protected:
  // Every signal of `account`, newest first, read in pages of `page`.
  std::vector<v1::Signal> AllSignals(absl::string_view account,
                                     int page = 1000) {
    std::vector<v1::Signal> out;
    std::string after;
    for (int guard = 0; guard < 10000; ++guard) {
      auto listed =
          store_->signals().ListSignals(AccountName(account), page, after);
      if (!listed.ok()) {
        ADD_FAILURE() << "ListSignals " << account << ": " << listed.status();
        return out;
      }
      for (auto& s : listed->items) out.push_back(std::move(s));
      if (!listed->more) return out;
      after = listed->last_key;
    }
    ADD_FAILURE() << "ListSignals does not end";
    return out;
  }

  std::vector<v1::RecordedSignal> Record(v1::RecordSignalsRequest batch) {
    return OrFail(store_->signals().RecordSignals(batch), "RecordSignals");
  }
};

// ---------------------------------------------------------- Record and list

TEST_F(StoreSignalsTest, RecordReturnsTheStoredSignalsInRequestOrder) {
  AddAccount("north");
  AddStakeholder("north", "dana");
  v1::CreateSignalRequest full = SignalOn("north", 1000, "webinar-1",
                                          StakeholderName("north", "dana"));
  full.mutable_signal()->set_type(v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
  full.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_VALIDATION);
  full.mutable_signal()->set_source(v1::SOURCE_CHANNEL_WEBINAR);
  full.mutable_signal()->set_campaign("Q3 validation webinar");
  full.mutable_signal()->set_description("Attended the validation webinar");
  *full.mutable_signal()->mutable_occur_time() = At(1000, 250);

  ASSERT_OK_AND_ASSIGN(std::vector<v1::RecordedSignal> results,
                       store_->signals().RecordSignals(
                           Batch({full, SignalOn("north", 2000, "demo-1")})));
  ASSERT_THAT(results, SizeIs(2));
  EXPECT_FALSE(results[0].duplicate());
  EXPECT_FALSE(results[1].duplicate());

  const v1::Signal& s = results[0].signal();
  EXPECT_EQ(s.name(), SignalName("north", "webinar-1"));
  EXPECT_EQ(s.type(), v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
  EXPECT_EQ(s.topic(), v1::SIGNAL_TOPIC_VALIDATION);
  EXPECT_EQ(s.source(), v1::SOURCE_CHANNEL_WEBINAR);
  EXPECT_EQ(s.campaign(), "Q3 validation webinar");
  EXPECT_EQ(s.description(), "Attended the validation webinar");
  EXPECT_EQ(s.stakeholder(), StakeholderName("north", "dana"));
  EXPECT_EQ(s.occur_time().seconds(), 1000);
  EXPECT_EQ(s.occur_time().nanos(), 250);
  EXPECT_EQ(results[1].signal().name(), SignalName("north", "demo-1"));

  // What was returned is what is stored.
  std::vector<v1::Signal> listed = AllSignals("north");
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_THAT(listed[0], EqualsProto(results[1].signal()));
  EXPECT_THAT(listed[1], EqualsProto(results[0].signal()));
}

TEST_F(StoreSignalsTest, ListIsNewestFirstByOccurTimeNotByRecordOrder) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 300, "c"), SignalOn("north", 100, "a")}));
  Record(Batch({SignalOn("north", 500, "e"), SignalOn("north", 200, "b")}));
  Record(Batch({SignalOn("north", 400, "d")}));
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "e"), SignalName("north", "d"),
                          SignalName("north", "c"), SignalName("north", "b"),
                          SignalName("north", "a")));
}

TEST_F(StoreSignalsTest, NanosecondsOrderSignalsWithinOneSecond) {
  AddAccount("north");
  v1::CreateSignalRequest early = SignalOn("north", 100, "early");
  *early.mutable_signal()->mutable_occur_time() = At(100, 1);
  v1::CreateSignalRequest late = SignalOn("north", 100, "late");
  *late.mutable_signal()->mutable_occur_time() = At(100, 999999999);
  Record(Batch({early, late, SignalOn("north", 100, "zero")}));
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "late"),
                          SignalName("north", "early"),
                          SignalName("north", "zero")));
}

TEST_F(StoreSignalsTest, SignalsAtTheSameTimeAreListedInIdOrder) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 100, "m"), SignalOn("north", 100, "b"),
                SignalOn("north", 200, "z"), SignalOn("north", 100, "x")}));
  Record(Batch({SignalOn("north", 100, "a")}));
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "z"), SignalName("north", "a"),
                          SignalName("north", "b"), SignalName("north", "m"),
                          SignalName("north", "x")));
}

TEST_F(StoreSignalsTest, TimesAtBothEndsOfTheRangeAreStoredAndOrdered) {
  AddAccount("north");
  v1::CreateSignalRequest first = SignalOn("north", 0, "epoch");
  v1::CreateSignalRequest last = SignalOn("north", 0, "last");
  *last.mutable_signal()->mutable_occur_time() = At(9223372035, 999999999);
  ASSERT_OK(store_->signals().RecordSignals(
      Batch({first, SignalOn("north", 1700000000, "now"), last})));
  std::vector<v1::Signal> listed = AllSignals("north");
  EXPECT_THAT(NamesOf(listed), ElementsAre(SignalName("north", "last"),
                                           SignalName("north", "now"),
                                           SignalName("north", "epoch")));
  ASSERT_THAT(listed, SizeIs(3));
  EXPECT_EQ(listed[0].occur_time().seconds(), 9223372035);
  EXPECT_EQ(listed[0].occur_time().nanos(), 999999999);
  EXPECT_EQ(listed[2].occur_time().seconds(), 0);
}

TEST_F(StoreSignalsTest, TopicDefaultsToGeneralAndAnExplicitTopicIsKept) {
  AddAccount("north");
  v1::CreateSignalRequest pricing = SignalOn("north", 200, "pricing");
  pricing.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_PRICING);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::RecordedSignal> results,
                       store_->signals().RecordSignals(
                           Batch({SignalOn("north", 100, "plain"), pricing})));
  ASSERT_THAT(results, SizeIs(2));
  EXPECT_EQ(results[0].signal().topic(), v1::SIGNAL_TOPIC_GENERAL);
  EXPECT_EQ(results[1].signal().topic(), v1::SIGNAL_TOPIC_PRICING);
  std::vector<v1::Signal> listed = AllSignals("north");
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_EQ(listed[0].topic(), v1::SIGNAL_TOPIC_PRICING);
  EXPECT_EQ(listed[1].topic(), v1::SIGNAL_TOPIC_GENERAL);
}

TEST_F(StoreSignalsTest, CreateTimeComesFromTheClockAndOutputOnlyFieldsAreIgnored) {
  AddAccount("north");
  now_ = absl::FromUnixSeconds(1712345678) + absl::Milliseconds(5);
  v1::CreateSignalRequest r = SignalOn("north", 100, "one");
  r.mutable_signal()->set_name("accounts/elsewhere/signals/other");
  *r.mutable_signal()->mutable_create_time() = At(42);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::RecordedSignal> results,
                       store_->signals().RecordSignals(Batch({r})));
  ASSERT_THAT(results, SizeIs(1));
  EXPECT_EQ(results[0].signal().name(), SignalName("north", "one"));
  EXPECT_EQ(TimeOf(results[0].signal().create_time()), now_);

  now_ += absl::Hours(1);
  Record(Batch({SignalOn("north", 50, "two")}));
  std::vector<v1::Signal> listed = AllSignals("north");
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_EQ(TimeOf(listed[0].create_time()),
            absl::FromUnixSeconds(1712345678) + absl::Milliseconds(5));
  EXPECT_EQ(TimeOf(listed[1].create_time()), now_);
}

TEST_F(StoreSignalsTest, GeneratedIdsAreValidAndUnique) {
  AddAccount("north");
  AddAccount("south");
  std::vector<v1::CreateSignalRequest> requests;
  for (int i = 0; i < 20; ++i) {
    requests.push_back(SignalOn(i % 2 ? "north" : "south", 100));
  }
  std::vector<v1::RecordedSignal> first = Record(Batch(requests));
  std::vector<v1::RecordedSignal> second = Record(Batch(requests));
  ASSERT_THAT(first, SizeIs(20));
  ASSERT_THAT(second, SizeIs(20));
  std::set<std::string> ids;
  for (const auto* results : {&first, &second}) {
    for (size_t i = 0; i < results->size(); ++i) {
      const v1::RecordedSignal& r = (*results)[i];
      EXPECT_FALSE(r.duplicate()) << r.signal().name();
      auto parsed = names::ParseChild(r.signal().name(), "signals", "name");
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      EXPECT_EQ(parsed->account_id, i % 2 ? "north" : "south");
      EXPECT_TRUE(names::IsValidId(parsed->id)) << parsed->id;
      ids.insert(parsed->id);  // unique across accounts, too
    }
  }
  EXPECT_THAT(ids, SizeIs(40));
  EXPECT_THAT(AllSignals("north"), SizeIs(20));
  EXPECT_THAT(AllSignals("south"), SizeIs(20));
}

TEST_F(StoreSignalsTest, GeneratedIdsNeverTakeAClientChosenId) {
  AddAccount("north");
  // Generated IDs are "s-{hex sequence}"; claim the next few by hand.
  std::vector<v1::RecordedSignal> probe = Record(Batch({SignalOn("north", 1)}));
  ASSERT_THAT(probe, SizeIs(1));
  auto parsed = names::ParseChild(probe[0].signal().name(), "signals", "name");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->id, StartsWith("s-"));
  const uint64_t seq = std::stoull(parsed->id.substr(2), nullptr, 16);
  std::vector<v1::CreateSignalRequest> claimed;
  for (uint64_t k = 1; k <= 8; ++k) {
    claimed.push_back(SignalOn("north", 2 + static_cast<int64_t>(k),
                               absl::StrCat("s-", absl::Hex(seq + k))));
  }
  Record(Batch(claimed));

  std::vector<v1::RecordedSignal> generated =
      Record(Batch({SignalOn("north", 100), SignalOn("north", 200)}));
  ASSERT_THAT(generated, SizeIs(2));
  EXPECT_FALSE(generated[0].duplicate());
  EXPECT_FALSE(generated[1].duplicate());
  std::vector<v1::Signal> listed = AllSignals("north");
  EXPECT_THAT(listed, SizeIs(11));
  std::vector<std::string> names = NamesOf(listed);
  EXPECT_THAT(std::set<std::string>(names.begin(), names.end()), SizeIs(11))
      << "two stored signals share a name: "
      << ::testing::PrintToString(names);
  // A retry with the generated names' IDs finds exactly those signals.
  for (const auto& g : generated) {
    auto id = names::ParseChild(g.signal().name(), "signals", "name");
    ASSERT_TRUE(id.ok());
    std::vector<v1::RecordedSignal> again =
        Record(Batch({SignalOn("north", 999, id->id)}));
    ASSERT_THAT(again, SizeIs(1));
    EXPECT_TRUE(again[0].duplicate());
    EXPECT_THAT(again[0].signal(), EqualsProto(g.signal()));
  }
}

TEST_F(StoreSignalsTest, ListingIsPerAccount) {
  AddAccount("north");
  AddAccount("north-east");  // its keys share the prefix "accounts/north"
  AddAccount("quiet");
  Record(Batch({SignalOn("north", 100, "a"), SignalOn("north-east", 200, "b"),
                SignalOn("north", 300, "c")}));
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "c"), SignalName("north", "a")));
  EXPECT_THAT(NamesOf(AllSignals("north-east")),
              ElementsAre(SignalName("north-east", "b")));
  EXPECT_THAT(AllSignals("quiet"), IsEmpty());
}

TEST_F(StoreSignalsTest, ListSignalsChecksTheParent) {
  EXPECT_THAT(store_->signals().ListSignals("accounts/missing", 10, ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->signals().ListSignals("accounts/Not_Valid", 10, ""),
              HasViolationOn("parent"));
  EXPECT_THAT(store_->signals().ListSignals("", 10, ""),
              HasViolationOn("parent"));
  EXPECT_THAT(store_->signals().ListSignals("accounts/a/sites/b", 10, ""),
              HasViolationOn("parent"));
}

// ---------------------------------------------------------------- Paging

TEST_F(StoreSignalsTest, PagingWalksEverySignalOnceInOrder) {
  AddAccount("north");
  std::vector<v1::CreateSignalRequest> requests;
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    requests.push_back(SignalOn("north", 1000 - i, absl::StrCat("sig-", i)));
    expected.push_back(SignalName("north", absl::StrCat("sig-", i)));
  }
  // Same time as sig-6, after it in ID order.
  requests.push_back(SignalOn("north", 994, "sig-7a"));
  expected.push_back(SignalName("north", "sig-7a"));
  Record(Batch(requests));

  ASSERT_OK_AND_ASSIGN(graph::Page<v1::Signal> p1,
                       store_->signals().ListSignals("accounts/north", 3, ""));
  EXPECT_TRUE(p1.more);
  EXPECT_THAT(NamesOf(p1.items), ElementsAre(expected[0], expected[1],
                                             expected[2]));
  EXPECT_FALSE(p1.last_key.empty());
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Signal> p2,
      store_->signals().ListSignals("accounts/north", 3, p1.last_key));
  EXPECT_TRUE(p2.more);
  EXPECT_THAT(NamesOf(p2.items), ElementsAre(expected[3], expected[4],
                                             expected[5]));
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Signal> p3,
      store_->signals().ListSignals("accounts/north", 3, p2.last_key));
  EXPECT_FALSE(p3.more);
  EXPECT_THAT(NamesOf(p3.items), ElementsAre(expected[6], expected[7]));

  for (int size : {1, 2, 4, 8, 9}) {
    EXPECT_THAT(NamesOf(AllSignals("north", size)), ElementsAreArray(expected))
        << "page size " << size;
  }
}

TEST_F(StoreSignalsTest, AFullLastPageHasNoMore) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 4, "a"), SignalOn("north", 3, "b"),
                SignalOn("north", 2, "c"), SignalOn("north", 1, "d")}));
  ASSERT_OK_AND_ASSIGN(graph::Page<v1::Signal> p1,
                       store_->signals().ListSignals("accounts/north", 2, ""));
  EXPECT_TRUE(p1.more);
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Signal> p2,
      store_->signals().ListSignals("accounts/north", 2, p1.last_key));
  EXPECT_FALSE(p2.more);
  EXPECT_THAT(NamesOf(p2.items),
              ElementsAre(SignalName("north", "c"), SignalName("north", "d")));
}

TEST_F(StoreSignalsTest, PagingSeesSignalsAddedBetweenPagesInTheirPlace) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 400, "d"), SignalOn("north", 300, "c"),
                SignalOn("north", 100, "a")}));
  ASSERT_OK_AND_ASSIGN(graph::Page<v1::Signal> p1,
                       store_->signals().ListSignals("accounts/north", 2, ""));
  EXPECT_THAT(NamesOf(p1.items),
              ElementsAre(SignalName("north", "d"), SignalName("north", "c")));
  // One newer than the page (not seen again) and one older (seen next).
  Record(Batch({SignalOn("north", 500, "e"), SignalOn("north", 200, "b")}));
  ASSERT_OK_AND_ASSIGN(
      graph::Page<v1::Signal> p2,
      store_->signals().ListSignals("accounts/north", 5, p1.last_key));
  EXPECT_FALSE(p2.more);
  EXPECT_THAT(NamesOf(p2.items),
              ElementsAre(SignalName("north", "b"), SignalName("north", "a")));
}

// ------------------------------------------------------ Idempotent retries

TEST_F(StoreSignalsTest, RetryingABatchMarksEveryEntryDuplicateAndWritesNothing) {
  AddAccount("north");
  AddStakeholder("north", "dana");
  v1::RecordSignalsRequest batch =
      Batch({SignalOn("north", 100, "one"),
             SignalOn("north", 200, "two", StakeholderName("north", "dana")),
             SignalOn("north", 300, "three")});
  std::vector<v1::RecordedSignal> first = Record(batch);
  ASSERT_THAT(first, SizeIs(3));

  now_ += absl::Minutes(5);
  std::vector<v1::RecordedSignal> retry = Record(batch);
  ASSERT_THAT(retry, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(retry[i].duplicate()) << i;
    EXPECT_THAT(retry[i].signal(), EqualsProto(first[i].signal())) << i;
  }
  std::vector<v1::Signal> listed = AllSignals("north");
  EXPECT_THAT(NamesOf(listed),
              ElementsAre(SignalName("north", "three"),
                          SignalName("north", "two"),
                          SignalName("north", "one")));
  // Create times are those of the first write.
  for (const v1::Signal& s : listed) {
    EXPECT_EQ(TimeOf(s.create_time()), now_ - absl::Minutes(5));
  }
}

TEST_F(StoreSignalsTest, ARetryReturnsTheStoredValueEvenWhenTheRequestChanged) {
  AddAccount("north");
  std::vector<v1::RecordedSignal> first =
      Record(Batch({SignalOn("north", 100, "one")}));
  ASSERT_THAT(first, SizeIs(1));
  v1::CreateSignalRequest changed = SignalOn("north", 900, "one");
  changed.mutable_signal()->set_type(v1::SIGNAL_TYPE_PRICING_INQUIRY);
  changed.mutable_signal()->set_description("different");
  std::vector<v1::RecordedSignal> retry = Record(Batch({changed}));
  ASSERT_THAT(retry, SizeIs(1));
  EXPECT_TRUE(retry[0].duplicate());
  EXPECT_THAT(retry[0].signal(), EqualsProto(first[0].signal()));
  std::vector<v1::Signal> listed = AllSignals("north");
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].type(), v1::SIGNAL_TYPE_DEMO_REQUEST);
  EXPECT_EQ(listed[0].occur_time().seconds(), 100);
}

TEST_F(StoreSignalsTest, APartlyRetriedBatchWritesOnlyTheNewEntries) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 100, "one"), SignalOn("north", 200, "two")}));
  std::vector<v1::RecordedSignal> results =
      Record(Batch({SignalOn("north", 200, "two"), SignalOn("north", 300, "new"),
                    SignalOn("north", 100, "one"), SignalOn("north", 50)}));
  ASSERT_THAT(results, SizeIs(4));
  EXPECT_TRUE(results[0].duplicate());
  EXPECT_FALSE(results[1].duplicate());
  EXPECT_TRUE(results[2].duplicate());
  EXPECT_FALSE(results[3].duplicate());
  EXPECT_EQ(results[0].signal().name(), SignalName("north", "two"));
  EXPECT_EQ(results[1].signal().name(), SignalName("north", "new"));
  EXPECT_EQ(results[2].signal().name(), SignalName("north", "one"));
  EXPECT_THAT(AllSignals("north"), SizeIs(4));
}

TEST_F(StoreSignalsTest, DuplicateIdsInsideOneBatchCountOnce) {
  AddAccount("north");
  v1::CreateSignalRequest again = SignalOn("north", 777, "x");
  again.mutable_signal()->set_description("second copy");
  std::vector<v1::RecordedSignal> results =
      Record(Batch({SignalOn("north", 100, "x"), SignalOn("north", 200, "y"),
                    again, SignalOn("north", 100, "y")}));
  ASSERT_THAT(results, SizeIs(4));
  EXPECT_FALSE(results[0].duplicate());
  EXPECT_FALSE(results[1].duplicate());
  EXPECT_TRUE(results[2].duplicate());
  EXPECT_TRUE(results[3].duplicate());
  EXPECT_THAT(results[2].signal(), EqualsProto(results[0].signal()));
  EXPECT_THAT(results[3].signal(), EqualsProto(results[1].signal()));
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "y"), SignalName("north", "x")));
}

TEST_F(StoreSignalsTest, TheSameIdOnTwoAccountsIsTwoSignals) {
  AddAccount("north");
  AddAccount("south");
  std::vector<v1::RecordedSignal> results = Record(
      Batch({SignalOn("north", 100, "demo"), SignalOn("south", 100, "demo")}));
  ASSERT_THAT(results, SizeIs(2));
  EXPECT_FALSE(results[0].duplicate());
  EXPECT_FALSE(results[1].duplicate());
  EXPECT_THAT(NamesOf(AllSignals("north")),
              ElementsAre(SignalName("north", "demo")));
  EXPECT_THAT(NamesOf(AllSignals("south")),
              ElementsAre(SignalName("south", "demo")));
}

TEST_F(StoreSignalsTest, AFailedBatchRecordsNoIdsSoItsRetryWritesEverything) {
  AddAccount("north");
  v1::RecordSignalsRequest batch =
      Batch({SignalOn("north", 100, "one"), SignalOn("north", 200, "two"),
             SignalOn("later", 300, "three")});
  EXPECT_THAT(store_->signals().RecordSignals(batch),
              StatusIs(absl::StatusCode::kNotFound));
  AddAccount("later");
  std::vector<v1::RecordedSignal> results = Record(batch);
  ASSERT_THAT(results, SizeIs(3));
  for (const auto& r : results) EXPECT_FALSE(r.duplicate()) << r.signal().name();
  EXPECT_THAT(AllSignals("north"), SizeIs(2));
  EXPECT_THAT(AllSignals("later"), SizeIs(1));
}

// ----------------------------------------------------------- Validation

struct BadEntry {
  std::string label;
  std::function<void(v1::CreateSignalRequest*)> spoil;
  std::string field;  // under "requests[1]"
};

void PrintTo(const BadEntry& e, std::ostream* os) { *os << e.label; }

class SignalValidationTest : public StoreSignalsTest,
                             public ::testing::WithParamInterface<BadEntry> {};

TEST_P(SignalValidationTest, OneBadEntryFailsTheBatchNamingItAndWritesNothing) {
  AddAccount("north");
  AddStakeholder("north", "dana");
  v1::CreateSignalRequest bad = SignalOn("north", 200, "bad");
  GetParam().spoil(&bad);
  absl::StatusOr<std::vector<v1::RecordedSignal>> result =
      store_->signals().RecordSignals(Batch(
          {SignalOn("north", 100, "good-0"), bad, SignalOn("north", 300)}));
  const std::string field = absl::StrCat("requests[1].", GetParam().field);
  EXPECT_THAT(result, HasViolationOn(field));
  const std::vector<std::string> fields = ViolatedFields(StatusOf(result));
  EXPECT_THAT(fields, ElementsAre(field)) << "only the bad entry is named";
  EXPECT_THAT(AllSignals("north"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Store, SignalValidationTest,
    ::testing::Values(
        BadEntry{"UnknownType",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_type(
                       static_cast<v1::SignalType>(99));
                 },
                 "signal.type"},
        BadEntry{"MissingType",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_type(v1::SIGNAL_TYPE_UNSPECIFIED);
                 },
                 "signal.type"},
        BadEntry{"UnknownTopic",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_topic(
                       static_cast<v1::SignalTopic>(42));
                 },
                 "signal.topic"},
        BadEntry{"UnknownSource",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_source(
                       static_cast<v1::SourceChannel>(-3));
                 },
                 "signal.source"},
        BadEntry{"MissingOccurTime",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->clear_occur_time();
                 },
                 "signal.occur_time"},
        BadEntry{"OccurTimeBefore1970",
                 [](v1::CreateSignalRequest* r) {
                   *r->mutable_signal()->mutable_occur_time() = At(-1);
                 },
                 "signal.occur_time"},
        BadEntry{"OccurTimeAfter2262",
                 [](v1::CreateSignalRequest* r) {
                   *r->mutable_signal()->mutable_occur_time() =
                       At(9223372036, 0);
                 },
                 "signal.occur_time"},
        BadEntry{"OccurTimeNegativeNanos",
                 [](v1::CreateSignalRequest* r) {
                   *r->mutable_signal()->mutable_occur_time() = At(100, -1);
                 },
                 "signal.occur_time"},
        BadEntry{"OccurTimeNanosTooLarge",
                 [](v1::CreateSignalRequest* r) {
                   *r->mutable_signal()->mutable_occur_time() =
                       At(100, 1000000000);
                 },
                 "signal.occur_time"},
        BadEntry{"MissingParent",
                 [](v1::CreateSignalRequest* r) { r->clear_parent(); },
                 "parent"},
        BadEntry{"MalformedParent",
                 [](v1::CreateSignalRequest* r) {
                   r->set_parent("accounts/North_Lab");
                 },
                 "parent"},
        BadEntry{"ParentNotAnAccount",
                 [](v1::CreateSignalRequest* r) {
                   r->set_parent("accounts/north/sites/main");
                 },
                 "parent"},
        BadEntry{"SignalIdWithUpperCase",
                 [](v1::CreateSignalRequest* r) { r->set_signal_id("Demo-1"); },
                 "signal_id"},
        BadEntry{"SignalIdWithSlash",
                 [](v1::CreateSignalRequest* r) {
                   r->set_signal_id("demo/1");
                 },
                 "signal_id"},
        BadEntry{"SignalIdTooLong",
                 [](v1::CreateSignalRequest* r) {
                   r->set_signal_id(std::string(64, 'a'));
                 },
                 "signal_id"},
        BadEntry{"StakeholderNotAName",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_stakeholder("dana@north.org");
                 },
                 "signal.stakeholder"},
        BadEntry{"StakeholderOfTheWrongCollection",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_stakeholder(
                       "accounts/north/sites/dana");
                 },
                 "signal.stakeholder"},
        BadEntry{"StakeholderWithBadId",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_stakeholder(
                       "accounts/north/stakeholders/Dana");
                 },
                 "signal.stakeholder"},
        BadEntry{"CampaignTooLong",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_campaign(std::string(501, 'c'));
                 },
                 "signal.campaign"},
        BadEntry{"DescriptionTooLong",
                 [](v1::CreateSignalRequest* r) {
                   r->mutable_signal()->set_description(std::string(501, 'd'));
                 },
                 "signal.description"}),
    [](const ::testing::TestParamInfo<BadEntry>& info) {
      return info.param.label;
    });

TEST_F(StoreSignalsTest, EveryBadFieldOfEveryEntryIsNamed) {
  AddAccount("north");
  v1::CreateSignalRequest first = SignalOn("north", 100, "Bad Id");
  first.mutable_signal()->set_type(v1::SIGNAL_TYPE_UNSPECIFIED);
  v1::CreateSignalRequest third = SignalOn("north", 100);
  third.set_parent("north");
  third.mutable_signal()->clear_occur_time();
  absl::StatusOr<std::vector<v1::RecordedSignal>> result =
      store_->signals().RecordSignals(
          Batch({first, SignalOn("north", 1), third}));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(StatusOf(result)),
              UnorderedElementsAre("requests[0].signal_id",
                                   "requests[0].signal.type",
                                   "requests[2].parent",
                                   "requests[2].signal.occur_time"));
  EXPECT_THAT(AllSignals("north"), IsEmpty());
}

TEST_F(StoreSignalsTest, LimitsAtTheEdgeAreAccepted) {
  AddAccount("north");
  v1::CreateSignalRequest r = SignalOn("north", 100, std::string(63, 'a'));
  r.mutable_signal()->set_campaign(std::string(500, 'c'));
  r.mutable_signal()->set_description(std::string(500, 'd'));
  ASSERT_OK(
      store_->signals().RecordSignals(Batch({r, SignalOn("north", 100, "a")})));
  EXPECT_THAT(AllSignals("north"), SizeIs(2));
}

TEST_F(StoreSignalsTest, ValidationComesBeforeAnyLookup) {
  // Entry 0 names a missing account, entry 1 is malformed: the answer is
  // INVALID_ARGUMENT about entry 1, not NOT_FOUND about entry 0.
  AddAccount("north");
  v1::CreateSignalRequest bad = SignalOn("north", 100);
  bad.mutable_signal()->set_type(v1::SIGNAL_TYPE_UNSPECIFIED);
  EXPECT_THAT(store_->signals().RecordSignals(
                  Batch({SignalOn("missing", 100, "x"), bad})),
              HasViolationOn("requests[1].signal.type"));
}

TEST_F(StoreSignalsTest, AnEmptyBatchIsRefused) {
  EXPECT_THAT(store_->signals().RecordSignals(v1::RecordSignalsRequest()),
              HasViolationOn("requests"));
}

TEST_F(StoreSignalsTest, ABatchOfOneThousandIsAcceptedAndOneMoreIsRefused) {
  AddAccount("north");
  std::vector<v1::CreateSignalRequest> requests;
  for (int i = 0; i < 1001; ++i) {
    requests.push_back(SignalOn("north", 1000 + i, absl::StrCat("s", i)));
  }
  absl::StatusOr<std::vector<v1::RecordedSignal>> too_many =
      store_->signals().RecordSignals(Batch(requests));
  EXPECT_THAT(too_many, HasViolationOn("requests"));
  EXPECT_THAT(StatusOf(too_many).message(), HasSubstr("1000"));
  EXPECT_THAT(AllSignals("north"), IsEmpty());

  requests.pop_back();
  ASSERT_OK_AND_ASSIGN(std::vector<v1::RecordedSignal> results,
                       store_->signals().RecordSignals(Batch(requests)));
  EXPECT_THAT(results, SizeIs(1000));
  std::vector<v1::Signal> listed = AllSignals("north", 128);
  ASSERT_THAT(listed, SizeIs(1000));
  EXPECT_EQ(listed.front().name(), SignalName("north", "s999"));
  EXPECT_EQ(listed.back().name(), SignalName("north", "s0"));
}

// ------------------------------------------- Graph checks, all or nothing

TEST_F(StoreSignalsTest, AMissingAccountAtEntryThreeWritesNoneOfTheBatch) {
  AddAccount("north");
  v1::RecordSignalsRequest batch =
      Batch({SignalOn("north", 100, "zero"), SignalOn("north", 200),
             SignalOn("north", 300, "two"), SignalOn("nowhere", 400, "three"),
             SignalOn("north", 500, "four")});
  absl::StatusOr<std::vector<v1::RecordedSignal>> result =
      store_->signals().RecordSignals(batch);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound,
                               HasSubstr("requests[3].parent")));
  EXPECT_THAT(StatusOf(result).message(), HasSubstr("accounts/nowhere"));
  EXPECT_THAT(AllSignals("north"), IsEmpty());
  // The IDs of the failed batch were not taken either.
  std::vector<v1::RecordedSignal> zero =
      Record(Batch({SignalOn("north", 100, "zero")}));
  ASSERT_THAT(zero, SizeIs(1));
  EXPECT_FALSE(zero[0].duplicate());
}

TEST_F(StoreSignalsTest, AMissingStakeholderFailsThePreconditionAndWritesNothing) {
  AddAccount("north");
  absl::StatusOr<std::vector<v1::RecordedSignal>> result =
      store_->signals().RecordSignals(Batch(
          {SignalOn("north", 100, "a"),
           SignalOn("north", 200, "b", StakeholderName("north", "ghost"))}));
  EXPECT_THAT(result, HasPreconditionFailure("STAKEHOLDER_NOT_FOUND"));
  EXPECT_THAT(StatusOf(result).message(),
              HasSubstr("requests[1].signal.stakeholder"));
  EXPECT_THAT(AllSignals("north"), IsEmpty());
}

TEST_F(StoreSignalsTest, AStakeholderFromAnotherTreeIsRefused) {
  AddAccount("north");
  AddAccount("south");
  AddAccount("south-lab", "south");
  AddStakeholder("south-lab", "sam");
  absl::StatusOr<std::vector<v1::RecordedSignal>> result =
      store_->signals().RecordSignals(Batch(
          {SignalOn("north", 100, "a"),
           SignalOn("north", 200, "b", StakeholderName("south-lab", "sam"))}));
  EXPECT_THAT(result, HasPreconditionFailure("CROSS_ACCOUNT_TREE"));
  EXPECT_THAT(StatusOf(result).message(),
              HasSubstr("requests[1].signal.stakeholder"));
  EXPECT_THAT(AllSignals("north"), IsEmpty());
}

TEST_F(StoreSignalsTest, AStakeholderAnywhereInTheSameTreeIsAccepted) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("clinic", "system");
  AddAccount("annex", "hospital");
  AddStakeholder("system", "cfo");
  AddStakeholder("hospital", "director");
  AddStakeholder("annex", "tech");
  std::vector<v1::RecordedSignal> results = Record(Batch({
      // A child's stakeholder on the parent, and the other way round.
      SignalOn("system", 100, "a", StakeholderName("hospital", "director")),
      SignalOn("hospital", 100, "b", StakeholderName("system", "cfo")),
      // A grandchild's stakeholder on the root and on a sibling branch.
      SignalOn("system", 200, "c", StakeholderName("annex", "tech")),
      SignalOn("clinic", 200, "d", StakeholderName("annex", "tech")),
      SignalOn("annex", 300, "e", StakeholderName("annex", "tech")),
  }));
  ASSERT_THAT(results, SizeIs(5));
  EXPECT_EQ(results[0].signal().stakeholder(),
            StakeholderName("hospital", "director"));
  EXPECT_THAT(AllSignals("system"), SizeIs(2));
  EXPECT_THAT(AllSignals("clinic"), SizeIs(1));
}

// ---------------------------------------------------- Account-tree snapshot

TEST_F(StoreSignalsTest, LoadAccountTreeHasTheSignalsOfTheWholeSubtreeOnly) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("annex", "hospital");
  AddAccount("other");
  AddAccount("system-2");  // name shares a prefix with "system"
  AddStakeholder("hospital", "director");
  Record(Batch({SignalOn("system", 100, "on-system"),
                SignalOn("hospital", 200, "on-hospital",
                         StakeholderName("hospital", "director")),
                SignalOn("annex", 300, "on-annex"),
                SignalOn("other", 400, "on-other"),
                SignalOn("system-2", 500, "on-system-2")}));

  ASSERT_OK_AND_ASSIGN(graph::AccountTree tree,
                       store_->store().LoadAccountTree("accounts/system"));
  EXPECT_EQ(tree.map.account().name(), "accounts/system");
  EXPECT_THAT(NamesOf(tree.signals),
              UnorderedElementsAre(SignalName("system", "on-system"),
                                   SignalName("hospital", "on-hospital"),
                                   SignalName("annex", "on-annex")));
  for (const v1::Signal& s : tree.signals) {
    if (s.name() == SignalName("hospital", "on-hospital")) {
      EXPECT_EQ(s.stakeholder(), StakeholderName("hospital", "director"));
      EXPECT_EQ(s.topic(), v1::SIGNAL_TOPIC_GENERAL);
    }
  }

  ASSERT_OK_AND_ASSIGN(graph::AccountTree sub,
                       store_->store().LoadAccountTree("accounts/hospital"));
  EXPECT_THAT(NamesOf(sub.signals),
              UnorderedElementsAre(SignalName("hospital", "on-hospital"),
                                   SignalName("annex", "on-annex")));

  ASSERT_OK_AND_ASSIGN(graph::AccountTree other,
                       store_->store().LoadAccountTree("accounts/other"));
  EXPECT_THAT(NamesOf(other.signals),
              ElementsAre(SignalName("other", "on-other")));
}

TEST_F(StoreSignalsTest, LoadAccountTreeOfAQuietAccountHasNoSignals) {
  AddAccount("quiet");
  AddAccount("busy");
  Record(Batch({SignalOn("busy", 100)}));
  ASSERT_OK_AND_ASSIGN(graph::AccountTree tree,
                       store_->store().LoadAccountTree("accounts/quiet"));
  EXPECT_THAT(tree.signals, IsEmpty());
  EXPECT_THAT(store_->store().LoadAccountTree("accounts/missing"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->store().LoadAccountTree("nope"), HasViolationOn("name"));
}

TEST_F(StoreSignalsTest, LoadAccountTreeFollowsAnAccountMovedIntoTheTree) {
  AddAccount("system");
  AddAccount("lab");
  Record(Batch({SignalOn("lab", 100, "lab-signal")}));
  ASSERT_OK_AND_ASSIGN(graph::AccountTree before,
                       store_->store().LoadAccountTree("accounts/system"));
  EXPECT_THAT(before.signals, IsEmpty());

  v1::Account patch;
  patch.set_name("accounts/lab");
  patch.set_parent("accounts/system");
  ASSERT_OK(store_->accounts().UpdateAccount(patch, Mask({"parent"})).status());
  ASSERT_OK_AND_ASSIGN(graph::AccountTree after,
                       store_->store().LoadAccountTree("accounts/system"));
  EXPECT_THAT(NamesOf(after.signals),
              ElementsAre(SignalName("lab", "lab-signal")));
}

// ------------------------------------------------------------ Durability

TEST_F(StoreSignalsTest, SignalsSurviveReopenAndRetriesStillCountOnce) {
  AddAccount("north");
  std::vector<v1::RecordedSignal> first = Record(
      Batch({SignalOn("north", 100, "one"), SignalOn("north", 200)}));
  ASSERT_THAT(first, SizeIs(2));
  std::vector<v1::Signal> before = AllSignals("north");

  Reopen();
  std::vector<v1::Signal> after = AllSignals("north");
  ASSERT_THAT(after, SizeIs(2));
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_THAT(after[i], EqualsProto(before[i]));
  }
  std::vector<v1::RecordedSignal> retry =
      Record(Batch({SignalOn("north", 100, "one")}));
  ASSERT_THAT(retry, SizeIs(1));
  EXPECT_TRUE(retry[0].duplicate());
  // A generated ID after reopening does not reuse one from before.
  std::vector<v1::RecordedSignal> more = Record(Batch({SignalOn("north", 300)}));
  ASSERT_THAT(more, SizeIs(1));
  EXPECT_FALSE(more[0].duplicate());
  EXPECT_NE(more[0].signal().name(), first[1].signal().name());
  EXPECT_THAT(AllSignals("north"), SizeIs(3));
}

class StoreSignalsGrowthTest : public StoreSignalsTest {
 protected:
  void SetUp() override { OpenStore(256 << 10); }
};

TEST_F(StoreSignalsGrowthTest, ABatchThatFillsTheMapIsWrittenOnceWhole) {
  AddAccount("north");
  const size_t initial = store_->store().map_size();
  std::vector<v1::CreateSignalRequest> requests;
  for (int i = 0; i < 1000; ++i) {
    v1::CreateSignalRequest r =
        SignalOn("north", 1000 + i, i % 2 ? absl::StrCat("c", i) : "");
    r.mutable_signal()->set_description(std::string(480, 'd'));
    r.mutable_signal()->set_campaign(std::string(480, 'c'));
    requests.push_back(std::move(r));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<v1::RecordedSignal> results,
                       store_->signals().RecordSignals(Batch(requests)));
  EXPECT_GT(store_->store().map_size(), initial);
  ASSERT_THAT(results, SizeIs(1000));
  std::set<std::string> names;
  for (const auto& r : results) {
    EXPECT_FALSE(r.duplicate()) << r.signal().name();
    names.insert(r.signal().name());
  }
  EXPECT_THAT(names, SizeIs(1000));
  std::vector<v1::Signal> listed = AllSignals("north", 333);
  EXPECT_THAT(listed, SizeIs(1000));
  Reopen(256 << 10);
  EXPECT_THAT(AllSignals("north"), SizeIs(1000));
}

}  // namespace
}  // namespace quorum::testing

namespace quorum::testing {
namespace {

// ------------------------------------------------------- account deletion

TEST_F(StoreSignalsTest, AccountWithSignalsNeedsForceAndTakesThemAlong) {
  AddAccount("north");
  Record(Batch({SignalOn("north", 1000, "demo-1")}));
  absl::Status refused =
      store_->accounts().DeleteAccount(AccountName("north"), "", false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("1 signals"), std::string::npos)
      << refused.message();

  ASSERT_TRUE(
      store_->accounts().DeleteAccount(AccountName("north"), "", true).ok());
  // The same ID on a new account of the same name is a new signal.
  AddAccount("north");
  EXPECT_TRUE(AllSignals("north").empty());
  std::vector<v1::RecordedSignal> again =
      Record(Batch({SignalOn("north", 2000, "demo-1")}));
  EXPECT_FALSE(again[0].duplicate());
  EXPECT_EQ(again[0].signal().occur_time().seconds(), 2000);
}

TEST_F(StoreSignalsTest, AccountWithNotesNeedsForceAndANewAccountStartsClean) {
  AddAccount("north");
  v1::Note note;
  note.set_learned("Pilot in Q1");
  note.set_author("rep");
  ASSERT_TRUE(
      store_->notes().CreateNote(AccountName("north"), note, "call-1").ok());
  absl::Status refused =
      store_->accounts().DeleteAccount(AccountName("north"), "", false);
  EXPECT_NE(refused.message().find("1 notes"), std::string::npos)
      << refused.message();
  ASSERT_TRUE(
      store_->accounts().DeleteAccount(AccountName("north"), "", true).ok());
  AddAccount("north");
  auto notes = store_->notes().ListNotes(AccountName("north"), 10, "");
  ASSERT_TRUE(notes.ok());
  EXPECT_TRUE(notes->items.empty());
  // The note ID is free again.
  auto created =
      store_->notes().CreateNote(AccountName("north"), note, "call-1");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->learned(), "Pilot in Q1");
}

}  // namespace
}  // namespace quorum::testing
