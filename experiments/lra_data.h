/* lra_data.h - v0.1.0 - the six LRA-CPU tasks (ListOps, Text, Retrieval, Image, Pathfinder, Path-X)
   as token sequences, for longseq.h. MIT licence, as longseq.h.

   QUICK START
     In *one* C or C++ file (which also has, or links with, LONGSEQ_IMPLEMENTATION):
         #define LRA_DATA_IMPLEMENTATION
         #include "experiments/lra_data.h"
     then
         lra_task t; char err[LS_ERRLEN];
         if (lra_task_load(&t, "listops", LS_PROFILE_CPU, LRA_DATA_SEED, "data", err)) {
             fprintf(stderr, "%s\n", err); exit(1);
         }
         ... t.train.tokens (n, pair, T), t.train.len (n, pair), t.train.label (n) ...
         lra_task_free(&t);
     Only longseq.h's public API is used (ls_rng_*, ls_hash64, ls_str_hash, ls_now, LS_ERRLEN,
     LS_PROFILE_*). Including this file twice, with or without the define, is harmless.

   CONTENTS
     1. Tasks, profiles and sizes      4. Loaders and their errors
     2. Token ids                      5. Declarations
     3. Generators                     6. Implementation (guarded by LRA_DATA_IMPLEMENTATION only)

   1. TASKS, PROFILES AND SIZES (train / val / test, sequence length T; lra_default_config)
     task        smoke               cpu (default)            paper (LRA)
     listops     400/100/100,        20000/2000/2000,         96000/2000/2000,
                 20<len<64, T 64     100<len<512, T 512       500<len<2000, T 2000
     text        512/128/256, T 128  25000/1000/5000, T 1024  25000/25000/25000, T 4096 (val = test)
     retrieval   512/128/128 pairs,  16000/1000/2000 pairs,   20000/2000/4000 pairs, L 4096
                 L 128 bytes each    L 1024
     image       512/128/256         54000/6000/10000         54000/6000/10000      (T 1024)
     pathfinder  400/100/100         16000/2000/2000          160000/20000/20000    (T 1024)
     pathx       64/16/16            2400/300/300             160000/20000/20000    (T 16384)
     Easier variants (lra_config.easy = 1, names "pathfinder-easy" and "retrieval-easy"; labelled as
     such, never a stand-in for the LRA task): the sizes of their task in every profile, except
       retrieval-easy   L 256 bytes per passage in every profile; a positive pair is a passage and
                        the window half a passage on (they share 128 bytes), negatives as in
                        Retrieval
       pathfinder-easy  16x16 images (T 256; LRA's 32x32), target contours of 4 paddles (LRA's 14),
                        no distractors (LRA's 5 x 4)
     Why: cpu lengths keep one training step of a small model on 2 cores well under a second
     (ListOps 512 = a quarter of LRA's 2000; Text 1024 = the released LRA code's max_length=1000,
     which covers the whole review for half of IMDb); val/test of Text and Retrieval are cut so that
     an evaluation pass stays in the tens of seconds. Image keeps all of Fashion-MNIST. Pathfinder
     uses 10% of LRA's images; Path-X 3000 images = 200 MB of int32 tokens. paper sizes hold int32
     tokens: Path-X paper needs 13 GB, Pathfinder 0.8 GB, ListOps 0.8 GB.
     Build cost: every smoke task builds in under a second; in the cpu profile every task but the
     two path tasks builds in about a second, Pathfinder in seconds (about 0.4 ms of CPU per image;
     pathfinder-easy a third of that) and Path-X in tens of seconds (about 5 ms per image); paper
     Pathfinder takes minutes. Cheap next to training either way; `datagen TASK` prints the build
     time on your machine.
     Why the variants: in the learning-budget runs every small model stays at chance on Retrieval
     and Pathfinder within ~1200 steps, which separates no arms; the variants keep the task (same
     generator or documents, splits, label rule) and remove most of what makes it hard.
     Pathfinder-easy: the original dataset's easiest difficulty (pathfinder32's curv_baseline,
     contour length 6, distractors by lra_pf_params_contour's rule; LRA's pathfinder.py calls it
     "easy") left every model at chance, and so did 4-paddle contours without distractors at 32x32
     (S4D 840 steps, LRU 300: probe runs). What the models could not bridge is the length of the
     pixel sequence, so the variant halves the side: 16x16 images (256 pixels), 4-paddle targets, no
     distractors, the 32-pixel snake geometry otherwise. In a probe an LRU left chance by step 240.
     Without distractors the distance between the two discs carries part of the label
     (lra_pf_disc_baseline measures how much), so a cell near that baseline shows a shortcut, not
     path tracing. Retrieval-easy cuts 256-byte passages instead of 1024 (LRA: 4096): the LRA paper
     motivates Retrieval's length as the point of the task (compress a long byte-level document into
     one vector that can be matched), so shorter passages are the direct easing. Shorter passages
     alone left every model at chance within 2,400 S4D steps (so did dropping the hard negatives),
     so its positives are near-duplicates: two windows of one speech that share half their bytes.
     Matching them needs the same thing as the task (each passage compressed to one vector, the two
     compared) with a signal a small model finds: in a probe run (S4D, seed 1, hard negatives kept)
     validation accuracy reached 64% in 1,200 steps.
     `seed` is the *data* seed. Pass LRA_DATA_SEED in experiments so every model, arm and model seed
     sees the same data; the splits of the real data sets do not depend on it except where a profile
     subsamples (see each loader).

   2. TOKEN IDS (int32). Natural symbols are 0 .. n_symbols-1; then PAD = n_symbols,
     MASK = n_symbols+1, vocab = n_symbols + 2. PAD fills positions >= len; MASK is never produced
     here and is free for masked self-pretraining (SPT; mask_ratio per task, LRA paper §2.1:
     ListOps 0.10, Text and Retrieval 0.15, Image/Pathfinder/Path-X 0.50).
       ListOps: digits 0-9 -> 0-9, [MIN 10, [MAX 11, [MED 12, [SM 13, ] 14  (n_symbols 15, vocab 17)
       Text, Retrieval: UTF-8 bytes 0-255; Image, Pathfinder, Path-X: grey levels 0-255 (vocab 258)

   3. GENERATORS
     ListOps (LRA lra_benchmarks/data/listops.py, paper notes §3.1): node(depth) is an operator
     with probability 0.25 when depth < 10 (else a digit); an operator takes k ~ U{2..10} children,
     then an operator uniform in MIN/MAX/MED/SM; tree length = tokens incl. `]`. Trees are kept when
     min_len < length < max_len and distinct from every tree kept so far (across all splits);
     labels: MIN, MAX, MED = int(numpy.median) (even count: mean of the middle two, truncated),
     SM = sum % 10. Two changes for speed, neither changes the distribution of kept trees: (a) the
     root is forced to be an operator (a leaf root has length 1 and would always be rejected, so
     this only conditions on an event implied by acceptance); (b) generation aborts as soon as the
     length reaches max_len (such a tree would be rejected anyway; the random draws it would have
     used are simply not made, which changes *which* trees a seed gives, not their distribution).
     Pathfinder (drewlinsley/pathfinder snakes2.py, paper notes §3.2), in continuous pixel
     geometry: paddles are segments; a snake grows by moving the pivot margin past the last head,
     choosing a point on the circle of radius length+margin around it with weight
     (1-occupied) * max(cos(min(|turn|*continuity, pi/2)), 0)^2, and drawing the paddle from the
     pivot toward it. A paddle is rejected (2 tries, then the pair of target snakes restarts) when
     it leaves the padded window or comes closer than margin+thickness to any paddle but its
     predecessor. The occupancy mask marks pixels within margin+thickness/2 of a paddle and the
     padding border. Snake 1's tail is drawn among free pixels at least min(2*seed_distance, S/2-2)
     from the border, snake 2's tail seed_distance away; distractors (4 tries each, skipped on
     failure, none once < 1% of the image is free) anywhere free. Discs at the origin snake's first
     tail and at the last head of the same snake (label 1) or the other target (label 0). Rendering:
     coverage by 4x4 supersampling (instead of Lanczos downsampling of a 2x drawing), paths at
     paddle_contrast, discs at 1, max combine, min-max rescale to 0..255. Labels come in pairs
     (indices 2k, 2k+1 get 0 and 1 in a seeded order), so every split of even size is exactly
     balanced. Image i of a split depends only on (seed, task, split, i): generation is
     OpenMP-parallel and bit-identical for any thread count.
     Path-X margin is drawn per image from {2, 3}; no single-paddle distractors (LRA's wrapper).
     Split k's images are
     lra_pathfinder_batch(params, ls_hash64(seed ^ ls_str_hash("TASK/SPLIT")), 0, n) with TASK
     "pathfinder" or "pathx" and SPLIT "train", "val", "test", so records can be regenerated.
     Pathfinder-easy (easy = 1) uses lra_pf_params_easy() on the same streams as "pathfinder":
     image i has the label of the LRA task's image i and its own 16x16 image. Path-X has no easy
     variant.
     Restarts are frequent (mean 20 per 32x32 image, about 170 per Path-X image: 14 paddles of
     5 px with gaps of 2-3 margins and continuity 1.8 make a 140-px, gently curving path that must
     fit inside 128 px), so kept target snakes are curlier than unconditioned ones and often follow
     the border; the original generator shares this selection (it also discards and restarts).

   4. LOADERS AND THEIR ERRORS (files as experiments/fetch_data.sh leaves them under data_dir)
     image      DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte (raw IDX). 28x28 is
                zero-padded to 32x32 (any rows, cols <= 32 are centred). train = the first n_train
                images of the train file, val = its last n_val (LRA's train[90%:] rule), test = the
                first n_test of t10k. No seed involved.
     text       DIR/imdb/reviews.json (JSON array of {"t":"..","s":0|1}, any whitespace), decoded to
                UTF-8 bytes, truncated to T. Four equal blocks: test/neg, train/neg, test/pos,
                train/pos; train = blocks 2 and 4 shuffled (seeded) and cut to n_train; val_is_test
                (paper): val is a copy of test, as in LRA; otherwise val and test are disjoint,
                class-interleaved draws from the test blocks (cpu: 1000 and 5000 of the 25000).
     retrieval  DIR/sotu/YYYY_first_last_p.txt. Stage directions stripped; passages of L bytes;
                split by speech year (test year%5==0, val year%10==1, train the rest); per split,
                pairs in the pattern positive, random negative (other president), positive, hard
                negative (nearest speech in year), then shuffled; the two passages of a pair in
                random order.
                easy = 1 ("retrieval-easy"): L = 256 whatever the config's T; a positive is a
                passage (not its speech's last) and the window L/2 bytes further on, which shares
                its second half; negatives as above (a speech yields more, shorter passages, so the
                pairs drawn differ from the LRA setting's).
     Errors: every loader returns -1 and writes into err (LS_ERRLEN) the file and the defect:
     missing file or directory (with "run `make data`"), truncated file, wrong magic, counts that
     disagree, malformed JSON (with the byte offset), labels out of range, too few examples for the
     profile; easy = 1 for a task without a variant, or easy other than 0/1 (refused before any file
     is read, naming the task); a FIFO, device or directory where a file belongs (refused, never
     opened for a blocking read). No read goes past a buffer: every scanner checks its bounds, and
     no allocation is more than linear in the file's size.
*/
#ifndef LRA_DATA_H
#define LRA_DATA_H

#ifndef LONGSEQ_H /* longseq.h's implementation part must not be seen twice in one file */
#include "../longseq.h"
#endif

#ifndef LRA_API
#ifdef LRA_DATA_STATIC
#define LRA_API static
#else
#define LRA_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LRA_DATA_SEED 1          /* the data seed the experiments use */
#define LRA_MAX_CLASSES 10

enum { LRA_LISTOPS = 0, LRA_TEXT, LRA_RETRIEVAL, LRA_IMAGE, LRA_PATHFINDER, LRA_PATHX,
       LRA_N_TASKS };
enum { LRA_SPLIT_TRAIN = 0, LRA_SPLIT_VAL = 1, LRA_SPLIT_TEST = 2 };

/* ListOps token ids (digits are 0-9) */
enum { LRA_LO_MIN = 10, LRA_LO_MAX = 11, LRA_LO_MED = 12, LRA_LO_SM = 13, LRA_LO_END = 14,
       LRA_LO_SYMBOLS = 15 };

