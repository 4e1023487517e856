#include "graph/storage/layout.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/names.h"

namespace quorum::graph::layout {

std::vector<std::string> AllDatabases() {
  std::vector<std::string> out;
  for (absl::string_view db :
       {kAccounts,       kSitesDb,       kStakeholdersDb,  kRelationshipsDb,
        kChildren,       kEmails,        kDomains,         kEdges,
        kMeta,           kSignals,       kSignalIds,       kPolicies,
        kCompanyNames,   kNotes,         kNoteIds,         kIntake,
        kStatusChanges,  kHandoffs,      kHandoffIds,      kReadiness,
        kReadinessOf,    kReadinessFrom, kReadinessEvents, kRequestIds,
        kStakeholderRefs, kReadinessDue, kArchivedAccounts}) {
    out.emplace_back(db);
  }
  for (absl::string_view db :
       {kUnplacedLeads, kUnplacedLeadIds, kCommitLog, kWebhooks}) {
    out.emplace_back(db);
  }
  return out;
}

std::string TimeKey(absl::string_view account_id,
                    const google::protobuf::Timestamp& time,
                    absl::string_view id) {
  const int64_t nanos =
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(time);
  return absl::StrFormat("%s|%019d|%s", names::Account(account_id),
                         std::numeric_limits<int64_t>::max() - nanos, id);
}

std::string TimePrefix(absl::string_view account_id) {
  return absl::StrCat(names::Account(account_id), "|");
}

bool IsStorableTime(const google::protobuf::Timestamp& time) {
  return time.nanos() >= 0 && time.nanos() <= 999999999 &&
         time.seconds() >= 0 && time.seconds() < 9223372036LL;
}

std::string ChildKey(absl::string_view parent_id, absl::string_view child_id) {
  return absl::StrCat(parent_id, "/", child_id);
}
std::string ChildPrefix(absl::string_view parent_id) {
  return absl::StrCat(parent_id, "/");
}

std::string EdgeKey(absl::string_view stakeholder,
                    absl::string_view relationship) {
  return absl::StrCat(stakeholder, "|", relationship);
}
std::string EdgePrefix(absl::string_view stakeholder) {
  return absl::StrCat(stakeholder, "|");
}

std::string StakeholderRefKey(absl::string_view stakeholder,
                              absl::string_view db, absl::string_view key) {
  return absl::StrCat(stakeholder, "|", db, "|", key);
}
std::string StakeholderRefPrefix(absl::string_view stakeholder) {
  return absl::StrCat(stakeholder, "|");
}

std::string CompanyNameKey(absl::string_view company_key,
                           absl::string_view account_name) {
  return absl::StrCat(company_key, "|", account_name);
}
std::string CompanyNamePrefix(absl::string_view company_key) {
  return absl::StrCat(company_key, "|");
}

std::string PolicyKey(int64_t revision) {
  return absl::StrFormat("%019d",
                         std::numeric_limits<int64_t>::max() - revision);
}

std::string ReadinessScope(absl::string_view solution) {
  return solution.empty() ? std::string()
                          : absl::StrCat(kSolutionScopes, solution, "|");
}

std::string ReadinessKey(int readiness, absl::string_view account_name,
                         absl::string_view solution) {
  return absl::StrFormat("%s%03d|%s", ReadinessScope(solution), 999 - readiness,
                         account_name);
}

std::string ReadinessOfKey(absl::string_view account_name,
                           absl::string_view solution) {
  return absl::StrCat(ReadinessScope(solution), account_name);
}

std::string ReadinessFromKey(int64_t valid_from_nanos,
                             absl::string_view account_name,
                             absl::string_view solution) {
  return absl::StrFormat("%s%019d|%s", ReadinessScope(solution),
                         valid_from_nanos, account_name);
}

std::string ReadinessDueKey(int64_t due_nanos, absl::string_view account_name,
                            absl::string_view solution) {
  return solution.empty() ? absl::StrFormat("%019d|%s", due_nanos, account_name)
                          : absl::StrFormat("%019d|%s|%s", due_nanos,
                                            account_name, solution);
}

std::string EventKey(int64_t sequence, absl::string_view solution) {
  return absl::StrFormat("%s%019d", ReadinessScope(solution), sequence);
}

std::string EventSequenceKey(absl::string_view solution) {
  return solution.empty() ? std::string(kEventSequenceKey)
                          : absl::StrCat(kEventSequenceKey, "|", solution);
}

std::string EventsCompactedKey(absl::string_view solution) {
  return solution.empty() ? std::string(kEventsCompactedKey)
                          : absl::StrCat(kEventsCompactedKey, "|", solution);
}

std::string CommitLogKey(uint64_t version) {
  return absl::StrFormat("%020u", version);
}

std::string RequestIdKey(absl::string_view method,
                         absl::string_view request_id) {
  return absl::StrCat(method, "\n", request_id);
}

std::string UnplacedLeadKey(const google::protobuf::Timestamp& time,
                            absl::string_view id) {
  return absl::StrFormat(
      "%019d|%s",
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(time), id);
}

}  // namespace quorum::graph::layout
