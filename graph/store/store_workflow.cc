// graph::Store: statuses, handoffs, metrics, the readiness index, listing
// and change feed, and policy simulation. See docs/workflow.md.
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
#include "graph/rules/workflow.h"
#include "graph/storage/records.pb.h"
#include "graph/store/store.h"
#include "graph/store/store_internal.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: this file implements the store.
using google::protobuf::util::TimeUtil;

namespace {

constexpr int kRecentNotes = 5;

// ------------------------------------------------------- readiness index

using storage::ReadinessEntry;

absl::StatusOr<std::optional<ReadinessEntry>> LoadEntry(
    Txn& txn, absl::string_view account) {
  return Load<ReadinessEntry>(txn, kReadinessOf, account);
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
                         const ReadinessEntry& entry) {
  RETURN_IF_ERROR(txn.Delete(kReadiness, entry.index_key()));
  RETURN_IF_ERROR(txn.Delete(
      kReadinessFrom, ReadinessFromKey(entry.valid_from_nanos(), account)));
  return txn.Delete(kReadinessOf, account);
}

absl::StatusOr<int64_t> LastSequence(Txn& txn) {
  int64_t last = 0;
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   txn.Get(kMeta, kEventSequenceKey));
  if (value && !absl::SimpleAtoi(*value, &last)) {
    return absl::DataLossError("corrupt event sequence");
  }
  return last;
}

absl::Status AppendEvent(Txn& txn, v1::ReadinessEvent event) {
  ASSIGN_OR_RETURN(int64_t last, LastSequence(txn));
  event.set_sequence(last + 1);
  RETURN_IF_ERROR(txn.Put(kMeta, kEventSequenceKey, absl::StrCat(last + 1)));
  return Save(txn, kReadinessEvents, EventKey(last + 1), event);
}

// The time from which a verdict computed now bounds the future: now, or
// the latest signal if one is dated later.
absl::Time ValidFrom(const SignalHistory& signals, absl::Time now) {
  const auto newest = signals.newest_nanos();
  return newest ? std::max(now, absl::FromUnixNanos(*newest)) : now;
}

