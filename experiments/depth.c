/* experiments/depth.c - the `depth` table (DeepNet, Wang et al. 2022, arXiv
   2203.00555; Su 8978 = J. Su 2022, kexue.fm/archives/8978). Which residual scheme keeps a deep
   decoder trainable under Adam without warm-up?

     depth [--profile smoke|cpu|paper] [--seed N] [--threads N] [--steps N] [--quiet] [--out DIR]
           [--fresh]

   Five schemes at N layers (each layer = an attention and an FFN sublayer G):
     Post-LN   x <- LN(x + G(x))            Pre-LN  x <- x + G(LN(x)), final LN
     Admin     x <- LN(w x + G(x)), w = sqrt((2N+1)/ln(2N+1) - 1) (closed form)
     DeepNorm  x <- LN(a x + G(x)), W_v, W_o, W_ffn1, W_ffn2 initialised at b x Xavier:
               the paper's a = (2N)^1/4, b = (8N)^-1/4, and Su's Adam derivation
               a = (2N)^1/2, b = (2N)^-1/2.
   ls_model_init builds the first four; the Adam variant is the paper's model with m.alpha
   overridden and the four b-scaled matrices rescaled by b_adam / b_paper (su_adam below).

   Each run trains a decoder-only LM on SynthLang for a fixed number of steps (one pass over fresh
   sequences, the same batches for every run) with Adam (0.9, 0.98), a constant lr, no warm-up, no
   clipping and no weight decay, so nothing masks an unstable update. Two numbers per run:
     bpc     validation bits per id after the last step; "div" when the loss went NaN/Inf or the bpc
             ended above the unigram entropy of the training set (the model lost even the
             frequencies);
     |dF|10  DeepNet's mechanism: the mean over positions of |h(t10) - h(t0)| / |h(t0)|, h the top
             hidden states on a fixed batch, after 10 steps. It grows with N for Post-LN, not for
             DeepNorm.
   Depth-stress fallback: when Post-LN survives the deepest N, that bpc column is rerun at twice the
   lr, and the table says which lr each column used. |dF| always comes from the base-lr runs,
   because DeepNet's bound is O(lr) at a fixed lr and the columns must compare across N.
   A custom loop rather than ls_train, which warms up, clips and cannot stop at step 10 for |dF|.
   Every (scheme, N, lr) run is cached in results/depth/<hash>.row, the hash covering the initial
   parameters, the data and the optimiser settings, so a killed run redoes only unfinished runs. */
#define LONGSEQ_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "cli.h"
#include "synthlang.h"

#define D_MODEL 32
#define HEADS 2
#define FFN 128
#define SEQ 32             /* ids per training sequence (the table's L) */
#define BATCH 8
#define DF_STEPS 10        /* |dF| after this many steps */
#define LR 1e-3f
#define LR_STRESS 2e-3f    /* the depth-stress fallback */
#define ADAM_BETA2 0.98f   /* DeepNet's Adam (0.9, 0.98) */
#define DEGRADE 0.05       /* check 1: bpc rise (bits per id) that counts as "degrades with
                              depth" */
#define MAX_SEEDS 5         /* initialisation seeds of the over-seeds table */
#define FLAT 1.5           /* check 4: max/min of DeepNorm's |dF| over N that counts as "roughly
                              constant" */
/* SynthLang is fixed; --seed moves the init only */
enum { LANG_SEED = 1, TRAIN_SEED = 2, VAL_SEED = 3 };

enum { S_POST, S_PRE, S_ADMIN, S_DEEP, S_ADAM, N_SCHEMES };
/* name: the table row; ascii: progress lines and the CSV */
static const struct { const char *name, *ascii; int norm; } SCHEME[N_SCHEMES] = {
    {.name = "Post-LN", .ascii = "Post-LN", .norm = LS_NORM_POST},
    {.name = "Pre-LN", .ascii = "Pre-LN", .norm = LS_NORM_PRE},
    {.name = "Admin (closed-form ω)", .ascii = "Admin (closed-form omega)", .norm = LS_NORM_ADMIN},
    {.name = "DeepNorm (paper)", .ascii = "DeepNorm (paper)", .norm = LS_NORM_DEEPNORM},
    {.name = "DeepNorm-Adam (Su 8978)", .ascii = "DeepNorm-Adam (Su 8978)",
     .norm = LS_NORM_DEEPNORM}};

