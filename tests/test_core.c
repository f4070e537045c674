/* tests/test_core.c - the foundation: RNG, arena, op values and errors, sgemm, AdamW, schedules,
   checkpoints (round trip, every truncation, every flipped byte), thread-count determinism, CLI,
   and a small MLP that must learn two spirals. */
#include "test.h"
#include "expf_hard.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1.0 + fabs(b)); }

/* --- RNG --- */
static void test_rng(void) {
    ls_rng a = ls_rng_make(7, LS_STREAM_INIT), b = ls_rng_make(7, LS_STREAM_INIT), c = ls_rng_make(7, LS_STREAM_DATA);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = ls_rng_u64(&a), y = ls_rng_u64(&b), z = ls_rng_u64(&c);
        same &= x == y;
        differ += x != z;
    }
    T_CHECK(same, "same (seed, stream) gives the same sequence");
    T_CHECK(differ == 100, "another stream gives another sequence (%d/100 differ)", differ);

    int counts[10] = {0};
    ls_rng r = ls_rng_make(1, 99);
    for (int i = 0; i < 100000; i++) counts[ls_rng_below(&r, 10)]++;
    double chi2 = 0;
    for (int k = 0; k < 10; k++) chi2 += (counts[k] - 10000.0) * (counts[k] - 10000.0) / 10000.0;
    T_CHECK(chi2 < 30.0, "ls_rng_below(10) is uniform (chi2 %.1f, 9 dof)", chi2);

    double s = 0, s2 = 0, mn = 1, mx = 0;
    for (int i = 0; i < 100000; i++) {
        double u = ls_rng_double(&r);
        mn = u < mn ? u : mn; mx = u > mx ? u : mx;
        float g = ls_rng_normal(&r);
        s += g; s2 += (double)g * g;
    }
    T_CHECK(mn >= 0.0 && mx < 1.0, "ls_rng_double in [0, 1): min %g max %g", mn, mx);
    T_CHECK(fabs(s / 1e5) < 0.02 && fabs(s2 / 1e5 - 1.0) < 0.02, "normal mean %.4f var %.4f", s / 1e5, s2 / 1e5);

    int32_t perm[50];
    for (int i = 0; i < 50; i++) perm[i] = i;
    ls_rng_shuffle(&r, perm, 50);
    int seen[50] = {0}, moved = 0;
    for (int i = 0; i < 50; i++) { seen[perm[i]]++; moved += perm[i] != i; }
    int ok = 1;
    for (int i = 0; i < 50; i++) ok &= seen[i] == 1;
    T_CHECK(ok && moved > 30, "shuffle is a permutation that moves most elements (%d moved)", moved);
}

/* --- arena --- */
static void test_arena(void) {
    ls_arena a;
    memset(&a, 0, sizeof a);
    int aligned = 1;
    for (int i = 1; i < 200; i++) aligned &= ((uintptr_t)ls_arena_alloc(&a, (size_t)i * 37) % 64) == 0;
    void *big = ls_arena_alloc(&a, (size_t)5 << 20);   /* bigger than a block */
    memset(big, 1, (size_t)5 << 20);
    T_CHECK(aligned, "arena allocations are 64-byte aligned");
    size_t total = a.total;
    ls_arena_reset(&a);
    for (int i = 1; i < 200; i++) ls_arena_alloc(&a, (size_t)i * 37);
    ls_arena_alloc(&a, (size_t)5 << 20);
    T_CHECK(a.total == total, "a second identical step reuses the memory (%zu vs %zu bytes)", a.total, total);
    ls_arena_reset(&a);
    for (int i = 1; i < 200; i++) ls_arena_alloc(&a, (size_t)i * 37);
    ls_arena_alloc(&a, (size_t)5 << 20);
    T_CHECK(a.total == total, "steady state: no growth (%zu vs %zu bytes)", a.total, total);
    T_CHECK(a.high >= ((size_t)5 << 20), "high-water mark counts the big block (%zu)", a.high);
    ls_arena_free(&a);
}

/* --- forward values of ops against direct computations --- */
static void fill(ls_tensor *t, uint64_t seed) {
    ls_rng r = ls_rng_make(seed, 5);
    for (int64_t i = 0; i < t->n; i++) t->x[i] = ls_rng_float(&r) * 2 - 1;
}

static void test_values(void) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 3);
    ls_tensor *a = ls_tensor_new(&ctx, ls_shape2(3, 4)), *b = ls_tensor_new(&ctx, ls_shape2(4, 5));
    fill(a, 1); fill(b, 2);
    ls_tensor *c = ls_matmul(&ctx, a, b, 0, 0);
    double err = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += (double)a->x[i * 4 + k] * b->x[k * 5 + j];
            err = fmax(err, fabs(s - c->x[i * 5 + j]));
        }
    T_CHECK(c->nd == 2 && c->d[0] == 3 && c->d[1] == 5 && err < 1e-6, "matmul (3,4)x(4,5) values (err %g)", err);

    ls_tensor *bias = ls_tensor_new(&ctx, ls_shape1(4));
    fill(bias, 3);
    ls_tensor *s = ls_add(&ctx, a, bias);
    int ok = 1;
    for (int i = 0; i < 12; i++) ok &= s->x[i] == a->x[i] + bias->x[i % 4];
    T_CHECK(ok, "add broadcasts a (4) bias over rows");
    ls_tensor *col = ls_tensor_new(&ctx, ls_shape2(3, 1));
    fill(col, 4);
    ls_tensor *m = ls_mul(&ctx, a, col);
    ok = 1;
    for (int i = 0; i < 12; i++) ok &= m->x[i] == a->x[i] * col->x[i / 4];
    T_CHECK(ok, "mul broadcasts a (3, 1) column");

    ls_tensor *sm = ls_softmax(&ctx, a);
    ok = 1;
    for (int r = 0; r < 3; r++) {
        double t = 0;
        for (int k = 0; k < 4; k++) t += sm->x[r * 4 + k];
        ok &= fabs(t - 1.0) < 1e-6;
    }
    T_CHECK(ok, "softmax rows sum to 1");

    ls_tensor *gm = ls_tensor_new(&ctx, ls_shape1(4));
    ls_fill(gm, 1.0f);
    ls_tensor *ln = ls_layernorm(&ctx, a, gm, NULL, 1e-5f);
    ok = 1;
    for (int r = 0; r < 3; r++) {
        double mu = 0, var = 0;
        for (int k = 0; k < 4; k++) mu += ln->x[r * 4 + k];
        mu /= 4;
        for (int k = 0; k < 4; k++) var += (ln->x[r * 4 + k] - mu) * (ln->x[r * 4 + k] - mu);
        ok &= fabs(mu) < 1e-5 && fabs(var / 4 - 1.0) < 1e-3;
    }
    T_CHECK(ok, "layernorm rows have mean 0 and variance 1");

    ls_tensor *zeros = ls_tensor_zeros(&ctx, ls_shape2(2, 8));
    int32_t tg[2] = {3, -100};
    ls_tensor *ce = ls_cross_entropy(&ctx, zeros, tg, -100);
    T_CHECK(near(ce->x[0], log(8.0), 1e-6), "cross-entropy of uniform logits is log V (%g)", ce->x[0]);

    ls_tensor *x3 = ls_tensor_new(&ctx, ls_shape3(2, 3, 2));
    for (int i = 0; i < 12; i++) x3->x[i] = (float)i;
    int32_t lens[2] = {2, 3};
    ls_tensor *pm = ls_pool(&ctx, x3, lens, LS_POOL_MEAN), *px = ls_pool(&ctx, x3, lens, LS_POOL_MAX),
              *pl = ls_pool(&ctx, x3, lens, LS_POOL_LAST);
    T_CHECK(pm->x[0] == 1 && pm->x[1] == 2 && pm->x[2] == 8 && pm->x[3] == 9, "masked mean pool");
    T_CHECK(px->x[0] == 2 && px->x[1] == 3 && px->x[2] == 10 && px->x[3] == 11, "masked max pool");
    T_CHECK(pl->x[0] == 2 && pl->x[1] == 3 && pl->x[2] == 10 && pl->x[3] == 11, "last-token pool");

    ls_tensor *tr = ls_transpose(&ctx, x3, 0, 2);   /* (2, 3, 2) -> (2, 3, 2) with dims 0 and 2 swapped */
    ok = tr->d[0] == 2 && tr->d[1] == 3 && tr->d[2] == 2;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++) ok &= tr->x[(i * 3 + j) * 2 + k] == x3->x[(k * 3 + j) * 2 + i];
    T_CHECK(ok, "transpose(0, 2) permutes values");

    ls_tensor *cat = ls_concat(&ctx, x3, x3, 1), *sl = ls_slice(&ctx, cat, 1, 3, 3);
    ok = cat->d[1] == 6 && sl->d[1] == 3;
    for (int i = 0; i < 12; i++) ok &= sl->x[i] == x3->x[i];
    T_CHECK(ok, "slice of a concat gives back the second part");

    ls_tensor *big = ls_tensor_new(&ctx, ls_shape1(100000));
    ls_fill(big, 1.0f);
    ls_tensor *dr = ls_dropout(&ctx, big, 0.25f);
    int64_t zero = 0;
    ok = 1;
    for (int64_t i = 0; i < big->n; i++) {
        if (dr->x[i] == 0.0f) zero++;
        else ok &= fabsf(dr->x[i] - 1.0f / 0.75f) < 1e-6f;
    }
    T_CHECK(ok && fabs(zero / 1e5 - 0.25) < 0.01, "dropout drops %.3f of elements (p 0.25) and rescales", zero / 1e5);
    ctx.training = 0;
    T_CHECK(ls_dropout(&ctx, big, 0.25f) == big, "dropout is the identity in evaluation");
    ls_ctx_free(&ctx);
}

