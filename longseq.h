/* longseq.h - v0.1.0 - tape autodiff and long-sequence models in one C header. MIT licence at the end.

   QUICK START
     Do this in *one* C or C++ file before the include:
         #define LONGSEQ_IMPLEMENTATION
         #include "longseq.h"
     Every other file includes "longseq.h" without the define. Link with -lm; add -fopenmp for threads.

   TABLE OF CONTENTS
     1. Options                      6. Implementation (guarded by LONGSEQ_IMPLEMENTATION only)
     2. Concepts and conventions        utils and errors, RNG, arena, tensors and the tape,
     3. Example                         matmul, ops (each forward beside its backward),
     4. How to add an op                parameters, AdamW and schedules, checkpoints,
     5. API declarations                gradient check, CLI, progress and logs
                                     7. Licence

   1. OPTIONS (define before the include that has LONGSEQ_IMPLEMENTATION)
     LS_ASSERT(x)                  internal invariant check; default prints file:line and aborts
     LS_MALLOC(n) LS_REALLOC(p,n) LS_FREE(p)   define all three or none
     LONGSEQ_STATIC                make every function static (private to one translation unit)
     OpenMP is used when the compiler defines _OPENMP; the API and results are the same without it.

   2. CONCEPTS AND CONVENTIONS
     Dimensions: B batch, T time (sequence length), C channels, H heads, N state size, V vocabulary,
     L layers. Tensors are float32, row-major, contiguous, 1 to 4 dimensions; shapes are written
     (B, T, C) in comments.
     ls_ctx     A define-by-run context. Every op called with it computes its result at once and,
                when any input needs a gradient, appends a record to the tape. Records, activations,
                gradients and saved buffers live in the context's arena, which grows in chained blocks
                and is emptied by ls_ctx_reset() once per step (no allocation in the steady state).
     ls_params  All parameters of a model in one contiguous buffer, with one gradient buffer beside
                it; each parameter is a named view (ls_param). AdamW, clipping and checkpoints are
                flat loops over these buffers.
     Errors     A bad shape or argument makes an op return NULL and sets a message naming the op and
                the shapes (ls_ctx_error). Ops given NULL return NULL, so the first error survives to
                the end of the step: check the loss once. Library bugs trip LS_ASSERT. File functions
                return 0 on success or -1 with a message naming the file in the caller's err buffer.
     Gradients  ls_backward() walks the tape in reverse. Backward kernels *add* into gradients;
                ls_params_zero_grad() clears parameter gradients once per step, so calling backward
                on several micro-batches accumulates.
     Threads    Kernels split the indices they write across OpenMP threads; reductions run in a fixed
                order over fixed-size chunks, so results are bit-identical for any thread count.
     Randomness Explicit state (ls_rng, xoshiro256**), seeded by (seed, stream); no rand(), no hidden
                global state. Dropout masks are a counter-based hash of (seed, call, index).

   3. EXAMPLE: a two-layer MLP fitted by AdamW
         ls_params P; ls_params_init(&P);
         ls_tensor *w1 = ls_param(&P, "w1", ls_shape2(2, 64), 0), *b1 = ls_param(&P, "b1", ls_shape1(64), 0);
         ls_tensor *w2 = ls_param(&P, "w2", ls_shape2(64, 2), 0), *b2 = ls_param(&P, "b2", ls_shape1(2), 0);
         ls_rng rng = ls_rng_make(seed, LS_STREAM_INIT);
         ls_init_normal(w1, &rng, 0.5f); ls_init_normal(w2, &rng, 0.1f);
         ls_adamw opt; ls_adamw_init(&opt, &P, 1e-2f, 0.0f);
         ls_ctx ctx; ls_ctx_init(&ctx, seed);
         for (int step = 0; step < 500; step++) {
             ls_tensor *x = ls_tensor_from(&ctx, ls_shape2(n, 2), xs);            // (n, 2)
             ls_tensor *h = ls_gelu(&ctx, ls_linear(&ctx, x, w1, b1));            // (n, 64)
             ls_tensor *loss = ls_cross_entropy(&ctx, ls_linear(&ctx, h, w2, b2), labels, -1);
             if (ls_backward(&ctx, loss)) { fprintf(stderr, "%s\n", ls_ctx_error(&ctx)); exit(1); }
             ls_adamw_step(&opt, &P, 1.0f);
             ls_params_zero_grad(&P); ls_ctx_reset(&ctx);
         }

   4. HOW TO ADD AN OP
     a. Add one line X(NAME, name) to LS_OP_LIST below. That line generates the enum LS_OP_NAME,
        the name string, and the dispatch entries ls__name_forward / ls__name_backward.
     b. Write `static void ls__name_forward(ls_ctx *ctx, ls_node *n)` and, directly below it,
        `static void ls__name_backward(ls_ctx *ctx, ls_node *n)`. A missing backward is a compile
        error, not a run-time surprise. Backward adds into n->in[i]->g when that pointer is non-NULL.
     c. Write the public constructor `ls_tensor *ls_name(ls_ctx *ctx, ...)`: check shapes (ls__fail
        names the op and the shapes), make the output (ls__out), record (ls__record), run forward.
     d. Add a case to tests/test_grad.c. The suite fails while any op in the table has no case.
*/
#ifndef LONGSEQ_H
#define LONGSEQ_H

/* The implementation uses POSIX clock_gettime, fsync and isatty: ask for them before the first
   system header (include longseq.h first in the implementation file, or define this yourself). */
#if defined(LONGSEQ_IMPLEMENTATION) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && \
    (defined(__unix__) || defined(__APPLE__))
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef LS_API
#ifdef LONGSEQ_STATIC
#define LS_API static
#else
#define LS_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LS_VERSION "0.1.0"
#define LS_MAX_DIMS 4
#define LS_MAX_INPUTS 6
#define LS_ERRLEN 512

/* ---------------------------------------------------------------------------------------------
   5. API DECLARATIONS
   --------------------------------------------------------------------------------------------- */

/* --- utils --- */
LS_API double ls_now(void);                 /* monotonic seconds */
LS_API void ls_set_threads(int n);          /* OpenMP threads for every kernel (no-op without OpenMP) */
LS_API int ls_get_threads(void);
LS_API uint32_t ls_crc32(uint32_t crc, const void *data, size_t n); /* start with crc = 0 */

/* --- random numbers: xoshiro256** with explicit state, seeded through splitmix64 --- */
typedef struct ls_rng { uint64_t s[4]; } ls_rng;
enum { LS_STREAM_INIT = 1, LS_STREAM_DATA = 2, LS_STREAM_DROPOUT = 3, LS_STREAM_MASK = 4,
       LS_STREAM_SHUFFLE = 5, LS_STREAM_EVAL = 6, LS_STREAM_USER = 1000 };
LS_API ls_rng ls_rng_make(uint64_t seed, uint64_t stream); /* independent stream per (seed, stream) */
LS_API uint64_t ls_rng_u64(ls_rng *r);
LS_API uint32_t ls_rng_below(ls_rng *r, uint32_t n);      /* uniform in [0, n), unbiased; n > 0 */
LS_API double ls_rng_double(ls_rng *r);                   /* uniform in [0, 1), 53 bits */
LS_API float ls_rng_float(ls_rng *r);                     /* uniform in [0, 1), 24 bits */
LS_API float ls_rng_normal(ls_rng *r);                    /* standard normal (Box-Muller) */
LS_API void ls_rng_shuffle(ls_rng *r, int32_t *a, int64_t n); /* Fisher-Yates */
LS_API uint64_t ls_hash64(uint64_t x);                    /* splitmix64 finaliser: counter -> bits */
LS_API uint64_t ls_str_hash(const char *s);               /* FNV-1a, to name streams by strings */

/* --- arena: chained blocks, 64-byte aligned allocations, freed all at once --- */
typedef struct ls__block ls__block;
typedef struct ls_arena {
    ls__block *head, *cur;   /* block list; cur is the block being filled */
    size_t used;             /* bytes handed out since the last reset */
    size_t high;             /* high-water mark of used over the arena's life */
    size_t total;            /* bytes held in blocks */
} ls_arena;
LS_API void *ls_arena_alloc(ls_arena *a, size_t bytes);  /* uninitialised; never NULL (asserts) */
LS_API void ls_arena_reset(ls_arena *a);                  /* keep the memory, forget the contents */
LS_API void ls_arena_free(ls_arena *a);

/* --- tensors --- */
typedef struct ls_shape { int nd; int64_t d[LS_MAX_DIMS]; } ls_shape;
LS_API ls_shape ls_shape1(int64_t d0);
LS_API ls_shape ls_shape2(int64_t d0, int64_t d1);
LS_API ls_shape ls_shape3(int64_t d0, int64_t d1, int64_t d2);
LS_API ls_shape ls_shape4(int64_t d0, int64_t d1, int64_t d2, int64_t d3);
LS_API int64_t ls_shape_numel(ls_shape s);

enum { LS_NEEDS_GRAD = 1, LS_PARAM = 2, LS_HEAP = 4 };
typedef struct ls_tensor {
    float *x;             /* n values, row-major */
    float *g;             /* gradient, same shape; NULL until a gradient flows here */
    int64_t n;            /* element count */
    int nd;               /* number of dimensions, 1..4 */
    int64_t d[LS_MAX_DIMS];
    int flags;            /* LS_NEEDS_GRAD | LS_PARAM | LS_HEAP */
    int group;            /* optimiser group of a parameter */
    const char *name;     /* parameters only */
} ls_tensor;

/* heap tensor with its own gradient buffer (zeroed); free with ls_tensor_free */
LS_API ls_tensor *ls_tensor_alloc(ls_shape s, int needs_grad);
LS_API void ls_tensor_free(ls_tensor *t);
LS_API ls_shape ls_tensor_shape(const ls_tensor *t);
LS_API int ls_shape_str(ls_shape s, char *buf, size_t cap); /* "(4, 8)" */

/* --- context and tape --- */
typedef struct ls_node ls_node;
typedef struct ls_ctx {
    ls_arena arena;       /* activations, gradients, tape records of the current step */
    ls_node *last;        /* newest tape record; records link backwards through prev */
    int64_t n_nodes;
    int training;         /* 1: dropout active (default); 0: evaluation */
    int no_grad;          /* 1: record nothing (inference) */
    uint64_t seed;        /* dropout key */
    uint64_t calls;       /* counts random ops, so each draws a fresh mask */
    int failed;
    char err[LS_ERRLEN];
} ls_ctx;
LS_API void ls_ctx_init(ls_ctx *ctx, uint64_t seed);
LS_API void ls_ctx_reset(ls_ctx *ctx);     /* forget tape and activations; keep error state clear */
LS_API void ls_ctx_free(ls_ctx *ctx);
LS_API const char *ls_ctx_error(const ls_ctx *ctx); /* "" when no error */
/* arena tensors (freed by ls_ctx_reset): uninitialised, zeroed, or copied from data */
LS_API ls_tensor *ls_tensor_new(ls_ctx *ctx, ls_shape s);
LS_API ls_tensor *ls_tensor_zeros(ls_ctx *ctx, ls_shape s);
LS_API ls_tensor *ls_tensor_from(ls_ctx *ctx, ls_shape s, const float *data);
/* reverse pass from a scalar loss (d loss = 1); 0 on success, -1 with ls_ctx_error set */
LS_API int ls_backward(ls_ctx *ctx, ls_tensor *loss);
/* reverse pass from any output with a given output gradient (n floats) */
LS_API int ls_backward_from(ls_ctx *ctx, ls_tensor *out, const float *dout);

/* --- ops: the table. One line per op; see "How to add an op" above. --- */
#define LS_OP_LIST(X) \
    X(MATMUL, matmul)             /* C = op(A) op(B), batched, A/B transposes */               \
    X(LINEAR, linear)             /* y = x W + b over the last dim */                          \
    X(ADD, add)                   /* a + b, numpy broadcasting */                              \
    X(SUB, sub)                   /* a - b, numpy broadcasting */                              \
    X(MUL, mul)                   /* a * b, numpy broadcasting */                              \
    X(SCALE, scale)               /* s * a */                                                  \
    X(EMBEDDING, embedding)       /* rows of a table picked by integer ids */                  \
    X(GELU, gelu)                 /* x Phi(x), exact (erf) form */                             \
    X(SILU, silu)                 /* x sigmoid(x) */                                           \
    X(SOFTMAX, softmax)           /* over the last dim */                                      \
    X(LOG_SOFTMAX, log_softmax)   /* over the last dim */                                      \
    X(CROSS_ENTROPY, cross_entropy) /* mean over rows of -log softmax(logits)[target] */       \
    X(L1_LOSS, l1_loss)           /* mean |pred - target| over masked elements */              \
    X(MSE_LOSS, mse_loss)         /* mean (pred - target)^2 over masked elements */            \
    X(LAYERNORM, layernorm)       /* (x - mean) / sqrt(var + eps) * gamma + beta */           \
    X(RMSNORM, rmsnorm)           /* x / sqrt(mean(x^2) + eps) * gamma */                     \
    X(DROPOUT, dropout)           /* x * keep / (1 - p) while training */                     \
    X(RESHAPE, reshape)           /* same data, new shape */                                  \
    X(TRANSPOSE, transpose)       /* swap two dims */                                         \
    X(CONCAT, concat)             /* join two tensors along a dim */                          \
    X(SLICE, slice)               /* a contiguous range along a dim */                        \
    X(POOL, pool)                 /* (B, T, C) -> (B, C): masked mean, max or last */         \
    X(SUM, sum)                   /* sum of all elements -> (1) */                            \
    X(SIGMOID, sigmoid)           /* 1 / (1 + e^-x) */                                        \
    X(ROPE, rope)                 /* rotary position: rotate channel pairs by pos(t) theta */ \
    X(L2NORM, l2norm)             /* x / ||x|| over groups of D channels (KeyNorm) */          \
    X(LINEAR_ATTENTION, linear_attention) /* phi(q) (sum phi(k) v^T) / phi(q).sum phi(k) */

enum {
#define LS__X(E, f) LS_OP_##E,
    LS_OP_LIST(LS__X)
#undef LS__X
    LS_OP_COUNT
};
LS_API const char *ls_op_name(int op);

enum { LS_POOL_MEAN = 0, LS_POOL_MAX = 1, LS_POOL_LAST = 2 };

/* matmul: a (..., M, K) or, with ta, (..., K, M); b (K, N) shared or (..., K, N) batched like a
   (with tb, (N, K) / (..., N, K)). Result (..., M, N). */
LS_API ls_tensor *ls_matmul(ls_ctx *ctx, ls_tensor *a, ls_tensor *b, int ta, int tb);
/* x (..., Cin), w (Cin, Cout), b (Cout) or NULL -> (..., Cout) */
LS_API ls_tensor *ls_linear(ls_ctx *ctx, ls_tensor *x, ls_tensor *w, ls_tensor *b);
LS_API ls_tensor *ls_add(ls_ctx *ctx, ls_tensor *a, ls_tensor *b);
LS_API ls_tensor *ls_sub(ls_ctx *ctx, ls_tensor *a, ls_tensor *b);
LS_API ls_tensor *ls_mul(ls_ctx *ctx, ls_tensor *a, ls_tensor *b);
LS_API ls_tensor *ls_scale(ls_ctx *ctx, ls_tensor *a, float s);
/* table (V, C), ids: ls_shape_numel(ids_shape) ints in [0, V) -> (ids_shape..., C) */
LS_API ls_tensor *ls_embedding(ls_ctx *ctx, ls_tensor *table, const int32_t *ids, ls_shape ids_shape);
LS_API ls_tensor *ls_gelu(ls_ctx *ctx, ls_tensor *x);
LS_API ls_tensor *ls_silu(ls_ctx *ctx, ls_tensor *x);
LS_API ls_tensor *ls_softmax(ls_ctx *ctx, ls_tensor *x);
LS_API ls_tensor *ls_log_softmax(ls_ctx *ctx, ls_tensor *x);
/* logits (..., V); targets: one int per row, in [0, V) or == ignore_index. Mean over kept rows. */
LS_API ls_tensor *ls_cross_entropy(ls_ctx *ctx, ls_tensor *logits, const int32_t *targets, int ignore_index);
/* pred and target the same shape (target needs no gradient); mask NULL or the same shape, an element
   counts where mask != 0. Mean over counted elements (0 when none). */
LS_API ls_tensor *ls_l1_loss(ls_ctx *ctx, ls_tensor *pred, ls_tensor *target, ls_tensor *mask);
LS_API ls_tensor *ls_mse_loss(ls_ctx *ctx, ls_tensor *pred, ls_tensor *target, ls_tensor *mask);
/* normalise over the last dim C; gamma, beta (C); beta may be NULL */
LS_API ls_tensor *ls_layernorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *gamma, ls_tensor *beta, float eps);
LS_API ls_tensor *ls_rmsnorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *gamma, float eps);
LS_API ls_tensor *ls_dropout(ls_ctx *ctx, ls_tensor *x, float p);  /* identity unless ctx->training */
LS_API ls_tensor *ls_reshape(ls_ctx *ctx, ls_tensor *x, ls_shape s); /* one dim may be -1 */
LS_API ls_tensor *ls_transpose(ls_ctx *ctx, ls_tensor *x, int d0, int d1);
LS_API ls_tensor *ls_concat(ls_ctx *ctx, ls_tensor *a, ls_tensor *b, int dim);
LS_API ls_tensor *ls_slice(ls_ctx *ctx, ls_tensor *x, int dim, int64_t start, int64_t len);
/* x (B, T, C); lengths: B valid prefix lengths in [1, T], or NULL for all T -> (B, C) */
LS_API ls_tensor *ls_pool(ls_ctx *ctx, ls_tensor *x, const int32_t *lengths, int mode);
LS_API ls_tensor *ls_sum(ls_ctx *ctx, ls_tensor *x);
LS_API ls_tensor *ls_sigmoid(ls_ctx *ctx, ls_tensor *x);
/* x (B, T, H*D): in every head, channel pair (2i, 2i+1) is rotated by the angle pos(t) theta[i],
   pos(t) = pos_scale * t + pos_offset. theta: D/2 frequencies (ls_rope_theta). */
