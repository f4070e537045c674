/* bench/peak.c - the machine's FP32 FMA peak, measured once per `make bench` run.
   A standard FMA-throughput test: every thread runs
   independent vfmadd chains held in registers (16 zmm for AVX-512, 12 ymm for AVX2 - enough to
   cover the FMA latency on two pipes), FLOPs = 2 per lane per FMA. Built with the project's flags;
   an ISA the compiler was not allowed to use (e.g. `make MARCH=`) is skipped, with a scalar
   fallback so the program always reports something.
   usage: bench_peak [reps]        (default 7)
   Prints one JSON line per (isa, threads): best and median GFLOP/s over the repetitions.
   The peak of a thread count is the best repetition of its fastest ISA (the hardware limit). */
#define _POSIX_C_SOURCE 200809L
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile float g_sink;

#ifdef __AVX512F__
__attribute__((noinline)) static float fma512(long iters) {
    const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a[16];
    for (int k = 0; k < 16; k++) a[k] = _mm512_set1_ps(1.0f + 0.1f * (float)k);
    __m512 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
    __m512 a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11];
    __m512 a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
    for (long i = 0; i < iters; i++) {
        a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c);
        a2 = _mm512_fmadd_ps(a2, m, c); a3 = _mm512_fmadd_ps(a3, m, c);
        a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c);
        a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c);
        a8 = _mm512_fmadd_ps(a8, m, c); a9 = _mm512_fmadd_ps(a9, m, c);
        a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
        a12 = _mm512_fmadd_ps(a12, m, c); a13 = _mm512_fmadd_ps(a13, m, c);
        a14 = _mm512_fmadd_ps(a14, m, c); a15 = _mm512_fmadd_ps(a15, m, c);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(
                             _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                             _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
    return _mm512_reduce_add_ps(s);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
__attribute__((noinline)) static float fma256(long iters) {
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(1.1f);
    __m256 a2 = _mm256_set1_ps(1.2f), a3 = _mm256_set1_ps(1.3f);
    __m256 a4 = _mm256_set1_ps(1.4f), a5 = _mm256_set1_ps(1.5f);
    __m256 a6 = _mm256_set1_ps(1.6f), a7 = _mm256_set1_ps(1.7f);
    __m256 a8 = _mm256_set1_ps(1.8f), a9 = _mm256_set1_ps(1.9f);
    __m256 a10 = _mm256_set1_ps(2.0f), a11 = _mm256_set1_ps(2.1f);
    for (long i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float t[8];
    _mm256_storeu_ps(t, s);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

/* portable fallback: 8 independent scalar chains (the compiler may vectorise nothing here) */
__attribute__((noinline)) static float fma_scalar(long iters) {
    float a[8] = {1.0f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f, 1.6f, 1.7f};
    const float m = 0.9999999f, c = 1e-7f;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < 8; k++) a[k] = a[k] * m + c;
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

enum { ISA_AVX512, ISA_AVX2, ISA_SCALAR };
static const char *isa_name[] = {"avx512", "avx2", "scalar"};

static float kernel(int isa, long iters) {
    (void)isa;
#ifdef __AVX512F__
    if (isa == ISA_AVX512) return fma512(iters);
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (isa == ISA_AVX2) return fma256(iters);
#endif
    return fma_scalar(iters);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run(int isa, int nt, int reps) {
    const long iters = isa == ISA_SCALAR ? 20000000L : 60000000L;
    const double flop_iter = isa == ISA_AVX512 ? 16 * 16 * 2.0
                             : isa == ISA_AVX2 ? 12 * 8 * 2.0 : 8 * 2.0;
    double g[64];
    for (int r = -1; r < reps; r++) {
        double t0 = 0, t1 = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
        {
#ifdef _OPENMP
#pragma omp barrier
#pragma omp master
#endif
            t0 = now();
            float s = kernel(isa, iters);
#ifdef _OPENMP
#pragma omp atomic
#endif
            g_sink += s;
#ifdef _OPENMP
#pragma omp barrier
#pragma omp master
#endif
            t1 = now();
        }
        if (r >= 0) g[r] = flop_iter * (double)iters * nt / (t1 - t0) * 1e-9;
    }
    qsort(g, (size_t)reps, sizeof(double), cmpd);
    printf("{\"kind\": \"fma\", \"isa\": \"%s\", \"threads\": %d, \"reps\": %d, "
           "\"gflops_best\": %.2f, \"gflops_median\": %.2f, \"gflops_min\": %.2f}\n",
           isa_name[isa], nt, reps, g[reps - 1], g[reps / 2], g[0]);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 7, maxt = 1;
    if (reps < 1 || reps > 64) {
        fprintf(stderr, "bench_peak: reps must be in [1, 64]\n");
        return 2;
    }
#ifdef _OPENMP
    maxt = omp_get_num_procs() >= 2 ? 2 : 1;
#endif
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int nt = 1; nt <= maxt; nt++) {
#ifdef __AVX512F__
        run(ISA_AVX512, nt, reps);
#endif
#if defined(__AVX2__) && defined(__FMA__)
        run(ISA_AVX2, nt, reps);
#endif
#if !defined(__AVX512F__) && !(defined(__AVX2__) && defined(__FMA__))
        run(ISA_SCALAR, nt, reps);
#endif
    }
    return g_sink == 12345.f;
}
