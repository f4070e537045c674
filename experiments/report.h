/* report.h - v0.1.0 - what every table program of the longseq report shares. MIT licence, as
   longseq.h.

   QUICK START (in the one file that also defines LONGSEQ_IMPLEMENTATION)
         #define REPORT_IMPLEMENTATION
         #include "report.h"
     1. tables:  rp_table t; rp_table_init(&t, "lra", ncol, heads, RP_MD | RP_TEX);
                 rp_table_row(&t, cells); rp_table_note(&t, ...); rp_caption(&t, ...);
                 rp_write(out, "lra", &tp, 1, err);
                 writes <out>/<name>.md, .tex and .csv (each from the tables that ask for that
                 format).
     2. runs:    rp_run r = {.table, .label, .model, .train, .data_key, .init_hash, .save_model,
                             .ckpt_every, .quiet};
                 rp_run_train(&r, train, val, test, &res, err): a finished row is read back from
                 results/<table>/<hash>.txt; an unfinished one trains with its resume checkpoint at
                 results/<table>/<hash>.ckpt, so a killed run resumes where it stopped; its learning
                 curve (one row per validation) goes to results/<table>/<hash>.csv.
     3. anchors: rp_anchor(&t, what, published, source) adds (and prints) a published figure beside
                 ours. Only figures checked against their source paper belong here; name it in
                 `source`.

   THE HASH. 64-bit FNV-1a over the bytes of the model config, the training config with the run's
   checkpoint interval (rp__train_key: the byte layout these had as one struct, so the committed
   records keep their keys), the data key string, the init hash, and RP_CODE_VERSION (the header
   version plus a revision bumped whenever a change alters results). Configs must come from
   ls_config_default / ls_train_cfg_default (which zero the padding bytes). The thread count is not
   hashed: longseq's results are bit-identical for any thread count. Prefix rp_, internals rp__. */
#ifndef REPORT_H
#define REPORT_H
#ifndef LONGSEQ_H
/* first: with LONGSEQ_IMPLEMENTATION it sets _POSIX_C_SOURCE for the system headers */
#include "../longseq.h"
#endif
#include <stdint.h>
#include <stdio.h>

#define RP_CODE_VERSION LS_VERSION "+rp3"   /* bump the rpN part when a change alters any result */
#define RP_MAX_COLS 24
#define RP_RESULTS_DIR "results"   /* the default root of the run cache; rp_set_root changes it */
#define RP_TEX_FLOAT_NOTES 2500   /* notes longer than this (bytes) go below the LaTeX float, not in
                                     it */
enum { RP_MD = 1, RP_TEX = 2, RP_CSV = 4 };

typedef struct rp_table {
    int formats;              /* RP_MD | RP_TEX | RP_CSV: the files this table goes into */
    int ncol, nrow, cap;
    char *head[RP_MAX_COLS];
    char **cell;              /* (nrow, ncol) strings, owned */
    char title[256];
    char caption[2048];       /* the caption line (profile, seeds, threads, steps, wall time,
                                 commit) */
    char notes[8192];         /* lines printed under the table (anchors, definitions) */
} rp_table;
void rp_table_init(rp_table *t, const char *title, int ncol, const char *const *head, int formats);
void rp_table_row(rp_table *t, const char *const *cells);   /* ncol strings ("" for empty) */
void rp_table_rowf(rp_table *t, const char *fmt, ...);      /* one printf line, cells separated by
                                                               '\t' */
void rp_table_note(rp_table *t, const char *fmt, ...);
/* published figure beside ours: one note line, also printed on stdout */
void rp_anchor(rp_table *t, const char *what, const char *published, const char *source);
/* "profile P · seeds S · threads N · steps S · wall W · commit C · machine M" + extra */
void rp_caption(rp_table *t, int profile, const char *seeds, int threads, const char *steps,
                double wall_s, const char *extra);
void rp_table_free(rp_table *t);
int rp_write(const char *out_dir, const char *name, rp_table *const *tabs, int n, char *err);
const char *rp_git_commit(void);                  /* short hash (+"-dirty"), or "unknown" */
void rp_fmt_secs(double s, char *buf, size_t cap); /* 42s, 3m05s, 1h12m */
double rp_parse_secs(const char *s);              /* rp_fmt_secs' text back; -1 if not one */
/* summed wall_s of the run records (<hash>.txt) in dir, *n their count; -1 if dir is unreadable */
double rp_runs_secs(const char *dir, int *n);
/* the CPU this process runs on, "<model name>, family F model M" from /proc/cpuinfo, or "unknown
   CPU"; each run record written keeps it on a line "cpu <name>" */
const char *rp_cpu_name(void);
/* which CPUs the run records in dir name, "<cpu>: N runs; ...; no cpu line: N runs" (records written
   before the line existed have none), into out; the number of records, -1 if dir is unreadable */
int rp_runs_cpus(const char *dir, char *out, size_t cap);
int rp_mkdirs(const char *path);                   /* mkdir -p; 0 or -1 */

/* one training run, cached by the hash of everything that determines its result */
typedef struct rp_run {
    const char *table;        /* results/<table>/ */
    const char *label;        /* progress label */
    ls_config model;
    ls_train_cfg train;       /* everything that decides the numbers (hashed whole) */
    const char *data_key;     /* names the data: task, profile, data seed, sizes */
    uint64_t init_hash;       /* 0, or the hash of a saved run to fine-tune from (LM head
                                 dropped) */
    int save_model;           /* keep the best-validation parameters as <hash>.model */
    int fresh;                /* ignore a cached result */
    int64_t ckpt_every;       /* steps between resume checkpoints (0: only at the end); in the key,
                                 as it was when it lived in ls_train_cfg */
    int quiet;                /* no per-step progress on stderr */
#ifdef LS_MPI
    int may_skip;             /* run-parallel tables: the caller copes with a pending result of a
                                 save_model run (it loads no .model itself), so a group may skip it
                                 while another trains it; not hashed */
#endif
} rp_run;
typedef struct rp_result {
    uint64_t hash, seed;
    double val, test, loss, wall_s, tok_s;
    double val_loss;          /* validation loss at the best validation (NAN for rows cached
                                 before it was kept) */
    int64_t steps, best_step;
    int threads, cached;      /* cached: read back, not trained in this process */
    int diverged;             /* the run's loss, a gradient or a parameter became NaN or infinite:
                                 its numbers are NAN, never a score (records before it was kept:
                                 0) */
} rp_result;
/* rp_run_train and rp_run_peek return this (a positive value: callers testing for non-zero stop,
   as they should for a run with no score) when the run diverged; res->diverged is set and err names
   the step and the tensor. A table prints "diverged" in the cell:
       int rc = rp_run_train(&r, train, val, test, &res, err);
       if (rc < 0) { report err; fail }            // a real error
       cell = res.diverged ? "diverged" : number;  // rc == RP_DIVERGED
   The record is cached like any other (the same settings diverge the same way), --fresh
   retrains. */
#define RP_DIVERGED 1
uint64_t rp_run_hash(const rp_run *r);
void rp_path(char *buf, size_t cap, const char *table, uint64_t hash, const char *ext);
/* 0: a finished row (trained or read back), RP_DIVERGED, or -1 with a message in err */
int rp_run_train(const rp_run *r, const ls_dataset *train, const ls_dataset *val,
                 const ls_dataset *test, rp_result *res, char *err);
/* Rows of numbers for work that is not one rp_run (a custom training loop, an evaluation sweep):
   hash what determines the numbers, h = rp_hash(rp_hash(rp_hash_begin(), &cfg, sizeof cfg), ...),
   then rp_row_get(table, h, v, n) reads results/<table>/<hash>.row (1 when it holds n numbers, 0
   when absent; a malformed file is an error, -1) and rp_row_put writes it atomically (temp +
   rename) once the row is finished. So a killed table program redoes only its unfinished row. */
