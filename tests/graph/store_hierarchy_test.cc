// Store: the account hierarchy. Parent cycles, reparenting that would split
// an account tree, deletion (refused and cascading) and the committee map of
// a health system with its hospitals.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/status.h"
#include "graph/usecases/use_cases.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace quorum::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

template <typename Repeated>
std::vector<std::string> NamesOf(const Repeated& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.name());
  return out;
}

class StoreHierarchyTest : public StoreTest {
 protected:
  absl::StatusOr<v1::Account> SetParent(absl::string_view id,
                                        absl::string_view parent_id) {
    v1::Account patch;
    patch.set_name(AccountName(id));
    if (!parent_id.empty()) patch.set_parent(AccountName(parent_id));
    return store_->accounts().UpdateAccount(patch, Mask({"parent"}));
  }

  std::vector<std::string> DescendantsOf(absl::string_view id) {
    auto map = store_->accounts().GetCommitteeMap(AccountName(id));
    EXPECT_TRUE(map.ok()) << map.status();
    if (!map.ok()) return {};
    return NamesOf(map->descendants());
  }
};

// ---------------------------------------------------------- Parent cycles

TEST_F(StoreHierarchyTest, ParentCycleIsRefusedNamingTheCycle) {
  AddAccount("a");
  AddAccount("b", "a");
  AddAccount("c", "b");
  absl::StatusOr<v1::Account> result = SetParent("a", "c");
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(
      std::string(result.status().message()),
      HasSubstr("accounts/a -> accounts/c -> accounts/b -> accounts/a"));
  google::rpc::PreconditionFailure failure =
      PreconditionFailureOf(result.status());
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).subject(), "accounts/a");
  EXPECT_THAT(failure.violations(0).description(),
              HasSubstr("accounts/a -> accounts/c"));
  // Unchanged: a is still the root of a -> b -> c.
  EXPECT_TRUE(OrFail(store_->accounts().GetAccount("accounts/a"), "get")
                  .parent()
                  .empty());
  EXPECT_THAT(DescendantsOf("a"), ElementsAre("accounts/b", "accounts/c"));
}

TEST_F(StoreHierarchyTest, AccountCannotBeItsOwnParent) {
  v1::Account a = AddAccount("a");
  absl::StatusOr<v1::Account> result = SetParent("a", "a");
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("accounts/a -> accounts/a"));
  EXPECT_THAT(OrFail(store_->accounts().GetAccount("accounts/a"), "get"),
              EqualsProto(a));
}

TEST_F(StoreHierarchyTest, ParentOfADirectChildIsACycle) {
  AddAccount("a");
  AddAccount("b", "a");
  absl::StatusOr<v1::Account> result = SetParent("a", "b");
  EXPECT_THAT(result, HasPreconditionFailure("CYCLE"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("accounts/a -> accounts/b -> accounts/a"));
}

TEST_F(StoreHierarchyTest, ReparentingToAMissingAccountIsRefused) {
  AddAccount("a");
  EXPECT_THAT(SetParent("a", "ghost"),
              HasPreconditionFailure("PARENT_NOT_FOUND"));
}

// ------------------------------------------------------------ Reparenting

TEST_F(StoreHierarchyTest, ReparentingMovesTheWholeSubtree) {
  AddAccount("east");
  AddAccount("west");
  AddAccount("hospital", "east");
  AddAccount("lab", "hospital");
  AddSite("lab", "bench");
  AddStakeholder("hospital", "jo", {SiteName("lab", "bench")});
  AddStakeholder("lab", "tech");
  Relate("lab", "tech", "hospital", "jo", v1::RELATIONSHIP_TYPE_REPORTS_TO);

  ASSERT_OK_AND_ASSIGN(v1::Account moved, SetParent("hospital", "west"));
  EXPECT_EQ(moved.parent(), "accounts/west");
  EXPECT_THAT(DescendantsOf("east"), IsEmpty());
  EXPECT_THAT(DescendantsOf("west"),
              ElementsAre("accounts/hospital", "accounts/lab"));
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap west,
                       store_->accounts().GetCommitteeMap("accounts/west"));
  EXPECT_THAT(west.relationships(), SizeIs(1));
  EXPECT_THAT(west.stakeholders(), SizeIs(2));
}

