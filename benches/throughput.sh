#!/usr/bin/env bash
# Throughput of MCP servers against a fast loopback upstream (issue 13, items 4 and 5; not in CI).
#
# Starts nginx on 127.0.0.1 serving one fixed JSON pet, then, each on its own port:
#   - the generated petstore server (fixtures/petstore, release build, client rate limit off),
#   - FastMCP's `from_openapi` server on the same spec (benches/peers/fastmcp_server.py),
#   - openapi-mcp-generator's generated Streamable HTTP server on the same spec,
# and runs `cargo bench -p mcpgen-runtime --bench throughput` (runtime/benches/throughput.rs):
# calls/s, p50/p99 latency and server CPU per call at concurrency 1, 16 and 64, with a direct GET
# of the upstream as the baseline of the same run. Everything it starts is stopped on exit.
#
# Environment: THROUGHPUT_SECONDS (3 per point), THROUGHPUT_CONCURRENCY (1,16,64),
# BENCH_PEERS (1; 0 = only the generated server), BENCH_PIN (1: servers on core $BENCH_CORE,
# default 1, nginx and the load generator on core 0; needs 2 cores), BENCH_TARGET_DIR (cargo
# target dir of the generated crate, default target/fixture-target), BENCH_PORT (18180: nginx;
# +1 mcpgen, +2 FastMCP, +3 openapi-mcp-generator). Peers install into ~/.cache/mcpgen-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

PORT=${BENCH_PORT:-18180}
NGINX_PORT=$PORT MCPGEN_PORT=$((PORT + 1)) FASTMCP_PORT=$((PORT + 2)) OMG_PORT=$((PORT + 3))
PEERS=${BENCH_PEERS:-1}
TARGET=${BENCH_TARGET_DIR:-$PWD/target/fixture-target}
SPEC=fixtures/petstore/openapi.yaml
BODY='{"id":"1","name":"Rex","tag":"dog"}'

pin_server='' pin_load=''
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    pin_server="taskset -c ${BENCH_CORE:-1}" pin_load="taskset -c 0"
fi

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# --- nginx: an unprivileged foreground process with its own prefix ------------------------------
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
if ! command -v nginx >/dev/null; then
    echo "nginx is missing: apt-get install -y nginx (or nginx-light)" >&2
    exit 1
fi
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            default_type application/json;
            return 200 '$BODY';
        }
    }
}
EOF
as_user=()
if [ "$(id -u)" = 0 ]; then
    chown -R nobody "$work/nginx"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
# shellcheck disable=SC2086
$pin_load "${as_user[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
pids+=($!)
nginx_pid=$!
wait_port "$NGINX_PORT"

# --- the generated petstore server ---------------------------------------------------------------
echo "==> generating and building the petstore server (release)" >&2
mkdir -p "$work/petstore"
cp fixtures/petstore/* "$work/petstore/"
# The fixture limits each client to 20 calls/s, which would be the whole measurement.
sed -i '/client_rate_limit/d' "$work/petstore/mcpgen.yaml"
OUT=target/bench/petstore-mcp
cargo run -q -- generate "$work/petstore" --out "$OUT" >&2 # the generator in debug, as scripts/demo.sh
[ -f "$OUT/Cargo.lock" ] || cp Cargo.lock "$OUT/Cargo.lock"
CARGO_TARGET_DIR="$TARGET" cargo build -q --release --manifest-path "$OUT/Cargo.toml"
PETSTORE_BASE_URL="http://127.0.0.1:$NGINX_PORT/v1" $pin_server "$TARGET/release/petstore-mcp" \
    --transport http --listen "127.0.0.1:$MCPGEN_PORT" 2>"$work/mcpgen.log" &
pids+=($!)
mcpgen_pid=$!
wait_port "$MCPGEN_PORT"
mcpgen_call="\"url\": \"http://127.0.0.1:$MCPGEN_PORT/mcp\", \"tool\": \"get_pet\", \"arguments\": {\"petId\": \"1\"}, \"pid\": $mcpgen_pid"
# The same server in both protocol eras: sessions (2025-06-18), and stateless calls (2026-07-28).
servers="{\"name\": \"mcpgen (generated)\", $mcpgen_call},
      {\"name\": \"mcpgen, 2026-07-28\", \"stateless\": true, $mcpgen_call}"

# --- peers ---------------------------------------------------------------------------------------
if [ "$PEERS" = 1 ]; then
    install_bench_peers
    $pin_server "$FASTMCP_PY" benches/peers/fastmcp_server.py "$SPEC" "http://127.0.0.1:$NGINX_PORT/v1" "$FASTMCP_PORT" \
        >"$work/fastmcp.log" 2>&1 &
    pids+=($!)
    fastmcp_pid=$!
    omg_dir=$(omg_server "$SPEC" "$OMG_PORT")
    (cd "$omg_dir" && API_BASE_URL="http://127.0.0.1:$NGINX_PORT/v1" exec $pin_server node build/index.js) \
        >"$work/omg.log" 2>&1 &
    pids+=($!)
    omg_pid=$!
    wait_port "$FASTMCP_PORT"
    wait_port "$OMG_PORT"
    # `exec` in the subshell makes $omg_pid node itself, so its CPU time is the server's.
    # openapi-mcp-generator's server connects its one MCP `Server` to each new session's transport;
    # with 16 sessions open, only the newest got answers (the other 15 callers timed out), so its
    # callers share one session (concurrent requests on one session are allowed).
    servers="$servers,
      {\"name\": \"FastMCP $FASTMCP_VERSION from_openapi\", \"url\": \"http://127.0.0.1:$FASTMCP_PORT/mcp\", \"tool\": \"showPetById\", \"arguments\": {\"petId\": \"1\"}, \"pid\": $fastmcp_pid},
      {\"name\": \"openapi-mcp-generator $OMG_VERSION\", \"url\": \"http://127.0.0.1:$OMG_PORT/mcp\", \"tool\": \"showPetById\", \"arguments\": {\"petId\": \"1\"}, \"pid\": $omg_pid, \"shared_session\": true}"
fi

# --- the load run --------------------------------------------------------------------------------
echo "==> load run (pinning: ${pin_server:-none}; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
cargo bench -q -p mcpgen-runtime --bench throughput --no-run >&2
THROUGHPUT_BASELINE="http://127.0.0.1:$NGINX_PORT/v1/pets/1" THROUGHPUT_SERVERS="[$servers]" THROUGHPUT_UPSTREAM_PID=$nginx_pid \
    THROUGHPUT_CLK_TCK="$(getconf CLK_TCK)" $pin_load cargo bench -q -p mcpgen-runtime --bench throughput
