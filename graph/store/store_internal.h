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
#include "graph/storage/lmdb_env.h"
#include "graph/model/status.h"
#include "graph/store/store.h"
#include "graph/model/time.h"

namespace quorum::graph::internal {

// Named LMDB databases (see the layout in store.h).
inline constexpr absl::string_view kAccounts = "accounts";
inline constexpr absl::string_view kSitesDb = "sites";
inline constexpr absl::string_view kStakeholdersDb = "stakeholders";
inline constexpr absl::string_view kRelationshipsDb = "relationships";
inline constexpr absl::string_view kChildren = "children";
inline constexpr absl::string_view kEmails = "emails";
inline constexpr absl::string_view kDomains = "domains";
inline constexpr absl::string_view kEdges = "edges";
inline constexpr absl::string_view kMeta = "meta";
inline constexpr absl::string_view kSignals = "signals";
inline constexpr absl::string_view kSignalIds = "signal_ids";
inline constexpr absl::string_view kPolicies = "policies";
inline constexpr absl::string_view kCompanyNames = "company_names";
inline constexpr absl::string_view kNotes = "notes";
inline constexpr absl::string_view kNoteIds = "note_ids";
inline constexpr absl::string_view kIntake = "intake_requests";
inline constexpr absl::string_view kStatusChanges = "status_changes";
inline constexpr absl::string_view kHandoffs = "handoffs";
inline constexpr absl::string_view kHandoffIds = "handoff_ids";
inline constexpr absl::string_view kReadiness = "readiness";
inline constexpr absl::string_view kReadinessOf = "readiness_of";
inline constexpr absl::string_view kReadinessFrom = "readiness_from";
inline constexpr absl::string_view kReadinessEvents = "readiness_events";
inline constexpr absl::string_view kRequestIds = "request_ids";

// The next value of the store-wide sequence (etags, generated IDs).
absl::StatusOr<uint64_t> NextSequence(Txn& txn);

// Keys of time-ordered records (signals, notes) of an account, newest first:
// "accounts/{a}|{INT64_MAX - nanoseconds, 19 digits}|{id}".
std::string TimeKey(absl::string_view account_id,
                    const google::protobuf::Timestamp& time,
                    absl::string_view id);
// The prefix of all such keys of an account: "accounts/{a}|".
std::string TimePrefix(absl::string_view account_id);
// Whether a time can be keyed: valid, from 1970 up to 2262.
bool IsStorableTime(const google::protobuf::Timestamp& time);

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

// Reads the committee map of `account_id` (NOT_FOUND when missing) and, when
// `subtree` is not null, the IDs of the accounts in it.
absl::Status ReadCommitteeMap(Txn& txn, const std::string& account_id,
                              v1::CommitteeMap* map,
                              std::vector<std::string>* subtree);

template <typename T>
absl::StatusOr<std::optional<T>> Load(Txn& txn, absl::string_view db,
                                      absl::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, txn.Get(db, key));
  if (!bytes) return std::optional<T>();
  T message;
  if (!message.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("corrupt record at ", key));
  }
  return std::optional<T>(std::move(message));
}

template <typename T>
absl::StatusOr<T> LoadExisting(Txn& txn, absl::string_view db,
                               absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<T> found, Load<T>(txn, db, name));
  if (!found) return absl::NotFoundError(absl::StrCat(name, " not found"));
  return *std::move(found);
}

// Stores `message` at `key`. Fields this server does not know (sent by a
// client with a newer or hostile schema) are discarded first, everywhere in
// the message, so they are neither stored nor served back.
inline absl::Status Save(Txn& txn, absl::string_view db, absl::string_view key,
                         google::protobuf::Message& message) {
  message.DiscardUnknownFields();
  return txn.Put(db, key, message.SerializeAsString());
}

template <typename T>
absl::StatusOr<std::vector<T>> ScanAll(Txn& txn, absl::string_view db,
                                       absl::string_view prefix) {
  std::vector<T> out;
  absl::Status parse_error;
  RETURN_IF_ERROR(txn.Scan(db, prefix, "", [&](absl::string_view key,
                                               absl::string_view value) {
    T message;
    if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      parse_error = absl::DataLossError(absl::StrCat("corrupt record at ", key));
      return false;
    }
    out.push_back(std::move(message));
    return true;
  }));
  RETURN_IF_ERROR(parse_error);
  return out;
}

// The most bytes of records one page of a listing holds.
inline constexpr size_t kMaxPageBytes = 1 << 20;

template <typename T>
absl::StatusOr<Page<T>> ScanPage(const LmdbEnv& env, absl::string_view db,
                                 absl::string_view prefix, int limit,
                                 absl::string_view start_after) {
  Page<T> page;
  absl::Status status = env.Read([&](Txn& txn) -> absl::Status {
    absl::Status parse_error;
    size_t bytes = 0;
    RETURN_IF_ERROR(txn.Scan(
        db, prefix, start_after,
        [&](absl::string_view key, absl::string_view value) {
          // A page ends at `limit` items or once it holds kMaxPageBytes
          // (AIP-158 lets a page be shorter than asked), so that large
          // records never make a page too big to send.
          if (static_cast<int>(page.items.size()) == limit ||
              (!page.items.empty() && bytes + value.size() > kMaxPageBytes)) {
            page.more = true;
            return false;
          }
          bytes += value.size();
          page.last_key = std::string(key);
          T message;
          if (!message.ParseFromArray(value.data(),
                                      static_cast<int>(value.size()))) {
            parse_error =
                absl::DataLossError(absl::StrCat("corrupt record at ", key));
            return false;
          }
          page.items.push_back(std::move(message));
          return true;
        }));
    return parse_error;
  });
  RETURN_IF_ERROR(status);
  return page;
}

// Checks an AIP-155 request ID (empty: none), named "request_id".
void CheckRequestId(absl::string_view request_id, Violations* violations);

// A short fingerprint of a request (its deterministic serialization with
// the request ID cleared, plus `extra`), to tell a retry from another
// request that reuses the ID.
std::string RequestFingerprint(const google::protobuf::Message& request,
                               absl::string_view extra = "");

// Runs `fn` (which fills `*response`) in one write transaction, at most once
// per request ID (AIP-155): with a `request_id` already used by `method`,
// the stored response of the first run is returned and nothing is written;
// used with another fingerprint, INVALID_ARGUMENT. The response is stored
// with the writes of `fn`, in the same transaction. No ID: just runs `fn`.
template <typename Response>
absl::Status WriteIdempotent(LmdbEnv& env, absl::string_view method,
                             absl::string_view request_id,
                             absl::string_view fingerprint, Response* response,
                             const std::function<absl::Status(Txn&)>& fn) {
  return env.Write([&](Txn& txn) -> absl::Status {
    if (request_id.empty()) return fn(txn);
    const std::string key = absl::StrCat(method, "\n", request_id);
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
  });
}

}  // namespace quorum::graph::internal

#endif  // QUORUM_GRAPH_STORE_INTERNAL_H_
