/* tests/test_report.c - the experiment harness (experiments/arms.h, experiments/report.h): the plans,
   nested subsets, the unigram baselines, and the results cache with its per-run lock. Runs inside the
   test's temporary directory (report.h writes results/ relative to the working directory). */
#include "test.h"   /* first: it sets _POSIX_C_SOURCE before any system header */
#define REPORT_IMPLEMENTATION
#include "../experiments/arms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* every profile's plan is a model longseq can build: positive sizes, heads dividing the width */
static void test_plans(void) {
    int ok = 1;
    for (int p = 0; p < ARM_N_PROFILES; p++)
        for (int t = 0; t < LRA_N_TASKS; t++) {
            const plan *q = &PLAN[p][t];
            ok &= q->d > 0 && q->L > 0 && q->H > 0 && q->d % q->H == 0 && q->F > 0 && q->N > 0 && q->batch > 0 && q->steps >= 4 && q->pt_steps >= 4;
            ok &= MODEL[t % N_MODELS] != NULL && COLUMN[t] != NULL && POOL[t] >= 0;
        }
    T_CHECK(ok && EVAL_MAX[LS_PROFILE_CPU] > 0 && TEST_MAX[LS_PROFILE_CPU] > 0,
            "every profile's plan has positive sizes, heads dividing d, and at least 4 steps (one per validation)");
}

/* subsets: nested for one seed, a permutation (no example twice), labels and lengths carried along */
static void test_subsets(void) {
    enum { N = 50, T = 4 };
    static int32_t tok[N * T], len[N], lab[N];
    for (int i = 0; i < N; i++) { tok[i * T] = i; tok[i * T + 1] = 7 * i; len[i] = 1 + i % 4; lab[i] = i % 3; }
    lra_split sp;
    memset(&sp, 0, sizeof sp);
    sp.n = N; sp.T = T; sp.pair = 1; sp.tokens = tok; sp.len = len; sp.label = lab;
    arm_subset a, b, c;
    arm_subset_make(&a, &sp, 10, 5);
    arm_subset_make(&b, &sp, 30, 5);
    arm_subset_make(&c, &sp, 30, 6);
    int nested = !memcmp(a.tok, b.tok, sizeof(int32_t) * 10 * T) && !memcmp(a.lab, b.lab, sizeof(int32_t) * 10);
    int seen[N] = {0}, perm = 1, carried = 1, differ = 0;
    for (int i = 0; i < 30; i++) {
        int id = b.tok[i * T];
        perm &= id >= 0 && id < N && !seen[id];
        if (id >= 0 && id < N) seen[id] = 1;
        carried &= b.tok[i * T + 1] == 7 * id && b.len[i] == 1 + id % 4 && b.lab[i] == id % 3;
        differ |= b.tok[i * T] != c.tok[i * T];
    }
    T_CHECK(nested && perm && carried && differ && b.d.n == 30 && b.d.T == T,
            "subsets: the 10-example subset is the start of the 30 (nested), no example twice, rows carry their "
            "lengths and labels, another seed draws another order");
    arm_subset_free(&a); arm_subset_free(&b); arm_subset_free(&c);
}

/* unigram baselines on a known distribution: tokens 0,0,1,2 (+ padding that must not count) */
static void test_unigram(void) {
    const int32_t tok[2 * 4] = {0, 0, 1, 2, 9, 9, 9, 9}, len[2] = {4, 0};
    ls_dataset d = {.n = 2, .T = 4, .pair = 0, .tokens = tok, .len = len, .label = NULL};
    double mode, H;
    arm_unigram(&d, &mode, &H);
    double want = -(0.5 * log(0.5) + 2 * 0.25 * log(0.25));
    T_CHECK(fabs(mode - 0.5) < 1e-12 && fabs(H - want) < 1e-12,
            "unigram baselines: commonest-token accuracy %.3f (0.5), entropy %.4f nats (%.4f); padding not counted", mode, H, want);
}

/* the toy task of the cache tests: TOY_N sequences of TOY_T ids, a class-shifted pattern of the given
   stride over 4 ids (vocab >= 4), and a one-layer S4D classifier small enough to train in milliseconds */
enum { TOY_N = 24, TOY_T = 6 };
typedef struct toy { int32_t tok[TOY_N * TOY_T], len[TOY_N], lab[TOY_N]; ls_dataset d; ls_config mc; } toy;
static void toy_make(toy *t, int stride, int vocab) {
    for (int i = 0; i < TOY_N; i++) {
        t->lab[i] = i % 2; t->len[i] = TOY_T;
        for (int j = 0; j < TOY_T; j++) t->tok[i * TOY_T + j] = (j * stride + t->lab[i]) % 4;
    }
    t->d = (ls_dataset){.n = TOY_N, .T = TOY_T, .pair = 0, .tokens = t->tok, .len = t->len, .label = t->lab};
    t->mc = ls_config_default(LS_ARCH_S4D, vocab, TOY_T);
    t->mc.d_model = 8; t->mc.n_layers = 1; t->mc.d_state = 4; t->mc.n_classes = 2;
}

/* the results cache: a finished run is read back, not retrained; a lock left by a dead process is
   taken over */
