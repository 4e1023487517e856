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
#include "graph/rules/algorithms.h"
#include "graph/rules/signal_history.h"
#include "graph/model/time.h"

namespace quorum::graph {
namespace {

using google::protobuf::util::TimeUtil;
using v1::Account;
using v1::CheckResult;
using v1::CommitteeRequirement;
using v1::Condition;
using v1::FitCheck;
using v1::FitResult;
using v1::Policy;
using v1::Route;
using v1::Signal;
using v1::Site;
using v1::Stakeholder;
using v1::Verdict;

// ------------------------------------------------------------- small helpers

// An enum value's name without its type prefix: FIT_RESULT_PASS -> PASS.
std::string Short(const std::string& full, absl::string_view prefix) {
  return absl::StartsWith(full, prefix) ? full.substr(prefix.size()) : full;
}
std::string RoleName(int role) {
  return Short(v1::CommitteeRole_Name(static_cast<v1::CommitteeRole>(role)),
               "COMMITTEE_ROLE_");
}
std::string FitName(FitResult r) {
  return Short(v1::FitResult_Name(r), "FIT_RESULT_");
}
std::string RouteName(Route r) { return Short(v1::Route_Name(r), "ROUTE_"); }
std::string EngagementName(v1::Engagement e) {
  return Short(v1::Engagement_Name(e), "ENGAGEMENT_");
}
std::string TypeName(v1::SignalType t) {
  return Short(v1::SignalType_Name(t), "SIGNAL_TYPE_");
}
std::string TopicName(v1::SignalTopic t) {
  return Short(v1::SignalTopic_Name(t), "SIGNAL_TOPIC_");
}
std::string StageName(v1::EvaluationStage s) {
  return Short(v1::EvaluationStage_Name(s), "EVALUATION_STAGE_");
}

// Rounds for display; the same input always gives the same output.
double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

std::string Num(double x) { return absl::StrFormat("%.2f", x); }


// Engagement as an order: BLOCKER never counts.
int Rank(v1::Engagement e) {
  switch (e) {
    case v1::ENGAGEMENT_BLOCKER:
      return 0;
    case v1::ENGAGEMENT_ENGAGED:
      return 2;
    case v1::ENGAGEMENT_CHAMPION:
      return 3;
    default:
      return 1;  // IDENTIFIED, or not set.
  }
}

// --------------------------------------------------------------------- fit

// One judged site: a real site, or an account without sites.
struct SiteView {
  std::string name;
  const Site* site = nullptr;  // Null for an account judged as a site.
  const Account* account = nullptr;
};

// A list attribute: the site's when it has any, else the account's.
template <typename GetList>
std::pair<std::vector<std::string>, const std::string*> ListOf(
    const SiteView& v, GetList get) {
  if (v.site != nullptr && !get(*v.site).empty()) {
    return {{get(*v.site).begin(), get(*v.site).end()}, &v.site->name()};
  }
  return {{get(*v.account).begin(), get(*v.account).end()}, &v.account->name()};
}

bool ContainsIgnoreCase(const std::vector<std::string>& have,
                        const google::protobuf::RepeatedPtrField<std::string>&
                            wanted,
                        bool substring) {
  for (const std::string& h : have) {
    for (const std::string& w : wanted) {
      if (substring ? absl::StrContains(absl::AsciiStrToLower(h),
                                        absl::AsciiStrToLower(w))
                    : absl::EqualsIgnoreCase(h, w)) {
        return true;
      }
    }
  }
  return false;
}

// A judged fit check, as a CheckResult says it; `source` points into the
// committee map (null: none).
struct CheckOutcome {
  const FitCheck* check = nullptr;
  FitResult result = v1::FIT_RESULT_UNSPECIFIED;
  std::string value;
  const std::string* source = nullptr;

