// quorum with several addresses: round robin over two quorumd processes
// (each with its own LMDB folder and the same demo data), reads answered
// through the other when one is killed, writes with a request_id applied
// once, and the retry policy seen from a node that answers UNAVAILABLE:
// idempotent calls retried, other writes sent once. See docs/cli.md
// "Several addresses and retries".
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/async_generic_service.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/workflow_service.pb.h"
#include "tests/cli/cli_runner.h"

namespace quorum::testing {
namespace {

namespace v1 = quorum::v1;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A quorumd with the demo data in a folder of its own.
class Node {
 public:
  explicit Node(const std::string& name, std::vector<std::string> extra = {})
      : server_(dir_.path() + "/data", WithDemoData(std::move(extra)), {},
                dir_.path() + "/" + name) {
    port_ = server_.WaitForPort();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void KillHard() { server_.Kill(SIGKILL); }
  std::shared_ptr<grpc::Channel> Channel() { return server_.Channel(); }

 private:
  static std::vector<std::string> WithDemoData(std::vector<std::string> args) {
    args.push_back("--demo-data=" QUORUM_DEMO_DATA);
    return args;
  }

  TempDir dir_;  // Before server_: removed after it stops.
  Quorumd server_;
  int port_ = 0;
};

// A gRPC server that answers every call UNAVAILABLE (a node going away)
// before sending anything, and remembers each call's method and first
// request message.
class UnavailableNode {
 public:
  UnavailableNode() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~UnavailableNode() { server_->Shutdown(); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // How many calls of `method` ("/quorum.v1.X/Method") arrived.
  int Calls(const std::string& method) { return service_.Calls(method); }
  // The request messages of `method`, serialized, in arrival order.
  std::vector<std::string> Requests(const std::string& method) {
    return service_.Requests(method);
  }

 private:
  class Service : public grpc::CallbackGenericService {
   public:
    grpc::ServerGenericBidiReactor* CreateReactor(
        grpc::GenericCallbackServerContext* context) override {
      return new Reactor(this, context->method());
    }
    void Record(const std::string& method, const std::string& request) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_[method].push_back(request);
    }
    int Calls(const std::string& method) {
      return static_cast<int>(Requests(method).size());
    }
    std::vector<std::string> Requests(const std::string& method) {
      std::lock_guard<std::mutex> lock(mu_);
      return requests_[method];
    }

   private:
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      Reactor(Service* service, std::string method)
          : service_(service), method_(std::move(method)) {
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        std::string bytes;
        std::vector<grpc::Slice> slices;
        if (ok && request_.Dump(&slices).ok()) {
          for (const auto& s : slices) {
            bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
          }
        }
        service_->Record(method_, bytes);
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "node going away"));
      }
      void OnDone() override { delete this; }

     private:
      Service* service_;
      std::string method_;
      grpc::ByteBuffer request_;
    };

    std::mutex mu_;
    std::map<std::string, std::vector<std::string>> requests_;
  };

