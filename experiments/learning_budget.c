/* experiments/learning_budget.c - the `learning_budget` table: how many steps, and how many seconds
   on the machine it runs on, each model needs to learn each LRA-CPU task, from scratch and as a
   language model.

     learning_budget [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR]
                     [--tasks a,b] [--fresh] [--no-timing]

   One long run per (task, model, objective), at the lra plan's sizes, with no early stopping: the
   step cap is a ceiling per task (CEIL below), the schedule the report's (warm-up over 10 %, cosine
   to the ceiling), validation every 5 % of the ceiling on the report's validation examples. The
   models: the Transformer with sinusoidal and with rotary (RoPE) positions, bidirectional S4D and
   causal LRU, as in the lra table. The objectives: classification from scratch, and the report's
   self-pretraining objective (masked LM for the Transformer and S4D, causal LM for the LRU) on the
   training split.

   From each learning curve (results/<profile>/runs/<hash>.csv) it prints:
   - the plateau: the best value of the curve smoothed over 3 consecutive validations (the mean of
     each validation and the two before it, so a point only uses what was known at its step);
   - the first step (and the wall time then) at which the smoothed curve is within 1 point of the
     plateau (0.02 nats for a loss); "not flat" when that step lies in the last 20 % of the ceiling;
   - for pretraining: the held-out loss minus the unigram entropy H of the training split, and the
     first step at which the held-out loss is 0.1 nats below H.
   Seconds are measured at 1 thread (the runs); the 2-thread column projects them with the ratio of
   2-thread to 1-thread step times measured by this program on a quiet machine (the step-time table;
   --no-timing skips it, e.g. while another process uses the other core). Results are bit-identical
   across thread counts, so the steps are the same at any thread count.

   The position scheme of the report's Transformer arms is chosen by a rule fixed before any SPT
   result was seen (POS_RULE below), and printed with the table. */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

enum { OBJ_SCRATCH, OBJ_LM, N_OBJ };
enum { V_TR_SIN, V_TR_ROPE, V_S4D, V_LRU, N_VAR };
typedef struct variant { const char *name; int model, pos, causal; float lr; } variant;
/* one learning rate per model, the one the side tables use (arms.h); the SSM's own parameters at
   1e-3 */
static const variant VAR[N_VAR] = {
    [V_TR_SIN] = {.name = "Transformer, sinusoidal", .model = M_TR, .pos = LS_POS_SINUSOIDAL,
                  .causal = 0, .lr = 1e-3f},
    [V_TR_ROPE] = {.name = "Transformer, RoPE", .model = M_TR, .pos = LS_POS_ROPE, .causal = 0,
                   .lr = 1e-3f},
    [V_S4D] = {.name = "S4D", .model = M_S4D, .pos = LS_POS_NONE, .causal = 0, .lr = 3e-3f},
    [V_LRU] = {.name = "LRU", .model = M_LRU, .pos = LS_POS_NONE, .causal = 1, .lr = 3e-3f},
};
/* ceilings (steps) per profile and task, for attention and for the SSMs; 0 = not run. cpu: sized
   from lra --plan's step times to take about 1.5 hours on 2 cores as two 1-thread processes (the
   cost table, `build/cost`, gives what it took and on which machine) */
static const int64_t CEIL[3][LRA_N_TASKS][2] = {
    {{24, 24}, {16, 16}, {16, 16}, {16, 16}, {16, 16}, {0, 8}},
    {{1000, 1200}, {800, 1200}, {800, 1200}, {800, 1200}, {800, 1200}, {0, 160}},
    {{5000, 5000}, {20000, 20000}, {20000, 20000}, {50000, 50000}, {50000, 50000}, {0, 50000}}};
#define N_EVAL 20          /* validations per run */
#define LEARN_MARGIN 5.0   /* points above the majority class that count as learning (>= 2 sd of
                              a 200-example mean) */
#define MAXPTS 64
#define POS_RULE "the position scheme of the report's Transformer arms (scratch and SPT alike) " \
                 "is the one whose masked-LM pretraining learns (held-out loss >= 0.1 nats "    \
                 "below H) on at least 3 of the 5 tasks; if both or neither do, the one with "  \
                 "the higher mean from-scratch validation plateau over the 5 tasks"

