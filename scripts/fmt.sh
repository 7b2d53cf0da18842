#!/usr/bin/env bash
# Formats every Rust file: `cargo fmt` for what `mod` declarations reach, then rustfmt on each file
# under src/, because the check modules are declared by build.rs (`#[path]`) and cargo fmt misses them.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all "$@"
find src -name '*.rs' -print0 | xargs -0 rustfmt --edition 2024 "$@"
