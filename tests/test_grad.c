/* tests/test_grad.c - every op of the op table through ls_gradcheck (4-point central differences in
   double against ls_backward). The suite records which ops each case put on the tape and fails for
   any op in LS_OP_LIST that no case covered, so a new op cannot skip its gradient test. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-3

typedef struct gcase {
    const char *name;
    ls_graph_fn f;
    int n_in;
    ls_shape shape[LS_MAX_INPUTS];
    int frozen;          /* bit k: input k needs no gradient */
    int i0, i1, i2;      /* small integer arguments for the builder */
    float lo, hi;        /* input values drawn from [lo, hi] */
} gcase;

static const gcase *cur;  /* the case being built: builders read their arguments here */

/* --- builders: each returns the op's output from the prepared inputs --- */
static ls_tensor *g_matmul(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_matmul(c, in[0], in[1], cur->i0, cur->i1); }
static ls_tensor *g_linear(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_linear(c, in[0], in[1], cur->n_in > 2 ? in[2] : NULL); }
static ls_tensor *g_add(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_add(c, in[0], in[1]); }
static ls_tensor *g_sub(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_sub(c, in[0], in[1]); }
static ls_tensor *g_mul(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_mul(c, in[0], in[1]); }
static ls_tensor *g_scale(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_scale(c, in[0], -1.7f); }
static ls_tensor *g_embedding(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;
    static const int32_t ids[6] = {2, 0, 5, 2, 2, 1};   /* repeated ids accumulate */
    return ls_embedding(c, in[0], ids, ls_shape2(2, 3));
}
static ls_tensor *g_gelu(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_gelu(c, in[0]); }
static ls_tensor *g_silu(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_silu(c, in[0]); }
static ls_tensor *g_gelu_skip(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_gelu_skip(c, in[0], in[1], in[2]); }
static ls_tensor *g_softmax(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_softmax(c, in[0]); }
static ls_tensor *g_log_softmax(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_log_softmax(c, in[0]); }
static ls_tensor *g_cross_entropy(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;
    static const int32_t t[6] = {1, -100, 4, 0, 4, 2};
    return ls_cross_entropy(c, in[0], t, -100);
}
static ls_tensor *g_l1(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_l1_loss(c, in[0], in[1], cur->n_in > 2 ? in[2] : NULL); }
static ls_tensor *g_mse(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_mse_loss(c, in[0], in[1], cur->n_in > 2 ? in[2] : NULL); }
static ls_tensor *g_layernorm(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_layernorm(c, in[0], in[1], cur->n_in > 2 ? in[2] : NULL, 1e-5f); }
static ls_tensor *g_add_layernorm(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;   /* i0: alpha 1 (post-LN) or 1.7 (DeepNorm-like) */
    return ls_add_layernorm(c, in[0], in[1], cur->i0 ? 1.0f : 1.7f, in[2], cur->n_in > 3 ? in[3] : NULL, 1e-5f);
}
static ls_tensor *g_rmsnorm(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_rmsnorm(c, in[0], in[1], 1e-5f); }
static ls_tensor *g_dropout(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_dropout(c, in[0], 0.3f); }
static ls_tensor *g_reshape(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;   /* reshape, then an op that mixes elements, so a wrong mapping would show */
    return ls_softmax(c, ls_reshape(c, in[0], ls_shape2(4, -1)));
}
static ls_tensor *g_transpose(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_softmax(c, ls_transpose(c, in[0], cur->i0, cur->i1)); }
static ls_tensor *g_concat(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_concat(c, in[0], in[1], cur->i0); }
static ls_tensor *g_slice(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_slice(c, in[0], cur->i0, cur->i1, cur->i2); }
static ls_tensor *g_pool(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;
    static const int32_t lens[3] = {4, 1, 3};
    return ls_pool(c, in[0], cur->i1 ? lens : NULL, cur->i0);
}
static ls_tensor *g_sum(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_sum(c, ls_mul(c, in[0], in[0])); }

