#include "graph/storage/lmdb_env.h"

#include <lmdb.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::IsOk;
using ::quorum::testing::StatusIs;
using ::quorum::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

class LmdbEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(1 << 20); }

  void Open(size_t map_size) {
    env_.reset();
    LmdbEnv::Options options;
    options.path = dir_.path();
    options.initial_map_size = map_size;
    options.databases = {"main", "other"};
    auto env = LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
  }

  absl::Status Put(absl::string_view db, absl::string_view key,
                   absl::string_view value) {
    return env_->Write([&](Txn& txn) { return txn.Put(db, key, value); });
  }

  std::optional<std::string> Get(absl::string_view db, absl::string_view key) {
    std::optional<std::string> out;
    absl::Status status = env_->Read([&](Txn& txn) -> absl::Status {
      auto value = txn.Get(db, key);
      if (!value.ok()) return value.status();
      out = *value;
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  KeyValues Scan(absl::string_view db, absl::string_view prefix,
                 absl::string_view start_after, size_t stop_after = 1000) {
    KeyValues out;
    absl::Status status = env_->Read([&](Txn& txn) {
      return txn.Scan(db, prefix, start_after,
                      [&](absl::string_view k, absl::string_view v) {
                        out.emplace_back(std::string(k), std::string(v));
                        return out.size() < stop_after;
                      });
    });
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
};

TEST_F(LmdbEnvTest, PutThenGetReturnsTheValue) {
  ASSERT_THAT(Put("main", "k", "v"), IsOk());
  EXPECT_THAT(Get("main", "k"), Optional(std::string("v")));
}

TEST_F(LmdbEnvTest, GetOfAnAbsentKeyIsNullopt) {
  EXPECT_EQ(Get("main", "missing"), std::nullopt);
}

TEST_F(LmdbEnvTest, KeysLmdbCannotHoldAreAbsent) {
  EXPECT_EQ(Get("main", ""), std::nullopt);
  EXPECT_EQ(Get("main", std::string(1000, 'k')), std::nullopt);
}

TEST_F(LmdbEnvTest, PutOfAKeyLmdbCannotHoldFails) {
  EXPECT_THAT(Put("main", "", "v"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(Put("main", std::string(1000, 'k'), "v"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(LmdbEnvTest, PutReplacesTheValue) {
  ASSERT_THAT(Put("main", "k", "v1"), IsOk());
  ASSERT_THAT(Put("main", "k", "v2"), IsOk());
  EXPECT_THAT(Get("main", "k"), Optional(std::string("v2")));
}

TEST_F(LmdbEnvTest, DatabasesAreSeparateKeySpaces) {
  ASSERT_THAT(Put("main", "k", "in-main"), IsOk());
  EXPECT_EQ(Get("other", "k"), std::nullopt);
}

TEST_F(LmdbEnvTest, DeleteRemovesAndAbsentKeysAreFine) {
  ASSERT_THAT(Put("main", "k", "v"), IsOk());
  EXPECT_THAT(env_->Write([](Txn& txn) { return txn.Delete("main", "k"); }),
              IsOk());
  EXPECT_EQ(Get("main", "k"), std::nullopt);
  EXPECT_THAT(
      env_->Write([](Txn& txn) { return txn.Delete("main", "never-there"); }),
      IsOk());
}

TEST_F(LmdbEnvTest, ValuesMayHoldBinaryBytes) {
  const std::string value("a\0b\xff", 4);
  ASSERT_THAT(Put("main", "bin", value), IsOk());
  EXPECT_THAT(Get("main", "bin"), Optional(value));
}

TEST_F(LmdbEnvTest, UnknownDatabaseIsAnInternalError) {
  EXPECT_THAT(env_->Write([](Txn& txn) { return txn.Put("nope", "k", "v"); }),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(
      env_->Read([](Txn& txn) { return txn.Get("nope", "k").status(); }),
      StatusIs(absl::StatusCode::kInternal));
}

TEST_F(LmdbEnvTest, FailedWriteFunctionCommitsNothing) {
  absl::Status status = env_->Write([](Txn& txn) -> absl::Status {
    absl::Status put = txn.Put("main", "k", "v");
    if (!put.ok()) return put;
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Get("main", "k"), std::nullopt);
}

TEST_F(LmdbEnvTest, WriteSeesItsOwnUncommittedPuts) {
  std::optional<std::string> seen;
  ASSERT_THAT(env_->Write([&](Txn& txn) -> absl::Status {
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

TEST_F(LmdbEnvTest, ReadTransactionCannotWrite) {
  EXPECT_FALSE(
      env_->Read([](Txn& txn) { return txn.Put("main", "k", "v"); }).ok());
  EXPECT_EQ(Get("main", "k"), std::nullopt);
}

TEST_F(LmdbEnvTest, ReadReturnsTheFunctionStatus) {
  EXPECT_THAT(env_->Read([](Txn&) { return absl::NotFoundError("x"); }),
              StatusIs(absl::StatusCode::kNotFound));
}

class LmdbScanTest : public LmdbEnvTest {
 protected:
  void SetUp() override {
    LmdbEnvTest::SetUp();
    ASSERT_THAT(env_->Write([](Txn& txn) -> absl::Status {
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

TEST_F(LmdbScanTest, VisitsKeysWithThePrefixInOrder) {
  KeyValues kvs = Scan("main", "a/", "");
  EXPECT_THAT(Keys(kvs), ElementsAre("a/1", "a/2", "a/3"));
  EXPECT_EQ(kvs[0].second, "v:a/1");
}

TEST_F(LmdbScanTest, EmptyPrefixVisitsEverything) {
  EXPECT_THAT(Keys(Scan("main", "", "")),
              ElementsAre("a/1", "a/2", "a/3", "ab/1", "b/1", "b/2"));
}

TEST_F(LmdbScanTest, StartsStrictlyAfterStartAfter) {
  EXPECT_THAT(Keys(Scan("main", "a/", "a/1")), ElementsAre("a/2", "a/3"));
  EXPECT_THAT(Keys(Scan("main", "a/", "a/3")), IsEmpty());
}

TEST_F(LmdbScanTest, StartAfterNeedNotExist) {
  EXPECT_THAT(Keys(Scan("main", "a/", "a/15")), ElementsAre("a/2", "a/3"));
  EXPECT_THAT(Keys(Scan("main", "b/", "b/0")), ElementsAre("b/1", "b/2"));
}

TEST_F(LmdbScanTest, StartAfterBeforeThePrefixVisitsTheWholePrefix) {
  // Every key with the prefix sorts after "a/", so all of "b/" is visited.
  EXPECT_THAT(Keys(Scan("main", "b/", "a/")), ElementsAre("b/1", "b/2"));
}

TEST_F(LmdbScanTest, StopsWhenTheVisitorSaysSo) {
  EXPECT_THAT(Keys(Scan("main", "", "", /*stop_after=*/2)),
              ElementsAre("a/1", "a/2"));
}

TEST_F(LmdbScanTest, UnmatchedPrefixVisitsNothing) {
  EXPECT_THAT(Keys(Scan("main", "c/", "")), IsEmpty());
  EXPECT_THAT(Keys(Scan("other", "", "")), IsEmpty());
}

TEST_F(LmdbEnvTest, DataSurvivesClosingAndReopening) {
  ASSERT_THAT(Put("main", "k", "durable"), IsOk());
  Open(1 << 20);
  EXPECT_THAT(Get("main", "k"), Optional(std::string("durable")));
}

TEST_F(LmdbEnvTest, GrowsTheMapWhenManyWritesFillIt) {
  Open(64 << 10);
  const size_t initial = env_->map_size();
  const std::string value(2000, 'x');
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(Put("main", absl::StrCat("key-", i), value), IsOk())
        << "write " << i;
  }
  EXPECT_GT(env_->map_size(), initial);
  EXPECT_EQ(Scan("main", "key-", "", 5000).size(), 1000u);
}

TEST_F(LmdbEnvTest, GrowsAndRetriesATransactionLargerThanTheMap) {
  Open(64 << 10);
  const size_t initial = env_->map_size();
  int attempts = 0;
  const std::string value(4000, 'y');
  ASSERT_THAT(env_->Write([&](Txn& txn) -> absl::Status {
    ++attempts;
    for (int i = 0; i < 500; ++i) {
      absl::Status s = txn.Put("main", absl::StrCat("big-", i), value);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_GT(attempts, 1);  // The write function ran again after growth.
  EXPECT_GE(env_->map_size(), 500u * 4000u);
  EXPECT_GT(env_->map_size(), initial);
  EXPECT_EQ(Scan("main", "big-", "", 5000).size(), 500u);
}

TEST_F(LmdbEnvTest, GrownDataIsReadableAfterReopeningWithASmallMap) {
  Open(64 << 10);
  const std::string value(3000, 'z');
  for (int i = 0; i < 300; ++i) {
    ASSERT_THAT(Put("main", absl::StrCat("key-", i), value), IsOk());
  }
  Open(64 << 10);
  EXPECT_GE(env_->map_size(), 300u * 3000u);
  EXPECT_THAT(Get("main", "key-299"), Optional(value));
  ASSERT_THAT(Put("main", "after-reopen", value), IsOk());
  EXPECT_THAT(Get("main", "after-reopen"), Optional(value));
}

TEST_F(LmdbEnvTest, ConcurrentWritersAndReadersWhileTheMapGrows) {
  Open(64 << 10);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  const std::string value(1500, 'c');
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!Put("main", absl::StrCat("t", t, "-", i), value).ok()) ++failures;
        absl::Status read = env_->Read([&](Txn& txn) {
          return txn.Get("main", absl::StrCat("t", t, "-", i)).status();
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

TEST(LmdbEnvOpenTest, CreatesAMissingDirectory) {
  TempDir dir;
  LmdbEnv::Options options;
  options.path = dir.path() + "/nested/data";
  options.databases = {"main"};
  auto env = LmdbEnv::Open(options);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_TRUE(std::filesystem::is_directory(options.path));
}

TEST(LmdbEnvOpenTest, FailsWhenThePathIsAFile) {
  TempDir dir;
  const std::string file = dir.path() + "/plain-file";
  std::ofstream(file) << "not a directory";
  LmdbEnv::Options options;
  options.path = file + "/data";
  options.databases = {"main"};
  EXPECT_THAT(LmdbEnv::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LmdbErrorTest, NamesTheOperationAndTheLmdbError) {
  absl::Status status = LmdbError(MDB_NOTFOUND, "get");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("lmdb get"));
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr(mdb_strerror(MDB_NOTFOUND)));
}

TEST(LmdbErrorTest, FullOrFailingDiskIsResourceExhaustedWithAClearMessage) {
  for (int rc : {ENOSPC, EDQUOT, EFBIG, EIO}) {
    absl::Status status = LmdbError(rc, "commit");
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << rc;
    EXPECT_TRUE(IsStorageUnwritable(status)) << rc;
    EXPECT_THAT(std::string(status.message()),
                ::testing::HasSubstr("the disk is full or failing"));
    EXPECT_FALSE(IsMapFull(status));
  }
  absl::Status other = LmdbError(MDB_CORRUPTED, "get");
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsStorageUnwritable(other));
}

TEST(LmdbEnvWritableTest, StartsWritableAndBadInputSaysNothingAboutTheDisk) {
  TempDir dir;
  LmdbEnv::Options options;
  options.path = dir.path();
  options.databases = {"d"};
  auto env = LmdbEnv::Open(options);
  ASSERT_TRUE(env.ok()) << env.status();
  std::vector<bool> changes;
  (*env)->OnWritableChange([&](bool writable) { changes.push_back(writable); });
  EXPECT_TRUE((*env)->writable());
  EXPECT_FALSE(
      (*env)
          ->Write([](Txn&) { return absl::InvalidArgumentError("bad input"); })
          .ok());
  EXPECT_TRUE(
      (*env)->Write([](Txn& txn) { return txn.Put("d", "k", "v"); }).ok());
  EXPECT_TRUE((*env)->writable());
  EXPECT_TRUE(changes.empty());
}

// ------------------------------------------------------------ fault plans

// An env in `dir` whose write attempts ask `plan`.
std::unique_ptr<LmdbEnv> OpenWithPlan(const TempDir& dir, FaultPlan plan) {
  LmdbEnv::Options options;
  options.path = dir.path();
  options.initial_map_size = 1 << 20;
  options.databases = {"d"};
  options.fault_plan = std::move(plan);
  auto env = LmdbEnv::Open(options);
  EXPECT_TRUE(env.ok()) << env.status();
  return env.ok() ? *std::move(env) : nullptr;
}

std::optional<std::string> GetFrom(LmdbEnv& env, absl::string_view key) {
  std::optional<std::string> out;
  EXPECT_TRUE(env.Read([&](Txn& txn) -> absl::Status {
                   auto value = txn.Get("d", key);
                   if (!value.ok()) return value.status();
                   out = *value;
                   return absl::OkStatus();
                 })
                  .ok());
  return out;
}

std::string StepText(const WriteStep& s) {
  return absl::StrCat("write ", s.write, " attempt ", s.attempt, " changes ",
                      s.changes, s.commit ? " commit" : " change");
}

TEST(LmdbEnvFaultPlanTest, IsAskedBeforeEachChangeAndBeforeTheCommit) {
  TempDir dir;
  std::vector<std::string> steps;
  auto env = OpenWithPlan(dir, [&](const WriteStep& step) {
    steps.push_back(StepText(step));
    return WriteFault::kNone;
  });
  ASSERT_NE(env, nullptr);
  ASSERT_THAT(env->Write([](Txn& txn) -> absl::Status {
    absl::Status s = txn.Put("d", "a", "1");
    if (!s.ok()) return s;
    s = txn.Savepoint([](Txn& nested) { return nested.Put("d", "b", "2"); });
    if (!s.ok()) return s;
    return txn.Delete("d", "a");
  }),
              IsOk());
  ASSERT_THAT(env->Write([](Txn&) { return absl::OkStatus(); }), IsOk());
  EXPECT_THAT(steps, ElementsAre("write 1 attempt 1 changes 0 change",
                                 "write 1 attempt 1 changes 1 change",
                                 "write 1 attempt 1 changes 2 change",
                                 "write 1 attempt 1 changes 3 commit",
                                 "write 2 attempt 1 changes 0 commit"));
  EXPECT_EQ(GetFrom(*env, "b"), "2");
}

TEST(LmdbEnvFaultPlanTest, FailedWriteFunctionsAreNotAskedAboutTheCommit) {
  TempDir dir;
  std::vector<std::string> steps;
  auto env = OpenWithPlan(dir, [&](const WriteStep& step) {
    steps.push_back(StepText(step));
    return WriteFault::kNone;
  });
  ASSERT_NE(env, nullptr);
  EXPECT_THAT(env->Write([](Txn&) { return absl::InvalidArgumentError("x"); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(steps, IsEmpty());
}

TEST(LmdbEnvFaultPlanTest, FullMapAtTheCommitGrowsTheMapAndRunsTheWriteAgain) {
  TempDir dir;
  std::vector<std::string> steps;
  auto env = OpenWithPlan(dir, [&](const WriteStep& step) {
    steps.push_back(StepText(step));
    return step.attempt == 1 && step.commit ? WriteFault::kMapFull
                                            : WriteFault::kNone;
  });
  ASSERT_NE(env, nullptr);
  const size_t map_before = env->map_size();
  int runs = 0;
  ASSERT_THAT(env->Write([&](Txn& txn) {
    ++runs;
    return txn.Put("d", "k", absl::StrCat("run ", runs));
  }),
              IsOk());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(env->map_size(), 2 * map_before);
  EXPECT_EQ(GetFrom(*env, "k"), "run 2");
  EXPECT_TRUE(env->writable());
  // The retry is the same write; the next call is the next one.
  ASSERT_THAT(env->Write([](Txn& txn) { return txn.Put("d", "j", "v"); }),
              IsOk());
  EXPECT_THAT(steps, ElementsAre("write 1 attempt 1 changes 0 change",
                                 "write 1 attempt 1 changes 1 commit",
                                 "write 1 attempt 2 changes 0 change",
                                 "write 1 attempt 2 changes 1 commit",
                                 "write 2 attempt 1 changes 0 change",
                                 "write 2 attempt 1 changes 1 commit",
                                 "write 2 attempt 2 changes 0 change",
                                 "write 2 attempt 2 changes 1 commit"));
}

TEST(LmdbEnvFaultPlanTest, FullMapAtAPutInASavepointIsPassedUpAndRetried) {
  TempDir dir;
  auto env = OpenWithPlan(dir, [](const WriteStep& step) {
    return step.attempt == 1 && step.changes == 1 && !step.commit
               ? WriteFault::kMapFull
               : WriteFault::kNone;
  });
  ASSERT_NE(env, nullptr);
  int runs = 0;
  ASSERT_THAT(env->Write([&](Txn& txn) -> absl::Status {
    ++runs;
    absl::Status s = txn.Put("d", "a", "1");
    if (!s.ok()) return s;
    s = txn.Savepoint([](Txn& nested) { return nested.Put("d", "b", "2"); });
    EXPECT_EQ(IsMapFull(s), runs == 1);
    EXPECT_TRUE(s.ok() || FailsWholeWrite(s));
    return s;
  }),
              IsOk());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(GetFrom(*env, "a"), "1");
  EXPECT_EQ(GetFrom(*env, "b"), "2");
}

TEST(LmdbEnvFaultPlanTest, DiskErrorsFailTheWholeWriteAsRealOnesDo) {
  for (WriteFault fault : {WriteFault::kIoError, WriteFault::kDiskFull}) {
    for (bool at_commit : {true, false}) {
      SCOPED_TRACE(absl::StrCat(static_cast<int>(fault), " at ",
                                at_commit ? "commit" : "put"));
      TempDir dir;
      bool armed = true;
      auto env = OpenWithPlan(dir, [&](const WriteStep& step) {
        if (!armed || step.commit != at_commit) return WriteFault::kNone;
        armed = false;
        return fault;
      });
      ASSERT_NE(env, nullptr);
      std::vector<bool> changes;
      env->OnWritableChange([&](bool w) { changes.push_back(w); });
      int runs = 0;
      absl::Status status = env->Write([&](Txn& txn) {
        ++runs;
        return txn.Put("d", "k", "v");
      });
      const int rc = fault == WriteFault::kIoError ? EIO : ENOSPC;
      EXPECT_EQ(status, LmdbError(rc, at_commit ? "commit" : "put"));
      EXPECT_TRUE(IsStorageUnwritable(status));
      EXPECT_TRUE(FailsWholeWrite(status));
      EXPECT_FALSE(IsMapFull(status));
      EXPECT_EQ(runs, 1) << "a disk error is not retried";
      EXPECT_EQ(GetFrom(*env, "k"), std::nullopt);
      EXPECT_FALSE(env->writable());
      ASSERT_THAT(env->Write([](Txn& txn) { return txn.Put("d", "k", "w"); }),
                  IsOk());
      EXPECT_EQ(GetFrom(*env, "k"), "w");
      EXPECT_TRUE(env->writable());
      EXPECT_THAT(changes, ElementsAre(false, true));
    }
  }
}

TEST(FailsWholeWriteTest, HoldsForAFullMapAndAnUnwritableDiskOnly) {
  EXPECT_TRUE(FailsWholeWrite(LmdbError(EIO, "commit")));
  EXPECT_TRUE(FailsWholeWrite(LmdbError(ENOSPC, "put")));
  EXPECT_FALSE(FailsWholeWrite(LmdbError(MDB_CORRUPTED, "get")));
  EXPECT_FALSE(FailsWholeWrite(absl::ResourceExhaustedError("quota")));
  EXPECT_FALSE(FailsWholeWrite(absl::OkStatus()));
}

}  // namespace
}  // namespace quorum::graph