/* --- activations: the vectorised GELU and SiLU against double-precision references --- */
static void test_activations(void) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    const int64_t N = 40001;   /* x in [-20, 20] step 0.001 */
    ls_tensor *x = ls_tensor_alloc(ls_shape1(N), 1);   /* heap: outlives the resets */
    for (int64_t i = 0; i < N; i++) x->x[i] = -20.0f + 0.001f * (float)i;
    for (int op = 0; op < 2; op++) {
        ls_tensor *y = op ? ls_silu(&ctx, x) : ls_gelu(&ctx, x);
        ls_backward(&ctx, ls_sum(&ctx, y));
        double ey = 0, ed = 0;
        for (int64_t i = 0; i < N; i++) {
            double v = x->x[i], c = op ? 1.0 / (1.0 + exp(-v)) : 0.5 * erfc(-v / sqrt(2.0));
            double d = op ? c * (1.0 + v * (1.0 - c)) : c + v * exp(-0.5 * v * v) * 0.398942280401432678;
            double s = fabs(v) > 1.0 ? fabs(v) : 1.0;
            if (fabs(y->x[i] - v * c) / s > ey) ey = fabs(y->x[i] - v * c) / s;
            if (fabs(x->g[i] - d) / s > ed) ed = fabs(x->g[i] - d) / s;
        }
        T_CHECK(ey < 3e-7 && ed < 1e-6, "%s on [-20, 20]: max error %.2g (value), %.2g (derivative), relative to max(1, |x|)",
                op ? "silu" : "gelu", ey, ed);
        memset(x->g, 0, (size_t)N * sizeof(float));
        ls_ctx_reset(&ctx);
    }
    ls_tensor_free(x);
    ls_ctx_free(&ctx);
}

/* --- GELU, SiLU and ls__exp bit for bit against their formulas written plainly, with ?: selects.
   The header writes those selects as bit masks so that gcc vectorises the loops without AVX-512's
   masked stores (a ?: with a constant arm left them scalar in AVX2 builds); the values must not
   change. Inputs: the edges of ls__exp's clamps, specials, then float bit patterns at a stride.
   The backward of gelu(x) + gelu(x), x an interior node, covers both arms of LS__GACC: the first
   node's gradient is stored on x's raw buffer (0 + v), the second's added. --- */
static float t_exp_plain(float x) {
    float xc = x < -87.3f ? -87.3f : x;
    xc = xc > 88.3f ? 88.3f : xc;
    float t = xc * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    uint32_t tb, eb;
    memcpy(&tb, &t, sizeof tb);
    float r = xc - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    eb = (tb - 0x4B400000u + 127u) << 23;
    float sc;
    memcpy(&sc, &eb, sizeof sc);
    return x < -87.3f ? 0.0f : p * sc;
}
static float t_phi_plain(float x, float e) {
    float z = (x < 0.0f ? -x : x) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.3275911f * z);
    float q = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) * e;
    return x < 0.0f ? 0.5f * q : 1.0f - 0.5f * q;
}
static int t_bits_eq(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

static void test_exp_bits(void) {
    const float edge[] = {0.0f, -0.0f, 1.0f, -1.0f, -87.3f, -87.29999f, -87.30001f, 88.3f, 88.29999f, 88.30001f,
                          -88.0f, 89.0f, -100.0f, 1e-30f, -1e-30f, 1e-45f, INFINITY, -INFINITY, NAN, -NAN,
                          3.4e38f, -3.4e38f, 13.0f, -13.0f, 1e19f, -1e19f, 1e20f, -1e20f};
    const int ne = (int)(sizeof edge / sizeof edge[0]);
    const int64_t N = (int64_t)((((uint64_t)1 << 32) + 4098) / 4099) + ne;   /* edges, then the stride */
    ls_tensor *x = ls_tensor_alloc(ls_shape1(N), 1);
    for (int i = 0; i < ne; i++) x->x[i] = edge[i];
    int64_t n = ne;
    for (uint64_t u = 0; u < ((uint64_t)1 << 32); u += 4099, n++) {
        uint32_t b = (uint32_t)u;
        memcpy(&x->x[n], &b, sizeof b);
    }
    float *e = (float *)malloc(sizeof(float) * (size_t)N);
    t_exp_n(e, x->x, N);
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < N; i++)
        if (!t_bits_eq(e[i], t_exp_plain(x->x[i])) && bad++ == 0) first = i;
    T_CHECK(bad == 0, "ls__exp = its ?: formula bit for bit on %lld floats (%lld differ; first x %a: %a, formula %a)",
            (long long)N, (long long)bad, first < 0 ? 0.0 : (double)x->x[first], first < 0 ? 0.0 : (double)e[first],
            first < 0 ? 0.0 : (double)t_exp_plain(x->x[first]));
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    for (int op = 0; op < 2; op++) {   /* 0 GELU, 1 SiLU */
        ls_tensor *xi = ls_scale(&ctx, x, 1.0f);   /* an interior node: its gradient buffer starts raw */
        ls_tensor *y = op ? ls_silu(&ctx, xi) : ls_gelu(&ctx, xi);
        ls_tensor *y2 = op ? ls_silu(&ctx, xi) : ls_gelu(&ctx, xi);
        ls_backward(&ctx, ls_sum(&ctx, ls_add(&ctx, y, y2)));
        int64_t bf = 0, bb = 0, fi = -1;
        for (int64_t i = 0; i < N; i++) {
            float v = x->x[i], ry, rg;
            if (op) {
                float s = 1.0f / (1.0f + t_exp_plain(-v));
                ry = v / (1.0f + t_exp_plain(-v));
                rg = 1.0f * s * (1.0f + v * (1.0f - s));
                rg = (0.0f + rg) + rg;
            } else {
                float ev = t_exp_plain(-0.5f * v * v);
                ry = v * t_phi_plain(v, ev);
                rg = 1.0f * (t_phi_plain(v, ev) + v * 0.39894228040143268f * ev);
                rg = (0.0f + rg) + rg;
            }
            if (!t_bits_eq(y->x[i], ry) && bf++ == 0) fi = i;
            if (!t_bits_eq(xi->g[i], rg) && bb++ == 0 && fi < 0) fi = i;
        }
        T_CHECK(bf == 0 && bb == 0, "%s forward and backward = the plain formulas bit for bit on %lld floats "
                "(%lld values, %lld gradients differ; first x %a)", op ? "silu" : "gelu", (long long)N,
                (long long)bf, (long long)bb, fi < 0 ? 0.0 : (double)x->x[fi]);
        memset(x->g, 0, sizeof(float) * (size_t)N);
        ls_ctx_reset(&ctx);
    }
    free(e);
    ls_tensor_free(x);
    ls_ctx_free(&ctx);

    /* the attention's row helpers (AVX2 intrinsics or plain loops) against ls__exp's formula and
       the 16 lanes summed pairwise; AVX-512 builds use their own exp (scalef), not compared */
    if (t_attn_vw() != 16) {
        ls_rng rng = ls_rng_make(5, LS_STREAM_DATA);
        int64_t bad = 0, rows = 0;
        for (int row = 0; row < 300; row++, rows++) {
            float p[64], q[64], lane[16], mx = -INFINITY, sub;
            for (int c = 0; c < 64; c++) {
                p[c] = (ls_rng_float(&rng) - 0.5f) * (row % 3 == 0 ? 400.0f : 30.0f);
                if ((c * 7 + row) % 11 == 0) p[c] = -INFINITY;   /* hidden keys */
            }
            if (row % 50 == 7) for (int c = 0; c < 64; c++) p[c] = -INFINITY;
            for (int u = 0; u < 16; u++) lane[u] = p[u];
            for (int c = 16; c < 64; c++) lane[c % 16] = p[c] > lane[c % 16] ? p[c] : lane[c % 16];
            for (int u = 0; u < 16; u++) mx = lane[u] > mx ? lane[u] : mx;
            bad += !t_bits_eq(t_attn_row_max(p), mx);
            sub = isinf(mx) ? 0.0f : mx - (float)(row % 4);
            for (int l2 = 0; l2 < 3; l2++) {
                memcpy(q, p, sizeof q);
                float s = 0.0f;
                if (l2 < 2) s = t_attn_row_exp(q, sub, l2);
                else t_attn_row_expl(q, sub);
                for (int u = 0; u < 16; u++) lane[u] = 0.0f;
                for (int c = 0; c < 64; c++) {
                    float ev = t_exp_plain(p[c] - sub);
                    bad += !t_bits_eq(q[c], ev);
                    lane[c % 16] += l2 == 1 ? ev * ev : ev;
                }
                for (int w = 8; w >= 1; w /= 2)
                    for (int u = 0; u < w; u++) lane[u] += lane[u + w];
                if (l2 < 2) bad += !t_bits_eq(s, lane[0]);
            }
        }
        T_CHECK(bad == 0, "attention row max / exp / sum (vector width %d) = ls__exp's formula, 16 lanes pairwise, "
                "bit for bit on %lld rows (%lld values differ)", t_attn_vw(), (long long)rows, (long long)bad);
    }
    /* the forward's 16-row helpers (AVX-512: the 16 rows' lane pairings done across the rows at
       once), any build: maxima and sums = the 16 lanes of each row paired 8, 4, 2, 1, the exps =
       the one-row exp, rows with nothing visible (sub -inf) zeroed with sum 0 */
    {
        ls_rng rng = ls_rng_make(6, LS_STREAM_DATA);
        int64_t bad = 0;
        static float p[16 * 64], q[16 * 64], one[64];
        for (int blk = 0; blk < 40; blk++) {
            float out[16], sub[16];
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 64; c++) {
                    float v = (ls_rng_float(&rng) - 0.5f) * ((blk + r) % 3 == 0 ? 300.0f : 20.0f);
                    p[r * 64 + c] = (c * 5 + r + blk) % 9 == 0 || (blk % 7 == 3 && r == 5) ? -INFINITY : v;
                }
            t_attn_rows_max(p, out);
            for (int r = 0; r < 16; r++) {
                float lane[16], mx = -INFINITY;
                for (int u = 0; u < 16; u++) lane[u] = p[r * 64 + u];
                for (int c = 16; c < 64; c++) lane[c % 16] = p[r * 64 + c] > lane[c % 16] ? p[r * 64 + c] : lane[c % 16];
                for (int u = 0; u < 16; u++) mx = lane[u] > mx ? lane[u] : mx;
                bad += !t_bits_eq(out[r], mx);
                sub[r] = isinf(out[r]) || (blk % 5 == 2 && r == 11) ? -INFINITY : out[r] - (float)(r % 3);
            }
            for (int l2 = 0; l2 < 2; l2++) {
                memcpy(q, p, sizeof q);
                t_attn_rows_exp(q, sub, l2, out);
                for (int r = 0; r < 16; r++) {
                    float lane[16] = {0};
                    if (sub[r] == -INFINITY) {
                        for (int c = 0; c < 64; c++) bad += !t_bits_eq(q[r * 64 + c], 0.0f);
                        bad += !t_bits_eq(out[r], 0.0f);
                        continue;
                    }
                    memcpy(one, p + r * 64, sizeof one);
                    t_attn_row_expl(one, sub[r]);
                    for (int c = 0; c < 64; c++) {
                        const float e = q[r * 64 + c];
                        bad += !t_bits_eq(e, one[c]);
                        lane[c % 16] = !l2 ? lane[c % 16] + e : t_attn_vw() == 16 ? fmaf(e, e, lane[c % 16]) : lane[c % 16] + e * e;
                    }
                    for (int w = 8; w >= 1; w /= 2)
                        for (int u = 0; u < w; u++) lane[u] += lane[u + w];
                    bad += !t_bits_eq(out[r], lane[0]);
                }
            }
        }
        T_CHECK(bad == 0, "attention 16-row max / exp / sum (vector width %d) = each row's 16 lanes paired 8, 4, 2, 1 and "
                "the one-row exp, bit for bit on 640 rows (%lld values differ)", t_attn_vw(), (long long)bad);
    }
}

