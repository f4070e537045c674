/* experiments/synthlang.h - SynthLang: a seeded synthetic "language" of letters, spaces and
   sentence marks, for the causal-LM experiments of the report. MIT licence, as longseq.h.

   QUICK START (header-only, every function static; include after longseq.h)
       sl_lang L; sl_init(&L, 1);                       lexicon + successor table from seed 1
       sl_set tr; sl_set_make(&tr, &L, 7, 1024, 64, 1); 1024 training sequences of 64 ids,
                                                         copy spans
       ... ls_train(m, &tc, &io, &tr.d, ...) with LS_OBJ_CLM, head LS_HEAD_LM, vocab SL_VOCAB ...
       sl_set_free(&tr); sl_free(&L);

   THE LANGUAGE
     Ids: 0..25 = 'a'..'z', 26 = ' ', 27 = '.', 28 = '\n'. Text uses ids 0..28 only; 29..31 are free
     for experiments (SL_BOS, SL_MARK, one spare), so an embedding table of SL_VOCAB = 32 rows
     covers all.

     Lexicon: SL_NWORDS = 1000 distinct words, each of 2..8 letters (length and letters uniform),
     drawn from the language seed. Word i has global rank i+1 and global Zipf probability
     ∝ 1/(i+1)^1.0, so "word 0" is the most frequent word.
     Successors: each word has SL_K = 8 distinct successors, drawn from the global Zipf
     distribution. The k-th successor (k = 1..8) is chosen with weight ∝ 1/k^1.2.
     Text is a random walk over words: the next word is one of the current word's successors with
     probability 0.9 and a global Zipf draw otherwise (the walk continues across sentence ends).
     Byte layout: words inside a sentence are separated by one ' '; after each word the sentence
     ends with probability 1/12 (so sentence lengths are Geometric with mean 12 words), and then the
     word is followed by ".\n" instead of ' ' (no space before or after):
     "ab cde fg.\nhij kl.\nmn ...".
     A sequence is a window cut from such a stream: the first 0..15 ids (uniform) of the stream are
     dropped and the stream is cut after n ids, so a sequence may begin and end inside a word.

   WHY IT HAS LOCAL STRUCTURE
     Almost everything a model can predict is close by. The text is a first-order Markov chain over
     words: given the previous whole word, nothing earlier in the sequence says anything more about
     the next one (copy spans aside). Within a word, the first letters nearly pin down the rest
     (1000 random words over 26 letters: after two letters about 1.5 candidates are left on
     average). Between words, the previous word nearly pins down the next (8 successors, the first
     carrying 43% of the weight). So a context of about two words reaches the achievable bpc of
     plain text, which makes "train short, test long" a fair test: longer contexts carry no extra
     information, and a position scheme that extrapolates should simply not get worse.

   WHY COPY SPANS
     Pure local text gives no reason to look far back, so a model would never learn to retrieve.
     sl_copy_span overwrites, with probability 0.5 per training sequence, a span of l in [8,24] ids
     with the ids D positions earlier (D in [l, ltrain - l]). Such a span is unpredictable from the
     local statistics but easy for a model that finds the earlier occurrence of its first ids and
     copies (an induction head). The "repeat" eval set then asks for the same copying from a
     distance beyond every trained one: one plain segment of `period` ids tiled to n (period 1.5
     L_train in length_extrapolation).

   DETERMINISM AND STREAMS
     All randomness is ls_rng. sl_init uses streams (seed, SL__STREAM_LEX) and
     (seed, SL__STREAM_SUCC). Sequence i of a set uses stream (seed, 4i) for its text and
     (seed, 4i + 1) for its copy span, so a set with copy spans is the set without them plus the
     spans, and sequence i of a repeat set tiles the first `period` ids of sequence i of the plain
     set with the same seed. Drawing a word is a binary search in a precomputed cumulative table. */
#ifndef SYNTHLANG_H
#define SYNTHLANG_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

