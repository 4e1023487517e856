#include "server/limits.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grpc/grpc.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_posix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace quorum::server {
namespace {

int Millis(int seconds) {
  return seconds > INT32_MAX / 1000 ? INT32_MAX : seconds * 1000;
}

// Open descriptors of this process.
int OpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count - 3;  // ".", ".." and the directory's own descriptor.
}

int SoftDescriptorLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > INT32_MAX) {
    return INT32_MAX;
  }
  return static_cast<int>(limit.rlim_cur);
}

// host and port of "host:port" or "[v6]:port".
absl::Status SplitHostPort(const std::string& listen, std::string* host,
                           std::string* port) {
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() ||
        listen[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", listen, " is not [address]:port"));
    }
    *host = listen.substr(1, close - 1);
    *port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", listen, " is not host:port"));
    }
    *host = listen.substr(0, colon);
    *port = listen.substr(colon + 1);
  }
  int number = 0;
  if (!absl::SimpleAtoi(*port, &number) || number < 0 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen ", listen, ": the port is not 0 to 65535"));
  }
  return absl::OkStatus();
}

void Log(const std::string& message) {
  std::cerr << "quorumd: " << message << std::endl;
}

}  // namespace

void AddLimitFlags(CLI::App& app, LimitOptions* o) {
  app.add_option("--max-concurrent-streams", o->max_concurrent_streams,
                 "Calls one connection may have open at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--min-ping-interval-seconds", o->min_ping_interval_seconds,
                 "Shortest interval between client pings without data; "
                 "faster pings are strikes")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-ping-strikes", o->max_ping_strikes,
                 "Ping strikes before a connection is closed (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--permit-pings-without-calls", o->permit_pings_without_calls,
                 "Whether clients may ping while they have no call open")
      ->capture_default_str();
  app.add_option("--max-connection-idle-seconds",
                 o->max_connection_idle_seconds,
                 "Close a connection without calls after this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-connection-age-seconds", o->max_connection_age_seconds,
                 "Close every connection after this long (clients reconnect)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-connection-age-grace-seconds",
                 o->max_connection_age_grace_seconds,
                 "Time calls get to finish once their connection is too old")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--handshake-timeout-seconds", o->handshake_timeout_seconds,
                 "Time a new connection has to complete its handshake")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-metadata-bytes", o->max_metadata_bytes,
                 "Largest request header block (metadata) in bytes")
      ->check(CLI::Range(1024, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-threads", o->max_threads,
                 "Threads for synchronous calls (gRPC resource quota)")
      ->check(CLI::Range(4, 10000))
      ->capture_default_str();
  app.add_option("--max-connections", o->max_connections,
                 "Open connections at most (0: the descriptor limit minus " +
                     std::to_string(kReservedDescriptors) + ")")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

absl::Status CheckLimits(const LimitOptions& o) {
  auto positive = [](int value, const char* flag) -> absl::Status {
    if (value > 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(flag, " must be positive"));
  };
  for (auto [value, flag] :
       {std::pair{o.max_concurrent_streams, "--max-concurrent-streams"},
        std::pair{o.max_connection_idle_seconds,
                  "--max-connection-idle-seconds"},
        std::pair{o.max_connection_age_seconds, "--max-connection-age-seconds"},
        std::pair{o.handshake_timeout_seconds, "--handshake-timeout-seconds"},
        std::pair{o.max_metadata_bytes, "--max-metadata-bytes"},
        std::pair{o.max_threads, "--max-threads"}}) {
    if (absl::Status s = positive(value, flag); !s.ok()) return s;
  }
  if (o.min_ping_interval_seconds < 0 || o.max_ping_strikes < 0 ||
      o.max_connection_age_grace_seconds < 0 || o.max_connections < 0) {
    return absl::InvalidArgumentError(
        "ping interval, ping strikes, age grace and connections must not be "
        "negative");
  }
  return absl::OkStatus();
}

void ApplyLimits(const LimitOptions& o, grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                              o.max_concurrent_streams);
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(o.min_ping_interval_seconds));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                              o.max_ping_strikes);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                              o.permit_pings_without_calls ? 1 : 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                              Millis(o.max_connection_idle_seconds));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                              Millis(o.max_connection_age_seconds));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                              Millis(o.max_connection_age_grace_seconds));
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                              Millis(o.handshake_timeout_seconds));
  builder->AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, o.max_metadata_bytes);
  grpc::ResourceQuota quota("quorumd");
  quota.SetMaxThreads(o.max_threads);
  builder->SetResourceQuota(quota);
}

int RaiseDescriptorLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return SoftDescriptorLimit();
}

int ConnectionCap(const LimitOptions& o) {
  const int budget =
      SoftDescriptorLimit() - OpenDescriptors() - kReservedDescriptors;
  const int automatic = budget > 1 ? budget : 1;
  return o.max_connections > 0 ? std::min(o.max_connections, automatic)
                               : automatic;
}

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(
    const std::string& data_dir) {
  const std::string path = data_dir + "/quorumd.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("the data folder ", data_dir,
                       " is in use by another quorumd (it holds ", path,
                       "); stop it or give this one another --data-dir"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
  }
  // The holder's pid, for whoever looks.
  if (ftruncate(fd, 0) == 0) {
    const std::string pid = absl::StrCat(getpid(), "\n");
    if (pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // Informational only.
    }
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { close(fd_); }

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(
    const std::string& listen) {
  std::string host, port;
  if (absl::Status s = SplitHostPort(listen, &host, &port); !s.ok()) return s;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(),
                       &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--listen ", listen,
                                                   ": cannot resolve ", host,
                                                   ": ", gai_strerror(rc)));
  }
  std::unique_ptr<struct addrinfo, void (*)(struct addrinfo*)> guard(
      found, freeaddrinfo);
  std::unique_ptr<Listener> listener(new Listener());
  int count = 0;
  for (auto* a = found; a != nullptr; a = a->ai_next) ++count;
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    if (listener->port_ != 0) {  // Every address on the port of the first.
      if (a->ai_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_port =
            htons(static_cast<uint16_t>(listener->port_));
      } else if (a->ai_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_port =
            htons(static_cast<uint16_t>(listener->port_));
      }
    }
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
    if (fd < 0) continue;
    listener->fds_.push_back(fd);
    // SO_REUSEADDR (restart while old connections linger) but never
    // SO_REUSEPORT (two servers sharing a port).
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (a->ai_family == AF_INET6 && count > 1) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      const int error = errno;
      if (error == EADDRINUSE) {
        return absl::UnavailableError(absl::StrCat(
            "cannot listen on ", listen,
            ": the address is already in use (another quorumd or another "
            "program holds the port); stop it or choose another --listen"));
      }
      return absl::UnavailableError(absl::StrCat("cannot listen on ", listen,
                                                 ": ", std::strerror(error)));
    }
    if (::listen(fd, 1024) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", listen,
                                                 ": ", std::strerror(errno)));
    }
    if (listener->port_ == 0) {
      struct sockaddr_storage bound;
      socklen_t length = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
      listener->port_ =
          bound.ss_family == AF_INET6
              ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
              : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }
  if (listener->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  return listener;
}

Listener::~Listener() {
  Stop();
  for (int fd : fds_) close(fd);
  if (spare_fd_ >= 0) close(spare_fd_);
}

void Listener::Start(grpc::Server* server, int max_connections) {
  server_ = server;
  max_connections_ = max_connections;
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

void Listener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int fd : fds_) close(fd);
  fds_.clear();
}

void Listener::Run() {
  // Descriptors open before the first connection: the rest are connections
  // (gRPC uses one descriptor per connection).
  const int baseline = OpenDescriptors();
  std::vector<struct pollfd> polls;
  for (int fd : fds_) polls.push_back({fd, POLLIN, 0});
  int64_t last_logged = -1;
  while (!stop_) {
    int ready = poll(polls.data(), polls.size(), 200);
    if (ready <= 0) continue;
    for (auto& p : polls) {
      if ((p.revents & POLLIN) == 0) continue;
      while (!stop_) {
        int fd = accept4(p.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
            // Out of descriptors: use the spare one to take the connection
            // off the queue and close it, so the client is told at once.
            close(spare_fd_);
            int taken = accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (taken >= 0) {
              close(taken);
              ++refused_;
            }
            spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
          }
          break;  // EAGAIN: nothing more to accept now.
        }
        if (OpenDescriptors() - baseline > max_connections_) {
          close(fd);  // Over the cap: refused, the server stays reachable.
          ++refused_;
          continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        grpc::AddInsecureChannelFromFd(server_, fd);
      }
    }
    const int64_t refused = refused_.load();
    if (refused != last_logged && refused > 0 &&
        (last_logged < 0 || refused / 100 != last_logged / 100)) {
      Log(absl::StrCat(
          refused, " connection(s) refused so far: the connection cap (",
          max_connections_, ") or the descriptor limit was reached"));
      last_logged = refused;
    }
  }
}

}  // namespace quorum::server
