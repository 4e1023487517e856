#include "graph/rules/policy.h"

#include <cmath>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "graph/model/names.h"
#include "graph/model/normalize.h"
#include "graph/model/validation.h"

namespace quorum::graph {

// Defined in the generated default_policy_text.cc.
extern const char kDefaultPolicyText[];

namespace {

using v1::Condition;
using v1::Policy;

// Collects text-format parse errors as field violations.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  ErrorCollector(Violations* violations, std::string field)
      : violations_(violations), field_(std::move(field)) {}
  void AddError(int line, int column, const std::string& message) override {
    violations_->Add(field_, absl::StrCat("line ", line + 1, " column ",
                                          column + 1, ": ", message));
  }
  void AddWarning(int, int, const std::string&) override {}

 private:
  Violations* violations_;
  std::string field_;
};

// Field-path building.
class Path {
 public:
  explicit Path(absl::string_view prefix) : prefix_(prefix) {}
  std::string operator()(absl::string_view field) const {
    return prefix_.empty() ? std::string(field)
                           : absl::StrCat(prefix_, ".", field);
  }
  std::string operator()(absl::string_view field, int i) const {
    return absl::StrCat((*this)(field), "[", i, "]");
  }

 private:
  std::string prefix_;
};

// The context conditions refer to.
struct Known {
  std::set<std::string> fit_checks;
  std::set<std::string> requirements;
};

bool IsPositive(double x) { return std::isfinite(x) && x > 0; }
bool IsNonNegative(double x) { return std::isfinite(x) && x >= 0; }

void CheckId(const std::string& id, const std::string& field,
             std::set<std::string>* seen, Violations* v) {
  if (id.empty()) {
    v->Add(field, "is required");
  } else if (!names::IsValidId(id)) {
    v->Add(field, absl::StrCat("\"", id,
                               "\" is not a valid ID (lower-case letters, "
                               "digits and dashes)"));
  } else if (!seen->insert(id).second) {
    v->Add(field, absl::StrCat("\"", id, "\" is used twice"));
  }
}

template <typename IsValid>
void CheckEnumValue(int value, IsValid is_valid, bool required,
                    const std::string& field, Violations* v) {
  if (!is_valid(value)) {
    v->Add(field, absl::StrCat("unknown enum value ", value));
  } else if (required && value == 0) {
    v->Add(field, "is required");
  }
}

void CheckCondition(const Condition& c, const Known& known,
                    const std::string& at, int depth, Violations* v) {
  if (depth > 32) {
    v->Add(at, "is nested too deeply");
    return;
  }
  auto list = [&](const v1::ConditionList& l, const std::string& field) {
    if (l.conditions_size() == 0) {
      v->Add(field + ".conditions", "needs at least one condition");
    }
    for (int i = 0; i < l.conditions_size(); ++i) {
      CheckCondition(l.conditions(i), known,
                     absl::StrCat(field, ".conditions[", i, "]"), depth + 1, v);
    }
  };
  switch (c.kind_case()) {
    case Condition::kAllOf:
      list(c.all_of(), at + ".all_of");
      break;
    case Condition::kAnyOf:
      list(c.any_of(), at + ".any_of");
      break;
    case Condition::kNegate:
      CheckCondition(c.negate(), known, at + ".negate", depth + 1, v);
      break;
    case Condition::kFit:
      CheckEnumValue(c.fit(), v1::FitResult_IsValid, true, at + ".fit", v);
      break;
    case Condition::kFitCheck:
      if (known.fit_checks.count(c.fit_check().check_id()) == 0) {
        v->Add(at + ".fit_check.check_id",
               absl::StrCat("\"", c.fit_check().check_id(),
                            "\" is not a fit check of this policy"));
      }
      CheckEnumValue(c.fit_check().result(), v1::FitResult_IsValid, true,
                     at + ".fit_check.result", v);
      break;
    case Condition::kIntentAtLeast:
      if (!IsNonNegative(c.intent_at_least())) {
        v->Add(at + ".intent_at_least", "must be 0 or more");
      }
      break;
    case Condition::kEvaluationSignal:
      CheckEnumValue(c.evaluation_signal().topic(), v1::SignalTopic_IsValid,
                     false, at + ".evaluation_signal.topic", v);
      if (c.evaluation_signal().within_days() <= 0) {
        v->Add(at + ".evaluation_signal.within_days", "must be positive");
      }
      break;
    case Condition::kCoverageAtLeast:
      if (!IsNonNegative(c.coverage_at_least()) || c.coverage_at_least() > 1) {
        v->Add(at + ".coverage_at_least", "must be between 0 and 1");
      }
      break;
    case Condition::kRequirementMet:
      if (known.requirements.count(c.requirement_met()) == 0) {
        v->Add(at + ".requirement_met",
               absl::StrCat("\"", c.requirement_met(),
                            "\" is not a committee requirement of this policy"));
      }
      break;
    case Condition::kStageAtLeast:
      CheckEnumValue(c.stage_at_least(), v1::EvaluationStage_IsValid, true,
                     at + ".stage_at_least", v);
      break;
    case Condition::kOnlySignalTypes:
      if (c.only_signal_types().types_size() == 0) {
        v->Add(at + ".only_signal_types.types", "needs at least one type");
      }
      for (int i = 0; i < c.only_signal_types().types_size(); ++i) {
        CheckEnumValue(c.only_signal_types().types(i), v1::SignalType_IsValid,
                       true, absl::StrCat(at, ".only_signal_types.types[", i, "]"),
                       v);
      }
      if (c.only_signal_types().within_days() <= 0) {
        v->Add(at + ".only_signal_types.within_days", "must be positive");
      }
      break;
    case Condition::kHighIntent:
    case Condition::kTimelineKnown:
    case Condition::kDecisionOwnerKnown:
      break;
    case Condition::KIND_NOT_SET:
      v->Add(at, "needs exactly one condition kind (all_of, any_of, negate, "
                 "fit, fit_check, intent_at_least, high_intent, "
                 "evaluation_signal, coverage_at_least, requirement_met, "
                 "stage_at_least, timeline_known, decision_owner_known, "
                 "only_signal_types)");
      break;
  }
}

void CheckCodes(const google::protobuf::RepeatedPtrField<std::string>& codes,
                const std::string& field, Violations* v) {
  for (int i = 0; i < codes.size(); ++i) {
    const std::string& code = codes.Get(i);
    const bool ok = IsCountryCode(code) ||
                    (code.size() > 3 && IsCountryCode(code.substr(0, 2)) &&
                     IsSubdivisionCode(code, code.substr(0, 2)));
    if (!ok) {
      v->Add(absl::StrCat(field, "[", i, "]"),
             absl::StrCat("\"", code,
                          "\" is not an ISO 3166-1 country or ISO 3166-2 "
                          "subdivision code"));
    }
  }
}

void CheckStrings(const google::protobuf::RepeatedPtrField<std::string>& list,
                  const std::string& field, Violations* v) {
  if (list.empty()) v->Add(field, "needs at least one value");
  for (int i = 0; i < list.size(); ++i) {
    if (list.Get(i).empty()) {
      v->Add(absl::StrCat(field, "[", i, "]"), "must not be empty");
    }
  }
}

}  // namespace

