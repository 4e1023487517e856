#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-DQUORUM_FUZZ=ON: ASan, UBSan and
# coverage on all of quorum's code) and runs each for
# QUORUM_FUZZ_SECONDS (default 15) from the committed seed corpus in
# tests/fuzz/corpus/<name>/. New inputs go to BUILD-FOLDER/corpus/<name>/
# (the committed corpus is not changed). A crash, a leak, a sanitizer report
# or a timeout fails the script and leaves the input in BUILD-FOLDER/artifacts/.
#   scripts/fuzz.sh [BUILD-FOLDER]
# BUILD-FOLDER (default build-fuzz/, configured here) may be a folder already
# configured with -DQUORUM_FUZZ=ON, as scripts/test.sh's build-sanitize/ is.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${QUORUM_FUZZ_SECONDS:-15}"
fuzzers=(policy_text policy_json page_token request mapping csv_import)

build="${1:-build-fuzz}"
if [ "$build" = build-fuzz ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DQUORUM_BUILD_TESTS=OFF -DQUORUM_FUZZ=ON >/dev/null
elif ! grep -q '^QUORUM_FUZZ:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "fuzz: $build is not configured with -DQUORUM_FUZZ=ON" >&2
  exit 2
fi
cmake --build "$build" --target "${fuzzers[@]/%/_fuzzer}"

mkdir -p "$build/artifacts"
failed=()
for name in "${fuzzers[@]}"; do
  work="$build/corpus/$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$build/tests/fuzz/${name}_fuzzer" "$work" "tests/fuzz/corpus/$name" \
         -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
         -max_len=65536 -print_final_stats=1 \
         -artifact_prefix="$build/artifacts/${name}-" \
         > "$build/${name}.log" 2>&1; then
    echo "fuzz: $name FAILED (see $build/${name}.log):" >&2
    tail -n 40 "$build/${name}.log" >&2
    failed+=("$name")
  else
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" \
      "$build/${name}.log" | tr '\n' ' ' >&2 || true
    echo >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#fuzzers[@]} fuzzers ran ${seconds}s each without a finding" >&2
