#!/usr/bin/python3
"""The report's table and figure of the longseq vs PyTorch training cross-check.

    /usr/bin/python3 bench/train_crosscheck.py ROOT [--out paper/tables]

ROOT holds one folder per run and seed, NAME-s1 and NAME-s2, each written by build/train_export
(longseq.csv); NAME-s1 also holds bench/torch_train.py's torch.csv, trained from the same initial
parameters on the same batches (bench/crosscheck.sh makes them all). Seed 2 is longseq again with
another initialisation, batch order and masking: the spread between two seeds is the yardstick.

The two implementations agree on a run when the largest gap between their curves is no larger
than the largest gap between longseq's two seeds, for both curves: the validation loss at every
evaluation from step 50 on (past the warm-up), and the training loss averaged over 25-step windows.
Writes OUT/torch_crosscheck.{md,csv,tex} and OUT/torch_crosscheck_fig.tex (pgfplots, for the paper),
each atomically (temporary file, then rename).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_compare import read_csv, per_step_costs, median  # noqa: E402

RUNS = [  # folder name, label
    ("text-tr-sin", "Text, masked LM, Transformer (sinusoidal)"),
    ("text-tr-rope", "Text, masked LM, Transformer (RoPE)"),
    ("text-s4d", "Text, masked LM, S4D"),
    ("img-tr-sin", "Image, classification, Transformer (sinusoidal)"),
    ("img-s4d", "Image, classification, S4D"),
]
WINDOW, FROM = 25, 50


def windows(rows):
    """(window start step, mean train loss, cumulative CPU s at its end) per 25-step window"""
    tr = [r for r in rows if r["train_loss"] is not None]
    out = []
    for w0 in range(0, len(tr), WINDOW):
        ws = tr[w0:w0 + WINDOW]
        if len(ws) == WINDOW:
            out.append((ws[0]["step"], sum(r["train_loss"] for r in ws) / WINDOW, ws[-1]["cpu_s"]))
    return out


def vals(rows):
    return {r["step"]: r for r in rows if r["val_loss"] is not None}


def gap(a, b, keys):
    return max((abs(a[k] - b[k]) for k in keys), default=float("nan"))


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("root")
    ap.add_argument("--out", default="paper/tables")
    args = ap.parse_args()
    rows, fig, missing = [], [], []
    for name, label in RUNS:
        d1, d2 = os.path.join(args.root, name + "-s1"), os.path.join(args.root, name + "-s2")
        paths = [os.path.join(d1, "longseq.csv"), os.path.join(d1, "torch.csv"), os.path.join(d2, "longseq.csv")]
        if not all(os.path.exists(p) for p in paths):
            missing.append(name)
            continue
        ls1, pt1, ls2 = (read_csv(p) for p in paths)
        v1, vp, v2 = vals(ls1), vals(pt1), vals(ls2)
        ks = sorted(k for k in v1 if k >= FROM and k in vp and k in v2)
        w1, wp, w2 = windows(ls1), windows(pt1), windows(ls2)
        n = min(len(w1), len(wp), len(w2))
        tw = lambda w: {i: w[i][1] for i in range(n)}  # noqa: E731
        vl = lambda v: {k: v[k]["val_loss"] for k in ks}  # noqa: E731
        g_impl_v, g_seed_v = gap(vl(v1), vl(vp), ks), gap(vl(v1), vl(v2), ks)
        g_impl_t, g_seed_t = gap(tw(w1), tw(wp), range(n)), gap(tw(w1), tw(w2), range(n))
        last = ks[-1]
        warm = 2
        c_ls, c_pt = median(per_step_costs(ls1, "cpu_s")[warm:]), median(per_step_costs(pt1, "cpu_s")[warm:])
        agree = g_impl_v <= g_seed_v and g_impl_t <= g_seed_t
        metric = "acc" if "classification" in label else "loss"
        fin = lambda r: "%.1f%%" % (100 * r["val_acc"]) if metric == "acc" else "%.3f" % r["val_loss"]  # noqa: E731
        step0 = abs(ls1[0]["train_loss"] - pt1[0]["train_loss"]) / abs(ls1[0]["train_loss"])
        rows.append([label, str(last), "%.1e" % step0 if step0 > 0 else "< 1e-7",   # the CSVs keep 8 digits fin(v1[last]), fin(vp[last]), fin(v2[last]),
                     "%.3f / %.3f" % (g_impl_v, g_seed_v), "%.3f / %.3f" % (g_impl_t, g_seed_t),
                     "yes" if agree else "no", "%.3f / %.3f" % (c_ls, c_pt), "%.1f×" % (c_pt / c_ls)])
        fig.append((label, w1[:n], wp[:n], w2[:n]))
    if not rows:
        sys.exit("train_crosscheck: no complete run under %s (need NAME-s1/longseq.csv, NAME-s1/torch.csv, "
                 "NAME-s2/longseq.csv for NAME in %s)" % (args.root, ", ".join(r[0] for r in RUNS)))
    head = ["run", "steps", "step-0 loss rel. diff", "final val: longseq", "PyTorch", "longseq seed 2",
            "val loss gap: impl / seeds", "train loss gap: impl / seeds", "agree", "CPU s/step: longseq / PyTorch", "ratio"]
    md = ["### Training cross-check: longseq against PyTorch on the same initial parameters and batches", "",
          "*machine %s; 1 thread each; the report's cpu-profile sizes, steps as in the table (warm-up 10%%, cosine to the "
          "last step); PyTorch %s; gaps from step %d on; times are process CPU seconds (the runs shared the machine with "
          "other jobs)*" % (cpu_name(), torch_version(), FROM), "",
          "| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", "- step-0 loss rel. diff: |PyTorch − longseq| / longseq of the first batch's loss at the shared initial parameters.",
           "- final val: validation accuracy (classification) or masked-LM loss in nats (LM) after the last step, "
           "on the same 200 validation examples; seed 2 is another initialisation, batch order and masking.",
           "- gaps: the largest absolute difference between PyTorch and longseq (same seed) against the largest between "
           "longseq's seeds 1 and 2: validation loss at every evaluation from step %d, training loss in %d-step windows. "
           "agree: the implementation gap is within the seed gap for both." % (FROM, WINDOW),
           "- CPU s/step: median process CPU time of a training step (evaluation excluded, first 2 steps left out); "
           "PyTorch with freed memory kept for reuse (torch_train.py --keep-memory; glibc's default returns the attention "
           "buffers to the OS every step, which costs ~10x here)."]
    if missing:
        md.append("- not run: " + ", ".join(missing))
    md.append("")
    os.makedirs(args.out, exist_ok=True)
    write_atomic(os.path.join(args.out, "torch_crosscheck.md"), "\n".join(md) + "\n")
    write_atomic(os.path.join(args.out, "torch_crosscheck.csv"),
                 ",".join(head) + "\n" + "\n".join(",".join('"%s"' % c if "," in c else c for c in r) for r in rows) + "\n")
    write_atomic(os.path.join(args.out, "torch_crosscheck.tex"), latex(head, rows, md))
    write_atomic(os.path.join(args.out, "torch_crosscheck_fig.tex"), figure(fig))
    print("train_crosscheck: wrote %s/torch_crosscheck.{md,csv,tex} and torch_crosscheck_fig.tex (%d runs%s)"
          % (args.out, len(rows), "; missing " + ", ".join(missing) if missing else ""))


def tex(text):
    """text with LaTeX's special characters escaped and the few non-ASCII ones the table uses"""
    for a, b in (("\\", "\\textbackslash{}"), ("%", "\\%"), ("&", "\\&"), ("_", "\\_"), ("#", "\\#"),
                 ("×", "$\\times$"), ("−", "$-$"), ("—", "---"), ("|", "$|$"), ("~", "$\\sim$")):
        text = text.replace(a, b)
    return text


