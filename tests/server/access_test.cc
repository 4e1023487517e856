// Access control over a real channel: the scope matrix generated from the
// proto options, actors taken from tokens, token reloads, and refusals.
#include "server/access.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "server/server.h"
#include "server/tokens.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::MethodDescriptor;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

// Calls `path` with one empty request message (none for client-streaming
// methods) and reads until the end; returns the call's status. Works for
// every kind of method through the generic stub.
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& path, bool client_streaming,
                       const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  // Long enough for any handler to answer an empty request; a watch
  // (server streaming) that passed the check runs into it.
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  if (!authorization.empty()) {
    context.AddMetadata("authorization", authorization);
  }
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(&context, path, &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  if (!client_streaming) {
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1);
    call->Write(request, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer response;
  do {
    call->Read(&response, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
  } while (ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

std::string PathOf(const MethodDescriptor& m) {
  return absl::StrCat("/", m.service()->full_name(), "/", m.name());
}

bool PassedAccessCheck(const grpc::Status& status) {
  return status.error_code() != grpc::StatusCode::UNAUTHENTICATED &&
         status.error_code() != grpc::StatusCode::PERMISSION_DENIED;
}

class AccessTest : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    token_file_ = dir_.path() + "/tokens.txt";
    absl::Time now = absl::Now();
    read_ = *CreateToken(token_file_, "reader", {v1::SCOPE_READ}, now);
    write_ = *CreateToken(token_file_, "writer", {v1::SCOPE_WRITE}, now);
    admin_ = *CreateToken(token_file_, "ops", {v1::SCOPE_ADMIN}, now);
    revoked_ = *CreateToken(token_file_, "departed", {v1::SCOPE_ADMIN}, now);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store =
        quorum::testing::StoreFor(GetParam(), dir_.path() + "/data");
    options.token_file = token_file_;
    options.log = [this](const std::string& line) {
      absl::MutexLock lock(&log_mu_);
      log_.push_back(line);
    };
    auto started = QuorumServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    channel_ = quorum::testing::ChannelTo(*server_);
  }

  std::string Log() {
    absl::MutexLock lock(&log_mu_);
    return absl::StrJoin(log_, "\n");
  }

  void Revoke(const std::string& name) {
    ASSERT_TRUE(RevokeToken(token_file_, name).ok());
    ASSERT_TRUE(server_->ReloadTokens().ok());
  }

  quorum::testing::TempDir dir_;
  std::string token_file_;
  std::string read_, write_, admin_, revoked_;
  absl::Mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST(AccessScopes, EveryServedRpcDeclaresAScope) {
  quorum::testing::TempDir dir;
  auto server = quorum::testing::StartServer(dir.path());
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(MethodsWithoutScope(server->services()).empty());
  int methods = 0;
  for (const std::string& name : server->services()) {
    const auto* service =
        DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name << " is served but not in the pool";
    // Every service declared next to a served one is served too, so none
    // escapes this test.
    for (int i = 0; i < service->file()->service_count(); ++i) {
      EXPECT_NE(std::find(server->services().begin(), server->services().end(),
                          service->file()->service(i)->full_name()),
                server->services().end())
          << service->file()->service(i)->full_name() << " is not served";
    }
    for (int i = 0; i < service->method_count(); ++i) {
      v1::Scope scope = ScopeOf(*service->method(i));
      EXPECT_NE(scope, v1::SCOPE_UNSPECIFIED)
          << service->method(i)->full_name();
      ++methods;
    }
  }
  // 47 quorum.v1 RPCs and BackupData, the 5 of WebhookService, health's
  // Check (the vendored proto has no Watch; see HealthNeedsNoToken),
  // reflection.
  EXPECT_EQ(methods, 55);
}

TEST(AccessScopes, ScopesFollowTheSpecsTable) {
  auto scope = [](const std::string& method) {
    const MethodDescriptor* m =
        DescriptorPool::generated_pool()->FindMethodByName(method);
    EXPECT_NE(m, nullptr) << method;
    return m == nullptr ? v1::SCOPE_UNSPECIFIED : ScopeOf(*m);
  };
  EXPECT_EQ(scope("quorum.v1.QualificationService.QualifyAccount"),
            v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.WorkflowService.WatchReadiness"), v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.WorkflowService.GetProcessMetrics"),
            v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.AccountGraphService.ListAccounts"),
            v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.IntakeService.SubmitLead"), v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.AccountGraphService.UpdateAccount"),
            v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.NoteService.CreateNote"), v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.WorkflowService.TransitionStatus"),
            v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.WorkflowService.CreateHandoff"), v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.WorkflowService.RecordHandoffFeedback"),
            v1::SCOPE_WRITE);
  EXPECT_EQ(scope("quorum.v1.PolicyService.PublishPolicy"), v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.PolicyService.SuggestPolicy"), v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.AccountGraphService.DeleteAccount"),
            v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.AccountGraphService.DeleteRelationship"),
            v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.AdminService.BackupData"), v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.WebhookService.CreateWebhook"), v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.WebhookService.DeleteWebhook"), v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.WebhookService.ResumeWebhook"), v1::SCOPE_ADMIN);
  EXPECT_EQ(scope("quorum.v1.WebhookService.GetWebhook"), v1::SCOPE_READ);
  EXPECT_EQ(scope("quorum.v1.WebhookService.ListWebhooks"), v1::SCOPE_READ);
  EXPECT_EQ(ScopeOfPath("/grpc.health.v1.Health/Check"), v1::SCOPE_PUBLIC);
  EXPECT_EQ(ScopeOfPath("/grpc.reflection.v1alpha.ServerReflection/"
                        "ServerReflectionInfo"),
            v1::SCOPE_READ);
  EXPECT_EQ(ScopeOfPath("/quorum.v1.AccountGraphService/NoSuchMethod"),
            v1::SCOPE_UNSPECIFIED);
  EXPECT_EQ(ScopeOfPath("garbage"), v1::SCOPE_UNSPECIFIED);
}

