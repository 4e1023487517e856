// The committee: who holds each required role, how engaged they are, and
// who connects them (docs/qualification.md).
#include "graph/rules/qualification_steps.h"

namespace quorum::graph::steps {

bool Holds(const Stakeholder& s,
           const google::protobuf::RepeatedField<int>& roles) {
  for (const auto& r : s.roles()) {
    if (std::find(roles.begin(), roles.end(), r.role()) != roles.end()) {
      return true;
    }
  }
  return false;
}

bool HoldsRole(const Stakeholder& s, int role) {
  for (const auto& r : s.roles()) {
    if (r.role() == role) return true;
  }
  return false;
}

std::string RoleList(const google::protobuf::RepeatedField<int>& roles) {
  std::vector<std::string> names;
  for (int r : roles) names.push_back(RoleName(r));
  return absl::StrJoin(names, " or ");
}

CommitteePlan PlanCommittee(const v1::CommitteeMap& map, const Policy& policy) {
  const auto& model = policy.committee();
  CommitteePlan plan;
  // By name; a repeated name keeps its last stakeholder.
  std::map<std::string, const Stakeholder*> by_name;
  for (const Stakeholder& s : map.stakeholders()) by_name[s.name()] = &s;
  plan.people.reserve(by_name.size());
  for (const auto& [name, s] : by_name) {
    PlannedPerson p{s,
                    s->engagement() == v1::ENGAGEMENT_UNSPECIFIED
                        ? v1::ENGAGEMENT_IDENTIFIED
                        : s->engagement(),
                    -1};
    for (int i = 0; i < model.decision_owner_roles_size(); ++i) {
      bool confirmed = false;
      for (const auto& r : s->roles()) {
        confirmed |= r.role() == model.decision_owner_roles(i) &&
                     r.source() == v1::ROLE_SOURCE_CONFIRMED;
      }
      if (confirmed) {
        p.owner_order = i;
        break;
      }
    }
    plan.people.push_back(p);
    for (const auto& r : s->roles()) {
      if (r.source() == v1::ROLE_SOURCE_INFERRED &&
          std::find(model.decision_owner_roles().begin(),
                    model.decision_owner_roles().end(),
                    r.role()) != model.decision_owner_roles().end()) {
        plan.inferred_owners.push_back(
            absl::StrCat(name, " (", RoleName(r.role()), " inferred from \"",
                         s->title(), "\")"));
        break;
      }
    }
  }
  plan.requirements.reserve(model.requirements_size());
  for (const CommitteeRequirement& req : model.requirements()) {
    PlannedRequirement& planned = plan.requirements.emplace_back();
    planned.req = &req;
    planned.needed = Rank(req.min_engagement());
    for (int i = 0; i < static_cast<int>(plan.people.size()); ++i) {
      if (Holds(*plan.people[i].s, req.roles())) {
        planned.role_holders.push_back(i);
      }
    }
    // A blocker stays one whatever the signals (only IDENTIFIED people are
    // raised), so who may be asked does not depend on the time.
    for (const auto& hint : model.role_hints()) {
      if (std::find(req.roles().begin(), req.roles().end(), hint.role()) ==
          req.roles().end()) {
        continue;
      }
      for (int ask : hint.ask_roles()) {
        for (int i = 0; i < static_cast<int>(plan.people.size()); ++i) {
          const PlannedPerson& p = plan.people[i];
          if (HoldsRole(*p.s, ask) && p.stored != v1::ENGAGEMENT_BLOCKER &&
              std::find(planned.hint_targets.begin(),
                        planned.hint_targets.end(),
                        i) == planned.hint_targets.end()) {
            planned.hint_targets.push_back(i);
          }
        }
      }
    }
  }
  plan.edges.reserve(map.relationships_size());
  for (const auto& r : map.relationships()) {
    plan.edges.push_back(Edge{r.source(), r.target()});
  }
  return plan;
}

std::vector<Person> People(const CommitteePlan& plan, const PastSignals& past,
                           const WeightTable& weights, const Policy& policy) {
  const int64_t as_of_nanos = past.as_of_nanos;
  std::vector<Person> people;
  people.reserve(plan.people.size());
  for (const PlannedPerson& p : plan.people) {
    Person person{p.stored, nullptr};
    // Only IDENTIFIED people are raised: by their newest evaluation signal
    // within the engagement window.
    if (p.stored != v1::ENGAGEMENT_BLOCKER &&
        Rank(p.stored) < Rank(v1::ENGAGEMENT_ENGAGED)) {
      const SignalHistory::PersonKinds* kinds =
          past.history->OfStakeholder(p.s->name());
      const SignalEntry* best = nullptr;
      if (kinds != nullptr) {
        for (const auto& k : *kinds) {
          const int w = weights.Of(k.type, k.topic);
          if (w < 0 || !policy.intent().weights(w).evaluation()) continue;
          const size_t count = k.series->CountUpTo(as_of_nanos);
          if (count == 0) continue;
          const SignalEntry& e = k.series->At(count - 1);
          if (best == nullptr || NewerFirst(e, *best)) best = &e;
        }
      }
      if (best != nullptr &&
          Within(*best, past.as_of,
                 policy.committee().engagement_window_days())) {
        person.effective = v1::ENGAGEMENT_ENGAGED;
        person.raised_by = &best->name;
      }
    }
    people.push_back(person);
  }
  return people;
}

std::vector<int> Connectors(const std::vector<Person>& people) {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(people.size()); ++i) {
    if (Rank(people[i].effective) >= Rank(v1::ENGAGEMENT_ENGAGED)) {
      out.push_back(i);
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](int a, int b) {
    return Rank(people[a].effective) > Rank(people[b].effective);
  });
  return out;
}

