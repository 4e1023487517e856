// Names and numbers as verdicts write them, and introductions.
#include "graph/rules/qualification_steps.h"

namespace quorum::graph::steps {

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

double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

std::string Num(double x) { return absl::StrFormat("%.2f", x); }

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

std::string Describe(const v1::IntroductionPath& intro) {
  return absl::StrJoin(intro.path(), " -> ");
}

}  // namespace quorum::graph::steps