static ls_tensor *g_sigmoid(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_sigmoid(c, in[0]); }
static ls_tensor *g_glu(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_glu(c, in[0]); }
static ls_tensor *g_rope(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;   /* i0 = heads, i1 = rope kind; positions scaled and offset as PI / leaky ReRoPE use them */
    float theta[8];
    int64_t D = in[0]->d[2] / cur->i0;
    ls_rope_theta(theta, D, 10000.0f, cur->i1, 2.0f, 4, 1.0f, 8.0f);
    return ls_rope(c, in[0], cur->i0, theta, cur->i2 ? 0.5f : 1.0f, cur->i2 ? 3.0f : 0.0f);
}
static ls_tensor *g_xpos(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;   /* i0 = heads, i1 = key; scale_base 4 so the factors span a wide range over T = 9 */
    float theta[8];
    ls_rope_theta(theta, in[0]->d[2] / cur->i0, 10000.0f, LS_ROPE_PLAIN, 1.0f, 4, 1.0f, 8.0f);
    return ls_xpos(c, in[0], cur->i0, theta, LS_XPOS_GAMMA, 4.0f, cur->i1);
}
static ls_tensor *g_l2norm(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_l2norm(c, in[0], cur->i0, 1e-6f); }
static ls_tensor *g_linattn(ls_ctx *c, ls_tensor *const *in, void *u) {
    static const int32_t kvl[2] = {5, 3};   /* i2: the second sequence has 2 padding keys */
    (void)u;
    return ls_linear_attention(c, in[0], in[1], in[2], cur->i0, cur->i1, cur->i2 ? kvl : NULL);
}

static ls_tensor *g_attention(ls_ctx *c, ls_tensor *const *in, void *u) {
    (void)u;   /* i0: causal; i1: 1 alibi + row scale, 2 window + sinks, 3 dual regime, 4 KERPLE (in[3], the
                  second sequence 3 padding keys), 5 KERPLE + dual regime (in[3], in[4]; KERPLE in[5]),
                  6 q = k = v = in[0], also used by a second op (its gradient buffer shared and already
                  holding a contribution when the attention's backward adds its three); i2: norm */
    static float slopes[2] = {0.5f, 0.25f}, rs[16] = {1.0f, 0.7f, 1.3f, 0.9f, 1.1f, 1.2f, 0.8f, 1.0f, 1.4f, 0.6f, 1.0f, 1.0f, 0.9f, 1.1f, 1.2f, 0.7f};
    static const int32_t kvl[2] = {9, 6};
    ls_attn_opts o;
    memset(&o, 0, sizeof o);
    o.causal = cur->i0; o.norm = cur->i2;
    if (cur->i1 == 1) { o.alibi = slopes; o.row_scale = rs; }
    if (cur->i1 == 2) { o.window = 3; o.sinks = 2; }
    if (cur->i1 == 3 || cur->i1 == 5) o.dual_w = 3;
    if (cur->i1 == 4) { o.kerple = in[3]; o.kv_len = kvl; }
    if (cur->i1 == 5) o.kerple = in[5];
    if (cur->i1 == 5) return ls_attention(c, in[0], in[1], in[2], in[3], in[4], 2, &o);
    if (cur->i1 == 6) return ls_add(c, ls_attention(c, in[0], in[0], in[0], NULL, NULL, 2, &o), ls_scale(c, in[0], 0.5f));
    return ls_attention(c, in[0], in[1], in[2], cur->i1 == 3 ? in[3] : NULL, cur->i1 == 3 ? in[4] : NULL, 2, &o);
}
static ls_tensor *g_fftconv(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_fftconv(c, in[0], in[1], cur->n_in > 2 ? in[2] : NULL); }
static ls_tensor *g_s4d(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_s4d_kernel(c, in[0], in[1], in[2], in[3], in[4], 7); }
static ls_tensor *g_lru(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_lru_scan(c, in[0], in[1], in[2]); }
/* i0 = heads, i1 = causal; w (H, K) lightweight or (B, T, H, K) dynamic */
static ls_tensor *g_dwconv(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_dwconv(c, in[0], in[1], cur->i0, cur->i1); }
/* i0: reverse */
static ls_tensor *g_s5(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_s5_scan(c, in[0], in[1], in[2], in[3], cur->i0); }
static ls_tensor *g_ema(ls_ctx *c, ls_tensor *const *in, void *u) { (void)u; return ls_ema_kernel(c, in[0], in[1], in[2], in[3], 9); }

#define S1(a) ls_shape1(a)
#define S2(a, b) ls_shape2(a, b)
#define S3(a, b, c) ls_shape3(a, b, c)
#define S4(a, b, c, d) ls_shape4(a, b, c, d)

