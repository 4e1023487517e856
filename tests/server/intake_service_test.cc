// IntakeService and NoteService over a real gRPC channel to a real store.
#include "server/intake_service.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/note_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"

namespace quorum::server {
namespace {

namespace v1 = ::quorum::v1;
using ::quorum::testing::ViolatedFields;

// Bytes that no protobuf message decodes from: a field tag whose varint
// never ends.
const char kUndecodable[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";

grpc::ByteBuffer Raw(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer Raw(const google::protobuf::Message& message) {
  return Raw(message.SerializeAsString());
}

// Sends `messages` as raw bytes on the client stream `method` and returns the
// final status (the response, when there is one, in `response`).
grpc::Status SendRawStream(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& method,
                           const std::vector<grpc::ByteBuffer>& messages,
                           google::protobuf::Message* response) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto call = stub.PrepareCall(&context, method, &cq);
  auto wait = [&cq]() {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    return ok;
  };
  call->StartCall(nullptr);
  bool ok = wait();
  for (const auto& m : messages) {
    if (!ok) break;
    call->Write(m, nullptr);
    ok = wait();
  }
  if (ok) {
    call->WritesDone(nullptr);
    wait();
  }
  grpc::ByteBuffer reply;
  call->Read(&reply, nullptr);
  if (wait()) {
    std::vector<grpc::Slice> slices;
    reply.Dump(&slices);
    std::string bytes;
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    response->ParseFromString(bytes);
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  wait();
  cq.Shutdown();
  void* tag;
  bool drained;
  while (cq.Next(&tag, &drained)) {
  }
  return status;
}

class IntakeTest : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    store_ = quorum::testing::StoreFor(GetParam(), dir_.path());
    server_ = quorum::testing::StartServer(store_);
    ASSERT_NE(server_, nullptr);
    channel_ = quorum::testing::ChannelTo(*server_);
    intake_ = v1::IntakeService::NewStub(channel_);
    graph_ = v1::AccountGraphService::NewStub(channel_);
    signals_ = v1::SignalService::NewStub(channel_);
    notes_ = v1::NoteService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(seconds));
    return context;
  }

  // The seed article's worked example as a demo-form lead.
  static v1::Lead WorkedExampleLead() {
    v1::Lead lead;
    lead.set_email(" Megan.Ortiz@Cascade-Valley.org ");
    lead.set_first_name("Megan");
    lead.set_last_name("Ortiz");
    lead.set_title("Laboratory Operations Manager");
    lead.set_phone("(503) 555-0142");
    lead.set_company("Cascade Valley Health, Inc.");
    lead.set_website("https://www.cascade-valley.org/labs");
    lead.set_country("United States");
    lead.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    lead.set_source(v1::SOURCE_CHANNEL_DEMO_FORM);
    lead.set_campaign("q4-workflow");
    lead.mutable_signal()->set_type(v1::SIGNAL_TYPE_DEMO_REQUEST);
    lead.mutable_signal()->set_topic(v1::SIGNAL_TOPIC_WORKFLOW);
    lead.mutable_note()->set_learned("Wants shorter turnaround in the core lab");
    lead.mutable_note()->set_next_step("Discovery call next week");
    return lead;
  }

  grpc::Status Submit(const v1::Lead& lead, const std::string& request_id,
                      v1::SubmitLeadResponse* out) {
    v1::SubmitLeadRequest request;
    *request.mutable_lead() = lead;
    request.set_request_id(request_id);
    return intake_->SubmitLead(Context().get(), request, out);
  }

