#!/usr/bin/env bash
# tests/mpi/run.sh BUILD - the checks of `make test-mpi`, on this machine, with the MPI build in
# BUILD (build-mpi/), the mpirun command line in $MPIRUN (the Makefile's, with its flags) and,
# when set, the plain build's folder in $PLAIN_BUILD:
#   0. --ranks-per-run 3 on 2 ranks, and in the plain build, is refused with a message
#   1. data-parallel: mpirun -np 2 test_mpi dp (its parameters against one process, within 1e-5)
#   2. run-parallel table: ssm_init --profile smoke as one process and on 2 ranks, each from an
#      empty cache of its own: the same table (the lines that state wall times and peak memory,
#      which no two runs share, are left out of the comparison)
#   3. a rank killed mid-run ends the job with mpirun's message; the rerun resumes from the last
#      checkpoint and ends where an uninterrupted run ends
# Work files go to BUILD/test-mpi/. Exit 0 with "test-mpi: ... ok" lines, or 1 naming the check.
set -uo pipefail
B=$(cd "${1:?usage: tests/mpi/run.sh BUILD}" && pwd)
ROOT=$(pwd)
MPIRUN=${MPIRUN:-mpirun}
T=$B/test-mpi
rm -rf "$T" && mkdir -p "$T"
fail() { echo "test-mpi: FAILED: $*" >&2; exit 1; }
show() { echo "--- $1"; tail -n 30 "$1"; }

# 0. --ranks-per-run that cannot work: a message naming the flag and its value, a non-zero exit
out=$($MPIRUN -np 2 "$B/ssm_init" --profile smoke --ranks-per-run 3 2>&1) &&
    fail "--ranks-per-run 3 on 2 ranks was accepted"
grep -q 'ranks-per-run 3: the job.s 2 ranks cannot form groups of 3' <<< "$out" ||
    { echo "$out"; fail "no clear message for --ranks-per-run 3 on 2 ranks"; }
if [ -n "${PLAIN_BUILD:-}" ]; then   # the plain build has no MPI, and says so
    out=$("$PLAIN_BUILD/ssm_init" --profile smoke --ranks-per-run 2 2>&1) &&
        fail "the plain build accepted --ranks-per-run"
    grep -q 'ranks-per-run 2: this program was built without MPI' <<< "$out" ||
        { echo "$out"; fail "no clear message for --ranks-per-run in the plain build"; }
fi
echo "test-mpi: --ranks-per-run 3 on 2 ranks${PLAIN_BUILD:+, and in the plain build,} refused" \
     "with a message"

# 1. data-parallel training against one process
if ! $MPIRUN -np 2 "$B/test_mpi" dp > "$T/dp.out" 2> "$T/dp.err" ||
   ! grep -q '^test_mpi dp: ok' "$T/dp.out"; then
    show "$T/dp.out"; show "$T/dp.err"; fail "data-parallel training (mpirun -np 2 test_mpi dp)"
fi
sed 's/^/test-mpi: /' "$T/dp.out"

# 2. a table program's smoke profile: one process, then 2 ranks (one run per rank)
seconds() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b - a}'; }
for k in 1 2; do
    mkdir -p "$T/table-$k"
    launch=""
    [ "$k" = 2 ] && launch="$MPIRUN -np 2"
    start=$(date +%s.%N)
    if ! (cd "$T/table-$k" && $launch "$B/ssm_init" --profile smoke --quiet --threads 1 \
            --data "$ROOT/data" --out . > out.txt 2> err.txt); then
        show "$T/table-$k/err.txt"; fail "ssm_init --profile smoke with $k rank(s)"
    fi
    wall=$(seconds "$start" "$(date +%s.%N)")
    echo "test-mpi: ssm_init --profile smoke on $k rank(s): $wall s wall"
done
# the comparison: every line but the captions (wall time, peak RSS) and the cost rows (wall times)
strip() { grep -v -e '^\*profile ' -e ', wall |' "$1"; }
for f in ssm_init.md ssm_init.csv; do
    [ -s "$T/table-1/$f" ] || fail "ssm_init wrote no $f"
    [ -f "$T/table-2/$f" ] || fail "ssm_init on 2 ranks wrote no $f"
done
if ! diff <(strip "$T/table-1/ssm_init.md") <(strip "$T/table-2/ssm_init.md") \
        > "$T/table.diff"; then
    show "$T/table.diff"
    fail "ssm_init's table on 2 ranks differs from one process's (diff in $T/table.diff)"
fi
# the raw runs (CSV): every column but wall_s, third from the end (a quoted cell may hold a comma)
[ "$(head -n 1 "$T/table-1/ssm_init.csv" | awk -F, '{print $(NF-2)}')" = wall_s ] ||
    fail "ssm_init.csv: wall_s is no longer the third column from the end"
cut_wall() { awk -F, '{for(i=1;i<=NF;i++) if(i!=NF-2) printf "%s,", $i; print ""}' "$1"; }
if ! diff <(cut_wall "$T/table-1/ssm_init.csv") <(cut_wall "$T/table-2/ssm_init.csv") \
        > "$T/runs.diff"; then
    show "$T/runs.diff"
    fail "ssm_init's runs on 2 ranks differ from one process's (diff in $T/runs.diff)"
fi
echo "test-mpi: ssm_init smoke table on 2 ranks = one process's" \
     "($(grep -c '^|' "$T/table-1/ssm_init.md") table lines," \
     "$(($(wc -l < "$T/table-1/ssm_init.csv") - 1)) runs)"

# 3. kill one rank mid-run, then resume
K=$T/kill
mkdir -p "$K"
$MPIRUN -np 2 "$B/test_mpi" resume "$K" > "$T/kill1.out" 2> "$T/kill1.err" &
job=$!
for _ in $(seq 1 600); do   # up to 60 s for rank 1 to start and rank 0 to write a checkpoint
    [ -s "$K/pid-1" ] && [ -f "$K/run.ckpt" ] && break
    sleep 0.1
done
[ -s "$K/pid-1" ] && [ -f "$K/run.ckpt" ] ||
    { kill "$job" 2>/dev/null; fail "no checkpoint in $K after 60 s"; }
kill -9 "$(cat "$K/pid-1")" 2>/dev/null ||
    fail "rank 1 (pid $(cat "$K/pid-1")) was gone before the kill"
if wait "$job"; then show "$T/kill1.out"; fail "mpirun exited 0 after rank 1 was killed"; fi
grep -q 'test_mpi resume: ok' "$T/kill1.out" &&
    fail "the run had finished before the kill: make it longer"
msg=$(grep -m1 -E 'rank 1 .*(signal 9|Killed)' "$T/kill1.err") ||
    { show "$T/kill1.err"; fail "mpirun gave no message naming rank 1 and the signal"; }
echo "test-mpi: rank 1 killed: mpirun ended the job:$msg" | tr -s ' '
if ! $MPIRUN -np 2 "$B/test_mpi" resume "$K" > "$T/kill2.out" 2> "$T/kill2.err" ||
   ! grep -q '^test_mpi resume: ok' "$T/kill2.out"; then
    show "$T/kill2.out"; show "$T/kill2.err"
    fail "the rerun after the kill (mpirun -np 2 test_mpi resume)"
fi
sed 's/^/test-mpi: /' "$T/kill2.out"
echo "test-mpi: all checks ok"