typedef struct lra_split {
    int64_t n;            /* examples */
    int64_t T;            /* padded length of one sequence */
    int pair;             /* sequences per example: 1, or 2 for Retrieval */
    int32_t *tokens;      /* (n, pair, T) token ids; positions >= len hold the task's pad_id */
    int32_t *len;         /* (n, pair) valid lengths, 1..T */
    int32_t *label;       /* (n) classes 0..n_classes-1 */
} lra_split;

typedef struct lra_task {
    char name[32];        /* "listops", "text", ... */
    int id;               /* LRA_LISTOPS ... */
    int profile;          /* LS_PROFILE_* */
    uint64_t seed;        /* data seed */
    int n_symbols;        /* natural symbols 0..n_symbols-1 */
    int pad_id, mask_id;  /* n_symbols, n_symbols + 1 */
    int vocab;            /* n_symbols + 2 */
    int n_classes;
    int64_t T;            /* sequence length (per sequence of a pair) */
    int pair;             /* 2 for Retrieval (dual encoder), else 1 */
    int height, width;    /* image tasks: T = height * width, row-major; 0 otherwise */
    float mask_ratio;     /* SPT masking ratio (LRA paper §2.1) */
    double seconds;       /* wall time of lra_task_load */
    int rev;              /* revision of this task's data: raised when a change to its generator or
                             loader changes the examples, so result keys built with it (experiments/
                             arms.h, arm_load) stop matching runs on the old data. 0 for every task
                             but the easier variants: retrieval-easy 1 (positives overlap by half),
                             pathfinder-easy 1 (16x16, no distractors) */
    lra_split train, val, test;
} lra_task;

/* Sizes of one profile; lra_default_config fills it, tests may shrink it. */
typedef struct lra_config {
    int64_t n_train, n_val, n_test;
    int64_t T;            /* ListOps: padded length (= max_len); Text: truncation; Retrieval:
                             passage bytes */
    int min_len, max_len; /* ListOps: keep trees with min_len < length < max_len */
    int val_is_test;      /* Text: val is a copy of test (LRA protocol) */
    int easy;             /* 0 = the LRA task (lra_default_config's value). 1 = the labelled easier
                             variant, for two tasks only (any other task refuses easy = 1 with an
                             error naming it):
                             Pathfinder: lra_pf_params_easy(): images of LRA_PF_EASY_SIZE = 16
                               pixels a side (T = 256 whatever the config's T), target contours of
                               LRA_PF_EASY_CONTOUR = 4 paddles, no distractors; the snake geometry
                               of the 32-pixel task;
                             Retrieval: passages of LRA_RETRIEVAL_EASY_T = 256 bytes (T is then not
                               used, as for the image tasks); positives share half their bytes (a
                               passage and the window L/2 on); same speeches, splits and negatives.
                             The task's name gets "-easy" ("pathfinder-easy"), so keys built from it
                             differ. */
} lra_config;

#define LRA_PF_EASY_SIZE 16       /* Pathfinder easy: pixels a side */
#define LRA_PF_EASY_CONTOUR 4     /* Pathfinder easy: paddles per target snake (no distractors) */
#define LRA_RETRIEVAL_EASY_T 256  /* Retrieval easy: bytes per passage */

/* "listops" .. "pathx"; "?" if out of range */
LRA_API const char *lra_task_name(int task);
/* LRA_* or -1 (also -1 for the "-easy" names) */
LRA_API int lra_task_id(const char *name);
/* "listops" .. "pathx", "pathfinder-easy", "retrieval-easy" -> *task = LRA_*, *easy = 0 or 1;
   returns 0, or -1 (with *task = -1, *easy = 0) for any other name. Either pointer may be NULL. */
LRA_API int lra_task_parse(const char *name, int *task, int *easy);
LRA_API lra_config lra_default_config(int task, int profile);
/* Builds or loads a task: any name lra_task_parse accepts, with lra_default_config's sizes (easy
   set from the name). 0 on success; -1 with a message in err (LS_ERRLEN bytes) and *t emptied. */
LRA_API int lra_task_load(lra_task *t, const char *name, int profile, uint64_t seed,
                          const char *data_dir, char *err);
LRA_API int lra_task_load_config(lra_task *t, int task, const lra_config *cfg, int profile,
                                 uint64_t seed, const char *data_dir, char *err);
LRA_API void lra_task_free(lra_task *t);               /* frees the splits; *t is zeroed */
LRA_API lra_split *lra_task_split(lra_task *t, int which); /* LRA_SPLIT_* -> &t->train etc. */

/* length and class statistics of a split (lengths over every sequence of every example) */
typedef struct lra_stats {
    int64_t n, min_len, max_len;
    double mean_len;
    int64_t count[LRA_MAX_CLASSES];
} lra_stats;
LRA_API void lra_split_stats(const lra_split *s, lra_stats *st);

/* --- ListOps --- */
LRA_API const char *lra_listops_token_str(int id);      /* "[MAX", "]", "7"; "?" otherwise */
/* LRA's TSV: header "Source\tTarget", one example a line, LRA's parenthesised prefix form. */
LRA_API int lra_listops_write_tsv(const char *path, const lra_split *s, char *err);
/* Reads LRA's TSV (the original release's files too): "(" and ")" are dropped, "]" or "X" is the
   end token. T = 0 takes the longest line as T; otherwise a longer line is an error. The padded
   split may hold at most 16 tokens per byte of the file (+ 1M): memory linear in the file. */
LRA_API int lra_listops_read_tsv(const char *path, int64_t T, lra_split *s, char *err);

/* --- Pathfinder / Path-X --- */
typedef struct lra_pf_params {
    int size;                 /* H = W */
    int padding;              /* occupied border, px */
    float paddle_length, thickness;
    int margin_lo, margin_hi; /* margin drawn per image uniformly in [lo, hi] */
    float marker_radius, seed_distance, continuity;
    int contour_length;       /* paddles per target snake */
    int distractor_length;    /* paddles per distractor snake */
    int n_distractors;
    float paddle_contrast;    /* path intensity; discs are 1 */
} lra_pf_params;
LRA_API lra_pf_params lra_pf_params_default(int size);  /* 32: LRA "hard"; 128: Path-X */
/* lra_pf_params_default(size) with target snakes of contour_length paddles and the distractors
   derived from it by the size's rule (32: length c/3, 20/(c/3) snakes; 128: length c/3,
   (int)(35/(c/3.0)) snakes; none when c/3 is 0). */
LRA_API lra_pf_params lra_pf_params_contour(int size, int contour_length);
/* Pathfinder easy: lra_pf_params_contour(LRA_PF_EASY_SIZE, LRA_PF_EASY_CONTOUR) without
   distractors */
LRA_API lra_pf_params lra_pf_params_easy(void);
/* The shortcut a Pathfinder setting leaves: the accuracy of the best threshold on the distance
   between the two discs (label 1 on one side of it), fitted on images 0..n-1 of the stream `seed`
   and scored on images n..2n-1 of it. 0.5 = the distance says nothing; -1 if an image failed. */
LRA_API double lra_pf_disc_baseline(const lra_pf_params *p, uint64_t seed, int64_t n);

#define LRA_PF_MAX_SNAKES 16
#define LRA_PF_MAX_PADDLES 160
/* tail -> head, pixel units */
typedef struct lra_pf_paddle { float x0, y0, x1, y1; } lra_pf_paddle;
typedef struct lra_pf_record {
    int label;
    int n_snakes;             /* 0 and 1 are the targets, then the distractors that succeeded */
    int start[LRA_PF_MAX_SNAKES + 1]; /* snake s owns paddles [start[s], start[s+1]) */
    int n_paddles;
    lra_pf_paddle paddle[LRA_PF_MAX_PADDLES];
    float marker[2][2];       /* disc centres (x, y) */
    float margin;
    int restarts;             /* times the target pair was restarted */
} lra_pf_record;
/* Renders image `index` of the stream `seed` into img (size*size bytes, row-major); rec may be
   NULL. 0 on success, -1 if no image could be made (never seen with the default parameters). */
LRA_API int lra_pathfinder_image(const lra_pf_params *p, uint64_t seed, int64_t index,
                                 uint8_t *img, lra_pf_record *rec);
/* Images first .. first+n-1 of `seed` in parallel: imgs (n, size*size), labels (n), recs (n) or
   NULL */
LRA_API int lra_pathfinder_batch(const lra_pf_params *p, uint64_t seed, int64_t first, int64_t n,
                                 uint8_t *imgs, int32_t *labels, lra_pf_record *recs);

#ifdef __cplusplus
}
#endif
#endif /* LRA_DATA_H */

/* ---------------------------------------------------------------------------------------------
   6. IMPLEMENTATION
   --------------------------------------------------------------------------------------------- */
#if defined(LRA_DATA_IMPLEMENTATION) && !defined(LRA__DATA_IMPLEMENTED)
#define LRA__DATA_IMPLEMENTED
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
   utils
   --------------------------------------------------------------------------------------------- */

#define LRA__PI 3.14159265358979323846

static void *lra__xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "lra_data: out of memory (%zu bytes)\n", n); abort(); }
    return p;
}
static void *lra__xcalloc(size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p) { fprintf(stderr, "lra_data: out of memory (%zu bytes)\n", n); abort(); }
    return p;
}
static void *lra__xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) { fprintf(stderr, "lra_data: out of memory (%zu bytes)\n", n); abort(); }
    return q;
}

