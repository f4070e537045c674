/* tests/main.c - runs every suite (or those named on the command line) and prints the tally. */
#include <stddef.h>
/* every allocation longseq.h makes goes through these, so a test can count them
   (test_models.c: a training step after the first two allocates nothing) */
long t_allocs = 0;
void *t_malloc(size_t n);
void *t_realloc(void *p, size_t n);
#define LS_MALLOC(n) t_malloc(n)
#define LS_REALLOC(p, n) t_realloc(p, n)
#define LS_FREE(p) free(p)
#define LONGSEQ_IMPLEMENTATION
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int t_pass = 0, t_fail = 0, t_verbose = 0;

#define SUITES(X) X(core) X(grad) X(models) X(data) X(report) X(fuzz)
#define DECLARE(name) void suite_##name(void);
SUITES(DECLARE)

static char tmpdir[256];

const char *t_tmpdir(void) { return tmpdir; }

int64_t t_ckpt_step(const char *path, const ls_config *c) {
    ls_model m;
    char err[LS_ERRLEN], meta[256];
    size_t ml = 0;
    if (ls_model_init(&m, c, 1, err)) return -1;
    struct { uint32_t magic, size; int64_t step; } st;   /* the head of ls_train's resume state */
    int64_t step = -1;
    if (ls_checkpoint_load(path, &m.P, NULL, LS_CKPT_STRICT, meta, sizeof meta, &ml, err) == 0 && ml >= sizeof st) {
        memcpy(&st, meta, sizeof st);
        step = st.step;
    }
    ls_model_free(&m);
    return step;
}

int64_t t_child_until(int pid, const char *ckpt, const ls_config *c, int64_t target, int *status) {
    struct timespec t0, now, slice = {0, 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        kill(pid, SIGSTOP);
        if (waitpid(pid, status, WUNTRACED) != pid || !WIFSTOPPED(*status)) return -2;   /* it ended */
        int64_t step = t_ckpt_step(ckpt, c);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (step >= target) return step;
        if (now.tv_sec - t0.tv_sec > 20) return -3;
        kill(pid, SIGCONT);
        nanosleep(&slice, NULL);
    }
}

/* the header's internal vectorised expf (static in this translation unit, which holds the
   implementation), for tests/test_core.c */
void t_expf_n(float *y, const float *a, int64_t n) { ls__expf_n(y, a, n); }
int t_expf_vec(void) { return LS__EXPF_VEC; }
/* y[i] = ls__exp(a[i]) in a plain loop, which gcc vectorises as it does the kernels' */
void t_exp_n(float *y, const float *a, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = ls__exp(a[i]); }
/* the fused attention's row helpers (64 floats), and its vector width (16: AVX-512, own exp) */
float t_attn_row_max(const float *p) {   /* one row, through the 16-row helper */
    float buf[16 * LS__ATTN_T], out[16];
    for (int r = 0; r < 16; r++) memcpy(buf + r * LS__ATTN_T, p, sizeof(float) * LS__ATTN_T);
    ls__attn_rows_max(buf, out);
    return out[0];
}
float t_attn_row_exp(float *p, float sub, int l2) {
    float buf[16 * LS__ATTN_T], subs[16], out[16];
    for (int r = 0; r < 16; r++) { memcpy(buf + r * LS__ATTN_T, p, sizeof(float) * LS__ATTN_T); subs[r] = sub; }
    ls__attn_rows_exp(buf, subs, l2, out);
    memcpy(p, buf, sizeof(float) * LS__ATTN_T);
    return out[0];
}
void t_attn_rows_max(const float *p, float *out) { ls__attn_rows_max(p, out); }
void t_attn_rows_exp(float *p, const float *sub, int l2, float *out) { ls__attn_rows_exp(p, sub, l2, out); }
void t_attn_row_expl(float *p, float sub) { ls__attn_row_expl(p, sub); }
int t_attn_vw(void) { return LS__ATTN_VW; }
/* the S4D kernel's powers z_n^j (j < LS__S4D_CHUNK) of N2 modes given z, in either layout */
void t_s4d_powers(int64_t N2, const double *zr, const double *zi, int tr, double *Zr, double *Zi) {
    ls__s4d_mode *md = (ls__s4d_mode *)calloc((size_t)N2, sizeof *md);
    for (int64_t n = 0; n < N2; n++) { md[n].zr = zr[n]; md[n].zi = zi[n]; }
    ls__s4d_powers(N2, md, tr, Zr, Zi);
    free(md);
}
int t_s4d_chunk(void) { return LS__S4D_CHUNK; }

