// AccountGraphService over a real gRPC channel to an in-process server with
// a real LMDB store in a temporary folder.
#include "server/account_graph_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "graph/model/page_token.h"
#include "graph/model/tokens.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

using ::quorum::testing::PreconditionTypes;
using ::quorum::testing::ViolatedFields;
using ::testing::Test;
namespace v1 = ::quorum::v1;

class AccountGraphServiceTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    StartServer(4 << 20);
  }

  void StartServer(int max_message_bytes) {
    server_.reset();
    server_ = quorum::testing::StartServer(store_, max_message_bytes);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    stub_ = v1::AccountGraphService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return context;
  }

  grpc::Status CreateAccount(const std::string& id, v1::Account account,
                             v1::Account* out = nullptr) {
    v1::CreateAccountRequest request;
    *request.mutable_account() = std::move(account);
    request.set_account_id(id);
    v1::Account response;
    grpc::Status status = stub_->CreateAccount(Context().get(), request,
                                               out ? out : &response);
    return status;
  }

  static v1::Account MakeAccount(const std::string& name,
                                 const std::string& country = "US") {
    v1::Account a;
    a.set_display_name(name);
    a.set_country_code(country);
    a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    return a;
  }

  grpc::Status CreateStakeholder(const std::string& parent,
                                 const std::string& id,
                                 const std::string& email,
                                 v1::Stakeholder* out = nullptr) {
    v1::CreateStakeholderRequest request;
    request.set_parent(parent);
    request.set_stakeholder_id(id);
    request.mutable_stakeholder()->set_display_name("Person " + id);
    request.mutable_stakeholder()->set_email(email);
    v1::Stakeholder response;
    return stub_->CreateStakeholder(Context().get(), request,
                                    out ? out : &response);
  }

  grpc::Status Relate(const std::string& parent, const std::string& source,
                      const std::string& target, v1::RelationshipType type,
                      v1::Relationship* out = nullptr) {
    v1::CreateRelationshipRequest request;
    request.set_parent(parent);
    request.mutable_relationship()->set_source(source);
    request.mutable_relationship()->set_target(target);
    request.mutable_relationship()->set_type(type);
    v1::Relationship response;
    return stub_->CreateRelationship(Context().get(), request,
                                     out ? out : &response);
  }

  int CountAccounts() {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    v1::ListAccountsResponse response;
    EXPECT_TRUE(stub_->ListAccounts(Context().get(), request, &response).ok());
    return response.accounts_size();
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AccountGraphService::Stub> stub_;
};

// `message` carrying an unknown length-delimited field of `bytes` bytes
// (field number 9999), as a client with another schema would send it.
template <typename T>
T WithUnknownField(const T& message, size_t bytes) {
  std::string wire = message.SerializeAsString();
  // Tag of field 9999, wire type 2: varint (9999 << 3 | 2).
  uint64_t tag = (9999u << 3) | 2u;
  auto varint = [&wire](uint64_t v) {
    while (v >= 0x80) {
      wire.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    wire.push_back(static_cast<char>(v));
  };
  varint(tag);
  varint(bytes);
  wire.append(bytes, 'x');
  T out;
  EXPECT_TRUE(out.ParseFromString(wire));
  return out;
}

bool HasUnknownFieldsAnywhere(const google::protobuf::Message& message) {
  const auto* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (HasUnknownFieldsAnywhere(
                reflection->GetRepeatedMessage(message, field, i))) {
          return true;
        }
      }
    } else if (HasUnknownFieldsAnywhere(
                   reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

TEST_P(AccountGraphServiceTest, UnknownFieldsAreDiscardedBeforeStorage) {
  // A 1 MiB unknown field used to be stored and served back.
  v1::Account account =
      WithUnknownField(MakeAccount("Unknown Fields Lab"), 1 << 20);
  ASSERT_TRUE(HasUnknownFieldsAnywhere(account));
  v1::Account created;
  ASSERT_TRUE(CreateAccount("unknown-fields", account, &created).ok());
  EXPECT_FALSE(HasUnknownFieldsAnywhere(created));
  v1::GetAccountRequest get;
  get.set_name("accounts/unknown-fields");
  v1::Account got;
  ASSERT_TRUE(stub_->GetAccount(Context().get(), get, &got).ok());
  EXPECT_FALSE(HasUnknownFieldsAnywhere(got));
  EXPECT_LT(got.ByteSizeLong(), 1000u);

  // Nested unknown fields too, on create and on update.
  v1::CreateStakeholderRequest person;
  person.set_parent("accounts/unknown-fields");
  person.set_stakeholder_id("ann");
  person.mutable_stakeholder()->set_display_name("Ann");
  auto* role = person.mutable_stakeholder()->add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  *role = WithUnknownField(*role, 100);
  v1::Stakeholder stakeholder;
  ASSERT_TRUE(
      stub_->CreateStakeholder(Context().get(), person, &stakeholder).ok());
  v1::UpdateAccountRequest update;
  *update.mutable_account() = WithUnknownField(got, 4096);
  update.mutable_account()->set_owner("team-east");
  update.mutable_update_mask()->add_paths("owner");
  v1::Account updated;
  ASSERT_TRUE(stub_->UpdateAccount(Context().get(), update, &updated).ok());
  EXPECT_FALSE(HasUnknownFieldsAnywhere(updated));
  v1::GetCommitteeMapRequest map_request;
  map_request.set_name("accounts/unknown-fields");
  v1::CommitteeMap map;
  ASSERT_TRUE(stub_->GetCommitteeMap(Context().get(), map_request, &map).ok());
  EXPECT_FALSE(HasUnknownFieldsAnywhere(map));
  EXPECT_EQ(map.account().owner(), "team-east");
}

TEST_P(AccountGraphServiceTest,
       OversizedLabelsAreRefusedAndListingsKeepWorking) {
  // Three accounts with 6,000 labels of 500 bytes used to be stored and
  // made every ListAccounts fail with RESOURCE_EXHAUSTED.
  for (int n = 0; n < 3; ++n) {
    v1::Account account = MakeAccount("Label Lab " + std::to_string(n));
    for (int i = 0; i < 6000; ++i) {
      (*account.mutable_labels())["k" + std::to_string(i)] =
          std::string(500, 'v');
    }
    grpc::Status status = CreateAccount("", account);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"account.labels"});
  }
  ASSERT_TRUE(CreateAccount("small", MakeAccount("Small Lab")).ok());
  EXPECT_EQ(CountAccounts(), 1);
}