  const std::string& source_text() const {
    static const std::string* const kNone = new std::string();
    return source != nullptr ? *source : *kNone;
  }
  void ToProto(CheckResult* out) const {
    out->set_check_id(check->id());
    out->set_must_have(check->must_have());
    out->set_result(result);
    out->set_value(value);
    out->set_source(source_text());
  }
};

CheckOutcome Judge(const FitCheck& check, const SiteView& v,
                   const Policy& policy) {
  CheckOutcome out;
  out.check = &check;
  auto set = [&](FitResult r, std::string value, const std::string* source) {
    out.result = r;
    out.value = std::move(value);
    out.source = source;
  };
  switch (check.check_case()) {
    case FitCheck::kGeography: {
      const bool own = v.site != nullptr && !v.site->country_code().empty();
      const std::string& country =
          own ? v.site->country_code() : v.account->country_code();
      const std::string& subdivision =
          own ? v.site->subdivision_code()
              : (v.site != nullptr && !v.site->subdivision_code().empty()
                     ? v.site->subdivision_code()
                     : v.account->subdivision_code());
      const std::string* source =
          own || (v.site != nullptr && !v.site->subdivision_code().empty())
              ? &v.site->name()
              : &v.account->name();
      if (country.empty()) {
        set(v1::FIT_RESULT_UNKNOWN, "", source);
        break;
      }
      std::set<std::string> codes(check.geography().codes().begin(),
                                  check.geography().codes().end());
      for (const std::string& region_id : check.geography().regions()) {
        for (const auto& region : policy.regions()) {
          if (region.id() == region_id) {
            codes.insert(region.codes().begin(), region.codes().end());
          }
        }
      }
      const bool pass = codes.count(country) > 0 ||
                        (!subdivision.empty() && codes.count(subdivision) > 0);
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          subdivision.empty() ? country : subdivision, source);
      break;
    }
    case FitCheck::kFacilityType: {
      const bool own = v.site != nullptr &&
                       v.site->facility_type() != v1::FACILITY_TYPE_UNSPECIFIED;
      const v1::FacilityType type =
          own ? v.site->facility_type() : v.account->facility_type();
      const std::string* source = own ? &v.site->name() : &v.account->name();
      if (type == v1::FACILITY_TYPE_UNSPECIFIED) {
        set(v1::FIT_RESULT_UNKNOWN, "", source);
        break;
      }
      const auto& allowed = check.facility_type().allowed();
      const bool pass =
          std::find(allowed.begin(), allowed.end(), type) != allowed.end();
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          Short(v1::FacilityType_Name(type), "FACILITY_TYPE_"), source);
      break;
    }
    case FitCheck::kTestingScope:
    case FitCheck::kAccreditation:
    case FitCheck::kCurrentSystems: {
      std::pair<std::vector<std::string>, const std::string*> have;
      const google::protobuf::RepeatedPtrField<std::string>* wanted;
      bool substring = false;
      if (check.has_testing_scope()) {
        have = ListOf(v, [](const auto& m) -> const auto& {
          return m.testing_scopes();
        });
        wanted = &check.testing_scope().any_of();
      } else if (check.has_accreditation()) {
        have = ListOf(v, [](const auto& m) -> const auto& {
          return m.accreditations();
        });
        wanted = &check.accreditation().any_of();
      } else {
        have = ListOf(v, [](const auto& m) -> const auto& {
          return m.current_systems();
        });
        wanted = &check.current_systems().any_of();
        substring = true;
      }
      if (have.first.empty()) {
        set(v1::FIT_RESULT_UNKNOWN, "", have.second);
        break;
      }
      set(ContainsIgnoreCase(have.first, *wanted, substring)
              ? v1::FIT_RESULT_PASS
              : v1::FIT_RESULT_FAIL,
          absl::StrJoin(have.first, ", "), have.second);
      break;
    }
    case FitCheck::kAnnualVolume: {
      const bool own = v.site != nullptr && v.site->has_annual_test_volume();
      if (!own && !v.account->has_annual_test_volume()) {
        set(v1::FIT_RESULT_UNKNOWN, "",
            v.site != nullptr ? &v.site->name() : &v.account->name());
        break;
      }
      const int64_t volume = own ? v.site->annual_test_volume()
                                 : v.account->annual_test_volume();
      const auto& bounds = check.annual_volume();
      const bool pass = (!bounds.has_min() || volume >= bounds.min()) &&
                        (!bounds.has_max() || volume <= bounds.max());
      set(pass ? v1::FIT_RESULT_PASS : v1::FIT_RESULT_FAIL,
          absl::StrCat(volume), own ? &v.site->name() : &v.account->name());
      break;
    }
    case FitCheck::CHECK_NOT_SET:
      set(v1::FIT_RESULT_UNKNOWN, "", nullptr);
      break;
  }
  return out;
}

