// FaultInjectingEngine: chosen write attempts of a real LMDB engine meet a
// full map, an I/O error or a full disk, reported as the real ones are.
#include "graph/storage/fault_injecting_engine.h"

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::IsOk;
using ::quorum::testing::StatusIs;
using ::quorum::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ------------------------------------------------------------ fault plans

// An LMDB engine in `dir` whose write attempts ask `plan`.
std::unique_ptr<KvEngine> OpenWithPlan(const TempDir& dir, FaultPlan plan) {
  LmdbEnv::Options options;
  options.path = dir.path();
  options.initial_map_size = 1 << 20;
  options.databases = {"d"};
  auto env = LmdbEnv::Open(options);
  EXPECT_TRUE(env.ok()) << env.status();
  if (!env.ok()) return nullptr;
  return std::make_unique<FaultInjectingEngine>(*std::move(env),
                                                std::move(plan));
}

std::optional<std::string> GetFrom(KvEngine& env, absl::string_view key) {
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

TEST(FaultInjectingEngineTest, IsAskedBeforeEachChangeAndBeforeTheCommit) {
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

TEST(FaultInjectingEngineTest, FailedWriteFunctionsAreNotAskedAboutTheCommit) {
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

TEST(FaultInjectingEngineTest,
     FullMapAtTheCommitGrowsTheMapAndRunsTheWriteAgain) {
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

TEST(FaultInjectingEngineTest, FullMapAtAPutInASavepointIsPassedUpAndRetried) {
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

TEST(FaultInjectingEngineTest, DiskErrorsFailTheWholeWriteAsRealOnesDo) {
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
      EXPECT_EQ(status,
                StorageUnwritableError(rc, at_commit ? "commit" : "put"));
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

TEST(FaultInjectingEngineTest, WrapsTheMemoryEngineToo) {
  int runs = 0;
  FaultInjectingEngine engine(
      std::make_unique<MemoryEngine>(std::vector<std::string>{"d"}),
      [](const WriteStep& step) {
        return step.attempt == 1 && step.commit ? WriteFault::kMapFull
                                                : WriteFault::kNone;
      });
  ASSERT_THAT(engine.Write([&](Txn& txn) {
    ++runs;
    return txn.Put("d", "k", absl::StrCat("run ", runs));
  }),
              IsOk());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(GetFrom(engine, "k"), "run 2");
}

TEST(FaultInjectingEngineTest, ReadsAreNeverFailed) {
  TempDir dir;
  auto env =
      OpenWithPlan(dir, [](const WriteStep&) { return WriteFault::kIoError; });
  ASSERT_NE(env, nullptr);
  EXPECT_FALSE(
      env->Write([](Txn& txn) { return txn.Put("d", "k", "v"); }).ok());
  EXPECT_THAT(env->Read([](Txn& txn) { return txn.Get("d", "k").status(); }),
              IsOk());
  EXPECT_FALSE(env->writable());
}

}  // namespace
}  // namespace quorum::graph
