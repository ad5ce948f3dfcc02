#!/usr/bin/env bash
# The load benchmark: every server on core 0, wrk on core 1, one at a time, rounds interleaved.
#
#   bash benchmarks/load.sh            # 5 rounds of 4 s per case, then the 4000-connection hold
#   LOAD_SECONDS=2 LOAD_ROUNDS=1 bash benchmarks/load.sh   # a quick look
#
# Servers: the demo as it starts (its request log on) and with RUST_LOG=warn (log off); a
# hand-written axum + jsonwebtoken server doing the same checks (benchmarks/src/bin/handwritten.rs);
# FastAPI's tutorial app (../shared/peers/run-fastapi.sh, when present); the IdP route on
# axum-scopes (benchmarks/src/bin/idp.rs) with its token cache on and off, verifying RFC 9068
# tokens of a real OpenID provider (oidc-provider from npm, tests/oidc/provider.mjs) through
# discovery. Installs what it needs: wrk from Debian (as root), oidc-provider from npm into
# target/bench-oidc. Prints a table of req/s and p99 (medians over the rounds), the issue's ratios
# (each the median over the rounds of the ratio within a round, so a slow moment of a shared
# machine weighs on both sides), and the errors, p99 and peak RSS of the demo holding 4000
# keep-alive connections for 20 s. Every run is bounded:
# about (cases x rounds x seconds) + 90 s. Results also go to target/load-results.md.
#
# Many users: 20,000 distinct ES256 tokens of the provider (benchmarks/mint_tokens.py), put in
# the IdP route's cache by one warm-up pass (each token in turn), then drawn Zipf(1.0) and
# uniformly per request (benchmarks/many_users.lua); the cache's entries, bytes and the server's
# RSS after the warm-up are printed with the ratios.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=${LOAD_SECONDS:-4}
rounds=${LOAD_ROUNDS:-5}
connections=${LOAD_CONNECTIONS:-64}
hold_connections=${LOAD_HOLD_CONNECTIONS:-4000}
hold_seconds=${LOAD_HOLD_SECONDS:-20}
server_cpu=0
client_cpu=1
out="$root/target/load-results.md"

# --- tools -----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "load: wrk is missing; install it as root: apt-get install -y wrk" >&2
        exit 1
    fi
    echo "load: installing wrk" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
oidc_dir="$root/target/bench-oidc"
mkdir -p "$oidc_dir"
cp tests/oidc/provider.mjs tests/oidc/package.json "$oidc_dir/"
if [[ ! -d "$oidc_dir/node_modules/oidc-provider" ]]; then
    echo "load: installing oidc-provider from npm" >&2
    (cd "$oidc_dir" && npm install --silent --no-audit --no-fund)
fi
echo "load: building the servers (release)" >&2
cargo build --release --locked -q -p axum-scopes-demo -p axum-scopes-benchmarks --bins
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# --- servers ---------------------------------------------------------------------------------
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