/* per profile: depths, steps (the same for every run), validation sequences (a multiple of BATCH).
   cpu = paper = the table's design: N 6, 18, 48, 200 steps, a budget of 15 min. A step costs
   about 0.5 to 1 ms per layer on one core of a current CPU, so the 15 runs plus the 5 stress runs
   take minutes (the records and the cost table, `build/cost`, say how long and on which machine).
   Run it with --threads 1: at d=32 a second thread only adds synchronisation. */
typedef struct depth_plan { int nN, N[3]; int64_t steps, nval; int nseed; } depth_plan;
static const depth_plan PLANS[3] = {
    {.nN = 2, .N = {2, 4, 0}, .steps = 10, .nval = 16, .nseed = 2},
    {.nN = 3, .N = {6, 18, 48}, .steps = 200, .nval = 64, .nseed = 3},
    {.nN = 3, .N = {6, 18, 48}, .steps = 200, .nval = 64, .nseed = 3}};

typedef struct data {
    sl_lang lang;
    sl_set train, val;     /* sequences of SEQ + 1 ids: input x[0..SEQ), targets x[1..SEQ] */
    double unigram_bits;   /* of the training set: the "div" threshold */
    uint64_t hash;         /* of every id, so cached runs follow any change of the generator */
} data;

typedef struct run {
    int scheme, N;
    float lr;
    double alpha, beta;    /* the model's residual scale and init gain, as built */
    double bpc, df, secs, div_step;   /* div_step: the step whose loss was not finite, or -1 */
} run;
enum { ROW_N = 4 };        /* cached numbers: bpc, df, secs, div_step */

static void die(const char *what, const char *msg) {
    fprintf(stderr, "depth: %s: %s\n", what, msg);
    exit(1);
}

/* 0.001 -> "1e-3", as papers write learning rates */
static const char *lr_str(float lr, char *buf, size_t cap) {
    int e = (int)floor(log10(lr) + 1e-6);
    snprintf(buf, cap, "%ge%d", lr / pow(10.0, e), e);
    return buf;
}

static void data_make(data *D, const depth_plan *p) {
    sl_init(&D->lang, LANG_SEED);
    sl_set_make(&D->train, &D->lang, TRAIN_SEED, p->steps * BATCH, SEQ + 1, 0);
    sl_set_make(&D->val, &D->lang, VAL_SEED, p->nval, SEQ + 1, 0);
    D->unigram_bits = sl_unigram_bits(&D->train.d);
    D->hash = rp_hash(rp_hash(rp_hash_begin(), D->train.tok,
                              (size_t)(D->train.d.n * (SEQ + 1)) * sizeof(int32_t)),
                      D->val.tok, (size_t)(D->val.d.n * (SEQ + 1)) * sizeof(int32_t));
}

static void data_free(data *D) { sl_set_free(&D->train); sl_set_free(&D->val); sl_free(&D->lang); }

/* inputs and next-id targets (BATCH, SEQ) of sequences first.. of a set */
static void batch(const sl_set *s, int64_t first, int32_t *ids, int32_t *tgt) {
    for (int64_t b = 0; b < BATCH; b++) {
        const int32_t *x = s->tok + ((first + b) % s->d.n) * (SEQ + 1);
        memcpy(ids + b * SEQ, x, SEQ * sizeof *x);
        memcpy(tgt + b * SEQ, x + 1, SEQ * sizeof *x);
    }
}

static ls_config model_cfg(int scheme, int N) {
    /* sinusoidal positions */
    ls_config c = ls_config_default(LS_ARCH_TRANSFORMER, SL_VOCAB, SEQ);
    c.d_model = D_MODEL; c.n_heads = HEADS; c.d_ffn = FFN; c.n_layers = N;
    c.causal = 1; c.head = LS_HEAD_LM; c.norm = SCHEME[scheme].norm;
    return c;
}

/* Su 8978: under Adam the DeepNet argument gives a = (2N)^1/2, b = (2N)^-1/2. The paper's model
   drew W_v, W_o, W_ffn1, W_ffn2 as b_paper x Xavier; scaling exactly those by b_adam / b_paper
   gives the same draws at b_adam (the biases are zero). Found by their names, so no header
   internals are touched. */
