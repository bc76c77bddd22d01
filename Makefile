# zai-dash: `make demo` and `make test` are all a newcomer needs; both
# install their own prerequisites first (idempotently, see scripts/setup.sh).

SHELL := bash
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CHROME_BIN ?= /usr/bin/chromium

LISTEN ?= 127.0.0.1:8080
# Largest app bundle `make test` accepts, bytes of gzip (wasm + JS + CSS):
# a ratchet just above the current build (README, "Bundle"), so growth is
# a decision, not an accident.
BUNDLE_BUDGET ?= 336000

.PHONY: demo test setup setup-browser app app-test-hooks lint bench bench-browser bundle-profile clean

## demo: build the app and serve it on two simulated variants at http://$(LISTEN)
demo: setup app
	cargo run --release --locked -p zai-dash-server --bin zai-dash -- serve --demo --listen $(LISTEN) --dist dist

## test: every check CI runs: format, lints (native and wasm32), unit,
## integration and browser end-to-end tests
test: setup-browser lint app app-test-hooks
	@bash scripts/bundle-size.sh --budget $(BUNDLE_BUDGET) dist > /dev/null
	cargo test --workspace --locked

setup:
	bash scripts/setup.sh

setup-browser:
	bash scripts/setup.sh --browser

## app: the wasm app, release build, into ./dist (prints bundle sizes)
app:
	trunk build --release --locked
	@bash scripts/bundle-size.sh dist

## app-test-hooks: the app with its test-only hooks (window.zaiDashPanic),
## into target/dist-test-hooks, for the crash-recovery browser test only
app-test-hooks:
	trunk build --release --locked --features test-hooks --dist target/dist-test-hooks

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
	cargo clippy -p zai-dash-engine -p zai-dash-app --all-targets --all-features --target wasm32-unknown-unknown --locked -- -D warnings

## bench: criterion benchmarks of the engine, the relay load benchmark,
## and the relay edge's soak (about 2 minutes)
bench: setup
	cargo bench -p zai-dash-engine --locked --bench parse --bench tick
	cargo bench -p zai-dash-server --locked --bench relay_load
	cargo bench -p zai-dash-server --locked --bench edge_soak

clean:
	cargo clean
	rm -rf dist

## bundle-profile: code bytes of the app's wasm per crate, and the largest
## functions (a named build; needs Debian's wabt, installed here)
bundle-profile:
	bash scripts/setup.sh --profile
	bash scripts/bundle-profile.sh

## bench-browser: the browser benchmark (tick, redraw, memory) in headless
## Chromium, on a build of the app with its benchmark page
bench-browser: setup-browser
	trunk build --release --locked --features bench --dist target/dist-bench
	DIST_DIR=target/dist-bench cargo run --locked -p zai-dash-e2e --bin browser-bench
