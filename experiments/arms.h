/* experiments/arms.h - the protocol every table program of the report shares.

   Include it once, in a table program, after defining the three implementations:
       #define LONGSEQ_IMPLEMENTATION
       #define LRA_DATA_IMPLEMENTATION
       #define REPORT_IMPLEMENTATION
       #include "arms.h"
   It holds what must be identical across tables so that their numbers compare: the model sizes per
   task and profile (the `lra` plan), the model and training configuration of an arm, the dataset
   views (a pair split seen as 2n sequences for language modelling; nested random subsets), the
   unigram baselines of the pretraining objective, and the two arms themselves: from scratch, and
   self-pretraining (SPT) followed by fine-tuning from the best-validation LM parameters with the LM
   head dropped. Everything is static: one program, one translation unit. Prefix arm_. */
#ifndef ARMS_H
#define ARMS_H
#include "lra_data.h"
#include "cli.h"
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the report's three models (every table), then the two more of the lra table (issue rows for the
   models that beat Transformers on LRA before self-pretraining: S5 and MEGA) */
enum { M_TR, M_S4D, M_LRU, N_MODELS, M_S5 = N_MODELS, M_MEGA, N_MODELS_ALL };
#define ARM_MAX_VOCAB 512   /* above every task's vocabulary (bytes + PAD + MASK) */
/* results/<profile>/runs/: the side tables share runs, so an arm two tables need trains once */
#define ARM_RUNS "runs"
static const char *const MODEL[N_MODELS_ALL] = {"Transformer", "S4D", "LRU", "S5", "MEGA"};
static const char *const COLUMN[LRA_N_TASKS] = {"ListOps", "Text (IMDb bytes)",
                                                "Retrieval (SOTU, not AAN)",
                                                "Image (Fashion-MNIST, not CIFAR-10)", "Pathfinder",
                                                "Path-X"};
/* The labelled easier variants (lra_data.h, lra_config.easy): --tasks retrieval-easy or
   pathfinder-easy selects one in place of the LRA task, for the whole program. arm_easy[task] says
   which is in use; arm_task_name and arm_column name it (the name also keys the cached runs). */
static int arm_easy[LRA_N_TASKS];
static const char *const COLUMN_EASY[LRA_N_TASKS] = {
    [LRA_RETRIEVAL] = "Retrieval, easier (SOTU, 256-byte near-duplicates)",
    [LRA_PATHFINDER] = "Pathfinder, easier (16×16, no distractors)"};
static inline const char *arm_task_name(int task) {
    if (task < 0 || task >= LRA_N_TASKS || !arm_easy[task]) return lra_task_name(task);
    return task == LRA_RETRIEVAL ? "retrieval-easy" : "pathfinder-easy";
}
static inline const char *arm_column(int task) {
    return arm_easy[task] ? COLUMN_EASY[task] : COLUMN[task];
}
/* pooling per task (paper §2.3): ListOps mean (last for causal), Text, Retrieval, Pathfinder mean,
   Image, Path-X max */
static const int POOL[LRA_N_TASKS] = {LS_POOL_MEAN, LS_POOL_MEAN, LS_POOL_MEAN,
                                      LS_POOL_MAX, LS_POOL_MEAN, LS_POOL_MAX};

/* sizes per profile and task (all models share d, layers, batch and step caps). steps: the cap of a
   from-scratch run and of an SPT fine-tuning; pt_steps: the cap of an SPT pretraining. Indexed by
   LS_PROFILE_*; the quick profile has the cpu sizes and data, with caps that fit an hour. */
