/* experiments/cli.h - what every table program of the report shares before any model or task:
   its command line, the cache root of its profile, the overall progress line, the seed list.

   Include it (or arms.h, which includes it) once, in a table program, after defining
       #define LONGSEQ_IMPLEMENTATION
       #define REPORT_IMPLEMENTATION
   Programs that train on LRA tasks include arms.h, which adds the plans, the arms and the data;
   the related-findings tables (depth, length_extrapolation, position_probe, arch_scaling) need
   only this. Everything is static: one program, one translation unit. Prefix arm_ (shared with
   arms.h: these are the parts of the protocol that do not depend on a task). */
#ifndef CLI_H
#define CLI_H
#include "report.h"   /* includes longseq.h */
#include <stdlib.h>
#include <string.h>

/* --steps N (every table program): the base step cap of every task instead of the plan's (arm_plan);
   0 = the plan's */
static int64_t arm_steps = 0;

/* The cache root of a profile (results/<profile>/: the quick and cpu records are committed, smoke
   runs stay local) and the records-only mode of `make tables` (rp_set_records_only). */
static inline void arm_setup(int prof, int records) {
    char root[64];
    snprintf(root, sizeof root, "results/%s", ls_profile_name(prof));
    rp_set_root(root);
    rp_set_records_only(records);
}

/* the flags of every table program: ls_cli's standard ones, --fresh, --records, --tasks when tasks
   is not NULL (its default in *tasks), and a program's own flags (more, nmore). 0: go on; otherwise
   the program's exit code + 1 (a bad flag gives 2 + 1 with the reason on stderr, --help 0 + 1).
   quick_ok: the program has a quick profile (only `lra`); the others refuse it. */
/* where the fetched data sets are (--data DIR; experiments/fetch_data.sh fills it): a table that
   loads LRA tasks takes the flag (arm_cli_ex adds it with --tasks; ARM_DATA_FLAG for the others) */
static const char *arm_data_dir = "data";
#define ARM_DATA_FLAG                                                                                   \
    {"data", LS_FLAG_STR, &arm_data_dir, "directory of the fetched data: imdb/, fashion-mnist/, sotu/ " \
                                         "(default data)"}

static inline int arm_cli_ex(const char *prog, const char *what, int argc, char **argv, ls_cli *cli,
                             const char **tasks, int *fresh, const ls_flag *more, int nmore, int quick_ok) {
    memset(cli, 0, sizeof *cli);
    cli->out = "paper/tables";
    *fresh = 0;
    int records = 0, n = 0;
    char err[LS_ERRLEN];
    ls_flag extra[8] = {
        {"fresh", LS_FLAG_BOOL, fresh, "ignore cached runs under results/<profile>/ and retrain them"},
        {"records", LS_FLAG_BOOL, &records, "never train: print the table from the finished records "
                                            "under results/<profile>/ (an error names a missing one)"}};
    n = 2;
    if (tasks) {
        extra[n++] = (ls_flag){"tasks", LS_FLAG_STR, tasks, "comma-separated subset of listops, text, "
                               "retrieval(-easy), image, pathfinder(-easy), pathx"};
        extra[n++] = (ls_flag)ARM_DATA_FLAG;
    }
    for (int i = 0; i < nmore && n < 8; i++) extra[n++] = more[i];
    int rc = ls_cli_parse(cli, argc, argv, extra, n, what, err);
    if (rc < 0) fprintf(stderr, "%s: %s\n", prog, err);
    if (rc == 0 && cli->profile == LS_PROFILE_QUICK && !quick_ok) {
        fprintf(stderr, "%s: --profile quick: only the lra table has a quick profile (use smoke, cpu or "
                "paper)\n", prog);
        return 3;
    }
    if (rc == 0 && records && *fresh) {
        fprintf(stderr, "%s: --records and --fresh contradict each other\n", prog);
        return 3;
    }
    if (rc == 0 && !*arm_data_dir) {
        fprintf(stderr, "%s: --data: the directory name is empty\n", prog);
        return 3;
    }
    if (rc == 0) { arm_steps = cli->steps; arm_setup(cli->profile, records); }
    return rc ? (rc < 0 ? 2 : 0) + 1 : 0;
}
static inline int arm_cli(const char *prog, const char *what, int argc, char **argv, ls_cli *cli,
                          const char **tasks, int *fresh) {
    return arm_cli_ex(prog, what, argc, argv, cli, tasks, fresh, NULL, 0, 0);
}

/* The overall progress of a table program: "run k of N", elapsed time and an ETA for the whole table
   on stderr after each run, besides ls_train's per-run lines. The ETA is the mean wall time of the
   runs trained so far in this process times the runs left (cached runs count as free, so it is a
   guess until a few runs have trained). arm_progress_label prefixes a run label with "[k/N]". */
static struct { const char *prog; int k, n, trained, quiet; double t0, trained_s; } arm_prog;
static inline void arm_progress_begin(const char *prog, int n, int quiet) {
    arm_prog.prog = prog; arm_prog.k = 0; arm_prog.n = n; arm_prog.trained = 0; arm_prog.quiet = quiet;
    arm_prog.t0 = ls_now(); arm_prog.trained_s = 0;
}
static inline void arm_progress_label(char *buf, size_t cap, const char *label) {
    snprintf(buf, cap, "[%d/%d] %s", arm_prog.k + 1, arm_prog.n, label);
}
static inline void arm_progress_done(int cached, double wall_s) {
    arm_prog.k++;
    if (!cached) { arm_prog.trained++; arm_prog.trained_s += wall_s; }
    if (arm_prog.quiet || !arm_prog.prog) return;
    char el[32], eta[32] = "-";
    rp_fmt_secs(ls_now() - arm_prog.t0, el, sizeof el);
    if (arm_prog.trained) rp_fmt_secs(arm_prog.trained_s / arm_prog.trained * (arm_prog.n - arm_prog.k), eta, sizeof eta);
    fprintf(stderr, "%s: run %d of %d %s · elapsed %s · ETA %s\n", arm_prog.prog, arm_prog.k, arm_prog.n,
            cached ? "(cached)" : "done", el, arm_prog.k >= arm_prog.n ? "0s" : eta);
}

/* "1,2" for seeds base..base+n-1 */
static inline void arm_seeds(char *buf, size_t cap, uint64_t base, int n) {
    buf[0] = 0;
    for (int s = 0; s < n; s++) { size_t k = strlen(buf); snprintf(buf + k, cap - k, "%s%llu", s ? "," : "", (unsigned long long)(base + (uint64_t)s)); }
}

#endif /* CLI_H */
