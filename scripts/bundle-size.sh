#!/usr/bin/env bash
# Prints the size of the built app (wasm, JS, CSS), raw and gzip -9: the
# figure the README's performance section quotes.
set -euo pipefail
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
