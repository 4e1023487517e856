#include "graph/rules/workflow.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/time.h"

namespace quorum::graph {
namespace {

using google::protobuf::util::TimeUtil;
using v1::LifecycleStatus;

// The fixed table: from -> allowed targets (HANDED_OFF only by handoff).
const std::map<LifecycleStatus, std::vector<LifecycleStatus>>& Table() {
  static const auto* table =
      new std::map<LifecycleStatus, std::vector<LifecycleStatus>>{
          {v1::LIFECYCLE_STATUS_NEW,
           {v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_NURTURE,
            v1::LIFECYCLE_STATUS_QUALIFIED, v1::LIFECYCLE_STATUS_DISQUALIFIED}},
          {v1::LIFECYCLE_STATUS_RESEARCHING,
           {v1::LIFECYCLE_STATUS_NURTURE, v1::LIFECYCLE_STATUS_QUALIFIED,
            v1::LIFECYCLE_STATUS_DISQUALIFIED}},
          {v1::LIFECYCLE_STATUS_NURTURE,
           {v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_QUALIFIED,
            v1::LIFECYCLE_STATUS_DISQUALIFIED}},
          {v1::LIFECYCLE_STATUS_QUALIFIED,
           {v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_NURTURE,
            v1::LIFECYCLE_STATUS_DISQUALIFIED}},
          {v1::LIFECYCLE_STATUS_HANDED_OFF,
           {v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_NURTURE,
            v1::LIFECYCLE_STATUS_QUALIFIED, v1::LIFECYCLE_STATUS_DISQUALIFIED}},
          {v1::LIFECYCLE_STATUS_DISQUALIFIED,
           {v1::LIFECYCLE_STATUS_RESEARCHING, v1::LIFECYCLE_STATUS_NURTURE}},
      };
  return *table;
}

// Percentile by nearest rank on sorted values.
absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double p) {
  if (sorted.empty()) return absl::ZeroDuration();
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

}  // namespace

std::string StatusName(LifecycleStatus status) {
  std::string name = v1::LifecycleStatus_Name(status);
  return absl::StartsWith(name, "LIFECYCLE_STATUS_") ? name.substr(17) : name;
}

bool TransitionAllowed(LifecycleStatus from, LifecycleStatus to) {
  auto it = Table().find(from);
  return it != Table().end() &&
         std::find(it->second.begin(), it->second.end(), to) != it->second.end();
}

std::vector<LifecycleStatus> AllowedTransitions(LifecycleStatus from) {
  auto it = Table().find(from);
  return it == Table().end() ? std::vector<LifecycleStatus>{} : it->second;
}

bool CanHandOffFrom(LifecycleStatus status) {
  return status == v1::LIFECYCLE_STATUS_NEW ||
         status == v1::LIFECYCLE_STATUS_RESEARCHING ||
         status == v1::LIFECYCLE_STATUS_NURTURE ||
         status == v1::LIFECYCLE_STATUS_QUALIFIED;
}

LifecycleStatus StatusAfterRejection(v1::RejectionReason reason) {
  switch (reason) {
    case v1::REJECTION_REASON_TOO_EARLY:
    case v1::REJECTION_REASON_NO_BUDGET:
      return v1::LIFECYCLE_STATUS_NURTURE;
    case v1::REJECTION_REASON_POOR_FIT:
      return v1::LIFECYCLE_STATUS_DISQUALIFIED;
    default:
      return v1::LIFECYCLE_STATUS_RESEARCHING;
  }
}

std::vector<std::string> MissingForHandoff(
    const v1::HandoffRequirements& requirements, const std::string& reason,
    const std::string& next_step, int notes, const v1::Verdict& verdict,
    const std::string& decision_owner_plan) {
  std::vector<std::string> missing;
  if (requirements.require_reason() && reason.empty()) {
    missing.push_back("reason: the reason for the handoff");
  }
  if (requirements.require_next_step() && next_step.empty()) {
    missing.push_back("next_step: the recommended next step");
  }
  if (notes < requirements.min_notes()) {
    missing.push_back(absl::StrCat("notes: at least ", requirements.min_notes(),
                                   " note(s) of what was learned (found ",
                                   notes, ")"));
  }
  if (requirements.require_decision_owner_or_plan() &&
      verdict.committee().decision_owner().empty() &&
      decision_owner_plan.empty()) {
    missing.push_back(
        "decision_owner_plan: no confirmed decision owner, and no stated plan "
        "to find one");
  }
  return missing;
}

v1::ProcessMetrics ComputeMetrics(const WorkflowHistory& history,
                                  absl::Time start, absl::Time end,
                                  absl::Duration review_sla) {
  v1::ProcessMetrics m;
  *m.mutable_start_time() = ToProto(start);
  *m.mutable_end_time() = ToProto(end);
  *m.mutable_review_sla() = ToProto(review_sla);
  auto in_window = [&](absl::Time t) { return t >= start && t < end; };

  // Each account's changes in time order.
  std::map<std::string, std::vector<const v1::StatusChange*>> by_account;
  for (const auto& c : history.changes) {
    std::string account = c.name().substr(0, c.name().find("/statusChanges/"));
    by_account[account].push_back(&c);
  }
  for (auto& [account, changes] : by_account) {
    std::stable_sort(changes.begin(), changes.end(),
                     [](const auto* a, const auto* b) {
                       return ToTime(a->change_time()) < ToTime(b->change_time());
                     });
    // Changes at the same instant follow their chain: each starts where
    // the account stands (NEW before the first).
    LifecycleStatus current = v1::LIFECYCLE_STATUS_NEW;
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      const absl::Time t = ToTime((*it)->change_time());
      auto same = it;
      while (same != changes.end() && ToTime((*same)->change_time()) == t &&
             (*same)->from_status() != current) {
        ++same;
      }
      if (same != changes.end() && same != it &&
          ToTime((*same)->change_time()) == t) {
        std::rotate(it, same, same + 1);
      }
      current = (*it)->to_status();
    }
  }

