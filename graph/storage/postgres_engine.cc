#include "graph/storage/postgres_engine.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace quorum::graph {
namespace {

// Marks a serialization failure or deadlock: the write runs again.
constexpr absl::string_view kRetryMarker = "quorum:postgres-retry";

constexpr int kMaxWriteAttempts = 64;
constexpr int kScanBatch = 256;
// The key of the advisory lock held while the schema is migrated.
constexpr int64_t kMigrationLock = 0x71756f72756d;  // "quorum"

// PostgreSQL type OIDs of the parameters.
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

ResultPtr Wrap(PGresult* result) { return ResultPtr(result, PQclear); }

std::string Trimmed(const char* message) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

bool IsRetry(const absl::Status& status) {
  return status.GetPayload(kRetryMarker).has_value();
}

bool HoldableKey(absl::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes;
}

// The smallest string greater than every string starting with `prefix`, or
// "" when there is none (the prefix is empty or all 0xff bytes).
std::string Successor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) {
    s.pop_back();
  }
  if (!s.empty()) s.back() = static_cast<char>(s.back() + 1);
  return s;
}

std::string NewNodeToken() {
  std::random_device device;
  std::mt19937_64 random(
      (static_cast<uint64_t>(device()) << 32) ^ device() ^
      static_cast<uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count()));
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad16));
}

}  // namespace

// ------------------------------------------------------------- Connection

class PostgresEngine::Connection {
 public:
  explicit Connection(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connected, or UNAVAILABLE. A broken connection is made anew (a new
  // PQconnectdb, so that libpq picks the read-write host again).
  absl::Status Ensure() {
    if (conn_ != nullptr && !broken_ && PQstatus(conn_) == CONNECTION_OK) {
      return absl::OkStatus();
    }
    Close();
    conn_ = PQconnectdb(conninfo_.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      absl::Status s = absl::UnavailableError(absl::StrCat(
          "storage unreachable: cannot connect to PostgreSQL: ",
          conn_ == nullptr ? "out of memory" : Trimmed(PQerrorMessage(conn_))));
      Close();
      return s;
    }
    broken_ = false;
    // Notices (e.g. "there is no transaction in progress") are not errors.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return absl::OkStatus();
  }

  void Close() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
  }

  // Made again on the next Ensure().
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_ || conn_ == nullptr; }
  PGconn* get() const { return conn_; }

  // The status of a failed statement (`result` may be null), marking the
  // connection broken when it was lost.
  absl::Status Error(const PGresult* result, absl::string_view what) {
    const char* state = result == nullptr
                            ? nullptr
                            : PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state == nullptr ? "" : state;
    std::string message =
        Trimmed(result != nullptr ? PQresultErrorMessage(result) : "");
    if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
    const bool lost = conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK ||
                      sqlstate.empty() || sqlstate.rfind("08", 0) == 0 ||
                      sqlstate == "57P01" || sqlstate == "57P02" ||
                      sqlstate == "57P03" || sqlstate == "25006";
    if (lost) {
      MarkBroken();
      return absl::UnavailableError(absl::StrCat(
          "storage unreachable: PostgreSQL ", what, ": ", message));
    }
    if (sqlstate == "40001" || sqlstate == "40P01") {
      absl::Status s =
          absl::AbortedError(absl::StrCat("PostgreSQL ", what, ": ", message));
      s.SetPayload(kRetryMarker, absl::Cord(sqlstate));
      return s;
    }
    if (sqlstate == "53100") {
      return StorageUnwritableError(
          ENOSPC, absl::StrCat("PostgreSQL ", what, ": ", message));
    }
    return absl::InternalError(
        absl::StrCat("PostgreSQL ", what, " (", sqlstate, "): ", message));
  }

  // Runs `sql` (one or more statements, text results); the last result.
  absl::StatusOr<ResultPtr> Exec(const char* sql, absl::string_view what) {
    ResultPtr result = Wrap(PQexec(conn_, sql));
    const ExecStatusType st =
        result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(result.get(), what);
    }
    return result;
  }

  // Runs `sql` with binary parameters and binary results.
  absl::StatusOr<ResultPtr> Params(const char* sql,
                                   const std::vector<absl::string_view>& params,
                                   const std::vector<Oid>& types,
                                   absl::string_view what) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (absl::string_view p : params) {
      // libpq wants a non-null pointer even for an empty value.
      values.push_back(p.data() == nullptr ? "" : p.data());
      lengths.push_back(static_cast<int>(p.size()));
      formats.push_back(1);
    }
    ResultPtr result = Wrap(PQexecParams(
        conn_, sql, static_cast<int>(params.size()), types.data(),
        values.data(), lengths.data(), formats.data(), /*resultFormat=*/1));
    const ExecStatusType st =
        result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(result.get(), what);
    }
    return result;
  }

  // Ends a transaction that is not to be committed; a failure only marks
  // the connection broken.
  void Rollback() {
    if (broken()) return;
    ResultPtr result = Wrap(PQexec(conn_, "ROLLBACK"));
    if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      MarkBroken();
    }
  }

 private:
  const std::string conninfo_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
};

