/* longseq.h - v0.1.0 - tape autodiff and long-sequence models in one C header. MIT licence at the end.

   QUICK START
     Do this in *one* C or C++ file before the include:
         #define LONGSEQ_IMPLEMENTATION
         #include "longseq.h"
     Every other file includes "longseq.h" without the define. Link with -lm; add -fopenmp for threads.

   TABLE OF CONTENTS (the entries of part 6 are the titles of its banners, word for word: search for them)
     1. Options
     2. Concepts and conventions
     3. Example
     4. How to add an op
     5. API declarations (grouped as part 6: core, sgemm, op constructors, training stack)
     6. Implementation (guarded by LONGSEQ_IMPLEMENTATION only)
        6A. Core: utilities, RNG, arena, tensors and the tape, the op table and the reverse pass
            6A.1 utils and errors
            6A.2 random numbers
            6A.3 arena
            6A.4 tensors and the tape
            6A.5 the op table: dispatch and the reverse pass
        6B. Kernels: sgemm, FFT and long convolution, S4D, LRU, attention
            6B.1 matrix multiply: ls_sgemm
            6B.2 state-space-model kernels: real FFT, long convolution, S4D kernel, LRU scan
            6B.3 real FFT
            6B.4 long convolution over time, many channels
            6B.5 S4D kernel: diagonal complex SSM, zero-order hold
            6B.6 LRU scan (Orvieto et al. 2023, "Resurrecting recurrent neural networks")
            6B.7 fused multi-head attention (flash-style forward, recomputing backward)
        6C. Ops, in LS_OP_LIST order: each op's formula banner, forward, backward and constructor
            6C.1 reductions shared by the ops
            6C.2 the ops, each under its "--- NAME" formula banner
                 MATMUL, LINEAR, ADD, SUB, MUL, SCALE, EMBEDDING, GELU, SILU, GELU_SKIP,
                 SOFTMAX and LOG_SOFTMAX, CROSS_ENTROPY, L1_LOSS and MSE_LOSS, LAYERNORM, ADD_LAYERNORM,
                 RMSNORM, DROPOUT, RESHAPE, TRANSPOSE, CONCAT, SLICE, POOL, SUM, SIGMOID, GLU, ROPE,
                 L2NORM, LINEAR_ATTENTION, FFTCONV, S4D, LRU, ATTENTION, DWCONV, S5, EMA
        6D. Training stack: parameters, AdamW, checkpoints, models, training, gradient check, command line
            6D.1 parameters
            6D.2 AdamW, schedules, clipping
            6D.3 checkpoints (format documented at ls_checkpoint_save's declaration)
            6D.4 models
            6D.5 training
            6D.6 gradient check
            6D.7 command line, progress, logs
        6E. MPI: data-parallel training (only with LS_MPI)
     7. Licence

   1. OPTIONS (define before the include that has LONGSEQ_IMPLEMENTATION)
     LS_ASSERT(x)                  internal invariant check; default prints file:line and aborts
     LS_MALLOC(n) LS_REALLOC(p,n) LS_FREE(p)   define all three or none
     LONGSEQ_STATIC                make every function static (private to one translation unit)
     OpenMP is used when the compiler defines _OPENMP; the API and results are the same without it.
     LS_MPI                        data-parallel ls_train and ls_evaluate over MPI ranks (part 6E;
                                   build with mpicc, e.g. `make MPI=1`). Without it, no MPI code.

   2. CONCEPTS AND CONVENTIONS
     Dimensions: B batch, T time (sequence length), C channels, H heads, N state size, V vocabulary,
     L layers. Tensors are float32, row-major, contiguous, 1 to 4 dimensions; shapes are written
     (B, T, C) in comments.
     ls_ctx     A define-by-run context. Every op called with it computes its result at once and,
                when any input needs a gradient, appends a record to the tape. Records, activations,
                gradients and saved buffers live in the context's arena, which grows in chained blocks
                and is emptied by ls_ctx_reset() once per step; kernels' temporary buffers live in
                one scratch buffer per context. Both keep their size, so the steady state allocates
                nothing.
     ls_params  All parameters of a model in one contiguous buffer, with one gradient buffer beside
                it; each parameter is a named view (ls_param). AdamW, clipping and checkpoints are
                flat loops over these buffers.
     Errors     A bad shape or argument makes an op return NULL and sets a message naming the op and
                the shapes (ls_ctx_error). Ops given NULL return NULL, so the first error survives to
                the end of the step: check the loss once. Library bugs trip LS_ASSERT. File functions
                return 0 on success or -1 with a message naming the file in the caller's err buffer.
     Gradients  ls_backward() walks the tape in reverse. Backward kernels *add* into gradients;
                ls_params_zero_grad() clears parameter gradients once per step, so calling backward
                on several micro-batches accumulates. (The step's own gradient buffers are not
                cleared up front: their first writer stores, see ls__grad.)
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
        error, not a run-time surprise. Gradient buffers start unwritten (raw) in each reverse pass,
        so a backward never touches n->in[i]->g directly: it takes the buffer from
        ls__grad(n->in[i]) (NULL when that input needs no gradient; zeroed on first use) and adds
        into it, or, when it writes every element exactly once, from ls__grad_w(n->in[i], &fresh)
        and stores each value with LS__GACC(fresh, dst, v), which skips the zeroing and keeps the
        bits. Save what backward needs in the node (saved[], ids, i[], f[]), never a T x T
        buffer; temporary memory comes from ls__scratch(ctx, bytes), sliced per thread before a
        parallel region. Parallelise over the indices a kernel writes and sum reductions over
        fixed chunks in a fixed order, so results do not depend on the thread count.
     c. Write the public constructor `ls_tensor *ls_name(ls_ctx *ctx, ...)`: check shapes (ls__fail
        names the op and the shapes), make the output (ls__out), record (ls__record), run forward.
     d. Add a case to tests/test_grad.c. The suite fails while any op in the table has no case.
     e. Put b and c under a "--- NAME: formula ---" banner comment in part 6C, in LS_OP_LIST order,
        and add NAME to the contents list (6C.2); tests/check_header.sh (in make test) checks both.
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
#ifdef LS_MPI
#include <mpi.h>
#endif

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
/* Adaptive thread count for a training loop. On a machine where another process keeps a core busy,
   a team of n threads can run slower than one thread: every parallel region waits at its barrier
   for the thread that shares its core, while OpenMP's default spin-waiting takes cycles from the
   other process (README, "On a shared machine", has measurements). The loop times its steps; every
   LS_AUTO_PERIOD steps (from step LS_AUTO_SKIP: the first steps grow arenas and warm caches) it runs
   LS_AUTO_PROBE steps with the configured count n and LS_AUTO_PROBE with 1 thread, and keeps 1 thread
   until the next probe only if its median step beat n threads' median by at least 1 - LS_AUTO_MARGIN
   (10%). Medians, not minima: beside a busy process an n-thread team has the odd fast step (the
   other process asleep) among slow ones, and its fastest step would speak for all of them.
   Step times alone are a noisy judge beside a busy core (a 2-thread step then ranges over +-20%
   from step to step), so the probe also measures the load (Linux: /proc/stat): the cores other
   processes kept busy during the probe, = the machine's busy CPU seconds less this process's own,
   over the probe's wall time. When fewer than n - 1/2 cores were left free, the count drops to the
   free cores, rounded (at least 1), whatever the step times said. Results do not change: every
   kernel gives the same bits for any thread count. On a quiet machine the cost is the LS_AUTO_PROBE
   of every LS_AUTO_PERIOD steps that run on one thread (the 1-thread/n-thread gap times 1.5%).
   ls_train does this unless told not to (ls_train_io.fixed_threads).
       ls_autothreads a; ls_autothreads_init(&a);
       for (...) { double t = ls_now(); train_step(); ls_autothreads_step(&a, ls_now() - t); }
       ls_autothreads_end(&a);   // the configured count again */
#define LS_AUTO_PERIOD 200
#define LS_AUTO_SKIP 3
#define LS_AUTO_PROBE 3
#define LS_AUTO_MARGIN 0.9
typedef struct ls_autothreads {
    int n, use;          /* the configured count (restored by _end) and the count in use */
    int64_t k, probe;    /* steps timed so far; the step the last probe began at */
    double t_n[LS_AUTO_PROBE], t_1[LS_AUTO_PROBE];   /* that probe's steps with n threads and with 1 */
    int64_t switches;    /* probes that chose fewer than n threads (for logs and tests) */
    int load;            /* 1 (ls_autothreads_init): measure other processes' load where the OS tells */
    double cpu0, busy0, wall0;   /* at the probe's start: own CPU s, machine busy CPU s, time */
    double others;       /* cores other processes kept busy during the last probe; -1 unknown */
} ls_autothreads;
/* the count a probe keeps: n when neither rule objects; 1 when the 1-thread median beat the n-thread
   median by the margin; when others >= 0 (cores busy with other processes, of ncpu), at most the
   free cores rounded, and at least 1 */
LS_API int ls_autothreads_choose(int n, double med_1, double med_n, double others, int ncpu);
/* this process's CPU seconds (all threads), the machine's busy CPU seconds (all cores: user, nice,
   system, irq, softirq, steal) and the online core count; 0, or -1 where the OS does not tell
   (Linux only: /proc/stat). Two readings give the cores other processes kept busy in between:
   ((busy1 - busy0) - (own1 - own0)) / wall. */
LS_API int ls_cpu_load(double *own, double *busy, int *ncpu);
LS_API void ls_autothreads_init(ls_autothreads *a);
LS_API void ls_autothreads_step(ls_autothreads *a, double step_seconds);
LS_API void ls_autothreads_end(ls_autothreads *a);
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
    struct ls__fft_plan *fft; /* the last long convolution's FFT plan, kept for the next step */
    void *scratch;            /* kernels' temporary memory (ls__scratch), kept for the next step */
    size_t scratch_cap;
    double *op_seconds;       /* NULL, or where ls_ctx_profile adds each op's kernel times */
#ifdef LS_MPI
    /* data-parallel training (6E): this context computes examples [shard_first, shard_first +
       shard_rows) of a global batch, so dropout draws the masks those examples have in the whole
       batch (shard_rows 0: the tensors are the whole batch) */
    int64_t shard_first, shard_rows;
#endif
} ls_ctx;
LS_API void ls_ctx_init(ls_ctx *ctx, uint64_t seed);
LS_API void ls_ctx_reset(ls_ctx *ctx);     /* forget tape and activations; keep error state clear */
LS_API void ls_ctx_free(ls_ctx *ctx);
LS_API const char *ls_ctx_error(const ls_ctx *ctx); /* "" when no error */
/* per-op timing: from now on every op kernel run on ctx adds its wall seconds to acc[2 op] (forward)
   or acc[2 op + 1] (backward); acc holds 2 * LS_OP_COUNT doubles, owned by the caller; NULL stops */
LS_API void ls_ctx_profile(ls_ctx *ctx, double *acc);
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
    X(GELU, gelu)                 /* x Phi(x), erf form (erfc to 1.5e-7, vectorised) */       \
    X(SILU, silu)                 /* x sigmoid(x) */                                           \
    X(GELU_SKIP, gelu_skip)       /* GELU(y + x d), d over the last dim: an SSM layer's skip */ \
    X(SOFTMAX, softmax)           /* over the last dim */                                      \
    X(LOG_SOFTMAX, log_softmax)   /* over the last dim */                                      \
    X(CROSS_ENTROPY, cross_entropy) /* mean over rows of -log softmax(logits)[target] */       \
    X(L1_LOSS, l1_loss)           /* mean |pred - target| over masked elements */              \
    X(MSE_LOSS, mse_loss)         /* mean (pred - target)^2 over masked elements */            \
    X(LAYERNORM, layernorm)       /* (x - mean) / sqrt(var + eps) * gamma + beta */           \
    X(ADD_LAYERNORM, add_layernorm) /* LayerNorm(alpha x + y): a post-LN residual */          \
    X(RMSNORM, rmsnorm)           /* x / sqrt(mean(x^2) + eps) * gamma */                     \
    X(DROPOUT, dropout)           /* x * keep / (1 - p) while training */                     \
    X(RESHAPE, reshape)           /* same data, new shape */                                  \
    X(TRANSPOSE, transpose)       /* swap two dims */                                         \
    X(CONCAT, concat)             /* join two tensors along a dim */                          \
    X(SLICE, slice)               /* a contiguous range along a dim */                        \
    X(POOL, pool)                 /* (B, T, C) -> (B, C): masked mean, max or last */         \
    X(SUM, sum)                   /* sum of all elements -> (1) */                            \
    X(SIGMOID, sigmoid)           /* 1 / (1 + e^-x) */                                        \
    X(GLU, glu)                   /* a sigmoid(b), x = [a | b] halves of the last dim */      \
    X(ROPE, rope)                 /* rotary position: rotate channel pairs by pos(t) theta */ \
    X(L2NORM, l2norm)             /* x / ||x|| over groups of D channels (KeyNorm) */          \
    X(LINEAR_ATTENTION, linear_attention) /* phi(q) (sum phi(k) v^T) / phi(q).sum phi(k) */    \
    X(FFTCONV, fftconv)           /* long convolution over time by FFT */                     \
    X(S4D, s4d)                   /* S4D kernel (C, T) from diagonal complex SSM parameters */ \
    X(LRU, lru)                   /* LRU linear-recurrence scan */                             \
    X(ATTENTION, attention)       /* fused multi-head attention, O(T) memory */                \
    X(DWCONV, dwconv)             /* depthwise conv over time, per-head kernels (Wu et al.) */ \
    X(S5, s5)                     /* S5 MIMO diagonal SSM scan, ZOH (Smith et al. 2023) */     \
    X(EMA, ema)                   /* MEGA damped EMA kernel (C, T) (Ma et al. 2023) */

enum {
#define LS__X(E, f) LS_OP_##E,
    LS_OP_LIST(LS__X)
#undef LS__X
    LS_OP_COUNT
};
LS_API const char *ls_op_name(int op);

/* --- matrix multiply (row-major), used by the ops; public for benchmarks ---
   C[M,N] = beta*C + alpha*op(A)[M,K] op(B)[K,N]; ta: A stored (K,M); tb: B stored (N,K).
   beta == 0 overwrites C without reading it. */
LS_API void ls_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc);

/* --- ops: one constructor per line of the table, in its order --- */
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
/* GELU(y + x * d): y, x the same shape (..., C), d (C). One pass for what ls_gelu(ls_add(y,
   ls_mul(x, d))) does in three, with the same bits (values and gradients). */
LS_API ls_tensor *ls_gelu_skip(ls_ctx *ctx, ls_tensor *y, ls_tensor *x, ls_tensor *d);
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
/* LayerNorm(alpha x + y), x and y the same shape: the residual of post-LN (alpha 1), DeepNorm and
   Admin, with the bits of ls_layernorm(ls_add(ls_scale(x, alpha), y)) (ls_scale skipped at 1) */
LS_API ls_tensor *ls_add_layernorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *y, float alpha, ls_tensor *gamma,
                                   ls_tensor *beta, float eps);
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
/* (..., 2C) -> (..., C): the first half times the sigmoid of the second (a gated linear unit) */
LS_API ls_tensor *ls_glu(ls_ctx *ctx, ls_tensor *x);
/* x (B, T, H*D): in every head, channel pair (2i, 2i+1) is rotated by the angle pos(t) theta[i],
   pos(t) = pos_scale * t + pos_offset. theta: D/2 frequencies (ls_rope_theta). */
LS_API ls_tensor *ls_rope(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float pos_scale, float pos_offset);
/* xPos (Sun et al. 2023, "A Length-Extrapolatable Transformer", ACL 2023): RoPE whose pair i is also
   scaled, y = zeta_i^(+-(t - c)/scale_base) R(t theta) x, zeta_i = (2i/D + gamma)/(1 + gamma) (pair i of
   D/2); + for queries (key = 0), - for keys (key = 1), so q_n . k_m carries zeta_i^((n - m)/scale_base):
   a decay with distance. The reference position c = floor(T/2) cancels in q_n . k_m but keeps every
   factor's exponent within (T/2)/scale_base |ln zeta_0| (zeta^(+-t/scale_base) from t = 0 would
   overflow float32 at T ~ 36k with the paper's gamma 0.4, scale_base 512; centred it reaches T ~ 70k);
   an exponent beyond 80 (e^80 ~ 5.5e34) is refused. The centring is the released torchscale
   code's (positions -ceil(T/2) .. ). Backward: the transposed scaled rotation (the same op). */
LS_API ls_tensor *ls_xpos(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float gamma, float scale_base, int key);
#define LS_XPOS_GAMMA 0.4f           /* the paper's gamma */
#define LS_XPOS_SCALE_BASE 512.0f    /* the paper's scale_base */
enum { LS_ROPE_PLAIN = 0, LS_ROPE_NTK = 1, LS_ROPE_YARN = 2 };
/* theta[i] = base^(-2i/D); NTK: base * s^(D/(D-2)); YaRN: theta[i] * (g + (1-g)/s) with the ramp g of
   r_i = L_train theta_i / 2pi between alpha and beta (YaRN, Peng et al. 2023, arXiv:2309.00071). s = L_test / L_train. */
LS_API void ls_rope_theta(float *theta, int64_t D, float base, int kind, float s, int64_t L_train, float alpha, float beta);
/* x (..., G*D) -> every group of D channels divided by its L2 norm (sqrt(sum x^2 + eps)) */
LS_API ls_tensor *ls_l2norm(ls_ctx *ctx, ls_tensor *x, int64_t D, float eps);
/* q, k, v (B, T, H*D); phi(x) = elu(x) + 1 > 0 (Katharopoulos et al. 2020). o_i = phi(q_i)^T S_i / (phi(q_i) . z_i)
   with S_i = sum_j phi(k_j) v_j^T, z_i = sum_j phi(k_j), over j <= i when causal, all j otherwise. O(T D^2). */
LS_API ls_tensor *ls_linear_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, int64_t H, int causal,
                                      const int32_t *kv_len);   /* kv_len: NULL or B key lengths (padding) */
/* long convolution over time by FFT: u (B, T, C), k (C, T) causal, k2 (C, T) or NULL anti-causal */
LS_API ls_tensor *ls_fftconv(ls_ctx *ctx, ls_tensor *u, ls_tensor *k, ls_tensor *k2);
/* S4D kernel (C, T) from log_dt (C), log_a_re, a_im, c_re, c_im (C, N/2): ZOH-discretised diagonal SSM */
LS_API ls_tensor *ls_s4d_kernel(ls_ctx *ctx, ls_tensor *log_dt, ls_tensor *log_a_re, ls_tensor *a_im,
                                ls_tensor *c_re, ls_tensor *c_im, int64_t T);
/* LRU scan: x (B, T, 2N) = [re | im] -> h (B, T, 2N), h_t = lambda h_{t-1} + gamma x_t,
   lambda = exp(-exp(nu_log) + i exp(theta_log)), gamma = sqrt(1 - |lambda|^2); nu_log, theta_log (N) */
LS_API ls_tensor *ls_lru_scan(ls_ctx *ctx, ls_tensor *x, ls_tensor *nu_log, ls_tensor *theta_log);
enum { LS_ATTN_SOFTMAX = 0, LS_ATTN_NODENOM = 1, LS_ATTN_L2 = 2 };
typedef struct ls_attn_opts {
    int causal;              /* key j visible to query i only if j <= i */
    float scale;             /* logit multiplier; 0 = 1/sqrt(D) */
    const float *alibi;      /* NULL or H slopes m_h: logits -= m_h |i - j| */
    const float *row_scale;  /* NULL or T factors multiplying the logits of row i (log-n scaling) */
    int64_t window;          /* 0, or W: only |i - j| < W visible */
    int64_t sinks;           /* with window: keys j < sinks stay visible (Lambda mask) */
    int64_t dual_w;          /* 0, or w: pairs with |i - j| >= w score with (q2, k2) (ReRoPE) */
    int norm;                /* LS_ATTN_SOFTMAX, LS_ATTN_NODENOM (e^s / n) or LS_ATTN_L2 */
    const int32_t *kv_len;   /* NULL or B key lengths: keys j >= kv_len[b] hidden (padding); 1..T */
    ls_tensor *kerple;       /* NULL or (2, H) raw parameters, an input of the op (it gets a gradient):
                                KERPLE-log (Chi et al. 2022), logits -= r1_h log(1 + r2_h |i - j|) with
                                r1 = softplus(row 0), r2 = softplus(row 1), so both stay positive */
} ls_attn_opts;
/* fused multi-head attention that never stores a T x T tensor (saves one log-normaliser per row).
   q, k, v, q2, k2: (B, T, H*D); q2, k2 only with opts->dual_w. Result (B, T, H*D). */
LS_API ls_tensor *ls_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, ls_tensor *q2,
                               ls_tensor *k2, int64_t H, const ls_attn_opts *opts);
/* ALiBi slopes m_h = 2^(-8h/H), h = 1..H */
LS_API void ls_alibi_slopes(float *m, int64_t H);
/* depthwise convolution over time (Wu et al. 2019, arXiv:1901.10430): x (B, T, H*D), w (H, K) one
   kernel per head for every position (lightweight) or (B, T, H, K) one per position (dynamic);
   y[b, t, c] = sum_k w[(b, t,) c / D, k] x[b, t + o - k, c], o = 0 causal, (K - 1) / 2 centred,
   x = 0 outside 0..T-1. The softmax over k that the paper applies is the caller's (ls_softmax). */
LS_API ls_tensor *ls_dwconv(ls_ctx *ctx, ls_tensor *x, ls_tensor *w, int64_t H, int causal);
/* S5 scan (Smith, Warrington, Linderman 2023, "Simplified State Space Layers for Sequence
   Modeling", ICLR): x (B, T, 2P) = B u as [re | im] per step -> h (B, T, 2P), P complex states shared
   by all channels, zero-order hold with a step per state:
       Lambda = -exp(log_neg_re) + i lambda_im,  dt = exp(log_dt),  Abar = exp(Lambda dt),
       h_t = Abar h_{t-1} + (Abar - 1) / Lambda * x_t    (reverse: h_t = Abar h_{t+1} + ..., from t = T-1)
   log_neg_re, lambda_im, log_dt (P) */
LS_API ls_tensor *ls_s5_scan(ls_ctx *ctx, ls_tensor *x, ls_tensor *log_neg_re, ls_tensor *lambda_im,
                             ls_tensor *log_dt, int reverse);
/* MEGA's multi-dimensional damped EMA as a kernel (Ma et al. 2023, "Mega: Moving Average Equipped
   Gated Attention", ICLR): alpha_raw, delta_raw, beta, eta (C, h) -> K (C, T),
       K[c, t] = h^-1/2 sum_j eta_cj alpha_cj beta_cj (1 - alpha_cj delta_cj)^t,
   alpha = sigmoid(alpha_raw), delta = sigmoid(delta_raw); convolve with ls_fftconv */
LS_API ls_tensor *ls_ema_kernel(ls_ctx *ctx, ls_tensor *alpha_raw, ls_tensor *delta_raw, ls_tensor *beta,
                                ls_tensor *eta, int64_t T);

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

/* --- models: one config struct, one constructor for every architecture --- */
/* LIGHTCONV and DYNCONV: the Transformer block with a convolution in place of attention (Wu et al.
   2019, arXiv:1901.10430): Linear(d, 2d) + GLU, a depthwise convolution of conv_k taps per head
   (ls_dwconv; causal when the model is), Linear(d, d). The kernels are softmax-normalised over the
   taps: one per head for every position (lightweight), or predicted at each position by a linear
   layer of the convolution's input, Linear(d, H K) (dynamic).
   S5 (Smith, Warrington, Linderman 2023, "Simplified State Space Layers for Sequence Modeling"):
   the S4D/LRU layer (LayerNorm, sequence map, D skip, GELU, Linear or GLU) with one MIMO diagonal
   SSM of d_state = P complex states shared by the d channels as its sequence map: Linear(d, 2P) = B,
   ls_s5_scan (ZOH, a step per state), Linear(2P, d) = Re(C h). Lambda starts at S4D-Lin or S4D-Inv
   (ssm_init), dt log-uniform in [dt_min, dt_max]; bidirectional adds a reverse scan of the same B u
   with its own C (the paper's bidirectional S5), as S4D's flag adds an anti-causal kernel.
   MEGA (Ma et al. 2023, "Mega: Moving Average Equipped Gated Attention"): the Transformer block with
   MEGA's single-head gated attention in place of attention: a d_state-dimensional damped EMA per
   channel (ls_ema_kernel, bidirectional adds a second EMA over the future), shared representation
   z (d/2), values 2d, reset and update gates; full attention (the paper's non-chunked variant), or
   with window = C > 0 the paper's Mega-chunk: the sequence cut into chunks of C positions, each
   attending only within itself (linear in T; the EMA still runs over the whole sequence).
   FUNNEL (Dai et al. 2020, "Funnel-Transformer", NeurIPS): the Transformer with the sequence pooled
   to half its length between the first n_layers/2 blocks and the rest (the mean of each pair of
   positions), and upsampled back (each pooled row repeated twice) before the head, where the
   full-length stream from before the pooling is added (the paper's decoder residual). A causal
   funnel pools the sequence shifted one step right (Hourglass's shifted pooling, Nawrot et al.
   2022, arXiv:2110.13711), so pooled row g holds positions 2g-1 and 2g and output t, read from row
   t/2, sees nothing after t. The blocks after the pooling see positions 0..ceil(T/2)-1.
   New architectures go last: run records hash the config's bytes. */
enum { LS_ARCH_TRANSFORMER = 0, LS_ARCH_S4D, LS_ARCH_LRU, LS_ARCH_LINEAR, LS_ARCH_MIXER, LS_ARCH_UNIVERSAL,
       LS_ARCH_LIGHTCONV, LS_ARCH_DYNCONV, LS_ARCH_S5, LS_ARCH_MEGA, LS_ARCH_FUNNEL, LS_ARCH_COUNT };
/* XPOS: xPos (ls_xpos, the paper's gamma 0.4 and scale_base 512) on the rope_base frequencies. KERPLE:
   KERPLE-log (Chi et al. 2022, NeurIPS), a learned logit bias -r1_h log(1 + r2_h |i - j|) per head in the
   fused attention (ls_attn_opts.kerple; parameters "attn.kerple" per layer). HWFA: hybrid
   window-full attention (J. Su 2023, "Transformer upgrade road 9: a new idea for global length
   extrapolation", kexue.fm/archives/9603), a layout rather than an encoding: every layer but the
   last is window attention (window = the config's window, sinks allowed) with plain RoPE; the last
   layer is full attention with no position encoding (NoPE; causality alone tells it the order)
   and log-n scaling, the logits of query i times log(n_i) / log(train_len), n_i = the keys it sees
   (i + 1 when causal; logn form 1, the same in training and at test). The window layers see only
   distances below the window and the full layer sees no distance at all, so no layer meets a
   relative position it was not trained on; log n keeps the full layer's attention about as sharp
   when n grows past train_len. It needs the Transformer, >= 2 layers, 1 <= window < train_len (a
   window of train_len or more would make the window layers full attention while training), logn 0
   (the layout fixes it) and none of the RoPE variants. Same parameters as RoPE. New schemes go
   last: run records hash the config's bytes. */
enum { LS_POS_NONE = 0, LS_POS_SINUSOIDAL, LS_POS_LEARNED, LS_POS_ROPE, LS_POS_ALIBI, LS_POS_XPOS,
       LS_POS_KERPLE, LS_POS_HWFA };
enum { LS_NORM_PRE = 0, LS_NORM_POST, LS_NORM_DEEPNORM, LS_NORM_ADMIN };
enum { LS_HEAD_CLASSIFY = 0, LS_HEAD_PAIR, LS_HEAD_LM };
enum { LS_SSM_INIT_LIN = 0, LS_SSM_INIT_INV, LS_SSM_INIT_RANDOM };
/* parameter groups: weights decay; norms, biases and embeddings do not; SSM dynamics have their own lr */
enum { LS_GROUP_DECAY = 0, LS_GROUP_NO_DECAY = 1, LS_GROUP_SSM = 2 };
LS_API const char *ls_arch_name(int arch);

typedef struct ls_config {
    int arch;                /* LS_ARCH_* */
    int vocab;               /* input token ids in [0, vocab) */
    int d_model, n_layers, n_heads, d_ffn;
    int64_t max_len;         /* longest sequence the model sees (learned positions, Mixer) */
    int causal;              /* each position sees only the past */
    int pos;                 /* LS_POS_*: attention models */
    int norm;                /* LS_NORM_*: where the LayerNorms sit */
    float dropout;
    int64_t window;          /* local attention window (0 = full); MEGA: the chunk size (0 = full) */
    int keynorm;             /* L2-normalised keys and logit scale 1 (Su's KeyNorm) */
    int logn;                /* 1: logits of row i times log(n_i) / log(train_len) (n_i visible keys);
                                2: test-time form, max(1, that) */
    int64_t train_len;       /* the training length (log-n, NTK, YaRN, PI) */
    float rope_base;         /* 10000 */
    /* RoPE variants for running past train_len (NTK-aware scaling, YaRN, PI, ReRoPE); defaults: plain RoPE */
    int rope_kind;           /* LS_ROPE_PLAIN, LS_ROPE_NTK or LS_ROPE_YARN (frequencies for rope_s) */
    float rope_s;            /* scale s = L_test / L_train for NTK, YaRN and PI (0 or 1: off) */
    int rope_pi;             /* position interpolation: delta(r) = r / s */
    float yarn_alpha, yarn_beta; /* YaRN ramp in turns (1 and 32 in the paper) */
    int64_t rerope_w;        /* ReRoPE: delta(r) = min(r, w) (0: off) */
    float leaky_k;           /* with rerope_w: leaky ReRoPE, delta(r) = w + (r - w)/k beyond w */
    /* Options added after results were recorded sit in the 4 bytes of padding that followed leaky_k
       (zeroed by ls_config_default): the struct keeps its size and an old config its bytes, so the
       run records' keys (a hash of these bytes) stay. 0 means off. */
    int16_t conv_k;          /* LIGHTCONV / DYNCONV kernel taps (ls_config_default: 7) */
    int16_t n_experts;       /* 0: the dense FFN; 2..LS_SWITCH_MAX: a Switch FFN of that many experts */
    int64_t sinks;           /* with window: the first `sinks` keys stay visible (Lambda mask) */
    int d_state;             /* SSM state size N: S4D keeps N/2 complex pairs, LRU and S5 N complex
                                modes; MEGA: the EMA's expansion dimensions h (default 16) */
    int ssm_init;            /* LS_SSM_INIT_* (S4D; S5: LIN or INV) */
    int bidirectional;       /* S4D: add an anti-causal kernel; S5: a reverse scan; MEGA: a reverse EMA */
    int glu;                 /* SSM output Linear(d, 2d) + GLU instead of Linear(d, d) */
    float dt_min, dt_max;    /* S4D and S5 step sizes, log-uniform */
    float r_min, r_max;      /* LRU eigenvalue ring */
    int head;                /* LS_HEAD_* */
    int n_classes;           /* classifier outputs */
    int pool;                /* LS_POOL_* for the classifier */
    int lm_vocab;            /* LM head outputs (0 = vocab) */
} ls_config;
/* defaults for an architecture: d 64, 2 layers, 4 heads, FFN 256 (4d; set d_ffn too when changing
   d_model, or 0 for 4d), pre-LN, sinusoidal (attention), N 64 */
LS_API ls_config ls_config_default(int arch, int vocab, int64_t max_len);
/* Switch FFN (n_experts >= 2, any architecture with an FFN): top-1 routing over E expert FFNs of
   d_ffn each (Fedus et al. 2021, arXiv:2101.03961). Its load-balancing loss E sum_e f_e P_e (summed
   over layers, ls_model.aux) is added to the training loss times LS_SWITCH_AUX by ls_train. */
#define LS_SWITCH_MAX 16
#define LS_SWITCH_AUX 0.01f

typedef struct ls__layer ls__layer;
typedef struct ls_model {
    ls_config cfg;
    ls_params P;                  /* every parameter, one buffer */
    ls_tensor *embed;             /* (vocab, d) */
    ls_tensor *pos;               /* (max_len, d), learned positions */
    ls_tensor *final_g, *final_b; /* (d) final LayerNorm of pre-LN stacks */
    ls__layer *layers;            /* n_layers (one shared layer for LS_ARCH_UNIVERSAL) */
    ls_tensor *cls_w1, *cls_b1, *cls_w2, *cls_b2; /* classifier: (d or 4d, d) (d, classes) */
    ls_tensor *lm_w, *lm_b;       /* (d, lm_vocab) */
    float *theta;                 /* RoPE frequencies (D/2) */
    float *alibi;                 /* ALiBi slopes (H) */
    float alpha, beta;            /* DeepNorm / Admin residual scale and init gain */
    ls_tensor *aux;               /* the last forward's Switch load-balancing loss (1), a tensor of
                                     that forward's context; NULL without Switch layers */
} ls_model;
/* builds and initialises the model (seeded); -1 with a message for an impossible configuration */
LS_API int ls_model_init(ls_model *m, const ls_config *cfg, uint64_t seed, char *err);
LS_API void ls_model_free(ls_model *m);
/* token ids (B, T) -> hidden states (B, T, d). lengths (B, may be NULL = all T): positions t >=
   lengths[b] are padding, and no valid position sees them (attention hides padding keys; a
   bidirectional S4D, S5, MEGA EMA or Mixer sees zeros there; causal models never look
   ahead). The padding positions' own states are unspecified. */
LS_API ls_tensor *ls_model_encode(ls_ctx *ctx, ls_model *m, const int32_t *ids, const int32_t *lengths, int64_t B, int64_t T);
/* the head's output: classify (B, classes) from ids (B, T); pair (B, classes) from ids (B, 2, T) and
   lengths (B, 2); LM (B, T, lm_vocab). lengths may be NULL (all T). */
LS_API ls_tensor *ls_model_forward(ls_ctx *ctx, ls_model *m, const int32_t *ids, const int32_t *lengths,
                                   int64_t B, int64_t T);
/* NBCE, naive-Bayes context extension (J. Su 2023, "NBCE: extending the context length of LLMs
   with naive Bayes", kexue.fm/archives/9617; notes in kexue.fm/archives/9632). An inference
   routine, forward only: it records nothing on the tape and has no backward, so it is not an op
   and not in the gradient check. A causal LM trained at length L cannot read a context longer
   than L. NBCE cuts the context into segments S_1..S_n that each fit beside the tail T (the ids
   whose continuations are wanted), runs the model on every [S_k, T] and on T alone (the
   unconditional prediction), and combines, at every position of the tail,
       log p(. | S_1..S_n, T) = (beta + 1) log p(. | S_k*, T) - beta log p(. | T) + const,
       k* = argmin_k H_k,  H_k = -sum_v p(v | S_k, T) log p(v | S_k, T)    (min-entropy pooling).
   Naive Bayes (the S_k independent given T) gives the mean of log p(. | S_k, T) and beta = n - 1;
   the source replaces the mean by the most confident segment and tunes beta (0.25 there). The
   constant is removed by renormalising, so the result is a log-softmax.
   ls_nbce_combine: the combination alone, for one position. logits (n_seg + 1, V), row 0 the
   unconditional prediction, rows 1..n_seg the segments' (raw logits or log-probabilities: each
   row is log-softmaxed first). Writes logp (V); returns k* (the first on ties), or 0 when n_seg
   is 0 (then logp is row 0's log-softmax: with no context, the plain prediction). */
LS_API int64_t ls_nbce_combine(const float *logits, int64_t n_seg, int64_t V, float beta,
                               float *logp);
/* ls_nbce: m a causal model with an LM head. The context (n_context ids, may be 0) is cut from
   its start into n = ceil(n_context / seg_len) consecutive segments of seg_len ids (the last one
   shorter when seg_len does not divide n_context); seg_len + n_tail must not exceed train_len.
   One forward pass of n + 1 rows (each [S_k, tail], and the tail alone; shorter rows padded).
   logp (n_tail, lm_vocab): row t = log p(the id after tail[t] | context, tail[0..t]); chosen
   (NULL, or n_tail) receives each row's k*. Uses ctx's arena (the caller resets it) with no tape
   and no dropout; ctx's flags are restored. 0, or -1 with a message in err. */
LS_API int ls_nbce(ls_ctx *ctx, ls_model *m, const int32_t *context, int64_t n_context,
                   int64_t seg_len, const int32_t *tail, int64_t n_tail, float beta, float *logp,
                   int64_t *chosen, char *err);
/* DeepNorm constants for N layers of an encoder-only or decoder-only stack (DeepNet, Wang et al. 2022, arXiv:2203.00555) */
LS_API void ls_deepnorm_constants(int n_layers, float *alpha, float *beta);
/* Admin closed form omega = sqrt((n+1)/ln(n+1) - 1), n = 2N residual sublayers */
LS_API float ls_admin_omega(int n_layers);

/* --- training: SPT objectives, evaluation, resumable trainer --- */
typedef struct ls_dataset {
    int64_t n, T;            /* examples and padded length */
    int pair;                /* 1: two sequences per example, tokens (n, 2, T), len (n, 2) */
    const int32_t *tokens;   /* (n, T) or (n, 2, T) */
    const int32_t *len;      /* (n) or (n, 2): valid prefix lengths */
    const int32_t *label;    /* (n) */
} ls_dataset;
enum { LS_OBJ_CLASSIFY = 0, LS_OBJ_MLM, LS_OBJ_CLM };
enum { LS_SELECT_AUTO = 0, LS_SELECT_METRIC, LS_SELECT_LOSS };
typedef struct ls_train_cfg {
    int objective;           /* LS_OBJ_*: MLM and CLM need an LM head */
    int64_t steps;           /* step cap */
    int64_t batch, accum;    /* micro-batch size and micro-batches per step */
    int64_t warmup;
    int sched;               /* LS_SCHED_* */
    float lr, wd, ssm_lr, clip;
    float mask_ratio;        /* MLM: each valid position masked with this probability */
    int mask_id;             /* MLM: the id that replaces masked tokens */
    int64_t eval_every;      /* steps between validations (0 = only at the end) */
    int64_t eval_max;        /* at most this many validation examples (0 = all) */
    int64_t patience;        /* stop after this many validations without improvement (0 = never) */
    int select;              /* LS_SELECT_*: what "best validation" means (early stopping, the kept
                                parameters): AUTO = accuracy for classification, held-out loss for
                                the LM objectives (masked accuracy stalls while the loss still falls) */
    uint64_t seed;           /* batch order, masks and dropout */
} ls_train_cfg;
/* Where a run's files go and how it reports. None of it changes the numbers (a run stopped and
   resumed from its checkpoint ends bit-identical to one that was not), except that init_from's
   parameters decide where training starts: a results cache keys them by what made them, not by the
   path (experiments/report.h keys ls_train_cfg whole plus the pretraining's own key). Zeroed or
   NULL: no files, progress on stderr labelled "train". */
typedef struct ls_train_io {
    const char *ckpt_path;   /* resume checkpoint; "<path>.best" keeps the best validation state */
    int64_t ckpt_every;      /* steps between resume checkpoints (0: only at the end or a stop) */
    const char *init_from;   /* a pretrained checkpoint loaded partially before training (or NULL) */
    const char *csv_path;    /* one CSV row per validation (or NULL): label, step, loss, val, wall, ...;
                                with ckpt_path, a (re)start first drops this run's rows past the
                                checkpoint's step, so every validation is in the file once */
    const char *label;       /* progress label and the CSV rows' first column (NULL: "train") */
    int quiet;               /* no progress lines */
    int fixed_threads;       /* 1: keep ls_get_threads() throughout; 0: adapt it to the machine's load
                                (ls_autothreads; the numbers are the same either way) */
    int64_t stop_after;      /* testing: return 1 after this many steps, as a kill would (0 = off) */
} ls_train_io;
LS_API ls_train_cfg ls_train_cfg_default(void);
typedef struct ls_train_result {
    double best_val;         /* validation metric (accuracy; masked-token accuracy for SPT) at the
                                best validation (see ls_train_cfg.select) */
    double best_val_loss;    /* mean validation loss at that step (nats per predicted token) */
    double test;             /* test metric of the best-validation parameters (-1 without a test set) */
    double final_loss;       /* mean training loss of the last 10% of steps */
    int64_t steps, best_step;
    double wall_s, tokens_per_s;
    int resumed;             /* 1 when it continued from a checkpoint */
    int diverged;            /* 1 when a loss, gradient or parameter became NaN or infinite: the
                                run stopped there (ls_train returns -1, err names step and tensor)
                                and nothing of it was kept as best or scored */
} ls_train_result;
/* trains m on train, validating on val; restores the best-validation parameters and scores test.
   -1 with a message in err on bad settings (a learning rate that is not positive and finite is
   refused up front) and when the run diverges (res->diverged) */
LS_API int ls_train(ls_model *m, const ls_train_cfg *tc, const ls_train_io *io, const ls_dataset *train,
                    const ls_dataset *val, const ls_dataset *test, ls_train_result *res, char *err);
/* accuracy of the objective on (at most max_n examples of) d; *loss (may be NULL) gets the mean loss.
   Returns -1 when the model cannot run on d (the reason goes to stderr). */
LS_API double ls_evaluate(ls_model *m, const ls_train_cfg *tc, const ls_dataset *d, int64_t max_n, double *loss);

/* --- gradient check: central differences in double against ls_backward --- */
typedef ls_tensor *(*ls_graph_fn)(ls_ctx *ctx, ls_tensor *const *in, void *user);
typedef struct ls_gradcheck_result {
    double rel_err;           /* worst over inputs of ||analytic - numeric|| / max(||a||, ||n||) */
    double max_abs_err;       /* worst single element */
    int worst_input;
    int64_t checked, skipped; /* elements compared; elements skipped at kinks */
    int zero_inputs;          /* inputs whose analytic and numeric gradients are both below the
                                 float32 noise floor (1e-4 per element): reported, not compared */
    unsigned char op_seen[LS_OP_COUNT]; /* ops that were on the tape */
    char err[LS_ERRLEN];      /* set when the graph failed to build */
} ls_gradcheck_result;
/* Builds f(in) repeatedly (same ctx seed each time, so dropout masks repeat), takes the loss
   sum(w * f(in)) for fixed random w, and compares d loss / d in for every input with LS_NEEDS_GRAD
   (at most max_elems elements per input, chosen at random; 0 = all) with 4-point central
   differences at steps h and h/2 (h = 0: 1e-2). The gap between the two estimates measures the
   numeric uncertainty of float32 differences; only the part of |analytic - numeric| beyond twice
   that gap counts. rel_err = ||that excess|| / max(||analytic||, ||numeric||) over an input.
   Returns 0 when the graph ran (judge res->rel_err), -1 on build failure. */
LS_API int ls_gradcheck(ls_graph_fn f, ls_tensor *const *in, int n_in, void *user, uint64_t seed,
                        int64_t max_elems, double h, ls_gradcheck_result *res);

/* --- command line, progress, logs --- */
/* profiles: smoke (seconds, every code path), cpu (the report overnight on 2 cores), paper (the
   published sizes, for big machines), quick (a one-hour check of a setup: only programs that define it) */
enum { LS_PROFILE_SMOKE = 0, LS_PROFILE_CPU = 1, LS_PROFILE_PAPER = 2, LS_PROFILE_QUICK = 3 };
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
/* prints "label step s/total  loss ..  acc ..  N tok/s  ETA .." on stderr (every 0.5 s on a
   terminal, every 10 s otherwise); loss < 0 and acc < 0 are left out; tokens is the running total */
LS_API void ls_progress_update(ls_progress *p, int64_t step, double loss, double acc, double tokens);
LS_API void ls_progress_end(ls_progress *p, const char *summary);

/* appends one line to a CSV file, writing the header first when the file is new or empty */
LS_API int ls_csv_append(const char *path, const char *header, const char *row, char *err);

#ifdef LS_MPI
/* --- MPI: data-parallel training (part 6E; compiled only with LS_MPI) ---
   ls_train and ls_evaluate split their work over the ranks of one communicator, by default
   MPI_COMM_WORLD. Every rank of it calls them with the same model, settings and data (they are
   collective, like MPI_Allreduce); each rank takes a disjoint slice of every global batch and the
   gradients are summed, so the run equals one process with the same global batch up to float
   summation order. Rank 0 alone reads and writes the run's files (checkpoints, CSV) and prints
   progress; the other ranks receive its state with MPI_Bcast. With MPI not initialised (a program
   started without mpirun) everything runs in this one process, as without LS_MPI. */
LS_API void ls_mpi_set_comm(MPI_Comm comm);  /* the ranks sharing a run (MPI_COMM_NULL: default) */
LS_API MPI_Comm ls_mpi_comm(void);           /* that communicator (MPI_COMM_SELF when MPI is off) */
LS_API int ls_mpi_rank(void);                /* this rank in it (0 when MPI is off) */
LS_API int ls_mpi_size(void);                /* its ranks (1 when MPI is off) */
#endif
/* writes n bytes to path atomically: to "<path>.tmp", flushed, fsync'ed and renamed over path, so
   a reader sees the old file or the new one. A full disk or a file-size limit (ulimit -f; SIGXFSZ
   is ignored during the write) fails with -1 and a message naming path in err; the old file stays */
LS_API int ls_write_file(const char *path, const void *data, size_t n, char *err);

#ifdef __cplusplus
}
#endif
#endif /* LONGSEQ_H */

/* ---------------------------------------------------------------------------------------------
   6. IMPLEMENTATION
   --------------------------------------------------------------------------------------------- */
#if defined(LONGSEQ_IMPLEMENTATION) && !defined(LS__IMPLEMENTED)
#define LS__IMPLEMENTED   /* a second include with the define set adds nothing */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
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

/* =============================================================================================
   6A. Core: utilities, RNG, arena, tensors and the tape, the op table and the reverse pass
   ============================================================================================= */

/* ---------------------------------------------------------------------------------------------
   6A.1 utils and errors
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

LS_API void ls_autothreads_init(ls_autothreads *a) {
    memset(a, 0, sizeof *a);
    a->n = a->use = ls_get_threads();
    a->probe = LS_AUTO_SKIP;
    a->load = 1;
    a->others = -1;
}

/* where it returns -1 the probe judges by step times alone */
LS_API int ls_cpu_load(double *own, double *busy, int *ncpu) {
#if defined(__linux__)
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return -1;
    *own = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};   /* user nice system idle iowait irq softirq steal */
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &v[6], &v[7]);
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    if (got < 7 || hz <= 0 || nc <= 0) return -1;
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + (got == 8 ? v[7] : 0)) / (double)hz;
    *ncpu = (int)nc;
    return 0;
#else
    (void)own; (void)busy; (void)ncpu;
    return -1;
#endif
}

LS_API int ls_autothreads_choose(int n, double med_1, double med_n, double others, int ncpu) {
    int use = med_1 < LS_AUTO_MARGIN * med_n ? 1 : n;
    if (others >= 0 && ncpu > 0) {
        int fit = (int)floor((double)ncpu - others + 0.5);
        if (fit < use) use = fit;
    }
    return use < 1 ? 1 : use;
}

static double ls__median(double *x, int n) {   /* sorts x (n small) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && x[j] < x[j - 1]; j--) { double t = x[j]; x[j] = x[j - 1]; x[j - 1] = t; }
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

LS_API void ls_autothreads_step(ls_autothreads *a, double s) {
    if (a->n <= 1) return;
    int64_t i = a->k++ - a->probe;   /* this step's place in the probe (negative: before it) */
    if (i < 0 || i >= 2 * LS_AUTO_PROBE) {
        if (a->k == a->probe + LS_AUTO_PERIOD) {   /* the next probe starts with n threads */
            a->probe = a->k;
            if (a->use != a->n) ls_set_threads(a->use = a->n);
        }
        return;
    }
    int ncpu = 0;
    if (i == 0) {   /* the load is measured over the probe's other 2 LS_AUTO_PROBE - 1 steps */
        double own, busy;
        a->wall0 = 0;
        if (a->load && !ls_cpu_load(&own, &busy, &ncpu)) { a->cpu0 = own; a->busy0 = busy; a->wall0 = ls_now(); }
    }
    if (i < LS_AUTO_PROBE) a->t_n[i] = s;
    else a->t_1[i - LS_AUTO_PROBE] = s;
    if (i == LS_AUTO_PROBE - 1) ls_set_threads(a->use = 1);
    if (i == 2 * LS_AUTO_PROBE - 1) {
        double own, busy, wall;
        a->others = -1;
        /* a probe shorter than 0.2 s spans too few clock ticks (1/100 s) to tell the load */
        if (a->load && a->wall0 > 0 && !ls_cpu_load(&own, &busy, &ncpu) && (wall = ls_now() - a->wall0) >= 0.2) {
            a->others = (busy - a->busy0 - (own - a->cpu0)) / wall;
            if (a->others < 0) a->others = 0;
        }
        a->use = ls_autothreads_choose(a->n, ls__median(a->t_1, LS_AUTO_PROBE), ls__median(a->t_n, LS_AUTO_PROBE),
                                       a->others, ncpu);
        a->switches += a->use < a->n;
        ls_set_threads(a->use);
    }
}

LS_API void ls_autothreads_end(ls_autothreads *a) {
    if (a->n > 0) ls_set_threads(a->use = a->n);
}

/* this thread's number in its team, < ls_get_threads(): picks a per-thread slice of a workspace
   allocated before a parallel region */
static int ls__thread_num(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
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

/* e^x, relative error ~2 ulp for -87.3 <= x <= 88.3; exactly 0 for x < -87.3 (and -inf). No calls
   or branches, so loops over it vectorise; results do not depend on the vector width. The clamps
   and the final zero are bit-mask selects, not ?: : with ?: gcc folds the whole polynomial to a
   constant on a clamped arm and branches around it, and without AVX-512's masked stores it then
   leaves the loop scalar (about 5x slower in AVX2 builds). Same values either way. */
static inline uint32_t ls__fbits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float ls__bitsf(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static inline float ls__exp(float x) {
    uint32_t below = 0u - (uint32_t)(x < -87.3f);                     /* all ones: x < -87.3 */
    float xc = ls__bitsf((ls__fbits(x) & ~below) | (ls__fbits(-87.3f) & below));
    uint32_t above = 0u - (uint32_t)(xc > 88.3f);
    xc = ls__bitsf((ls__fbits(xc) & ~above) | (ls__fbits(88.3f) & above));
    float t = xc * 1.44269504088896341f + 12582912.0f;   /* 1.5 * 2^23: rounds x log2 e to an integer */
    float n = t - 12582912.0f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    float r = xc - n * 0.693359375f;                        /* Cody-Waite: ln 2 = 0.693359375 - 2.12e-4 */
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;                             /* Cephes expf polynomial */
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t eb = (tb - 0x4B400000u + 127u) << 23;         /* 2^n, n in [-126, 127] */
    return ls__bitsf(ls__fbits(p * ls__bitsf(eb)) & ~below);          /* +0 below -87.3 */
}

/* e^x with the bits of glibc's expf, in loops the compiler vectorises. The kernels that the
   report's models run through libm's expf (sigmoid, softmax, log-softmax, cross-entropy) keep
   their exact results this way while the calls become vector code. The method is glibc's (2.28 and
   later, sysdeps/ieee754/flt-32/e_expf.c, from Arm's optimized-routines; the variant its ifunc picks
   on CPUs with FMA): in double precision, x 32/ln 2 = k + r with k an integer and |r| <= 1/2, then
   2^(k/32) from a 32-entry table with k/32's integer part added to the exponent bits, times a
   cubic in r. Every multiply-add below is the fused one that variant executes (read off its
   machine code), so the results agree bit for bit for |x| < 88; beyond that (overflow,
   underflow, inf, NaN) ls__expf_n calls expf itself. Without FMA in the build, fma() would be a
   slow library call, so such builds call expf throughout; libm runs its non-FMA variant on such
   CPUs anyway. -DLS_NO_FAST_EXPF forces the libm calls. tests/test_core.c compares the two on a
   stride of all float bit patterns and on the inputs hardest to round (tests/expf_hard.h);
   LS_TEST_EXHAUSTIVE=1 makes it all 2^32. */
#if defined(__FMA__) && !defined(LS_NO_FAST_EXPF)
#define LS__EXPF_VEC 1
/* bits of 2^(i/32) minus i << 47 (the table's exponent is added back from k) */
static const uint64_t ls__expf_tab[32] = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull};
/* e^x before the final rounding to float (the double that glibc rounds); valid for |x| < 88 */
static inline double ls__expf_core_d(float x) {
    const double inv_ln2_32 = 46.16624130844683;       /* 32 / ln 2 */
    const double shift = 6755399441055744.0;           /* 1.5 * 2^52: rounds to an integer in the low bits */
    const double c0 = 1.6938359250920212e-06, c1 = 0.00023459809789509004, c2 = 0.021660849396613134;
    double xd = (double)x;
    double kd = fma(inv_ln2_32, xd, shift);
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift;
    double r = fma(inv_ln2_32, xd, -kd);
    uint64_t t = ls__expf_tab[ki & 31] + (ki << 47);
    double s;
    memcpy(&s, &t, sizeof s);
    double z = fma(c0, r, c1), r2 = r * r;
    double y = fma(r, c2, 1.0);
    y = fma(z, r2, y);
    return y * s;
}
static inline float ls__expf_core(float x) { return (float)ls__expf_core_d(x); }
#else
#define LS__EXPF_VEC 0
#endif

/* y[i] = expf(a[i]) for i < n (y and a distinct). Callers pass pieces of LS__EXPF_CHUNK floats. */
#define LS__EXPF_CHUNK 256
static void ls__expf_n(float *y, const float *a, int64_t n) {
#if LS__EXPF_VEC
    int big = 0;
    for (int64_t i = 0; i < n; i++) y[i] = ls__expf_core(a[i]);
    for (int64_t i = 0; i < n; i++) big |= !(fabsf(a[i]) < 88.0f);
    if (big)
        for (int64_t i = 0; i < n; i++)
            if (!(fabsf(a[i]) < 88.0f)) y[i] = expf(a[i]);
#else
    for (int64_t i = 0; i < n; i++) y[i] = expf(a[i]);
#endif
}

/* ---------------------------------------------------------------------------------------------
   6A.2 random numbers
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
   6A.3 arena

   Blocks chained in a list; a reset rewinds to the first block. When one step needed more
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
   6A.4 tensors and the tape
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
    void *opt;            /* an op's options struct when i[] and f[] do not fit it (arena) */
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

static void ls__fft_plan_free(struct ls__fft_plan *p);
LS_API void ls_ctx_free(ls_ctx *ctx) {
    ls_arena_free(&ctx->arena);
    ls__fft_plan_free(ctx->fft);
    LS_FREE(ctx->scratch);
    memset(ctx, 0, sizeof *ctx);
}
LS_API const char *ls_ctx_error(const ls_ctx *ctx) { return ctx->err; }
LS_API void ls_ctx_profile(ls_ctx *ctx, double *acc) { ctx->op_seconds = acc; }

static float *ls__floats(ls_ctx *ctx, int64_t n) {
    return (float *)ls_arena_alloc(&ctx->arena, (size_t)n * sizeof(float));
}

/* Scratch: one buffer per context for memory that does not outlive a kernel call (packing
   buffers, per-thread workspaces). It grows to the largest request and stays, so a training step
   allocates nothing after the first. A kernel takes it before its parallel region, slices it per
   thread (ls__thread_num), and is done with it before the next kernel runs. 64-byte aligned. */
static void *ls__scratch(ls_ctx *ctx, size_t bytes) {
    if (bytes > ctx->scratch_cap) {
        LS_FREE(ctx->scratch);
        ctx->scratch_cap = bytes + bytes / 4;
        ctx->scratch = ls__xmalloc(ctx->scratch_cap + 64);
    }
    return (void *)(((uintptr_t)ctx->scratch + 63) & ~(uintptr_t)63);
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
static ls_node *ls__record_n(ls_ctx *ctx, int op, ls_tensor *out, int n_in, ls_tensor *const *in) {
    LS_ASSERT(n_in >= 0 && n_in <= LS_MAX_INPUTS);
    ls_node *n = (ls_node *)ls_arena_alloc(&ctx->arena, sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op; n->n_in = n_in; n->out = out;
    int needs = 0;
    for (int i = 0; i < n_in; i++) {
        n->in[i] = in[i];
        if (in[i] && (in[i]->flags & LS_NEEDS_GRAD)) needs = 1;
    }
    if (needs && !ctx->no_grad) {
        out->flags |= LS_NEEDS_GRAD;
        n->prev = ctx->last;
        ctx->last = n;
        ctx->n_nodes++;
    }
    return n;
}

static ls_node *ls__record(ls_ctx *ctx, int op, ls_tensor *out, int n_in, ls_tensor *a, ls_tensor *b,
                           ls_tensor *c, ls_tensor *d) {
    ls_tensor *in[4];
    in[0] = a; in[1] = b; in[2] = c; in[3] = d;
    return ls__record_n(ctx, op, out, n_in, in);
}

/* p[0..n) = 0, in chunks of 16384 floats shared by the threads (large gradient buffers: one
   thread's memset left the other idle) */
static void ls__zero_par(float *p, int64_t n) {
    int64_t nch = (n + 16383) / 16384;
    LS__PAR_FOR(nch, 16384)
    for (int64_t c = 0; c < nch; c++) {
        int64_t i0 = c * 16384, m = n - i0 < 16384 ? n - i0 : 16384;
        memset(p + i0, 0, (size_t)m * sizeof(float));
    }
}

/* Gradient buffers of a reverse pass start raw (LS__GRAD_RAW: given, never written), so no pass
   over memory zeroes them all up front. The first kernel to touch one either zeroes it then
   (ls__grad: the buffer is about to be read, and is in cache when it is) or, if that kernel
   writes every element, stores instead of adding (ls__grad_w + LS__GACC) and skips the zeroing
   altogether. Stored values are v + 0.0f, which are the bits 0 + v would have had, so a raw
   buffer ends up exactly as a zeroed one would. */
#define LS__GRAD_RAW 0x200

/* the gradient buffer of t inside backward, ready to add into: NULL when t needs none */
static float *ls__grad(const ls_tensor *t) {
    if (!t || !(t->flags & LS_NEEDS_GRAD)) return NULL;
    if (t->flags & LS__GRAD_RAW) {
        ((ls_tensor *)t)->flags &= ~LS__GRAD_RAW;
        ls__zero_par(t->g, t->n);
    }
    return t->g;
}

/* the same for a kernel that writes every element of the buffer once: *fresh = 1 when the buffer
   is raw, and the kernel must store (LS__GACC) rather than add */
static float *ls__grad_w(const ls_tensor *t, int *fresh) {
    *fresh = t && (t->flags & LS_NEEDS_GRAD) && (t->flags & LS__GRAD_RAW);
    if (*fresh) ((ls_tensor *)t)->flags &= ~LS__GRAD_RAW;
    return t && (t->flags & LS_NEEDS_GRAD) ? t->g : NULL;
}

/* dst gets the gradient contribution v: stored on a raw buffer (0 + v), added otherwise. The
   select picks an operand, not one of two sums: gcc then if-converts loops over it without
   AVX-512's masked stores (it may load dst either way, as dst is stored). */
#define LS__GACC(fresh, dst, v) ((dst) = ((fresh) ? 0.0f : (dst)) + (v))

/* ---------------------------------------------------------------------------------------------
   6A.5 the op table: dispatch and the reverse pass
   --------------------------------------------------------------------------------------------- */

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

/* runs node n's forward (dir 0) or backward (dir 1) kernel, timed when ctx is profiling */
static void ls__exec(ls_ctx *ctx, ls_node *n, int dir) {
    double t0 = ctx->op_seconds ? ls_now() : 0.0;
    (dir ? ls__op_backward : ls__op_forward)[n->op](ctx, n);
    if (ctx->op_seconds) ctx->op_seconds[2 * n->op + dir] += ls_now() - t0;
}

/* runs the forward kernel of a freshly recorded node */
static void ls__run(ls_ctx *ctx, ls_node *n) { ls__exec(ctx, n, 0); }

LS_API const char *ls_op_name(int op) { return op >= 0 && op < LS_OP_COUNT ? ls__op_names[op] : "?"; }

/* The gradient buffers of a reverse pass: every tensor on the tape that needs a gradient and
   has none yet gets a slice of one arena block, raw (see ls__grad): zeroing the block up front
   was a write of every buffer to DRAM and a read back later, 5% of an S4D step. */
#define LS__GRAD_PENDING 0x100 /* internal flag: counted, slice not yet given */
static int64_t ls__grad_count(ls_tensor *t) {
    if (!t || !(t->flags & LS_NEEDS_GRAD) || t->g || (t->flags & LS__GRAD_PENDING)) return 0;
    t->flags |= LS__GRAD_PENDING;
    return (t->n + 15) & ~(int64_t)15; /* slices stay 64-byte aligned */
}

static void ls__grad_give(ls_tensor *t, float **next) {
    if (!t || !(t->flags & LS__GRAD_PENDING)) return;
    t->flags = (t->flags & ~LS__GRAD_PENDING) | LS__GRAD_RAW;
    t->g = *next;
    *next += (t->n + 15) & ~(int64_t)15;
}

static void ls__alloc_grads(ls_ctx *ctx) {
    int64_t total = 0;
    float *block, *next;
    for (ls_node *n = ctx->last; n; n = n->prev) {
        total += ls__grad_count(n->out);
        for (int i = 0; i < n->n_in; i++) total += ls__grad_count(n->in[i]);
    }
    if (!total) return;
    block = ls__floats(ctx, total);
    next = block;
    for (ls_node *n = ctx->last; n; n = n->prev) {
        ls__grad_give(n->out, &next);
        for (int i = 0; i < n->n_in; i++) ls__grad_give(n->in[i], &next);
    }
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
    ls__alloc_grads(ctx);
    float *g = ls__grad(out);
    for (int64_t i = 0; i < out->n; i++) g[i] += dout[i];
    /* every raw buffer is some node's output: zeroed here at the latest if nothing wrote it */
    for (ls_node *n = ctx->last; n; n = n->prev) {
        ls__grad(n->out);
        ls__exec(ctx, n, 1);
    }
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

/* =============================================================================================
   6B. Kernels: sgemm, FFT and long convolution, S4D, LRU, attention
   ============================================================================================= */

/* ---------------------------------------------------------------------------------------------
   6B.1 matrix multiply: ls_sgemm
   ---------------------------------------------------------------------------------------------
   C(M,N) = beta*C + alpha * op(A)(M,K) * op(B)(K,N), all row-major (see the declaration).

   Algorithm (Goto / BLIS), parallel over a grid of independent C blocks ("items").
   Grid: mb M blocks of mc <= MC rows (a multiple of MR, blocks as equal as possible) x nb N
   chunks of <= NC columns (whole NR slivers); cut finer when that would leave a thread idle
   (a small C from a long K), see the code.
   Items run under an OpenMP dynamic schedule with no barrier in between, so a thread that
   loses its core to another process simply takes fewer items.  Per item (rows i0.., cols j0..):
     pc: K in blocks of KC                                                    (sequential)
       pack op(B)[pc:pc+kc, j0:j0+n]        -> Bp: slivers of (kc, NR), zero-padded   (private)
       pack alpha*op(A)[i0:i0+m, pc:pc+kc]  -> Ap: slivers of MR rows x kc, each row stored
                                               with the fixed stride AS = KC+16      (private)
       ir: MR-row slivers of A  (the A sliver, MR*AS*4 = 15 KiB, stays in L1)
         jr: NR-column slivers of B  (B slivers stream from L2)
           micro-kernel: the (MR, NR) tile of C lives in registers for the whole kc loop;
           per k it loads NR floats of B and broadcasts MR floats of A (one FMA per pair).
   Each thread packs B for its own items (B is re-packed once per M block: one copy per 2*mc
   flops, ~1-2% with mc = 224) instead of sharing one packed panel behind barriers: on a machine
   with few cores shared by other jobs, per-K-block barriers cost far more than the copies.
   Except where no copy is needed: when B is stored (K, N) with rows at most LD_DIRECT = 512
   floats apart (every model width), a full NR-column sliver is already kc rows of NR contiguous
   floats, and the kernel reads it in place with stride ldb; the kc rows of a chunk (<= 2 KiB
   apart) stay in L2 without set conflicts. Only edge slivers (zero-padded) and transposed or
   wider B are packed. This saves a pass over B per item, most for the weight gradient X^T dY,
   whose B is the whole dY (rows x width). The same holds for A in that product: stored (K, M)
   (ta == 1) with rows <= 512 floats apart and alpha 1, a full MR-row sliver is kc rows of MR
   contiguous floats, and a second kernel (AVX-512 builds) broadcasts them in place, advancing by
   lda per k; the transposing pack of X^T cost as much as the multiply for the report's d 64
   models (M = 64..128, N = 64..128, K = 16384 rows). The bits are the same either way.

   Sizes.  AVX-512: MR x NR = 14 x 32: 28 zmm accumulators + 2 for B + 1 broadcast = 31 of the 32
   registers; 28 independent FMA chains cover the 4-cycle latency of two 512-bit FMA pipes
   (on a core with two 512-bit FMA pipes, zmm doubles the peak of ymm), and per k the kernel issues
   28 FMAs against 2 vector loads and 14 broadcasts.  NR = 32 divides the model widths
   128/384/512.  AVX2: 6 x 16 (12 ymm accumulators, the classic Haswell shape).  Plain C: 4 x 8.
   KC = 256: the A sliver (14 x 256 floats) sits in the 48 KiB L1 while the jr loop streams B
   slivers (32 KiB each) from L2.  NC = 512 and MC = 16*MR = 224: B chunk (256 x 512 floats =
   512 KiB) + A block (224 x 272 floats = 238 KiB) fit the 1 MiB L2.  The packed A sliver has a
   compile-time row stride AS, so the kernel addresses row r at the constant displacement
   r*AS*4 bytes; the +16 pad keeps the MR rows in different L1 sets.  With this row layout,
   packing A for ta == 0 is a plain (vectorised) copy; ta == 1 and tb == 1 are transposed while
   packing (16x16 register transposes with AVX-512, scalar loops otherwise).

   Determinism.  alpha is folded into the packed A (alpha*a is rounded once, as in the small
   path), and every micro-kernel starts its accumulators from beta*C (or 0 when beta == 0, or the
   partial C of the previous K block when pc > 0) and then applies one FMA per k, k ascending.
   So every element of C is   c = beta*c;  for k = 0..K-1: c = fma(alpha*a[i,k], b[k,j], c)
   -- one fixed sequence of roundings that depends neither on which thread computes the tile,
   nor on the thread count, nor on the block sizes or on whether a tile is an edge tile (edge
   tiles run the same kernel on zero-padded panels into a scratch tile).  The work grid (runs
   of M blocks x N chunks, cut by the shape and the thread count) gives each C element to
   exactly one item; there are no atomics and no partial sums split over K.  The unpacked
   small-problem path uses the same sequence (via fmaf when the target has FMA), so it gives the
   same bits as well.
   Without hardware FMA the fallback uses a*b+c.
   (The AVX-512, AVX2 and FMA plain-C builds give identical bits; checked.)
   Threads: all of omp_get_max_threads() when M*N*K >= 96^3 and we are not already inside a
   parallel region (then single-threaded, no nested teams).  alpha == 0 or K == 0: C = beta*C
   without reading A or B (BLAS semantics).  Packing memory: one LS_MALLOC per call, 64-byte
   aligned by hand; if it fails, the unpacked loop computes the same result.
   --------------------------------------------------------------------------------------------- */

#if defined(__AVX512F__)
#include <immintrin.h>
#define LS__SGEMM_MR 14
#define LS__SGEMM_NR 32
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LS__SGEMM_MR 6
#define LS__SGEMM_NR 16
#else
#define LS__SGEMM_MR 4
#define LS__SGEMM_NR 8
#endif
#define LS__SGEMM_KC 256                      /* K block                                        */
#define LS__SGEMM_AS (LS__SGEMM_KC + 16)      /* row stride (floats) of a packed A sliver       */
#define LS__SGEMM_NC 512                      /* N panel, a multiple of NR                      */
#define LS__SGEMM_MCS 16                      /* max MR-slivers per M block (MC = 16*MR = 224)  */
#define LS__SGEMM_LD_DIRECT 512               /* A (K, M) / B (K, N) rows <= this apart: read in place */
#define LS__SGEMM_LD_DIRECT_INTEL 256         /* the same on Intel cores (see ls__sgemm_ld_direct)  */
#define LS__SGEMM_BAL 0.9                     /* cut the grid finer below this load balance     */
#define LS__SGEMM_SMALL 32768.0               /* M*N*K below this: unpacked single-thread loop  */
#define LS__SGEMM_ITEMS 2                     /* aim for at least this many items per thread    */
#define LS__SGEMM_PAR 884736.0                /* M*N*K below this (96^3): single thread         */

#if defined(__FMA__) || defined(FP_FAST_FMAF)
#define LS__SGEMM_FMA(a, b, c) fmaf((a), (b), (c))
#else
#define LS__SGEMM_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* ---- micro-kernel: c(MR, NR) = (beta == 0 ? 0 : beta*ci) + sum_k a(:, k) b(k, :) ----
   a: packed A sliver, MR rows of kc floats with row stride AS; b: B sliver, kc rows of NR floats;
   ldb: its row stride (NR packed, ldb of B read in place); c: row stride ldc; ci: where
   the accumulators start, row stride ldci (c itself, or a bias row with ldci 0).  Accumulation
   order per element: k ascending, one FMA each. */
#if defined(__AVX512F__)

#define LS__SGEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define LS__SGEMM_ROWS8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define LS__SGEMM_ROWS4(X) X(0) X(1) X(2) X(3)
#define LS__SGEMM_ROWS2(X) X(0) X(1)
#define LS__SGEMM_ZERO(i) __m512 c##i##l = _mm512_setzero_ps(), c##i##h = _mm512_setzero_ps();
#define LS__SGEMM_LOADC(i)                                                                      \
    c##i##l = _mm512_mul_ps(vb, _mm512_loadu_ps(ci + (i) * ldci));                               \
    c##i##h = _mm512_mul_ps(vb, _mm512_loadu_ps(ci + (i) * ldci + 16));
#define LS__SGEMM_FMA2(i, av)                                                                   \
    {                                                                                            \
        const __m512 ai = _mm512_set1_ps(av);                                                    \
        c##i##l = _mm512_fmadd_ps(ai, b0, c##i##l);                                              \
        c##i##h = _mm512_fmadd_ps(ai, b1, c##i##h);                                              \
    }
#define LS__SGEMM_STEP_P(i) LS__SGEMM_FMA2(i, a[(i) * LS__SGEMM_AS])   /* packed A sliver */
#define LS__SGEMM_STEP_K(i) LS__SGEMM_FMA2(i, a[i])                    /* A (K, M) in place */
#define LS__SGEMM_STORE(i)                                                                      \
    _mm512_storeu_ps(c + (i) * ldc, c##i##l);                                                    \
    _mm512_storeu_ps(c + (i) * ldc + 16, c##i##h);
/* the kernel for the rows ROWS lists; STEP names how row i of the A sliver is read at this k, a
   advances by ASTEP per k */
#define LS__SGEMM_KERNEL_BODY(ROWS, STEP, ASTEP)                                                \
    int64_t k;                                                                                   \
    ROWS(LS__SGEMM_ZERO)                                                                         \
    if (beta != 0.0f) {                                                                          \
        const __m512 vb = _mm512_set1_ps(beta);                                                  \
        ROWS(LS__SGEMM_LOADC)                                                                    \
    }                                                                                            \
    for (k = 0; k < kc; k++) {                                                                   \
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);                      \
        ROWS(STEP)                                                                               \
        a += (ASTEP);                                                                            \
        b += ldb;                                                                                \
    }                                                                                            \
    ROWS(LS__SGEMM_STORE)

static void ls__sgemm_kernel(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                             int64_t ldc, float beta, const float *ci, int64_t ldci) {
    LS__SGEMM_KERNEL_BODY(LS__SGEMM_ROWS, LS__SGEMM_STEP_P, 1)
}

/* the first 8, 4 or 2 rows of a packed sliver only: an edge sliver of m < MR rows (the last of M =
   64, 128 or 512: 8, 2, 8 rows) ran all 14 rows, 6 to 12 of them on zero padding. Same chain per
   element. */
#define LS__SGEMM_SHORT 1
static void ls__sgemm_kernel8(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                              int64_t ldc, float beta, const float *ci, int64_t ldci) {
    LS__SGEMM_KERNEL_BODY(LS__SGEMM_ROWS8, LS__SGEMM_STEP_P, 1)
}
static void ls__sgemm_kernel4(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                              int64_t ldc, float beta, const float *ci, int64_t ldci) {
    LS__SGEMM_KERNEL_BODY(LS__SGEMM_ROWS4, LS__SGEMM_STEP_P, 1)
}
static void ls__sgemm_kernel2(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                              int64_t ldc, float beta, const float *ci, int64_t ldci) {
    LS__SGEMM_KERNEL_BODY(LS__SGEMM_ROWS2, LS__SGEMM_STEP_P, 1)
}

/* the same kernel reading a full MR-row sliver of an A stored (K, M) in place (ta == 1, alpha
   1): a points at A[k0][i0], the MR floats of row k are a[0..MR), and a advances by lda per k.
   Same arithmetic, element for element, as packing the sliver first. */
#define LS__SGEMM_A_IN_PLACE 1
static void ls__sgemm_kernel_ak(int64_t kc, const float *a, int64_t lda, const float *b,
                                int64_t ldb, float *c, int64_t ldc, float beta, const float *ci,
                                int64_t ldci) {
    LS__SGEMM_KERNEL_BODY(LS__SGEMM_ROWS, LS__SGEMM_STEP_K, lda)
}
#undef LS__SGEMM_KERNEL_BODY
#undef LS__SGEMM_ROWS8
#undef LS__SGEMM_ROWS4
#undef LS__SGEMM_ROWS2
#undef LS__SGEMM_STORE
#undef LS__SGEMM_STEP_K
#undef LS__SGEMM_STEP_P
#undef LS__SGEMM_FMA2
#undef LS__SGEMM_LOADC
#undef LS__SGEMM_ZERO

#elif defined(__AVX2__) && defined(__FMA__)

#define LS__SGEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
static void ls__sgemm_kernel(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                             int64_t ldc, float beta, const float *ci, int64_t ldci) {
    int64_t k;
#define LS__SGEMM_ZERO(i) __m256 c##i##l = _mm256_setzero_ps(), c##i##h = _mm256_setzero_ps();
    LS__SGEMM_ROWS(LS__SGEMM_ZERO)
#undef LS__SGEMM_ZERO
    if (beta != 0.0f) {
        const __m256 vb = _mm256_set1_ps(beta);
#define LS__SGEMM_LOADC(i)                                                                      \
    c##i##l = _mm256_mul_ps(vb, _mm256_loadu_ps(ci + (i) * ldci));                               \
    c##i##h = _mm256_mul_ps(vb, _mm256_loadu_ps(ci + (i) * ldci + 8));
        LS__SGEMM_ROWS(LS__SGEMM_LOADC)
#undef LS__SGEMM_LOADC
    }
    for (k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#define LS__SGEMM_STEP(i)                                                                       \
    {                                                                                            \
        const __m256 ai = _mm256_broadcast_ss(a + (i) * LS__SGEMM_AS);                           \
        c##i##l = _mm256_fmadd_ps(ai, b0, c##i##l);                                              \
        c##i##h = _mm256_fmadd_ps(ai, b1, c##i##h);                                              \
    }
        LS__SGEMM_ROWS(LS__SGEMM_STEP)
#undef LS__SGEMM_STEP
        a += 1;
        b += ldb;
    }
#define LS__SGEMM_STORE(i)                                                                      \
    _mm256_storeu_ps(c + (i) * ldc, c##i##l);                                                    \
    _mm256_storeu_ps(c + (i) * ldc + 8, c##i##h);
    LS__SGEMM_ROWS(LS__SGEMM_STORE)
#undef LS__SGEMM_STORE
}

#else /* portable C */

static void ls__sgemm_kernel(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                             int64_t ldc, float beta, const float *ci, int64_t ldci) {
    float acc[LS__SGEMM_MR][LS__SGEMM_NR];
    int64_t i, j, k;
    for (i = 0; i < LS__SGEMM_MR; i++)
        for (j = 0; j < LS__SGEMM_NR; j++) acc[i][j] = beta != 0.0f ? beta * ci[i * ldci + j] : 0.0f;
    for (k = 0; k < kc; k++)
        for (i = 0; i < LS__SGEMM_MR; i++) {
            const float ai = a[i * LS__SGEMM_AS + k];
            for (j = 0; j < LS__SGEMM_NR; j++)
                acc[i][j] = LS__SGEMM_FMA(ai, b[k * ldb + j], acc[i][j]);
        }
    for (i = 0; i < LS__SGEMM_MR; i++)
        for (j = 0; j < LS__SGEMM_NR; j++) c[i * ldc + j] = acc[i][j];
}

#endif

/* the kernel for a packed A sliver (lda_k 0) or one read in place (lda_k: A's row stride) */
static void ls__sgemm_run(int64_t kc, const float *a, int64_t lda_k, const float *b, int64_t ldb,
                          float *c, int64_t ldc, float beta, const float *ci, int64_t ldci) {
#ifdef LS__SGEMM_A_IN_PLACE
    if (lda_k) { ls__sgemm_kernel_ak(kc, a, lda_k, b, ldb, c, ldc, beta, ci, ldci); return; }
#endif
    (void)lda_k;
    ls__sgemm_kernel(kc, a, b, ldb, c, ldc, beta, ci, ldci);
}

/* one (m <= MR, n <= NR) tile of C; edge tiles go through a scratch tile so the same kernel
   (same arithmetic) runs on the zero-padded panels */
static void ls__sgemm_tile(int64_t kc, const float *a, int64_t lda_k, const float *b, int64_t ldb,
                           float *c, int64_t ldc, int64_t m, int64_t n, float beta,
                           const float *ci, int64_t ldci) {
    float t[LS__SGEMM_MR * LS__SGEMM_NR];
    int64_t i, j;
    if (m == LS__SGEMM_MR && n == LS__SGEMM_NR) {
        ls__sgemm_run(kc, a, lda_k, b, ldb, c, ldc, beta, ci, ldci);
        return;
    }
    if (beta != 0.0f)
        for (i = 0; i < LS__SGEMM_MR; i++)
            for (j = 0; j < LS__SGEMM_NR; j++)
                t[i * LS__SGEMM_NR + j] = (i < m && j < n) ? ci[i * ldci + j] : 0.0f;
#ifdef LS__SGEMM_SHORT
    if (!lda_k && m <= 8) {   /* a packed edge sliver: the first 8, 4 or 2 rows */
        if (m <= 2) ls__sgemm_kernel2(kc, a, b, ldb, t, LS__SGEMM_NR, beta, t, LS__SGEMM_NR);
        else if (m <= 4) ls__sgemm_kernel4(kc, a, b, ldb, t, LS__SGEMM_NR, beta, t, LS__SGEMM_NR);
        else ls__sgemm_kernel8(kc, a, b, ldb, t, LS__SGEMM_NR, beta, t, LS__SGEMM_NR);
    } else
#endif
    ls__sgemm_run(kc, a, lda_k, b, ldb, t, LS__SGEMM_NR, beta, t, LS__SGEMM_NR);
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++) c[i * ldc + j] = t[i * LS__SGEMM_NR + j];
}

#if defined(__AVX512F__)
/* in place 16x16 transpose: on return r[c][q] = old r[q][c], i.e. r[l] = 16 floats of row l ->
   r[j] = element j of rows 0..15. Shared by the sgemm's packing, the attention's K^T / V^T tiles
   and the LayerNorm lanes. (The all-ones mask_ forms are the plain instructions; they avoid
   _mm512_undefined_*, which g++ 12 flags under -Werror.) */
static inline void ls__tr16(__m512 r[16]) {
    const __m512 z = _mm512_setzero_ps();
    const __m512d zd = _mm512_setzero_pd();
    __m512 t[16];
    int i;
    for (i = 0; i < 8; i++) { /* t[2i] lane L: r2i[4L] r2i+1[4L] r2i[4L+1] r2i+1[4L+1] */
        t[2 * i] = _mm512_mask_unpacklo_ps(z, 0xFFFF, r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_mask_unpackhi_ps(z, 0xFFFF, r[2 * i], r[2 * i + 1]);
    }
    for (i = 0; i < 4; i++) { /* r[4i+j] lane L: rows 4i..4i+3 of column 4L+j */
        const __m512d t0 = _mm512_castps_pd(t[4 * i]), t1 = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d t2 = _mm512_castps_pd(t[4 * i + 2]), t3 = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i + 0] = _mm512_castpd_ps(_mm512_mask_unpacklo_pd(zd, 0xFF, t0, t2));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_mask_unpackhi_pd(zd, 0xFF, t0, t2));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_mask_unpacklo_pd(zd, 0xFF, t1, t3));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_mask_unpackhi_pd(zd, 0xFF, t1, t3));
    }
    for (i = 0; i < 4; i++) { /* t[j], t[4+j]: rows 0-7; t[8+j], t[12+j]: rows 8-15 */
        t[i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, r[8 + i], r[12 + i], 0xdd);
    }
    for (i = 0; i < 4; i++) { /* column c = all 16 rows */
        r[i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_mask_shuffle_f32x4(z, 0xFFFF, t[4 + i], t[12 + i], 0xdd);
    }
}

/* one A sliver from A stored (K, M): dst[r*AS + k] = alpha*A[(p0+k)*lda + i0 + r] for r < mr,
   0 for mr <= r < MR; 16 k at a time through a register transpose */
static void ls__sgemm_pack_at16(const float *A, int64_t lda, int64_t i0, int64_t mr, int64_t p0,
                                int64_t kc, float alpha, float *dst) {
    const __mmask16 mrow = (__mmask16)((1u << mr) - 1u);
    const __m512 va = _mm512_set1_ps(alpha);
    __m512 r[16];
    int64_t k, q, c;
    for (k = 0; k < kc; k += 16) {
        const int64_t nk = kc - k < 16 ? kc - k : 16;
        const __mmask16 mk = (__mmask16)((1u << nk) - 1u);
        for (q = 0; q < 16; q++)
            r[q] = q < nk ? _mm512_mul_ps(va, _mm512_maskz_loadu_ps(
                                              mrow, A + (size_t)(p0 + k + q) * (size_t)lda + i0))
                          : _mm512_setzero_ps();
        ls__tr16(r);
        for (c = 0; c < LS__SGEMM_MR; c++) _mm512_mask_storeu_ps(dst + c * LS__SGEMM_AS + k, mk, r[c]);
    }
}
#endif

#if defined(__AVX512F__)
/* 16 columns of a B sliver from B stored (N, K): d[k*NR + j] = b[j*ldb + k] for j < nr (<= 16),
   0 for nr <= j < 16 */
static void ls__sgemm_pack_bt16(const float *b, int64_t ldb, int64_t nr, int64_t kc, float *d) {
    __m512 r[16];
    int64_t k, q;
    for (k = 0; k < kc; k += 16) {
        const int64_t nk = kc - k < 16 ? kc - k : 16;
        const __mmask16 mk = (__mmask16)((1u << nk) - 1u);
        for (q = 0; q < 16; q++)
            r[q] = q < nr ? _mm512_maskz_loadu_ps(mk, b + (size_t)q * (size_t)ldb + k) : _mm512_setzero_ps();
        ls__tr16(r);
        for (q = 0; q < nk; q++) _mm512_storeu_ps(d + (k + q) * LS__SGEMM_NR, r[q]);
    }
}
#endif

/* Ap <- alpha * op(A)[i0:i0+mc, p0:p0+kc] as ceil(mc/MR) slivers of MR rows (row stride AS,
   sliver stride MR*AS); rows past mc are zero */
static void ls__sgemm_pack_a(int ta, const float *A, int64_t lda, int64_t i0, int64_t mc,
                             int64_t p0, int64_t kc, float alpha, float *ap) {
    int64_t s, r, k;
    for (s = 0; s < mc; s += LS__SGEMM_MR) {
        const int64_t mr = mc - s < LS__SGEMM_MR ? mc - s : LS__SGEMM_MR;
        float *dst = ap + (size_t)(s / LS__SGEMM_MR) * LS__SGEMM_MR * LS__SGEMM_AS;
        if (!ta) { /* A stored (M, K): each sliver row is a contiguous run of A's row */
            for (r = 0; r < mr; r++) {
                const float *src = A + (size_t)(i0 + s + r) * (size_t)lda + p0;
                float *d = dst + r * LS__SGEMM_AS;
                for (k = 0; k < kc; k++) d[k] = alpha * src[k];
            }
        } else { /* A stored (K, M): transpose while packing */
#if defined(__AVX512F__)
            ls__sgemm_pack_at16(A, lda, i0 + s, mr, p0, kc, alpha, dst);
            continue;
#endif
            for (k = 0; k < kc; k++) {
                const float *src = A + (size_t)(p0 + k) * (size_t)lda + i0 + s;
                for (r = 0; r < mr; r++) dst[r * LS__SGEMM_AS + k] = alpha * src[r];
            }
        }
        for (r = mr; r < LS__SGEMM_MR; r++)
            for (k = 0; k < kc; k++) dst[r * LS__SGEMM_AS + k] = 0.0f;
    }
}

/* B slivers s0..s1-1 of the panel starting at column jc (nc columns): sliver s is
   bp + s*kc*NR, (kc, NR) <- op(B)[p0:p0+kc, jc+s*NR : jc+s*NR+NR], columns past nc are zero */
static void ls__sgemm_pack_b(int tb, const float *B, int64_t ldb, int64_t p0, int64_t kc,
                             int64_t jc, int64_t nc, int64_t s0, int64_t s1, float *bp) {
    int64_t k, j, s;
    if (!tb) { /* B stored (K, N): walk each row of B once, left to right (prefetch-friendly) */
        for (k = 0; k < kc; k++) {
            const float *src = B + (size_t)(p0 + k) * (size_t)ldb + jc;
            for (s = s0; s < s1; s++) {
                const int64_t j0 = s * LS__SGEMM_NR;
                float *d = bp + ((size_t)s * (size_t)kc + (size_t)k) * LS__SGEMM_NR;
                if (nc - j0 >= LS__SGEMM_NR) {
                    for (j = 0; j < LS__SGEMM_NR; j++) d[j] = src[j0 + j];
                } else {
                    for (j = 0; j < nc - j0; j++) d[j] = src[j0 + j];
                    for (; j < LS__SGEMM_NR; j++) d[j] = 0.0f;
                }
            }
        }
    } else { /* B stored (N, K): transpose while packing */
        for (s = s0; s < s1; s++) {
            const int64_t j0 = s * LS__SGEMM_NR;
            const int64_t nr = nc - j0 < LS__SGEMM_NR ? nc - j0 : LS__SGEMM_NR;
            float *d = bp + (size_t)s * (size_t)kc * LS__SGEMM_NR;
#if defined(__AVX512F__)
            ls__sgemm_pack_bt16(B + (size_t)(jc + j0) * (size_t)ldb + p0, ldb, nr, kc, d);
            ls__sgemm_pack_bt16(B + (size_t)(jc + j0 + (nr > 16 ? 16 : 0)) * (size_t)ldb + p0, ldb,
                                nr > 16 ? nr - 16 : 0, kc, d + 16);
            continue;
#endif
            for (j = 0; j < nr; j++) {
                const float *src = B + (size_t)(jc + j0 + j) * (size_t)ldb + p0;
                for (k = 0; k < kc; k++) d[k * LS__SGEMM_NR + j] = src[k];
            }
            for (; j < LS__SGEMM_NR; j++)
                for (k = 0; k < kc; k++) d[k * LS__SGEMM_NR + j] = 0.0f;
        }
    }
}

/* unpacked path for small problems; same rounding sequence per element as the packed path */
static void ls__sgemm_small(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                            const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                            float *C, int64_t ldc, const float *bias) {
    int64_t i, j, k;
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * (size_t)ldc;
        for (j = 0; j < N; j++) c[j] = bias ? bias[j] : beta != 0.0f ? beta * c[j] : 0.0f;
        for (k = 0; k < K; k++) {
            const float a = alpha * (ta ? A[(size_t)k * (size_t)lda + i] : A[(size_t)i * (size_t)lda + k]);
            if (!tb) {
                const float *b = B + (size_t)k * (size_t)ldb;
                for (j = 0; j < N; j++) c[j] = LS__SGEMM_FMA(a, b[j], c[j]);
            } else {
                for (j = 0; j < N; j++) c[j] = LS__SGEMM_FMA(a, B[(size_t)j * (size_t)ldb + k], c[j]);
            }
        }
    }
}

/* how far apart (floats) the rows of an A stored (K, M) or a B stored (K, N) may be for the
   kernel to read them in place instead of packing them. Only where the choice was measured to
   pay: rows 2 KiB apart (512) read in place were faster on an AMD Zen 5 (W1's FFN weight gradient
   512 x 128 x 8192 TN 119 -> 172 GFLOP/s at 1 thread) and slower on an Intel Xeon with AVX-512
   (97 -> 124 GFLOP/s packed; 128 x 512 x 8192 134-143 packed against 100-140), while rows
   <= 1 KiB apart stayed within +-5% either way there (bench/PROFILE.md). The choice never
   changes a result. */
static int64_t ls__sgemm_ld_direct(void) {
#if defined(__AVX512F__) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if (__builtin_cpu_is("intel")) return LS__SGEMM_LD_DIRECT_INTEL;
#endif
    return LS__SGEMM_LD_DIRECT;
}

/* ls_sgemm with its packing buffers from ctx's scratch (ctx NULL: malloc and free per call).
   bias (N) or NULL: C = bias (every row) + alpha op(A) op(B), beta unused; the accumulators start
   from the bias, with the bits of copying it into C first and calling with beta 1, without that
   pass over C (a linear layer's forward). */
static void ls__sgemm_x(ls_ctx *ctx, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                        const float *A, int64_t lda, const float *B, int64_t ldb,
                        float beta, float *C, int64_t ldc, const float *bias) {
    const double work = (double)M * (double)N * (double)K;
    const int64_t ldd = ls__sgemm_ld_direct();
    int64_t kcmax, msl, mb, mcs, mc, nsl, nb, cs, g, nitems, i, j;
    size_t asz, bsz;
    int nt = 1;
    unsigned char *mem;
    float *buf;
    if (M <= 0 || N <= 0) return;
    if (bias) beta = 1.0f;
    if (K <= 0 || alpha == 0.0f) { /* C = beta*C (A and B are not read, as in BLAS) */
        if (bias) for (i = 0; i < M; i++) memcpy(C + (size_t)i * (size_t)ldc, bias, (size_t)N * sizeof(float));
        if (beta == 1.0f) return;
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++)
                C[(size_t)i * (size_t)ldc + j] = beta != 0.0f ? beta * C[(size_t)i * (size_t)ldc + j] : 0.0f;
        return;
    }
    if (work < LS__SGEMM_SMALL) {
        ls__sgemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
        return;
    }
#ifdef _OPENMP
    if (work >= LS__SGEMM_PAR && !omp_in_parallel()) nt = omp_get_max_threads();
    if (nt < 1) nt = 1;
#endif
    /* the grid: mb M blocks of mcs MR-slivers x nb N chunks of cs NR-slivers (mcs <= MCS,
       cs*NR <= NC), blocks as equal as possible.  With several threads, a grid that would leave
       a thread idle -- a small C with a long K, like the weight gradient X^T dY, 128 x 128 from
       K = 8192, is a single item -- is cut finer until the dynamic schedule can keep every
       thread busy: while the work is below BAL of nt * (rounds of items) * (largest item), the
       longer side of an item loses one sliver (down to 4 M / 2 N slivers).  Cuts are few and
       items stay square-ish, because an item re-packs (mc + n) * K floats for its 2 mc n K
       flops.  The grid never changes a result (see Determinism). */
    kcmax = K < LS__SGEMM_KC ? K : LS__SGEMM_KC;
    msl = (M + LS__SGEMM_MR - 1) / LS__SGEMM_MR;
    nsl = (N + LS__SGEMM_NR - 1) / LS__SGEMM_NR;
    mb = (msl + LS__SGEMM_MCS - 1) / LS__SGEMM_MCS;
    nb = (nsl + LS__SGEMM_NC / LS__SGEMM_NR - 1) / (LS__SGEMM_NC / LS__SGEMM_NR);
    mcs = (msl + mb - 1) / mb;
    cs = (nsl + nb - 1) / nb;
    for (;;) {
        mb = (msl + mcs - 1) / mcs;
        nb = (nsl + cs - 1) / cs;
        mcs = (msl + mb - 1) / mb; /* even out: mb blocks of mcs or fewer slivers */
        cs = (nsl + nb - 1) / nb;
        if (nt <= 1 || (double)msl * (double)nsl >= LS__SGEMM_BAL * (double)nt *
                                                      (double)((mb * nb + nt - 1) / nt) * (double)(mcs * cs))
            break;
        if (mcs > 4 && (cs <= 2 || mcs * LS__SGEMM_MR >= cs * LS__SGEMM_NR)) mcs--;
        else if (cs > 2) cs--;
        else break;
    }
    mc = mcs * LS__SGEMM_MR;
    /* an item is a run of g consecutive M blocks of one N chunk: per K block it packs its B chunk
       once and applies it to each of the g blocks in turn (the chunk stays in L2 while it does),
       instead of re-packing B for every M block. g: as long as each thread still gets about
       LS__SGEMM_ITEMS items, so the dynamic schedule can balance (and absorb a busy core). At 2
       threads 2 items each beat 4 on the model shapes and squares by up to 13% (bench/PROFILE.md):
       B chunks are packed half as often, and two threads' packs share the memory system; beside
       a busy core the two were alike. */
    g = mb * nb / (LS__SGEMM_ITEMS * (int64_t)nt);
    if (g < 1) g = 1;
    if (g > mb) g = mb;
    nitems = (mb + g - 1) / g * nb;
    /* per thread: one packed A block (mc, kc) and one packed B chunk (kc, cs*NR) */
    asz = ((size_t)mc * LS__SGEMM_AS + 15) & ~(size_t)15;
    bsz = ((size_t)kcmax * (size_t)cs * LS__SGEMM_NR + 15) & ~(size_t)15;
    mem = ctx ? (unsigned char *)ls__scratch(ctx, (asz + bsz) * (size_t)nt * sizeof(float) + 64)
              : (unsigned char *)LS_MALLOC((asz + bsz) * (size_t)nt * sizeof(float) + 64);
    if (!mem) { /* out of memory: the unpacked loop gives the same result */
        ls__sgemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
        return;
    }
    buf = (float *)(void *)(mem + (64 - ((uintptr_t)mem & 63)));
    (void)ldd; /* unused where no kernel reads in place */

    /* items are independent C blocks: no barrier inside, dynamic schedule (a thread that loses
       its core to another process just takes fewer items) */
    LS__PRAGMA(omp parallel num_threads(nt) if (nt > 1))
    {
        int tid = 0;
        int64_t it;
        float *ap, *bp;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        ap = buf + (asz + bsz) * (size_t)tid;
        bp = ap + asz;
        LS__PRAGMA(omp for schedule(dynamic, 1))
        for (it = 0; it < nitems; it++) {
            const int64_t ib0 = it / nb * g, ib1 = ib0 + g < mb ? ib0 + g : mb, jb = it % nb;
            const int64_t j0 = jb * cs * LS__SGEMM_NR;                       /* C cols j0..j0+n  */
            const int64_t n = N - j0 < cs * LS__SGEMM_NR ? N - j0 : cs * LS__SGEMM_NR;
            const int64_t ns = (n + LS__SGEMM_NR - 1) / LS__SGEMM_NR;
            /* full slivers of a B stored (K, N) with rows at most ldd floats apart are read in
               place: their kc rows stay in L2 without set conflicts, and the copy would cost a
               pass over B per item; edge slivers (zero-padded) and the rest are packed. AVX-512
               builds only: AVX2's 16-float sliver is one cache line per row, and read in place
               it ran slower than packed (bench/PROFILE.md: X^T dY 128 x 512 x 8192 at 1 thread
               31-34 -> 44-57 GFLOP/s packed) */
#if defined(__AVX512F__)
            const int64_t nd = !tb && ldb <= ldd ? n / LS__SGEMM_NR : 0;
#else
            const int64_t nd = 0;
#endif
            int64_t pc, ib, ir, sj;
            for (pc = 0; pc < K; pc += LS__SGEMM_KC) {
                const int64_t kc = K - pc < LS__SGEMM_KC ? K - pc : LS__SGEMM_KC;
                const float bt = pc == 0 ? beta : 1.0f; /* later K blocks accumulate onto C */
                const int from_bias = bias && pc == 0;
                if (nd < ns) ls__sgemm_pack_b(tb, B, ldb, pc, kc, j0, n, nd, ns, bp); /* (kc, n) */
                for (ib = ib0; ib < ib1; ib++) {
                    const int64_t i0 = ib * mc, m = M - i0 < mc ? M - i0 : mc;   /* C rows i0..i0+m */
                    /* likewise the full MR-row slivers of an A stored (K, M) (alpha 1: nothing to
                       fold in), where the kernel for it exists: md slivers read in place */
                    int64_t md = 0;
#ifdef LS__SGEMM_A_IN_PLACE
                    if (ta && alpha == 1.0f && lda <= ldd) md = m / LS__SGEMM_MR;
#endif
                    if (md * LS__SGEMM_MR < m)   /* (m, kc), the slivers not read in place */
                        ls__sgemm_pack_a(ta, A, lda, i0 + md * LS__SGEMM_MR, m - md * LS__SGEMM_MR, pc,
                                         kc, alpha, ap + (size_t)md * LS__SGEMM_MR * LS__SGEMM_AS);
                    for (ir = 0; ir < m; ir += LS__SGEMM_MR) {
                        const int64_t mr = m - ir < LS__SGEMM_MR ? m - ir : LS__SGEMM_MR;
                        const int in_place = ir / LS__SGEMM_MR < md;
                        const float *a = in_place ? A + (size_t)pc * (size_t)lda + i0 + ir
                                                  : ap + (size_t)(ir / LS__SGEMM_MR) * LS__SGEMM_MR * LS__SGEMM_AS;
                        float *crow = C + (size_t)(i0 + ir) * (size_t)ldc + j0;
                        for (sj = 0; sj < ns; sj++) {
                            const int64_t jj = sj * LS__SGEMM_NR;
                            const int64_t nr = n - jj < LS__SGEMM_NR ? n - jj : LS__SGEMM_NR;
                            const float *b = sj < nd ? B + (size_t)pc * (size_t)ldb + j0 + jj
                                                     : bp + (size_t)sj * (size_t)kc * LS__SGEMM_NR;
                            ls__sgemm_tile(kc, a, in_place ? lda : 0, b, sj < nd ? ldb : LS__SGEMM_NR,
                                           crow + jj, ldc, mr, nr, bt, from_bias ? bias + j0 + jj : crow + jj,
                                           from_bias ? 0 : ldc);
                        }
                    }
                }
            }
        }
    }
    if (!ctx) LS_FREE(mem);
}

LS_API void ls_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc) {
    ls__sgemm_x(NULL, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL);
}

/* ---------------------------------------------------------------------------------------------
   6B.2 state-space-model kernels: real FFT, long convolution, S4D kernel, LRU scan

   Everything here works on raw float pointers; the ops wrap them. Conventions:
   - shapes in comments as (B, T, C); row-major; the last dim is contiguous;
   - forward kernels overwrite their outputs; backward kernels ADD into gradient buffers, and any
     gradient pointer may be NULL when that gradient is not needed;
   - threads split the items a kernel writes (rows, channel blocks, (batch, channel-block) pairs);
     every reduction (over batch, time, modes) runs in one fixed order inside one item or in a
     serial pass after the parallel one, so results are bit-identical for any thread count;
   - work space comes from the caller (the context's scratch), one slice per thread.
   Needs: <math.h>, <string.h>, <stdint.h>, LS_ASSERT, ls__xmalloc, LS_FREE, LS__PRAGMA.
   --------------------------------------------------------------------------------------------- */

/* ---------------------------------------------------------------------------------------------
   6B.3 real FFT

   Forward, n a power of two >= 2:   X[k] = sum_{t<n} x[t] exp(-2 pi i k t / n),  k = 0 .. n/2
   Inverse (normalised by 1/n):      x[t] = (1/n) sum_{k<n} X[k] exp(+2 pi i k t / n), with the
                                      missing bins filled by Hermitian symmetry X[n-k] = conj X[k].
   Method: the n reals are read as m = n/2 complex numbers z[j] = x[2j] + i x[2j+1]; an iterative
   radix-2 decimation-in-time FFT of length m (bit-reversed input order, natural output order)
   gives Z; the "split" step then separates the even and odd parts,
       E[k] = (Z[k] + conj Z[m-k]) / 2,   O[k] = -i (Z[k] - conj Z[m-k]) / 2,   X[k] = E[k] + W^k O[k]
   with W = exp(-2 pi i / n). The inverse runs the same steps backwards (E, O from X, Z = E + i O,
   a DIT FFT with conjugate twiddles on the bit-reversed Z, scale 1/m).
   The plan holds the bit-reversal table and the twiddles; transforms allocate nothing.
   Two data layouts:
   - one row: X interleaved (n/2 + 1, 2) as (re, im) pairs (ls__fft_forward / ls__fft_inverse);
   - "lanes": LS__FFT_LANES independent rows side by side, split re/im planes of (m + 1, LANES)
     each, so every butterfly is a loop over 16 contiguous floats (one AVX-512 register). The long
     convolution uses this layout: 16 channels of the (B, T, C) activations are exactly 16
     contiguous floats per time step, so gathering them needs no transpose.
   --------------------------------------------------------------------------------------------- */

#define LS__FFT_LANES 16

typedef struct ls__fft_plan {
    int64_t n;        /* real length, a power of two >= 2 */
    int64_t m;        /* n / 2, the complex FFT length */
    int32_t *rev;     /* (m) bit reversal of log2(m) bits */
    float *cs, *sn;   /* (m) stage twiddles: index h + k (h = half butterfly span, k < h) holds
                         cos(pi k / h), sin(pi k / h); index 0 unused */
    float *rc, *rs;   /* (m/2 + 1) split twiddles cos(2 pi k / n), sin(2 pi k / n) */
} ls__fft_plan;

static int ls__fft_is_pow2(int64_t n) { return n >= 1 && (n & (n - 1)) == 0; }

/* smallest power of two >= n (n >= 1) */
static int64_t ls__fft_next_pow2(int64_t n) {
    int64_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

static ls__fft_plan *ls__fft_plan_make(int64_t n) {
    LS_ASSERT(n >= 2 && ls__fft_is_pow2(n) && n <= ((int64_t)1 << 30));
    const int64_t m = n / 2, h2 = m / 2 + 1;
    ls__fft_plan *p = (ls__fft_plan *)ls__xmalloc(sizeof *p);
    p->n = n; p->m = m;
    p->rev = (int32_t *)ls__xmalloc((size_t)m * sizeof(int32_t));
    p->cs = (float *)ls__xmalloc((size_t)(2 * m + 2 * h2) * sizeof(float));
    p->sn = p->cs + m;
    p->rc = p->sn + m;
    p->rs = p->rc + h2;
    int bits = 0;
    while (((int64_t)1 << bits) < m) bits++;
    for (int64_t i = 0; i < m; i++) {
        int64_t r = 0;
        for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
        p->rev[i] = (int32_t)r;
    }
    const double pi = 3.14159265358979323846;
    p->cs[0] = 1.0f; p->sn[0] = 0.0f;
    for (int64_t h = 1; h < m; h <<= 1)
        for (int64_t k = 0; k < h; k++) {
            p->cs[h + k] = (float)cos(pi * (double)k / (double)h);
            p->sn[h + k] = (float)sin(pi * (double)k / (double)h);
        }
    for (int64_t k = 0; k < h2; k++) {
        p->rc[k] = (float)cos(2.0 * pi * (double)k / (double)n);
        p->rs[k] = (float)sin(2.0 * pi * (double)k / (double)n);
    }
    return p;
}

static void ls__fft_plan_free(ls__fft_plan *p) {
    if (!p) return;
    LS_FREE(p->rev);
    LS_FREE(p->cs);
    LS_FREE(p);
}

/* Lanes: re, im (m + 1, LANES) each. In-place DIT FFT of length m per lane, bit-reversed input.
   The first passes (spans below LS__FFT_BLOCK) work within aligned groups of LS__FFT_BLOCK rows,
   so they run group by group while a group (32 KiB at 256 rows) sits in L1; then the wider spans
   pass over all m rows. Every element goes through the same butterflies either way. */
#ifndef LS__FFT_BLOCK
#define LS__FFT_BLOCK 256
#endif

/* one radix-2^2 pass (spans h and 2h) over rows [g0, g1), g0 and g1 multiples of 4h */
static void ls__fft_r4_pass(const ls__fft_plan *p, float *re, float *im, float sg, int64_t h, int64_t g0, int64_t g1) {
    enum { V = LS__FFT_LANES };
    for (int64_t g = g0; g < g1; g += 4 * h)
        for (int64_t k = 0; k < h; k++) {
            const float w1r = p->cs[h + k], w1i = sg * p->sn[h + k];
            const float w2r = p->cs[2 * h + k], w2i = sg * p->sn[2 * h + k];
            const float w3r = p->cs[3 * h + k], w3i = sg * p->sn[3 * h + k];
            float *r0 = re + (g + k) * V, *i0 = im + (g + k) * V;
            float x0r[V], x0i[V], x1r[V], x1i[V], x2r[V], x2i[V], x3r[V], x3i[V];
            memcpy(x0r, r0, sizeof x0r); memcpy(x0i, i0, sizeof x0i);
            memcpy(x1r, r0 + h * V, sizeof x1r); memcpy(x1i, i0 + h * V, sizeof x1i);
            memcpy(x2r, r0 + 2 * h * V, sizeof x2r); memcpy(x2i, i0 + 2 * h * V, sizeof x2i);
            memcpy(x3r, r0 + 3 * h * V, sizeof x3r); memcpy(x3i, i0 + 3 * h * V, sizeof x3i);
            for (int64_t j = 0; j < V; j++) {
                /* span h: (x0, x1) and (x2, x3) with w1 */
                const float t1r = w1r * x1r[j] - w1i * x1i[j], t1i = w1r * x1i[j] + w1i * x1r[j];
                const float t3r = w1r * x3r[j] - w1i * x3i[j], t3i = w1r * x3i[j] + w1i * x3r[j];
                const float b0r = x0r[j] + t1r, b0i = x0i[j] + t1i, b1r = x0r[j] - t1r, b1i = x0i[j] - t1i;
                const float b2r = x2r[j] + t3r, b2i = x2i[j] + t3i, b3r = x2r[j] - t3r, b3i = x2i[j] - t3i;
                /* span 2h: (b0, b2) with w2, (b1, b3) with w3 */
                const float u2r = w2r * b2r - w2i * b2i, u2i = w2r * b2i + w2i * b2r;
                const float u3r = w3r * b3r - w3i * b3i, u3i = w3r * b3i + w3i * b3r;
                x0r[j] = b0r + u2r; x0i[j] = b0i + u2i; x2r[j] = b0r - u2r; x2i[j] = b0i - u2i;
                x1r[j] = b1r + u3r; x1i[j] = b1i + u3i; x3r[j] = b1r - u3r; x3i[j] = b1i - u3i;
            }
            memcpy(r0, x0r, sizeof x0r); memcpy(i0, x0i, sizeof x0i);
            memcpy(r0 + h * V, x1r, sizeof x1r); memcpy(i0 + h * V, x1i, sizeof x1i);
            memcpy(r0 + 2 * h * V, x2r, sizeof x2r); memcpy(i0 + 2 * h * V, x2i, sizeof x2i);
            memcpy(r0 + 3 * h * V, x3r, sizeof x3r); memcpy(i0 + 3 * h * V, x3i, sizeof x3i);
        }
}

static void ls__fft_dit_lanes(const ls__fft_plan *p, float *re, float *im, int inverse) {
    enum { V = LS__FFT_LANES };
    const int64_t m = p->m;
    const float sg = inverse ? 1.0f : -1.0f;
    int64_t h = 1;
    if (m >= 4) {
        const int64_t bs = m < LS__FFT_BLOCK ? m : (int64_t)LS__FFT_BLOCK;   /* rows per group */
        for (int64_t g0 = 0; g0 < m; g0 += bs) {
            /* first two stages (spans 1 and 2) fused as one radix-4 step on groups of 4:
               twiddles are 1 and -+i only */
            for (int64_t g = g0; g < g0 + bs; g += 4) {
                float *r0 = re + g * V, *i0 = im + g * V;
                for (int64_t j = 0; j < V; j++) {
                    const float a0r = r0[j], a0i = i0[j], a1r = r0[V + j], a1i = i0[V + j];
                    const float a2r = r0[2 * V + j], a2i = i0[2 * V + j], a3r = r0[3 * V + j], a3i = i0[3 * V + j];
                    /* span 1 */
                    const float b0r = a0r + a1r, b0i = a0i + a1i, b1r = a0r - a1r, b1i = a0i - a1i;
                    const float b2r = a2r + a3r, b2i = a2i + a3i, b3r = a2r - a3r, b3i = a2i - a3i;
                    /* span 2: w = 1 for the first pair, w = -i (forward) / +i (inverse) for the second */
                    const float t3r = -sg * b3i, t3i = sg * b3r;   /* w * b3 with w = i*sg */
                    r0[j] = b0r + b2r; i0[j] = b0i + b2i;
                    r0[2 * V + j] = b0r - b2r; i0[2 * V + j] = b0i - b2i;
                    r0[V + j] = b1r + t3r; i0[V + j] = b1i + t3i;
                    r0[3 * V + j] = b1r - t3r; i0[3 * V + j] = b1i - t3i;
                }
            }
            /* radix-2^2 passes: spans h and 2h in one sweep (half the memory passes of radix-2,
               same arithmetic), while 4h fits the group */
            for (h = 4; 4 * h <= bs; h *= 4) ls__fft_r4_pass(p, re, im, sg, h, g0, g0 + bs);
        }
    }
    /* the wider spans over all rows */
    for (; 4 * h <= m; h *= 4) ls__fft_r4_pass(p, re, im, sg, h, 0, m);
    /* a last radix-2 pass when log2(m) is odd */
    if (h < m)
        for (int64_t k = 0; k < h; k++) {
            const float wr = p->cs[h + k], wi = sg * p->sn[h + k];
            float *r0 = re + k * V, *i0 = im + k * V;
            float ar[V], ai[V], br[V], bi[V];
            memcpy(ar, r0, sizeof ar); memcpy(ai, i0, sizeof ai);
            memcpy(br, r0 + h * V, sizeof br); memcpy(bi, i0 + h * V, sizeof bi);
            for (int64_t j = 0; j < V; j++) {
                const float tr = wr * br[j] - wi * bi[j], ti = wr * bi[j] + wi * br[j];
                br[j] = ar[j] - tr; bi[j] = ai[j] - ti;
                ar[j] = ar[j] + tr; ai[j] = ai[j] + ti;
            }
            memcpy(r0, ar, sizeof ar); memcpy(i0, ai, sizeof ai);
            memcpy(r0 + h * V, br, sizeof br); memcpy(i0 + h * V, bi, sizeof bi);
        }
}

/* Lanes split: re, im (m + 1, LANES) hold Z (m bins, natural order) -> X (m + 1 bins), in place. */
static void ls__fft_split_lanes(const ls__fft_plan *p, float *re, float *im) {
    enum { V = LS__FFT_LANES };
    const int64_t m = p->m;
    for (int64_t j = 0; j < V; j++) {
        const float zr = re[j], zi = im[j];
        re[j] = zr + zi; im[j] = 0.0f;
        re[m * V + j] = zr - zi; im[m * V + j] = 0.0f;
    }
    for (int64_t k = 1; k <= m / 2; k++) {
        const float c = p->rc[k], s = p->rs[k];
        float *kr = re + k * V, *ki = im + k * V, *jr = re + (m - k) * V, *ji = im + (m - k) * V;
        float xkr[V], xki[V], xjr[V], xji[V];
        for (int64_t j = 0; j < V; j++) {
            const float er = 0.5f * (kr[j] + jr[j]), ei = 0.5f * (ki[j] - ji[j]);
            const float or_ = 0.5f * (ki[j] + ji[j]), oi = 0.5f * (jr[j] - kr[j]);
            const float wor = c * or_ + s * oi, woi = c * oi - s * or_;
            xkr[j] = er + wor; xki[j] = ei + woi;
            xjr[j] = er - wor; xji[j] = woi - ei;
        }
        for (int64_t j = 0; j < V; j++) { jr[j] = xjr[j]; ji[j] = xji[j]; }
        for (int64_t j = 0; j < V; j++) { kr[j] = xkr[j]; ki[j] = xki[j]; }
    }
}

/* Lanes merge (inverse of the split): X (m + 1, LANES) in xr, xi -> Z in bit-reversed order in
   zr, zi (m, LANES); the buffers must differ. Follow with ls__fft_dit_lanes(.., 1) and 1/m. */
static void ls__fft_merge_lanes(const ls__fft_plan *p, const float *xr, const float *xi, float *zr, float *zi) {
    enum { V = LS__FFT_LANES };
    const int64_t m = p->m;
    const int32_t *rev = p->rev;
    for (int64_t j = 0; j < V; j++) {
        const float a = xr[j], b = xr[m * V + j];
        zr[rev[0] * V + j] = 0.5f * (a + b);
        zi[rev[0] * V + j] = 0.5f * (a - b);
    }
    for (int64_t k = 1; k <= m / 2; k++) {
        const float c = p->rc[k], s = p->rs[k];
        const float *kr = xr + k * V, *ki = xi + k * V, *jr = xr + (m - k) * V, *ji = xi + (m - k) * V;
        float *zkr = zr + (int64_t)rev[k] * V, *zki = zi + (int64_t)rev[k] * V;
        float *zjr = zr + (int64_t)rev[m - k] * V, *zji = zi + (int64_t)rev[m - k] * V;
        for (int64_t j = 0; j < V; j++) {
            const float er = 0.5f * (kr[j] + jr[j]), ei = 0.5f * (ki[j] - ji[j]);
            const float dr = 0.5f * (kr[j] - jr[j]), di = 0.5f * (ki[j] + ji[j]);
            const float or_ = c * dr - s * di, oi = c * di + s * dr;
            zkr[j] = er - oi; zki[j] = ei + or_;
            zjr[j] = er + oi; zji[j] = or_ - ei;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
   6B.4 long convolution over time, many channels

   u (B, T, C), k (C, T), optional k2 (C, T), y (B, T, C):
       y[b,t,c] = sum_{s=0}^{t} k[c,s] u[b,t-s,c]                       (causal part)
                + sum_{s=0}^{T-2-t} k2[c,s] u[b,t+1+s,c]                 (anti-causal part, k2 != NULL)
   i.e. k2[c,s] weighs the input s+1 steps in the future (the S4 repo's bidirectional layout:
   kernel = pad(k) + pad(flip(k2)) over length 2T); k2[c,T-1] never contributes (its dk2 is 0).
   Both parts are one circular convolution of length n = pow2 >= 2T with the combined kernel
       kk[c, s] = k[c, s] (0 <= s < T),  kk[c, n-1-s] = k2[c, s] (0 <= s < T-1),  0 elsewhere,
   and u zero-padded to n: no wrap-around reaches t < T because n >= 2T.
   Backward, with dy (B, T, C) and the same circular view:
       du[b,t,c] = sum_j kk[c,j] dy[b,(t+j) mod n,c]       (correlation: spectrum conj(KK) DY)
       dkk[c,j]  = sum_b sum_t dy[b,t,c] u[b,(t-j) mod n,c] (spectrum sum_b DY_b conj(U_b))
   then dk[c,s] = dkk[c,s], dk2[c,s] = dkk[c,n-1-s]. The batch sum is taken in the frequency domain
   in batch order 0..B-1 inside one channel block, so it does not depend on threads.
   Work split: forward over (batch, block of 16 channels); backward over channel blocks (batch loop
   inside, for the fixed-order dk sum). T <= LS__CONV_DIRECT_T uses the direct O(T^2) sums.
   ls__conv_forward / ls__conv_backward take the plan kept in the context (made again only when n
   changes) and their workspace from its scratch, so a training step allocates nothing here;
   ls__conv_forward_fft / ls__conv_backward_fft take any plan (a power of two n >= 2T).
   Kept spectra: when the op is on the tape, the forward keeps the spectra of u (for dk: B x C x
   (n/2 + 1) complex, twice u's size at n = 2T) and of the kernels (for du) in the arena, so the
   backward transforms only dy; they are the bits the backward would compute again.
   Layout note: instead of transposing channel blocks into (C, T) rows, 16 channels are kept as 16
   SIMD lanes, (T, 16) per block, which is the activations' own layout: the gather reads 16
   contiguous floats per time step, and one block's buffers (2 x 2 x 1025 x 16 floats = 256 KiB
   at T = 1024) stay in L2.
   --------------------------------------------------------------------------------------------- */

#define LS__CONV_DIRECT_T 32

/* direct forward, any T: fixed order s = 0, 1, ... */
static void ls__conv_forward_direct(int64_t B, int64_t T, int64_t C, const float *u, const float *k,
                                    const float *k2, float *y) {
    LS__PRAGMA(omp parallel for schedule(static) if (B * T * T * C > 65536))
    for (int64_t bt = 0; bt < B * T; bt++) {
        const int64_t b = bt / T, t = bt % T;
        float *yr = y + bt * C;                           /* (C) */
        for (int64_t c = 0; c < C; c++) {
            float acc = 0.0f;
            for (int64_t s = 0; s <= t; s++) acc += k[c * T + s] * u[(b * T + t - s) * C + c];
            if (k2)
                for (int64_t s = 0; t + 1 + s < T; s++) acc += k2[c * T + s] * u[(b * T + t + 1 + s) * C + c];
            yr[c] = acc;
        }
    }
}

static void ls__conv_backward_direct(int64_t B, int64_t T, int64_t C, const float *u, const float *k,
                                     const float *k2, const float *dy, float *du, float *dk, float *dk2) {
    if (du) {
        LS__PRAGMA(omp parallel for schedule(static) if (B * T * T * C > 65536))
        for (int64_t bt = 0; bt < B * T; bt++) {
            const int64_t b = bt / T, t = bt % T;
            for (int64_t c = 0; c < C; c++) {
                float acc = 0.0f;
                for (int64_t s = 0; t + s < T; s++) acc += k[c * T + s] * dy[(b * T + t + s) * C + c];
                if (k2)
                    for (int64_t s = 0; s + 1 <= t; s++) acc += k2[c * T + s] * dy[(b * T + t - 1 - s) * C + c];
                du[bt * C + c] += acc;
            }
        }
    }
    if (dk || (k2 && dk2)) {
        LS__PRAGMA(omp parallel for schedule(static) if (B * T * T * C > 65536))
        for (int64_t c = 0; c < C; c++)
            for (int64_t s = 0; s < T; s++) {
                float a1 = 0.0f, a2 = 0.0f;
                for (int64_t b = 0; b < B; b++)
                    for (int64_t t = 0; t < T; t++) {
                        const float g = dy[(b * T + t) * C + c];
                        if (t >= s) a1 += g * u[(b * T + t - s) * C + c];
                        if (t + 1 + s < T) a2 += g * u[(b * T + t + 1 + s) * C + c];
                    }
                if (dk) dk[c * T + s] += a1;
                if (k2 && dk2) dk2[c * T + s] += a2;
            }
    }
}

/* Spectra of the combined kernels kk, scaled by 1/m (the inverse FFT's normalisation):
   Kh (nblk, 2, m + 1, LANES) = per channel block, a re plane then an im plane. */
static void ls__conv_kernel_spectra(const ls__fft_plan *p, int64_t T, int64_t C, const float *k,
                                    const float *k2, float *Kh) {
    enum { V = LS__FFT_LANES };
    const int64_t n = p->n, m = p->m, nblk = (C + V - 1) / V, plane = (m + 1) * V;
    const int32_t *rev = p->rev;
    LS__PRAGMA(omp parallel for schedule(static) if (C * n > 65536))
    for (int64_t cb = 0; cb < nblk; cb++) {
        float *re = Kh + cb * 2 * plane, *im = re + plane;   /* (m + 1, V) each */
        const int64_t c0 = cb * V, cw = C - c0 < V ? C - c0 : (int64_t)V;
        memset(re, 0, (size_t)(2 * plane) * sizeof(float));
        for (int64_t j = 0; j < cw; j++) {
            const float *kc = k + (c0 + j) * T;              /* (T) */
            for (int64_t s = 0; s < T; s++) {
                /* a named pointer, not ((c) ? im : re)[i] = v: g++ 12 -fsanitize=undefined (C++ only)
                   miscompiles a store through an indexed conditional (wild write) */
                float *dst = (s & 1) ? im : re;
                dst[(int64_t)rev[s >> 1] * V + j] = kc[s];
            }
            if (k2) {
                const float *k2c = k2 + (c0 + j) * T;        /* (T) */
                for (int64_t s = 0; s + 1 < T; s++) {
                    const int64_t pos = n - 1 - s;
                    float *dst = (pos & 1) ? im : re;
                    dst[(int64_t)rev[pos >> 1] * V + j] = k2c[s];
                }
            }
        }
        ls__fft_dit_lanes(p, re, im, 0);
        ls__fft_split_lanes(p, re, im);
        const float sc = 1.0f / (float)m;
        for (int64_t i = 0; i < 2 * plane; i++) re[i] *= sc;
    }
}

/* gather 16 channels of x (B, T, C) at batch b into lanes (bit-reversed complex order), zero-padded
   to n, then forward FFT + split: re, im (m + 1, LANES) = spectrum */
static void ls__conv_load_lanes(const ls__fft_plan *p, int64_t T, int64_t C, const float *xb, int64_t c0,
                                int64_t cw, float *re, float *im) {
    enum { V = LS__FFT_LANES };
    const int64_t m = p->m;
    const int32_t *rev = p->rev;
    memset(re, 0, (size_t)((m + 1) * V) * sizeof(float));
    memset(im, 0, (size_t)((m + 1) * V) * sizeof(float));
    for (int64_t t = 0; t < T; t++) {
        const float *src = xb + t * C + c0;                  /* (cw) */
        float *dst = ((t & 1) ? im : re) + (int64_t)rev[t >> 1] * V;
        for (int64_t j = 0; j < cw; j++) dst[j] = src[j];
    }
    ls__fft_dit_lanes(p, re, im, 0);
    ls__fft_split_lanes(p, re, im);
}

/* spectrum xr, xi (m + 1, LANES) -> time signal in zr, zi (m, LANES): z[t] at plane (t & 1), row t/2.
   Unscaled beyond what the spectrum carries. */
static void ls__conv_unload_lanes(const ls__fft_plan *p, const float *xr, const float *xi, float *zr, float *zi) {
    ls__fft_merge_lanes(p, xr, xi, zr, zi);
    ls__fft_dit_lanes(p, zr, zi, 1);
}

/* floats of workspace the FFT paths need: kernel spectra (nblk, 2, m+1, LANES), then per thread
   `planes` planes of (m+1, LANES) */
static int64_t ls__conv_work(const ls__fft_plan *p, int64_t C, int planes) {
    const int64_t plane = (p->m + 1) * LS__FFT_LANES, nblk = (C + LS__FFT_LANES - 1) / LS__FFT_LANES;
    return nblk * 2 * plane + (int64_t)ls_get_threads() * planes * plane;
}

/* Uh, Khs: NULL, or where to keep the input spectra (B, nblk, 2, m+1, V) and the kernel spectra
   (nblk, 2, m+1, V) for the backward (ls__conv_spectra_floats) */
static void ls__conv_forward_fft(const ls__fft_plan *p, int64_t B, int64_t T, int64_t C, const float *u,
                                 const float *k, const float *k2, float *y, float *work, float *Uh, float *Khs) {
    enum { V = LS__FFT_LANES };
    const int64_t m = p->m, nblk = (C + V - 1) / V, plane = (m + 1) * V;
    LS_ASSERT(p->n >= 2 * T);
    float *Kh = Khs ? Khs : work;                            /* (nblk, 2, m+1, V) */
    ls__conv_kernel_spectra(p, T, C, k, k2, Kh);
    LS__PRAGMA(omp parallel if (B * C * p->n > 65536))
    {
        float *ws = work + nblk * 2 * plane + (int64_t)ls__thread_num() * 4 * plane;
        float *ar = ws, *ai = ws + plane, *zr = ws + 2 * plane, *zi = ws + 3 * plane; /* (m+1, V) each */
        LS__PRAGMA(omp for schedule(static))
        for (int64_t task = 0; task < B * nblk; task++) {
            const int64_t b = task / nblk, cb = task % nblk, c0 = cb * V, cw = C - c0 < V ? C - c0 : (int64_t)V;
            const float *kr = Kh + cb * 2 * plane, *ki = kr + plane;
            float *sr = Uh ? Uh + task * 2 * plane : ar, *si = sr + plane;   /* U_b spectrum */
            ls__conv_load_lanes(p, T, C, u + b * T * C, c0, cw, sr, si);
            for (int64_t i = 0; i < plane; i++) {           /* A = U Kh */
                const float xr = sr[i], xi = si[i];
                ar[i] = xr * kr[i] - xi * ki[i];
                ai[i] = xr * ki[i] + xi * kr[i];
            }
            ls__conv_unload_lanes(p, ar, ai, zr, zi);
            float *yb = y + b * T * C;                       /* (T, C) */
            for (int64_t t = 0; t < T; t++) {
                const float *src = ((t & 1) ? zi : zr) + (t >> 1) * V;
                for (int64_t j = 0; j < cw; j++) yb[t * C + c0 + j] = src[j];
            }
        }
    }
}

/* Uh, Khs: NULL, or the forward's spectra of u and of the kernels (ls__conv_forward_fft) */
static void ls__conv_backward_fft(const ls__fft_plan *p, int64_t B, int64_t T, int64_t C, const float *u,
                                  const float *k, const float *k2, const float *dy, float *du, float *dk,
                                  float *dk2, float *work, const float *Uh, const float *Khs) {
    enum { V = LS__FFT_LANES };
    const int64_t n = p->n, m = p->m, nblk = (C + V - 1) / V, plane = (m + 1) * V;
    const int want_k = dk != NULL || (k2 != NULL && dk2 != NULL);
    LS_ASSERT(n >= 2 * T);
    if (!du && !want_k) return;
    const float *Kh = Khs ? Khs : work;                      /* (nblk, 2, m+1, V) */
    if (du && !Khs) ls__conv_kernel_spectra(p, T, C, k, k2, work);
    LS__PRAGMA(omp parallel if (B * C * n > 65536))
    {
        float *ws = work + nblk * 2 * plane + (int64_t)ls__thread_num() * 8 * plane;
        float *dr = ws, *di = ws + plane;                    /* DY_b spectrum (m+1, V) */
        float *ur = ws + 2 * plane, *ui = ws + 3 * plane;    /* U_b spectrum, then products */
        float *zr = ws + 4 * plane, *zi = ws + 5 * plane;    /* time-domain results */
        float *sr = ws + 6 * plane, *si = ws + 7 * plane;    /* sum_b DY_b conj(U_b) */
        LS__PRAGMA(omp for schedule(static))
        for (int64_t cb = 0; cb < nblk; cb++) {
            const int64_t c0 = cb * V, cw = C - c0 < V ? C - c0 : (int64_t)V;
            if (want_k) {
                memset(sr, 0, (size_t)plane * sizeof(float));
                memset(si, 0, (size_t)plane * sizeof(float));
            }
            for (int64_t b = 0; b < B; b++) {
                ls__conv_load_lanes(p, T, C, dy + b * T * C, c0, cw, dr, di);
                if (want_k) {
                    const float *Ur = ur, *Ui = ui;
                    if (Uh) { Ur = Uh + (b * nblk + cb) * 2 * plane; Ui = Ur + plane; }
                    else ls__conv_load_lanes(p, T, C, u + b * T * C, c0, cw, ur, ui);
                    for (int64_t i = 0; i < plane; i++) {   /* S += DY conj(U) */
                        sr[i] += dr[i] * Ur[i] + di[i] * Ui[i];
                        si[i] += di[i] * Ur[i] - dr[i] * Ui[i];
                    }
                }
                if (du) {
                    const float *kr = Kh + cb * 2 * plane, *ki = kr + plane;
                    for (int64_t i = 0; i < plane; i++) {   /* DY conj(Kh) */
                        ur[i] = dr[i] * kr[i] + di[i] * ki[i];
                        ui[i] = di[i] * kr[i] - dr[i] * ki[i];
                    }
                    ls__conv_unload_lanes(p, ur, ui, zr, zi);
                    float *dub = du + b * T * C;             /* (T, C) */
                    for (int64_t t = 0; t < T; t++) {
                        const float *src = ((t & 1) ? zi : zr) + (t >> 1) * V;
                        for (int64_t j = 0; j < cw; j++) dub[t * C + c0 + j] += src[j];
                    }
                }
            }
            if (want_k) {
                ls__conv_unload_lanes(p, sr, si, zr, zi);
                const float sc = 1.0f / (float)m;
                for (int64_t j = 0; j < cw; j++) {
                    if (dk) {
                        float *dkc = dk + (c0 + j) * T;      /* (T) */
                        for (int64_t s = 0; s < T; s++) {
                            const float *src = (s & 1) ? zi : zr;
                            dkc[s] += sc * src[(s >> 1) * V + j];
                        }
                    }
                    if (k2 && dk2) {
                        float *dk2c = dk2 + (c0 + j) * T;    /* (T) */
                        for (int64_t s = 0; s + 1 < T; s++) {
                            const int64_t pos = n - 1 - s;
                            const float *src = (pos & 1) ? zi : zr;
                            dk2c[s] += sc * src[(pos >> 1) * V + j];
                        }
                    }
                }
            }
        }
    }
}

/* the context's FFT plan for length n, made when the length changes (its twiddles cost ~3000
   sin/cos, serial: rebuilt per call they were ~1% of an S4D step) */
static const ls__fft_plan *ls__conv_plan(ls_ctx *ctx, int64_t n) {
    if (!ctx->fft || ctx->fft->n != n) {
        ls__fft_plan_free(ctx->fft);
        ctx->fft = ls__fft_plan_make(n);
    }
    return ctx->fft;
}

/* floats of the spectra the FFT path (T > LS__CONV_DIRECT_T) can keep from forward to backward:
   the input's (B, C, T) (which = 0) or the kernels' (which = 1) */
static int64_t ls__conv_spectra_floats(int64_t B, int64_t T, int64_t C, int which) {
    const int64_t plane = (ls__fft_next_pow2(2 * T) / 2 + 1) * LS__FFT_LANES, nblk = (C + LS__FFT_LANES - 1) / LS__FFT_LANES;
    return (which ? 1 : B) * nblk * 2 * plane;
}

/* y (B, T, C) = causal conv of u (B, T, C) with k (C, T) [+ anti-causal with k2 (C, T) or NULL];
   plan and workspace from the context. Uh, Kh: NULL, or ls__conv_spectra_floats(.., 0 / 1) floats
   where the FFT path keeps the spectra of u and of the kernels for ls__conv_backward. */
static void ls__conv_forward(ls_ctx *ctx, int64_t B, int64_t T, int64_t C, const float *u, const float *k,
                             const float *k2, float *y, float *Uh, float *Kh) {
    LS_ASSERT(B >= 1 && T >= 1 && C >= 1);
    if (T <= LS__CONV_DIRECT_T) { ls__conv_forward_direct(B, T, C, u, k, k2, y); return; }
    const ls__fft_plan *p = ls__conv_plan(ctx, ls__fft_next_pow2(2 * T));
    ls__conv_forward_fft(p, B, T, C, u, k, k2, y, (float *)ls__scratch(ctx, sizeof(float) * (size_t)ls__conv_work(p, C, 4)),
                         Uh, Kh);
}

/* adds du (B, T, C), dk (C, T), dk2 (C, T) given dy (B, T, C); any of du, dk, dk2 may be NULL. Uh, Kh:
   NULL, or the spectra ls__conv_forward kept (the same bits as computing them again here). */
static void ls__conv_backward(ls_ctx *ctx, int64_t B, int64_t T, int64_t C, const float *u, const float *k,
                              const float *k2, const float *dy, float *du, float *dk, float *dk2, const float *Uh,
                              const float *Kh) {
    LS_ASSERT(B >= 1 && T >= 1 && C >= 1);
    if (T <= LS__CONV_DIRECT_T) { ls__conv_backward_direct(B, T, C, u, k, k2, dy, du, dk, dk2); return; }
    const ls__fft_plan *p = ls__conv_plan(ctx, ls__fft_next_pow2(2 * T));
    ls__conv_backward_fft(p, B, T, C, u, k, k2, dy, du, dk, dk2,
                          (float *)ls__scratch(ctx, sizeof(float) * (size_t)ls__conv_work(p, C, 8)), Uh, Kh);
}

/* ---------------------------------------------------------------------------------------------
   6B.5 S4D kernel: diagonal complex SSM, zero-order hold

   Parameters per channel c (C channels) and mode n (N2 = N/2 modes, each standing for a complex-
   conjugate pair of the N-dim real state): log_dt (C), log_a_re, a_im, c_re, c_im (C, N2).
       A_n = -exp(log_a_re) + i a_im,  dt = exp(log_dt),  z_n = exp(dt A_n),
       Bt_n = (z_n - 1) / A_n                 (ZOH input matrix with B = 1),
       C'_n = (c_re + i c_im) Bt_n,
       K[c, l] = 2 Re sum_n C'_n z_n^l,       l = 0 .. T-1          -> K (C, T)
   Evaluation without T*N2 complex exps: in chunks of L0 = LS__S4D_CHUNK steps,
       K[l0 + j] = sum_n Re(P_n Z_n[j]),  P_n = 2 C'_n z_n^l0,  Z_n[j] = z_n^j (j < L0),
   with Z by repeated multiplication and P advanced by z_n^L0 = exp(L0 dt A_n), all in double
   (relative error ~ (L0 + T/L0) * 1e-16 before the final rounding to float).
   Backward, with dK (C, T) and the "complex gradient" convention g_v = dL/dRe v + i dL/dIm v
   (for v = h(w) holomorphic, g_w = g_v conj(h'(w)); for a real parameter p, dL/dp = Re(conj(g_A) dA/dp)):
       S_n = sum_l dK[l] z_n^l,   R_n = sum_l l dK[l] z_n^l           (same chunking)
       g_C' = 2 conj(S_n);   g_C = g_C' conj(Bt);   g_Bt = g_C' conj(C)
       dBt/dA = (dt z - Bt) / A,  dBt/ddt = z,  dz/dA = dt z,  dz/ddt = A z
       g_A   = 2 dt conj(C' R_n) + g_Bt conj((dt z - Bt) / A)
       dL/ddt = sum_n [ 2 Re(C' A R_n) + Re(conj(g_Bt) z) ]
   so dlog_a_re += Re(g_A) * (-exp(log_a_re)), da_im += Im(g_A), dc_re += Re(g_C), dc_im += Im(g_C),
   dlog_dt += dt * dL/ddt (modes summed in order n = 0 .. N2-1). Parallel over channels.
   --------------------------------------------------------------------------------------------- */

/* The kernel's double-precision loops vectorise across modes and steps; gcc's tuning for some
   AVX-512 cores prefers 256-bit vectors, which halves their width. Lane for lane the same
   operations either way. */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define LS__S4D_WIDE __attribute__((target("prefer-vector-width=512")))
#else
#define LS__S4D_WIDE
#endif
#define LS__S4D_CHUNK 64   /* L0: steps per chunk */
#define LS__S4D_MB 32      /* modes per block of the backward sums */

/* per-mode constants of channel c, in double: z, z^L0, Bt, C' (2 values each: re, im) */
typedef struct ls__s4d_mode {
    double ar, ai;        /* A */
    double zr, zi;        /* z = exp(dt A) */
    double zLr, zLi;      /* z^L0 = exp(L0 dt A) */
    double br, bi;        /* Bt = (z - 1) / A */
    double cr, ci;        /* C' = C Bt */
} ls__s4d_mode;

static double ls__s4d_flush(double x) { return fabs(x) < 1e-250 ? 0.0 : x; }

static void ls__s4d_mode_make(double dt, float log_a_re, float a_im, float c_re, float c_im, ls__s4d_mode *md) {
    const double ar = -exp((double)log_a_re), ai = (double)a_im;
    const double xr = dt * ar, xi = dt * ai;               /* dt A */
    const double ex = exp(xr), cs = cos(xi), sn = sin(xi);
    md->ar = ar; md->ai = ai;
    md->zr = ex * cs; md->zi = ex * sn;
    /* z - 1 without cancellation: expm1(xr) cos(xi) - 2 sin^2(xi/2) + i e^xr sin(xi) */
    const double hs = sin(0.5 * xi);
    const double wr = expm1(xr) * cs - 2.0 * hs * hs, wi = ex * sn;
    const double den = ar * ar + ai * ai;                  /* > 0: Re A < 0 */
    md->br = (wr * ar + wi * ai) / den;
    md->bi = (wi * ar - wr * ai) / den;
    md->cr = (double)c_re * md->br - (double)c_im * md->bi;
    md->ci = (double)c_re * md->bi + (double)c_im * md->br;
    const double eL = exp((double)LS__S4D_CHUNK * xr);
    md->zLr = ls__s4d_flush(eL * cos((double)LS__S4D_CHUNK * xi));
    md->zLi = ls__s4d_flush(eL * sin((double)LS__S4D_CHUNK * xi));
}

/* powers z_n^j (j < L0) as re and im planes: Z (N2, L0) when tr = 0, Z (L0, N2) when tr = 1.
   Each mode's powers are its own chain of complex products, latency-bound one at a time; here the
   chains of up to LS__S4D_MB modes advance side by side (one vector across modes), each mode
   through the same operations in the same order as alone. */
LS__S4D_WIDE static void ls__s4d_powers(int64_t N2, const ls__s4d_mode *md, int tr, double *Zr, double *Zi) {
    enum { L0 = LS__S4D_CHUNK, MB = LS__S4D_MB };
    for (int64_t n0 = 0; n0 < N2; n0 += MB) {
        const int64_t nb = N2 - n0 < MB ? N2 - n0 : (int64_t)MB;
        double pr[MB], pi[MB], wr[MB], wi[MB];
        double tz[2][L0][MB];                                 /* tr = 0: (L0, nb), transposed below */
        for (int64_t q = 0; q < nb; q++) {
            pr[q] = 1.0; pi[q] = 0.0;
            wr[q] = md[n0 + q].zr; wi[q] = md[n0 + q].zi;
        }
        for (int64_t j = 0; j < L0; j++) {
            double *dr = tr ? Zr + j * N2 + n0 : tz[0][j], *di = tr ? Zi + j * N2 + n0 : tz[1][j];
            for (int64_t q = 0; q < nb; q++) {
                dr[q] = pr[q]; di[q] = pi[q];
                const double qr = pr[q] * wr[q] - pi[q] * wi[q], qi = pr[q] * wi[q] + pi[q] * wr[q];
                pr[q] = ls__s4d_flush(qr); pi[q] = ls__s4d_flush(qi);
            }
        }
        if (!tr)
            for (int64_t q = 0; q < nb; q++)
                for (int64_t j = 0; j < L0; j++) {
                    Zr[(n0 + q) * L0 + j] = tz[0][j][q];
                    Zi[(n0 + q) * L0 + j] = tz[1][j][q];
                }
    }
}

/* per-thread workspace of the kernel's forward and backward, in doubles (modes, then Z planes and
   per-mode sums); the caller gives ls_get_threads() of them */
static int64_t ls__s4d_modes_work(int64_t N2) { return ((int64_t)sizeof(ls__s4d_mode) * N2 + 7) / 8; }
static int64_t ls__s4d_work(int64_t N2) {
    return (ls__s4d_modes_work(N2) + 2 * LS__S4D_CHUNK * N2 + 12 * N2 + 7) & ~(int64_t)7;   /* 64-byte slices */
}

/* K (C, T) from the parameters (shapes above) */
LS__S4D_WIDE static void ls__s4d_kernel_forward(int64_t C, int64_t N2, int64_t T, const float *log_dt, const float *log_a_re,
                                   const float *a_im, const float *c_re, const float *c_im, float *K, double *work) {
    const int64_t L0 = LS__S4D_CHUNK;
    LS_ASSERT(C >= 1 && N2 >= 1 && T >= 1);
    LS__PRAGMA(omp parallel if (C * N2 * T > 32768))
    {
        /* per thread: modes (N2), Z planes (N2, L0) x 2, P (N2) x 2 */
        double *w = work + ls__thread_num() * ls__s4d_work(N2);
        ls__s4d_mode *md = (ls__s4d_mode *)(void *)w;
        double *Zr = w + ls__s4d_modes_work(N2);
        double *Zi = Zr + N2 * L0, *Pr = Zi + N2 * L0, *Pi = Pr + N2;
        LS__PRAGMA(omp for schedule(dynamic, 2))
        for (int64_t c = 0; c < C; c++) {
            const double dt = exp((double)log_dt[c]);
            for (int64_t nn = 0; nn < N2; nn++) {
                const int64_t i = c * N2 + nn;
                ls__s4d_mode_make(dt, log_a_re[i], a_im[i], c_re[i], c_im[i], &md[nn]);
                Pr[nn] = 2.0 * md[nn].cr; Pi[nn] = 2.0 * md[nn].ci;
            }
            ls__s4d_powers(N2, md, 0, Zr, Zi);
            for (int64_t l0 = 0; l0 < T; l0 += L0) {
                const int64_t len = T - l0 < L0 ? T - l0 : L0;
                double acc[LS__S4D_CHUNK];                  /* K[l0 + j] in double */
                for (int64_t j = 0; j < L0; j++) acc[j] = 0.0;
                for (int64_t nn = 0; nn < N2; nn++) {
                    const double a = Pr[nn], b = Pi[nn];
                    const double *zr = Zr + nn * L0, *zi = Zi + nn * L0;
                    for (int64_t j = 0; j < L0; j++) acc[j] += a * zr[j] - b * zi[j];
                }
                for (int64_t j = 0; j < len; j++) K[c * T + l0 + j] = (float)acc[j];
                for (int64_t nn = 0; nn < N2; nn++) {       /* P *= z^L0 */
                    const double a = Pr[nn], b = Pi[nn];
                    Pr[nn] = ls__s4d_flush(a * md[nn].zLr - b * md[nn].zLi);
                    Pi[nn] = ls__s4d_flush(a * md[nn].zLi + b * md[nn].zLr);
                }
            }
        }
    }
}

/* adds the parameter gradients given dK (C, T); dlog_dt (C), the others (C, N2); any may be NULL */
LS__S4D_WIDE static void ls__s4d_kernel_backward(int64_t C, int64_t N2, int64_t T, const float *log_dt, const float *log_a_re,
                                    const float *a_im, const float *c_re, const float *c_im, const float *dK,
                                    float *dlog_dt, float *dlog_a_re, float *da_im, float *dc_re, float *dc_im,
                                    double *work) {
    const int64_t L0 = LS__S4D_CHUNK;
    LS_ASSERT(C >= 1 && N2 >= 1 && T >= 1);
    LS__PRAGMA(omp parallel if (C * N2 * T > 32768))
    {
        double *w = work + ls__thread_num() * ls__s4d_work(N2);
        ls__s4d_mode *md = (ls__s4d_mode *)(void *)w;
        /* Z (L0, N2) x 2; per mode: power p, chunk sums s, q, totals S, R (re and im each, N2) */
        enum { MB = LS__S4D_MB };
        double *Zr = w + ls__s4d_modes_work(N2);
        double *Zi = Zr + L0 * N2, *pr = Zi + L0 * N2, *pi = pr + N2;
        double *sr = pi + N2, *si = sr + N2, *qr = si + N2, *qi = qr + N2;
        double *Sr = qi + N2, *Si = Sr + N2, *Rr = Si + N2, *Ri = Rr + N2;
        LS__PRAGMA(omp for schedule(dynamic, 2))
        for (int64_t c = 0; c < C; c++) {
            const double dt = exp((double)log_dt[c]);
            for (int64_t nn = 0; nn < N2; nn++) {
                const int64_t i = c * N2 + nn;
                ls__s4d_mode_make(dt, log_a_re[i], a_im[i], c_re[i], c_im[i], &md[nn]);
                pr[nn] = 1.0; pi[nn] = 0.0;
                Sr[nn] = Si[nn] = Rr[nn] = Ri[nn] = 0.0;
            }
            ls__s4d_powers(N2, md, 1, Zr, Zi);
            const float *g = dK + c * T;                      /* (T) */
            for (int64_t l0 = 0; l0 < T; l0 += L0) {
                const int64_t len = T - l0 < L0 ? T - l0 : L0;
                /* s = sum_j dK z^j, q = sum_j j dK z^j, up to MB modes at a time; the accumulators
                   are a local array so the mode loop vectorises without aliasing checks */
                for (int64_t n0 = 0; n0 < N2; n0 += MB) {
                    const int64_t nb = N2 - n0 < MB ? N2 - n0 : (int64_t)MB;
                    double acc[4][MB];
                    for (int64_t q = 0; q < nb; q++) acc[0][q] = acc[1][q] = acc[2][q] = acc[3][q] = 0.0;
                    for (int64_t j = 0; j < len; j++) {
                        const double d = (double)g[l0 + j], dj = d * (double)j;
                        const double *zr = Zr + j * N2 + n0, *zi = Zi + j * N2 + n0;
                        for (int64_t q = 0; q < nb; q++) {
                            acc[0][q] += d * zr[q]; acc[1][q] += d * zi[q];
                            acc[2][q] += dj * zr[q]; acc[3][q] += dj * zi[q];
                        }
                    }
                    for (int64_t q = 0; q < nb; q++) {
                        sr[n0 + q] = acc[0][q]; si[n0 + q] = acc[1][q]; qr[n0 + q] = acc[2][q]; qi[n0 + q] = acc[3][q];
                    }
                }
                const double fl0 = (double)l0;
                for (int64_t nn = 0; nn < N2; nn++) {       /* S += p s, R += p (l0 s + q), p *= z^L0 */
                    const double a = pr[nn], b = pi[nn];
                    const double tr = fl0 * sr[nn] + qr[nn], ti = fl0 * si[nn] + qi[nn];
                    Sr[nn] += a * sr[nn] - b * si[nn]; Si[nn] += a * si[nn] + b * sr[nn];
                    Rr[nn] += a * tr - b * ti; Ri[nn] += a * ti + b * tr;
                    pr[nn] = ls__s4d_flush(a * md[nn].zLr - b * md[nn].zLi);
                    pi[nn] = ls__s4d_flush(a * md[nn].zLi + b * md[nn].zLr);
                }
            }
            double gdt = 0.0;
            for (int64_t nn = 0; nn < N2; nn++) {
                const ls__s4d_mode *q = &md[nn];
                const int64_t i = c * N2 + nn;
                const double gcpr = 2.0 * Sr[nn], gcpi = -2.0 * Si[nn];          /* g_C' = 2 conj S */
                const double Cr = (double)c_re[i], Ci = (double)c_im[i];
                const double gcr = gcpr * q->br + gcpi * q->bi;                  /* g_C' conj(Bt) */
                const double gci = gcpi * q->br - gcpr * q->bi;
                const double gbr = gcpr * Cr + gcpi * Ci, gbi = gcpi * Cr - gcpr * Ci; /* g_C' conj(C) */
                /* u = (dt z - Bt) / A */
                const double nr = dt * q->zr - q->br, ni = dt * q->zi - q->bi;
                const double den = q->ar * q->ar + q->ai * q->ai;
                const double ur = (nr * q->ar + ni * q->ai) / den, ui = (ni * q->ar - nr * q->ai) / den;
                /* C' R */
                const double crr = q->cr * Rr[nn] - q->ci * Ri[nn], cri = q->cr * Ri[nn] + q->ci * Rr[nn];
                /* g_A = 2 dt conj(C' R) + g_Bt conj(u) */
                const double gar = 2.0 * dt * crr + (gbr * ur + gbi * ui);
                const double gai = -2.0 * dt * cri + (gbi * ur - gbr * ui);
                /* dL/ddt: 2 Re(C' R A) + Re(conj(g_Bt) z) */
                gdt += 2.0 * (crr * q->ar - cri * q->ai) + (gbr * q->zr + gbi * q->zi);
                if (dlog_a_re) dlog_a_re[i] += (float)(gar * q->ar);  /* dA/dlog_a_re = Re A */
                if (da_im) da_im[i] += (float)gai;
                if (dc_re) dc_re[i] += (float)gcr;
                if (dc_im) dc_im[i] += (float)gci;
            }
            if (dlog_dt) dlog_dt[c] += (float)(dt * gdt);
        }
    }
}

/* S4D initialisations. uniform(state) returns floats in [0, 1).
   log_dt: log-uniform in [dt_min, dt_max] (e.g. 1e-3, 1e-1); C = c_re + i c_im complex normal with
   variance 0.5 per part (torch.randn(cfloat)); then per kind:
     LS__S4D_INIT_LIN     A_n = -1/2 + i pi n                                 (S4D-Lin)
     LS__S4D_INIT_INV     A_n = -1/2 + i (N/pi) (N/(2n+1) - 1),  N = 2 N2     (S4D-Inv)
     LS__S4D_INIT_RANDOM  every parameter (log_dt, log_a_re, a_im, c_re, c_im) re-drawn from
                          N(0, 0.1^2): the paper's random-init ablation (not-from-scratch
                          apply_rand_init: nn.init.normal_(param, mean=0, std=0.1)); dt_min/max unused.
   Draw order: log_dt[0..C), then (c_re, c_im) per (c, n) row-major [random: log_a_re, a_im too]. */
enum { LS__S4D_INIT_LIN = 0, LS__S4D_INIT_INV = 1, LS__S4D_INIT_RANDOM = 2 };

/* standard normal from two uniforms (Box-Muller, cosine branch) */
static double ls__s4d_normal(float (*uniform)(void *), void *state) {
    const double u1 = (double)uniform(state), u2 = (double)uniform(state);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

static void ls__s4d_init(int kind, int64_t C, int64_t N2, float dt_min, float dt_max,
                         float (*uniform)(void *), void *state, float *log_dt, float *log_a_re,
                         float *a_im, float *c_re, float *c_im) {
    const double pi = 3.14159265358979323846;
    LS_ASSERT(kind >= LS__S4D_INIT_LIN && kind <= LS__S4D_INIT_RANDOM);
    if (kind == LS__S4D_INIT_RANDOM) {
        for (int64_t c = 0; c < C; c++) log_dt[c] = (float)(0.1 * ls__s4d_normal(uniform, state));
        for (int64_t i = 0; i < C * N2; i++) {
            log_a_re[i] = (float)(0.1 * ls__s4d_normal(uniform, state));
            a_im[i] = (float)(0.1 * ls__s4d_normal(uniform, state));
            c_re[i] = (float)(0.1 * ls__s4d_normal(uniform, state));
            c_im[i] = (float)(0.1 * ls__s4d_normal(uniform, state));
        }
        return;
    }
    LS_ASSERT(dt_min > 0.0f && dt_max >= dt_min);
    const double lo = log((double)dt_min), hi = log((double)dt_max), N = 2.0 * (double)N2;
    for (int64_t c = 0; c < C; c++) log_dt[c] = (float)(lo + (double)uniform(state) * (hi - lo));
    for (int64_t c = 0; c < C; c++)
        for (int64_t nn = 0; nn < N2; nn++) {
            const int64_t i = c * N2 + nn;
            c_re[i] = (float)(sqrt(0.5) * ls__s4d_normal(uniform, state));
            c_im[i] = (float)(sqrt(0.5) * ls__s4d_normal(uniform, state));
            log_a_re[i] = (float)log(0.5);
            a_im[i] = kind == LS__S4D_INIT_LIN ? (float)(pi * (double)nn)
                                               : (float)(N / pi * (N / (2.0 * (double)nn + 1.0) - 1.0));
        }
}

/* ---------------------------------------------------------------------------------------------
   6B.6 LRU scan (Orvieto et al. 2023, "Resurrecting recurrent neural networks")

   Per channel n (N channels): lambda = exp(-exp(nu_log) + i exp(theta_log)) = r e^{i phi},
   r = exp(-exp(nu_log)), phi = exp(theta_log), gamma = sqrt(1 - r^2) (computed as
   sqrt(-expm1(-2 exp(nu_log))) so it stays accurate as r -> 1).
   x (B, T, N) complex as x_re, x_im (already multiplied by B); h (B, T, N) likewise:
       h[b,t] = lambda h[b,t-1] + gamma x[b,t],   h[b,-1] = 0.
   Backward (complex gradient convention as for S4D): the adjoint a_t = g_{h_t} obeys
       a_t = dh_t + conj(lambda) a_{t+1},  a_T = 0                (reverse scan)
       dx_t = gamma a_t  (gamma real)
       g_lambda = sum_{b,t} a_t conj(h_{t-1}),   dL/dgamma = sum_{b,t} Re(conj(a_t) x_t)
       lambda = exp(w), w = -exp(nu) + i exp(theta):  g_w = g_lambda conj(lambda)
       dnu    = -exp(nu) Re(g_w) + dL/dgamma * r^2 exp(nu) / gamma
       dtheta =  exp(theta) Im(g_w)
   Work split: (batch, block of LS__LRU_BLOCK channels), never over time; the step update is a
   loop over contiguous channels. The sums over t are per (b, n) in double in reverse time order,
   stored per batch, and summed over b = 0 .. B-1 in a serial pass: thread-count independent.
   --------------------------------------------------------------------------------------------- */

#define LS__LRU_BLOCK 64

/* lambda (re, im) and gamma per channel, in double, from nu_log, theta_log (N) */
static void ls__lru_coeffs(int64_t n, const float *nu_log, const float *theta_log, double *lr, double *li,
                           double *gm, double *r2) {
    for (int64_t i = 0; i < n; i++) {
        const double e = exp((double)nu_log[i]), r = exp(-e), ph = exp((double)theta_log[i]);
        lr[i] = r * cos(ph); li[i] = r * sin(ph);
        r2[i] = exp(-2.0 * e);
        gm[i] = sqrt(-expm1(-2.0 * e));
    }
}

/* work: 4 N doubles (forward), 4 N + 3 B N (backward). The planes x_re, x_im, h_re, ... hold N
   floats of each (b, t) at (b T + t) ld: ld = 2 N reads and writes the op's (B, T, 2N) rows, real
   halves then imaginary, in place (x_im = x_re + N). */
static void ls__lru_scan_forward(int64_t B, int64_t T, int64_t N, int64_t ld, const float *nu_log, const float *theta_log,
                                 const float *x_re, const float *x_im, float *h_re, float *h_im, double *work) {
    enum { NB = LS__LRU_BLOCK };
    const int64_t nblk = (N + NB - 1) / NB;
    LS_ASSERT(B >= 1 && T >= 1 && N >= 1);
    double *cf = work;                                       /* lr, li, gamma, r^2 (N) */
    ls__lru_coeffs(N, nu_log, theta_log, cf, cf + N, cf + 2 * N, cf + 3 * N);
    LS__PRAGMA(omp parallel for schedule(static) if (B * T * N > 32768))
    for (int64_t task = 0; task < B * nblk; task++) {
        const int64_t b = task / nblk, n0 = (task % nblk) * NB, nw = N - n0 < NB ? N - n0 : (int64_t)NB;
        float lr[NB], li[NB], gm[NB], hr[NB], hi[NB];
        for (int64_t j = 0; j < nw; j++) {
            lr[j] = (float)cf[n0 + j]; li[j] = (float)cf[N + n0 + j]; gm[j] = (float)cf[2 * N + n0 + j];
            hr[j] = 0.0f; hi[j] = 0.0f;
        }
        for (int64_t t = 0; t < T; t++) {
            const int64_t at = (b * T + t) * ld + n0;
            const float *xr = x_re + at, *xi = x_im + at;     /* (nw) */
            float *yr = h_re + at, *yi = h_im + at;           /* (nw) */
            for (int64_t j = 0; j < nw; j++) {
                const float nr = lr[j] * hr[j] - li[j] * hi[j] + gm[j] * xr[j];
                const float ni = lr[j] * hi[j] + li[j] * hr[j] + gm[j] * xi[j];
                hr[j] = nr; hi[j] = ni;
                yr[j] = nr; yi[j] = ni;
            }
        }
    }
}

/* h_re, h_im: the forward outputs; dh_*; adds dx_*, dnu_log, dtheta_log (N); planes as above, ld apart */
static void ls__lru_scan_backward(int64_t B, int64_t T, int64_t N, int64_t ld, const float *nu_log, const float *theta_log,
                                  const float *x_re, const float *x_im, const float *h_re, const float *h_im,
                                  const float *dh_re, const float *dh_im, float *dx_re, float *dx_im,
                                  float *dnu_log, float *dtheta_log, double *work) {
    enum { NB = LS__LRU_BLOCK };
    const int64_t nblk = (N + NB - 1) / NB;
    const int want_p = dnu_log != NULL || dtheta_log != NULL;
    LS_ASSERT(B >= 1 && T >= 1 && N >= 1);
    if (!want_p && !dx_re && !dx_im) return;
    double *cf = work;                                       /* lr, li, gamma, r^2 (N) */
    ls__lru_coeffs(N, nu_log, theta_log, cf, cf + N, cf + 2 * N, cf + 3 * N);
    /* per batch partial sums: g_lambda (re, im) and dL/dgamma, (3, B, N) */
    double *part = work + 4 * N;
    LS__PRAGMA(omp parallel for schedule(static) if (B * T * N > 32768))
    for (int64_t task = 0; task < B * nblk; task++) {
        const int64_t b = task / nblk, n0 = (task % nblk) * NB, nw = N - n0 < NB ? N - n0 : (int64_t)NB;
        float lr[NB], li[NB], gm[NB], ar[NB], ai[NB];
        double glr[NB], gli[NB], gg[NB];
        for (int64_t j = 0; j < nw; j++) {
            lr[j] = (float)cf[n0 + j]; li[j] = (float)cf[N + n0 + j]; gm[j] = (float)cf[2 * N + n0 + j];
            ar[j] = ai[j] = 0.0f;
            glr[j] = gli[j] = gg[j] = 0.0;
        }
        for (int64_t t = T - 1; t >= 0; t--) {
            const int64_t at = (b * T + t) * ld + n0;
            const float *gr = dh_re + at, *gi = dh_im + at;   /* (nw) */
            for (int64_t j = 0; j < nw; j++) {                /* a = dh + conj(lambda) a */
                const float nr = gr[j] + lr[j] * ar[j] + li[j] * ai[j];
                const float ni = gi[j] + lr[j] * ai[j] - li[j] * ar[j];
                ar[j] = nr; ai[j] = ni;
            }
            /* 0 + gamma a: the value a zeroed plane summed here held, before dx added it */
            if (dx_re) for (int64_t j = 0; j < nw; j++) dx_re[at + j] += 0.0f + gm[j] * ar[j];
            if (dx_im) for (int64_t j = 0; j < nw; j++) dx_im[at + j] += 0.0f + gm[j] * ai[j];
            if (want_p) {
                const float *xr = x_re + at, *xi = x_im + at;
                for (int64_t j = 0; j < nw; j++) gg[j] += (double)(ar[j] * xr[j] + ai[j] * xi[j]);
                if (t > 0) {
                    const float *pr = h_re + at - ld, *pi = h_im + at - ld; /* h[t-1] */
                    for (int64_t j = 0; j < nw; j++) {        /* g_lambda += a conj(h[t-1]) */
                        glr[j] += (double)(ar[j] * pr[j] + ai[j] * pi[j]);
                        gli[j] += (double)(ai[j] * pr[j] - ar[j] * pi[j]);
                    }
                }
            }
        }
        for (int64_t j = 0; j < nw; j++) {
            part[b * N + n0 + j] = glr[j];
            part[(B + b) * N + n0 + j] = gli[j];
            part[(2 * B + b) * N + n0 + j] = gg[j];
        }
    }
    if (want_p) {
        for (int64_t i = 0; i < N; i++) {
            double glr = 0.0, gli = 0.0, gg = 0.0;
            for (int64_t b = 0; b < B; b++) {
                glr += part[b * N + i]; gli += part[(B + b) * N + i]; gg += part[(2 * B + b) * N + i];
            }
            const double lr = cf[i], li = cf[N + i], gm = cf[2 * N + i], r2 = cf[3 * N + i];
            const double gwr = glr * lr + gli * li, gwi = gli * lr - glr * li;   /* g_lambda conj(lambda) */
            const double e = exp((double)nu_log[i]), ph = exp((double)theta_log[i]);
            double dnu = -e * gwr;
            if (gm > 0.0) dnu += gg * r2 * e / gm;
            if (dnu_log) dnu_log[i] += (float)dnu;
            if (dtheta_log) dtheta_log[i] += (float)(ph * gwi);
        }
    }
}

/* LRU ring initialisation (Orvieto et al., Lemma 3.2): |lambda| uniform over the area of the ring
   r_min <= |lambda| <= r_max, phase uniform in [0, max_phase]:
       u1, u2 ~ U[0, 1);  |lambda|^2 = r_min^2 + u1 (r_max^2 - r_min^2);  phase = max_phase * u2
       nu_log = log(-log|lambda|) = log(-0.5 log |lambda|^2),  theta_log = log(phase).
   Uses 1 - u (in (0, 1]) for the phase so theta_log is finite, and clamps |lambda|^2 to
   [1e-30, 1 - 2^-24] so nu_log is finite (r_max = 1 or r_min = 0 allowed). Draw order: per channel
   n, u1 then u2. */
static void ls__lru_init(int64_t N, float r_min, float r_max, float max_phase, float (*uniform)(void *),
                         void *state, float *nu_log, float *theta_log) {
    LS_ASSERT(r_min >= 0.0f && r_max >= r_min && r_max <= 1.0f && max_phase > 0.0f);
    for (int64_t i = 0; i < N; i++) {
        const double u1 = (double)uniform(state), u2 = (double)uniform(state);
        double m2 = (double)r_min * r_min + u1 * ((double)r_max * r_max - (double)r_min * r_min);
        if (m2 < 1e-30) m2 = 1e-30;
        if (m2 > 1.0 - 5.9604644775390625e-08) m2 = 1.0 - 5.9604644775390625e-08;
        nu_log[i] = (float)log(-0.5 * log(m2));
        theta_log[i] = (float)log((double)max_phase * (1.0 - u2));
    }
}

/* ---------------------------------------------------------------------------------------------
   6B.7 fused multi-head attention (flash-style forward, recomputing backward)

   Shapes. q, k, v, o (and q2, k2 for the dual regime) are (B, T, H*D) row-major: head h of token
   t of batch b is the D floats at ((b*T + t)*H + h)*D. lse is (B, H, T).

   Score and mask. For query i and key j of one (b, h):
       s_ij = scale * row_scale[i] * (q_i . k_j) - m_h |i - j|
   with (q2_i . k2_j) in place of (q_i . k_j) when dual_w > 0 and |i - j| >= dual_w. Key j is
   visible to query i iff (!causal || j <= i) and (window == 0 || |i - j| < window || j < sinks)
   (with causal, a sink is still only visible to i >= j). Every row sees at least key j = i.
   The row scale is folded into the packed query tile (q_i * scale * row_scale[i]); the ALiBi term
   is added after that product, so it is never scaled (log-n scaling must not scale the bias).
   KERPLE-log (kerple): - r1_h log(1 + r2_h |i - j|) is added like the ALiBi term, read from a per-head
   table (the forward fills it from the op's (2, H) input). Its gradient: dL/dr1 = -sum dS_ij log(1 +
   r2 d_ij), dL/dr2 = -r1 sum dS_ij d_ij / (1 + r2 d_ij), with dS the recomputing backward's logit
   gradient; each backward task sums its tiles in its fixed order (doubles), and the tasks' sums are
   added per head in task order, so no thread count changes them.

   Normalisations (a_ij = weight, o_i = sum_j a_ij v_j; all three are a_ij = exp(s_ij - lse_i)):
       LS_ATTN_SOFTMAX  lse_i = log sum_j exp(s_ij)
       LS_ATTN_L2       lse_i = 0.5 log sum_j exp(2 s_ij)    (a_i has unit 2-norm)
       LS_ATTN_NODENOM  lse_i = log n_i, n_i = visible keys  (no denominator; Su 9105's probe fix)
   The last two let o_i depend on how many keys a row sees, which softmax cannot (Su's probe: on
   inputs [0..0] softmax attention gives the same output at every position, so cannot count to n).

   Forward (FlashAttention-2 order). One task = (b, h, group of G = 4 query tiles of 64 rows);
   tasks are independent, so the result does not depend on the thread count. The task walks the
   key tiles (64 keys) in increasing order, skipping tiles that the mask hides entirely (causal:
   the upper triangle; window: all but a band, plus the sink tiles), packs each key tile once
   (K^T and V) and applies it to its G query tiles. Per (query tile, key tile):
       S = Q K^T (64 x 64), + ALiBi, masked entries -> -inf
       m' = max(m, rowmax S);  P = exp(S - m');  c = exp(m - m')
       softmax, NODENOM: l = c l + rowsum P;   L2: l = c^2 l + rowsum P^2
       O = c O + P V
   and at the end o = O / l (softmax), O / sqrt(l) (L2), O exp(m) / n (NODENOM), with lse as above.
   Saved for the backward: only lse (B, H, T) and the output o. No T x T buffer exists anywhere.

   Backward. First D_i = dout_i . o_i for every row ((B, H, T) buffer; = sum_j a_ij dP_ij). Then,
   with P = exp(S - lse) recomputed tile by tile and dP = dO V^T:
       softmax: dS = P (dP - D_i)             (d lse/d s_k = a_k)
       L2:      dS = P (dP - P D_i)           (a_j = e^{s_j}/Z, d log Z/d s_k = a_k^2, so
                                               d a_j/d s_k = a_j (delta_jk - a_k^2) and
                                               dS_k = sum_j dP_j a_j (delta_jk - a_k^2) = a_k (dP_k - a_k D_i))
       NODENOM: dS = P dP                     (n_i does not depend on s)
   then dV += P^T dO, dK += dS^T (scaled Q), dQ += row_scale_i * scale * dS K. Work unit = a group
   of KG = 2 key tiles: their dK, dV are accumulated in scratch over all query tiles (increasing
   order; each packed q / dout tile serves both key tiles) and added to dk, dv once, by the one
   task that owns the group. Tasks are (b, h, c) for c < NC, task c owning key groups c, c + NC,
   ...; NC = 1 when B*H >= 8 (each task owns a whole head and adds dQ straight into dq, query tile
   by query tile in key-group order), otherwise NC = ceil(8 / (B*H)) and each task adds its dQ into
   a private (T, D) partial, reduced into dq in order c = 0..NC-1 afterwards. NC depends only on
   the shapes, never on the thread count: bit-identical results for any number of threads, no
   atomics. Flops: forward 4 T^2 D per head (S, PV), backward 10 T^2 D (S, dP, dV, dK, dQ) = 2.5x
   forward; both less the skipped tiles.

   Memory. Per thread: one scratch block of 4 (64 x 64) tiles + (3 G + 3 + 9 KG) = 33 (64 x Dp)
   tiles (Dp = D rounded up to the vector width): 328 KiB at D = 32, 592 KiB at D = 64, whatever T
   is. The backward adds D_i (B*H*T floats) and, when NC > 1, B*H*NC <= 8 + B*H - 1 partial (T, D)
   buffers for dq (twice with dq2): O(T D), never O(T^2).

   Dual regime (dual_w = w > 0): pairs with |i - j| < w use (q, k), the others (q2, k2). A key
   tile lies wholly in one regime except near |i - j| = w, where both score tiles are computed and
   merged element-wise (and in the backward dS is split into the two regimes' gradients).
       ReRoPE (Su 9708, delta(r) = min(r, w)): q, k = RoPE(q, i), RoPE(k, j) as usual; q2 =
           RoPE(q, w) (every query rotated by the fixed position w), k2 = k unrotated. Then
           q2_i . k2_j = q . R(w) k = the RoPE score at relative distance w for every |i-j| >= w.
       Leaky ReRoPE (delta(r) = w + (r - w)/kappa for r >= w): q2 = RoPE(q, i/kappa + w(1 - 1/kappa)),
           k2 = RoPE(k, j/kappa), so the relative angle is (i - j)/kappa + w(1 - 1/kappa).
   (For a non-causal model the |i - j| >= w branch also covers j > i; the caller's rotations decide
   the sign convention there.)

   Speed. The three products (S = Q K^T, P V / dS K, P^T dO / dS^T Q) run through one register-
   blocked micro-kernel C(64 x N) (+)= A(64 x K) B(K x N) with a strided A, written with
   AVX-512 or AVX2+FMA intrinsics when the compiler targets them (explicit FMA: -std=c99 turns
   off contraction) and plain C otherwise (-DLS_ATTN_NO_SIMD forces that). Tiles are padded to 64
   (zero rows/columns, masked), so T and D need not be multiples of anything. exp is a Cephes
   polynomial after Cody-Waite reduction (~2 ulp): AVX-512 intrinsics, else branch-free C that gcc
   vectorises. Row max / sum reduce 16 lanes pairwise in a fixed order (no -ffast-math needed).
   The vector width changes the rounding (not the thread count): results are reproducible per
   build, not across AVX-512 / AVX2 / scalar builds.
   --------------------------------------------------------------------------------------------- */

typedef struct ls__attn_cfg {
    int64_t B, T, H, D;      /* batch, sequence length, heads, head dim; q, k, v, o are (B, T, H*D) row-major */
    int causal;              /* key j visible to query i only if j <= i */
    float scale;             /* logit multiplier (1/sqrt(D) usually; 1 for KeyNorm) */
    const float *alibi;      /* NULL or H slopes m_h: s_ij -= m_h * |i - j| (added after scaling) */
    const float *row_scale;  /* NULL or T factors: logits of row i multiplied by row_scale[i] (log-n scaling) */
    int64_t window;          /* 0 or W: key j visible only if |i - j| < W (local attention) */
    int64_t sinks;           /* with window: keys j < sinks stay visible too (Lambda-mask / attention sinks) */
    int64_t dual_w;          /* 0, or w > 0: ReRoPE-style dual regime: pairs with |i-j| < w score with (q, k),
                                pairs with |i-j| >= w score with (q2, k2) (two more (B,T,H*D) tensors) */
    int norm;                /* LS_ATTN_* */
    const int32_t *kv_len;   /* NULL or B key lengths (padding mask) */
    int64_t TK;              /* keys [TK, T) hidden: the batch row's kv_len (T without one); set per task */
    const float *kr;         /* NULL or KERPLE's 2H positive parameters r1 (H), r2 (H) */
    const float *kb;         /* with kr: (H, kbn) bias table r1_h log(1 + r2_h d), d = 0 .. kbn - 1 */
    int64_t kbn;             /* T + 64: covers |i - j| of every tile entry, padding rows and columns too */
} ls__attn_cfg;

/* the configuration of batch row b: its key length, when there is a padding mask */
static ls__attn_cfg ls__attn_row_cfg(const ls__attn_cfg *c, int64_t b) {
    ls__attn_cfg r = *c;
    r.TK = c->kv_len ? c->kv_len[b] : c->T;
    return r;
}

#define LS__ATTN_T 64          /* tile edge: 64 queries x 64 keys */
#define LS__ATTN_SPLIT 8       /* backward: aim for at least this many (b, h, key-tile class) tasks */

/* --- vector layer: LS__ATTN_VW floats per register --- */
#if defined(__AVX512F__) && !defined(LS_ATTN_NO_SIMD)
#include <immintrin.h>
#define LS__ATTN_VW 16
typedef __m512 ls__attn_v;
#define LS__ATTN_LD(p) _mm512_loadu_ps(p)
#define LS__ATTN_ST(p, x) _mm512_storeu_ps(p, x)
#define LS__ATTN_SET1(s) _mm512_set1_ps(s)
#define LS__ATTN_ZERO() _mm512_setzero_ps()
#define LS__ATTN_MUL(a, b) _mm512_mul_ps(a, b)
#define LS__ATTN_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#elif defined(__AVX__) && defined(__FMA__) && !defined(LS_ATTN_NO_SIMD)
#include <immintrin.h>
#define LS__ATTN_VW 8
typedef __m256 ls__attn_v;
#define LS__ATTN_LD(p) _mm256_loadu_ps(p)
#define LS__ATTN_ST(p, x) _mm256_storeu_ps(p, x)
#define LS__ATTN_SET1(s) _mm256_set1_ps(s)
#define LS__ATTN_ZERO() _mm256_setzero_ps()
#define LS__ATTN_MUL(a, b) _mm256_mul_ps(a, b)
#define LS__ATTN_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#else
#define LS__ATTN_VW 1
typedef float ls__attn_v;
#define LS__ATTN_LD(p) (*(p))
#define LS__ATTN_ST(p, x) (*(p) = (x))
#define LS__ATTN_SET1(s) (s)
#define LS__ATTN_ZERO() 0.0f
#define LS__ATTN_MUL(a, b) ((a) * (b))
#define LS__ATTN_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* C (64 x VW*NV) = [C | cs[r] * C | 0] + A (64 x K) B (K x VW*NV): rows of C in blocks of R, an
   R x NV block of registers held across the whole k loop. A(r, k) = A[r*sar + k*sak] (broadcast),
   B rows are ldb apart, C rows ldc apart. mode 0: C = A B; 1: C += A B; 2: C = cs .* C + A B. */
/* keeps a loaded B vector in a register: without it gcc re-reads B as a memory operand of every
   FMA (4x4: 16 B loads and 4 broadcasts per 16 FMAs, more than the two load ports carry) */
#if defined(__GNUC__) && LS__ATTN_VW > 1
#define LS__ATTN_PIN(v) __asm__("" : "+v"(v))
#else
#define LS__ATTN_PIN(v) ((void)0)
#endif
#define LS__ATTN_DEF_MM(R, NV)                                                                     \
    static void ls__attn_mm_##R##x##NV(int64_t K, const float *A, int64_t sar, int64_t sak,         \
                                       const float *Bm, int64_t ldb, float *C, int64_t ldc,         \
                                       const float *cs, int mode) {                                 \
        for (int r0 = 0; r0 < LS__ATTN_T; r0 += R) {                                               \
            ls__attn_v acc[R][NV];                                                                 \
            for (int r = 0; r < R; r++)                                                            \
                for (int u = 0; u < NV; u++) {                                                     \
                    if (mode == 0) acc[r][u] = LS__ATTN_ZERO();                                    \
                    else acc[r][u] = LS__ATTN_LD(C + (r0 + r) * ldc + u * LS__ATTN_VW);            \
                    if (mode == 2) acc[r][u] = LS__ATTN_MUL(LS__ATTN_SET1(cs[r0 + r]), acc[r][u]); \
                }                                                                                  \
            const float *a0 = A + r0 * sar;                                                        \
            for (int64_t k = 0; k < K; k++) {                                                      \
                ls__attn_v b[NV];                                                                  \
                for (int u = 0; u < NV; u++) {                                                     \
                    b[u] = LS__ATTN_LD(Bm + k * ldb + u * LS__ATTN_VW);                            \
                    LS__ATTN_PIN(b[u]);                                                            \
                }                                                                                  \
                for (int r = 0; r < R; r++) {                                                      \
                    ls__attn_v a = LS__ATTN_SET1(a0[r * sar + k * sak]);                           \
                    for (int u = 0; u < NV; u++) acc[r][u] = LS__ATTN_FMA(a, b[u], acc[r][u]);     \
                }                                                                                  \
            }                                                                                      \
            for (int r = 0; r < R; r++)                                                            \
                for (int u = 0; u < NV; u++)                                                       \
                    LS__ATTN_ST(C + (r0 + r) * ldc + u * LS__ATTN_VW, acc[r][u]);                  \
        }                                                                                          \
    }
#if LS__ATTN_VW == 8
/* AVX2 has 16 vector registers: R x NV accumulators + NV B vectors + the broadcast must fit, or
   gcc spills accumulators to the stack inside the k loop (4x4 would need 21: about half the
   speed). At most 4 x 3 (16 registers), 24 columns per pass. Same arithmetic per element. */
LS__ATTN_DEF_MM(4, 3)
LS__ATTN_DEF_MM(4, 2)
LS__ATTN_DEF_MM(8, 1)
#define LS__ATTN_NV_MAX 3
#else
LS__ATTN_DEF_MM(4, 4)
LS__ATTN_DEF_MM(4, 3)
LS__ATTN_DEF_MM(8, 2)
LS__ATTN_DEF_MM(8, 1)
#define LS__ATTN_NV_MAX 4
#endif
#undef LS__ATTN_DEF_MM

/* Ct (N x 64) += B^T A: Ct[d][j] += sum_k B[k][d] A[k][j], k = 0 .. K-1 in order; A (K x 64) rows lda
   apart, B (K x N) rows ldb apart, N a multiple of LS__ATTN_VW. The backward's dV += P^T dO and
   dK += dS^T Q with the accumulator tile kept transposed: C (64 x N) += A^T B through the kernels
   above broadcasts one element of A per vector of FMAs, 9 loads per 8 FMAs at N = 16; here a row of
   A is LS__ATTN_T / VW vectors and one element of B is broadcast per row of them, each element of
   C the same chain of fused multiply-adds (a b + c = b a + c). */
/* a pass: LS__ATTN_DB columns d of Ct times LS__ATTN_JH vectors of its 64 columns j, in registers
   with the JH vectors of a row of A and a broadcast (AVX-512: 4 x 4 + 4 + 1 of 32; AVX2: 2 x 4 + 4
   + 1 of 16) */
#if LS__ATTN_VW == 16
#define LS__ATTN_DB 4
#define LS__ATTN_JH 4
#elif LS__ATTN_VW == 8
#define LS__ATTN_DB 2
#define LS__ATTN_JH 4
#else
#define LS__ATTN_DB 1
#define LS__ATTN_JH 16
#endif
static void ls__attn_mm_tn(int64_t N, int64_t K, const float *A, int64_t lda, const float *Bm, int64_t ldb, float *Ct) {
    enum { DB = LS__ATTN_DB, JH = LS__ATTN_JH, VW = LS__ATTN_VW };
    for (int64_t d0 = 0; d0 < N; d0 += DB)
        for (int j0 = 0; j0 < LS__ATTN_T; j0 += JH * VW) {
            ls__attn_v acc[DB][JH];
            for (int dd = 0; dd < DB; dd++)
                for (int jv = 0; jv < JH; jv++) acc[dd][jv] = LS__ATTN_LD(Ct + (d0 + dd) * LS__ATTN_T + j0 + jv * VW);
            for (int64_t k = 0; k < K; k++) {
                ls__attn_v a[JH];
                for (int jv = 0; jv < JH; jv++) {
                    a[jv] = LS__ATTN_LD(A + k * lda + j0 + jv * VW);
                    LS__ATTN_PIN(a[jv]);
                }
                for (int dd = 0; dd < DB; dd++) {
                    ls__attn_v bb = LS__ATTN_SET1(Bm[k * ldb + d0 + dd]);
                    for (int jv = 0; jv < JH; jv++) acc[dd][jv] = LS__ATTN_FMA(bb, a[jv], acc[dd][jv]);
                }
            }
            for (int dd = 0; dd < DB; dd++)
                for (int jv = 0; jv < JH; jv++) LS__ATTN_ST(Ct + (d0 + dd) * LS__ATTN_T + j0 + jv * VW, acc[dd][jv]);
        }
}
#undef LS__ATTN_DB
#undef LS__ATTN_JH

/* C (64 x N) op= A (64 x K) B (K x N), N a multiple of LS__ATTN_VW; see the micro-kernels above */
static void ls__attn_mm(int64_t N, int64_t K, const float *A, int64_t sar, int64_t sak,
                        const float *Bm, int64_t ldb, float *C, int64_t ldc, const float *cs, int mode) {
    for (int64_t n0 = 0; n0 < N;) {
        int64_t nv = (N - n0) / LS__ATTN_VW;
        if (nv > LS__ATTN_NV_MAX) nv = LS__ATTN_NV_MAX;
#if LS__ATTN_VW == 8
        if (nv == 3) ls__attn_mm_4x3(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
        else if (nv == 2) ls__attn_mm_4x2(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
        else ls__attn_mm_8x1(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
#else
        if (nv == 4) ls__attn_mm_4x4(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
        else if (nv == 3) ls__attn_mm_4x3(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
        else if (nv == 2) ls__attn_mm_8x2(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
        else ls__attn_mm_8x1(K, A, sar, sak, Bm + n0, ldb, C + n0, ldc, cs, mode);
#endif
        n0 += nv * LS__ATTN_VW;
    }
}
#undef LS__ATTN_NV_MAX

/* Row helpers on the rows of a score tile (64 floats each, rows LS__ATTN_T apart):
   ls__attn_rows_max  out[r] = max of row r, 16 rows (-inf when all are -inf)
   ls__attn_rows_exp  row r = exp(row r - sub[r]), out[r] = its sum (l2: sum of squares), 16 rows;
                      hidden (-inf) -> 0; sub[r] = -inf (nothing visible): the row zeroed, out[r] 0
   ls__attn_row_expl  p = exp(p - sub), one row (backward; sub = lse)
   Sums and maxima take 16 fixed lanes (lane u: columns u, u + 16, u + 32, u + 48), then pair them
   8, 4, 2, 1. AVX-512: FMA Cody-Waite reduction, Cephes polynomial, vscalefps for 2^n (underflows
   to 0 below e^-104), and the 16 rows' lane pairings done across the rows at once; otherwise
   ls__exp and one row at a time (ls__attn_row_max, ls__attn_row_exp). */
#if LS__ATTN_VW == 16
/* The all-ones maskz forms below are the plain instructions; they avoid gcc 12's spurious
   -Wmaybe-uninitialized on _mm512_undefined_ps inside the unmasked intrinsics in C++ (PR 105593). */
#define LS__ATTN_ALL ((__mmask16)0xFFFF)
static __m512 ls__attn_exp16(__m512 x) {
    x = _mm512_maskz_max_ps(LS__ATTN_ALL, x, _mm512_set1_ps(-104.0f));   /* -inf -> -104: e^-104 -> 0 */
    x = _mm512_maskz_min_ps(LS__ATTN_ALL, x, _mm512_set1_ps(88.3f));
    __m512 n = _mm512_maskz_roundscale_ps(LS__ATTN_ALL, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_scalef_ps(LS__ATTN_ALL, y, n);
}
static __m512 ls__attn_row_max16(const float *p) {
    return _mm512_maskz_max_ps(LS__ATTN_ALL, _mm512_maskz_max_ps(LS__ATTN_ALL, _mm512_loadu_ps(p), _mm512_loadu_ps(p + 16)),
                               _mm512_maskz_max_ps(LS__ATTN_ALL, _mm512_loadu_ps(p + 32), _mm512_loadu_ps(p + 48)));
}
static __m512 ls__attn_row_exp16(float *p, float sub, int l2) {   /* the 16 lanes before their sum */
    __m512 vs = _mm512_set1_ps(sub), acc = _mm512_setzero_ps();
    for (int c0 = 0; c0 < LS__ATTN_T; c0 += 16) {
        __m512 e = ls__attn_exp16(_mm512_sub_ps(_mm512_loadu_ps(p + c0), vs));
        _mm512_storeu_ps(p + c0, e);
        acc = l2 ? _mm512_fmadd_ps(e, e, acc) : _mm512_add_ps(acc, e);
    }
    return acc;
}
/* out[r] = the max (max = 1) or sum of the 16 lanes of x[r], r < 16, in a fixed pairing: lane i with
   i + 8, then i + 4, i + 2, i + 1, the lower lane the first operand (as the other builds' 16-lane
   sums). Done across the 16 rows at once, 30 shuffles in all: one row at a time, each row's
   reduction was a serial chain of dependent shuffles and adds that the forward's softmax waited on. */
static void ls__attn_hred16(const __m512 x[16], int max, float *out) {
#define LS__ATTN_RED(a, b) (max ? _mm512_maskz_max_ps(LS__ATTN_ALL, a, b) : _mm512_add_ps(a, b))
#define LS__ATTN_SHUF4(a, b, imm) _mm512_maskz_shuffle_f32x4(LS__ATTN_ALL, a, b, imm)
#define LS__ATTN_SHUF(a, b, imm) _mm512_maskz_shuffle_ps(LS__ATTN_ALL, a, b, imm)
    __m512 v[8], u[4], t[2];
    for (int k = 0; k < 8; k++)   /* lanes 0-7: row 2k, 8-15: row 2k+1, each lane i with i + 8 */
        v[k] = LS__ATTN_RED(LS__ATTN_SHUF4(x[2 * k], x[2 * k + 1], 0x44), LS__ATTN_SHUF4(x[2 * k], x[2 * k + 1], 0xEE));
    for (int k = 0; k < 4; k++)   /* quarter q: row 4k + q, each lane i with i + 4 */
        u[k] = LS__ATTN_RED(LS__ATTN_SHUF4(v[2 * k], v[2 * k + 1], 0x88), LS__ATTN_SHUF4(v[2 * k], v[2 * k + 1], 0xDD));
    for (int k = 0; k < 2; k++)   /* quarter q: lanes 0-1 row 8k + q, 2-3 row 8k + 4 + q; i with i + 2 */
        t[k] = LS__ATTN_RED(LS__ATTN_SHUF(u[2 * k], u[2 * k + 1], 0x44), LS__ATTN_SHUF(u[2 * k], u[2 * k + 1], 0xEE));
    /* lane 0 with lane 1: lane 4q + j holds row 4j + q */
    const __m512 d = LS__ATTN_RED(LS__ATTN_SHUF(t[0], t[1], 0x88), LS__ATTN_SHUF(t[0], t[1], 0xDD));
    const __m512i rows = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    _mm512_storeu_ps(out, _mm512_maskz_permutexvar_ps(LS__ATTN_ALL, rows, d));
#undef LS__ATTN_RED
#undef LS__ATTN_SHUF4
#undef LS__ATTN_SHUF
}
/* 16 rows of a tile (rows LS__ATTN_T apart): out[r] = ls__attn_row_max of row r */
static void ls__attn_rows_max(const float *p, float *out) {
    __m512 x[16];
    for (int r = 0; r < 16; r++) x[r] = ls__attn_row_max16(p + r * LS__ATTN_T);
    ls__attn_hred16(x, 1, out);
}
/* 16 rows: row r = exp(row r - sub[r]), out[r] = ls__attn_row_exp's sum; a row whose sub[r] is -inf
   (nothing visible yet) becomes zeros, out[r] = 0 */
static void ls__attn_rows_exp(float *p, const float *sub, int l2, float *out) {
    __m512 x[16];
    for (int r = 0; r < 16; r++) {
        float *q = p + r * LS__ATTN_T;
        if (sub[r] == -INFINITY) {
            for (int col = 0; col < LS__ATTN_T; col++) q[col] = 0.0f;
            x[r] = _mm512_setzero_ps();
        } else x[r] = ls__attn_row_exp16(q, sub[r], l2);
    }
    ls__attn_hred16(x, 0, out);
}
static void ls__attn_row_expl(float *p, float sub) {
    __m512 vs = _mm512_set1_ps(sub);
    for (int c0 = 0; c0 < LS__ATTN_T; c0 += 16)
        _mm512_storeu_ps(p + c0, ls__attn_exp16(_mm512_sub_ps(_mm512_loadu_ps(p + c0), vs)));
}
#else
/* 16 fixed lanes: lane u takes columns u, u + 16, u + 32, u + 48, then the lanes pair up 8, 4, 2,
   1. AVX2 builds hold the 16 lanes in two registers (plain loops kept them on the stack); exp is
   ls__exp in a loop gcc vectorises. Same bits either way. */
static float ls__attn_row_max(const float *p) {
    float lane[16], mx = -INFINITY;
#if defined(__AVX2__) && LS__ATTN_VW == 8
    __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    for (int c0 = 16; c0 < LS__ATTN_T; c0 += 16) {   /* maxps(a, b) = a > b ? a : b */
        lo = _mm256_max_ps(_mm256_loadu_ps(p + c0), lo);
        hi = _mm256_max_ps(_mm256_loadu_ps(p + c0 + 8), hi);
    }
    _mm256_storeu_ps(lane, lo);
    _mm256_storeu_ps(lane + 8, hi);
#else
    for (int u = 0; u < 16; u++) lane[u] = p[u];
    for (int c0 = 16; c0 < LS__ATTN_T; c0 += 16)
        for (int u = 0; u < 16; u++) lane[u] = p[c0 + u] > lane[u] ? p[c0 + u] : lane[u];
#endif
    for (int u = 0; u < 16; u++) mx = lane[u] > mx ? lane[u] : mx;
    return mx;
}
/* sum of p[0..63] (l2: of p^2) over the 16 lanes */
static float ls__attn_lane_sum(const float *p, int l2) {
#if defined(__AVX2__) && LS__ATTN_VW == 8
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (int c0 = 0; c0 < LS__ATTN_T; c0 += 16) {
        const __m256 e0 = _mm256_loadu_ps(p + c0), e1 = _mm256_loadu_ps(p + c0 + 8);
        lo = _mm256_add_ps(lo, l2 ? _mm256_mul_ps(e0, e0) : e0);
        hi = _mm256_add_ps(hi, l2 ? _mm256_mul_ps(e1, e1) : e1);
    }
    const __m256 s8 = _mm256_add_ps(lo, hi);                                            /* w = 8 */
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1)); /* 4 */
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                            /* 2 */
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));                          /* 1 */
#else
    float lane[16];
    for (int u = 0; u < 16; u++) lane[u] = 0.0f;
    for (int c0 = 0; c0 < LS__ATTN_T; c0 += 16)
        for (int u = 0; u < 16; u++) lane[u] += l2 ? p[c0 + u] * p[c0 + u] : p[c0 + u];
    for (int w = 8; w >= 1; w /= 2)
        for (int u = 0; u < w; u++) lane[u] += lane[u + w];
    return lane[0];
#endif
}
static float ls__attn_row_exp(float *p, float sub, int l2) {
    for (int col = 0; col < LS__ATTN_T; col++) p[col] = ls__exp(p[col] - sub);
    return ls__attn_lane_sum(p, l2);
}
static void ls__attn_row_expl(float *p, float sub) {
    for (int col = 0; col < LS__ATTN_T; col++) p[col] = ls__exp(p[col] - sub);
}
/* 16 rows of a tile at once, as the AVX-512 build does them: here one row at a time */
static void ls__attn_rows_max(const float *p, float *out) {
    for (int r = 0; r < 16; r++) out[r] = ls__attn_row_max(p + r * LS__ATTN_T);
}
static void ls__attn_rows_exp(float *p, const float *sub, int l2, float *out) {
    for (int r = 0; r < 16; r++) {
        float *q = p + r * LS__ATTN_T;
        if (sub[r] == -INFINITY) {
            for (int col = 0; col < LS__ATTN_T; col++) q[col] = 0.0f;
            out[r] = 0.0f;
        } else out[r] = ls__attn_row_exp(q, sub[r], l2);
    }
}
#endif

/* visible keys of query i: lo <= j <= hi, or j < sk */
static void ls__attn_row_range(const ls__attn_cfg *c, int64_t i, int64_t *lo, int64_t *hi, int64_t *sk) {
    int64_t T = c->T, W = c->window;
    int64_t l = 0, h = c->causal ? i : T - 1, s = 0;
    if (W > 0) {
        if (i - W + 1 > l) l = i - W + 1;
        if (i + W - 1 < h) h = i + W - 1;
        s = c->sinks < T ? c->sinks : T;
        if (c->causal && s > i + 1) s = i + 1;
    }
    if (h > c->TK - 1) h = c->TK - 1;   /* padding keys */
    if (s > c->TK) s = c->TK;
    *lo = l; *hi = h; *sk = s;
}

/* how many keys j in [a, b) query i sees */
static int64_t ls__attn_row_count(const ls__attn_cfg *c, int64_t i, int64_t a, int64_t b) {
    int64_t lo, hi, sk;
    ls__attn_row_range(c, i, &lo, &hi, &sk);
    int64_t se = sk < b ? sk : b, ns = se > a ? se - a : 0;          /* sinks: [a, a + ns) */
    int64_t bs = lo > a + ns ? lo : a + ns, be = hi + 1 < b ? hi + 1 : b;
    return ns + (be > bs ? be - bs : 0);
}

/* tile of queries [i0, i0+64) x keys [j0, j0+64), clipped to T: 0 fully masked (skip), 1 no mask
   needed (all 64 x 64 visible), 2 partial (mask element-wise; padding rows/columns included) */
static int ls__attn_tile_kind(const ls__attn_cfg *c, int64_t i0, int64_t j0) {
    int64_t T = c->T, i1 = i0 + LS__ATTN_T < T ? i0 + LS__ATTN_T : T;
    int64_t j1 = j0 + LS__ATTN_T < T ? j0 + LS__ATTN_T : T;
    int any = 0, all = (i1 - i0 == LS__ATTN_T && j1 - j0 == LS__ATTN_T);
    if (j0 >= c->TK) return 0;           /* only padding keys */
    if (j1 > c->TK) { j1 = c->TK; all = 0; }
    if (c->window == 0) {   /* closed form: full or causal */
        if (!c->causal) return all ? 1 : 2;
        if (j0 > i1 - 1) return 0;
        return all && j1 - 1 <= i0 ? 1 : 2;
    }
    for (int64_t i = i0; i < i1; i++) {
        int64_t n = ls__attn_row_count(c, i, j0, j1);
        if (n > 0) any = 1;
        if (n < LS__ATTN_T) all = 0;
    }
    return !any ? 0 : all ? 1 : 2;
}

/* dual regime of a tile: 0 all pairs |i-j| < w (q, k), 1 all >= w (q2, k2), 2 mixed */
static int ls__attn_tile_regime(const ls__attn_cfg *c, int64_t i0, int64_t j0) {
    int64_t w = c->dual_w, T = c->T;
    if (w <= 0) return 0;
    int64_t ie = (i0 + LS__ATTN_T < T ? i0 + LS__ATTN_T : T) - 1;
    int64_t je = (j0 + LS__ATTN_T < T ? j0 + LS__ATTN_T : T) - 1;
    int64_t dmin = j0 > ie ? j0 - ie : i0 > je ? i0 - je : 0;
    int64_t d1 = ie - j0 < 0 ? j0 - ie : ie - j0, d2 = je - i0 < 0 ? i0 - je : je - i0;
    int64_t dmax = d1 > d2 ? d1 : d2;
    return dmax < w ? 0 : dmin >= w ? 1 : 2;
}

/* dst (64, Dp) <- rows [t0, t0+n) of one head of src (row stride ld), times rs[t] (NULL: 1) * mul;
   zero padding */
static void ls__attn_pack_rows(float *dst, int64_t Dp, const float *src, int64_t ld, int64_t D,
                               int64_t n, const float *rs, float mul) {
    for (int64_t r = 0; r < LS__ATTN_T; r++) {
        float *d = dst + r * Dp;
        if (r < n) {
            float f = rs ? rs[r] * mul : mul;
            for (int64_t e = 0; e < D; e++) d[e] = src[r * ld + e] * f;
            for (int64_t e = D; e < Dp; e++) d[e] = 0.0f;
        } else {
            for (int64_t e = 0; e < Dp; e++) d[e] = 0.0f;
        }
    }
}

/* dst (Dp, 64) <- transpose of rows [t0, t0+n) of one head of src; zero padding */
static void ls__attn_pack_cols(float *dst, const float *src, int64_t ld, int64_t D, int64_t Dp, int64_t n) {
#if LS__ATTN_VW == 16
    if (n == LS__ATTN_T && D == Dp) {   /* a full tile of whole 16 x 16 blocks: register transposes */
        for (int64_t r0 = 0; r0 < LS__ATTN_T; r0 += 16)
            for (int64_t e0 = 0; e0 < D; e0 += 16) {
                __m512 t[16];
                for (int i = 0; i < 16; i++) t[i] = _mm512_loadu_ps(src + (r0 + i) * ld + e0);
                ls__tr16(t);
                for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (e0 + i) * LS__ATTN_T + r0, t[i]);
            }
        return;
    }
#endif
    if (n < LS__ATTN_T || D < Dp)
        for (int64_t e = 0; e < Dp * LS__ATTN_T; e++) dst[e] = 0.0f;
    for (int64_t r = 0; r < n; r++)
        for (int64_t e = 0; e < D; e++) dst[e * LS__ATTN_T + r] = src[r * ld + e];
}

/* S (64 x 64) of one tile -> final scores: merge the dual regimes (S2 where |i-j| >= w), add
   -m|i-j| and -kb[|i-j|] (KERPLE; kb NULL: none), set hidden entries (and padding) to -inf.
   kind, reg: ls__attn_tile_kind/_regime. */
static void ls__attn_scores(const ls__attn_cfg *c, float *S, const float *S2, int kind, int reg,
                            float slope, const float *kb, int64_t i0, int64_t j0) {
    const int TL = LS__ATTN_T;
    for (int r = 0; r < TL; r++) {
        float *s = S + r * TL;
        int64_t i = i0 + r;
        int di = (int)(i - j0);   /* i - j = di - col */
        if (reg == 2) {
            const float *s2 = S2 + r * TL;
            int w = (int)c->dual_w;
            for (int col = 0; col < TL; col++) {
                int d = di - col < 0 ? col - di : di - col;
                s[col] = d < w ? s[col] : s2[col];
            }
        }
        if (slope != 0.0f)
            for (int col = 0; col < TL; col++) {
                int d = di - col < 0 ? col - di : di - col;
                s[col] -= slope * (float)d;
            }
        if (kb) {   /* KERPLE-log: the head's table of r1 log(1 + r2 d); d = |di - col| runs down the
                       table to the diagonal and up after it: two contiguous (vectorised) loops */
            const int cd = di < -1 ? -1 : di > TL - 1 ? TL - 1 : di;   /* last col with d = di - col */
            for (int col = 0; col <= cd; col++) s[col] -= kb[di - col];
            for (int col = cd + 1; col < TL; col++) s[col] -= kb[col - di];
        }
        if (kind == 2) {
            int lo = 1, hi = 0, sk = 0;  /* padding row: nothing visible */
            if (i < c->T) {
                int64_t l, h, k;
                ls__attn_row_range(c, i, &l, &h, &k);
                int64_t jmax = c->TK - 1 - j0;   /* tile padding and padding keys */
                if (h - j0 > jmax) h = j0 + jmax;
                if (k - j0 > jmax + 1) k = j0 + jmax + 1;
                /* clip to [-1, 64] so the int conversion is safe */
                l -= j0; h -= j0; k -= j0;
                lo = (int)(l < -1 ? -1 : l > TL ? TL : l);
                hi = (int)(h < -1 ? -1 : h > TL ? TL : h);
                sk = (int)(k < 0 ? 0 : k > TL ? TL : k);
            }
            for (int col = 0; col < TL; col++) {
                int vis = (col >= lo && col <= hi) || col < sk;
                s[col] = vis ? s[col] : -INFINITY;
            }
        }
    }
}

/* scratch of one thread, its slice of the context's scratch; sizes in floats. G = LS__ATTN_G query tiles
   per forward task, KG = LS__ATTN_KG key tiles per backward pass over the query tiles. */
typedef struct ls__attn_scr {
    float *S, *S2, *dP, *dS2;     /* (64, 64) score / probability / gradient tiles */
    float *Q, *Q2;                /* (G, 64, Dp) query tiles, scaled by scale*row_scale (backward: 1 tile) */
    float *O;                     /* (G, 64, Dp) forward output accumulators */
    float *dQ, *dQ2;              /* (64, Dp) dq, dq2 contributions of one query tile */
    float *Kt, *K2t, *Vt;         /* (KG, Dp, 64) transposed key / key2 / value tiles */
    float *K, *K2, *V;            /* (KG, 64, Dp) key / key2 / value tiles */
    float *dK, *dK2, *dV;         /* (KG, 64 x Dp) backward accumulators of the key tiles (LS__ATTN_TN) */
    float *m, *l;                 /* (G, 64) forward running max and sum */
    float *cs, *lse, *Di;         /* (64) rescale factors; backward lse_i and D_i of the query tile */
} ls__attn_scr;

#define LS__ATTN_G 4           /* forward: query tiles per task, sharing each packed key tile */
#define LS__ATTN_KG 2          /* backward: key tiles sharing each packed query / dout tile */

/* floats of one thread's tiles, a multiple of 16 (so per-thread slices stay 64-byte aligned) */
static int64_t ls__attn_scr_floats(int64_t Dp) {
    const int64_t tt = (int64_t)LS__ATTN_T * LS__ATTN_T, td = (int64_t)LS__ATTN_T * Dp;
    const int64_t G = LS__ATTN_G, KG = LS__ATTN_KG, t = LS__ATTN_T;
    return (4 * tt + (3 * G + 2 + 9 * KG) * td + (2 * G + 3) * t + 15) & ~(int64_t)15;
}

/* this thread's tiles, carved from mem (ls_get_threads() slices of ls__attn_scr_floats) */
static void ls__attn_scr_init(ls__attn_scr *s, int64_t Dp, float *mem) {
    const size_t tt = (size_t)LS__ATTN_T * LS__ATTN_T, td = (size_t)LS__ATTN_T * (size_t)Dp;
    const size_t G = LS__ATTN_G, KG = LS__ATTN_KG, t = LS__ATTN_T;
    float *const base = mem + ls__thread_num() * ls__attn_scr_floats(Dp), *p = base;
    s->S = p; p += tt; s->S2 = p; p += tt; s->dP = p; p += tt; s->dS2 = p; p += tt;
    s->Q = p; p += G * td; s->Q2 = p; p += G * td; s->O = p; p += G * td;
    s->dQ = p; p += td; s->dQ2 = p; p += td;
    s->Kt = p; p += KG * td; s->K2t = p; p += KG * td; s->Vt = p; p += KG * td;
    s->K = p; p += KG * td; s->K2 = p; p += KG * td; s->V = p; p += KG * td;
    s->dK = p; p += KG * td; s->dK2 = p; p += KG * td; s->dV = p; p += KG * td;
    s->m = p; p += G * t; s->l = p; p += G * t;
    s->cs = p; p += t; s->lse = p; p += t; s->Di = p; p += t;
    LS_ASSERT(p - base <= ls__attn_scr_floats(Dp));   /* the layout fits the size the caller gave */
}

static void ls__attn_check(const ls__attn_cfg *c, const float *q2, const float *k2) {
    LS_ASSERT(c->B > 0 && c->T > 0 && c->H > 0 && c->D > 0);
    LS_ASSERT(c->T < ((int64_t)1 << 30));
    LS_ASSERT(c->window >= 0 && c->sinks >= 0 && c->dual_w >= 0);
    LS_ASSERT(c->norm == LS_ATTN_SOFTMAX || c->norm == LS_ATTN_NODENOM || c->norm == LS_ATTN_L2);
    LS_ASSERT(c->dual_w == 0 || (q2 && k2));
}

static int64_t ls__attn_dpad(int64_t D) { return (D + LS__ATTN_VW - 1) / LS__ATTN_VW * LS__ATTN_VW; }

/* floats of one thread's query side of a head in the backward (see ls__attn_bwd_task): q, dout,
   dq and, under the dual scheme, q2 and dq2 as (nqt, 64, Dp) tiles; a multiple of 16 */
static int64_t ls__attn_qside_floats(const ls__attn_cfg *c, int64_t Dp) {
    const int64_t nqt = (c->T + LS__ATTN_T - 1) / LS__ATTN_T;
    return ((c->dual_w ? 5 : 3) * nqt * LS__ATTN_T * Dp + 15) & ~(int64_t)15;
}

/* forward of one task: query tiles [g*G, g*G + G) of head (b, h). Each key tile is packed once
   and used by the G query tiles; every query tile sees the key tiles in increasing order, so the
   grouping does not change any result. */
static void ls__attn_fwd_task(const ls__attn_cfg *c, ls__attn_scr *s, int64_t b, int64_t h, int64_t g,
                              const float *q, const float *k, const float *v, const float *q2,
                              const float *k2, float *o, float *lse) {
    const int TL = LS__ATTN_T;
    const int64_t T = c->T, D = c->D, HD = c->H * D, Dp = ls__attn_dpad(D), nkt = (T + TL - 1) / TL;
    const int64_t qt0 = g * LS__ATTN_G, nqt = (T + TL - 1) / TL;
    const int64_t ng = nqt - qt0 < LS__ATTN_G ? nqt - qt0 : LS__ATTN_G;
    const int64_t base = b * T * HD + h * D;   /* element (b, t=0, h, 0) */
    const float slope = c->alibi ? c->alibi[h] : 0.0f, *kb = c->kb ? c->kb + h * c->kbn : NULL;
    const int l2 = c->norm == LS_ATTN_L2;
    int have1[LS__ATTN_G] = {0}, have2[LS__ATTN_G] = {0};   /* Q / Q2 tile packed */

    for (int64_t e = 0; e < ng * TL; e++) { s->m[e] = -INFINITY; s->l[e] = 0.0f; }
    for (int64_t e = 0; e < ng * TL * Dp; e++) s->O[e] = 0.0f;
    for (int64_t kt = 0; kt < nkt; kt++) {
        const int64_t j0 = kt * TL, nj = T - j0 < TL ? T - j0 : TL;
        int packed1 = 0, packed2 = 0;
        for (int64_t sub = 0; sub < ng; sub++) {
            const int64_t i0 = (qt0 + sub) * TL, ni = T - i0 < TL ? T - i0 : TL;
            const float *rs = c->row_scale ? c->row_scale + i0 : NULL;
            float *Q = s->Q + sub * TL * Dp, *Q2 = s->Q2 + sub * TL * Dp, *O = s->O + sub * TL * Dp;
            float *M = s->m + sub * TL, *L = s->l + sub * TL;
            int kind = ls__attn_tile_kind(c, i0, j0);
            if (!kind) continue;
            int reg = ls__attn_tile_regime(c, i0, j0);
            if (!packed1 && !packed2)
                ls__attn_pack_rows(s->V, Dp, v + base + j0 * HD, HD, D, nj, NULL, 1.0f);
            if (reg != 1 && !packed1) { ls__attn_pack_cols(s->Kt, k + base + j0 * HD, HD, D, Dp, nj); packed1 = 1; }
            if (reg != 0 && !packed2) { ls__attn_pack_cols(s->K2t, k2 + base + j0 * HD, HD, D, Dp, nj); packed2 = 1; }
            if (reg != 1 && !have1[sub]) {
                ls__attn_pack_rows(Q, Dp, q + base + i0 * HD, HD, D, ni, rs, c->scale); have1[sub] = 1;
            }
            if (reg != 0 && !have2[sub]) {
                ls__attn_pack_rows(Q2, Dp, q2 + base + i0 * HD, HD, D, ni, rs, c->scale); have2[sub] = 1;
            }
            /* S = Q K^T (64 x 64); S2 = Q2 K2^T */
            if (reg != 1) ls__attn_mm(TL, Dp, Q, Dp, 1, s->Kt, TL, s->S, TL, NULL, 0);
            if (reg != 0) ls__attn_mm(TL, Dp, Q2, Dp, 1, s->K2t, TL, reg == 1 ? s->S : s->S2, TL, NULL, 0);
            ls__attn_scores(c, s->S, s->S2, kind, reg, slope, kb, i0, j0);
            /* online normalisation: S -> P = exp(S - m'), rescale factors cs. The new row maxima
               first, then every row's factor exp(m - m') in one loop the compiler vectorises */
            float mxs[LS__ATTN_T], corr[LS__ATTN_T], sums[LS__ATTN_T];
            for (int r0 = 0; r0 < TL; r0 += 16) ls__attn_rows_max(s->S + r0 * TL, mxs + r0);
            for (int r = 0; r < TL; r++) mxs[r] = mxs[r] > M[r] ? mxs[r] : M[r];
            for (int r = 0; r < TL; r++) corr[r] = ls__exp(M[r] - mxs[r]);
            for (int r0 = 0; r0 < TL; r0 += 16) ls__attn_rows_exp(s->S + r0 * TL, mxs + r0, l2, sums + r0);
            for (int r = 0; r < TL; r++) {
                if (mxs[r] == -INFINITY) { s->cs[r] = 1.0f; continue; }   /* nothing visible so far: P row 0 */
                L[r] = L[r] * (l2 ? corr[r] * corr[r] : corr[r]) + sums[r];
                M[r] = mxs[r];
                s->cs[r] = corr[r];
            }
            /* O = cs .* O + P V */
            ls__attn_mm(Dp, TL, s->S, TL, 1, s->V, Dp, O, Dp, s->cs, 2);
        }
    }
    for (int64_t r = 0; r < ng * TL; r++) {
        const int64_t i = qt0 * TL + r;
        if (i >= T) break;
        float f, L;
        float m = s->m[r], l = s->l[r];
        if (c->norm == LS_ATTN_NODENOM) {
            float n = (float)ls__attn_row_count(c, i, 0, T);
            L = logf(n);
            f = m == -INFINITY ? 0.0f : expf(m - L);
        } else if (l > 0.0f) {
            L = l2 ? m + 0.5f * logf(l) : m + logf(l);
            f = l2 ? 1.0f / sqrtf(l) : 1.0f / l;
        } else {   /* no visible key (a padding query under a window): output 0, and the backward's exp(s - lse) = 0 */
            L = INFINITY; f = 0.0f;
        }
        float *orow = o + base + i * HD;
        for (int64_t e = 0; e < D; e++) orow[e] = s->O[r * Dp + e] * f;
        lse[(b * c->H + h) * T + i] = L;
    }
}

static void ls__attn_forward(ls_ctx *ctx, const ls__attn_cfg *c, const float *q, const float *k, const float *v,
                             const float *q2, const float *k2, float *o, float *lse) {
    ls__attn_check(c, q2, k2);
    const int64_t nqt = (c->T + LS__ATTN_T - 1) / LS__ATTN_T, ngr = (nqt + LS__ATTN_G - 1) / LS__ATTN_G;
    const int64_t ntask = c->B * c->H * ngr, Dp = ls__attn_dpad(c->D);
    float *mem = (float *)ls__scratch(ctx, sizeof(float) * (size_t)(ls_get_threads() * ls__attn_scr_floats(Dp)));
    LS__PRAGMA(omp parallel if (ntask > 1 && (double)ntask * c->T * c->D > 65536.0))
    {
        ls__attn_scr s;
        ls__attn_scr_init(&s, Dp, mem);
        /* heaviest groups first (the last query tiles under a causal mask); each task is
           independent, so the schedule cannot change any result */
        LS__PRAGMA(omp for schedule(dynamic, 1))
        for (int64_t task = 0; task < ntask; task++) {
            int64_t bh = task / ngr, g = ngr - 1 - task % ngr;
            ls__attn_cfg cb = ls__attn_row_cfg(c, bh / c->H);
            ls__attn_fwd_task(&cb, &s, bh / c->H, bh % c->H, g, q, k, v, q2, k2, o, lse);
        }
    }
}

/* dst rows [0, 64) (stride ld, first D floats) += f_r * src (64, Dp) rows, for the first n rows */
static void ls__attn_add_rows(float *dst, int64_t ld, const float *src, int64_t Dp, int64_t D,
                              int64_t n, const float *rs, float mul) {
    for (int64_t r = 0; r < n; r++) {
        float f = rs ? rs[r] * mul : mul;
        for (int64_t e = 0; e < D; e++) dst[r * ld + e] += f * src[r * Dp + e];
    }
}

/* The backward's key-side accumulators dK, dK2, dV: transposed tiles (Dp x 64) summed by
   ls__attn_mm_tn, except with AVX2, where the row kernels on (64 x Dp) tiles measured as fast
   (bench/PROFILE.md) and at 16 registers the transposed form has no room for more accumulators.
   Same bits either way. */
#if LS__ATTN_VW == 8
#define LS__ATTN_TN 0
#else
#define LS__ATTN_TN 1
#endif

/* acc (a key-side accumulator tile) += A^T B, A (64 x 64) and B (64 x Dp) rows */
static void ls__attn_acc_tn(int64_t Dp, const float *A, const float *Bm, float *acc) {
    if (LS__ATTN_TN) ls__attn_mm_tn(Dp, LS__ATTN_T, A, LS__ATTN_T, Bm, Dp, acc);
    else ls__attn_mm(Dp, LS__ATTN_T, A, 1, LS__ATTN_T, Bm, Dp, acc, Dp, NULL, 1);
}

/* dst (n rows ld apart, D columns) += a key-side accumulator tile */
static void ls__attn_acc_add(float *dst, int64_t ld, const float *acc, int64_t Dp, int64_t D, int64_t n) {
    if (!LS__ATTN_TN) { ls__attn_add_rows(dst, ld, acc, Dp, D, n, NULL, 1.0f); return; }
    int64_t r0 = 0;
#if LS__ATTN_VW == 16
    if (D % 16 == 0)   /* whole 16 x 16 blocks through a register transpose, the same add per element */
        for (; r0 + 16 <= n; r0 += 16)
            for (int64_t e0 = 0; e0 < D; e0 += 16) {
                __m512 t[16];
                for (int i = 0; i < 16; i++) t[i] = _mm512_loadu_ps(acc + (e0 + i) * LS__ATTN_T + r0);
                ls__tr16(t);
                for (int j = 0; j < 16; j++) {
                    float *d = dst + (r0 + j) * ld + e0;
                    _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), t[j]));
                }
            }
#endif
    for (int64_t r = r0; r < n; r++)
        for (int64_t e = 0; e < D; e++) dst[r * ld + e] += acc[e * LS__ATTN_T + r];
}

/* KERPLE's parameter gradients from one tile: *ka1 += sum over rows r (in order) of the float sum
   over columns (in order) of dS[r][col] t1[dd + r - col], likewise *ka2 with t2; dd = i0 - j0 and
   t1, t2 the mirrored tables (t[x] = value at |x|). Each row's sum is one chain in column order;
   AVX-512 runs 16 rows' chains side by side in the lanes of a vector (the same operations, a
   product rounded then added, per element); other builds one row at a time. */
static void ls__attn_kerple_sums(const float *dS, int dd, const float *t1, const float *t2, double *ka1, double *ka2) {
    const int TL = LS__ATTN_T;
    float a1[LS__ATTN_T], a2[LS__ATTN_T];
#if LS__ATTN_VW == 16   /* LS__ATTN_T is a multiple of 16 */
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(LS__ATTN_T));
    for (int r0 = 0; r0 < TL; r0 += 16) {
        __m512 s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps();
        for (int col = 0; col < TL; col++) {
            /* the masked form: the plain one trips g++ 12's PR 105593 (see LS__ATTN_ALL) */
            const __m512 g = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), LS__ATTN_ALL, rows, dS + r0 * TL + col, 4);
            s1 = _mm512_add_ps(s1, _mm512_mul_ps(g, _mm512_loadu_ps(t1 + dd + r0 - col)));
            s2 = _mm512_add_ps(s2, _mm512_mul_ps(g, _mm512_loadu_ps(t2 + dd + r0 - col)));
        }
        _mm512_storeu_ps(a1 + r0, s1);
        _mm512_storeu_ps(a2 + r0, s2);
    }
#else
    for (int r = 0; r < TL; r++) {
        const float *g = dS + r * TL;
        float x1 = 0.0f, x2 = 0.0f;
        for (int col = 0; col < TL; col++) {
            const float p1 = g[col] * t1[dd + r - col], p2 = g[col] * t2[dd + r - col];
            x1 = x1 + p1;
            x2 = x2 + p2;
        }
        a1[r] = x1; a2[r] = x2;
    }
#endif
    for (int r = 0; r < TL; r++) { *ka1 += a1[r]; *ka2 += a2[r]; }
}

/* backward of one task: key-tile groups kg = cls, cls + NC, ... (KG tiles each) of head (b, h).
   dq/dq2 target: dqt, dq2t (row stride ldq, already offset to (b, t=0, h)); Dall (B, H, T) = D_i.
   KERPLE (kacc non-NULL): kacc[0] = sum dS_ij log(1 + r2 d_ij), kacc[1] = sum dS_ij d_ij / (1 + r2 d_ij)
   over this task's tiles in its fixed order, from the head's mirrored tables kt1, kt2 (kt[x], |x| < kbn). */
static void ls__attn_bwd_task(const ls__attn_cfg *c, ls__attn_scr *s, float *qs, int64_t b, int64_t h, int64_t cls,
                              int64_t NC, const float *q, const float *k, const float *v,
                              const float *q2, const float *k2, const float *lse, const float *Dall,
                              const float *dout, float *dqt, float *dq2t, int64_t ldq,
                              float *dk, float *dv, float *dk2, const float *kt1, const float *kt2, double *kacc) {
    const int TL = LS__ATTN_T, KG = LS__ATTN_KG;
    const int64_t T = c->T, D = c->D, HD = c->H * D, Dp = ls__attn_dpad(D), td = TL * Dp;
    const int64_t nkt = (T + TL - 1) / TL, nqt = nkt, nkg = (nkt + KG - 1) / KG;
    const int64_t base = b * T * HD + h * D;
    const float slope = c->alibi ? c->alibi[h] : 0.0f, *kb = c->kb ? c->kb + h * c->kbn : NULL;
    double ka1 = 0.0, ka2 = 0.0;
    const float *lrow = lse + (b * c->H + h) * T, *drow = Dall ? Dall + (b * c->H + h) * T : NULL;
    const int norm = c->norm;
    /* The query side of the whole head (qs: ls__attn_qside_floats), gathered once per task rather
       than once per key group: q and q2 scaled, dout (nqt, 64, Dp); and this task's dq, dq2 sums in
       the same layout, from 0, each key group adding its tiles in order, added to dq at the end
       (dq may be dk's or dv's buffer too: ls_attention(x, x, x)). Re-gathering these rows for
       every key group waited on memory (bench/PROFILE.md). */
    if (cls >= nkg) return;
    float *Qa = qs, *dOa = Qa + nqt * td, *dQa = dOa + nqt * td;
    float *Q2a = c->dual_w ? dQa + nqt * td : NULL, *dQ2a = Q2a ? Q2a + nqt * td : NULL;
    for (int64_t qt = 0; qt < nqt; qt++) {
        const int64_t i0 = qt * TL, ni = T - i0 < TL ? T - i0 : TL;
        const float *rs = c->row_scale ? c->row_scale + i0 : NULL;
        ls__attn_pack_rows(Qa + qt * td, Dp, q + base + i0 * HD, HD, D, ni, rs, c->scale);
        ls__attn_pack_rows(dOa + qt * td, Dp, dout + base + i0 * HD, HD, D, ni, NULL, 1.0f);
        if (dqt) memset(dQa + qt * td, 0, (size_t)td * sizeof(float));
        if (Q2a) ls__attn_pack_rows(Q2a + qt * td, Dp, q2 + base + i0 * HD, HD, D, ni, rs, c->scale);
        if (Q2a && dq2t) memset(dQ2a + qt * td, 0, (size_t)td * sizeof(float));
    }

    for (int64_t kg = cls; kg < nkg; kg += NC) {
        const int64_t kt0 = kg * KG, nk = nkt - kt0 < KG ? nkt - kt0 : KG;
        int packed1[LS__ATTN_KG] = {0}, packed2[LS__ATTN_KG] = {0}, packedv[LS__ATTN_KG] = {0};
        for (int64_t e = 0; e < nk * td; e++) { s->dK[e] = 0.0f; s->dK2[e] = 0.0f; s->dV[e] = 0.0f; }
        for (int64_t qt = 0; qt < nqt; qt++) {
            const int64_t i0 = qt * TL, ni = T - i0 < TL ? T - i0 : TL;
            const float *rs = c->row_scale ? c->row_scale + i0 : NULL;
            int kinds[LS__ATTN_KG], regs[LS__ATTN_KG], any = 0;
            for (int64_t sub = 0; sub < nk; sub++) {
                kinds[sub] = ls__attn_tile_kind(c, i0, (kt0 + sub) * TL);
                regs[sub] = kinds[sub] ? ls__attn_tile_regime(c, i0, (kt0 + sub) * TL) : 0;
                any |= kinds[sub] != 0;
            }
            if (!any) continue;
            /* query-side tiles: dout, lse, D_i, scaled q / q2 */
            const float *Q = Qa + qt * td, *Q2 = Q2a ? Q2a + qt * td : NULL, *dO = dOa + qt * td;
            for (int64_t r = 0; r < TL; r++) {
                s->lse[r] = r < ni ? lrow[i0 + r] : 0.0f;
                s->Di[r] = r < ni && drow ? drow[i0 + r] : 0.0f;
            }
            int dq_started = 0, dq2_started = 0;
            for (int64_t sub = 0; sub < nk; sub++) {
                const int kind = kinds[sub], reg = regs[sub];
                if (!kind) continue;
                const int64_t j0 = (kt0 + sub) * TL, nj = T - j0 < TL ? T - j0 : TL;
                float *Kt = s->Kt + sub * td, *K2t = s->K2t + sub * td, *Vt = s->Vt + sub * td;
                float *K = s->K + sub * td, *K2 = s->K2 + sub * td;
                float *dK = s->dK + sub * td, *dK2 = s->dK2 + sub * td, *dV = s->dV + sub * td;
                if (reg != 1 && !packed1[sub]) {
                    ls__attn_pack_cols(Kt, k + base + j0 * HD, HD, D, Dp, nj);
                    ls__attn_pack_rows(K, Dp, k + base + j0 * HD, HD, D, nj, NULL, 1.0f);
                    packed1[sub] = 1;
                }
                if (reg != 0 && !packed2[sub]) {
                    ls__attn_pack_cols(K2t, k2 + base + j0 * HD, HD, D, Dp, nj);
                    ls__attn_pack_rows(K2, Dp, k2 + base + j0 * HD, HD, D, nj, NULL, 1.0f);
                    packed2[sub] = 1;
                }
                if (!packedv[sub]) { ls__attn_pack_cols(Vt, v + base + j0 * HD, HD, D, Dp, nj); packedv[sub] = 1; }
                /* S = Q K^T, S2 = Q2 K2^T; final scores; P = exp(S - lse) in S */
                if (reg != 1) ls__attn_mm(TL, Dp, Q, Dp, 1, Kt, TL, s->S, TL, NULL, 0);
                if (reg != 0) ls__attn_mm(TL, Dp, Q2, Dp, 1, K2t, TL, reg == 1 ? s->S : s->S2, TL, NULL, 0);
                ls__attn_scores(c, s->S, s->S2, kind, reg, slope, kb, i0, j0);
                for (int r = 0; r < TL; r++) ls__attn_row_expl(s->S + r * TL, s->lse[r]);
                /* dP = dO V^T; dV += P^T dO */
                ls__attn_mm(TL, Dp, dO, Dp, 1, Vt, TL, s->dP, TL, NULL, 0);
                if (dv) ls__attn_acc_tn(Dp, s->S, dO, dV);
                /* dS in dP (regime 1) and dS2 (regime 2); KERPLE's sums take the whole dS */
                for (int r = 0; r < TL; r++) {
                    const float *p = s->S + r * TL;
                    float *g = s->dP + r * TL, di = s->Di[r];
                    if (norm == LS_ATTN_SOFTMAX)
                        for (int col = 0; col < TL; col++) g[col] = p[col] * (g[col] - di);
                    else if (norm == LS_ATTN_L2)
                        for (int col = 0; col < TL; col++) g[col] = p[col] * (g[col] - p[col] * di);
                    else
                        for (int col = 0; col < TL; col++) g[col] = p[col] * g[col];
                }
                if (kacc) ls__attn_kerple_sums(s->dP, (int)(i0 - j0), kt1, kt2, &ka1, &ka2);
                for (int r = 0; r < TL && reg == 2; r++) {   /* split dS by regime */
                    float *g = s->dP + r * TL, *g2 = s->dS2 + r * TL;
                    int dd = (int)(i0 + r - j0), w = (int)c->dual_w;
                    for (int col = 0; col < TL; col++) {
                        int d = dd - col < 0 ? col - dd : dd - col;
                        g2[col] = d < w ? 0.0f : g[col];
                        g[col] = d < w ? g[col] : 0.0f;
                    }
                }
                const float *g1 = reg != 1 ? s->dP : NULL;
                const float *g2 = reg == 1 ? s->dP : reg == 2 ? s->dS2 : NULL;
                /* dK += dS^T Q (Q carries scale*row_scale); dQ (+)= dS K, scaled when added to dq */
                if (g1 && dk) ls__attn_acc_tn(Dp, g1, Q, dK);
                if (g2 && dk2) ls__attn_acc_tn(Dp, g2, Q2, dK2);
                if (g1 && dqt) { ls__attn_mm(Dp, TL, g1, TL, 1, K, Dp, s->dQ, Dp, NULL, dq_started); dq_started = 1; }
                if (g2 && dq2t) { ls__attn_mm(Dp, TL, g2, TL, 1, K2, Dp, s->dQ2, Dp, NULL, dq2_started); dq2_started = 1; }
            }
            if (dq_started) ls__attn_add_rows(dQa + qt * td, Dp, s->dQ, Dp, D, ni, rs, c->scale);
            if (dq2_started) ls__attn_add_rows(dQ2a + qt * td, Dp, s->dQ2, Dp, D, ni, rs, c->scale);
        }
        for (int64_t sub = 0; sub < nk; sub++) {
            const int64_t j0 = (kt0 + sub) * TL, nj = T - j0 < TL ? T - j0 : TL;
            if (dk && packed1[sub]) ls__attn_acc_add(dk + base + j0 * HD, HD, s->dK + sub * td, Dp, D, nj);
            if (dk2 && packed2[sub]) ls__attn_acc_add(dk2 + base + j0 * HD, HD, s->dK2 + sub * td, Dp, D, nj);
            if (dv && packedv[sub]) ls__attn_acc_add(dv + base + j0 * HD, HD, s->dV + sub * td, Dp, D, nj);
        }
    }
    for (int64_t i = 0; dqt && i < T; i++)
        for (int64_t e = 0; e < D; e++) dqt[i * ldq + e] += dQa[i * Dp + e];
    for (int64_t i = 0; dq2t && i < T; i++)
        for (int64_t e = 0; e < D; e++) dq2t[i * ldq + e] += dQ2a[i * Dp + e];
    if (kacc) { kacc[0] = ka1; kacc[1] = ka2; }
}

/* dr: NULL, or (with c->kr) where KERPLE's dL/dr1 (H) and dL/dr2 (H) are stored */
static void ls__attn_backward(ls_ctx *ctx, const ls__attn_cfg *c, const float *q, const float *k, const float *v,
                              const float *q2, const float *k2, const float *o, const float *lse,
                              const float *dout, float *dq, float *dk, float *dv, float *dq2, float *dk2, double *dr) {
    ls__attn_check(c, q2, k2);
    const int64_t T = c->T, D = c->D, H = c->H, HD = H * D, BH = c->B * H;
    const int64_t nkt = (T + LS__ATTN_T - 1) / LS__ATTN_T, Dp = ls__attn_dpad(D);
    const int64_t nkg = (nkt + LS__ATTN_KG - 1) / LS__ATTN_KG;
    if (!c->dual_w) { dq2 = NULL; dk2 = NULL; }
    /* NC key-group classes per head, from the shapes only (never from the thread count) */
    int64_t NC = BH >= LS__ATTN_SPLIT ? 1 : (LS__ATTN_SPLIT + BH - 1) / BH;
    if (NC > nkg) NC = nkg;
    const int64_t ntask = BH * NC, plen = T * D;
    /* scratch: per-thread tiles, D_i (B, H, T), then the (BH, NC, T, D) dq / dq2 partials when NC > 1 */
    const int64_t tiles = ls_get_threads() * ls__attn_scr_floats(Dp);
    /* each thread's query side of a head: from the arena, like the step's other intermediates
       (in the scratch it grew that buffer late in a step, which could fragment the heap) */
    const int64_t qside = ls__attn_qside_floats(c, Dp);
    float *qmem = ls__floats(ctx, ls_get_threads() * qside);
    const int64_t npart = NC > 1 ? ntask * plen : 0;
    /* KERPLE: the tables log(1 + r2 d) and d / (1 + r2 d) (H, each 2 kbn - 1 entries, mirrored: entry
       kbn - 1 + x holds the value at d = |x|, so a tile's 16 rows at one column read 16 contiguous
       entries) and 2 doubles per task, last */
    if (!c->kr) dr = NULL;
    const int64_t kbn = dr ? c->kbn : 0, kbm = dr ? 2 * kbn - 1 : 0;
    const int64_t koff = (tiles + BH * T + 2 * npart + 2 * H * kbm + 1) & ~(int64_t)1;
    float *mem = (float *)ls__scratch(ctx, sizeof(float) * (size_t)(dr ? koff + 4 * ntask : tiles + BH * T + 2 * npart));
    float *kt = dr ? mem + tiles + BH * T + 2 * npart : NULL;
    double *kpart = dr ? (double *)(mem + koff) : NULL;
    for (int64_t h = 0; kt && h < H; h++)
        for (int64_t d = 0; d < kbn; d++) {
            double r2 = c->kr[H + h];
            float *t1 = kt + h * kbm + kbn - 1, *t2 = kt + (H + h) * kbm + kbn - 1;
            t1[d] = t1[-d] = (float)log1p(r2 * (double)d);
            t2[d] = t2[-d] = (float)((double)d / (1.0 + r2 * (double)d));
        }
    /* D_i = dout_i . o_i; NODENOM does not need it */
    float *Dall = NULL;
    if (c->norm != LS_ATTN_NODENOM) {
        Dall = mem + tiles;
        LS__PRAGMA(omp parallel for schedule(static) if (BH * T * D > 65536))
        for (int64_t row = 0; row < BH * T; row++) {
            int64_t bh = row / T, t = row % T;
            const float *g = dout + (bh / H * T + t) * HD + bh % H * D, *oo = o + (bh / H * T + t) * HD + bh % H * D;
            float acc = 0.0f;
            for (int64_t e = 0; e < D; e++) acc += g[e] * oo[e];
            Dall[row] = acc;
        }
    }
    float *part = NC > 1 && dq ? mem + tiles + BH * T : NULL, *part2 = NC > 1 && dq2 ? mem + tiles + BH * T + npart : NULL;
    LS__PRAGMA(omp parallel if (ntask > 1 && (double)ntask * T * D > 65536.0))
    {
        ls__attn_scr s;
        ls__attn_scr_init(&s, Dp, mem);
        float *qs = qmem + ls__thread_num() * qside;
        LS__PRAGMA(omp for schedule(dynamic, 1))
        for (int64_t task = 0; task < ntask; task++) {
            int64_t bh = task / NC, cls = task % NC, b = bh / H, h = bh % H;
            float *dqt = NULL, *dq2t = NULL;
            int64_t ldq = HD;
            if (NC > 1) {
                ldq = D;
                if (part) { dqt = part + task * plen; memset(dqt, 0, (size_t)plen * sizeof(float)); }
                if (part2) { dq2t = part2 + task * plen; memset(dq2t, 0, (size_t)plen * sizeof(float)); }
            } else {
                if (dq) dqt = dq + b * T * HD + h * D;
                if (dq2) dq2t = dq2 + b * T * HD + h * D;
            }
            ls__attn_cfg cb = ls__attn_row_cfg(c, b);
            ls__attn_bwd_task(&cb, &s, qs, b, h, cls, NC, q, k, v, q2, k2, lse, Dall, dout, dqt, dq2t, ldq, dk, dv, dk2,
                              kt ? kt + h * kbm + kbn - 1 : NULL, kt ? kt + (H + h) * kbm + kbn - 1 : NULL,
                              kpart ? kpart + 2 * task : NULL);
        }
    }
    /* KERPLE: db/dr1 = -log(1 + r2 d), db/dr2 = -r1 d / (1 + r2 d); per-task sums added in task order
       (b, then class) for each head, so the thread count cannot change them */
    for (int64_t h = 0; dr && h < H; h++) {
        double s1 = 0.0, s2 = 0.0;
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t cl = 0; cl < NC; cl++) {
                const double *kp = kpart + 2 * ((b * H + h) * NC + cl);
                s1 += kp[0]; s2 += kp[1];
            }
        dr[h] = -s1;
        dr[H + h] = -(double)c->kr[h] * s2;
    }
    if (NC > 1) {
        /* dq[b, t, h] += sum over classes, in class order */
        const int64_t nrow = BH * T;
        LS__PRAGMA(omp parallel for schedule(static) if (nrow * D * NC > 65536))
        for (int64_t row = 0; row < nrow; row++) {
            int64_t bh = row / T, t = row % T, b = bh / H, h = bh % H;
            for (int which = 0; which < 2; which++) {
                const float *pp = which ? part2 : part;
                float *dst = which ? dq2 : dq;
                if (!pp) continue;
                dst += (b * T + t) * HD + h * D;
                for (int64_t e = 0; e < D; e++) {
                    float acc = 0.0f;
                    for (int64_t cl = 0; cl < NC; cl++) acc += pp[(bh * NC + cl) * plen + t * D + e];
                    dst[e] += acc;
                }
            }
        }
    }
}

/* =============================================================================================
   6C. Ops, in LS_OP_LIST order: each op's formula banner, forward, backward and constructor
   ============================================================================================= */

/* ---------------------------------------------------------------------------------------------
   6C.1 reductions shared by the ops
   --------------------------------------------------------------------------------------------- */

/* Column reductions over rows split the columns into blocks, one task each: as few blocks as keep
   every thread busy, each a multiple of 16 columns, at least LS__COLMIN and at most LS__COLBLK, so
   a task reads a long contiguous piece of each row (16-column blocks read one cache line per 2 KB
   row and were DRAM-latency-bound; with 32-column blocks, two threads summing the halves of
   64-wide rows were slower than one thread summing all of them: the cores' prefetchers fetch
   lines in pairs, so each core streamed every row). Each column's rows are summed in order
   whatever the split, so the split never changes a result. */
#define LS__COLBLK 256
#define LS__COLMIN 64
static int64_t ls__colblock(int64_t C) {
    int64_t nt = ls_get_threads(), w = ((C + 15) / 16 + nt - 1) / nt * 16;
    if (w < LS__COLMIN) w = LS__COLMIN;
    return w < LS__COLBLK ? w : LS__COLBLK;
}

/* dst[c] += sum over rows r of src[r * C + c], rows in increasing order */
static void ls__colsum_add(float *dst, const float *src, int64_t R, int64_t C) {
    const int64_t w = ls__colblock(C), nb = (C + w - 1) / w;
    LS__PAR_FOR(nb, (double)R * w)
    for (int64_t blk = 0; blk < nb; blk++) {
        int64_t c0 = blk * w, n = c0 + w < C ? w : C - c0;
        float acc[LS__COLBLK] = {0};
        for (int64_t r = 0; r < R; r++) {
            const float *row = src + r * C + c0;
            for (int64_t c = 0; c < n; c++) acc[c] += row[c];
        }
        for (int64_t c = 0; c < n; c++) dst[c0 + c] += acc[c];
    }
}

/* sum of n floats (or of their squares) in double, over fixed chunks of 4096, so the result does
   not depend on the thread count */
static double ls__sum_fixed(const float *x, int64_t n, int square) {
    int64_t nch = (n + 4095) / 4096;
    if (nch < 1) return 0.0;
    double stack[1024], total = 0.0;   /* 4M floats before the heap is needed */
    double *part = nch <= 1024 ? stack : (double *)ls__xmalloc((size_t)nch * sizeof(double));
    LS__PAR_FOR(nch, 4096)
    for (int64_t c = 0; c < nch; c++) {
        int64_t i0 = c * 4096, i1 = i0 + 4096 < n ? i0 + 4096 : n;
        double acc = 0.0;
        if (square) for (int64_t i = i0; i < i1; i++) acc += (double)x[i] * x[i];
        else for (int64_t i = i0; i < i1; i++) acc += x[i];
        part[c] = acc;
    }
    for (int64_t c = 0; c < nch; c++) total += part[c];
    if (part != stack) LS_FREE(part);
    return total;
}

static void ls__add_into(float *dst, const float *src, int64_t n, int fresh) {
    LS__PAR_FOR(n, 1)
    for (int64_t i = 0; i < n; i++) LS__GACC(fresh, dst[i], src[i]);
}

/* ---------------------------------------------------------------------------------------------
   6C.2 the ops, each under its "--- NAME" formula banner
   --------------------------------------------------------------------------------------------- */

/* --- MATMUL: C = op(A) op(B). i[0] = ta, i[1] = tb, i[2] = M, i[3] = N, i[4] = K, i[5] = batch --- */

static void ls__matmul_forward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *a = n->in[0], *b = n->in[1];
    int ta = (int)n->i[0], tb = (int)n->i[1];
    int64_t M = n->i[2], N = n->i[3], K = n->i[4], batch = n->i[5];
    int64_t lda = ta ? M : K, ldb = tb ? K : N, bstride = b->nd == 2 ? 0 : K * N;
    if (b->nd == 2 && !ta) {   /* shared weight: all batches are one tall matmul */
        ls__sgemm_x(ctx, 0, tb, batch * M, N, K, 1.0f, a->x, lda, b->x, ldb, 0.0f, n->out->x, N, NULL);
        return;
    }
    for (int64_t s = 0; s < batch; s++)
        ls__sgemm_x(ctx, ta, tb, M, N, K, 1.0f, a->x + s * M * K, lda, b->x + s * bstride, ldb, 0.0f,
                    n->out->x + s * M * N, N, NULL);
}

static void ls__matmul_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *a = n->in[0], *b = n->in[1];
    int ta = (int)n->i[0], tb = (int)n->i[1];
    int64_t M = n->i[2], N = n->i[3], K = n->i[4], batch = n->i[5];
    int64_t lda = ta ? M : K, ldb = tb ? K : N, bstride = b->nd == 2 ? 0 : K * N;
    float *da = ls__grad(a), *db = ls__grad(b);
    const float *dc = n->out->g;
    if (b->nd == 2 && !ta) {   /* rows of all batches together */
        int64_t R = batch * M;
        if (da) ls__sgemm_x(ctx, 0, !tb, R, K, N, 1.0f, dc, N, b->x, ldb, 1.0f, da, K, NULL);
        if (db) {
            if (!tb) ls__sgemm_x(ctx, 1, 0, K, N, R, 1.0f, a->x, K, dc, N, 1.0f, db, N, NULL);
            else ls__sgemm_x(ctx, 1, 0, N, K, R, 1.0f, dc, N, a->x, K, 1.0f, db, K, NULL);
        }
        return;
    }
    for (int64_t s = 0; s < batch; s++) {
        const float *as = a->x + s * M * K, *bs = b->x + s * bstride, *dcs = dc + s * M * N;
        if (da) {
            float *das = da + s * M * K;
            /* d op(A) = dC op(B)^T (M, K); stored transposed when ta */
            if (!ta) ls__sgemm_x(ctx, 0, !tb, M, K, N, 1.0f, dcs, N, bs, ldb, 1.0f, das, K, NULL);
            else ls__sgemm_x(ctx, tb, 1, K, M, N, 1.0f, bs, ldb, dcs, N, 1.0f, das, M, NULL);
        }
        if (db) {
            float *dbs = db + s * bstride;
            /* d op(B) = op(A)^T dC (K, N); stored transposed when tb */
            if (!tb) ls__sgemm_x(ctx, !ta, 0, K, N, M, 1.0f, as, lda, dcs, N, 1.0f, dbs, N, NULL);
            else ls__sgemm_x(ctx, 1, ta, N, K, M, 1.0f, dcs, N, as, lda, 1.0f, dbs, K, NULL);
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
    const ls_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int64_t R = n->i[0], Cin = w->d[0], Cout = w->d[1];
    ls__sgemm_x(ctx, 0, 0, R, Cout, Cin, 1.0f, x->x, Cin, w->x, Cout, 0.0f, n->out->x, Cout, b ? b->x : NULL);
}

static void ls__linear_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    int64_t R = n->i[0], Cin = w->d[0], Cout = w->d[1];
    const float *dy = n->out->g;
    int fx;
    float *dx = ls__grad_w(x, &fx), *dw = ls__grad(w), *db = ls__grad(b);
    /* beta 0 on a raw dx: the accumulators start at 0, as they would from a zeroed dx */
    if (dx) ls__sgemm_x(ctx, 0, 1, R, Cin, Cout, 1.0f, dy, Cout, w->x, Cout, fx ? 0.0f : 1.0f, dx, Cin, NULL);   /* dy W^T */
    if (dw) ls__sgemm_x(ctx, 1, 0, Cin, Cout, R, 1.0f, x->x, Cin, dy, Cout, 1.0f, dw, Cout, NULL);   /* x^T dy */
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
   Parallel over the destination's rows and, when it has fewer than 8 that keep the last dim,
   over column blocks too (ls__colblock; a bias-like (C) gradient from (B, T, C) is one row: the
   column blocks are what lets two threads share it). Each task sums the source rows that map to
   it in order, so the sum order does not depend on the thread count. fresh: dst is a raw gradient
   buffer of the full shape d (one source element per element), stored rather than added to. */
static void ls__bc_reduce(const int64_t *d, const float *src, float sign, float *dst, const int64_t *st, int fresh) {
    int64_t td[4];
    for (int k = 0; k < 4; k++) td[k] = st[k] ? d[k] : 1;
    if (st[3] == 0 && d[3] > 1) td[3] = 1;
    int64_t trows = td[0] * td[1] * td[2], C = d[3], w = st[3] && trows < 8 ? ls__colblock(C) : C;
    int64_t nb = (C + w - 1) / w;
    LS__PAR_FOR(trows * nb, (double)d[0] * d[1] * d[2] * C / (double)(trows * nb))
    for (int64_t task = 0; task < trows * nb; task++) {
        int64_t tr = task / nb, c0 = task % nb * w, c1 = c0 + w < C ? c0 + w : C;
        int64_t j0 = tr / (td[1] * td[2]), j1 = (tr / td[2]) % td[1], j2 = tr % td[2];
        float *o = dst + j0 * st[0] + j1 * st[1] + j2 * st[2];
        for (int64_t i0 = st[0] ? j0 : 0; i0 < (st[0] ? j0 + 1 : d[0]); i0++)
            for (int64_t i1 = st[1] ? j1 : 0; i1 < (st[1] ? j1 + 1 : d[1]); i1++)
                for (int64_t i2 = st[2] ? j2 : 0; i2 < (st[2] ? j2 + 1 : d[2]); i2++) {
                    const float *s = src + ((i0 * d[1] + i1) * d[2] + i2) * C;
                    if (st[3]) for (int64_t c = c0; c < c1; c++) LS__GACC(fresh, o[c], sign * s[c]);
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
    /* a full-shaped raw buffer is stored into (a and b may be one tensor: a is written first) */
    int fa = 0, fb = 0;
    float *da = n->in[0]->n == n->out->n ? ls__grad_w(n->in[0], &fa) : ls__grad(n->in[0]);
    float *db = n->in[1]->n == n->out->n ? ls__grad_w(n->in[1], &fb) : ls__grad(n->in[1]);
    float *tmp = op == 2 ? ls__floats(ctx, n->out->n) : NULL;
    if (da) {
        const float *src = dout;
        if (op == 2) { ls__bc_apply(2, bc.d, dout, so, n->in[1]->x, bc.sb, tmp); src = tmp; }
        ls__bc_reduce(bc.d, src, 1.0f, da, bc.sa, fa);
    }
    if (db) {
        const float *src = dout;
        if (op == 2) { ls__bc_apply(2, bc.d, dout, so, n->in[0]->x, bc.sa, tmp); src = tmp; }
        ls__bc_reduce(bc.d, src, op == 1 ? -1.0f : 1.0f, db, bc.sb, fb);
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
    int fx;
    float *dx = ls__grad_w(n->in[0], &fx), s = n->f[0];
    const float *dy = n->out->g;
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 1)
    for (int64_t i = 0; i < N; i++) LS__GACC(fx, dx[i], s * dy[i]);
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

/* Phi(x) = (1 + erf(x / sqrt 2)) / 2 given e = exp(-x^2 / 2): erfc(z) = t P(t) e^{-z^2}, t = 1/(1 + p z),
   z = |x| / sqrt 2 (Abramowitz & Stegun 7.1.26, |error of erf| <= 1.5e-7). Branch-free and call-free,
   so the loops over it vectorise; the same e serves the density in the backward pass. */
static inline float ls__phi_cdf(float x, float e) {
    float z = fabsf(x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.3275911f * z);
    float q = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) * e;
    uint32_t neg = 0u - (uint32_t)(x < 0.0f);   /* q = erfc(z); both arms, a bit-mask select (see ls__exp) */
    return ls__bitsf((ls__fbits(0.5f * q) & neg) | (ls__fbits(1.0f - 0.5f * q) & ~neg));
}

/* --- GELU: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); dy/dx = Phi(x) + x phi(x) --- */

static void ls__gelu_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 2)
    for (int64_t i = 0; i < N; i++) y[i] = x[i] * ls__phi_cdf(x[i], ls__exp(-0.5f * x[i] * x[i]));
}

static void ls__gelu_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x, *dy = n->out->g;
    int fx;
    float *dx = ls__grad_w(n->in[0], &fx);
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 2)
    for (int64_t i = 0; i < N; i++) {
        float e = ls__exp(-0.5f * x[i] * x[i]);
        LS__GACC(fx, dx[i], dy[i] * (ls__phi_cdf(x[i], e) + x[i] * 0.39894228040143268f * e));
    }
}

/* --- SILU: y = x s(x), s = 1 / (1 + e^-x); dy/dx = s (1 + x (1 - s)) --- */

static void ls__silu_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) y[i] = x[i] / (1.0f + ls__exp(-x[i]));
}

static void ls__silu_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x, *dy = n->out->g;
    float *dx = ls__grad(n->in[0]);
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) {
        float s = 1.0f / (1.0f + ls__exp(-x[i]));
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

/* --- GELU_SKIP: out = GELU(v), v = y + x d (d broadcast over rows of C) ---
   The S4D / LRU layer's "skip term, then activation": the composition would write x d, then v,
   then GELU(v), and keep gradient buffers for the first two. Here one pass writes v (kept for the
   backward, only when a gradient will flow) and GELU(v) on top of it; the backward is one pass
   plus the (C) reduction for dd. Every value is rounded as in the composition (x d, then y + x d,
   then the GELU of ls_gelu; dv = 0 + dout GELU'(v); dx += dv d; dd += sum over rows of dv x, rows
   in order), so swapping one for the other changes no bit. */

static void ls__gelu_skip_forward(ls_ctx *ctx, ls_node *n) {
    const float *y = n->in[0]->x, *x = n->in[1]->x, *d = n->in[2]->x;
    int64_t C = n->in[2]->n, R = n->out->n / C;
    float *out = n->out->x;
    float *v = (n->out->flags & LS_NEEDS_GRAD) ? ls__floats(ctx, n->out->n) : NULL;
    n->saved[0] = v;
    LS__PAR_FOR(R, 4.0 * (double)C)
    for (int64_t r = 0; r < R; r++) {
        const float *yr = y + r * C, *xr = x + r * C;
        float *o = out + r * C, *vr = v ? v + r * C : o;   /* without a backward, v lives in out */
        for (int64_t c = 0; c < C; c++) {
            float t = xr[c] * d[c];
            vr[c] = yr[c] + t;
        }
        for (int64_t c = 0; c < C; c++) o[c] = vr[c] * ls__phi_cdf(vr[c], ls__exp(-0.5f * vr[c] * vr[c]));
    }
}

static void ls__gelu_skip_backward(ls_ctx *ctx, ls_node *n) {
    const float *v = n->saved[0], *dout = n->out->g, *x = n->in[1]->x, *d = n->in[2]->x;
    int fy, fx;   /* y and x may be one tensor: dy is written first */
    float *dy = ls__grad_w(n->in[0], &fy), *dx = ls__grad_w(n->in[1], &fx), *dd = ls__grad(n->in[2]);
    int64_t C = n->in[2]->n, R = n->out->n / C;
    float *dv = ls__floats(ctx, n->out->n);   /* dv, then dv x (summed over rows into dd) */
    LS__PAR_FOR(R, 4.0 * (double)C)
    for (int64_t r = 0; r < R; r++) {   /* plain loops over a row (vectorised), the row in L1 */
        const float *vr = v + r * C, *gr = dout + r * C, *xr = x + r * C;
        float *g = dv + r * C;
        for (int64_t c = 0; c < C; c++) {
            float e = ls__exp(-0.5f * vr[c] * vr[c]);
            g[c] = 0.0f + gr[c] * (ls__phi_cdf(vr[c], e) + vr[c] * 0.39894228040143268f * e);
        }
        if (dy) for (int64_t c = 0; c < C; c++) LS__GACC(fy, dy[r * C + c], g[c]);
        if (dx) for (int64_t c = 0; c < C; c++) { float t = g[c] * d[c]; LS__GACC(fx, dx[r * C + c], t); }
        if (dd) for (int64_t c = 0; c < C; c++) g[c] = g[c] * xr[c];
    }
    if (dd) {
        const int64_t shape[4] = {1, 1, R, C}, st[4] = {0, 0, 0, 1};
        ls__bc_reduce(shape, dv, 1.0f, dd, st, 0);
    }
}

LS_API ls_tensor *ls_gelu_skip(ls_ctx *ctx, ls_tensor *y, ls_tensor *x, ls_tensor *d) {
    if (!y || !x || !d) return NULL;
    int same = y->nd == x->nd;
    for (int k = 0; same && k < y->nd; k++) same = y->d[k] == x->d[k];
    if (!same || d->nd != 1 || d->d[0] != x->d[x->nd - 1])
        return ls__fail(ctx, "ls_gelu_skip: y %s, x %s, d %s: need y and x the same shape (..., C) and d (C)",
                        ls__shp(y), ls__shp(x), ls__shp(d));
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(y));
    ls_node *n = ls__record(ctx, LS_OP_GELU_SKIP, out, 3, y, x, d, NULL);
    ls__run(ctx, n);
    return out;
}

/* --- SOFTMAX and LOG_SOFTMAX over the last dim (rows of C) --- */

/* log sum exp of a row, with the max subtracted first */
static float ls__row_lse(const float *x, int64_t C) {
    float m = x[0];
    for (int64_t c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    float s = 0.0f, a[LS__EXPF_CHUNK], e[LS__EXPF_CHUNK];
    for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {   /* the sum in index order, as one loop would */
        const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
        for (int64_t j = 0; j < w; j++) a[j] = x[c0 + j] - m;
        ls__expf_n(e, a, w);
        for (int64_t j = 0; j < w; j++) s += e[j];
    }
    return m + logf(s);
}

/* ls__row_lse of 16 consecutive rows (row stride C) into out[16]. Each row's max and sum are
   serial chains over its columns (their order is part of the results: 258 dependent adds per
   token under an LM head); AVX-512 runs the 16 chains in the lanes of a vector, each lane the
   same compare-and-select and the same adds in column order, the exponentials a row at a time as
   in ls__row_lse. Elsewhere: ls__row_lse per row. */
static void ls__rows_lse16(const float *x, int64_t C, float *out) {
#if defined(__AVX512F__) && LS__EXPF_VEC
    if (C <= (int64_t)1 << 26) {   /* the lane offsets 15 C fit an int32 */
        const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32((int)C));
        const __m512 z = _mm512_setzero_ps();   /* masked gathers: see LS__ATTN_ALL */
        __m512 m = _mm512_mask_i32gather_ps(z, (__mmask16)0xFFFF, rows, x, 4);
        for (int64_t c = 1; c < C; c++) {   /* m = x > m ? x : m */
            const __m512 v = _mm512_mask_i32gather_ps(z, (__mmask16)0xFFFF, rows, x + c, 4);
            m = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, m, _CMP_GT_OQ), m, v);
        }
        float mr[16], e[16][LS__EXPF_CHUNK], a[LS__EXPF_CHUNK];
        _mm512_storeu_ps(mr, m);
        __m512 sum = _mm512_setzero_ps();
        const __m512i cols = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(LS__EXPF_CHUNK));
        for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {
            const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
            for (int r = 0; r < 16; r++) {
                for (int64_t j = 0; j < w; j++) a[j] = x[r * C + c0 + j] - mr[r];
                ls__expf_n(e[r], a, w);
            }
            for (int64_t j = 0; j < w; j++)
                sum = _mm512_add_ps(sum, _mm512_mask_i32gather_ps(z, (__mmask16)0xFFFF, cols, &e[0][j], 4));
        }
        float sr[16];
        _mm512_storeu_ps(sr, sum);
        for (int r = 0; r < 16; r++) out[r] = mr[r] + logf(sr[r]);
        return;
    }
#endif
    for (int r = 0; r < 16; r++) out[r] = ls__row_lse(x + r * C, C);
}

static void ls__softmax_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    int logsm = n->op == LS_OP_LOG_SOFTMAX;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    LS__PAR_FOR(R, 4 * C)
    for (int64_t r = 0; r < R; r++) {
        float lse = ls__row_lse(x + r * C, C), a[LS__EXPF_CHUNK];
        if (logsm) {
            for (int64_t c = 0; c < C; c++) y[r * C + c] = x[r * C + c] - lse;
            continue;
        }
        for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {
            const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
            for (int64_t j = 0; j < w; j++) a[j] = x[r * C + c0 + j] - lse;
            ls__expf_n(y + r * C + c0, a, w);
        }
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
        float s = 0.0f, e[LS__EXPF_CHUNK];
        for (int64_t c = 0; c < C; c++) s += dy[r * C + c];
        for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {
            const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
            ls__expf_n(e, y + r * C + c0, w);
            for (int64_t j = 0; j < w; j++) dx[r * C + c0 + j] += dy[r * C + c0 + j] - e[j] * s;
        }
    }
}

LS_API ls_tensor *ls_softmax(ls_ctx *ctx, ls_tensor *x) { return ls__unary(ctx, LS_OP_SOFTMAX, x); }
LS_API ls_tensor *ls_log_softmax(ls_ctx *ctx, ls_tensor *x) { return ls__unary(ctx, LS_OP_LOG_SOFTMAX, x); }

/* --- CROSS_ENTROPY: loss = mean over kept rows of (lse(x_r) - x_r[t_r]).
   saved[0] = per-row lse (R); ids = targets; i[0] = ignore index; i[1] = kept rows --- */

static void ls__cross_entropy_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0];
    int64_t V = x->d[x->nd - 1], R = x->n / V, ign = n->i[0];
    float *lse = n->saved[0];
    const int32_t *t = n->ids;
    const int64_t nb = R / 16;   /* 16 rows at a time (ls__rows_lse16), then the rest one by one */
    LS__PAR_FOR(nb, 32.0 * (double)V)
    for (int64_t blk = 0; blk < nb; blk++) {
        ls__rows_lse16(x->x + blk * 16 * V, V, lse + blk * 16);
        for (int64_t r = blk * 16; r < blk * 16 + 16; r++)
            if (t[r] == ign) lse[r] = 0.0f;
    }
    for (int64_t r = nb * 16; r < R; r++) lse[r] = t[r] == ign ? 0.0f : ls__row_lse(x->x + r * V, V);
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
        float a[LS__EXPF_CHUNK], e[LS__EXPF_CHUNK];
        for (int64_t c0 = 0; c0 < V; c0 += LS__EXPF_CHUNK) {
            const int64_t w = V - c0 < LS__EXPF_CHUNK ? V - c0 : LS__EXPF_CHUNK;
            for (int64_t j = 0; j < w; j++) a[j] = x->x[r * V + c0 + j] - lse[r];
            ls__expf_n(e, a, w);
            for (int64_t j = 0; j < w; j++) dx[r * V + c0 + j] += g * e[j];
        }
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
    n->out->x[0] = n->i[0] ? (float)(ls__sum_fixed(e, N, 0) / (double)n->i[0]) : 0.0f;
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
   saved[0] = mu (R), saved[1] = r (R); f[0] = eps. The row helpers below serve ADD_LAYERNORM too. --- */

/* y = (x - m) s gamma + beta on one row */
static void ls__ln_apply(const float *xr, int64_t C, const float *gm, const float *bt, float m, float s, float *yr) {
    for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] - m) * s * gm[c] + (bt ? bt[c] : 0.0f);
}

/* one row's mean and 1/std */
static void ls__ln_row_stats(const float *xr, int64_t C, float eps, float *mu, float *rs) {
    float m = 0.0f, v = 0.0f;
    for (int64_t c = 0; c < C; c++) m += xr[c];
    m /= (float)C;
    for (int64_t c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
    *mu = m; *rs = 1.0f / sqrtf(v / (float)C + eps);
}

/* Rows in blocks of LS__LN_LANES = 16: a row's sums run over c in order, a chain of dependent adds
   that leaves the vector units idle (the rows of these models are 64 to 512 wide). With AVX-512 a
   block holds one row per vector lane: 16 x 16 tiles are transposed in registers and the 16 rows'
   chains advance side by side, each lane adding in the same order, with the same separate
   multiplies and adds, as ls__ln_row_stats / ls__ln_row_means; so the values are the same bits, several
   times faster (bench/PROFILE.md). AVX2 builds run the statistics in lanes of 8 rows; other
   builds, and the tail block, run the one-row helpers. */
#define LS__LN_LANES 16

#if defined(__AVX512F__)
/* the 16 x 16 tile at column c0 of 16 rows (row stride C), transposed */
static inline void ls__tile16(__m512 r[16], const float *x, int64_t C, int64_t c0) {
    for (int l = 0; l < 16; l++) r[l] = _mm512_loadu_ps(x + l * C + c0);
    ls__tr16(r);
}

/* the vector layer of the lanes below: one row per lane, LS__LNV_W lanes */
#define LS__LNV_W 16
typedef __m512 ls__lnv;
#define LS__LNV_ZERO() _mm512_setzero_ps()
#define LS__LNV_ADD(a, b) _mm512_add_ps(a, b)
#define LS__LNV_SUB(a, b) _mm512_sub_ps(a, b)
#define LS__LNV_MUL(a, b) _mm512_mul_ps(a, b)
#define LS__LNV_LOAD(p) _mm512_loadu_ps(p)
#define LS__LNV_STORE(p, v) _mm512_storeu_ps(p, v)
#define LS__LNV_TILE ls__tile16
#elif defined(__AVX2__)
#include <immintrin.h>
#define LS__LN_AVX2 1
/* AVX2: the same lanes for the statistics, 8 rows per register (a block of 16 rows is two
   halves) and 8 x 8 tiles. (The backward's means in lanes were slower with AVX2's narrower
   shuffles: R2's LayerNorm backward 8.3-9.3 -> 10.8-11.5 ms; they stay one row at a time.) */
/* r[l] = 8 floats of row l -> r[j] = element j of rows 0..7 */
static inline void ls__tr8(__m256 r[8]) {
    __m256 t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
        t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
    for (int i = 0; i < 8; i++) r[i] = t[i];
}
/* the 8 x 8 tile at column c0 of 8 rows (row stride C), transposed */
static inline void ls__tile8(__m256 r[8], const float *x, int64_t C, int64_t c0) {
    for (int l = 0; l < 8; l++) r[l] = _mm256_loadu_ps(x + l * C + c0);
    ls__tr8(r);
}
#define LS__LNV_W 8
typedef __m256 ls__lnv;
#define LS__LNV_ZERO() _mm256_setzero_ps()
#define LS__LNV_ADD(a, b) _mm256_add_ps(a, b)
#define LS__LNV_SUB(a, b) _mm256_sub_ps(a, b)
#define LS__LNV_MUL(a, b) _mm256_mul_ps(a, b)
#define LS__LNV_LOAD(p) _mm256_loadu_ps(p)
#define LS__LNV_STORE(p, v) _mm256_storeu_ps(p, v)
#define LS__LNV_TILE ls__tile8
#endif

#ifdef LS__LNV_W
/* mean and 1/std of LS__LNV_W rows of x (row stride C), one row per lane; columns past the last
   whole tile continue each lane's sums one by one */
static void ls__ln_stats_vw(const float *x, int64_t C, float eps, float *mu, float *rs) {
    enum { W = LS__LNV_W };
    float m[W], v[W];
    const int64_t cv = C / W * W;
    ls__lnv acc = LS__LNV_ZERO(), b[W];
    for (int64_t c0 = 0; c0 < cv; c0 += W) {
        LS__LNV_TILE(b, x, C, c0);
        for (int j = 0; j < W; j++) acc = LS__LNV_ADD(acc, b[j]);
    }
    LS__LNV_STORE(m, acc);
    for (int l = 0; l < W; l++)
        for (int64_t c = cv; c < C; c++) m[l] += x[l * C + c];
    for (int l = 0; l < W; l++) m[l] /= (float)C;
    const ls__lnv mv = LS__LNV_LOAD(m);
    acc = LS__LNV_ZERO();
    for (int64_t c0 = 0; c0 < cv; c0 += W) {
        LS__LNV_TILE(b, x, C, c0);
        for (int j = 0; j < W; j++) {
            ls__lnv d = LS__LNV_SUB(b[j], mv);
            acc = LS__LNV_ADD(acc, LS__LNV_MUL(d, d));
        }
    }
    LS__LNV_STORE(v, acc);
    for (int l = 0; l < W; l++)
        for (int64_t c = cv; c < C; c++) v[l] += (x[l * C + c] - m[l]) * (x[l * C + c] - m[l]);
    for (int l = 0; l < W; l++) { mu[l] = m[l]; rs[l] = 1.0f / sqrtf(v[l] / (float)C + eps); }
}
/* the same for LS__LN_LANES rows: one block of lanes with AVX-512, two with AVX2 */
static void ls__ln_stats_lanes(const float *x, int64_t C, float eps, float *mu, float *rs) {
    for (int h = 0; h < LS__LN_LANES; h += LS__LNV_W) ls__ln_stats_vw(x + h * C, C, eps, mu + h, rs + h);
}
#endif

/* LN of rows [r0, r1) (at most LS__LN_LANES; a whole block runs in lanes) of x (R, C) into y, their
   means and 1/std into mu, rs */
static void ls__ln_rows(const float *x, int64_t r0, int64_t r1, int64_t C, const float *gm, const float *bt,
                        float eps, float *y, float *mu, float *rs) {
#if defined(__AVX512F__) || defined(LS__LN_AVX2)
    if (r1 - r0 == LS__LN_LANES) ls__ln_stats_lanes(x + r0 * C, C, eps, mu + r0, rs + r0);
    else
#endif
        for (int64_t r = r0; r < r1; r++) ls__ln_row_stats(x + r * C, C, eps, mu + r, rs + r);
    for (int64_t r = r0; r < r1; r++) ls__ln_apply(x + r * C, C, gm, bt, mu[r], rs[r], y + r * C);
}

/* the input gradient of one row: dx[c] = r (g[c] - mg - xhat[c] mgx), g = dy gamma, with the row's
   means mg of g and mgx of g xhat from ls__ln_row_means */
static void ls__ln_row_means(const float *xr, const float *dyr, int64_t C, const float *gm, float mu, float rs,
                             float *mg, float *mgx) {
    float a = 0.0f, b = 0.0f;
    for (int64_t c = 0; c < C; c++) {
        float g = dyr[c] * gm[c], xh = (xr[c] - mu) * rs;
        a += g; b += g * xh;
    }
    *mg = a / (float)C; *mgx = b / (float)C;
}

#if defined(__AVX512F__)
/* ls__ln_row_means of LS__LN_LANES rows (row stride C; mu, rs, mg, mgx per row), lanes as above */
static void ls__ln_means_lanes(const float *x, const float *dy, int64_t C, const float *gm, const float *mu,
                               const float *rs, float *mg, float *mgx) {
    enum { L = LS__LN_LANES };
    float a[L], b[L];
    const int64_t cv = C / 16 * 16;
    const __m512 muv = _mm512_loadu_ps(mu), rsv = _mm512_loadu_ps(rs);
    __m512 va = _mm512_setzero_ps(), vb = _mm512_setzero_ps(), xt[16], dt[16];
    for (int64_t c0 = 0; c0 < cv; c0 += 16) {
        ls__tile16(xt, x, C, c0);
        ls__tile16(dt, dy, C, c0);
        for (int j = 0; j < 16; j++) {
            __m512 g = _mm512_mul_ps(dt[j], _mm512_set1_ps(gm[c0 + j]));
            __m512 xh = _mm512_mul_ps(_mm512_sub_ps(xt[j], muv), rsv);
            va = _mm512_add_ps(va, g);
            vb = _mm512_add_ps(vb, _mm512_mul_ps(g, xh));
        }
    }
    _mm512_storeu_ps(a, va);
    _mm512_storeu_ps(b, vb);
    for (int l = 0; l < L; l++)
        for (int64_t c = cv; c < C; c++) {
            float g = dy[l * C + c] * gm[c], xh = (x[l * C + c] - mu[l]) * rs[l];
            a[l] += g; b[l] += g * xh;
        }
    for (int l = 0; l < L; l++) { mg[l] = a[l] / (float)C; mgx[l] = b[l] / (float)C; }
}
#endif

/* ls__ln_row_means of rows [r0, r1) (at most LS__LN_LANES) into mg, mgx (indexed from r0) */
static void ls__ln_means_rows(const float *x, const float *dy, int64_t r0, int64_t r1, int64_t C, const float *gm,
                              const float *mu, const float *rs, float *mg, float *mgx) {
#if defined(__AVX512F__)
    if (r1 - r0 == LS__LN_LANES) {
        ls__ln_means_lanes(x + r0 * C, dy + r0 * C, C, gm, mu + r0, rs + r0, mg, mgx);
        return;
    }
#endif
    for (int64_t r = r0; r < r1; r++)
        ls__ln_row_means(x + r * C, dy + r * C, C, gm, mu[r], rs[r], &mg[r - r0], &mgx[r - r0]);
}

static inline float ls__ln_dx(float x, float dy, float gm, float mu, float rs, float mg, float mgx) {
    float g = dy * gm, xh = (x - mu) * rs;
    return rs * (g - mg - xh * mgx);
}

/* dgamma += sum over rows of dy xhat, dbeta += sum of dy: column blocks (ls__colblock), rows in
   order */
static void ls__ln_param_grads(const float *x, const float *dy, const float *mu, const float *rs, int64_t R,
                               int64_t C, float *dg, float *db) {
    const int64_t w = ls__colblock(C), nb = (C + w - 1) / w;
    LS__PAR_FOR(nb, (double)R * 2 * w)
    for (int64_t blk = 0; blk < nb; blk++) {
        int64_t c0 = blk * w, n = c0 + w < C ? w : C - c0;
        float ag[LS__COLBLK] = {0}, ab[LS__COLBLK] = {0};
        for (int64_t r = 0; r < R; r++) {
            const float *dr = dy + r * C + c0, *xr = x + r * C + c0;
            const float m = mu[r], s = rs[r];
            for (int64_t c = 0; c < n; c++) {
                float d = dr[c];
                ag[c] += d * (xr[c] - m) * s;
                ab[c] += d;
            }
        }
        for (int64_t c = 0; c < n; c++) {
            if (dg) dg[c0 + c] += ag[c];
            if (db) db[c0 + c] += ab[c];
        }
    }
}

static void ls__layernorm_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1], *bt = n->in[2];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    float *y = n->out->x, *mu = n->saved[0], *rs = n->saved[1], eps = n->f[0];
    const int64_t nb = (R + LS__LN_LANES - 1) / LS__LN_LANES;
    LS__PAR_FOR(nb, 4.0 * LS__LN_LANES * C)
    for (int64_t blk = 0; blk < nb; blk++) {
        const int64_t r0 = blk * LS__LN_LANES, r1 = r0 + LS__LN_LANES < R ? r0 + LS__LN_LANES : R;
        ls__ln_rows(x->x, r0, r1, C, gm->x, bt ? bt->x : NULL, eps, y, mu, rs);
    }
}

static void ls__layernorm_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *gm = n->in[1], *bt = n->in[2];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    const float *dy = n->out->g, *mu = n->saved[0], *rs = n->saved[1];
    int fx;
    float *dx = ls__grad_w(x, &fx), *dg = ls__grad(gm), *db = ls__grad(bt);
    if (dx) {
        const int64_t nb = (R + LS__LN_LANES - 1) / LS__LN_LANES;
        LS__PAR_FOR(nb, 6.0 * LS__LN_LANES * C)
        for (int64_t blk = 0; blk < nb; blk++) {
            const int64_t r0 = blk * LS__LN_LANES, r1 = r0 + LS__LN_LANES < R ? r0 + LS__LN_LANES : R;
            float mg[LS__LN_LANES], mgx[LS__LN_LANES];
            ls__ln_means_rows(x->x, dy, r0, r1, C, gm->x, mu, rs, mg, mgx);
            for (int64_t r = r0; r < r1; r++) {
                const float *xr = x->x + r * C, *dyr = dy + r * C, g1 = mg[r - r0], g2 = mgx[r - r0];
                for (int64_t c = 0; c < C; c++)
                    LS__GACC(fx, dx[r * C + c], ls__ln_dx(xr[c], dyr[c], gm->x[c], mu[r], rs[r], g1, g2));
            }
        }
    }
    if (dg || db) ls__ln_param_grads(x->x, dy, mu, rs, R, C, dg, db);
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

/* --- ADD_LAYERNORM: out = LN(v), v = alpha x + y. in: x, y, gamma, beta; saved[0] = mu (R) then
   r (R), saved[1] = v (R, C) (the LN input, kept for the backward); f[0] = eps, f[1] = alpha.
   Post-LN's residual as one op: the composition writes v as the add's output, reads it back for
   the LN, and in the backward writes dv and reads it back twice; here v is made and normalised
   row by row in L1, and dv goes straight into dx and dy. Bits as the composition's: alpha x
   rounded (skipped at alpha 1), then + y, LN as ls_layernorm; dv = 0 + the LN's dx; dx += alpha dv,
   dy += dv (1 dv is dv). --- */

static void ls__add_layernorm_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *x = n->in[0], *y = n->in[1], *gm = n->in[2], *bt = n->in[3];
    int64_t C = x->d[x->nd - 1], R = x->n / C;
    float *out = n->out->x, *mu = n->saved[0], *rs = mu + R, *v = n->saved[1], eps = n->f[0], alpha = n->f[1];
    const int64_t nb = (R + LS__LN_LANES - 1) / LS__LN_LANES;
    LS__PAR_FOR(nb, 5.0 * LS__LN_LANES * C)
    for (int64_t blk = 0; blk < nb; blk++) {
        const int64_t r0 = blk * LS__LN_LANES, r1 = r0 + LS__LN_LANES < R ? r0 + LS__LN_LANES : R;
        for (int64_t r = r0; r < r1; r++) {
            const float *xr = x->x + r * C, *yr = y->x + r * C;
            float *vr = v + r * C;
            if (alpha == 1.0f) for (int64_t c = 0; c < C; c++) vr[c] = xr[c] + yr[c];
            else for (int64_t c = 0; c < C; c++) { float t = alpha * xr[c]; vr[c] = t + yr[c]; }
        }
        ls__ln_rows(v, r0, r1, C, gm->x, bt ? bt->x : NULL, eps, out, mu, rs);
    }
}

static void ls__add_layernorm_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *gm = n->in[2];
    int64_t C = gm->n, R = n->out->n / C;
    const float *dout = n->out->g, *mu = n->saved[0], *rs = mu + R, *v = n->saved[1];
    float alpha = n->f[1];
    int fx, fy;   /* x and y may be one tensor: dx is written first */
    float *dx = ls__grad_w(n->in[0], &fx), *dy = ls__grad_w(n->in[1], &fy);
    float *dg = ls__grad(gm), *db = ls__grad(n->in[3]);
    if (dx || dy) {
        const int64_t nb = (R + LS__LN_LANES - 1) / LS__LN_LANES;
        LS__PAR_FOR(nb, 7.0 * LS__LN_LANES * C)
        for (int64_t blk = 0; blk < nb; blk++) {
            const int64_t r0 = blk * LS__LN_LANES, r1 = r0 + LS__LN_LANES < R ? r0 + LS__LN_LANES : R;
            float mg[LS__LN_LANES], mgx[LS__LN_LANES];
            ls__ln_means_rows(v, dout, r0, r1, C, gm->x, mu, rs, mg, mgx);
            for (int64_t r = r0; r < r1; r++) {
                const float *vr = v + r * C, *gr = dout + r * C;
                for (int64_t c = 0; c < C; c++) {
                    float dv = ls__ln_dx(vr[c], gr[c], gm->x[c], mu[r], rs[r], mg[r - r0], mgx[r - r0]) + 0.0f;
                    if (dx) LS__GACC(fx, dx[r * C + c], alpha * dv);
                    if (dy) LS__GACC(fy, dy[r * C + c], dv);
                }
            }
        }
    }
    if (dg || db) ls__ln_param_grads(v, dout, mu, rs, R, C, dg, db);
}

LS_API ls_tensor *ls_add_layernorm(ls_ctx *ctx, ls_tensor *x, ls_tensor *y, float alpha, ls_tensor *gamma,
                                   ls_tensor *beta, float eps) {
    if (!x || !y || !gamma) return NULL;
    int64_t C = x->d[x->nd - 1];
    int same = x->nd == y->nd;
    for (int i = 0; same && i < x->nd; i++) same = x->d[i] == y->d[i];
    if (!same || gamma->n != C || gamma->nd != 1 || (beta && (beta->n != C || beta->nd != 1)))
        return ls__fail(ctx, "ls_add_layernorm: x %s and y %s must match, gamma and beta (%lld), got %s and %s",
                        ls__shp(x), ls__shp(y), (long long)C, ls__shp(gamma), beta ? ls__shp(beta) : "none");
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_ADD_LAYERNORM, out, 4, x, y, gamma, beta);
    n->saved[0] = ls__floats(ctx, 2 * (x->n / C));
    n->saved[1] = ls__floats(ctx, x->n);
    n->f[0] = eps; n->f[1] = alpha;
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
    int fx;
    float *dx = ls__grad_w(n->in[0], &fx), p = n->f[0], s = 1.0f / (1.0f - p);
    const float *dy = n->out->g;
    uint64_t key = (uint64_t)n->i[0];
    int64_t N = n->out->n;
    if (!dx) return;
    LS__PAR_FOR(N, 4)
    for (int64_t i = 0; i < N; i++) {
        if (ls__keep(key, i, p)) LS__GACC(fx, dx[i], dy[i] * s);
        else if (fx) dx[i] = 0.0f;
    }
}

LS_API ls_tensor *ls_dropout(ls_ctx *ctx, ls_tensor *x, float p) {
    if (!x) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) return ls__fail(ctx, "ls_dropout: p = %g must be in [0, 1)", (double)p);
    if (!ctx->training || p == 0.0f) return x;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_DROPOUT, out, 1, x, NULL, NULL, NULL);
    n->i[0] = (int64_t)ls_hash64(ctx->seed * 0x9E3779B97F4A7C15ull + LS_STREAM_DROPOUT + (ctx->calls++ << 8));
#ifdef LS_MPI
    /* a shard of a global batch (6E): element i here is element i + first * (n / rows) of the
       whole batch's tensor (batch outermost), and ls__keep hashes key + index */
    if (ctx->shard_rows > 0 && out->n % ctx->shard_rows == 0)
        n->i[0] = (int64_t)((uint64_t)n->i[0] +
                            (uint64_t)ctx->shard_first * (uint64_t)(out->n / ctx->shard_rows));
#endif
    n->f[0] = p;
    ls__run(ctx, n);
    return out;
}

/* --- RESHAPE: the output shares the input's values; gradients are added back --- */

static void ls__reshape_forward(ls_ctx *ctx, ls_node *n) { (void)ctx; n->out->x = n->in[0]->x; }

static void ls__reshape_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    int fx;
    float *dx = ls__grad_w(n->in[0], &fx);
    if (dx) ls__add_into(dx, n->out->g, n->out->n, fx);
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
    int fx = 0;
    float *dx = n->i[0] == LS_POOL_MEAN ? ls__grad_w(x, &fx) : ls__grad(x);
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
        else if (n->i[0] == LS_POOL_MEAN) {
            for (int64_t t = 0; t < L; t++) for (int64_t c = 0; c < C; c++) LS__GACC(fx, dxb[t * C + c], dyb[c] / (float)L);
            if (fx) memset(dxb + L * C, 0, (size_t)((T - L) * C) * sizeof(float));
        }
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
    n->out->x[0] = (float)ls__sum_fixed(n->in[0]->x, n->in[0]->n, 0);
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

/* --- SIGMOID: y = 1/(1 + e^-x); dx = dy y (1 - y) --- */

/* s[j] = sigmoid(b[j]) for w <= LS__EXPF_CHUNK values */
static void ls__sigmoid_chunk(float *s, const float *b, int64_t w) {
    float e[LS__EXPF_CHUNK];
    for (int64_t j = 0; j < w; j++) s[j] = -b[j];   /* s holds the arguments first */
    ls__expf_n(e, s, w);
    for (int64_t j = 0; j < w; j++) s[j] = 1.0f / (1.0f + e[j]);
}

static void ls__sigmoid_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    int64_t N = n->out->n;
    const int64_t nb = (N + LS__EXPF_CHUNK - 1) / LS__EXPF_CHUNK;
    LS__PAR_FOR(nb, 4.0 * LS__EXPF_CHUNK)
    for (int64_t blk = 0; blk < nb; blk++) {
        const int64_t i0 = blk * LS__EXPF_CHUNK;
        ls__sigmoid_chunk(y + i0, x + i0, N - i0 < LS__EXPF_CHUNK ? N - i0 : LS__EXPF_CHUNK);
    }
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

/* --- GLU: y = a sigmoid(b), x = [a | b] split in halves along the last dim (..., 2C) -> (..., C);
   da = dy s, db = dy a s (1 - s), s = sigmoid(b) ---
   The gated output of the SSM layers (and of the convolution mixers' input). The composition
   mul(slice(x, a), sigmoid(slice(x, b))) writes two slices, s and the product, and its backward
   four (C) gradient buffers; here one pass reads x and writes y, and the backward recomputes s
   (the vectorised expf makes that cheaper than storing it) and writes dx. Every value is rounded
   as in the composition (s = 1 / (1 + expf(-b)), y = a s; da = dy s + 0, ds = dy a + 0,
   db = 0 + ds s (1 - s), then added into dx as the slices' backward adds), so swapping one for the
   other changes no bit. */

static void ls__glu_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x;
    float *y = n->out->x;
    const int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    LS__PAR_FOR(R, 8.0 * (double)C)
    for (int64_t r = 0; r < R; r++) {
        const float *xa = x + r * 2 * C, *xb = xa + C;
        float *yr = y + r * C, s[LS__EXPF_CHUNK];
        for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {
            const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
            ls__sigmoid_chunk(s, xb + c0, w);
            for (int64_t j = 0; j < w; j++) yr[c0 + j] = xa[c0 + j] * s[j];
        }
    }
}

static void ls__glu_backward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const float *x = n->in[0]->x, *dy = n->out->g;
    int fx;
    float *dx = ls__grad_w(n->in[0], &fx);
    if (!dx) return;
    const int64_t C = n->out->d[n->out->nd - 1], R = n->out->n / C;
    LS__PAR_FOR(R, 12.0 * (double)C)
    for (int64_t r = 0; r < R; r++) {
        const float *xa = x + r * 2 * C, *xb = xa + C, *g = dy + r * C;
        float *da = dx + r * 2 * C, *db = da + C, s[LS__EXPF_CHUNK];
        for (int64_t c0 = 0; c0 < C; c0 += LS__EXPF_CHUNK) {
            const int64_t w = C - c0 < LS__EXPF_CHUNK ? C - c0 : LS__EXPF_CHUNK;
            ls__sigmoid_chunk(s, xb + c0, w);
            for (int64_t j = 0; j < w; j++) {
                const float ga = g[c0 + j] * s[j] + 0.0f, ds = g[c0 + j] * xa[c0 + j] + 0.0f;
                const float gb = 0.0f + ds * s[j] * (1.0f - s[j]);
                LS__GACC(fx, da[c0 + j], ga);
                LS__GACC(fx, db[c0 + j], gb);
            }
        }
    }
}

LS_API ls_tensor *ls_glu(ls_ctx *ctx, ls_tensor *x) {
    if (!x) return NULL;
    if (x->d[x->nd - 1] % 2)
        return ls__fail(ctx, "ls_glu: x %s: the last dim must be even (two halves)", ls__shp(x));
    ls_shape s = ls_tensor_shape(x);
    s.d[s.nd - 1] /= 2;
    ls_tensor *out = ls__out(ctx, s);
    ls_node *n = ls__record(ctx, LS_OP_GLU, out, 1, x, NULL, NULL, NULL);
    ls__run(ctx, n);
    return out;
}

/* --- ROPE: y = R(pos(t) theta) x on channel pairs; the inverse rotation carries the gradient back.
   xPos (ls_xpos): y = f_ti R x with the factor folded into both tables; the backward applies the
   transpose f_ti R^T, which is the same code (the tables' sine with its sign flipped).
   saved[0] = cos table (T, D/2), saved[1] = sin table (T, D/2) (times f_ti for xPos); i[0] = H --- */

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

/* the ROPE record of ls_rope and ls_xpos: cos / sin tables times the xPos factor
   zeta_i^(sign (t - c)/sb), c = floor(T/2) (no factor when gamma < 0: plain RoPE keeps its bits) */
static ls_tensor *ls__rope_make(ls_ctx *ctx, const char *name, ls_tensor *x, int64_t H, const float *theta, float pos_scale,
                                float pos_offset, float gamma, float sb, double sign) {
    if (!x) return NULL;
    if (x->nd != 3 || H < 1 || x->d[2] % H || (x->d[2] / H) % 2)
        return ls__fail(ctx, "%s: x %s must be (B, T, H*D) with H = %lld heads of even size", name, ls__shp(x), (long long)H);
    int64_t T = x->d[1], D2 = x->d[2] / H / 2, c = T / 2;
    if (gamma >= 0.0f) {   /* the largest exponent: the farthest position from c, the smallest zeta */
        double zmin = (double)gamma / (1.0 + (double)gamma);
        double worst = (double)(T - 1 - c > c ? T - 1 - c : c) / (double)sb * -log(zmin);
        if (!(sb > 0.0f) || !(gamma > 0.0f) || !(worst <= 80.0))
            return ls__fail(ctx, "%s: gamma %g, scale_base %g at T = %lld give a scale factor e^%.0f (gamma and scale_base "
                            "must be positive, the factor at most e^80)", name, (double)gamma, (double)sb, (long long)T, worst);
    }
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_ROPE, out, 1, x, NULL, NULL, NULL);
    n->i[0] = H;
    n->saved[0] = ls__floats(ctx, T * D2);
    n->saved[1] = ls__floats(ctx, T * D2);
    for (int64_t t = 0; t < T; t++)
        for (int64_t i = 0; i < D2; i++) {
            double ang = ((double)pos_scale * (double)t + (double)pos_offset) * (double)theta[i];
            if (gamma < 0.0f) {
                n->saved[0][t * D2 + i] = (float)cos(ang);
                n->saved[1][t * D2 + i] = (float)sin(ang);
            } else {
                double zeta = ((double)i / (double)D2 + (double)gamma) / (1.0 + (double)gamma);   /* 2i/D = i/D2 */
                double f = exp(sign * (double)(t - c) / (double)sb * log(zeta));
                n->saved[0][t * D2 + i] = (float)(cos(ang) * f);
                n->saved[1][t * D2 + i] = (float)(sin(ang) * f);
            }
        }
    ls__run(ctx, n);
    return out;
}

LS_API ls_tensor *ls_rope(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float pos_scale, float pos_offset) {
    return ls__rope_make(ctx, "ls_rope", x, H, theta, pos_scale, pos_offset, -1.0f, 1.0f, 0.0);
}

LS_API ls_tensor *ls_xpos(ls_ctx *ctx, ls_tensor *x, int64_t H, const float *theta, float gamma, float scale_base, int key) {
    if (x && !(gamma > 0.0f)) return ls__fail(ctx, "ls_xpos: gamma %g must be positive", (double)gamma);
    return ls__rope_make(ctx, "ls_xpos", x, H, theta, 1.0f, 0.0f, gamma, scale_base, key ? -1.0 : 1.0);
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
   Nothing is saved: both scans recompute phi. i[0] = H, i[1] = causal; ids = kv_len (B) or NULL:
   keys j >= kv_len[b] are left out of the sums (padding) and get no gradient --- */

/* phi (elu + 1) and phi' of the n floats of a head's row: x + 1 and 1 where x > 0, expf(x)
   otherwise, the exponentials through ls__expf_n (glibc's bits, a vector loop: one libm call per
   element was as much time as the scans' products at d_head 16). dphi may be NULL. */
static void ls__phi_row(const float *x, int64_t n, float *phi, float *dphi) {
    for (int64_t c0 = 0; c0 < n; c0 += LS__EXPF_CHUNK) {
        const int64_t w = n - c0 < LS__EXPF_CHUNK ? n - c0 : LS__EXPF_CHUNK;
        float e[LS__EXPF_CHUNK];
        ls__expf_n(e, x + c0, w);
        for (int64_t j = 0; j < w; j++) phi[c0 + j] = x[c0 + j] > 0.0f ? x[c0 + j] + 1.0f : e[j];
        if (dphi) for (int64_t j = 0; j < w; j++) dphi[c0 + j] = x[c0 + j] > 0.0f ? 1.0f : e[j];
    }
}

static void ls__linear_attention_forward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
    int64_t B = q->d[0], T = q->d[1], H = n->i[0], D = q->d[2] / H, HD = H * D;
    int causal = (int)n->i[1];
    float *o = n->out->x;
    const int64_t per = D * D + 3 * D;   /* per thread: state S (D, D), z (D), phi(q) (D), phi(k) (D) */
    float *mem = (float *)ls__scratch(ctx, sizeof(float) * (size_t)(ls_get_threads() * per));
    LS__PAR_FOR(B * H, (double)T * D * D * 4)
    for (int64_t bh = 0; bh < B * H; bh++) {
        int64_t b = bh / H, h = bh % H;
        float *S = mem + ls__thread_num() * per, *z = S + D * D, *a = z + D, *fk = a + D;
        memset(S, 0, (size_t)(D * D + D) * sizeof(float));
        const int64_t TK = n->ids ? n->ids[b] : T;   /* keys [TK, T) are padding */
        if (!causal)   /* totals first */
            for (int64_t t = 0; t < TK; t++) {
                const float *kt = k->x + (b * T + t) * HD + h * D, *vt = v->x + (b * T + t) * HD + h * D;
                ls__phi_row(kt, D, fk, NULL);
                for (int64_t c = 0; c < D; c++) {
                    float f = fk[c];
                    z[c] += f;
                    for (int64_t e = 0; e < D; e++) S[c * D + e] += f * vt[e];
                }
            }
        for (int64_t t = 0; t < T; t++) {
            const float *qt = q->x + (b * T + t) * HD + h * D;
            if (causal && t < TK) {
                const float *kt = k->x + (b * T + t) * HD + h * D, *vt = v->x + (b * T + t) * HD + h * D;
                ls__phi_row(kt, D, fk, NULL);
                for (int64_t c = 0; c < D; c++) {
                    float f = fk[c];
                    z[c] += f;
                    for (int64_t e = 0; e < D; e++) S[c * D + e] += f * vt[e];
                }
            }
            float den = 0.0f;
            ls__phi_row(qt, D, a, NULL);
            for (int64_t c = 0; c < D; c++) den += a[c] * z[c];
            float *ot = o + (b * T + t) * HD + h * D;
            for (int64_t e = 0; e < D; e++) ot[e] = 0.0f;
            for (int64_t c = 0; c < D; c++)
                for (int64_t e = 0; e < D; e++) ot[e] += a[c] * S[c * D + e];
            for (int64_t e = 0; e < D; e++) ot[e] /= den;
        }
    }
}

static void ls__linear_attention_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
    int64_t B = q->d[0], T = q->d[1], H = n->i[0], D = q->d[2] / H, HD = H * D;
    int causal = (int)n->i[1];
    const float *o = n->out->x, *dout = n->out->g;
    float *dq = ls__grad(q), *dk = ls__grad(k), *dv = ls__grad(v);
    const int64_t per = 2 * D * D + 6 * D + T * (D + 1);
    float *mem = (float *)ls__scratch(ctx, sizeof(float) * (size_t)(ls_get_threads() * per));
    LS__PAR_FOR(B * H, (double)T * D * D * 8)
    for (int64_t bh = 0; bh < B * H; bh++) {
        int64_t b = bh / H, h = bh % H;
        /* S, z: forward state; G, g: reverse state; dn (T, D) and dden (T) per step */
        float *S = mem + ls__thread_num() * per;
        float *z = S + D * D, *G = z + D, *gz = G + D * D, *a = gz + D, *dn = a + D, *dden = dn + T * D;
        float *da = dden + T, *fk = da + D, *dfk = fk + D;   /* phi'(q), phi(k), phi'(k) of a row */
        const int64_t TK = n->ids ? n->ids[b] : T;   /* keys [TK, T) are padding */
        memset(S, 0, (size_t)(2 * D * D + 2 * D) * sizeof(float));
        for (int64_t pass = 0; pass < (causal ? 1 : 2); pass++) {   /* non-causal: pass 0 builds totals */
            for (int64_t t = 0; t < T; t++) {
                int64_t row = (b * T + t) * HD + h * D;
                if (causal || pass == 0) {
                    if (t < TK) ls__phi_row(k->x + row, D, fk, NULL);
                    for (int64_t c = 0; c < D && t < TK; c++) {
                        float f = fk[c];
                        z[c] += f;
                        for (int64_t e = 0; e < D; e++) S[c * D + e] += f * v->x[row + e];
                    }
                    if (!causal) continue;
                }
                float den = 0.0f, dot = 0.0f;
                ls__phi_row(q->x + row, D, a, da);
                for (int64_t c = 0; c < D; c++) den += a[c] * z[c];
                for (int64_t e = 0; e < D; e++) dot += dout[row + e] * o[row + e];
                for (int64_t e = 0; e < D; e++) dn[t * D + e] = dout[row + e] / den;
                dden[t] = -dot / den;
                if (dq)
                    for (int64_t c = 0; c < D; c++) {
                        float s = z[c] * dden[t];
                        for (int64_t e = 0; e < D; e++) s += S[c * D + e] * dn[t * D + e];
                        dq[row + c] += s * da[c];
                    }
            }
        }
        if (!dk && !dv) continue;
        if (!causal)   /* G and g are totals over all queries */
            for (int64_t t = 0; t < T; t++) {
                int64_t row = (b * T + t) * HD + h * D;
                ls__phi_row(q->x + row, D, a, NULL);
                for (int64_t c = 0; c < D; c++) {
                    float ac = a[c];
                    gz[c] += ac * dden[t];
                    for (int64_t e = 0; e < D; e++) G[c * D + e] += ac * dn[t * D + e];
                }
            }
        for (int64_t t = T - 1; t >= 0; t--) {
            int64_t row = (b * T + t) * HD + h * D;
            if (causal) {
                ls__phi_row(q->x + row, D, a, NULL);
                for (int64_t c = 0; c < D; c++) {
                    float ac = a[c];
                    gz[c] += ac * dden[t];
                    for (int64_t e = 0; e < D; e++) G[c * D + e] += ac * dn[t * D + e];
                }
            }
            if (t < TK) ls__phi_row(k->x + row, D, fk, dfk);
            for (int64_t c = 0; c < D && t < TK; c++) {
                float f = fk[c];
                if (dk) {
                    float s = gz[c];
                    for (int64_t e = 0; e < D; e++) s += G[c * D + e] * v->x[row + e];
                    dk[row + c] += s * dfk[c];
                }
                if (dv) for (int64_t e = 0; e < D; e++) dv[row + e] += f * G[c * D + e];
            }
        }
    }
}

LS_API ls_tensor *ls_linear_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, int64_t H, int causal,
                                      const int32_t *kv_len) {
    if (!q || !k || !v) return NULL;
    int ok = q->nd == 3 && k->nd == 3 && v->nd == 3 && H >= 1 && q->d[2] % H == 0;
    for (int i = 0; ok && i < 3; i++) ok = q->d[i] == k->d[i] && q->d[i] == v->d[i];
    if (!ok)
        return ls__fail(ctx, "ls_linear_attention: q %s, k %s, v %s must be one (B, T, H*D) shape with H = %lld",
                        ls__shp(q), ls__shp(k), ls__shp(v), (long long)H);
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(q));
    for (int64_t b = 0; kv_len && b < q->d[0]; b++)
        if (kv_len[b] < 1 || kv_len[b] > q->d[1])
            return ls__fail(ctx, "ls_linear_attention: kv_len[%lld] = %d is outside 1..%lld", (long long)b, (int)kv_len[b], (long long)q->d[1]);
    ls_node *n = ls__record(ctx, LS_OP_LINEAR_ATTENTION, out, 3, q, k, v, NULL);
    n->i[0] = H; n->i[1] = causal;
    if (kv_len) {
        n->ids = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)q->d[0] * sizeof(int32_t));
        memcpy(n->ids, kv_len, (size_t)q->d[0] * sizeof(int32_t));
    }
    ls__run(ctx, n);
    return out;
}

/* --- FFTCONV: u (B, T, C), k (C, T), k2 (C, T) or NULL -> y (B, T, C) --- */

static void ls__fftconv_forward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *u = n->in[0], *k = n->in[1], *k2 = n->in[2];
    ls__conv_forward(ctx, u->d[0], u->d[1], u->d[2], u->x, k->x, k2 ? k2->x : NULL, n->out->x, n->saved[0], n->saved[1]);
}

static void ls__fftconv_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *u = n->in[0], *k = n->in[1], *k2 = n->in[2];
    ls__conv_backward(ctx, u->d[0], u->d[1], u->d[2], u->x, k->x, k2 ? k2->x : NULL, n->out->g, ls__grad(u), ls__grad(k),
                      ls__grad(k2), n->saved[0], n->saved[1]);
}

LS_API ls_tensor *ls_fftconv(ls_ctx *ctx, ls_tensor *u, ls_tensor *k, ls_tensor *k2) {
    if (!u || !k) return NULL;
    if (u->nd != 3 || k->nd != 2 || k->d[0] != u->d[2] || k->d[1] != u->d[1] ||
        (k2 && (k2->nd != 2 || k2->d[0] != k->d[0] || k2->d[1] != k->d[1])))
        return ls__fail(ctx, "ls_fftconv: u %s needs kernels (C, T), got k %s and k2 %s", ls__shp(u), ls__shp(k),
                        k2 ? ls__shp(k2) : "none");
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(u));
    ls_node *n = ls__record(ctx, LS_OP_FFTCONV, out, 3, u, k, k2, NULL);
    const int64_t B = u->d[0], T = u->d[1], C = u->d[2];
    if ((out->flags & LS_NEEDS_GRAD) && T > LS__CONV_DIRECT_T) {
        /* keep the forward's spectra that the backward would compute again: u's for dk (a third of
           the backward's transforms, and a gather of u from memory), the kernels' for du */
        if ((k->flags & LS_NEEDS_GRAD) || (k2 && (k2->flags & LS_NEEDS_GRAD)))
            n->saved[0] = ls__floats(ctx, ls__conv_spectra_floats(B, T, C, 0));
        if (u->flags & LS_NEEDS_GRAD) n->saved[1] = ls__floats(ctx, ls__conv_spectra_floats(B, T, C, 1));
    }
    ls__run(ctx, n);
    return out;
}

/* --- S4D: in = log_dt (C), log_a_re, a_im, c_re, c_im (C, N/2) -> K (C, T) --- */

static double *ls__s4d_scratch(ls_ctx *ctx, int64_t N2) {
    return (double *)ls__scratch(ctx, sizeof(double) * (size_t)(ls_get_threads() * ls__s4d_work(N2)));
}

static void ls__s4d_forward(ls_ctx *ctx, ls_node *n) {
    ls_tensor *const *p = n->in;
    ls__s4d_kernel_forward(p[1]->d[0], p[1]->d[1], n->out->d[1], p[0]->x, p[1]->x, p[2]->x, p[3]->x, p[4]->x, n->out->x,
                           ls__s4d_scratch(ctx, p[1]->d[1]));
}

static void ls__s4d_backward(ls_ctx *ctx, ls_node *n) {
    ls_tensor *const *p = n->in;
    ls__s4d_kernel_backward(p[1]->d[0], p[1]->d[1], n->out->d[1], p[0]->x, p[1]->x, p[2]->x, p[3]->x, p[4]->x,
                            n->out->g, ls__grad(p[0]), ls__grad(p[1]), ls__grad(p[2]), ls__grad(p[3]), ls__grad(p[4]),
                            ls__s4d_scratch(ctx, p[1]->d[1]));
}

LS_API ls_tensor *ls_s4d_kernel(ls_ctx *ctx, ls_tensor *log_dt, ls_tensor *log_a_re, ls_tensor *a_im,
                                ls_tensor *c_re, ls_tensor *c_im, int64_t T) {
    if (!log_dt || !log_a_re || !a_im || !c_re || !c_im) return NULL;
    ls_tensor *in[5];
    in[0] = log_dt; in[1] = log_a_re; in[2] = a_im; in[3] = c_re; in[4] = c_im;
    int ok = log_dt->nd == 1 && log_a_re->nd == 2 && log_a_re->d[0] == log_dt->d[0] && T >= 1;
    for (int k = 2; ok && k < 5; k++) ok = in[k]->nd == 2 && in[k]->d[0] == log_a_re->d[0] && in[k]->d[1] == log_a_re->d[1];
    if (!ok)
        return ls__fail(ctx, "ls_s4d_kernel: log_dt %s must be (C) and log_a_re %s, a_im %s, c_re %s, c_im %s (C, N/2)",
                        ls__shp(log_dt), ls__shp(log_a_re), ls__shp(a_im), ls__shp(c_re), ls__shp(c_im));
    ls_tensor *out = ls__out(ctx, ls_shape2(log_dt->d[0], T));
    ls_node *n = ls__record_n(ctx, LS_OP_S4D, out, 5, in);
    ls__run(ctx, n);
    return out;
}

/* --- LRU: x (B, T, 2N) as [re | im] per step, nu_log (N), theta_log (N) -> h (B, T, 2N).
   The scan kernels read and write these rows in place (row stride 2N, imaginary halves at +N). --- */

static void ls__lru_forward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *x = n->in[0];
    int64_t B = x->d[0], T = x->d[1], N = x->d[2] / 2;
    float *h = n->out->x;
    ls__lru_scan_forward(B, T, N, 2 * N, n->in[1]->x, n->in[2]->x, x->x, x->x + N, h, h + N,
                         (double *)ls__scratch(ctx, sizeof(double) * (size_t)(4 * N)));
}

static void ls__lru_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *x = n->in[0];
    int64_t B = x->d[0], T = x->d[1], N = x->d[2] / 2;
    const float *h = n->out->x, *dh = n->out->g;
    float *dx = ls__grad(x);
    ls__lru_scan_backward(B, T, N, 2 * N, n->in[1]->x, n->in[2]->x, x->x, x->x + N, h, h + N, dh, dh + N,
                          dx, dx ? dx + N : NULL, ls__grad(n->in[1]), ls__grad(n->in[2]),
                          (double *)ls__scratch(ctx, sizeof(double) * (size_t)(4 * N + 3 * B * N)));
}

LS_API ls_tensor *ls_lru_scan(ls_ctx *ctx, ls_tensor *x, ls_tensor *nu_log, ls_tensor *theta_log) {
    if (!x || !nu_log || !theta_log) return NULL;
    if (x->nd != 3 || nu_log->nd != 1 || theta_log->nd != 1 || nu_log->d[0] != theta_log->d[0] || x->d[2] != 2 * nu_log->d[0])
        return ls__fail(ctx, "ls_lru_scan: x %s must be (B, T, 2N) for nu_log %s and theta_log %s (N)", ls__shp(x),
                        ls__shp(nu_log), ls__shp(theta_log));
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_LRU, out, 3, x, nu_log, theta_log, NULL);
    ls__run(ctx, n);
    return out;
}

/* --- ATTENTION: in = q, k, v (, q2, k2) (, kerple (2, H)); saved[0] = lse (B, H, T); opt = the kernel's
   options, with arena copies of the ALiBi slopes and row scales. KERPLE: r = softplus(raw) (a clean
   positive parameterisation, where the paper clamps r at a small epsilon), so dL/draw = dL/dr
   sigmoid(raw); the forward fills r and the bias table from the input's current values. --- */

typedef struct ls__attn_saved { ls__attn_cfg cfg; float *alibi, *row_scale; int32_t *kv_len; float *kr, *kb; } ls__attn_saved;

static ls__attn_cfg *ls__attn_of(ls_node *n) { return &((ls__attn_saved *)n->opt)->cfg; }

static double ls__softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static void ls__attention_forward(ls_ctx *ctx, ls_node *n) {
    ls__attn_saved *sv = (ls__attn_saved *)n->opt;
    if (sv->kr) {
        const int64_t H = sv->cfg.H, kbn = sv->cfg.kbn;
        const float *raw = n->in[5]->x;
        for (int64_t h = 0; h < 2 * H; h++) sv->kr[h] = (float)ls__softplus((double)raw[h]);
        for (int64_t h = 0; h < H; h++)
            for (int64_t d = 0; d < kbn; d++)
                sv->kb[h * kbn + d] = (float)((double)sv->kr[h] * log1p((double)sv->kr[H + h] * (double)d));
    }
    ls__attn_forward(ctx, ls__attn_of(n), n->in[0]->x, n->in[1]->x, n->in[2]->x, n->in[3] ? n->in[3]->x : NULL,
                     n->in[4] ? n->in[4]->x : NULL, n->out->x, n->saved[0]);
}

static void ls__attention_backward(ls_ctx *ctx, ls_node *n) {
    const ls__attn_cfg *c = ls__attn_of(n);
    float *dkr = c->kr ? ls__grad(n->in[5]) : NULL;
    double *dr = dkr ? (double *)ls_arena_alloc(&ctx->arena, (size_t)(2 * c->H) * sizeof(double)) : NULL;
    ls__attn_backward(ctx, c, n->in[0]->x, n->in[1]->x, n->in[2]->x, n->in[3] ? n->in[3]->x : NULL,
                      n->in[4] ? n->in[4]->x : NULL, n->out->x, n->saved[0], n->out->g, ls__grad(n->in[0]),
                      ls__grad(n->in[1]), ls__grad(n->in[2]), ls__grad(n->in[3]), ls__grad(n->in[4]), dr);
    for (int64_t h = 0; dr && h < 2 * c->H; h++) {   /* through r = softplus(raw): dr/draw = sigmoid(raw) */
        double raw = (double)n->in[5]->x[h];
        dkr[h] += (float)(dr[h] / (1.0 + exp(-raw)));
    }
}

LS_API ls_tensor *ls_attention(ls_ctx *ctx, ls_tensor *q, ls_tensor *k, ls_tensor *v, ls_tensor *q2, ls_tensor *k2,
                               int64_t H, const ls_attn_opts *opts) {
    if (!q || !k || !v) return NULL;
    ls_attn_opts o;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    int dual = o.dual_w > 0;
    if (dual && (!q2 || !k2)) return ls__fail(ctx, "ls_attention: dual_w %lld needs q2 and k2", (long long)o.dual_w);
    ls_tensor *t[6];
    t[0] = q; t[1] = k; t[2] = v; t[3] = dual ? q2 : NULL; t[4] = dual ? k2 : NULL; t[5] = o.kerple;
    if (o.kerple && (o.kerple->nd != 2 || o.kerple->d[0] != 2 || o.kerple->d[1] != H))
        return ls__fail(ctx, "ls_attention: kerple %s must be (2, H) with H = %lld", ls__shp(o.kerple), (long long)H);
    int ok = q->nd == 3 && H >= 1 && q->d[2] % H == 0 && o.window >= 0 && o.sinks >= 0 && o.dual_w >= 0 &&
             o.norm >= LS_ATTN_SOFTMAX && o.norm <= LS_ATTN_L2;
    for (int64_t b = 0; ok && o.kv_len && b < q->d[0]; b++)
        if (o.kv_len[b] < 1 || o.kv_len[b] > q->d[1])
            return ls__fail(ctx, "ls_attention: kv_len[%lld] = %d is outside 1..%lld", (long long)b, (int)o.kv_len[b], (long long)q->d[1]);
    for (int i = 1; ok && i < 5; i++)
        if (t[i]) ok = t[i]->nd == 3 && t[i]->d[0] == q->d[0] && t[i]->d[1] == q->d[1] && t[i]->d[2] == q->d[2];
    if (!ok)
        return ls__fail(ctx, "ls_attention: q %s, k %s, v %s must share one (B, T, H*D) shape with H = %lld and valid options",
                        ls__shp(q), ls__shp(k), ls__shp(v), (long long)H);
    int64_t B = q->d[0], T = q->d[1], D = q->d[2] / H;
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(q));
    ls_node *n = ls__record_n(ctx, LS_OP_ATTENTION, out, o.kerple ? 6 : 5, t);
    ls__attn_saved *sv = (ls__attn_saved *)ls_arena_alloc(&ctx->arena, sizeof *sv);
    memset(sv, 0, sizeof *sv);
    ls__attn_cfg *c = &sv->cfg;
    c->B = B; c->T = T; c->H = H; c->D = D;
    c->causal = o.causal;
    c->scale = o.scale > 0 ? o.scale : 1.0f / sqrtf((float)D);
    if (o.alibi) { sv->alibi = ls__floats(ctx, H); memcpy(sv->alibi, o.alibi, (size_t)H * sizeof(float)); }
    if (o.row_scale) { sv->row_scale = ls__floats(ctx, T); memcpy(sv->row_scale, o.row_scale, (size_t)T * sizeof(float)); }
    if (o.kv_len) { sv->kv_len = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)B * sizeof(int32_t)); memcpy(sv->kv_len, o.kv_len, (size_t)B * sizeof(int32_t)); }
    c->alibi = sv->alibi; c->row_scale = sv->row_scale; c->kv_len = sv->kv_len; c->TK = T;
    c->window = o.window; c->sinks = o.sinks; c->dual_w = o.dual_w; c->norm = o.norm;
    if (o.kerple) {   /* filled by the forward from the input's values */
        c->kbn = T + LS__ATTN_T;
        sv->kr = ls__floats(ctx, 2 * H);
        sv->kb = ls__floats(ctx, H * c->kbn);
        c->kr = sv->kr; c->kb = sv->kb;
    }
    n->opt = sv;
    n->saved[0] = ls__floats(ctx, B * H * T);
    ls__run(ctx, n);
    return out;
}

/* --- DWCONV: depthwise convolution over time with per-head kernels, lightweight or dynamic ---
   Wu, Fan, Baevski, Dauphin, Auli 2019, "Pay Less Attention with Lightweight and Dynamic
   Convolutions", arXiv:1901.10430. Channel c of x (B, T, C = H D) belongs to head h = c / D; all D
   channels of a head share one kernel of K taps, w[h, k] (lightweight: the same at every position)
   or w[b, t, h, k] (dynamic: predicted per position). Tap k reads position s = t + o - k, with
   o = 0 when causal (the K positions up to t) and o = (K - 1) / 2 otherwise (centred):
       y[b, t, c]          = sum_k w[(b, t,) h, k] x[b, t + o - k, c]        (x = 0 outside 0..T-1)
       dx[b, s, c]         = sum_k w[(b, t,) h, k] dy[b, t, c]                at t = s - o + k
       dw[(b, t,) h, k]    = sum_{c of head h} dy[b, t, c] x[b, t + o - k, c]
   The shared kernel's gradient sums the per-position terms over (b, t) in order (ls__colsum_add),
   so the bits do not depend on the thread count. O(B T C K) both ways; nothing is saved. */

static void ls__dwconv_forward(ls_ctx *ctx, ls_node *n) {
    (void)ctx;
    const ls_tensor *X = n->in[0], *W = n->in[1];
    int64_t T = X->d[1], C = X->d[2], H = n->i[0], D = C / H, K = W->d[W->nd - 1], o = n->i[1];
    int64_t wstep = W->nd == 4 ? H * K : 0;   /* dynamic: each position's own kernels */
    LS__PAR_FOR(X->d[0] * T, (double)K * C)
    for (int64_t r = 0; r < X->d[0] * T; r++) {
        int64_t b = r / T, t = r % T;
        const float *w = W->x + r * wstep;
        float *y = n->out->x + r * C;
        for (int64_t c = 0; c < C; c++) y[c] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            int64_t s = t + o - k;
            if (s < 0 || s >= T) continue;
            const float *xs = X->x + (b * T + s) * C;
            for (int64_t h = 0; h < H; h++) {   /* a head at a time: the loop over its channels vectorises */
                const float wk = w[h * K + k];
                for (int64_t c = h * D; c < (h + 1) * D; c++) y[c] += wk * xs[c];
            }
        }
    }
}

static void ls__dwconv_backward(ls_ctx *ctx, ls_node *n) {
    const ls_tensor *X = n->in[0], *W = n->in[1];
    int64_t R = X->d[0] * X->d[1], T = X->d[1], C = X->d[2], H = n->i[0], D = C / H;
    int64_t K = W->d[W->nd - 1], o = n->i[1], wstep = W->nd == 4 ? H * K : 0;
    const float *dy = n->out->g;
    float *dx = ls__grad(n->in[0]), *dw = ls__grad(n->in[1]);
    /* per-position kernel gradients: dw itself when dynamic, else rows summed into dw below */
    float *dwr = dw && !wstep ? ls__floats(ctx, R * H * K) : dw;
    LS__PAR_FOR(R, 2.0 * (double)K * C)
    for (int64_t r = 0; r < R; r++) {
        int64_t b = r / T, t = r % T;
        for (int64_t k = 0; k < K; k++) {
            int64_t s = t + o - k, u = t - o + k;   /* y[t] reads x[s]; x[t] feeds y[u] */
            if (dx && u >= 0 && u < T) {
                const float *w = W->x + (b * T + u) * wstep, *g = dy + (b * T + u) * C;
                for (int64_t h = 0; h < H; h++) {
                    const float wk = w[h * K + k];
                    for (int64_t c = h * D; c < (h + 1) * D; c++) dx[r * C + c] += wk * g[c];
                }
            }
            for (int64_t h = 0; dwr && h < H; h++) {
                float acc = 0.0f;
                if (s >= 0 && s < T)
                    for (int64_t c = h * D; c < (h + 1) * D; c++) acc += dy[r * C + c] * X->x[(b * T + s) * C + c];
                if (wstep) dwr[r * H * K + h * K + k] += acc;
                else dwr[r * H * K + h * K + k] = acc;
            }
        }
    }
    if (dw && !wstep) ls__colsum_add(dw, dwr, R, H * K);
}

LS_API ls_tensor *ls_dwconv(ls_ctx *ctx, ls_tensor *x, ls_tensor *w, int64_t H, int causal) {
    if (!x || !w) return NULL;
    int ok = x->nd == 3 && H >= 1 && x->d[2] % H == 0 && (w->nd == 2 || w->nd == 4) && w->d[w->nd - 1] >= 1;
    if (ok && w->nd == 2) ok = w->d[0] == H;
    if (ok && w->nd == 4) ok = w->d[0] == x->d[0] && w->d[1] == x->d[1] && w->d[2] == H;
    if (!ok)
        return ls__fail(ctx, "ls_dwconv: x %s, w %s, H %lld: need x (B, T, H*D) and w (H, K) or (B, T, H, K)",
                        ls__shp(x), ls__shp(w), (long long)H);
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_DWCONV, out, 2, x, w, NULL, NULL);
    n->i[0] = H;
    n->i[1] = causal ? 0 : (w->d[w->nd - 1] - 1) / 2;
    ls__run(ctx, n);
    return out;
}

/* --- S5: x (B, T, 2P) as [re | im] per step, log_neg_re, lambda_im, log_dt (P) -> h (B, T, 2P) ---
   Smith, Warrington, Linderman 2023, "Simplified State Space Layers for Sequence Modeling" (ICLR):
   one diagonal state of P complex modes shared by all d channels
   (MIMO), where S4D runs one SISO SSM per channel, with a step dt per state. The model applies B
   (d -> P complex, a real (d, 2P) linear) before the scan and C after it, so the op is the
   recurrence alone. Per state n:
       Lambda = -exp(log_neg_re) + i lambda_im,  dt = exp(log_dt),  Abar = exp(Lambda dt),
       gamma = (Abar - 1) / Lambda                       (zero-order hold: Bbar = gamma B)
       h_t = Abar h_{t-1} + gamma x_t,  h_{-1} = 0       (reverse: t = T-1 down to 0, h_T = 0)
   Backward (complex gradients g = dL/dRe + i dL/dIm, as for S4D and LRU), against scan order:
       a_t = dh_t + conj(Abar) a_{t+1}                   (a past the scan's last step = 0)
       dx_t = conj(gamma) a_t
       g_Abar = sum a_t conj(h_{t-1}),  g_gamma = sum a_t conj(x_t)
       g_Lambda = g_Abar conj(dt Abar) + g_gamma conj((dt Abar - gamma) / Lambda)
       dL/ddt = Re(conj(g_Abar) Lambda Abar) + Re(conj(g_gamma) Abar)
       dlog_neg_re = -exp(log_neg_re) Re(g_Lambda),  dlambda_im = Im(g_Lambda),  dlog_dt = dt dL/ddt
   Abar - 1 is formed as expm1(w_re) cos(w_im) - 2 sin^2(w_im / 2) + i exp(w_re) sin(w_im), w = Lambda dt,
   so gamma keeps its digits when |w| is small. The paper computes the recurrence with a parallel
   (associative) scan; on CPU threads this is the LRU scan's O(B T P) sequential loop (6B.6) with its
   work split: (batch, block of LS__S5_BLOCK states), never over time; coefficients in double, the
   step in float; the per-(b, n) sums in double, added over b in order, so the bits do not depend on
   the thread count. Nothing is saved: the backward reads the output h. */

#define LS__S5_BLOCK 64

typedef struct ls__s5_coef { double ar, ai, gr, gi, lr, li, dt; } ls__s5_coef;   /* Abar, gamma, Lambda, dt */

static void ls__s5_coeffs(int64_t P, const float *lnr, const float *lim, const float *ldt, ls__s5_coef *cf) {
    for (int64_t n = 0; n < P; n++) {
        const double lr = -exp((double)lnr[n]), li = (double)lim[n], dt = exp((double)ldt[n]);
        const double wr = lr * dt, wi = li * dt, e = exp(wr), s = sin(0.5 * wi);
        const double ar = e * cos(wi), ai = e * sin(wi);
        const double mr = expm1(wr) * cos(wi) - 2.0 * s * s, mi = ai;   /* Abar - 1 */
        const double den = lr * lr + li * li;                            /* lr < 0: never 0 */
        cf[n].ar = ar; cf[n].ai = ai; cf[n].lr = lr; cf[n].li = li; cf[n].dt = dt;
        cf[n].gr = (mr * lr + mi * li) / den;                            /* (Abar - 1) conj(Lambda) / |Lambda|^2 */
        cf[n].gi = (mi * lr - mr * li) / den;
    }
}

static void ls__s5_forward(ls_ctx *ctx, ls_node *n) {
    enum { NB = LS__S5_BLOCK };
    const ls_tensor *X = n->in[0];
    const int64_t B = X->d[0], T = X->d[1], P = X->d[2] / 2, rev = n->i[0], nblk = (P + NB - 1) / NB;
    ls__s5_coef *cf = (ls__s5_coef *)ls__scratch(ctx, sizeof(ls__s5_coef) * (size_t)P);
    ls__s5_coeffs(P, n->in[1]->x, n->in[2]->x, n->in[3]->x, cf);
    float *out = n->out->x;
    LS__PAR_FOR(B * nblk, (double)T * NB * 8.0)
    for (int64_t task = 0; task < B * nblk; task++) {
        const int64_t b = task / nblk, n0 = (task % nblk) * NB, nw = P - n0 < NB ? P - n0 : (int64_t)NB;
        float ar[NB], ai[NB], gr[NB], gi[NB], hr[NB], hi[NB];
        for (int64_t j = 0; j < nw; j++) {
            ar[j] = (float)cf[n0 + j].ar; ai[j] = (float)cf[n0 + j].ai;
            gr[j] = (float)cf[n0 + j].gr; gi[j] = (float)cf[n0 + j].gi;
            hr[j] = hi[j] = 0.0f;
        }
        for (int64_t s = 0; s < T; s++) {
            const int64_t t = rev ? T - 1 - s : s, at = (b * T + t) * 2 * P + n0;
            const float *x = X->x + at;   /* re x[j], im x[P + j] */
            float *h = out + at;
            for (int64_t j = 0; j < nw; j++) {
                const float ur = gr[j] * x[j] - gi[j] * x[P + j], ui = gr[j] * x[P + j] + gi[j] * x[j];
                const float nr = ar[j] * hr[j] - ai[j] * hi[j] + ur, ni = ar[j] * hi[j] + ai[j] * hr[j] + ui;
                hr[j] = nr; hi[j] = ni;
                h[j] = nr; h[P + j] = ni;
            }
        }
    }
}

static void ls__s5_backward(ls_ctx *ctx, ls_node *n) {
    enum { NB = LS__S5_BLOCK };
    const ls_tensor *X = n->in[0];
    const int64_t B = X->d[0], T = X->d[1], P = X->d[2] / 2, rev = n->i[0], nblk = (P + NB - 1) / NB;
    float *dx = ls__grad(n->in[0]), *dlnr = ls__grad(n->in[1]), *dlim = ls__grad(n->in[2]), *dldt = ls__grad(n->in[3]);
    const int want_p = dlnr || dlim || dldt;
    if (!want_p && !dx) return;
    char *work = (char *)ls__scratch(ctx, sizeof(ls__s5_coef) * (size_t)P + sizeof(double) * (size_t)(4 * B * P));
    ls__s5_coef *cf = (ls__s5_coef *)work;
    double *part = (double *)(work + sizeof(ls__s5_coef) * (size_t)P);   /* g_Abar re, im, g_gamma re, im (4, B, P) */
    ls__s5_coeffs(P, n->in[1]->x, n->in[2]->x, n->in[3]->x, cf);
    const float *Hx = n->out->x, *DH = n->out->g;
    LS__PAR_FOR(B * nblk, (double)T * NB * 16.0)
    for (int64_t task = 0; task < B * nblk; task++) {
        const int64_t b = task / nblk, n0 = (task % nblk) * NB, nw = P - n0 < NB ? P - n0 : (int64_t)NB;
        float ar[NB], ai[NB], gr[NB], gi[NB], qr[NB], qi[NB];
        double sar[NB], sai[NB], sgr[NB], sgi[NB];
        for (int64_t j = 0; j < nw; j++) {
            ar[j] = (float)cf[n0 + j].ar; ai[j] = (float)cf[n0 + j].ai;
            gr[j] = (float)cf[n0 + j].gr; gi[j] = (float)cf[n0 + j].gi;
            qr[j] = qi[j] = 0.0f;
            sar[j] = sai[j] = sgr[j] = sgi[j] = 0.0;
        }
        for (int64_t s = T - 1; s >= 0; s--) {
            const int64_t t = rev ? T - 1 - s : s, at = (b * T + t) * 2 * P + n0;
            const float *g = DH + at, *x = X->x + at;
            for (int64_t j = 0; j < nw; j++) {   /* a = dh + conj(Abar) a */
                const float nr = g[j] + ar[j] * qr[j] + ai[j] * qi[j], ni = g[P + j] + ar[j] * qi[j] - ai[j] * qr[j];
                qr[j] = nr; qi[j] = ni;
            }
            if (dx)
                for (int64_t j = 0; j < nw; j++) {   /* dx = conj(gamma) a */
                    dx[at + j] += gr[j] * qr[j] + gi[j] * qi[j];
                    dx[at + P + j] += gr[j] * qi[j] - gi[j] * qr[j];
                }
            if (!want_p) continue;
            for (int64_t j = 0; j < nw; j++) {       /* g_gamma += a conj(x) */
                sgr[j] += (double)(qr[j] * x[j] + qi[j] * x[P + j]);
                sgi[j] += (double)(qi[j] * x[j] - qr[j] * x[P + j]);
            }
            if (s > 0) {                             /* g_Abar += a conj(h at the previous step) */
                const float *hp = Hx + (b * T + (rev ? t + 1 : t - 1)) * 2 * P + n0;
                for (int64_t j = 0; j < nw; j++) {
                    sar[j] += (double)(qr[j] * hp[j] + qi[j] * hp[P + j]);
                    sai[j] += (double)(qi[j] * hp[j] - qr[j] * hp[P + j]);
                }
            }
        }
        for (int64_t j = 0; want_p && j < nw; j++) {
            part[b * P + n0 + j] = sar[j]; part[(B + b) * P + n0 + j] = sai[j];
            part[(2 * B + b) * P + n0 + j] = sgr[j]; part[(3 * B + b) * P + n0 + j] = sgi[j];
        }
    }
    for (int64_t i = 0; want_p && i < P; i++) {
        double gar = 0.0, gai = 0.0, ggr = 0.0, ggi = 0.0;
        for (int64_t b = 0; b < B; b++) {
            gar += part[b * P + i]; gai += part[(B + b) * P + i];
            ggr += part[(2 * B + b) * P + i]; ggi += part[(3 * B + b) * P + i];
        }
        const ls__s5_coef c = cf[i];
        const double den = c.lr * c.lr + c.li * c.li;
        const double pr = c.dt * c.ar - c.gr, pi = c.dt * c.ai - c.gi;             /* dt Abar - gamma */
        const double vr = (pr * c.lr + pi * c.li) / den, vi = (pi * c.lr - pr * c.li) / den;   /* ... / Lambda */
        const double glr = c.dt * (gar * c.ar + gai * c.ai) + ggr * vr + ggi * vi;  /* g_Lambda */
        const double gli = c.dt * (gai * c.ar - gar * c.ai) + ggi * vr - ggr * vi;
        const double lar = c.lr * c.ar - c.li * c.ai, lai = c.lr * c.ai + c.li * c.ar;   /* Lambda Abar */
        const double gdt = gar * lar + gai * lai + ggr * c.ar + ggi * c.ai;
        if (dlnr) dlnr[i] += (float)(glr * c.lr);   /* dRe(Lambda)/dlog_neg_re = Re(Lambda) */
        if (dlim) dlim[i] += (float)gli;
        if (dldt) dldt[i] += (float)(c.dt * gdt);
    }
}

LS_API ls_tensor *ls_s5_scan(ls_ctx *ctx, ls_tensor *x, ls_tensor *log_neg_re, ls_tensor *lambda_im,
                             ls_tensor *log_dt, int reverse) {
    if (!x || !log_neg_re || !lambda_im || !log_dt) return NULL;
    int ok = x->nd == 3 && log_neg_re->nd == 1 && x->d[2] == 2 * log_neg_re->d[0];
    ok = ok && lambda_im->nd == 1 && log_dt->nd == 1 && lambda_im->d[0] == log_neg_re->d[0] && log_dt->d[0] == log_neg_re->d[0];
    if (!ok)
        return ls__fail(ctx, "ls_s5_scan: x %s must be (B, T, 2P) for log_neg_re %s, lambda_im %s and log_dt %s (P)",
                        ls__shp(x), ls__shp(log_neg_re), ls__shp(lambda_im), ls__shp(log_dt));
    ls_tensor *out = ls__out(ctx, ls_tensor_shape(x));
    ls_node *n = ls__record(ctx, LS_OP_S5, out, 4, x, log_neg_re, lambda_im, log_dt);
    n->i[0] = reverse ? 1 : 0;
    ls__run(ctx, n);
    return out;
}

/* --- EMA: alpha_raw, delta_raw, beta, eta (C, h) -> K (C, T) ---
   Ma, Zhou, Kong, He, Gui, Neubig, May, Zettlemoyer 2023, "Mega: Moving Average Equipped Gated
   Attention" (ICLR), the multi-dimensional damped EMA: channel c is expanded to h
   dimensions by beta, each runs a damped EMA, and eta projects them back:
       u_t^(j) = beta_j x_t,  s_t^(j) = alpha_j u_t^(j) + (1 - alpha_j delta_j) s_{t-1}^(j),
       y_t = r sum_j eta_j s_t^(j),   alpha = sigmoid(alpha_raw), delta = sigmoid(delta_raw) in (0, 1),
   r = h^-1/2 (the released code's scale on eta). Unrolled, y = K * x, a causal convolution with
       K[c, t] = r sum_j w_j q_j^t,   w_j = eta_j alpha_j beta_j,  q_j = 1 - alpha_j delta_j,
   which the op builds (as the released code does) and ls_fftconv applies, as for S4D's kernel.
   Backward, with dK (C, T), S0_j = sum_t dK[t] q_j^t and S1_j = sum_t t dK[t] q_j^(t-1):
       deta = r alpha beta S0,  dbeta = r eta alpha S0,
       dalpha = r eta beta S0 - r w delta S1,  ddelta = -r w alpha S1,
       dalpha_raw = dalpha alpha (1 - alpha),  ddelta_raw = ddelta delta (1 - delta).
   q^t by repeated multiplication in double (0 < q < 1: it only decays), sums over t in double in
   order, parallel over channels (each thread its slice of the scratch). O(C h T) both ways. */

static double ls__sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

/* per (c, j): w_j and q_j of channel c (work: 2 h doubles) */
static void ls__ema_coeffs(const ls_node *n, int64_t c, double *w, double *q) {
    const int64_t h = n->in[0]->d[1];
    const double r = 1.0 / sqrt((double)h);
    for (int64_t j = 0; j < h; j++) {
        const int64_t i = c * h + j;
        const double a = ls__sigmoid_d((double)n->in[0]->x[i]), dl = ls__sigmoid_d((double)n->in[1]->x[i]);
        w[j] = r * (double)n->in[3]->x[i] * a * (double)n->in[2]->x[i];
        q[j] = 1.0 - a * dl;
    }
}

static void ls__ema_forward(ls_ctx *ctx, ls_node *n) {
    const int64_t C = n->in[0]->d[0], h = n->in[0]->d[1], T = n->out->d[1];
    double *work = (double *)ls__scratch(ctx, sizeof(double) * (size_t)(ls_get_threads() * 3 * h));
    LS__PAR_FOR(C, (double)T * h * 2.0)
    for (int64_t c = 0; c < C; c++) {
        double *w = work + ls__thread_num() * 3 * h, *q = w + h, *pw = q + h;
        ls__ema_coeffs(n, c, w, q);
        for (int64_t j = 0; j < h; j++) pw[j] = 1.0;
        for (int64_t t = 0; t < T; t++) {
            double acc = 0.0;
            for (int64_t j = 0; j < h; j++) { acc += w[j] * pw[j]; pw[j] *= q[j]; }
            n->out->x[c * T + t] = (float)acc;
        }
    }
}

static void ls__ema_backward(ls_ctx *ctx, ls_node *n) {
    const int64_t C = n->in[0]->d[0], h = n->in[0]->d[1], T = n->out->d[1];
    float *da = ls__grad(n->in[0]), *dd = ls__grad(n->in[1]), *db = ls__grad(n->in[2]), *de = ls__grad(n->in[3]);
    if (!da && !dd && !db && !de) return;
    const double r = 1.0 / sqrt((double)h);
    double *work = (double *)ls__scratch(ctx, sizeof(double) * (size_t)(ls_get_threads() * 6 * h));
    const float *dK = n->out->g;
    LS__PAR_FOR(C, (double)T * h * 4.0)
    for (int64_t c = 0; c < C; c++) {
        double *w = work + ls__thread_num() * 6 * h, *q = w + h, *pw = q + h, *pm = pw + h, *s0 = pm + h, *s1 = s0 + h;
        ls__ema_coeffs(n, c, w, q);
        for (int64_t j = 0; j < h; j++) { pw[j] = 1.0; pm[j] = 0.0; s0[j] = s1[j] = 0.0; }
        for (int64_t t = 0; t < T; t++) {   /* pw = q^t, pm = q^(t-1) */
            const double g = (double)dK[c * T + t];
            for (int64_t j = 0; j < h; j++) {
                s0[j] += g * pw[j];
                s1[j] += (double)t * g * pm[j];
                pm[j] = pw[j]; pw[j] *= q[j];
            }
        }
        for (int64_t j = 0; j < h; j++) {
            const int64_t i = c * h + j;
            const double a = ls__sigmoid_d((double)n->in[0]->x[i]), dl = ls__sigmoid_d((double)n->in[1]->x[i]);
            const double be = (double)n->in[2]->x[i], et = (double)n->in[3]->x[i];
            if (de) de[i] += (float)(r * a * be * s0[j]);
            if (db) db[i] += (float)(r * et * a * s0[j]);
            if (da) da[i] += (float)((r * et * be * s0[j] - w[j] * dl * s1[j]) * a * (1.0 - a));
            if (dd) dd[i] += (float)(-w[j] * a * s1[j] * dl * (1.0 - dl));
        }
    }
}

LS_API ls_tensor *ls_ema_kernel(ls_ctx *ctx, ls_tensor *alpha_raw, ls_tensor *delta_raw, ls_tensor *beta,
                                ls_tensor *eta, int64_t T) {
    if (!alpha_raw || !delta_raw || !beta || !eta) return NULL;
    ls_tensor *in[4];
    in[0] = alpha_raw; in[1] = delta_raw; in[2] = beta; in[3] = eta;
    int ok = T >= 1 && alpha_raw->nd == 2;
    for (int k = 1; ok && k < 4; k++) ok = in[k]->nd == 2 && in[k]->d[0] == alpha_raw->d[0] && in[k]->d[1] == alpha_raw->d[1];
    if (!ok)
        return ls__fail(ctx, "ls_ema_kernel: alpha_raw %s, delta_raw %s, beta %s, eta %s must share one shape (C, h); T %lld >= 1",
                        ls__shp(alpha_raw), ls__shp(delta_raw), ls__shp(beta), ls__shp(eta), (long long)T);
    ls_tensor *out = ls__out(ctx, ls_shape2(alpha_raw->d[0], T));
    ls_node *n = ls__record_n(ctx, LS_OP_EMA, out, 4, in);
    ls__run(ctx, n);
    return out;
}

/* =============================================================================================
   6D. Training stack: parameters, AdamW, checkpoints, models, training, gradient check, command line
   ============================================================================================= */

/* ---------------------------------------------------------------------------------------------
   6D.1 parameters
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

LS_API void ls_params_zero_grad(ls_params *P) { ls__zero_par(P->g, P->n); }

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
   6D.2 AdamW, schedules, clipping
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
    /* one parallel loop over fixed 4096-element chunks of the parameter buffer (a region per tensor
       ran the many small ones serially); a chunk updates the parts of the tensors it covers, each
       with its tensor's group. Tensors sit in the buffer in creation order, so the first one a
       chunk covers is found by bisection. No allocation. */
    const int64_t CH = 4096, nch = (P->n + CH - 1) / CH;
    LS__PAR_FOR(nch, (double)CH * 8)
    for (int64_t c = 0; c < nch; c++) {
        const int64_t c0 = c * CH, c1 = c0 + CH < P->n ? c0 + CH : P->n;
        int lo = 0, hi = P->nt;   /* first tensor ending after c0 */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if ((P->t[mid]->x - P->x) + P->t[mid]->n <= c0) lo = mid + 1; else hi = mid;
        }
        for (int k = lo; k < P->nt && P->t[k]->x - P->x < c1; k++) {
            const ls_tensor *t = P->t[k];
            const int64_t off = t->x - P->x, i0 = (c0 > off ? c0 : off) - off;
            const int64_t i1 = (c1 < off + t->n ? c1 : off + t->n) - off;
            float lr = o->group[t->group].lr * lr_scale, decay = 1.0f - lr * o->group[t->group].wd;
            float *p = t->x, *m = o->m + off, *v = o->v + off;
            const float *g = t->g;
            for (int64_t i = i0; i < i1; i++) {
                m[i] = b1 * m[i] + (1.0f - b1) * g[i];
                v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
                p[i] = p[i] * decay - lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + eps);
            }
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

LS_API double ls_grad_norm(const ls_params *P) { return sqrt(ls__sum_fixed(P->g, P->n, 1)); }

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
   6D.3 checkpoints (format documented at ls_checkpoint_save's declaration)
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

/* A file-size limit (ulimit -f) makes the kernel send SIGXFSZ to a write that crosses it, and its
   default action kills the process without a word, mid-checkpoint. While longseq writes a file the
   signal is ignored, so the write fails with EFBIG and the caller gets an error naming the file;
   the program's own disposition is restored after. */
typedef struct ls__xfsz {
#ifdef LS__POSIX
    struct sigaction old;
    int saved;
#else
    int unused;
#endif
} ls__xfsz;

static void ls__xfsz_begin(ls__xfsz *s) {
#ifdef LS__POSIX
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    s->saved = sigaction(SIGXFSZ, &ign, &s->old) == 0;
#else
    (void)s;
#endif
}

static void ls__xfsz_end(ls__xfsz *s) {
#ifdef LS__POSIX
    if (s->saved) sigaction(SIGXFSZ, &s->old, NULL);
#else
    (void)s;
#endif
}

/* the reason a write failed, with the likely cause of EFBIG */
static const char *ls__write_why(int e) {
#ifdef EFBIG
    if (e == EFBIG) return "File too large (a file-size limit: see ulimit -f)";
#endif
    return strerror(e);
}

/* opens a regular file for reading; a FIFO or a device named like a checkpoint would block the open
   or never end the read, so it is refused (opened without blocking, checked, then read) */
static FILE *ls__open_regular(const char *path, char *err) {
#ifdef LS__POSIX
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) { ls__seterr(err, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    struct stat sb;
    int fl = -1;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        ls__seterr(err, "%s: not a regular file (a directory, FIFO or device cannot be a checkpoint)", path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) { ls__seterr(err, "%s: cannot open: %s", path, strerror(errno)); close(fd); }
    return f;
#else
    FILE *f = fopen(path, "rb");
    if (!f) ls__seterr(err, "%s: cannot open: %s", path, strerror(errno));
    return f;
#endif
}

LS_API int ls_write_file(const char *path, const void *data, size_t n, char *err) {
    size_t plen = strlen(path);
    char *tmp = (char *)ls__xmalloc(plen + 5);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) { ls__seterr(err, "%s: cannot create: %s", tmp, strerror(errno)); LS_FREE(tmp); return -1; }
    ls__xfsz guard;
    ls__xfsz_begin(&guard);
    int ok = fwrite(data, 1, n, f) == n && fflush(f) == 0, e = ok ? 0 : errno;   /* the first failure's reason */
#ifdef LS__POSIX
    if (ok && fsync(fileno(f)) != 0) { ok = 0; e = errno; }
#endif
    if (fclose(f) != 0 && ok) { ok = 0; e = errno; }
    ls__xfsz_end(&guard);
    if (ok && rename(tmp, path) != 0) { ok = 0; e = errno; }
    if (!ok) {
        ls__seterr(err, "%s: write failed: %s", path, ls__write_why(e));
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
    int rc = ls_write_file(path, b.p, b.n, err);
    LS_FREE(b.p);
    return rc;
}

/* Reads the whole file, then validates it in two passes: the first checks every name and shape
   against P without touching it, the second copies. A refused file leaves P and opt unchanged. */
LS_API int ls_checkpoint_load(const char *path, ls_params *P, ls_adamw *opt, int mode,
                              void *meta, size_t meta_cap, size_t *meta_len, char *err) {
    FILE *f = ls__open_regular(path, err);
    if (!f) return -1;
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
    unsigned char *seen = NULL;   /* parameters found in the file */
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
        seen = (unsigned char *)ls__xmalloc((size_t)P->nt + 1);   /* each parameter once: strict means exact */
        memset(seen, 0, (size_t)P->nt + 1);
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
                if (pass == 0) {
                    int idx = 0;
                    while (idx < P->nt && P->t[idx] != t) idx++;
                    if (seen[idx]++) { ls__seterr(err, "%s: tensor '%s' appears twice", path, name); goto done; }
                    r.pos += (size_t)cnt * 4 * (size_t)per;
                    continue;
                }
                ls__get_f32s(&r, t->x, t->n);
                if (with_opt) {
                    int64_t off = t->x - P->x;
                    if (opt && opt->n >= P->n) { ls__get_f32s(&r, opt->m + off, t->n); ls__get_f32s(&r, opt->v + off, t->n); }
                    else r.pos += (size_t)t->n * 8;
                }
            }
            if (pass == 0) {
                int missing = 0;
                while (missing < P->nt && seen[missing]) missing++;
                if (mode == LS_CKPT_STRICT && missing < P->nt) {
                    ls__seterr(err, "%s: holds %d of the model's %d parameters; '%s' is missing", path, matched, P->nt,
                               P->t[missing]->name ? P->t[missing]->name : "?");
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
    LS_FREE(seen);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
   6D.4 models
   --------------------------------------------------------------------------------------------- */

struct ls__layer {
    ls_tensor *ln1_g, *ln1_b, *ln2_g, *ln2_b;            /* (d) */
    ls_tensor *wq, *wk, *wv, *wo, *bq, *bk, *bv, *bo;    /* attention (d, d), (d) */
    ls_tensor *w1, *b1, *w2, *b2;                        /* FFN (d, F), (F), (F, d), (d) */
    ls_tensor *mix;                                      /* Mixer token mixing (max_len, max_len) */
    ls_tensor *ssm[2][5];                                /* S4D log_dt (d), log_a_re, a_im, c_re, c_im (d, N/2);
                                                            [1] = the anti-causal kernel */
    ls_tensor *skip;                                     /* SSM D (d) */
    ls_tensor *nu_log, *theta_log, *wb, *wc;             /* LRU (N), (N), (d, 2N), (2N, d) */
    ls_tensor *wout, *bout;                              /* SSM output (d, d or 2d), (d or 2d) */
    ls_tensor *kerple;                                   /* KERPLE raw (2, H): softplus gives r1, r2 */
    ls_tensor *cv_win, *cv_bin, *cv_k, *cv_wk, *cv_bk;   /* convolution: (d, 2d), (2d); (H, K) light or
                                                            (d, H K), (H K) dynamic; output wo, bo */
    ls_tensor *router, *ex[LS_SWITCH_MAX][4];            /* Switch: router (d, E); expert e's w1, b1, w2, b2 */
    ls_tensor *s5[3], *wc_rev;                           /* S5 log_neg_re, lambda_im, log_dt (P); reverse C (2P, d)
                                                            (B and C: wb, wc) */
    ls_tensor *ema[2][4], *omega;                        /* MEGA EMA alpha, delta, beta, eta (d, h), [1] reverse;
                                                            omega (d) */
    ls_tensor *mg_wv, *mg_bv, *mg_wmx, *mg_bmx, *mg_qk[4], *mg_wh, *mg_bh;   /* MEGA (d, 2d), (2d); (d, 4d + z),
                                                            (4d + z); kappa_q, mu_q, kappa_k, mu_k (z); (2d, d), (d) */
};

LS_API const char *ls_arch_name(int arch) {
    static const char *names[LS_ARCH_COUNT] = {"transformer", "s4d", "lru", "linear-attention", "mixer", "universal",
                                               "lightconv", "dynconv", "s5", "mega",
                                               "funnel"};
    return arch >= 0 && arch < LS_ARCH_COUNT ? names[arch] : "?";
}

LS_API ls_config ls_config_default(int arch, int vocab, int64_t max_len) {
    ls_config c;
    memset(&c, 0, sizeof c);
    c.arch = arch; c.vocab = vocab; c.max_len = max_len;
    c.d_model = 64; c.n_layers = 2; c.n_heads = 4; c.d_ffn = 256;
    c.pos = (arch == LS_ARCH_S4D || arch == LS_ARCH_LRU || arch == LS_ARCH_S5 || arch == LS_ARCH_MEGA) ? LS_POS_NONE
                                                                                                  : LS_POS_SINUSOIDAL;
    c.norm = LS_NORM_PRE;
    c.train_len = max_len;
    c.rope_base = 10000.0f;
    c.yarn_alpha = 1.0f; c.yarn_beta = 32.0f;
    c.d_state = arch == LS_ARCH_MEGA ? 16 : 64;   /* MEGA: the paper's h = 16 */
    if (arch == LS_ARCH_LIGHTCONV || arch == LS_ARCH_DYNCONV) c.conv_k = 7;
    c.ssm_init = LS_SSM_INIT_LIN;
    c.dt_min = 1e-3f; c.dt_max = 1e-1f;
    c.r_min = 0.9f; c.r_max = 0.999f;
    c.head = LS_HEAD_CLASSIFY; c.n_classes = 2; c.pool = LS_POOL_MEAN;
    return c;
}

LS_API void ls_deepnorm_constants(int n_layers, float *alpha, float *beta) {
    *alpha = (float)pow(2.0 * n_layers, 0.25);
    *beta = (float)pow(8.0 * n_layers, -0.25);
}

LS_API float ls_admin_omega(int n_layers) {
    double n = 2.0 * n_layers;
    return (float)sqrt((n + 1.0) / log(n + 1.0) - 1.0);
}

LS_API void ls_alibi_slopes(float *m, int64_t H) {
    for (int64_t h = 1; h <= H; h++) m[h - 1] = (float)pow(2.0, -8.0 * (double)h / (double)H);
}

static ls_tensor *ls__p(ls_model *m, int layer, const char *name, ls_shape s, int group) {
    char full[96];
    if (layer >= 0) snprintf(full, sizeof full, "layer%d.%s", layer, name);
    else snprintf(full, sizeof full, "%s", name);
    return ls_param(&m->P, full, s, group);
}

/* Xavier normal, std = gain sqrt(2 / (fan_in + fan_out)) */
static void ls__xavier(ls_tensor *w, ls_rng *r, float gain) {
    ls_init_normal(w, r, gain * sqrtf(2.0f / (float)(w->d[0] + w->d[1])));
}

static float ls__uniform_cb(void *rng) { return ls_rng_float((ls_rng *)rng); }

static void ls__ssm_init(ls_model *m, ls_tensor **p, ls_rng *r) {
    const ls_config *c = &m->cfg;
    int kind = c->ssm_init == LS_SSM_INIT_RANDOM ? LS__S4D_INIT_RANDOM : c->ssm_init == LS_SSM_INIT_INV ? LS__S4D_INIT_INV : LS__S4D_INIT_LIN;
    ls__s4d_init(kind, c->d_model, c->d_state / 2, c->dt_min, c->dt_max, ls__uniform_cb, r, p[0]->x, p[1]->x, p[2]->x,
                 p[3]->x, p[4]->x);
}

/* HWFA's configuration rules (LS_POS_HWFA): each refusal names the value and what it breaks.
   train_len 0 means max_len, as ls_model_init applies below. */
static int ls__hwfa_check(const ls_config *c, char *err) {
    int64_t lt = c->train_len ? c->train_len : c->max_len;
    if (c->arch != LS_ARCH_TRANSFORMER) {
        ls__seterr(err, "model: HWFA needs the Transformer (arch %s): its last layer alone is full",
                   ls_arch_name(c->arch));
        return -1;
    }
    if (c->n_layers < 2) {
        ls__seterr(err, "model: HWFA needs at least 2 layers (n_layers %d): window layers, then "
                   "one full layer", c->n_layers);
        return -1;
    }
    if (c->window < 1 || c->window >= lt) {
        ls__seterr(err, "model: HWFA window %lld must be in 1..%lld (below train_len %lld, or the "
                   "window layers would be full attention in training)", (long long)c->window,
                   (long long)(lt - 1), (long long)lt);
        return -1;
    }
    if (c->logn) {
        ls__seterr(err, "model: HWFA sets log-n scaling itself (last layer only); logn %d must be 0",
                   c->logn);
        return -1;
    }
    if (c->rope_kind != LS_ROPE_PLAIN || c->rope_s > 1.0f || c->rope_pi || c->rerope_w > 0) {
        ls__seterr(err, "model: HWFA takes none of the RoPE variants (rope_kind %d, rope_s %g, "
                   "rope_pi %d, rerope_w %lld)", c->rope_kind, (double)c->rope_s, c->rope_pi,
                   (long long)c->rerope_w);
        return -1;
    }
    return 0;
}

LS_API int ls_model_init(ls_model *m, const ls_config *cfg, uint64_t seed, char *err) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    ls_config *c = &m->cfg;
    int attn = c->arch == LS_ARCH_TRANSFORMER || c->arch == LS_ARCH_LINEAR || c->arch == LS_ARCH_UNIVERSAL ||
               c->arch == LS_ARCH_FUNNEL;
    int conv = c->arch == LS_ARCH_LIGHTCONV || c->arch == LS_ARCH_DYNCONV, mega = c->arch == LS_ARCH_MEGA;
    if (c->arch < 0 || c->arch >= LS_ARCH_COUNT) { ls__seterr(err, "model: unknown architecture %d", c->arch); return -1; }
    if (c->vocab < 1 || c->d_model < 2 || c->n_layers < 1 || c->max_len < 1 || c->n_heads < 1) {
        ls__seterr(err, "model: vocab %d, d_model %d, n_layers %d, max_len %lld and n_heads %d must be positive",
                   c->vocab, c->d_model, c->n_layers, (long long)c->max_len, c->n_heads);
        return -1;
    }
    if (attn && (c->d_model % c->n_heads || (c->d_model / c->n_heads) % 2)) {
        ls__seterr(err, "model: d_model %d is not n_heads %d heads of even size", c->d_model, c->n_heads);
        return -1;
    }
    if (c->arch == LS_ARCH_S4D && (c->d_state < 2 || c->d_state % 2)) { ls__seterr(err, "model: S4D d_state %d must be even", c->d_state); return -1; }
    if ((c->arch == LS_ARCH_S4D || c->arch == LS_ARCH_LRU) && c->d_state < 1) { ls__seterr(err, "model: d_state must be positive"); return -1; }
    if ((c->arch == LS_ARCH_S5 || mega) && (c->d_state < 1 || (c->causal && c->bidirectional))) {
        ls__seterr(err, "model: %s needs d_state %d >= 1 and not both causal and bidirectional (%d, %d)",
                   ls_arch_name(c->arch), c->d_state, c->causal, c->bidirectional);
        return -1;
    }
    if (c->arch == LS_ARCH_S5 && c->ssm_init != LS_SSM_INIT_LIN && c->ssm_init != LS_SSM_INIT_INV) {
        ls__seterr(err, "model: S5 ssm_init %d: S4D-Lin or S4D-Inv", c->ssm_init);
        return -1;
    }
    if (mega && c->d_model % 2) { ls__seterr(err, "model: MEGA d_model %d must be even (z = d/2)", c->d_model); return -1; }
    if (c->arch == LS_ARCH_FUNNEL && c->n_layers < 2) {
        ls__seterr(err, "model: Funnel needs n_layers >= 2 (%d): blocks before and after the pooling", c->n_layers);
        return -1;
    }
    if (mega && (c->window < 0 || c->sinks)) {
        ls__seterr(err, "model: MEGA chunk size (window) %lld must be >= 0 (0: full attention), sinks %lld must be 0",
                   (long long)c->window, (long long)c->sinks);
        return -1;
    }
    if (c->head == LS_HEAD_CLASSIFY && c->n_classes < 2) { ls__seterr(err, "model: n_classes %d < 2", c->n_classes); return -1; }
    if (c->pos == LS_POS_ALIBI && c->arch == LS_ARCH_LINEAR) { ls__seterr(err, "model: ALiBi needs softmax attention"); return -1; }
    if (c->pos == LS_POS_KERPLE && c->arch == LS_ARCH_LINEAR) { ls__seterr(err, "model: KERPLE needs softmax attention"); return -1; }
    if (c->pos == LS_POS_XPOS && (c->rope_kind != LS_ROPE_PLAIN || c->rope_s > 1.0f || c->rope_pi || c->rerope_w > 0)) {
        ls__seterr(err, "model: xPos takes none of the RoPE variants (rope_kind, rope_s, rope_pi, rerope_w)");
        return -1;
    }
    if (c->pos == LS_POS_HWFA && ls__hwfa_check(c, err)) return -1;
    if (c->n_experts && (c->n_experts < 2 || c->n_experts > LS_SWITCH_MAX || !(attn || conv || mega || c->arch == LS_ARCH_MIXER))) {
        ls__seterr(err, "model: n_experts %d: a Switch FFN needs 2..%d experts and a model with an FFN (arch %s)",
                   c->n_experts, LS_SWITCH_MAX, ls_arch_name(c->arch));
        return -1;
    }
    if (conv && (c->conv_k < 1 || c->d_model % c->n_heads)) {
        ls__seterr(err, "model: convolution needs conv_k %d >= 1 and d_model %d a multiple of n_heads %d",
                   c->conv_k, c->d_model, c->n_heads);
        return -1;
    }
    if ((conv || mega) && c->pos != LS_POS_NONE && c->pos != LS_POS_SINUSOIDAL && c->pos != LS_POS_LEARNED) {
        ls__seterr(err, "model: position scheme %d acts inside attention; a convolution or MEGA model takes none, "
                   "sinusoidal or learned", c->pos);
        return -1;
    }
    if (!c->lm_vocab) c->lm_vocab = c->vocab;
    if (!c->train_len) c->train_len = c->max_len;
    if (!c->d_ffn) c->d_ffn = 4 * c->d_model;
    if (c->rope_base <= 0) c->rope_base = 10000.0f;

    int64_t d = c->d_model, F = c->d_ffn, N = c->d_state, D = d / c->n_heads;
    ls_rng r = ls_rng_make(seed, LS_STREAM_INIT);
    m->alpha = 1.0f; m->beta = 1.0f;
    if (c->norm == LS_NORM_DEEPNORM) ls_deepnorm_constants(c->n_layers, &m->alpha, &m->beta);
    if (c->norm == LS_NORM_ADMIN) m->alpha = ls_admin_omega(c->n_layers);

    m->embed = ls__p(m, -1, "embed", ls_shape2(c->vocab, d), LS_GROUP_NO_DECAY);
    ls_init_normal(m->embed, &r, 1.0f / sqrtf((float)d));
    if (c->pos == LS_POS_LEARNED) {
        m->pos = ls__p(m, -1, "pos", ls_shape2(c->max_len, d), LS_GROUP_NO_DECAY);
        ls_init_normal(m->pos, &r, 0.02f);
    }
    int n_stored = c->arch == LS_ARCH_UNIVERSAL ? 1 : c->n_layers;
    m->layers = (ls__layer *)ls__xmalloc((size_t)n_stored * sizeof(ls__layer));
    memset(m->layers, 0, (size_t)n_stored * sizeof(ls__layer));
    for (int l = 0; l < n_stored; l++) {
        ls__layer *L = &m->layers[l];
        L->ln1_g = ls__p(m, l, "ln1.g", ls_shape1(d), LS_GROUP_NO_DECAY);
        L->ln1_b = ls__p(m, l, "ln1.b", ls_shape1(d), LS_GROUP_NO_DECAY);
        ls_fill(L->ln1_g, 1.0f);
        if (attn || conv || mega || c->arch == LS_ARCH_MIXER) {
            L->ln2_g = ls__p(m, l, "ln2.g", ls_shape1(d), LS_GROUP_NO_DECAY);
            L->ln2_b = ls__p(m, l, "ln2.b", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls_fill(L->ln2_g, 1.0f);
        }
        if ((attn || conv || mega || c->arch == LS_ARCH_MIXER) && !c->n_experts) {
            L->w1 = ls__p(m, l, "ffn.w1", ls_shape2(d, F), LS_GROUP_DECAY);
            L->b1 = ls__p(m, l, "ffn.b1", ls_shape1(F), LS_GROUP_NO_DECAY);
            L->w2 = ls__p(m, l, "ffn.w2", ls_shape2(F, d), LS_GROUP_DECAY);
            L->b2 = ls__p(m, l, "ffn.b2", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls__xavier(L->w1, &r, m->beta);    /* DeepNorm scales v, o and both FFN weights by beta */
            ls__xavier(L->w2, &r, m->beta);
        }
        if (c->n_experts) {   /* Switch: a router, then E FFNs initialised as the dense one is */
            L->router = ls__p(m, l, "ffn.router", ls_shape2(d, c->n_experts), LS_GROUP_DECAY);
            ls__xavier(L->router, &r, 1.0f);
            for (int e = 0; e < c->n_experts; e++) {
                char nm[4][32];
                for (int k = 0; k < 4; k++) snprintf(nm[k], sizeof nm[k], "ffn.e%d.%s", e, k == 0 ? "w1" : k == 1 ? "b1" : k == 2 ? "w2" : "b2");
                L->ex[e][0] = ls__p(m, l, nm[0], ls_shape2(d, F), LS_GROUP_DECAY);
                L->ex[e][1] = ls__p(m, l, nm[1], ls_shape1(F), LS_GROUP_NO_DECAY);
                L->ex[e][2] = ls__p(m, l, nm[2], ls_shape2(F, d), LS_GROUP_DECAY);
                L->ex[e][3] = ls__p(m, l, nm[3], ls_shape1(d), LS_GROUP_NO_DECAY);
                ls__xavier(L->ex[e][0], &r, m->beta);
                ls__xavier(L->ex[e][2], &r, m->beta);
            }
        }
        if (attn) {
            ls_tensor **w[4] = {&L->wq, &L->wk, &L->wv, &L->wo}, **b[4] = {&L->bq, &L->bk, &L->bv, &L->bo};
            const char *wn[4] = {"attn.wq", "attn.wk", "attn.wv", "attn.wo"}, *bn[4] = {"attn.bq", "attn.bk", "attn.bv", "attn.bo"};
            for (int k = 0; k < 4; k++) {
                *w[k] = ls__p(m, l, wn[k], ls_shape2(d, d), LS_GROUP_DECAY);
                *b[k] = ls__p(m, l, bn[k], ls_shape1(d), LS_GROUP_NO_DECAY);
                ls__xavier(*w[k], &r, k >= 2 ? m->beta : 1.0f);
            }
            if (c->pos == LS_POS_KERPLE) {
                /* no random draw (the other parameters keep their values): r1 = 1 and r2 = the ALiBi
                   slope m_h, so near the diagonal head h starts as ALiBi (r1 r2 d = m_h d) and grows
                   only logarithmically beyond d ~ 1/m_h; stored as softplus^-1 */
                int64_t H = c->n_heads;
                L->kerple = ls__p(m, l, "attn.kerple", ls_shape2(2, H), LS_GROUP_NO_DECAY);
                float *slopes = (float *)ls__xmalloc((size_t)H * sizeof(float));
                ls_alibi_slopes(slopes, H);
                for (int64_t h = 0; h < H; h++) {
                    L->kerple->x[h] = (float)log(expm1(1.0));
                    L->kerple->x[H + h] = (float)log(expm1((double)slopes[h]));
                }
                LS_FREE(slopes);
            }
        }
        if (c->arch == LS_ARCH_MIXER) {
            L->mix = ls__p(m, l, "mix", ls_shape2(c->max_len, c->max_len), LS_GROUP_DECAY);
            ls__xavier(L->mix, &r, 1.0f);
        }
        if (conv) {   /* light kernels start at 0: softmax makes each a K-tap moving average */
            int64_t HK = (int64_t)c->n_heads * c->conv_k;
            L->cv_win = ls__p(m, l, "conv.win", ls_shape2(d, 2 * d), LS_GROUP_DECAY);
            L->cv_bin = ls__p(m, l, "conv.bin", ls_shape1(2 * d), LS_GROUP_NO_DECAY);
            ls__xavier(L->cv_win, &r, 1.0f);
            if (c->arch == LS_ARCH_LIGHTCONV) {
                L->cv_k = ls__p(m, l, "conv.kernel", ls_shape2(c->n_heads, c->conv_k), LS_GROUP_NO_DECAY);
            } else {
                L->cv_wk = ls__p(m, l, "conv.wk", ls_shape2(d, HK), LS_GROUP_DECAY);
                L->cv_bk = ls__p(m, l, "conv.bk", ls_shape1(HK), LS_GROUP_NO_DECAY);
                ls__xavier(L->cv_wk, &r, 1.0f);
            }
            L->wo = ls__p(m, l, "conv.wo", ls_shape2(d, d), LS_GROUP_DECAY);
            L->bo = ls__p(m, l, "conv.bo", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls__xavier(L->wo, &r, m->beta);
        }
        if (c->arch == LS_ARCH_S4D) {
            const char *sn[5] = {"s4d.log_dt", "s4d.log_a_re", "s4d.a_im", "s4d.c_re", "s4d.c_im"};
            for (int dir = 0; dir < (c->bidirectional ? 2 : 1); dir++) {
                for (int k = 0; k < 5; k++) {
                    char nm[40];
                    snprintf(nm, sizeof nm, "%s%s", sn[k], dir ? "_rev" : "");
                    L->ssm[dir][k] = ls__p(m, l, nm, k == 0 ? ls_shape1(d) : ls_shape2(d, N / 2), k < 3 ? LS_GROUP_SSM : LS_GROUP_NO_DECAY);
                }
                ls__ssm_init(m, L->ssm[dir], &r);
            }
        }
        if (c->arch == LS_ARCH_LRU) {
            L->nu_log = ls__p(m, l, "lru.nu_log", ls_shape1(N), LS_GROUP_SSM);
            L->theta_log = ls__p(m, l, "lru.theta_log", ls_shape1(N), LS_GROUP_SSM);
            L->wb = ls__p(m, l, "lru.wb", ls_shape2(d, 2 * N), LS_GROUP_DECAY);
            L->wc = ls__p(m, l, "lru.wc", ls_shape2(2 * N, d), LS_GROUP_DECAY);
            /* |lambda| uniform over the ring's area, phase in [0, 2 pi) */
            ls__lru_init(N, c->r_min, c->r_max, 6.2831853f, ls__uniform_cb, &r, L->nu_log->x, L->theta_log->x);
            ls_init_normal(L->wb, &r, 1.0f / sqrtf(2.0f * (float)d));
            ls_init_normal(L->wc, &r, 1.0f / sqrtf((float)N));
        }
        if (c->arch == LS_ARCH_S5) {
            /* Lambda as S4D-Lin or S4D-Inv with N2 = P modes, dt per state log-uniform; B and C normal
               (the paper's lecun-normal B and truncated-normal C, without the eigenvector change of basis) */
            const char *sn[3] = {"s5.log_neg_re", "s5.lambda_im", "s5.log_dt"};
            for (int k = 0; k < 3; k++) L->s5[k] = ls__p(m, l, sn[k], ls_shape1(N), LS_GROUP_SSM);
            const double pi = 3.14159265358979323846, lo = log((double)c->dt_min), hi = log((double)c->dt_max);
            for (int64_t n = 0; n < N; n++) {
                L->s5[0]->x[n] = (float)log(0.5);
                L->s5[1]->x[n] = c->ssm_init == LS_SSM_INIT_LIN ? (float)(pi * (double)n)
                                                                : (float)(2.0 * N / pi * (2.0 * N / (2.0 * (double)n + 1.0) - 1.0));
                L->s5[2]->x[n] = (float)(lo + (double)ls_rng_float(&r) * (hi - lo));
            }
            L->wb = ls__p(m, l, "s5.wb", ls_shape2(d, 2 * N), LS_GROUP_DECAY);
            L->wc = ls__p(m, l, "s5.wc", ls_shape2(2 * N, d), LS_GROUP_DECAY);
            ls_init_normal(L->wb, &r, 1.0f / sqrtf(2.0f * (float)d));
            ls_init_normal(L->wc, &r, 1.0f / sqrtf((float)N));
            if (c->bidirectional) {
                L->wc_rev = ls__p(m, l, "s5.wc_rev", ls_shape2(2 * N, d), LS_GROUP_DECAY);
                ls_init_normal(L->wc_rev, &r, 1.0f / sqrtf((float)N));
            }
        }
        if (mega) {
            /* the released code's initialisation: alpha_raw, delta_raw ~ N(0, 0.2^2); beta ~ N(0, 0.02^2)
               plus +1, -1, +1, ... over j; eta, omega ~ N(0, 1); kappa ~ N(0, 0.02^2), mu = 0; the
               projections Xavier here (the code: N(0, 0.02^2)), biases 0 */
            int64_t z = d / 2;
            const char *en[4] = {"mega.ema_alpha", "mega.ema_delta", "mega.ema_beta", "mega.ema_eta"};
            for (int dir = 0; dir < (c->bidirectional ? 2 : 1); dir++)
                for (int k = 0; k < 4; k++) {
                    char nm[40];
                    snprintf(nm, sizeof nm, "%s%s", en[k], dir ? "_rev" : "");
                    L->ema[dir][k] = ls__p(m, l, nm, ls_shape2(d, N), LS_GROUP_NO_DECAY);
                    ls_tensor *e = L->ema[dir][k];
                    ls_init_normal(e, &r, k < 2 ? 0.2f : k == 2 ? 0.02f : 1.0f);
                    if (k == 2)
                        for (int64_t i = 0; i < e->n; i++) e->x[i] += (i % N) % 2 ? -1.0f : 1.0f;
                }
            L->omega = ls__p(m, l, "mega.omega", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls_init_normal(L->omega, &r, 1.0f);
            L->mg_wv = ls__p(m, l, "mega.wv", ls_shape2(d, 2 * d), LS_GROUP_DECAY);
            L->mg_bv = ls__p(m, l, "mega.bv", ls_shape1(2 * d), LS_GROUP_NO_DECAY);
            ls__xavier(L->mg_wv, &r, m->beta);
            L->mg_wmx = ls__p(m, l, "mega.wmx", ls_shape2(d, 4 * d + z), LS_GROUP_DECAY);
            L->mg_bmx = ls__p(m, l, "mega.bmx", ls_shape1(4 * d + z), LS_GROUP_NO_DECAY);
            ls__xavier(L->mg_wmx, &r, 1.0f);
            const char *qn[4] = {"mega.kappa_q", "mega.mu_q", "mega.kappa_k", "mega.mu_k"};
            for (int k = 0; k < 4; k++) {
                L->mg_qk[k] = ls__p(m, l, qn[k], ls_shape1(z), LS_GROUP_NO_DECAY);
                if (k % 2 == 0) ls_init_normal(L->mg_qk[k], &r, 0.02f);
            }
            L->mg_wh = ls__p(m, l, "mega.wh", ls_shape2(2 * d, d), LS_GROUP_DECAY);
            L->mg_bh = ls__p(m, l, "mega.bh", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls__xavier(L->mg_wh, &r, m->beta);
        }
        if (c->arch == LS_ARCH_S4D || c->arch == LS_ARCH_LRU || c->arch == LS_ARCH_S5) {
            L->skip = ls__p(m, l, "ssm.skip", ls_shape1(d), LS_GROUP_NO_DECAY);
            ls_init_normal(L->skip, &r, 1.0f);
            L->wout = ls__p(m, l, "ssm.wout", ls_shape2(d, c->glu ? 2 * d : d), LS_GROUP_DECAY);
            L->bout = ls__p(m, l, "ssm.bout", ls_shape1(c->glu ? 2 * d : d), LS_GROUP_NO_DECAY);
            ls__xavier(L->wout, &r, 1.0f);
        }
    }
    if (c->norm == LS_NORM_PRE) {
        m->final_g = ls__p(m, -1, "final.g", ls_shape1(d), LS_GROUP_NO_DECAY);
        m->final_b = ls__p(m, -1, "final.b", ls_shape1(d), LS_GROUP_NO_DECAY);
        ls_fill(m->final_g, 1.0f);
    }
    if (c->head == LS_HEAD_PAIR) {   /* MLP on [u, v, u v, u - v] */
        m->cls_w1 = ls__p(m, -1, "cls.w1", ls_shape2(4 * d, d), LS_GROUP_DECAY);
        m->cls_b1 = ls__p(m, -1, "cls.b1", ls_shape1(d), LS_GROUP_NO_DECAY);
        ls__xavier(m->cls_w1, &r, 1.0f);
    }
    if (c->head == LS_HEAD_PAIR || c->head == LS_HEAD_CLASSIFY) {
        m->cls_w2 = ls__p(m, -1, "cls.w2", ls_shape2(d, c->n_classes), LS_GROUP_DECAY);
        m->cls_b2 = ls__p(m, -1, "cls.b2", ls_shape1(c->n_classes), LS_GROUP_NO_DECAY);
        ls__xavier(m->cls_w2, &r, 1.0f);
    } else {
        m->lm_w = ls__p(m, -1, "lm.w", ls_shape2(d, c->lm_vocab), LS_GROUP_DECAY);
        m->lm_b = ls__p(m, -1, "lm.b", ls_shape1(c->lm_vocab), LS_GROUP_NO_DECAY);
        ls__xavier(m->lm_w, &r, 1.0f);
    }
    m->theta = (float *)ls__xmalloc((size_t)(D / 2 + 1) * sizeof(float));
    ls_rope_theta(m->theta, D, c->rope_base, LS_ROPE_PLAIN, 1.0f, c->train_len, 1.0f, 32.0f);
    m->alibi = (float *)ls__xmalloc((size_t)c->n_heads * sizeof(float));
    ls_alibi_slopes(m->alibi, c->n_heads);
    return 0;
}

LS_API void ls_model_free(ls_model *m) {
    ls_params_free(&m->P);
    LS_FREE(m->layers); LS_FREE(m->theta); LS_FREE(m->alibi);
    memset(m, 0, sizeof *m);
}

/* input of a sublayer: normalised first in pre-LN stacks */
static ls_tensor *ls__pre(ls_ctx *ctx, const ls_model *m, ls_tensor *x, ls_tensor *g, ls_tensor *b) {
    return m->cfg.norm == LS_NORM_PRE ? ls_layernorm(ctx, x, g, b, 1e-5f) : x;
}

/* the residual connection of each norm scheme: x + y, LN(x + y), or LN(alpha x + y) */
static ls_tensor *ls__residual(ls_ctx *ctx, const ls_model *m, ls_tensor *x, ls_tensor *y, ls_tensor *g, ls_tensor *b) {
    switch (m->cfg.norm) {
    case LS_NORM_PRE: return ls_add(ctx, x, y);
    case LS_NORM_POST: return ls_add_layernorm(ctx, x, y, 1.0f, g, b, 1e-5f);
    default: return ls_add_layernorm(ctx, x, y, m->alpha, g, b, 1e-5f);
    }
}

/* RoPE frequencies and positions of the model's variant; returns the logit multiplier (YaRN) */
static float ls__rope_setup(ls_ctx *ctx, const ls_model *m, float **theta, float *pos_scale) {
    const ls_config *c = &m->cfg;
    int64_t D = c->d_model / c->n_heads;
    float s = c->rope_s > 1.0f ? c->rope_s : 1.0f;
    *theta = m->theta;
    *pos_scale = c->rope_pi ? 1.0f / s : 1.0f;
    if (c->rope_kind == LS_ROPE_PLAIN || s == 1.0f) return 1.0f;
    *theta = ls__floats(ctx, D / 2);
    ls_rope_theta(*theta, D, c->rope_base, c->rope_kind, s, c->train_len, c->yarn_alpha, c->yarn_beta);
    if (c->rope_kind != LS_ROPE_YARN) return 1.0f;
    float l = 1.0f + 0.1f * logf(s);
    return l * l;   /* YaRN's lambda = (1 + 0.1 ln s)^2 */
}

/* last: this is the stack's last layer (HWFA makes it the full NoPE log-n layer) */
static ls_tensor *ls__attention_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x,
                                         const int32_t *lengths, int last) {
    const ls_config *c = &m->cfg;
    int64_t H = c->n_heads, D = c->d_model / H, T = x ? x->d[1] : 0;
    ls_tensor *q = ls_linear(ctx, x, L->wq, L->bq), *k = ls_linear(ctx, x, L->wk, L->bk), *v = ls_linear(ctx, x, L->wv, L->bv);
    ls_tensor *q2 = NULL, *k2 = NULL;
    float logit = 1.0f;
    /* this layer's share of the config: HWFA turns it into RoPE + window (all layers but the last)
       or NoPE + full + log-n (the last); every other scheme uses the config as it is */
    int hwfa = c->pos == LS_POS_HWFA, full = hwfa && last;
    int rope = c->pos == LS_POS_ROPE || (hwfa && !last), logn = full ? 1 : c->logn;
    int64_t window = full ? 0 : c->window;
    if (c->keynorm) k = ls_l2norm(ctx, k, D, 1e-6f);   /* rotations keep norms: normalise first */
    if (rope) {
        float *theta, ps;
        logit = ls__rope_setup(ctx, m, &theta, &ps);
        if (c->rerope_w > 0) {
            /* beyond the window the distance is w (ReRoPE) or w + (r - w)/k (leaky): q2 rotated at
               i/k + w(1 - 1/k), k2 at j/k (k = infinity for plain ReRoPE) */
            float inv = c->leaky_k > 0 ? 1.0f / c->leaky_k : 0.0f, w = (float)c->rerope_w;
            q2 = ls_rope(ctx, q, H, theta, inv, w * (1.0f - inv));
            k2 = ls_rope(ctx, k, H, theta, inv, 0.0f);
        }
        q = ls_rope(ctx, q, H, theta, ps, 0.0f);
        k = ls_rope(ctx, k, H, theta, ps, 0.0f);
    }
    if (c->pos == LS_POS_XPOS) {   /* queries scaled up with position, keys down: q_n . k_m decays with n - m */
        q = ls_xpos(ctx, q, H, m->theta, LS_XPOS_GAMMA, LS_XPOS_SCALE_BASE, 0);
        k = ls_xpos(ctx, k, H, m->theta, LS_XPOS_GAMMA, LS_XPOS_SCALE_BASE, 1);
    }
    ls_tensor *a;
    if (c->arch == LS_ARCH_LINEAR) a = ls_linear_attention(ctx, q, k, v, H, c->causal, lengths);
    else {
        ls_attn_opts o;
        memset(&o, 0, sizeof o);
        o.causal = c->causal;
        o.scale = logit * (c->keynorm ? 1.0f : 1.0f / sqrtf((float)D));
        o.alibi = c->pos == LS_POS_ALIBI ? m->alibi : NULL;
        o.window = window;
        o.sinks = window ? c->sinks : 0;
        o.dual_w = q2 ? c->rerope_w : 0;
        o.kv_len = lengths;
        o.kerple = c->pos == LS_POS_KERPLE ? L->kerple : NULL;
        if (logn && T > 0) {   /* log-n scaling: log(visible keys) / log(training length) */
            float *rs = ls__floats(ctx, T);
            double lt = log((double)(c->train_len > 1 ? c->train_len : 2));
            for (int64_t i = 0; i < T; i++) {
                double n = c->causal ? (double)(i + 1) : (double)T;
                if (window && n > (double)window) n = (double)window;
                double f = log(n > 1.0 ? n : 1.0) / lt;
                if (logn == 2 && f < 1.0) f = 1.0;   /* test-time form never shrinks logits */
                rs[i] = (float)(f > 1e-3 ? f : 1e-3);
            }
            o.row_scale = rs;
        }
        a = ls_attention(ctx, q, k, v, q2, k2, H, &o);
    }
    return ls_dropout(ctx, ls_linear(ctx, a, L->wo, L->bo), c->dropout);
}

static ls_tensor *ls__ffn_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x) {
    return ls_dropout(ctx, ls_linear(ctx, ls_gelu(ctx, ls_linear(ctx, x, L->w1, L->b1)), L->w2, L->b2), m->cfg.dropout);
}

/* Switch FFN (Fedus, Zoph, Shazeer 2021, "Switch Transformers", arXiv:2101.03961). The router's
   p_i = softmax(x_i W_r) over E experts sends token i to e_i = argmax_e p_{i,e} only (top-1; the
   first on ties), and y_i = p_{i,e_i} FFN_{e_i}(x_i): the gate is how the router learns. Load
   balancing: f_e = the share of valid tokens sent to e, P_e = the mean of p_{i,e} over them,
       aux = E sum_e f_e P_e      (1 when both are uniform),
   added to m->aux (ls_train adds LS_SWITCH_AUX aux, the paper's alpha 0.01, to the loss); f is a
   count, so only P carries a gradient. Every token is processed: the paper's capacity limit (tokens
   beyond capacity factor x N/E dropped) is left out. Tokens are gathered per expert and put back in
   order with ls_embedding, a gather whose backward scatters; padding tokens route like others (a
   token's output depends on it alone) but do not count in aux. */
static ls_tensor *ls__switch_sublayer(ls_ctx *ctx, ls_model *m, const ls__layer *L, ls_tensor *x, ls_tensor *pad) {
    if (!x) return NULL;
    int64_t d = m->cfg.d_model, N = x->n / d, E = m->cfg.n_experts, nv = 0;
    ls_tensor *xf = ls_reshape(ctx, x, ls_shape2(N, d));
    ls_tensor *p = ls_softmax(ctx, ls_linear(ctx, xf, L->router, NULL));   /* (N, E) */
    if (!p) return NULL;
    int32_t *route = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)(2 * N) * sizeof(int32_t)), *inv = route + N;
    int64_t cnt[LS_SWITCH_MAX + 1] = {0};
    ls_tensor *onehot = ls_tensor_zeros(ctx, ls_shape2(N, E)), *ones = ls_tensor_new(ctx, ls_shape2(E, 1));
    ls_tensor *wv = ls_tensor_new(ctx, ls_shape2(1, N)), *fe = ls_tensor_zeros(ctx, ls_shape2(E, 1));
    for (int64_t i = 0; i < N; i++) {
        int64_t e = 0;
        for (int64_t k = 1; k < E; k++) if (p->x[i * E + k] > p->x[i * E + e]) e = k;
        inv[i] = (int32_t)e; cnt[e + 1]++;
        onehot->x[i * E + e] = 1.0f;
        wv->x[i] = pad ? pad->x[i] : 1.0f;
        fe->x[e] += wv->x[i];
        nv += wv->x[i] > 0.0f;
    }
    for (int64_t e = 0; e < E; e++) { cnt[e + 1] += cnt[e]; ones->x[e] = 1.0f; fe->x[e] *= (float)E / (float)nv; }
    for (int64_t i = 0; i < N; i++) wv->x[i] /= (float)nv;
    int64_t at[LS_SWITCH_MAX];   /* route: the tokens grouped by expert, in token order within one */
    for (int64_t e = 0; e < E; e++) at[e] = cnt[e];
    for (int64_t i = 0; i < N; i++) { int64_t e = inv[i]; route[at[e]] = (int32_t)i; inv[i] = (int32_t)at[e]++; }
    ls_tensor *h = NULL;   /* the experts' outputs, stacked in route order */
    for (int64_t e = 0; e < E; e++) {
        if (cnt[e + 1] == cnt[e]) continue;
        ls_tensor *const *w = L->ex[e];
        ls_tensor *xe = ls_embedding(ctx, xf, route + cnt[e], ls_shape1(cnt[e + 1] - cnt[e]));
        ls_tensor *he = ls_linear(ctx, ls_gelu(ctx, ls_linear(ctx, xe, w[0], w[1])), w[2], w[3]);
        h = h ? ls_concat(ctx, h, he, 0) : he;
    }
    ls_tensor *gate = ls_matmul(ctx, ls_mul(ctx, p, onehot), ones, 0, 0);   /* (N, 1): p_{i, e_i} */
    ls_tensor *y = ls_mul(ctx, ls_embedding(ctx, h, inv, ls_shape1(N)), gate);
    ls_tensor *aux = ls_reshape(ctx, ls_matmul(ctx, ls_matmul(ctx, wv, p, 0, 0), fe, 0, 0), ls_shape1(1));
    m->aux = m->aux ? ls_add(ctx, m->aux, aux) : aux;
    return ls_dropout(ctx, ls_reshape(ctx, y, ls_tensor_shape(x)), m->cfg.dropout);
}

/* token mixing of the Mixer: y[b, i] = sum_j W[i, j] x[b, j], W lower-triangular when causal */
static ls_tensor *ls__mix_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x, ls_tensor *pad) {
    if (!x) return NULL;
    if (pad && !m->cfg.causal) x = ls_mul(ctx, x, pad);
    int64_t T = x->d[1];
    ls_tensor *W = ls_slice(ctx, ls_slice(ctx, L->mix, 0, 0, T), 1, 0, T);
    if (m->cfg.causal) {
        ls_tensor *tril = ls_tensor_new(ctx, ls_shape2(T, T));
        for (int64_t i = 0; i < T; i++)
            for (int64_t j = 0; j < T; j++) tril->x[i * T + j] = j <= i ? 1.0f : 0.0f;
        W = ls_mul(ctx, W, tril);
    }
    ls_tensor *y = ls_matmul(ctx, ls_transpose(ctx, x, 1, 2), W, 0, 1);   /* (B, C, T) W^T */
    return ls_dropout(ctx, ls_transpose(ctx, y, 1, 2), m->cfg.dropout);
}

/* LIGHTCONV / DYNCONV token mixing (Wu et al. 2019, arXiv:1901.10430, their Fig. 2): u = GLU(x W_in
   + b_in); kernels W = softmax_k(kernel) (H, K), or softmax_k(u W_k + b_k) (B, T, H, K) per position;
   y = dwconv(u, W) W_o + b_o (ls_dwconv: causal taps t-K+1..t, else centred). The paper's DropConnect
   on the kernels is left out. Bidirectional: padding is zeroed first, so valid positions read zeros
   there; causal taps never reach it. */
static ls_tensor *ls__conv_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x, ls_tensor *pad) {
    if (!x) return NULL;
    const ls_config *c = &m->cfg;
    int64_t B = x->d[0], T = x->d[1], H = c->n_heads, K = c->conv_k;
    ls_tensor *u = ls_glu(ctx, ls_linear(ctx, x, L->cv_win, L->cv_bin));
    if (pad && !c->causal) u = ls_mul(ctx, u, pad);
    ls_tensor *w = c->arch == LS_ARCH_LIGHTCONV
                       ? ls_softmax(ctx, L->cv_k)
                       : ls_softmax(ctx, ls_reshape(ctx, ls_linear(ctx, u, L->cv_wk, L->cv_bk), ls_shape4(B, T, H, K)));
    return ls_dropout(ctx, ls_linear(ctx, ls_dwconv(ctx, u, w, H, c->causal), L->wo, L->bo), c->dropout);
}

/* MEGA's gated attention (Ma et al. 2023, "Mega: Moving Average Equipped Gated Attention", ICLR,
   as in the released code's MovingAverageGatedAttention), in = the sublayer's input
   (normalised in pre-LN), x = the residual stream:
       X' = SiLU(EMA(in) + omega in)                          (EMA: ls_ema_kernel + ls_fftconv)
       V = SiLU(in W_v + b_v)                                 (B, T, 2d)
       [u, Z, gamma, H_x] = split(X' W_mx + b_mx)             (d, z, 2d, d), z = d/2
       phi = sigmoid(u) (update gate),  Z = SiLU(Z),  gamma = SiLU(gamma) (reset gate)
       Q = kappa_q Z + mu_q,  K = kappa_k Z + mu_k
       O = softmax(Q K^T / sqrt(z)) V                         (single head; causal when the model is)
       H = SiLU(H_x + (gamma O) W_h + b_h),  y = phi (H - x)  (so x + y = phi H + (1 - phi) x)
   The fused attention wants q, k and v of one width, so Q and K are repeated 4 times, making four
   heads of width z whose softmax weights are all the one head's, each weighing its quarter of V.
   Mega-chunk (window = C > 0, C < T): q, k, v padded with zeros to a multiple of C positions and
   viewed as (B T/C, C, .), so the same fused attention runs on each chunk alone; a chunk's key
   length is its share of the row's valid length (at least 1: a chunk of padding only produces
   outputs nobody reads, as no valid query sees it).
   Left out: the paper's relative position bias (MEGA's EMA already sees order), attention dropout.
   Padding: zeroed before the EMA (the reverse EMA would read it, the FFT's round-off would carry
   it), hidden from attention by key lengths. */
static ls_tensor *ls__mega_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x, ls_tensor *in,
                                    const int32_t *lengths, ls_tensor *pad) {
    if (!x || !in) return NULL;
    const ls_config *c = &m->cfg;
    int64_t d = c->d_model, z = d / 2, T = in->d[1];
    ls_tensor *const *e = L->ema[0], *const *e2 = L->ema[1];
    ls_tensor *K = ls_ema_kernel(ctx, e[0], e[1], e[2], e[3], T);
    ls_tensor *K2 = c->bidirectional ? ls_ema_kernel(ctx, e2[0], e2[1], e2[2], e2[3], T) : NULL;
    ls_tensor *mx = ls_fftconv(ctx, pad ? ls_mul(ctx, in, pad) : in, K, K2);
    mx = ls_dropout(ctx, ls_silu(ctx, ls_add(ctx, mx, ls_mul(ctx, in, L->omega))), c->dropout);
    ls_tensor *v = ls_silu(ctx, ls_linear(ctx, in, L->mg_wv, L->mg_bv));
    ls_tensor *base = ls_linear(ctx, mx, L->mg_wmx, L->mg_bmx);
    ls_tensor *u = ls_sigmoid(ctx, ls_slice(ctx, base, -1, 0, d));
    ls_tensor *zr = ls_silu(ctx, ls_slice(ctx, base, -1, d, z + 2 * d));
    ls_tensor *hx = ls_slice(ctx, base, -1, d + z + 2 * d, d);
    ls_tensor *zz = ls_slice(ctx, zr, -1, 0, z), *rg = ls_slice(ctx, zr, -1, z, 2 * d);
    ls_tensor *q = ls_add(ctx, ls_mul(ctx, zz, L->mg_qk[0]), L->mg_qk[1]);
    ls_tensor *k = ls_add(ctx, ls_mul(ctx, zz, L->mg_qk[2]), L->mg_qk[3]);
    q = ls_concat(ctx, ls_concat(ctx, q, q, 2), ls_concat(ctx, q, q, 2), 2);
    k = ls_concat(ctx, ls_concat(ctx, k, k, 2), ls_concat(ctx, k, k, 2), 2);
    ls_attn_opts o;
    memset(&o, 0, sizeof o);
    o.causal = c->causal;
    o.scale = 1.0f / sqrtf((float)z);
    o.kv_len = lengths;
    ls_tensor *a;
    if (c->window > 0 && c->window < T && q && k && v) {   /* Mega-chunk */
        int64_t C = c->window, B = in->d[0], nc = (T + C - 1) / C, Tp = nc * C;
        if (Tp > T) {
            q = ls_concat(ctx, q, ls_tensor_zeros(ctx, ls_shape3(B, Tp - T, 4 * z)), 1);
            k = ls_concat(ctx, k, ls_tensor_zeros(ctx, ls_shape3(B, Tp - T, 4 * z)), 1);
            v = ls_concat(ctx, v, ls_tensor_zeros(ctx, ls_shape3(B, Tp - T, 2 * d)), 1);
        }
        int32_t *kl = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)(B * nc) * sizeof *kl);
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < nc; j++) {
                int64_t r = (lengths ? lengths[b] : T) - j * C;
                kl[b * nc + j] = (int32_t)(r < 1 ? 1 : r > C ? C : r);
            }
        o.kv_len = kl;
        a = ls_attention(ctx, ls_reshape(ctx, q, ls_shape3(B * nc, C, 4 * z)),
                         ls_reshape(ctx, k, ls_shape3(B * nc, C, 4 * z)),
                         ls_reshape(ctx, v, ls_shape3(B * nc, C, 2 * d)), NULL, NULL, 4, &o);
        a = ls_reshape(ctx, a, ls_shape3(B, Tp, 2 * d));
        if (Tp > T) a = ls_slice(ctx, a, 1, 0, T);
    } else {
        a = ls_attention(ctx, q, k, v, NULL, NULL, 4, &o);
    }
    ls_tensor *h = ls_silu(ctx, ls_add(ctx, hx, ls_linear(ctx, ls_mul(ctx, a, rg), L->mg_wh, L->mg_bh)));
    return ls_dropout(ctx, ls_mul(ctx, u, ls_sub(ctx, h, x)), c->dropout);
}

/* S4D, LRU or S5: sequence map, D skip, GELU, output linear (or GLU) */
static ls_tensor *ls__ssm_sublayer(ls_ctx *ctx, const ls_model *m, const ls__layer *L, ls_tensor *x, ls_tensor *pad) {
    if (!x) return NULL;
    const ls_config *c = &m->cfg;
    int64_t T = x->d[1];
    ls_tensor *y;
    if (c->arch == LS_ARCH_S4D) {
        ls_tensor *const *p = L->ssm[0], *const *p2 = L->ssm[1];
        ls_tensor *K = ls_s4d_kernel(ctx, p[0], p[1], p[2], p[3], p[4], T);
        ls_tensor *K2 = c->bidirectional ? ls_s4d_kernel(ctx, p2[0], p2[1], p2[2], p2[3], p2[4], T) : NULL;
        /* zeros at padding: the anti-causal kernel must not read it, and the FFT's round-off would
           let even the causal one feel it (a ~1e-7 dependence); masked, valid positions are exact */
        y = ls_fftconv(ctx, pad ? ls_mul(ctx, x, pad) : x, K, K2);
    } else if (c->arch == LS_ARCH_S5) {
        /* B u once for both directions; zeros at padding, which the reverse scan would read */
        ls_tensor *bu = ls_linear(ctx, pad && c->bidirectional ? ls_mul(ctx, x, pad) : x, L->wb, NULL);
        y = ls_linear(ctx, ls_s5_scan(ctx, bu, L->s5[0], L->s5[1], L->s5[2], 0), L->wc, NULL);
        if (c->bidirectional)
            y = ls_add(ctx, y, ls_linear(ctx, ls_s5_scan(ctx, bu, L->s5[0], L->s5[1], L->s5[2], 1), L->wc_rev, NULL));
    } else {
        y = ls_linear(ctx, ls_lru_scan(ctx, ls_linear(ctx, x, L->wb, NULL), L->nu_log, L->theta_log), L->wc, NULL);
    }
    y = ls_dropout(ctx, ls_gelu_skip(ctx, y, x, L->skip), c->dropout);
    y = ls_linear(ctx, y, L->wout, L->bout);
    if (c->glu) y = ls_glu(ctx, y);
    return ls_dropout(ctx, y, c->dropout);
}

/* (B, T, 1): 1 on valid positions, 0 on padding; NULL when nothing is padded */
/* Funnel's pooling, (B, T, d) -> (B, ceil(T/2), d): row g the mean of positions 2g and 2g + 1, or,
   causal, of 2g - 1 and 2g (the sequence shifted one step right, a zero row in front); a missing
   last partner is a zero row */
static ls_tensor *ls__funnel_pool(ls_ctx *ctx, ls_tensor *x, int causal) {
    if (!x) return NULL;
    int64_t B = x->d[0], T = x->d[1], d = x->d[2];
    if (causal) x = ls_concat(ctx, ls_tensor_zeros(ctx, ls_shape3(B, 1, d)), ls_slice(ctx, x, 1, 0, T - 1), 1);
    if (T % 2) x = ls_concat(ctx, x, ls_tensor_zeros(ctx, ls_shape3(B, 1, d)), 1);
    x = ls_reshape(ctx, x, ls_shape3(B, (T + 1) / 2, 2 * d));
    return ls_scale(ctx, ls_add(ctx, ls_slice(ctx, x, 2, 0, d), ls_slice(ctx, x, 2, d, d)), 0.5f);
}

/* Funnel's upsampling, (B, T2, d) -> (B, T, d), T <= 2 T2: row t = pooled row t / 2 */
static ls_tensor *ls__funnel_up(ls_ctx *ctx, ls_tensor *p, int64_t T) {
    if (!p) return NULL;
    int64_t B = p->d[0], T2 = p->d[1], d = p->d[2];
    ls_tensor *u = ls_reshape(ctx, ls_concat(ctx, p, p, 2), ls_shape3(B, 2 * T2, d));
    return 2 * T2 > T ? ls_slice(ctx, u, 1, 0, T) : u;
}

static ls_tensor *ls__pad_mask(ls_ctx *ctx, const int32_t *lengths, int64_t B, int64_t T) {
    int any = 0;
    for (int64_t b = 0; lengths && b < B; b++) any |= lengths[b] < T;
    if (!any) return NULL;
    ls_tensor *p = ls_tensor_new(ctx, ls_shape3(B, T, 1));
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) p->x[b * T + t] = t < lengths[b] ? 1.0f : 0.0f;
    return p;
}

LS_API ls_tensor *ls_model_encode(ls_ctx *ctx, ls_model *m, const int32_t *ids, const int32_t *lengths, int64_t B, int64_t T) {
    const ls_config *c = &m->cfg;
    for (int64_t b = 0; lengths && b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            return ls__fail(ctx, "model: length %d of sequence %lld is outside 1..%lld", (int)lengths[b], (long long)b, (long long)T);
    ls_tensor *pad = ls__pad_mask(ctx, lengths, B, T);
    if (!pad) lengths = NULL;
    m->aux = NULL;
    if (T > c->max_len && (c->pos == LS_POS_LEARNED || c->arch == LS_ARCH_MIXER))
        return ls__fail(ctx, "model: sequence length %lld exceeds max_len %lld", (long long)T, (long long)c->max_len);
    ls_tensor *x = ls_embedding(ctx, m->embed, ids, ls_shape2(B, T));
    if (c->pos == LS_POS_SINUSOIDAL && x) {
        int64_t d = c->d_model;
        ls_tensor *pe = ls_tensor_new(ctx, ls_shape2(T, d));
        for (int64_t t = 0; t < T; t++)
            for (int64_t i = 0; i < d / 2; i++) {
                double ang = (double)t * pow(10000.0, -2.0 * (double)i / (double)d);
                pe->x[t * d + 2 * i] = (float)sin(ang);
                pe->x[t * d + 2 * i + 1] = (float)cos(ang);
            }
        x = ls_add(ctx, x, pe);
    }
    if (c->pos == LS_POS_LEARNED) x = ls_add(ctx, x, ls_slice(ctx, m->pos, 0, 0, T));
    x = ls_dropout(ctx, x, c->dropout);
    ls_tensor *full = NULL;   /* Funnel: the full-length stream, added back after upsampling */
    for (int l = 0; l < c->n_layers; l++) {
        const ls__layer *L = &m->layers[c->arch == LS_ARCH_UNIVERSAL ? 0 : l];
        if (c->arch == LS_ARCH_FUNNEL && l == c->n_layers / 2) {
            if (T < 2) return ls__fail(ctx, "model: Funnel needs T >= 2 to pool (T %lld)", (long long)T);
            full = x;
            x = ls__funnel_pool(ctx, pad ? ls_mul(ctx, x, pad) : x, c->causal);
            if (lengths) {   /* a pooled row is valid when it holds a valid position */
                int32_t *l2 = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)B * sizeof *l2);
                for (int64_t b = 0; b < B; b++) l2[b] = (lengths[b] + 1) / 2;
                lengths = l2;
                pad = ls__pad_mask(ctx, lengths, B, (T + 1) / 2);
                if (!pad) lengths = NULL;
            }
        }
        if (c->arch == LS_ARCH_S4D || c->arch == LS_ARCH_LRU || c->arch == LS_ARCH_S5) {
            x = ls__residual(ctx, m, x, ls__ssm_sublayer(ctx, m, L, ls__pre(ctx, m, x, L->ln1_g, L->ln1_b), pad), L->ln1_g, L->ln1_b);
            continue;
        }
        ls_tensor *in = ls__pre(ctx, m, x, L->ln1_g, L->ln1_b);
        int last = l == c->n_layers - 1;
        ls_tensor *y = c->arch == LS_ARCH_MIXER ? ls__mix_sublayer(ctx, m, L, in, pad)
                       : c->arch == LS_ARCH_LIGHTCONV || c->arch == LS_ARCH_DYNCONV ? ls__conv_sublayer(ctx, m, L, in, pad)
                       : c->arch == LS_ARCH_MEGA ? ls__mega_sublayer(ctx, m, L, x, in, lengths, pad)
                                                : ls__attention_sublayer(ctx, m, L, in, lengths, last);
        x = ls__residual(ctx, m, x, y, L->ln1_g, L->ln1_b);
        ls_tensor *f = ls__pre(ctx, m, x, L->ln2_g, L->ln2_b);
        f = c->n_experts ? ls__switch_sublayer(ctx, m, L, f, pad) : ls__ffn_sublayer(ctx, m, L, f);
        x = ls__residual(ctx, m, x, f, L->ln2_g, L->ln2_b);
    }
    if (full) x = ls_add(ctx, ls__funnel_up(ctx, x, T), full);
    if (c->norm == LS_NORM_PRE) x = ls_layernorm(ctx, x, m->final_g, m->final_b, 1e-5f);
    return x;
}

LS_API ls_tensor *ls_model_forward(ls_ctx *ctx, ls_model *m, const int32_t *ids, const int32_t *lengths,
                                   int64_t B, int64_t T) {
    const ls_config *c = &m->cfg;
    int64_t d = c->d_model;
    if (c->head == LS_HEAD_PAIR) {
        /* (B, 2, T) is (2B, T): both towers in one pass, pooled, then [u, v, u v, u - v] */
        ls_tensor *h = ls_model_encode(ctx, m, ids, lengths, 2 * B, T);
        ls_tensor *uv = ls_reshape(ctx, ls_pool(ctx, h, lengths, c->pool), ls_shape3(B, 2, d));
        ls_tensor *u = ls_reshape(ctx, ls_slice(ctx, uv, 1, 0, 1), ls_shape2(B, d));
        ls_tensor *v = ls_reshape(ctx, ls_slice(ctx, uv, 1, 1, 1), ls_shape2(B, d));
        ls_tensor *f = ls_concat(ctx, ls_concat(ctx, u, v, 1), ls_concat(ctx, ls_mul(ctx, u, v), ls_sub(ctx, u, v), 1), 1);
        return ls_linear(ctx, ls_gelu(ctx, ls_linear(ctx, f, m->cls_w1, m->cls_b1)), m->cls_w2, m->cls_b2);
    }
    ls_tensor *h = ls_model_encode(ctx, m, ids, lengths, B, T);
    if (c->head == LS_HEAD_CLASSIFY) return ls_linear(ctx, ls_pool(ctx, h, lengths, c->pool), m->cls_w2, m->cls_b2);
    return ls_linear(ctx, h, m->lm_w, m->lm_b);
}

/* NBCE (declaration: the formula). Inference only, so there is no backward beside it. In double:
   log-softmax each row (lse = max + log sum exp(x - max)), the entropy as H = lse - sum p x
   (= -sum p log p with log p = x - lse), then the combined score and its own log-softmax. */
static double ls__lse_d(const float *x, int64_t V) {
    double mx = x[0], z = 0;
    for (int64_t v = 1; v < V; v++) if (x[v] > mx) mx = x[v];
    for (int64_t v = 0; v < V; v++) z += exp((double)x[v] - mx);
    return mx + log(z);
}

LS_API int64_t ls_nbce_combine(const float *logits, int64_t n_seg, int64_t V, float beta,
                               float *logp) {
    const float *u = logits;   /* row 0: the tail alone */
    double lse_u = ls__lse_d(u, V);
    if (n_seg < 1) {
        for (int64_t v = 0; v < V; v++) logp[v] = (float)((double)u[v] - lse_u);
        return 0;
    }
    int64_t best = 1;
    double best_h = 0, best_lse = 0;
    for (int64_t k = 1; k <= n_seg; k++) {   /* min-entropy pooling: the most confident segment */
        const float *x = logits + k * V;
        double lse = ls__lse_d(x, V), px = 0;
        for (int64_t v = 0; v < V; v++) px += exp((double)x[v] - lse) * (double)x[v];
        double h = lse - px;
        if (k == 1 || h < best_h) { best = k; best_h = h; best_lse = lse; }
    }
    /* (beta + 1) log p_k* - beta log p_0, then renormalised (the "+ const" of the formula) */
    const float *x = logits + best * V;
    double b = (double)beta, mx = -HUGE_VAL, z = 0;
#define LS__NBCE_S(v) ((b + 1.0) * ((double)x[v] - best_lse) - b * ((double)u[v] - lse_u))
    for (int64_t v = 0; v < V; v++) if (LS__NBCE_S(v) > mx) mx = LS__NBCE_S(v);
    for (int64_t v = 0; v < V; v++) z += exp(LS__NBCE_S(v) - mx);
    double lz = mx + log(z);
    for (int64_t v = 0; v < V; v++) logp[v] = (float)(LS__NBCE_S(v) - lz);
#undef LS__NBCE_S
    return best;
}

LS_API int ls_nbce(ls_ctx *ctx, ls_model *m, const int32_t *context, int64_t n_context,
                   int64_t seg_len, const int32_t *tail, int64_t n_tail, float beta, float *logp,
                   int64_t *chosen, char *err) {
    const ls_config *c = &m->cfg;
    if (c->head != LS_HEAD_LM || !c->causal) {
        ls__seterr(err, "ls_nbce: needs a causal model with an LM head (head %d, causal %d)", c->head,
                   c->causal);
        return -1;
    }
    if (n_tail < 1 || n_context < 0 || (n_context > 0 && seg_len < 1)) {
        ls__seterr(err, "ls_nbce: n_tail %lld must be >= 1, n_context %lld >= 0, seg_len %lld >= 1",
                   (long long)n_tail, (long long)n_context, (long long)seg_len);
        return -1;
    }
    int64_t n = n_context > 0 ? (n_context + seg_len - 1) / seg_len : 0;
    int64_t S = n == 0 ? 0 : seg_len < n_context ? seg_len : n_context, T = S + n_tail, R = n + 1;
    if (T > c->train_len) {
        ls__seterr(err, "ls_nbce: a segment (%lld ids) and the tail (%lld) make %lld ids, more than "
                   "train_len %lld: each [segment, tail] must fit the trained length", (long long)S,
                   (long long)n_tail, (long long)T, (long long)c->train_len);
        return -1;
    }
    /* rows: 0 = [tail], k = [S_k, tail]; each left-aligned, padding (id 0) after it */
    int32_t *ids = (int32_t *)ls__xmalloc((size_t)(R * T + R) * sizeof(int32_t));
    int32_t *len = ids + R * T;
    memset(ids, 0, (size_t)(R * T) * sizeof(int32_t));
    for (int64_t k = 0; k < R; k++) {
        int64_t a = k ? (k - 1) * seg_len : 0;   /* segment k's first id in the context */
        int64_t sk = k == 0 ? 0 : n_context - a < seg_len ? n_context - a : seg_len;
        if (sk) memcpy(ids + k * T, context + a, (size_t)sk * sizeof(int32_t));
        memcpy(ids + k * T + sk, tail, (size_t)n_tail * sizeof(int32_t));
        len[k] = (int32_t)(sk + n_tail);
    }
    int training = ctx->training, no_grad = ctx->no_grad;
    ctx->training = 0; ctx->no_grad = 1;
    ls_tensor *y = ls_model_forward(ctx, m, ids, len, R, T);   /* (R, T, V) */
    ctx->training = training; ctx->no_grad = no_grad;
    if (!y) {
        ls__seterr(err, "ls_nbce: %s", ls_ctx_error(ctx));
        LS_FREE(ids);
        return -1;
    }
    /* position t of the tail sits at column len[k] - n_tail + t of row k */
    int64_t V = y->d[2];
    float *rows = (float *)ls__xmalloc((size_t)(R * V) * sizeof(float));
    for (int64_t t = 0; t < n_tail; t++) {
        for (int64_t k = 0; k < R; k++)
            memcpy(rows + k * V, y->x + (k * T + len[k] - n_tail + t) * V,
                   (size_t)V * sizeof(float));
        int64_t best = ls_nbce_combine(rows, n, V, beta, logp + t * V);
        if (chosen) chosen[t] = best;
    }
    LS_FREE(rows);
    LS_FREE(ids);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   6D.5 training
   --------------------------------------------------------------------------------------------- */

LS_API ls_train_cfg ls_train_cfg_default(void) {
    ls_train_cfg t;
    memset(&t, 0, sizeof t);
    t.objective = LS_OBJ_CLASSIFY;
    t.steps = 1000; t.batch = 16; t.accum = 1; t.warmup = 100;
    t.sched = LS_SCHED_COSINE;
    t.lr = 1e-3f; t.wd = 0.01f; t.ssm_lr = 1e-3f; t.clip = 1.0f;
    t.mask_ratio = 0.15f; t.mask_id = 0;
    t.seed = 1;
    return t;
}

/* One batch: the model's input ids, lengths and targets for the objective.
   classify: targets = labels (B); MLM: masked inputs, targets at masked positions (B*T);
   CLM: targets = the next token (B*T). Unused targets are -100. */
typedef struct ls__batch {
    int64_t B, T, rows;      /* rows = B, or 2B for pairs */
    int32_t *ids, *len, *tgt;
} ls__batch;

#define LS__IGNORE (-100)

/* masking decision for (key, row example, t): a hash, so it is the same after a resume */
static int ls__masked(uint64_t key, int64_t ex, int64_t t, float ratio) {
    uint64_t h = ls_hash64(key ^ ls_hash64((uint64_t)ex * 0x9E3779B97F4A7C15ull + (uint64_t)t));
    return (float)(h >> 40) * (1.0f / 16777216.0f) < ratio;
}

static void ls__make_batch(ls_ctx *ctx, const ls_train_cfg *tc, const ls_dataset *d, const int64_t *idx, int64_t B,
                           uint64_t mask_key, ls__batch *b) {
    int64_t T = d->T, per = d->pair ? 2 : 1;
    b->B = B; b->T = T; b->rows = B * per;
    b->ids = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)(b->rows * T) * sizeof(int32_t));
    b->len = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)b->rows * sizeof(int32_t));
    int64_t ntgt = tc->objective == LS_OBJ_CLASSIFY ? B : b->rows * T;
    b->tgt = (int32_t *)ls_arena_alloc(&ctx->arena, (size_t)ntgt * sizeof(int32_t));
    for (int64_t i = 0; i < B; i++) {
        int64_t e = idx[i];
        memcpy(b->ids + i * per * T, d->tokens + e * per * T, (size_t)(per * T) * sizeof(int32_t));
        for (int64_t p = 0; p < per; p++) {
            int32_t L = d->len ? d->len[e * per + p] : (int32_t)T;
            b->len[i * per + p] = L < 1 ? 1 : L > T ? (int32_t)T : L;
        }
        if (tc->objective == LS_OBJ_CLASSIFY) b->tgt[i] = d->label[e];
    }
    if (tc->objective == LS_OBJ_CLASSIFY) return;
    for (int64_t r = 0; r < b->rows; r++) {
        int64_t ex = idx[r / per] * per + r % per;
        for (int64_t t = 0; t < T; t++) {
            int32_t *id = b->ids + r * T + t, *tg = b->tgt + r * T + t;
            *tg = LS__IGNORE;
            if (t >= b->len[r]) continue;
            if (tc->objective == LS_OBJ_CLM) { if (t + 1 < b->len[r]) *tg = id[1]; }
            else if (ls__masked(mask_key, ex, t, tc->mask_ratio)) { *tg = *id; *id = tc->mask_id; }
        }
    }
}

/* example order: a fresh seeded permutation each epoch, so the batch of any step is known */
typedef struct ls__order { int64_t epoch; int32_t *perm; } ls__order;

static void ls__batch_indices(ls__order *o, const ls_dataset *d, uint64_t seed, int64_t first, int64_t B, int64_t *idx) {
    for (int64_t i = 0; i < B; i++) {
        int64_t c = first + i, e = c / d->n;
        if (e != o->epoch) {
            for (int64_t k = 0; k < d->n; k++) o->perm[k] = (int32_t)k;
            ls_rng r = ls_rng_make(seed, LS_STREAM_SHUFFLE + 7919u * (uint64_t)e);
            ls_rng_shuffle(&r, o->perm, d->n);
            o->epoch = e;
        }
        idx[i] = o->perm[c % d->n];
    }
}

static int64_t ls__argmax(const float *x, int64_t n) {
    int64_t k = 0;
    for (int64_t i = 1; i < n; i++) if (x[i] > x[k]) k = i;
    return k;
}

#ifdef LS_MPI
/* part 6E: the data-parallel pieces ls_evaluate and ls_train call */
static int ls__mpi_micro(ls_ctx *ctx, ls_model *m, const ls_train_cfg *tc, const ls__batch *b,
                         double *loss);
static void ls__mpi_step_sum(ls_params *P, double *step_loss);
static void ls__mpi_eval_sum(double *right, double *total, double *lsum, double *lcount);
static void ls__mpi_share_state(ls_params *P, ls_adamw *opt, void *st, size_t st_size,
                                float *best_x, int *have_best, int *resumed);
static int ls__mpi_same_params(const ls_params *P, char *err);
static void ls__mpi_fatal(const char *err);
#endif

LS_API double ls_evaluate(ls_model *m, const ls_train_cfg *tc, const ls_dataset *d, int64_t max_n, double *loss) {
    int64_t n = max_n > 0 && max_n < d->n ? max_n : d->n, B = tc->batch > 0 ? tc->batch : 16;
    ls_ctx ctx;
    ls_ctx_init(&ctx, tc->seed);
    ctx.training = 0;
    ctx.no_grad = 1;
    double right = 0, total = 0, lsum = 0, lcount = 0;
    int64_t *idx = (int64_t *)ls__xmalloc((size_t)B * sizeof(int64_t));
    for (int64_t s = 0; s < n; s += B) {
        int64_t nb = s + B <= n ? B : n - s;
#ifdef LS_MPI
        if ((s / B) % ls_mpi_size() != ls_mpi_rank()) continue;   /* 6E: dealt round-robin */
#endif
        for (int64_t i = 0; i < nb; i++) idx[i] = s + i;
        ls__batch b;
        ls__make_batch(&ctx, tc, d, idx, nb, ls_hash64(tc->seed ^ 0xE7A1u), &b);
        ls_tensor *logits = ls_model_forward(&ctx, m, b.ids, b.len, b.B, b.T);
        if (!logits) {
            fprintf(stderr, "longseq: evaluation failed: %s\n", ls_ctx_error(&ctx));
            total = -1.0;
            break;
        }
        int64_t V = logits->d[logits->nd - 1], rows = logits->n / V;
        ls_tensor *l = ls_cross_entropy(&ctx, logits, b.tgt, LS__IGNORE);
        int64_t kept = 0;
        for (int64_t r = 0; r < rows; r++) {
            if (b.tgt[r] == LS__IGNORE) continue;
            kept++;
            right += ls__argmax(logits->x + r * V, V) == b.tgt[r];
        }
        total += (double)kept;
        if (l) { lsum += (double)l->x[0] * (double)kept; lcount += (double)kept; }
        ls_ctx_reset(&ctx);
    }
    LS_FREE(idx);
    ls_ctx_free(&ctx);
#ifdef LS_MPI
    if (ls_mpi_size() > 1) ls__mpi_eval_sum(&right, &total, &lsum, &lcount);   /* all ranks' */
#endif
    if (loss) *loss = lcount > 0 ? lsum / lcount : 0.0;
    return total < 0 ? -1.0 : total > 0 ? right / total : 0.0;
}

/* what a resume checkpoint carries besides parameters and optimiser state */
/* s as one CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break */
static void ls__csv_quote(char *dst, size_t cap, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) { snprintf(dst, cap, "%s", s); return; }
    size_t k = 0;
    if (cap < 3) { if (cap) dst[0] = 0; return; }
    dst[k++] = '"';
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"') dst[k++] = '"';
        dst[k++] = *s;
    }
    dst[k++] = '"';
    dst[k] = 0;
}

static int ls__file_exists(const char *path) {
#ifdef LS__POSIX
    struct stat sb;   /* not fopen: opening a FIFO would block */
    return stat(path, &sb) == 0;
#else
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
#endif
}

/* Cuts a run's learning curve back to its checkpoint: drops the rows of this run (label and seed,
   as ls_train writes them: "<label>,<seed>,<threads>,<step>,...") whose step is past `keep`, and a
   last line with no line break (a write cut short). Rows of other runs stay. A resumed run then
   appends each validation once: without this, the rows between the checkpoint and a kill came
   twice. Rewritten through <path>.tmp and a rename; untouched when nothing is dropped. */
static int ls__csv_cut(const char *path, const char *label, uint64_t seed, int64_t keep, char *err) {
    if (!ls__file_exists(path)) return 0;   /* no curve yet */
    FILE *f = ls__open_regular(path, err);
    if (!f) return -1;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) { cap = cap ? 2 * cap : 65536; data = (char *)ls__xrealloc(data, cap + 1); }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { LS_FREE(data); ls__seterr(err, "%s: read error", path); return -1; }
    data[n] = 0;
    char lab[200], prefix[260];
    ls__csv_quote(lab, sizeof lab, label);
    int pl = snprintf(prefix, sizeof prefix, "%s,%llu,", lab, (unsigned long long)seed);
    size_t o = 0, dropped = 0;
    for (size_t i = 0; i < n;) {   /* compacts the kept lines in place */
        size_t e = i;
        while (e < n && data[e] != '\n') e++;
        int drop = e == n;   /* no line break: a torn last write */
        if (!drop && i > 0 && pl > 0 && e - i > (size_t)pl && !memcmp(data + i, prefix, (size_t)pl)) {
            char *q = data + i + pl, *end;
            strtol(q, &end, 10);   /* threads */
            if (*end == ',') drop = strtoll(end + 1, &end, 10) > keep && *end == ',';
        }
        if (drop) dropped++;
        else { memmove(data + o, data + i, e + 1 - i); o += e + 1 - i; }
        i = e + 1;
    }
    int rc = dropped ? ls_write_file(path, data, o, err) : 0;
    LS_FREE(data);
    return rc;
}

typedef struct ls__train_state {
    uint32_t magic, size;
    int64_t step, best_step, bad_evals, tail_n;
    double best_val, best_val_loss, tail_loss, wall_s, tokens;
    /* tail_loss: the sum of the tail's losses (the last 10% of steps); before the tail (tail_n 0)
       the last step's loss, so a finished run resumed from its checkpoint still reports its final
       loss. The layout is the checkpoints': add fields at the end, never reorder. */
    double best_score;       /* what selection maximises: the metric, or minus the loss */
} ls__train_state;
#define LS__TRAIN_MAGIC 0x4C535452u

/* the first parameter whose values (grad = 0) or gradients (grad = 1) hold a NaN or an infinity, or NULL */
static const ls_tensor *ls__nonfinite(const ls_params *P, int grad) {
    for (int k = 0; k < P->nt; k++) {
        const ls_tensor *t = P->t[k];
        const float *v = grad ? t->g : t->x;
        for (int64_t i = 0; v && i < t->n; i++)
            if (!isfinite(v[i])) return t;
    }
    return NULL;
}

LS_API int ls_train(ls_model *m, const ls_train_cfg *tc, const ls_train_io *io_arg, const ls_dataset *train,
                    const ls_dataset *val, const ls_dataset *test, ls_train_result *res, char *err) {
    ls_train_io io0;
    memset(&io0, 0, sizeof io0);
    const ls_train_io *io = io_arg ? io_arg : &io0;
#ifdef LS_MPI
    /* data-parallel (6E): rank 0 alone reads and writes the run's files and prints progress */
    const int mpi_n = ls_mpi_size();
    ls_train_io io_peer;
    if (ls_mpi_rank() > 0) {
        io_peer = *io;
        io_peer.ckpt_path = io_peer.init_from = io_peer.csv_path = NULL;
        io_peer.quiet = 1;
        io = &io_peer;
    }
#endif
    const char *label = io->label ? io->label : "train";
    memset(res, 0, sizeof *res);
    res->test = -1;
    const ls_config *c = &m->cfg;
    int lm = tc->objective != LS_OBJ_CLASSIFY;
    if (lm != (c->head == LS_HEAD_LM)) {
        ls__seterr(err, "train: objective %d needs %s head", tc->objective, lm ? "an LM" : "a classifier");
        return -1;
    }
    if (tc->objective == LS_OBJ_CLM && !c->causal) { ls__seterr(err, "train: causal LM needs a causal model"); return -1; }
    if ((c->head == LS_HEAD_PAIR) != (train->pair != 0)) { ls__seterr(err, "train: pair data needs the pair head and back"); return -1; }
    if (!(tc->lr > 0.0f) || !isfinite(tc->lr) || !(tc->ssm_lr >= 0.0f) || !isfinite(tc->ssm_lr)) {
        ls__seterr(err, "train: learning rate %g (SSM %g) must be positive and finite", (double)tc->lr, (double)tc->ssm_lr);
        return -1;
    }
    if (tc->steps < 1 || tc->batch < 1 || tc->accum < 1 || train->n < 1) {
        ls__seterr(err, "train: steps %lld, batch %lld, accum %lld and training examples %lld must be positive",
                   (long long)tc->steps, (long long)tc->batch, (long long)tc->accum, (long long)train->n);
        return -1;
    }
    ls_adamw opt;
    ls_adamw_init(&opt, &m->P, tc->lr, tc->wd);
    opt.group[LS_GROUP_NO_DECAY].wd = 0.0f;
    opt.group[LS_GROUP_SSM].wd = 0.0f;
    opt.group[LS_GROUP_SSM].lr = tc->ssm_lr > 0 ? tc->ssm_lr : tc->lr;
    ls__train_state st;
    memset(&st, 0, sizeof st);
    st.magic = LS__TRAIN_MAGIC; st.size = sizeof st; st.best_val = -1.0; st.best_score = -HUGE_VAL;
    const int by_loss = tc->select == LS_SELECT_LOSS || (tc->select == LS_SELECT_AUTO && lm);
    char best_path[1024] = "";
    if (io->ckpt_path) snprintf(best_path, sizeof best_path, "%s.best", io->ckpt_path);
    int rc = -1, have_best = 0;
    float *best_x = (float *)ls__xmalloc((size_t)m->P.n * sizeof(float));   /* best-validation parameters */
    if (io->ckpt_path && ls__file_exists(io->ckpt_path)) {
        ls__train_state s2;
        size_t mlen = 0;
        if (ls_checkpoint_load(io->ckpt_path, &m->P, &opt, LS_CKPT_STRICT, &s2, sizeof s2, &mlen, err)) goto out;
        if (mlen != sizeof s2 || s2.magic != LS__TRAIN_MAGIC || s2.size != sizeof s2) {
            ls__seterr(err, "%s: not a resume checkpoint of this trainer", io->ckpt_path);
            goto out;
        }
        st = s2;
        res->resumed = 1;
        if (ls__file_exists(best_path)) {   /* bring the best parameters so far back into memory */
            memcpy(best_x, m->P.x, (size_t)m->P.n * sizeof(float));
            float *cur = (float *)ls__xmalloc((size_t)m->P.n * sizeof(float));
            memcpy(cur, m->P.x, (size_t)m->P.n * sizeof(float));
            int bad = ls_checkpoint_load(best_path, &m->P, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err);
            memcpy(best_x, m->P.x, (size_t)m->P.n * sizeof(float));
            memcpy(m->P.x, cur, (size_t)m->P.n * sizeof(float));
            LS_FREE(cur);
            if (bad) goto out;
            have_best = 1;
        }
    } else if (io->init_from) {
        if (ls_checkpoint_load(io->init_from, &m->P, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err)) goto out;
    }
    /* a resumable run's curve holds its validations up to the checkpoint, each once (a new run: none) */
    if (io->ckpt_path && io->csv_path && ls__csv_cut(io->csv_path, label, tc->seed, st.step, err))
        goto out;
#ifdef LS_MPI
    if (mpi_n > 1)   /* every rank starts from rank 0's parameters, optimiser and trainer state */
        ls__mpi_share_state(&m->P, &opt, &st, sizeof st, best_x, &have_best, &res->resumed);
#endif
    {
        ls_ctx ctx;
        ls_ctx_init(&ctx, tc->seed);
        ls__order order;
        order.epoch = -1;
        order.perm = (int32_t *)ls__xmalloc((size_t)train->n * sizeof(int32_t));
        int64_t *idx = (int64_t *)ls__xmalloc((size_t)tc->batch * sizeof(int64_t));
        ls_progress pr;
        ls_progress_start(&pr, label, tc->steps, io->quiet);
        double t0 = ls_now() - st.wall_s, tok0 = st.tokens;
        int64_t step = st.step, tail_from = tc->steps - (tc->steps + 9) / 10, start = st.step;
        int stop = st.bad_evals < 0;   /* a finished early-stopped run resumes as finished */
        int failed = 0;
        double last_loss = 0.0;
        ls_autothreads at;
        ls_autothreads_init(&at);
        for (; step < tc->steps && !stop; step++) {
            double step_loss = 0.0, step_t0 = ls_now();
            for (int64_t a = 0; a < tc->accum; a++) {
                int64_t micro = step * tc->accum + a;
                ls__batch_indices(&order, train, tc->seed, micro * tc->batch, tc->batch, idx);
                ctx.calls = (uint64_t)micro << 20;   /* dropout keys follow the step, not the history */
                ls__batch b;
                ls__make_batch(&ctx, tc, train, idx, tc->batch, ls_hash64(tc->seed + (uint64_t)micro), &b);
#ifdef LS_MPI
                if (mpi_n > 1) {   /* 6E: this rank's slice of the global batch */
                    double share = 0.0;
                    if (ls__mpi_micro(&ctx, m, tc, &b, &share)) {
                        ls__seterr(err, "train: step %lld: %s", (long long)step,
                                   ls_ctx_error(&ctx));
                        failed = 1;
                        break;
                    }
                    step_loss += share;
                    st.tokens += (double)(b.rows * b.T);   /* the global batch's tokens */
                    ls_ctx_reset(&ctx);
                    continue;
                }
#endif
                ls_tensor *logits = ls_model_forward(&ctx, m, b.ids, b.len, b.B, b.T);
                ls_tensor *loss = ls_cross_entropy(&ctx, logits, b.tgt, LS__IGNORE);
                if (m->aux) loss = ls_add(&ctx, loss, ls_scale(&ctx, m->aux, LS_SWITCH_AUX));   /* Switch balance */
                if (tc->accum > 1) loss = ls_scale(&ctx, loss, 1.0f / (float)tc->accum);
                if (ls_backward(&ctx, loss)) {
                    ls__seterr(err, "train: step %lld: %s", (long long)step, ls_ctx_error(&ctx));
                    failed = 1;
                    break;
                }
                step_loss += (double)loss->x[0];
                st.tokens += (double)(b.rows * b.T);
                ls_ctx_reset(&ctx);
            }
            if (failed) break;
#ifdef LS_MPI
            if (mpi_n > 1) ls__mpi_step_sum(&m->P, &step_loss);   /* 6E: the batch's gradient */
#endif
            /* a diverged run stops here: a NaN model must never be kept as best or scored */
            double gnorm = tc->clip > 0 ? ls_clip_grad_norm(&m->P, tc->clip) : ls_grad_norm(&m->P);
            if (!isfinite(step_loss) || !isfinite(gnorm)) {
                const ls_tensor *bad = ls__nonfinite(&m->P, 1);
                ls__seterr(err, "train: diverged at step %lld: loss %g, gradient norm %g%s%s", (long long)(step + 1), step_loss,
                           gnorm, bad ? ", first non-finite gradient in " : "", bad && bad->name ? bad->name : "");
                res->diverged = 1;
                failed = 1;
                break;
            }
            ls_adamw_step(&opt, &m->P, ls_schedule(tc->sched, step, tc->warmup, tc->steps));
            ls_params_zero_grad(&m->P);
            if (!io->fixed_threads) ls_autothreads_step(&at, ls_now() - step_t0);
            last_loss = step_loss;
            if (step < tail_from) st.tail_loss = step_loss;
            else { if (st.tail_n == 0) st.tail_loss = 0.0; st.tail_loss += step_loss; st.tail_n++; }
            int last = step + 1 == tc->steps;
            if (val && ((tc->eval_every && (step + 1) % tc->eval_every == 0) || last)) {
                const ls_tensor *bad = ls__nonfinite(&m->P, 0);
                if (bad) {
                    ls__seterr(err, "train: diverged at step %lld: parameter %s is not finite", (long long)(step + 1),
                               bad->name ? bad->name : "?");
                    res->diverged = 1;
                    failed = 1;
                    break;
                }
#ifdef LS_MPI
                if (mpi_n > 1 && ls__mpi_same_params(&m->P, err)) { failed = 1; break; }
#endif
                double vloss = 0.0, acc = ls_evaluate(m, tc, val, tc->eval_max, &vloss);
                if (acc < 0) {
                    ls__seterr(err, "train: step %lld: the model cannot run on the validation set", (long long)(step + 1));
                    failed = 1;
                    break;
                }
                if (io->csv_path) {
                    char row[512], lab[200];
                    double wall = ls_now() - t0;
                    ls__csv_quote(lab, sizeof lab, label);
                    snprintf(row, sizeof row, "%s,%llu,%d,%lld,%.6f,%.6f,%.6f,%.2f,%.0f", lab,
                             (unsigned long long)tc->seed, ls_get_threads(), (long long)(step + 1), step_loss, vloss, acc,
                             wall, wall > 0 ? st.tokens / wall : 0.0);
                    if (ls_csv_append(io->csv_path, "label,seed,threads,step,train_loss,val_loss,val_metric,wall_s,tokens_per_s",
                                      row, err)) { failed = 1; break; }
                }
                double score = by_loss ? -vloss : acc;
                if (score > st.best_score) {
                    st.best_score = score;
                    st.best_val = acc; st.best_val_loss = vloss; st.best_step = step + 1; st.bad_evals = 0;
                    memcpy(best_x, m->P.x, (size_t)m->P.n * sizeof(float));
                    have_best = 1;
                    if (io->ckpt_path && ls_checkpoint_save(best_path, &m->P, NULL, NULL, 0, err)) { failed = 1; break; }
                } else if (tc->patience && ++st.bad_evals >= tc->patience) {
                    stop = 1;
                    st.bad_evals = -1;
                }
            }
            st.step = step + 1;
            st.wall_s = ls_now() - t0;
            ls_progress_update(&pr, step + 1, step_loss, -1.0, st.tokens - tok0);
            if (io->ckpt_path && ((io->ckpt_every && (step + 1) % io->ckpt_every == 0) || last || stop))
                if (ls_checkpoint_save(io->ckpt_path, &m->P, &opt, &st, sizeof st, err)) { failed = 1; break; }
            if (io->stop_after && step + 1 - start >= io->stop_after) { stop = 2; break; }
        }
        char summary[160];
        snprintf(summary, sizeof summary, "loss %.4f  best val %.4f at step %lld", last_loss, st.best_val, (long long)st.best_step);
        ls_autothreads_end(&at);
        ls_progress_end(&pr, summary);
        LS_FREE(order.perm);
        LS_FREE(idx);
        ls_ctx_free(&ctx);
        res->steps = st.step;
        res->best_val = st.best_val;
        res->best_val_loss = st.best_val_loss;
        res->best_step = st.best_step;
        res->final_loss = st.tail_n ? st.tail_loss / (double)st.tail_n : st.tail_loss;
        res->wall_s = st.wall_s;
        res->tokens_per_s = st.wall_s > 0 ? st.tokens / st.wall_s : 0.0;
        if (failed) goto out;
        if (stop == 2) { rc = 1; goto out; }   /* interrupted on purpose (tests) */
        if (have_best) memcpy(m->P.x, best_x, (size_t)m->P.n * sizeof(float));
        if (test && (res->test = ls_evaluate(m, tc, test, 0, NULL)) < 0) {
            ls__seterr(err, "train: the model cannot run on the test set");
            goto out;
        }
        rc = 0;
    }
out:
#ifdef LS_MPI
    /* a rank that fails alone (a file, a bad batch) would leave the others waiting in a collective:
       the job ends, with the reason (no divergence: every rank sees it, and the run ends there) */
    if (rc < 0 && !res->diverged && mpi_n > 1) ls__mpi_fatal(err);
#endif
    LS_FREE(best_x);
    ls_adamw_free(&opt);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
   6D.6 gradient check
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
            double L[6];
            const double steps[6] = {2 * h, h, 0.5 * h, -0.5 * h, -h, -2 * h};
            for (int k2 = 0; k2 < 6; k2++) {
                t->x[e] = (float)((double)x0 + steps[k2]);
                L[k2] = ls__gc_loss(&ctx, f, in, user, w);
            }
            t->x[e] = x0;
            /* 4-point differences at h and h/2; their gap estimates the numeric uncertainty (float32
               rounding grows as 1/h, truncation as h^4), which is not counted against the gradient */
            double d4 = (-L[0] + 8.0 * L[1] - 8.0 * L[4] + L[5]) / (12.0 * h);
            double d4h = (-L[1] + 8.0 * L[2] - 8.0 * L[3] + L[4]) / (6.0 * h);
            double d2 = (L[1] - L[4]) / (2.0 * h), dwide = (L[0] - L[5]) / (4.0 * h);
            /* at a kink the narrow and wide differences disagree at first order: skip the element */
            if (fabs(d2 - dwide) > 0.05 * (fabs(d2) + fabs(dwide)) + 1e-3) { res->skipped++; continue; }
            double a = t->g[e], diff = fabs(a - d4) - 2.0 * fabs(d4 - d4h);
            if (diff < 0.0) diff = 0.0;
            num2 += diff * diff; den_a += a * a; den_n += d4 * d4;
            if (fabs(a - d4) > res->max_abs_err) res->max_abs_err = fabs(a - d4);
            res->checked++;
        }
        /* A gradient that is zero in exact arithmetic (a key bias under softmax) shows up numerically
           as float32 noise of ~1e-5: no relative measure can judge it, so it is counted apart. */
        double zero = 1e-4 * sqrt((double)(m > 0 ? m : 1));
        if (sqrt(den_a) < zero && sqrt(den_n) < zero) { res->zero_inputs++; continue; }
        double den = sqrt(den_a > den_n ? den_a : den_n), floor_ = 1e-6 * sqrt((double)m);
        double rel = sqrt(num2) / (den > floor_ ? den : floor_);
        if (rel > res->rel_err) { res->rel_err = rel; res->worst_input = k; }
    }
    LS_FREE(w);
    ls_ctx_free(&ctx);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   6D.7 command line, progress, logs
   --------------------------------------------------------------------------------------------- */

LS_API const char *ls_profile_name(int profile) {
    return profile == LS_PROFILE_SMOKE ? "smoke" : profile == LS_PROFILE_CPU ? "cpu" : profile == LS_PROFILE_PAPER ? "paper" :
           profile == LS_PROFILE_QUICK ? "quick" : "?";
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
    printf("  --profile P   smoke | quick | cpu | paper (default cpu); --smoke is --profile smoke\n"
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
            else if (!strcmp(val, "quick")) cli->profile = LS_PROFILE_QUICK;
            else { ls__seterr(err, "--profile: '%s' is not one of smoke, quick, cpu, paper", val); return -1; }
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
    char eta[32], accs[32] = "", losss[32] = "";
    ls__fmt_secs(step > 0 ? el / (double)step * (double)(p->total - step) : -1.0, eta, sizeof eta);
    if (acc >= 0) snprintf(accs, sizeof accs, "  acc %5.1f%%", 100.0 * acc);
    if (loss >= 0) snprintf(losss, sizeof losss, "  loss %.4f", loss);
    fprintf(stderr, "%s%s  step %lld/%lld%s%s  %.0f tok/s  ETA %s%s", tty ? "\r" : "", p->label,
            (long long)step, (long long)p->total, losss, accs, el > 0 ? tokens / el : 0.0, eta, tty ? "\033[K" : "\n");
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
    ls__xfsz guard;
    ls__xfsz_begin(&guard);
    fseek(f, 0, SEEK_END);
    int ok = 1, e = 0;
    if (ftell(f) == 0 && header) ok = fprintf(f, "%s\n", header) >= 0;
    ok = ok && fprintf(f, "%s\n", row) >= 0 && fflush(f) == 0;
    if (!ok) e = errno;
    if (fclose(f) != 0 && ok) { ok = 0; e = errno; }
    ls__xfsz_end(&guard);
    if (!ok) { ls__seterr(err, "%s: write failed: %s", path, ls__write_why(e)); return -1; }
    return 0;
}

#ifdef LS_MPI
/* ---------------------------------------------------------------------------------------------
   6E. MPI: data-parallel training (only with LS_MPI)

   MPI (the Message Passing Interface) runs one copy of a program per "rank", on one machine or
   many; ranks cooperate only through calls such as MPI_Allreduce (every rank contributes a buffer
   and every rank gets the element-wise sum). Data-parallel training with R ranks:

     global batch of B examples (the same B as one process), step s, micro-batch a:
       every rank   computes the same example indices (ls__batch_indices: a permutation seeded by
                    the epoch) and the same masks (hashed from the example and position)
       rank r       runs forward and backward on examples [B r / R, B (r + 1) / R) only, with its
                    loss scaled by (its targets) / (the batch's targets), so that
       MPI_Allreduce(sum) over the flat gradient buffer P.g gives every rank the gradient of the
                    whole batch's mean loss, as one process computes it (up to the order of float
                    additions)
       every rank   clips and takes the same AdamW step on the same parameters: they stay equal,
                    with no parameter traffic at all

   Nothing random depends on the rank count: batch order and MLM masks follow the global step and
   example, dropout masks the example's position in the global batch (ls_ctx.shard_first), and
   validation batches are the same batches, dealt round-robin to the ranks and their sums reduced.
   Rank 0 alone touches files (checkpoints, CSV) and prints; the others receive its starting state
   (a resumed checkpoint, a pretrained init) by MPI_Bcast, so a checkpoint written with any number
   of ranks resumes with any other. A rank that fails alone (a file it cannot write) calls
   MPI_Abort, which ends every rank: the others would otherwise wait forever in the next collective.
   --------------------------------------------------------------------------------------------- */

static MPI_Comm ls__mpi_user = MPI_COMM_NULL;   /* ls_mpi_set_comm's choice */

LS_API void ls_mpi_set_comm(MPI_Comm comm) { ls__mpi_user = comm; }

/* MPI is usable between MPI_Init and MPI_Finalize; outside them ls_train runs alone */
static int ls__mpi_on(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    if (init) MPI_Finalized(&fin);
    return init && !fin;
}

LS_API MPI_Comm ls_mpi_comm(void) {
    if (!ls__mpi_on()) return MPI_COMM_SELF;
    return ls__mpi_user != MPI_COMM_NULL ? ls__mpi_user : MPI_COMM_WORLD;
}

LS_API int ls_mpi_rank(void) {
    int r = 0;
    if (ls__mpi_on()) MPI_Comm_rank(ls_mpi_comm(), &r);
    return r;
}

LS_API int ls_mpi_size(void) {
    int n = 1;
    if (ls__mpi_on()) MPI_Comm_size(ls_mpi_comm(), &n);
    return n;
}

static void ls__mpi_fatal(const char *err) {
    int r = 0, n = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    fprintf(stderr, "longseq: rank %d of %d: %s\nlongseq: rank %d ends the MPI job (MPI_Abort); "
            "rerun it to resume from the last checkpoint\n", r, n, err && *err ? err : "failed", r);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

/* MPI counts are int: a buffer longer than 2^30 elements goes in pieces */
#define LS__MPI_CHUNK ((int64_t)1 << 30)

static void ls__mpi_bcast_floats(float *x, int64_t n, MPI_Comm c) {
    for (int64_t o = 0; o < n; o += LS__MPI_CHUNK)
        MPI_Bcast(x + o, (int)(n - o < LS__MPI_CHUNK ? n - o : LS__MPI_CHUNK), MPI_FLOAT, 0, c);
}

/* One micro-batch on this rank's slice of the global batch b (which every rank built whole: it is
   a copy of token ids, cheap beside the model). Backward adds the slice's share of the gradient of
   the global mean loss into P.g; *loss gets the slice's share of that loss. -1: the graph failed */
static int ls__mpi_micro(ls_ctx *ctx, ls_model *m, const ls_train_cfg *tc, const ls__batch *b,
                         double *loss) {
    const int r = ls_mpi_rank(), n = ls_mpi_size();
    const int64_t per = b->rows / b->B, T = b->T, lo = b->B * r / n, hi = b->B * (r + 1) / n;
    const int64_t tper = tc->objective == LS_OBJ_CLASSIFY ? 1 : per * T;   /* targets per example */
    int64_t all = 0, mine = 0;
    for (int64_t i = 0; i < b->B * tper; i++) {
        if (b->tgt[i] == LS__IGNORE) continue;
        all++;
        mine += i >= lo * tper && i < hi * tper;
    }
    *loss = 0.0;
    if (mine == 0) return 0;   /* no target here (more ranks than examples): a zero share */
    ctx->shard_first = lo;
    ctx->shard_rows = hi - lo;
    ls_tensor *logits =
        ls_model_forward(ctx, m, b->ids + lo * per * T, b->len + lo * per, hi - lo, T);
    ls_tensor *l = ls_cross_entropy(ctx, logits, b->tgt + lo * tper, LS__IGNORE);
    if (m->aux) l = ls_add(ctx, l, ls_scale(ctx, m->aux, LS_SWITCH_AUX));   /* Switch balance */
    /* the slice's mean loss times (its targets / all targets / micro-batches) */
    l = ls_scale(ctx, l, (float)((double)mine / (double)all / (double)tc->accum));
    ctx->shard_first = ctx->shard_rows = 0;
    if (ls_backward(ctx, l)) return -1;
    *loss = (double)l->x[0];
    return 0;
}

/* the one gradient exchange of a step: P.g summed over the ranks (the parameters live in one
   buffer, so this is a single MPI_Allreduce for models under 2^30 parameters), and the loss */
static void ls__mpi_step_sum(ls_params *P, double *step_loss) {
    MPI_Comm c = ls_mpi_comm();
    for (int64_t o = 0; o < P->n; o += LS__MPI_CHUNK)
        MPI_Allreduce(MPI_IN_PLACE, P->g + o,
                      (int)(P->n - o < LS__MPI_CHUNK ? P->n - o : LS__MPI_CHUNK), MPI_FLOAT,
                      MPI_SUM, c);
    MPI_Allreduce(MPI_IN_PLACE, step_loss, 1, MPI_DOUBLE, MPI_SUM, c);
}

/* ls_evaluate's counts summed over the ranks; one rank's failure (total < 0) fails them all */
static void ls__mpi_eval_sum(double *right, double *total, double *lsum, double *lcount) {
    double v[5] = {*right, *total < 0 ? 0.0 : *total, *lsum, *lcount, *total < 0 ? 1.0 : 0.0};
    MPI_Allreduce(MPI_IN_PLACE, v, 5, MPI_DOUBLE, MPI_SUM, ls_mpi_comm());
    *right = v[0]; *total = v[4] > 0 ? -1.0 : v[1]; *lsum = v[2]; *lcount = v[3];
}

/* rank 0's parameters, optimiser moments, trainer state and best-validation parameters, to every
   rank: what a resume (or a pretrained init) loaded there */
static void ls__mpi_share_state(ls_params *P, ls_adamw *opt, void *st, size_t st_size,
                                float *best_x, int *have_best, int *resumed) {
    MPI_Comm c = ls_mpi_comm();
    int flags[2] = {*have_best, *resumed};
    long long t = (long long)opt->t;
    MPI_Bcast(flags, 2, MPI_INT, 0, c);
    MPI_Bcast(&t, 1, MPI_LONG_LONG, 0, c);
    MPI_Bcast(st, (int)st_size, MPI_BYTE, 0, c);
    ls__mpi_bcast_floats(P->x, P->n, c);
    ls__mpi_bcast_floats(opt->m, opt->n, c);
    ls__mpi_bcast_floats(opt->v, opt->n, c);
    if (flags[0]) ls__mpi_bcast_floats(best_x, P->n, c);
    *have_best = flags[0]; *resumed = flags[1]; opt->t = (int64_t)t;
}

/* The ranks must hold the same parameters: a cheap check at each validation (a CRC-32 of the
   values, compared by one MPI_Allreduce of (crc, -crc) with MPI_MAX). They can only drift apart
   if MPI_Allreduce handed different ranks different sums, which MPI recommends against but does
   not forbid. 0: equal; -1 with a message. */
static int ls__mpi_same_params(const ls_params *P, char *err) {
    long long crc = (long long)ls_crc32(0, P->x, (size_t)P->n * sizeof(float)), v[2] = {crc, -crc};
    MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_LONG_LONG, MPI_MAX, ls_mpi_comm());
    if (v[0] == crc && -v[1] == crc) return 0;
    ls__seterr(err, "train: the ranks' parameters differ (CRC-32 %08llx here): MPI_Allreduce "
               "gave the ranks different sums", (unsigned long long)crc);
    return -1;
}
#undef LS__MPI_CHUNK
#endif /* LS_MPI */

#endif /* LONGSEQ_IMPLEMENTATION && !LS__IMPLEMENTED */

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
