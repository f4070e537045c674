#!/usr/bin/python3
"""PyTorch re-implementation of a longseq training run exported by bench/train_export.c.

Run with Debian's interpreter (python3-torch is a Debian package; a pyenv python on PATH does
not see it), from the repository root:

    ./build/train_export --task text --model transformer --pos rope --objective mlm \
        --steps 300 --seed 1 --threads 1 --out /tmp/xc/text-tr
    /usr/bin/python3 bench/torch_train.py /tmp/xc/text-tr --threads 1           # trains, writes torch.csv
    /usr/bin/python3 bench/torch_train.py /tmp/xc/text-tr --check               # step-0 loss and gradients only
    /usr/bin/python3 bench/train_compare.py /tmp/xc/text-tr                     # the summary again

What it does. It reads DIR (meta.txt, params.bin, batches.bin, val.bin; formats in the header
comment of bench/train_export.c), builds the same model as longseq in float32 from the exported
initial parameters (so the initialisation is identical), and trains it on the exported batches
with the same optimiser: AdamW (beta1 0.9, beta2 0.999, eps 1e-8, bias correction, decoupled
weight decay p <- p (1 - lr wd)) in three groups as ls_train sets them up (weights: lr, wd 0.01;
biases, norms, embeddings: lr, wd 0; S4D dynamics log_dt, log_a_re, a_im: ssm_lr, wd 0), global-norm
clipping at 1 (longseq's rule: if norm > clip, g *= clip / (norm + 1e-6)), and longseq's warm-up +
cosine schedule (ls_schedule). It writes DIR/torch.csv with the columns of DIR/longseq.csv
(impl,step,train_loss,val_loss,val_acc,wall_s,cpu_s; same row convention: row s = the parameters
after s updates) and prints the comparison of bench/train_compare.py.

--check computes, with the initial parameters, the loss of the first training batch and its
gradient, and the validation loss, and compares them with longseq's (longseq.csv row 0 and
grads0.bin): the port is right when the losses agree to ~1e-5 relative and the gradients to ~1e-4.

The model, as longseq.h builds it (ls_model_init, ls_model_encode, ls_model_forward):
  embedding (vocab, d) looked up, no sqrt(d) scale; Transformer + sinusoidal: + PE with
  PE[t, 2i] = sin(t w_i), PE[t, 2i+1] = cos(t w_i), w_i = 10000^(-2i/d) (interleaved, not halves).
  Pre-LN layers (LayerNorm eps 1e-5), then a final LayerNorm:
    Transformer: x += Wo attn(LN1 x); x += FFN(LN2 x). Linear weights are stored (in, out): y = x W + b.
      attn: heads of D = d/H channels (head h = channels h*D .. h*D+D-1), logits q.k / sqrt(D), no
      causal mask, padding keys (t >= length) hidden. RoPE (ls_rope): channel pairs (2i, 2i+1)
      inside each head rotated by angle t * theta_i, theta_i = float32(10000^(-2i/D)).
      FFN: GELU (exact, erf) between two linears.
    S4D: x += GLU(Wout GELU(conv(u) + D * v) + bout), v = LN1 x, u = v with padding positions
      zeroed. conv = causal kernel K plus anti-causal kernel K2 (bidirectional):
      y[t] = sum_{s<=t} K[s] u[t-s] + sum_{s<=T-2-t} K2[s] u[t+1+s]   (ls_fftconv)
      K[c, l] = 2 Re sum_n C'_n z_n^l, z_n = exp(dt A_n), A_n = -exp(log_a_re) + i a_im,
      dt = exp(log_dt), C'_n = (c_re + i c_im) (z_n - 1) / A_n   (ls_s4d_kernel; computed here in
      float64 like longseq, then rounded to float32). GLU: first half * sigmoid(second half).
  Heads: classify = mean (Text) or max (Image) pooling over the valid prefix, then one linear
  cls.w2/cls.b2 (no hidden layer); MLM = lm.w/lm.b on every position. Loss: cross-entropy, mean
  over kept targets (-100 ignored).

Threads: --threads N (default: the threads of the longseq run, from meta.txt) sets
torch.set_num_threads(N) and, unless already set, OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS = N and OMP_WAIT_POLICY=PASSIVE before torch is imported
(as bench/torch_ref.py is run: Debian's torch does its matmuls in OpenBLAS's own thread pool, and
with 2 cores spinning OpenMP workers otherwise fight OpenBLAS's worker thread).

Memory (--keep-memory): glibc hands every buffer above its mmap threshold (at most 32 MiB) back to
the kernel when it is freed, so each step's attention tensors (B, H, T, T) = 256 MiB at T 1024,
batch 16, 4 heads come from fresh pages, and every first touch of a page is a page fault. Where page faults are
expensive (virtual machines) that cost can dominate: in one measurement a Transformer step (text, T 1024, batch 16) took
~15 s of CPU, 8-9 s of it in the kernel, and ~1.4 s with --keep-memory, which makes glibc keep
freed memory for reuse (longseq keeps its arena across steps, so it pays these faults only in its
first steps). The default is glibc's behaviour, as bench/torch_ref.py runs; say which one a
timing used. The losses do not depend on it.
"""
import argparse
import math
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="a directory written by build/train_export")
    ap.add_argument("--threads", type=int, default=0, help="threads (default: those of the longseq run, meta.txt)")
    ap.add_argument("--steps", type=int, default=0, help="train only the first N exported steps (0 = all)")
    ap.add_argument("--check", action="store_true",
                    help="compare the step-0 loss, gradients and validation loss with longseq's, then exit")
    ap.add_argument("--no-val", action="store_true", help="--check: skip the validation loss")
    ap.add_argument("--keep-memory", action="store_true",
                    help="keep freed memory in the process (glibc MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_ huge): "
                         "no page faults on each step's fresh (B, H, T, T) buffers; see the note above")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if args.threads < 1:
        with open(os.path.join(args.dir, "meta.txt")) as f:
            args.threads = int(dict(line.split(None, 1) for line in f if " " in line).get("threads", "1"))
    return args