/* --- the ops that call expf (sigmoid, softmax, log-softmax, cross-entropy) compute it with a
   vectorised copy of glibc's expf (ls__expf_n): their results must equal the same formulas with
   libm's expf bit for bit, or the report's models would change. ls__expf_n itself runs over float
   bit patterns at a stride (all 2^32 with LS_TEST_EXHAUSTIVE=1), the edges of its fast path, what
   expf handles itself (overflow, underflow, inf, NaN), and the 512 inputs whose e^x lies nearest a
   float rounding midpoint (tests/expf_hard.h), where an error far below an ulp shows; sigmoid
   through the op; the row ops over rows with a wide spread of logits, forward and backward. --- */
static int t_same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }

static void test_expf_ops(void) {
    const char *ex = getenv("LS_TEST_EXHAUSTIVE");
    const uint64_t stride = ex && ex[0] == '1' ? 1 : 4099;   /* odd: reaches every exponent and low pattern */
    const int64_t N = 1 << 20;
    const float edge[] = {0.0f, -0.0f, 1.0f, -1.0f, 87.99999f, -87.99999f, 88.0f, -88.0f, 88.7f, 89.0f,
                          -89.0f, -103.0f, -103.5f, -104.0f, -110.0f, 1e-30f, -1e-30f, 1e-45f, INFINITY,
                          -INFINITY, NAN, 0.5f, -0.5f, 3.4e38f, -3.4e38f};
    const int ne = (int)(sizeof edge / sizeof edge[0]);
    const int nh = (int)(sizeof t_expf_hard / sizeof t_expf_hard[0]);
    {   /* ls__expf_n: the hard inputs, the edges, then the stride, in pieces of 1000 */
        enum { P = 1000 };
        float a[P], y[P];
        int64_t tested = 0, bad = 0, bad_hard = 0;
        float fx = 0.0f, fy = 0.0f, fr = 0.0f;
        for (uint64_t u = 0, pass = 0; u < ((uint64_t)1 << 32); pass++) {
            int n = 0;
            if (pass == 0) {
                for (; n < nh; n++) memcpy(&a[n], &t_expf_hard[n], sizeof a[n]);
                for (int i = 0; i < ne; i++) a[n++] = edge[i];
            }
            for (; n < P && u < ((uint64_t)1 << 32); n++, u += stride) {
                uint32_t b = (uint32_t)u;
                memcpy(&a[n], &b, sizeof b);
            }
            t_expf_n(y, a, n);
            for (int i = 0; i < n; i++) {
                float ref = expf(a[i]);
                if (t_same_bits(y[i], ref)) continue;
                if (pass == 0 && i < nh) bad_hard++;
                if (bad++ == 0) { fx = a[i]; fy = y[i]; fr = ref; }
            }
            tested += n;
        }
        T_CHECK(bad == 0, "ls__expf_n (%s) = expf bit for bit on %lld floats, %d of them the hardest to round "
                "(%lld differ, %lld hard ones; first x %a: %a, libm %a)",
                t_expf_vec() ? "vector path" : "libm calls: no FMA in this build", (long long)tested, nh,
                (long long)bad, (long long)bad_hard, (double)fx, (double)fy, (double)fr);
    }
    ls_ctx ctx;
    ls_ctx_init(&ctx, 0);
    ls_tensor *x = ls_tensor_alloc(ls_shape1(N), 0);
    int64_t tested = 0, bad = 0;
    float fx = 0.0f, fy = 0.0f, fr = 0.0f;
    for (uint64_t u = 0, pass = 0; u < ((uint64_t)1 << 32); pass++) {
        int64_t n = 0;
        if (pass == 0)
            for (; n < ne; n++) x->x[n] = edge[n];
        for (; n < N && u < ((uint64_t)1 << 32); n++, u += stride) {
            uint32_t b = (uint32_t)u;
            memcpy(&x->x[n], &b, sizeof b);
        }
        for (int64_t i = n; i < N; i++) x->x[i] = 0.0f;
        ls_tensor *y = ls_sigmoid(&ctx, x);
        for (int64_t i = 0; y && i < n; i++) {
            float ref = 1.0f / (1.0f + expf(-x->x[i]));
            if (!t_same_bits(y->x[i], ref) && bad++ == 0) { fx = x->x[i]; fy = y->x[i]; fr = ref; }
        }
        tested += n;
        ls_ctx_reset(&ctx);
    }
    T_CHECK(tested > 1000000 && bad == 0,
            "sigmoid = 1 / (1 + expf(-x)) bit for bit on %lld floats (%lld differ; first x %a: %a, libm %a)",
            (long long)tested, (long long)bad, (double)fx, (double)fy, (double)fr);
    ls_tensor_free(x);
    ls_ctx_free(&ctx);

    /* rows of 517 (more than one vector chunk) and of 2; logits spread over [-60, 60], some beyond 88 */
    const int64_t shapes[2][2] = {{37, 517}, {64, 2}};
    for (int sh = 0; sh < 2; sh++) {
        const int64_t R = shapes[sh][0], C = shapes[sh][1];
        ls_ctx_init(&ctx, 1);
        ls_tensor *z = ls_tensor_alloc(ls_shape2(R, C), 1);
        ls_rng rng = ls_rng_make(11, LS_STREAM_DATA);
        for (int64_t i = 0; i < z->n; i++)
            z->x[i] = (ls_rng_float(&rng) - 0.5f) * (i % 61 == 0 ? 240.0f : 120.0f);
        int32_t tg[64];
        for (int64_t r = 0; r < R; r++) tg[r] = (int32_t)((r * 7) % C);
        float *lse = (float *)malloc(sizeof(float) * (size_t)R);
        for (int64_t r = 0; r < R; r++) {   /* the reference: max, then the sum in index order */
            const float *row = z->x + r * C;
            float m = row[0], s = 0.0f;
            for (int64_t c = 1; c < C; c++) m = row[c] > m ? row[c] : m;
            for (int64_t c = 0; c < C; c++) s += expf(row[c] - m);
            lse[r] = m + logf(s);
        }
        int64_t nb[3] = {0, 0, 0};
        for (int op = 0; op < 3; op++) {
            memset(z->g, 0, sizeof(float) * (size_t)z->n);
            ls_tensor *y = op == 0 ? ls_softmax(&ctx, z) : op == 1 ? ls_log_softmax(&ctx, z)
                                                        : ls_cross_entropy(&ctx, z, tg, -100);
            ls_tensor *w = ls_tensor_alloc(ls_tensor_shape(y), 0);
            for (int64_t i = 0; i < w->n; i++) w->x[i] = (float)((i * 7) % 13) * 0.25f - 1.5f;
            ls_backward(&ctx, ls_sum(&ctx, ls_mul(&ctx, y, w)));
            for (int64_t r = 0; r < R; r++) {
                const float *row = z->x + r * C, *dyr = w->x + (op < 2 ? r * C : 0);
                float sdy = 0.0f;
                for (int64_t c = 0; op == 1 && c < C; c++) sdy += dyr[c];
                for (int64_t c = 0; c < C; c++) {
                    float yref = op == 0 ? expf(row[c] - lse[r]) : row[c] - lse[r], gref;
                    if (op == 0) {
                        float dot = 0.0f;
                        for (int64_t k = 0; k < C; k++) dot += dyr[k] * y->x[r * C + k];
                        gref = 0.0f + y->x[r * C + c] * (dyr[c] - dot);
                    } else if (op == 1) {
                        gref = 0.0f + (dyr[c] - expf(y->x[r * C + c]) * sdy);
                    } else {
                        gref = 0.0f + w->x[0] / (float)R * expf(row[c] - lse[r]);
                        if (c == tg[r]) gref -= w->x[0] / (float)R;
                    }
                    if (op < 2 && !t_same_bits(y->x[r * C + c], yref)) nb[op]++;
                    if (!t_same_bits(z->g[r * C + c], gref)) nb[op]++;
                }
            }
            ls_tensor_free(w);
            ls_ctx_reset(&ctx);
        }
        T_CHECK(nb[0] == 0 && nb[1] == 0 && nb[2] == 0,
                "softmax, log-softmax, cross-entropy (%lld x %lld) equal their libm-expf formulas bit for bit, "
                "forward and backward (%lld, %lld, %lld differ)", (long long)R, (long long)C, (long long)nb[0],
                (long long)nb[1], (long long)nb[2]);
        free(lse);
        ls_tensor_free(z);
        ls_ctx_free(&ctx);
    }
}

