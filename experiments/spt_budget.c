/* experiments/spt_budget.c - the `spt_budget` table, "the SPT crossover": with a fixed total step
   budget B split between self-pretraining (SPT) and fine-tuning, at what budget does a modest SPT
   share start to pay off against spending all B steps on training from scratch? (Never Train from
   Scratch, Table 8: even a modest SPT share matches or beats training from scratch.)

     spt_budget [--profile smoke|cpu|paper] [--seed N] [--steps N] [--threads N] [--quiet]
                [--out DIR] [--tasks a,b] [--fresh] [--records]

   Design. Tasks: Image and Text (--tasks: any of the six). Models: the Transformer (rotary
   positions) and S4D, both bidirectional, at the lra plan's sizes and batch (arm_plan), one
   learning rate per model for every phase and arm (Transformer 1e-3, S4D 3e-3; arm_train keeps
   S4D's SSM parameters at 1e-3). Budgets B, total steps: cpu 400, 800, 1600, 3200; smoke 8, 16,
   32, 64; paper 5000 to 40000; --steps N replaces them by N, 2N, 4N, 8N (N >= 5). SPT shares 0,
   20, 40, 60 %: a masked-LM pretraining on the task's own training split capped at
   B x share / 100 steps, then fine-tuning from its best-validation parameters (LM head dropped)
   capped at the rest; share 0 is the scratch arm, capped at B. Every phase keeps the protocol's
   validation and early stopping (arm_train), so B is a cap, not a count.
   N_SEEDS seeds per profile (seeds --seed, --seed + 1, ...); every figure is a mean over them.
   A PyTorch pilot saw no SPT gain at a tiny budget because its masked-LM loss never went below the
   unigram entropy H, so every SPT cell also shows the pretraining's held-out loss minus H.

   Outputs (in --out, default paper/tables):
     spt_budget.md, .tex       one accuracy table per task (rows model x budget; columns scratch,
                               SPT 20 %, 40 %, 60 %, each SPT cell with its loss - H in brackets),
                               then the crossover table (rows task x model; columns budgets; cell:
                               the gain over scratch in points of the share chosen on validation,
                               and that share)
     spt_budget.csv            one row per run (an SPT arm's pretraining and fine-tuning in one row)
     spt_budget_curves.csv     the validation curves of every phase, on one step axis per run
                               (budget_x: B over the smallest budget; unigram_entropy: the
                               task's H, so a pretraining curve reads as val_loss - H)
     spt_budget_crossover.csv  the crossover as numbers (accuracies in %, gain in points)
     spt_budget_fig.tex        a pgfplots figure of the crossover, coordinates inline */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

#define PROG "spt_budget"
#define N_SHARE 4
#define N_BUDGET 4
#define N_ARMS 2      /* models */
#define MAX_SEEDS 8
static const int SHARE[N_SHARE] = {0, 20, 40, 60};   /* % of B given to SPT; 0 = from scratch */
static const int ARM_MODEL[N_ARMS] = {M_TR, M_S4D};
static const float LR[N_MODELS] = {[M_TR] = 1e-3f, [M_S4D] = 3e-3f};
/* total step budgets per profile (quick: refused by arm_cli) */
static const int64_t BUDGET[ARM_N_PROFILES][N_BUDGET] = {
    [LS_PROFILE_SMOKE] = {8, 16, 32, 64},
    [LS_PROFILE_CPU] = {200, 400, 800, 1600},
    [LS_PROFILE_PAPER] = {5000, 10000, 20000, 40000},
};
/* seeds per profile: raise one to add seeds (every table cell is a mean over them) */
static const int N_SEEDS[ARM_N_PROFILES] = {
    [LS_PROFILE_SMOKE] = 1, [LS_PROFILE_CPU] = 2, [LS_PROFILE_PAPER] = 1,
};

/* Does the profile run model arm mi on this task? The cpu profile leaves out the Transformer on
   Image: a Transformer step costs several S4D steps at these sizes (the lra table's wall times),
   and two seeds of its Image arms would not fit the profile's ten hours beside the other tables. */
static int arm_on(int prof, int task, int mi) {
    return !(prof == LS_PROFILE_CPU && task == LRA_IMAGE && ARM_MODEL[mi] == M_TR);
}

