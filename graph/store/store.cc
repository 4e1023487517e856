#include "graph/store/store.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/field_mask.h"
#include "graph/model/hash.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/status.h"
#include "graph/model/validation.h"
#include "graph/rules/algorithms.h"
#include "graph/storage/lmdb_env.h"
#include "graph/storage/memory_engine.h"
#include "graph/storage/postgres_engine.h"
#include "graph/storage/records.pb.h"
#include "graph/store/records.h"

namespace quorum::graph {
namespace {
// Whether `path` names a PostgreSQL server (a libpq connection URI).
bool IsPostgresUrl(absl::string_view path) {
  return absl::StartsWith(path, "postgresql://") ||
         absl::StartsWith(path, "postgres://");
}
}  // namespace

using namespace internal;  // NOLINT: the records of graph/store/records.h.
using quorum::v1::Account;
using quorum::v1::Signal;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(Options options) {
  std::unique_ptr<KvEngine> engine;
  absl::string_view path = options.path;
  if (path == Options::kInMemory) {
    engine = std::make_unique<MemoryEngine>(AllDatabases());
  } else if (IsPostgresUrl(path)) {
    PostgresEngine::Options pg_options;
    pg_options.conninfo = std::string(path);
    pg_options.databases = AllDatabases();
    ASSIGN_OR_RETURN(engine, PostgresEngine::Open(std::move(pg_options)));
  } else {
    absl::ConsumePrefix(&path, "lmdb:");
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "store: \"lmdb:\" needs a folder, as in lmdb:./quorum-data");
    }
    LmdbEnv::Options env_options;
    env_options.path = std::string(path);
    env_options.initial_map_size = options.initial_map_size;
    env_options.databases = AllDatabases();
    ASSIGN_OR_RETURN(engine, LmdbEnv::Open(env_options));
  }
  if (options.fault_plan) {
    engine = std::make_unique<FaultInjectingEngine>(
        std::move(engine), std::move(options.fault_plan));
  }
  return Open(std::move(engine), std::move(options));
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    std::unique_ptr<KvEngine> engine, Options options) {
  std::unique_ptr<Store> store(new Store(std::move(engine),
                                         std::move(options.clock),
                                         options.snapshot_cache_bytes));
  if (store->engine_->shared()) {
    // Nothing is cached yet: what earlier commits changed is moot.
    RETURN_IF_ERROR(store->engine_->Read([&](Txn& txn) {
      store->known_version_ = txn.version();
      return absl::OkStatus();
    }));
    store->engine_->OnExternalCommit(
        [raw = store.get()](uint64_t) { raw->ExternalCommitted(); });
  }
  // Stores written before the company-name index existed get it built once.
  RETURN_IF_ERROR(store->Write([](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> done,
                     txn.Get(kMeta, kCompanyNamesBuiltKey));
    if (done) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<Account> accounts,
                     ScanAll<Account>(txn, kAccounts, "accounts/"));
    for (const Account& account : accounts) {
      RETURN_IF_ERROR(IndexCompanyName(txn, account, ""));
    }
    return txn.Put(kMeta, kCompanyNamesBuiltKey, "1");
  }));
  // And the index of who the signals and notes name.
  RETURN_IF_ERROR(store->Write(BuildStakeholderRefs));
  RETURN_IF_ERROR(store->Write([&](Txn& txn) -> absl::Status {
    return UpgradeReadinessIndex(txn, store->clock_());
  }));
  return store;
}

void Store::BeginAttempt() {
  changes_.clear();
  pending_.clear();
  pending_policy_ = nullptr;
  pending_clear_ = false;
}

absl::Status Store::Read(const std::function<absl::Status(Txn&)>& fn) {
  return engine_->Read([&](Txn& txn) -> absl::Status {
    RETURN_IF_ERROR(CatchUp(txn, txn.version()));
    return fn(txn);
  });
}

absl::Status Store::Write(const std::function<absl::Status(Txn&)>& fn) {
  return engine_->Write(
      [&](Txn& engine_txn) -> absl::Status {
        BeginAttempt();  // A write whose map filled up runs again from here.
        // What other nodes committed before this write is known first.
        RETURN_IF_ERROR(CatchUp(engine_txn, engine_txn.version() - 1));
        ChangeRecordingTxn txn(engine_txn, changes_);
        RETURN_IF_ERROR(fn(txn));
        if (!changes_.empty()) RETURN_IF_ERROR(Reindex(txn));
        return LogCommit(engine_txn);
      },
      [this](uint64_t version) { Committed(version); });
}

// ------------------------------------------------- nodes on a shared engine

namespace {
// Commit records kept: a node that falls further behind (or starts) forgets
// every snapshot instead.
constexpr uint64_t kCommitLogKept = 100000;
}  // namespace