/* --- LayerNorm's row sums run 16 rows at a time, one per vector lane (AVX-512 builds): the values
   must equal the one-row formulas bit for bit (each lane adds in the row's order), for full blocks
   of 16 rows and 16 columns and for the tails of both, forward and backward, plain and with the
   residual (add_layernorm, alpha 1 and 0.7). --- */
static void test_layernorm_bits(void) {
    const int64_t shapes[3][2] = {{37, 70}, {32, 128}, {5, 16}};
    for (int sh = 0; sh < 3; sh++) {
        const int64_t R = shapes[sh][0], C = shapes[sh][1];
        for (int variant = 0; variant < 3; variant++) {   /* layernorm; add_layernorm alpha 1; alpha 0.7 */
            ls_ctx ctx;
            ls_ctx_init(&ctx, 1);
            ls_tensor *x = ls_tensor_alloc(ls_shape2(R, C), 1), *y = ls_tensor_alloc(ls_shape2(R, C), 1);
            ls_tensor *gm = ls_tensor_alloc(ls_shape1(C), 1), *bt = ls_tensor_alloc(ls_shape1(C), 1);
            ls_rng rng = ls_rng_make(21 + (uint64_t)sh, LS_STREAM_DATA);
            for (int64_t i = 0; i < x->n; i++) { x->x[i] = 3.0f * ls_rng_normal(&rng) + 1.5f; y->x[i] = ls_rng_normal(&rng); }
            for (int64_t c = 0; c < C; c++) { gm->x[c] = 1.0f + 0.3f * ls_rng_normal(&rng); bt->x[c] = 0.2f * ls_rng_normal(&rng); }
            const float alpha = variant == 2 ? 0.7f : 1.0f, eps = 1e-5f;
            ls_tensor *out = variant == 0 ? ls_layernorm(&ctx, x, gm, bt, eps) : ls_add_layernorm(&ctx, x, y, alpha, gm, bt, eps);
            ls_tensor *w = ls_tensor_alloc(ls_shape2(R, C), 0);
            for (int64_t i = 0; i < w->n; i++) w->x[i] = ls_rng_normal(&rng);
            ls_backward(&ctx, ls_sum(&ctx, ls_mul(&ctx, out, w)));
            int64_t bad = 0;
            for (int64_t r = 0; r < R; r++) {   /* the one-row formulas (ls__ln_row_stats, ls__ln_apply, ls__ln_row_means, ls__ln_dx) */
                float v[128], m = 0.0f, q = 0.0f, a = 0.0f, b = 0.0f;
                for (int64_t c = 0; c < C; c++) {
                    float t = variant == 2 ? alpha * x->x[r * C + c] : x->x[r * C + c];
                    v[c] = variant ? t + y->x[r * C + c] : t;
                }
                for (int64_t c = 0; c < C; c++) m += v[c];
                m /= (float)C;
                for (int64_t c = 0; c < C; c++) q += (v[c] - m) * (v[c] - m);
                const float s = 1.0f / sqrtf(q / (float)C + eps);
                for (int64_t c = 0; c < C; c++) {
                    float yo = (v[c] - m) * s * gm->x[c] + bt->x[c];
                    bad += !t_same_bits(out->x[r * C + c], yo);
                }
                for (int64_t c = 0; c < C; c++) {
                    float g = w->x[r * C + c] * gm->x[c], xh = (v[c] - m) * s;
                    a += g; b += g * xh;
                }
                const float mg = a / (float)C, mgx = b / (float)C;
                for (int64_t c = 0; c < C; c++) {
                    float g = w->x[r * C + c] * gm->x[c], xh = (v[c] - m) * s;
                    const float dv = s * (g - mg - xh * mgx) + 0.0f;   /* the LN's input gradient */
                    bad += !t_same_bits(x->g[r * C + c], variant ? alpha * dv + 0.0f : dv);
                    if (variant) bad += !t_same_bits(y->g[r * C + c], dv + 0.0f);
                }
            }
            T_CHECK(bad == 0, "%s (%lld x %lld%s) equals the one-row formulas bit for bit, forward and backward (%lld differ)",
                    variant ? "add_layernorm" : "layernorm", (long long)R, (long long)C,
                    variant == 2 ? ", alpha 0.7" : "", (long long)bad);
            ls_tensor_free(w); ls_tensor_free(x); ls_tensor_free(y); ls_tensor_free(gm); ls_tensor_free(bt);
            ls_ctx_free(&ctx);
        }
    }
}

/* --- errors: shapes named, first error kept, NULL propagated --- */
static void test_errors(void) {
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    /* heap tensors: they outlive the ls_ctx_reset calls below */
    ls_tensor *a = ls_tensor_alloc(ls_shape2(4, 8), 0), *b = ls_tensor_alloc(ls_shape2(7, 3), 0);
    ls_tensor *c = ls_matmul(&ctx, a, b, 0, 0);
    T_CHECK(!c && strstr(ls_ctx_error(&ctx), "ls_matmul") && strstr(ls_ctx_error(&ctx), "(4, 8)") &&
                strstr(ls_ctx_error(&ctx), "(7, 3)"),
            "matmul mismatch names the op and both shapes: %s", ls_ctx_error(&ctx));
    ls_tensor *d = ls_gelu(&ctx, ls_add(&ctx, c, a));
    T_CHECK(!d && strstr(ls_ctx_error(&ctx), "ls_matmul"), "later ops return NULL and keep the first error");
    T_CHECK(ls_backward(&ctx, d) == -1, "backward of a failed graph returns -1");
    ls_ctx_reset(&ctx);
    T_CHECK(ls_ctx_error(&ctx)[0] == 0, "reset clears the error");

    ls_tensor *tab = ls_tensor_zeros(&ctx, ls_shape2(5, 2));
    int32_t ids[3] = {0, 5, 1};
    T_CHECK(!ls_embedding(&ctx, tab, ids, ls_shape1(3)) && strstr(ls_ctx_error(&ctx), "id 5"),
            "embedding names an out-of-range id: %s", ls_ctx_error(&ctx));
    ls_ctx_reset(&ctx);
    int32_t tg[4] = {0, 1, 9, 2};
    T_CHECK(!ls_cross_entropy(&ctx, a, tg, -1) && strstr(ls_ctx_error(&ctx), "target 9"),
            "cross-entropy names a bad target: %s", ls_ctx_error(&ctx));
    ls_ctx_reset(&ctx);
    T_CHECK(!ls_add(&ctx, a, b) && strstr(ls_ctx_error(&ctx), "broadcast"), "add names shapes that do not broadcast");
    ls_ctx_reset(&ctx);
    T_CHECK(!ls_glu(&ctx, b) && strstr(ls_ctx_error(&ctx), "ls_glu") && strstr(ls_ctx_error(&ctx), "(7, 3)"),
            "glu names an odd last dim and the shape: %s", ls_ctx_error(&ctx));
    ls_ctx_reset(&ctx);
    T_CHECK(!ls_reshape(&ctx, a, ls_shape2(5, -1)), "reshape (4, 8) to (5, -1) is refused");
    ls_ctx_reset(&ctx);
    ls_tensor *x = ls_tensor_zeros(&ctx, ls_shape2(2, 2));
    T_CHECK(ls_backward(&ctx, ls_sum(&ctx, x)) == -1 && strstr(ls_ctx_error(&ctx), "does not depend"),
            "backward of a loss with no parameters is refused");
    ls_tensor_free(a);
    ls_tensor_free(b);
    ls_ctx_free(&ctx);
}