static void su_adam(ls_model *m) {
    static const char *const W[4] = {"attn.wv", "attn.wo", "ffn.w1", "ffn.w2"};
    int N = m->cfg.n_layers;
    float beta = (float)pow(2.0 * N, -0.5), ratio = beta / m->beta;
    for (int l = 0; l < N; l++)
        for (int k = 0; k < 4; k++) {
            char name[64];
            snprintf(name, sizeof name, "layer%d.%s", l, W[k]);
            ls_tensor *w = ls_params_find(&m->P, name);
            if (!w)
                die("DeepNorm-Adam",
                    "a beta-scaled weight is missing; ls_model_init renamed its parameters?");
            for (int64_t i = 0; i < w->n; i++) w->x[i] *= ratio;
        }
    m->alpha = (float)sqrt(2.0 * N);
    m->beta = beta;
}

/* validation loss in bits per id */
static double val_bpc(ls_ctx *ctx, ls_model *m, const sl_set *val) {
    int32_t ids[BATCH * SEQ], tgt[BATCH * SEQ];
    double sum = 0;
    ctx->no_grad = 1;
    for (int64_t i = 0; i < val->d.n; i += BATCH) {
        batch(val, i, ids, tgt);
        ls_tensor *loss = ls_cross_entropy(ctx, ls_model_forward(ctx, m, ids, NULL, BATCH, SEQ),
                                           tgt, -100);
        if (!loss) die("validation", ls_ctx_error(ctx));
        sum += loss->x[0];
        ls_ctx_reset(ctx);
    }
    ctx->no_grad = 0;
    return sum / (double)(val->d.n / BATCH) / log(2.0);
}

/* top hidden states (BATCH, SEQ, d) of the fixed batch, copied to h */
static void top_states(ls_ctx *ctx, ls_model *m, const int32_t *ids, float *h) {
    ctx->no_grad = 1;
    ls_tensor *x = ls_model_encode(ctx, m, ids, NULL, BATCH, SEQ);
    if (!x) die("|dF|", ls_ctx_error(ctx));
    memcpy(h, x->x, (size_t)x->n * sizeof *h);
    ls_ctx_reset(ctx);
    ctx->no_grad = 0;
}

/* mean over positions of |h1 - h0| / |h0|; a non-finite state counts as an infinite change */
static double rel_change(const float *h0, const float *h1) {
    double sum = 0;
    for (int64_t t = 0; t < BATCH * SEQ; t++) {
        double dd = 0, nn = 0;
        for (int64_t c = 0; c < D_MODEL; c++) {
            double a = h0[t * D_MODEL + c], e = h1[t * D_MODEL + c] - a;
            dd += e * e; nn += a * a;
        }
        sum += sqrt(dd / nn);
    }
    return isfinite(sum) ? sum / (BATCH * SEQ) : INFINITY;
}

/* trains m (Adam, constant lr) for p->steps steps; v = bpc, |dF|10, seconds, divergence step */
static void train(ls_model *m, const run *r, const data *D, const depth_plan *p, uint64_t seed,
                  int quiet, double *v) {
    double t0 = ls_now();
    int32_t ids[BATCH * SEQ], tgt[BATCH * SEQ], fix[BATCH * SEQ], fix_tgt[BATCH * SEQ];
    float *h0 = (float *)malloc(BATCH * SEQ * D_MODEL * sizeof(float)),
          *h1 = (float *)malloc(BATCH * SEQ * D_MODEL * sizeof(float));
    if (!h0 || !h1) die("|dF|", "out of memory");
    ls_adamw opt;
    ls_adamw_init(&opt, &m->P, r->lr, 0.0f);
    opt.beta2 = ADAM_BETA2;
    ls_ctx ctx;
    ls_ctx_init(&ctx, seed);
    char label[96], lr[16];
    snprintf(label, sizeof label, "depth %s N=%d lr %s", SCHEME[r->scheme].ascii, r->N,
             lr_str(r->lr, lr, sizeof lr));
    ls_progress pr;
    ls_progress_start(&pr, label, p->steps, quiet);
    batch(&D->val, 0, fix, fix_tgt);   /* the fixed |dF| batch: the first validation batch */
    top_states(&ctx, m, fix, h0);
    int64_t df_at = p->steps < DF_STEPS ? p->steps : DF_STEPS;
    /* a run that diverges before df_at: infinite change */
    double df = INFINITY, div = -1, loss_sum = 0;
    for (int64_t s = 0; s <= p->steps; s++) {
        if (s == df_at) { top_states(&ctx, m, fix, h1); df = rel_change(h0, h1); }
        if (s == p->steps) break;
        batch(&D->train, s * BATCH, ids, tgt);
        ls_tensor *loss = ls_cross_entropy(&ctx, ls_model_forward(&ctx, m, ids, NULL, BATCH, SEQ),
                                           tgt, -100);
        if (!loss) die(label, ls_ctx_error(&ctx));
        if (!isfinite(loss->x[0])) { div = (double)s; break; }
        loss_sum += loss->x[0];
        if (ls_backward(&ctx, loss)) die(label, ls_ctx_error(&ctx));
        ls_adamw_step(&opt, &m->P, 1.0f);
        ls_params_zero_grad(&m->P);
        ls_ctx_reset(&ctx);
        ls_progress_update(&pr, s + 1, loss_sum / (double)(s + 1), -1.0,
                           (double)((s + 1) * BATCH * SEQ));
    }
    ls_ctx_reset(&ctx);
    v[0] = div < 0 ? val_bpc(&ctx, m, &D->val) : NAN;
    if (div < 0 && !isfinite(v[0])) div = (double)p->steps;   /* the last update broke the model */
    v[1] = df; v[2] = ls_now() - t0; v[3] = div;
    char sum[96];
    snprintf(sum, sizeof sum, "val bpc %.3f, |dF|10 %.3g%s", v[0], df,
             div >= 0 ? ", diverged" : "");
    ls_progress_end(&pr, sum);
    ls_ctx_free(&ctx); ls_adamw_free(&opt); free(h0); free(h1);
}