absl::StatusOr<Policy> ParsePolicyText(absl::string_view text,
                                       absl::string_view field) {
  Policy policy;
  Violations violations;
  ErrorCollector errors(&violations, std::string(field));
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  // As deep as the JSON parser allows: deeper nesting would overflow the
  // stack of the recursive-descent parser.
  parser.SetRecursionLimit(kMaxPolicyNesting);
  if (!parser.ParseFromString(std::string(text), &policy)) {
    if (violations.empty()) violations.Add(std::string(field), "does not parse");
    return violations.ToStatus();
  }
  return policy;
}

absl::StatusOr<Policy> ParsePolicyJson(absl::string_view json,
                                       absl::string_view field) {
  Policy policy;
  auto status = google::protobuf::util::JsonStringToMessage(
      std::string(json), &policy);
  if (!status.ok()) {
    return InvalidField(std::string(field), std::string(status.message()));
  }
  return policy;
}

// The problems of fit check `check` at `at`; its ID must be new in `ids`.
void CheckFitCheck(const v1::FitCheck& check, const std::string& at,
                   const std::set<std::string>& region_ids,
                   std::set<std::string>* ids, Violations* v) {
  CheckId(check.id(), at + ".id", ids, v);
  switch (check.check_case()) {
    case v1::FitCheck::kGeography:
      if (check.geography().regions_size() + check.geography().codes_size() ==
          0) {
        v->Add(at + ".geography", "needs at least one region or code");
      }
      for (int r = 0; r < check.geography().regions_size(); ++r) {
        if (region_ids.count(check.geography().regions(r)) == 0) {
          v->Add(absl::StrCat(at, ".geography.regions[", r, "]"),
                 absl::StrCat("\"", check.geography().regions(r),
                              "\" is not a region of this policy"));
        }
      }
      CheckCodes(check.geography().codes(), at + ".geography.codes", v);
      break;
    case v1::FitCheck::kFacilityType:
      if (check.facility_type().allowed_size() == 0) {
        v->Add(at + ".facility_type.allowed", "needs at least one type");
      }
      for (int t = 0; t < check.facility_type().allowed_size(); ++t) {
        CheckEnumValue(check.facility_type().allowed(t),
                       v1::FacilityType_IsValid, true,
                       absl::StrCat(at, ".facility_type.allowed[", t, "]"), v);
      }
      break;
    case v1::FitCheck::kTestingScope:
      CheckStrings(check.testing_scope().any_of(), at + ".testing_scope.any_of",
                   v);
      break;
    case v1::FitCheck::kAccreditation:
      CheckStrings(check.accreditation().any_of(), at + ".accreditation.any_of",
                   v);
      break;
    case v1::FitCheck::kCurrentSystems:
      CheckStrings(check.current_systems().any_of(),
                   at + ".current_systems.any_of", v);
      break;
    case v1::FitCheck::kAnnualVolume: {
      const auto& b = check.annual_volume();
      if (!b.has_min() && !b.has_max()) {
        v->Add(at + ".annual_volume", "needs min or max");
      }
      if ((b.has_min() && b.min() < 0) || (b.has_max() && b.max() < 0)) {
        v->Add(at + ".annual_volume", "bounds must not be negative");
      }
      if (b.has_min() && b.has_max() && b.min() > b.max()) {
        v->Add(at + ".annual_volume.min", "is above max");
      }
      break;
    }
    case v1::FitCheck::CHECK_NOT_SET:
      v->Add(at,
             "needs one check: geography, facility_type, testing_scope, "
             "annual_volume, accreditation or current_systems");
      break;
  }
}

