// What the PostgreSQL engine does beyond the contract every engine keeps
// (kv_engine_test.cc): several engines, as several quorumd nodes would be,
// over one database; its schema; its callback for other nodes' commits; and
// a server that is killed or restarted under it. On a throwaway cluster
// (tests/support/postgres_cluster.h); skipped where PostgreSQL 15 is not
// installed.
#include "graph/storage/postgres_engine.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tests/support/postgres_cluster.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::IsOk;
using ::quorum::testing::PostgresCluster;
using ::quorum::testing::StatusIs;
using ::quorum::testing::TempDir;
using ::testing::Contains;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

const std::vector<std::string> kDatabases = {"main", "other"};

absl::StatusOr<std::unique_ptr<PostgresEngine>> OpenEngine(
    const std::string& url) {
  PostgresEngine::Options options;
  options.conninfo = url;
  options.databases = kDatabases;
  return PostgresEngine::Open(options);
}

absl::Status Put(KvEngine& engine, absl::string_view key,
                 absl::string_view value) {
  return engine.Write([&](Txn& txn) { return txn.Put("main", key, value); });
}

absl::StatusOr<std::optional<std::string>> Get(KvEngine& engine,
                                               absl::string_view key) {
  std::optional<std::string> out;
  absl::Status status = engine.Read([&](Txn& txn) -> absl::Status {
    auto value = txn.Get("main", key);
    if (!value.ok()) return value.status();
    out = *value;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

// The value at `key`, failing the test when the read fails.
std::optional<std::string> Value(KvEngine& engine, absl::string_view key) {
  auto value = Get(engine, key);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : std::nullopt;
}

uint64_t ReadVersion(KvEngine& engine) {
  uint64_t version = 0;
  EXPECT_THAT(engine.Read([&](Txn& txn) {
    version = txn.version();
    return absl::OkStatus();
  }),
              IsOk());
  return version;
}

// Adds one to the number at "counter" (absent is 0).
absl::Status Increment(KvEngine& engine) {
  return engine.Write([](Txn& txn) -> absl::Status {
    auto value = txn.Get("main", "counter");
    if (!value.ok()) return value.status();
    int n = 0;
    if (*value && !absl::SimpleAtoi(**value, &n)) {
      return absl::InternalError("not a number");
    }
    return txn.Put("main", "counter", absl::StrCat(n + 1));
  });
}

// Waits up to 10 s for `done`.
template <typename Fn>
bool Eventually(Fn done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Two engines over one fresh database of the process's shared cluster.
class PostgresEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
    url_ = PostgresCluster::FreshDatabaseUrl(&why);
    ASSERT_FALSE(url_.empty()) << why;
    auto a = OpenEngine(url_);
    ASSERT_TRUE(a.ok()) << a.status();
    a_ = *std::move(a);
    auto b = OpenEngine(url_);
    ASSERT_TRUE(b.ok()) << b.status();
    b_ = *std::move(b);
  }

  // The database's name (the URL's last part).
  std::string DatabaseName() const { return url_.substr(url_.rfind('/') + 1); }

  std::string url_;
  std::unique_ptr<PostgresEngine> a_, b_;
};

TEST_F(PostgresEngineTest, IsSharedAndHasNoCompactedCopy) {
  EXPECT_TRUE(a_->shared());
  EXPECT_THAT(a_->CopyCompacted("/tmp/nowhere"),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("pg_dump")));
  EXPECT_GT(a_->map_size(), 0u) << "the database's size";
}

TEST_F(PostgresEngineTest, TwoEnginesSeeEachOthersCommitsInOneVersionOrder) {
  uint64_t first = 0, second = 0;
  ASSERT_THAT(a_->Write([](Txn& txn) { return txn.Put("main", "k", "from a"); },
                        [&](uint64_t v) { first = v; }),
              IsOk());
  EXPECT_THAT(Value(*b_, "k"), Optional(std::string("from a")));
  EXPECT_EQ(ReadVersion(*b_), first);
  ASSERT_THAT(b_->Write([](Txn& txn) { return txn.Put("main", "k", "from b"); },
                        [&](uint64_t v) { second = v; }),
              IsOk());
  EXPECT_GT(second, first) << "b's write follows a's in the one order";
  EXPECT_THAT(Value(*a_, "k"), Optional(std::string("from b")));
  EXPECT_EQ(ReadVersion(*a_), second);
}

TEST_F(PostgresEngineTest, AWriterThatWaitedForAnotherNodeRunsAgainAfterIt) {
  absl::Notification a_inside, b_done;
  std::thread writer_a([&] {
    EXPECT_THAT(a_->Write([&](Txn& txn) -> absl::Status {
      a_inside.Notify();
      // Hold the turn until b's write waits for it in the server.
      PostgresCluster* cluster = PostgresCluster::SharedCluster();
      EXPECT_TRUE(Eventually([&] {
        std::string out;
        return cluster
                   ->Sql(DatabaseName(),
                         absl::StrCat("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE wait_event_type = 'Lock' AND "
                                      "datname = '",
                                      DatabaseName(), "'"),
                         &out)
                   .ok() &&
               out.rfind("1", 0) == 0;
      }));
      auto value = txn.Get("main", "counter");
      if (!value.ok()) return value.status();
      return txn.Put("main", "counter", "1");
    }),
                IsOk());
  });
  a_inside.WaitForNotification();
  const uint64_t before = b_->write_attempts();
  int runs = 0;
  std::optional<std::string> seen;
  EXPECT_THAT(b_->Write([&](Txn& txn) -> absl::Status {
    ++runs;
    auto value = txn.Get("main", "counter");
    if (!value.ok()) return value.status();
    seen = *value;
    return txn.Put("main", "counter", "2");
  }),
              IsOk());
  writer_a.join();
  EXPECT_EQ(b_->write_attempts() - before, 2u)
      << "the first attempt met a's commit and was retried";
  EXPECT_EQ(runs, 1) << "it failed at its first statement, before fn ran";
  EXPECT_THAT(seen, Optional(std::string("1"))) << "b ran after a";
  EXPECT_THAT(Value(*a_, "counter"), Optional(std::string("2")));
}

TEST_F(PostgresEngineTest, ConcurrentWritesOfTwoEnginesOnOneKeyAllCommit) {
  constexpr int kPerEngine = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (PostgresEngine* engine : {a_.get(), b_.get()}) {
    threads.emplace_back([&, engine] {
      for (int i = 0; i < kPerEngine; ++i) {
        absl::Status s = Increment(*engine);
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(Value(*a_, "counter"), Optional(absl::StrCat(2 * kPerEngine)))
      << "every increment saw the one before it";
  EXPECT_GE(a_->write_attempts() + b_->write_attempts(),
            static_cast<uint64_t>(2 * kPerEngine));
}

TEST_F(PostgresEngineTest, NestedSavepointsUndoOnlyTheFailedOne) {
  absl::Status inner;
  ASSERT_THAT(a_->Write([&](Txn& txn) -> absl::Status {
    return txn.Savepoint([&](Txn& outer) -> absl::Status {
      absl::Status s = outer.Put("main", "outer", "kept");
      if (!s.ok()) return s;
      inner = outer.Savepoint([](Txn& nested) -> absl::Status {
        absl::Status put = nested.Put("main", "inner", "undone");
        if (!put.ok()) return put;
        return absl::AbortedError("undo me");
      });
      return outer.Put("main", "after", "kept");
    });
  }),
              IsOk());
  EXPECT_THAT(inner, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(Value(*b_, "outer"), Optional(std::string("kept")));
  EXPECT_THAT(Value(*b_, "after"), Optional(std::string("kept")));
  EXPECT_EQ(Value(*b_, "inner"), std::nullopt);
}

TEST_F(PostgresEngineTest, ScansPageThroughManyKeysAndKeysEndingInFF) {
  const std::string ff("p\xff", 2);
  ASSERT_THAT(a_->Write([&](Txn& txn) -> absl::Status {
    for (int i = 0; i < 600; ++i) {
      absl::Status s = txn.Put("main", absl::StrCat("n/", 1000 + i), "v");
      if (!s.ok()) return s;
    }
    for (const std::string& key :
         {ff, ff + "a", ff + std::string("\xff\xff", 2), std::string("q")}) {
      absl::Status s = txn.Put("main", key, "v");
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }),
              IsOk());
  std::vector<std::string> keys, under_ff;
  ASSERT_THAT(b_->Read([&](Txn& txn) -> absl::Status {
    absl::Status s = txn.Scan("main", "n/", "n/1099",
                              [&](absl::string_view k, absl::string_view) {
                                keys.emplace_back(k);
                                return true;
                              });
    if (!s.ok()) return s;
    return txn.Scan("main", ff, "",
                    [&](absl::string_view k, absl::string_view) {
                      under_ff.emplace_back(k);
                      return true;
                    });
  }),
              IsOk());
  ASSERT_EQ(keys.size(), 500u) << "from n/1100 to n/1599, in batches";
  EXPECT_EQ(keys.front(), "n/1100");
  EXPECT_EQ(keys.back(), "n/1599");
  EXPECT_EQ(under_ff, (std::vector<std::string>{
                          ff, ff + "a", ff + std::string("\xff\xff", 2)}));
}

TEST_F(PostgresEngineTest, ACallbackHearsOtherEnginesCommitsNotItsOwn) {
  std::mutex mu;
  std::vector<uint64_t> heard_by_a, heard_by_b;
  a_->OnExternalCommit([&](uint64_t v) {
    std::lock_guard lock(mu);
    heard_by_a.push_back(v);
  });
  b_->OnExternalCommit([&](uint64_t v) {
    std::lock_guard lock(mu);
    heard_by_b.push_back(v);
  });
  uint64_t by_a = 0, by_b = 0;
  ASSERT_THAT(a_->Write([](Txn& txn) { return txn.Put("main", "k", "a"); },
                        [&](uint64_t v) { by_a = v; }),
              IsOk());
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return !heard_by_b.empty();
  }));
  ASSERT_THAT(b_->Write([](Txn& txn) { return txn.Put("main", "k", "b"); },
                        [&](uint64_t v) { by_b = v; }),
              IsOk());
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return !heard_by_a.empty();
  }));
  std::lock_guard lock(mu);
  EXPECT_THAT(heard_by_b, Contains(by_a));
  EXPECT_THAT(heard_by_b, Each(Not(by_b))) << "not its own commit";
  EXPECT_THAT(heard_by_a, Contains(by_b));
  EXPECT_THAT(heard_by_a, Each(Not(by_a))) << "not its own commit";
}

TEST_F(PostgresEngineTest, OpeningAgainFindsTheSchemaAndTheData) {
  ASSERT_THAT(Put(*a_, "k", "v"), IsOk());
  a_.reset();
  auto again = OpenEngine(url_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Value(**again, "k"), Optional(std::string("v")));
}

TEST_F(PostgresEngineTest, ASchemaNewerThanTheCodeIsRefused) {
  ASSERT_THAT(PostgresCluster::SharedCluster()->Sql(
                  DatabaseName(), "UPDATE quorum_schema SET version = 99"),
              IsOk());
  EXPECT_THAT(OpenEngine(url_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("version 99")));
}

TEST(PostgresEngineSchemaTest, EnginesOpeningAtOnceMigrateOnce) {
  std::string why;
  if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
  const std::string url = PostgresCluster::FreshDatabaseUrl(&why);
  ASSERT_FALSE(url.empty()) << why;
  constexpr int kEngines = 6;
  std::vector<absl::StatusOr<std::unique_ptr<PostgresEngine>>> engines;
  for (int i = 0; i < kEngines; ++i) {
    engines.emplace_back(absl::UnknownError("not opened"));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kEngines; ++i) {
    threads.emplace_back([&, i] { engines[i] = OpenEngine(url); });
  }
  for (auto& t : threads) t.join();
  for (const auto& engine : engines) {
    ASSERT_TRUE(engine.ok()) << engine.status();
  }
  std::string out;
  ASSERT_THAT(PostgresCluster::SharedCluster()->Sql(
                  url.substr(url.rfind('/') + 1),
                  "SELECT (SELECT count(*) FROM quorum_schema), "
                  "(SELECT max(version) FROM quorum_schema), "
                  "(SELECT count(*) FROM quorum_version)",
                  &out),
              IsOk());
  EXPECT_EQ(out, "1|1|1\n") << "one schema row at version 1, one version row";
  ASSERT_THAT(Put(**engines[0], "k", "v"), IsOk());
  EXPECT_THAT(Value(**engines[kEngines - 1], "k"), Optional(std::string("v")));
}

TEST(PostgresEngineOpenTest, AServerNobodyRunsIsUnavailable) {
  PostgresEngine::Options options;
  // Port 1 on loopback: nothing listens there.
  options.conninfo = "postgresql://postgres@127.0.0.1:1/quorum";
  options.databases = kDatabases;
  EXPECT_THAT(PostgresEngine::Open(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("storage unreachable")));
}

// A cluster of the test's own, which it stops, kills and restarts.
class PostgresServerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
    ASSERT_THAT(cluster_.Start(dir_.path()), IsOk());
    ASSERT_THAT(cluster_.CreateDatabase("quorum"), IsOk());
    auto engine = OpenEngine(cluster_.Url("quorum"));
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_THAT(Put(*engine_, "before", "v"), IsOk());
  }

  // Reads and writes after the server came back succeed at once.
  void ExpectWorking() {
    EXPECT_THAT(Value(*engine_, "before"), Optional(std::string("v")));
    EXPECT_THAT(Put(*engine_, "after", "v"), IsOk());
    EXPECT_THAT(Value(*engine_, "after"), Optional(std::string("v")));
  }

  TempDir dir_;
  PostgresCluster cluster_;
  std::unique_ptr<PostgresEngine> engine_;
};