TEST(AccessScopes, AdminIncludesWriteIncludesRead) {
  EXPECT_TRUE(ScopeAllows({v1::SCOPE_ADMIN}, v1::SCOPE_WRITE));
  EXPECT_TRUE(ScopeAllows({v1::SCOPE_ADMIN}, v1::SCOPE_READ));
  EXPECT_TRUE(ScopeAllows({v1::SCOPE_WRITE}, v1::SCOPE_READ));
  EXPECT_FALSE(ScopeAllows({v1::SCOPE_WRITE}, v1::SCOPE_ADMIN));
  EXPECT_FALSE(ScopeAllows({v1::SCOPE_READ}, v1::SCOPE_WRITE));
  EXPECT_FALSE(ScopeAllows({v1::SCOPE_ADMIN}, v1::SCOPE_UNSPECIFIED));
  EXPECT_FALSE(ScopeAllows({}, v1::SCOPE_READ));
  EXPECT_TRUE(ScopeAllows({}, v1::SCOPE_PUBLIC));
}

// The matrix: every served RPC, found through the descriptor pool, with no
// token, an unknown token, a revoked token and each scope.
TEST_P(AccessTest, EveryRpcAnswersAsItsScopeSays) {
  // The revoked token worked before it was revoked.
  auto before =
      CallEmpty(channel_, "/quorum.v1.AccountGraphService/ListAccounts", false,
                "Bearer " + revoked_);
  EXPECT_TRUE(before.ok()) << before.error_message();
  Revoke("departed");

  struct Caller {
    std::string label;
    std::string authorization;
    v1::Scope scope;  // UNSPECIFIED: not authenticated.
  };
  const std::vector<Caller> callers = {
      {"no token", "", v1::SCOPE_UNSPECIFIED},
      {"unknown token", "Bearer qrm_notarealtokennotarealtokennotarealtoken1",
       v1::SCOPE_UNSPECIFIED},
      {"revoked token", "Bearer " + revoked_, v1::SCOPE_UNSPECIFIED},
      {"read", "Bearer " + read_, v1::SCOPE_READ},
      {"write", "Bearer " + write_, v1::SCOPE_WRITE},
      {"admin", "Bearer " + admin_, v1::SCOPE_ADMIN},
  };
  int cells = 0;
  for (const std::string& name : server_->services()) {
    const auto* service =
        DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      const v1::Scope needed = ScopeOf(method);
      for (const Caller& caller : callers) {
        SCOPED_TRACE(absl::StrCat(method.full_name(), " with ", caller.label));
        grpc::Status status =
            CallEmpty(channel_, PathOf(method), method.client_streaming(),
                      caller.authorization);
        ++cells;
        if (needed == v1::SCOPE_PUBLIC) {
          EXPECT_TRUE(PassedAccessCheck(status)) << status.error_message();
        } else if (caller.scope == v1::SCOPE_UNSPECIFIED) {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << status.error_message();
        } else if (caller.scope >= needed) {
          EXPECT_TRUE(PassedAccessCheck(status))
              << status.error_code() << " " << status.error_message();
        } else {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
          EXPECT_NE(status.error_message().find(absl::StrCat(
                        "needs the '", ScopeName(needed), "' scope")),
                    std::string::npos)
              << status.error_message();
        }
      }
    }
  }
  EXPECT_EQ(cells, 55 * 6);
}