  v1::SubmitLeadResponse MustSubmit(const v1::Lead& lead,
                                    const std::string& request_id) {
    v1::SubmitLeadResponse out;
    grpc::Status status = Submit(lead, request_id, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  std::vector<std::string> AccountNames() {
    v1::ListAccountsRequest request;
    request.set_page_size(1000);
    v1::ListAccountsResponse response;
    EXPECT_TRUE(graph_->ListAccounts(Context().get(), request, &response).ok());
    std::vector<std::string> names;
    for (const auto& a : response.accounts()) names.push_back(a.name());
    return names;
  }

  int64_t CountSignals(const std::string& account) {
    int64_t count = 0;
    std::string token;
    do {
      v1::ListSignalsRequest request;
      request.set_parent(account);
      request.set_page_size(1000);
      request.set_page_token(token);
      v1::ListSignalsResponse response;
      grpc::Status status =
          signals_->ListSignals(Context(60).get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      count += response.signals_size();
      token = response.next_page_token();
    } while (!token.empty());
    return count;
  }

  static const v1::LeadCheck* FindCheck(const v1::SubmitLeadResponse& r,
                                        const std::string& check) {
    for (const auto& c : r.checks()) {
      if (c.check() == check) return &c;
    }
    return nullptr;
  }

  quorum::testing::TempDir dir_;
  std::string store_;  // Where the server keeps its data (StoreFor).
  std::unique_ptr<QuorumServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
  std::unique_ptr<v1::NoteService::Stub> notes_;
};

TEST_P(IntakeTest, WorkedExampleLeadIsCreatedCleanAndRoutedToSalesDiscovery) {
  v1::SubmitLeadResponse r = MustSubmit(WorkedExampleLead(), "lead-1");
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_CREATED);
  EXPECT_EQ(r.stakeholder_match(), v1::MATCH_KIND_CREATED);
  EXPECT_EQ(r.account(), "accounts/cascade-valley-health");
  EXPECT_EQ(r.normalized().email(), "megan.ortiz@cascade-valley.org");
  EXPECT_EQ(r.normalized().country(), "US");
  EXPECT_EQ(r.normalized().phone(), "+15035550142");
  ASSERT_EQ(r.inferred_roles_size(), 1);
  EXPECT_EQ(r.inferred_roles(0).role(), v1::COMMITTEE_ROLE_LAB_OPERATIONS);
  EXPECT_EQ(r.inferred_roles(0).source(), v1::ROLE_SOURCE_INFERRED);
  EXPECT_EQ(r.inferred_roles(0).basis(), "lab-operations");  // The rule.
  EXPECT_EQ(r.signal().type(), v1::SIGNAL_TYPE_DEMO_REQUEST);
  EXPECT_EQ(r.signal().stakeholder(), r.stakeholder());
  EXPECT_EQ(r.signal().campaign(), "q4-workflow");
  EXPECT_EQ(r.note().kind(), v1::NOTE_KIND_INTAKE);
  EXPECT_EQ(r.note().author(), "intake");
  EXPECT_EQ(r.route(), v1::ROUTE_SALES_DISCOVERY);
  EXPECT_EQ(r.decided_by(), "fit-and-intent");
  EXPECT_EQ(r.policy_revision(), 1);
  EXPECT_FALSE(r.replayed());

  v1::GetAccountRequest get;
  get.set_name(r.account());
  v1::Account account;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &account).ok());
  EXPECT_EQ(account.lifecycle_status(), v1::LIFECYCLE_STATUS_NEW);
  EXPECT_EQ(std::set<std::string>(account.domains().begin(),
                                  account.domains().end()),
            std::set<std::string>{"cascade-valley.org"});
  for (const char* check : {"email_syntax", "email_domain", "title_present",
                            "company_present", "country_known", "phone",
                            "website"}) {
    const v1::LeadCheck* c = FindCheck(r, check);
    ASSERT_NE(c, nullptr) << check;
    EXPECT_EQ(c->outcome(), v1::CHECK_OUTCOME_PASS) << check << ": "
                                                    << c->message();
  }
}

TEST_P(IntakeTest, EveryDataCheckIsReportedOneByOne) {
  v1::Lead lead;
  lead.set_email("someone@mailinator.com");
  lead.set_company("Nordlicht Labor GmbH");
  lead.set_country("Atlantis");
  lead.set_phone("12");
  lead.set_website("not a website");
  // The account cannot be created: the country is unknown. The lead waits
  // in the triage queue, with its checks.
  v1::SubmitLeadResponse queued = MustSubmit(lead, "checks");
  EXPECT_FALSE(queued.unplaced_lead().empty());
  EXPECT_EQ(FindCheck(queued, "country_known")->outcome(),
            v1::CHECK_OUTCOME_WARN);

  lead.set_country("Deutschland");
  v1::SubmitLeadResponse r = MustSubmit(lead, "checks-2");
  EXPECT_EQ(FindCheck(r, "email_syntax")->outcome(), v1::CHECK_OUTCOME_PASS);
  EXPECT_EQ(FindCheck(r, "email_domain")->outcome(), v1::CHECK_OUTCOME_WARN);
  EXPECT_NE(FindCheck(r, "email_domain")->message().find("disposable"),
            std::string::npos);
  EXPECT_EQ(FindCheck(r, "title_present")->outcome(), v1::CHECK_OUTCOME_WARN);
  EXPECT_EQ(FindCheck(r, "company_present")->outcome(), v1::CHECK_OUTCOME_PASS);
  EXPECT_EQ(FindCheck(r, "country_known")->outcome(), v1::CHECK_OUTCOME_PASS);
  EXPECT_EQ(FindCheck(r, "phone")->outcome(), v1::CHECK_OUTCOME_WARN);
  EXPECT_EQ(FindCheck(r, "website")->outcome(), v1::CHECK_OUTCOME_WARN);
  EXPECT_EQ(r.normalized().country(), "DE");
  EXPECT_TRUE(r.normalized().phone().empty());
}

TEST_P(IntakeTest, BadEmailIsAFailedCheckButTheCompanyStillLands) {
  v1::Lead lead;
  lead.set_email("not-an-email");
  lead.set_company("Lakeshore Lab");
  lead.set_country("CA");
  v1::SubmitLeadResponse r = MustSubmit(lead, "bad-email");
  EXPECT_EQ(FindCheck(r, "email_syntax")->outcome(), v1::CHECK_OUTCOME_FAIL);
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_CREATED);
  EXPECT_EQ(r.stakeholder_match(), v1::MATCH_KIND_NONE);
}