static int lra__fail(char *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, LS_ERRLEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define LRA__FETCH_HINT "; run `make data` (or sh experiments/fetch_data.sh DIR)"

/* Reads a whole file. hint is appended to the "cannot open" message. Only a regular file: a FIFO
   or a device named like a data file would block the open or the read forever, or never end (opened
   without blocking, checked, then read). */
static int lra__read_file(const char *path, unsigned char **buf, size_t *n, const char *hint,
                          char *err) {
    *buf = NULL; *n = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return lra__fail(err, "%s: cannot open (%s)%s", path, strerror(errno), hint);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lra__fail(err, "%s: cannot stat (%s)", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        const char *what = S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                         : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                         : "a socket or other special file";
        close(fd);
        return lra__fail(err, "%s: is %s, not a regular file", path, what);
    }
    int fl = fcntl(fd, F_GETFL);
    FILE *f = fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return lra__fail(err, "%s: cannot open (%s)%s", path, strerror(errno), hint);
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = (unsigned char *)lra__xmalloc(cap + 1);
    for (;;) {
        if (len == cap) { cap *= 2; b = (unsigned char *)lra__xrealloc(b, cap + 1); }
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(b); return lra__fail(err, "%s: read error", path); }
    b[len] = 0; /* a terminator past the data, so scanners may look at b[len] */
    *buf = b; *n = len;
    return 0;
}

static void lra__split_alloc(lra_split *s, int64_t n, int64_t T, int pair, int pad) {
    s->n = n; s->T = T; s->pair = pair;
    s->tokens = (int32_t *)lra__xmalloc((size_t)n * pair * T * sizeof(int32_t));
    s->len = (int32_t *)lra__xcalloc((size_t)n * pair * sizeof(int32_t));
    s->label = (int32_t *)lra__xcalloc((size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n * pair * T; i++) s->tokens[i] = pad;
}

static void lra__split_free(lra_split *s) {
    free(s->tokens); free(s->len); free(s->label);
    memset(s, 0, sizeof *s);
}

static void lra__split_copy(lra_split *dst, const lra_split *src) {
    size_t ntok = (size_t)src->n * src->pair * src->T;
    *dst = *src;
    dst->tokens = (int32_t *)lra__xmalloc(ntok * sizeof(int32_t) + 1);
    dst->len = (int32_t *)lra__xmalloc((size_t)src->n * src->pair * sizeof(int32_t) + 1);
    dst->label = (int32_t *)lra__xmalloc((size_t)src->n * sizeof(int32_t) + 1);
    memcpy(dst->tokens, src->tokens, ntok * sizeof(int32_t));
    memcpy(dst->len, src->len, (size_t)src->n * src->pair * sizeof(int32_t));
    memcpy(dst->label, src->label, (size_t)src->n * sizeof(int32_t));
}

static const char *lra__profile_name(int p) {
    return p == LS_PROFILE_SMOKE ? "smoke" : p == LS_PROFILE_CPU ? "cpu"
         : p == LS_PROFILE_PAPER ? "paper" : "custom";
}

static uint64_t lra__stream(uint64_t seed, const char *what) {
    return ls_hash64(seed ^ ls_str_hash(what));
}

/* ---------------------------------------------------------------------------------------------
   tasks and profiles
   --------------------------------------------------------------------------------------------- */

static const char *const lra__names[LRA_N_TASKS] = { "listops", "text", "retrieval", "image",
                                                     "pathfinder", "pathx" };

LRA_API const char *lra_task_name(int task) {
    return task >= 0 && task < LRA_N_TASKS ? lra__names[task] : "?";
}

LRA_API int lra_task_id(const char *name) {
    for (int i = 0; name && i < LRA_N_TASKS; i++) if (!strcmp(name, lra__names[i])) return i;
    return -1;
}

LRA_API lra_split *lra_task_split(lra_task *t, int which) {
    return which == LRA_SPLIT_TRAIN ? &t->train : which == LRA_SPLIT_VAL ? &t->val : &t->test;
}

static lra_config lra__cfg(int64_t a, int64_t b, int64_t c, int64_t T) {
    lra_config k;
    memset(&k, 0, sizeof k);
    k.n_train = a; k.n_val = b; k.n_test = c; k.T = T;
    return k;
}

LRA_API lra_config lra_default_config(int task, int profile) {
    int p = profile == LS_PROFILE_SMOKE ? 0 : profile == LS_PROFILE_PAPER ? 2 : 1;
    lra_config k;
    memset(&k, 0, sizeof k);
    switch (task) {
    case LRA_LISTOPS: {
        static const int lo[3] = { 20, 100, 500 }, hi[3] = { 64, 512, 2000 };
        static const int64_t n[3][3] = { { 400, 100, 100 }, { 20000, 2000, 2000 },
                                         { 96000, 2000, 2000 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], hi[p]);
        k.min_len = lo[p]; k.max_len = hi[p];
        break;
    }
    case LRA_TEXT: {
        static const int64_t n[3][4] = { { 512, 128, 256, 128 }, { 25000, 1000, 5000, 1024 },
                                         { 25000, 25000, 25000, 4096 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], n[p][3]);
        k.val_is_test = p == 2;
        break;
    }
    case LRA_RETRIEVAL: {
        static const int64_t n[3][4] = { { 512, 128, 128, 128 }, { 16000, 1000, 2000, 1024 },
                                         { 20000, 2000, 4000, 4096 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], n[p][3]);
        break;
    }
    case LRA_IMAGE: {
        static const int64_t n[3][3] = { { 512, 128, 256 }, { 54000, 6000, 10000 },
                                         { 54000, 6000, 10000 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], 1024);
        break;
    }
    case LRA_PATHFINDER: {
        static const int64_t n[3][3] = { { 400, 100, 100 }, { 16000, 2000, 2000 },
                                         { 160000, 20000, 20000 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], 1024);
        break;
    }
    case LRA_PATHX: {
        static const int64_t n[3][3] = { { 64, 16, 16 }, { 2400, 300, 300 },
                                         { 160000, 20000, 20000 } };
        k = lra__cfg(n[p][0], n[p][1], n[p][2], 16384);
        break;
    }
    default: break;
    }
    return k;
}

LRA_API void lra_task_free(lra_task *t) {
    lra__split_free(&t->train);
    lra__split_free(&t->val);
    lra__split_free(&t->test);
    memset(t, 0, sizeof *t);
}

LRA_API void lra_split_stats(const lra_split *s, lra_stats *st) {
    memset(st, 0, sizeof *st);
    st->n = s->n;
    int64_t m = s->n * s->pair;
    double sum = 0;
    st->min_len = m ? INT64_MAX : 0;
    for (int64_t i = 0; i < m; i++) {
        int64_t l = s->len[i];
        if (l < st->min_len) st->min_len = l;
        if (l > st->max_len) st->max_len = l;
        sum += (double)l;
    }
    st->mean_len = m ? sum / (double)m : 0.0;
    for (int64_t i = 0; i < s->n; i++)
        if (s->label[i] >= 0 && s->label[i] < LRA_MAX_CLASSES) st->count[s->label[i]]++;
}

/* ---------------------------------------------------------------------------------------------
   ListOps
   --------------------------------------------------------------------------------------------- */

static const char *const lra__lo_str[LRA_LO_SYMBOLS] = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "[MIN", "[MAX", "[MED", "[SM", "]" };

LRA_API const char *lra_listops_token_str(int id) {
    return id >= 0 && id < LRA_LO_SYMBOLS ? lra__lo_str[id] : "?";
}

#define LRA__LO_MAX_DEPTH 10
#define LRA__LO_MAX_ARGS 10

static int lra__lo_apply(int op, const int *v, int k) {
    int r = v[0];
    if (op == LRA_LO_MIN) { for (int i = 1; i < k; i++) if (v[i] < r) r = v[i]; return r; }
    if (op == LRA_LO_MAX) { for (int i = 1; i < k; i++) if (v[i] > r) r = v[i]; return r; }
    if (op == LRA_LO_SM) { int s = 0; for (int i = 0; i < k; i++) s += v[i]; return s % 10; }
    /* MED: int(numpy.median): sort; odd -> middle, even -> floor of the mean of the middle two */
    int w[LRA__LO_MAX_ARGS];
    for (int i = 0; i < k; i++) w[i] = v[i];
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && w[j - 1] > w[j]; j--) {
            int x = w[j]; w[j] = w[j - 1]; w[j - 1] = x;
        }
    return k & 1 ? w[k / 2] : (w[k / 2 - 1] + w[k / 2]) / 2;
}

/* Appends one subtree in prefix order to buf[*n..]; returns its value, or -1 once *n reaches cap
   (the caller rejects the tree). */
static int lra__lo_node(ls_rng *r, int depth, int force_op, int32_t *buf, int *n, int cap) {
    if (*n >= cap) return -1;
    int is_op = force_op || (depth < LRA__LO_MAX_DEPTH && ls_rng_double(r) < 0.25);
    if (!is_op) {
        int d = (int)ls_rng_below(r, 10);
        buf[(*n)++] = d;
        return d;
    }
    int pos = (*n)++, v[LRA__LO_MAX_ARGS];
    int k = 2 + (int)ls_rng_below(r, LRA__LO_MAX_ARGS - 1);
    for (int i = 0; i < k; i++) {
        v[i] = lra__lo_node(r, depth + 1, 0, buf, n, cap);
        if (v[i] < 0) return -1;
    }
    if (*n >= cap) return -1;
    int op = LRA_LO_MIN + (int)ls_rng_below(r, 4); /* drawn after the children, as LRA does */
    buf[pos] = op;
    buf[(*n)++] = LRA_LO_END;
    return lra__lo_apply(op, v, k);
}

static uint64_t lra__seq_hash(const int32_t *a, int64_t n) {
    uint64_t h = ls_hash64((uint64_t)n);
    for (int64_t i = 0; i < n; i++) h = ls_hash64(h ^ (uint64_t)(uint32_t)a[i]);
    return h;
}

/* example e of split s, sequence 0 */
static int32_t *lra__row(const lra_split *s, int64_t e) {
    return s->tokens + (size_t)e * s->pair * s->T;
}

static int lra__listops_make(lra_task *t, const lra_config *c, uint64_t seed, char *err) {
    if (c->min_len < 1 || c->max_len <= c->min_len + 1 || c->T < c->max_len - 1)
        return lra__fail(err, "listops: bad length bounds %d < len < %d with T %lld", c->min_len,
                         c->max_len, (long long)c->T);
    int64_t total = c->n_train + c->n_val + c->n_test;
    lra_split *sp[3] = { &t->train, &t->val, &t->test };
    int64_t want[3] = { c->n_train, c->n_val, c->n_test };
    for (int k = 0; k < 3; k++) lra__split_alloc(sp[k], want[k], c->T, 1, t->pad_id);
    /* distinctness: open addressing on the sequence hash; (split, index) of the owner kept */
    int64_t cap = 16;
    while (cap < 2 * total + 16) cap *= 2;
    uint64_t *hk = (uint64_t *)lra__xcalloc((size_t)cap * sizeof(uint64_t));
    int64_t *hv = (int64_t *)lra__xmalloc((size_t)cap * sizeof(int64_t));
    int32_t *buf = (int32_t *)lra__xmalloc((size_t)c->max_len * sizeof(int32_t));
    ls_rng r = ls_rng_make(seed, lra__stream(seed, "listops"));
    int64_t made = 0, tries = 0, dups = 0;
    while (made < total) {
        if (++tries > 2000 * (total + 1000)) {
            free(hk); free(hv); free(buf);
            return lra__fail(err, "listops: only %lld of %lld distinct trees with %d < len < %d "
                             "after %lld tries", (long long)made, (long long)total, c->min_len,
                             c->max_len, (long long)tries);
        }
        int n = 0;
        int v = lra__lo_node(&r, 1, 1, buf, &n, c->max_len);
        if (v < 0 || n <= c->min_len || n >= c->max_len) continue;
        uint64_t h = lra__seq_hash(buf, n) | 1; /* 0 marks an empty slot */
        int64_t slot = (int64_t)(h & (uint64_t)(cap - 1));
        int dup = 0;
        while (hk[slot]) {
            if (hk[slot] == h) {
                int64_t o = hv[slot];
                const lra_split *os = o < c->n_train ? sp[0]
                                    : o < c->n_train + c->n_val ? sp[1] : sp[2];
                int64_t oi = o < c->n_train ? o : o < c->n_train + c->n_val ? o - c->n_train
                           : o - c->n_train - c->n_val;
                if (os->len[oi] == n &&
                    !memcmp(lra__row(os, oi), buf, (size_t)n * sizeof(int32_t))) {
                    dup = 1;
                    break;
                }
            }
            slot = (slot + 1) & (cap - 1);
        }
        if (dup) { dups++; continue; }
        hk[slot] = h; hv[slot] = made;
        int k = made < c->n_train ? 0 : made < c->n_train + c->n_val ? 1 : 2;
        int64_t i = k == 0 ? made : k == 1 ? made - c->n_train : made - c->n_train - c->n_val;
        memcpy(lra__row(sp[k], i), buf, (size_t)n * sizeof(int32_t));
        sp[k]->len[i] = n;
        sp[k]->label[i] = v;
        made++;
    }
    free(hk); free(hv); free(buf);
    return 0;
}

/* a growing text buffer: the TSV is built in memory, then written in one atomic ls_write_file */
typedef struct lra__text {
    char *p;
    size_t n, cap;
    int oom;   /* a failed realloc: later puts do nothing, the writer reports it */
} lra__text;

static void lra__put(lra__text *b, const char *s, size_t k) {
    if (b->oom) return;
    if (b->n + k > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + k) cap *= 2;
        char *q = (char *)realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
}
static void lra__puts(lra__text *b, const char *s) { lra__put(b, s, strlen(s)); }

/* writes the subtree starting at tok[*i] in LRA's form: an operator with k children is
   "( " x (k+1), the operator, then " child )" per child and " ] )" */
static int lra__lo_write(lra__text *f, const int32_t *tok, int64_t n, int64_t *i, int depth) {
    if (*i >= n || depth > 64) return -1;
    int32_t x = tok[(*i)++];
    if (x >= 0 && x <= 9) { char c = (char)('0' + x); lra__put(f, &c, 1); return 0; }
    if (x < LRA_LO_MIN || x > LRA_LO_SM) return -1;
    /* count the children: scan forward keeping depth */
    int k = 0, d = 0;
    for (int64_t j = *i; j < n; j++) {
        int32_t y = tok[j];
        if (d == 0 && y == LRA_LO_END) break;
        if (d == 0) k++;
        if (y >= LRA_LO_MIN && y <= LRA_LO_SM) d++;
        else if (y == LRA_LO_END) d--;
    }
    for (int j = 0; j <= k; j++) lra__puts(f, "( ");
    lra__puts(f, lra__lo_str[x]);
    for (int j = 0; j < k; j++) {
        lra__puts(f, " ");
        if (lra__lo_write(f, tok, n, i, depth + 1)) return -1;
        lra__puts(f, " )");
    }
    if (*i >= n || tok[*i] != LRA_LO_END) return -1;
    (*i)++;
    lra__puts(f, " ] )");
    return 0;
}

/* the whole file is built first, then written atomically: a full disk or a file-size limit leaves
   the old file and gives a message naming path (ls_write_file), never a truncated TSV */
