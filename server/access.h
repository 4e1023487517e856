// Access control: who may call what.
//
// Each RPC declares the scope it needs as the method option
// `(quorum.v1.scope)` (proto/quorum/v1/access.proto). AccessControl checks
// every call before any handler runs: it reads the method's scope from the
// descriptor pool, authenticates the caller (a bearer token from the token
// file, or a verified client certificate when `--mtls-scopes` grants scopes
// to them) and refuses the call with UNAUTHENTICATED (no or bad
// credentials) or PERMISSION_DENIED (a scope is missing; the message names
// it). An RPC without a scope is refused to everyone.
//
// Why an AuthMetadataProcessor and not a server interceptor: gRPC 1.51's C++
// server interceptors cannot end a call with a status of their own (the
// handler runs regardless), while the auth metadata processor runs in the
// transport for every method (unary, streaming, reflection) and its status
// reaches the client unchanged. It needs transport security, so plaintext
// loopback serving with a token file uses gRPC's local credentials
// (plaintext on the wire, loopback peers only).
#ifndef QUORUM_SERVER_ACCESS_H_
#define QUORUM_SERVER_ACCESS_H_

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "quorum/v1/access.pb.h"
#include "server/tokens.h"

namespace quorum::server {

// AuthContext properties AccessControl sets on authenticated calls.
// The actor of the call's writes: the client certificate's subject under
// mutual TLS, the token's name otherwise.
inline constexpr char kCallerProperty[] = "quorum.caller";
// The name of the token the call presented, if any.
inline constexpr char kTokenProperty[] = "quorum.token";

// The scope `method` needs: its `(quorum.v1.scope)` option; PUBLIC for
// gRPC health checks, READ for server reflection; UNSPECIFIED otherwise.
v1::Scope ScopeOf(const google::protobuf::MethodDescriptor& method);
// The same by call path, "/quorum.v1.AccountGraphService/GetAccount";
// UNSPECIFIED for a method the descriptor pool does not know.
v1::Scope ScopeOfPath(absl::string_view path);

// Full names ("quorum.v1.NoteService.CreateNote") of the methods of
// `services` (full service names) that declare no scope, or that are not in
// the descriptor pool at all.
std::vector<std::string> MethodsWithoutScope(
    const std::vector<std::string>& services);

// The actor AccessControl authenticated for the call, "" when access
// control is off (loopback without a token file).
std::string CallerOf(const grpc::ServerContext& context);

// Checks every call; see the header comment. Thread-safe.
class AccessControl : public grpc::AuthMetadataProcessor {
 public:
  struct Options {
    // The accepted tokens; not owned, must outlive this object.
    const TokenRegistry* tokens = nullptr;
    // Scopes a verified client certificate grants without a token; empty:
    // a token is needed even under mutual TLS.
    std::vector<v1::Scope> mtls_scopes;
    // Where the decisions on writes and refusals are logged.
    std::function<void(const std::string&)> log;
  };

  explicit AccessControl(Options options) : options_(std::move(options)) {}

  // Cheap (an in-memory lookup): runs on the transport's thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  Options options_;
};

// Whether `listen` ("host:port") names a loopback address: 127.0.0.0/8,
// [::1] or localhost.
bool IsLoopbackAddress(absl::string_view listen);

}  // namespace quorum::server

#endif  // QUORUM_SERVER_ACCESS_H_
