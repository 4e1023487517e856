// BackupData over a real channel while writers keep writing: the copy opens
// as a store holding every write acknowledged before the backup began, and
// its indexes all point at records.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "graph/storage/lmdb_env.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/admin_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

TEST(BackupData, ACopyTakenUnderWriteLoadHoldsEveryAcknowledgedWrite) {
  quorum::testing::TempDir dir;
  auto server = quorum::testing::StartServer(dir.path() + "/data");
  ASSERT_NE(server, nullptr);
  auto channel = quorum::testing::ChannelTo(*server);

  // Writers: each creates accounts (with a domain, so the domain and name
  // indexes get entries) and a note on each, and records what was
  // acknowledged.
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      auto graph = v1::AccountGraphService::NewStub(channel);
      auto notes = v1::NoteService::NewStub(channel);
      for (int i = 0; !stop; ++i) {
        v1::CreateAccountRequest create;
        create.set_account_id(absl::StrCat("lab-", w, "-", i));
        create.mutable_account()->set_display_name(
            absl::StrCat("Lab ", w, " number ", i));
        create.mutable_account()->set_country_code("US");
        create.mutable_account()->add_domains(
            absl::StrCat("lab-", w, "-", i, ".example.org"));
        v1::Account account;
        if (!graph->CreateAccount(Context().get(), create, &account).ok()) {
          ++failures;
          continue;
        }
        v1::CreateNoteRequest note;
        note.set_parent(account.name());
        note.mutable_note()->set_learned("Evaluating a new analyzer");
        note.mutable_note()->set_author("load");
        v1::Note created;
        if (!notes->CreateNote(Context().get(), note, &created).ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.push_back(account.name());
      }
    });
  }
  // Let the writers get going, then back up while they go on.
  auto wait_for = [&](size_t n) {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acknowledged.size() >= n) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  wait_for(30);
  std::vector<std::string> before;
  {
    std::lock_guard<std::mutex> lock(mu);
    before = acknowledged;
  }
  const std::string copy = dir.path() + "/backup/copy-1";
  auto admin = v1::AdminService::NewStub(channel);
  v1::BackupDataRequest request;
  request.set_path(copy);
  v1::BackupDataResponse response;
  grpc::Status status = admin->BackupData(Context().get(), request, &response);
  size_t during;
  {
    std::lock_guard<std::mutex> lock(mu);
    during = acknowledged.size();
  }
  wait_for(during + 10);  // Writes went on after the backup too.
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(response.path(), copy);
  EXPECT_GT(response.size_bytes(), 0);
  EXPECT_TRUE(std::filesystem::exists(copy + "/data.mdb"));

  // Restore: a server on the copy.
  server.reset();
  auto restored = quorum::testing::StartServer(copy);
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(restored->use_cases()->admin().CheckIndexes().ok())
      << restored->use_cases()->admin().CheckIndexes();
  auto graph =
      v1::AccountGraphService::NewStub(quorum::testing::ChannelTo(*restored));
  auto notes = v1::NoteService::NewStub(quorum::testing::ChannelTo(*restored));
  for (const std::string& name : before) {
    v1::GetAccountRequest get;
    get.set_name(name);
    v1::Account account;
    ASSERT_TRUE(graph->GetAccount(Context().get(), get, &account).ok()) << name;
    v1::ListNotesRequest list;
    list.set_parent(name);
    v1::ListNotesResponse listed;
    ASSERT_TRUE(notes->ListNotes(Context().get(), list, &listed).ok());
    EXPECT_EQ(listed.notes_size(), 1) << name;
  }
  // The original is untouched too.
  restored.reset();
  auto original = quorum::testing::StartServer(dir.path() + "/data");
  ASSERT_NE(original, nullptr);
  EXPECT_TRUE(original->use_cases()->admin().CheckIndexes().ok());
}

TEST(BackupData, RefusesARelativeOrNonEmptyPathAndChangesNothing) {
  quorum::testing::TempDir dir;
  auto server = quorum::testing::StartServer(dir.path() + "/data");
  ASSERT_NE(server, nullptr);
  auto admin = v1::AdminService::NewStub(quorum::testing::ChannelTo(*server));
  v1::BackupDataResponse response;
  v1::BackupDataRequest request;
  EXPECT_EQ(admin->BackupData(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_path("relative/dir");
  EXPECT_EQ(admin->BackupData(Context().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(std::filesystem::exists("relative/dir"));
  // A directory that already holds something (here: the live data).
  request.set_path(dir.path() + "/data");
  auto status = admin->BackupData(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("not empty"), std::string::npos);
  // A second backup into the directory of the first is refused.
  request.set_path(dir.path() + "/b1");
  ASSERT_TRUE(admin->BackupData(Context().get(), request, &response).ok());
  EXPECT_EQ(admin->BackupData(Context().get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(BackupData, OnPostgresqlIsUnimplementedAndPointsToPgDump) {
  QUORUM_SKIP_WITHOUT_ENGINE(quorum::testing::Engine::kPostgres);
  quorum::testing::TempDir dir;
  auto server = quorum::testing::StartServer(
      quorum::testing::StoreFor(quorum::testing::Engine::kPostgres, ""));
  ASSERT_NE(server, nullptr);
  auto admin = v1::AdminService::NewStub(quorum::testing::ChannelTo(*server));
  v1::BackupDataRequest request;
  request.set_path(dir.path() + "/copy");
  v1::BackupDataResponse response;
  auto status = admin->BackupData(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("pg_dump"), std::string::npos)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/copy/data.mdb"));
}

TEST(CheckIndexes, FindsAnIndexEntryWithoutItsRecord) {
  quorum::testing::TempDir dir;
  graph::Store::Options options;
  options.path = dir.path();
  auto store = graph::UseCases::Open(options);
  ASSERT_TRUE(store.ok());
  v1::Account account;
  account.set_display_name("Northfield Health System");
  account.set_country_code("US");
  account.add_domains("northfield.example.org");
  ASSERT_TRUE((*store)->accounts().CreateAccount(account, "northfield").ok());
  EXPECT_TRUE((*store)->admin().CheckIndexes().ok());
  store->reset();
  // Remove the record behind the store's back, leaving its indexes.
  {
    graph::LmdbEnv::Options env_options;
    env_options.path = dir.path();
    env_options.databases = {"accounts"};
    auto env = graph::LmdbEnv::Open(env_options);
    ASSERT_TRUE(env.ok());
    ASSERT_TRUE((*env)
                    ->Write([](graph::Txn& txn) {
                      return txn.Delete("accounts", "accounts/northfield");
                    })
                    .ok());
  }
  store = graph::UseCases::Open(options);
  ASSERT_TRUE(store.ok());
  absl::Status checked = (*store)->admin().CheckIndexes();
  EXPECT_EQ(checked.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(checked.message().find("domains[northfield.example.org]"),
            std::string::npos)
      << checked;
}

}  // namespace
}  // namespace quorum::server
