// The readiness use case: the readiness listing and the change feed
// (WorkflowService's ListAccountReadiness and WatchReadiness;
// docs/workflow.md).
#include "graph/usecases/readiness.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/page_size.h"
#include "graph/model/page_token.h"
#include "graph/model/time.h"
#include "graph/model/tokens.pb.h"
#include "graph/model/validation.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/rules/solutions.h"
#include "graph/rules/workflow.h"
#include "graph/storage/records.pb.h"
#include "graph/store/records.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.

namespace {

// --------------------------------------------------------------- listing

// One evaluated account in the listing.
struct Ranked {
  v1::AccountReadiness item;
  bool operator<(const Ranked& o) const {  // Max-heap: best on top.
    if (item.readiness() != o.item.readiness()) {
      return item.readiness() < o.item.readiness();
    }
    return item.account() > o.item.account();
  }
};

// Whether `a` comes after position (readiness, name) in listing order.
bool After(const v1::AccountReadiness& a, int readiness,
           const std::string& name) {
  if (a.readiness() != readiness) return a.readiness() < readiness;
  return a.account() > name;
}

// The filters that the account record alone decides (status, country,
// owner): checked before the account's tree is read and qualified.
bool PassesAccountFilters(const v1::ListAccountReadinessRequest& r,
                          const v1::Account& a) {
  if (!r.statuses().empty() &&
      std::find(r.statuses().begin(), r.statuses().end(),
                a.lifecycle_status()) == r.statuses().end()) {
    return false;
  }
  if (!r.country_code().empty() && a.country_code() != r.country_code()) {
    return false;
  }
  return r.owner().empty() || a.owner() == r.owner();
}

// The filters on what the verdict decides (route, stage rolled up over the
// subtree, readiness, coverage, missing requirement).
bool PassesVerdictFilters(const v1::ListAccountReadinessRequest& r,
                          const v1::AccountReadiness& a) {
  if (!r.routes().empty() && std::find(r.routes().begin(), r.routes().end(),
                                       a.route()) == r.routes().end()) {
    return false;
  }
  if (r.stage() != v1::EVALUATION_STAGE_UNSPECIFIED && a.stage() != r.stage()) {
    return false;
  }
  if (a.readiness() < r.min_readiness() || a.coverage() < r.min_coverage()) {
    return false;
  }
  if (!r.missing_requirement().empty() &&
      std::find(a.missing_requirements().begin(),
                a.missing_requirements().end(),
                r.missing_requirement()) == a.missing_requirements().end()) {
    return false;
  }
  return true;
}

// The account's listing entry, or nullopt when `filter` rules it out on the
// account record alone (then nothing is qualified).
using SnapshotSource =
    std::function<absl::StatusOr<std::shared_ptr<const TreeSnapshot>>(
        const std::string& account_id)>;

absl::StatusOr<std::optional<v1::AccountReadiness>> Evaluate(
    Txn& txn, const std::string& account_name, const v1::Policy& judged,
    int64_t revision, absl::Time as_of,
    const v1::ListAccountReadinessRequest& filter,
    const SnapshotSource& snapshot) {
  ASSIGN_OR_RETURN(v1::Account account,
                   LoadExisting<v1::Account>(txn, kAccounts, account_name));
  if (!PassesAccountFilters(filter, account)) return std::nullopt;
  ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                   snapshot(AccountIdOf(account_name)));
  const v1::Verdict v =
      Qualify(*tree->map, *tree->signals, judged, revision, as_of);
  v1::AccountReadiness out;
  out.set_account(account_name);
  out.set_solution(filter.solution());
  out.set_display_name(account.display_name());
  out.set_route(v.route());
  out.set_readiness(v.readiness());
  out.set_coverage(v.committee().coverage());
  out.set_status(account.lifecycle_status());
  out.set_country_code(account.country_code());
  out.set_owner(account.owner());
  out.set_stage(v.stage());
  out.set_decided_by(v.decided_by());
  for (const auto& r : v.committee().requirements()) {
    if (r.applicable() && !r.met())
      out.add_missing_requirements(r.requirement_id());
  }
  return std::optional<v1::AccountReadiness>(std::move(out));
}

// The page token: where the listing stopped, for the same request.
using Cursor = tokens::ReadinessCursor;

// The cursor of a first page: nothing returned yet.
Cursor FirstCursor() {
  Cursor c;
  c.set_last_readiness(1000);
  return c;
}

