// Intent: the decayed, capped points of the signals up to as_of, read from
// the signal index without a scan (docs/qualification.md).
#include "graph/rules/qualification_steps.h"

namespace quorum::graph::steps {

int WeightIndex(const Policy& policy, v1::SignalType type,
                v1::SignalTopic topic) {
  // A policy (or solution) that names its topics leaves signals on other
  // topics out; general ones always count.
  const auto& topics = policy.intent().topics();
  if (!topics.empty() && topic != v1::SIGNAL_TOPIC_UNSPECIFIED &&
      topic != v1::SIGNAL_TOPIC_GENERAL &&
      std::find(topics.begin(), topics.end(), topic) == topics.end()) {
    return -1;
  }
  int any_topic = -1;
  for (int i = 0; i < policy.intent().weights_size(); ++i) {
    const auto& w = policy.intent().weights(i);
    if (w.type() != type) continue;
    if (w.topic() == topic) return i;
    if (w.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED && any_topic < 0) {
      any_topic = i;
    }
  }
  return any_topic;
}

bool Within(const SignalEntry& e, absl::Time as_of, int days) {
  return as_of - absl::FromUnixNanos(e.nanos) <= absl::Hours(24) * days;
}

int64_t CeilNanos(absl::Time t) {
  int64_t n = absl::ToUnixNanos(t);
  if (absl::FromUnixNanos(n) < t && n < std::numeric_limits<int64_t>::max()) {
    ++n;
  }
  return n;
}

absl::Duration HalfLife(const Policy& policy) {
  const auto& h = policy.intent().half_life();
  return absl::Seconds(h.seconds()) + absl::Nanoseconds(h.nanos());
}

PastSignals Past(const SignalHistory& history, const Policy& policy,
                 const WeightTable& weights, absl::Time as_of) {
  PastSignals past{&history,
                   as_of,
                   absl::ToUnixNanos(as_of),
                   absl::ToDoubleSeconds(HalfLife(policy)),
                   {}};
  past.kinds.reserve(history.kinds().size());
  for (const auto& kind : history.kinds()) {
    const size_t count = kind.series->CountUpTo(past.as_of_nanos);
    if (count == 0) continue;
    past.kinds.push_back(
        PastKind{&kind, weights.Of(kind.type, kind.topic), count});
  }
  return past;
}

double Decayed(const PastKind& k, const SignalEntry& e, const Policy& policy,
               const PastSignals& past) {
  const double age =
      absl::ToDoubleSeconds(past.as_of - absl::FromUnixNanos(e.nanos));
  return policy.intent().weights(k.weight).points() *
         std::exp2(-age / past.half_life_seconds);
}

void AddContribution(const PastKind& k, const SignalEntry& e,
                     const Policy& policy, const PastSignals& past,
                     v1::IntentAssessment* intent) {
  const absl::Time as_of = past.as_of;
  const auto& model = policy.intent();
  const auto& weight = model.weights(k.weight);
  auto* c = intent->add_signals();
  c->set_signal(e.name);
  c->set_type(k.kind->type);
  c->set_topic(k.kind->topic);
  *c->mutable_occur_time() = ToProto(absl::FromUnixNanos(e.nanos));
  c->set_stakeholder(e.stakeholder);
  c->set_points(weight.points());
  c->set_decayed_points(Round(Decayed(k, e, policy, past), 2));
  c->set_evaluation(weight.evaluation() &&
                    Within(e, as_of, model.evaluation_window_days()));
}

bool PickNewerFirst(const Pick& a, const Pick& b) {
  return NewerFirst(*a.entry, *b.entry);
}

std::vector<Pick> Strongest(const PastSignals& past, const Policy& policy,
                            size_t limit) {
  auto out = Merge(past, policy, limit, [](const Pick& a, const Pick& b) {
    if (a.shown != b.shown) return a.shown > b.shown;
    return PickNewerFirst(a, b);
  });
  std::sort(out.begin(), out.end(), PickNewerFirst);
  return out;
}

std::vector<Pick> Newest(const PastSignals& past, const Policy& policy,
                         size_t limit) {
  return Merge(past, policy, limit, PickNewerFirst);
}

void AssessIntent(const PastSignals& past, const Policy& policy,
                  v1::VerdictView view, int max_listed,
                  v1::IntentAssessment* out) {
  v1::IntentAssessment& intent = *out;
  const auto& model = policy.intent();
  const absl::Duration half_life = HalfLife(policy);
  std::map<int, double> per_weight;
  // Per signal type: contributing signals and the points they added.
  std::map<int, std::pair<int64_t, double>> per_type;
  int64_t considered = 0;
  bool evaluation = false;
  for (const PastKind& k : past.kinds) {
    if (k.weight < 0) continue;
    const auto& weight = model.weights(k.weight);
    per_weight[k.weight] +=
        weight.points() *
        k.kind->series->DecayedSum(k.count, past.as_of_nanos, half_life);
    per_type[k.kind->type].first += k.count;
    considered += k.count;
    evaluation |= weight.evaluation() && Within(k.Newest(), past.as_of,
                                                model.evaluation_window_days());
  }
  double score = 0;
  for (const auto& [w, sum] : per_weight) {
    const auto& weight = model.weights(w);
    const double counted =
        weight.cap() > 0 ? std::max(0.0, std::min(sum, weight.cap())) : sum;
    score += counted;
    per_type[weight.type()].second += counted;
  }
  const size_t listed = view == v1::VERDICT_VIEW_FULL
                            ? static_cast<size_t>(considered)
                            : static_cast<size_t>(max_listed);
  if (listed > 0) {
    for (const Pick& p : static_cast<size_t>(considered) <= listed
                             ? Newest(past, policy, listed)
                             : Strongest(past, policy, listed)) {
      AddContribution(*p.kind, *p.entry, policy, past, &intent);
    }
  }
  intent.set_signals_considered(considered);
  for (const auto& [type, total] : per_type) {
    auto* t = intent.add_type_totals();
    t->set_type(static_cast<v1::SignalType>(type));
    t->set_count(total.first);
    t->set_points(Round(total.second, 2));
  }
  intent.set_score(Round(score, 2));
  intent.set_threshold(model.high_intent_threshold());
  intent.set_evaluation_signal_in_window(evaluation);
  intent.set_high(evaluation &&
                  intent.score() >= model.high_intent_threshold());
}

}  // namespace quorum::graph::steps
