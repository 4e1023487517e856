// Every database of the store and the layout of its keys, in one place.
// Keys are resource names where a record has one, so an account's sites,
// stakeholders and relationships are contiguous; time-ordered records are
// keyed newest first. Values are serialized protobuf messages (see
// table.h) unless said otherwise.
//
//   accounts       accounts/{a}                      -> Account
//   sites          accounts/{a}/sites/{s}            -> Site
//   stakeholders   accounts/{a}/stakeholders/{s}     -> Stakeholder
//   relationships  accounts/{a}/relationships/{r}    -> Relationship
//   children       {parent id}/{child id}            -> ""  (hierarchy index)
//   emails         lower-case e-mail                 -> stakeholder name
//   domains        domain                            -> account name
//   edges          {stakeholder name}|{relationship} -> ""  (edge index)
//   meta           kSequenceKey and the like         -> decimal text
//   signals        accounts/{a}|{inverted time}|{id} -> Signal (newest first)
//   signal_ids     accounts/{a}/signals/{id}         -> key in `signals`
//   policies       {inverted revision}               -> PolicyRevision
//   company_names  {company key}|{account name}      -> ""  (name index)
//   notes          accounts/{a}|{inverted time}|{id} -> Note (newest first)
//   note_ids       accounts/{a}/notes/{id}           -> key in `notes`
//   intake_requests request ID                       -> SubmitLeadResponse
//   status_changes accounts/{a}|{inverted time}|{id} -> StatusChange
//   handoffs       accounts/{a}|{inverted time}|{id} -> Handoff
//   handoff_ids    accounts/{a}/handoffs/{id}        -> key in `handoffs`
//   readiness      [scope]{999 - readiness}|{account} -> ""
//   readiness_of   [scope]{account}                  -> ReadinessEntry
//   readiness_from [scope]{valid-from ns}|{account}  -> ""
//   readiness_events [scope]{sequence, 19 digits}    -> ReadinessEvent
//     (a feed per scope, each numbered from 1: meta/event_seq[|{solution}])
//   readiness_due  {due ns}|{account}[|{solution}]   -> ""  (time events)
//     (the readiness index holds each account's own verdict and its
//     verdict for each solution of the active policy: a solution's keys
//     begin with its scope, ReadinessScope; the accounts' own have none)
//   request_ids    {method}\n{request ID}            -> fingerprint\nresponse
//   stakeholder_refs {stakeholder}|{db}|{record key} -> ""  (the signals and
//                                                     notes naming a person)
//   archived_accounts accounts/{a}|{inverted delete time}|{archive id}
//                                                    -> ArchivedAccount
//   unplaced_leads {queue time ns}|{id}              -> UnplacedLead
//   unplaced_lead_ids unplacedLeads/{id}             -> key in unplaced_leads
//   commit_log     {version, 20 digits}              -> CommitRecord (what a
//                                                     commit changed; written
//                                                     on shared engines only)
//   webhooks       webhooks/{w}                      -> WebhookRecord (the
//                                                     subscription, its secret
//                                                     and delivery cursor)
#ifndef QUORUM_GRAPH_STORAGE_LAYOUT_H_
#define QUORUM_GRAPH_STORAGE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

