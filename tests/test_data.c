/* tests/test_data.c - the LRA-CPU data and SynthLang: generators checked by independent code, loaders
   checked on small fixtures written here (never the network, never data/). */
#include "test.h"   /* first: it sets _POSIX_C_SOURCE before any system header (fork, mkfifo, symlink) */
#define LRA_DATA_IMPLEMENTATION
#include "../experiments/lra_data.h"
#include "../experiments/synthlang.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------
   helpers
   --------------------------------------------------------------------------------------------- */

/* writes <tmpdir>/<dir>/<sub>/<name>, creating the directories; returns the path (static) */
static const char *put_file(const char *dir, const char *sub, const char *name, const void *data, size_t n) {
    static char path[4][600];
    static int k = 0;
    char d[512];
    k = (k + 1) & 3;
    snprintf(d, sizeof d, "%s/%s", t_tmpdir(), dir);
    mkdir(d, 0700);
    snprintf(d, sizeof d, "%s/%s/%s", t_tmpdir(), dir, sub);
    mkdir(d, 0700);
    snprintf(path[k], sizeof path[k], "%s/%s", d, name);
    FILE *f = fopen(path[k], "wb");
    if (!f) { perror(path[k]); exit(2); }
    if (n && fwrite(data, 1, n, f) != n) { perror(path[k]); exit(2); }
    fclose(f);
    return path[k];
}

static const char *dir_of(const char *dir) {
    static char d[512];
    snprintf(d, sizeof d, "%s/%s", t_tmpdir(), dir);
    return d;
}

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* ---------------------------------------------------------------------------------------------
   ListOps: an evaluator written independently of the generator (recursive descent, qsort median)
   --------------------------------------------------------------------------------------------- */

typedef struct lo_info { int max_op_depth, max_args, min_args, med_even; } lo_info;

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* parses one expression at tok[*i]; returns its value or -1 on a malformed sequence */
static int lo_eval(const int32_t *tok, int n, int *i, int depth, lo_info *info) {
    if (*i >= n) return -1;
    int x = tok[(*i)++];
    if (x >= 0 && x <= 9) return x;
    if (x < 10 || x > 13) return -1;
    if (depth > info->max_op_depth) info->max_op_depth = depth;
    int v[64], k = 0;
    while (*i < n && tok[*i] != 14) {
        if (k == 64) return -1;
        int y = lo_eval(tok, n, i, depth + 1, info);
        if (y < 0) return -1;
        v[k++] = y;
    }
    if (*i >= n) return -1;
    (*i)++; /* ] */
    if (k < 1) return -1;
    if (k > info->max_args) info->max_args = k;
    if (k < info->min_args) info->min_args = k;
    int r = 0;
    switch (x) {
    case 10: r = 9; for (int j = 0; j < k; j++) r = v[j] < r ? v[j] : r; break;
    case 11: r = 0; for (int j = 0; j < k; j++) r = v[j] > r ? v[j] : r; break;
    case 12: {
        qsort(v, (size_t)k, sizeof(int), cmp_int);
        double med = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
        r = (int)med; /* numpy: int(np.median(values)) */
        if (k % 2 == 0) info->med_even++;
        break;
    }
    case 13: r = 0; for (int j = 0; j < k; j++) r += v[j]; r %= 10; break;
    }
    return r;
}

static int lo_label(const int32_t *tok, int n, lo_info *info) {
    int i = 0;
    int v = lo_eval(tok, n, &i, 1, info);
    return i == n ? v : -1;
}

static void test_listops(void) {
    char err[LS_ERRLEN];
    lra_config c = lra_default_config(LRA_LISTOPS, LS_PROFILE_SMOKE);
    c.n_train = 600; c.n_val = 150; c.n_test = 150;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_LISTOPS, &c, LS_PROFILE_SMOKE, 11, NULL, err);
    T_CHECK(rc == 0, "listops smoke builds: %s", rc ? err : "ok");
    if (rc) return;
    T_CHECK(t.vocab == 17 && t.pad_id == 15 && t.mask_id == 16 && t.n_classes == 10 && t.T == c.max_len,
            "listops vocab %d pad %d mask %d classes %d T %lld", t.vocab, t.pad_id, t.mask_id, t.n_classes, (long long)t.T);
    int bad_label = 0, bad_len = 0, bad_pad = 0, bad_tok = 0;
    lo_info info = { 0, 0, 99, 0 };
    int64_t hist[10] = { 0 }, total = 0;
    lra_split *sp[3] = { &t.train, &t.val, &t.test };
    for (int k = 0; k < 3; k++) {
        lra_split *s = sp[k];
        for (int64_t e = 0; e < s->n; e++) {
            const int32_t *row = s->tokens + e * s->T;
            int n = s->len[e];
            if (!(n > c.min_len && n < c.max_len)) bad_len++;
            for (int i = 0; i < n; i++) bad_tok += row[i] < 0 || row[i] > 14;
            for (int64_t i = n; i < s->T; i++) bad_pad += row[i] != t.pad_id;
            int v = lo_label(row, n, &info);
            if (v != s->label[e]) bad_label++;
            if (v >= 0) hist[v]++;
            total++;
        }
    }
    T_CHECK(bad_label == 0, "independent evaluator agrees with every label (%d of %lld differ)", bad_label, (long long)total);
    T_CHECK(bad_len == 0, "every length in (%d, %d) (%d outside)", c.min_len, c.max_len, bad_len);
    T_CHECK(bad_tok == 0 && bad_pad == 0, "tokens in 0..14 (%d bad) and PAD after len (%d bad)", bad_tok, bad_pad);
    T_CHECK(info.max_op_depth <= 9 && info.max_args <= 10 && info.min_args >= 2,
            "operators at depth <= 9 (max %d) with 2..10 args (%d..%d)", info.max_op_depth, info.min_args, info.max_args);
    T_CHECK(info.med_even > 0, "the set exercises MED of an even count (%d nodes)", info.med_even);
    printf("  listops label distribution over %lld:", (long long)total);
    for (int d = 0; d < 10; d++) printf(" %d:%.1f%%", d, 100.0 * (double)hist[d] / (double)total);
    printf("\n");
    /* distinct across all splits */
    int dups = 0;
    for (int a = 0; a < 3; a++)
        for (int64_t i = 0; i < sp[a]->n; i++)
            for (int b = a; b < 3; b++)
                for (int64_t j = (b == a ? i + 1 : 0); j < sp[b]->n; j++)
                    if (sp[a]->len[i] == sp[b]->len[j] &&
                        !memcmp(sp[a]->tokens + i * t.T, sp[b]->tokens + j * t.T, (size_t)sp[a]->len[i] * 4))
                        dups++;
    T_CHECK(dups == 0, "no duplicate sequences across train/val/test (%d pairs)", dups);

    /* same seed, same data; other seed, other data */
    lra_task t2;
    rc = lra_task_load_config(&t2, LRA_LISTOPS, &c, LS_PROFILE_SMOKE, 11, NULL, err);
    T_CHECK(rc == 0 && !memcmp(t2.train.tokens, t.train.tokens, (size_t)t.train.n * t.T * 4) &&
                !memcmp(t2.test.label, t.test.label, (size_t)t.test.n * 4),
            "same seed -> identical ListOps");
    if (!rc) lra_task_free(&t2);
    rc = lra_task_load_config(&t2, LRA_LISTOPS, &c, LS_PROFILE_SMOKE, 12, NULL, err);
    T_CHECK(rc == 0 && memcmp(t2.train.tokens, t.train.tokens, (size_t)t.train.n * t.T * 4),
            "another seed -> other ListOps");
    if (!rc) lra_task_free(&t2);

    /* TSV round trip */
    char path[600];
    snprintf(path, sizeof path, "%s/listops_train.tsv", t_tmpdir());
    rc = lra_listops_write_tsv(path, &t.train, err);
    T_CHECK(rc == 0, "write TSV: %s", rc ? err : "ok");
    lra_split back;
    rc = lra_listops_read_tsv(path, t.T, &back, err);
    T_CHECK(rc == 0, "read TSV back: %s", rc ? err : "ok");
    if (!rc) {
        T_CHECK(back.n == t.train.n && back.T == t.T && !memcmp(back.len, t.train.len, (size_t)back.n * 4) &&
                    !memcmp(back.label, t.train.label, (size_t)back.n * 4) &&
                    !memcmp(back.tokens, t.train.tokens, (size_t)back.n * back.T * 4),
                "TSV round-trips tokens, lengths, labels and padding (%lld rows)", (long long)back.n);
        free(back.tokens); free(back.len); free(back.label);
    }
    /* under a file-size limit (ulimit -f) the TSV write fails with a message naming the file
       instead of SIGXFSZ killing the process, and the file written above stays whole (in a child) */
    {
        struct stat st0, st1;
        int had = stat(path, &st0) == 0 && st0.st_size > 8192;
        int fds[2];
        if (pipe(fds)) { T_CHECK(0, "TSV size limit: pipe failed"); }
        else {
            pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                struct rlimit rl = {4096, 4096};
                setrlimit(RLIMIT_FSIZE, &rl);
                char e[LS_ERRLEN] = "";
                int ok = lra_listops_write_tsv(path, &t.train, e) == -1 && strstr(e, "listops_train.tsv") &&
                         strstr(e, "File too large");
                if (write(fds[1], e, strlen(e) + 1) < 0) _exit(3);
                _exit(ok ? 0 : 1);
            }
            close(fds[1]);
            char msg[LS_ERRLEN] = "";
            t_read_all(fds[0], msg, sizeof msg);
            close(fds[0]);
            int status = 0;
            waitpid(pid, &status, 0);
            int kept = stat(path, &st1) == 0 && st1.st_size == st0.st_size;
            T_CHECK(had && WIFEXITED(status) && WEXITSTATUS(status) == 0 && kept,
                    "under a 4 KB file-size limit the ListOps TSV write fails with a message (child %s), the old "
                    "%lld-byte file stays (%d): %s",
                    WIFSIGNALED(status) ? (WTERMSIG(status) == SIGXFSZ ? "killed by SIGXFSZ" : "killed") : "exited",
                    (long long)st0.st_size, kept, msg);
        }
    }
    lra_task_free(&t);

    /* the exact LRA text form, both ways */
    int32_t one[4] = { LRA_LO_MAX, 2, 9, LRA_LO_END };
    int32_t len1 = 4, lab1 = 9;
    lra_split s1;
    memset(&s1, 0, sizeof s1);
    s1.n = 1; s1.T = 4; s1.pair = 1; s1.tokens = one; s1.len = &len1; s1.label = &lab1;
    snprintf(path, sizeof path, "%s/one.tsv", t_tmpdir());
    rc = lra_listops_write_tsv(path, &s1, err);
    FILE *f = fopen(path, "rb");
    char text[256] = { 0 };
    size_t nr = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    (void)nr;
    T_CHECK(rc == 0 && !strcmp(text, "Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n"),
            "writer uses LRA's parenthesised form: got \"%s\"", text);
    /* a fixture in the original release's format: nested operators, parens, ']' and 'X' */
    const char *lra =
        "Source\tTarget\n"
        "( ( ( ( [MIN 4 ) ( ( ( [SM 3 ) 5 ) ] ) ) 1 ) ] )\t1\n"
        "( ( ( ( ( [MED 3 ) 4 ) 8 ) 1 ) X )\t3\n"
        "7\t7\n";
    char fx[600]; /* t_write_file's buffer is reused by later calls */
    snprintf(fx, sizeof fx, "%s", t_write_file("lra_release.tsv", lra, strlen(lra)));
    rc = lra_listops_read_tsv(fx, 0, &back, err);
    T_CHECK(rc == 0 && back.n == 3 && back.T == 8, "reads LRA-release lines: %s", rc ? err : "ok");
    if (!rc) {
        int ok = 1;
        for (int e = 0; e < 3; e++) {
            lo_info in2 = { 0, 0, 99, 0 };
            ok &= lo_label(back.tokens + e * back.T, back.len[e], &in2) == back.label[e];
        }
        T_CHECK(ok && back.len[0] == 8 && back.len[1] == 6 && back.len[2] == 1 && back.tokens[back.T + 5] == LRA_LO_END &&
                    back.tokens[back.T + 6] == LRA_LO_SYMBOLS,
                "LRA-release lines: parens dropped, X read as ], labels (1, 3, 7) evaluate");
        free(back.tokens); free(back.len); free(back.label);
    }
    /* malformed TSVs name the file and the line */
    struct { const char *name, *body, *want; } badtsv[] = {
        { "nohdr.tsv", "[MAX 1 2 ]\t2\n", "header" },
        { "badtok.tsv", "Source\tTarget\n[MAX 1 2 ]\t2\n[MEAN 1 ]\t1\n", "line 3: unknown token" },
        { "badtgt.tsv", "Source\tTarget\n[MAX 1 2 ]\t12\n", "target" },
        { "notab.tsv", "Source\tTarget\n[MAX 1 2 ]\n", "no tab" },
        { "empty.tsv", "Source\tTarget\n", "no examples" },
    };
    for (size_t i = 0; i < sizeof badtsv / sizeof badtsv[0]; i++) {
        const char *p = t_write_file(badtsv[i].name, badtsv[i].body, strlen(badtsv[i].body));
        err[0] = 0;
        rc = lra_listops_read_tsv(p, 0, &back, err);
        T_CHECK(rc == -1 && contains(err, badtsv[i].name) && contains(err, badtsv[i].want),
                "malformed %s fails naming the file and \"%s\": %s", badtsv[i].name, badtsv[i].want, err);
    }
    rc = lra_listops_read_tsv(fx, 4, &back, err);
    T_CHECK(rc == -1 && contains(err, "more than T"), "a line longer than T is an error: %s", err);

    /* short trees (4 < len < 8) collide often: distinctness must be enforced, not lucky */
    c = lra_default_config(LRA_LISTOPS, LS_PROFILE_SMOKE);
    c.min_len = 4; c.max_len = 8; c.T = 8; c.n_train = 1500; c.n_val = 0; c.n_test = 0;
    rc = lra_task_load_config(&t, LRA_LISTOPS, &c, LS_PROFILE_SMOKE, 5, NULL, err);
    T_CHECK(rc == 0, "1500 short trees build: %s", rc ? err : "ok");
    if (!rc) {
        dups = 0;
        int badv = 0;
        lo_info in4 = { 0, 0, 99, 0 };
        for (int64_t i = 0; i < t.train.n; i++) {
            badv += lo_label(t.train.tokens + i * 8, t.train.len[i], &in4) != t.train.label[i];
            for (int64_t j = i + 1; j < t.train.n; j++)
                dups += t.train.len[i] == t.train.len[j] && !memcmp(t.train.tokens + i * 8, t.train.tokens + j * 8, 32);
        }
        T_CHECK(dups == 0 && badv == 0, "1500 short trees: %d duplicate pairs, %d bad labels", dups, badv);
        lra_task_free(&t);
    }

    /* the cpu profile's bounds, a few hundred trees */
    c = lra_default_config(LRA_LISTOPS, LS_PROFILE_CPU);
    c.n_train = 300; c.n_val = 0; c.n_test = 0;
    rc = lra_task_load_config(&t, LRA_LISTOPS, &c, LS_PROFILE_CPU, 3, NULL, err);
    T_CHECK(rc == 0, "listops cpu bounds build: %s", rc ? err : "ok");
    if (!rc) {
        int badl = 0, badv = 0;
        lo_info in3 = { 0, 0, 99, 0 };
        for (int64_t e = 0; e < t.train.n; e++) {
            badl += !(t.train.len[e] > 100 && t.train.len[e] < 512);
            badv += lo_label(t.train.tokens + e * t.T, t.train.len[e], &in3) != t.train.label[e];
        }
        T_CHECK(badl == 0 && badv == 0 && in3.max_op_depth <= 9, "cpu-bounds trees: %d bad lengths, %d bad labels, depth %d",
                badl, badv, in3.max_op_depth);
        lra_task_free(&t);
    }
}

