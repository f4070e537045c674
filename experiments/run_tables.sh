#!/usr/bin/env bash
# experiments/run_tables.sh - runs the report's table programs, JOBS at a time, one thread each.
#
#   run_tables.sh JOBS PROFILE OUT TABLE... [-- EXTRA FLAGS]
#
# Why: two 1-thread processes use two cores better than one 2-thread process (no barriers between
# the threads, no spin-waiting; the measured 2-thread speed-up of a training step is 1.6-1.9x), and
# the report is many independent runs. Tables that share runs (the side tables reuse the lra
# table's) meet at the run's lock: one trains it, the other waits and then reads its record.
# JOBS=1 runs the tables one after another with every core. Tables start in the order given (put
# the longest first). Prints "table k of N started/finished" with the elapsed time; every table's
# own progress goes to stderr, prefixed by its name. Exits non-zero if any table fails (the others
# still finish, so their runs are not lost).
set -u
if [ $# -lt 4 ]; then
    echo "usage: run_tables.sh JOBS PROFILE OUT TABLE... [-- EXTRA FLAGS]" >&2
    exit 2
fi
jobs=$1 profile=$2 out=$3
shift 3
case $jobs in '' | *[!0-9]* | 0) echo "run_tables.sh: JOBS '$jobs' must be a positive integer" >&2; exit 2 ;; esac
tables=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do tables+=("$1"); shift; done
[ $# -gt 0 ] && shift
extra=("$@")
threads=()
[ "$jobs" -gt 1 ] && threads=(--threads 1)

n=${#tables[@]} k=0 failed=0 t0=$(date +%s)
declare -A name_of
elapsed() { local s=$(($(date +%s) - t0)); printf '%dh%02dm%02ds' $((s / 3600)) $((s % 3600 / 60)) $((s % 60)); }
finish_one() {   # waits for any one table and reports it
    local pid rc
    wait -n -p pid; rc=$?
    if [ "$rc" -ne 0 ]; then failed=1; echo "runs: ${name_of[$pid]} FAILED (exit $rc) · elapsed $(elapsed)" >&2
    else echo "runs: ${name_of[$pid]} finished · elapsed $(elapsed)" >&2; fi
}
running=0
for t in "${tables[@]}"; do
    k=$((k + 1))
    if [ ! -x "$t" ]; then echo "run_tables.sh: $t: no such program (build it first)" >&2; failed=1; continue; fi
    while [ "$running" -ge "$jobs" ]; do finish_one; running=$((running - 1)); done
    echo "runs: table $k of $n started: $t --profile $profile ${threads[*]} ${extra[*]} · elapsed $(elapsed)" >&2
    "$t" --profile "$profile" --out "$out" "${threads[@]}" "${extra[@]}" &
    name_of[$!]="table $k of $n ($(basename "$t"))"
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do finish_one; running=$((running - 1)); done
exit $failed