typedef struct run_stats {
    int ran;
    double plateau, test, H, mode, lm_acc;   /* plateau: accuracy (%) or loss (nats) */
    double chance;                           /* majority-class validation accuracy (%) */
    int learned;                             /* scratch: plateau >= chance + LEARN_MARGIN points */
    /* below_step: loss <= H - 0.1 first (-1: never) */
    long long ceil, steps, plat_step, below_step;
    double plat_wall, wall;   /* measured wall time of the run at its plateau step, and in all */
    /* seconds per training step and per validation at 1 and 2 threads (0: not measured) */
    double st1, st2, ev1, ev2;
    int flat;
    arm_point pts[MAXPTS]; int np;
} run_stats;
static run_stats R[LRA_N_TASKS][N_VAR][N_OBJ];

static void analyse(run_stats *s, int lm) {
    arm_plateau_t q = arm_plateau(s->pts, s->np, lm, s->ceil, s->H);
    s->plateau = q.value; s->plat_step = q.step; s->flat = q.flat; s->below_step = q.below_step;
    s->plat_wall = q.step >= 0 ? q.wall_s : -1;
}

static ls_config model_of(const lra_task *t, const plan *p, int v, int lm) {
    ls_config c = arm_model(t, p, VAR[v].model, VAR[v].causal, lm);
    if (VAR[v].model == M_TR) c.pos = VAR[v].pos;
    return c;
}

/* seconds per training step and per validation pass at 1 and 2 threads, measured on the task's data
   (the fastest of training steps 2-3, step 1 grows the arena; one validation pass over eval_max
   examples), cached in results/learning_budget/<hash>.row.
   v = {step 1t, step 2t, eval 1t, eval 2t}. */
static int timings(const lra_task *t, const ls_config *c, const ls_train_cfg *tc,
                   const ls_dataset *val, double *v) {
    char err[LS_ERRLEN];
    uint64_t h = rp_hash(rp_hash(rp_hash_begin(), c, sizeof *c), &tc->batch, sizeof tc->batch);
    h = rp_hash(rp_hash(h, &tc->eval_max, sizeof tc->eval_max), t->name, strlen(t->name) + 1);
    int rc = rp_row_get("learning_budget", h, v, 4, err);
    if (rc < 0) { fprintf(stderr, "learning_budget: %s\n", err); return -1; }
    if (rc == 1) return 0;
    int th = ls_get_threads();
    for (int k = 0; k < 2; k++) {
        ls_set_threads(k + 1);
        v[k] = arm_step_time("learning_budget", t, c, tc->batch);
        ls_model m;
        if (ls_model_init(&m, c, 1, err)) {
            fprintf(stderr, "learning_budget: %s\n", err);
            return -1;
        }
        double t0 = ls_now();
        ls_evaluate(&m, tc, val, tc->eval_max, NULL);
        v[2 + k] = ls_now() - t0;
        ls_model_free(&m);
    }
    ls_set_threads(th);
    if (rp_row_put("learning_budget", h, v, 4, err)) {
        fprintf(stderr, "learning_budget: %s\n", err);
        return -1;
    }
    return 0;
}

/* seconds a run needs to reach step s on a quiet machine at 1 or 2 threads: s training steps and
   the validations up to s, from the measured times (-1 when not measured) */
static double quiet_secs(const run_stats *r, long long s, int two) {
    double st = two ? r->st2 : r->st1, ev = two ? r->ev2 : r->ev1;
    if (st <= 0 || s < 0) return -1;
    long long every = r->ceil / N_EVAL > 0 ? r->ceil / N_EVAL : 1;
    return (double)s * st + (double)(s / every) * ev;
}

