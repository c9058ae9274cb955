# Shared shell helpers for scripts/ and .ci/ (sourced, not run).

# wait_healthy PYTHON PORT: waits up to 10 s for the generated server's /healthz on 127.0.0.1:PORT.
wait_healthy() {
    local python=$1 port=$2
    for _ in $(seq 1 50); do
        "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "the server on port $port did not become healthy" >&2
    return 1
}