wait_http() { # url
    for _ in $(seq 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "load: $1 did not come up" >&2
    exit 1
}

oidc_port=8310
issuer="http://127.0.0.1:$oidc_port"
taskset -c "$client_cpu" node "$oidc_dir/provider.mjs" "$oidc_port" >/dev/null 2>&1 &
pids+=($!)
wait_http "$issuer/.well-known/openid-configuration"

start() { # name port env... -- command...
    local name=$1 port=$2
    shift 2
    env "$@" >"$root/target/load-$name.log" 2>&1 &
    pids+=($!)
    eval "pid_$name=$!"
    wait_http "http://127.0.0.1:$port/"
}
audiences=(--audience urn:axum-scopes:es256 --audience urn:axum-scopes:rs256)
start demo 8301 taskset -c $server_cpu target/release/axum-scopes-demo --port 8301
start demo_quiet 8302 RUST_LOG=warn taskset -c $server_cpu target/release/axum-scopes-demo --port 8302
start handwritten 8303 taskset -c $server_cpu target/release/handwritten --port 8303 --issuer "$issuer" "${audiences[@]}"
start idp 8304 taskset -c $server_cpu target/release/idp --port 8304 --issuer "$issuer" "${audiences[@]}"
start idp_nocache 8305 taskset -c $server_cpu target/release/idp --port 8305 --issuer "$issuer" "${audiences[@]}" --no-cache
fastapi=""
if [[ -f ../shared/peers/run-fastapi.sh ]]; then
    # Its uvicorn keeps the script's stdout: read the pid from a file, not a pipe.
    taskset -c $server_cpu bash ../shared/peers/run-fastapi.sh 8306 >"$root/target/load-fastapi.log" 2>&1
    fastapi_pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$root/target/load-fastapi.log")
    [[ -n "$fastapi_pid" ]] && pids+=("$fastapi_pid") && fastapi=1
fi

# --- tokens ----------------------------------------------------------------------------------
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
login() { # port
    curl -s -X POST "http://127.0.0.1:$1/token" -d 'username=johndoe&password=secret&scope=me items' | json_field access_token
}
idp_token() { # resource
    curl -s -X POST "$issuer/token" -d "grant_type=client_credentials&client_id=bench&client_secret=bench-secret&scope=items me&resource=$1" | json_field access_token
}
hs256=$(login 8301)
es256=$(idp_token urn:axum-scopes:es256)
rs256=$(idp_token urn:axum-scopes:rs256)
[[ -n "$fastapi" ]] && fastapi_token=$(login 8306)
users=${LOAD_USERS:-20000}
tokens_file="$root/target/load-tokens.txt"
echo "load: minting $users tokens at the provider" >&2
python3 benchmarks/mint_tokens.py "$issuer" urn:axum-scopes:es256 "$users" >"$tokens_file"
one_file="$root/target/load-token-one.txt"
head -n1 "$tokens_file" >"$one_file"
rss_idp_before=$(awk '/VmRSS/ { print $2 }' "/proc/$pid_idp/status")
echo "load: the warm-up pass over the $users tokens" >&2
DRAW=sequential TOKENS="$tokens_file" taskset -c "$client_cpu" wrk -t1 -c8 -d8s --timeout 10s \
    -s benchmarks/many_users.lua http://127.0.0.1:8304/idp/items/ >/dev/null
rss_idp_warm=$(awk '/VmRSS/ { print $2 }' "/proc/$pid_idp/status")
cache_warm=$(curl -s http://127.0.0.1:8304/stats/token-cache)

# --- cases: label | port | path | token ------------------------------------------------------
cases=(
    "HS256 tutorial route: demo as it starts (request log on)|8301|/users/me/items/|$hs256"
    "HS256 tutorial route: demo, RUST_LOG=warn (log off)|8302|/users/me/items/|$hs256"
    "HS256 tutorial route: hand-written axum + jsonwebtoken|8303|/users/me/items/|$hs256"
)
[[ -n "$fastapi" ]] && cases+=("HS256 tutorial route: FastAPI tutorial app (uvicorn)|8306|/users/me/items/|$fastapi_token")
cases+=(
    "ES256 IdP token: axum-scopes Authenticated, cache on|8304|/idp/items/|$es256"
    "ES256 IdP token: axum-scopes Authenticated, cache off|8305|/idp/items/|$es256"
    "ES256 IdP token: hand-written axum + jsonwebtoken|8303|/idp/items/|$es256"
    "RS256 IdP token: axum-scopes Authenticated, cache on|8304|/idp/items/|$rs256"
    "RS256 IdP token: axum-scopes Authenticated, cache off|8305|/idp/items/|$rs256"
    "RS256 IdP token: hand-written axum + jsonwebtoken|8303|/idp/items/|$rs256"
    "no-auth limit: axum-scopes server, same JSON, no auth|8304|/plain/items/|"
    "no-auth limit, the ES256 request (its Authorization header, not read)|8304|/plain/items/|$es256"
    "ES256, $users users drawn Zipf(1.0): axum-scopes Authenticated, cache on|8304|/idp/items/|@zipf"
    "ES256, $users users drawn uniformly: axum-scopes Authenticated, cache on|8304|/idp/items/|@uniform"
    "ES256, one of them through the same script (the one-token rate)|8304|/idp/items/|@one"
    "the script's own limit: $users users drawn Zipf(1.0), no-auth route|8304|/plain/items/|@zipf"
)

# One wrk run: prints "req/s p99 errors". A token `@zipf` or `@uniform` draws one of the many
# users' tokens per request (benchmarks/many_users.lua); `@one` sends the first of them through
# the same script, so the one-token rate it is compared with pays the same client.
run_wrk() { # conns seconds port path token
    local header=() draw=() tokens="$tokens_file"
    case "$5" in
        @one) draw=(-s benchmarks/many_users.lua) tokens="$one_file" ;;
        @*) draw=(-s benchmarks/many_users.lua) ;;
        ?*) header=(-H "Authorization: Bearer $5") ;;
    esac
    DRAW="${5#@}" TOKENS="$tokens" taskset -c "$client_cpu" wrk -t1 -c"$1" -d"$2"s --timeout 10s --latency "${header[@]}" "${draw[@]}" "http://127.0.0.1:$3$4" | awk '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors += $5 }
        /Socket errors/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%s %s %d\n", rps, p99, errors }'
}

# Every answer must be a 200 before it is measured.
for case in "${cases[@]}"; do
    IFS='|' read -r label port path token <<<"$case"
    header=()
    [[ "$token" == @* ]] && token=$(head -n1 "$tokens_file")
    [[ -n "$token" ]] && header=(-H "Authorization: Bearer $token")
    status=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "http://127.0.0.1:$port$path")
    if [[ "$status" != 200 ]]; then
        echo "load: $label answered $status, not 200" >&2
        exit 1
    fi
done

