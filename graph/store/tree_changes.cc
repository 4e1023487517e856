#include "graph/store/tree_changes.h"

#include "absl/strings/strip.h"
#include "graph/storage/layout.h"

namespace quorum::graph {

std::optional<TouchedTree> TreeTouchedBy(absl::string_view db,
                                         absl::string_view key) {
  using namespace layout;  // NOLINT: the layout being classified.
  if (db == kChildren) {   // "{parent id}/{child id}": the parent's tree.
    return TouchedTree{std::string(key.substr(0, key.find('/'))), false};
  }
  if (db == kAccounts || db == kSitesDb || db == kStakeholdersDb ||
      db == kRelationshipsDb || db == kSignals) {
    // A resource name, or a signal's "accounts/{a}|...".
    absl::string_view rest =
        absl::StripPrefix(key.substr(0, key.find('|')), "accounts/");
    return TouchedTree{std::string(rest.substr(0, rest.find('/'))),
                       db == kSignals};
  }
  return std::nullopt;
}

void ChangeRecordingTxn::Record(absl::string_view db, absl::string_view key,
                                bool deleted) {
  std::optional<TouchedTree> touched = TreeTouchedBy(db, key);
  if (!touched) return;
  TreeChanges& changes = changes_[touched->account_id];
  if (touched->signal) {
    changes.history |= deleted;
    changes.signals.emplace_back(key);
  } else {
    changes.structure = true;
  }
}

absl::Status ChangeRecordingTxn::Put(absl::string_view db,
                                     absl::string_view key,
                                     absl::string_view value) {
  absl::Status status = inner_.Put(db, key, value);
  if (status.ok()) Record(db, key, false);
  return status;
}

absl::Status ChangeRecordingTxn::Delete(absl::string_view db,
                                        absl::string_view key) {
  absl::Status status = inner_.Delete(db, key);
  if (status.ok()) Record(db, key, true);
  return status;
}

absl::Status ChangeRecordingTxn::Savepoint(
    const std::function<absl::Status(Txn&)>& fn) {
  return inner_.Savepoint([&](Txn& nested) {
    ChangeRecordingTxn recording(nested, changes_);
    return fn(recording);
  });
}

}  // namespace quorum::graph
