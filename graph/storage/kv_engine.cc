#include "graph/storage/kv_engine.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace quorum::graph {
namespace {

// Marks an error of the disk under the data folder (full, quota, I/O).
constexpr absl::string_view kStorageMarker = "quorum:storage-unwritable";

// Marks a write that must be retried once the engine has made room.
constexpr absl::string_view kMapFullMarker = "quorum:storage-map-full";

}  // namespace

void KvEngine::NoteWriteOutcome(const absl::Status& status) {
  bool writable;
  if (status.ok()) {
    writable = true;
  } else if (IsStorageUnwritable(status)) {
    writable = false;
  } else {
    return;  // Bad input and the like say nothing about the disk.
  }
  if (writable_.exchange(writable) != writable && on_writable_) {
    on_writable_(writable);
  }
}

absl::Status MapFullError(absl::string_view what) {
  absl::Status s = absl::ResourceExhaustedError(
      absl::StrCat("storage map is full (", what, ")"));
  s.SetPayload(kMapFullMarker, absl::Cord("1"));
  return s;
}

bool IsMapFull(const absl::Status& s) {
  return s.GetPayload(kMapFullMarker).has_value();
}

bool IsUnwritableErrno(int errno_code) {
  return errno_code == ENOSPC || errno_code == EDQUOT || errno_code == EFBIG ||
         errno_code == EIO;
}

absl::Status StorageUnwritableError(int errno_code, absl::string_view what) {
  absl::Status s = absl::ResourceExhaustedError(absl::StrCat(
      "the data folder cannot be written (", std::strerror(errno_code), " in ",
      what,
      "): the disk is full or failing; this write was not applied and "
      "nothing acknowledged before it is lost; free space and retry"));
  s.SetPayload(kStorageMarker, absl::Cord("1"));
  return s;
}

bool IsStorageUnwritable(const absl::Status& s) {
  return s.GetPayload(kStorageMarker).has_value();
}

bool FailsWholeWrite(const absl::Status& s) {
  return IsMapFull(s) || IsStorageUnwritable(s);
}

}  // namespace quorum::graph
