// An in-process quorum server for service tests: real LMDB in a temporary
// folder or a real PostgreSQL (a fresh database per test), a real gRPC
// channel on a free loopback port. Service test fixtures take the engine as
// their parameter (TestWithParam<Engine>, instantiated over AllEngines()).
#ifndef QUORUM_TESTS_SUPPORT_TEST_SERVER_H_
#define QUORUM_TESTS_SUPPORT_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/server.h"
#include "tests/support/postgres_cluster.h"

namespace quorum::testing {

// The storage engines every service test runs on (docs/scale-out.md).
enum class Engine { kLmdb, kPostgres };

inline auto AllEngines() {
  return ::testing::Values(Engine::kLmdb, Engine::kPostgres);
}
inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kLmdb ? "lmdb" : "postgresql";
}

// Where a server on `engine` keeps its data: `data_dir` for LMDB, a fresh
// database of the test cluster (tests/support/postgres_cluster.h) for
// PostgreSQL, as a ServerOptions::store value.
inline std::string StoreFor(Engine engine, const std::string& data_dir) {
  if (engine == Engine::kLmdb) return "lmdb:" + data_dir;
  std::string why;
  std::string url = PostgresCluster::FreshDatabaseUrl(&why);
  if (url.empty()) {
    // Installed but not working: a failure, never a quiet fall back.
    ADD_FAILURE() << "no PostgreSQL database for the test: " << why;
    return "postgresql-unavailable:";  // Refused by ServerOptions.
  }
  return url;
}

// Skips the test when `engine` cannot run here (PostgreSQL not installed),
// with the reason.
#define QUORUM_SKIP_WITHOUT_ENGINE(engine)                              \
  do {                                                                  \
    std::string quorum_why_;                                            \
    if ((engine) == ::quorum::testing::Engine::kPostgres &&             \
        !::quorum::testing::PostgresCluster::Available(&quorum_why_)) { \
      GTEST_SKIP() << quorum_why_;                                      \
    }                                                                   \
  } while (false)

// Starts a server on 127.0.0.1, port 0, with its data in `data_dir` (a
// folder, or a ServerOptions::store value such as StoreFor's); null (with
// a test failure) when it cannot start.
inline std::unique_ptr<server::QuorumServer> StartServer(
    const std::string& data_dir, int max_message_bytes = 4 << 20) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  if (data_dir.rfind("lmdb:", 0) == 0 ||
      data_dir.find("://") != std::string::npos) {
    options.store = data_dir;
  } else {
    options.data_dir = data_dir;
  }
  options.max_message_bytes = max_message_bytes;
  auto started = server::QuorumServer::Start(options);
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

// An insecure channel to `server`.
inline std::shared_ptr<grpc::Channel> ChannelTo(
    const server::QuorumServer& server) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                             grpc::InsecureChannelCredentials());
}

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_SUPPORT_TEST_SERVER_H_
