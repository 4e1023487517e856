// graph/model/page_token.h: the request checks of page_size and page_token,
// and tokens that carry a message of tokens.proto.
#include "graph/model/page_token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "graph/model/tokens.pb.h"
#include "gtest/gtest.h"
#include "tests/graph/test_util.h"

namespace quorum::graph {
namespace {

using ::quorum::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PageTokenTest, ATokenContinuesTheListingItWasIssuedFor) {
  const std::string token = NextPageToken("accounts/a", "accounts/a/sites/x");
  absl::StatusOr<PageRequest> page = ParsePage(10, token, "accounts/a");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size, 10);
  EXPECT_EQ(page->start_after, "accounts/a/sites/x");
}

TEST(PageTokenTest, ATokenOfAnotherListingNamesBothListings) {
  const std::string token = NextPageToken("accounts/a", "accounts/a/sites/x");
  absl::StatusOr<PageRequest> page = ParsePage(10, token, "accounts/b");
  EXPECT_THAT(page, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("page_token"));
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("accounts/a"));
}

TEST(PageTokenTest, BytesThatAreNoTokenAreInvalid) {
  for (const std::string& token :
       {std::string("not-a-token!"), absl::WebSafeBase64Escape("\xff\xff\xff"),
        // The text form of earlier servers is not a token any more.
        absl::WebSafeBase64Escape("v1\naccounts\naccounts/x")}) {
    EXPECT_THAT(ParsePage(10, token, "accounts"),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << token;
  }
}

TEST(PageTokenTest, AForgedPositionLongerThanAnyKeyOrEmptyIsInvalid) {
  for (const std::string& position : {std::string(512, 'x'), std::string()}) {
    tokens::PageToken forged;
    forged.set_scope("accounts");
    forged.set_start_after(position);
    EXPECT_THAT(ParsePage(10, EncodeToken(forged), "accounts"),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(PageTokenTest, DecodeTokenGivesBackTheMessage) {
  tokens::ReadinessCursor cursor;
  cursor.set_fingerprint("f");
  cursor.add_pending("accounts/a");
  tokens::ReadinessCursor back;
  ASSERT_TRUE(DecodeToken(EncodeToken(cursor), &back));
  EXPECT_EQ(back.fingerprint(), "f");
  EXPECT_THAT(back.pending(), ::testing::ElementsAre("accounts/a"));
  EXPECT_FALSE(DecodeToken("%%%", &back));
}

}  // namespace
}  // namespace quorum::graph
