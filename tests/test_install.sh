#!/usr/bin/env bash
# test_install.sh BUILD_DIR: `cmake --install` into a temp prefix puts the
# .so, manifest, schemas, skill, weights, header and agentos-ext where a
# host finds them, the installed reference host loads the installed
# extension, and its neural upscaler finds the installed weights.
set -eu
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
ext_dir=$(dirname "$(find "$prefix" -name image-generation.ext.json)")
for f in libimage-generation.so manifest/generate_image.schema.json \
         manifest/config.schema.json skill/SKILL.md weights/rdn-psnr-small-x2.bin; do
  [ -f "$ext_dir/$f" ] || { echo "missing $ext_dir/$f" >&2; exit 1; }
done
case "$ext_dir" in */agentos/extensions/image-generation) ;; *) echo "odd place $ext_dir" >&2; exit 1;; esac
[ -f "$prefix/include/agentos_ext.h" ] || { echo "header not installed" >&2; exit 1; }
[ -x "$prefix/bin/agentos-ext" ] || { echo "agentos-ext not installed" >&2; exit 1; }
out=$(AGENTOS_EXTENSIONS_PATH="$(dirname "$ext_dir")" AGENTOS_IMAGE_DIR="$prefix/images" \
      "$prefix/bin/agentos-ext" enable image-generation)
echo "$out"
for tool in generate_image edit_image upscale_image variate_image transfer_style; do
  grep -q "$tool" <<<"$out" || { echo "installed extension lacks $tool" >&2; exit 1; }
done
png='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAbElEQVR4nA3JQQEAMAgDMZSgpEqqhOepQAlKqmjLN1VFFypcTLHFFSmqmm7UuJlmm2vSP0QLCYsRK05EP0wbGZsxa87EP4YeNHiYYYcbMj+WXrR4mWWXW7I/jj50+JhjjztyP0IHBYcJGy4kPLAsVIExyOP/AAAAAElFTkSuQmCC'
out=$(AGENTOS_EXTENSIONS_PATH="$(dirname "$ext_dir")" AGENTOS_IMAGE_DIR="$prefix/images" \
      "$prefix/bin/agentos-ext" call upscale_image "{\"image\":\"$png\",\"method\":\"neural\"}") ||
  { echo "$out"; echo "the installed neural upscaler failed" >&2; exit 1; }
grep -q 'rdn-psnr-small-x2' <<<"$out" || { echo "$out"; echo "neural did not run" >&2; exit 1; }
