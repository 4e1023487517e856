// The notes use case (NoteService).
#include "graph/usecases/notes.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/names.h"
#include "graph/model/validation.h"
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using v1::Note;

absl::StatusOr<Note> Notes::CreateNote(absl::string_view parent, Note note,
                                       absl::string_view note_id) {
  Violations violations;
  violations.AddFrom(names::ParseAccount(parent, "parent").status());
  if (!note_id.empty() && !names::IsValidId(note_id)) {
    violations.Add("note_id",
                   absl::StrCat("\"", note_id, "\" is not a valid ID"));
  }
  CheckNote(&note, "note", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(store_.Now());
  Note created;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(created, CreateNoteIn(txn, parent, note, note_id, now));
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Page<Note>> Notes::ListNotes(absl::string_view parent, int limit,
                                            absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string account_id,
                   names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Note>(store_.engine(), kNotes, TimePrefix(account_id), limit,
                        start_after);
}

}  // namespace quorum::graph
