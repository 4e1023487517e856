// The quorumd binary's access control end to end: refusing non-loopback
// addresses without a token file, `quorumd token ...`, SIGHUP reloads, TLS
// and mutual TLS with certificates made by openssl at test time
// (make_test_certs.sh), and certificate renewal without a restart.
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::Quorumd;
using ::quorum::testing::ReadFile;
using ::quorum::testing::TempDir;

// Runs a shell command; its exit code, with its output in `out`.
int Shell(const std::string& command, std::string* out = nullptr) {
  std::string captured;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    captured.append(buffer, n);
  }
  int status = pclose(pipe);
  if (out != nullptr) *out = captured;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `quorumd token create`; the token it printed (stdout's last line).
std::string CreateToken(const std::string& file, const std::string& name,
                        const std::string& scopes) {
  std::string out;
  EXPECT_EQ(
      Shell(std::string(QUORUMD_PATH) + " token create --token-file " + file +
                " --name " + name + " --scopes " + scopes + " 2>/dev/null",
            &out),
      0)
      << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

grpc::Status ListAccounts(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& token) {
  v1::ListAccountsRequest request;
  v1::ListAccountsResponse response;
  return v1::AccountGraphService::NewStub(channel)->ListAccounts(
      Context(token).get(), request, &response);
}

// Polls `done` every 100 ms for up to 30 s (a bound, not a timing claim).
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 300; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(QuorumdAccess, RefusesANonLoopbackAddressWithoutATokenFile) {
  TempDir dir;
  std::string out;
  int code = Shell(std::string(QUORUMD_PATH) +
                       " --listen 0.0.0.0:0 --data-dir " + dir.path() + "/data",
                   &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("not a loopback address"), std::string::npos) << out;
  EXPECT_NE(out.find("--token-file"), std::string::npos) << out;
  // Nothing was served, and no data directory was made.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data"));
  for (const std::string& listen : {"[::]:0", "10.11.12.13:0", ":0"}) {
    EXPECT_EQ(Shell(std::string(QUORUMD_PATH) + " --listen " + listen +
                        " --data-dir " + dir.path() + "/data",
                    &out),
              1)
        << listen << ": " << out;
  }
  // With a token file but no TLS, tokens would cross the network in clear.
  const std::string tokens = dir.path() + "/tokens.txt";
  CreateToken(tokens, "ops", "admin");
  EXPECT_EQ(
      Shell(std::string(QUORUMD_PATH) + " --listen 0.0.0.0:0 --data-dir " +
                dir.path() + "/data --token-file " + tokens,
            &out),
      1);
  EXPECT_NE(out.find("--tls-cert"), std::string::npos) << out;
}

TEST(QuorumdAccess, TheLoopbackDemoNeedsNoToken) {
  TempDir dir;
  Quorumd server(dir.path() + "/data", {"--demo-data=" QUORUM_DEMO_DATA});
  EXPECT_TRUE(ListAccounts(server.Channel(), "").ok()) << server.Log();
  EXPECT_NE(server.Log().find("no token file"), std::string::npos);
}

TEST(QuorumdAccess, TokenCommandsPrintTheTokenOnceAndListWithoutIt) {
  TempDir dir;
  const std::string tokens = dir.path() + "/tokens.txt";
  std::string token = CreateToken(tokens, "marketing-sync", "read,write");
  EXPECT_EQ(token.rfind("qrm_", 0), 0u) << token;
  EXPECT_EQ(ReadFile(tokens).find(token), std::string::npos);
  std::string out;
  ASSERT_EQ(
      Shell(std::string(QUORUMD_PATH) + " token list --token-file " + tokens,
            &out),
      0);
  EXPECT_NE(out.find("marketing-sync\tread,write\t"), std::string::npos) << out;
  EXPECT_EQ(out.find(token), std::string::npos);
  EXPECT_EQ(std::filesystem::status(tokens).permissions() &
                (std::filesystem::perms::group_all |
                 std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  EXPECT_NE(Shell(std::string(QUORUMD_PATH) + " token create --token-file " +
                      tokens + " --name marketing-sync --scopes read",
                  &out),
            0);
  EXPECT_NE(out.find("exists"), std::string::npos) << out;
  EXPECT_EQ(Shell(std::string(QUORUMD_PATH) + " token create --token-file " +
                      tokens + " --name x --scopes root",
                  &out),
            2);
  EXPECT_NE(out.find("--scopes"), std::string::npos) << out;
  EXPECT_EQ(Shell(std::string(QUORUMD_PATH) + " token revoke --token-file " +
                      tokens + " --name marketing-sync",
                  &out),
            0)
      << out;
  ASSERT_EQ(
      Shell(std::string(QUORUMD_PATH) + " token list --token-file " + tokens,
            &out),
      0);
  EXPECT_EQ(out.find("marketing-sync"), std::string::npos) << out;
}

TEST(QuorumdAccess, SighupReloadsTheTokenFileAndKeepsItWhenBroken) {
  TempDir dir;
  const std::string tokens = dir.path() + "/tokens.txt";
  const std::string first = CreateToken(tokens, "first", "read");
  Quorumd server(dir.path() + "/data", {"--token-file=" + tokens});
  auto channel = server.Channel();
  ASSERT_TRUE(ListAccounts(channel, first).ok()) << server.Log();
  EXPECT_EQ(ListAccounts(channel, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const std::string second = CreateToken(tokens, "second", "read");
  EXPECT_EQ(ListAccounts(channel, second).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  server.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return ListAccounts(channel, second).ok(); }))
      << server.Log();

  ASSERT_EQ(Shell(std::string(QUORUMD_PATH) + " token revoke --token-file " +
                  tokens + " --name first"),
            0);
  server.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return ListAccounts(channel, first).error_code() ==
           grpc::StatusCode::UNAUTHENTICATED;
  })) << server.Log();

  // A broken file is refused; the tokens in force stay.
  std::ofstream(tokens) << "tokens { name: \"broken\" sha256: \"zz\" }\n";
  server.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return server.Log().find("token file not reloaded") != std::string::npos;
  })) << server.Log();
  EXPECT_NE(server.Log().find("tokens[0] (broken).scopes"), std::string::npos)
      << server.Log();
  EXPECT_TRUE(ListAccounts(channel, second).ok());
  EXPECT_EQ(server.Kill(SIGTERM), 0) << server.Log();
}