/* ---------------------------------------------------------------------------------------------
   Pathfinder
   --------------------------------------------------------------------------------------------- */

static int same_pt(float ax, float ay, float bx, float by) { return ax == bx && ay == by; }

static float pt_dist(float ax, float ay, float bx, float by) {
    return sqrtf((ax - bx) * (ax - bx) + (ay - by) * (ay - by));
}

/* checks one record against the parameters; returns a description of the first problem or NULL */
static const char *check_record(const lra_pf_params *p, const lra_pf_record *R, const uint8_t *img) {
    if (R->n_snakes < 2) return "fewer than two snakes";
    if (R->start[0] != 0 || R->start[R->n_snakes] != R->n_paddles) return "snake ranges do not cover the paddles";
    for (int s = 0; s < R->n_snakes; s++) {
        int n = R->start[s + 1] - R->start[s];
        if (n != (s < 2 ? p->contour_length : p->distractor_length)) return "a snake has the wrong number of paddles";
        for (int i = R->start[s]; i < R->start[s + 1]; i++) {
            const lra_pf_paddle *q = &R->paddle[i];
            float L = pt_dist(q->x0, q->y0, q->x1, q->y1);
            if (fabsf(L - p->paddle_length) > 1e-3f) return "a paddle has the wrong length";
            float lo = (float)p->padding, hi = (float)(p->size - p->padding);
            if (fminf(fminf(q->x0, q->x1), fminf(q->y0, q->y1)) < lo || fmaxf(fmaxf(q->x0, q->x1), fmaxf(q->y0, q->y1)) > hi)
                return "a paddle leaves the window";
            if (i > R->start[s]) { /* connected: the gap to the previous head is margin..2*margin */
                const lra_pf_paddle *pr = &R->paddle[i - 1];
                float gap = pt_dist(pr->x1, pr->y1, q->x0, q->y0);
                if (gap > 2.0f * R->margin + 1e-3f || gap < R->margin - 1e-3f) return "a snake is not connected";
            }
        }
    }
    /* clearance, sampled along the segments (independent of the generator's exact distance) */
    for (int i = 0; i < R->n_paddles; i++)
        for (int j = i + 1; j < R->n_paddles; j++) {
            int sn_i = 0, sn_j = 0;
            while (R->start[sn_i + 1] <= i) sn_i++;
            while (R->start[sn_j + 1] <= j) sn_j++;
            if (sn_i == sn_j && j == i + 1) continue;
            const lra_pf_paddle *a = &R->paddle[i], *b = &R->paddle[j];
            float m = 1e9f;
            for (int u = 0; u <= 16; u++)
                for (int v = 0; v <= 16; v++) {
                    float ax = a->x0 + (a->x1 - a->x0) * u / 16.0f, ay = a->y0 + (a->y1 - a->y0) * u / 16.0f;
                    float bx = b->x0 + (b->x1 - b->x0) * v / 16.0f, by = b->y0 + (b->y1 - b->y0) * v / 16.0f;
                    float d = pt_dist(ax, ay, bx, by);
                    if (d < m) m = d;
                }
            if (m < R->margin + p->thickness - 1e-3f) return "two paddles are closer than margin + thickness";
        }
    /* markers: one on a target's first tail, one on a target's last head, found by search */
    int s0 = -1, s1 = -1;
    for (int s = 0; s < R->n_snakes; s++) {
        const lra_pf_paddle *f = &R->paddle[R->start[s]], *l = &R->paddle[R->start[s + 1] - 1];
        if (same_pt(f->x0, f->y0, R->marker[0][0], R->marker[0][1])) s0 = s;
        if (same_pt(l->x1, l->y1, R->marker[1][0], R->marker[1][1])) s1 = s;
    }
    if (s0 < 0 || s1 < 0) return "a marker is not on a snake end";
    if (s0 > 1 || s1 > 1) return "a marker is on a distractor";
    if ((s0 == s1) != (R->label == 1)) return "the label disagrees with the markers' snakes";
    for (int k = 0; k < 2; k++) {
        int x = (int)R->marker[k][0], y = (int)R->marker[k][1];
        if (img[y * p->size + x] < 200) return "a marker pixel is not bright";
    }
    return NULL;
}

