"""FastMCP's `from_openapi` server for benches/throughput.sh: serves SPEC's operations over
Streamable HTTP on 127.0.0.1:PORT, calling the upstream at BASE_URL.

Usage: python fastmcp_server.py SPEC BASE_URL PORT
"""

import sys

import httpx2
import yaml
from fastmcp import FastMCP

spec_path, base_url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(spec_path, encoding="utf-8") as f:
    spec = yaml.safe_load(f)
client = httpx2.AsyncClient(base_url=base_url, timeout=30)
mcp = FastMCP.from_openapi(openapi_spec=spec, client=client, name="petstore")
mcp.run(transport="http", host="127.0.0.1", port=port, show_banner=False, log_level="warning")
