// Helpers shared by the files that implement graph::Store (store.cc,
// store_signals.cc, store_policy.cc). Not part of the public API.
#ifndef QUORUM_GRAPH_STORE_INTERNAL_H_
#define QUORUM_GRAPH_STORE_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "graph/model/status.h"
#include "graph/model/time.h"
#include "graph/storage/kv_engine.h"
#include "graph/storage/layout.h"
#include "graph/storage/table.h"
#include "graph/store/store.h"

namespace quorum::graph::internal {

// The databases and key layouts (graph/storage/layout.h).
using namespace ::quorum::graph::layout;  // NOLINT: the store's own layout.

// The next value of the store-wide sequence (etags, generated IDs).
absl::StatusOr<uint64_t> NextSequence(Txn& txn);

// "accounts/a/sites/s" -> "a".
std::string AccountIdOf(absl::string_view name);

// The parent chain of `account_id`, itself first, the root last.
absl::StatusOr<std::vector<std::string>> Ancestry(Txn& txn,
                                                  std::string account_id);
absl::StatusOr<std::string> RootOf(Txn& txn, const std::string& account_id);
// `account_id` and its descendants, breadth first.
absl::StatusOr<std::vector<std::string>> Subtree(Txn& txn,
                                                 const std::string& account_id);
// NOT_FOUND unless the account exists.
absl::Status RequireAccount(Txn& txn, const std::string& account_name);
absl::Status CheckLimit(int limit);
// Write operations inside a transaction, for callers that combine several
// in one (intake, imports). Inputs are checked as by the Store methods of the
// same name, except the field checks CreateAccount and CreateStakeholder do
// before their transaction (CheckAccount, CheckStakeholder, ID syntax).
// A free account ID derived from `text` ("Acme Labs" -> "acme-labs", then
// "acme-labs-2"...).
absl::StatusOr<std::string> FreeAccountId(Txn& txn, absl::string_view text);
absl::StatusOr<v1::Account> CreateAccountIn(Txn& txn, v1::Account account,
                                            absl::string_view account_id,
                                            absl::Time now);
absl::StatusOr<v1::Account> UpdateAccountIn(
    Txn& txn, const v1::Account& patch, const google::protobuf::FieldMask& mask,
    absl::Time now);
absl::StatusOr<v1::Site> CreateSiteIn(Txn& txn, absl::string_view parent,
                                      v1::Site site, absl::string_view site_id,
                                      absl::Time now);
absl::StatusOr<v1::Site> UpdateSiteIn(Txn& txn, const v1::Site& patch,
                                      const google::protobuf::FieldMask& mask,
                                      absl::Time now);
absl::StatusOr<v1::Stakeholder> CreateStakeholderIn(
    Txn& txn, absl::string_view parent, v1::Stakeholder stakeholder,
    absl::string_view stakeholder_id, absl::Time now);
absl::StatusOr<v1::Stakeholder> UpdateStakeholderIn(
    Txn& txn, const v1::Stakeholder& patch,
    const google::protobuf::FieldMask& mask, absl::Time now);

// Notes: field checks (paths under `at`, e.g. "note") and creation.
void CheckNote(v1::Note* note, const std::string& at, Violations* violations);
absl::StatusOr<v1::Note> CreateNoteIn(Txn& txn, absl::string_view parent,
                                      v1::Note note, absl::string_view note_id,
                                      const google::protobuf::Timestamp& now);

// Signals: records one checked request (see Store::RecordSignals); `at`
// prefixes error messages. Sets `duplicate` when the ID existed.
absl::StatusOr<v1::RecordedSignal> RecordSignalIn(
    Txn& txn, const v1::CreateSignalRequest& request, const std::string& at,
    const google::protobuf::Timestamp& now);
// Field checks of one signal request, paths under `at`.
void CheckSignalRequest(const v1::CreateSignalRequest& request,
                        const std::string& at, Violations* violations);

// The account tree of `account_id` with its signals (NOT_FOUND when the
// account is missing), and the active policy revision (NOT_FOUND when none).
absl::Status ReadAccountTree(Txn& txn, const std::string& account_id,
                             AccountTree* tree);
absl::StatusOr<v1::PolicyRevision> ActivePolicy(Txn& txn);
// The tree of `account_id` read through `txn` as a snapshot whose signal
// sums are for `half_life` (NOT_FOUND when the account is missing).
absl::StatusOr<std::shared_ptr<const TreeSnapshot>> ReadSnapshot(
    Txn& txn, const std::string& account_id, absl::Duration half_life);
// A policy's intent half-life.
absl::Duration HalfLifeOf(const v1::Policy& policy);

// Rebuilds the readiness entry of every account (after a policy publish).
absl::Status ReindexAll(Txn& txn, absl::Time now);
// Builds the readiness index once over a store written before it existed,
// or brings one of an older form (readiness_v1) to the current one.
absl::Status UpgradeReadinessIndex(Txn& txn, absl::Time now);

// Reads the committee map of `account_id` (NOT_FOUND when missing) and, when
// `subtree` is not null, the IDs of the accounts in it.
absl::Status ReadCommitteeMap(Txn& txn, const std::string& account_id,
                              v1::CommitteeMap* map,
                              std::vector<std::string>* subtree);

// Checks an AIP-155 request ID (empty: none), named "request_id".
void CheckRequestId(absl::string_view request_id, Violations* violations);

// A short fingerprint of a request (its deterministic serialization with
// the request ID cleared, plus `extra`), to tell a retry from another
// request that reuses the ID.
std::string RequestFingerprint(const google::protobuf::Message& request,
                               absl::string_view extra = "");

// Runs `fn` (which fills `*response`) at most once per request ID
// (AIP-155), inside the write transaction `txn`: with a `request_id`
// already used by `method`, the stored response of the first run is
// returned and `fn` is not run; used with another fingerprint,
// INVALID_ARGUMENT. The response is stored with the writes of `fn`, in the
// same transaction. No ID: just runs `fn`.
template <typename Response>
absl::Status RunIdempotent(Txn& txn, absl::string_view method,
                           absl::string_view request_id,
                           absl::string_view fingerprint, Response* response,
                           const std::function<absl::Status(Txn&)>& fn) {
  if (request_id.empty()) return fn(txn);
  const std::string key = RequestIdKey(method, request_id);
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   txn.Get(kRequestIds, key));
  if (stored) {
    const size_t split = stored->find('\n');
    if (split == std::string::npos ||
        absl::string_view(*stored).substr(0, split) != fingerprint) {
      return InvalidField(
          "request_id",
          absl::StrCat("was already used for a different ", method,
                       " request; use a new ID for a new request"));
    }
    if (!response->ParseFromString(stored->substr(split + 1))) {
      return absl::DataLossError(absl::StrCat("corrupt replay at ", key));
    }
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(fn(txn));
  response->DiscardUnknownFields();
  return txn.Put(
      kRequestIds, key,
      absl::StrCat(fingerprint, "\n", response->SerializeAsString()));
}

}  // namespace quorum::graph::internal

namespace quorum::graph {

template <typename Response>
absl::Status Store::WriteIdempotent(
    absl::string_view method, absl::string_view request_id,
    absl::string_view fingerprint, Response* response,
    const std::function<absl::Status(Txn&)>& fn) {
  return Write([&](Txn& txn) {
    return internal::RunIdempotent(txn, method, request_id, fingerprint,
                                   response, fn);
  });
}

}  // namespace quorum::graph

#endif  // QUORUM_GRAPH_STORE_INTERNAL_H_