declare -A results
for round in $(seq "$rounds"); do
    echo "load: round $round of $rounds" >&2
    for i in "${!cases[@]}"; do
        IFS='|' read -r label port path token <<<"${cases[$i]}"
        results[$i]+="$(run_wrk "$connections" "$seconds" "$port" "$path" "$token");"
    done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub("us", "", v); v /= 1000 } else if (v ~ /ms$/) { sub("ms", "", v) } else if (v ~ /s$/) { sub("s", "", v); v *= 1000 } printf "%.2f\n", v }'; }
{
    echo "Load run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(git rev-parse --short HEAD)."
    echo "Servers on core $server_cpu, wrk -t1 -c$connections on core $client_cpu; median of $rounds rounds of ${seconds} s."
    echo
    echo "| case | req/s | p99 ms | errors |"
    echo "|---|---:|---:|---:|"
    for i in "${!cases[@]}"; do
        IFS='|' read -r label _ <<<"${cases[$i]}"
        runs=$(tr ';' '\n' <<<"${results[$i]}" | sed '/^$/d')
        rps=$(awk '{ print $1 }' <<<"$runs" | median)
        p99=$(awk '{ print $2 }' <<<"$runs" | to_ms | median)
        errors=$(awk '{ s += $3 } END { print s + 0 }' <<<"$runs")
        printf "| %s | %.0f | %s | %s |\n" "$label" "$rps" "$p99" "$errors"
    done
    echo
    echo "| ratio (median of the per-round ratios) | value | target |"
    echo "|---|---:|---:|"
    ratio() { # label numerator-case denominator-case target
        local a b
        a=$(tr ';' '\n' <<<"${results[$2]}" | sed '/^$/d' | awk '{ print $1 }')
        b=$(tr ';' '\n' <<<"${results[$3]}" | sed '/^$/d' | awk '{ print $1 }')
        printf "| %s | %.3f | %s |\n" "$1" "$(paste <(echo "$a") <(echo "$b") | awk '{ print $1 / $2 }' | median)" "$4"
    }
    index() { # label prefix: the index of the case whose label starts so
        for i in "${!cases[@]}"; do [[ "${cases[$i]}" == "$1"* ]] && { echo "$i"; return; }; done
    }
    demo=$(index "HS256 tutorial route: demo as it starts")
    quiet=$(index "HS256 tutorial route: demo, RUST_LOG=warn")
    hand=$(index "HS256 tutorial route: hand-written")
    es_on=$(index "ES256 IdP token: axum-scopes Authenticated, cache on")
    es_off=$(index "ES256 IdP token: axum-scopes Authenticated, cache off")
    es_hand=$(index "ES256 IdP token: hand-written")
    plain=$(index "no-auth limit: axum-scopes server")
    plain_header=$(index "no-auth limit, the ES256 request")
    ratio "HS256, demo RUST_LOG=warn (log off) / hand-written" "$quiet" "$hand" ">= 1.0"
    ratio "HS256, demo (log on) / hand-written" "$demo" "$hand" ""
    ratio "HS256, demo log on / log off (1 - the log's cost)" "$demo" "$quiet" ">= 0.85"
    ratio "ES256, cache on / no-auth limit" "$es_on" "$plain" ">= 0.85"
    ratio "ES256, cache on / no-auth limit with the same header" "$es_on" "$plain_header" ""
    ratio "ES256, cache off / hand-written (aws-lc-rs)" "$es_off" "$es_hand" ">= 0.95"
    zipf=$(index "ES256, $users users drawn Zipf")
    uniform=$(index "ES256, $users users drawn uniformly")
    one=$(index "ES256, one of them through the same script")
    ratio "ES256, $users users Zipf(1.0) / one token, both through the script (cache on)" "$zipf" "$one" ">= 0.8"
    ratio "ES256, $users users uniform / one token, both through the script (cache on)" "$uniform" "$one" ""
    ratio "ES256, $users users Zipf(1.0) / one token in a fixed header" "$zipf" "$es_on" ""
    echo
    echo "The IdP route after the warm-up pass over $users tokens: token cache $cache_warm; RSS $((rss_idp_before / 1024)) MiB before it, $((rss_idp_warm / 1024)) MiB after."
    echo "After all rounds: token cache $(curl -s http://127.0.0.1:8304/stats/token-cache)."
} | tee "$out"

# --- hold: 4000 keep-alive connections on the demo ---------------------------------------------
echo "load: holding $hold_connections connections for $hold_seconds s on the demo" >&2
rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$pid_demo/status")
read -r rps p99 errors <<<"$(run_wrk "$hold_connections" "$hold_seconds" 8301 /users/me/items/ "$hs256")"
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$pid_demo/status")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $hs256" http://127.0.0.1:8301/users/me/items/)
{
    echo
    echo "Hold: $hold_connections keep-alive connections for ${hold_seconds} s on the demo (log on): $(printf '%.0f' "$rps") req/s, p99 $(to_ms <<<"$p99") ms, errors $errors (non-2xx and socket errors), peak RSS $((peak / 1024)) MiB (idle before: $((rss_before / 1024)) MiB); a request after it: $status."
} | tee -a "$out"