/* the inputs of case ci, drawn as its gradient check draws them; frozen ones need no gradient */
static void case_inputs(const gcase *c, int ci, ls_tensor **in) {
    ls_rng r = ls_rng_make((uint64_t)ci, 77);
    for (int k = 0; k < c->n_in; k++) {
        in[k] = ls_tensor_alloc(c->shape[k], !((c->frozen >> k) & 1));
        for (int64_t i = 0; i < in[k]->n; i++) in[k]->x[i] = c->lo + (c->hi - c->lo) * ls_rng_float(&r);
    }
    if (!strncmp(c->name, "l1_loss masked", 14) || !strncmp(c->name, "mse_loss masked", 15))
        for (int64_t i = 0; i < in[2]->n; i++) in[2]->x[i] = (float)(i % 3 != 0);   /* a 0/1 mask */
}

static int same_bits(const float *a, const float *b, int64_t n) { return !memcmp(a, b, (size_t)n * sizeof(float)); }
static void test_raw_grad_bits(const gcase *cases, int n_cases);

static void run_cases(unsigned char *seen) {
    const gcase cases[] = {
        {"matmul NN", g_matmul, 2, {S2(3, 4), S2(4, 5)}, 0, 0, 0, 0, -1, 1},
        {"matmul TN", g_matmul, 2, {S2(4, 3), S2(4, 5)}, 0, 1, 0, 0, -1, 1},
        {"matmul NT", g_matmul, 2, {S2(3, 4), S2(5, 4)}, 0, 0, 1, 0, -1, 1},
        {"matmul TT", g_matmul, 2, {S2(4, 3), S2(5, 4)}, 0, 1, 1, 0, -1, 1},
        {"matmul batched NN", g_matmul, 2, {S3(2, 3, 4), S3(2, 4, 5)}, 0, 0, 0, 0, -1, 1},
        {"matmul batched TT", g_matmul, 2, {S4(2, 2, 4, 3), S4(2, 2, 5, 4)}, 0, 1, 1, 0, -1, 1},
        {"matmul batched a, shared b", g_matmul, 2, {S3(2, 3, 4), S2(4, 5)}, 0, 0, 0, 0, -1, 1},
        {"matmul batched a^T, shared b^T", g_matmul, 2, {S3(2, 4, 3), S2(5, 4)}, 0, 1, 1, 0, -1, 1},
        {"linear with bias", g_linear, 3, {S3(2, 3, 4), S2(4, 5), S1(5)}, 0, 0, 0, 0, -1, 1},
        {"linear without bias", g_linear, 2, {S2(3, 4), S2(4, 2)}, 0, 0, 0, 0, -1, 1},
        {"linear, frozen input", g_linear, 3, {S2(3, 4), S2(4, 2), S1(2)}, 1, 0, 0, 0, -1, 1},
        {"add same shape", g_add, 2, {S2(3, 4), S2(3, 4)}, 0, 0, 0, 0, -1, 1},
        {"add row bias", g_add, 2, {S3(2, 3, 4), S1(4)}, 0, 0, 0, 0, -1, 1},
        {"add both broadcast", g_add, 2, {S3(2, 1, 4), S2(3, 1)}, 0, 0, 0, 0, -1, 1},
        {"add scalar", g_add, 2, {S2(3, 4), S1(1)}, 0, 0, 0, 0, -1, 1},
        {"sub broadcast", g_sub, 2, {S2(3, 1), S3(2, 3, 4)}, 0, 0, 0, 0, -1, 1},
        {"mul same shape", g_mul, 2, {S2(3, 4), S2(3, 4)}, 0, 0, 0, 0, -1, 1},
        {"mul broadcast", g_mul, 2, {S3(2, 3, 4), S3(2, 1, 4)}, 0, 0, 0, 0, -1, 1},
        {"mul 4-d broadcast", g_mul, 2, {S4(2, 1, 3, 1), S4(1, 2, 1, 4)}, 0, 0, 0, 0, -1, 1},
        {"scale", g_scale, 1, {S2(3, 4)}, 0, 0, 0, 0, -1, 1},
        {"embedding", g_embedding, 1, {S2(6, 4)}, 0, 0, 0, 0, -1, 1},
        {"gelu", g_gelu, 1, {S2(4, 5)}, 0, 0, 0, 0, -3, 3},
        {"silu", g_silu, 1, {S2(4, 5)}, 0, 0, 0, 0, -3, 3},
        {"gelu_skip", g_gelu_skip, 3, {S3(2, 3, 5), S3(2, 3, 5), S1(5)}, 0, 0, 0, 0, -2, 2},
        {"gelu_skip, frozen y", g_gelu_skip, 3, {S2(4, 3), S2(4, 3), S1(3)}, 1, 0, 0, 0, -2, 2},
        {"softmax", g_softmax, 1, {S3(2, 3, 5)}, 0, 0, 0, 0, -2, 2},
        {"log_softmax", g_log_softmax, 1, {S2(3, 5)}, 0, 0, 0, 0, -2, 2},
        {"cross_entropy with ignore", g_cross_entropy, 1, {S3(2, 3, 5)}, 0, 0, 0, 0, -2, 2},
        {"l1_loss", g_l1, 2, {S2(3, 4), S2(3, 4)}, 0, 0, 0, 0, -1, 1},
        {"l1_loss masked", g_l1, 3, {S2(3, 4), S2(3, 4), S2(3, 4)}, 4, 0, 0, 0, -1, 1},
        {"mse_loss", g_mse, 2, {S2(3, 4), S2(3, 4)}, 2, 0, 0, 0, -1, 1},
        {"mse_loss masked", g_mse, 3, {S2(3, 4), S2(3, 4), S2(3, 4)}, 4, 0, 0, 0, -1, 1},
        {"layernorm", g_layernorm, 3, {S3(2, 3, 6), S1(6), S1(6)}, 0, 0, 0, 0, -1, 1},
        {"layernorm no beta", g_layernorm, 2, {S2(4, 5), S1(5)}, 0, 0, 0, 0, -1, 1},
        {"add_layernorm", g_add_layernorm, 4, {S3(2, 3, 6), S3(2, 3, 6), S1(6), S1(6)}, 0, 1, 0, 0, -1, 1},
        {"add_layernorm alpha 1.7, no beta", g_add_layernorm, 3, {S2(4, 5), S2(4, 5), S1(5)}, 0, 0, 0, 0, -1, 1},
        {"rmsnorm", g_rmsnorm, 2, {S3(2, 3, 6), S1(6)}, 0, 0, 0, 0, -1, 1},
        {"dropout", g_dropout, 1, {S2(5, 8)}, 0, 0, 0, 0, -1, 1},
        {"reshape", g_reshape, 1, {S3(2, 2, 3)}, 0, 0, 0, 0, -1, 1},
        {"transpose 0,1", g_transpose, 1, {S3(2, 3, 4)}, 0, 0, 1, 0, -1, 1},
        {"transpose 1,2", g_transpose, 1, {S3(2, 3, 4)}, 0, 1, 2, 0, -1, 1},
        {"transpose 0,3", g_transpose, 1, {S4(2, 3, 2, 3)}, 0, 0, 3, 0, -1, 1},
        {"concat dim 0", g_concat, 2, {S2(2, 3), S2(1, 3)}, 0, 0, 0, 0, -1, 1},
        {"concat dim 1", g_concat, 2, {S3(2, 3, 2), S3(2, 1, 2)}, 0, 1, 0, 0, -1, 1},
        {"concat last dim", g_concat, 2, {S3(2, 3, 2), S3(2, 3, 4)}, 0, 2, 0, 0, -1, 1},
        {"slice dim 1", g_slice, 1, {S3(2, 5, 3)}, 0, 1, 1, 3, -1, 1},
        {"slice last dim", g_slice, 1, {S2(4, 6)}, 0, 1, 2, 2, -1, 1},
        {"pool mean, lengths", g_pool, 1, {S3(3, 4, 2)}, 0, LS_POOL_MEAN, 1, 0, -1, 1},
        {"pool max, lengths", g_pool, 1, {S3(3, 4, 2)}, 0, LS_POOL_MAX, 1, 0, -1, 1},
        {"pool last, lengths", g_pool, 1, {S3(3, 4, 2)}, 0, LS_POOL_LAST, 1, 0, -1, 1},
        {"pool mean, full", g_pool, 1, {S3(2, 3, 2)}, 0, LS_POOL_MEAN, 0, 0, -1, 1},
        {"sum", g_sum, 1, {S2(3, 4)}, 0, 0, 0, 0, -1, 1},
        {"sigmoid", g_sigmoid, 1, {S2(4, 5)}, 0, 0, 0, 0, -3, 3},
        {"glu", g_glu, 1, {S3(2, 3, 6)}, 0, 0, 0, 0, -3, 3},
        {"rope plain", g_rope, 1, {S3(2, 5, 8)}, 0, 2, LS_ROPE_PLAIN, 0, -1, 1},
        {"rope ntk, scaled positions", g_rope, 1, {S3(1, 6, 12)}, 0, 2, LS_ROPE_NTK, 1, -1, 1},
        {"rope yarn", g_rope, 1, {S3(2, 4, 16)}, 0, 1, LS_ROPE_YARN, 0, -1, 1},
        {"rope xpos queries", g_xpos, 1, {S3(2, 9, 8)}, 0, 2, 0, 0, -1, 1},
        {"rope xpos keys", g_xpos, 1, {S3(1, 7, 12)}, 0, 1, 1, 0, -1, 1},
        {"l2norm", g_l2norm, 1, {S3(2, 3, 8)}, 0, 4, 0, 0, -1, 1},
        {"linear_attention", g_linattn, 3, {S3(2, 5, 8), S3(2, 5, 8), S3(2, 5, 8)}, 0, 2, 0, 0, -1, 1},
        {"linear_attention, key lengths", g_linattn, 3, {S3(2, 5, 8), S3(2, 5, 8), S3(2, 5, 8)}, 0, 2, 0, 1, -1, 1},
        {"attention", g_attention, 3, {S3(2, 7, 8), S3(2, 7, 8), S3(2, 7, 8)}, 0, 0, 0, LS_ATTN_SOFTMAX, -1, 1},
        {"attention causal, alibi, log-n", g_attention, 3, {S3(1, 9, 8), S3(1, 9, 8), S3(1, 9, 8)}, 0, 1, 1, LS_ATTN_SOFTMAX, -1, 1},
        {"attention window + sinks", g_attention, 3, {S3(1, 9, 8), S3(1, 9, 8), S3(1, 9, 8)}, 0, 0, 2, LS_ATTN_SOFTMAX, -1, 1},
        {"attention dual regime (ReRoPE)", g_attention, 5, {S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4)}, 0, 1, 3, LS_ATTN_SOFTMAX, -1, 1},
        {"attention q = k = v, two tiles, reused", g_attention, 1, {S3(2, 70, 8)}, 0, 1, 6, LS_ATTN_SOFTMAX, -1, 1},
        {"attention l2-normalised", g_attention, 3, {S3(1, 6, 8), S3(1, 6, 8), S3(1, 6, 8)}, 0, 1, 0, LS_ATTN_L2, -1, 1},
        {"attention no denominator", g_attention, 3, {S3(1, 6, 8), S3(1, 6, 8), S3(1, 6, 8)}, 0, 0, 0, LS_ATTN_NODENOM, -1, 1},
        {"attention KERPLE causal, key lengths", g_attention, 4, {S3(2, 9, 8), S3(2, 9, 8), S3(2, 9, 8), S2(2, 2)}, 0, 1, 4, LS_ATTN_SOFTMAX, -1, 1},
        {"attention KERPLE bidirectional, key lengths", g_attention, 4, {S3(2, 9, 8), S3(2, 9, 8), S3(2, 9, 8), S2(2, 2)}, 0, 0, 4, LS_ATTN_SOFTMAX, -1, 1},
        {"attention KERPLE + dual regime", g_attention, 6, {S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4), S3(1, 8, 4), S2(2, 2)}, 0, 1, 5, LS_ATTN_SOFTMAX, -1, 1},
        {"fftconv causal", g_fftconv, 2, {S3(2, 9, 3), S2(3, 9)}, 0, 0, 0, 0, -1, 1},
        {"fftconv bidirectional", g_fftconv, 3, {S3(1, 6, 2), S2(2, 6), S2(2, 6)}, 0, 0, 0, 0, -1, 1},
        /* T > LS__CONV_DIRECT_T: the FFT path, 2 batches x 2 channel blocks (the second partial),
           with the spectra kept from forward to backward */
        {"fftconv causal, FFT path", g_fftconv, 2, {S3(2, 40, 18), S2(18, 40)}, 0, 0, 0, 0, -1, 1},
        {"fftconv bidirectional, FFT path", g_fftconv, 3, {S3(2, 37, 17), S2(17, 37), S2(17, 37)}, 0, 0, 0, 0, -1, 1},
        {"s4d_kernel", g_s4d, 5, {S1(2), S2(2, 3), S2(2, 3), S2(2, 3), S2(2, 3)}, 0, 0, 0, 0, -1, 1},
        {"lru_scan", g_lru, 3, {S3(2, 7, 6), S1(3), S1(3)}, 0, 0, 0, 0, -1, 1},
        {"linear_attention causal", g_linattn, 3, {S3(2, 6, 6), S3(2, 6, 6), S3(2, 6, 6)}, 0, 2, 1, 0, -1, 1},
        {"dwconv lightweight causal", g_dwconv, 2, {S3(2, 7, 6), S2(2, 3)}, 0, 2, 1, 0, -1, 1},
        {"dwconv lightweight centred, K even", g_dwconv, 2, {S3(1, 6, 4), S2(2, 4)}, 0, 2, 0, 0, -1, 1},
        {"dwconv dynamic causal", g_dwconv, 2, {S3(2, 6, 4), S4(2, 6, 2, 3)}, 0, 2, 1, 0, -1, 1},
        {"dwconv dynamic centred, K > T", g_dwconv, 2, {S3(1, 4, 6), S4(1, 4, 3, 5)}, 0, 3, 0, 0, -1, 1},
        {"s5_scan", g_s5, 4, {S3(2, 7, 6), S1(3), S1(3), S1(3)}, 0, 0, 0, 0, -1, 1},
        {"s5_scan reverse", g_s5, 4, {S3(2, 6, 4), S1(2), S1(2), S1(2)}, 0, 1, 0, 0, -1, 1},
        {"ema_kernel", g_ema, 4, {S2(3, 4), S2(3, 4), S2(3, 4), S2(3, 4)}, 0, 0, 0, 0, -1, 1},
    };
    const int n_cases = (int)(sizeof cases / sizeof cases[0]);

    for (int ci = 0; ci < n_cases; ci++) {
        cur = &cases[ci];
        ls_tensor *in[LS_MAX_INPUTS] = {NULL, NULL, NULL, NULL, NULL, NULL};
        case_inputs(cur, ci, in);
        ls_gradcheck_result res;
        int rc = ls_gradcheck(cur->f, in, cur->n_in, NULL, 1000 + (uint64_t)ci, 0, 0, &res);
        for (int op = 0; op < LS_OP_COUNT; op++) seen[op] |= res.op_seen[op];
        T_CHECK(rc == 0 && res.rel_err <= TOL && res.skipped * 10 <= res.checked,
                "%-32s rel err %.2e  (%lld elements, %lld skipped at kinks)%s%s", cur->name, res.rel_err,
                (long long)res.checked, (long long)res.skipped, rc ? "  build failed: " : "", rc ? res.err : "");
        for (int k = 0; k < cur->n_in; k++) ls_tensor_free(in[k]);
    }
    test_raw_grad_bits(cases, n_cases);
}