/* test %, val %, lm_loss nats */
typedef struct sb_cell { double test[MAX_SEEDS], val[MAX_SEEDS], lm_loss[MAX_SEEDS]; } sb_cell;
static struct {
    int ran;
    double H;           /* unigram entropy of the training split (nats) */
    float mask_ratio;
    sb_cell c[N_ARMS][N_BUDGET][N_SHARE];
} RES[LRA_N_TASKS];
static float S4D_SSM_LR = 0;   /* S4D's SSM learning rate as arm_train set it (for the caption) */
/* the crossover at one (task, model, budget): the SPT share a user would pick, the one with the
   best mean validation accuracy (ties: the smaller share), and its mean test accuracy against the
   scratch arm's. Choosing the share by test accuracy would favour SPT by the luck of the draw. */
typedef struct crossover { double scratch, best; int share; } crossover;
static crossover cross_of(int task, int m, int b, int nseed) {
    crossover x = {.scratch = arm_mean_sd(RES[task].c[m][b][0].test, nseed, NULL), .best = NAN,
                   .share = 0};
    double best_val = -INFINITY;
    for (int s = 1; s < N_SHARE; s++) {
        double v = arm_mean_sd(RES[task].c[m][b][s].val, nseed, NULL);
        if (v > best_val) {
            best_val = v;
            x.share = SHARE[s];
            x.best = arm_mean_sd(RES[task].c[m][b][s].test, nseed, NULL);
        }
    }
    return x;
}

/* v with its sign (a true minus for negatives: LaTeX gets $-$); "0.0" when it rounds to 0 */
static void fmt_signed(char *buf, size_t cap, double v, int dec) {
    char a[24];
    if (isnan(v)) { snprintf(buf, cap, "—"); return; }
    snprintf(a, sizeof a, "%.*f", dec, fabs(v));
    int zero = strspn(a, "0.") == strlen(a);
    snprintf(buf, cap, "%s%s", zero ? "" : v < 0 ? "−" : "+", a);
}

/* the task's short name: "Image" of "Image (Fashion-MNIST, not CIFAR-10)" */
static int short_len(int task) { return (int)strcspn(arm_column(task), " (,"); }

/* Trains (or reads back) every run of one task: model x budget x share x seed. One raw row per
   run, its validation curves (pretraining and fine-tuning on one step axis). 1 = skipped (smoke
   profile without data), -1 = failed. */