TEST_P(AccountGraphServiceTest, PagesOfLargeAccountsStopAtTheByteBudget) {
  // Accounts as large as the limits allow (about 100 KB each).
  constexpr int kAccounts = 14;
  for (int n = 0; n < kAccounts; ++n) {
    v1::Account account = MakeAccount("Large Lab " + std::to_string(n));
    for (int i = 0; i < 50; ++i) {
      const std::string entry =
          std::string(490, 'a' + n % 26) + std::to_string(1000 + i);
      account.add_testing_scopes(entry);
      account.add_accreditations(entry);
      account.add_current_systems(entry);
    }
    for (int i = 0; i < 64; ++i) {
      (*account.mutable_labels())["label-" + std::to_string(i)] =
          std::string(255, 'v');
    }
    grpc::Status status = CreateAccount("", account);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListAccountsResponse response;
    grpc::Status status =
        stub_->ListAccounts(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GT(response.accounts_size(), 0);
    EXPECT_LE(response.ByteSizeLong(), (1u << 20) + 200000u);
    for (const auto& a : response.accounts()) seen.insert(a.name());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(static_cast<int>(seen.size()), kAccounts);
  EXPECT_GT(pages, 1);
}

TEST_P(AccountGraphServiceTest, CreatesRetriedWithTheSameRequestIdCreateOnce) {
  // Without an ID the server derives one from the name: a retry without a
  // request ID makes a second account.
  v1::CreateAccountRequest request;
  *request.mutable_account() = MakeAccount("Retry Health");
  request.set_request_id("0d8f6c52-0d4f-4f8e-9a55-1b1f4f1c0a01");
  v1::Account first, retry;
  ASSERT_TRUE(stub_->CreateAccount(Context().get(), request, &first).ok());
  ASSERT_TRUE(stub_->CreateAccount(Context().get(), request, &retry).ok());
  EXPECT_EQ(first.name(), "accounts/retry-health");
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_EQ(retry.etag(), first.etag());
  EXPECT_EQ(CountAccounts(), 1);

  // The same ID for a different request is refused.
  request.mutable_account()->set_display_name("Other Health");
  grpc::Status status = stub_->CreateAccount(Context().get(), request, &retry);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"request_id"});
  EXPECT_EQ(CountAccounts(), 1);

  // Sites, stakeholders and relationships too.
  v1::CreateSiteRequest site;
  site.set_parent(first.name());
  site.mutable_site()->set_display_name("Main Lab");
  site.set_request_id("site-1");
  v1::Site site_first, site_retry;
  ASSERT_TRUE(stub_->CreateSite(Context().get(), site, &site_first).ok());
  ASSERT_TRUE(stub_->CreateSite(Context().get(), site, &site_retry).ok());
  EXPECT_EQ(site_first.name(), site_retry.name());
  v1::ListSitesRequest sites;
  sites.set_parent(first.name());
  v1::ListSitesResponse listed;
  ASSERT_TRUE(stub_->ListSites(Context().get(), sites, &listed).ok());
  EXPECT_EQ(listed.sites_size(), 1);

  v1::CreateStakeholderRequest person;
  person.set_parent(first.name());
  person.mutable_stakeholder()->set_display_name("Ann Lee");
  person.set_request_id("person-1");
  v1::Stakeholder ann, ann_retry;
  ASSERT_TRUE(stub_->CreateStakeholder(Context().get(), person, &ann).ok());
  ASSERT_TRUE(
      stub_->CreateStakeholder(Context().get(), person, &ann_retry).ok());
  EXPECT_EQ(ann.name(), ann_retry.name());
  person.mutable_stakeholder()->set_display_name("Bob Ray");
  person.set_request_id("person-2");
  v1::Stakeholder bob;
  ASSERT_TRUE(stub_->CreateStakeholder(Context().get(), person, &bob).ok());
  v1::ListStakeholdersRequest people;
  people.set_parent(first.name());
  v1::ListStakeholdersResponse listed_people;
  ASSERT_TRUE(
      stub_->ListStakeholders(Context().get(), people, &listed_people).ok());
  EXPECT_EQ(listed_people.stakeholders_size(), 2);

  v1::CreateRelationshipRequest edge;
  edge.set_parent(first.name());
  edge.mutable_relationship()->set_source(ann.name());
  edge.mutable_relationship()->set_target(bob.name());
  edge.mutable_relationship()->set_type(v1::RELATIONSHIP_TYPE_REPORTS_TO);
  edge.set_request_id("edge-1");
  v1::Relationship r1, r2;
  ASSERT_TRUE(stub_->CreateRelationship(Context().get(), edge, &r1).ok());
  // Without the ID this retry would be ALREADY_EXISTS.
  ASSERT_TRUE(stub_->CreateRelationship(Context().get(), edge, &r2).ok());
  EXPECT_EQ(r1.name(), r2.name());
}