/* --- a fused op against the ops it fuses: the same bits for values and gradients, at a size
   that takes the threaded paths (2 threads) --- */

typedef struct fusion { int fused; float alpha; } fusion;

static ls_tensor *b_gelu_skip(ls_ctx *c, ls_tensor *const *in, void *u) {
    return ((fusion *)u)->fused ? ls_gelu_skip(c, in[0], in[1], in[2])
                                : ls_gelu(c, ls_add(c, in[0], ls_mul(c, in[1], in[2])));
}

static ls_tensor *b_add_layernorm(ls_ctx *c, ls_tensor *const *in, void *u) {
    const fusion *f = (const fusion *)u;
    if (f->fused) return ls_add_layernorm(c, in[0], in[1], f->alpha, in[2], in[3], 1e-5f);
    ls_tensor *x = f->alpha == 1.0f ? in[0] : ls_scale(c, in[0], f->alpha);
    return ls_layernorm(c, ls_add(c, x, in[1]), in[2], in[3], 1e-5f);
}

/* build(fused = 0) vs build(fused = 1) on the same inputs (normal draws times 2, all needing
   gradients): the output and every input gradient must have the same bits */
static void fused_bits(const char *what, ls_graph_fn build, float alpha, const ls_shape *shapes, int n_in) {
    ls_tensor *in[LS_MAX_INPUTS], *w = NULL;
    float *ref[LS_MAX_INPUTS + 1];
    int ok = 1, saved = ls_get_threads();
    ls_rng r = ls_rng_make(3, 9);
    for (int k = 0; k < n_in; k++) {
        in[k] = ls_tensor_alloc(shapes[k], 1);
        for (int64_t i = 0; i < in[k]->n; i++) in[k]->x[i] = 2.0f * ls_rng_normal(&r);
    }
    ls_set_threads(2);
    for (int fused = 0; fused < 2; fused++) {
        ls_ctx ctx;
        ls_ctx_init(&ctx, 1);
        fusion f = {fused, alpha};
        for (int k = 0; k < n_in; k++) memset(in[k]->g, 0, sizeof(float) * (size_t)in[k]->n);
        ls_tensor *o = build(&ctx, in, &f);
        if (!w) {
            w = ls_tensor_alloc(ls_tensor_shape(o), 0);
            for (int64_t i = 0; i < w->n; i++) w->x[i] = ls_rng_normal(&r);
        }
        ls_backward(&ctx, ls_sum(&ctx, ls_mul(&ctx, o, w)));
        for (int k = 0; k <= n_in; k++) {
            const float *src = k < n_in ? in[k]->g : o->x;
            int64_t len = k < n_in ? in[k]->n : o->n;
            if (!fused) { ref[k] = (float *)malloc(sizeof(float) * (size_t)len); memcpy(ref[k], src, sizeof(float) * (size_t)len); }
            else { ok &= same_bits(ref[k], src, len); free(ref[k]); }
        }
        ls_ctx_free(&ctx);
    }
    ls_set_threads(saved);
    T_CHECK(ok, "%s: the value and every gradient", what);
    for (int k = 0; k < n_in; k++) ls_tensor_free(in[k]);
    ls_tensor_free(w);
}

