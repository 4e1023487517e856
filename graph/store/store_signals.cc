// graph::Store: signals and account-tree snapshots.
#include <cstdint>
#include <limits>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/names.h"
#include "graph/store/store.h"
#include "graph/store/store_internal.h"

namespace quorum::graph {

using namespace internal;  // NOLINT: this file implements the store.
using google::protobuf::util::TimeUtil;
using v1::Signal;

namespace {

constexpr int kMaxBatch = 1000;
constexpr size_t kMaxText = 500;


}  // namespace

namespace internal {

// Field checks of one request; `at` is "requests[i]".
void CheckSignalRequest(const v1::CreateSignalRequest& r, const std::string& at,
                        Violations* v) {
  v->AddFrom(names::ParseAccount(r.parent(), at + ".parent").status());
  if (!r.signal_id().empty() && !names::IsValidId(r.signal_id())) {
    v->Add(at + ".signal_id",
           absl::StrCat("\"", r.signal_id(), "\" is not a valid ID"));
  }
  const Signal& s = r.signal();
  if (!v1::SignalType_IsValid(s.type())) {
    v->Add(at + ".signal.type", absl::StrCat("unknown enum value ", s.type()));
  } else if (s.type() == v1::SIGNAL_TYPE_UNSPECIFIED) {
    v->Add(at + ".signal.type", "is required");
  }
  if (!v1::SignalTopic_IsValid(s.topic())) {
    v->Add(at + ".signal.topic", absl::StrCat("unknown enum value ", s.topic()));
  }
  if (!v1::SourceChannel_IsValid(s.source())) {
    v->Add(at + ".signal.source",
           absl::StrCat("unknown enum value ", s.source()));
  }
  if (!s.has_occur_time()) {
    v->Add(at + ".signal.occur_time", "is required");
  } else if (!IsStorableTime(s.occur_time())) {
    v->Add(at + ".signal.occur_time",
           "must be a valid time between 1970 and 2262");
  }
  if (!s.stakeholder().empty()) {
    v->AddFrom(names::ParseChild(s.stakeholder(), names::kStakeholders,
                                 at + ".signal.stakeholder")
                   .status());
  }
  if (s.campaign().size() > kMaxText) {
    v->Add(at + ".signal.campaign", "is too long");
  }
  if (s.description().size() > kMaxText) {
    v->Add(at + ".signal.description", "is too long");
  }
}

absl::StatusOr<v1::RecordedSignal> RecordSignalIn(
    Txn& txn, const v1::CreateSignalRequest& r, const std::string& at,
    const google::protobuf::Timestamp& now) {
  const std::string account_id = AccountIdOf(r.parent());
  v1::RecordedSignal result;
  if (!r.signal_id().empty()) {
    const std::string name = names::Child(account_id, "signals", r.signal_id());
    ASSIGN_OR_RETURN(std::optional<std::string> key, txn.Get(kSignalIds, name));
    if (key) {
      ASSIGN_OR_RETURN(*result.mutable_signal(),
                       LoadExisting<Signal>(txn, kSignals, *key));
      result.set_duplicate(true);
      return result;
    }
  }
  absl::Status exists = RequireAccount(txn, r.parent());
  if (!exists.ok()) return Annotate(exists, at + ".parent");
  Signal signal = r.signal();
  if (!signal.stakeholder().empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> person,
                     txn.Get(kStakeholdersDb, signal.stakeholder()));
    if (!person) {
      return PreconditionFailed(
          "STAKEHOLDER_NOT_FOUND", signal.stakeholder(),
          absl::StrCat(at, ".signal.stakeholder: ", signal.stakeholder(),
                       " does not exist"));
    }
    ASSIGN_OR_RETURN(std::string root, RootOf(txn, account_id));
    ASSIGN_OR_RETURN(std::string person_root,
                     RootOf(txn, AccountIdOf(signal.stakeholder())));
    if (root != person_root) {
      return PreconditionFailed(
          "CROSS_ACCOUNT_TREE", signal.stakeholder(),
          absl::StrCat(at, ".signal.stakeholder: ", signal.stakeholder(),
                       " is not in the account tree of ", r.parent()));
    }
  }
  std::string id = r.signal_id();
  while (id.empty()) {
    // A client may have chosen an ID of this form: skip taken ones.
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn));
    const std::string candidate = absl::StrCat("s-", absl::Hex(seq));
    ASSIGN_OR_RETURN(
        std::optional<std::string> taken,
        txn.Get(kSignalIds, names::Child(account_id, "signals", candidate)));
    if (!taken) id = candidate;
  }
  if (signal.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED) {
    signal.set_topic(v1::SIGNAL_TOPIC_GENERAL);
  }
  signal.set_name(names::Child(account_id, "signals", id));
  *signal.mutable_create_time() = now;
  const std::string key = TimeKey(account_id, signal.occur_time(), id);
  RETURN_IF_ERROR(Save(txn, kSignals, key, signal));
  RETURN_IF_ERROR(txn.Put(kSignalIds, signal.name(), key));
  *result.mutable_signal() = std::move(signal);
  return result;
}

