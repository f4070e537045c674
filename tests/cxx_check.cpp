// tests/cxx_check.cpp - the headers compile as C++ (make cxx-check); nothing runs.
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"
#include "../experiments/synthlang.h"
int main() {
    static sl_lang L;   // ~49 KB: not on the stack
    sl_init(&L, 1);
    return ls_get_threads() > 0 && L.wlen[0] > 0 ? 0 : 1;
}