LS_API ls_tensor *ls_rope(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float pos_scale, float pos_offset);
enum { LS_ROPE_PLAIN = 0, LS_ROPE_NTK = 1, LS_ROPE_YARN = 2 };
/* theta[i] = base^(-2i/D); NTK: base * s^(D/(D-2)); YaRN: theta[i] * (g + (1-g)/s) with the ramp g of
   r_i = L_train theta_i / 2pi between alpha and beta (related-findings.md, section 1). s = L_test / L_train. */
LS_API void ls_rope_theta(float *theta, int64_t D, float base, int kind, float s, int64_t L_train, float alpha, float beta);
/* x (..., G*D) -> every group of D channels divided by its L2 norm (sqrt(sum x^2 + eps)) */
LS_API ls_tensor *ls_l2norm(ls_ctx *ctx, ls_tensor *x, int64_t D, float eps);
/* q, k, v (B, T, H*D); phi(x) = elu(x) + 1 > 0 (Katharopoulos et al. 2020). o_i = phi(q_i)^T S_i / (phi(q_i) . z_i)
   with S_i = sum_j phi(k_j) v_j^T, z_i = sum_j phi(k_j), over j <= i when causal, all j otherwise. O(T D^2). */
LS_API ls_tensor *ls_linear_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, int64_t H, int causal);

/* --- parameters: one contiguous value buffer and one gradient buffer, named views --- */
#define LS_MAX_GROUPS 8
typedef struct ls_params {
    float *x, *g;         /* n values and n gradients; views are re-pointed when these grow */
    int64_t n, cap;
    ls_tensor **t;        /* registered parameters, in creation order (stable pointers) */
    int nt, cap_t;
} ls_params;
LS_API void ls_params_init(ls_params *P);
/* a zero-initialised parameter in optimiser group `group` (0..LS_MAX_GROUPS-1); the name is copied */
LS_API ls_tensor *ls_param(ls_params *P, const char *name, ls_shape s, int group);
LS_API ls_tensor *ls_params_find(const ls_params *P, const char *name);
LS_API void ls_params_zero_grad(ls_params *P);
LS_API void ls_params_free(ls_params *P);
LS_API void ls_init_normal(ls_tensor *t, ls_rng *r, float std);
LS_API void ls_init_uniform(ls_tensor *t, ls_rng *r, float lo, float hi);
LS_API void ls_fill(ls_tensor *t, float v);

/* --- AdamW (decoupled weight decay), schedules, clipping --- */
typedef struct ls_group { float lr, wd; } ls_group;
typedef struct ls_adamw {
    float beta1, beta2, eps;
    ls_group group[LS_MAX_GROUPS]; /* lr and weight decay per parameter group */
    float *m, *v;                  /* first and second moments, n each */
    int64_t n, t;                  /* size and number of steps taken */
} ls_adamw;
/* all groups start as (lr, wd); betas (0.9, 0.999), eps 1e-8 */
LS_API void ls_adamw_init(ls_adamw *o, const ls_params *P, float lr, float wd);
/* one step; every group's lr is multiplied by lr_scale (the schedule). Grows m, v if P grew. */
LS_API void ls_adamw_step(ls_adamw *o, ls_params *P, float lr_scale);
LS_API void ls_adamw_free(ls_adamw *o);
enum { LS_SCHED_CONSTANT = 0, LS_SCHED_COSINE = 1 };
/* linear warm-up over `warmup` steps, then constant or cosine decay to 0 at `total` */
LS_API float ls_schedule(int kind, int64_t step, int64_t warmup, int64_t total);
/* scales gradients so their global L2 norm is at most max_norm; returns the norm before */
LS_API double ls_clip_grad_norm(ls_params *P, double max_norm);
LS_API double ls_grad_norm(const ls_params *P);

/* --- checkpoints ---
   Format v1, all integers little-endian:
     "LSCKPT\r\n" (8 bytes) | u32 version | u32 flags (bit 0: optimiser state) | u64 file size
     | u64 meta_len | meta bytes | u32 n_tensors
     | per tensor: u32 name_len | name | u32 nd | u64 d[nd] | f32 values[n] (| f32 m[n] | f32 v[n])
     | (optimiser state: u64 t) | u32 CRC-32 of every byte before it.
   Written to "<path>.tmp", flushed, fsync'ed and renamed over <path>, so a reader sees the old file
   or the new one, never a torn one. Load checks size, CRC, magic, version and every name and shape. */
enum { LS_CKPT_STRICT = 0, LS_CKPT_PARTIAL = 1 };
LS_API int ls_checkpoint_save(const char *path, const ls_params *P, const ls_adamw *opt,
                              const void *meta, size_t meta_len, char *err);
/* STRICT: the file holds exactly P's parameters. PARTIAL: load those whose names are in both (shapes
   must still match), e.g. a pretrained body under a fresh head. opt may be NULL (state ignored).
   meta (may be NULL) receives up to meta_cap bytes; *meta_len (may be NULL) the stored length. */
LS_API int ls_checkpoint_load(const char *path, ls_params *P, ls_adamw *opt, int mode,
                              void *meta, size_t meta_cap, size_t *meta_len, char *err);

/* --- matrix multiply (row-major), used by the ops; public for benchmarks ---
   C[M,N] = beta*C + alpha*op(A)[M,K] op(B)[K,N]; ta: A stored (K,M); tb: B stored (N,K).
   beta == 0 overwrites C without reading it. */
LS_API void ls_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc);

/* --- gradient check: central differences in double against ls_backward --- */
typedef ls_tensor *(*ls_graph_fn)(ls_ctx *ctx, ls_tensor *const *in, void *user);
typedef struct ls_gradcheck_result {
    double rel_err;           /* worst over inputs of ||analytic - numeric|| / max(||a||, ||n||) */
    double max_abs_err;       /* worst single element */
    int worst_input;
    int64_t checked, skipped; /* elements compared; elements skipped at kinks */
    unsigned char op_seen[LS_OP_COUNT]; /* ops that were on the tape */
    char err[LS_ERRLEN];      /* set when the graph failed to build */
} ls_gradcheck_result;
/* Builds f(in) repeatedly (same ctx seed each time, so dropout masks repeat), takes the loss
   sum(w * f(in)) for fixed random w, and compares d loss / d in for every input with LS_NEEDS_GRAD
   (at most max_elems elements per input, chosen at random; 0 = all) by a 4-point central difference
   with step h (0 = 1e-2). Returns 0 when the graph ran (judge res->rel_err), -1 on build failure. */
LS_API int ls_gradcheck(ls_graph_fn f, ls_tensor *const *in, int n_in, void *user, uint64_t seed,
                        int64_t max_elems, double h, ls_gradcheck_result *res);

/* --- command line, progress, logs --- */
enum { LS_PROFILE_SMOKE = 0, LS_PROFILE_CPU = 1, LS_PROFILE_PAPER = 2 };
LS_API const char *ls_profile_name(int profile);
typedef struct ls_cli {
    uint64_t seed;        /* --seed N (default 1) */
    int threads;          /* --threads N (default: all cores) */
    int64_t steps;        /* --steps N (default 0 = the profile's) */
    int profile;          /* --profile smoke|cpu|paper (default cpu); --smoke = --profile smoke */
    int quiet;            /* --quiet: no progress lines */
    const char *out;      /* --out DIR (default given by the program) */
} ls_cli;
enum { LS_FLAG_INT, LS_FLAG_FLOAT, LS_FLAG_STR, LS_FLAG_BOOL };
typedef struct ls_flag {
    const char *name;     /* without the leading "--" */
    int type;             /* LS_FLAG_* */
    void *ptr;            /* int64_t*, double*, const char**, int* */
    const char *help;
} ls_flag;
/* Parses the common flags and the program's extra ones. Returns 0 to run, 1 when --help was printed
   (exit 0), -1 on a bad flag or value, with a message naming it in err. */
LS_API int ls_cli_parse(ls_cli *cli, int argc, char **argv, const ls_flag *extra, int n_extra,
                        const char *about, char *err);

typedef struct ls_progress {
    const char *label;
    int64_t total;        /* steps planned */
    double t0, last;      /* start time and time of the last line */
    int quiet;
} ls_progress;
LS_API void ls_progress_start(ls_progress *p, const char *label, int64_t total, int quiet);
/* prints "label step s/total  loss ..  acc ..  N tok/s  ETA .." on stderr at most once a second;
   acc < 0 is left out; tokens is the running total processed */
LS_API void ls_progress_update(ls_progress *p, int64_t step, double loss, double acc, double tokens);
LS_API void ls_progress_end(ls_progress *p, const char *summary);

/* appends one line to a CSV file, writing the header first when the file is new or empty */
LS_API int ls_csv_append(const char *path, const char *header, const char *row, char *err);

#ifdef __cplusplus
}
#endif
#endif /* LONGSEQ_H */

/* ---------------------------------------------------------------------------------------------
   6. IMPLEMENTATION
   --------------------------------------------------------------------------------------------- */
#ifdef LONGSEQ_IMPLEMENTATION

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#define LS__POSIX 1
#endif

#if defined(LS_MALLOC) && defined(LS_REALLOC) && defined(LS_FREE)
#elif !defined(LS_MALLOC) && !defined(LS_REALLOC) && !defined(LS_FREE)
#define LS_MALLOC(n) malloc(n)
#define LS_REALLOC(p, n) realloc(p, n)
#define LS_FREE(p) free(p)
#else
#error "longseq.h: define all of LS_MALLOC, LS_REALLOC and LS_FREE, or none of them"
#endif

#ifndef LS_ASSERT
#define LS_ASSERT(x) ((x) ? (void)0 : ls__assert_fail(#x, __FILE__, __LINE__))
#endif

#ifdef _OPENMP
#include <omp.h>
#define LS__PRAGMA(x) _Pragma(#x)
#else
#define LS__PRAGMA(x)
#endif
/* parallel loop over n independent items, each costing about `work` floats of traffic */
#define LS__PAR_FOR(n, work) LS__PRAGMA(omp parallel for schedule(static) if ((double)(n) * (work) > 32768.0))

/* ---------------------------------------------------------------------------------------------
   utils and errors
   --------------------------------------------------------------------------------------------- */

static void ls__assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "longseq: internal error at %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}

static void *ls__xmalloc(size_t n) {
    void *p = LS_MALLOC(n ? n : 1);
    if (!p) { fprintf(stderr, "longseq: out of memory (%zu bytes)\n", n); abort(); }
    return p;
}

static void *ls__xrealloc(void *p, size_t n) {
    void *q = LS_REALLOC(p, n ? n : 1);
    if (!q) { fprintf(stderr, "longseq: out of memory (%zu bytes)\n", n); abort(); }
    return q;
}

/* printf into an error buffer that may be NULL */
static void ls__seterr(char *err, const char *fmt, ...) {
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, LS_ERRLEN, fmt, ap);
    va_end(ap);
}

