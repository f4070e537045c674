/* tests/fuzz/targets.h - the fuzz targets. Each takes bytes nobody vetted, hands them to one reader
   the way a user's file (or command line) reaches it, and must return, with an error or without,
   never with a crash, a sanitizer report, a leak or a hang. Built two ways:
     make fuzz         tests/fuzz/fuzz_main.c: one libFuzzer binary per target (clang,
                       -fsanitize=fuzzer,address,undefined), seeded from tests/fuzz/corpus/<target>/
     make test         tests/test_fuzz.c replays every file of tests/fuzz/corpus/<target>/ (the valid
                       seeds and every input that ever crashed a target) in run_tests
   The including file has already included longseq.h (with or without its implementation) and sets
   fuzz_base to a directory the targets may write into. The data readers are compiled in here as
   static functions (LRA_DATA_STATIC), so a target can reach the IDX and JSON readers directly. */
#ifndef LS_FUZZ_TARGETS_H
#define LS_FUZZ_TARGETS_H

#define LRA_DATA_STATIC
#define LRA_DATA_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the targets use a few of the readers */
#endif
#include "../../experiments/lra_data.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char fuzz_base[512] = "/tmp";

/* <fuzz_base>/<sub>/<name> holds exactly data[0..n) (directories made on the way); returns the path */
static const char *fuzz__put(const char *sub, const char *name, const uint8_t *data, size_t n) {
    static char path[1100];
    char dir[800];
    snprintf(dir, sizeof dir, "%s/%s", fuzz_base, sub);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); abort(); }
    if (n && fwrite(data, 1, n, f) != n) { perror(path); abort(); }
    fclose(f);
    return path;
}

/* the checkpoint loader, strict (with optimiser state and metadata) and partial, on the bytes as
   they are, then with the size field and CRC re-sealed so the fuzzer gets past the checksum and
   into the tensor table */
