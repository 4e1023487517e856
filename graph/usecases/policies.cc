// The policies use case: revisions and simulation (PolicyService).
#include "graph/usecases/policies.h"

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
using v1::PolicyRevision;

absl::StatusOr<PolicyRevision> Policies::PublishPolicy(
    const v1::Policy& policy, const std::string& description) {
  Violations violations;
  ValidatePolicy(policy, "policy", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const auto now = ToProto(store_.Now());
  PolicyRevision published;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
    published.Clear();
    published.set_revision(latest ? latest->revision() + 1 : 1);
    *published.mutable_policy() = policy;
    published.set_description(description);
    *published.mutable_create_time() = now;
    RETURN_IF_ERROR(
        Save(txn, kPolicies, PolicyKey(published.revision()), published));
    // Every account's readiness entry now belongs to the new revision.
    RETURN_IF_ERROR(ReindexAll(txn, store_.Now()));
    // Served from memory once committed; snapshots are rebuilt lazily with
    // the new half-life.
    ASSIGN_OR_RETURN(PolicyRevision active, ActivePolicy(txn));
    store_.PublishPolicyOnCommit(
        std::make_shared<const PolicyRevision>(std::move(active)));
    store_.ClearSnapshotsOnCommit();
    return absl::OkStatus();
  }));
  published.set_active(true);
  return published;
}

absl::StatusOr<PolicyRevision> Policies::GetPolicyRevision(int64_t revision) {
  // PolicyKey(revision) would overflow for a negative revision.
  if (revision < 0) return InvalidField("revision", "must not be negative");
  PolicyRevision out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> latest, Latest(txn));
    if (!latest) return absl::NotFoundError("no policy has been published");
    if (revision == 0 || revision == latest->revision()) {
      out = *std::move(latest);
      out.set_active(true);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> found,
                     Load<PolicyRevision>(txn, kPolicies, PolicyKey(revision)));
    if (!found) {
      return absl::NotFoundError(absl::StrCat("policy revision ", revision,
                                              " not found (latest is ",
                                              latest->revision(), ")"));
    }
    out = *std::move(found);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Page<PolicyRevision>> Policies::ListPolicyRevisions(
    int limit, absl::string_view start_after) {
  RETURN_IF_ERROR(CheckLimit(limit));
  // The newest revision and the page are read in one transaction, so a
  // concurrent publish cannot leave the page without its active revision.
  Page<PolicyRevision> page;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PolicyRevision> r, Latest(txn));
    const int64_t latest = r ? r->revision() : 0;
    absl::Status parse_error;
    RETURN_IF_ERROR(txn.Scan(
        kPolicies, "", start_after,
        [&](absl::string_view key, absl::string_view value) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            return false;
          }
          page.last_key = std::string(key);
          PolicyRevision revision;
          if (!revision.ParseFromArray(value.data(),
                                       static_cast<int>(value.size()))) {
            parse_error =
                absl::DataLossError(absl::StrCat("corrupt record at ", key));
            return false;
          }
          revision.set_active(revision.revision() == latest);
          page.items.push_back(std::move(revision));
          return true;
        }));
    return parse_error;
  }));
  return page;
}

// ------------------------------------------------------------- simulation

