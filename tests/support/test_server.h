// An in-process quorum server for service tests: real LMDB in a temporary
// folder, a real gRPC channel on a free loopback port.
#ifndef QUORUM_TESTS_SUPPORT_TEST_SERVER_H_
#define QUORUM_TESTS_SUPPORT_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/server.h"

namespace quorum::testing {

// Starts a server on 127.0.0.1, port 0, with its data in `data_dir`;
// null (with a test failure) when it cannot start.
inline std::unique_ptr<server::QuorumServer> StartServer(
    const std::string& data_dir, int max_message_bytes = 4 << 20) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = data_dir;
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
