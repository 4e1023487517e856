// A throwaway PostgreSQL 15 cluster for tests, on loopback only: initdb in a
// folder, a free 127.0.0.1 port, the Unix socket in the same folder, started
// and stopped with pg_ctl. A streaming standby of another cluster can be made
// (pg_basebackup -R with a replication slot), promoted, and made the
// primary's synchronous standby. Tests run as root, which PostgreSQL refuses:
// then the cluster's folder is given to the `postgres` user and every
// server binary runs through `runuser -u postgres --`.
//
//   std::string why;
//   if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
//   std::string url = PostgresCluster::FreshDatabaseUrl();  // a new database
//
// SharedCluster() is one cluster per test process, started on first use and
// stopped when the process exits; FreshDatabaseUrl() creates an empty
// database in it on each call (thread-safe). A cluster object stops its
// server when destroyed, so nothing stays running after a test.
//
// Under CTest, one cluster serves the whole run instead: the fixture tests
// `postgres.start` and `postgres.stop` (quorum_test_postgres, in
// tests/support/test_postgres_main.cc) start and stop it in the folder that
// QUORUM_TEST_POSTGRES_DIR names, and SharedCluster() attaches to it rather
// than paying an initdb in every test process.
#ifndef QUORUM_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
#define QUORUM_TESTS_SUPPORT_POSTGRES_CLUSTER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace quorum::testing {

class PostgresCluster {
 public:
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
  // The folder of a cluster started for the whole test run (see above).
  static constexpr const char* kRunClusterDirEnv = "QUORUM_TEST_POSTGRES_DIR";

  struct Options {
    // Off for speed in ordinary tests; on where a test relies on what a
    // crash leaves (failover).
    bool fsync = false;
  };

  // Whether the PostgreSQL 15 server binaries are installed; if not, `why`
  // (when given) says so in words fit for a GTEST_SKIP message.
  static bool Available(std::string* why) {
    for (const char* tool :
         {"initdb", "pg_ctl", "postgres", "pg_basebackup", "psql"}) {
      const std::string path = absl::StrCat(kBinDir, "/", tool);
      if (access(path.c_str(), X_OK) != 0) {
        if (why != nullptr) {
          *why = absl::StrCat("PostgreSQL 15 is not installed (", path,
                              " missing): skipped");
        }
        return false;
      }
    }
    if (geteuid() == 0 && getpwnam("postgres") == nullptr) {
      if (why != nullptr) {
        *why =
            "PostgreSQL refuses to run as root and there is no `postgres` "
            "user to run it as: skipped";
      }
      return false;
    }
    return true;
  }

