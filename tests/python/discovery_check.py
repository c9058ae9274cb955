"""Drive a discovery-surface server (issue 12) with the official Python SDK: search → describe → call.

Used by .ci/clients.sh against the generated petstore server started with `--surface discovery`.
Exits non-zero, with a message, on any failed expectation.

    discovery_check.py (--url URL | --stdio CMD [ARG...]) [--mode auto|legacy] [--expect-protocol V]
                       --query TEXT --expect-first TOOL --args JSON --expect-text TEXT
"""

import argparse
import json

from mcp import Client

import check_common
from check_common import fail

META_TOOLS = ["search_tools", "describe_tools", "call_tool"]


async def run(args: argparse.Namespace) -> None:
    if args.url:
        target = args.url
    else:
        target = check_common.stdio_target(args.stdio)
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


def main() -> None:
    parser = check_common.parser(__doc__)
    parser.add_argument("--query", required=True)
    parser.add_argument("--expect-first", required=True)
    parser.add_argument("--args", default="{}")
    parser.add_argument("--expect-text", required=True)
    check_common.run_check(run, parser.parse_args())


if __name__ == "__main__":
    main()
