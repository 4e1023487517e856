// graph/model/time.h: the one place protobuf and absl times are converted.
#include "graph/model/time.h"

#include <limits>

#include "gtest/gtest.h"

namespace quorum::graph {
namespace {

TEST(TimeTest, TimestampsRoundTripToTheNanosecond) {
  google::protobuf::Timestamp t;
  t.set_seconds(1793491200);
  t.set_nanos(123456789);
  const absl::Time time = ToTime(t);
  EXPECT_EQ(absl::ToUnixNanos(time), 1793491200123456789LL);
  EXPECT_EQ(ToProto(time).SerializeAsString(), t.SerializeAsString());
}

TEST(TimeTest, AHostileTimestampConvertsWithoutOverflow) {
  google::protobuf::Timestamp t;
  t.set_seconds(std::numeric_limits<int64_t>::max());
  t.set_nanos(999999999);
  // absl::Time holds it; int64 nanoseconds could not.
  EXPECT_GT(ToTime(t), absl::FromUnixSeconds(int64_t{1} << 40));
  // Back to a Timestamp it saturates at the largest int64 nanosecond time.
  EXPECT_EQ(ToProto(ToTime(t)).seconds(), 9223372036);
  t.set_seconds(std::numeric_limits<int64_t>::min());
  t.set_nanos(0);
  EXPECT_LT(ToTime(t), absl::FromUnixSeconds(-(int64_t{1} << 40)));
  EXPECT_EQ(ToProto(ToTime(t)).seconds(), -9223372037);
}

TEST(TimeTest, DurationsConvertToNanoseconds) {
  const google::protobuf::Duration d = ToProto(absl::Milliseconds(1500));
  EXPECT_EQ(d.seconds(), 1);
  EXPECT_EQ(d.nanos(), 500000000);
}

}  // namespace
}  // namespace quorum::graph
