// The channel of the quorum CLI: --server's one address or several
// (comma-separated, round robin over them), and the service config that
// retries idempotent calls on UNAVAILABLE. See docs/cli.md "Several
// addresses and retries".
#ifndef QUORUM_CLIENTS_QUORUM_CHANNEL_H_
#define QUORUM_CLIENTS_QUORUM_CHANNEL_H_

#include <string>
#include <vector>

namespace quorum::cli {

// What --server's value becomes.
struct ChannelTarget {
  // The gRPC target: one address as given, or "ipv4:A,B" / "ipv6:[A],[B]".
  std::string target;
  // The authority (and the name TLS expects in the certificate) for a list:
  // its first address. Empty for one address (gRPC derives it).
  std::string authority;
};

// Parses `text`, the value of `flag` (--server or $QUORUM_SERVER): a gRPC
// target with a scheme ("dns:///host:port", "ipv4:...", "unix:...") or a
// single address, used as given; or several HOST:PORT addresses separated
// by commas, each an IPv4 address or a bracketed IPv6 address of the same
// family, with a port. Throws UsageError naming `flag` otherwise.
ChannelTarget ParseServerAddresses(const std::string& flag,
                                   const std::string& text);

// The full names ("quorum.v1.WorkflowService/ListHandoffs") of the methods
// the channel retries on UNAVAILABLE: the reads, and the writes whose
// request carries a request_id (AIP-155), which the CLI always sends.
const std::vector<std::string>& RetriedMethods();

// The channel's service config (JSON): round_robin over the addresses, and
// a retry policy (at most kMaxAttempts attempts, exponential backoff, on
// UNAVAILABLE only) for RetriedMethods().
const std::string& ServiceConfigJson();

inline constexpr int kMaxAttempts = 4;

// A new random request ID (a version 4 UUID), for writes run without
// --request-id: every retry of that call carries the same ID, so the server
// applies it once.
std::string NewRequestId();

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_CHANNEL_H_
