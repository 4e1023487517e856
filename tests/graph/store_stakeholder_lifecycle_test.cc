// A person's records follow the person, not a reusable name: deleting a
// stakeholder detaches their signals and notes, and MoveStakeholder takes
// them, with the relationships that still hold, to another account or tree.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "graph/model/time.h"
#include "graph/rules/policy.h"
#include "graph/storage/layout.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class StakeholderLifecycleTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_THAT(store_->policies()
                    .PublishPolicy(graph::DefaultPolicy(), "default")
                    .status(),
                IsOk());
  }

  v1::Stakeholder Quality(absl::string_view account, absl::string_view id,
                          std::string email) {
    v1::Stakeholder s = NewStakeholder(absl::StrCat("Person ", id), email);
    auto* role = s.add_roles();
    role->set_role(v1::COMMITTEE_ROLE_QUALITY);
    role->set_source(v1::ROLE_SOURCE_CONFIRMED);
    s.set_engagement(v1::ENGAGEMENT_IDENTIFIED);
    return OrFail(
        store_->accounts().CreateStakeholder(AccountName(account), s, id),
        "CreateStakeholder");
  }

  v1::Signal Signal(absl::string_view account, std::string stakeholder,
                    v1::SignalType type, absl::string_view id) {
    v1::RecordSignalsRequest batch;
    auto* r = batch.add_requests();
    r->set_parent(AccountName(account));
    r->set_signal_id(std::string(id));
    r->mutable_signal()->set_type(type);
    r->mutable_signal()->set_topic(v1::SIGNAL_TOPIC_VALIDATION);
    r->mutable_signal()->set_stakeholder(std::move(stakeholder));
    *r->mutable_signal()->mutable_occur_time() =
        graph::ToProto(now_ - absl::Hours(24));
    auto recorded = OrFail(store_->signals().RecordSignals(batch), "signals");
    return recorded.at(0).signal();
  }

  v1::Note Note(absl::string_view account, std::string stakeholder) {
    v1::Note note;
    note.set_learned("asked for the validation plan");
    note.set_author("rep");
    note.set_stakeholder(std::move(stakeholder));
    return OrFail(store_->notes().CreateNote(AccountName(account), note, ""),
                  "CreateNote");
  }

  std::vector<v1::Signal> Signals(absl::string_view account) {
    return OrFail(store_->signals().ListSignals(AccountName(account), 100, ""),
                  "ListSignals")
        .items;
  }
  std::vector<v1::Note> Notes(absl::string_view account) {
    return OrFail(store_->notes().ListNotes(AccountName(account), 100, ""),
                  "ListNotes")
        .items;
  }

  v1::Verdict Verdict(absl::string_view account) {
    v1::QualifyAccountRequest request;
    request.set_name(AccountName(account));
    *request.mutable_as_of() = graph::ToProto(now_);
    v1::Verdict verdict;
    EXPECT_THAT(store_->qualification().QualifyAccount(request, &verdict),
                IsOk());
    return verdict;
  }

  static const v1::RequirementStatus& Requirement(const v1::Verdict& v,
                                                  absl::string_view id) {
    for (const auto& r : v.committee().requirements()) {
      if (r.requirement_id() == id) return r;
    }
    static const v1::RequirementStatus none;
    ADD_FAILURE() << "no requirement " << id;
    return none;
  }

  static const v1::PersonEngagement* Engagement(const v1::Verdict& v,
                                                absl::string_view who) {
    for (const auto& e : v.committee().engagements()) {
      if (e.stakeholder() == who) return &e;
    }
    return nullptr;
  }

  static std::vector<std::string> IntentStakeholders(const v1::Verdict& v) {
    std::vector<std::string> out;
    for (const auto& s : v.intent().signals()) {
      if (!s.stakeholder().empty()) out.push_back(s.stakeholder());
    }
    return out;
  }

  v1::MoveStakeholderResponse Move(v1::MoveStakeholderRequest request) {
    return OrFail(store_->accounts().MoveStakeholder(request), "Move");
  }

  static v1::MoveStakeholderRequest MoveRequest(std::string name,
                                                absl::string_view to) {
    v1::MoveStakeholderRequest request;
    request.set_name(std::move(name));
    request.set_destination(AccountName(to));
    return request;
  }
};