static void test_pathfinder(void) {
    lra_pf_params p = lra_pf_params_default(32);
    T_CHECK(p.contour_length == 14 && p.distractor_length == 4 && p.n_distractors == 5 && p.margin_lo == 1,
            "pathfinder32 uses LRA's hard settings (contour 14, distractors 5 x 4)");
    int64_t n = 400, S2 = 32 * 32;
    uint8_t *img = (uint8_t *)malloc((size_t)n * S2), *img2 = (uint8_t *)malloc((size_t)n * S2);
    int32_t *lab = (int32_t *)malloc((size_t)n * 4), *lab2 = (int32_t *)malloc((size_t)n * 4);
    lra_pf_record *rec = (lra_pf_record *)malloc((size_t)n * sizeof(lra_pf_record));
    int rc = lra_pathfinder_batch(&p, 42, 0, n, img, lab, rec);
    T_CHECK(rc == 0, "400 pathfinder images generate");
    int bad = 0, ones = 0, distractors = 0;
    const char *why = NULL;
    for (int64_t i = 0; i < n; i++) {
        const char *w = check_record(&p, &rec[i], img + i * S2);
        if (w) { bad++; if (!why) why = w; }
        ones += lab[i];
        bad += lab[i] != rec[i].label;
        distractors += rec[i].n_snakes - 2;
    }
    T_CHECK(bad == 0, "records: label-1 markers on one snake's two ends, label-0 on two targets, snakes connected and clear (%d bad: %s)",
            bad, why ? why : "-");
    T_CHECK(fabs(ones / (double)n - 0.5) <= 0.02, "classes balanced within 2%%: %d of %lld are 1", ones, (long long)n);
    printf("  pathfinder32: %.2f distractor snakes per image\n", distractors / (double)n);
    int ones_odd = 0;
    rc = lra_pathfinder_batch(&p, 43, 1, 301, img2, lab2, NULL);
    for (int i = 0; i < 301; i++) ones_odd += lab2[i];
    T_CHECK(rc == 0 && fabs(ones_odd / 301.0 - 0.5) <= 0.02, "balanced from an odd offset too: %d of 301", ones_odd);
    /* determinism, also across thread counts */
    int threads = ls_get_threads();
    ls_set_threads(1);
    rc = lra_pathfinder_batch(&p, 42, 0, n, img2, lab2, NULL);
    T_CHECK(rc == 0 && !memcmp(img, img2, (size_t)n * S2) && !memcmp(lab, lab2, (size_t)n * 4),
            "same seed -> identical bytes with 1 thread as with %d", threads);
    ls_set_threads(threads);
    rc = lra_pathfinder_batch(&p, 42, 0, n, img2, lab2, NULL);
    T_CHECK(rc == 0 && !memcmp(img, img2, (size_t)n * S2), "same seed -> identical bytes again with %d threads", threads);
    rc = lra_pathfinder_batch(&p, 7, 0, n, img2, lab2, NULL);
    T_CHECK(rc == 0 && memcmp(img, img2, (size_t)n * S2), "another seed -> other images");
    uint8_t one[32 * 32];
    lra_pathfinder_image(&p, 42, 17, one, NULL);
    T_CHECK(!memcmp(one, img + 17 * S2, (size_t)S2), "image 17 alone equals image 17 of the batch");
    free(img); free(img2); free(lab); free(lab2); free(rec);

    /* 1,000 images: time it */
    uint8_t *big = (uint8_t *)malloc((size_t)1000 * S2);
    double t0 = ls_now();
    rc = lra_pathfinder_batch(&p, 5, 0, 1000, big, NULL, NULL);
    double dt = ls_now() - t0;
    printf("  pathfinder32: 1000 images in %.3f s (%d threads)\n", dt, ls_get_threads());
    T_CHECK(rc == 0 && dt < 60.0, "1000 images in %.2f s (sanity bound 60 s)", dt);
    free(big);

    /* Path-X: a few 128x128 images, same checks */
    lra_pf_params px = lra_pf_params_default(128);
    int npx = 6;
    uint8_t *ximg = (uint8_t *)malloc((size_t)npx * 128 * 128);
    lra_pf_record *xrec = (lra_pf_record *)malloc((size_t)npx * sizeof(lra_pf_record));
    t0 = ls_now();
    rc = lra_pathfinder_batch(&px, 9, 0, npx, ximg, NULL, xrec);
    dt = ls_now() - t0;
    bad = 0; why = NULL;
    for (int i = 0; i < npx; i++) {
        const char *w = check_record(&px, &xrec[i], ximg + (size_t)i * 128 * 128);
        if (w) { bad++; if (!why) why = w; }
    }
    T_CHECK(rc == 0 && bad == 0, "Path-X records check out (%d bad: %s); %d images in %.2f s", bad, why ? why : "-", npx, dt);
    free(ximg); free(xrec);

    /* through the task interface */
    lra_config c = lra_default_config(LRA_PATHFINDER, LS_PROFILE_SMOKE);
    c.n_train = 40; c.n_val = 10; c.n_test = 10;
    lra_task t;
    char err[LS_ERRLEN];
    rc = lra_task_load_config(&t, LRA_PATHFINDER, &c, LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rc == 0, "pathfinder task builds: %s", rc ? err : "ok");
    if (!rc) {
        int okv = t.T == 1024 && t.vocab == 258 && t.height == 32 && t.train.n == 40 && t.val.n == 10;
        int lab1 = 0;
        for (int64_t i = 0; i < t.train.n * t.T; i++) okv &= t.train.tokens[i] >= 0 && t.train.tokens[i] <= 255;
        for (int64_t i = 0; i < t.train.n; i++) { okv &= t.train.len[i] == 1024; lab1 += t.train.label[i]; }
        T_CHECK(okv && lab1 == 20, "pathfinder task: T 1024, pixels 0..255, len 1024, 20 of 40 positive (%d)", lab1);
        T_CHECK(memcmp(t.train.tokens, t.val.tokens, 1024 * 4) && memcmp(t.val.tokens, t.test.tokens, 1024 * 4),
                "train, val and test come from different streams");
        lra_task_free(&t);
    }
}

/* ---------------------------------------------------------------------------------------------
   Image: IDX fixtures
   --------------------------------------------------------------------------------------------- */

static size_t idx_make(unsigned char *b, int nd, uint32_t n, int rows, int cols, int pix_seed) {
    size_t k = 0;
    b[k++] = 0; b[k++] = 0; b[k++] = 8; b[k++] = (unsigned char)nd;
    uint32_t dims[3] = { n, (uint32_t)rows, (uint32_t)cols };
    for (int d = 0; d < nd; d++)
        for (int s = 3; s >= 0; s--) b[k++] = (unsigned char)(dims[d] >> (8 * s));
    size_t per = nd == 3 ? (size_t)rows * cols : 1;
    for (size_t i = 0; i < n * per; i++) b[k++] = (unsigned char)(nd == 3 ? (i * 7 + (size_t)pix_seed) % 251 + 1 : (i * 3 + (size_t)pix_seed) % 10);
    return k;
}

static int image_fixture(const char *dir, int ntrain, int ntest) {
    static unsigned char b[16 + 8 * 784];
    size_t k = idx_make(b, 3, (uint32_t)ntrain, 28, 28, 0); put_file(dir, "fashion-mnist", "train-images-idx3-ubyte", b, k);
    k = idx_make(b, 1, (uint32_t)ntrain, 0, 0, 1);          put_file(dir, "fashion-mnist", "train-labels-idx1-ubyte", b, k);
    k = idx_make(b, 3, (uint32_t)ntest, 28, 28, 5);         put_file(dir, "fashion-mnist", "t10k-images-idx3-ubyte", b, k);
    k = idx_make(b, 1, (uint32_t)ntest, 0, 0, 2);           put_file(dir, "fashion-mnist", "t10k-labels-idx1-ubyte", b, k);
    return 0;
}

static void test_image(void) {
    char err[LS_ERRLEN];
    lra_config c = lra_default_config(LRA_IMAGE, LS_PROFILE_SMOKE);
    c.n_train = 2; c.n_val = 1; c.n_test = 2;
    image_fixture("img_ok", 4, 2); /* 4 train images: train 0-1, val = image 3 (the file's end), 2 unused */
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_ok"), err);
    T_CHECK(rc == 0, "4-image IDX fixture loads: %s", rc ? err : "ok");
    if (!rc) {
        int ok = t.train.n == 2 && t.val.n == 1 && t.test.n == 2 && t.T == 1024 && t.n_classes == 10;
        /* train image 1 and the val image (= train file image 3, the end of the file) */
        int pix = 1;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                int inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                size_t i1 = (size_t)1 * 784 + (size_t)(y - 2) * 28 + (size_t)(x - 2);
                size_t i2 = (size_t)3 * 784 + (size_t)(y - 2) * 28 + (size_t)(x - 2);
                int want1 = inside ? (int)((i1 * 7) % 251 + 1) : 0, want2 = inside ? (int)((i2 * 7) % 251 + 1) : 0;
                pix &= t.train.tokens[1024 + y * 32 + x] == want1 && t.val.tokens[y * 32 + x] == want2;
            }
        T_CHECK(ok && pix, "28x28 zero-padded to 32x32 (2-pixel black border), val = last image of the train file");
        T_CHECK(t.train.label[0] == 1 && t.train.label[1] == 4 && t.val.label[0] == 0 && t.test.label[1] == 5 &&
                    t.train.len[0] == 1024,
                "labels (1, 4 | 0 | 2, 5) read from the label files: %d %d %d %d", t.train.label[0], t.train.label[1],
                t.val.label[0], t.test.label[1]);
        lra_task_free(&t);
    }
    /* defects */
    static unsigned char b[16 + 8 * 784];
    size_t k;
    image_fixture("img_trunc", 3, 2);
    k = idx_make(b, 3, 3, 28, 28, 0);
    put_file("img_trunc", "fashion-mnist", "train-images-idx3-ubyte", b, k - 100);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_trunc"), err);
    T_CHECK(rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "truncated"), "truncated IDX: %s", err);
    put_file("img_trunc", "fashion-mnist", "train-images-idx3-ubyte", b, 10);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_trunc"), err);
    T_CHECK(rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "truncated"), "IDX shorter than its header: %s", err);

    image_fixture("img_magic", 3, 2);
    k = idx_make(b, 1, 2, 0, 0, 2);
    b[2] = 0x0D; /* float */
    put_file("img_magic", "fashion-mnist", "t10k-labels-idx1-ubyte", b, k);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_magic"), err);
    T_CHECK(rc == -1 && contains(err, "t10k-labels-idx1-ubyte") && contains(err, "magic"), "wrong magic: %s", err);

    image_fixture("img_count", 3, 2);
    k = idx_make(b, 1, 2, 0, 0, 1); /* 2 labels for 3 images */
    put_file("img_count", "fashion-mnist", "train-labels-idx1-ubyte", b, k);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_count"), err);
    T_CHECK(rc == -1 && contains(err, "train-labels-idx1-ubyte") && contains(err, "wrong count"), "label count != image count: %s", err);
    k = idx_make(b, 3, 3, 28, 28, 0);
    b[7] = 2; /* header says 2 images, the file holds 3 */
    image_fixture("img_count2", 3, 2);
    put_file("img_count2", "fashion-mnist", "train-images-idx3-ubyte", b, k);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_count2"), err);
    T_CHECK(rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "wrong count"), "header count != file size: %s", err);
    image_fixture("img_few", 2, 2);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_few"), err);
    T_CHECK(rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "needs"), "too few images for the profile: %s", err);
    k = idx_make(b, 1, 3, 0, 0, 1);
    b[9] = 12;
    image_fixture("img_lab", 3, 2);
    put_file("img_lab", "fashion-mnist", "train-labels-idx1-ubyte", b, k);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_lab"), err);
    T_CHECK(rc == -1 && contains(err, "train-labels-idx1-ubyte") && contains(err, "class"), "label 12: %s", err);
    rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir_of("img_missing"), err);
    T_CHECK(rc == -1 && contains(err, "img_missing/fashion-mnist/train-images-idx3-ubyte") && contains(err, "make data"),
            "missing data names the file and `make data`: %s", err);
    T_CHECK(t.train.tokens == NULL && t.train.n == 0, "a failed load leaves the task empty");
}

/* ---------------------------------------------------------------------------------------------
   Text: JSON fixtures
   --------------------------------------------------------------------------------------------- */