typedef struct plan { int d, L, H, F, N; int64_t batch, steps, pt_steps; } plan;
#define ARM_N_PROFILES 4
/* the model sizes every task shares within a profile (quick trains the cpu sizes) */
#define ARM_SIZES_SMOKE .d = 16, .L = 1, .H = 2, .F = 32, .N = 16
#define ARM_SIZES_CPU .d = 64, .L = 2, .H = 4, .F = 128, .N = 64
static const plan PLAN[ARM_N_PROFILES][LRA_N_TASKS] = {
    /* smoke: seconds in total */
    [LS_PROFILE_SMOKE] = {
        {ARM_SIZES_SMOKE, .batch = 8, .steps = 24, .pt_steps = 24},
        {ARM_SIZES_SMOKE, .batch = 4, .steps = 16, .pt_steps = 16},
        {ARM_SIZES_SMOKE, .batch = 4, .steps = 16, .pt_steps = 16},
        {ARM_SIZES_SMOKE, .batch = 4, .steps = 16, .pt_steps = 16},
        {ARM_SIZES_SMOKE, .batch = 4, .steps = 16, .pt_steps = 16},
        {ARM_SIZES_SMOKE, .batch = 2, .steps = 8, .pt_steps = 8}},
    /* cpu: the caps of the learning_budget table (paper/tables/learning_budget.md, "caps"): 1.25x
       the steps the slowest of the report's models needed to reach its from-scratch plateau where
       one left chance (ListOps, Text, Image: raised to where the still-improving S4D and LRU curves
       were going), the pretraining caps where its masked and causal LMs flattened */
    [LS_PROFILE_CPU] = {
        {ARM_SIZES_CPU, .batch = 16, .steps = 2000, .pt_steps = 1000},
        {ARM_SIZES_CPU, .batch = 16, .steps = 1500, .pt_steps = 1200},
        {ARM_SIZES_CPU, .batch = 8, .steps = 1200, .pt_steps = 1000},
        {ARM_SIZES_CPU, .batch = 16, .steps = 1800, .pt_steps = 1100},
        {ARM_SIZES_CPU, .batch = 16, .steps = 1200, .pt_steps = 1000},
        {ARM_SIZES_CPU, .batch = 4, .steps = 200, .pt_steps = 200}},
    /* paper: the Transformer sizes of LRA App. A / paper §2.3 (for big machines) */
    [LS_PROFILE_PAPER] = {
        {.d = 512, .L = 6, .H = 8, .F = 2048, .N = 64,
         .batch = 32, .steps = 5000, .pt_steps = 5000},
        {.d = 512, .L = 6, .H = 8, .F = 2048, .N = 64,
         .batch = 32, .steps = 20000, .pt_steps = 20000},
        {.d = 128, .L = 4, .H = 4, .F = 512, .N = 64,
         .batch = 32, .steps = 20000, .pt_steps = 20000},
        {.d = 64, .L = 3, .H = 4, .F = 128, .N = 64,
         .batch = 50, .steps = 50000, .pt_steps = 50000},
        {.d = 128, .L = 4, .H = 8, .F = 128, .N = 64,
         .batch = 32, .steps = 50000, .pt_steps = 50000},
        {.d = 128, .L = 4, .H = 4, .F = 128, .N = 64,
         .batch = 32, .steps = 50000, .pt_steps = 50000}},
    /* quick: the lra table in under an hour on 2 cores; ListOps (cheap per step) at a cap where S4D
       learns, the other tasks at the step counts where the learning_budget curves of S4D and the
       Transformer on Image are well above chance */
    [LS_PROFILE_QUICK] = {
        {ARM_SIZES_CPU, .batch = 16, .steps = 1200, .pt_steps = 600},
        {ARM_SIZES_CPU, .batch = 16, .steps = 400, .pt_steps = 400},
        {ARM_SIZES_CPU, .batch = 8, .steps = 300, .pt_steps = 300},
        {ARM_SIZES_CPU, .batch = 16, .steps = 500, .pt_steps = 400},
        {ARM_SIZES_CPU, .batch = 16, .steps = 300, .pt_steps = 300},
        {ARM_SIZES_CPU, .batch = 4, .steps = 100, .pt_steps = 100}}};
/* validation examples per evaluation, and test examples scored, per profile (0 = all) */
static const int64_t EVAL_MAX[ARM_N_PROFILES] = {64, 200, 0, 200},
                     TEST_MAX[ARM_N_PROFILES] = {100, 500, 0, 500};

/* The positions of the Transformer arms, scratch and SPT alike: rotary. Chosen by the
   learning_budget table's rule, fixed before any SPT result was seen (the scheme whose masked-LM
   pretraining gets 0.1 nats below the unigram entropy on at least 3 of the 5 tasks; if both or
   neither, the better mean from-scratch plateau): RoPE's pretraining learned on 4 tasks,
   sinusoidal's on 1, although sinusoidal was better from scratch on ListOps and Image
   (paper/tables/learning_budget.md). */
#define ARM_TR_POS LS_POS_ROPE

/* the model of an arm: causal (Transformer with a causal mask, one-directional S4D, LRU) or not */
/* MEGA runs as the MEGA paper's linear-time Mega-chunk, attention within chunks of this many
   positions (our choice of size; full attention would cost about twice the Transformer's step) */
#define ARM_MEGA_CHUNK 128
static inline ls_config arm_model(const lra_task *t, const plan *p, int model, int causal, int lm) {
    static const int arch[N_MODELS_ALL] = {[M_TR] = LS_ARCH_TRANSFORMER, [M_S4D] = LS_ARCH_S4D,
                                           [M_LRU] = LS_ARCH_LRU, [M_S5] = LS_ARCH_S5,
                                           [M_MEGA] = LS_ARCH_MEGA};
    ls_config c = ls_config_default(arch[model], t->vocab, t->T);
    if (model == M_TR) c.pos = ARM_TR_POS;
    c.d_model = p->d; c.n_layers = p->L; c.n_heads = p->H; c.d_ffn = p->F;
    if (model != M_MEGA) c.d_state = p->N;   /* MEGA keeps its EMA's h = 16 (the paper's) */
    c.causal = causal;
    /* the bidirectional sequence maps (S4D, S5, MEGA's EMA) look both ways unless causal */
    c.bidirectional = (model == M_S4D || model == M_S5 || model == M_MEGA) && !causal;
    c.glu = model != M_TR && model != M_MEGA;   /* the SSM layers' output GLU */
    if (model == M_MEGA) c.window = ARM_MEGA_CHUNK;
    c.head = lm ? LS_HEAD_LM : t->pair == 2 ? LS_HEAD_PAIR : LS_HEAD_CLASSIFY;
    c.n_classes = t->n_classes;
    c.pool = causal && t->id == LRA_LISTOPS ? LS_POOL_LAST : POOL[t->id];
    return c;
}

/* training: step cap (p->steps; an LM objective p->pt_steps), AdamW with warm-up over the first
   10% and a cosine decay, validation every tenth of the cap (arm_run checkpoints there), early
   stopping after ARM_PATIENCE validations without improvement (accuracy; held-out loss for an LM
   objective) */