uint64_t rp_hash_begin(void);                                  /* seeded with RP_CODE_VERSION */
uint64_t rp_hash(uint64_t h, const void *p, size_t n);         /* FNV-1a over n more bytes */
int rp_row_get(const char *table, uint64_t hash, double *v, int n, char *err);
int rp_row_put(const char *table, uint64_t hash, const double *v, int n, char *err);

/* Where the cache lives, and whether it may grow.
   rp_set_root("results/cpu"): every path above becomes <root>/<table>/<hash>.<ext> (the table
   programs keep one root per profile, so the committed records of the quick and cpu profiles never
   mix with seconds-long smoke runs). rp_set_records_only(1): nothing trains; a run or row without a
   finished record is an error naming it ("no record"), so a table re-printed from the committed
   records either has every number or says which one is missing. rp_run_peek reads a finished
   record without training, locking, or needing its .model (0: found, RP_DIVERGED: found
   diverged). */
void rp_set_root(const char *dir);
const char *rp_root(void);
void rp_set_records_only(int on);
int rp_records_only(void);
int rp_run_peek(const rp_run *r, rp_result *res);

#ifdef LS_MPI
/* Run-parallel tables (MPI builds; experiments/cli.h drives it, README "MPI" tells how to run it).
   A table program started by `mpirun -np K` runs twice. In the first pass every group of ranks
   (K / R groups of R = --ranks-per-run ranks, each an MPI communicator that ls_train splits its
   batches over: longseq.h part 6E) walks the whole program, and each unit of work it meets (an
   rp_run_train run, or an rp_row_get row that is not recorded yet) is
     recorded:             read back, as always;
     free:                 claimed with the same lock file a lone process takes, done by this
                           group, recorded, released;
     claimed by a group:   skipped: the call returns at once with NAN numbers (a "pending"
                           result), and the group walks on to the next unit.
   So a group that finishes a unit takes the next free one: the runs are dealt dynamically. Two
   kinds of run are special: one that keeps its .model (save_model) is waited for instead of
   skipped, since what follows may load it (unless the caller sets may_skip, as arm_run does), and
   one that starts from a .model not written yet (init_hash: its pretraining runs elsewhere) is
   skipped.
   The first pass writes no table (rp_write does nothing) and prints nothing on stdout. Then rank 0
   alone runs the program again, as a lone process: every unit is recorded by now, so it only reads
   the cache and writes the table, which is therefore the table one process writes. The cache and
   its locks must be on a file system every rank sees (one machine, or NFS on a cluster). */
void rp_parallel_begin(void);   /* the first pass starts: units are claimed, skipped, waited for */
void rp_parallel_end(void);     /* it ended (locks of unfinished rows are released) */
int rp_parallel(void);          /* 1 during the first pass */
#endif
#endif /* REPORT_H */

#if defined(REPORT_IMPLEMENTATION) && !defined(RP__IMPLEMENTED)
#define RP__IMPLEMENTED
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* vsnprintf: truncation of long paths is fine */
static void rp__err(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, LS_ERRLEN, fmt, ap);
    va_end(ap);
}

/* Writes under a file-size limit (ulimit -f): SIGXFSZ's default action kills the process without a
   word; ignored while report.h writes, the write fails with EFBIG and the error names the file */
static struct sigaction rp__xfsz_old;
static int rp__xfsz_saved;
static void rp__xfsz_begin(void) {
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    rp__xfsz_saved = sigaction(SIGXFSZ, &ign, &rp__xfsz_old) == 0;
}
static void rp__xfsz_end(void) {
    if (rp__xfsz_saved) sigaction(SIGXFSZ, &rp__xfsz_old, NULL);
    rp__xfsz_saved = 0;
}
static const char *rp__why(int e) {
    return e == EFBIG ? "File too large (a file-size limit: see ulimit -f)" : strerror(e);
}

#ifdef LS_MPI
static struct {
    int on;                          /* the first pass of a run-parallel table */
    int nheld;                       /* rows this group claimed and is computing */
    uint64_t held_hash[64];
    int held_fd[64];
} rp__par;
#endif

static char *rp__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)malloc(n);
    if (!p) { fprintf(stderr, "report: out of memory\n"); exit(1); }
    return (char *)memcpy(p, s, n);
}

void rp_table_init(rp_table *t, const char *title, int ncol, const char *const *head, int formats) {
    memset(t, 0, sizeof *t);
    if (ncol > RP_MAX_COLS) ncol = RP_MAX_COLS;
    t->ncol = ncol; t->formats = formats;
    snprintf(t->title, sizeof t->title, "%s", title ? title : "");
    for (int c = 0; c < ncol; c++) t->head[c] = rp__strdup(head[c]);
}

void rp_table_row(rp_table *t, const char *const *cells) {
    if (t->nrow == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cell = (char **)realloc(t->cell, (size_t)t->cap * (size_t)t->ncol * sizeof(char *));
        if (!t->cell) { fprintf(stderr, "report: out of memory\n"); exit(1); }
    }
    for (int c = 0; c < t->ncol; c++)
        t->cell[(size_t)t->nrow * (size_t)t->ncol + (size_t)c] =
            rp__strdup(cells[c] ? cells[c] : "");
    t->nrow++;
}

void rp_table_rowf(rp_table *t, const char *fmt, ...) {
    char line[4096], *cells[RP_MAX_COLS] = {0};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *s = line;
    for (int c = 0; c < t->ncol; c++) {
        cells[c] = s;
        if (s) { s = strchr(s, '\t'); if (s) *s++ = 0; }
    }
    rp_table_row(t, (const char *const *)cells);
}

void rp_table_note(rp_table *t, const char *fmt, ...) {
    size_t n = strlen(t->notes);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->notes + n, sizeof t->notes - n, fmt, ap);
    va_end(ap);
    n = strlen(t->notes);
    if (n + 1 < sizeof t->notes) { t->notes[n] = '\n'; t->notes[n + 1] = 0; }
}

void rp_anchor(rp_table *t, const char *what, const char *published, const char *source) {
    rp_table_note(t, "Published [C]: %s = %s (%s)", what, published, source);
    printf("anchor [C]: %s = %s (%s)\n", what, published, source);
}

void rp_fmt_secs(double s, char *buf, size_t cap) {
    if (s < 60) snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600) snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, cap, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

double rp_parse_secs(const char *s) {
    double total = 0;
    int any = 0;
    while (*s) {
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s || v < 0) return -1;
        if (*e == 'h') total += 3600.0 * v;
        else if (*e == 'm') total += 60.0 * v;
        else if (*e == 's') total += v;
        else return -1;
        s = e + 1;
        any = 1;
    }
    return any ? total : -1;
}

/* every run record in dir (a <hash>.txt whose first line has its wall_s): fn(wall_s, the file
   positioned after that line, arg); the number of records, -1 if dir is unreadable */
static int rp__each_record(const char *dir, void (*fn)(double wall_s, FILE *f, void *arg), void *arg) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".txt")) continue;
        char path[1024], line[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        const char *w = fgets(line, sizeof line, f) ? strstr(line, " wall_s ") : NULL;
        if (w) { fn(atof(w + 8), f, arg); n++; }
        fclose(f);
    }
    closedir(d);
    return n;
}

static void rp__add_secs(double wall_s, FILE *f, void *sum) { (void)f; *(double *)sum += wall_s; }

double rp_runs_secs(const char *dir, int *n) {
    double sum = 0;
    *n = rp__each_record(dir, rp__add_secs, &sum);
    if (*n < 0) { *n = 0; return -1; }
    return sum;
}