TEST_P(IntakeTest,
       LeadWithNeitherUsableEmailNorCompanyIsRefusedAndWritesNothing) {
  v1::Lead lead;
  lead.set_email("broken@");
  lead.set_title("Lab Director");
  v1::SubmitLeadResponse out;
  grpc::Status status = Submit(lead, "nothing", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"lead.email", "lead.company"}));
  EXPECT_TRUE(AccountNames().empty());
  // Not stored as an answer either: the same ID may be used again.
  lead.set_company("Real Lab");
  lead.set_country("US");
  EXPECT_TRUE(Submit(lead, "nothing", &out).ok());
}

TEST_P(IntakeTest, RequestIdIsRequired) {
  v1::SubmitLeadResponse out;
  grpc::Status status = Submit(WorkedExampleLead(), "", &out);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"request_id"});
}

TEST_P(IntakeTest, SameEmailInAnotherCaseMatchesTheStakeholder) {
  v1::SubmitLeadResponse first = MustSubmit(WorkedExampleLead(), "a");
  v1::Lead again = WorkedExampleLead();
  again.set_email("MEGAN.ORTIZ@cascade-valley.ORG");
  again.set_company("Something Else Entirely");
  v1::SubmitLeadResponse r = MustSubmit(again, "b");
  EXPECT_EQ(r.stakeholder_match(), v1::MATCH_KIND_EMAIL);
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_EMAIL);
  EXPECT_EQ(r.stakeholder(), first.stakeholder());
  EXPECT_EQ(r.account(), first.account());
  EXPECT_EQ(AccountNames().size(), 1u);
}

TEST_P(IntakeTest, NewPersonAtAKnownDomainLandsOnThatAccount) {
  v1::SubmitLeadResponse first = MustSubmit(WorkedExampleLead(), "a");
  v1::Lead colleague;
  colleague.set_email("priya.raman@cascade-valley.org");
  colleague.set_first_name("Priya");
  colleague.set_last_name("Raman");
  colleague.set_title("Quality Manager");
  v1::SubmitLeadResponse r = MustSubmit(colleague, "b");
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_EMAIL_DOMAIN);
  EXPECT_EQ(r.account(), first.account());
  EXPECT_EQ(r.stakeholder_match(), v1::MATCH_KIND_CREATED);
  ASSERT_EQ(r.inferred_roles_size(), 1);
  EXPECT_EQ(r.inferred_roles(0).role(), v1::COMMITTEE_ROLE_QUALITY);
}

TEST_P(IntakeTest, CompanyNameVariantsMatchOneAccount) {
  v1::Lead first;
  first.set_email("ops@gmail.com");
  first.set_company("Acme Labs, Inc.");
  first.set_country("US");
  v1::SubmitLeadResponse a = MustSubmit(first, "a");
  EXPECT_EQ(a.account_match(), v1::MATCH_KIND_CREATED);
  v1::Lead second;
  second.set_email("director@yahoo.com");
  second.set_company("ACME LABS");
  v1::SubmitLeadResponse b = MustSubmit(second, "b");
  EXPECT_EQ(b.account_match(), v1::MATCH_KIND_COMPANY_NAME);
  EXPECT_EQ(b.account(), a.account());
  EXPECT_EQ(AccountNames().size(), 1u);
  // A free-mail address never matches or adds a domain.
  v1::GetAccountRequest get;
  get.set_name(a.account());
  v1::Account account;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &account).ok());
  EXPECT_EQ(account.domains_size(), 0);
}

TEST_P(IntakeTest, FreeMailAddressAloneNeverMatchesAnAccount) {
  v1::Lead first;
  first.set_email("jane@gmail.com");
  first.set_company("Jane's Lab");
  first.set_country("US");
  MustSubmit(first, "a");
  v1::Lead other;
  other.set_email("john@gmail.com");  // Same free-mail domain, no company.
  v1::SubmitLeadResponse out = MustSubmit(other, "b");
  EXPECT_EQ(out.account(), "");  // Not jane's account: the triage queue.
  EXPECT_FALSE(out.unplaced_lead().empty());
  EXPECT_EQ(AccountNames().size(), 1u);
}

// ------------------------------------------------------------ triage queue