LS_API double ls_now(void) {
#ifdef LS__POSIX
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

LS_API void ls_set_threads(int n) {
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

LS_API int ls_get_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

LS_API uint32_t ls_crc32(uint32_t crc, const void *data, size_t n) {
    /* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bytewise with a 256-entry table */
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = (const unsigned char *)data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---------------------------------------------------------------------------------------------
   random numbers
   --------------------------------------------------------------------------------------------- */

LS_API uint64_t ls_hash64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

LS_API uint64_t ls_str_hash(const char *s) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    return h;
}

LS_API ls_rng ls_rng_make(uint64_t seed, uint64_t stream) {
    ls_rng r;
    uint64_t x = ls_hash64(seed) ^ ls_hash64(stream * 0xD1B54A32D192ED03ull + 1);
    for (int i = 0; i < 4; i++) { x = ls_hash64(x + (uint64_t)i); r.s[i] = x; }
    if (!(r.s[0] | r.s[1] | r.s[2] | r.s[3])) r.s[0] = 1; /* the all-zero state is a fixed point */
    return r;
}

static uint64_t ls__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

LS_API uint64_t ls_rng_u64(ls_rng *r) {
    uint64_t *s = r->s, out = ls__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = ls__rotl(s[3], 45);
    return out;
}

LS_API uint32_t ls_rng_below(ls_rng *r, uint32_t n) {
    /* Lemire's multiply-and-reject: unbiased without a division in the common case */
    LS_ASSERT(n > 0);
    uint64_t m = (uint64_t)(uint32_t)(ls_rng_u64(r) >> 32) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t thresh = (uint32_t)(-n) % n;
        while (lo < thresh) { m = (uint64_t)(uint32_t)(ls_rng_u64(r) >> 32) * n; lo = (uint32_t)m; }
    }
    return (uint32_t)(m >> 32);
}

LS_API double ls_rng_double(ls_rng *r) { return (double)(ls_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); /* 2^-53 */ }
LS_API float ls_rng_float(ls_rng *r) { return (float)(ls_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

LS_API float ls_rng_normal(ls_rng *r) {
    double u1 = ls_rng_double(r), u2 = ls_rng_double(r);
    return (float)(sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2));
}

LS_API void ls_rng_shuffle(ls_rng *r, int32_t *a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(ls_rng_double(r) * (double)(i + 1));
        if (j > i) j = i;
        int32_t t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

/* ---------------------------------------------------------------------------------------------
   arena: blocks chained in a list; a reset rewinds to the first block. When one step needed more
   than one block, the reset replaces them with a single block of the high-water size, so from the
   second step on a training loop allocates nothing.
   --------------------------------------------------------------------------------------------- */

struct ls__block {
    ls__block *next;
    size_t cap, used;
    unsigned char *base;  /* 64-byte aligned start inside the allocation */
};

#define LS__ALIGN 64
#define LS__BLOCK_MIN ((size_t)1 << 20)

static ls__block *ls__block_new(size_t cap) {
    unsigned char *raw = (unsigned char *)ls__xmalloc(sizeof(ls__block) + cap + LS__ALIGN);
    ls__block *b = (ls__block *)raw;
    uintptr_t p = (uintptr_t)(raw + sizeof(ls__block));
    b->base = (unsigned char *)((p + LS__ALIGN - 1) & ~(uintptr_t)(LS__ALIGN - 1));
    b->next = NULL; b->cap = cap; b->used = 0;
    return b;
}

LS_API void *ls_arena_alloc(ls_arena *a, size_t bytes) {
    bytes = (bytes + LS__ALIGN - 1) & ~(size_t)(LS__ALIGN - 1);
    if (!bytes) bytes = LS__ALIGN;
    for (;;) {
        ls__block *b = a->cur;
        if (b && b->cap - b->used >= bytes) {
            void *p = b->base + b->used;
            b->used += bytes;
            a->used += bytes;
            if (a->used > a->high) a->high = a->used;
            return p;
        }
        if (b && b->next) { a->cur = b->next; a->cur->used = 0; continue; }
        size_t cap = bytes > LS__BLOCK_MIN ? bytes : LS__BLOCK_MIN;
        if (a->total / 2 > cap) cap = a->total / 2;   /* grow geometrically */
        ls__block *nb = ls__block_new(cap);
        a->total += cap;
        if (b) b->next = nb; else a->head = nb;
        a->cur = nb;
    }
}

LS_API void ls_arena_reset(ls_arena *a) {
    if (a->head && a->head->next && a->head->used + a->used > a->head->cap) {
        /* several blocks were in use: replace them by one block of the whole size */
        size_t need = a->total;
        ls_arena_free(a);
        a->head = a->cur = ls__block_new(need);
        a->total = need;
    }
    if (a->head) a->head->used = 0;
    a->cur = a->head;
    a->used = 0;
}

LS_API void ls_arena_free(ls_arena *a) {
    ls__block *b = a->head;
    while (b) { ls__block *n = b->next; LS_FREE(b); b = n; }
    a->head = a->cur = NULL;
    a->used = 0; a->total = 0;
}

/* ---------------------------------------------------------------------------------------------
   tensors and the tape
   --------------------------------------------------------------------------------------------- */

LS_API ls_shape ls_shape1(int64_t d0) { ls_shape s; memset(&s, 0, sizeof s); s.nd = 1; s.d[0] = d0; return s; }
LS_API ls_shape ls_shape2(int64_t d0, int64_t d1) { ls_shape s = ls_shape1(d0); s.nd = 2; s.d[1] = d1; return s; }
LS_API ls_shape ls_shape3(int64_t d0, int64_t d1, int64_t d2) { ls_shape s = ls_shape2(d0, d1); s.nd = 3; s.d[2] = d2; return s; }
LS_API ls_shape ls_shape4(int64_t d0, int64_t d1, int64_t d2, int64_t d3) { ls_shape s = ls_shape3(d0, d1, d2); s.nd = 4; s.d[3] = d3; return s; }

LS_API int64_t ls_shape_numel(ls_shape s) {
    int64_t n = 1;
    for (int i = 0; i < s.nd; i++) n *= s.d[i];
    return n;
}

static int ls__shape_ok(ls_shape s) {
    if (s.nd < 1 || s.nd > LS_MAX_DIMS) return 0;
    for (int i = 0; i < s.nd; i++) if (s.d[i] < 1) return 0;
    return 1;
}

LS_API ls_shape ls_tensor_shape(const ls_tensor *t) {
    ls_shape s; memset(&s, 0, sizeof s);
    s.nd = t->nd;
    for (int i = 0; i < t->nd; i++) s.d[i] = t->d[i];
    return s;
}

LS_API int ls_shape_str(ls_shape s, char *buf, size_t cap) {
    size_t k = 0;
    int w = snprintf(buf, cap, "(");
    if (w > 0) k += (size_t)w;
    for (int i = 0; i < s.nd && k < cap; i++) {
        w = snprintf(buf + k, cap - k, i ? ", %lld" : "%lld", (long long)s.d[i]);
        if (w > 0) k += (size_t)w;
    }
    if (k < cap) { w = snprintf(buf + k, cap - k, ")"); if (w > 0) k += (size_t)w; }
    return (int)k;
}

static void ls__set_shape(ls_tensor *t, ls_shape s) {
    t->nd = s.nd;
    for (int i = 0; i < LS_MAX_DIMS; i++) t->d[i] = i < s.nd ? s.d[i] : 1;
    t->n = ls_shape_numel(s);
}

LS_API ls_tensor *ls_tensor_alloc(ls_shape s, int needs_grad) {
    LS_ASSERT(ls__shape_ok(s));
    ls_tensor *t = (ls_tensor *)ls__xmalloc(sizeof *t);
    memset(t, 0, sizeof *t);
    ls__set_shape(t, s);
    t->x = (float *)ls__xmalloc((size_t)t->n * sizeof(float));
    memset(t->x, 0, (size_t)t->n * sizeof(float));
    if (needs_grad) {
        t->g = (float *)ls__xmalloc((size_t)t->n * sizeof(float));
        memset(t->g, 0, (size_t)t->n * sizeof(float));
        t->flags |= LS_NEEDS_GRAD;
    }
    t->flags |= LS_HEAP;
    return t;
}

LS_API void ls_tensor_free(ls_tensor *t) {
    if (!t) return;
    LS_ASSERT(t->flags & LS_HEAP);
    LS_FREE(t->x);
    LS_FREE(t->g);
    LS_FREE(t);
}

/* A tape record. Inputs, output, and what the backward kernel needs: saved float buffers, one
   saved integer buffer (ids, targets, arg-max) and a few scalar arguments. */
struct ls_node {
    int op, n_in;
    ls_tensor *out;
    ls_tensor *in[LS_MAX_INPUTS];
    float *saved[2];      /* e.g. LayerNorm mean and rstd, per-row log-sum-exp */
    int32_t *ids;         /* integer side data, copied into the arena */
    int64_t i[6];         /* integer arguments (dims, modes, keys) */
    float f[4];           /* float arguments (eps, p, scale) */
    ls_node *prev;        /* the record before this one */
};

LS_API void ls_ctx_init(ls_ctx *ctx, uint64_t seed) {
    memset(ctx, 0, sizeof *ctx);
    ctx->training = 1;
    ctx->seed = seed;
}

LS_API void ls_ctx_reset(ls_ctx *ctx) {
    ls_arena_reset(&ctx->arena);
    ctx->last = NULL;
    ctx->n_nodes = 0;
    ctx->failed = 0;
    ctx->err[0] = 0;
}

LS_API void ls_ctx_free(ls_ctx *ctx) { ls_arena_free(&ctx->arena); memset(ctx, 0, sizeof *ctx); }
LS_API const char *ls_ctx_error(const ls_ctx *ctx) { return ctx->err; }

static float *ls__floats(ls_ctx *ctx, int64_t n) {
    return (float *)ls_arena_alloc(&ctx->arena, (size_t)n * sizeof(float));
}

static float *ls__zeros(ls_ctx *ctx, int64_t n) {
    float *p = ls__floats(ctx, n);
    memset(p, 0, (size_t)n * sizeof(float));
    return p;
}

LS_API ls_tensor *ls_tensor_new(ls_ctx *ctx, ls_shape s) {
    LS_ASSERT(ls__shape_ok(s));
    ls_tensor *t = (ls_tensor *)ls_arena_alloc(&ctx->arena, sizeof *t);
    memset(t, 0, sizeof *t);
    ls__set_shape(t, s);
    t->x = ls__floats(ctx, t->n);
    return t;
}

LS_API ls_tensor *ls_tensor_zeros(ls_ctx *ctx, ls_shape s) {
    ls_tensor *t = ls_tensor_new(ctx, s);
    memset(t->x, 0, (size_t)t->n * sizeof(float));
    return t;
}

LS_API ls_tensor *ls_tensor_from(ls_ctx *ctx, ls_shape s, const float *data) {
    ls_tensor *t = ls_tensor_new(ctx, s);
    memcpy(t->x, data, (size_t)t->n * sizeof(float));
    return t;
}

/* Records the first error of a step: "ls_matmul: a (4, 8) vs b (7, 3): inner dims differ" */
static ls_tensor *ls__fail(ls_ctx *ctx, const char *fmt, ...) {
    if (!ctx->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, LS_ERRLEN, fmt, ap);
        va_end(ap);
        ctx->failed = 1;
    }
    return NULL;
}

/* "(4, 8)" in a rotating set of static buffers, for error messages only */
static const char *ls__shp(const ls_tensor *t) {
    static char buf[4][64];
    static int k = 0;
    k = (k + 1) & 3;
    ls_shape_str(ls_tensor_shape(t), buf[k], sizeof buf[k]);
    return buf[k];
}

/* the output of an op: a fresh arena tensor (values uninitialised) */
static ls_tensor *ls__out(ls_ctx *ctx, ls_shape s) { return ls_tensor_new(ctx, s); }

/* Appends a record for `out` computed from the inputs. The output needs a gradient when an input
   does; records that no gradient can reach are kept out of the tape. */
static ls_node *ls__record(ls_ctx *ctx, int op, ls_tensor *out, int n_in, ls_tensor *a, ls_tensor *b,
                           ls_tensor *c, ls_tensor *d) {
    ls_node *n = (ls_node *)ls_arena_alloc(&ctx->arena, sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op; n->n_in = n_in; n->out = out;
    n->in[0] = a; n->in[1] = b; n->in[2] = c; n->in[3] = d;
    int needs = 0;
    for (int i = 0; i < n_in; i++) if (n->in[i] && (n->in[i]->flags & LS_NEEDS_GRAD)) needs = 1;
    if (needs && !ctx->no_grad) {
        out->flags |= LS_NEEDS_GRAD;
        n->prev = ctx->last;
        ctx->last = n;
        ctx->n_nodes++;
    }
    return n;
}

/* the gradient buffer of t inside backward: NULL when t needs none */
static float *ls__grad(const ls_tensor *t) { return t && (t->flags & LS_NEEDS_GRAD) ? t->g : NULL; }

/* The op table expands into prototypes of every kernel pair and into the dispatch tables: an op
   whose forward or backward kernel is missing does not build. */
#define LS__X(E, f) static void ls__##f##_forward(ls_ctx *ctx, ls_node *n); \
                    static void ls__##f##_backward(ls_ctx *ctx, ls_node *n);
LS_OP_LIST(LS__X)
#undef LS__X
typedef void (*ls__kernel)(ls_ctx *ctx, ls_node *n);
static const char *const ls__op_names[LS_OP_COUNT] = {
#define LS__X(E, f) #f,
    LS_OP_LIST(LS__X)
#undef LS__X
};
static const ls__kernel ls__op_backward[LS_OP_COUNT] = {
#define LS__X(E, f) ls__##f##_backward,
    LS_OP_LIST(LS__X)
#undef LS__X
};
static const ls__kernel ls__op_forward[LS_OP_COUNT] = {
#define LS__X(E, f) ls__##f##_forward,
    LS_OP_LIST(LS__X)
#undef LS__X
};

/* runs the forward kernel of a freshly recorded node */
static void ls__run(ls_ctx *ctx, ls_node *n) { ls__op_forward[n->op](ctx, n); }

/* ---------------------------------------------------------------------------------------------
   matrix multiply
   --------------------------------------------------------------------------------------------- */

/* Row-parallel reference kernel: each thread owns whole rows of C and sums over k in increasing
   order, so results do not depend on the thread count. op(B) is copied to (K, N) rows first. */
LS_API void ls_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    float *Bt = NULL;
    const float *Bk = B;   /* op(B) as (K, N) rows with stride ldbk */
    int64_t ldbk = ldb;
    if (tb && K > 0) {
        Bt = (float *)ls__xmalloc((size_t)K * (size_t)N * sizeof(float));
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < K; k++) Bt[k * N + j] = B[j * ldb + k];
        Bk = Bt; ldbk = N;
    }
    LS__PAR_FOR(M, (double)N * (double)(K + 1))
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f) for (int64_t j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f) for (int64_t j = 0; j < N; j++) c[j] *= beta;
        for (int64_t k = 0; k < K; k++) {
            float a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
            const float *b = Bk + k * ldbk;
            for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
    LS_FREE(Bt);
}

/* dst[c] += sum over rows r of src[r * C + c], rows in increasing order. Parallel over blocks of
   16 columns (one cache line per row per block), so the sum order is fixed. */
static void ls__colsum_add(float *dst, const float *src, int64_t R, int64_t C) {
    int64_t nb = (C + 15) / 16;
    LS__PAR_FOR(nb, (double)R * 16)
    for (int64_t blk = 0; blk < nb; blk++) {
        int64_t c0 = blk * 16, c1 = c0 + 16 < C ? c0 + 16 : C;
        float acc[16] = {0};
        for (int64_t r = 0; r < R; r++)
            for (int64_t c = c0; c < c1; c++) acc[c - c0] += src[r * C + c];
        for (int64_t c = c0; c < c1; c++) dst[c] += acc[c - c0];
    }
}

/* sum of n floats in double, over fixed chunks of 4096, so the result is thread-count independent */
static double ls__sum_fixed(const float *x, int64_t n) {
    int64_t nch = (n + 4095) / 4096;
    double total = 0.0;
    if (nch <= 1) { for (int64_t i = 0; i < n; i++) total += x[i]; return total; }
    double *part = (double *)ls__xmalloc((size_t)nch * sizeof(double));
    LS__PAR_FOR(nch, 4096)
    for (int64_t c = 0; c < nch; c++) {
        int64_t i0 = c * 4096, i1 = i0 + 4096 < n ? i0 + 4096 : n;
        double s = 0.0;
        for (int64_t i = i0; i < i1; i++) s += x[i];
        part[c] = s;
    }
    for (int64_t c = 0; c < nch; c++) total += part[c];
    LS_FREE(part);
    return total;
}

static void ls__add_into(float *dst, const float *src, int64_t n) {
    LS__PAR_FOR(n, 1)
    for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

/* ---------------------------------------------------------------------------------------------
   ops. Each op: forward kernel, backward kernel right below it, then the public constructor.
   --------------------------------------------------------------------------------------------- */

/* --- MATMUL: C = op(A) op(B). i[0] = ta, i[1] = tb, i[2] = M, i[3] = N, i[4] = K, i[5] = batch --- */

static void ls__matmul_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *a = n->in[0], *b = n->in[1];
    int ta = (int)n->i[0], tb = (int)n->i[1];
    int64_t M = n->i[2], N = n->i[3], K = n->i[4], batch = n->i[5];
    int64_t lda = ta ? M : K, ldb = tb ? K : N, bstride = b->nd == 2 ? 0 : K * N;
    if (b->nd == 2 && !ta) {   /* shared weight: all batches are one tall matmul */
        ls_sgemm(0, tb, batch * M, N, K, 1.0f, a->x, lda, b->x, ldb, 0.0f, n->out->x, N);
        return;
    }
    for (int64_t s = 0; s < batch; s++)
        ls_sgemm(ta, tb, M, N, K, 1.0f, a->x + s * M * K, lda, b->x + s * bstride, ldb, 0.0f,
                 n->out->x + s * M * N, N);
}

static void ls__matmul_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *a = n->in[0], *b = n->in[1];
    int ta = (int)n->i[0], tb = (int)n->i[1];
    int64_t M = n->i[2], N = n->i[3], K = n->i[4], batch = n->i[5];
    int64_t lda = ta ? M : K, ldb = tb ? K : N, bstride = b->nd == 2 ? 0 : K * N;
    float *da = ls__grad(a), *db = ls__grad(b);
    const float *dc = n->out->g;
    if (b->nd == 2 && !ta) {   /* rows of all batches together */
        int64_t R = batch * M;
        if (da) ls_sgemm(0, !tb, R, K, N, 1.0f, dc, N, b->x, ldb, 1.0f, da, K);
        if (db) {
            if (!tb) ls_sgemm(1, 0, K, N, R, 1.0f, a->x, K, dc, N, 1.0f, db, N);
            else ls_sgemm(1, 0, N, K, R, 1.0f, dc, N, a->x, K, 1.0f, db, K);
        }
        return;
    }
    for (int64_t s = 0; s < batch; s++) {
        const float *as = a->x + s * M * K, *bs = b->x + s * bstride, *dcs = dc + s * M * N;
        if (da) {
            float *das = da + s * M * K;
            /* d op(A) = dC op(B)^T (M, K); stored transposed when ta */
            if (!ta) ls_sgemm(0, !tb, M, K, N, 1.0f, dcs, N, bs, ldb, 1.0f, das, K);
            else ls_sgemm(tb, 1, K, M, N, 1.0f, bs, ldb, dcs, N, 1.0f, das, M);
        }
        if (db) {
            float *dbs = db + s * bstride;
            /* d op(B) = op(A)^T dC (K, N); stored transposed when tb */
            if (!tb) ls_sgemm(!ta, 0, K, N, M, 1.0f, as, lda, dcs, N, 1.0f, dbs, N);
            else ls_sgemm(1, ta, N, K, M, 1.0f, dcs, N, as, lda, 1.0f, dbs, K);
        }
    }
}

LS_API ls_tensor *ls_matmul(ls_ctx *ctx, ls_tensor *a, ls_tensor *b, int ta, int tb) {
    if (!a || !b) return NULL;
    if (a->nd < 2 || b->nd < 2)
        return ls__fail(ctx, "ls_matmul: a %s and b %s must have at least 2 dims", ls__shp(a), ls__shp(b));
    int64_t M = ta ? a->d[a->nd - 1] : a->d[a->nd - 2], K = ta ? a->d[a->nd - 2] : a->d[a->nd - 1];
    int64_t Kb = tb ? b->d[b->nd - 1] : b->d[b->nd - 2], N = tb ? b->d[b->nd - 2] : b->d[b->nd - 1];
    if (K != Kb)
        return ls__fail(ctx, "ls_matmul: a %s%s and b %s%s: inner dims differ (%lld vs %lld)", ls__shp(a),
                        ta ? "^T" : "", ls__shp(b), tb ? "^T" : "", (long long)K, (long long)Kb);
    int64_t batch = a->n / (M * K);
    if (b->nd > 2) {
        int same = b->nd == a->nd;
        for (int i = 0; same && i < a->nd - 2; i++) same = a->d[i] == b->d[i];
        if (!same)
            return ls__fail(ctx, "ls_matmul: batched b %s must have the leading dims of a %s", ls__shp(b), ls__shp(a));
    }
    ls_shape s = ls_tensor_shape(a);
    s.d[s.nd - 2] = M; s.d[s.nd - 1] = N;
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_MATMUL, out, 2, a, b, NULL, NULL);
    n->i[0] = ta; n->i[1] = tb; n->i[2] = M; n->i[3] = N; n->i[4] = K; n->i[5] = batch;
    ls__run(ctx, n);
    return out;
}

/* --- LINEAR: y (R, Cout) = x (R, Cin) W (Cin, Cout) + b (Cout). i[0] = R --- */

static void ls__linear_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int64_t R = n->i[0], Cin = w->d[0], Cout = w->d[1];
    float *y = n->out->x;
    if (b) {
        LS__PAR_FOR(R, Cout)
        for (int64_t r = 0; r < R; r++) memcpy(y + r * Cout, b->x, (size_t)Cout * sizeof(float));
    }
    ls_sgemm(0, 0, R, Cout, Cin, 1.0f, x->x, Cin, w->x, Cout, b ? 1.0f : 0.0f, y, Cout);
}

static void ls__linear_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int64_t R = n->i[0], Cin = w->d[0], Cout = w->d[1];
    const float *dy = n->out->g;
    float *dx = ls__grad(x), *dw = ls__grad(w), *db = ls__grad(b);
    if (dx) ls_sgemm(0, 1, R, Cin, Cout, 1.0f, dy, Cout, w->x, Cout, 1.0f, dx, Cin);   /* dy W^T */
    if (dw) ls_sgemm(1, 0, Cin, Cout, R, 1.0f, x->x, Cin, dy, Cout, 1.0f, dw, Cout);   /* x^T dy */
    if (db) ls__colsum_add(db, dy, R, Cout);
}