def latex(head, rows, md):
    """the table as a LaTeX float: caption from the Markdown title, notes below, full width"""
    title = md[0].lstrip("# ")
    cap = md[2].strip("*")
    notes = [l[2:] for l in md if l.startswith("- ")]
    out = ["% generated by bench/train_crosscheck.py; do not edit", "\\begin{table}[t]", "\\centering\\small",
           "\\resizebox{\\linewidth}{!}{%", "\\begin{tabular}{l" + "r" * (len(head) - 1) + "}", "\\hline",
           " & ".join(tex(h) for h in head) + " \\\\", "\\hline"]
    out += [" & ".join(tex(c) for c in r) + " \\\\" for r in rows]
    out += ["\\hline", "\\end{tabular}}", "\\caption{%s. {\\footnotesize %s}}\\label{tab:torch-crosscheck}" % (tex(title), tex(cap)),
            "{\\footnotesize\\raggedright\\setlength{\\parskip}{1pt}"]
    out += [tex(n) + "\\par" for n in notes]
    out += ["}", "\\end{table}", ""]
    return "\n".join(out)


def cpu_name():
    """the processor, as /proc/cpuinfo names it, and the core count"""
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        field = lambda k: [l.split(":", 1)[1].strip() for l in lines if l.split(":")[0].strip() == k]  # noqa: E731
        names = field("model name")
        return "%s, family %s model %s, %d cores" % (names[0], field("cpu family")[0], field("model")[0], len(names))
    except (OSError, IndexError):
        return "unknown"


def torch_version():
    try:
        import importlib.metadata as md
        return md.version("torch")
    except Exception:  # noqa: BLE001 (torch is not needed to write the table)
        return "(version unknown)"


def figure(fig):
    """two panels per run: training loss (25-step window means) against step and against CPU seconds"""
    out = ["% generated by bench/train_crosscheck.py; do not edit",
           "\\begin{tikzpicture}",
           "\\begin{groupplot}[group style={group size=2 by %d, horizontal sep=1.6cm, vertical sep=1.3cm}," % len(fig),
           "  width=0.46\\linewidth, height=0.22\\linewidth, tick label style={font=\\scriptsize},",
           "  label style={font=\\scriptsize}, title style={font=\\footnotesize}, ylabel={train loss}]"]
    for i, (label, w1, wp, w2) in enumerate(fig):
        for x in ("step", "cpu"):
            opts = "title={%s}, xlabel={%s}" % (label, "step" if x == "step" else "CPU seconds (1 thread)")
            if i == 0 and x == "step":
                opts += ", legend to name=xcleg, legend columns=3"
            out.append("\\nextgroupplot[%s]" % opts)
            for w, style, name in ((w1, "red, mark=*, mark size=0.8pt", "longseq, seed 1"), (wp, "blue, dashed, mark=o, mark size=0.8pt", "PyTorch, seed 1"),
                                   (w2, "gray, mark=none", "longseq, seed 2")):
                pts = " ".join("(%.2f,%.4f)" % ((s + WINDOW / 2) if x == "step" else c, l) for s, l, c in w)
                out.append("\\addplot[%s] coordinates {%s};" % (style, pts))
                if i == 0 and x == "step":
                    out.append("\\addlegendentry{%s}" % name)
    out += ["\\end{groupplot}", "\\end{tikzpicture}", "", "\\smallskip\\centerline{\\ref{xcleg}}", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