enum { SL_VOCAB = 32, SL_SPACE = 26, SL_DOT = 27, SL_NL = 28, SL_BOS = 29, SL_MARK = 30 };
enum { SL_NWORDS = 1000, SL_MINLEN = 2, SL_MAXLEN = 8, SL_K = 8, SL_SENT_MEAN = 12,
       SL_MAX_SKIP = 16 };
#define SL_ZIPF_S 1.0     /* global word frequency ∝ 1/rank^s */
#define SL_SUCC_S 1.2     /* k-th successor weight ∝ 1/k^s */
#define SL_P_SUCC 0.9     /* probability that the next word is a successor */
enum { SL_COPY_MIN = 8, SL_COPY_MAX = 24 };
#define SL_P_COPY 0.5     /* probability of one copy span per training sequence */

/* every function is static; the attribute keeps unused ones quiet under -Wall -Werror */
#if defined(__GNUC__) || defined(__clang__)
#define SL_FN static __attribute__((unused))
#else
#define SL_FN static
#endif

typedef struct sl_lang {
    uint64_t seed;
    int8_t wlen[SL_NWORDS];                /* letters of word i */
    int8_t wchr[SL_NWORDS][SL_MAXLEN];     /* ids 0..25 */
    int32_t succ[SL_NWORDS][SL_K];         /* successor k of word i (distinct word indices) */
    double zipf_cdf[SL_NWORDS];            /* cumulative 1/rank^SL_ZIPF_S, unnormalised */
    double succ_cdf[SL_K];                 /* cumulative 1/k^SL_SUCC_S, unnormalised */
} sl_lang;

typedef struct sl_set { ls_dataset d; int32_t *tok, *len, *lab; } sl_set;

/* ---------------------------------------------------------------------------------------------
   internals
   --------------------------------------------------------------------------------------------- */

enum { SL__STREAM_LEX = 0x5359, SL__STREAM_SUCC = 0x5360 };

static void sl__die(const char *what, const char *file, int line) {
    fprintf(stderr, "%s:%d: synthlang: %s\n", file, line, what);
    abort();
}
#define SL__CHECK(x, what) ((x) ? (void)0 : sl__die(what, __FILE__, __LINE__))

static void *sl__xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    SL__CHECK(p != NULL, "out of memory");
    return p;
}

/* index of the first cdf[i] > u * cdf[n-1]: a draw from the weights behind the cumulative table */
static int32_t sl__draw(const double *cdf, int32_t n, ls_rng *r) {
    double u = ls_rng_double(r) * cdf[n - 1];
    int32_t lo = 0, hi = n - 1;        /* hi, not n: rounding of u can reach cdf[n-1] itself */
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo;
}

static void sl__cumulative(double *cdf, int32_t n, double s) {
    double acc = 0;
    for (int32_t i = 0; i < n; i++) { acc += 1.0 / pow((double)(i + 1), s); cdf[i] = acc; }
}

static int sl__same_word(const sl_lang *L, int32_t a, int32_t b) {
    return L->wlen[a] == L->wlen[b] && !memcmp(L->wchr[a], L->wchr[b], (size_t)L->wlen[a]);
}

/* word i: uniform length and letters, redrawn until it differs from words 0..i-1 */
static void sl__draw_word(sl_lang *L, ls_rng *r, int32_t i) {
    for (;;) {
        L->wlen[i] = (int8_t)(SL_MINLEN + (int)ls_rng_below(r, SL_MAXLEN - SL_MINLEN + 1));
        for (int k = 0; k < L->wlen[i]; k++) L->wchr[i][k] = (int8_t)ls_rng_below(r, 26);
        int dup = 0;
        for (int32_t j = 0; j < i && !dup; j++) dup = sl__same_word(L, i, j);
        if (!dup) return;
    }
}

