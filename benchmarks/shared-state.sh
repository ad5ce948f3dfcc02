#!/usr/bin/env bash
# What revocation on Redis and token introspection cost, side by side in one run: every server on
# core 0, wrk on core 1, rounds interleaved (the method of load.sh, whose helpers it shares in
# spirit, not in code: load.sh is long enough).
#
#   bash benchmarks/shared-state.sh                 # 5 rounds of 3 s per case, about 2 minutes
#   LOAD_SECONDS=2 LOAD_ROUNDS=1 bash benchmarks/shared-state.sh
#
# Servers: the IdP route (benchmarks/src/bin/idp.rs) verifying the tokens of a real OpenID
# provider (oidc-provider from npm, tests/oidc/provider.mjs) with its token cache on:
# - without revocation, and with revocation on a real redis-server (Debian's) holding 10,000
#   revocations (`--redis --revoked 10000`): the cache-hit cost of the revocation check;
# - introspecting the provider's opaque tokens (resource `urn:axum-scopes:opaque`, client `rs`),
#   cached, against the no-auth route of the same server;
# - the same without a cache (every request an introspection), against wrk posting the same
#   introspection request straight to the provider's endpoint (a bare HTTP client), both on one
#   connection: with several, concurrent requests for one token share one call, which is the
#   cache's single flight, not the cost of a call.
# Results also go to target/shared-state-results.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=${LOAD_SECONDS:-3}
rounds=${LOAD_ROUNDS:-5}
revoked=${LOAD_REVOKED:-10000}
server_cpu=0
client_cpu=1
out="$root/target/shared-state-results.md"

for tool in wrk redis-server; do
    if ! command -v "$tool" >/dev/null; then
        [[ "$(id -u)" -eq 0 ]] || { echo "shared-state: $tool is missing: apt-get install -y ${tool/wrk/wrk}" >&2; exit 1; }
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done
oidc_dir="$root/target/bench-oidc"
mkdir -p "$oidc_dir"
cp tests/oidc/provider.mjs tests/oidc/package.json "$oidc_dir/"
if [[ ! -d "$oidc_dir/node_modules/oidc-provider" ]]; then
    (cd "$oidc_dir" && npm install --silent --no-audit --no-fund)
fi
echo "shared-state: building the IdP server (release)" >&2
cargo build --release --locked -q -p axum-scopes-benchmarks --bin idp

pids=()
redis_dir=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$redis_dir"
}
trap cleanup EXIT
wait_http() {
    for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "shared-state: $1 did not come up" >&2
    exit 1
}

oidc_port=8320
issuer="http://127.0.0.1:$oidc_port"
taskset -c "$client_cpu" node "$oidc_dir/provider.mjs" "$oidc_port" >/dev/null 2>&1 &
pids+=($!)
wait_http "$issuer/.well-known/openid-configuration"
redis_port=8329
taskset -c "$client_cpu" redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --dir "$redis_dir" >/dev/null 2>&1 &
pids+=($!)

start() { # port args...
    local port=$1
    shift
    taskset -c "$server_cpu" target/release/idp --port "$port" --issuer "$issuer" \
        --audience urn:axum-scopes:es256 --audience urn:axum-scopes:opaque "$@" >/dev/null 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/plain/items/"
}
start 8321
start 8322 --redis "redis://127.0.0.1:$redis_port" --revoked "$revoked"
start 8323 --introspect rs:rs-secret
start 8324 --introspect rs:rs-secret --no-cache
held=$(redis-cli -p "$redis_port" --scan --pattern 'axum-scopes:rev:*' | wc -l)

token() { # resource
    curl -s -X POST "$issuer/token" -d "grant_type=client_credentials&client_id=bench&client_secret=bench-secret&scope=items&resource=$1" |
        python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])"
}
es256=$(token urn:axum-scopes:es256)
opaque=$(token urn:axum-scopes:opaque)
introspect_lua="$root/target/introspect.lua"
cat >"$introspect_lua" <<EOF
wrk.method = "POST"
wrk.body = "token=$opaque&token_type_hint=access_token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $(printf 'rs:rs-secret' | base64)"
EOF

