// server/pagination.h: page sizes come from the model (graph/model/page_size.h),
// page tokens are bound to the collection they were issued for.
#include "server/pagination.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "graph/model/page_size.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

using ::quorum::graph::NextPageToken;
using ::quorum::graph::PageRequest;
using ::quorum::graph::ParsePage;
using ::testing::HasSubstr;
using ::testing::SizeIs;
namespace v1 = ::quorum::v1;

TEST(ParsePageTest, ZeroGivesTheDefaultSize) {
  absl::StatusOr<PageRequest> page = ParsePage(0, "", "accounts");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size, graph::kDefaultPageSize);
  EXPECT_EQ(page->size, 50);
  EXPECT_EQ(page->start_after, "");
}

TEST(ParsePageTest, ASizeAboveTheMaximumIsClamped) {
  for (int size : {graph::kMaxPageSize + 1, 5000, 1 << 30}) {
    absl::StatusOr<PageRequest> page = ParsePage(size, "", "accounts");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->size, 1000) << size;
  }
}

TEST(ParsePageTest, SizesUpToTheMaximumAreKept) {
  for (int size : {1, 50, 999, 1000}) {
    absl::StatusOr<PageRequest> page = ParsePage(size, "", "accounts");
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->size, size);
  }
}

TEST(ParsePageTest, ANegativeSizeIsInvalidAndNamesPageSize) {
  absl::StatusOr<PageRequest> page = ParsePage(-1, "", "accounts");
  ASSERT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("page_size"));
}

TEST(ParsePageTest, ATokenContinuesOnlyItsOwnCollection) {
  const std::string token = NextPageToken("accounts/a", "accounts/a/sites/x");
  absl::StatusOr<PageRequest> page = ParsePage(0, token, "accounts/a");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->start_after, "accounts/a/sites/x");
  EXPECT_EQ(page->size, graph::kDefaultPageSize);
  EXPECT_EQ(ParsePage(0, token, "accounts/b").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePage(0, "not-a-token", "accounts/a").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Over a real channel: a listing asked for more than the maximum answers
// the maximum and a token for the rest.
class PageSizeOverGrpcTest
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
                          std::chrono::seconds(60));
    return context;
  }

  // Records `count` signals on a new account "north".
  void AccountWithSignals(int count) {
    v1::CreateAccountRequest account;
    account.set_account_id("north");
    account.mutable_account()->set_display_name("North Lab");
    account.mutable_account()->set_country_code("US");
    v1::Account created;
    grpc::Status status =
        graph_->CreateAccount(Context().get(), account, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (int done = 0; done < count;) {
      v1::RecordSignalsRequest batch;
      for (; done < count && batch.requests_size() < 1000; ++done) {
        v1::CreateSignalRequest* r = batch.add_requests();
        r->set_parent("accounts/north");
        r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PRICING_INQUIRY);
        r->mutable_signal()->mutable_occur_time()->set_seconds(1700000000 +
                                                               done);
      }
      v1::RecordSignalsResponse recorded;
      status = signals_->RecordSignals(Context().get(), batch, &recorded);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  grpc::Status List(int page_size, const std::string& token,
                    v1::ListSignalsResponse* out) {
    v1::ListSignalsRequest request;
    request.set_parent("accounts/north");
    request.set_page_size(page_size);
    request.set_page_token(token);
    return signals_->ListSignals(Context().get(), request, out);
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
};

TEST_P(PageSizeOverGrpcTest, APageSizeAboveTheMaximumAnswersTheMaximum) {
  ASSERT_NO_FATAL_FAILURE(AccountWithSignals(1001));
  v1::ListSignalsResponse page;
  grpc::Status status = List(5000, "", &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(page.signals(), SizeIs(1000));
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListSignalsResponse rest;
  status = List(5000, page.next_page_token(), &rest);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(rest.signals(), SizeIs(1));
  EXPECT_TRUE(rest.next_page_token().empty());
}

TEST_P(PageSizeOverGrpcTest, ANegativePageSizeIsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(AccountWithSignals(1));
  v1::ListSignalsResponse page;
  grpc::Status status = List(-1, "", &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(quorum::testing::ViolatedFields(status),
              ::testing::Contains("page_size"));
}

INSTANTIATE_TEST_SUITE_P(Engines, PageSizeOverGrpcTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
