/* experiments/spt_data.c - the `spt_data` table: does self-pretraining pay more when labelled
   data is scarce? (Never Train from Scratch, Figure 3: the relative SPT gain is modest on full
   data and up to about 30% on small fractions.)

     spt_data [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR] [--fresh]
              [--data DIR] [--records]

   Image and Text, S4D (bidirectional, masked SPT), training on nested subsets of {1, 10, 100}%
   of the training split: the first n examples of one seeded permutation, so each subset contains
   the smaller ones. The SPT arm pretrains on the same subset only; both arms validate on the full
   validation split and share LR, cap, early stopping and seed (arms.h). The 100% arms are the lra
   table's S4D runs (shared in results/<profile>/runs/). S4D alone: the published figure is S4's,
   and a Transformer arm costs several times as much per step (the lra table has its SPT gain
   on all the data). N_SEEDS seeds; cells are means over them, gains paired by seed. */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

#define PROG "spt_data"
#define N_FRAC 3
static const int FRAC[N_FRAC] = {1, 10, 100};   /* three decades: the cpu profile allows no more */
#define N_MOD 1
#define MAX_SEEDS 4
static const int TASKS[2] = {LRA_IMAGE, LRA_TEXT}, MODELS[N_MOD] = {M_S4D};
static const float LR[N_MODELS] = {1e-3f, 3e-3f, 3e-3f};
/* seeds per profile: raise one to add seeds */
static const int N_SEEDS[ARM_N_PROFILES] = {
    [LS_PROFILE_SMOKE] = 1, [LS_PROFILE_CPU] = 2, [LS_PROFILE_PAPER] = 3,
};

/* the three tables and what the caption gathers while they fill */
typedef struct sd_tables {
    rp_table acc, gain, raw;
    char caps[128];      /* "cap Image 1800, Text 1600" */
    double wall_sum;     /* summed run time (fine-tuning, plus pretraining for SPT arms) */
} sd_tables;

/* one task's results: test accuracy [model][spt][fraction][seed], training examples per fraction */
typedef struct sd_cells {
    double acc[N_MOD][2][N_FRAC][MAX_SEEDS];
    double lm[N_MOD][N_FRAC][MAX_SEEDS];   /* the pretraining's best held-out LM loss (nats) */
    double H[N_FRAC];                       /* unigram entropy of the subset's tokens (nats) */
    int64_t ntr[N_FRAC];
    int nseed;
} sd_cells;

/* examples in fraction f of the training split: at least two batches, at most all of it */
static int64_t frac_examples(int64_t n_train, int f, int64_t batch) {
    int64_t n = (n_train * FRAC[f] + 50) / 100;
    if (n < 2 * batch) n = 2 * batch;
    return n > n_train ? n_train : n;
}

/* the scratch and SPT arms of one model on one training subset, every seed; -1 when a run fails */
static int run_model(const ls_cli *cli, int fresh, const lra_task *t, const plan *p, int mi, int f,
                     int64_t n, const char *skey, const ls_dataset *tr, const ls_dataset *va,
                     const ls_dataset *te, sd_tables *T, sd_cells *c) {
    int m = MODELS[mi], prof = cli->profile, task = t->id;
    for (int k = 0; k < 2 * c->nseed; k++) {   /* seed by seed: scratch, then SPT */
        const int si = k / 2, spt = k % 2;
        const uint64_t seed = cli->seed + (uint64_t)si;
        char lab[128];
        snprintf(lab, sizeof lab, "%s %d%% %s%s seed %llu", arm_task_name(task), FRAC[f], MODEL[m],
                 spt ? " +SPT" : "", (unsigned long long)seed);
        arm_spec a = {.prog = PROG, .table = ARM_RUNS, .label = lab, .data_key = skey,
                      .cls = arm_model(t, p, m, 0, 0), .lm = arm_model(t, p, m, 0, 1),
                      .ft = arm_train(t, p, prof, LS_OBJ_CLASSIFY, LR[m], seed),
                      .pt = arm_train(t, p, prof, LS_OBJ_MLM, LR[m], seed),
                      .train = tr, .val = va, .test = te, .lm_train = tr, .lm_val = va,
                      .spt = spt, .fresh = fresh, .quiet = cli->quiet};
        arm_out o;
        if (arm_run(&a, &o)) return -1;
        c->acc[mi][spt][f][si] = 100 * o.ft.test;
        if (spt) c->lm[mi][f][si] = o.pt.val_loss;
        double w = o.ft.wall_s + (spt ? o.pt.wall_s : 0);
        T->wall_sum += w;
        rp_table_rowf(&T->raw,
                      "%s\t%s\t%s\t%d\t%lld\t%g\t%llu\t%.4f\t%.4f\t%lld\t%lld\t%.1f\t%d\t%016llx",
                      arm_task_name(task), MODEL[m], spt ? "spt" : "scratch", FRAC[f], (long long)n,
                      LR[m], (unsigned long long)seed, o.ft.val, o.ft.test,
                      (long long)(spt ? o.pt.steps : 0), (long long)o.ft.steps, w, o.ft.threads,
                      (unsigned long long)o.ft.hash);
    }
    return 0;
}

