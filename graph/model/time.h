// Conversions between protobuf's Timestamp/Duration and absl's time types,
// used by the model, the rules and the store alike. They saturate: a hostile
// timestamp (seconds near INT64_MAX) becomes an infinite absl::Time instead
// of overflowing int64 nanoseconds. No clock is read here.
#ifndef QUORUM_GRAPH_TIME_H_
#define QUORUM_GRAPH_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace quorum::graph {

absl::Time ToTime(const google::protobuf::Timestamp& t);
// Whether `t` is a timestamp protobuf defines: from year 1 to 9999, with
// nanoseconds in [0, 999999999].
bool IsValidTimestamp(const google::protobuf::Timestamp& t);
google::protobuf::Timestamp ToProto(absl::Time t);
google::protobuf::Duration ToProto(absl::Duration d);

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_TIME_H_