// The attribute a fit check reads, for "facts to gather".
std::string AttributeOf(const FitCheck& check) {
  switch (check.check_case()) {
    case FitCheck::kGeography:
      return "country_code";
    case FitCheck::kFacilityType:
      return "facility_type";
    case FitCheck::kTestingScope:
      return "testing_scopes";
    case FitCheck::kAnnualVolume:
      return "annual_test_volume";
    case FitCheck::kAccreditation:
      return "accreditations";
    case FitCheck::kCurrentSystems:
      return "current_systems";
    case FitCheck::CHECK_NOT_SET:
      break;
  }
  return check.id();
}

// The judged sites: every site of the subtree, and every account that has
// neither sites nor child accounts (an account without sites is judged as
// one site; a parent organization is represented by its children).
std::vector<SiteView> JudgedSites(const v1::CommitteeMap& map) {
  std::map<std::string, const Account*> accounts = {
      {map.account().name(), &map.account()}};
  std::vector<Edge> hierarchy;
  for (const Account& a : map.descendants()) {
    accounts[a.name()] = &a;
    hierarchy.push_back(Edge{a.parent(), a.name()});
  }
  std::map<std::string, std::vector<const Site*>> sites;
  for (const Site& s : map.sites()) {
    sites[s.name().substr(0, s.name().find("/sites/"))].push_back(&s);
  }
  std::set<std::string> parents;
  for (const Edge& e : hierarchy) parents.insert(e.from);
  std::vector<SiteView> out;
  for (const std::string& name :
       BreadthFirstOrder(hierarchy, map.account().name())) {
    const Account* account = accounts.at(name);
    auto it = sites.find(name);
    if (it != sites.end()) {
      for (const Site* s : it->second) out.push_back({s->name(), s, account});
    } else if (parents.count(name) == 0) {
      out.push_back({name, nullptr, account});
    }
  }
  return out;
}

// The fit of a tree: it depends on the committee map and the policy only.
struct SiteOutcome {
  const std::string* name;  // Into the committee map.
  std::vector<CheckOutcome> checks;
  bool fits = false;
};
struct FitOutcome {
  std::vector<SiteOutcome> sites;
  FitResult result = v1::FIT_RESULT_UNSPECIFIED;
  std::vector<std::string> facts_to_gather;
  std::vector<CheckOutcome> checks;  // Account level, per policy check.

  void ToProto(v1::FitAssessment* fit) const {
    fit->mutable_sites()->Reserve(static_cast<int>(sites.size()));
    for (const SiteOutcome& s : sites) {
      v1::SiteFit* site = fit->add_sites();
      site->set_site(*s.name);
      site->mutable_checks()->Reserve(static_cast<int>(s.checks.size()));
      for (const CheckOutcome& c : s.checks) c.ToProto(site->add_checks());
      site->set_fits(s.fits);
      if (s.fits) fit->add_fitting_sites(*s.name);
    }
    fit->set_result(result);
    for (const std::string& f : facts_to_gather) fit->add_facts_to_gather(f);
    fit->mutable_checks()->Reserve(static_cast<int>(checks.size()));
    for (const CheckOutcome& c : checks) c.ToProto(fit->add_checks());
  }
};

