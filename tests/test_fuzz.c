/* tests/test_fuzz.c - replays the fuzz corpus (tests/fuzz/corpus/<target>/: the valid seeds and every
   input that ever crashed a target, kept as regression tests) through the targets of
   tests/fuzz/targets.h. Each file must come back, error or not; under make test SAN=1 also without a
   sanitizer report. Runs from the repository root (make test does). */
#include "test.h"   /* first: it sets _POSIX_C_SOURCE before any system header */
#include "fuzz/targets.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CORPUS "tests/fuzz/corpus"

static unsigned char *slurp_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    unsigned char *b = (unsigned char *)malloc(cap);
    for (size_t got; (got = fread(b + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) b = (unsigned char *)realloc(b, cap *= 2);
    }
    fclose(f);
    *n = len;
    return b;
}

void suite_fuzz(void) {
    snprintf(fuzz_base, sizeof fuzz_base, "%s", t_tmpdir());
    for (int k = 0; k < FUZZ_N_TARGETS; k++) {
        char dir[256];
        snprintf(dir, sizeof dir, FUZZ_CORPUS "/%s", fuzz_targets[k].name);
        DIR *d = opendir(dir);
        int files = 0, seeds = 0;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            size_t n = 0;
            unsigned char *b = slurp_file(path, &n);
            if (!b) continue;
            fuzz_targets[k].fn(b, n);   /* a crash here is the failure: the suite stops with it */
            free(b);
            files++;
            seeds += !strncmp(e->d_name, "seed", 4);
        }
        if (d) closedir(d);
        T_CHECK(d && seeds > 0, "fuzz target %s: %d corpus files (%d seeds) from %s replayed without a crash", fuzz_targets[k].name,
                files, seeds, dir);
    }
}
