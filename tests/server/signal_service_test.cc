// SignalService over a real gRPC channel to an in-process server with a real
// LMDB store in a temporary folder.
#include "server/signal_service.h"

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

using ::quorum::testing::PreconditionTypes;
using ::quorum::testing::ViolatedFields;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::Test;
namespace v1 = ::quorum::v1;

std::string Account(const std::string& id) { return "accounts/" + id; }
std::string Person(const std::string& account, const std::string& id) {
  return "accounts/" + account + "/stakeholders/" + id;
}
std::string SignalName(const std::string& account, const std::string& id) {
  return "accounts/" + account + "/signals/" + id;
}

v1::CreateSignalRequest SignalOn(const std::string& account, int64_t seconds,
                                 const std::string& id = "",
                                 const std::string& stakeholder = "") {
  v1::CreateSignalRequest r;
  r.set_parent(Account(account));
  r.set_signal_id(id);
  r.mutable_signal()->set_type(v1::SIGNAL_TYPE_PRICING_INQUIRY);
  r.mutable_signal()->mutable_occur_time()->set_seconds(seconds);
  r.mutable_signal()->set_stakeholder(stakeholder);
  return r;
}

v1::RecordSignalsRequest Batch(std::vector<v1::CreateSignalRequest> requests) {
  v1::RecordSignalsRequest batch;
  for (auto& r : requests) *batch.add_requests() = std::move(r);
  return batch;
}

std::vector<std::string> NamesOf(
    const google::protobuf::RepeatedPtrField<v1::Signal>& signals) {
  std::vector<std::string> out;
  for (const auto& s : signals) out.push_back(s.name());
  return out;
}

class SignalServiceTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    graph_ = v1::AccountGraphService::NewStub(channel_);
    signals_ = v1::SignalService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    return context;
  }

  void CreateAccount(const std::string& id, const std::string& parent = "") {
    v1::CreateAccountRequest request;
    request.set_account_id(id);
    request.mutable_account()->set_display_name("Account " + id);
    request.mutable_account()->set_country_code("US");
    request.mutable_account()->set_parent(parent);
    v1::Account response;
    grpc::Status status =
        graph_->CreateAccount(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
  }

  void CreateStakeholder(const std::string& account, const std::string& id) {
    v1::CreateStakeholderRequest request;
    request.set_parent(Account(account));
    request.set_stakeholder_id(id);
    request.mutable_stakeholder()->set_display_name("Person " + id);
    request.mutable_stakeholder()->set_email(id + "@" + account + ".org");
    v1::Stakeholder response;
    grpc::Status status =
        graph_->CreateStakeholder(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
  }

  grpc::Status Record(const v1::RecordSignalsRequest& request,
                      v1::RecordSignalsResponse* response) {
    return signals_->RecordSignals(Context().get(), request, response);
  }

  grpc::Status List(const std::string& parent, int page_size,
                    const std::string& token, v1::ListSignalsResponse* out) {
    v1::ListSignalsRequest request;
    request.set_parent(parent);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return signals_->ListSignals(Context().get(), request, out);
  }

  // Every signal of accounts/{account}, following page tokens.
  std::vector<v1::Signal> ListAll(const std::string& account,
                                  int page_size = 1000) {
    std::vector<v1::Signal> out;
    std::string token;
    for (int guard = 0; guard < 10000; ++guard) {
      v1::ListSignalsResponse response;
      grpc::Status status = List(Account(account), page_size, token, &response);
      if (!status.ok()) {
        ADD_FAILURE() << "ListSignals: " << status.error_message();
        return out;
      }
      for (const auto& s : response.signals()) out.push_back(s);
      token = response.next_page_token();
      if (token.empty()) return out;
    }
    ADD_FAILURE() << "ListSignals does not end";
    return out;
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
};

// ------------------------------------------------------------- Round trip

TEST_P(SignalServiceTest, RecordAndListRoundTrip) {
  CreateAccount("north");
  CreateStakeholder("north", "dana");
  v1::CreateSignalRequest full =
      SignalOn("north", 1700000100, "webinar-1", Person("north", "dana"));
  full.mutable_signal()->set_type(v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
  full.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  full.mutable_signal()->set_source(v1::SOURCE_CHANNEL_WEBINAR);
  full.mutable_signal()->set_campaign("spring-webinars");
  full.mutable_signal()->set_description("Asked about batch workflows");

  v1::RecordSignalsResponse recorded;
  ASSERT_TRUE(Record(Batch({SignalOn("north", 1700000000, "old"), full,
                            SignalOn("north", 1700000200)}),
                     &recorded)
                  .ok());
  ASSERT_THAT(recorded.results(), SizeIs(3));
  for (const auto& r : recorded.results()) {
    EXPECT_FALSE(r.duplicate());
    EXPECT_TRUE(r.signal().has_create_time());
  }
  const v1::Signal& s = recorded.results(1).signal();
  EXPECT_EQ(s.name(), SignalName("north", "webinar-1"));
  EXPECT_EQ(s.type(), v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
  EXPECT_EQ(s.topic(), v1::SIGNAL_TOPIC_WORKFLOW);
  EXPECT_EQ(s.source(), v1::SOURCE_CHANNEL_WEBINAR);
  EXPECT_EQ(s.campaign(), "spring-webinars");
  EXPECT_EQ(s.description(), "Asked about batch workflows");
  EXPECT_EQ(s.stakeholder(), Person("north", "dana"));
  EXPECT_EQ(recorded.results(0).signal().topic(), v1::SIGNAL_TOPIC_GENERAL);
  const std::string generated = recorded.results(2).signal().name();
  EXPECT_THAT(generated, ::testing::StartsWith("accounts/north/signals/"));

  v1::ListSignalsResponse listed;
  ASSERT_TRUE(List(Account("north"), 0, "", &listed).ok());
  EXPECT_THAT(NamesOf(listed.signals()),
              ElementsAre(generated, SignalName("north", "webinar-1"),
                          SignalName("north", "old")));
  EXPECT_TRUE(listed.next_page_token().empty());
  ASSERT_THAT(listed.signals(), SizeIs(3));
  EXPECT_EQ(listed.signals(1).SerializeAsString(), s.SerializeAsString());
}

TEST_P(SignalServiceTest, RetriedBatchCountsOnce) {
  CreateAccount("north");
  v1::RecordSignalsRequest batch =
      Batch({SignalOn("north", 100, "a"), SignalOn("north", 200, "b"),
             SignalOn("north", 300, "c")});
  v1::RecordSignalsResponse first;
  ASSERT_TRUE(Record(batch, &first).ok());
  v1::RecordSignalsResponse second;
  ASSERT_TRUE(Record(batch, &second).ok());
  ASSERT_THAT(second.results(), SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(first.results(i).duplicate()) << i;
    EXPECT_TRUE(second.results(i).duplicate()) << i;
    EXPECT_EQ(second.results(i).signal().SerializeAsString(),
              first.results(i).signal().SerializeAsString())
        << i;
  }
  EXPECT_THAT(ListAll("north"), SizeIs(3));

  // Duplicates inside one call count once, too.
  v1::RecordSignalsResponse inner;
  ASSERT_TRUE(Record(Batch({SignalOn("north", 400, "d"),
                            SignalOn("north", 400, "d")}),
                     &inner)
                  .ok());
  ASSERT_THAT(inner.results(), SizeIs(2));
  EXPECT_FALSE(inner.results(0).duplicate());
  EXPECT_TRUE(inner.results(1).duplicate());
  EXPECT_THAT(ListAll("north"), SizeIs(4));
}

// ---------------------------------------------------------------- Errors

TEST_P(SignalServiceTest, InvalidEntriesAreNamedOverTheWire) {
  CreateAccount("north");
  v1::CreateSignalRequest no_type = SignalOn("north", 100, "x");
  no_type.mutable_signal()->set_type(static_cast<v1::SignalType>(99));
  v1::CreateSignalRequest no_time = SignalOn("north", 100);
  no_time.mutable_signal()->clear_occur_time();
  v1::CreateSignalRequest bad_id = SignalOn("north", 100, "Not_An_Id");
  v1::CreateSignalRequest bad_person =
      SignalOn("north", 100, "", "people/dana");
  v1::RecordSignalsResponse response;
  grpc::Status status = Record(
      Batch({SignalOn("north", 1, "fine"), no_type, no_time, bad_id,
             bad_person}),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"requests[1].signal.type",
                                   "requests[2].signal.occur_time",
                                   "requests[3].signal_id",
                                   "requests[4].signal.stakeholder"}));
  EXPECT_THAT(ListAll("north"), IsEmpty());

  v1::CreateSignalRequest early = SignalOn("north", -86400);
  v1::CreateSignalRequest bad_parent = SignalOn("north", 100);
  bad_parent.set_parent("north");
  status = Record(Batch({early, bad_parent}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"requests[0].signal.occur_time",
                                   "requests[1].parent"}));
}

TEST_P(SignalServiceTest, BatchSizeLimits) {
  CreateAccount("north");
  v1::RecordSignalsResponse response;
  grpc::Status empty = Record(v1::RecordSignalsRequest(), &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(empty), std::set<std::string>{"requests"});

  v1::RecordSignalsRequest too_many;
  for (int i = 0; i < 1001; ++i) {
    *too_many.add_requests() = SignalOn("north", 1000 + i);
  }
  grpc::Status refused = Record(too_many, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(refused), std::set<std::string>{"requests"});
  EXPECT_THAT(ListAll("north"), IsEmpty());
}

TEST_P(SignalServiceTest, MissingAccountIsNotFoundAndTheBatchIsNotWritten) {
  CreateAccount("north");
  v1::RecordSignalsResponse response;
  grpc::Status status =
      Record(Batch({SignalOn("north", 100, "a"), SignalOn("north", 200, "b"),
                    SignalOn("north", 300), SignalOn("ghost", 400, "d")}),
             &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("requests[3].parent"));
  EXPECT_THAT(response.results(), IsEmpty());
  EXPECT_THAT(ListAll("north"), IsEmpty());
}

TEST_P(SignalServiceTest, StakeholderChecksAreFailedPreconditions) {
  CreateAccount("north");
  CreateAccount("north-lab", Account("north"));
  CreateAccount("south");
  CreateStakeholder("north-lab", "lee");
  CreateStakeholder("south", "sam");
  v1::RecordSignalsResponse response;

  grpc::Status cross = Record(
      Batch({SignalOn("north", 100, "a"),
             SignalOn("north", 200, "b", Person("south", "sam"))}),
      &response);
  EXPECT_EQ(cross.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(PreconditionTypes(cross), Contains("CROSS_ACCOUNT_TREE"));
  EXPECT_THAT(cross.error_message(),
              HasSubstr("requests[1].signal.stakeholder"));

  grpc::Status missing = Record(
      Batch({SignalOn("north", 200, "b", Person("north", "nobody"))}),
      &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(PreconditionTypes(missing), Contains("STAKEHOLDER_NOT_FOUND"));
  EXPECT_THAT(ListAll("north"), IsEmpty());

  // A stakeholder of a child account belongs to the same tree.
  ASSERT_TRUE(
      Record(Batch({SignalOn("north", 300, "c", Person("north-lab", "lee"))}),
             &response)
          .ok());
  EXPECT_THAT(ListAll("north"), SizeIs(1));
}

// --------------------------------------------------------------- Listing

TEST_P(SignalServiceTest, PageTokensWalkTheListing) {
  CreateAccount("north");
  v1::RecordSignalsRequest batch;
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    *batch.add_requests() = SignalOn("north", 500 - i, "s" + std::to_string(i));
    expected.push_back(SignalName("north", "s" + std::to_string(i)));
  }
  v1::RecordSignalsResponse recorded;
  ASSERT_TRUE(Record(batch, &recorded).ok());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListSignalsResponse page;
    grpc::Status status = List(Account("north"), 2, token, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_LE(page.signals_size(), 2);
    for (const auto& s : page.signals()) seen.push_back(s.name());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);
}

TEST_P(SignalServiceTest, DefaultPageSizeIsFifty) {
  CreateAccount("north");
  v1::RecordSignalsRequest batch;
  for (int i = 0; i < 60; ++i) *batch.add_requests() = SignalOn("north", i);
  v1::RecordSignalsResponse recorded;
  ASSERT_TRUE(Record(batch, &recorded).ok());
  v1::ListSignalsResponse page;
  ASSERT_TRUE(List(Account("north"), 0, "", &page).ok());
  EXPECT_THAT(page.signals(), SizeIs(50));
  EXPECT_FALSE(page.next_page_token().empty());
  v1::ListSignalsResponse rest;
  ASSERT_TRUE(List(Account("north"), 0, page.next_page_token(), &rest).ok());
  EXPECT_THAT(rest.signals(), SizeIs(10));
  EXPECT_TRUE(rest.next_page_token().empty());
}

TEST_P(SignalServiceTest, PageTokensAreBoundToTheAccount) {
  CreateAccount("north");
  CreateAccount("south");
  v1::RecordSignalsResponse recorded;
  ASSERT_TRUE(Record(Batch({SignalOn("north", 1), SignalOn("north", 2),
                            SignalOn("south", 1), SignalOn("south", 2)}),
                     &recorded)
                  .ok());
  v1::ListSignalsResponse page;
  ASSERT_TRUE(List(Account("north"), 1, "", &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  v1::ListSignalsResponse other;
  grpc::Status status =
      List(Account("south"), 1, page.next_page_token(), &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});

  status = List(Account("north"), 1, "not-a-token", &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});

  // The token still works where it came from.
  ASSERT_TRUE(List(Account("north"), 1, page.next_page_token(), &other).ok());
  ASSERT_THAT(other.signals(), SizeIs(1));
  EXPECT_NE(other.signals(0).name(), page.signals(0).name());
}

TEST_P(SignalServiceTest, ListRequestErrors) {
  CreateAccount("north");
  v1::ListSignalsResponse response;
  grpc::Status negative = List(Account("north"), -1, "", &response);
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(negative), std::set<std::string>{"page_size"});

  grpc::Status missing = List(Account("ghost"), 10, "", &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::Status malformed = List("accounts/Ghost!", 10, "", &response);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(malformed), std::set<std::string>{"parent"});

  grpc::Status empty = List("", 10, "", &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(empty), std::set<std::string>{"parent"});
}

// ---------------------------------------------------------------- Volume

TEST_P(SignalServiceTest, ABatchOfOneThousandLandsCompletely) {
  CreateAccount("north");
  CreateStakeholder("north", "dana");
  v1::RecordSignalsRequest batch;
  for (int i = 0; i < 1000; ++i) {
    v1::CreateSignalRequest r = SignalOn(
        "north", 1700000000 + i, i % 3 == 0 ? "" : "sig-" + std::to_string(i),
        i % 2 ? Person("north", "dana") : "");
    r.mutable_signal()->set_description("Signal number " + std::to_string(i));
    *batch.add_requests() = std::move(r);
  }
  v1::RecordSignalsResponse recorded;
  grpc::Status status = Record(batch, &recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(recorded.results(), SizeIs(1000));
  std::set<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(recorded.results(i).duplicate()) << i;
    EXPECT_EQ(recorded.results(i).signal().description(),
              "Signal number " + std::to_string(i));
    names.insert(recorded.results(i).signal().name());
  }
  EXPECT_THAT(names, SizeIs(1000));

  v1::ListSignalsResponse page;
  ASSERT_TRUE(List(Account("north"), 1000, "", &page).ok());
  ASSERT_THAT(page.signals(), SizeIs(1000));
  EXPECT_TRUE(page.next_page_token().empty());
  EXPECT_EQ(page.signals(0).description(), "Signal number 999");
  EXPECT_EQ(page.signals(999).description(), "Signal number 0");
  EXPECT_THAT(ListAll("north", 300), SizeIs(1000));

  // The whole batch again is a no-op.
  v1::RecordSignalsRequest named;
  for (const auto& r : batch.requests()) {
    if (!r.signal_id().empty()) *named.add_requests() = r;
  }
  v1::RecordSignalsResponse retry;
  ASSERT_TRUE(Record(named, &retry).ok());
  for (const auto& r : retry.results()) EXPECT_TRUE(r.duplicate());
  EXPECT_THAT(ListAll("north"), SizeIs(1000));
}

INSTANTIATE_TEST_SUITE_P(Engines, SignalServiceTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
