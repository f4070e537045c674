#!/usr/bin/env bash
# bench/mpi.sh - one process against mpirun -np 2 on this machine, interleaved, and the table
# paper/tables/mpi_scaling.md (README "MPI", copied there by make readme). Called by
# `make bench-mpi`, which builds build-mpi/bench_mpi and build-mpi/ssm_init with MPI=1 first and
# passes the Makefile's MPIRUN (the mpirun flags a container needs) and MPIENV.
#
# usage: bash bench/mpi.sh [--rounds N] [--quiet] [--build DIR] [--out FILE] [--summarize DIR]
#   --rounds N   rounds (default 2); every round measures every row once, the order reversed in
#                even rounds so that a drifting load touches both sides alike
#   --quiet      no progress lines on stderr
#   --build DIR  the MPI build (default build-mpi)
#   --out FILE   the table (default paper/tables/mpi_scaling.md)
#   --summarize DIR  no runs: the table again from an earlier run's raw output (bench-out/mpi-*)
# Rows of a round:
#   a. ./build-mpi/bench_mpi --threads 2 --steps 12                   1 rank x 2 threads
#   b. ./build-mpi/bench_mpi --threads 1 --steps 12                   1 rank x 1 thread
#   c. $MPIRUN -np 2 ./build-mpi/bench_mpi --threads 1 --steps 12     2 ranks x 1 thread
#   d. ./build-mpi/ssm_init --profile smoke --threads 1               one process, empty cache
#   e. $MPIRUN -np 2 ./build-mpi/ssm_init --profile smoke --threads 1 2 ranks, empty cache
# (ssm_init runs in a new folder of its own, with --data pointing at the repository's data/, as
# tests/mpi/run.sh runs it). Every row records its wall time and CPU seconds (user + system of the
# process and every process it waited for, mpirun's ranks included, from /usr/bin/time) and the
# cores other processes used in the second before it (bench/run.sh's other_load). The machine is
# not waited on: a row that saw more than 0.25 core of other load is marked in the table.
# Raw output goes to bench-out/mpi-<date>/ (BENCH_OUT to change).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

ROUNDS=2; QUIET=0; BUILD=build-mpi; OUT_MD=paper/tables/mpi_scaling.md; SUMMARIZE=""
MPIRUN=${MPIRUN:-mpirun}
die() { echo "bench-mpi: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds)
      [ $# -ge 2 ] || { echo "bench-mpi: --rounds needs a number" >&2; exit 2; }
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "bench-mpi: --rounds '$2': a whole number >= 1" >&2; exit 2; }
      ROUNDS=$2; shift ;;
    --build|--out|--summarize)
      [ $# -ge 2 ] || { echo "bench-mpi: $1 needs a value" >&2; exit 2; }
      case "$1" in --build) BUILD=$2 ;; --out) OUT_MD=$2 ;; *) SUMMARIZE=$2 ;; esac; shift ;;
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench-mpi: unknown option '$1' (options: --rounds N, --quiet, --build DIR, --out FILE, --summarize DIR)" >&2
       exit 2 ;;
  esac
  shift
done

