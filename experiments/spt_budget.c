/* experiments/spt_budget.c - the `spt_budget` table: with a fixed total number of steps, does giving
   part of them to self-pretraining beat spending them all on the task? (Never Train from Scratch,
   Table 8: even a modest SPT share matches or beats training from scratch.)

     spt_budget [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR] [--tasks a,b] [--fresh]

   Total budget B (a multiple of the lra plan's step cap), split {0, 20, 40, 60}% pretraining (masked
   LM, bidirectional models) and the rest fine-tuning; share 0 is the scratch arm. Each phase keeps the
   protocol's early stopping, so B is a cap. A PyTorch pilot saw no SPT gain at a tiny budget because
   the masked-LM loss never went below the unigram entropy; so every row also logs the pretraining's
   held-out loss against that entropy (did it learn structure?), and the table is run at two budgets
   for S4D to look for the budget at which SPT starts to pay. */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

#define N_SHARE 4
static const int SHARE[N_SHARE] = {0, 20, 40, 60};
static const float LR[N_MODELS] = {1e-3f, 3e-3f, 3e-3f};
/* (model, budget multiple) rows: the Transformer at one budget, S4D (5x cheaper per step) at two */
static const struct { int model; int64_t mult; } ROWS[] = {{M_TR, 2}, {M_S4D, 2}, {M_S4D, 4}};
#define N_ROWS (int)(sizeof ROWS / sizeof ROWS[0])