LRA_API int lra_listops_write_tsv(const char *path, const lra_split *s, char *err) {
    lra__text b;
    memset(&b, 0, sizeof b);
    lra__puts(&b, "Source\tTarget\n");
    for (int64_t e = 0; e < s->n; e++) {
        int64_t i = 0, n = s->len[e];
        if (lra__lo_write(&b, lra__row(s, e), n, &i, 0) || i != n) {
            free(b.p);
            return lra__fail(err, "%s: example %lld is not a well-formed ListOps tree", path,
                             (long long)e);
        }
        char lab[24];
        snprintf(lab, sizeof lab, "\t%d\n", s->label[e]);
        lra__puts(&b, lab);
    }
    if (b.oom) { free(b.p); return lra__fail(err, "%s: out of memory building the file", path); }
    int rc = ls_write_file(path, b.p, b.n, err);
    free(b.p);
    return rc;
}

static int lra__lo_token(const char *w, size_t n) {
    if (n == 1 && w[0] >= '0' && w[0] <= '9') return w[0] - '0';
    if (n == 1 && (w[0] == ']' || w[0] == 'X')) return LRA_LO_END;
    for (int k = LRA_LO_MIN; k <= LRA_LO_SM; k++)
        if (strlen(lra__lo_str[k]) == n && !memcmp(w, lra__lo_str[k], n)) return k;
    return -1;
}

/* real ListOps files pad to under 1 cell a byte (a token and its space are 2+ bytes, lines 500-2000
   tokens); 16 leaves room for uneven lines and is still linear */
#define LRA__TSV_CELLS_PER_BYTE 16
LRA_API int lra_listops_read_tsv(const char *path, int64_t T, lra_split *s, char *err) {
    memset(s, 0, sizeof *s);
    unsigned char *b;
    size_t nb;
    if (lra__read_file(path, &b, &nb, "", err)) return -1;
    const char *hdr = "Source\tTarget";
    size_t hl = strlen(hdr);
    if (nb < hl || memcmp(b, hdr, hl) || (nb > hl && b[hl] != '\n' && b[hl] != '\r')) {
        free(b);
        return lra__fail(err, "%s: line 1: expected the header \"Source<TAB>Target\"", path);
    }
    /* two passes: count lines and the longest sequence, then fill */
    int64_t rows = 0, maxlen = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t p = hl;
        int64_t line = 1, e = 0;
        while (p < nb) {
            while (p < nb && (b[p] == '\n' || b[p] == '\r')) { if (b[p] == '\n') line++; p++; }
            if (p >= nb) break;
            int64_t ntok = 0;
            int32_t *row = pass ? lra__row(s, e) : NULL;
            for (;;) { /* tokens up to the tab */
                while (p < nb && b[p] == ' ') p++;
                if (p >= nb || b[p] == '\n' || b[p] == '\r') {
                    free(b);
                    if (pass) lra__split_free(s);
                    return lra__fail(err, "%s: line %lld: no tab before the target", path,
                                     (long long)line);
                }
                if (b[p] == '\t') break;
                size_t q = p;
                while (q < nb && b[q] != ' ' && b[q] != '\t' && b[q] != '\n' && b[q] != '\r') q++;
                if (!(q - p == 1 && (b[p] == '(' || b[p] == ')'))) {
                    int id = lra__lo_token((const char *)b + p, q - p);
                    if (id < 0) {
                        lra__fail(err, "%s: line %lld: unknown token \"%.*s\"", path,
                                  (long long)line, (int)(q - p < 20 ? q - p : 20),
                                  (const char *)b + p);
                        free(b);
                        if (pass) lra__split_free(s);
                        return -1;
                    }
                    if (pass) row[ntok] = id;
                    ntok++;
                }
                p = q;
            }
            p++; /* tab */
            size_t q = p;
            while (q < nb && b[q] != '\n' && b[q] != '\r') q++;
            int target = (q - p == 1 && b[p] >= '0' && b[p] <= '9') ? b[p] - '0' : -1;
            if (target < 0 || ntok == 0) {
                free(b);
                if (pass) lra__split_free(s);
                return lra__fail(err, "%s: line %lld: %s", path, (long long)line,
                                 ntok ? "target is not a digit 0-9" : "empty source");
            }
            if (!pass) {
                if (T > 0 && ntok > T) {
                    free(b);
                    return lra__fail(err, "%s: line %lld: %lld tokens, more than T = %lld", path,
                                     (long long)line, (long long)ntok, (long long)T);
                }
                if (ntok > maxlen) maxlen = ntok;
                rows++;
            } else {
                s->len[e] = (int32_t)ntok;
                s->label[e] = target;
                e++;
            }
            p = q;
        }
        if (!pass) {
            if (!rows) { free(b); return lra__fail(err, "%s: no examples after the header", path); }
            /* the split is dense (rows, width): a few long lines among many short ones would ask
               for rows x longest, far beyond the file (a 1.8 MB file asked for 360 GB). Memory
               stays linear in the file: at most LRA__TSV_CELLS_PER_BYTE cells a byte, plus
               a floor */
            int64_t width = T > 0 ? T : maxlen;
            double cells = (double)rows * (double)width,
                   limit = (double)LRA__TSV_CELLS_PER_BYTE * (double)nb + 1048576.0;
            if (cells > limit) {
                free(b);
                return lra__fail(err, "%s: %lld rows padded to %lld tokens need %.0f MB, more than "
                                 "%d cells a byte of this %zu-byte file allows (lines of very "
                                 "different lengths: split the file%s)", path,
                                 (long long)rows, (long long)width, cells * 4.0 / 1e6,
                                 LRA__TSV_CELLS_PER_BYTE, nb,
                                 T > 0 ? " or pass a smaller T" : " or pass T");
            }
            lra__split_alloc(s, rows, width, 1, LRA_LO_SYMBOLS);
        }
    }
    free(b);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Pathfinder / Path-X
   --------------------------------------------------------------------------------------------- */

/* The snake parameters of LRA's generator runs (lra_benchmarks/data/pathfinder.py lists them): only
   the contour length differs between the original dataset's difficulties,
   pathfinder32/curv_baseline (6, LRA's "easy"), curv_contour_length_9 ("intermediate") and
   curv_contour_length_14 ("hard", the LRA task); the distractors follow from it:
   distractor_length = contour_length // 3 and num_distractor_snakes = 20 // distractor_length
   (pathfinder128: 35 / distractor_length, with a float divisor here as before). */
LRA_API lra_pf_params lra_pf_params_contour(int size, int contour_length) {
    lra_pf_params p;
    memset(&p, 0, sizeof p);
    int c = contour_length, dl = c / 3;
    if (size >= 128) { /* Path-X (pathfinder128/curv_contour_length_14) */
        p.size = size; p.padding = 1; p.paddle_length = 5.0f; p.thickness = 1.5f;
        p.margin_lo = 2; p.margin_hi = 3; p.marker_radius = 3.0f; p.seed_distance = 20.0f;
        p.continuity = 1.8f; p.contour_length = c; p.distractor_length = dl;
        p.n_distractors = dl > 0 ? (int)(35.0 / ((double)c / 3.0)) : 0; p.paddle_contrast = 0.9f;
    } else { /* pathfinder32/curv_contour_length_14 ("hard"); c = 6: curv_baseline ("easy") */
        p.size = size; p.padding = 1; p.paddle_length = 2.0f; p.thickness = 0.5f;
        p.margin_lo = 1; p.margin_hi = 1; p.marker_radius = 1.5f; p.seed_distance = 7.0f;
        p.continuity = 1.0f; p.contour_length = c; p.distractor_length = dl;
        p.n_distractors = dl > 0 ? 20 / dl : 0; p.paddle_contrast = 0.75f;
    }
    return p;
}

LRA_API lra_pf_params lra_pf_params_default(int size) { return lra_pf_params_contour(size, 14); }

LRA_API lra_pf_params lra_pf_params_easy(void) {
    lra_pf_params p = lra_pf_params_contour(LRA_PF_EASY_SIZE, LRA_PF_EASY_CONTOUR);
    p.n_distractors = 0;
    return p;
}

typedef struct lra__dl { double d; int label; } lra__dl;
static int lra__cmp_dl(const void *a, const void *b) {
    double x = ((const lra__dl *)a)->d, y = ((const lra__dl *)b)->d;
    return (x > y) - (x < y);
}
static int lra__disc_dists(const lra_pf_params *p, uint64_t seed, int64_t first, int64_t n,
                           lra__dl *out) {
    uint8_t *img = (uint8_t *)lra__xmalloc((size_t)n * (size_t)p->size * (size_t)p->size);
    lra_pf_record *rec = (lra_pf_record *)lra__xmalloc((size_t)n * sizeof(lra_pf_record));
    int rc = lra_pathfinder_batch(p, seed, first, n, img, NULL, rec);
    for (int64_t i = 0; i < n && !rc; i++) {
        double dx = rec[i].marker[0][0] - rec[i].marker[1][0],
               dy = rec[i].marker[0][1] - rec[i].marker[1][1];
        out[i].d = sqrt(dx * dx + dy * dy);
        out[i].label = rec[i].label;
    }
    free(img); free(rec);
    return rc;
}
LRA_API double lra_pf_disc_baseline(const lra_pf_params *p, uint64_t seed, int64_t n) {
    if (n < 1) return -1;
    lra__dl *fit = (lra__dl *)lra__xmalloc((size_t)n * sizeof(lra__dl));
    lra__dl *ev = (lra__dl *)lra__xmalloc((size_t)n * sizeof(lra__dl));
    if (lra__disc_dists(p, seed, 0, n, fit) || lra__disc_dists(p, seed, n, n, ev)) {
        free(fit); free(ev);
        return -1;
    }
    /* fit: sorted by distance, the cut and side with the most right (ties of distance cut
       together) */
    qsort(fit, (size_t)n, sizeof *fit, lra__cmp_dl);
    int64_t ones = 0, below1 = 0, best = -1;
    for (int64_t i = 0; i < n; i++) ones += fit[i].label;
    double cut = -1.0;
    int below_is_1 = 1;
    for (int64_t i = 0; i <= n; i++) {
        if (i == 0 || i == n || fit[i].d > fit[i - 1].d) {
            int64_t r1 = below1 + (n - i) - (ones - below1);   /* 1 below the cut, 0 above */
            double c = i == 0 ? -1.0 : i == n ? HUGE_VAL : 0.5 * (fit[i - 1].d + fit[i].d);
            if (r1 > best) { best = r1; cut = c; below_is_1 = 1; }
            if (n - r1 > best) { best = n - r1; cut = c; below_is_1 = 0; }
        }
        if (i < n) below1 += fit[i].label;
    }
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++) right += ((ev[i].d < cut) == below_is_1) == (ev[i].label == 1);
    free(fit); free(ev);
    return (double)right / (double)n;
}

typedef struct lra__pf {
    const lra_pf_params *p;
    lra_pf_record *rec;
    ls_rng *rng;
    uint8_t *occ;      /* (S, S) 1 = occupied */
    int S;
    float margin, clear; /* clear: minimum distance between the centre lines of two paddles */
} lra__pf;

static float lra__pt_seg_d2(float px, float py, const lra_pf_paddle *s) {
    float dx = s->x1 - s->x0, dy = s->y1 - s->y0, L2 = dx * dx + dy * dy, u = 0.0f;
    if (L2 > 0.0f) {
        u = ((px - s->x0) * dx + (py - s->y0) * dy) / L2;
        u = u < 0.0f ? 0.0f : u > 1.0f ? 1.0f : u;
    }
    float ex = s->x0 + u * dx - px, ey = s->y0 + u * dy - py;
    return ex * ex + ey * ey;
}

static float lra__cross(float ax, float ay, float bx, float by) { return ax * by - ay * bx; }

static float lra__seg_seg_d2(const lra_pf_paddle *a, const lra_pf_paddle *b) {
    /* proper intersection -> 0, else the smallest endpoint-to-segment distance */
    float d1 = lra__cross(b->x1 - b->x0, b->y1 - b->y0, a->x0 - b->x0, a->y0 - b->y0);
    float d2 = lra__cross(b->x1 - b->x0, b->y1 - b->y0, a->x1 - b->x0, a->y1 - b->y0);
    float d3 = lra__cross(a->x1 - a->x0, a->y1 - a->y0, b->x0 - a->x0, b->y0 - a->y0);
    float d4 = lra__cross(a->x1 - a->x0, a->y1 - a->y0, b->x1 - a->x0, b->y1 - a->y0);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return 0.0f;
    float m = lra__pt_seg_d2(a->x0, a->y0, b), t;
    if ((t = lra__pt_seg_d2(a->x1, a->y1, b)) < m) m = t;
    if ((t = lra__pt_seg_d2(b->x0, b->y0, a)) < m) m = t;
    if ((t = lra__pt_seg_d2(b->x1, b->y1, a)) < m) m = t;
    return m;
}

