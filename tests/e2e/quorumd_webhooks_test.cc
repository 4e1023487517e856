// Webhooks on the real quorumd: killed with SIGKILL in the middle of a
// stream of deliveries and started again on the same data, with a receiver
// that goes away and comes back, the receiver sees every event (duplicates
// allowed, none missing); and SIGTERM ends quorumd promptly while a
// delivery hangs.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/webhook_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"
#include "tests/support/webhook_receiver.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::Quorumd;
using ::quorum::testing::WebhookReceiver;

const std::vector<std::string> kFastWebhooks = {
    "--webhook-backoff-seconds=0.02", "--webhook-max-backoff-seconds=0.1",
    "--webhook-timeout-seconds=2", "--webhook-max-failures=0"};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

void CreateAccount(v1::AccountGraphService::Stub* stub, const std::string& id) {
  v1::CreateAccountRequest request;
  request.set_account_id(id);
  request.mutable_account()->set_display_name("Hooked " + id);
  request.mutable_account()->set_country_code("US");
  v1::Account created;
  grpc::Status status = stub->CreateAccount(Context().get(), request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// The feed's head, from WatchReadiness's response headers.
int64_t Head(const std::shared_ptr<grpc::Channel>& channel) {
  auto workflow = v1::WorkflowService::NewStub(channel);
  auto context = Context();
  auto reader = workflow->WatchReadiness(context.get(), {});
  reader->WaitForInitialMetadata();
  const auto& headers = context->GetServerInitialMetadata();
  auto it = headers.find("quorum-head-sequence");
  int64_t head = -1;
  if (it != headers.end()) {
    head = std::stoll(std::string(it->second.data(), it->second.size()));
  }
  context->TryCancel();
  reader->Finish();
  return head;
}

TEST(QuorumdWebhooks, EveryEventArrivesAcrossAKillAndAReceiverRestart) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  WebhookReceiver receiver;
  int64_t cursor = 0;
  {
    Quorumd first(data, kFastWebhooks, nullptr, dir.path() + "/first");
    auto channel = first.Channel();
    auto webhooks = v1::WebhookService::NewStub(channel);
    v1::CreateWebhookRequest create;
    create.set_webhook_id("crm");
    create.mutable_webhook()->set_url(receiver.url());
    create.mutable_webhook()->set_secret("e2e-secret");
    v1::Webhook webhook;
    ASSERT_TRUE(
        webhooks->CreateWebhook(Context().get(), create, &webhook).ok());
    cursor = webhook.cursor_sequence();
    // Five deliveries go through; the sixth is in flight when quorumd is
    // killed, with the rest still to make.
    receiver.HangAfter(5);
    auto graph = v1::AccountGraphService::NewStub(channel);
    for (int i = 0; i < 30; ++i) {
      CreateAccount(graph.get(), "a" + std::to_string(i));
    }
    ASSERT_TRUE(receiver.WaitFor(
        [](const auto& requests) { return requests.size() >= 6; }));
    EXPECT_TRUE(WIFSIGNALED(first.Kill(SIGKILL)));
  }
  receiver.Hang(false);
  Quorumd second(data, kFastWebhooks, nullptr, dir.path() + "/second");
  auto channel = second.Channel();
  auto graph = v1::AccountGraphService::NewStub(channel);
  auto webhooks = v1::WebhookService::NewStub(channel);
  CreateAccount(graph.get(), "after-restart");
  // The receiver goes away for a while: deliveries fail and are retried.
  receiver.Stop();
  CreateAccount(graph.get(), "while-down");
  v1::GetWebhookRequest get;
  get.set_name("webhooks/crm");
  v1::Webhook state;
  for (int i = 0; i < 2000 && state.consecutive_failures() == 0; ++i) {
    ASSERT_TRUE(webhooks->GetWebhook(Context().get(), get, &state).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(state.consecutive_failures(), 0);
  EXPECT_FALSE(state.last_error().empty());
  receiver.Restart();
  CreateAccount(graph.get(), "back-up");
  const int64_t head = Head(channel);
  ASSERT_GT(head, cursor + 30);
  // Every event after the cursor the webhook started at.
  std::set<int64_t> seen;
  receiver.WaitFor(
      [&](const auto& requests) {
        seen.clear();
        for (const auto& r : requests) {
          if (r.answered == 200) {
            seen.insert(std::stoll(r.Header("x-quorum-sequence")));
          }
        }
        return seen.size() >= static_cast<size_t>(head - cursor);
      },
      std::chrono::seconds(60));
  for (int64_t s = cursor + 1; s <= head; ++s) {
    EXPECT_TRUE(seen.count(s) > 0) << "event " << s << " never arrived";
  }
  ASSERT_TRUE(webhooks->GetWebhook(Context().get(), get, &state).ok());
  EXPECT_EQ(state.state(), v1::Webhook::STATE_ACTIVE);
}

TEST(QuorumdWebhooks, SigtermEndsQuorumdWhileADeliveryHangs) {
  testing::TempDir dir;
  WebhookReceiver receiver;
  receiver.Hang(true);
  Quorumd server(dir.path() + "/data", {"--webhook-timeout-seconds=600"});
  {
    auto channel = server.Channel();
    auto webhooks = v1::WebhookService::NewStub(channel);
    v1::CreateWebhookRequest create;
    create.set_webhook_id("stuck");
    create.mutable_webhook()->set_url(receiver.url());
    create.mutable_webhook()->set_secret("e2e-secret");
    v1::Webhook webhook;
    ASSERT_TRUE(
        webhooks->CreateWebhook(Context().get(), create, &webhook).ok());
    auto graph = v1::AccountGraphService::NewStub(channel);
    CreateAccount(graph.get(), "hung");
  }  // No client stays connected: shutdown waits for no idle connection.
  ASSERT_TRUE(
      receiver.WaitFor([](const auto& requests) { return !requests.empty(); }));
  server.Signal(SIGTERM);
  const auto status = server.WaitForExit();
  ASSERT_TRUE(status.has_value()) << "quorumd did not exit: " << server.Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << server.Log();
}

}  // namespace
}  // namespace quorum