void t_read_all(int fd, char *buf, size_t cap) {
    size_t got = 0;
    for (ssize_t n; got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0;) got += (size_t)n;
    buf[got] = 0;
}

static int t_saved_stderr = -1;
void t_stderr_begin(void) {
    if (t_saved_stderr >= 0) return;
    char path[300];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;   /* nothing captured: the messages show, as before */
    t_saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}
const char *t_stderr_end(void) {
    static char buf[4096];
    buf[0] = 0;
    if (t_saved_stderr < 0) return buf;
    fflush(stderr);
    dup2(t_saved_stderr, 2);
    close(t_saved_stderr);
    t_saved_stderr = -1;
    char path[300];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    FILE *f = fopen(path, "rb");
    if (f) { size_t k = fread(buf, 1, sizeof buf - 1, f); buf[k] = 0; fclose(f); }
    if (t_verbose) fputs(buf, stdout);   /* -v shows them */
    return buf;
}

const char *t_write_file(const char *name, const void *data, size_t n) {
    static char paths[4][512];
    static int k = 0;
    k = (k + 1) & 3;
    snprintf(paths[k], sizeof paths[k], "%s/%s", tmpdir, name);
    FILE *f = fopen(paths[k], "wb");
    if (!f) { perror(paths[k]); exit(2); }
    if (n && fwrite(data, 1, n, f) != n) { perror(paths[k]); exit(2); }
    fclose(f);
    return paths[k];
}

void *t_malloc(size_t n) { t_allocs++; return malloc(n); }
void *t_realloc(void *p, size_t n) { t_allocs++; return realloc(p, n); }

int t_child_train(const char *ckpt);   /* test_models.c: the process the resume test kills */
int t_child_run(const char *ckpt, const char *csv);   /* test_models.c: the random-kill test's */
int t_child_table(const char *root);                  /* test_report.c: the same for a table's run */

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--child-train")) return t_child_train(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "--child-run")) return t_child_run(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "--child-table")) return t_child_table(argv[2]);
    const char *only[16];
    int n_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) t_verbose = 1;
        else if (n_only < 16) only[n_only++] = argv[i];
    }
    /* a suite name that matches nothing is a mistake, not "0 passed" */
#define KNOWN(name) if (!strcmp(only[i], #name)) known = 1;
    for (int i = 0; i < n_only; i++) {
        int known = 0;
        SUITES(KNOWN)
        if (!known) {
            fprintf(stderr, "run_tests: no suite named '%s' (suites:", only[i]);
#define LIST(name) fprintf(stderr, " %s", #name);
            SUITES(LIST)
            fprintf(stderr, ")\n");
            return 2;
        }
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/longseq-test-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    setvbuf(stdout, NULL, _IOLBF, 0);
#define RUN(name)                                                                      \
    {                                                                                  \
        int want = !n_only;                                                            \
        for (int i = 0; i < n_only; i++) if (!strcmp(only[i], #name)) want = 1;        \
        if (want) {                                                                    \
            int p0 = t_pass, f0 = t_fail;                                              \
            double t0 = ls_now();                                                      \
            printf("[%s]\n", #name);                                                   \
            suite_##name();                                                            \
            printf("[%s] %d passed, %d failed (%.1f s)\n", #name, t_pass - p0,         \
                   t_fail - f0, ls_now() - t0);                                        \
        }                                                                              \
    }
    SUITES(RUN)
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return t_fail ? 1 : 0;
}
