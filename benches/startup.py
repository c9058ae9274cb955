"""Cold start and idle memory of a generated server (issue 13, item 3), as ratios to a small one.

Generates two tool tables with a release `mcpgen` — the petstore fixture (5 tools, the baseline)
and a large spec of the corpus (default GitHub's REST API, ~850 tools; tools surface, as `mcpgen
generate` writes it without a manifest of its own) — and serves each with the generic runner
(runtime/examples/serve_table.rs, the same runtime a generated crate embeds) over stdio. Per run:
spawn → `initialize` → the first `tools/list` answer (the cold start an MCP client waits for), then
every remaining page, then all pages again (served from what start-up built, or re-made per
request), then the resident memory after one idle second. Prints medians over the runs, and the
large server's figures as ratios to the baseline measured in the same run. Not part of CI:

    cargo build --release --bin mcpgen && cargo build --release -p mcpgen-runtime --example serve_table
    ~/.cache/mcpgen-tools/venv/bin/python benches/startup.py \\
        --mcpgen target/release/mcpgen --runner target/release/examples/serve_table

Targets of the issue (absolute, for a GitHub-sized server): first `tools/list` under 100 ms, idle
RSS under 30 MB.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
from check_common import runner_env  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.environ.get("MCPGEN_CORPUS", os.path.expanduser("~/.cache/mcpgen-corpus/package/api"))


def generate(mcpgen: str, spec: str, workdir: str, name: str) -> str:
    """Generates `spec` with a bare manifest into `workdir`; returns the tool table's path."""
    manifest = {"version": 1, "server": {"name": name}, "apis": {"api": {"spec": os.path.abspath(spec)}}}
    with open(spec, encoding="utf-8") as f:
        document = f.read()
    if '"servers"' not in document and "servers:" not in document and '"host"' not in document:
        manifest["apis"]["api"]["base_url"] = "http://127.0.0.1:9"
    path = os.path.join(workdir, "mcpgen.yaml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    out = os.path.join(workdir, "crate")
    subprocess.run([mcpgen, "generate", "--manifest", path, "--out", out, "-q", "--force"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(out, "src", "tools.json")


def rpc(server: subprocess.Popen, request_id: int, method: str, params: dict) -> dict:
    line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}) + "\n"
    server.stdin.write(line.encode())
    server.stdin.flush()
    while True:
        answer = server.stdout.readline()
        if not answer:
            raise SystemExit(f"the server closed stdout: {server.stderr.read().decode()[-2000:]}")
        message = json.loads(answer)
        if message.get("id") == request_id:
            return message


def all_pages(server: subprocess.Popen, first_id: int) -> int:
    """Lists every page; returns the number of tools."""
    cursor, tools, request_id = None, 0, first_id
    while True:
        page = rpc(server, request_id, "tools/list", {"cursor": cursor} if cursor else {})["result"]
        tools += len(page["tools"])
        cursor, request_id = page.get("nextCursor"), request_id + 1
        if not cursor:
            return tools


def one_run(runner: str, table_path: str) -> dict:
    with open(table_path, encoding="utf-8") as f:
        table = json.load(f)
    env = runner_env(table, table_path, 9, "startup")
    started = time.perf_counter()
    server = subprocess.Popen([runner], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        rpc(server, 1, "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "startup", "version": "1"}})
        server.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        server.stdin.flush()
        first = rpc(server, 2, "tools/list", {})["result"]
        cold = time.perf_counter() - started
        cursor, tools, request_id = first.get("nextCursor"), len(first["tools"]), 3
        while cursor:
            page = rpc(server, request_id, "tools/list", {"cursor": cursor})["result"]
            tools += len(page["tools"])
            cursor, request_id = page.get("nextCursor"), request_id + 1
        again_started = time.perf_counter()
        all_pages(server, 1000)
        again = time.perf_counter() - again_started
        time.sleep(1.0)
        with open(f"/proc/{server.pid}/status", encoding="utf-8") as status:
            rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        return {"cold_ms": cold * 1000, "again_ms": again * 1000, "rss_mb": rss_kb / 1024, "tools": tools}
    finally:
        server.kill()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mcpgen", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--spec", default=os.path.join(CORPUS, "github.com", "api.github.com.json"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-") as work:
        tables = {}
        for name, spec in [("petstore", os.path.join(ROOT, "fixtures", "petstore", "openapi.yaml")), ("large", args.spec)]:
            os.makedirs(os.path.join(work, name))
            tables[name] = generate(args.mcpgen, spec, os.path.join(work, name), f"{name}-startup")
        sizes = {name: os.path.getsize(path) for name, path in tables.items()}
        results = {name: [] for name in tables}
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            for name, path in tables.items():
                results[name].append(one_run(args.runner, path))
    medians = {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]} for name, runs in results.items()}
    for name, m in medians.items():
        print(f"{name:<9} {int(m['tools']):>5} tools, table {sizes[name] / 1e6:5.2f} MB  first tools/list {m['cold_ms']:7.1f} ms  "
              f"all pages again {m['again_ms']:6.1f} ms  idle RSS {m['rss_mb']:6.1f} MB")
    base, large = medians["petstore"], medians["large"]
    print(f"ratio large/petstore: first tools/list {large['cold_ms'] / base['cold_ms']:.2f}x, "
          f"idle RSS {large['rss_mb'] / base['rss_mb']:.2f}x ({args.runs} runs, medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
