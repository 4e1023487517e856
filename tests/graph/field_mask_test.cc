#include "graph/model/field_mask.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "quorum/v1/resources.pb.h"
#include "test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::HasViolationOn;
using ::quorum::testing::IsOk;
using ::quorum::testing::Mask;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using v1::Account;

const std::set<std::string, std::less<>> kOutputOnly = {"name", "etag"};

Account Target() {
  Account a;
  a.set_name("accounts/acme");
  a.set_etag("\"1\"");
  a.set_display_name("Acme");
  a.set_country_code("US");
  a.set_owner("team-east");
  a.add_domains("acme.org");
  a.set_annual_test_volume(1000);
  (*a.mutable_labels())["tier"] = "1";
  return a;
}

TEST(ApplyFieldMaskTest, CopiesOnlyTheNamedFields) {
  Account patch;
  patch.set_display_name("Acme Labs");
  patch.set_owner("team-west");
  Account target = Target();
  EXPECT_THAT(
      ApplyFieldMask(patch, Mask({"display_name"}), kOutputOnly, &target),
      IsOk());
  EXPECT_EQ(target.display_name(), "Acme Labs");
  EXPECT_EQ(target.owner(), "team-east");
  EXPECT_EQ(target.country_code(), "US");
}

TEST(ApplyFieldMaskTest, NamedFieldAbsentFromPatchIsCleared) {
  Account patch;
  Account target = Target();
  EXPECT_THAT(
      ApplyFieldMask(patch, Mask({"owner", "annual_test_volume", "labels"}),
                     kOutputOnly, &target),
      IsOk());
  EXPECT_TRUE(target.owner().empty());
  EXPECT_FALSE(target.has_annual_test_volume());
  EXPECT_THAT(target.labels(), IsEmpty());
}

TEST(ApplyFieldMaskTest, ReplacesRepeatedAndMapFieldsWhole) {
  Account patch;
  patch.add_domains("new.org");
  (*patch.mutable_labels())["region"] = "east";
  Account target = Target();
  EXPECT_THAT(
      ApplyFieldMask(patch, Mask({"domains", "labels"}), kOutputOnly, &target),
      IsOk());
  EXPECT_THAT(target.domains(), ElementsAre("new.org"));
  ASSERT_EQ(target.labels_size(), 1);
  EXPECT_EQ(target.labels().at("region"), "east");
}

TEST(ApplyFieldMaskTest, EmptyMaskCopiesPopulatedFieldsAndSkipsOutputOnly) {
  Account patch;
  patch.set_name("accounts/other");
  patch.set_etag("\"99\"");
  patch.set_owner("team-west");
  patch.set_annual_test_volume(0);  // Explicitly present, so copied.
  Account target = Target();
  EXPECT_THAT(ApplyFieldMask(patch, Mask({}), kOutputOnly, &target), IsOk());
  EXPECT_EQ(target.owner(), "team-west");
  ASSERT_TRUE(target.has_annual_test_volume());
  EXPECT_EQ(target.annual_test_volume(), 0);
  EXPECT_EQ(target.display_name(), "Acme");  // Not populated in the patch.
  EXPECT_EQ(target.name(), "accounts/acme");
  EXPECT_EQ(target.etag(), "\"1\"");
}

TEST(ApplyFieldMaskTest, StarReplacesEveryFieldButOutputOnly) {
  Account patch;
  patch.set_name("accounts/other");
  patch.set_display_name("Replaced");
  Account target = Target();
  EXPECT_THAT(ApplyFieldMask(patch, Mask({"*"}), kOutputOnly, &target), IsOk());
  EXPECT_EQ(target.display_name(), "Replaced");
  EXPECT_TRUE(target.country_code().empty());
  EXPECT_THAT(target.domains(), IsEmpty());
  EXPECT_EQ(target.name(), "accounts/acme");
  EXPECT_EQ(target.etag(), "\"1\"");
}

TEST(ApplyFieldMaskTest, UnknownPathIsInvalidAndChangesNothing) {
  Account patch;
  patch.set_owner("team-west");
  Account target = Target();
  absl::Status status = ApplyFieldMask(patch, Mask({"owner", "no_such_field"}),
                                       kOutputOnly, &target);
  EXPECT_THAT(status, HasViolationOn("update_mask.paths[1]"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("no_such_field"));
  EXPECT_EQ(target.owner(), "team-east");
}

TEST(ApplyFieldMaskTest, NestedPathIsInvalid) {
  Account patch;
  Account target = Target();
  EXPECT_THAT(ApplyFieldMask(patch, Mask({"decision_time.seconds"}),
                             kOutputOnly, &target),
              HasViolationOn("update_mask.paths[0]"));
}

TEST(ApplyFieldMaskTest, NamingAnOutputOnlyFieldIsInvalid) {
  Account patch;
  patch.set_etag("\"5\"");
  Account target = Target();
  absl::Status status =
      ApplyFieldMask(patch, Mask({"etag"}), kOutputOnly, &target);
  EXPECT_THAT(status, HasViolationOn("update_mask.paths[0]"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("output only"));
  EXPECT_EQ(target.etag(), "\"1\"");
}

TEST(ApplyFieldMaskTest, ReportsEveryBadPath) {
  Account patch;
  Account target = Target();
  absl::Status status = ApplyFieldMask(
      patch, Mask({"bogus", "display_name", "name"}), kOutputOnly, &target);
  EXPECT_THAT(status, HasViolationOn("update_mask.paths[0]"));
  EXPECT_THAT(status, HasViolationOn("update_mask.paths[2]"));
  EXPECT_EQ(BadRequestOf(status).field_violations_size(), 2);
}

}  // namespace
}  // namespace quorum::graph