LS_API ls_tensor *ls_linear(ls_ctx *ctx, ls_tensor *x, ls_tensor *w, ls_tensor *b) {
    if (!x || !w) return NULL;
    if (w->nd != 2 || x->d[x->nd - 1] != w->d[0] || (b && (b->nd != 1 || b->d[0] != w->d[1])))
        return ls__fail(ctx, "ls_linear: x %s, w %s, b %s: need x (..., Cin), w (Cin, Cout), b (Cout)",
                        ls__shp(x), ls__shp(w), b ? ls__shp(b) : "none");
    ls_shape s = ls_tensor_shape(x);
    s.d[s.nd - 1] = w->d[1];
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_LINEAR, out, 3, x, w, b, NULL);
    n->i[0] = x->n / w->d[0];
    ls__run(ctx, n);
    return out;
}

/* --- ADD, SUB, MUL with numpy broadcasting ---
   Shapes are right-aligned into 4 dims; a dim of size 1 against a larger one repeats (stride 0).
   i[0..3] = output dims (4-d), the 4-d strides of a and b are recomputed from their shapes. */

typedef struct ls__bc { int64_t d[4], sa[4], sb[4]; } ls__bc;

static void ls__strides4(const ls_tensor *t, const int64_t *d, int64_t *st) {
    int64_t td[4], s = 1;
    for (int k = 0; k < 4; k++) { int j = k - (4 - t->nd); td[k] = j >= 0 ? t->d[j] : 1; }
    for (int k = 3; k >= 0; k--) { st[k] = (td[k] == 1 && d[k] != 1) ? 0 : s; s *= td[k]; }
}

static void ls__bc_make(const ls_node *n, ls__bc *bc) {
    for (int k = 0; k < 4; k++) bc->d[k] = n->i[k];
    ls__strides4(n->in[0], bc->d, bc->sa);
    ls__strides4(n->in[1], bc->d, bc->sb);
}

/* out = x (op) y for the broadcast pair; op: 0 add, 1 sub, 2 mul */
static void ls__bc_apply(int op, const int64_t *d, const float *x, const int64_t *sx, const float *y,
                         const int64_t *sy, float *out) {
    int64_t rows = d[0] * d[1] * d[2], C = d[3];
    LS__PAR_FOR(rows, C)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i0 = r / (d[1] * d[2]), i1 = (r / d[2]) % d[1], i2 = r % d[2];
        const float *xr = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
        const float *yr = y + i0 * sy[0] + i1 * sy[1] + i2 * sy[2];
        float *o = out + r * C;
        if (sx[3] && sy[3]) {
            if (op == 0) for (int64_t c = 0; c < C; c++) o[c] = xr[c] + yr[c];
            else if (op == 1) for (int64_t c = 0; c < C; c++) o[c] = xr[c] - yr[c];
            else for (int64_t c = 0; c < C; c++) o[c] = xr[c] * yr[c];
        } else {
            for (int64_t c = 0; c < C; c++) {
                float u = xr[c * sx[3]], v = yr[c * sy[3]];
                o[c] = op == 0 ? u + v : op == 1 ? u - v : u * v;
            }
        }
    }
}

/* dst (a tensor broadcast with strides st into the 4-d shape d) += sign * src (shape d).
   Parallel over the destination's rows; each sums the source rows that map to it in order. */
static void ls__bc_reduce(const int64_t *d, const float *src, float sign, float *dst, const int64_t *st) {
    int64_t td[4];
    for (int k = 0; k < 4; k++) td[k] = st[k] ? d[k] : 1;
    if (st[3] == 0 && d[3] > 1) td[3] = 1;
    int64_t trows = td[0] * td[1] * td[2], C = d[3];
    LS__PAR_FOR(trows, (double)d[0] * d[1] * d[2] * C / (double)trows)
    for (int64_t tr = 0; tr < trows; tr++) {
        int64_t j0 = tr / (td[1] * td[2]), j1 = (tr / td[2]) % td[1], j2 = tr % td[2];
        float *o = dst + j0 * st[0] + j1 * st[1] + j2 * st[2];
        for (int64_t i0 = st[0] ? j0 : 0; i0 < (st[0] ? j0 + 1 : d[0]); i0++)
            for (int64_t i1 = st[1] ? j1 : 0; i1 < (st[1] ? j1 + 1 : d[1]); i1++)
                for (int64_t i2 = st[2] ? j2 : 0; i2 < (st[2] ? j2 + 1 : d[2]); i2++) {
                    const float *s = src + ((i0 * d[1] + i1) * d[2] + i2) * C;
                    if (st[3]) for (int64_t c = 0; c < C; c++) o[c] += sign * s[c];
                    else { float acc = 0.0f; for (int64_t c = 0; c < C; c++) acc += s[c]; o[0] += sign * acc; }
                }
    }
}

static void ls__out_strides(const int64_t *d, int64_t *so) {
    so[3] = 1; so[2] = d[3]; so[1] = d[3] * d[2]; so[0] = d[3] * d[2] * d[1];
}

static void ls__binary_forward(int op, ls_node *n) {
    ls__bc bc;
    ls__bc_make(n, &bc);
    ls__bc_apply(op, bc.d, n->in[0]->x, bc.sa, n->in[1]->x, bc.sb, n->out->x);
}

/* backward of a (op) b: da += reduce(dout * (mul ? b : 1)), db += reduce(dout * (mul ? a : sign)) */
static void ls__binary_backward(ls_ctx *ctx, int op, ls_node *n) {
    ls__bc bc;
    ls__bc_make(n, &bc);
    const float *dout = n->out->g;
    int64_t so[4];
    ls__out_strides(bc.d, so);
    float *da = ls__grad(n->in[0]), *db = ls__grad(n->in[1]);
    float *tmp = op == 2 ? ls__floats(ctx, n->out->n) : NULL;
    if (da) {
        const float *src = dout;
        if (op == 2) { ls__bc_apply(2, bc.d, dout, so, n->in[1]->x, bc.sb, tmp); src = tmp; }
        ls__bc_reduce(bc.d, src, 1.0f, da, bc.sa);
    }
    if (db) {
        const float *src = dout;
        if (op == 2) { ls__bc_apply(2, bc.d, dout, so, n->in[0]->x, bc.sa, tmp); src = tmp; }
        ls__bc_reduce(bc.d, src, op == 1 ? -1.0f : 1.0f, db, bc.sb);
    }
}

static void ls__add_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; ls__binary_forward(0, n); }
static void ls__add_backward(ls_ctx *ctx, ls_node *n) { ls__binary_backward(ctx, 0, n); }
static void ls__sub_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; ls__binary_forward(1, n); }
static void ls__sub_backward(ls_ctx *ctx, ls_node *n) { ls__binary_backward(ctx, 1, n); }
static void ls__mul_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; ls__binary_forward(2, n); }
static void ls__mul_backward(ls_ctx *ctx, ls_node *n) { ls__binary_backward(ctx, 2, n); }

static ls_tensor *ls__binary(ls_ctx *ctx, int op, const char *name, ls_tensor *a, ls_tensor *b) {
    if (!a || !b) return NULL;
    ls_shape s; memset(&s, 0, sizeof s);
    s.nd = a->nd > b->nd ? a->nd : b->nd;
    int64_t d4[4];
    for (int k = 0; k < 4; k++) {
        int ja = k - (4 - a->nd), jb = k - (4 - b->nd);
        int64_t da = ja >= 0 ? a->d[ja] : 1, db = jb >= 0 ? b->d[jb] : 1;
        if (da != db && da != 1 && db != 1)
            return ls__fail(ctx, "%s: a %s and b %s do not broadcast (dim %d: %lld vs %lld)", name,
                            ls__shp(a), ls__shp(b), k - (4 - s.nd), (long long)da, (long long)db);
        d4[k] = da > db ? da : db;
        if (k >= 4 - s.nd) s.d[k - (4 - s.nd)] = d4[k];
    }
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, op, out, 2, a, b, NULL, NULL);
    for (int k = 0; k < 4; k++) n->i[k] = d4[k];
    ls__run(ctx, n);
    return out;
}

LS_API ls_tensor *ls_add(ls_ctx *ctx, ls_tensor *a, ls_tensor *b) { return ls__binary(ctx, LS_OP_ADD, "ls_add", a, b); }
LS_API ls_tensor *ls_sub(ls_ctx *ctx, ls_tensor *a, ls_tensor *b) { return ls__binary(ctx, LS_OP_SUB, "ls_sub", a, b); }
LS_API ls_tensor *ls_mul(ls_ctx *ctx, ls_tensor *a, ls_tensor *b) { return ls__binary(ctx, LS_OP_MUL, "ls_mul", a, b); }

/* --- SCALE: y = s x. f[0] = s --- */

static void ls__scale_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x, s = n->f[0];
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 1)
    for (int64_t i = 0; i < N; i++) y[i] = s * x[i];
}

static void ls__scale_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]), s = n->f[0];
    const float *dy = n->out->g;
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 1)
    for (int64_t i = 0; i < N; i++) dx[i] += s * dy[i];
}

LS_API ls_tensor *ls_scale(ls_ctx *ctx, ls_tensor *a, float s) {
    if (!a) return NULL;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(a));
    ls_node *n = ls__record(ctx, LS_OP_SCALE, out, 1, a, NULL, NULL, NULL);
    n->f[0] = s;
    ls__run(ctx, n);
    return out;
}

/* --- EMBEDDING: out[r, :] = table[ids[r], :]. ids saved in the node --- */

static void ls__embedding_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *tab = n->in[0];
    int64_t R = n->out->n / tab->d[1], C = tab->d[1];
    const int32_t *ids = n->ids;
    float *y = n->out->x;
    LS__PAR_FOR(R, C)
    for (int64_t r = 0; r < R; r++) memcpy(y + r * C, tab->x + (int64_t)ids[r] * C, (size_t)C * sizeof(float));
}

/* scatter-add, parallel over blocks of 16 columns: repeated ids add in token order */
static void ls__embedding_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *tab = n->in[0];
    float *dt = ls__grad(tab);
    if (!dt) return;
    int64_t R = n->out->n / tab->d[1], C = tab->d[1], nb = (C + 15) / 16;
    const int32_t *ids = n->ids;
    const float *dy = n->out->g;
    LS__PAR_FOR(nb, (double)R * 16)
    for (int64_t blk = 0; blk < nb; blk++) {
        int64_t c0 = blk * 16, c1 = c0 + 16 < C ? c0 + 16 : C;
        for (int64_t r = 0; r < R; r++) {
            float *row = dt + (int64_t)ids[r] * C;
            for (int64_t c = c0; c < c1; c++) row[c] += dy[r * C + c];
        }
    }
}

LS_API ls_tensor *ls_embedding(ls_ctx *ctx, ls_tensor *table, const int32_t *ids, ls_shape ids_shape) {
    if (!table) return NULL;
    if (table->nd != 2 || !ls__shape_ok(ids_shape) || ids_shape.nd > 3)
        return ls__fail(ctx, "ls_embedding: table %s must be (V, C) and ids 1 to 3 dims", ls__shp(table));
    int64_t R = ls_shape_numel(ids_shape);
    for (int64_t r = 0; r < R; r++)
        if (ids[r] < 0 || ids[r] >= table->d[0])
            return ls__fail(ctx, "ls_embedding: id %d at position %lld is outside the table %s", (int)ids[r],
                            (long long)r, ls__shp(table));
    ls_shape s = ids_shape;
    s.d[s.nd++] = table->d[1];
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_EMBEDDING, out, 1, table, NULL, NULL, NULL);
    n->ids = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)R * sizeof(int32_t));
    memcpy(n->ids, ids, (size_t)R * sizeof(int32_t));
    ls__run(ctx, n);
    return out;
}

/* --- GELU: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); dy/dx = Phi(x) + x phi(x) --- */

static void ls__gelu_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 8)
    for (int64_t i = 0; i < N; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

static void ls__gelu_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 8)
    for (int64_t i = 0; i < N; i++) {
        float cdf = 0.5f * (1.0f + erff(x[i] * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * x[i] * x[i]);
        dx[i] += dy[i] * (cdf + x[i] * pdf);
    }
}

/* --- SILU: y = x s(x), s = 1 / (1 + e^-x); dy/dx = s (1 + x (1 - s)) --- */

static void ls__silu_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}

static void ls__silu_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        dx[i] += dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

static ls_tensor *ls__unary(ls_ctx *ctx, int op, ls_tensor *x) {
    if (!x) return NULL;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, op, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

LS_API ls_tensor *ls_gelu(ls_ctx *ctx, ls_tensor *x) { return ls__unary(ctx, LS_OP_GELU, x); }
LS_API ls_tensor *ls_silu(ls_ctx *ctx, ls_tensor *x) { return ls__unary(ctx, LS_OP_SILU, x); }

/* --- SOFTMAX and LOG_SOFTMAX over the last dim (rows of C) --- */

/* log sum exp of a row, with the max subtracted first */
static float ls__row_lse(const float *x, int64_t C) {
    float m = x[0];
    for (int64_t c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    float s = 0.0f;
    for (int64_t c = 0; c < C; c++) s += expf(x[c] - m);
    return m + logf(s);
}

static void ls__softmax_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    int logsm = n->op == LS_OP_LOG_SOFTMAX;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    LS__PAR_FOR(R, 4 * C)
    for (int64_t r = 0; r < R; r++) {
        float lse = ls__row_lse(x + r * C, C);
        for (int64_t c = 0; c < C; c++) y[r * C + c] = logsm ? x[r * C + c] - lse : expf(x[r * C + c] - lse);
    }
}

/* softmax: dx = y (dy - sum(dy y)) */
static void ls__softmax_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    const float *y = n->out->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    if (!dx) return;
    LS__PAR_FOR(R, 3 * C)
    for (int64_t r = 0; r < R; r++) {
        const float *yr = y + r * C, *dyr = dy + r * C;
        float dot = 0.0f;
        for (int64_t c = 0; c < C; c++) dot += dyr[c] * yr[c];
        for (int64_t c = 0; c < C; c++) dx[r * C + c] += yr[c] * (dyr[c] - dot);
    }
}

static void ls__log_softmax_forward(ls_ctx *ctx, ls_node *n) { ls__softmax_forward(ctx, n); }

/* log-softmax: dx = dy - exp(y) sum(dy) */
static void ls__log_softmax_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    const float *y = n->out->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    if (!dx) return;
    LS__PAR_FOR(R, 3 * C)
    for (int64_t r = 0; r < R; r++) {
        float s = 0.0f;
        for (int64_t c = 0; c < C; c++) s += dy[r * C + c];
        for (int64_t c = 0; c < C; c++) dx[r * C + c] += dy[r * C + c] - expf(y[r * C + c]) * s;
    }
}

static ls_tensor *ls__softmax_op(ls_ctx *ctx, int op, ls_tensor *x) {
    if (!x) return NULL;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, op, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

LS_API ls_tensor *ls_softmax(ls_ctx *ctx, ls_tensor *x) { return ls__softmax_op(ctx, LS_OP_SOFTMAX, x); }
LS_API ls_tensor *ls_log_softmax(ls_ctx *ctx, ls_tensor *x) { return ls__softmax_op(ctx, LS_OP_LOG_SOFTMAX, x); }

/* --- CROSS_ENTROPY: loss = mean over kept rows of (lse(x_r) - x_r[t_r]).
   saved[0] = per-row lse (R); ids = targets; i[0] = ignore index; i[1] = kept rows --- */

static void ls__cross_entropy_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0];
    int64_t V = x->d[x->nd - 1], R = x->n / V, ign = n->i[0];
    float *lse = n->saved[0];
    const int32_t *t = n->ids;
    LS__PAR_FOR(R, 2 * V)
    for (int64_t r = 0; r < R; r++) lse[r] = t[r] == ign ? 0.0f : ls__row_lse(x->x + r * V, V);
    double total = 0.0;
    for (int64_t r = 0; r < R; r++)
        if (t[r] != ign) total += (double)lse[r] - (double)x->x[r * V + t[r]];
    n->out->x[0] = n->i[1] ? (float)(total / (double)n->i[1]) : 0.0f;
}

/* d logits = dloss / kept * (softmax - onehot(target)) on kept rows */
static void ls__cross_entropy_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0];
    float *dx = ls__grad(x);
    if (!dx || !n->i[1]) return;
    int64_t V = x->d[x->nd - 1], R = x->n / V, ign = n->i[0];
    float g = n->out->g[0] / (float)n->i[1];
    const float *lse = n->saved[0];
    const int32_t *t = n->ids;
    LS__PAR_FOR(R, 2 * V)
    for (int64_t r = 0; r < R; r++) {
        if (t[r] == ign) continue;
        for (int64_t c = 0; c < V; c++) dx[r * V + c] += g * expf(x->x[r * V + c] - lse[r]);
        dx[r * V + t[r]] -= g;
    }
}

LS_API ls_tensor *ls_cross_entropy(ls_ctx *ctx, ls_tensor *logits, const int32_t *targets, int ignore_index) {
    if (!logits) return NULL;
    int64_t V = logits->d[logits->nd - 1], R = logits->n / V, kept = 0;
    for (int64_t r = 0; r < R; r++) {
        if (targets[r] == ignore_index) continue;
        if (targets[r] < 0 || targets[r] >= V)
            return ls__fail(ctx, "ls_cross_entropy: target %d at row %lld is outside [0, %lld) for logits %s",
                            (int)targets[r], (long long)r, (long long)V, ls__shp(logits));
        kept++;
    }
    ls_tensor *out = ls__out(ctx, ls_shape1(1));
    ls_node *n = ls__record(ctx, LS_OP_CROSS_ENTROPY, out, 1, logits, NULL, NULL, NULL);
    n->ids = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)R * sizeof(int32_t));
    memcpy(n->ids, targets, (size_t)R * sizeof(int32_t));
    n->saved[0] = ls__floats(ctx, R);
    n->i[0] = ignore_index; n->i[1] = kept;
    ls__run(ctx, n);
    return out;
}

