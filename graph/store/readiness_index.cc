// The readiness index and change feed, kept in step with every write by
// Store::Write (docs/workflow.md).
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
#include "graph/store/store.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: the records of graph/store/records.h.

namespace {

// ------------------------------------------------------- readiness index

using storage::ReadinessEntry;

absl::StatusOr<std::optional<ReadinessEntry>> LoadEntry(
    Txn& txn, absl::string_view account, absl::string_view solution) {
  return Load<ReadinessEntry>(txn, kReadinessOf,
                              ReadinessOfKey(account, solution));
}

// An entry as readiness_v1 stored it: "{key}\n{valid from}\n{route}\n
// {readiness}" (read only to upgrade it).
std::optional<ReadinessEntry> DecodeLegacyEntry(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, '\n');
  int64_t valid_from = 0;
  int route = 0, readiness = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &valid_from) ||
      !absl::SimpleAtoi(parts[2], &route) ||
      !absl::SimpleAtoi(parts[3], &readiness)) {
    return std::nullopt;
  }
  ReadinessEntry e;
  e.set_index_key(std::string(parts[0]));
  e.set_valid_from_nanos(valid_from);
  e.set_route(route);
  e.set_readiness(readiness);
  return e;
}

absl::Status RemoveEntry(Txn& txn, absl::string_view account,
                         absl::string_view solution,
                         const ReadinessEntry& entry) {
  RETURN_IF_ERROR(txn.Delete(kReadiness, entry.index_key()));
  if (entry.due_nanos() != 0) {
    RETURN_IF_ERROR(txn.Delete(
        kReadinessDue, ReadinessDueKey(entry.due_nanos(), account, solution)));
  }
  RETURN_IF_ERROR(txn.Delete(
      kReadinessFrom,
      ReadinessFromKey(entry.valid_from_nanos(), account, solution)));
  return txn.Delete(kReadinessOf, ReadinessOfKey(account, solution));
}

}  // namespace

namespace internal {
namespace {

absl::StatusOr<int64_t> MetaNumber(Txn& txn, const std::string& key) {
  int64_t number = 0;
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(kMeta, key));
  if (value && !absl::SimpleAtoi(*value, &number)) {
    return absl::DataLossError(absl::StrCat("corrupt ", key));
  }
  return number;
}

// Visits each feed's sequence key in meta ("event_seq", then
// "event_seq|{solution}") with the feed's solution and last number.
absl::Status ScanFeeds(
    Txn& txn,
    const std::function<void(absl::string_view solution, int64_t last)>& fn) {
  absl::Status parse = absl::OkStatus();
  RETURN_IF_ERROR(txn.Scan(
      kMeta, kEventSequenceKey, "",
      [&](absl::string_view key, absl::string_view value) {
        absl::string_view solution = key.substr(kEventSequenceKey.size());
        if (!solution.empty() && !absl::ConsumePrefix(&solution, "|")) {
          return true;  // Another key that happens to share the prefix.
        }
        int64_t last = 0;
        if (!absl::SimpleAtoi(value, &last)) {
          parse = absl::DataLossError(absl::StrCat("corrupt ", key));
          return false;
        }
        fn(solution, last);
        return true;
      }));
  return parse;
}

}  // namespace

absl::StatusOr<int64_t> LastSequence(Txn& txn, absl::string_view solution) {
  return MetaNumber(txn, EventSequenceKey(solution));
}

absl::StatusOr<int64_t> FirstRetainedSequence(Txn& txn,
                                              absl::string_view solution) {
  ASSIGN_OR_RETURN(const int64_t compacted,
                   MetaNumber(txn, EventsCompactedKey(solution)));
  return compacted + 1;
}

absl::StatusOr<std::vector<std::string>> FeedSolutions(Txn& txn) {
  std::vector<std::string> solutions;
  RETURN_IF_ERROR(ScanFeeds(txn, [&](absl::string_view solution, int64_t) {
    if (!solution.empty()) solutions.emplace_back(solution);
  }));
  return solutions;
}