/* successors of word i: SL_K distinct global Zipf draws, in draw order (order = successor rank) */
static void sl__draw_successors(sl_lang *L, ls_rng *r, int32_t i) {
    for (int k = 0; k < SL_K; k++) {
        int dup;
        do {
            L->succ[i][k] = sl__draw(L->zipf_cdf, SL_NWORDS, r);
            dup = 0;
            for (int j = 0; j < k; j++) dup |= L->succ[i][j] == L->succ[i][k];
        } while (dup);
    }
}

/* writes the stream into out[0..n) after dropping `skip` ids */
typedef struct sl__sink { int32_t *out; int64_t n, pos, skip; } sl__sink;

static void sl__put(sl__sink *s, int32_t id) {
    if (s->skip > 0) s->skip--;
    else if (s->pos < s->n) s->out[s->pos++] = id;
}

static int32_t sl__next_word(const sl_lang *L, ls_rng *r, int32_t w) {
    if (ls_rng_double(r) < SL_P_SUCC) return L->succ[w][sl__draw(L->succ_cdf, SL_K, r)];
    return sl__draw(L->zipf_cdf, SL_NWORDS, r);
}

static void sl__alloc_set(sl_set *s, int64_t nseq, int64_t n) {
    SL__CHECK(nseq > 0 && n > 0 && n <= INT32_MAX, "set needs nseq > 0 and 0 < n <= INT32_MAX");
    s->tok = (int32_t *)sl__xmalloc((size_t)nseq * (size_t)n * sizeof(int32_t));
    s->len = (int32_t *)sl__xmalloc((size_t)nseq * sizeof(int32_t));
    s->lab = (int32_t *)sl__xmalloc((size_t)nseq * sizeof(int32_t));
    for (int64_t i = 0; i < nseq; i++) { s->len[i] = (int32_t)n; s->lab[i] = 0; }
    memset(&s->d, 0, sizeof s->d);
    s->d.n = nseq; s->d.T = n; s->d.pair = 0;
    s->d.tokens = s->tok; s->d.len = s->len; s->d.label = s->lab;
}

/* ---------------------------------------------------------------------------------------------
   API
   --------------------------------------------------------------------------------------------- */

/* the lexicon and successor table, deterministic from seed */
SL_FN void sl_init(sl_lang *L, uint64_t seed) {
    memset(L, 0, sizeof *L);
    L->seed = seed;
    sl__cumulative(L->zipf_cdf, SL_NWORDS, SL_ZIPF_S);
    sl__cumulative(L->succ_cdf, SL_K, SL_SUCC_S);
    ls_rng r = ls_rng_make(seed, SL__STREAM_LEX);
    for (int32_t i = 0; i < SL_NWORDS; i++) sl__draw_word(L, &r, i);
    r = ls_rng_make(seed, SL__STREAM_SUCC);
    for (int32_t i = 0; i < SL_NWORDS; i++) sl__draw_successors(L, &r, i);
}

/* the tables live inside the struct; this only clears it (kept for the init/free pairing) */
SL_FN void sl_free(sl_lang *L) { memset(L, 0, sizeof *L); }

/* n ids of fresh text: a window of the word walk described at the top, drawn from r */
SL_FN void sl_text(const sl_lang *L, ls_rng *r, int32_t *out, int64_t n) {
    /* fields by name, not a C99 designated initialiser: this header also builds as C++11 */
    sl__sink s;
    s.out = out; s.n = n; s.pos = 0; s.skip = (int64_t)ls_rng_below(r, SL_MAX_SKIP);
    int32_t w = sl__draw(L->zipf_cdf, SL_NWORDS, r);
    while (s.pos < n) {
        for (int k = 0; k < L->wlen[w]; k++) sl__put(&s, L->wchr[w][k]);
        if (ls_rng_below(r, SL_SENT_MEAN) == 0) { sl__put(&s, SL_DOT); sl__put(&s, SL_NL); }
        else sl__put(&s, SL_SPACE);
        w = sl__next_word(L, r, w);
    }
}