TEST_F(PostgresServerLossTest, AKilledServerIsUnavailableThenRecovers) {
  ASSERT_THAT(cluster_.Kill(), IsOk());
  EXPECT_THAT(Put(*engine_, "during", "v"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("storage unreachable")));
  EXPECT_THAT(Get(*engine_, "before"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("storage unreachable")));
  EXPECT_TRUE(engine_->writable()) << "an unreachable server is not a disk";
  ASSERT_THAT(cluster_.Restart(), IsOk());
  ExpectWorking();
  EXPECT_EQ(Value(*engine_, "during"), std::nullopt);
}

TEST_F(PostgresServerLossTest, AWriteAfterTheServerRestartedWorks) {
  ASSERT_THAT(cluster_.Stop(), IsOk());
  ASSERT_THAT(cluster_.Restart(), IsOk());
  // Every connection the engine holds was ended by the shutdown.
  ExpectWorking();
}

TEST_F(PostgresServerLossTest, AConnectionLostInsideAWriteIsUnavailable) {
  int runs = 0;
  absl::Status status = engine_->Write([&](Txn& txn) -> absl::Status {
    ++runs;
    absl::Status s = txn.Put("main", "lost", "v");
    if (!s.ok()) return s;
    // Every other session ends, this write's among them.
    EXPECT_THAT(cluster_.Sql("postgres",
                             "SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE pid <> pg_backend_pid() "
                             "AND datname = 'quorum'"),
                IsOk());
    return txn.Put("main", "lost2", "v");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("storage unreachable")));
  EXPECT_EQ(runs, 1);
  ExpectWorking();
  EXPECT_EQ(Value(*engine_, "lost"), std::nullopt);
}