/* the paddle fits: inside the padded window and clear of every paddle in [0, n) except `skip` */
static int lra__pf_fits(const lra__pf *g, const lra_pf_paddle *q, int skip) {
    float lo = (float)g->p->padding, hi = (float)(g->S - g->p->padding);
    if (q->x0 < lo || q->x0 > hi || q->y0 < lo || q->y0 > hi) return 0;
    if (q->x1 < lo || q->x1 > hi || q->y1 < lo || q->y1 > hi) return 0;
    float c2 = g->clear * g->clear;
    for (int i = 0; i < g->rec->n_paddles; i++)
        if (i != skip && lra__seg_seg_d2(q, &g->rec->paddle[i]) < c2) return 0;
    return 1;
}

/* marks pixels whose centre lies within margin + thickness/2 of the paddle */
static void lra__pf_occupy(lra__pf *g, const lra_pf_paddle *q) {
    float r = g->margin + 0.5f * g->p->thickness, r2 = r * r;
    int x0 = (int)floorf(fminf(q->x0, q->x1) - r), x1 = (int)ceilf(fmaxf(q->x0, q->x1) + r);
    int y0 = (int)floorf(fminf(q->y0, q->y1) - r), y1 = (int)ceilf(fmaxf(q->y0, q->y1) + r);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > g->S - 1) x1 = g->S - 1;
    if (y1 > g->S - 1) y1 = g->S - 1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            if (lra__pt_seg_d2((float)x + 0.5f, (float)y + 0.5f, q) <= r2) g->occ[y * g->S + x] = 1;
}

static int lra__pf_occupied(const lra__pf *g, float x, float y) {
    int ix = (int)floorf(x), iy = (int)floorf(y);
    if (ix < 0 || iy < 0 || ix >= g->S || iy >= g->S) return 1;
    return g->occ[iy * g->S + ix];
}

static void lra__pf_reset_occ(lra__pf *g) {
    int S = g->S, pad = g->p->padding;
    memset(g->occ, 1, (size_t)S * S);
    for (int y = pad; y < S - pad; y++)
        memset(g->occ + (size_t)y * S + pad, 0, (size_t)(S - 2 * pad));
}

static lra_pf_paddle lra__pf_make(float x, float y, float theta, float len) {
    lra_pf_paddle q;
    q.x0 = x; q.y0 = y;
    q.x1 = x + len * cosf(theta); q.y1 = y + len * sinf(theta);
    return q;
}

static float lra__rand_angle(ls_rng *r) { /* integer degrees in [-180, 180) */
    return (float)(((int)ls_rng_below(r, 360) - 180) * (LRA__PI / 180.0));
}

/* a uniformly chosen free pixel centre with both coordinates in [band, S - band); 0 if none */
static int lra__pf_free_pixel(lra__pf *g, int band, float *x, float *y, int *n_free) {
    int S = g->S, n = 0;
    if (g->rec->n_paddles == 0 && band >= g->p->padding && S - 2 * band > 0) {
        /* empty canvas: every pixel of the band is free, so skip the scans (same distribution) */
        uint32_t w = (uint32_t)(S - 2 * band), k = ls_rng_below(g->rng, w * w);
        if (n_free) *n_free = (int)(w * w);
        *x = (float)(band + (int)(k % w)) + 0.5f; *y = (float)(band + (int)(k / w)) + 0.5f;
        return 1;
    }
    for (int iy = band; iy < S - band; iy++)
        for (int ix = band; ix < S - band; ix++) n += !g->occ[iy * S + ix];
    if (n_free) *n_free = n;
    if (!n) return 0;
    int k = (int)ls_rng_below(g->rng, (uint32_t)n);
    for (int iy = band; iy < S - band; iy++)
        for (int ix = band; ix < S - band; ix++)
            if (!g->occ[iy * S + ix] && k-- == 0) {
                *x = (float)ix + 0.5f; *y = (float)iy + 0.5f;
                return 1;
            }
    return 0;
}

/* appends paddle q to snake s (always the newest snake, or one of the two targets) */
static void lra__pf_push(lra__pf *g, const lra_pf_paddle *q, int occupy) {
    lra_pf_record *R = g->rec;
    R->paddle[R->n_paddles++] = *q;
    if (occupy) lra__pf_occupy(g, q);
}

/* grows from paddle `prev` (index); on success writes the new paddle to *out and returns 1 */
static int lra__pf_extend(lra__pf *g, int prev, lra_pf_paddle *out) {
    const lra_pf_paddle *pp = &g->rec->paddle[prev];
    float L = g->p->paddle_length, m = g->margin, r = L + m;
    float dx = pp->x1 - pp->x0, dy = pp->y1 - pp->y0, dl = sqrtf(dx * dx + dy * dy);
    dx /= dl; dy /= dl;
    float theta = atan2f(dy, dx);
    float px = pp->x1 + m * dx, py = pp->y1 + m * dy; /* the pivot */
    enum { MAXC = 128 };
    int nc = (int)ceil(2.0 * LRA__PI * r);
    if (nc < 8) nc = 8;
    if (nc > MAXC) nc = MAXC;
    double w[MAXC], total = 0.0;
    for (int k = 0; k < nc; k++) {
        double turn = 2.0 * LRA__PI * k / nc;
        if (turn > LRA__PI) turn -= 2.0 * LRA__PI;
        double phi = theta + turn, cx = px + r * cos(phi), cy = py + r * sin(phi);
        double a = fabs(turn) * g->p->continuity, c = a < LRA__PI / 2 ? cos(a) : 0.0;
        w[k] = lra__pf_occupied(g, (float)cx, (float)cy) ? 0.0 : c * c;
        total += w[k];
    }
    for (int attempt = 0; attempt < 2 && total > 1e-12; attempt++) {
        double u = ls_rng_double(g->rng) * total;
        int k = 0;
        while (k < nc - 1 && (u -= w[k]) >= 0.0) k++;
        while (w[k] <= 0.0 && k > 0) k--; /* rounding at the top end */
        if (w[k] <= 0.0) break;
        double phi = theta + 2.0 * LRA__PI * k / nc;
        lra_pf_paddle q;
        q.x0 = px + m * (float)cos(phi); q.y0 = py + m * (float)sin(phi);
        q.x1 = px + r * (float)cos(phi); q.y1 = py + r * (float)sin(phi);
        if (lra__pf_fits(g, &q, prev)) { *out = q; return 1; }
        total -= w[k]; w[k] = 0.0;
    }
    return 0;
}

/* the two target snakes; 0 on a dead end */
static int lra__pf_targets(lra__pf *g) {
    const lra_pf_params *p = g->p;
    lra_pf_record *R = g->rec;
    int S = g->S, band = (int)(2.0f * p->seed_distance);
    if (band > S / 2 - 2) band = S / 2 - 2;
    R->n_paddles = 0;
    lra__pf_reset_occ(g);
    lra_pf_paddle a, b;
    int ok = 0;
    for (int t = 0; t < 50 && !ok; t++) { /* snake 1: tail in the central region */
        float x, y;
        if (!lra__pf_free_pixel(g, band, &x, &y, NULL)) return 0;
        a = lra__pf_make(x, y, lra__rand_angle(g->rng), p->paddle_length);
        ok = lra__pf_fits(g, &a, -1);
    }
    if (!ok) return 0;
    lra__pf_push(g, &a, 1);
    ok = 0;
    for (int t = 0; t < 50 && !ok; t++) { /* snake 2: tail seed_distance away */
        float phi = lra__rand_angle(g->rng);
        b = lra__pf_make(a.x0 + p->seed_distance * cosf(phi), a.y0 + p->seed_distance * sinf(phi),
                         lra__rand_angle(g->rng), p->paddle_length);
        ok = lra__pf_fits(g, &b, -1) && !lra__pf_occupied(g, b.x0, b.y0);
    }
    if (!ok) return 0;
    lra__pf_push(g, &b, 1);
    /* paddles alternate: snake 1 at even positions 0, 2, 4, ..., snake 2 at odd ones */
    for (int k = 1; k < p->contour_length; k++) {
        for (int s = 0; s < 2; s++) {
            lra_pf_paddle q;
            if (!lra__pf_extend(g, R->n_paddles - 2, &q)) return 0;
            lra__pf_push(g, &q, 1);
        }
    }
    /* reorder so that each snake's paddles are contiguous: [snake 1 | snake 2] */
    lra_pf_paddle tmp[LRA_PF_MAX_PADDLES];
    int n = R->n_paddles, c = p->contour_length;
    for (int i = 0; i < n; i++) tmp[(i & 1) * c + i / 2] = R->paddle[i];
    memcpy(R->paddle, tmp, (size_t)n * sizeof(lra_pf_paddle));
    R->n_snakes = 2;
    R->start[0] = 0; R->start[1] = c; R->start[2] = 2 * c;
    return 1;
}

static void lra__pf_distractors(lra__pf *g) {
    const lra_pf_params *p = g->p;
    lra_pf_record *R = g->rec;
    int S = g->S;
    for (int d = 0; d < p->n_distractors && R->n_snakes < LRA_PF_MAX_SNAKES; d++) {
        if (R->n_paddles + p->distractor_length > LRA_PF_MAX_PADDLES) break;
        for (int attempt = 0; attempt < 4; attempt++) {
            float x, y;
            int n_free;
            if (!lra__pf_free_pixel(g, 0, &x, &y, &n_free) || n_free * 100 < S * S) return;
            int first = R->n_paddles, ok = 0;
            lra_pf_paddle q = lra__pf_make(x, y, lra__rand_angle(g->rng), p->paddle_length);
            if (lra__pf_fits(g, &q, -1)) {
                lra__pf_push(g, &q, 0);
                ok = 1;
                for (int k = 1; k < p->distractor_length && ok; k++) {
                    ok = lra__pf_extend(g, R->n_paddles - 1, &q);
                    if (ok) lra__pf_push(g, &q, 0);
                }
            }
            if (ok) {
                for (int i = first; i < R->n_paddles; i++) lra__pf_occupy(g, &R->paddle[i]);
                R->n_snakes++;
                R->start[R->n_snakes] = R->n_paddles;
                break;
            }
            R->n_paddles = first;
        }
    }
}

/* max-combines an antialiased segment (half-width hw) or disc (segment of length 0, radius hw)
   with intensity v; coverage from 4x4 samples per pixel */
static void lra__pf_draw(float *img, int S, const lra_pf_paddle *q, float hw, float v) {
    int x0 = (int)floorf(fminf(q->x0, q->x1) - hw - 1),
        x1 = (int)ceilf(fmaxf(q->x0, q->x1) + hw + 1);
    int y0 = (int)floorf(fminf(q->y0, q->y1) - hw - 1),
        y1 = (int)ceilf(fmaxf(q->y0, q->y1) + hw + 1);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > S - 1) x1 = S - 1;
    if (y1 > S - 1) y1 = S - 1;
    float h2 = hw * hw;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            int hits = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++)
                    hits += lra__pt_seg_d2((float)x + (sx + 0.5f) * 0.25f,
                                           (float)y + (sy + 0.5f) * 0.25f, q) <= h2;
            float c = v * (float)hits * (1.0f / 16.0f);
            if (c > img[y * S + x]) img[y * S + x] = c;
        }
}

static int lra__pf_label(uint64_t seed, int64_t index) {
    /* pairs (2k, 2k+1) hold one image of each class, in a seeded order */
    return (int)((index & 1) ^
                 (int64_t)(ls_hash64(seed ^ ls_hash64((uint64_t)(index >> 1) + 0x5eedull)) & 1));
}