void AssessCommittee(const CommitteePlan& plan,
                     const std::vector<Person>& people,
                     const std::vector<int>& connectors,
                     v1::EvaluationStage stage, const Policy& policy,
                     v1::CommitteeAssessment* committee) {
  const auto& name = [&](int i) -> const std::string& {
    return plan.people[i].s->name();
  };
  int applicable = 0, met = 0;
  std::vector<int> holders;
  committee->mutable_requirements()->Reserve(
      static_cast<int>(plan.requirements.size()));
  for (const PlannedRequirement& planned : plan.requirements) {
    const CommitteeRequirement& req = *planned.req;
    auto* status = committee->add_requirements();
    status->set_requirement_id(req.id());
    *status->mutable_roles() = req.roles();
    status->set_min_engagement(req.min_engagement());
    status->set_from_stage(req.from_stage());
    const bool applies = req.from_stage() == v1::EVALUATION_STAGE_UNSPECIFIED ||
                         stage >= req.from_stage();
    status->set_applicable(applies);
    holders.clear();
    for (int i : planned.role_holders) {
      if (Rank(people[i].effective) >= planned.needed) {
        status->add_met_by(name(i));
      } else {
        status->add_nearly_met_by(name(i));
        if (people[i].effective != v1::ENGAGEMENT_BLOCKER) holders.push_back(i);
      }
    }
    status->set_met(status->met_by_size() > 0);
    if (!applies) continue;
    ++applicable;
    if (status->met()) {
      ++met;
      continue;
    }
    const std::string wanted = absl::StrCat(
        RoleList(req.roles()), " at ",
        EngagementName(planned.needed == 3   ? v1::ENGAGEMENT_CHAMPION
                       : planned.needed == 2 ? v1::ENGAGEMENT_ENGAGED
                                             : v1::ENGAGEMENT_IDENTIFIED),
        " or above");
    if (status->nearly_met_by_size() > 0) {
      std::string missing =
          absl::StrCat("needs ", wanted, "; holds the role: ");
      bool first = true;
      for (int i : planned.role_holders) {
        if (Rank(people[i].effective) >= planned.needed) continue;
        absl::StrAppend(&missing, first ? "" : ", ", name(i), " (",
                        EngagementName(people[i].effective), ")");
        first = false;
      }
      status->set_missing(std::move(missing));
    } else {
      status->set_missing(absl::StrCat("needs ", wanted, "; nobody holds it"));
    }
    // Introduction: to a holder, else to someone likely to know one.
    const bool holds_role = !holders.empty();
    const std::vector<int>& targets =
        holds_role ? holders : planned.hint_targets;
    if (!connectors.empty() && !targets.empty()) {
      std::vector<std::string> from, to;
      from.reserve(connectors.size());
      for (int i : connectors) from.push_back(name(i));
      to.reserve(targets.size());
      for (int i : targets) to.push_back(name(i));
      auto path = ShortestUndirectedPath(plan.edges, from, to);
      if (path) {
        auto* intro = status->mutable_introduction();
        intro->set_role(static_cast<v1::CommitteeRole>(req.roles(0)));
        for (auto& step : *path) intro->add_path(std::move(step));
        intro->set_holds_role(holds_role);
      }
    }
  }
  committee->set_coverage(
      applicable == 0 ? 1.0 : Round(static_cast<double>(met) / applicable, 4));
  // Decision owner: a confirmed decision role, most engaged first.
  int owner = -1;
  int owner_order = 0;
  for (int i = 0; i < static_cast<int>(people.size()); ++i) {
    const Person& p = people[i];
    if (p.effective == v1::ENGAGEMENT_BLOCKER) {
      committee->add_blockers(name(i));
      continue;
    }
    const int order = plan.people[i].owner_order;
    if (order < 0) continue;
    if (owner < 0 || Rank(p.effective) > Rank(people[owner].effective) ||
        (Rank(p.effective) == Rank(people[owner].effective) &&
         order < owner_order)) {
      owner = i;
      owner_order = order;
    }
  }
  if (owner >= 0) committee->set_decision_owner(name(owner));
  committee->mutable_engagements()->Reserve(static_cast<int>(people.size()));
  for (int i = 0; i < static_cast<int>(people.size()); ++i) {
    auto* e = committee->add_engagements();
    e->set_stakeholder(name(i));
    e->set_stored(plan.people[i].stored);
    e->set_effective(people[i].effective);
    if (people[i].raised_by != nullptr) e->set_raised_by(*people[i].raised_by);
  }
  (void)policy;
}

}  // namespace quorum::graph::steps