// The cursor `token` carries, when it is one this server could have issued
// (no position longer than a key).
std::optional<Cursor> DecodeCursor(absl::string_view token) {
  Cursor c;
  if (!DecodeToken(token, &c)) return std::nullopt;
  auto fits = [](const std::string& key) { return key.size() <= kMaxKeyBytes; };
  if (!fits(c.index_key()) || !fits(c.last_name()) ||
      !std::all_of(c.pending().begin(), c.pending().end(), fits)) {
    return std::nullopt;
  }
  return c;
}

// What identifies a listing across pages: its filters.
std::string Fingerprint(const v1::ListAccountReadinessRequest& request) {
  v1::ListAccountReadinessRequest copy = request;
  copy.clear_page_token();
  copy.clear_page_size();
  copy.clear_as_of();
  copy.clear_policy_revision();
  return absl::StrCat(absl::Hex(StableHash64(copy.SerializeAsString())));
}

}  // namespace

// ---------------------------------------------------------------- listing

absl::StatusOr<v1::ListAccountReadinessResponse>
Readiness::ListAccountReadiness(
    const v1::ListAccountReadinessRequest& request) {
  Violations violations;
  if (request.page_size() < 0)
    violations.Add("page_size", "must not be negative");
  if (request.policy_revision() < 0) {
    violations.Add("policy_revision", "must not be negative");
  }
  if (request.min_readiness() < 0 || request.min_readiness() > 100) {
    violations.Add("min_readiness", "must be between 0 and 100");
  }
  if (!(request.min_coverage() >= 0 && request.min_coverage() <= 1)) {
    violations.Add("min_coverage", "must be between 0 and 1");
  }
  if (!request.country_code().empty() &&
      !IsCountryCode(request.country_code())) {
    violations.Add("country_code",
                   absl::StrCat("\"", request.country_code(),
                                "\" is not an ISO 3166-1 code"));
  }
  for (int i = 0; i < request.routes_size(); ++i) {
    if (!v1::Route_IsValid(request.routes(i))) {
      violations.Add(absl::StrCat("routes[", i, "]"), "unknown enum value");
    }
  }
  for (int i = 0; i < request.statuses_size(); ++i) {
    if (!v1::LifecycleStatus_IsValid(request.statuses(i))) {
      violations.Add(absl::StrCat("statuses[", i, "]"), "unknown enum value");
    }
  }
  if (!v1::EvaluationStage_IsValid(request.stage())) {
    violations.Add("stage", "unknown enum value");
  }
  CheckSolutionId(request.solution(), &violations);
  std::optional<Cursor> cursor;
  if (!request.page_token().empty()) {
    cursor = DecodeCursor(request.page_token());
    if (!cursor || cursor->fingerprint() != Fingerprint(request)) {
      violations.Add("page_token",
                     "is not a token of a listing with these filters");
    }
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const int page_size = EffectivePageSize(request.page_size());
  absl::Time as_of = store_.Now();
  if (cursor) {
    as_of = absl::FromUnixNanos(cursor->as_of_nanos());
  } else if (request.has_as_of()) {
    as_of = ToTime(request.as_of());
  }
  v1::ListAccountReadinessResponse response;
  *response.mutable_as_of() = ToProto(as_of);
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    v1::PolicyRevision policy;
    if (request.policy_revision() == 0 && !cursor) {
      ASSIGN_OR_RETURN(policy, ActivePolicy(txn));
    } else {
      const int64_t wanted =
          cursor ? cursor->policy_revision() : request.policy_revision();
      ASSIGN_OR_RETURN(policy, ActivePolicy(txn));
      if (policy.revision() != wanted) {
        ASSIGN_OR_RETURN(
            std::optional<v1::PolicyRevision> found,
            Load<v1::PolicyRevision>(txn, kPolicies, PolicyKey(wanted)));
        if (!found) {
          return absl::NotFoundError(
              absl::StrCat("policy revision ", wanted, " not found"));
        }
        policy = *found;
        policy.set_active(false);
      }
    }
    response.set_policy_revision(policy.revision());
    // The policy as the solution asked for judges with it.
    const std::string& solution = request.solution();
    ASSIGN_OR_RETURN(const v1::Policy judged,
                     PolicyForSolution(policy.policy(), solution));
    const std::string scope = ReadinessScope(solution);
    // In the accounts' own part of the index (no scope), whether a key is
    // past its end: the solutions' parts follow it.
    auto past_end = [&](absl::string_view key) {
      return solution.empty() && absl::StartsWith(key, kSolutionScopes);
    };
    Cursor next = cursor.value_or(FirstCursor());
    next.set_fingerprint(Fingerprint(request));
    next.set_as_of_nanos(absl::ToUnixNanos(as_of));
    next.set_policy_revision(policy.revision());
    const int last_r = next.last_readiness();
    const std::string last_name = next.last_name();

    std::priority_queue<Ranked> heap;
    std::set<std::string> seen;  // Evaluated in this call.
    auto consider = [&](const std::string& name) -> absl::Status {
      if (!seen.insert(name).second) return absl::OkStatus();
      auto item = Evaluate(
          txn, name, judged, policy.revision(), as_of, request,
          [&](const std::string& id) { return store_.SnapshotIn(txn, id); });
      if (absl::IsNotFound(item.status())) return absl::OkStatus();  // Deleted.
      RETURN_IF_ERROR(item.status());
      if (!item->has_value()) return absl::OkStatus();  // Filtered out.
      if (PassesVerdictFilters(request, **item) &&
          After(**item, last_r, last_name)) {
        heap.push(Ranked{**std::move(item)});
      }
      return absl::OkStatus();
    };
    auto emit = [&]() {
      const v1::AccountReadiness& top = heap.top().item;
      next.set_last_readiness(top.readiness());
      next.set_last_name(top.account());
      *response.add_accounts() = top;
      heap.pop();
    };

    const bool indexed = policy.active();
    if (!indexed) {
      // Another revision: the index does not apply; evaluate every account.
      std::vector<std::string> all;
      RETURN_IF_ERROR(txn.Scan(kAccounts, "accounts/", "",
                               [&](absl::string_view key, absl::string_view) {
                                 all.emplace_back(key);
                                 return true;
                               }));
      for (const std::string& name : all) RETURN_IF_ERROR(consider(name));
      while (!heap.empty() && response.accounts_size() < page_size) emit();
      if (!heap.empty()) {
        next.set_exhausted(true);
        next.clear_pending();
        response.set_next_page_token(EncodeToken(next));
      }
      return absl::OkStatus();
    }

    // Accounts whose entry is not yet a bound at as_of (written after it,
    // or with signals dated after it) are evaluated directly.
    std::vector<std::string> early;
    RETURN_IF_ERROR(
        txn.Scan(kReadinessFrom, scope,
                 ReadinessFromKey(absl::ToUnixNanos(as_of), "\xff", solution),
                 [&](absl::string_view key, absl::string_view) {
                   if (past_end(key)) return false;
                   key.remove_prefix(scope.size());
                   early.emplace_back(key.substr(key.find('|') + 1));
                   return true;
                 }));
    std::set<std::string> unbounded(early.begin(), early.end());
    for (const std::string& name : early) RETURN_IF_ERROR(consider(name));
    for (const std::string& name : next.pending()) {
      RETURN_IF_ERROR(consider(name));
    }

    // The index in bound order: an account's readiness at as_of is at most
    // its bound, so the best evaluated account is final once no unread
    // bound can beat it.
    bool full = false;
    std::string stopped_at;
    if (!next.exhausted()) {
      bool reached_end = true;
      absl::Status scan_status = absl::OkStatus();
      RETURN_IF_ERROR(txn.Scan(
          kReadiness, scope, next.index_key(),
          [&](absl::string_view full_key, absl::string_view) {
            if (past_end(full_key)) return false;
            absl::string_view key = full_key.substr(scope.size());
            int stored = 0;
            if (key.size() < 4 ||
                !absl::SimpleAtoi(key.substr(0, 3), &stored)) {
              scan_status = absl::DataLossError(
                  absl::StrCat("corrupt readiness index key \"",
                               absl::CHexEscape(full_key), "\""));
              return false;
            }
            const int bound = 999 - stored;
            std::string name(key.substr(4));
            while (!heap.empty() && (heap.top().item.readiness() > bound ||
                                     (heap.top().item.readiness() == bound &&
                                      heap.top().item.account() < name))) {
              emit();
              if (response.accounts_size() == page_size) {
                full = true;
                reached_end = false;
                return false;
              }
            }
            if (bound < request.min_readiness()) return false;  // None left.
            if (unbounded.count(name) == 0) {
              scan_status = consider(name);
              if (!scan_status.ok()) return false;
            }
            stopped_at = std::string(full_key);
            return true;
          }));
      RETURN_IF_ERROR(scan_status);
      if (!stopped_at.empty()) next.set_index_key(stopped_at);
      next.set_exhausted(reached_end);
    }
    while (!full && !heap.empty()) {
      emit();
      if (response.accounts_size() == page_size) full = true;
    }
    next.clear_pending();
    // Accounts without a bound are evaluated again on every page: the token
    // need not carry them.
    std::priority_queue<Ranked> rest = heap;
    while (!rest.empty()) {
      if (unbounded.count(rest.top().item.account()) == 0) {
        next.add_pending(rest.top().item.account());
      }
      rest.pop();
    }
    if (!heap.empty() || !next.exhausted()) {
      response.set_next_page_token(EncodeToken(next));
    }
    return absl::OkStatus();
  }));
  return response;
}

