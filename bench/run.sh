#!/usr/bin/env bash
# Benchmarks: builds, starts the OpenAI emulator in its own process on
# loopback, and measures the extension's per-call overhead and peak memory
# against it. Usage: bash bench/run.sh [ITERATIONS]
set -euo pipefail
. "$(dirname "$0")/../scripts/setup.sh"
ig_build "$IG_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
out=$(mktemp)
"$IG_ROOT/build/emulators/openai-emulator" --port 0 >"$out" &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$out")
"$IG_ROOT/build/bench/bench_call_overhead" "$url" "${1:-20}"