/* --- L1_LOSS and MSE_LOSS: mean over counted elements. i[0] = counted, i[1] = 1 for MSE --- */

static void ls__regression_forward(ls_ctx *ctx, ls_node *n) {
    const float *p = n->in[0]->x, *t = n->in[1]->x, *m = n->in[2] ? n->in[2]->x : NULL;
    int64_t N = n->in[0]->n;
    int mse = n->op == LS_OP_MSE_LOSS;
    float *e = ls__floats(ctx, N);
    LS__PAR_FOR(N, 2)
    for (int64_t i = 0; i < N; i++) {
        float d = p[i] - t[i];
        e[i] = (m && m[i] == 0.0f) ? 0.0f : mse ? d * d : fabsf(d);
    }
    n->out->x[0] = n->i[0] ? (float)(ls__sum_fixed(e, N) / (double)n->i[0]) : 0.0f;
}

static void ls__regression_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    if (!n->i[0]) return;
    const float *p = n->in[0]->x, *t = n->in[1]->x, *m = n->in[2] ? n->in[2]->x : NULL;
    float *dp = ls__grad(n->in[0]), *dt = ls__grad(n->in[1]);
    int64_t N = n->in[0]->n;
    int mse = n->op == LS_OP_MSE_LOSS;
    float g = n->out->g[0] / (float)n->i[0];
    LS__PAR_FOR(N, 2)
    for (int64_t i = 0; i < N; i++) {
        if (m && m[i] == 0.0f) continue;
        float d = p[i] - t[i];
        float v = mse ? 2.0f * d * g : (d > 0.0f ? g : d < 0.0f ? -g : 0.0f);
        if (dp) dp[i] += v;
        if (dt) dt[i] -= v;
    }
}

static void ls__l1_loss_forward(ls_ctx *ctx, ls_node *n) { ls__regression_forward(ctx, n); }
static void ls__l1_loss_backward(ls_ctx *ctx, ls_node *n) { ls__regression_backward(ctx, n); }
static void ls__mse_loss_forward(ls_ctx *ctx, ls_node *n) { ls__regression_forward(ctx, n); }
static void ls__mse_loss_backward(ls_ctx *ctx, ls_node *n) { ls__regression_backward(ctx, n); }

static ls_tensor *ls__regression(ls_ctx *ctx, int op, const char *name, ls_tensor *p, ls_tensor *t, ls_tensor *m) {
    if (!p || !t) return NULL;
    if (p->n != t->n || p->nd != t->nd || (m && m->n != p->n))
        return ls__fail(ctx, "%s: pred %s, target %s and mask %s must have one shape", name, ls__shp(p),
                        ls__shp(t), m ? ls__shp(m) : "none");
    int64_t counted = p->n;
    if (m) { counted = 0; for (int64_t i = 0; i < m->n; i++) counted += m->x[i] != 0.0f; }
    ls_tensor *out = ls__out(ctx, ls_shape1(1));
    ls_node *n = ls__record(ctx, op, out, 3, p, t, m, NULL);
    n->i[0] = counted;
    ls__run(ctx, n);
    return out;
}

LS_API ls_tensor *ls_l1_loss(ls_ctx *ctx, ls_tensor *pred, ls_tensor *target, ls_tensor *mask) {
    return ls__regression(ctx, LS_OP_L1_LOSS, "ls_l1_loss", pred, target, mask);
}
LS_API ls_tensor *ls_mse_loss(ls_ctx *ctx, ls_tensor *pred, ls_tensor *target, ls_tensor *mask) {
    return ls__regression(ctx, LS_OP_MSE_LOSS, "ls_mse_loss", pred, target, mask);
}

/* --- LAYERNORM over the last dim: y = (x - mu) r gamma + beta, r = 1/sqrt(var + eps).
   saved[0] = mu (R), saved[1] = r (R); f[0] = eps --- */

static void ls__layernorm_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1], *bt = n->in[2];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    float *y = n->out->x, *mu = n->saved[0], *rs = n->saved[1], eps = n->f[0];
    LS__PAR_FOR(R, 4 * C)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x->x + r * C;
        float m = 0.0f, v = 0.0f;
        for (int64_t c = 0; c < C; c++) m += xr[c];
        m /= (float)C;
        for (int64_t c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
        float s = 1.0f / sqrtf(v / (float)C + eps);
        mu[r] = m; rs[r] = s;
        float *yr = y + r * C;
        for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] - m) * s * gm->x[c] + (bt ? bt->x[c] : 0.0f);
    }
}

/* dx = r (g - mean(g) - xhat mean(g xhat)) with g = dy gamma; dgamma = sum dy xhat; dbeta = sum dy */
static void ls__layernorm_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1], *bt = n->in[2];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    const float *dy = n->out->g, *mu = n->saved[0], *rs = n->saved[1];
    float *dx = ls__grad(x), *dg = ls__grad(gm), *db = ls__grad(bt);
    if (dx) {
        LS__PAR_FOR(R, 6 * C)
        for (int64_t r = 0; r < R; r++) {
            const float *xr = x->x + r * C, *dyr = dy + r * C;
            float mg = 0.0f, mgx = 0.0f;
            for (int64_t c = 0; c < C; c++) {
                float g = dyr[c] * gm->x[c], xh = (xr[c] - mu[r]) * rs[r];
                mg += g; mgx += g * xh;
            }
            mg /= (float)C; mgx /= (float)C;
            for (int64_t c = 0; c < C; c++) {
                float g = dyr[c] * gm->x[c], xh = (xr[c] - mu[r]) * rs[r];
                dx[r * C + c] += rs[r] * (g - mg - xh * mgx);
            }
        }
    }
    if (dg || db) {
        int64_t nb = (C + 15) / 16;
        LS__PAR_FOR(nb, (double)R * 32)
        for (int64_t blk = 0; blk < nb; blk++) {
            int64_t c0 = blk * 16, c1 = c0 + 16 < C ? c0 + 16 : C;
            float ag[16] = {0}, ab[16] = {0};
            for (int64_t r = 0; r < R; r++)
                for (int64_t c = c0; c < c1; c++) {
                    float d = dy[r * C + c];
                    ag[c - c0] += d * (x->x[r * C + c] - mu[r]) * rs[r];
                    ab[c - c0] += d;
                }
            for (int64_t c = c0; c < c1; c++) {
                if (dg) dg[c] += ag[c - c0];
                if (db) db[c] += ab[c - c0];
            }
        }
    }
}

LS_API ls_tensor *ls_layernorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *gamma, ls_tensor *beta, float eps) {
    if (!x || !gamma) return NULL;
    int64_t C = x->d[x->nd - 1];
    if (gamma->n != C || gamma->nd != 1 || (beta && (beta->n != C || beta->nd != 1)))
        return ls__fail(ctx, "ls_layernorm: x %s needs gamma and beta (%lld), got %s and %s", ls__shp(x),
                        (long long)C, ls__shp(gamma), beta ? ls__shp(beta) : "none");
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_LAYERNORM, out, 3, x, gamma, beta, NULL);
    n->saved[0] = ls__floats(ctx, x->n / C);
    n->saved[1] = ls__floats(ctx, x->n / C);
    n->f[0] = eps;
    ls__run(ctx, n);
    return out;
}

/* --- RMSNORM: y = x r gamma, r = 1/sqrt(mean(x^2) + eps). saved[0] = r (R); f[0] = eps --- */

static void ls__rmsnorm_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    float *y = n->out->x, *rs = n->saved[0];
    LS__PAR_FOR(R, 3 * C)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x->x + r * C;
        float ss = 0.0f;
        for (int64_t c = 0; c < C; c++) ss += xr[c] * xr[c];
        float s = 1.0f / sqrtf(ss / (float)C + n->f[0]);
        rs[r] = s;
        for (int64_t c = 0; c < C; c++) y[r * C + c] = xr[c] * s * gm->x[c];
    }
}

/* dx = r g - x r^3 mean(g x) with g = dy gamma; dgamma = sum dy x r */
static void ls__rmsnorm_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    const float *dy = n->out->g, *rs = n->saved[0];
    float *dx = ls__grad(x), *dg = ls__grad(gm);
    if (dx) {
        LS__PAR_FOR(R, 5 * C)
        for (int64_t r = 0; r < R; r++) {
            const float *xr = x->x + r * C, *dyr = dy + r * C;
            float mgx = 0.0f;
            for (int64_t c = 0; c < C; c++) mgx += dyr[c] * gm->x[c] * xr[c];
            mgx /= (float)C;
            float s = rs[r], s3 = s * s * s;
            for (int64_t c = 0; c < C; c++) dx[r * C + c] += s * dyr[c] * gm->x[c] - xr[c] * s3 * mgx;
        }
    }
    if (dg) {
        int64_t nb = (C + 15) / 16;
        LS__PAR_FOR(nb, (double)R * 16)
        for (int64_t blk = 0; blk < nb; blk++) {
            int64_t c0 = blk * 16, c1 = c0 + 16 < C ? c0 + 16 : C;
            float ag[16] = {0};
            for (int64_t r = 0; r < R; r++)
                for (int64_t c = c0; c < c1; c++) ag[c - c0] += dy[r * C + c] * x->x[r * C + c] * rs[r];
            for (int64_t c = c0; c < c1; c++) dg[c] += ag[c - c0];
        }
    }
}

LS_API ls_tensor *ls_rmsnorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *gamma, float eps) {
    if (!x || !gamma) return NULL;
    int64_t C = x->d[x->nd - 1];
    if (gamma->n != C || gamma->nd != 1)
        return ls__fail(ctx, "ls_rmsnorm: x %s needs gamma (%lld), got %s", ls__shp(x), (long long)C, ls__shp(gamma));
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_RMSNORM, out, 2, x, gamma, NULL, NULL);
    n->saved[0] = ls__floats(ctx, x->n / C);
    n->f[0] = eps;
    ls__run(ctx, n);
    return out;
}

/* --- DROPOUT: keep element i when hash(key, i) >= p; kept values scaled by 1/(1-p).
   The mask is recomputed from the key in backward, so nothing is stored. i[0] = key; f[0] = p --- */

static int ls__keep(uint64_t key, int64_t i, float p) {
    return (float)(ls_hash64(key + (uint64_t)i) >> 40) * (1.0f / 16777216.0f) >= p;
}

static void ls__dropout_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x, p = n->f[0], s = 1.0f / (1.0f - p);
    uint64_t key = (uint64_t)n->i[0];
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) y[i] = ls__keep(key, i, p) ? x[i] * s : 0.0f;
}

static void ls__dropout_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]), p = n->f[0], s = 1.0f / (1.0f - p);
    const float *dy = n->out->g;
    uint64_t key = (uint64_t)n->i[0];
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) if (ls__keep(key, i, p)) dx[i] += dy[i] * s;
}

LS_API ls_tensor *ls_dropout(ls_ctx *ctx, ls_tensor *x, float p) {
    if (!x) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) return ls__fail(ctx, "ls_dropout: p = %g must be in [0, 1)", (double)p);
    if (!ctx->training || p == 0.0f) return x;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_DROPOUT, out, 1, x, NULL, NULL, NULL);
    n->i[0] = (int64_t)ls_hash64(ctx->seed * 0x9E3779B97F4A7C15ull + LS_STREAM_DROPOUT + (ctx->calls++ << 8));
    n->f[0] = p;
    ls__run(ctx, n);
    return out;
}

/* --- RESHAPE: the output shares the input's values; gradients are added back --- */

static void ls__reshape_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; n->out->x = n->in[0]->x; }

static void ls__reshape_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]);
    if (dx) ls__add_into(dx, n->out->g, n->out->n);
}

LS_API ls_tensor *ls_reshape(ls_ctx *ctx, ls_tensor *x, ls_shape s) {
    if (!x) return NULL;
    int64_t known = 1;
    int infer = -1;
    for (int i = 0; i < s.nd; i++) {
        if (s.d[i] == -1 && infer < 0) infer = i;
        else known *= s.d[i];
    }
    if (infer >= 0 && known > 0 && x->n % known == 0) s.d[infer] = x->n / known;
    char want[64];
    ls_shape_str(s, want, sizeof want);
    if (!ls__shape_ok(s) || ls_shape_numel(s) != x->n)
        return ls__fail(ctx, "ls_reshape: x %s (%lld elements) cannot be viewed as %s", ls__shp(x), (long long)x->n, want);
    ls_tensor *out = (ls_tensor *)ls_arena_alloc(&ctx->arena, sizeof *out);
    memset(out, 0, sizeof *out);
    ls__set_shape(out, s);
    ls_node *n = ls__record(ctx, LS_OP_RESHAPE, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

/* --- TRANSPOSE two dims. Both tensors padded to 4 dims; i[0], i[1] = the 4-d dims swapped --- */

/* out[o] = in[perm(o)] (fwd) or din[perm(o)] += dout[o] (bwd); a permutation, so each element of
   the destination is touched once and rows can go in parallel */
static void ls__transpose_run(const ls_tensor *in, const ls_tensor *out, int a, int b, const float *src,
                              float *dst, int backward) {
    int64_t id[4], st[4], od[4], s = 1;
    for (int k = 0; k < 4; k++) { int j = k - (4 - in->nd); id[k] = j >= 0 ? in->d[j] : 1; }
    for (int k = 3; k >= 0; k--) { st[k] = s; s *= id[k]; }
    int64_t ps[4];   /* stride in the input of each output dim */
    for (int k = 0; k < 4; k++) { od[k] = id[k]; ps[k] = st[k]; }
    od[a] = id[b]; od[b] = id[a]; ps[a] = st[b]; ps[b] = st[a];
    int64_t rows = od[0] * od[1] * od[2], C = od[3];
    (void)out;
    LS__PAR_FOR(rows, C)
    for (int64_t r = 0; r < rows; r++) {
        int64_t o0 = r / (od[1] * od[2]), o1 = (r / od[2]) % od[1], o2 = r % od[2];
        int64_t base = o0 * ps[0] + o1 * ps[1] + o2 * ps[2];
        if (!backward) for (int64_t c = 0; c < C; c++) dst[r * C + c] = src[base + c * ps[3]];
        else for (int64_t c = 0; c < C; c++) dst[base + c * ps[3]] += src[r * C + c];
    }
}

static void ls__transpose_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    ls__transpose_run(n->in[0], n->out, (int)n->i[0], (int)n->i[1], n->in[0]->x, n->out->x, 0);
}

static void ls__transpose_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]);
    if (dx) ls__transpose_run(n->in[0], n->out, (int)n->i[0], (int)n->i[1], n->out->g, dx, 1);
}

LS_API ls_tensor *ls_transpose(ls_ctx *ctx, ls_tensor *x, int d0, int d1) {
    if (!x) return NULL;
    if (d0 < 0) d0 += x->nd;
    if (d1 < 0) d1 += x->nd;
    if (d0 < 0 || d1 < 0 || d0 >= x->nd || d1 >= x->nd)
        return ls__fail(ctx, "ls_transpose: dims %d, %d out of range for x %s", d0, d1, ls__shp(x));
    ls_shape s = ls_tensor_shape(x);
    s.d[d0] = x->d[d1]; s.d[d1] = x->d[d0];
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_TRANSPOSE, out, 1, x, NULL, NULL, NULL);
    n->i[0] = d0 + (4 - x->nd); n->i[1] = d1 + (4 - x->nd);
    ls__run(ctx, n);
    return out;
}

/* --- CONCAT along dim: rows of (outer, inner_a | inner_b). i[0] = outer, i[1] = inner_a, i[2] = inner_b --- */

static void ls__concat_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t outer = n->i[0], ia = n->i[1], ib = n->i[2];
    float *y = n->out->x;
    LS__PAR_FOR(outer, ia + ib)
    for (int64_t o = 0; o < outer; o++) {
        memcpy(y + o * (ia + ib), n->in[0]->x + o * ia, (size_t)ia * sizeof(float));
        memcpy(y + o * (ia + ib) + ia, n->in[1]->x + o * ib, (size_t)ib * sizeof(float));
    }
}

static void ls__concat_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t outer = n->i[0], ia = n->i[1], ib = n->i[2];
    float *da = ls__grad(n->in[0]), *db = ls__grad(n->in[1]);
    const float *dy = n->out->g;
    LS__PAR_FOR(outer, ia + ib)
    for (int64_t o = 0; o < outer; o++) {
        if (da) for (int64_t k = 0; k < ia; k++) da[o * ia + k] += dy[o * (ia + ib) + k];
        if (db) for (int64_t k = 0; k < ib; k++) db[o * ib + k] += dy[o * (ia + ib) + ia + k];
    }
}

