#!/usr/bin/env bash
# Login-flood load test: how much does a flood of POST /token (bcrypt cost 12) slow down an
# unrelated authenticated route, GET /status/?
#
#   tests/load/login-flood.sh              builds the demo (release), serves it on 127.0.0.1
#                                          (port $PORT, default 18000, or the next free one) and
#                                          measures it; the server is stopped at the end.
#   tests/load/login-flood.sh URL          measures a server already running at URL (for
#                                          instance FastAPI's tutorial app:
#                                          bash /work/shared/peers/run-fastapi.sh 8765, then
#                                          tests/load/login-flood.sh http://127.0.0.1:8765);
#                                          that server is left running.
#
# Phases, all bounded in time:
#   1. baseline: wrk -t1 -c4 -d${STATUS_SECS}s on /status/ alone;
#   2. flood: wrk -t2 -c16 -d${FLOOD_SECS}s on /token (post-token.lua counts the statuses) and,
#      ${FLOOD_LEAD}s after it starts, the same /status/ wrk as in 1.
# Prints /status/ p50/p90/p99 of both phases, the flood's requests/s, logins/s (200s per second)
# and its 200/503/other breakdown, then one SUMMARY line.
#
# Needs wrk, curl and python3. Only loopback addresses are accepted. Environment knobs:
# PORT, STATUS_SECS (10), FLOOD_SECS (20), FLOOD_LEAD (3), WRK_TIMEOUT (10s: long enough that a
# starved /status/ shows up as latency, not as wrk timeouts), DEMO_BIN (serve this binary
# instead of building), KEEP_WRK_OUTPUT (a directory to copy wrk's raw output and the server log
# into), RUST_LOG (passed to the demo; its log goes to a temporary file).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
STATUS_SECS=${STATUS_SECS:-10}
FLOOD_SECS=${FLOOD_SECS:-20}
FLOOD_LEAD=${FLOOD_LEAD:-3}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "login-flood: $tool is required (apt-get install -y $tool)" >&2; exit 2; }
done
if (( FLOOD_SECS < FLOOD_LEAD + STATUS_SECS )); then
  echo "login-flood: FLOOD_SECS must cover FLOOD_LEAD + STATUS_SECS" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/login-flood.XXXXXX")
server_pid=""
flood_pid=""
cleanup() {
  if [[ -n $flood_pid ]]; then kill "$flood_pid" 2>/dev/null || true; wait "$flood_pid" 2>/dev/null || true; fi
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $# -ge 1 ]]; then
  base=${1%/}
  host=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$base")
  case $host in
    127.*|localhost|::1) ;;
    *) echo "login-flood: only loopback servers may be flooded, not '$host'" >&2; exit 2 ;;
  esac
  target="$base (existing server)"
else
  if [[ -n ${DEMO_BIN:-} ]]; then
    bin=$DEMO_BIN
  else
    echo "== building the demo (release)"
    (cd "$root" && cargo build --release -p axum-scopes-demo)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/axum-scopes-demo"
  fi
  port=$(python3 - "${PORT:-18000}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in list(range(start, start + 100)) + [0]:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
)
  "$bin" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  target="$base (demo, pid $server_pid)"
fi

for _ in $(seq 100); do
  curl -s -o /dev/null "$base/status/" && break
  [[ -z $server_pid ]] || kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

token=$(curl -sf -X POST -d 'username=johndoe&password=secret' "$base/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/status/")
[[ $code == 200 ]] || { echo "login-flood: /status/ answered $code with a fresh token" >&2; exit 1; }
echo "== target: $target"

# wrk's latency percentiles in milliseconds: "p50 p90 p99".
percentiles() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.3f %.3f %.3f\n", p50, p90, p99 }
  ' "$1"
}

status_wrk() {
  wrk -t1 -c4 -d"${STATUS_SECS}s" --timeout "$WRK_TIMEOUT" --latency \
    -H "Authorization: Bearer $token" "$base/status/" >"$1"
}

report_status() {
  local name=$1 file=$2
  read -r p50 p90 p99 < <(percentiles "$file")
  local rps non2xx errors
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$file")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$file")
  errors=$(grep -E '^ +Socket errors' "$file" | sed 's/^ *//' || true)
  printf '%-9s /status/ p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (%s req/s, non-2xx %s%s)\n' \
    "$name" "$p50" "$p90" "$p99" "$rps" "${non2xx:-0}" "${errors:+, $errors}"
  eval "${name}_p99=$p99"
}

echo "== baseline: /status/ alone, ${STATUS_SECS}s"
status_wrk "$work/baseline.txt"

echo "== flood: /token with 16 connections for ${FLOOD_SECS}s; /status/ from ${FLOOD_LEAD}s for ${STATUS_SECS}s"
wrk -t2 -c16 -d"${FLOOD_SECS}s" --timeout "$WRK_TIMEOUT" --latency -s "$here/post-token.lua" \
  "$base/token" >"$work/flood.txt" &
flood_pid=$!
sleep "$FLOOD_LEAD"
status_wrk "$work/under-flood.txt"
wait "$flood_pid"
flood_pid=""

echo
report_status baseline "$work/baseline.txt"
report_status flood "$work/under-flood.txt"
read -r tp50 tp90 tp99 < <(percentiles "$work/flood.txt")
printf '/token    p50 %.3f ms  p90 %.3f ms  p99 %.3f ms\n' "$tp50" "$tp90" "$tp99"
grep -E '^FLOOD_' "$work/flood.txt"
rate=$(sed -n 's/^FLOOD_RATE .*requests_per_s=\([0-9.]*\) logins_per_s=\([0-9.]*\) share_503=\([0-9.]*\).*/\1 \2 \3/p' "$work/flood.txt")
read -r flood_rps logins share_503 <<<"$rate"
echo "SUMMARY target=$base status_p99_baseline_ms=$baseline_p99 status_p99_flood_ms=$flood_p99" \
  "token_requests_per_s=$flood_rps logins_per_s=$logins share_503=$share_503"
if [[ -n ${KEEP_WRK_OUTPUT:-} ]]; then
  mkdir -p "$KEEP_WRK_OUTPUT"
  cp "$work"/*.txt "$KEEP_WRK_OUTPUT"/
  [[ ! -f $work/server.log ]] || cp "$work/server.log" "$KEEP_WRK_OUTPUT"/
fi
