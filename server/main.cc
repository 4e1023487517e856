// quorumd: the quorum gRPC server.
//
//   quorumd [--listen 127.0.0.1:50051] [--data-dir ./quorum-data]
//           [--max-message-bytes 4194304] [--demo-data FILE] [--port-file FILE]
//           [limits: see server/limits.h and docs/security.md]
//
// Serves until SIGINT or SIGTERM, then: health goes NOT_SERVING, calls in
// flight drain (up to --shutdown-grace-seconds), LMDB closes. Logs to stderr.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/server.h"

namespace {

void Log(const std::string& message) {
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone())
            << " quorumd: " << message << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  quorum::server::ServerOptions options;
  std::string demo;
  std::string port_file;
  int grace_seconds = 10;
  CLI::App app{"quorumd: the quorum gRPC server (account graph and "
               "qualification)."};
  app.add_option("--listen", options.listen,
                 "Address to serve on, host:port (port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "LMDB data directory")
      ->capture_default_str();
  app.add_option("--max-message-bytes", options.max_message_bytes,
                 "Largest request or response message in bytes")
      ->check(CLI::PositiveNumber)
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
  app.add_option("--shutdown-grace-seconds", grace_seconds,
                 "How long calls in flight may take to finish at shutdown")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  quorum::server::AddLimitFlags(app, &options.limits);
  CLI11_PARSE(app, argc, argv);

  // A write past a file-size limit fails with EFBIG (answered as a full
  // disk) instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);
  const int descriptors = quorum::server::RaiseDescriptorLimit();

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = quorum::server::QuorumServer::Start(options);
  if (!server.ok()) {
    Log(absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  if (!demo.empty()) {
    auto created = quorum::server::LoadBundleFile((*server)->store(), demo);
    if (!created.ok()) {
      Log(absl::StrCat("cannot load demo data: ", created.status().ToString()));
      return 1;
    }
    Log(absl::StrCat("demo data ", demo, ": ", *created,
                     " record(s) created, the rest already present"));
  }
  Log(absl::StrCat("serving on port ", (*server)->port(), " (", options.listen,
                   "), data in ", options.data_dir, ", policy revision ",
                   (*server)->policy_revision(), ", descriptor limit ",
                   descriptors, ", at most ", (*server)->connection_cap(),
                   " connections"));
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << (*server)->port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }

  int received = 0;
  sigwait(&signals, &received);
  Log(absl::StrCat("received ", received == SIGINT ? "SIGINT" : "SIGTERM",
                   ": health NOT_SERVING, draining calls"));
  (*server)->Shutdown(absl::Seconds(grace_seconds));
  server->reset();
  Log("stopped; LMDB closed");
  return 0;
}
