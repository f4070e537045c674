/* bench/train_export.c - export one LRA-CPU training run for a PyTorch cross-check, and train it
   with longseq.

   What it does. It builds the report's cpu-profile model and training configuration for one task
   (experiments/arms.h: arm_load, arm_model, arm_train, arm_split, PLAN), then writes to --out DIR
   everything bench/torch_train.py needs to train the *same* model on the *same* data:
     meta.txt          the configuration, one "key value" line each
     params.bin        the initial parameters (every tensor of m.P in creation order) with their
                       AdamW group (LS_GROUP_DECAY 0, LS_GROUP_NO_DECAY 1, LS_GROUP_SSM 2)
     batches.bin       the input ids, lengths and targets of every training step, exactly as
                       ls_train builds them (ls__batch_indices, ls__make_batch, same masking keys)
     val.bin           the fixed validation set, exactly as ls_evaluate builds it (the first
                       eval_max validation examples in order, masking key ls_hash64(seed ^ 0xE7A1))
     grads0.bin        the gradient of the first step's loss (before clipping), same layout as
                       params.bin: lets the Python side check longseq's backward against autograd
     params_final.bin  the parameters after the last step
     longseq.csv       the learning curve, see below
   and trains with the loop of ls_train (forward, cross-entropy ignoring -100, backward, global-norm
   clipping, AdamW with warm-up + cosine, zero_grad), one micro-batch per step.
   --verify then trains a second copy of the model with ls_train itself and says whether the final
   parameters are bit-identical to this program's (they must be: same code path, same batches).

   Build:  make build/train_export      (or: cc -std=c99 -Wall -Wextra -Werror -O3 -march=native
           -fopenmp bench/train_export.c -o build/train_export -lm)
   Run (from the repository root, data/ fetched), then the PyTorch side:
       ./build/train_export --task text --model transformer --pos rope --objective mlm \
           --steps 300 --seed 1 --threads 1 --out /tmp/xc/text-tr
       /usr/bin/python3 bench/torch_train.py /tmp/xc/text-tr --threads 1
   Flags: --task text|image  --model transformer|s4d  --pos sinusoidal|rope (Transformer only)
          --objective mlm|classify  --steps N (300)  --seed N (1)  --threads N (all cores)
          --eval-every K (25)  --eval-max N (200, the cpu profile's)  --lr X (1e-3 Transformer,
          3e-3 S4D)  --verify  --out DIR  --profile smoke|cpu|paper (cpu)  --quiet

   longseq.csv: impl,step,train_loss,val_loss,val_acc,wall_s,cpu_s. Row `step` s (0..N) describes
   the parameters after s updates: train_loss is the loss of training batch s (the batch of update
   s + 1) under them, val_loss / val_acc the fixed validation set under them (only at s = 0, every
   --eval-every steps and at s = N; empty otherwise; row N has no train_loss). val_loss is the mean
   over kept targets and val_acc the fraction of kept targets predicted right (ls_evaluate): masked
   tokens for MLM, labels for classification. wall_s and cpu_s are the cumulative wall-clock and
   process CPU seconds of the training steps up to and including the one of row s (forward,
   backward, clipping, AdamW; evaluation and file output are not counted), so the cost of step s is
   the difference of rows s and s - 1.

   Binary formats (little-endian, as the machine writes them; torch_train.py reads them):
     params.bin, grads0.bin, params_final.bin:
       char magic[8] = "LSXPARAM"; uint32 count; then count records of
       uint32 name_len; char name[name_len] (no NUL); uint32 group; uint32 ndim; uint32 dim[ndim];
       float32 values[prod(dim)] (row-major; longseq linear weights are (in, out): y = x W + b)
     batches.bin, val.bin:
       char magic[8] = "LSXBATCH"; uint32 count, rows, T, tgt_per_row; then count blocks of
       int32 ids[rows * T]; int32 len[rows]; int32 tgt[rows * tgt_per_row]
       (batches.bin: count = steps, rows = batch; val.bin: count = 1, rows = validation examples.
       tgt_per_row = T for MLM, -100 = ignored; 1 for classification, the label.) */
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#define REPORT_IMPLEMENTATION
#include "../experiments/arms.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#define PROG "train_export"

static void die(const char *what, const char *why) {
    fprintf(stderr, PROG ": %s: %s\n", what, why);
    exit(1);
}

/* process CPU seconds (all threads) */
static double cpu_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    return (double)clock() / CLOCKS_PER_SEC;
}

