#!/usr/bin/env bash
# Installs what zai-dash needs to build (and, with --browser, to test; with
# --profile, to profile the bundle) on a fresh Debian machine with Rust.
# Idempotent: each step is skipped when the exact pinned version is already
# there, so a warm run takes about a second.
# Reaches only crates.io, the npm registry and Debian's repositories; nothing
# downloads a prebuilt binary.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=false
profile=false
[ "${1:-}" = "--browser" ] && browser=true
[ "${1:-}" = "--profile" ] && profile=true

TRUNK_VERSION=0.21.14   # trunk 0.22 needs rustc >= 1.96.1
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3}' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "setup: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
step() { printf '== setup: %s\n' "$*"; }

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

command -v npm >/dev/null 2>&1 || apt_install nodejs npm
$browser && apt_install chromium chromium-driver
# The relay's /history tests start their own Prometheus (a child process on a
# loopback port with a temporary TSDB); the package's systemd service is not
# used by anything here.
$browser && apt_install prometheus
$profile && apt_install wabt

rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "cargo install trunk $TRUNK_VERSION (about 8-10 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2-5 minutes)"
  # --locked can fail when the crate's own lock file names a dependency
  # version the registry no longer serves; that fails in about a second,
  # so fall back to a fresh resolve.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

want_opt="wasm-opt version $(node -p 'require("./tools/package.json").devDependencies.binaryen.split(".")[0]')"
if ! tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "^$want_opt "; then
  step "npm ci in tools/ (binaryen's wasm-opt)"
  npm ci --prefix tools --no-audit --no-fund
fi
