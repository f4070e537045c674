/* bench/bench_mpi.c - tokens/s of one W1-sized training run through ls_train, the path that is
   data-parallel under MPI (longseq.h part 6E): the W1 model of bench_models.c (Transformer, d 128,
   4 layers, 4 heads, FFN 512, learned positions, mean-pool classifier, T 1024, global batch 8) on
   random bytes, so one process and K ranks train the same run on the same batches.
     usage: bench_mpi [--threads N] [--steps N]
       one process, N threads:     ./bench_mpi --threads 2
       K ranks of N threads each:  mpirun -np K ./bench_mpi --threads 1   (an MPI build: make MPI=1)
   Prints one line on rank 0: ranks, threads per rank, steps, wall time, tokens/s (the global
   batch's tokens over ls_train's wall time, so one process and K ranks compare directly) and the
   final loss (equal up to float summation order for any rank count). */
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"

#include <stdlib.h>
#include <string.h>

enum { T = 1024, N_EX = 64 };

int main(int argc, char **argv) {
#ifdef LS_MPI
    MPI_Init(&argc, &argv);
#endif
    int threads = 0;
    int64_t steps = 12;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoll(argv[++i]);
        else { fprintf(stderr, "bench_mpi: unknown or incomplete flag '%s'\n", argv[i]); return 2; }
    }
    if (threads > 0) ls_set_threads(threads);
    static int32_t tok[N_EX * T], lab[N_EX];
    ls_rng r = ls_rng_make(1, LS_STREAM_DATA);
    for (int i = 0; i < N_EX * T; i++) tok[i] = (int32_t)ls_rng_below(&r, 256);
    for (int i = 0; i < N_EX; i++) lab[i] = (int32_t)ls_rng_below(&r, 10);
    ls_dataset d = {.n = N_EX, .T = T, .tokens = tok, .label = lab};
    ls_config c = ls_config_default(LS_ARCH_TRANSFORMER, 256, T);
    c.d_model = 128; c.n_layers = 4; c.n_heads = 4; c.d_ffn = 512; c.pos = LS_POS_LEARNED;
    c.n_classes = 10;
    ls_train_cfg tc = ls_train_cfg_default();
    tc.steps = steps; tc.batch = 8; tc.warmup = 2;
    ls_train_io io = {.quiet = 1, .fixed_threads = 1};
    ls_model m;
    ls_train_result res;
    char err[LS_ERRLEN];
    if (ls_model_init(&m, &c, 1, err) || ls_train(&m, &tc, &io, &d, NULL, NULL, &res, err) < 0) {
        fprintf(stderr, "bench_mpi: %s\n", err);
        return 1;
    }
    int ranks = 1, me = 0;
#ifdef LS_MPI
    ranks = ls_mpi_size();
    me = ls_mpi_rank();
#endif
    if (me == 0)
        printf("bench_mpi W1: %d rank(s) x %d thread(s), %lld steps of batch 8 x T %d: "
               "wall %.1f s, %.0f tokens/s, final loss %.6f\n", ranks, ls_get_threads(),
               (long long)res.steps, T, res.wall_s, res.tokens_per_s, res.final_loss);
    ls_model_free(&m);
#ifdef LS_MPI
    MPI_Finalize();
#endif
    return 0;
}
