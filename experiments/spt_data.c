/* experiments/spt_data.c - the `spt_data` table: does self-pretraining pay more when labelled data is
   scarce? (Never Train from Scratch, Figure 3: the relative SPT gain is modest on full data and up
   to about 30% on small fractions.)

     spt_data [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR] [--fresh]

   Image and Text, the Transformer and S4D (bidirectional, masked SPT), training on nested subsets of
   {1, 10, 100}% of the training split: the first n examples of one seeded permutation, so each
   subset contains the smaller ones. The SPT arm pretrains on the same subset only; both arms validate
   on the full validation split and share LR, cap, early stopping and seed (arms.h). The 100% arms are
   the lra table's Transformer and S4D runs (shared in results/<profile>/runs/). */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

#define N_FRAC 3
static const int FRAC[N_FRAC] = {1, 10, 100};   /* three decades: the cpu profile's budget allows no more */
static const int TASKS[2] = {LRA_IMAGE, LRA_TEXT}, MODELS[2] = {M_TR, M_S4D};
static const float LR[N_MODELS] = {1e-3f, 3e-3f, 3e-3f};

int main(int argc, char **argv) {
    ls_cli cli;
    const ls_flag data_flag[] = {ARM_DATA_FLAG};
    int fresh, rc = arm_cli_ex("spt_data", "The spt_data table: training-data fraction x {scratch, SPT} on Image and Text.",
                               argc, argv, &cli, NULL, &fresh, data_flag, 1, 0);
    if (rc) return rc - 1;
    const int prof = cli.profile;
    const int64_t mult = 1;   /* the lra plan's caps, so the 100% arms are the lra table's runs */
    double t_start = ls_now(), wall_sum = 0;
    const char *rh[] = {"task", "model", "arm", "fraction", "n_train", "lr", "seed", "val", "test", "pt_steps", "steps", "wall_s", "threads", "hash"};
    rp_table raw; rp_table_init(&raw, "runs", 14, rh, RP_CSV);
    const char *head[N_FRAC + 1] = {"task: model"};
    char fh[N_FRAC][16];
    for (int f = 0; f < N_FRAC; f++) { snprintf(fh[f], 16, "%d%%", FRAC[f]); head[f + 1] = fh[f]; }
    rp_table acc_t, gain_t;
    rp_table_init(&acc_t, "Test accuracy (%) against the fraction of the training split used (nested subsets), scratch and SPT", N_FRAC + 1, head, RP_MD | RP_TEX);
    rp_table_init(&gain_t, "SPT gain in points (relative gain over scratch in brackets), and training examples per fraction", N_FRAC + 1, head, RP_MD | RP_TEX);
    char caps[128] = "cap ";
    arm_progress_begin("spt_data", 2 * N_FRAC * 2 * 3, cli.quiet);   /* tasks x fractions x models x runs */
    for (int k = 0; k < 2; k++) {
        int task = TASKS[k];
        lra_task t; char key[256];
        int lrc = arm_load("spt_data", &t, task, prof, key, sizeof key);
        if (lrc < 0) return 1;
        if (lrc > 0) continue;
        const plan p = arm_plan(prof, task, mult);
        { size_t n = strlen(caps); snprintf(caps + n, sizeof caps - n, "%s%s %lld", k ? ", " : "", arm_task_name(task), (long long)p.steps); }
        ls_dataset va = arm_split(&t.val, 0, 0), te = arm_split(&t.test, TEST_MAX[prof], 0);
        double acc[2][2][N_FRAC]; int64_t ntr[N_FRAC];
        for (int f = 0; f < N_FRAC; f++) {
            int64_t n = (t.train.n * FRAC[f] + 50) / 100;
            if (n < 2 * p.batch) n = 2 * p.batch;
            if (n > t.train.n) n = t.train.n;
            ntr[f] = n;
            arm_subset sub; memset(&sub, 0, sizeof sub);
            ls_dataset tr = arm_split(&t.train, 0, 0);
            char skey[320];
            if (n < t.train.n) {   /* the full split keeps its plain key, so its arms are shared with the other tables */
                arm_subset_make(&sub, &t.train, n, LRA_DATA_SEED);
                tr = sub.d;
                snprintf(skey, sizeof skey, "%s subset %lld of permutation %d", key, (long long)n, LRA_DATA_SEED);
            } else snprintf(skey, sizeof skey, "%s", key);
            for (int mi = 0; mi < 2; mi++) {
                int m = MODELS[mi];
                for (int spt = 0; spt < 2; spt++) {
                    char lab[128]; snprintf(lab, sizeof lab, "%s %d%% %s%s seed %llu", arm_task_name(task), FRAC[f], MODEL[m], spt ? " +SPT" : "", (unsigned long long)cli.seed);
                    arm_spec a = {.prog = "spt_data", .table = ARM_RUNS, .label = lab, .data_key = skey,
                                  .cls = arm_model(&t, &p, m, 0, 0), .lm = arm_model(&t, &p, m, 0, 1),
                                  .ft = arm_train(&t, &p, prof, LS_OBJ_CLASSIFY, LR[m], cli.seed),
                                  .pt = arm_train(&t, &p, prof, LS_OBJ_MLM, LR[m], cli.seed),
                                  .train = &tr, .val = &va, .test = &te, .lm_train = &tr, .lm_val = &va,
                                  .spt = spt, .fresh = fresh, .quiet = cli.quiet};
                    arm_out o;
                    if (arm_run(&a, &o)) return 1;
                    acc[mi][spt][f] = 100 * o.ft.test;
                    double w = o.ft.wall_s + (spt ? o.pt.wall_s : 0);
                    wall_sum += w;
                    rp_table_rowf(&raw, "%s\t%s\t%s\t%d\t%lld\t%g\t%llu\t%.4f\t%.4f\t%lld\t%lld\t%.1f\t%d\t%016llx", arm_task_name(task), MODEL[m],
                                  spt ? "spt" : "scratch", FRAC[f], (long long)n, LR[m], (unsigned long long)cli.seed, o.ft.val, o.ft.test,
                                  (long long)(spt ? o.pt.steps : 0), (long long)o.ft.steps, w, o.ft.threads, (unsigned long long)o.ft.hash);
                }
            }
            arm_subset_free(&sub);
        }
        for (int mi = 0; mi < 2; mi++) {
            for (int spt = 0; spt < 2; spt++) {
                char c[N_FRAC + 1][64]; const char *cp[N_FRAC + 1];
                snprintf(c[0], 64, "%s: %s%s", arm_column(task), MODEL[MODELS[mi]], spt ? " + SPT" : "");
                for (int f = 0; f < N_FRAC; f++)   /* a diverged run's accuracy is NAN */
                    snprintf(c[f + 1], 64, isnan(acc[mi][spt][f]) ? "diverged" : "%.1f", acc[mi][spt][f]);
                for (int j = 0; j <= N_FRAC; j++) cp[j] = c[j];
                rp_table_row(&acc_t, cp);
            }
            char c[N_FRAC + 1][64]; const char *cp[N_FRAC + 1];
            snprintf(c[0], 64, "%s: %s gain", arm_column(task), MODEL[MODELS[mi]]);
            for (int f = 0; f < N_FRAC; f++) {
                double d = acc[mi][1][f] - acc[mi][0][f];
                if (isnan(d)) { snprintf(c[f + 1], 64, "diverged"); continue; }
                snprintf(c[f + 1], 64, "%+.1f (%+.0f%%)", d, acc[mi][0][f] > 0 ? 100 * d / acc[mi][0][f] : 0.0);
            }
            for (int j = 0; j <= N_FRAC; j++) cp[j] = c[j];
            rp_table_row(&gain_t, cp);
        }
        char c[N_FRAC + 1][64]; const char *cp[N_FRAC + 1];
        snprintf(c[0], 64, "%s: training examples", arm_column(task));
        for (int f = 0; f < N_FRAC; f++) snprintf(c[f + 1], 64, "%lld", (long long)ntr[f]);
        for (int j = 0; j <= N_FRAC; j++) cp[j] = c[j];
        rp_table_row(&gain_t, cp);
        lra_task_free(&t);
    }
    char seeds[32], wall[32], extra_c[512];
    arm_seeds(seeds, sizeof seeds, cli.seed, 1);
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    const plan *p0 = &PLAN[prof][LRA_IMAGE];
    char sz[128]; arm_sizes(sz, sizeof sz, p0);
    snprintf(extra_c, sizeof extra_c, "%s; batch %lld; LR Transformer %g, S4D %g (every arm); validation every cap/4 on %lld examples of the full validation split, patience 2; test on the first %lld; summed run time %s",
             sz, (long long)p0->batch, LR[M_TR], LR[M_S4D], (long long)EVAL_MAX[prof], (long long)TEST_MAX[prof], wall);
    rp_caption(&acc_t, prof, seeds, ls_get_threads(), caps, ls_now() - t_start, extra_c);
    strcpy(gain_t.caption, acc_t.caption);
    rp_table_note(&acc_t, "Subsets: the first n examples of one seeded permutation of the training split (nested); at least two batches. SPT: masked LM (Image 50%%, Text 15%% masking) on the same subset, then fine-tuning from its best-validation parameters.");
    rp_anchor(&acc_t, "relative SPT gain (S4, Image and Text)", "modest with all the data, up to about 30% on small fractions", "Amos, Berant & Gupta 2024, Figure 3");
    char err[LS_ERRLEN];
    rp_table *tabs[3] = {&acc_t, &gain_t, &raw};
    if (rp_write(cli.out, "spt_data", tabs, 3, err)) { fprintf(stderr, "spt_data: %s\n", err); return 1; }
    printf("spt_data: wrote %s/spt_data.{md,tex,csv} (%s profile, %.0f s)\n", cli.out, ls_profile_name(prof), ls_now() - t_start);
    rp_table_free(&acc_t); rp_table_free(&gain_t); rp_table_free(&raw);
    return 0;
}
