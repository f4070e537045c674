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

.PHONY: build test cxx-check smoke data bench bench-deps tables report all clean
build: $(BUILD)/run_tests $(EXPS)

$(BUILD)/run_tests: $(TEST_SRC) tests/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_SRC) -o $@ $(LDLIBS)

# table captions name the commit a program was built from ("-dirty" when the tree had changes)
# (untracked files count as changes); build/commit changes with it, so a new commit rebuilds them
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null)$(shell test -z "$$(git status --porcelain 2>/dev/null)" || echo -dirty)
$(shell mkdir -p $(BUILD); echo '$(COMMIT)' | cmp -s - $(BUILD)/commit || echo '$(COMMIT)' > $(BUILD)/commit)
$(BUILD)/%: experiments/%.c $(HEADERS) $(BUILD)/commit
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DRP_BUILD_COMMIT='"$(COMMIT)"' $< -o $@ $(LDLIBS)

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

# peers for the benchmarks come from Debian: OpenBLAS (sgemm peer, needed to link bench_sgemm) and
# python3-torch (model peer, bench/torch_ref.py); bench/run.sh checks again before it runs
bench-deps:
	@{ dpkg -s libopenblas-dev && dpkg -s python3-torch; } >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch libopenblas-dev; }

$(BUILD)/bench_sgemm: bench/bench_sgemm.c longseq.h | bench-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ -lopenblas $(LDLIBS)

$(BUILD)/bench_models: bench/bench_models.c longseq.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

$(BUILD)/bench_peak: bench/peak.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# longseq vs PyTorch vs OpenBLAS vs the measured peak, interleaved, one table (bench/run.sh):
#   make bench           full: 3 rounds, W1-W4, W1i, W2i at 1 and 2 threads, sgemm (~25 min)
#   make bench QUICK=1   1 round, 1 thread only for W1/W2 (~5 min);  BENCH_ARGS= passes more options
bench: $(BUILD)/bench_sgemm $(BUILD)/bench_models $(BUILD)/bench_peak | bench-deps
	bash bench/run.sh --build $(BUILD) $(if $(filter 1,$(QUICK)),--quick) $(BENCH_ARGS)

clean:
	rm -rf build build-*

# the report: every table program in the cpu profile, then paper/longseq.pdf when pdflatex is present.
# Resumable: finished rows are cached under results/<table>/, an interrupted row resumes from its checkpoint.
tables: $(TABLES)
	@set -e; for e in $(TABLES); do echo "tables: $$e"; ./$$e --profile cpu --out paper/tables; done

report: tables
	@if [ -f paper/longseq.tex ] && command -v pdflatex >/dev/null 2>&1; then \
	    cd paper && pdflatex -interaction=nonstopmode -halt-on-error longseq.tex >/dev/null && \
	    pdflatex -interaction=nonstopmode -halt-on-error longseq.tex >/dev/null && echo "report: paper/longseq.pdf"; \
	else echo "report: no pdflatex or no paper/longseq.tex: tables only"; fi

all: data report
