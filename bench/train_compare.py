#!/usr/bin/python3
"""Compare the learning curves of longseq and PyTorch on one exported run.

    /usr/bin/python3 bench/train_compare.py DIR [--window 25]

DIR holds longseq.csv (written by build/train_export) and torch.csv (bench/torch_train.py), both
with the columns impl,step,train_loss,val_loss,val_acc,wall_s,cpu_s, where row s describes the
parameters after s updates (train_loss: the loss of training batch s under them; val_*: the fixed
validation set, at s = 0, every eval_every steps and at the end; wall_s, cpu_s: cumulative seconds
of the training steps, evaluation excluded). Prints:
  - the training loss averaged over windows of --window steps, for both, and the difference;
  - the validation loss and accuracy at each evaluation, for both;
  - the largest absolute difference of the per-step training loss and of the validation loss;
  - the cost per step (median over steps >= 2, mean over all; CPU and wall) of each implementation.
Plain Python (no torch needed); torch_train.py calls summarize() after training.
"""
import argparse
import os
import sys


def read_csv(path):
    """rows as dicts; numeric fields as float, empty fields as None"""
    rows = []
    with open(path) as f:
        head = f.readline().strip().split(",")
        for line in f:
            vals = line.strip().split(",")
            if len(vals) != len(head):
                continue
            r = {}
            for k, v in zip(head, vals):
                if k == "impl":
                    r[k] = v
                elif k == "step":
                    r[k] = int(v)
                else:
                    r[k] = float(v) if v else None
            rows.append(r)
    return rows


def per_step_costs(rows, key):
    """the cost of each step: differences of the cumulative column over the training rows"""
    out, prev = [], 0.0
    for r in rows:
        if r["train_loss"] is None:
            continue
        out.append(r[key] - prev)
        prev = r[key]
    return out


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return float("nan")
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def summarize(d, window=25, out=sys.stdout):
    a = read_csv(os.path.join(d, "longseq.csv"))
    b = read_csv(os.path.join(d, "torch.csv"))
    A = {r["step"]: r for r in a}
    Bm = {r["step"]: r for r in b}
    steps = sorted(s for s in A if s in Bm and A[s]["train_loss"] is not None and Bm[s]["train_loss"] is not None)
    p = lambda *x: print(*x, file=out)  # noqa: E731
    p("== %s: longseq vs pytorch, %d common training steps ==" % (d, len(steps)))
    if not steps:
        return
    p("")
    p("training loss, mean over windows of %d steps" % window)
    p("%-12s %10s %10s %10s" % ("steps", "longseq", "pytorch", "diff"))
    for w0 in range(0, steps[-1] + 1, window):
        ws = [s for s in steps if w0 <= s < w0 + window]
        if not ws:
            continue
        la = sum(A[s]["train_loss"] for s in ws) / len(ws)
        lb = sum(Bm[s]["train_loss"] for s in ws) / len(ws)
        p("%-12s %10.4f %10.4f %+10.4f" % ("%d-%d" % (ws[0], ws[-1]), la, lb, lb - la))
    p("")
    p("validation at each evaluation (row s = after s updates)")
    p("%-6s %10s %10s %10s   %8s %8s" % ("step", "ls loss", "pt loss", "diff", "ls acc", "pt acc"))
    vsteps = sorted(s for s in A if s in Bm and A[s]["val_loss"] is not None and Bm[s]["val_loss"] is not None)
    for s in vsteps:
        p("%-6d %10.4f %10.4f %+10.4f   %8.4f %8.4f" % (s, A[s]["val_loss"], Bm[s]["val_loss"],
                                                      Bm[s]["val_loss"] - A[s]["val_loss"], A[s]["val_acc"], Bm[s]["val_acc"]))
    dt = max(abs(A[s]["train_loss"] - Bm[s]["train_loss"]) for s in steps)
    st = max(steps, key=lambda s: abs(A[s]["train_loss"] - Bm[s]["train_loss"]))
    p("")
    p("max |train loss diff| over steps: %.3g (step %d); step 0: %.3g (relative %.2e)"
      % (dt, st, abs(A[0]["train_loss"] - Bm[0]["train_loss"]) if 0 in steps else float("nan"),
         abs(A[0]["train_loss"] - Bm[0]["train_loss"]) / abs(A[0]["train_loss"]) if 0 in steps else float("nan")))
    if vsteps:
        dv = max(abs(A[s]["val_loss"] - Bm[s]["val_loss"]) for s in vsteps)
        sv = max(vsteps, key=lambda s: abs(A[s]["val_loss"] - Bm[s]["val_loss"]))
        p("max |val loss diff| over evaluations: %.3g (step %d)" % (dv, sv))
    p("")
    # the first steps of both pay for growing memory (longseq's arena, PyTorch's optimiser state and
    # allocator): the median leaves out the first WARM steps
    warm = 2 if len(steps) > 2 else 0
    p("cost per training step (evaluation excluded; median over steps >= %d, mean over all)" % warm)
    med = {}
    for name, rows in (("longseq", a), ("pytorch", b)):
        c, w = per_step_costs(rows, "cpu_s"), per_step_costs(rows, "wall_s")
        med[name] = median(c[warm:])
        p("  %-8s CPU median %.3f s, mean %.3f s;  wall median %.3f s, mean %.3f s  (%d steps)"
          % (name, med[name], sum(c) / max(len(c), 1), median(w[warm:]), sum(w) / max(len(w), 1), len(c)))
    if med["longseq"] > 0:
        p("  pytorch / longseq CPU per step (medians): %.2fx" % (med["pytorch"] / med["longseq"]))


def main():
    ap = argparse.ArgumentParser(description="longseq vs PyTorch learning curves of one exported run")
    ap.add_argument("dir")
    ap.add_argument("--window", type=int, default=25)
    args = ap.parse_args()
    summarize(args.dir, args.window)


if __name__ == "__main__":
    main()