TEST_P(AccountGraphServiceTest, HealthIsServing) {
  EXPECT_EQ(quorum::testing::CheckHealth(channel_),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_P(AccountGraphServiceTest, AccountCreateGetUpdateDeleteRoundTrip) {
  v1::Account input = MakeAccount("Northfield Health");
  input.add_domains("Northfield-Health.ORG ");
  input.set_subdivision_code("us-nj");
  v1::Account created;
  ASSERT_TRUE(CreateAccount("northfield", input, &created).ok());
  EXPECT_EQ(created.name(), "accounts/northfield");
  EXPECT_EQ(created.domains(0), "northfield-health.org");
  EXPECT_EQ(created.subdivision_code(), "US-NJ");
  EXPECT_EQ(created.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_TRUE(created.has_create_time());

  v1::GetAccountRequest get;
  get.set_name("accounts/northfield");
  v1::Account got;
  ASSERT_TRUE(stub_->GetAccount(Context().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());

  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(created.name());
  update.mutable_account()->set_etag(created.etag());
  update.mutable_account()->set_owner("team-east");
  update.mutable_account()->set_display_name("ignored: not in the mask");
  update.mutable_update_mask()->add_paths("owner");
  v1::Account updated;
  ASSERT_TRUE(stub_->UpdateAccount(Context().get(), update, &updated).ok());
  EXPECT_EQ(updated.owner(), "team-east");
  EXPECT_EQ(updated.display_name(), "Northfield Health");
  EXPECT_NE(updated.etag(), created.etag());

  v1::DeleteAccountRequest del;
  del.set_name(created.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->DeleteAccount(Context().get(), del, &empty).ok());
  grpc::Status missing = stub_->GetAccount(Context().get(), get, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, ServerGeneratesIdFromDisplayName) {
  v1::Account created;
  ASSERT_TRUE(CreateAccount("", MakeAccount("St. Mary's Lab"), &created).ok());
  EXPECT_EQ(created.name(), "accounts/st-mary-s-lab");
  ASSERT_TRUE(CreateAccount("", MakeAccount("St. Mary's Lab"), &created).ok());
  EXPECT_EQ(created.name(), "accounts/st-mary-s-lab-2");
}

TEST_P(AccountGraphServiceTest, ListAccountsPagesThroughEveryAccountOnce) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(CreateAccount("a" + std::to_string(i),
                              MakeAccount("Account " + std::to_string(i)))
                    .ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListAccountsRequest request;
    request.set_page_size(3);
    request.set_page_token(token);
    v1::ListAccountsResponse response;
    ASSERT_TRUE(stub_->ListAccounts(Context().get(), request, &response).ok());
    for (const auto& a : response.accounts()) seen.push_back(a.name());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front(), "accounts/a0");
  EXPECT_EQ(seen.back(), "accounts/a6");
}

TEST_P(AccountGraphServiceTest, NegativePageSizeNamesPageSize) {
  v1::ListAccountsRequest request;
  request.set_page_size(-1);
  v1::ListAccountsResponse response;
  grpc::Status status = stub_->ListAccounts(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_size"});
}

TEST_P(AccountGraphServiceTest, ForeignOrGarbagePageTokenNamesPageToken) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  for (int i = 0; i < 3; ++i) {
    v1::CreateSiteRequest site;
    site.set_parent("accounts/a");
    site.mutable_site()->set_display_name("Site " + std::to_string(i));
    v1::Site created;
    ASSERT_TRUE(stub_->CreateSite(Context().get(), site, &created).ok());
  }
  v1::ListSitesRequest sites;
  sites.set_parent("accounts/a");
  sites.set_page_size(1);
  v1::ListSitesResponse page;
  ASSERT_TRUE(stub_->ListSites(Context().get(), sites, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  v1::ListAccountsRequest accounts;
  accounts.set_page_token(page.next_page_token());  // Issued for sites.
  v1::ListAccountsResponse response;
  grpc::Status status =
      stub_->ListAccounts(Context().get(), accounts, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});

  accounts.set_page_token("not-a-token!");
  status = stub_->ListAccounts(Context().get(), accounts, &response);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});

  // A forged token with a position longer than any key.
  graph::tokens::PageToken forged;
  forged.set_scope("accounts");
  forged.set_start_after("accounts/" + std::string(600, 'x'));
  accounts.set_page_token(graph::EncodeToken(forged));
  status = stub_->ListAccounts(Context().get(), accounts, &response);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});
}

TEST_P(AccountGraphServiceTest,
       BadAccountFieldsAreEachNamedAndNothingIsWritten) {
  v1::Account bad;
  bad.set_display_name(" ");
  bad.set_country_code("XX");
  bad.set_facility_type(static_cast<v1::FacilityType>(42));
  bad.add_domains("not a domain");
  bad.set_annual_test_volume(-5);
  bad.set_parent("accounts/Bad_Name");
  grpc::Status status = CreateAccount("9starts-with-digit", bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"account.display_name",
                                   "account.country_code",
                                   "account.facility_type",
                                   "account.domains[0]",
                                   "account.annual_test_volume",
                                   "account.parent", "account_id"}));
  EXPECT_EQ(CountAccounts(), 0);
}