LRA_API int lra_pathfinder_image(const lra_pf_params *p, uint64_t seed, int64_t index,
                                 uint8_t *img, lra_pf_record *rec) {
    int S = p->size;
    lra_pf_record local;
    lra_pf_record *R = rec ? rec : &local;
    memset(R, 0, sizeof *R);
    if (2 * p->contour_length > LRA_PF_MAX_PADDLES || S < 8) return -1;
    ls_rng rng = ls_rng_make(seed, (uint64_t)index);
    lra__pf g;
    g.p = p; g.rec = R; g.rng = &rng; g.S = S;
    g.occ = (uint8_t *)lra__xmalloc((size_t)S * S);
    g.margin = (float)(p->margin_lo +
                       (int)ls_rng_below(&rng, (uint32_t)(p->margin_hi - p->margin_lo + 1)));
    g.clear = g.margin + p->thickness;
    R->margin = g.margin;
    R->label = lra__pf_label(seed, index);
    int ok = 0;
    for (int t = 0; t < 20000 && !ok; t++) {
        ok = lra__pf_targets(&g);
        if (!ok) R->restarts++;
    }
    if (!ok) { free(g.occ); return -1; }
    lra__pf_distractors(&g);
    int origin = (int)ls_rng_below(&rng, 2), other = R->label ? origin : 1 - origin;
    const lra_pf_paddle *tail = &R->paddle[R->start[origin]],
                        *head = &R->paddle[R->start[other + 1] - 1];
    R->marker[0][0] = tail->x0; R->marker[0][1] = tail->y0;
    R->marker[1][0] = head->x1; R->marker[1][1] = head->y1;
    /* render */
    float *canvas = (float *)lra__xcalloc((size_t)S * S * sizeof(float));
    float hw = 0.5f * p->thickness;
    for (int i = 0; i < R->n_paddles; i++)
        lra__pf_draw(canvas, S, &R->paddle[i], hw, p->paddle_contrast);
    for (int k = 0; k < 2; k++) {
        lra_pf_paddle d;
        d.x0 = d.x1 = R->marker[k][0]; d.y0 = d.y1 = R->marker[k][1];
        lra__pf_draw(canvas, S, &d, p->marker_radius, 1.0f);
    }
    float mx = 0.0f;
    for (int i = 0; i < S * S; i++) if (canvas[i] > mx) mx = canvas[i];
    for (int i = 0; i < S * S; i++)
        img[i] = (uint8_t)(mx > 0 ? (int)(canvas[i] / mx * 255.0f + 0.5f) : 0);
    free(canvas);
    free(g.occ);
    return 0;
}

LRA_API int lra_pathfinder_batch(const lra_pf_params *p, uint64_t seed, int64_t first, int64_t n,
                                 uint8_t *imgs, int32_t *labels, lra_pf_record *recs) {
    int failed = 0;
    size_t S2 = (size_t)p->size * p->size;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) reduction(+ : failed)
#endif
    for (int64_t i = 0; i < n; i++) {
        lra_pf_record local;
        lra_pf_record *R = recs ? &recs[i] : &local;
        if (lra_pathfinder_image(p, seed, first + i, imgs + (size_t)i * S2, R)) failed++;
        if (labels) labels[i] = R->label;
    }
    return failed ? -1 : 0;
}

static int lra__pathfinder_make(lra_task *t, const lra_config *c, uint64_t seed, char *err) {
    lra_pf_params p = c->easy ? lra_pf_params_easy() : lra_pf_params_default(t->width);
    lra_split *sp[3] = { &t->train, &t->val, &t->test };
    int64_t want[3] = { c->n_train, c->n_val, c->n_test };
    static const char *const tag[3] = { "train", "val", "test" };
    int64_t S2 = (int64_t)t->width * t->height;
    for (int k = 0; k < 3; k++) {
        lra_split *s = sp[k];
        lra__split_alloc(s, want[k], S2, 1, t->pad_id);
        char what[64];
        /* the stream is named by the base task ("pathfinder/train" for pathfinder-easy too): image
           i of the easy variant has the label of image i of the LRA task, and its own snakes */
        snprintf(what, sizeof what, "%s/%s", lra__names[t->id], tag[k]);
        uint64_t sd = lra__stream(seed, what);
        uint8_t *img = (uint8_t *)lra__xmalloc((size_t)(want[k] ? want[k] : 1) * S2);
        /* chunks of 512 images, with a progress line between them when the split is large
           (paper-profile Pathfinder takes minutes); the chunking does not change any image */
        ls_progress pr;
        ls_progress_start(&pr, what, want[k], want[k] * S2 < ((int64_t)4 << 20));
        pr.last = pr.t0;   /* the first line after the interval, not at once */
        int rc = 0;
        for (int64_t i0 = 0; i0 < want[k] && !rc; i0 += 512) {
            int64_t nb = want[k] - i0 < 512 ? want[k] - i0 : 512;
            rc = lra_pathfinder_batch(&p, sd, i0, nb, img + i0 * S2, s->label + i0, NULL);
            ls_progress_update(&pr, i0 + nb, -1.0, -1.0, (double)((i0 + nb) * S2));
        }
        ls_progress_end(&pr, NULL);
        for (int64_t i = 0; i < want[k] * S2; i++) s->tokens[i] = img[i];
        for (int64_t i = 0; i < want[k]; i++) s->len[i] = (int32_t)S2;
        free(img);
        if (rc)
            return lra__fail(err, "%s: the generator failed on some %s image "
                             "(parameters too tight?)", t->name, tag[k]);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Image: Fashion-MNIST IDX
   --------------------------------------------------------------------------------------------- */

static uint32_t lra__be32(const unsigned char *b) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

/* reads an IDX file of unsigned bytes with nd dimensions (3 images, 1 labels) */
static int lra__idx_read(const char *path, int nd, unsigned char **buf, const unsigned char **data,
                         int64_t *n, int64_t *rows, int64_t *cols, char *err) {
    size_t nb;
    *buf = NULL;
    if (lra__read_file(path, buf, &nb, LRA__FETCH_HINT, err)) return -1;
    size_t hdr = 4 + 4 * (size_t)nd;
    int rc = 0;
    if (nb < hdr) {
        rc = lra__fail(err, "%s: truncated: %zu bytes, shorter than the %zu-byte IDX header",
                       path, nb, hdr);
    } else if ((*buf)[0] || (*buf)[1] || (*buf)[2] != 0x08 || (*buf)[3] != nd) {
        rc = lra__fail(err, "%s: wrong magic number %02x %02x %02x %02x (expected 00 00 08 %02x: "
                       "unsigned bytes, %d dimension%s)", path, (*buf)[0], (*buf)[1], (*buf)[2],
                       (*buf)[3], nd, nd, nd > 1 ? "s" : "");
    } else {
        *n = lra__be32(*buf + 4);
        *rows = nd == 3 ? lra__be32(*buf + 8) : 1;
        *cols = nd == 3 ? lra__be32(*buf + 12) : 1;
        uint64_t want = (uint64_t)hdr + (uint64_t)*n * (uint64_t)*rows * (uint64_t)*cols;
        if (*rows < 1 || *cols < 1 || *rows > 32 || *cols > 32)
            rc = lra__fail(err, "%s: image size %lldx%lld (must be 1..32 on each side)", path,
                           (long long)*rows, (long long)*cols);
        else if ((uint64_t)nb < want)
            rc = lra__fail(err, "%s: truncated: %zu bytes, but the header's count %lld needs %llu",
                           path, nb, (long long)*n, (unsigned long long)want);
        else if ((uint64_t)nb > want)
            rc = lra__fail(err, "%s: wrong count: the header says %lld items (%llu bytes) but the "
                           "file has %zu bytes", path, (long long)*n, (unsigned long long)want, nb);
        else
            *data = *buf + hdr;
    }
    if (rc) { free(*buf); *buf = NULL; }
    return rc;
}

/* images and labels of one IDX pair: *img (n, rows*cols), *lab (n) */
static int lra__idx_pair(const char *dir, const char *stem, unsigned char **bi, unsigned char **bl,
                         const unsigned char **img, const unsigned char **lab, int64_t *n,
                         int64_t *rows, int64_t *cols, char *err) {
    char pi[1024], pl[1024];
    snprintf(pi, sizeof pi, "%s/fashion-mnist/%s-images-idx3-ubyte", dir, stem);
    snprintf(pl, sizeof pl, "%s/fashion-mnist/%s-labels-idx1-ubyte", dir, stem);
    int64_t nl, r1, c1;
    if (lra__idx_read(pi, 3, bi, img, n, rows, cols, err)) return -1;
    if (lra__idx_read(pl, 1, bl, lab, &nl, &r1, &c1, err)) { free(*bi); *bi = NULL; return -1; }
    int rc = 0;
    if (nl != *n)
        rc = lra__fail(err, "%s: wrong count: %lld labels for %lld images in %s", pl, (long long)nl,
                       (long long)*n, pi);
    for (int64_t i = 0; !rc && i < nl; i++)
        if ((*lab)[i] > 9)
            rc = lra__fail(err, "%s: label %d of item %lld is not a class 0-9", pl, (*lab)[i],
                           (long long)i);
    if (rc) { free(*bi); free(*bl); *bi = *bl = NULL; }
    return rc;
}

static void lra__image_put(lra_split *s, int64_t e, const unsigned char *src, int64_t rows,
                           int64_t cols, int label) {
    int32_t *row = lra__row(s, e);
    int64_t top = (32 - rows) / 2, left = (32 - cols) / 2;
    for (int64_t i = 0; i < 1024; i++) row[i] = 0; /* zero padding is black, not PAD */
    for (int64_t y = 0; y < rows; y++)
        for (int64_t x = 0; x < cols; x++) row[(top + y) * 32 + left + x] = src[y * cols + x];
    s->len[e] = 1024;
    s->label[e] = label;
}

static int lra__image_load(lra_task *t, const lra_config *c, const char *dir, char *err) {
    unsigned char *bi, *bl, *ti, *tl;
    const unsigned char *img, *lab, *timg, *tlab;
    int64_t n, rows, cols, tn, trows, tcols;
    if (lra__idx_pair(dir, "train", &bi, &bl, &img, &lab, &n, &rows, &cols, err)) return -1;
    if (lra__idx_pair(dir, "t10k", &ti, &tl, &timg, &tlab, &tn, &trows, &tcols, err)) {
        free(bi); free(bl);
        return -1;
    }
    int rc = 0;
    if (c->n_train + c->n_val > n)
        rc = lra__fail(err, "%s/fashion-mnist/train-images-idx3-ubyte: wrong count: %lld images, "
                       "the %s profile needs %lld + %lld", dir, (long long)n,
                       lra__profile_name(t->profile), (long long)c->n_train, (long long)c->n_val);
    else if (c->n_test > tn)
        rc = lra__fail(err, "%s/fashion-mnist/t10k-images-idx3-ubyte: wrong count: %lld images, "
                       "the %s profile needs %lld", dir, (long long)tn,
                       lra__profile_name(t->profile), (long long)c->n_test);
    if (!rc) {
        lra__split_alloc(&t->train, c->n_train, 1024, 1, t->pad_id);
        lra__split_alloc(&t->val, c->n_val, 1024, 1, t->pad_id);
        lra__split_alloc(&t->test, c->n_test, 1024, 1, t->pad_id);
        int64_t S = rows * cols, TS = trows * tcols;
        for (int64_t i = 0; i < c->n_train; i++)
            lra__image_put(&t->train, i, img + i * S, rows, cols, lab[i]);
        for (int64_t i = 0; i < c->n_val; i++) {
            int64_t j = n - c->n_val + i; /* LRA: validation = the end of the training file */
            lra__image_put(&t->val, i, img + j * S, rows, cols, lab[j]);
        }
        for (int64_t i = 0; i < c->n_test; i++)
            lra__image_put(&t->test, i, timg + i * TS, trows, tcols, tlab[i]);
    }
    free(bi); free(bl); free(ti); free(tl);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
   Text: IMDb reviews.json
   --------------------------------------------------------------------------------------------- */

typedef struct lra__docs {
    unsigned char *bytes;  /* all decoded texts back to back */
    int64_t *off;          /* (n + 1) offsets */
    int32_t *label;        /* (n) */
    int64_t n;
} lra__docs;

static void lra__docs_free(lra__docs *d) {
    free(d->bytes); free(d->off); free(d->label); memset(d, 0, sizeof *d);
}

static int lra__hex4(const unsigned char *b, size_t p, size_t nb, unsigned *v) {
    if (p + 4 > nb) return 0;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = b[p + i], h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) return 0;
        *v = *v * 16 + (unsigned)h;
    }
    return 1;
}

static size_t lra__utf8(unsigned cp, unsigned char *o) {
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12)); o[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        o[2] = (unsigned char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18)); o[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)); o[3] = (unsigned char)(0x80 | (cp & 63));
    return 4;
}

static size_t lra__ws(const unsigned char *b, size_t p, size_t nb) {
    while (p < nb && (b[p] == ' ' || b[p] == '\n' || b[p] == '\r' || b[p] == '\t')) p++;
    return p;
}

static int lra__lit(const unsigned char *b, size_t p, size_t nb, const char *s) {
    size_t n = strlen(s);
    return p + n <= nb && !memcmp(b + p, s, n);
}

/* Decodes the JSON string that starts at b[*p] (the opening quote) into out + *o; on success *p is
   past the closing quote and *o past the decoded bytes, else *why says what is wrong. The decoded
   text is never longer than its encoding. */
