"""Drive a discovery-surface server (issue 12) with the official Python SDK: search → describe → call.

Used by .ci/clients.sh against the generated petstore server started with `--surface discovery`.
Exits non-zero, with a message, on any failed expectation.

    discovery_check.py (--url URL | --stdio CMD [ARG...]) [--mode auto|legacy] [--expect-protocol V]
                       --query TEXT --expect-first TOOL --args JSON --expect-text TEXT
"""

import argparse
import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters

META_TOOLS = ["search_tools", "describe_tools", "call_tool"]


class Failure(Exception):
    """An expectation that did not hold."""


def fail(message: str) -> None:
    raise Failure(message)


async def run(args: argparse.Namespace) -> None:
    if args.url:
        target = args.url
    else:
        target = StdioServerParameters(command=args.stdio[0], args=args.stdio[1:], env=dict(os.environ))
    async with Client(target, mode=args.mode) as client:
        version = client.protocol_version
        print(f"connected over protocol {version} (mode={args.mode})")
        if args.expect_protocol and version != args.expect_protocol:
            fail(f"negotiated protocol {version}, expected {args.expect_protocol}")
        tools = (await client.list_tools()).tools
        names = [t.name for t in tools]
        print(f"tools/list: {names}")
        if names != META_TOOLS:
            fail(f"expected exactly the meta-tools {META_TOOLS}")
        if any(t.output_schema is None for t in tools if t.name != "call_tool"):
            fail("search_tools and describe_tools must declare an outputSchema")

        found = await client.call_tool("search_tools", {"query": args.query, "limit": 3})
        hits = (found.structured_content or {}).get("tools", [])
        print(f"search_tools {args.query!r} -> {[h['name'] for h in hits]}")
        if found.is_error or not hits or hits[0]["name"] != args.expect_first:
            fail(f"expected {args.expect_first} first")

        described = await client.call_tool("describe_tools", {"names": [args.expect_first, "no_such_tool"]})
        body = described.structured_content or {}
        schemas = [t.get("inputSchema") for t in body.get("tools", [])]
        print(f"describe_tools -> {len(schemas)} tool(s), unknown {body.get('unknown')}")
        if len(schemas) != 1 or not isinstance(schemas[0], dict) or body.get("unknown") != ["no_such_tool"]:
            fail("describe_tools must return the tool's input schema and list the unknown name")
        arguments = json.loads(args.args)
        missing = [k for k in schemas[0].get("required", []) if k not in arguments]
        if missing:
            fail(f"--args lacks required arguments {missing} of the described schema")

        result = await client.call_tool("call_tool", {"name": args.expect_first, "arguments": arguments})
        texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
        print(f"call_tool {args.expect_first} {json.dumps(arguments)} -> isError={result.is_error}: {texts[0][:200] if texts else ''}")
        if result.is_error or not any(args.expect_text in t for t in texts):
            fail(f"expected a successful result containing {args.expect_text!r}")


def leaves(error: BaseException):
    """The exceptions inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="Streamable HTTP endpoint, e.g. http://127.0.0.1:8080/mcp")
    where.add_argument("--stdio", nargs=argparse.REMAINDER, help="server command and arguments (must come last)")
    parser.add_argument("--mode", default="auto", choices=["auto", "legacy"])
    parser.add_argument("--expect-protocol")
    parser.add_argument("--query", required=True)
    parser.add_argument("--expect-first", required=True)
    parser.add_argument("--args", default="{}")
    parser.add_argument("--expect-text", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(run(args), timeout=60))
    except* Failure as failures:  # raised inside the SDK's task groups, it arrives grouped
        for failure in leaves(failures):
            print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
