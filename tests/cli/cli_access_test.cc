// The quorum binary against a quorumd that needs tokens, over plaintext
// loopback and over (mutual) TLS: --token, QUORUM_TOKEN, --tls-ca,
// --tls-cert/--tls-key, and `quorum admin backup`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/cli/cli_runner.h"

namespace quorum::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `quorumd token create ...`: the printed token.
std::string MakeToken(const std::string& file, const std::string& name,
                      const std::string& scopes) {
  std::string command = std::string(QUORUMD_PATH) +
                        " token create --token-file " + file + " --name " +
                        name + " --scopes " + scopes + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  char line[256] = {0};
  EXPECT_NE(fgets(line, sizeof(line), pipe), nullptr);
  pclose(pipe);
  std::string token = line;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

class CliAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = tmp_.path() + "/tokens.txt";
    reader_ = MakeToken(tokens_, "reader", "read");
    admin_ = MakeToken(tokens_, "ops", "admin");
  }
  TempDir tmp_;
  std::string tokens_, reader_, admin_;
};

TEST_F(CliAccessTest, TokenFromTheFlagOrTheEnvironment) {
  Quorumd server(tmp_.path() + "/data",
                 {"--token-file=" + tokens_, "--demo-data=" QUORUM_DEMO_DATA});
  const std::string address =
      "127.0.0.1:" + std::to_string(server.WaitForPort());
  CliResult none = RunQuorum({"--server", address, "policy", "show"});
  EXPECT_EQ(none.exit_code, 1) << none;
  EXPECT_TRUE(Contains(none.err, "UNAUTHENTICATED")) << none;
  CliResult flag =
      RunQuorum({"--server", address, "--token", reader_, "policy", "show"});
  EXPECT_EQ(flag.exit_code, 0) << flag;
  CliResult env = RunQuorum({"--server", address, "policy", "show"}, "",
                            {{"QUORUM_TOKEN", reader_}});
  EXPECT_EQ(env.exit_code, 0) << env;
  CliResult wrong = RunQuorum({"--server", address, "policy", "show"}, "",
                              {{"QUORUM_TOKEN", reader_ + "x"}});
  EXPECT_EQ(wrong.exit_code, 1) << wrong;
  EXPECT_TRUE(Contains(wrong.err, "unknown or revoked token")) << wrong;
}

TEST_F(CliAccessTest, AdminBackupNeedsTheAdminScopeAndWritesACopy) {
  Quorumd server(tmp_.path() + "/data",
                 {"--token-file=" + tokens_, "--demo-data=" QUORUM_DEMO_DATA});
  const std::string address =
      "127.0.0.1:" + std::to_string(server.WaitForPort());
  const std::string copy = tmp_.path() + "/backups/monday";
  CliResult denied = RunQuorum(
      {"--server", address, "--token", reader_, "admin", "backup", copy});
  EXPECT_EQ(denied.exit_code, 1) << denied;
  EXPECT_TRUE(Contains(denied.err, "PERMISSION_DENIED")) << denied;
  EXPECT_TRUE(Contains(denied.err, "'admin' scope")) << denied;
  EXPECT_FALSE(std::filesystem::exists(copy));
  CliResult done = RunQuorum(
      {"--server", address, "--token", admin_, "admin", "backup", copy});
  ASSERT_EQ(done.exit_code, 0) << done;
  EXPECT_TRUE(Contains(done.out, "backup written to " + copy)) << done;
  EXPECT_TRUE(std::filesystem::exists(copy + "/data.mdb"));
  // Restoring is starting quorumd on the copy: the demo accounts are there.
  Quorumd restored(copy, {});
  ASSERT_GT(restored.WaitForPort(), 0) << restored.Log();
  CliResult review = RunQuorum(
      {"--server", "127.0.0.1:" + std::to_string(restored.WaitForPort()),
       "--as-of", "2026-12-01T00:00:00Z", "review", "cascade-valley-health"});
  EXPECT_EQ(review.exit_code, 0) << review;
}

TEST_F(CliAccessTest, TlsAndMutualTlsWithCertificatesFromOpenssl) {
  const std::string certs = tmp_.path() + "/certs";
  ASSERT_EQ(std::system(("bash " QUORUM_MAKE_TEST_CERTS " " + certs).c_str()),
            0);
  Quorumd server(
      tmp_.path() + "/data",
      {"--token-file=" + tokens_, "--tls-cert=" + certs + "/server.pem",
       "--tls-key=" + certs + "/server.key",
       "--tls-client-ca=" + certs + "/ca.pem"});
  const std::string address =
      "127.0.0.1:" + std::to_string(server.WaitForPort());
  const std::vector<std::string> base = {"--server", address, "--token",
                                         reader_};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--timeout", "5", "policy", "show"});
    return RunQuorum(args);
  };
  CliResult ok =
      run({"--tls-ca", certs + "/ca.pem", "--tls-cert", certs + "/client.pem",
           "--tls-key", certs + "/client.key"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  CliResult no_client_cert = run({"--tls-ca", certs + "/ca.pem"});
  EXPECT_EQ(no_client_cert.exit_code, 1) << no_client_cert;
  EXPECT_TRUE(Contains(no_client_cert.err, "UNAVAILABLE")) << no_client_cert;
  CliResult wrong_ca =
      run({"--tls-ca", certs + "/other-ca.pem", "--tls-cert",
           certs + "/client.pem", "--tls-key", certs + "/client.key"});
  EXPECT_EQ(wrong_ca.exit_code, 1) << wrong_ca;
  CliResult plaintext = run({});
  EXPECT_EQ(plaintext.exit_code, 1) << plaintext;
  CliResult half =
      run({"--tls-ca", certs + "/ca.pem", "--tls-cert", certs + "/client.pem"});
  EXPECT_EQ(half.exit_code, 2) << half;
  EXPECT_TRUE(Contains(half.err, "--tls-cert and --tls-key go together"))
      << half;
}

}  // namespace
}  // namespace quorum::testing