static void test_cache(void) {
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd) || chdir(t_tmpdir())) { T_CHECK(0, "cache: cannot enter the temporary directory"); return; }
    static toy x;
    toy_make(&x, 1, 4);
    ls_dataset d = x.d;
    ls_config mc = x.mc;
    ls_train_cfg tc = ls_train_cfg_default();
    tc.steps = 8; tc.batch = 4; tc.warmup = 1; tc.eval_every = 4;
    rp_run r = {.table = "t", .label = "cache test", .model = mc, .train = tc, .data_key = "toy data", .quiet = 1};
    rp_result a, b;
    char err[LS_ERRLEN] = "";
    int rc1 = rp_run_train(&r, &d, &d, &d, &a, err), rc2 = rp_run_train(&r, &d, &d, &d, &b, err);
    T_CHECK(rc1 == 0 && rc2 == 0 && !a.cached && b.cached && a.val == b.val && a.test == b.test && a.steps == 8,
            "cache: a finished run is read back (val %.3f, test %.3f), not trained again %s", b.val, b.test, err);
    /* a stale lock: the pid of a child that has exited */
    r.train.seed = 2;
    char lock[720];
    rp_path(lock, sizeof lock, "t", rp_run_hash(&r), ".lock");
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status;
    waitpid(child, &status, 0);
    FILE *f = fopen(lock, "w");
    if (f) { fprintf(f, "%ld\n", (long)child); fclose(f); }
    int rc3 = rp_run_train(&r, &d, &d, &d, &a, err);
    T_CHECK(f && rc3 == 0 && !a.cached && access(lock, F_OK) != 0,
            "cache: a lock left by a dead process is taken over, and released after the run %s", err);
    /* a lock file naming a live process (this one: a pid reused after a restart looks the same)
       but held by nobody: taken at once, never waited on. In a child with an alarm, so a
       regression fails here instead of hanging the suite. */
    r.train.seed = 3;
    rp_path(lock, sizeof lock, "t", rp_run_hash(&r), ".lock");
    f = fopen(lock, "w");
    if (f) { fprintf(f, "%ld\n", (long)getpid()); fclose(f); }
    pid_t kid = fork();
    if (kid == 0) {
        alarm(20);
        rp_result k;
        char kerr[LS_ERRLEN];
        _exit(rp_run_train(&r, &d, &d, &d, &k, kerr) == 0 && !k.cached ? 0 : 1);
    }
    status = 0;
    waitpid(kid, &status, 0);
    T_CHECK(f && WIFEXITED(status) && WEXITSTATUS(status) == 0 && access(lock, F_OK) != 0,
            "cache: a lock file naming a live process that holds no lock is taken at once (child %s)",
            WIFSIGNALED(status) ? "killed by the 20 s alarm: it waited" : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "trained" : "failed");
    if (chdir(cwd)) T_CHECK(0, "cache: cannot return to %s", cwd);
}

/* a table's run (rp_run_train: its lock, checkpoint, curve and record) SIGKILLed at TKILLS moments
   spread over the run, each time resumed by a new process, then finished by this one: its record
   holds the uninterrupted run's numbers, its curve each validation once, and no lock stays */
enum { TKILLS = 8 };
static rp_run table_run(void) {
    static toy x;
    toy_make(&x, 1, 4);
    ls_train_cfg tc = ls_train_cfg_default();
    tc.steps = 240; tc.batch = 4; tc.warmup = 10; tc.eval_every = 12;
    return (rp_run){.table = "t", .label = "killed table run", .model = x.mc, .train = tc, .data_key = "toy data",
                    .ckpt_every = 5, .quiet = 1};
}
int t_child_table(const char *root) {
    static toy x;
    toy_make(&x, 1, 4);
    rp_run r = table_run();
    rp_result res;
    char err[LS_ERRLEN];
    rp_set_root(root);
    return rp_run_train(&r, &x.d, &x.d, &x.d, &res, err) != 0;
}
static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int curve_steps(const char *path, long long *steps, double *vals, int cap) {
    FILE *f = fopen(path, "r");
    char buf[512];
    int n = 0;
    while (f && fgets(buf, sizeof buf, f) && n < cap) {
        const char *c = strchr(buf, ',');   /* label (no comma in it), seed, threads, step, losses... */
        unsigned long long seed; int th; long long st; double tl, vl, vm;
        if (c && sscanf(c + 1, "%llu,%d,%lld,%lf,%lf,%lf", &seed, &th, &st, &tl, &vl, &vm) == 6) {
            steps[n] = st; vals[n] = tl + vl + vm; n++;
        }
    }
    if (f) fclose(f);
    return n;
}
static void test_table_kills(void) {
    static toy x;
    toy_make(&x, 1, 4);
    char a_root[300], b_root[300], ckpt[900], lock[900], curve_a[900], curve_b[900], err[LS_ERRLEN] = "";
    snprintf(a_root, sizeof a_root, "%s/kills_a", t_tmpdir());
    snprintf(b_root, sizeof b_root, "%s/kills_b", t_tmpdir());
    rp_run r = table_run();
    rp_result ra, rb;
    rp_set_root(a_root);
    double t0 = mono_s();
    int rc_a = rp_run_train(&r, &x.d, &x.d, &x.d, &ra, err);
    double run_s = mono_s() - t0;
    rp_path(curve_a, sizeof curve_a, "t", ra.hash, ".csv");
    rp_set_root(b_root);
    rp_path(ckpt, sizeof ckpt, "t", ra.hash, ".ckpt");
    rp_path(lock, sizeof lock, "t", ra.hash, ".lock");
    rp_path(curve_b, sizeof curve_b, "t", ra.hash, ".csv");
    ls_rng g = ls_rng_make(17, LS_STREAM_USER);
    int killed = 0, moved = 0;
    int64_t last = -1;
    for (int k = 0; k < TKILLS; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", "run_tests", "--child-table", b_root, (char *)NULL);
            _exit(127);
        }
        /* held until the checkpoint passes this kill's share of the run, then let go for a random
           moment within the next two steps */
        int64_t target = (int64_t)(k + 1) * r.train.steps / (TKILLS + 1);
        int status = 0;
        if (t_child_until(pid, ckpt, &r.model, target, &status) != -2) {
            struct timespec d = {0, (long)(ls_rng_double(&g) * 2e9 * run_s / (double)r.train.steps)};
            kill(pid, SIGCONT);
            nanosleep(&d, NULL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        int64_t step = t_ckpt_step(ckpt, &r.model);
        moved += step > last;
        last = step;
    }
    int rc_b = rp_run_train(&r, &x.d, &x.d, &x.d, &rb, err);
    rp_set_root(NULL);
    long long sa[64], sb[64];
    double va[64], vb[64];
    int na = curve_steps(curve_a, sa, va, 64), nb = curve_steps(curve_b, sb, vb, 64), same = na == 20 && na == nb;
    for (int i = 0; same && i < na; i++) same = sa[i] == sb[i] && va[i] == vb[i];
    T_CHECK(killed == TKILLS && moved == TKILLS, "table run: %d of %d kills landed on a live run, the checkpoint moved on %d times",
            killed, TKILLS, moved);
    T_CHECK(rc_a == 0 && rc_b == 0 && !rb.cached && rb.hash == ra.hash && rb.test == ra.test && rb.val == ra.val &&
                rb.loss == ra.loss && rb.val_loss == ra.val_loss && rb.best_step == ra.best_step && same && access(lock, F_OK) != 0,
            "table run: resumed after %d kills, its record has the uninterrupted run's numbers (test %.3f vs %.3f), its curve "
            "each validation once (%d rows vs %d), no lock left %s", killed, rb.test, ra.test, nb, na, err);
}

/* a diverged run (lr 1e30): rp_run_train returns RP_DIVERGED with res.diverged and NAN numbers,
   its record says "diverged" with the step, leaves no checkpoint or model behind, and is read back
   as diverged (never as a score) by a second call and by rp_run_peek; a record written before the
   field existed reads as not diverged */
static void test_diverged(void) {
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd) || chdir(t_tmpdir())) { T_CHECK(0, "diverged: cannot enter the temporary directory"); return; }
    static toy x;
    toy_make(&x, 1, 4);
    ls_dataset d = x.d;
    ls_config mc = x.mc;
    ls_train_cfg tc = ls_train_cfg_default();
    tc.steps = 20; tc.batch = 4; tc.warmup = 0; tc.eval_every = 4; tc.lr = 1e30f; tc.ssm_lr = 1e30f; tc.clip = 0;
    rp_run r = {.table = "div", .label = "diverged test", .model = mc, .train = tc, .data_key = "toy data", .save_model = 1,
                .quiet = 1};
    rp_result a, b, c;
    char err[LS_ERRLEN] = "", err2[LS_ERRLEN] = "", txt[720], ckpt[720], model[720], rec[1024] = "";
    int rc1 = rp_run_train(&r, &d, &d, &d, &a, err);
    uint64_t h = rp_run_hash(&r);
    rp_path(txt, sizeof txt, "div", h, ".txt");
    rp_path(ckpt, sizeof ckpt, "div", h, ".ckpt");
    rp_path(model, sizeof model, "div", h, ".model");
    FILE *f = fopen(txt, "r");
    size_t nr = f ? fread(rec, 1, sizeof rec - 1, f) : 0;
    rec[nr] = 0;
    if (f) fclose(f);
    T_CHECK(rc1 == RP_DIVERGED && a.diverged && isnan(a.test) && isnan(a.val) && strstr(err, "diverged at step") && strstr(err, txt) &&
                strstr(rec, "diverged 1") && strstr(rec, "diverged at step") && access(ckpt, F_OK) != 0 && access(model, F_OK) != 0,
            "a run at lr 1e30 returns RP_DIVERGED (%d), its record says diverged, no checkpoint or model kept: %s", rc1, err);
    int rc2 = rp_run_train(&r, &d, &d, &d, &b, err2), rc3 = rp_run_peek(&r, &c);
    T_CHECK(rc2 == RP_DIVERGED && b.cached && b.diverged && isnan(b.test) && strstr(err2, "diverged at step") && rc3 == RP_DIVERGED &&
                c.diverged && isnan(c.val),
            "a diverged record is read back as diverged, not retrained (cached %d) and not a score: %s", b.cached, err2);
    /* a record of the format before val_loss and diverged existed */
    r.train.seed = 7;
    rp_path(txt, sizeof txt, "div", rp_run_hash(&r), ".txt");
    f = fopen(txt, "w");
    if (f) {
        fprintf(f, "hash %016llx seed 7 val 0.5 test 0.625 loss 0.7 steps 20 best_step 8 wall_s 1.000 tok_s 10.0 threads 1\n"
                   "data toy data\nmodel diverged test\nversion x\n", (unsigned long long)rp_run_hash(&r));
        fclose(f);
    }
    r.save_model = 0;
    int rc4 = rp_run_train(&r, &d, &d, &d, &b, err);
    T_CHECK(rc4 == 0 && b.cached && !b.diverged && b.test == 0.625 && isnan(b.val_loss), "an old record without the new fields reads as a finished run (rc %d)", rc4);
    if (chdir(cwd)) T_CHECK(0, "diverged: cannot return to %s", cwd);
}

