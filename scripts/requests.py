"""Request-correctness stage of the corpus report: do generated servers send requests the spec accepts?

For each tool table written by `corpus --tables DIR` (a deterministic sample of the corpus, see
scripts/corpus_tables.rs), this starts Prism (`prism mock SPEC --errors`, which validates every
request against the spec) and the generic runner (runtime/examples/serve_table.rs: the generated
server's runtime serving that tools.json over stdio), connects with the official MCP Python SDK,
calls a seeded subset of the tools with arguments made from each tool's served inputSchema, and
classifies every call from Prism's log of it:

  accepted        Prism: "The request passed the validation rules" (whatever it then mocked)
  rejected        Prism: "Request did not pass the validation rules" (its violations are the cause),
                  or the request matched no route / method of the spec
  server-refused  the MCP server answered isError without sending a request (e.g. invalid_arguments)
  not judgeable   a spec convention a mock cannot judge (AWS `#X-Amz-Target=` and `?Action=` path
                  keys), Prism failing to load the spec, or the runner failing to start

Everything runs on 127.0.0.1; Prism and the runner are stopped when a spec is done, also on failure.
Writes the results as JSON (--results) and the "Request correctness (Prism)" section of the report
(--report, replacing the section if present).

    requests.py --tables DIR --runner BIN --prism BIN [--max-tools 15] [--seed 1]
                [--results FILE] [--report docs/corpus.md]
"""

import argparse
import asyncio
import atexit
import base64
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import rstr
from mcp import Client, StdioServerParameters

# Helpers shared with the CI client checks (tests/python) and scripts/agent_check.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
from check_common import leaves, runner_env  # noqa: E402

SECTION = "## Request correctness (Prism)"
MAX_STRING = 64
PRISM_START_SECONDS = 120
CALL_SECONDS = 45


# --------------------------------------------------------------------------------------------
# Arguments from a JSON Schema (the tool's served inputSchema), deterministic for a seed.
# --------------------------------------------------------------------------------------------

FORMATS = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/corpus",
    "url": "https://example.com/corpus",
    "uri-reference": "https://example.com/corpus",
    "iri": "https://example.com/corpus",
    "iri-reference": "https://example.com/corpus",
    "uri-template": "https://example.com/{id}",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "ip": "192.0.2.1",
    "int32": "1",
    "int64": "1",
    "integer": "1",
    "float": "1.5",
    "double": "1.5",
    "decimal": "1.5",
    "number": "1.5",
    "byte": base64.b64encode(b"corpus").decode(),
    "binary": base64.b64encode(b"corpus").decode(),
    "base64": base64.b64encode(b"corpus").decode(),
    "password": "corpus-password",
    "json-pointer": "/corpus",
    "relative-json-pointer": "0",
    "regex": "^corpus$",
}


class ShortXeger(rstr.Rstr):
    """rstr's xeger with open repetitions (`*`, `+`, `{n,}`) kept short: at most n + 4."""

    def _handle_repeat(self, start_range: int, end_range: int, value) -> str:
        end_range = min(end_range, start_range + 4)
        times = self._random.randint(start_range, end_range)
        return "".join("".join(self._handle_state(i) for i in value) for _ in range(times))