  PostgresCluster() = default;
  ~PostgresCluster() {
    (void)Stop();
    if (remove_dir_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // initdb in `dir`/data (created; `dir` may exist) and start the server on
  // a free loopback port.
  absl::Status Start(const std::string& dir) { return Start(dir, Options()); }
  absl::Status Start(const std::string& dir, Options options) {
    absl::Status s = Prepare(dir);
    if (!s.ok()) return s;
    s = RunLogged({Bin("initdb"), "-D", data_, "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8", "--locale=C"},
                  /*as_postgres=*/true);
    if (!s.ok()) return s;
    s = AppendConfig(
        absl::StrCat("fsync = ", options.fsync ? "on" : "off", "\n",
                     "full_page_writes = ", options.fsync ? "on" : "off", "\n",
                     "wal_level = replica\n"
                     "max_wal_senders = 10\n"
                     "max_replication_slots = 10\n"
                     "wal_keep_size = '64MB'\n"
                     "wal_retrieve_retry_interval = '100ms'\n"
                     "max_connections = 300\n"
                     "shared_buffers = '32MB'\n"));
    if (!s.ok()) return s;
    return Launch();
  }

  // A streaming standby of `primary` in `dir`/data: pg_basebackup -R with a
  // replication slot of its own, started on a free port. Reads work on it
  // (hot standby); writes fail until Promote().
  absl::Status StartReplicaOf(const PostgresCluster& primary,
                              const std::string& dir) {
    absl::Status s = Prepare(dir);
    if (!s.ok()) return s;
    const std::string slot = absl::StrCat("replica_", Pid(), "_", Counter()++);
    s = RunLogged(
        {Bin("pg_basebackup"), "-h", "127.0.0.1", "-p",
         std::to_string(primary.port()), "-U", "postgres", "-D", data_, "-R",
         "-X", "stream", "-c", "fast", "-C", "-S", slot, "--no-sync"},
        /*as_postgres=*/true);
    if (!s.ok()) return s;
    return Launch();
  }

  // Makes this cluster wait, at every commit, for a standby to have the
  // commit on disk (synchronous_standby_names = '*'), and waits until one
  // is synchronous.
  absl::Status MakeSynchronous() {
    absl::Status s =
        Sql("postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'");
    if (s.ok()) s = Sql("postgres", "SELECT pg_reload_conf()");
    if (!s.ok()) return s;
    for (int i = 0; i < 300; ++i) {
      std::string out;
      s = Sql("postgres",
              "SELECT count(*) FROM pg_stat_replication "
              "WHERE sync_state = 'sync'",
              &out);
      if (s.ok() && out.rfind("0", 0) != 0 && !out.empty()) {
        return absl::OkStatus();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return absl::DeadlineExceededError(
        "no synchronous standby after 30 s (pg_stat_replication)");
  }

  // pg_ctl promote -w: a standby becomes a primary.
  absl::Status Promote() {
    return RunLogged({Bin("pg_ctl"), "-D", data_, "-w", "-t", "60", "promote"},
                     /*as_postgres=*/true);
  }

  // A fast shutdown (sessions are ended, the server stops cleanly). Safe to
  // call when not running.
  absl::Status Stop() {
    if (!running_) return absl::OkStatus();
    running_ = false;
    return RunLogged(
        {Bin("pg_ctl"), "-D", data_, "-w", "-t", "60", "-m", "fast", "stop"},
        /*as_postgres=*/true);
  }

  // SIGKILL of the postmaster, as a crashed machine would leave it; waits
  // until the postmaster and its backends are gone.
  absl::Status Kill() {
    if (!running_) return absl::OkStatus();
    running_ = false;
    const pid_t pid = PostmasterPid();
    if (pid <= 0) return absl::InternalError("no postmaster.pid");
    std::vector<pid_t> children = ChildrenOf(pid);
    ::kill(pid, SIGKILL);
    // Backends notice the postmaster's death by themselves; hurry them.
    for (pid_t child : children) ::kill(child, SIGKILL);
    for (int i = 0; i < 300; ++i) {
      bool alive = Alive(pid);
      for (pid_t child : children) alive = alive || Alive(child);
      if (!alive) return absl::OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return absl::DeadlineExceededError("postmaster still alive after SIGKILL");
  }

  // Starts the server again on the same folder and port (after Stop or
  // Kill; crash recovery runs after Kill).
  absl::Status Restart() {
    if (running_) return absl::OkStatus();
    return Launch();
  }

  // Writes this running cluster's port to `dir`/port and lets it run on
  // after this object is gone: the start of the test run's cluster.
  absl::Status Detach() {
    std::ofstream out(dir_ + "/port.tmp");
    out << port_ << "\n";
    out.close();
    if (!out) return absl::InternalError("cannot write " + dir_ + "/port.tmp");
    std::error_code ec;
    std::filesystem::rename(dir_ + "/port.tmp", dir_ + "/port", ec);
    if (ec) return absl::InternalError("cannot write " + dir_ + "/port");
    running_ = false;  // The destructor leaves it running.
    remove_dir_ = false;
    return absl::OkStatus();
  }

  // The cluster a Detach() left running in `dir`; stopped by StopIn(), not
  // by this object.
  absl::Status Attach(const std::string& dir) {
    std::ifstream in(dir + "/port");
    int port = 0;
    if (!(in >> port) || port <= 0) {
      return absl::NotFoundError("no cluster is running in " + dir);
    }
    dir_ = dir;
    data_ = dir + "/data";
    port_ = port;
    launched_ = true;
    return absl::OkStatus();
  }

  // Stops the cluster a Detach() left running in `dir` (if any) and removes
  // the folder.
  static absl::Status StopIn(const std::string& dir) {
    absl::Status s;
    if (std::filesystem::exists(dir + "/data/postmaster.pid")) {
      s = Run({Bin("pg_ctl"), "-D", dir + "/data", "-w", "-t", "60", "-m",
               "fast", "stop"},
              /*as_postgres=*/true, "/dev/null");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return s;
  }

  // CREATE DATABASE `name`.
  absl::Status CreateDatabase(const std::string& name) {
    return Sql("postgres", absl::StrCat("CREATE DATABASE \"", name, "\""));
  }

  // Runs `sql` with psql in database `dbname`; its unaligned output in `out`.
  absl::Status Sql(const std::string& dbname, const std::string& sql,
                   std::string* out = nullptr) const {
    const std::string out_file =
        absl::StrCat(dir_, "/psql-", Pid(), "-", Counter()++, ".out");
    absl::Status s =
        Run({Bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
             "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", "-d",
             dbname, "-c", sql},
            /*as_postgres=*/false, out_file);
    if (out != nullptr) *out = ReadAll(out_file);
    if (!s.ok())
      s = absl::InternalError(
          absl::StrCat(s.message(), ": ", ReadAll(out_file)));
    std::remove(out_file.c_str());
    return s;
  }

  // postgresql://postgres@127.0.0.1:PORT/DBNAME
  std::string Url(const std::string& dbname) const {
    return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", dbname);
  }

  int port() const { return port_; }
  bool running() const { return running_; }
  const std::string& dir() const { return dir_; }
  // The server's log (pg_ctl -l).
  std::string Log() const { return ReadAll(dir_ + "/server.log"); }

  // One cluster for the whole test process, started on first use, stopped
  // when the process exits; nullptr (with `why`) when it cannot run.
  static PostgresCluster* SharedCluster(std::string* why = nullptr) {
    static std::mutex mu;
    static std::string error;
    // Destroyed at exit, which stops the server and removes its folder.
    static std::unique_ptr<PostgresCluster> shared;
    std::lock_guard lock(mu);
    const char* run_dir = getenv(kRunClusterDirEnv);
    if (shared == nullptr && error.empty() && run_dir != nullptr &&
        *run_dir != '\0' && Available(nullptr)) {
      auto cluster = std::make_unique<PostgresCluster>();
      if (cluster->Attach(run_dir).ok()) shared = std::move(cluster);
    }
    if (shared == nullptr && error.empty() && Available(&error)) {
      std::string base = "/tmp/quorum_pg_XXXXXX";
      if (mkdtemp(base.data()) == nullptr) {
        error = "mkdtemp failed";
      } else {
        auto cluster = std::make_unique<PostgresCluster>();
        cluster->remove_dir_ = true;
        absl::Status s = cluster->Start(base);
        if (s.ok()) {
          shared = std::move(cluster);
        } else {
          error = absl::StrCat("cannot start PostgreSQL: ", s.message());
        }
      }
    }
    if (shared == nullptr && why != nullptr) *why = error;
    return shared.get();
  }

  // A new empty database in SharedCluster() and its URL; "" (with `why`)
  // when there is no cluster or CREATE DATABASE failed.
  static std::string FreshDatabaseUrl(std::string* why = nullptr) {
    static std::atomic<int> next{1};
    PostgresCluster* cluster = SharedCluster(why);
    if (cluster == nullptr) return "";
    // Unique across the processes sharing the test run's cluster.
    const std::string name = absl::StrCat("t", Pid(), "_", next++);
    absl::Status s = cluster->CreateDatabase(name);
    if (!s.ok()) {
      if (why != nullptr) *why = std::string(s.message());
      return "";
    }
    return cluster->Url(name);
  }

 private:
  static std::string Bin(const char* tool) {
    return absl::StrCat(kBinDir, "/", tool);
  }
  static pid_t Pid() { return getpid(); }
  static std::atomic<int>& Counter() {
    static std::atomic<int> counter{0};
    return counter;
  }
  static bool AsRoot() { return geteuid() == 0; }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // A port on 127.0.0.1 that was free a moment ago.
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  // Runs argv (as the postgres user when root and `as_postgres`), its
  // output appended to `out_file`; OK when it exits 0.
  static absl::Status Run(std::vector<std::string> argv, bool as_postgres,
                          const std::string& out_file) {
    if (as_postgres && AsRoot()) {
      argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    }
    const std::string command = absl::StrJoin(argv, " ");
    pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
      }
      int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      return absl::OkStatus();
    }
    return absl::InternalError(
        absl::StrCat("`", command, "` failed (wait status ", status, ")"));
  }

  // Run with the output in the cluster's folder, quoted in the error.
  absl::Status RunLogged(std::vector<std::string> argv, bool as_postgres) {
    const std::string log = dir_ + "/commands.log";
    const auto before = std::filesystem::exists(log)
                            ? std::filesystem::file_size(log)
                            : std::uintmax_t{0};
    absl::Status s = Run(std::move(argv), as_postgres, log);
    if (!s.ok()) {
      std::string text = ReadAll(log);
      if (before < text.size()) text = text.substr(before);
      return absl::InternalError(absl::StrCat(s.message(), ": ", text));
    }
    return s;
  }

  // The folder, owned by postgres when root.
  absl::Status Prepare(const std::string& dir) {
    dir_ = dir;
    data_ = dir + "/data";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create ", dir, ": ", ec.message()));
    }
    port_ = FreePort();
    if (port_ == 0) return absl::InternalError("no free port on 127.0.0.1");
    if (AsRoot()) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) return absl::InternalError("no postgres user");
      if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return absl::InternalError(absl::StrCat("cannot chown ", dir));
      }
      chmod(dir.c_str(), 0755);
      // The postgres user must reach the folder: folders above it that
      // others cannot enter (a 0700 temporary folder) are opened to them.
      for (std::filesystem::path p =
               std::filesystem::absolute(dir).parent_path();
           p.has_relative_path(); p = p.parent_path()) {
        struct stat st;
        if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
          chmod(p.c_str(), (st.st_mode & 07777) | S_IXOTH);
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status AppendConfig(const std::string& text) {
    std::ofstream conf(data_ + "/postgresql.conf", std::ios::app);
    conf << "\n# quorum tests\n" << text;
    conf.close();
    if (!conf) return absl::InternalError("cannot write postgresql.conf");
    return absl::OkStatus();
  }

  // pg_ctl start on this folder's port and socket folder; a few tries, as
  // a port taken meanwhile or a dying predecessor can fail one.
  absl::Status Launch() {
    // A postmaster killed while its pid is reused, or left a zombie nobody
    // reaps, would make the lock file look taken.
    const pid_t stale = PostmasterPid();
    if (stale > 0 && !Alive(stale))
      std::remove((data_ + "/postmaster.pid").c_str());
    // So would the lock of its socket, which names the same dead pid.
    if (launched_) {
      const std::string socket_lock =
          absl::StrCat(dir_, "/.s.PGSQL.", port_, ".lock");
      std::ifstream lock(socket_lock);
      pid_t holder = 0;
      lock >> holder;
      lock.close();
      if (holder > 0 && !Alive(holder)) std::remove(socket_lock.c_str());
    }
    absl::Status s;
    for (int attempt = 0; attempt < 5; ++attempt) {
      // Another process may have taken the port since it was picked (a
      // restart keeps the port its URLs name).
      if (attempt > 0 && !launched_) port_ = FreePort();
      s = RunLogged({Bin("pg_ctl"), "-D", data_, "-w", "-t", "60", "-l",
                     dir_ + "/server.log", "-o",
                     absl::StrCat("-p ", port_, " -k ", dir_,
                                  " -c listen_addresses=127.0.0.1"),
                     "start"},
                    /*as_postgres=*/true);
      if (s.ok()) {
        running_ = true;
        launched_ = true;
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return absl::InternalError(
        absl::StrCat(s.message(), "\nserver log:\n", Log()));
  }

  pid_t PostmasterPid() const {
    std::ifstream in(data_ + "/postmaster.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  // Whether `pid` runs (a zombie nobody reaps counts as gone).
  static bool Alive(pid_t pid) {
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat) return false;
    std::string line;
    std::getline(stat, line);
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size()) return false;
    const char state = line[paren + 2];
    return state != 'Z' && state != 'X';
  }

  // The processes whose parent is `pid` (the postmaster's backends).
  static std::vector<pid_t> ChildrenOf(pid_t pid) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() ||
          name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      const size_t paren = line.rfind(')');
      if (paren == std::string::npos) continue;
      // After ") ": state, then the parent's pid.
      char state = 0;
      pid_t parent = 0;
      if (sscanf(line.c_str() + paren + 1, " %c %d", &state, &parent) == 2 &&
          parent == pid) {
        out.push_back(static_cast<pid_t>(std::stol(name)));
      }
    }
    return out;
  }

  std::string dir_;
  std::string data_;
  int port_ = 0;
  bool launched_ = false;  // Started once: the port is fixed.
  bool running_ = false;
  bool remove_dir_ = false;  // The shared cluster's own folder.
};

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
