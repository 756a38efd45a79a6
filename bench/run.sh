#!/usr/bin/env bash
# Benchmarks: builds, starts the OpenAI and Stability emulators in their own
# processes on loopback, and measures the extension's per-call overhead and
# peak memory against them, and the fallback layer's switch time; then the offline upscalers' quality and speed
# on the sample photos. Usage: bash bench/run.sh [ITERATIONS]
set -euo pipefail
. "$(dirname "$0")/../scripts/setup.sh"
ig_build "$IG_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
pids=()
logs=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -f "${logs[@]}"' EXIT
# Each emulator in its own process, so its CPU is not counted as ours.
openai_out=$(mktemp); stability_out=$(mktemp)
logs+=("$openai_out" "$stability_out")
"$IG_ROOT/build/emulators/openai-emulator" --port 0 >"$openai_out" &
pids+=($!)
"$IG_ROOT/build/emulators/stability-emulator" --port 0 >"$stability_out" &
pids+=($!)
for _ in $(seq 50); do
  grep -q listening "$openai_out" && grep -q listening "$stability_out" && break
  sleep 0.1
done
"$IG_ROOT/build/bench/bench_call_overhead" "$(grep -o 'http://[^ ]*' "$openai_out")" \
  "$(grep -o 'http://[^ ]*' "$stability_out")" "${1:-20}"

# The fallback layer: time from OpenAI's refusal to the Stability attempt.
echo
"$IG_ROOT/build/bench/bench_fallback" "$(grep -o 'http://[^ ]*' "$openai_out")" \
  "$(grep -o 'http://[^ ]*' "$stability_out")" 50

# Offline upscaling: quality of each method on the sample photos and the
# neural network's speed (no emulators needed).
echo
"$IG_ROOT/build/bench/bench_upscale_quality" "$IG_ROOT/data/samples" \
  "$IG_ROOT/build/extensions/image-generation/weights/rdn-psnr-small-x2.bin"
