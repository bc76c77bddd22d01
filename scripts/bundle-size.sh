#!/usr/bin/env bash
# Prints the size of the built app (wasm, JS, CSS), raw and gzip -9: the
# figure the README's performance section quotes.
#
#   scripts/bundle-size.sh [--budget BYTES] [DIST]
#
# With --budget, fails when the gzip total is over BYTES: `make test` uses
# it as a ratchet, so the bundle cannot grow unnoticed (README, "Bundle").
set -euo pipefail
budget=""
if [ "${1:-}" = "--budget" ]; then
  budget="$2"
  shift 2
fi
dist="${1:-dist}"
total_raw=0
total_gz=0
for f in "$dist"/*.wasm "$dist"/*.js "$dist"/*.css; do
  [ -e "$f" ] || continue
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf 'bundle: %-48s %9d B  %8d B gzip\n' "$(basename "$f")" "$raw" "$gz"
done
printf 'bundle: %-48s %9d B  %8d B gzip\n' "total" "$total_raw" "$total_gz"
if [ -n "$budget" ] && [ "$total_gz" -gt "$budget" ]; then
  echo "bundle: $total_gz B gzip is over the budget of $budget B (Makefile BUNDLE_BUDGET)" >&2
  exit 1
fi
