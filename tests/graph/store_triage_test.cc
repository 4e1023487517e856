// Intake: the triage queue. A valid lead that cannot be placed on an account
// (free-mail and no company, or no country for a new account) is kept as
// unplacedLeads/{id} instead of being refused; PlaceLead puts it on the
// account a person chose, with its stakeholder, signal and note, and takes
// it out of the queue; garbage is still INVALID_ARGUMENT.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class TriageTest : public StoreTest {
 protected:
  // A webinar lead from a free-mail address, without a company, with the
  // signal and the note that came with it.
  static v1::SubmitLeadRequest FreeMailLead(
      const std::string& request_id,
      const std::string& email = "anna.mueller@gmail.com") {
    v1::SubmitLeadRequest request;
    request.set_request_id(request_id);
    v1::Lead* lead = request.mutable_lead();
    lead->set_email(email);
    lead->set_first_name("Anna");
    lead->set_last_name("Müller");
    lead->set_title("Laboratory Director");
    lead->set_country("Deutschland");
    lead->set_source(v1::SOURCE_CHANNEL_WEBINAR);
    lead->set_campaign("q4-webinar");
    lead->mutable_signal()->set_type(v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
    lead->mutable_note()->set_learned("Asked about the validation workload");
    return request;
  }

  std::vector<v1::UnplacedLead> Queue(
      v1::UnplacedReason reason = v1::UNPLACED_REASON_UNSPECIFIED) {
    return OrFail(store_->intake().ListUnplacedLeads(reason, 1000, ""),
                  "ListUnplacedLeads")
        .items;
  }

  std::vector<std::string> AccountNames() {
    std::vector<std::string> names;
    for (const auto& a :
         OrFail(store_->accounts().ListAccounts(1000, ""), "ListAccounts")
             .items) {
      names.push_back(a.name());
    }
    return names;
  }

  static v1::PlaceLeadRequest Place(const std::string& name,
                                    const std::string& account,
                                    const std::string& stakeholder = "",
                                    const std::string& request_id = "") {
    v1::PlaceLeadRequest request;
    request.set_name(name);
    request.set_account(account);
    request.set_stakeholder(stakeholder);
    request.set_request_id(request_id);
    return request;
  }
};

TEST_F(TriageTest, FreeMailLeadWithoutCompanyIsQueuedInsteadOfRefused) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse r,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  EXPECT_THAT(r.unplaced_lead(), ::testing::StartsWith("unplacedLeads/lead-"));
  EXPECT_EQ(r.account(), "");
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_NONE);
  EXPECT_THAT(r.account_match_detail(), HasSubstr("gmail.com"));
  EXPECT_FALSE(r.has_signal());
  EXPECT_FALSE(r.has_note());
  EXPECT_FALSE(r.checks().empty());
  EXPECT_THAT(AccountNames(), IsEmpty());

  std::vector<v1::UnplacedLead> queue = Queue();
  ASSERT_THAT(queue, SizeIs(1));
  const v1::UnplacedLead& entry = queue[0];
  EXPECT_EQ(entry.name(), r.unplaced_lead());
  EXPECT_EQ(entry.reason(), v1::UNPLACED_REASON_NO_COMPANY);
  EXPECT_THAT(entry.reason_detail(), HasSubstr("free-mail"));
  EXPECT_EQ(entry.request_id(), "web-1");
  // What the channel sent, and the lead after normalization.
  EXPECT_THAT(entry.lead(), EqualsProto(FreeMailLead("web-1").lead()));
  EXPECT_EQ(entry.normalized().country(), "DE");
  EXPECT_EQ(entry.create_time().seconds(), absl::ToUnixSeconds(now_));
  EXPECT_EQ(entry.checks_size(), r.checks_size());
}

TEST_F(TriageTest, RetryOfAQueuedLeadAnswersTheSameAndQueuesItOnce) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse first,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse again,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.unplaced_lead(), first.unplaced_lead());
  EXPECT_THAT(Queue(), SizeIs(1));
}