#define ARM_EVALS 10
#define ARM_PATIENCE 3
static inline ls_train_cfg arm_train(const lra_task *t, const plan *p, int prof, int obj, float lr,
                                     uint64_t seed) {
    ls_train_cfg tc = ls_train_cfg_default();
    int64_t cap = obj == LS_OBJ_CLASSIFY ? p->steps : p->pt_steps;
    tc.objective = obj; tc.steps = cap; tc.batch = p->batch; tc.warmup = cap / 10;
    tc.lr = lr; tc.ssm_lr = lr < 1e-3f ? lr : 1e-3f; tc.wd = 0.01f;
    tc.mask_ratio = t->mask_ratio; tc.mask_id = t->mask_id;
    tc.eval_every = cap / ARM_EVALS > 0 ? cap / ARM_EVALS : 1;
    tc.eval_max = EVAL_MAX[prof]; tc.patience = ARM_PATIENCE; tc.seed = seed;
    return tc;
}

/* a split as a dataset: at most max_n examples (0: all); flat views a pair split as 2n sequences */
static inline ls_dataset arm_split(const lra_split *s, int64_t max_n, int flat) {
    ls_dataset d = {.n = max_n > 0 && max_n < s->n ? max_n : s->n, .T = s->T, .pair = s->pair == 2,
                    .tokens = s->tokens, .len = s->len, .label = s->label};
    if (flat && s->pair == 2) { d.n *= 2; d.pair = 0; d.label = NULL; }
    return d;
}

/* a nested random subset: the first n examples of a fixed seeded permutation of the split, copied
   (so subsets of one seed are nested: the 5% subset contains the 1% subset). Single sequences
   only. */
typedef struct arm_subset { ls_dataset d; int32_t *tok, *len, *lab; } arm_subset;
static inline void arm_subset_make(arm_subset *s, const lra_split *src, int64_t n,
                                   uint64_t seed) {
    int64_t N = src->n, T = src->T;
    int64_t *perm = (int64_t *)malloc((size_t)N * sizeof *perm);
    s->tok = (int32_t *)malloc((size_t)(n * T) * sizeof(int32_t));
    s->len = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    s->lab = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    if (!perm || !s->tok || !s->len || !s->lab) {
        fprintf(stderr, "arms: out of memory for a %lld-example subset\n", (long long)n);
        exit(1);
    }
    ls_rng r = ls_rng_make(seed, 0x5B5E7);
    for (int64_t i = 0; i < N; i++) perm[i] = i;
    for (int64_t i = N - 1; i > 0; i--) {   /* Fisher-Yates */
        int64_t j = (int64_t)(ls_rng_u64(&r) % (uint64_t)(i + 1)), x = perm[i];
        perm[i] = perm[j]; perm[j] = x;
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(s->tok + i * T, src->tokens + perm[i] * T, (size_t)T * sizeof(int32_t));
        s->len[i] = src->len[perm[i]]; s->lab[i] = src->label[perm[i]];
    }
    free(perm);
    ls_dataset d = {.n = n, .T = T, .pair = 0, .tokens = s->tok, .len = s->len, .label = s->lab};
    s->d = d;
}
static inline void arm_subset_free(arm_subset *s) {
    free(s->tok); free(s->len); free(s->lab); memset(s, 0, sizeof *s);
}

/* the trivial predictors of the pretraining objective, from the token counts of d: accuracy of
   always predicting the commonest token, and the unigram entropy in nats (the loss of predicting
   the token frequencies). An LM that does not beat both has learned nothing beyond frequencies. */
static inline void arm_unigram(const ls_dataset *d, double *mode_acc, double *entropy) {
    int64_t cnt[ARM_MAX_VOCAB] = {0}, tot = 0, best = 0;
    int64_t rows = d->n * (d->pair ? 2 : 1);
    for (int64_t r = 0; r < rows; r++)
        for (int32_t i = 0; i < d->len[r]; i++) {
            int32_t v = d->tokens[r * d->T + i];
            if (v >= 0 && v < ARM_MAX_VOCAB) { cnt[v]++; tot++; }
        }
    double h = 0;
    for (int v = 0; v < ARM_MAX_VOCAB; v++) {
        if (cnt[v] > best) best = cnt[v];
        if (cnt[v]) { double q = (double)cnt[v] / (double)tot; h -= q * log(q); }
    }
    *mode_acc = tot ? (double)best / (double)tot : 0;
    *entropy = h;
}

static inline double arm_mean_sd(const double *x, int n, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i] / n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    if (sd) *sd = n > 1 ? sqrt(v / (n - 1)) : 0.0;
    return m;
}

/* a table cell: the mean of x over n seeds to one decimal, "± sd" with more than one seed,
   "diverged" when a seed diverged (its accuracy is NAN) */
static inline void arm_fmt_mean_sd(char *buf, size_t cap, const double *x, int n) {
    double sd, m = arm_mean_sd(x, n, &sd);
    if (isnan(m)) snprintf(buf, cap, "diverged");
    else if (n > 1) snprintf(buf, cap, "%.1f ± %.1f", m, sd);
    else snprintf(buf, cap, "%.1f", m);
}

/* the fetched file (or directory) a task needs under --data, when it is absent: its path (a static
   buffer); NULL when it is there or the task is generated */
static const char *arm_data_missing(const char *task) {
    static char path[600];
    const char *f = !strcmp(task, "text") ? "imdb/reviews.json"
                  : !strcmp(task, "image") ? "fashion-mnist/train-images-idx3-ubyte"
                  : !strncmp(task, "retrieval", 9) ? "sotu" : NULL;   /* also retrieval-easy */
    if (!f) return NULL;
    snprintf(path, sizeof path, "%s/%s", arm_data_dir, f);
    if (!strcmp(f, "sotu")) {
        DIR *d = opendir(path);
        if (d) { closedir(d); return NULL; }
        return path;
    }
    FILE *fp = fopen(path, "rb");
    if (fp) { fclose(fp); return NULL; }
    return path;
}

