// The committee: who holds each required role, how engaged they are, and
// who connects them (docs/qualification.md).
#include "graph/rules/qualification_steps.h"
#include "graph/rules/titles.h"

namespace quorum::graph::steps {

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

RoleWeights RoleWeightsOf(const Policy& policy) {
  const v1::RoleConfidenceModel& m = policy.committee().role_confidence();
  RoleWeights w;
  if (m.title_weight() > 0) w.title = m.title_weight();
  if (m.crm_weight() > 0) w.crm = m.crm_weight();
  if (m.likely_at() > 0) w.likely_at = m.likely_at();
  return w;
}

namespace {

bool StrongerFirst(const v1::RoleEvidence& a, const v1::RoleEvidence& b) {
  return a.weight() > b.weight();
}

// A stakeholder's stored assignments, one PlannedRole per role.
std::vector<PlannedRole> PlanRoles(const Stakeholder& s,
                                   const RoleWeights& weights) {
  std::map<int, PlannedRole> roles;
  std::optional<std::vector<TitleMatch>> matches;  // Matched when needed.
  for (const v1::RoleAssignment& a : s.roles()) {
    PlannedRole& r =
        roles.try_emplace(a.role(), PlannedRole{a.role()}).first->second;
    v1::RoleEvidence& e = r.evidence.emplace_back();
    e.set_source(a.source());
    e.set_basis(a.basis());
    switch (a.source()) {
      case v1::ROLE_SOURCE_CONFIRMED:
        r.confirmed = true;
        e.set_weight(1);
        e.set_text(a.basis().empty()
                       ? "confirmed"
                       : absl::StrCat("confirmed by ", a.basis()));
        break;
      case v1::ROLE_SOURCE_CRM:
        e.set_weight(weights.crm);
        e.set_text(a.basis().empty()
                       ? "CRM contact role"
                       : absl::StrCat("CRM contact role '", a.basis(), "'"));
        break;
      default: {  // INFERRED (BEHAVIOUR is never stored).
        e.set_weight(weights.title);
        if (a.basis().empty() && !s.title().empty()) {
          if (!matches) matches = MatchTitle(s.title());
          for (const TitleMatch& m : *matches) {
            if (m.role == a.role()) e.set_basis(m.rule_id);
          }
        }
        e.set_text(s.title().empty() ? "inferred"
                                     : absl::StrCat("title '", s.title(), "'"));
        break;
      }
    }
    r.doubt *= 1 - e.weight();
  }
  std::vector<PlannedRole> out;
  out.reserve(roles.size());
  for (auto& [role, r] : roles) {
    if (r.confirmed) r.doubt = 0;
    std::stable_sort(r.evidence.begin(), r.evidence.end(), StrongerFirst);
    out.push_back(std::move(r));
  }
  return out;
}

bool Matches(const v1::RoleBehaviour& b, const SignalHistory::PersonKind& k) {
  return (b.signal_types().empty() ||
          std::find(b.signal_types().begin(), b.signal_types().end(), k.type) !=
              b.signal_types().end()) &&
         (b.topics().empty() || std::find(b.topics().begin(), b.topics().end(),
                                          k.topic) != b.topics().end());
}

// At most this many matching signals are named per behaviour.
constexpr size_t kListedBehaviourSignals = 3;

}  // namespace

CommitteePlan PlanCommittee(const v1::CommitteeMap& map, const Policy& policy) {
  const auto& model = policy.committee();
  CommitteePlan plan;
  plan.role_weights = RoleWeightsOf(policy);
  // By name; a repeated name keeps its last stakeholder.
  std::map<std::string, const Stakeholder*> by_name;
  for (const Stakeholder& s : map.stakeholders()) by_name[s.name()] = &s;
  plan.people.reserve(by_name.size());
  for (const auto& [name, s] : by_name) {
    PlannedPerson p{s,
                    s->engagement() == v1::ENGAGEMENT_UNSPECIFIED
                        ? v1::ENGAGEMENT_IDENTIFIED
                        : s->engagement(),
                    -1, PlanRoles(*s, plan.role_weights)};
    for (int i = 0; i < model.decision_owner_roles_size(); ++i) {
      bool confirmed = false;
      for (const PlannedRole& r : p.roles) {
        confirmed |= r.role == model.decision_owner_roles(i) && r.confirmed;
      }
      if (confirmed) {
        p.owner_order = i;
        break;
      }
    }
    for (const PlannedRole& r : p.roles) {
      if (r.confirmed ||
          std::find(model.decision_owner_roles().begin(),
                    model.decision_owner_roles().end(),
                    r.role) == model.decision_owner_roles().end()) {
        continue;
      }
      const v1::RoleEvidence& e = r.evidence.front();
      plan.inferred_owners.push_back(
          e.source() == v1::ROLE_SOURCE_CRM
              ? absl::StrCat(name, " (", RoleName(r.role), " from the ",
                             e.text(), ")")
              : absl::StrCat(name, " (", RoleName(r.role), " inferred from \"",
                             s->title(), "\")"));
      break;
    }
    plan.people.push_back(std::move(p));
  }
  plan.requirements.reserve(model.requirements_size());
  for (const CommitteeRequirement& req : model.requirements()) {
    PlannedRequirement& planned = plan.requirements.emplace_back();
    planned.req = &req;
    planned.needed = Rank(req.min_engagement());
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

namespace {

// A person's roles at as_of: their stored roles and the behaviour patterns
// their signals up to as_of match, with the fused confidence of each.
std::vector<HeldRole> HeldRoles(const PlannedPerson& p, const PastSignals& past,
                                const Policy& policy) {
  std::vector<HeldRole> held;
  std::vector<double> doubt;
  held.reserve(p.roles.size());
  for (const PlannedRole& r : p.roles) {
    held.push_back(HeldRole{r.role, 0, &r, {}});
    doubt.push_back(r.doubt);
  }
  const auto& behaviours = policy.committee().role_confidence().behaviours();
  const SignalHistory::PersonKinds* kinds =
      behaviours.empty() ? nullptr : past.history->OfStakeholder(p.s->name());
  if (kinds != nullptr) {
    std::vector<const SignalEntry*> matched;
    for (int b = 0; b < behaviours.size(); ++b) {
      const v1::RoleBehaviour& behaviour = behaviours[b];
      size_t total = 0;
      matched.clear();
      for (const auto& k : *kinds) {
        if (!Matches(behaviour, k)) continue;
        const size_t count = k.series->CountUpTo(past.as_of_nanos);
        total += count;
        for (size_t n = 0; n < std::min(count, kListedBehaviourSignals); ++n) {
          matched.push_back(&k.series->At(count - 1 - n));
        }
      }
      if (total == 0 ||
          total < static_cast<size_t>(std::max(1, behaviour.min_signals()))) {
        continue;
      }
      std::sort(matched.begin(), matched.end(),
                [](const SignalEntry* a, const SignalEntry* c) {
                  return NewerFirst(*a, *c);
                });
      if (matched.size() > kListedBehaviourSignals) {
        matched.resize(kListedBehaviourSignals);
      }
      auto it = std::find_if(held.begin(), held.end(), [&](const HeldRole& h) {
        return h.role == behaviour.role();
      });
      if (it == held.end()) {
        it = held.insert(
            std::upper_bound(
                held.begin(), held.end(), behaviour.role(),
                [](int role, const HeldRole& h) { return role < h.role; }),
            HeldRole{behaviour.role(), 0, nullptr, {}});
        doubt.insert(doubt.begin() + (it - held.begin()), 1.0);
      }
      it->behaviours.emplace_back(b, matched);
      doubt[it - held.begin()] *= 1 - behaviour.weight();
    }
  }
  for (size_t i = 0; i < held.size(); ++i) {
    held[i].confidence = Round(1 - doubt[i], 4);
  }
  return held;
}

}  // namespace

std::vector<Person> People(const CommitteePlan& plan, const PastSignals& past,
                           const WeightTable& weights, const Policy& policy) {
  const int64_t as_of_nanos = past.as_of_nanos;
  std::vector<Person> people;
  people.reserve(plan.people.size());
  for (const PlannedPerson& p : plan.people) {
    Person person{p.stored, nullptr, {}};
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
    person.roles = HeldRoles(p, past, policy);
    people.push_back(std::move(person));
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
    status->set_min_confidence(req.min_confidence());
    holders.clear();
    std::vector<int> nearly;
    std::vector<std::pair<int, double>> below;  // (person, confidence)
    for (int i = 0; i < static_cast<int>(people.size()); ++i) {
      double best = -1;
      for (const HeldRole& h : people[i].roles) {
        if (std::find(req.roles().begin(), req.roles().end(), h.role) !=
            req.roles().end()) {
          best = std::max(best, h.confidence);
        }
      }
      if (best < 0) continue;
      if (best < req.min_confidence()) {
        status->add_below_confidence(name(i));
        below.emplace_back(i, best);
      } else if (Rank(people[i].effective) >= planned.needed) {
        status->add_met_by(name(i));
      } else {
        status->add_nearly_met_by(name(i));
        nearly.push_back(i);
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
    std::string wanted = absl::StrCat(
        RoleList(req.roles()), " at ",
        EngagementName(planned.needed == 3   ? v1::ENGAGEMENT_CHAMPION
                       : planned.needed == 2 ? v1::ENGAGEMENT_ENGAGED
                                             : v1::ENGAGEMENT_IDENTIFIED),
        " or above");
    if (req.min_confidence() > 0) {
      absl::StrAppend(&wanted, " with confidence ", Num(req.min_confidence()),
                      " or more");
    }
    std::string missing = absl::StrCat("needs ", wanted);
    if (status->nearly_met_by_size() > 0) {
      absl::StrAppend(&missing, "; holds the role: ");
      bool first = true;
      for (int i : nearly) {
        absl::StrAppend(&missing, first ? "" : ", ", name(i), " (",
                        EngagementName(people[i].effective), ")");
        first = false;
      }
    }
    if (!below.empty()) {
      absl::StrAppend(&missing, "; holds it less surely: ");
      for (size_t b = 0; b < below.size(); ++b) {
        absl::StrAppend(&missing, b == 0 ? "" : ", ", name(below[b].first),
                        " (", Num(below[b].second), ")");
      }
    }
    if (status->nearly_met_by_size() == 0 && below.empty()) {
      absl::StrAppend(&missing, "; nobody holds it");
    }
    status->set_missing(std::move(missing));
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
  const auto& behaviours = policy.committee().role_confidence().behaviours();
  for (int i = 0; i < static_cast<int>(people.size()); ++i) {
    for (const HeldRole& h : people[i].roles) {
      auto* out = committee->add_roles();
      out->set_stakeholder(name(i));
      out->set_role(static_cast<v1::CommitteeRole>(h.role));
      out->set_confidence(h.confidence);
      const bool confirmed = h.stored != nullptr && h.stored->confirmed;
      out->set_certainty(confirmed ? v1::ROLE_CERTAINTY_CONFIRMED
                         : h.confidence >= plan.role_weights.likely_at
                             ? v1::ROLE_CERTAINTY_LIKELY
                             : v1::ROLE_CERTAINTY_POSSIBLE);
      if (h.stored != nullptr) {
        for (const auto& e : h.stored->evidence) *out->add_evidence() = e;
      }
      for (const auto& [b, signals] : h.behaviours) {
        auto* e = out->add_evidence();
        e->set_source(v1::ROLE_SOURCE_BEHAVIOUR);
        e->set_basis(behaviours[b].id());
        e->set_text(behaviours[b].description());
        e->set_weight(behaviours[b].weight());
        for (const SignalEntry* signal : signals) e->add_signals(signal->name);
      }
      std::stable_sort(out->mutable_evidence()->begin(),
                       out->mutable_evidence()->end(), StrongerFirst);
    }
  }
}

}  // namespace quorum::graph::steps
