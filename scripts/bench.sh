#!/usr/bin/env bash
# Benchmarks quorum on loopback and writes docs/performance.md (see there for
# what is measured and how). Installs what it needs (the build packages,
# Google Benchmark, PostgreSQL 15 and libpq), builds build-bench/ with
# -DQUORUM_BUILD_BENCHMARKS=ON, then runs scripts/bench/bench.py, which
# prints one table of ratios measured in this run and writes it between the
# markers of docs/performance.md. Not part of the test command. Takes 15 to
# 25 minutes on 2 cores; extra arguments go to bench.py (--help lists them,
# e.g. --runs 1 --duration 2 --scale 1000,10000 for a quick look, or
# --only engines for LMDB vs PostgreSQL with 1 and 3 nodes alone).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh libbenchmark-dev postgresql-15 postgresql-client-15 libpq-dev

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DQUORUM_BUILD_TESTS=OFF -DQUORUM_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build-bench --target quorumd quorum_load quorum_benchgen \
  quorum_bench_lmdb quorum_micro_rules
exec /usr/bin/python3 scripts/bench/bench.py --command "bash scripts/bench.sh${*:+ $*}" "$@"
