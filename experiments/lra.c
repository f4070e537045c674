/* experiments/lra.c - the `lra` table: six LRA-CPU tasks x {Transformer, S4D, LRU} x {scratch, + SPT}.

     lra [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR] [--tasks a,b] [--fresh] [--plan]

   Protocol (Amos, Berant & Gupta 2024 §2-3 and App. C): the scratch arm and the
   fine-tuning phase of the SPT arm train under the same step cap and the same early stopping
   (validation every cap/4 steps, stop after `patience` validations without improvement); test accuracy
   is taken at the best validation checkpoint. The SPT arm first pretrains on the same training split
   (masked LM with the task's masking ratio and mask token for the bidirectional Transformer and S4D,
   causal LM for the causal LRU), keeps its best-validation parameters, and fine-tunes from them with
   the LM head dropped and a fresh classifier. Every arm gets the same LR grid, chosen on validation
   (mean over seeds), and the same seeds. Rows are cached under results/lra/ (report.h). */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

enum { A_SCRATCH, A_SPT, N_ARMS };
#define MAX_SEEDS 4
#define MAX_LR 3
static const int N_SEEDS[3] = {1, 2, 3}, N_LR[3] = {1, 2, 3};
static const float LR[3][MAX_LR] = {{2e-3f}, {1e-3f, 3e-3f}, {1e-3f, 5e-4f, 1e-4f}};
static const double PATHX_TR_LIMIT_S[3] = {10, 600, 1e30}; /* run the Transformer on Path-X only below this */

typedef struct cell { int ran, cost_x; double mean, sd, gain, gain_sd, pt_val, pt_excess; int64_t steps, pt_steps; double wall; char why[128]; } cell;

/* the lra table's models: the causal LRU, the bidirectional Transformer and S4D */
static ls_config model_cfg(const lra_task *t, const plan *p, int model, int lm) { return arm_model(t, p, model, model == M_LRU, lm); }