static int lra__json_str(const unsigned char *b, size_t *p, size_t nb, unsigned char *out,
                         size_t *o, const char **why) {
    size_t q = *p + 1, k = *o;
    for (;;) {
        if (q >= nb) { *p = q; *why = "unterminated string (file truncated?)"; return 0; }
        unsigned char ch = b[q];
        if (ch == '"') { q++; break; }
        if (ch < 0x20) { *p = q; *why = "raw control character inside a string"; return 0; }
        if (ch != '\\') { out[k++] = ch; q++; continue; }
        if (q + 1 >= nb) { *p = q; *why = "unterminated escape (file truncated?)"; return 0; }
        unsigned char e = b[q + 1];
        q += 2;
        switch (e) {
        case '"': out[k++] = '"'; break;
        case '\\': out[k++] = '\\'; break;
        case '/': out[k++] = '/'; break;
        case 'b': out[k++] = '\b'; break;
        case 'f': out[k++] = '\f'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!lra__hex4(b, q, nb, &cp)) {
                *p = q; *why = "bad \\u escape (need 4 hex digits)";
                return 0;
            }
            q += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && lra__lit(b, q, nb, "\\u") &&
                lra__hex4(b, q + 2, nb, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; /* lone surrogate */
            }
            /* \uXXXX is 6 encoded bytes and at most 3 decoded; a pair is 12 and 4 */
            k += lra__utf8(cp, out + k);
            break;
        }
        default: *p = q - 1; *why = "unknown escape in a string"; return 0;
        }
    }
    *p = q; *o = k;
    return 1;
}

/* Scans a JSON array of records {"t": "...", "s": 0|1}: any JSON whitespace between tokens, the two
   keys in either order (another key, a key twice or a missing one is an error naming it). The
   decoded text is never longer than its encoding, so the output buffer has the file's size (a key
   is decoded past the output and dropped). */
static int lra__imdb_read(const char *path, lra__docs *d, char *err) {
    unsigned char *b;
    size_t nb;
    memset(d, 0, sizeof *d);
    if (lra__read_file(path, &b, &nb, LRA__FETCH_HINT, err)) return -1;
    int64_t cap = 1024;
    d->bytes = (unsigned char *)lra__xmalloc(nb + 4);
    d->off = (int64_t *)lra__xmalloc((size_t)(cap + 1) * sizeof(int64_t));
    d->label = (int32_t *)lra__xmalloc((size_t)cap * sizeof(int32_t));
    d->off[0] = 0;
    size_t o = 0, p = lra__ws(b, 0, nb);
    const char *why = NULL;
#define LRA__BAD(msg) do { why = (msg); goto bad; } while (0)
    if (p >= nb) LRA__BAD("empty file");
    if (b[p] != '[') LRA__BAD("expected '[' to open the array");
    p = lra__ws(b, p + 1, nb);
    if (p < nb && b[p] == ']') LRA__BAD("the array is empty");
    for (;;) {
        if (p >= nb || b[p] != '{') LRA__BAD("expected a record {\"t\": \"...\", \"s\": 0|1}");
        p = lra__ws(b, p + 1, nb);
        int lab = -1, have_t = 0;
        for (;;) {   /* the record's members */
            if (p >= nb || b[p] != '"') LRA__BAD("expected a key (\"t\" or \"s\") in a record");
            size_t key = o;
            if (!lra__json_str(b, &p, nb, d->bytes, &key, &why)) goto bad;
            int is_t = key - o == 1 && d->bytes[o] == 't',
                is_s = key - o == 1 && d->bytes[o] == 's';
            if (!is_t && !is_s)
                LRA__BAD("unexpected key in a record (a record has the keys \"t\" and \"s\")");
            if ((is_t && have_t) || (is_s && lab >= 0))
                LRA__BAD(is_t ? "the key \"t\" twice in a record"
                              : "the key \"s\" twice in a record");
            p = lra__ws(b, p, nb);
            if (p >= nb || b[p] != ':') LRA__BAD("expected ':' after a key");
            p = lra__ws(b, p + 1, nb);
            if (is_t) {
                if (p >= nb || b[p] != '"') LRA__BAD("the review text \"t\" is not a string");
                if (!lra__json_str(b, &p, nb, d->bytes, &o, &why)) goto bad;
                have_t = 1;
            } else {
                /* JSON's 0 or 1 (not 01, 1.0 or 1e0: the documented labels are the integers) */
                if (p >= nb || (b[p] != '0' && b[p] != '1') ||
                    (p + 1 < nb && (isdigit(b[p + 1]) || b[p + 1] == '.' || b[p + 1] == 'e' ||
                                    b[p + 1] == 'E')))
                    LRA__BAD("the label \"s\" is not 0 or 1");
                lab = b[p] - '0';
                p++;
            }
            p = lra__ws(b, p, nb);
            if (p < nb && b[p] == ',') { p = lra__ws(b, p + 1, nb); continue; }
            if (p < nb && b[p] == '}') { p++; break; }
            LRA__BAD("expected ',' or '}' in a record");
        }
        if (!have_t) LRA__BAD("a record without the review text \"t\"");
        if (lab < 0) LRA__BAD("a record without the label \"s\"");
        if (d->n == cap) {
            cap *= 2;
            d->off = (int64_t *)lra__xrealloc(d->off, (size_t)(cap + 1) * sizeof(int64_t));
            d->label = (int32_t *)lra__xrealloc(d->label, (size_t)cap * sizeof(int32_t));
        }
        d->label[d->n] = lab;
        d->off[++d->n] = (int64_t)o;
        p = lra__ws(b, p, nb);
        if (p >= nb) LRA__BAD("the array is not closed with ']' (file truncated?)");
        if (b[p] == ']') break;
        if (b[p] != ',') LRA__BAD("expected ',' or ']' after a record");
        p = lra__ws(b, p + 1, nb);
    }
    p = lra__ws(b, p + 1, nb);
    if (p != nb) LRA__BAD("trailing bytes after the closing ']'");
#undef LRA__BAD
    free(b);
    return 0;
bad:
    lra__fail(err, "%s: malformed JSON at byte %zu (record %lld): %s", path, p, (long long)d->n,
              why);
    free(b);
    lra__docs_free(d);
    return -1;
}

static void lra__text_put(lra_split *s, int64_t e, const lra__docs *d, int64_t j) {
    int64_t n = d->off[j + 1] - d->off[j];
    if (n > s->T) n = s->T;
    int32_t *row = lra__row(s, e);
    for (int64_t i = 0; i < n; i++) row[i] = d->bytes[d->off[j] + i];
    s->len[e] = (int32_t)(n > 0 ? n : 1); /* an empty text is one PAD token */
    s->label[e] = d->label[j];
}