static void test_text(void) {
    char err[LS_ERRLEN];
    /* blocks of one: test/neg, train/neg, test/pos, train/pos; escapes and a \u00e9 */
    const char *json =
        "[{\"t\":\"bad \\\"film\\\"\",\"s\":0},{\"t\":\"awful\\tdull\\\\\",\"s\":0},"
        "{\"t\":\"caf\\u00e9 good\",\"s\":1},{\"t\":\"great fun, a long review that is cut at sixteen\",\"s\":1}]";
    put_file("txt_ok", "imdb", "reviews.json", json, strlen(json));
    lra_config c = lra_default_config(LRA_TEXT, LS_PROFILE_CPU);
    c.n_train = 2; c.n_val = 1; c.n_test = 1; c.T = 16; c.val_is_test = 0;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of("txt_ok"), err);
    T_CHECK(rc == 0, "4-record JSON loads: %s", rc ? err : "ok");
    if (!rc) {
        char s[3][17];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 16; i++) s[k][i] = (char)t.train.tokens[k * 16 + i];
            s[k][t.train.len[k]] = 0;
        }
        int a = t.train.label[0] == 0 ? 0 : 1; /* the negative one */
        T_CHECK(t.train.label[0] + t.train.label[1] == 1 && !strcmp(s[a], "awful\tdull\\") &&
                    !strcmp(s[1 - a], "great fun, a lon") && t.train.len[1 - a] == 16,
                "train = blocks 2 and 4, escapes decoded, truncated at T: \"%s\" \"%s\"", s[a], s[1 - a]);
        T_CHECK(t.train.tokens[a * 16 + 11] == t.pad_id && t.train.tokens[a * 16 + 15] == t.pad_id && t.pad_id == 256,
                "positions past len hold PAD 256");
        int ok = t.test.n == 1 && t.test.label[0] == 0 && t.test.len[0] == 10 && t.test.tokens[4] == '"';
        ok &= t.val.n == 1 && t.val.label[0] == 1 && t.val.len[0] == 10 && t.val.tokens[3] == 0xC3 && t.val.tokens[4] == 0xA9;
        T_CHECK(ok, "test/val drawn from blocks 1 and 3 (neg first), \\u00e9 decoded to C3 A9");
        lra_task_free(&t);
    }
    c.n_val = 2; c.n_test = 2; c.val_is_test = 1;
    rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_PAPER, 1, dir_of("txt_ok"), err);
    T_CHECK(rc == 0 && t.val.n == 2 && !memcmp(t.val.tokens, t.test.tokens, 2 * 16 * 4) && t.val.tokens != t.test.tokens &&
                t.test.label[0] + t.test.label[1] == 1,
            "LRA protocol: val is a copy of the 2-review test set: %s", rc ? err : "ok");
    if (!rc) lra_task_free(&t);
    c.val_is_test = 0; c.n_val = 1; c.n_test = 1;

    struct { const char *name, *body, *want; } bad[] = {
        { "trunc", "[{\"t\":\"bad film\",\"s\":0},{\"t\":\"awfu", "malformed JSON" },
        { "escape", "[{\"t\":\"bad \\q\",\"s\":0}]", "escape" },
        { "nos", "[{\"t\":\"bad\",\"x\":0}]", "\"s\"" },
        { "label", "[{\"t\":\"a\",\"s\":0},{\"t\":\"b\",\"s\":0},{\"t\":\"c\",\"s\":2},{\"t\":\"d\",\"s\":1}]", "not 0 or 1" },
        { "noarray", "{\"t\":\"a\",\"s\":0}", "'['" },
        { "count", "[{\"t\":\"a\",\"s\":0},{\"t\":\"b\",\"s\":0},{\"t\":\"c\",\"s\":1}]", "wrong count" },
        { "blocks", "[{\"t\":\"a\",\"s\":0},{\"t\":\"b\",\"s\":1},{\"t\":\"c\",\"s\":1},{\"t\":\"d\",\"s\":1}]", "four-block" },
        { "unicode", "[{\"t\":\"caf\\u00g9\",\"s\":0}]", "\\u" },
        { "empty", "", "empty file" },
        { "trailing", "[{\"t\":\"a\",\"s\":0},{\"t\":\"b\",\"s\":0},{\"t\":\"c\",\"s\":1},{\"t\":\"d\",\"s\":1}]x", "trailing" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "txt_%s", bad[i].name);
        put_file(dir, "imdb", "reviews.json", bad[i].body, strlen(bad[i].body));
        err[0] = 0;
        rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of(dir), err);
        T_CHECK(rc == -1 && contains(err, dir) && contains(err, "reviews.json") && contains(err, bad[i].want),
                "JSON defect '%s' fails naming the file and \"%s\": %s", bad[i].name, bad[i].want, err);
    }
    c.n_train = 3;
    rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of("txt_ok"), err);
    T_CHECK(rc == -1 && contains(err, "reviews.json") && contains(err, "needs"), "too few reviews for the profile: %s", err);
    rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of("txt_missing"), err);
    T_CHECK(rc == -1 && contains(err, "txt_missing/imdb/reviews.json") && contains(err, "make data"), "missing reviews.json: %s", err);
}

/* ---------------------------------------------------------------------------------------------
   Retrieval: speech fixtures
   --------------------------------------------------------------------------------------------- */

static void speech(const char *dir, const char *name, char letter, int nbytes) {
    char buf[512];
    int k = 0;
    while (k < nbytes) {
        buf[k++] = letter;
        /* stage directions that must disappear */
        if (k == 10) { memcpy(buf + k, " (Applause.)", 12); k += 12; nbytes += 12; }
        if (k == 30) { memcpy(buf + k, "[laughter]", 10); k += 10; nbytes += 10; }
    }
    put_file(dir, "sotu", name, buf, (size_t)k);
}