static void test_fused_bits(void) {
    const ls_shape skip[3] = {ls_shape3(3, 500, 48), ls_shape3(3, 500, 48), ls_shape1(48)};
    const ls_shape res[4] = {ls_shape3(3, 500, 48), ls_shape3(3, 500, 48), ls_shape1(48), ls_shape1(48)};
    fused_bits("gelu_skip gives the bits of gelu(add(y, mul(x, d)))", b_gelu_skip, 1.0f, skip, 3);
    fused_bits("add_layernorm gives the bits of layernorm(add(x, y))", b_add_layernorm, 1.0f, res, 4);
    fused_bits("add_layernorm (alpha 2.3) gives the bits of layernorm(add(scale(x, 2.3), y))", b_add_layernorm,
               2.3f, res, 4);
}

/* --- raw gradient buffers (longseq.h, ls__grad): a tape tensor's gradient buffer is not zeroed up
   front; its first writer stores, or zeroes it just before adding. Every case again, its inputs
   passed through scale(x, 1) (tape tensors, so their buffers start raw), in three variants:
   0 the op alone; 1 a second consumer sum(x w) recorded after the op (its backward writes first,
   the op's must add); 2 that consumer recorded before the op (the op writes first). Variant 0
   also records an unused scale(x, 2), whose output gradient nothing writes. The inputs'
   gradients must have the bits of the same graph on the inputs themselves, whose buffers are
   zeroed. The arena is filled with NaN first, so a raw buffer read before it is written shows. --- */