static int fuzz_checkpoint(const uint8_t *data, size_t n) {
    char err[LS_ERRLEN], meta[64];
    size_t mlen = 0;
    ls_params P;
    ls_params_init(&P);
    ls_param(&P, "a", ls_shape1(3), 0);
    ls_param(&P, "b", ls_shape2(2, 2), 1);
    ls_adamw opt;
    ls_adamw_init(&opt, &P, 1e-3f, 0.0f);
    uint8_t *sealed = (uint8_t *)malloc(n + 1);
    memcpy(sealed, data, n);
    if (n >= 28) {
        for (int i = 0; i < 8; i++) sealed[16 + i] = (uint8_t)((uint64_t)n >> (8 * i));
        uint32_t c = ls_crc32(0, sealed, n - 4);
        for (int i = 0; i < 4; i++) sealed[n - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
    }
    for (int k = 0; k < 2; k++) {
        const char *path = fuzz__put("ckpt", "f.ckpt", k ? sealed : data, n);
        ls_checkpoint_load(path, &P, &opt, LS_CKPT_STRICT, meta, sizeof meta, &mlen, err);
        ls_checkpoint_load(path, &P, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err);
    }
    free(sealed);
    ls_adamw_free(&opt);
    ls_params_free(&P);
    return 0;
}

/* the IDX reader, as an image file (3 dimensions) and as a label file (1) */
static int fuzz_idx(const uint8_t *data, size_t n) {
    char err[LS_ERRLEN];
    const char *path = fuzz__put("idx", "f-idx-ubyte", data, n);
    for (int nd = 1; nd <= 3; nd += 2) {
        unsigned char *buf = NULL;
        const unsigned char *px = NULL;
        int64_t cnt = 0, rows = 0, cols = 0;
        if (lra__idx_read(path, nd, &buf, &px, &cnt, &rows, &cols, err) == 0) {
            unsigned sum = 0;   /* touch every byte the reader vouched for */
            for (int64_t i = 0; i < cnt * rows * cols; i++) sum += px[i];
            if (sum == 0xFFFFFFFFu) fputs("", stderr);
        }
        free(buf);
    }
    return 0;
}

/* the Text task from a reviews.json of these bytes: the JSON reader and the four-block split */
static int fuzz_imdb(const uint8_t *data, size_t n) {
    char err[LS_ERRLEN], dir[600];
    fuzz__put("imdb", "reviews.json", data, n);
    lra_config c = lra_default_config(LRA_TEXT, LS_PROFILE_CPU);
    c.n_train = 2; c.n_val = 1; c.n_test = 1; c.T = 16; c.val_is_test = 0;
    lra_task t;
    snprintf(dir, sizeof dir, "%s", fuzz_base);
    if (lra_task_load_config(&t, LRA_TEXT, &c, LS_PROFILE_CPU, 1, dir, err) == 0) lra_task_free(&t);
    return 0;
}

/* the Retrieval task from six speeches cut from these bytes at each 0xFF (train, val and test
   years, three presidents): stage-direction stripping, passages, pair drawing */
static int fuzz_sotu(const uint8_t *data, size_t n) {
    static const char *const names[6] = {"1792_George_Washington_n.txt", "1793_John_Adams_f.txt",
        "1801_Thomas_Jefferson_d.txt", "1811_James_Madison_d.txt", "1795_George_Washington_n.txt",
        "1800_John_Adams_f.txt"};
    char err[LS_ERRLEN];
    size_t at = 0;
    for (int k = 0; k < 6; k++) {
        size_t e = at;
        while (e < n && data[e] != 0xFF) e++;
        fuzz__put("sotu", names[k], data + at, e - at);
        at = e < n ? e + 1 : n;
    }
    lra_config c = lra_default_config(LRA_RETRIEVAL, LS_PROFILE_SMOKE);
    c.n_train = 8; c.n_val = 4; c.n_test = 4; c.T = 8;
    lra_task t;
    if (lra_task_load_config(&t, LRA_RETRIEVAL, &c, LS_PROFILE_SMOKE, 1, fuzz_base, err) == 0) lra_task_free(&t);
    return 0;
}

/* the ListOps TSV reader, with T taken from the longest line and with T = 16 */
static int fuzz_listops(const uint8_t *data, size_t n) {
    char err[LS_ERRLEN];
    const char *path = fuzz__put("listops", "f.tsv", data, n);
    for (int64_t T = 0; T <= 16; T += 16) {
        lra_split s;
        if (lra_listops_read_tsv(path, T, &s, err) == 0) { free(s.tokens); free(s.len); free(s.label); }
    }
    return 0;
}

/* the command line: the bytes cut at each NUL into at most 32 arguments after the program name,
   with one extra flag of every type beside the common ones */
static int fuzz_cli(const uint8_t *data, size_t n) {
    char *copy = (char *)malloc(n + 1), *argv[34];
    memcpy(copy, data, n);
    copy[n] = 0;
    int argc = 0;
    argv[argc++] = (char *)"prog";
    for (size_t i = 0; i <= n && argc < 33;) {
        argv[argc++] = copy + i;
        while (i < n && copy[i]) i++;
        i++;
    }
    argv[argc] = NULL;
    int64_t iv = 0;
    double fv = 0;
    const char *sv = NULL;
    int bv = 0;
    ls_flag extra[4] = {{"int", LS_FLAG_INT, &iv, "an integer"}, {"float", LS_FLAG_FLOAT, &fv, "a number"},
                        {"str", LS_FLAG_STR, &sv, "a string"}, {"bool", LS_FLAG_BOOL, &bv, "a switch"}};
    ls_cli cli;
    memset(&cli, 0, sizeof cli);
    char err[LS_ERRLEN];
    ls_cli_parse(&cli, argc, argv, extra, 4, "fuzz", err);
    free(copy);
    return 0;
}

typedef struct fuzz_target { const char *name; int (*fn)(const uint8_t *, size_t); } fuzz_target;
static const fuzz_target fuzz_targets[] = {
    {"checkpoint", fuzz_checkpoint}, {"idx", fuzz_idx}, {"imdb", fuzz_imdb},
    {"sotu", fuzz_sotu}, {"listops", fuzz_listops}, {"cli", fuzz_cli},
};
#define FUZZ_N_TARGETS ((int)(sizeof fuzz_targets / sizeof fuzz_targets[0]))

#endif
