#!/usr/bin/env bash
# bench/busy.sh - training steps with one core kept busy by another process (`make bench-busy`).
#
# usage: bash bench/busy.sh [--rounds N] [--steps N] [--workloads "W1 W2"] [--build DIR] [--no-torch]
#
# Every laptop has other processes. This measures what a user sees when one of them keeps a core
# busy: a co-tenant (`yes > /dev/null`, one process, one core) runs for the whole measurement, and
# per round and workload, back to back:
#   longseq  1 thread
#   longseq  2 threads, fixed                  (libgomp's default spin-wait)
#   longseq  2 threads, --adapt                (ls_autothreads, what ls_train does by default)
#   PyTorch  1 and 2 threads, OMP_WAIT_POLICY=PASSIVE (its best setting on 2 cores)
# Each process runs WARMUP = 9 untimed steps (so --adapt's first probe, steps 3-8, is behind it),
# then --steps timed ones (default 5; x2 for W2) and reports the median wall and CPU ms per step.
# The table gives the median over rounds, the machine's CPU, and the check the issue asks for:
# longseq's 2-thread step (adapting) no slower than its 1-thread step, beyond the noise: the
# tolerance is the spread of the 1-thread step between rounds (its processes run the same code on
# the same load), at least 2%. With one round there is no spread to measure and the check says so.
# A quiet-machine comparison is `make bench`; this script never waits for quiet: the load is the point.
# Raw records: bench-out/busy-<date>/records.jsonl; the table: bench-out/busy-<date>/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=3; STEPS=5; WARMUP=9; WORKLOADS="W1 W2"; BUILD=build; TORCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --steps) STEPS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-torch) TORCH=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "busy.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$ROUNDS$STEPS" in *[!0-9]*|'') echo "busy.sh: --rounds and --steps take positive integers" >&2; exit 2 ;; esac
[ -x "$BUILD/bench_models" ] || { echo "busy.sh: $BUILD/bench_models missing (make bench-busy builds it)" >&2; exit 1; }
PY=/usr/bin/python3
# the same malloc environment as bench/run.sh (which says why: PyTorch's per-step mmap/munmap)
MALLOC_ENV="GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
if [ "$TORCH" = 1 ] && ! "$PY" -c "import torch" 2>/dev/null; then
  echo "busy.sh: python3-torch is not installed (make bench-deps); running without the PyTorch peer" >&2
  TORCH=0
fi
OUT=${BENCH_OUT:-$ROOT/bench-out}/busy-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
REC=$OUT/records.jsonl; LOG=$OUT/log.txt
: >"$REC"
log() { echo "[$(date -u +%T)] $*" | tee -a "$LOG" >&2; }
cpu="$(lscpu | awk -F: '/^Model name/{gsub(/^ +/,"",$2); print $2; exit}'), family $(lscpu | awk -F: '/^CPU family/{gsub(/ /,"",$2); print $2}') model $(lscpu | awk -F: '/^Model:/{gsub(/ /,"",$2); print $2}'), $(nproc) cores"
log "cpu: $cpu; commit $(git describe --always --dirty 2>/dev/null || echo unknown)"

# the co-tenant; killed however this script ends
yes >/dev/null &
TENANT=$!
# a trap on INT or TERM that did not exit would let the loop go on (a killed run kept measuring)
trap 'kill $TENANT 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sleep 1

