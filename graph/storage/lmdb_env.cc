#include "graph/storage/lmdb_env.h"

#include <lmdb.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"

namespace quorum::graph {
namespace {

MDB_val Val(absl::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
absl::string_view View(const MDB_val& v) {
  return absl::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

absl::Status Check(int rc, absl::string_view what) {
  if (rc == MDB_SUCCESS) return absl::OkStatus();
  return LmdbError(rc, what);
}

// A transaction of an LmdbEnv; `env` is set for write transactions only.
class LmdbTxn : public Txn {
 public:
  LmdbTxn(MDB_txn* txn, const std::map<std::string, MDB_dbi, std::less<>>* dbis,
          MDB_env* env)
      : txn_(txn), dbis_(dbis), env_(env) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view db, absl::string_view key) override;
  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) override;
  absl::Status Delete(absl::string_view db, absl::string_view key) override;
  absl::Status Scan(absl::string_view db, absl::string_view prefix,
                    absl::string_view start_after,
                    const Visitor& visit) override;
  absl::Status Savepoint(const std::function<absl::Status(Txn&)>& fn) override;
  uint64_t version() const override { return mdb_txn_id(txn_); }

 private:
  absl::StatusOr<MDB_dbi> Dbi(absl::string_view db) const;

  MDB_txn* txn_;
  const std::map<std::string, MDB_dbi, std::less<>>* dbis_;
  MDB_env* env_;
};

}  // namespace

absl::Status LmdbError(int rc, absl::string_view what) {
  if (rc == MDB_MAP_FULL) return MapFullError(absl::StrCat("lmdb ", what));
  if (IsUnwritableErrno(rc)) {
    return StorageUnwritableError(rc, absl::StrCat("lmdb ", what));
  }
  return absl::InternalError(
      absl::StrCat("lmdb ", what, ": ", mdb_strerror(rc)));
}

absl::StatusOr<MDB_dbi> LmdbTxn::Dbi(absl::string_view db) const {
  auto it = dbis_->find(db);
  if (it == dbis_->end()) {
    return absl::InternalError(absl::StrCat("unknown LMDB database ", db));
  }
  return it->second;
}

absl::StatusOr<std::optional<std::string>> LmdbTxn::Get(absl::string_view db,
                                                        absl::string_view key) {
  auto dbi = Dbi(db);
  if (!dbi.ok()) return dbi.status();
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, *dbi, &k, &v);
  // A key LMDB cannot hold (empty or too long) is absent, not an error.
  if (rc == MDB_NOTFOUND || rc == MDB_BAD_VALSIZE) {
    return std::optional<std::string>();
  }
  if (rc != MDB_SUCCESS) return LmdbError(rc, "get");
  return std::optional<std::string>(std::string(View(v)));
}

absl::Status LmdbTxn::Put(absl::string_view db, absl::string_view key,
                          absl::string_view value) {
  auto dbi = Dbi(db);
  if (!dbi.ok()) return dbi.status();
  MDB_val k = Val(key), v = Val(value);
  return Check(mdb_put(txn_, *dbi, &k, &v, 0), "put");
}

absl::Status LmdbTxn::Delete(absl::string_view db, absl::string_view key) {
  auto dbi = Dbi(db);
  if (!dbi.ok()) return dbi.status();
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, *dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return absl::OkStatus();
  return Check(rc, "del");
}

absl::Status LmdbTxn::Scan(absl::string_view db, absl::string_view prefix,
                           absl::string_view start_after,
                           const Visitor& visit) {
  auto dbi = Dbi(db);
  if (!dbi.ok()) return dbi.status();
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, *dbi, &cursor);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "cursor_open");
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> guard(cursor,
                                                           mdb_cursor_close);
  // Keys with the prefix all sort after a `start_after` below the prefix.
  absl::string_view from = start_after > prefix ? start_after : prefix;
  MDB_val k = Val(from), v;
  if (from.empty()) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  } else {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  }
  if (rc == MDB_SUCCESS && !start_after.empty() && View(k) == start_after) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  while (rc == MDB_SUCCESS) {
    absl::string_view key = View(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, View(v))) return absl::OkStatus();
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbError(rc, "cursor");
  return absl::OkStatus();
}