TEST_P(AccountGraphServiceTest, MalformedNamesAreNamed) {
  v1::GetAccountRequest get;
  get.set_name("account/x");
  v1::Account account;
  grpc::Status status = stub_->GetAccount(Context().get(), get, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"name"});

  v1::GetSiteRequest site;
  site.set_name("accounts/a/stakeholders/b");
  v1::Site s;
  status = stub_->GetSite(Context().get(), site, &s);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"name"});

  v1::ListStakeholdersRequest list;
  list.set_parent("");
  v1::ListStakeholdersResponse response;
  status = stub_->ListStakeholders(Context().get(), list, &response);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"parent"});
}

TEST_P(AccountGraphServiceTest, DuplicateIdAndDomainAreAlreadyExists) {
  v1::Account a = MakeAccount("A");
  a.add_domains("a-lab.org");
  ASSERT_TRUE(CreateAccount("a", a).ok());
  EXPECT_EQ(CreateAccount("a", MakeAccount("Other")).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::Account b = MakeAccount("B");
  b.add_domains("A-LAB.org");
  grpc::Status status = CreateAccount("b", b);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("a-lab.org"), std::string::npos);
  EXPECT_EQ(CountAccounts(), 1);
}

TEST_P(AccountGraphServiceTest, StaleEtagIsAbortedAndChangesNothing) {
  v1::Account created;
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A"), &created).ok());
  v1::UpdateAccountRequest first;
  first.mutable_account()->set_name("accounts/a");
  first.mutable_account()->set_etag(created.etag());
  first.mutable_account()->set_owner("first");
  first.mutable_update_mask()->add_paths("owner");
  v1::Account after_first;
  ASSERT_TRUE(stub_->UpdateAccount(Context().get(), first, &after_first).ok());

  v1::UpdateAccountRequest second = first;  // Still the old etag.
  second.mutable_account()->set_owner("second");
  v1::Account ignored;
  grpc::Status status =
      stub_->UpdateAccount(Context().get(), second, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);

  v1::DeleteAccountRequest del;
  del.set_name("accounts/a");
  del.set_etag(created.etag());
  google::protobuf::Empty empty;
  EXPECT_EQ(stub_->DeleteAccount(Context().get(), del, &empty).error_code(),
            grpc::StatusCode::ABORTED);

  v1::GetAccountRequest get;
  get.set_name("accounts/a");
  v1::Account now;
  ASSERT_TRUE(stub_->GetAccount(Context().get(), get, &now).ok());
  EXPECT_EQ(now.owner(), "first");
}

