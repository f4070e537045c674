/* tests/mpi/test_mpi.c - data-parallel training under MPI (longseq.h part 6E), for `make test-mpi`.
   Built with mpicc and -DLS_MPI; never by the plain build (its tests/ wildcard stops above here).

     mpirun -np 2 test_mpi dp
         10 steps of two small models on both ranks (a Transformer classifier with dropout, and an
         LRU masked LM whose global batch of 7 does not split evenly, in 2 micro-batches), then
         rank 0 trains the same runs alone (ls_mpi_set_comm(MPI_COMM_SELF)) and compares: every
         parameter within 1e-5 of the largest one (relative), and both ranks hold the same bits.
     mpirun -np 2 test_mpi resume DIR
         a longer run with a checkpoint every 5 steps in DIR (each rank writes its pid to
         DIR/pid-<rank>, for the test that kills one). A rerun resumes from the checkpoint (it
         prints the step it starts from) and its result is compared with an uninterrupted run that
         rank 0 trains alone.
   Exit 0 and a last line "test_mpi <mode>: ok ..." when the check passes; 1 with the reason. */
#define LONGSEQ_IMPLEMENTATION
#include "../../longseq.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N_TRAIN = 96, T_LEN = 24, VOCAB = 12 };

/* a toy task: does token 1 occur more often than token 2? (any sequence model can learn it) */
static int32_t tok[N_TRAIN * T_LEN], len[N_TRAIN], lab[N_TRAIN];
static ls_dataset make_data(void) {
    ls_rng r = ls_rng_make(5, LS_STREAM_USER);
    for (int i = 0; i < N_TRAIN; i++) {
        int c1 = 0, c2 = 0;
        len[i] = T_LEN / 2 + (int32_t)ls_rng_below(&r, T_LEN / 2 + 1);
        for (int t = 0; t < T_LEN; t++) {
            int32_t v = t < len[i] ? 3 + (int32_t)ls_rng_below(&r, VOCAB - 3) : 0;
            if (t < len[i] && ls_rng_below(&r, 4) == 0) v = 1 + (int32_t)ls_rng_below(&r, 2);
            c1 += v == 1; c2 += v == 2;
            tok[i * T_LEN + t] = v;
        }
        lab[i] = c1 > c2;
    }
    return (ls_dataset){.n = N_TRAIN, .T = T_LEN, .tokens = tok, .len = len, .label = lab};
}

typedef struct run_spec { ls_config cfg; ls_train_cfg tc; } run_spec;

static run_spec classifier(int64_t steps) {
    run_spec s = {.cfg = ls_config_default(LS_ARCH_TRANSFORMER, VOCAB, T_LEN),
                  .tc = ls_train_cfg_default()};
    s.cfg.d_model = 32; s.cfg.d_ffn = 64; s.cfg.n_heads = 2; s.cfg.n_layers = 2;
    s.cfg.n_classes = 2; s.cfg.dropout = 0.1f;   /* dropout masks must follow the global batch */
    s.tc.steps = steps; s.tc.batch = 8; s.tc.warmup = 2; s.tc.lr = 3e-3f; s.tc.eval_every = 5;
    s.tc.eval_max = 40; s.tc.seed = 11;
    return s;
}

static run_spec masked_lm(void) {
    run_spec s = {.cfg = ls_config_default(LS_ARCH_LRU, VOCAB, T_LEN),
                  .tc = ls_train_cfg_default()};
    s.cfg.d_model = 24; s.cfg.d_ffn = 48; s.cfg.d_state = 16; s.cfg.head = LS_HEAD_LM;
    s.tc.objective = LS_OBJ_MLM; s.tc.mask_ratio = 0.2f; s.tc.mask_id = 0;
    s.tc.steps = 10; s.tc.batch = 7; s.tc.accum = 2;   /* 7 rows: ranks get 3 and 4 */
    s.tc.warmup = 2; s.tc.lr = 3e-3f; s.tc.eval_every = 5; s.tc.eval_max = 30; s.tc.seed = 12;
    return s;
}

