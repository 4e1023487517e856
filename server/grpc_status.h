// Mapping of domain errors to gRPC statuses, once, at the service boundary.
#ifndef QUORUM_SERVER_GRPC_STATUS_H_
#define QUORUM_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace quorum::server {

// The gRPC status for `status`, with a google.rpc.Status in the error
// details that carries its BadRequest / PreconditionFailure payloads.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Copies a result into `response`, or maps its error.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace quorum::server

#endif  // QUORUM_SERVER_GRPC_STATUS_H_