class Generator:
    """Makes one schema-valid value per schema: required properties always, optional ones too."""

    def __init__(self, root: dict, seed: str):
        self.root = root
        self.random = random.Random(seed)
        self.xeger = ShortXeger(self.random)
        # Schemas no value can satisfy (spec defects), noted so a refusal or rejection says so.
        self.notes = []

    def resolve(self, schema):
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            target = self.root
            if not ref.startswith("#"):
                return {}
            for part in [p for p in ref[1:].split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if rest else target
            seen += 1
        return schema if isinstance(schema, dict) else {}

    def merge_all_of(self, schema: dict) -> dict:
        parts = [self.resolve(s) for s in schema.get("allOf", [])]
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            part = self.merge_all_of(part) if "allOf" in part else part
            for key, value in part.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required":
                    merged["required"] = sorted(set(merged.get("required", [])) | set(value))
                elif key not in merged:
                    merged[key] = value
        return merged

    def value(self, schema, depth: int = 0):
        schema = self.resolve(schema)
        if schema is True or not isinstance(schema, dict):
            return "corpus"
        if "allOf" in schema:
            schema = self.merge_all_of(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema and schema["enum"]:
            values = [v for v in schema["enum"] if v is not None]
            kind = schema.get("type")
            if kind == "array" and values and not any(isinstance(v, list) for v in values):
                self.notes.append(f"`enum` of scalars on an array schema ({values[:3]}…): no value is valid")
            return values[0] if values else None
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                options = [self.resolve(s) for s in schema[key]]
                # Prefer an option that is not `null`; siblings of oneOf/anyOf apply too.
                options = [o for o in options if o.get("type") != "null"] or options
                rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                chosen = options[0]
                return self.value(self.merge_all_of({"allOf": [rest, chosen]}) if rest else chosen, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if kinds else "null"
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema or "required" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            elif any(k in schema for k in ("minimum", "maximum", "multipleOf")):
                kind = "number"
            else:
                kind = "string"
        if kind == "null":
            return None
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return self.number(schema, kind == "integer")
        if kind == "array":
            return self.array(schema, depth)
        if kind == "object":
            return self.object(schema, depth)
        return self.string(schema)

    def number(self, schema: dict, integer: bool):
        low = schema.get("minimum")
        high = schema.get("maximum")
        exclusive_low = schema.get("exclusiveMinimum")
        exclusive_high = schema.get("exclusiveMaximum")
        step = 1 if integer else 0.5
        if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
            low = exclusive_low + step if low is None else max(low, exclusive_low + step)
        elif exclusive_low is True and low is not None:
            low = low + step
        if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
            high = exclusive_high - step if high is None else min(high, exclusive_high - step)
        elif exclusive_high is True and high is not None:
            high = high - step
        value = 1
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        multiple = schema.get("multipleOf")
        if isinstance(multiple, (int, float)) and multiple > 0:
            import math

            value = math.ceil(value / multiple) * multiple
            if high is not None and value > high:
                value = math.floor(high / multiple) * multiple
        if integer:
            return int(value) if float(value).is_integer() else int(value) + 1
        return value

    def array(self, schema: dict, depth: int):
        count = max(schema.get("minItems", 0), 1)
        if "maxItems" in schema:
            count = min(count, schema["maxItems"])
        items = schema.get("items", {})
        if isinstance(items, list):  # draft-4 tuple form
            return [self.value(s, depth + 1) for s in items[:count]]
        out = []
        for i in range(count):
            item = self.value(items, depth + 1)
            if schema.get("uniqueItems") and item in out:
                alternatives = [v for v in self.resolve(items).get("enum", []) if v not in out]
                item = alternatives[0] if alternatives else (f"{item}{i}" if isinstance(item, str) else item)
            out.append(item)
        return out

    def object(self, schema: dict, depth: int):
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        out = {}
        for name in properties:
            if name in required or depth < 6:
                prop = self.resolve(properties[name])
                if prop.get("readOnly") and name not in required:
                    continue
                out[name] = self.value(prop, depth + 1)
        for name in sorted(required - set(out)):
            out[name] = "corpus"
        extra = schema.get("additionalProperties")
        if len(out) < schema.get("minProperties", 0) and extra is not False:
            for i in range(schema["minProperties"] - len(out)):
                out[f"key{i}"] = self.value(extra if isinstance(extra, dict) else {}, depth + 1)
        return out

    def string(self, schema: dict):
        low = schema.get("minLength", 0)
        high = schema.get("maxLength", MAX_STRING)
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        # The format's value when it also fits the pattern (`byte` with `^.{1,n}`), else the pattern's.
        if pattern and fmt in ("byte", "base64") and not self.matches(pattern, FORMATS[fmt], low, high):
            self.notes.append(f"`pattern` {pattern!r} with `format: {fmt}`: the pattern's value is no {fmt}")
        if pattern and not (fmt in FORMATS and self.matches(pattern, FORMATS[fmt], low, high)):
            value = self.from_pattern(pattern, low, high)
            if value is not None:
                return value
        if fmt in FORMATS:
            value = FORMATS[fmt]
            if schema.get("contentEncoding") == "base64" and fmt not in ("byte", "binary", "base64"):
                return base64.b64encode(value.encode()).decode()
            return value
        if schema.get("contentEncoding") == "base64":
            return FORMATS["byte"]
        value = "corpus"
        if len(value) < low:
            value = (value * (low // len(value) + 1))[:low]
        return value[: max(high, low)] if high < len(value) else value

    @staticmethod
    def matches(pattern: str, value: str, low: int, high: int) -> bool:
        try:
            return low <= len(value) <= high and re.search(pattern, value) is not None
        except re.error:
            return False

    def from_pattern(self, pattern: str, low: int, high: int):
        try:
            compiled = re.compile(pattern)
        except re.error:
            return None
        for _ in range(40):
            try:
                value = self.xeger.xeger(pattern)
            except Exception:  # rstr cannot expand every construct
                return None
            if (
                low <= len(value) <= high
                and compiled.search(value)
                and all(32 <= ord(c) < 127 for c in value)
            ):
                return value
        return None


# --------------------------------------------------------------------------------------------
# Processes: a local OAuth token stub, Prism, the runner.
# --------------------------------------------------------------------------------------------


class TokenStub(BaseHTTPRequestHandler):
    """Answers every token request with a dummy bearer token (for oauth2 schemes)."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({"access_token": "corpus-token", "token_type": "Bearer", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point_token_urls(value, url: str):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "tokenUrl" and isinstance(inner, str):
                value[key] = url
            else:
                point_token_urls(inner, url)
    elif isinstance(value, list):
        for inner in value:
            point_token_urls(inner, url)


LIVE = set()  # Prism processes not yet stopped (stopped on exit, also when the driver is killed)


def stop_all():
    for process in list(LIVE):
        stop(process)


def start_prism(prism: str, spec: str, port: int, log_path: str, append: bool = False):
    start = len(read(log_path)) if append else 0
    log = open(log_path, "ab" if append else "wb")
    process = subprocess.Popen(
        [prism, "mock", spec, "--errors", "-p", str(port), "-h", "127.0.0.1", "--seed", "1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    LIVE.add(process)
    log.close()
    deadline = time.monotonic() + PRISM_START_SECONDS
    while time.monotonic() < deadline:
        text = read(log_path)[start:]
        if "Prism is listening" in text:
            return process, None
        if process.poll() is not None:
            return process, f"Prism exited ({process.returncode}): {last_lines(text)}"
        time.sleep(0.25)
    return process, f"Prism did not start within {PRISM_START_SECONDS} s: {last_lines(read(log_path)[start:])}"


def stop(process):
    LIVE.discard(process)
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def read(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def last_lines(text: str, n: int = 3) -> str:
    lines = [strip_log(l) for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])[:400]


def strip_log(line: str) -> str:
    """`[10:06:30 PM] ›     [VALIDATOR] ✖  error     message` → `[VALIDATOR] error message`."""
    line = re.sub(r"^\[[^\]]*\]\s*›\s*", "", line)
    return re.sub(r"\s+", " ", line).strip()


# --------------------------------------------------------------------------------------------
# One spec.
# --------------------------------------------------------------------------------------------


def convention(path: str):
    if "#" in path:
        return "path key with a fragment (AWS `#X-Amz-Target=`): the fragment is never sent, so a mock routes by `/` alone"
    if "?" in path:
        return "path key with a fixed query (`?Action=`): a mock matches path keys without their query"
    return None


def classify(segment: str, result, path: str):
    """(outcome, cause) of one call from Prism's log of it and the tool result."""
    texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
    text = " ".join(texts)
    meta = (result.meta or {}) if hasattr(result, "meta") else {}
    error_class = (meta.get("io.mcpgen/error") or {}).get("class") if isinstance(meta, dict) else None
    reached = "Request received" in segment
    why_not = convention(path)
    if why_not and reached:
        # What Prism made of it is kept, so nothing is hidden behind the convention.
        outcome, cause = classify(segment, result, "")
        return "not judgeable", why_not, f"Prism: {outcome}" + (f" ({'; '.join(cause)[:200]})" if cause else "")
    if not reached:
        if result.is_error:
            # `Invalid arguments for `tool`:` / the problems / `Fix these arguments …`: the problems.
            lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
            if error_class == "invalid_arguments" and len(lines) > 1:
                lines = [l for l in lines[1:] if not l.startswith("Fix these arguments")]
            return "server-refused", f"{error_class or 'error'}: {' '.join(lines)[:600]}"
        return "server-refused", "success without a request reaching Prism"
    lines = [strip_log(l) for l in segment.splitlines()]
    if any("Request did not pass the validation rules" in l for l in lines):
        violations = []
        for l in lines:
            if l.startswith("[VALIDATOR] ✖ error "):
                message = l[len("[VALIDATOR] ✖ error ") :]
                if message not in violations:
                    violations.append(message)
        return "rejected", violations or ["(no violation listed)"]
    if any("The request passed the validation rules" in l for l in lines):
        return "accepted", None
    for l in lines:
        m = re.search(r"Request terminated with error: https://stoplight.io/prism/errors#(\w+): (.*)", l)
        if m:
            url = re.search(r"\[HTTP SERVER\] (\w+ \S+)", l)
            return "rejected", [f"{m.group(1)}: {m.group(2)} ({url.group(1) if url else '?'})"]
    return "rejected", [f"unclassified Prism log: {last_lines(segment)}"]


async def run_spec(entry: dict, args, token_url: str, work: str) -> dict:
    out = {"path": entry["path"], "operations": entry.get("operations", 0), "tools": entry.get("tools", 0)}
    if "table" not in entry:
        out["skipped"] = f"not generated: {entry.get('error', '?')}"
        return out
    table = json.load(open(os.path.join(args.tables, entry["table"])))
    point_token_urls(table, token_url)
    table_path = os.path.join(work, "tools.json")
    with open(table_path, "w") as f:
        json.dump(table, f)
    paths = {t["tool"]["name"]: t["http"]["path"] for t in table["tools"]}
    port = free_port()
    log_path = os.path.join(work, "prism.log")
    prism, failure = start_prism(args.prism, entry["spec"], port, log_path)
    try:
        if failure:
            out["skipped"] = failure
            return out
        env = runner_env(table, table_path, port, "corpus")
        # A server with several environments starts in its default one; these are single-environment.
        target = StdioServerParameters(command=args.runner, args=[], env=env)
        calls = []
        async with Client(target, mode="auto") as client:
            tools = (await client.list_tools()).tools
            ranked = sorted(tools, key=lambda t: hashlib.sha256(f"{args.seed}/{t.name}".encode()).hexdigest())
            chosen = sorted(ranked[: args.max_tools], key=lambda t: t.name)
            out["listed"] = len(tools)
            restarts = 0
            for tool in chosen:
                if prism.poll() is not None and restarts < 3:
                    # Prism crashed on an earlier call (e.g. on an invalid media type in the spec):
                    # the same port again, so the runner's base URL still holds.
                    restarts += 1
                    log = read(log_path).splitlines()
                    crash = next((l.strip() for l in reversed(log) if re.match(r"\s*\w*Error\b", l)), last_lines("\n".join(log), 2))
                    out.setdefault("prism_crashes", []).append(crash)
                    stop(prism)
                    prism, failure = start_prism(args.prism, entry["spec"], port, log_path, append=True)
                    if failure:
                        out.setdefault("prism_crashes", []).append(failure)
                schema = tool.model_dump(by_alias=True).get("inputSchema") or {}
                generator = Generator(schema, f"{args.seed}/{entry['path']}/{tool.name}")
                arguments = generator.value(schema)
                if not isinstance(arguments, dict):
                    arguments = {}
                before = len(read(log_path))
                started = time.monotonic()
                try:
                    result = await asyncio.wait_for(client.call_tool(tool.name, arguments), CALL_SECONDS)
                except Exception as err:  # a protocol error or a timeout of the call itself
                    calls.append({"tool": tool.name, "outcome": "server-refused", "cause": f"call failed: {err!r}"[:300]})
                    continue
                await asyncio.sleep(0.05)  # Prism writes its log lines as it answers
                segment = read(log_path)[before:]
                outcome, cause, *prism_said = classify(segment, result, paths.get(tool.name, ""))
                if outcome == "server-refused" and prism.poll() is not None:
                    outcome, cause = "not judgeable", f"Prism exited during the run ({last_lines(read(log_path), 2)})"
                call = {"tool": tool.name, "outcome": outcome, "millis": round((time.monotonic() - started) * 1000)}
                if cause:
                    call["cause"] = cause
                if prism_said:
                    call["prism"] = prism_said[0]
                if generator.notes and outcome in ("rejected", "server-refused"):
                    call["spec_defects"] = sorted(set(generator.notes))
                if outcome == "rejected":
                    call["arguments"] = json.dumps(arguments)[:500]
                    call["path"] = paths.get(tool.name, "")
                calls.append(call)
        out["calls"] = calls
    except Exception as err:  # the runner failed to start or the session broke
        out["skipped"] = f"runner: {' '.join(str(e) for e in leaves(err))[:400]}"
    finally:
        stop(prism)
        if args.logs:
            os.makedirs(args.logs, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9._-]", "_", entry["path"]) + ".prism.log"
            with open(os.path.join(args.logs, name), "w") as f:
                f.write(read(log_path))
    return out


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------


def cause_key(cause: str) -> str:
    """A rejection cause with the instance-specific parts (names, values, routes) replaced."""
    key = re.sub(r"(Request (?:path|query|header|cookie) parameter) \S+", r"\1 NAME", cause)
    key = re.sub(r"Request body property \S+", "Request body property NAME", key)
    key = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", key)
    key = re.sub(r"\((?:get|put|post|delete|patch|head|options|trace) \S+\)", "(ROUTE)", key)
    key = re.sub(r"/\S*", "PATH", key)
    return key


def render(results: list, args) -> str:
    totals = Counter()
    for spec in results:
        for call in spec.get("calls", []):
            totals[call["outcome"]] += 1
    sent = sum(totals.values())
    judgeable = totals["accepted"] + totals["rejected"]
    pct = f"{totals['accepted'] * 100 / judgeable:.1f} %" if judgeable else "–"
    started = [s for s in results if "calls" in s]
    md = [SECTION, ""]
    md.append(
        f"Written by `scripts/requests.py` (run by `scripts/corpus.sh`): {len(results)} specs picked by hash "
        f"(seed {args.seed}; GitHub and Figma held out; files over 2 MiB left out), at most {args.max_tools} tools "
        "each (seeded), one call per tool with arguments made from the served `inputSchema` (required and optional "
        "properties, formats, ranges, lengths, `pattern`s through `rstr.xeger`). Each spec is served by "
        "`prism mock --errors` (Prism 5.16.0) and by the generated server's runtime over stdio "
        "(`runtime/examples/serve_table.rs`), driven by the official MCP Python SDK. Every credential is a "
        "dummy value (Prism checks presence); oauth2 token endpoints point to a local stub."
    )
    md.append("")
    md.append(
        "A call is *accepted* when Prism logs that the request passed its validation rules, *rejected* when it "
        "lists violations (or finds no route or method for it), *server-refused* when the server answered "
        "`isError` without sending a request, and *not judgeable* when a spec convention keeps a mock from "
        "routing it (AWS path keys with `#X-Amz-Target=` or `#param` fragments, `?Action=` keys) or Prism "
        "crashed. The percentage counts accepted of accepted + rejected. Regenerate this section alone with "
        "`bash scripts/corpus.sh --requests-only`."
    )
    md.append("")
    md.append("| measure | value |")
    md.append("|---|---|")
    md.append(f"| specs in the sample | {len(results)} ({len(started)} served) |")
    md.append(f"| calls sent | {sent} |")
    md.append(f"| accepted by Prism | {totals['accepted']} |")
    md.append(f"| rejected by Prism | {totals['rejected']} |")
    md.append(f"| refused by the server (no request sent) | {totals['server-refused']} |")
    md.append(f"| not judgeable (spec conventions a mock cannot judge) | {totals['not judgeable']} |")
    md.append(f"| **accepted of judgeable (accepted + rejected)** | **{pct}** |")
    md.append("")
    causes = defaultdict(list)
    refusals = defaultdict(list)
    not_judgeable = Counter()
    prism_said = defaultdict(Counter)
    for spec in results:
        for call in spec.get("calls", []):
            if call["outcome"] == "rejected":
                seen = set()  # a call counts once per cause, however many properties break it
                for cause in call["cause"]:
                    if cause_key(cause) not in seen:
                        seen.add(cause_key(cause))
                        causes[cause_key(cause)].append((spec["path"], call, cause))
            elif call["outcome"] == "server-refused":
                refusals[cause_key(call["cause"])].append((spec["path"], call, call["cause"]))
            elif call["outcome"] == "not judgeable" and "prism" in call:
                not_judgeable[call["cause"]] += 1
                # `Prism: rejected (NO_PATH_MATCHED_ERROR: …)` → `rejected (NO_PATH_MATCHED_ERROR)`
                said = call["prism"].removeprefix("Prism: ")
                prism_said[call["cause"]][said.split(":")[0] + (")" if ":" in said else "")] += 1
            elif call["outcome"] == "not judgeable":
                not_judgeable[f"`{spec['path']}`: {call['cause']}"] += 1
    md.append("### Rejections by cause\n")
    if not causes:
        md.append("None.\n")
    else:
        md.append("| cause (Prism's message, names replaced) | calls | example |")
        md.append("|---|---|---|")
        for key, hits in sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            path, call, cause = hits[0]
            md.append(f"| {esc(key)} | {len(hits)} | `{path}` `{call['tool']}`: {esc(cause)}{defects(call)} |")
        md.append("")
    md.append("### Server refusals by cause\n")
    if not refusals:
        md.append("None.\n")
    else:
        md.append("| cause | calls | example |")
        md.append("|---|---|---|")
        for key, hits in sorted(refusals.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            path, call, cause = hits[0]
            md.append(f"| {esc(key[:200])} | {len(hits)} | `{path}` `{call['tool']}`: {esc(cause[:300])}{defects(call)} |")
        md.append("")
    md.append("### Not judgeable\n")
    skipped = [s for s in results if "skipped" in s]
    if not not_judgeable and not skipped and not any("prism_crashes" in s for s in results):
        md.append("None.\n")
    else:
        for reason, count in not_judgeable.most_common():
            said = ", ".join(f"{n} {what}" for what, n in prism_said[reason].most_common())
            md.append(f"- {count} calls: {esc(reason)}" + (f" (Prism: {said})." if said else "."))
        for spec in skipped:
            md.append(f"- `{spec['path']}` (whole spec): {esc(spec['skipped'])}")
        for spec in results:
            for crash in spec.get("prism_crashes", []):
                md.append(f"- `{spec['path']}`: Prism crashed and was restarted ({esc(crash)})")
        md.append("")
    md.append("### Per spec\n")
    md.append("| spec | operations | tools listed | called | accepted | rejected | server-refused | not judgeable |")
    md.append("|---|---|---|---|---|---|---|---|")
    for spec in results:
        calls = spec.get("calls", [])
        c = Counter(call["outcome"] for call in calls)
        if "skipped" in spec:
            md.append(f"| `{spec['path']}` | {spec['operations']} | – | 0 | – | – | – | whole spec |")
            continue
        md.append(
            f"| `{spec['path']}` | {spec['operations']} | {spec.get('listed', 0)} | {len(calls)} | {c['accepted']} "
            f"| {c['rejected']} | {c['server-refused']} | {c['not judgeable']} |"
        )
    md.append("")
    return "\n".join(md)


def defects(call: dict) -> str:
    notes = call.get("spec_defects")
    return f" — spec defect: {esc('; '.join(notes))}" if notes else ""


def esc(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def write_report(path: str, section: str):
    text = open(path).read() if os.path.exists(path) else ""
    at = text.find(SECTION)
    if at >= 0:
        text = text[:at].rstrip("\n") + "\n"
    text = (text.rstrip("\n") + "\n\n" if text else "") + section
    with open(path, "w") as f:
        f.write(text)


async def main_async(args) -> list:
    index = json.load(open(os.path.join(args.tables, "index.json")))
    if args.only:
        index = [e for e in index if args.only in e["path"]]
    stub = ThreadingHTTPServer(("127.0.0.1", 0), TokenStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    token_url = f"http://127.0.0.1:{stub.server_address[1]}/token"
    results = []
    started = time.monotonic()
    try:
        for i, entry in enumerate(index):
            with tempfile.TemporaryDirectory(prefix="mcpgen-requests-") as work:
                spec_started = time.monotonic()
                result = await run_spec(entry, args, token_url, work)
            results.append(result)
            c = Counter(call["outcome"] for call in result.get("calls", []))
            note = result.get("skipped", "")[:120]
            print(
                f"requests: {i + 1}/{len(index)} {entry['path']}: {dict(c)} {note} "
                f"({time.monotonic() - spec_started:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    finally:
        stub.shutdown()
    print(f"requests: {len(index)} specs in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", required=True, help="directory written by `corpus --tables`")
    parser.add_argument("--runner", required=True, help="the serve_table runner binary")
    parser.add_argument("--prism", required=True, help="the prism binary")
    parser.add_argument("--max-tools", type=int, default=15)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--only", help="run only the specs whose path contains this")
    parser.add_argument("--logs", help="keep each spec's Prism log in this directory")
    parser.add_argument("--results", help="write the per-call results as JSON here")
    parser.add_argument("--report", help="write the report section into this Markdown file")
    parser.add_argument("--from-results", help="only render the report from a results file of an earlier run")
    args = parser.parse_args()
    if args.from_results:
        write_report(args.report, render(json.load(open(args.from_results)), args))
        return
    atexit.register(stop_all)
    # SIGTERM (corpus.sh's trap) unwinds like Ctrl-C, so every `finally` stops its processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = asyncio.run(main_async(args))
    if args.results:
        with open(args.results, "w") as f:
            json.dump(results, f, indent=1)
    if args.report:
        write_report(args.report, render(results, args))
        print(f"requests: section written to {args.report}", file=sys.stderr)


if __name__ == "__main__":
    main()
