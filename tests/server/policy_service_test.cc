// PolicyService over a real gRPC channel to an in-process QuorumServer with
// a real LMDB store in a temporary folder; and the policy a server publishes
// when it starts (the default, or ServerOptions.policy_file).
#include "server/policy_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "graph/rules/policy.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

using ::quorum::testing::RpcStatus;
using ::quorum::testing::ViolatedFields;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace v1 = ::quorum::v1;

bool Same(const google::protobuf::Message& a,
          const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

v1::Policy PolicyWithThreshold(double threshold) {
  v1::Policy policy = graph::DefaultPolicy();
  policy.mutable_intent()->set_high_intent_threshold(threshold);
  return policy;
}

// Two problems: no nurture track, and a routing rule that disqualifies.
v1::Policy BrokenPolicy() {
  v1::Policy policy = graph::DefaultPolicy();
  policy.clear_nurture_tracks();
  policy.mutable_routing_rules(0)->set_route(v1::ROUTE_DISQUALIFY);
  return policy;
}

std::string AsText(const v1::Policy& policy) {
  std::string text;
  EXPECT_TRUE(google::protobuf::TextFormat::PrintToString(policy, &text));
  return text;
}

std::string AsJson(const v1::Policy& policy) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(policy, &json).ok());
  return json;
}

// A policy text whose routing rule nests `depth` negations (10,000 levels
// used to overflow the text parser's stack and kill the server).
std::string DeeplyNestedText(int depth) {
  std::string text = AsText(graph::DefaultPolicy());
  text +=
      "routing_rules { id: \"deep\" reason: \"r\" next_step: \"n\" "
      "route: ROUTE_SALES_DISCOVERY when { ";
  for (int i = 0; i < depth; ++i) text += "negate { ";
  text += "high_intent: true ";
  for (int i = 0; i < depth; ++i) text += "} ";
  return text + "} }\n";
}

v1::PolicySource MessageSource(const v1::Policy& policy) {
  v1::PolicySource source;
  *source.mutable_policy() = policy;
  return source;
}
v1::PolicySource TextSource(const std::string& text) {
  v1::PolicySource source;
  source.set_text(text);
  return source;
}
v1::PolicySource JsonSource(const std::string& json) {
  v1::PolicySource source;
  source.set_json(json);
  return source;
}

// The (field, description) pairs of the BadRequest in `status`.
std::vector<std::pair<std::string, std::string>> FieldViolations(
    const grpc::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  const google::rpc::Status rpc_status = RpcStatus(status);
  for (const auto& any : rpc_status.details()) {
    google::rpc::BadRequest bad;
    if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
        bad.ParseFromString(any.value())) {
      for (const auto& v : bad.field_violations()) {
        out.emplace_back(v.field(), v.description());
      }
    }
  }
  return out;
}

