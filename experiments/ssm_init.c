/* experiments/ssm_init.c - the `ssm_init` table: does S4D need its structured initialisation once
   it self-pretrains? (Never Train from Scratch, Table 7: S4 from scratch 82.8 -> 84.5 with SPT;
   DLR 77 -> 83.4.)

     ssm_init [--profile smoke|cpu|paper] [--seed N] [--threads N] [--quiet] [--out DIR]
              [--tasks a,b] [--data DIR] [--fresh] [--records]

   Bidirectional S4D with the S4D-Lin initialisation (A = -1/2 + i*pi*n, log-uniform step) against
   the paper's random one (every S4D parameter, log step, A and C, drawn from N(0, 0.1)), each from
   scratch and with masked SPT, same LR, cap, early stopping and seeds (arms.h). Path-X, in the
   paper's average, is left out in the cpu profile (minutes per S4D run). */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "arms.h"

int main(int argc, char **argv) {
    ls_cli cli;
    const char *tasks = "listops,text,image";
    int fresh, rc = arm_cli("ssm_init",
                            "The ssm_init table: S4D structured vs random initialisation, from "
                            "scratch and with SPT.", argc, argv, &cli, &tasks, &fresh);
    if (rc) return rc - 1;
    static const arm_variant V[] = {
        {.name = "S4D, S4D-Lin init", .model = M_S4D, .causal = 0, .ssm_init = LS_SSM_INIT_LIN,
         .pt_objective = LS_OBJ_MLM},
        {.name = "S4D, random init", .model = M_S4D, .causal = 0, .ssm_init = LS_SSM_INIT_RANDOM,
         .pt_objective = LS_OBJ_MLM}};
    static const char *const A[][3] = {
        {"S4 (HiPPO init), avg of ListOps/Text/Image/Path-X, scratch -> SPT (Table 7)",
         "82.8 -> 84.5", "Amos, Berant & Gupta 2024, Table 7"},
        {"DLR, same average, scratch -> SPT", "77 -> 83.4", "Amos, Berant & Gupta 2024, Table 7"}};
    arm_grid g = {.prog = "ssm_init",
                  .title = "S4D initialisation with and without SPT: test accuracy (%)",
                  .v = V, .nv = 2, .prof = cli.profile,
                  .nseed = cli.profile == LS_PROFILE_PAPER ? 3 : 2, .quiet = cli.quiet,
                  .fresh = fresh, .seed0 = cli.seed, .lr = {1e-3f, 3e-3f, 3e-3f}, .steps_mult = 1,
                  .out = cli.out, .anchor = A, .nanchor = 2,
                  .notes = "Random init: every S4D parameter (log step, log of -Re A, Im A, C) "
                           "drawn from N(0, 0.1) instead of S4D-Lin's structured values, as the "
                           "paper's random init; the other layers as usual.\n"
                           "Path-X, part of the paper's 4-task average, is not run here (cpu "
                           "profile)."};
    if (arm_parse_tasks("ssm_init", tasks, NULL, g.want)) return 2;
    return arm_grid_run(&g);
}