const char *rp_cpu_name(void) {
    static char name[160];
    if (name[0]) return name;
    char model[112] = "", fam[16] = "", mod[16] = "", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f) && !(model[0] && fam[0] && mod[0])) {
        char *colon = strchr(line, ':'), *v;
        if (!colon) continue;
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++) {}
        v[strcspn(v, "\r\n")] = 0;
        *colon = 0;
        for (char *e = colon; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--) e[-1] = 0;
        if (!strcmp(line, "model name") && !model[0]) snprintf(model, sizeof model, "%s", v);
        else if (!strcmp(line, "cpu family") && !fam[0]) snprintf(fam, sizeof fam, "%s", v);
        else if (!strcmp(line, "model") && !mod[0]) snprintf(mod, sizeof mod, "%s", v);
    }
    if (f) fclose(f);
    if (!model[0]) snprintf(name, sizeof name, "unknown CPU");
    else if (fam[0] && mod[0])
        snprintf(name, sizeof name, "%s, family %s model %s", model, fam, mod);
    else snprintf(name, sizeof name, "%s", model);
    for (char *c = name; *c; c++) if ((unsigned char)*c < ' ') *c = ' ';
    return name;
}

/* the CPUs named by run records: the RP__MAXCPU first distinct names in sorting order with their
   counts, the records naming any other, and those without a cpu line */
#define RP__MAXCPU 8
typedef struct rp__cpus {
    char names[RP__MAXCPU][160];
    int count[RP__MAXCPU], ncpu, other, none;
} rp__cpus;

