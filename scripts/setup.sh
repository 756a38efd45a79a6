#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs, when any is missing,
# and the data it builds from: the local provider's model weights (npm) and
# public-domain sample photos (a Debian package). Sourced by scripts/main.sh
# and scripts/test.sh; safe to run again: each step is skipped once done.
set -euo pipefail

IG_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libcurl4-openssl-dev libcjson-dev libffi-dev libvips-dev
  libcriterion-dev libmicrohttpd-dev valgrind python3
  libopenblas-pthread-dev
)
# npm comes with the machine's Node.js; Debian's own is the fallback.
command -v npm >/dev/null || IG_PACKAGES+=(nodejs npm)

ig_missing_packages() {
  local pkg
  for pkg in "${IG_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || printf '%s\n' "$pkg"
  done
}

ig_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 2; }
    sudo "$@"
  fi
}

ig_install_packages() {
  local missing
  missing=$(ig_missing_packages)
  [ -z "$missing" ] && return 0
  echo "setup: installing $(echo $missing | tr '\n' ' ')" >&2
  ig_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  ig_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# ig_build DIR [cmake args...]: configure (once) and build into DIR.
ig_build() {
  local dir=$1; shift
  cmake -S "$IG_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# ig_npm_ci DIR: installs DIR's package-lock.json into DIR/node_modules
# (integrity-checked by npm), unless that exact lockfile is installed already.
ig_npm_ci() {
  local dir=$1 stamp=$1/node_modules/.installed-lock.json
  cmp -s "$dir/package-lock.json" "$stamp" && return 0
  echo "setup: npm ci in ${dir#"$IG_ROOT"/}" >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}

# Public-domain photos from Debian's python3-skimage package (the .deb is
# downloaded and unpacked, not installed): the main job's sample image and
# the upscaling benchmark's test set.
IG_SAMPLES=(astronaut.png camera.png chelsea.png coffee.png motorcycle_left.png rocket.jpg)
ig_fetch_samples() {
  local out=$IG_ROOT/data/samples name missing=0
  for name in "${IG_SAMPLES[@]}"; do [ -s "$out/$name" ] || missing=1; done
  [ "$missing" = 0 ] && return 0
  echo "setup: fetching sample photos (python3-skimage .deb)" >&2
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt's download user must be able to write here
  (cd "$tmp" && { apt-get download -qq python3-skimage 2>/dev/null ||
    { ig_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      apt-get download -qq python3-skimage; }; })
  dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
  mkdir -p "$out"
  for name in "${IG_SAMPLES[@]}"; do
    cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/$name" "$out/$name"
  done
  rm -rf "$tmp"
}

IG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ig_install_packages
ig_npm_ci "$IG_ROOT/data/models"
ig_fetch_samples