/* --- sgemm against a double reference, every transpose, beta, ragged sizes; the last three
   sizes take the threaded path with a work grid cut finer for two threads (a small C from a
   long K), and must give the same bits with 1 and 2 threads --- */
/* ls_linear's forward starts the sgemm's accumulators from the bias row: the bits of copying the
   bias into every output row and calling ls_sgemm with beta 1, on shapes with edge tiles, several
   K blocks and the threaded and small paths */
static void test_linear_bias(void) {
    const int sizes[][3] = {{3, 5, 4}, {37, 45, 300}, {500, 130, 129}, {1000, 96, 600}, {300, 700, 64}};
    int bad = 0, saved = ls_get_threads();
    for (int th = 1; th <= 2; th++) {
        ls_set_threads(th);
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int R = sizes[si][0], N = sizes[si][1], K = sizes[si][2];
            ls_tensor *x = ls_tensor_alloc(ls_shape2(R, K), 0), *w = ls_tensor_alloc(ls_shape2(K, N), 0);
            ls_tensor *b = ls_tensor_alloc(ls_shape1(N), 0);
            ls_rng r = ls_rng_make(si, 12);
            for (int64_t i = 0; i < x->n; i++) x->x[i] = ls_rng_normal(&r);
            for (int64_t i = 0; i < w->n; i++) w->x[i] = ls_rng_normal(&r);
            for (int64_t i = 0; i < b->n; i++) b->x[i] = ls_rng_normal(&r);
            float *ref = (float *)malloc(sizeof(float) * (size_t)R * N);
            for (int i = 0; i < R; i++) memcpy(ref + (size_t)i * N, b->x, sizeof(float) * (size_t)N);
            ls_sgemm(0, 0, R, N, K, 1.0f, x->x, K, w->x, N, 1.0f, ref, N);
            ls_ctx ctx;
            ls_ctx_init(&ctx, 1);
            ls_tensor *y = ls_linear(&ctx, x, w, b);
            bad += !y || memcmp(y->x, ref, sizeof(float) * (size_t)R * N) != 0;
            ls_ctx_free(&ctx);
            free(ref);
            ls_tensor_free(x); ls_tensor_free(w); ls_tensor_free(b);
        }
    }
    ls_set_threads(saved);
    T_CHECK(bad == 0, "ls_linear with a bias has the bits of bias rows + ls_sgemm(beta 1) (%d of 10 differ)", bad);
}

static void test_sgemm(void) {
    const int sizes[][3] = {{1, 1, 1}, {7, 13, 5}, {33, 17, 31}, {64, 64, 64}, {100, 3, 257}, {5, 130, 9},
                            {70, 100, 2000}, {150, 64, 1500}, {29, 200, 700}};
    double worst = 0;
    int bad = 0, differ = 0, saved = ls_get_threads();
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int M = sizes[si][0], N = sizes[si][1], K = sizes[si][2];
        float *A = (float *)malloc(sizeof(float) * M * K), *B = (float *)malloc(sizeof(float) * K * N);
        float *C = (float *)malloc(sizeof(float) * M * N), *C0 = (float *)malloc(sizeof(float) * M * N);
        float *C1 = (float *)malloc(sizeof(float) * M * N);
        ls_rng r = ls_rng_make(si, 8);
        for (int i = 0; i < M * K; i++) A[i] = ls_rng_float(&r) - 0.5f;
        for (int i = 0; i < K * N; i++) B[i] = ls_rng_float(&r) - 0.5f;
        for (int i = 0; i < M * N; i++) C0[i] = ls_rng_float(&r) - 0.5f;
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int bi = 0; bi < 2; bi++) {
                    float beta = bi ? 0.5f : 0.0f;
                    memcpy(C, C0, sizeof(float) * M * N);
                    ls_set_threads(1);
                    ls_sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, beta, C, N);
                    memcpy(C1, C, sizeof(float) * M * N);
                    memcpy(C, C0, sizeof(float) * M * N);
                    ls_set_threads(2);
                    ls_sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, beta, C, N);
                    differ += memcmp(C, C1, sizeof(float) * M * N) != 0;
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            double s = beta * (double)C0[i * N + j];
                            for (int k = 0; k < K; k++)
                                s += (double)(ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
                            double e = fabs(s - C[i * N + j]) / (1.0 + fabs(s));
                            worst = fmax(worst, e);
                            bad += e > 1e-5 * sqrt((double)K);
                        }
                }
        free(A); free(B); free(C); free(C0); free(C1);
    }
    ls_set_threads(saved);
    T_CHECK(bad == 0, "sgemm matches a double reference for all transposes and beta (worst rel %.2g)", worst);
    T_CHECK(differ == 0, "sgemm gives the same bits with 1 and 2 threads (%d of %d products differ)", differ,
            (int)(sizeof sizes / sizeof sizes[0]) * 8);
}

/* --- sgemm's rounding contract, bit for bit: every C element is c = beta c (0 when beta is 0),
   then c = fma(a_ik, b_kj, c) for k ascending. Checked on both ways the kernel reads B: in place
   (B stored (K, N) with ldb <= 512: full 32-column slivers) and packed (ldb > 512, B transposed,
   the edge sliver), and both ways it reads A (stored (K, M), ta 1: full slivers in place where
   the build has that kernel; A (M, K) and edge slivers packed), with ldb larger than N (a view
   into a wider matrix), several K blocks, edge rows and columns, work items of several M blocks,
   1 and 2 threads --- */
static void test_sgemm_bits(void) {
    const int shapes[][4] = {   /* M, N, K, ldb of a (K, N) B */
        {37, 200, 600, 300}, {37, 200, 600, 600}, {100, 64, 300, 64}, {15, 96, 257, 512}, {29, 33, 520, 40},
        {1800, 40, 300, 40}};   /* 9 M blocks: items of 2 blocks sharing each packed B chunk, the last of 1 */
    int bad = 0, runs = 0, saved = ls_get_threads();
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], L = shapes[si][3];
        float *A = (float *)malloc(sizeof(float) * M * K), *B = (float *)malloc(sizeof(float) * K * L);
        float *Bt = (float *)malloc(sizeof(float) * N * K), *C0 = (float *)malloc(sizeof(float) * M * N);
        float *C = (float *)malloc(sizeof(float) * M * N), *R = (float *)malloc(sizeof(float) * M * N);
        ls_rng r = ls_rng_make(40 + si, 8);
        for (int i = 0; i < M * K; i++) A[i] = ls_rng_float(&r) - 0.5f;
        for (int i = 0; i < K * L; i++) B[i] = ls_rng_float(&r) - 0.5f;
        for (int j = 0; j < N; j++) for (int k = 0; k < K; k++) Bt[j * K + k] = B[k * L + j];
        for (int i = 0; i < M * N; i++) C0[i] = ls_rng_float(&r) - 0.5f;
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int bi = 0; bi < 2; bi++) {
                    const float beta = bi ? 0.5f : 0.0f;
                    float *At = (float *)malloc(sizeof(float) * M * K);   /* A as (K, M) */
                    for (int i = 0; i < M; i++) for (int k = 0; k < K; k++) At[k * M + i] = A[i * K + k];
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            float c = beta != 0.0f ? beta * C0[i * N + j] : 0.0f;
                            for (int k = 0; k < K; k++)
#if defined(__FMA__) || defined(FP_FAST_FMAF)
                                c = fmaf(A[i * K + k], B[k * L + j], c);
#else
                                c = A[i * K + k] * B[k * L + j] + c;
#endif
                            R[i * N + j] = c;
                        }
                    for (int nt = 1; nt <= 2; nt++) {
                        memcpy(C, C0, sizeof(float) * M * N);
                        ls_set_threads(nt);
                        ls_sgemm(ta, tb, M, N, K, 1.0f, ta ? At : A, ta ? M : K, tb ? Bt : B, tb ? K : L,
                                 beta, C, N);
                        bad += memcmp(C, R, sizeof(float) * M * N) != 0;
                        runs++;
                    }
                    free(At);
                }
        free(A); free(B); free(Bt); free(C0); free(C); free(R);
    }
    ls_set_threads(saved);
    T_CHECK(bad == 0, "sgemm's bits are c = beta c, then one fma per k ascending, whether A and B are read in place or packed (%d of %d products differ)", bad, runs);
}

