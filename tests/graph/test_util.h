// Shared helpers of the graph/ tests: status matchers, a temporary folder
// that cleans itself up, and a Store fixture on a real LMDB with a settable
// clock.
#ifndef QUORUM_TESTS_GRAPH_TEST_UTIL_H_
#define QUORUM_TESTS_GRAPH_TEST_UTIL_H_

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "graph/model/status.h"
#include "graph/storage/lmdb_env.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::testing {

// ---------------------------------------------------------------- Statuses

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code,
          absl::StrCat("has code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           absl::StrCat("has code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

// The fields named by the status's google.rpc.BadRequest.
inline std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  const google::rpc::BadRequest bad_request = BadRequestOf(status);
  for (const auto& v : bad_request.field_violations()) {
    fields.push_back(v.field());
  }
  return fields;
}

// INVALID_ARGUMENT whose BadRequest names `field`.
MATCHER_P(HasViolationOn, field,
          absl::StrCat("is INVALID_ARGUMENT naming field ", field)) {
  const absl::Status& status = StatusOf(arg);
  std::vector<std::string> fields = ViolatedFields(status);
  *result_listener << "status is " << status << ", violated fields: ["
                   << ::testing::PrintToString(fields) << "]";
  return status.code() == absl::StatusCode::kInvalidArgument &&
         std::find(fields.begin(), fields.end(), std::string(field)) !=
             fields.end();
}

// FAILED_PRECONDITION whose PreconditionFailure has a violation of `type`.
MATCHER_P(HasPreconditionFailure, type,
          absl::StrCat("is FAILED_PRECONDITION of type ", type)) {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "status is " << status;
  if (status.code() != absl::StatusCode::kFailedPrecondition) return false;
  const google::rpc::PreconditionFailure failure =
      PreconditionFailureOf(status);
  for (const auto& v : failure.violations()) {
    if (v.type() == type) return true;
  }
  return false;
}

#define QUORUM_TEST_CONCAT_INNER_(a, b) a##b
#define QUORUM_TEST_CONCAT_(a, b) QUORUM_TEST_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::quorum::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::quorum::testing::IsOk())

