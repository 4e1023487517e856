// quorumd: the quorum gRPC server.
//
//   quorumd [--listen=127.0.0.1:50051] [--data-dir=./quorum-data]
//           [--max-message-bytes=4194304] [--demo-data=FILE] [--port-file=FILE]
//
// Serves until SIGINT or SIGTERM, then: health goes NOT_SERVING, calls in
// flight drain (up to --shutdown-grace-seconds), LMDB closes. Logs to stderr.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve on, host:port (port 0 picks a free port)");
ABSL_FLAG(std::string, data_dir, "./quorum-data", "LMDB data directory");
ABSL_FLAG(int, max_message_bytes, 4 << 20,
          "Largest request or response message in bytes");
ABSL_FLAG(std::string, demo_data, "",
          "Text-format quorum.v1.ResourceBundle to load at start; records "
          "that already exist are kept as they are");
ABSL_FLAG(std::string, port_file, "",
          "Write the bound port to this file once serving");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "How long calls in flight may take to finish at shutdown");

namespace {

void Log(const std::string& message) {
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone())
            << " quorumd: " << message << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "quorum gRPC server: the account graph and its qualification.");
  absl::ParseCommandLine(argc, argv);

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  quorum::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  auto server = quorum::server::QuorumServer::Start(options);
  if (!server.ok()) {
    Log(absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  const std::string demo = absl::GetFlag(FLAGS_demo_data);
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
                   "), data in ", options.data_dir));
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << (*server)->port() << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }

  int received = 0;
  sigwait(&signals, &received);
  Log(absl::StrCat("received ", received == SIGINT ? "SIGINT" : "SIGTERM",
                   ": health NOT_SERVING, draining calls"));
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  server->reset();
  Log("stopped; LMDB closed");
  return 0;
}