/* with probability 0.5 one copy span: x[t..t+l) = x[t-D..t-D+l), l in [8,24], D in [l, ltrain - l],
   t uniform where the source fits (t >= D, t + l <= n). D >= l, so source and target never overlap.
   When n < ltrain the distance is also capped by n - l; sequences shorter than 16 get no span. */
SL_FN void sl_copy_span(ls_rng *r, int32_t *x, int64_t n, int64_t ltrain) {
    if (ls_rng_double(r) >= SL_P_COPY) return;
    int64_t room = ltrain < n ? ltrain : n;              /* D + l <= room */
    int64_t lmax = room / 2 < (int64_t)SL_COPY_MAX ? room / 2 : (int64_t)SL_COPY_MAX;
    if (lmax < SL_COPY_MIN) return;
    int64_t l = SL_COPY_MIN + (int64_t)ls_rng_below(r, (uint32_t)(lmax - SL_COPY_MIN + 1));
    int64_t D = l + (int64_t)ls_rng_below(r, (uint32_t)(room - 2 * l + 1));
    int64_t t = D + (int64_t)ls_rng_below(r, (uint32_t)(n - l - D + 1));
    memcpy(x + t, x + t - D, (size_t)l * sizeof(int32_t));
}

/* nseq sequences of n ids; copy != 0 adds copy spans with ltrain = n (training sets are made at
   L_train) */
SL_FN void sl_set_make(sl_set *s, const sl_lang *L, uint64_t seed, int64_t nseq, int64_t n,
                       int copy) {
    sl__alloc_set(s, nseq, n);
    for (int64_t i = 0; i < nseq; i++) {
        int32_t *x = s->tok + (size_t)i * (size_t)n;
        ls_rng r = ls_rng_make(seed, 4 * (uint64_t)i);
        sl_text(L, &r, x, n);
        if (copy) { ls_rng c = ls_rng_make(seed, 4 * (uint64_t)i + 1); sl_copy_span(&c, x, n, n); }
    }
}

/* sequence i = the first `period` ids of plain sequence i (same seed) tiled to n:
   x[j] = x[j - period] */
SL_FN void sl_set_repeat(sl_set *s, const sl_lang *L, uint64_t seed, int64_t nseq, int64_t n,
                         int64_t period) {
    SL__CHECK(period > 0, "sl_set_repeat needs period > 0");
    sl__alloc_set(s, nseq, n);
    for (int64_t i = 0; i < nseq; i++) {
        int32_t *x = s->tok + (size_t)i * (size_t)n;
        ls_rng r = ls_rng_make(seed, 4 * (uint64_t)i);
        sl_text(L, &r, x, period < n ? period : n);
        for (int64_t j = period; j < n; j++) x[j] = x[j - period];
    }
}

SL_FN void sl_set_free(sl_set *s) {
    free(s->tok); free(s->len); free(s->lab);
    memset(s, 0, sizeof *s);
}

/* entropy in bits per id of the ids of d (valid prefixes only): -sum p log2 p over ids
   0..SL_VOCAB-1 */
SL_FN double sl_unigram_bits(const ls_dataset *d) {
    double count[SL_VOCAB] = {0}, total = 0;
    int64_t rows = d->n * (d->pair ? 2 : 1);
    for (int64_t e = 0; e < rows; e++) {
        int64_t len = d->len ? d->len[e] : d->T;
        for (int64_t j = 0; j < len; j++) {
            int32_t id = d->tokens[(size_t)e * (size_t)d->T + (size_t)j];
            SL__CHECK(id >= 0 && id < SL_VOCAB, "sl_unigram_bits: id outside 0..SL_VOCAB-1");
            count[id]++;
            total++;
        }
    }
    double h = 0;
    for (int v = 0; v < SL_VOCAB; v++)
        if (count[v] > 0) h -= count[v] / total * log2(count[v] / total);
    return h;
}

#endif /* SYNTHLANG_H */
