// quorum: the command-line client of quorumd, for account reviews and the
// tasks around them. See docs/cli.md.
//
//   quorum [--server HOST:PORT[,IP:PORT...]] [--token T]
//          [-o table|json|yaml|csv] [--json] [--as-of RFC3339]
//          [--timeout SECONDS] [--width N] [--no-pager] [--version]
//          SUBCOMMAND ...
//
// Exit codes: 0 success; 1 the server answered with an error (printed to
// stderr as the gRPC code, message and field violations), or rows/signals/a
// policy were rejected; 2 usage errors (bad flags or values, unreadable
// files).
#include <cstdlib>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/quorum/channel.h"
#include "clients/quorum/cli.h"
#include "clients/quorum/completion.h"
#include "clients/quorum/terminal.h"
#include "clients/quorum/text.h"
#include "quorum_version.h"

int main(int argc, char** argv) {
  using namespace quorum::cli;
  Globals globals;
  if (const char* server = std::getenv("QUORUM_SERVER")) {
    if (server[0] != '\0') globals.server = server;
  }
  CLI::App app{
      "quorum: review accounts, move them along and feed quorumd.\n"
      "Exit codes: 0 ok, 1 server error or rejected input, 2 usage error."};
  app.name("quorum");
  app.require_subcommand(1);
  app.fallthrough();  // Global flags also after the subcommand.
  app.set_version_flag("--version", std::string("quorum ") + quorum::Version(),
                       "Print the version (git describe) and exit");
  const CLI::Validator positive_seconds(
      [](std::string& text) -> std::string {
        try {
          size_t used = 0;
          double value = std::stod(text, &used);
          if (used == text.size() && value > 0 && value <= 86400 * 7) return "";
        } catch (const std::exception&) {
        }
        return "\"" + text + "\" is not a number of seconds above 0";
      },
      "SECONDS");
  // The last value wins, so that an alias with --server can be overridden.
  const auto last = CLI::MultiOptionPolicy::TakeLast;
  auto* server =
      app.add_option("--server", globals.server,
                     "quorumd address, host:port, or several IP:PORT "
                     "separated by commas (round robin; env QUORUM_SERVER)")
          ->capture_default_str()
          ->multi_option_policy(last);
  app.add_option("--token", globals.token,
                 "Bearer token sent as `authorization` metadata (env "
                 "QUORUM_TOKEN)")
      ->envname("QUORUM_TOKEN")
      ->multi_option_policy(last);
  app.add_option("--tls-ca", globals.tls_ca,
                 "Use TLS, verifying quorumd's certificate with this PEM CA "
                 "(env QUORUM_TLS_CA)")
      ->envname("QUORUM_TLS_CA")
      ->multi_option_policy(last);
  app.add_option("--tls-cert", globals.tls_cert,
                 "Client certificate (PEM) for mutual TLS (env QUORUM_TLS_CERT)")
      ->envname("QUORUM_TLS_CERT")
      ->multi_option_policy(last);
  app.add_option("--tls-key", globals.tls_key,
                 "Private key (PEM) of --tls-cert (env QUORUM_TLS_KEY)")
      ->envname("QUORUM_TLS_KEY")
      ->multi_option_policy(last);
  app.add_option("--tls-server-name", globals.tls_server_name,
                 "Name to expect in quorumd's certificate, when it differs "
                 "from --server's host")
      ->multi_option_policy(last);
  app.add_option("-o,--output", globals.output,
                 "Output format: table (text for people), json or yaml "
                 "(protobuf JSON mapping), csv (ready)")
      ->check(CLI::IsMember({"table", "json", "yaml", "csv"}))
      ->capture_default_str()
      ->multi_option_policy(last);
  app.add_flag("--json", globals.json, "The same as -o json");
  app.add_option("--width", globals.width,
                 "Lay text out for N columns (default: the terminal's width; "
                 "80 when not a terminal)")
      ->envname("QUORUM_WIDTH")
      ->check(CLI::Range(static_cast<int>(kMinScreenWidth),
                         static_cast<int>(kMaxScreenWidth)))
      ->multi_option_policy(last);
  app.add_flag("--no-pager", globals.no_pager,
               "Never page long output (review) through $PAGER");
  app.add_option("--as-of", globals.as_of,
                 "Judge at this time (RFC 3339), for every call that takes "
                 "as_of; default now")
      ->multi_option_policy(last);
  auto* timeout = app.add_option("--timeout", globals.timeout,
                                 "Deadline of each call in seconds")
                      ->check(positive_seconds)
                      ->capture_default_str()
                      ->multi_option_policy(last);

  Action action;
  AddReviewCommand(app, action);
  AddReadinessCommands(app, action);
  AddIntakeCommands(app, action);
  AddImportCommand(app, action);
  AddPolicyCommands(app, action);
  AddWorkflowCommands(app, action);
  AddGraphCommand(app, action);
  AddMoveCommand(app, action);
  AddAdminCommands(app, action);
  AddWebhookCommands(app, action);
  AddCompletionCommand(app, action);
  ShowGlobalFlagsInSubcommandHelp(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped subcommand: say which, and the nearest ones.
    if (auto unknown = UnknownSubcommandMessage(
            app, std::vector<std::string>(argv + 1, argv + argc))) {
      std::cerr << "quorum: " << *unknown;
      return kExitUsage;
    }
    app.exit(e);  // Prints the message and the usage hint.
    return kExitUsage;
  }
  if (globals.json && globals.output != "table" && globals.output != "json") {
    std::cerr << "quorum: --json and -o " << globals.output
              << " contradict each other\n";
    return kExitUsage;
  }
  // CSV is a table of rows: only the listings have one. Refused before any
  // call, so that nothing is written for an output that cannot be printed.
  if (globals.output == "csv" && !app.got_subcommand("ready")) {
    std::cerr << "quorum: -o csv is for listings (ready); use -o json or "
                 "-o yaml for this command\n";
    return kExitUsage;
  }
  SetScreenWidth(OutputWidth(globals.width));
  globals.timeout_set = timeout->count() > 0;
  if (const char* env = std::getenv("QUORUM_SERVER");
      server->count() == 0 && env != nullptr && env[0] != '\0') {
    globals.server_source = "$QUORUM_SERVER";
  }
  if (!action) {
    std::cerr << "quorum: no subcommand given; see quorum --help\n";
    return kExitUsage;
  }
  try {
    // A bad address list is refused before any call.
    ParseServerAddresses(globals.server_source, globals.server);
    Cli cli(globals);
    return action(cli);
  } catch (const UsageError& e) {
    std::cerr << "quorum: " << e.what() << "\n";
    return kExitUsage;
  }
}
