#!/usr/bin/env bash
# Every test: set up, then build and run the whole Criterion suite under
# ctest twice, once plain (with the valgrind checks) and once with
# AddressSanitizer + UBSan, then the multi-thread stress program under
# ThreadSanitizer (Criterion itself cannot run under TSan).
set -euo pipefail
. "$(dirname "$0")/setup.sh"
ig_npm_ci "$IG_ROOT/tests/reference" # TensorFlow.js, for the model's reference outputs
ig_npm_ci "$IG_ROOT/bindings/node"    # koffi, for the Node pack
ig_npm_ci "$IG_ROOT/tests/agentos"    # the AgentOS runtime, for the end-to-end test

export CTEST_OUTPUT_ON_FAILURE=1
jobs=$(nproc)

echo "== build/ (RelWithDebInfo, valgrind checks)"
ig_build "$IG_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir "$IG_ROOT/build" -j "$jobs" --timeout 600

echo "== build-asan/ (AddressSanitizer + UBSan)"
ig_build "$IG_ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DIG_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$IG_ROOT/build-asan" -j "$jobs" --timeout 600

echo "== build-tsan/ (ThreadSanitizer: stress_threads, stress_sd_a1111)"
cmake -S "$IG_ROOT" -B "$IG_ROOT/build-tsan" -DCMAKE_BUILD_TYPE=Debug -DIG_TSAN=ON >/dev/null
cmake --build "$IG_ROOT/build-tsan" -j "$jobs" --target stress_threads stress_sd_a1111
# libglib/libvips are not instrumented and lock with raw futexes, which TSan
# cannot see: report only accesses made from our own (instrumented) code, and
# make GLib allocate with malloc. A race planted in our code is still caught.
G_SLICE=always-malloc TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1" \
  ctest --test-dir "$IG_ROOT/build-tsan" -R '^(stress_threads|stress_sd_a1111)$' --timeout 600