ARGS = parse_args()
# glibc reads its MALLOC_* variables when the process starts: set them by starting again
KEEP_MEMORY = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}
if ARGS.keep_memory and any(os.environ.get(k) != v for k, v in KEEP_MEMORY.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, **KEEP_MEMORY))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(ARGS.threads))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402  (after the thread variables, which torch and OpenBLAS read at import)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.dont_write_bytecode = True   # no bench/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_compare  # noqa: E402

IGNORE = -100
GROUP_DECAY, GROUP_NO_DECAY, GROUP_SSM = 0, 1, 2


# ------------------------------------------------------------------------------------------------
# reading the export
# ------------------------------------------------------------------------------------------------

def read_meta(d):
    """meta.txt: one "key value" line each -> dict of strings"""
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            meta[k] = v
    return meta


def read_params(path):
    """params.bin -> list of (name, group, float32 tensor), in longseq's creation order"""
    with open(path, "rb") as f:
        buf = f.read()
    assert buf[:8] == b"LSXPARAM", path + ": not a params file"
    u32 = lambda off: int(np.frombuffer(buf, "<u4", 1, off)[0])  # noqa: E731
    count, off, out = u32(8), 12, []
    for _ in range(count):
        n = u32(off); off += 4
        name = buf[off:off + n].decode(); off += n
        group, nd = u32(off), u32(off + 4); off += 8
        shape = [u32(off + 4 * k) for k in range(nd)]; off += 4 * nd
        numel = int(np.prod(shape))
        x = np.frombuffer(buf, "<f4", numel, off).reshape(shape).copy(); off += 4 * numel
        out.append((name, group, torch.from_numpy(x)))
    assert off == len(buf), path + ": trailing bytes"
    return out


def read_batches(path):
    """batches.bin / val.bin -> list of (ids (rows, T), lengths (rows), targets) int64 tensors"""
    hdr = np.fromfile(path, "<u4", 6)
    assert hdr[:2].tobytes() == b"LSXBATCH", path + ": not a batch file"
    count, rows, T, tpr = (int(v) for v in hdr[2:6])
    block = rows * T + rows + rows * tpr
    data = np.fromfile(path, "<i4", offset=24).reshape(count, block).astype(np.int64)
    out = []
    for c in range(count):
        b = torch.from_numpy(data[c])
        ids = b[:rows * T].reshape(rows, T)
        lengths = b[rows * T:rows * T + rows]
        tgt = b[rows * T + rows:]
        out.append((ids, lengths, tgt))
    return out


