# longseq - `make` builds, `make test` tests, `make data` fetches data, `make all` the report.
#   make test NO_OMP=1   without OpenMP (same results, one thread)
#   make test SAN=1      under AddressSanitizer + UndefinedBehaviorSanitizer
#   make MARCH=          portable build (no -march=native)
# Each variant builds into its own folder, so they never mix objects.

CC      ?= cc
CXX     ?= c++
MARCH   ?= -march=native
OPT     ?= -O3 $(MARCH)
WARN     = -std=c99 -Wall -Wextra -Werror
OMPFLAG  = -fopenmp
VARIANT  =
ifeq ($(NO_OMP),1)
  OMPFLAG =
  VARIANT := $(VARIANT)-noomp
endif
ifeq ($(SAN),1)
  OPT     = -O2 $(MARCH) -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  VARIANT := $(VARIANT)-san
endif
ifeq ($(MARCH),)
  VARIANT := $(VARIANT)-portable
endif
BUILD   = build$(VARIANT)
CFLAGS  = $(WARN) $(OPT) $(OMPFLAG)
LDLIBS  = -lm

HEADERS  = longseq.h $(wildcard experiments/*.h)
TEST_SRC = $(wildcard tests/*.c)
EXP_SRC  = $(wildcard experiments/*.c)
EXPS     = $(patsubst experiments/%.c,$(BUILD)/%,$(EXP_SRC))
# table programs: every experiment but the data tool
TABLES   = $(filter-out $(BUILD)/datagen,$(EXPS))

.PHONY: build test cxx-check smoke data bench bench-deps all clean
build: $(BUILD)/run_tests $(EXPS)

$(BUILD)/run_tests: $(TEST_SRC) tests/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_SRC) -o $@ $(LDLIBS)

$(BUILD)/%: experiments/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# the test runner's last line is "N passed, M failed"; it exits non-zero on any failure
test: $(BUILD)/run_tests
	./$(BUILD)/run_tests

# the headers must also build as C++ (stb's rule)
cxx-check:
	$(CXX) -x c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only tests/cxx_check.cpp

# every experiment in its seconds-long smoke profile, so no table rots
smoke: $(EXPS)
	@set -e; for t in listops pathfinder pathx; do echo "smoke: datagen $$t"; ./$(BUILD)/datagen $$t --profile smoke; done
	@set -e; for e in $(TABLES); do echo "smoke: $$e"; ./$$e --profile smoke --quiet --out $(BUILD)/smoke; done

data:
	bash experiments/fetch_data.sh data

# peers for the benchmarks come from Debian: OpenBLAS (and, for the model workloads, python3-torch)
bench-deps:
	@dpkg -s libopenblas-dev >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q --no-install-recommends libopenblas-dev; }

$(BUILD)/bench_sgemm: bench/bench_sgemm.c longseq.h | bench-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ -lopenblas $(LDLIBS)

$(BUILD)/bench_models: bench/bench_models.c longseq.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

bench: $(BUILD)/bench_sgemm $(BUILD)/bench_models
	./$(BUILD)/bench_sgemm 5 1 2
	./$(BUILD)/bench_models --threads 2
	./$(BUILD)/bench_models --threads 1 W1 W2

clean:
	rm -rf build build-*
