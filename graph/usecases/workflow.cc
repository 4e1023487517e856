// The workflow use case: lifecycle statuses, handoffs and process metrics
// (WorkflowService; docs/workflow.md).
#include "graph/usecases/workflow.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
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
using google::protobuf::util::TimeUtil;

namespace {

constexpr int kRecentNotes = 5;

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

}  // namespace

// ----------------------------------------------------------------- status

absl::StatusOr<v1::TransitionStatusResponse> Workflow::TransitionStatus(
    const v1::TransitionStatusRequest& request) {
  Violations violations;
  violations.AddFrom(names::ParseAccount(request.name(), "name").status());
  if (!v1::LifecycleStatus_IsValid(request.status())) {
    violations.Add("status",
                   absl::StrCat("unknown enum value ", request.status()));
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
  const absl::Time now = store_.Now();
  v1::TransitionStatusResponse response;
  RETURN_IF_ERROR(store_.WriteIdempotent(
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
        ASSIGN_OR_RETURN(
            v1::Verdict verdict,
            store_.VerdictNow(txn, AccountIdOf(request.name()), now));
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

absl::StatusOr<Page<v1::StatusChange>> Workflow::ListStatusChanges(
    absl::string_view parent, int limit, absl::string_view start_after) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  RETURN_IF_ERROR(store_.Read(
      [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
  return ScanPage<v1::StatusChange>(store_.engine(), kStatusChanges,
                                    TimePrefix(id), limit, start_after);
}

// ---------------------------------------------------------------- handoff

absl::StatusOr<v1::Handoff> Workflow::CreateHandoff(
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
  CheckSolutionId(request.solution(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  const absl::Time now = store_.Now();
  v1::Handoff handoff;
  RETURN_IF_ERROR(store_.WriteIdempotent(
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
                         store_.ActivePolicyIn(txn));
        ASSIGN_OR_RETURN(
            std::shared_ptr<const TreeSnapshot> tree,
            store_.TreeInWrite(txn, account_id, HalfLifeOf(policy->policy())));
        // The verdict for the solution asked for, or the account's own.
        const v1::Policy* judged = &policy->policy();
        std::optional<v1::Policy> view;
        if (!request.solution().empty()) {
          ASSIGN_OR_RETURN(
              view, PolicyForSolution(policy->policy(), request.solution()));
          judged = &*view;
        }
        v1::Verdict verdict = Qualify(*tree->map, *tree->signals, *judged,
                                      policy->revision(), now);
        verdict.set_solution(request.solution());
        if (verdict.route() != v1::ROUTE_SALES_DISCOVERY &&
            verdict.route() != v1::ROUTE_TECHNICAL_PRESALES) {
          return PreconditionFailed(
              "ROUTE_NOT_FOR_SALES", request.parent(),
              absl::StrCat(
                  request.parent(),
                  request.solution().empty()
                      ? ""
                      : absl::StrCat(" (for ", request.solution(), ")"),
                  " routes to ", v1::Route_Name(verdict.route()), " (rule ",
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
            v->set_description(
                colon == std::string::npos ? m : m.substr(colon + 2));
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
        handoff.set_solution(request.solution());
        const std::string key = TimeKey(account_id, handoff.create_time(), id);
        RETURN_IF_ERROR(Save(txn, kHandoffs, key, handoff));
        RETURN_IF_ERROR(txn.Put(kHandoffIds, handoff.name(), key));
        // The account's history keeps the account's own route and
        // readiness; the handoff carries the solution's verdict.
        std::optional<v1::Verdict> own;
        if (view) {
          own = Qualify(*tree->map, *tree->signals, policy->policy(),
                        policy->revision(), now);
        }
        return AppendStatusChange(
                   txn, &account, v1::LIFECYCLE_STATUS_HANDED_OFF,
                   absl::StrCat("handed off to sales: ", reason),
                   request.actor(), handoff.name(), own ? *own : verdict, now)
            .status();
      }));
  return handoff;
}

absl::StatusOr<v1::Handoff> Workflow::GetHandoff(absl::string_view name) {
  RETURN_IF_ERROR(names::ParseChild(name, "handoffs", "name").status());
  v1::Handoff out;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> key,
                     txn.Get(kHandoffIds, name));
    if (key) {
      ASSIGN_OR_RETURN(out, LoadExisting<v1::Handoff>(txn, kHandoffs, *key));
      return absl::OkStatus();
    }
    // Handoff IDs are never reused, so a name is in one place at most.
    ASSIGN_OR_RETURN(std::vector<graph::storage::ArchivedAccount> archives,
                     ArchivedAccountsOf(txn, AccountIdOf(name)));
    for (auto& archived : archives) {
      for (auto& h : *archived.mutable_handoffs()) {
        if (h.name() != name) continue;
        out = std::move(h);
        return absl::OkStatus();
      }
    }
    return absl::NotFoundError(absl::StrCat(name, " not found"));
  }));
  return out;
}

absl::StatusOr<Page<v1::Handoff>> Workflow::ListHandoffs(
    absl::string_view parent, int limit, absl::string_view start_after,
    bool show_deleted) {
  ASSIGN_OR_RETURN(std::string id, names::ParseAccount(parent, "parent"));
  RETURN_IF_ERROR(CheckLimit(limit));
  if (!show_deleted) {
    RETURN_IF_ERROR(store_.Read(
        [&](Txn& txn) { return RequireAccount(txn, std::string(parent)); }));
    return ScanPage<v1::Handoff>(store_.engine(), kHandoffs, TimePrefix(id),
                                 limit, start_after);
  }
  // The live handoffs and the archived ones share one key order (TimeKey of
  // the creation time and the handoff's ID, unique), so one token pages
  // through both.
  Page<v1::Handoff> page;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    page = Page<v1::Handoff>();
    std::map<std::string, v1::Handoff> by_key;
    absl::Status parse_error;
    RETURN_IF_ERROR(txn.Scan(
        kHandoffs, TimePrefix(id), start_after,
        [&](absl::string_view key, absl::string_view value) {
          absl::StatusOr<v1::Handoff> h = ParseRecord<v1::Handoff>(key, value);
          if (!h.ok()) {
            parse_error = h.status();
            return false;
          }
          by_key[std::string(key)] = *std::move(h);
          return static_cast<int>(by_key.size()) <= limit;
        }));
    RETURN_IF_ERROR(parse_error);
    ASSIGN_OR_RETURN(std::vector<graph::storage::ArchivedAccount> archives,
                     ArchivedAccountsOf(txn, id));
    ASSIGN_OR_RETURN(std::optional<std::string> live,
                     txn.Get(kAccounts, names::Account(id)));
    if (!live && archives.empty()) {
      return absl::NotFoundError(absl::StrCat(parent, " not found"));
    }
    for (auto& archived : archives) {
      for (auto& h : *archived.mutable_handoffs()) {
        std::string key = TimeKey(id, h.create_time(),
                                  h.name().substr(h.name().rfind('/') + 1));
        if (key > start_after) by_key[key] = std::move(h);
      }
    }
    size_t bytes = 0;  // As ScanPage: a page holds at most kMaxPageBytes.
    for (auto& [key, handoff] : by_key) {
      const size_t size = handoff.ByteSizeLong();
      if (static_cast<int>(page.items.size()) == limit ||
          (!page.items.empty() && bytes + size > kMaxPageBytes)) {
        page.more = true;
        break;
      }
      bytes += size;
      page.last_key = key;
      page.items.push_back(std::move(handoff));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<v1::Handoff> Workflow::RecordHandoffFeedback(
    const v1::RecordHandoffFeedbackRequest& request) {
  Violations violations;
  violations.AddFrom(
      names::ParseChild(request.name(), "handoffs", "name").status());
  if (!v1::HandoffOutcome_IsValid(request.outcome()) ||
      request.outcome() == v1::HANDOFF_OUTCOME_UNSPECIFIED) {
    violations.Add("outcome", "is required: ACCEPTED or REJECTED");
  }
  const bool rejected = request.outcome() == v1::HANDOFF_OUTCOME_REJECTED;
  if (!v1::RejectionReason_IsValid(request.rejection_reason())) {
    violations.Add(
        "rejection_reason",
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
  const absl::Time now = store_.Now();
  v1::Handoff handoff;
  RETURN_IF_ERROR(store_.Write([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> key,
                     txn.Get(kHandoffIds, request.name()));
    if (!key)
      return absl::NotFoundError(absl::StrCat(request.name(), " not found"));
    ASSIGN_OR_RETURN(handoff, LoadExisting<v1::Handoff>(txn, kHandoffs, *key));
    if (handoff.has_feedback()) {
      return PreconditionFailed(
          "FEEDBACK_RECORDED", request.name(),
          absl::StrCat(request.name(), " already has sales feedback"));
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
      const v1::LifecycleStatus to =
          StatusAfterRejection(request.rejection_reason());
      if (account.lifecycle_status() == v1::LIFECYCLE_STATUS_HANDED_OFF) {
        feedback->set_moved_to(to);
        ASSIGN_OR_RETURN(
            v1::Verdict verdict,
            store_.VerdictNow(txn, AccountIdOf(account_name), now));
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

absl::StatusOr<v1::ProcessMetrics> Workflow::GetProcessMetrics(
    const v1::GetProcessMetricsRequest& request) {
  Violations violations;
  if (!request.has_start_time()) violations.Add("start_time", "is required");
  if (!request.has_end_time()) violations.Add("end_time", "is required");
  CheckSolutionId(request.solution(), &violations);
  RETURN_IF_ERROR(violations.ToStatus());
  return GetProcessMetrics(ToTime(request.start_time()),
                           ToTime(request.end_time()), request.solution());
}

absl::StatusOr<v1::ProcessMetrics> Workflow::GetProcessMetrics(
    absl::Time start, absl::Time end, absl::string_view solution) {
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  WorkflowHistory history;
  absl::Duration sla;
  RETURN_IF_ERROR(store_.Read([&](Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(history.accounts,
                     ScanAll<v1::Account>(txn, kAccounts, "accounts/"));
    ASSIGN_OR_RETURN(history.changes,
                     ScanAll<v1::StatusChange>(txn, kStatusChanges, ""));
    ASSIGN_OR_RETURN(history.handoffs,
                     ScanAll<v1::Handoff>(txn, kHandoffs, ""));
    // Deleted accounts count with what they left: each deletion's history
    // under a name of its own ("accounts/a~d-1f", which no account can
    // have), so that a new account of the same name starts its own.
    ASSIGN_OR_RETURN(std::vector<graph::storage::ArchivedAccount> archives,
                     ArchivedAccountsOf(txn, ""));
    for (auto& archived : archives) {
      const std::string original = archived.account().name();
      const std::string apart =
          absl::StrCat(original, "~", archived.archive_id());
      v1::Account& account = history.accounts.emplace_back(archived.account());
      account.set_name(apart);
      for (auto& c : *archived.mutable_status_changes()) {
        c.set_name(absl::StrCat(apart, c.name().substr(original.size())));
        history.changes.push_back(std::move(c));
      }
      for (auto& h : *archived.mutable_handoffs()) {
        history.handoffs.push_back(std::move(h));
      }
    }
    auto policy = ActivePolicy(txn);
    if (policy.ok()) {
      sla = absl::Seconds(policy->policy().review_sla().seconds()) +
            absl::Nanoseconds(policy->policy().review_sla().nanos());
    } else if (!absl::IsNotFound(policy.status())) {
      return policy.status();
    }
    return absl::OkStatus();
  }));
  if (!solution.empty()) {
    std::erase_if(history.handoffs, [&](const v1::Handoff& h) {
      return h.solution() != solution;
    });
  }
  return ComputeMetrics(history, start, end, sla);
}

}  // namespace quorum::graph
