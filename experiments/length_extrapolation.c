/* experiments/length_extrapolation.c - the `length_extrapolation` table,
   "train short, test long".

     length_extrapolation [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR]
                          [--fresh] [--steps N]      (--steps: instead of the profile's count)

   Seven causal byte LMs (Sinusoidal, ALiBi, RoPE, RoPE+KeyNorm, xPos, KERPLE-log, HWFA) are trained
   at L_train = 64 on SynthLang with copy spans and tested at 64..512. Every other row takes a
   trained checkpoint and changes only how attention runs at test time (log n†, window, Λ-window,
   PI, NTK, YaRN, ReRoPE, leaky ReRoPE): no training, one forward pass per length with the same
   parameters and eval sets. The NBCE row instead runs many forward passes no longer than L_train
   per sequence and combines their predictions (eval_set_nbce says exactly how).

   Columns. bpc@L: mean next-id loss in bits over every target of 64 plain sequences of length L.
   Averaged loss improves with length partly because fewer targets have short contexts (the "early
   token curse" of ALiBi App. B), so last64@512 scores only the final 64 targets: the same kind of
   targets as bpc@64, with 8x the context. copy@96: next-id accuracy on the same sequences with
   their first 96 ids tiled to 512, scored after the first period; predicting those ids needs a copy
   from distance 96, beyond every distance seen in training. Its "no-copy level", the same accuracy
   on the untiled sequences, goes to the CSV and judges check 7.

   Caching. The trained runs are rp_run_train runs (results/length_extrapolation/<hash>.{txt,model}:
   the best-validation parameters); each evaluated row is an rp_row keyed by the run hash, the row's
   model configuration at every test length and the eval sets. A re-run redoes only what is
   missing. */
#define LONGSEQ_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "cli.h"
#include "synthlang.h"

#define TABLE "length_extrapolation"
#define LN2 0.69314718055994530942

/* Sizes per profile. cpu: d 64, 4 heads (d_h 16), FFN 256, 2 layers, batch 16 x L_train 64, tests
   at 64..512, as the table was designed; its step count follows the design's rule (time one step,
   then give every model the same steps, at most 3 min of training each). The design's nominal 500
   steps assumed ~2 GFLOP/s; a step of these models (B 16 x L 64) takes about 10-20 ms on one core
   of a current CPU, so 8000 steps fit the 3 min (what they took, and on which machine, is in the
   records and the cost table: `build/cost`); evaluation adds under a second a row.
   smoke only runs every code path; paper is for bigger machines. */
typedef struct e1_plan {
    int d, H, F, layers;
    int64_t L, batch, steps, warmup;   /* training length L_train, batch, steps, warm-up */
    /* validation sequences; eval sequences per set, per forward */
    int64_t n_val, n_eval, eval_batch;
    int ntest;
    int64_t test[4];                   /* test lengths; the last one also carries last64 and copy */
} e1_plan;
static const e1_plan E1_PLAN[3] = {
    {.d = 16, .H = 2, .F = 32, .layers = 2, .L = 16, .batch = 4, .steps = 10, .warmup = 2,
     .n_val = 16, .n_eval = 4, .eval_batch = 4, .ntest = 2, .test = {16, 32, 0, 0}},
    {.d = 64, .H = 4, .F = 256, .layers = 2, .L = 64, .batch = 16, .steps = 8000, .warmup = 50,
     .n_val = 256, .n_eval = 64, .eval_batch = 8, .ntest = 4, .test = {64, 128, 256, 512}},
    {.d = 64, .H = 4, .F = 256, .layers = 2, .L = 64, .batch = 16, .steps = 30000, .warmup = 50,
     .n_val = 1024, .n_eval = 256, .eval_batch = 8, .ntest = 4, .test = {64, 128, 256, 512}}};

/* Fixed data seeds: every row and every --seed sees the same language and the same eval sets. The
   plain set of length L has seed PLAIN_SEED + L. The repeat set shares the longest plain set's
   seed, so its sequences start with the same ids (synthlang.h) and differ only where the copy
   begins: the no-copy level of check 7 is measured on the very sequences that copy@P then
   repeats. */
enum { LANG_SEED = 1, TRAIN_SEED = 11, VAL_SEED = 12, PLAIN_SEED = 1000 };

/* the trained models */
enum { T_SIN, T_ALIBI, T_ROPE, T_KEYNORM, T_XPOS, T_KERPLE, T_HWFA, T_NOPE, T_ROPE_LOGN,
       N_TRAINED };
static const char *const TRAINED[N_TRAINED] = {"Sinusoidal", "ALiBi (m=2^-2..2^-8)", "RoPE",
                                               "RoPE+KeyNorm", "xPos", "KERPLE-log", "HWFA",
                                               "NoPE", "RoPE-log n (trained)"};
/* HWFA's window (LS_POS_HWFA: layer 1 window attention with RoPE, layer 2 full, NoPE, log n) is
   3 L_train / 4 (48 at L_train 64): below L_train, as the layout requires, and wide enough that
   the window layer alone covers most of a training sequence */
#define HWFA_WINDOW(L) (3 * (L) / 4)
/* NBCE on the RoPE checkpoint: blocks of L_train / 2 ids; beta as in the source */
#define NBCE_BETA 0.25f

/* the table's rows, in order; windows and ReRoPE w are in quarters of L_train (64 -> 16, 32, 64) */
enum { R_SIN, R_ALIBI, R_ROPE, R_LOGN, R_WINDOW, R_LAMBDA, R_PI, R_NTK, R_YARN, R_RE1, R_RE2,
       R_RE4, R_LEAKY, R_KN, R_KN_RE, R_XPOS, R_KERPLE, R_HWFA, R_NBCE, R_NOPE, R_LOGN_T,
       N_ROWS };