LS_API ls_tensor *ls_concat(ls_ctx *ctx, ls_tensor *a, ls_tensor *b, int dim) {
    if (!a || !b) return NULL;
    if (dim < 0) dim += a->nd;
    int ok = a->nd == b->nd && dim >= 0 && dim < a->nd;
    for (int k = 0; ok && k < a->nd; k++) if (k != dim && a->d[k] != b->d[k]) ok = 0;
    if (!ok) return ls__fail(ctx, "ls_concat: a %s and b %s differ outside dim %d", ls__shp(a), ls__shp(b), dim);
    ls_shape s = ls_tensor_shape(a);
    s.d[dim] = a->d[dim] + b->d[dim];
    int64_t outer = 1;
    for (int k = 0; k < dim; k++) outer *= a->d[k];
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_CONCAT, out, 2, a, b, NULL, NULL);
    n->i[0] = outer; n->i[1] = a->n / outer; n->i[2] = b->n / outer;
    ls__run(ctx, n);
    return out;
}

/* --- SLICE [start, start+len) along dim. i[0] = outer, i[1] = input row, i[2] = offset, i[3] = output row --- */

static void ls__slice_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t outer = n->i[0], rin = n->i[1], off = n->i[2], rout = n->i[3];
    LS__PAR_FOR(outer, rout)
    for (int64_t o = 0; o < outer; o++)
        memcpy(n->out->x + o * rout, n->in[0]->x + o * rin + off, (size_t)rout * sizeof(float));
}

static void ls__slice_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t outer = n->i[0], rin = n->i[1], off = n->i[2], rout = n->i[3];
    float *dx = ls__grad(n->in[0]);
    if (!dx) return;
    LS__PAR_FOR(outer, rout)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < rout; k++) dx[o * rin + off + k] += n->out->g[o * rout + k];
}

LS_API ls_tensor *ls_slice(ls_ctx *ctx, ls_tensor *x, int dim, int64_t start, int64_t len) {
    if (!x) return NULL;
    if (dim < 0) dim += x->nd;
    if (dim < 0 || dim >= x->nd || start < 0 || len < 1 || start + len > x->d[dim])
        return ls__fail(ctx, "ls_slice: [%lld, %lld) along dim %d is outside x %s", (long long)start,
                        (long long)(start + len), dim, ls__shp(x));
    ls_shape s = ls_tensor_shape(x);
    s.d[dim] = len;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < dim; k++) outer *= x->d[k];
    for (int k = dim + 1; k < x->nd; k++) inner *= x->d[k];
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_SLICE, out, 1, x, NULL, NULL, NULL);
    n->i[0] = outer; n->i[1] = x->d[dim] * inner; n->i[2] = start * inner; n->i[3] = len * inner;
    ls__run(ctx, n);
    return out;
}

/* --- POOL (B, T, C) -> (B, C) over each valid prefix. ids = lengths (B) then, for max, the arg-max
   time of each (b, c) (B*C). i[0] = mode --- */

static void ls__pool_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0];
    int64_t B = x->d[0], T = x->d[1], C = x->d[2];
    const int32_t *len = n->ids;
    int32_t *arg = n->ids + B;
    float *y = n->out->x;
    LS__PAR_FOR(B, (double)T * C)
    for (int64_t b = 0; b < B; b++) {
        int64_t L = len[b];
        const float *xb = x->x + b * T * C;
        float *yb = y + b * C;
        if (n->i[0] == LS_POOL_LAST) { memcpy(yb, xb + (L - 1) * C, (size_t)C * sizeof(float)); continue; }
        if (n->i[0] == LS_POOL_MEAN) {
            for (int64_t c = 0; c < C; c++) yb[c] = 0.0f;
            for (int64_t t = 0; t < L; t++) for (int64_t c = 0; c < C; c++) yb[c] += xb[t * C + c];
            for (int64_t c = 0; c < C; c++) yb[c] /= (float)L;
            continue;
        }
        for (int64_t c = 0; c < C; c++) { yb[c] = xb[c]; arg[b * C + c] = 0; }
        for (int64_t t = 1; t < L; t++)
            for (int64_t c = 0; c < C; c++)
                if (xb[t * C + c] > yb[c]) { yb[c] = xb[t * C + c]; arg[b * C + c] = (int32_t)t; }
    }
}

static void ls__pool_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0];
    float *dx = ls__grad(x);
    if (!dx) return;
    int64_t B = x->d[0], T = x->d[1], C = x->d[2];
    const int32_t *len = n->ids, *arg = n->ids + B;
    const float *dy = n->out->g;
    LS__PAR_FOR(B, (double)T * C)
    for (int64_t b = 0; b < B; b++) {
        int64_t L = len[b];
        float *dxb = dx + b * T * C;
        const float *dyb = dy + b * C;
        if (n->i[0] == LS_POOL_LAST) for (int64_t c = 0; c < C; c++) dxb[(L - 1) * C + c] += dyb[c];
        else if (n->i[0] == LS_POOL_MEAN)
            for (int64_t t = 0; t < L; t++) for (int64_t c = 0; c < C; c++) dxb[t * C + c] += dyb[c] / (float)L;
        else for (int64_t c = 0; c < C; c++) dxb[(int64_t)arg[b * C + c] * C + c] += dyb[c];
    }
}

LS_API ls_tensor *ls_pool(ls_ctx *ctx, ls_tensor *x, const int32_t *lengths, int mode) {
    if (!x) return NULL;
    if (x->nd != 3 || mode < LS_POOL_MEAN || mode > LS_POOL_LAST)
        return ls__fail(ctx, "ls_pool: x %s must be (B, T, C) and mode %d one of LS_POOL_*", ls__shp(x), mode);
    int64_t B = x->d[0], T = x->d[1], C = x->d[2];
    for (int64_t b = 0; lengths && b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            return ls__fail(ctx, "ls_pool: length %d of batch row %lld is outside [1, %lld]", (int)lengths[b],
                            (long long)b, (long long)T);
    ls_tensor *out = ls__out(ctx, ls_shape2(B, C));
    ls_node *n = ls__record(ctx, LS_OP_POOL, out, 1, x, NULL, NULL, NULL);
    n->ids = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)(B + B * C) * sizeof(int32_t));
    for (int64_t b = 0; b < B; b++) n->ids[b] = lengths ? lengths[b] : (int32_t)T;
    n->i[0] = mode;
    ls__run(ctx, n);
    return out;
}

/* --- SUM of all elements -> (1), in double over fixed chunks --- */

static void ls__sum_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    n->out->x[0] = (float)ls__sum_fixed(n->in[0]->x, n->in[0]->n);
}

static void ls__sum_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]), g = n->out->g[0];
    int64_t N = n->in[0]->n;
    if (!dx) return;
    LS__PAR_FOR(N, 1)
    for (int64_t i = 0; i < N; i++) dx[i] += g;
}

LS_API ls_tensor *ls_sum(ls_ctx *ctx, ls_tensor *x) {
    if (!x) return NULL;
    ls_tensor *out = ls__out(ctx, ls_shape1(1));
    ls_node *n = ls__record(ctx, LS_OP_SUM, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

/* ---------------------------------------------------------------------------------------------
   the op table and the reverse pass
   --------------------------------------------------------------------------------------------- */

LS_API const char *ls_op_name(int op) { return op >= 0 && op < LS_OP_COUNT ? ls__op_names[op] : "?"; }

static void ls__ensure_grad(ls_ctx *ctx, ls_tensor *t) {
    if (t && (t->flags & LS_NEEDS_GRAD) && !t->g) t->g = ls__zeros(ctx, t->n);
}

LS_API int ls_backward_from(ls_ctx *ctx, ls_tensor *out, const float *dout) {
    if (!out) {
        if (!ctx->failed) ls__fail(ctx, "ls_backward: no output (an op before it failed without a message)");
        return -1;
    }
    if (!(out->flags & LS_NEEDS_GRAD)) {
        ls__fail(ctx, "ls_backward: the output %s does not depend on anything that needs a gradient", ls__shp(out));
        return -1;
    }
    for (ls_node *n = ctx->last; n; n = n->prev) {
        ls__ensure_grad(ctx, n->out);
        for (int i = 0; i < n->n_in; i++) ls__ensure_grad(ctx, n->in[i]);
    }
    for (int64_t i = 0; i < out->n; i++) out->g[i] += dout[i];
    for (ls_node *n = ctx->last; n; n = n->prev) ls__op_backward[n->op](ctx, n);
    return 0;
}

LS_API int ls_backward(ls_ctx *ctx, ls_tensor *loss) {
    if (loss && loss->n != 1) {
        ls__fail(ctx, "ls_backward: the loss must be a scalar, got %s", ls__shp(loss));
        return -1;
    }
    const float one = 1.0f;
    return ls_backward_from(ctx, loss, &one);
}

/* --- SIGMOID: y = 1/(1 + e^-x); dx = dy y (1 - y) --- */

static void ls__sigmoid_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void ls__sigmoid_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *y = n->out->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 2)
    for (int64_t i = 0; i < N; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

LS_API ls_tensor *ls_sigmoid(ls_ctx *ctx, ls_tensor *x) {
    if (!x) return NULL;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_SIGMOID, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

/* --- ROPE: y = R(pos(t) theta) x on channel pairs; the inverse rotation carries the gradient back.
   saved[0] = cos table (T, D/2), saved[1] = sin table (T, D/2); i[0] = H --- */

static void ls__rope_apply(const ls_node *n, const float *src, float *dst, float sign, int accumulate) {
    const ls_tensor *x = n->in[0];
    int64_t B = x->d[0], T = x->d[1], H = n->i[0], D = x->d[2] / H, D2 = D / 2;
    const float *cs = n->saved[0], *sn = n->saved[1];
    LS__PAR_FOR(B * T, 4 * H * D)
    for (int64_t bt = 0; bt < B * T; bt++) {
        int64_t t = bt % T;
        const float *c = cs + t * D2, *s = sn + t * D2;
        for (int64_t h = 0; h < H; h++) {
            const float *a = src + (bt * H + h) * D;
            float *o = dst + (bt * H + h) * D;
            for (int64_t i = 0; i < D2; i++) {
                float x0 = a[2 * i], x1 = a[2 * i + 1], si = sign * s[i];
                float y0 = x0 * c[i] - x1 * si, y1 = x0 * si + x1 * c[i];
                if (accumulate) { o[2 * i] += y0; o[2 * i + 1] += y1; }
                else { o[2 * i] = y0; o[2 * i + 1] = y1; }
            }
        }
    }
}

static void ls__rope_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; ls__rope_apply(n, n->in[0]->x, n->out->x, 1.0f, 0); }

static void ls__rope_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    float *dx = ls__grad(n->in[0]);
    if (dx) ls__rope_apply(n, n->out->g, dx, -1.0f, 1);
}

LS_API ls_tensor *ls_rope(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float pos_scale, float pos_offset) {
    if (!x) return NULL;
    if (x->nd != 3 || H < 1 || x->d[2] % H || (x->d[2] / H) % 2)
        return ls__fail(ctx, "ls_rope: x %s must be (B, T, H*D) with H = %lld heads of even size", ls__shp(x), (long long)H);
    int64_t T = x->d[1], D2 = x->d[2] / H / 2;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_ROPE, out, 1, x, NULL, NULL, NULL);
    n->i[0] = H;
    n->saved[0] = ls__floats(ctx, T * D2);
    n->saved[1] = ls__floats(ctx, T * D2);
    for (int64_t t = 0; t < T; t++)
        for (int64_t i = 0; i < D2; i++) {
            double ang = ((double)pos_scale * (double)t + (double)pos_offset) * (double)theta[i];
            n->saved[0][t * D2 + i] = (float)cos(ang);
            n->saved[1][t * D2 + i] = (float)sin(ang);
        }
    ls__run(ctx, n);
    return out;
}

LS_API void ls_rope_theta(float *theta, int64_t D, float base, int kind, float s, int64_t L_train, float alpha, float beta) {
    double b = base;
    if (kind == LS_ROPE_NTK && s > 1.0f) b *= pow((double)s, (double)D / (double)(D - 2));
    for (int64_t i = 0; i < D / 2; i++) {
        double th = pow(b, -2.0 * (double)i / (double)D);
        if (kind == LS_ROPE_YARN && s > 1.0f) {
            double r = (double)L_train * th / 6.283185307179586, g;
            g = r < alpha ? 0.0 : r > beta ? 1.0 : (r - alpha) / (beta - alpha);
            th *= g + (1.0 - g) / (double)s;
        }
        theta[i] = (float)th;
    }
}

/* --- L2NORM over groups of D: y = x / r, r = sqrt(sum x^2 + eps); dx = (dy - y (y . dy)) / r.
   saved[0] = r per group; i[0] = D --- */

static void ls__l2norm_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t D = n->i[0], G = n->out->n / D;
    const float *x = n->in[0]->x;
    float *y = n->out->x, *r = n->saved[0];
    LS__PAR_FOR(G, 3 * D)
    for (int64_t g = 0; g < G; g++) {
        float ss = 0.0f;
        for (int64_t c = 0; c < D; c++) ss += x[g * D + c] * x[g * D + c];
        r[g] = sqrtf(ss + n->f[0]);
        for (int64_t c = 0; c < D; c++) y[g * D + c] = x[g * D + c] / r[g];
    }
}

static void ls__l2norm_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t D = n->i[0], G = n->out->n / D;
    const float *y = n->out->x, *dy = n->out->g, *r = n->saved[0];
    float *dx = ls__grad(n->in[0]);
    if (!dx) return;
    LS__PAR_FOR(G, 4 * D)
    for (int64_t g = 0; g < G; g++) {
        float dot = 0.0f;
        for (int64_t c = 0; c < D; c++) dot += y[g * D + c] * dy[g * D + c];
        for (int64_t c = 0; c < D; c++) dx[g * D + c] += (dy[g * D + c] - y[g * D + c] * dot) / r[g];
    }
}

LS_API ls_tensor *ls_l2norm(ls_ctx *ctx, ls_tensor *x, int64_t D, float eps) {
    if (!x) return NULL;
    if (D < 1 || x->d[x->nd - 1] % D)
        return ls__fail(ctx, "ls_l2norm: last dim of x %s is not a multiple of the group size %lld", ls__shp(x), (long long)D);
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_L2NORM, out, 1, x, NULL, NULL, NULL);
    n->i[0] = D; n->f[0] = eps;
    n->saved[0] = ls__floats(ctx, x->n / D);
    ls__run(ctx, n);
    return out;
}

/* --- LINEAR_ATTENTION. Per (batch, head), a scan over time with a D x D state S and a D vector z.
   Backward (a_i = phi(q_i), den_i = a_i . z_i, o_i = S_i^T a_i / den_i):
     dn_i = do_i / den_i, dden_i = -(do_i . o_i) / den_i,
     d a_i = S_i dn_i + z_i dden_i                       (a forward scan rebuilds S_i, z_i)
     G_j = sum_{i >= j} a_i dn_i^T, g_j = sum_{i >= j} a_i dden_i   (a reverse scan; all i when not causal)
     d phi(k_j) = G_j v_j + g_j, dv_j = G_j^T phi(k_j).
   Nothing is saved: both scans recompute phi. i[0] = H, i[1] = causal --- */

static float ls__phi(float x) { return x > 0.0f ? x + 1.0f : expf(x); }
static float ls__dphi(float x) { return x > 0.0f ? 1.0f : expf(x); }

static void ls__linear_attention_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
    int64_t B = q->d[0], T = q->d[1], H = n->i[0], D = q->d[2] / H, HD = H * D;
    int causal = (int)n->i[1];
    float *o = n->out->x;
    LS__PAR_FOR(B * H, (double)T * D * D * 4)
    for (int64_t bh = 0; bh < B * H; bh++) {
        int64_t b = bh / H, h = bh % H;
        float *S = (float *)ls__xmalloc((size_t)(D * D + 2 * D) * sizeof(float)), *z = S + D * D, *a = z + D;
        memset(S, 0, (size_t)(D * D + D) * sizeof(float));
        if (!causal)   /* totals first */
            for (int64_t t = 0; t < T; t++) {
                const float *kt = k->x + (b * T + t) * HD + h * D, *vt = v->x + (b * T + t) * HD + h * D;
                for (int64_t c = 0; c < D; c++) {
                    float f = ls__phi(kt[c]);
                    z[c] += f;
                    for (int64_t e = 0; e < D; e++) S[c * D + e] += f * vt[e];
                }
            }
        for (int64_t t = 0; t < T; t++) {
            const float *qt = q->x + (b * T + t) * HD + h * D;
            if (causal) {
                const float *kt = k->x + (b * T + t) * HD + h * D, *vt = v->x + (b * T + t) * HD + h * D;
                for (int64_t c = 0; c < D; c++) {
                    float f = ls__phi(kt[c]);
                    z[c] += f;
                    for (int64_t e = 0; e < D; e++) S[c * D + e] += f * vt[e];
                }
            }
            float den = 0.0f;
            for (int64_t c = 0; c < D; c++) { a[c] = ls__phi(qt[c]); den += a[c] * z[c]; }
            float *ot = o + (b * T + t) * HD + h * D;
            for (int64_t e = 0; e < D; e++) ot[e] = 0.0f;
            for (int64_t c = 0; c < D; c++)
                for (int64_t e = 0; e < D; e++) ot[e] += a[c] * S[c * D + e];
            for (int64_t e = 0; e < D; e++) ot[e] /= den;
        }
        LS_FREE(S);
    }
}