static FILE *open_out(const char *dir, const char *name, const char *mode) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, mode);
    if (!f) die(path, strerror(errno));
    return f;
}

/* mkdir -p */
static void make_dirs(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *q = path + 1; ; q++) {
        if (*q != '/' && *q) continue;
        char c = *q;
        *q = 0;
        if (mkdir(path, 0777) && errno != EEXIST) die(path, strerror(errno));
        if (!c) break;
        *q = c;
    }
}

static void put(FILE *f, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, f) != n) die("write", strerror(errno));
}
static void put_u32(FILE *f, uint32_t v) { put(f, &v, 4); }

/* params.bin layout (see the header comment); values from x (m.P.x, or m.P.g for gradients) */
static void write_params(const char *dir, const char *name, const ls_params *P, const float *base) {
    FILE *f = open_out(dir, name, "wb");
    put(f, "LSXPARAM", 8);
    put_u32(f, (uint32_t)P->nt);
    for (int i = 0; i < P->nt; i++) {
        const ls_tensor *t = P->t[i];
        put_u32(f, (uint32_t)strlen(t->name));
        put(f, t->name, strlen(t->name));
        put_u32(f, (uint32_t)t->group);
        put_u32(f, (uint32_t)t->nd);
        for (int k = 0; k < t->nd; k++) put_u32(f, (uint32_t)t->d[k]);
        put(f, base + (t->x - P->x), (size_t)t->n * sizeof(float));
    }
    if (fclose(f)) die(name, strerror(errno));
}

static void batch_header(FILE *f, uint32_t count, uint32_t rows, uint32_t T, uint32_t tgt_per_row) {
    put(f, "LSXBATCH", 8);
    put_u32(f, count); put_u32(f, rows); put_u32(f, T); put_u32(f, tgt_per_row);
}

static void put_batch(FILE *f, const ls__batch *b, int lm) {
    put(f, b->ids, (size_t)(b->rows * b->T) * sizeof(int32_t));
    put(f, b->len, (size_t)b->rows * sizeof(int32_t));
    put(f, b->tgt, (size_t)(lm ? b->rows * b->T : b->B) * sizeof(int32_t));
}

/* the validation set exactly as ls_evaluate builds it: chunks of tc->batch in order, one masking
   key */
static void write_val(const char *dir, const ls_train_cfg *tc, const ls_dataset *val, int64_t n,
                      int lm) {
    FILE *f = open_out(dir, "val.bin", "wb");
    batch_header(f, 1, (uint32_t)n, (uint32_t)val->T, lm ? (uint32_t)val->T : 1u);
    /* ids of every chunk, then lengths, then targets: keep the chunks, write section by section */
    int64_t B = tc->batch, nch = (n + B - 1) / B;
    ls_ctx ctx;
    ls_ctx_init(&ctx, tc->seed);
    ls__batch *ch = (ls__batch *)malloc((size_t)nch * sizeof *ch);
    int64_t *idx = (int64_t *)malloc((size_t)B * sizeof *idx);
    if (!ch || !idx) die("validation set", "out of memory");
    for (int64_t c = 0; c < nch; c++) {
        int64_t s = c * B, nb = s + B <= n ? B : n - s;
        for (int64_t i = 0; i < nb; i++) idx[i] = s + i;
        /* as ls_evaluate */
        ls__make_batch(&ctx, tc, val, idx, nb, ls_hash64(tc->seed ^ 0xE7A1u), &ch[c]);
    }
    for (int64_t c = 0; c < nch; c++)
        put(f, ch[c].ids, (size_t)(ch[c].rows * ch[c].T) * sizeof(int32_t));
    for (int64_t c = 0; c < nch; c++) put(f, ch[c].len, (size_t)ch[c].rows * sizeof(int32_t));
    for (int64_t c = 0; c < nch; c++)
        put(f, ch[c].tgt, (size_t)(lm ? ch[c].rows * ch[c].T : ch[c].B) * sizeof(int32_t));
    if (fclose(f)) die("val.bin", strerror(errno));
    free(ch); free(idx);
    ls_ctx_free(&ctx);
}