# ------------------------------------------------------------------------------------------------
# the model
# ------------------------------------------------------------------------------------------------

class LongseqPort(torch.nn.Module):
    """longseq's Transformer / S4D encoder with a classify or LM head, on longseq's own parameters.

    Parameters keep longseq's names ("layer0.attn.wq", ...) in self.P, and its layouts: a linear
    weight is (in, out) and applied as x @ W + b."""

    def __init__(self, meta, params):
        super().__init__()
        self.model = meta["model"]                       # transformer | s4d
        self.pos = meta["pos"]                           # sinusoidal | rope | none
        self.lm = meta["head"] == "lm"
        self.pool = meta["pool"]                         # mean | max
        self.d, self.L = int(meta["d_model"]), int(meta["n_layers"])
        self.H = int(meta["n_heads"])
        self.eps = float(meta["ln_eps"])
        self.rope_base = float(meta["rope_base"])
        self.bidirectional = int(meta["bidirectional"])
        self.glu = int(meta["glu"])
        self.P, self.group = {}, {}
        for name, group, x in params:
            p = torch.nn.Parameter(x.clone())
            self.register_parameter(name.replace(".", "__"), p)   # nn.Module names may not hold dots
            self.P[name] = p
            self.group[name] = group
        self._tables = {}

    # --- fixed tables (computed in float64 like longseq, then rounded to float32) ---
    def sinusoidal(self, T):
        if ("pe", T) not in self._tables:
            d = self.d
            w = np.power(10000.0, -2.0 * np.arange(d // 2) / d)           # w_i = 10000^(-2i/d)
            ang = np.arange(T, dtype=np.float64)[:, None] * w[None, :]
            pe = np.empty((T, d), np.float32)
            pe[:, 0::2], pe[:, 1::2] = np.sin(ang), np.cos(ang)            # interleaved sin, cos
            self._tables[("pe", T)] = torch.from_numpy(pe)
        return self._tables[("pe", T)]

    def rope_tables(self, T):
        if ("rope", T) not in self._tables:
            D = self.d // self.H
            theta = np.power(self.rope_base, -2.0 * np.arange(D // 2) / D).astype(np.float32)   # ls_rope_theta
            ang = np.arange(T, dtype=np.float64)[:, None] * theta.astype(np.float64)[None, :]
            self._tables[("rope", T)] = (torch.from_numpy(np.cos(ang).astype(np.float32)),
                                         torch.from_numpy(np.sin(ang).astype(np.float32)))
        return self._tables[("rope", T)]

    # --- sublayers ---
    def layer_norm(self, x, name):
        return F.layer_norm(x, (self.d,), self.P[name + ".g"], self.P[name + ".b"], self.eps)

    def linear(self, x, w, b):
        return torch.matmul(x, self.P[w]) + self.P[b]

    def rope(self, x):
        """x (B, H, T, D): rotate channel pairs (2i, 2i+1) by angle t theta_i (ls_rope)"""
        cos, sin = self.rope_tables(x.shape[2])
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)

    def attention(self, x, pre, keep):
        B, T, d = x.shape
        H, D = self.H, d // self.H
        heads = lambda t: t.reshape(B, T, H, D).transpose(1, 2)          # noqa: E731  (B, H, T, D)
        q = heads(self.linear(x, pre + "attn.wq", pre + "attn.bq"))
        k = heads(self.linear(x, pre + "attn.wk", pre + "attn.bk"))
        v = heads(self.linear(x, pre + "attn.wv", pre + "attn.bv"))
        if self.pos == "rope":
            q, k = self.rope(q), self.rope(k)
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(D))   # (B, H, T, T)
        if keep is not None:                                               # hide padding keys
            s = s.masked_fill(~keep[:, None, None, :], float("-inf"))
        a = torch.matmul(torch.softmax(s, dim=-1), v)                      # (B, H, T, D)
        return self.linear(a.transpose(1, 2).reshape(B, T, d), pre + "attn.wo", pre + "attn.bo")

    def ffn(self, x, pre):
        return self.linear(F.gelu(self.linear(x, pre + "ffn.w1", pre + "ffn.b1")), pre + "ffn.w2", pre + "ffn.b2")

    def s4d_kernel(self, pre, suffix, T):
        """K (C, T) = 2 Re sum_n C'_n z_n^l, in float64 (as ls_s4d_kernel), returned as float32"""
        P = lambda n: self.P[pre + "s4d." + n + suffix].double()          # noqa: E731
        dt = torch.exp(P("log_dt"))[:, None]                              # (C, 1)
        ar, ai = -torch.exp(P("log_a_re")), P("a_im")                     # A = ar + i ai   (C, N/2)
        xr, xi = dt * ar, dt * ai                                          # dt A
        zr, zi = torch.exp(xr) * torch.cos(xi), torch.exp(xr) * torch.sin(xi)   # z = exp(dt A)
        wr, wi = zr - 1.0, zi                                              # z - 1
        den = ar * ar + ai * ai
        br, bi = (wr * ar + wi * ai) / den, (wi * ar - wr * ai) / den      # Bt = (z - 1) / A
        cr, ci = P("c_re"), P("c_im")
        cpr, cpi = cr * br - ci * bi, cr * bi + ci * br                    # C' = C Bt
        l = torch.arange(T, dtype=torch.float64)
        mag = torch.exp(xr[..., None] * l)                                 # |z^l|      (C, N/2, T)
        ang = xi[..., None] * l                                            # arg z^l
        K = 2.0 * (cpr[..., None] * mag * torch.cos(ang) - cpi[..., None] * mag * torch.sin(ang)).sum(1)
        return K.float()

    def ssm(self, x, pre, keep):
        B, T, C = x.shape
        u = x if keep is None else x * keep[..., None].to(x.dtype)         # zeros at padding
        K = self.s4d_kernel(pre, "", T)
        n = 1
        while n < 2 * T:
            n *= 2                                                         # longseq's FFT length
        parts = [K, K.new_zeros(C, n - T)]
        if self.bidirectional:                                             # kk[n-1-s] = K2[s], s < T-1
            K2 = self.s4d_kernel(pre, "_rev", T)
            parts = [K, K.new_zeros(C, n - 2 * T + 1), K2[:, :T - 1].flip(-1)]
        kk = torch.cat(parts, dim=1)                                       # (C, n)
        y = torch.fft.irfft(torch.fft.rfft(u.transpose(1, 2), n=n) * torch.fft.rfft(kk, n=n), n=n)[..., :T]
        y = F.gelu(y.transpose(1, 2) + x * self.P[pre + "ssm.skip"])      # ls_gelu_skip: GELU(y + x D)
        y = self.linear(y, pre + "ssm.wout", pre + "ssm.bout")
        if self.glu:
            y = y[..., :C] * torch.sigmoid(y[..., C:])
        return y

    # --- the whole model ---
    def forward(self, ids, lengths):
        B, T = ids.shape
        keep = None
        if bool((lengths < T).any()):                                      # as ls__pad_mask: NULL without padding
            keep = torch.arange(T)[None, :] < lengths[:, None]             # (B, T) valid positions
        x = F.embedding(ids, self.P["embed"])
        if self.pos == "sinusoidal":
            x = x + self.sinusoidal(T)
        for l in range(self.L):
            pre = "layer%d." % l
            if self.model == "s4d":
                x = x + self.ssm(self.layer_norm(x, pre + "ln1"), pre, keep)
            else:
                x = x + self.attention(self.layer_norm(x, pre + "ln1"), pre, keep)
                x = x + self.ffn(self.layer_norm(x, pre + "ln2"), pre)
        x = self.layer_norm(x, "final")
        if self.lm:
            return self.linear(x, "lm.w", "lm.b")                          # (B, T, V)
        valid = torch.arange(T)[None, :, None] < lengths[:, None, None]     # (B, T, 1)
        if self.pool == "max":
            h = x.masked_fill(~valid, float("-inf")).max(dim=1).values
        else:
            h = (x * valid.to(x.dtype)).sum(dim=1) / lengths[:, None].to(x.dtype)
        return self.linear(h, "cls.w2", "cls.b2")                          # (B, classes)

    def loss(self, ids, lengths, tgt):
        logits = self.forward(ids, lengths)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt, ignore_index=IGNORE), logits


# ------------------------------------------------------------------------------------------------
# optimisation: longseq's schedule and clipping
# ------------------------------------------------------------------------------------------------

def ls_schedule(step, warmup, total):
    """ls_schedule(LS_SCHED_COSINE, ...): linear warm-up to 1, then cosine to 0 at `total`"""
    if step < warmup:
        return (step + 1) / warmup
    if total <= warmup:
        return 1.0
    prog = min(1.0, (step - warmup) / (total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * prog))


def clip_grad_norm(params, max_norm):
    """ls_clip_grad_norm: the global norm in double; scale by max_norm / (norm + 1e-6) when above"""
    norm = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in params))
    if norm > max_norm and norm > 0.0:
        s = float(np.float32(max_norm / (norm + 1e-6)))
        for p in params:
            p.grad.mul_(s)
    return norm