std::set<std::string> ProblemFields(const v1::ValidatePolicyResponse& r) {
  std::set<std::string> fields;
  for (const auto& p : r.problems()) fields.insert(p.field());
  return fields;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

// A QuorumServer on a free port of 127.0.0.1 with a PolicyService stub.
class PolicyServer {
 public:
  static absl::StatusOr<std::unique_ptr<QuorumServer>> Start(
      const std::string& data_dir, const std::string& policy_file = "") {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store = data_dir;  // A ServerOptions::store value (StoreFor).
    options.initial_map_size = 8 << 20;
    options.policy_file = policy_file;
    return QuorumServer::Start(options);
  }
};

class PolicyServiceTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path() + "/data");
    StartServer();
  }

  void StartServer(const std::string& policy_file = "") {
    stub_.reset();
    server_.reset();
    auto started = PolicyServer::Start(store_, policy_file);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    channel_ = quorum::testing::ChannelTo(*server_);
    stub_ = v1::PolicyService::NewStub(channel_);
  }

  grpc::Status Get(int64_t revision, v1::PolicyRevision* out) {
    v1::GetPolicyRequest request;
    request.set_revision(revision);
    return stub_->GetPolicy(Context().get(), request, out);
  }

  v1::PolicyRevision Active() {
    v1::PolicyRevision active;
    grpc::Status status = Get(0, &active);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return active;
  }

  grpc::Status Publish(const v1::PolicySource& source,
                       const std::string& description,
                       v1::PolicyRevision* out) {
    v1::PublishPolicyRequest request;
    *request.mutable_source() = source;
    request.set_description(description);
    return stub_->PublishPolicy(Context().get(), request, out);
  }

  v1::ValidatePolicyResponse Validate(const v1::PolicySource& source) {
    v1::ValidatePolicyRequest request;
    *request.mutable_source() = source;
    v1::ValidatePolicyResponse response;
    grpc::Status status =
        stub_->ValidatePolicy(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status List(int page_size, const std::string& token,
                    v1::ListPolicyRevisionsResponse* out) {
    v1::ListPolicyRevisionsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(token);
    return stub_->ListPolicyRevisions(Context().get(), request, out);
  }

  std::vector<int64_t> AllRevisionNumbers() {
    std::vector<int64_t> numbers;
    std::string token;
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListPolicyRevisionsResponse page;
      grpc::Status status = List(0, token, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const auto& r : page.revisions()) numbers.push_back(r.revision());
      token = page.next_page_token();
      if (!status.ok() || token.empty()) break;
    }
    return numbers;
  }

  // Publishes thresholds 10, 20, ... as the next `count` revisions.
  void PublishMany(int count) {
    for (int i = 1; i <= count; ++i) {
      v1::PolicyRevision published;
      grpc::Status status = Publish(MessageSource(PolicyWithThreshold(10.0 * i)),
                                    "threshold " + std::to_string(10 * i),
                                    &published);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PolicyService::Stub> stub_;
};

// ------------------------------------------------------------------ Start

TEST_P(PolicyServiceTest, FreshServerHasTheDefaultPolicyAsActiveRevisionOne) {
  EXPECT_EQ(server_->policy_revision(), 1);
  v1::PolicyRevision active = Active();
  EXPECT_EQ(active.revision(), 1);
  EXPECT_TRUE(active.active());
  EXPECT_TRUE(Same(active.policy(), graph::DefaultPolicy()));
  EXPECT_FALSE(active.description().empty());
  EXPECT_GT(active.create_time().seconds(), 0);
  v1::PolicyRevision one;
  ASSERT_TRUE(Get(1, &one).ok());
  EXPECT_TRUE(Same(one, active));
}

TEST_P(PolicyServiceTest, RestartDoesNotPublishTheDefaultAgain) {
  StartServer();
  EXPECT_EQ(server_->policy_revision(), 1);
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
}

TEST_P(PolicyServiceTest, RestartKeepsAPublishedRevisionActive) {
  v1::PolicyRevision published;
  ASSERT_TRUE(
      Publish(MessageSource(PolicyWithThreshold(77)), "tuned", &published).ok());
  StartServer();
  EXPECT_EQ(server_->policy_revision(), 2);
  EXPECT_DOUBLE_EQ(Active().policy().intent().high_intent_threshold(), 77);
}

// ------------------------------------------------------- Hostile nesting

TEST_P(PolicyServiceTest,
       DeeplyNestedTextIsRefusedByValidatePublishAndSimulate) {
  const v1::PolicySource deep = TextSource(DeeplyNestedText(10000));
  v1::ValidatePolicyResponse validated = Validate(deep);
  EXPECT_FALSE(validated.valid());
  ASSERT_EQ(validated.problems_size(), 1);
  EXPECT_EQ(validated.problems(0).field(), "source.text");
  EXPECT_THAT(validated.problems(0).description(),
              HasSubstr("recursion limit of 100"));

  v1::PolicyRevision published;
  grpc::Status status = Publish(deep, "deep", &published);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("recursion limit of 100"));
  EXPECT_THAT(ViolatedFields(status), ElementsAre("source.text"));

  v1::SimulatePolicyRequest simulate;
  *simulate.mutable_source() = deep;
  v1::SimulatePolicyResponse simulated;
  status = stub_->SimulatePolicy(Context().get(), simulate, &simulated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("source.text"));

  // The server is alive and nothing was published.
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
}

// --------------------------------------------------------------- Validate

TEST_P(PolicyServiceTest, ValidateAcceptsTheDefaultPolicyAsMessageTextOrJson) {
  for (const v1::PolicySource& source :
       {MessageSource(graph::DefaultPolicy()),
        TextSource(AsText(graph::DefaultPolicy())),
        JsonSource(AsJson(graph::DefaultPolicy()))}) {
    SCOPED_TRACE(source.source_case());
    v1::ValidatePolicyResponse response = Validate(source);
    EXPECT_TRUE(response.valid());
    EXPECT_THAT(response.problems(), IsEmpty());
    EXPECT_TRUE(Same(response.policy(), graph::DefaultPolicy()));
  }
}

// A problem is named by its path in the policy whichever form the policy
// was sent in: a message once had its problems prefixed "source.policy.",
// text and JSON not.
TEST_P(PolicyServiceTest, ValidateNamesProblemsByPolicyPathInEveryForm) {
  for (const v1::PolicySource& source :
       {MessageSource(BrokenPolicy()), TextSource(AsText(BrokenPolicy())),
        JsonSource(AsJson(BrokenPolicy()))}) {
    SCOPED_TRACE(source.source_case());
    v1::ValidatePolicyResponse response = Validate(source);
    EXPECT_FALSE(response.valid());
    EXPECT_EQ(ProblemFields(response),
              (std::set<std::string>{"nurture_tracks", "routing_rules[0].route"}));
    for (const auto& problem : response.problems()) {
      EXPECT_FALSE(problem.description().empty()) << problem.field();
    }
  }
}

// ValidatePolicyResponse.policy is "the parsed policy, when it parsed".
TEST_P(PolicyServiceTest, ValidateReturnsAParsedPolicyEvenWhenItIsInvalid) {
  for (const v1::PolicySource& source :
       {MessageSource(BrokenPolicy()), TextSource(AsText(BrokenPolicy())),
        JsonSource(AsJson(BrokenPolicy()))}) {
    SCOPED_TRACE(source.source_case());
    v1::ValidatePolicyResponse response = Validate(source);
    EXPECT_FALSE(response.valid());
    EXPECT_TRUE(response.has_policy());
    EXPECT_TRUE(Same(response.policy(), BrokenPolicy()));
  }
}

TEST_P(PolicyServiceTest, ValidateNamesTheCheckIdOfADanglingReference) {
  v1::Policy policy = graph::DefaultPolicy();
  policy.mutable_disqualify_rules(0)->mutable_when()->mutable_fit_check()
      ->set_check_id("climate");
  v1::ValidatePolicyResponse response = Validate(MessageSource(policy));
  EXPECT_FALSE(response.valid());
  ASSERT_EQ(response.problems_size(), 1);
  EXPECT_EQ(response.problems(0).field(),
            "disqualify_rules[0].when.fit_check.check_id");
  EXPECT_THAT(response.problems(0).description(), HasSubstr("climate"));
}

TEST_P(PolicyServiceTest, ValidateReportsATextSyntaxErrorWithLineAndColumn) {
  v1::ValidatePolicyResponse response =
      Validate(TextSource("description: \"x\"\nfit_checks {\n  id: \"geo\"\n"));
  EXPECT_FALSE(response.valid());
  ASSERT_EQ(response.problems_size(), 1);
  EXPECT_EQ(response.problems(0).field(), "source.text");
  EXPECT_THAT(response.problems(0).description(),
              AllOf(HasSubstr("line "), HasSubstr("column ")));
  EXPECT_FALSE(response.has_policy());
}

TEST_P(PolicyServiceTest, ValidateReportsMalformedJson) {
  v1::ValidatePolicyResponse response = Validate(JsonSource("{\"fitChecks\": "));
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(ProblemFields(response), (std::set<std::string>{"source.json"}));
}

TEST_P(PolicyServiceTest, ValidateWithoutASourceNamesSource) {
  v1::ValidatePolicyResponse response = Validate(v1::PolicySource());
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(ProblemFields(response), (std::set<std::string>{"source"}));
}

TEST_P(PolicyServiceTest, ValidatePublishesNothing) {
  Validate(MessageSource(PolicyWithThreshold(12)));
  Validate(MessageSource(BrokenPolicy()));
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
  EXPECT_EQ(Active().revision(), 1);
}

// ---------------------------------------------------------------- Publish

TEST_P(PolicyServiceTest, PublishCreatesANewActiveRevisionAndKeepsTheOld) {
  v1::PolicyRevision published;
  grpc::Status status =
      Publish(MessageSource(PolicyWithThreshold(55)), "raise the bar", &published);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(published.revision(), 2);
  EXPECT_TRUE(published.active());
  EXPECT_EQ(published.description(), "raise the bar");
  EXPECT_TRUE(Same(published.policy(), PolicyWithThreshold(55)));

  v1::PolicyRevision active = Active();
  EXPECT_TRUE(Same(active, published));

  v1::PolicyRevision old;
  ASSERT_TRUE(Get(1, &old).ok());
  EXPECT_EQ(old.revision(), 1);
  EXPECT_FALSE(old.active());
  EXPECT_TRUE(Same(old.policy(), graph::DefaultPolicy()));
}

TEST_P(PolicyServiceTest, PublishAcceptsTextAndJsonSources) {
  v1::PolicyRevision from_text;
  ASSERT_TRUE(
      Publish(TextSource(AsText(PolicyWithThreshold(21))), "text", &from_text)
          .ok());
  EXPECT_EQ(from_text.revision(), 2);
  EXPECT_TRUE(Same(from_text.policy(), PolicyWithThreshold(21)));

  v1::PolicyRevision from_json;
  ASSERT_TRUE(
      Publish(JsonSource(AsJson(PolicyWithThreshold(22))), "json", &from_json)
          .ok());
  EXPECT_EQ(from_json.revision(), 3);
  EXPECT_TRUE(Same(Active().policy(), PolicyWithThreshold(22)));
}

TEST_P(PolicyServiceTest,
       PublishingABrokenPolicyIsInvalidArgumentAndChangesNothing) {
  for (const v1::PolicySource& source :
       {MessageSource(BrokenPolicy()), TextSource(AsText(BrokenPolicy())),
        JsonSource(AsJson(BrokenPolicy()))}) {
    SCOPED_TRACE(source.source_case());
    v1::PolicyRevision out;
    grpc::Status status = Publish(source, "broken", &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(
        ViolatedFields(status),
        (std::set<std::string>{"nurture_tracks", "routing_rules[0].route"}));
    for (const auto& [field, description] : FieldViolations(status)) {
      EXPECT_FALSE(description.empty()) << field;
    }
    EXPECT_THAT(status.error_message(), HasSubstr("routing_rules[0].route"));
  }

  v1::PolicyRevision active = Active();
  EXPECT_EQ(active.revision(), 1);
  EXPECT_TRUE(Same(active.policy(), graph::DefaultPolicy()));
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
}

TEST_P(PolicyServiceTest, PublishingUnparsableTextOrJsonNamesTheSourceField) {
  v1::PolicyRevision out;
  grpc::Status text = Publish(TextSource("fit_checks { id: "), "", &out);
  EXPECT_EQ(text.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(text), (std::set<std::string>{"source.text"}));

  grpc::Status json = Publish(JsonSource("{\"routingRules\": 7}"), "", &out);
  EXPECT_EQ(json.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(json), (std::set<std::string>{"source.json"}));
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
}

TEST_P(PolicyServiceTest,
       SimulatingABrokenPolicyNamesProblemsByPolicyPathInEveryForm) {
  for (const v1::PolicySource& source :
       {MessageSource(BrokenPolicy()), TextSource(AsText(BrokenPolicy())),
        JsonSource(AsJson(BrokenPolicy()))}) {
    SCOPED_TRACE(source.source_case());
    v1::SimulatePolicyRequest request;
    *request.mutable_source() = source;
    v1::SimulatePolicyResponse response;
    grpc::Status status =
        stub_->SimulatePolicy(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(
        ViolatedFields(status),
        (std::set<std::string>{"nurture_tracks", "routing_rules[0].route"}));
  }
}

TEST_P(PolicyServiceTest, SimulatingAsOfAnInvalidTimeNamesAsOf) {
  v1::SimulatePolicyRequest request;
  *request.mutable_source() = MessageSource(graph::DefaultPolicy());
  request.mutable_as_of()->set_seconds(1);
  request.mutable_as_of()->set_nanos(-5);
  v1::SimulatePolicyResponse response;
  grpc::Status status =
      stub_->SimulatePolicy(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"as_of"});
}

TEST_P(PolicyServiceTest,
       PublishingWithoutASourceIsInvalidArgumentNamingSource) {
  v1::PolicyRevision out;
  grpc::Status status = Publish(v1::PolicySource(), "nothing", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"source"}));
  EXPECT_THAT(AllRevisionNumbers(), ElementsAre(1));
}

