// Deterministic benchmark datasets: the same seed always gives the same
// records, so quorumd and PostgreSQL can be loaded with identical data and a
// run can be repeated.
//
// Three shapes (see docs/performance.md):
//   - a committee tree: a health system with two member hospitals, 5 sites,
//     40 stakeholders with realistic titles, roles and relationships, and 500
//     signals spread over the year before kAsOf;
//   - small accounts `accounts/acct-NNNNNN`: 1 site, 3 stakeholders and 5
//     signals each, generated from (seed, index) alone so any range can be
//     produced without the others;
//   - a signal history: any number of signals on one account.
//
// Thread safety: every function is pure.
#ifndef QUORUM_SCRIPTS_BENCH_DATASET_H_
#define QUORUM_SCRIPTS_BENCH_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "quorum/v1/intake_service.pb.h"
#include "quorum/v1/resources.pb.h"
#include "quorum/v1/signal_service.pb.h"

namespace quorum::bench {

// The time every benchmark judges at; all generated signals precede it.
absl::Time AsOf();

// Records of one or more accounts, in an order that can be created one by
// one (accounts before their children, sites and stakeholders; relationships
// and signals last).
struct Records {
  std::vector<v1::Account> accounts;
  std::vector<v1::Site> sites;
  std::vector<v1::Stakeholder> stakeholders;
  std::vector<v1::Relationship> relationships;
  std::vector<v1::CreateSignalRequest> signals;
};

// The committee tree rooted at `accounts/{root_id}` (children
// `{root_id}-north` and `{root_id}-south`).
Records CommitteeTree(const std::string& root_id, uint64_t seed);

// `accounts/acct-{index, 6 digits}`.
std::string SmallAccountId(int64_t index);
Records SmallAccount(int64_t index, uint64_t seed);

// `count` signals on `accounts/{account_id}` with IDs `h-{first + i}`, over
// the year before AsOf(), tied to no stakeholder.
std::vector<v1::CreateSignalRequest> History(const std::string& account_id,
                                             int64_t first, int64_t count,
                                             uint64_t seed);

// A distinct inbound lead (its own e-mail and company), with a demo request.
v1::SubmitLeadRequest Lead(int64_t index, uint64_t seed);

// One signal for `accounts/{account_id}` without an ID (each call records a
// new one), at AsOf() minus `age`.
v1::CreateSignalRequest FreshSignal(const std::string& account_id,
                                    absl::Duration age);

}  // namespace quorum::bench

#endif  // QUORUM_SCRIPTS_BENCH_DATASET_H_
