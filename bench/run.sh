#!/usr/bin/env bash
# bench/run.sh - longseq vs its peers (PyTorch, OpenBLAS) and the machine's measured FP32 peak, in one
# run. Called by `make bench` (which builds build/bench_models, bench_sgemm, bench_peak first).
#
# usage: bash bench/run.sh [--quick] [--rounds N] [--steps N] [--warmup N] [--workloads "W1 W2 ..."]
#                          [--threads "1 2"] [--build DIR] [--no-sgemm] [--summarize DIR]
#   full (default): 3 rounds; per process 2 warm-up + 5 timed steps (10 for the short W2, W2i, R2,
#                   R3, R2i, R3i); workloads W1 W2 W3 W4 W1i W2i (the SPEC's, d 128 x 4 layers) and
#                   R1 R2 R3 R1i R2i R3i (the report's Transformer, S4D and LRU at its cpu-profile
#                   shapes, d 64 x 2 layers, T 1024 x batch 16) at 1 and 2 threads; sgemm 5 reps at
#                   1 and 2 threads. ~35 min on a quiet machine (estimated).
#   --quick:        1 round; 1 thread only for W1 and W2 (for the scaling column); sgemm 3 reps at
#                   2 threads. ~7 min (estimated).
#   --workloads:    only these (e.g. --workloads "R1 R2 R3 R1i R2i R3i", the report's shapes alone);
#                   a run of fewer than every workload leaves paper/tables alone (its table goes to
#                   bench-out only; summarize.py RUN_DIR --tables paper/tables writes it there).
#   --summarize DIR: no runs, re-print the table of an earlier run directory.
# Method: for every round, workload and thread count, longseq and PyTorch run back to back (the order
# alternates between rounds), each workload in its own process (peak RSS is per process), each
# reporting the median of its timed steps after its warm-up steps. Tables give the median over rounds.
# Both run with glibc's malloc told to keep freed memory (MALLOC_ENV below: PyTorch's best setting on
# a VM with costly page faults). PyTorch runs with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=N and OMP_WAIT_POLICY=PASSIVE (its best
# setting on 2 cores, see bench/torch_ref.py). The machine is shared: before every measurement the
# script waits (up to QUIET_WAIT s, default 60) until other processes use < 0.25 core, and every
# record keeps the other load seen before it and during its timed steps ("other" column); a record
# that saw > 0.25 core of other load during its steps is run again (RETRIES, default 2).
# Raw output goes to bench-out/run-<date>/ (BENCH_OUT to change); the table is also saved as
# bench-out/run-<date>/table.md and bench-out/latest.md, and (every workload run) as the report's
# paper/tables/bench.{md,tex} (bench/summarize.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ALL_WORKLOADS="W1 W2 W3 W4 W1i W2i R1 R2 R3 R1i R2i R3i"
ROUNDS=3; STEPS=5; WARMUP=2; WORKLOADS=$ALL_WORKLOADS; THREADS="1 2"; QUICK=0
BUILD=build; SGEMM=1; SUMMARIZE=""; SGEMM_REPS=5; SGEMM_THREADS="1 2"
QUIET_WAIT=${QUIET_WAIT:-60}; RETRIES=${RETRIES:-2}
ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=1; SGEMM_REPS=3; SGEMM_THREADS="2" ;;
    --rounds) ROUNDS=$2; shift ;;
    --steps) STEPS=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-sgemm) SGEMM=0 ;;
    --summarize) SUMMARIZE=$2; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

for w in $WORKLOADS; do
  case " $ALL_WORKLOADS " in
    *" $w "*) ;;
    *) echo "run.sh: unknown workload '$w' (known: $ALL_WORKLOADS)" >&2; exit 2 ;;
  esac
done
# paper/tables/bench.* hold the whole table: a run of only some workloads must not replace it
TABLES=()
for w in $ALL_WORKLOADS; do
  case " $WORKLOADS " in *" $w "*) ;; *) TABLES=(--no-tables) ;; esac
done