/* the cache key of a run: the initial parameters stand for scheme, N, init seed and the header's
   init code at once; then what the loop does with them and the data */
static uint64_t run_hash(const ls_model *m, const run *r, const data *D, const depth_plan *p,
                         uint64_t seed) {
    /* bump when this program changes what a run computes */
    static const char TAG[] = "depth E2 v1";
    float a = m->alpha, b2 = ADAM_BETA2;
    int64_t steps = p->steps, df = DF_STEPS, bs = BATCH;
    uint64_t h = rp_hash(rp_hash_begin(), TAG, sizeof TAG);
    h = rp_hash(h, &m->cfg, sizeof m->cfg);
    h = rp_hash(h, m->P.x, (size_t)m->P.n * sizeof(float));
    h = rp_hash(h, &a, sizeof a); h = rp_hash(h, &r->lr, sizeof r->lr);
    h = rp_hash(h, &b2, sizeof b2); h = rp_hash(h, &steps, sizeof steps);
    h = rp_hash(h, &df, sizeof df); h = rp_hash(h, &bs, sizeof bs);
    h = rp_hash(h, &D->hash, sizeof D->hash);
    return rp_hash(h, &seed, sizeof seed);
}

/* builds the run's model, then reads its numbers from the cache or trains it */
static void run_one(run *r, const data *D, const depth_plan *p, const ls_cli *cli, uint64_t seed,
                    int fresh) {
    ls_config c = model_cfg(r->scheme, r->N);
    ls_model m;
    char err[LS_ERRLEN];
    if (ls_model_init(&m, &c, seed, err)) die(SCHEME[r->scheme].ascii, err);
    if (r->scheme == S_ADAM) su_adam(&m);
    r->alpha = m.alpha; r->beta = m.beta;
    uint64_t h = run_hash(&m, r, D, p, seed);
    double v[ROW_N];
    int got = fresh ? 0 : rp_row_get("depth", h, v, ROW_N, err);
    if (got < 0) die("cache", err);
    if (!got) {
        train(&m, r, D, p, seed, cli->quiet, v);
        if (rp_row_put("depth", h, v, ROW_N, err)) die("cache", err);
    }
    r->bpc = v[0]; r->df = v[1]; r->secs = v[2]; r->div_step = v[3];
    ls_model_free(&m);
}

static int diverged(const run *r, double unigram_bits) {
    return r->div_step >= 0 || !isfinite(r->bpc) || r->bpc > unigram_bits;
}

/* ---------------------------------------------------------------------------------------------
   the table (report.h turns its Greek letters, ‖, ✓ and ✗ into LaTeX for the .tex copy) */

