// quorum_bench_lmdb: the raw LMDB baseline for durable writes. Puts records
// of a given size in batches, one synchronous commit per batch (the same
// environment flags as quorumd: MDB_NOTLS, no MDB_NOSYNC), optionally with
// one secondary-index put per record, and prints records per second.
//
//   quorum_bench_lmdb --dir DIR --value-bytes 160 --batch 100 --records 20000
//                     [--index]
#include <lmdb.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "CLI/CLI.hpp"

namespace {

void Check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) {
    std::fprintf(stderr, "quorum_bench_lmdb: %s: %s\n", what, mdb_strerror(rc));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int value_bytes = 160;
  int batch = 100;
  long long records = 20000;
  bool index = false;
  long long warmup = 0;
  CLI::App app{"quorum_bench_lmdb: raw LMDB put+commit loop"};
  app.add_option("--dir", dir, "Empty folder for the environment")->required();
  app.add_option("--value-bytes", value_bytes)->capture_default_str();
  app.add_option("--batch", batch, "Records per commit")->capture_default_str();
  app.add_option("--records", records)->capture_default_str();
  app.add_flag("--index", index, "One index put per record as well");
  app.add_option("--warmup-records", warmup,
                 "Records written (same batching) before timing starts, so "
                 "the file has grown and its free pages are reused, as in a "
                 "server that has been running")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  MDB_env* env = nullptr;
  Check(mdb_env_create(&env), "env_create");
  Check(mdb_env_set_maxdbs(env, 4), "set_maxdbs");
  Check(mdb_env_set_mapsize(env, size_t{64} << 20), "set_mapsize");
  Check(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644), "env_open");
  MDB_dbi records_db, index_db;
  {
    MDB_txn* txn;
    Check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
    Check(mdb_dbi_open(txn, "records", MDB_CREATE, &records_db), "dbi_open");
    Check(mdb_dbi_open(txn, "index", MDB_CREATE, &index_db), "dbi_open");
    Check(mdb_txn_commit(txn), "commit");
  }
  std::mt19937_64 rng(1);
  std::string value(value_bytes, 'x');
  for (char& c : value) c = static_cast<char>('a' + rng() % 26);

  auto start = std::chrono::steady_clock::now();
  long long written = 0;
  const long long total = records + warmup;
  while (written < total) {
    if (written == warmup) start = std::chrono::steady_clock::now();
    MDB_txn* txn;
    Check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
    for (int i = 0; i < batch && written < total; ++i, ++written) {
      // Keys shaped like quorum's: account, inverted time, ID.
      char key[96];
      const int n = std::snprintf(
          key, sizeof key, "accounts/acct-%06lld|%019lld|s-%lld",
          written % 1000, 9'000'000'000'000'000'000LL - written, written);
      MDB_val k{static_cast<size_t>(n), key};
      MDB_val v{value.size(), value.data()};
      Check(mdb_put(txn, records_db, &k, &v, 0), "put");
      if (index) {
        char ikey[96];
        const int m = std::snprintf(ikey, sizeof ikey,
                                    "accounts/acct-%06lld/signals/s-%lld",
                                    written % 1000, written);
        MDB_val ik{static_cast<size_t>(m), ikey};
        Check(mdb_put(txn, index_db, &ik, &k, 0), "index put");
      }
    }
    Check(mdb_txn_commit(txn), "commit");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  mdb_env_close(env);
  std::printf(
      "{\"records\": %lld, \"batch\": %d, \"index\": %s, \"seconds\": %.3f, "
      "\"records_per_second\": %.1f, \"commits_per_second\": %.1f}\n",
      records, batch, index ? "true" : "false", seconds, records / seconds,
      (records + batch - 1) / batch / seconds);
  return 0;
}