/* --tasks a,b,c -> want[task] = 1 (and arm_easy[task] for an "-easy" name), restricted to allowed[]
   (NULL: any); -1 with the bad name on stderr */
static inline int arm_parse_tasks(const char *prog, const char *list, const int *allowed,
                                  int *want) {
    memset(want, 0, LRA_N_TASKS * sizeof *want); memset(arm_easy, 0, sizeof arm_easy);
    if (!*list) { fprintf(stderr, "%s: --tasks: the list is empty\n", prog); return -1; }
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ","); char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(n < 31 ? n : 31), s);
        if (!n || (s[n] == ',' && !s[n + 1])) {
            fprintf(stderr, "%s: --tasks: an empty name in '%s'\n", prog, list);
            return -1;
        }
        int id, easy;
        if (lra_task_parse(name, &id, &easy) || (allowed && !allowed[id])) {
            fprintf(stderr, "%s: --tasks: task '%s' is not one this table runs\n", prog, name);
            return -1;
        }
        if (want[id] && arm_easy[id] != easy) {
            fprintf(stderr, "%s: --tasks: both variants of %s in '%s': a table runs one of them\n",
                    prog, lra_task_name(id), list);
            return -1;
        }
        want[id] = 1; arm_easy[id] = easy; s += n + (s[n] == ',');
    }
    return 0;
}

/* loads a task, or says why not: 1 = skip it (smoke profile without fetched data), -1 = fail */
static inline int arm_load(const char *prog, lra_task *t, int task, int prof, char *key,
                           size_t keycap) {
    const char *tn = arm_task_name(task), *path = arm_data_missing(lra_task_name(task));
    char err[LS_ERRLEN];
    if (path) {
        fprintf(stderr, "%s: %s: data file %s is missing; run `make data`%s%s\n", prog, tn, path,
                strcmp(arm_data_dir, "data") ? " (or check --data)" : "",
                prof == LS_PROFILE_SMOKE ? " (smoke profile: task skipped)" : "");
        return prof == LS_PROFILE_SMOKE ? 1 : -1;
    }
    if (lra_task_load(t, tn, prof, LRA_DATA_SEED, arm_data_dir, err)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return -1;
    }
    int n = snprintf(key, keycap, "%s profile %s data-seed %d n %lld/%lld/%lld T %lld "
                     "test-max %lld", tn, ls_profile_name(prof), LRA_DATA_SEED,
                     (long long)t->train.n, (long long)t->val.n, (long long)t->test.n,
                     (long long)t->T, (long long)TEST_MAX[prof]);
    if (t->rev && n > 0 && (size_t)n < keycap)
        snprintf(key + n, keycap - (size_t)n, " rev %d", t->rev);
    return 0;
}

/* seconds of one training step (the fastest of steps 2-3; step 1 grows the arena) on the task's
   first B examples; LM heads predict the input */
static inline double arm_step_time(const char *prog, const lra_task *t, const ls_config *c,
                                   int64_t B) {
    ls_model m; char err[LS_ERRLEN];
    if (ls_model_init(&m, c, 1, err)) { fprintf(stderr, "%s: %s\n", prog, err); exit(1); }
    int lm = c->head == LS_HEAD_LM;
    int64_t rows = lm ? B * t->pair : B;
    ls_adamw opt; ls_adamw_init(&opt, &m.P, 1e-4f, 0.0f);
    ls_ctx ctx; ls_ctx_init(&ctx, 1);
    double dt = 1e30;
    for (int s = 0; s < 3; s++) {
        double t0 = ls_now();
        ls_tensor *y = ls_model_forward(&ctx, &m, t->train.tokens, t->train.len, rows, t->T);
        ls_tensor *loss = ls_cross_entropy(&ctx, y, lm ? t->train.tokens : t->train.label, -100);
        if (ls_backward(&ctx, loss)) {
            fprintf(stderr, "%s: %s\n", prog, ls_ctx_error(&ctx)); exit(1);
        }
        ls_adamw_step(&opt, &m.P, 1.0f); ls_params_zero_grad(&m.P); ls_ctx_reset(&ctx);
        if (s && ls_now() - t0 < dt) dt = ls_now() - t0;
    }
    ls_ctx_free(&ctx); ls_adamw_free(&opt); ls_model_free(&m);
    return dt;
}

/* one arm of a comparison. The SPT arm pretrains (saving its best-validation parameters) and then
   fine-tunes from them; pt_steps = 0 makes it the from-scratch arm. Runs are cached by report.h. A
   run that diverges (RP_DIVERGED) is a result, not an error: its rp_result has diverged set and NAN
   numbers, and a table prints "diverged" in its cell; a diverged pretraining leaves nothing to
   fine-tune from, so the arm's fine-tuning is marked diverged without running. */
typedef struct arm_spec {
    const char *prog, *table, *label, *data_key;
    ls_config cls, lm;                 /* the classifier, and the same body with an LM head */
    ls_train_cfg ft, pt;               /* fine-tune (or scratch) and pretraining configurations */
    const ls_dataset *train, *val, *test, *lm_train, *lm_val;
    int spt, fresh, quiet;
} arm_spec;
typedef struct arm_out { rp_result pt, ft; } arm_out;

/* an SPT arm whose pretraining diverged: its fine-tuning result is "diverged" too (NAN numbers) */
static inline void arm_diverged_ft(arm_out *o) {
    memset(&o->ft, 0, sizeof o->ft);
    o->ft.diverged = 1;
    o->ft.seed = o->pt.seed;
    o->ft.val = o->ft.test = o->ft.loss = o->ft.val_loss = NAN;
}