typedef struct results {
    const depth_plan *p;
    run base[N_SCHEMES][3];     /* lr LR: every bpc column but a stressed one, and every |dF| */
    run stress[N_SCHEMES];      /* lr LR_STRESS at the deepest N, when Post-LN survived it */
    int stressed;
    double unigram_bits;
} results;

static const run *bpc_run(const results *R, int s, int j) {
    return R->stressed && j == R->p->nN - 1 ? &R->stress[s] : &R->base[s][j];
}

static void bpc_cell(char *buf, size_t cap, const run *r, double H) {
    if (r->div_step >= 0) snprintf(buf, cap, "div (NaN/Inf at step %.0f)", r->div_step);
    else if (diverged(r, H)) snprintf(buf, cap, "div (%.3f)", r->bpc);
    else snprintf(buf, cap, "%.3f", r->bpc);
}

/* "1.86/2.45/3.13" from the built models, "1" when all are 1, prefix "ω=" for Admin */
static void const_cell(char *buf, size_t cap, const results *R, int s, int beta) {
    const int none = beta ? s == S_ADMIN : s == S_PRE;   /* no such constant in this scheme */
    int ones = 1;
    for (int j = 0; j < R->p->nN; j++)
        ones &= (beta ? R->base[s][j].beta : R->base[s][j].alpha) == 1.0;
    if (none || ones) { snprintf(buf, cap, "%s", none ? "-" : "1"); return; }
    snprintf(buf, cap, "%s", s == S_ADMIN ? "ω=" : "");
    for (int j = 0; j < R->p->nN; j++) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, beta ? "%s%.3f" : "%s%.2f", j ? "/" : "",
                 beta ? R->base[s][j].beta : R->base[s][j].alpha);
    }
}

/* the four qualitative checks (fixed before the runs, from DeepNet's claims) as bits (1 << k for
   check k + 1); with a table, one note each with the numbers that decide it */
static int checks(rp_table *t, const results *R) {
    const int nN = R->p->nN, last = nN - 1;
    const double H = R->unigram_bits;
    const char *ok[2] = {"✗", "✓"};
    const run *p0 = bpc_run(R, S_POST, 0), *pl = bpc_run(R, S_POST, last);
    int c1 = diverged(pl, H) || pl->bpc >= p0->bpc + DEGRADE;
    char a[64], b[64], lr[16];
    bpc_cell(a, sizeof a, pl, H); bpc_cell(b, sizeof b, p0, H);
    if (t)
        rp_table_note(t, "Check 1 %s: Post-LN fails or degrades with depth (div at N=%d, or bpc "
                      "%.2f above N=%d): %s at N=%d (lr %s) vs %s at N=%d.", ok[c1], R->p->N[last],
                      DEGRADE, R->p->N[0], a, R->p->N[last], lr_str(pl->lr, lr, sizeof lr), b,
                      R->p->N[0]);
    int c2 = 1, c3[2] = {1, 1};
    for (int j = 0; j < nN; j++) {
        const run *pre = bpc_run(R, S_PRE, j);
        c2 &= !diverged(pre, H);
        for (int k = 0; k < 2; k++) {
            const run *dn = bpc_run(R, k ? S_ADAM : S_DEEP, j);
            c3[k] &= !diverged(dn, H) && (j == 0 || dn->bpc <= pre->bpc);
        }
    }
    if (t) rp_table_note(t, "Check 2 %s: Pre-LN trains at every depth.", ok[c2]);
    if (t)
        rp_table_note(t, "Check 3 %s: DeepNorm (paper) trains at every depth with bpc ≤ Pre-LN "
                      "at N ≥ %d (DeepNorm-Adam, not part of the check: %s).", ok[c3[0]],
                      R->p->N[nN > 1 ? 1 : 0], ok[c3[1]]);
    int rises = 1;
    double lo = INFINITY, hi = 0;
    for (int j = 0; j < nN; j++) {
        if (j) rises &= R->base[S_POST][j].df >= R->base[S_POST][j - 1].df;
        lo = fmin(lo, R->base[S_DEEP][j].df); hi = fmax(hi, R->base[S_DEEP][j].df);
    }
    rises &= R->base[S_POST][last].df > R->base[S_POST][0].df;
    int c4 = rises && isfinite(hi) && hi <= FLAT * lo;
    if (t)
        rp_table_note(t, "Check 4 %s: ‖ΔF‖10 of Post-LN rises with N (%s) while DeepNorm "
                      "(paper) stays within a factor %.1f (max/min %.2f).", ok[c4],
                      rises ? "yes" : "no", FLAT, hi / lo);
    return c1 | c2 << 1 | c3[0] << 2 | c4 << 3;
}