// Declares `lhs` from a StatusOr, failing the test (fatally) when not OK.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                       \
  ASSERT_OK_AND_ASSIGN_IMPL_(QUORUM_TEST_CONCAT_(_status_or_, __LINE__), lhs, \
                             expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();           \
  lhs = *std::move(tmp)

// Whether two messages are equal field by field.
MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

// ------------------------------------------------------------- Temp folders

// A fresh folder under the test temporary directory, removed with its
// contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    std::string pattern = base + "quorum_graph_test_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// -------------------------------------------------------------- Resources

inline google::protobuf::FieldMask Mask(std::vector<std::string> paths) {
  google::protobuf::FieldMask mask;
  for (std::string& p : paths) mask.add_paths(std::move(p));
  return mask;
}

inline v1::Account NewAccount(std::string display_name,
                              std::string country = "US") {
  v1::Account account;
  account.set_display_name(std::move(display_name));
  account.set_country_code(std::move(country));
  return account;
}

inline v1::Site NewSite(std::string display_name) {
  v1::Site site;
  site.set_display_name(std::move(display_name));
  return site;
}

inline v1::Stakeholder NewStakeholder(std::string display_name,
                                      std::string email = "") {
  v1::Stakeholder stakeholder;
  stakeholder.set_display_name(std::move(display_name));
  stakeholder.set_email(std::move(email));
  return stakeholder;
}

inline v1::Relationship NewRelationship(std::string source, std::string target,
                                        v1::RelationshipType type) {
  v1::Relationship relationship;
  relationship.set_source(std::move(source));
  relationship.set_target(std::move(target));
  relationship.set_type(type);
  return relationship;
}

inline std::string AccountName(absl::string_view id) {
  return absl::StrCat("accounts/", id);
}
inline std::string SiteName(absl::string_view account, absl::string_view id) {
  return absl::StrCat("accounts/", account, "/sites/", id);
}
inline std::string StakeholderName(absl::string_view account,
                                   absl::string_view id) {
  return absl::StrCat("accounts/", account, "/stakeholders/", id);
}
inline std::string RelationshipName(absl::string_view account,
                                    absl::string_view id) {
  return absl::StrCat("accounts/", account, "/relationships/", id);
}

// Returns the value, or records a test failure naming `what` and returns a
// default value (helpers that build fixtures cannot use ASSERT).
template <typename T>
T OrFail(absl::StatusOr<T> result, absl::string_view what) {
  if (!result.ok()) {
    ADD_FAILURE() << what << ": " << result.status();
    return T();
  }
  return *std::move(result);
}

// ------------------------------------------------------------ Store fixture

// A Store on a real LMDB in a temporary folder, with a clock the test sets.
class StoreTest : public ::testing::Test {
 protected:
  static constexpr size_t kDefaultMapSize = 8 << 20;

  void SetUp() override { OpenStore(kDefaultMapSize); }

  void OpenStore(size_t initial_map_size) {
    graph::Store::Options options;
    options.path = in_memory_ ? std::string(graph::Store::Options::kInMemory)
                              : dir_.path();
    options.initial_map_size = initial_map_size;
    options.clock = [this] { return now_; };
    auto store = graph::UseCases::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Closes the store and opens it again on the same folder.
  void Reopen(size_t initial_map_size = kDefaultMapSize) {
    store_.reset();
    OpenStore(initial_map_size);
  }

  // Every key of the store's LMDB database `db` (e.g. the "emails" index),
  // read directly with the store closed; the store is opened again after.
  std::vector<std::string> RawKeys(const std::string& db) {
    store_.reset();
    std::vector<std::string> keys;
    {
      graph::LmdbEnv::Options options;
      options.path = dir_.path();
      options.databases = {db};
      auto env = graph::LmdbEnv::Open(options);
      EXPECT_TRUE(env.ok()) << env.status();
      if (env.ok()) {
        absl::Status status = (*env)->Read([&](graph::Txn& txn) {
          return txn.Scan(db, "", "",
                          [&](absl::string_view key, absl::string_view) {
                            keys.emplace_back(key);
                            return true;
                          });
        });
        EXPECT_TRUE(status.ok()) << status;
      }
    }
    OpenStore(kDefaultMapSize);
    return keys;
  }

  // Runs `write` on the store's LMDB databases `dbs` directly, with the
  // store closed (to make a store as an older server, or damage, left it);
  // the store is opened again after.
  void RawWrite(const std::vector<std::string>& dbs,
                const std::function<absl::Status(graph::Txn&)>& write) {
    store_.reset();
    {
      graph::LmdbEnv::Options options;
      options.path = dir_.path();
      options.databases = dbs;
      auto env = graph::LmdbEnv::Open(options);
      ASSERT_TRUE(env.ok()) << env.status();
      absl::Status status = (*env)->Write(write);
      ASSERT_TRUE(status.ok()) << status;
    }
    OpenStore(kDefaultMapSize);
  }

  // Creates accounts/{id}, optionally under accounts/{parent_id}.
  v1::Account AddAccount(absl::string_view id, absl::string_view parent_id = "",
                         std::vector<std::string> domains = {}) {
    v1::Account account = NewAccount(absl::StrCat("Account ", id));
    if (!parent_id.empty()) account.set_parent(AccountName(parent_id));
    for (std::string& d : domains) account.add_domains(std::move(d));
    return OrFail(store_->accounts().CreateAccount(account, id),
                  absl::StrCat("CreateAccount ", id));
  }

  v1::Site AddSite(absl::string_view account_id, absl::string_view id) {
    return OrFail(
        store_->accounts().CreateSite(AccountName(account_id),
                                      NewSite(absl::StrCat("Site ", id)), id),
        absl::StrCat("CreateSite ", id));
  }

  v1::Stakeholder AddStakeholder(absl::string_view account_id,
                                 absl::string_view id,
                                 std::vector<std::string> sites = {},
                                 std::string email = "") {
    v1::Stakeholder s = NewStakeholder(absl::StrCat("Person ", id), email);
    for (std::string& site : sites) s.add_sites(std::move(site));
    return OrFail(
        store_->accounts().CreateStakeholder(AccountName(account_id), s, id),
        absl::StrCat("CreateStakeholder ", id));
  }

  // A relationship stored under the source's account.
  v1::Relationship Relate(absl::string_view source_account,
                          absl::string_view source_id,
                          absl::string_view target_account,
                          absl::string_view target_id,
                          v1::RelationshipType type,
                          absl::string_view id = "") {
    return OrFail(
        store_->accounts().CreateRelationship(
            AccountName(source_account),
            NewRelationship(StakeholderName(source_account, source_id),
                            StakeholderName(target_account, target_id), type),
            id),
        absl::StrCat("CreateRelationship ", source_id, " -> ", target_id));
  }

  TempDir dir_;
  // Set before SetUp: the store keeps its data in memory (MemoryEngine)
  // instead of LMDB in dir_.
  bool in_memory_ = false;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<graph::UseCases> store_;
};

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_GRAPH_TEST_UTIL_H_
