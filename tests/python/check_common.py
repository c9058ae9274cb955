"""What the Python SDK client checks share: failures, the transport options, and running a check.

Imported by mcp_client_check.py and discovery_check.py (Python puts the script's directory on the
import path, so no installation is needed).
"""

import argparse
import asyncio
import os
import sys

from mcp import StdioServerParameters


class Failure(Exception):
    """An expectation that did not hold."""


def fail(message: str) -> None:
    raise Failure(message)


def leaves(error: BaseException):
    """The exceptions inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


def secret_names(value) -> set:
    """Every environment variable a tool table reads a secret from (`{"env": NAME}`)."""
    found = set()
    if isinstance(value, dict):
        if set(value) == {"env"} and isinstance(value["env"], str):
            found.add(value["env"])
        for inner in value.values():
            found |= secret_names(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= secret_names(inner)
    return found


def runner_env(table: dict, table_path: str, port: int, dummy_prefix: str) -> dict:
    """The environment for the tool-table runner (runtime/examples/serve_table.rs): our own, the
    table to serve, every API's base URL on 127.0.0.1:`port`, and a dummy value for every secret
    the table reads (servers refuse to start without them; mocks check only their presence)."""
    env = dict(os.environ)
    env["MCPGEN_TOOLS_JSON"] = table_path
    env["RUST_LOG"] = "error"
    for api in table["apis"]:
        env[api["baseUrlEnv"]] = f"http://127.0.0.1:{port}"
    for name in secret_names(table):
        env[name] = f"{dummy_prefix}-{name.lower()}"
    return env


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every check has: where the server is, the SDK's
    lifecycle mode and the protocol version expected."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="Streamable HTTP endpoint, e.g. http://127.0.0.1:8080/mcp")
    where.add_argument("--stdio", nargs=argparse.REMAINDER, help="server command and arguments (must come last)")
    parser.add_argument("--mode", default="auto", choices=["auto", "legacy"])
    parser.add_argument("--expect-protocol")
    return parser


def stdio_target(command: list[str]) -> StdioServerParameters:
    # The SDK forwards only a minimal environment by default; the server needs ours
    # (e.g. PETSTORE_BASE_URL).
    return StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))


def run_check(check, args: argparse.Namespace) -> None:
    """Runs `check(args)` for at most 60 s; exits 1 naming every failed expectation."""
    try:
        asyncio.run(asyncio.wait_for(check(args), timeout=60))
    except* Failure as failures:  # raised inside the SDK's task groups, it arrives grouped
        for failure in leaves(failures):
            print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
