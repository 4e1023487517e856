#include "clients/quorum/filters.h"

namespace quorum::cli {

void AddFilterOptions(CLI::App* sub, Filters& f) {
  sub->add_option("--route", f.routes,
                  "Only these routes (repeat or comma-separate), e.g. "
                  "sales_discovery")
      ->delimiter(',');
  sub->add_option("--status", f.statuses,
                  "Only these lifecycle statuses, e.g. new,researching")
      ->delimiter(',');
  sub->add_option("--country", f.country, "Only this country (ISO alpha-2)");
  sub->add_option("--owner", f.owner, "Only this owner");
  sub->add_option("--stage", f.stage, "Only this evaluation stage, e.g. pilot");
  sub->add_option("--min-readiness", f.min_readiness, "Readiness at least this")
      ->check(CLI::Range(0, 100));
  sub->add_option("--solution", f.solution,
                  "Judge for this solution of the policy, e.g. lis-middleware "
                  "(its committee, fit checks and intent topics)");
}

}  // namespace quorum::cli
