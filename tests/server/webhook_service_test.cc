// WebhookService over a real gRPC channel, on both engines, delivering to a
// real HTTP receiver on loopback (tests/support/webhook_receiver.h) that
// fails, hangs and restarts: CRUD and validation, signed deliveries in feed
// order, retries with backoff, pause with the reason, resume without gaps,
// and resume across compaction.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "quorum/v1/account_graph_service.grpc.pb.h"
#include "quorum/v1/signal_service.grpc.pb.h"
#include "quorum/v1/webhook_service.grpc.pb.h"
#include "server/server.h"
#include "tests/support/grpc_testing.h"
#include "tests/support/test_server.h"
#include "tests/support/webhook_receiver.h"

namespace quorum::server {
namespace {

using ::quorum::testing::ViolatedFields;
using ::quorum::testing::WebhookReceiver;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace v1 = ::quorum::v1;

// The signature a receiver expects, computed here independently of the
// server's code: "sha256=" and hex HMAC-SHA256(secret, body).
std::string ExpectedSignature(const std::string& secret,
                              const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
       &length);
  return "sha256=" + absl::BytesToHexString(absl::string_view(
                         reinterpret_cast<const char*>(digest), length));
}

// The sequence numbers of the requests answered 200, in arrival order.
std::vector<int64_t> AcceptedSequences(WebhookReceiver& receiver) {
  std::vector<int64_t> out;
  for (const auto& r : receiver.accepted()) {
    out.push_back(std::stoll(r.Header("x-quorum-sequence")));
  }
  return out;
}

// `s` without repeats in a row: a delivery the receiver took whose answer
// was lost (the receiver stopped) is delivered again (at least once).
std::vector<int64_t> WithoutRepeats(std::vector<int64_t> s) {
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

class WebhookServiceTest
    : public ::testing::TestWithParam<quorum::testing::Engine> {
 protected:
  void SetUp() override {
    QUORUM_SKIP_WITHOUT_ENGINE(GetParam());
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store = quorum::testing::StoreFor(GetParam(), dir_.path());
    options.webhooks.timeout = absl::Milliseconds(300);
    options.webhooks.max_failures = 3;
    options.webhooks.backoff = absl::Milliseconds(5);
    options.webhooks.max_backoff = absl::Milliseconds(20);
    auto started = QuorumServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    auto channel = quorum::testing::ChannelTo(*server_);
    webhooks_ = v1::WebhookService::NewStub(channel);
    graph_ = v1::AccountGraphService::NewStub(channel);
    signals_ = v1::SignalService::NewStub(channel);
  }

  // Records a signal of `type` on the account now.
  void AddSignal(const std::string& id, v1::SignalType type) {
    v1::RecordSignalsRequest batch;
    v1::CreateSignalRequest& signal = *batch.add_requests();
    signal.set_parent("accounts/" + id);
    signal.mutable_signal()->set_type(type);
    signal.mutable_signal()->mutable_occur_time()->set_seconds(
        absl::ToUnixSeconds(absl::Now()));
    v1::RecordSignalsResponse recorded;
    grpc::Status status =
        signals_->RecordSignals(Context().get(), batch, &recorded);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    return context;
  }

  grpc::Status Create(const v1::CreateWebhookRequest& request,
                      v1::Webhook* out) {
    return webhooks_->CreateWebhook(Context().get(), request, out);
  }

  v1::Webhook CreateFor(const std::string& url, const std::string& id,
                        v1::ReadinessFilter filter = {}) {
    v1::CreateWebhookRequest request;
    request.set_webhook_id(id);
    request.mutable_webhook()->set_url(url);
    request.mutable_webhook()->set_secret(kSecret);
    *request.mutable_webhook()->mutable_filter() = filter;
    v1::Webhook out;
    grpc::Status status = Create(request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  v1::Webhook Get(const std::string& name) {
    v1::GetWebhookRequest request;
    request.set_name(name);
    v1::Webhook out;
    grpc::Status status = webhooks_->GetWebhook(Context().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // Polls GetWebhook until `done` holds (at most 20 s); the last answer.
  v1::Webhook WaitForWebhook(
      const std::string& name,
      const std::function<bool(const v1::Webhook&)>& done) {
    v1::Webhook w;
    for (int i = 0; i < 2000; ++i) {
      w = Get(name);
      if (done(w)) return w;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "webhook never got there: " << w.DebugString();
    return w;
  }

  // Creates an account (a readiness event); returns the feed's head after.
  int64_t AddAccount(const std::string& id, const std::string& country = "US") {
    v1::CreateAccountRequest create;
    create.set_account_id(id);
    create.mutable_account()->set_display_name("Lab " + id);
    create.mutable_account()->set_country_code(country);
    create.mutable_account()->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
    v1::Account account;
    grpc::Status status =
        graph_->CreateAccount(Context().get(), create, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return Head();
  }

  int64_t Head() {
    return server_->use_cases()->readiness().LastEventSequence();
  }

  // The sequence numbers of every event in (after, head].
  std::vector<int64_t> SequencesAfter(int64_t after) {
    std::vector<int64_t> out;
    auto events =
        server_->use_cases()->readiness().ReadinessEvents(after, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.sequence());
    }
    return out;
  }

  // A server of its own on `dir` whose webhooks are never paused for
  // failures and wait `backoff` (at most 4 times that) after one.
  std::unique_ptr<QuorumServer> StartNeverPausing(
      const quorum::testing::TempDir& dir, absl::Duration backoff) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.store = quorum::testing::StoreFor(GetParam(), dir.path());
    options.webhooks.timeout = absl::Milliseconds(300);
    options.webhooks.max_failures = 0;
    options.webhooks.backoff = backoff;
    options.webhooks.max_backoff = backoff * 4;
    auto started = QuorumServer::Start(options);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *std::move(started) : nullptr;
  }
  static constexpr char kSecret[] = "s3cret-for-tests";
  quorum::testing::TempDir dir_;
  std::unique_ptr<QuorumServer> server_;
  std::unique_ptr<v1::WebhookService::Stub> webhooks_;
  std::unique_ptr<v1::AccountGraphService::Stub> graph_;
  std::unique_ptr<v1::SignalService::Stub> signals_;
};

TEST_P(WebhookServiceTest, CreateGetListDeleteAndTheSecretIsNeverReturned) {
  AddAccount("before");  // The cursor starts at the head.
  v1::CreateWebhookRequest request;
  request.set_webhook_id("crm");
  request.set_request_id("req-1");
  request.mutable_webhook()->set_url("https://crm.example.com/quorum");
  request.mutable_webhook()->set_secret(kSecret);
  request.mutable_webhook()->mutable_filter()->add_routes(
      v1::ROUTE_SALES_DISCOVERY);
  request.mutable_webhook()->mutable_filter()->set_country_code("DE");
  v1::Webhook created;
  ASSERT_TRUE(Create(request, &created).ok());
  EXPECT_EQ(created.name(), "webhooks/crm");
  EXPECT_EQ(created.url(), "https://crm.example.com/quorum");
  EXPECT_TRUE(created.secret().empty());
  EXPECT_EQ(created.secret_fingerprint().size(), 16u);
  EXPECT_EQ(created.state(), v1::Webhook::STATE_ACTIVE);
  EXPECT_EQ(created.cursor_sequence(), Head());
  EXPECT_EQ(created.filter().country_code(), "DE");
  EXPECT_TRUE(created.has_create_time());

  // A retry with the request ID answers the same and creates nothing; the
  // ID with another request is refused.
  v1::Webhook again;
  ASSERT_TRUE(Create(request, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), created.SerializeAsString());
  request.mutable_webhook()->set_url("https://other.example.com/");
  grpc::Status reused = Create(request, &again);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(reused), Contains("request_id"));
  // The same ID without a request ID: taken.
  request.clear_request_id();
  EXPECT_EQ(Create(request, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // A derived ID.
  v1::CreateWebhookRequest derived;
  derived.mutable_webhook()->set_url("http://127.0.0.1:9/x");
  derived.mutable_webhook()->set_secret("other");
  v1::Webhook second;
  ASSERT_TRUE(Create(derived, &second).ok());
  EXPECT_THAT(second.name(), HasSubstr("webhooks/w-"));
  EXPECT_NE(second.secret_fingerprint(), created.secret_fingerprint());

  EXPECT_EQ(Get("webhooks/crm").SerializeAsString(),
            created.SerializeAsString());
  v1::ListWebhooksRequest list;
  list.set_page_size(1);
  v1::ListWebhooksResponse page;
  ASSERT_TRUE(webhooks_->ListWebhooks(Context().get(), list, &page).ok());
  ASSERT_EQ(page.webhooks_size(), 1);
  EXPECT_TRUE(page.webhooks(0).secret().empty());
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  v1::ListWebhooksResponse rest;
  ASSERT_TRUE(webhooks_->ListWebhooks(Context().get(), list, &rest).ok());
  ASSERT_EQ(rest.webhooks_size(), 1);
  EXPECT_NE(rest.webhooks(0).name(), page.webhooks(0).name());
  EXPECT_TRUE(rest.next_page_token().empty());

  v1::DeleteWebhookRequest del;
  del.set_name("webhooks/crm");
  google::protobuf::Empty empty;
  ASSERT_TRUE(webhooks_->DeleteWebhook(Context().get(), del, &empty).ok());
  EXPECT_EQ(webhooks_->DeleteWebhook(Context().get(), del, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetWebhookRequest get;
  get.set_name("webhooks/crm");
  v1::Webhook gone;
  EXPECT_EQ(webhooks_->GetWebhook(Context().get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(WebhookServiceTest, BadInputNamesTheFieldAndCreatesNothing) {
  struct Case {
    std::string field;
    std::function<void(v1::CreateWebhookRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"webhook.url", [](auto& r) { r.mutable_webhook()->clear_url(); }},
      {"webhook.url",
       [](auto& r) { r.mutable_webhook()->set_url("ftp://example.com/x"); }},
      {"webhook.url",
       [](auto& r) { r.mutable_webhook()->set_url("http:///no-host"); }},
      {"webhook.url",
       [](auto& r) { r.mutable_webhook()->set_url("http://a b.example/"); }},
      {"webhook.url",
       [](auto& r) {
         r.mutable_webhook()->set_url("http://example.com:99999/");
       }},
      {"webhook.url",
       [](auto& r) { r.mutable_webhook()->set_url("example.com"); }},
      {"webhook.secret", [](auto& r) { r.mutable_webhook()->clear_secret(); }},
      {"webhook.secret",
       [](auto& r) { r.mutable_webhook()->set_secret(std::string(257, 'k')); }},
      {"webhook.filter.country_code",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->set_country_code("XX");
       }},
      {"webhook.filter.min_readiness",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->set_min_readiness(101);
       }},
      {"webhook.filter.routes[0]",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->add_routes(
             static_cast<v1::Route>(999));
       }},
      {"webhook.filter.statuses[0]",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->add_statuses(
             static_cast<v1::LifecycleStatus>(999));
       }},
      {"webhook.filter.stage",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->set_stage(
             static_cast<v1::EvaluationStage>(999));
       }},
      {"webhook.filter.solution",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->set_solution("Not An ID");
       }},
      {"webhook.filter.solution",
       [](auto& r) {
         r.mutable_webhook()->mutable_filter()->set_solution("reagents");
       }},
      {"webhook_id", [](auto& r) { r.set_webhook_id("Not_An_ID"); }},
      {"start_sequence", [](auto& r) { r.set_start_sequence(-1); }},
  };
  for (const Case& c : cases) {
    v1::CreateWebhookRequest request;
    request.mutable_webhook()->set_url("http://127.0.0.1:8080/hook");
    request.mutable_webhook()->set_secret(kSecret);
    c.spoil(request);
    v1::Webhook out;
    grpc::Status status = Create(request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field << ": " << request.ShortDebugString();
    EXPECT_THAT(ViolatedFields(status), Contains(c.field))
        << status.error_message();
  }
  // A start beyond the feed's head: OUT_OF_RANGE.
  v1::CreateWebhookRequest beyond;
  beyond.mutable_webhook()->set_url("http://127.0.0.1:8080/hook");
  beyond.mutable_webhook()->set_secret(kSecret);
  beyond.set_start_sequence(Head() + 5);
  v1::Webhook out;
  EXPECT_EQ(Create(beyond, &out).error_code(), grpc::StatusCode::OUT_OF_RANGE);

  v1::ListWebhooksResponse list;
  ASSERT_TRUE(webhooks_->ListWebhooks(Context().get(), {}, &list).ok());
  EXPECT_THAT(list.webhooks(), IsEmpty());

  // Malformed names.
  v1::GetWebhookRequest get;
  get.set_name("accounts/x");
  EXPECT_EQ(webhooks_->GetWebhook(Context().get(), get, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ResumeWebhookRequest resume;
  resume.set_name("webhooks/");
  grpc::Status bad_resume =
      webhooks_->ResumeWebhook(Context().get(), resume, &out);
  EXPECT_EQ(bad_resume.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(bad_resume), Contains("name"));
  resume.set_name("webhooks/nobody");
  EXPECT_EQ(
      webhooks_->ResumeWebhook(Context().get(), resume, &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_P(WebhookServiceTest, DeliversSignedJsonEventsInFeedOrder) {
  WebhookReceiver receiver;
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "signed");
  AddAccount("alpha");
  AddAccount("beta");
  AddAccount("gamma");
  const std::vector<int64_t> expected = SequencesAfter(start);
  ASSERT_GE(expected.size(), 3u);
  ASSERT_TRUE(receiver.WaitFor([&](const auto& requests) {
    return requests.size() >= expected.size();
  }));
  EXPECT_THAT(AcceptedSequences(receiver), ElementsAreArray(expected));
  std::set<std::string> accounts;
  for (const auto& r : receiver.accepted()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/hook");
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(r.Header("x-quorum-webhook"), "webhooks/signed");
    EXPECT_EQ(r.Header("x-quorum-signature"),
              ExpectedSignature(kSecret, r.body));
    v1::ReadinessEvent event;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.body, &event).ok())
        << r.body;
    EXPECT_EQ(absl::StrCat(event.sequence()), r.Header("x-quorum-sequence"));
    accounts.insert(event.account());
  }
  EXPECT_THAT(accounts, Contains("accounts/alpha"));
  EXPECT_THAT(accounts, Contains("accounts/gamma"));
  const v1::Webhook after = WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == expected.back();
  });
  EXPECT_EQ(after.delivered_count(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(after.consecutive_failures(), 0);
  EXPECT_TRUE(after.has_last_delivery_time());
}

TEST_P(WebhookServiceTest, EachAccountsEventsArriveInTheOrderTheyHappened) {
  WebhookReceiver receiver;
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "ordered");
  AddAccount("north");
  AddAccount("south");
  receiver.FailNext(2);  // Retries in the middle change no order.
  for (v1::SignalType type :
       {v1::SIGNAL_TYPE_WEBINAR_ATTENDED, v1::SIGNAL_TYPE_PRICING_INQUIRY,
        v1::SIGNAL_TYPE_DEMO_REQUEST}) {
    AddSignal("north", type);
    AddSignal("south", type);
  }
  auto events = server_->use_cases()->readiness().ReadinessEvents(start, 1000);
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<std::string, std::vector<int64_t>> feed;
  for (const auto& e : *events) feed[e.account()].push_back(e.sequence());
  ASSERT_GE(feed["accounts/north"].size(), 2u);
  WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == events->back().sequence();
  });
  std::map<std::string, std::vector<int64_t>> received;
  for (const auto& r : receiver.accepted()) {
    v1::ReadinessEvent event;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.body, &event).ok());
    received[event.account()].push_back(event.sequence());
  }
  EXPECT_EQ(received, feed);
}

TEST_P(WebhookServiceTest, AFilterDeliversOnlyMatchingEventsAndPassesTheRest) {
  WebhookReceiver receiver;
  v1::ReadinessFilter filter;
  filter.set_country_code("DE");
  const v1::Webhook webhook = CreateFor(receiver.url(), "germany", filter);
  AddAccount("us-one", "US");
  AddAccount("de-one", "DE");
  const int64_t head = AddAccount("us-two", "US");
  // The cursor passes the events that do not match, too.
  WaitForWebhook(webhook.name(),
                 [&](const auto& w) { return w.cursor_sequence() == head; });
  ASSERT_FALSE(receiver.accepted().empty());
  for (const auto& r : receiver.accepted()) {
    v1::ReadinessEvent event;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.body, &event).ok());
    EXPECT_EQ(event.country_code(), "DE");
    EXPECT_EQ(event.account(), "accounts/de-one");
  }
}

TEST_P(WebhookServiceTest, ASolutionsWebhookReceivesThatSolutionsFeed) {
  WebhookReceiver receiver;
  v1::ReadinessFilter filter;
  filter.set_solution("lis-middleware");
  graph::Readiness& readiness = server_->use_cases()->readiness();
  const int64_t start = readiness.LastEventSequence("lis-middleware");
  const v1::Webhook webhook = CreateFor(receiver.url(), "middleware", filter);
  EXPECT_EQ(webhook.cursor_sequence(), start);
  AddAccount("one");
  AddAccount("two");
  const int64_t head = readiness.LastEventSequence("lis-middleware");
  // Each account's first verdict for the solution, numbered in its feed.
  ASSERT_EQ(head, start + 2);
  WaitForWebhook(webhook.name(),
                 [&](const auto& w) { return w.cursor_sequence() == head; });
  EXPECT_THAT(AcceptedSequences(receiver), ElementsAre(start + 1, start + 2));
  std::set<std::string> accounts;
  for (const auto& r : receiver.accepted()) {
    v1::ReadinessEvent event;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.body, &event).ok());
    EXPECT_EQ(event.solution(), "lis-middleware");
    accounts.insert(event.account());
  }
  EXPECT_THAT(accounts, ElementsAre("accounts/one", "accounts/two"));
}