absl::Status ReadAccountTree(Txn& txn, const std::string& account_id,
                             AccountTree* tree) {
  std::vector<std::string> subtree;
  RETURN_IF_ERROR(ReadCommitteeMap(txn, account_id, &tree->map, &subtree));
  for (const std::string& id : subtree) {
    ASSIGN_OR_RETURN(std::vector<Signal> signals,
                     ScanAll<Signal>(txn, kSignals, TimePrefix(id)));
    for (Signal& s : signals) tree->signals.push_back(std::move(s));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<std::vector<v1::RecordedSignal>> Store::RecordSignals(
    const v1::RecordSignalsRequest& request) {
  Violations violations;
  if (request.requests_size() == 0) {
    violations.Add("requests", "needs at least one signal");
  } else if (request.requests_size() > kMaxBatch) {
    violations.Add("requests",
                   absl::StrCat("has ", request.requests_size(),
                                " signals; at most ", kMaxBatch, " per batch"));
  }
  for (int i = 0; i < request.requests_size(); ++i) {
    CheckSignalRequest(request.requests(i), absl::StrCat("requests[", i, "]"),
                       &violations);
  }
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(clock_());
  std::vector<v1::RecordedSignal> results;
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    results.clear();
    for (int i = 0; i < request.requests_size(); ++i) {
      ASSIGN_OR_RETURN(v1::RecordedSignal result,
                       RecordSignalIn(txn, request.requests(i),
                                      absl::StrCat("requests[", i, "]"), now));
      results.push_back(std::move(result));
    }
    return absl::OkStatus();
  }));
  return results;
}

absl::StatusOr<std::vector<absl::Status>> Store::RecordSignalStream(
    const std::vector<v1::CreateSignalRequest>& requests) {
  const auto now = ToProto(clock_());
  std::vector<absl::Status> outcomes(requests.size());
  std::vector<bool> valid(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Violations violations;
    CheckSignalRequest(requests[i], "signal_request", &violations);
    outcomes[i] = violations.ToStatus();
    valid[i] = outcomes[i].ok();
  }
  RETURN_IF_ERROR(Write([&](Txn& txn) -> absl::Status {
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!valid[i]) continue;
      bool duplicate = false;
      absl::Status status = txn.Savepoint([&](Txn& nested) -> absl::Status {
        ASSIGN_OR_RETURN(v1::RecordedSignal r,
                         RecordSignalIn(nested, requests[i], "signal", now));
        duplicate = r.duplicate();
        return absl::OkStatus();
      });
      // A full map (grow it, run again) or disk error fails the whole batch.
      if (FailsWholeWrite(status)) return status;
      outcomes[i] = !status.ok() ? status
                    : duplicate  ? absl::AlreadyExistsError("duplicate")
                                 : absl::OkStatus();
    }
    return absl::OkStatus();
  }));
  return outcomes;
}

absl::StatusOr<Page<Signal>> Store::ListSignals(absl::string_view parent,
                                                int limit,
                                                absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string account_id,
                   names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(engine_->Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<Signal>(*engine_, kSignals, TimePrefix(account_id), limit,
                          start_after);
}

namespace internal {

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> ReadSnapshot(
    Txn& txn, const std::string& account_id, absl::Duration half_life) {
  auto map = std::make_shared<v1::CommitteeMap>();
  auto snapshot = std::make_shared<TreeSnapshot>();
  RETURN_IF_ERROR(ReadCommitteeMap(txn, account_id, map.get(),
                                   &snapshot->subtree));
  std::vector<Signal> signals;
  for (const std::string& id : snapshot->subtree) {
    ASSIGN_OR_RETURN(std::vector<Signal> own,
                     ScanAll<Signal>(txn, kSignals, TimePrefix(id)));
    for (Signal& s : own) signals.push_back(std::move(s));
  }
  snapshot->map = std::move(map);
  snapshot->signals = SignalHistory::Build(signals, half_life);
  return snapshot;
}

absl::Duration HalfLifeOf(const v1::Policy& policy) {
  return absl::Seconds(policy.intent().half_life().seconds()) +
         absl::Nanoseconds(policy.intent().half_life().nanos());
}

}  // namespace internal

absl::StatusOr<std::shared_ptr<const v1::PolicyRevision>> Store::ActivePolicyIn(
    Txn& txn) {
  {
    std::lock_guard lock(policy_mu_);
    if (policy_) return policy_;
  }
  ASSIGN_OR_RETURN(v1::PolicyRevision read, internal::ActivePolicy(txn));
  auto revision = std::make_shared<const v1::PolicyRevision>(std::move(read));
  std::lock_guard lock(policy_mu_);
  // A reader older than the last publish may not put back what it read.
  if (!policy_ && txn.version() >= policy_changed_) policy_ = revision;
  return revision;
}

absl::StatusOr<std::shared_ptr<const v1::PolicyRevision>> Store::CurrentPolicy() {
  std::shared_ptr<const v1::PolicyRevision> revision;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(revision, ActivePolicyIn(txn));
    return absl::OkStatus();
  }));
  return revision;
}

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Store::SnapshotIn(
    Txn& txn, const std::string& account_id) {
  if (auto cached = snapshots_.Get(account_id)) return cached;
  absl::Duration half_life = absl::Hours(24 * 30);
  auto policy = ActivePolicyIn(txn);
  if (policy.ok()) {
    half_life = HalfLifeOf((*policy)->policy());
  } else if (!absl::IsNotFound(policy.status())) {
    return policy.status();
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> snapshot,
                   ReadSnapshot(txn, account_id, half_life));
  snapshots_.Offer(account_id, snapshot, txn.version());
  return snapshot;
}

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Store::Snapshot(
    absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  std::shared_ptr<const TreeSnapshot> snapshot;
  RETURN_IF_ERROR(engine_->Read([&](Txn& txn) -> absl::Status {
    if (auto cached = snapshots_.Get(id)) {
      snapshot = std::move(cached);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(snapshot, SnapshotIn(txn, id));
    return absl::OkStatus();
  }));
  return snapshot;
}

absl::StatusOr<AccountTree> Store::LoadAccountTree(absl::string_view name) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(name, "name"));
  AccountTree tree;
  RETURN_IF_ERROR(
      engine_->Read([&](Txn& txn) { return ReadAccountTree(txn, id, &tree); }));
  return tree;
}

}  // namespace quorum::graph
