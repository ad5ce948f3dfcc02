#!/usr/bin/env bash
# What the demo's request log costs, in instructions per request (valgrind's callgrind counts
# them, whatever else the machine is doing): the demo under callgrind with RUST_LOG=info (log
# on) and RUST_LOG=warn (log off), wrk -c16 on the tutorial route for 5 s and for 15 s; the
# per-request cost is the difference of the totals over the difference of the request counts,
# so start-up and the login cancel out. About 2 minutes. Installs valgrind and wrk (Debian).
#
#   bash benchmarks/log-cost.sh [BINARY]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
for tool in valgrind wrk; do
    if ! command -v $tool >/dev/null; then
        [[ "$(id -u)" -eq 0 ]] || { echo "log-cost: $tool is missing: apt-get install -y $tool" >&2; exit 1; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null
    fi
done
bin=${1:-}
if [[ -z "$bin" ]]; then
    cargo build --release --locked -q -p axum-scopes-demo
    bin=target/release/axum-scopes-demo
fi

# One run: prints "requests instructions".
run() { # filter seconds port
    local out="$root/target/callgrind-$3.out"
    rm -f "$out"
    RUST_LOG=$1 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --port "$3" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$3/openapi.json" && break; sleep 0.2; done
    local token
    token=$(curl -s -X POST "http://127.0.0.1:$3/token" -d 'username=johndoe&password=secret&scope=me items' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    local requests
    requests=$(wrk -t1 -c16 -d"$2"s -H "Authorization: Bearer $token" "http://127.0.0.1:$3/users/me/items/" |
        awk '/requests in/ { print $1 } /Non-2xx/ { print "non-2xx answers" > "/dev/stderr"; exit 1 }')
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$requests $(awk '/^(summary|totals):/ { print $2; exit }' "$out")"
}

per_request() { # filter
    read -r n1 i1 <<<"$(run "$1" 5 8701)"
    read -r n2 i2 <<<"$(run "$1" 15 8702)"
    echo $(((i2 - i1) / (n2 - n1)))
}
on=$(per_request info)
off=$(per_request warn)
echo "instructions per request: log on $on, log off $off, the log $((on - off)) ($(awk "BEGIN { printf \"%.1f\", ($on - $off) * 100 / $off }")%)"
