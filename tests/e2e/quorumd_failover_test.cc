// The failover test: three quorumd nodes over one PostgreSQL primary with a
// synchronous streaming replica, all on loopback in a temporary folder and
// started by the test. A count-bounded write load from two threads goes
// round robin over the live nodes and retries UNAVAILABLE on the next one
// with the same request ID (signal ID), as the clients do; every write
// answered OK is recorded. One node is killed with SIGKILL (the load goes on
// through the other two), then the primary is stopped (or killed, in the
// second case) and the replica promoted. Every acknowledged write must be
// there afterwards, and the change feed, watched on one node and resumed on
// another from the last sequence received, must have no gap and no
// duplicate.
//
// The nodes are pointed at the new primary by their URL alone: it names both
// hosts with target_session_attrs=read-write, so libpq skips the standby
// while it is one and finds it on the next connection after the promotion.
// No node is restarted or reconfigured.
//
// Skipped, with the reason, where PostgreSQL 15 is not installed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::PostgresCluster;
using ::quorum::testing::Quorumd;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 3;
constexpr int kWriters = 2;
// Acknowledged writes to wait for in each phase, and the most one writer
// makes in all (the load is bounded by count, not by time).
constexpr int kWritesPerPhase = 40;
constexpr int kMaxWritesPerWriter = 1500;
// How long one write may keep being retried, and how long a phase may take.
constexpr auto kRetryFor = std::chrono::seconds(45);
constexpr auto kPhaseFor = std::chrono::seconds(45);

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
  return context;
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The nodes' channels and which of them are alive; the load round-robins
// over the live ones.
struct Nodes {
  std::array<std::unique_ptr<Quorumd>, kNodes> process;
  std::array<std::shared_ptr<grpc::Channel>, kNodes> channel;
  std::array<std::atomic<bool>, kNodes> alive{};

  // The first live node from `i` on.
  int NextLive(int i) const {
    for (int k = 0; k < kNodes; ++k) {
      const int n = (i + k) % kNodes;
      if (alive[n]) return n;
    }
    return i % kNodes;
  }
};

// What the load did.
struct Accounting {
  std::mutex mu;
  std::set<std::string> created;  // Account IDs whose create answered OK.
  std::map<std::string, std::string> signals;  // Signal ID -> account ID.
  std::map<std::string, int> errors;           // Non-OK answers, by code.
  int retries = 0;
  std::atomic<int> phase{0};
  std::array<std::atomic<int>, 4> acknowledged_in_phase{};
  Clock::time_point last_ack = Clock::now();
  double longest_gap_s = 0;  // Between two acknowledgements.
  std::string failure;       // A write that could not be done.
};