/* a cached row: absent -> 0; written -> read back exactly (nan too); a different hash or code
   version is a different row; a truncated file is an error naming the file */
static void test_rows(void) {
    char cwd[1024], err[LS_ERRLEN] = "", path[512];
    if (!getcwd(cwd, sizeof cwd) || chdir(t_tmpdir())) { T_CHECK(0, "rows: cannot enter the temporary directory"); return; }
    const int cfg[3] = {64, 4, 2};
    uint64_t h = rp_hash(rp_hash_begin(), cfg, sizeof cfg), h2 = rp_hash(h, "x", 1);
    const double v[3] = {1.25, -3e-9, NAN};
    double w[3] = {0, 0, 0};
    int absent = rp_row_get("rowtest", h, w, 3, err);
    int put = rp_row_put("rowtest", h, v, 3, err);
    int got = rp_row_get("rowtest", h, w, 3, err), other = rp_row_get("rowtest", h2, w + 2, 1, err);
    int same = w[0] == v[0] && w[1] == v[1] && isnan(w[2]);
    rp_path(path, sizeof path, "rowtest", h, ".row");
    FILE *f = fopen(path, "w");
    if (f) { fputs("1.25\n", f); fclose(f); }
    int bad = rp_row_get("rowtest", h, w, 3, err);
    T_CHECK(absent == 0 && put == 0 && got == 1 && same && other == 0 && bad == -1 && strstr(err, path),
            "cached rows: absent, written and read back exactly, keyed by hash, a truncated file refused (%s)", err);
    /* a FIFO where a row or a record should be is refused or treated as absent, never opened (which
       would block): in a child with an alarm, so a regression fails instead of hanging the suite */
    char txt[512];
    rp_run r = {.table = "rowtest", .label = "fifo", .data_key = "x"};
    rp_path(path, sizeof path, "rowtest", h2, ".row");
    rp_path(txt, sizeof txt, "rowtest", rp_run_hash(&r), ".txt");
    int made = mkfifo(path, 0644) == 0 && mkfifo(txt, 0644) == 0;
    pid_t kid = fork();
    if (kid == 0) {
        alarm(10);
        char e2[LS_ERRLEN] = "";
        rp_result res;
        int rg = rp_row_get("rowtest", h2, w, 1, e2), pk = rp_run_peek(&r, &res);   /* record: absent */
        _exit(rg == -1 && strstr(e2, "not a regular file") && pk == -1 ? 0 : 1);
    }
    int status = 0;
    waitpid(kid, &status, 0);
    remove(path); remove(txt);
    T_CHECK(made && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "a FIFO named as a cached row is refused with a message, one named as a record reads as "
            "no record; neither is opened (child %s)",
            WIFSIGNALED(status) ? "killed by its alarm: it blocked" : WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "failed");
    if (chdir(cwd)) T_CHECK(0, "rows: cannot return to %s", cwd);
}