/* every fraction of one task: the full split keeps the task's plain key, so its arms are shared
   with the other tables; a subset's key names its size and permutation */
static int run_fractions(const ls_cli *cli, int fresh, const lra_task *t, const plan *p,
                         const char *key, sd_tables *T, sd_cells *c) {
    const int prof = cli->profile;
    ls_dataset va = arm_split(&t->val, 0, 0), te = arm_split(&t->test, TEST_MAX[prof], 0);
    for (int f = 0; f < N_FRAC; f++) {
        int64_t n = frac_examples(t->train.n, f, p->batch);
        c->ntr[f] = n;
        arm_subset sub;
        memset(&sub, 0, sizeof sub);
        ls_dataset tr = arm_split(&t->train, 0, 0);
        char skey[320];
        snprintf(skey, sizeof skey, "%s", key);
        if (n < t->train.n) {
            arm_subset_make(&sub, &t->train, n, LRA_DATA_SEED);
            tr = sub.d;
            snprintf(skey, sizeof skey, "%s subset %lld of permutation %d", key, (long long)n,
                     LRA_DATA_SEED);
        }
        double mode;
        arm_unigram(&tr, &mode, &c->H[f]);
        int rc = 0;
        for (int mi = 0; mi < N_MOD && !rc; mi++)
            rc = run_model(cli, fresh, t, p, mi, f, n, skey, &tr, &va, &te, T, c);
        arm_subset_free(&sub);
        if (rc) return -1;
    }
    return 0;
}

/* one row: a label, then one cell per fraction */
static void frac_row(rp_table *tab, const char *label, char cell[N_FRAC][64]) {
    const char *cp[N_FRAC + 1] = {label};
    for (int f = 0; f < N_FRAC; f++) cp[f + 1] = cell[f];
    rp_table_row(tab, cp);
}

/* one task's rows: accuracy per model and arm; gain per model; training examples */
static void task_rows(int task, const sd_cells *c, sd_tables *T) {
    char label[64], cell[N_FRAC][64];
    const int ns = c->nseed;
    for (int mi = 0; mi < N_MOD; mi++) {
        const char *mn = MODEL[MODELS[mi]];
        for (int spt = 0; spt < 2; spt++) {
            snprintf(label, sizeof label, "%s: %s%s", arm_column(task), mn, spt ? " + SPT" : "");
            for (int f = 0; f < N_FRAC; f++)
                arm_fmt_mean_sd(cell[f], sizeof cell[f], c->acc[mi][spt][f], ns);
            frac_row(&T->acc, label, cell);
        }
        /* the gain paired by seed; relative to the mean scratch accuracy */
        snprintf(label, sizeof label, "%s: %s gain", arm_column(task), mn);
        for (int f = 0; f < N_FRAC; f++) {
            double d[MAX_SEEDS], sd;
            for (int si = 0; si < ns; si++)
                d[si] = c->acc[mi][1][f][si] - c->acc[mi][0][f][si];
            double g = arm_mean_sd(d, ns, &sd), s = arm_mean_sd(c->acc[mi][0][f], ns, NULL);
            char pm[24] = "";
            if (ns > 1) snprintf(pm, sizeof pm, " ± %.1f", sd);
            if (isnan(g)) snprintf(cell[f], 64, "diverged");
            else snprintf(cell[f], 64, "%+.1f%s (%+.0f%%)", g, pm, s > 0 ? 100 * g / s : 0.0);
        }
        frac_row(&T->gain, label, cell);
        /* did the pretraining learn more than the subset's token frequencies? */
        snprintf(label, sizeof label, "%s: %s SPT loss − H (nats)", arm_column(task), mn);
        for (int f = 0; f < N_FRAC; f++) {
            double gap = arm_mean_sd(c->lm[mi][f], ns, NULL) - c->H[f];
            if (isnan(gap)) snprintf(cell[f], 64, "diverged");
            else snprintf(cell[f], 64, "%+.2f%s", gap, gap >= 0 ? " †" : "");
        }
        frac_row(&T->gain, label, cell);
    }
    snprintf(label, sizeof label, "%s: training examples", arm_column(task));
    for (int f = 0; f < N_FRAC; f++) snprintf(cell[f], 64, "%lld", (long long)c->ntr[f]);
    frac_row(&T->gain, label, cell);
}