static void ls__linear_attention_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
    int64_t B = q->d[0], T = q->d[1], H = n->i[0], D = q->d[2] / H, HD = H * D;
    int causal = (int)n->i[1];
    const float *o = n->out->x, *dout = n->out->g;
    float *dq = ls__grad(q), *dk = ls__grad(k), *dv = ls__grad(v);
    LS__PAR_FOR(B * H, (double)T * D * D * 8)
    for (int64_t bh = 0; bh < B * H; bh++) {
        int64_t b = bh / H, h = bh % H;
        /* S, z: forward state; G, g: reverse state; dn (T, D) and dden (T) per step */
        float *S = (float *)ls__xmalloc((size_t)(2 * D * D + 3 * D + T * (D + 1)) * sizeof(float));
        float *z = S + D * D, *G = z + D, *gz = G + D * D, *a = gz + D, *dn = a + D, *dden = dn + T * D;
        memset(S, 0, (size_t)(2 * D * D + 2 * D) * sizeof(float));
        for (int64_t pass = 0; pass < (causal ? 1 : 2); pass++) {   /* non-causal: pass 0 builds totals */
            for (int64_t t = 0; t < T; t++) {
                int64_t row = (b * T + t) * HD + h * D;
                if (causal || pass == 0) {
                    for (int64_t c = 0; c < D; c++) {
                        float f = ls__phi(k->x[row + c]);
                        z[c] += f;
                        for (int64_t e = 0; e < D; e++) S[c * D + e] += f * v->x[row + e];
                    }
                    if (!causal) continue;
                }
                float den = 0.0f, dot = 0.0f;
                for (int64_t c = 0; c < D; c++) { a[c] = ls__phi(q->x[row + c]); den += a[c] * z[c]; }
                for (int64_t e = 0; e < D; e++) dot += dout[row + e] * o[row + e];
                for (int64_t e = 0; e < D; e++) dn[t * D + e] = dout[row + e] / den;
                dden[t] = -dot / den;
                if (dq)
                    for (int64_t c = 0; c < D; c++) {
                        float s = z[c] * dden[t];
                        for (int64_t e = 0; e < D; e++) s += S[c * D + e] * dn[t * D + e];
                        dq[row + c] += s * ls__dphi(q->x[row + c]);
                    }
            }
        }
        if (!dk && !dv) { LS_FREE(S); continue; }
        if (!causal)   /* G and g are totals over all queries */
            for (int64_t t = 0; t < T; t++) {
                int64_t row = (b * T + t) * HD + h * D;
                for (int64_t c = 0; c < D; c++) {
                    float ac = ls__phi(q->x[row + c]);
                    gz[c] += ac * dden[t];
                    for (int64_t e = 0; e < D; e++) G[c * D + e] += ac * dn[t * D + e];
                }
            }
        for (int64_t t = T - 1; t >= 0; t--) {
            int64_t row = (b * T + t) * HD + h * D;
            if (causal)
                for (int64_t c = 0; c < D; c++) {
                    float ac = ls__phi(q->x[row + c]);
                    gz[c] += ac * dden[t];
                    for (int64_t e = 0; e < D; e++) G[c * D + e] += ac * dn[t * D + e];
                }
            for (int64_t c = 0; c < D; c++) {
                float f = ls__phi(k->x[row + c]);
                if (dk) {
                    float s = gz[c];
                    for (int64_t e = 0; e < D; e++) s += G[c * D + e] * v->x[row + e];
                    dk[row + c] += s * ls__dphi(k->x[row + c]);
                }
                if (dv) for (int64_t e = 0; e < D; e++) dv[row + e] += f * G[c * D + e];
            }
        }
        LS_FREE(S);
    }
}

LS_API ls_tensor *ls_linear_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, int64_t H, int causal) {
    if (!q || !k || !v) return NULL;
    int ok = q->nd == 3 && k->nd == 3 && v->nd == 3 && H >= 1 && q->d[2] % H == 0;
    for (int i = 0; ok && i < 3; i++) ok = q->d[i] == k->d[i] && q->d[i] == v->d[i];
    if (!ok)
        return ls__fail(ctx, "ls_linear_attention: q %s, k %s, v %s must be one (B, T, H*D) shape with H = %lld",
                        ls__shp(q), ls__shp(k), ls__shp(v), (long long)H);
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(q));
    ls_node *n = ls__record(ctx, LS_OP_LINEAR_ATTENTION, out, 3, q, k, v, NULL);
    n->i[0] = H; n->i[1] = causal;
    ls__run(ctx, n);
    return out;
}

/* ---------------------------------------------------------------------------------------------
   parameters
   --------------------------------------------------------------------------------------------- */

LS_API void ls_params_init(ls_params *P) { memset(P, 0, sizeof *P); }

LS_API ls_tensor *ls_params_find(const ls_params *P, const char *name) {
    for (int i = 0; i < P->nt; i++) if (!strcmp(P->t[i]->name, name)) return P->t[i];
    return NULL;
}

LS_API ls_tensor *ls_param(ls_params *P, const char *name, ls_shape s, int group) {
    LS_ASSERT(ls__shape_ok(s) && group >= 0 && group < LS_MAX_GROUPS && name && *name);
    LS_ASSERT(!ls_params_find(P, name)); /* parameter names are unique: checkpoints go by name */
    int64_t n = ls_shape_numel(s);
    if (P->n + n > P->cap) {   /* grow both buffers, then re-point every view */
        int64_t cap = P->cap ? 2 * P->cap : 4096;
        while (cap < P->n + n) cap *= 2;
        int64_t *off = (int64_t *)ls__xmalloc((size_t)(P->nt + 1) * sizeof(int64_t));
        for (int i = 0; i < P->nt; i++) off[i] = P->t[i]->x - P->x;
        P->x = (float *)ls__xrealloc(P->x, (size_t)cap * sizeof(float));
        P->g = (float *)ls__xrealloc(P->g, (size_t)cap * sizeof(float));
        for (int i = 0; i < P->nt; i++) { P->t[i]->x = P->x + off[i]; P->t[i]->g = P->g + off[i]; }
        LS_FREE(off);
        P->cap = cap;
    }
    if (P->nt == P->cap_t) {
        P->cap_t = P->cap_t ? 2 * P->cap_t : 32;
        P->t = (ls_tensor **)ls__xrealloc(P->t, (size_t)P->cap_t * sizeof(ls_tensor *));
    }
    ls_tensor *t = (ls_tensor *)ls__xmalloc(sizeof *t);
    memset(t, 0, sizeof *t);
    ls__set_shape(t, s);
    t->x = P->x + P->n;
    t->g = P->g + P->n;
    memset(t->x, 0, (size_t)n * sizeof(float));
    memset(t->g, 0, (size_t)n * sizeof(float));
    t->flags = LS_PARAM | LS_NEEDS_GRAD;
    t->group = group;
    size_t len = strlen(name) + 1;
    char *copy = (char *)ls__xmalloc(len);
    memcpy(copy, name, len);
    t->name = copy;
    P->t[P->nt++] = t;
    P->n += n;
    return t;
}

LS_API void ls_params_zero_grad(ls_params *P) {
    if (P->n) memset(P->g, 0, (size_t)P->n * sizeof(float));
}

LS_API void ls_params_free(ls_params *P) {
    for (int i = 0; i < P->nt; i++) { LS_FREE((void *)P->t[i]->name); LS_FREE(P->t[i]); }
    LS_FREE(P->t); LS_FREE(P->x); LS_FREE(P->g);
    memset(P, 0, sizeof *P);
}

LS_API void ls_init_normal(ls_tensor *t, ls_rng *r, float std) {
    for (int64_t i = 0; i < t->n; i++) t->x[i] = std * ls_rng_normal(r);
}

LS_API void ls_init_uniform(ls_tensor *t, ls_rng *r, float lo, float hi) {
    for (int64_t i = 0; i < t->n; i++) t->x[i] = lo + (hi - lo) * ls_rng_float(r);
}

LS_API void ls_fill(ls_tensor *t, float v) {
    for (int64_t i = 0; i < t->n; i++) t->x[i] = v;
}

/* ---------------------------------------------------------------------------------------------
   AdamW, schedules, clipping
   --------------------------------------------------------------------------------------------- */

LS_API void ls_adamw_init(ls_adamw *o, const ls_params *P, float lr, float wd) {
    memset(o, 0, sizeof *o);
    o->beta1 = 0.9f; o->beta2 = 0.999f; o->eps = 1e-8f;
    for (int i = 0; i < LS_MAX_GROUPS; i++) { o->group[i].lr = lr; o->group[i].wd = wd; }
    o->n = P->n;
    o->m = (float *)ls__xmalloc((size_t)(o->n ? o->n : 1) * sizeof(float));
    o->v = (float *)ls__xmalloc((size_t)(o->n ? o->n : 1) * sizeof(float));
    if (o->n) { memset(o->m, 0, (size_t)o->n * sizeof(float)); memset(o->v, 0, (size_t)o->n * sizeof(float)); }
}

/* p <- p - lr wd p; m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; p <- p - lr mhat / (sqrt(vhat) + eps) */
LS_API void ls_adamw_step(ls_adamw *o, ls_params *P, float lr_scale) {
    if (o->n < P->n) {
        o->m = (float *)ls__xrealloc(o->m, (size_t)P->n * sizeof(float));
        o->v = (float *)ls__xrealloc(o->v, (size_t)P->n * sizeof(float));
        memset(o->m + o->n, 0, (size_t)(P->n - o->n) * sizeof(float));
        memset(o->v + o->n, 0, (size_t)(P->n - o->n) * sizeof(float));
        o->n = P->n;
    }
    o->t++;
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    float bc1 = 1.0f - (float)pow(b1, (double)o->t), bc2 = 1.0f - (float)pow(b2, (double)o->t);
    for (int k = 0; k < P->nt; k++) {
        ls_tensor *t = P->t[k];
        int64_t off = t->x - P->x, n = t->n;
        float lr = o->group[t->group].lr * lr_scale, decay = 1.0f - lr * o->group[t->group].wd;
        float *p = t->x, *m = o->m + off, *v = o->v + off;
        const float *g = t->g;
        LS__PAR_FOR(n, 8)
        for (int64_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            p[i] = p[i] * decay - lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + eps);
        }
    }
}

LS_API void ls_adamw_free(ls_adamw *o) { LS_FREE(o->m); LS_FREE(o->v); memset(o, 0, sizeof *o); }

LS_API float ls_schedule(int kind, int64_t step, int64_t warmup, int64_t total) {
    if (step < warmup) return (float)(step + 1) / (float)warmup;
    if (kind == LS_SCHED_CONSTANT || total <= warmup) return 1.0f;
    double prog = (double)(step - warmup) / (double)(total - warmup);
    if (prog > 1.0) prog = 1.0;
    return (float)(0.5 * (1.0 + cos(3.14159265358979323846 * prog)));
}

LS_API double ls_grad_norm(const ls_params *P) {
    int64_t n = P->n, nch = (n + 4095) / 4096;
    if (!n) return 0.0;
    double *part = (double *)ls__xmalloc((size_t)nch * sizeof(double)), total = 0.0;
    LS__PAR_FOR(nch, 4096)
    for (int64_t c = 0; c < nch; c++) {
        int64_t i0 = c * 4096, i1 = i0 + 4096 < n ? i0 + 4096 : n;
        double s = 0.0;
        for (int64_t i = i0; i < i1; i++) s += (double)P->g[i] * P->g[i];
        part[c] = s;
    }
    for (int64_t c = 0; c < nch; c++) total += part[c];
    LS_FREE(part);
    return sqrt(total);
}

LS_API double ls_clip_grad_norm(ls_params *P, double max_norm) {
    double norm = ls_grad_norm(P);
    if (norm > max_norm && norm > 0.0) {
        float s = (float)(max_norm / (norm + 1e-6));
        int64_t n = P->n;
        LS__PAR_FOR(n, 1)
        for (int64_t i = 0; i < n; i++) P->g[i] *= s;
    }
    return norm;
}

/* ---------------------------------------------------------------------------------------------
   checkpoints (format documented at ls_checkpoint_save's declaration)
   --------------------------------------------------------------------------------------------- */

#define LS__CKPT_MAGIC "LSCKPT\r\n"
#define LS__CKPT_VERSION 1u

typedef struct ls__buf { unsigned char *p; size_t n, cap; } ls__buf;

static void ls__put(ls__buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        b->p = (unsigned char *)ls__xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void ls__put_u32(ls__buf *b, uint32_t v) {
    unsigned char c[4];
    for (int i = 0; i < 4; i++) c[i] = (unsigned char)(v >> (8 * i));
    ls__put(b, c, 4);
}

static void ls__put_u64(ls__buf *b, uint64_t v) {
    unsigned char c[8];
    for (int i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
    ls__put(b, c, 8);
}

static void ls__put_f32s(ls__buf *b, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        ls__put_u32(b, u);
    }
}

/* a bounds-checked reader: every get fails cleanly past the end */
typedef struct ls__rd { const unsigned char *p; size_t n, pos; } ls__rd;

static int ls__get(ls__rd *r, void *dst, size_t n) {
    if (n > r->n - r->pos) return 0;
    if (dst) memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return 1;
}

static int ls__get_u32(ls__rd *r, uint32_t *v) {
    unsigned char c[4];
    if (!ls__get(r, c, 4)) return 0;
    *v = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
    return 1;
}

static int ls__get_u64(ls__rd *r, uint64_t *v) {
    uint32_t lo, hi;
    if (!ls__get_u32(r, &lo) || !ls__get_u32(r, &hi)) return 0;
    *v = (uint64_t)lo | (uint64_t)hi << 32;
    return 1;
}

static void ls__get_f32s(ls__rd *r, float *x, int64_t n) {   /* caller checked the length */
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = 0;
        ls__get_u32(r, &u);
        memcpy(&x[i], &u, 4);
    }
}

/* writes n bytes to path through path.tmp, fsync and rename */
static int ls__write_atomic(const char *path, const void *data, size_t n, char *err) {
    size_t plen = strlen(path);
    char *tmp = (char *)ls__xmalloc(plen + 5);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) { ls__seterr(err, "%s: cannot create: %s", tmp, strerror(errno)); LS_FREE(tmp); return -1; }
    int ok = fwrite(data, 1, n, f) == n && fflush(f) == 0;
#ifdef LS__POSIX
    ok = ok && fsync(fileno(f)) == 0;
#endif
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        ls__seterr(err, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        LS_FREE(tmp);
        return -1;
    }
    LS_FREE(tmp);
    return 0;
}

LS_API int ls_checkpoint_save(const char *path, const ls_params *P, const ls_adamw *opt,
                              const void *meta, size_t meta_len, char *err) {
    ls__buf b = {NULL, 0, 0};
    int with_opt = opt && opt->n >= P->n;
    ls__put(&b, LS__CKPT_MAGIC, 8);
    ls__put_u32(&b, LS__CKPT_VERSION);
    ls__put_u32(&b, with_opt ? 1u : 0u);
    ls__put_u64(&b, 0);   /* file size, patched below */
    ls__put_u64(&b, meta_len);
    if (meta_len) ls__put(&b, meta, meta_len);
    ls__put_u32(&b, (uint32_t)P->nt);
    for (int k = 0; k < P->nt; k++) {
        const ls_tensor *t = P->t[k];
        uint32_t len = (uint32_t)strlen(t->name);
        ls__put_u32(&b, len);
        ls__put(&b, t->name, len);
        ls__put_u32(&b, (uint32_t)t->nd);
        for (int i = 0; i < t->nd; i++) ls__put_u64(&b, (uint64_t)t->d[i]);
        ls__put_f32s(&b, t->x, t->n);
        if (with_opt) {
            int64_t off = t->x - P->x;
            ls__put_f32s(&b, opt->m + off, t->n);
            ls__put_f32s(&b, opt->v + off, t->n);
        }
    }
    if (with_opt) ls__put_u64(&b, (uint64_t)opt->t);
    uint64_t size = (uint64_t)b.n + 4;
    for (int i = 0; i < 8; i++) b.p[16 + i] = (unsigned char)(size >> (8 * i));
    ls__put_u32(&b, ls_crc32(0, b.p, b.n));
    int rc = ls__write_atomic(path, b.p, b.n, err);
    LS_FREE(b.p);
    return rc;
}

/* Reads the whole file, then validates it in two passes: the first checks every name and shape
   against P without touching it, the second copies. A refused file leaves P and opt unchanged. */
