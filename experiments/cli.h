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
#ifdef LS_MPI
#include <fcntl.h>    /* open, dup2: pass 1 silences stdout */
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>

/* --steps N (every table program): the base step cap of every task instead of the plan's
   (arm_plan); 0 = the plan's */
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
#define ARM_DATA_FLAG                                                                  \
    {.name = "data", .type = LS_FLAG_STR, .ptr = &arm_data_dir,                        \
     .help = "directory of the fetched data: imdb/, fashion-mnist/, sotu/ (default data)"}

/* --ranks-per-run R: under `mpirun -np K`, the table's runs go to K / R groups of R ranks (the MPI
   build, `make MPI=1`; arm__mpi_passes below). 0 = not given (1 rank per run). */
static int64_t arm_ranks_per_run = 0;
#ifdef LS_MPI
static int arm__mpi_passes(const char *prog, int argc, char **argv, ls_cli *cli, int *fresh);
#endif

static inline int arm_cli_ex(const char *prog, const char *what, int argc, char **argv, ls_cli *cli,
                             const char **tasks, int *fresh, const ls_flag *more, int nmore,
                             int quick_ok) {
    memset(cli, 0, sizeof *cli);
    cli->out = "paper/tables";
    *fresh = 0;
    arm_ranks_per_run = 0;
    int records = 0, n = 0;
    char err[LS_ERRLEN];
    ls_flag extra[10] = {
        {.name = "fresh", .type = LS_FLAG_BOOL, .ptr = fresh,
         .help = "ignore cached runs under results/<profile>/ and retrain them"},
        {.name = "records", .type = LS_FLAG_BOOL, .ptr = &records,
         .help = "never train: print the table from the finished records under results/<profile>/ "
                 "(an error names a missing one)"},
        {.name = "ranks-per-run", .type = LS_FLAG_INT, .ptr = &arm_ranks_per_run,
         .help = "under mpirun -np K (an MPI build, make MPI=1): R ranks train each run, K/R runs "
                 "at a time (1)"}};
    n = 3;
    if (tasks) {
        extra[n++] = (ls_flag){.name = "tasks", .type = LS_FLAG_STR, .ptr = tasks,
                               .help = "comma-separated subset of listops, text, retrieval(-easy), "
                                       "image, pathfinder(-easy), pathx"};
        extra[n++] = (ls_flag)ARM_DATA_FLAG;
    }
    for (int i = 0; i < nmore && n < 10; i++) extra[n++] = more[i];
    int rc = ls_cli_parse(cli, argc, argv, extra, n, what, err);
    if (rc < 0) fprintf(stderr, "%s: %s\n", prog, err);
    if (rc == 0 && cli->profile == LS_PROFILE_QUICK && !quick_ok) {
        fprintf(stderr, "%s: --profile quick: only the lra table has a quick profile (use smoke, "
                "cpu or paper)\n", prog);
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
#ifdef LS_MPI
    if (rc == 0) return arm__mpi_passes(prog, argc, argv, cli, fresh);
#else
    if (rc == 0 && arm_ranks_per_run) {
        fprintf(stderr, "%s: --ranks-per-run %lld: this program was built without MPI (build it "
                "with `make MPI=1` and start it with mpirun -np K)\n", prog,
                (long long)arm_ranks_per_run);
        return 3;
    }
#endif
    return rc ? (rc < 0 ? 2 : 0) + 1 : 0;
}
static inline int arm_cli(const char *prog, const char *what, int argc, char **argv, ls_cli *cli,
                          const char **tasks, int *fresh) {
    return arm_cli_ex(prog, what, argc, argv, cli, tasks, fresh, NULL, 0, 0);
}

/* The overall progress of a table program: "run k of N", elapsed time and an ETA for the whole
   table on stderr after each run, besides ls_train's per-run lines. The ETA is the mean wall time
   of the runs trained so far in this process times the runs left (cached runs count as free, so it
   is a guess until a few runs have trained). arm_progress_label prefixes a run label with
   "[k/N]". */
static struct { const char *prog; int k, n, trained, quiet; double t0, trained_s; } arm_prog;
static inline void arm_progress_begin(const char *prog, int n, int quiet) {
    arm_prog.prog = prog; arm_prog.k = 0; arm_prog.n = n; arm_prog.trained = 0;
    arm_prog.quiet = quiet; arm_prog.t0 = ls_now(); arm_prog.trained_s = 0;
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
    if (arm_prog.trained)
        rp_fmt_secs(arm_prog.trained_s / arm_prog.trained * (arm_prog.n - arm_prog.k), eta,
                    sizeof eta);
    fprintf(stderr, "%s: run %d of %d %s · elapsed %s · ETA %s\n", arm_prog.prog, arm_prog.k,
            arm_prog.n, cached ? "(cached)" : "done", el, arm_prog.k >= arm_prog.n ? "0s" : eta);
}

/* "1,2" for seeds base..base+n-1 */
static inline void arm_seeds(char *buf, size_t cap, uint64_t base, int n) {
    buf[0] = 0;
    for (int s = 0; s < n; s++) {
        size_t k = strlen(buf);
        snprintf(buf + k, cap - k, "%s%llu", s ? "," : "",
                 (unsigned long long)(base + (uint64_t)s));
    }
}

#ifdef LS_MPI
/* Run-parallel tables (MPI builds). Started by mpirun -np K, the program runs twice (report.h,
   "Run-parallel tables", says why that gives the same table as one process):
     pass 1  every rank: groups of R ranks walk the program, each training the runs no other group
             has taken (the cache's lock files decide); no table is written, stdout is silenced.
             It is main() called once more from here, while the outer main() waits in this call.
     pass 2  rank 0 alone, after MPI_Finalize: the program as one process; it reads every run from
             the cache and writes the table. The other ranks exit.
   Started without mpirun (no MPI launcher in the environment) it is a lone process, as without
   MPI. Returns arm_cli_ex's code: 0 to run the program (pass 1, or pass 2 on rank 0). */
static struct { int depth; } arm__mpi;

/* a rank that leaves during pass 1 (an error exit) would leave the others waiting: end the job */
static void arm__mpi_atexit(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    if (init) MPI_Finalized(&fin);
    if (!init || fin) return;
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    fprintf(stderr, "rank %d exited during the run-parallel pass; ending the MPI job (the runs it "
            "finished are cached: rerun to continue)\n", r);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static int arm__mpi_launched(void) {   /* started by mpirun (Open MPI, or a PMI launcher) */
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int main(int argc, char **argv);   /* the table program's own: pass 1 calls it (legal in C) */

static int arm__mpi_passes(const char *prog, int argc, char **argv, ls_cli *cli, int *fresh) {
    if (arm__mpi.depth > 0) return 0;   /* inside pass 1: run the program */
    if (!arm__mpi_launched()) {
        if (arm_ranks_per_run > 1) {
            fprintf(stderr, "%s: --ranks-per-run %lld: this is one process (start the program with "
                    "mpirun -np K, K a multiple of %lld)\n", prog, (long long)arm_ranks_per_run,
                    (long long)arm_ranks_per_run);
            return 3;
        }
        return 0;
    }
    MPI_Init(NULL, NULL);
    atexit(arm__mpi_atexit);
    int me, K, bad = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &K);
    int64_t R = arm_ranks_per_run ? arm_ranks_per_run : 1;
    if (R < 1 || R > K || K % R) {
        if (me == 0)
            fprintf(stderr, "%s: --ranks-per-run %lld: the job's %d ranks cannot form groups of "
                    "%lld (use a divisor of %d)\n", prog, (long long)R, K, (long long)R, K);
        bad = 1;
    } else if (*fresh && K > R) {
        if (me == 0)
            fprintf(stderr, "%s: --fresh with %d groups of ranks: each group would retrain every "
                    "run; run it with one group, or delete %s/ first\n", prog, K / (int)R,
                    rp_root());
        bad = 1;
    }
    if (bad) { MPI_Finalize(); return 3; }
    /* threads: the node's cores shared among its ranks, unless --threads says otherwise */
    MPI_Comm node;
    int local = 1;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, me, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
    if (!cli->threads) ls_set_threads(ls_get_threads() / local > 0 ? ls_get_threads() / local : 1);
    if (K == 1) { MPI_Finalize(); return 0; }   /* mpirun -np 1: one process */
    /* the groups: ranks g R .. g R + R - 1 form group g, which ls_train splits its batches over */
    MPI_Comm group;
    MPI_Comm_split(MPI_COMM_WORLD, me / (int)R, me, &group);
    ls_mpi_set_comm(group);
    fflush(stdout);
    int saved = dup(1), devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 1); close(devnull); }
    if (me == 0)
        fprintf(stderr, "%s: %d ranks, %d groups of %lld: pass 1 trains the runs, then rank 0 "
                "writes the table\n", prog, K, K / (int)R, (long long)R);
    arm__mpi.depth = 1;
    rp_parallel_begin();
    int rc = main(argc, argv);
    rp_parallel_end();
    arm__mpi.depth = 0;
    fflush(stdout);
    if (saved >= 0) { dup2(saved, 1); close(saved); }
    MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    ls_mpi_set_comm(MPI_COMM_NULL);
    MPI_Comm_free(&group);
    MPI_Finalize();
    if (me != 0) exit(rc);
    if (rc) { fprintf(stderr, "%s: pass 1 failed (exit code %d)\n", prog, rc); return rc + 1; }
    *fresh = 0;
    return 0;   /* pass 2: rank 0 runs the program once more, alone, from the cache */
}
#endif

#endif /* CLI_H */