TEST_P(PolicyServiceTest, ConcurrentPublishesGetDistinctRevisions) {
  constexpr int kThreads = 6;
  std::vector<int64_t> revisions(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      v1::PolicyRevision out;
      if (Publish(MessageSource(PolicyWithThreshold(100 + t)), "concurrent",
                  &out)
              .ok()) {
        revisions[t] = out.revision();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> distinct(revisions.begin(), revisions.end());
  EXPECT_EQ(distinct, (std::set<int64_t>{2, 3, 4, 5, 6, 7}));
  v1::PolicyRevision active = Active();
  EXPECT_EQ(active.revision(), 7);
  // The active policy is the one that was published as revision 7.
  for (int t = 0; t < kThreads; ++t) {
    if (revisions[t] == 7) {
      EXPECT_TRUE(Same(active.policy(), PolicyWithThreshold(100 + t)));
    }
  }
}

// -------------------------------------------------------------------- Get

TEST_P(PolicyServiceTest, GetNegativeRevisionIsInvalidArgument) {
  v1::PolicyRevision out;
  grpc::Status status = Get(-1, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"revision"}));
}

TEST_P(PolicyServiceTest, GetUnknownRevisionIsNotFound) {
  v1::PolicyRevision out;
  EXPECT_EQ(Get(99, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(2, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

// ------------------------------------------------------------------- List

TEST_P(PolicyServiceTest, ListPagesNewestFirstWithTokens) {
  PublishMany(4);  // Revisions 2..5 after the default's 1.
  std::vector<std::vector<int64_t>> pages;
  std::vector<bool> active;
  std::string token;
  for (int guard = 0; guard < 10; ++guard) {
    v1::ListPolicyRevisionsResponse page;
    grpc::Status status = List(2, token, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<int64_t> numbers;
    for (const auto& r : page.revisions()) {
      numbers.push_back(r.revision());
      active.push_back(r.active());
    }
    pages.push_back(numbers);
    token = page.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(pages, ElementsAre(ElementsAre(5, 4), ElementsAre(3, 2),
                                 ElementsAre(1)));
  EXPECT_THAT(active, ElementsAre(true, false, false, false, false));
}

TEST_P(PolicyServiceTest, ListWithDefaultPageSizeReturnsAllWithoutToken) {
  PublishMany(2);
  v1::ListPolicyRevisionsResponse page;
  ASSERT_TRUE(List(0, "", &page).ok());
  ASSERT_EQ(page.revisions_size(), 3);
  EXPECT_EQ(page.revisions(0).revision(), 3);
  EXPECT_TRUE(Same(page.revisions(0).policy(), PolicyWithThreshold(20)));
  EXPECT_EQ(page.revisions(2).revision(), 1);
  EXPECT_TRUE(Same(page.revisions(2).policy(), graph::DefaultPolicy()));
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_P(PolicyServiceTest, ListRefusesANegativePageSize) {
  v1::ListPolicyRevisionsResponse page;
  grpc::Status status = List(-1, "", &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"page_size"}));
}

TEST_P(PolicyServiceTest, ListRefusesAForgedToken) {
  v1::ListPolicyRevisionsResponse page;
  grpc::Status status = List(1, "not-a-token", &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"page_token"}));
}

TEST_P(PolicyServiceTest, ListRefusesATokenOfAnotherCollection) {
  auto accounts = v1::AccountGraphService::NewStub(channel_);
  for (const char* id : {"alpha", "beta"}) {
    v1::CreateAccountRequest request;
    request.set_account_id(id);
    request.mutable_account()->set_display_name(id);
    request.mutable_account()->set_country_code("DE");
    v1::Account created;
    ASSERT_TRUE(accounts->CreateAccount(Context().get(), request, &created).ok());
  }
  v1::ListAccountsRequest request;
  request.set_page_size(1);
  v1::ListAccountsResponse response;
  ASSERT_TRUE(accounts->ListAccounts(Context().get(), request, &response).ok());
  ASSERT_FALSE(response.next_page_token().empty());

  v1::ListPolicyRevisionsResponse page;
  grpc::Status status = List(1, response.next_page_token(), &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::set<std::string>{"page_token"}));
}

// ---------------------------------------------- Start with a policy file

class PolicyFileTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path() + "/data");
  }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  const std::string& data() const { return store_; }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
};