/* the plateau of a learning curve (learning_budget): trailing 3-point smoothing, the first step
   within 1 point (0.02 nats) of the best smoothed value, "flat" only before 80 % of the ceiling,
   and the first raw loss 0.1 nats under the unigram entropy */
static void test_plateau(void) {
    /* accuracy rising 40 -> 70 then flat with one lucky spike (a single 90 that smoothing damps) */
    const double acc[10] = {0.40, 0.50, 0.60, 0.70, 0.70, 0.90, 0.70, 0.70, 0.70, 0.70};
    arm_point p[10];
    for (int i = 0; i < 10; i++) { p[i].step = 10 * (i + 1); p[i].val_metric = acc[i]; p[i].val_loss = 3.0 - 0.1 * i; p[i].wall_s = i; }
    arm_plateau_t a = arm_plateau(p, 10, 0, 100, 0);
    /* smoothed: .4 .45 .5 .6 .667 .767 .767 .767 .7 .7 -> best 76.67 first at step 60 */
    T_CHECK(fabs(a.value - 76.6667) < 1e-3 && a.step == 60 && a.flat && a.wall_s == 5,
            "plateau of an accuracy curve: %.2f %% (76.67) first reached at step %lld (60), flat %d", a.value, a.step, a.flat);
    arm_plateau_t b = arm_plateau(p, 10, 0, 70, 0);
    T_CHECK(b.step == 60 && !b.flat, "a plateau first reached after 80 %% of the ceiling is not flat (ceiling 70: step %lld, flat %d)", b.step, b.flat);
    /* loss falling 3.0 -> 2.1 linearly: smoothed min 2.2 at the end, within 0.02 only at the last point */
    arm_plateau_t c = arm_plateau(p, 10, 1, 100, 2.85);
    T_CHECK(fabs(c.value - 2.2) < 1e-9 && c.step == 100 && !c.flat && c.below_step == 40,
            "plateau of a loss curve: %.3f nats (2.200) at step %lld (100), not flat; first 0.1 nats under H = 2.85 at step %lld (40)",
            c.value, c.step, c.below_step);
    arm_plateau_t d = arm_plateau(p, 10, 1, 100, 1.0);
    T_CHECK(d.below_step == -1 && d.below_wall_s == -1, "a loss that never gets 0.1 nats under H: below_step %lld (-1)", d.below_step);
}

/* flags mean what they say: an empty --tasks list (or an empty name in it) is refused, and
   --steps N replaces every task's cap (times a table's multiplier) */
static void test_flags(void) {
    int want[LRA_N_TASKS];
    t_stderr_begin();
    int empty = arm_parse_tasks("t", "", NULL, want), hole = arm_parse_tasks("t", "listops,,text", NULL, want),
        tail = arm_parse_tasks("t", "listops,", NULL, want), good = arm_parse_tasks("t", "listops,image", NULL, want);
    const char *msg = t_stderr_end();
    T_CHECK(empty == -1 && hole == -1 && tail == -1 && good == 0 && want[LRA_LISTOPS] && want[LRA_IMAGE] && !want[LRA_TEXT] &&
                strstr(msg, "--tasks: the list is empty") && strstr(msg, "an empty name in 'listops,,text'"),
            "--tasks: an empty list or an empty name is refused with a message naming it, a good list selects its tasks");
    /* the easier variants: selected by name, named in keys and columns, one variant per task */
    int ez = arm_parse_tasks("t", "retrieval-easy,pathfinder-easy,text", NULL, want);
    int ezok = ez == 0 && want[LRA_RETRIEVAL] && want[LRA_PATHFINDER] && want[LRA_TEXT] && arm_easy[LRA_RETRIEVAL] &&
               arm_easy[LRA_PATHFINDER] && !arm_easy[LRA_TEXT] && !strcmp(arm_task_name(LRA_RETRIEVAL), "retrieval-easy") &&
               !strcmp(arm_task_name(LRA_PATHFINDER), "pathfinder-easy") && strstr(arm_column(LRA_PATHFINDER), "easier");
    t_stderr_begin();
    int both = arm_parse_tasks("t", "pathfinder,pathfinder-easy", NULL, want), bad = arm_parse_tasks("t", "image-easy", NULL, want);
    msg = t_stderr_end();
    arm_parse_tasks("t", "retrieval-easy", NULL, want);
    good = arm_parse_tasks("t", "pathfinder", NULL, want);   /* a new list forgets the old variants */
    T_CHECK(ezok && both == -1 && bad == -1 && good == 0 && !arm_easy[LRA_RETRIEVAL] && !strcmp(arm_task_name(LRA_RETRIEVAL), "retrieval") &&
                !strcmp(arm_column(LRA_PATHFINDER), COLUMN[LRA_PATHFINDER]) && strstr(msg, "both variants of pathfinder") &&
                strstr(msg, "'image-easy'"),
            "--tasks: -easy names select the easier variants (named apart), both variants of one task or an unknown -easy name are refused");
    const char *argv[] = {"prog", "--steps", "7", "--profile", "smoke"};
    ls_cli cli;
    const char *tasks = "listops";
    int fresh = 0, rc = arm_cli("prog", "test", 5, (char **)argv, &cli, &tasks, &fresh);
    plan a = arm_plan(LS_PROFILE_SMOKE, LRA_TEXT, 1), b = arm_plan(LS_PROFILE_SMOKE, LRA_TEXT, 3);
    arm_steps = 0;
    plan c = arm_plan(LS_PROFILE_SMOKE, LRA_TEXT, 1);
    const char *argq[] = {"prog", "--profile", "quick"}, *argr[] = {"prog", "--records", "--fresh"};
    t_stderr_begin();
    int rq = arm_cli("prog", "test", 3, (char **)argq, &cli, &tasks, &fresh), rr = arm_cli("prog", "test", 3, (char **)argr, &cli, &tasks, &fresh);
    char msg_q[512];
    snprintf(msg_q, sizeof msg_q, "%s", t_stderr_end());
    const char *argd[] = {"prog", "--data", "/nonexistent/d", "--tasks", "text"}, *arge[] = {"prog", "--data", ""};
    int rd = arm_cli("prog", "test", 5, (char **)argd, &cli, &tasks, &fresh);
    const char *miss = arm_data_missing("text");
    int data_ok = rd == 0 && miss && !strcmp(miss, "/nonexistent/d/imdb/reviews.json") && arm_data_missing("listops") == NULL;
    t_stderr_begin();
    int re = arm_cli("prog", "test", 3, (char **)arge, &cli, &tasks, &fresh);
    msg = t_stderr_end();
    arm_data_dir = "data";
    rp_set_root(NULL); rp_set_records_only(0);
    T_CHECK(data_ok && re == 3 && strstr(msg, "--data"), "--data DIR: the tasks' files are looked for under DIR (%s); an empty "
            "name is refused", miss ? miss : "none");
    T_CHECK(rq == 3 && rr == 3 && strstr(msg_q, "--profile quick") && strstr(msg_q, "--records and --fresh"), "--profile quick is refused by a table without one (%d), --records with --fresh too (%d)", rq, rr);
    T_CHECK(rc == 0 && a.steps == 7 && b.steps == 21 && c.steps == PLAN[LS_PROFILE_SMOKE][LRA_TEXT].steps,
            "--steps 7 is every task's cap (%lld; x3 multiplier %lld); without it the plan's (%lld)", (long long)a.steps,
            (long long)b.steps, (long long)c.steps);
}