static void test_retrieval(void) {
    char err[LS_ERRLEN];
    /* train: 1792, 1793; val: 1801, 1811 (year % 10 == 1); test: 1795, 1800 (year % 5 == 0) */
    speech("sotu_ok", "1792_George_Washington_n.txt", 'a', 64);
    speech("sotu_ok", "1793_John_Adams_f.txt", 'b', 40);
    speech("sotu_ok", "1801_Thomas_Jefferson_d.txt", 'c', 40);
    speech("sotu_ok", "1811_James_Madison_d.txt", 'd', 40);
    speech("sotu_ok", "1795_George_Washington_n.txt", 'e', 40);
    speech("sotu_ok", "1800_John_Adams_f.txt", 'f', 17);
    put_file("sotu_ok", "sotu", "LICENSE", "public domain", 13);
    lra_config c = lra_default_config(LRA_RETRIEVAL, LS_PROFILE_SMOKE);
    c.n_train = 40; c.n_val = 12; c.n_test = 12; c.T = 8;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_ok"), err);
    T_CHECK(rc == 0, "6 short speeches load: %s", rc ? err : "ok");
    if (!rc) {
        static const char allowed[3][3] = { "ab", "cd", "ef" };
        lra_split *sp[3] = { &t.train, &t.val, &t.test };
        int bad_split = 0, bad_label = 0, bad_pure = 0, bad_len = 0, pos = 0, total = 0, hard_seen = 0;
        for (int k = 0; k < 3; k++) {
            lra_split *s = sp[k];
            for (int64_t e = 0; e < s->n; e++) {
                const int32_t *row = s->tokens + e * 2 * s->T;
                int c0 = row[0], c1 = row[s->T];
                for (int i = 0; i < 8; i++) bad_pure += row[i] != c0 || row[8 + i] != c1;
                bad_len += s->len[2 * e] != 8 || s->len[2 * e + 1] != 8;
                bad_split += !strchr(allowed[k], c0) || !strchr(allowed[k], c1);
                bad_label += (c0 == c1) != (s->label[e] == 1);
                pos += s->label[e];
                total++;
                hard_seen += k == 0 && c0 != c1;
            }
        }
        T_CHECK(t.pair == 2 && t.T == 8 && t.vocab == 258, "retrieval: pairs of 8-byte passages, vocab 258");
        T_CHECK(bad_pure == 0, "stage directions stripped, passages cut whole from one speech (%d stray bytes)", bad_pure);
        T_CHECK(bad_split == 0, "train/val/test pairs use only their split's speeches (by year rule) (%d bad)", bad_split);
        T_CHECK(bad_label == 0, "label 1 <=> both passages from one speech (%d bad)", bad_label);
        T_CHECK(pos * 2 == total && bad_len == 0, "balanced: %d of %d positive", pos, total);
        T_CHECK(hard_seen > 0, "negatives present in train (%d)", hard_seen);
        lra_task t2;
        rc = lra_task_load_config(&t2, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_ok"), err);
        T_CHECK(rc == 0 && !memcmp(t2.train.tokens, t.train.tokens, (size_t)40 * 16 * 4) &&
                    !memcmp(t2.train.label, t.train.label, 40 * 4),
                "fixed seed -> identical pairs");
        if (!rc) lra_task_free(&t2);
        lra_task_free(&t);
    }
    /* the val split with a single president cannot draw random negatives */
    speech("sotu_onepres", "1792_George_Washington_n.txt", 'a', 64);
    speech("sotu_onepres", "1793_John_Adams_f.txt", 'b', 40);
    speech("sotu_onepres", "1801_Thomas_Jefferson_d.txt", 'c', 40);
    speech("sotu_onepres", "1795_George_Washington_n.txt", 'e', 40);
    speech("sotu_onepres", "1800_John_Adams_f.txt", 'f', 40);
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_onepres"), err);
    T_CHECK(rc == -1 && contains(err, "sotu_onepres/sotu") && contains(err, "val"), "a split with one president fails: %s", err);
    put_file("sotu_empty", "sotu", "README", "nothing", 7);
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_empty"), err);
    T_CHECK(rc == -1 && contains(err, "sotu_empty/sotu") && contains(err, "no speeches") && contains(err, "make data"),
            "a directory without speeches fails: %s", err);
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_missing"), err);
    T_CHECK(rc == -1 && contains(err, "sotu_missing/sotu") && contains(err, "make data"), "a missing directory fails: %s", err);
}

static void test_interface(void) {
    char err[LS_ERRLEN];
    lra_task t;
    int rc = lra_task_load(&t, "cifar", LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rc == -1 && contains(err, "cifar"), "unknown task name is refused: %s", err);
    int ok = 1;
    for (int i = 0; i < LRA_N_TASKS; i++) ok &= lra_task_id(lra_task_name(i)) == i;
    T_CHECK(ok && lra_task_id("nope") == -1, "task names round-trip");
    lra_config a = lra_default_config(LRA_PATHFINDER, LS_PROFILE_PAPER), b = lra_default_config(LRA_LISTOPS, LS_PROFILE_PAPER);
    T_CHECK(a.n_train == 160000 && a.n_val == 20000 && b.n_train == 96000 && b.min_len == 500 && b.max_len == 2000,
            "paper profile keeps LRA's sizes (Pathfinder 160k/20k/20k, ListOps 96k, 500 < len < 2000)");
    rc = lra_task_load(&t, "pathx", LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rc == 0 && t.T == 16384 && t.train.n == 64 && t.mask_ratio == 0.5f, "pathx smoke builds: %s (%.2f s)",
            rc ? err : "ok", rc ? 0.0 : t.seconds);
    if (!rc) lra_task_free(&t);
}

/* ---------------------------------------------------------------------------------------------
   The easier variants (lra_config.easy = 1): Pathfinder at 16x16 with 4-paddle contours and no
   distractors, Retrieval with 256-byte passages whose positives share half their bytes
   --------------------------------------------------------------------------------------------- */

static void test_pathfinder_easy(void) {
    lra_pf_params e = lra_pf_params_easy(), h = lra_pf_params_default(32);
    lra_pf_params rest = e; /* everything but size and the three lengths must be the hard setting's */
    rest.size = h.size;
    rest.contour_length = h.contour_length; rest.distractor_length = h.distractor_length; rest.n_distractors = h.n_distractors;
    T_CHECK(e.size == 16 && e.contour_length == 4 && e.n_distractors == 0 && !memcmp(&rest, &h, sizeof h),
            "pathfinder easy: 16 px, contour 4, no distractors, all else as hard (%d px, %d, %d distractors)",
            e.size, e.contour_length, e.n_distractors);
    lra_pf_params hx = lra_pf_params_default(128), h14 = lra_pf_params_contour(32, 14);
    T_CHECK(!memcmp(&h14, &h, sizeof h) && hx.contour_length == 14 && hx.distractor_length == 4 && hx.n_distractors == 7,
            "contour 14 is the default: pathfinder32 5 x 4 distractors, Path-X %d x %d", hx.n_distractors, hx.distractor_length);

    /* the generator with the easy parameters: records (one snake's paddles counted from the record) */
    int64_t n = 200, S2 = 16 * 16;
    uint8_t *img = (uint8_t *)malloc((size_t)n * S2);
    lra_pf_record *rec = (lra_pf_record *)malloc((size_t)n * sizeof(lra_pf_record));
    int rc = lra_pathfinder_batch(&e, 42, 0, n, img, NULL, rec);
    int bad = 0, bad_len = 0, extra = 0, restarts = 0;
    const char *why = NULL;
    for (int64_t i = 0; i < n; i++) {
        const lra_pf_record *R = &rec[i];
        const char *w = check_record(&e, R, img + i * S2);
        if (w) { bad++; if (!why) why = w; }
        bad_len += R->start[1] - R->start[0] != 4 || R->start[2] - R->start[1] != 4;
        extra += R->n_snakes != 2;
        restarts += R->restarts;
    }
    T_CHECK(rc == 0 && bad == 0, "200 easy images: markers, labels, connected and clear snakes (%d bad: %s)", bad, why ? why : "-");
    T_CHECK(bad_len == 0 && extra == 0, "easy images: two targets of 4 paddles, nothing else (%d bad lengths, %d with distractors)",
            bad_len, extra);
    printf("  pathfinder easy: %.2f restarts per image\n", restarts / (double)n);
    free(img); free(rec);

    /* through the task interface, against the LRA task of the same seed */
    char err[LS_ERRLEN];
    lra_config c = lra_default_config(LRA_PATHFINDER, LS_PROFILE_SMOKE);
    T_CHECK(c.easy == 0, "lra_default_config leaves easy = 0");
    c.n_train = 200; c.n_val = 50; c.n_test = 50;
    lra_task th, te;
    int rh = lra_task_load_config(&th, LRA_PATHFINDER, &c, LS_PROFILE_SMOKE, 1, NULL, err);
    c.easy = 1;
    int re = lra_task_load_config(&te, LRA_PATHFINDER, &c, LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rh == 0 && re == 0, "pathfinder and pathfinder-easy build: %s", re || rh ? err : "ok");
    if (rh || re) { if (!rh) lra_task_free(&th); if (!re) lra_task_free(&te); return; }
    T_CHECK(!strcmp(te.name, "pathfinder-easy") && !strcmp(th.name, "pathfinder") && te.id == LRA_PATHFINDER &&
                te.T == 256 && te.height == 16 && te.width == 16 && te.train.T == 256 && te.rev == 1 && th.rev == 0 &&
                th.T == 1024 && te.vocab == 258 && te.n_classes == 2 && te.mask_ratio == 0.5f,
            "easy task: name \"%s\", 16 x 16 (T %lld), data revision 1; vocab, classes and mask ratio of Pathfinder",
            te.name, (long long)te.T);
    lra_split *se[3] = { &te.train, &te.val, &te.test }, *sh[3] = { &th.train, &th.val, &th.test };
    int unbalanced = 0, lab_differ = 0, badpix = 0;
    for (int k = 0; k < 3; k++) {
        int ones = 0;
        for (int64_t i = 0; i < se[k]->n; i++) {
            ones += se[k]->label[i];
            lab_differ += se[k]->label[i] != sh[k]->label[i];
            for (int64_t j = 0; j < S2; j++) {
                int32_t a = se[k]->tokens[i * S2 + j];
                badpix += a < 0 || a > 255 || se[k]->len[i] != S2;
            }
        }
        unbalanced += fabs(ones / (double)se[k]->n - 0.5) > 0.02;
    }
    T_CHECK(unbalanced == 0 && badpix == 0, "easy labels balanced within 2%% in every split (%d splits off), pixels 0..255", unbalanced);
    T_CHECK(lab_differ == 0, "the easy variant shares the LRA task's streams: labels agree index by index (%d differ)", lab_differ);
    /* the task's images are the generator's with the easy parameters on the documented stream */
    uint64_t sd = ls_hash64(1 ^ ls_str_hash("pathfinder/train"));
    int mism = 0, bad_rec = 0;
    for (int64_t i = 0; i < 20; i++) {
        uint8_t one[16 * 16];
        lra_pf_record R;
        lra_pathfinder_image(&e, sd, i, one, &R);
        for (int64_t j = 0; j < S2; j++) mism += one[j] != te.train.tokens[i * S2 + j];
        mism += R.label != te.train.label[i];
        bad_rec += R.start[1] != 4 || R.start[2] != 8 || R.n_snakes != 2;
    }
    T_CHECK(mism == 0 && bad_rec == 0, "easy train images 0-19 = lra_pathfinder_image(lra_pf_params_easy(), \"pathfinder/train\" "
            "stream), records with 4 + 4 target paddles (%d mismatches)", mism);
    lra_task_free(&th); lra_task_free(&te);

    /* the disc-distance shortcut: near chance on LRA's setting, clearly above it without distractors */
    double b_hard = lra_pf_disc_baseline(&h, 7, 600), b_easy = lra_pf_disc_baseline(&e, 7, 600);
    T_CHECK(b_hard >= 0.4 && b_hard < 0.6 && b_easy > 0.6 && b_easy <= 1.0 && lra_pf_disc_baseline(&e, 7, 0) == -1.0,
            "disc-distance baseline: %.3f on LRA's setting, %.3f on the easy variant (fitted on 600 images, scored on 600 others)",
            b_hard, b_easy);
}

/* a speech of n bytes of one letter (a stage direction in it, stripped by the loader) */
static void long_speech(const char *dir, const char *name, char letter, int n) {
    static char buf[4096];
    int k = 0;
    for (int i = 0; i < n && k < 4000; i++) {
        buf[k++] = letter;
        if (i == 100) { memcpy(buf + k, " (Applause.)", 12); k += 12; }
    }
    put_file(dir, "sotu", name, buf, (size_t)k);
}

static void test_retrieval_easy(void) {
    char err[LS_ERRLEN];
    /* train 1792, 1793; val 1801, 1811; test 1795, 1800: every split has a speech of >= 2 passages */
    long_speech("sotu_easy", "1792_George_Washington_n.txt", 'a', 1100);
    long_speech("sotu_easy", "1793_John_Adams_f.txt", 'b', 600);
    long_speech("sotu_easy", "1801_Thomas_Jefferson_d.txt", 'c', 600);
    long_speech("sotu_easy", "1811_James_Madison_d.txt", 'd', 520);
    long_speech("sotu_easy", "1795_George_Washington_n.txt", 'e', 700);
    long_speech("sotu_easy", "1800_John_Adams_f.txt", 'f', 300);
    lra_config c = lra_default_config(LRA_RETRIEVAL, LS_PROFILE_SMOKE);
    c.n_train = 40; c.n_val = 12; c.n_test = 12; c.T = 8; /* T is not used by the easy variant */
    c.easy = 1;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_easy"), err);
    T_CHECK(rc == 0, "retrieval-easy loads 6 speeches of 300-1100 bytes: %s", rc ? err : "ok");
    if (!rc) {
        static const char allowed[3][3] = { "ab", "cd", "ef" };
        lra_split *sp[3] = { &t.train, &t.val, &t.test };
        int bad_T = 0, bad_len = 0, bad_lab = 0, bad_pure = 0, bad_split = 0, bad_match = 0, cls[2] = { 0, 0 };
        for (int k = 0; k < 3; k++) {
            lra_split *s = sp[k];
            bad_T += s->T != 256 || s->pair != 2;
            for (int64_t e = 0; e < s->n; e++) {
                const int32_t *row = s->tokens + e * 2 * s->T;
                for (int q = 0; q < 2; q++) bad_len += s->len[2 * e + q] < 1 || s->len[2 * e + q] > 256;
                int c0 = row[0], c1 = row[s->T];
                for (int64_t i = 0; i < s->T; i++) bad_pure += row[i] != c0 || row[s->T + i] != c1;
                bad_split += !strchr(allowed[k], c0) || !strchr(allowed[k], c1);
                if (s->label[e] == 0 || s->label[e] == 1) cls[s->label[e]]++; else bad_lab++;
                bad_match += (c0 == c1) != (s->label[e] == 1);
            }
        }
        T_CHECK(t.T == 256 && bad_T == 0 && !strcmp(t.name, "retrieval-easy") && t.pair == 2 && t.vocab == 258,
                "retrieval-easy: \"%s\", pairs of T = 256 bytes (T %lld; the config's T 8 not used)", t.name, (long long)t.T);
        T_CHECK(bad_len == 0, "every passage length in 1..256 (%d bad)", bad_len);
        T_CHECK(bad_lab == 0 && cls[0] > 0 && cls[1] > 0, "labels in {0, 1}, both present (%d negative, %d positive, %d bad)",
                cls[0], cls[1], bad_lab);
        T_CHECK(bad_pure == 0 && bad_split == 0 && bad_match == 0,
                "same documents and pairing rule: whole passages of one speech (%d stray), split by year (%d), label 1 <=> same speech (%d)",
                bad_pure, bad_split, bad_match);
        lra_task_free(&t);
    }
    rc = lra_task_load(&t, "retrieval-easy", LS_PROFILE_SMOKE, 1, dir_of("sotu_easy"), err);
    T_CHECK(rc == 0 && !strcmp(t.name, "retrieval-easy") && t.T == 256 && t.train.n == 512 && t.val.n == 128,
            "lra_task_load(\"retrieval-easy\") = smoke sizes, 256-byte passages: %s", rc ? err : "ok");
    if (!rc) lra_task_free(&t);
    /* positives are near-duplicates: on speeches of pseudo-random letters (no byte run repeats),
       label 1 <=> one window's second half is the other's first half */
    for (int i = 0; i < 6; i++) {
        static const char *const nm[6] = {"1792_George_Washington_n.txt", "1793_John_Adams_f.txt",
                                          "1801_Thomas_Jefferson_d.txt", "1811_James_Madison_d.txt",
                                          "1795_George_Washington_n.txt", "1800_John_Adams_f.txt"};
        static char buf[1200];
        uint64_t h = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
        for (int k = 0; k < 1200; k++) { h = h * 6364136223846793005ULL + 1442695040888963407ULL; buf[k] = (char)('a' + (h >> 33) % 26); }
        put_file("sotu_overlap", "sotu", nm[i], buf, sizeof buf);
    }
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_overlap"), err);
    if (!rc) {
        int bad = 0, pos = 0;
        lra_split *sp[3] = { &t.train, &t.val, &t.test };
        for (int k = 0; k < 3; k++)
            for (int64_t e = 0; e < sp[k]->n; e++) {
                const int32_t *a = sp[k]->tokens + e * 2 * 256, *b = a + 256;
                int ab = !memcmp(a + 128, b, 128 * sizeof(int32_t)), ba = !memcmp(b + 128, a, 128 * sizeof(int32_t));
                bad += (ab || ba) != (sp[k]->label[e] == 1);
                pos += sp[k]->label[e] == 1;
            }
        T_CHECK(bad == 0 && pos > 0, "retrieval-easy: a pair shares half its bytes (one window's second half is the other's "
                "first) exactly when it is positive (%d positives of %d pairs; %d wrong)", pos, (int)(t.train.n + t.val.n + t.test.n), bad);
        lra_task_free(&t);
    } else {
        T_CHECK(0, "retrieval-easy on speeches of random letters: %s", err);
    }
    /* the LRA setting on the same speeches still cuts passages of T bytes */
    c.easy = 0;
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_easy"), err);
    T_CHECK(rc == 0 && t.T == 8 && !strcmp(t.name, "retrieval"), "easy = 0 keeps the config's T (8) and the name: %s", rc ? err : "ok");
    if (!rc) lra_task_free(&t);
    /* speeches shorter than two 256-byte passages cannot give positives */
    long_speech("sotu_easy_short", "1792_George_Washington_n.txt", 'a', 400);
    long_speech("sotu_easy_short", "1793_John_Adams_f.txt", 'b', 300);
    long_speech("sotu_easy_short", "1801_Thomas_Jefferson_d.txt", 'c', 600);
    long_speech("sotu_easy_short", "1811_James_Madison_d.txt", 'd', 520);
    long_speech("sotu_easy_short", "1795_George_Washington_n.txt", 'e', 700);
    long_speech("sotu_easy_short", "1800_John_Adams_f.txt", 'f', 300);
    c.easy = 1;
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, dir_of("sotu_easy_short"), err);
    T_CHECK(rc == -1 && contains(err, "sotu_easy_short/sotu") && contains(err, "train") && contains(err, "256 bytes"),
            "retrieval-easy on train speeches under 512 bytes fails naming the split and 256 bytes: %s", err);
}

