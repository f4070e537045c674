#!/usr/bin/env bash
# bench/bits.sh - does the working tree compute the same bits as a commit? (`make bits-check`)
# usage: bash bench/bits.sh [REV] [--march "FLAGS"]...      (REV default HEAD)
# Builds bench/bits.c against the working tree's longseq.h and against REV's, for each --march
# (default: -march=native, -mavx2 -mfma, and the portable build), runs both at 1 and 2 threads and
# compares the lines (bench/bits.c says what they fingerprint). Exit 0 when every line is the same,
# 1 when any differs (the differing lines are printed), 2 on bad usage or a failed build.
# For changes meant to keep every result: a rounding change shows here, and then needs the
# results-cache version bumped (RP_CODE_VERSION in experiments/report.h).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REV=HEAD
MARCHES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --march) [ $# -ge 2 ] || { echo "bits.sh: --march needs flags" >&2; exit 2; }; MARCHES+=("$2"); shift ;;
    -*) echo "bits.sh: unknown option '$1'" >&2; exit 2 ;;
    *) REV=$1 ;;
  esac
  shift
done
[ ${#MARCHES[@]} -gt 0 ] || MARCHES=("-march=native" "-mavx2 -mfma" "")
CC=${CC:-cc}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/old/bench" "$TMP/new/bench"
git -C "$ROOT" show "$REV:longseq.h" > "$TMP/old/longseq.h" 2>/dev/null ||
  { echo "bits.sh: no longseq.h at '$REV'" >&2; exit 2; }
cp "$ROOT/longseq.h" "$TMP/new/longseq.h"
rc=0
for m in "${MARCHES[@]}"; do
  for side in old new; do
    cp "$ROOT/bench/bits.c" "$TMP/$side/bench/bits.c"
    # shellcheck disable=SC2086
    $CC -std=c99 -O3 $m -fopenmp "$TMP/$side/bench/bits.c" -o "$TMP/$side/bits" -lm ||
      { echo "bits.sh: build failed ($side, '${m:-portable}')" >&2; exit 2; }
  done
  for t in 1 2; do
    "$TMP/old/bits" "$t" > "$TMP/old.txt" || exit 2
    "$TMP/new/bits" "$t" > "$TMP/new.txt" || exit 2
    if cmp -s "$TMP/old.txt" "$TMP/new.txt"; then
      echo "bits.sh: ${m:-portable}, $t thread(s): the same bits as $REV ($(wc -l < "$TMP/new.txt") configurations)"
    else
      echo "bits.sh: ${m:-portable}, $t thread(s): DIFFERENT bits from $REV:"
      diff "$TMP/old.txt" "$TMP/new.txt" | sed 's/^/  /'
      rc=1
    fi
  done
done
exit $rc