/* the caps of a plan reach the training configs: a classifier trains under steps, an LM objective
   under pt_steps, each validated every tenth of its own cap with warm-up over a tenth */
static void test_caps(void) {
    lra_task t;
    memset(&t, 0, sizeof t);
    plan p = PLAN[LS_PROFILE_CPU][LRA_TEXT];
    p.steps = 1500; p.pt_steps = 700;
    ls_train_cfg c = arm_train(&t, &p, LS_PROFILE_CPU, LS_OBJ_CLASSIFY, 1e-3f, 1), m = arm_train(&t, &p, LS_PROFILE_CPU, LS_OBJ_MLM, 1e-3f, 1);
    T_CHECK(c.steps == 1500 && c.eval_every == 150 && c.warmup == 150 && m.steps == 700 && m.eval_every == 70 && m.warmup == 70 &&
                c.patience == ARM_PATIENCE && m.patience == ARM_PATIENCE,
            "caps: classifier %lld steps (validation every %lld), LM %lld steps (every %lld)", (long long)c.steps,
            (long long)c.eval_every, (long long)m.steps, (long long)m.eval_every);
}

/* keys: a record's key is the same before and after ls_train_io was split off ls_train_cfg (the
   three keys below were printed by the code before the split), so committed records stay valid; and
   a setting that decides the numbers changes the key while a file path or the quiet flag cannot */
static void test_keys(void) {
    ls_train_cfg tc = ls_train_cfg_default();
    tc.objective = LS_OBJ_MLM; tc.steps = 1234; tc.batch = 12; tc.accum = 3; tc.warmup = 77;
    tc.sched = 1; tc.lr = 3e-3f; tc.wd = 0.02f; tc.ssm_lr = 1e-3f; tc.clip = 0.5f; tc.mask_ratio = 0.2f;
    tc.mask_id = 5; tc.eval_every = 123; tc.eval_max = 200; tc.patience = 3; tc.select = 2; tc.seed = 42;
    rp_run r = {.table = "t", .label = "l", .model = ls_config_default(LS_ARCH_S4D, 260, 512), .train = tc,
                .data_key = "golden key", .init_hash = 0x1234, .ckpt_every = 61, .quiet = 1};
    uint64_t h1 = rp_run_hash(&r);
    r.ckpt_every = 0; r.quiet = 0; r.label = "another label"; r.table = "u";
    uint64_t h2 = rp_run_hash(&r);
    rp_run d = {.model = r.model, .train = ls_train_cfg_default(), .data_key = "golden key"};
    uint64_t h3 = rp_run_hash(&d);
    T_CHECK(h1 == 0xe258c8ffb9cc69ecull && h2 == 0x6a33dabdb501b2bbull && h3 == 0x93fec12ba1f887abull,
            "keys as before the training settings were split from the run's files: %016llx %016llx %016llx",
            (unsigned long long)h1, (unsigned long long)h2, (unsigned long long)h3);
    int moved = 1;
    for (int f = 0; f < 17; f++) {   /* each field of ls_train_cfg, one at a time */
        ls_train_cfg c = tc;
        switch (f) {
        case 0: c.objective = LS_OBJ_CLM; break;   case 1: c.steps++; break;      case 2: c.batch++; break;
        case 3: c.accum++; break;                  case 4: c.warmup++; break;     case 5: c.sched = 0; break;
        case 6: c.lr *= 2; break;                  case 7: c.wd *= 2; break;      case 8: c.ssm_lr *= 2; break;
        case 9: c.clip *= 2; break;                case 10: c.mask_ratio *= 2; break; case 11: c.mask_id++; break;
        case 12: c.eval_every++; break;            case 13: c.eval_max++; break;  case 14: c.patience++; break;
        case 15: c.select = 1; break;              default: c.seed++; break;
        }
        rp_run x = r;
        x.train = c;
        moved &= rp_run_hash(&x) != h2;
    }
    T_CHECK(moved, "every field of ls_train_cfg enters the key");
}

/* records: the cache lives under rp_set_root's directory; in records-only mode nothing trains (a
   missing run is an error naming it, and leaves no file behind), a finished record is read, and an
   SPT arm whose pretraining and fine-tuning records are both finished needs no .model */
