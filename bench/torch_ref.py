#!/usr/bin/python3
# The PyTorch peer of `make bench` (bench/run.sh): the same workloads as bench/bench_models.c.
"""PyTorch reference training/inference steps for the longseq benchmark workloads.

Run with Debian's interpreter (python3-torch is a Debian package; a pyenv python on PATH
does not see it):   /usr/bin/python3 torch_ref.py --workload W1 [--threads 2] [--steps 10]

Workloads (float32, CPU, fixed random byte batch reused every step):
  W1   Transformer encoder classifier, L=1024, B=8, train step (fwd + bwd + AdamW)
  W2   S4D classifier, L=1024, B=8, train step
  W3   W1's Transformer at L=4096, B=2, train step (quadratic attention cost)
  W4   causal byte LM (W1's Transformer + causal mask, next-byte loss), L=1024, B=8, train step
  W1i  W1 forward only (eval, inference_mode)
  W2i  W2 forward only (eval, inference_mode)

Transformer: byte embedding (256 -> 128) + LEARNED absolute positions (nn.Embedding(L, 128)),
4 x nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512, dropout=0,
activation='gelu', batch_first=True, norm_first=True)  (pre-LN), final LayerNorm, mean-pool over
time, Linear(128, 10), cross-entropy. W4: same stack with an additive causal mask, Linear(128, 256)
on every position, cross-entropy against the next byte. (torch 1.13 has no fused / flash
attention: the L x L score matrix is materialised.)

S4D: byte embedding (no positional encoding), 4 x [S4D layer -> residual -> LayerNorm] (post-norm,
like the S4 repo's example.py), mean-pool, Linear(128, 10). S4D layer: H=128 channels, state size
N=64 per channel stored as N/2=32 complex-conjugate pairs (as in the S4 repo's s4d.py),
S4D-Lin init (A = -1/2 + i*pi*n), log-uniform dt in [1e-3, 1e-1], ZOH discretisation,
length-L kernel K = 2*Re(sum_n C'_n exp(dt*A_n*l)), causal convolution by rfft/irfft of length
2L, + D*u skip, GELU, output Linear(128, 128) (or Linear(128, 256) + GLU with --s4d-glu, as s4d.py).

Threads: torch.set_num_threads(--threads); run it with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to
the same number (Debian's torch does its matmuls in OpenBLAS's own pthread pool) and with
OMP_WAIT_POLICY=PASSIVE: with 2 cores, spinning OpenMP workers otherwise fight OpenBLAS's worker thread
(measured on 2 cores of an AMD EPYC, family 26 model 2 (Zen 5), 2026-11-24: ACTIVE ~4.0 s, unset
~2.5 s, PASSIVE ~2.1 s per W1 step).

Timing: warm-up steps, then >= --steps timed steps with time.perf_counter(); one JSON line per
workload with every step time, median ms/step, tokens/s (B*L per step), analytic FLOPs/step,
peak RSS and the CPU load from other processes measured over the timed steps.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, D, HEADS, FFN, LAYERS, CLASSES, NSTATE = 256, 128, 4, 512, 4, 10, 64

WORKLOADS = {
    # name: (model, L, B, train, causal)
    "W1": ("transformer", 1024, 8, True, False),
    "W2": ("s4d", 1024, 8, True, False),
    "W3": ("transformer", 4096, 2, True, False),
    "W4": ("transformer", 1024, 8, True, True),
    "W1i": ("transformer", 1024, 8, False, False),
    "W2i": ("s4d", 1024, 8, False, False),
}


class TransformerClassifier(nn.Module):
    def __init__(self, L, causal=False):
        super().__init__()
        self.causal = causal
        self.emb = nn.Embedding(VOCAB, D)
        self.pos = nn.Embedding(L, D)  # learned absolute positions
        layer = nn.TransformerEncoderLayer(D, HEADS, FFN, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(D),
                                         enable_nested_tensor=False)
        self.head = nn.Linear(D, VOCAB if causal else CLASSES)
        if causal:
            self.register_buffer("mask", torch.triu(torch.full((L, L), float("-inf")), diagonal=1))

    def forward(self, x):
        L = x.shape[1]
        h = self.emb(x) + self.pos.weight[:L]
        h = self.enc(h, mask=self.mask if self.causal else None)
        if self.causal:
            return self.head(h)  # (B, L, 256)
        return self.head(h.mean(dim=1))  # (B, 10)


class S4DLayer(nn.Module):
    """Diagonal SSM (S4D-Lin init, ZOH) applied as an FFT convolution; input/output (B, L, H)."""

    def __init__(self, H, N=NSTATE, dt_min=1e-3, dt_max=1e-1, glu=False):
        super().__init__()
        n2 = N // 2
        self.log_dt = nn.Parameter(torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        self.C = nn.Parameter(torch.view_as_real(torch.randn(H, n2, dtype=torch.cfloat) * (0.5 ** 0.5)))
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(H, n2)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(n2, dtype=torch.float32).repeat(H, 1))
        self.D = nn.Parameter(torch.randn(H))
        self.glu = glu
        self.out = nn.Linear(H, 2 * H if glu else H)

    def kernel(self, L):
        dt = torch.exp(self.log_dt)                                   # (H)
        C = torch.view_as_complex(self.C)                             # (H, N/2)
        A = -torch.exp(self.log_A_real) + 1j * self.A_imag            # (H, N/2)
        dtA = A * dt.unsqueeze(-1)
        Cz = C * (torch.exp(dtA) - 1.0) / A                           # ZOH: B = (exp(dtA)-1)/A, B=1
        V = torch.exp(dtA.unsqueeze(-1) * torch.arange(L, device=A.device))  # (H, N/2, L)
        return 2.0 * torch.einsum("hn,hnl->hl", Cz, V).real          # (H, L)

    def forward(self, u):
        L = u.shape[1]
        k = self.kernel(L)
        ut = u.transpose(1, 2)                                        # (B, H, L)
        y = torch.fft.irfft(torch.fft.rfft(ut, n=2 * L) * torch.fft.rfft(k, n=2 * L), n=2 * L)[..., :L]
        y = y + ut * self.D.unsqueeze(-1)
        y = F.gelu(y).transpose(1, 2)                                 # (B, L, H)
        y = self.out(y)
        return F.glu(y, dim=-1) if self.glu else y


class S4DClassifier(nn.Module):
    def __init__(self, glu=False):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, D)
        self.layers = nn.ModuleList([S4DLayer(D, glu=glu) for _ in range(LAYERS)])
        self.norms = nn.ModuleList([nn.LayerNorm(D) for _ in range(LAYERS)])
        self.head = nn.Linear(D, CLASSES)

    def forward(self, x):
        h = self.emb(x)
        for layer, norm in zip(self.layers, self.norms):
            h = norm(layer(h) + h)  # residual + post-LayerNorm
        return self.head(h.mean(dim=1))


def flops_per_step(model, L, B, train, causal, glu):
    """Analytic FLOPs (2 per multiply-add) of the matmul/attention/FFT work; train = 3x forward."""
    T = B * L
    if model == "transformer":
        per_layer = 2 * T * D * 3 * D + 2 * T * D * D + 2 * 2 * T * D * FFN + 2 * 2 * B * L * L * D
        fwd = LAYERS * per_layer + 2 * T * D * (VOCAB if causal else 0) + 2 * B * D * CLASSES
    else:
        n2 = 2 * L
        fft = 2.5 * n2 * math.log2(n2)  # real FFT of length 2L, ~2.5 n log2 n flops
        per_layer = (2 * T * D * (2 * D if glu else D)       # output linear
                     + B * D * 2 * fft + D * fft              # rfft(u), irfft(y), rfft(k)
                     + B * D * (n2 // 2 + 1) * 6              # complex pointwise product
                     + D * (NSTATE // 2) * L * 8)             # Vandermonde kernel
        fwd = LAYERS * per_layer + 2 * B * D * CLASSES
    return fwd * (3 if train else 1)


def read_cpu():
    """(busy jiffies of all CPUs incl. steal, steal jiffies) from /proc/stat."""
    with open("/proc/stat") as f:
        p = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = p[:8]
    return user + nice + system + irq + softirq + steal, steal


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=list(WORKLOADS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--s4d-glu", action="store_true", help="output Linear(H,2H)+GLU as in s4d.py")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    default_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model_kind, L, B, train, causal = WORKLOADS[args.workload]

    if model_kind == "transformer":
        model = TransformerClassifier(L, causal)
    else:
        model = S4DClassifier(glu=args.s4d_glu)
    nparams = sum(p.numel() for p in model.parameters())

    g = torch.Generator().manual_seed(args.seed + 1)
    if causal:
        seq = torch.randint(0, VOCAB, (B, L + 1), generator=g)
        x, y = seq[:, :-1].contiguous(), seq[:, 1:].contiguous()
    else:
        x = torch.randint(0, VOCAB, (B, L), generator=g)
        y = torch.randint(0, CLASSES, (B,), generator=g)

    if train:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            out = model(x)
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
            loss.backward()
            opt.step()
            return loss.item()
    else:
        model.eval()

        def step():
            with torch.inference_mode():
                out = model(x)
            return float(out.float().sum())

    for _ in range(args.warmup):
        step()

    clk = os.sysconf("SC_CLK_TCK")
    times, other, cpu = [], [], []
    busy0, steal0 = read_cpu()
    t_start = time.perf_counter()
    for _ in range(args.steps):
        b0, _s0 = read_cpu()
        c0 = os.times()
        t0 = time.perf_counter()
        last = step()
        dt = time.perf_counter() - t0
        c1 = os.times()
        b1, _s1 = read_cpu()
        own = (c1.user + c1.system) - (c0.user + c0.system)
        other.append(max(0.0, ((b1 - b0) / clk - own) / dt))  # cores used by others during step
        times.append(dt)
        cpu.append(own)
    wall = time.perf_counter() - t_start
    busy1, steal1 = read_cpu()

    st = sorted(times)
    med = st[len(st) // 2] if len(st) % 2 else 0.5 * (st[len(st) // 2 - 1] + st[len(st) // 2])
    fl = flops_per_step(model_kind, L, B, train, causal, args.s4d_glu)
    rec = {
        "workload": args.workload + ("-glu" if args.s4d_glu else ""),
        "model": model_kind, "L": L, "B": B, "train": train, "causal": causal,
        "params": nparams,
        "torch": torch.__version__, "default_threads": default_threads, "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "steps": args.steps, "warmup": args.warmup,
        "ms_min": 1e3 * st[0], "ms_median": 1e3 * med, "ms_max": 1e3 * st[-1],
        "tokens_per_s": B * L / med,
        "cpu_ms_median": 1e3 * sorted(cpu)[len(cpu) // 2],
        "gflop_per_step": fl / 1e9, "gflops_achieved": fl / med / 1e9,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "other_load_cores_median": sorted(other)[len(other) // 2],
        "steal_frac": (steal1 - steal0) / clk / max(wall, 1e-9) / (os.cpu_count() or 1),
        "last_loss_or_sum": last,
        "step_ms": [round(1e3 * t, 3) for t in times],
    }
    print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
