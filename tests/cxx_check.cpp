// tests/cxx_check.cpp - the headers compile as C++ (make cxx-check); nothing runs.
#define LONGSEQ_IMPLEMENTATION
#include "../longseq.h"
int main() { return ls_get_threads() > 0 ? 0 : 1; }