TEST_P(IntakeTest, AnUnplacedLeadIsQueuedListedAndPlacedOverGrpc) {
  v1::Lead lead;
  lead.set_email("anna.mueller@gmail.com");
  lead.set_first_name("Anna");
  lead.set_last_name("Müller");
  lead.set_title("Quality Manager");
  lead.set_country("DE");
  lead.mutable_signal()->set_type(v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST);
  lead.mutable_note()->set_learned("Validating a new assay in Q1");
  v1::SubmitLeadResponse queued = MustSubmit(lead, "web-1");
  ASSERT_FALSE(queued.unplaced_lead().empty());
  EXPECT_TRUE(AccountNames().empty());

  v1::ListUnplacedLeadsRequest list;
  v1::ListUnplacedLeadsResponse page;
  ASSERT_TRUE(intake_->ListUnplacedLeads(Context().get(), list, &page).ok());
  ASSERT_EQ(page.unplaced_leads_size(), 1);
  EXPECT_EQ(page.unplaced_leads(0).name(), queued.unplaced_lead());
  EXPECT_EQ(page.unplaced_leads(0).reason(), v1::UNPLACED_REASON_NO_COMPANY);
  EXPECT_EQ(page.unplaced_leads(0).lead().email(), "anna.mueller@gmail.com");

  v1::CreateAccountRequest create;
  create.set_account_id("isartal");
  create.mutable_account()->set_display_name("Laborzentrum Isartal");
  create.mutable_account()->set_country_code("DE");
  v1::Account account;
  ASSERT_TRUE(graph_->CreateAccount(Context().get(), create, &account).ok());
  v1::PlaceLeadRequest place;
  place.set_name(queued.unplaced_lead());
  place.set_account(account.name());
  place.set_request_id("place-1");
  v1::PlaceLeadResponse placed;
  grpc::Status status = intake_->PlaceLead(Context().get(), place, &placed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(placed.intake().account(), "accounts/isartal");
  EXPECT_EQ(placed.intake().account_match(), v1::MATCH_KIND_PLACED);
  EXPECT_EQ(placed.intake().stakeholder(),
            "accounts/isartal/stakeholders/anna-muller");
  EXPECT_EQ(placed.intake().signal().stakeholder(),
            placed.intake().stakeholder());
  EXPECT_EQ(CountSignals("accounts/isartal"), 1);
  // A retry with the request ID answers the same and writes nothing.
  v1::PlaceLeadResponse again;
  ASSERT_TRUE(intake_->PlaceLead(Context().get(), place, &again).ok());
  EXPECT_TRUE(again.intake().replayed());
  EXPECT_EQ(CountSignals("accounts/isartal"), 1);

  page.Clear();
  ASSERT_TRUE(intake_->ListUnplacedLeads(Context().get(), list, &page).ok());
  EXPECT_EQ(page.unplaced_leads_size(), 0);
}

TEST_P(IntakeTest, TriageCallsReportBadInputByField) {
  v1::PlaceLeadRequest place;
  place.set_name("unplacedLeads/Not An Id");
  place.set_account("accounts/x");
  v1::PlaceLeadResponse placed;
  grpc::Status status = intake_->PlaceLead(Context().get(), place, &placed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"name"});
  place.set_name("unplacedLeads/lead-missing");
  status = intake_->PlaceLead(Context().get(), place, &placed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListUnplacedLeadsRequest list;
  list.set_page_size(-1);
  v1::ListUnplacedLeadsResponse page;
  status = intake_->ListUnplacedLeads(Context().get(), list, &page);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_size"});

  v1::DeleteUnplacedLeadRequest del;
  del.set_name("accounts/x");
  google::protobuf::Empty empty;
  status = intake_->DeleteUnplacedLead(Context().get(), del, &empty);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"name"});
}