/* --- a small MLP used by several tests: (n, 2) -> hidden -> 2 classes --- */
typedef struct mlp { ls_params P; ls_tensor *w1, *b1, *w2, *b2; } mlp;

static void mlp_init(mlp *m, int hidden, uint64_t seed) {
    ls_params_init(&m->P);
    m->w1 = ls_param(&m->P, "w1", ls_shape2(2, hidden), 0);
    m->b1 = ls_param(&m->P, "b1", ls_shape1(hidden), 0);
    m->w2 = ls_param(&m->P, "w2", ls_shape2(hidden, 2), 0);
    m->b2 = ls_param(&m->P, "b2", ls_shape1(2), 0);
    ls_rng r = ls_rng_make(seed, LS_STREAM_INIT);
    ls_init_normal(m->w1, &r, 1.5f);
    ls_init_normal(m->w2, &r, 1.0f / sqrtf((float)hidden));
}

static ls_tensor *mlp_logits(ls_ctx *ctx, mlp *m, ls_tensor *x) {
    return ls_linear(ctx, ls_gelu(ctx, ls_linear(ctx, x, m->w1, m->b1)), m->w2, m->b2);
}

/* two interleaved spirals, n points per class */
static void spirals(int n, float *xs, int32_t *ys) {
    ls_rng r = ls_rng_make(5, LS_STREAM_DATA);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < n; i++) {
            float t = 0.5f + 3.0f * (float)i / (float)n, ang = 2.0f * t + 3.14159265f * (float)c;
            xs[2 * (c * n + i)] = t * cosf(ang) / 3.5f + 0.02f * ls_rng_normal(&r);
            xs[2 * (c * n + i) + 1] = t * sinf(ang) / 3.5f + 0.02f * ls_rng_normal(&r);
            ys[c * n + i] = c;
        }
}

static void test_spirals(void) {
    enum { NPC = 200, N = 2 * NPC };
    float xs[2 * N];
    int32_t ys[N];
    spirals(NPC, xs, ys);
    mlp m;
    mlp_init(&m, 64, 11);
    ls_adamw opt;
    ls_adamw_init(&opt, &m.P, 2e-2f, 0.0f);
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    double acc = 0, loss = 0;
    for (int step = 0; step < 1500 && acc < 1.0; step++) {
        ls_tensor *x = ls_tensor_from(&ctx, ls_shape2(N, 2), xs);
        ls_tensor *logits = mlp_logits(&ctx, &m, x);
        ls_tensor *l = ls_cross_entropy(&ctx, logits, ys, -1);
        if (ls_backward(&ctx, l)) break;
        loss = l->x[0];
        int right = 0;
        for (int i = 0; i < N; i++) right += (logits->x[2 * i + 1] > logits->x[2 * i]) == ys[i];
        acc = right / (double)N;
        ls_adamw_step(&opt, &m.P, ls_schedule(LS_SCHED_CONSTANT, step, 50, 1500));
        ls_params_zero_grad(&m.P);
        ls_ctx_reset(&ctx);
    }
    T_CHECK(acc >= 0.99, "MLP learns two spirals: train accuracy %.1f%% (loss %.4f)", 100 * acc, loss);
    ls_ctx_free(&ctx);
    ls_adamw_free(&opt);
    ls_params_free(&m.P);
}

/* --- AdamW against the formula, schedules, clipping --- */
static void test_optim(void) {
    ls_params P;
    ls_params_init(&P);
    ls_tensor *p = ls_param(&P, "p", ls_shape1(2), 0), *q = ls_param(&P, "q", ls_shape1(1), 1);
    p->x[0] = 1.0f; p->x[1] = -2.0f; q->x[0] = 3.0f;
    p->g[0] = 0.5f; p->g[1] = -0.25f; q->g[0] = 1.0f;
    ls_adamw opt;
    ls_adamw_init(&opt, &P, 0.1f, 0.01f);
    opt.group[1].lr = 0.2f; opt.group[1].wd = 0.0f;
    ls_adamw_step(&opt, &P, 1.0f);
    /* first step: mhat = g, vhat = g^2, so the update is lr * sign(g) (up to eps) after decay */
    double e0 = 1.0 * (1 - 0.1 * 0.01) - 0.1 * 0.5 / (0.5 + 1e-8);
    double e1 = -2.0 * (1 - 0.1 * 0.01) + 0.1 * 0.25 / (0.25 + 1e-8);
    double e2 = 3.0 - 0.2;
    T_CHECK(near(p->x[0], e0, 1e-6) && near(p->x[1], e1, 1e-6) && near(q->x[0], e2, 1e-6),
            "AdamW step with groups: %g %g %g vs %g %g %g", p->x[0], p->x[1], q->x[0], e0, e1, e2);
    T_CHECK(near(ls_schedule(LS_SCHED_COSINE, 0, 10, 110), 0.1, 1e-6) &&
                near(ls_schedule(LS_SCHED_COSINE, 10, 10, 110), 1.0, 1e-6) &&
                near(ls_schedule(LS_SCHED_COSINE, 60, 10, 110), 0.5, 1e-6) &&
                near(ls_schedule(LS_SCHED_COSINE, 110, 10, 110), 0.0, 1e-6) &&
                near(ls_schedule(LS_SCHED_CONSTANT, 500, 10, 110), 1.0, 1e-6),
            "warm-up then cosine / constant schedule values");
    p->g[0] = 3.0f; p->g[1] = 0.0f; q->g[0] = 4.0f;
    double before = ls_clip_grad_norm(&P, 1.0);
    T_CHECK(near(before, 5.0, 1e-6) && near(ls_grad_norm(&P), 1.0, 1e-5), "clipping: norm 5 scaled to 1");
    ls_adamw_free(&opt);
    ls_params_free(&P);
}

/* --- checkpoints --- */
static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = (unsigned char *)malloc(*n ? *n : 1);
    if (fread(d, 1, *n, f) != *n) { free(d); d = NULL; }
    fclose(f);
    return d;
}

