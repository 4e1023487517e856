// What every quorum subcommand shares: the global flags, the channel, the
// per-call context (deadline, bearer token), exit codes and usage errors.
#ifndef QUORUM_CLIENTS_QUORUM_CLI_H_
#define QUORUM_CLIENTS_QUORUM_CLI_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/quorum/output.h"

namespace quorum::cli {

// Exit codes of the quorum binary.
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError =
    1;  // The server said no (or rows were rejected).
inline constexpr int kExitUsage = 2;  // Bad flags or values, unreadable files.

// A bad flag value or an unreadable file, found after parsing. main() prints
// "quorum: <message>" and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The global flags, filled by CLI11 before a subcommand runs.
struct Globals {
  // One address, or several separated by commas (round robin).
  std::string server = "127.0.0.1:50051";
  // Where `server` came from, for errors: "--server" or "$QUORUM_SERVER".
  std::string server_source = "--server";
  std::string token;
  // TLS: the CA to verify quorumd's certificate with (TLS is on when set),
  // and a client certificate and key for mutual TLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;  // Expected name in quorumd's certificate.
  bool json = false;             // --json: the same as -o json.
  std::string output = "table";  // -o/--output: table, json, yaml or csv.
  int width = 0;  // --width; 0: the terminal's width, 80 when not a terminal.
  bool no_pager = false;  // --no-pager.
  std::string as_of;      // RFC 3339; empty for "now" (the server's clock).
  double timeout = 10;    // Seconds; a deadline on every call.
  bool timeout_set =
      false;  // --timeout was given (watch has no deadline otherwise).
};

// Parses an RFC 3339 time (or a YYYY-MM-DD date, as midnight UTC) for
// `flag`; throws UsageError naming the flag.
google::protobuf::Timestamp ParseTime(const std::string& flag,
                                      const std::string& text);

// Whether `text` is a date (YYYY-MM-DD) rather than a time.
bool IsDate(const std::string& text);

// The context of one run: global flags plus a lazily created channel.
// Not thread-safe; one per process.
class Cli {
 public:
  explicit Cli(const Globals& globals) : globals_(globals) {}

  const Globals& globals() const { return globals_; }
  // -o json or yaml (or --json): print messages, not text.
  bool json() const {
    return format() == OutputFormat::kJson || format() == OutputFormat::kYaml;
  }
  OutputFormat format() const;
  // Prints `message` as JSON or YAML, as -o asks.
  void PrintStructured(const google::protobuf::Message& message) const {
    quorum::cli::PrintStructured(format(), message);
  }

  // The channel to --server, created on first use.
  std::shared_ptr<grpc::Channel> Channel();

  // Sets the deadline (--timeout) and the bearer token on `context`.
  void Prepare(grpc::ClientContext& context) const;

  // Sets only the bearer token (streams whose deadline is handled apart).
  void PrepareWithoutDeadline(grpc::ClientContext& context) const;

  // Sets `message`'s as_of from --as-of; leaves it unset (the server's
  // "now") when the flag is absent. Throws UsageError when it is not
  // RFC 3339.
  template <typename Request>
  void SetAsOf(Request& request) const {
    if (globals_.as_of.empty()) return;
    *request.mutable_as_of() = ParseTime("--as-of", globals_.as_of);
  }

 private:
  Globals globals_;
  std::shared_ptr<grpc::Channel> channel_;
};

// What a parsed subcommand runs; returns the exit code.
using Action = std::function<int(Cli&)>;

// Registers each subcommand on `app`; a parsed subcommand stores its action
// in `action`. One function per commands_*.cc file.
void AddReviewCommand(CLI::App& app, Action& action);
void AddReadinessCommands(CLI::App& app,
                          Action& action);              // ready, watch, metrics
void AddIntakeCommands(CLI::App& app, Action& action);  // lead, signals, notes
void AddImportCommand(CLI::App& app, Action& action);   // import
void AddPolicyCommands(CLI::App& app, Action& action);  // policy
void AddWorkflowCommands(CLI::App& app, Action& action);  // status, handoff
void AddGraphCommand(CLI::App& app, Action& action);      // graph
void AddMoveCommand(CLI::App& app, Action& action);       // move
void AddAdminCommands(CLI::App& app, Action& action);     // admin backup
void AddWebhookCommands(CLI::App& app, Action& action);   // webhook

// "accounts/x" for "x"; a text with a slash ("accounts/x", or a malformed
// "Accounts/X") unchanged, for the server to judge.
std::string AccountName(const std::string& account);

// The whole of FILE, or standard input for "-". Throws UsageError when it
// cannot be read.
std::string ReadInput(const std::string& path);

// Parses an enum value of `descriptor` given in full ("ROUTE_NURTURE") or
// without its prefix ("nurture", any case); throws UsageError listing the
// accepted values.
int ParseEnum(const std::string& flag, const std::string& text,
              const google::protobuf::EnumDescriptor* descriptor);

// The actor of a change: --actor, else $QUORUM_ACTOR, else $USER, else "cli".
std::string DefaultActor(const std::string& flag_value);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_CLI_H_