TEST_P(PolicyFileTest, FileOnAnEmptyStoreIsRevisionOne) {
  const std::string file = Write("policy.textproto", AsText(PolicyWithThreshold(61)));
  auto server = PolicyServer::Start(data(), file);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->policy_revision(), 1);
  auto active = (*server)->use_cases()->policies().GetPolicyRevision(0);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->revision(), 1);
  EXPECT_TRUE(Same(active->policy(), PolicyWithThreshold(61)));
  EXPECT_THAT(active->description(), HasSubstr(file));
}

TEST_P(PolicyFileTest, JsonFileIsReadAsJson) {
  const std::string file = Write("policy.json", AsJson(PolicyWithThreshold(62)));
  auto server = PolicyServer::Start(data(), file);
  ASSERT_TRUE(server.ok()) << server.status();
  auto active = (*server)->use_cases()->policies().GetPolicyRevision(0);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_TRUE(Same(active->policy(), PolicyWithThreshold(62)));
}

TEST_P(PolicyFileTest, SameFileAgainPublishesNothingAndAChangedFileDoes) {
  const std::string file = Write("policy.textproto", AsText(PolicyWithThreshold(61)));
  {
    auto server = PolicyServer::Start(data(), file);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->policy_revision(), 1);
  }
  {
    auto server = PolicyServer::Start(data(), file);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->policy_revision(), 1);
  }
  Write("policy.textproto", AsText(PolicyWithThreshold(63)));
  {
    auto server = PolicyServer::Start(data(), file);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->policy_revision(), 2);
    auto old = (*server)->use_cases()->policies().GetPolicyRevision(1);
    ASSERT_TRUE(old.ok());
    EXPECT_FALSE(old->active());
    EXPECT_TRUE(Same(old->policy(), PolicyWithThreshold(61)));
  }
  // Without the file, the active revision stays.
  auto server = PolicyServer::Start(data());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->policy_revision(), 2);
}