TEST_P(WebhookServiceTest, FailuresAreRetriedUntilAcknowledged) {
  WebhookReceiver receiver;
  receiver.FailNext(2);  // Below max_failures (3).
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "retry");
  AddAccount("retried");
  const std::vector<int64_t> expected = SequencesAfter(start);
  ASSERT_TRUE(receiver.WaitFor([&](const auto& requests) {
    return !requests.empty() && requests.back().answered == 200 &&
           requests.size() >= 3;
  }));
  const auto requests = receiver.requests();
  // The same event three times: two 500s, then 200.
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[0].answered, 500);
  EXPECT_EQ(requests[1].answered, 500);
  EXPECT_EQ(requests[2].answered, 200);
  EXPECT_EQ(requests[0].Header("x-quorum-sequence"),
            requests[2].Header("x-quorum-sequence"));
  EXPECT_EQ(requests[0].body, requests[2].body);
  const v1::Webhook after = WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == expected.back();
  });
  EXPECT_EQ(after.state(), v1::Webhook::STATE_ACTIVE);
  EXPECT_EQ(after.consecutive_failures(), 0);
  EXPECT_TRUE(after.last_error().empty());
}

TEST_P(WebhookServiceTest, PausesAfterMaxFailuresAndResumeDeliversTheBacklog) {
  WebhookReceiver receiver;
  receiver.FailNext(1000);
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "flaky");
  AddAccount("first");
  const v1::Webhook paused = WaitForWebhook(webhook.name(), [](const auto& w) {
    return w.state() == v1::Webhook::STATE_PAUSED;
  });
  EXPECT_EQ(paused.consecutive_failures(), 3);
  EXPECT_THAT(paused.paused_reason(), HasSubstr("3 consecutive"));
  EXPECT_THAT(paused.paused_reason(), HasSubstr("HTTP 500"));
  EXPECT_EQ(paused.last_error(), "HTTP 500");
  EXPECT_EQ(paused.cursor_sequence(), start);
  // Events while paused wait in the feed.
  AddAccount("second");
  AddAccount("third");
  receiver.FailNext(0);
  v1::ResumeWebhookRequest resume;
  resume.set_name(webhook.name());
  v1::Webhook resumed;
  ASSERT_TRUE(webhooks_->ResumeWebhook(Context().get(), resume, &resumed).ok());
  EXPECT_EQ(resumed.state(), v1::Webhook::STATE_ACTIVE);
  EXPECT_EQ(resumed.consecutive_failures(), 0);
  EXPECT_TRUE(resumed.paused_reason().empty());
  const std::vector<int64_t> expected = SequencesAfter(start);
  WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == expected.back();
  });
  // Every event, in order, none missing.
  EXPECT_THAT(AcceptedSequences(receiver), ElementsAreArray(expected));
}

