// End-to-end tests of `quorumd --policy FILE`: the binary started on a free
// port with a policy file (a modified copy of graph/rules/default_policy.textproto)
// and checked over gRPC; restarted with the same file, a changed file, no
// file; and started with broken files, which must stop it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "quorum/v1/policy_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using grpc::health::v1::HealthCheckResponse;
using ::quorum::testing::Quorumd;
using ::quorum::testing::ReadFile;

// The shipped default policy, next to the demo data in the source tree.
std::string DefaultPolicyPath() {
  return (std::filesystem::path(QUORUM_DEMO_DATA).parent_path().parent_path() /
          "graph" / "rules" / "default_policy.textproto")
      .string();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

// The default policy's text with another high-intent threshold.
std::string DefaultTextWithThreshold(int threshold) {
  const std::string text = ReadFile(DefaultPolicyPath());
  const std::regex line(R"(high_intent_threshold:\s*[0-9.]+)");
  EXPECT_TRUE(std::regex_search(text, line)) << DefaultPolicyPath();
  return std::regex_replace(
      text, line, "high_intent_threshold: " + std::to_string(threshold));
}

v1::Policy ParseText(const std::string& text) {
  v1::Policy policy;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &policy));
  return policy;
}

bool Same(const google::protobuf::Message& a,
          const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

v1::PolicyRevision GetPolicy(v1::PolicyService::Stub* stub, int64_t revision) {
  v1::GetPolicyRequest request;
  request.set_revision(revision);
  v1::PolicyRevision out;
  grpc::Status status = stub->GetPolicy(Context().get(), request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

std::vector<int64_t> RevisionNumbers(v1::PolicyService::Stub* stub) {
  v1::ListPolicyRevisionsRequest request;
  request.set_page_size(100);
  v1::ListPolicyRevisionsResponse response;
  grpc::Status status =
      stub->ListPolicyRevisions(Context().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<int64_t> numbers;
  for (const auto& r : response.revisions()) numbers.push_back(r.revision());
  return numbers;
}

class QuorumdPolicyTest : public ::testing::Test {
 protected:
  std::string data() const { return dir_.path() + "/data"; }
  std::string File(const std::string& name) const {
    return dir_.path() + "/" + name;
  }

  // Starts quorumd with `extra` arguments, checks it serves, and returns the
  // active revision and the revision numbers; stops it with SIGTERM.
  void StartAndRead(const std::vector<std::string>& extra,
                    v1::PolicyRevision* active, std::vector<int64_t>* numbers,
                    std::string* log = nullptr) {
    Quorumd server(data(), extra);
    auto channel = server.Channel();
    ASSERT_EQ(testing::CheckHealth(channel), HealthCheckResponse::SERVING)
        << server.Log();
    auto stub = v1::PolicyService::NewStub(channel);
    *active = GetPolicy(stub.get(), 0);
    *numbers = RevisionNumbers(stub.get());
    stub.reset();
    channel.reset();
    const int status = server.Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.Log();
    if (log != nullptr) *log = server.Log();
  }

  // Starts quorumd with `extra` arguments and expects it to exit by itself
  // with a non-zero status, before writing its port file; returns its log.
  std::string StartExpectingFailure(const std::vector<std::string>& extra) {
    Quorumd server(data(), extra);
    std::optional<int> status = server.WaitForExit();
    EXPECT_TRUE(status.has_value()) << "quorumd kept running: " << server.Log();
    if (status) {
      EXPECT_TRUE(WIFEXITED(*status)) << server.Log();
      EXPECT_NE(WEXITSTATUS(*status), 0) << server.Log();
    }
    EXPECT_FALSE(server.PortFileExists());
    return server.Log();
  }

  testing::TempDir dir_;
};

TEST_F(QuorumdPolicyTest, WithoutPolicyFileTheShippedDefaultIsRevisionOne) {
  v1::PolicyRevision active;
  std::vector<int64_t> numbers;
  std::string log;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({}, &active, &numbers, &log));
  EXPECT_EQ(active.revision(), 1);
  EXPECT_TRUE(active.active());
  // The compiled-in default is the shipped file.
  EXPECT_TRUE(Same(active.policy(), ParseText(ReadFile(DefaultPolicyPath()))))
      << active.policy().ShortDebugString();
  EXPECT_EQ(numbers, std::vector<int64_t>{1});
  EXPECT_NE(log.find("policy revision 1"), std::string::npos) << log;
}

TEST_F(QuorumdPolicyTest, PolicyFileOnAFreshDataDirIsPublishedAsRevisionOne) {
  const std::string file = File("policy.textproto");
  WriteFile(file, DefaultTextWithThreshold(77));
  v1::PolicyRevision active;
  std::vector<int64_t> numbers;
  std::string log;
  ASSERT_NO_FATAL_FAILURE(
      StartAndRead({"--policy=" + file}, &active, &numbers, &log));
  EXPECT_EQ(active.revision(), 1);
  EXPECT_TRUE(active.active());
  EXPECT_DOUBLE_EQ(active.policy().intent().high_intent_threshold(), 77);
  EXPECT_TRUE(Same(active.policy(), ParseText(ReadFile(file))));
  EXPECT_NE(active.description().find(file), std::string::npos)
      << active.description();
  // The default was not published first.
  EXPECT_EQ(numbers, std::vector<int64_t>{1});
  EXPECT_NE(log.find("policy revision 1"), std::string::npos) << log;
}

TEST_F(QuorumdPolicyTest, RestartWithTheSameFileKeepsTheRevision) {
  const std::string file = File("policy.textproto");
  WriteFile(file, DefaultTextWithThreshold(77));
  v1::PolicyRevision first, second;
  std::vector<int64_t> numbers;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({"--policy=" + file}, &first, &numbers));
  ASSERT_NO_FATAL_FAILURE(
      StartAndRead({"--policy=" + file}, &second, &numbers));
  EXPECT_EQ(second.revision(), 1);
  EXPECT_TRUE(Same(second, first));
  EXPECT_EQ(numbers, std::vector<int64_t>{1});
}

TEST_F(QuorumdPolicyTest, RestartWithAChangedFilePublishesANewRevision) {
  const std::string file = File("policy.textproto");
  WriteFile(file, DefaultTextWithThreshold(77));
  v1::PolicyRevision active;
  std::vector<int64_t> numbers;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({"--policy=" + file}, &active, &numbers));
  ASSERT_EQ(active.revision(), 1);

  WriteFile(file, DefaultTextWithThreshold(78));
  Quorumd server(data(), {"--policy=" + file});
  auto stub = v1::PolicyService::NewStub(server.Channel());
  v1::PolicyRevision now = GetPolicy(stub.get(), 0);
  EXPECT_EQ(now.revision(), 2);
  EXPECT_TRUE(now.active());
  EXPECT_DOUBLE_EQ(now.policy().intent().high_intent_threshold(), 78);
  v1::PolicyRevision old = GetPolicy(stub.get(), 1);
  EXPECT_FALSE(old.active());
  EXPECT_DOUBLE_EQ(old.policy().intent().high_intent_threshold(), 77);
  EXPECT_EQ(RevisionNumbers(stub.get()), (std::vector<int64_t>{2, 1}));
}

TEST_F(QuorumdPolicyTest, RestartWithoutTheFileKeepsThePublishedRevision) {
  const std::string file = File("policy.textproto");
  WriteFile(file, DefaultTextWithThreshold(77));
  v1::PolicyRevision active;
  std::vector<int64_t> numbers;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({"--policy=" + file}, &active, &numbers));
  ASSERT_NO_FATAL_FAILURE(StartAndRead({}, &active, &numbers));
  EXPECT_EQ(active.revision(), 1);
  EXPECT_DOUBLE_EQ(active.policy().intent().high_intent_threshold(), 77);
  EXPECT_EQ(numbers, std::vector<int64_t>{1});
}