# ---------- the table, from a run directory's meta.txt and records.tsv ----------
meta() { sed -n "s/^$1: //p" "$RUN/meta.txt" | head -n 1; }
summarize() {   # writes $OUT_MD (and a copy in $RUN) from $RUN
mkdir -p "$(dirname "$OUT_MD")" || die "cannot create the folder of $OUT_MD"
awk -F'\t' -v cpu="$(meta cpu)" -v fam="$(meta family)" -v mod="$(meta model)" -v cores="$(meta cores)" \
    -v date="$(meta date)" -v commit="$(meta commit)" -v rounds="$(meta rounds)" -v mpirun="$(meta mpirun)" \
    -v elapsed="$(meta seconds)" -v raw="${RUN#"$ROOT"/}" '
function comma(x,   s, neg) {   # integer with thousands separators
  s = sprintf("%.0f", x); neg = ""
  if (substr(s, 1, 1) == "-") { neg = "-"; s = substr(s, 2) }
  while (match(s, /[0-9][0-9][0-9][0-9]([,.]|$)/)) s = substr(s, 1, RSTART) "," substr(s, RSTART + 1)
  return neg s
}
function fmt(x, kind) { return kind == "tps" ? comma(x) : kind == "loss" ? sprintf("%.6f", x) : sprintf("%.1f", x) }
function median(row, col,   a, n, i, j, t) {
  n = 0; for (i = 1; i <= rounds; i++) a[++n] = v[row, col, i]
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
  return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function cell(row, col, kind,   s, i) {   # median [round 1, round 2, ...], a dagger on a loaded round
  s = ""
  for (i = 1; i <= rounds; i++) s = s (i > 1 ? ", " : "") fmt(v[row, col, i], kind) (ol[row, i] > 0.25 ? "†" : "")
  return fmt(median(row, col), kind) " [" s "]"
}
function ratio(r1, r2, col) {   # the loss: the difference instead
  if (col == "loss") return sprintf("difference %+.6f", median(r2, col) - median(r1, col))
  return sprintf("%.2f×", median(r2, col) / median(r1, col))
}
function line(work, r1, r2, col, kind) {
  printf "| %s | %s | %s | %s |\n", work, cell(r1, col, kind), cell(r2, col, kind), ratio(r1, r2, col)
}
{ v[$2, "wall", $1] = $4; v[$2, "cpu", $1] = $5; v[$2, "tps", $1] = $6; v[$2, "loss", $1] = $7
  ol[$2, $1] = $3; nrec++; if ($3 > 0.25) nload++
  if (nrec == 1 || $3 < lo) lo = $3; if (nrec == 1 || $3 > hi) hi = $3 }
END {
  w1 = "W1-sized `ls_train` run (`bench_mpi`)"
  sm = "`ssm_init --profile smoke --threads 1`, empty cache"
  load = nload ? sprintf("other load seen: more than 0.25 core before %d of %d rows (marked †), %.2f to %.2f cores", nload, nrec, lo, hi) \
               : sprintf("no other load seen (at most %.2f core before any row)", hi)
  print "### MPI scaling: one process against 2 ranks of 1 thread on this machine"
  print ""
  printf "*machine %s, family %s model %s, %d cores · date %s · commit %s · rounds %d, interleaved%s · %s · mpirun: `%s` · %d s of measuring · raw output %s*\n", \
    cpu, fam, mod, cores, date, commit, rounds, (rounds > 1 ? ", order reversed in even rounds" : ""), load, mpirun, elapsed, raw
  print ""
  print "| work | one process | 2 ranks × 1 thread | ratio |"
  print "|---|---:|---:|---:|"
  line(w1 ", tokens/s; one process of 2 threads", "a", "c", "tps", "tps")
  line(w1 ", tokens/s; one process of 1 thread", "b", "c", "tps", "tps")
  line(w1 ", CPU s; one process of 2 threads", "a", "c", "cpu", "s")
  line(w1 ", CPU s; one process of 1 thread", "b", "c", "cpu", "s")
  line(w1 ", final loss; one process of 2 threads", "a", "c", "loss", "loss")
  line(sm ", wall s", "d", "e", "wall", "s")
  line(sm ", CPU s", "d", "e", "cpu", "s")
  print ""
  print "- Each cell: the median over rounds, then every round'"'"'s value in brackets; † marks a row measured after more than 0.25 core of other load (the cores other processes used in the second before it). Ratio: 2 ranks ÷ one process (above 1: more tokens/s, or more seconds)."
  print "- W1-sized run: `bench/bench_mpi.c`, the W1 model of `make bench` (Transformer d 128, 4 layers, 4 heads, FFN 512, T 1024) trained 12 steps of global batch 8 on random bytes; with 2 ranks each rank computes half of every batch and one `MPI_Allreduce` a step sums the gradients. The ssm_init rows: its smoke profile'"'"'s runs dealt to the 2 ranks (run-parallel table)."
  print "- tokens/s: the global batch'"'"'s tokens over `ls_train`'"'"'s wall time, as `bench_mpi` prints it on rank 0; CPU s: user + system time of the process and everything it waited for (`mpirun` and both ranks), from `/usr/bin/time`; ssm_init wall s: the whole command, `mpirun` start-up included, each run in a new folder with no cache."
  print "- Regenerate: `make bench-mpi` (bench/mpi.sh; `make bench-mpi BENCH_MPI_ARGS=\"--rounds 3\"` for more rounds), then `make readme`."
}' "$RUN/records.tsv" > "$OUT_MD.tmp" || die "could not write $OUT_MD.tmp"
mv "$OUT_MD.tmp" "$OUT_MD" || die "could not write $OUT_MD"
cp "$OUT_MD" "$RUN/table.md"
[ "$QUIET" = 1 ] || cat "$OUT_MD"
echo "bench-mpi: wrote $OUT_MD from ${RUN#"$ROOT"/} ($(meta rounds) round(s), $(meta seconds) s of measuring)"
}
if [ -n "$SUMMARIZE" ]; then
  RUN=$(cd "$SUMMARIZE" 2>/dev/null && pwd) || die "--summarize $SUMMARIZE: no such folder"
  if [ ! -s "$RUN/records.tsv" ] || [ ! -s "$RUN/meta.txt" ]; then
    die "--summarize $SUMMARIZE: no records.tsv and meta.txt in it"
  fi
  summarize; exit 0
fi

# ---------- what it needs ----------
for b in bench_mpi ssm_init; do
  [ -x "$BUILD/$b" ] ||
    die "$BUILD/$b missing: run 'make bench-mpi' (it builds $BUILD/$b with MPI=1; this script only runs)"
done
read -ra MPI_CMD <<< "$MPIRUN"   # the mpirun command line, split into words
command -v "${MPI_CMD[0]}" >/dev/null 2>&1 || die "'${MPIRUN%% *}' not found: make mpi-deps installs Open MPI"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time')"
[ -d "$ROOT/data" ] || die "$ROOT/data missing: make data fetches it"
B=$(cd "$BUILD" && pwd)

RUN=${BENCH_OUT:-$ROOT/bench-out}/mpi-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$RUN" || die "cannot create $RUN"
REC=$RUN/records.tsv   # round row other_cores wall_s cpu_s tokens_per_s final_loss
: > "$REC"
T0=$(date +%s)

# cores used by processes other than ours over 1 s (busy jiffies incl. steal), as bench/run.sh
other_load() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat); sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}'
}