static void anchors(rp_table *t) {
    static const char *const A[][2] = {
        {"WMT-17 En-De BLEU, Post-LN, 6L-6L/18L-18L/50L-50L/100L-100L",
         "28.1 / 28.8 / diverged / diverged"},
        {"WMT-17 En-De BLEU, Pre-LN, same depths", "27.0 / 28.0 / 27.4 / 27.4"},
        {"WMT-17 En-De BLEU, DeepNet, same depths", "27.8 / 28.8 / 29.0 / 28.9"},
        {"WMT-17 En-De, DS-Init and Admin", "diverge at 50L and above"},
        {"OPUS-100 average BLEU, DeepNet 1000L / 200L vs 48L baseline", "32.1 / 31.1 vs 27.7"}};
    for (size_t i = 0; i < sizeof A / sizeof A[0]; i++) {
        rp_table_note(t, "Published [2nd]: %s = %s (DeepNet, arXiv 2203.00555, secondary "
                      "transcription)", A[i][0], A[i][1]);
        printf("anchor [2nd]: %s = %s (DeepNet, arXiv 2203.00555)\n", A[i][0], A[i][1]);
    }
}

/* the lines under the table: lr per column, definitions, checks, anchors, open choices */
static void notes(rp_table *t, const results *R) {
    const depth_plan *p = R->p;
    const int last = p->nN - 1;
    char lrs[160] = "", lr[16];
    for (int j = 0; j < p->nN; j++) {
        size_t n = strlen(lrs);
        snprintf(lrs + n, sizeof lrs - n, "%sN=%d %s", j ? ", " : "", p->N[j],
                 lr_str(R->stressed && j == last ? LR_STRESS : LR, lr, sizeof lr));
    }
    rp_table_note(t, "lr used per bpc column: %s%s. ‖ΔF‖10 columns: lr %s at every N.", lrs,
                  R->stressed ? " (depth-stress fallback: Post-LN survived the deepest N at the "
                                "base lr)" : "", lr_str(LR, lr, sizeof lr));
    if (R->stressed) {
        char prev[512] = "", cell[64];
        for (int s = 0; s < N_SCHEMES; s++) {
            size_t n = strlen(prev);
            bpc_cell(cell, sizeof cell, &R->base[s][last], R->unigram_bits);
            snprintf(prev + n, sizeof prev - n, "%s%s", s ? " / " : "", cell);
        }
        rp_table_note(t, "At lr %s the N=%d column was (rows in order): %s.",
                      lr_str(LR, lr, sizeof lr), p->N[last], prev);
    }
    rp_table_note(t, "bpc: validation bits per id on %lld fixed sequences after the last step. "
                  "div: the loss went NaN/Inf, or the bpc ended above %.3f, the unigram entropy of "
                  "the training set.", (long long)p->nval, R->unigram_bits);
    rp_table_note(t, "‖ΔF‖10: mean over the %d positions of a fixed validation batch of "
                  "‖h(step 10) − h(step 0)‖ / ‖h(step 0)‖, h the top hidden states "
                  "(after the final LN for Pre-LN); div: the run diverged before step 10.",
                  BATCH * SEQ);
    checks(t, R);
    anchors(t);
    rp_table_note(t, "Setup choices of this table that DeepNet does not fix: sinusoidal positions "
                  "(ls_config default); plain SynthLang text, no copy spans (L=32 is too short for "
                  "them); Adam eps 1e-8; biases and LayerNorms as ls_model_init builds them.");
}

