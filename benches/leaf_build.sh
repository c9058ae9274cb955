#!/usr/bin/env bash
# Leaf-crate build time of generated servers (issue 13, item 3): does rebuilding a generated crate,
# its dependencies already built, grow with the number of tools beyond reading the data file?
#   bash benches/leaf_build.sh [--runs N] [--spec PATH] [--profile release|dev]
# Generates the petstore fixture (5 tools, the baseline) and a large spec (default GitHub's REST
# API from the corpus, ~850 tools) with a release mcpgen into one shared cargo target dir, builds
# both once (dependencies and all), then N times (default 3) touches each crate's src/main.rs and
# src/tools.json and times `cargo build` of the leaf alone, alternating the two crates. Prints the
# medians, the large crate's as a ratio to the baseline's measured in the same run, and each
# crate's tool count and table size. Not part of CI (two full builds of the dependency tree).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${MCPGEN_CORPUS:-$HOME/.cache/mcpgen-corpus}/package/api
runs=3
spec=$CORPUS/github.com/api.github.com.json
profile=release
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift ;;
        --spec) spec=$2; shift ;;
        --profile) profile=$2; shift ;;
        *) echo "unknown argument $1" >&2; exit 1 ;;
    esac
    shift
done
[ -f "$spec" ] || { echo "no spec at $spec (run scripts/corpus.sh or pass --spec)" >&2; exit 1; }
cargo build -q --release --bin mcpgen
MCPGEN=$PWD/target/release/mcpgen
work=${LEAF_BUILD_DIR:-$(mktemp -d)}
[ -n "${LEAF_BUILD_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=$work/target
flag=()
[ "$profile" = release ] && flag=(--release)

"$MCPGEN" generate -q --force fixtures/petstore --out "$work/small" >/dev/null 2>&1
mkdir -p "$work/large-in"
cp "$spec" "$work/large-in/openapi.${spec##*.}"
"$MCPGEN" init "$work/large-in/openapi.${spec##*.}" --out "$work/large-in/mcpgen.yaml" >/dev/null
"$MCPGEN" generate -q --force "$work/large-in" --out "$work/large" >/dev/null 2>&1
for crate in small large; do
    (cd "$work/$crate" && cargo build -q "${flag[@]}")
done

# leaf_seconds CRATE: one rebuild of the crate itself after touching its sources.
leaf_seconds() {
    touch "$work/$1/src/main.rs" "$work/$1/src/tools.json"
    local start end
    start=$(date +%s.%N)
    (cd "$work/$1" && cargo build -q "${flag[@]}")
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}
small=()
large=()
for ((i = 0; i < runs; i++)); do
    small+=("$(leaf_seconds small)")
    large+=("$(leaf_seconds large)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
tools_of() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tools"]))' "$1"; }
s=$(median "${small[@]}")
l=$(median "${large[@]}")
echo "| crate | tools | tools.json | leaf build ($profile, median of $runs) | × baseline |"
echo "|---|---|---|---|---|"
echo "| petstore (baseline) | $(tools_of "$work/small/src/tools.json") | $(stat -c %s "$work/small/src/tools.json") B | $s s | 1.00× |"
echo "| $(basename "$spec") | $(tools_of "$work/large/src/tools.json") | $(stat -c %s "$work/large/src/tools.json") B | $l s | $(awk -v a="$l" -v b="$s" 'BEGIN { printf "%.2f", a / b }')× |"
echo
echo "runs: petstore ${small[*]} s; large ${large[*]} s"