/* the second consumer: sum over inputs that need a gradient of sum(x w) */
static ls_tensor *raw_grad_consumer(ls_ctx *ctx, const gcase *c, ls_tensor **in, ls_tensor **x, ls_tensor **wk) {
    ls_tensor *extra = NULL;
    for (int k = 0; k < c->n_in; k++)
        if (in[k]->g) {
            ls_tensor *e = ls_sum(ctx, ls_mul(ctx, x[k], wk[k]));
            extra = extra ? ls_add(ctx, extra, e) : e;
        }
    return extra;
}

static void raw_grad_pass(const gcase *c, ls_tensor **in, int through, int variant, ls_tensor *wo, ls_tensor **wk) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    ls_tensor *junk = ls_tensor_new(&ctx, ls_shape1(1 << 16));
    for (int64_t i = 0; i < junk->n; i++) junk->x[i] = nanf("");
    ls_ctx_reset(&ctx);
    ls_tensor *x[LS_MAX_INPUTS] = {NULL, NULL, NULL, NULL, NULL, NULL}, *extra = NULL;
    for (int k = 0; k < c->n_in; k++) {
        if (in[k]->g) memset(in[k]->g, 0, sizeof(float) * (size_t)in[k]->n);
        x[k] = through && in[k]->g ? ls_scale(&ctx, in[k], 1.0f) : in[k];
        if (variant == 0) ls_scale(&ctx, x[k], 2.0f);   /* unused: its gradient is 0, never written */
    }
    if (variant == 2) extra = raw_grad_consumer(&ctx, c, in, x, wk);
    ls_tensor *out = c->f(&ctx, x, NULL);
    ls_tensor *loss = ls_sum(&ctx, ls_mul(&ctx, out, wo));
    if (variant == 1) extra = raw_grad_consumer(&ctx, c, in, x, wk);
    if (extra) loss = ls_add(&ctx, loss, extra);
    ls_backward(&ctx, loss);
    ls_ctx_free(&ctx);
}