TEST_P(IntakeTest, UnplacedLeadsPageWithATokenBoundToTheReason) {
  for (int i = 0; i < 3; ++i) {
    v1::Lead lead;
    lead.set_email("lead" + std::to_string(i) + "@gmail.com");
    MustSubmit(lead, "free-" + std::to_string(i));
  }
  v1::ListUnplacedLeadsRequest list;
  list.set_page_size(2);
  list.set_reason(v1::UNPLACED_REASON_NO_COMPANY);
  v1::ListUnplacedLeadsResponse first;
  ASSERT_TRUE(intake_->ListUnplacedLeads(Context().get(), list, &first).ok());
  ASSERT_EQ(first.unplaced_leads_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  list.set_page_token(first.next_page_token());
  v1::ListUnplacedLeadsResponse second;
  ASSERT_TRUE(intake_->ListUnplacedLeads(Context().get(), list, &second).ok());
  ASSERT_EQ(second.unplaced_leads_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  // The token of one reason's listing is not one of another's.
  list.set_reason(v1::UNPLACED_REASON_NO_COUNTRY);
  grpc::Status status =
      intake_->ListUnplacedLeads(Context().get(), list, &second);
  EXPECT_EQ(ViolatedFields(status), std::set<std::string>{"page_token"});
}

TEST_P(IntakeTest, DeleteUnplacedLeadRemovesSpamFromTheQueue) {
  v1::Lead lead;
  lead.set_email("winner@gmail.com");
  v1::SubmitLeadResponse queued = MustSubmit(lead, "spam");
  v1::DeleteUnplacedLeadRequest del;
  del.set_name(queued.unplaced_lead());
  google::protobuf::Empty empty;
  ASSERT_TRUE(intake_->DeleteUnplacedLead(Context().get(), del, &empty).ok());
  grpc::Status status =
      intake_->DeleteUnplacedLead(Context().get(), del, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListUnplacedLeadsRequest list;
  v1::ListUnplacedLeadsResponse page;
  ASSERT_TRUE(intake_->ListUnplacedLeads(Context().get(), list, &page).ok());
  EXPECT_EQ(page.unplaced_leads_size(), 0);
}

TEST_P(IntakeTest, WebsiteDomainMatchesAnAccount) {
  v1::CreateAccountRequest create;
  create.set_account_id("isartal");
  create.mutable_account()->set_display_name("Laborzentrum Isartal");
  create.mutable_account()->set_country_code("DE");
  create.mutable_account()->add_domains("labor-isartal.de");
  v1::Account created;
  ASSERT_TRUE(graph_->CreateAccount(Context().get(), create, &created).ok());
  v1::Lead lead;
  lead.set_email("k.weber@web.de");
  lead.set_company("MVZ Labor Isartal");
  lead.set_website("http://labor-isartal.de/kontakt");
  v1::SubmitLeadResponse r = MustSubmit(lead, "w");
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_WEBSITE_DOMAIN);
  EXPECT_EQ(r.account(), "accounts/isartal");
}

TEST_P(IntakeTest,
       RetryWithTheSameRequestIdReturnsTheFirstAnswerAndWritesNothing) {
  v1::SubmitLeadResponse first = MustSubmit(WorkedExampleLead(), "retry-me");
  const int64_t signals = CountSignals(first.account());
  v1::Lead changed = WorkedExampleLead();
  changed.set_company("A Different Company");
  changed.set_email("other@elsewhere.org");
  v1::SubmitLeadResponse again = MustSubmit(changed, "retry-me");
  EXPECT_TRUE(again.replayed());
  again.set_replayed(false);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(AccountNames().size(), 1u);
  EXPECT_EQ(CountSignals(first.account()), signals);
}

TEST_P(IntakeTest, ConcurrentSubmissionsOfTheSameNewCompanyCreateOneAccount) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> accounts(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::Lead lead;
      lead.set_email("person" + std::to_string(i) + "@nordlicht-labor.de");
      lead.set_company(i % 2 ? "Nordlicht Labor GmbH" : "NORDLICHT LABOR");
      lead.set_country("DE");
      v1::SubmitLeadResponse r;
      if (Submit(lead, "c" + std::to_string(i), &r).ok()) accounts[i] = r.account();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(accounts.begin(), accounts.end()).size(), 1u);
  EXPECT_FALSE(accounts[0].empty());
  EXPECT_EQ(AccountNames().size(), 1u);
}

TEST_P(IntakeTest, NotesAreCreatedListedNewestFirstAndChecked) {
  v1::SubmitLeadResponse lead = MustSubmit(WorkedExampleLead(), "n");
  v1::CreateNoteRequest create;
  create.set_parent(lead.account());
  create.set_note_id("call-1");
  create.mutable_note()->set_kind(v1::NOTE_KIND_CALL);
  create.mutable_note()->set_learned("Pilot budget approved for Q1");
  create.mutable_note()->set_next_step("Send pilot plan");
  create.mutable_note()->set_author("rep@us");
  create.mutable_note()->set_stakeholder(lead.stakeholder());
  v1::Note note;
  ASSERT_TRUE(notes_->CreateNote(Context().get(), create, &note).ok());
  EXPECT_EQ(note.name(), lead.account() + "/notes/call-1");
  v1::Note again;  // A retry with the same ID creates nothing.
  ASSERT_TRUE(notes_->CreateNote(Context().get(), create, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), note.SerializeAsString());

  v1::ListNotesRequest list;
  list.set_parent(lead.account());
  v1::ListNotesResponse listed;
  ASSERT_TRUE(notes_->ListNotes(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.notes_size(), 2);  // The intake note and the call.
  EXPECT_EQ(listed.notes(0).name(), note.name());

  create.set_note_id("");
  create.mutable_note()->clear_learned();
  create.mutable_note()->clear_author();
  v1::Note bad;
  grpc::Status status = notes_->CreateNote(Context().get(), create, &bad);
  EXPECT_EQ(ViolatedFields(status),
            (std::set<std::string>{"note.learned", "note.author"}));
  create.set_parent("accounts/nobody");
  create.mutable_note()->set_learned("x");
  create.mutable_note()->set_author("y");
  EXPECT_EQ(notes_->CreateNote(Context().get(), create, &bad).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(IntakeTest,
       StreamOfOneHundredThousandSignalsLandsAndCountsOnceAfterRetry) {
  v1::SubmitLeadResponse lead = MustSubmit(WorkedExampleLead(), "s");
  constexpr int kSignals = 100000;
  auto send = [&](v1::StreamSignalsResponse* response) {
    auto context = Context(300);
    auto writer = intake_->StreamSignals(context.get(), response);
    v1::StreamSignalsRequest message;
    for (int i = 0; i < kSignals; ++i) {
      auto* r = message.add_signals();
      r->set_parent(lead.account());
      r->set_signal_id("web-" + std::to_string(i));
      r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PAGE_VIEW);
      r->mutable_signal()->mutable_occur_time()->set_seconds(1790000000 + i);
      if (message.signals_size() == 500) {
        if (!writer->Write(message)) break;
        message.Clear();
      }
    }
    if (message.signals_size() > 0) writer->Write(message);
    writer->WritesDone();
    return writer->Finish();
  };
  v1::StreamSignalsResponse first;
  grpc::Status status = send(&first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.received(), kSignals);
  EXPECT_EQ(first.accepted(), kSignals);
  EXPECT_EQ(first.rejected(), 0);
  v1::StreamSignalsResponse retry;
  ASSERT_TRUE(send(&retry).ok());
  EXPECT_EQ(retry.accepted(), 0);
  EXPECT_EQ(retry.duplicates(), kSignals);
  EXPECT_EQ(CountSignals(lead.account()), kSignals + 1);  // + the demo request.
}

TEST_P(IntakeTest, BadSignalsInAStreamAreRejectedOneByOneWithTheirPositions) {
  v1::SubmitLeadResponse lead = MustSubmit(WorkedExampleLead(), "s");
  v1::StreamSignalsResponse response;
  auto context = Context();
  auto writer = intake_->StreamSignals(context.get(), &response);
  v1::StreamSignalsRequest message;
  for (int i = 0; i < 5; ++i) {
    auto* r = message.add_signals();
    r->set_parent(i == 3 ? "accounts/nobody" : lead.account());
    r->mutable_signal()->set_type(i == 1 ? v1::SIGNAL_TYPE_UNSPECIFIED
                                         : v1::SIGNAL_TYPE_EMAIL_REPLY);
    r->mutable_signal()->mutable_occur_time()->set_seconds(1790000000);
  }
  ASSERT_TRUE(writer->Write(message));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(response.received(), 5);
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.rejected(), 2);
  ASSERT_EQ(response.errors_size(), 2);
  EXPECT_EQ(response.errors(0).position(), 1);
  EXPECT_EQ(response.errors(0).field(), "signal.type");
  EXPECT_EQ(response.errors(1).position(), 3);
  EXPECT_NE(response.errors(1).reason().find("accounts/nobody"),
            std::string::npos);
}

TEST_P(IntakeTest, ImportUpsertsRecordsAndReportsBadOnesWithoutStopping) {
  auto import = [&](const std::vector<v1::ImportRecordsRequest>& records,
                    v1::ImportRecordsResponse* response) {
    auto context = Context();
    auto writer = intake_->ImportRecords(context.get(), response);
    for (const auto& r : records) writer->Write(r);
    writer->WritesDone();
    return writer->Finish();
  };
  std::vector<v1::ImportRecordsRequest> records(5);
  auto* account = records[0].mutable_account();
  account->set_name("accounts/imported");
  account->set_display_name("Imported Lab");
  account->set_country_code("US");
  auto* bad = records[1].mutable_account();
  bad->set_name("accounts/bad");
  bad->set_display_name("Bad");
  bad->set_country_code("XX");
  auto* site = records[2].mutable_site();
  site->set_name("accounts/imported/sites/main");
  site->set_display_name("Main Lab");
  auto* orphan = records[3].mutable_site();
  orphan->set_name("accounts/missing/sites/x");
  orphan->set_display_name("Orphan");
  auto* person = records[4].mutable_stakeholder();
  person->set_name("accounts/imported/stakeholders/ann");
  person->set_display_name("Ann");
  person->set_email("ann@imported.org");

  v1::ImportRecordsResponse first;
  ASSERT_TRUE(import(records, &first).ok());
  EXPECT_EQ(first.received(), 5);
  EXPECT_EQ(first.created(), 3);
  EXPECT_EQ(first.rejected(), 2);
  ASSERT_EQ(first.errors_size(), 2);
  EXPECT_EQ(first.errors(0).position(), 1);
  EXPECT_EQ(first.errors(0).code(), "INVALID_ARGUMENT");
  EXPECT_NE(first.errors(0).reason().find("account.country_code"),
            std::string::npos);
  EXPECT_EQ(first.errors(1).position(), 3);
  EXPECT_EQ(first.errors(1).code(), "NOT_FOUND");

  records[0].mutable_account()->set_owner("team-west");  // Changed.
  v1::ImportRecordsResponse second;
  ASSERT_TRUE(import(records, &second).ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.updated(), 1);
  EXPECT_EQ(second.unchanged(), 2);
  EXPECT_EQ(second.rejected(), 2);
  v1::GetAccountRequest get;
  get.set_name("accounts/imported");
  v1::Account got;
  ASSERT_TRUE(graph_->GetAccount(Context().get(), get, &got).ok());
  EXPECT_EQ(got.owner(), "team-west");
}

TEST_P(IntakeTest, AnImportReplacesCrmRolesAndKeepsConfirmedOnes) {
  auto import = [&](const v1::Stakeholder& person) {
    v1::ImportRecordsResponse response;
    auto context = Context();
    auto writer = intake_->ImportRecords(context.get(), &response);
    v1::ImportRecordsRequest record;
    *record.mutable_stakeholder() = person;
    writer->Write(record);
    writer->WritesDone();
    EXPECT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.rejected(), 0) << response.ShortDebugString();
  };
  auto role = [](v1::CommitteeRole r, v1::RoleSource source,
                 const std::string& basis = "") {
    v1::RoleAssignment a;
    a.set_role(r);
    a.set_source(source);
    a.set_basis(basis);
    return a;
  };
  v1::Account account;
  account.set_display_name("Imported Lab");
  account.set_country_code("US");
  v1::CreateAccountRequest create;
  *create.mutable_account() = account;
  create.set_account_id("imported");
  v1::Account created;
  ASSERT_TRUE(graph_->CreateAccount(Context().get(), create, &created).ok());

  v1::Stakeholder person;
  person.set_name("accounts/imported/stakeholders/ann");
  person.set_display_name("Ann");
  *person.add_roles() =
      role(v1::COMMITTEE_ROLE_QUALITY, v1::ROLE_SOURCE_CRM, "Quality Manager");
  *person.add_roles() =
      role(v1::COMMITTEE_ROLE_LAB_DIRECTOR, v1::ROLE_SOURCE_CONFIRMED);
  import(person);
  // The CRM now says procurement, and sends no confirmation.
  person.clear_roles();
  *person.add_roles() =
      role(v1::COMMITTEE_ROLE_PROCUREMENT, v1::ROLE_SOURCE_CRM, "Buyer");
  import(person);

  v1::GetStakeholderRequest get;
  get.set_name(person.name());
  v1::Stakeholder got;
  ASSERT_TRUE(graph_->GetStakeholder(Context().get(), get, &got).ok());
  std::vector<std::string> roles;
  for (const auto& r : got.roles()) {
    roles.push_back(absl::StrCat(v1::CommitteeRole_Name(r.role()), "/",
                                 v1::RoleSource_Name(r.source()), "/",
                                 r.basis()));
  }
  EXPECT_THAT(roles, ::testing::UnorderedElementsAre(
                         "COMMITTEE_ROLE_PROCUREMENT/ROLE_SOURCE_CRM/Buyer",
                         "COMMITTEE_ROLE_LAB_DIRECTOR/ROLE_SOURCE_CONFIRMED/"));
}

TEST_P(IntakeTest, AnImportGroupLandsAllOrNothing) {
  auto import = [&](const std::vector<v1::ImportRecordsRequest>& records,
                    v1::ImportRecordsResponse* response) {
    auto context = Context();
    auto writer = intake_->ImportRecords(context.get(), response);
    for (const auto& r : records) writer->Write(r);
    writer->WritesDone();
    return writer->Finish();
  };
  auto exists = [&](const std::string& name) {
    v1::GetAccountRequest get;
    get.set_name(name);
    v1::Account got;
    return graph_->GetAccount(Context().get(), get, &got).ok();
  };
  // A CSV row: an account and its site, the site with a bad CLIA number;
  // then a good row; then a record of its own.
  std::vector<v1::ImportRecordsRequest> records(5);
  records[0].mutable_account()->set_name("accounts/row-one");
  records[0].mutable_account()->set_display_name("Row One Lab");
  records[0].mutable_account()->set_country_code("US");
  records[1].mutable_site()->set_name("accounts/row-one/sites/lab");
  records[1].mutable_site()->set_display_name("Lab");
  records[1].mutable_site()->set_clia_number("99X555");
  records[0].set_group("row-1");
  records[1].set_group("row-1");
  records[2].mutable_account()->set_name("accounts/row-two");
  records[2].mutable_account()->set_display_name("Row Two Lab");
  records[2].mutable_account()->set_country_code("US");
  records[3].mutable_site()->set_name("accounts/row-two/sites/lab");
  records[3].mutable_site()->set_display_name("Lab");
  records[3].mutable_site()->set_clia_number("31D0123456");
  records[2].set_group("row-2");
  records[3].set_group("row-2");
  records[4].mutable_account()->set_name("accounts/alone");
  records[4].mutable_account()->set_display_name("Alone");
  records[4].mutable_account()->set_country_code("US");

  v1::ImportRecordsResponse response;
  ASSERT_TRUE(import(records, &response).ok());
  EXPECT_EQ(response.received(), 5);
  EXPECT_EQ(response.created(), 3);
  EXPECT_EQ(response.rejected(), 2);
  ASSERT_EQ(response.errors_size(), 2);
  EXPECT_EQ(response.errors(0).position(), 0);
  EXPECT_EQ(response.errors(0).code(), "ABORTED");
  EXPECT_NE(response.errors(0).reason().find("accounts/row-one/sites/lab"),
            std::string::npos)
      << response.errors(0).reason();
  EXPECT_EQ(response.errors(1).position(), 1);
  EXPECT_EQ(response.errors(1).code(), "INVALID_ARGUMENT");
  EXPECT_NE(response.errors(1).reason().find("site.clia_number"),
            std::string::npos);
  EXPECT_FALSE(exists("accounts/row-one"));
  EXPECT_TRUE(exists("accounts/row-two"));
  EXPECT_TRUE(exists("accounts/alone"));

  // A group larger than a stream may hold together is refused.
  std::vector<v1::ImportRecordsRequest> huge(
      IntakeServiceImpl::kMaxImportGroup + 1);
  for (size_t i = 0; i < huge.size(); ++i) {
    auto* a = huge[i].mutable_account();
    a->set_name("accounts/huge-" + std::to_string(i));
    a->set_display_name("Huge " + std::to_string(i));
    a->set_country_code("US");
    huge[i].set_group("one-big-group");
  }
  v1::ImportRecordsResponse refused;
  grpc::Status status = import(huge, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("group"), std::string::npos);
  EXPECT_FALSE(exists("accounts/huge-0"));
}

v1::ImportRecordsRequest ImportedAccount(const std::string& id) {
  v1::ImportRecordsRequest record;
  record.mutable_account()->set_name("accounts/" + id);
  record.mutable_account()->set_display_name("Lab " + id);
  record.mutable_account()->set_country_code("US");
  return record;
}

TEST_P(IntakeTest, UndecodableImportMessageEndsTheStreamNamingItsPosition) {
  v1::ImportRecordsResponse response;
  grpc::Status status = SendRawStream(
      channel_, "/quorum.v1.IntakeService/ImportRecords",
      {Raw(ImportedAccount("first")), Raw(ImportedAccount("second")),
       Raw(kUndecodable), Raw(ImportedAccount("fourth")),
       Raw(ImportedAccount("fifth"))},
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("stream message 2"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("quorum.v1.ImportRecordsRequest"),
            std::string::npos);
  // The two records before it are committed; nothing after it is.
  EXPECT_EQ(AccountNames(),
            (std::vector<std::string>{"accounts/first", "accounts/second"}));
  // The counts so far travel as a detail of the error.
  const google::rpc::Status details = quorum::testing::RpcStatus(status);
  v1::ImportRecordsResponse partial;
  bool found = false;
  for (const auto& any : details.details()) {
    if (any.type_url() ==
        "type.googleapis.com/quorum.v1.ImportRecordsResponse") {
      found = partial.ParseFromString(any.value());
    }
  }
  ASSERT_TRUE(found);
  EXPECT_EQ(partial.received(), 2);
  EXPECT_EQ(partial.created(), 2);
}

TEST_P(IntakeTest, UndecodableFirstImportMessageCommitsNothing) {
  v1::ImportRecordsResponse response;
  grpc::Status status = SendRawStream(
      channel_, "/quorum.v1.IntakeService/ImportRecords",
      {Raw(kUndecodable), Raw(ImportedAccount("after"))}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("stream message 0"), std::string::npos);
  EXPECT_TRUE(AccountNames().empty());
}

TEST_P(IntakeTest, EmptyMessagesInARawImportStreamAreRecordsNotErrors) {
  v1::ImportRecordsResponse response;
  grpc::Status status = SendRawStream(
      channel_, "/quorum.v1.IntakeService/ImportRecords",
      {Raw(std::string()), Raw(ImportedAccount("kept"))}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.received(), 2);
  EXPECT_EQ(response.created(), 1);
  EXPECT_EQ(response.rejected(), 1);  // The empty record names no resource.
}

TEST_P(IntakeTest, UndecodableSignalMessageEndsTheStreamNamingItsPosition) {
  v1::SubmitLeadResponse lead = MustSubmit(WorkedExampleLead(), "s");
  auto message = [&](int first) {
    v1::StreamSignalsRequest m;
    for (int i = first; i < first + 3; ++i) {
      auto* r = m.add_signals();
      r->set_parent(lead.account());
      r->set_signal_id("web-" + std::to_string(i));
      r->mutable_signal()->set_type(v1::SIGNAL_TYPE_PAGE_VIEW);
      r->mutable_signal()->mutable_occur_time()->set_seconds(1790000000 + i);
    }
    return Raw(m);
  };
  v1::StreamSignalsResponse response;
  grpc::Status status = SendRawStream(
      channel_, "/quorum.v1.IntakeService/StreamSignals",
      {message(0), message(3), Raw(kUndecodable), message(6), message(9)},
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("stream message 2"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("quorum.v1.StreamSignalsRequest"),
            std::string::npos);
  EXPECT_EQ(CountSignals(lead.account()), 6 + 1);  // + the demo request.
}

INSTANTIATE_TEST_SUITE_P(Engines, IntakeTest, quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