int main(int argc, char **argv) {
    ls_cli cli;
    const char *tasks = "listops,text,image";
    int fresh, rc = arm_cli("spt_budget", "The spt_budget table: a fixed step budget split between SPT and fine-tuning.", argc, argv, &cli, &tasks, &fresh);
    if (rc) return rc - 1;
    const int prof = cli.profile;
    int want[LRA_N_TASKS];
    if (arm_parse_tasks("spt_budget", tasks, NULL, want)) return 2;
    double t_start = ls_now(), wall_sum = 0;
    const char *rh[] = {"task", "model", "budget", "budget_x", "spt_share", "pt_steps", "ft_steps", "lm_val_loss", "unigram_entropy", "val", "test", "wall_s", "threads", "seed", "hash"};
    const char *ch[] = {"task", "model", "budget", "budget_x", "spt_share", "phase", "step", "total_step", "val_loss", "val_metric"};
    rp_table raw, curves; rp_table_init(&raw, "runs", 15, rh, RP_CSV); rp_table_init(&curves, "curves", 10, ch, RP_CSV);
    const char *head[LRA_N_TASKS + 1] = {"model, budget, SPT share"}; int cols[LRA_N_TASKS], nc = 0;
    for (int k = 0; k < LRA_N_TASKS; k++) if (want[k]) { cols[nc] = k; head[++nc] = COLUMN[k]; }
    rp_table acc_t, pay_t;
    rp_table_init(&acc_t, "Fixed step budget split between SPT and fine-tuning: test accuracy (%); in brackets the pretraining's held-out loss − unigram entropy (nats; < 0: it learned more than token frequencies)", nc + 1, head, RP_MD | RP_TEX);
    rp_table_init(&pay_t, "Does SPT pay at this budget? Best SPT share minus scratch (points)", nc + 1, head, RP_MD | RP_TEX);
    static char cell[N_ROWS][N_SHARE][LRA_N_TASKS][96], pay[N_ROWS][LRA_N_TASKS][96];
    char budgets[N_ROWS][96]; memset(budgets, 0, sizeof budgets);
    for (int j = 0; j < nc; j++) {
        int task = cols[j];
        lra_task t; char key[256];
        int lrc = arm_load("spt_budget", &t, task, prof, key, sizeof key);
        if (lrc < 0) return 1;
        if (lrc > 0) { for (int r = 0; r < N_ROWS; r++) { snprintf(pay[r][task], 96, "not run: no data"); for (int s = 0; s < N_SHARE; s++) snprintf(cell[r][s][task], 96, "not run: no data"); } continue; }
        ls_dataset tr = arm_split(&t.train, 0, 0), va = arm_split(&t.val, 0, 0), te = arm_split(&t.test, TEST_MAX[prof], 0);
        ls_dataset ptr = arm_split(&t.train, 0, 1), pva = arm_split(&t.val, 0, 1);
        double mode, H; arm_unigram(&ptr, &mode, &H);
        for (int r = 0; r < N_ROWS; r++) {
            int m = ROWS[r].model;
            const plan p = arm_plan(prof, task, ROWS[r].mult);
            { size_t n = strlen(budgets[r]); snprintf(budgets[r] + n, sizeof budgets[r] - n, "%s%s %lld", n ? ", " : "", lra_task_name(task), (long long)p.steps); }
            double acc0 = 0, best_spt = -1; int best_share = 0;
            for (int s = 0; s < N_SHARE; s++) {
                plan pp = p, pf = p;
                pp.steps = pp.pt_steps = p.steps * SHARE[s] / 100; pf.steps = p.steps - pp.steps;
                char lab[128]; snprintf(lab, sizeof lab, "%s %s budget %lld SPT %d%%", lra_task_name(task), MODEL[m], (long long)p.steps, SHARE[s]);
                arm_spec a = {"spt_budget", ARM_RUNS, lab, key, arm_model(&t, &pf, m, 0, 0), arm_model(&t, &pp, m, 0, 1),
                              arm_train(&t, &pf, prof, LS_OBJ_CLASSIFY, LR[m], cli.seed, cli.quiet), arm_train(&t, &pp, prof, LS_OBJ_MLM, LR[m], cli.seed, cli.quiet),
                              &tr, &va, &te, &ptr, &pva, SHARE[s] > 0, fresh};
                arm_out o;
                if (arm_run(&a, &o)) return 1;
                double acc = 100 * o.ft.test, w = o.ft.wall_s + o.pt.wall_s;
                wall_sum += w;
                if (s == 0) { acc0 = acc; snprintf(cell[r][s][task], 96, "%.1f", acc); }
                else {
                    snprintf(cell[r][s][task], 96, "%.1f (%+.2f)", acc, o.pt.val_loss - H);
                    if (acc > best_spt) { best_spt = acc; best_share = SHARE[s]; }
                }
                rp_table_rowf(&raw, "%s\t%s\t%lld\t%lld\t%d\t%lld\t%lld\t%.4f\t%.4f\t%.4f\t%.4f\t%.1f\t%d\t%llu\t%016llx", lra_task_name(task), MODEL[m],
                              (long long)p.steps, (long long)ROWS[r].mult, SHARE[s], (long long)o.pt.steps, (long long)o.ft.steps, s ? o.pt.val_loss : -1.0, H,
                              o.ft.val, o.ft.test, w, o.ft.threads, (unsigned long long)cli.seed, (unsigned long long)o.ft.hash);
                for (int ph = s ? 0 : 1; ph < 2; ph++) {   /* the learning curves of both phases, on one step axis */
                    arm_point pts[256];
                    int np = arm_curve(ph ? o.ft.hash : o.pt.hash, pts, 256);
                    for (int i = 0; i < np; i++)
                        rp_table_rowf(&curves, "%s\t%s\t%lld\t%lld\t%d\t%s\t%lld\t%lld\t%.4f\t%.4f", lra_task_name(task), MODEL[m], (long long)p.steps,
                                      (long long)ROWS[r].mult, SHARE[s], ph ? "finetune" : "pretrain", pts[i].step,
                                      pts[i].step + (ph ? o.pt.steps : 0), pts[i].val_loss, pts[i].val_metric);
                }
            }
            snprintf(pay[r][task], 96, "%+.1f at %d%%", best_spt - acc0, best_share);
        }
        lra_task_free(&t);
    }
    for (int r = 0; r < N_ROWS; r++) {
        for (int s = 0; s < N_SHARE; s++) {
            const char *cp[LRA_N_TASKS + 1]; char lab[96];
            snprintf(lab, sizeof lab, "%s, %lldx cap, %s", MODEL[ROWS[r].model], (long long)ROWS[r].mult, s ? "" : "scratch");
            if (s) snprintf(lab + strlen(lab), sizeof lab - strlen(lab), "SPT %d%%", SHARE[s]);
            cp[0] = lab;
            for (int j = 0; j < nc; j++) cp[j + 1] = cell[r][s][cols[j]];
            rp_table_row(&acc_t, cp);
        }
        const char *cp[LRA_N_TASKS + 1]; char lab[400];
        snprintf(lab, sizeof lab, "%s, %lldx cap (%s)", MODEL[ROWS[r].model], (long long)ROWS[r].mult, budgets[r]);
        cp[0] = lab;
        for (int j = 0; j < nc; j++) cp[j + 1] = pay[r][cols[j]];
        rp_table_row(&pay_t, cp);
    }
    char seeds[32], wall[32], extra_c[640], caps[96];
    arm_seeds(seeds, sizeof seeds, cli.seed, 1);
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    snprintf(caps, sizeof caps, "budget = 2x or 4x the lra cap (below)");
    const plan *p0 = &PLAN[prof][LRA_LISTOPS];
    char sz[128]; arm_sizes(sz, sizeof sz, p0);
    snprintf(extra_c, sizeof extra_c, "%s, bidirectional, masked SPT; batch %lld; LR Transformer %g, S4D %g (every phase and arm); each phase validates every quarter of its steps on %lld examples with patience 2; test on the first %lld; summed run time %s",
             sz, (long long)p0->batch, LR[M_TR], LR[M_S4D], (long long)EVAL_MAX[prof], (long long)TEST_MAX[prof], wall);
    rp_caption(&acc_t, prof, seeds, ls_get_threads(), caps, ls_now() - t_start, extra_c);
    strcpy(pay_t.caption, acc_t.caption);
    rp_table_note(&acc_t, "Budget B (total steps, a cap) split SPT share x B pretraining + the rest fine-tuning; share 0 trains from scratch. Each phase stops early when validation stops improving.");
    rp_anchor(&acc_t, "a modest SPT share of a fixed budget (Text 30 epochs, Image 150)", "matches or beats training from scratch", "Amos, Berant & Gupta 2024, Table 8");
    rp_table_note(&pay_t, "One seed: differences of a few points are within the seed spread the lra and ssm_init tables measure.");
    char err[LS_ERRLEN];
    rp_table *tabs[2] = {&acc_t, &pay_t}, *csvs[1] = {&raw}, *cv[1] = {&curves};
    if (rp_write(cli.out, "spt_budget", tabs, 2, err) || rp_write(cli.out, "spt_budget", csvs, 1, err) || rp_write(cli.out, "spt_budget_curves", cv, 1, err)) {
        fprintf(stderr, "spt_budget: %s\n", err); return 1;
    }
    printf("spt_budget: wrote %s/spt_budget.{md,tex,csv} and spt_budget_curves.csv (%s profile, %.0f s)\n", cli.out, ls_profile_name(prof), ls_now() - t_start);
    rp_table_free(&acc_t); rp_table_free(&pay_t); rp_table_free(&raw); rp_table_free(&curves);
    return 0;
}
