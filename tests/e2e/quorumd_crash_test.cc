// The crash test: quorumd under mixed write load from several threads,
// killed with SIGKILL at random moments 20 times. Every acknowledged write
// must be there after the restarts, and every write that was in flight when
// the server died, retried with the same request ID (or signal ID), must
// count once.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::Quorumd;

constexpr int kRounds = 20;
constexpr int kWriters = 4;
const char kHub[] = "accounts/crash-hub";

// Each writer moves its own account between two statuses.
std::string WriterAccount(int writer) {
  return "accounts/crash-writer-" + std::to_string(writer);
}

// One write: a create without a client ID (request ID only), a signal with
// its ID, or a status change with a request ID.
struct Write {
  enum Kind { kCreate, kSignal, kTransition } kind;
  std::string key;  // Request ID, signal ID.
  int writer = 0;
  v1::LifecycleStatus to = v1::LIFECYCLE_STATUS_UNSPECIFIED;
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
  return context;
}

grpc::Status Send(const std::shared_ptr<grpc::Channel>& channel,
                  const Write& w) {
  switch (w.kind) {
    case Write::kCreate: {
      v1::CreateAccountRequest request;
      request.set_request_id(w.key);
      // No account_id: the server derives one from the name, so a retry
      // without the request ID would make a second account.
      request.mutable_account()->set_display_name("Crash Lab " + w.key);
      request.mutable_account()->set_country_code("US");
      v1::Account created;
      return v1::AccountGraphService::NewStub(channel)->CreateAccount(
          Context().get(), request, &created);
    }
    case Write::kSignal: {
      v1::RecordSignalsRequest request;
      auto* r = request.add_requests();
      r->set_parent(kHub);
      r->set_signal_id(w.key);
      r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PAGE_VIEW);
      r->mutable_signal()->mutable_occur_time()->set_seconds(1790000000);
      v1::RecordSignalsResponse response;
      return v1::SignalService::NewStub(channel)->RecordSignals(
          Context().get(), request, &response);
    }
    case Write::kTransition: {
      v1::TransitionStatusRequest request;
      request.set_name(WriterAccount(w.writer));
      request.set_status(w.to);
      request.set_reason("crash test " + w.key);
      request.set_actor("crash-test");
      request.set_request_id(w.key);
      v1::TransitionStatusResponse response;
      return v1::WorkflowService::NewStub(channel)->TransitionStatus(
          Context().get(), request, &response);
    }
  }
  return grpc::Status::CANCELLED;
}

