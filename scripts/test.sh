#!/usr/bin/env bash
# Every test: set up, then build and run the whole Criterion suite under
# ctest twice, once plain (with the valgrind checks) and once with
# AddressSanitizer + UBSan.
set -euo pipefail
. "$(dirname "$0")/setup.sh"

export CTEST_OUTPUT_ON_FAILURE=1
jobs=$(nproc)

echo "== build/ (RelWithDebInfo, valgrind checks)"
ig_build "$IG_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir "$IG_ROOT/build" -j "$jobs" --timeout 600

echo "== build-asan/ (AddressSanitizer + UBSan)"
ig_build "$IG_ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DIG_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$IG_ROOT/build-asan" -j "$jobs" --timeout 600
