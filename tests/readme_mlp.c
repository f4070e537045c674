/* tests/readme_mlp.c - runs README.md's MLP snippet: `make test` extracts its fit() into
   build/readme_snippet_mlp.c and builds this driver around it. fit() must learn a toy two-class problem
   (the sign of x*y, which a linear model cannot separate) and leave its checkpoint. */
#include "readme_snippet_mlp.c"

int main(void) {
    enum { N = 512 };
    static float xs[2 * N];
    static int32_t labels[N];
    ls_rng r = ls_rng_make(7, LS_STREAM_USER);
    for (int i = 0; i < N; i++) {
        float x = 2.0f * ls_rng_float(&r) - 1.0f, y = 2.0f * ls_rng_float(&r) - 1.0f;
        xs[2 * i] = x; xs[2 * i + 1] = y;
        labels[i] = x * y > 0.0f;
    }
    int rc = fit(xs, labels, N);
    ls_params P;
    ls_params_init(&P);
    ls_tensor *w1 = ls_param(&P, "w1", ls_shape2(2, 64), 0), *b1 = ls_param(&P, "b1", ls_shape1(64), 0);
    ls_tensor *w2 = ls_param(&P, "w2", ls_shape2(64, 2), 0), *b2 = ls_param(&P, "b2", ls_shape1(2), 0);
    char err[LS_ERRLEN];
    int loaded = ls_checkpoint_load("mlp.ckpt", &P, NULL, LS_CKPT_PARTIAL, NULL, 0, NULL, err) == 0;
    int right = 0;
    if (loaded) {   /* the fitted MLP, read back from its checkpoint, classifies the training points */
        ls_ctx ctx;
        ls_ctx_init(&ctx, 1);
        ctx.no_grad = 1;
        ls_tensor *x = ls_tensor_from(&ctx, ls_shape2(N, 2), xs);
        ls_tensor *y = ls_linear(&ctx, ls_gelu(&ctx, ls_linear(&ctx, x, w1, b1)), w2, b2);
        for (int i = 0; y && i < N; i++) right += (y->x[2 * i + 1] > y->x[2 * i]) == labels[i];
        ls_ctx_free(&ctx);
    }
    ls_params_free(&P);
    printf("fit returned %d; the checkpoint %s; %d of %d toy points right\n", rc,
           loaded ? "reads back" : err, right, N);
    return rc != 0 || !loaded || right < N * 9 / 10;
}