template <typename Page, typename Fn>
void ForEachPage(Fn list) {
  std::string token;
  for (int guard = 0; guard < 10000; ++guard) {
    Page page;
    grpc::Status status = list(token, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    token = page.next_page_token();
    if (token.empty()) break;
  }
}

TEST(QuorumdCrash,
     AcknowledgedWritesSurviveTwentyRandomKillsAndRetriesCountOnce) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  const unsigned seed = std::random_device()();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  std::vector<Write> acknowledged;
  std::vector<Write> in_flight;  // Failed when the server died: retried.
  int retried = 0;
  std::mutex mu;
  std::vector<v1::LifecycleStatus> last_target(kWriters,
                                               v1::LIFECYCLE_STATUS_NEW);
  for (int round = 0; round < kRounds; ++round) {
    Quorumd server(data, {}, nullptr,
                   dir.path() + "/round-" + std::to_string(round));
    auto channel = server.Channel();
    ASSERT_TRUE(channel != nullptr);
    if (round == 0) {
      auto stub = v1::AccountGraphService::NewStub(channel);
      for (int t = -1; t < kWriters; ++t) {
        v1::CreateAccountRequest create;
        create.set_account_id(t < 0 ? "crash-hub"
                                    : "crash-writer-" + std::to_string(t));
        create.mutable_account()->set_display_name(
            t < 0 ? "Crash Hub" : "Crash Writer " + std::to_string(t));
        create.mutable_account()->set_country_code("US");
        v1::Account created;
        grpc::Status status =
            stub->CreateAccount(Context().get(), create, &created);
        ASSERT_TRUE(status.ok()) << status.error_message() << server.Log();
      }
    }
    // First the retries of what was in flight at the last kill.
    std::vector<Write> retries;
    retries.swap(in_flight);
    retried += static_cast<int>(retries.size());
    for (const Write& w : retries) {
      grpc::Status status = Send(channel, w);
      ASSERT_TRUE(status.ok()) << w.key << ": " << status.error_message();
      acknowledged.push_back(w);
    }
    // Then mixed load from several threads until a random moment.
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < kWriters; ++t) {
      writers.emplace_back([&, t] {
        for (int n = 0; !stop; ++n) {
          Write w;
          w.kind = static_cast<Write::Kind>(n % 3);
          w.key = "w" + std::to_string(t) + "-" + std::to_string(round) + "-" +
                  std::to_string(n);
          w.writer = t;
          if (w.kind == Write::kTransition) {
            std::lock_guard lock(mu);
            w.to = last_target[t] == v1::LIFECYCLE_STATUS_RESEARCHING
                       ? v1::LIFECYCLE_STATUS_NURTURE
                       : v1::LIFECYCLE_STATUS_RESEARCHING;
            last_target[t] = w.to;  // Applied now, or by its retry.
          }
          grpc::Status status = Send(channel, w);
          std::lock_guard lock(mu);
          if (status.ok()) {
            acknowledged.push_back(w);
          } else {
            in_flight.push_back(w);  // Maybe applied, maybe not.
            return;                  // The server is gone.
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(50, 700)(random)));
    server.Kill(SIGKILL);
    stop = true;
    for (auto& w : writers) w.join();
  }

  // A last start: retry what was in flight, then check everything.
  Quorumd server(data, {}, nullptr, dir.path() + "/final");
  auto channel = server.Channel();
  retried += static_cast<int>(in_flight.size());
  for (const Write& w : in_flight) {
    grpc::Status status = Send(channel, w);
    ASSERT_TRUE(status.ok()) << w.key << ": " << status.error_message();
    acknowledged.push_back(w);
  }
  std::map<std::string, int> accounts_by_name;
  auto graph = v1::AccountGraphService::NewStub(channel);
  ForEachPage<v1::ListAccountsResponse>([&](const std::string& token,
                                            v1::ListAccountsResponse* page) {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    grpc::Status status = graph->ListAccounts(Context().get(), request, page);
    for (const auto& a : page->accounts()) ++accounts_by_name[a.display_name()];
    return status;
  });
  std::map<std::string, int> signals;
  auto signal_stub = v1::SignalService::NewStub(channel);
  ForEachPage<v1::ListSignalsResponse>(
      [&](const std::string& token, v1::ListSignalsResponse* page) {
        v1::ListSignalsRequest request;
        request.set_parent(kHub);
        request.set_page_size(1000);
        request.set_page_token(token);
        grpc::Status status =
            signal_stub->ListSignals(Context().get(), request, page);
        for (const auto& s : page->signals()) {
          ++signals[s.name().substr(s.name().rfind('/') + 1)];
        }
        return status;
      });
  std::map<std::string, int> changes;
  auto workflow = v1::WorkflowService::NewStub(channel);
  for (int t = 0; t < kWriters; ++t) {
    ForEachPage<v1::ListStatusChangesResponse>(
        [&](const std::string& token, v1::ListStatusChangesResponse* page) {
          v1::ListStatusChangesRequest request;
          request.set_parent(WriterAccount(t));
          request.set_page_size(1000);
          request.set_page_token(token);
          grpc::Status status =
              workflow->ListStatusChanges(Context().get(), request, page);
          for (const auto& c : page->status_changes()) ++changes[c.reason()];
          return status;
        });
  }
  int creates = 0, signal_writes = 0, transitions = 0;
  for (const Write& w : acknowledged) {
    switch (w.kind) {
      case Write::kCreate:
        ++creates;
        EXPECT_EQ(accounts_by_name["Crash Lab " + w.key], 1) << w.key;
        break;
      case Write::kSignal:
        ++signal_writes;
        EXPECT_EQ(signals[w.key], 1) << w.key;
        break;
      case Write::kTransition:
        ++transitions;
        EXPECT_EQ(changes["crash test " + w.key], 1) << w.key;
        break;
    }
  }
  // Nothing beyond what was written: the hub, the writers' accounts, the
  // creates, once each.
  EXPECT_EQ(accounts_by_name.size(),
            static_cast<size_t>(creates) + 1 + kWriters);
  EXPECT_EQ(signals.size(), static_cast<size_t>(signal_writes));
  std::cerr << "crash test: " << kRounds << " kills, " << acknowledged.size()
            << " acknowledged writes (" << creates << " creates, "
            << signal_writes << " signals, " << transitions
            << " status changes), " << retried
            << " of them retried after a kill, seed " << seed << "\n";
  EXPECT_GT(acknowledged.size(), static_cast<size_t>(kRounds));
  EXPECT_GT(retried, 0);  // Some writes were in flight at a kill.
}

}  // namespace
}  // namespace quorum