TEST_F(TriageTest, LeadWhoseNewAccountHasNoCountryIsQueuedWithThatReason) {
  v1::SubmitLeadRequest request;
  request.set_request_id("no-country");
  request.mutable_lead()->set_email("pat.lee@acme-labs.com");  // Generic TLD.
  request.mutable_lead()->set_company("Acme Labs");
  request.mutable_lead()->set_country("Atlantis");  // Unknown: a warning.
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse r,
                       store_->intake().SubmitLead(request));
  EXPECT_FALSE(r.unplaced_lead().empty());
  EXPECT_THAT(AccountNames(), IsEmpty());
  std::vector<v1::UnplacedLead> queue = Queue();
  ASSERT_THAT(queue, SizeIs(1));
  EXPECT_EQ(queue[0].reason(), v1::UNPLACED_REASON_NO_COUNTRY);
  EXPECT_THAT(queue[0].reason_detail(), HasSubstr("\"Atlantis\" is unknown"));
}

TEST_F(TriageTest, InvalidLeadsAreStillRefusedAndNeverQueued) {
  // Neither a usable e-mail nor a company: nothing to keep.
  v1::SubmitLeadRequest garbage;
  garbage.set_request_id("garbage");
  garbage.mutable_lead()->set_email("broken@");
  EXPECT_THAT(store_->intake().SubmitLead(garbage),
              HasViolationOn("lead.company"));
  // A valid free-mail lead with an unknown enum value.
  v1::SubmitLeadRequest bad_enum = FreeMailLead("bad-enum");
  bad_enum.mutable_lead()->set_source(static_cast<v1::SourceChannel>(99));
  EXPECT_THAT(store_->intake().SubmitLead(bad_enum),
              HasViolationOn("lead.source"));
  // A signal without its type.
  v1::SubmitLeadRequest bad_signal = FreeMailLead("bad-signal");
  bad_signal.mutable_lead()->mutable_signal()->clear_type();
  EXPECT_THAT(store_->intake().SubmitLead(bad_signal),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Queue(), IsEmpty());
  EXPECT_THAT(AccountNames(), IsEmpty());
}

