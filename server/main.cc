// quorumd: the quorum gRPC server.
//
//   quorumd [--listen 127.0.0.1:50051] [--store lmdb:./quorum-data |
//            --store postgresql://user@host:port/database]
//           [--max-message-bytes 4194304] [--demo-data FILE] [--port-file FILE]
//           [--event-retention-count 1000000] [--event-retention-days 0]
//           [--webhook-timeout-seconds 10] [--webhook-max-failures 10]
//           [--webhook-backoff-seconds 1] [--webhook-max-backoff-seconds 300]
//           [limits: see server/limits.h and docs/security.md]
//           [--token-file FILE] [--tls-cert PEM --tls-key PEM]
//           [--tls-client-ca PEM [--mtls-scopes read,write]]
//   quorumd token create --token-file FILE --name NAME --scopes read,write
//   quorumd token list --token-file FILE
//   quorumd token revoke --token-file FILE --name NAME
//
// Serves until SIGINT or SIGTERM, then: health goes NOT_SERVING, calls in
// flight drain (up to --shutdown-grace-seconds), LMDB closes. SIGHUP reloads
// the token file (a broken file keeps the tokens in force). Logs to stderr.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "quorum_version.h"
#include "server/server.h"

namespace {

void Log(const std::string& message) {
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone())
            << " quorumd: " << message << std::endl;
}

// `quorumd token ...`: manages the token file; the server need not run (a
// running one picks the change up on SIGHUP).
struct TokenCommand {
  std::string file;
  std::string name;
  std::string scopes;
};