/* trains (or reads back) every run of one task */
static int run_task(int task, int prof, const ls_cli *cli, int fresh, int timing, int *nrun,
                    int total) {
    lra_task t; char key[256], err[LS_ERRLEN];
    int rc = arm_load("learning_budget", &t, task, prof, key, sizeof key);
    if (rc) return rc < 0 ? -1 : 0;
    const plan *p = &PLAN[prof][task];
    ls_dataset tr = arm_split(&t.train, 0, 0), va = arm_split(&t.val, 0, 0),
               te = arm_split(&t.test, TEST_MAX[prof], 0);
    ls_dataset ptr = arm_split(&t.train, 0, 1), pva = arm_split(&t.val, 0, 1);
    double H, mode;
    arm_unigram(&ptr, &mode, &H);
    /* the majority class of the validation examples a run is scored on */
    int64_t nv = EVAL_MAX[prof] > 0 && EVAL_MAX[prof] < va.n ? EVAL_MAX[prof] : va.n;
    int64_t cnt[64] = {0}, top = 0;
    for (int64_t i = 0; i < nv; i++)
        if (va.label[i] >= 0 && va.label[i] < 64 && ++cnt[va.label[i]] > top)
            top = cnt[va.label[i]];
    double chance = nv ? 100.0 * (double)top / (double)nv : 0;
    for (int v = 0; v < N_VAR; v++)
        for (int o = 0; o < N_OBJ; o++) {
            int64_t ceil = CEIL[prof][task][VAR[v].model != M_TR];
            if (ceil && cli->steps > 0) ceil = cli->steps;   /* --steps N: every ceiling */
            if (!ceil) continue;
            run_stats *s = &R[task][v][o];
            plan q = *p; q.steps = q.pt_steps = ceil;
            int obj = o == OBJ_SCRATCH ? LS_OBJ_CLASSIFY : VAR[v].causal ? LS_OBJ_CLM : LS_OBJ_MLM;
            ls_train_cfg tc = arm_train(&t, &q, prof, obj, VAR[v].lr, cli->seed);
            tc.eval_every = ceil / N_EVAL > 0 ? ceil / N_EVAL : 1;
            tc.patience = 0;   /* the whole curve: no early stopping */
            char lab[160];
            snprintf(lab, sizeof lab, "[%d/%d] %s %s %s", ++*nrun, total, arm_task_name(task),
                     VAR[v].name,
                     o == OBJ_SCRATCH ? "scratch" : obj == LS_OBJ_MLM ? "masked LM" : "causal LM");
            rp_run r = {.table = ARM_RUNS, .label = lab,
                        .model = model_of(&t, &q, v, o == OBJ_LM), .train = tc, .data_key = key,
                        .init_hash = 0, .save_model = 0, .fresh = fresh,
                        .ckpt_every = tc.eval_every, .quiet = cli->quiet};
            rp_result res;
            if (rp_run_train(&r, o == OBJ_LM ? &ptr : &tr, o == OBJ_LM ? &pva : &va,
                             o == OBJ_LM ? NULL : &te, &res, err)) {
                fprintf(stderr, "learning_budget: %s: %s\n", lab, err);
                lra_task_free(&t);
                return -1;
            }
            s->ran = 1; s->ceil = ceil; s->steps = res.steps; s->wall = res.wall_s;
            s->test = 100 * res.test;
            s->H = H; s->mode = 100 * mode; s->lm_acc = 100 * res.val;
            s->np = arm_curve(res.hash, s->pts, MAXPTS);
            if (s->np <= 0) {
                fprintf(stderr, "learning_budget: %s: no learning curve in %s/runs/%016llx.csv\n",
                        lab, rp_root(), (unsigned long long)res.hash);
                lra_task_free(&t);
                return -1;
            }
            analyse(s, o == OBJ_LM);
            s->chance = chance;
            s->learned = o == OBJ_SCRATCH && s->plateau >= chance + LEARN_MARGIN;
            double tv[4];
            if (timing && timings(&t, &r.model, &r.train, o == OBJ_LM ? &pva : &va, tv)) {
                lra_task_free(&t);
                return -1;
            }
            if (timing) { s->st1 = tv[0]; s->st2 = tv[1]; s->ev1 = tv[2]; s->ev2 = tv[3]; }
        }
    lra_task_free(&t);
    return 0;
}

static void fmt_secs(double s, char *buf, size_t cap) {
    if (s < 0) snprintf(buf, cap, "—");
    else rp_fmt_secs(s, buf, cap);
}

