# longseq - `make` builds, `make test` tests, `make data` fetches data, `make all` the report.
#   make test NO_OMP=1   without OpenMP (same results, one thread)
#   make test SAN=1      under AddressSanitizer + UndefinedBehaviorSanitizer
#   make MARCH=          portable build (no -march=native)
#   make MPI=1           every program built by mpicc with LS_MPI (README "MPI"); make test-mpi tests it
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
ifeq ($(MPI),1)
  VARIANT := $(VARIANT)-mpi
endif
BUILD   = build$(VARIANT)
CFLAGS  = $(WARN) $(OPT) $(OMPFLAG)
LDLIBS  = -lm
# MPI=1: Open MPI's compiler wrapper (it adds mpi.h's folder and the MPI library) and LS_MPI, which
# turns on longseq.h part 6E and the run-parallel tables of experiments/cli.h
ifeq ($(MPI),1)
  CC      = mpicc
  CFLAGS += -DLS_MPI
endif

HEADERS  = longseq.h $(wildcard experiments/*.h)
TEST_SRC = $(filter-out tests/readme_mlp.c,$(wildcard tests/*.c))   # readme_mlp.c: its own program
EXP_SRC  = $(wildcard experiments/*.c)
EXPS     = $(patsubst experiments/%.c,$(BUILD)/%,$(EXP_SRC))
# table programs: every experiment but the data tool and the cost table (which reads the others)
TABLES   = $(filter-out $(BUILD)/datagen $(BUILD)/cost,$(EXPS))

.PHONY: build test cxx-check expf-hard smoke data bench bench-busy bench-deps bits-check crosscheck runs tables readme report paper paper-deps all clean \
        mpi-deps test-mpi test-mpi-run bench-mpi bench-mpi-run
build: $(BUILD)/run_tests $(EXPS) $(BUILD)/train_export

$(BUILD)/run_tests: $(TEST_SRC) tests/test.h tests/expf_hard.h tests/fuzz/targets.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_SRC) -o $@ $(LDLIBS)

# table captions name the commit a program was built from ("-dirty" when the tree had changes)
# (untracked files count as changes); build/commit changes with it, so a new commit rebuilds them
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null)$(shell test -z "$$(git status --porcelain 2>/dev/null)" || echo -dirty)
$(shell mkdir -p $(BUILD); echo '$(COMMIT)' | cmp -s - $(BUILD)/commit || echo '$(COMMIT)' > $(BUILD)/commit)
$(BUILD)/%: experiments/%.c $(HEADERS) $(BUILD)/commit
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DRP_BUILD_COMMIT='"$(COMMIT)"' $< -o $@ $(LDLIBS)

# the generator of tests/expf_hard.h (the inputs on which the vectorised expf is hardest to get
# bit-identical to libm's): built by `make test` so it keeps compiling; `make expf-hard` re-runs it
# (about a minute), needed only if the header's expf changes
$(BUILD)/expf_hard: tests/gen/expf_hard.c longseq.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)
expf-hard: $(BUILD)/expf_hard
	./$(BUILD)/expf_hard > tests/expf_hard.h.tmp && mv tests/expf_hard.h.tmp tests/expf_hard.h

# the test runner's last line is "N passed, M failed"; it exits non-zero on any failure. The plain
# build also runs learning_budget end to end in its smoke profile on a generated task (seconds),
# and the library headers built as C++ (cxx-check, below).
# Every build also runs README.md's training example (a second), so the README cannot drift from
# the API: a failing build or run fails the test
test: $(BUILD)/run_tests $(BUILD)/readme_example $(BUILD)/readme_mlp \
      $(if $(VARIANT),,$(BUILD)/learning_budget $(BUILD)/cxx_check $(BUILD)/expf_hard $(BUILD)/isa_check.ok)
	@$(if $(VARIANT),true,./$(BUILD)/learning_budget --profile smoke --tasks listops --fresh --quiet \
	    --out $(BUILD)/test-smoke > /dev/null && echo "test: learning_budget smoke profile ok")
	@$(if $(VARIANT),true,./$(BUILD)/cxx_check > $(BUILD)/cxx_check.out && \
	    echo "test: the headers as C++ ok ($$(tr '\n' ' ' < $(BUILD)/cxx_check.out))" || \
	    { cat $(BUILD)/cxx_check.out; echo "test: the headers as C++ FAILED" >&2; exit 1; })
	@rm -rf $(BUILD)/readme-run && mkdir -p $(BUILD)/readme-run && cd $(BUILD)/readme-run && \
	    ../readme_example > out.txt && echo "test: README.md's example ok ($$(tail -n 1 out.txt))" && \
	    ../readme_mlp > mlp.txt && echo "test: README.md's MLP snippet ok ($$(tail -n 1 mlp.txt))"
	@bash tests/check_header.sh longseq.h
	./$(BUILD)/run_tests

# the header's implementation compiles for every instruction set it has code paths for (-Werror;
# an intrinsic from a wider set than the path's guard fails only where that set is off), whatever
# this machine is: AVX + FMA, AVX2 with and without FMA, AVX-512, and plain x86-64 / the host's default
ISA_FLAGS = "-mavx -mfma" "-mavx2" "-mavx2 -mfma" "-march=skylake-avx512" ""
$(BUILD)/isa_check.ok: longseq.h
	@mkdir -p $(@D)
	@for f in $(ISA_FLAGS); do printf '#define LONGSEQ_IMPLEMENTATION\n#include "longseq.h"\n' | \
	    $(CC) -std=c99 -Wall -Wextra -Werror -O1 $$f -fopenmp -I. -c -x c - -o /dev/null || \
	    { echo "test: longseq.h does not compile with '$$f'" >&2; exit 1; }; done
	@touch $@ && echo "test: the header compiles for AVX+FMA, AVX2 (with and without FMA), AVX-512 and the default target"

# README.md's example: the C block between its "<!-- readme example: begin/end -->" markers, a whole
# program, built with the project's flags (an empty extraction means the markers were lost)
$(BUILD)/readme_example.c: README.md
	@mkdir -p $(@D)
	@awk '/^<!-- readme example: end/{p=0} p && !/^```/{print} /^<!-- readme example: begin/{p=1}' \
	    README.md > $@.tmp && test -s $@.tmp && mv $@.tmp $@ || \
	    { rm -f $@.tmp; echo "README.md: no example between the readme example markers" >&2; exit 1; }
$(BUILD)/readme_example: $(BUILD)/readme_example.c longseq.h
	$(CC) $(CFLAGS) -I. $< -o $@ $(LDLIBS)
# README.md's MLP snippet (a function, between "<!-- readme snippet mlp: begin/end -->"), built with
# a driver that calls it on a toy problem
$(BUILD)/readme_snippet_mlp.c: README.md
	@mkdir -p $(@D)
	@awk '/^<!-- readme snippet mlp: end/{p=0} p && !/^```/{print} /^<!-- readme snippet mlp: begin/{p=1}' \
	    README.md > $@.tmp && test -s $@.tmp && mv $@.tmp $@ || \
	    { rm -f $@.tmp; echo "README.md: no snippet between the readme snippet mlp markers" >&2; exit 1; }
$(BUILD)/readme_mlp: tests/readme_mlp.c $(BUILD)/readme_snippet_mlp.c longseq.h
	$(CC) $(CFLAGS) -I. -I$(BUILD) $< -o $@ $(LDLIBS)

# the library headers (longseq.h, synthlang.h, lra_data.h) built as C++ and run (stb's rule): a few
# training steps of two models on the smoke ListOps task, whose loss must fall
cxx-check: $(BUILD)/cxx_check
	./$(BUILD)/cxx_check
$(BUILD)/cxx_check: tests/cxx_check.cpp longseq.h experiments/synthlang.h experiments/lra_data.h
	@mkdir -p $(@D)
	$(CXX) -std=c++11 -Wall -Wextra -Werror $(OPT) $(OMPFLAG) $< -o $@ $(LDLIBS)

# every experiment in its seconds-long smoke profile, so no table rots
smoke: $(EXPS) $(BUILD)/train_export
	@set -e; for t in listops pathfinder pathx; do echo "smoke: datagen $$t"; ./$(BUILD)/datagen $$t --profile smoke; done
	@set -e; for e in $(TABLES) $(BUILD)/cost; do echo "smoke: $$e"; ./$$e --profile smoke --quiet --out $(BUILD)/smoke; done
	@# `make tables` in a clone: the records are committed, the .model files are not
	@echo "smoke: every table again from its records alone, with the saved models removed"; \
	    find results/smoke -name '*.model' -delete; set -e; for e in $(TABLES); do \
	    ./$$e --profile smoke --records --quiet --out $(BUILD)/smoke-records > /dev/null; done
	@if [ -f data/fashion-mnist/train-images-idx3-ubyte ]; then echo "smoke: train_export (bit-identical to ls_train)"; \
	    ./$(BUILD)/train_export --profile smoke --task image --model transformer --pos rope --objective classify --steps 4 \
	        --verify --quiet --out $(BUILD)/smoke/crosscheck; else echo "smoke: train_export skipped (no data)"; fi

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

# longseq vs PyTorch training cross-check: exports a run for bench/torch_train.py
$(BUILD)/train_export: bench/train_export.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

$(BUILD)/bench_peak: bench/peak.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# longseq vs PyTorch vs OpenBLAS vs the measured peak, interleaved, one table (bench/run.sh):
#   make bench           full: 3 rounds, W1-W4, W1i, W2i and the report's cpu-profile models
#                        R1-R3, R1i-R3i at 1 and 2 threads, sgemm (~35 min, estimated)
#   make bench QUICK=1   1 round, 1 thread only for W1/W2 (~7 min, est.); BENCH_ARGS= passes more options,
#                        e.g. BENCH_ARGS='--workloads "R1 R2 R3 R1i R2i R3i"' (the R rows alone)
bench: $(BUILD)/bench_sgemm $(BUILD)/bench_models $(BUILD)/bench_peak | bench-deps
	bash bench/run.sh --build $(BUILD) $(if $(filter 1,$(QUICK)),--quick) $(BENCH_ARGS)

# W1 and W2 with one core kept busy by a co-tenant (yes > /dev/null): longseq at 1 thread, 2 fixed
# and 2 adapting (ls_autothreads), PyTorch at 1 and 2 (bench/busy.sh; ~6 min)
bench-busy: $(BUILD)/bench_models | bench-deps
	bash bench/busy.sh --build $(BUILD) $(BENCH_ARGS)

# does the working tree compute the same bits as a commit (REV=HEAD)? 19 small configurations,
# 4 AdamW steps, 1 and 2 threads, native / AVX2 / portable builds (bench/bits.sh; ~2 min)
bits-check:
	bash bench/bits.sh $(or $(REV),HEAD)

# the paper's appendix: longseq and PyTorch trained from the same parameters on the same batches
# (bench/crosscheck.sh; about 45 min on one core, resumable), writing paper/tables/torch_crosscheck.*
crosscheck: $(BUILD)/train_export | bench-deps
	bash bench/crosscheck.sh

clean:
	rm -rf build build-*

# MPI (README "MPI"): Open MPI from Debian (openmpi-bin: mpirun; libopenmpi-dev: mpicc, mpi.h), like
# the other *-deps targets. make test-mpi builds with MPI=1 (build-mpi/) and runs tests/mpi/run.sh
# on this machine: data-parallel training against one process, a table program's smoke profile on
# 2 ranks against one process, and a rank killed mid-run, then resumed.
MPI_APT = openmpi-bin libopenmpi-dev
mpi-deps:
	@if command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then \
	    echo "mpi-deps: mpicc and mpirun present"; \
	else \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(MPI_APT); \
	fi
# mpirun on one machine, in a container, maybe as root: root needs the two OMPI_ALLOW_* variables;
# --oversubscribe lets it start more ranks than it counts free cores; the byte transfer layers are
# self and vader (shared memory), whose single-copy mechanism (CMA) a container's ptrace rules forbid
MPIENV = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN = mpirun --oversubscribe --mca btl self,vader
test-mpi: mpi-deps $(if $(VARIANT),,$(BUILD)/ssm_init)
	@$(MAKE) --no-print-directory MPI=1 test-mpi-run $(if $(VARIANT),,PLAIN_BUILD=$(BUILD))
test-mpi-run: $(BUILD)/test_mpi $(BUILD)/ssm_init
	@$(if $(filter 1,$(MPI)),true,echo "test-mpi-run: needs MPI=1 (make test-mpi sets it)" >&2; false)
	$(MPIENV) MPIRUN="$(MPIRUN)" PLAIN_BUILD=$(PLAIN_BUILD) bash tests/mpi/run.sh $(BUILD)
$(BUILD)/test_mpi: tests/mpi/test_mpi.c longseq.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)
# bench/bench_mpi.c: tokens/s of a W1-sized ls_train run, one process or mpirun -np K (README "MPI")
$(BUILD)/bench_mpi: bench/bench_mpi.c longseq.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)
# one process against mpirun -np 2 on this machine, interleaved (bench/mpi.sh; a few minutes):
# bench_mpi's tokens/s and ssm_init's smoke profile from an empty cache, written to
# paper/tables/mpi_scaling.md (make readme copies it into README "MPI").
#   make bench-mpi   2 rounds;   make bench-mpi BENCH_MPI_ARGS="--rounds 3"   more
bench-mpi: mpi-deps
	@$(MAKE) --no-print-directory MPI=1 bench-mpi-run
bench-mpi-run: $(BUILD)/bench_mpi $(BUILD)/ssm_init
	@$(if $(filter 1,$(MPI)),true,echo "bench-mpi-run: needs MPI=1 (make bench-mpi sets it)" >&2; false)
	$(MPIENV) MPIRUN="$(MPIRUN)" bash bench/mpi.sh --build $(BUILD) $(BENCH_MPI_ARGS)

# Fuzzing (tests/fuzz/): one libFuzzer binary per target of tests/fuzz/targets.h (the checkpoint
# loader, the IDX, IMDb JSON, SOTU and ListOps readers, the command line), built by clang with
# AddressSanitizer and UndefinedBehaviorSanitizer; each runs FUZZ_TIME seconds from the committed
# corpus tests/fuzz/corpus/<target>/ and leaves new inputs in build-fuzz/corpus/<target>/. A crash,
# sanitizer report, leak or hang stops it with the input in build-fuzz/crash-<target>-*: fix the
# reader, then copy the input into tests/fuzz/corpus/<target>/, where make test replays it for good.
#   make fuzz               10 minutes a target;   make fuzz FUZZ_TIME=30   the CI's half minute
#   make fuzz-seeds         rewrites the valid seed files of the corpus (tests/fuzz/make_seeds.c)
FUZZ_TARGETS = checkpoint idx imdb sotu listops cli
FUZZ_TIME   ?= 600
FUZZ_CC     ?= clang
FUZZ_FLAGS   = -std=c99 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-deps fuzz-seeds
# clang and its libFuzzer runtime from Debian (clang, libclang-rt-dev), like the other *-deps targets
fuzz-deps:
	@mkdir -p build-fuzz; \
	if printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)(n & 0); }\n' > build-fuzz/probe.c && \
	    $(FUZZ_CC) -fsanitize=fuzzer build-fuzz/probe.c -o build-fuzz/probe >/dev/null 2>&1; then \
	    echo "fuzz-deps: $(FUZZ_CC) with libFuzzer present"; \
	else \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-dev; \
	fi

build-fuzz/fuzz_%: tests/fuzz/fuzz_main.c tests/fuzz/targets.h $(HEADERS) | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_TARGET=fuzz_$* $< -o $@ -lm

fuzz: $(addprefix build-fuzz/fuzz_,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus/$$t; \
	    echo "fuzz: $$t for $(FUZZ_TIME) s"; \
	    if ! ./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -close_fd_mask=1 \
	            -print_final_stats=1 -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	            > build-fuzz/$$t.log 2>&1; then \
	        tail -n 60 build-fuzz/$$t.log; echo "fuzz: $$t FAILED (input in build-fuzz/crash-$$t-*, log build-fuzz/$$t.log)"; exit 1; \
	    fi; \
	    grep -E '^#[0-9]+' build-fuzz/$$t.log | tail -n 1; grep -E '^stat::number_of_executed_units' build-fuzz/$$t.log; \
	done; echo "fuzz: every target ran $(FUZZ_TIME) s with no crash, sanitizer report, leak or hang"

fuzz-seeds:
	@mkdir -p build-fuzz
	$(CC) -std=c99 -O1 -Wall -Wextra -Werror tests/fuzz/make_seeds.c -o build-fuzz/make_seeds -lm && ./build-fuzz/make_seeds

# The report, in one of two profiles a user chooses by time (PROFILE=cpu is the default):
#   quick  the lra table alone, one seed, in under an hour on 2 cores (paper/tables/quick/): a setup check
#   cpu    every table, two seeds where it matters, overnight on 2 cores (paper/tables/): the paper's numbers
# `make runs` trains what is missing: every run is cached under results/<profile>/ by a hash of its
# configuration and code version, an interrupted run resumes from its checkpoint, runs shared by
# several tables train once. The runs' records (results/<profile>/**/*.txt, .csv, .row, .step) are
# committed, so `make tables` re-prints every table from them without training (seconds a table,
# after `make data`), and a later sitting continues an unfinished profile where the last one stopped.
PROFILE ?= cpu
ifeq ($(filter $(PROFILE),quick cpu),)
  $(error PROFILE=$(PROFILE): not a profile of the report; use PROFILE=quick or PROFILE=cpu)
