#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs, when any is missing.
# Sourced by scripts/main.sh and scripts/test.sh; safe to run again.
set -euo pipefail

IG_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libcurl4-openssl-dev libcjson-dev libffi-dev libvips-dev
  libcriterion-dev libmicrohttpd-dev valgrind python3
)

ig_missing_packages() {
  local pkg
  for pkg in "${IG_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || printf '%s\n' "$pkg"
  done
}

ig_install_packages() {
  local missing
  missing=$(ig_missing_packages)
  [ -z "$missing" ] && return 0
  echo "setup: installing $(echo $missing | tr '\n' ' ')" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 2; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# ig_build DIR [cmake args...]: configure (once) and build into DIR.
ig_build() {
  local dir=$1; shift
  cmake -S "$IG_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

IG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ig_install_packages
