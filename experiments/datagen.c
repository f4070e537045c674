/* experiments/datagen.c - build one LRA-CPU task and describe it; optionally dump examples.

     datagen TASK [--profile smoke|cpu|paper] [--seed N] [--data DIR] [--threads N]
                  [--dump N --out DIR] [--stats] [--tsv FILE]

   Prints split sizes, sequence lengths, class balance and the build time. --dump N writes the first
   N training examples to --out (default out/datagen): image-like tasks (image, pathfinder, pathx)
   as PGM files named <task>_<index>_label<L>.pgm, the others as .txt (ListOps in LRA's bracket
   form, Text as the review bytes, Retrieval as the two passages). --stats adds the per-class mean
   length and the number of PAD tokens. --tsv FILE writes the ListOps training split in LRA's TSV
   format. Exit status: 0 success, 1 a failed build or write, 2 a bad command line (the flag is
   named). */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#include "lra_data.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *usage =
    "usage: datagen TASK [--profile smoke|cpu|paper] [--seed N] [--data DIR] [--threads N]\n"
    "                    [--dump N --out DIR] [--stats] [--tsv FILE]\n"
    "  TASK       listops | text | retrieval | image | pathfinder | pathx\n"
    "  --profile  sizes and lengths (default cpu)\n"
    "  --seed     data seed (default 1 = LRA_DATA_SEED, what the experiments use)\n"
    "  --data     directory of the fetched data sets (default data; `make data` fills it)\n"
    "  --threads  OpenMP threads for the generators (default: all)\n"
    "  --dump N   write the first N training examples (PGM for image tasks, .txt otherwise)\n"
    "  --out DIR  where --dump writes (default out/datagen)\n"
    "  --stats    also print per-class mean lengths and PAD counts\n"
    "  --tsv FILE write the ListOps training split as LRA TSV\n";

static int bad(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "datagen: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

static int parse_i64(const char *s, long long lo, long long *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < lo) return -1;
    *v = x;
    return 0;
}

static int mkdirs(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(buf, 0755); *p = '/'; }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int dump(const lra_task *t, int64_t n, const char *out) {
    if (mkdirs(out)) {
        fprintf(stderr, "datagen: --out %s: cannot create (%s)\n", out, strerror(errno));
        return 1;
    }
    const lra_split *s = &t->train;
    if (n > s->n) n = s->n;
    for (int64_t e = 0; e < n; e++) {
        char path[1200];
        int img = t->height > 0;
        snprintf(path, sizeof path, "%s/%s_%05lld_label%d.%s", out, t->name, (long long)e,
                 s->label[e], img ? "pgm" : "txt");
        FILE *f = fopen(path, "wb");
        if (!f) {
            fprintf(stderr, "datagen: %s: cannot create (%s)\n", path, strerror(errno));
            return 1;
        }
        const int32_t *row = s->tokens + (size_t)e * s->pair * s->T;
        if (img) {
            fprintf(f, "P5\n%d %d\n255\n", t->width, t->height);
            for (int64_t i = 0; i < s->T; i++) fputc(row[i] & 255, f);
        } else if (t->id == LRA_LISTOPS) {
            for (int64_t i = 0; i < s->len[e]; i++)
                fprintf(f, "%s%s", i ? " " : "", lra_listops_token_str(row[i]));
            fprintf(f, "\n");
        } else {
            for (int p = 0; p < s->pair; p++) {
                if (p) fprintf(f, "\n----------\n");
                for (int64_t i = 0; i < s->len[(size_t)e * s->pair + p]; i++)
                    fputc(row[(size_t)p * s->T + i] & 255, f);
            }
            fprintf(f, "\n");
        }
        int bad = ferror(f), e = errno;
        if (fclose(f) || bad) {
            if (!bad) e = errno;
            fprintf(stderr, "datagen: %s: write error (%s)\n", path,
                    e == EFBIG ? "File too large: a file-size limit, see ulimit -f" : strerror(e));
            return 1;
        }
    }
    printf("wrote %lld examples to %s/\n", (long long)n, out);
    return 0;
}