// Recomputes one account's entry from its tree (null when the account is
// gone) and appends an event when its route or readiness changed.
absl::Status ReindexOne(Txn& txn, const std::string& account_id,
                        const TreeSnapshot* tree,
                        const v1::PolicyRevision& policy, absl::Time now) {
  const std::string name = names::Account(account_id);
  ASSIGN_OR_RETURN(std::optional<ReadinessEntry> old, LoadEntry(txn, name));
  v1::ReadinessEvent event;
  event.set_account(name);
  *event.mutable_event_time() = ToProto(now);
  event.set_policy_revision(policy.revision());
  if (old) {
    event.set_old_route(static_cast<v1::Route>(old->route()));
    event.set_old_readiness(old->readiness());
    RETURN_IF_ERROR(RemoveEntry(txn, name, *old));
  }
  if (tree == nullptr) {  // Deleted.
    if (old) RETURN_IF_ERROR(AppendEvent(txn, event));
    return absl::OkStatus();
  }
  const v1::Account& account = tree->map->account();
  const absl::Time valid_from = ValidFrom(*tree->signals, now);
  const v1::Verdict verdict = QualifyRoute(*tree->map, *tree->signals,
                                           policy.policy(), policy.revision(),
                                           valid_from);
  ReadinessEntry entry;
  entry.set_index_key(ReadinessKey(verdict.readiness(), name));
  entry.set_valid_from_nanos(absl::ToUnixNanos(valid_from));
  entry.set_route(verdict.route());
  entry.set_readiness(verdict.readiness());
  RETURN_IF_ERROR(txn.Put(kReadiness, entry.index_key(), ""));
  RETURN_IF_ERROR(txn.Put(
      kReadinessFrom, ReadinessFromKey(entry.valid_from_nanos(), name), ""));
  RETURN_IF_ERROR(Save(txn, kReadinessOf, name, entry));
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

// --------------------------------------------------------------- history

absl::StatusOr<v1::StatusChange> AppendStatusChange(
    Txn& txn, v1::Account* account, v1::LifecycleStatus to,
    const std::string& reason, const std::string& actor,
    const std::string& handoff, const v1::Verdict& verdict, absl::Time now) {
  const std::string account_id = AccountIdOf(account->name());
  v1::StatusChange change;
  ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
  const std::string id = absl::StrCat("c-", absl::Hex(seq));
  change.set_name(absl::StrCat(account->name(), "/statusChanges/", id));
  change.set_from_status(account->lifecycle_status());
  change.set_to_status(to);
  change.set_reason(reason);
  change.set_actor(actor);
  *change.mutable_change_time() = ToProto(now);
  change.set_policy_revision(verdict.policy_revision());
  change.set_route(verdict.route());
  change.set_readiness(verdict.readiness());
  change.set_handoff(handoff);
  RETURN_IF_ERROR(Save(txn, kStatusChanges,
                       TimeKey(account_id, change.change_time(), id), change));
  account->set_lifecycle_status(to);
  ASSIGN_OR_RETURN(uint64_t etag, NextSequence(txn));
  account->set_etag(absl::StrCat("\"", absl::Hex(etag), "\""));
  *account->mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(Save(txn, kAccounts, account->name(), *account));
  return change;
}


std::string StatusList(const std::vector<v1::LifecycleStatus>& statuses) {
  std::vector<std::string> names;
  for (auto s : statuses) names.push_back(StatusName(s));
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

void CheckActor(const std::string& actor, Violations* v) {
  if (absl::StripAsciiWhitespace(actor).empty()) {
    v->Add("actor", "is required: who makes the change");
  }
  CheckLength(actor, kMaxTextLength, "actor", v);
}

// Reasons, plans and comments: a few sentences.
constexpr size_t kMaxWorkflowText = 4000;

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
bool After(const v1::AccountReadiness& a, int readiness, const std::string& name) {
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
      std::find(a.missing_requirements().begin(), a.missing_requirements().end(),
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
    Txn& txn, const std::string& account_name, const v1::PolicyRevision& policy,
    absl::Time as_of, const v1::ListAccountReadinessRequest& filter,
    const SnapshotSource& snapshot) {
  ASSIGN_OR_RETURN(v1::Account account,
                   LoadExisting<v1::Account>(txn, kAccounts, account_name));
  if (!PassesAccountFilters(filter, account)) return std::nullopt;
  ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                   snapshot(AccountIdOf(account_name)));
  const v1::Verdict v = Qualify(*tree->map, *tree->signals, policy.policy(),
                                policy.revision(), as_of);
  v1::AccountReadiness out;
  out.set_account(account_name);
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
    if (r.applicable() && !r.met()) out.add_missing_requirements(r.requirement_id());
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

namespace internal {

absl::Status UpgradeReadinessIndex(Txn& txn, absl::Time now) {
  ASSIGN_OR_RETURN(std::optional<std::string> done,
                   txn.Get(kMeta, kReadinessBuiltKey));
  if (done) return absl::OkStatus();
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
  }
  return txn.Put(kMeta, kReadinessBuiltKey, "1");
}

absl::Status ReindexAll(Txn& txn, absl::Time now) {
  auto policy = ActivePolicy(txn);
  if (absl::IsNotFound(policy.status())) return absl::OkStatus();
  RETURN_IF_ERROR(policy.status());
  std::vector<std::string> ids;
  RETURN_IF_ERROR(txn.Scan(kAccounts, "accounts/", "",
                           [&](absl::string_view key, absl::string_view) {
                             ids.push_back(AccountIdOf(key));
                             return true;
                           }));
  const absl::Duration half_life = HalfLifeOf(policy->policy());
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                     ReadSnapshot(txn, id, half_life));
    RETURN_IF_ERROR(ReindexOne(txn, id, tree.get(), *policy, now));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Store::NextSnapshot(
    Txn& txn, const std::string& account_id, TreeChanges& changes,
    absl::Duration half_life) {
  // The cached snapshot shows the last commit (see graph/store/tree_snapshot.h).
  std::shared_ptr<const TreeSnapshot> base = snapshots_.Get(account_id);
  if (base == nullptr || base->signals->half_life() != half_life) {
    return ReadSnapshot(txn, account_id, half_life);
  }
  auto next = std::make_shared<TreeSnapshot>(*base);
  if (changes.structure) {
    // People, sites, relationships or accounts changed: read the committee
    // map again; the signals stay unless accounts joined or left the tree.
    auto map = std::make_shared<v1::CommitteeMap>();
    std::vector<std::string> subtree;
    RETURN_IF_ERROR(ReadCommitteeMap(txn, account_id, map.get(), &subtree));
    if (subtree != base->subtree) {
      return ReadSnapshot(txn, account_id, half_life);
    }
    next->map = std::move(map);
  }
  // New signals join the history without a read of the rest of it.
  std::sort(changes.signals.begin(), changes.signals.end());
  changes.signals.erase(
      std::unique(changes.signals.begin(), changes.signals.end()),
      changes.signals.end());
  std::vector<v1::Signal> added;
  for (const std::string& key : changes.signals) {
    ASSIGN_OR_RETURN(std::optional<v1::Signal> signal,
                     Load<v1::Signal>(txn, kSignals, key));
    if (signal) added.push_back(*std::move(signal));
  }
  if (!added.empty()) next->signals = base->signals->With(added);
  return next;
}

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Store::TreeInWrite(
    Txn& txn, const std::string& account_id, absl::Duration half_life) {
  // Before this write has changed any tree, the cached snapshot is what the
  // transaction sees (it shows the last commit); after, read the tree.
  std::shared_ptr<const TreeSnapshot> tree =
      changes_.empty() ? snapshots_.Get(account_id) : nullptr;
  if (tree != nullptr && tree->signals->half_life() == half_life) return tree;
  return ReadSnapshot(txn, account_id, half_life);
}

absl::StatusOr<v1::Verdict> Store::VerdictNow(Txn& txn,
                                              const std::string& account_id,
                                              absl::Time now) {
  ASSIGN_OR_RETURN(std::shared_ptr<const v1::PolicyRevision> policy,
                   ActivePolicyIn(txn));
  ASSIGN_OR_RETURN(
      std::shared_ptr<const TreeSnapshot> tree,
      TreeInWrite(txn, account_id, HalfLifeOf(policy->policy())));
  return Qualify(*tree->map, *tree->signals, policy->policy(),
                 policy->revision(), now);
}

absl::Status Store::Reindex(Txn& txn) {
  auto policy = ActivePolicyIn(txn);
  if (absl::IsNotFound(policy.status())) return absl::OkStatus();
  RETURN_IF_ERROR(policy.status());
  const v1::PolicyRevision& active = **policy;
  const absl::Duration half_life = HalfLifeOf(active.policy());
  const absl::Time now = clock_();
  // The touched accounts and their ancestors: a verdict covers a subtree.
  // Each learns what changed below it: new signals only, or more.
  std::map<std::string, TreeChanges> affected;
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
      into.signals.insert(into.signals.end(), changes.signals.begin(),
                          changes.signals.end());
    }
  }
  for (auto& [id, changes] : affected) {
    ASSIGN_OR_RETURN(std::optional<std::string> exists,
                     txn.Get(kAccounts, names::Account(id)));
    std::shared_ptr<const TreeSnapshot> tree;
    if (exists) {
      ASSIGN_OR_RETURN(tree, NextSnapshot(txn, id, changes, half_life));
    }
    RETURN_IF_ERROR(ReindexOne(txn, id, tree.get(), active, now));
    pending_[id] = std::move(tree);
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------- status

absl::StatusOr<v1::TransitionStatusResponse> Store::TransitionStatus(
    const v1::TransitionStatusRequest& request) {
  Violations violations;
  violations.AddFrom(names::ParseAccount(request.name(), "name").status());
  if (!v1::LifecycleStatus_IsValid(request.status())) {
    violations.Add("status", absl::StrCat("unknown enum value ", request.status()));
  } else if (request.status() == v1::LIFECYCLE_STATUS_UNSPECIFIED) {
    violations.Add("status", "is required");
  }
  if (absl::StripAsciiWhitespace(request.reason()).empty()) {
    violations.Add("reason", "is required: a short written reason");
  }
  CheckLength(request.reason(), kMaxWorkflowText, "reason", &violations);
  CheckActor(request.actor(), &violations);
  CheckRequestId(request.request_id(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  v1::TransitionStatusResponse response;
  RETURN_IF_ERROR(WriteIdempotent(
      "TransitionStatus", request.request_id(), RequestFingerprint(request),
      &response, [&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(
            v1::Account account,
            LoadExisting<v1::Account>(txn, kAccounts, request.name()));
        if (!request.etag().empty() && request.etag() != account.etag()) {
          return absl::AbortedError(
              absl::StrCat(request.name(), " was changed since etag ",
                           request.etag(), ": read it again and retry"));
        }
        const v1::LifecycleStatus from = account.lifecycle_status();
        if (request.status() == v1::LIFECYCLE_STATUS_HANDED_OFF) {
          return PreconditionFailed(
              "TRANSITION_NOT_ALLOWED", request.name(),
              "status: HANDED_OFF is reached only by creating a handoff "
              "(CreateHandoff)");
        }
        if (!TransitionAllowed(from, request.status())) {
          return PreconditionFailed(
              "TRANSITION_NOT_ALLOWED", request.name(),
              absl::StrCat("status: ", StatusName(from), " -> ",
                           StatusName(request.status()),
                           " is not allowed; from ", StatusName(from),
                           " an account can go to ",
                           StatusList(AllowedTransitions(from))));
        }
        ASSIGN_OR_RETURN(v1::Verdict verdict,
                         VerdictNow(txn, AccountIdOf(request.name()), now));
        ASSIGN_OR_RETURN(
            *response.mutable_change(),
            AppendStatusChange(
                txn, &account, request.status(),
                std::string(absl::StripAsciiWhitespace(request.reason())),
                request.actor(), "", verdict, now));
        *response.mutable_account() = account;
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<Page<v1::StatusChange>> Store::ListStatusChanges(
    absl::string_view parent, int limit, absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<v1::StatusChange>(*engine_, kStatusChanges, TimePrefix(id),
                                    limit, start_after);
}

// ---------------------------------------------------------------- handoff

absl::StatusOr<v1::Handoff> Store::CreateHandoff(
    const v1::CreateHandoffRequest& request) {
  Violations violations;
  violations.AddFrom(names::ParseAccount(request.parent(), "parent").status());
  CheckActor(request.actor(), &violations);
  if (request.force() &&
      absl::StripAsciiWhitespace(request.force_reason()).empty()) {
    violations.Add("force_reason", "is required to force a handoff");
  }
  CheckLength(request.reason(), kMaxWorkflowText, "reason", &violations);
  CheckLength(request.next_step(), kMaxWorkflowText, "next_step", &violations);
  CheckLength(request.decision_owner_plan(), kMaxWorkflowText,
              "decision_owner_plan", &violations);
  CheckLength(request.force_reason(), kMaxWorkflowText, "force_reason",
              &violations);
  CheckRequestId(request.request_id(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  v1::Handoff handoff;
  RETURN_IF_ERROR(WriteIdempotent(
      "CreateHandoff", request.request_id(), RequestFingerprint(request),
      &handoff, [&](Txn& txn) -> absl::Status {
        // A run after a full map starts from scratch, not from the notes and
        // missing items the first run added.
        handoff.Clear();
        const std::string account_id = AccountIdOf(request.parent());
        ASSIGN_OR_RETURN(
            v1::Account account,
            LoadExisting<v1::Account>(txn, kAccounts, request.parent()));
        ASSIGN_OR_RETURN(std::shared_ptr<const v1::PolicyRevision> policy,
                         ActivePolicyIn(txn));
        ASSIGN_OR_RETURN(
            std::shared_ptr<const TreeSnapshot> tree,
            TreeInWrite(txn, account_id, HalfLifeOf(policy->policy())));
        const v1::Verdict verdict =
            Qualify(*tree->map, *tree->signals, policy->policy(),
                    policy->revision(), now);
        if (verdict.route() != v1::ROUTE_SALES_DISCOVERY &&
            verdict.route() != v1::ROUTE_TECHNICAL_PRESALES) {
          return PreconditionFailed(
              "ROUTE_NOT_FOR_SALES", request.parent(),
              absl::StrCat(
                  request.parent(), " routes to ",
                  v1::Route_Name(verdict.route()), " (rule ",
                  verdict.decided_by(),
                  "): only SALES_DISCOVERY or TECHNICAL_PRESALES accounts "
                  "are handed off"));
        }
        if (!CanHandOffFrom(account.lifecycle_status())) {
          return PreconditionFailed(
              "TRANSITION_NOT_ALLOWED", request.parent(),
              absl::StrCat(
                  request.parent(), " is ",
                  StatusName(account.lifecycle_status()),
                  ": only NEW, RESEARCHING, NURTURE or QUALIFIED accounts "
                  "can be handed off"));
        }
        ASSIGN_OR_RETURN(
            std::vector<v1::Note> notes,
            ScanAll<v1::Note>(txn, kNotes, TimePrefix(account_id)));
        const std::string reason =
            !request.reason().empty()
                ? request.reason()
                : (verdict.reasons_size() > 0 ? verdict.reasons(0).text() : "");
        const std::string next_step = !request.next_step().empty()
                                          ? request.next_step()
                                          : verdict.next_step();
        std::vector<std::string> missing =
            MissingForHandoff(policy->policy().handoff(), reason, next_step,
                              static_cast<int>(notes.size()), verdict,
                              request.decision_owner_plan());
        if (!missing.empty() && !request.force()) {
          google::rpc::PreconditionFailure failure;
          for (const std::string& m : missing) {
            auto* v = failure.add_violations();
            v->set_type("HANDOFF_INCOMPLETE");
            // "notes: at least 1 note..." -> subject "notes", and the
            // description without the subject again.
            const size_t colon = m.find(": ");
            v->set_subject(m.substr(0, colon));
            v->set_description(colon == std::string::npos ? m
                                                          : m.substr(colon + 2));
          }
          absl::Status status = absl::FailedPreconditionError(
              absl::StrCat("the handoff of ", request.parent(),
                           " is incomplete: ", absl::StrJoin(missing, "; "),
                           " (complete it, or force it with a reason)"));
          status.SetPayload(kPreconditionFailureUrl,
                            absl::Cord(failure.SerializeAsString()));
          return status;
        }
        ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
        const std::string id = absl::StrCat("h-", absl::Hex(seq));
        handoff.set_name(absl::StrCat(request.parent(), "/handoffs/", id));
        *handoff.mutable_verdict() = verdict;
        handoff.set_route(verdict.route());
        handoff.set_reason(reason);
        handoff.set_next_step(next_step);
        for (int i = 0; i < static_cast<int>(notes.size()) && i < kRecentNotes;
             ++i) {
          *handoff.add_notes() = notes[i];
        }
        *handoff.mutable_committee_map() = *tree->map;
        *handoff.mutable_questions() = verdict.questions();
        for (const std::string& m : missing) handoff.add_missing(m);
        handoff.set_complete(missing.empty());
        handoff.set_forced(!missing.empty());
        handoff.set_force_reason(handoff.forced() ? request.force_reason()
                                                  : "");
        handoff.set_decision_owner_plan(request.decision_owner_plan());
        handoff.set_actor(request.actor());
        *handoff.mutable_create_time() = ToProto(now);
        handoff.set_policy_revision(policy->revision());
        const std::string key = TimeKey(account_id, handoff.create_time(), id);
        RETURN_IF_ERROR(Save(txn, kHandoffs, key, handoff));
        RETURN_IF_ERROR(txn.Put(kHandoffIds, handoff.name(), key));
        return AppendStatusChange(txn, &account,
                                  v1::LIFECYCLE_STATUS_HANDED_OFF,
                                  absl::StrCat("handed off to sales: ", reason),
                                  request.actor(), handoff.name(), verdict, now)
            .status();
      }));
  return handoff;
}

absl::StatusOr<v1::Handoff> Store::GetHandoff(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseChild(name, "handoffs", "name").status());
  v1::Handoff out;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> key, txn.Get(kHandoffIds, name));
    if (!key) return absl::NotFoundError(absl::StrCat(name, " not found"));
    ASSIGN_OR_RETURN(out, LoadExisting<v1::Handoff>(txn, kHandoffs, *key));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<v1::Handoff>> Store::ListHandoffs(
    absl::string_view parent, int limit, absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<v1::Handoff>(*engine_, kHandoffs, TimePrefix(id), limit,
                               start_after);
}

absl::StatusOr<v1::Handoff> Store::RecordHandoffFeedback(
    const v1::RecordHandoffFeedbackRequest& request) {
  Violations violations;
  violations.AddFrom(names::ParseChild(request.name(), "handoffs", "name").status());
  if (!v1::HandoffOutcome_IsValid(request.outcome()) ||
      request.outcome() == v1::HANDOFF_OUTCOME_UNSPECIFIED) {
    violations.Add("outcome", "is required: ACCEPTED or REJECTED");
  }
  const bool rejected = request.outcome() == v1::HANDOFF_OUTCOME_REJECTED;
  if (!v1::RejectionReason_IsValid(request.rejection_reason())) {
    violations.Add("rejection_reason",
                   absl::StrCat("unknown enum value ", request.rejection_reason()));
  } else if (rejected &&
             request.rejection_reason() == v1::REJECTION_REASON_UNSPECIFIED) {
    violations.Add("rejection_reason", "is required for a rejection");
  }
  if (rejected && absl::StripAsciiWhitespace(request.comment()).empty()) {
    violations.Add("comment", "is required for a rejection: what sales said");
  }
  CheckLength(request.comment(), kMaxWorkflowText, "comment", &violations);
  CheckActor(request.actor(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = clock_();
  v1::Handoff handoff;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> key,
                     txn.Get(kHandoffIds, request.name()));
    if (!key)
      return absl::NotFoundError(absl::StrCat(request.name(), " not found"));
    ASSIGN_OR_RETURN(handoff, LoadExisting<v1::Handoff>(txn, kHandoffs, *key));
    if (handoff.has_feedback()) {
      return PreconditionFailed("FEEDBACK_RECORDED", request.name(),
                                absl::StrCat(request.name(),
                                             " already has sales feedback"));
    }
    auto* feedback = handoff.mutable_feedback();
    feedback->set_outcome(request.outcome());
    feedback->set_rejection_reason(rejected ? request.rejection_reason()
                                            : v1::REJECTION_REASON_UNSPECIFIED);
    feedback->set_comment(request.comment());
    feedback->set_actor(request.actor());
    *feedback->mutable_record_time() = ToProto(now);
    const std::string account_name =
        names::Account(AccountIdOf(request.name()));
    if (rejected) {
      ASSIGN_OR_RETURN(v1::Account account,
                       LoadExisting<v1::Account>(txn, kAccounts, account_name));
      const v1::LifecycleStatus to = StatusAfterRejection(request.rejection_reason());
      if (account.lifecycle_status() == v1::LIFECYCLE_STATUS_HANDED_OFF) {
        feedback->set_moved_to(to);
        ASSIGN_OR_RETURN(v1::Verdict verdict,
                         VerdictNow(txn, AccountIdOf(account_name), now));
        std::string code = v1::RejectionReason_Name(request.rejection_reason());
        RETURN_IF_ERROR(
            AppendStatusChange(
                txn, &account, to,
                absl::StrCat("handoff rejected by sales (",
                             absl::StripPrefix(code, "REJECTION_REASON_"),
                             "): ", request.comment()),
                request.actor(), handoff.name(), verdict, now)
                .status());
      }
    }
    return Save(txn, kHandoffs, *key, handoff);
  }));
  return handoff;
}

// ---------------------------------------------------------------- metrics

absl::StatusOr<v1::ProcessMetrics> Store::GetProcessMetrics(absl::Time start,
                                                            absl::Time end) {
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  WorkflowHistory history;
  absl::Duration sla;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(history.accounts,
                     ScanAll<v1::Account>(txn, kAccounts, "accounts/"));
    ASSIGN_OR_RETURN(history.changes,
                     ScanAll<v1::StatusChange>(txn, kStatusChanges, ""));
    ASSIGN_OR_RETURN(history.handoffs, ScanAll<v1::Handoff>(txn, kHandoffs, ""));
    auto policy = ActivePolicy(txn);
    if (policy.ok()) {
      sla = absl::Seconds(policy->policy().review_sla().seconds()) +
            absl::Nanoseconds(policy->policy().review_sla().nanos());
    } else if (!absl::IsNotFound(policy.status())) {
      return policy.status();
    }
    return absl::OkStatus();
  }));
  return ComputeMetrics(history, start, end, sla);
}

// ---------------------------------------------------------------- listing

absl::StatusOr<v1::ListAccountReadinessResponse> Store::ListAccountReadiness(
    const v1::ListAccountReadinessRequest& request) {
  Violations violations;
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  if (request.policy_revision() < 0) {
    violations.Add("policy_revision", "must not be negative");
  }
  if (request.min_readiness() < 0 || request.min_readiness() > 100) {
    violations.Add("min_readiness", "must be between 0 and 100");
  }
  if (!(request.min_coverage() >= 0 && request.min_coverage() <= 1)) {
    violations.Add("min_coverage", "must be between 0 and 1");
  }
  if (!request.country_code().empty() && !IsCountryCode(request.country_code())) {
    violations.Add("country_code", absl::StrCat("\"", request.country_code(),
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
  absl::Time as_of = clock_();
  if (cursor) {
    as_of = absl::FromUnixNanos(cursor->as_of_nanos());
  } else if (request.has_as_of()) {
    as_of = ToTime(request.as_of());
  }
  v1::ListAccountReadinessResponse response;
  *response.mutable_as_of() = ToProto(as_of);
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
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
      auto item = Evaluate(txn, name, policy, as_of, request,
                           [&](const std::string& id) {
                             return SnapshotIn(txn, id);
                           });
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
    RETURN_IF_ERROR(txn.Scan(
        kReadinessFrom, "", ReadinessFromKey(absl::ToUnixNanos(as_of), "\xff"),
        [&](absl::string_view key, absl::string_view) {
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
          kReadiness, "", next.index_key(),
          [&](absl::string_view key, absl::string_view) {
            int stored = 0;
            if (key.size() < 4 ||
                !absl::SimpleAtoi(key.substr(0, 3), &stored)) {
              scan_status = absl::DataLossError(
                  absl::StrCat("corrupt readiness index key \"",
                               absl::CHexEscape(key), "\""));
              return false;
            }
            const int bound = 999 - stored;
            std::string name(key.substr(4));
            while (!heap.empty() &&
                   (heap.top().item.readiness() > bound ||
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
            stopped_at = std::string(key);
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

absl::StatusOr<std::vector<v1::ReadinessEvent>> Store::ReadinessEvents(
    int64_t after_sequence, int limit) {
  std::vector<v1::ReadinessEvent> events;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    absl::Status parse = absl::OkStatus();
    RETURN_IF_ERROR(txn.Scan(
        kReadinessEvents, "", EventKey(after_sequence),
        [&](absl::string_view, absl::string_view value) {
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

int64_t Store::LastEventSequence() {
  int64_t last = 0;
  engine_
      ->Read([&](Txn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(last, LastSequence(txn));
        return absl::OkStatus();
      })
      .IgnoreError();
  return last;
}

bool Store::WaitForEvents(int64_t after_sequence, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(events_mu_);
  const int64_t seen = commits_;
  lock.unlock();
  if (LastEventSequence() > after_sequence) return true;
  lock.lock();
  events_cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [&] { return commits_ != seen; });
  lock.unlock();
  return LastEventSequence() > after_sequence;
}

// ------------------------------------------------------------- simulation

absl::StatusOr<v1::SimulatePolicyResponse> Store::SimulatePolicy(
    const v1::Policy& candidate, std::optional<absl::Time> when) {
  const absl::Time as_of = when.value_or(clock_());
  Violations violations;
  ValidatePolicy(candidate, "policy", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  v1::SimulatePolicyResponse response;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(v1::PolicyRevision active, ActivePolicy(txn));
    response.set_active_revision(active.revision());
    std::vector<std::string> ids;
    RETURN_IF_ERROR(txn.Scan(kAccounts, "accounts/", "",
                             [&](absl::string_view key, absl::string_view) {
                               ids.push_back(AccountIdOf(key));
                               return true;
                             }));
    std::map<std::pair<int, int>, std::vector<std::string>> changes;
    for (const std::string& id : ids) {
      AccountTree tree;
      RETURN_IF_ERROR(ReadAccountTree(txn, id, &tree));
      const v1::Route before =
          Qualify(tree, active.policy(), active.revision(), as_of).route();
      const v1::Route after = Qualify(tree, candidate, 0, as_of).route();
      response.set_accounts(response.accounts() + 1);
      if (before != after)
        changes[{before, after}].push_back(names::Account(id));
    }
    for (auto& [routes, accounts] : changes) {
      auto* change = response.add_changes();
      change->set_old_route(static_cast<v1::Route>(routes.first));
      change->set_new_route(static_cast<v1::Route>(routes.second));
      response.set_changed(response.changed() + accounts.size());
      for (auto& a : accounts) change->add_accounts(std::move(a));
    }
    ASSIGN_OR_RETURN(std::vector<v1::Handoff> handoffs,
                     ScanAll<v1::Handoff>(txn, kHandoffs, ""));
    for (const v1::Handoff& h : handoffs) {
      if (!h.has_feedback()) continue;
      const std::string account_id = AccountIdOf(h.name());
      AccountTree tree;
      absl::Status read = ReadAccountTree(txn, account_id, &tree);
      if (absl::IsNotFound(read)) continue;  // The account is gone.
      RETURN_IF_ERROR(read);
      const v1::Route route =
          Qualify(tree, candidate, 0, ToTime(h.create_time())).route();
      auto* s = response.add_handoffs();
      s->set_handoff(h.name());
      s->set_account(names::Account(account_id));
      s->set_accepted(h.feedback().outcome() == v1::HANDOFF_OUTCOME_ACCEPTED);
      if (!s->accepted()) {
        s->set_rejection_reason(std::string(absl::StripPrefix(
            v1::RejectionReason_Name(h.feedback().rejection_reason()),
            "REJECTION_REASON_")));
      }
      s->set_handed_off_route(h.route());
      s->set_candidate_route(route);
      s->set_candidate_hands_off(route == v1::ROUTE_SALES_DISCOVERY ||
                                 route == v1::ROUTE_TECHNICAL_PRESALES);
      if (s->accepted() && s->candidate_hands_off()) {
        response.set_accepted_kept(response.accepted_kept() + 1);
      }
      if (!s->accepted() && !s->candidate_hands_off()) {
        response.set_rejected_avoided(response.rejected_avoided() + 1);
      }
    }
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace quorum::graph
