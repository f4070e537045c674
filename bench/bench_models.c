/* bench/bench_models.c - train and inference steps of the SPEC section 4 workloads with longseq.
   Part of `make bench` (driven by bench/run.sh); the same models as bench/torch_ref.py (byte
   embedding, learned positions for the Transformer, pre-LN, GELU FFN, mean pool, AdamW lr 1e-3
   wd 0.01; S4D with post-LN).
   R rows: the models the report trains, at its cpu-profile sizes (experiments/arms.h: PLAN's
   ARM_SIZES_CPU, d 64, 2 layers, 4 heads (d_head 16), FFN 128, SSM state 64; the lra table's Text
   task: T 1024, batch 16, vocabulary 258 = 256 bytes + PAD + MASK, 2 classes, mean pooling), each
   configured as arm_model() configures it: R1 the Transformer (rotary positions, pre-LN, no GLU),
   R2 S4D (bidirectional, pre-LN, output GLU), R3 the LRU (causal scan, pre-LN, output GLU);
   R1i, R2i, R3i forward only. Sequences are full length (the report's padded Text examples mask
   their padding) and the step has no gradient clipping or schedule (ls_train's), as for W1..W4.
   usage: bench_models [W1 W2 W3 W4 W1i W2i R1 R2 R3 R1i R2i R3i ...] [--threads N] [--steps N]
                       [--warmup N] [--json] [--ops] [--adapt]
   No workload named: all of them.
   --adapt: the step loop adapts its thread count to the machine's load as ls_train does
   (ls_autothreads: probes at steps 3-8 of the run and every 200 steps after); without it the
   count stays --threads, the fixed setting every peer comparison uses.
   Default output: one Markdown row per workload (median ms/step, tokens/s, peak RSS so far).
   --json: one JSON line per workload, with the same keys as torch_ref.py where they mean the same
   thing (ms_median, tokens_per_s, peak_rss_mib, other_load_cores_median, step_ms, params, ...).
   --ops: after each workload's row, the mean time per timed step in each op's forward and
   backward kernels (ls_ctx_profile), largest first: where a step's time goes.
   Peak RSS is per process: run one workload per process to get that workload's peak. */
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* report: 0 = the SPEC workloads' build (learned positions for the Transformer, post-LN S4D),
   1 = experiments/arms.h's arm_model() for a bidirectional (causal = 0) classifier: rotary
   Transformer, bidirectional S4D, LRU, all pre-LN, GLU on the SSM layers' output. Sizes per
   workload: d, layers, heads, ffn, state (SSM), vocab (embedding rows; inputs are bytes 0..255),
   classes (classifier outputs; W4's LM head predicts the vocabulary) */
typedef struct workload {
    const char *name; int arch; int64_t T, B; int train, causal;
    int report, d, layers, heads, ffn, state, vocab, classes;
} workload;
#define SPEC_SIZES .report = 0, .d = 128, .layers = 4, .heads = 4, .ffn = 512, .state = 64, \
                   .vocab = 256, .classes = 10
/* ARM_SIZES_CPU and the Text task of the cpu profile (lra_data.h: T 1024, vocab 258, 2 classes) */
#define REPORT_SIZES .report = 1, .d = 64, .layers = 2, .heads = 4, .ffn = 128, .state = 64, \
                     .vocab = 258, .classes = 2, .T = 1024, .B = 16, .causal = 0
static const workload W[] = {
    {.name = "W1", .arch = LS_ARCH_TRANSFORMER, .T = 1024, .B = 8, .train = 1, .causal = 0,
     SPEC_SIZES},
    {.name = "W2", .arch = LS_ARCH_S4D, .T = 1024, .B = 8, .train = 1, .causal = 0, SPEC_SIZES},
    {.name = "W3", .arch = LS_ARCH_TRANSFORMER, .T = 4096, .B = 2, .train = 1, .causal = 0,
     SPEC_SIZES},
    {.name = "W4", .arch = LS_ARCH_TRANSFORMER, .T = 1024, .B = 8, .train = 1, .causal = 1,
     SPEC_SIZES},
    {.name = "W1i", .arch = LS_ARCH_TRANSFORMER, .T = 1024, .B = 8, .train = 0, .causal = 0,
     SPEC_SIZES},
    {.name = "W2i", .arch = LS_ARCH_S4D, .T = 1024, .B = 8, .train = 0, .causal = 0, SPEC_SIZES},
    {.name = "R1", .arch = LS_ARCH_TRANSFORMER, .train = 1, REPORT_SIZES},
    {.name = "R2", .arch = LS_ARCH_S4D, .train = 1, REPORT_SIZES},
    {.name = "R3", .arch = LS_ARCH_LRU, .train = 1, REPORT_SIZES},
    {.name = "R1i", .arch = LS_ARCH_TRANSFORMER, .train = 0, REPORT_SIZES},
    {.name = "R2i", .arch = LS_ARCH_S4D, .train = 0, REPORT_SIZES},
    {.name = "R3i", .arch = LS_ARCH_LRU, .train = 0, REPORT_SIZES},
};
#define N_WORKLOADS ((int)(sizeof W / sizeof W[0]))

/* the model of a workload */
static ls_config workload_config(const workload *w) {
    ls_config c = ls_config_default(w->arch, w->vocab, w->T);
    c.d_model = w->d; c.n_layers = w->layers; c.n_heads = w->heads; c.d_ffn = w->ffn;
    c.d_state = w->state;
    c.causal = w->causal;
    c.head = w->causal ? LS_HEAD_LM : LS_HEAD_CLASSIFY;
    c.n_classes = w->classes;
    if (!w->report) {
        c.pos = w->arch == LS_ARCH_TRANSFORMER ? LS_POS_LEARNED : LS_POS_NONE;
        if (w->arch == LS_ARCH_S4D)
            c.norm = LS_NORM_POST;   /* as torch_ref.py: residual then LayerNorm */
    } else {   /* arm_model(): pre-LN and mean pooling are ls_config_default's */
        if (w->arch == LS_ARCH_TRANSFORMER) c.pos = LS_POS_ROPE;   /* ARM_TR_POS */
        c.bidirectional = w->arch == LS_ARCH_S4D && !w->causal;
        c.glu = w->arch != LS_ARCH_TRANSFORMER;
        c.pool = LS_POOL_MEAN;   /* the Text task's (arms.h POOL) */
    }
    return c;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct result {
    double ms_med, ms_min, ms_max, cpu_ms_med, other_med, rss_mib, last;
    double *ms;
    double op_s[2 * LS_OP_COUNT];
    int64_t params;   /* parameter count (torch_ref.py's "params" for the same model) */
} result;

static void run(const workload *w, int steps, int warmup, int ops, int adapt, result *res) {
    ls_config c = workload_config(w);
    ls_model m;
    char err[LS_ERRLEN];
    if (ls_model_init(&m, &c, 1, err)) { fprintf(stderr, "bench_models: %s\n", err); exit(1); }
    ls_adamw opt;
    ls_adamw_init(&opt, &m.P, 1e-3f, 0.01f);
    int64_t n = w->B * w->T;
    int32_t *ids = (int32_t *)malloc((size_t)(n + w->B) * sizeof(int32_t)), *tgt = ids + n;
    ls_rng r = ls_rng_make(1, LS_STREAM_DATA);
    for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)ls_rng_below(&r, 256);
    for (int64_t b = 0; b < w->B; b++) tgt[b] = (int32_t)ls_rng_below(&r, (uint32_t)w->classes);
    int32_t *next = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) next[i] = (i + 1) % w->T ? ids[i + 1] : -100;
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    ctx.no_grad = !w->train;
    double *ms = (double *)malloc(sizeof(double) * (size_t)steps);
    double *other = (double *)malloc(sizeof(double) * (size_t)steps);
    double *cpu = (double *)malloc(sizeof(double) * (size_t)steps);   /* this process's CPU ms */
    res->ms = (double *)malloc(sizeof(double) * (size_t)steps);
    res->last = 0.0;
    res->params = m.P.n;
    memset(res->op_s, 0, sizeof res->op_s);
    ls_autothreads at;
    ls_autothreads_init(&at);
    for (int s = 0; s < warmup + steps; s++) {
        if (ops && s == warmup) ls_ctx_profile(&ctx, res->op_s);
        double b0 = -1, c0 = 0, b1 = -1, c1 = 0, t0;
        int nc;
        if (ls_cpu_load(&c0, &b0, &nc)) b0 = -1;   /* the other processes' load, from /proc/stat */
        t0 = ls_now();
        ls_tensor *logits = ls_model_forward(&ctx, &m, ids, NULL, w->B, w->T);
        if (w->train) {
            ls_tensor *loss = ls_cross_entropy(&ctx, logits, w->causal ? next : tgt, -100);
            if (ls_backward(&ctx, loss)) {
                fprintf(stderr, "bench_models: %s\n", ls_ctx_error(&ctx));
                exit(1);
            }
            res->last = (double)loss->x[0];
            ls_adamw_step(&opt, &m.P, 1.0f);
            ls_params_zero_grad(&m.P);
        } else if (!logits) { fprintf(stderr, "bench_models: %s\n", ls_ctx_error(&ctx)); exit(1); }
        else {
            double sum = 0.0;
            for (int64_t i = 0; i < logits->n; i++) sum += (double)logits->x[i];
            res->last = sum;
        }
        ls_ctx_reset(&ctx);
        double dt = ls_now() - t0;
        if (ls_cpu_load(&c1, &b1, &nc)) b1 = -1;
        if (adapt) ls_autothreads_step(&at, dt);
        if (s >= warmup) {
            ms[s - warmup] = res->ms[s - warmup] = 1e3 * dt;
            double o = b0 < 0 || b1 < 0 ? 0.0 : ((b1 - b0) - (c1 - c0)) / dt;   /* others' cores */
            other[s - warmup] = o > 0 ? o : 0.0;
            cpu[s - warmup] = 1e3 * (c1 - c0);
        }
    }
    ls_autothreads_end(&at);
    qsort(ms, (size_t)steps, sizeof(double), cmpd);
    qsort(other, (size_t)steps, sizeof(double), cmpd);
    qsort(cpu, (size_t)steps, sizeof(double), cmpd);
    res->cpu_ms_med = steps % 2 ? cpu[steps / 2] : 0.5 * (cpu[steps / 2 - 1] + cpu[steps / 2]);
    res->ms_med = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
    res->ms_min = ms[0];
    res->ms_max = ms[steps - 1];
    res->other_med = other[steps / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    res->rss_mib = (double)ru.ru_maxrss / 1024.0;
    free(ms); free(other); free(cpu); free(ids); free(next);
    ls_ctx_free(&ctx); ls_adamw_free(&opt); ls_model_free(&m);
}

int main(int argc, char **argv) {
    int steps = 5, warmup = 2, threads = 0, n_sel = 0, json = 0, ops = 0, adapt = 0;
    const char *sel[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--ops")) ops = 1;
        else if (!strcmp(argv[i], "--adapt")) adapt = 1;
        else if (argv[i][0] != '-' && n_sel < 64) sel[n_sel++] = argv[i];
        else {
            fprintf(stderr, "bench_models: unknown or incomplete flag '%s'\n", argv[i]);
            return 2;
        }
    }
    if (steps < 1 || warmup < 0 || threads < 0) {
        fprintf(stderr, "bench_models: bad --steps/--warmup/--threads\n");
        return 2;
    }
    for (int i = 0; i < n_sel; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof W / sizeof W[0]; k++) known |= !strcmp(sel[i], W[k].name);
        if (!known) {
            fprintf(stderr, "bench_models: unknown workload '%s' (known:", sel[i]);
            for (int k = 0; k < N_WORKLOADS; k++) fprintf(stderr, " %s", W[k].name);
            fprintf(stderr, ")\n");
            return 2;
        }
    }
    if (threads) ls_set_threads(threads);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!json)
        printf("| workload | T x B | mode | threads | ms/step (median of %d) | tokens/s "
               "| peak RSS MiB |\n"
               "| --- | --- | --- | --- | --- | --- | --- |\n", steps);
    for (size_t k = 0; k < sizeof W / sizeof W[0]; k++) {
        int want = !n_sel;
        for (int i = 0; i < n_sel; i++) want |= !strcmp(sel[i], W[k].name);
        if (!want) continue;
        result res;
        run(&W[k], steps, warmup, ops, adapt, &res);
        double tok = (double)(W[k].T * W[k].B) / res.ms_med * 1e3;
        if (json) {
            printf("{\"workload\": \"%s\", \"impl\": \"longseq\", \"model\": \"%s\", \"L\": %lld, "
                   "\"B\": %lld, \"train\": %s, \"causal\": %s, \"threads\": %d, \"steps\": %d, "
                   "\"warmup\": %d, \"ms_min\": %.3f, \"ms_median\": %.3f, \"ms_max\": %.3f, "
                   "\"tokens_per_s\": %.1f, \"cpu_ms_median\": %.3f, \"peak_rss_mib\": %.1f, "
                   "\"other_load_cores_median\": %.3f, \"adapt\": %s, \"last_loss_or_sum\": %.6g, "
                   "\"shapes\": \"%s\", \"d\": %d, \"layers\": %d, \"heads\": %d, \"ffn\": %d, "
                   "\"d_state\": %d, \"vocab\": %d, \"classes\": %d, \"params\": %lld, "
                   "\"step_ms\": [",
                   W[k].name, ls_arch_name(W[k].arch), (long long)W[k].T, (long long)W[k].B,
                   W[k].train ? "true" : "false", W[k].causal ? "true" : "false", ls_get_threads(),
                   steps, warmup, res.ms_min, res.ms_med, res.ms_max, tok, res.cpu_ms_med,
                   res.rss_mib, res.other_med, adapt ? "true" : "false", res.last,
                   W[k].report ? "report-cpu" : "spec", W[k].d, W[k].layers, W[k].heads,
                   W[k].ffn, W[k].state, W[k].vocab, W[k].classes, (long long)res.params);
            for (int s = 0; s < steps; s++) printf("%s%.3f", s ? ", " : "", res.ms[s]);
            printf("]}\n");
        } else {
            printf("| %s %s | %lld x %lld | %s | %d | %.1f | %.0f | %.0f |\n", W[k].name,
                   ls_arch_name(W[k].arch), (long long)W[k].T, (long long)W[k].B,
                   W[k].train ? "train" : "forward", ls_get_threads(), res.ms_med, tok,
                   res.rss_mib);
        }
        if (ops && !json) {
            int order[LS_OP_COUNT], n = 0;
            for (int op = 0; op < LS_OP_COUNT; op++)
                if (res.op_s[2 * op] + res.op_s[2 * op + 1] > 0.0) order[n++] = op;
            for (int a = 1; a < n; a++)   /* largest total first */
                for (int b = a; b > 0; b--) {
                    double tb = res.op_s[2 * order[b]] + res.op_s[2 * order[b] + 1];
                    double ta = res.op_s[2 * order[b - 1]] + res.op_s[2 * order[b - 1] + 1];
                    if (tb <= ta) break;
                    int t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
                }
            printf("\n| op (%s, %d threads) | forward ms/step | backward ms/step |\n"
                   "| --- | --- | --- |\n", W[k].name, ls_get_threads());
            for (int a = 0; a < n; a++)
                printf("| %s | %.2f | %.2f |\n", ls_op_name(order[a]),
                       1e3 * res.op_s[2 * order[a]] / steps,
                       1e3 * res.op_s[2 * order[a] + 1] / steps);
            printf("\n");
        }
        free(res.ms);
    }
    return 0;
}