absl::StatusOr<int64_t> FeedsVersion(Txn& txn) {
  int64_t version = 0;
  RETURN_IF_ERROR(ScanFeeds(
      txn, [&](absl::string_view, int64_t last) { version += last; }));
  return version;
}

}  // namespace internal

namespace {

// Appends `event` to the feed of its solution, numbered after its last.
absl::Status AppendEvent(Txn& txn, v1::ReadinessEvent event) {
  const std::string& solution = event.solution();
  ASSIGN_OR_RETURN(int64_t last, LastSequence(txn, solution));
  event.set_sequence(last + 1);
  RETURN_IF_ERROR(
      txn.Put(kMeta, EventSequenceKey(solution), absl::StrCat(last + 1)));
  return Save(txn, kReadinessEvents, EventKey(last + 1, solution), event);
}

// The time from which a verdict computed now bounds the future: now, or
// the latest signal if one is dated later.
absl::Time ValidFrom(const SignalHistory& signals, absl::Time now) {
  const auto newest = signals.newest_nanos();
  return newest ? std::max(now, absl::FromUnixNanos(*newest)) : now;
}

// Why an account is re-indexed: what its event, if any, says.
struct Cause {
  v1::ReadinessEvent::Cause cause = v1::ReadinessEvent::CAUSE_WRITE;
  std::set<std::string> written_accounts;  // Names (CAUSE_WRITE).
  std::set<std::string> signals;           // Names (CAUSE_WRITE).
  int64_t due_nanos = 0;                   // CAUSE_TIME.
};

// The name of the signal stored under `key` in `signals`
// ("accounts/{a}|{inverted time}|{id}").
std::string SignalNameOfKey(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, '|');
  if (parts.size() != 3) return std::string(key);
  return absl::StrCat(parts[0], "/signals/", parts[2]);
}

// The active policy as the index judges with it: as itself, for each
// account's own verdict, and as each of its solutions sees it.
struct IndexedPolicy {
  const v1::PolicyRevision& revision;
  std::map<std::string, v1::Policy> solutions;  // By solution ID.

  static absl::StatusOr<IndexedPolicy> Of(const v1::PolicyRevision& revision) {
    IndexedPolicy indexed{revision, {}};
    for (const v1::Solution& s : revision.policy().solutions()) {
      ASSIGN_OR_RETURN(indexed.solutions[s.id()],
                       PolicyForSolution(revision.policy(), s.id()));
    }
    return indexed;
  }
};

// Recomputes one entry of an account, its own (`solution` empty, `judged`
// the policy) or a solution's (`judged` the policy as the solution sees
// it), from its tree (null when the account is gone) and appends an event
// when its route or readiness changed; the entry keeps when route or
// readiness may next change with time alone, in `readiness_due`.
absl::Status ReindexEntry(Txn& txn, const std::string& account_id,
                          const TreeSnapshot* tree,
                          const v1::PolicyRevision& policy,
                          absl::string_view solution, const v1::Policy& judged,
                          absl::Time now, const Cause& cause) {
  const std::string name = names::Account(account_id);
  ASSIGN_OR_RETURN(std::optional<ReadinessEntry> old,
                   LoadEntry(txn, name, solution));
  v1::ReadinessEvent event;
  event.set_account(name);
  event.set_solution(std::string(solution));
  *event.mutable_event_time() = ToProto(now);
  event.set_policy_revision(policy.revision());
  event.set_cause(cause.cause);
  for (const std::string& a : cause.written_accounts) {
    event.add_written_accounts(a);
  }
  for (const std::string& s : cause.signals) event.add_signals(s);
  if (cause.due_nanos != 0) {
    *event.mutable_due_time() = ToProto(absl::FromUnixNanos(cause.due_nanos));
  }
  if (old) {
    event.set_old_route(static_cast<v1::Route>(old->route()));
    event.set_old_readiness(old->readiness());
    RETURN_IF_ERROR(RemoveEntry(txn, name, solution, *old));
  }
  if (tree == nullptr) {  // Deleted.
    if (old) RETURN_IF_ERROR(AppendEvent(txn, event));
    return absl::OkStatus();
  }
  const v1::Account& account = tree->map->account();
  const absl::Time valid_from = ValidFrom(*tree->signals, now);
  const v1::Verdict verdict = QualifyRoute(*tree->map, *tree->signals, judged,
                                           policy.revision(), valid_from);
  ReadinessEntry entry;
  entry.set_index_key(ReadinessKey(verdict.readiness(), name, solution));
  entry.set_valid_from_nanos(absl::ToUnixNanos(valid_from));
  entry.set_route(verdict.route());
  entry.set_readiness(verdict.readiness());
  const std::optional<absl::Time> due =
      NextTimeChange(*tree->map, *tree->signals, judged, verdict, valid_from);
  if (due) {
    entry.set_due_nanos(absl::ToUnixNanos(*due));
    RETURN_IF_ERROR(txn.Put(
        kReadinessDue, ReadinessDueKey(entry.due_nanos(), name, solution), ""));
  }
  RETURN_IF_ERROR(txn.Put(kReadiness, entry.index_key(), ""));
  RETURN_IF_ERROR(
      txn.Put(kReadinessFrom,
              ReadinessFromKey(entry.valid_from_nanos(), name, solution), ""));
  RETURN_IF_ERROR(
      Save(txn, kReadinessOf, ReadinessOfKey(name, solution), entry));
  if (old && old->route() == entry.route() &&
      old->readiness() == entry.readiness()) {
    return absl::OkStatus();
  }
  event.set_new_route(verdict.route());
  event.set_new_readiness(verdict.readiness());
  event.set_status(account.lifecycle_status());
  event.set_country_code(account.country_code());
  event.set_owner(account.owner());
  event.set_stage(verdict.stage());
  return AppendEvent(txn, event);
}