ROWS="a b c d e"
desc() {
  case "$1" in
    a) echo "bench_mpi, 1 rank x 2 threads" ;;
    b) echo "bench_mpi, 1 rank x 1 thread" ;;
    c) echo "bench_mpi, mpirun -np 2, 1 thread each" ;;
    d) echo "ssm_init --profile smoke, one process" ;;
    e) echo "ssm_init --profile smoke, mpirun -np 2" ;;
  esac
}
N=$((ROUNDS * 5)); k=0

measure() {  # round row
  local r=$1 row=$2 dir=$RUN/r$1-$2 ol rc=0 line wall cpu tps=- loss=-
  local -a cmd
  case "$row" in
    a) cmd=("$B/bench_mpi" --threads 2 --steps 12) ;;
    b) cmd=("$B/bench_mpi" --threads 1 --steps 12) ;;
    c) cmd=("${MPI_CMD[@]}" -np 2 "$B/bench_mpi" --threads 1 --steps 12) ;;
    d) cmd=("$B/ssm_init" --profile smoke --quiet --threads 1 --data "$ROOT/data" --out .) ;;
    e) cmd=("${MPI_CMD[@]}" -np 2 "$B/ssm_init" --profile smoke --quiet --threads 1 --data "$ROOT/data" --out .) ;;
  esac
  mkdir -p "$dir"
  k=$((k + 1))
  ol=$(other_load)
  [ "$QUIET" = 1 ] || echo "bench-mpi: row $k of $N: round $r, $(desc "$row") (other load before: $ol core)" >&2
  (cd "$dir" && /usr/bin/time -f "%e %U %S" -o time.txt "${cmd[@]}" > out.txt 2> err.txt) || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "bench-mpi: row $k failed (exit $rc): ${cmd[*]}" >&2
    tail -n 20 "$dir/err.txt" >&2
    exit 1
  fi
  read -r wall cpu < <(awk 'END{printf "%.2f %.2f\n", $1, $2 + $3}' "$dir/time.txt")
  case "$row" in
    a|b|c)
      line=$(grep -m1 '^bench_mpi W1:' "$dir/out.txt") ||
        die "row $k: no 'bench_mpi W1:' line in $dir/out.txt"
      tps=$(sed -E 's/.* ([0-9.]+) tokens\/s.*/\1/' <<< "$line")
      loss=$(sed -E 's/.*final loss ([0-9.eE+-]+).*/\1/' <<< "$line") ;;
    d|e)
      [ -s "$dir/ssm_init.md" ] || die "row $k: ssm_init wrote no table in $dir"
      rm -rf "$dir/results" ;;   # the cache: only the table and the program's output are kept
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$row" "$ol" "$wall" "$cpu" "$tps" "$loss" >> "$REC"
  if [ "$QUIET" != 1 ]; then
    if [ "$tps" != - ]; then echo "bench-mpi:   wall $wall s, CPU $cpu s, $tps tokens/s, final loss $loss" >&2
    else echo "bench-mpi:   wall $wall s, CPU $cpu s" >&2; fi
  fi
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo "mpirun: $MPIRUN"
  echo "rounds: $ROUNDS"
  echo "cpu: $(lscpu | awk -F: '/^Model name/{gsub(/^ +/,"",$2); print $2; exit}')"
  echo "family: $(lscpu | awk -F: '/^CPU family/{gsub(/ /,"",$2); print $2; exit}')"
  echo "model: $(lscpu | awk -F: '/^Model:/{gsub(/ /,"",$2); print $2; exit}')"
  echo "cores: $(nproc)"
} > "$RUN/meta.txt"
for r in $(seq 1 "$ROUNDS"); do
  order=$ROWS
  [ $((r % 2)) = 0 ] && order=$(tr ' ' '\n' <<< "$ROWS" | tac | tr '\n' ' ')
  for row in $order; do measure "$r" "$row"; done
done
echo "seconds: $(( $(date +%s) - T0 ))" >> "$RUN/meta.txt"
summarize