FitOutcome AssessFit(const v1::CommitteeMap& map, const Policy& policy) {
  FitOutcome fit;
  bool any_unknown_only = false;
  bool any_fits = false;
  std::vector<std::string> facts;
  for (const SiteView& view : JudgedSites(map)) {
    SiteOutcome& site = fit.sites.emplace_back();
    site.name =
        view.site != nullptr ? &view.site->name() : &view.account->name();
    bool failed = false, unknown = false;
    std::vector<std::string> site_facts;
    for (const FitCheck& check : policy.fit_checks()) {
      CheckOutcome r = Judge(check, view, policy);
      if (check.must_have()) {
        failed |= r.result == v1::FIT_RESULT_FAIL;
        if (r.result == v1::FIT_RESULT_UNKNOWN) {
          unknown = true;
          site_facts.push_back(
              absl::StrCat(AttributeOf(check), " of ", r.source_text()));
        }
      }
      site.checks.push_back(std::move(r));
    }
    site.fits = !failed && !unknown;
    any_fits |= site.fits;
    if (!failed && unknown) {
      any_unknown_only = true;
      for (auto& f : site_facts) {
        if (std::find(facts.begin(), facts.end(), f) == facts.end()) {
          facts.push_back(std::move(f));
        }
      }
    }
  }
  if (any_fits) {
    fit.result = v1::FIT_RESULT_PASS;
  } else if (any_unknown_only) {
    fit.result = v1::FIT_RESULT_UNKNOWN;
    fit.facts_to_gather = std::move(facts);
  } else {
    fit.result = v1::FIT_RESULT_FAIL;
  }
  // Account level per check: PASS if a site passes, FAIL if all fail.
  for (int c = 0; c < policy.fit_checks_size(); ++c) {
    const CheckOutcome* pass = nullptr;
    const CheckOutcome* unknown = nullptr;
    for (const SiteOutcome& site : fit.sites) {
      const CheckOutcome& r = site.checks[c];
      if (r.result == v1::FIT_RESULT_PASS && pass == nullptr) pass = &r;
      if (r.result == v1::FIT_RESULT_UNKNOWN && unknown == nullptr) {
        unknown = &r;
      }
    }
    fit.checks.push_back(
        pass      ? *pass
        : unknown ? *unknown
        : !fit.sites.empty()
            ? fit.sites[0].checks[c]
            : Judge(policy.fit_checks(c),
                    SiteView{map.account().name(), nullptr, &map.account()},
                    policy));
  }
  return fit;
}

// ------------------------------------------------------------------ intent

// The weight for a kind of signal: its type and topic, else its type for
// any topic; -1 when none.
int WeightIndex(const Policy& policy, v1::SignalType type,
                v1::SignalTopic topic) {
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

// The earliest whole nanosecond at or after `t`.
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

// What qualification reads of the signals at or before `as_of`: each kind
// with its weight and how many of its signals count.
struct PastKind {
  const SignalHistory::Kind* kind;
  int weight;    // -1: no weight (the kind adds no points).
  size_t count;  // Its signals at or before as_of: entries [0, count).
  const SignalEntry& Newest() const { return kind->series->At(count - 1); }
};

struct PastSignals {
  const SignalHistory* history;
  absl::Time as_of;
  int64_t as_of_nanos;
  double half_life_seconds;     // The policy's.
  std::vector<PastKind> kinds;  // Only kinds with a signal by as_of.
};

// The weight of each kind of signal under one policy (see WeightIndex),
// looked up in a table over the known types and topics.
class WeightTable {
 public:
  explicit WeightTable(const Policy& policy) : policy_(&policy) {
    if (policy.intent().weights_size() > INT16_MAX) return;  // Not tabled.
    table_.resize(static_cast<size_t>(kTypes) * kTopics);
    for (int type = 0; type < kTypes; ++type) {
      for (int topic = 0; topic < kTopics; ++topic) {
        table_[type * kTopics + topic] = static_cast<int16_t>(
            WeightIndex(policy, static_cast<v1::SignalType>(type),
                        static_cast<v1::SignalTopic>(topic)));
      }
    }
  }
  int Of(v1::SignalType type, v1::SignalTopic topic) const {
    if (type >= 0 && type < kTypes && topic >= 0 && topic < kTopics &&
        !table_.empty()) {
      return table_[type * kTopics + topic];
    }
    return WeightIndex(*policy_, type, topic);  // An unknown enum value.
  }

 private:
  static constexpr int kTypes = v1::SignalType_ARRAYSIZE;
  static constexpr int kTopics = v1::SignalTopic_ARRAYSIZE;
  const Policy* policy_;
  std::vector<int16_t> table_;  // -1: none.
};

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

// The newest signal at or before as_of among the kinds `wanted` accepts.
template <typename Pred>
std::optional<std::pair<const PastKind*, const SignalEntry*>> NewestOf(
    const PastSignals& past, Pred wanted) {
  std::optional<std::pair<const PastKind*, const SignalEntry*>> best;
  for (const PastKind& k : past.kinds) {
    if (!wanted(k)) continue;
    const SignalEntry& e = k.Newest();
    if (!best || NewerFirst(e, *best->second)) best = {{&k, &e}};
  }
  return best;
}

// A contributing signal's decayed points, as computed for its listing.
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

// A weighted signal in a merge over the kinds.
struct Pick {
  const PastKind* kind;
  size_t index;            // Into the kind's series.
  const SignalEntry* entry;
  double shown;            // Decayed points as the verdict shows them.
};

// Walks the weighted signals in a merged order: `first(a, b)` says whether
// a comes before b; each kind's own signals must already come in that order
// walking back from its newest. Stops after `limit`.
template <typename First>
std::vector<Pick> Merge(const PastSignals& past, const Policy& policy,
                        size_t limit, First first) {
  auto pick = [&](const PastKind& k, size_t index) {
    const SignalEntry& e = k.kind->series->At(index);
    return Pick{&k, index, &e, Round(Decayed(k, e, policy, past), 2)};
  };
  auto later = [&](const Pick& a, const Pick& b) { return first(b, a); };
  std::vector<Pick> heap;
  heap.reserve(past.kinds.size());
  for (const PastKind& k : past.kinds) {
    if (k.weight >= 0) heap.push_back(pick(k, k.count - 1));
  }
  std::make_heap(heap.begin(), heap.end(), later);
  std::vector<Pick> out;
  out.reserve(std::min(limit, static_cast<size_t>(1024)));
  while (!heap.empty() && out.size() < limit) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Pick& head = heap.back();
    out.push_back(head);
    if (head.index == 0) {
      heap.pop_back();
      continue;
    }
    head = pick(*head.kind, head.index - 1);
    std::push_heap(heap.begin(), heap.end(), later);
  }
  return out;
}

