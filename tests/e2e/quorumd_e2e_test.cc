// End-to-end tests of the quorumd binary: started on a free port, checked
// over gRPC, killed with SIGKILL, restarted, and stopped with SIGTERM.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using grpc::health::v1::HealthCheckResponse;

using ::quorum::testing::Quorumd;

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

std::vector<std::string> AllAccountNames(v1::AccountGraphService::Stub* stub) {
  std::vector<std::string> names;
  std::string token;
  do {
    v1::ListAccountsRequest request;
    request.set_page_size(100);
    request.set_page_token(token);
    v1::ListAccountsResponse response;
    grpc::Status status = stub->ListAccounts(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const auto& a : response.accounts()) names.push_back(a.name());
    token = response.next_page_token();
  } while (!token.empty());
  return names;
}

TEST(QuorumdEndToEnd, AcknowledgedWritesSurviveSigkill) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  std::vector<std::string> acknowledged;
  {
    Quorumd server(data);
    auto channel = server.Channel();
    ASSERT_EQ(testing::CheckHealth(channel), HealthCheckResponse::SERVING);
    auto stub = v1::AccountGraphService::NewStub(channel);
    for (int i = 0; i < 60; ++i) {
      v1::CreateAccountRequest request;
      request.set_account_id("acct-" + std::to_string(i));
      request.mutable_account()->set_display_name("Lab " + std::to_string(i));
      request.mutable_account()->set_country_code("DE");
      request.mutable_account()->add_domains("lab" + std::to_string(i) +
                                             ".example.de");
      v1::Account created;
      if (stub->CreateAccount(Context().get(), request, &created).ok()) {
        acknowledged.push_back(created.name());
      }
    }
    v1::CreateStakeholderRequest person;
    person.set_parent("accounts/acct-0");
    person.mutable_stakeholder()->set_display_name("Anna Weber");
    person.mutable_stakeholder()->set_email("anna.weber@lab0.example.de");
    v1::Stakeholder created;
    ASSERT_TRUE(stub->CreateStakeholder(Context().get(), person, &created).ok());
    // No shutdown, no flush: the process dies at once.
    int status = server.Kill(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  ASSERT_EQ(acknowledged.size(), 60u);

  Quorumd restarted(data);
  auto channel = restarted.Channel();
  ASSERT_EQ(testing::CheckHealth(channel), HealthCheckResponse::SERVING);
  auto stub = v1::AccountGraphService::NewStub(channel);
  std::vector<std::string> found = AllAccountNames(stub.get());
  std::sort(acknowledged.begin(), acknowledged.end());
  EXPECT_EQ(found, acknowledged);
  v1::GetStakeholderRequest get;
  get.set_name("accounts/acct-0/stakeholders/anna-weber");
  v1::Stakeholder person;
  ASSERT_TRUE(stub->GetStakeholder(Context().get(), get, &person).ok());
  EXPECT_EQ(person.email(), "anna.weber@lab0.example.de");
  // The indexes survived too: the domain is still taken.
  v1::CreateAccountRequest dup;
  dup.mutable_account()->set_display_name("Copy");
  dup.mutable_account()->set_country_code("DE");
  dup.mutable_account()->add_domains("lab5.example.de");
  v1::Account out;
  EXPECT_EQ(stub->CreateAccount(Context().get(), dup, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST(QuorumdEndToEnd, SigtermStopsCleanlyAndDataStaysReadable) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    Quorumd server(data);
    auto channel = server.Channel();
    auto stub = v1::AccountGraphService::NewStub(channel);
    v1::CreateAccountRequest request;
    request.set_account_id("kept");
    request.mutable_account()->set_display_name("Kept Lab");
    request.mutable_account()->set_country_code("GB");
    v1::Account created;
    ASSERT_TRUE(stub->CreateAccount(Context().get(), request, &created).ok());
    int status = server.Kill(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_NE(server.Log().find("health NOT_SERVING"), std::string::npos);
    EXPECT_NE(server.Log().find("LMDB closed"), std::string::npos);
  }
  Quorumd again(data);
  auto stub = v1::AccountGraphService::NewStub(again.Channel());
  EXPECT_EQ(AllAccountNames(stub.get()),
            std::vector<std::string>{"accounts/kept"});
}

TEST(QuorumdEndToEnd, DemoDataLoadsOnceAndServes) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  size_t first_count = 0;
  {
    Quorumd server(data, {std::string("--demo-data=") + QUORUM_DEMO_DATA});
    auto stub = v1::AccountGraphService::NewStub(server.Channel());
    first_count = AllAccountNames(stub.get()).size();
    EXPECT_GE(first_count, 5u);
    ASSERT_EQ(WEXITSTATUS(server.Kill(SIGTERM)), 0);
  }
  // Loading again is safe: nothing is duplicated or refused.
  Quorumd again(data, {std::string("--demo-data=") + QUORUM_DEMO_DATA});
  auto stub = v1::AccountGraphService::NewStub(again.Channel());
  EXPECT_EQ(AllAccountNames(stub.get()).size(), first_count);
}

TEST(QuorumdEndToEnd, UnusableDataDirectoryFailsToStart) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  std::ofstream(file) << "x";
  Quorumd server(file);
  EXPECT_EQ(server.WaitForPort(), 0);
  EXPECT_NE(server.Log().find("cannot start"), std::string::npos)
      << server.Log();
}

}  // namespace
}  // namespace quorum
