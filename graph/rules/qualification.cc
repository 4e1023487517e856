#include "graph/rules/qualification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/time.h"
#include "graph/rules/algorithms.h"
#include "graph/rules/qualification_steps.h"
#include "graph/rules/signal_history.h"

namespace quorum::graph {
using namespace steps;  // NOLINT: the steps of a verdict.

int MaxListedSignals(const Policy& policy) {
  constexpr int kDefaultMaxListedSignals = 20;
  return policy.intent().max_listed_signals() > 0
             ? policy.intent().max_listed_signals()
             : kDefaultMaxListedSignals;
}

namespace {}  // namespace

// What a verdict on one tree under one policy needs that depends on neither
// the signals nor as_of (see qualification.h).
class QualificationPlan {
 public:
  QualificationPlan(const v1::CommitteeMap& map, const Policy& policy)
      : map(&map),
        policy(&policy),
        weights(policy),
        fit(AssessFit(map, policy)),
        committee(PlanCommittee(map, policy)) {
    // Stage and timeline roll up over the subtree.
    stage = map.account().evaluation_stage();
    auto roll_up = [&](const Account& a) {
      stage = std::max(stage, a.evaluation_stage());
      if (a.has_decision_time()) {
        absl::Time t = ToTime(a.decision_time());
        if (!decision || t < *decision) decision = t;
      }
    };
    roll_up(map.account());
    for (const Account& a : map.descendants()) roll_up(a);
    for (const auto& rule : policy.disqualify_rules()) {
      disqualify_applies.push_back(Applies(rule.when(), policy));
    }
    for (const auto& rule : policy.routing_rules()) {
      routing_applies.push_back(Applies(rule.when(), policy));
    }
  }

