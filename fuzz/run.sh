#!/usr/bin/env bash
# Bounded-time fuzzing on stable (no nightly here for cargo fuzz): the desired-YAML
# loader and normalize+diff, with inputs mutated from fuzz/corpus/. Not part of cargo test.
#   fuzz/run.sh [SECONDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
args=(--seconds "$seconds")
if [ -n "${2:-}" ]; then args+=(--seed "$2"); fi
cargo run --quiet --release --example fuzz -- "${args[@]}"