endif
# cpu: the longest tables first (a table program not listed here runs last), two at a time with
# one thread each (experiments/run_tables.sh says why); JOBS=1 runs them one by one on every core
REPORT_ORDER  = lra learning_budget spt_budget spt_data spt_objective ssm_init arch_scaling \
                length_extrapolation depth position_probe
REPORT_TABLES = $(if $(filter quick,$(PROFILE)),$(BUILD)/lra,$(addprefix $(BUILD)/,$(REPORT_ORDER)) \
                  $(filter-out $(addprefix $(BUILD)/,$(REPORT_ORDER)),$(TABLES)))
REPORT_OUT    = $(if $(filter quick,$(PROFILE)),paper/tables/quick,paper/tables)
JOBS ?= $(if $(filter quick,$(PROFILE)),1,2)
runs tables: $(REPORT_TABLES) $(BUILD)/cost
	@if [ $@ = runs ]; then bash experiments/run_tables.sh $(JOBS) $(PROFILE) $(REPORT_OUT) $(REPORT_TABLES); \
	else set -e; n=0; for e in $(REPORT_TABLES); do n=$$((n+1)); \
	    echo "$@: table $$n of $(words $(REPORT_TABLES)): $$e --profile $(PROFILE) --records"; \
	    ./$$e --profile $(PROFILE) --out $(REPORT_OUT) --records; done; fi
	@if [ "$(PROFILE)" = cpu ]; then ./$(BUILD)/cost --out paper/tables; fi
	@$(MAKE) --no-print-directory readme
	@if [ "$@" = tables ]; then $(MAKE) --no-print-directory paper; fi

