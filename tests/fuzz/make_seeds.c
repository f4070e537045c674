/* tests/fuzz/make_seeds.c - writes the valid seed files of tests/fuzz/corpus/<target>/ (make
   fuzz-seeds): a checkpoint of the checkpoint target's model, IDX image and label files, the IMDb
   JSON compact and indented, six speeches, two ListOps TSVs and a command line. Run from the
   repository root. */
#define _POSIX_C_SOURCE 200809L
#define LONGSEQ_IMPLEMENTATION
#include "../../longseq.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void put(const char *target, const char *name, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "tests/fuzz/corpus/%s", target);
    mkdir("tests/fuzz/corpus", 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "tests/fuzz/corpus/%s/%s", target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) { perror(path); exit(1); }
}

int main(void) {
    char err[LS_ERRLEN];
    ls_params P;   /* the model of fuzz_checkpoint */
    ls_params_init(&P);
    ls_fill(ls_param(&P, "a", ls_shape1(3), 0), 0.5f);
    ls_fill(ls_param(&P, "b", ls_shape2(2, 2), 1), -1.0f);
    ls_adamw opt;
    ls_adamw_init(&opt, &P, 1e-3f, 0.0f);
    mkdir("tests/fuzz/corpus", 0755);
    mkdir("tests/fuzz/corpus/checkpoint", 0755);
    if (ls_checkpoint_save("tests/fuzz/corpus/checkpoint/seed-opt.ckpt", &P, &opt, "meta1234", 8, err) ||
        ls_checkpoint_save("tests/fuzz/corpus/checkpoint/seed-plain.ckpt", &P, NULL, NULL, 0, err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ls_adamw_free(&opt);
    ls_params_free(&P);

    unsigned char img[16 + 18] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
    for (int i = 0; i < 18; i++) img[16 + i] = (unsigned char)(i * 14);
    const unsigned char lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 5, 9};
    put("idx", "seed-images", img, sizeof img);
    put("idx", "seed-labels", lab, sizeof lab);

    const char *compact =
        "[{\"t\":\"bad \\\"film\\\"\",\"s\":0},{\"t\":\"awful\\tdull\\\\\",\"s\":0},"
        "{\"t\":\"caf\\u00e9 good \\ud83d\\ude00\",\"s\":1},{\"t\":\"great fun, a long review\",\"s\":1}]";
    const char *pretty =
        "[\n  {\n    \"t\": \"bad film\",\n    \"s\": 0\n  },\n  { \"s\" : 0 , \"t\" : \"awful\" },\r\n"
        "\t{\"t\": \"good\", \"s\": 1},\n  {\"s\":1,\"t\":\"great\"}\n]\n";
    put("imdb", "seed-compact.json", compact, strlen(compact));
    put("imdb", "seed-pretty.json", pretty, strlen(pretty));

    const char sotu[] = "aaaaaaaaaa (Applause.) aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[laughter]aaaa\xff"
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\xff" "cccccccccccccccccccccccccccccccccccccccc\xff"
                        "dddddddddddddddddddddddddddddddddddddddd\xff" "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\xff"
                        "ffffffffffffffffffffffffffffffffffffffff";
    put("sotu", "seed-six", sotu, sizeof sotu - 1);

    const char *release = "Source\tTarget\n( ( ( ( [MIN 4 ) ( ( ( [SM 3 ) 5 ) ] ) ) 1 ) ] )\t1\n"
                          "( ( ( ( ( [MED 3 ) 4 ) 8 ) 1 ) X )\t3\n7\t7\n";
    const char *writer = "Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n";
    put("listops", "seed-release.tsv", release, strlen(release));
    put("listops", "seed-writer.tsv", writer, strlen(writer));

    const char cli[] = "--profile\0smoke\0--steps=5\0--seed\0007\0--int\0-3\0--float=1e-3\0--str\0x\0--bool\0--quiet\0--out\0/tmp/x";
    put("cli", "seed-flags", cli, sizeof cli - 1);
    const char cli2[] = "--smoke\0--int=9223372036854775807\0--float\0nan";
    put("cli", "seed-edges", cli2, sizeof cli2 - 1);
    return 0;
}