namespace quorum::graph::layout {

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
inline constexpr absl::string_view kReadinessDue = "readiness_due";
inline constexpr absl::string_view kRequestIds = "request_ids";
inline constexpr absl::string_view kStakeholderRefs = "stakeholder_refs";
// What deleted accounts leave for metrics and simulation, keyed like the
// time-ordered records (TimeKey of the delete time and the archive's ID).
inline constexpr absl::string_view kArchivedAccounts = "archived_accounts";
inline constexpr absl::string_view kUnplacedLeads = "unplaced_leads";
inline constexpr absl::string_view kUnplacedLeadIds = "unplaced_lead_ids";
inline constexpr absl::string_view kCommitLog = "commit_log";
inline constexpr absl::string_view kWebhooks = "webhooks";

// Every database above, to open an engine with.
std::vector<std::string> AllDatabases();

// Keys of `meta`.
inline constexpr absl::string_view kSequenceKey = "seq";  // Etags, IDs.
// The accounts' own change feed's last sequence number (a solution's feed
// has its own key after it: EventSequenceKey).
inline constexpr absl::string_view kEventSequenceKey = "event_seq";
// Set once the index of that name was built over older data (on open).
inline constexpr absl::string_view kCompanyNamesBuiltKey = "company_names_v1";
inline constexpr absl::string_view kReadinessBuiltKey = "readiness_v2";
inline constexpr absl::string_view kStakeholderRefsBuiltKey =
    "stakeholder_refs_v1";
inline constexpr absl::string_view kReadinessDueBuiltKey = "readiness_due_v1";
inline constexpr absl::string_view kReadinessSolutionsBuiltKey =
    "readiness_solutions_v1";
// The last sequence number compacted away from the accounts' own feed in
// readiness_events (0: none); a solution's feed: EventsCompactedKey.
inline constexpr absl::string_view kEventsCompactedKey = "events_compacted";

// Time-ordered records of an account (signals, notes, status changes,
// handoffs), newest first: "accounts/{a}|{INT64_MAX - ns, 19 digits}|{id}".
std::string TimeKey(absl::string_view account_id,
                    const google::protobuf::Timestamp& time,
                    absl::string_view id);
// The prefix of all such keys of an account: "accounts/{a}|".
std::string TimePrefix(absl::string_view account_id);
// Whether a time can be keyed: valid, from 1970 up to 2262.
bool IsStorableTime(const google::protobuf::Timestamp& time);

// `children`: "{parent id}/{child id}"; ChildPrefix(parent) + child id.
std::string ChildKey(absl::string_view parent_id, absl::string_view child_id);
std::string ChildPrefix(absl::string_view parent_id);
// `edges`: "{stakeholder name}|{relationship name}".
std::string EdgeKey(absl::string_view stakeholder,
                    absl::string_view relationship);
std::string EdgePrefix(absl::string_view stakeholder);
// `stakeholder_refs`: "{stakeholder name}|{db}|{key in db}", where db is
// `signals` or `notes`; StakeholderRefPrefix(stakeholder) + db + "|" + key.
std::string StakeholderRefKey(absl::string_view stakeholder,
                              absl::string_view db, absl::string_view key);
std::string StakeholderRefPrefix(absl::string_view stakeholder);
// `company_names`: "{company key}|{account name}".
std::string CompanyNameKey(absl::string_view company_key,
                           absl::string_view account_name);
std::string CompanyNamePrefix(absl::string_view company_key);
// `policies`: newest first, "INT64_MAX - revision", 19 digits; revision >= 0.
std::string PolicyKey(int64_t revision);
// The readiness index's keys of solution `solution`, in `readiness`,
// `readiness_of` and `readiness_from`, begin with "solutions/{solution}|"
// (kSolutionScopes and the ID); the accounts' own verdicts (solution
// empty) have no scope. Solution IDs begin with a letter, so every scoped
// key sorts after every unscoped one, which begin with a digit or
// "accounts/".
inline constexpr absl::string_view kSolutionScopes = "solutions/";
std::string ReadinessScope(absl::string_view solution);
// `readiness`: most ready first,
// "{scope}{999 - readiness, 3 digits}|{account}".
std::string ReadinessKey(int readiness, absl::string_view account_name,
                         absl::string_view solution = "");
// `readiness_of`: "{scope}{account}".
std::string ReadinessOfKey(absl::string_view account_name,
                           absl::string_view solution = "");
// `readiness_from`: "{scope}{valid-from nanoseconds, 19 digits}|{account}".
std::string ReadinessFromKey(int64_t valid_from_nanos,
                             absl::string_view account_name,
                             absl::string_view solution = "");
// `readiness_due`, one queue for every scope, earliest first:
// "{due nanoseconds, 19 digits}|{account}", then "|{solution}" for a
// solution's entry.
std::string ReadinessDueKey(int64_t due_nanos, absl::string_view account_name,
                            absl::string_view solution = "");
// `readiness_events`: "{scope}{sequence number, 19 digits}". Every scope
// (the accounts' own verdicts, each solution) is a feed of its own, with
// its own sequence: its last number in `meta` at EventSequenceKey, its
// last compacted number at EventsCompactedKey.
std::string EventKey(int64_t sequence, absl::string_view solution = "");
// "event_seq" for the accounts' own feed, "event_seq|{solution}" for a
// solution's; every feed's key begins with kEventSequenceKey.
std::string EventSequenceKey(absl::string_view solution);
// "events_compacted", or "events_compacted|{solution}".
std::string EventsCompactedKey(absl::string_view solution);
// Key of `commit_log`: the version, fixed width, so keys sort by version.
std::string CommitLogKey(uint64_t version);
// `request_ids`: "{method}\n{request ID}".
std::string RequestIdKey(absl::string_view method,
                         absl::string_view request_id);
// `unplaced_leads`: "{queue time nanoseconds, 19 digits}|{id}", oldest first.
std::string UnplacedLeadKey(const google::protobuf::Timestamp& time,
                            absl::string_view id);

}  // namespace quorum::graph::layout

#endif  // QUORUM_GRAPH_STORAGE_LAYOUT_H_