LS_API int ls_checkpoint_load(const char *path, ls_params *P, ls_adamw *opt, int mode,
                              void *meta, size_t meta_cap, size_t *meta_len, char *err) {
    FILE *f = fopen(path, "rb");
    if (!f) { ls__seterr(err, "%s: cannot open: %s", path, strerror(errno)); return -1; }
    unsigned char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) { cap = cap ? 2 * cap : 65536; data = (unsigned char *)ls__xrealloc(data, cap); }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int read_err = ferror(f);
    fclose(f);
    int rc = -1;
    ls__rd r = {data, n, 0};
    uint32_t version = 0, flags = 0, nt = 0, crc = 0;
    uint64_t size = 0, mlen = 0;
    char magic[8];
    if (read_err) { ls__seterr(err, "%s: read error", path); goto done; }
    if (n < 8 || !ls__get(&r, magic, 8) || memcmp(magic, LS__CKPT_MAGIC, 8)) {
        ls__seterr(err, "%s: not a longseq checkpoint (%s)", path, n < 8 ? "file too short" : "bad magic");
        goto done;
    }
    if (!ls__get_u32(&r, &version) || !ls__get_u32(&r, &flags) || !ls__get_u64(&r, &size)) {
        ls__seterr(err, "%s: truncated header (%zu bytes)", path, n);
        goto done;
    }
    if (version != LS__CKPT_VERSION) {
        ls__seterr(err, "%s: checkpoint version %u, this build reads version %u", path, version, LS__CKPT_VERSION);
        goto done;
    }
    if (size != (uint64_t)n) {
        ls__seterr(err, "%s: %s (%zu bytes, header says %llu)", path, (uint64_t)n < size ? "truncated" : "has extra bytes",
                   n, (unsigned long long)size);
        goto done;
    }
    crc = (uint32_t)data[n - 4] | (uint32_t)data[n - 3] << 8 | (uint32_t)data[n - 2] << 16 | (uint32_t)data[n - 1] << 24;
    if (ls_crc32(0, data, n - 4) != crc) { ls__seterr(err, "%s: CRC mismatch: the file is corrupted", path); goto done; }
    if (flags > 1u) { ls__seterr(err, "%s: unknown flags 0x%x", path, flags); goto done; }
    r.n = n - 4;
    if (!ls__get_u64(&r, &mlen) || mlen > r.n - r.pos) { ls__seterr(err, "%s: bad metadata length", path); goto done; }
    if (meta) memcpy(meta, data + r.pos, mlen < meta_cap ? (size_t)mlen : meta_cap);
    if (meta_len) *meta_len = (size_t)mlen;
    r.pos += (size_t)mlen;
    if (!ls__get_u32(&r, &nt)) { ls__seterr(err, "%s: truncated tensor count", path); goto done; }
    {
        int with_opt = flags & 1u, per = with_opt ? 3 : 1;
        size_t body = r.pos;
        int matched = 0;
        for (int pass = 0; pass < 2; pass++) {
            r.pos = body;
            matched = 0;
            for (uint32_t k = 0; k < nt; k++) {
                uint32_t len = 0, nd = 0;
                char name[256];
                uint64_t d[LS_MAX_DIMS];
                if (!ls__get_u32(&r, &len) || len == 0 || len >= sizeof name || !ls__get(&r, name, len)) {
                    ls__seterr(err, "%s: tensor %u: bad name", path, k);
                    goto done;
                }
                name[len] = 0;
                if (!ls__get_u32(&r, &nd) || nd < 1 || nd > LS_MAX_DIMS) {
                    ls__seterr(err, "%s: tensor '%s': bad rank", path, name);
                    goto done;
                }
                uint64_t cnt = 1;
                for (uint32_t i = 0; i < nd; i++) {
                    if (!ls__get_u64(&r, &d[i]) || d[i] == 0 || d[i] > ((uint64_t)1 << 40)) {
                        ls__seterr(err, "%s: tensor '%s': bad shape", path, name);
                        goto done;
                    }
                    cnt *= d[i];
                }
                if (cnt > (r.n - r.pos) / 4 / (uint64_t)per) {
                    ls__seterr(err, "%s: tensor '%s': data truncated", path, name);
                    goto done;
                }
                ls_tensor *t = ls_params_find(P, name);
                if (!t) {
                    if (mode == LS_CKPT_STRICT) {
                        ls__seterr(err, "%s: tensor '%s' is not a parameter of this model", path, name);
                        goto done;
                    }
                    r.pos += (size_t)cnt * 4 * (size_t)per;
                    continue;
                }
                int same = t->nd == (int)nd;
                for (uint32_t i = 0; same && i < nd; i++) same = (uint64_t)t->d[i] == d[i];
                if (!same) {
                    char want[64];
                    ls_shape_str(ls_tensor_shape(t), want, sizeof want);
                    ls__seterr(err, "%s: tensor '%s' has %u dims [%llu, ...] in the file, the model expects %s", path,
                               name, nd, (unsigned long long)d[0], want);
                    goto done;
                }
                matched++;
                if (pass == 0) { r.pos += (size_t)cnt * 4 * (size_t)per; continue; }
                ls__get_f32s(&r, t->x, t->n);
                if (with_opt) {
                    int64_t off = t->x - P->x;
                    if (opt && opt->n >= P->n) { ls__get_f32s(&r, opt->m + off, t->n); ls__get_f32s(&r, opt->v + off, t->n); }
                    else r.pos += (size_t)t->n * 8;
                }
            }
            if (pass == 0) {
                if (mode == LS_CKPT_STRICT && matched != P->nt) {
                    ls__seterr(err, "%s: holds %d of the model's %d parameters", path, matched, P->nt);
                    goto done;
                }
                if (matched == 0) { ls__seterr(err, "%s: no parameter of this model is in the file", path); goto done; }
                if (opt && mode == LS_CKPT_STRICT && !with_opt) {
                    ls__seterr(err, "%s: has no optimiser state to resume from", path);
                    goto done;
                }
                uint64_t t_steps = 0;
                size_t after = r.pos;
                if (with_opt && !ls__get_u64(&r, &t_steps)) { ls__seterr(err, "%s: truncated optimiser state", path); goto done; }
                if (r.pos != r.n) { ls__seterr(err, "%s: %zu unexpected bytes after the tensors", path, r.n - r.pos); goto done; }
                if (opt && with_opt && opt->n < P->n) {
                    opt->m = (float *)ls__xrealloc(opt->m, (size_t)P->n * sizeof(float));
                    opt->v = (float *)ls__xrealloc(opt->v, (size_t)P->n * sizeof(float));
                    memset(opt->m, 0, (size_t)P->n * sizeof(float));
                    memset(opt->v, 0, (size_t)P->n * sizeof(float));
                    opt->n = P->n;
                }
                if (opt && with_opt) opt->t = (int64_t)t_steps;
                r.pos = after;
            }
        }
        rc = 0;
    }
done:
    LS_FREE(data);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
   gradient check
   --------------------------------------------------------------------------------------------- */

/* sum(w * f(in)) in double, rebuilding the graph from scratch with the same dropout keys */
static double ls__gc_loss(ls_ctx *ctx, ls_graph_fn f, ls_tensor *const *in, void *user, const float *w) {
    ls_ctx_reset(ctx);
    ctx->calls = 0;
    ls_tensor *out = f(ctx, in, user);
    LS_ASSERT(out);   /* it built once, with the same shapes */
    double s = 0.0;
    for (int64_t i = 0; i < out->n; i++) s += (double)w[i] * (double)out->x[i];
    return s;
}

LS_API int ls_gradcheck(ls_graph_fn f, ls_tensor *const *in, int n_in, void *user, uint64_t seed,
                        int64_t max_elems, double h, ls_gradcheck_result *res) {
    memset(res, 0, sizeof *res);
    if (h <= 0.0) h = 1e-2;
    ls_ctx ctx;
    ls_ctx_init(&ctx, seed);
    for (int k = 0; k < n_in; k++) if (in[k]->g) memset(in[k]->g, 0, (size_t)in[k]->n * sizeof(float));
    ls_tensor *out = f(&ctx, in, user);
    if (!out || !(out->flags & LS_NEEDS_GRAD)) {
        snprintf(res->err, LS_ERRLEN, "%s", out ? "output needs no gradient" : ls_ctx_error(&ctx));
        ls_ctx_free(&ctx);
        return -1;
    }
    for (ls_node *n = ctx.last; n; n = n->prev) res->op_seen[n->op] = 1;
    int64_t nout = out->n;
    float *w = (float *)ls__xmalloc((size_t)nout * sizeof(float));
    ls_rng rng = ls_rng_make(seed, LS_STREAM_EVAL);
    for (int64_t i = 0; i < nout; i++) w[i] = ls_rng_float(&rng) * 2.0f - 1.0f;
    if (ls_backward_from(&ctx, out, w)) {
        snprintf(res->err, LS_ERRLEN, "%s", ls_ctx_error(&ctx));
        LS_FREE(w); ls_ctx_free(&ctx);
        return -1;
    }
    for (int k = 0; k < n_in; k++) {
        ls_tensor *t = in[k];
        if (!(t->flags & LS_NEEDS_GRAD) || !t->g) continue;
        int64_t m = (max_elems > 0 && t->n > max_elems) ? max_elems : t->n;
        double num2 = 0.0, den_a = 0.0, den_n = 0.0;
        for (int64_t j = 0; j < m; j++) {
            int64_t e = m == t->n ? j : (int64_t)ls_rng_below(&rng, (uint32_t)t->n);
            float x0 = t->x[e];
            double L[4];
            const double steps[4] = {2 * h, h, -h, -2 * h};
            for (int s = 0; s < 4; s++) {
                t->x[e] = (float)((double)x0 + steps[s]);
                L[s] = ls__gc_loss(&ctx, f, in, user, w);
            }
            t->x[e] = x0;
            double d4 = (-L[0] + 8.0 * L[1] - 8.0 * L[2] + L[3]) / (12.0 * h);
            double d2 = (L[1] - L[2]) / (2.0 * h), dwide = (L[0] - L[3]) / (4.0 * h);
            /* at a kink the narrow and wide differences disagree at first order: skip the element */
            if (fabs(d2 - dwide) > 0.05 * (fabs(d2) + fabs(dwide)) + 1e-3) { res->skipped++; continue; }
            double a = t->g[e], diff = a - d4;
            num2 += diff * diff; den_a += a * a; den_n += d4 * d4;
            if (fabs(diff) > res->max_abs_err) res->max_abs_err = fabs(diff);
            res->checked++;
        }
        double den = sqrt(den_a > den_n ? den_a : den_n), floor_ = 1e-6 * sqrt((double)m);
        double rel = sqrt(num2) / (den > floor_ ? den : floor_);
        if (rel > res->rel_err) { res->rel_err = rel; res->worst_input = k; }
    }
    LS_FREE(w);
    ls_ctx_free(&ctx);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   command line, progress, logs
   --------------------------------------------------------------------------------------------- */

LS_API const char *ls_profile_name(int profile) {
    return profile == LS_PROFILE_SMOKE ? "smoke" : profile == LS_PROFILE_CPU ? "cpu" : profile == LS_PROFILE_PAPER ? "paper" : "?";
}

static int ls__parse_i64(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end) return 0;
    *v = (int64_t)x;
    return 1;
}

static void ls__cli_help(const char *prog, const char *about, const ls_flag *extra, int n_extra) {
    printf("usage: %s [flags]\n%s%s", prog, about ? about : "", about ? "\n" : "");
    printf("  --profile P   smoke | cpu | paper (default cpu); --smoke is --profile smoke\n"
           "  --seed N      random seed (default 1)\n"
           "  --threads N   OpenMP threads (default: all cores)\n"
           "  --steps N     override the profile's training steps\n"
           "  --out DIR     where results go\n"
           "  --quiet       no progress lines on stderr\n"
           "  --help        this text\n");
    for (int i = 0; i < n_extra; i++) printf("  --%-12s %s\n", extra[i].name, extra[i].help);
}

LS_API int ls_cli_parse(ls_cli *cli, int argc, char **argv, const ls_flag *extra, int n_extra,
                        const char *about, char *err) {
    cli->seed = 1; cli->threads = 0; cli->steps = 0; cli->profile = LS_PROFILE_CPU; cli->quiet = 0;
    if (!cli->out) cli->out = ".";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2)) { ls__seterr(err, "unexpected argument '%s' (see --help)", arg); return -1; }
        char name[64];
        const char *val = NULL, *eq = strchr(arg + 2, '=');
        size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (nlen >= sizeof name) { ls__seterr(err, "unknown flag '%s' (see --help)", arg); return -1; }
        memcpy(name, arg + 2, nlen);
        name[nlen] = 0;
        if (eq) val = eq + 1;
        if (!strcmp(name, "help")) { ls__cli_help(argv[0], about, extra, n_extra); return 1; }
        if (!strcmp(name, "quiet") || !strcmp(name, "smoke")) {
            if (val) { ls__seterr(err, "--%s takes no value", name); return -1; }
            if (name[0] == 'q') cli->quiet = 1; else cli->profile = LS_PROFILE_SMOKE;
            continue;
        }
        const ls_flag *fl = NULL;
        for (int k = 0; k < n_extra; k++) if (!strcmp(extra[k].name, name)) fl = &extra[k];
        int known = !strcmp(name, "seed") || !strcmp(name, "threads") || !strcmp(name, "steps") ||
                    !strcmp(name, "profile") || !strcmp(name, "out") || fl;
        if (!known) { ls__seterr(err, "unknown flag '--%s' (see --help)", name); return -1; }
        if (fl && fl->type == LS_FLAG_BOOL) {
            if (val) { ls__seterr(err, "--%s takes no value", name); return -1; }
            *(int *)fl->ptr = 1;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) { ls__seterr(err, "--%s needs a value", name); return -1; }
            val = argv[++i];
        }
        int64_t iv = 0;
        if (!strcmp(name, "seed")) {
            if (!ls__parse_i64(val, &iv) || iv < 0) { ls__seterr(err, "--seed: '%s' is not a non-negative integer", val); return -1; }
            cli->seed = (uint64_t)iv;
        } else if (!strcmp(name, "threads")) {
            if (!ls__parse_i64(val, &iv) || iv < 1 || iv > 1024) { ls__seterr(err, "--threads: '%s' is not an integer in [1, 1024]", val); return -1; }
            cli->threads = (int)iv;
        } else if (!strcmp(name, "steps")) {
            if (!ls__parse_i64(val, &iv) || iv < 1) { ls__seterr(err, "--steps: '%s' is not a positive integer", val); return -1; }
            cli->steps = iv;
        } else if (!strcmp(name, "profile")) {
            if (!strcmp(val, "smoke")) cli->profile = LS_PROFILE_SMOKE;
            else if (!strcmp(val, "cpu")) cli->profile = LS_PROFILE_CPU;
            else if (!strcmp(val, "paper")) cli->profile = LS_PROFILE_PAPER;
            else { ls__seterr(err, "--profile: '%s' is not one of smoke, cpu, paper", val); return -1; }
        } else if (!strcmp(name, "out")) {
            if (!*val) { ls__seterr(err, "--out: empty directory name"); return -1; }
            cli->out = val;
        } else if (fl->type == LS_FLAG_INT) {
            if (!ls__parse_i64(val, &iv)) { ls__seterr(err, "--%s: '%s' is not an integer", name, val); return -1; }
            *(int64_t *)fl->ptr = iv;
        } else if (fl->type == LS_FLAG_FLOAT) {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (errno || end == val || *end || d != d) { ls__seterr(err, "--%s: '%s' is not a number", name, val); return -1; }
            *(double *)fl->ptr = d;
        } else {
            *(const char **)fl->ptr = val;
        }
    }
    if (cli->threads) ls_set_threads(cli->threads);
    return 0;
}

LS_API void ls_progress_start(ls_progress *p, const char *label, int64_t total, int quiet) {
    p->label = label; p->total = total; p->quiet = quiet;
    p->t0 = ls_now(); p->last = 0.0;
}

static void ls__fmt_secs(double s, char *buf, size_t cap) {
    if (s < 0 || s != s || s > 1e7) snprintf(buf, cap, "?");
    else if (s < 60) snprintf(buf, cap, "%.0fs", s);
    else if (s < 3600) snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, cap, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

LS_API void ls_progress_update(ls_progress *p, int64_t step, double loss, double acc, double tokens) {
    if (p->quiet) return;
    double now = ls_now(), el = now - p->t0;
#ifdef LS__POSIX
    int tty = isatty(2);
#else
    int tty = 0;
#endif
    int final = step >= p->total;
    if (!final && now - p->last < (tty ? 0.5 : 10.0)) return;
    p->last = now;
    char eta[32], accs[32] = "";
    ls__fmt_secs(step > 0 ? el / (double)step * (double)(p->total - step) : -1.0, eta, sizeof eta);
    if (acc >= 0) snprintf(accs, sizeof accs, "  acc %5.1f%%", 100.0 * acc);
    fprintf(stderr, "%s%s  step %lld/%lld  loss %.4f%s  %.0f tok/s  ETA %s%s", tty ? "\r" : "", p->label,
            (long long)step, (long long)p->total, loss, accs, el > 0 ? tokens / el : 0.0, eta, tty ? "\033[K" : "\n");
    fflush(stderr);
}

LS_API void ls_progress_end(ls_progress *p, const char *summary) {
    if (p->quiet) return;
#ifdef LS__POSIX
    if (isatty(2)) fprintf(stderr, "\r\033[K");
#endif
    char el[32];
    ls__fmt_secs(ls_now() - p->t0, el, sizeof el);
    fprintf(stderr, "%s  done in %s%s%s\n", p->label, el, summary ? "  " : "", summary ? summary : "");
}

LS_API int ls_csv_append(const char *path, const char *header, const char *row, char *err) {
    FILE *f = fopen(path, "ab");
    if (!f) { ls__seterr(err, "%s: cannot open for appending: %s", path, strerror(errno)); return -1; }
    fseek(f, 0, SEEK_END);
    int ok = 1;
    if (ftell(f) == 0 && header) ok = fprintf(f, "%s\n", header) >= 0;
    ok = ok && fprintf(f, "%s\n", row) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok) { ls__seterr(err, "%s: write failed", path); return -1; }
    return 0;
}

#endif /* LONGSEQ_IMPLEMENTATION */

/* ---------------------------------------------------------------------------------------------
   7. LICENCE (MIT)
   Copyright (c) 2026 the longseq authors
   Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
   associated documentation files (the "Software"), to deal in the Software without restriction,
   including without limitation the rights to use, copy, modify, merge, publish, distribute,
   sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions: The above copyright notice and this
   permission notice shall be included in all copies or substantial portions of the Software.
   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
   NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
   DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
   OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
   --------------------------------------------------------------------------------------------- */