PY=/usr/bin/python3   # Debian's python: python3-torch is installed for it, not for a pyenv python
# Both peers run with glibc's malloc keeping freed memory (no mmap/munmap per large buffer, no
# trimming). PyTorch allocates and frees its large activations every step; with glibc's defaults
# each comes from a fresh mmap, and on a virtual machine whose page faults are costly that
# dominated its step (measured on one 2-core VM: W1 1 thread 7.35 s with the defaults, 1.78 s with
# these; W1i 0.53 s against about 2 s). longseq's arena allocates once, so it does not care; it
# gets the same environment all the same.
MALLOC_ENV="GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
OUT=${BENCH_OUT:-$ROOT/bench-out}

summarize() {  # $1 = run directory
  "$PY" "$ROOT/bench/summarize.py" "$1" "${TABLES[@]}" | tee "$1/table.md"
  cp "$1/table.md" "$OUT/latest.md"
  if [ "${#TABLES[@]}" -gt 0 ]; then
    echo "run.sh: not every workload ran (--workloads), so paper/tables/bench.* are left as they were" >&2
  fi
}
if [ -n "$SUMMARIZE" ]; then summarize "$SUMMARIZE"; exit 0; fi

# ---------- peers ----------
if ! dpkg -s python3-torch >/dev/null 2>&1 || ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
  echo "run.sh: installing python3-torch libopenblas-dev" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends python3-torch libopenblas-dev
fi
for b in bench_models bench_sgemm bench_peak; do
  [ -x "$BUILD/$b" ] || { echo "run.sh: $BUILD/$b missing - run 'make bench' (make builds, this script only runs)" >&2; exit 1; }
done

RUN=$OUT/run-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
MODELS=$RUN/models.jsonl; PEAK=$RUN/peak.jsonl; SG=$RUN/sgemm.md; LOG=$RUN/log.txt
: >"$MODELS"

# ---------- helpers ----------
# cores used by processes other than ours over 1 s (busy jiffies incl. steal)
other_load() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}'
}
wait_quiet() {
  local t=0 l
  while :; do
    l=$(other_load)
    if awk -v l="$l" 'BEGIN{exit !(l < 0.25)}'; then break; fi
    if [ "$t" -ge "$QUIET_WAIT" ]; then echo "[$(date -u +%T)] not quiet after ${QUIET_WAIT} s (other load $l): measuring anyway" >>"$LOG"; break; fi
    t=$((t + 1))
  done
  echo "$l"
}
log() { echo "[$(date -u +%T)] $*" | tee -a "$LOG" >&2; }

# ---------- machine ----------
{
  echo "date: $(date -u +%FT%TZ)"
  echo "command: bash bench/run.sh $ARGS"
  echo "commit: $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo "cpu: $(lscpu | awk -F: '/^Model name/{gsub(/^ +/,"",$2); print $2; exit}'), family $(lscpu | awk -F: '/^CPU family/{gsub(/ /,"",$2); print $2}') model $(lscpu | awk -F: '/^Model:/{gsub(/ /,"",$2); print $2}'), $(nproc) cores"
  echo "compiler: $(${CC:-cc} --version | head -1)"
  echo "openblas: Debian $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?'), $("$PY" -c "import ctypes; l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = l.openblas_get_config.restype = ctypes.c_char_p; print('kernels', l.openblas_get_corename().decode(), '-', l.openblas_get_config().decode())" 2>/dev/null)"
  echo "torch: $("$PY" -c "import re, torch; print(torch.__version__, 'CPU capability', re.search(r'CPU capability usage: (\S+)', torch.__config__.show()).group(1))" 2>/dev/null) (Debian python3-torch $(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo '?'))"
  echo "rounds: $ROUNDS; steps: $STEPS timed after $WARMUP warm-up (x2 for W2, W2i, R2, R3, R2i, R3i); workloads: $WORKLOADS; threads: $THREADS; quick: $QUICK"
} >"$RUN/meta.txt"
cat "$RUN/meta.txt" >&2

# ---------- peak ----------
log "peak FMA (other load $(wait_quiet))"
"$BUILD/bench_peak" 7 >"$PEAK"