static void test_easy_interface(void) {
    char err[LS_ERRLEN];
    lra_task t;
    /* easy = 1 is refused, before any file is read, for the four tasks without a variant */
    static const int no_easy[4] = { LRA_LISTOPS, LRA_TEXT, LRA_IMAGE, LRA_PATHX };
    for (int k = 0; k < 4; k++) {
        lra_config c = lra_default_config(no_easy[k], LS_PROFILE_SMOKE);
        c.easy = 1;
        err[0] = 0;
        int rc = lra_task_load_config(&t, no_easy[k], &c, LS_PROFILE_SMOKE, 1, dir_of("no_data_here"), err);
        T_CHECK(rc == -1 && contains(err, lra_task_name(no_easy[k])) && contains(err, "easy") && !contains(err, "make data") &&
                    t.train.tokens == NULL && t.name[0] == 0,
                "easy = 1 for %s is refused naming the task: %s", lra_task_name(no_easy[k]), err);
    }
    lra_config c = lra_default_config(LRA_PATHFINDER, LS_PROFILE_SMOKE);
    c.easy = 2;
    int rc = lra_task_load_config(&t, LRA_PATHFINDER, &c, LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rc == -1 && contains(err, "pathfinder") && contains(err, "easy = 2"), "easy = 2 is refused: %s", err);
    /* names */
    int id = 0, easy = 0, ok = 1;
    ok &= lra_task_parse("pathfinder-easy", &id, &easy) == 0 && id == LRA_PATHFINDER && easy == 1;
    ok &= lra_task_parse("retrieval-easy", &id, &easy) == 0 && id == LRA_RETRIEVAL && easy == 1;
    for (int i = 0; i < LRA_N_TASKS; i++) ok &= lra_task_parse(lra_task_name(i), &id, &easy) == 0 && id == i && easy == 0;
    T_CHECK(ok, "lra_task_parse: the six names (easy 0) and pathfinder-easy, retrieval-easy (easy 1)");
    T_CHECK(LRA_N_TASKS == 6 && lra_task_id("pathfinder-easy") == -1 && lra_task_id("retrieval-easy") == -1,
            "lra_task_id does not know the variants (LRA_N_TASKS stays 6)");
    static const char *const bad[] = { "pathfinder-hard", "listops-easy", "pathx-easy", "text-easy", "image-easy",
                                       "pathfinder-easy ", "Pathfinder-easy", "pathfinder-", "pathfinder-easyy", "retrieval-easy2",
                                       "retrieval-hard", "-easy", "" };
    int nbad = (int)(sizeof bad / sizeof bad[0]), refused = 0, named = 0;
    for (int i = 0; i < nbad; i++) {
        id = 3; easy = 1;
        refused += lra_task_parse(bad[i], &id, &easy) == -1 && id == -1 && easy == 0;
        err[0] = 0;
        named += lra_task_load(&t, bad[i], LS_PROFILE_SMOKE, 1, NULL, err) == -1 && contains(err, "unknown task") &&
                 (!bad[i][0] || contains(err, bad[i]));
    }
    T_CHECK(refused == nbad && named == nbad, "%d of %d unknown names (pathfinder-hard, listops-easy, ...) refused by lra_task_parse, %d by lra_task_load",
            refused, nbad, named);
    lra_task_load(&t, "pathfinder-hard", LS_PROFILE_SMOKE, 1, NULL, err);
    printf("  %s\n", err);
    T_CHECK(lra_task_parse(NULL, &id, &easy) == -1 && lra_task_parse("pathx", NULL, NULL) == 0, "NULL name and NULL outputs are safe");
    rc = lra_task_load(&t, "pathfinder-easy", LS_PROFILE_SMOKE, 1, NULL, err);
    T_CHECK(rc == 0 && !strcmp(t.name, "pathfinder-easy") && t.id == LRA_PATHFINDER && t.train.n == 400 && t.val.n == 100,
            "lra_task_load(\"pathfinder-easy\") builds the smoke sizes: %s (%.2f s)", rc ? err : "ok", rc ? 0.0 : t.seconds);
    if (!rc) lra_task_free(&t);
}

/* ---------------------------------------------------------------------------------------------
   SynthLang (experiments/synthlang.h): the text is parsed back into words here, and every rate the
   generator promises is checked against an expectation computed from the language's tables by this
   file's own arithmetic, with a tolerance of 4 standard deviations of the sample at hand.
   --------------------------------------------------------------------------------------------- */

/* the lexicon index of the letter run ids[0..n), or -1 (a linear scan: independent of the generator) */
static int sl_t_lookup(const sl_lang *L, const int32_t *ids, int64_t n) {
    for (int w = 0; w < SL_NWORDS; w++) {
        if (L->wlen[w] != n) continue;
        int k = 0;
        while (k < n && L->wchr[w][k] == ids[k]) k++;
        if (k == n) return w;
    }
    return -1;
}

/* does some lexicon word end (suffix = 1) or begin (suffix = 0) with ids[0..n)? */
static int sl_t_part_of_word(const sl_lang *L, const int32_t *ids, int64_t n, int suffix) {
    for (int w = 0; w < SL_NWORDS; w++) {
        int64_t off = suffix ? L->wlen[w] - n : 0, k = 0;
        if (n > L->wlen[w]) continue;
        while (k < n && L->wchr[w][off + k] == ids[k]) k++;
        if (k == n) return 1;
    }
    return 0;
}

static int sl_t_is_letter(int32_t id) { return id >= 0 && id < 26; }

static void test_synthlang_lexicon(void) {
    static sl_lang L, L2, L3;
    sl_init(&L, 1);
    sl_init(&L2, 1);
    sl_init(&L3, 2);
    int bad_len = 0, bad_chr = 0, dup_word = 0, bad_succ = 0;
    for (int w = 0; w < SL_NWORDS; w++) {
        bad_len += L.wlen[w] < 2 || L.wlen[w] > 8;
        for (int k = 0; k < L.wlen[w]; k++) bad_chr += !sl_t_is_letter(L.wchr[w][k]);
        for (int v = 0; v < w; v++)
            dup_word += L.wlen[v] == L.wlen[w] && !memcmp(L.wchr[v], L.wchr[w], (size_t)L.wlen[w]);
        for (int k = 0; k < SL_K; k++) {
            bad_succ += L.succ[w][k] < 0 || L.succ[w][k] >= SL_NWORDS;
            for (int j = 0; j < k; j++) bad_succ += L.succ[w][j] == L.succ[w][k];
        }
    }
    T_CHECK(bad_len == 0 && bad_chr == 0, "synthlang: 1000 words of 2..8 letters a-z (%d bad lengths, %d bad letters)",
            bad_len, bad_chr);
    T_CHECK(dup_word == 0, "synthlang: the 1000 words are distinct (%d duplicates)", dup_word);
    T_CHECK(bad_succ == 0, "synthlang: 8 distinct successors per word, all in the lexicon (%d bad)", bad_succ);
    T_CHECK(!memcmp(&L, &L2, sizeof L), "synthlang: same seed -> identical language");
    T_CHECK(memcmp(L.wchr, L3.wchr, sizeof L.wchr) && memcmp(L.succ, L3.succ, sizeof L.succ),
            "synthlang: different seed -> different lexicon and successors");
    /* successors are global Zipf draws: word 0 (probability 1/H_1000 = 13%) is among the 8 successors
       of most words, word 999 (0.013%) of almost none */
    int has0 = 0, has999 = 0;
    for (int w = 0; w < SL_NWORDS; w++)
        for (int k = 0; k < SL_K; k++) { has0 += L.succ[w][k] == 0; has999 += L.succ[w][k] == 999; }
    T_CHECK(has0 > 500 && has999 < 10, "synthlang: successors follow the global Zipf rank (word 0 in %d lists, word 999 in %d)",
            has0, has999);
    sl_free(&L); sl_free(&L2); sl_free(&L3);
}

