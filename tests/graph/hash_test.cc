// graph/model/hash.h: the one FNV-1a implementation, and the values stored
// identifiers depend on.
#include "graph/model/hash.h"

#include <string>

#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

TEST(Fnv1a64Test, MatchesThePublishedTestVectors) {
  // From the FNV reference test suite (64-bit FNV-1a).
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("b"), 0xaf63df4c8601f1a5ULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(kFnv1a64OffsetBasis, 0xcbf29ce484222325ULL);
  EXPECT_EQ(kFnv1a64Prime, 0x100000001b3ULL);
}

TEST(Fnv1a64Test, ReadsEveryByteAsUnsigned) {
  // Bytes above 0x7f and NUL count as themselves (no sign extension, no
  // C-string end).
  const std::string bytes("\x00\xff\x80", 3);
  uint64_t want = kFnv1a64OffsetBasis;
  for (uint64_t b : {0x00u, 0xffu, 0x80u}) {
    want ^= b;
    want *= kFnv1a64Prime;
  }
  EXPECT_EQ(Fnv1a64(bytes), want);
  EXPECT_NE(Fnv1a64(bytes), Fnv1a64(std::string("\xff\x80", 2)));
}

TEST(Fnv1a64Test, IsAConstantExpression) {
  static_assert(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  static_assert(StableHash64("") == kStableHashBasis);
}

// Lead IDs, request fingerprints and readiness page tokens hold these
// values: a change here would orphan what is already stored.
TEST(StableHash64Test, KeepsTheValuesStoredIdentifiersWereWrittenWith) {
  EXPECT_EQ(kStableHashBasis, 1469598103934665603ULL);
  EXPECT_EQ(StableHash64(""), 0x14650fb0739d0383ULL);
  EXPECT_EQ(StableHash64("a"), 0x44bd8ad473cd9906ULL);
  EXPECT_EQ(StableHash64("foobar"), 0x88fad7c0a8ff07f2ULL);
  EXPECT_EQ(StableHash64(std::string("\x00\xff\x80", 3)),
            0xa897734f39ffead6ULL);
  // The lead ID of request "webinar-0042" in README.md and docs/cli.md is
  // lead-ce6002660fb22860.
  EXPECT_EQ(StableHash64("webinar-0042"), 0xce6002660fb22860ULL);
}

TEST(StableHash64Test, IsFnv1aFromItsOwnBasis) {
  for (const char* text :
       {"", "a", "lead-request-42", "r\xc3\xa9sum\xc3\xa9"}) {
    EXPECT_EQ(StableHash64(text), Fnv1a64(text, kStableHashBasis)) << text;
    EXPECT_NE(StableHash64(text), Fnv1a64(text)) << text;
  }
}

}  // namespace
}  // namespace quorum::graph