static int run_task(int task, const ls_cli *cli, int fresh, const int64_t *B, int nseed,
                    rp_table *raw, rp_table *curves, double *wall_sum) {
    const int prof = cli->profile;
    lra_task t; char key[256];
    int rc = arm_load(PROG, &t, task, prof, key, sizeof key);
    if (rc) return rc;
    ls_dataset tr = arm_split(&t.train, 0, 0), va = arm_split(&t.val, 0, 0);
    ls_dataset te = arm_split(&t.test, TEST_MAX[prof], 0);
    ls_dataset ptr = arm_split(&t.train, 0, 1), pva = arm_split(&t.val, 0, 1);
    double mode, H;
    arm_unigram(&ptr, &mode, &H);
    RES[task].ran = 1; RES[task].H = H; RES[task].mask_ratio = t.mask_ratio;
    const plan p = arm_plan(prof, task, 1);   /* sizes and batch; the caps are set below */
    const char *tn = arm_task_name(task);
    for (int mi = 0; mi < N_ARMS; mi++)
        for (int b = 0; b < N_BUDGET; b++)
            for (int s = 0; s < N_SHARE; s++)
                for (int si = 0; si < nseed && arm_on(prof, task, mi); si++) {
                    const int m = ARM_MODEL[mi];
                    const uint64_t seed = cli->seed + (uint64_t)si;
                    plan pp = p, pf = p;   /* pretraining; fine-tuning (or scratch) */
                    pp.steps = pp.pt_steps = B[b] * SHARE[s] / 100;   /* an LM: pt_steps */
                    pf.steps = B[b] - pp.steps;
                    char lab[128];
                    snprintf(lab, sizeof lab, "%s %s budget %lld SPT %d%% seed %llu", tn, MODEL[m],
                             (long long)B[b], SHARE[s], (unsigned long long)seed);
                    arm_spec a = {
                        .prog = PROG, .table = ARM_RUNS, .label = lab, .data_key = key,
                        .cls = arm_model(&t, &pf, m, 0, 0), .lm = arm_model(&t, &pp, m, 0, 1),
                        .ft = arm_train(&t, &pf, prof, LS_OBJ_CLASSIFY, LR[m], seed),
                        .pt = arm_train(&t, &pp, prof, LS_OBJ_MLM, LR[m], seed),
                        .train = &tr, .val = &va, .test = &te, .lm_train = &ptr, .lm_val = &pva,
                        .spt = SHARE[s] > 0, .fresh = fresh, .quiet = cli->quiet};
                    if (m == M_S4D) S4D_SSM_LR = a.ft.ssm_lr;
                    arm_out o;
                    if (arm_run(&a, &o)) { lra_task_free(&t); return -1; }
                    const double w = o.ft.wall_s + (a.spt ? o.pt.wall_s : 0);
                    const double lm = a.spt ? o.pt.val_loss : NAN;
                    const long long pt_steps = a.spt ? (long long)o.pt.steps : 0;
                    *wall_sum += w;
                    RES[task].c[mi][b][s].test[si] = 100 * o.ft.test;
                    RES[task].c[mi][b][s].val[si] = 100 * o.ft.val;
                    RES[task].c[mi][b][s].lm_loss[si] = lm;
                    rp_table_rowf(raw, "%s\t%s\t%lld\t%d\t%lld\t%lld\t%.4f\t%.4f\t%.4f\t%.4f"
                                  "\t%.1f\t%d\t%llu\t%016llx", tn, MODEL[m], (long long)B[b],
                                  SHARE[s], pt_steps, (long long)o.ft.steps, lm, H, o.ft.val,
                                  o.ft.test, w, o.ft.threads, (unsigned long long)seed,
                                  (unsigned long long)o.ft.hash);
                    for (int ph = a.spt ? 0 : 1; ph < 2; ph++) {
                        arm_point pts[256];
                        int np = arm_curve(ph ? o.ft.hash : o.pt.hash, pts, 256);
                        for (int i = 0; i < np; i++)
                            rp_table_rowf(curves, "%s\t%s\t%lld\t%lld\t%d\t%s\t%lld\t%lld\t%.4f"
                                          "\t%.4f\t%.4f\t%llu",
                                          tn, MODEL[m], (long long)B[b], (long long)(B[b] / B[0]),
                                          SHARE[s], ph ? "finetune" : "pretrain", pts[i].step,
                                          pts[i].step + (ph ? pt_steps : 0), pts[i].val_loss,
                                          pts[i].val_metric, H, (unsigned long long)seed);
                    }
                }
    lra_task_free(&t);
    return 0;
}

/* table 1 of one task: a row per (model, budget), a column per share; SPT cells with the
   pretraining's held-out loss minus H in brackets */
static void acc_table(rp_table *t, int task, const int64_t *B, int prof, int nseed) {
    const char *head[2 + N_SHARE] = {"model", "budget (steps)"};
    char share_h[N_SHARE][32], title[256];
    for (int s = 0; s < N_SHARE; s++) {
        if (SHARE[s]) snprintf(share_h[s], sizeof share_h[s], "SPT %d%%", SHARE[s]);
        else snprintf(share_h[s], sizeof share_h[s], "scratch");
        head[2 + s] = share_h[s];
    }
    snprintf(title, sizeof title, "The SPT crossover, %s: test accuracy (%%), in brackets the "
             "pretraining's held-out loss minus the unigram entropy (nats)", arm_column(task));
    rp_table_init(t, title, 2 + N_SHARE, head, RP_MD | RP_TEX);
    for (int mi = 0; mi < N_ARMS; mi++)
        for (int b = 0; b < N_BUDGET && arm_on(prof, task, mi); b++) {
            char c[2 + N_SHARE][96], d[32];
            const char *cp[2 + N_SHARE];
            snprintf(c[0], sizeof c[0], "%s", MODEL[ARM_MODEL[mi]]);
            snprintf(c[1], sizeof c[1], "%lld", (long long)B[b]);
            for (int s = 0; s < N_SHARE; s++) {
                const sb_cell *q = &RES[task].c[mi][b][s];
                char *o = c[2 + s];
                if (!RES[task].ran) { snprintf(o, sizeof c[0], "not run: no data"); continue; }
                arm_fmt_mean_sd(o, sizeof c[0], q->test, nseed);
                if (!SHARE[s]) continue;
                const double gap = arm_mean_sd(q->lm_loss, nseed, NULL) - RES[task].H;
                fmt_signed(d, sizeof d, gap, 2);
                snprintf(o + strlen(o), sizeof c[0] - strlen(o), " (%s)%s", d,
                         gap >= 0 ? " †" : "");
            }
            for (int i = 0; i < 2 + N_SHARE; i++) cp[i] = c[i];
            rp_table_row(t, cp);
        }
}