absl::Status LmdbTxn::Savepoint(const std::function<absl::Status(Txn&)>& fn) {
  if (env_ == nullptr) {
    return absl::InternalError("savepoints need a write transaction");
  }
  MDB_txn* child = nullptr;
  int rc = mdb_txn_begin(env_, txn_, 0, &child);
  if (rc != MDB_SUCCESS) return Check(rc, "nested txn_begin");
  LmdbTxn nested(child, dbis_, env_);
  absl::Status status = fn(nested);
  if (!status.ok()) {
    mdb_txn_abort(child);
    return status;
  }
  return Check(mdb_txn_commit(child), "nested commit");
}

absl::StatusOr<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create data directory ", options.path, ": ", ec.message()));
  }
  std::unique_ptr<LmdbEnv> env(new LmdbEnv());
  int rc = mdb_env_create(&env->env_);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "env_create");
  mdb_env_set_maxdbs(env->env_, static_cast<MDB_dbi>(options.databases.size()));
  mdb_env_set_maxreaders(env->env_, 512);
  rc = mdb_env_set_mapsize(env->env_, options.initial_map_size);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "set_mapsize");
  // MDB_NOTLS: read transactions belong to the call, not the thread, which
  // suits gRPC's thread pool. Commits are synchronous (no MDB_NOSYNC): an
  // acknowledged write is on disk.
  rc = mdb_env_open(env->env_, options.path.c_str(), MDB_NOTLS, 0644);
  if (rc != MDB_SUCCESS) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open LMDB at ", options.path, ": ", mdb_strerror(rc)));
  }
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env->env_, nullptr, 0, &txn);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "txn_begin");
  for (const std::string& name : options.databases) {
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbi);
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return LmdbError(rc, absl::StrCat("dbi_open ", name));
    }
    env->dbis_.emplace(name, dbi);
  }
  rc = mdb_txn_commit(txn);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "commit");
  return env;
}

LmdbEnv::~LmdbEnv() {
  if (env_ != nullptr) mdb_env_close(env_);
}

size_t LmdbEnv::map_size() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

absl::Status LmdbEnv::Read(const std::function<absl::Status(Txn&)>& fn) const {
  std::shared_lock lock(resize_mu_);
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "txn_begin");
  LmdbTxn t(txn, &dbis_, nullptr);
  absl::Status status = fn(t);
  mdb_txn_abort(txn);
  return status;
}

absl::Status LmdbEnv::CopyCompacted(const std::string& dir) const {
  std::shared_lock lock(resize_mu_);
  int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "env_copy2 " + dir);
  return absl::OkStatus();
}

absl::Status LmdbEnv::Write(const TxnFn& fn, const CommitFn& committed) {
  absl::Status status = WriteOnce(fn, committed);
  NoteWriteOutcome(status);
  return status;
}

absl::Status LmdbEnv::WriteOnce(const TxnFn& fn, const CommitFn& committed) {
  for (;;) {
    size_t size_before;
    {
      std::shared_lock lock(resize_mu_);
      // One writer from begin to `committed`, so that what `committed`
      // publishes is in place before the next write reads it.
      std::lock_guard writer(writer_mu_);
      size_before = map_size();
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
      if (rc != MDB_SUCCESS) return LmdbError(rc, "txn_begin");
      LmdbTxn t(txn, &dbis_, env_);
      absl::Status status = fn(t);
      if (!status.ok()) {
        mdb_txn_abort(txn);
        if (!IsMapFull(status)) return status;
      } else {
        const uint64_t version = mdb_txn_id(txn);
        status = Check(mdb_txn_commit(txn), "commit");
        if (status.ok() && committed) committed(version);
        if (status.ok() || !IsMapFull(status)) return status;
      }
    }
    // The map is full: grow it with no transaction open, then retry.
    absl::Status grown = Grow(size_before);
    if (!grown.ok()) return grown;
  }
}

absl::Status LmdbEnv::Grow(size_t seen_size) {
  std::unique_lock lock(resize_mu_);
  if (map_size() > seen_size) return absl::OkStatus();  // Someone else grew it.
  size_t next = seen_size * 2;
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != MDB_SUCCESS) return LmdbError(rc, "set_mapsize");
  return absl::OkStatus();
}

}  // namespace quorum::graph
