#!/usr/bin/env bash
# What a DPoP request costs (RFC 9449), side by side in one run: every server on core 0, the load
# client on core 1, rounds interleaved (the method of load.sh and shared-state.sh).
#
#   bash benchmarks/dpop.sh                 # 5 rounds of 3 s per case, about 3 minutes
#   LOAD_SECONDS=2 LOAD_ROUNDS=1 bash benchmarks/dpop.sh
#
# A real OpenID provider (oidc-provider from npm, tests/oidc/provider.mjs) issues a DPoP-bound
# ES256 token to panva's `dpop` client (tests/oidc/dpop-client.mjs), which hands over the token
# and its key. wrk cannot sign proofs and a proof is single-use, so the load client is
# benchmarks/src/bin/dpop_load.rs: it signs every request's proof before the timed run (a fresh
# `jti` each) and sends them on 32 keep-alive connections, the same client for every server:
# - the hand-written yardstick (benchmarks/src/bin/handwritten.rs, `/dpop/items/`): one ES256
#   signature per request, the proof's, and nothing else;
# - the IdP route (benchmarks/src/bin/idp.rs) with `--dpop`: every proof check, the token from
#   the token cache, the `jti` in the in-memory replay cache;
# - the same with the replay cache in a real redis-server (Debian's): one `SET NX` per request.
# Results also go to target/dpop-results.md. On a machine this noisy the load ratio moves by
# several percent between runs; DPOP_INSTRUCTIONS=1 adds the instructions per request of the
# hand-written yardstick and of the in-memory case, counted by valgrind's callgrind (the
# difference of a 4 s and a 12 s run over the difference of their request counts, as
# instructions.sh counts), which do not move.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=${LOAD_SECONDS:-3}
rounds=${LOAD_ROUNDS:-5}
server_cpu=0
client_cpu=1
out="$root/target/dpop-results.md"