// ------------------------------------------------------------ change feed

bool MatchesWatch(const v1::WatchReadinessRequest& r,
                  const v1::ReadinessEvent& e) {
  if (e.solution() != r.solution()) return false;
  if (!r.routes().empty() &&
      std::find(r.routes().begin(), r.routes().end(), e.old_route()) ==
          r.routes().end() &&
      std::find(r.routes().begin(), r.routes().end(), e.new_route()) ==
          r.routes().end()) {
    return false;
  }
  if (!r.statuses().empty() &&
      std::find(r.statuses().begin(), r.statuses().end(), e.status()) ==
          r.statuses().end()) {
    return false;
  }
  if (!r.country_code().empty() && e.country_code() != r.country_code()) {
    return false;
  }
  if (!r.owner().empty() && e.owner() != r.owner()) return false;
  if (r.stage() != v1::EVALUATION_STAGE_UNSPECIFIED && e.stage() != r.stage()) {
    return false;
  }
  return e.new_readiness() >= r.min_readiness();
}

namespace {

inline constexpr char kErrorInfoUrl[] =
    "type.googleapis.com/google.rpc.ErrorInfo";

// OUT_OF_RANGE for a position outside the retained range [first, head].
absl::Status OutOfRange(absl::string_view field, int64_t value, int64_t first,
                        int64_t head, absl::string_view why) {
  absl::Status status = absl::OutOfRangeError(absl::StrCat(
      field, " ", value, " ", why, "; the feed retains ",
      first <= head ? absl::StrCat("events ", first, " to ", head)
                    : absl::StrCat("no events (the next is ", first, ")"),
      ": resume with start_sequence ", first, " (or 1, every retained event)"));
  google::rpc::ErrorInfo info;
  info.set_reason("SEQUENCE_OUT_OF_RANGE");
  info.set_domain("quorum.v1");
  (*info.mutable_metadata())["field"] = std::string(field);
  (*info.mutable_metadata())["first_sequence"] = absl::StrCat(first);
  (*info.mutable_metadata())["head_sequence"] = absl::StrCat(head);
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

}  // namespace

absl::StatusOr<std::vector<v1::ReadinessEvent>> Readiness::ReadinessEvents(
    int64_t after_sequence, int limit, absl::string_view solution) {
  std::vector<v1::ReadinessEvent> events;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(const int64_t first, FirstRetainedSequence(txn, solution));
    if (after_sequence + 1 < first) {
      ASSIGN_OR_RETURN(const int64_t head, LastSequence(txn, solution));
      return OutOfRange("after_sequence", after_sequence, first, head,
                        "is before the first retained event less one "
                        "(compacted)");
    }
    absl::Status parse = absl::OkStatus();
    // The accounts' own feed has no scope: the solutions' feeds follow it.
    const std::string scope = ReadinessScope(solution);
    RETURN_IF_ERROR(txn.Scan(
        kReadinessEvents, scope, EventKey(after_sequence, solution),
        [&](absl::string_view key, absl::string_view value) {
          if (solution.empty() && absl::StartsWith(key, kSolutionScopes)) {
            return false;
          }
          v1::ReadinessEvent e;
          if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parse = absl::DataLossError("corrupt readiness event");
            return false;
          }
          events.push_back(std::move(e));
          return static_cast<int>(events.size()) < limit;
        }));
    return parse;
  }));
  return events;
}

