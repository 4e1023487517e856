// The signals use case: batches, streams and listings of signals
// (SignalService).
#include "graph/usecases/signals.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/names.h"
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using v1::Signal;

absl::StatusOr<std::vector<v1::RecordedSignal>> Signals::RecordSignals(
    const v1::RecordSignalsRequest& request) {
  Violations violations;
  if (request.requests_size() == 0) {
    violations.Add("requests", "needs at least one signal");
  } else if (request.requests_size() > kMaxBatch) {
    violations.Add("requests",
                   absl::StrCat("has ", request.requests_size(),
                                " signals; at most ", kMaxBatch, " per batch"));
  }
  for (int i = 0; i < request.requests_size(); ++i) {
    CheckSignalRequest(request.requests(i), absl::StrCat("requests[", i, "]"),
                       &violations);
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(store_.Now());
  std::vector<v1::RecordedSignal> results;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    results.clear();
    for (int i = 0; i < request.requests_size(); ++i) {
      ASSIGN_OR_RETURN(v1::RecordedSignal result,
                       RecordSignalIn(txn, request.requests(i),
                                      absl::StrCat("requests[", i, "]"), now));
      results.push_back(std::move(result));
    }
    return absl::OkStatus();
  }));
  return results;
}

absl::StatusOr<Page<Signal>> Signals::ListSignals(
    absl::string_view parent, int limit, absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string account_id,
                   names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Signal>(store_.engine(), kSignals, TimePrefix(account_id),
                          limit, start_after);
}

}  // namespace quorum::graph