TEST_P(AccountGraphServiceTest, UpdateMaskWithUnknownOrOutputOnlyPathIsNamed) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name("accounts/a");
  update.mutable_update_mask()->add_paths("no_such_field");
  update.mutable_update_mask()->add_paths("lifecycle_status");
  v1::Account ignored;
  grpc::Status status = stub_->UpdateAccount(Context().get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"update_mask.paths[0]",
                                   "update_mask.paths[1]"}));
}

TEST_P(AccountGraphServiceTest, UpdateValidatesTheMergedAccount) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name("accounts/a");
  update.mutable_account()->set_country_code("ZZ");
  update.mutable_update_mask()->add_paths("country_code");
  v1::Account ignored;
  grpc::Status status = stub_->UpdateAccount(Context().get(), update, &ignored);
  EXPECT_EQ(ViolatedFields(status),
            std::set<std::string>{"account.country_code"});
}

TEST_P(AccountGraphServiceTest, ParentCycleIsRefusedAndNamed) {
  ASSERT_TRUE(CreateAccount("sys", MakeAccount("System")).ok());
  v1::Account child = MakeAccount("Hospital");
  child.set_parent("accounts/sys");
  ASSERT_TRUE(CreateAccount("hosp", child).ok());
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name("accounts/sys");
  update.mutable_account()->set_parent("accounts/hosp");
  update.mutable_update_mask()->add_paths("parent");
  v1::Account ignored;
  grpc::Status status = stub_->UpdateAccount(Context().get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(status), std::set<std::string>{"CYCLE"});
  EXPECT_NE(status.error_message().find(
                "accounts/sys -> accounts/hosp -> accounts/sys"),
            std::string::npos)
      << status.error_message();
}

TEST_P(AccountGraphServiceTest,
       DeletingAccountWithChildrenNeedsForceThenCascades) {
  v1::Account system = MakeAccount("System");
  system.add_domains("system.org");
  ASSERT_TRUE(CreateAccount("sys", system).ok());
  v1::Account child = MakeAccount("Hospital");
  child.set_parent("accounts/sys");
  ASSERT_TRUE(CreateAccount("hosp", child).ok());
  ASSERT_TRUE(
      CreateStakeholder("accounts/hosp", "ann", "ann@system.org").ok());

  v1::DeleteAccountRequest del;
  del.set_name("accounts/sys");
  google::protobuf::Empty empty;
  grpc::Status refused = stub_->DeleteAccount(Context().get(), del, &empty);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(refused), std::set<std::string>{"HAS_CHILDREN"});
  EXPECT_EQ(CountAccounts(), 2);

  del.set_force(true);
  ASSERT_TRUE(stub_->DeleteAccount(Context().get(), del, &empty).ok());
  EXPECT_EQ(CountAccounts(), 0);
  // The e-mail and the domain are free again.
  ASSERT_TRUE(CreateAccount("again", system).ok());
  EXPECT_TRUE(
      CreateStakeholder("accounts/again", "ann", "ann@system.org").ok());
}

