// When a verdict's route or readiness next changes with time alone
// (NextTimeChange in qualification.h; docs/workflow.md, "Time-driven
// events").
//
// With the graph and the signals fixed, a verdict depends on the time in
// two ways only:
//  - windows: a signal counts for an evaluation window, a routing
//    condition's within_days or a person's engagement window up to a fixed
//    instant after it (its time plus the window, and one nanosecond); a
//    signal dated later than `from` joins at its time. Between two such
//    breakpoints every window-dependent fact is constant;
//  - the intent score, which decays continuously: each policy weight's sum
//    of signal points is multiplied by 2^(-dt / half-life), then capped, so
//    between breakpoints the score is a non-increasing function of dt in
//    closed form, and so is the readiness computed from it.
// So the first change is at the next breakpoint, or earlier where the
// decaying score first falls below a value that matters (a routing
// condition's intent_at_least, the high-intent threshold, or the score at
// which the readiness drops a point), found by bisection on the closed
// form. The time returned is never before such a crossing; it may be a
// moment at which nothing changes after all (then a re-evaluation finds the
// same route and readiness and asks again).
#include <cmath>

#include "graph/rules/qualification_steps.h"

namespace quorum::graph {
using namespace steps;  // NOLINT: the steps of a verdict.

namespace {

constexpr int64_t kDayNanos = int64_t{86400} * 1000 * 1000 * 1000;
// Bisection stops at this width; the crossing returned is the upper end
// plus this margin, against rounding differences with the running sums.
constexpr int64_t kResolutionNanos = 1000 * 1000;  // 1 ms.

// The windows (in days) and intent_at_least values of a condition tree.
void Collect(const Condition& c, std::set<int>* windows,
             std::set<double>* intent_values) {
  switch (c.kind_case()) {
    case Condition::kAllOf:
      for (const Condition& child : c.all_of().conditions()) {
        Collect(child, windows, intent_values);
      }
      break;
    case Condition::kAnyOf:
      for (const Condition& child : c.any_of().conditions()) {
        Collect(child, windows, intent_values);
      }
      break;
    case Condition::kNegate:
      Collect(c.negate(), windows, intent_values);
      break;
    case Condition::kEvaluationSignal:
      windows->insert(c.evaluation_signal().within_days());
      break;
    case Condition::kOnlySignalTypes:
      windows->insert(c.only_signal_types().within_days());
      break;
    case Condition::kIntentAtLeast:
      intent_values->insert(c.intent_at_least());
      break;
    default:
      break;
  }
}

// A window of `days` in nanoseconds and one (saturating).
int64_t WindowNanos(int64_t days) {
  if (days > std::numeric_limits<int64_t>::max() / kDayNanos - 1) {
    return std::numeric_limits<int64_t>::max();
  }
  return days * kDayNanos + 1;
}

// Saturating a + b for times in nanoseconds.
int64_t AddNanos(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

}  // namespace

std::optional<absl::Time> NextTimeChange(const v1::CommitteeMap& map,
                                         const SignalHistory& history,
                                         const Policy& policy,
                                         const Verdict& at, absl::Time from) {
  const int64_t from_nanos = absl::ToUnixNanos(from);
  std::set<int> windows = {policy.intent().evaluation_window_days()};
  std::set<double> intent_values;
  for (const auto& rule : policy.disqualify_rules()) {
    Collect(rule.when(), &windows, &intent_values);
  }
  for (const auto& rule : policy.routing_rules()) {
    Collect(rule.when(), &windows, &intent_values);
  }

  // The next breakpoint: a signal joining, or leaving a window.
  int64_t next = std::numeric_limits<int64_t>::max();
  auto consider = [&](int64_t t) {
    if (t > from_nanos && t < next) next = t;
  };
  for (const auto& kind : history.kinds()) {
    const size_t count = kind.series->CountUpTo(from_nanos);
    if (count < kind.series->size()) consider(kind.series->At(count).nanos);
    if (count == 0) continue;
    const int64_t newest = kind.series->At(count - 1).nanos;
    for (int days : windows) {
      consider(AddNanos(newest, WindowNanos(days)));
    }
  }
  const int64_t engagement =
      WindowNanos(policy.committee().engagement_window_days());
  for (const v1::Stakeholder& s : map.stakeholders()) {
    const SignalHistory::PersonKinds* kinds = history.OfStakeholder(s.name());
    if (kinds == nullptr) continue;
    for (const auto& k : *kinds) {
      const size_t count = k.series->CountUpTo(from_nanos);
      if (count > 0) {
        consider(AddNanos(k.series->At(count - 1).nanos, engagement));
      }
    }
  }

  // The intent score in closed form: per weight, the decayed sum at `from`
  // times 2^(-dt / h), capped, summed and rounded as AssessIntent does.
  const WeightTable weights(policy);
  const PastSignals past = Past(history, policy, weights, from);
  const absl::Duration half_life = HalfLife(policy);
  std::map<int, double> at_from;
  for (const PastKind& k : past.kinds) {
    if (k.weight < 0) continue;
    at_from[k.weight] +=
        policy.intent().weights(k.weight).points() *
        k.kind->series->DecayedSum(k.count, past.as_of_nanos, half_life);
  }
  const double h_nanos = absl::ToDoubleNanoseconds(half_life);
  auto score_after = [&](int64_t dt) {
    const double d = std::exp2(-static_cast<double>(dt) / h_nanos);
    double score = 0;
    for (const auto& [w, sum] : at_from) {
      const double cap = policy.intent().weights(w).cap();
      const double v = sum * d;
      score += cap > 0 ? std::max(0.0, std::min(v, cap)) : v;
    }
    return Round(score, 2);
  };
  // Readiness from a score, as SetReadiness computes it (fit and coverage
  // hold between breakpoints).
  const auto& rw = policy.readiness_weights();
  const double fit_score = at.fit().result() == v1::FIT_RESULT_PASS      ? 1.0
                           : at.fit().result() == v1::FIT_RESULT_UNKNOWN ? 0.5
                                                                         : 0.0;
  const double threshold = policy.intent().high_intent_threshold();
  const double total = rw.fit() + rw.intent() + rw.coverage();
  auto readiness_of = [&](double score) {
    const double intent_score = std::min(1.0, score / threshold);
    return std::lround(100.0 *
                       (rw.fit() * fit_score + rw.intent() * intent_score +
                        rw.coverage() * at.committee().coverage()) /
                       total);
  };

  // Where the score stops changing: below half a hundredth it rounds to 0.
  double raw = 0;
  for (const auto& [w, sum] : at_from) raw += sum;
  const double score0 = score_after(0);
  if (raw > 0.004 && score0 > 0) {
    const double settle = h_nanos * std::log2(raw / 0.004) + kResolutionNanos;
    int64_t horizon = settle >= 9e18 ? std::numeric_limits<int64_t>::max()
                                     : static_cast<int64_t>(settle);
    if (next != std::numeric_limits<int64_t>::max()) {
      horizon = std::min(horizon, next - from_nanos);
    }
    const auto r0 = readiness_of(score0);
    // Earliest dt in (0, horizon] at which `crossed` (monotone) holds.
    auto first = [&](const std::function<bool(double)>& crossed)
        -> std::optional<int64_t> {
      if (!crossed(score_after(horizon))) return std::nullopt;
      int64_t lo = 0, hi = horizon;
      while (hi - lo > kResolutionNanos) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (crossed(score_after(mid))) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      return hi;
    };
    std::vector<std::function<bool(double)>> crossings;
    crossings.push_back([&](double s) { return readiness_of(s) < r0; });
    intent_values.insert(threshold);
    for (double x : intent_values) {
      if (score0 >= x) crossings.push_back([x](double s) { return s < x; });
    }
    for (const auto& crossed : crossings) {
      if (auto dt = first(crossed)) {
        consider(AddNanos(from_nanos, AddNanos(*dt, kResolutionNanos)));
      }
    }
  }
  if (next == std::numeric_limits<int64_t>::max()) return std::nullopt;
  return absl::FromUnixNanos(next);
}

}  // namespace quorum::graph