/* the figures, pgfplots code with the coordinates inline, written atomically next to the tables;
   one panel per task, one line per model, against seconds (the quiet 1-thread projection when
   measured, else the run's wall time), log scale. lm = 0: validation accuracy of the from-scratch
   runs (learning_budget_fig.tex); lm = 1: held-out LM loss minus the unigram entropy H of the
   pretraining runs, with the 0 and -0.1 nats lines (learning_budget_lm_fig.tex) */
static int write_figure(const char *dir, const int *want, int prof, int lm, char *err) {
    static const char *const colour[N_VAR] = {"blue", "cyan!70!black", "red", "orange!90!black"};
    static const char *const mark[N_VAR] = {"*", "o", "square*", "triangle*"};
    const int o = lm ? OBJ_LM : OBJ_SCRATCH;
    char path[1024], tmp[1040], leg[16];
    snprintf(path, sizeof path, "%s/learning_budget%s_fig.tex", dir, lm ? "_lm" : "");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(leg, sizeof leg, "lbleg%s", lm ? "lm" : "");
    FILE *f = fopen(tmp, "w");
    if (!f) { rp__err(err, "%s: cannot create (%s)", tmp, strerror(errno)); return -1; }
    fprintf(f, "%% generated by experiments/learning_budget.c (%s profile); do not edit\n",
            ls_profile_name(prof));
    fprintf(f, "\\begin{tikzpicture}\n\\begin{groupplot}[group style={group size=3 by 2, "
               "horizontal sep=1.4cm, vertical sep=2.1cm},\n"
               "  width=0.33\\linewidth, height=0.3\\linewidth, xmode=log, "
               "xlabel={seconds (1 thread)}, ylabel={%s},\n"
               "  tick label style={font=\\scriptsize}, label style={font=\\scriptsize}, "
               "title style={font=\\small}]\n",
            lm ? "LM loss $-$ H (nats)" : "val.\\ acc.\\ (\\%)");
    int panel = 0;
    for (int k = 0; k < LRA_N_TASKS; k++) {
        if (!want[k]) continue;
        fprintf(f, "\\nextgroupplot[title={%s}%s", arm_column(k), lm ? ", ymax=0.5" : "");
        fprintf(f, panel == 0 ? ", legend to name=%s, legend columns=4]\n" : "]\n", leg);
        panel++;
        double x0 = 1e30, x1 = 0;
        for (int v = 0; v < N_VAR; v++) {
            const run_stats *r = &R[k][v][o];
            if (!r->ran) {
                if (panel == 1)
                    fprintf(f, "\\addlegendimage{%s, mark=%s}\\addlegendentry{%s}\n", colour[v],
                            mark[v], VAR[v].name);
                continue;
            }
            fprintf(f, "\\addplot[%s, mark=%s, mark size=1pt] coordinates {", colour[v], mark[v]);
            for (int i = 0; i < r->np; i++) {
                double x = r->st1 > 0 ? quiet_secs(r, r->pts[i].step, 0) : r->pts[i].wall_s;
                x = x > 0.01 ? x : 0.01;
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                fprintf(f, " (%.2f,%.4f)", x,
                        lm ? r->pts[i].val_loss - r->H : 100 * r->pts[i].val_metric);
            }
            fprintf(f, " };\n");
            if (panel == 1) fprintf(f, "\\addlegendentry{%s}\n", VAR[v].name);
        }
        if (lm && x1 > 0)
            fprintf(f, "\\addplot[black, thin, forget plot] coordinates {(%.2f,0) (%.2f,0)};\n"
                       "\\addplot[black, dotted, forget plot] coordinates "
                       "{(%.2f,-0.1) (%.2f,-0.1)};\n", x0, x1, x0, x1);
    }
    fprintf(f, "\\end{groupplot}\n\\end{tikzpicture}\n\n\\smallskip\\centerline{\\ref{%s}}\n", leg);
    if (fclose(f) || rename(tmp, path)) {
        rp__err(err, "%s: write failed (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    ls_cli cli;
    const char *tasks = "listops,text,retrieval,image,pathfinder,pathx";
    int fresh = 0, no_timing = 0;
    const ls_flag more[] = {{.name = "no-timing", .type = LS_FLAG_BOOL, .ptr = &no_timing,
                             .help = "skip the 1- and 2-thread step timings (for a busy machine)"}};
    int rc = arm_cli_ex("learning_budget", "The learning_budget table: steps and seconds each "
                        "model needs per LRA-CPU task.", argc, argv, &cli, &tasks, &fresh, more,
                        1, 0);
    if (rc) return rc - 1;
    const int prof = cli.profile;
    arm_steps = 0;   /* --steps N replaces the ceilings below, not the plan's caps */
    char err[LS_ERRLEN];
    int want[LRA_N_TASKS];
    if (arm_parse_tasks("learning_budget", tasks, NULL, want)) return 2;
    double t_start = ls_now();
    int total = 0, nrun = 0;
    for (int k = 0; k < LRA_N_TASKS; k++)
        for (int v = 0; v < N_VAR && want[k]; v++)
            total += CEIL[prof][k][VAR[v].model != M_TR] ? N_OBJ : 0;
    for (int k = 0; k < LRA_N_TASKS; k++)
        if (want[k] && run_task(k, prof, &cli, fresh, !no_timing, &nrun, total)) return 1;

    /* table 1: from scratch; table 2: pretraining; table 3: the position rule; raw CSV; curves
       CSV */
    const char *h1[] = {"task", "model", "ceiling", "val plateau % (chance)", "test %",
                        "steps to plateau", "seconds 1t / 2t", "flat", "run wall"};
    const char *h2[] = {"task", "model", "objective", "ceiling", "loss plateau (H)", "loss − H",
                        "LM acc % (mode)", "steps to plateau", "seconds 1t / 2t",
                        "H − 0.1 at step (1t)"};
    const char *h3[] = {"task", "sinusoidal: scratch val %", "RoPE: scratch val %",
                        "sinusoidal: loss − H", "RoPE: loss − H"};
    const char *h4[] = {"task", "model", "objective", "ceiling", "plateau", "test", "plateau_step",
                        "plateau_wall_s", "flat", "H", "below_step", "wall_s", "step_s_1t",
                        "step_s_2t", "eval_s_1t", "eval_s_2t", "chance", "learned"};
    const char *h5[] = {"task", "model", "objective", "step", "wall_s", "quiet_s_1t", "val_metric",
                        "val_loss"};
    rp_table t1, t2, t3, raw, curves;
    rp_table_init(&t1, "Learning budget from scratch: validation accuracy plateau, and the steps "
                  "and seconds to reach it", 9, h1, RP_MD | RP_TEX);
    rp_table_init(&t2, "Learning budget of self-pretraining: held-out LM loss against the unigram "
                  "entropy H", 10, h2, RP_MD | RP_TEX);
    rp_table_init(&t3, "Position scheme of the Transformer arms, chosen by the stated rule", 5, h3,
                  RP_MD | RP_TEX);
    rp_table_init(&raw, "learning_budget runs", 18, h4, RP_CSV);
    rp_table_init(&curves, "learning_budget curves", 8, h5, RP_CSV);
    double sum_scr[2] = {0}, n_scr[2] = {0}; int learns[2] = {0}, n_pos_tasks = 0;
    for (int k = 0; k < LRA_N_TASKS; k++) {
        if (!want[k]) continue;
        int any_pos = 0;
        for (int v = 0; v < N_VAR; v++)
            for (int o = 0; o < N_OBJ; o++) {
                const run_stats *s = &R[k][v][o];
                if (!s->ran) continue;
                const char *on = o == OBJ_SCRATCH ? "scratch"
                                 : VAR[v].causal ? "causal LM" : "masked LM";
                char a[32], b[32], c[32], d[32], bs[80];
                fmt_secs(quiet_secs(s, s->plat_step, 0), a, sizeof a);
                fmt_secs(quiet_secs(s, s->plat_step, 1), b, sizeof b);
                rp_fmt_secs(s->wall, c, sizeof c);
                if (o == OBJ_SCRATCH && !s->learned)
                    rp_table_rowf(&t1, "%s\t%s\t%lld\t%.1f (chance %.1f)\t%.1f\t—\t—\t"
                                  "at chance\t%s", arm_task_name(k), VAR[v].name, s->ceil,
                                  s->plateau, s->chance, s->test, c);
                else if (o == OBJ_SCRATCH)
                    rp_table_rowf(&t1, "%s\t%s\t%lld\t%.1f (chance %.1f)\t%.1f\t%lld\t"
                                  "%s / %s\t%s\t%s", arm_task_name(k), VAR[v].name, s->ceil,
                                  s->plateau, s->chance, s->test, s->plat_step, a, b,
                                  s->flat ? "yes" : "no", c);
                else {
                    fmt_secs(quiet_secs(s, s->below_step, 0), d, sizeof d);
                    if (s->below_step >= 0) snprintf(bs, sizeof bs, "%lld (%s)", s->below_step, d);
                    else snprintf(bs, sizeof bs, "never");
                    rp_table_rowf(&t2, "%s\t%s\t%s\t%lld\t%.3f (%.3f)\t%+.3f\t"
                                  "%.1f (%.1f)\t%lld\t%s / %s\t%s", arm_task_name(k), VAR[v].name,
                                  on, s->ceil, s->plateau, s->H, s->plateau - s->H, s->lm_acc,
                                  s->mode, s->plat_step, a, b, bs);
                }
                rp_table_rowf(&raw, "%s\t%s\t%s\t%lld\t%.4f\t%.2f\t%lld\t%.1f\t%d\t%.4f\t%lld\t"
                              "%.1f\t%.4f\t%.4f\t%.4f\t%.4f\t%.1f\t%d", arm_task_name(k),
                              VAR[v].name, on, s->ceil, s->plateau,
                              o == OBJ_SCRATCH ? s->test : NAN, s->plat_step, s->plat_wall, s->flat,
                              s->H, s->below_step, s->wall, s->st1, s->st2, s->ev1, s->ev2,
                              s->chance, s->learned);
                for (int i = 0; i < s->np; i++)
                    rp_table_rowf(&curves, "%s\t%s\t%s\t%lld\t%.2f\t%.2f\t%.4f\t%.4f",
                                  arm_task_name(k), VAR[v].name, on, s->pts[i].step,
                                  s->pts[i].wall_s, quiet_secs(s, s->pts[i].step, 0),
                                  s->pts[i].val_metric, s->pts[i].val_loss);
            }
        /* the position rule's inputs */
        for (int v = V_TR_SIN; v <= V_TR_ROPE; v++)
            any_pos |= R[k][v][OBJ_SCRATCH].ran && R[k][v][OBJ_LM].ran;
        if (!any_pos) continue;
        n_pos_tasks++;
        char cell[5][48];
        snprintf(cell[0], 48, "%s", arm_task_name(k));
        for (int v = V_TR_SIN; v <= V_TR_ROPE; v++) {
            const run_stats *sc = &R[k][v][OBJ_SCRATCH], *lm = &R[k][v][OBJ_LM];
            sum_scr[v] += sc->plateau; n_scr[v]++;
            learns[v] += lm->plateau <= lm->H - 0.1;
            snprintf(cell[1 + v], 48, "%.1f", sc->plateau);
            snprintf(cell[3 + v], 48, "%+.3f%s", lm->plateau - lm->H,
                     lm->plateau <= lm->H - 0.1 ? " ✓" : "");
        }
        const char *cp[5] = {cell[0], cell[1], cell[2], cell[3], cell[4]};
        rp_table_row(&t3, cp);
    }
    int chosen = -1;
    if (n_pos_tasks) {
        char cell[5][64];
        snprintf(cell[0], 64, "mean plateau; tasks where the LM learns");
        for (int v = 0; v < 2; v++) {
            snprintf(cell[1 + v], 64, "%.1f", sum_scr[v] / n_scr[v]);
            snprintf(cell[3 + v], 64, "%d of %d", learns[v], n_pos_tasks);
        }
        const char *cp[5] = {cell[0], cell[1], cell[2], cell[3], cell[4]};
        rp_table_row(&t3, cp);
        int need = n_pos_tasks >= 5 ? 3 : (n_pos_tasks + 1) / 2;
        int ok0 = learns[0] >= need, ok1 = learns[1] >= need;
        chosen = ok0 != ok1 ? (ok1 ? V_TR_ROPE : V_TR_SIN)
                 : (sum_scr[V_TR_ROPE] / n_scr[1] > sum_scr[V_TR_SIN] / n_scr[0] ? V_TR_ROPE
                                                                                 : V_TR_SIN);
        rp_table_note(&t3, "Rule (fixed before the SPT results): %s. Over %d task%s: chosen: %s.",
                      POS_RULE, n_pos_tasks, n_pos_tasks > 1 ? "s" : "", VAR[chosen].name);
        printf("learning_budget: position scheme for the report's Transformer arms: %s\n",
               VAR[chosen].name);
    }
    /* table 4: caps the curves support, for the report's arms (the chosen Transformer, S4D, LRU) */
    const char *h6[] = {"task", "scratch cap (bound by)", "pretraining cap (bound by)",
                        "scratch run at cap, 1t / 2t", "pretraining run at cap, 1t / 2t"};
    rp_table t4;
    rp_table_init(&t4, "Step caps the learning curves support for the report's arms", 5, h6,
                  RP_MD | RP_TEX);
    for (int k = 0; k < LRA_N_TASKS; k++) {
        if (!want[k]) continue;
        char cell[5][96];
        snprintf(cell[0], 96, "%s", arm_task_name(k));
        for (int o = 0; o < N_OBJ; o++) {
            long long need = 0; int by = -1, bound = 0; double w1 = 0, w2 = 0;
            for (int v = 0; v < N_VAR; v++) {
                const run_stats *r = &R[k][v][o];
                if (!r->ran || (VAR[v].model == M_TR && chosen >= 0 && v != chosen)) continue;
                /* a curve at chance has no plateau to reach */
                if (o == OBJ_SCRATCH && !r->learned) continue;
                long long st = r->flat ? r->plat_step : r->ceil;
                if (st > need) { need = st; by = v; bound = !r->flat; }
            }
            if (by < 0) {
                snprintf(cell[1 + o], 96, o == OBJ_SCRATCH ? "— (no model left chance)" : "—");
                snprintf(cell[3 + o], 96, "—");
                continue;
            }
            /* 25 %% headroom, to 100 */
            long long capk = bound ? need : ((need * 5 / 4 + 99) / 100) * 100;
            for (int v = 0; v < N_VAR; v++) {
                const run_stats *r = &R[k][v][o];
                if (!r->ran || (VAR[v].model == M_TR && chosen >= 0 && v != chosen)) continue;
                if (quiet_secs(r, capk, 0) > w1) w1 = quiet_secs(r, capk, 0);
                if (quiet_secs(r, capk, 1) > w2) w2 = quiet_secs(r, capk, 1);
            }
            snprintf(cell[1 + o], 96, "%s%lld (%s%s)", bound ? "≥ " : "", capk, VAR[by].name,
                     bound ? ", still improving" : "");
            char a[32], b[32];
            fmt_secs(w1 > 0 ? w1 : -1, a, sizeof a); fmt_secs(w2 > 0 ? w2 : -1, b, sizeof b);
            snprintf(cell[3 + o], 96, "%s / %s", a, b);
        }
        const char *cp[5] = {cell[0], cell[1], cell[2], cell[3], cell[4]};
        rp_table_row(&t4, cp);
    }
    rp_table_note(&t4, "Cap: 1.25 × the most steps any of the report's models (the chosen "
                  "Transformer, S4D, LRU) needed to reach its plateau, rounded up to 100, over the "
                  "from-scratch runs that left chance; ≥ the ceiling when that model was still "
                  "improving there. Seconds: the slowest of those models' runs at the cap on a "
                  "quiet machine (validation every 5%%).");

    char seeds[32], steps[256] = "ceiling (attention / SSM) ", sz[128], cap[600];
    arm_seeds(seeds, sizeof seeds, cli.seed, 1);
    for (int k = 0, j = 0; k < LRA_N_TASKS; k++) {
        if (!want[k]) continue;
        size_t n = strlen(steps);
        int64_t c0 = CEIL[prof][k][0], c1 = CEIL[prof][k][1];
        if (cli.steps > 0) { c0 = c0 ? cli.steps : 0; c1 = c1 ? cli.steps : 0; }
        snprintf(steps + n, sizeof steps - n, "%s%s %lld / %lld", j++ ? ", " : "", arm_task_name(k),
                 (long long)c0, (long long)c1);
    }
    arm_sizes(sz, sizeof sz, &PLAN[prof][LRA_LISTOPS]);
    double wsum = 0;
    for (int k = 0; k < LRA_N_TASKS; k++)
        for (int v = 0; v < N_VAR; v++)
            for (int o = 0; o < N_OBJ; o++) wsum += R[k][v][o].wall;
    char ws[32]; rp_fmt_secs(wsum, ws, sizeof ws);
    snprintf(cap, sizeof cap, "%s; batch %lld (Retrieval %lld pairs, Path-X %lld); LR Transformer "
             "1e-3, S4D and LRU 3e-3; validation every 5%% of the ceiling on %lld examples, no "
             "early stopping; summed run time %s", sz, (long long)PLAN[prof][LRA_LISTOPS].batch,
             (long long)PLAN[prof][LRA_RETRIEVAL].batch, (long long)PLAN[prof][LRA_PATHX].batch,
             (long long)EVAL_MAX[prof], ws);
    rp_caption(&t1, prof, seeds, 1, steps, ls_now() - t_start, cap);
    strcpy(t2.caption, t1.caption); strcpy(t3.caption, t1.caption); strcpy(t4.caption, t1.caption);
    rp_table_note(&t1, "Plateau: the best validation accuracy of the curve smoothed over 3 "
                  "consecutive validations (each point the mean of itself and the two before it). "
                  "Steps to plateau: the first validation at which the smoothed curve is within 1 "
                  "point of it. Flat: the plateau was reached in the first 80%% of the ceiling "
                  "(no: still improving at the ceiling, which then bounds the result); at chance: "
                  "the plateau is less than %.0f points above the majority class of the validation "
                  "examples (chance), so the curve has no plateau to reach.", LEARN_MARGIN);
    rp_table_note(&t1, "Seconds: what the run needs to reach that step on a quiet machine, at 1 "
                  "and at 2 threads: steps × the measured time of a training step + validations "
                  "so far × the measured time of a validation pass (step-time table in the CSV), "
                  "so background load during the long runs does not enter. Run wall: the measured "
                  "wall time of the whole run at 1 thread (two runs shared the 2 cores).");
    rp_table_note(&t1, "Test: accuracy on the first %lld test examples of the parameters with the "
                  "best (unsmoothed) validation accuracy. %lld validation examples give a binomial "
                  "sd of about 3.5 points at 50%% accuracy.", (long long)TEST_MAX[prof],
                  (long long)EVAL_MAX[prof]);
    rp_table_note(&t2, "Loss plateau: the lowest held-out LM loss of the smoothed curve (nats per "
                  "predicted token); H: the entropy of the training split's token frequencies, the "
                  "loss of a model that learned only the unigram distribution. Steps to plateau: "
                  "first smoothed point within 0.02 nats of it. H − 0.1 at step: the first "
                  "validation whose (unsmoothed) loss is 0.1 nats below H. LM acc: masked-token "
                  "(or next-token) accuracy at the best held-out loss; in brackets the accuracy of "
                  "the commonest token.");
    rp_table *tabs[6] = {&t1, &t2, &t3, &t4, &raw, &curves};
    if (rp_write(cli.out, "learning_budget", tabs, 5, err) ||
        rp_write(cli.out, "learning_budget_curves", tabs + 5, 1, err) ||
        write_figure(cli.out, want, prof, 0, err) || write_figure(cli.out, want, prof, 1, err)) {
        fprintf(stderr, "learning_budget: %s\n", err);
        return 1;
    }
    printf("learning_budget: wrote %s/learning_budget.{md,tex,csv} (%s profile, %.0f s)\n", cli.out,
           ls_profile_name(prof), ls_now() - t_start);
    for (int i = 0; i < 6; i++) rp_table_free(tabs[i]);
    return 0;
}