/* table 2 (a row per (task, model), a column per budget) and its CSV */
static void cross_tables(rp_table *t, rp_table *csv, const int *cols, int nc, const int64_t *B,
                         int prof, int nseed) {
    const char *head[1 + N_BUDGET] = {"task, model"};
    const char *ch[] = {"task", "model", "budget", "scratch_test", "best_share", "best_spt_test",
                        "gain"};
    char bud_h[N_BUDGET][32];
    for (int b = 0; b < N_BUDGET; b++) {
        snprintf(bud_h[b], sizeof bud_h[b], "%lld steps", (long long)B[b]);
        head[1 + b] = bud_h[b];
    }
    rp_table_init(t, "The SPT crossover: test accuracy of the SPT share chosen on validation minus "
                  "training from scratch (points), and that share, per total step budget",
                  1 + N_BUDGET, head, RP_MD | RP_TEX);
    rp_table_init(csv, "crossover", 7, ch, RP_CSV);
    for (int j = 0; j < nc; j++) {
        const int k = cols[j];
        for (int mi = 0; mi < N_ARMS; mi++) {
            if (!arm_on(prof, k, mi)) continue;
            char c[1 + N_BUDGET][96], g[32];
            const char *cp[1 + N_BUDGET], *mn = MODEL[ARM_MODEL[mi]];
            /* short name */
            snprintf(c[0], sizeof c[0], "%.*s, %s", short_len(k), arm_column(k), mn);
            for (int b = 0; b < N_BUDGET; b++) {
                if (!RES[k].ran) { snprintf(c[1 + b], sizeof c[0], "not run: no data"); continue; }
                crossover x = cross_of(k, mi, b, nseed);
                fmt_signed(g, sizeof g, x.best - x.scratch, 1);
                snprintf(c[1 + b], sizeof c[0], "%s at %d%%", g, x.share);
                rp_table_rowf(csv, "%s\t%s\t%lld\t%.2f\t%d\t%.2f\t%.2f", arm_task_name(k), mn,
                              (long long)B[b], x.scratch, x.share, x.best, x.best - x.scratch);
            }
            for (int i = 0; i < 1 + N_BUDGET; i++) cp[i] = c[i];
            rp_table_row(t, cp);
        }
    }
}

/* The crossover figure (pgfplots, coordinates inline), written atomically: the chosen share's gain
   against the budget on a log2 axis, one line per (task, model) (colour and mark: model; dashes:
   task), a dashed line at 0. tab: the crossover table's LaTeX label number. */