TEST_P(WebhookServiceTest, ATimeoutIsAFailureAndDeliveryGoesOnAfterIt) {
  WebhookReceiver receiver;
  receiver.Hang(true);
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "slow");
  AddAccount("waiting");
  const v1::Webhook failing = WaitForWebhook(webhook.name(), [](const auto& w) {
    return w.consecutive_failures() >= 1;
  });
  EXPECT_THAT(failing.last_error(), HasSubstr("imeout"));
  receiver.Hang(false);
  const std::vector<int64_t> expected = SequencesAfter(start);
  // Paused or not by then (3 timeouts), resuming delivers everything.
  v1::ResumeWebhookRequest resume;
  resume.set_name(webhook.name());
  v1::Webhook resumed;
  ASSERT_TRUE(webhooks_->ResumeWebhook(Context().get(), resume, &resumed).ok());
  WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == expected.back();
  });
  EXPECT_THAT(AcceptedSequences(receiver), ElementsAreArray(expected));
}

TEST_P(WebhookServiceTest, AReceiverThatRestartsMissesNothing) {
  WebhookReceiver receiver;
  const int64_t start = Head();
  const v1::Webhook webhook = CreateFor(receiver.url(), "restarts");
  AddAccount("one");
  ASSERT_TRUE(
      receiver.WaitFor([](const auto& requests) { return !requests.empty(); }));
  receiver.Stop();
  AddAccount("two");
  WaitForWebhook(webhook.name(),
                 [](const auto& w) { return w.consecutive_failures() >= 1; });
  receiver.Restart();
  AddAccount("three");
  const std::vector<int64_t> expected = SequencesAfter(start);
  v1::ResumeWebhookRequest resume;  // In case three attempts failed.
  resume.set_name(webhook.name());
  v1::Webhook resumed;
  ASSERT_TRUE(webhooks_->ResumeWebhook(Context().get(), resume, &resumed).ok());
  WaitForWebhook(webhook.name(), [&](const auto& w) {
    return w.cursor_sequence() == expected.back();
  });
  EXPECT_THAT(WithoutRepeats(AcceptedSequences(receiver)),
              ElementsAreArray(expected));
}

