#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/, -DQUORUM_FUZZ=ON:
# ASan, UBSan and coverage on all of quorum's code) and runs each for
# QUORUM_FUZZ_SECONDS (default 15) from the committed seed corpus in
# tests/fuzz/corpus/<name>/. New inputs go to build-fuzz/corpus/<name>/ (the
# committed corpus is not changed). A crash, a leak, a sanitizer report or a
# timeout fails the script and leaves the input in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${QUORUM_FUZZ_SECONDS:-15}"
fuzzers=(policy_text policy_json page_token request mapping csv_import)

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DQUORUM_BUILD_TESTS=OFF -DQUORUM_FUZZ=ON >/dev/null
cmake --build build-fuzz --target "${fuzzers[@]/%/_fuzzer}"

mkdir -p build-fuzz/artifacts
failed=()
for name in "${fuzzers[@]}"; do
  work="build-fuzz/corpus/$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "build-fuzz/tests/fuzz/${name}_fuzzer" "$work" "tests/fuzz/corpus/$name" \
         -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
         -max_len=65536 -print_final_stats=1 \
         -artifact_prefix="build-fuzz/artifacts/${name}-" \
         > "build-fuzz/${name}.log" 2>&1; then
    echo "fuzz: $name FAILED (see build-fuzz/${name}.log):" >&2
    tail -n 40 "build-fuzz/${name}.log" >&2
    failed+=("$name")
  else
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" \
      "build-fuzz/${name}.log" | tr '\n' ' ' >&2 || true
    echo >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#fuzzers[@]} fuzzers ran ${seconds}s each without a finding" >&2
