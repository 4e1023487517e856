// Routing conditions: a policy's conditions evaluated over the facts of a
// verdict, with the facts that decided them.
#include "graph/rules/qualification_steps.h"

namespace quorum::graph::steps {

Outcome Leaf(bool holds, std::string fact) {
  return {holds, {std::move(fact)}};
}

Outcome Evaluate(const Condition& c, const Facts& f) {
  switch (c.kind_case()) {
    case Condition::kAllOf: {
      Outcome all{true, {}};
      for (const Condition& child : c.all_of().conditions()) {
        Outcome o = Evaluate(child, f);
        if (!o.holds) return o;
        all.evidence.insert(all.evidence.end(),
                            std::make_move_iterator(o.evidence.begin()),
                            std::make_move_iterator(o.evidence.end()));
      }
      return all;
    }
    case Condition::kAnyOf: {
      Outcome none{false, {}};
      for (const Condition& child : c.any_of().conditions()) {
        Outcome o = Evaluate(child, f);
        if (o.holds) return o;
        none.evidence.insert(none.evidence.end(),
                             std::make_move_iterator(o.evidence.begin()),
                             std::make_move_iterator(o.evidence.end()));
      }
      return none;
    }
    case Condition::kNegate: {
      Outcome o = Evaluate(c.negate(), f);
      o.holds = !o.holds;
      return o;
    }
    case Condition::kFit: {
      std::string fact = absl::StrCat("fit is ", FitName(f.fit->result()));
      if (f.fit->fitting_sites_size() > 0) {
        absl::StrAppend(&fact, " (fitting: ",
                        absl::StrJoin(f.fit->fitting_sites(), ", "), ")");
      } else if (f.fit->facts_to_gather_size() > 0) {
        absl::StrAppend(&fact, " (unknown: ",
                        absl::StrJoin(f.fit->facts_to_gather(), ", "), ")");
      }
      return Leaf(f.fit->result() == c.fit(), fact);
    }
    case Condition::kFitCheck: {
      for (const CheckResult& r : f.fit->checks()) {
        if (r.check_id() != c.fit_check().check_id()) continue;
        std::string fact = absl::StrCat("fit check ", r.check_id(), " is ",
                                        FitName(r.result()));
        if (!r.value().empty()) {
          absl::StrAppend(&fact, " (", r.value(), " at ", r.source(), ")");
        } else {
          absl::StrAppend(&fact, " (not known for ", r.source(), ")");
        }
        return Leaf(r.result() == c.fit_check().result(), fact);
      }
      return Leaf(false, "no such fit check");
    }
    case Condition::kIntentAtLeast:
      return Leaf(f.intent->score() >= c.intent_at_least(),
                  absl::StrCat("intent score ", Num(f.intent->score()),
                               " (needs ", Num(c.intent_at_least()), ")"));
    case Condition::kHighIntent:
      return Leaf(
          f.intent->high() == c.high_intent(),
          absl::StrCat(f.intent->high() ? "high intent" : "not high intent",
                       ": score ", Num(f.intent->score()), " vs threshold ",
                       Num(f.intent->threshold()),
                       f.intent->evaluation_signal_in_window()
                           ? ", with an evaluation signal in the window"
                           : ", no evaluation signal in the window"));
    case Condition::kEvaluationSignal: {
      const auto& want = c.evaluation_signal();
      const auto newest = NewestOf(*f.signals, [&](const PastKind& k) {
        return k.weight >= 0 &&
               f.policy->intent().weights(k.weight).evaluation() &&
               (want.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED ||
                k.kind->topic == want.topic());
      });
      if (newest && Within(*newest->second, f.as_of, want.within_days())) {
        const auto& [kind, e] = *newest;
        return Leaf(true, absl::StrCat(TypeName(kind->kind->type), " on ",
                                       TopicName(kind->kind->topic), " at ",
                                       TimeUtil::ToString(ToProto(
                                           absl::FromUnixNanos(e->nanos))),
                                       " (", e->name, ")"));
      }
      return Leaf(
          false,
          absl::StrCat("no evaluation signal",
                       want.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED
                           ? ""
                           : absl::StrCat(" on ", TopicName(want.topic())),
                       " in the last ", want.within_days(), " days"));
    }
    case Condition::kCoverageAtLeast:
      return Leaf(
          f.committee->coverage() >= c.coverage_at_least(),
          absl::StrCat("committee coverage ", Num(f.committee->coverage()),
                       " (needs ", Num(c.coverage_at_least()), ")"));
    case Condition::kRequirementMet: {
      for (const auto& r : f.committee->requirements()) {
        if (r.requirement_id() != c.requirement_met()) continue;
        if (r.met()) {
          return Leaf(
              true, absl::StrCat("requirement ", r.requirement_id(), " met by ",
                                 absl::StrJoin(r.met_by(), ", ")));
        }
        return Leaf(
            false,
            absl::StrCat(
                "requirement ", r.requirement_id(), " not met",
                r.missing().empty() ? "" : absl::StrCat(": ", r.missing())));
      }
      return Leaf(false, "no such requirement");
    }
    case Condition::kStageAtLeast:
      return Leaf(f.stage != v1::EVALUATION_STAGE_UNSPECIFIED &&
                      f.stage >= c.stage_at_least(),
                  absl::StrCat("stage is ", StageName(f.stage)));
    case Condition::kTimelineKnown:
      return Leaf(f.timeline_known == c.timeline_known(),
                  f.timeline_known ? "decision timeline known"
                                   : "decision timeline unknown");
    case Condition::kDecisionOwnerKnown: {
      const bool known = !f.committee->decision_owner().empty();
      return Leaf(
          known == c.decision_owner_known(),
          known ? absl::StrCat("decision owner ", f.committee->decision_owner())
                : "no confirmed decision owner");
    }
    case Condition::kOnlySignalTypes: {
      const auto& want = c.only_signal_types();
      const auto listed = [&](v1::SignalType type) {
        return std::find(want.types().begin(), want.types().end(), type) !=
               want.types().end();
      };
      const auto offender = NewestOf(
          *f.signals, [&](const PastKind& k) { return !listed(k.kind->type); });
      if (offender && Within(*offender->second, f.as_of, want.within_days())) {
        return Leaf(false,
                    absl::StrCat(TypeName(offender->first->kind->type),
                                 " signal ", offender->second->name,
                                 " in the last ", want.within_days(), " days"));
      }
      const int64_t from =
          CeilNanos(f.as_of - absl::Hours(24) * want.within_days());
      int64_t seen = 0;
      for (const PastKind& k : f.signals->kinds) {
        const size_t first = k.kind->series->FirstFrom(from);
        if (first < k.count) seen += k.count - first;
      }
      return Leaf(seen > 0, absl::StrCat(seen, " signal(s) in the last ",
                                         want.within_days(),
                                         " days, all of the listed types"));
    }
    case Condition::KIND_NOT_SET:
      break;
  }
  return Leaf(false, "empty condition");
}

bool Applies(const Condition& c, const Policy& policy) {
  switch (c.kind_case()) {
    case Condition::kAllOf:
      for (const Condition& child : c.all_of().conditions()) {
        if (!Applies(child, policy)) return false;
      }
      return true;
    case Condition::kAnyOf:
      for (const Condition& child : c.any_of().conditions()) {
        if (!Applies(child, policy)) return false;
      }
      return true;
    case Condition::kNegate:
      return Applies(c.negate(), policy);
    case Condition::kFitCheck:
      return std::any_of(policy.fit_checks().begin(), policy.fit_checks().end(),
                         [&](const v1::FitCheck& check) {
                           return check.id() == c.fit_check().check_id();
                         });
    case Condition::kRequirementMet: {
      const auto& reqs = policy.committee().requirements();
      return std::any_of(reqs.begin(), reqs.end(),
                         [&](const v1::CommitteeRequirement& r) {
                           return r.id() == c.requirement_met();
                         });
    }
    default:
      return true;
  }
}

}  // namespace quorum::graph::steps
