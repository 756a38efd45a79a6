#!/usr/bin/env bash
# The main job: set up, build, then load the extension through the reference
# host the way an agent host does and make real calls through its ABI.
set -euo pipefail
. "$(dirname "$0")/setup.sh"

ig_build "$IG_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cli="$IG_ROOT/build/agentos-ext"
config="$IG_ROOT/examples/agent.config.json"
export AGENTOS_IMAGE_DIR="${AGENTOS_IMAGE_DIR:-$IG_ROOT/build/images}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step agentos-ext enable image-generation --config examples/agent.config.json
"$cli" enable image-generation --config "$config"

# A malformed call: refused before any provider is contacted (exit 1).
step agentos-ext call generate_image '{"prompt":"a lighthouse at dusk","size":"1024x10"}'
"$cli" call generate_image '{"prompt":"a lighthouse at dusk","size":"1024x10"}' --config "$config" && exit 1 || true

# A real upscale on this machine's CPU: no key, no network. The embedded
# provider's auto method runs the neural network when it fits the time budget.
sample=data/samples/chelsea.png
step agentos-ext call upscale_image "{\"image\":\"$sample\"}"
"$cli" call upscale_image "{\"image\":\"$IG_ROOT/$sample\"}" --config "$config" | tee "$IG_ROOT/build/upscale-result.json"
echo "saved: $(grep -o '"path":[^,]*' "$IG_ROOT/build/upscale-result.json" | head -1 | cut -d'"' -f4)"

# Generation needs a hosted provider: with a key in the environment it makes
# an image; without one the result names the variables that would enable one.
step agentos-ext call generate_image '{"prompt":"a lighthouse at dusk, oil painting","size":"1024x1024"}'
"$cli" call generate_image '{"prompt":"a lighthouse at dusk, oil painting","size":"1024x1024"}' \
  --config "$config" || echo "(exit $?: see error.code and error.hint above)"