static void test_records(void) {
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd) || chdir(t_tmpdir())) { T_CHECK(0, "records: cannot enter the temporary directory"); return; }
    static toy x;
    toy_make(&x, 3, 6);
    ls_dataset d = x.d;
    ls_config mc = x.mc, lm = mc;
    lm.head = LS_HEAD_LM;
    ls_train_cfg tc = ls_train_cfg_default(), pc;
    tc.steps = 6; tc.batch = 4; tc.warmup = 1; tc.eval_every = 3; tc.seed = 11;
    pc = tc; pc.objective = LS_OBJ_MLM; pc.mask_id = 5; pc.mask_ratio = 0.3f;
    rp_set_root("rec");
    rp_run r = {.table = "t", .label = "records test", .model = mc, .train = tc, .data_key = "toy data", .quiet = 1};
    rp_result a, b;
    char err[LS_ERRLEN] = "", txt[720];
    int rc0 = rp_run_train(&r, &d, &d, &d, &a, err);
    rp_path(txt, sizeof txt, "t", a.hash, ".txt");
    T_CHECK(rc0 == 0 && strncmp(txt, "rec/t/", 6) == 0 && access(txt, F_OK) == 0, "records: a run's record goes under the root (%s) %s", txt, err);
    {   /* the record names the machine: a line "cpu <rp_cpu_name()>", which the reader skips */
        char want[200], line[512];
        int has = 0;
        snprintf(want, sizeof want, "cpu %s\n", rp_cpu_name());
        FILE *f = fopen(txt, "r");
        while (f && fgets(line, sizeof line, f)) has |= !strcmp(line, want);
        if (f) fclose(f);
        T_CHECK(has && strlen(rp_cpu_name()) > 0, "records: the record has the line %.*s", (int)strlen(want) - 1, want);
    }
    rp_set_records_only(1);
    int rc1 = rp_run_train(&r, &d, &d, &d, &b, err);
    T_CHECK(rc1 == 0 && b.cached && b.test == a.test, "records-only: a finished record is read back %s", err);
    r.train.seed = 12;
    err[0] = 0;
    int rc2 = rp_run_train(&r, &d, &d, &d, &b, err);
    char lock[720];
    rp_path(lock, sizeof lock, "t", rp_run_hash(&r), ".lock");
    T_CHECK(rc2 == -1 && strstr(err, "no record") && strstr(err, "rec/t/") && access(lock, F_OK) != 0,
            "records-only: a missing run is an error naming its record, nothing trains (%s)", err);
    /* an SPT arm: train both phases, remove the saved parameters, read the arm back */
    rp_set_records_only(0);
    arm_spec s = {.prog = "test", .table = "t", .label = "toy", .data_key = "toy data", .cls = mc, .lm = lm, .ft = tc,
                  .pt = pc, .train = &d, .val = &d, .test = &d, .lm_train = &d, .lm_val = &d, .spt = 1, .quiet = 1};
    arm_out o1, o2;
    int rc3 = arm_run(&s, &o1);
    char model[720];
    rp_path(model, sizeof model, "t", o1.pt.hash, ".model");
    int had_model = access(model, F_OK) == 0;
    remove(model);
    rp_set_records_only(1);
    int rc4 = arm_run(&s, &o2);
    rp_set_records_only(0);
    T_CHECK(rc3 == 0 && had_model && rc4 == 0 && o2.pt.cached && o2.ft.cached && o2.ft.test == o1.ft.test && fabs(o2.pt.val_loss - o1.pt.val_loss) < 1e-6,
            "records: an SPT arm with both records finished is read back without its .model (rc %d %d, model %d, cached %d %d, test %.3f)", rc3, rc4, had_model, o2.pt.cached, o2.ft.cached, o2.ft.test);
    /* arm_recorded: the SPT arm above has both records, a scratch arm once arm_run made its; an
       arm whose pretraining (another seed) or run is unrecorded has not */
    arm_spec s2 = s, s3 = s;
    s2.spt = 0;
    s3.pt.seed = 99;
    int seen1 = arm_recorded(&s), before = arm_recorded(&s2), rc7 = arm_run(&s2, &o2);
    int seen2 = !before && rc7 == 0 && arm_recorded(&s2), seen3 = arm_recorded(&s3);
    s2.ft.seed = 98;
    int seen4 = arm_recorded(&s2);
    T_CHECK(seen1 && seen2 && !seen3 && !seen4, "records: arm_recorded sees an arm's finished records (SPT %d, scratch %d) "
            "and misses an unrecorded pretraining (%d) or run (%d)", seen1, seen2, seen3, seen4);
    rp_run pr = {.table = "t", .label = "records test", .model = lm, .train = pc, .data_key = "toy data", .save_model = 1,
                 .ckpt_every = pc.eval_every};   /* arm_run's pretraining: a checkpoint at each validation */
    rp_set_records_only(1);
    err[0] = 0;
    int rc5 = rp_run_train(&pr, &d, &d, NULL, &b, err), rc6 = rp_run_peek(&pr, &b);
    rp_set_records_only(0);
    T_CHECK(rc5 == -1 && strstr(err, ".model") && rc6 == 0 && b.hash == o1.pt.hash,
            "records-only: a pretraining whose .model is gone cannot seed a fine-tuning (%s), but its record can be peeked", err);
    rp_set_root(NULL);
    if (chdir(cwd)) T_CHECK(0, "records: cannot return to %s", cwd);
}

/* the LaTeX of a table is never shrunk: a narrow table is a plain float at body size, a wide one
   turns sideways, a wider one also wraps its cells; the caption is the title, the run details and
   notes follow it */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}
/* the wrapped table x (nc columns) fits: each p{} width (a fraction of the 718 pt sideways line)
   holds its column's widest word and each line of its header as rp__tex_head broke it (rp__pt),
   and the widths with their 12 pt padding fill no more than the line */
static int tex_wrap_fits(const char *x, int nc, const char *const *head, const char *const *row,
                         char *msg, size_t cap) {
    const char *p = x;
    double w[16], sum = 0;
    for (int c = 0; c < nc; c++) {
        p = strstr(p, "p{");
        if (!p || sscanf(p, "p{%lf", &w[c]) != 1) { snprintf(msg, cap, "column %d: no p{} width", c); return 0; }
        w[c] *= 718.0;
        sum += w[c] + 12.0;
        p += 2;
        double need = rp__widest_word_pt(head[c]), cell = rp__widest_word_pt(row[c]);
        if (cell > need) need = cell;
        if (w[c] + 0.5 < need) { snprintf(msg, cap, "column %d: %.1f pt < its widest word %.1f pt", c, w[c], need); return 0; }
    }
    if (sum > 718.0 + 1.0) { snprintf(msg, cap, "columns and padding %.1f pt > 718 pt", sum); return 0; }
    /* the header lines: "\begin{tabular}[b]{@{}c@{}}" line "\\" line ... "\end{tabular}" */
    const char *h = strstr(x, "\\toprule");
    for (int c = 0; c < nc && h; c++) {
        h = strstr(h, "{@{}c@{}}");
        if (!h) break;
        h += strlen("{@{}c@{}}");
        const char *end = strstr(h, "\\end{tabular}");
        while (h < end) {
            const char *br = strstr(h, "\\\\");
            const char *e = br && br < end ? br : end;
            double lw = rp__pt(h, (size_t)(e - h));
            if (lw > w[c] + 0.5) { snprintf(msg, cap, "column %d: header line '%.*s' %.1f pt > %.1f pt", c, (int)(e - h), h, lw, w[c]); return 0; }
            h = e == end ? end : e + 2;
        }
    }
    snprintf(msg, cap, "%d columns, %.0f of 718 pt", nc, sum);
    return 1;
}

