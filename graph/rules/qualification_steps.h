// The steps of a verdict (graph/rules/qualification.h), one concern per
// file: fit (fit.cc), intent (intent.cc), the committee (committee.cc),
// routing conditions (conditions.cc), and the names and numbers a verdict
// writes (verdict_text.cc); qualification.cc plans them per tree and
// policy, and decides the route, gaps, questions and readiness. Internal to
// graph/rules: nothing outside includes it.
#ifndef QUORUM_GRAPH_RULES_QUALIFICATION_STEPS_H_
#define QUORUM_GRAPH_RULES_QUALIFICATION_STEPS_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "graph/model/time.h"
#include "graph/rules/algorithms.h"
#include "graph/rules/qualification.h"
#include "graph/rules/signal_history.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::graph::steps {

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

// ---- Names and numbers as verdicts write them (verdict_text.cc)

// An enum value's name without its type prefix: FIT_RESULT_PASS -> PASS.
std::string Short(const std::string& full, absl::string_view prefix);

std::string RoleName(int role);

std::string FitName(FitResult r);

std::string RouteName(Route r);

std::string EngagementName(v1::Engagement e);

std::string TypeName(v1::SignalType t);

std::string TopicName(v1::SignalTopic t);

std::string StageName(v1::EvaluationStage s);

// Rounds for display; the same input always gives the same output.
double Round(double x, int digits);

std::string Num(double x);

// Engagement as an order: BLOCKER never counts.
int Rank(v1::Engagement e);

// ---- Fit: the account and its sites against the policy's checks (fit.cc)

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

bool ContainsIgnoreCase(
    const std::vector<std::string>& have,
    const google::protobuf::RepeatedPtrField<std::string>& wanted,
    bool substring);

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
                   const Policy& policy);

// The attribute a fit check reads, for "facts to gather".
std::string AttributeOf(const FitCheck& check);

// The judged sites: every site of the subtree, and every account that has
// neither sites nor child accounts (an account without sites is judged as
// one site; a parent organization is represented by its children).
std::vector<SiteView> JudgedSites(const v1::CommitteeMap& map);

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

FitOutcome AssessFit(const v1::CommitteeMap& map, const Policy& policy);

// ---- Intent: decayed, capped points of the signals up to as_of (intent.cc)

// The weight for a kind of signal: its type and topic, else its type for
// any topic; -1 when none.
int WeightIndex(const Policy& policy, v1::SignalType type,
                v1::SignalTopic topic);

bool Within(const SignalEntry& e, absl::Time as_of, int days);

// The earliest whole nanosecond at or after `t`.
int64_t CeilNanos(absl::Time t);

absl::Duration HalfLife(const Policy& policy);

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
                 const WeightTable& weights, absl::Time as_of);

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
               const PastSignals& past);

void AddContribution(const PastKind& k, const SignalEntry& e,
                     const Policy& policy, const PastSignals& past,
                     v1::IntentAssessment* intent);