/* 1 when every record the arm needs is finished (a diverged pretraining counts: its fine-tuning
   is "diverged" without running), 0 when one is missing: a records-only table can tell a cell it
   cannot print yet without training anything */
static inline int arm_recorded(const arm_spec *a) {
    rp_result x;
    uint64_t init = 0;
    if (a->spt) {
        rp_run pr = {.table = a->table, .model = a->lm, .train = a->pt, .data_key = a->data_key,
                     .save_model = 1, .ckpt_every = a->pt.eval_every};
        int pk = rp_run_peek(&pr, &x);
        if (pk == RP_DIVERGED) return 1;
        if (pk != 0) return 0;
        init = rp_run_hash(&pr);
    }
    rp_run r = {.table = a->table, .model = a->cls, .train = a->ft, .data_key = a->data_key,
                .init_hash = init, .ckpt_every = a->ft.eval_every};
    return rp_run_peek(&r, &x) >= 0;
}

static inline int arm_run(const arm_spec *a, arm_out *o) {
    char err[LS_ERRLEN], lab[160], plab[200];
    memset(o, 0, sizeof *o);
    uint64_t init = 0;
    rp_run pr = {.table = a->table, .label = lab, .model = a->lm, .train = a->pt,
                 .data_key = a->data_key, .save_model = 1, .fresh = a->fresh,
                 .ckpt_every = a->pt.eval_every, .quiet = a->quiet};
#ifdef LS_MPI
    pr.may_skip = 1;   /* run-parallel: the fine-tune below is skipped until the .model exists */
#endif
    if (a->spt) {
        /* both records finished (e.g. committed ones without the .model): nothing to train */
        snprintf(lab, sizeof lab, "%s SPT", a->label);
        rp_run r = {.table = a->table, .label = lab, .model = a->cls, .train = a->ft,
                    .data_key = a->data_key, .init_hash = rp_run_hash(&pr), .fresh = a->fresh,
                    .ckpt_every = a->ft.eval_every};
        int pk = rp_run_peek(&pr, &o->pt);
        if (pk == RP_DIVERGED || (pk == 0 && rp_run_peek(&r, &o->ft) >= 0)) {   /* >= 0: found */
            if (pk == RP_DIVERGED) arm_diverged_ft(o);
            arm_progress_done(1, 0); arm_progress_done(1, 0);
            return 0;
        }
        arm_progress_label(plab, sizeof plab, lab);
        pr.label = plab;
        int rc = rp_run_train(&pr, a->lm_train, a->lm_val, NULL, &o->pt, err);
        if (rc < 0) { fprintf(stderr, "%s: %s: %s\n", a->prog, lab, err); return -1; }
        arm_progress_done(o->pt.cached, o->pt.wall_s);
        if (rc == RP_DIVERGED) {   /* nothing to fine-tune from: the arm's result is "diverged" */
            fprintf(stderr, "%s: %s: %s (the fine-tuning is not run)\n", a->prog, lab, err);
            arm_diverged_ft(o);
            arm_progress_done(1, 0);
            return 0;
        }
        init = o->pt.hash;
    }
    snprintf(lab, sizeof lab, "%s%s", a->label, a->spt ? " fine-tune" : "");
    arm_progress_label(plab, sizeof plab, lab);
    rp_run r = {.table = a->table, .label = plab, .model = a->cls, .train = a->ft,
                .data_key = a->data_key, .init_hash = init, .fresh = a->fresh,
                .ckpt_every = a->ft.eval_every, .quiet = a->quiet};
    int rc = rp_run_train(&r, a->train, a->val, a->test, &o->ft, err);
    if (rc < 0) { fprintf(stderr, "%s: %s: %s\n", a->prog, lab, err); return -1; }
    if (rc == RP_DIVERGED) fprintf(stderr, "%s: %s: %s\n", a->prog, lab, err);
    arm_progress_done(o->ft.cached, o->ft.wall_s);
    return 0;
}

/* the learning curve of a run in results/<profile>/runs/ (<hash>.csv, one row per validation,
   written by ls_train): up to cap points; the number read, or -1 when the run kept no curve. The
   label in the first column may hold commas, so each row is read from its end. */
typedef struct arm_point { long long step; double val_loss, val_metric, wall_s; } arm_point;
static inline int arm_curve(uint64_t hash, arm_point *pts, int cap) {
    char path[700], line[512];
    rp_path(path, sizeof path, ARM_RUNS, hash, ".csv");
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    while (n < cap && fgets(line, sizeof line, f)) {
        /* ... step, train_loss, val_loss, val_metric, wall_s, tokens_per_s */
        const char *fld[64]; int nf = 0;
        for (char *q = line; nf < 64 && q; q = strchr(q, ',')) {
            if (*q == ',') *q++ = 0;
            fld[nf++] = q;
        }
        if (nf < 7 || !strcmp(fld[nf - 6], "step")) continue;
        long long step = atoll(fld[nf - 6]);
        /* a resumed run re-validated a step: keep the later row */
        while (n > 0 && pts[n - 1].step >= step) n--;
        pts[n].step = step; pts[n].val_loss = atof(fld[nf - 4]);
        pts[n].val_metric = atof(fld[nf - 3]);
        pts[n].wall_s = atof(fld[nf - 2]);
        n++;
    }
    fclose(f);
    return n;
}

