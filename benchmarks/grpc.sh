#!/usr/bin/env bash
# gRPC unary calls with a cached token against the same tonic server without auth, in one run:
# both servers on core 0, the load client on core 1, rounds interleaved (the method of load.sh).
#
#   bash benchmarks/grpc.sh                   # 5 rounds of 5 s per server, about a minute
#   LOAD_SECONDS=3 LOAD_ROUNDS=2 bash benchmarks/grpc.sh
#
# There is no packaged gRPC load tool here, so the client is benchmarks/src/bin/grpc_load.rs:
# 32 callers on one HTTP/2 connection calling `example.Items/ReadItems` in a loop. The enforced
# server is the cargo example runtime/examples/transports.rs (`grpc::enforce` over an HS256
# authenticator: a verified-token cache hit, the scope check, the claims read); the plain one
# is the same tonic service code answering the same reply with no layer. The server's CPU time
# per call (user + system, from /proc, over every round) tells what the layer costs even when
# the client, not the server, limits the rate. Results also go to target/grpc-results.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=${LOAD_SECONDS:-5}
rounds=${LOAD_ROUNDS:-5}
concurrency=${LOAD_CONCURRENCY:-32}
out="$root/target/grpc-results.md"

echo "grpc: building the servers and the load client (release)" >&2
cargo build --release --locked -q -p axum-scopes-benchmarks --bin grpc_load
bin="$root/target/release/grpc_load"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

declare -A port=([enforced]=8741 [plain]=8742)
declare -A pid
for kind in enforced plain; do
    taskset -c 0 "$bin" serve "$kind" "${port[$kind]}" &
    pids+=($!)
    pid[$kind]=$!
done
# The server's CPU time so far, in clock ticks (user + system).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for kind in enforced plain; do
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/${port[$kind]}") 2>/dev/null && break
        sleep 0.1
    done
done
token=$("$bin" token)

declare -A rates=([enforced]="" [plain]="") cpu=([enforced]=0 [plain]=0) calls=([enforced]=0 [plain]=0)
for kind in enforced plain; do # warm-up: connections, the token cache
    taskset -c 1 "$bin" load "http://127.0.0.1:${port[$kind]}" "$token" 1 "$concurrency" >/dev/null
done
for round in $(seq "$rounds"); do
    for kind in enforced plain; do
        before=$(ticks "${pid[$kind]}")
        read -r rate made < <(taskset -c 1 "$bin" load "http://127.0.0.1:${port[$kind]}" "$token" "$seconds" "$concurrency")
        after=$(ticks "${pid[$kind]}")
        rates[$kind]="${rates[$kind]} $rate"
        cpu[$kind]=$((cpu[$kind] + after - before))
        calls[$kind]=$((calls[$kind] + made))
        echo "grpc: round $round $kind $rate calls/s" >&2
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
enforced=$(echo "${rates[enforced]}" | median)
plain=$(echo "${rates[plain]}" | median)
ratio=$(awk -v a="$enforced" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')
per_call() { awk -v t="${cpu[$1]}" -v n="${calls[$1]}" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }
enforced_cpu=$(per_call enforced)
plain_cpu=$(per_call plain)
cpu_ratio=$(awk -v a="$enforced_cpu" -v b="$plain_cpu" 'BEGIN { printf "%.3f", b / a }')
{
    echo "gRPC unary calls per second ($rounds rounds of ${seconds} s, $concurrency callers on one HTTP/2 connection, medians), $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ):"
    echo
    echo "| server | calls/s | rounds | server CPU per call |"
    echo "|---|---|---|---|"
    echo "| tonic, no auth | $plain | ${rates[plain]} | $plain_cpu us |"
    echo "| grpc::enforce, cached token | $enforced | ${rates[enforced]} | $enforced_cpu us |"
    echo
    echo "ratio enforced / no auth: $ratio by calls per second, $cpu_ratio by server CPU per call"
} | tee "$out"