static void rp__add_cpu(double wall_s, FILE *f, void *arg) {
    rp__cpus *t = (rp__cpus *)arg;
    char line[512], cpu[160] = "";
    (void)wall_s;
    while (!cpu[0] && fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu ", 4) && line[4] != '\n' && line[4])
            snprintf(cpu, sizeof cpu, "%.*s", (int)strcspn(line + 4, "\r\n"), line + 4);
    if (!cpu[0]) { t->none++; return; }
    int k = 0, hi = 0;
    while (k < t->ncpu && strcmp(t->names[k], cpu)) k++;
    if (k < t->ncpu) { t->count[k]++; return; }
    if (t->ncpu < RP__MAXCPU) {
        snprintf(t->names[t->ncpu], sizeof t->names[0], "%s", cpu);
        t->count[t->ncpu++] = 1;
        return;
    }
    /* full: keep the first names in sorting order, whatever order the directory lists them in */
    for (k = 1; k < t->ncpu; k++) if (strcmp(t->names[k], t->names[hi]) > 0) hi = k;
    if (strcmp(cpu, t->names[hi]) > 0) { t->other++; return; }
    t->other += t->count[hi];
    snprintf(t->names[hi], sizeof t->names[0], "%s", cpu);
    t->count[hi] = 1;
}

int rp_runs_cpus(const char *dir, char *out, size_t cap) {
    rp__cpus t;
    memset(&t, 0, sizeof t);
    if (cap) out[0] = 0;
    const int n = rp__each_record(dir, rp__add_cpu, &t);
    if (n < 0) return -1;
    for (int k = 1; k < t.ncpu; k++)   /* in name order, not the directory's */
        for (int j = k; j > 0 && strcmp(t.names[j - 1], t.names[j]) > 0; j--) {
            char tmp[160];
            int c = t.count[j];
            memcpy(tmp, t.names[j], sizeof tmp); memcpy(t.names[j], t.names[j - 1], sizeof tmp);
            memcpy(t.names[j - 1], tmp, sizeof tmp);
            t.count[j] = t.count[j - 1]; t.count[j - 1] = c;
        }
    size_t at = 0;
    for (int k = 0; k <= t.ncpu + 1 && at < cap; k++) {   /* the names, then other, then none */
        const char *name = k < t.ncpu ? t.names[k] : k == t.ncpu ? "other CPUs" : "no cpu line";
        const int c = k < t.ncpu ? t.count[k] : k == t.ncpu ? t.other : t.none;
        if (c) at += (size_t)snprintf(out + at, cap - at, "%s%s: %d run%s", at ? "; " : "", name, c,
                                      c == 1 ? "" : "s");
    }
    return n;
}

const char *rp_git_commit(void) {
    static char buf[72];   /* a commit line (< 64) and "-dirty" */
    if (buf[0]) return buf;
#ifdef RP_BUILD_COMMIT   /* the Makefile bakes in the commit the program was built from */
    if (RP_BUILD_COMMIT[0]) { snprintf(buf, sizeof buf, "%s", RP_BUILD_COMMIT); return buf; }
#endif
    snprintf(buf, sizeof buf, "unknown");
    FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
    if (!p) return buf;
    char line[64] = "";
    if (fgets(line, sizeof line, p)) line[strcspn(line, "\r\n")] = 0;
    if (pclose(p) == 0 && line[0]) {
        int dirty = system("git diff --quiet HEAD -- 2>/dev/null") != 0;
        snprintf(buf, sizeof buf, "%s%s", line, dirty ? "-dirty" : "");
    }
    return buf;
}

void rp_caption(rp_table *t, int profile, const char *seeds, int threads, const char *steps,
                double wall_s, const char *extra) {
    char w[32];
    rp_fmt_secs(wall_s, w, sizeof w);
    struct rusage ru;
    /* KiB on Linux */
    double rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
    /* "steps 200", or the caller's own words ("caps ...", "budgets ...") when they do not start
       with a digit */
    const char *label = steps[0] >= '0' && steps[0] <= '9' ? "steps " : "";
    snprintf(t->caption, sizeof t->caption, "profile %s · seeds %s · threads %d · %s%s · wall "
             "time of this invocation %s · peak RSS %.0f MiB · commit %s · machine %s%s%s",
             ls_profile_name(profile), seeds, threads, label, steps, w, rss, rp_git_commit(),
             rp_cpu_name(), extra ? " · " : "", extra ? extra : "");
}

void rp_table_free(rp_table *t) {
    for (int c = 0; c < t->ncol; c++) free(t->head[c]);
    for (size_t i = 0; i < (size_t)t->nrow * (size_t)t->ncol; i++) free(t->cell[i]);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

int rp_mkdirs(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(buf, 0755); *p = '/'; }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* writes s with the characters LaTeX treats specially escaped; ± ✗ · − become math,
   – — § text commands */
/* the non-ASCII characters the tables use, and their LaTeX (pdflatex's default fonts have none) */
static const char *const rp__tex_map[][2] = {
    {"±", "$\\pm$"}, {"✓", "$\\surd$"}, {"✗", "$\\times$"}, {"×", "$\\times$"},
    {"·", "$\\cdot$"}, {"–", "--"}, {"—", "---"}, {"−", "$-$"}, {"§", "\\S{}"},
    {"≥", "$\\geq$"}, {"≤", "$\\leq$"}, {"≈", "$\\approx$"}, {"→", "$\\to$"},
    {"…", "\\ldots{}"}, {"†", "$^\\dagger$"}, {"²", "$^2$"}, {"‖", "$\\|$"},
    {"√", "$\\surd$"}, {"α", "$\\alpha$"}, {"β", "$\\beta$"}, {"γ", "$\\gamma$"},
    {"δ", "$\\delta$"}, {"Δ", "$\\Delta$"}, {"θ", "$\\theta$"}, {"κ", "$\\kappa$"},
    {"λ", "$\\lambda$"}, {"Λ", "$\\Lambda$"}, {"ω", "$\\omega$"}, {"σ", "$\\sigma$"},
    {"ζ", "$\\zeta$"}, {"ε", "$\\varepsilon$"}, {"η", "$\\eta$"}, {"μ", "$\\mu$"},
    {"π", "$\\pi$"}, {"ρ", "$\\rho$"}, {"τ", "$\\tau$"}, {"φ", "$\\phi$"}, {"ξ", "$\\xi$"},
    {"∞", "$\\infty$"}};

static void rp__tex(FILE *f, const char *s) {
    while (*s) {
        size_t k, n = sizeof rp__tex_map / sizeof rp__tex_map[0];
        for (k = 0; k < n; k++) {
            size_t len = strlen(rp__tex_map[k][0]);
            if (!strncmp(s, rp__tex_map[k][0], len)) {
                fputs(rp__tex_map[k][1], f);
                s += len;
                break;
            }
        }
        if (k < n) continue;
        if ((unsigned char)*s >= 0x80) {   /* a character pdflatex cannot set: "?", and say so */
            size_t len = 1;
            while (((unsigned char)s[len] & 0xC0) == 0x80) len++;
            fprintf(stderr, "report: no LaTeX for the character '%.*s' in a table: written as '?' "
                    "(add it to rp__tex_map in experiments/report.h)\n", (int)len, s);
            fputc('?', f);
            s += len;
            continue;
        }
        if (*s == '{' || *s == '}') fprintf(f, "\\%c", *s);
        else if (strchr("%&_#$", *s)) fprintf(f, "\\%c", *s);
        else if (*s == '~' || *s == '^') fprintf(f, "\\%c{}", *s);
        else if (*s == '\\') fputs("\\textbackslash{}", f);
        else if (*s == '<' || *s == '>') fprintf(f, "$%c$", *s);
        else if (*s == '|') fputs("$|$", f);
        else fputc(*s, f);
        s++;
    }
}

static void rp__csv(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
    fputc('"', f);
}

static const char *rp__cell(const rp_table *t, int r, int c) {
    return t->cell[(size_t)r * (size_t)t->ncol + (size_t)c];
}

/* display width of a cell in characters (UTF-8 code points; a TeX-mapped symbol is one) */
static int rp__width(const char *s) {
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* the longest word of s (words separated by spaces), in characters */
static int rp__longest_word(const char *s) {
    int best = 0;
    while (*s) {
        size_t k = strcspn(s, " ");
        int w = 0;
        for (size_t j = 0; j < k; j++) w += ((unsigned char)s[j] & 0xC0) != 0x80;
        if (w > best) best = w;
        s += k;
        while (*s == ' ') s++;
    }
    return best;
}

/* estimated width in pt of the k bytes at s in the body's 11 pt Computer Modern, on the generous
   side: the narrowest a wrapping column may be is its longest unbreakable word */
static double rp__pt(const char *s, size_t k) {
    double w = 0;
    for (size_t j = 0; j < k; j++) {
        const unsigned char ch = (unsigned char)s[j];
        if ((ch & 0xC0) == 0x80) continue;                     /* UTF-8 continuation byte */
        if (ch >= 0x80) w += 9;                                 /* ±, ×, −, ✗, ... */
        else if (ch && strchr("@%MWmw", ch)) w += 10;
        else if (ch >= 'A' && ch <= 'Z') w += 8;
        else if (ch == ' ') w += 3.7;
        else if (ch && strchr("ijlrtf.,:;!'|()[]", ch)) w += 3.9;
        else w += 5.8;                                          /* digits, other lower case */
    }
    return w;
}

/* the widest word of s in pt (rp__pt) */
static double rp__widest_word_pt(const char *s) {
    double best = 0;
    while (*s) {
        size_t k = strcspn(s, " ");
        double w = rp__pt(s, k);
        if (w > best) best = w;
        s += k;
        while (*s == ' ') s++;
    }
    return best;
}

/* a header cell, broken at spaces into lines of at most max_pt (rp__pt; a longer word stands
   alone) */
static void rp__tex_head(FILE *f, const char *h, double max_pt) {
    double n = 0;
    fputs("\\begin{tabular}[b]{@{}c@{}}", f);
    for (const char *s = h; *s;) {
        size_t k = strcspn(s, " ");
        char word[256];
        snprintf(word, sizeof word, "%.*s", (int)(k < 255 ? k : 255), s);
        const double ww = rp__pt(word, strlen(word)), space = rp__pt(" ", 1);
        if (n > 0 && n + space + ww > max_pt) { fputs("\\\\", f); n = 0; }
        if (n > 0) { fputc(' ', f); n += space; }
        rp__tex(f, word);
        n += ww;
        s += k;
        while (*s == ' ') s++;
    }
    fputs("\\end{tabular}", f);
}

/* LaTeX of one table, never shrunk: the body's font size, the caption its title alone (one
   sentence), the run details and notes in paragraphs after it. Column widths are estimated from
   the cells (about 5 pt a character at 11 pt, 12 pt of padding a column; a header wraps onto
   lines as wide as its column's cells, RP_TEX_HEAD_MIN at least). A table that fits the text
   width (RP_TEX_WIDTH characters) is a plain tabular; a wider one turns sideways (rotating's
   sidewaystable, RP_TEX_WIDE characters); one wider still also wraps its cells in p columns sized
   in proportion to their widths, none narrower than its widest word (rp__pt): the columns above
   that width give up the difference. */
#define RP_TEX_WIDTH 90
#define RP_TEX_WIDE 130
#define RP_TEX_HEAD_MIN 8
#define RP_TEX_SIDEWAYS_PT 718.0   /* the sideways \linewidth: A4's height less 2.2 cm margins */
#define RP_TEX_PAD_PT 12.0         /* \tabcolsep on both sides of a column */
static void rp__tex_table(FILE *f, const rp_table *t, const char *name, int i) {
    int w[RP_MAX_COLS], total = 0;
    double pt[RP_MAX_COLS], floor_pt[RP_MAX_COLS];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = rp__longest_word(t->head[c]);
        for (int r = 0; r < t->nrow; r++) {
            int x = rp__width(rp__cell(t, r, c));
            if (x > w[c]) w[c] = x;
        }
        if (w[c] < RP_TEX_HEAD_MIN) w[c] = RP_TEX_HEAD_MIN;
        total += w[c] + 2;
        floor_pt[c] = rp__widest_word_pt(t->head[c]);
        for (int r = 0; r < t->nrow; r++) {
            double x = rp__widest_word_pt(rp__cell(t, r, c));
            if (x > floor_pt[c]) floor_pt[c] = x;
        }
    }
    /* wrapped columns: in proportion to w, raised to their floor, the excess taken back from the
       columns above theirs in proportion to their room */
    const double avail = RP_TEX_SIDEWAYS_PT - RP_TEX_PAD_PT * t->ncol;
    double sum = 0, room = 0;
    for (int c = 0; c < t->ncol; c++) {
        pt[c] = RP_TEX_SIDEWAYS_PT * (w[c] + 2) / total - RP_TEX_PAD_PT;
        if (pt[c] < floor_pt[c]) pt[c] = floor_pt[c];
        sum += pt[c];
        room += pt[c] - floor_pt[c];
    }
    if (sum > avail && room > 0) {
        const double take = (sum - avail) / room < 1 ? (sum - avail) / room : 1;
        for (int c = 0; c < t->ncol; c++) pt[c] -= (pt[c] - floor_pt[c]) * take;
    }
    const int wide = total > RP_TEX_WIDTH, wrap = total > RP_TEX_WIDE;
    const char *env = wide ? "sidewaystable" : "table";
    fprintf(f, "%% generated by experiments/%s.c; do not edit (needs booktabs and rotating)\n"
            "\\begin{%s}%s\n\\centering\n", name, env, wide ? "" : "[t]");
    fputs("\\begin{tabular}{", f);
    for (int c = 0; c < t->ncol; c++) {
        if (wrap)
            fprintf(f, ">{%s\\arraybackslash}p{%.3f\\linewidth}",   /* rounded down: the sum
                                                                        stays within the line */
                    c ? "\\raggedleft" : "\\raggedright",
                    floor(pt[c] / RP_TEX_SIDEWAYS_PT * 1000.0) / 1000.0);
        else fputc(c ? 'r' : 'l', f);
    }
    fputs("}\n\\toprule\n", f);
    for (int c = 0; c < t->ncol; c++) {   /* plain columns: lines of about w[c] characters */
        if (c) fputs(" & ", f);
        rp__tex_head(f, t->head[c], wrap ? pt[c] : 5.8 * w[c]);
    }
    fputs(" \\\\\n\\midrule\n", f);
    for (int r = 0; r < t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) { if (c) fputs(" & ", f); rp__tex(f, rp__cell(t, r, c)); }
        fputs(" \\\\\n", f);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\caption{", f);
    rp__tex(f, t->title);
    fprintf(f, "}\\label{tab:%s-%d}\n", name, i);
    /* run details and notes: one paragraph each, full width, ragged right; a list too long to
       share a page with its table follows the float in the text, where it can break pages */
    const int long_notes = strlen(t->notes) + strlen(t->caption) > RP_TEX_FLOAT_NOTES;
    if (long_notes)
        fprintf(f, "\\end{%s}\n{\\small\\noindent\\textbf{Notes to Table~\\ref{tab:%s-%d}.}\\par\n",
                env, name, i);
    fputs("{\\small\\raggedright\\setlength{\\parskip}{1pt}\n", f);
    if (t->caption[0]) { fputs("Run: ", f); rp__tex(f, t->caption); fputs(".\\par\n", f); }
    for (const char *s = t->notes; *s;) {
        char line[1024];
        size_t len = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), s);
        rp__tex(f, line);
        fputs("\\par\n", f);
        s += len + (s[len] == '\n');
    }
    fputs("}\n", f);
    if (long_notes) fputs("}\n\n", f);
    else fprintf(f, "\\end{%s}\n\n", env);
}

/* written to <path>.tmp and renamed, so a reader never sees half a table */
int rp_write(const char *out_dir, const char *name, rp_table *const *tabs, int n, char *err) {
    static const char *ext[3] = {"md", "tex", "csv"};
#ifdef LS_MPI
    if (rp__par.on) return 0;   /* the first pass of a run-parallel table: rank 0 writes later */
#endif
    if (rp_mkdirs(out_dir)) {
        rp__err(err, "%s: cannot create (%s)", out_dir, strerror(errno));
        return -1;
    }
    for (int k = 0; k < 3; k++) {
        int any = 0;
        for (int i = 0; i < n; i++) any |= tabs[i]->formats & (1 << k);
        if (!any) continue;
        char path[1200], tmp[1210];
        snprintf(path, sizeof path, "%s/%s.%s", out_dir, name, ext[k]);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "wb");
        if (!f) { rp__err(err, "%s: cannot create (%s)", tmp, strerror(errno)); return -1; }
        rp__xfsz_begin();
        for (int i = 0; i < n; i++) {
            const rp_table *t = tabs[i];
            if (!(t->formats & (1 << k))) continue;
            if (k == 0) {   /* Markdown */
                if (t->title[0]) fprintf(f, "### %s\n\n", t->title);
                if (t->caption[0]) fprintf(f, "*%s*\n\n", t->caption);
                for (int r = -1; r < t->nrow; r++) {
                    for (int c = 0; c < t->ncol; c++)
                        fprintf(f, "| %s ", r < 0 ? t->head[c] : rp__cell(t, r, c));
                    fprintf(f, "|\n");
                    if (r < 0) {
                        for (int c = 0; c < t->ncol; c++) fprintf(f, "|%s", c ? "---:" : "---");
                        fprintf(f, "|\n");
                    }
                }
                if (t->notes[0]) {
                    fprintf(f, "\n");
                    for (const char *s = t->notes; *s;) {
                        size_t len = strcspn(s, "\n");
                        fprintf(f, "- %.*s\n", (int)len, s);
                        s += len + (s[len] == '\n');
                    }
                }
                fprintf(f, "\n");
            } else if (k == 1) {   /* LaTeX: a table at the body's font size (rp__tex_table) */
                rp__tex_table(f, t, name, i);
            } else {   /* CSV: header and rows only, for plots */
                for (int r = -1; r < t->nrow; r++) {
                    for (int c = 0; c < t->ncol; c++) {
                        if (c) fputc(',', f);
                        rp__csv(f, r < 0 ? t->head[c] : rp__cell(t, r, c));
                    }
                    fputc('\n', f);
                }
            }
        }
        int bad = fflush(f) != 0, e = bad ? errno : 0;
        if (fclose(f) && !bad) { bad = 1; e = errno; }
        rp__xfsz_end();
        if (!bad && rename(tmp, path)) { bad = 1; e = errno; }
        if (bad) {
            rp__err(err, "%s: write failed (%s)", path, rp__why(e));
            remove(tmp);
            return -1;
        }
    }
    return 0;
}