int main(int argc, char **argv) {
    ls_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.out = "/tmp/xc/run";
    const char *task_s = "text", *model_s = "transformer", *pos_s = "sinusoidal", *obj_s = "mlm";
    int64_t eval_every = 25, eval_max = -1;
    double lr_flag = 0.0;
    int verify = 0;
    ls_flag extra[] = {
        {.name = "task", .type = LS_FLAG_STR, .ptr = &task_s, .help = "text | image"},
        {.name = "model", .type = LS_FLAG_STR, .ptr = &model_s, .help = "transformer | s4d"},
        {.name = "pos", .type = LS_FLAG_STR, .ptr = &pos_s,
         .help = "sinusoidal | rope (Transformer only)"},
        {.name = "objective", .type = LS_FLAG_STR, .ptr = &obj_s, .help = "mlm | classify"},
        {.name = "eval-every", .type = LS_FLAG_INT, .ptr = &eval_every,
         .help = "validate every K steps (and at 0 and at the end); default 25"},
        {.name = "eval-max", .type = LS_FLAG_INT, .ptr = &eval_max,
         .help = "validation examples (default: the profile's, 200 for cpu)"},
        {.name = "lr", .type = LS_FLAG_FLOAT, .ptr = &lr_flag,
         .help = "peak learning rate (default 1e-3 Transformer, 3e-3 S4D)"},
        {.name = "verify", .type = LS_FLAG_BOOL, .ptr = &verify,
         .help = "also train with ls_train and compare the final parameters bit for bit"},
        ARM_DATA_FLAG};
    char err[LS_ERRLEN];
    int rc = ls_cli_parse(&cli, argc, argv, extra, (int)(sizeof extra / sizeof extra[0]),
                          "Export an LRA-CPU training run (parameters, batches, validation set) "
                          "for bench/torch_train.py and train it with longseq, writing "
                          "DIR/longseq.csv.", err);
    if (rc) { if (rc < 0) fprintf(stderr, PROG ": %s\n", err); return rc < 0 ? 2 : 0; }

    /* ---- flags -> task, model, objective ---- */
    int task = !strcmp(task_s, "text") ? LRA_TEXT : !strcmp(task_s, "image") ? LRA_IMAGE : -1;
    int model = !strcmp(model_s, "transformer") ? M_TR : !strcmp(model_s, "s4d") ? M_S4D : -1;
    int pos = !strcmp(pos_s, "sinusoidal") ? LS_POS_SINUSOIDAL
              : !strcmp(pos_s, "rope") ? LS_POS_ROPE : -1;
    int obj = !strcmp(obj_s, "mlm") ? LS_OBJ_MLM
              : !strcmp(obj_s, "classify") ? LS_OBJ_CLASSIFY : -1;
    if (task < 0) die("--task", "expected text or image");
    if (model < 0) die("--model", "expected transformer or s4d");
    if (pos < 0) die("--pos", "expected sinusoidal or rope");
    if (obj < 0) die("--objective", "expected mlm or classify");
    if (eval_every < 1) die("--eval-every", "must be positive");
    int64_t steps = cli.steps > 0 ? cli.steps : 300;
    const int prof = cli.profile, lm = obj == LS_OBJ_MLM;

    lra_task t;
    char key[512];
    if (arm_load(PROG, &t, task, prof, key, sizeof key)) return 1;
    const plan *p = &PLAN[prof][task];
    ls_config cfg = arm_model(&t, p, model, 0 /* not causal: bidirectional */, lm);
    if (model == M_TR) cfg.pos = pos;
    float lr = lr_flag > 0 ? (float)lr_flag : model == M_TR ? 1e-3f : 3e-3f;
    ls_train_cfg tc = arm_train(&t, p, prof, obj, lr, cli.seed);
    tc.steps = steps;
    tc.warmup = steps / 10;
    if (eval_max >= 0) tc.eval_max = eval_max;
    ls_dataset train = arm_split(&t.train, 0, 1), val = arm_split(&t.val, 0, 1);
    int64_t n_val = tc.eval_max > 0 && tc.eval_max < val.n ? tc.eval_max : val.n;

    ls_model m;
    /* seeded by the run seed, as report.h does */
    if (ls_model_init(&m, &cfg, tc.seed, err)) die("model", err);
    make_dirs(cli.out);

    /* ---- meta.txt ---- */
    {
        FILE *f = open_out(cli.out, "meta.txt", "w");
        fprintf(f, "task %s\nmodel %s\npos %s\nobjective %s\nprofile %s\n", lra_task_name(task),
                model_s, model == M_TR ? pos_s : "none", obj_s, ls_profile_name(prof));
        fprintf(f, "seed %llu\nthreads %d\nsteps %lld\nbatch %lld\nT %lld\nvocab %d\n"
                "n_classes %d\n", (unsigned long long)tc.seed, ls_get_threads(), (long long)steps,
                (long long)tc.batch, (long long)t.T, cfg.vocab, cfg.n_classes);
        fprintf(f, "d_model %d\nn_layers %d\nn_heads %d\nd_ffn %d\nd_state %d\nbidirectional %d\n"
                "glu %d\n", cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.d_ffn, cfg.d_state,
                cfg.bidirectional, cfg.glu);
        fprintf(f, "norm pre\nln_eps 1e-5\nrope_base %.9g\npool %s\nhead %s\nlm_vocab %d\n",
                (double)m.cfg.rope_base,
                cfg.pool == LS_POOL_MAX ? "max" : cfg.pool == LS_POOL_MEAN ? "mean" : "last",
                lm ? "lm" : "classify", m.cfg.lm_vocab);
        fprintf(f, "lr %.9g\nssm_lr %.9g\nwd %.9g\nclip %.9g\nwarmup %lld\nsched %s\nbeta1 0.9\n"
                "beta2 0.999\neps 1e-8\n", (double)tc.lr,
                (double)(tc.ssm_lr > 0 ? tc.ssm_lr : tc.lr), (double)tc.wd, (double)tc.clip,
                (long long)tc.warmup, tc.sched == LS_SCHED_COSINE ? "cosine" : "constant");
        fprintf(f, "mask_ratio %.9g\nmask_id %d\neval_every %lld\neval_max %lld\nn_val %lld\n",
                (double)tc.mask_ratio, tc.mask_id, (long long)eval_every, (long long)tc.eval_max,
                (long long)n_val);
        fprintf(f, "n_train %lld\ndata %s\nn_params %lld\n", (long long)train.n, key,
                (long long)m.P.n);
        if (fclose(f)) die("meta.txt", strerror(errno));
    }
    write_params(cli.out, "params.bin", &m.P, m.P.x);
    write_val(cli.out, &tc, &val, n_val, lm);
    fprintf(stderr, PROG ": %s %s%s%s %s: %lld params, T %lld, batch %lld, %lld steps, lr %g -> "
            "%s\n", lra_task_name(task), model_s, model == M_TR ? " " : "",
            model == M_TR ? pos_s : "", obj_s, (long long)m.P.n, (long long)t.T,
            (long long)tc.batch, (long long)steps, (double)lr, cli.out);

    /* ---- the optimiser exactly as ls_train sets it up ---- */
    ls_adamw opt;
    ls_adamw_init(&opt, &m.P, tc.lr, tc.wd);
    opt.group[LS_GROUP_NO_DECAY].wd = 0.0f;
    opt.group[LS_GROUP_SSM].wd = 0.0f;
    opt.group[LS_GROUP_SSM].lr = tc.ssm_lr > 0 ? tc.ssm_lr : tc.lr;

    FILE *bf = open_out(cli.out, "batches.bin", "wb");
    batch_header(bf, (uint32_t)steps, (uint32_t)tc.batch, (uint32_t)t.T, lm ? (uint32_t)t.T : 1u);
    char csv_path[1024];
    snprintf(csv_path, sizeof csv_path, "%s/longseq.csv", cli.out);
    FILE *csv = fopen(csv_path, "w");
    if (!csv) die(csv_path, strerror(errno));
    fprintf(csv, "impl,step,train_loss,val_loss,val_acc,wall_s,cpu_s\n");

    ls_ctx ctx;
    ls_ctx_init(&ctx, tc.seed);
    ls__order order;   /* the example order of ls_train: a seeded permutation per epoch */
    order.epoch = -1;
    order.perm = (int32_t *)malloc((size_t)train.n * sizeof(int32_t));
    int64_t *idx = (int64_t *)malloc((size_t)tc.batch * sizeof(int64_t));
    float *loss_hist = (float *)malloc((size_t)steps * sizeof(float));
    if (!order.perm || !idx || !loss_hist) die("training", "out of memory");
    double wall = 0.0, cpu = 0.0;
    ls_progress pr;
    ls_progress_start(&pr, PROG, steps, cli.quiet);
    for (int64_t step = 0; step <= steps; step++) {
        char vfield[64] = ",";
        /* the fixed validation set, as ls_train's validation */
        if (step % eval_every == 0 || step == steps) {
            double vloss = 0.0, acc = ls_evaluate(&m, &tc, &val, tc.eval_max, &vloss);
            if (acc < 0) die("validation", "the model cannot run on the validation set");
            snprintf(vfield, sizeof vfield, "%.8g,%.8g", vloss, acc);
        }
        if (step == steps) {
            fprintf(csv, "longseq,%lld,,%s,%.4f,%.4f\n", (long long)step, vfield, wall, cpu);
            break;
        }
        /* the batch of this step, as ls_train builds it (one micro-batch per step: micro = step) */
        int64_t micro = step;
        ls__batch_indices(&order, &train, tc.seed, micro * tc.batch, tc.batch, idx);
        /* dropout keys (dropout is 0 here) follow the step, as in ls_train */
        ctx.calls = (uint64_t)micro << 20;
        ls__batch b;
        ls__make_batch(&ctx, &tc, &train, idx, tc.batch, ls_hash64(tc.seed + (uint64_t)micro), &b);
        put_batch(bf, &b, lm);

        double w0 = ls_now(), c0 = cpu_seconds();
        ls_tensor *logits = ls_model_forward(&ctx, &m, b.ids, b.len, b.B, b.T);
        ls_tensor *loss = ls_cross_entropy(&ctx, logits, b.tgt, -100);
        if (ls_backward(&ctx, loss)) die("training", ls_ctx_error(&ctx));
        float step_loss = loss->x[0];
        ls_ctx_reset(&ctx);
        double w1 = ls_now(), c1 = cpu_seconds();
        /* d loss / d params, before clipping */
        if (step == 0) write_params(cli.out, "grads0.bin", &m.P, m.P.g);
        double w2 = ls_now(), c2 = cpu_seconds();
        if (tc.clip > 0) ls_clip_grad_norm(&m.P, tc.clip);
        ls_adamw_step(&opt, &m.P, ls_schedule(tc.sched, step, tc.warmup, tc.steps));
        ls_params_zero_grad(&m.P);
        wall += (w1 - w0) + (ls_now() - w2);
        cpu += (c1 - c0) + (cpu_seconds() - c2);

        loss_hist[step] = step_loss;
        fprintf(csv, "longseq,%lld,%.8g,%s,%.4f,%.4f\n", (long long)step, (double)step_loss, vfield,
                wall, cpu);
        fflush(csv);
        ls_progress_update(&pr, step + 1, step_loss, -1.0, (double)((step + 1) * b.rows * b.T));
    }
    ls_progress_end(&pr, "done");
    if (fclose(bf)) die("batches.bin", strerror(errno));
    if (fclose(csv)) die(csv_path, strerror(errno));
    write_params(cli.out, "params_final.bin", &m.P, m.P.x);
    printf(PROG ": %lld steps: %.3f s wall, %.3f s CPU per step (threads %d); wrote %s\n",
           (long long)steps, wall / (double)steps, cpu / (double)steps, ls_get_threads(), cli.out);

    /* ---- --verify: the same run through ls_train itself must end on the same bits ---- */
    if (verify) {
        ls_model m2;
        if (ls_model_init(&m2, &cfg, tc.seed, err)) die("model", err);
        ls_train_cfg tc2 = tc;
        tc2.eval_every = 0;
        ls_train_io io = {.label = PROG " --verify", .quiet = cli.quiet};
        ls_train_result res;
        /* no validation set: nothing is evaluated and the final parameters are kept */
        if (ls_train(&m2, &tc2, &io, &train, NULL, NULL, &res, err)) die("ls_train", err);
        int64_t tail_from = steps - (steps + 9) / 10, tail_n = 0, differ = 0;
        double tail = 0.0, maxd = 0.0;
        for (int64_t s = tail_from; s < steps; s++) { tail += (double)loss_hist[s]; tail_n++; }
        tail /= (double)(tail_n ? tail_n : 1);
        for (int64_t i = 0; i < m.P.n; i++) {
            double d = fabs((double)m.P.x[i] - (double)m2.P.x[i]);
            if (memcmp(&m.P.x[i], &m2.P.x[i], sizeof(float))) differ++;
            if (d > maxd) maxd = d;
        }
        printf(PROG ": verify: final parameters vs ls_train: %s (%lld of %lld values differ, max "
               "|diff| %.3g); mean loss of the last %lld steps %.9g here, %.9g in ls_train (%s)\n",
               differ ? "DIFFERENT" : "bit-identical", (long long)differ, (long long)m.P.n, maxd,
               (long long)tail_n, tail, res.final_loss,
               tail == res.final_loss ? "identical" : "different");
        ls_model_free(&m2);
        if (differ) rc = 1;
    }
    free(order.perm); free(idx); free(loss_hist);
    ls_ctx_free(&ctx);
    ls_adamw_free(&opt);
    ls_model_free(&m);
    lra_task_free(&t);
    return rc;
}