/* the depth table, plus a train_s column */
static void fill_table(rp_table *t, const results *R) {
    const depth_plan *p = R->p;
    const int nN = p->nN, ncol = 4 + 2 * nN;
    char hd[12][48], ns[32] = "", lr[16];
    const char *hp[12];
    for (int j = 0; j < nN; j++) {
        size_t n = strlen(ns);
        snprintf(ns + n, sizeof ns - n, "%s%d", j ? "/" : "", p->N[j]);
    }
    snprintf(hd[0], 48, "scheme");
    snprintf(hd[1], 48, "α@%s", ns);
    snprintf(hd[2], 48, "β(ω)@%s", ns);
    for (int j = 0; j < nN; j++) {
        snprintf(hd[3 + j], 48, "N=%d", p->N[j]);
        if (R->stressed && j == nN - 1)
            snprintf(hd[3 + j], 48, "N=%d (lr %s)", p->N[j], lr_str(LR_STRESS, lr, sizeof lr));
        snprintf(hd[3 + nN + j], 48, "‖ΔF‖10 N=%d", p->N[j]);
    }
    snprintf(hd[ncol - 1], 48, "train_s");
    for (int c = 0; c < ncol; c++) hp[c] = hd[c];
    char title[256];
    snprintf(title, sizeof title, "Depth stability, decoder-only d=%d, Adam lr=%s, no warmup, %lld "
             "steps; val bpc (\"div\" = diverged)", D_MODEL, lr_str(LR, lr, sizeof lr),
             (long long)p->steps);
    rp_table_init(t, title, ncol, hp, RP_MD | RP_TEX);
    for (int s = 0; s < N_SCHEMES; s++) {
        char c[12][64];
        const char *cp[12];
        double secs = R->stressed ? R->stress[s].secs : 0;
        snprintf(c[0], 64, "%s", SCHEME[s].name);
        const_cell(c[1], 64, R, s, 0);
        const_cell(c[2], 64, R, s, 1);
        for (int j = 0; j < nN; j++) {
            const run *b = &R->base[s][j];
            bpc_cell(c[3 + j], 64, bpc_run(R, s, j), R->unigram_bits);
            snprintf(c[3 + nN + j], 64, isfinite(b->df) ? "%.3f" : "div", b->df);
            secs += b->secs;
        }
        snprintf(c[ncol - 1], 64, "%.0f", secs);
        for (int k = 0; k < ncol; k++) cp[k] = c[k];
        rp_table_row(t, cp);
    }
    notes(t, R);
}

/* one row per run, for plots: the stress runs too */
static void fill_csv(rp_table *t, const results *R) {
    const char *h[] = {"scheme", "N", "lr", "alpha", "beta", "bpc", "diverged", "div_step", "dF10",
                       "train_s"};
    rp_table_init(t, "runs", 10, h, RP_CSV);
    for (int s = 0; s < N_SCHEMES; s++)
        for (int j = 0; j <= R->p->nN; j++) {
            const run *r = j < R->p->nN ? &R->base[s][j] : &R->stress[s];
            if (j == R->p->nN && !R->stressed) continue;
            rp_table_rowf(t, "%s\t%d\t%g\t%.4f\t%.4f\t%.4f\t%d\t%.0f\t%.4g\t%.1f", SCHEME[s].ascii,
                          r->N, r->lr, r->alpha, r->beta, r->bpc, diverged(r, R->unigram_bits),
                          r->div_step, r->df, r->secs);
        }
}

/* every run of one seed: each scheme at each N at the base lr, then the depth-stress fallback */
static void collect(results *R, const data *D, const depth_plan *p, const ls_cli *cli,
                    uint64_t seed, int fresh, double *wall) {
    memset(R, 0, sizeof *R);
    R->p = p; R->unigram_bits = D->unigram_bits;
    /* shallow first: the cheap columns finish before the deep ones */
    for (int j = 0; j < p->nN; j++)
        for (int s = 0; s < N_SCHEMES; s++) {
            run r = {.scheme = s, .N = p->N[j], .lr = LR};   /* the rest is filled by run_one */
            run_one(&r, D, p, cli, seed, fresh);
            R->base[s][j] = r; *wall += r.secs;
        }
    R->stressed = !diverged(&R->base[S_POST][p->nN - 1], D->unigram_bits);
    for (int s = 0; R->stressed && s < N_SCHEMES; s++) {
        run r = {.scheme = s, .N = p->N[p->nN - 1], .lr = LR_STRESS};
        run_one(&r, D, p, cli, seed, fresh);
        R->stress[s] = r; *wall += r.secs;
    }
}