# label | connections | url | token (or @lua: the introspection request)
cases=(
    "ES256, cache on, revocation off|64|http://127.0.0.1:8321/idp/items/|$es256"
    "ES256, cache on, revocation on Redis ($held revocations held)|64|http://127.0.0.1:8322/idp/items/|$es256"
    "opaque token, introspection cached|64|http://127.0.0.1:8323/idp/items/|$opaque"
    "no-auth limit, same server|64|http://127.0.0.1:8323/plain/items/|"
    "opaque token, every request introspected (no cache)|1|http://127.0.0.1:8324/idp/items/|$opaque"
    "the same introspection request straight to the provider (wrk)|1|$issuer/token/introspection|@lua"
)
for case in "${cases[@]}"; do
    IFS='|' read -r label conns url token <<<"$case"
    [[ "$token" == @lua ]] && continue
    header=()
    [[ -n "$token" ]] && header=(-H "Authorization: Bearer $token")
    status=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "$url")
    [[ "$status" == 200 ]] || { echo "shared-state: $label answered $status" >&2; exit 1; }
done

run_wrk() { # conns url token
    local extra=()
    if [[ "$3" == @lua ]]; then extra=(-s "$introspect_lua"); elif [[ -n "$3" ]]; then extra=(-H "Authorization: Bearer $3"); fi
    taskset -c "$client_cpu" wrk -t1 -c"$1" -d"$seconds"s --latency "${extra[@]}" "$2" | awk '
        /Requests\/sec/ { rps = $2 } /^ +99%/ { p99 = $2 } /Non-2xx/ { errors += $5 }
        END { printf "%s %s %d\n", rps, p99, errors }'
}
declare -A results
for round in $(seq "$rounds"); do
    echo "shared-state: round $round of $rounds" >&2
    for i in "${!cases[@]}"; do
        IFS='|' read -r label conns url token <<<"${cases[$i]}"
        results[$i]+="$(run_wrk "$conns" "$url" "$token");"
    done
done
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub("us", "", v); v /= 1000 } else if (v ~ /ms$/) { sub("ms", "", v) } else if (v ~ /s$/) { sub("s", "", v); v *= 1000 } printf "%.2f\n", v }'; }
{
    echo "Shared-state run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(git rev-parse --short HEAD); servers on core $server_cpu, wrk -t1 on core $client_cpu; median of $rounds rounds of ${seconds} s."
    echo
    echo "| case | connections | req/s | p99 ms | errors |"
    echo "|---|---:|---:|---:|---:|"
    for i in "${!cases[@]}"; do
        IFS='|' read -r label conns _ <<<"${cases[$i]}"
        runs=$(tr ';' '\n' <<<"${results[$i]}" | sed '/^$/d')
        printf "| %s | %s | %.0f | %s | %s |\n" "$label" "$conns" "$(awk '{ print $1 }' <<<"$runs" | median)" \
            "$(awk '{ print $2 }' <<<"$runs" | to_ms | median)" "$(awk '{ s += $3 } END { print s + 0 }' <<<"$runs")"
    done
    echo
    echo "| ratio (median of the per-round ratios) | value | target |"
    echo "|---|---:|---:|"
    ratio() { # label a b target
        local a b
        a=$(tr ';' '\n' <<<"${results[$2]}" | sed '/^$/d' | awk '{ print $1 }')
        b=$(tr ';' '\n' <<<"${results[$3]}" | sed '/^$/d' | awk '{ print $1 }')
        printf "| %s | %.3f | %s |\n" "$1" "$(paste <(echo "$a") <(echo "$b") | awk '{ print $1 / $2 }' | median)" "$4"
    }
    ratio "revocation on (Redis, $held held) / off, cache hits" 1 0 ">= 0.95"
    ratio "opaque, cached introspection / no-auth limit" 2 3 ">= 0.85"
    ratio "uncached introspection through axum-scopes / the bare call" 4 5 "(reported)"
} | tee "$out"