typedef struct e1_row {
    int model;             /* T_*: whose parameters */
    const char *change;    /* the test-time change; a "%lld" is filled by row_number() */
    int logn, pi, kind;    /* ls_config logn, rope_pi, rope_kind; PI, NTK and YaRN use
                              s = L_test / L_train */
    int window, sinks;     /* window: keys with r >= L_train - sinks are masked, except the first
                              `sinks` */
    int rerope4;           /* ReRoPE w = rerope4 * L_train / 4 */
    float leaky_k;         /* with rerope4: leaky ReRoPE */
    int nbce;              /* NBCE over blocks of L_train / 2 (eval_set_nbce), no config change */
} e1_row;
static const e1_row ROWS[N_ROWS] = {
    [R_SIN] = {.model = T_SIN, .change = "-"},
    [R_ALIBI] = {.model = T_ALIBI, .change = "-"},
    [R_ROPE] = {.model = T_ROPE, .change = "-"},
    [R_LOGN] = {.model = T_ROPE, .change = "log n† (q·max(1,log_%lld n))", .logn = 2},
    [R_WINDOW] = {.model = T_ROPE, .change = "window %lld", .window = 1},
    [R_LAMBDA] = {.model = T_ROPE, .change = "Λ-window (4 sink + %lld)", .window = 1, .sinks = 4},
    [R_PI] = {.model = T_ROPE, .change = "PI (δ=r/s)", .pi = 1},
    [R_NTK] = {.model = T_ROPE, .change = "NTK (κ=s^{d/(d-2)})", .kind = LS_ROPE_NTK},
    [R_YARN] = {.model = T_ROPE, .change = "YaRN (α=1,β=8, λ=(1+.1ln s)^2)",
                .kind = LS_ROPE_YARN},
    [R_RE1] = {.model = T_ROPE, .change = "ReRoPE w=%lld", .rerope4 = 1},
    [R_RE2] = {.model = T_ROPE, .change = "ReRoPE w=%lld", .rerope4 = 2},
    [R_RE4] = {.model = T_ROPE, .change = "ReRoPE w=%lld (=L_train; expect fail)", .rerope4 = 4},
    [R_LEAKY] = {.model = T_ROPE, .change = "Leaky ReRoPE w=%lld k=16", .rerope4 = 1,
                 .leaky_k = 16.0f},
    [R_KN] = {.model = T_KEYNORM, .change = "-"},
    [R_KN_RE] = {.model = T_KEYNORM, .change = "ReRoPE w=%lld", .rerope4 = 1},
    [R_XPOS] = {.model = T_XPOS, .change = "-"},
    [R_KERPLE] = {.model = T_KERPLE, .change = "-"},
    [R_HWFA] = {.model = T_HWFA, .change = "-"},
    [R_NBCE] = {.model = T_ROPE, .change = "NBCE β=0.25 (blocks of %lld)", .nbce = 1},
    [R_NOPE] = {.model = T_NOPE, .change = "-"},
    /* trained with logits times log(i+1)/log L_train (ls_config logn 1), tested the same way */
    [R_LOGN_T] = {.model = T_ROPE_LOGN, .change = "-", .logn = 1}};
/* YaRN's ramp ends at beta = 32 turns (Peng et al. 2023, arXiv 2309.00071, for LLaMA), but at
   L_train 64, d_h 16 the turn counts r_t = L_train theta_t / 2 pi are 10.2, 3.2, 1.02, 0.32, ...:
   none reaches 32, so beta = 8 (a deviation the table's notes state) */
#define YARN_BETA 8.0f

/* numbers of a row (the cached vector): bpc per test length, then these */
enum { V_TAIL = 4, V_COPY, V_NOCOPY, V_EVAL_S, NV };

/* ---------------------------------------------------------------------------------------------
   models */

static ls_config trained_config(const e1_plan *p, int t) {
    ls_config c = ls_config_default(LS_ARCH_TRANSFORMER, SL_VOCAB, p->L);   /* train_len = L */
    c.d_model = p->d; c.n_heads = p->H; c.d_ffn = p->F; c.n_layers = p->layers;
    c.causal = 1; c.head = LS_HEAD_LM;
    c.pos = t == T_SIN ? LS_POS_SINUSOIDAL : t == T_ALIBI ? LS_POS_ALIBI : t == T_XPOS ? LS_POS_XPOS
          : t == T_KERPLE ? LS_POS_KERPLE : t == T_HWFA ? LS_POS_HWFA
          : t == T_NOPE ? LS_POS_NONE : LS_POS_ROPE;
    if (t == T_ROPE_LOGN) c.logn = 1;
    c.keynorm = t == T_KEYNORM;
    if (t == T_HWFA) c.window = HWFA_WINDOW(p->L);
    return c;
}

/* the number in a row's label: its window, its ReRoPE w, NBCE's block, or L_train (log n) */
static long long row_number(const e1_row *r, int64_t L) {
    return r->window ? L - r->sinks : r->rerope4 ? r->rerope4 * L / 4 : r->nbce ? L / 2 : L;
}

/* the trained model's configuration with the row's test-time change, for sequences of length T */
static ls_config row_config(const e1_row *r, ls_config c, int64_t T) {
    int64_t L = c.train_len;
    c.logn = r->logn;
    c.rope_pi = r->pi;
    c.rope_kind = r->kind;
    if (r->pi || r->kind) c.rope_s = (float)T / (float)L;   /* s = 1 at T = L: plain RoPE */
    if (r->kind == LS_ROPE_YARN) c.yarn_beta = YARN_BETA;
    if (r->window) { c.window = L - r->sinks; c.sinks = r->sinks; }
    if (r->rerope4) { c.rerope_w = r->rerope4 * L / 4; c.leaky_k = r->leaky_k; }
    return c;
}

/* Test-time options change how attention is computed, never which parameters exist. That is
   checked here (names, shapes, offsets in the flat buffer) before the trained values are copied. */