absl::Status Readiness::CheckWatch(const v1::WatchReadinessRequest& request) {
  Violations violations;
  if (request.after_sequence() < 0) {
    violations.Add("after_sequence", "must not be negative");
  }
  if (request.start_sequence() < 0) {
    violations.Add("start_sequence", "must not be negative");
  } else if (request.start_sequence() > 0 && request.after_sequence() > 0) {
    violations.Add("start_sequence",
                   "cannot be set with after_sequence: start_sequence N is "
                   "after_sequence N - 1");
  }
  CheckSolutionId(request.solution(), &violations);
  if (violations.empty() && !request.solution().empty()) {
    RETURN_IF_ERROR(CheckSolution(request.solution(), "solution"));
  }
  return violations.ToStatus();
}

absl::Status Readiness::CheckSolution(absl::string_view solution,
                                      const std::string& field) {
  Violations violations;
  auto policy = store_.CurrentPolicy();
  if (absl::IsNotFound(policy.status())) {
    CheckHasSolution(v1::Policy(), solution, field, &violations);
  } else {
    RETURN_IF_ERROR(policy.status());
    CheckHasSolution((*policy)->policy(), solution, field, &violations);
  }
  return violations.ToStatus();
}

absl::StatusOr<Readiness::WatchStart> Readiness::StartWatch(
    const v1::WatchReadinessRequest& request) {
  RETURN_IF_ERROR(CheckWatch(request));
  WatchStart start;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(start.head, LastSequence(txn, request.solution()));
    ASSIGN_OR_RETURN(start.first,
                     FirstRetainedSequence(txn, request.solution()));
    return absl::OkStatus();
  }));
  const int64_t s = request.start_sequence();
  const int64_t a = request.after_sequence();
  if (s == 1) {
    start.after = start.first - 1;
  } else if (s > 1) {
    if (s > start.head + 1) {
      return OutOfRange("start_sequence", s, start.first, start.head,
                        "is beyond the head plus one");
    }
    if (s < start.first) {
      return OutOfRange("start_sequence", s, start.first, start.head,
                        "is before the first retained event (compacted)");
    }
    start.after = s - 1;
  } else if (a > 0) {
    if (a > start.head) {
      return OutOfRange("after_sequence", a, start.first, start.head,
                        "is beyond the head");
    }
    if (a + 1 < start.first) {
      return OutOfRange("after_sequence", a, start.first, start.head,
                        "is before the first retained event less one "
                        "(compacted)");
    }
    start.after = a;
  } else {
    start.after = start.head;
  }
  return start;
}

