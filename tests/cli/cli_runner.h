// Helpers for the tests of the quorum binary: run it as a child process with
// a controlled environment (no TTY, or a pseudo-terminal), capture its
// output and exit code, and compare output with golden files.
//
// Compile definitions (tests/cli/CMakeLists.txt): QUORUM_PATH (the binary),
// QUORUM_CLI_GOLDEN_DIR and QUORUM_CLI_DATA_DIR (tests/cli/golden, data).
#ifndef QUORUM_TESTS_CLI_CLI_RUNNER_H_
#define QUORUM_TESTS_CLI_CLI_RUNNER_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/grpc_testing.h"
#include "tests/support/quorumd_process.h"

namespace quorum::testing {

// What a run of the quorum binary gave.
struct CliResult {
  int exit_code = -1;  // -1 when it did not exit normally.
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const CliResult& r) {
  return os << "exit " << r.exit_code << "\n--- stdout\n"
            << r.out << "--- stderr\n"
            << r.err;
}

// The environment of a run: PATH and HOME from ours (dot is found on PATH),
// nothing else unless given, so QUORUM_* variables of the person running the
// tests do not leak in.
inline std::vector<std::string> CliEnvironment(
    const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (const char* name : {"PATH", "HOME"}) {
    if (const char* value = std::getenv(name)) {
      env.push_back(std::string(name) + "=" + value);
    }
  }
  env.push_back("USER=cli-test");
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

inline std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs `quorum ARGS...` with stdout and stderr on pipes (not a TTY) and
// `input` on stdin.
inline CliResult RunQuorum(std::vector<std::string> args,
                           const std::string& input = "",
                           const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), QUORUM_PATH);
  std::vector<std::string> environment = CliEnvironment(env);
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    auto argv = Pointers(args);
    auto envp = Pointers(environment);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Small inputs only (a pipe holds 64 KiB): written before reading.
  if (!input.empty()) {
    size_t written = 0;
    while (written < input.size()) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
  }
  close(in[1]);
  CliResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, 60000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Runs `quorum ARGS...` with stdout and stderr on a pseudo-terminal; returns
// what the terminal showed (both streams).
inline CliResult RunQuorumOnTty(
    std::vector<std::string> args,
    const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), QUORUM_PATH);
  std::vector<std::string> environment = CliEnvironment(env);
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    auto argv = Pointers(args);
    auto envp = Pointers(environment);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  CliResult result;
  char buffer[4096];
  while (true) {
    ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has exited.
    result.out.append(buffer, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Compares `actual` with tests/cli/golden/NAME; with QUORUM_UPDATE_GOLDEN=1
// in the environment, (re)writes the golden file instead. A difference fails
// the test with `diff -u golden actual`.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(QUORUM_CLI_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("QUORUM_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    WriteFile(path, actual);
    std::cerr << "updated " << path << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no golden file " << path
                         << "; create it with QUORUM_UPDATE_GOLDEN=1";
  std::string expected((std::istreambuf_iterator<char>(in)), {});
  if (expected == actual) return;
  TempDir dir;
  const std::string actual_path = dir.path() + "/" + name;
  WriteFile(actual_path, actual);
  std::string command = "diff -u '" + path + "' '" + actual_path + "' 2>&1";
  std::string diff;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
      diff.append(buffer, n);
    pclose(pipe);
  }
  ADD_FAILURE() << "output differs from " << path
                << " (QUORUM_UPDATE_GOLDEN=1 rewrites it after a deliberate "
                   "change):\n"
                << diff;
}

// A quorumd with the demo data in a temporary directory, for a test suite.
class DemoServer {
 public:
  DemoServer()
      : server_(dir_.path() + "/data", {"--demo-data=" QUORUM_DEMO_DATA}) {
    port_ = server_.WaitForPort();
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Log() const { return server_.Log(); }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;  // Before server_: removed after it stops.
  Quorumd server_;
  int port_ = 0;
};

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_CLI_CLI_RUNNER_H_