absl::StatusOr<v1::SimulatePolicyResponse> Policies::SimulatePolicy(
    const v1::Policy& candidate, std::optional<absl::Time> when) {
  const absl::Time as_of = when.value_or(store_.Now());
  Violations violations;
  ValidatePolicy(candidate, "policy", &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  v1::SimulatePolicyResponse response;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
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
    // The handoffs of deleted accounts, each judged on its account's tree as
    // the archive kept it at deletion (its graph is no longer the store's).
    ASSIGN_OR_RETURN(std::vector<graph::storage::ArchivedAccount> archives,
                     ArchivedAccountsOf(txn, ""));
    std::vector<
        std::pair<const v1::Handoff*, const graph::storage::ArchivedAccount*>>
        judged;
    for (const v1::Handoff& h : handoffs) judged.emplace_back(&h, nullptr);
    for (const auto& archived : archives) {
      for (const v1::Handoff& h : archived.handoffs()) {
        judged.emplace_back(&h, &archived);
      }
    }
    SolutionViews views(candidate);
    for (const auto& [handoff, archived] : judged) {
      const v1::Handoff& h = *handoff;
      if (!h.has_feedback()) continue;
      const std::string account_id = AccountIdOf(h.name());
      AccountTree tree;
      if (archived != nullptr) {
        tree.map = archived->committee_map();
        tree.signals.assign(archived->signals().begin(),
                            archived->signals().end());
      } else {
        absl::Status read = ReadAccountTree(txn, account_id, &tree);
        if (absl::IsNotFound(read)) continue;  // Not expected: deleting
        RETURN_IF_ERROR(read);                 // archives the handoffs.
      }
      // The candidate judges a handoff for the solution it was for; one
      // without that solution hands it off to nobody.
      const v1::Policy* judged = views.For(h.solution());
      const v1::Route route =
          judged == nullptr
              ? v1::ROUTE_UNSPECIFIED
              : Qualify(tree, *judged, 0, ToTime(h.create_time())).route();
      auto* s = response.add_handoffs();
      s->set_solution(h.solution());
      if (archived != nullptr) {
        *s->mutable_account_delete_time() = archived->delete_time();
      }
      s->set_handoff(h.name());
      s->set_account(names::Account(account_id));
      s->set_accepted(h.feedback().outcome() == v1::HANDOFF_OUTCOME_ACCEPTED);
      if (!s->accepted()) {
        s->set_rejection_reason(h.feedback().rejection_reason());
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

// ------------------------------------------------------------- suggestion

absl::StatusOr<v1::SuggestPolicyResponse> Policies::SuggestPolicy(
    const SearchOptions& options, std::optional<absl::Time> as_of) {
  v1::PolicyRevision active;
  std::vector<LabelledHandoff> examples;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    examples.clear();
    ASSIGN_OR_RETURN(active, ActivePolicy(txn));
    ASSIGN_OR_RETURN(std::vector<v1::Handoff> handoffs,
                     ScanAll<v1::Handoff>(txn, kHandoffs, ""));
    ASSIGN_OR_RETURN(std::vector<graph::storage::ArchivedAccount> archives,
                     ArchivedAccountsOf(txn, ""));
    auto add = [&](const v1::Handoff& h, const AccountTree& tree) {
      LabelledHandoff& e = examples.emplace_back();
      e.handoff = h.name();
      // The subtree as it was handed off; the current one for a handoff
      // stored without its map.
      e.map = h.has_committee_map() ? h.committee_map() : tree.map;
      e.signals = tree.signals;
      e.as_of = ToTime(h.create_time());
      e.route = h.route();
      e.accepted = h.feedback().outcome() == v1::HANDOFF_OUTCOME_ACCEPTED;
      e.solution = h.solution();
    };
    // Each account's tree read once, however many handoffs it has.
    std::map<std::string, AccountTree> trees;
    for (const v1::Handoff& h : handoffs) {
      if (!h.has_feedback()) continue;
      const std::string account_id = AccountIdOf(h.name());
      auto tree = trees.find(account_id);
      if (tree == trees.end()) {
        AccountTree read_tree;
        absl::Status read = ReadAccountTree(txn, account_id, &read_tree);
        if (absl::IsNotFound(read)) continue;  // Deleting archives handoffs.
        RETURN_IF_ERROR(read);
        tree = trees.emplace(account_id, std::move(read_tree)).first;
      }
      add(h, tree->second);
    }
    for (const auto& archived : archives) {
      if (std::none_of(archived.handoffs().begin(), archived.handoffs().end(),
                       [](const v1::Handoff& h) { return h.has_feedback(); })) {
        continue;
      }
      AccountTree tree;
      tree.map = archived.committee_map();
      tree.signals.assign(archived.signals().begin(), archived.signals().end());
      for (const v1::Handoff& h : archived.handoffs()) {
        if (h.has_feedback()) add(h, tree);
      }
    }
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(v1::SuggestPolicyResponse response,
                   SearchPolicy(active.policy(), examples, options));
  response.set_active_revision(active.revision());
  ASSIGN_OR_RETURN(*response.mutable_simulation(),
                   SimulatePolicy(response.candidate(), as_of));
  return response;
}

}  // namespace quorum::graph