/* The plateau of a learning curve and when it is reached (the learning_budget table). The curve is
   smoothed by a trailing mean over ARM_SMOOTH validations (each point the mean of itself and the
   ones before it, so a point uses only what was known at its step); the plateau is the best
   smoothed value (highest accuracy in %, or lowest loss in nats when lm), and `step` the first
   validation whose smoothed value is within 1 point (0.02 nats) of it. flat: that step lies in the
   first 80 % of the ceiling (otherwise the curve was still improving when the ceiling stopped it).
   For a loss, below_step is the first validation whose raw loss is 0.1 nats under H (-1: never).
   Reads at most the first 256 points. */
#define ARM_SMOOTH 3
typedef struct arm_plateau_t {
    double value, wall_s, below_wall_s;
    long long step, below_step;
    int flat;
} arm_plateau_t;
static inline arm_plateau_t arm_plateau(const arm_point *p, int n, int lm, long long ceiling,
                                        double H) {
    arm_plateau_t q;
    q.value = lm ? INFINITY : -INFINITY; q.wall_s = q.below_wall_s = -1;
    q.step = q.below_step = -1; q.flat = 0;
    double sm[256];
    if (n > 256) n = 256;
    for (int i = 0; i < n; i++) {
        int k0 = i + 1 >= ARM_SMOOTH ? i + 1 - ARM_SMOOTH : 0;
        double a = 0;
        for (int k = k0; k <= i; k++) a += lm ? p[k].val_loss : 100 * p[k].val_metric;
        sm[i] = a / (i + 1 - k0);
        if (lm ? sm[i] < q.value : sm[i] > q.value) q.value = sm[i];
    }
    for (int i = 0; i < n && q.step < 0; i++)
        if (lm ? sm[i] <= q.value + 0.02 : sm[i] >= q.value - 1.0) {
            q.step = p[i].step; q.wall_s = p[i].wall_s;
        }
    q.flat = q.step >= 0 && q.step <= ceiling * 8 / 10;
    for (int i = 0; lm && i < n; i++)
        if (p[i].val_loss <= H - 0.1) {
            q.below_step = p[i].step; q.below_wall_s = p[i].wall_s;
            break;
        }
    return q;
}

/* "models d 64, 2 layers, 4 heads, FFN 128, SSM state 64": the sizes every caption names */
static inline void arm_sizes(char *buf, size_t cap, const plan *p) {
    snprintf(buf, cap, "models d %d, %d layer%s, %d heads, FFN %d, SSM state %d", p->d, p->L,
             p->L == 1 ? "" : "s", p->H, p->F, p->N);
}

/* ---------------------------------------------------------------------------------------------
   A variant table: for each task and each model variant, the scratch arm and the SPT arm with the
   same seeds, learning rate, step cap and early stopping. ssm_init and spt_objective are this. */
typedef struct arm_variant {
    const char *name;        /* row label */
    int model, causal, ssm_init;
    int pt_objective;        /* LS_OBJ_MLM or LS_OBJ_CLM */
} arm_variant;
typedef struct arm_grid {
    /* program (= table and results/ directory) and table title */
    const char *prog, *title;
    const arm_variant *v; int nv;
    int want[LRA_N_TASKS];               /* tasks to run */
    int prof, nseed, quiet, fresh;
    uint64_t seed0;
    float lr[N_MODELS];                  /* one learning rate per model, the same for every arm */
    int64_t steps_mult;                  /* step cap = the lra plan's cap x this */
    const char *out, *notes;             /* output directory; extra note lines ('\n'-separated) */
    const char *const (*anchor)[3]; int nanchor;   /* published figures: what, value, source */
} arm_grid;

static inline plan arm_plan(int prof, int task, int64_t mult) {
    plan p = PLAN[prof][task];
    if (arm_steps > 0) p.steps = p.pt_steps = arm_steps;
    p.steps *= mult > 0 ? mult : 1;
    p.pt_steps *= mult > 0 ? mult : 1;
    return p;
}