TEST_P(AccountGraphServiceTest, SiteCrudAndErrors) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  v1::CreateSiteRequest create;
  create.set_parent("accounts/a");
  create.set_site_id("core");
  create.mutable_site()->set_display_name("Core Lab");
  create.mutable_site()->set_subdivision_code("US-NJ");
  create.mutable_site()->set_clia_number("31d0123456");
  v1::Site site;
  ASSERT_TRUE(stub_->CreateSite(Context().get(), create, &site).ok());
  EXPECT_EQ(site.name(), "accounts/a/sites/core");
  EXPECT_EQ(site.clia_number(), "31D0123456");

  v1::UpdateSiteRequest update;
  update.mutable_site()->set_name(site.name());
  update.mutable_site()->set_annual_test_volume(250000);
  v1::Site updated;  // Empty mask: the populated fields.
  ASSERT_TRUE(stub_->UpdateSite(Context().get(), update, &updated).ok());
  EXPECT_EQ(updated.annual_test_volume(), 250000);
  EXPECT_EQ(updated.display_name(), "Core Lab");

  v1::ListSitesRequest list;
  list.set_parent("accounts/a");
  v1::ListSitesResponse listed;
  ASSERT_TRUE(stub_->ListSites(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.sites_size(), 1);

  create.set_site_id("bad");
  create.mutable_site()->set_clia_number("123");
  create.mutable_site()->set_subdivision_code("DE-BY");
  grpc::Status status = stub_->CreateSite(Context().get(), create, &site);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"site.clia_number",
                                   "site.subdivision_code"}));

  create.set_parent("accounts/missing");
  create.mutable_site()->clear_clia_number();
  create.mutable_site()->clear_subdivision_code();
  EXPECT_EQ(stub_->CreateSite(Context().get(), create, &site).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::DeleteSiteRequest del;
  del.set_name("accounts/a/sites/core");
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->DeleteSite(Context().get(), del, &empty).ok());
  v1::GetSiteRequest get;
  get.set_name("accounts/a/sites/core");
  EXPECT_EQ(stub_->GetSite(Context().get(), get, &site).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, StakeholderCrudAndErrors) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  v1::CreateStakeholderRequest create;
  create.set_parent("accounts/a");
  auto* s = create.mutable_stakeholder();
  s->set_display_name("Maria Lopez");
  s->set_email(" Maria.Lopez@A-Lab.org ");
  s->set_title("Laboratory Operations Manager");
  auto* role = s->add_roles();
  role->set_role(v1::COMMITTEE_ROLE_LAB_OPERATIONS);
  role->set_source(v1::ROLE_SOURCE_INFERRED);
  v1::Stakeholder created;
  ASSERT_TRUE(stub_->CreateStakeholder(Context().get(), create, &created).ok());
  EXPECT_EQ(created.name(), "accounts/a/stakeholders/maria-lopez");
  EXPECT_EQ(created.email(), "maria.lopez@a-lab.org");
  EXPECT_EQ(created.engagement(), v1::ENGAGEMENT_IDENTIFIED);

  // The same e-mail in another case is taken.
  create.mutable_stakeholder()->set_email("MARIA.LOPEZ@a-lab.org");
  v1::Stakeholder dup;
  EXPECT_EQ(stub_->CreateStakeholder(Context().get(), create, &dup).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  create.mutable_stakeholder()->set_email("not-an-email");
  create.mutable_stakeholder()->mutable_roles(0)->set_role(
      static_cast<v1::CommitteeRole>(77));
  create.mutable_stakeholder()->add_sites("accounts/a/sites/Nope");
  grpc::Status status = stub_->CreateStakeholder(Context().get(), create, &dup);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"stakeholder.email",
                                   "stakeholder.roles[0].role",
                                   "stakeholder.sites[0]"}));

  v1::UpdateStakeholderRequest update;
  update.mutable_stakeholder()->set_name(created.name());
  update.mutable_stakeholder()->set_engagement(v1::ENGAGEMENT_CHAMPION);
  update.mutable_update_mask()->add_paths("engagement");
  v1::Stakeholder updated;
  ASSERT_TRUE(
      stub_->UpdateStakeholder(Context().get(), update, &updated).ok());
  EXPECT_EQ(updated.engagement(), v1::ENGAGEMENT_CHAMPION);
  EXPECT_EQ(updated.roles_size(), 1);

  v1::ListStakeholdersRequest list;
  list.set_parent("accounts/a");
  v1::ListStakeholdersResponse listed;
  ASSERT_TRUE(stub_->ListStakeholders(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.stakeholders_size(), 1);

  v1::DeleteStakeholderRequest del;
  del.set_name(created.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->DeleteStakeholder(Context().get(), del, &empty).ok());
  v1::GetStakeholderRequest get;
  get.set_name(created.name());
  EXPECT_EQ(stub_->GetStakeholder(Context().get(), get, &updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, StakeholderSiteMustBeInItsAccountTree) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  ASSERT_TRUE(CreateAccount("b", MakeAccount("B")).ok());
  v1::CreateSiteRequest site;
  site.set_parent("accounts/b");
  site.set_site_id("lab");
  site.mutable_site()->set_display_name("B Lab");
  v1::Site created_site;
  ASSERT_TRUE(stub_->CreateSite(Context().get(), site, &created_site).ok());

  v1::CreateStakeholderRequest create;
  create.set_parent("accounts/a");
  create.mutable_stakeholder()->set_display_name("Ann");
  create.mutable_stakeholder()->add_sites("accounts/b/sites/lab");
  v1::Stakeholder out;
  grpc::Status status = stub_->CreateStakeholder(Context().get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(status),
            std::set<std::string>{"SITE_OUTSIDE_ACCOUNT_TREE"});
}

TEST_P(AccountGraphServiceTest, MoveStakeholderOverTheWire) {
  ASSERT_TRUE(CreateAccount("a", MakeAccount("A")).ok());
  ASSERT_TRUE(CreateAccount("b", MakeAccount("B")).ok());
  ASSERT_TRUE(CreateStakeholder("accounts/a", "ann", "ann@a.example").ok());
  ASSERT_TRUE(CreateStakeholder("accounts/a", "bo", "bo@a.example").ok());
  ASSERT_TRUE(Relate("accounts/a", "accounts/a/stakeholders/ann",
                     "accounts/a/stakeholders/bo",
                     v1::RELATIONSHIP_TYPE_WORKS_WITH)
                  .ok());

  v1::MoveStakeholderRequest bad;
  bad.set_name("accounts/a/people/ann");
  bad.set_destination("b");
  v1::MoveStakeholderResponse out;
  grpc::Status status = stub_->MoveStakeholder(Context().get(), bad, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"name", "destination"}));

  v1::MoveStakeholderRequest move;
  move.set_name("accounts/a/stakeholders/ann");
  move.set_destination("accounts/b");
  status = stub_->MoveStakeholder(Context().get(), move, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.stakeholder().name(), "accounts/b/stakeholders/ann");
  ASSERT_EQ(out.removed_relationships_size(), 1);
  EXPECT_EQ(out.removed_relationships(0).target(),
            "accounts/a/stakeholders/bo");
  EXPECT_EQ(out.history_notes_size(), 2);
  v1::GetStakeholderRequest get;
  get.set_name("accounts/a/stakeholders/ann");
  v1::Stakeholder gone;
  EXPECT_EQ(stub_->GetStakeholder(Context().get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, RelationshipCrudCycleAndTreeChecks) {
  ASSERT_TRUE(CreateAccount("sys", MakeAccount("System")).ok());
  v1::Account hospital = MakeAccount("Hospital");
  hospital.set_parent("accounts/sys");
  ASSERT_TRUE(CreateAccount("hosp", hospital).ok());
  ASSERT_TRUE(CreateAccount("other", MakeAccount("Other")).ok());
  ASSERT_TRUE(CreateStakeholder("accounts/sys", "vp", "vp@sys.org").ok());
  ASSERT_TRUE(CreateStakeholder("accounts/hosp", "dir", "dir@sys.org").ok());
  ASSERT_TRUE(CreateStakeholder("accounts/hosp", "ops", "ops@sys.org").ok());
  ASSERT_TRUE(CreateStakeholder("accounts/other", "x", "x@other.org").ok());

  v1::Relationship r1;
  ASSERT_TRUE(Relate("accounts/hosp", "accounts/hosp/stakeholders/ops",
                     "accounts/hosp/stakeholders/dir",
                     v1::RELATIONSHIP_TYPE_REPORTS_TO, &r1)
                  .ok());
  ASSERT_TRUE(Relate("accounts/hosp", "accounts/hosp/stakeholders/dir",
                     "accounts/sys/stakeholders/vp",
                     v1::RELATIONSHIP_TYPE_REPORTS_TO)
                  .ok());
  // vp -> ops would close vp -> ops -> dir -> vp.
  grpc::Status cycle = Relate("accounts/sys", "accounts/sys/stakeholders/vp",
                              "accounts/hosp/stakeholders/ops",
                              v1::RELATIONSHIP_TYPE_REPORTS_TO);
  EXPECT_EQ(cycle.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(cycle.error_message().find(
                "accounts/sys/stakeholders/vp -> accounts/hosp/stakeholders/ops"
                " -> accounts/hosp/stakeholders/dir -> "
                "accounts/sys/stakeholders/vp"),
            std::string::npos)
      << cycle.error_message();
  // The same pair may still WORKS_WITH: only REPORTS_TO must be acyclic.
  EXPECT_TRUE(Relate("accounts/sys", "accounts/sys/stakeholders/vp",
                     "accounts/hosp/stakeholders/ops",
                     v1::RELATIONSHIP_TYPE_WORKS_WITH)
                  .ok());
  grpc::Status cross = Relate("accounts/other", "accounts/other/stakeholders/x",
                              "accounts/hosp/stakeholders/ops",
                              v1::RELATIONSHIP_TYPE_INFLUENCES);
  EXPECT_EQ(cross.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(cross),
            std::set<std::string>{"CROSS_ACCOUNT_TREE"});
  grpc::Status missing = Relate("accounts/hosp", "accounts/hosp/stakeholders/ops",
                                "accounts/hosp/stakeholders/ghost",
                                v1::RELATIONSHIP_TYPE_WORKS_WITH);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status no_type = Relate("accounts/hosp", "accounts/hosp/stakeholders/ops",
                                "accounts/hosp/stakeholders/dir",
                                v1::RELATIONSHIP_TYPE_UNSPECIFIED);
  EXPECT_EQ(ViolatedFields(no_type),
            std::set<std::string>{"relationship.type"});

  v1::GetRelationshipRequest get;
  get.set_name(r1.name());
  v1::Relationship got;
  ASSERT_TRUE(stub_->GetRelationship(Context().get(), get, &got).ok());
  EXPECT_EQ(got.source(), "accounts/hosp/stakeholders/ops");

  v1::ListRelationshipsRequest list;
  list.set_parent("accounts/hosp");
  v1::ListRelationshipsResponse listed;
  ASSERT_TRUE(stub_->ListRelationships(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.relationships_size(), 2);

  v1::DeleteRelationshipRequest del;
  del.set_name(r1.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->DeleteRelationship(Context().get(), del, &empty).ok());
  EXPECT_EQ(stub_->GetRelationship(Context().get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, CommitteeMapCoversTheWholeSubtree) {
  ASSERT_TRUE(CreateAccount("sys", MakeAccount("System")).ok());
  v1::Account hospital = MakeAccount("Hospital");
  hospital.set_parent("accounts/sys");
  ASSERT_TRUE(CreateAccount("hosp", hospital).ok());
  v1::CreateStakeholderRequest quality;
  quality.set_parent("accounts/hosp");
  quality.set_stakeholder_id("qa");
  quality.mutable_stakeholder()->set_display_name("Quality Lead");
  auto* role = quality.mutable_stakeholder()->add_roles();
  role->set_role(v1::COMMITTEE_ROLE_QUALITY);
  role->set_source(v1::ROLE_SOURCE_CONFIRMED);
  v1::Stakeholder out;
  ASSERT_TRUE(stub_->CreateStakeholder(Context().get(), quality, &out).ok());
  ASSERT_TRUE(CreateStakeholder("accounts/sys", "vp", "vp@sys.org").ok());
  ASSERT_TRUE(Relate("accounts/hosp", "accounts/hosp/stakeholders/qa",
                     "accounts/sys/stakeholders/vp",
                     v1::RELATIONSHIP_TYPE_REPORTS_TO)
                  .ok());

  v1::GetCommitteeMapRequest request;
  request.set_name("accounts/sys");
  v1::CommitteeMap map;
  ASSERT_TRUE(stub_->GetCommitteeMap(Context().get(), request, &map).ok());
  EXPECT_EQ(map.account().name(), "accounts/sys");
  ASSERT_EQ(map.descendants_size(), 1);
  EXPECT_EQ(map.descendants(0).name(), "accounts/hosp");
  EXPECT_EQ(map.stakeholders_size(), 2);
  EXPECT_EQ(map.relationships_size(), 1);
  ASSERT_EQ(map.roles_size(), 1);
  EXPECT_EQ(map.roles(0).role(), v1::COMMITTEE_ROLE_QUALITY);
  EXPECT_EQ(map.roles(0).confirmed_stakeholders(0),
            "accounts/hosp/stakeholders/qa");

  // From the hospital, the edge to the system's VP leaves the subtree.
  request.set_name("accounts/hosp");
  ASSERT_TRUE(stub_->GetCommitteeMap(Context().get(), request, &map).ok());
  EXPECT_EQ(map.stakeholders_size(), 1);
  EXPECT_EQ(map.relationships_size(), 0);

  request.set_name("accounts/none");
  EXPECT_EQ(
      stub_->GetCommitteeMap(Context().get(), request, &map).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_P(AccountGraphServiceTest, OversizedMessageIsRefusedAndNothingIsWritten) {
  StartServer(16 * 1024);
  v1::Account big = MakeAccount(std::string(100, 'x'));
  for (int i = 0; i < 1000; ++i) {
    big.add_testing_scopes("scope-number-" + std::to_string(i) +
                           "-padding-padding");
  }
  grpc::Status status = CreateAccount("big", big);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(CountAccounts(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, AccountGraphServiceTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