namespace {

absl::StatusOr<uint64_t> FirstNumber(const PGresult* result,
                                     absl::string_view what) {
  uint64_t v = 0;
  if (PQntuples(result) != 1 || PQgetisnull(result, 0, 0) ||
      !absl::SimpleAtoi(PQgetvalue(result, 0, 0), &v)) {
    return absl::InternalError(
        absl::StrCat("PostgreSQL ", what, ": no version row"));
  }
  return v;
}

// Begins a transaction with `sql`, whose last statement returns the
// version. A connection that was lost while idle (the server restarted
// since its last use) is only found out here: then, as nothing has happened
// yet, the transaction begins once more on a new connection.
absl::StatusOr<uint64_t> Begin(PostgresEngine::Connection& conn,
                               const char* sql, absl::string_view what) {
  for (int tries = 0;; ++tries) {
    const bool reused = !conn.broken();
    absl::Status s = conn.Ensure();
    if (!s.ok()) return s;
    auto begun = conn.Exec(sql, what);
    if (begun.ok()) return FirstNumber(begun->get(), what);
    if (!absl::IsUnavailable(begun.status()) || !reused || tries > 0) {
      return begun.status();
    }
  }
}

// ----------------------------------------------------------- Transactions

class PgTxn : public Txn {
 public:
  PgTxn(PostgresEngine::Connection* conn,
        const std::set<std::string, std::less<>>* databases, bool writable,
        uint64_t version)
      : conn_(conn),
        databases_(databases),
        writable_(writable),
        version_(version) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) override {
    absl::Status s = Usable(db);
    if (!s.ok()) return s;
    if (!HoldableKey(key)) return std::optional<std::string>();
    auto result = Run("SELECT value FROM quorum_kv WHERE db = $1 AND key = $2",
                      {db, key}, {kTextOid, kByteaOid}, "get");
    if (!result.ok()) return result.status();
    const PGresult* r = result->get();
    if (PQntuples(r) == 0) return std::optional<std::string>();
    return std::optional<std::string>(
        std::string(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0)));
  }

  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) override {
    absl::Status s = CheckWrite(db, key, "put");
    if (!s.ok()) return s;
    return Run("INSERT INTO quorum_kv (db, key, value) VALUES ($1, $2, $3) "
               "ON CONFLICT (db, key) DO UPDATE SET value = EXCLUDED.value",
               {db, key, value}, {kTextOid, kByteaOid, kByteaOid}, "put")
        .status();
  }

  absl::Status Delete(absl::string_view db, absl::string_view key) override {
    absl::Status s = CheckWrite(db, key, "delete");
    if (!s.ok()) return s;
    return Run("DELETE FROM quorum_kv WHERE db = $1 AND key = $2", {db, key},
               {kTextOid, kByteaOid}, "delete")
        .status();
  }

  absl::Status Scan(absl::string_view db, absl::string_view prefix,
                    absl::string_view start_after,
                    const Visitor& visit) override {
    absl::Status s = Usable(db);
    if (!s.ok()) return s;
    // Keys with the prefix all sort after a `start_after` below it.
    const bool after = !start_after.empty() && start_after >= prefix;
    std::string from(after ? start_after : prefix);
    bool inclusive = !after;
    const std::string upper = Successor(prefix);
    for (;;) {
      std::string sql = absl::StrCat(
          "SELECT key, value FROM quorum_kv WHERE db = $1 AND key ",
          inclusive ? ">=" : ">", " $2");
      std::vector<absl::string_view> params = {db, from};
      std::vector<Oid> types = {kTextOid, kByteaOid};
      if (!upper.empty()) {
        absl::StrAppend(&sql, " AND key < $3");
        params.push_back(upper);
        types.push_back(kByteaOid);
      }
      absl::StrAppend(&sql, " ORDER BY key LIMIT ", kScanBatch);
      auto result = Run(sql.c_str(), params, types, "scan");
      if (!result.ok()) return result.status();
      const PGresult* r = result->get();
      const int rows = PQntuples(r);
      for (int i = 0; i < rows; ++i) {
        absl::string_view key(PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
        absl::string_view value(PQgetvalue(r, i, 1), PQgetlength(r, i, 1));
        if (!visit(key, value)) return absl::OkStatus();
        if (!fatal_.ok()) return fatal_;  // The visitor's own call failed.
      }
      if (rows < kScanBatch) return absl::OkStatus();
      from.assign(PQgetvalue(r, rows - 1, 0), PQgetlength(r, rows - 1, 0));
      inclusive = false;
    }
  }

  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn) override {
    if (!writable_) {
      return absl::InternalError("savepoints need a write transaction");
    }
    if (!fatal_.ok()) return fatal_;
    const std::string name = absl::StrCat("quorum_sp", ++depth_);
    absl::Status status =
        Run(absl::StrCat("SAVEPOINT ", name).c_str(), {}, {}, "savepoint")
            .status();
    if (status.ok()) {
      status = fn(*this);
      // An error of the connection or the server fails the whole write,
      // whatever the function made of it.
      if (!fatal_.ok()) status = fatal_;
      if (status.ok()) {
        status = Run(absl::StrCat("RELEASE SAVEPOINT ", name).c_str(), {}, {},
                     "release savepoint")
                     .status();
      } else if (fatal_.ok()) {
        absl::Status undone = Run(absl::StrCat("ROLLBACK TO SAVEPOINT ", name,
                                               "; RELEASE ", "SAVEPOINT ", name)
                                      .c_str(),
                                  {}, {}, "rollback to savepoint")
                                  .status();
        if (!undone.ok()) status = undone;
      }
    }
    --depth_;
    return status;
  }

  uint64_t version() const override { return version_; }

  // The first error of the server or the connection, if any: it fails the
  // whole transaction.
  const absl::Status& fatal() const { return fatal_; }

 private:
  absl::Status Usable(absl::string_view db) const {
    if (databases_->find(db) == databases_->end()) {
      return absl::InternalError(
          absl::StrCat("unknown PostgreSQL database ", db));
    }
    if (!fatal_.ok()) return fatal_;
    return absl::OkStatus();
  }

  absl::Status CheckWrite(absl::string_view db, absl::string_view key,
                          absl::string_view what) const {
    absl::Status s = Usable(db);
    if (!s.ok()) return s;
    if (!writable_) {
      return absl::InternalError(absl::StrCat(
          "PostgreSQL ", what, ": a read transaction cannot write"));
    }
    if (!HoldableKey(key)) {
      return absl::InternalError(absl::StrCat("PostgreSQL ", what,
                                              ": a key must hold 1 to ",
                                              kMaxKeyBytes, " bytes"));
    }
    return absl::OkStatus();
  }

  // Every statement goes through here; its error is kept in fatal_.
  absl::StatusOr<ResultPtr> Run(const char* sql,
                                const std::vector<absl::string_view>& params,
                                const std::vector<Oid>& types,
                                absl::string_view what) {
    absl::StatusOr<ResultPtr> result =
        params.empty() ? conn_->Exec(sql, what)
                       : conn_->Params(sql, params, types, what);
    if (!result.ok() && fatal_.ok()) fatal_ = result.status();
    return result;
  }

  PostgresEngine::Connection* conn_;
  const std::set<std::string, std::less<>>* databases_;
  const bool writable_;
  const uint64_t version_;
  int depth_ = 0;
  absl::Status fatal_;
};

}  // namespace

