"""An agent-style run of the discovery surface on a large real spec (issue 12): search → describe → call.

Generates the spec named by an evaluation set (benches/eval/<api>.json) with `server.surface:
discovery`, serves its tool table with the generic runner (runtime/examples/serve_table.rs) over
stdio against a dummy upstream on 127.0.0.1 (200 `{}` to every request), connects with the official
MCP Python SDK and checks that `tools/list` stays under the token budget (bytes / 4 of its JSON).
Then, for every task of the set, it does what an agent does: `search_tools` with the task's words
(limit 5), takes the first hit that is one of the task's expected operations, `describe_tools` for
its input schema, and `call_tool` with arguments made from that schema (required properties only).
Reports found@1 and found@5, and the calls made and how they ended. Exits 1 when the listing is
over budget, found@5 is below the target, or a call of a found tool fails.

Not part of CI (it needs the corpus and a release build of the runner). See docs/surfaces.md:

    CARGO_TARGET_DIR=target cargo build --release --bin mcpgen -p mcpgen
    CARGO_TARGET_DIR=target cargo build --release -p mcpgen-runtime --example serve_table
    ~/.cache/mcpgen-tools/venv/bin/python scripts/agent_check.py --eval benches/eval/graph.json \\
        --mcpgen target/release/mcpgen --runner target/release/examples/serve_table
"""

import argparse
import asyncio
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

# Helpers shared with the CI client checks (tests/python) and scripts/requests.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
from check_common import leaves, runner_env  # noqa: E402

from mcp import Client, StdioServerParameters

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class Failure(Exception):
    """An expectation that did not hold."""


class Upstream(http.server.BaseHTTPRequestHandler):
    """The dummy upstream API: 200 `{}` to any request (a token at `/token`), counted."""

    requests = 0

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        Upstream.requests += 1
        body = b"{}"
        if self.path.startswith("/token"):  # the OAuth token endpoint of the dummy credentials
            body = b'{"access_token": "agent-check", "token_type": "Bearer", "expires_in": 3600}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = answer

    def log_message(self, *_):
        pass


