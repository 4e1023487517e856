// A quorumd child process for end-to-end tests: started on a free port with
// its own data directory, stderr kept in a log file, killed on destruction.
#ifndef QUORUM_TESTS_SUPPORT_QUORUMD_PROCESS_H_
#define QUORUM_TESTS_SUPPORT_QUORUMD_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace quorum::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A quorumd child process; its stderr goes to `data_dir`.log. With a
// "--store=..." in `extra`, no --data-dir is given.
// The binary is QUORUMD_PATH, defined by the e2e test target.
class Quorumd {
 public:
  // `in_child` runs in the child before exec (e.g. to set resource limits).
  // An "--listen=..." in `extra` replaces the default 127.0.0.1:0.
  Quorumd(const std::string& data_dir, std::vector<std::string> extra = {},
          std::function<void()> in_child = nullptr,
          const std::string& log_name = "")
      : port_file_((log_name.empty() ? data_dir : log_name) + ".port"),
        log_file_((log_name.empty() ? data_dir : log_name) + ".log") {
    std::remove(port_file_.c_str());
    std::vector<std::string> args = {QUORUMD_PATH, "--port-file=" + port_file_};
    bool listen_given = false;
    bool store_given = false;  // Then `data_dir` only names the log.
    for (const auto& e : extra) {
      listen_given |= e.rfind("--listen=", 0) == 0;
      store_given |= e.rfind("--store=", 0) == 0;
    }
    if (!store_given) args.push_back("--data-dir=" + data_dir);
    if (!listen_given) args.push_back("--listen=127.0.0.1:0");
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      if (freopen(log_file_.c_str(), "w", stderr) == nullptr) _exit(126);
      if (in_child) in_child();
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Quorumd() {
    if (pid_ > 0) Kill(SIGKILL);
  }
  Quorumd(const Quorumd&) = delete;
  Quorumd& operator=(const Quorumd&) = delete;

  // Waits for the port file; 0 when the process exited (see exit_status())
  // or did not get there in 30 s.
  int WaitForPort() {
    for (int i = 0; i < 300; ++i) {
      std::ifstream in(port_file_);
      int port = 0;
      if (in >> port && port > 0) return port;
      if (Reap(WNOHANG)) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  }

  // Waits up to 30 s for the process to exit by itself; its wait status, or
  // nullopt when it is still running.
  std::optional<int> WaitForExit() {
    for (int i = 0; i < 300; ++i) {
      if (Reap(WNOHANG)) return exit_status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }

  std::string Log() const { return ReadFile(log_file_); }
  pid_t pid() const { return pid_; }
  bool PortFileExists() const { return std::filesystem::exists(port_file_); }

  std::shared_ptr<grpc::Channel> Channel() {
    int port = WaitForPort();
    EXPECT_GT(port, 0) << "quorumd did not start: " << Log();
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                               grpc::InsecureChannelCredentials());
  }

  // Sends `sig` without waiting for the process (e.g. SIGHUP).
  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }

  // Sends `sig` and returns the wait status; -1 when the process is gone.
  int Kill(int sig) {
    if (pid_ <= 0) return -1;  // Never kill(-1, ...): that is every process.
    kill(pid_, sig);
    Reap(0);
    return exit_status_;
  }

 private:
  // Collects the child's exit; true when it has exited.
  bool Reap(int options) {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, options) == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return true;
    }
    return false;
  }

  std::string port_file_;
  std::string log_file_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_SUPPORT_QUORUMD_PROCESS_H_
