// Notes: what was learned about an account, newest first. The use case of
// NoteService.
#ifndef QUORUM_GRAPH_USECASES_NOTES_H_
#define QUORUM_GRAPH_USECASES_NOTES_H_

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
#include "quorum/v1/note_service.pb.h"

namespace quorum::graph {

class Notes {
 public:
  // Runs on `store`, which must outlive it. Thread-safe.
  explicit Notes(Store& store) : store_(store) {}

  // Notes, newest first. A client-chosen `note_id` that exists already
  // returns the stored note and writes nothing.
  absl::StatusOr<v1::Note> CreateNote(absl::string_view parent, v1::Note note,
                                      absl::string_view note_id);
  absl::StatusOr<Page<v1::Note>> ListNotes(absl::string_view parent, int limit,
                                           absl::string_view start_after);

 private:
  Store& store_;
};

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_USECASES_NOTES_H_