static void test_checkpoint(void) {
    char err[LS_ERRLEN], path[512];
    snprintf(path, sizeof path, "%s/model.ckpt", t_tmpdir());
    mlp m, m2;
    mlp_init(&m, 3, 1);
    mlp_init(&m2, 3, 2);
    ls_adamw opt, opt2;
    ls_adamw_init(&opt, &m.P, 1e-3f, 0.0f);
    for (int64_t i = 0; i < m.P.n; i++) m.P.g[i] = (float)i * 0.1f - 0.5f;
    ls_adamw_step(&opt, &m.P, 1.0f);
    ls_adamw_init(&opt2, &m2.P, 1e-3f, 0.0f);
    const char meta[] = "step=1 seed=1";
    T_CHECK(ls_checkpoint_save(path, &m.P, &opt, meta, sizeof meta, err) == 0, "save: %s", err);
    char meta2[64] = {0};
    size_t mlen = 0;
    int rc = ls_checkpoint_load(path, &m2.P, &opt2, LS_CKPT_STRICT, meta2, sizeof meta2, &mlen, err);
    T_CHECK(rc == 0, "load: %s", rc ? err : "ok");
    T_CHECK(!memcmp(m.P.x, m2.P.x, (size_t)m.P.n * 4) && !memcmp(opt.m, opt2.m, (size_t)m.P.n * 4) &&
                !memcmp(opt.v, opt2.v, (size_t)m.P.n * 4) && opt2.t == 1 && mlen == sizeof meta &&
                !strcmp(meta2, meta),
            "round trip is bit-exact (values, moments, step, metadata)");

    /* every truncation and every flipped byte is refused, and the model is left untouched */
    size_t n = 0;
    unsigned char *data = read_all(path, &n);
    float *snapshot = (float *)malloc((size_t)m2.P.n * 4);
    memcpy(snapshot, m2.P.x, (size_t)m2.P.n * 4);
    int refused_trunc = 0, refused_flip = 0, named = 1, untouched = 1;
    for (size_t len = 0; len < n; len++) {
        const char *p = t_write_file("trunc.ckpt", data, len);
        if (ls_checkpoint_load(p, &m2.P, &opt2, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1) refused_trunc++;
        named &= strstr(err, "trunc.ckpt") != NULL;
    }
    for (size_t pos = 0; pos < n; pos++) {
        data[pos] ^= 0x10;
        const char *p = t_write_file("flip.ckpt", data, n);
        if (ls_checkpoint_load(p, &m2.P, &opt2, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1) refused_flip++;
        named &= strstr(err, "flip.ckpt") != NULL;
        data[pos] ^= 0x10;
    }
    untouched = !memcmp(snapshot, m2.P.x, (size_t)m2.P.n * 4);
    T_CHECK(refused_trunc == (int)n, "every truncation is refused (%d of %zu lengths)", refused_trunc, n);
    T_CHECK(refused_flip == (int)n, "a flipped byte anywhere is refused (%d of %zu positions)", refused_flip, n);
    T_CHECK(named, "every refusal names the file");
    T_CHECK(untouched, "a refused file leaves the parameters unchanged");

    /* a wrong version with a valid CRC gets a version message */
    data[8] = 9;
    uint32_t crc = ls_crc32(0, data, n - 4);
    for (int i = 0; i < 4; i++) data[n - 4 + i] = (unsigned char)(crc >> (8 * i));
    const char *pv = t_write_file("version.ckpt", data, n);
    T_CHECK(ls_checkpoint_load(pv, &m2.P, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1 && strstr(err, "version 9"),
            "future version refused: %s", err);
    free(data);
    free(snapshot);

    /* a model with another shape: the parameter is named */
    mlp m3;
    mlp_init(&m3, 4, 3);
    T_CHECK(ls_checkpoint_load(path, &m3.P, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1 && strstr(err, "'w1'"),
            "shape mismatch names the tensor: %s", err);
    /* partial load: a body without the head */
    ls_params body;
    ls_params_init(&body);
    ls_tensor *w1 = ls_param(&body, "w1", ls_shape2(2, 3), 0);
    ls_param(&body, "fresh_head", ls_shape1(5), 0);
    T_CHECK(ls_checkpoint_load(path, &body, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1,
            "strict load into a different model is refused: %s", err);
    T_CHECK(ls_checkpoint_load(path, &body, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err) == 0 &&
                !memcmp(w1->x, m.w1->x, 6 * 4),
            "partial load fills the shared parameters");
    T_CHECK(ls_checkpoint_load("/nonexistent/x.ckpt", &body, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err) == -1 &&
                strstr(err, "/nonexistent/x.ckpt"),
            "a missing file is named: %s", err);
    ls_params_free(&body);
    /* strict means exact: a file (valid CRC) holding "a" twice and no "b" is refused for a model
       with "a" and "b" of the same shape, naming the duplicate; partial loads refuse it too */
    ls_params dup, ab;
    ls_params_init(&dup); ls_params_init(&ab);
    ls_fill(ls_param(&dup, "a", ls_shape1(3), 0), 1.0f);
    ls_fill(ls_param(&dup, "c", ls_shape1(3), 0), 2.0f);
    ls_param(&ab, "a", ls_shape1(3), 0);
    ls_param(&ab, "b", ls_shape1(3), 0);
    char pd[512];
    snprintf(pd, sizeof pd, "%s/dup.ckpt", t_tmpdir());
    int saved = ls_checkpoint_save(pd, &dup, NULL, NULL, 0, err) == 0;
    size_t nb = 0;
    unsigned char *bytes = read_all(pd, &nb);   /* rename "c" to "a" and re-seal the CRC */
    for (size_t i = 4; bytes && i + 1 < nb; i++)
        if (bytes[i] == 'c' && bytes[i - 4] == 1 && bytes[i - 3] == 0 && bytes[i - 2] == 0 && bytes[i - 1] == 0) { bytes[i] = 'a'; break; }
    if (bytes && nb > 4) {
        uint32_t c = ls_crc32(0, bytes, nb - 4);
        for (int k = 0; k < 4; k++) bytes[nb - 4 + (size_t)k] = (unsigned char)(c >> (8 * k));
        FILE *fd = fopen(pd, "wb");
        saved &= fd && fwrite(bytes, 1, nb, fd) == nb;
        if (fd) fclose(fd);
    }
    free(bytes);
    int strict_dup = ls_checkpoint_load(pd, &ab, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1 && strstr(err, "'a' appears twice");
    char err1[LS_ERRLEN];
    snprintf(err1, sizeof err1, "%s", err);
    int partial_dup = ls_checkpoint_load(pd, &ab, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err) == -1;
    T_CHECK(saved && strict_dup && partial_dup, "a checkpoint with a tensor name twice is refused: %s", err1);
    /* and one that lacks a parameter names it */
    ls_params only_a;
    ls_params_init(&only_a);
    ls_param(&only_a, "a", ls_shape1(3), 0);
    ls_checkpoint_save(pd, &only_a, NULL, NULL, 0, err);
    T_CHECK(ls_checkpoint_load(pd, &ab, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1 && strstr(err, "'b' is missing"),
            "strict load of a file without a parameter names the missing one: %s", err);
    ls_params_free(&dup); ls_params_free(&ab); ls_params_free(&only_a);
    ls_params_free(&m3.P);
    ls_params_free(&m.P);
    ls_params_free(&m2.P);
    ls_adamw_free(&opt);
    ls_adamw_free(&opt2);
}

/* --- 20 AdamW steps of an MLP big enough to use threads: bit-identical for 1 and 2 threads --- */
static void train_20(int threads, float *out, int64_t *n_out) {
    ls_set_threads(threads);
    enum { N = 512, D = 64, H = 256 };
    ls_params P;
    ls_params_init(&P);
    ls_tensor *w1 = ls_param(&P, "w1", ls_shape2(D, H), 0), *b1 = ls_param(&P, "b1", ls_shape1(H), 0);
    ls_tensor *g = ls_param(&P, "g", ls_shape1(H), 0);
    ls_tensor *w2 = ls_param(&P, "w2", ls_shape2(H, 10), 0);
    ls_rng r = ls_rng_make(42, LS_STREAM_INIT);
    ls_init_normal(w1, &r, 0.1f);
    ls_init_normal(w2, &r, 0.1f);
    ls_fill(g, 1.0f);
    float *xs = (float *)malloc(sizeof(float) * N * D);
    int32_t ys[N];
    for (int i = 0; i < N * D; i++) xs[i] = ls_rng_normal(&r);
    for (int i = 0; i < N; i++) ys[i] = (int32_t)ls_rng_below(&r, 10);
    ls_adamw opt;
    ls_adamw_init(&opt, &P, 1e-3f, 0.1f);
    ls_ctx ctx;
    ls_ctx_init(&ctx, 42);
    for (int step = 0; step < 20; step++) {
        ls_tensor *x = ls_tensor_from(&ctx, ls_shape2(N, D), xs);
        ls_tensor *h = ls_dropout(&ctx, ls_layernorm(&ctx, ls_gelu(&ctx, ls_linear(&ctx, x, w1, b1)), g, NULL, 1e-5f), 0.1f);
        ls_tensor *l = ls_cross_entropy(&ctx, ls_linear(&ctx, h, w2, NULL), ys, -1);
        ls_backward(&ctx, l);
        ls_clip_grad_norm(&P, 1.0);
        ls_adamw_step(&opt, &P, ls_schedule(LS_SCHED_COSINE, step, 5, 20));
        ls_params_zero_grad(&P);
        ls_ctx_reset(&ctx);
    }
    memcpy(out, P.x, (size_t)P.n * sizeof(float));
    *n_out = P.n;
    free(xs);
    ls_ctx_free(&ctx);
    ls_adamw_free(&opt);
    ls_params_free(&P);
}

static void test_threads(void) {
    int64_t n1 = 0, n2 = 0;
    float *a = (float *)malloc(sizeof(float) * 100000), *b = (float *)malloc(sizeof(float) * 100000);
    int saved = ls_get_threads();
    train_20(1, a, &n1);
    train_20(2, b, &n2);
    ls_set_threads(saved);
    T_CHECK(n1 == n2 && !memcmp(a, b, (size_t)n1 * sizeof(float)),
            "20 AdamW steps: parameters bit-identical with 1 and 2 threads");
    train_20(2, a, &n1);
    T_CHECK(!memcmp(a, b, (size_t)n1 * sizeof(float)), "the same seed twice gives the same parameters");
    ls_set_threads(saved);
    free(a);
    free(b);
}

/* --- command line and CSV --- */
static void test_cli(void) {
    char err[LS_ERRLEN] = "";
    int64_t layers = 0;
    double lr = 0;
    int flag = 0;
    ls_flag extra[] = {{"layers", LS_FLAG_INT, &layers, "layers"}, {"lr", LS_FLAG_FLOAT, &lr, "lr"},
                       {"fast", LS_FLAG_BOOL, &flag, "a switch"}};
    char *argv1[] = {(char *)"prog", (char *)"--seed", (char *)"9", (char *)"--profile=smoke", (char *)"--quiet",
                     (char *)"--layers", (char *)"3", (char *)"--lr=0.5", (char *)"--fast"};
    ls_cli cli;
    memset(&cli, 0, sizeof cli);
    int rc = ls_cli_parse(&cli, 9, argv1, extra, 3, NULL, err);
    T_CHECK(rc == 0 && cli.seed == 9 && cli.profile == LS_PROFILE_SMOKE && cli.quiet && layers == 3 && lr == 0.5 && flag,
            "flags parse: %s", err);
    char *argv2[] = {(char *)"prog", (char *)"--sede", (char *)"9"};
    T_CHECK(ls_cli_parse(&cli, 3, argv2, extra, 3, NULL, err) == -1 && strstr(err, "--sede"), "unknown flag named: %s", err);
    char *argv3[] = {(char *)"prog", (char *)"--threads", (char *)"zero"};
    T_CHECK(ls_cli_parse(&cli, 3, argv3, extra, 3, NULL, err) == -1 && strstr(err, "--threads") && strstr(err, "zero"),
            "bad value named: %s", err);
    char *argv4[] = {(char *)"prog", (char *)"--profile", (char *)"huge"};
    T_CHECK(ls_cli_parse(&cli, 3, argv4, extra, 3, NULL, err) == -1 && strstr(err, "huge"), "bad profile named: %s", err);
    char *argv5[] = {(char *)"prog", (char *)"--seed"};
    T_CHECK(ls_cli_parse(&cli, 2, argv5, extra, 3, NULL, err) == -1 && strstr(err, "needs a value"), "missing value: %s", err);

    char path[512];
    snprintf(path, sizeof path, "%s/log.csv", t_tmpdir());
    ls_csv_append(path, "a,b", "1,2", err);
    ls_csv_append(path, "a,b", "3,4", err);
    size_t n = 0;
    unsigned char *d = read_all(path, &n);
    T_CHECK(d && n == 12 && !memcmp(d, "a,b\n1,2\n3,4\n", 12), "CSV header written once");
    free(d);
}

/* --- the gradient checker itself must be able to fail: a graph whose backward is wrong on purpose
   (x * stop_gradient(x): analytic x, true 2x) --- */
static ls_tensor *bad_graph(ls_ctx *ctx, ls_tensor *const *in, void *user) {
    (void)user;
    ls_tensor *frozen = ls_tensor_from(ctx, ls_tensor_shape(in[0]), in[0]->x);
    return ls_mul(ctx, in[0], frozen);
}

static void test_gradcheck_fails(void) {
    ls_tensor *x = ls_tensor_alloc(ls_shape1(6), 1);
    for (int i = 0; i < 6; i++) x->x[i] = 0.3f * (float)(i + 1);
    ls_gradcheck_result res;
    ls_gradcheck(bad_graph, &x, 1, NULL, 1, 0, 0, &res);
    T_CHECK(res.rel_err > 0.3, "gradcheck catches a wrong gradient (rel err %.3f)", res.rel_err);
    ls_tensor_free(x);
}

/* ls_ctx_profile: op kernels add their time where asked, forward and backward apart, and stop
   when told */
static void test_profile(void) {
    double acc[2 * LS_OP_COUNT];
    memset(acc, 0, sizeof acc);
    ls_tensor *a = ls_tensor_alloc(ls_shape2(96, 96), 1), *b = ls_tensor_alloc(ls_shape2(96, 96), 1);
    for (int64_t i = 0; i < a->n; i++) { a->x[i] = (float)(i % 7) - 3.0f; b->x[i] = (float)(i % 5) - 2.0f; }
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    ls_ctx_profile(&ctx, acc);
    ls_backward(&ctx, ls_sum(&ctx, ls_matmul(&ctx, a, b, 0, 0)));
    ls_ctx_profile(&ctx, NULL);
    double mm_f = acc[2 * LS_OP_MATMUL], mm_b = acc[2 * LS_OP_MATMUL + 1], others = 0.0;
    for (int op = 0; op < LS_OP_COUNT; op++)
        if (op != LS_OP_MATMUL && op != LS_OP_SUM) others += acc[2 * op] + acc[2 * op + 1];
    ls_ctx_reset(&ctx);
    ls_backward(&ctx, ls_sum(&ctx, ls_matmul(&ctx, a, b, 0, 0)));   /* not profiled */
    T_CHECK(mm_f > 0.0 && mm_b > 0.0 && acc[2 * LS_OP_SUM] > 0.0 && others == 0.0 && acc[2 * LS_OP_MATMUL] == mm_f,
            "ls_ctx_profile: matmul forward %.1f us, backward %.1f us, no other op, nothing after it is switched off",
            1e6 * mm_f, 1e6 * mm_b);
    ls_ctx_free(&ctx);
    ls_tensor_free(a); ls_tensor_free(b);
}

/* strict means exact, the third way: a tensor the model does not have is refused, naming the file
   and the tensor (a partial load skips it) */
static void test_strict_unknown(void) {
    char path[512], err[LS_ERRLEN] = "";
    snprintf(path, sizeof path, "%s/extra.ckpt", t_tmpdir());
    ls_params abz, ab;
    ls_params_init(&abz); ls_params_init(&ab);
    ls_param(&abz, "a", ls_shape1(3), 0); ls_param(&abz, "b", ls_shape1(3), 0); ls_param(&abz, "z", ls_shape1(2), 0);
    ls_param(&ab, "a", ls_shape1(3), 0); ls_param(&ab, "b", ls_shape1(3), 0);
    int saved = ls_checkpoint_save(path, &abz, NULL, NULL, 0, err) == 0;
    int strict = ls_checkpoint_load(path, &ab, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == -1 && strstr(err, "'z'") && strstr(err, "extra.ckpt");
    char e1[LS_ERRLEN];
    snprintf(e1, sizeof e1, "%s", err);
    int partial = ls_checkpoint_load(path, &ab, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err) == 0;
    T_CHECK(saved && strict && partial, "a strict load refuses a tensor the model lacks (%s); a partial one skips it", e1);
    ls_params_free(&abz); ls_params_free(&ab);
}

/* faults of the file system, each in a child (a regression kills or hangs the child, not the suite):
   a file-size limit (ulimit -f) makes a checkpoint or CSV write fail with an error naming the file
   instead of killing the process with SIGXFSZ, and the previous checkpoint stays; a FIFO named like
   a checkpoint is refused at once instead of blocking the open */
static void test_write_faults(void) {
    char path[512], csv[512], fifo[512], err[LS_ERRLEN] = "";
    snprintf(path, sizeof path, "%s/limit.ckpt", t_tmpdir());
    snprintf(csv, sizeof csv, "%s/limit.csv", t_tmpdir());
    snprintf(fifo, sizeof fifo, "%s/fifo.ckpt", t_tmpdir());
    ls_params small, big;
    ls_params_init(&small); ls_params_init(&big);
    ls_fill(ls_param(&small, "w", ls_shape1(16), 0), 0.25f);
    ls_fill(ls_param(&big, "w", ls_shape1(16), 0), 0.5f);
    ls_param(&big, "v", ls_shape1(8192), 0);
    int saved = ls_checkpoint_save(path, &small, NULL, NULL, 0, err) == 0;
    int fds[2];
    if (pipe(fds)) { T_CHECK(0, "write faults: pipe failed"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        char e1[LS_ERRLEN] = "", e2[LS_ERRLEN] = "", row[6000];
        int bad_ckpt = ls_checkpoint_save(path, &big, NULL, NULL, 0, e1) == -1 && strstr(e1, "limit.ckpt") && strstr(e1, "File too large");
        memset(row, 'x', sizeof row - 1);
        row[sizeof row - 1] = 0;
        int bad_csv = ls_csv_append(csv, "h", row, e2) == -1 && strstr(e2, "limit.csv") && strstr(e2, "File too large");
        char both[2 * LS_ERRLEN + 4];   /* one write: the parent reads once */
        snprintf(both, sizeof both, "%s | %s", e1, e2);
        if (write(fds[1], both, strlen(both) + 1) < 0) _exit(3);
        _exit(bad_ckpt && bad_csv ? 0 : 1);
    }
    close(fds[1]);
    char msg[2 * LS_ERRLEN + 4];
    t_read_all(fds[0], msg, sizeof msg);   /* until the child closes its end */
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ls_fill(small.t[0], 0.0f);
    int kept = ls_checkpoint_load(path, &small, NULL, LS_CKPT_STRICT, NULL, 0, NULL, err) == 0 && small.t[0]->x[15] == 0.25f;
    T_CHECK(saved && WIFEXITED(status) && WEXITSTATUS(status) == 0 && kept,
            "under a 4 KB file-size limit a checkpoint and a CSV row fail with a message (child %s), the old checkpoint stays (%d): %s",
            WIFSIGNALED(status) ? (WTERMSIG(status) == SIGXFSZ ? "killed by SIGXFSZ" : "killed") : "exited", kept, msg);
    int made = mkfifo(fifo, 0600) == 0;
    pid = fork();
    if (pid == 0) {
        alarm(20);
        char e[LS_ERRLEN] = "";
        _exit(ls_checkpoint_load(fifo, &small, NULL, LS_CKPT_STRICT, NULL, 0, NULL, e) == -1 && strstr(e, "fifo.ckpt") &&
              strstr(e, "regular") ? 0 : 1);
    }
    status = 0;
    waitpid(pid, &status, 0);
    T_CHECK(made && WIFEXITED(status) && WEXITSTATUS(status) == 0, "a FIFO named like a checkpoint is refused, not waited on (child %s)",
            WIFSIGNALED(status) ? "killed by the 20 s alarm: it blocked" : WEXITSTATUS(status) == 0 ? "refused it" : "failed");
    ls_params_free(&small); ls_params_free(&big);
}

void suite_core(void) {
    test_rng();
    test_arena();
    test_values();
    test_activations();
    test_expf_ops();
    test_exp_bits();
    test_layernorm_bits();
    test_errors();
    test_sgemm();
    test_sgemm_bits();
    test_linear_bias();
    test_optim();
    test_checkpoint();
    test_strict_unknown();
    test_write_faults();
    test_threads();
    test_profile();
    test_cli();
    test_gradcheck_fails();
    test_spirals();
}