// The problems of the signal topics `topics` at `at`.
void CheckTopics(const google::protobuf::RepeatedField<int>& topics,
                 const std::string& at, Violations* v) {
  for (int t = 0; t < topics.size(); ++t) {
    CheckEnumValue(topics.Get(t), v1::SignalTopic_IsValid, true,
                   absl::StrCat(at, "[", t, "]"), v);
  }
}

// The problems of committee requirement `req` at `at`; its ID must be new
// in `ids`.
void CheckRequirement(const v1::CommitteeRequirement& req,
                      const std::string& at, std::set<std::string>* ids,
                      Violations* v) {
  CheckId(req.id(), at + ".id", ids, v);
  if (req.roles_size() == 0) v->Add(at + ".roles", "needs at least one role");
  for (int r = 0; r < req.roles_size(); ++r) {
    CheckEnumValue(req.roles(r), v1::CommitteeRole_IsValid, true,
                   absl::StrCat(at, ".roles[", r, "]"), v);
  }
  CheckEnumValue(req.min_engagement(), v1::Engagement_IsValid, false,
                 at + ".min_engagement", v);
  if (req.min_engagement() == v1::ENGAGEMENT_BLOCKER) {
    v->Add(at + ".min_engagement", "BLOCKER is not an engagement level");
  }
  CheckEnumValue(req.from_stage(), v1::EvaluationStage_IsValid, false,
                 at + ".from_stage", v);
  if (!IsNonNegative(req.min_confidence()) || req.min_confidence() > 1) {
    v->Add(at + ".min_confidence", "must be between 0 and 1");
  }
}

