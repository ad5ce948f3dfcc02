#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a bounded time, one after the other, each in
# one libFuzzer process at nice 19, and prints per target the executions, exec/s and the
# number of crash files in artifacts/<target>/. Exits non-zero when any target crashed.
#
#   ./run.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) is each target's -max_total_time; FUZZ_SECONDS_<target> overrides it
# for one target. FUZZ_SANITIZER picks cargo-fuzz's sanitizer: `none` by default (the crate has
# no unsafe code; AddressSanitizer made the targets 5-6 times slower, see README.md), `address`
# for a slower run under ASan. Debug assertions and overflow checks are on either way. New corpus
# entries go to work/<target>/ (not committed); corpus/<target>/ holds the seeds and is only
# read. libFuzzer's output is in logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(authorization_header jwt_hs256 jwt_es256 password_form scopes jwks_discovery)
fi
sanitizer=${FUZZ_SANITIZER:-none}
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')

# Built once, so every target runs the same code even while the sources change.
nice -n 19 cargo +nightly fuzz build --sanitizer "$sanitizer" || exit 2
bin="target/$triple/release"
mkdir -p logs

status=0
report=$(printf '%-22s %8s %14s %10s %8s\n' target seconds executions exec/s crashes)
for target in "${targets[@]}"; do
    var="FUZZ_SECONDS_${target}"
    time=${!var:-$seconds}
    mkdir -p "work/$target" "artifacts/$target" "corpus/$target"
    # Runs until -max_total_time, or until the first crash. One process: no -jobs/-workers
    # (libFuzzer's default is a single in-process worker).
    ASAN_OPTIONS=detect_odr_violation=0 nice -n 19 "$bin/$target" \
        -artifact_prefix="artifacts/$target/" \
        -max_total_time="$time" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        "work/$target" "corpus/$target" >"logs/$target.log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$target.log" | tail -1 | grep -o '[0-9]*$')
    if [ -z "$execs" ]; then
        execs=$(grep -o 'Done [0-9]* runs' "logs/$target.log" | tail -1 | grep -o '[0-9]*' || true)
    fi
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$target.log" | tail -1 | grep -o '[0-9]*$')
    crashes=$(find "artifacts/$target" -type f | wc -l)
    line=$(printf '%-22s %8s %14s %10s %8s' "$target" "$time" "${execs:-?}" "${rate:-?}" "$crashes")
    echo "$line"
    report+=$'\n'"$line"
    if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
        status=1
        echo "  $target: exit $rc, see logs/$target.log and artifacts/$target/" >&2
    fi
done
echo
echo "$report"
exit $status
