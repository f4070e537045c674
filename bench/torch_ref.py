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
  R1   the report's Transformer at its cpu-profile sizes, train step (see "R rows" below)
  R2   the report's S4D, train step
  R3   the report's LRU, train step
  R1i, R2i, R3i  forward only

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

R rows: the models the report trains (experiments/arms.h, arm_model() with ARM_SIZES_CPU), at the
shapes of its lra table's Text task, the same as bench_models.c's R rows: byte embedding
(vocabulary 258 = 256 bytes + PAD + MASK; the inputs are bytes), d 64, 2 pre-LN blocks, final
LayerNorm, mean-pool over time, Linear(64, 2); L=1024, B=16; random full-length byte sequences.
  R1 Transformer: rotary positions (RoPE on q and k, pairs (2i, 2i+1) of each head rotated by
     t * 10000^(-2i/16), as longseq's ls_rope), no absolute positions; 4 heads of d_head 16; block
     = x + Wo attn(LN x), then x + FFN(LN x), FFN Linear(64, 128) GELU Linear(128, 64). Attention
     written out (q k^T / 4, softmax, times v; torch 1.13 has no fused attention either way), q, k,
     v from one Linear(64, 192).
  R2 S4D: block = x + S4D(LN x); the S4D layer above (N=64, N/2 pairs) with two kernels, causal
     and anti-causal (bidirectional, each with its own parameters), combined as the S4 repo does
     (pad(k) + pad(flip(k2)) over length 2L) into one FFT convolution, output Linear(64, 128) + GLU.
  R3 LRU (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks"): block = x + LRU(LN x);
     lambda_n = exp(-exp(nu_log_n) + i exp(theta_log_n)) for N=64 complex modes (|lambda| uniform
     over the ring 0.9..0.999, phase in [0, 2 pi)), gamma_n = sqrt(1 - |lambda_n|^2);
     x = B u by Linear(64, 2N) (real | imaginary parts), h_t = lambda h_{t-1} + gamma x_t (causal),
     y = Re(C h) by Linear(2N, 64) on [Re h | Im h], + D*u skip, GELU, Linear(64, 128) + GLU.
     How it is computed (PyTorch at its best, not a Python loop over the 1024 steps): the
     recurrence is linear and time-invariant, so h = x * k with the per-mode kernel
     k_n[l] = gamma_n lambda_n^l, and y = Re(C h) is the convolution of u with the length-L kernel
     Re(C diag(gamma lambda^l) B). The kernel is applied in the diagonal (state) form: k (L, N) by
     one complex exp, x and k FFTs of length 2L along time, their product, the inverse FFT, then C.
     Folding B and C into the (64, 64, L) kernel itself (one rfft of u, a 64 x 64 complex product
     per frequency) gives the same numbers but took ~10x longer for one layer's forward +
     backward at these shapes (1 thread, torch 1.13, a rough timing on a busy machine), so it is
     not used. Both checked against the step-by-step recurrence: max abs difference 1.4e-5 on
     outputs of size ~5 (L=256).

Threads: torch.set_num_threads(--threads); run it with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to
the same number (Debian's torch does its matmuls in OpenBLAS's own pthread pool) and with
OMP_WAIT_POLICY=PASSIVE: with 2 cores, spinning OpenMP workers otherwise fight OpenBLAS's worker thread
(in one measurement on 2 cores a W1 step took about twice as long with ACTIVE as with PASSIVE, and
unset sat between).

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
# the sizes of each set of workloads: SPEC for W1..W4 (the constants above), REPORT_CPU for the R
# rows (experiments/arms.h ARM_SIZES_CPU; vocab and classes of the lra table's Text task)
SPEC = dict(vocab=VOCAB, d=D, heads=HEADS, ffn=FFN, layers=LAYERS, classes=CLASSES, nstate=NSTATE)
REPORT_CPU = dict(vocab=258, d=64, heads=4, ffn=128, layers=2, classes=2, nstate=64)

WORKLOADS = {
    # name: (model, L, B, train, causal, sizes)
    "W1": ("transformer", 1024, 8, True, False, SPEC),
    "W2": ("s4d", 1024, 8, True, False, SPEC),
    "W3": ("transformer", 4096, 2, True, False, SPEC),
    "W4": ("transformer", 1024, 8, True, True, SPEC),
    "W1i": ("transformer", 1024, 8, False, False, SPEC),
    "W2i": ("s4d", 1024, 8, False, False, SPEC),
    "R1": ("transformer-rope", 1024, 16, True, False, REPORT_CPU),
    "R2": ("s4d-bidir-glu", 1024, 16, True, False, REPORT_CPU),
    "R3": ("lru-glu", 1024, 16, True, False, REPORT_CPU),
    "R1i": ("transformer-rope", 1024, 16, False, False, REPORT_CPU),
    "R2i": ("s4d-bidir-glu", 1024, 16, False, False, REPORT_CPU),
    "R3i": ("lru-glu", 1024, 16, False, False, REPORT_CPU),
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

    def __init__(self, H, N=NSTATE, dt_min=1e-3, dt_max=1e-1, glu=False, bidirectional=False):
        super().__init__()
        n2 = N // 2
        Hk = 2 * H if bidirectional else H   # kernel parameters: causal rows, then anti-causal ones
        self.log_dt = nn.Parameter(torch.rand(Hk) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        self.C = nn.Parameter(torch.view_as_real(torch.randn(Hk, n2, dtype=torch.cfloat) * (0.5 ** 0.5)))
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(Hk, n2)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(n2, dtype=torch.float32).repeat(Hk, 1))
        self.D = nn.Parameter(torch.randn(H))
        self.glu = glu
        self.bidirectional = bidirectional
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
        if self.bidirectional:  # the S4 repo's layout: k2[s] weighs the input s+1 steps ahead
            k0, k1 = k.chunk(2, dim=0)
            k = F.pad(k0, (0, L)) + F.pad(k1.flip(-1), (L, 0))        # (H, 2L)
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


class RotaryTransformerClassifier(nn.Module):
    """The report's Transformer (R1): rotary positions, pre-LN blocks, final LayerNorm, mean pool."""

    def __init__(self, L, sz):
        super().__init__()
        d, self.H = sz["d"], sz["heads"]
        self.Dh = d // self.H
        self.emb = nn.Embedding(sz["vocab"], d)
        self.blocks = nn.ModuleList([nn.ModuleDict(dict(
            ln1=nn.LayerNorm(d), qkv=nn.Linear(d, 3 * d), out=nn.Linear(d, d),
            ln2=nn.LayerNorm(d), ff1=nn.Linear(d, sz["ffn"]), ff2=nn.Linear(sz["ffn"], d)))
            for _ in range(sz["layers"])])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, sz["classes"])
        theta = 10000.0 ** (-2.0 * torch.arange(self.Dh // 2, dtype=torch.float64) / self.Dh)
        ang = torch.arange(L, dtype=torch.float64).unsqueeze(-1) * theta        # (L, Dh/2)
        self.register_buffer("cos", torch.cos(ang).float().unsqueeze(1))        # (L, 1, Dh/2)
        self.register_buffer("sin", torch.sin(ang).float().unsqueeze(1))

    def rope(self, x):
        """x (B, L, H, Dh): channel pair (2i, 2i+1) rotated by the angle t theta_i"""
        L = x.shape[1]
        c, s = self.cos[:L], self.sin[:L]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)

    def forward(self, x):
        B, L = x.shape
        h = self.emb(x)
        for blk in self.blocks:
            q, k, v = blk["qkv"](blk["ln1"](h)).view(B, L, 3, self.H, self.Dh).unbind(2)
            q = self.rope(q).transpose(1, 2) * (self.Dh ** -0.5)                # (B, H, L, Dh)
            k = self.rope(k).transpose(1, 2)
            a = torch.softmax(q @ k.transpose(-2, -1), dim=-1) @ v.transpose(1, 2)
            h = h + blk["out"](a.transpose(1, 2).reshape(B, L, -1))
            h = h + blk["ff2"](F.gelu(blk["ff1"](blk["ln2"](h))))
        return self.head(self.norm(h).mean(dim=1))


class LRULayer(nn.Module):
    """The LRU (Orvieto et al. 2023) as longseq builds it, computed as an FFT convolution (see the
    module docstring, R3); input/output (B, L, H)."""

    def __init__(self, H, N, r_min=0.9, r_max=0.999, max_phase=2 * math.pi):
        super().__init__()
        self.N = N
        u1, u2 = torch.rand(N), torch.rand(N)
        mag2 = r_min ** 2 + u1 * (r_max ** 2 - r_min ** 2)                     # |lambda|^2
        self.nu_log = nn.Parameter(torch.log(-0.5 * torch.log(mag2)))
        self.theta_log = nn.Parameter(torch.log(max_phase * (1.0 - u2)))
        self.B = nn.Parameter(torch.randn(H, 2 * N) / math.sqrt(2 * H))       # u -> [Re x | Im x]
        self.C = nn.Parameter(torch.randn(2 * N, H) / math.sqrt(N))           # [Re h | Im h] -> y
        self.D = nn.Parameter(torch.randn(H))
        self.out = nn.Linear(H, 2 * H)

    def kernel(self, L):
        """k[l, n] = gamma_n lambda_n^l, (L, N) complex"""
        nu = torch.exp(self.nu_log)
        log_lambda = torch.complex(-nu, torch.exp(self.theta_log))
        gamma = torch.sqrt(-torch.expm1(-2.0 * nu))                            # sqrt(1 - |lambda|^2)
        return gamma * torch.exp(torch.arange(L, device=nu.device).unsqueeze(-1) * log_lambda)

    def forward(self, u):
        L, N = u.shape[1], self.N
        x = u @ self.B                                                         # (B, L, 2N)
        xc = torch.complex(x[..., :N], x[..., N:])
        hf = torch.fft.fft(xc, n=2 * L, dim=1) * torch.fft.fft(self.kernel(L), n=2 * L, dim=0)
        h = torch.fft.ifft(hf, dim=1)[:, :L]                                   # causal: first L
        y = torch.cat((h.real, h.imag), dim=-1) @ self.C + u * self.D
        return F.glu(self.out(F.gelu(y)), dim=-1)


class PreLNSSMClassifier(nn.Module):
    """The report's S4D (R2) and LRU (R3): x + layer(LN x) blocks, final LayerNorm, mean pool."""

    def __init__(self, kind, sz):
        super().__init__()
        d = sz["d"]
        self.emb = nn.Embedding(sz["vocab"], d)
        if kind == "s4d-bidir-glu":
            self.layers = nn.ModuleList([S4DLayer(d, sz["nstate"], glu=True, bidirectional=True)
                                         for _ in range(sz["layers"])])
        else:
            self.layers = nn.ModuleList([LRULayer(d, sz["nstate"]) for _ in range(sz["layers"])])
        self.norms = nn.ModuleList([nn.LayerNorm(d) for _ in range(sz["layers"])])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, sz["classes"])

    def forward(self, x):
        h = self.emb(x)
        for layer, norm in zip(self.layers, self.norms):
            h = h + layer(norm(h))
        return self.head(self.norm(h).mean(dim=1))


def flops_per_step(model, L, B, train, causal, glu, sz=SPEC):
    """Analytic FLOPs (2 per multiply-add) of the matmul/attention/FFT work; train = 3x forward.
    Elementwise work (norms, activations, RoPE's rotation, the LRU kernel's exp) is not counted."""
    T = B * L
    D, FFN, LAYERS, NSTATE = sz["d"], sz["ffn"], sz["layers"], sz["nstate"]
    VOCAB, CLASSES = sz["vocab"], sz["classes"]
    n2 = 2 * L
    fft = 2.5 * n2 * math.log2(n2)  # real FFT of length 2L, ~2.5 n log2 n flops
    if model in ("transformer", "transformer-rope"):
        per_layer = 2 * T * D * 3 * D + 2 * T * D * D + 2 * 2 * T * D * FFN + 2 * 2 * B * L * L * D
        fwd = LAYERS * per_layer + 2 * T * D * (VOCAB if causal else 0) + 2 * B * D * CLASSES
    elif model == "lru-glu":
        cfft = 2 * fft  # complex FFT of length 2L, ~5 n log2 n flops
        per_layer = (2 * T * D * 2 * NSTATE * 2               # B and C linears
                     + B * NSTATE * 2 * cfft + NSTATE * cfft  # fft(x), ifft(h), fft(k)
                     + B * NSTATE * n2 * 6                    # complex pointwise product
                     + 2 * T * D * 2 * D)                     # output linear (GLU)
        fwd = LAYERS * per_layer + 2 * B * D * CLASSES
    else:
        glu = glu or model == "s4d-bidir-glu"
        nk = 2 if model == "s4d-bidir-glu" else 1             # kernels (anti-causal one too)
        per_layer = (2 * T * D * (2 * D if glu else D)       # output linear
                     + B * D * 2 * fft + D * fft              # rfft(u), irfft(y), rfft(k)
                     + B * D * (n2 // 2 + 1) * 6              # complex pointwise product
                     + nk * D * (NSTATE // 2) * L * 8)        # Vandermonde kernel
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
    model_kind, L, B, train, causal, sz = WORKLOADS[args.workload]
    glu_flag = args.s4d_glu and model_kind == "s4d"  # the R rows' S4D has its GLU always

    if model_kind == "transformer":
        model = TransformerClassifier(L, causal)
    elif model_kind == "s4d":
        model = S4DClassifier(glu=args.s4d_glu)
    elif model_kind == "transformer-rope":
        model = RotaryTransformerClassifier(L, sz)
    else:
        model = PreLNSSMClassifier(model_kind, sz)
    nparams = sum(p.numel() for p in model.parameters())

    g = torch.Generator().manual_seed(args.seed + 1)
    if causal:
        seq = torch.randint(0, VOCAB, (B, L + 1), generator=g)
        x, y = seq[:, :-1].contiguous(), seq[:, 1:].contiguous()
    else:  # bytes (the R rows' vocabulary 258 adds PAD and MASK, which full sequences never hold)
        x = torch.randint(0, 256, (B, L), generator=g)
        y = torch.randint(0, sz["classes"], (B,), generator=g)

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
    fl = flops_per_step(model_kind, L, B, train, causal, glu_flag, sz)
    rec = {
        "workload": args.workload + ("-glu" if glu_flag else ""),
        "model": model_kind, "L": L, "B": B, "train": train, "causal": causal,
        "shapes": "report-cpu" if sz is REPORT_CPU else "spec",
        "d": sz["d"], "layers": sz["layers"], "heads": sz["heads"], "ffn": sz["ffn"],
        "d_state": sz["nstate"], "vocab": sz["vocab"], "classes": sz["classes"],
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
