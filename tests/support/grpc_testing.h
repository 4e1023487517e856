// Helpers for tests that talk to quorum over a real gRPC channel.
#ifndef QUORUM_TESTS_SUPPORT_GRPC_TESTING_H_
#define QUORUM_TESTS_SUPPORT_GRPC_TESTING_H_

#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace quorum::testing {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "quorum-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The google.rpc.Status carried in a gRPC error's details.
inline google::rpc::Status RpcStatus(const grpc::Status& status) {
  google::rpc::Status out;
  out.ParseFromString(status.error_details());
  return out;
}

// The fields named by the BadRequest detail of `status`.
inline std::set<std::string> ViolatedFields(const grpc::Status& status) {
  std::set<std::string> fields;
  const google::rpc::Status rpc_status = RpcStatus(status);
  for (const auto& any : rpc_status.details()) {
    google::rpc::BadRequest bad;
    if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
        bad.ParseFromString(any.value())) {
      for (const auto& v : bad.field_violations()) fields.insert(v.field());
    }
  }
  return fields;
}

// The PreconditionFailure violation types of `status`.
inline std::set<std::string> PreconditionTypes(const grpc::Status& status) {
  std::set<std::string> types;
  const google::rpc::Status rpc_status = RpcStatus(status);
  for (const auto& any : rpc_status.details()) {
    google::rpc::PreconditionFailure failure;
    if (any.type_url() ==
            "type.googleapis.com/google.rpc.PreconditionFailure" &&
        failure.ParseFromString(any.value())) {
      for (const auto& v : failure.violations()) types.insert(v.type());
    }
  }
  return types;
}

// Health.Check of the whole server; UNKNOWN when the call fails.
inline grpc::health::v1::HealthCheckResponse::ServingStatus CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_SUPPORT_GRPC_TESTING_H_
