/* experiments/spt_probe.c - the `spt_probe` table: how many pretraining steps before self-pretraining
   learns more than token frequencies?

     spt_probe [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR] [--tasks a,b] [--fresh]

   A PyTorch pilot and this report's other tables find masked-LM pretraining at a small budget stuck
   at the unigram entropy for the Transformer (it predicts token frequencies and nothing else), while
   S4D goes below it within a few hundred steps. SPT can only help once the pretraining has learned
   structure, so this is where the budget at which SPT starts to pay begins. One long masked-LM run
   per (model, task), 10x the lra step cap, validated every twentieth of it, no early stopping: the
   held-out loss minus the unigram entropy over steps (tables/spt_probe.csv, a figure in the paper),
   and the first step at which it is below -0.05 nats. Same sizes, LR and masking as the other tables. */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

static const float LR[N_MODELS] = {1e-3f, 3e-3f, 3e-3f};
static const int MODELS[2] = {M_TR, M_S4D};
#define MULT 10
#define MARGIN 0.05   /* nats below the unigram entropy that count as "learned structure" */

int main(int argc, char **argv) {
    ls_cli cli;
    const char *tasks = "listops,text,image";
    int fresh, rc = arm_cli("spt_probe", "The spt_probe table: masked-LM pretraining loss against the unigram entropy over a long run.", argc, argv, &cli, &tasks, &fresh);
    if (rc) return rc - 1;
    const int prof = cli.profile;
    int want[LRA_N_TASKS];
    if (arm_parse_tasks("spt_probe", tasks, NULL, want)) return 2;
    double t_start = ls_now(), wall_sum = 0;
    const char *ch[] = {"task", "model", "step", "val_loss", "unigram_entropy", "excess", "val_metric"};
    rp_table curves; rp_table_init(&curves, "curves", 7, ch, RP_CSV);
    const char *head[LRA_N_TASKS + 1] = {"model"}; int cols[LRA_N_TASKS], nc = 0;
    for (int k = 0; k < LRA_N_TASKS; k++) if (want[k]) { cols[nc] = k; head[++nc] = arm_column(k); }
    rp_table t;
    rp_table_init(&t, "Masked-LM pretraining over a long run: first step with held-out loss below the unigram entropy (by 0.05 nats), and loss − entropy at the end", nc + 1, head, RP_MD | RP_TEX);
    char cell[2][LRA_N_TASKS][96], caps[160] = "";
    for (int j = 0; j < nc; j++) {
        int task = cols[j];
        lra_task tk; char key[256];
        int lrc = arm_load("spt_probe", &tk, task, prof, key, sizeof key);
        if (lrc < 0) return 1;
        if (lrc > 0) { for (int mi = 0; mi < 2; mi++) snprintf(cell[mi][task], 96, "not run: no data"); continue; }
        plan p = arm_plan(prof, task, MULT);
        { size_t n = strlen(caps); snprintf(caps + n, sizeof caps - n, "%s%s %lld", j ? ", " : "", arm_task_name(task), (long long)p.steps); }
        ls_dataset ptr = arm_split(&tk.train, 0, 1), pva = arm_split(&tk.val, 0, 1);
        double mode, H; arm_unigram(&ptr, &mode, &H);
        for (int mi = 0; mi < 2; mi++) {
            int m = MODELS[mi];
            ls_train_cfg tc = arm_train(&tk, &p, prof, LS_OBJ_MLM, LR[m], cli.seed, cli.quiet);
            tc.eval_every = tc.ckpt_every = p.steps / 20 > 0 ? p.steps / 20 : 1;
            tc.patience = 0;   /* the whole curve */
            char lab[128]; snprintf(lab, sizeof lab, "%s %s masked-LM probe", arm_task_name(task), MODEL[m]);
            rp_run r = {ARM_RUNS, lab, arm_model(&tk, &p, m, 0, 1), tc, key, 0, 0, fresh};
            rp_result res; char err[LS_ERRLEN];
            if (rp_run_train(&r, &ptr, &pva, NULL, &res, err)) { fprintf(stderr, "spt_probe: %s: %s\n", lab, err); return 1; }
            wall_sum += res.wall_s;
            arm_point pts[256];
            int np = arm_curve(res.hash, pts, 256);
            long long first = -1, last_step = 0; double last = NAN;
            for (int i = 0; i < np; i++) {
                double vl = pts[i].val_loss;
                rp_table_rowf(&curves, "%s\t%s\t%lld\t%.4f\t%.4f\t%.4f\t%.4f", arm_task_name(task), MODEL[m], pts[i].step, vl, H, vl - H, pts[i].val_metric);
                if (first < 0 && vl < H - MARGIN) first = pts[i].step;
                last = vl - H; last_step = pts[i].step;
            }
            if (np < 0) snprintf(cell[mi][task], 96, "no learning curve (%016llx.csv)", (unsigned long long)res.hash);
            else if (first >= 0) snprintf(cell[mi][task], 96, "step %lld of %lld; %+.2f at the end", first, last_step, last);
            else snprintf(cell[mi][task], 96, "not within %lld steps; %+.2f at the end", last_step, last);
        }
        lra_task_free(&tk);
    }
    for (int mi = 0; mi < 2; mi++) {
        const char *cp[LRA_N_TASKS + 1] = {MODEL[MODELS[mi]]};
        for (int j = 0; j < nc; j++) cp[j + 1] = cell[mi][cols[j]];
        rp_table_row(&t, cp);
    }
    char seeds[32], wall[32], extra_c[512];
    arm_seeds(seeds, sizeof seeds, cli.seed, 1);
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    const plan *p0 = &PLAN[prof][LRA_LISTOPS];
    char sz[128]; arm_sizes(sz, sizeof sz, p0);
    snprintf(extra_c, sizeof extra_c, "%s, bidirectional; batch %lld; LR Transformer %g, S4D %g; masking as the task's SPT; %dx the lra cap, validation every twentieth on %lld examples, no early stopping; summed run time %s",
             sz, (long long)p0->batch, LR[M_TR], LR[M_S4D], MULT, (long long)EVAL_MAX[prof], wall);
    rp_caption(&t, prof, seeds, ls_get_threads(), caps, ls_now() - t_start, extra_c);
    rp_table_note(&t, "Unigram entropy: the cross-entropy of predicting every masked token by the training split's token frequencies; a model at it has learned nothing about the context. Curves: tables/spt_probe.csv.");
    rp_table *tabs[1] = {&t}, *cv[1] = {&curves};
    char err[LS_ERRLEN];
    if (rp_write(cli.out, "spt_probe", tabs, 1, err) || rp_write(cli.out, "spt_probe", cv, 1, err)) { fprintf(stderr, "spt_probe: %s\n", err); return 1; }
    printf("spt_probe: wrote %s/spt_probe.{md,tex,csv} (%s profile, %.0f s)\n", cli.out, ls_profile_name(prof), ls_now() - t_start);
    rp_table_free(&t); rp_table_free(&curves);
    return 0;
}