/* --- results cache --- */
static uint64_t rp__fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001B3ull; }
    return h;
}

/* the training settings as the bytes they had when ls_train_cfg also held the run's files (the
   x86-64 layout of that struct: 168 bytes, pointers, quiet flag and test hook zero), so that every
   record keyed before ls_train_io was split off keeps its key; little-endian like those records */
#define RP__TRAIN_KEY_BYTES 168
static int rp__big_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 0;
}
static void rp__put(unsigned char *b, size_t at, const void *p, size_t n) {
    const unsigned char *v = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) b[at + i] = v[rp__big_endian() ? n - 1 - i : i];
}
/* a field added to ls_train_cfg must be added below (else it would not enter the key): this breaks
   the build when the struct's size changes on a 64-bit host */
typedef char
    rp__every_train_field_is_keyed[sizeof(ls_train_cfg) == 112 || sizeof(void *) != 8 ? 1 : -1];
static void rp__train_key(unsigned char b[RP__TRAIN_KEY_BYTES], const ls_train_cfg *t,
                          int64_t ckpt_every) {
    memset(b, 0, RP__TRAIN_KEY_BYTES);
    rp__put(b, 0, &t->objective, 4);
    rp__put(b, 8, &t->steps, 8); rp__put(b, 16, &t->batch, 8); rp__put(b, 24, &t->accum, 8);
    rp__put(b, 32, &t->warmup, 8);
    rp__put(b, 40, &t->sched, 4); rp__put(b, 44, &t->lr, 4); rp__put(b, 48, &t->wd, 4);
    rp__put(b, 52, &t->ssm_lr, 4); rp__put(b, 56, &t->clip, 4); rp__put(b, 60, &t->mask_ratio, 4);
    rp__put(b, 64, &t->mask_id, 4);
    rp__put(b, 72, &t->eval_every, 8); rp__put(b, 80, &t->eval_max, 8);
    rp__put(b, 88, &t->patience, 8);
    rp__put(b, 96, &t->select, 4);
    rp__put(b, 104, &ckpt_every, 8);
    rp__put(b, 136, &t->seed, 8);   /* 112-135: the three paths; 144-167: quiet, label, test hook */
}

uint64_t rp_run_hash(const rp_run *r) {
    unsigned char tk[RP__TRAIN_KEY_BYTES];
    rp__train_key(tk, &r->train, r->ckpt_every);
    uint64_t h = 0xCBF29CE484222325ull;
    h = rp__fnv(h, &r->model, sizeof r->model);
    h = rp__fnv(h, tk, sizeof tk);
    h = rp__fnv(h, r->data_key, strlen(r->data_key) + 1);
    h = rp__fnv(h, &r->init_hash, sizeof r->init_hash);
    h = rp__fnv(h, RP_CODE_VERSION, sizeof RP_CODE_VERSION);
    return h ? h : 1;
}

