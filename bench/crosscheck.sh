#!/bin/bash
# bench/crosscheck.sh - the longseq vs PyTorch training cross-check of the report (make crosscheck).
#
#   bash bench/crosscheck.sh [ROOT] [STEPS]      (defaults: bench-out/crosscheck, 300; the Image
#                                                 Transformer, PyTorch's slowest run, at STEPS / 2)
#
# For each run of bench/train_crosscheck.py's list: build/train_export trains longseq at seeds 1 and
# 2 (writing the initial parameters, batches and validation set of each), then bench/torch_train.py
# trains PyTorch from seed 1's export. One thread each, one process at a time; a finished part
# (its CSV exists) is not redone, so an interrupted run continues. Then train_crosscheck.py writes
# paper/tables/torch_crosscheck.{md,csv} and the figure. Needs data/ (make data), build/train_export
# and Debian's python3-torch (make bench-deps).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:-bench-out/crosscheck}
STEPS=${2:-300}
X=./build/train_export
PY=/usr/bin/python3
[ -x "$X" ] || { echo "crosscheck: $X is missing (make build/train_export)" >&2; exit 1; }
mkdir -p "$ROOT"
run() {
    local name=$1 steps=$2; shift 2
    for s in 1 2; do
        local d="$ROOT/$name-s$s"
        if [ ! -f "$d/longseq.csv" ]; then
            echo "crosscheck: $name seed $s: longseq ($(date +%T))" >&2
            "$X" "$@" --steps "$steps" --seed "$s" --threads 1 --quiet --out "$d" > "$d.log" 2>&1 ||
                { echo "crosscheck: $name seed $s failed, see $d.log" >&2; exit 1; }
        fi
    done
    if [ ! -f "$ROOT/$name-s1/torch.csv" ]; then
        echo "crosscheck: $name seed 1: PyTorch ($(date +%T))" >&2
        "$PY" bench/torch_train.py "$ROOT/$name-s1" --threads 1 --keep-memory >> "$ROOT/$name-s1.log" 2>&1 ||
            { echo "crosscheck: $name PyTorch failed, see $ROOT/$name-s1.log" >&2; exit 1; }
    fi
}
run text-s4d     "$STEPS"       --task text  --model s4d --objective mlm
run img-s4d      "$STEPS"       --task image --model s4d --objective classify
run text-tr-rope "$STEPS"       --task text  --model transformer --pos rope --objective mlm
run text-tr-sin  "$STEPS"       --task text  --model transformer --pos sinusoidal --objective mlm
run img-tr-sin   $((STEPS / 2)) --task image --model transformer --pos sinusoidal --objective classify
"$PY" bench/train_crosscheck.py "$ROOT"
