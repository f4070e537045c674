/* bench/bench_sgemm.c - ls_sgemm against OpenBLAS cblas_sgemm, in one process, interleaved.
   Part of `make bench`. The header never uses OpenBLAS; only this benchmark links it.
   usage: bench_sgemm [reps] [threads ...]      (default 5 reps, threads 1 2)
   Each timing runs >= 0.2 s; the two libraries alternate, reps times; medians, min and max. */
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);

typedef struct prob { int64_t M, N, K; int ta, tb; float *A, *B, *C; } prob;

static void call(const prob *p, int lib) {
    int64_t lda = p->ta ? p->M : p->K, ldb = p->tb ? p->K : p->N;
    if (lib == 0)
        ls_sgemm(p->ta, p->tb, p->M, p->N, p->K, 1.0f, p->A, lda, p->B, ldb, 0.0f, p->C, p->N);
    else
        cblas_sgemm(CblasRowMajor, p->ta ? CblasTrans : CblasNoTrans,
                    p->tb ? CblasTrans : CblasNoTrans, (int)p->M, (int)p->N, (int)p->K, 1.0f, p->A,
                    (int)lda, p->B, (int)ldb, 0.0f, p->C, (int)p->N);
}

/* lets the other library's spinning workers fall asleep before a timing */
static void rest(void) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 250000000L};
    nanosleep(&ts, NULL);
}

static double timeit(const prob *p, int lib, long calls) {
    rest();
    call(p, lib);
    double t0 = ls_now();
    for (long c = 0; c < calls; c++) call(p, lib);
    return ls_now() - t0;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const char *label, int64_t M, int64_t N, int64_t K, int ta, int tb, int nt,
                  int reps) {
    prob p = {.M = M, .N = N, .K = K, .ta = ta, .tb = tb, .A = NULL, .B = NULL, .C = NULL};
    p.A = (float *)malloc((size_t)(M * K) * sizeof(float));
    p.B = (float *)malloc((size_t)(K * N) * sizeof(float));
    p.C = (float *)malloc((size_t)(M * N) * sizeof(float));
    for (int64_t i = 0; i < M * K; i++) p.A[i] = (float)((int)(i * 7 % 13) - 6) * 0.01f;
    for (int64_t i = 0; i < K * N; i++) p.B[i] = (float)((int)(i * 5 % 11) - 5) * 0.01f;
    memset(p.C, 0, (size_t)(M * N) * sizeof(float));
    ls_set_threads(nt);
    openblas_set_num_threads(nt);
    double g[2][32], flop = 2.0 * (double)M * (double)N * (double)K;
    long calls[2];
    for (int lib = 0; lib < 2; lib++) {
        calls[lib] = 1;
        for (double dt; (dt = timeit(&p, lib, calls[lib])) < 0.2;)
            calls[lib] = dt < 1e-3 ? calls[lib] * 16 : (long)((double)calls[lib] * 0.25 / dt) + 1;
    }
    for (int r = 0; r < reps; r++)
        for (int lib = 0; lib < 2; lib++)
            g[lib][r] = flop * (double)calls[lib] / timeit(&p, lib, calls[lib]) * 1e-9;
    for (int lib = 0; lib < 2; lib++) qsort(g[lib], (size_t)reps, sizeof(double), cmpd);
    printf("| %-30s | %5lld %5lld %5lld %s%s | %d | %6.1f (%5.1f-%5.1f) | %6.1f (%5.1f-%5.1f) "
           "| %5.2f |\n", label, (long long)M, (long long)N, (long long)K, ta ? "T" : "N",
           tb ? "T" : "N", nt, g[0][reps / 2], g[0][0], g[0][reps - 1], g[1][reps / 2], g[1][0],
           g[1][reps - 1], g[0][reps / 2] / g[1][reps / 2]);
    free(p.A); free(p.B); free(p.C);
}

/* fused attention forward + backward (ls_attention, no mask), B x H heads, T, d_head D: the
   dense FLOP count is 4 T^2 D per head forward (S = Q K^T, O = P V) and 10 T^2 D backward
   (recomputed S, dV, dP, dQ, dK), i.e. 14 T^2 D per head per step. Shapes: W1's (B 8 x H 4,
   T 1024, D 32) and the report's cpu-profile Transformer's (d 64 = 4 heads of 16, batch 16) */