TEST_F(StakeholderLifecycleTest,
       ANewPersonUnderADeletedPersonsIdInheritsNoneOfTheirSignals) {
  AddAccount("riverbend-lab");
  const std::string quality =
      Quality("riverbend-lab", "quality-lead", "old@riverbend.example").name();
  Signal("riverbend-lab", quality, v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
         "validation-docs");
  Note("riverbend-lab", quality);
  ASSERT_NE(Engagement(Verdict("riverbend-lab"), quality), nullptr);
  ASSERT_EQ(Engagement(Verdict("riverbend-lab"), quality)->raised_by(),
            "accounts/riverbend-lab/signals/validation-docs");

  ASSERT_THAT(store_->accounts().DeleteStakeholder(quality, ""), IsOk());
  // The signal stays the account's, naming nobody; so does the note.
  ASSERT_THAT(Signals("riverbend-lab"), SizeIs(1));
  EXPECT_EQ(Signals("riverbend-lab")[0].stakeholder(), "");
  EXPECT_EQ(Notes("riverbend-lab")[0].stakeholder(), "");
  v1::Verdict after_delete = Verdict("riverbend-lab");
  EXPECT_THAT(IntentStakeholders(after_delete), IsEmpty());
  EXPECT_EQ(after_delete.intent().signals_size(), 1);

  // A different person under the same ID, with no signals of their own.
  Quality("riverbend-lab", "quality-lead", "new@riverbend.example");
  v1::Verdict v = Verdict("riverbend-lab");
  const v1::PersonEngagement* newcomer = Engagement(v, quality);
  ASSERT_NE(newcomer, nullptr);
  EXPECT_EQ(newcomer->effective(), v1::ENGAGEMENT_IDENTIFIED);
  EXPECT_EQ(newcomer->raised_by(), "");
  EXPECT_THAT(Requirement(v, "quality").met_by(), IsEmpty());
  EXPECT_THAT(IntentStakeholders(v), IsEmpty());
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

TEST_F(StakeholderLifecycleTest,
       ForceDeletingAChildAccountDetachesTheSignalsItsPeopleRaisedElsewhere) {
  AddAccount("system");
  AddAccount("hospital", "system");
  const std::string person =
      Quality("hospital", "quality-lead", "q@hospital.example").name();
  Signal("system", person, v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST, "docs");
  ASSERT_THAT(store_->accounts().DeleteAccount(AccountName("hospital"), "",
                                               /*force=*/true),
              IsOk());
  ASSERT_THAT(Signals("system"), SizeIs(1));
  EXPECT_EQ(Signals("system")[0].stakeholder(), "");
  EXPECT_THAT(IntentStakeholders(Verdict("system")), IsEmpty());
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

TEST_F(StakeholderLifecycleTest,
       MovingWithinATreeKeepsRelationshipsAndRenamesTheirReferences) {
  AddAccount("system");
  AddAccount("north", "system");
  AddAccount("south", "system");
  AddSite("south", "main-lab");
  const std::string director =
      Quality("north", "director", "director@system.example").name();
  AddStakeholder("north", "manager");
  AddStakeholder("system", "cmo");
  Relate("north", "director", "system", "cmo", v1::RELATIONSHIP_TYPE_REPORTS_TO,
         "reports");
  Relate("north", "manager", "north", "director",
         v1::RELATIONSHIP_TYPE_REPORTS_TO, "manager-reports");
  Signal("north", director, v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST, "docs");
  Note("north", director);

  v1::MoveStakeholderRequest request = MoveRequest(director, "south");
  request.add_sites(SiteName("south", "main-lab"));
  v1::MoveStakeholderResponse moved = Move(request);

  const std::string now_at = StakeholderName("south", "director");
  EXPECT_EQ(moved.stakeholder().name(), now_at);
  EXPECT_THAT(moved.stakeholder().sites(),
              ElementsAre(SiteName("south", "main-lab")));
  EXPECT_THAT(moved.removed_relationships(), IsEmpty());
  ASSERT_THAT(moved.relationships(), SizeIs(2));
  // Stored under the source's account: the one they are the source of
  // moves with them.
  std::vector<std::string> names;
  for (const auto& r : moved.relationships()) names.push_back(r.name());
  EXPECT_THAT(names, UnorderedElementsAre(
                         RelationshipName("south", "reports"),
                         RelationshipName("north", "manager-reports")));
  // In one tree, the signal and note stay with the account they were for.
  EXPECT_THAT(moved.signals(), ElementsAre("accounts/north/signals/docs"));
  EXPECT_EQ(Signals("north")[0].stakeholder(), now_at);
  EXPECT_THAT(moved.notes(), SizeIs(1));
  EXPECT_THAT(store_->accounts().GetStakeholder(director),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(OrFail(store_->accounts().FindStakeholderByEmail(
                       "director@system.example"),
                   "by e-mail")
                .name(),
            now_at);
  // The root's verdict still counts them, under the new name.
  v1::Verdict v = Verdict("system");
  ASSERT_NE(Engagement(v, now_at), nullptr);
  EXPECT_EQ(Engagement(v, now_at)->raised_by(), "accounts/north/signals/docs");
  EXPECT_THAT(Requirement(v, "quality").met_by(), ElementsAre(now_at));
  // Both accounts' histories record it.
  ASSERT_THAT(moved.history_notes(), SizeIs(2));
  const std::vector<v1::Note> north = Notes("north");
  EXPECT_EQ(std::count_if(north.begin(), north.end(),
                          [](const v1::Note& n) {
                            return n.kind() == v1::NOTE_KIND_STAKEHOLDER_MOVE;
                          }),
            1);
  ASSERT_THAT(Notes("south"), SizeIs(1));
  EXPECT_THAT(Notes("south")[0].learned(), HasSubstr(now_at));
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

TEST_F(StakeholderLifecycleTest,
       MovingToAnotherTreeTakesSignalsAndNotesAndRemovesCrossingRelationships) {
  AddAccount("riverbend-lab");
  AddAccount("lakeside-lab");
  const std::string quality =
      Quality("riverbend-lab", "quality-lead", "q@example.org").name();
  AddStakeholder("riverbend-lab", "director");
  const v1::Relationship crossing =
      Relate("riverbend-lab", "director", "riverbend-lab", "quality-lead",
             v1::RELATIONSHIP_TYPE_WORKS_WITH, "works-with");
  Signal("riverbend-lab", quality, v1::SIGNAL_TYPE_VALIDATION_DOC_REQUEST,
         "docs");
  // An ID the moving signal would take is used at the destination.
  Signal("lakeside-lab", "", v1::SIGNAL_TYPE_PAGE_VIEW, "docs");
  Note("riverbend-lab", quality);
  ASSERT_THAT(Requirement(Verdict("riverbend-lab"), "quality").met_by(),
              ElementsAre(quality));

  v1::MoveStakeholderResponse moved =
      Move(MoveRequest(quality, "lakeside-lab"));
  const std::string now_at = StakeholderName("lakeside-lab", "quality-lead");
  EXPECT_EQ(moved.stakeholder().name(), now_at);
  ASSERT_THAT(moved.removed_relationships(), SizeIs(1));
  EXPECT_EQ(moved.removed_relationships(0).name(), crossing.name());
  EXPECT_THAT(moved.relationships(), IsEmpty());
  EXPECT_THAT(store_->accounts().GetRelationship(crossing.name()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(moved.signals(), SizeIs(1));
  EXPECT_NE(moved.signals(0), "accounts/lakeside-lab/signals/docs");
  EXPECT_THAT(moved.signals(0), HasSubstr("accounts/lakeside-lab/signals/"));
  EXPECT_THAT(Signals("riverbend-lab"), IsEmpty());
  EXPECT_THAT(Signals("lakeside-lab"), SizeIs(2));
  // The old account keeps its own history: only the move note.
  ASSERT_THAT(Notes("riverbend-lab"), SizeIs(1));
  EXPECT_EQ(Notes("riverbend-lab")[0].kind(), v1::NOTE_KIND_STAKEHOLDER_MOVE);
  EXPECT_EQ(Notes("riverbend-lab")[0].stakeholder(), "");
  EXPECT_THAT(Notes("lakeside-lab"), SizeIs(2));
  // Both trees' verdicts follow.
  EXPECT_THAT(Requirement(Verdict("riverbend-lab"), "quality").met_by(),
              IsEmpty());
  v1::Verdict lakeside = Verdict("lakeside-lab");
  EXPECT_THAT(Requirement(lakeside, "quality").met_by(), ElementsAre(now_at));
  EXPECT_EQ(Engagement(lakeside, now_at)->raised_by(), moved.signals(0));
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

TEST_F(StakeholderLifecycleTest, AMoveThatCannotBeDoneChangesNothing) {
  AddAccount("riverbend-lab");
  AddAccount("lakeside-lab");
  AddAccount("elsewhere");
  AddSite("elsewhere", "lab");
  const v1::Stakeholder person =
      Quality("riverbend-lab", "quality-lead", "q@example.org");
  AddStakeholder("lakeside-lab", "taken");
  Signal("riverbend-lab", person.name(), v1::SIGNAL_TYPE_DEMO_REQUEST, "demo");

  v1::MoveStakeholderRequest bad = MoveRequest("people/x", "");
  bad.add_sites("sites/x");
  bad.set_stakeholder_id("Not An ID");
  auto invalid = store_->accounts().MoveStakeholder(bad);
  EXPECT_THAT(invalid, HasViolationOn("name"));
  EXPECT_THAT(invalid, HasViolationOn("destination"));
  EXPECT_THAT(invalid, HasViolationOn("sites[0]"));
  EXPECT_THAT(invalid, HasViolationOn("stakeholder_id"));

  EXPECT_THAT(
      store_->accounts().MoveStakeholder(MoveRequest(person.name(), "nowhere")),
      StatusIs(absl::StatusCode::kNotFound));
  v1::MoveStakeholderRequest outside =
      MoveRequest(person.name(), "lakeside-lab");
  outside.add_sites(SiteName("elsewhere", "lab"));
  EXPECT_THAT(store_->accounts().MoveStakeholder(outside),
              HasPreconditionFailure("SITE_OUTSIDE_ACCOUNT_TREE"));
  v1::MoveStakeholderRequest taken = MoveRequest(person.name(), "lakeside-lab");
  taken.set_stakeholder_id("taken");
  EXPECT_THAT(store_->accounts().MoveStakeholder(taken),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::MoveStakeholderRequest stale = MoveRequest(person.name(), "lakeside-lab");
  stale.set_etag("not-the-etag");
  EXPECT_THAT(store_->accounts().MoveStakeholder(stale),
              StatusIs(absl::StatusCode::kAborted));

  EXPECT_THAT(
      OrFail(store_->accounts().GetStakeholder(person.name()), "still there"),
      EqualsProto(person));
  EXPECT_EQ(Signals("riverbend-lab")[0].stakeholder(), person.name());
  EXPECT_THAT(Notes("riverbend-lab"), IsEmpty());
  EXPECT_THAT(Notes("lakeside-lab"), IsEmpty());
}

TEST_F(StakeholderLifecycleTest, AMoveWithARequestIdIsDoneOnce) {
  AddAccount("riverbend-lab");
  AddAccount("lakeside-lab");
  const std::string person =
      Quality("riverbend-lab", "quality-lead", "q@example.org").name();
  v1::MoveStakeholderRequest request = MoveRequest(person, "lakeside-lab");
  request.set_request_id("move-1");
  v1::MoveStakeholderResponse first = Move(request);
  v1::MoveStakeholderResponse retry = Move(request);
  EXPECT_THAT(retry, EqualsProto(first));
  EXPECT_THAT(Notes("lakeside-lab"), SizeIs(1));
}

TEST_F(StakeholderLifecycleTest, AMoveToTheSameAccountChangesOnlyTheSites) {
  AddAccount("riverbend-lab");
  AddSite("riverbend-lab", "core-lab");
  const std::string person =
      Quality("riverbend-lab", "quality-lead", "q@example.org").name();
  Signal("riverbend-lab", person, v1::SIGNAL_TYPE_DEMO_REQUEST, "demo");
  v1::MoveStakeholderRequest request = MoveRequest(person, "riverbend-lab");
  request.add_sites(SiteName("riverbend-lab", "core-lab"));
  v1::MoveStakeholderResponse moved = Move(request);
  EXPECT_EQ(moved.stakeholder().name(), person);
  EXPECT_THAT(moved.stakeholder().sites(),
              ElementsAre(SiteName("riverbend-lab", "core-lab")));
  EXPECT_THAT(moved.signals(),
              ElementsAre("accounts/riverbend-lab/signals/demo"));
  EXPECT_THAT(moved.history_notes(), SizeIs(1));
  EXPECT_THAT(store_->admin().CheckIndexes(), IsOk());
}

}  // namespace
}  // namespace quorum::testing