TEST_F(QuorumdPolicyTest, JsonPolicyFileIsPublished) {
  v1::Policy policy = ParseText(DefaultTextWithThreshold(66));
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(policy, &json).ok());
  const std::string file = File("policy.json");
  WriteFile(file, json);
  v1::PolicyRevision active;
  std::vector<int64_t> numbers;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({"--policy=" + file}, &active, &numbers));
  EXPECT_EQ(active.revision(), 1);
  EXPECT_TRUE(Same(active.policy(), policy));
}

TEST_F(QuorumdPolicyTest, InvalidPolicyFileStopsQuorumdNamingTheField) {
  std::string text = DefaultTextWithThreshold(77);
  // The first routing rule routes to DISQUALIFY, which only disqualify rules
  // may do.
  const std::string research = "route: ROUTE_RESEARCH";
  ASSERT_NE(text.find(research), std::string::npos);
  text.replace(text.find(research), research.size(), "route: ROUTE_DISQUALIFY");
  const std::string file = File("broken.textproto");
  WriteFile(file, text);
  const std::string log = StartExpectingFailure({"--policy=" + file});
  EXPECT_NE(log.find("routing_rules[0].route"), std::string::npos) << log;
  EXPECT_NE(log.find(file), std::string::npos) << log;
}

TEST_F(QuorumdPolicyTest, UnparsablePolicyFileStopsQuorumdWithLineAndColumn) {
  const std::string file = File("typo.textproto");
  WriteFile(file, "description: \"typo\"\nfit_checks {\n  idd: \"geo\"\n}\n");
  const std::string log = StartExpectingFailure({"--policy=" + file});
  EXPECT_NE(log.find("line 3 column"), std::string::npos) << log;
  EXPECT_NE(log.find("idd"), std::string::npos) << log;
}

TEST_F(QuorumdPolicyTest, MissingPolicyFileStopsQuorumd) {
  const std::string file = File("nowhere.textproto");
  const std::string log = StartExpectingFailure({"--policy=" + file});
  EXPECT_NE(log.find("nowhere.textproto"), std::string::npos) << log;
}

TEST_F(QuorumdPolicyTest, InvalidPolicyFileLeavesTheActiveRevision) {
  v1::PolicyRevision before;
  std::vector<int64_t> numbers;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({}, &before, &numbers));
  ASSERT_EQ(before.revision(), 1);

  const std::string file = File("empty.textproto");
  WriteFile(file, "description: \"nothing else\"\n");
  const std::string log = StartExpectingFailure({"--policy=" + file});
  EXPECT_NE(log.find("fit_checks"), std::string::npos) << log;

  v1::PolicyRevision after;
  ASSERT_NO_FATAL_FAILURE(StartAndRead({}, &after, &numbers));
  EXPECT_TRUE(Same(after, before));
  EXPECT_EQ(numbers, std::vector<int64_t>{1});
}

}  // namespace
}  // namespace quorum
