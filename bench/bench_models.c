/* bench/bench_models.c - train and inference steps of the SPEC section 4 workloads with longseq.
   Part of `make bench`; the same models as ../shared/bench/torch_ref.py (byte embedding, learned
   positions for the Transformer, pre-LN, GELU FFN, mean pool, AdamW lr 1e-3 wd 0.01).
   usage: bench_models [W1 W2 W3 W4 W1i W2i ...] [--threads N] [--steps N] [--warmup N]
   Prints one line per workload: median ms/step, tokens/s, peak RSS so far. */
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct workload { const char *name; int arch; int64_t T, B; int train, causal; } workload;
static const workload W[] = {
    {"W1", LS_ARCH_TRANSFORMER, 1024, 8, 1, 0}, {"W2", LS_ARCH_S4D, 1024, 8, 1, 0},
    {"W3", LS_ARCH_TRANSFORMER, 4096, 2, 1, 0}, {"W4", LS_ARCH_TRANSFORMER, 1024, 8, 1, 1},
    {"W1i", LS_ARCH_TRANSFORMER, 1024, 8, 0, 0}, {"W2i", LS_ARCH_S4D, 1024, 8, 0, 0},
};

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double run(const workload *w, int steps, int warmup, double *rss_mib) {
    ls_config c = ls_config_default(w->arch, 256, w->T);
    c.d_model = 128; c.n_layers = 4; c.n_heads = 4; c.d_ffn = 512; c.d_state = 64;
    c.pos = w->arch == LS_ARCH_TRANSFORMER ? LS_POS_LEARNED : LS_POS_NONE;
    c.causal = w->causal;
    c.head = w->causal ? LS_HEAD_LM : LS_HEAD_CLASSIFY;
    c.n_classes = 10;
    if (w->arch == LS_ARCH_S4D) c.norm = LS_NORM_POST;   /* as torch_ref.py: residual then LayerNorm */
    ls_model m;
    char err[LS_ERRLEN];
    if (ls_model_init(&m, &c, 1, err)) { fprintf(stderr, "bench_models: %s\n", err); exit(1); }
    ls_adamw opt;
    ls_adamw_init(&opt, &m.P, 1e-3f, 0.01f);
    int64_t n = w->B * w->T;
    int32_t *ids = (int32_t *)malloc((size_t)(n + w->B) * sizeof(int32_t)), *tgt = ids + n;
    ls_rng r = ls_rng_make(1, LS_STREAM_DATA);
    for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)ls_rng_below(&r, 256);
    for (int64_t b = 0; b < w->B; b++) tgt[b] = (int32_t)ls_rng_below(&r, 10);
    int32_t *next = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) next[i] = (i + 1) % w->T ? ids[i + 1] : -100;
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    ctx.no_grad = !w->train;
    double *ms = (double *)malloc(sizeof(double) * (size_t)steps);
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = ls_now();
        ls_tensor *logits = ls_model_forward(&ctx, &m, ids, NULL, w->B, w->T);
        if (w->train) {
            ls_tensor *loss = ls_cross_entropy(&ctx, logits, w->causal ? next : tgt, -100);
            if (ls_backward(&ctx, loss)) { fprintf(stderr, "bench_models: %s\n", ls_ctx_error(&ctx)); exit(1); }
            ls_adamw_step(&opt, &m.P, 1.0f);
            ls_params_zero_grad(&m.P);
        } else if (!logits) { fprintf(stderr, "bench_models: %s\n", ls_ctx_error(&ctx)); exit(1); }
        ls_ctx_reset(&ctx);
        if (s >= warmup) ms[s - warmup] = 1e3 * (ls_now() - t0);
    }
    qsort(ms, (size_t)steps, sizeof(double), cmpd);
    double med = ms[steps / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    free(ms); free(ids); free(next);
    ls_ctx_free(&ctx); ls_adamw_free(&opt); ls_model_free(&m);
    return med;
}

int main(int argc, char **argv) {
    int steps = 5, warmup = 2, threads = 0, n_sel = 0;
    const char *sel[8];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (argv[i][0] != '-' && n_sel < 8) sel[n_sel++] = argv[i];
        else { fprintf(stderr, "bench_models: unknown or incomplete flag '%s'\n", argv[i]); return 2; }
    }
    if (steps < 1 || warmup < 0 || threads < 0) { fprintf(stderr, "bench_models: bad --steps/--warmup/--threads\n"); return 2; }
    if (threads) ls_set_threads(threads);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("| workload | T x B | mode | threads | ms/step (median of %d) | tokens/s | peak RSS MiB |\n| --- | --- | --- | --- | --- | --- | --- |\n", steps);
    for (size_t k = 0; k < sizeof W / sizeof W[0]; k++) {
        int want = !n_sel;
        for (int i = 0; i < n_sel; i++) want |= !strcmp(sel[i], W[k].name);
        if (!want) continue;
        double rss, ms = run(&W[k], steps, warmup, &rss);
        printf("| %s %s | %lld x %lld | %s | %d | %.1f | %.0f | %.0f |\n", W[k].name, ls_arch_name(W[k].arch),
               (long long)W[k].T, (long long)W[k].B, W[k].train ? "train" : "forward", ls_get_threads(), ms,
               (double)(W[k].T * W[k].B) / ms * 1e3, rss);
    }
    return 0;
}
