#!/usr/bin/env bash
# Generation cost against openapi-mcp-generator over the corpus (issue 13, item 2).
#   bash benches/vs_omg.sh [--sample N] [--runs N]
# For a deterministic sample of the APIs.guru corpus (the first N specs by SHA-256 of their path,
# default 40) plus the large specs the issue names (Stripe, Kubernetes, GitHub, Autotask,
# Microsoft Graph), both generators run on the same spec, one after the other, on this machine:
# `mcpgen init` + `mcpgen generate -q` (release build) and `openapi-mcp-generator -i SPEC -o DIR`
# (4.0.1, Node 22; generation only, no `npm install`). Each is timed with /usr/bin/time (wall
# seconds and peak RSS, the median of --runs, default 3; Graph once). Printed as a Markdown
# table: times, the ratio peer/mcpgen (≥ 2 is the target), peak RSS, and the sizes of mcpgen's
# `src/tools.json` and of the peer's generated `src/index.ts` (its tool map) against the spec.
# Needs the corpus (scripts/corpus.sh) and installs the peer like benches/throughput.sh does.
# Graph beta is left out: the peer fails on it (issue 13's table).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
CORPUS=${MCPGEN_CORPUS:-$HOME/.cache/mcpgen-corpus}/package/api
sample=40
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --sample) sample=$2; shift ;;
        --runs) runs=$2; shift ;;
        *) echo "unknown argument $1" >&2; exit 1 ;;
    esac
    shift
done
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS (run scripts/corpus.sh)" >&2; exit 1; }
install_bench_peers
cargo build -q --release --bin mcpgen
MCPGEN=$PWD/target/release/mcpgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sample: by hash of the path, so it is the same on every machine; then the named ones.
mapfile -t specs < <(cd "$CORPUS" && find . -type f \( -name '*.json' -o -name '*.yaml' \) | sed 's|^\./||' |
    while read -r f; do printf '%s %s\n' "$(printf '%s' "$f" | sha256sum | cut -c1-16)" "$f"; done |
    sort | head -n "$sample" | cut -d' ' -f2)
[ "${VS_OMG_NAMED:-1}" = 1 ] && specs+=(stripe.com.json kubernetes.io.json github.com/api.github.com.json autotask.net.json microsoft.com/graph.json)

# median_of CMD...: runs CMD $runs times under /usr/bin/time; prints "seconds max_rss_kib status"
# of the median run (by time). A failing run counts with its status.
median_of() {
    local n=$runs i out=()
    [ "${RUNS_ONCE:-0}" = 1 ] && n=1
    for ((i = 0; i < n; i++)); do
        local status=0
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || status=$?
        out+=("$(cat "$work/time" | tail -1) $status")
    done
    printf '%s\n' "${out[@]}" | sort -n | sed -n "$(((${#out[@]} + 1) / 2))p"
}

size_of() { [ -f "$1" ] && stat -c %s "$1" || echo 0; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e6 }'; }

echo "| spec | operations | spec MB | mcpgen s | peer s | peer / mcpgen | mcpgen RSS MiB | peer RSS MiB | tools.json / spec | peer index.ts / spec |"
echo "|---|---|---|---|---|---|---|---|---|---|"
slower=()
for spec in "${specs[@]}"; do
    path=$CORPUS/$spec
    [ -f "$path" ] || continue
    ops=$(python3 - "$path" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
try:
    doc = json.loads(text)
except ValueError:
    import yaml
    doc = yaml.safe_load(text)
print(sum(1 for item in (doc.get("paths") or {}).values() if isinstance(item, dict)
          for m in item if m in ("get", "put", "post", "delete", "options", "head", "patch", "trace")))
PY
    ) || ops="?"
    dir=$work/case
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$path" "$dir/openapi.${spec##*.}"
    if ! "$MCPGEN" init "$dir/openapi.${spec##*.}" --out "$dir/mcpgen.yaml" >/dev/null 2>&1; then
        echo "| \`$spec\` | $ops | $(mb "$(size_of "$path")") | init failed | | | | | | |"
        continue
    fi
    once=0
    [ "$spec" = microsoft.com/graph.json ] && once=1
    read -r m_s m_kib m_status < <(RUNS_ONCE=$once median_of "$MCPGEN" generate -q --force "$dir" --out "$dir/mcp")
    read -r p_s p_kib p_status < <(RUNS_ONCE=$once median_of "$OMG_BIN" -i "$path" -o "$dir/omg" -t streamable-http -b http://127.0.0.1:1/unset --force)
    spec_bytes=$(size_of "$path")
    table=$(size_of "$dir/mcp/src/tools.json")
    peer=$(size_of "$dir/omg/src/index.ts")
    # /usr/bin/time reports hundredths: an mcpgen run under 0.01 s is counted as 0.01 s (a bound).
    ratio=$(awk -v a="$p_s" -v b="$m_s" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "≥%.1f", a / 0.01 }')
    note=""
    [ "$m_status" != 0 ] && note=" (mcpgen exit $m_status)"
    [ "$p_status" != 0 ] && note="$note (peer exit $p_status)"
    if [ "$p_status" = 0 ] && [ "$m_status" = 0 ] && awk -v r="${ratio#≥}" 'BEGIN { exit !(r < 2) }'; then
        slower+=("$spec")
    fi
    echo "| \`$spec\`$note | $ops | $(mb "$spec_bytes") | $m_s | $p_s | $ratio× | $((m_kib / 1024)) | $((p_kib / 1024)) |" \
        "$(awk -v a="$table" -v b="$spec_bytes" 'BEGIN { printf "%.2f×", a / b }') |" \
        "$(awk -v a="$peer" -v b="$spec_bytes" 'BEGIN { printf "%.2f×", a / b }') |"
done
echo
if [ ${#slower[@]} -eq 0 ]; then
    echo "mcpgen is at least 2× faster than openapi-mcp-generator on every spec both generated."
else
    echo "under 2× faster on: ${slower[*]}"
fi
