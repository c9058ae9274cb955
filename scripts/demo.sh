#!/usr/bin/env bash
# The main job of README.md: generate a server from the bundled petstore example, build it, start a
# demo petstore API, run the generated server over Streamable HTTP, and show the official Python MCP
# SDK listing and calling its tools. The server then keeps running for your own client until Ctrl-C.
#   --smoke   stop after the client demo (CI runs this to keep the README honest)
# Ports: MCP on $DEMO_PORT (8080), the demo upstream on $UPSTREAM_PORT (8081), both on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
DEMO_PORT=${DEMO_PORT:-8080}
UPSTREAM_PORT=${UPSTREAM_PORT:-8081}
OUT=target/demo/petstore-mcp
TARGET="$PWD/target/fixture-target" # shared with the tests' generated crates: dependencies build once

echo "==> mcpgen generate fixtures/petstore --out $OUT"
cargo run -q -- generate fixtures/petstore --out "$OUT"
[ -f "$OUT/Cargo.lock" ] || cp Cargo.lock "$OUT/Cargo.lock" # the versions the runtime is tested with

echo "==> building the generated server (the first build compiles its dependencies; later ones are quick)"
CARGO_TARGET_DIR="$TARGET" RUSTFLAGS=-Dwarnings cargo build -q --manifest-path "$OUT/Cargo.toml"

bash .ci/install-tools.sh >/dev/null # the Python MCP SDK used as the demo client
PY="${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}/venv/bin/python"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
python3 fixtures/petstore/upstream.py "$UPSTREAM_PORT" & pids+=($!)
PETSTORE_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT/v1" \
    "$TARGET/debug/petstore-mcp" --transport http --listen "127.0.0.1:$DEMO_PORT" & pids+=($!)
URL="http://127.0.0.1:$DEMO_PORT/mcp"
wait_healthy "$PY" "$DEMO_PORT"

echo "==> a real MCP client (the official Python SDK) against $URL"
"$PY" tests/python/mcp_client_check.py --url "$URL" --expect-tools 5 --call get_pet --args '{"petId": "1"}' --expect-text Rex
"$PY" tests/python/mcp_client_check.py --url "$URL" --call list_pets --args '{"limit": 10}' --expect-text Tom

if [ "$SMOKE" = 1 ]; then
    echo "==> demo OK"
    exit 0
fi
echo
echo "The petstore MCP server is running at $URL (Streamable HTTP); point any MCP client at it."
echo "Press Ctrl-C to stop."
wait
