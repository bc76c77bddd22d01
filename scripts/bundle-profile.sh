#!/usr/bin/env bash
# Where the app's wasm goes: builds it as `make app` does but keeps the
# function names, then sums code bytes per crate and lists the largest
# functions. Sizes are before wasm-opt and gzip (about 0.43 of them reach
# the shipped gzip figure), which is fine for comparing builds.
#
#   scripts/bundle-profile.sh [TOP]     (via `make bundle-profile`)
set -euo pipefail
cd "$(dirname "$0")/.."
top="${1:-30}"
target="target/bundle-profile"
cargo build --quiet --locked --profile wasm-release --target wasm32-unknown-unknown \
  -p zai-dash-app --bin zai-dash-app --target-dir "$target"
wasm-bindgen --target web --no-typescript --out-dir "$target/bindgen" \
  "$target/wasm32-unknown-unknown/wasm-release/zai-dash-app.wasm"
wasm-objdump -x -j Code "$target/bindgen/zai-dash-app_bg.wasm" \
  | sed -n 's/^ - func\[[0-9]*\] size=\([0-9]*\) <\(.*\)>$/\1\t\2/p' > "$target/functions.tsv"

# The crate is the first path segment of the name (`<T as Trait>` and
# `impl` blocks take the crate of what follows); core, alloc and std keep
# the hash rustc appends to them, which is dropped.
awk -F'\t' -v top="$top" '
  {
    name = $2
    sub(/^<+/, "", name)
    sub(/^impl /, "", name)
    crate = name
    sub(/[:<> \[].*/, "", crate)
    bytes[crate] += $1; count[crate]++; total += $1
  }
  END {
    printf "%9d B of code in %d functions\n\n", total, NR
    for (c in bytes) printf "%9d B %5.1f%% %5d fns  %s\n", bytes[c], 100 * bytes[c] / total, count[c], c | "sort -rn | head -n " top
  }' "$target/functions.tsv"
printf '\nlargest functions:\n'
sort -t$'\t' -k1,1 -rn "$target/functions.tsv" | head -n "$top" | cut -c1-150