// Sends `call` to live nodes from `start` on until it is not UNAVAILABLE (or
// DEADLINE_EXCEEDED: the outcome is unknown, the request ID makes the retry
// safe), for at most kRetryFor.
template <typename Call>
grpc::Status WithRetries(Nodes& nodes, int start, Accounting& accounting,
                         Call call) {
  const auto give_up = Clock::now() + kRetryFor;
  grpc::Status status;
  for (int attempt = 0;; ++attempt) {
    const int node = nodes.NextLive(start + attempt);
    status = call(nodes.channel[node]);
    if (status.ok()) return status;
    {
      std::lock_guard lock(accounting.mu);
      ++accounting.errors[std::to_string(status.error_code()) + " " +
                          status.error_message().substr(0, 60)];
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return status;
    }
    if (Clock::now() > give_up) return status;
    {
      std::lock_guard lock(accounting.mu);
      ++accounting.retries;
    }
    // After a round of every node, a short pause.
    if (attempt % kNodes == kNodes - 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

grpc::Status CreateAccount(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& id,
                           const std::string& request_id) {
  v1::CreateAccountRequest request;
  request.set_account_id(id);
  request.set_request_id(request_id);
  request.mutable_account()->set_display_name("Failover Lab " + id);
  request.mutable_account()->set_country_code("US");
  v1::Account created;
  return v1::AccountGraphService::NewStub(channel)->CreateAccount(
      Context().get(), request, &created);
}

grpc::Status RecordDemoRequest(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& account,
                               const std::string& signal_id) {
  v1::RecordSignalsRequest request;
  auto* r = request.add_requests();
  r->set_parent("accounts/" + account);
  r->set_signal_id(signal_id);
  r->mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
  r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
  r->mutable_signal()->mutable_occur_time()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() -
      60);
  v1::RecordSignalsResponse response;
  return v1::SignalService::NewStub(channel)->RecordSignals(Context().get(),
                                                            request, &response);
}

void Acknowledge(Accounting& accounting) {
  std::lock_guard lock(accounting.mu);
  const auto now = Clock::now();
  accounting.longest_gap_s = std::max(
      accounting.longest_gap_s,
      std::chrono::duration<double>(now - accounting.last_ack).count());
  accounting.last_ack = now;
  ++accounting.acknowledged_in_phase[accounting.phase];
}

// Each writer creates accounts and records a demo request on each (both
// change readiness, so the change feed gets events).
void Write(Nodes& nodes, Accounting& accounting, std::atomic<bool>& stop,
           int writer) {
  for (int n = 0; n < kMaxWritesPerWriter && !stop; ++n) {
    const std::string id =
        "fo-" + std::to_string(writer) + "-" + std::to_string(n);
    const int start = writer + n;
    grpc::Status status = WithRetries(
        nodes, start, accounting, [&](const std::shared_ptr<grpc::Channel>& c) {
          return CreateAccount(c, id, "create-" + id);
        });
    if (!status.ok()) {
      std::lock_guard lock(accounting.mu);
      accounting.failure = "create " + id + ": " + status.error_message();
      return;
    }
    {
      std::lock_guard lock(accounting.mu);
      accounting.created.insert(id);
    }
    Acknowledge(accounting);
    status = WithRetries(nodes, start + 1, accounting,
                         [&](const std::shared_ptr<grpc::Channel>& c) {
                           return RecordDemoRequest(c, id, "demo-" + id);
                         });
    if (!status.ok()) {
      std::lock_guard lock(accounting.mu);
      accounting.failure = "signal on " + id + ": " + status.error_message();
      return;
    }
    {
      std::lock_guard lock(accounting.mu);
      accounting.signals["demo-" + id] = id;
    }
    Acknowledge(accounting);
  }
}

// A WatchReadiness stream that records every sequence it receives and, when
// the stream ends by itself, resumes after the last one on the next live
// node.
class Watcher {
 public:
  Watcher(Nodes& nodes, int node) : nodes_(nodes), node_(node) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Watcher() { Stop(); }

  // Cancels the stream and waits for the thread.
  void Stop() {
    stop_ = true;
    {
      std::lock_guard lock(mu_);
      if (context_ != nullptr) context_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }

  // Blocks until the first stream has its headers (it is registered).
  bool WaitUntilWatching() {
    for (int i = 0; i < 300 && !watching_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return watching_;
  }

  std::vector<int64_t> sequences() {
    std::lock_guard lock(mu_);
    return sequences_;
  }
  std::vector<std::string> ends() {
    std::lock_guard lock(mu_);
    return ends_;
  }
  int node() const { return node_; }

 private:
  void Run() {
    while (!stop_) {
      grpc::ClientContext context;
      v1::WatchReadinessRequest request;
      {
        std::lock_guard lock(mu_);
        if (!sequences_.empty()) request.set_after_sequence(sequences_.back());
        context_ = &context;
      }
      auto reader = v1::WorkflowService::NewStub(nodes_.channel[node_])
                        ->WatchReadiness(&context, request);
      reader->WaitForInitialMetadata();
      watching_ = true;
      v1::ReadinessEvent event;
      while (reader->Read(&event)) {
        std::lock_guard lock(mu_);
        sequences_.push_back(event.sequence());
      }
      grpc::Status status = reader->Finish();
      {
        std::lock_guard lock(mu_);
        context_ = nullptr;
        if (stop_) break;
        ends_.push_back("node " + std::to_string(node_) + ": " +
                        std::to_string(status.error_code()) + " " +
                        status.error_message());
        node_ = nodes_.NextLive(node_ + 1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Nodes& nodes_;
  std::atomic<int> node_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> watching_{false};
  std::mutex mu_;
  grpc::ClientContext* context_ = nullptr;  // The open stream's (guarded).
  std::vector<int64_t> sequences_;          // Guarded.
  std::vector<std::string> ends_;           // How streams ended (guarded).
  std::thread thread_;
};

// Waits until `done()` or kPhaseFor passed; whether it got done.
template <typename Fn>
bool WaitFor(Fn done) {
  const auto give_up = Clock::now() + kPhaseFor;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// How the primary goes away.
enum class PrimaryEnd {
  kStopped,  // pg_ctl stop -m fast: it sends its last WAL to the standby.
  kKilled,   // SIGKILL, as a crashed machine: only synchronous replication
             // put the acknowledged commits on the standby.
};

void RunFailover(PrimaryEnd end) {
  // Declared first, removed last: every process below is gone by then.
  testing::TempDir dir;
  // The clusters' folders are the postgres user's when the test is root.
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  PostgresCluster primary;
  PostgresCluster replica;
  PostgresCluster::Options durable;
  durable.fsync = true;  // What survives a failover is what is tested.
  ASSERT_TRUE(primary.Start(dir.path() + "/primary", durable).ok());
  ASSERT_TRUE(primary.CreateDatabase("quorum").ok());
  absl::Status s = replica.StartReplicaOf(primary, dir.path() + "/replica");
  ASSERT_TRUE(s.ok()) << s;
  // Every commit acknowledged is on the replica too.
  s = primary.MakeSynchronous();
  ASSERT_TRUE(s.ok()) << s;

  const std::string url =
      "postgresql://postgres@127.0.0.1:" + std::to_string(primary.port()) +
      ",127.0.0.1:" + std::to_string(replica.port()) +
      "/quorum?target_session_attrs=read-write";
  Nodes nodes;
  for (int i = 0; i < kNodes; ++i) {
    const std::string name = dir.path() + "/node-" + std::to_string(i);
    nodes.process[i] = std::make_unique<Quorumd>(
        name, std::vector<std::string>{"--store=" + url});
  }
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_GT(nodes.process[i]->WaitForPort(), 0)
        << "node " << i << ": " << nodes.process[i]->Log();
    nodes.channel[i] = nodes.process[i]->Channel();
    nodes.alive[i] = true;
  }

  // The watch is on node 1; node 0 is the one killed.
  Watcher watcher(nodes, 1);
  ASSERT_TRUE(watcher.WaitUntilWatching());

  Accounting accounting;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  // Stops the load and waits for it (also when an assertion returns early).
  struct StopLoad {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    void operator()() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
    ~StopLoad() { (*this)(); }
  } stop_load{stop, writers};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] { Write(nodes, accounting, stop, w); });
  }
  auto acknowledged = [&](int phase) {
    return accounting.acknowledged_in_phase[phase].load();
  };
  auto failure = [&] {
    std::lock_guard lock(accounting.mu);
    return accounting.failure;
  };

  // Phase 0: all three nodes.
  ASSERT_TRUE(WaitFor([&] { return acknowledged(0) >= kWritesPerPhase; }))
      << failure();
  // Phase 1: node 0 killed; the load goes on through nodes 1 and 2.
  nodes.process[0]->Kill(SIGKILL);
  nodes.alive[0] = false;
  accounting.phase = 1;
  ASSERT_TRUE(WaitFor([&] { return acknowledged(1) >= kWritesPerPhase; }))
      << "no writes acknowledged after node 0 was killed: " << failure();
  // Phase 2: the primary stopped or killed, then the replica promoted
  // (phase 3).
  const auto primary_stopped = Clock::now();
  accounting.phase = 2;
  s = end == PrimaryEnd::kStopped ? primary.Stop() : primary.Kill();
  ASSERT_TRUE(s.ok()) << s;
  s = replica.Promote();
  ASSERT_TRUE(s.ok()) << s;
  const double promoted_after_s = SecondsSince(primary_stopped);
  accounting.phase = 3;
  ASSERT_TRUE(WaitFor([&] { return acknowledged(3) >= 1; }))
      << "no write acknowledged after the promotion: " << failure()
      << "\nnode 1: " << nodes.process[1]->Log();
  const double first_ack_after_s = SecondsSince(primary_stopped);
  ASSERT_TRUE(WaitFor([&] { return acknowledged(3) >= kWritesPerPhase; }))
      << failure();
  stop_load();
  ASSERT_EQ(failure(), "");

  // The watch: stopped where it is, a last write, then resumed on another
  // live node after the last sequence it received, up to that write.
  watcher.Stop();
  std::vector<int64_t> sequences = watcher.sequences();
  const std::vector<int64_t> first_part = sequences;
  const int resume_on = nodes.NextLive(watcher.node() + 1);
  ASSERT_NE(resume_on, watcher.node());
  ASSERT_TRUE(
      CreateAccount(nodes.channel[resume_on], "fo-last", "create-last").ok());
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::WatchReadinessRequest request;
    ASSERT_FALSE(sequences.empty());
    request.set_after_sequence(sequences.back());
    auto reader = v1::WorkflowService::NewStub(nodes.channel[resume_on])
                      ->WatchReadiness(&context, request);
    v1::ReadinessEvent event;
    bool reached_last = false;
    while (!reached_last && reader->Read(&event)) {
      sequences.push_back(event.sequence());
      reached_last = event.account() == "accounts/fo-last";
    }
    context.TryCancel();
    reader->Finish();
    ASSERT_TRUE(reached_last) << "the resumed watch did not reach the head";
  }
  int gaps = 0, duplicates = 0;
  for (size_t i = 1; i < sequences.size(); ++i) {
    if (sequences[i] <= sequences[i - 1]) {
      ++duplicates;
      ADD_FAILURE() << "sequence " << sequences[i] << " after "
                    << sequences[i - 1];
    } else if (sequences[i] != sequences[i - 1] + 1) {
      ++gaps;
      ADD_FAILURE() << "gap: " << sequences[i - 1] << " then " << sequences[i];
    }
  }

  // Every acknowledged write is there, read through a surviving node.
  auto graph = v1::AccountGraphService::NewStub(nodes.channel[2]);
  std::set<std::string> accounts;
  std::string token;
  for (int guard = 0; guard < 1000; ++guard) {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListAccountsResponse page;
    grpc::Status status = graph->ListAccounts(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& a : page.accounts()) accounts.insert(a.name());
    token = page.next_page_token();
    if (token.empty()) break;
  }
  for (const std::string& id : accounting.created) {
    EXPECT_EQ(accounts.count("accounts/" + id), 1u) << id;
  }
  auto signal_stub = v1::SignalService::NewStub(nodes.channel[1]);
  std::set<std::string> signals;
  for (const auto& [signal_id, account] : accounting.signals) {
    v1::ListSignalsRequest request;
    request.set_parent("accounts/" + account);
    request.set_page_size(100);
    v1::ListSignalsResponse page;
    grpc::Status status =
        signal_stub->ListSignals(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& sig : page.signals()) {
      signals.insert(sig.name().substr(sig.name().rfind('/') + 1));
    }
    EXPECT_EQ(signals.count(signal_id), 1u) << signal_id;
  }

  std::cerr << "failover test (primary "
            << (end == PrimaryEnd::kStopped ? "stopped" : "killed")
            << "): " << accounting.created.size() << " creates, "
            << accounting.signals.size() << " demo requests acknowledged ("
            << acknowledged(0) << " with 3 nodes, " << acknowledged(1)
            << " with 2, " << acknowledged(2) << " while the primary stopped, "
            << acknowledged(3) << " after the promotion); "
            << accounting.retries << " retries; promoted " << promoted_after_s
            << " s after the primary stopped, first write acknowledged after "
            << first_ack_after_s << " s; longest pause between "
            << "acknowledgements " << accounting.longest_gap_s << " s\n";
  for (const auto& [error, count] : accounting.errors) {
    std::cerr << "  " << count << " x " << error << "\n";
  }
  std::cerr << "watch: " << first_part.size() << " events on node(s) from 1, "
            << sequences.size() - first_part.size()
            << " after resuming on node " << resume_on << "; sequences "
            << sequences.front() << ".." << sequences.back() << ", " << gaps
            << " gaps, " << duplicates << " duplicates\n";
  for (const std::string& end : watcher.ends()) {
    std::cerr << "  a stream ended by itself: " << end << "\n";
  }
  // The watch saw the load's events (two per created account, at least).
  EXPECT_GE(sequences.size(), accounting.created.size());
}

TEST(QuorumdFailover,
     AcknowledgedWritesAndTheWatchSurviveANodeKillAndAStoppedPrimary) {
  std::string why;
  if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
  RunFailover(PrimaryEnd::kStopped);
}

TEST(QuorumdFailover,
     AcknowledgedWritesAndTheWatchSurviveANodeKillAndAKilledPrimary) {
  std::string why;
  if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
  RunFailover(PrimaryEnd::kKilled);
}

}  // namespace
}  // namespace quorum