static void test_tex(void) {
    char dir[700], path[760], err[LS_ERRLEN] = "";
    snprintf(dir, sizeof dir, "%s/tex", t_tmpdir());
    const char *head[9] = {"model", "ListOps", "Text (IMDb bytes)", "Retrieval", "Image", "Pathfinder", "Path-X", "Avg", "Avg 6"};
    const char *narrow_row[3] = {"S4D", "61.2 ± 1.0", "70.1"}, *wide_row[9] = {"Transformer + SPT", "61.2 ± 1.0 †", "70.1 ± 0.3",
        "52.0 ± 0.1", "81.4 ± 0.9", "50.2 ± 0.0", "✗ (cost)", "55.1", "54.0"};
    int kinds[3] = {0, 0, 0}, small = 0, resize = 0, caption = 0, wrap_fits = 0;
    char wrap_msg[256] = "";
    for (int k = 0; k < 3; k++) {
        rp_table t;
        int nc = k == 0 ? 3 : 9;
        rp_table_init(&t, "Accuracy", nc, head, RP_TEX);
        const char *row[9];
        for (int c = 0; c < nc; c++) row[c] = k == 0 ? narrow_row[c] : wide_row[c];
        if (k == 2) { row[0] = "published: S4 (updated), S4 Table 4/10 [C]"; row[6] = "✗ (cost: 9.15 s/step, 57m06s projected)"; }
        rp_table_row(&t, row);
        rp_caption(&t, LS_PROFILE_SMOKE, "1", 1, "cap 8", 1.0, "sizes");
        rp_table_note(&t, "a note");
        rp_table *tp = &t;
        char name[16]; snprintf(name, sizeof name, "t%d", k);
        if (rp_write(dir, name, &tp, 1, err)) { T_CHECK(0, "tex: rp_write failed: %s", err); rp_table_free(&t); return; }
        rp_table_free(&t);
        snprintf(path, sizeof path, "%s/%s.tex", dir, name);
        const char *x = slurp(path);
        if (!x) { T_CHECK(0, "tex: %s not written", path); return; }
        kinds[k] = strstr(x, "\\begin{sidewaystable}") ? (strstr(x, "p{") ? 2 : 1) : strstr(x, "\\begin{table}") ? 0 : -1;
        small |= strstr(x, "\\small\n\\begin{tabular}") != NULL || strstr(x, "footnotesize\n\\begin{tabular}") != NULL;
        resize |= strstr(x, "resizebox") != NULL;
        const char *cap = strstr(x, "\\caption{Accuracy}"), *run = strstr(x, "Run: "), *note = strstr(x, "a note");
        caption += cap && run && note && cap < run && run < note;
        if (k == 2) wrap_fits = tex_wrap_fits(x, nc, head, row, wrap_msg, sizeof wrap_msg);
    }
    /* characters: a mapped Greek letter becomes math; one pdflatex cannot set becomes "?" with a
       message naming it, so the paper still builds */
    rp_table t;
    rp_table_init(&t, "Greek", 3, head, RP_TEX);
    const char *greek[3] = {"ζ^(i/512)", "ж", "plain"};
    rp_table_row(&t, greek);
    rp_table *tp = &t;
    t_stderr_begin();
    int wr = rp_write(dir, "greek", &tp, 1, err);
    const char *said = t_stderr_end();
    int told = strstr(said, "'ж'") != NULL;
    rp_table_free(&t);
    snprintf(path, sizeof path, "%s/greek.tex", dir);
    const char *g = slurp(path);
    T_CHECK(wr == 0 && g && strstr(g, "$\\zeta$") && strstr(g, "?") && !strstr(g, "ж") && told,
            "tex: ζ becomes $\\zeta$, a character without LaTeX becomes '?' with a message naming it");
    T_CHECK(kinds[0] == 0 && kinds[1] == 1 && kinds[2] == 2 && !small && !resize && caption == 3,
            "tex: narrow table in a float (%d), wide one sideways (%d), wider one wrapped (%d); never resized or set small; caption = title, run details and notes after it (%d of 3)",
            kinds[0], kinds[1], kinds[2], caption);
    T_CHECK(wrap_fits, "tex: a wrapped table's p columns hold their widest word and every header line, and fill "
            "the page's width: %s", wrap_msg);
}

/* under a file-size limit (ulimit -f) a table or a cached row that does not fit fails with an
   error naming the file, instead of SIGXFSZ killing the program without a word (in a child) */
static void test_write_limit(void) {
    char dir[300];
    snprintf(dir, sizeof dir, "%.280s/limit", t_tmpdir());
    rp_mkdirs(dir);
    int fds[2];
    if (pipe(fds)) { T_CHECK(0, "write limit: pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct rlimit rl = {1024, 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        const char *head[2] = {"model", "accuracy"};
        rp_table t;
        rp_table_init(&t, "Limit", 2, head, RP_MD);
        for (int i = 0; i < 200; i++) rp_table_rowf(&t, "model %d\t%d.0", i, i);
        rp_table *tp = &t;
        char e1[LS_ERRLEN] = "", e2[LS_ERRLEN] = "";
        int bad_table = rp_write(dir, "limit", &tp, 1, e1) == -1 && strstr(e1, "limit.md") && strstr(e1, "File too large");
        double v[400];
        for (int i = 0; i < 400; i++) v[i] = 1.0 / 3.0;
        rp_set_root(dir);
        int bad_row = rp_row_put("rows", 42, v, 400, e2) == -1 && strstr(e2, ".row") && strstr(e2, "File too large");
        char both[2 * LS_ERRLEN + 4];   /* one write: the parent reads once */
        snprintf(both, sizeof both, "%s | %s", e1, e2);
        if (write(fds[1], both, strlen(both) + 1) < 0) _exit(3);
        _exit(bad_table && bad_row ? 0 : 1);
    }
    close(fds[1]);
    char msg[2 * LS_ERRLEN + 4];
    t_read_all(fds[0], msg, sizeof msg);   /* until the child closes its end */
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "under a 1 KB file-size limit a table and a cached row fail with a message naming the file (child %s): %s",
            WIFSIGNALED(status) ? (WTERMSIG(status) == SIGXFSZ ? "killed by SIGXFSZ" : "killed") : "exited", msg);
}