  Service service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The signals of `account` on `node` whose ID starts with `prefix`.
int CountSignals(Node& node, const std::string& account,
                 const std::string& prefix) {
  auto stub = v1::SignalService::NewStub(node.Channel());
  grpc::ClientContext context;
  v1::ListSignalsRequest request;
  request.set_parent(account);
  request.set_page_size(1000);
  v1::ListSignalsResponse response;
  auto status = stub->ListSignals(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  int n = 0;
  for (const auto& signal : response.signals()) {
    n += Contains(signal.name(), "/signals/" + prefix);
  }
  return n;
}

// The stakeholders of `account` on `node` with this e-mail.
int CountStakeholders(Node& node, const std::string& account,
                      const std::string& email) {
  auto stub = v1::AccountGraphService::NewStub(node.Channel());
  grpc::ClientContext context;
  v1::ListStakeholdersRequest request;
  request.set_parent(account);
  request.set_page_size(1000);
  v1::ListStakeholdersResponse response;
  auto status = stub->ListStakeholders(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  int n = 0;
  for (const auto& person : response.stakeholders()) {
    n += person.email() == email;
  }
  return n;
}

class CliAddressesTest : public ::testing::Test {
 protected:
  CliAddressesTest() : a_("a"), b_("b") {}
  // The list of both nodes, as --server takes it.
  std::string Both() const { return a_.address() + "," + b_.address(); }

  Node a_;
  Node b_;
  TempDir tmp_;
};

TEST_F(CliAddressesTest, CallsOfOneRunGoRoundRobinOverTheAddresses) {
  ASSERT_GT(a_.port(), 0);
  ASSERT_GT(b_.port(), 0);
  // Ten signals, one StreamSignals call each: with round robin both nodes
  // get some (with one address, or pick-first, one node would get all ten).
  std::string lines;
  for (int i = 0; i < 10; ++i) {
    lines += R"({"parent": "accounts/lakeshore-phl", "signalId": "rr-)" +
             std::to_string(i) +
             R"(", "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW", )"
             R"("occurTime": "2026-11-22T10:00:00Z"}})"
             "\n";
  }
  const std::string file = tmp_.path() + "/signals.jsonl";
  WriteFile(file, lines);
  CliResult r = RunQuorum(
      {"--server", Both(), "signals", "send", file, "--per-call", "1"});
  ASSERT_EQ(r.exit_code, 0) << r;
  int on_a = CountSignals(a_, "accounts/lakeshore-phl", "rr-");
  int on_b = CountSignals(b_, "accounts/lakeshore-phl", "rr-");
  EXPECT_EQ(on_a + on_b, 10);
  EXPECT_GT(on_a, 0) << "node a got none: no round robin";
  EXPECT_GT(on_b, 0) << "node b got none: no round robin";
}

TEST_F(CliAddressesTest, ReadsAnswerThroughTheOtherWhenOneNodeIsKilled) {
  CliResult before =
      RunQuorum({"--server", b_.address(), "--as-of", "2026-12-01T00:00:00Z",
                 "review", "cascade-valley-health"});
  ASSERT_EQ(before.exit_code, 0) << before;
  a_.KillHard();
  for (int i = 0; i < 3; ++i) {
    CliResult review =
        RunQuorum({"--server", Both(), "--as-of", "2026-12-01T00:00:00Z",
                   "review", "cascade-valley-health"});
    EXPECT_EQ(review.exit_code, 0) << review;
    EXPECT_EQ(review.out, before.out);
    CliResult ready = RunQuorum({"--server", Both(), "ready"});
    EXPECT_EQ(ready.exit_code, 0) << ready;
    EXPECT_TRUE(Contains(ready.out, "northfield-health")) << ready;
  }
}

TEST_F(CliAddressesTest, AWriteWithARequestIdIsAppliedOnceWhenOneNodeIsDown) {
  a_.KillHard();
  const std::vector<std::string> submit = {"--server",
                                           Both(),
                                           "--json",
                                           "lead",
                                           "submit",
                                           "--request-id",
                                           "failover-1",
                                           "--email",
                                           "ana.ruiz@cascadevalleyhealth.org",
                                           "--first-name",
                                           "Ana",
                                           "--last-name",
                                           "Ruiz",
                                           "--title",
                                           "Lab Operations Manager",
                                           "--company",
                                           "Cascade Valley Health",
                                           "--country",
                                           "US",
                                           "--signal",
                                           "demo_request"};
  CliResult first = RunQuorum(submit);
  ASSERT_EQ(first.exit_code, 0) << first;
  CliResult again = RunQuorum(submit);  // The person retries the command.
  ASSERT_EQ(again.exit_code, 0) << again;
  v1::SubmitLeadResponse one, two;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(first.out, &one).ok());
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(again.out, &two).ok());
  EXPECT_EQ(one.stakeholder(), two.stakeholder());
  EXPECT_EQ(
      CountStakeholders(b_, one.account(), "ana.ruiz@cascadevalleyhealth.org"),
      1);
}

