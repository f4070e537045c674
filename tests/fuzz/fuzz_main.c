/* tests/fuzz/fuzz_main.c - one libFuzzer binary per target of targets.h: make fuzz builds it with
   -DFUZZ_TARGET=fuzz_<name> and clang's -fsanitize=fuzzer,address,undefined. The targets write their
   files into a fresh directory under $TMPDIR (or /tmp), removed when the fuzzer exits normally. */
#define _POSIX_C_SOURCE 200809L
#define LONGSEQ_IMPLEMENTATION
#include "../../longseq.h"
#include "targets.h"

#include <stdlib.h>
#include <unistd.h>

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=fuzz_<name> (make fuzz)"
#endif

static void fuzz__cleanup(void) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_base);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    static int ready = 0;
    if (!ready) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_base, sizeof fuzz_base, "%s/longseq-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_base)) { perror(fuzz_base); abort(); }
        atexit(fuzz__cleanup);
        ready = 1;
    }
    return FUZZ_TARGET(data, n);
}