int RunTokenCommand(const std::string& action, const TokenCommand& t) {
  using quorum::server::ScopeName;
  if (action == "create") {
    auto scopes = quorum::server::ParseScopes(t.scopes, "--scopes");
    if (!scopes.ok()) {
      std::cerr << "quorumd token create: " << scopes.status().message()
                << "\n";
      return 2;
    }
    auto token =
        quorum::server::CreateToken(t.file, t.name, *scopes, absl::Now());
    if (!token.ok()) {
      std::cerr << "quorumd token create: " << token.status().message() << "\n";
      return 1;
    }
    std::cerr << "token '" << t.name << "' (" << t.scopes << ") added to "
              << t.file
              << "; it is shown once, here, and never stored. Send quorumd "
                 "SIGHUP to load it.\n";
    std::cout << *token << std::endl;
    return 0;
  }
  if (action == "revoke") {
    absl::Status revoked = quorum::server::RevokeToken(t.file, t.name);
    if (!revoked.ok()) {
      std::cerr << "quorumd token revoke: " << revoked.message() << "\n";
      return 1;
    }
    std::cerr << "token '" << t.name << "' removed from " << t.file
              << "; send quorumd SIGHUP to apply.\n";
    return 0;
  }
  auto file = quorum::server::ReadTokenFile(t.file);
  if (!file.ok()) {
    std::cerr << "quorumd token list: " << file.status().message() << "\n";
    return 1;
  }
  std::cout << "NAME\tSCOPES\tCREATED\tSHA256\n";
  for (const auto& e : file->tokens()) {
    std::vector<std::string> scopes;
    for (int s : e.scopes()) {
      scopes.push_back(ScopeName(static_cast<quorum::v1::Scope>(s)));
    }
    std::cout << e.name() << "\t" << absl::StrJoin(scopes, ",") << "\t"
              << google::protobuf::util::TimeUtil::ToString(e.create_time())
              << "\t" << e.sha256().substr(0, 12) << "...\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  quorum::server::ServerOptions options;
  std::string demo;
  std::string port_file;
  int grace_seconds = 10;
  CLI::App app{
      "quorumd: the quorum gRPC server (account graph and "
      "qualification)."};
  app.set_version_flag("--version", std::string("quorumd ") + quorum::Version(),
                       "Print the version (git describe) and exit");
  app.add_option("--listen", options.listen,
                 "Address to serve on, host:port (port 0 picks a free port)")
      ->capture_default_str();
  CLI::Option* store = app.add_option(
      "--store", options.store,
      "Where the data lives: lmdb:FOLDER (the default, lmdb:./quorum-data) "
      "or a PostgreSQL URL postgresql://user@host:port/database, which "
      "several quorumd nodes may share (docs/scale-out.md)");
  app.add_option("--data-dir", options.data_dir,
                 "LMDB data folder (the same as --store lmdb:FOLDER)")
      ->capture_default_str()
      ->excludes(store);
  app.add_option("--max-message-bytes", options.max_message_bytes,
                 "Largest request or response message in bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--snapshot-cache-mib", options.snapshot_cache_mib,
                 "Memory budget of the account-tree snapshots verdicts are "
                 "computed from (least recently used go first)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--demo-data", demo,
                 "Text-format quorum.v1.ResourceBundle to load at start; "
                 "records that already exist are kept as they are")
      ->check(CLI::ExistingFile);
  app.add_option("--policy", options.policy_file,
                 "Policy file (text format, or JSON if it ends in .json) to "
                 "publish at start when it differs from the active revision")
      ->check(CLI::ExistingFile);
  app.add_option("--port-file", port_file,
                 "Write the bound port to this file once serving");
  app.add_option("--event-retention-count", options.event_retention_count,
                 "The change feed keeps at most this many readiness events; "
                 "older ones are compacted away (0: no count limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--event-retention-days", options.event_retention_days,
                 "The change feed keeps no readiness event older than this "
                 "many days (0: no age limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--shutdown-grace-seconds", grace_seconds,
                 "How long calls in flight may take to finish at shutdown")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  double webhook_timeout = 10;
  double webhook_backoff = 1;
  double webhook_max_backoff = 300;
  app.add_option("--webhook-timeout-seconds", webhook_timeout,
                 "The longest one webhook delivery may take (connect, send, "
                 "answer) before it counts as failed")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  app.add_option("--webhook-max-failures", options.webhooks.max_failures,
                 "Consecutive failed deliveries after which a webhook is "
                 "paused (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--webhook-backoff-seconds", webhook_backoff,
                 "The wait after a first failed delivery, doubled after each "
                 "further one")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("--webhook-max-backoff-seconds", webhook_max_backoff,
                 "The longest wait between delivery attempts")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  quorum::server::AddLimitFlags(app, &options.limits);
  app.add_option("--token-file", options.token_file,
                 "Token file (names, scopes, SHA-256 of tokens); with it every "
                 "call but health checks needs a token. Needed to serve a "
                 "non-loopback address")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-cert", options.tls_cert,
                 "PEM certificate chain to serve TLS with (with --tls-key)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", options.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-client-ca", options.tls_client_ca,
                 "PEM CA certificate(s): require client certificates signed "
                 "by it (mutual TLS); the certificate subject is the actor")
      ->check(CLI::ExistingFile);
  std::string mtls_scopes;
  app.add_option("--mtls-scopes", mtls_scopes,
                 "Scopes a verified client certificate grants without a "
                 "token, e.g. read,write (default: a token is still needed)");
  app.add_option("--tls-reload-seconds", options.tls_reload_seconds,
                 "How often the TLS files are re-read, so renewed "
                 "certificates are served without a restart")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  TokenCommand token;
  CLI::App* token_app = app.add_subcommand(
      "token", "Manage the token file (create, list, revoke)");
  token_app->require_subcommand(1);
  std::string token_action;
  for (const char* action : {"create", "list", "revoke"}) {
    CLI::App* sub = token_app->add_subcommand(
        action, std::string(action) == "create"
                    ? "Make a token, print it once, append its hash"
                : std::string(action) == "list"
                    ? "List the tokens' names, scopes and creation times"
                    : "Remove a token (SIGHUP the server to apply)");
    sub->add_option("--token-file", token.file, "The token file")->required();
    if (std::string(action) != "list") {
      sub->add_option("--name", token.name, "The token's name")->required();
    }
    if (std::string(action) == "create") {
      sub->add_option("--scopes", token.scopes,
                      "Scopes: read, write, admin, comma-separated")
          ->required();
    }
    sub->callback([&token_action, action] { token_action = action; });
  }
  CLI11_PARSE(app, argc, argv);
  if (!token_action.empty()) return RunTokenCommand(token_action, token);
  options.webhooks.timeout = absl::Seconds(webhook_timeout);
  options.webhooks.backoff = absl::Seconds(webhook_backoff);
  options.webhooks.max_backoff =
      std::max(absl::Seconds(webhook_max_backoff), options.webhooks.backoff);
  if (!mtls_scopes.empty()) {
    auto scopes = quorum::server::ParseScopes(mtls_scopes, "--mtls-scopes");
    if (!scopes.ok()) {
      Log(absl::StrCat("cannot start: ", scopes.status().message()));
      return 2;
    }
    options.mtls_scopes = *scopes;
  }
  options.log = Log;

  // A write past a file-size limit fails with EFBIG (answered as a full
  // disk) instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);
  const int descriptors = quorum::server::RaiseDescriptorLimit();

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = quorum::server::QuorumServer::Start(options);
  if (!server.ok()) {
    Log(absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  if (!demo.empty()) {
    auto created =
        quorum::server::LoadBundleFile(&(*server)->use_cases()->intake(), demo);
    if (!created.ok()) {
      Log(absl::StrCat("cannot load demo data: ", created.status().ToString()));
      return 1;
    }
    Log(absl::StrCat("demo data ", demo, ": ", *created,
                     " record(s) created, the rest already present"));
  }
  Log(absl::StrCat("serving on port ", (*server)->port(), " (", options.listen,
                   "), data in ",
                   quorum::server::ParseStore(options)->description,
                   ", policy revision ", (*server)->policy_revision(),
                   ", descriptor limit ", descriptors,
                   (*server)->connection_cap() > 0
                       ? absl::StrCat(", at most ", (*server)->connection_cap(),
                                      " connections")
                       : std::string(", gRPC's listener (no connection cap)")));
  Log(absl::StrCat(
      options.tls_cert.empty() ? "plaintext" : "TLS",
      options.tls_client_ca.empty() ? "" : " with client certificates", ", ",
      options.token_file.empty()
          ? "no token file: every call is allowed (loopback only)"
          : absl::StrCat("tokens from ", options.token_file)));
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << (*server)->port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }

  int received = 0;
  while (true) {
    sigwait(&signals, &received);
    if (received != SIGHUP) break;
    if (!options.tls_cert.empty()) {
      auto tls = (*server)->CheckTls();
      Log(tls.ok() ? absl::StrCat("SIGHUP: TLS files hold ", *tls,
                                  "; gRPC serves them to new connections "
                                  "within --tls-reload-seconds (",
                                  options.tls_reload_seconds, " s)")
                   : absl::StrCat("SIGHUP: the TLS files on disk are not "
                                  "usable: ",
                                  tls.status().message()));
    }
    if (!(*server)->access_control()) {
      Log("SIGHUP: no --token-file to reload");
      continue;
    }
    auto reloaded = (*server)->ReloadTokens();
    if (reloaded.ok()) {
      Log(absl::StrCat("SIGHUP: token file ", options.token_file, " reloaded, ",
                       *reloaded, " token(s)"));
    } else {
      Log(
          absl::StrCat("SIGHUP: token file not reloaded, the tokens loaded "
                       "before stay in force: ",
                       reloaded.status().message()));
    }
  }
  Log(absl::StrCat("received ", received == SIGINT ? "SIGINT" : "SIGTERM",
                   ": health NOT_SERVING, draining calls"));
  (*server)->Shutdown(absl::Seconds(grace_seconds));
  server->reset();
  Log("stopped; LMDB closed");
  return 0;
}
