// quorumd's server: the store, the services, health and reflection, bound to
// one address. Used by quorumd's main and by the service tests.
#ifndef QUORUM_SERVER_SERVER_H_
#define QUORUM_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "graph/usecases/use_cases.h"
#include "server/access.h"
#include "server/account_graph_service.h"
#include "server/admin_service.h"
#include "server/intake_service.h"
#include "server/limits.h"
#include "server/note_service.h"
#include "server/policy_service.h"
#include "server/qualification_service.h"
#include "server/signal_service.h"
#include "server/webhook_dispatcher.h"
#include "server/webhook_service.h"
#include "server/workflow_service.h"

namespace quorum::server {

struct ServerOptions {
  // host:port; port 0 picks a free port (see QuorumServer::port()).
  std::string listen = "127.0.0.1:50051";
  // Where the data lives (ParseStore): "lmdb:FOLDER" (created when
  // missing; one quorumd per folder) or a PostgreSQL connection URL
  // "postgresql://..." that several quorumd nodes may share
  // (docs/scale-out.md). Empty: LMDB in data_dir.
  std::string store;
  // The LMDB folder when `store` is empty.
  std::string data_dir = "./quorum-data";
  // Largest request or response message, in bytes.
  int max_message_bytes = 4 << 20;
  // Initial LMDB map size; it grows on demand.
  size_t initial_map_size = 64 << 20;
  // The most memory the account-tree snapshots may hold (see
  // docs/architecture.md); the least recently used go first.
  size_t snapshot_cache_mib = 512;
  // A policy file (text format, or JSON when it ends in .json) published at
  // start when it differs from the active revision. Without it, the default
  // diagnostics policy is published when no revision exists yet.
  std::string policy_file;

  // Access (docs/security.md). Without a token file every call is allowed
  // and only loopback addresses may be served; with one, every call but
  // health checks needs a token with the RPC's scope.
  std::string token_file;
  // TLS: PEM certificate chain and private key; both or neither. gRPC
  // re-reads them every `tls_reload_seconds`, so renewed files are picked up
  // without a restart.
  std::string tls_cert;
  std::string tls_key;
  // Mutual TLS: PEM CA(s) that client certificates must chain to; clients
  // without a valid certificate are refused at the handshake.
  std::string tls_client_ca;
  // Scopes a verified client certificate grants without a token (needs
  // tls_client_ca and token_file); empty: a token is still needed.
  std::vector<v1::Scope> mtls_scopes;
  int tls_reload_seconds = 60;
  // Receives access decisions (writes and refusals); stderr when unset.
  std::function<void(const std::string&)> log;
  // Transport limits, thread quota and connection cap (server/limits.h).
  LimitOptions limits;
  // The change feed keeps at most this many events (0: no count limit)
  // and none older than this many days (0: no age limit); older ones are
  // compacted away in the background (docs/workflow.md).
  int64_t event_retention_count = 1000000;
  int event_retention_days = 0;
  // Webhook delivery: timeout, retries with backoff, pause after repeated
  // failure (server/webhook_dispatcher.h, docs/webhooks.md).
  WebhookOptions webhooks;
  // Source of the time (tests); the system clock when unset.
  std::function<absl::Time()> clock;
};

// Where ServerOptions put the data: the store's path (graph::Store::Options)
// and, for LMDB, the folder quorumd creates and locks (empty for
// PostgreSQL). INVALID_ARGUMENT naming --store for anything else.
struct StoreLocation {
  std::string path;
  std::string lmdb_dir;
  // For logs: the folder, or the URL without its password.
  std::string description;
};
absl::StatusOr<StoreLocation> ParseStore(const ServerOptions& options);

// A running quorum server. Thread-safe.
class QuorumServer {
 public:
  // Opens the store and starts serving; health is SERVING on return.
  static absl::StatusOr<std::unique_ptr<QuorumServer>> Start(
      const ServerOptions& options);
  // Shuts down (if not done yet) and closes the store.
  ~QuorumServer();

  // The bound port.
  int port() const { return port_; }
  // Open connections at most (see LimitOptions::max_connections).
  // The connection cap of quorumd's own listener; 0 when gRPC listens (token
  // file or TLS: see docs/security.md).
  int connection_cap() const {
    return listener_ != nullptr ? listener_->max_connections() : 0;
  }
  graph::UseCases* use_cases() { return use_cases_.get(); }
  // The active policy revision at start.
  int64_t policy_revision() const { return policy_revision_; }

  // Full names of the services served (quorum.v1 and health, reflection);
  // every method of them has a scope (checked at start).
  const std::vector<std::string>& services() const { return services_; }
  // Whether calls need credentials (a token file was given).
  bool access_control() const { return tokens_ != nullptr; }
  // Re-reads the token file; on error the tokens in force stay and the
  // error says why. Returns how many tokens are loaded.
  absl::StatusOr<int> ReloadTokens();
  // Checks the TLS files as they are now on disk (readable, matching key,
  // not expired) and describes the certificate; gRPC itself re-reads them
  // every tls_reload_seconds. FAILED_PRECONDITION without TLS.
  absl::StatusOr<std::string> CheckTls() const;

  // Health goes NOT_SERVING, new calls are refused, calls in flight get up to
  // `grace` to finish (then are cancelled). Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  QuorumServer() = default;
  // Health follows the disk: NOT_SERVING while writes fail for lack of
  // space or I/O errors, SERVING again after a write succeeds.
  void OnWritableChange(bool writable);

  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<graph::UseCases> use_cases_;
  std::unique_ptr<AccountGraphServiceImpl> account_graph_;
  std::unique_ptr<PolicyServiceImpl> policy_;
  std::unique_ptr<SignalServiceImpl> signals_;
  std::unique_ptr<QualificationServiceImpl> qualification_;
  std::unique_ptr<NoteServiceImpl> notes_;
  std::unique_ptr<IntakeServiceImpl> intake_;
  std::unique_ptr<WorkflowServiceImpl> workflow_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<WebhookServiceImpl> webhook_service_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
  std::unique_ptr<TokenRegistry> tokens_;
  std::shared_ptr<AccessControl> access_;
  std::vector<std::string> services_;
  ServerOptions options_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int64_t policy_revision_ = 0;
  std::mutex health_mu_;
  bool shut_down_ = false;  // Guarded by health_mu_.
};

// Reads a policy file: JSON when the name ends in ".json", text otherwise;
// the policy must be valid.
absl::StatusOr<v1::Policy> ReadPolicyFile(const std::string& path);

// Parses a text-format quorum.v1.ResourceBundle file and creates the records
// the store does not have yet; returns how many were created.
absl::StatusOr<int> LoadBundleFile(graph::Intake* intake,
                                   const std::string& path);

}  // namespace quorum::server

#endif  // QUORUM_SERVER_SERVER_H_