steps_for() { case "$1" in W2|W2i) echo $((2 * STEPS)) ;; *) echo "$STEPS" ;; esac; }
one() {  # config round workload -- command...
  local cfg=$1 r=$2 w=$3 line
  shift 4
  line=$(timeout 900 "$@" 2>>"$LOG" | tail -1) || true
  if [ "${line:0:1}" != "{" ]; then log "FAILED: $cfg $w round $r"; return 0; fi
  echo "{\"config\": \"$cfg\", \"round\": $r, \"rec\": $line}" >>"$REC"
  log "$cfg $w round $r: $(echo "$line" | sed -E 's/.*"ms_median": ([0-9.]+).*/\1/') ms/step"
}
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    s=$(steps_for "$w")
    lq=(env "$MALLOC_ENV" OMP_NUM_THREADS=2 "$BUILD/bench_models" "$w" --steps "$s" --warmup "$WARMUP" --json)
    one "longseq 1 thread" "$r" "$w" -- "${lq[@]}" --threads 1
    one "longseq 2 threads" "$r" "$w" -- "${lq[@]}" --threads 2
    one "longseq 2 threads, adapting" "$r" "$w" -- "${lq[@]}" --threads 2 --adapt
    if [ "$TORCH" = 1 ]; then
      for t in 1 2; do
        one "PyTorch $t thread$([ $t = 2 ] && echo s)" "$r" "$w" -- env "$MALLOC_ENV" OMP_NUM_THREADS=$t \
          OPENBLAS_NUM_THREADS=$t OMP_WAIT_POLICY=PASSIVE "$PY" bench/torch_ref.py --workload "$w" \
          --threads $t --steps "$s" --warmup "$WARMUP"
      done
    fi
  done
done

"$PY" - "$REC" "$cpu" "$ROUNDS" >"$OUT/table.md" <<'EOF'
import json, sys
from statistics import median
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu, rounds = sys.argv[2], sys.argv[3]
order = ["longseq 1 thread", "longseq 2 threads", "longseq 2 threads, adapting", "PyTorch 1 thread",
         "PyTorch 2 threads"]
print(f"One core kept busy by a co-tenant (`yes > /dev/null`) for the whole run. {cpu}. Median over "
      f"{rounds} round(s) of each process's median step; CPU = this process's user+system time.\n")
print("| workload | configuration | wall ms/step | CPU ms/step | vs longseq 1 thread |")
print("| --- | --- | --- | --- | --- |")
checks = []
for w in sorted({r["rec"]["workload"] for r in recs}):
    ms = {}
    for c in order:
        rs = [r["rec"] for r in recs if r["config"] == c and r["rec"]["workload"] == w]
        if rs: ms[c] = (median(x["ms_median"] for x in rs), median(x.get("cpu_ms_median", 0) for x in rs))
    base = ms.get("longseq 1 thread", (None,))[0]
    for c in order:
        if c not in ms: continue
        rel = f"{base / ms[c][0]:.2f}x speed" if base else "-"
        print(f"| {w} | {c} | {ms[c][0]:.1f} | {ms[c][1]:.1f} | {rel} |")
    a = ms.get("longseq 2 threads, adapting")
    if base and a:
        one = [r["rec"]["ms_median"] for r in recs if r["config"] == "longseq 1 thread" and r["rec"]["workload"] == w]
        if len(one) < 2:
            checks.append(f"- {w}: 2 threads adapting {a[0]:.1f} ms vs 1 thread {base:.1f} ms: "
                          f"{abs(a[0] / base - 1) * 100:.1f}% {'faster' if a[0] <= base else 'slower'} "
                          "(one round: no noise estimate, no verdict)")
            continue
        tol = max(0.02, (max(one) - min(one)) / base)
        checks.append(f"- {w}: 2 threads adapting {a[0]:.1f} ms vs 1 thread {base:.1f} ms "
                      f"({(a[0] / base - 1) * 100:+.1f}%; 1 thread {min(one):.1f}-{max(one):.1f} over "
                      f"{len(one)} rounds, tolerance {tol * 100:.1f}%): {'OK' if a[0] <= base * (1 + tol) else 'SLOWER'}")
print("\nCheck: with one core busy, longseq's 2-thread step (adapting, the ls_train default) is no "
      "slower than its 1-thread step beyond the noise (the 1-thread step's spread between rounds, at least 2%).")
print("\n".join(checks))
EOF
cat "$OUT/table.md"
cp "$OUT/table.md" "${BENCH_OUT:-$ROOT/bench-out}/busy-latest.md"
echo "raw results: $OUT" >&2