  const v1::CommitteeMap* map;
  const Policy* policy;
  WeightTable weights;
  FitOutcome fit;
  CommitteePlan committee;
  v1::EvaluationStage stage;
  std::optional<absl::Time> decision;
  // Per rule, whether it names only this policy's fit checks and
  // requirements (see Applies).
  std::vector<bool> disqualify_applies;
  std::vector<bool> routing_applies;
};

std::shared_ptr<const QualificationPlan> PlanQualification(
    const v1::CommitteeMap& map, const Policy& policy) {
  return std::make_shared<const QualificationPlan>(map, policy);
}

size_t ApproximateBytes(const QualificationPlan& plan) {
  auto string_bytes = [](const std::string& s) {
    return s.capacity() > 15 ? s.capacity() + 1 : 0;
  };
  auto check_bytes = [&](const std::vector<CheckOutcome>& checks) {
    size_t bytes = checks.capacity() * sizeof(CheckOutcome);
    for (const CheckOutcome& c : checks) bytes += string_bytes(c.value);
    return bytes;
  };
  // The plan, the holder of its map and policy and their control blocks.
  size_t bytes =
      sizeof(plan) + 128 +
      (v1::SignalType_ARRAYSIZE * v1::SignalTopic_ARRAYSIZE * sizeof(int16_t));
  bytes += plan.fit.sites.capacity() * sizeof(SiteOutcome);
  for (const SiteOutcome& s : plan.fit.sites) bytes += check_bytes(s.checks);
  bytes += check_bytes(plan.fit.checks);
  for (const std::string& f : plan.fit.facts_to_gather) {
    bytes += sizeof(f) + string_bytes(f);
  }
  const CommitteePlan& c = plan.committee;
  bytes += c.people.capacity() * sizeof(PlannedPerson);
  for (const PlannedPerson& p : c.people) {
    bytes += p.roles.capacity() * sizeof(PlannedRole);
    for (const PlannedRole& r : p.roles) {
      for (const auto& e : r.evidence) bytes += e.SpaceUsedLong();
    }
  }
  bytes += c.requirements.capacity() * sizeof(PlannedRequirement);
  for (const PlannedRequirement& r : c.requirements) {
    bytes += r.hint_targets.capacity() * sizeof(int);
  }
  bytes += c.edges.capacity() * sizeof(Edge);
  for (const Edge& e : c.edges) {
    bytes += string_bytes(e.from) + string_bytes(e.to);
  }
  for (const std::string& s : c.inferred_owners) {
    bytes += sizeof(s) + string_bytes(s);
  }
  return bytes;
}

namespace {

// Readiness 0..100 from fit, intent and coverage.
void SetReadiness(const Policy& policy, Verdict* v) {
  const auto& w = policy.readiness_weights();
  const double fit_score = v->fit().result() == v1::FIT_RESULT_PASS ? 1.0
                           : v->fit().result() == v1::FIT_RESULT_UNKNOWN
                               ? 0.5
                               : 0.0;
  const double intent_score =
      std::min(1.0, v->intent().score() / v->intent().threshold());
  const double total = w.fit() + w.intent() + w.coverage();
  v->set_readiness(static_cast<int32_t>(std::lround(
      100.0 *
      (w.fit() * fit_score + w.intent() * intent_score +
       w.coverage() * v->committee().coverage()) /
      total)));
}

// The verdict; without `explain`, only what decides the route and the
// readiness (no listed signals, gaps, nurture track, reasons or questions).
// Into `out`, which is empty (and may live on an arena).
void Decide(const QualificationPlan& plan, const SignalHistory& history,
            int64_t revision, absl::Time as_of, v1::VerdictView view,
            bool explain, Verdict* out) {
  const Policy& policy = *plan.policy;
  Verdict& v = *out;
  v.set_account(plan.map->account().name());
  v.set_policy_revision(revision);
  *v.mutable_as_of() = ToProto(as_of);

  const v1::EvaluationStage stage = plan.stage;
  const std::optional<absl::Time>& decision = plan.decision;
  v.set_stage(stage);
  if (decision) *v.mutable_decision_time() = ToProto(*decision);

  const PastSignals signals = Past(history, policy, plan.weights, as_of);
  plan.fit.ToProto(v.mutable_fit());
  AssessIntent(signals, policy, view, explain ? MaxListedSignals(policy) : 0,
               v.mutable_intent());
  const std::vector<Person> people =
      People(plan.committee, signals, plan.weights, policy);
  const std::vector<int> connectors = Connectors(people);
  AssessCommittee(plan.committee, people, connectors, stage, policy,
                  v.mutable_committee());

  Facts facts{&v.fit(), &v.intent(), &v.committee(), &signals, &policy,
              stage,    decision.has_value(), as_of};

  // Route: disqualify rules, then routing rules, first match wins.
  bool decided = false;
  for (int i = 0; i < policy.disqualify_rules_size(); ++i) {
    if (!plan.disqualify_applies[i]) continue;
    const auto& rule = policy.disqualify_rules(i);
    Outcome o = Evaluate(rule.when(), facts);
    if (!o.holds) continue;
    v.set_route(v1::ROUTE_DISQUALIFY);
    v.set_decided_by(rule.id());
    v.set_next_step(absl::StrCat("Not now: ", rule.reason(),
                                 " Stop sales outreach; revisit when the "
                                 "facts change."));
    auto* reason = v.add_reasons();
    reason->set_rule_id(rule.id());
    reason->set_text(rule.reason());
    for (auto& e : o.evidence) reason->add_evidence(std::move(e));
    decided = true;
    break;
  }
  if (!decided) {
    for (int i = 0; i < policy.routing_rules_size(); ++i) {
      if (!plan.routing_applies[i]) continue;
      const auto& rule = policy.routing_rules(i);
      Outcome o = Evaluate(rule.when(), facts);
      if (!o.holds) continue;
      v.set_route(rule.route());
      v.set_decided_by(rule.id());
      v.set_next_step(rule.next_step());
      auto* reason = v.add_reasons();
      reason->set_rule_id(rule.id());
      reason->set_text(rule.reason());
      for (auto& e : o.evidence) reason->add_evidence(std::move(e));
      decided = true;
      break;
    }
  }

  if (!explain) {
    if (!decided) {
      v.set_route(v1::ROUTE_NURTURE);
      v.set_decided_by("default");
    }
    SetReadiness(policy, &v);
    return;
  }

  // Open gaps, each with a concrete suggestion.
  std::set<std::string> open_gaps;
  if (v.fit().result() == v1::FIT_RESULT_UNKNOWN) {
    for (const auto& check : v.fit().checks()) {
      if (check.result() != v1::FIT_RESULT_UNKNOWN || !check.must_have()) {
        continue;
      }
      open_gaps.insert(check.check_id());
    }
    for (const std::string& fact : v.fit().facts_to_gather()) {
      auto* gap = v.add_gaps();
      std::string check_id;
      for (int i = 0; i < policy.fit_checks_size(); ++i) {
        if (absl::StartsWith(fact, AttributeOf(policy.fit_checks(i)) + " of ")) {
          check_id = policy.fit_checks(i).id();
          break;
        }
      }
      gap->set_id(check_id);
      gap->set_description(absl::StrCat("Fit unknown: ", fact, " is not known"));
      gap->set_suggestion(absl::StrCat(
          "Research and record the ", fact,
          " (light-touch: confirm it before sales spends time)"));
    }
  }
  if (!v.intent().high()) {
    open_gaps.insert("intent");
    auto* gap = v.add_gaps();
    gap->set_id("intent");
    gap->set_description(
        v.intent().evaluation_signal_in_window()
            ? absl::StrCat("Intent score ", Num(v.intent().score()),
                           " is below the threshold ",
                           Num(v.intent().threshold()))
            : absl::StrCat("No evaluation signal (demo, pricing, validation, "
                           "integration, technical session, timeline) in the "
                           "last ",
                           policy.intent().evaluation_window_days(), " days"));
    gap->set_suggestion(
        "Offer an evaluation step matched to their topics (a technical "
        "session, the validation guide, an integration call) and watch for "
        "a response");
  }
  for (const auto& req : v.committee().requirements()) {
    if (!req.applicable() || req.met()) continue;
    open_gaps.insert(req.requirement_id());
    auto* gap = v.add_gaps();
    gap->set_id(req.requirement_id());
    gap->set_description(
        absl::StrCat("Committee requirement ", req.requirement_id(), ": ",
                     req.missing()));
    if (req.below_confidence_size() > 0 && req.nearly_met_by_size() == 0) {
      gap->set_suggestion(absl::StrCat(
          "Confirm whether ", absl::StrJoin(req.below_confidence(), ", "),
          req.below_confidence_size() == 1 ? " holds " : " hold ",
          RoleList(req.roles()),
          ": what suggests it is less sure than the requirement asks"));
    } else if (req.has_introduction()) {
      const auto& intro = req.introduction();
      *gap->mutable_introduction() = intro;
      const std::string& from = intro.path(0);
      const std::string& to = *intro.path().rbegin();
      if (intro.path_size() == 1) {
        gap->set_suggestion(
            intro.holds_role()
                ? absl::StrCat("Deepen engagement with ", to)
                : absl::StrCat("Ask ", to, " who holds ",
                               RoleName(intro.role()), " (path: ",
                               Describe(intro), ")"));
      } else {
        gap->set_suggestion(
            intro.holds_role()
                ? absl::StrCat("Ask ", from, " for an introduction to ", to,
                               " (path: ", Describe(intro), ")")
                : absl::StrCat("Ask ", from, " to introduce ", to,
                               ", who likely knows who holds ",
                               RoleName(intro.role()), " (path: ",
                               Describe(intro), ")"));
      }
    } else {
      const std::string ask =
          !v.committee().decision_owner().empty()
              ? v.committee().decision_owner()
          : !connectors.empty()
              ? plan.committee.people[connectors.front()].s->name()
              : "your first contact";
      gap->set_suggestion(absl::StrCat(
          "No relationship path leads there yet: ask ", ask,
          " who covers it, or research the organization chart"));
    }
  }
  if (v.committee().decision_owner().empty()) {
    open_gaps.insert("decision-owner");
    auto* gap = v.add_gaps();
    gap->set_id("decision-owner");
    gap->set_description("No decision owner: nobody holds a confirmed decision role");
    const std::vector<std::string>& inferred = plan.committee.inferred_owners;
    gap->set_suggestion(
        inferred.empty()
            ? "Ask your contacts who owns the evaluation and confirm that role"
            : absl::StrCat("Confirm whether ", absl::StrJoin(inferred, ", "),
                           " owns the evaluation: a title or a CRM role alone "
                           "does not make a decision owner"));
  }
  if (!decision) {
    open_gaps.insert("timeline");
    auto* gap = v.add_gaps();
    gap->set_id("timeline");
    gap->set_description("Decision timeline unknown");
    gap->set_suggestion("Ask when a decision is planned and what drives the date");
  }

  // Nurture track: from open gaps, then recent topics, else the first.
  std::set<int> recent_topics;
  for (const PastKind& k : signals.kinds) {
    if (Within(k.Newest(), as_of, policy.intent().evaluation_window_days())) {
      recent_topics.insert(k.kind->topic);
    }
  }
  if (!decided) {
    v.set_route(v1::ROUTE_NURTURE);
    v.set_decided_by("default");
    auto* reason = v.add_reasons();
    reason->set_rule_id("default");
    reason->set_text("No routing rule matched: nurture until intent or "
                     "committee coverage grows");
  }
  if (v.route() == v1::ROUTE_NURTURE) {
    const v1::NurtureTrack* track = nullptr;
    for (const auto& t : policy.nurture_tracks()) {
      for (const std::string& g : t.gaps()) {
        if (open_gaps.count(g) > 0 && track == nullptr) track = &t;
      }
    }
    for (const auto& t : policy.nurture_tracks()) {
      for (int topic : t.topics()) {
        if (recent_topics.count(topic) > 0 && track == nullptr) track = &t;
      }
    }
    if (track == nullptr) track = &policy.nurture_tracks(0);
    v.set_nurture_track(track->id());
    if (!decided) {
      v.set_next_step(absl::StrCat("Enrol in the ", track->id(),
                                   " nurture track (", track->description(),
                                   ") and watch for an evaluation signal"));
    }
  }

  // Supporting reasons: the fit, intent and committee facts behind it.
  {
    auto* fit = v.add_reasons();
    fit->set_rule_id("fit");
    fit->set_text(absl::StrCat("Fit is ", FitName(v.fit().result()),
                               v.fit().result() == v1::FIT_RESULT_PASS
                                   ? ": a site passes every must-have check"
                               : v.fit().result() == v1::FIT_RESULT_UNKNOWN
                                   ? ": no failed must-have, but facts missing"
                                   : ": no site passes every must-have check"));
    for (const auto& c : v.fit().checks()) {
      if (!c.must_have()) continue;
      fit->add_evidence(absl::StrCat(c.check_id(), " ", FitName(c.result()),
                                     c.value().empty() ? "" : ": ", c.value(),
                                     " (", c.source(), ")"));
    }
    auto* intent = v.add_reasons();
    intent->set_rule_id("intent");
    intent->set_text(absl::StrCat(
        v.intent().high() ? "High intent" : "Not high intent", ": score ",
        Num(v.intent().score()), " vs threshold ", Num(v.intent().threshold()),
        v.intent().evaluation_signal_in_window()
            ? ", evaluation signal in the window"
            : ", no evaluation signal in the window"));
    for (const Pick& p : Newest(signals, policy, 5)) {
      intent->add_evidence(absl::StrCat(
          TypeName(p.kind->kind->type), "/", TopicName(p.kind->kind->topic),
          " ", Num(p.shown), " pts (", p.entry->name, ")"));
    }
    for (const auto& req : v.committee().requirements()) {
      if (!req.applicable()) continue;
      auto* r = v.add_reasons();
      r->set_rule_id(req.requirement_id());
      r->set_text(req.met() ? absl::StrCat("Requirement ", req.requirement_id(),
                                           " is met")
                            : absl::StrCat("Requirement ", req.requirement_id(),
                                           " is not met: ", req.missing()));
      for (const auto& who : req.met_by()) r->add_evidence(who);
    }
  }

  // Suggested questions: by route, then gaps, then recent topics.
  for (const auto& q : policy.questions()) {
    std::string because;
    if (std::find(q.routes().begin(), q.routes().end(), v.route()) !=
        q.routes().end()) {
      because = absl::StrCat("route ", RouteName(v.route()));
    }
    for (const std::string& g : q.gaps()) {
      if (because.empty() && open_gaps.count(g) > 0) {
        because = absl::StrCat("gap ", g);
      }
    }
    for (int topic : q.topics()) {
      if (because.empty() && recent_topics.count(topic) > 0) {
        because = absl::StrCat(
            "recent signals on ",
            TopicName(static_cast<v1::SignalTopic>(topic)));
      }
    }
    if (because.empty()) continue;
    auto* s = v.add_questions();
    s->set_id(q.id());
    s->set_text(q.text());
    s->set_because(because);
  }

  SetReadiness(policy, &v);
}

}  // namespace

Verdict Qualify(const v1::CommitteeMap& map, const SignalHistory& history,
                const Policy& policy, int64_t revision, absl::Time as_of,
                v1::VerdictView view) {
  Verdict v;
  Decide(QualificationPlan(map, policy), history, revision, as_of, view, true,
         &v);
  return v;
}

Verdict Qualify(const QualificationPlan& plan, const SignalHistory& history,
                int64_t revision, absl::Time as_of, v1::VerdictView view) {
  Verdict v;
  Decide(plan, history, revision, as_of, view, true, &v);
  return v;
}

void Qualify(const QualificationPlan& plan, const SignalHistory& history,
             int64_t revision, absl::Time as_of, v1::VerdictView view,
             Verdict* out) {
  out->Clear();
  Decide(plan, history, revision, as_of, view, true, out);
}

Verdict QualifyRoute(const v1::CommitteeMap& map, const SignalHistory& history,
                     const Policy& policy, int64_t revision, absl::Time as_of) {
  Verdict v;
  Decide(QualificationPlan(map, policy), history, revision, as_of,
         v1::VERDICT_VIEW_BASIC, false, &v);
  return v;
}

Verdict Qualify(const AccountTree& tree, const Policy& policy,
                int64_t revision, absl::Time as_of, v1::VerdictView view) {
  return Qualify(tree.map, *SignalHistory::Build(tree.signals, HalfLife(policy)),
                 policy, revision, as_of, view);
}

}  // namespace quorum::graph