// ----------------------------------------------------------------- Engine

PostgresEngine::PostgresEngine(Options options)
    : options_(std::move(options)),
      databases_(options_.databases.begin(), options_.databases.end()),
      node_token_(NewNodeToken()),
      writer_(std::make_unique<Connection>(options_.conninfo)) {}

absl::StatusOr<std::unique_ptr<PostgresEngine>> PostgresEngine::Open(
    Options options) {
  if (options.read_connections < 1) options.read_connections = 1;
  std::unique_ptr<PostgresEngine> engine(
      new PostgresEngine(std::move(options)));
  absl::Status s = engine->writer_->Ensure();
  if (s.ok()) s = engine->Migrate();
  if (!s.ok()) return s;
  return engine;
}

PostgresEngine::~PostgresEngine() {
  stop_ = true;
  if (listener_.joinable()) listener_.join();
}

absl::Status PostgresEngine::Migrate() {
  Connection& conn = *writer_;
  absl::Status s =
      conn.Exec(absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(",
                             kMigrationLock,
                             "); CREATE TABLE IF NOT EXISTS quorum_schema "
                             "(version integer NOT NULL)")
                    .c_str(),
                "schema lock")
          .status();
  if (!s.ok()) {
    conn.Rollback();
    return s;
  }
  auto found = conn.Exec("SELECT max(version) FROM quorum_schema", "schema");
  if (!found.ok()) {
    conn.Rollback();
    return found.status();
  }
  int version = 0;
  if (!PQgetisnull(found->get(), 0, 0)) {
    (void)absl::SimpleAtoi(PQgetvalue(found->get(), 0, 0), &version);
  }
  if (version > kSchemaVersion) {
    conn.Rollback();
    return absl::FailedPreconditionError(
        absl::StrCat("the PostgreSQL schema is at version ", version,
                     ", newer than this quorumd knows (", kSchemaVersion,
                     "): upgrade quorumd"));
  }
  if (version < 1) {
    s = conn.Exec(
                "CREATE TABLE quorum_kv (db text NOT NULL, key bytea NOT NULL, "
                "value bytea NOT NULL, PRIMARY KEY (db, key)); "
                "CREATE TABLE quorum_version (id boolean PRIMARY KEY DEFAULT "
                "true CHECK (id), v bigint NOT NULL); "
                "INSERT INTO quorum_version (v) VALUES (0); "
                "DELETE FROM quorum_schema; "
                "INSERT INTO quorum_schema (version) VALUES (1)",
                "schema migration to version 1")
            .status();
    if (!s.ok()) {
      conn.Rollback();
      return s;
    }
  }
  s = conn.Exec("COMMIT", "schema commit").status();
  if (!s.ok()) conn.Rollback();
  return s;
}