def make_optimizer(model, meta):
    lr, ssm_lr, wd = float(meta["lr"]), float(meta["ssm_lr"]), float(meta["wd"])
    settings = {GROUP_DECAY: (lr, wd), GROUP_NO_DECAY: (lr, 0.0), GROUP_SSM: (ssm_lr, 0.0)}
    groups = []
    for g, (glr, gwd) in settings.items():
        ps = [model.P[n] for n in model.P if model.group[n] == g]
        if ps:
            groups.append({"params": ps, "lr": glr, "base_lr": glr, "weight_decay": gwd})
    return torch.optim.AdamW(groups, lr=lr, betas=(float(meta["beta1"]), float(meta["beta2"])),
                             eps=float(meta["eps"]))


@torch.no_grad()
def evaluate(model, val, batch):
    """as ls_evaluate: batches of `batch` in order; mean loss over kept targets, accuracy of argmax"""
    ids, lengths, tgt = val
    n, T = ids.shape
    per = tgt.numel() // n
    right = total = lsum = 0.0
    for s in range(0, n, batch):
        e = min(n, s + batch)
        t = tgt[s * per:e * per]
        logits = model.forward(ids[s:e], lengths[s:e])
        logits = logits.reshape(-1, logits.shape[-1])
        kept = t != IGNORE
        k = int(kept.sum())
        if k:
            lsum += float(F.cross_entropy(logits, t, ignore_index=IGNORE)) * k
            right += float((logits.argmax(-1)[kept] == t[kept]).sum())
            total += k
    return (lsum / total if total else 0.0), (right / total if total else 0.0)