/* which checks hold at each seed: a finding that holds at one seed only is not one */
static void fill_seeds(rp_table *t, const results *R, const int *pass, int nseed, uint64_t seed0) {
    const char *h[] = {"seed", "Check 1 (Post-LN fails)", "Check 2 (Pre-LN trains)",
                       "Check 3 (DeepNorm ≤ Pre-LN)", "Check 4 (‖ΔF‖ mechanism)",
                       "diverged at the deepest N"};
    rp_table_init(t, "Depth stability over seeds: the four checks and the schemes that diverged at "
                  "the deepest N, per initialisation seed", 6, h, RP_MD | RP_TEX);
    int held[4] = {0, 0, 0, 0};
    for (int k = 0; k < nseed; k++) {
        char divs[160] = "";
        for (int s = 0; s < N_SCHEMES; s++)
            if (diverged(bpc_run(&R[k], s, R[k].p->nN - 1), R[k].unigram_bits)) {
                size_t n = strlen(divs);
                snprintf(divs + n, sizeof divs - n, "%s%s", n ? ", " : "", SCHEME[s].name);
            }
        for (int c = 0; c < 4; c++) held[c] += pass[k] >> c & 1;
        rp_table_rowf(t, "%llu\t%s\t%s\t%s\t%s\t%s", (unsigned long long)(seed0 + (uint64_t)k),
                      pass[k] & 1 ? "✓" : "✗", pass[k] & 2 ? "✓" : "✗",
                      pass[k] & 4 ? "✓" : "✗", pass[k] & 8 ? "✓" : "✗",
                      divs[0] ? divs : "none");
    }
    rp_table_note(t, "Checks holding at all %d seeds: 1 %s, 2 %s, 3 %s, 4 %s (same data, same "
                  "steps; only the initialisation differs).", nseed,
                  held[0] == nseed ? "✓" : "✗", held[1] == nseed ? "✓" : "✗",
                  held[2] == nseed ? "✓" : "✗", held[3] == nseed ? "✓" : "✗");
}

int main(int argc, char **argv) {
    ls_cli cli;
    int fresh, rc = arm_cli("depth",
                            "The depth table (DeepNet): Post-LN, Pre-LN, Admin and DeepNorm at "
                            "growing depth.",
                            argc, argv, &cli, NULL, &fresh);
    if (rc) return rc - 1;
    double t_start = ls_now(), wall_sum = 0;
    depth_plan p = PLANS[cli.profile];
    if (cli.steps) p.steps = cli.steps;
    data D;
    data_make(&D, &p);
    /* the table is the first seed's; the other seeds repeat every run to see which checks hold */
    static results R[MAX_SEEDS];
    int pass[MAX_SEEDS];
    if (p.nseed > MAX_SEEDS) p.nseed = MAX_SEEDS;
    for (int k = 0; k < p.nseed; k++) {
        collect(&R[k], &D, &p, &cli, cli.seed + (uint64_t)k, fresh, &wall_sum);
        pass[k] = checks(NULL, &R[k]);
    }
    char seeds[32], steps[32], wall[32], extra[512];
    arm_seeds(seeds, sizeof seeds, cli.seed, p.nseed);
    snprintf(steps, sizeof steps, "%lld", (long long)p.steps);
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    snprintf(extra, sizeof extra, "decoder-only LM on SynthLang, d %d, %d heads, FFN %d, L %d, "
             "batch %d, one pass over %lld training sequences; Adam (0.9, %.2f), constant lr, no "
             "warm-up, clipping or weight decay; summed run time %s", D_MODEL, HEADS, FFN, SEQ,
             BATCH, (long long)D.train.d.n, ADAM_BETA2, wall);
    rp_table t, csv, per_seed;
    fill_table(&t, &R[0]);
    if (p.nseed > 1)
        rp_table_note(&t, "Cells: initialisation seed %llu. The next table repeats every run with "
                      "seeds %llu to %llu.", (unsigned long long)cli.seed,
                      (unsigned long long)cli.seed,
                      (unsigned long long)(cli.seed + (uint64_t)p.nseed - 1));
    rp_caption(&t, cli.profile, seeds, ls_get_threads(), steps, ls_now() - t_start, extra);
    fill_seeds(&per_seed, R, pass, p.nseed, cli.seed);
    fill_csv(&csv, &R[0]);
    rp_table *tabs[3] = {&t, &per_seed, &csv};
    char err[LS_ERRLEN];
    if (rp_write(cli.out, "depth", tabs, 3, err)) die("write", err);
    printf("depth: wrote %s/depth.{md,tex,csv} (%s profile, %.0f s)\n", cli.out,
           ls_profile_name(cli.profile), ls_now() - t_start);
    rp_table_free(&t); rp_table_free(&per_seed); rp_table_free(&csv);
    data_free(&D);
    return 0;
}