TEST_F(TriageTest, PlaceLeadLandsStakeholderSignalAndNoteAndEmptiesTheQueue) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  AddAccount("isartal");
  now_ += absl::Hours(2);
  ASSERT_OK_AND_ASSIGN(v1::PlaceLeadResponse placed,
                       store_->intake().PlaceLead(Place(
                           queued.unplaced_lead(), AccountName("isartal"))));
  EXPECT_EQ(placed.unplaced_lead(), queued.unplaced_lead());
  const v1::SubmitLeadResponse& r = placed.intake();
  EXPECT_EQ(r.account(), AccountName("isartal"));
  EXPECT_EQ(r.account_match(), v1::MATCH_KIND_PLACED);
  EXPECT_EQ(r.stakeholder_match(), v1::MATCH_KIND_CREATED);
  EXPECT_EQ(r.unplaced_lead(), "");
  EXPECT_FALSE(r.replayed());
  // The stakeholder, with the lead's e-mail and the role of the title.
  ASSERT_OK_AND_ASSIGN(v1::Stakeholder person,
                       store_->accounts().GetStakeholder(r.stakeholder()));
  EXPECT_EQ(person.email(), "anna.mueller@gmail.com");
  EXPECT_EQ(person.title(), "Laboratory Director");
  ASSERT_THAT(person.roles(), SizeIs(1));
  EXPECT_EQ(person.roles(0).role(), v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  // The signal and the note follow, tied to them.
  auto signals = OrFail(
      store_->signals().ListSignals(AccountName("isartal"), 10, ""), "signals");
  ASSERT_THAT(signals.items, SizeIs(1));
  EXPECT_EQ(signals.items[0].type(), v1::SIGNAL_TYPE_WEBINAR_ATTENDED);
  EXPECT_EQ(signals.items[0].stakeholder(), person.name());
  EXPECT_EQ(signals.items[0].campaign(), "q4-webinar");
  EXPECT_EQ(signals.items[0].name(), r.signal().name());
  auto notes = OrFail(store_->notes().ListNotes(AccountName("isartal"), 10, ""),
                      "notes");
  ASSERT_THAT(notes.items, SizeIs(1));
  EXPECT_EQ(notes.items[0].stakeholder(), person.name());
  EXPECT_EQ(notes.items[0].kind(), v1::NOTE_KIND_INTAKE);
  EXPECT_THAT(Queue(), IsEmpty());
  // A retry of the SubmitLead call that queued it now says where it went.
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse retried,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  EXPECT_TRUE(retried.replayed());
  EXPECT_EQ(retried.account(), AccountName("isartal"));
  EXPECT_EQ(retried.unplaced_lead(), "");
  // Placed once: a second placement finds nothing.
  EXPECT_THAT(store_->intake().PlaceLead(
                  Place(queued.unplaced_lead(), AccountName("isartal"))),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(TriageTest, PlaceLeadOntoAnExistingStakeholderMergesIntoThem) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  AddAccount("isartal");
  AddStakeholder("isartal", "anna");  // No e-mail, no title.
  ASSERT_OK_AND_ASSIGN(v1::PlaceLeadResponse placed,
                       store_->intake().PlaceLead(
                           Place(queued.unplaced_lead(), AccountName("isartal"),
                                 StakeholderName("isartal", "anna"))));
  EXPECT_EQ(placed.intake().stakeholder(), StakeholderName("isartal", "anna"));
  EXPECT_EQ(placed.intake().stakeholder_match(), v1::MATCH_KIND_PLACED);
  ASSERT_OK_AND_ASSIGN(
      v1::Stakeholder anna,
      store_->accounts().GetStakeholder(StakeholderName("isartal", "anna")));
  EXPECT_EQ(anna.email(), "anna.mueller@gmail.com");
  EXPECT_EQ(anna.title(), "Laboratory Director");
  EXPECT_EQ(anna.display_name(), "Person anna");  // Kept.
  EXPECT_THAT(OrFail(store_->accounts().ListStakeholders(AccountName("isartal"),
                                                         10, ""),
                     "stakeholders")
                  .items,
              SizeIs(1));
  EXPECT_EQ(placed.intake().signal().stakeholder(), anna.name());
}

TEST_F(TriageTest, PlaceLeadFindsTheStakeholderWithTheLeadsEmailOnThatAccount) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  AddAccount("isartal");
  AddStakeholder("isartal", "am", {}, "Anna.Mueller@gmail.com");
  ASSERT_OK_AND_ASSIGN(v1::PlaceLeadResponse placed,
                       store_->intake().PlaceLead(Place(
                           queued.unplaced_lead(), AccountName("isartal"))));
  EXPECT_EQ(placed.intake().stakeholder(), StakeholderName("isartal", "am"));
  EXPECT_EQ(placed.intake().stakeholder_match(), v1::MATCH_KIND_EMAIL);
}

TEST_F(TriageTest, PlaceLeadWithARequestIdAnswersARetryWithTheFirstAnswer) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  AddAccount("isartal");
  AddAccount("other");
  const v1::PlaceLeadRequest request =
      Place(queued.unplaced_lead(), AccountName("isartal"), "", "place-1");
  ASSERT_OK_AND_ASSIGN(v1::PlaceLeadResponse first,
                       store_->intake().PlaceLead(request));
  ASSERT_OK_AND_ASSIGN(v1::PlaceLeadResponse retry,
                       store_->intake().PlaceLead(request));
  EXPECT_TRUE(retry.intake().replayed());
  EXPECT_EQ(retry.intake().stakeholder(), first.intake().stakeholder());
  EXPECT_EQ(retry.intake().signal().name(), first.intake().signal().name());
  EXPECT_THAT(OrFail(store_->accounts().ListStakeholders(AccountName("isartal"),
                                                         10, ""),
                     "stakeholders")
                  .items,
              SizeIs(1));
  // The same ID for another placement.
  EXPECT_THAT(store_->intake().PlaceLead(Place(
                  queued.unplaced_lead(), AccountName("other"), "", "place-1")),
              HasViolationOn("request_id"));
}

