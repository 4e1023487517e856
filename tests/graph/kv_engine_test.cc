// The KvEngine contract (graph/storage/kv_engine.h), the same cases on
// every engine: LMDB in a temporary folder, in memory, each wrapped in a
// fault-injecting engine whose plan injects nothing, and PostgreSQL (a fresh
// database in a throwaway cluster; skipped where PostgreSQL 15 is not
// installed).
#include "graph/storage/kv_engine.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "graph/storage/fault_injecting_engine.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "graph/storage/postgres_engine.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tests/support/postgres_cluster.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::IsOk;
using ::quorum::testing::StatusIs;
using ::quorum::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

enum class Kind { kLmdb, kMemory, kFaultyLmdb, kFaultyMemory, kPostgres };

std::string KindName(const ::testing::TestParamInfo<Kind>& info) {
  switch (info.param) {
    case Kind::kLmdb:
      return "Lmdb";
    case Kind::kMemory:
      return "Memory";
    case Kind::kFaultyLmdb:
      return "FaultInjectingLmdb";
    case Kind::kFaultyMemory:
      return "FaultInjectingMemory";
    case Kind::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

class KvEngineTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    const std::vector<std::string> databases = {"main", "other"};
    const Kind kind = GetParam();
    if (kind == Kind::kLmdb || kind == Kind::kFaultyLmdb) {
      LmdbEnv::Options options;
      options.path = dir_.path();
      options.initial_map_size = 1 << 20;
      options.databases = databases;
      auto env = LmdbEnv::Open(options);
      ASSERT_TRUE(env.ok()) << env.status();
      engine_ = *std::move(env);
    } else if (kind == Kind::kPostgres) {
      std::string why;
      if (!::quorum::testing::PostgresCluster::Available(&why))
        GTEST_SKIP() << why;
      PostgresEngine::Options options;
      options.conninfo =
          ::quorum::testing::PostgresCluster::FreshDatabaseUrl(&why);
      ASSERT_FALSE(options.conninfo.empty()) << why;
      options.databases = databases;
      auto engine = PostgresEngine::Open(options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      engine_ = *std::move(engine);
    } else {
      engine_ = std::make_unique<MemoryEngine>(databases);
    }
    if (kind == Kind::kFaultyLmdb || kind == Kind::kFaultyMemory) {
      engine_ = std::make_unique<FaultInjectingEngine>(
          std::move(engine_),
          [](const WriteStep&) { return WriteFault::kNone; });
    }
  }

  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) {
    return engine_->Write([&](Txn& txn) { return txn.Put(db, key, value); });
  }

  std::optional<std::string> Get(absl::string_view db, absl::string_view key) {
    std::optional<std::string> out;
    absl::Status status = engine_->Read([&](Txn& txn) -> absl::Status {
      auto value = txn.Get(db, key);
      if (!value.ok()) return value.status();
      out = *value;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  KeyValues ScanIn(Txn& txn, absl::string_view db, absl::string_view prefix,
                   absl::string_view start_after, size_t stop_after = 1000) {
    KeyValues out;
    absl::Status status = txn.Scan(
        db, prefix, start_after, [&](absl::string_view k, absl::string_view v) {
          out.emplace_back(std::string(k), std::string(v));
          return out.size() < stop_after;
        });
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  KeyValues Scan(absl::string_view db, absl::string_view prefix,
                 absl::string_view start_after, size_t stop_after = 1000) {
    KeyValues out;
    EXPECT_THAT(engine_->Read([&](Txn& txn) {
      out = ScanIn(txn, db, prefix, start_after, stop_after);
      return absl::OkStatus();
    }),
                IsOk());
    return out;
  }

  uint64_t ReadVersion() {
    uint64_t version = 0;
    EXPECT_THAT(engine_->Read([&](Txn& txn) {
      version = txn.version();
      return absl::OkStatus();
    }),
                IsOk());
    return version;
  }

  TempDir dir_;
  std::unique_ptr<KvEngine> engine_;
};

class KvEngineScanTest : public KvEngineTest {
 protected:
  void SetUp() override {
    KvEngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_THAT(engine_->Write([](Txn& txn) -> absl::Status {
      for (const char* key : {"a/1", "a/2", "a/3", "ab/1", "b/1", "b/2"}) {
        absl::Status s = txn.Put("main", key, absl::StrCat("v:", key));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }),
                IsOk());
  }
};

std::vector<std::string> Keys(const KeyValues& kvs) {
  std::vector<std::string> out;
  for (const auto& [k, v] : kvs) out.push_back(k);
  return out;
}

TEST_P(KvEngineTest, PutThenGetReturnsTheValue) {
  ASSERT_THAT(Put("main", "k", "v"), IsOk());
  EXPECT_THAT(Get("main", "k"), Optional(std::string("v")));
}

TEST_P(KvEngineTest, GetOfAnAbsentKeyIsNullopt) {
  EXPECT_EQ(Get("main", "missing"), std::nullopt);
}

TEST_P(KvEngineTest, KeysNoEngineHoldsAreAbsent) {
  EXPECT_EQ(Get("main", ""), std::nullopt);
  EXPECT_EQ(Get("main", std::string(1000, 'k')), std::nullopt);
}

TEST_P(KvEngineTest, PutOfAKeyNoEngineHoldsFails) {
  EXPECT_THAT(Put("main", "", "v"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(Put("main", std::string(1000, 'k'), "v"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_P(KvEngineTest, PutReplacesTheValue) {
  ASSERT_THAT(Put("main", "k", "v1"), IsOk());
  ASSERT_THAT(Put("main", "k", "v2"), IsOk());
  EXPECT_THAT(Get("main", "k"), Optional(std::string("v2")));
}

TEST_P(KvEngineTest, DatabasesAreSeparateKeySpaces) {
  ASSERT_THAT(Put("main", "k", "in-main"), IsOk());
  EXPECT_EQ(Get("other", "k"), std::nullopt);
}

TEST_P(KvEngineTest, DeleteRemovesAndAbsentKeysAreFine) {
  ASSERT_THAT(Put("main", "k", "v"), IsOk());
  EXPECT_THAT(engine_->Write([](Txn& txn) { return txn.Delete("main", "k"); }),
              IsOk());
  EXPECT_EQ(Get("main", "k"), std::nullopt);
  EXPECT_THAT(engine_->Write(
                  [](Txn& txn) { return txn.Delete("main", "never-there"); }),
              IsOk());
}

TEST_P(KvEngineTest, ValuesMayHoldBinaryBytes) {
  const std::string value("a\0b\xff", 4);
  ASSERT_THAT(Put("main", "bin", value), IsOk());
  EXPECT_THAT(Get("main", "bin"), Optional(value));
}

TEST_P(KvEngineTest, UnknownDatabaseIsAnInternalError) {
  EXPECT_THAT(
      engine_->Write([](Txn& txn) { return txn.Put("nope", "k", "v"); }),
      StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(
      engine_->Read([](Txn& txn) { return txn.Get("nope", "k").status(); }),
      StatusIs(absl::StatusCode::kInternal));
}

TEST_P(KvEngineTest, FailedWriteFunctionCommitsNothing) {
  absl::Status status = engine_->Write([](Txn& txn) -> absl::Status {
    absl::Status put = txn.Put("main", "k", "v");
    if (!put.ok()) return put;
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Get("main", "k"), std::nullopt);
}

TEST_P(KvEngineTest, WriteSeesItsOwnUncommittedPuts) {
  std::optional<std::string> seen;
  ASSERT_THAT(engine_->Write([&](Txn& txn) -> absl::Status {
    absl::Status put = txn.Put("main", "k", "v");
    if (!put.ok()) return put;
    auto value = txn.Get("main", "k");
    if (!value.ok()) return value.status();
    seen = *value;
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(seen, Optional(std::string("v")));
}

TEST_P(KvEngineTest, ReadTransactionCannotWrite) {
  EXPECT_FALSE(
      engine_->Read([](Txn& txn) { return txn.Put("main", "k", "v"); }).ok());
  EXPECT_EQ(Get("main", "k"), std::nullopt);
}

TEST_P(KvEngineTest, ReadReturnsTheFunctionStatus) {
  EXPECT_THAT(engine_->Read([](Txn&) { return absl::NotFoundError("x"); }),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(KvEngineScanTest, VisitsKeysWithThePrefixInOrder) {
  KeyValues kvs = Scan("main", "a/", "");
  EXPECT_THAT(Keys(kvs), ElementsAre("a/1", "a/2", "a/3"));
  EXPECT_EQ(kvs[0].second, "v:a/1");
}

TEST_P(KvEngineScanTest, EmptyPrefixVisitsEverything) {
  EXPECT_THAT(Keys(Scan("main", "", "")),
              ElementsAre("a/1", "a/2", "a/3", "ab/1", "b/1", "b/2"));
}

TEST_P(KvEngineScanTest, StartsStrictlyAfterStartAfter) {
  EXPECT_THAT(Keys(Scan("main", "a/", "a/1")), ElementsAre("a/2", "a/3"));
  EXPECT_THAT(Keys(Scan("main", "a/", "a/3")), IsEmpty());
}

TEST_P(KvEngineScanTest, StartAfterNeedNotExist) {
  EXPECT_THAT(Keys(Scan("main", "a/", "a/15")), ElementsAre("a/2", "a/3"));
  EXPECT_THAT(Keys(Scan("main", "b/", "b/0")), ElementsAre("b/1", "b/2"));
}

TEST_P(KvEngineScanTest, StartAfterBeforeThePrefixVisitsTheWholePrefix) {
  // Every key with the prefix sorts after "a/", so all of "b/" is visited.
  EXPECT_THAT(Keys(Scan("main", "b/", "a/")), ElementsAre("b/1", "b/2"));
}

TEST_P(KvEngineScanTest, StopsWhenTheVisitorSaysSo) {
  EXPECT_THAT(Keys(Scan("main", "", "", /*stop_after=*/2)),
              ElementsAre("a/1", "a/2"));
}

TEST_P(KvEngineScanTest, UnmatchedPrefixVisitsNothing) {
  EXPECT_THAT(Keys(Scan("main", "c/", "")), IsEmpty());
  EXPECT_THAT(Keys(Scan("other", "", "")), IsEmpty());
}

TEST_P(KvEngineTest, AWriteScansItsOwnChangesMergedWithTheCommittedOnes) {
  ASSERT_THAT(engine_->Write([](Txn& txn) -> absl::Status {
    for (const char* key : {"a/1", "a/3", "a/5"}) {
      absl::Status s = txn.Put("main", key, "old");
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }),
              IsOk());
  KeyValues seen;
  ASSERT_THAT(engine_->Write([&](Txn& txn) -> absl::Status {
    absl::Status s = txn.Put("main", "a/2", "new");
    if (s.ok()) s = txn.Put("main", "a/3", "replaced");
    if (s.ok()) s = txn.Delete("main", "a/5");
    if (s.ok()) s = txn.Put("main", "a/6", "new");
    if (!s.ok()) return s;
    seen = ScanIn(txn, "main", "a/", "a/1");
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(
      seen, ElementsAre(std::pair<std::string, std::string>("a/2", "new"),
                        std::pair<std::string, std::string>("a/3", "replaced"),
                        std::pair<std::string, std::string>("a/6", "new")));
  EXPECT_EQ(Scan("main", "a/", ""), (KeyValues{{"a/1", "old"},
                                               {"a/2", "new"},
                                               {"a/3", "replaced"},
                                               {"a/6", "new"}}));
}

TEST_P(KvEngineTest, AFailedSavepointUndoesOnlyItsOwnWrites) {
  ASSERT_THAT(Put("main", "kept", "before"), IsOk());
  absl::Status inner;
  ASSERT_THAT(engine_->Write([&](Txn& txn) -> absl::Status {
    absl::Status s = txn.Put("main", "outer", "1");
    if (!s.ok()) return s;
    inner = txn.Savepoint([](Txn& nested) -> absl::Status {
      absl::Status put = nested.Put("main", "inner", "2");
      if (put.ok()) put = nested.Delete("main", "kept");
      if (!put.ok()) return put;
      return absl::AbortedError("undo me");
    });
    s = txn.Savepoint(
        [](Txn& nested) { return nested.Put("main", "ok", "3"); });
    if (!s.ok()) return s;
    return txn.Put("main", "after", "4");
  }),
              IsOk());
  EXPECT_THAT(inner, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Get("main", "inner"), std::nullopt);
  EXPECT_THAT(Get("main", "kept"), Optional(std::string("before")));
  EXPECT_THAT(Get("main", "outer"), Optional(std::string("1")));
  EXPECT_THAT(Get("main", "ok"), Optional(std::string("3")));
  EXPECT_THAT(Get("main", "after"), Optional(std::string("4")));
}

TEST_P(KvEngineTest, ASavepointNeedsAWriteTransaction) {
  EXPECT_THAT(engine_->Read([](Txn& txn) {
    return txn.Savepoint([](Txn&) { return absl::OkStatus(); });
  }),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_P(KvEngineTest, VersionsGrowWithEveryCommitAndNamesTheWrite) {
  const uint64_t before = ReadVersion();
  uint64_t written = 0;
  uint64_t announced = 0;
  ASSERT_THAT(engine_->Write(
                  [&](Txn& txn) {
                    written = txn.version();
                    return txn.Put("main", "k", "v");
                  },
                  [&](uint64_t version) { announced = version; }),
              IsOk());
  EXPECT_GT(written, before);
  EXPECT_EQ(announced, written);
  EXPECT_EQ(ReadVersion(), written);
  // A write that fails commits nothing and announces nothing.
  announced = 0;
  EXPECT_FALSE(engine_
                   ->Write([](Txn&) { return absl::AbortedError("no"); },
                           [&](uint64_t version) { announced = version; })
                   .ok());
  EXPECT_EQ(announced, 0u);
  EXPECT_EQ(ReadVersion(), written);
}

TEST_P(KvEngineTest, AReadSeesTheDataAsItWasWhenItBegan) {
  ASSERT_THAT(Put("main", "k", "old"), IsOk());
  absl::Notification reading, written;
  std::optional<std::string> first, second;
  std::thread reader([&] {
    EXPECT_THAT(engine_->Read([&](Txn& txn) -> absl::Status {
      first = *txn.Get("main", "k");
      reading.Notify();
      written.WaitForNotification();
      second = *txn.Get("main", "k");
      return absl::OkStatus();
    }),
                IsOk());
  });
  reading.WaitForNotification();
  EXPECT_THAT(Put("main", "k", "new"), IsOk());  // Beside the open read.
  written.Notify();
  reader.join();
  EXPECT_THAT(first, Optional(std::string("old")));
  EXPECT_THAT(second, Optional(std::string("old")));
  EXPECT_THAT(Get("main", "k"), Optional(std::string("new")));
}

TEST_P(KvEngineTest, AWriteFunctionThatMeetsAFullEngineRunsAgainFromTheStart) {
  int runs = 0;
  ASSERT_THAT(engine_->Write([&](Txn& txn) -> absl::Status {
    ++runs;
    absl::Status s = txn.Put("main", absl::StrCat("run-", runs), "v");
    if (!s.ok()) return s;
    if (runs == 1) return MapFullError("test");
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(Get("main", "run-1"), std::nullopt) << "the first run is undone";
  EXPECT_THAT(Get("main", "run-2"), Optional(std::string("v")));
}

TEST_P(KvEngineTest, ConcurrentWritersAndReadersLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        if (!Put("main", key, "v").ok()) ++failures;
        absl::Status read = engine_->Read([&](Txn& txn) -> absl::Status {
          auto value = txn.Get("main", key);
          if (!value.ok()) return value.status();
          return *value ? absl::OkStatus() : absl::NotFoundError(key);
        });
        if (!read.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Scan("main", "t", "", 10000).size(),
            static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(KvEngineTest, BadInputSaysNothingAboutTheDisk) {
  std::vector<bool> changes;
  engine_->OnWritableChange([&](bool w) { changes.push_back(w); });
  EXPECT_FALSE(
      engine_->Write([](Txn&) { return absl::InvalidArgumentError("bad"); })
          .ok());
  EXPECT_TRUE(engine_->writable());
  EXPECT_THAT(changes, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Engines, KvEngineTest,
                         ::testing::Values(Kind::kLmdb, Kind::kMemory,
                                           Kind::kFaultyLmdb,
                                           Kind::kFaultyMemory,
                                           Kind::kPostgres),
                         KindName);
INSTANTIATE_TEST_SUITE_P(Engines, KvEngineScanTest,
                         ::testing::Values(Kind::kLmdb, Kind::kMemory,
                                           Kind::kFaultyLmdb,
                                           Kind::kFaultyMemory,
                                           Kind::kPostgres),
                         KindName);

TEST(MemoryEngineTest, HasNoDiskToCopyTo) {
  MemoryEngine engine({"main"});
  EXPECT_THAT(engine.CopyCompacted("/tmp/nowhere"),
              StatusIs(absl::StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace quorum::graph