/* trains spec on the ranks of ls_mpi_comm(); the final parameters go to *x (malloc'ed) */
static int train(const run_spec *s, const ls_dataset *d, const ls_train_io *io, float **x,
                 ls_train_result *res) {
    char err[LS_ERRLEN];
    ls_model m;
    if (ls_model_init(&m, &s->cfg, s->tc.seed, err)) {
        fprintf(stderr, "model: %s\n", err);
        return -1;
    }
    int rc = ls_train(&m, &s->tc, io, d, d, NULL, res, err);
    if (rc < 0) fprintf(stderr, "train: %s\n", err);
    *x = (float *)malloc((size_t)m.P.n * sizeof(float));
    memcpy(*x, m.P.x, (size_t)m.P.n * sizeof(float));
    int64_t n = m.P.n;
    ls_model_free(&m);
    return rc < 0 ? -1 : (int)n;
}

/* 1 for the parameter elements whose gradient is zero in exact arithmetic: attention's key bias
   (softmax ignores a constant added to every logit of a row, and q . bk is one). Their computed
   gradient is float rounding noise, which AdamW divides by its own root mean square, so it moves
   them by up to lr a step in directions that change with the order of the sums: they are compared
   apart (and change no output). */
static char *noise_only(const ls_config *cfg, int n) {
    char *mask = (char *)calloc((size_t)n, 1), err[LS_ERRLEN];
    ls_model m;
    if (ls_model_init(&m, cfg, 1, err)) return mask;
    for (int i = 0; i < m.P.nt; i++) {
        const char *nm = m.P.t[i]->name ? m.P.t[i]->name : "";
        size_t L = strlen(nm);
        if (L >= 3 && !strcmp(nm + L - 3, ".bk") && m.P.t[i]->x - m.P.x + m.P.t[i]->n <= n)
            memset(mask + (m.P.t[i]->x - m.P.x), 1, (size_t)m.P.t[i]->n);
    }
    ls_model_free(&m);
    return mask;
}

/* max |a - b| over max |b|, over the elements whose mask is `which`: the parameters' disagreement
   relative to their scale; *worst gets the index of the largest difference */
static double rel_diff(const float *a, const float *b, int n, const char *mask, int which,
                       int *worst) {
    double num = 0.0, den = 0.0;
    *worst = 0;
    for (int i = 0; i < n; i++) {
        if (mask[i] != which) continue;
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > num) { num = d; *worst = i; }
        if (fabs((double)b[i]) > den) den = fabs((double)b[i]);
    }
    return den > 0 ? num / den : num;
}

/* the name of the parameter that holds element k of the model's flat buffer */
static const char *param_at(const ls_config *cfg, int k) {
    static char name[128];
    char err[LS_ERRLEN];
    ls_model m;
    snprintf(name, sizeof name, "?");
    if (ls_model_init(&m, cfg, 1, err)) return name;
    for (int i = 0; i < m.P.nt; i++)
        if (k >= m.P.t[i]->x - m.P.x && k < m.P.t[i]->x - m.P.x + m.P.t[i]->n)
            snprintf(name, sizeof name, "%s", m.P.t[i]->name ? m.P.t[i]->name : "?");
    ls_model_free(&m);
    return name;
}

/* 1 when every rank holds exactly the bits rank 0 holds */
static int same_on_all_ranks(const float *x, int n) {
    long long crc = (long long)ls_crc32(0, x, (size_t)n * sizeof(float)), v[2] = {crc, -crc};
    MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    return v[0] == crc && -v[1] == crc;
}

