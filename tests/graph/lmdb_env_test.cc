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

TEST(FailsWholeWriteTest, HoldsForAFullMapAndAnUnwritableDiskOnly) {
  EXPECT_TRUE(FailsWholeWrite(LmdbError(EIO, "commit")));
  EXPECT_TRUE(FailsWholeWrite(LmdbError(ENOSPC, "put")));
  EXPECT_FALSE(FailsWholeWrite(LmdbError(MDB_CORRUPTED, "get")));
  EXPECT_FALSE(FailsWholeWrite(absl::ResourceExhaustedError("quota")));
  EXPECT_FALSE(FailsWholeWrite(absl::OkStatus()));
}

}  // namespace
}  // namespace quorum::graph