// Recomputes every entry of an account: its own and one per solution.
absl::Status ReindexOne(Txn& txn, const std::string& account_id,
                        const TreeSnapshot* tree, const IndexedPolicy& policy,
                        absl::Time now, const Cause& cause) {
  RETURN_IF_ERROR(ReindexEntry(txn, account_id, tree, policy.revision, "",
                               policy.revision.policy(), now, cause));
  for (const auto& [solution, judged] : policy.solutions) {
    RETURN_IF_ERROR(ReindexEntry(txn, account_id, tree, policy.revision,
                                 solution, judged, now, cause));
  }
  return absl::OkStatus();
}

// Removes the entries of solutions that `policy` no longer has, each with
// an event that ends its verdict (new_route UNSPECIFIED).
absl::Status DropStaleSolutions(Txn& txn, const IndexedPolicy& policy,
                                absl::Time now, const Cause& cause) {
  std::vector<std::pair<std::string, std::string>> stale;  // Solution, name.
  RETURN_IF_ERROR(
      txn.Scan(kReadinessOf, kSolutionScopes, "",
               [&](absl::string_view key, absl::string_view) {
                 absl::string_view rest = key.substr(kSolutionScopes.size());
                 const size_t bar = rest.find('|');
                 if (bar == absl::string_view::npos) return true;
                 std::string solution(rest.substr(0, bar));
                 if (policy.solutions.count(solution) == 0) {
                   stale.emplace_back(std::move(solution),
                                      std::string(rest.substr(bar + 1)));
                 }
                 return true;
               }));
  for (const auto& [solution, name] : stale) {
    ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "account"));
    RETURN_IF_ERROR(ReindexEntry(txn, id, nullptr, policy.revision, solution,
                                 policy.revision.policy(), now, cause));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

