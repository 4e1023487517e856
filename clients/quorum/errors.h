// Server errors as a person reads them: the gRPC code name, the message, and
// each field violation or precondition failure carried in the
// google.rpc.Status of the error details (AIP-193).
#ifndef QUORUM_CLIENTS_QUORUM_ERRORS_H_
#define QUORUM_CLIENTS_QUORUM_ERRORS_H_

#include <grpcpp/grpcpp.h>

#include <string>

namespace quorum::cli {

// "NOT_FOUND", "INVALID_ARGUMENT"...
std::string StatusCodeName(grpc::StatusCode code);

// The error in lines:
//   INVALID_ARGUMENT: invalid request: ...
//     lead.email: is not a usable e-mail address
//     CYCLE accounts/a: accounts/a -> accounts/b -> accounts/a
std::string FormatRpcError(const grpc::Status& status);

// Prints FormatRpcError to stderr, prefixed "quorum: <what>: " when `what`
// is not empty, and returns kExitServerError.
int ReportRpcError(const grpc::Status& status, const std::string& what = "");

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_ERRORS_H_