/* the cost table's two readers: rp_parse_secs inverts rp_fmt_secs (whole seconds below an hour,
   whole minutes above) and refuses what it did not print; rp_runs_secs sums the wall_s of the run
   records in a directory and nothing else */
static void test_secs(void) {
    int ok = 1;
    char b[32];
    for (int x = 0; x < 3600; x += 7) { rp_fmt_secs(x, b, sizeof b); ok &= rp_parse_secs(b) == x; }
    for (int x = 3600; x < 200000; x += 60 * 37) {
        rp_fmt_secs(x + 59.9, b, sizeof b);
        ok &= rp_parse_secs(b) == x;
    }
    T_CHECK(ok, "rp_parse_secs(rp_fmt_secs(x)) == x: every 7 s below an hour, whole minutes above");
    static const char *const bad[] = {"", "—", "5", "5x", "h", "1h-2m", "3m05", "not generated"};
    int nbad = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) nbad += rp_parse_secs(bad[i]) == -1;
    T_CHECK(nbad == (int)(sizeof bad / sizeof bad[0]), "rp_parse_secs refuses %d of %d malformed texts",
            nbad, (int)(sizeof bad / sizeof bad[0]));
    char dir[700], absent[720], path[760];
    snprintf(dir, sizeof dir, "%s/secs/runs", t_tmpdir());
    snprintf(absent, sizeof absent, "%s/secs/absent", t_tmpdir());
    T_CHECK(rp_mkdirs(dir) == 0, "mkdir %s", dir);
    static const char *const files[][2] = {
        {"a.txt", "hash a seed 1 val 0.5 test 0.5 loss 1 steps 10 wall_s 100.5 tok_s 1\n"},
        {"b.txt", "hash b seed 2 val 0.5 test 0.5 loss 1 steps 10 wall_s 20.25 tok_s 1\n"},
        {"d.txt.tmp", "hash d seed 3 wall_s 1000 tok_s 1\n"},   /* a write in flight */
        {"c.txt", "a torn record without its fields\n"}};  /* not counted */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        if (f) { fputs(files[i][1], f); fclose(f); }
    }
    int n = -1, n2 = -1;
    double s = rp_runs_secs(dir, &n), none = rp_runs_secs(absent, &n2);
    T_CHECK(fabs(s - 120.75) < 1e-9 && n == 2, "rp_runs_secs sums the two records' wall_s: %g s over %d (want 120.75 over 2)", s, n);
    T_CHECK(none == -1 && n2 == 0, "rp_runs_secs of a missing directory: -1 (got %g)", none);
    /* rp_runs_cpus tallies the cpu lines of the same records; one without the line is counted
       as such, the torn record and the write in flight not at all */
    static const char *const cpu_files[][2] = {
        {"e.txt", "hash e seed 4 val 0.5 test 0.5 loss 1 steps 10 wall_s 1 tok_s 1\ndata d\nmodel m\nversion v\ncpu Chip A, family 1 model 2\n"},
        {"f.txt", "hash f seed 5 val 0.5 test 0.5 loss 1 steps 10 wall_s 1 tok_s 1 diverged 1\ndiverged: cpu went NaN\ndata d\ncpu Chip B\n"},
        {"g.txt", "hash g seed 6 val 0.5 test 0.5 loss 1 steps 10 wall_s 1 tok_s 1\ncpu Chip A, family 1 model 2\n"},
        {"h.txt.tmp", "hash h seed 7 wall_s 1 tok_s 1\ncpu Chip C\n"}};
    for (size_t i = 0; i < sizeof cpu_files / sizeof cpu_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cpu_files[i][0]);
        FILE *f = fopen(path, "w");
        if (f) { fputs(cpu_files[i][1], f); fclose(f); }
    }
    char cpus[256], small[12];
    int nc = rp_runs_cpus(dir, cpus, sizeof cpus), nabs = rp_runs_cpus(absent, small, sizeof small);
    int nsmall = rp_runs_cpus(dir, small, sizeof small);
    T_CHECK(nc == 5 && !strcmp(cpus, "Chip A, family 1 model 2: 2 runs; Chip B: 1 run; no cpu line: 2 runs") && !strstr(cpus, "Chip C") && !strstr(cpus, "NaN"),
            "rp_runs_cpus tallies the records' machines: %d records, \"%s\"", nc, cpus);
    char many[720];   /* nine machines: eight named, the ninth counted as another */
    snprintf(many, sizeof many, "%s/secs/many", t_tmpdir());
    T_CHECK(rp_mkdirs(many) == 0, "mkdir %s", many);
    for (int i = 0; i < 9; i++) {
        snprintf(path, sizeof path, "%s/r%d.txt", many, i);
        FILE *f = fopen(path, "w");
        if (f) { fprintf(f, "hash %d seed 1 val 0.5 test 0.5 loss 1 steps 1 wall_s 1 tok_s 1\ncpu Chip %d\n", i, i); fclose(f); }
    }
    char tally[512];
    int nm = rp_runs_cpus(many, tally, sizeof tally);
    T_CHECK(nm == 9 && strstr(tally, "Chip 0: 1 run; ") && strstr(tally, "Chip 7: 1 run; other CPUs: 1 run") && !strstr(tally, "Chip 8"),
            "rp_runs_cpus names the first eight machines in sorting order and counts the ninth as another: \"%s\"", tally);
    T_CHECK(nabs == -1 && nsmall == 5 && strlen(small) == sizeof small - 1,
            "rp_runs_cpus: -1 for a missing directory (%d), a short buffer is cut, not overrun (\"%s\")", nabs, small);
}

void suite_report(void) {
    test_plans();
    test_subsets();
    test_unigram();
    test_plateau();
    test_flags();
    test_cache();
    test_diverged();
    test_rows();
    test_caps();
    test_keys();
    test_table_kills();
    test_records();
    test_tex();
    test_write_limit();
    test_secs();
}