int main(int argc, char **argv) {
    const char *task = NULL, *data = "data", *out = "out/datagen", *tsv = NULL;
    long long seed = LRA_DATA_SEED, ndump = 0, threads = 0;
    int profile = LS_PROFILE_CPU, stats = 0, have_out = 0;
    /* under a file-size limit (ulimit -f) a write that crosses it fails with EFBIG and a message
       naming the file, instead of SIGXFSZ killing the program without a word */
    signal(SIGXFSZ, SIG_IGN);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage, stdout); return 0; }
        if (!strcmp(a, "--stats")) { stats = 1; continue; }
        if (a[0] == '-' && a[1] == '-') {
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (!strcmp(a, "--profile") || !strcmp(a, "--seed") || !strcmp(a, "--data") ||
                !strcmp(a, "--dump") || !strcmp(a, "--out") || !strcmp(a, "--threads") ||
                !strcmp(a, "--tsv")) {
                if (!v) return bad("%s needs a value%s", a, "");
                i++;
            } else {
                return bad("unknown flag %s%s", a, "");
            }
            if (!strcmp(a, "--profile")) {
                if (!strcmp(v, "smoke")) profile = LS_PROFILE_SMOKE;
                else if (!strcmp(v, "cpu")) profile = LS_PROFILE_CPU;
                else if (!strcmp(v, "paper")) profile = LS_PROFILE_PAPER;
                else return bad("--profile: bad value \"%s\" (smoke, cpu or paper)%s", v, "");
            } else if (!strcmp(a, "--seed")) {
                if (parse_i64(v, 0, &seed))
                    return bad("--seed: bad value \"%s\" (a non-negative integer)%s", v, "");
            } else if (!strcmp(a, "--dump")) {
                if (parse_i64(v, 0, &ndump))
                    return bad("--dump: bad value \"%s\" (a non-negative integer)%s", v, "");
            } else if (!strcmp(a, "--threads")) {
                if (parse_i64(v, 1, &threads))
                    return bad("--threads: bad value \"%s\" (a positive integer)%s", v, "");
            } else if (!strcmp(a, "--data")) {
                data = v;
            } else if (!strcmp(a, "--out")) {
                out = v; have_out = 1;
            } else {
                tsv = v;
            }
            continue;
        }
        if (task) return bad("unexpected argument \"%s\" (the task is already \"%s\")", a, task);
        task = a;
    }
    if (!task)
        return bad("no TASK given (listops, text, retrieval, image, pathfinder, pathx)%s%s",
                   "", "");
    if (lra_task_id(task) < 0)
        return bad("unknown TASK \"%s\" (listops, text, retrieval, image, pathfinder, pathx)%s",
                   task, "");
    if (have_out && !ndump) return bad("--out %s given without --dump N%s", out, "");
    if (tsv && strcmp(task, "listops")) return bad("--tsv is for listops only, not %s%s", task, "");
    if (threads) ls_set_threads((int)threads);

    lra_task t;
    char err[LS_ERRLEN];
    if (lra_task_load(&t, task, profile, (uint64_t)seed, data, err)) {
        fprintf(stderr, "datagen: %s\n", err);
        return 1;
    }
    const char *pname = profile == LS_PROFILE_SMOKE ? "smoke"
                        : profile == LS_PROFILE_PAPER ? "paper" : "cpu";
    printf("%s  profile %s  seed %lld  threads %d  built in %.2f s\n", t.name, pname, seed,
           ls_get_threads(), t.seconds);
    printf("  vocab %d (symbols 0..%d, PAD %d, MASK %d)  classes %d  T %lld%s  SPT mask ratio "
           "%.2f\n", t.vocab, t.n_symbols - 1, t.pad_id, t.mask_id, t.n_classes, (long long)t.T,
           t.pair == 2 ? " x 2 (pairs)" : "", (double)t.mask_ratio);
    static const char *const tag[3] = { "train", "val", "test" };
    for (int k = 0; k < 3; k++) {
        lra_split *s = lra_task_split(&t, k);
        lra_stats st;
        lra_split_stats(s, &st);
        printf("  %-5s n %7lld  len %lld..%lld mean %.1f  classes", tag[k], (long long)st.n,
               (long long)st.min_len, (long long)st.max_len, st.mean_len);
        for (int c = 0; c < t.n_classes; c++) printf(" %lld", (long long)st.count[c]);
        printf("  (");
        for (int c = 0; c < t.n_classes; c++)
            printf("%s%.1f%%", c ? " " : "",
                   st.n ? 100.0 * (double)st.count[c] / (double)st.n : 0.0);
        printf(")\n");
        if (stats) {
            double sum[LRA_MAX_CLASSES] = { 0 };
            int64_t pads = 0;
            for (int64_t e = 0; e < s->n; e++)
                for (int p = 0; p < s->pair; p++) {
                    sum[s->label[e]] += s->len[e * s->pair + p];
                    pads += s->T - s->len[e * s->pair + p];
                }
            printf("        mean length by class:");
            for (int c = 0; c < t.n_classes; c++)
                printf(" %.1f", st.count[c] ? sum[c] / (double)(st.count[c] * s->pair) : 0.0);
            printf("   PAD tokens %.1f%%\n",
                   s->n ? 100.0 * (double)pads / ((double)s->n * s->pair * s->T) : 0.0);
        }
    }
    int rc = 0;
    if (tsv) {
        if (lra_listops_write_tsv(tsv, &t.train, err)) {
            fprintf(stderr, "datagen: %s\n", err);
            rc = 1;
        } else printf("wrote %s\n", tsv);
    }
    if (!rc && ndump > 0) rc = dump(&t, ndump, out);
    lra_task_free(&t);
    return rc;
}