absl::Status UpgradeReadinessIndex(Txn& txn, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<std::string> done,
                   txn.Get(kMeta, kReadinessBuiltKey));
  if (done) {
    // Entries of a server without time events get their due times once
    // (and the events of what decayed since their last write); those of a
    // server without solution entries get them (and the events of each
    // solution's first verdicts).
    ASSIGN_OR_RETURN(std::optional<std::string> due_built,
                     txn.Get(kMeta, kReadinessDueBuiltKey));
    ASSIGN_OR_RETURN(std::optional<std::string> solutions_built,
                     txn.Get(kMeta, kReadinessSolutionsBuiltKey));
    if (due_built && solutions_built) return absl::OkStatus();
    RETURN_IF_ERROR(ReindexAll(txn, now, v1::ReadinessEvent::CAUSE_TIME));
    RETURN_IF_ERROR(txn.Put(kMeta, kReadinessSolutionsBuiltKey, "1"));
    return txn.Put(kMeta, kReadinessDueBuiltKey, "1");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> v1_built,
                   txn.Get(kMeta, "readiness_v1"));
  if (!v1_built) {
    RETURN_IF_ERROR(ReindexAll(txn, now));
  } else {
    // The index of readiness_v1 holds; only its entries change form.
    std::vector<std::pair<std::string, std::string>> legacy;
    RETURN_IF_ERROR(txn.Scan(kReadinessOf, "", "",
                             [&](absl::string_view k, absl::string_view v) {
                               legacy.emplace_back(k, v);
                               return true;
                             }));
    for (auto& [account, value] : legacy) {
      std::optional<ReadinessEntry> entry = DecodeLegacyEntry(value);
      if (!entry) {
        return absl::DataLossError(absl::StrCat("corrupt readiness entry of ",
                                                account, ": \"",
                                                absl::CHexEscape(value), "\""));
      }
      RETURN_IF_ERROR(txn.Put(kReadiness, entry->index_key(), ""));
      RETURN_IF_ERROR(Save(txn, kReadinessOf, account, *entry));
    }
    RETURN_IF_ERROR(txn.Delete(kMeta, "readiness_v1"));
    // Their due times come with a full re-index.
    RETURN_IF_ERROR(ReindexAll(txn, now, v1::ReadinessEvent::CAUSE_TIME));
  }
  RETURN_IF_ERROR(txn.Put(kMeta, kReadinessDueBuiltKey, "1"));
  RETURN_IF_ERROR(txn.Put(kMeta, kReadinessSolutionsBuiltKey, "1"));
  return txn.Put(kMeta, kReadinessBuiltKey, "1");
}

absl::Status ReindexAll(Txn& txn, absl::Time now,
                        v1::ReadinessEvent::Cause cause) {
  auto policy = ActivePolicy(txn);
  if (absl::IsNotFound(policy.status())) return absl::OkStatus();
  RETURN_IF_ERROR(policy.status());
  std::vector<std::string> ids;
  RETURN_IF_ERROR(txn.Scan(kAccounts, "accounts/", "",
                           [&](absl::string_view key, absl::string_view) {
                             ids.push_back(AccountIdOf(key));
                             return true;
                           }));
  ASSIGN_OR_RETURN(const IndexedPolicy indexed, IndexedPolicy::Of(*policy));
  const absl::Duration half_life = HalfLifeOf(policy->policy());
  Cause why;
  why.cause = cause;
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                     ReadSnapshot(txn, id, half_life));
    RETURN_IF_ERROR(ReindexOne(txn, id, tree.get(), indexed, now, why));
  }
  return DropStaleSolutions(txn, indexed, now, why);
}

}  // namespace internal

absl::Status Store::Reindex(Txn& txn) {
  auto policy = ActivePolicyIn(txn);
  if (absl::IsNotFound(policy.status())) return absl::OkStatus();
  RETURN_IF_ERROR(policy.status());
  const v1::PolicyRevision& active = **policy;
  ASSIGN_OR_RETURN(const IndexedPolicy indexed, IndexedPolicy::Of(active));
  const absl::Duration half_life = HalfLifeOf(active.policy());
  const absl::Time now = clock_();
  // The touched accounts and their ancestors: a verdict covers a subtree.
  // Each learns what changed below it: new signals only, or more.
  std::map<std::string, TreeChanges> affected;
  std::map<std::string, Cause> causes;
  for (const auto& [id, changes] : changes_) {
    ASSIGN_OR_RETURN(std::optional<std::string> exists,
                     txn.Get(kAccounts, names::Account(id)));
    std::vector<std::string> chain = {id};
    if (exists) {
      ASSIGN_OR_RETURN(chain, Ancestry(txn, id));
    }
    for (const std::string& a : chain) {
      TreeChanges& into = affected[a];
      into.structure |= changes.structure;
      into.history |= changes.history;
      into.signals.insert(into.signals.end(), changes.signals.begin(),
                          changes.signals.end());
      Cause& why = causes[a];
      why.written_accounts.insert(names::Account(id));
      for (const std::string& key : changes.signals) {
        why.signals.insert(SignalNameOfKey(key));
      }
    }
  }
  for (auto& [id, changes] : affected) {
    ASSIGN_OR_RETURN(std::optional<std::string> exists,
                     txn.Get(kAccounts, names::Account(id)));
    std::shared_ptr<const TreeSnapshot> tree;
    if (exists) {
      ASSIGN_OR_RETURN(tree, NextSnapshot(txn, id, changes, half_life));
    }
    RETURN_IF_ERROR(ReindexOne(txn, id, tree.get(), indexed, now, causes[id]));
    pending_[id] = std::move(tree);
  }
  return absl::OkStatus();
}

}  // namespace quorum::graph