// Certificates for the TLS tests, made once per test by openssl.
class QuorumdTls : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = dir_.path() + "/certs";
    std::string out;
    ASSERT_EQ(Shell("bash " QUORUM_MAKE_TEST_CERTS " " + certs_, &out), 0)
        << out;
    tokens_ = dir_.path() + "/tokens.txt";
    token_ = CreateToken(tokens_, "marketing-sync", "read,write");
  }

  std::string Cert(const std::string& name) const {
    return certs_ + "/" + name;
  }

  // A TLS channel trusting `ca`, with a client certificate `client` (its
  // .pem and .key) unless empty.
  std::shared_ptr<grpc::Channel> TlsChannel(int port, const std::string& ca,
                                            const std::string& client = "") {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(Cert(ca));
    if (!client.empty()) {
      tls.pem_cert_chain = ReadFile(Cert(client + ".pem"));
      tls.pem_private_key = ReadFile(Cert(client + ".key"));
    }
    grpc::ChannelArguments args;
    // A fresh connection per channel, so each test sees its own handshake.
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::SslCredentials(tls), args);
  }

  std::vector<std::string> TlsFlags(bool mutual) const {
    std::vector<std::string> flags = {"--token-file=" + tokens_,
                                      "--tls-cert=" + Cert("server.pem"),
                                      "--tls-key=" + Cert("server.key")};
    if (mutual) flags.push_back("--tls-client-ca=" + Cert("ca.pem"));
    return flags;
  }

  TempDir dir_;
  std::string certs_, tokens_, token_;
};