int64_t Readiness::LastEventSequence(absl::string_view solution) {
  int64_t last = 0;
  store_
      .Read([&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(last, LastSequence(txn, solution));
        return absl::OkStatus();
      })
      .IgnoreError();
  return last;
}

bool Readiness::WaitForEvents(int64_t after_sequence, absl::Duration timeout,
                              absl::string_view solution) {
  const int64_t seen = store_.commits();
  if (LastEventSequence(solution) > after_sequence) return true;
  store_.WaitForCommitAfter(seen, timeout);
  return LastEventSequence(solution) > after_sequence;
}

int64_t Readiness::FeedsVersion() {
  int64_t version = 0;
  store_
      .Read([&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(version, internal::FeedsVersion(txn));
        return absl::OkStatus();
      })
      .IgnoreError();
  return version;
}

bool Readiness::WaitForFeedsAfter(int64_t version, absl::Duration timeout) {
  const int64_t seen = store_.commits();
  if (FeedsVersion() > version) return true;
  store_.WaitForCommitAfter(seen, timeout);
  return FeedsVersion() > version;
}

// ------------------------------------------- time-driven events, retention

namespace {
// Accounts re-indexed, and events compacted, per write.
constexpr size_t kDueBatch = 256;
constexpr size_t kCompactBatch = 1000;
}  // namespace

absl::StatusOr<std::optional<absl::Time>> Readiness::RunDue(
    const FeedOptions& options) {
  std::optional<absl::Time> next;
  while (true) {
    ASSIGN_OR_RETURN(Store::DueStep step, store_.EmitDueEvents(kDueBatch));
    next = step.next_due;
    if (step.evaluated < static_cast<int>(kDueBatch)) break;
  }
  while (true) {
    ASSIGN_OR_RETURN(int removed, store_.CompactEvents(options.retention_events,
                                                       options.retention_age,
                                                       kCompactBatch));
    if (removed < static_cast<int>(kCompactBatch)) break;
  }
  return next;
}

void Readiness::StartScheduler(FeedOptions options) {
  std::lock_guard lock(scheduler_mu_);
  if (scheduler_.joinable() || scheduler_stop_) return;
  scheduler_ = std::thread([this, options] { Schedule(options); });
}

void Readiness::Schedule(FeedOptions options) {
  while (true) {
    absl::Duration wait = options.poll;
    // A failed step (a full disk, say) is tried again at the next poll.
    auto next = RunDue(options);
    if (next.ok() && next->has_value()) {
      wait =
          std::min(wait, std::max(absl::ZeroDuration(), **next - store_.Now()));
    }
    std::unique_lock lock(scheduler_mu_);
    if (scheduler_cv_.wait_for(
            lock,
            absl::ToChronoMilliseconds(wait) + std::chrono::milliseconds(1),
            [this] { return scheduler_stop_; })) {
      return;
    }
  }
}

void Readiness::StopScheduler() {
  {
    std::lock_guard lock(scheduler_mu_);
    scheduler_stop_ = true;
  }
  scheduler_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

Readiness::~Readiness() { StopScheduler(); }

}  // namespace quorum::graph