int main(int argc, char **argv) {
    ls_cli cli; memset(&cli, 0, sizeof cli);
    cli.out = "paper/tables";
    const char *tasks = "listops,text,retrieval,image,pathfinder,pathx";
    int fresh = 0, plan_only = 0;
    ls_flag extra[] = {{"tasks", LS_FLAG_STR, &tasks, "comma-separated subset of listops,text,retrieval,image,pathfinder,pathx"},
                       {"fresh", LS_FLAG_BOOL, &fresh, "ignore cached rows in results/lra/ and retrain them"},
                       {"plan", LS_FLAG_BOOL, &plan_only, "time two training steps of every model per task, print the projected wall time, exit"}};
    char err[LS_ERRLEN];
    int rc = ls_cli_parse(&cli, argc, argv, extra, 3, "The lra table: LRA-CPU x {Transformer, S4D, LRU} x {scratch, +SPT}.", err);
    if (rc) { if (rc < 0) fprintf(stderr, "lra: %s\n", err); return rc < 0 ? 2 : 0; }
    const int prof = cli.profile, nseed = N_SEEDS[prof], nlr = N_LR[prof];
    arm_steps = cli.steps;   /* --steps N: every task's cap */
    int want[LRA_N_TASKS];
    if (arm_parse_tasks("lra", tasks, NULL, want)) return 2;
    double t_start = ls_now(), plan_total = 0, wall_sum = 0;
    cell C[N_MODELS][N_ARMS][LRA_N_TASKS]; memset(C, 0, sizeof C);
    double pt_base[LRA_N_TASKS] = {0}, pt_H[LRA_N_TASKS] = {0};
    const char *rh[] = {"task", "model", "arm", "phase", "lr", "seed", "val", "test", "steps", "best_step", "wall_s", "threads", "selected", "hash"};
    rp_table raw; rp_table_init(&raw, "lra runs", 14, rh, RP_CSV);
    for (int task = 0; task < LRA_N_TASKS; task++) {
        if (!want[task]) continue;
        const char *tn = lra_task_name(task);
        lra_task t;
        char key[256];
        int lr_ = arm_load("lra", &t, task, prof, key, sizeof key);
        if (lr_ < 0) return 1;
        if (lr_ > 0) {
            for (int m = 0; m < N_MODELS; m++) for (int a = 0; a < N_ARMS; a++) snprintf(C[m][a][task].why, 128, "not run: no data (make data)");
            continue;
        }
        const plan pl = arm_plan(prof, task, 1), *p = &pl;
        ls_dataset tr = arm_split(&t.train, 0, 0), va = arm_split(&t.val, 0, 0), te = arm_split(&t.test, TEST_MAX[prof], 0);
        ls_dataset ptr = arm_split(&t.train, 0, 1), pva = arm_split(&t.val, 0, 1);
        /* trivial predictors of the LM objective: the commonest token (accuracy), the token frequencies (loss) */
        arm_unigram(&ptr, &pt_base[task], &pt_H[task]);
        for (int m = 0; m < N_MODELS; m++) {
            ls_config cc = model_cfg(&t, p, m, 0), cl = model_cfg(&t, p, m, 1);
            int obj_pt = m == M_LRU ? LS_OBJ_CLM : LS_OBJ_MLM;
            double runs = nseed * (2.0 * nlr + 1.0) * (double)p->steps;
            if (plan_only || (m == M_TR && task == LRA_PATHX)) {
                rp_run sr = {"lra", "step time", cc, arm_train(&t, p, prof, LS_OBJ_CLASSIFY, 0, 0, 1), key, 0, 0, 0};
                char sp[700]; rp_path(sp, sizeof sp, "lra", rp_run_hash(&sr), ".step");
                double st = 0; FILE *f = fopen(sp, "r");
                if (!f || fscanf(f, "%lf", &st) != 1 || fresh) {
                    st = arm_step_time("lra", &t, &cc, p->batch);
                    rp_mkdirs("results/lra"); FILE *g = fopen(sp, "w"); if (g) { fprintf(g, "%.6f\n", st); fclose(g); }
                }
                if (f) fclose(f);
                double stl = plan_only ? arm_step_time("lra", &t, &cl, p->batch) : st;
                double proj = nseed * (double)p->steps * (2.0 * nlr * st + stl) * 1.25;   /* +25%: validation and test passes */
                char a[32], b[32]; rp_fmt_secs(proj, a, sizeof a); rp_fmt_secs(st * runs, b, sizeof b);
                if (plan_only) { printf("%-10s %-11s  %.0f ms/step (LM head %.0f ms)  cap %lld  projected %s\n", tn, MODEL[m], 1e3 * st, 1e3 * stl, (long long)p->steps, a); plan_total += proj; continue; }
                if (st * runs > PATHX_TR_LIMIT_S[prof]) {
                    double sc = st * nseed * nlr * (double)p->steps, sp2 = st * nseed * (nlr + 1.0) * (double)p->steps;
                    rp_fmt_secs(sc, a, sizeof a); rp_fmt_secs(sp2, b, sizeof b);
                    snprintf(C[m][A_SCRATCH][task].why, 128, "✗ (cost: %.2f s/step, %s projected)", st, a);
                    snprintf(C[m][A_SPT][task].why, 128, "✗ (cost: %.2f s/step, %s projected)", st, b);
                    C[m][A_SCRATCH][task].cost_x = C[m][A_SPT][task].cost_x = 1;
                    rp_fmt_secs(st * runs, a, sizeof a);
                    fprintf(stderr, "lra: pathx Transformer not run: %.2f s/step x %.0f steps = %s projected\n", st, runs, a);
                    continue;
                }
            }
            /* results[arm][lr][seed]; the SPT arm pretrains once per seed at the largest LR of the grid */
            rp_result R[N_ARMS][MAX_LR][MAX_SEEDS], PT[MAX_SEEDS];
            float lr_pt = 0; for (int l = 0; l < nlr; l++) if (LR[prof][l] > lr_pt) lr_pt = LR[prof][l];
            for (int s = 0; s < nseed; s++) {
                uint64_t seed = cli.seed + (uint64_t)s;
                char lab[96]; snprintf(lab, sizeof lab, "%s %s SPT seed %llu", tn, MODEL[m], (unsigned long long)seed);
                rp_run pr = {"lra", lab, cl, arm_train(&t, p, prof, obj_pt, lr_pt, seed, cli.quiet), key, 0, 1, fresh};
                if (rp_run_train(&pr, &ptr, &pva, NULL, &PT[s], err)) { fprintf(stderr, "lra: %s: %s\n", lab, err); return 1; }
                for (int a = 0; a < N_ARMS; a++)
                    for (int l = 0; l < nlr; l++) {
                        snprintf(lab, sizeof lab, "%s %s%s lr %g seed %llu", tn, MODEL[m], a ? "+SPT" : "", LR[prof][l], (unsigned long long)seed);
                        rp_run r = {"lra", lab, cc, arm_train(&t, p, prof, LS_OBJ_CLASSIFY, LR[prof][l], seed, cli.quiet), key,
                                    a ? PT[s].hash : 0, 0, fresh};
                        if (rp_run_train(&r, &tr, &va, &te, &R[a][l][s], err)) { fprintf(stderr, "lra: %s: %s\n", lab, err); return 1; }
                    }
            }
            int pick[N_ARMS];
            for (int a = 0; a < N_ARMS; a++) {
                double bestv = -1, x[MAX_SEEDS], sd;
                for (int l = 0; l < nlr; l++) {
                    for (int s = 0; s < nseed; s++) x[s] = R[a][l][s].val;
                    double v = arm_mean_sd(x, nseed, &sd);
                    if (v > bestv) { bestv = v; pick[a] = l; }
                }
                cell *c = &C[m][a][task];
                c->ran = 1;
                for (int s = 0; s < nseed; s++) { x[s] = 100 * R[a][pick[a]][s].test; c->steps += R[a][pick[a]][s].steps / nseed; }
                c->mean = arm_mean_sd(x, nseed, &c->sd);
                for (int l = 0; l < nlr; l++) for (int s = 0; s < nseed; s++) c->wall += R[a][l][s].wall_s;
                if (a == A_SPT) {
                    for (int s = 0; s < nseed; s++) { c->wall += PT[s].wall_s; c->pt_steps += PT[s].steps / nseed; x[s] = 100 * PT[s].val; }
                    c->pt_val = arm_mean_sd(x, nseed, &sd);
                    for (int s = 0; s < nseed; s++) x[s] = PT[s].val_loss - pt_H[task];
                    c->pt_excess = arm_mean_sd(x, nseed, &sd);
                    for (int s = 0; s < nseed; s++) x[s] = 100 * (R[A_SPT][pick[A_SPT]][s].test - R[A_SCRATCH][pick[A_SCRATCH]][s].test);
                    c->gain = arm_mean_sd(x, nseed, &c->gain_sd);
                }
                wall_sum += c->wall;
            }
            for (int a = -1; a < N_ARMS; a++)   /* every run, for the CSV: a = -1 is the pretraining */
                for (int l = 0; l < (a < 0 ? 1 : nlr); l++)
                    for (int s = 0; s < nseed; s++) {
                        const rp_result *q = a < 0 ? &PT[s] : &R[a][l][s];
                        rp_table_rowf(&raw, "%s\t%s\t%s\t%s\t%g\t%llu\t%.4f\t%.4f\t%lld\t%lld\t%.1f\t%d\t%d\t%016llx", tn, MODEL[m],
                                      a == A_SCRATCH ? "scratch" : "spt", a < 0 ? (m == M_LRU ? "pretrain-clm" : "pretrain-mlm") : a ? "finetune" : "train",
                                      a < 0 ? lr_pt : LR[prof][l], (unsigned long long)q->seed, q->val, q->test, (long long)q->steps,
                                      (long long)q->best_step, q->wall_s, q->threads, a < 0 || l == pick[a], (unsigned long long)q->hash);
                    }
        }
        lra_task_free(&t);
    }
    if (plan_only) { char a[32]; rp_fmt_secs(plan_total, a, sizeof a); printf("projected total (%s profile): %s\n", ls_profile_name(prof), a); return 0; }

    /* the main table, the SPT gains, the cost per arm */
    const char *head[9] = {"model"}; for (int k = 0; k < 6; k++) head[k + 1] = COLUMN[k];
    head[7] = "Avg (5, no Path-X)"; head[8] = "Avg (6, ✗ = 50)";
    rp_table main_t, gain_t, cost_t;
    rp_table_init(&main_t, "LRA-CPU: test accuracy (%) at the best validation checkpoint, mean ± sd over seeds", 9, head, RP_MD | RP_TEX);
    rp_table_init(&gain_t, "SPT gain in test accuracy points (SPT − scratch, paired by seed), and how well the pretraining learned (held-out LM accuracy and loss against trivial predictors)", 7, head, RP_MD | RP_TEX);
    rp_table_init(&cost_t, "Steps used (mean per run at the chosen LR; SPT: pretrain + fine-tune) and wall time of every run of the arm", 7, head, RP_MD | RP_TEX);
    for (int m = 0; m < N_MODELS; m++)
        for (int a = 0; a < N_ARMS; a++) {
            char v[9][128], g[7][128], w[7][128];
            snprintf(v[0], 128, "%s%s", MODEL[m], a ? " + SPT" : ""); strcpy(w[0], v[0]);
            snprintf(g[0], 128, a ? "%s: gain" : "%s: LM acc (mode), loss − H", MODEL[m]);
            double s5 = 0, s6 = 0; int n5 = 0, n6 = 0;
            for (int k = 0; k < 6; k++) {
                const cell *c = &C[m][a][k];
                if (!c->ran) { snprintf(v[k + 1], 128, "%s", c->why[0] ? c->why : "—"); strcpy(w[k + 1], v[k + 1]); strcpy(g[k + 1], v[k + 1]); }
                else {
                    snprintf(v[k + 1], 128, "%.1f ± %.1f", c->mean, c->sd);
                    char ws[32]; rp_fmt_secs(c->wall, ws, sizeof ws);
                    if (a) snprintf(w[k + 1], 128, "%lld + %lld, %s", (long long)c->pt_steps, (long long)c->steps, ws);
                    else snprintf(w[k + 1], 128, "%lld, %s", (long long)c->steps, ws);
                    if (a) snprintf(g[k + 1], 128, "%+.1f ± %.1f", c->gain, c->gain_sd);
                    else snprintf(g[k + 1], 128, "%.1f (%.1f), %+.2f", C[m][A_SPT][k].pt_val, 100 * pt_base[k], C[m][A_SPT][k].pt_excess);
                }
                double x = c->ran ? c->mean : c->cost_x ? 50.0 : -1;   /* ✗ counts as chance, 50 */
                if (x >= 0 && k < 5) { s5 += x; n5++; }
                if (x >= 0) { s6 += x; n6++; }
            }
            if (n5 == 5) snprintf(v[7], 128, "%.1f", s5 / 5); else if (n5) snprintf(v[7], 128, "%.1f (over %d)", s5 / n5, n5); else strcpy(v[7], "—");
            if (n6 == 6) snprintf(v[8], 128, "%.1f", s6 / 6); else if (n6) snprintf(v[8], 128, "%.1f (over %d)", s6 / n6, n6); else strcpy(v[8], "—");
            const char *vp[9]; for (int k = 0; k < 9; k++) vp[k] = v[k];
            rp_table_row(&main_t, vp);
            for (int k = 0; k < 7; k++) vp[k] = g[k];
            rp_table_row(&gain_t, vp);
            for (int k = 0; k < 7; k++) vp[k] = w[k];
            rp_table_row(&cost_t, vp);
        }
    const char *pub[3][9] = {{"published: Transformer, LRA Table 1 [C]", "36.37", "64.27", "57.46", "42.44", "71.40", "✗", "54.39", "53.66"},
                             {"published: S4 (updated), S4 Table 4/10 [C]", "59.60", "86.82", "90.90", "88.65", "94.20", "96.35", "—", "86.09"},
                             {"published: LRU, LRU Table 3 [C] (Image: colour sCIFAR)", "60.2", "89.4", "89.9", "89.0", "95.1", "94.2", "—", "—"}};
    for (int k = 0; k < 3; k++) rp_table_row(&main_t, pub[k]);
    char steps[256] = "", seeds[64] = "", sizes[512];
    for (int k = 0; k < 6; k++) { size_t n = strlen(steps); snprintf(steps + n, sizeof steps - n, "%s%s %lld", k ? ", " : "cap ", lra_task_name(k), (long long)arm_plan(prof, k, 1).steps); }
    for (int s = 0; s < nseed; s++) { size_t n = strlen(seeds); snprintf(seeds + n, sizeof seeds - n, "%s%llu", s ? "," : "", (unsigned long long)(cli.seed + (uint64_t)s)); }
    const plan *p0 = &PLAN[prof][LRA_LISTOPS];
    char grid[64] = ""; float lr_pt = 0;
    for (int l = 0; l < nlr; l++) { size_t n = strlen(grid); snprintf(grid + n, sizeof grid - n, "%s%g", l ? ", " : "", LR[prof][l]); if (LR[prof][l] > lr_pt) lr_pt = LR[prof][l]; }
    char sz[128]; arm_sizes(sz, sizeof sz, p0);
    snprintf(sizes, sizeof sizes, "%s, pre-LN, Transformer with rotary positions; batch %lld (Retrieval %lld pairs, Path-X %lld); "
             "LR grid {%s} chosen on validation (%lld examples), test on the first %lld; patience 2 of 4 validations; SPT pretrains at LR %g",
             sz, (long long)p0->batch, (long long)PLAN[prof][LRA_RETRIEVAL].batch, (long long)PLAN[prof][LRA_PATHX].batch,
             grid, (long long)EVAL_MAX[prof], (long long)TEST_MAX[prof], lr_pt);
    if (prof == LS_PROFILE_PAPER) snprintf(sizes, sizeof sizes, "LRA Transformer sizes per task (LRA paper, App. A); batch 32 (Image 50)");
    char wall[32]; rp_fmt_secs(wall_sum, wall, sizeof wall);
    char extra_c[700]; snprintf(extra_c, sizeof extra_c, "%s; summed run time %s", sizes, wall);
    rp_caption(&main_t, prof, seeds, ls_get_threads(), steps, ls_now() - t_start, extra_c);
    strcpy(gain_t.caption, main_t.caption); strcpy(cost_t.caption, main_t.caption);
    rp_table_note(&main_t, "SPT: masked LM (Transformer, S4D: bidirectional) with the task's masking ratio (ListOps 10%%, Text/Retrieval 15%%, visual 50%%) or causal LM (LRU), on the training split only; fine-tuned from the best-validation LM checkpoint, LM head dropped.");
    rp_table_note(&main_t, "Avg (6) counts ✗ as 50 (chance), the S4 paper's convention; LRA's own average leaves Path-X out (Avg 5).");
    rp_anchor(&main_t, "Rotary Transformer + masked SPT vs S4, 6-task average (Never Train from Scratch, Table 2)", "86.2 vs 86.1", "Amos, Berant & Gupta 2024, §3.2");
    rp_anchor(&main_t, "SPT gain per task for the Transformer", "8–15 points", "Amos, Berant & Gupta 2024, §3.2");
    rp_anchor(&main_t, "SPT helps S4 on", "5 of 6 tasks", "Amos, Berant & Gupta 2024, §3.2");
    rp_table_note(&gain_t, "LM acc: held-out accuracy of the pretraining objective on masked (or next) tokens; in brackets the accuracy of always predicting the commonest token. loss − H: its held-out cross-entropy minus the entropy of the training split's token frequencies, in nats (< 0: the LM learned more than token frequencies).");
    rp_table *tabs[4] = {&main_t, &gain_t, &cost_t, &raw};
    if (rp_write(cli.out, "lra", tabs, 4, err)) { fprintf(stderr, "lra: %s\n", err); return 1; }
    printf("lra: wrote %s/lra.{md,tex,csv} (%s profile, %.0f s)\n", cli.out, ls_profile_name(prof), ls_now() - t_start);
    rp_table_free(&main_t); rp_table_free(&gain_t); rp_table_free(&cost_t); rp_table_free(&raw);
    return 0;
}