static int copy_params(ls_params *dst, const ls_params *src, char *err) {
    int same = dst->n == src->n && dst->nt == src->nt;
    for (int i = 0; same && i < src->nt; i++) {
        const ls_tensor *a = src->t[i], *b = dst->t[i];
        same = !strcmp(a->name, b->name) && a->nd == b->nd && !memcmp(a->d, b->d, sizeof a->d) &&
               a->x - src->x == b->x - dst->x;
    }
    if (!same) {
        snprintf(err, LS_ERRLEN, "a test-time option changed the parameter layout (%lld vs %lld "
                 "values)", (long long)dst->n, (long long)src->n);
        return -1;
    }
    memcpy(dst->x, src->x, (size_t)src->n * sizeof(float));
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   data and training */

typedef struct e1_data { sl_lang lang; sl_set train, val, plain[4], repeat; } e1_data;

static void data_make(e1_data *D, const e1_plan *p) {
    sl_init(&D->lang, LANG_SEED);
    /* one epoch: every batch fresh */
    sl_set_make(&D->train, &D->lang, TRAIN_SEED, p->steps * p->batch, p->L, 1);
    sl_set_make(&D->val, &D->lang, VAL_SEED, p->n_val, p->L, 1);
    for (int k = 0; k < p->ntest; k++)
        sl_set_make(&D->plain[k], &D->lang, PLAIN_SEED + (uint64_t)p->test[k], p->n_eval,
                    p->test[k], 0);
    int64_t Lmax = p->test[p->ntest - 1];
    sl_set_repeat(&D->repeat, &D->lang, PLAIN_SEED + (uint64_t)Lmax, p->n_eval, Lmax, 3 * p->L / 2);
}

/* CRC-32 of the ids of some sets: the cache keys name the data by content, so a change in the
   SynthLang generator retrains and re-evaluates instead of reusing stale results */
static uint32_t data_crc(const sl_set *const *sets, int n) {
    uint32_t crc = 0;
    for (int i = 0; i < n; i++)
        crc = ls_crc32(crc, sets[i]->d.tokens,
                       (size_t)(sets[i]->d.n * sets[i]->d.T) * sizeof(int32_t));
    return crc;
}

static void data_free(e1_data *D, const e1_plan *p) {
    sl_set_free(&D->train); sl_set_free(&D->val); sl_set_free(&D->repeat);
    for (int k = 0; k < p->ntest; k++) sl_set_free(&D->plain[k]);
    sl_free(&D->lang);
}

/* trains (or reads back) one core model; its best-validation parameters stay as <hash>.model.
   peek: only read its finished record (no .model needed, nothing trained); -1 when there is none */
static int train_model(int t, const e1_plan *p, const e1_data *D, const ls_cli *cli, int fresh,
                       int peek, rp_result *res) {
    ls_train_cfg tc = ls_train_cfg_default();
    tc.objective = LS_OBJ_CLM; tc.steps = p->steps; tc.batch = p->batch; tc.warmup = p->warmup;
    tc.sched = LS_SCHED_COSINE; tc.lr = 3e-3f; tc.wd = 0.01f;
    tc.eval_every = p->steps / 4 > 0 ? p->steps / 4 : 1;
    /* the whole cosine schedule; the best validation is kept */
    tc.eval_max = p->n_val; tc.patience = 0;
    tc.seed = cli->seed;
    const sl_set *sets[2] = {&D->train, &D->val};
    char key[256], lab[64];
    snprintf(key, sizeof key, "synthlang lang %d train %d x%lld L %lld copy val %d x%lld crc %08x",
             LANG_SEED, TRAIN_SEED, (long long)D->train.d.n, (long long)p->L, VAL_SEED,
             (long long)p->n_val, (unsigned)data_crc(sets, 2));
    snprintf(lab, sizeof lab, "E1 %s", TRAINED[t]);
    rp_run r = {.table = TABLE, .label = lab, .model = trained_config(p, t), .train = tc,
                .data_key = key, .save_model = 1, .fresh = fresh, .ckpt_every = tc.eval_every,
                .quiet = cli->quiet};
    char err[LS_ERRLEN];
    if (peek) return rp_run_peek(&r, res) == 0 ? 0 : -1;
    if (rp_run_train(&r, &D->train.d, &D->val.d, NULL, res, err)) {
        fprintf(stderr, TABLE ": %s: %s\n", lab, err);
        return -1;
    }
    return 0;
}

static int load_model(ls_model *m, const e1_plan *p, int t, uint64_t hash, char *err) {
    char path[700];
    ls_config c = trained_config(p, t);
    if (ls_model_init(m, &c, 1, err)) return -1;
    rp_path(path, sizeof path, TABLE, hash, ".model");
    return ls_checkpoint_load(path, &m->P, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err);
}

/* ---------------------------------------------------------------------------------------------
   forward-only evaluation */

typedef struct e1_sums { double nll, nll_tail, right; int64_t n, n_tail, n_after; } e1_sums;
/* progress over a row */
typedef struct e1_progress { ls_progress p; int64_t batches; double tokens; } e1_progress;

/* -log p(target) from one row of logits, in double; *hit: the argmax (first maximum) is the
   target */
static double nll_of(const float *x, int64_t V, int32_t target, int *hit) {
    int64_t best = 0;
    for (int64_t v = 1; v < V; v++) if (x[v] > x[best]) best = v;
    double z = 0;
    for (int64_t v = 0; v < V; v++) z += exp((double)x[v] - (double)x[best]);
    *hit = best == target;
    return log(z) - ((double)x[target] - (double)x[best]);
}

/* Every next-id prediction of d: summed over all targets, over the last `tail` targets, and argmax
   hits on targets at index >= after. No tape and no dropout: ctx.no_grad, ctx.training = 0. */
static int eval_set(ls_model *m, const ls_dataset *d, int64_t B, int64_t tail, int64_t after,
                    e1_sums *s, e1_progress *pr, char *err) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    ctx.no_grad = 1; ctx.training = 0;
    int64_t T = d->T;
    for (int64_t b0 = 0; b0 < d->n; b0 += B) {
        int64_t nb = d->n - b0 < B ? d->n - b0 : B;
        const int32_t *ids = d->tokens + b0 * T;
        ls_tensor *y = ls_model_forward(&ctx, m, ids, NULL, nb, T);   /* (nb, T, V) */
        if (!y) {
            snprintf(err, LS_ERRLEN, "evaluation at length %lld: %s", (long long)T,
                     ls_ctx_error(&ctx));
            ls_ctx_free(&ctx);
            return -1;
        }
        int64_t V = y->d[2];
        for (int64_t b = 0; b < nb; b++)
            for (int64_t t = 0; t + 1 < T; t++) {   /* position t predicts id t + 1 */
                int hit;
                double l = nll_of(y->x + (b * T + t) * V, V, ids[b * T + t + 1], &hit);
                s->nll += l; s->n++;
                if (t + 1 >= T - tail) { s->nll_tail += l; s->n_tail++; }
                if (t + 1 >= after) { s->right += hit; s->n_after++; }
            }
        ls_ctx_reset(&ctx);
        pr->tokens += (double)(nb * T);
        ls_progress_update(&pr->p, ++pr->batches, s->nll / (double)s->n / LN2, -1.0, pr->tokens);
    }
    ls_ctx_free(&ctx);
    return 0;
}

/* The NBCE row (ls_nbce): the same targets and sums as eval_set, each predicted from pieces that
   fit L_train. A sequence is cut into blocks of Q = L_train / 2 ids. The targets of block b are
   the ids after each of its positions (ids bQ + 1 .. bQ + Q, the last of them the next block's
   first id); the tail is block b itself, and the segments are the blocks before it (seg_len
   L_train - Q = Q, so every [segment, tail] is exactly L_train ids). Block 0 has no context: its
   targets get the plain prediction from the block alone. So at every length, bpc and last64 score
   every target as the other rows do, but no forward pass is longer than L_train, and a target
   sees the ids before its block only through NBCE's choice of one segment. */
static int eval_set_nbce(ls_model *m, const ls_dataset *d, int64_t L, int64_t B, int64_t tail,
                         int64_t after, e1_sums *s, e1_progress *pr, char *err) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    int64_t T = d->T, Q = L / 2, V = m->cfg.lm_vocab;
    float *logp = (float *)malloc((size_t)(Q * V) * sizeof(float));
    if (!logp) { snprintf(err, LS_ERRLEN, "NBCE: out of memory"); ls_ctx_free(&ctx); return -1; }
    int rc = 0;
    for (int64_t b = 0; b < d->n && !rc; b++) {
        const int32_t *ids = d->tokens + b * T;
        for (int64_t s0 = 0; s0 < T && !rc; s0 += Q) {
            int64_t nt = T - s0 < Q ? T - s0 : Q;
            rc = ls_nbce(&ctx, m, ids, s0, L - Q, ids + s0, nt, NBCE_BETA, logp, NULL, err);
            /* position t = s0 + j predicts id t + 1 */
            for (int64_t j = 0; !rc && j < nt && s0 + j + 1 < T; j++) {
                int64_t t = s0 + j, best = 0;
                const float *lp = logp + j * V;
                for (int64_t v = 1; v < V; v++) if (lp[v] > lp[best]) best = v;
                double l = -(double)lp[ids[t + 1]];
                s->nll += l; s->n++;
                if (t + 1 >= T - tail) { s->nll_tail += l; s->n_tail++; }
                if (t + 1 >= after) { s->right += best == ids[t + 1]; s->n_after++; }
            }
            ls_ctx_reset(&ctx);
        }
        pr->tokens += (double)T;
        if ((b + 1) % B == 0 || b + 1 == d->n) {
            double bits = s->nll / (double)s->n / LN2;
            ls_progress_update(&pr->p, ++pr->batches, bits, -1.0, pr->tokens);
        }
    }
    free(logp);
    ls_ctx_free(&ctx);
    return rc;
}

