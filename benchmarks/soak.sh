#!/usr/bin/env bash
# The soak and slow-client tests of the demo (not part of CI; about 2.5 minutes):
#
#   bash benchmarks/soak.sh
#
# 1. Soak: 10,000 keep-alive connections for 60 s (LOAD_SOAK_CONNECTIONS, LOAD_SOAK_SECONDS)
#    with requests flowing on every one; every answer must be a 200 (wrk counts the others),
#    then the demo's open descriptors must be back to idle.
# 2. Slow clients: 1000 clients sending their headers one byte a second
#    (benchmarks/slow_clients.py) while wrk measures the others; the demo cuts each after its
#    header-read timeout (10 s) and the others keep their latency.
# The demo runs on core 0 with its request log on, wrk on core 1. Installs wrk (Debian) if
# missing. Results also go to target/soak-results.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
connections=${LOAD_SOAK_CONNECTIONS:-10000}
seconds=${LOAD_SOAK_SECONDS:-60}
slow=${LOAD_SLOW_CLIENTS:-1000}
out="$root/target/soak-results.md"
port=8401

if ! command -v wrk >/dev/null; then
    [[ "$(id -u)" -eq 0 ]] || { echo "soak: wrk is missing: apt-get install -y wrk" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked -q -p axum-scopes-demo
# 10,000 connections need as many descriptors in the demo and in wrk: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < connections + 1000 )); then
    echo "soak: the descriptor limit ($(ulimit -n)) is below $connections connections" >&2
    exit 1
fi

taskset -c 0 target/release/axum-scopes-demo --port $port >/dev/null 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/openapi.json" && break; sleep 0.1; done
token=$(curl -s -X POST "http://127.0.0.1:$port/token" -d 'username=johndoe&password=secret&scope=me items' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

fds() { ls "/proc/$demo/fd" | wc -l; }
rss() { awk "/$1/ { print int(\$2 / 1024) }" "/proc/$demo/status"; }
# wrk: "requests req/s p99 errors"
run_wrk() { # connections seconds
    taskset -c 1 wrk -t1 -c"$1" -d"$2"s --timeout 10s --latency -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$port/users/me/items/" | awk '
        / requests in / { requests = $1 }
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors += $5 }
        /Socket errors/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%s %s %s %d\n", requests, rps, p99, errors }'
}

idle_fds=$(fds)
idle_rss=$(rss VmRSS)
echo "soak: $connections connections for $seconds s" >&2
read -r requests rps p99 errors <<<"$(run_wrk "$connections" "$seconds")"
peak=$(rss VmHWM)
sleep 2
after_fds=$(fds)
{
    echo "Soak of $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD), demo on core 0 (log on), wrk on core 1:"
    echo "- $connections keep-alive connections for $seconds s: $requests requests ($rps req/s), errors $errors (non-2xx and socket errors), p99 $p99, peak RSS $peak MiB (idle $idle_rss MiB), open descriptors $idle_fds idle, $after_fds 2 s after."
} | tee "$out"

echo "soak: slow clients" >&2
read -r _ base_rps base_p99 base_errors <<<"$(run_wrk 64 5)"
python3 benchmarks/slow_clients.py 127.0.0.1 $port "$slow" 25 >"$root/target/slow-clients.txt" &
slow_pid=$!
sleep 3
slow_fds=$(fds)
read -r _ slow_rps slow_p99 slow_errors <<<"$(run_wrk 64 5)"
wait $slow_pid
{
    echo "- $slow slow clients (one header byte a second) against a header-read timeout of 10 s: $(cat "$root/target/slow-clients.txt" | sed 's/^slow clients: //')."
    echo "- Meanwhile 64 other connections: $slow_rps req/s, p99 $slow_p99, errors $slow_errors; without the slow clients: $base_rps req/s, p99 $base_p99, errors $base_errors. Open descriptors 3 s after the slow clients connected: $slow_fds; after they were cut: $(fds)."
} | tee -a "$out"