static inline int arm_grid_run(const arm_grid *g) {
    enum { MAXV = 8, MAXS = 4 };
    double t_start = ls_now(), wall_sum = 0;
    static struct {
        int ran, diverged[2];
        double acc[2][MAXS], lm_loss[MAXS], lm_acc[MAXS], wall[2];
        int64_t steps[2], pt_steps;
    } C[MAXV][LRA_N_TASKS];
    double H[LRA_N_TASKS] = {0}, mode[LRA_N_TASKS] = {0};
    char why[LRA_N_TASKS][64] = {{0}};
    memset(C, 0, sizeof C);
    if (g->nv > MAXV || g->nseed > MAXS) {
        fprintf(stderr, "%s: too many variants or seeds\n", g->prog);
        return 1;
    }
    const char *rh[] = {"task", "variant", "arm", "phase", "lr", "seed", "val", "val_loss", "test",
                        "steps", "best_step", "wall_s", "threads", "hash"};
    rp_table raw; rp_table_init(&raw, "runs", 14, rh, RP_CSV);
    int nrun = 0;   /* a scratch run, an SPT pretraining and its fine-tuning per variant and seed */
    for (int task = 0; task < LRA_N_TASKS; task++)
        nrun += g->want[task] ? g->nv * g->nseed * 3 : 0;
    arm_progress_begin(g->prog, nrun, g->quiet);
    for (int task = 0; task < LRA_N_TASKS; task++) {
        if (!g->want[task]) continue;
        lra_task t; char key[256];
        int rc = arm_load(g->prog, &t, task, g->prof, key, sizeof key);
        if (rc < 0) return 1;
        if (rc > 0) { snprintf(why[task], sizeof why[task], "not run: no data"); continue; }
        const plan p = arm_plan(g->prof, task, g->steps_mult);
        ls_dataset tr = arm_split(&t.train, 0, 0), va = arm_split(&t.val, 0, 0),
                   te = arm_split(&t.test, TEST_MAX[g->prof], 0);
        ls_dataset ptr = arm_split(&t.train, 0, 1), pva = arm_split(&t.val, 0, 1);
        arm_unigram(&ptr, &mode[task], &H[task]);
        for (int v = 0; v < g->nv; v++) {
            const arm_variant *V = &g->v[v];
            float lr = g->lr[V->model];
            for (int s = 0; s < g->nseed; s++)
                for (int spt = 0; spt < 2; spt++) {
                    uint64_t seed = g->seed0 + (uint64_t)s;
                    char lab[128];
                    snprintf(lab, sizeof lab, "%s %s%s seed %llu", arm_task_name(task), V->name,
                             spt ? " +SPT" : "", (unsigned long long)seed);
                    arm_spec a = {
                        .prog = g->prog, .table = ARM_RUNS, .label = lab, .data_key = key,
                        .cls = arm_model(&t, &p, V->model, V->causal, 0),
                        .lm = arm_model(&t, &p, V->model, V->causal, 1),
                        .ft = arm_train(&t, &p, g->prof, LS_OBJ_CLASSIFY, lr, seed),
                        .pt = arm_train(&t, &p, g->prof, V->pt_objective, lr, seed),
                        .train = &tr, .val = &va, .test = &te, .lm_train = &ptr, .lm_val = &pva,
                        .spt = spt, .fresh = g->fresh, .quiet = g->quiet};
                    a.cls.ssm_init = a.lm.ssm_init = V->ssm_init;
                    arm_out o;
                    if (arm_run(&a, &o)) return 1;
                    C[v][task].ran = 1;
                    /* the cell says "diverged" */
                    C[v][task].diverged[spt] += o.ft.diverged || (spt && o.pt.diverged);
                    C[v][task].acc[spt][s] = 100 * o.ft.test;
                    C[v][task].steps[spt] += o.ft.steps / g->nseed;
                    C[v][task].wall[spt] += o.ft.wall_s + (spt ? o.pt.wall_s : 0);
                    if (spt) {
                        C[v][task].lm_loss[s] = o.pt.val_loss;
                        C[v][task].lm_acc[s] = 100 * o.pt.val;
                        C[v][task].pt_steps += o.pt.steps / g->nseed;
                    }
                    wall_sum += o.ft.wall_s + (spt ? o.pt.wall_s : 0);
                    for (int ph = spt ? 0 : 1; ph < 2; ph++) {
                        const rp_result *q = ph ? &o.ft : &o.pt;
                        rp_table_rowf(&raw, "%s\t%s\t%s\t%s\t%g\t%llu\t%.4f\t%.4f\t%.4f"
                                      "\t%lld\t%lld\t%.1f\t%d\t%016llx",
                                      arm_task_name(task), V->name, spt ? "spt" : "scratch",
                                      ph ? (spt ? "finetune" : "train")
                                         : (V->pt_objective == LS_OBJ_CLM ? "pretrain-clm"
                                                                          : "pretrain-mlm"),
                                      lr, (unsigned long long)seed, q->val,
                                      ph ? NAN : q->val_loss, q->test, (long long)q->steps,
                                      (long long)q->best_step, q->wall_s, q->threads,
                                      (unsigned long long)q->hash);
                    }
                }
        }
        lra_task_free(&t);
    }
    /* tables: accuracy (variant x arm), then per variant the SPT gain, the LM loss against the
       unigram entropy, steps and wall time */
    const char *head[LRA_N_TASKS + 2] = {"model"}; int cols[LRA_N_TASKS], nc = 0;
    for (int k = 0; k < LRA_N_TASKS; k++)
        if (g->want[k]) { cols[nc] = k; head[++nc] = arm_column(k); }
    head[nc + 1] = "Avg";
    rp_table acc_t, gain_t;
    char title2[256];
    snprintf(title2, sizeof title2, "%.*s: SPT gain, pretraining loss against the "
             "unigram entropy, cost", (int)strcspn(g->title, ":"), g->title);
    rp_table_init(&acc_t, g->title, nc + 2, head, RP_MD | RP_TEX);
    rp_table_init(&gain_t, title2, nc + 1, head, RP_MD | RP_TEX);
    for (int v = 0; v < g->nv; v++) {
        for (int spt = 0; spt < 2; spt++) {
            char c[LRA_N_TASKS + 2][96]; const char *cp[LRA_N_TASKS + 2];
            snprintf(c[0], 96, "%s%s", g->v[v].name,
                     spt ? (g->v[v].pt_objective == LS_OBJ_CLM ? " + causal SPT" : " + masked SPT")
                         : "");
            double sum = 0; int n = 0;
            for (int j = 0; j < nc; j++) {
                int k = cols[j];
                if (!C[v][k].ran) {
                    snprintf(c[j + 1], 96, "%s", why[k][0] ? why[k] : "—");
                    continue;
                }
                if (C[v][k].diverged[spt]) {
                    snprintf(c[j + 1], 96, "diverged (%d of %d seeds)", C[v][k].diverged[spt],
                             g->nseed);
                    continue;
                }
                double sd, m = arm_mean_sd(C[v][k].acc[spt], g->nseed, &sd);
                snprintf(c[j + 1], 96, g->nseed > 1 ? "%.1f ± %.1f" : "%.1f", m, sd);
                sum += m; n++;
            }
            if (n == nc) snprintf(c[nc + 1], 96, "%.1f", sum / n); else strcpy(c[nc + 1], "—");
            for (int j = 0; j < nc + 2; j++) cp[j] = c[j];
            rp_table_row(&acc_t, cp);
        }
        for (int row = 0; row < 3; row++) {
            char c[LRA_N_TASKS + 1][96]; const char *cp[LRA_N_TASKS + 1];
            snprintf(c[0], 96, "%s: %s", g->v[v].name, row == 0 ? "SPT gain (points)"
                     : row == 1 ? "LM val loss (unigram entropy), nats"
                     : "steps scratch / SPT pt + ft, wall");
            for (int j = 0; j < nc; j++) {
                int k = cols[j];
                if (!C[v][k].ran) {
                    snprintf(c[j + 1], 96, "%s", why[k][0] ? why[k] : "—");
                    continue;
                }
                if (row < 2 && (C[v][k].diverged[0] || C[v][k].diverged[1])) {
                    snprintf(c[j + 1], 96, "diverged");
                    continue;
                }
                double d[MAXS], sd, m;
                char w0[32], w1[32];
                switch (row) {
                case 0:
                    for (int s = 0; s < g->nseed; s++)
                        d[s] = C[v][k].acc[1][s] - C[v][k].acc[0][s];
                    m = arm_mean_sd(d, g->nseed, &sd);
                    snprintf(c[j + 1], 96, g->nseed > 1 ? "%+.1f ± %.1f" : "%+.1f", m, sd);
                    break;
                case 1:
                    m = arm_mean_sd(C[v][k].lm_loss, g->nseed, &sd);
                    snprintf(c[j + 1], 96, "%.3f (%.3f)", m, H[k]);
                    break;
                default:
                    rp_fmt_secs(C[v][k].wall[0], w0, sizeof w0);
                    rp_fmt_secs(C[v][k].wall[1], w1, sizeof w1);
                    snprintf(c[j + 1], 96, "%lld, %s / %lld + %lld, %s",
                             (long long)C[v][k].steps[0], w0, (long long)C[v][k].pt_steps,
                             (long long)C[v][k].steps[1], w1);
                }
            }
            for (int j = 0; j < nc + 1; j++) cp[j] = c[j];
            rp_table_row(&gain_t, cp);
        }
    }
    char seeds[64], steps[256] = "cap ", lrs[96] = "", extra[512], wall[32];
    arm_seeds(seeds, sizeof seeds, g->seed0, g->nseed);
    for (int j = 0; j < nc; j++) {
        size_t n = strlen(steps);
        snprintf(steps + n, sizeof steps - n, "%s%s %lld", j ? ", " : "", arm_task_name(cols[j]),
                 (long long)arm_plan(g->prof, cols[j], g->steps_mult).steps);
    }
    for (int m = 0; m < N_MODELS; m++) {
        int used = 0; for (int v = 0; v < g->nv; v++) used |= g->v[v].model == m;
        if (used) {
            size_t n = strlen(lrs);
            snprintf(lrs + n, sizeof lrs - n, "%s%s %g", n ? ", " : "", MODEL[m], g->lr[m]);
        }
    }
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    const plan *p0 = &PLAN[g->prof][LRA_LISTOPS];
    char sz[128]; arm_sizes(sz, sizeof sz, p0);
    snprintf(extra, sizeof extra, "%s, Transformer with rotary positions; batch %lld; LR %s "
             "(every arm); validation every tenth of the cap on %lld examples, patience %d; "
             "test on the first %lld; summed run time %s", sz, (long long)p0->batch, lrs,
             (long long)EVAL_MAX[g->prof], ARM_PATIENCE, (long long)TEST_MAX[g->prof], wall);
    rp_caption(&acc_t, g->prof, seeds, ls_get_threads(), steps, ls_now() - t_start, extra);
    strcpy(gain_t.caption, acc_t.caption);
    rp_table_note(&acc_t, "Test accuracy (%%) at the best validation checkpoint, mean ± sd over "
                  "seeds. SPT pretrains on the task's own training split with the objective named "
                  "in the row (masking ratio: ListOps 10%%, Text/Retrieval 15%%, visual 50%%), "
                  "then fine-tunes from the best-validation LM parameters with the LM head "
                  "dropped, under the same cap and early stopping as the scratch arm.");
    rp_table_note(&gain_t, "LM val loss: held-out cross-entropy of the pretraining objective at "
                  "its best validation, per predicted token; in brackets the entropy of the "
                  "training split's token frequencies, the loss of a model that learned only the "
                  "unigram distribution.");
    for (int i = 0; i < g->nanchor; i++)
        rp_anchor(&acc_t, g->anchor[i][0], g->anchor[i][1], g->anchor[i][2]);
    for (const char *s = g->notes; s && *s;) {
        size_t n = strcspn(s, "\n");
        rp_table_note(&acc_t, "%.*s", (int)n, s);
        s += n + (s[n] == '\n');
    }
    rp_table *tabs[3] = {&acc_t, &gain_t, &raw};
    char err[LS_ERRLEN];
    if (rp_write(g->out, g->prog, tabs, 3, err)) {
        fprintf(stderr, "%s: %s\n", g->prog, err);
        return 1;
    }
    printf("%s: wrote %s/%s.{md,tex,csv} (%s profile, %.0f s)\n", g->prog, g->out, g->prog,
           ls_profile_name(g->prof), ls_now() - t_start);
    rp_table_free(&acc_t); rp_table_free(&gain_t); rp_table_free(&raw);
    return 0;
}
#endif /* ARMS_H */