/* one row: the trained parameters under the row's options at every test length -> v[NV] */
static int eval_row(const e1_row *r, const ls_model *base, const e1_plan *p, const e1_data *D,
                    const char *label, int quiet, double *v, char *err) {
    double t0 = ls_now();
    int64_t period = 3 * p->L / 2, batches = (p->n_eval + p->eval_batch - 1) / p->eval_batch;
    e1_progress pr = {.p = {0}, .batches = 0, .tokens = 0.0};
    /* the plain sets and the repeat set */
    ls_progress_start(&pr.p, label, (p->ntest + 1) * batches, quiet);
    for (int k = 0; k <= p->ntest; k++) {
        int repeat = k == p->ntest;
        const sl_set *set = repeat ? &D->repeat : &D->plain[k];
        ls_config c = row_config(r, base->cfg, set->d.T);
        ls_model m;
        e1_sums s;
        memset(&s, 0, sizeof s);
        if (ls_model_init(&m, &c, 1, err)) return -1;
        int rc = copy_params(&m.P, &base->P, err);
        if (!rc && r->nbce)
            rc = eval_set_nbce(&m, &set->d, p->L, p->eval_batch, p->L, period, &s, &pr, err);
        else if (!rc) rc = eval_set(&m, &set->d, p->eval_batch, p->L, period, &s, &pr, err);
        ls_model_free(&m);
        if (rc) return -1;
        if (repeat) v[V_COPY] = s.right / (double)s.n_after;
        else v[k] = s.nll / (double)s.n / LN2;
        if (k == p->ntest - 1) {
            v[V_TAIL] = s.nll_tail / (double)s.n_tail / LN2;
            v[V_NOCOPY] = s.right / (double)s.n_after;
        }
    }
    /* the smoke profile tests fewer lengths */
    for (int k = p->ntest; k < V_TAIL; k++) v[k] = NAN;
    v[V_EVAL_S] = ls_now() - t0;
    ls_progress_end(&pr.p, NULL);
    return 0;
}

/* the cache key of a row: the trained run, the row's model configuration at every length, the
   eval sets */
static uint64_t row_hash(const e1_row *r, const ls_config *base, uint64_t run, const e1_plan *p,
                         const e1_data *D) {
    const sl_set *sets[5] = {&D->repeat};
    for (int k = 0; k < p->ntest; k++) sets[k + 1] = &D->plain[k];
    char key[256];
    snprintf(key, sizeof key, "E1 eval v1: lang %d plain %d+L period %lld tail %lld n %lld batch "
             "%lld crc %08x", LANG_SEED, PLAIN_SEED, (long long)(3 * p->L / 2), (long long)p->L,
             (long long)p->n_eval, (long long)p->eval_batch,
             (unsigned)data_crc(sets, p->ntest + 1));
    uint64_t h = rp_hash(rp_hash(rp_hash_begin(), key, strlen(key)), &run, sizeof run);
    for (int k = 0; k < p->ntest; k++) {
        ls_config c = row_config(r, *base, p->test[k]);
        h = rp_hash(rp_hash(h, &p->test[k], sizeof p->test[k]), &c, sizeof c);
    }
    /* NBCE leaves the config as it is: its evaluation enters the key here (no other row's key
       changes) */
    if (r->nbce) {
        char nb[96];
        snprintf(nb, sizeof nb, "NBCE v1: beta %g, blocks of %lld, min-entropy pooling",
                 (double)NBCE_BETA, (long long)(p->L / 2));
        h = rp_hash(h, nb, strlen(nb));
    }
    return h;
}

/* are all the rows of trained model m recorded? (then the table needs its record, not its .model:
   `make tables` re-prints from the committed records, which hold no .model files, and a new row
   trains only its own model) */
