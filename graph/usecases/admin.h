// Admin: consistent backups while writes go on, and the index check. The
// use case of AdminService.
#ifndef QUORUM_GRAPH_USECASES_ADMIN_H_
#define QUORUM_GRAPH_USECASES_ADMIN_H_

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

namespace quorum::graph {

class Admin {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Admin(Store& store) : store_(store) {}

  // Writes a compacted, consistent copy of the store into `dir` (absolute;
  // created when missing, must be empty) while writes go on; opening the
  // copy with Open() restores it. Returns the copy's size in bytes.
  absl::StatusOr<int64_t> Backup(const std::string& dir);

  // Checks that every index entry points at a record (e-mails, domains,
  // company names, hierarchy, edges, signal/note/handoff IDs, readiness).
  // OK, or DATA_LOSS listing the first dangling entries.
  absl::Status CheckIndexes();

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_ADMIN_H_