  // Review rate: accounts created in the window that left NEW within the SLA.
  std::map<std::pair<int, std::string>, std::pair<int64_t, int64_t>> sources;
  for (const auto& a : history.accounts) {
    const absl::Time created = ToTime(a.create_time());
    if (!in_window(created)) continue;
    m.set_accounts_created(m.accounts_created() + 1);
    const auto& changes = by_account[a.name()];
    bool reviewed = false, qualified = false;
    for (const auto* c : changes) {
      const absl::Time t = ToTime(c->change_time());
      if (c->from_status() == v1::LIFECYCLE_STATUS_NEW &&
          t - created <= review_sla) {
        reviewed = true;
      }
      if (t < end && (c->to_status() == v1::LIFECYCLE_STATUS_QUALIFIED ||
                      c->to_status() == v1::LIFECYCLE_STATUS_HANDED_OFF)) {
        qualified = true;
      }
    }
    if (reviewed) m.set_reviewed_within_sla(m.reviewed_within_sla() + 1);
    v1::SourceChannel source = v1::SOURCE_CHANNEL_UNSPECIFIED;
    auto label = a.labels().find("lead_source");
    if (label != a.labels().end()) {
      v1::SourceChannel_Parse(absl::StrCat("SOURCE_CHANNEL_", label->second),
                              &source);
    }
    auto campaign = a.labels().find("lead_campaign");
    auto& counts = sources[{source, campaign == a.labels().end()
                                        ? std::string()
                                        : campaign->second}];
    ++counts.first;
    if (qualified) ++counts.second;
  }
  m.set_review_rate(Ratio(m.reviewed_within_sla(), m.accounts_created()));
  for (const auto& [key, counts] : sources) {
    auto* s = m.add_qualified_by_source();
    s->set_source(static_cast<v1::SourceChannel>(key.first));
    s->set_campaign(key.second);
    s->set_accounts(counts.first);
    s->set_qualified(counts.second);
    s->set_rate(Ratio(counts.second, counts.first));
  }

  // Time in each status: stays that ended in the window. A stay starts at
  // the change into the status (or the account's creation for NEW).
  std::map<int, std::vector<absl::Duration>> stays;
  std::map<std::string, absl::Time> created;
  for (const auto& a : history.accounts) created[a.name()] = ToTime(a.create_time());
  std::map<std::string, int64_t> disqualified;
  for (const auto& [account, changes] : by_account) {
    absl::Time since = created.count(account) ? created[account]
                                              : ToTime(changes.front()->change_time());
    for (const auto* c : changes) {
      const absl::Time t = ToTime(c->change_time());
      if (in_window(t)) {
        stays[c->from_status()].push_back(t - since);
        if (c->to_status() == v1::LIFECYCLE_STATUS_DISQUALIFIED) {
          ++disqualified[c->reason()];
        }
      }
      since = t;
    }
  }
  for (auto& [status, durations] : stays) {
    std::sort(durations.begin(), durations.end());
    auto* d = m.add_time_in_status();
    d->set_status(static_cast<LifecycleStatus>(status));
    d->set_stays(static_cast<int64_t>(durations.size()));
    *d->mutable_median() = ToProto(Percentile(durations, 0.5));
    *d->mutable_p90() = ToProto(Percentile(durations, 0.9));
  }
  for (const auto& [reason, count] : disqualified) {
    auto* r = m.add_disqualification_reasons();
    r->set_reason(reason);
    r->set_count(count);
  }

  // Handoffs, their completeness, and what sales said.
  std::map<int, std::pair<int64_t, int64_t>> accuracy;
  std::map<std::string, int64_t> rejections;
  for (const auto& h : history.handoffs) {
    if (in_window(ToTime(h.create_time()))) {
      m.set_handoffs(m.handoffs() + 1);
      if (h.complete()) m.set_complete_handoffs(m.complete_handoffs() + 1);
    }
    if (!h.has_feedback() || !in_window(ToTime(h.feedback().record_time()))) {
      continue;
    }
    auto& counts = accuracy[h.route()];
    if (h.feedback().outcome() == v1::HANDOFF_OUTCOME_ACCEPTED) {
      ++counts.first;
    } else {
      ++counts.second;
      std::string code = v1::RejectionReason_Name(h.feedback().rejection_reason());
      ++rejections[absl::StartsWith(code, "REJECTION_REASON_") ? code.substr(17)
                                                                : code];
    }
  }
  m.set_completeness_rate(Ratio(m.complete_handoffs(), m.handoffs()));
  for (const auto& [route, counts] : accuracy) {
    auto* r = m.add_routing_accuracy();
    r->set_route(static_cast<v1::Route>(route));
    r->set_accepted(counts.first);
    r->set_rejected(counts.second);
    r->set_accuracy(Ratio(counts.first, counts.first + counts.second));
  }
  for (const auto& [reason, count] : rejections) {
    auto* r = m.add_rejection_reasons();
    r->set_reason(reason);
    r->set_count(count);
  }
  return m;
}

}  // namespace quorum::graph
