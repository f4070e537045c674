// tests/cxx_check.cpp - the library headers built and run as C++ (make cxx-check; make test runs it).
//
// longseq.h, synthlang.h and lra_data.h are the headers a C or C++ program drops in: here they are
// compiled as C++11 with the project's warnings as errors, linked and run. The run builds SynthLang
// and the smoke ListOps task, and trains an S4D and a Transformer classifier on it for a few steps;
// it fails unless every loss is finite and each model's training loss falls. report.h, cli.h and
// arms.h are the experiment programs' own C99 headers (designated initialisers) and are not checked.
// Bits may differ from the C build: a C++ build contracts multiply-adds where strict C99 does not.
#define LONGSEQ_IMPLEMENTATION
#define LRA_DATA_IMPLEMENTATION
#include "../longseq.h"
#include "../experiments/synthlang.h"
#include "../experiments/lra_data.h"
#include <cmath>
#include <cstdio>
#include <cstring>

static ls_dataset as_dataset(const lra_split &s) {
    ls_dataset d;
    d.n = s.n; d.T = s.T; d.pair = s.pair == 2; d.tokens = s.tokens; d.len = s.len; d.label = s.label;
    return d;
}

int main() {
    static sl_lang L;   // ~49 KB: not on the stack
    sl_init(&L, 1);
    if (L.wlen[0] <= 0) { std::fprintf(stderr, "cxx_check: SynthLang did not build\n"); return 1; }
    char err[LS_ERRLEN];
    lra_task t;
    if (lra_task_load(&t, "listops", LS_PROFILE_SMOKE, 1, "data", err)) {
        std::fprintf(stderr, "cxx_check: %s\n", err);
        return 1;
    }
    ls_dataset train = as_dataset(t.train), val = as_dataset(t.val);
    const int arch[2] = {LS_ARCH_S4D, LS_ARCH_TRANSFORMER};
    int bad = 0;
    for (int a = 0; a < 2; a++) {
        ls_config cfg = ls_config_default(arch[a], t.vocab, t.T);
        cfg.d_model = 32; cfg.n_layers = 1; cfg.n_classes = t.n_classes;
        ls_model m;
        if (ls_model_init(&m, &cfg, 1, err)) { std::fprintf(stderr, "cxx_check: %s\n", err); bad = 1; break; }
        ls_train_cfg tc = ls_train_cfg_default();
        tc.steps = 30; tc.warmup = 3; tc.eval_every = 30; tc.batch = 16;
        double loss0 = NAN, loss1 = NAN;   // mean training-set loss before and after
        ls_evaluate(&m, &tc, &train, 0, &loss0);
        ls_train_io io;
        std::memset(&io, 0, sizeof io);
        io.quiet = 1;
        ls_train_result r;
        int rc = ls_train(&m, &tc, &io, &train, &val, NULL, &r, err);
        if (rc == 0) ls_evaluate(&m, &tc, &train, 0, &loss1);   // the best-validation parameters
        int ok = rc == 0 && std::isfinite(r.final_loss) && std::isfinite(loss0) &&
                 loss1 < loss0 - 0.02;   // a fall, not noise
        std::printf("cxx_check: %s: training-set loss %.3f -> %.3f in %lld steps%s%s\n",
                    arch[a] == LS_ARCH_S4D ? "S4D" : "Transformer", loss0, loss1, (long long)r.steps,
                    ok ? "" : "  FAILED ", rc ? err : "");
        bad |= !ok;
        ls_model_free(&m);
    }
    lra_task_free(&t);
    return bad;
}
