/* bench/bits.c - a fingerprint of the bits a build computes, for `make bits-check`.
   For 19 small configurations covering every architecture and the position and norm schemes
   (lengths that are not powers of two, the FFT and direct convolution paths, causal and
   bidirectional), trains 4 AdamW steps from a fixed seed and prints one line per configuration:
   the CRC-32 of every parameter after them, of the 4 losses, and of one inference output.
   A change that claims to keep every result must leave these lines as they were, at every
   thread count (results never depend on it) and in every build (AVX-512, AVX2, portable each
   have their own bits). usage: bits [threads] */
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct cfg { const char *name; int arch, pos, norm, causal, bidir, glu, T; } cfg;
static const cfg CF[] = {
    {"transformer-rope", LS_ARCH_TRANSFORMER, LS_POS_ROPE, LS_NORM_PRE, 0, 0, 0, 300},
    {"transformer-learned-lm", LS_ARCH_TRANSFORMER, LS_POS_LEARNED, LS_NORM_PRE, 1, 0, 0, 257},
    {"transformer-alibi-post", LS_ARCH_TRANSFORMER, LS_POS_ALIBI, LS_NORM_POST, 1, 0, 0, 130},
    {"transformer-kerple", LS_ARCH_TRANSFORMER, LS_POS_KERPLE, LS_NORM_PRE, 1, 0, 0, 200},
    {"transformer-xpos", LS_ARCH_TRANSFORMER, LS_POS_XPOS, LS_NORM_PRE, 1, 0, 0, 200},
    {"transformer-sin-deepnorm", LS_ARCH_TRANSFORMER, LS_POS_SINUSOIDAL, LS_NORM_DEEPNORM, 0, 0, 0, 100},
    {"s4d-bidir-glu", LS_ARCH_S4D, LS_POS_NONE, LS_NORM_PRE, 0, 1, 1, 300},
    {"s4d-post-1024", LS_ARCH_S4D, LS_POS_NONE, LS_NORM_POST, 0, 0, 0, 1024},
    {"s4d-causal-direct", LS_ARCH_S4D, LS_POS_NONE, LS_NORM_PRE, 1, 0, 1, 40},
    {"lru", LS_ARCH_LRU, LS_POS_NONE, LS_NORM_PRE, 1, 0, 1, 300},
    {"linear-attention", LS_ARCH_LINEAR, LS_POS_NONE, LS_NORM_PRE, 1, 0, 0, 200},
    {"mixer", LS_ARCH_MIXER, LS_POS_NONE, LS_NORM_PRE, 0, 0, 0, 64},
    {"universal", LS_ARCH_UNIVERSAL, LS_POS_SINUSOIDAL, LS_NORM_PRE, 0, 0, 0, 100},
    {"lightconv", LS_ARCH_LIGHTCONV, LS_POS_NONE, LS_NORM_PRE, 1, 0, 0, 100},
    {"dynconv", LS_ARCH_DYNCONV, LS_POS_NONE, LS_NORM_PRE, 1, 0, 0, 100},
    {"s5-bidir", LS_ARCH_S5, LS_POS_NONE, LS_NORM_PRE, 0, 1, 0, 150},
    {"mega-bidir", LS_ARCH_MEGA, LS_POS_NONE, LS_NORM_PRE, 0, 1, 0, 150},
    {"mega-causal", LS_ARCH_MEGA, LS_POS_NONE, LS_NORM_PRE, 1, 0, 0, 150},
    {"funnel", LS_ARCH_FUNNEL, LS_POS_ROPE, LS_NORM_PRE, 0, 0, 0, 128},
};

int main(int argc, char **argv) {
    int nth = argc > 1 ? atoi(argv[1]) : 1;
    if (argc > 2 || nth < 1) { fprintf(stderr, "usage: bits [threads >= 1]\n"); return 2; }
    ls_set_threads(nth);
    for (size_t i = 0; i < sizeof CF / sizeof CF[0]; i++) {
        const cfg *f = &CF[i];
        ls_config c = ls_config_default(f->arch, 40, f->T);
        c.d_model = 32; c.n_layers = 2; c.n_heads = 2; c.d_ffn = 64;
        c.d_state = f->arch == LS_ARCH_MEGA ? 8 : 16;
        c.pos = f->pos; c.norm = f->norm; c.causal = f->causal; c.bidirectional = f->bidir; c.glu = f->glu;
        c.head = f->causal ? LS_HEAD_LM : LS_HEAD_CLASSIFY;
        c.n_classes = 3; c.train_len = f->T;
        ls_model m;
        char err[LS_ERRLEN];
        if (ls_model_init(&m, &c, 7, err)) { fprintf(stderr, "bits: %s: %s\n", f->name, err); return 1; }
        ls_adamw opt;
        ls_adamw_init(&opt, &m.P, 1e-3f, 0.01f);
        const int B = 3;
        const int64_t n = (int64_t)B * f->T;
        int32_t *ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)n), *tgt = (int32_t *)malloc(sizeof(int32_t) * (size_t)n);
        if (!ids || !tgt) { fprintf(stderr, "bits: out of memory\n"); return 1; }
        ls_rng r = ls_rng_make(5, LS_STREAM_DATA);
        for (int64_t k = 0; k < n; k++) ids[k] = (int32_t)ls_rng_below(&r, 40);
        for (int64_t k = 0; k < n; k++)
            tgt[k] = f->causal ? ((k + 1) % f->T ? ids[k + 1] : -100) : (int32_t)ls_rng_below(&r, 3);
        ls_ctx ctx;
        ls_ctx_init(&ctx, 1);
        uint32_t lc = 0;
        for (int s = 0; s < 4; s++) {
            ls_tensor *loss = ls_cross_entropy(&ctx, ls_model_forward(&ctx, &m, ids, NULL, B, f->T), tgt, -100);
            if (!loss || ls_backward(&ctx, loss)) { fprintf(stderr, "bits: %s: %s\n", f->name, ls_ctx_error(&ctx)); return 1; }
            lc = ls_crc32(lc, loss->x, sizeof(float));
            ls_adamw_step(&opt, &m.P, 1.0f);
            ls_params_zero_grad(&m.P);
            ls_ctx_reset(&ctx);
        }
        ctx.no_grad = 1;
        ls_tensor *lg = ls_model_forward(&ctx, &m, ids, NULL, B, f->T);
        if (!lg) { fprintf(stderr, "bits: %s: %s\n", f->name, ls_ctx_error(&ctx)); return 1; }
        printf("%-26s params %08x losses %08x inference %08x\n", f->name,
               (unsigned)ls_crc32(0, m.P.x, sizeof(float) * (size_t)m.P.n), (unsigned)lc,
               (unsigned)ls_crc32(0, lg->x, sizeof(float) * (size_t)lg->n));
        ls_ctx_free(&ctx);
        ls_adamw_free(&opt);
        ls_model_free(&m);
        free(ids);
        free(tgt);
    }
    return 0;
}