TEST_F(StoreHierarchyTest, MergingARootIntoAnotherTreeIsAllowed) {
  AddAccount("system");
  AddAccount("acquired");
  AddSite("acquired", "core");
  AddStakeholder("acquired", "jo", {SiteName("acquired", "core")});
  AddStakeholder("acquired", "max");
  Relate("acquired", "jo", "acquired", "max", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  EXPECT_OK(SetParent("acquired", "system"));
  EXPECT_THAT(DescendantsOf("system"), ElementsAre("accounts/acquired"));
  // Being in one tree now, the system's people may relate to them.
  AddStakeholder("system", "ceo");
  Relate("acquired", "max", "system", "ceo", v1::RELATIONSHIP_TYPE_REPORTS_TO);
}

TEST_F(StoreHierarchyTest, MovingWithinOneTreeIsAllowedDespiteLinks) {
  AddAccount("system");
  AddAccount("h1", "system");
  AddAccount("h2", "system");
  AddAccount("lab", "h1");
  AddStakeholder("lab", "tech");
  AddStakeholder("h1", "boss");
  Relate("lab", "tech", "h1", "boss", v1::RELATIONSHIP_TYPE_REPORTS_TO);
  EXPECT_OK(SetParent("lab", "h2"));
  EXPECT_THAT(DescendantsOf("h2"), ElementsAre("accounts/lab"));
  EXPECT_THAT(DescendantsOf("h1"), IsEmpty());
}

TEST_F(StoreHierarchyTest, ReparentingThatSplitsARelationshipIsRefused) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddAccount("other");
  AddStakeholder("hospital", "jo");
  AddStakeholder("system", "ceo");
  v1::Relationship r = Relate("hospital", "jo", "system", "ceo",
                              v1::RELATIONSHIP_TYPE_REPORTS_TO);
  v1::Account before =
      OrFail(store_->accounts().GetAccount("accounts/hospital"), "get");
  for (const char* new_parent : {"other", ""}) {
    SCOPED_TRACE(new_parent);
    absl::StatusOr<v1::Account> result = SetParent("hospital", new_parent);
    EXPECT_THAT(result, HasPreconditionFailure("SPLITS_ACCOUNT_TREE"));
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(r.name()));
  }
  EXPECT_THAT(OrFail(store_->accounts().GetAccount("accounts/hospital"), "get"),
              EqualsProto(before));
  EXPECT_THAT(DescendantsOf("system"), ElementsAre("accounts/hospital"));

  // Once the relationship is gone, the move is allowed.
  ASSERT_OK(store_->accounts().DeleteRelationship(r.name(), r.etag()));
  EXPECT_OK(SetParent("hospital", "other"));
}

TEST_F(StoreHierarchyTest,
       ReparentingThatSplitsAnIncomingRelationshipIsRefused) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddStakeholder("hospital", "jo");
  AddStakeholder("system", "ceo");
  // Stored under the system, pointing into the hospital.
  Relate("system", "ceo", "hospital", "jo", v1::RELATIONSHIP_TYPE_INFLUENCES);
  EXPECT_THAT(SetParent("hospital", ""),
              HasPreconditionFailure("SPLITS_ACCOUNT_TREE"));
}

