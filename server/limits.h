// quorumd's protections against hostile or runaway clients and a hostile
// environment (docs/security.md, Limits): the transport limits applied to
// the gRPC server, the descriptor budget, the listening socket with its
// connection cap, and the lock on the data folder.
#ifndef QUORUM_SERVER_LIMITS_H_
#define QUORUM_SERVER_LIMITS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace CLI {
class App;
}  // namespace CLI

namespace quorum::server {

// Every limit is a quorumd flag (AddLimitFlags) with a safe default.
struct LimitOptions {
  // HTTP/2 streams (calls) one connection may have open at once; bounds
  // what a rapid-reset flood (CVE-2023-44487) can start per connection.
  int max_concurrent_streams = 100;
  // The shortest interval between client pings without data; faster pings
  // are strikes, and after `max_ping_strikes` the connection is closed.
  int min_ping_interval_seconds = 60;
  int max_ping_strikes = 2;
  // Whether clients may ping while they have no call open.
  bool permit_pings_without_calls = false;
  // A connection without calls for this long is closed (GOAWAY).
  int max_connection_idle_seconds = 300;
  // Every connection is closed after this long (GOAWAY), and its calls get
  // `max_connection_age_grace_seconds` more to finish; watchers reconnect.
  int max_connection_age_seconds = 3600;
  int max_connection_age_grace_seconds = 60;
  // A connection must finish its handshake within this time.
  int handshake_timeout_seconds = 10;
  // The largest header block (metadata) of a request, in bytes.
  int max_metadata_bytes = 16 * 1024;
  // Threads the server may use for synchronous calls (gRPC resource quota).
  int max_threads = 64;
  // Open connections at most; beyond that new connections are accepted and
  // closed at once. 0: the descriptor limit minus kReservedDescriptors.
  int max_connections = 0;
};

// Descriptors kept free for LMDB, logs and the accept loop.
inline constexpr int kReservedDescriptors = 64;

// Adds the --max-concurrent-streams ... flags to `app`.
void AddLimitFlags(CLI::App& app, LimitOptions* options);

// Checks the options; INVALID_ARGUMENT naming the flag when one is bad.
absl::Status CheckLimits(const LimitOptions& options);

// Applies the transport limits and the thread quota to `builder`; also turns
// SO_REUSEPORT off, so that a port in use is an error.
void ApplyLimits(const LimitOptions& options, grpc::ServerBuilder* builder);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft
// limit.
int RaiseDescriptorLimit();

// The connection cap for `options` under the current descriptor limit.
int ConnectionCap(const LimitOptions& options);

// An exclusive lock (flock) on `<data_dir>/quorumd.lock`, held while the
// object lives, so that two servers never share one data folder.
class DataDirLock {
 public:
  // FAILED_PRECONDITION naming the folder when another process holds it.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(
      const std::string& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// The listening sockets of quorumd and the thread that accepts on them.
//
// gRPC 1.51's own listener stops accepting for good after one accept()
// fails with EMFILE. This one never runs out: before each accept it checks
// the connection cap (open descriptors against the limit) and closes
// connections beyond it at once, and it keeps a spare descriptor that it
// gives up to accept-and-close when the process is out of descriptors.
// Accepted connections are handed to the gRPC server, which applies its
// channel arguments (streams, keepalive, idle and age) to them. The sockets
// are bound without SO_REUSEPORT: a port in use fails the start.
class Listener {
 public:
  // Binds every address of `listen` (host:port, [v6]:port; port 0 picks a
  // free one). UNAVAILABLE with a clear message when the port is taken.
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(
      const std::string& listen);
  ~Listener();

  int port() const { return port_; }
  // The connection cap given to Start().
  int max_connections() const { return max_connections_; }

  // Starts accepting for `server` with at most `max_connections` open.
  void Start(grpc::Server* server, int max_connections);
  // Stops accepting and closes the listening sockets. Idempotent.
  void Stop();

  // Connections closed at once because of the cap or of EMFILE.
  int64_t refused() const { return refused_.load(); }

 private:
  Listener() = default;
  void Run();

  std::vector<int> fds_;
  int port_ = 0;
  int spare_fd_ = -1;
  grpc::Server* server_ = nullptr;
  int max_connections_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> refused_{0};
  std::thread thread_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_LIMITS_H_