# ---------- models, interleaved ----------
steps_for() { case "$1" in W2|W2i|R2|R3|R2i|R3i) echo $((2 * STEPS)) ;; *) echo "$STEPS" ;; esac; }
record() {  # impl workload threads round other_before -- command...
  # A record whose timed steps saw other load > 0.25 core is run again (up to RETRIES times, after
  # waiting for quiet); the rejected records are kept in rejected.jsonl, the last try is used.
  local impl=$1 w=$2 t=$3 r=$4 ob=$5 line rc try=0 od
  shift 6
  while :; do
    rc=0
    line=$(timeout 900 "$@" 2>>"$LOG" | tail -1) || rc=$?
    if [ "$rc" -ne 0 ] || [ "${line:0:1}" != "{" ]; then
      log "FAILED ($rc): $impl $w threads=$t"
      echo "{\"round\": $r, \"impl\": \"$impl\", \"workload\": \"$w\", \"threads\": $t, \"other_before\": $ob, \"error\": $rc}" >>"$MODELS"
      return 0
    fi
    od=$(echo "$line" | sed -E 's/.*"other_load_cores_median": ([0-9.e+-]+).*/\1/')
    log "$impl $w threads=$t: $(echo "$line" | sed -E 's/.*"ms_median": ([0-9.]+).*"peak_rss_mib": ([0-9.]+).*/\1 ms, \2 MiB/'), other $od"
    if awk -v o="$od" 'BEGIN{exit !(o > 0.25)}' && [ "$try" -lt "$RETRIES" ]; then
      try=$((try + 1))
      echo "{\"round\": $r, \"impl\": \"$impl\", \"workload\": \"$w\", \"threads\": $t, \"other_before\": $ob, \"rec\": $line}" >>"$RUN/rejected.jsonl"
      ob=$(wait_quiet)
      log "  other load $od during the steps: again (try $((try + 1)), other load before $ob)"
      continue
    fi
    break
  done
  echo "{\"round\": $r, \"impl\": \"$impl\", \"workload\": \"$w\", \"threads\": $t, \"other_before\": $ob, \"retries\": $try, \"rec\": $line}" >>"$MODELS"
}
run_longseq() {  # workload threads round
  local ob s; s=$(steps_for "$1"); ob=$(wait_quiet)
  record longseq "$1" "$2" "$3" "$ob" -- env "$MALLOC_ENV" OMP_NUM_THREADS="$2" "$BUILD/bench_models" "$1" --threads "$2" \
    --steps "$s" --warmup "$WARMUP" --json
}
run_torch() {
  local ob s; s=$(steps_for "$1"); ob=$(wait_quiet)
  record torch "$1" "$2" "$3" "$ob" -- env "$MALLOC_ENV" OMP_NUM_THREADS="$2" OPENBLAS_NUM_THREADS="$2" OMP_WAIT_POLICY=PASSIVE \
    "$PY" bench/torch_ref.py --workload "$1" --threads "$2" --steps "$s" --warmup "$WARMUP"
}
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for t in $THREADS; do
      # quick mode: 1 thread only where the scaling column needs it
      if [ "$QUICK" = 1 ] && [ "$t" = 1 ] && [ "$w" != W1 ] && [ "$w" != W2 ]; then continue; fi
      if [ $((r % 2)) = 1 ]; then run_longseq "$w" "$t" "$r"; run_torch "$w" "$t" "$r"
      else run_torch "$w" "$t" "$r"; run_longseq "$w" "$t" "$r"; fi
    done
  done
done

# ---------- sgemm (interleaved inside the program) ----------
if [ "$SGEMM" = 1 ]; then
  ob=$(wait_quiet)
  log "sgemm (other load before $ob)"
  b0=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat); t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$BUILD/bench_sgemm" "$SGEMM_REPS" $SGEMM_THREADS >"$SG" 2>>"$LOG"
  # bench_sgemm cannot tell its own CPU time from others', so report the machine's average busy
  # cores over the run (bench_sgemm alone keeps ~1.5 busy with its 1- and 2-thread halves and pauses)
  b1=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat); t1=$(date +%s.%N)
  busy=$(awk -v a="$b0" -v b="$b1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz/(t1-t0)}')
  echo "other load before: $ob; machine busy cores during the run (sgemm itself included): $busy" >>"$SG"
  log "sgemm done (machine busy cores during: $busy)"
fi

# ---------- peak again: a peak is a hardware limit, so the best of both measurements counts ----------
log "peak FMA again (other load $(wait_quiet))"
"$BUILD/bench_peak" 7 >>"$PEAK"

summarize "$RUN"
echo "raw results: $RUN" >&2
