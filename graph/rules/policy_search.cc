// The policy search: tunable parameters, accuracy on labelled handoffs,
// coordinate descent and k-fold cross-validation.
#include "graph/rules/policy_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "graph/model/hash.h"
#include "graph/model/status.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/rules/signal_history.h"
#include "graph/rules/solutions.h"

namespace quorum::graph {
namespace {

// Where a parameter lives in a policy: read and write its value.
struct Parameter {
  std::string path;
  std::function<double(v1::Policy&)> get;
  std::function<void(v1::Policy&, double)> set;
  double max = std::numeric_limits<double>::infinity();
};

using ConditionAt = std::function<v1::Condition*(v1::Policy&)>;

void ConditionParameters(const v1::Condition& c, const std::string& path,
                         const ConditionAt& at, std::vector<Parameter>* out) {
  switch (c.kind_case()) {
    case v1::Condition::kAllOf:
    case v1::Condition::kAnyOf: {
      const bool all = c.kind_case() == v1::Condition::kAllOf;
      const auto& list = all ? c.all_of() : c.any_of();
      for (int i = 0; i < list.conditions_size(); ++i) {
        ConditionAt child = [at, all, i](v1::Policy& p) {
          v1::Condition* parent = at(p);
          return (all ? parent->mutable_all_of() : parent->mutable_any_of())
              ->mutable_conditions(i);
        };
        ConditionParameters(list.conditions(i),
                            absl::StrCat(path, all ? ".all_of" : ".any_of",
                                         ".conditions[", i, "]"),
                            child, out);
      }
      break;
    }
    case v1::Condition::kNegate:
      ConditionParameters(
          c.negate(), path + ".negate",
          [at](v1::Policy& p) { return at(p)->mutable_negate(); }, out);
      break;
    case v1::Condition::kIntentAtLeast:
      out->push_back(
          {path + ".intent_at_least",
           [at](v1::Policy& p) { return at(p)->intent_at_least(); },
           [at](v1::Policy& p, double v) { at(p)->set_intent_at_least(v); }});
      break;
    case v1::Condition::kCoverageAtLeast:
      out->push_back(
          {path + ".coverage_at_least",
           [at](v1::Policy& p) { return at(p)->coverage_at_least(); },
           [at](v1::Policy& p, double v) { at(p)->set_coverage_at_least(v); },
           1.0});
      break;
    default:
      break;
  }
}

std::vector<Parameter> ParametersOf(const v1::Policy& policy) {
  std::vector<Parameter> out;
  out.push_back(
      {"intent.high_intent_threshold",
       [](v1::Policy& p) { return p.intent().high_intent_threshold(); },
       [](v1::Policy& p, double v) {
         p.mutable_intent()->set_high_intent_threshold(v);
       }});
  out.push_back({"intent.half_life",
                 [](v1::Policy& p) {
                   return static_cast<double>(p.intent().half_life().seconds());
                 },
                 [](v1::Policy& p, double v) {
                   auto* d = p.mutable_intent()->mutable_half_life();
                   d->set_seconds(std::max<int64_t>(1, std::llround(v)));
                   d->set_nanos(0);
                 }});
  for (int i = 0; i < policy.disqualify_rules_size(); ++i) {
    ConditionParameters(
        policy.disqualify_rules(i).when(),
        absl::StrCat("disqualify_rules[", i, "].when"),
        [i](v1::Policy& p) {
          return p.mutable_disqualify_rules(i)->mutable_when();
        },
        &out);
  }
  for (int i = 0; i < policy.routing_rules_size(); ++i) {
    ConditionParameters(
        policy.routing_rules(i).when(),
        absl::StrCat("routing_rules[", i, "].when"),
        [i](v1::Policy& p) {
          return p.mutable_routing_rules(i)->mutable_when();
        },
        &out);
  }
  return out;
}

// An example with its signals indexed once.
struct Prepared {
  const LabelledHandoff* example;
  std::shared_ptr<const SignalHistory> signals;
};

// A candidate without the example's solution gets it wrong, whatever sales
// said: it hands that account off to nobody.
bool Right(SolutionViews& views, const Prepared& p) {
  const v1::Policy* policy = views.For(p.example->solution);
  if (policy == nullptr) return false;
  const v1::Route route =
      QualifyRoute(p.example->map, *p.signals, *policy, 0, p.example->as_of)
          .route();
  return p.example->accepted ? route == p.example->route
                             : route != p.example->route;
}

double Accuracy(const v1::Policy& policy, const std::vector<Prepared>& all,
                const std::vector<int>& subset) {
  if (subset.empty()) return 0;
  SolutionViews views(policy);
  int right = 0;
  for (int i : subset) right += Right(views, all[i]) ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(subset.size());
}

bool Valid(const v1::Policy& policy) {
  Violations violations;
  ValidatePolicy(policy, "", &violations);
  return violations.empty();
}

// Coordinate descent on `train` from `start` (see the header); nullopt
// when `cancelled` said so.
std::optional<v1::Policy> Choose(const v1::Policy& start,
                                 const std::vector<Parameter>& params,
                                 const std::vector<double>& multipliers,
                                 const std::function<bool()>& cancelled,
                                 const std::vector<Prepared>& all,
                                 const std::vector<int>& train) {
  v1::Policy original = start;
  v1::Policy best = start;
  double best_accuracy = Accuracy(best, all, train);
  constexpr int kRounds = 3;
  constexpr double kEpsilon = 1e-12;
  for (int round = 0; round < kRounds; ++round) {
    bool improved = false;
    for (const Parameter& param : params) {
      const double base = param.get(original);
      for (double m : multipliers) {
        const double value = std::min(param.max, base * m);
        if (param.get(best) == value) continue;
        if (cancelled && cancelled()) return std::nullopt;
        v1::Policy trial = best;
        param.set(trial, value);
        if (param.get(trial) == param.get(best) || !Valid(trial)) continue;
        const double accuracy = Accuracy(trial, all, train);
        if (accuracy > best_accuracy + kEpsilon) {
          best = std::move(trial);
          best_accuracy = accuracy;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return best;
}

absl::Status Cancelled() {
  return absl::CancelledError(
      "the policy search stopped: its caller gave up (deadline or cancel)");
}

struct Spread {
  double mean = 0;
  double stddev = 0;
};

// Mean and sample standard deviation (0 for fewer than two values).
Spread SpreadOf(const std::vector<double>& values) {
  Spread s;
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  if (values.size() < 2) return s;
  double sum = 0;
  for (double v : values) sum += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(sum / static_cast<double>(values.size() - 1));
  return s;
}

}  // namespace

absl::StatusOr<SearchOptions> SearchOptionsFrom(
    int folds, absl::Span<const double> multipliers) {
  Violations violations;
  SearchOptions options;
  if (folds == 0) {
    options.folds = kDefaultFolds;
  } else if (folds < 2 || folds > kMaxFolds) {
    violations.Add("folds",
                   absl::StrCat("must be from 2 to ", kMaxFolds, " (0 for ",
                                kDefaultFolds, "), not ", folds));
  } else {
    options.folds = folds;
  }
  if (static_cast<int>(multipliers.size()) > kMaxMultipliers) {
    violations.Add("multipliers", absl::StrCat("at most ", kMaxMultipliers,
                                               ", not ", multipliers.size()));
  }
  for (size_t i = 0; i < multipliers.size(); ++i) {
    const double m = multipliers[i];
    if (!std::isfinite(m) || m <= 0 || m > kMaxMultiplier) {
      violations.Add(absl::StrCat("multipliers[", i, "]"),
                     absl::StrCat("must be positive and at most ",
                                  kMaxMultiplier, ", not ", m));
    }
  }
  RETURN_IF_ERROR(violations.ToStatus());
  options.multipliers.assign(multipliers.begin(), multipliers.end());
  if (options.multipliers.empty()) {
    options.multipliers = {0.5, 0.75, 1, 1.25, 1.5};
  }
  return options;
}

std::vector<std::string> TunableParameters(const v1::Policy& policy) {
  std::vector<std::string> paths;
  for (const Parameter& p : ParametersOf(policy)) paths.push_back(p.path);
  return paths;
}

bool RoutesRight(const v1::Policy& policy, const LabelledHandoff& example) {
  const auto signals = SignalHistory::Build(
      example.signals, absl::Seconds(policy.intent().half_life().seconds()));
  SolutionViews views(policy);
  return Right(views, {&example, signals});
}

absl::StatusOr<v1::SuggestPolicyResponse> SearchPolicy(
    const v1::Policy& policy, const std::vector<LabelledHandoff>& examples,
    const SearchOptions& options) {
  const int k = options.folds;
  if (static_cast<int>(examples.size()) < k) {
    return PreconditionFailed(
        "TOO_FEW_LABELLED_HANDOFFS", "handoffs",
        absl::StrCat("cross-validation with ", k, " folds needs at least ", k,
                     " handoffs with sales feedback (accepted or rejected); "
                     "there are ",
                     examples.size()));
  }
  // The multipliers nearest 1 first, so that of equally good values the
  // smallest change wins; 1 itself is the starting point.
  std::vector<double> multipliers = options.multipliers;
  std::sort(multipliers.begin(), multipliers.end(), [](double a, double b) {
    const double da = std::abs(std::log(a)), db = std::abs(std::log(b));
    return da != db ? da < db : a < b;
  });
  multipliers.erase(std::unique(multipliers.begin(), multipliers.end()),
                    multipliers.end());

  const absl::Duration half_life =
      absl::Seconds(policy.intent().half_life().seconds()) +
      absl::Nanoseconds(policy.intent().half_life().nanos());
  std::vector<Prepared> prepared;
  prepared.reserve(examples.size());
  for (const LabelledHandoff& e : examples) {
    prepared.push_back({&e, SignalHistory::Build(e.signals, half_life)});
  }
  // Folds: sorted by the hash of the handoff name (then the name), dealt
  // round robin, so every fold holds n/k or n/k+1 examples.
  std::vector<int> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const uint64_t ha = Fnv1a64(examples[a].handoff);
    const uint64_t hb = Fnv1a64(examples[b].handoff);
    return ha != hb ? ha < hb : examples[a].handoff < examples[b].handoff;
  });
  std::vector<std::vector<int>> folds(k);
  for (size_t i = 0; i < order.size(); ++i) folds[i % k].push_back(order[i]);

  const std::vector<Parameter> params = ParametersOf(policy);
  std::vector<double> fold_accuracy;
  std::map<int, std::vector<double>> route_accuracy;
  for (int f = 0; f < k; ++f) {
    std::vector<int> train;
    for (int g = 0; g < k; ++g) {
      if (g != f) train.insert(train.end(), folds[g].begin(), folds[g].end());
    }
    const std::optional<v1::Policy> chosen_or =
        Choose(policy, params, multipliers, options.cancelled, prepared, train);
    if (!chosen_or) return Cancelled();
    const v1::Policy& chosen = *chosen_or;
    fold_accuracy.push_back(Accuracy(chosen, prepared, folds[f]));
    std::map<int, std::vector<int>> by_route;
    for (int i : folds[f]) by_route[examples[i].route].push_back(i);
    for (const auto& [route, subset] : by_route) {
      route_accuracy[route].push_back(Accuracy(chosen, prepared, subset));
    }
  }

  std::vector<int> everything(order.begin(), order.end());
  std::sort(everything.begin(), everything.end());
  v1::SuggestPolicyResponse response;
  std::optional<v1::Policy> candidate = Choose(
      policy, params, multipliers, options.cancelled, prepared, everything);
  if (!candidate) return Cancelled();
  *response.mutable_candidate() = *std::move(candidate);
  v1::Policy before = policy;
  v1::Policy after = response.candidate();
  for (const Parameter& p : params) {
    if (p.get(before) != p.get(after)) {
      auto* change = response.add_changes();
      change->set_path(p.path);
      change->set_old_value(p.get(before));
      change->set_new_value(p.get(after));
    }
  }
  response.set_labelled_handoffs(static_cast<int64_t>(examples.size()));
  response.set_folds(k);
  for (double m : options.multipliers) response.add_multipliers(m);
  const Spread overall = SpreadOf(fold_accuracy);
  response.set_accuracy(overall.mean);
  response.set_accuracy_stddev(overall.stddev);
  response.set_baseline_accuracy(Accuracy(policy, prepared, everything));
  response.set_candidate_accuracy(
      Accuracy(response.candidate(), prepared, everything));
  for (const auto& [route, values] : route_accuracy) {
    std::vector<int> subset;
    for (int i : everything) {
      if (examples[i].route == route) subset.push_back(i);
    }
    const Spread s = SpreadOf(values);
    auto* r = response.add_routes();
    r->set_route(static_cast<v1::Route>(route));
    r->set_handoffs(static_cast<int64_t>(subset.size()));
    r->set_mean(s.mean);
    r->set_stddev(s.stddev);
    r->set_baseline(Accuracy(policy, prepared, subset));
  }
  return response;
}

}  // namespace quorum::graph
