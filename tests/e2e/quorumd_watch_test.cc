// 1,000 WatchReadiness streams on the real quorumd: every watcher gets every
// event, the server's thread count stays bounded, and a shutdown ends every
// stream with UNAVAILABLE.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::Quorumd;

constexpr int kWatchers = 1000;

// "Threads:" of /proc/<pid>/status; -1 when unreadable.
int ThreadsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

std::string CreateAccount(v1::AccountGraphService::Stub* stub,
                          const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::CreateAccountRequest request;
  request.set_account_id(id);
  request.mutable_account()->set_display_name("Watched " + id);
  request.mutable_account()->set_country_code("US");
  v1::Account created;
  grpc::Status status = stub->CreateAccount(&context, request, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created.name();
}

struct Watch {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientAsyncReader<v1::ReadinessEvent>> reader;
  v1::ReadinessEvent event;
  grpc::Status status;
};

// Waits for `count` completions on `cq`; returns how many were ok.
int Drain(grpc::CompletionQueue& cq, int count) {
  int ok_count = 0;
  for (int i = 0; i < count; ++i) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    ok_count += ok ? 1 : 0;
  }
  return ok_count;
}

TEST(QuorumdWatchers, ThousandWatchersCostBoundedThreadsAndEndUnavailable) {
  testing::TempDir dir;
  Quorumd server(dir.path() + "/data", {"--max-concurrent-streams=2000"});
  auto channel = server.Channel();
  auto graph = v1::AccountGraphService::NewStub(channel);
  auto workflow = v1::WorkflowService::NewStub(channel);
  const int idle_threads = ThreadsOf(server.pid());
  ASSERT_GT(idle_threads, 0);

  // An event before any watcher (after_sequence 0 means "from now", so the
  // replayed event must not be the feed's first).
  CreateAccount(graph.get(), "zero");
  // A first event, to learn its sequence number.
  int64_t first_sequence = 0;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    auto reader =
        workflow->WatchReadiness(&context, v1::WatchReadinessRequest());
    // The stream is registered once the server has sent its headers.
    reader->WaitForInitialMetadata();
    const std::string first = CreateAccount(graph.get(), "first");
    v1::ReadinessEvent event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.account(), first);
    first_sequence = event.sequence();
    ASSERT_GT(first_sequence, 1);
    context.TryCancel();
    reader->Finish();
  }

  // 1,000 watchers resuming just before it: each replays that event.
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Watch>> watches;
  v1::WatchReadinessRequest request;
  request.set_after_sequence(first_sequence - 1);
  for (int i = 0; i < kWatchers; ++i) {
    auto w = std::make_unique<Watch>();
    w->context.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::seconds(120));
    w->reader = workflow->PrepareAsyncWatchReadiness(&w->context, request, &cq);
    w->reader->StartCall(w.get());
    watches.push_back(std::move(w));
  }
  ASSERT_EQ(Drain(cq, kWatchers), kWatchers);
  for (auto& w : watches) w->reader->Read(&w->event, w.get());
  ASSERT_EQ(Drain(cq, kWatchers), kWatchers);
  for (auto& w : watches) ASSERT_EQ(w->event.sequence(), first_sequence);

  // A live event reaches every watcher through the feed.
  for (auto& w : watches) w->reader->Read(&w->event, w.get());
  const std::string second = CreateAccount(graph.get(), "second");
  ASSERT_EQ(Drain(cq, kWatchers), kWatchers);
  for (auto& w : watches) EXPECT_EQ(w->event.account(), second);

  // All 1,000 are open and waiting: the server's threads stay bounded (it
  // used to hold one thread per watcher, 1,012 in all).
  const int threads = ThreadsOf(server.pid());
  EXPECT_LT(threads, idle_threads + 60)
      << "idle: " << idle_threads << ", with 1,000 watchers: " << threads;
  std::cerr << "quorumd threads: " << idle_threads << " idle, " << threads
            << " with " << kWatchers << " watchers\n";

  // Shutdown ends every stream with UNAVAILABLE, so that clients reconnect.
  for (auto& w : watches) w->reader->Read(&w->event, w.get());
  kill(server.pid(), SIGTERM);
  Drain(cq, kWatchers);  // The reads end (not ok).
  for (auto& w : watches) w->reader->Finish(&w->status, w.get());
  Drain(cq, kWatchers);
  int unavailable = 0;
  for (auto& w : watches) {
    unavailable += w->status.error_code() == grpc::StatusCode::UNAVAILABLE;
  }
  EXPECT_EQ(unavailable, kWatchers) << watches[0]->status.error_message();
  EXPECT_NE(watches[0]->status.error_message().find("after_sequence"),
            std::string::npos)
      << watches[0]->status.error_message();
  std::optional<int> exit = server.WaitForExit();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(WEXITSTATUS(*exit), 0) << server.Log();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace quorum