static void test_synthlang_sets(void) {
    static sl_lang L;
    sl_init(&L, 1);
    const int64_t N = 64, T = 256;
    sl_set a, b, c, p;
    sl_set_make(&a, &L, 7, N, T, 1);
    sl_set_make(&b, &L, 7, N, T, 1);
    sl_set_make(&c, &L, 8, N, T, 1);
    sl_set_make(&p, &L, 7, N, T, 0);
    const size_t bytes = (size_t)N * T * sizeof(int32_t);
    int bad_id = 0, bad_meta = 0, seen[SL_VOCAB] = {0};
    for (int64_t i = 0; i < N * T; i++) {
        bad_id += a.tok[i] < 0 || a.tok[i] > SL_NL;
        if (a.tok[i] >= 0 && a.tok[i] < SL_VOCAB) seen[a.tok[i]] = 1;
    }
    for (int64_t i = 0; i < N; i++) bad_meta += a.len[i] != T || a.lab[i] != 0;
    T_CHECK(bad_id == 0 && seen[SL_SPACE] && seen[SL_DOT] && seen[SL_NL], "synthlang: ids in 0..28 only (%d outside)", bad_id);
    T_CHECK(a.d.n == N && a.d.T == T && !a.d.pair && a.d.tokens == a.tok && a.d.len == a.len && a.d.label == a.lab &&
                bad_meta == 0, "synthlang: set = nseq sequences of n ids, all lengths n, labels 0");
    T_CHECK(!memcmp(a.tok, b.tok, bytes), "synthlang: same seed -> identical set");
    T_CHECK(memcmp(a.tok, c.tok, bytes) != 0, "synthlang: different seed -> different set");
    /* copy spans are drawn from their own streams: the copy set is the plain set plus one span in about
       half of the sequences, each a contiguous change of <= 24 ids that repeats ids 8..n-8 positions back */
    int spans = 0, bad_span = 0;
    for (int64_t i = 0; i < N; i++) {
        const int32_t *x = p.tok + i * T, *y = a.tok + i * T;
        int64_t lo = -1, hi = -1;
        for (int64_t j = 0; j < T; j++) if (x[j] != y[j]) { if (lo < 0) lo = j; hi = j + 1; }
        if (lo < 0) continue;
        spans++;
        int found = 0;
        for (int64_t D = 8; D <= T - 8 && D <= lo && !found; D++)
            found = !memcmp(y + lo, y + lo - D, (size_t)(hi - lo) * sizeof(int32_t));
        bad_span += hi - lo > 24 || !found;
    }
    /* 64 fair coins: 4 sd = 16 (a span can equal what it overwrites only by rare chance) */
    T_CHECK(bad_span == 0 && spans >= 32 - 16 && spans <= 32 + 16,
            "synthlang: copy set = plain set + copy spans (%d of %d sequences, %d bad)", spans, (int)N, bad_span);
    sl_set_free(&a); sl_set_free(&b); sl_set_free(&c); sl_set_free(&p);
    sl_free(&L);
}

/* parse a plain set back into words and sentences; check the layout, the successor rate and the
   successor rank weights against expectations computed here */
static void test_synthlang_text(void) {
    static sl_lang L;
    sl_init(&L, 3);
    const int64_t N = 512, T = 512;
    sl_set s;
    sl_set_make(&s, &L, 11, N, T, 0);
    double H = 0, wk[SL_K], W = 0;                 /* Zipf normaliser, successor weights */
    for (int r = 1; r <= SL_NWORDS; r++) H += 1.0 / r;
    for (int k = 0; k < SL_K; k++) { wk[k] = pow(k + 1.0, -1.2); W += wk[k]; }
    int64_t words = 0, bad_word = 0, bad_sep = 0, bad_end = 0, seps = 0, dots = 0;
    int64_t trans = 0, follow = 0, rank1 = 0;
    double e_follow = 0, v_follow = 0, e_rank1 = 0, v_rank1 = 0;
    for (int64_t i = 0; i < N; i++) {
        const int32_t *x = s.tok + i * T;
        int64_t j = 0, prev = -1;
        while (j < T) {
            int64_t a = j;
            while (j < T && sl_t_is_letter(x[j])) j++;
            if (j == a) {
                /* no letters: the window starts on a separator (two in a row are caught below) */
            } else if (a == 0 || j == T) {             /* a run touching a cut end: part of a word */
                if (j > a) bad_end += !sl_t_part_of_word(&L, x + a, j - a, a == 0);
                prev = -1;
            } else {
                int w = sl_t_lookup(&L, x + a, j - a);
                bad_word += w < 0;
                words++;
                if (prev >= 0 && w >= 0) {               /* a transition prev -> w, both whole words */
                    double zs = 0, p, q;
                    int k = -1;
                    for (int m = 0; m < SL_K; m++) {
                        zs += 1.0 / (L.succ[prev][m] + 1) / H;
                        if (L.succ[prev][m] == w) k = m;
                    }
                    p = 0.9 + 0.1 * zs;                               /* successor, or Zipf hit a successor */
                    q = 0.9 * wk[0] / W + 0.1 / (L.succ[prev][0] + 1) / H; /* the first successor */
                    trans++; follow += k >= 0; rank1 += k == 0;
                    e_follow += p; v_follow += p * (1 - p);
                    e_rank1 += q; v_rank1 += q * (1 - q);
                }
                prev = w;
            }
            if (j == T) break;
            /* a separator: exactly " " or ".\n" between two words; after each word the sentence ends
               with probability 1/12 (Geometric lengths of mean 12), independently of everything else */
            int after_word = j > a;                    /* not the separator the window starts on */
            if (x[j] == SL_SPACE) { j++; seps += after_word; }
            else if (x[j] == SL_DOT && (j + 1 == T || x[j + 1] == SL_NL)) { j += 2; seps += after_word; dots += after_word; }
            else if (x[j] == SL_NL && j == 0) j++;     /* the window starts between '.' and '\n' */
            else { bad_sep++; j++; }
            if (j < T && !sl_t_is_letter(x[j])) bad_sep++;
        }
    }
    T_CHECK(bad_word == 0 && words > 30000, "synthlang: every letter run between separators is a lexicon word "
            "(%lld of %lld are not)", (long long)bad_word, (long long)words);
    T_CHECK(bad_end == 0, "synthlang: runs at the cut ends are a suffix / prefix of a word (%lld bad)", (long long)bad_end);
    T_CHECK(bad_sep == 0, "synthlang: words separated by exactly \" \" or \".\\n\" (%lld bad)", (long long)bad_sep);
    /* the sentence-end coin after each word: binomial, sd sqrt(n p (1 - p)) */
    double f = (double)dots / (double)seps, tol = 4 * sqrt((1.0 / 12) * (11.0 / 12) / (double)seps);
    T_CHECK(seps > 30000 && fabs(f - 1.0 / 12) < tol, "synthlang: %.4f of %lld words end a sentence, expected 1/12 "
            "(Geometric sentences of mean 12 words) +- %.4f", f, (long long)seps, tol);
    /* each transition is a Bernoulli given the previous word, so the variance of the count is sum p(1-p) */
    double d = (double)follow - e_follow, sd = sqrt(v_follow);
    T_CHECK(trans > 25000 && fabs(d) < 4 * sd, "synthlang: %.4f of %lld transitions follow a successor, expected "
            "%.4f (0.9 + 0.1 Zipf mass of the successors) +- %.4f", (double)follow / trans, (long long)trans,
            e_follow / trans, 4 * sd / trans);
    d = (double)rank1 - e_rank1, sd = sqrt(v_rank1);
    T_CHECK(fabs(d) < 4 * sd, "synthlang: first successor taken %.4f of the time, expected %.4f (weight 1/k^1.2) +- %.4f",
            (double)rank1 / trans, e_rank1 / trans, 4 * sd / trans);
    sl_set_free(&s);
    sl_free(&L);
}

/* a test-only record of the span: copy onto x[j] = j, so every changed cell names its source */
static void test_synthlang_copy_span(void) {
    static const struct { int64_t n, ltrain; } cases[] = {{128, 128}, {256, 64}, {48, 128}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t n = cases[c].n, lt = cases[c].ltrain, room = n < lt ? n : lt;
        int32_t x[256];
        int trials = 4000, spans = 0, bad = 0, lmin = 99, lmax = 0, d_at_l = 0, d_at_max = 0;
        for (int i = 0; i < trials; i++) {
            for (int64_t j = 0; j < n; j++) x[j] = (int32_t)j;
            ls_rng r = ls_rng_make(99, (uint64_t)i);
            sl_copy_span(&r, x, n, lt);
            int64_t t = -1, l = 0, D = 0;
            for (int64_t j = 0; j < n; j++) {
                if (x[j] == j) continue;
                if (t < 0) { t = j; D = j - x[j]; }
                bad += j != t + l || j - x[j] != D;   /* contiguous, one distance */
                l++;
            }
            if (t < 0) continue;
            spans++;
            bad += l < 8 || l > 24 || D < l || D > lt - l || D > room - l || t - D < 0 || t + l > n;
            lmin = l < lmin ? (int)l : lmin; lmax = l > lmax ? (int)l : lmax;
            d_at_l += D == l; d_at_max += D == room - l;
        }
        /* 4000 fair coins: sd = 31.6 */
        T_CHECK(bad == 0 && fabs(spans - 2000.0) < 4 * 31.6 && lmin == 8 && lmax == 24 && d_at_l && d_at_max,
                "synthlang: n %lld, ltrain %lld: x[t..t+l) = x[t-D..t-D+l), l in [8,24], D in [l, ltrain-l] "
                "(%d spans in %d, %d bad, l %d..%d, D = l %d times, D = max %d times)", (long long)n, (long long)lt,
                spans, trials, bad, lmin, lmax, d_at_l, d_at_max);
    }
    int32_t y[15];
    int changed = 0;
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 15; j++) y[j] = j;
        ls_rng r = ls_rng_make(5, (uint64_t)i);
        sl_copy_span(&r, y, 15, 128);
        for (int j = 0; j < 15; j++) changed += y[j] != j;
    }
    T_CHECK(changed == 0, "synthlang: no span fits in 15 ids (2 * 8 > 15): left alone");
}

static void test_synthlang_repeat(void) {
    static sl_lang L;
    sl_init(&L, 1);
    const int64_t N = 16, T = 512, P = 96;
    sl_set r, p, whole;
    sl_set_repeat(&r, &L, 5, N, T, P);
    sl_set_make(&p, &L, 5, N, T, 0);
    sl_set_repeat(&whole, &L, 5, N, T, T);
    int bad_period = 0, bad_seg = 0, bad_id = 0;
    for (int64_t i = 0; i < N; i++) {
        const int32_t *x = r.tok + i * T;
        for (int64_t j = P; j < T; j++) bad_period += x[j] != x[j - P];
        for (int64_t j = 0; j < P; j++) bad_seg += x[j] != p.tok[i * T + j];
        for (int64_t j = 0; j < T; j++) bad_id += x[j] < 0 || x[j] > SL_NL;
    }
    T_CHECK(bad_period == 0 && bad_id == 0, "synthlang: repeat set is periodic, x[i] == x[i - %lld] (%d bad)",
            (long long)P, bad_period);
    T_CHECK(bad_seg == 0, "synthlang: the repeated segment is the start of the plain sequence of the same seed");
    T_CHECK(!memcmp(whole.tok, p.tok, (size_t)N * T * sizeof(int32_t)), "synthlang: period >= n gives the plain set");
    sl_set_free(&r); sl_set_free(&p); sl_set_free(&whole);
    sl_free(&L);
}

