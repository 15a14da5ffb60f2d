# hce-wallet — build, test and demo entry points. `make help` lists them.
# Everything a fresh Debian machine lacks is installed by `make deps` (scripts/install-deps.sh),
# which `make test` and `make demo` run first.

SHELL := /bin/bash
CARGO ?= cargo
ANDROID_TARGETS := aarch64-linux-android armv7-linux-androideabi x86_64-linux-android

.PHONY: help deps demo test lint fmt test-rust check-android test-vpcd test-pay-readers test-kotlin android-sample-check fuzz-smoke \
        fuzz fuzz-minimize fuzz-coverage bench bench-kotlin stress size bindings android clean \
        android-sample-check aar publish-local

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

deps: ## Install what a fresh Debian machine lacks (apt packages, rustup targets, nightly, kotlinc)
	@bash scripts/install-deps.sh

demo: deps ## The main job: a demo Smart Tap on an embedded default store, annotated
	$(CARGO) run -q -p hce-wallet-harness --bin hcectl -- tap --demo

test: ## Everything CI runs (each step timed)
	@bash scripts/steps.sh deps lint test-rust check-android test-vpcd test-pay-readers test-kotlin android-sample-check fuzz-smoke
	@echo "make test: all suites passed"

lint: ## rustfmt check and clippy with warnings denied
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the workspace
	$(CARGO) fmt --all

test-rust: ## Rust unit, vector, property and end-to-end tests (incl. nginx sync tests)
	$(CARGO) test --workspace

check-android: ## cargo check of every crate for the three Android ABIs (one cargo run, host macros built once)
	@echo "== cargo check $(addprefix --target ,$(ANDROID_TARGETS))"
	$(CARGO) check --workspace --exclude hce-wallet-harness --exclude uniffi-bindgen $(addprefix --target ,$(ANDROID_TARGETS))

test-vpcd: ## The core as a virtual card behind pcscd + vpcd, driven by scriptor and pyscard
	bash scripts/test-vpcd.sh

test-pay-readers: ## Payment token read by emvtool, cardpeek, emv-test-transaction; cryptograms checked with pyemv (PAY_REPLAY=1: replay card)
	bash scripts/test-pay-readers.sh $(if $(PAY_REPLAY),--replay)

test-kotlin: ## Kotlin bindings on the desktop JVM (kotlinc + JNA + JUnit)
	bash scripts/test-kotlin.sh

bench-kotlin: ## Per-APDU call cost from Kotlin: JNI fast path vs UniFFI/JNA vs empty functions
	bash scripts/test-kotlin.sh --bench

fuzz-smoke: ## A short run of every fuzz target (nightly, cargo-fuzz)
	bash scripts/fuzz.sh smoke

fuzz: ## A long run of every fuzz target (10 M execs each; 30 min for the slow smart_tap, token_messages, nfc_issuer, store_tables)
	bash scripts/fuzz.sh long

fuzz-minimize: ## Merge what fuzz runs found into the committed, minimized fuzz/corpus/<target>
	bash scripts/fuzz.sh minimize

fuzz-coverage: ## Line / region coverage of each fuzz target's module over its committed corpus
	bash scripts/fuzz-coverage.sh

bench: ## Criterion benchmarks (tap vs crypto floor, selection, store, sync)
	$(CARGO) bench --workspace

stress: ## Long crash-consistency and tamper runs of the store
	$(CARGO) test -p hce-wallet-store --release -- --ignored --nocapture

size: ## Release .so size (x86_64 Linux, stripped, LTO): the proxy for the Android library
	bash scripts/size.sh

bindings: ## Generate the Kotlin bindings into bindings/kotlin/generated
	bash scripts/bindings.sh

android: ## Build the .so for arm64-v8a, armeabi-v7a, x86_64 (needs ANDROID_NDK_HOME and cargo-ndk)
	bash scripts/android.sh

android-sample-check: ## android-sample/: kotlinc against android-all, manifest/AID check, JVM tests (HTTPS nginx, Smart Tap tap)
	bash scripts/android-sample-check.sh

aar: ## The library as an Android archive (build/aar; AAR_DESKTOP_STANDIN=1: desktop .so stands in, for tests)
	bash scripts/aar.sh

publish-local: aar ## Install the AAR + POM into a local Maven repository (MAVEN_REPO, default ~/.m2/repository)
	bash scripts/aar.sh --publish

clean:
	$(CARGO) clean