# README.md shows the main table (cpu and quick profiles), the benchmark table and the MPI scaling
# table exactly as the programs wrote them (the first table of paper/tables/<name>.md, between the
# README's "<!-- <name> table: begin/end -->" markers)
readme:
	@for t in quick/lra lra cost bench mpi_scaling; do \
	    if [ ! -f paper/tables/$$t.md ]; then echo "readme: paper/tables/$$t.md not generated yet"; continue; fi; \
	    awk '/^### /{n++} n==1' paper/tables/$$t.md > README.md.table && \
	    awk -v b="<!-- $$t table: begin" -v e="<!-- $$t table: end -->" \
	        'FNR==NR{t=t $$0 "\n"; next} index($$0,e)==1{printf "%s", t; skip=0} !skip{print} index($$0,b)==1{skip=1}' \
	        README.md.table README.md > README.md.tmp && mv README.md.tmp README.md && rm -f README.md.table && \
	    echo "readme: README.md shows paper/tables/$$t.md"; \
	done

# TeX from Debian: pdflatex (texlive-latex-base: also graphicx, geometry, hyperref, amsmath), booktabs
# (texlive-latex-recommended) and pgfplots/pgfplotstable (texlive-pictures); about 20 s to install
PAPER_APT = texlive-latex-base texlive-latex-recommended texlive-pictures
paper-deps:
	@if command -v pdflatex >/dev/null 2>&1 && kpsewhich pgfplots.sty >/dev/null 2>&1; then \
	    echo "paper-deps: pdflatex and pgfplots present"; \
	else \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(PAPER_APT); \
	fi

# two pdflatex passes (cross-references, pgfplots legends); quiet, the log tail on failure
paper:
	@if ! command -v pdflatex >/dev/null 2>&1; then \
	    echo "paper: no pdflatex (make paper-deps installs it): skipped"; exit 0; \
	fi; \
	cd paper && for pass in 1 2; do \
	    if ! pdflatex -interaction=nonstopmode -halt-on-error longseq.tex >/dev/null 2>&1; then \
	        tail -n 40 longseq.log >&2; echo "paper: pdflatex failed (pass $$pass), see paper/longseq.log" >&2; exit 1; \
	    fi; \
	done; \
	echo "paper: paper/longseq.pdf"

report: runs
	@$(MAKE) --no-print-directory paper

# the whole report from a fresh clone: data, TeX (when apt can install it), every table, the PDF
#   make all                the cpu profile (overnight);  make all PROFILE=quick  the one-hour check
all: data
	@$(MAKE) --no-print-directory paper-deps || echo "all: could not install TeX; the tables are still written"
	@$(MAKE) --no-print-directory report

