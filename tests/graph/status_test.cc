#include "graph/model/status.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace quorum {
namespace {

using ::testing::HasSubstr;

TEST(ViolationsTest, EmptyIsOk) {
  Violations v;
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(v.ToStatus().ok());
}

TEST(ViolationsTest, NamesEveryFieldInPayloadAndMessage) {
  Violations v;
  v.Add("account.country_code", "is required");
  v.Add("account.domains[1]", "is not a domain");
  absl::Status status = v.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("account.country_code: is required"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("account.domains[1]: is not a domain"));
  google::rpc::BadRequest bad = BadRequestOf(status);
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(0).field(), "account.country_code");
  EXPECT_EQ(bad.field_violations(0).description(), "is required");
  EXPECT_EQ(bad.field_violations(1).field(), "account.domains[1]");
}

TEST(ViolationsTest, AddFromCopiesAnotherStatusViolations) {
  Violations v;
  v.AddFrom(InvalidField("parent", "bad"));
  v.AddFrom(absl::OkStatus());
  v.AddFrom(absl::NotFoundError("no payload"));
  ASSERT_EQ(v.list().size(), 1u);
  EXPECT_EQ(v.list()[0].field(), "parent");
}

TEST(StatusTest, PreconditionFailedCarriesTypeSubjectAndDescription) {
  absl::Status status =
      PreconditionFailed("CYCLE", "accounts/a", "would create a cycle");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "would create a cycle");
  google::rpc::PreconditionFailure failure = PreconditionFailureOf(status);
  ASSERT_EQ(failure.violations_size(), 1);
  EXPECT_EQ(failure.violations(0).type(), "CYCLE");
  EXPECT_EQ(failure.violations(0).subject(), "accounts/a");
  EXPECT_EQ(failure.violations(0).description(), "would create a cycle");
  EXPECT_EQ(BadRequestOf(status).field_violations_size(), 0);
}

TEST(StatusTest, AnnotateKeepsCodeAndPayloads) {
  absl::Status status =
      Annotate(InvalidField("account.country_code", "is required"),
               "bundle accounts[3]");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bundle accounts[3]: invalid request"));
  ASSERT_EQ(BadRequestOf(status).field_violations_size(), 1);
  EXPECT_EQ(BadRequestOf(status).field_violations(0).field(),
            "account.country_code");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
}

TEST(StatusTest, DetailsOfAStatusWithoutPayloadAreEmpty) {
  EXPECT_EQ(BadRequestOf(absl::InternalError("x")).field_violations_size(), 0);
  EXPECT_EQ(PreconditionFailureOf(absl::OkStatus()).violations_size(), 0);
}

absl::Status FailsWhen(bool fail) {
  RETURN_IF_ERROR(fail ? absl::NotFoundError("missing") : absl::OkStatus());
  return absl::AbortedError("reached the end");
}

absl::StatusOr<int> Doubled(absl::StatusOr<int> in) {
  ASSIGN_OR_RETURN(int value, std::move(in));
  return value * 2;
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsEarlyOnlyOnError) {
  EXPECT_EQ(FailsWhen(true).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FailsWhen(false).code(), absl::StatusCode::kAborted);
}

TEST(StatusMacrosTest, AssignOrReturnUnwrapsOrPropagates) {
  EXPECT_EQ(*Doubled(21), 42);
  EXPECT_EQ(Doubled(absl::DataLossError("bad")).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace quorum
