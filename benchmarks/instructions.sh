#!/usr/bin/env bash
# Instructions per request of each server of the load table, counted by valgrind's callgrind
# (the same count whatever else the machine is doing): each server under callgrind, wrk -c16 on
# its route for 5 s and for 15 s; the per-request cost is the difference of the two totals over
# the difference of the request counts, so start-up, the login and discovery cancel out.
# log-cost.sh is the demo's half of this. About 8 minutes. Needs valgrind, wrk, node (for
# oidc-provider, installed into target/bench-oidc from npm as load.sh does).
#
#   bash benchmarks/instructions.sh            # every case
#   bash benchmarks/instructions.sh demo idp   # only the cases whose label starts with these
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
short=${INSN_SHORT:-5}
long=${INSN_LONG:-15}
for tool in valgrind wrk node; do
    command -v $tool >/dev/null || { echo "instructions: $tool is missing" >&2; exit 1; }
done
oidc_dir="$root/target/bench-oidc"
mkdir -p "$oidc_dir"
cp tests/oidc/provider.mjs tests/oidc/package.json "$oidc_dir/"
[[ -d "$oidc_dir/node_modules/oidc-provider" ]] ||
    (cd "$oidc_dir" && npm install --silent --no-audit --no-fund)
[[ -n "${INSN_NO_BUILD:-}" ]] || cargo build --release --locked -q -p axum-scopes-demo -p axum-scopes-benchmarks --bins

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
wait_http() { # url
    for _ in $(seq 300); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.2
    done
    echo "instructions: $1 did not come up" >&2
    exit 1
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The tokens: the demo's login (HS256, valid 30 min) and the provider's (ES256, RS256).
oidc_port=8710
issuer="http://127.0.0.1:$oidc_port"
node "$oidc_dir/provider.mjs" "$oidc_port" >/dev/null 2>&1 &
pids+=($!)
wait_http "$issuer/.well-known/openid-configuration"
target/release/axum-scopes-demo --port 8711 >/dev/null 2>&1 &
pids+=($!)
wait_http http://127.0.0.1:8711/openapi.json
hs256=$(curl -s -X POST http://127.0.0.1:8711/token -d 'username=johndoe&password=secret&scope=me items' | json_field access_token)
idp_token() { # resource
    curl -s -X POST "$issuer/token" -d "grant_type=client_credentials&client_id=bench&client_secret=bench-secret&scope=items me&resource=$1" | json_field access_token
}
es256=$(idp_token urn:axum-scopes:es256)
audiences=(--audience urn:axum-scopes:es256 --audience urn:axum-scopes:rs256)

# One run: prints "requests instructions".
run() { # seconds port path token env-and-command...
    local seconds=$1 port=$2 path=$3 token=$4
    shift 4
    local out="$root/target/callgrind-$port.out"
    rm -f "$out"
    env "$@" >/dev/null 2>&1 &
    local pid=$!
    wait_http "http://127.0.0.1:$port/"
    local header=()
    [[ -n "$token" ]] && header=(-H "Authorization: Bearer $token")
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "http://127.0.0.1:$port$path")
    [[ "$status" == 200 ]] || { echo "instructions: $path answered $status" >&2; exit 1; }
    local requests
    requests=$(wrk -t1 -c16 -d"$seconds"s "${header[@]}" "http://127.0.0.1:$port$path" |
        awk '/requests in/ { print $1 } /Non-2xx/ { print "non-2xx answers" > "/dev/stderr"; exit 1 }')
    kill -TERM "$pid"
    wait "$pid" || true
    echo "$requests $(awk '/^(summary|totals):/ { print $2; exit }' "$out")"
}

per_request() { # port path token env-and-command...
    local port=$1 path=$2 token=$3
    shift 3
    local vg=(valgrind --tool=callgrind --callgrind-out-file="$root/target/callgrind-$port.out")
    local n1 i1 n2 i2 cmd=()
    # Environment assignments go before valgrind, the command after it.
    while [[ "$1" == *=* ]]; do cmd+=("$1"); shift; done
    cmd+=("${vg[@]}" "$@")
    read -r n1 i1 <<<"$(run "$short" "$port" "$path" "$token" "${cmd[@]}")"
    read -r n2 i2 <<<"$(run "$long" "$port" "$path" "$token" "${cmd[@]}")"
    echo $(((i2 - i1) / (n2 - n1)))
}

cases=(
    "demo HS256 tutorial route, log on|8721|/users/me/items/|$hs256|RUST_LOG=info target/release/axum-scopes-demo --port 8721"
    "demo HS256 tutorial route, log off|8722|/users/me/items/|$hs256|RUST_LOG=warn target/release/axum-scopes-demo --port 8722"
    "handwritten HS256 tutorial route|8723|/users/me/items/|$hs256|target/release/handwritten --port 8723"
    "idp ES256, cache on|8724|/idp/items/|$es256|target/release/idp --port 8724 --issuer $issuer ${audiences[*]}"
    "idp no-auth route|8725|/plain/items/||target/release/idp --port 8725 --issuer $issuer ${audiences[*]}"
    "handwritten no-auth route|8726|/plain/items/||target/release/handwritten --port 8726"
)
echo "Instructions per request (callgrind, wrk -c16, ${long} s minus ${short} s), $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ):"
for case in "${cases[@]}"; do
    IFS='|' read -r label port path token command <<<"$case"
    if [[ $# -gt 0 ]]; then
        wanted=""
        for prefix in "$@"; do [[ "$label" == "$prefix"* ]] && wanted=1; done
        [[ -n "$wanted" ]] || continue
    fi
    read -ra words <<<"$command"
    printf '| %s | %s |\n' "$label" "$(per_request "$port" "$path" "$token" "${words[@]}")"
done