TEST_F(StoreHierarchyTest, ReparentingThatSeparatesAPersonFromASiteIsRefused) {
  AddAccount("system");
  AddAccount("hospital", "system");
  AddSite("system", "hq");
  AddSite("hospital", "ward");
  // Someone at the hospital working at the system's site.
  v1::Stakeholder jo =
      AddStakeholder("hospital", "jo", {SiteName("system", "hq")});
  absl::StatusOr<v1::Account> result = SetParent("hospital", "");
  EXPECT_THAT(result, HasPreconditionFailure("SPLITS_ACCOUNT_TREE"));
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr(jo.name()), HasSubstr(SiteName("system", "hq"))));

  // Someone at the system working at the hospital's site.
  jo.clear_sites();
  ASSERT_OK(store_->accounts().UpdateStakeholder(jo, Mask({"sites"})).status());
  AddStakeholder("system", "ceo", {SiteName("hospital", "ward")});
  EXPECT_THAT(SetParent("hospital", ""),
              HasPreconditionFailure("SPLITS_ACCOUNT_TREE"));
  EXPECT_THAT(DescendantsOf("system"), ElementsAre("accounts/hospital"));
}

// -------------------------------------------------------------- Deletion

TEST_F(StoreHierarchyTest, DeletingAnAccountWithChildrenNeedsForce) {
  AddAccount("system");
  AddAccount("hospital", "system");
  absl::Status status =
      store_->accounts().DeleteAccount("accounts/system", "", false);
  EXPECT_THAT(status, HasPreconditionFailure("HAS_CHILDREN"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("1 child account"));
  EXPECT_OK(store_->accounts().GetAccount("accounts/system"));
  EXPECT_OK(store_->accounts().GetAccount("accounts/hospital"));
}

TEST_F(StoreHierarchyTest, DeletingAnAccountWithRecordsNeedsForce) {
  AddAccount("acme");
  AddSite("acme", "core");
  AddStakeholder("acme", "jo");
  AddStakeholder("acme", "max");
  Relate("acme", "jo", "acme", "max", v1::RELATIONSHIP_TYPE_WORKS_WITH);
  absl::Status status =
      store_->accounts().DeleteAccount("accounts/acme", "", false);
  EXPECT_THAT(status, HasPreconditionFailure("HAS_CHILDREN"));
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("1 sites"), HasSubstr("2 stakeholders"),
                    HasSubstr("1 relationships")));
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/acme"));
  EXPECT_THAT(map.sites(), SizeIs(1));
  EXPECT_THAT(map.stakeholders(), SizeIs(2));
  EXPECT_THAT(map.relationships(), SizeIs(1));
}

TEST_F(StoreHierarchyTest, DeletingTheLastChildLetsTheParentGoWithoutForce) {
  AddAccount("system");
  v1::Account hospital = AddAccount("hospital", "system");
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/hospital",
                                             hospital.etag(), false));
  EXPECT_THAT(DescendantsOf("system"), IsEmpty());
  EXPECT_THAT(RawKeys("children"), IsEmpty());
  EXPECT_OK(store_->accounts().DeleteAccount("accounts/system", "", false));
}

