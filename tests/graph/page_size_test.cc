// graph/model/page_size.h: the one definition of AIP-158 page sizes.
#include "graph/model/page_size.h"

#include <limits>

#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

TEST(PageSizeTest, TheDefaultIsFiftyAndTheMaximumAThousand) {
  EXPECT_EQ(kDefaultPageSize, 50);
  EXPECT_EQ(kMaxPageSize, 1000);
}

TEST(PageSizeTest, ZeroGivesTheDefault) {
  EXPECT_EQ(EffectivePageSize(0), kDefaultPageSize);
}

TEST(PageSizeTest, SizesUpToTheMaximumAreKept) {
  EXPECT_EQ(EffectivePageSize(1), 1);
  EXPECT_EQ(EffectivePageSize(49), 49);
  EXPECT_EQ(EffectivePageSize(51), 51);
  EXPECT_EQ(EffectivePageSize(kMaxPageSize), kMaxPageSize);
}

TEST(PageSizeTest, SizesAboveTheMaximumAreClamped) {
  EXPECT_EQ(EffectivePageSize(kMaxPageSize + 1), kMaxPageSize);
  EXPECT_EQ(EffectivePageSize(5000), kMaxPageSize);
  EXPECT_EQ(EffectivePageSize(std::numeric_limits<int>::max()), kMaxPageSize);
}

TEST(PageSizeTest, ANegativeSizeThatSlipsThroughGivesTheDefault) {
  // Callers refuse negative sizes first (INVALID_ARGUMENT on page_size);
  // the function itself stays total.
  EXPECT_EQ(EffectivePageSize(-1), kDefaultPageSize);
  EXPECT_EQ(EffectivePageSize(std::numeric_limits<int>::min()),
            kDefaultPageSize);
}

}  // namespace
}  // namespace quorum::graph
