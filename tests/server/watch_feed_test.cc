// WatchReadiness over a real channel: the feed's range in the response
// headers, replay from the first retained event, OUT_OF_RANGE with an
// ErrorInfo, and a time-driven event streamed by the server's own
// scheduler under an injected clock.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;

class WatchFeedTest : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store = quorum::testing::StoreFor(GetParam(), dir_.path());
    options.clock = [this] { return absl::FromUnixNanos(now_.load()); };
    auto started = QuorumServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    workflow_ = v1::WorkflowService::NewStub(channel);
    graph_ = v1::AccountGraphService::NewStub(channel);
    signals_ = v1::SignalService::NewStub(channel);
  }

  static void Deadline(grpc::ClientContext& context, int seconds = 10) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(seconds));
  }

  // A fitting US hospital lab with a demo request now: SALES_DISCOVERY.
  void AddSalesReadyLab(const std::string& id) {
    v1::CreateAccountRequest create;
    create.set_account_id(id);
    create.mutable_account()->set_display_name("Lab " + id);
    create.mutable_account()->set_country_code("US");
    create.mutable_account()->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    v1::Account account;
    grpc::ClientContext c1;
    Deadline(c1);
    ASSERT_TRUE(graph_->CreateAccount(&c1, create, &account).ok());
    v1::RecordSignalsRequest batch;
    v1::CreateSignalRequest& signal = *batch.add_requests();
    signal.set_parent("accounts/" + id);
    signal.mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
    signal.mutable_signal()->mutable_occur_time()->set_seconds(
        absl::ToUnixSeconds(absl::FromUnixNanos(now_.load())));
    v1::RecordSignalsResponse recorded;
    grpc::ClientContext c2;
    Deadline(c2);
    ASSERT_TRUE(signals_->RecordSignals(&c2, batch, &recorded).ok());
  }

  static std::string Header(const grpc::ClientContext& context,
                            const std::string& key) {
    const auto& headers = context.GetServerInitialMetadata();
    auto it = headers.find(key);
    return it == headers.end()
               ? ""
               : std::string(it->second.data(), it->second.size());
  }

  quorum::testing::TempDir dir_;
  std::atomic<int64_t> now_{absl::ToUnixNanos(absl::FromCivil(
      absl::CivilSecond(2026, 11, 1, 9, 0, 0), absl::UTCTimeZone()))};
  std::unique_ptr<QuorumServer> server_;
  std::unique_ptr<v1::WorkflowService::Stub> workflow_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
};

TEST_P(WatchFeedTest, HeadersGiveTheRangeAndStartSequenceOneReplaysIt) {
  AddSalesReadyLab("a");
  AddSalesReadyLab("b");
  const int64_t head = server_->use_cases()->readiness().LastEventSequence();
  ASSERT_GE(head, 3);
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchReadinessRequest request;
  request.set_start_sequence(1);
  auto reader = workflow_->WatchReadiness(&context, request);
  reader->WaitForInitialMetadata();
  EXPECT_EQ(Header(context, "quorum-head-sequence"), absl::StrCat(head));
  EXPECT_EQ(Header(context, "quorum-first-sequence"), "1");
  v1::ReadinessEvent event;
  for (int64_t seq = 1; seq <= head; ++seq) {
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.sequence(), seq);
    EXPECT_EQ(event.cause(),
              seq == 1 ? event.cause() : v1::ReadinessEvent::CAUSE_WRITE);
  }
  context.TryCancel();
  reader->Finish();
}

TEST_P(WatchFeedTest, APositionBeyondTheHeadIsOutOfRangeWithTheRange) {
  AddSalesReadyLab("a");
  const int64_t head = server_->use_cases()->readiness().LastEventSequence();
  grpc::ClientContext context;
  Deadline(context);
  v1::WatchReadinessRequest request;
  request.set_after_sequence(head + 5);
  auto reader = workflow_->WatchReadiness(&context, request);
  v1::ReadinessEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_NE(status.error_message().find(absl::StrCat("events 1 to ", head)),
            std::string::npos)
      << status.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  bool found = false;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    found = true;
    EXPECT_EQ(info.reason(), "SEQUENCE_OUT_OF_RANGE");
    EXPECT_EQ(info.metadata().at("head_sequence"), absl::StrCat(head));
  }
  EXPECT_TRUE(found);

  // Both positions at once: INVALID_ARGUMENT naming start_sequence.
  grpc::ClientContext both_context;
  Deadline(both_context);
  request.set_after_sequence(1);
  request.set_start_sequence(1);
  auto both = workflow_->WatchReadiness(&both_context, request);
  EXPECT_FALSE(both->Read(&event));
  status = both->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(quorum::testing::ViolatedFields(status),
            std::set<std::string>{"start_sequence"});
}

TEST_P(WatchFeedTest, TheServerStreamsATimeEventWhenADemoRequestGoesStale) {
  AddSalesReadyLab("lab");
  grpc::ClientContext context;
  Deadline(context, 30);
  v1::WatchReadinessRequest request;
  request.add_routes(v1::ROUTE_SALES_DISCOVERY);
  auto reader = workflow_->WatchReadiness(&context, request);
  reader->WaitForInitialMetadata();
  // A year on, the demo request is long out of every window.
  now_ += absl::ToInt64Nanoseconds(absl::Hours(24 * 365));
  v1::ReadinessEvent event;
  bool left = false;
  while (!left && reader->Read(&event)) {
    EXPECT_EQ(event.cause(), v1::ReadinessEvent::CAUSE_TIME);
    left = event.new_route() != v1::ROUTE_SALES_DISCOVERY;
  }
  EXPECT_TRUE(left);
  EXPECT_EQ(event.account(), "accounts/lab");
  EXPECT_EQ(event.old_route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_TRUE(event.has_due_time());
  context.TryCancel();
  reader->Finish();
}

INSTANTIATE_TEST_SUITE_P(Engines, WatchFeedTest, quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