// A weight that must be in (0, 1), or 0 for its default when `optional`.
void CheckWeight(double w, bool optional, const std::string& at,
                 Violations* v) {
  if (optional && w == 0) return;
  if (!IsPositive(w) || w >= 1) {
    v->Add(at, optional ? "must be above 0 and below 1 (0 means the default)"
                        : "must be above 0 and below 1");
  }
}

// The problems of the committee's role confidence model at `at`.
void CheckRoleConfidence(const v1::RoleConfidenceModel& m,
                         const std::string& at, Violations* v) {
  CheckWeight(m.title_weight(), true, at + ".title_weight", v);
  CheckWeight(m.crm_weight(), true, at + ".crm_weight", v);
  if (m.likely_at() != 0 && (!IsPositive(m.likely_at()) || m.likely_at() > 1)) {
    v->Add(at + ".likely_at",
           "must be above 0 and at most 1 (0 means the default)");
  }
  if (m.behaviours_size() > kMaxRoleBehaviours) {
    v->Add(at + ".behaviours",
           absl::StrCat("has ", m.behaviours_size(), " entries; at most ",
                        kMaxRoleBehaviours, " are allowed"));
    return;
  }
  std::set<std::string> ids;
  for (int i = 0; i < m.behaviours_size(); ++i) {
    const v1::RoleBehaviour& b = m.behaviours(i);
    const std::string here = absl::StrCat(at, ".behaviours[", i, "]");
    CheckId(b.id(), here + ".id", &ids, v);
    if (b.description().empty()) {
      v->Add(here + ".description", "is required");
    } else if (b.description().size() > 200) {
      v->Add(here + ".description", "is longer than 200 characters");
    }
    CheckEnumValue(b.role(), v1::CommitteeRole_IsValid, true, here + ".role",
                   v);
    for (int t = 0; t < b.signal_types_size(); ++t) {
      CheckEnumValue(b.signal_types(t), v1::SignalType_IsValid, true,
                     absl::StrCat(here, ".signal_types[", t, "]"), v);
    }
    CheckTopics(b.topics(), here + ".topics", v);
    if (b.signal_types_size() == 0 && b.topics_size() == 0) {
      v->Add(here + ".signal_types", "needs a signal type or a topic");
    }
    if (b.min_signals() < 0) {
      v->Add(here + ".min_signals", "must not be negative (0 means 1)");
    }
    CheckWeight(b.weight(), false, here + ".weight", v);
  }
}

// The problems of the policy's solutions; the IDs of their requirements and
// fit checks join `known`, so that rules may name them.
void CheckSolutions(const Policy& p, const Path& path,
                    const std::set<std::string>& region_ids, Known* known,
                    Violations* v) {
  std::set<std::string> solution_ids;
  for (int i = 0; i < p.solutions_size(); ++i) {
    const v1::Solution& solution = p.solutions(i);
    const std::string at = path("solutions", i);
    CheckId(solution.id(), at + ".id", &solution_ids, v);
    std::set<std::string> requirements, fit_checks;
    for (int r = 0; r < solution.requirements_size(); ++r) {
      CheckRequirement(solution.requirements(r),
                       absl::StrCat(at, ".requirements[", r, "]"),
                       &requirements, v);
    }
    for (int c = 0; c < solution.fit_checks_size(); ++c) {
      CheckFitCheck(solution.fit_checks(c),
                    absl::StrCat(at, ".fit_checks[", c, "]"), region_ids,
                    &fit_checks, v);
    }
    CheckTopics(solution.intent_topics(), at + ".intent_topics", v);
    known->requirements.insert(requirements.begin(), requirements.end());
    known->fit_checks.insert(fit_checks.begin(), fit_checks.end());
  }
}