TEST_F(QuorumdTls, ServesTlsToClientsThatTrustItsCa) {
  Quorumd server(dir_.path() + "/data", TlsFlags(false));
  int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.Log();
  EXPECT_TRUE(ListAccounts(TlsChannel(port, "ca.pem"), token_).ok())
      << server.Log();
  // The token is still needed over TLS.
  EXPECT_EQ(ListAccounts(TlsChannel(port, "ca.pem"), "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A client that trusts another CA refuses the server.
  EXPECT_EQ(ListAccounts(TlsChannel(port, "other-ca.pem"), token_).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A plaintext client gets nowhere.
  auto plain = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  EXPECT_EQ(ListAccounts(plain, token_).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(QuorumdTls, MutualTlsRefusesMissingWrongCaAndExpiredClientCertificates) {
  Quorumd server(dir_.path() + "/data", TlsFlags(true));
  int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.Log();
  EXPECT_TRUE(ListAccounts(TlsChannel(port, "ca.pem", "client"), token_).ok())
      << server.Log();
  for (const std::string& client : {"", "rogue-client", "expired-client"}) {
    SCOPED_TRACE("client certificate: " + client);
    EXPECT_EQ(
        ListAccounts(TlsChannel(port, "ca.pem", client), token_).error_code(),
        grpc::StatusCode::UNAVAILABLE);
  }
  // Without --mtls-scopes a verified certificate alone is not enough.
  EXPECT_EQ(ListAccounts(TlsChannel(port, "ca.pem", "client"), "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(QuorumdTls, MtlsScopesLetVerifiedCertificatesInAsTheirSubject) {
  std::vector<std::string> flags = TlsFlags(true);
  flags.push_back("--mtls-scopes=read,write");
  Quorumd server(dir_.path() + "/data", flags);
  int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.Log();
  auto channel = TlsChannel(port, "ca.pem", "client");
  ASSERT_TRUE(ListAccounts(channel, "").ok()) << server.Log();

  auto graph = v1::AccountGraphService::NewStub(channel);
  v1::CreateAccountRequest create;
  create.mutable_account()->set_display_name("Cascade Valley Health");
  create.mutable_account()->set_country_code("US");
  v1::Account account;
  ASSERT_TRUE(graph->CreateAccount(Context("").get(), create, &account).ok());
  v1::CreateNoteRequest note;
  note.set_parent(account.name());
  note.mutable_note()->set_learned("Lab director wants a demo");
  v1::Note created;
  ASSERT_TRUE(v1::NoteService::NewStub(channel)
                  ->CreateNote(Context("").get(), note, &created)
                  .ok());
  // The certificate's subject is the actor, with a token or without.
  EXPECT_EQ(created.author(), "CN=marketing-sync,O=Acme Labs");
  ASSERT_TRUE(v1::NoteService::NewStub(channel)
                  ->CreateNote(Context(token_).get(), note, &created)
                  .ok());
  EXPECT_EQ(created.author(), "CN=marketing-sync,O=Acme Labs");
  EXPECT_NE(server.Log().find("/quorum.v1.NoteService/CreateNote by token "
                              "'marketing-sync' as 'CN=marketing-sync"),
            std::string::npos)
      << server.Log();
  // The scopes granted stop at write.
  v1::DeleteAccountRequest remove;
  remove.set_name(account.name());
  google::protobuf::Empty empty;
  grpc::Status denied = graph->DeleteAccount(Context("").get(), remove, &empty);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find("'admin' scope"), std::string::npos);
}

TEST_F(QuorumdTls, RefusesToStartOnAnExpiredOrMismatchedCertificate) {
  std::string out;
  const std::string base = std::string(QUORUMD_PATH) +
                           " --listen 127.0.0.1:0 --data-dir " + dir_.path() +
                           "/data --token-file " + tokens_;
  EXPECT_EQ(Shell(base + " --tls-cert " + Cert("expired-server.pem") +
                      " --tls-key " + Cert("expired-server.key"),
                  &out),
            1);
  EXPECT_NE(out.find("has expired"), std::string::npos) << out;
  EXPECT_EQ(Shell(base + " --tls-cert " + Cert("server.pem") + " --tls-key " +
                      Cert("client.key"),
                  &out),
            1);
  EXPECT_NE(out.find("is not the key of"), std::string::npos) << out;
  EXPECT_EQ(Shell(base + " --tls-cert " + Cert("server.pem"), &out), 1);
  EXPECT_NE(out.find("go together"), std::string::npos) << out;
}

TEST_F(QuorumdTls, RenewedCertificatesAreServedWithoutARestart) {
  const std::string cert = dir_.path() + "/live.pem";
  const std::string key = dir_.path() + "/live.key";
  std::filesystem::copy_file(Cert("server.pem"), cert);
  std::filesystem::copy_file(Cert("server.key"), key);
  Quorumd server(dir_.path() + "/data",
                 {"--token-file=" + tokens_, "--tls-cert=" + cert,
                  "--tls-key=" + key, "--tls-reload-seconds=1"});
  int port = server.WaitForPort();
  ASSERT_GT(port, 0) << server.Log();
  ASSERT_TRUE(ListAccounts(TlsChannel(port, "ca.pem"), token_).ok());
  // The renewal (signed by the other CA, so clients can tell) replaces the
  // files, key first, each by an atomic rename.
  std::filesystem::copy_file(Cert("server2.key"), key + ".new");
  std::filesystem::copy_file(Cert("server2.pem"), cert + ".new");
  std::filesystem::rename(key + ".new", key);
  std::filesystem::rename(cert + ".new", cert);
  server.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return ListAccounts(TlsChannel(port, "other-ca.pem"), token_).ok();
  })) << server.Log();
  EXPECT_EQ(ListAccounts(TlsChannel(port, "ca.pem"), token_).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // SIGHUP checked the files on disk and said what they hold.
  EXPECT_TRUE(Eventually([&] {
    return server.Log().find(
               "SIGHUP: TLS files hold certificate "
               "'CN=quorumd renewed'") != std::string::npos;
  })) << server.Log();
  // A broken renewal is reported on SIGHUP.
  std::filesystem::copy_file(Cert("client.key"), key + ".new");
  std::filesystem::rename(key + ".new", key);
  server.Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return server.Log().find(
               "SIGHUP: the TLS files on disk are not usable: "
               "--tls-key: ") != std::string::npos;
  })) << server.Log();
  EXPECT_EQ(server.Kill(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace quorum
