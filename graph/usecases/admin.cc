// The admin use case: backups and index checks (AdminService).
#include "graph/usecases/admin.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "graph/model/status.h"
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.

absl::StatusOr<int64_t> Admin::Backup(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) {
    return InvalidField("path",
                        "required: an absolute directory on the server");
  }
  if (dir.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("path: '", dir, "' must be an absolute directory path"));
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("path: ", dir, " exists and is not a directory"));
    }
    if (!fs::is_empty(dir, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "path: ", dir, " is not empty; a backup goes into a new directory"));
    }
  } else if (!fs::create_directories(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("path: cannot create ", dir, ": ", ec.message()));
  }
  RETURN_IF_ERROR(store_.engine().CopyCompacted(dir));
  auto size = fs::file_size(fs::path(dir) / "data.mdb", ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("backup written but ", dir, "/data.mdb: ", ec.message()));
  }
  return static_cast<int64_t>(size);
}

absl::Status Admin::CheckIndexes() {
  std::vector<std::string> dangling;
  auto note = [&](absl::string_view db, absl::string_view key,
                  absl::string_view target) {
    if (dangling.size() < 20) {
      dangling.push_back(absl::StrCat(db, "[", key, "] -> ", target));
    }
  };
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    auto exists = [&](absl::string_view db,
                      absl::string_view key) -> absl::StatusOr<bool> {
      ASSIGN_OR_RETURN(auto value, txn.Get(db, key));
      return value.has_value();
    };
    // Index whose value is the key of a record in `target_db`.
    auto by_value = [&](absl::string_view db,
                        absl::string_view target_db) -> absl::Status {
      std::vector<std::pair<std::string, std::string>> entries;
      RETURN_IF_ERROR(
          txn.Scan(db, "", "", [&](absl::string_view k, absl::string_view v) {
            entries.emplace_back(k, v);
            return true;
          }));
      for (const auto& [k, v] : entries) {
        ASSIGN_OR_RETURN(bool ok, exists(target_db, v));
        if (!ok) note(db, k, absl::StrCat(target_db, "[", v, "]"));
      }
      return absl::OkStatus();
    };
    // Index whose key holds, after the last `sep`, the key of a record in
    // `target_db` (and, with `first_db`, before it the key of another).
    auto by_key = [&](absl::string_view db, char sep,
                      absl::string_view target_db,
                      absl::string_view first_db) -> absl::Status {
      std::vector<std::string> keys;
      RETURN_IF_ERROR(
          txn.Scan(db, "", "", [&](absl::string_view k, absl::string_view) {
            keys.emplace_back(k);
            return true;
          }));
      for (const std::string& k : keys) {
        size_t at = k.rfind(sep);
        if (at == std::string::npos) {
          note(db, k, "(malformed key)");
          continue;
        }
        std::string last = k.substr(at + 1);
        std::string first = k.substr(0, at);
        if (target_db == kAccounts && sep == '/') {
          last = absl::StrCat("accounts/", last);
          first = absl::StrCat("accounts/", first);
        }
        ASSIGN_OR_RETURN(bool ok, exists(target_db, last));
        if (!ok) note(db, k, absl::StrCat(target_db, "[", last, "]"));
        if (!first_db.empty()) {
          ASSIGN_OR_RETURN(bool ok_first, exists(first_db, first));
          if (!ok_first) note(db, k, absl::StrCat(first_db, "[", first, "]"));
        }
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(by_value(kEmails, kStakeholdersDb));
    RETURN_IF_ERROR(by_value(kDomains, kAccounts));
    RETURN_IF_ERROR(by_value(kSignalIds, kSignals));
    RETURN_IF_ERROR(by_value(kNoteIds, kNotes));
    RETURN_IF_ERROR(by_value(kHandoffIds, kHandoffs));
    RETURN_IF_ERROR(by_key(kCompanyNames, '|', kAccounts, ""));
    RETURN_IF_ERROR(by_key(kEdges, '|', kRelationshipsDb, kStakeholdersDb));
    RETURN_IF_ERROR(by_key(kChildren, '/', kAccounts, kAccounts));
    RETURN_IF_ERROR(by_key(kReadiness, '|', kAccounts, ""));
    RETURN_IF_ERROR(by_key(kReadinessFrom, '|', kAccounts, ""));
    // "{stakeholder}|{db}|{key}": the person and the record exist.
    std::vector<std::string> refs;
    RETURN_IF_ERROR(txn.Scan(kStakeholderRefs, "", "",
                             [&](absl::string_view k, absl::string_view) {
                               refs.emplace_back(k);
                               return true;
                             }));
    for (const std::string& k : refs) {
      std::vector<std::string> parts =
          absl::StrSplit(k, absl::MaxSplits('|', 2));
      if (parts.size() != 3 || (parts[1] != kSignals && parts[1] != kNotes)) {
        note(kStakeholderRefs, k, "(malformed key)");
        continue;
      }
      ASSIGN_OR_RETURN(bool person, exists(kStakeholdersDb, parts[0]));
      if (!person) {
        note(kStakeholderRefs, k,
             absl::StrCat(kStakeholdersDb, "[", parts[0], "]"));
      }
      ASSIGN_OR_RETURN(bool record, exists(parts[1], parts[2]));
      if (!record) {
        note(kStakeholderRefs, k, absl::StrCat(parts[1], "[", parts[2], "]"));
      }
    }
    std::vector<std::string> accounts;
    RETURN_IF_ERROR(txn.Scan(kReadinessOf, "", "",
                             [&](absl::string_view k, absl::string_view) {
                               accounts.emplace_back(k);
                               return true;
                             }));
    for (const std::string& k : accounts) {
      // "{account}", or a solution's "solutions/{solution}|{account}".
      const std::string a = k.substr(k.rfind('|') + 1);
      ASSIGN_OR_RETURN(bool ok, exists(kAccounts, a));
      if (!ok) note(kReadinessOf, k, absl::StrCat(kAccounts, "[", a, "]"));
    }
    return absl::OkStatus();
  }));
  if (dangling.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("index entries without a record: ",
                                          absl::StrJoin(dangling, "; ")));
}

}  // namespace quorum::graph