static void test_raw_grad_bits(const gcase *cases, int n_cases) {
    int bad = 0, checked = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        cur = &cases[ci];
        ls_tensor *in[LS_MAX_INPUTS] = {NULL, NULL, NULL, NULL, NULL, NULL}, *wk[LS_MAX_INPUTS] = {NULL, NULL, NULL, NULL, NULL, NULL};
        case_inputs(cur, ci, in);
        ls_rng r = ls_rng_make((uint64_t)ci, 78);
        for (int k = 0; k < cur->n_in; k++) {
            wk[k] = ls_tensor_alloc(cur->shape[k], 0);
            for (int64_t i = 0; i < wk[k]->n; i++) wk[k]->x[i] = ls_rng_normal(&r);
        }
        ls_ctx probe;   /* the output's shape, for its projection weights */
        ls_ctx_init(&probe, 1);
        ls_tensor *o = cur->f(&probe, in, NULL);
        ls_tensor *wo = ls_tensor_alloc(ls_tensor_shape(o), 0);
        for (int64_t i = 0; i < wo->n; i++) wo->x[i] = ls_rng_normal(&r);
        ls_ctx_free(&probe);
        for (int variant = 0; variant < 3; variant++) {
            float *ref[LS_MAX_INPUTS] = {NULL, NULL, NULL, NULL, NULL, NULL};
            raw_grad_pass(cur, in, 0, variant, wo, wk);
            for (int k = 0; k < cur->n_in; k++)
                if (in[k]->g) { ref[k] = (float *)malloc(sizeof(float) * (size_t)in[k]->n); memcpy(ref[k], in[k]->g, sizeof(float) * (size_t)in[k]->n); }
            raw_grad_pass(cur, in, 1, variant, wo, wk);
            int same = 1;
            for (int k = 0; k < cur->n_in; k++)
                if (ref[k]) {   /* equal, and finite: NaN from an unwritten buffer would match itself */
                    same &= same_bits(ref[k], in[k]->g, in[k]->n);
                    for (int64_t i = 0; i < in[k]->n; i++) same &= isfinite(ref[k][i]);
                    free(ref[k]);
                }
            checked++;
            if (!same) { bad++; printf("  raw gradient buffers change the gradients of '%s' (variant %d)\n", cur->name, variant); }
        }
        for (int k = 0; k < cur->n_in; k++) { ls_tensor_free(in[k]); ls_tensor_free(wk[k]); }
        ls_tensor_free(wo);
    }
    T_CHECK(bad == 0, "raw gradient buffers give the bits of zeroed ones: %d of %d case variants differ", bad, checked);
}

void suite_grad(void) {
    unsigned char seen[LS_OP_COUNT];
    memset(seen, 0, sizeof seen);
    run_cases(seen);
    test_fused_bits();
    int missing = 0;
    for (int op = 0; op < LS_OP_COUNT; op++)
        if (!seen[op]) { missing++; printf("  op '%s' has no gradient test\n", ls_op_name(op)); }
    T_CHECK(missing == 0, "every op in the op table (%d ops) is gradient-checked (%d missing)", LS_OP_COUNT, missing);
}