static int lra__text_load(lra_task *t, const lra_config *c, uint64_t seed, const char *dir,
                          char *err) {
    char path[1024];
    snprintf(path, sizeof path, "%s/imdb/reviews.json", dir);
    lra__docs d;
    if (lra__imdb_read(path, &d, err)) return -1;
    int64_t B = d.n / 4;
    if (d.n % 4) {
        lra__docs_free(&d);
        return lra__fail(err, "%s: wrong count: %lld records, not four equal blocks (test/neg, "
                         "train/neg, test/pos, train/pos)", path, (long long)d.n);
    }
    for (int64_t i = 0; i < d.n; i++)
        if (d.label[i] != (i >= 2 * B)) {
            lra__fail(err, "%s: record %lld has label %d, but the four-block layout (blocks of "
                      "%lld: test/neg, train/neg, test/pos, train/pos) puts it in a %s block",
                      path, (long long)i, d.label[i], (long long)B,
                      i >= 2 * B ? "positive" : "negative");
            lra__docs_free(&d);
            return -1;
        }
    int64_t avail_test = 2 * B, want_test = c->val_is_test ? c->n_test : c->n_val + c->n_test;
    if (c->n_train > 2 * B || want_test > avail_test || (c->val_is_test && c->n_val != c->n_test)) {
        lra__fail(err, "%s: wrong count: %lld train and %lld test reviews, the %s profile needs "
                  "%lld train and %lld %s", path, (long long)(2 * B), (long long)avail_test,
                  lra__profile_name(t->profile), (long long)c->n_train, (long long)want_test,
                  c->val_is_test ? "test (val = test)" : "val + test");
        lra__docs_free(&d);
        return -1;
    }
    /* train: blocks 2 and 4 (indices B..2B and 3B..4B), shuffled */
    int32_t *idx = (int32_t *)lra__xmalloc((size_t)(2 * B + 1) * sizeof(int32_t));
    for (int64_t i = 0; i < B; i++) {
        idx[i] = (int32_t)(B + i); idx[B + i] = (int32_t)(3 * B + i);
    }
    ls_rng r = ls_rng_make(seed, lra__stream(seed, "text/train"));
    ls_rng_shuffle(&r, idx, 2 * B);
    lra__split_alloc(&t->train, c->n_train, c->T, 1, t->pad_id);
    for (int64_t i = 0; i < c->n_train; i++) lra__text_put(&t->train, i, &d, idx[i]);
    /* test blocks 1 and 3, each shuffled, interleaved neg, pos, neg, pos ... */
    int32_t *neg = (int32_t *)lra__xmalloc((size_t)(B + 1) * sizeof(int32_t));
    int32_t *pos = (int32_t *)lra__xmalloc((size_t)(B + 1) * sizeof(int32_t));
    for (int64_t i = 0; i < B; i++) { neg[i] = (int32_t)i; pos[i] = (int32_t)(2 * B + i); }
    r = ls_rng_make(seed, lra__stream(seed, "text/test"));
    ls_rng_shuffle(&r, neg, B);
    ls_rng_shuffle(&r, pos, B);
    for (int64_t i = 0; i < 2 * B; i++) idx[i] = (i & 1) ? pos[i / 2] : neg[i / 2];
    int64_t v0 = c->val_is_test ? 0 : c->n_test; /* test first, then val after it */
    lra__split_alloc(&t->test, c->n_test, c->T, 1, t->pad_id);
    for (int64_t i = 0; i < c->n_test; i++) lra__text_put(&t->test, i, &d, idx[i]);
    if (c->val_is_test) {
        lra__split_copy(&t->val, &t->test);
    } else {
        lra__split_alloc(&t->val, c->n_val, c->T, 1, t->pad_id);
        for (int64_t i = 0; i < c->n_val; i++) lra__text_put(&t->val, i, &d, idx[v0 + i]);
    }
    free(idx); free(neg); free(pos);
    lra__docs_free(&d);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Retrieval: State of the Union passage pairs
   --------------------------------------------------------------------------------------------- */

typedef struct lra__speech {
    char file[128];
    char president[96];
    int year;
    int64_t n_pass;        /* passages of L bytes */
    int64_t first;         /* index of its first passage in the passage table */
} lra__speech;

static int lra__cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* removes " (Applause.)", "[Laughter]" and the like: optional space, [ or (, Applause/applause/
   Laughter/laughter, optional '.', ] or ) */
static size_t lra__strip_stage(unsigned char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (s[j] == ' ' && j + 1 < n) j++;
        if (s[j] == '[' || s[j] == '(') {
            size_t k = j + 1;
            const char *w = NULL;
            if (n - k >= 8 && (!memcmp(s + k, "Applause", 8) || !memcmp(s + k, "applause", 8)))
                w = "a";
            else if (n - k >= 8 && (!memcmp(s + k, "Laughter", 8) || !memcmp(s + k, "laughter", 8)))
                w = "l";
            if (w) {
                k += 8;
                if (k < n && s[k] == '.') k++;
                if (k < n && (s[k] == ']' || s[k] == ')')) { i = k + 1; continue; }
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

static int lra__sotu_pick_pass(ls_rng *r, const lra__speech *sp) {
    return (int)(sp->first + (int64_t)ls_rng_below(r, (uint32_t)sp->n_pass));
}

static int lra__retrieval_load(lra_task *t, const lra_config *c, uint64_t seed, const char *dir,
                               char *err) {
    char path[1024];
    snprintf(path, sizeof path, "%s/sotu", dir);
    DIR *dp = opendir(path);
    if (!dp)
        return lra__fail(err, "%s: cannot open directory (%s)" LRA__FETCH_HINT, path,
                         strerror(errno));
    char **names = NULL;
    int nn = 0, capn = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        const char *f = de->d_name;
        size_t l = strlen(f);
        if (l < 10 || l >= 120 || strcmp(f + l - 4, ".txt")) continue;
        if (!isdigit((unsigned char)f[0]) || !isdigit((unsigned char)f[1]) ||
            !isdigit((unsigned char)f[2]) || !isdigit((unsigned char)f[3]) || f[4] != '_')
            continue;
        if (nn == capn) {
            capn = capn ? 2 * capn : 256;
            names = (char **)lra__xrealloc(names, (size_t)capn * sizeof(char *));
        }
        names[nn] = (char *)lra__xmalloc(l + 1);
        memcpy(names[nn], f, l + 1);
        nn++;
    }
    closedir(dp);
    if (!nn)
        return lra__fail(err, "%s: no speeches (YYYY_first_last_p.txt) found" LRA__FETCH_HINT,
                         path);
    qsort(names, (size_t)nn, sizeof(char *), lra__cmp_str);
    int64_t L = c->T;
    lra__speech *sp = (lra__speech *)lra__xcalloc((size_t)nn * sizeof(lra__speech));
    unsigned char *pass = NULL; /* (n_passages, L) */
    int64_t npass = 0, cappass = 0;
    int rc = 0;
    for (int i = 0; i < nn && !rc; i++) {
        lra__speech *s = &sp[i];
        snprintf(s->file, sizeof s->file, "%s", names[i]);
        s->year = atoi(names[i]);
        /* president: between the first '_' and the last '_' */
        const char *a = strchr(names[i], '_') + 1, *z = strrchr(names[i], '_');
        size_t pl = z > a ? (size_t)(z - a) : 0;
        if (pl >= sizeof s->president) pl = sizeof s->president - 1;
        memcpy(s->president, a, pl);
        s->president[pl] = 0;
        char fp[1280];
        snprintf(fp, sizeof fp, "%s/%s", path, names[i]);
        unsigned char *b;
        size_t nb;
        if (lra__read_file(fp, &b, &nb, LRA__FETCH_HINT, err)) { rc = -1; break; }
        nb = lra__strip_stage(b, nb);
        s->first = npass;
        s->n_pass = (int64_t)nb / L;
        if (npass + s->n_pass > cappass) {
            cappass = 2 * (npass + s->n_pass) + 64;
            pass = (unsigned char *)lra__xrealloc(pass, (size_t)(cappass * L));
        }
        /* a speech shorter than L has none (pass may be NULL) */
        if (s->n_pass) memcpy(pass + npass * L, b, (size_t)(s->n_pass * L));
        npass += s->n_pass;
        free(b);
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    if (rc) { free(sp); free(pass); return -1; }
    /* per split: speeches of the split, then pairs */
    lra_split *out[3] = { &t->train, &t->val, &t->test };
    int64_t want[3] = { c->n_train, c->n_val, c->n_test };
    static const char *const tag[3] = { "train", "val", "test" };
    int *mine = (int *)lra__xmalloc((size_t)nn * sizeof(int));
    for (int k = 0; k < 3 && !rc; k++) {
        int m = 0, m2 = 0;
        for (int i = 0; i < nn; i++) {
            int y = sp[i].year, split = y % 5 == 0 ? 2 : y % 10 == 1 ? 1 : 0;
            if (split == k && sp[i].n_pass > 0) { mine[m++] = i; m2 += sp[i].n_pass >= 2; }
        }
        int two_pres = 0;
        for (int i = 1; i < m && !two_pres; i++)
            two_pres = strcmp(sp[mine[i]].president, sp[mine[0]].president) != 0;
        if (want[k] > 0 && (m2 == 0 || !two_pres)) {
            rc = lra__fail(err, "%s: the %s split (%s) has %d speeches with a passage of %lld "
                           "bytes, %d with two, and %s; cannot draw pairs", path, tag[k],
                           k == 2 ? "year%5==0" : k == 1 ? "year%10==1" : "other", m, (long long)L,
                           m2, two_pres ? "two presidents" : "fewer than two presidents");
            break;
        }
        lra_split *s = out[k];
        lra__split_alloc(s, want[k], L, 2, t->pad_id);
        char what[32];
        snprintf(what, sizeof what, "retrieval/%s", tag[k]);
        ls_rng r = ls_rng_make(seed, lra__stream(seed, what));
        for (int64_t e = 0; e < want[k]; e++) {
            int kind = (int)(e & 3), p1, p2, label;
            int64_t off2 = 0;   /* easy positives: the second window starts L/2 into passage p2 */
            if (kind == 0 || kind == 2) {
                /* positive: speech uniform among those with >= 2 passages */
                int j = (int)ls_rng_below(&r, (uint32_t)m2), a = -1;
                for (int i = 0; i < m; i++)
                    if (sp[mine[i]].n_pass >= 2 && j-- == 0) { a = mine[i]; break; }
                if (c->easy) {
                    /* a passage (not the speech's last) and the window half a passage on */
                    p1 = p2 = (int)(sp[a].first +
                                    (int64_t)ls_rng_below(&r, (uint32_t)(sp[a].n_pass - 1)));
                    off2 = L / 2;
                } else {
                    /* two different passages */
                    int64_t u = (int64_t)ls_rng_below(&r, (uint32_t)sp[a].n_pass);
                    int64_t v = (int64_t)ls_rng_below(&r, (uint32_t)(sp[a].n_pass - 1));
                    if (v >= u) v++;
                    p1 = (int)(sp[a].first + u); p2 = (int)(sp[a].first + v);
                }
                label = 1;
            } else {
                int a = mine[ls_rng_below(&r, (uint32_t)m)], bsp = -1;
                if (kind == 1) { /* random: a speech by another president */
                    do bsp = mine[ls_rng_below(&r, (uint32_t)m)];
                    while (!strcmp(sp[bsp].president, sp[a].president));
                } else {         /* hard: the nearest speech in year (ties broken at random) */
                    int best = 1 << 30, ties = 0;
                    for (int i = 0; i < m; i++) {
                        int b2 = mine[i];
                        if (b2 == a) continue;
                        int dy = abs(sp[b2].year - sp[a].year);
                        if (dy < best) { best = dy; ties = 0; }
                        if (dy == best && ls_rng_below(&r, (uint32_t)++ties) == 0) bsp = b2;
                    }
                }
                p1 = lra__sotu_pick_pass(&r, &sp[a]);
                p2 = lra__sotu_pick_pass(&r, &sp[bsp]);
                label = 0;
            }
            /* the two windows (bytes of `pass` from o1 and o2; a speech's passages are contiguous
               there, so an easy positive's second window runs into the next passage) in random
               order */
            int64_t o1 = (int64_t)p1 * L, o2 = (int64_t)p2 * L + off2;
            if (ls_rng_below(&r, 2)) { int64_t x = o1; o1 = o2; o2 = x; }
            int32_t *row = lra__row(s, e);
            for (int64_t i = 0; i < L; i++) { row[i] = pass[o1 + i]; row[L + i] = pass[o2 + i]; }
            s->len[2 * e] = s->len[2 * e + 1] = (int32_t)L;
            s->label[e] = label;
        }
        /* shuffle the examples (pattern pos, neg, pos, hard neg would otherwise be visible) */
        int32_t *perm = (int32_t *)lra__xmalloc((size_t)(want[k] + 1) * sizeof(int32_t));
        for (int64_t e = 0; e < want[k]; e++) perm[e] = (int32_t)e;
        ls_rng_shuffle(&r, perm, want[k]);
        lra_split tmp;
        lra__split_copy(&tmp, s);
        for (int64_t e = 0; e < want[k]; e++) {
            memcpy(lra__row(s, e), lra__row(&tmp, perm[e]), (size_t)(2 * L) * sizeof(int32_t));
            s->len[2 * e] = tmp.len[2 * perm[e]]; s->len[2 * e + 1] = tmp.len[2 * perm[e] + 1];
            s->label[e] = tmp.label[perm[e]];
        }
        lra__split_free(&tmp);
        free(perm);
    }
    free(mine); free(sp); free(pass);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
   the loader
   --------------------------------------------------------------------------------------------- */

LRA_API int lra_task_load_config(lra_task *t, int task, const lra_config *c, int profile,
                                 uint64_t seed, const char *data_dir, char *err) {
    double t0 = ls_now();
    memset(t, 0, sizeof *t);
    if (task < 0 || task >= LRA_N_TASKS)
        return lra__fail(err, "lra_task_load: unknown task %d", task);
    if (c->n_train < 0 || c->n_val < 0 || c->n_test < 0 || c->T < 1)
        return lra__fail(err, "%s: bad sizes %lld/%lld/%lld, T %lld", lra__names[task],
                         (long long)c->n_train, (long long)c->n_val, (long long)c->n_test,
                         (long long)c->T);
    if (c->easy != 0 && c->easy != 1)
        return lra__fail(err, "%s: easy = %d (0 = the LRA task, 1 = the easier variant)",
                         lra__names[task], c->easy);
    if (c->easy && task != LRA_PATHFINDER && task != LRA_RETRIEVAL)
        return lra__fail(err, "%s: no easier variant (easy = 1 is for pathfinder and retrieval "
                         "only)", lra__names[task]);
    lra_config cc = *c; /* the sizes actually used */
    if (cc.easy && task == LRA_RETRIEVAL) cc.T = LRA_RETRIEVAL_EASY_T;
    c = &cc;
    snprintf(t->name, sizeof t->name, "%s%s", lra__names[task], c->easy ? "-easy" : "");
    t->id = task; t->profile = profile; t->seed = seed;
    t->pair = 1;
    t->n_classes = 2;
    t->n_symbols = 256;
    t->mask_ratio = 0.15f;
    t->T = c->T;
    if (!data_dir || !*data_dir) data_dir = "data";
    switch (task) {
    case LRA_LISTOPS:
        t->n_symbols = LRA_LO_SYMBOLS; t->n_classes = 10; t->mask_ratio = 0.10f;
        break;
    case LRA_RETRIEVAL: t->pair = 2; t->rev = c->easy; break;
    case LRA_IMAGE: t->n_classes = 10; t->mask_ratio = 0.5f; t->height = t->width = 32; break;
    case LRA_PATHFINDER:
        t->mask_ratio = 0.5f;
        t->height = t->width = c->easy ? LRA_PF_EASY_SIZE : 32;
        t->T = (int64_t)t->height * t->width;
        t->rev = c->easy;   /* 1: the 16x16 variant (rev 0 was 32x32 with 6-paddle contours) */
        break;
    case LRA_PATHX: t->mask_ratio = 0.5f; t->height = t->width = 128; break;
    default: break;
    }
    if (t->height) t->T = (int64_t)t->height * t->width;
    t->pad_id = t->n_symbols; t->mask_id = t->n_symbols + 1; t->vocab = t->n_symbols + 2;
    int rc = 0;
    switch (task) {
    case LRA_LISTOPS: rc = lra__listops_make(t, c, seed, err); break;
    case LRA_TEXT: rc = lra__text_load(t, c, seed, data_dir, err); break;
    case LRA_RETRIEVAL: rc = lra__retrieval_load(t, c, seed, data_dir, err); break;
    case LRA_IMAGE: rc = lra__image_load(t, c, data_dir, err); break;
    default: rc = lra__pathfinder_make(t, c, seed, err); break;
    }
    if (rc) { lra_task_free(t); return -1; }
    t->seconds = ls_now() - t0;
    return 0;
}

LRA_API int lra_task_parse(const char *name, int *task, int *easy) {
    int id = lra_task_id(name), e = 0;
    if (id < 0 && name) {
        if (!strcmp(name, "pathfinder-easy")) { id = LRA_PATHFINDER; e = 1; }
        else if (!strcmp(name, "retrieval-easy")) { id = LRA_RETRIEVAL; e = 1; }
    }
    if (task) *task = id;
    if (easy) *easy = id < 0 ? 0 : e;
    return id < 0 ? -1 : 0;
}

LRA_API int lra_task_load(lra_task *t, const char *name, int profile, uint64_t seed,
                          const char *data_dir, char *err) {
    int id, easy;
    memset(t, 0, sizeof *t);
    if (lra_task_parse(name, &id, &easy))
        return lra__fail(err, "unknown task \"%s\" (listops, text, retrieval, image, pathfinder, "
                         "pathx, pathfinder-easy, retrieval-easy)", name ? name : "");
    lra_config c = lra_default_config(id, profile);
    c.easy = easy;
    return lra_task_load_config(t, id, &c, profile, seed, data_dir, err);
}

#ifdef __cplusplus
}
#endif
#endif /* LRA_DATA_IMPLEMENTATION */
