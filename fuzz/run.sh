#!/usr/bin/env bash
# Bounded-time fuzzing on stable (no nightly here for cargo fuzz). Not part of cargo test.
#   - the request side: the desired-YAML loader and normalize+diff, with inputs
#     mutated from fuzz/corpus/ (examples/fuzz.rs);
#   - the response side: the real API client against a loopback server that answers
#     with fuzzed status lines, Retry-After, Content-Length and Content-Type headers,
#     list metadata and bodies (examples/fuzz_responses.rs).
#   fuzz/run.sh [SECONDS] [SEED]      (SECONDS for each side)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
args=(--seconds "$seconds")
if [ -n "${2:-}" ]; then args+=(--seed "$2"); fi
cargo run --quiet --release --example fuzz -- "${args[@]}"
# Debug build: overflow checks on, so arithmetic on announced page counts that
# overflows is a panic here, not a silent wrap.
cargo run --quiet --example fuzz_responses -- "${args[@]}"