/* the spec trained on every rank, then by rank 0 alone: 0 when they agree */
static int compare(const char *name, const run_spec *s, const ls_dataset *d, const ls_train_io *io,
                   double tol, int64_t *resumed_from) {
    int me, np;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &np);
    float *xp = NULL, *x1 = NULL;
    ls_train_result rp, r1;
    int n = train(s, d, io, &xp, &rp), bad = n < 0 || !same_on_all_ranks(xp, n);
    if (bad && me == 0)
        fprintf(stderr, "%s: the ranks' parameters differ (or training failed)\n", name);
    if (me == 0 && !bad) {
        ls_mpi_set_comm(MPI_COMM_SELF);   /* rank 0 alone: the single-process reference */
        ls_train_io quiet = {.quiet = 1};
        int n1 = train(s, d, &quiet, &x1, &r1);
        ls_mpi_set_comm(MPI_COMM_NULL);
        int worst = 0, w2 = 0;
        char *mask = noise_only(&s->cfg, n);
        double rel = n1 == n ? rel_diff(xp, x1, n, mask, 0, &worst) : INFINITY;
        double rel_bk = n1 == n ? rel_diff(xp, x1, n, mask, 1, &w2) : INFINITY;
        double abs_bk = n1 == n ? fabs((double)xp[w2] - (double)x1[w2]) : INFINITY;
        free(mask);
        printf("%s: %d ranks vs 1 process, %lld steps, %d parameters: max |difference| / "
               "max |value| = %.2e (limit %.0e, worst in %s; key biases apart: %.1e absolute); "
               "loss %.6f vs %.6f; val %.4f vs %.4f%s\n", name, np, (long long)rp.steps, n, rel,
               tol, param_at(&s->cfg, worst), rel_bk > 0 ? abs_bk : 0.0, rp.final_loss,
               r1.final_loss, rp.best_val, r1.best_val, rp.resumed ? "; resumed" : "");
        if (resumed_from && *resumed_from >= 0)
            printf("%s: resumed from the checkpoint of step %lld\n", name,
                   (long long)*resumed_from);
        bad = !(rel <= tol) || rp.steps != r1.steps;
    }
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(xp); free(x1);
    return bad;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int me;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    ls_set_threads(1);
    ls_dataset d = make_data();
    int bad = 1;
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "dp")) {
        run_spec a = classifier(10), b = masked_lm();
        ls_train_io quiet = {.quiet = 1};
        bad = compare("transformer classifier, dropout 0.1, batch 8", &a, &d, &quiet, 1e-5, NULL);
        bad |= compare("LRU masked LM, batch 7, 2 micro-batches", &b, &d, &quiet, 1e-5, NULL);
    } else if (!strcmp(mode, "resume") && argc > 2) {
        char ckpt[1024], pid[1024], csv[1024];
        snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", argv[2]);
        snprintf(csv, sizeof csv, "%s/run.csv", argv[2]);
        snprintf(pid, sizeof pid, "%s/pid-%d", argv[2], me);
        FILE *f = fopen(pid, "w");
        if (f) { fprintf(f, "%ld\n", (long)getpid()); fclose(f); }
        /* the step a resume starts from: the trainer's state in the checkpoint's meta bytes
           (ls__train_state: two u32, then the step as an int64) */
        int64_t from = -1;
        if (me == 0 && access(ckpt, F_OK) == 0) {
            ls_model m;
            run_spec s = classifier(150);
            char meta[256], err[LS_ERRLEN];
            size_t ml = 0;
            ls_model_init(&m, &s.cfg, 1, err);
            if (!ls_checkpoint_load(ckpt, &m.P, NULL, LS_CKPT_STRICT, meta, sizeof meta, &ml,
                                    err) && ml >= 16)
                memcpy(&from, meta + 8, sizeof from);
            ls_model_free(&m);
        }
        run_spec s = classifier(150);
        s.tc.eval_every = 20;
        ls_train_io io = {.ckpt_path = ckpt, .ckpt_every = 5, .csv_path = csv, .label = "resume"};
        /* the resumed run keeps the data-parallel test's limit (1e-5): resuming adds nothing */
        bad = compare("resume", &s, &d, &io, 1e-5, &from);
        if (!bad && me == 0 && from <= 0) {
            fprintf(stderr, "resume: started from step 0 (no checkpoint to resume)\n");
            bad = 1;
        }
    } else {
        if (me == 0) fprintf(stderr, "usage: test_mpi dp | resume DIR\n");
        MPI_Finalize();
        return 2;
    }
    if (me == 0) printf("test_mpi %s: %s\n", mode, bad ? "FAILED" : "ok");
    MPI_Finalize();
    return bad;
}
