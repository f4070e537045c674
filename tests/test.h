/* tests/test.h - the test harness: one binary, suites registered in main.c, every check counted.
   A suite is `void suite_NAME(void)`; checks are T_CHECK(cond, printf-style message). The runner's
   last line is "N passed, M failed" and its exit status is non-zero when M > 0. */
#ifndef LS_TEST_H
#define LS_TEST_H
/* the tests use POSIX (fork, kill, nanosleep, mkdir): ask for it before any system header */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "../longseq.h" /* first: it sets the POSIX feature macro for the implementation */
#include <stdio.h>

extern int t_pass, t_fail;
extern int t_verbose;   /* -v: print passing checks too */

#define T_CHECK(cond, ...)                                                        \
    do {                                                                          \
        if (cond) {                                                               \
            t_pass++;                                                             \
            if (t_verbose) { printf("  ok   "); printf(__VA_ARGS__); printf("\n"); } \
        } else {                                                                  \
            t_fail++;                                                             \
            printf("  FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                  \
            printf("\n");                                                         \
        }                                                                         \
    } while (0)

/* 1 in a build under AddressSanitizer (`make test SAN=1`). There the tests are after memory and
   undefined-behaviour errors on every path; the plain `make test` holds the learning bars. So the
   one test that trains to a bar for minutes under ASan (test_toy_tasks: 151 of the sanitized
   suite's 342 s) runs its configurations for a tenth of the steps there. */
#if defined(__SANITIZE_ADDRESS__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_SANITIZED 1
#endif
#endif
#ifndef T_SANITIZED
#define T_SANITIZED 0
#endif

/* a training run with no files and no progress lines */
static const ls_train_io T_QUIET = {.quiet = 1};

/* the step a resume checkpoint written by ls_train holds, for a model of config c (-1: none, or
   unreadable) */
int64_t t_ckpt_step(const char *path, const ls_config *c);

/* y[i] = e^a[i] through the header's vectorised expf (ls__expf_n); t_expf_vec(): 1 when the build
   has its vector path (FMA), 0 when it calls libm's expf */
void t_expf_n(float *y, const float *a, int64_t n);
int t_expf_vec(void);
/* y[i] = ls__exp(a[i]), the header's fast e^x (GELU, SiLU, attention), in a vectorised loop */
void t_exp_n(float *y, const float *a, int64_t n);
/* the fused attention's row helpers on 64 floats (ls__attn_row_max / _exp / _expl) and its vector
   width LS__ATTN_VW */
float t_attn_row_max(const float *p);
float t_attn_row_exp(float *p, float sub, int l2);
void t_attn_row_expl(float *p, float sub);
void t_attn_rows_max(const float *p, float *out);   /* 16 rows of 64, out[16] */
void t_attn_rows_exp(float *p, const float *sub, int l2, float *out);
void t_s4d_powers(int64_t N2, const double *zr, const double *zi, int tr, double *Zr, double *Zi);
int t_s4d_chunk(void);
int t_attn_vw(void);

/* holds a child process that trains into the checkpoint `ckpt` (model config c) until that
   checkpoint is at step `target` or later. The child runs in slices of about a millisecond between
   SIGSTOPs and the checkpoint is read while it is stopped, so a parent kept off the CPU (a
   sanitizer build, a busy machine) cannot miss the target by more than the slice it slept through.
   Returns the step on disk with the child stopped (the caller sends SIGCONT or SIGKILL); -2 when
   the child ended by itself (reaped: *status holds how); -3 after 20 s without reaching the target
   (the child is left stopped). */
int64_t t_child_until(int pid, const char *ckpt, const ls_config *c, int64_t target, int *status);

/* reads fd until end of file (or cap - 1 bytes) into buf, NUL-terminated: a child's messages */
void t_read_all(int fd, char *buf, size_t cap);

/* a scratch directory for files the tests write (created by the runner, removed at the end) */
const char *t_tmpdir(void);
/* expected failures: between begin and end, what the code under test writes to stderr goes to a
   file instead of the terminal; end returns it (static buffer, the first 4 KiB) to be checked */
void t_stderr_begin(void);
const char *t_stderr_end(void);
/* writes n bytes to <tmpdir>/<name> and returns the full path (static buffer, 4 in rotation) */
const char *t_write_file(const char *name, const void *data, size_t n);

#endif
