"""Drive an MCP server with the official Python SDK (`mcp`), a third-party client.

Used by .ci/clients.sh and scripts/demo.sh to prove that generated servers work with a client that
is not ours. Exits non-zero, with a message, on any failed expectation.

    mcp_client_check.py (--url URL | --stdio CMD [ARG...]) [--mode auto|legacy]
                        [--expect-tools N] [--call TOOL --args JSON [--expect-error]]
                        [--expect-text TEXT] [--expect-protocol VERSION] [--expect-progress N]
                        [--bearer TOKEN] [--expect-unauthorized]
"""

import argparse
import json

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

import check_common
from check_common import fail


async def run(args: argparse.Namespace) -> None:
    if args.url and args.bearer:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {args.bearer}"}, timeout=30)
        target = streamable_http_client(args.url, http_client=http)
    elif args.url:
        target = args.url
    else:
        target = check_common.stdio_target(args.stdio)
    if args.expect_unauthorized:
        try:
            async with Client(target, mode=args.mode):
                pass
        except Exception as err:  # the SDK reports the refusal as an (MCP) error
            print(f"the SDK could not connect, as expected: {repr(err)[:200]}")
        else:
            fail("connected without valid credentials")
        # The SDK's error does not carry the status: check what the server answered directly.
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if args.bearer:
            headers["Authorization"] = f"Bearer {args.bearer}"
        probe = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(args.url, json=probe, headers=headers)
        challenge = response.headers.get("www-authenticate", "")
        print(f"POST {args.url} -> {response.status_code}, WWW-Authenticate: {challenge}")
        if response.status_code != 401 or "resource_metadata=" not in challenge:
            fail("expected 401 with a Bearer challenge naming the resource metadata")
        return
    async with Client(target, mode=args.mode) as client:
        version = client.protocol_version
        info = client.server_info
        print(f"connected to {info.name if info else '?'} {info.version if info else ''} over protocol {version} (mode={args.mode})")
        if args.expect_protocol and version != args.expect_protocol:
            fail(f"negotiated protocol {version}, expected {args.expect_protocol}")
        tools = (await client.list_tools()).tools
        print(f"tools/list: {len(tools)} tool(s): {', '.join(t.name for t in tools)}")
        if args.expect_tools is not None and len(tools) != args.expect_tools:
            fail(f"expected {args.expect_tools} tools, got {len(tools)}")
        if not args.call:
            return
        arguments = json.loads(args.args or "{}")
        progress: list[tuple[float, str | None]] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append((value, message))

        result = await client.call_tool(args.call, arguments, progress_callback=on_progress)
        for value, message in progress:
            print(f"  progress {value:g}: {message}")
        if args.expect_progress is not None:
            if len(progress) != args.expect_progress:
                fail(f"expected {args.expect_progress} progress notifications, got {len(progress)}")
            values = [value for value, _ in progress]
            if values != sorted(set(values)):
                fail(f"progress values must strictly increase: {values}")
        texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
        print(f"tools/call {args.call} {json.dumps(arguments)} -> isError={result.is_error}")
        if result.structured_content is not None:
            print(f"  structuredContent: {json.dumps(result.structured_content)}")
        for text in texts:
            print(f"  text: {text[:400]}")
        if bool(result.is_error) != args.expect_error:
            fail(f"isError={result.is_error}, expected {args.expect_error}")
        if args.expect_text and not any(args.expect_text in t for t in texts):
            fail(f"no text content contains {args.expect_text!r}")


def main() -> None:
    parser = check_common.parser(__doc__)
    parser.add_argument("--expect-tools", type=int)
    parser.add_argument("--call")
    parser.add_argument("--args")
    parser.add_argument("--expect-error", action="store_true")
    parser.add_argument("--expect-text")
    parser.add_argument("--expect-progress", type=int, help="expect exactly N progress notifications before the result")
    parser.add_argument("--bearer", help="send Authorization: Bearer TOKEN (HTTP only)")
    parser.add_argument("--expect-unauthorized", action="store_true", help="expect the server to refuse the connection (401)")
    check_common.run_check(run, parser.parse_args())


if __name__ == "__main__":
    main()