static char rp__root[400] = RP_RESULTS_DIR;
static int rp__records_only = 0;
void rp_set_root(const char *dir) {
    snprintf(rp__root, sizeof rp__root, "%s", dir && *dir ? dir : RP_RESULTS_DIR);
}
const char *rp_root(void) { return rp__root; }
void rp_set_records_only(int on) { rp__records_only = on; }
int rp_records_only(void) { return rp__records_only; }

uint64_t rp_hash_begin(void) {
    return rp__fnv(0xCBF29CE484222325ull, RP_CODE_VERSION, sizeof RP_CODE_VERSION);
}
uint64_t rp_hash(uint64_t h, const void *p, size_t n) { return rp__fnv(h, p, n); }

/* a path that exists but is no regular file (a FIFO, a device, a directory) is never opened: a
   read from a FIFO would block the table until someone wrote to it */
static int rp__irregular(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && !S_ISREG(st.st_mode);
}

#ifdef LS_MPI
static void rp__unlock(const char *lock, int fd);
static int rp__par_row_get(const char *table, uint64_t hash, double *v, int n, char *err);
static int rp__row_get(const char *table, uint64_t hash, double *v, int n, char *err);
static int rp__row_put(const char *table, uint64_t hash, const double *v, int n, char *err);
static int rp__par_run_train(const rp_run *r, const ls_dataset *train, const ls_dataset *val,
                             const ls_dataset *test, rp_result *res, char *err);