static void bench_attention(int64_t B, int64_t H, int64_t T, int64_t D, int nt, int reps) {
    ls_set_threads(nt);
    ls_tensor *in[3];
    for (int k = 0; k < 3; k++) {
        in[k] = ls_tensor_alloc(ls_shape3(B, T, H * D), 1);
        for (int64_t i = 0; i < in[k]->n; i++)
            in[k]->x[i] = (float)((int)((i * (5 + 2 * k)) % 17) - 8) * 0.05f;
    }
    ls_ctx ctx;
    ls_ctx_init(&ctx, 1);
    double ms[32], flop = 14.0 * (double)(B * H) * (double)T * (double)T * (double)D;
    for (int r = -2; r < reps; r++) {   /* two warm-ups */
        double t0 = ls_now();
        ls_tensor *o = ls_attention(&ctx, in[0], in[1], in[2], NULL, NULL, H, NULL);
        if (!o || ls_backward(&ctx, ls_sum(&ctx, o))) {
            fprintf(stderr, "bench_sgemm: attention: %s\n", ls_ctx_error(&ctx));
            exit(1);
        }
        double dt = ls_now() - t0;
        ls_ctx_reset(&ctx);
        if (r >= 0) ms[r] = 1e3 * dt;
    }
    qsort(ms, (size_t)reps, sizeof(double), cmpd);
    printf("| fused attention fwd+bwd | B %lld H %lld T %lld D %lld | %d | %.1f ms (%.1f-%.1f) "
           "| %.1f GFLOP/s |\n", (long long)B, (long long)H, (long long)T, (long long)D, nt,
           ms[reps / 2], ms[0], ms[reps - 1], flop / (ms[reps / 2] * 1e-3) * 1e-9);
    ls_ctx_free(&ctx);
    for (int k = 0; k < 3; k++) ls_tensor_free(in[k]);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5, threads[8], nth = 0;
    for (int t = 2; t < argc && nth < 8; t++) threads[nth++] = atoi(argv[t]);
    if (!nth) { threads[0] = 1; threads[1] = 2; nth = 2; }
    if (reps < 1 || reps > 32) {
        fprintf(stderr, "bench_sgemm: reps %d must be in [1, 32]\n", reps);
        return 2;
    }
    for (int t = 0; t < nth; t++)
        if (threads[t] < 1) {
            fprintf(stderr, "bench_sgemm: bad thread count '%s'\n", argv[t + 2]);
            return 2;
        }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("sgemm GFLOP/s, median of %d interleaved timings (>= 0.2 s each); ratio = longseq / "
           "OpenBLAS\n\n", reps);
    printf("| shape | M N K op | threads | longseq median (min-max) "
           "| OpenBLAS median (min-max) | ratio |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    for (int t = 0; t < nth; t++) {
        static const int64_t sq[] = {256, 512, 1024, 2048};
        int nt = threads[t];
        for (int i = 0; i < 4; i++) bench("square", sq[i], sq[i], sq[i], 0, 0, nt, reps);
        bench("QKV  [8192,128] x [128,384]", 8192, 384, 128, 0, 0, nt, reps);
        bench("FFN up [8192,128] x [128,512]", 8192, 512, 128, 0, 0, nt, reps);
        bench("FFN down [8192,512] x [512,128]", 8192, 128, 512, 0, 0, nt, reps);
        bench("dW = X^T dY", 128, 512, 8192, 1, 0, nt, reps);
        bench("dX = dY W^T", 8192, 128, 512, 0, 1, nt, reps);
        bench("attn S = Q K^T (one head)", 1024, 1024, 32, 0, 1, nt, reps);
        bench("attn O = P V (one head)", 1024, 32, 1024, 0, 0, nt, reps);
    }
    printf("\nfused attention (ls_attention) forward + backward, dense FLOP count 14 T^2 D per "
           "head, median of %d steps\n\n", reps);
    printf("| kernel | shape | threads | ms/step (min-max) | GFLOP/s |\n"
           "| --- | --- | --- | --- | --- |\n");
    for (int t = 0; t < nth; t++) {
        bench_attention(8, 4, 1024, 32, threads[t], reps);    /* W1's heads */
        bench_attention(16, 4, 1024, 16, threads[t], reps);   /* the report's cpu-profile heads */
    }
    return 0;
}