def cpu_seconds():
    return time.process_time()


# ------------------------------------------------------------------------------------------------
# --check: the port against longseq at the initial parameters
# ------------------------------------------------------------------------------------------------

def check(d, meta, model, batches, val):
    rows = train_compare.read_csv(os.path.join(d, "longseq.csv"))
    ls0 = rows[0]
    ids, lengths, tgt = batches[0]
    model.zero_grad(set_to_none=True)
    c0 = cpu_seconds()
    loss, _ = model.loss(ids, lengths, tgt)
    loss.backward()
    step_cpu = cpu_seconds() - c0
    ok = True
    rel = abs(float(loss) - ls0["train_loss"]) / abs(ls0["train_loss"])
    ok &= rel < 1e-5
    print("check %s: step-0 train loss  longseq %.8f  pytorch %.8f  rel diff %.2e  %s"
          % (d, ls0["train_loss"], float(loss), rel, "ok" if rel < 1e-5 else "MISMATCH"))
    gpath = os.path.join(d, "grads0.bin")
    if os.path.exists(gpath):
        worst, num, den = [], 0.0, 0.0
        for name, _, g_ls in read_params(gpath):
            g_pt = model.P[name].grad
            g_pt = torch.zeros_like(g_ls) if g_pt is None else g_pt
            e = float((g_pt.double() - g_ls.double()).norm())
            nrm = float(g_ls.double().norm())
            num += e * e
            den += nrm * nrm
            worst.append((e / max(nrm, 1e-30), e, nrm, name))
        grel = math.sqrt(num) / max(math.sqrt(den), 1e-30)
        # a gradient that is zero in exact arithmetic (the key bias without RoPE: softmax ignores a
        # shift common to all keys) is float32 noise in both programs; leave it out of the listing
        tiny = [w for w in worst if w[2] < 1e-6 * math.sqrt(den)]
        worst = sorted((w for w in worst if w[2] >= 1e-6 * math.sqrt(den)), reverse=True)
        ok &= grel < 1e-4
        print("check %s: step-0 gradient    |g_pt - g_ls| / |g_ls| over all parameters %.2e  %s"
              % (d, grel, "ok" if grel < 1e-4 else "MISMATCH"))
        for r, e, nrm, name in worst[:3]:
            print("    largest relative gap: %-22s %.2e  (|diff| %.2e, |g_ls| %.2e)" % (name, r, e, nrm))
        for r, e, nrm, name in tiny:
            print("    (%s: gradient ~0, |g_ls| %.2e, |g_pt| %.2e: rounding noise, not compared)"
                  % (name, nrm, float(model.P[name].grad.norm())))
    if not ARGS.no_val and ls0.get("val_loss") is not None:
        vl, va = evaluate(model, val, int(meta["batch"]))
        vrel = abs(vl - ls0["val_loss"]) / abs(ls0["val_loss"])
        ok &= vrel < 1e-5
        print("check %s: step-0 val loss    longseq %.8f  pytorch %.8f  rel diff %.2e  %s  (acc %.4f vs %.4f)"
              % (d, ls0["val_loss"], vl, vrel, "ok" if vrel < 1e-5 else "MISMATCH", ls0["val_acc"], va))
    print("check %s: pytorch forward+backward of batch 0: %.2f s CPU (longseq step 0: %.2f s CPU)"
          % (d, step_cpu, ls0["cpu_s"]))
    return 0 if ok else 1