static int rows_cached(int m, const e1_plan *p, const e1_data *D, const ls_config *cfg,
                       uint64_t run) {
    char path[512];
    for (int r = 0; r < N_ROWS; r++) {
        if (ROWS[r].model != m) continue;
        rp_path(path, sizeof path, TABLE, row_hash(&ROWS[r], cfg, run, p, D), ".row");
        FILE *f = fopen(path, "r");
        if (!f) return 0;
        fclose(f);
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------
   expected trends and pass checks, from our numbers */

/* last: index of the longest length */
typedef struct e1_view { const double (*v)[NV]; int last; } e1_view;
static double first(const e1_view *e, int r) { return e->v[r][0]; }
static double longest(const e1_view *e, int r) { return e->v[r][e->last]; }
static double rise(const e1_view *e, int r) { return longest(e, r) - first(e, r); }
/* share of RoPE's loss at the longest length (over its own bpc at L_train) that row r removes */
static double recovery(const e1_view *e, int r) {
    return (longest(e, R_ROPE) - longest(e, r)) / (longest(e, R_ROPE) - first(e, R_ROPE));
}
static double copy_gain(const e1_view *e, int r) { return e->v[r][V_COPY] - e->v[r][V_NOCOPY]; }

#define STEEP 0.5      /* bpc: a steep rise from L_train to the longest length */
#define FLAT 0.02      /* bpc: ALiBi's allowance (check 3: longest length <= L_train + 0.02) */
#define DEGRADES 0.05  /* bpc: RoPE must degrade at least this much for "recovers" to mean
                          anything */
#define MOST 0.5       /* "recovers most": removes more than half of RoPE's loss */
#define NEAR 0.05      /* copy accuracy within 5 points of the no-copy level */
#define CLEAR 0.10     /* "clearly higher": 10 points above the no-copy level and above every
                          "near" row */

enum { K_NONE, K_SIN_STEEP, K_ROPE_LESS, K_ALIBI_FLAT, K_LOGN_BETTER, K_NO_RECOVER, K_RECOVER,
       K_KN_FLAT, K_FLAT_BEATS_ALIBI, K_BEATS_ROPE, K_EXTRAPOLATES };
static const char *mark(int ok) { return ok ? "✓" : "✗"; }

/* one trend test on row r; the text says what was compared */
static int trend(int kind, int r, const e1_view *e, char *why, size_t cap) {
    int ok = 0, rope_ok = rise(e, R_ROPE) >= DEGRADES;
    switch (kind) {
    case K_SIN_STEEP:
        ok = rise(e, r) >= STEEP;
        snprintf(why, cap, "rise %+.3f bpc (steep: ≥ %+.2f)", rise(e, r), STEEP); break;
    case K_ROPE_LESS:
        ok = rope_ok && rise(e, R_ROPE) < rise(e, R_SIN);
        snprintf(why, cap, "rise %+.3f vs Sinusoidal %+.3f bpc", rise(e, R_ROPE), rise(e, R_SIN));
        break;
    case K_ALIBI_FLAT:
        ok = rise(e, r) <= FLAT;
        snprintf(why, cap, "rise %+.3f bpc (≤ %+.2f)", rise(e, r), FLAT); break;
    case K_LOGN_BETTER:
        ok = longest(e, r) < longest(e, R_ROPE);
        snprintf(why, cap, "%.3f vs RoPE %.3f bpc at the longest length", longest(e, r),
                 longest(e, R_ROPE));
        break;
    case K_NO_RECOVER:
        ok = rope_ok && recovery(e, r) < MOST;
        snprintf(why, cap, "recovers %.0f%% of RoPE's loss (fails: < %.0f%%)", 100 * recovery(e, r),
                 100 * MOST);
        break;
    case K_RECOVER:
        ok = rope_ok && recovery(e, r) >= MOST;
        snprintf(why, cap, "recovers %.0f%% of RoPE's loss (most: ≥ %.0f%%)",
                 100 * recovery(e, r), 100 * MOST);
        break;
    case K_KN_FLAT:
        ok = rope_ok && rise(e, r) <= 0.5 * rise(e, R_ROPE);
        snprintf(why, cap, "rise %+.3f vs RoPE %+.3f bpc (far flatter: ≤ half)", rise(e, r),
                 rise(e, R_ROPE));
        break;
    case K_FLAT_BEATS_ALIBI:
        ok = rise(e, r) <= FLAT && longest(e, r) < longest(e, R_ALIBI);
        snprintf(why, cap, "rise %+.3f bpc (flat: ≤ %+.2f); %.3f vs ALiBi %.3f bpc at the "
                 "longest length", rise(e, r), FLAT, longest(e, r), longest(e, R_ALIBI));
        break;
    case K_BEATS_ROPE:
        ok = rope_ok && longest(e, r) < longest(e, R_ROPE);
        snprintf(why, cap, "%.3f vs RoPE %.3f bpc at the longest length (rise %+.3f vs %+.3f)",
                 longest(e, r), longest(e, R_ROPE), rise(e, r), rise(e, R_ROPE));
        break;
    case K_EXTRAPOLATES:   /* trained short: flat or falling to the longest length, where RoPE
                              rises */
        ok = rope_ok && rise(e, r) <= FLAT;
        snprintf(why, cap, "rise %+.3f bpc (flat or falling: ≤ %+.2f) where RoPE rose %+.3f",
                 rise(e, r), FLAT, rise(e, R_ROPE));
        break;
    default: snprintf(why, cap, "not a row of this table"); return -1;
    }
    if (!rope_ok && kind != K_SIN_STEEP && kind != K_ALIBI_FLAT && kind != K_LOGN_BETTER &&
        kind != K_FLAT_BEATS_ALIBI) {
        size_t n = strlen(why);
        snprintf(why + n, cap - n, "; undefined: RoPE rose only %+.3f bpc", rise(e, R_ROPE));
    }
    return ok;
}

/* check 7: window and ALiBi copy no better than text alone; ReRoPE (w < L_train) and KeyNorm
   clearly do */
static int copy_check(const e1_view *e, char *why, size_t cap) {
    const int near[3] = {R_WINDOW, R_LAMBDA, R_ALIBI}, high[3] = {R_RE1, R_RE2, R_KN};
    double near_max = -1, high_min = 1;
    for (int i = 0; i < 3; i++) {
        if (copy_gain(e, near[i]) > near_max) near_max = copy_gain(e, near[i]);
        if (copy_gain(e, high[i]) < high_min) high_min = copy_gain(e, high[i]);
    }
    snprintf(why, cap, "copy − no-copy accuracy: window %+.1f, Λ-window %+.1f, ALiBi %+.1f "
             "(near: ≤ %.0f); ReRoPE w=L/4 %+.1f, w=L/2 %+.1f, KeyNorm %+.1f points (clear: ≥ "
             "%.0f and ≥ near + %.0f)", 100 * copy_gain(e, R_WINDOW),
             100 * copy_gain(e, R_LAMBDA), 100 * copy_gain(e, R_ALIBI), 100 * NEAR,
             100 * copy_gain(e, R_RE1), 100 * copy_gain(e, R_RE2), 100 * copy_gain(e, R_KN),
             100 * CLEAR, 100 * CLEAR);
    return near_max <= NEAR && high_min >= CLEAR && high_min >= near_max + CLEAR;
}

/* published figures (sources in each row), the trend each predicts, and our test of it */
typedef struct e1_anchor { int su; const char *what, *published, *trend; int kind, row; } e1_anchor;
static const char *const SOURCE[6] = {
    "ALiBi Table 2 (Press et al. 2022, arXiv 2108.12409: WikiText-103, 247M params, L_train 512), "
    "validation perplexity at L_valid 512 / 1012 / 1512 / 2512 / 15512",
    "Su 9708/9859 (J. Su 2023, kexue.fm/archives/9708 and 9859: 100M GAU, L_train 512), per-token "
    "accuracy % at 512 / 4096 repeated / 4096 non-repeated",
    "KERPLE (Chi et al. 2022, NeurIPS, arXiv 2205.09921)",
    "xPos (Sun et al. 2023, \"A Length-Extrapolatable Transformer\", ACL, arXiv 2212.10554)",
    "HWFA and NBCE (J. Su 2023, kexue.fm/archives/9603 and 9617)",
    "NoPE (Kazemnejad et al. 2023, \"The Impact of Positional Encoding on Length Generalization "
    "in Transformers\", NeurIPS, arXiv 2305.19466)"};
static const e1_anchor ANCHORS[] = {
    {.su = 0, .what = "Sinusoidal", .published = "20.05 / 43.54 / 76.23 / 132.41 / 406.01",
     .trend = "explodes beyond L_train", .kind = K_SIN_STEEP, .row = R_SIN},
    {.su = 0, .what = "Rotary", .published = "20.07 / 21.37 / 25.99 / 31.58 / 79.25",
     .trend = "degrades, less than Sinusoidal", .kind = K_ROPE_LESS, .row = R_ROPE},
    {.su = 0, .what = "T5 bias", .published = "19.65 / 18.79 / 18.91 / 20.41 / OOM",
     .trend = "flat to 5x L_train", .kind = K_NONE, .row = 0},
    {.su = 0, .what = "ALiBi",
     .published = "19.73 / 18.73 / 18.52 / 18.41 / 18.31; Table 5 (L_train 64): 28.46 → 21.53 "
                  "at 3072",
     .trend = "flat or improving", .kind = K_ALIBI_FLAT, .row = R_ALIBI},
    {.su = 1, .what = "Baseline RoPE", .published = "49.41 / 24.17 / 23.16",
     .trend = "halves beyond L_train", .kind = K_ROPE_LESS, .row = R_ROPE},
    {.su = 1, .what = "Baseline-log n", .published = "49.40 / 24.60 / 24.02",
     .trend = "slightly better than RoPE (trained with log n, as Su trains it; row 4 is the "
              "test-time log n† on RoPE's checkpoint)",
     .kind = K_LOGN_BETTER, .row = R_LOGN_T},
    {.su = 1, .what = "PI", .published = "49.41 / 15.04 / 13.54",
     .trend = "worse than RoPE without fine-tuning", .kind = K_NO_RECOVER, .row = R_PI},
    {.su = 1, .what = "NTK-fixed", .published = "49.41 / 51.86 / 39.61", .trend = "recovers most",
     .kind = K_RECOVER, .row = R_NTK},
    {.su = 1, .what = "NTK-log n-mixed", .published = "49.40 / 68.91 / 45.41",
     .trend = "better than NTK-fixed", .kind = K_NONE, .row = 0},
    {.su = 1, .what = "ReRoPE-w256 (w = L_train/2)", .published = "49.41 / 77.90 / 48.48",
     .trend = "recovers most, copies", .kind = K_RECOVER, .row = R_RE2},
    {.su = 1, .what = "ReRoPE-w256-log n", .published = "49.40 / 85.12 / 49.07",
     .trend = "best of the ReRoPE family", .kind = K_NONE, .row = 0},
    {.su = 1, .what = "ReRoPE-w512 (= L_train)", .published = "49.41 / 7.09 / 8.25",
     .trend = "collapses", .kind = K_NO_RECOVER, .row = R_RE4},
    {.su = 1, .what = "Leaky ReRoPE-w128-k16-log n (w = L_train/4)",
     .published = "49.40 / 85.15 / 49.10", .trend = "recovers most (row 13 has no log n)",
     .kind = K_RECOVER, .row = R_LEAKY},
    {.su = 1, .what = "HWFA", .published = "48.70 / 80.84 / 48.15",
     .trend = "recovers most (a trained layout: its bpc at the longest length against RoPE's)",
     .kind = K_RECOVER, .row = R_HWFA},
    {.su = 1, .what = "KNA", .published = "49.60 / 61.08 / 47.69",
     .trend = "far flatter than RoPE with no test-time change", .kind = K_KN_FLAT, .row = R_KN},
    {.su = 1, .what = "KNA-log n", .published = "49.58 / 63.17 / 46.40", .trend = "as KNA",
     .kind = K_NONE, .row = 0},
    {.su = 1, .what = "Baseline-YaRN", .published = "49.41 / 80.10 / 47.45",
     .trend = "recovers most", .kind = K_RECOVER, .row = R_YARN},
    {.su = 2, .what = "KERPLE-log", .published = "(the paper's claim; no figure quoted)",
     .trend = "perplexity stays flat past L_train, lower than ALiBi's on the paper's "
              "language-modelling sets",
     .kind = K_FLAT_BEATS_ALIBI, .row = R_KERPLE},
    {.su = 3, .what = "xPos", .published = "(the paper's claim; no figure quoted)",
     .trend = "extrapolates better than RoPE (the paper measures it with blockwise causal "
              "attention at test time; this table uses full causal attention)",
     .kind = K_BEATS_ROPE, .row = R_XPOS},
    {.su = 4, .what = "HWFA", .published = "(the post's claim; 9708's accuracies are above)",
     .trend = "trained at L_train, the loss stays flat or keeps falling as the test length grows, "
              "where plain RoPE breaks down",
     .kind = K_EXTRAPOLATES, .row = R_HWFA},
    {.su = 4, .what = "NBCE, β = 0.25 and min-entropy pooling,",
     .published = "(the post's claim; its evidence is question answering over contexts longer "
                  "than a released LLM's training length, no perplexity figure)",
     .trend = "extends the context a trained model can read with no fine-tuning: recovers most of "
              "what RoPE loses past L_train",
     .kind = K_RECOVER, .row = R_NBCE},
    {.su = 5, .what = "NoPE (no position encoding, causal)",
     .published = "(the paper's claim; its figures are accuracies on synthetic reasoning tasks, "
                  "not language modelling)",
     .trend = "a causal decoder without position encoding length-generalises better than RoPE",
     .kind = K_BEATS_ROPE, .row = R_NOPE}};

/* one line per anchor: ✓/✗ when the table has the row (· when not), the figures, the trend,
   our test of it */
static void add_anchors(rp_table *t, const e1_view *e) {
    rp_table_note(t, "Published anchors (figures as the sources report them, not re-checked here), "
                  "the trend each predicts, and our rows against it:");
    for (size_t i = 0; i < sizeof ANCHORS / sizeof ANCHORS[0]; i++) {
        const e1_anchor *a = &ANCHORS[i];
        char why[256];
        if (i == 0 || a->su != ANCHORS[i - 1].su) rp_table_note(t, "%s:", SOURCE[a->su]);
        int ok = trend(a->kind, a->row, e, why, sizeof why);
        if (ok < 0)
            rp_table_note(t, "· %s %s. Expected: %s. Not a row of this table.", a->what,
                          a->published, a->trend);
        else
            rp_table_note(t, "%s %s %s. Expected: %s. Ours, row %d: %s.", mark(ok), a->what,
                          a->published, a->trend, a->row + 1, why);
    }
}

static void add_checks(rp_table *t, const e1_view *e, int quiet) {
    char why[6][512], cw[600];
    int ok[7], k4 = 1;
    const int rec[5] = {R_WINDOW, R_RE1, R_RE2, R_NTK, R_YARN};
    ok[0] = trend(K_SIN_STEEP, R_SIN, e, why[0], sizeof why[0]);
    ok[1] = trend(K_ROPE_LESS, R_ROPE, e, why[1], sizeof why[1]);
    ok[2] = trend(K_ALIBI_FLAT, R_ALIBI, e, why[2], sizeof why[2]);
    snprintf(why[3], sizeof why[3], "share of RoPE's loss recovered by row");
    for (int i = 0; i < 5; i++) {
        char w[256];
        k4 &= trend(K_RECOVER, rec[i], e, w, sizeof w);
        size_t n = strlen(why[3]);
        snprintf(why[3] + n, sizeof why[3] - n, "%s %d %.0f%%", i ? "," : "", rec[i] + 1,
                 100 * recovery(e, rec[i]));
    }
    if (rise(e, R_ROPE) < DEGRADES) {
        size_t n = strlen(why[3]);
        snprintf(why[3] + n, sizeof why[3] - n, "; undefined: RoPE rose only %+.3f bpc",
                 rise(e, R_ROPE));
    }
    ok[3] = k4;
    ok[4] = trend(K_NO_RECOVER, R_RE4, e, why[4], sizeof why[4]);
    ok[5] = trend(K_KN_FLAT, R_KN, e, why[5], sizeof why[5]);
    ok[6] = copy_check(e, cw, sizeof cw);
    static const char *const what[7] = {
        "Sinusoidal: bpc rises steeply beyond L_train", "RoPE degrades, but less than Sinusoidal",
        "ALiBi at the longest length ≤ its bpc at L_train + 0.02",
        "window, ReRoPE (w < L_train), NTK and YaRN recover most of RoPE's loss (≥ 50% each)",
        "ReRoPE with w = L_train fails (Su's w512 sanity row)",
        "KeyNorm stays far flatter than RoPE with no test-time change",
        "copy: window and ALiBi near the no-copy level; ReRoPE and KeyNorm clearly higher"};
    rp_table_note(t, "Pass checks (fixed before the runs, from the published trends), from the "
                  "numbers above:");
    for (int i = 0; i < 7; i++) {
        rp_table_note(t, "%s %d. %s: %s", mark(ok[i]), i + 1, what[i], i < 6 ? why[i] : cw);
        if (!quiet) printf("%s %d. %s\n", mark(ok[i]), i + 1, what[i]);
    }
}

/* ---------------------------------------------------------------------------------------------
   the table */

/* the table's rows, and the same numbers unrounded (with the no-copy level and eval time) for the
   CSV */
static void add_rows(rp_table *t, rp_table *csv, const e1_plan *p, const double (*v)[NV],
                     const rp_result *res) {
    for (int r = 0; r < N_ROWS; r++) {
        const e1_row *w = &ROWS[r];
        /* trained here, not post-hoc */
        int first = 0;   /* the row that trained this row's model: the first row using it */
        while (ROWS[first].model != w->model) first++;
        int own = first == r;
        char num[8], change[96], cell[4][16], tail[16], copy[16], train[32], line[1024];
        snprintf(num, sizeof num, "%d", r + 1);
        snprintf(change, sizeof change, w->change, row_number(w, p->L));
        const char *cp[10] = {num, TRAINED[w->model], change};
        int c = 3;
        size_t n = (size_t)snprintf(line, sizeof line, "%d\t%s\t%s", r + 1, TRAINED[w->model],
                                    change);
        for (int k = 0; k < p->ntest; k++) {
            snprintf(cell[k], sizeof cell[k], "%.3f", v[r][k]);
            cp[c++] = cell[k];
            n += (size_t)snprintf(line + n, sizeof line - n, "\t%.5f", v[r][k]);
        }
        snprintf(tail, sizeof tail, "%.3f", v[r][V_TAIL]);
        snprintf(copy, sizeof copy, "%.1f", 100 * v[r][V_COPY]);
        if (own) snprintf(train, sizeof train, "%.0f", res[w->model].wall_s);
        else snprintf(train, sizeof train, "(row %d)", first + 1);
        cp[c++] = tail; cp[c++] = copy; cp[c++] = train;
        rp_table_row(t, cp);
        snprintf(line + n, sizeof line - n, "\t%.5f\t%.4f\t%.4f\t%.1f\t%.1f\t%016llx", v[r][V_TAIL],
                 v[r][V_COPY], v[r][V_NOCOPY], v[r][V_EVAL_S], own ? res[w->model].wall_s : 0.0,
                 (unsigned long long)res[w->model].hash);
        rp_table_rowf(csv, "%s", line);
    }
}

/* column heads follow the plan: bpc@64 .. bpc@512, last64@512, copy@96 in the cpu profile */
static void table_init(rp_table *t, rp_table *csv, const e1_plan *p) {
    char head[6][32], chead[6][32];
    const char *hp[10] = {"#", "trained PE", "test-time change"},
               *ch[13] = {"row", "trained_pe", "change"};
    int c = 3;
    long long L = (long long)p->L, Lmax = (long long)p->test[p->ntest - 1], P = 3 * L / 2;
    for (int k = 0; k < p->ntest; k++) {
        snprintf(head[k], 32, "bpc@%lld", (long long)p->test[k]);
        ch[c] = hp[c] = head[k];
        c++;
    }
    snprintf(head[4], 32, "last%lld@%lld", L, Lmax);
    snprintf(head[5], 32, "copy@%lld", P);
    snprintf(chead[0], 32, "last%lld@%lld", L, Lmax);
    snprintf(chead[1], 32, "copy_acc@%lld", P);
    snprintf(chead[2], 32, "nocopy_acc@%lld", P);
    hp[c] = head[4]; hp[c + 1] = head[5]; hp[c + 2] = "train_s";
    ch[c] = chead[0]; ch[c + 1] = chead[1]; ch[c + 2] = chead[2];
    ch[c + 3] = "eval_s"; ch[c + 4] = "train_s"; ch[c + 5] = "run_hash";
    char title[256];
    snprintf(title, sizeof title, "Length extrapolation: train L=%lld (SynthLang, causal, d=%d "
             "H=%d %dL); metric bpc (lower better); copy@%lld = accuracy on repeat-set tokens at "
             "L=%lld", L, p->d, p->H, p->layers, P, Lmax);
    rp_table_init(t, title, c + 3, hp, RP_MD | RP_TEX);
    rp_table_init(csv, "", c + 6, ch, RP_CSV);
}

static void add_notes(rp_table *t, const e1_plan *p, double unigram_bits) {
    long long L = (long long)p->L, Lmax = (long long)p->test[p->ntest - 1], P = 3 * L / 2;
    rp_table_note(t, "bpc: mean next-id loss in bits over all targets of %lld plain SynthLang "
                  "sequences per length (fixed eval seed, the same for every row). last%lld@%lld: "
                  "the final %lld targets only (same targets as bpc@%lld, longer context; "
                  "separates \"more context helps\" from the early-token curse). copy@%lld: "
                  "next-id accuracy (%%) on the bpc@%lld sequences with their first %lld ids tiled "
                  "to length %lld, over the targets after the first period; the no-copy level (the "
                  "same accuracy on the untiled sequences) is in the CSV.", (long long)p->n_eval, L,
                  Lmax, L, L, P, Lmax, P, Lmax);
    rp_table_note(t, "Rows 1-3, %d, %d, %d, %d, %d and %d are trained (train_s: seconds of "
                  "training); the "
                  "other rows reuse the checkpoint of the row named in train_s, with only the "
                  "test-time change, forward only. PI, NTK and YaRN use s = L_test/%lld at each "
                  "length; YaRN with β = %.0f instead of the paper's 32 (at L_train %lld, d_h %d "
                  "no RoPE dimension turns 32 times). log n† scales row i's logits by "
                  "max(1, log(i+1)/log %lld); ReRoPE maps distances ≥ w to w, leaky ReRoPE to "
                  "w + (r − w)/k.", R_KN + 1, R_XPOS + 1, R_KERPLE + 1, R_HWFA + 1, R_NOPE + 1,
                  R_LOGN_T + 1, L, YARN_BETA,
                  L, p->d / p->H, L);
    rp_table_note(t, "Row %d, xPos: RoPE with the paper's decay, q·k scaled by ζ^((i−j)/%.0f), "
                  "ζ = (2p/d_h + %.1f)/%.1f per rotary pair p; without the blockwise causal "
                  "attention the paper adds at test time. Row %d, KERPLE-log: logits − "
                  "r1 log(1 + r2 |i−j|), r1, r2 learned per head and layer (softplus of raw "
                  "parameters), starting at r1 = 1, r2 = ALiBi's slope.", R_XPOS + 1,
                  (double)LS_XPOS_SCALE_BASE, (double)LS_XPOS_GAMMA, 1.0 + (double)LS_XPOS_GAMMA,
                  R_KERPLE + 1);
    rp_table_note(t, "Row %d, HWFA (hybrid window-full attention): layer 1 window attention (keys "
                  "i−%lld..i) with RoPE, layer 2 (the last) full causal attention with no "
                  "position encoding and logits times log(i+1)/log %lld, in training and at every "
                  "test length. Row %d, NBCE on row %d's checkpoint: each sequence is cut into "
                  "blocks of %lld ids; the targets after the positions of a block are predicted "
                  "with that block as the tail and every earlier block as a segment ([segment, "
                  "tail] = %lld ids = L_train), as (1+β) log p(·|segment k*, tail) − β log "
                  "p(·|tail), renormalised, k* the segment of lowest predictive entropy, β = "
                  "%.2f; the first block, with no context, gets the plain prediction. Every target "
                  "is scored as in the other rows; no forward pass is longer than L_train.",
                  R_HWFA + 1, (long long)HWFA_WINDOW(L) - 1, L, R_NBCE + 1, R_ROPE + 1, L / 2, L,
                  (double)NBCE_BETA);
    rp_table_note(t, "Reference: the unigram entropy of the text is %.3f bits per id; a model at "
                  "that bpc predicts letter frequencies and nothing else.", unigram_bits);
    rp_table_note(t, "Row %d, NoPE: no position encoding at all (a causal decoder can still "
                  "learn positions). Row %d: RoPE trained and tested with row i's logits times "
                  "log(i+1)/log %lld (Su's log n scaling, which also shrinks the logits of the "
                  "first rows; row 4 applies it only at test time and never below 1). Not run "
                  "(optional row): RoPE+qk-bias.", R_NOPE + 1, R_LOGN_T + 1, L);
}

/* every row, read back from the cache or evaluated and cached; *eval_s: their summed evaluation
   time */
static int run_rows(const e1_plan *p, const e1_data *D, const ls_model *base, const rp_result *res,
                    const ls_cli *cli, int fresh, double (*v)[NV], double *eval_s) {
    char err[LS_ERRLEN];
    *eval_s = 0;
    for (int r = 0; r < N_ROWS; r++) {
        const e1_row *w = &ROWS[r];
        uint64_t h = row_hash(w, &base[w->model].cfg, res[w->model].hash, p, D);
        int got = fresh ? 0 : rp_row_get(TABLE, h, v[r], NV, err);
        if (got < 0) { fprintf(stderr, TABLE ": %s\n", err); return -1; }
        if (!got) {
            char label[160], change[96];
            snprintf(change, sizeof change, w->change, row_number(w, p->L));
            snprintf(label, sizeof label, "E1 row %d %s %s", r + 1, TRAINED[w->model], change);
            if (eval_row(w, &base[w->model], p, D, label, cli->quiet, v[r], err) ||
                rp_row_put(TABLE, h, v[r], NV, err)) {
                fprintf(stderr, TABLE ": row %d: %s\n", r + 1, err);
                return -1;
            }
        }
        *eval_s += v[r][V_EVAL_S];
    }
    return 0;
}

static int write_table(const e1_plan *p, const e1_data *D, const double (*v)[NV],
                       const rp_result *res, const ls_cli *cli, double eval_s, double t_start) {
    rp_table t, csv;
    table_init(&t, &csv, p);
    add_rows(&t, &csv, p, v, res);
    add_notes(&t, p, sl_unigram_bits(&D->plain[0].d));
    e1_view e = {.v = v, .last = p->ntest - 1};
    add_anchors(&t, &e);
    add_checks(&t, &e, cli->quiet);
    double train_s = 0;
    for (int m = 0; m < N_TRAINED; m++) train_s += res[m].wall_s;
    char seeds[32], steps[32], extra[512], tw[32], ew[32], sw[32], err[LS_ERRLEN];
    arm_seeds(seeds, sizeof seeds, cli->seed, 1);
    snprintf(steps, sizeof steps, "%lld", (long long)p->steps);
    rp_fmt_secs(train_s, tw, sizeof tw);
    rp_fmt_secs(eval_s, ew, sizeof ew);
    rp_fmt_secs(train_s + eval_s, sw, sizeof sw);
    snprintf(extra, sizeof extra, "d %d, %d heads, FFN %d, %d layers, pre-LN; batch %lld x %lld, "
             "AdamW lr 3e-3 wd 0.01, %lld warm-up, cosine, clip 1; best of 4 validations on %lld "
             "held-out sequences; training %s, evaluation %s; summed run time %s", p->d, p->H, p->F,
             p->layers, (long long)p->batch, (long long)p->L, (long long)p->warmup,
             (long long)p->n_val, tw, ew, sw);
    rp_caption(&t, cli->profile, seeds, ls_get_threads(), steps, ls_now() - t_start, extra);
    rp_table *tabs[2] = {&t, &csv};
    int rc = rp_write(cli->out, TABLE, tabs, 2, err);
    if (rc) fprintf(stderr, TABLE ": %s\n", err);
    rp_table_free(&t); rp_table_free(&csv);
    return rc;
}

int main(int argc, char **argv) {
    ls_cli cli;
    int fresh, rc = arm_cli(TABLE, "The length_extrapolation table: train causal LMs at L=64 on "
                            "SynthLang, test at 64..512 with test-time position changes.", argc,
                            argv, &cli, NULL, &fresh);
    if (rc) return rc - 1;
    double t_start = ls_now();
    e1_plan p = E1_PLAN[cli.profile];
    if (cli.steps) { p.steps = cli.steps; if (p.warmup > p.steps / 10) p.warmup = p.steps / 10; }
    static e1_data D;   /* static: the lexicon tables are large for the stack */
    data_make(&D, &p);

    rp_result res[N_TRAINED];
    ls_model base[N_TRAINED];
    char err[LS_ERRLEN];
    for (int m = 0; m < N_TRAINED; m++) {
        /* the model as built (its config as ls_model_init completes it is in the rows' keys) */
        ls_config c = trained_config(&p, m);
        if (ls_model_init(&base[m], &c, 1, err)) {
            fprintf(stderr, TABLE ": %s: %s\n", TRAINED[m], err);
            return 1;
        }
        if (!fresh && train_model(m, &p, &D, &cli, fresh, 1, &res[m]) == 0 &&
            rows_cached(m, &p, &D, &base[m].cfg, res[m].hash))
            continue;   /* every row of this model is recorded: its .model is not needed */
        ls_model_free(&base[m]);
        err[0] = 0;   /* train_model prints its own error */
        if (train_model(m, &p, &D, &cli, fresh, 0, &res[m]) ||
            load_model(&base[m], &p, m, res[m].hash, err)) {
            if (*err) fprintf(stderr, TABLE ": %s: %s\n", TRAINED[m], err);
            return 1;
        }
    }
    static double v[N_ROWS][NV];
    double eval_s;
    if (run_rows(&p, &D, base, res, &cli, fresh, v, &eval_s)) return 1;
    if (write_table(&p, &D, (const double (*)[NV])v, res, &cli, eval_s, t_start)) return 1;
    printf(TABLE ": wrote %s/" TABLE ".{md,tex,csv} (%s profile, %.0f s)\n", cli.out,
           ls_profile_name(cli.profile), ls_now() - t_start);
    for (int m = 0; m < N_TRAINED; m++) ls_model_free(&base[m]);
    data_free(&D, &p);
    return 0;
}