// A primary with a synchronous streaming standby; the engine names both
// hosts and asks for the one that accepts writes.
TEST(PostgresFailoverTest, AfterPromotionTheEngineWritesToTheNewPrimary) {
  std::string why;
  if (!PostgresCluster::Available(&why)) GTEST_SKIP() << why;
  TempDir dir;
  PostgresCluster primary, standby;
  PostgresCluster::Options durable;
  durable.fsync = true;
  ASSERT_THAT(primary.Start(dir.path() + "/primary", durable), IsOk());
  ASSERT_THAT(primary.CreateDatabase("quorum"), IsOk());
  ASSERT_THAT(standby.StartReplicaOf(primary, dir.path() + "/standby"), IsOk());
  ASSERT_THAT(primary.MakeSynchronous(), IsOk());
  PostgresEngine::Options options;
  options.conninfo = absl::StrCat(
      "postgresql://postgres@127.0.0.1:", primary.port(),
      ",127.0.0.1:", standby.port(), "/quorum?target_session_attrs=read-write");
  options.databases = kDatabases;
  auto opened = PostgresEngine::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<PostgresEngine> engine = *std::move(opened);
  uint64_t acknowledged = 0;
  ASSERT_THAT(engine->Write([](Txn& txn) { return txn.Put("main", "k", "v"); },
                            [&](uint64_t v) { acknowledged = v; }),
              IsOk());

  ASSERT_THAT(primary.Kill(), IsOk());
  EXPECT_THAT(Put(*engine, "during", "v"),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(standby.Promote(), IsOk());
  // The next connection finds the promoted standby, which has every
  // acknowledged commit (it was synchronous).
  absl::Status status;
  EXPECT_TRUE(Eventually([&] {
    status = Put(*engine, "after", "v");
    return status.ok();
  })) << status;
  EXPECT_EQ(Value(*engine, "k"), std::optional<std::string>("v"));
  EXPECT_GT(ReadVersion(*engine), acknowledged);
}

}  // namespace
}  // namespace quorum::graph