TEST_F(TriageTest, PlaceLeadChecksItsRequestAndChangesNothingOnError) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  AddAccount("isartal");
  AddAccount("other");
  AddStakeholder("other", "bo");
  const std::string name = queued.unplaced_lead();
  EXPECT_THAT(store_->intake().PlaceLead(Place("leads/x", "accounts/isartal")),
              HasViolationOn("name"));
  EXPECT_THAT(store_->intake().PlaceLead(Place(name, "isartal")),
              HasViolationOn("account"));
  EXPECT_THAT(store_->intake().PlaceLead(Place(name, AccountName("isartal"),
                                               StakeholderName("other", "bo"))),
              HasViolationOn("stakeholder"));
  EXPECT_THAT(store_->intake().PlaceLead(Place(name, AccountName("isartal"), "",
                                               std::string(129, 'x'))),
              HasViolationOn("request_id"));
  EXPECT_THAT(store_->intake().PlaceLead(Place(name, AccountName("missing"))),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      store_->intake().PlaceLead(Place(name, AccountName("isartal"),
                                       StakeholderName("isartal", "nobody"))),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->intake().PlaceLead(
                  Place("unplacedLeads/lead-none", AccountName("isartal"))),
              StatusIs(absl::StatusCode::kNotFound));
  // The e-mail belongs to someone on another account: not silently taken.
  AddStakeholder("other", "anna", {}, "anna.mueller@gmail.com");
  EXPECT_THAT(store_->intake().PlaceLead(Place(name, AccountName("isartal"))),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Still queued, and nothing landed.
  EXPECT_THAT(Queue(), SizeIs(1));
  EXPECT_THAT(
      OrFail(store_->signals().ListSignals(AccountName("isartal"), 10, ""),
             "signals")
          .items,
      IsEmpty());
}

TEST_F(TriageTest, QueueListsOldestFirstByReasonAndPages) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(store_->intake().SubmitLead(FreeMailLead(
        absl::StrCat("free-", i), absl::StrCat("lead", i, "@gmail.com"))));
    now_ += absl::Minutes(1);
  }
  v1::SubmitLeadRequest no_country;
  no_country.set_request_id("no-country");
  no_country.mutable_lead()->set_email("pat@acme-labs.com");
  ASSERT_OK(store_->intake().SubmitLead(no_country));

  std::vector<v1::UnplacedLead> all = Queue();
  ASSERT_THAT(all, SizeIs(6));
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_LE(all[i - 1].create_time().seconds(),
              all[i].create_time().seconds());
  }
  EXPECT_EQ(all[0].request_id(), "free-0");
  std::vector<std::string> no_country_ids;
  for (const auto& u : Queue(v1::UNPLACED_REASON_NO_COUNTRY)) {
    no_country_ids.push_back(u.request_id());
  }
  EXPECT_THAT(no_country_ids, ElementsAre("no-country"));
  // Pages of two of the NO_COMPANY leads.
  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    ASSERT_OK_AND_ASSIGN(auto p, store_->intake().ListUnplacedLeads(
                                     v1::UNPLACED_REASON_NO_COMPANY, 2, after));
    for (const auto& u : p.items) paged.push_back(u.request_id());
    if (!p.more) break;
    after = p.last_key;
  }
  EXPECT_THAT(paged,
              ElementsAre("free-0", "free-1", "free-2", "free-3", "free-4"));
  EXPECT_THAT(store_->intake().ListUnplacedLeads(
                  static_cast<v1::UnplacedReason>(42), 10, ""),
              HasViolationOn("reason"));
}