static int write_figure(const char *dir, const int *want, const int64_t *B, int prof, int nseed,
                        int tab, char *err) {
    static const char *const model_style[N_ARMS] = {
        "red!75!black, mark=triangle*, mark size=1.8pt", "blue!75!black, mark=*, mark size=1.4pt"};
    static const char *const task_dash[LRA_N_TASKS] = {
        [LRA_LISTOPS] = "densely dotted", [LRA_TEXT] = "densely dashed",
        [LRA_RETRIEVAL] = "dashdotted", [LRA_IMAGE] = "solid",
        [LRA_PATHFINDER] = "loosely dashed", [LRA_PATHX] = "densely dashdotted"};
    const double x0 = (double)B[0] / 1.3, x1 = (double)B[N_BUDGET - 1] * 1.3;
    char path[1024], tmp[1040], ticks[256] = "";
    snprintf(path, sizeof path, "%s/%s_fig.tex", dir, PROG);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    for (int b = 0; b < N_BUDGET; b++)
        snprintf(ticks + strlen(ticks), sizeof ticks - strlen(ticks), "%s%lld", b ? "," : "",
                 (long long)B[b]);
    FILE *f = fopen(tmp, "w");
    if (!f) { rp__err(err, "%s: cannot create (%s)", tmp, strerror(errno)); return -1; }
    fprintf(f, "%% generated by experiments/%s.c (%s profile); do not edit\n", PROG,
            ls_profile_name(prof));
    fprintf(f, "\\begin{figure}[t]\n\\centering\n\\begin{tikzpicture}\n"
               "\\begin{axis}[width=0.6\\linewidth, height=0.38\\linewidth,\n"
               "  xmode=log, log basis x=2, xmin=%g, xmax=%g, xtick={%s}, xticklabels={%s},\n"
               "  xlabel={total step budget (SPT + fine-tuning)},\n"
               "  ylabel={SPT gain, share chosen on validation (points)},\n"
               "  tick label style={font=\\scriptsize}, label style={font=\\small}, grid=major,\n"
               "  grid style={gray!25}, legend pos=outer north east,\n"
               "  legend style={font=\\scriptsize, cells={anchor=west}}]\n"
               "\\addplot[black, dashed, forget plot] coordinates {(%g,0) (%g,0)};\n",
            x0, x1, ticks, ticks, x0, x1);
    for (int k = 0; k < LRA_N_TASKS; k++) {
        if (!want[k]) continue;
        if (!RES[k].ran) {
            fprintf(f, "\\addlegendimage{empty legend}\\addlegendentry{%.*s: not run (no data)}\n",
                    short_len(k), arm_column(k));
            continue;
        }
        for (int m = 0; m < N_ARMS; m++) {
            if (!arm_on(prof, k, m)) continue;
            fprintf(f, "\\addplot[%s, %s, mark options={solid}] coordinates {", model_style[m],
                    task_dash[k]);
            for (int b = 0; b < N_BUDGET; b++) {
                crossover x = cross_of(k, m, b, nseed);
                fprintf(f, " (%lld,%.2f)", (long long)B[b], x.best - x.scratch);
            }
            fprintf(f, " };\n\\addlegendentry{%.*s, %s}\n", short_len(k), arm_column(k),
                    MODEL[ARM_MODEL[m]]);
        }
    }
    fprintf(f, "\\end{axis}\n\\end{tikzpicture}\n"
               "\\caption{The SPT crossover: test accuracy of the SPT share (20, 40 or "
               "60\\,\\%% of the budget) chosen on validation minus that of training from scratch "
               "for the whole budget "
               "(points, mean over seeds) against the total step budget, one line per task and "
               "model; above the dashed line SPT pays (profile %s, %d seed%s; numbers in "
               "Table~\\ref{tab:%s-%d}).}\n"
               "\\label{fig:spt-crossover}\n\\end{figure}\n",
            ls_profile_name(prof), nseed, nseed > 1 ? "s" : "", PROG, tab);
    if (fclose(f) || rename(tmp, path)) {
        rp__err(err, "%s: write failed (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* the caption's extra text: sizes and batch (once when every task shares them), LRs, validation,
   summed run time */
static void caption_extra(char *buf, size_t cap, int prof, const int *cols, int nc,
                          double wall_sum) {
    char sizes[512] = "", evals[32], wall[32], ssm[48] = "";
    int same = 1;
    for (int j = 1; j < nc; j++) {
        const plan *a = &PLAN[prof][cols[0]], *q = &PLAN[prof][cols[j]];
        same &= a->d == q->d && a->L == q->L && a->H == q->H && a->F == q->F && a->N == q->N &&
                a->batch == q->batch;
    }
    for (int j = 0; j < (same ? (nc > 0) : nc); j++) {
        const plan *q = &PLAN[prof][cols[j]];
        char sz[160];
        size_t n = strlen(sizes);
        arm_sizes(sz, sizeof sz, q);
        if (same) snprintf(sizes + n, sizeof sizes - n, "%s; batch %lld", sz, (long long)q->batch);
        else snprintf(sizes + n, sizeof sizes - n, "%s%.*s: %s, batch %lld", j ? "; " : "",
                      short_len(cols[j]), arm_column(cols[j]), sz, (long long)q->batch);
    }
    if (EVAL_MAX[prof] > 0) snprintf(evals, sizeof evals, "%lld", (long long)EVAL_MAX[prof]);
    else snprintf(evals, sizeof evals, "all");
    rp_fmt_secs(wall_sum, wall, sizeof wall);
    if (S4D_SSM_LR > 0 && S4D_SSM_LR != LR[M_S4D])
        snprintf(ssm, sizeof ssm, ", its SSM parameters %g", S4D_SSM_LR);
    snprintf(buf, cap, "%s; bidirectional models, masked-LM SPT; LR Transformer %g, S4D %g%s "
             "(every phase and arm); each phase validates every tenth of its cap on %s examples "
             "with patience %d; summed run time %s", sizes, LR[M_TR], LR[M_S4D], ssm, evals,
             ARM_PATIENCE, wall);
}

/* the definitions under the first accuracy table and under the crossover table */
static void notes(rp_table *t1, rp_table *tx, int prof, const int *cols, int nc, int nseed) {
    char ratios[256] = "";
    for (int j = 0; j < nc; j++) {
        const int k = cols[j];
        size_t n = strlen(ratios);
        if (RES[k].ran)
            snprintf(ratios + n, sizeof ratios - n, "%s%.*s: masking ratio %.0f%%, H = %.3f",
                     n ? "; " : "", short_len(k), arm_column(k), 100.0 * RES[k].mask_ratio,
                     RES[k].H);
    }
    if (t1) {
        rp_table_note(t1, "Budget B: total training steps, a cap. Share s: SPT pretrains the model "
                      "with a masked-LM objective on the task's own training split for at most "
                      "B × s / 100 steps, then fine-tunes from its best-validation parameters (LM "
                      "head dropped) for at most the rest; share 0 trains from scratch for at most "
                      "B steps. Each phase stops early after %d validations without improvement, "
                      "so a run may use fewer steps (spt_budget.csv has them).", ARM_PATIENCE);
        char te[48] = "all";
        if (TEST_MAX[prof] > 0)
            snprintf(te, sizeof te, "the first %lld", (long long)TEST_MAX[prof]);
        rp_table_note(t1, "Test accuracy (%%) at the best validation checkpoint, on %s test "
                      "examples; mean over %d seed%s%s.", te, nseed, nseed > 1 ? "s" : "",
                      nseed > 1 ? " ± sd" : "");
        rp_table_note(t1, "In brackets: the pretraining's best held-out masked-LM loss minus the "
                      "entropy H of the training split's token frequencies (the loss of a model "
                      "that learned only the unigram distribution), nats per masked token; below 0 "
                      "the pretraining learned more than token frequencies%s%s%s; † at 0 or "
                      "above: it learned no more than that (its curve is in spt_budget_curves.csv "
                      "and the figure of pretraining curves).",
                      ratios[0] ? " (" : "", ratios, ratios[0] ? ")" : "");
        for (int j = 0; j < nc; j++)
            for (int mi = 0; mi < N_ARMS; mi++)
                if (!arm_on(prof, cols[j], mi))
                    rp_table_note(t1, "%.*s, %s: not in the %s profile (a Transformer step costs "
                                  "several S4D steps here: the lra table's wall times per "
                                  "arm).", short_len(cols[j]), arm_column(cols[j]),
                                  MODEL[ARM_MODEL[mi]], ls_profile_name(prof));
    }
    rp_table_note(tx, "Cell: of the SPT shares 20, 40 and 60 %%, the one with the best mean "
                  "validation accuracy (ties go to the smaller share), its mean test accuracy "
                  "minus that of the scratch arm at the same budget (points), and that share. "
                  "Positive: a share of the budget spent on SPT paid off. The share is chosen on "
                  "validation, as a user would; the best share by test accuracy would favour SPT "
                  "by chance.");
    if (nseed == 1)
        rp_table_note(tx, "One seed: differences of a few points are within the seed spread the "
                      "lra and ssm_init tables measure.");
    rp_anchor(tx, "a modest SPT share of a fixed budget (Text 30 epochs, Image 150)",
              "matches or beats training from scratch", "Amos, Berant & Gupta 2024, Table 8");
}

int main(int argc, char **argv) {
    ls_cli cli;
    const char *tasks = "image,text";
    int fresh, rc = arm_cli(PROG, "The spt_budget table (the SPT crossover): a fixed step budget "
                            "split between SPT and fine-tuning, at four budgets.", argc, argv, &cli,
                            &tasks, &fresh);
    if (rc) return rc - 1;
    const int prof = cli.profile, nseed = N_SEEDS[prof];
    int want[LRA_N_TASKS], cols[LRA_N_TASKS], nc = 0;
    if (arm_parse_tasks(PROG, tasks, NULL, want)) return 2;
    for (int k = 0; k < LRA_N_TASKS; k++) if (want[k]) cols[nc++] = k;
    if (nseed < 1 || nseed > MAX_SEEDS) {
        fprintf(stderr, "%s: N_SEEDS[%s] must be 1 to %d\n", PROG, ls_profile_name(prof),
                MAX_SEEDS);
        return 2;
    }
    int64_t B[N_BUDGET];
    for (int b = 0; b < N_BUDGET; b++) B[b] = arm_steps > 0 ? arm_steps << b : BUDGET[prof][b];
    if (B[0] * SHARE[1] / 100 < 1) {
        fprintf(stderr, "%s: --steps %lld: the smallest SPT share (%d%%) of the smallest budget "
                "needs at least one step (--steps %d or more)\n", PROG, (long long)B[0], SHARE[1],
                (100 + SHARE[1] - 1) / SHARE[1]);
        return 2;
    }
    /* runs: one per scratch arm, two (pretraining, fine-tuning) per SPT arm; a task whose data is
       missing is skipped in the smoke profile (and fails in the others) */
    int runs_per_arm = 0, total = 0;
    for (int s = 0; s < N_SHARE; s++) runs_per_arm += SHARE[s] ? 2 : 1;
    for (int j = 0; j < nc; j++)
        if (!arm_data_missing(arm_task_name(cols[j])))
            for (int mi = 0; mi < N_ARMS; mi++)
                total += arm_on(prof, cols[j], mi) * N_BUDGET * nseed * runs_per_arm;
    double t_start = ls_now(), wall_sum = 0;
    const char *rh[] = {"task", "model", "budget", "spt_share", "pt_steps", "ft_steps",
                        "lm_val_loss", "unigram_entropy", "val", "test", "wall_s", "threads",
                        "seed", "hash"};
    const char *ch[] = {"task", "model", "budget", "budget_x", "spt_share", "phase", "step",
                        "total_step", "val_loss", "val_metric", "unigram_entropy", "seed"};
    rp_table raw, curves, cross_t, cross_csv;
    static rp_table acc_t[LRA_N_TASKS];
    rp_table_init(&raw, "runs", 14, rh, RP_CSV);
    rp_table_init(&curves, "curves", 12, ch, RP_CSV);
    arm_progress_begin(PROG, total, cli.quiet);
    for (int j = 0; j < nc; j++)
        if (run_task(cols[j], &cli, fresh, B, nseed, &raw, &curves, &wall_sum) < 0) return 1;

    /* the .md and .tex: one accuracy table per task, then the crossover (tab:spt_budget-<nc>) */
    char seeds[64], budgets[128] = "budgets ", extra[1024];
    for (int j = 0; j < nc; j++) acc_table(&acc_t[j], cols[j], B, prof, nseed);
    cross_tables(&cross_t, &cross_csv, cols, nc, B, prof, nseed);
    arm_seeds(seeds, sizeof seeds, cli.seed, nseed);
    for (int b = 0; b < N_BUDGET; b++)
        snprintf(budgets + strlen(budgets), sizeof budgets - strlen(budgets), "%s%lld%s",
                 b ? ", " : "", (long long)B[b], b == N_BUDGET - 1 ? " steps" : "");
    caption_extra(extra, sizeof extra, prof, cols, nc, wall_sum);
    rp_caption(&cross_t, prof, seeds, ls_get_threads(), budgets, ls_now() - t_start, extra);
    for (int j = 0; j < nc; j++) strcpy(acc_t[j].caption, cross_t.caption);
    notes(nc ? &acc_t[0] : NULL, &cross_t, prof, cols, nc, nseed);
    rp_table *tabs[LRA_N_TASKS + 2], *cv[1] = {&curves}, *xc[1] = {&cross_csv};
    for (int j = 0; j < nc; j++) tabs[j] = &acc_t[j];
    tabs[nc] = &cross_t; tabs[nc + 1] = &raw;
    char err[LS_ERRLEN];
    if (rp_write(cli.out, PROG, tabs, nc + 2, err) ||
        rp_write(cli.out, PROG "_curves", cv, 1, err) ||
        rp_write(cli.out, PROG "_crossover", xc, 1, err) ||
        write_figure(cli.out, want, B, prof, nseed, nc, err)) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        return 1;
    }
    printf("%s: wrote %s/%s.{md,tex,csv}, %s_curves.csv, %s_crossover.csv, %s_fig.tex "
           "(%s profile, %.0f s)\n", PROG, cli.out, PROG, PROG, PROG, PROG, ls_profile_name(prof),
           ls_now() - t_start);
    for (int j = 0; j < nc; j++) rp_table_free(&acc_t[j]);
    rp_table_free(&cross_t); rp_table_free(&cross_csv); rp_table_free(&raw); rp_table_free(&curves);
    return 0;
}