TEST_F(StoreHierarchyTest, ForcedDeleteWithAStaleEtagChangesNothing) {
  v1::Account stale = AddAccount("system");
  AddAccount("hospital", "system");
  v1::Account patch = stale;
  patch.set_owner("new owner");
  ASSERT_OK(store_->accounts().UpdateAccount(patch, Mask({"owner"})).status());
  EXPECT_THAT(
      store_->accounts().DeleteAccount("accounts/system", stale.etag(), true),
      StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(DescendantsOf("system"), ElementsAre("accounts/hospital"));
}

// A health system with two hospitals, a lab under the first hospital, and
// people, sites and relationships spread across them.
class CascadeTest : public StoreHierarchyTest {
 protected:
  void SetUp() override {
    StoreHierarchyTest::SetUp();
    AddAccount("system", "", {"system.org"});
    AddAccount("h1", "system", {"h1.org"});
    AddAccount("h2", "system", {"h2.org"});
    AddAccount("lab", "h1", {"lab.org"});
    AddSite("system", "hq");
    AddSite("h1", "ward");
    AddSite("lab", "bench");
    AddSite("h2", "clinic");
    AddStakeholder("system", "ceo",
                   {SiteName("system", "hq"), SiteName("h1", "ward")},
                   "ceo@system.org");
    AddStakeholder("h1", "director", {SiteName("h1", "ward")},
                   "director@h1.org");
    AddStakeholder("lab", "tech", {SiteName("lab", "bench")}, "tech@lab.org");
    AddStakeholder("h2", "nurse", {SiteName("lab", "bench")}, "nurse@h2.org");
    Relate("lab", "tech", "h1", "director", v1::RELATIONSHIP_TYPE_REPORTS_TO,
           "tech-up");
    Relate("h1", "director", "system", "ceo", v1::RELATIONSHIP_TYPE_REPORTS_TO,
           "director-up");
    Relate("system", "ceo", "h1", "director", v1::RELATIONSHIP_TYPE_INFLUENCES,
           "ceo-influences");
    Relate("h2", "nurse", "lab", "tech", v1::RELATIONSHIP_TYPE_WORKS_WITH,
           "nurse-tech");
    Relate("h2", "nurse", "system", "ceo", v1::RELATIONSHIP_TYPE_REPORTS_TO,
           "nurse-up");
  }
};

TEST_F(CascadeTest, ForcedDeleteRemovesTheSubtreeAndEverythingInIt) {
  now_ += absl::Hours(1);
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/h1", "", true));

  for (const char* gone : {"accounts/h1", "accounts/lab"}) {
    EXPECT_THAT(store_->accounts().GetAccount(gone),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_THAT(store_->accounts().GetSite(SiteName("h1", "ward")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().GetSite(SiteName("lab", "bench")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(
      store_->accounts().GetStakeholder(StakeholderName("h1", "director")),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().GetStakeholder(StakeholderName("lab", "tech")),
              StatusIs(absl::StatusCode::kNotFound));
  for (const std::string& rel : {RelationshipName("lab", "tech-up"),
                                 RelationshipName("h1", "director-up"),
                                 RelationshipName("system", "ceo-influences"),
                                 RelationshipName("h2", "nurse-tech")}) {
    EXPECT_THAT(store_->accounts().GetRelationship(rel),
                StatusIs(absl::StatusCode::kNotFound))
        << rel;
  }
  // The rest of the tree is intact.
  EXPECT_OK(
      store_->accounts().GetRelationship(RelationshipName("h2", "nurse-up")));
  EXPECT_THAT(DescendantsOf("system"), ElementsAre("accounts/h2"));
  ASSERT_OK_AND_ASSIGN(auto accounts, store_->accounts().ListAccounts(10, ""));
  EXPECT_THAT(NamesOf(accounts.items),
              ElementsAre("accounts/h2", "accounts/system"));
}

TEST_F(CascadeTest, ForcedDeleteReleasesDomainsAndEmails) {
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/h1", "", true));
  for (const char* domain : {"h1.org", "lab.org"}) {
    EXPECT_THAT(store_->accounts().FindAccountByDomain(domain),
                StatusIs(absl::StatusCode::kNotFound))
        << domain;
  }
  for (const char* email : {"director@h1.org", "tech@lab.org"}) {
    EXPECT_THAT(store_->accounts().FindStakeholderByEmail(email),
                StatusIs(absl::StatusCode::kNotFound))
        << email;
  }
  EXPECT_OK(store_->accounts().FindAccountByDomain("system.org"));
  EXPECT_OK(store_->accounts().FindStakeholderByEmail("nurse@h2.org"));
  // Both can be reused.
  AddAccount("reborn", "", {"h1.org"});
  AddStakeholder("reborn", "director", {}, "director@h1.org");
}

TEST_F(CascadeTest, ForcedDeleteLeavesNoIndexEntriesBehind) {
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/h1", "", true));
  EXPECT_THAT(RawKeys("domains"), UnorderedElementsAre("system.org", "h2.org"));
  EXPECT_THAT(RawKeys("emails"),
              UnorderedElementsAre("ceo@system.org", "nurse@h2.org"));
  EXPECT_THAT(RawKeys("children"), ElementsAre("system/h2"));
  EXPECT_THAT(
      RawKeys("edges"),
      UnorderedElementsAre(absl::StrCat(StakeholderName("h2", "nurse"), "|",
                                        RelationshipName("h2", "nurse-up")),
                           absl::StrCat(StakeholderName("system", "ceo"), "|",
                                        RelationshipName("h2", "nurse-up"))));
  EXPECT_THAT(RawKeys("sites"), UnorderedElementsAre(SiteName("system", "hq"),
                                                     SiteName("h2", "clinic")));
}

TEST_F(CascadeTest, OthersInTheTreeLoseReferencesToDeletedSites) {
  v1::Stakeholder ceo_before = OrFail(
      store_->accounts().GetStakeholder(StakeholderName("system", "ceo")),
      "get");
  now_ += absl::Hours(1);
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/h1", "", true));

  ASSERT_OK_AND_ASSIGN(
      v1::Stakeholder ceo,
      store_->accounts().GetStakeholder(StakeholderName("system", "ceo")));
  EXPECT_THAT(ceo.sites(), ElementsAre(SiteName("system", "hq")));
  EXPECT_NE(ceo.etag(), ceo_before.etag());
  EXPECT_EQ(
      google::protobuf::util::TimeUtil::TimestampToSeconds(ceo.update_time()),
      absl::ToUnixSeconds(now_));
  ASSERT_OK_AND_ASSIGN(
      v1::Stakeholder nurse,
      store_->accounts().GetStakeholder(StakeholderName("h2", "nurse")));
  EXPECT_THAT(nurse.sites(), IsEmpty());
  // With the dangling references gone, the remaining sites can be deleted
  // and the tree can be split.
  EXPECT_OK(store_->accounts().DeleteSite(SiteName("h2", "clinic"), ""));
}

TEST_F(CascadeTest, ForcedDeleteOfTheRootRemovesTheWholeTree) {
  AddAccount("unrelated", "", {"unrelated.org"});
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/system", "", true));
  ASSERT_OK_AND_ASSIGN(auto accounts, store_->accounts().ListAccounts(10, ""));
  EXPECT_THAT(NamesOf(accounts.items), ElementsAre("accounts/unrelated"));
  EXPECT_THAT(RawKeys("sites"), IsEmpty());
  EXPECT_THAT(RawKeys("stakeholders"), IsEmpty());
  EXPECT_THAT(RawKeys("relationships"), IsEmpty());
  EXPECT_THAT(RawKeys("edges"), IsEmpty());
  EXPECT_THAT(RawKeys("emails"), IsEmpty());
  EXPECT_THAT(RawKeys("children"), IsEmpty());
  EXPECT_THAT(RawKeys("domains"), ElementsAre("unrelated.org"));
}

TEST_F(CascadeTest, DeletingASiteInUseIsRefused) {
  // Used by a stakeholder of another account of the tree.
  absl::Status status =
      store_->accounts().DeleteSite(SiteName("lab", "bench"), "");
  EXPECT_THAT(status, HasPreconditionFailure("SITE_IN_USE"));
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr(StakeholderName("lab", "tech")),
                    HasSubstr(StakeholderName("h2", "nurse"))));
  EXPECT_OK(store_->accounts().GetSite(SiteName("lab", "bench")));
  // An unused site can go.
  EXPECT_OK(store_->accounts().DeleteSite(SiteName("h2", "clinic"), ""));
}

TEST_F(CascadeTest, DeletingAStakeholderDeletesItsRelationships) {
  ASSERT_OK_AND_ASSIGN(
      v1::Stakeholder director,
      store_->accounts().GetStakeholder(StakeholderName("h1", "director")));
  ASSERT_OK(
      store_->accounts().DeleteStakeholder(director.name(), director.etag()));
  // Outgoing (stored under h1) and incoming (stored under lab and system).
  for (const std::string& rel :
       {RelationshipName("h1", "director-up"),
        RelationshipName("lab", "tech-up"),
        RelationshipName("system", "ceo-influences")}) {
    EXPECT_THAT(store_->accounts().GetRelationship(rel),
                StatusIs(absl::StatusCode::kNotFound))
        << rel;
  }
  EXPECT_OK(
      store_->accounts().GetRelationship(RelationshipName("h2", "nurse-tech")));
  EXPECT_OK(
      store_->accounts().GetRelationship(RelationshipName("h2", "nurse-up")));
  EXPECT_THAT(RawKeys("edges"),
              Not(Contains(HasSubstr(StakeholderName("h1", "director")))));
  // The deleted person's REPORTS_TO no longer blocks a reversed edge.
  AddStakeholder("h1", "director");
  Relate("system", "ceo", "h1", "director", v1::RELATIONSHIP_TYPE_REPORTS_TO);
}

TEST_F(CascadeTest, ForcedDeleteOfALeafWithRecordsKeepsItsParent) {
  ASSERT_OK(store_->accounts().DeleteAccount("accounts/lab", "", true));
  EXPECT_THAT(DescendantsOf("system"),
              ElementsAre("accounts/h1", "accounts/h2"));
  EXPECT_THAT(DescendantsOf("h1"), IsEmpty());
  // The nurse's relationship to the deleted tech went with the tech.
  EXPECT_THAT(
      store_->accounts().GetRelationship(RelationshipName("h2", "nurse-tech")),
      StatusIs(absl::StatusCode::kNotFound));
}

// --------------------------------------------------------- Committee map

TEST_F(CascadeTest, CommitteeMapOfTheSystemCoversTheWholeTree) {
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  EXPECT_EQ(map.account().name(), "accounts/system");
  // Breadth first.
  EXPECT_THAT(NamesOf(map.descendants()),
              ElementsAre("accounts/h1", "accounts/h2", "accounts/lab"));
  EXPECT_THAT(
      NamesOf(map.sites()),
      UnorderedElementsAre(SiteName("system", "hq"), SiteName("h1", "ward"),
                           SiteName("lab", "bench"), SiteName("h2", "clinic")));
  EXPECT_THAT(NamesOf(map.stakeholders()),
              UnorderedElementsAre(StakeholderName("system", "ceo"),
                                   StakeholderName("h1", "director"),
                                   StakeholderName("lab", "tech"),
                                   StakeholderName("h2", "nurse")));
  EXPECT_THAT(map.relationships(), SizeIs(5));
}

TEST_F(CascadeTest, CommitteeMapOfAHospitalKeepsOnlyItsSubtree) {
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/h1"));
  EXPECT_EQ(map.account().name(), "accounts/h1");
  EXPECT_THAT(NamesOf(map.descendants()), ElementsAre("accounts/lab"));
  EXPECT_THAT(
      NamesOf(map.sites()),
      UnorderedElementsAre(SiteName("h1", "ward"), SiteName("lab", "bench")));
  EXPECT_THAT(NamesOf(map.stakeholders()),
              UnorderedElementsAre(StakeholderName("h1", "director"),
                                   StakeholderName("lab", "tech")));
  // Only relationships with both ends in h1's subtree: not director -> ceo,
  // not ceo -> director, not nurse -> tech.
  EXPECT_THAT(NamesOf(map.relationships()),
              ElementsAre(RelationshipName("lab", "tech-up")));
}

TEST_F(CascadeTest, CommitteeMapOfALeafHasNoDescendants) {
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/h2"));
  EXPECT_THAT(map.descendants(), IsEmpty());
  EXPECT_THAT(NamesOf(map.sites()), ElementsAre(SiteName("h2", "clinic")));
  EXPECT_THAT(NamesOf(map.stakeholders()),
              ElementsAre(StakeholderName("h2", "nurse")));
  EXPECT_THAT(map.relationships(), IsEmpty());
}

TEST_F(StoreHierarchyTest, CommitteeMapListsRoleHoldersConfirmedFirst) {
  AddAccount("system");
  AddAccount("hospital", "system");
  auto person =
      [&](absl::string_view account, absl::string_view id,
          std::vector<std::pair<v1::CommitteeRole, v1::RoleSource>> roles) {
        v1::Stakeholder s = NewStakeholder(absl::StrCat("Person ", id));
        for (auto [role, source] : roles) {
          auto* r = s.add_roles();
          r->set_role(role);
          r->set_source(source);
        }
        return OrFail(
            store_->accounts().CreateStakeholder(AccountName(account), s, id),
            "create");
      };
  // "aaron" sorts first but only has an inferred role.
  person("hospital", "aaron",
         {{v1::COMMITTEE_ROLE_LAB_DIRECTOR, v1::ROLE_SOURCE_INFERRED}});
  person("system", "zelda",
         {{v1::COMMITTEE_ROLE_LAB_DIRECTOR, v1::ROLE_SOURCE_CONFIRMED},
          {v1::COMMITTEE_ROLE_EXECUTIVE, v1::ROLE_SOURCE_INFERRED}});
  person("hospital", "mia",
         {{v1::COMMITTEE_ROLE_INFORMATICS, v1::ROLE_SOURCE_CONFIRMED},
          {v1::COMMITTEE_ROLE_LAB_DIRECTOR, v1::ROLE_SOURCE_CONFIRMED}});
  person("hospital", "nobody", {});

  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap map,
                       store_->accounts().GetCommitteeMap("accounts/system"));
  ASSERT_THAT(map.roles(), SizeIs(3));
  // Roles in enum order: LAB_DIRECTOR (1), INFORMATICS (4), EXECUTIVE (8).
  const v1::RoleHolders& director = map.roles(0);
  EXPECT_EQ(director.role(), v1::COMMITTEE_ROLE_LAB_DIRECTOR);
  ASSERT_THAT(director.stakeholders(), SizeIs(3));
  EXPECT_EQ(director.stakeholders(2), StakeholderName("hospital", "aaron"));
  EXPECT_THAT(director.confirmed_stakeholders(),
              UnorderedElementsAre(StakeholderName("system", "zelda"),
                                   StakeholderName("hospital", "mia")));
  EXPECT_THAT(std::vector<std::string>(director.stakeholders().begin(),
                                       director.stakeholders().begin() + 2),
              UnorderedElementsAre(StakeholderName("system", "zelda"),
                                   StakeholderName("hospital", "mia")));

  EXPECT_EQ(map.roles(1).role(), v1::COMMITTEE_ROLE_INFORMATICS);
  EXPECT_THAT(map.roles(1).stakeholders(),
              ElementsAre(StakeholderName("hospital", "mia")));
  EXPECT_THAT(map.roles(1).confirmed_stakeholders(),
              ElementsAre(StakeholderName("hospital", "mia")));

  EXPECT_EQ(map.roles(2).role(), v1::COMMITTEE_ROLE_EXECUTIVE);
  EXPECT_THAT(map.roles(2).stakeholders(),
              ElementsAre(StakeholderName("system", "zelda")));
  EXPECT_THAT(map.roles(2).confirmed_stakeholders(), IsEmpty());

  // The hospital's map only counts the hospital's people.
  ASSERT_OK_AND_ASSIGN(v1::CommitteeMap hospital,
                       store_->accounts().GetCommitteeMap("accounts/hospital"));
  ASSERT_THAT(hospital.roles(), SizeIs(2));
  EXPECT_THAT(hospital.roles(0).stakeholders(),
              ElementsAre(StakeholderName("hospital", "mia"),
                          StakeholderName("hospital", "aaron")));
}

TEST_F(StoreHierarchyTest, CommitteeMapOfAMissingAccountIsNotFound) {
  EXPECT_THAT(store_->accounts().GetCommitteeMap("accounts/ghost"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->accounts().GetCommitteeMap("ghost"),
              HasViolationOn("name"));
}

}  // namespace
}  // namespace quorum::testing