TEST_F(TriageTest, DeleteUnplacedLeadRemovesItOnce) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("spam")));
  EXPECT_THAT(store_->intake().DeleteUnplacedLead("unplaced/x"),
              HasViolationOn("name"));
  ASSERT_OK(store_->intake().DeleteUnplacedLead(queued.unplaced_lead()));
  EXPECT_THAT(Queue(), IsEmpty());
  EXPECT_THAT(store_->intake().DeleteUnplacedLead(queued.unplaced_lead()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(TriageTest, TheQueueSurvivesAReopen) {
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse queued,
                       store_->intake().SubmitLead(FreeMailLead("web-1")));
  Reopen();
  std::vector<v1::UnplacedLead> queue = Queue();
  ASSERT_THAT(queue, SizeIs(1));
  EXPECT_EQ(queue[0].name(), queued.unplaced_lead());
}

// ------------------------------------------------------------ generated IDs

TEST_F(TriageTest, GeneratedStakeholderIdsTransliterateAndDropHonorifics) {
  AddAccount("lab");
  auto create = [&](const std::string& display_name) {
    return OrFail(store_->accounts().CreateStakeholder(
                      AccountName("lab"), NewStakeholder(display_name), ""),
                  display_name)
        .name();
  };
  EXPECT_EQ(create("Dr. Anna Müller"), StakeholderName("lab", "anna-muller"));
  EXPECT_EQ(create("Prof. Dr. med. Jürgen Weiß, PhD"),
            StakeholderName("lab", "jurgen-weiss"));
  EXPECT_EQ(create("Ms. Zoë Ødegaard MD"),
            StakeholderName("lab", "zoe-odegaard"));
  // The same person again gets the next free ID.
  EXPECT_EQ(create("Frau Anna Müller"),
            StakeholderName("lab", "anna-muller-2"));
}

TEST_F(TriageTest, ExistingIdsDoNotChange) {
  AddAccount("lab");
  // An ID generated the old way stays as it is.
  ASSERT_OK(store_->accounts().CreateStakeholder(
      AccountName("lab"), NewStakeholder("Dr. Anna Müller"), "dr-anna-m-ller"));
  Reopen();
  EXPECT_OK(store_->accounts().GetStakeholder(
      StakeholderName("lab", "dr-anna-m-ller")));
  EXPECT_THAT(
      OrFail(store_->accounts().ListStakeholders(AccountName("lab"), 10, ""),
             "stakeholders")
          .items,
      SizeIs(1));
}

TEST_F(TriageTest, IntakeGivesTheSameTransliterationToAccountAndPersonIds) {
  v1::SubmitLeadRequest request;
  request.set_request_id("de-1");
  request.mutable_lead()->set_email("a.mueller@mueller-labor.de");
  request.mutable_lead()->set_first_name("Dr. Anna");
  request.mutable_lead()->set_last_name("Müller");
  request.mutable_lead()->set_company("Müller Labor GmbH");
  ASSERT_OK_AND_ASSIGN(v1::SubmitLeadResponse r,
                       store_->intake().SubmitLead(request));
  EXPECT_EQ(r.account(), AccountName("muller-labor"));
  EXPECT_EQ(r.stakeholder(), StakeholderName("muller-labor", "anna-muller"));
}

TEST_F(TriageTest, GeneratedSiteAndAccountIdsTransliterateToo) {
  ASSERT_OK_AND_ASSIGN(
      v1::Account account,
      store_->accounts().CreateAccount(NewAccount("Zürich Labor", "CH"), ""));
  EXPECT_EQ(account.name(), AccountName("zurich-labor"));
  ASSERT_OK_AND_ASSIGN(v1::Site site,
                       store_->accounts().CreateSite(
                           account.name(), NewSite("Standort Zürich-Süd"), ""));
  EXPECT_EQ(site.name(), SiteName("zurich-labor", "standort-zurich-sud"));
}

}  // namespace
}  // namespace quorum::testing