absl::Status Store::LogCommit(Txn& txn) {
  if (!engine_->shared()) return absl::OkStatus();
  storage::CommitRecord record;
  std::set<std::string> trees;
  for (const auto& [id, changes] : changes_) trees.insert(id);
  for (const auto& [id, snapshot] : pending_) trees.insert(id);
  for (const std::string& id : trees) record.add_trees(id);
  record.set_all_trees(pending_clear_);
  record.set_policy(pending_policy_ != nullptr || pending_clear_);
  const uint64_t version = txn.version();
  RETURN_IF_ERROR(
      txn.Put(kCommitLog, CommitLogKey(version), record.SerializeAsString()));
  if (version <= kCommitLogKept) return absl::OkStatus();
  return txn.Delete(kCommitLog, CommitLogKey(version - kCommitLogKept));
}

absl::Status Store::CatchUp(Txn& txn, uint64_t upto) {
  if (!engine_->shared() || known_version_.load() >= upto) {
    return absl::OkStatus();
  }
  std::lock_guard lock(catch_up_mu_);
  const uint64_t from = known_version_.load();
  if (from >= upto) return absl::OkStatus();
  uint64_t next = from + 1;  // The version whose record comes next.
  bool all = false;
  bool policy = false;
  std::vector<std::pair<std::string, uint64_t>> trees;
  absl::Status parsed;
  RETURN_IF_ERROR(
      txn.Scan(kCommitLog, "", CommitLogKey(from),
               [&](absl::string_view key, absl::string_view value) {
                 uint64_t version = 0;
                 storage::CommitRecord record;
                 if (!absl::SimpleAtoi(key, &version) ||
                     !record.ParseFromArray(value.data(),
                                            static_cast<int>(value.size()))) {
                   parsed = absl::DataLossError(
                       absl::StrCat("corrupt commit log record at ", key));
                   return false;
                 }
                 if (version > upto) return false;
                 if (version != next)
                   all = true;  // Trimmed away: forget it all.
                 next = version + 1;
                 all = all || record.all_trees();
                 policy = policy || record.policy();
                 for (const std::string& id : record.trees()) {
                   trees.emplace_back(id, version);
                 }
                 return true;
               }));
  RETURN_IF_ERROR(parsed);
  if (next <= upto) all = true;  // Commits without a record.
  if (all) {
    snapshots_.Clear(upto);
  } else {
    for (const auto& [id, version] : trees) {
      snapshots_.Publish(id, nullptr, version);
    }
  }
  if (all || policy) {
    std::lock_guard policy_lock(policy_mu_);
    policy_ = nullptr;
    policy_changed_ = std::max(policy_changed_, upto);
  }
  known_version_ = upto;
  return absl::OkStatus();
}

void Store::ExternalCommitted() {
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    ++commits_;
  }
  events_cv_.notify_all();
}

int64_t Store::commits() {
  std::lock_guard<std::mutex> lock(events_mu_);
  return commits_;
}

void Store::WaitForCommitAfter(int64_t seen, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(events_mu_);
  events_cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [&] { return commits_ != seen; });
}

void Store::Committed(uint64_t version) {
  if (pending_clear_) snapshots_.Clear(version);
  for (auto& [id, snapshot] : pending_) {
    snapshots_.Publish(id, std::move(snapshot), version);
  }
  pending_.clear();
  if (pending_policy_) {
    std::lock_guard lock(policy_mu_);
    policy_ = std::move(pending_policy_);
    policy_changed_ = version;
  }
  if (engine_->shared()) {
    // The write knew every commit before it (CatchUp at its start).
    std::lock_guard lock(catch_up_mu_);
    if (known_version_.load() + 1 == version) known_version_ = version;
  }
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    ++commits_;
  }
  events_cv_.notify_all();
}

// --------------------------------------------------------------- snapshots

namespace internal {

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> ReadSnapshot(
    Txn& txn, const std::string& account_id, absl::Duration half_life) {
  auto map = std::make_shared<v1::CommitteeMap>();
  auto snapshot = std::make_shared<TreeSnapshot>();
  RETURN_IF_ERROR(
      ReadCommitteeMap(txn, account_id, map.get(), &snapshot->subtree));
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

absl::StatusOr<std::shared_ptr<const v1::PolicyRevision>>
Store::CurrentPolicy() {
  std::shared_ptr<const v1::PolicyRevision> revision;
  RETURN_IF_ERROR(Read([&](Txn& txn) -> absl::Status {
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
  RETURN_IF_ERROR(Read([&](Txn& txn) -> absl::Status {
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

absl::StatusOr<std::shared_ptr<const TreeSnapshot>> Store::NextSnapshot(
    Txn& txn, const std::string& account_id, TreeChanges& changes,
    absl::Duration half_life) {
  // The cached snapshot shows the last commit (see
  // graph/store/tree_snapshot.h).
  std::shared_ptr<const TreeSnapshot> base = snapshots_.Get(account_id);
  if (base == nullptr || base->signals->half_life() != half_life ||
      changes.history) {
    // No snapshot to build on, or signals left it (a move, a detach).
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
  ASSIGN_OR_RETURN(std::shared_ptr<const TreeSnapshot> tree,
                   TreeInWrite(txn, account_id, HalfLifeOf(policy->policy())));
  return Qualify(*tree->map, *tree->signals, policy->policy(),
                 policy->revision(), now);
}

}  // namespace quorum::graph