std::unique_ptr<PostgresEngine::Connection> PostgresEngine::AcquireReader()
    const {
  std::unique_lock lock(pool_mu_);
  pool_cv_.wait(lock, [&] {
    return !idle_readers_.empty() || readers_made_ < options_.read_connections;
  });
  if (!idle_readers_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return conn;
  }
  ++readers_made_;
  return std::make_unique<Connection>(options_.conninfo);
}

void PostgresEngine::ReleaseReader(std::unique_ptr<Connection> conn) const {
  {
    std::lock_guard lock(pool_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

absl::Status PostgresEngine::Read(const TxnFn& fn) const {
  std::unique_ptr<Connection> conn = AcquireReader();
  absl::Status status;
  {
    absl::StatusOr<uint64_t> version = Begin(*conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
        "SELECT v FROM quorum_version",
        "read begin");
    if (!version.ok()) {
      status = version.status();
    } else {
      PgTxn txn(conn.get(), &databases_, /*writable=*/false, *version);
      status = fn(txn);
      if (!txn.fatal().ok()) status = txn.fatal();
    }
    conn->Rollback();
  }
  ReleaseReader(std::move(conn));
  return status;
}

absl::Status PostgresEngine::Write(const TxnFn& fn, const CommitFn& committed) {
  std::lock_guard lock(writer_mu_);
  std::mt19937 random(std::random_device{}());
  absl::Status status;
  for (int attempt = 1;; ++attempt) {
    bool retry = false;
    status = WriteAttempt(fn, committed, &retry);
    if (!retry) break;
    if (attempt >= kMaxWriteAttempts) {
      status = absl::AbortedError(absl::StrCat(
          "the write met concurrent writes of other quorumd nodes ", attempt,
          " times in a row and was not applied; retry it (last: ",
          status.message(), ")"));
      break;
    }
    if (IsRetry(status)) {
      // A short random pause, growing with the attempts, so that writers
      // of several nodes do not keep meeting.
      const int cap_ms = std::min(1 << std::min(attempt, 6), 50);
      std::this_thread::sleep_for(std::chrono::microseconds(
          std::uniform_int_distribution<int>(0, cap_ms * 1000)(random)));
    }
  }
  NoteWriteOutcome(status);
  return status;
}

absl::Status PostgresEngine::WriteAttempt(const TxnFn& fn,
                                          const CommitFn& committed,
                                          bool* retry) {
  Connection& conn = *writer_;
  ++write_attempts_;
  // The version row first: its lock puts the writers of every node in one
  // order, and a writer that waited for it fails here, before fn runs.
  absl::StatusOr<uint64_t> version =
      Begin(conn,
            "BEGIN ISOLATION LEVEL SERIALIZABLE; "
            "UPDATE quorum_version SET v = v + 1 RETURNING v",
            "write begin");
  if (!version.ok()) {
    conn.Rollback();
    *retry = IsRetry(version.status());
    return version.status();
  }
  PgTxn txn(&conn, &databases_, /*writable=*/true, *version);
  absl::Status status = fn(txn);
  if (!txn.fatal().ok()) status = txn.fatal();
  if (!status.ok()) {
    conn.Rollback();
    *retry = IsRetry(status) || IsMapFull(status);
    return status;
  }
  auto done = conn.Exec(absl::StrCat("NOTIFY quorum_commit, '", node_token_,
                                     ":", *version, "'; COMMIT")
                            .c_str(),
                        "commit");
  if (!done.ok()) {
    if (IsRetry(done.status())) {
      conn.Rollback();
      *retry = true;
      return done.status();
    }
    if (absl::IsUnavailable(done.status())) {
      return absl::UnavailableError(absl::StrCat(
          "storage unreachable: the connection to PostgreSQL was lost during "
          "the commit, whose outcome is unknown (",
          done.status().message(), ")"));
    }
    conn.Rollback();
    return done.status();
  }
  if (committed) committed(*version);
  return absl::OkStatus();
}

absl::Status PostgresEngine::CopyCompacted(const std::string&) const {
  return absl::UnimplementedError(
      "a PostgreSQL store has no compacted copy: back PostgreSQL up with "
      "pg_dump or its own tools");
}

size_t PostgresEngine::map_size() const {
  std::unique_ptr<Connection> conn = AcquireReader();
  size_t size = 0;
  if (conn->Ensure().ok()) {
    auto result = conn->Exec("SELECT pg_database_size(current_database())",
                             "database size");
    uint64_t v = 0;
    if (result.ok() && PQntuples(result->get()) == 1 &&
        absl::SimpleAtoi(PQgetvalue(result->get(), 0, 0), &v)) {
      size = static_cast<size_t>(v);
    }
  }
  ReleaseReader(std::move(conn));
  return size;
}

void PostgresEngine::OnExternalCommit(std::function<void(uint64_t)> fn) {
  if (listener_.joinable()) {
    stop_ = true;
    listener_.join();
    stop_ = false;
  }
  on_external_commit_ = std::move(fn);
  if (!on_external_commit_) return;
  {
    std::lock_guard lock(listen_mu_);
    listening_ = false;
  }
  listener_ = std::thread([this] { Listen(); });
  // Commits made after this call are heard once the listener listens:
  // wait for it, a little (when the server is away it listens later).
  std::unique_lock lock(listen_mu_);
  listen_cv_.wait_for(lock, std::chrono::seconds(5),
                      [&] { return listening_; });
}

void PostgresEngine::Listen() {
  Connection conn(options_.conninfo);
  bool connected_before = false;
  const std::string own = node_token_ + ":";
  while (!stop_) {
    if (conn.broken()) {
      if (!conn.Ensure().ok() ||
          !conn.Exec("LISTEN quorum_commit", "listen").ok()) {
        conn.MarkBroken();
        for (int i = 0; i < 5 && !stop_; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(40));
        }
        continue;
      }
      if (connected_before) {
        // Commits made while the listener was away were not announced: say
        // where the data is now.
        auto now = conn.Exec("SELECT v FROM quorum_version", "version");
        if (now.ok()) {
          auto v = FirstNumber(now->get(), "version");
          if (v.ok()) on_external_commit_(*v);
        }
      }
      if (!connected_before) {
        {
          std::lock_guard lock(listen_mu_);
          listening_ = true;
        }
        listen_cv_.notify_all();
      }
      connected_before = true;
    }
    const int fd = PQsocket(conn.get());
    if (fd < 0) {
      conn.MarkBroken();
      continue;
    }
    fd_set read_fds;
    FD_ZERO(&read_fds);
    FD_SET(fd, &read_fds);
    timeval timeout{0, 200 * 1000};
    const int ready = select(fd + 1, &read_fds, nullptr, nullptr, &timeout);
    if (ready < 0 && errno != EINTR) {
      conn.MarkBroken();
      continue;
    }
    if (ready <= 0) continue;
    if (PQconsumeInput(conn.get()) == 0 ||
        PQstatus(conn.get()) != CONNECTION_OK) {
      conn.MarkBroken();
      continue;
    }
    while (PGnotify* notify = PQnotifies(conn.get())) {
      absl::string_view extra(notify->extra == nullptr ? "" : notify->extra);
      uint64_t version = 0;
      const size_t colon = extra.rfind(':');
      if (!absl::StartsWith(extra, own) && colon != absl::string_view::npos &&
          absl::SimpleAtoi(extra.substr(colon + 1), &version)) {
        on_external_commit_(version);
      }
      PQfreemem(notify);
    }
  }
}

}  // namespace quorum::graph
