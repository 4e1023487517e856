// SubmitLead without a country: the account's country comes from the lead's
// e-mail or website domain, read with the one country table
// (graph/model/normalize.h CountryOfDomain), over a real gRPC channel.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/intake_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::ViolatedFields;

class IntakeCountryTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    intake_ = v1::IntakeService::NewStub(channel_);
    graph_ = v1::AccountGraphService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    return context;
  }

  // A lead with no country and no phone number.
  static v1::Lead LeadAt(const std::string& email, const std::string& company,
                         const std::string& website = "") {
    v1::Lead lead;
    lead.set_email(email);
    lead.set_company(company);
    lead.set_website(website);
    lead.set_title("Laboratory Manager");
    lead.mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
    return lead;
  }

  grpc::Status Submit(const v1::Lead& lead, const std::string& request_id,
                      v1::SubmitLeadResponse* out) {
    v1::SubmitLeadRequest request;
    *request.mutable_lead() = lead;
    request.set_request_id(request_id);
    return intake_->SubmitLead(Context().get(), request, out);
  }

  // The country code of the account a lead created.
  std::string CountryOfAccountCreatedBy(const v1::Lead& lead,
                                        const std::string& request_id) {
    v1::SubmitLeadResponse out;
    grpc::Status status = Submit(lead, request_id, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(out.account_match(), v1::MATCH_KIND_CREATED);
    v1::GetAccountRequest get;
    get.set_name(out.account());
    v1::Account account;
    status = graph_->GetAccount(Context().get(), get, &account);
    EXPECT_TRUE(status.ok()) << out.account() << ": " << status.error_message();
    return account.country_code();
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
};

TEST_P(IntakeCountryTest, TheEmailDomainGivesTheCountry) {
  EXPECT_EQ(CountryOfAccountCreatedBy(
                LeadAt("tom.berger@labor-isar.de", "Labor Isar"), "de"),
            "DE");
  EXPECT_EQ(CountryOfAccountCreatedBy(
                LeadAt("anne.roux@chu-exemple.fr", "CHU Exemple"), "fr"),
            "FR");
}

TEST_P(IntakeCountryTest, DotUkIsTheUnitedKingdom) {
  EXPECT_EQ(
      CountryOfAccountCreatedBy(
          LeadAt("sam.jones@st-aldhelm.nhs.uk", "St Aldhelm Hospital"), "uk"),
      "GB");
}

TEST_P(IntakeCountryTest, TheWebsiteGivesTheCountryWhenTheEmailDoesNot) {
  EXPECT_EQ(
      CountryOfAccountCreatedBy(LeadAt("lab@gmail.com", "Laboratorium Noord",
                                       "https://www.lab-noord.nl/contact"),
                                "nl"),
      "NL");
}

TEST_P(IntakeCountryTest, AGenericDomainGivesNoCountryAndTheLeadWaitsInTriage) {
  v1::SubmitLeadResponse out;
  grpc::Status status =
      Submit(LeadAt("pat.lee@acme-labs.com", "Acme Labs"), "com", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(out.unplaced_lead().empty());
  EXPECT_NE(out.account_match_detail().find("needs a country"),
            std::string::npos)
      << out.account_match_detail();
  // No account was written.
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse accounts;
  ASSERT_TRUE(graph_->ListAccounts(Context().get(), list, &accounts).ok());
  EXPECT_EQ(accounts.accounts_size(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, IntakeCountryTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