TEST_P(WebhookServiceTest, ResumeAfterCompactionNeedsSkipCompacted) {
  WebhookReceiver receiver;
  receiver.FailNext(1000);
  const v1::Webhook webhook = CreateFor(receiver.url(), "behind");
  AddAccount("lost-one");
  WaitForWebhook(webhook.name(), [](const auto& w) {
    return w.state() == v1::Webhook::STATE_PAUSED;
  });
  AddAccount("lost-two");
  const int64_t head = AddAccount("kept");
  graph::Readiness::FeedOptions keep_one;
  keep_one.retention_events = 1;
  ASSERT_TRUE(server_->use_cases()->readiness().RunDue(keep_one).ok());
  v1::ResumeWebhookRequest resume;
  resume.set_name(webhook.name());
  v1::Webhook out;
  grpc::Status refused =
      webhooks_->ResumeWebhook(Context().get(), resume, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(refused.error_message(), HasSubstr("skip_compacted"));
  EXPECT_EQ(Get(webhook.name()).state(), v1::Webhook::STATE_PAUSED);
  receiver.FailNext(0);
  resume.set_skip_compacted(true);
  ASSERT_TRUE(webhooks_->ResumeWebhook(Context().get(), resume, &out).ok());
  EXPECT_EQ(out.cursor_sequence(), head - 1);
  WaitForWebhook(webhook.name(),
                 [&](const auto& w) { return w.cursor_sequence() == head; });
  EXPECT_THAT(AcceptedSequences(receiver), ElementsAreArray({head}));
}

TEST_P(WebhookServiceTest, AWebhookWhoseEventsWereCompactedAwayPausesSayingSo) {
  // A server that never pauses for failures: only compaction can.
  quorum::testing::TempDir dir;
  auto own = StartNeverPausing(dir, absl::Milliseconds(5));
  ASSERT_NE(own, nullptr);
  QuorumServer& server = *own;
  auto channel = quorum::testing::ChannelTo(server);
  auto hooks = v1::WebhookService::NewStub(channel);
  auto graph = v1::AccountGraphService::NewStub(channel);

  WebhookReceiver receiver;
  receiver.Hang(true);  // Every delivery times out.
  v1::CreateWebhookRequest create;
  create.set_webhook_id("stuck");
  create.mutable_webhook()->set_url(receiver.url());
  create.mutable_webhook()->set_secret(kSecret);
  v1::Webhook webhook;
  ASSERT_TRUE(hooks->CreateWebhook(Context().get(), create, &webhook).ok());
  for (const std::string id : {"first", "second", "third"}) {
    v1::CreateAccountRequest account;
    account.set_account_id(id);
    account.mutable_account()->set_display_name("Lab " + id);
    account.mutable_account()->set_country_code("US");
    v1::Account created;
    ASSERT_TRUE(graph->CreateAccount(Context().get(), account, &created).ok());
  }
  ASSERT_TRUE(
      receiver.WaitFor([](const auto& requests) { return !requests.empty(); }));
  graph::Readiness::FeedOptions keep_one;
  keep_one.retention_events = 1;
  ASSERT_TRUE(server.use_cases()->readiness().RunDue(keep_one).ok());

  v1::GetWebhookRequest get;
  get.set_name("webhooks/stuck");
  for (int i = 0; i < 2000 && webhook.state() != v1::Webhook::STATE_PAUSED;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(hooks->GetWebhook(Context().get(), get, &webhook).ok());
  }
  EXPECT_EQ(webhook.state(), v1::Webhook::STATE_PAUSED);
  EXPECT_THAT(webhook.paused_reason(), HasSubstr("compacted away"));
  EXPECT_THAT(webhook.paused_reason(), HasSubstr("skip_compacted"));
  receiver.Hang(false);
}

TEST_P(WebhookServiceTest, AResumeWakesADeliveryThatIsBackingOff) {
  // A server that waits two minutes after a failure and never pauses.
  quorum::testing::TempDir dir;
  auto own = StartNeverPausing(dir, absl::Minutes(2));
  ASSERT_NE(own, nullptr);
  auto channel = quorum::testing::ChannelTo(*own);
  auto hooks = v1::WebhookService::NewStub(channel);
  auto graph = v1::AccountGraphService::NewStub(channel);

  WebhookReceiver receiver;
  receiver.FailNext(1);
  v1::CreateWebhookRequest create;
  create.set_webhook_id("slow");
  create.mutable_webhook()->set_url(receiver.url());
  create.mutable_webhook()->set_secret(kSecret);
  v1::Webhook webhook;
  ASSERT_TRUE(hooks->CreateWebhook(Context().get(), create, &webhook).ok());
  v1::CreateAccountRequest account;
  account.set_account_id("waiting");
  account.mutable_account()->set_display_name("Waiting Lab");
  account.mutable_account()->set_country_code("US");
  account.mutable_account()->set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  v1::Account created;
  ASSERT_TRUE(graph->CreateAccount(Context().get(), account, &created).ok());
  ASSERT_TRUE(receiver.WaitFor([](const auto& requests) {
    return !requests.empty() && requests[0].answered == 500;
  }));

  // Backing off for two minutes now: the receiver is fixed and the webhook
  // resumed, and it is tried again at once.
  v1::ResumeWebhookRequest resume;
  resume.set_name("webhooks/slow");
  ASSERT_TRUE(hooks->ResumeWebhook(Context().get(), resume, &webhook).ok());
  EXPECT_TRUE(receiver.WaitFor(
      [](const auto& requests) {
        return !requests.empty() && requests.back().answered == 200;
      },
      std::chrono::seconds(30)));
}

TEST_P(WebhookServiceTest,
       AtMostAHundredWebhooksAndTheNextIsResourceExhausted) {
  // No events come, so their delivery threads only wait.
  for (size_t i = 0; i < graph::kMaxWebhooks; ++i) {
    CreateFor("http://127.0.0.1:9/hook", absl::StrCat("hook-", i));
  }
  v1::CreateWebhookRequest one_more;
  one_more.set_webhook_id("one-more");
  one_more.mutable_webhook()->set_url("http://127.0.0.1:9/hook");
  one_more.mutable_webhook()->set_secret(kSecret);
  v1::Webhook out;
  grpc::Status status = Create(one_more, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("100 webhooks"));
  v1::GetWebhookRequest get;
  get.set_name("webhooks/one-more");
  EXPECT_EQ(webhooks_->GetWebhook(Context().get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::DeleteWebhookRequest remove;
  remove.set_name("webhooks/hook-0");
  google::protobuf::Empty empty;
  ASSERT_TRUE(webhooks_->DeleteWebhook(Context().get(), remove, &empty).ok());
  EXPECT_TRUE(Create(one_more, &out).ok());
}

TEST_P(WebhookServiceTest,
       ADeliveryToADeletedWebhookNeverMovesTheOneCreatedAgain) {
  AddAccount("before");
  graph::Webhooks& hooks = server_->use_cases()->webhooks();
  CreateFor("http://127.0.0.1:9/old", "crm");
  auto loaded = hooks.LoadTarget("webhooks/crm");
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  v1::DeleteWebhookRequest remove;
  remove.set_name("webhooks/crm");
  google::protobuf::Empty empty;
  ASSERT_TRUE(webhooks_->DeleteWebhook(Context().get(), remove, &empty).ok());
  v1::CreateWebhookRequest again;
  again.set_webhook_id("crm");
  again.set_start_sequence(1);  // Every retained event, from the start.
  again.mutable_webhook()->set_url("http://127.0.0.1:9/new");
  again.mutable_webhook()->set_secret(kSecret);
  v1::Webhook second;
  ASSERT_TRUE(Create(again, &second).ok());
  EXPECT_EQ(second.cursor_sequence(), 0);

  // What a delivery to the old subscription would save, after the fact.
  const v1::Webhook& old = loaded->webhook;
  EXPECT_TRUE(absl::IsNotFound(hooks.Advance(old, Head(), true).status()));
  EXPECT_TRUE(absl::IsNotFound(
      hooks.RecordFailure(old, Head(), "HTTP 500", 1).status()));
  EXPECT_TRUE(absl::IsNotFound(hooks.Pause(old, "compacted").status()));
  const v1::Webhook now = Get("webhooks/crm");
  EXPECT_EQ(now.delivered_count(), 0);
  EXPECT_EQ(now.url(), "http://127.0.0.1:9/new");
  // Nothing reaches port 9: the new one's cursor has not moved either.
  EXPECT_LT(now.cursor_sequence(), Head());
}

INSTANTIATE_TEST_SUITE_P(Engines, WebhookServiceTest,
                         quorum::testing::AllEngines(),
                         quorum::testing::EngineName);

}  // namespace
}  // namespace quorum::server