void ValidatePolicy(const Policy& p, absl::string_view prefix, Violations* v) {
  const Path path(prefix);
  Known known;

  std::set<std::string> region_ids;
  for (int i = 0; i < p.regions_size(); ++i) {
    const auto& region = p.regions(i);
    CheckId(region.id(), path("regions", i) + ".id", &region_ids, v);
    if (region.codes_size() == 0) {
      v->Add(path("regions", i) + ".codes", "needs at least one code");
    }
    CheckCodes(region.codes(), path("regions", i) + ".codes", v);
  }

  if (p.fit_checks_size() == 0) v->Add(path("fit_checks"), "needs at least one check");
  for (int i = 0; i < p.fit_checks_size(); ++i) {
    CheckFitCheck(p.fit_checks(i), path("fit_checks", i), region_ids,
                  &known.fit_checks, v);
  }

  if (!p.has_intent()) {
    v->Add(path("intent"), "is required");
  } else {
    const auto& intent = p.intent();
    if (intent.weights_size() == 0) {
      v->Add(path("intent.weights"), "needs at least one weight");
    }
    std::set<std::pair<int, int>> seen;
    for (int i = 0; i < intent.weights_size(); ++i) {
      const auto& w = intent.weights(i);
      const std::string at = path("intent.weights", i);
      CheckEnumValue(w.type(), v1::SignalType_IsValid, true, at + ".type", v);
      CheckEnumValue(w.topic(), v1::SignalTopic_IsValid, false, at + ".topic",
                     v);
      if (!seen.insert({w.type(), w.topic()}).second) {
        v->Add(at, "repeats the type and topic of an earlier weight");
      }
      if (!IsNonNegative(w.points())) v->Add(at + ".points", "must be 0 or more");
      if (!IsNonNegative(w.cap())) v->Add(at + ".cap", "must be 0 or more");
    }
    const auto& half_life = intent.half_life();
    if (half_life.seconds() < 0 || half_life.nanos() < 0 ||
        (half_life.seconds() == 0 && half_life.nanos() == 0)) {
      v->Add(path("intent.half_life"), "must be positive");
    }
    if (!IsPositive(intent.high_intent_threshold())) {
      v->Add(path("intent.high_intent_threshold"), "must be positive");
    }
    if (intent.evaluation_window_days() <= 0) {
      v->Add(path("intent.evaluation_window_days"), "must be positive");
    }
    CheckTopics(intent.topics(), path("intent.topics"), v);
    if (intent.max_listed_signals() < 0) {
      v->Add(path("intent.max_listed_signals"),
             "must not be negative (0 means the default, 20)");
    }
  }

  if (!p.has_committee()) {
    v->Add(path("committee"), "is required");
  } else {
    const auto& committee = p.committee();
    if (committee.requirements_size() == 0) {
      v->Add(path("committee.requirements"), "needs at least one requirement");
    }
    for (int i = 0; i < committee.requirements_size(); ++i) {
      CheckRequirement(committee.requirements(i),
                       path("committee.requirements", i), &known.requirements,
                       v);
    }
    for (int i = 0; i < committee.decision_owner_roles_size(); ++i) {
      CheckEnumValue(committee.decision_owner_roles(i),
                     v1::CommitteeRole_IsValid, true,
                     path("committee.decision_owner_roles", i), v);
    }
    if (committee.engagement_window_days() <= 0) {
      v->Add(path("committee.engagement_window_days"), "must be positive");
    }
    CheckRoleConfidence(committee.role_confidence(),
                        path("committee.role_confidence"), v);
    for (int i = 0; i < committee.role_hints_size(); ++i) {
      const auto& hint = committee.role_hints(i);
      const std::string at = path("committee.role_hints", i);
      CheckEnumValue(hint.role(), v1::CommitteeRole_IsValid, true, at + ".role",
                     v);
      if (hint.ask_roles_size() == 0) {
        v->Add(at + ".ask_roles", "needs at least one role");
      }
      for (int r = 0; r < hint.ask_roles_size(); ++r) {
        CheckEnumValue(hint.ask_roles(r), v1::CommitteeRole_IsValid, true,
                       absl::StrCat(at, ".ask_roles[", r, "]"), v);
      }
    }
  }

  CheckSolutions(p, path, region_ids, &known, v);

  std::set<std::string> rule_ids;
  for (int i = 0; i < p.disqualify_rules_size(); ++i) {
    const auto& rule = p.disqualify_rules(i);
    const std::string at = path("disqualify_rules", i);
    CheckId(rule.id(), at + ".id", &rule_ids, v);
    if (rule.reason().empty()) v->Add(at + ".reason", "is required");
    if (!rule.has_when()) {
      v->Add(at + ".when", "is required");
    } else {
      CheckCondition(rule.when(), known, at + ".when", 0, v);
    }
  }
  for (int i = 0; i < p.routing_rules_size(); ++i) {
    const auto& rule = p.routing_rules(i);
    const std::string at = path("routing_rules", i);
    CheckId(rule.id(), at + ".id", &rule_ids, v);
    if (rule.reason().empty()) v->Add(at + ".reason", "is required");
    if (rule.next_step().empty()) v->Add(at + ".next_step", "is required");
    CheckEnumValue(rule.route(), v1::Route_IsValid, true, at + ".route", v);
    if (rule.route() == v1::ROUTE_DISQUALIFY) {
      v->Add(at + ".route", "DISQUALIFY belongs in disqualify_rules");
    }
    if (!rule.has_when()) {
      v->Add(at + ".when", "is required");
    } else {
      CheckCondition(rule.when(), known, at + ".when", 0, v);
    }
  }

  const auto& w = p.readiness_weights();
  if (!IsNonNegative(w.fit()) || !IsNonNegative(w.intent()) ||
      !IsNonNegative(w.coverage()) || w.fit() + w.intent() + w.coverage() <= 0) {
    v->Add(path("readiness_weights"),
           "weights must be 0 or more with at least one positive");
  }

  // Gap IDs: fit checks, requirements, and the verdict's own gaps.
  std::set<std::string> gaps = {"intent", "decision-owner", "timeline"};
  gaps.insert(known.fit_checks.begin(), known.fit_checks.end());
  gaps.insert(known.requirements.begin(), known.requirements.end());
  auto check_gaps = [&](const google::protobuf::RepeatedPtrField<std::string>& g,
                        const std::string& at) {
    for (int i = 0; i < g.size(); ++i) {
      if (gaps.count(g.Get(i)) == 0) {
        v->Add(absl::StrCat(at, "[", i, "]"),
               absl::StrCat("\"", g.Get(i),
                            "\" is not a gap (a fit check or requirement ID, "
                            "intent, decision-owner or timeline)"));
      }
    }
  };
  std::set<std::string> question_ids;
  for (int i = 0; i < p.questions_size(); ++i) {
    const auto& q = p.questions(i);
    const std::string at = path("questions", i);
    CheckId(q.id(), at + ".id", &question_ids, v);
    if (q.text().empty()) v->Add(at + ".text", "is required");
    for (int r = 0; r < q.routes_size(); ++r) {
      CheckEnumValue(q.routes(r), v1::Route_IsValid, true,
                     absl::StrCat(at, ".routes[", r, "]"), v);
    }
    check_gaps(q.gaps(), at + ".gaps");
    for (int t = 0; t < q.topics_size(); ++t) {
      CheckEnumValue(q.topics(t), v1::SignalTopic_IsValid, true,
                     absl::StrCat(at, ".topics[", t, "]"), v);
    }
    if (q.routes_size() + q.gaps_size() + q.topics_size() == 0) {
      v->Add(at, "needs a route, gap or topic to be suggested for");
    }
  }
  if (p.nurture_tracks_size() == 0) {
    v->Add(path("nurture_tracks"), "needs at least one track");
  }
  std::set<std::string> track_ids;
  for (int i = 0; i < p.nurture_tracks_size(); ++i) {
    const auto& t = p.nurture_tracks(i);
    const std::string at = path("nurture_tracks", i);
    CheckId(t.id(), at + ".id", &track_ids, v);
    check_gaps(t.gaps(), at + ".gaps");
    for (int k = 0; k < t.topics_size(); ++k) {
      CheckEnumValue(t.topics(k), v1::SignalTopic_IsValid, true,
                     absl::StrCat(at, ".topics[", k, "]"), v);
    }
  }
  if (p.handoff().min_notes() < 0) {
    v->Add(path("handoff.min_notes"), "must be 0 or more");
  }
  if (p.review_sla().seconds() < 0 || p.review_sla().nanos() < 0) {
    v->Add(path("review_sla"), "must not be negative");
  }
}