// A weighted signal in a merge over the kinds.
struct Pick {
  const PastKind* kind;
  size_t index;  // Into the kind's series.
  const SignalEntry* entry;
  double shown;  // Decayed points as the verdict shows them.
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

bool PickNewerFirst(const Pick& a, const Pick& b);

// The `limit` contributions with the most decayed points (as displayed; the
// newer on a tie), newest first.
std::vector<Pick> Strongest(const PastSignals& past, const Policy& policy,
                            size_t limit);

// The `limit` newest contributions, newest first.
std::vector<Pick> Newest(const PastSignals& past, const Policy& policy,
                         size_t limit);

// Intent from the running sums: a weight's points are capped as a whole,
// so its decayed sum needs no walk through its signals. Lists every
// contributing signal for the FULL view, else the strongest
// `max_listed_signals`.
void AssessIntent(const PastSignals& past, const Policy& policy,
                  v1::VerdictView view, int max_listed,
                  v1::IntentAssessment* out);

// ---- Committee: who holds each required role, and how engaged (committee.cc)

bool HoldsRole(const Stakeholder& s, int role);

std::string RoleList(const google::protobuf::RepeatedField<int>& roles);

// A role a stakeholder holds from their stored assignments (a title
// inference, a CRM contact role, a confirmation), whatever the time.
struct PlannedRole {
  int role;
  bool confirmed = false;
  // The product of (1 - weight) over its sources: confidence is 1 - doubt.
  double doubt = 1;
  // Its sources, strongest first.
  std::vector<v1::RoleEvidence> evidence;
};

// A stakeholder as the committee rules see them, whatever the time.
struct PlannedPerson {
  const Stakeholder* s;
  v1::Engagement stored;  // IDENTIFIED when not set.
  // The first decision-owner role (an index into the policy's
  // decision_owner_roles) they hold confirmed; -1 when none.
  int owner_order = -1;
  // Their stored roles, in CommitteeRole order.
  std::vector<PlannedRole> roles;
};

// A committee requirement with what of it depends on the map alone.
struct PlannedRequirement {
  const CommitteeRequirement* req;
  int needed;  // Rank(min_engagement).
  // Who to ask when no holder can be introduced to: the non-blocking
  // holders of the role hints' ask roles, in the hints' order.
  std::vector<int> hint_targets;
};

// The role confidence model with its defaults filled in.
struct RoleWeights {
  double title = 0.5;
  double crm = 0.6;
  double likely_at = 0.7;
};
RoleWeights RoleWeightsOf(const Policy& policy);

// The committee's structure: people by name (the order every list of
// people in a verdict follows), requirements, relationship edges.
struct CommitteePlan {
  std::vector<PlannedPerson> people;
  std::vector<PlannedRequirement> requirements;
  std::vector<Edge> edges;
  // For the decision-owner gap: "NAME (ROLE inferred from "TITLE")" for each
  // person whose first inferred role is a decision role.
  std::vector<std::string> inferred_owners;
  RoleWeights role_weights;
};

CommitteePlan PlanCommittee(const v1::CommitteeMap& map, const Policy& policy);

// A role a person holds at as_of, from any source.
struct HeldRole {
  int role;
  double confidence;          // 0..1, rounded to 4 places.
  const PlannedRole* stored;  // Its stored sources; null when none.
  // The behaviour patterns (indices in the policy's) their signals match,
  // each with the matching signals, newest first (at most a few).
  std::vector<std::pair<int, std::vector<const SignalEntry*>>> behaviours;
};

// A person's engagement and roles at as_of, aligned with
// CommitteePlan::people.
struct Person {
  v1::Engagement effective;
  const std::string* raised_by;  // The evaluation signal that raised it.
  std::vector<HeldRole> roles;   // In CommitteeRole order.
};

std::vector<Person> People(const CommitteePlan& plan, const PastSignals& past,
                           const WeightTable& weights, const Policy& policy);

// Engaged or champion people, champions first, then by name.
std::vector<int> Connectors(const std::vector<Person>& people);

void AssessCommittee(const CommitteePlan& plan,
                     const std::vector<Person>& people,
                     const std::vector<int>& connectors,
                     v1::EvaluationStage stage, const Policy& policy,
                     v1::CommitteeAssessment* committee);

// ---- Conditions: routing rules evaluated over the facts of a verdict
// (conditions.cc)

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

Outcome Leaf(bool holds, std::string fact);

Outcome Evaluate(const Condition& c, const Facts& f);

// Whether every fit check and requirement `c` names is one of `policy`'s.
// A rule naming another solution's (or only a solution's) does not apply:
// it is skipped, so that neither it nor its negation decides.
bool Applies(const Condition& c, const Policy& policy);

// ---- Introductions (verdict_text.cc)

std::string Describe(const v1::IntroductionPath& intro);

}  // namespace quorum::graph::steps

#endif  // QUORUM_GRAPH_RULES_QUALIFICATION_STEPS_H_