# ------------------------------------------------------------------------------------------------
# training
# ------------------------------------------------------------------------------------------------

def main():
    torch.set_num_threads(ARGS.threads)
    d = ARGS.dir
    meta = read_meta(d)
    model = LongseqPort(meta, read_params(os.path.join(d, "params.bin")))
    batches = read_batches(os.path.join(d, "batches.bin"))
    val_chunks = read_batches(os.path.join(d, "val.bin"))
    val = val_chunks[0]
    if ARGS.check:
        return check(d, meta, model, batches, val)

    total = int(meta["steps"])                                             # the schedule's length
    steps = min(ARGS.steps, total) if ARGS.steps > 0 else total            # steps to run
    warmup, clip = int(meta["warmup"]), float(meta["clip"])
    eval_every, batch = int(meta["eval_every"]), int(meta["batch"])
    opt = make_optimizer(model, meta)
    params = list(model.P.values())
    out = os.path.join(d, "torch.csv")
    wall = cpu = 0.0
    with open(out, "w") as f:
        f.write("impl,step,train_loss,val_loss,val_acc,wall_s,cpu_s\n")
        for step in range(steps + 1):
            vfield = ","
            if step % eval_every == 0 or step == steps:
                vl, va = evaluate(model, val, batch)
                vfield = "%.8g,%.8g" % (vl, va)
            if step == steps:
                f.write("pytorch,%d,,%s,%.4f,%.4f\n" % (step, vfield, wall, cpu))
                break
            ids, lengths, tgt = batches[step]
            w0, c0 = time.perf_counter(), cpu_seconds()
            for p in params:
                p.grad = None
            loss, _ = model.loss(ids, lengths, tgt)
            loss.backward()
            clip_grad_norm(params, clip)
            scale = ls_schedule(step, warmup, total)
            for g in opt.param_groups:
                g["lr"] = g["base_lr"] * scale
            opt.step()
            wall += time.perf_counter() - w0
            cpu += cpu_seconds() - c0
            f.write("pytorch,%d,%.8g,%s,%.4f,%.4f\n" % (step, float(loss), vfield, wall, cpu))
            f.flush()
            if not ARGS.quiet:
                print("torch_train step %d/%d  loss %.4f  %.2f s/step CPU" % (step + 1, steps, float(loss), cpu / (step + 1)),
                      file=sys.stderr, flush=True)
    print("torch_train: %d steps: %.3f s wall, %.3f s CPU per step (threads %d, malloc %s); wrote %s"
          % (steps, wall / max(steps, 1), cpu / max(steps, 1), torch.get_num_threads(),
             "kept (--keep-memory)" if ARGS.keep_memory else "glibc default", out))
    train_compare.summarize(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