TEST_F(CliAddressesTest, ANodeAnsweringUnavailableIsRetriedOnTheOther) {
  UnavailableNode going_away;
  const std::string list = going_away.address() + "," + b_.address();
  for (int i = 0; i < 3; ++i) {
    CliResult review =
        RunQuorum({"--server", list, "review", "cascade-valley-health"});
    EXPECT_EQ(review.exit_code, 0) << review;
  }
  // Each attempt is a new pick: half of them, round robin, reached the node
  // going away, and were retried on the other.
  EXPECT_GT(
      going_away.Calls("/quorum.v1.QualificationService/QualifyAccount") +
          going_away.Calls("/quorum.v1.AccountGraphService/GetCommitteeMap") +
          going_away.Calls("/quorum.v1.PolicyService/GetPolicy") +
          going_away.Calls("/quorum.v1.NoteService/ListNotes") +
          going_away.Calls("/quorum.v1.WorkflowService/ListStatusChanges"),
      0);
  // A status change through it: a request_id is always sent, so the write
  // is retried and applied once on the other node.
  CliResult status =
      RunQuorum({"--server", list, "status", "cascade-valley-health", "--to",
                 "researching", "--reason", "failover"});
  EXPECT_EQ(status.exit_code, 0) << status;
  CliResult history = RunQuorum({"--server", b_.address(), "--json", "status",
                                 "history", "cascade-valley-health"});
  ASSERT_EQ(history.exit_code, 0) << history;
  v1::ListStatusChangesResponse changes;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(history.out, &changes).ok());
  int failovers = 0;
  for (const auto& change : changes.status_changes()) {
    failovers += change.reason() == "failover";
  }
  EXPECT_EQ(failovers, 1);
}

TEST_F(CliAddressesTest, IdempotentCallsAreRetriedAndOtherWritesSentOnce) {
  UnavailableNode node;
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", node.address()});
    CliResult r = RunQuorum(args);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_EQ(r.err.rfind("UNAVAILABLE: node going away", 0), 0u) << r;
  };
  // Reads and writes with a request_id: every attempt the policy allows.
  run({"ready"});
  EXPECT_EQ(node.Calls("/quorum.v1.WorkflowService/ListAccountReadiness"),
            quorum::cli::kMaxAttempts);
  run({"lead", "submit", "--request-id", "r-1", "--email", "a@b.example"});
  EXPECT_EQ(node.Calls("/quorum.v1.IntakeService/SubmitLead"),
            quorum::cli::kMaxAttempts);
  // `status` without --request-id sends a generated one, the same on every
  // attempt.
  run({"status", "x", "--to", "researching", "--reason", "r"});
  auto transitions =
      node.Requests("/quorum.v1.WorkflowService/TransitionStatus");
  ASSERT_EQ(transitions.size(), static_cast<size_t>(quorum::cli::kMaxAttempts));
  v1::TransitionStatusRequest first;
  ASSERT_TRUE(first.ParseFromString(transitions[0]));
  EXPECT_EQ(first.request_id().size(), 36u) << first.request_id();
  for (const auto& bytes : transitions) {
    v1::TransitionStatusRequest attempt;
    ASSERT_TRUE(attempt.ParseFromString(bytes));
    EXPECT_EQ(attempt.request_id(), first.request_id());
  }
  run({"handoff", "create", "x"});
  EXPECT_EQ(node.Calls("/quorum.v1.WorkflowService/CreateHandoff"),
            quorum::cli::kMaxAttempts);
  // Writes without a request_id: sent once, never retried.
  run({"notes", "add", "x", "--learned", "y"});
  EXPECT_EQ(node.Calls("/quorum.v1.NoteService/CreateNote"), 1);
  run({"handoff", "feedback", "accounts/x/handoffs/h", "--accept"});
  EXPECT_EQ(node.Calls("/quorum.v1.WorkflowService/RecordHandoffFeedback"), 1);
  run({"lead", "delete", "l"});
  EXPECT_EQ(node.Calls("/quorum.v1.IntakeService/DeleteUnplacedLead"), 1);
}