def generate(mcpgen: str, spec: str, workdir: str, port: int) -> tuple[str, float]:
    """Generates the spec's crate for the discovery surface; returns its tools.json and the seconds taken."""
    with open(spec, encoding="utf-8") as f:
        document = json.load(f)
    servers = document.get("servers") or []
    api = {"spec": os.path.abspath(spec), "credentials": credentials(document, port)}
    if not any(str(s.get("url", "")).startswith("http") for s in servers):
        api["base_url"] = "http://127.0.0.1:9"
    manifest = {"version": 1, "server": {"name": "agent-check", "surface": "discovery"}, "apis": {"api": api}}
    path = os.path.join(workdir, "mcpgen.yaml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f)  # JSON is YAML
    out = os.path.join(workdir, "crate")
    started = time.monotonic()
    subprocess.run([mcpgen, "generate", "--manifest", path, "--out", out], check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    return os.path.join(out, "src", "tools.json"), time.monotonic() - started


def credentials(document: dict, port: int) -> dict:
    """A dummy credential for every security scheme (the upstream accepts anything), as the corpus
    request stage binds them (scripts/corpus_tables.rs); token endpoints point to the dummy upstream."""
    schemes = (document.get("components") or {}).get("securitySchemes") or document.get("securityDefinitions") or {}
    out = {}
    for i, (name, scheme) in enumerate(sorted(schemes.items())):
        kind, http = scheme.get("type", ""), str(scheme.get("scheme", "")).lower()
        if kind == "apiKey":
            out[name] = {"key": f"env:AGENT_SECRET_{i}"}
        elif kind == "http" and http == "bearer":
            out[name] = {"token": f"env:AGENT_SECRET_{i}"}
        elif (kind == "http" and http == "basic") or kind == "basic":
            out[name] = {"username": "agent", "password": f"env:AGENT_SECRET_{i}"}
        elif kind in ("oauth2", "openIdConnect"):
            out[name] = {"client_id": "agent", "client_secret": f"env:AGENT_SECRET_{i}",
                         "token_url": f"http://127.0.0.1:{port}/token"}
    return out


def operations(spec: str) -> dict:
    """operationId → `METHOD /path` of every operation of the spec."""
    with open(spec, encoding="utf-8") as f:
        paths = json.load(f).get("paths") or {}
    return {
        op.get("operationId", ""): f"{method.upper()} {path}"
        for path, item in paths.items()
        for method, op in item.items()
        if method in METHODS
    }


def example(schema: dict, root: dict | None = None, depth: int = 0):
    """A value the schema accepts, with required properties only (an agent's minimal call); local
    `$ref`s resolve against `root` (the tool's input schema)."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 8:
        return None
    if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return example(target, root, depth + 1)
    if schema.get("allOf"):
        merged = {}
        for part in schema["allOf"]:
            value = example(part, root, depth + 1)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        return merged
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example(schema[key][0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: example(props.get(k, {}), root, depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        return [example(schema["items"], root, depth + 1)] if schema.get("minItems") and "items" in schema else []
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    fmt = schema.get("format")
    return {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "email": "a@example.com",
            "uuid": "00000000-0000-0000-0000-000000000001", "uri": "https://example.com"}.get(fmt, "x")


async def run(args, table_path: str, table: dict, port: int) -> None:
    with open(args.eval, encoding="utf-8") as f:
        evaluation = json.load(f)
    spec = os.path.join(args.corpus, evaluation["spec"])
    by_id = operations(spec)
    name_of = {f"{t['http']['method']} {t['http']['path']}": t["tool"]["name"] for t in table["tools"]}
    env = runner_env(table, table_path, port, "agent-check")
    target = StdioServerParameters(command=args.runner, args=["--surface", "discovery"], env=env)
    started = time.monotonic()
    async with Client(target, mode="auto") as client:
        listed = (await client.list_tools()).tools
        print(f"server up in {time.monotonic() - started:.1f} s: {len(table['tools'])} tools behind "
              f"{[t.name for t in listed]}")
        size = len(json.dumps({"tools": [t.model_dump(by_alias=True, exclude_none=True) for t in listed]},
                              separators=(",", ":")).encode())
        print(f"tools/list: {size} bytes, ~{size // 4} tokens (budget {args.budget})")
        if size // 4 >= args.budget:
            raise Failure(f"tools/list is ~{size // 4} tokens, not under {args.budget}")
        found1 = found5 = calls = ok = upstream = 0
        failures = []
        for task in evaluation["tasks"]:
            expected = {name_of.get(by_id.get(e, e)) for e in task["expect"]} - {None}
            result = await client.call_tool("search_tools", {"query": task["task"], "limit": 5})
            hits = [h["name"] for h in (result.structured_content or {}).get("tools", [])]
            chosen = next((h for h in hits if h in expected), None)
            found1 += bool(hits) and hits[0] in expected
            if chosen is None:
                print(f"  miss  {task['task']!r}: got {hits}")
                continue
            found5 += 1
            described = await client.call_tool("describe_tools", {"names": [chosen]})
            tools = (described.structured_content or {}).get("tools", [])
            if len(tools) != 1:
                failures.append(f"describe_tools {chosen} returned {len(tools)} tools")
                continue
            arguments = example(tools[0]["inputSchema"]) or {}
            before = Upstream.requests
            called = await client.call_tool("call_tool", {"name": chosen, "arguments": arguments})
            calls += 1
            text = next((c.text for c in called.content if getattr(c, "type", None) == "text"), "")
            # The dummy's `{}` fails tools whose output schema requires properties: the call was
            # made all the same, which is what is checked here (not the upstream's answer).
            reached = Upstream.requests > before
            if called.is_error and not reached:
                failures.append(f"call_tool {chosen} {json.dumps(arguments)[:120]} -> {text[:200]}")
            ok += not called.is_error
            upstream += reached
            outcome = "ok" if not called.is_error else "reached upstream, {} not its output schema" if reached else "isError"
            print(f"  found {task['task']!r} -> {chosen} (#{hits.index(chosen) + 1}); call {outcome}")
        n = len(evaluation["tasks"])
        print(f"found@1 {found1}/{n} ({100 * found1 / n:.1f}%), found@5 {found5}/{n} ({100 * found5 / n:.1f}%); "
              f"calls made {calls}: {upstream} reached the upstream, {ok} returned a result")
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        if found5 / n < args.target:
            raise Failure(f"found@5 {100 * found5 / n:.1f}% is below {100 * args.target:.0f}%")
        if failures:
            raise Failure(f"{len(failures)} call(s) of found tools never reached the upstream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", required=True, help="an evaluation set, e.g. benches/eval/graph.json")
    parser.add_argument("--corpus", default=os.path.expanduser("~/.cache/mcpgen-corpus/package/api"))
    parser.add_argument("--mcpgen", required=True, help="the mcpgen binary")
    parser.add_argument("--runner", required=True, help="the serve_table runner binary")
    parser.add_argument("--budget", type=int, default=2000, help="tokens tools/list must stay under")
    parser.add_argument("--target", type=float, default=0.9, help="found@5 to reach")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    args = parser.parse_args()
    with open(args.eval, encoding="utf-8") as f:
        spec = os.path.join(args.corpus, json.load(f)["spec"])
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    code = 0
    try:
        with tempfile.TemporaryDirectory(prefix="agent-check-") as workdir:
            table_path, seconds = generate(args.mcpgen, spec, workdir, upstream.server_address[1])
            with open(table_path, encoding="utf-8") as f:
                table = json.load(f)
            print(f"generated {spec} in {seconds:.1f} s: {len(table['tools'])} tools")
            # The SDK's stdio client ends the runner when the session closes, also on errors.
            asyncio.run(asyncio.wait_for(run(args, table_path, table, upstream.server_address[1]), args.timeout))
    except* Failure as failures:  # raised inside the SDK's task groups, it arrives grouped
        for failure in leaves(failures):
            print(f"FAIL: {failure}", file=sys.stderr)
        code = 1
    except* TimeoutError:
        print(f"FAIL: no result within {args.timeout:.0f} s", file=sys.stderr)
        code = 1
    finally:
        upstream.shutdown()
    sys.exit(code)


if __name__ == "__main__":
    main()
