#!/usr/bin/env bash
# The portability lint over the whole corpus (issue 14, items 1 and 2; not in CI: ~15 minutes on
# 2 cores).
#   bash benches/profiles_corpus.sh [PROFILE...]      (default: openai-strict gemini)
# For every spec of the APIs.guru corpus (scripts/corpus.sh), with a minimal manifest (every
# operation, `server.name: api-mcp`), runs `mcpgen validate --profile P ... --format json`
# (release build), which checks each tool as a server started with that profile lists it. Prints
# each spec with a rejected tool and its rules, then per profile the tools rejected of all tools,
# and the specs that failed to validate or crashed. Exits 1 if any spec crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${MCPGEN_CORPUS:-$HOME/.cache/mcpgen-corpus}/package/api
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS (run scripts/corpus.sh)" >&2; exit 1; }
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(openai-strict gemini)
cargo build -q --release --bin mcpgen
MCPGEN=$PWD/target/release/mcpgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=()
for p in "${profiles[@]}"; do flags+=(--profile "$p"); done

(cd "$CORPUS" && find . -type f \( -name '*.json' -o -name '*.yaml' \) | sed 's|^\./||' | sort) |
    while read -r spec; do
        dir="$work/api"
        rm -rf "$dir" && mkdir -p "$dir"
        ext=${spec##*.}
        cp "$CORPUS/$spec" "$dir/spec.$ext"
        printf 'version: 1\nserver: {name: api-mcp}\napis:\n  api: {spec: spec.%s, base_url: "https://api.invalid"}\n' \
            "$ext" >"$dir/mcpgen.yaml"
        status=0
        timeout 300 "$MCPGEN" validate "$dir" "${flags[@]}" --format json >"$work/out.json" 2>/dev/null || status=$?
        # One JSON line per spec: its path, the exit status, and validate's report (if any).
        python3 -c 'import json, sys
spec, status, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    report = json.load(open(path))
except (OSError, ValueError):
    report = None
print(json.dumps({"spec": spec, "status": status, "profiles": report and report.get("profiles")}))' \
            "$spec" "$status" "$work/out.json"
    done >"$work/lines.jsonl"

python3 - "$work/lines.jsonl" <<'EOF'
import json, sys
totals, failed, crashed = {}, [], []
for line in open(sys.argv[1]):
    row = json.loads(line)
    if row["status"] != 0:
        # validate exits 1 on an invalid spec; 128 and more is a signal (or a timeout's 124): a crash.
        (crashed if row["status"] >= 124 else failed).append(f'{row["spec"]} (exit {row["status"]})')
        continue
    for p in row["profiles"]:
        t = totals.setdefault(p["profile"], [0, 0])
        t[0] += p["rejected"]
        t[1] += p["tools"]
        if p["rejected"]:
            print(f'{row["spec"]}: {p["profile"]} {p["rejected"]} of {p["tools"]}: {json.dumps(p["toolsPerRule"])}')
for name, (rejected, tools) in totals.items():
    print(f"--profile {name}: {rejected} of {tools} tool(s) rejected")
print(f"specs not validated: {len(failed)}" + "".join(f"\n  {f}" for f in failed))
print(f"crashed: {len(crashed)}" + "".join(f"\n  {c}" for c in crashed))
sys.exit(1 if crashed else 0)
EOF