TEST_P(PolicyFileTest,
       FileEqualToTheDefaultAfterADefaultStartPublishesNothing) {
  {
    auto server = PolicyServer::Start(data());
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->policy_revision(), 1);
  }
  const std::string file = Write("default.textproto", AsText(graph::DefaultPolicy()));
  auto server = PolicyServer::Start(data(), file);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->policy_revision(), 1);
}

TEST_P(PolicyFileTest, BrokenFileStopsTheStartNamingFileAndField) {
  const std::string file = Write("broken.textproto", AsText(BrokenPolicy()));
  auto server = PolicyServer::Start(data(), file);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              AllOf(HasSubstr(file), HasSubstr("nurture_tracks"),
                    HasSubstr("routing_rules[0].route")));
}

TEST_P(PolicyFileTest, UnparsableFileStopsTheStartWithLineAndColumn) {
  const std::string file = Write("typo.textproto", "fit_checks { idd: \"x\" }\n");
  auto server = PolicyServer::Start(data(), file);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              AllOf(HasSubstr(file), HasSubstr("line 1 column"), HasSubstr("idd")));
}

TEST_P(PolicyFileTest, DeeplyNestedFileStopsTheStartNamingTheLimit) {
  const std::string file = Write("deep.textproto", DeeplyNestedText(10000));
  auto server = PolicyServer::Start(data(), file);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              AllOf(HasSubstr(file), HasSubstr("recursion limit of 100")));
}

TEST_P(PolicyFileTest, MissingFileStopsTheStart) {
  auto server = PolicyServer::Start(data(), dir_.path() + "/nope.textproto");
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
}

TEST_P(PolicyFileTest, BrokenFileLeavesTheStoreAsItWas) {
  {
    auto server = PolicyServer::Start(data());
    ASSERT_TRUE(server.ok()) << server.status();
  }
  const std::string file = Write("broken.json", AsJson(BrokenPolicy()));
  EXPECT_FALSE(PolicyServer::Start(data(), file).ok());
  auto server = PolicyServer::Start(data());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->policy_revision(), 1);
  auto list = (*server)->use_cases()->policies().ListPolicyRevisions(10, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, PolicyServiceTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

INSTANTIATE_TEST_SUITE_P(Engines, PolicyFileTest, quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