int rp_row_get(const char *table, uint64_t hash, double *v, int n, char *err) {
    if (rp__par.on) return rp__par_row_get(table, hash, v, n, err);
    return rp__row_get(table, hash, v, n, err);
}
/* a group's other ranks write nothing; its rank 0 writes the row and releases the row's claim */
int rp_row_put(const char *table, uint64_t hash, const double *v, int n, char *err) {
    if (!rp__par.on) return rp__row_put(table, hash, v, n, err);
    if (ls_mpi_rank() > 0) return 0;
    int rc = rp__row_put(table, hash, v, n, err);
    for (int i = 0; i < rp__par.nheld; i++) {
        if (rp__par.held_hash[i] != hash) continue;
        char lock[560];
        rp_path(lock, sizeof lock, table, hash, ".row.lock");
        rp__unlock(lock, rp__par.held_fd[i]);
        rp__par.held_hash[i] = rp__par.held_hash[--rp__par.nheld];
        rp__par.held_fd[i] = rp__par.held_fd[rp__par.nheld];
        break;
    }
    return rc;
}
#define rp_row_get rp__row_get   /* below: the plain versions, which a lone process calls */
#define rp_row_put rp__row_put
static
#endif
int rp_row_get(const char *table, uint64_t hash, double *v, int n, char *err) {
    char path[512];
    rp_path(path, sizeof path, table, hash, ".row");
    if (rp__irregular(path)) {
        rp__err(err, "%s: not a regular file (remove it to recompute the row)", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f && rp__records_only) {
        rp__err(err, "%s: no record (records-only mode; a training run makes it)", path);
        return -1;
    }
    if (!f) return 0;
    int k = 0, extra;
    while (k < n && fscanf(f, "%lf", &v[k]) == 1) k++;
    extra = fscanf(f, "%*s") != EOF;
    fclose(f);
    if (k != n || extra) {
        rp__err(err, "%s: expected %d numbers, the file is malformed (delete it to recompute the "
                "row)", path, n);
        return -1;
    }
    return 1;
}

#ifdef LS_MPI
static
#endif
int rp_row_put(const char *table, uint64_t hash, const double *v, int n, char *err) {
    char dir[512], path[512], tmp[560];
    snprintf(dir, sizeof dir, "%s/%s", rp__root, table);
    if (rp_mkdirs(dir)) {
        rp__err(err, "%s: cannot create the directory (%s)", dir, strerror(errno));
        return -1;
    }
    rp_path(path, sizeof path, table, hash, ".row");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { rp__err(err, "%s: cannot write (%s)", tmp, strerror(errno)); return -1; }
    rp__xfsz_begin();
    for (int k = 0; k < n; k++) fprintf(f, "%.17g\n", v[k]);
    int bad = fflush(f) != 0, e = bad ? errno : 0;
    if (fclose(f) && !bad) { bad = 1; e = errno; }
    rp__xfsz_end();
    if (!bad && rename(tmp, path)) { bad = 1; e = errno; }
    if (bad) { rp__err(err, "%s: write failed (%s)", path, rp__why(e)); remove(tmp); return -1; }
    return 0;
}
#ifdef LS_MPI
#undef rp_row_get
#undef rp_row_put
#endif

void rp_path(char *buf, size_t cap, const char *table, uint64_t hash, const char *ext) {
    snprintf(buf, cap, "%s/%s/%016llx%s", rp__root, table, (unsigned long long)hash, ext);
}

static int rp__exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* one process trains a run at a time: it holds a POSIX record lock (fcntl F_SETLK) on <hash>.lock
   while it trains. Another table program that needs the same run (tables share runs) waits for
   the owner's result instead of training it twice into the same checkpoint. The kernel releases
   the lock when its owner dies, however it dies, so a lock file left behind never blocks anyone
   (the pid written into it is for people only). The owner removes the file before it lets go; a
   waiter that locked a file meanwhile removed sees that its inode is no longer the path's and
   tries again. 0 = ours (*fd holds the lock: rp__unlock it), 1 = the owner finished (read the
   result), -1 = error. (MPI builds: rp__trylock is the same, but 2 at once when another process
   holds the lock.) */
#ifdef LS_MPI
static int rp__lock_ex(const char *lock, const char *txt, int *fd_out, int wait);
static int rp__lock(const char *lock, const char *txt, int *fd_out) {
    return rp__lock_ex(lock, txt, fd_out, 1);
}
static int rp__trylock(const char *lock, int *fd_out) { return rp__lock_ex(lock, "", fd_out, 0); }
static int rp__lock_ex(const char *lock, const char *txt, int *fd_out, int wait) {
#else
static int rp__lock(const char *lock, const char *txt, int *fd_out) {
#endif
    for (int waited = 0;; waited++) {
        int fd = open(lock, O_RDWR | O_CREAT, 0644);
        if (fd < 0) return -1;
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK; fl.l_whence = SEEK_SET;   /* l_start 0, l_len 0: the whole file */
        if (fcntl(fd, F_SETLK, &fl) == 0) {
            struct stat a, b;
            if (fstat(fd, &a) == 0 && stat(lock, &b) == 0 && a.st_ino == b.st_ino &&
                a.st_dev == b.st_dev) {
                char pid[32];
                int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
                if (ftruncate(fd, 0) || write(fd, pid, (size_t)n) != n) { close(fd); return -1; }
                *fd_out = fd;
                return 0;
            }
            close(fd);   /* locked a file its owner had just removed: take the new one */
            continue;
        }
        int busy = errno == EACCES || errno == EAGAIN;
        long owner = 0;
        char buf[32] = "";
        if (busy && read(fd, buf, sizeof buf - 1) > 0) owner = atol(buf);
        close(fd);
        if (!busy) return -1;
#ifdef LS_MPI
        if (!wait) return 2;
#endif
        if (rp__exists(txt)) return 1;
        if (waited == 0)
            fprintf(stderr, "report: %s is being trained by process %ld; waiting for it\n", txt,
                    owner);
        sleep(2);
    }
}

static void rp__unlock(const char *lock, int fd) {
    remove(lock);   /* still holding the lock: a waiter that opened the old file will notice */
    close(fd);      /* releases the lock */
}

/* Reads a record: the line of numbers (val_loss and diverged were added later: a record without
   them reads as NAN and 0), and for a diverged run the next line, "diverged: <why>", into why. */
static int rp__read(const char *path, rp_result *res, char *why) {
    FILE *f = rp__irregular(path) ? NULL : fopen(path, "r");   /* not a record: as if absent */
    if (!f) return -1;
    unsigned long long h = 0, seed = 0;
    long long steps = 0, best = 0;
    int n = fscanf(f, "hash %llx seed %llu val %lf test %lf loss %lf steps %lld best_step %lld "
                   "wall_s %lf tok_s %lf threads %d", &h, &seed, &res->val, &res->test, &res->loss,
                   &steps, &best, &res->wall_s, &res->tok_s, &res->threads);
    res->diverged = 0;
    if (n == 10 && fscanf(f, " val_loss %lf", &res->val_loss) != 1) res->val_loss = NAN;
    else if (n == 10 && fscanf(f, " diverged %d", &res->diverged) == 1 && res->diverged) {
        char line[LS_ERRLEN];
        if (fscanf(f, " diverged: %500[^\n]", line) != 1)
            snprintf(line, sizeof line, "(no reason recorded)");
        if (why) rp__err(why, "%s: the run diverged: %s", path, line);
    }
    fclose(f);
    res->hash = h; res->seed = seed; res->steps = steps; res->best_step = best;
    return n == 10 ? 0 : -1;
}

static int rp__train_locked(const rp_run *r, uint64_t h, const ls_dataset *train,
                            const ls_dataset *val, const ls_dataset *test, rp_result *res,
                            char *err, const char *txt, const char *ckpt, const char *best,
                            const char *model, const char *curve) {
    char init[700];
#ifdef LS_MPI
    if (ls_mpi_rank() == 0) {   /* rank 0 of a group of ranks owns the files */
#endif
    if (r->fresh) { remove(ckpt); remove(best); }
    /* a new run starts a new learning curve; a resumed one appends */
    if (!rp__exists(ckpt)) remove(curve);
#ifdef LS_MPI
    }
#endif
    ls_model m;
    if (ls_model_init(&m, &r->model, r->train.seed, err)) return -1;
    ls_train_io io = {.ckpt_path = ckpt, .ckpt_every = r->ckpt_every, .csv_path = curve,
                      .label = r->label, .quiet = r->quiet};
    if (r->init_hash) {
        rp_path(init, sizeof init, r->table, r->init_hash, ".model");
        io.init_from = init;
    }
    ls_train_result tr;
    int rc = ls_train(&m, &r->train, &io, train, val, test, &tr, err);
#ifdef LS_MPI
    if (ls_mpi_rank() > 0) {   /* the group's others: its rank 0 records the run and sends it */
        ls_model_free(&m);
        return rc && !tr.diverged ? -1 : 0;
    }
#endif
    if (rc == 0 && r->save_model) rc = ls_checkpoint_save(model, &m.P, NULL, NULL, 0, err);
    ls_model_free(&m);
    if (rc && !tr.diverged) return -1;
    /* a diverged run is finished too (the same settings diverge the same way): its record keeps
       the step and the reason, and no number of it can be read as a score */
    char why[LS_ERRLEN] = "";
    if (rc) rp__err(why, "%s", err);
    res->hash = h; res->seed = r->train.seed; res->val = tr.best_val; res->test = tr.test;
    res->loss = tr.final_loss; res->val_loss = tr.best_val_loss;
    res->steps = tr.steps; res->best_step = tr.best_step; res->wall_s = tr.wall_s;
    res->tok_s = tr.tokens_per_s;
    res->threads = ls_get_threads();
    res->diverged = rc != 0;
    if (res->diverged) res->val = res->test = res->loss = res->val_loss = NAN;
    char tmp[720];
    snprintf(tmp, sizeof tmp, "%s.tmp", txt);
    FILE *f = fopen(tmp, "w");
    if (!f) { rp__err(err, "%s: cannot create (%s)", tmp, strerror(errno)); return -1; }
    rp__xfsz_begin();
    fprintf(f, "hash %016llx seed %llu val %.9g test %.9g loss %.9g steps %lld best_step %lld "
            "wall_s %.3f tok_s %.1f threads %d val_loss %.9g", (unsigned long long)h,
            (unsigned long long)res->seed, res->val, res->test, res->loss, (long long)res->steps,
            (long long)res->best_step, res->wall_s, res->tok_s, res->threads, res->val_loss);
    if (res->diverged) fprintf(f, " diverged 1\ndiverged: %s", why);
    fprintf(f, "\ndata %s\nmodel %s\nversion %s\ncpu %s\n", r->data_key, r->label,
            RP_CODE_VERSION, rp_cpu_name());
    int bad = fflush(f) != 0, e = bad ? errno : 0;
    if (fclose(f) && !bad) { bad = 1; e = errno; }
    rp__xfsz_end();
    if (!bad && rename(tmp, txt)) { bad = 1; e = errno; }
    if (bad) { rp__err(err, "%s: write failed (%s)", txt, rp__why(e)); remove(tmp); return -1; }
    remove(ckpt); remove(best);   /* the row is finished: its resume state is no longer needed */
    if (res->diverged) { rp__err(err, "%s: the run diverged: %s", txt, why); return RP_DIVERGED; }
    return 0;
}

int rp_run_peek(const rp_run *r, rp_result *res) {
    char txt[700];
    uint64_t h = rp_run_hash(r);
    memset(res, 0, sizeof *res);
    rp_path(txt, sizeof txt, r->table, h, ".txt");
    if (r->fresh || rp__read(txt, res, NULL) != 0 || res->hash != h) {
        memset(res, 0, sizeof *res);
        return -1;
    }
    res->cached = 1;
    return res->diverged ? RP_DIVERGED : 0;
}

/* the files of one run: its table's folder, record, checkpoint and its best copy, model, curve */
typedef struct rp__files {
    char dir[600], txt[700], ckpt[700], model[700], best[720], curve[700];
} rp__files;
static void rp__run_files(const rp_run *r, uint64_t h, rp__files *f) {
    snprintf(f->dir, sizeof f->dir, "%s/%s", rp__root, r->table);
    rp_path(f->txt, sizeof f->txt, r->table, h, ".txt");
    rp_path(f->ckpt, sizeof f->ckpt, r->table, h, ".ckpt");
    rp_path(f->model, sizeof f->model, r->table, h, ".model");
    snprintf(f->best, sizeof f->best, "%s.best", f->ckpt);
    rp_path(f->curve, sizeof f->curve, r->table, h, ".csv");
}

int rp_run_train(const rp_run *r, const ls_dataset *train, const ls_dataset *val,
                 const ls_dataset *test, rp_result *res, char *err) {
#ifdef LS_MPI
    if (rp__par.on) return rp__par_run_train(r, train, val, test, res, err);
#endif
    memset(res, 0, sizeof *res);
    uint64_t h = rp_run_hash(r);
    rp__files f;
    rp__run_files(r, h, &f);
    char *dir = f.dir, *txt = f.txt, *ckpt = f.ckpt, *model = f.model, *best = f.best;
    char *curve = f.curve;
    if (!r->fresh && rp__read(txt, res, err) == 0 && res->hash == h &&
        (res->diverged || !r->save_model || rp__exists(model))) {
        res->cached = 1;
        return res->diverged ? RP_DIVERGED : 0;
    }
    if (rp__records_only) {
        rp__err(err, "%s: no record%s (records-only mode; a training run makes it)", txt,
                rp__exists(txt) && r->save_model ? " with its .model, which a fine-tuning needs"
                                                 : "");
        return -1;
    }
    if (rp_mkdirs(dir)) { rp__err(err, "%s: cannot create (%s)", dir, strerror(errno)); return -1; }
    char lock[720];
    int fd = -1;
    rp_path(lock, sizeof lock, r->table, h, ".lock");
    int lk = rp__lock(lock, txt, &fd);
    if (lk < 0) {
        rp__err(err, "%s: cannot create or lock (%s)", lock, strerror(errno));
        return -1;
    }
    if (lk == 1 && !r->fresh && rp__read(txt, res, err) == 0 && res->hash == h &&
        (res->diverged || !r->save_model || rp__exists(model))) {
        res->cached = 1;   /* another process trained it while we waited */
        return res->diverged ? RP_DIVERGED : 0;
    }
    if (lk == 1 && rp__lock(lock, "", &fd) != 0) {
        rp__err(err, "%s: cannot take the lock", lock);
        return -1;
    }
    int rc = rp__train_locked(r, h, train, val, test, res, err, txt, ckpt, best, model, curve);
    rp__unlock(lock, fd);
    return rc;
}

#ifdef LS_MPI
/* --- run-parallel tables: the first pass (see "Run-parallel tables" above) ---
   In a group of R ranks, rank 0 of the group (ls_mpi_rank() == 0) decides what happens to a unit
   (read it, train it, skip it) and tells the others with MPI_Bcast; a run is then trained by all
   R ranks together (ls_train splits its batches over them), and rank 0 records it. */
void rp_parallel_begin(void) { rp__par.on = 1; rp__par.nheld = 0; }
int rp_parallel(void) { return rp__par.on; }
void rp_parallel_end(void) {
    rp__par.on = 0;
    for (int i = 0; i < rp__par.nheld; i++) close(rp__par.held_fd[i]);   /* rows left unfinished */
    rp__par.nheld = 0;
}

/* a unit another group is working on: NAN numbers, which the first pass's tables never show */
static void rp__pending(const rp_run *r, uint64_t h, rp_result *res) {
    memset(res, 0, sizeof *res);
    res->hash = h; res->seed = r->train.seed; res->cached = 1;
    res->val = res->test = res->loss = res->val_loss = res->wall_s = res->tok_s = NAN;
}

/* rank 0's answer (return code, numbers, message) to every rank of the group */
static int rp__par_share(int rc, void *buf, int bytes, char *err) {
    MPI_Comm g = ls_mpi_comm();
    MPI_Bcast(&rc, 1, MPI_INT, 0, g);
    if (bytes) MPI_Bcast(buf, bytes, MPI_BYTE, 0, g);
    MPI_Bcast(err, LS_ERRLEN, MPI_CHAR, 0, g);
    return rc;
}

static int rp__par_run_train(const rp_run *r, const ls_dataset *train, const ls_dataset *val,
                             const ls_dataset *test, rp_result *res, char *err) {
    enum { ANSWER = 0, TRAIN = 1 };
    const int lead = ls_mpi_rank() == 0;
    uint64_t h = rp_run_hash(r);
    rp__files f;
    rp__run_files(r, h, &f);
    char *dir = f.dir, *txt = f.txt, *ckpt = f.ckpt, *model = f.model, *best = f.best;
    char *curve = f.curve;
    char lock[720], init[700];
    rp_path(lock, sizeof lock, r->table, h, ".lock");
    rp_path(init, sizeof init, r->table, r->init_hash, ".model");
    memset(res, 0, sizeof *res);
    err[0] = 0;
    int what[2] = {ANSWER, 0}, fd = -1;   /* what to do, and the answer's return code */
    if (lead) {
#define RP__DONE() (rp__read(txt, res, err) == 0 && res->hash == h && \
                    (res->diverged || !r->save_model || rp__exists(model)))
        if (RP__DONE()) {
            res->cached = 1;
            what[1] = res->diverged ? RP_DIVERGED : 0;
        } else if (rp__records_only) {
            rp__err(err, "%s: no record (records-only mode; a training run makes it)", txt);
            what[1] = -1;
        } else if (rp_mkdirs(dir)) {
            rp__err(err, "%s: cannot create (%s)", dir, strerror(errno));
            what[1] = -1;
        } else if (r->init_hash && !rp__exists(init)) {
            rp__pending(r, h, res);   /* its pretraining is still running in another group */
        } else {
            /* a run whose .model the program loads next is waited for; any other is skipped */
            int wait = r->save_model && !r->may_skip;
            int lk = wait ? rp__lock(lock, txt, &fd) : rp__trylock(lock, &fd);
            if (lk == 1 && RP__DONE()) {   /* we waited, and its owner recorded it */
                res->cached = 1;
                what[1] = res->diverged ? RP_DIVERGED : 0;
            } else if (lk == 1 && rp__lock(lock, "", &fd) != 0) {
                rp__err(err, "%s: cannot take the lock", lock);
                what[1] = -1;
            } else if (lk < 0) {
                rp__err(err, "%s: cannot create or lock (%s)", lock, strerror(errno));
                what[1] = -1;
            } else if (lk == 2) {
                rp__pending(r, h, res);
            } else if (RP__DONE()) {   /* recorded between our first look and the lock */
                rp__unlock(lock, fd);
                res->cached = 1;
                what[1] = res->diverged ? RP_DIVERGED : 0;
            } else {
                memset(res, 0, sizeof *res);
                what[0] = TRAIN;
            }
        }
#undef RP__DONE
    }
    MPI_Bcast(what, 2, MPI_INT, 0, ls_mpi_comm());
    int rc = what[1];
    if (what[0] == TRAIN) {
        rc = rp__train_locked(r, h, train, val, test, res, err, txt, ckpt, best, model, curve);
        if (lead) rp__unlock(lock, fd);
    }
    return rp__par_share(rc, res, (int)sizeof *res, err);
}

static int rp__par_row_get(const char *table, uint64_t hash, double *v, int n, char *err) {
    int rc = 0;
    err[0] = 0;
    if (ls_mpi_rank() == 0) {
        char dir[512], lock[560];
        snprintf(dir, sizeof dir, "%s/%s", rp__root, table);
        rp_path(lock, sizeof lock, table, hash, ".row.lock");
        rc = rp__row_get(table, hash, v, n, err);
        if (rc == 0 && rp_mkdirs(dir)) {
            rp__err(err, "%s: cannot create (%s)", dir, strerror(errno));
            rc = -1;
        }
        if (rc == 0) {
            int fd = -1, lk = rp__par.nheld < 64 ? rp__trylock(lock, &fd) : -1;
            if (lk < 0) {
                rp__err(err, "%s: cannot create or lock (%s)", lock, strerror(errno));
                rc = -1;
            }
            else if (lk == 2) {   /* another group computes it: a pending row */
                for (int k = 0; k < n; k++) v[k] = NAN;
                rc = 1;
            } else if ((rc = rp__row_get(table, hash, v, n, err)) != 0) {
                rp__unlock(lock, fd);   /* recorded meanwhile (1), or malformed (-1) */
            } else {   /* ours: rp_row_put records it and lets go */
                rp__par.held_hash[rp__par.nheld] = hash;
                rp__par.held_fd[rp__par.nheld++] = fd;
            }
        }
    }
    rc = rp__par_share(rc, NULL, 0, err);
    if (rc == 1) MPI_Bcast(v, n, MPI_DOUBLE, 0, ls_mpi_comm());
    return rc;
}
#endif /* LS_MPI */
#endif /* REPORT_IMPLEMENTATION */