static void tables_init(sd_tables *T) {
    static const char *const rh[] = {"task", "model", "arm", "fraction", "n_train", "lr", "seed",
                                     "val", "test", "pt_steps", "steps", "wall_s", "threads",
                                     "hash"};
    static char fh[N_FRAC][16];
    const char *head[N_FRAC + 1] = {"task: model"};
    for (int f = 0; f < N_FRAC; f++) {
        snprintf(fh[f], 16, "%d%%", FRAC[f]);
        head[f + 1] = fh[f];
    }
    memset(T, 0, sizeof *T);
    rp_table_init(&T->raw, "runs", 14, rh, RP_CSV);
    rp_table_init(&T->acc, "Test accuracy (%) against the fraction of the training split used "
                  "(nested subsets), scratch and SPT", N_FRAC + 1, head, RP_MD | RP_TEX);
    rp_table_init(&T->gain, "SPT gain in points (relative gain over scratch in brackets), the "
                  "pretraining's held-out loss against the unigram entropy, and training examples "
                  "per fraction", N_FRAC + 1, head, RP_MD | RP_TEX);
    snprintf(T->caps, sizeof T->caps, "cap ");
}

/* the caption (shared by both tables), the note and the published anchor */
static void caption(const ls_cli *cli, double t_start, sd_tables *T) {
    const int prof = cli->profile;
    char seeds[32], wall[32], extra[512], sz[128];
    arm_seeds(seeds, sizeof seeds, cli->seed, N_SEEDS[prof]);
    rp_fmt_secs(T->wall_sum, wall, sizeof wall);
    const plan *p0 = &PLAN[prof][LRA_IMAGE];
    arm_sizes(sz, sizeof sz, p0);
    snprintf(extra, sizeof extra,
             "%s; batch %lld; LR S4D %g (every arm); validation every 1/%d of "
             "the cap on %lld examples of the full validation split, patience %d; test on the "
             "first %lld; summed run time %s", sz, (long long)p0->batch, LR[M_S4D],
             ARM_EVALS, (long long)EVAL_MAX[prof], ARM_PATIENCE,
             (long long)TEST_MAX[prof], wall);
    rp_caption(&T->acc, prof, seeds, ls_get_threads(), T->caps, ls_now() - t_start, extra);
    strcpy(T->gain.caption, T->acc.caption);
    rp_table_note(&T->acc, "Subsets: the first n examples of one seeded permutation of the "
                  "training split (nested); at least two batches. SPT: masked LM (Image 50%%, "
                  "Text 15%% masking) on the same subset, then fine-tuning from its "
                  "best-validation parameters. Mean%s over %d seed%s; gains paired by seed.",
                  N_SEEDS[prof] > 1 ? " ± sd" : "", N_SEEDS[prof], N_SEEDS[prof] > 1 ? "s" : "");
    rp_table_note(&T->gain, "SPT loss − H: the pretraining's best held-out masked-LM loss minus "
                  "the entropy H of the subset's token frequencies (the loss of a model that "
                  "learned only them), mean over seeds; † at 0 or above: the pretraining learned "
                  "no more than that.");
    rp_anchor(&T->acc, "relative SPT gain (S4, Image and Text)",
              "modest with all the data, up to about 30% on small fractions",
              "Amos, Berant & Gupta 2024, Figure 3");
}

int main(int argc, char **argv) {
    ls_cli cli;
    const ls_flag data_flag[] = {ARM_DATA_FLAG};
    int fresh, rc = arm_cli_ex(PROG, "The spt_data table: training-data fraction x {scratch, SPT} "
                               "on Image and Text.", argc, argv, &cli, NULL, &fresh, data_flag, 1,
                               0);
    if (rc) return rc - 1;
    const int prof = cli.profile;
    const int64_t mult = 1;   /* the lra plan's caps, so the 100% arms are the lra table's runs */
    double t_start = ls_now();
    sd_tables T;
    tables_init(&T);
    /* runs: tasks x fractions x models x (scratch, pretraining, fine-tuning) */
    arm_progress_begin(PROG, 2 * N_FRAC * N_MOD * 3 * N_SEEDS[prof], cli.quiet);
    for (int k = 0; k < 2; k++) {
        int task = TASKS[k];
        lra_task t;
        char key[256];
        int lrc = arm_load(PROG, &t, task, prof, key, sizeof key);
        if (lrc < 0) return 1;
        if (lrc > 0) continue;
        const plan p = arm_plan(prof, task, mult);
        size_t n = strlen(T.caps);
        snprintf(T.caps + n, sizeof T.caps - n, "%s%s %lld", k ? ", " : "", arm_task_name(task),
                 (long long)p.steps);
        sd_cells c = {.nseed = N_SEEDS[prof]};
        if (run_fractions(&cli, fresh, &t, &p, key, &T, &c)) return 1;
        task_rows(task, &c, &T);
        lra_task_free(&t);
    }
    caption(&cli, t_start, &T);
    char err[LS_ERRLEN];
    rp_table *tabs[3] = {&T.acc, &T.gain, &T.raw};
    if (rp_write(cli.out, PROG, tabs, 3, err)) { fprintf(stderr, PROG ": %s\n", err); return 1; }
    printf(PROG ": wrote %s/" PROG ".{md,tex,csv} (%s profile, %.0f s)\n", cli.out,
           ls_profile_name(prof), ls_now() - t_start);
    rp_table_free(&T.acc);
    rp_table_free(&T.gain);
    rp_table_free(&T.raw);
    return 0;
}