namespace quorum::graph {

absl::StatusOr<Store::DueStep> Store::EmitDueEvents(size_t limit) {
  DueStep step;
  const absl::Time now = clock_();
  const int64_t now_nanos = absl::ToUnixNanos(now);
  // The earliest due time, read first: no write while nothing is due.
  std::optional<int64_t> earliest;
  RETURN_IF_ERROR(Read([&](Txn& txn) {
    return txn.Scan(
        kReadinessDue, "", "", [&](absl::string_view key, absl::string_view) {
          int64_t nanos = 0;
          if (absl::SimpleAtoi(key.substr(0, key.find('|')), &nanos)) {
            earliest = nanos;
          }
          return false;
        });
  }));
  if (!earliest || *earliest > now_nanos) {
    if (earliest) step.next_due = absl::FromUnixNanos(*earliest);
    return step;
  }
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    step = DueStep();
    auto policy = ActivePolicyIn(txn);
    if (absl::IsNotFound(policy.status())) return absl::OkStatus();
    RETURN_IF_ERROR(policy.status());
    const v1::PolicyRevision& active = **policy;
    ASSIGN_OR_RETURN(const IndexedPolicy indexed, IndexedPolicy::Of(active));
    const absl::Duration half_life = HalfLifeOf(active.policy());
    // What fell due by now, earliest first, at most `limit`: the time, the
    // account and the solution (empty: the account's own entry).
    struct Due {
      int64_t nanos;
      std::string account;
      std::string solution;
    };
    std::vector<Due> due;
    absl::Status parse = absl::OkStatus();
    bool more = false;
    RETURN_IF_ERROR(txn.Scan(
        kReadinessDue, "", "", [&](absl::string_view key, absl::string_view) {
          int64_t nanos = 0;
          const size_t bar = key.find('|');
          if (bar == absl::string_view::npos ||
              !absl::SimpleAtoi(key.substr(0, bar), &nanos)) {
            parse = absl::DataLossError(absl::StrCat(
                "corrupt readiness_due key \"", absl::CHexEscape(key), "\""));
            return false;
          }
          if (nanos > now_nanos) return false;
          if (due.size() == limit) {
            more = true;
            return false;
          }
          std::vector<std::string> rest =
              absl::StrSplit(key.substr(bar + 1), absl::MaxSplits('|', 1));
          rest.resize(2);
          due.push_back(Due{nanos, std::move(rest[0]), std::move(rest[1])});
          return true;
        }));
    RETURN_IF_ERROR(parse);
    for (const Due& d : due) {
      ASSIGN_OR_RETURN(std::string id,
                       names::ParseAccount(d.account, "account"));
      ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                       TreeInWrite(txn, id, half_life));
      Cause why;
      why.cause = v1::ReadinessEvent::CAUSE_TIME;
      why.due_nanos = d.nanos;
      // The entry that fell due; one of a solution the policy no longer
      // has ends.
      const v1::Policy* judged = &active.policy();
      if (!d.solution.empty()) {
        auto found = indexed.solutions.find(d.solution);
        judged = found == indexed.solutions.end() ? nullptr : &found->second;
      }
      ASSIGN_OR_RETURN(const int64_t before, LastSequence(txn));
      RETURN_IF_ERROR(ReindexEntry(
          txn, id, judged ? tree.get() : nullptr, active, d.solution,
          judged ? *judged : active.policy(), now, why));
      ASSIGN_OR_RETURN(const int64_t after, LastSequence(txn));
      step.evaluated++;
      step.emitted += static_cast<int>(after - before);
    }
    if (more) {
      step.next_due = now;
      return absl::OkStatus();
    }
    return txn.Scan(
        kReadinessDue, "", "", [&](absl::string_view key, absl::string_view) {
          int64_t nanos = 0;
          if (absl::SimpleAtoi(key.substr(0, key.find('|')), &nanos)) {
            step.next_due = absl::FromUnixNanos(nanos);
          }
          return false;
        });
  }));
  return step;
}