if ! command -v redis-server >/dev/null; then
    [[ "$(id -u)" -eq 0 ]] || { echo "dpop: redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
oidc_dir="$root/target/bench-oidc"
mkdir -p "$oidc_dir"
cp tests/oidc/provider.mjs tests/oidc/dpop-client.mjs tests/oidc/package.json "$oidc_dir/"
if [[ ! -d "$oidc_dir/node_modules/oidc-provider" || ! -d "$oidc_dir/node_modules/dpop" ]]; then
    (cd "$oidc_dir" && npm install --silent --no-audit --no-fund)
fi
echo "dpop: building the servers and the load client (release)" >&2
cargo build --release --locked -q -p axum-scopes-benchmarks --bin idp --bin handwritten --bin dpop_load

pids=()
work=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
wait_http() {
    for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "dpop: $1 did not come up" >&2
    exit 1
}

oidc_port=8340
issuer="http://127.0.0.1:$oidc_port"
taskset -c "$client_cpu" node "$oidc_dir/provider.mjs" "$oidc_port" >/dev/null 2>&1 &
pids+=($!)
wait_http "$issuer/.well-known/openid-configuration"
redis_port=8349
taskset -c "$client_cpu" redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --dir "$work" >/dev/null 2>&1 &
pids+=($!)

# The proofs name this origin; every server is configured with it.
origin="http://bench.test"
idp() { # port args...
    local port=$1
    shift
    taskset -c "$server_cpu" target/release/idp --port "$port" --issuer "$issuer" \
        --audience urn:axum-scopes:es256 --dpop "$origin" "$@" >/dev/null 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/plain/items/"
}
taskset -c "$server_cpu" target/release/handwritten --port 8341 >/dev/null 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:8341/plain/items/"
idp 8342
idp 8343 --dpop-redis "redis://127.0.0.1:$redis_port"

client=$(cd "$oidc_dir" && node dpop-client.mjs "$issuer" urn:axum-scopes:es256 items </dev/null | head -1)
field() { python3 -c "import json,sys; v = json.loads(sys.argv[1])[sys.argv[2]]; print(v if isinstance(v, str) else json.dumps(v))" "$client" "$1"; }
token=$(field access_token)
field private_key_pem >"$work/key.pem"
jwk=$(field public_jwk)

load() { # url
    taskset -c "$client_cpu" target/release/dpop_load --url "$1" --htu "$origin/idp/items/" \
        --token "$token" --key-pem "$work/key.pem" --jwk "$jwk" --connections 32 --seconds "$seconds"
}
# label | url
cases=(
    "hand-written: one ES256 signature per request|http://127.0.0.1:8341/dpop/items/"
    "axum-scopes, DPoP, replay cache in memory|http://127.0.0.1:8342/idp/items/"
    "axum-scopes, DPoP, replay cache in Redis|http://127.0.0.1:8343/idp/items/"
)
declare -A results
for round in $(seq "$rounds"); do
    echo "dpop: round $round of $rounds" >&2
    for i in "${!cases[@]}"; do
        IFS='|' read -r label url <<<"${cases[$i]}"
        line=$(load "$url")
        read -r _ _ _ failures left _ <<<"$line"
        [[ "$failures" == 0 ]] || { echo "dpop: $label answered $failures non-200" >&2; exit 1; }
        [[ "$left" != 0 ]] || { echo "dpop: $label used every proof: raise --proofs" >&2; exit 1; }
        results[$i]+="$line;"
    done
done
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
column() { tr ';' '\n' <<<"${results[$1]}" | sed '/^$/d' | awk -v c="$2" '{ print $c }'; }
{
    echo "DPoP run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(git rev-parse --short HEAD); servers on core $server_cpu, the load client (32 connections) on core $client_cpu; median of $rounds rounds of ${seconds} s."
    echo
    echo "| case | req/s | p50 ms | p99 ms |"
    echo "|---|---:|---:|---:|"
    for i in "${!cases[@]}"; do
        IFS='|' read -r label _ <<<"${cases[$i]}"
        printf "| %s | %.0f | %s | %s |\n" "$label" "$(column "$i" 1 | median)" "$(column "$i" 2 | median)" "$(column "$i" 3 | median)"
    done
    echo
    echo "| ratio (median of the per-round ratios) | value | target |"
    echo "|---|---:|---:|"
    ratio() { # label a b target
        printf "| %s | %.3f | %s |\n" "$1" "$(paste <(column "$2" 1) <(column "$3" 1) | awk '{ print $1 / $2 }' | median)" "$4"
    }
    ratio "DPoP, in-memory replay cache / hand-written ES256" 1 0 ">= 0.9"
    ratio "DPoP, Redis replay cache / hand-written ES256" 2 0 "(reported)"
} | tee "$out"

[[ -n "${DPOP_INSTRUCTIONS:-}" ]] || exit 0
command -v valgrind >/dev/null || { echo "dpop: valgrind is missing: apt-get install -y valgrind" >&2; exit 1; }
callgrind() { # seconds port path command...
    local seconds=$1 port=$2 path=$3
    shift 3
    local out="$work/callgrind-$port.out"
    rm -f "$out"
    taskset -c "$server_cpu" valgrind --tool=callgrind --callgrind-out-file="$out" "$@" --port "$port" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/plain/items/" && break; sleep 0.2; done
    local requests
    requests=$(taskset -c "$client_cpu" target/release/dpop_load --url "http://127.0.0.1:$port$path" \
        --htu "$origin/idp/items/" --token "$token" --key-pem "$work/key.pem" --jwk "$jwk" \
        --connections 8 --seconds "$seconds" --proofs 20000 | awk '{ if ($4 != 0) exit 1; print $6 }')
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$requests $(awk '/^(summary|totals):/ { print $2; exit }' "$out")"
}
per_request() { # port path command...
    local n1 i1 n2 i2
    read -r n1 i1 <<<"$(callgrind 4 "$@")"
    read -r n2 i2 <<<"$(callgrind 12 "$@")"
    echo $(((i2 - i1) / (n2 - n1)))
}
echo "dpop: counting instructions (callgrind)" >&2
hand=$(per_request 8351 /dpop/items/ target/release/handwritten)
ours=$(per_request 8352 /idp/items/ target/release/idp --issuer "$issuer" \
    --audience urn:axum-scopes:es256 --dpop "$origin")
{
    echo
    echo "| instructions per request (callgrind) | value |"
    echo "|---|---:|"
    echo "| hand-written: one ES256 signature per request | $hand |"
    echo "| axum-scopes, DPoP, replay cache in memory | $ours |"
    printf "| ratio hand-written / axum-scopes (the speed ratio they imply) | %.3f |\n" "$(awk -v a="$hand" -v b="$ours" 'BEGIN { print a / b }')"
} | tee -a "$out"
