// graph::Store: notes (logged interactions).
#include <cstdint>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/names.h"
#include "graph/store/store.h"
#include "graph/store/store_internal.h"
#include "graph/model/validation.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: this file implements the store.
using google::protobuf::util::TimeUtil;
using v1::Note;

namespace {

constexpr size_t kMaxNoteText = 4000;


}  // namespace

namespace internal {

void CheckNote(Note* note, const std::string& at, Violations* v) {
  absl::StripAsciiWhitespace(note->mutable_learned());
  absl::StripAsciiWhitespace(note->mutable_next_step());
  absl::StripAsciiWhitespace(note->mutable_author());
  if (note->learned().empty()) {
    v->Add(at + ".learned", "is required: what was learned");
  } else if (note->learned().size() > kMaxNoteText) {
    v->Add(at + ".learned", "is too long");
  }
  if (note->next_step().size() > kMaxNoteText) {
    v->Add(at + ".next_step", "is too long");
  }
  if (note->author().empty()) v->Add(at + ".author", "is required");
  CheckLength(note->author(), kMaxTextLength, at + ".author", v);
  if (!v1::NoteKind_IsValid(note->kind())) {
    v->Add(at + ".kind", absl::StrCat("unknown enum value ", note->kind()));
  }
  if (!note->stakeholder().empty()) {
    v->AddFrom(names::ParseChild(note->stakeholder(), names::kStakeholders,
                                 at + ".stakeholder")
                   .status());
  }
  if (note->has_occur_time() && !IsStorableTime(note->occur_time())) {
    v->Add(at + ".occur_time", "must be a valid time between 1970 and 2262");
  }
}

absl::StatusOr<Note> CreateNoteIn(Txn& txn, absl::string_view parent, Note note,
                                  absl::string_view note_id,
                                  const google::protobuf::Timestamp& now) {
  const std::string account_id = AccountIdOf(parent);
  if (!note_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> key,
                     txn.Get(kNoteIds, names::Child(account_id, "notes", note_id)));
    if (key) return LoadExisting<Note>(txn, kNotes, *key);
  }
  RETURN_IF_ERROR(RequireAccount(txn, std::string(parent)));
  if (!note.stakeholder().empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> person,
                     txn.Get(kStakeholdersDb, note.stakeholder()));
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
    std::string person_root;
    if (person) {
      ASSIGN_OR_RETURN(person_root,
                       RootOf(txn, AccountIdOf(note.stakeholder())));
    }
    if (!person || person_root != root) {
      return PreconditionFailed(
          "STAKEHOLDER_NOT_IN_ACCOUNT_TREE", note.stakeholder(),
          absl::StrCat("note.stakeholder: ", note.stakeholder(),
                       " is not a stakeholder in the tree of ", parent));
    }
  }
  std::string id(note_id);
  while (id.empty()) {
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
    std::string candidate = absl::StrCat("n-", absl::Hex(seq));
    ASSIGN_OR_RETURN(std::optional<std::string> taken,
                     txn.Get(kNoteIds, names::Child(account_id, "notes", candidate)));
    if (!taken) id = candidate;
  }
  if (note.kind() == v1::NOTE_KIND_UNSPECIFIED) note.set_kind(v1::NOTE_KIND_OTHER);
  note.set_name(names::Child(account_id, "notes", id));
  *note.mutable_create_time() = now;
  if (!note.has_occur_time()) *note.mutable_occur_time() = now;
  const std::string key = TimeKey(account_id, note.occur_time(), id);
  RETURN_IF_ERROR(Save(txn, kNotes, key, note));
  RETURN_IF_ERROR(txn.Put(kNoteIds, note.name(), key));
  return note;
}

}  // namespace internal

absl::StatusOr<Note> Store::CreateNote(absl::string_view parent, Note note,
                                       absl::string_view note_id) {
  Violations violations;
  violations.AddFrom(names::ParseAccount(parent, "parent").status());
  if (!note_id.empty() && !names::IsValidId(note_id)) {
    violations.Add("note_id",
                   absl::StrCat("\"", note_id, "\" is not a valid ID"));
  }
  CheckNote(&note, "note", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(clock_());
  Note created;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(created, CreateNoteIn(txn, parent, note, note_id, now));
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<Page<Note>> Store::ListNotes(absl::string_view parent, int limit,
                                            absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string account_id,
                   names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Note>(*engine_, kNotes, TimePrefix(account_id), limit,
                        start_after);
}

}  // namespace quorum::graph