const Policy& DefaultPolicy() {
  static const Policy* policy = [] {
    auto parsed = ParsePolicyText(kDefaultPolicyText);
    return new Policy(parsed.ok() ? *parsed : Policy());
  }();
  return *policy;
}

namespace {

// Parses `source` without validating it; errors name `at` ("source.text").
absl::StatusOr<v1::Policy> ParseSource(const v1::PolicySource& source,
                                       const std::string& at) {
  switch (source.source_case()) {
    case v1::PolicySource::kPolicy:
      return source.policy();
    case v1::PolicySource::kText:
      return ParsePolicyText(source.text(), at + ".text");
    case v1::PolicySource::kJson:
      return ParsePolicyJson(source.json(), at + ".json");
    case v1::PolicySource::SOURCE_NOT_SET:
      break;
  }
  return InvalidField(at, "needs a policy, text or json");
}

}  // namespace

absl::StatusOr<v1::Policy> PolicyFromSource(const v1::PolicySource& source,
                                            absl::string_view field) {
  const std::string at(field);
  absl::StatusOr<v1::Policy> policy = ParseSource(source, at);
  if (!policy.ok()) return policy.status();
  Violations violations;
  // A problem is named by its path in the policy, however the policy was
  // sent (message, text or JSON), so one policy has the same problems in
  // every form; only parse errors name the source field ("source.text").
  ValidatePolicy(*policy, "", &violations);
  absl::Status problems = violations.ToStatus();
  if (!problems.ok()) return problems;
  return policy;
}

absl::StatusOr<v1::ValidatePolicyResponse> CheckPolicySource(
    const v1::PolicySource& source, absl::string_view field) {
  const std::string at(field);
  v1::ValidatePolicyResponse response;
  // Parsed and validated in two steps so that a policy that parses is
  // returned even when it is not valid.
  absl::StatusOr<v1::Policy> policy = ParseSource(source, at);
  Violations problems;
  if (!policy.ok()) {
    if (!absl::IsInvalidArgument(policy.status())) return policy.status();
    problems.AddFrom(policy.status());
    if (problems.empty()) {
      problems.Add(at, std::string(policy.status().message()));
    }
  } else {
    ValidatePolicy(*policy, "", &problems);  // As in PolicyFromSource.
    *response.mutable_policy() = *std::move(policy);
  }
  response.set_valid(problems.empty());
  for (const auto& v : problems.list()) {
    auto* problem = response.add_problems();
    problem->set_field(v.field());
    problem->set_description(v.description());
  }
  return response;
}

}  // namespace quorum::graph
