// Signals: buying signals recorded in batches or streams and listed per
// account. The use case of SignalService.
#ifndef QUORUM_GRAPH_USECASES_SIGNALS_H_
#define QUORUM_GRAPH_USECASES_SIGNALS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "graph/store/store.h"
#include "quorum/v1/signal_service.pb.h"

namespace quorum::graph {

class Signals {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Signals(Store& store) : store_(store) {}

  // Signals, stored by account and time (newest first). Records the batch
  // in one transaction, all or nothing; a request whose signal ID exists
  // already is a duplicate: nothing is written for it and the stored signal
  // is returned. Errors name "requests[i]...".
  absl::StatusOr<std::vector<v1::RecordedSignal>> RecordSignals(
      const v1::RecordSignalsRequest& request);
  // An account's signals, newest first, after storage key `start_after`.
  absl::StatusOr<Page<v1::Signal>> ListSignals(absl::string_view parent,
                                               int limit,
                                               absl::string_view start_after);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_SIGNALS_H_
