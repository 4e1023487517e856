// Micro-benchmarks (Google Benchmark) of the pure rules, without gRPC or
// storage: qualification of an in-memory committee tree from its indexed
// signals (as quorumd does from a snapshot), building that index, policy
// validation, title inference.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "graph/rules/policy.h"
#include "graph/rules/qualification.h"
#include "graph/rules/titles.h"
#include "scripts/bench/dataset.h"

namespace {

namespace v1 = quorum::v1;

// The committee tree as qualification reads it (signals newest first).
quorum::graph::AccountTree TreeOf(const quorum::bench::Records& r) {
  quorum::graph::AccountTree tree;
  *tree.map.mutable_account() = r.accounts[0];
  for (size_t i = 1; i < r.accounts.size(); ++i) {
    *tree.map.add_descendants() = r.accounts[i];
  }
  for (const auto& s : r.sites) *tree.map.add_sites() = s;
  for (const auto& s : r.stakeholders) *tree.map.add_stakeholders() = s;
  for (const auto& rel : r.relationships) *tree.map.add_relationships() = rel;
  for (const auto& s : r.signals) {
    v1::Signal signal = s.signal();
    signal.set_name(absl::StrCat(s.parent(), "/signals/", s.signal_id()));
    tree.signals.push_back(std::move(signal));
  }
  std::sort(tree.signals.begin(), tree.signals.end(),
            [](const v1::Signal& a, const v1::Signal& b) {
              return a.occur_time().seconds() > b.occur_time().seconds();
            });
  return tree;
}

std::shared_ptr<const quorum::graph::SignalHistory> IndexOf(
    const quorum::graph::AccountTree& tree, const v1::Policy& policy) {
  const auto& h = policy.intent().half_life();
  return quorum::graph::SignalHistory::Build(
      tree.signals, absl::Seconds(h.seconds()) + absl::Nanoseconds(h.nanos()));
}

void BM_QualifyCommitteeTree(benchmark::State& state) {
  const auto tree = TreeOf(quorum::bench::CommitteeTree("bench-tree", 42));
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  const auto index = IndexOf(tree, policy);
  size_t bytes = 0;
  for (auto _ : state) {
    v1::Verdict v = quorum::graph::Qualify(tree.map, *index, policy, 1,
                                           quorum::bench::AsOf());
    bytes = v.ByteSizeLong();
    benchmark::DoNotOptimize(v);
  }
  state.counters["verdict_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_QualifyCommitteeTree);

// The same from the tree's qualification plan, as quorumd qualifies from a
// snapshot (the plan is made once per snapshot and policy revision).
void BM_QualifyCommitteeTreeFromPlan(benchmark::State& state) {
  const auto tree = TreeOf(quorum::bench::CommitteeTree("bench-tree", 42));
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  const auto index = IndexOf(tree, policy);
  const auto plan = quorum::graph::PlanQualification(tree.map, policy);
  size_t bytes = 0;
  for (auto _ : state) {
    v1::Verdict v =
        quorum::graph::Qualify(*plan, *index, 1, quorum::bench::AsOf());
    bytes = v.ByteSizeLong();
    benchmark::DoNotOptimize(v);
  }
  state.counters["verdict_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_QualifyCommitteeTreeFromPlan);

// Making that plan (once per snapshot and policy revision).
void BM_PlanCommitteeTree(benchmark::State& state) {
  const auto tree = TreeOf(quorum::bench::CommitteeTree("bench-tree", 42));
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        quorum::graph::PlanQualification(tree.map, policy));
  }
}
BENCHMARK(BM_PlanCommitteeTree);

void BM_QualifySmallAccount(benchmark::State& state) {
  const auto tree = TreeOf(quorum::bench::SmallAccount(1, 42));
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  const auto index = IndexOf(tree, policy);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quorum::graph::Qualify(
        tree.map, *index, policy, 1, quorum::bench::AsOf()));
  }
}
BENCHMARK(BM_QualifySmallAccount);

// Qualification of one account with N signals, from its index: the cost
// should not grow with the history.
void BM_QualifyHistory(benchmark::State& state) {
  quorum::bench::Records r;
  v1::Account a;
  a.set_name("accounts/history");
  a.set_country_code("DE");
  a.set_facility_type(v1::FACILITY_TYPE_HOSPITAL_LAB);
  r.accounts.push_back(a);
  r.signals = quorum::bench::History("history", 0, state.range(0), 42);
  const auto tree = TreeOf(r);
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  const auto index = IndexOf(tree, policy);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quorum::graph::Qualify(
        tree.map, *index, policy, 1, quorum::bench::AsOf()));
  }
}
BENCHMARK(BM_QualifyHistory)->Arg(5)->Arg(1000)->Arg(10000);

// Building the signal index of a snapshot (once per tree, on first use).
void BM_IndexHistory(benchmark::State& state) {
  quorum::bench::Records r;
  v1::Account a;
  a.set_name("accounts/history");
  r.accounts.push_back(a);
  r.signals = quorum::bench::History("history", 0, state.range(0), 42);
  const auto tree = TreeOf(r);
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  for (auto _ : state) benchmark::DoNotOptimize(IndexOf(tree, policy));
}
BENCHMARK(BM_IndexHistory)->Arg(5)->Arg(1000)->Arg(10000);

void BM_ValidateDefaultPolicy(benchmark::State& state) {
  const v1::Policy& policy = quorum::graph::DefaultPolicy();
  for (auto _ : state) {
    quorum::Violations violations;
    quorum::graph::ValidatePolicy(policy, "policy", &violations);
    benchmark::DoNotOptimize(violations);
  }
}
BENCHMARK(BM_ValidateDefaultPolicy);

void BM_InferRoles(benchmark::State& state) {
  const char* titles[] = {"Laboratory Director",  "QA Specialist",
                          "Sr. LIS Analyst",      "Head of Procurement",
                          "Medical Technologist", "Chief Operating Officer"};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(quorum::graph::InferRoles(titles[i++ % 6]));
  }
}
BENCHMARK(BM_InferRoles);

}  // namespace

BENCHMARK_MAIN();