namespace {

// Removes the oldest events of one feed beyond `max_events` or older than
// `oldest_kept`, while `*removed` stays under `limit`; counts them there.
absl::Status CompactFeed(Txn& txn, absl::string_view solution,
                         int64_t max_events, absl::Duration max_age,
                         absl::Time oldest_kept, size_t limit, int* removed) {
  ASSIGN_OR_RETURN(const int64_t head, LastSequence(txn, solution));
  ASSIGN_OR_RETURN(const int64_t first, FirstRetainedSequence(txn, solution));
  int64_t seq = first;
  for (; seq <= head && static_cast<size_t>(*removed) < limit; ++seq) {
    bool drop = max_events > 0 && head - seq + 1 > max_events;
    if (!drop && max_age > absl::ZeroDuration()) {
      ASSIGN_OR_RETURN(std::optional<v1::ReadinessEvent> event,
                       Load<v1::ReadinessEvent>(txn, kReadinessEvents,
                                                EventKey(seq, solution)));
      drop = event && ToTime(event->event_time()) < oldest_kept;
    }
    if (!drop) break;
    RETURN_IF_ERROR(txn.Delete(kReadinessEvents, EventKey(seq, solution)));
    ++*removed;
  }
  if (seq == first) return absl::OkStatus();
  return txn.Put(kMeta, EventsCompactedKey(solution), absl::StrCat(seq - 1));
}

// Whether one feed holds an event to compact away.
absl::StatusOr<bool> FeedIsOver(Txn& txn, absl::string_view solution,
                                int64_t max_events, absl::Duration max_age,
                                absl::Time oldest_kept) {
  ASSIGN_OR_RETURN(const int64_t head, LastSequence(txn, solution));
  ASSIGN_OR_RETURN(const int64_t first, FirstRetainedSequence(txn, solution));
  if (first > head) return false;
  if (max_events > 0 && head - first + 1 > max_events) return true;
  if (max_age <= absl::ZeroDuration()) return false;
  ASSIGN_OR_RETURN(std::optional<v1::ReadinessEvent> event,
                   Load<v1::ReadinessEvent>(txn, kReadinessEvents,
                                            EventKey(first, solution)));
  return event && ToTime(event->event_time()) < oldest_kept;
}

}  // namespace

absl::StatusOr<int> Store::CompactEvents(int64_t max_events,
                                         absl::Duration max_age, size_t limit) {
  if (max_events <= 0 && max_age <= absl::ZeroDuration()) return 0;
  const absl::Time oldest_kept = clock_() - max_age;
  // Read first: no write while nothing is to go. The limits hold for each
  // feed (the accounts' own and every solution's) alike.
  std::vector<std::string> over;
  RETURN_IF_ERROR(Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> feeds, FeedSolutions(txn));
    feeds.insert(feeds.begin(), "");
    for (const std::string& solution : feeds) {
      ASSIGN_OR_RETURN(const bool is_over, FeedIsOver(txn, solution, max_events,
                                                      max_age, oldest_kept));
      if (is_over) over.push_back(solution);
    }
    return absl::OkStatus();
  }));
  if (over.empty()) return 0;
  int removed = 0;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    removed = 0;
    for (const std::string& solution : over) {
      if (static_cast<size_t>(removed) >= limit) break;
      RETURN_IF_ERROR(CompactFeed(txn, solution, max_events, max_age,
                                  oldest_kept, limit, &removed));
    }
    return absl::OkStatus();
  }));
  return removed;
}

}  // namespace quorum::graph
