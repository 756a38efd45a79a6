#!/usr/bin/env bash
# run_valgrind.sh EXPECTED_EXIT EXPECTED_TEXT CMD...: runs CMD under valgrind
# memcheck and fails when valgrind finds an error (definite leaks included),
# when CMD's exit code is not EXPECTED_EXIT, or when its stdout lacks
# EXPECTED_TEXT. glib/libvips one-time allocations are
# "still reachable" and not counted.
set -u
expected=$1 text=$2; shift 2
out=$(valgrind --quiet --error-exitcode=99 --leak-check=full \
  --suppressions="$(dirname "$0")/valgrind.supp" \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite "$@")
rc=$?
printf '%s\n' "$out"
if [ "$rc" = 99 ]; then echo "valgrind reported errors" >&2; exit 1; fi
if [ "$rc" != "$expected" ]; then echo "exit code $rc, expected $expected" >&2; exit 1; fi
if ! grep -qF -- "$text" <<<"$out"; then echo "output lacks: $text" >&2; exit 1; fi
exit 0