TEST_P(AccessTest, AnRpcWithoutAScopeIsRefusedEvenToAdmin) {
  grpc::Status status =
      CallEmpty(channel_, "/quorum.v1.AccountGraphService/NoSuchMethod", false,
                "Bearer " + admin_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("declares no scope"),
            std::string::npos);
  status = CallEmpty(channel_, "/quorum.v1.AccountGraphService/NoSuchMethod",
                     false, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_P(AccessTest, MalformedCredentialsAreUnauthenticated) {
  const std::string path = "/quorum.v1.AccountGraphService/ListAccounts";
  for (const std::string& header :
       {std::string("Basic b3BzOnNlY3JldA=="), std::string("Bearer"),
        std::string("Bearer "), std::string("bearer x"), "Token " + admin_,
        admin_, "Bearer " + admin_ + "x", "Bearer " + admin_.substr(1)}) {
    SCOPED_TRACE(header);
    EXPECT_EQ(CallEmpty(channel_, path, false, header).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The scheme is case-insensitive.
  EXPECT_TRUE(CallEmpty(channel_, path, false, "bearer " + read_).ok());
  // Two authorization headers are refused, whichever is valid.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + read_);
  context.AddMetadata("authorization", "Bearer " + admin_);
  v1::ListAccountsRequest request;
  v1::ListAccountsResponse response;
  EXPECT_EQ(v1::AccountGraphService::NewStub(channel_)
                ->ListAccounts(&context, request, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_P(AccessTest, HealthNeedsNoToken) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  // Watch (served by gRPC's health service, not in the vendored proto).
  grpc::Status watch =
      CallEmpty(channel_, "/grpc.health.v1.Health/Watch", false, "");
  EXPECT_TRUE(PassedAccessCheck(watch)) << watch.error_message();
}

TEST_P(AccessTest, TheTokenNameIsTheActorOfWritesThatNameNone) {
  auto graph = v1::AccountGraphService::NewStub(channel_);
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Northfield Health System");
  create.mutable_account()->set_country_code("US");
  v1::Account account;
  ASSERT_TRUE(
      graph->CreateAccount(Context(write_).get(), create, &account).ok());

  auto notes = v1::NoteService::NewStub(channel_);
  v1::CreateNoteRequest note;
  note.set_parent(account.name());
  note.mutable_note()->set_kind(v1::NOTE_KIND_CALL);
  note.mutable_note()->set_learned("Budget approved for Q3");
  v1::Note created;
  auto status = notes->CreateNote(Context(write_).get(), note, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.author(), "writer");
  // An author the request names is kept.
  note.mutable_note()->set_author("Dana Reyes");
  ASSERT_TRUE(notes->CreateNote(Context(write_).get(), note, &created).ok());
  EXPECT_EQ(created.author(), "Dana Reyes");
  // The server's log names the token of each write.
  EXPECT_NE(Log().find("/quorum.v1.NoteService/CreateNote by token 'writer'"),
            std::string::npos)
      << Log();
}

TEST_P(AccessTest, ReloadAddsAndRevokesTokensAndKeepsThemWhenTheFileBreaks) {
  const std::string path = "/quorum.v1.AccountGraphService/ListAccounts";
  auto later = CreateToken(token_file_, "later", {v1::SCOPE_READ}, absl::Now());
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(CallEmpty(channel_, path, false, "Bearer " + *later).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto loaded = server_->ReloadTokens();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, 5);
  EXPECT_TRUE(CallEmpty(channel_, path, false, "Bearer " + *later).ok());

  Revoke("reader");
  EXPECT_EQ(CallEmpty(channel_, path, false, "Bearer " + read_).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A broken file (duplicate name) is not loaded; the tokens stay.
  {
    std::ofstream out(token_file_, std::ios::app);
    out << "tokens { name: \"ops\" scopes: SCOPE_READ sha256: \""
        << std::string(64, 'a') << "\" }\n";
  }
  auto broken = server_->ReloadTokens();
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(broken.status().message().find("the name is used twice"),
            std::string::npos)
      << broken.status();
  EXPECT_TRUE(CallEmpty(channel_, path, false, "Bearer " + *later).ok());
  EXPECT_EQ(CallEmpty(channel_, path, false, "Bearer " + read_).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(TokenFile, StoresHashesNeverTokens) {
  quorum::testing::TempDir dir;
  const std::string file = dir.path() + "/tokens.txt";
  auto token = CreateToken(file, "marketing-sync",
                           {v1::SCOPE_READ, v1::SCOPE_WRITE}, absl::Now());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->rfind("qrm_", 0), 0u);
  EXPECT_EQ(token->size(), 4u + 43u);  // 256 bits, URL-safe base64.
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find(*token), std::string::npos);
  EXPECT_EQ(text.find(token->substr(4)), std::string::npos);
  EXPECT_NE(text.find(Sha256Hex(*token)), std::string::npos);
  auto parsed = ReadTokenFile(file);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->tokens_size(), 1);
  EXPECT_EQ(parsed->tokens(0).name(), "marketing-sync");
  EXPECT_EQ(parsed->tokens(0).scopes_size(), 2);
  EXPECT_GT(parsed->tokens(0).create_time().seconds(), 0);
  // Two tokens never collide.
  auto other = CreateToken(file, "other", {v1::SCOPE_READ}, absl::Now());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *token);
}

TEST(TokenFile, ConcurrentCreatesLoseNoEntry) {
  quorum::testing::TempDir dir;
  const std::string file = dir.path() + "/tokens.txt";
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      EXPECT_TRUE(CreateToken(file, absl::StrCat("job-", i), {v1::SCOPE_READ},
                              absl::Now())
                      .ok());
    });
  }
  for (auto& t : threads) t.join();
  auto parsed = ReadTokenFile(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tokens_size(), 8);
}

TEST(TokenFile, BadInputIsRefusedWithTheField) {
  quorum::testing::TempDir dir;
  const std::string file = dir.path() + "/tokens.txt";
  EXPECT_EQ(ParseScopes("read,sudo", "--scopes").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScopes("", "--scopes").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateToken(file, "has space", {v1::SCOPE_READ}, absl::Now())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateToken(file, "x", {}, absl::Now()).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(CreateToken(file, "x", {v1::SCOPE_READ}, absl::Now()).ok());
  EXPECT_EQ(
      CreateToken(file, "x", {v1::SCOPE_READ}, absl::Now()).status().code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RevokeToken(file, "y").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadTokenFile(dir.path() + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  for (const std::string& bad :
       {std::string("tokens { name: \"a\" }"),
        std::string("tokens { name: \"a\" scopes: SCOPE_PUBLIC sha256: \"") +
            std::string(64, 'a') + "\" }",
        std::string(
            "tokens { name: \"a\" scopes: SCOPE_READ sha256: \"xyz\" }"),
        std::string("not a token file")}) {
    std::ofstream(file) << bad;
    EXPECT_EQ(ReadTokenFile(file).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ListenAddress, OnlyLoopbackCountsAsLoopback) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress(":50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:50051"));
  EXPECT_FALSE(IsLoopbackAddress("quorum.example.com:50051"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1.example.com:50051"));
}

TEST(ListenAddress, NonLoopbackIsRefusedWithoutATokenFile) {
  quorum::testing::TempDir dir;
  ServerOptions options;
  options.listen = "0.0.0.0:0";
  options.data_dir = dir.path() + "/data";
  auto started = QuorumServer::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find("--token-file"), std::string::npos);
}

TEST(ServerOptionsCheck, AccessAndTlsFlagsMustFitTogether) {
  quorum::testing::TempDir dir;
  auto refused = [&](ServerOptions options) {
    options.listen = "127.0.0.1:0";
    options.data_dir = dir.path() + "/data";
    auto started = QuorumServer::Start(options);
    EXPECT_FALSE(started.ok());
    return started.ok() ? std::string()
                        : std::string(started.status().message());
  };
  ServerOptions mtls_without_ca;
  mtls_without_ca.mtls_scopes = {v1::SCOPE_READ};
  EXPECT_NE(
      refused(mtls_without_ca).find("--mtls-scopes needs --tls-client-ca"),
      std::string::npos);
  ServerOptions ca_without_cert;
  ca_without_cert.tls_client_ca = dir.path() + "/ca.pem";
  EXPECT_NE(refused(ca_without_cert).find("--tls-client-ca needs --tls-cert"),
            std::string::npos);
  ServerOptions missing_tokens;
  missing_tokens.token_file = dir.path() + "/nope.txt";
  EXPECT_NE(refused(missing_tokens).find("quorumd token create"),
            std::string::npos);
  // Nothing was opened for any of them.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data"));
}

TEST(ServerOptionsCheck, AStoreThatIsNeitherAFolderNorAPostgresUrlIsRefused) {
  quorum::testing::TempDir dir;
  for (const std::string store : {"mysql://db/quorum", "lmdb:", "./data"}) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store = store;
    auto started = QuorumServer::Start(options);
    ASSERT_FALSE(started.ok()) << store;
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(started.status().message().find("--store"), std::string::npos)
        << started.status();
  }
  // An LMDB folder given as lmdb:FOLDER is where the data goes.
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.store = "lmdb:" + dir.path() + "/named";
  auto started = QuorumServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/named/data.mdb"));
}

INSTANTIATE_TEST_SUITE_P(Engines, AccessTest, quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