static void test_synthlang_unigram(void) {
    /* row 0 counts whole; row 1 only its first 2 ids (len 2); the 31s are padding and must not count:
       counts 0:2 1:1 2:1 3:2 of 6, H = -(2 (1/3) log2(1/3) + 2 (1/6) log2(1/6)) = log2 6 - 2/3 = 1.918296 */
    static const int32_t tok[2][4] = {{0, 0, 1, 2}, {3, 3, 31, 31}};
    static const int32_t len[2] = {4, 2}, lab[2] = {0, 0};
    ls_dataset d = {.n = 2, .T = 4, .pair = 0, .tokens = &tok[0][0], .len = len, .label = lab};
    double h = sl_unigram_bits(&d);
    T_CHECK(fabs(h - 1.918296) < 1e-6, "synthlang: unigram entropy of a fixed 6-id set = log2 6 - 2/3 (got %.6f)", h);
    static const int32_t uni[1][4] = {{5, 6, 7, 8}};
    static const int32_t len4[1] = {4};
    ls_dataset u = {.n = 1, .T = 4, .pair = 0, .tokens = &uni[0][0], .len = len4, .label = lab};
    T_CHECK(fabs(sl_unigram_bits(&u) - 2.0) < 1e-12, "synthlang: 4 distinct ids = 2 bits");
}

static void test_synthlang(void) {
    test_synthlang_lexicon();
    test_synthlang_sets();
    test_synthlang_text();
    test_synthlang_copy_span();
    test_synthlang_repeat();
    test_synthlang_unigram();
}

/* ---------------------------------------------------------------------------------------------
   Bad inputs: readers bounded by their input
   --------------------------------------------------------------------------------------------- */

/* runs load(arg) in a child with an alarm: returns the child's exit status (0 = the load failed
   cleanly with want in its message), or -SIGNAL when it was killed (a hang, an abort) */
static int in_child(int (*load)(const char *, char *), const char *arg, const char *want, char *msg) {
    int fds[2];
    if (pipe(fds)) return -100;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(20);
        char err[LS_ERRLEN] = "";
        int rc = load(arg, err);
        if (write(fds[1], err, strlen(err) + 1) < 0) _exit(3);
        _exit(rc == -1 && contains(err, want) ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;   /* until the child closes its end */
    for (ssize_t n; got < LS_ERRLEN - 1 && (n = read(fds[0], msg + got, LS_ERRLEN - 1 - got)) > 0;) got += (size_t)n;
    msg[got] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

static int load_text(const char *dir, char *err) {
    lra_config c = lra_default_config(LRA_TEXT, LS_PROFILE_CPU);
    c.n_train = 2; c.n_val = 1; c.n_test = 1; c.T = 16; c.val_is_test = 0;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir, err);
    if (!rc) lra_task_free(&t);
    return rc;
}

static int load_image(const char *dir, char *err) {
    lra_config c = lra_default_config(LRA_IMAGE, LS_PROFILE_SMOKE);
    c.n_train = 1; c.n_val = 1; c.n_test = 1;
    lra_task t;
    int rc = lra_task_load_config(&t, LRA_IMAGE, &c, LS_PROFILE_SMOKE, 1, dir, err);
    if (!rc) lra_task_free(&t);
    return rc;
}

static int load_tsv(const char *path, char *err) {
    lra_split s;
    int rc = lra_listops_read_tsv(path, 0, &s, err);
    if (!rc) { free(s.tokens); free(s.len); free(s.label); }
    return rc;
}

static void test_bad_inputs(void) {
    char err[LS_ERRLEN] = "", msg[LS_ERRLEN] = "";
    /* IMDb JSON as a JSON tool writes it: indented, spaces around ':' and ',', keys in either order,
       a CRLF line end; it loads to the same splits as the compact form */
    const char *compact =
        "[{\"t\":\"bad \\\"film\\\"\",\"s\":0},{\"t\":\"awful\\tdull\\\\\",\"s\":0},"
        "{\"t\":\"caf\\u00e9 good\",\"s\":1},{\"t\":\"great fun, a long review that is cut at sixteen\",\"s\":1}]";
    const char *pretty =
        "[\n  {\n    \"t\": \"bad \\\"film\\\"\",\n    \"s\": 0\n  },\n  { \"s\" : 0 , \"t\" : \"awful\\tdull\\\\\" },\r\n"
        "\t{\"t\": \"caf\\u00e9 good\", \"s\": 1},\n  {\"s\":1,\"t\":\"great fun, a long review that is cut at sixteen\"}\n]\n";
    put_file("json_compact", "imdb", "reviews.json", compact, strlen(compact));
    put_file("json_pretty", "imdb", "reviews.json", pretty, strlen(pretty));
    lra_config c = lra_default_config(LRA_TEXT, LS_PROFILE_CPU);
    c.n_train = 2; c.n_val = 1; c.n_test = 1; c.T = 16; c.val_is_test = 0;
    lra_task a, b;
    int rca = lra_task_load_config(&a, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of("json_compact"), err);
    int rcb = lra_task_load_config(&b, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir_of("json_pretty"), err);
    int same = rca == 0 && rcb == 0 && !memcmp(a.train.tokens, b.train.tokens, 2 * 16 * 4) && !memcmp(a.train.label, b.train.label, 2 * 4) &&
               !memcmp(a.test.tokens, b.test.tokens, 16 * 4) && !memcmp(a.val.len, b.val.len, 4);
    T_CHECK(same, "IMDb JSON with ordinary whitespace and keys in either order loads as the compact form: %s", rcb ? err : "ok");
    if (!rca) lra_task_free(&a);
    if (!rcb) lra_task_free(&b);
    struct { const char *name, *body, *want; } bad[] = {
        { "twice", "[{\"t\":\"a\",\"t\":\"b\",\"s\":0}]", "\"t\" twice" },
        { "not", "[{\"s\":0}]", "without the review text" },
        { "nolab", "[{\"t\":\"a\"}]", "without the label" },
        { "float", "[{\"t\":\"a\",\"s\":1.0}]", "not 0 or 1" },
        { "colon", "[{\"t\" \"a\",\"s\":0}]", "':'" },
        { "other", "[{\"t\":\"a\",\"s\":0,\"x\":1}]", "unexpected key" },
        { "tnum", "[{\"t\":5,\"s\":0}]", "not a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "json_%s", bad[i].name);
        put_file(dir, "imdb", "reviews.json", bad[i].body, strlen(bad[i].body));
        err[0] = 0;
        int rc = load_text(dir_of(dir), err);
        T_CHECK(rc == -1 && contains(err, "reviews.json") && contains(err, bad[i].want),
                "JSON defect '%s' is refused naming \"%s\": %s", bad[i].name, bad[i].want, err);
    }
    /* a FIFO where a data file belongs: refused at once (was: the open blocked forever), in a child
       with an alarm so a regression fails instead of hanging; a directory and a device too */
    put_file("json_fifo", "imdb", "x", "", 0);
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/imdb/reviews.json", dir_of("json_fifo"));
    int made = mkfifo(fifo, 0600) == 0;
    int st = in_child(load_text, dir_of("json_fifo"), "FIFO", msg);
    T_CHECK(made && st == 0, "a FIFO named reviews.json is refused, not waited on (child %s): %s",
            st == -SIGALRM ? "killed by the 20 s alarm: it blocked" : st == 0 ? "refused it" : "failed", msg);
    put_file("img_dir", "fashion-mnist", "x", "", 0);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/fashion-mnist/train-images-idx3-ubyte", dir_of("img_dir"));
    mkdir(sub, 0700);
    err[0] = 0;
    int rc = load_image(dir_of("img_dir"), err);
    T_CHECK(rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "directory"),
            "a directory named like the IDX file is refused as one: %s", err);
    put_file("img_dev", "fashion-mnist", "x", "", 0);
    snprintf(sub, sizeof sub, "%s/fashion-mnist/train-images-idx3-ubyte", dir_of("img_dev"));
    int linked = symlink("/dev/null", sub) == 0;
    err[0] = 0;
    rc = load_image(dir_of("img_dev"), err);
    T_CHECK(linked && rc == -1 && contains(err, "train-images-idx3-ubyte") && contains(err, "device"),
            "a device named like the IDX file is refused as one: %s", err);

    /* ListOps TSV: one 300000-token line among 300000 one-token lines (1.8 MB) asked for 360 GB
       and aborted; now refused, naming the file, before any allocation of that size */
    size_t cap = 2000000, n = 0;
    char *tsv = (char *)malloc(cap);
    n += (size_t)sprintf(tsv, "Source\tTarget\n");
    for (int i = 0; i < 300000; i++) { tsv[n++] = '1'; tsv[n++] = ' '; }
    n += (size_t)sprintf(tsv + n, "\t1\n");
    for (int i = 0; i < 300000 && n + 5 < cap; i++) n += (size_t)sprintf(tsv + n, "1\t1\n");
    char path[600];
    snprintf(path, sizeof path, "%s", t_write_file("uneven.tsv", tsv, n));
    free(tsv);
    st = in_child(load_tsv, path, "uneven.tsv", msg);
    T_CHECK(st == 0 && contains(msg, "split the file"), "a ListOps TSV whose padding would dwarf the file is refused (child %s): %s",
            st == -SIGABRT ? "aborted: out of memory" : st == 0 ? "refused it" : "failed", msg);
    const char *small = "Source\tTarget\n7\t7\n";
    lra_split s1;
    rc = lra_listops_read_tsv(t_write_file("small.tsv", small, strlen(small)), 2000, &s1, err);
    T_CHECK(rc == 0 && s1.n == 1 && s1.T == 2000, "a one-line TSV padded to T = 2000 still loads (the floor): %s", rc ? err : "ok");
    if (!rc) { free(s1.tokens); free(s1.len); free(s1.label); }

    /* a speech shorter than one passage sorts first: no passage, no copy from a NULL table (UB the
       sanitizer build reports), the other speeches load as before */
    const char *names[] = {"1790_George_Washington_n.txt", "1792_George_Washington_n.txt", "1793_John_Adams_f.txt",
                           "1801_Thomas_Jefferson_d.txt", "1811_James_Madison_d.txt", "1795_George_Washington_n.txt",
                           "1800_John_Adams_f.txt"};
    const char *body[] = {"abc", "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccc",
                          "dddddddddddddddddddddddd", "eeeeeeeeeeeeeeeeeeeeeeee", "ffffffffffffffffffffffff"};
    for (int i = 0; i < 7; i++) put_file("sotu_short", "sotu", names[i], body[i], strlen(body[i]));
    lra_config rcfg = lra_default_config(LRA_RETRIEVAL, LS_PROFILE_SMOKE);
    rcfg.n_train = 8; rcfg.n_val = 4; rcfg.n_test = 4; rcfg.T = 8;
    lra_task t;
    rc = lra_task_load_config(&t, LRA_RETRIEVAL, &rcfg, LS_PROFILE_SMOKE, 1, dir_of("sotu_short"), err);
    int only_a_to_f = rc == 0;
    for (int64_t i = 0; only_a_to_f && i < t.train.n * 2 * 8; i++) only_a_to_f = t.train.tokens[i] >= 'a' && t.train.tokens[i] <= 'b';
    T_CHECK(only_a_to_f, "a speech shorter than a passage gives no passage and breaks nothing: %s", rc ? err : "ok");
    if (!rc) lra_task_free(&t);
}

void suite_data(void) {
    test_interface();
    test_listops();
    test_pathfinder();
    test_image();
    test_text();
    test_retrieval();
    test_bad_inputs();
    test_pathfinder_easy();
    test_retrieval_easy();
    test_easy_interface();
    test_synthlang();
}