bool PickNewerFirst(const Pick& a, const Pick& b) {
  return NewerFirst(*a.entry, *b.entry);
}

// The `limit` contributions with the most decayed points (as displayed; the
// newer on a tie), newest first.
std::vector<Pick> Strongest(const PastSignals& past, const Policy& policy,
                            size_t limit) {
  auto out = Merge(past, policy, limit, [](const Pick& a, const Pick& b) {
    if (a.shown != b.shown) return a.shown > b.shown;
    return PickNewerFirst(a, b);
  });
  std::sort(out.begin(), out.end(), PickNewerFirst);
  return out;
}

// The `limit` newest contributions, newest first.
std::vector<Pick> Newest(const PastSignals& past, const Policy& policy,
                         size_t limit) {
  return Merge(past, policy, limit, PickNewerFirst);
}

// Intent from the running sums: a weight's points are capped as a whole,
// so its decayed sum needs no walk through its signals. Lists every
// contributing signal for the FULL view, else the strongest
// `max_listed_signals`.
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
    evaluation |= weight.evaluation() &&
                  Within(k.Newest(), past.as_of, model.evaluation_window_days());
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

// --------------------------------------------------------------- committee

bool Holds(const Stakeholder& s, const google::protobuf::RepeatedField<int>& roles) {
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

// A stakeholder as the committee rules see them, whatever the time.
struct PlannedPerson {
  const Stakeholder* s;
  v1::Engagement stored;  // IDENTIFIED when not set.
  // The first decision-owner role (an index into the policy's
  // decision_owner_roles) they hold confirmed; -1 when none.
  int owner_order = -1;
};

// A committee requirement with what of it depends on the map alone.
struct PlannedRequirement {
  const CommitteeRequirement* req;
  int needed;  // Rank(min_engagement).
  // The people (indices in name order) who hold one of its roles.
  std::vector<int> role_holders;
  // Who to ask when no holder can be introduced to: the non-blocking
  // holders of the role hints' ask roles, in the hints' order.
  std::vector<int> hint_targets;
};

// The committee's structure: people by name (the order every list of
// people in a verdict follows), requirements, relationship edges.
struct CommitteePlan {
  std::vector<PlannedPerson> people;
  std::vector<PlannedRequirement> requirements;
  std::vector<Edge> edges;
  // For the decision-owner gap: "NAME (ROLE inferred from "TITLE")" for each
  // person whose first inferred role is a decision role.
  std::vector<std::string> inferred_owners;
};

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

// A person's engagement at as_of, aligned with CommitteePlan::people.
struct Person {
  v1::Engagement effective;
  const std::string* raised_by;  // The evaluation signal that raised it.
};

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

// Engaged or champion people, champions first, then by name.
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

// -------------------------------------------------------------- conditions

struct Facts {
  const v1::FitAssessment* fit;
  const v1::IntentAssessment* intent;
  const v1::CommitteeAssessment* committee;
  const PastSignals* signals;
  const Policy* policy;
  v1::EvaluationStage stage;
  bool timeline_known;
  absl::Time as_of;
};

struct Outcome {
  bool holds;
  std::vector<std::string> evidence;  // Facts that made it so.
};

Outcome Leaf(bool holds, std::string fact) { return {holds, {std::move(fact)}}; }

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
        return k.weight >= 0 && f.policy->intent().weights(k.weight).evaluation() &&
               (want.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED ||
                k.kind->topic == want.topic());
      });
      if (newest && Within(*newest->second, f.as_of, want.within_days())) {
        const auto& [kind, e] = *newest;
        return Leaf(true, absl::StrCat(
                              TypeName(kind->kind->type), " on ",
                              TopicName(kind->kind->topic), " at ",
                              TimeUtil::ToString(
                                  ToProto(absl::FromUnixNanos(e->nanos))),
                              " (", e->name, ")"));
      }
      return Leaf(false,
                  absl::StrCat("no evaluation signal",
                               want.topic() == v1::SIGNAL_TOPIC_UNSPECIFIED
                                   ? ""
                                   : absl::StrCat(" on ", TopicName(want.topic())),
                               " in the last ", want.within_days(), " days"));
    }
    case Condition::kCoverageAtLeast:
      return Leaf(f.committee->coverage() >= c.coverage_at_least(),
                  absl::StrCat("committee coverage ",
                               Num(f.committee->coverage()), " (needs ",
                               Num(c.coverage_at_least()), ")"));
    case Condition::kRequirementMet: {
      for (const auto& r : f.committee->requirements()) {
        if (r.requirement_id() != c.requirement_met()) continue;
        if (r.met()) {
          return Leaf(true, absl::StrCat("requirement ", r.requirement_id(),
                                         " met by ",
                                         absl::StrJoin(r.met_by(), ", ")));
        }
        return Leaf(false, absl::StrCat("requirement ", r.requirement_id(),
                                        " not met",
                                        r.missing().empty()
                                            ? ""
                                            : absl::StrCat(": ", r.missing())));
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
      return Leaf(known == c.decision_owner_known(),
                  known ? absl::StrCat("decision owner ",
                                       f.committee->decision_owner())
                        : "no confirmed decision owner");
    }
    case Condition::kOnlySignalTypes: {
      const auto& want = c.only_signal_types();
      const auto listed = [&](v1::SignalType type) {
        return std::find(want.types().begin(), want.types().end(), type) !=
               want.types().end();
      };
      const auto offender = NewestOf(*f.signals, [&](const PastKind& k) {
        return !listed(k.kind->type);
      });
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

// ---------------------------------------------------------------- the rest

std::string Describe(const v1::IntroductionPath& intro) {
  return absl::StrJoin(intro.path(), " -> ");
}

}  // namespace

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
  }

  const v1::CommitteeMap* map;
  const Policy* policy;
  WeightTable weights;
  FitOutcome fit;
  CommitteePlan committee;
  v1::EvaluationStage stage;
  std::optional<absl::Time> decision;
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
  bytes += c.requirements.capacity() * sizeof(PlannedRequirement);
  for (const PlannedRequirement& r : c.requirements) {
    bytes +=
        (r.role_holders.capacity() + r.hint_targets.capacity()) * sizeof(int);
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
  for (const auto& rule : policy.disqualify_rules()) {
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
    for (const auto& rule : policy.routing_rules()) {
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
    if (req.has_introduction()) {
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
                           " owns the evaluation: a title alone does not make "
                           "a decision owner"));
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