TEST_F(CliAddressesTest, ABadAddressListIsAUsageErrorNamingTheOption) {
  struct Case {
    std::string value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:1,,127.0.0.1:2", "has an empty address between commas"},
      {"127.0.0.1:1,quorum-b:50051", "\"quorum-b:50051\" in a list"},
      {"127.0.0.1:1,127.0.0.1", "\"127.0.0.1\" in a list"},
      {"127.0.0.1:1,127.0.0.1:70000", "\"127.0.0.1:70000\" in a list"},
      {"127.0.0.1:1,[::1]:2", "mixes IPv4 and IPv6"},
      {" ", "no address given"},
  };
  for (const auto& c : cases) {
    CliResult r = RunQuorum({"--server", c.value, "ready"});
    EXPECT_EQ(r.exit_code, 2) << c.value << "\n" << r;
    EXPECT_EQ(r.err.rfind("quorum: --server: ", 0), 0u) << r.err;
    EXPECT_TRUE(Contains(r.err, c.message)) << r.err;
    EXPECT_EQ(r.out, "");
  }
  CliResult env = RunQuorum({"ready"}, "", {{"QUORUM_SERVER", "1.2.3.4:5,x"}});
  EXPECT_EQ(env.exit_code, 2) << env;
  EXPECT_EQ(env.err.rfind("quorum: $QUORUM_SERVER: ", 0), 0u) << env.err;
}

TEST(CliAddressesTlsTest, TlsAndTokensWorkOverAList) {
  TempDir tmp;
  const std::string certs = tmp.path() + "/certs";
  ASSERT_EQ(std::system(("bash " QUORUM_MAKE_TEST_CERTS " " + certs +
                         " >/dev/null 2>&1")
                            .c_str()),
            0);
  const std::string tokens = tmp.path() + "/tokens.txt";
  ASSERT_EQ(
      std::system((std::string(QUORUMD_PATH) + " token create --token-file " +
                   tokens + " --name reader --scopes read > " + tmp.path() +
                   "/token 2>/dev/null")
                      .c_str()),
      0);
  std::string token = ReadFile(tmp.path() + "/token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  const std::vector<std::string> tls = {"--token-file=" + tokens,
                                        "--tls-cert=" + certs + "/server.pem",
                                        "--tls-key=" + certs + "/server.key"};
  Node a("a", tls), b("b", tls);
  const std::string list = a.address() + "," + b.address();
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--server", list,       "--timeout",
                                     "5",        "--tls-ca", certs + "/ca.pem"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"review", "cascade-valley-health"});
    return RunQuorum(args);
  };
  // The certificates name 127.0.0.1 (the list's first address) and
  // localhost.
  CliResult ok = run({"--token", token});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  CliResult named = run({"--token", token, "--tls-server-name", "localhost"});
  EXPECT_EQ(named.exit_code, 0) << named;
  CliResult wrong_name =
      run({"--token", token, "--tls-server-name", "other.example"});
  EXPECT_EQ(wrong_name.exit_code, 1) << wrong_name;
  EXPECT_TRUE(Contains(wrong_name.err, "other.example")) << wrong_name;
  CliResult no_token = run({});
  EXPECT_EQ(no_token.exit_code, 1) << no_token;
  EXPECT_EQ(no_token.err.rfind("UNAUTHENTICATED", 0), 0u) << no_token;
}

TEST(ServerAddressesTest, OneAddressIsUsedAsGivenAndAListBecomesAnIpTarget) {
  using quorum::cli::ParseServerAddresses;
  EXPECT_EQ(ParseServerAddresses("--server", "quorum.example.com:50051").target,
            "quorum.example.com:50051");
  EXPECT_EQ(ParseServerAddresses("--server", "dns:///q.example:1").target,
            "dns:///q.example:1");
  auto v4 = ParseServerAddresses("--server", "10.0.0.1:50051, 10.0.0.2:50052");
  EXPECT_EQ(v4.target, "ipv4:10.0.0.1:50051,10.0.0.2:50052");
  EXPECT_EQ(v4.authority, "10.0.0.1:50051");
  auto v6 = ParseServerAddresses("--server", "[::1]:1,[fe80::2]:2");
  EXPECT_EQ(v6.target, "ipv6:[::1]:1,[fe80::2]:2");
  EXPECT_EQ(v6.authority, "[::1]:1");
  EXPECT_THROW(ParseServerAddresses("--server", "[::1:1,[::2]:2"),
               quorum::cli::UsageError);
}

}  // namespace
}  // namespace quorum::testing
