// The readiness filters of `ready`, `watch` and `webhook create`: one set of
// flags, applied to any request or message with the listing's filter
// fields (ListAccountReadinessRequest, WatchReadinessRequest,
// ReadinessFilter).
#ifndef QUORUM_CLIENTS_QUORUM_FILTERS_H_
#define QUORUM_CLIENTS_QUORUM_FILTERS_H_

#include <cctype>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/quorum/cli.h"
#include "quorum/v1/policy.pb.h"
#include "quorum/v1/resources.pb.h"

namespace quorum::cli {

struct Filters {
  std::vector<std::string> routes;
  std::vector<std::string> statuses;
  std::string country;
  std::string owner;
  std::string stage;
  int min_readiness = 0;
  std::string solution;
};

// --route, --status, --country, --owner, --stage, --min-readiness and
// --solution.
void AddFilterOptions(CLI::App* sub, Filters& f);

// Sets the filter fields of `out`; a bad enum name is a usage error naming
// its flag.
template <typename Message>
void ApplyFilters(const Filters& f, Message& out) {
  for (const auto& r : f.routes) {
    out.add_routes(static_cast<quorum::v1::Route>(
        ParseEnum("--route", r, quorum::v1::Route_descriptor())));
  }
  for (const auto& s : f.statuses) {
    out.add_statuses(static_cast<quorum::v1::LifecycleStatus>(
        ParseEnum("--status", s, quorum::v1::LifecycleStatus_descriptor())));
  }
  std::string country = f.country;
  for (char& c : country) c = static_cast<char>(std::toupper(c));
  out.set_country_code(country);
  out.set_owner(f.owner);
  if (!f.stage.empty()) {
    out.set_stage(static_cast<quorum::v1::EvaluationStage>(ParseEnum(
        "--stage", f.stage, quorum::v1::EvaluationStage_descriptor())));
  }
  out.set_min_readiness(f.min_readiness);
  out.set_solution(f.solution);
}

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_FILTERS_H_
