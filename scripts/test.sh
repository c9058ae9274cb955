#!/usr/bin/env bash
# The test command of README.md, and what CI runs (.ci/run): every check, on a fresh machine.
# Installs what it needs (Node 22 + the MCP conformance suite, the Python MCP SDK) under
# ~/.cache/mcpgen-tools, outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never INSTA_UPDATE=no

step() { printf '\n==> %s\n' "$*"; }

step "install test tools"
bash .ci/install-tools.sh

step "format"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p mcpgen-runtime --all-targets --features otel -- -D warnings

step "docs"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps -q

step "tests (unit, snapshots, CLI, compile check of generated fixtures, end-to-end)"
cargo test --workspace -- --include-ignored

step "slow-run budget: every seeded mutant of every fixture generates or fails within 3 s (release)"
cargo bench --bench mutants

step "OpenTelemetry export (runtime feature otel)"
cargo test -p mcpgen-runtime --features otel --test otel

step "third-party MCP clients and the official conformance suite against the generated petstore server"
bash .ci/clients.sh
